/* SPDX-License-Identifier: MIT */
/* kt-rawpeer: a deliberately misbehaving client for integration tests. It
 * speaks the wire protocol by hand so tests can send what the real client
 * never would (bad frames, stalls, pipelined bursts) and check how the
 * server answers. Prints what happened; exit 0 when it matched MODE's
 * expectation, 1 when not, 2 on usage errors. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "frame.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"
#include "noise.h"

#define READ_TIMEOUT_MS 20000

typedef struct peer {
	int fd;
	kt_noise_cipher_t tx, rx;
	kt_frame_reader_t rd;
	uint8_t pending[65536];
	size_t pending_len, pending_off;
} peer_t;

/* Connects to address. bufsize > 0 shrinks both socket buffers before the
 * connection exists (the receive window is fixed at SYN time), so that a
 * peer that never reads fills them with little data. */
static int
dial(const char *address, int bufsize)
{
	char host[256];
	const char *colon = strrchr(address, ':');
	struct addrinfo hints, *res = NULL;
	int fd = -1, one = 1;

	if (colon == NULL || (size_t)(colon - address) >= sizeof(host))
		return -1;
	memcpy(host, address, (size_t)(colon - address));
	host[colon - address] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd >= 0 && bufsize > 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
	}
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	/* Small buffers (the slow reader) keep Nagle on: coalesced into full
	 * segments, its pings fill the server's receive buffer and the
	 * window closes. Tiny segments would make the server's kernel
	 * collapse and grow its queue, taking a trickle for minutes. */
	if (fd >= 0 && bufsize <= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	freeaddrinfo(res);
	return fd;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
send_frame(peer_t *p, const uint8_t *body, size_t len)
{
	uint8_t hdr[2];
	if (kt_frame_put_header(hdr, len) != 0)
		return -1;
	if (write_all(p->fd, hdr, 2) != 0)
		return -1;
	return write_all(p->fd, body, len);
}

/* Reads one frame. Returns 1 with a frame, 0 on EOF/reset, -1 on timeout
 * or protocol error. */
static int
read_frame(peer_t *p, const uint8_t **frame, size_t *len)
{
	for (;;) {
		if (p->pending_off < p->pending_len) {
			size_t used = 0;
			int rc = kt_frame_reader_feed(&p->rd,
			    p->pending + p->pending_off,
			    p->pending_len - p->pending_off, &used, frame, len);
			p->pending_off += used;
			if (rc != 0)
				return rc > 0 ? 1 : -1;
			continue;
		}
		struct pollfd pfd = { p->fd, POLLIN, 0 };
		int pr = poll(&pfd, 1, READ_TIMEOUT_MS);
		if (pr <= 0)
			return -1;
		ssize_t n = read(p->fd, p->pending, sizeof(p->pending));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		p->pending_len = (size_t)n;
		p->pending_off = 0;
	}
}

/* Waits for the server to close the connection. 1 closed, 0 not. */
static int
expect_close(peer_t *p)
{
	const uint8_t *f;
	size_t n;
	int rc;
	while ((rc = read_frame(p, &f, &n)) == 1)
		;
	return rc == 0;
}

/* The Noise XK handshake as initiator, with the terminal key of cfg or a
 * fresh one. With full 0 it stops after reading message 2, leaving the
 * server waiting for message 3. 0 on success. */
static int
handshake_to(peer_t *p, const kt_config_t *cfg, int use_terminal, int full)
{
	kt_noise_hs_t hs;
	uint8_t priv[32], pub[32], buf[KT_FRAME_MAX], pay[KT_FRAME_MAX];
	uint8_t hello_buf[128];
	Kartoteka__ClientHello hello = KARTOTEKA__CLIENT_HELLO__INIT;
	const uint8_t *f;
	size_t n, plen, hlen;
	int rc = -1;

	if (use_terminal)
		memcpy(priv, cfg->terminal_priv, 32);
	else
		crypto_box_keypair(pub, priv);
	if (kt_noise_hs_init(&hs, KT_NOISE_XK, 1, (const uint8_t *)"kartoteka/1",
	    11, priv, cfg->server_key) != 0)
		goto out;
	if (kt_noise_hs_write_message(&hs, NULL, 0, buf, sizeof(buf), &n) != 0 ||
	    send_frame(p, buf, n) != 0)
		goto out;
	if (read_frame(p, &f, &n) != 1 ||
	    kt_noise_hs_read_message(&hs, f, n, pay, sizeof(pay), &plen) != 0)
		goto out;
	if (!full) {
		rc = 0;
		goto out;
	}
	hello.client_name = "kt-rawpeer";
	hello.client_version = "1";
	hlen = kartoteka__client_hello__pack(&hello, hello_buf);
	if (kt_noise_hs_write_message(&hs, hello_buf, hlen, buf, sizeof(buf),
	    &n) != 0 || send_frame(p, buf, n) != 0)
		goto out;
	rc = kt_noise_hs_split(&hs, &p->tx, &p->rx, NULL);
out:
	kt_noise_hs_clear(&hs);
	sodium_memzero(priv, sizeof(priv));
	return rc;
}

static int
handshake(peer_t *p, const kt_config_t *cfg, int use_terminal)
{
	return handshake_to(p, cfg, use_terminal, 1);
}

static int
send_plain(peer_t *p, const uint8_t *plain, size_t len)
{
	uint8_t out[KT_FRAME_MAX];
	size_t n;
	if (kt_noise_encrypt(&p->tx, NULL, 0, plain, len, out, &n) != 0)
		return -1;
	return send_frame(p, out, n);
}

static int
send_request(peer_t *p, Kartoteka__Request *req)
{
	uint8_t buf[KT_FRAME_MAX];
	size_t n = kartoteka__request__pack(req, buf);
	return send_plain(p, buf, n);
}

/* Reads one response; NULL on close or error. Caller frees. */
static Kartoteka__Response *
read_response(peer_t *p)
{
	const uint8_t *f;
	uint8_t plain[KT_FRAME_MAX];
	size_t n, plen;

	if (read_frame(p, &f, &n) != 1)
		return NULL;
	if (kt_noise_decrypt(&p->rx, NULL, 0, f, n, plain, &plen) != 0)
		return NULL;
	return kartoteka__response__unpack(NULL, plen, plain);
}

static int
error_code(const Kartoteka__Response *r)
{
	return r != NULL && r->error ? (int)r->error->code : 0;
}

/* The name of an Error.Code ("UNAUTHENTICATED"), so tests grep words. */
static const char *
code_name(int code)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
	    &kartoteka__error__code__descriptor, code);
	return v ? v->name : "UNKNOWN";
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Reads one response: 1 with *out set (caller frees), 0 when the server
 * closed the connection, -1 on timeout or a frame we cannot decode. Unlike
 * read_response, tells a close apart from a broken answer. */
