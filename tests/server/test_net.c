/* SPDX-License-Identifier: MIT */
/* Tests for server/net/net.c with real loopback sockets: a net on a uv
 * loop of the test, handlers that record what the net tells them, and
 * peers that speak the wire by hand (frame.h, noise.h) on non-blocking
 * sockets, running the loop while they wait. Every wait is bounded
 * (WAIT_MS) and nothing asserts on time. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>

#include "kt_test.h"

#include "frame.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"
#include "net/net.h"
#include "noise.h"

/* How long a wait may take before the test fails: a bound on a hang, not
 * a measurement. */
#define WAIT_MS 10000u
#define PROLOGUE "kartoteka/1"
#define SERVER_VERSION "test-net 1"
#define MAX_RECS 16
#define BIG 50000u

/* ---- the layer above, as the test plays it ---------------------------- */

/* One connection that on_ready accepted: its kt_conn_data. */
typedef struct rec {
	kt_conn_t *c;
	uint8_t key[32];                  /* the peer's static key */
	unsigned gone;                    /* on_gone calls */
} rec_t;

/* What on_message does with a message. */
typedef enum reply_mode {
	REPLY_ECHO,                       /* "re:" + the message */
	REPLY_THREE_THEN_CLOSE,           /* three BIG answers, close(flush) */
	REPLY_NONE,
	REPLY_BIG,                        /* one BIG answer per message */
} reply_mode_t;

typedef struct nt {
	uv_loop_t loop;
	uv_timer_t wake;                  /* makes uv_run return now and then */
	kt_net_t *net;
	kt_net_opts_t opts;
	uint8_t spriv[32], spub[32];      /* the server's static key */
	int port;
	/* what the handlers saw */
	unsigned ready, refused, gone, stopped, messages;
	rec_t recs[MAX_RECS];
	size_t nrecs;
	uint8_t last[256];                /* the last message's plaintext */
	size_t last_len;
	int send_after_close_rc;          /* kt_conn_send on a closing conn */
	/* what the handlers do */
	int refuse;                       /* on_ready refuses every key */
	int trust;                        /* on_ready marks conns trusted */
	uint8_t trusted_key[32];          /* ... only this one, when set */
	int trust_one;
	reply_mode_t mode;
} nt_t;

static int
h_ready(void *arg, kt_conn_t *c, const uint8_t peer_key[32])
{
	nt_t *t = arg;
	rec_t *r;

	assert_null(kt_conn_data(c));
	assert_true(kt_conn_open(c));
	assert_ptr_equal(kt_conn_net(c), t->net);
	if (t->refuse) {
		t->refused++;
		return -1;
	}
	assert_true(t->nrecs < MAX_RECS);
	r = &t->recs[t->nrecs++];
	r->c = c;
	memcpy(r->key, peer_key, 32);
	kt_conn_set_data(c, r);
	if (t->trust || (t->trust_one &&
	    sodium_memcmp(peer_key, t->trusted_key, 32) == 0))
		kt_conn_set_trusted(c, 1);
	t->ready++;
	return 0;
}

static void
h_message(void *arg, kt_conn_t *c, const uint8_t *plain, size_t len)
{
	nt_t *t = arg;
	uint8_t out[BIG];

	assert_non_null(kt_conn_data(c));
	t->messages++;
	assert_true(len <= sizeof(t->last));
	memcpy(t->last, plain, len);
	t->last_len = len;
	switch (t->mode) {
	case REPLY_ECHO:
		memcpy(out, "re:", 3);
		memcpy(out + 3, plain, len);
		assert_int_equal(kt_conn_send(c, out, len + 3), 0);
		break;
	case REPLY_THREE_THEN_CLOSE:
		for (int i = 0; i < 3; i++) {
			memset(out, 'a' + i, sizeof(out));
			assert_int_equal(kt_conn_send(c, out, sizeof(out)), 0);
		}
		kt_conn_close(c, 1);
		assert_false(kt_conn_open(c));
		t->send_after_close_rc = kt_conn_send(c, out, 1);
		break;
	case REPLY_NONE:
		break;
	case REPLY_BIG:
		memset(out, 'z', sizeof(out));
		(void)kt_conn_send(c, out, sizeof(out));
		break;
	}
}

static void
h_gone(void *arg, kt_conn_t *c)
{
	nt_t *t = arg;
	rec_t *r = kt_conn_data(c);

	assert_non_null(r);
	assert_ptr_equal(r->c, c);
	r->gone++;
	t->gone++;
}

static void
h_stopped(void *arg)
{
	nt_t *t = arg;

	t->stopped++;
	t->net = NULL; /* it frees itself after this */
}

/* ---- the loop ------------------------------------------------------------ */

