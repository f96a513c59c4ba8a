/* SPDX-License-Identifier: MIT */
/* The blocking client connection: dial, Noise XK handshake as initiator,
 * then one encrypted Request/Response exchange at a time. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "client_conn.h"
#include "frame.h"
#include "i18n.h"
#include "invite.h"
#include "kt_error.h"
#include "noise.h"

#define N_(s) s /* see invite.c */

struct kt_conn {
	int fd;                         /* socket, non-blocking; -1 once closed */
	int timeout_ms;                 /* per frame read / write; <= 0: none */
	int broken;                     /* a fatal error happened: refuse calls */
	kt_noise_cipher_t send;         /* client -> server */
	kt_noise_cipher_t recv;         /* server -> client */
	uint64_t last_id;               /* id of the latest request sent */
	int pending_more;               /* the last Response said more = true */
	size_t rbuf_off, rbuf_len;      /* unread bytes in rbuf */
	uint8_t rbuf[4096];             /* bytes received, not yet framed */
	kt_frame_reader_t reader;       /* assembles one incoming frame */
	uint8_t wbuf[KT_FRAME_HDR + KT_FRAME_MAX]; /* outgoing frame */
	uint8_t pbuf[KT_FRAME_MAX];     /* decrypted incoming plaintext */
};

static void
set_detail(char *detail, size_t cap, const char *msg, const char *extra)
{
	if (detail == NULL || cap == 0)
		return;
	if (extra != NULL)
		snprintf(detail, cap, "%s: %s", msg, extra);
	else
		snprintf(detail, cap, "%s", msg);
}

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline for poll(): -1 without a deadline. */
static int
remaining(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	if (left < 0)
		return 0;
	return left > 1000000000 ? 1000000000 : (int)left;
}

static int64_t
deadline_after(int timeout_ms)
{
	return timeout_ms > 0 ? now_ms() + timeout_ms : -1;
}

/* Waits until fd is ready for events. Returns 0, KT_ETIMEDOUT or KT_EIO. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, remaining(deadline));
		if (n > 0)
			return 0;
		if (n == 0)
			return KT_ETIMEDOUT;
		if (errno != EINTR)
			return KT_EIO;
	}
}

/* ---- dialling ---------------------------------------------------------- */

/* Connects one resolved address. Returns the fd or -1 (errno set). */
static int
dial_one(const struct addrinfo *ai, int64_t deadline, int *timed_out)
{
	int fd, err = 0, one = 1;
	socklen_t errlen = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		int rc;
		if (errno != EINPROGRESS)
			goto fail;
		rc = wait_fd(fd, POLLOUT, deadline);
		if (rc == KT_ETIMEDOUT) {
			*timed_out = 1;
			errno = ETIMEDOUT;
			goto fail;
		}
		if (rc != 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) != 0)
			goto fail;
		if (err != 0) {
			errno = err;
			goto fail;
		}
	}
	/* Requests are small and answered at once: do not wait for Nagle. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

static int
dial(const char *address, int timeout_ms, int *fd_out, char *detail,
    size_t detailcap)
{
	char host[256], port[8];
	struct addrinfo hints, *res = NULL;
	const char *why = NULL;
	int64_t deadline = deadline_after(timeout_ms);
	int gai, fd = -1, timed_out = 0, last_errno = 0;

	if (kt_address_split(address, host, sizeof(host), port, sizeof(port),
	    &why) != 0) {
		set_detail(detail, detailcap, why, NULL);
		return KT_ECONNECT;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		set_detail(detail, detailcap, N_("cannot resolve host"),
		    gai_strerror(gai));
		return KT_ECONNECT;
	}
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		fd = dial_one(ai, deadline, &timed_out);
		if (fd >= 0)
			break;
		last_errno = errno;
		if (timed_out)
			break; /* the whole budget is spent */
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (timed_out) {
			set_detail(detail, detailcap,
			    N_("connection timed out"), NULL);
			return KT_ETIMEDOUT;
		}
		set_detail(detail, detailcap, strerror(last_errno), NULL);
		return KT_ECONNECT;
	}
	*fd_out = fd;
	return 0;
}

/* ---- frames ------------------------------------------------------------ */