static int
next_response(peer_t *p, Kartoteka__Response **out)
{
	const uint8_t *f;
	uint8_t plain[KT_FRAME_MAX];
	size_t n, plen;
	int rc = read_frame(p, &f, &n);

	*out = NULL;
	if (rc != 1)
		return rc;
	if (kt_noise_decrypt(&p->rx, NULL, 0, f, n, plain, &plen) != 0)
		return -1;
	*out = kartoteka__response__unpack(NULL, plen, plain);
	return *out ? 1 : -1;
}

static void
usage(void)
{
	fputs("usage: kt-rawpeer --config DIR MODE [ARGS]\n"
	    "modes: zero oversized truncated garbage stall SECONDS hold hangup\n"
	    "       bad-transport bad-protobuf unknown-op unenrolled-login\n"
	    "       stop-inflight PID LOGIN PASSWORD COUNT\n"
	    "       login-burst LOGIN PASSWORD COUNT\n"
	    "       list branch|user|terminal [CURSORHEX [LIMIT]]\n"
	    "       branch-add-many PREFIX COUNT ADDRESS\n"
	    "       silent after-msg1 refused slow-reader bad-enroll COUNT\n"
	    "       script [unenrolled]   (commands on stdin, see mode_script)\n",
	    stderr);
}

/* Sends req and reads its answer (NULL on close or error; caller frees). */
static Kartoteka__Response *
call(peer_t *p, Kartoteka__Request *req)
{
	if (send_request(p, req) != 0)
		return NULL;
	return read_response(p);
}

/* Resumes the session saved in cfg. 0 when the server took it. */
static int
resume(peer_t *p, const kt_config_t *cfg)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ResumeRequest rr = KARTOTEKA__RESUME_REQUEST__INIT;
	Kartoteka__Response *r;
	int rc = -1;

	if (!cfg->has_session)
		return -1;
	rr.token.data = (uint8_t *)cfg->session;
	rr.token.len = sizeof(cfg->session);
	req.id = 1;
	req.op_case = KARTOTEKA__REQUEST__OP_RESUME;
	req.resume = &rr;
	if ((r = call(p, &req)) != NULL) {
		rc = error_code(r) == 0 ? 0 : -1;
		kartoteka__response__free_unpacked(r, NULL);
	}
	return rc;
}

/* Hex digits to bytes; "" is no bytes. Returns the length, or -1. */
static long
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);

	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (long)(n / 2);
}

/* One admin list request with any cursor bytes, as a hostile client
 * would send it: prints "rows N next HEX" ("-" for none) or "error CODE
 * MESSAGE". Then pings: the connection must still serve. 1 when both
 * answers came. */