static void
wake_noop(uv_timer_t *w)
{
	(void)w;
}

static uint64_t
elapsed_ms(uint64_t start)
{
	return (uv_hrtime() - start) / 1000000u;
}

/* Runs the loop once (returning within a few ms when nothing happens). */
static void
step(nt_t *t)
{
	uv_run(&t->loop, UV_RUN_ONCE);
}

/* Runs the loop until cond holds; fails after WAIT_MS. */
#define RUN_UNTIL(t, cond)                                               \
	do {                                                             \
		uint64_t start_ = uv_hrtime();                           \
		while (!(cond)) {                                        \
			if (elapsed_ms(start_) > WAIT_MS)                \
				fail_msg("gave up waiting for %s", #cond); \
			step(t);                                         \
		}                                                        \
	} while (0)

static void
find_port(uv_handle_t *h, void *arg)
{
	nt_t *t = arg;
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	if (h->type != UV_TCP)
		return;
	assert_int_equal(uv_tcp_getsockname((uv_tcp_t *)h,
	    (struct sockaddr *)&ss, &len), 0);
	t->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static const kt_net_handlers_t handlers_of = {
	.on_ready = h_ready, .on_message = h_message, .on_gone = h_gone,
	.on_stopped = h_stopped,
};

/* A loop and options with every time-out far beyond the test's bound,
 * so only what a test sets small can fire. */
static nt_t *
nt_new(void)
{
	nt_t *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	assert_true(sodium_init() >= 0);
	assert_int_equal(uv_loop_init(&t->loop), 0);
	assert_int_equal(uv_timer_init(&t->loop, &t->wake), 0);
	assert_int_equal(uv_timer_start(&t->wake, wake_noop, 2, 2), 0);
	randombytes_buf(t->spriv, 32);
	crypto_scalarmult_base(t->spub, t->spriv);
	t->opts.listen = "127.0.0.1:0";
	t->opts.max_conns = 64;
	t->opts.handshake_timeout_ms = 600000;
	t->opts.idle_timeout_ms = 600000;
	t->opts.stop_grace_ms = 600000;
	t->opts.write_queue_max = 1u << 20;
	t->opts.static_priv = t->spriv;
	t->opts.server_version = SERVER_VERSION;
	return t;
}

static void
nt_start(nt_t *t)
{
	kt_net_handlers_t h = handlers_of;

	h.arg = t;
	assert_int_equal(kt_net_start(&t->net, &t->loop, &t->opts, &h), 0);
	assert_non_null(t->net);
	assert_false(kt_net_stopping(t->net));
	/* The listener is the loop's only TCP handle yet. */
	uv_walk(&t->loop, find_port, t);
	assert_true(t->port > 0);
}

static void
close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* Stops the net (when still running), waits for on_stopped, checks that
 * every accepted connection was told gone exactly once, and frees all. */
static void
nt_free(nt_t *t)
{
	if (t->net != NULL)
		kt_net_stop(t->net);
	RUN_UNTIL(t, t->stopped > 0);
	assert_int_equal(t->stopped, 1);
	assert_int_equal(t->gone, t->ready);
	for (size_t i = 0; i < t->nrecs; i++)
		assert_int_equal(t->recs[i].gone, 1);
	uv_timer_stop(&t->wake);
	uv_walk(&t->loop, close_walk, NULL);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	/* The net left no handle behind. */
	assert_int_equal(uv_loop_close(&t->loop), 0);
	sodium_memzero(t->spriv, sizeof(t->spriv));
	free(t);
}

/* ---- peers: the client side, by hand ----------------------------------- */

typedef struct peer {
	int fd;
	uint8_t priv[32], pub[32];        /* the terminal's static key */
	kt_noise_hs_t hs;
	kt_noise_cipher_t tx, rx;
	kt_frame_reader_t rd;
	uint8_t in[4096];
	size_t in_off, in_len;
	Kartoteka__ServerHello *hello;
} peer_t;

/* A blocking connect (the kernel completes it from the listen backlog),
 * then a non-blocking socket; rcvbuf (0: the default) sets its receive
 * buffer before the connect, so the window stays small. */
static peer_t *
peer_connect_rcvbuf(nt_t *t, int rcvbuf)
{
	peer_t *p = calloc(1, sizeof(*p));
	struct sockaddr_in a;
	int one = 1;

	assert_non_null(p);
	randombytes_buf(p->priv, 32);
	crypto_scalarmult_base(p->pub, p->priv);
	kt_frame_reader_reset(&p->rd);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)t->port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(p->fd >= 0);
	if (rcvbuf > 0)
		assert_int_equal(setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF,
		    &rcvbuf, sizeof(rcvbuf)), 0);
	assert_int_equal(connect(p->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	(void)setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	assert_int_equal(fcntl(p->fd, F_SETFL,
	    fcntl(p->fd, F_GETFL) | O_NONBLOCK), 0);
	return p;
}

static peer_t *
peer_connect(nt_t *t)
{
	return peer_connect_rcvbuf(t, 0);
}

static void
peer_free(peer_t *p)
{
	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	if (p->hello != NULL)
		kartoteka__server_hello__free_unpacked(p->hello, NULL);
	sodium_memzero(p, sizeof(*p));
	free(p);
}

/* The peer goes away; the net sees EOF. */
static void
peer_close(peer_t *p)
{
	close(p->fd);
	p->fd = -1;
}

static void
peer_send_raw(nt_t *t, peer_t *p, const uint8_t *b, size_t len)
{
	uint64_t start = uv_hrtime();

	while (len > 0) {
		ssize_t n = send(p->fd, b, len, MSG_NOSIGNAL);

		if (n < 0) {
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR);
			if (elapsed_ms(start) > WAIT_MS)
				fail_msg("gave up sending");
			step(t);
			continue;
		}
		b += n;
		len -= (size_t)n;
	}
}

static void
peer_send_frame(nt_t *t, peer_t *p, const uint8_t *body, size_t len)
{
	uint8_t f[KT_FRAME_HDR + KT_FRAME_MAX];

	assert_int_equal(kt_frame_put_header(f, len), 0);
	memcpy(f + KT_FRAME_HDR, body, len);
	peer_send_raw(t, p, f, KT_FRAME_HDR + len);
}

/* Reads one frame, running the loop while none is there. Returns 1 with
 * the frame (valid until the next read), or 0 when the net closed the
 * connection (EOF or reset) first. */
static int
peer_read_frame(nt_t *t, peer_t *p, const uint8_t **frame, size_t *len)
{
	uint64_t start = uv_hrtime();

	for (;;) {
		if (p->in_off < p->in_len) {
			size_t used = 0;
			int rc = kt_frame_reader_feed(&p->rd, p->in + p->in_off,
			    p->in_len - p->in_off, &used, frame, len);

			p->in_off += used;
			assert_true(rc >= 0);
			if (rc == 1)
				return 1;
			continue;
		}
		ssize_t n = recv(p->fd, p->in, sizeof(p->in), 0);
		if (n > 0) {
			p->in_off = 0;
			p->in_len = (size_t)n;
			continue;
		}
		if (n == 0 || errno == ECONNRESET)
			return 0;
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR);
		if (elapsed_ms(start) > WAIT_MS)
			fail_msg("gave up waiting for a frame");
		step(t);
	}
}

