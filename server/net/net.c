/* SPDX-License-Identifier: MIT */
/* The server's event loop: accepting connections, framing, the Noise XK
 * handshake as responder, encrypted transport, limits and graceful stop. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "model/audit.h"
#include "kt_error.h"
#include "server.h"

#define PROLOGUE "kartoteka/1"
#define PROLOGUE_LEN 11u

/* Scratch buffers of the loop thread: one frame in, one frame out. */
typedef struct net_scratch {
	uint8_t plain[KT_FRAME_MAX];
	char readbuf[65536];
	kt_arena_t arena;         /* decoded Request; reset after each one */
} net_scratch_t;

/* A request's decoded form lives in the arena: 128 KiB covers every
 * legitimate request; the 1 MiB limit bounds what a hostile one (many
 * tiny repeated fields) can make the decoder allocate. */
#define ARENA_BLOCK (128u * 1024u)
#define ARENA_LIMIT (1024u * 1024u)
static_assert(sizeof(((net_scratch_t *)0)->plain) == KT_FRAME_MAX, "frame");

static net_scratch_t *
scratch(const kt_server_t *srv)
{
	return srv->scratch;
}

void
kt_server_opts_default(kt_server_opts_t *o)
{
	memset(o, 0, sizeof(*o));
	o->listen = "127.0.0.1:7700";
	o->max_conns = 1024;
	o->handshake_timeout_ms = 10000;
	o->idle_timeout_ms = 600000;
	o->write_queue_max = 1u << 20;
	o->session_ttl_s = 12 * 3600;
	o->login_delay_after = 3;
	o->login_delay_max_ms = 8000;
	o->lockout_after = 10;
	o->lockout_s = 900;
	o->enroll_failures_per_min = 10;
	o->stop_grace_ms = 10000;
	o->phone_country = "7";
}

/* ------------------------------------------------------------------ */
/* connection lifetime                                                 */
/* ------------------------------------------------------------------ */

#define maybe_finish_stop srv_maybe_finish_stop
static void update_reading(srv_conn_t *c);

int
srv_conn_alive(const srv_conn_t *c)
{
	return c->phase != SRV_CLOSING;
}

void
srv_conn_ref(srv_conn_t *c)
{
	c->refs++;
}

static void
conn_free(srv_conn_t *c)
{
	kt_server_t *srv = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
	kt_noise_hs_clear(&c->hs);
	kt_noise_cipher_clear(&c->tx);
	kt_noise_cipher_clear(&c->rx);
	sodium_memzero(c->session_hash, sizeof(c->session_hash));
	free(c->rd);
	free(c);
	maybe_finish_stop(srv);
}

void
srv_conn_unref(srv_conn_t *c)
{
	if (--c->refs == 0) {
		conn_free(c);
		return;
	}
	if (c->phase == SRV_READY) {
		update_reading(c);
		/* A draining server closes a connection once it is idle. */
		if (c->srv->stopping && c->refs == 1)
			srv_close(c, 1);
	}
}

static void
on_conn_closed(uv_handle_t *h)
{
	srv_conn_unref(h->data);
}

static void
conn_close_now(srv_conn_t *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->tcp))
		uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

void
srv_close(srv_conn_t *c, int flush)
{
	if (c->phase == SRV_CLOSING && !c->close_after_flush)
		return;
	c->phase = SRV_CLOSING;
	if (c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = 0;
	}
	if (flush && c->write_queued > 0) {
		c->close_after_flush = 1;
		return;
	}
	c->close_after_flush = 0;
	conn_close_now(c);
}

/* ------------------------------------------------------------------ */
/* writing                                                             */
/* ------------------------------------------------------------------ */

typedef struct net_write {
	uv_write_t req;
	srv_conn_t *c;
	size_t len;
	uint8_t data[];
} net_write_t;

static void
on_write(uv_write_t *req, int status)
{
	net_write_t *w = (net_write_t *)req;
	srv_conn_t *c = w->c;

	c->write_queued -= w->len;
	c->write_progress_ms = uv_now(c->srv->loop);
	free(w);
	if (status < 0 && c->phase != SRV_CLOSING)
		srv_close(c, 0);
	else if (c->close_after_flush && c->write_queued == 0) {
		c->close_after_flush = 0;
		conn_close_now(c);
	} else if (c->phase == SRV_READY)
		update_reading(c);
	srv_conn_unref(c);
}