static int
write_all(kt_conn_t *c, const uint8_t *p, size_t len)
{
	int64_t deadline = deadline_after(c->timeout_ms);

	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			int rc;
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return errno == EPIPE || errno == ECONNRESET ?
				    KT_ECLOSED : KT_EIO;
			if ((rc = wait_fd(c->fd, POLLOUT, deadline)) != 0)
				return rc;
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Sends wbuf[KT_FRAME_HDR .. KT_FRAME_HDR + n) as one frame. */
static int
send_frame(kt_conn_t *c, size_t n)
{
	int rc = kt_frame_put_header(c->wbuf, n);
	if (rc != 0)
		return rc;
	return write_all(c, c->wbuf, KT_FRAME_HDR + n);
}

/* Reads one whole frame; the body stays valid until the next read. The
 * frame reader never holds more than KT_FRAME_MAX bytes, so a server that
 * streams garbage cannot make us allocate. */
static int
read_frame(kt_conn_t *c, const uint8_t **frame, size_t *len)
{
	int64_t deadline = deadline_after(c->timeout_ms);

	for (;;) {
		if (c->rbuf_off < c->rbuf_len) {
			size_t used = 0;
			int rc = kt_frame_reader_feed(&c->reader,
			    c->rbuf + c->rbuf_off, c->rbuf_len - c->rbuf_off,
			    &used, frame, len);
			c->rbuf_off += used;
			if (rc != 0)
				return rc < 0 ? KT_EPROTO : 0;
			continue;
		}
		ssize_t n = recv(c->fd, c->rbuf, sizeof(c->rbuf), 0);
		if (n > 0) {
			c->rbuf_off = 0;
			c->rbuf_len = (size_t)n;
			continue;
		}
		if (n == 0)
			return KT_ECLOSED;
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET)
			return KT_ECLOSED;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return KT_EIO;
		int rc = wait_fd(c->fd, POLLIN, deadline);
		if (rc != 0)
			return rc;
	}
}

/* Drops the connection for good: nothing more may be sent or trusted. */
static void
breakdown(kt_conn_t *c)
{
	c->broken = 1;
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	kt_noise_cipher_clear(&c->send);
	kt_noise_cipher_clear(&c->recv);
}

/* ---- handshake --------------------------------------------------------- */

static int
handshake(kt_conn_t *c, const uint8_t server_pub[static 32],
    const uint8_t term_priv[static 32], const char *client_name,
    Kartoteka__ServerHello **hello_out, char *detail, size_t detailcap)
{
	kt_noise_hs_t hs;
	Kartoteka__ServerHello *hello = NULL;
	Kartoteka__ClientHello ch = KARTOTEKA__CLIENT_HELLO__INIT;
	uint8_t chbuf[1024];
	const uint8_t *frame = NULL;
	size_t n = 0, flen = 0, chlen;
	int rc;

	rc = kt_noise_hs_init(&hs, KT_NOISE_XK, 1,
	    (const uint8_t *)KT_PROLOGUE, strlen(KT_PROLOGUE), term_priv,
	    server_pub);
	if (rc != 0) {
		set_detail(detail, detailcap, N_("handshake setup failed"),
		    NULL);
		goto out;
	}

	/* -> e, es (empty payload) */
	rc = kt_noise_hs_write_message(&hs, NULL, 0, c->wbuf + KT_FRAME_HDR,
	    KT_FRAME_MAX, &n);
	if (rc == 0)
		rc = send_frame(c, n);
	if (rc != 0) {
		set_detail(detail, detailcap,
		    N_("cannot send handshake message 1"), NULL);
		goto out;
	}

	/* <- e, ee with ServerHello */
	rc = read_frame(c, &frame, &flen);
	if (rc == KT_ECLOSED) {
		set_detail(detail, detailcap, N_("the server closed the "
		    "connection during the handshake (wrong server key, or "
		    "not a kartoteka server?)"), NULL);
		goto out;
	}
	if (rc == KT_ETIMEDOUT) {
		set_detail(detail, detailcap, N_("no handshake answer from "
		    "the server (timed out)"), NULL);
		goto out;
	}
	if (rc != 0) {
		set_detail(detail, detailcap, N_("bad handshake answer "
		    "from the server"), NULL);
		goto out;
	}
	rc = kt_noise_hs_read_message(&hs, frame, flen, c->pbuf,
	    sizeof(c->pbuf), &n);
	if (rc != 0) {
		rc = KT_ECRYPTO;
		set_detail(detail, detailcap, N_("the server failed the "
		    "handshake (wrong server key?)"), NULL);
		goto out;
	}
	hello = kartoteka__server_hello__unpack(NULL, n, c->pbuf);
	if (hello == NULL) {
		rc = KT_EPROTO;
		set_detail(detail, detailcap, N_("the server sent an "
		    "undecodable ServerHello"), NULL);
		goto out;
	}
	if (hello->protocol_version != KT_PROTOCOL_VERSION) {
		rc = KT_EPROTO;
		set_detail(detail, detailcap, N_("the server speaks another "
		    "protocol version (update this client or the server)"),
		    NULL);
		goto out;
	}

	/* -> s, se with ClientHello */
	ch.client_name = (char *)(client_name != NULL ? client_name : "");
	ch.client_version = (char *)KT_CLIENT_VERSION;
	ch.language = (char *)kt_i18n_lang();
	chlen = kartoteka__client_hello__get_packed_size(&ch);
	if (chlen > sizeof(chbuf)) {
		rc = KT_EINVAL;
		set_detail(detail, detailcap, N_("client name is too long"),
		    NULL);
		goto out;
	}
	kartoteka__client_hello__pack(&ch, chbuf);
	rc = kt_noise_hs_write_message(&hs, chbuf, chlen,
	    c->wbuf + KT_FRAME_HDR, KT_FRAME_MAX, &n);
	if (rc == 0)
		rc = send_frame(c, n);
	if (rc != 0) {
		set_detail(detail, detailcap,
		    N_("cannot send handshake message 3"), NULL);
		goto out;
	}
	rc = kt_noise_hs_split(&hs, &c->send, &c->recv, NULL);
	if (rc != 0) {
		set_detail(detail, detailcap, N_("handshake did not finish"),
		    NULL);
		goto out;
	}
	if (hello_out != NULL) {
		*hello_out = hello;
		hello = NULL;
	}
out:
	kt_noise_hs_clear(&hs);
	if (hello != NULL)
		kartoteka__server_hello__free_unpacked(hello, NULL);
	return rc;
}