/* Fails unless the net closes the connection with nothing more sent. */
static void
peer_expect_closed(nt_t *t, peer_t *p)
{
	const uint8_t *f;
	size_t len;

	if (peer_read_frame(t, p, &f, &len))
		fail_msg("a frame of %zu bytes where a close was expected",
		    len);
}

/* Handshake message 1 (-> e, es), and message 2 with its ServerHello
 * read: the net's side now waits for message 3. */
static void
peer_hs_begin(nt_t *t, peer_t *p)
{
	uint8_t m[KT_FRAME_MAX], pay[KT_FRAME_MAX];
	const uint8_t *f;
	size_t n = 0, flen = 0, plen = 0;

	assert_int_equal(kt_noise_hs_init(&p->hs, KT_NOISE_XK, 1,
	    (const uint8_t *)PROLOGUE, strlen(PROLOGUE), p->priv, t->spub), 0);
	assert_int_equal(kt_noise_hs_write_message(&p->hs, NULL, 0, m,
	    sizeof(m), &n), 0);
	peer_send_frame(t, p, m, n);
	assert_int_equal(peer_read_frame(t, p, &f, &flen), 1);
	assert_int_equal(kt_noise_hs_read_message(&p->hs, f, flen, pay,
	    sizeof(pay), &plen), 0);
	p->hello = kartoteka__server_hello__unpack(NULL, plen, pay);
	assert_non_null(p->hello);
	assert_string_equal(p->hello->server_version, SERVER_VERSION);
	assert_int_equal(p->hello->protocol_version, 1);
}

/* Message 3 (-> s, se with a ClientHello), and the split. */
static void
peer_hs_finish(nt_t *t, peer_t *p)
{
	Kartoteka__ClientHello ch = KARTOTEKA__CLIENT_HELLO__INIT;
	uint8_t pay[256], m[KT_FRAME_MAX];
	size_t plen, n = 0;

	ch.client_name = "test_net";
	ch.client_version = "0";
	plen = kartoteka__client_hello__pack(&ch, pay);
	assert_int_equal(kt_noise_hs_write_message(&p->hs, pay, plen, m,
	    sizeof(m), &n), 0);
	peer_send_frame(t, p, m, n);
	assert_int_equal(kt_noise_hs_split(&p->hs, &p->tx, &p->rx, NULL), 0);
	kt_noise_hs_clear(&p->hs);
}