/* Queues one frame (header added here). Returns 0 or KT_ETOOBIG/ENOMEM. */
static int
send_frame(srv_conn_t *c, const uint8_t *body, size_t len)
{
	net_write_t *w = NULL;
	uv_buf_t buf;
	int rc;

	if (len == 0 || len > KT_FRAME_MAX)
		return KT_ETOOBIG;
	w = malloc(sizeof(*w) + KT_FRAME_HDR + len);
	if (w == NULL)
		return KT_ENOMEM;
	kt_frame_put_header(w->data, len);
	memcpy(w->data + KT_FRAME_HDR, body, len);
	w->c = c;
	w->len = KT_FRAME_HDR + len;
	buf = uv_buf_init((char *)w->data, (unsigned)w->len);
	rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write);
	if (rc < 0) {
		free(w);
		return KT_EIO;
	}
	if (c->write_queued == 0)
		c->write_progress_ms = uv_now(c->srv->loop);
	c->write_queued += w->len;
	srv_conn_ref(c);
	update_reading(c);
	return 0;
}

void
srv_send(srv_conn_t *c, const Kartoteka__Response *resp)
{
	uint8_t *plain = scratch(c->srv)->plain;
	size_t plen;

	if (c->phase != SRV_READY)
		return;
	plen = kartoteka__response__get_packed_size(resp);
	if (plen > KT_FRAME_MAX - KT_NOISE_TAGLEN) {
		/* A handler built an answer that does not fit: a bug, not the
		 * client's fault. Tell the client instead of dropping. */
		fprintf(stderr, "%s: response %" PRIu64 " too large (%zu)\n",
		    __func__, resp->id, plen);
		srv_send_error(c, resp->id, KARTOTEKA__ERROR__CODE__INTERNAL,
		    "response too large", 0);
		return;
	}
	kartoteka__response__pack(resp, plain);
	srv_send_packed(c, resp->id, plain, plen);
	sodium_memzero(plain, plen);
}

void
srv_send_packed(srv_conn_t *c, uint64_t id, const uint8_t *packed,
    size_t len)
{
	size_t outlen = 0;
	uint8_t *out;
	int rc;

	if (c->phase != SRV_READY)
		return;
	if (len > KT_FRAME_MAX - KT_NOISE_TAGLEN) {
		fprintf(stderr, "%s: response %" PRIu64 " too large (%zu)\n",
		    __func__, id, len);
		srv_send_error(c, id, KARTOTEKA__ERROR__CODE__INTERNAL,
		    "response too large", 0);
		return;
	}
	out = malloc(len + KT_NOISE_TAGLEN);
	if (out == NULL) {
		srv_close(c, 0);
		return;
	}
	rc = kt_noise_encrypt(&c->tx, NULL, 0, packed, len, out, &outlen);
	if (rc == 0)
		rc = send_frame(c, out, outlen);
	free(out);
	if (rc != 0)
		srv_close(c, rc == KT_ENONCE ? 1 : 0);
	else if (c->tx.n >= KT_NOISE_NONCE_MAX - 1)
		srv_close(c, 1); /* nonces never wrap: this was the last one */
}

void
srv_send_error(srv_conn_t *c, uint64_t id, Kartoteka__Error__Code code,
    const char *message, int close_after)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__Error err = KARTOTEKA__ERROR__INIT;

	err.code = code;
	err.message = (char *)message;
	resp.id = id;
	resp.error = &err;
	srv_send(c, &resp);
	if (close_after)
		srv_close(c, 1);
}

/* ------------------------------------------------------------------ */
/* reading                                                             */
/* ------------------------------------------------------------------ */

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	srv_conn_t *c = h->data;
	(void)suggested;
	*buf = uv_buf_init(scratch(c->srv)->readbuf,
	    sizeof(scratch(c->srv)->readbuf));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* Reading runs unless the peer has too many replies unsent: then the
 * kernel's buffers push back on it. (Requests that need async work are
 * capped per connection by the handlers, which answer RATE_LIMITED past
 * SRV_MAX_INFLIGHT, so one read buffer cannot start unbounded work.) */
static void
update_reading(srv_conn_t *c)
{
	const kt_server_opts_t *o = &c->srv->opts;
	int want;

	if (c->phase == SRV_CLOSING || c->srv->stopping) {
		want = 0;
	} else if (c->read_paused) {
		want = c->write_queued <= o->write_queue_max / 4;
	} else {
		want = c->write_queued <= o->write_queue_max;
	}
	if (want && !c->reading) {
		if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
			c->reading = 1;
		c->read_paused = 0;
	} else if (!want && c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = 0;
		c->read_paused = 1;
	}
}