static int
mode_list(peer_t *p, const kt_config_t *cfg, const char *kind,
    const char *hex, uint32_t limit)
{
	static uint8_t cur[4096];
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__BranchListRequest bl = KARTOTEKA__BRANCH_LIST_REQUEST__INIT;
	Kartoteka__UserListRequest ul = KARTOTEKA__USER_LIST_REQUEST__INIT;
	Kartoteka__TerminalListRequest tl =
	    KARTOTEKA__TERMINAL_LIST_REQUEST__INIT;
	Kartoteka__PingRequest pr = KARTOTEKA__PING_REQUEST__INIT;
	ProtobufCBinaryData c = { 0, cur }, next = { 0, NULL };
	Kartoteka__Response *r;
	long n = unhex(hex, cur, sizeof(cur));
	size_t rows = 0;
	int ok = 0;

	if (n < 0) {
		fprintf(stderr, "kt-rawpeer: bad CURSORHEX\n");
		return 0;
	}
	c.len = (size_t)n;
	if (strcmp(kind, "branch") == 0) {
		bl.cursor = c;
		bl.limit = limit;
		bl.include_archived = 1;
		req.op_case = KARTOTEKA__REQUEST__OP_BRANCH_LIST;
		req.branch_list = &bl;
	} else if (strcmp(kind, "user") == 0) {
		ul.cursor = c;
		ul.limit = limit;
		ul.include_disabled = 1;
		req.op_case = KARTOTEKA__REQUEST__OP_USER_LIST;
		req.user_list = &ul;
	} else if (strcmp(kind, "terminal") == 0) {
		tl.cursor = c;
		tl.limit = limit;
		req.op_case = KARTOTEKA__REQUEST__OP_TERMINAL_LIST;
		req.terminal_list = &tl;
	} else {
		fprintf(stderr, "kt-rawpeer: unknown list '%s'\n", kind);
		return 0;
	}
	if (handshake(p, cfg, 1) != 0 || resume(p, cfg) != 0) {
		fprintf(stderr, "kt-rawpeer: cannot resume the session\n");
		return 0;
	}
	req.id = 2;
	if ((r = call(p, &req)) == NULL)
		return 0;
	if (error_code(r) != 0) {
		printf("error %d %s\n", error_code(r), r->error->message ?
		    r->error->message : "");
	} else {
		switch (r->result_case) {
		case KARTOTEKA__RESPONSE__RESULT_BRANCH_LIST:
			rows = r->branch_list->n_branches;
			next = r->branch_list->next_cursor;
			break;
		case KARTOTEKA__RESPONSE__RESULT_USER_LIST:
			rows = r->user_list->n_users;
			next = r->user_list->next_cursor;
			break;
		case KARTOTEKA__RESPONSE__RESULT_TERMINAL_LIST:
			rows = r->terminal_list->n_terminals;
			next = r->terminal_list->next_cursor;
			break;
		default:
			break;
		}
		printf("rows %zu next ", rows);
		for (size_t i = 0; i < next.len; i++)
			printf("%02x", next.data[i]);
		printf("%s\n", next.len == 0 ? "-" : "");
	}
	kartoteka__response__free_unpacked(r, NULL);
	req.id = 3;
	req.op_case = KARTOTEKA__REQUEST__OP_PING;
	req.ping = &pr;
	if ((r = call(p, &req)) != NULL) {
		ok = r->result_case == KARTOTEKA__RESPONSE__RESULT_PING;
		kartoteka__response__free_unpacked(r, NULL);
	}
	return ok;
}

/* COUNT branch adds (PREFIX-0001, ...), pipelined a window at a time so
 * that they commit in batches: for lists longer than a page, fast. 1 when
 * every one was added. */
static int
mode_branch_add_many(peer_t *p, const kt_config_t *cfg, const char *prefix,
    int count, const char *address)
{
	enum { WINDOW = 32 };	/* under the server's SRV_MAX_INFLIGHT */
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__BranchAddRequest ar = KARTOTEKA__BRANCH_ADD_REQUEST__INIT;
	char name[128];
	int added = 0;

	if (handshake(p, cfg, 1) != 0 || resume(p, cfg) != 0) {
		fprintf(stderr, "kt-rawpeer: cannot resume the session\n");
		return 0;
	}
	ar.name = name;
	ar.address = (char *)address;
	req.op_case = KARTOTEKA__REQUEST__OP_BRANCH_ADD;
	req.branch_add = &ar;
	for (int sent = 0; sent < count;) {
		int batch = count - sent < WINDOW ? count - sent : WINDOW;
		for (int i = 0; i < batch; i++) {
			snprintf(name, sizeof(name), "%.100s-%04d", prefix,
			    sent + i + 1);
			req.id = (uint64_t)(sent + i) + 10;
			if (send_request(p, &req) != 0)
				return 0;
		}
		for (int i = 0; i < batch; i++) {
			Kartoteka__Response *r = read_response(p);
			if (r == NULL)
				return 0;
			if (error_code(r) == 0)
				added++;
			else
				printf("error %d %s\n", error_code(r),
				    r->error->message ? r->error->message : "");
			kartoteka__response__free_unpacked(r, NULL);
		}
		sent += batch;
	}
	printf("added %d of %d\n", added, count);
	return added == count;
}

/* Over the connection limit the server accepts and closes at once: no
 * handshake answer, whatever we send. 1 when it closed without a frame. */