/* A peer whose handshake the net has accepted (on_ready ran for it). */
static peer_t *
peer_ready_rcvbuf(nt_t *t, int rcvbuf)
{
	peer_t *p = peer_connect_rcvbuf(t, rcvbuf);
	unsigned ready = t->ready;

	peer_hs_begin(t, p);
	peer_hs_finish(t, p);
	RUN_UNTIL(t, t->ready == ready + 1);
	assert_memory_equal(t->recs[t->nrecs - 1].key, p->pub, 32);
	return p;
}

static peer_t *
peer_ready(nt_t *t)
{
	return peer_ready_rcvbuf(t, 0);
}

static void
peer_send_msg(nt_t *t, peer_t *p, const void *plain, size_t len)
{
	uint8_t ct[KT_FRAME_MAX];
	size_t n = 0;

	assert_int_equal(kt_noise_encrypt(&p->tx, NULL, 0, plain, len, ct,
	    &n), 0);
	peer_send_frame(t, p, ct, n);
}

/* Reads and decrypts one transport message into out (cap bytes).
 * Returns its length; fails when the net closes instead. */
static size_t
peer_read_msg(nt_t *t, peer_t *p, uint8_t *out, size_t cap)
{
	const uint8_t *f;
	size_t flen = 0, n = 0;

	if (!peer_read_frame(t, p, &f, &flen))
		fail_msg("the net closed where a message was expected");
	assert_true(flen >= KT_NOISE_TAGLEN && flen - KT_NOISE_TAGLEN <= cap);
	assert_int_equal(kt_noise_decrypt(&p->rx, NULL, 0, f, flen, out, &n),
	    0);
	return n;
}

/* The rec of the connection p is (by its static key). */
static rec_t *
rec_of(nt_t *t, const peer_t *p)
{
	for (size_t i = 0; i < t->nrecs; i++)
		if (memcmp(t->recs[i].key, p->pub, 32) == 0)
			return &t->recs[i];
	fail_msg("no ready connection for this peer");
	return NULL;
}

/* ---- starting ----------------------------------------------------------- */

static void
start_refuses_bad_listen(void **state)
{
	static const char *const bad[] = { "7700", "localhost:7700",
	    "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:x", ":7700",
	    "[::1:7700", "" };
	nt_t *t = nt_new();
	kt_net_handlers_t h = handlers_of;
	static char sentinel;
	kt_net_t *n = (kt_net_t *)(void *)&sentinel;

	(void)state;
	h.arg = t;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t->opts.listen = bad[i];
		assert_int_equal(kt_net_start(&n, &t->loop, &t->opts, &h),
		    KT_EINVAL);
		assert_null(n);
	}
	t->stopped = 1; /* nothing was started */
	nt_free(t);
}

static void
start_port_in_use_eio(void **state)
{
	nt_t *t = nt_new();
	kt_net_handlers_t h = handlers_of;
	kt_net_t *n = NULL;
	char listen[32];

	(void)state;
	nt_start(t);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", t->port);
	h.arg = t;
	t->opts.listen = listen;
	assert_int_equal(kt_net_start(&n, &t->loop, &t->opts, &h), KT_EIO);
	assert_null(n);
	/* The first net still serves. */
	peer_free(peer_ready(t));
	nt_free(t);
}

/* ---- the handshake --------------------------------------------------------- */

static void
handshake_reaches_on_ready(void **state)
{
	nt_t *t = nt_new();
	peer_t *p;
	rec_t *r;

	(void)state;
	nt_start(t);
	p = peer_ready(t);
	r = rec_of(t, p);
	assert_memory_equal(r->key, p->pub, 32);
	assert_true(kt_conn_open(r->c));
	assert_ptr_equal(kt_conn_data(r->c), r);
	assert_int_equal(kt_conn_peer(r->c)->ss_family, AF_INET);
	assert_int_equal(t->messages, 0);
	peer_free(p);
	nt_free(t);
}

static void
on_ready_refusal_closes(void **state)
{
	nt_t *t = nt_new();
	peer_t *p;

	(void)state;
	nt_start(t);
	t->refuse = 1;
	p = peer_connect(t);
	peer_hs_begin(t, p);
	peer_hs_finish(t, p);
	RUN_UNTIL(t, t->refused == 1);
	peer_expect_closed(t, p);
	assert_int_equal(t->ready, 0);
	assert_int_equal(t->gone, 0); /* never ready: nothing to tell */
	peer_free(p);
	nt_free(t);
}