static void
handshake_msg1(srv_conn_t *c, const uint8_t *frame, size_t len)
{
	uint8_t payload[KT_FRAME_MAX];
	uint8_t out[KT_FRAME_MAX];
	uint8_t hello_buf[256];
	Kartoteka__ServerHello hello = KARTOTEKA__SERVER_HELLO__INIT;
	size_t paylen = 0, outlen = 0, hlen;

	if (kt_noise_hs_read_message(&c->hs, frame, len, payload,
	    sizeof(payload), &paylen) != 0 || paylen != 0) {
		srv_close(c, 0);
		return;
	}
	hello.server_version = KT_SERVER_VERSION;
	hello.protocol_version = 1;
	hlen = kartoteka__server_hello__pack(&hello, hello_buf);
	if (kt_noise_hs_write_message(&c->hs, hello_buf, hlen, out,
	    sizeof(out), &outlen) != 0 || send_frame(c, out, outlen) != 0) {
		srv_close(c, 0);
		return;
	}
	c->phase = SRV_HS_MSG3;
}

static void
handshake_msg3(srv_conn_t *c, const uint8_t *frame, size_t len)
{
	uint8_t payload[KT_FRAME_MAX];
	size_t paylen = 0;
	Kartoteka__ClientHello *hello = NULL;

	if (kt_noise_hs_read_message(&c->hs, frame, len, payload,
	    sizeof(payload), &paylen) != 0)
		goto fail;
	hello = kartoteka__client_hello__unpack(NULL, paylen, payload);
	if (hello == NULL)
		goto fail;
	if (kt_noise_hs_remote_static(&c->hs, c->term_key) != 0 ||
	    kt_noise_hs_split(&c->hs, &c->tx, &c->rx, NULL) != 0)
		goto fail;
	kt_noise_hs_clear(&c->hs);
	if (auth_check_terminal(c->srv, c) != 0)
		goto fail; /* revoked: the handshake is refused */
	c->phase = SRV_READY;
	kartoteka__client_hello__free_unpacked(hello, NULL);
	return;
fail:
	if (hello)
		kartoteka__client_hello__free_unpacked(hello, NULL);
	srv_close(c, 0);
}

static void
transport_frame(srv_conn_t *c, const uint8_t *frame, size_t len)
{
	uint8_t *plain = scratch(c->srv)->plain;
	size_t plen = 0;
	Kartoteka__Request *req = NULL;

	if (kt_noise_decrypt(&c->rx, NULL, 0, frame, len, plain, &plen) != 0) {
		/* Failed authentication: nothing we send could be trusted
		 * by the peer either; drop the connection. */
		srv_close(c, 0);
		return;
	}
	req = kartoteka__request__unpack(&scratch(c->srv)->arena.pb, plen,
	    plain);
	sodium_memzero(plain, plen);
	if (req == NULL) {
		kt_arena_reset(&scratch(c->srv)->arena);
		srv_send_error(c, 0, KARTOTEKA__ERROR__CODE__BAD_REQUEST,
		    "request is not a valid protobuf Request", 1);
		return;
	}
	if (req->op_case == KARTOTEKA__REQUEST__OP__NOT_SET) {
		srv_send_error(c, req->id, KARTOTEKA__ERROR__CODE__BAD_REQUEST,
		    "unknown op", 1);
	} else {
		/* Only enrolled terminals earn a long idle time: a key that is
		 * not enrolled gets the handshake timeout, pings or not. */
		if (c->enrolled)
			c->last_active_ms = uv_now(c->srv->loop);
		auth_dispatch(c, req);
	}
	/* Handlers copied what they keep; the request's memory goes now.
	 * (Passwords in it are wiped by the handler that used them.) */
	kt_arena_reset(&scratch(c->srv)->arena);
	if (c->rx.n >= KT_NOISE_NONCE_MAX - 1)
		srv_close(c, 1);
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	srv_conn_t *c = s->data;
	const uint8_t *p = (const uint8_t *)buf->base;
	size_t left;

	if (nread < 0) {
		/* A peer that half-closes after its requests still gets the
		 * answers to those already read. */
		srv_close(c, nread == UV_EOF);
		return;
	}
	left = (size_t)nread;
	/* The connection may close itself while frames are being handled;
	 * hold it so the loop below never touches freed memory. */
	srv_conn_ref(c);
	while (left > 0 && c->phase != SRV_CLOSING) {
		const uint8_t *frame = NULL;
		size_t used = 0, flen = 0;
		int rc = kt_frame_reader_feed(c->rd, p, left, &used, &frame,
		    &flen);

		p += used;
		left -= used;
		if (rc < 0) {
			/* Zero-length frame: a protocol error. */
			if (c->phase == SRV_READY)
				srv_send_error(c, 0,
				    KARTOTEKA__ERROR__CODE__BAD_REQUEST,
				    "zero-length frame", 1);
			else
				srv_close(c, 0);
			break;
		}
		if (rc == 0)
			break;
		switch (c->phase) {
		case SRV_HS_MSG1:
			handshake_msg1(c, frame, flen);
			break;
		case SRV_HS_MSG3:
			handshake_msg3(c, frame, flen);
			break;
		case SRV_READY:
			transport_frame(c, frame, flen);
			break;
		case SRV_CLOSING:
			break;
		}
		/* Paused for backpressure: the rest of this read buffer is
		 * still ours to handle; the kernel holds what follows. */
	}
	srv_conn_unref(c);
}