static int
mode_refused(peer_t *p, const kt_config_t *cfg)
{
	kt_noise_hs_t hs;
	uint8_t priv[32], pub[32], buf[KT_FRAME_MAX];
	const uint8_t *f;
	size_t n;
	int rc = -1;

	crypto_box_keypair(pub, priv);
	if (kt_noise_hs_init(&hs, KT_NOISE_XK, 1, (const uint8_t *)"kartoteka/1",
	    11, priv, cfg->server_key) != 0)
		goto out;
	/* The write may already fail (reset): what counts is what we read. */
	if (kt_noise_hs_write_message(&hs, NULL, 0, buf, sizeof(buf), &n) == 0)
		send_frame(p, buf, n);
	rc = read_frame(p, &f, &n);
	printf("%s\n", rc == 0 ? "closed without a handshake answer" :
	    rc == 1 ? "got a handshake answer" : "no answer, not closed");
out:
	kt_noise_hs_clear(&hs);
	sodium_memzero(priv, sizeof(priv));
	return rc == 0;
}

/* A peer that pipelines pings and never reads an answer. Our socket
 * buffers are tiny (see dial), so the server's answers pile up in its
 * write queue; past write_queue_max it must stop reading us, and then our
 * writes stop going through. Prints "blocked after N requests" once no
 * write has gone through for BLOCKED_MS, then waits for the server to
 * close the connection (it owes answers nobody reads) and prints "closed
 * by server after N requests, B bytes after blocking". 1 when both
 * happened and less than SLACK went through in between: the kernel on
 * the server side compacts its full receive queue now and then and takes
 * a few more kilobytes though nobody reads them, but a server that only
 * stalled (busy, or swapping its ever growing write queue) and read on
 * afterwards would take megabytes. */
static int
mode_slow_reader(peer_t *p, const kt_config_t *cfg)
{
	enum { BLOCKED_MS = 1000, GIVE_UP_MS = 90000, BATCH = 256,
	    FRAME = KT_FRAME_HDR + 64 + KT_NOISE_TAGLEN, SLACK = 1 << 20 };
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__PingRequest pr = KARTOTEKA__PING_REQUEST__INIT;
	static uint8_t chunk[BATCH * FRAME];
	uint8_t plain[64];
	size_t clen = 0, coff = 0, plen, elen;
	uint64_t deadline = mono_ms() + GIVE_UP_MS, progress = mono_ms();
	long sent = 0, after = 0;
	int blocked = 0, closed = 0;

	if (handshake(p, cfg, 1) != 0)
		return 0;
	if (fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) | O_NONBLOCK) != 0)
		return 0;
	req.op_case = KARTOTEKA__REQUEST__OP_PING;
	req.ping = &pr;
	while (mono_ms() < deadline) {
		ssize_t w;

		if (coff == clen) {
			/* The next BATCH pings, written together. */
			clen = coff = 0;
			for (int i = 0; i < BATCH; i++) {
				req.id = (uint64_t)sent + (uint64_t)i + 1;
				if (kartoteka__request__get_packed_size(&req) >
				    sizeof(plain))
					return 0;
				plen = kartoteka__request__pack(&req, plain);
				if (kt_noise_encrypt(&p->tx, NULL, 0, plain,
				    plen, chunk + clen + KT_FRAME_HDR,
				    &elen) != 0)
					return 0;
				kt_frame_put_header(chunk + clen, elen);
				clen += KT_FRAME_HDR + elen;
			}
		}
		w = write(p->fd, chunk + coff, clen - coff);
		if (w > 0) {
			progress = mono_ms();
			if (blocked)
				after += w;
			coff += (size_t)w;
			if (coff == clen)
				sent += BATCH;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { p->fd, POLLOUT, 0 };
			uint64_t stuck = mono_ms() - progress;
			int prc;

			if (!blocked && stuck >= BLOCKED_MS) {
				printf("blocked after %ld requests\n", sent);
				fflush(stdout);
				blocked = 1;
			}
			/* POLLOUT needs a third of the buffer free; a write
			 * may fit before that, so try again at least every
			 * BLOCKED_MS. */
			prc = poll(&pfd, 1, blocked || stuck >= BLOCKED_MS ?
			    BLOCKED_MS : (int)(BLOCKED_MS - stuck));
			if (prc > 0 && (pfd.revents & (POLLERR | POLLHUP)) != 0) {
				closed = 1;
				break;
			}
			continue;
		}
		/* EPIPE or ECONNRESET: the server closed the connection. */
		closed = 1;
		break;
	}
	printf("%s after %ld requests, %ld bytes after blocking\n", closed ?
	    "closed by server" : "still open", sent, after);
	return blocked && closed && after < SLACK;
}

/* COUNT enrolments with made-up tokens from a key that is not enrolled,
 * pipelined in a single write, as a guesser would send them. Reads answers
 * until the server closes and prints how many were refused how. 1 when
 * the server closed and every answer was UNAUTHENTICATED or RATE_LIMITED;
 * how many audit entries they cost is for the test to check. */