static void
bad_handshake_closes(void **state)
{
	nt_t *t = nt_new();
	peer_t *p;
	uint8_t junk[48];

	(void)state;
	nt_start(t);
	/* Message 1 that does not decrypt. */
	p = peer_connect(t);
	randombytes_buf(junk, sizeof(junk));
	peer_send_frame(t, p, junk, sizeof(junk));
	peer_expect_closed(t, p);
	peer_free(p);
	/* A zero-length frame during the handshake: closed, no answer. */
	p = peer_connect(t);
	peer_send_raw(t, p, (const uint8_t *)"\0\0", 2);
	peer_expect_closed(t, p);
	peer_free(p);
	/* Message 3 that does not decrypt. */
	p = peer_connect(t);
	peer_hs_begin(t, p);
	randombytes_buf(junk, sizeof(junk));
	peer_send_frame(t, p, junk, sizeof(junk));
	peer_expect_closed(t, p);
	peer_free(p);
	assert_int_equal(t->ready + t->refused, 0);
	nt_free(t);
}

/* ---- transport ----------------------------------------------------------- */

static void
message_round_trip(void **state)
{
	nt_t *t = nt_new();
	peer_t *p;
	uint8_t out[64], both[2 * (KT_FRAME_HDR + 32)];
	uint8_t ct[32];
	size_t n, off = 0;

	(void)state;
	nt_start(t);
	p = peer_ready(t);
	peer_send_msg(t, p, "hello", 5);
	RUN_UNTIL(t, t->messages == 1);
	assert_int_equal(t->last_len, 5);
	assert_memory_equal(t->last, "hello", 5);
	n = peer_read_msg(t, p, out, sizeof(out));
	assert_int_equal(n, 8);
	assert_memory_equal(out, "re:hello", 8);
	/* Two frames in one write: both handled, answered in order. */
	for (int i = 0; i < 2; i++) {
		char msg[16];
		size_t clen = 0;

		snprintf(msg, sizeof(msg), "pipelined-%d", i);
		assert_int_equal(kt_noise_encrypt(&p->tx, NULL, 0,
		    (const uint8_t *)msg, strlen(msg), ct, &clen), 0);
		assert_int_equal(clen, strlen(msg) + KT_NOISE_TAGLEN);
		kt_frame_put_header(both + off, clen);
		memcpy(both + off + KT_FRAME_HDR, ct, clen);
		off += KT_FRAME_HDR + clen;
	}
	peer_send_raw(t, p, both, off);
	n = peer_read_msg(t, p, out, sizeof(out));
	assert_int_equal(n, 14);
	assert_memory_equal(out, "re:pipelined-0", 14);
	n = peer_read_msg(t, p, out, sizeof(out));
	assert_int_equal(n, 14);
	assert_memory_equal(out, "re:pipelined-1", 14);
	assert_int_equal(t->messages, 3);
	peer_free(p);
	nt_free(t);
}

static void
send_too_big_refused(void **state)
{
	nt_t *t = nt_new();
	static uint8_t big[KT_FRAME_MAX];
	peer_t *p;
	rec_t *r;
	uint8_t out[64];

	(void)state;
	nt_start(t);
	p = peer_ready(t);
	r = rec_of(t, p);
	assert_int_equal(kt_conn_send(r->c, big, KT_FRAME_MAX -
	    KT_NOISE_TAGLEN + 1), KT_ETOOBIG);
	/* Nothing was sent, and the connection still works. */
	assert_true(kt_conn_open(r->c));
	peer_send_msg(t, p, "x", 1);
	assert_int_equal(peer_read_msg(t, p, out, sizeof(out)), 4);
	assert_memory_equal(out, "re:x", 4);
	peer_free(p);
	nt_free(t);
}

static void
zero_length_frame_bad_request(void **state)
{
	nt_t *t = nt_new();
	peer_t *p;
	uint8_t out[256];
	size_t n;
	Kartoteka__Response *resp;

	(void)state;
	nt_start(t);
	p = peer_ready(t);
	peer_send_raw(t, p, (const uint8_t *)"\0\0", 2);
	n = peer_read_msg(t, p, out, sizeof(out));
	resp = kartoteka__response__unpack(NULL, n, out);
	assert_non_null(resp);
	assert_int_equal(resp->id, 0);
	assert_non_null(resp->error);
	assert_int_equal(resp->error->code,
	    KARTOTEKA__ERROR__CODE__BAD_REQUEST);
	assert_string_equal(resp->error->message, "zero-length frame");
	kartoteka__response__free_unpacked(resp, NULL);
	peer_expect_closed(t, p);
	assert_int_equal(t->messages, 0);
	RUN_UNTIL(t, t->gone == 1);
	peer_free(p);
	nt_free(t);
}