/* ------------------------------------------------------------------ */
/* accepting                                                           */
/* ------------------------------------------------------------------ */

static void
on_reject_closed(uv_handle_t *h)
{
	kt_server_t *srv = h->data;

	if (h == (uv_handle_t *)&srv->spare)
		srv->spare_busy = 0;
	else
		free(h);
}

/* Accepts the pending connection and closes it at once. libuv stops
 * watching a listener whose connection was not accepted, so every path of
 * on_connection must accept; without memory for a handle, the socket is
 * taken with the spare reserved at start-up. */
static void
reject_connection(kt_server_t *srv, uv_stream_t *server)
{
	uv_tcp_t *t = malloc(sizeof(*t));

	if (t == NULL) {
		if (srv->spare_busy)
			return; /* nothing left: the listener stalls */
		t = &srv->spare;
		srv->spare_busy = 1;
	}
	if (uv_tcp_init(srv->loop, t) != 0) {
		if (t == &srv->spare)
			srv->spare_busy = 0;
		else
			free(t);
		return;
	}
	t->data = srv;
	uv_accept(server, (uv_stream_t *)t);
	uv_close((uv_handle_t *)t, on_reject_closed);
}

static void
on_connection(uv_stream_t *server, int status)
{
	kt_server_t *srv = server->data;
	srv_conn_t *c = NULL;
	int namelen = sizeof(c->peer);

	if (status < 0) {
		fprintf(stderr, "%s: accept: %s\n", __func__, uv_strerror(status));
		return;
	}
	if (srv->stopping || srv->nconns >= srv->opts.max_conns) {
		if (!srv->stopping)
			fprintf(stderr, "%s: refusing connection: %u "
			    "connections is the limit\n", __func__,
			    srv->opts.max_conns);
		reject_connection(srv, server);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c != NULL)
		c->rd = malloc(sizeof(*c->rd));
	if (c == NULL || c->rd == NULL ||
	    uv_tcp_init(srv->loop, &c->tcp) != 0) {
		if (c)
			free(c->rd);
		free(c);
		reject_connection(srv, server);
		return;
	}
	kt_frame_reader_reset(c->rd);
	c->srv = srv;
	c->tcp.data = c;
	c->refs = 1;
	c->phase = SRV_HS_MSG1;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	c->opened_ms = c->last_active_ms = uv_now(srv->loop);
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
	    kt_noise_hs_init(&c->hs, KT_NOISE_XK, 0,
		(const uint8_t *)PROLOGUE, PROLOGUE_LEN, srv->static_priv,
		NULL) != 0) {
		srv_close(c, 0);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->peer, &namelen);
	update_reading(c);
}

/* ------------------------------------------------------------------ */
/* timers, signals, stop                                               */
/* ------------------------------------------------------------------ */