int
kt_conn_open_detail(kt_conn_t **out, const char *address,
    const uint8_t server_pub[static 32], const uint8_t term_priv[static 32],
    const char *client_name, int timeout_ms, Kartoteka__ServerHello **hello,
    char *detail, size_t detailcap)
{
	kt_conn_t *c = NULL;
	int rc;

	if (detail != NULL && detailcap > 0)
		detail[0] = '\0';
	if (out == NULL || address == NULL)
		return KT_EINVAL;
	*out = NULL;
	if (hello != NULL)
		*hello = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return KT_ENOMEM;
	c->fd = -1;
	c->timeout_ms = timeout_ms;
	rc = dial(address, timeout_ms, &c->fd, detail, detailcap);
	if (rc != 0)
		goto out;
	rc = handshake(c, server_pub, term_priv, client_name, hello, detail,
	    detailcap);
	if (rc != 0)
		goto out;
	*out = c;
	c = NULL;
out:
	kt_conn_close(c);
	return rc;
}

int
kt_conn_open(kt_conn_t **out, const char *address,
    const uint8_t server_pub[static 32], const uint8_t term_priv[static 32],
    const char *client_name, int timeout_ms, Kartoteka__ServerHello **hello)
{
	return kt_conn_open_detail(out, address, server_pub, term_priv,
	    client_name, timeout_ms, hello, NULL, 0);
}

/* ---- requests ---------------------------------------------------------- */

/* Decrypts and decodes one frame into a Response. */
static int
decode_response(kt_conn_t *c, const uint8_t *frame, size_t flen,
    Kartoteka__Response **resp_out)
{
	Kartoteka__Response *resp = NULL;
	size_t plen = 0;
	int rc;

	rc = kt_noise_decrypt(&c->recv, NULL, 0, frame, flen, c->pbuf, &plen);
	if (rc != 0)
		return rc == KT_EINVAL ? KT_EPROTO : rc; /* shorter than a tag */
	resp = kartoteka__response__unpack(NULL, plen, c->pbuf);
	/* The plaintext may hold a session token. */
	sodium_memzero(c->pbuf, plen);
	if (resp == NULL)
		return KT_EPROTO;
	*resp_out = resp;
	return 0;
}

/* Reads, decrypts and decodes one Response for the current request. */
static int
recv_response(kt_conn_t *c, Kartoteka__Response **resp_out)
{
	Kartoteka__Response *resp = NULL;
	const uint8_t *frame = NULL;
	size_t flen = 0;
	int rc;

	rc = read_frame(c, &frame, &flen);
	if (rc != 0)
		goto out;
	rc = decode_response(c, frame, flen, &resp);
	if (rc != 0)
		goto out;
	/* One call at a time: any other id is the server's mistake. */
	if (resp->id != c->last_id) {
		rc = KT_EPROTO;
		goto out;
	}
	c->pending_more = resp->more ? 1 : 0;
	*resp_out = resp;
	resp = NULL;
out:
	if (resp != NULL)
		kartoteka__response__free_unpacked(resp, NULL);
	if (rc != 0)
		breakdown(c);
	return rc;
}