static void
bad_ciphertext_closes_silently(void **state)
{
	nt_t *t = nt_new();
	peer_t *p;
	uint8_t junk[40];
	uint8_t ct[64];
	size_t n = 0;

	(void)state;
	nt_start(t);
	/* Random bytes. */
	p = peer_ready(t);
	randombytes_buf(junk, sizeof(junk));
	peer_send_frame(t, p, junk, sizeof(junk));
	peer_expect_closed(t, p);
	peer_free(p);
	/* A real message with one bit flipped. */
	p = peer_ready(t);
	assert_int_equal(kt_noise_encrypt(&p->tx, NULL, 0,
	    (const uint8_t *)"hello", 5, ct, &n), 0);
	ct[2] ^= 1;
	peer_send_frame(t, p, ct, n);
	peer_expect_closed(t, p);
	peer_free(p);
	/* Shorter than a tag. */
	p = peer_ready(t);
	peer_send_frame(t, p, junk, KT_NOISE_TAGLEN - 1);
	peer_expect_closed(t, p);
	peer_free(p);
	assert_int_equal(t->messages, 0);
	RUN_UNTIL(t, t->gone == 3);
	nt_free(t);
}

static void
shrink_sndbuf(uv_handle_t *h, void *arg)
{
	int size = 4096;

	(void)arg;
	if (h->type == UV_TCP && !uv_is_closing(h))
		assert_int_equal(uv_send_buffer_size(h, &size), 0);
}

/* The answers are far more than the kernel buffers hold (a small send
 * buffer at the net, a small window at the peer), so they are still
 * queued in the net when the close is asked for. */
static void
close_flush_delivers_queued(void **state)
{
	nt_t *t = nt_new();
	static uint8_t out[BIG];
	peer_t *p;

	(void)state;
	nt_start(t);
	t->mode = REPLY_THREE_THEN_CLOSE;
	p = peer_ready_rcvbuf(t, 4096);
	uv_walk(&t->loop, shrink_sndbuf, NULL);
	peer_send_msg(t, p, "go", 2);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(peer_read_msg(t, p, out, sizeof(out)), BIG);
		for (size_t j = 0; j < BIG; j++)
			if (out[j] != 'a' + i)
				fail_msg("answer %d, byte %zu: %c", i, j, out[j]);
	}
	peer_expect_closed(t, p);
	assert_int_equal(t->send_after_close_rc, KT_ECLOSED);
	RUN_UNTIL(t, t->gone == 1);
	peer_free(p);
	nt_free(t);
}

static void
peer_eof_ends_connection(void **state)
{
	nt_t *t = nt_new();
	peer_t *p;

	(void)state;
	nt_start(t);
	p = peer_ready(t);
	peer_close(p);
	RUN_UNTIL(t, t->gone == 1);
	peer_free(p);
	nt_free(t);
}

/* ---- limits and time-outs ------------------------------------------------ */

static void
connection_limit_refuses_next(void **state)
{
	nt_t *t = nt_new();
	peer_t *a, *b, *c, *d;

	(void)state;
	t->opts.max_conns = 2;
	nt_start(t);
	a = peer_ready(t);
	b = peer_connect(t);
	peer_hs_begin(t, b); /* handshaking counts too */
	c = peer_connect(t);
	peer_expect_closed(t, c);
	peer_free(c);
	/* Once one is gone, there is room again. */
	peer_close(a);
	RUN_UNTIL(t, t->gone == 1);
	d = peer_ready(t);
	peer_free(a);
	peer_free(b);
	peer_free(d);
	nt_free(t);
}

static void
handshake_timeout_closes(void **state)
{
	nt_t *t = nt_new();
	peer_t *silent, *half;

	(void)state;
	t->opts.handshake_timeout_ms = 100;
	nt_start(t);
	silent = peer_connect(t);
	half = peer_connect(t);
	peer_hs_begin(t, half);
	peer_expect_closed(t, silent);
	peer_expect_closed(t, half);
	assert_int_equal(t->ready, 0);
	peer_free(silent);
	peer_free(half);
	nt_free(t);
}

/* An untrusted ready connection gets the handshake time-out as its idle
 * time; a trusted one the (long) idle time-out. */
static void
untrusted_idle_closed_trusted_kept(void **state)
{
	nt_t *t = nt_new();
	peer_t *trusted, *untrusted;
	uint8_t out[16];

	(void)state;
	t->opts.handshake_timeout_ms = 100;
	nt_start(t);
	trusted = peer_connect(t);
	memcpy(t->trusted_key, trusted->pub, 32);
	t->trust_one = 1;
	peer_hs_begin(t, trusted);
	peer_hs_finish(t, trusted);
	RUN_UNTIL(t, t->ready == 1);
	untrusted = peer_ready(t);
	peer_expect_closed(t, untrusted);
	RUN_UNTIL(t, t->gone == 1);
	assert_int_equal(rec_of(t, untrusted)->gone, 1);
	assert_int_equal(rec_of(t, trusted)->gone, 0);
	peer_send_msg(t, trusted, "hi", 2);
	assert_int_equal(peer_read_msg(t, trusted, out, sizeof(out)), 5);
	peer_free(trusted);
	peer_free(untrusted);
	nt_free(t);
}