static void
on_tick(uv_timer_t *t)
{
	kt_server_t *srv = t->data;
	uint64_t now = uv_now(srv->loop);
	srv_conn_t *c, *next;

	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		if (c->phase == SRV_CLOSING) {
			/* Closing after a flush the peer never reads. */
			if (c->close_after_flush && (srv->stopping ?
			    now >= srv->stop_deadline_ms :
			    now - c->write_progress_ms >=
			    srv->opts.handshake_timeout_ms))
				srv_close(c, 0);
		} else if (srv->stopping && now >= srv->stop_deadline_ms) {
			srv_close(c, 0);
		} else if (c->phase != SRV_READY) {
			if (now - c->opened_ms >= srv->opts.handshake_timeout_ms)
				srv_close(c, 0);
		} else if (c->write_queued > 0 && now - c->write_progress_ms >=
		    srv->opts.idle_timeout_ms) {
			srv_close(c, 0); /* stopped reading its answers */
		} else if (!c->enrolled && c->refs == 1 && now -
		    c->last_active_ms >= srv->opts.handshake_timeout_ms) {
			srv_close(c, 0);
		} else if (c->refs == 1 && c->write_queued == 0 &&
		    now - c->last_active_ms >= srv->opts.idle_timeout_ms) {
			srv_close(c, 0);
		}
	}
	if (!srv->stopping)
		auth_sweep(srv);
	if (!srv->stopping && now >= srv->next_maintenance_ms) {
		srv->next_maintenance_ms = now + KT_MAINTENANCE_EVERY_MS;
		kt_maintenance_run(srv);
	}
}

static void
on_handle_closed_noop(uv_handle_t *h)
{
	(void)h;
}

void
srv_maybe_finish_stop(kt_server_t *srv)
{
	if (!srv->stopping || srv->nconns > 0 || srv->listener_open ||
	    srv->pending_jobs > 0)
		return;
	if (srv->writer) {
		kt_writer_stop(srv->writer);
		srv->writer = NULL;
	}
	if (!uv_is_closing((uv_handle_t *)&srv->tick))
		uv_close((uv_handle_t *)&srv->tick, on_handle_closed_noop);
	if (!uv_is_closing((uv_handle_t *)&srv->sig_term))
		uv_close((uv_handle_t *)&srv->sig_term, on_handle_closed_noop);
	if (!uv_is_closing((uv_handle_t *)&srv->sig_int))
		uv_close((uv_handle_t *)&srv->sig_int, on_handle_closed_noop);
}

static void
on_listener_closed(uv_handle_t *h)
{
	kt_server_t *srv = h->data;
	srv->listener_open = 0;
	maybe_finish_stop(srv);
}

static void
on_signal(uv_signal_t *s, int signum)
{
	kt_server_t *srv = s->data;
	srv_conn_t *c, *next;

	if (srv->stopping)
		return;
	fprintf(stderr, "kartotekad: signal %d: stopping\n", signum);
	srv->stopping = 1;
	srv->stop_deadline_ms = uv_now(srv->loop) + srv->opts.stop_grace_ms;
	uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
	/* Connections still handshaking close now; ready ones finish the
	 * requests they have in flight, flush, then close. */
	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		if (c->phase != SRV_READY || (c->refs == 1))
			srv_close(c, 1);
		else
			update_reading(c);
	}
}

/* Parses "host:port" (IPv6 as "[addr]:port") into addr. */
static int
parse_listen(const char *s, struct sockaddr_storage *addr)
{
	char host[256];
	const char *colon = strrchr(s, ':');
	char *end = NULL;
	long port;
	size_t hl;

	if (colon == NULL)
		return KT_EINVAL;
	hl = (size_t)(colon - s);
	if (hl == 0 || hl >= sizeof(host))
		return KT_EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 0 || port > 65535)
		return KT_EINVAL;
	if (host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		return uv_ip6_addr(host + 1, (int)port,
		    (struct sockaddr_in6 *)addr) == 0 ? 0 : KT_EINVAL;
	}
	return uv_ip4_addr(host, (int)port, (struct sockaddr_in *)addr) == 0 ?
	    0 : KT_EINVAL;
}

static int
start_listening(kt_server_t *srv)
{
	struct sockaddr_storage addr, bound;
	int namelen = sizeof(bound);
	char host[64];
	int port, rc;

	memset(&addr, 0, sizeof(addr));
	if (parse_listen(srv->opts.listen, &addr) != 0) {
		fprintf(stderr, "kartotekad: --listen '%s': expected HOST:PORT "
		    "with an IP address, e.g. 127.0.0.1:7700\n", srv->opts.listen);
		return KT_EINVAL;
	}
	uv_tcp_init(srv->loop, &srv->listener);
	srv->listener.data = srv;
	srv->listener_open = 1;
	rc = uv_tcp_bind(&srv->listener, (struct sockaddr *)&addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&srv->listener, 511, on_connection);
	if (rc != 0) {
		fprintf(stderr, "kartotekad: cannot listen on %s: %s\n",
		    srv->opts.listen, uv_strerror(rc));
		return KT_EIO;
	}
	uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &namelen);
	if (bound.ss_family == AF_INET6) {
		uv_ip6_name((struct sockaddr_in6 *)&bound, host, sizeof(host));
		port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
		printf("listening on [%s]:%d\n", host, port);
	} else {
		uv_ip4_name((struct sockaddr_in *)&bound, host, sizeof(host));
		port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
		printf("listening on %s:%d\n", host, port);
	}
	fflush(stdout);
	return 0;
}