/* Assigns req the next id, encrypts it and sends it as one frame. */
static int
send_request(kt_conn_t *c, Kartoteka__Request *req)
{
	size_t n, clen = 0;
	int rc;

	if (c->last_id == UINT64_MAX) {
		breakdown(c);
		return KT_ENONCE;
	}
	req->id = c->last_id + 1;
	n = kartoteka__request__get_packed_size(req);
	if (n > KT_FRAME_MAX - KT_NOISE_TAGLEN)
		return KT_ETOOBIG; /* nothing sent: the connection is fine */
	c->last_id++;
	kartoteka__request__pack(req, c->wbuf + KT_FRAME_HDR);
	/* Encrypt in place, so the plaintext (maybe a password) is gone. */
	rc = kt_noise_encrypt(&c->send, NULL, 0, c->wbuf + KT_FRAME_HDR, n,
	    c->wbuf + KT_FRAME_HDR, &clen);
	if (rc != 0) {
		sodium_memzero(c->wbuf, sizeof(c->wbuf));
		breakdown(c);
		return rc;
	}
	rc = send_frame(c, clen);
	if (rc != 0) {
		breakdown(c);
		return rc;
	}
	return 0;
}

int
kt_conn_call(kt_conn_t *c, Kartoteka__Request *req,
    Kartoteka__Response **resp)
{
	int rc;

	if (c == NULL || req == NULL || resp == NULL)
		return KT_EINVAL;
	*resp = NULL;
	if (c->broken)
		return KT_ECLOSED;
	if (c->pending_more)
		return KT_ESTATE;
	if ((rc = send_request(c, req)) != 0)
		return rc;
	return recv_response(c, resp);
}

int
kt_conn_next(kt_conn_t *c, Kartoteka__Response **resp)
{
	if (c == NULL || resp == NULL)
		return KT_EINVAL;
	*resp = NULL;
	if (c->broken)
		return KT_ECLOSED;
	if (!c->pending_more)
		return KT_ESTATE;
	return recv_response(c, resp);
}

void
kt_conn_close(kt_conn_t *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	/* Wipes both cipher keys and any plaintext left in the buffers. */
	sodium_memzero(c, sizeof(*c));
	free(c);
}

/* ---- pipelined use (kartoteka-tui) ---------------------------------------- */

int
kt_conn_fd(const kt_conn_t *c)
{
	return c != NULL && !c->broken ? c->fd : -1;
}

int
kt_conn_send(kt_conn_t *c, Kartoteka__Request *req)
{
	if (c == NULL || req == NULL)
		return KT_EINVAL;
	if (c->broken)
		return KT_ECLOSED;
	if (c->pending_more)
		return KT_ESTATE;
	return send_request(c, req);
}

int
kt_conn_poll(kt_conn_t *c, Kartoteka__Response **resp)
{
	const uint8_t *frame = NULL;
	size_t flen = 0;
	int rc = 0;

	if (c == NULL || resp == NULL)
		return KT_EINVAL;
	*resp = NULL;
	if (c->broken)
		return KT_ECLOSED;
	for (;;) {
		if (c->rbuf_off < c->rbuf_len) {
			size_t used = 0;
			int fr = kt_frame_reader_feed(&c->reader,
			    c->rbuf + c->rbuf_off, c->rbuf_len - c->rbuf_off,
			    &used, &frame, &flen);
			c->rbuf_off += used;
			if (fr < 0) {
				rc = KT_EPROTO;
				goto out;
			}
			if (fr == 0)
				continue;
			rc = decode_response(c, frame, flen, resp);
			if (rc != 0)
				goto out;
			/* Ids are ours, and a stream (more = true) is the
			 * CLI's business: neither may come back here. */
			if ((*resp)->id == 0 || (*resp)->id > c->last_id ||
			    (*resp)->more) {
				kartoteka__response__free_unpacked(*resp, NULL);
				*resp = NULL;
				rc = KT_EPROTO;
				goto out;
			}
			return 1;
		}
		ssize_t n = recv(c->fd, c->rbuf, sizeof(c->rbuf), MSG_DONTWAIT);
		if (n > 0) {
			c->rbuf_off = 0;
			c->rbuf_len = (size_t)n;
			continue;
		}
		if (n == 0) {
			rc = KT_ECLOSED;
			goto out;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		rc = errno == ECONNRESET ? KT_ECLOSED : KT_EIO;
		goto out;
	}
out:
	breakdown(c);
	return rc;
}

const void *
kt_response_result(const Kartoteka__Response *resp)
{
	const ProtobufCFieldDescriptor *fd;

	if (resp == NULL)
		return NULL;
	fd = protobuf_c_message_descriptor_get_field(
	    &kartoteka__response__descriptor, (unsigned)resp->result_case);
	if (fd == NULL || fd->type != PROTOBUF_C_TYPE_MESSAGE ||
	    fd->quantifier_offset == 0)
		return NULL;
	return *(void *const *)(const void *)((const char *)resp + fd->offset);
}

void
kt_response_free(Kartoteka__Response *resp)
{
	if (resp == NULL)
		return;
	if (resp->result_case == KARTOTEKA__RESPONSE__RESULT_LOGIN &&
	    resp->login != NULL && resp->login->token.data != NULL)
		sodium_memzero(resp->login->token.data, resp->login->token.len);
	kartoteka__response__free_unpacked(resp, NULL);
}