/* An untrusted peer that never reads its answers keeps writes queued: the
 * handshake time-out applies to it all the same. (It used to be closed
 * only after the long idle time: a host without any enrolment could hold
 * every slot of the connection limit.) */
static void
untrusted_closed_with_pending_writes(void **state)
{
	nt_t *t = nt_new();
	peer_t *p;
	uint64_t start;

	(void)state;
	t->opts.handshake_timeout_ms = 100;
	t->mode = REPLY_BIG;
	nt_start(t);
	p = peer_ready_rcvbuf(t, 4096);
	for (int i = 0; i < 400; i++)
		peer_send_msg(t, p, "ping", 4);
	/* Bounded, not timed: the idle time-out (the default, 10 min)
	 * would not come within the bound. */
	start = uv_hrtime();
	while (t->gone == 0 && elapsed_ms(start) < 10000)
		step(t);
	assert_int_equal(t->gone, 1);
	assert_true(t->messages > 0);
	peer_free(p);
	nt_free(t);
}

/* ---- stopping ------------------------------------------------------------ */

static void
stop_waits_for_held_ref(void **state)
{
	nt_t *t = nt_new();
	peer_t *idle, *busy, *shaking;
	rec_t *rb;
	uint8_t out[16];
	struct sockaddr_in a;
	int fd;

	(void)state;
	nt_start(t);
	idle = peer_ready(t);
	busy = peer_ready(t);
	shaking = peer_connect(t);
	peer_hs_begin(t, shaking);
	rb = rec_of(t, busy);
	kt_conn_ref(rb->c); /* an answer still to come */
	kt_net_stop(t->net);
	assert_true(kt_net_stopping(t->net));
	kt_net_stop(t->net); /* again: nothing */
	peer_expect_closed(t, idle);
	peer_expect_closed(t, shaking);
	RUN_UNTIL(t, t->gone == 1);
	assert_int_equal(rec_of(t, idle)->gone, 1);
	/* The listener is closed: nobody new gets in. */
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)t->port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), -1);
	assert_int_equal(errno, ECONNREFUSED);
	close(fd);
	/* The held connection lives on, and its answer still leaves. */
	assert_int_equal(t->stopped, 0);
	assert_true(kt_conn_open(rb->c));
	assert_int_equal(rb->gone, 0);
	assert_int_equal(kt_conn_send(rb->c, (const uint8_t *)"bye", 3), 0);
	assert_int_equal(peer_read_msg(t, busy, out, sizeof(out)), 3);
	assert_memory_equal(out, "bye", 3);
	assert_int_equal(t->stopped, 0);
	/* Released: closed, and then the net is done. */
	kt_conn_unref(rb->c);
	peer_expect_closed(t, busy);
	RUN_UNTIL(t, t->stopped == 1);
	assert_int_equal(rb->gone, 1);
	assert_null(t->net);
	peer_free(idle);
	peer_free(busy);
	peer_free(shaking);
	nt_free(t);
}

/* ---- visiting ------------------------------------------------------------ */

typedef struct visit {
	kt_conn_t *seen[MAX_RECS];
	size_t n;
	int close;                        /* close each one visited */
} visit_t;

static void
visit_one(kt_conn_t *c, void *arg)
{
	visit_t *v = arg;

	assert_true(kt_conn_open(c));
	assert_true(v->n < MAX_RECS);
	v->seen[v->n++] = c;
	if (v->close)
		kt_conn_close(c, 0);
}

static int
visited(const visit_t *v, const kt_conn_t *c)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->seen[i] == c)
			return 1;
	return 0;
}