static int
mode_bad_enroll(peer_t *p, const kt_config_t *cfg, int count)
{
	enum { PLAIN_MAX = 128 };
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__EnrollRequest er = KARTOTEKA__ENROLL_REQUEST__INIT;
	Kartoteka__Response *r = NULL;
	uint8_t token[32], plain[PLAIN_MAX], *burst = NULL;
	size_t used = 0, plen, elen;
	char name[32];
	int unauth = 0, limited = 0, other = 0, rc, ok = 0;

	if (count < 1 || count > 1000) {
		fprintf(stderr, "kt-rawpeer: COUNT must be 1..1000\n");
		return 0;
	}
	burst = malloc((size_t)count * (KT_FRAME_HDR + PLAIN_MAX +
	    KT_NOISE_TAGLEN));
	if (burst == NULL || handshake(p, cfg, 0) != 0)
		goto out;
	er.token.data = token;
	er.token.len = sizeof(token);
	er.name = name;
	req.op_case = KARTOTEKA__REQUEST__OP_ENROLL;
	req.enroll = &er;
	for (int i = 0; i < count; i++) {
		randombytes_buf(token, sizeof(token));
		snprintf(name, sizeof(name), "guess-%d", i + 1);
		req.id = (uint64_t)i + 1;
		if (kartoteka__request__get_packed_size(&req) > sizeof(plain))
			goto out;
		plen = kartoteka__request__pack(&req, plain);
		if (kt_noise_encrypt(&p->tx, NULL, 0, plain, plen,
		    burst + used + KT_FRAME_HDR, &elen) != 0)
			goto out;
		kt_frame_put_header(burst + used, elen);
		used += KT_FRAME_HDR + elen;
	}
	/* One write: every request is in the server's first read. A failed
	 * write means the server closed early; the answers still tell. */
	write_all(p->fd, burst, used);
	while ((rc = next_response(p, &r)) == 1) {
		switch (error_code(r)) {
		case KARTOTEKA__ERROR__CODE__UNAUTHENTICATED:
			unauth++;
			break;
		case KARTOTEKA__ERROR__CODE__RATE_LIMITED:
			limited++;
			break;
		default:
			other++;
		}
		kartoteka__response__free_unpacked(r, NULL);
	}
	printf("sent %d: unauthenticated %d rate_limited %d other %d, %s\n",
	    count, unauth, limited, other, rc == 0 ? "closed by server" :
	    "not closed");
	ok = rc == 0 && other == 0;
out:
	free(burst);
	return ok;
}

/* Sends one request of kind op (ping, whoami, logout, resume with cfg's
 * saved session) and reads its answer: next_response's result. */
static int
script_call(peer_t *p, const kt_config_t *cfg, Kartoteka__Request__OpCase op,
    uint64_t id, Kartoteka__Response **out)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__PingRequest pr = KARTOTEKA__PING_REQUEST__INIT;
	Kartoteka__WhoamiRequest wr = KARTOTEKA__WHOAMI_REQUEST__INIT;
	Kartoteka__LogoutRequest lr = KARTOTEKA__LOGOUT_REQUEST__INIT;
	Kartoteka__ResumeRequest rr = KARTOTEKA__RESUME_REQUEST__INIT;

	req.id = id;
	req.op_case = op;
	switch (op) {
	case KARTOTEKA__REQUEST__OP_PING:
		req.ping = &pr;
		break;
	case KARTOTEKA__REQUEST__OP_WHOAMI:
		req.whoami = &wr;
		break;
	case KARTOTEKA__REQUEST__OP_LOGOUT:
		req.logout = &lr;
		break;
	case KARTOTEKA__REQUEST__OP_RESUME:
		/* Without a saved session, an empty token: the server's
		 * refusal is then the answer to print. */
		rr.token.data = (uint8_t *)cfg->session;
		rr.token.len = cfg->has_session ? sizeof(cfg->session) : 0;
		req.resume = &rr;
		break;
	default:
		return -1;
	}
	*out = NULL;
	if (send_request(p, &req) != 0)
		return 0; /* the server hung up before we could ask */
	return next_response(p, out);
}

/* Runs one script command. 1 to go on, 0 when the mode is over (a close
 * by the server, quit, logout-close), -1 on a protocol or usage error. */