int
kt_server_run(const kt_server_opts_t *opts)
{
	kt_server_t *srv = NULL;
	net_scratch_t *scr = NULL;
	uv_loop_t loop;
	MDB_txn *txn = NULL;
	int rc;

	srv = sodium_malloc(sizeof(*srv));
	scr = calloc(1, sizeof(*scr));
	if (srv == NULL || scr == NULL) {
		rc = KT_ENOMEM;
		goto out_free;
	}
	memset(srv, 0, sizeof(*srv));
	srv->opts = *opts;
	rc = kt_identity_load_keys(opts->data_dir, srv->static_priv,
	    srv->static_pub, srv->sign_sk, srv->sign_pk);
	if (rc != 0) {
		fprintf(stderr, "kartotekad: cannot read the server keys in "
		    "%s: %s (run `kartotekad init --data %s` first)\n",
		    opts->data_dir, kt_strerror(rc), opts->data_dir);
		goto out_free;
	}
	rc = kt_store_open(&srv->store, opts->data_dir, 0);
	if (rc != 0) {
		fprintf(stderr, "kartotekad: cannot open the store in %s: %s\n",
		    opts->data_dir, kt_strerror(rc));
		goto out_free;
	}
	/* A password hash to verify when the login does not exist, so that
	 * both answers take the same time. */
	{
		uint8_t junk[32];
		char pw[65];
		randombytes_buf(junk, sizeof(junk));
		sodium_bin2hex(pw, sizeof(pw), junk, sizeof(junk));
		rc = kt_identity_hash_password(srv->dummy_hash, pw);
		sodium_memzero(pw, sizeof(pw));
		if (rc != 0)
			goto out_store;
	}
	if (kt_store_read_begin(srv->store, &txn) == 0) {
		srv->terminals_gen = kt_identity_terminals_gen(srv->store, txn);
		kt_store_read_end(srv->store, txn);
	}

	if (uv_loop_init(&loop) != 0) {
		fprintf(stderr, "kartotekad: cannot initialise the event loop\n");
		rc = KT_EIO;
		goto out_store;
	}
	srv->loop = &loop;
	srv->enroll_limit.per_minute = opts->enroll_failures_per_min;
	if (kt_arena_init(&scr->arena, ARENA_BLOCK, ARENA_LIMIT) != 0) {
		rc = KT_ENOMEM;
		goto out_loop;
	}
	srv->scratch = scr;
	srv->listener.data = srv;
	rc = kt_writer_start(&srv->writer, srv->store, &loop);
	if (rc != 0) {
		fprintf(stderr, "kartotekad: cannot start the writer: %s\n",
		    kt_strerror(rc));
		uv_run(&loop, UV_RUN_DEFAULT); /* let closed handles finish */
		goto out_loop;
	}
	rc = start_listening(srv);
	if (rc != 0) {
		kt_writer_stop(srv->writer);
		srv->writer = NULL;
		if (srv->listener_open)
			uv_close((uv_handle_t *)&srv->listener, NULL);
		uv_run(&loop, UV_RUN_DEFAULT);
		goto out_loop;
	}
	uv_signal_init(&loop, &srv->sig_term);
	uv_signal_init(&loop, &srv->sig_int);
	srv->sig_term.data = srv->sig_int.data = srv;
	uv_signal_start(&srv->sig_term, on_signal, SIGTERM);
	uv_signal_start(&srv->sig_int, on_signal, SIGINT);
	uv_timer_init(&loop, &srv->tick);
	srv->tick.data = srv;
	uv_timer_start(&srv->tick, on_tick, 1000, 1000);

	uv_run(&loop, UV_RUN_DEFAULT);
	fprintf(stderr, "kartotekad: stopped\n");
	rc = 0;
out_loop:
	uv_loop_close(&loop);
out_store:
	kt_store_close(srv->store);
out_free:
	if (srv)
		sodium_free(srv);
	if (scr)
		kt_arena_free(&scr->arena);
	free(scr);
	return rc;
}