static void
foreach_visits_ready_only(void **state)
{
	nt_t *t = nt_new();
	peer_t *a, *b, *shaking, *refused, *quiet;
	visit_t v;

	(void)state;
	nt_start(t);
	a = peer_ready(t);
	b = peer_ready(t);
	shaking = peer_connect(t);
	peer_hs_begin(t, shaking);
	quiet = peer_connect(t);
	t->refuse = 1;
	refused = peer_connect(t);
	peer_hs_begin(t, refused);
	peer_hs_finish(t, refused);
	RUN_UNTIL(t, t->refused == 1);
	t->refuse = 0;
	memset(&v, 0, sizeof(v));
	kt_net_foreach(t->net, visit_one, &v);
	assert_int_equal(v.n, 2);
	assert_true(visited(&v, rec_of(t, a)->c));
	assert_true(visited(&v, rec_of(t, b)->c));
	/* fn may close the connection it is given: every one is still
	 * visited, and a second pass sees none. */
	memset(&v, 0, sizeof(v));
	v.close = 1;
	kt_net_foreach(t->net, visit_one, &v);
	assert_int_equal(v.n, 2);
	memset(&v, 0, sizeof(v));
	kt_net_foreach(t->net, visit_one, &v);
	assert_int_equal(v.n, 0);
	peer_expect_closed(t, a);
	peer_expect_closed(t, b);
	RUN_UNTIL(t, t->gone == 2);
	peer_free(a);
	peer_free(b);
	peer_free(shaking);
	peer_free(quiet);
	peer_free(refused);
	nt_free(t);
}

/* on_gone runs exactly once for every connection on_ready accepted,
 * whichever way it ends, and never for one that was not ready. */
static void
on_gone_once_per_ready_connection(void **state)
{
	nt_t *t = nt_new();
	peer_t *eof, *bad, *closed, *zero, *held, *at_stop, *shaking;
	peer_t *refused;
	uint8_t junk[40];
	rec_t *rh;

	(void)state;
	nt_start(t);
	eof = peer_ready(t);          /* the peer goes away */
	bad = peer_ready(t);          /* fails decryption */
	closed = peer_ready(t);       /* closed by the layer above */
	zero = peer_ready(t);         /* a zero-length frame */
	held = peer_ready(t);         /* closed while a reference is held */
	at_stop = peer_ready(t);      /* open until the net stops */
	shaking = peer_connect(t);    /* never ready */
	peer_hs_begin(t, shaking);
	t->refuse = 1;
	refused = peer_connect(t);    /* refused by on_ready */
	peer_hs_begin(t, refused);
	peer_hs_finish(t, refused);
	RUN_UNTIL(t, t->refused == 1);
	t->refuse = 0;

	peer_close(eof);
	randombytes_buf(junk, sizeof(junk));
	peer_send_frame(t, bad, junk, sizeof(junk));
	kt_conn_close(rec_of(t, closed)->c, 1);
	kt_conn_close(rec_of(t, closed)->c, 0); /* twice: still once */
	peer_send_raw(t, zero, (const uint8_t *)"\0\0", 2);
	rh = rec_of(t, held);
	kt_conn_ref(rh->c);
	kt_conn_close(rh->c, 0);
	RUN_UNTIL(t, t->gone == 4);
	/* Closed, but its memory and data live while the ref is held. */
	assert_false(kt_conn_open(rh->c));
	assert_ptr_equal(kt_conn_data(rh->c), rh);
	assert_int_equal(kt_conn_send(rh->c, (const uint8_t *)"x", 1), KT_ECLOSED);
	assert_int_equal(rh->gone, 0);
	kt_conn_unref(rh->c);
	assert_int_equal(rh->gone, 1);
	assert_int_equal(t->gone, 5);
	assert_int_equal(rec_of(t, at_stop)->gone, 0);
	kt_net_stop(t->net);
	RUN_UNTIL(t, t->stopped == 1);
	assert_int_equal(t->ready, 6);
	assert_int_equal(t->gone, 6);
	peer_free(eof);
	peer_free(bad);
	peer_free(closed);
	peer_free(zero);
	peer_free(held);
	peer_free(at_stop);
	peer_free(shaking);
	peer_free(refused);
	nt_free(t); /* checks every rec's gone == 1 */
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(start_refuses_bad_listen),
	cmocka_unit_test(start_port_in_use_eio),
	cmocka_unit_test(handshake_reaches_on_ready),
	cmocka_unit_test(on_ready_refusal_closes),
	cmocka_unit_test(bad_handshake_closes),
	cmocka_unit_test(message_round_trip),
	cmocka_unit_test(send_too_big_refused),
	cmocka_unit_test(zero_length_frame_bad_request),
	cmocka_unit_test(bad_ciphertext_closes_silently),
	cmocka_unit_test(close_flush_delivers_queued),
	cmocka_unit_test(peer_eof_ends_connection),
	cmocka_unit_test(connection_limit_refuses_next),
	cmocka_unit_test(handshake_timeout_closes),
	cmocka_unit_test(untrusted_idle_closed_trusted_kept),
	cmocka_unit_test(untrusted_closed_with_pending_writes),
	cmocka_unit_test(stop_waits_for_held_ref),
	cmocka_unit_test(foreach_visits_ready_only),
	cmocka_unit_test(on_gone_once_per_ready_connection),
};

KT_TEST_MAIN(tests)