static int
script_command(peer_t *p, const kt_config_t *cfg, char *line, uint64_t *id)
{
	static const struct {
		const char *word;
		Kartoteka__Request__OpCase op;
	} simple[] = {
		{ "ping", KARTOTEKA__REQUEST__OP_PING },
		{ "whoami", KARTOTEKA__REQUEST__OP_WHOAMI },
		{ "logout", KARTOTEKA__REQUEST__OP_LOGOUT },
		{ "resume", KARTOTEKA__REQUEST__OP_RESUME },
	};
	Kartoteka__Response *r = NULL;
	unsigned ms, count;
	int rc;

	if (strcmp(line, "quit") == 0)
		return 0;
	if (strcmp(line, "logout-close") == 0) {
		/* Ask for the logout and hang up at once: the answer comes to
		 * a connection that is gone. */
		Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
		Kartoteka__LogoutRequest lr = KARTOTEKA__LOGOUT_REQUEST__INIT;
		req.id = (*id)++;
		req.op_case = KARTOTEKA__REQUEST__OP_LOGOUT;
		req.logout = &lr;
		rc = send_request(p, &req);
		close(p->fd);
		p->fd = -1;
		printf("logout sent, %s\n", rc == 0 ? "closed" : "write failed");
		return rc == 0 ? 0 : -1;
	}
	if (sscanf(line, "ping-every %u %u", &ms, &count) == 2) {
		/* A keep-alive: COUNT pings, MS apart, each answered. */
		struct timespec gap = { ms / 1000, (long)(ms % 1000) * 1000000L };
		for (unsigned i = 0; i < count; i++) {
			rc = script_call(p, cfg, KARTOTEKA__REQUEST__OP_PING,
			    (*id)++, &r);
			if (rc != 1 || r->result_case !=
			    KARTOTEKA__RESPONSE__RESULT_PING) {
				if (r)
					kartoteka__response__free_unpacked(r,
					    NULL);
				printf("%s after %u pings\n", rc == 0 ?
				    "closed by server" : "bad answer", i);
				return rc == 0 ? 0 : -1;
			}
			kartoteka__response__free_unpacked(r, NULL);
			nanosleep(&gap, NULL);
		}
		printf("pinged %u\n", count);
		return 1;
	}
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (strcmp(line, simple[i].word) != 0)
			continue;
		rc = script_call(p, cfg, simple[i].op, (*id)++, &r);
		if (rc == 0) {
			printf("closed by server\n");
			return 0;
		}
		if (rc < 0 || r == NULL) {
			printf("%s: no answer\n", line);
			return -1;
		}
		if (error_code(r) != 0)
			printf("%s error %s %s\n", line,
			    code_name(error_code(r)),
			    r->error->message ? r->error->message : "");
		else if (r->result_case == KARTOTEKA__RESPONSE__RESULT_WHOAMI)
			printf("%s ok %s\n", line, r->whoami->user &&
			    r->whoami->user->login ? r->whoami->user->login :
			    "?");
		else
			printf("%s ok\n", line);
		kartoteka__response__free_unpacked(r, NULL);
		return 1;
	}
	printf("unknown command '%s'\n", line);
	return -1;
}

/* Commands from stdin, one a line, on one connection kept open between
 * them, for tests that must act while it waits: a second connection of
 * a session, an idle connection, a keep-alive. Commands: resume (the
 * session saved in the config), ping, whoami, logout, logout-close (send
 * logout and hang up without reading the answer), ping-every MS COUNT,
 * quit. Each prints one line, flushed. While waiting for a line it also
 * watches the socket: a close by the server prints "closed by server".
 * End of input is quit. 1 unless the server broke the protocol. */
static int
mode_script(peer_t *p, const kt_config_t *cfg, int use_terminal)
{
	char line[512];
	size_t have = 0;
	uint64_t id = 1;
	int rc = 1;

	if (handshake(p, cfg, use_terminal) != 0) {
		printf("handshake failed\n");
		return 0;
	}
	printf("connected\n");
	fflush(stdout);
	while (rc > 0) {
		char *nl = memchr(line, '\n', have);

		if (nl != NULL) {
			size_t len = (size_t)(nl - line) + 1;
			*nl = '\0';
			rc = script_command(p, cfg, line, &id);
			fflush(stdout);
			memmove(line, line + len, have - len);
			have -= len;
			continue;
		}
		struct pollfd pfd[2] = { { 0, POLLIN, 0 }, { p->fd, POLLIN, 0 } };
		if (have == sizeof(line)) {
			printf("command line too long\n");
			return 0;
		}
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		if (pfd[1].revents != 0) {
			/* Nothing is owed to us between commands: this is the
			 * server closing the connection, or a protocol error. */
			const uint8_t *f;
			size_t n;
			int frc = read_frame(p, &f, &n);
			printf("%s\n", frc == 0 ? "closed by server" :
			    "unexpected data from the server");
			fflush(stdout);
			return frc == 0;
		}
		if (pfd[0].revents != 0) {
			ssize_t n = read(0, line + have, sizeof(line) - have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break; /* end of input: quit */
			have += (size_t)n;
		}
	}
	return rc >= 0;
}

int
main(int argc, char **argv)
{
	kt_config_t cfg;
	const char *why = NULL, *mode;
	peer_t *p = NULL;
	int ok = 0;

	if (argc < 4 || strcmp(argv[1], "--config") != 0) {
		usage();
		return 2;
	}
	if (sodium_init() < 0 || kt_config_load(&cfg, argv[2], &why) != 0 ||
	    !cfg.has_server) {
		fprintf(stderr, "kt-rawpeer: cannot load config %s: %s\n",
		    argv[2], why ? why : "no server file");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	mode = argv[3];
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return 2;
	/* Only the slow reader wants tiny socket buffers. */
	p->fd = dial(cfg.address, strcmp(mode, "slow-reader") == 0 ? 4096 : 0);
	if (p->fd < 0) {
		fprintf(stderr, "kt-rawpeer: cannot connect to %s\n", cfg.address);
		free(p);
		return 1;
	}

	if (strcmp(mode, "zero") == 0) {
		uint8_t z[2] = { 0, 0 };
		write_all(p->fd, z, 2);
		ok = expect_close(p);
	} else if (strcmp(mode, "oversized") == 0) {
		/* The largest frame there is, as handshake message 1: far
		 * longer than the 48 bytes message 1 has. */
		uint8_t *junk = calloc(1, 65535);
		if (junk) {
			randombytes_buf(junk, 65535);
			send_frame(p, junk, 65535);
			free(junk);
		}
		ok = expect_close(p);
	} else if (strcmp(mode, "truncated") == 0) {
		uint8_t part[12] = { 0, 100 };
		write_all(p->fd, part, sizeof(part));
		shutdown(p->fd, SHUT_WR);
		ok = expect_close(p);
	} else if (strcmp(mode, "garbage") == 0) {
		uint8_t junk[48];
		randombytes_buf(junk, sizeof(junk));
		send_frame(p, junk, sizeof(junk));
		ok = expect_close(p);
	} else if (strcmp(mode, "stall") == 0 && argc > 4) {
		/* Half a handshake message, then silence: the server must
		 * keep serving others meanwhile. */
		uint8_t part[10] = { 0, 48, 1, 2, 3 };
		write_all(p->fd, part, sizeof(part));
		printf("stalling\n");
		fflush(stdout);
		sleep((unsigned)atoi(argv[4]));
		ok = 1;
	} else if (strcmp(mode, "hangup") == 0) {
		/* Thousands of pipelined pings, then a hang-up without reading
		 * a single answer: the server's writes meet a reset socket
		 * (EPIPE), which must not take the process down. */
		Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
		Kartoteka__PingRequest pr = KARTOTEKA__PING_REQUEST__INIT;
		if (handshake(p, &cfg, 1) == 0) {
			req.op_case = KARTOTEKA__REQUEST__OP_PING;
			req.ping = &pr;
			for (int i = 0; i < 20000; i++) {
				req.id = (uint64_t)i + 1;
				if (send_request(p, &req) != 0)
					break;
			}
			/* Closing with answers unread makes our kernel send a
			 * reset while the server is still answering the
			 * frames it has read: its next writes fail (EPIPE). */
			ok = 1;
		}
	} else if (strcmp(mode, "hold") == 0) {
		/* An enrolled terminal's open connection: ping once, say so,
		 * then wait for the server to close it (revocation). */
		Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
		Kartoteka__PingRequest pr = KARTOTEKA__PING_REQUEST__INIT;
		if (handshake(p, &cfg, 1) == 0) {
			Kartoteka__Response *r;
			req.id = 1;
			req.op_case = KARTOTEKA__REQUEST__OP_PING;
			req.ping = &pr;
			send_request(p, &req);
			r = read_response(p);
			if (r) {
				printf("connected, enrolled=%d\n",
				    r->result_case ==
				    KARTOTEKA__RESPONSE__RESULT_PING &&
				    r->ping->enrolled);
				fflush(stdout);
				kartoteka__response__free_unpacked(r, NULL);
				ok = expect_close(p);
			}
		}
	} else if (strcmp(mode, "bad-transport") == 0) {
		uint8_t junk[64];
		if (handshake(p, &cfg, 1) == 0) {
			randombytes_buf(junk, sizeof(junk));
			send_frame(p, junk, sizeof(junk));
			ok = expect_close(p);
		}
	} else if (strcmp(mode, "bad-protobuf") == 0 ||
	    strcmp(mode, "unknown-op") == 0) {
		uint8_t junk[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0xff, 0xff };
		Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
		if (handshake(p, &cfg, 1) == 0) {
			Kartoteka__Response *r;
			if (mode[0] == 'b') {
				send_plain(p, junk, sizeof(junk));
			} else {
				req.id = 7;
				send_request(p, &req);
			}
			r = read_response(p);
			if (r) {
				printf("error %d %s\n", error_code(r),
				    r->error && r->error->message ?
				    r->error->message : "");
				ok = error_code(r) ==
				    KARTOTEKA__ERROR__CODE__BAD_REQUEST;
				kartoteka__response__free_unpacked(r, NULL);
			}
			ok = ok && expect_close(p);
		}
	} else if (strcmp(mode, "unenrolled-login") == 0) {
		Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
		Kartoteka__LoginRequest lr = KARTOTEKA__LOGIN_REQUEST__INIT;
		if (handshake(p, &cfg, 0) == 0) {
			Kartoteka__Response *r;
			req.id = 1;
			req.op_case = KARTOTEKA__REQUEST__OP_LOGIN;
			lr.login = "owner";
			lr.password = "whatever1";
			req.login = &lr;
			send_request(p, &req);
			r = read_response(p);
			if (r) {
				printf("error %d %s\n", error_code(r),
				    r->error && r->error->message ?
				    r->error->message : "");
				ok = error_code(r) ==
				    KARTOTEKA__ERROR__CODE__UNAUTHENTICATED;
				kartoteka__response__free_unpacked(r, NULL);
			}
			ok = ok && expect_close(p);
		}
	} else if (strcmp(mode, "login-burst") == 0 && argc > 6) {
		/* COUNT logins pipelined on one connection: prints how many
		 * were evaluated (UNAUTHENTICATED) and how many refused
		 * (RATE_LIMITED); anything else is unexpected. */
		int count = atoi(argv[6]), unauth = 0, limited = 0, other = 0;
		Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
		Kartoteka__LoginRequest lr = KARTOTEKA__LOGIN_REQUEST__INIT;
		if (handshake(p, &cfg, 1) == 0) {
			lr.login = argv[4];
			lr.password = argv[5];
			for (int i = 0; i < count; i++) {
				req.id = (uint64_t)i + 1;
				req.op_case = KARTOTEKA__REQUEST__OP_LOGIN;
				req.login = &lr;
				send_request(p, &req);
			}
			for (int i = 0; i < count; i++) {
				Kartoteka__Response *r = read_response(p);
				if (r == NULL)
					break;
				switch (error_code(r)) {
				case KARTOTEKA__ERROR__CODE__UNAUTHENTICATED:
					unauth++;
					break;
				case KARTOTEKA__ERROR__CODE__RATE_LIMITED:
					limited++;
					break;
				default:
					other++;
				}
				kartoteka__response__free_unpacked(r, NULL);
			}
			printf("unauthenticated %d rate_limited %d other %d\n",
			    unauth, limited, other);
			ok = unauth + limited == count && other == 0;
		}
	} else if (strcmp(mode, "stop-inflight") == 0 && argc > 7) {
		/* COUNT logins, then a ping; once the ping is answered the
		 * server has read every login. Then SIGTERM: the first login
		 * (in flight on the thread pool) must still be answered OK
		 * before the server closes; the others were refused at once,
		 * one login per connection at a time. */
		pid_t pid = (pid_t)atoi(argv[4]);
		int count = atoi(argv[7]), answered = 0, pinged = 0, refused = 0;
		Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
		Kartoteka__LoginRequest lr = KARTOTEKA__LOGIN_REQUEST__INIT;
		Kartoteka__PingRequest pr = KARTOTEKA__PING_REQUEST__INIT;
		if (handshake(p, &cfg, 1) == 0) {
			Kartoteka__Response *r;
			lr.login = argv[5];
			lr.password = argv[6];
			for (int i = 0; i < count; i++) {
				req.id = (uint64_t)i + 1;
				req.op_case = KARTOTEKA__REQUEST__OP_LOGIN;
				req.login = &lr;
				send_request(p, &req);
			}
			req.id = 1000;
			req.op_case = KARTOTEKA__REQUEST__OP_PING;
			req.ping = &pr;
			send_request(p, &req);
			while ((r = read_response(p)) != NULL) {
				if (r->id == 1000 && !pinged) {
					pinged = 1;
					kill(pid, SIGTERM);
				} else if (r->id == 1 && error_code(r) == 0) {
					answered++;
				} else if (r->id >= 2 && r->id <= (uint64_t)count &&
				    error_code(r) ==
				    KARTOTEKA__ERROR__CODE__RATE_LIMITED) {
					refused++;
				}
				kartoteka__response__free_unpacked(r, NULL);
			}
			printf("pinged %d, first login answered %d, pipelined "
			    "logins refused %d of %d\n", pinged, answered,
			    refused, count - 1);
			ok = pinged && answered == 1 && refused == count - 1;
		}
	} else if (strcmp(mode, "list") == 0 && argc > 4) {
		ok = mode_list(p, &cfg, argv[4], argc > 5 ? argv[5] : "",
		    argc > 6 ? (uint32_t)strtoul(argv[6], NULL, 10) : 0);
	} else if (strcmp(mode, "branch-add-many") == 0 && argc > 6) {
		ok = mode_branch_add_many(p, &cfg, argv[4], atoi(argv[5]),
		    argv[6]);
	} else if (strcmp(mode, "silent") == 0) {
		/* Connected, and not a byte: the handshake time-out ends it. */
		ok = expect_close(p);
	} else if (strcmp(mode, "after-msg1") == 0) {
		/* Message 1 sent and message 2 read, then silence where
		 * message 3 should be. */
		if (handshake_to(p, &cfg, 1, 0) == 0)
			ok = expect_close(p);
	} else if (strcmp(mode, "refused") == 0) {
		ok = mode_refused(p, &cfg);
	} else if (strcmp(mode, "slow-reader") == 0) {
		ok = mode_slow_reader(p, &cfg);
	} else if (strcmp(mode, "bad-enroll") == 0 && argc > 4) {
		ok = mode_bad_enroll(p, &cfg, atoi(argv[4]));
	} else if (strcmp(mode, "script") == 0) {
		ok = mode_script(p, &cfg, !(argc > 4 &&
		    strcmp(argv[4], "unenrolled") == 0));
	} else {
		usage();
		ok = -1;
	}
	if (ok >= 0)
		printf("%s: %s\n", mode, ok ? "as expected" : "UNEXPECTED");
	if (p->fd >= 0)
		close(p->fd);
	kt_noise_cipher_clear(&p->tx);
	kt_noise_cipher_clear(&p->rx);
	free(p);
	kt_config_clear(&cfg);
	return ok < 0 ? 2 : ok ? 0 : 1;
}
