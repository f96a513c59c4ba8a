/* SPDX-License-Identifier: MIT */
/* kartoteka-bench: a load generator that drives many Noise connections to
 * the kartotekad named by a terminal's configuration from one libuv loop
 * and reports throughput and latency percentiles. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <sodium.h>
#include <uv.h>

#include "client_conn.h"
#include "config.h"
#include "frame.h"
#include "invite.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"
#include "noise.h"

#define BENCH_NAME "kartoteka-bench"
#define BENCH_MAX_CONNS 4096u      /* each holds a 64 KiB frame reader */
#define BENCH_MAX_PIPELINE 4096u   /* slot index lives in the low 16 id bits */
#define BENCH_MAX_SECONDS 86400u
#define BENCH_RETRY_MS 100u        /* pause before redialling after an error */
#define BENCH_MAX_LOGGED 10u       /* errors printed; later ones only counted */
#define PING_FRAME_CAP 64u         /* a framed, encrypted ping is < 40 bytes */
#define SLOT_BITS 16u

/* ---- latency histogram -------------------------------------------------- */

/* Log-linear buckets over nanoseconds, as in HdrHistogram: exact below 256,
 * then 128 linear sub-buckets per power of two (relative error < 0.8 %),
 * up to 2^48 ns (78 hours). Fixed size, so a long run costs no memory. */
#define HIST_EXACT 256u
#define HIST_SUB 128u
#define HIST_MAXBIT 48u
#define HIST_BUCKETS (HIST_EXACT + (HIST_MAXBIT - 8u) * HIST_SUB)

typedef struct hist {
	uint64_t count[HIST_BUCKETS]; /* samples per bucket */
	uint64_t n;                   /* samples in total */
	uint64_t sum;                 /* of all samples, ns */
	uint64_t min, max;            /* exact extremes, ns */
} hist_t;

static void
hist_reset(hist_t *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

static size_t
hist_index(uint64_t v)
{
	unsigned e, shift;

	if (v < HIST_EXACT)
		return (size_t)v;
	if (v >= (UINT64_C(1) << HIST_MAXBIT))
		v = (UINT64_C(1) << HIST_MAXBIT) - 1;
	e = 63u - (unsigned)__builtin_clzll(v); /* 8 .. HIST_MAXBIT-1 */
	shift = e - 7u;                          /* keeps 8 significant bits */
	return HIST_EXACT + (size_t)(e - 8u) * HIST_SUB +
	    (size_t)((v >> shift) - HIST_SUB);
}

/* Middle of bucket i, ns. */
static double
hist_bucket_value(size_t i)
{
	size_t k;
	unsigned shift;
	uint64_t m;

	if (i < HIST_EXACT)
		return (double)i;
	k = i - HIST_EXACT;
	shift = (unsigned)(k / HIST_SUB) + 1u;
	m = HIST_SUB + k % HIST_SUB;
	return (double)(m << shift) + (double)(UINT64_C(1) << shift) / 2.0;
}

static void
hist_add(hist_t *h, uint64_t v)
{
	h->count[hist_index(v)]++;
	h->n++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/* Value at quantile q (0..1) in milliseconds; 0 for an empty histogram. */
static double
hist_quantile_ms(const hist_t *h, double q)
{
	uint64_t rank, seen = 0;
	double v;
	size_t i;

	if (h->n == 0)
		return 0.0;
	rank = (uint64_t)(q * (double)h->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > h->n)
		rank = h->n;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= rank)
			break;
	}
	v = hist_bucket_value(i < HIST_BUCKETS ? i : HIST_BUCKETS - 1);
	/* A bucket's middle may lie outside what was actually seen. */
	if (v < (double)h->min)
		v = (double)h->min;
	if (v > (double)h->max)
		v = (double)h->max;
	return v / 1e6;
}

/* ---- context ------------------------------------------------------------ */

typedef enum bench_op {
	BENCH_PING,
	BENCH_HANDSHAKE,
} bench_op_t;

typedef enum conn_state {
	C_IDLE,       /* tcp handle not initialised (or closed) */
	C_CONNECTING, /* uv_tcp_connect pending */
	C_HS,         /* message 1 sent, waiting for message 2 */
	C_READY,      /* transport keys in place, pings flowing */
	C_CLOSING,    /* uv_close called, on_close pending */
} conn_state_t;

typedef struct slot {
	uint64_t id;                  /* request id in flight, 0 when free */
	uint64_t t0;                  /* uv_hrtime() when it was sent */
} slot_t;

struct bench;

typedef struct conn {
	uv_tcp_t tcp;                 /* valid unless state is C_IDLE */
	uv_connect_t creq;
	uv_timer_t retry;             /* redial after an error */
	struct bench *b;              /* owner */
	unsigned index;               /* position in bench.conns, for messages */
	conn_state_t state;
	int redial_ms;                /* after close: <0 none, else delay */
	kt_frame_reader_t *rd;        /* owned, 64 KiB */
	kt_noise_hs_t hs;             /* live between connect and split */
	kt_noise_cipher_t tx, rx;     /* transport keys once C_READY */
	uint64_t seq;                 /* request counter (upper id bits) */
	uint64_t t_connect;           /* uv_hrtime() at connect start */
	unsigned inflight;            /* slots in use */
	slot_t *slots;                /* owned, bench.pipeline entries */
} conn_t;

typedef struct bench {
	uv_loop_t loop;
	uv_timer_t tick;              /* once a second, and the stop */
	uv_signal_t sigint;           /* ^C stops early, figures still printed */
	bench_op_t op;
	const char *op_name;          /* "ping" / "handshake" */
	unsigned nconns;
	unsigned pipeline;            /* pings in flight per connection */
	unsigned seconds;             /* run length */
	struct sockaddr_storage addr; /* server, resolved once */
	uint8_t server_key[32];
	uint8_t term_priv[32];        /* secret: wiped in bench_free */
	uint8_t hello[256];           /* packed ClientHello */
	size_t hello_len;
	conn_t *conns;                /* owned, nconns entries */
	uint64_t t_start, t_end;      /* uv_hrtime() of the measured window */
	uint64_t t_tick;              /* uv_hrtime() of the previous tick */
	uint64_t base_ms;             /* uv_now() at start, for tick deadlines */
	unsigned ticks;               /* seconds elapsed */
	int stopping;                 /* set once; nothing is counted after */
	unsigned up;                  /* connections in C_READY */
	uint64_t ops, ops_tick;       /* completed operations (total, second) */
	uint64_t errors, errors_tick; /* failed operations and connections */
	unsigned errors_logged;
	hist_t total;                 /* latency over the whole run */
	hist_t second;                /* latency within the current second */
	uint8_t rbuf[65536];          /* read buffer shared by all connections:
	                               * every read is consumed before the next */
	uint8_t pbuf[KT_FRAME_MAX];   /* decrypted plaintext */
} bench_t;

typedef struct wreq {
	uv_write_t req;
	size_t len;                   /* bytes used in data */
	uint8_t data[];
} wreq_t;

static void conn_start(conn_t *c);
static void on_close(uv_handle_t *h);

/* ---- errors -------------------------------------------------------------- */

/* Counts one failure and prints the first few, so a broken setup is
 * explained without flooding the terminal at thousands per second. */
static void
bench_error(bench_t *b, const conn_t *c, const char *what, const char *detail)
{
	if (b->stopping)
		return;
	b->errors++;
	b->errors_tick++;
	if (b->errors_logged >= BENCH_MAX_LOGGED)
		return;
	b->errors_logged++;
	fprintf(stderr, "%s: connection %u: %s%s%s\n", BENCH_NAME,
	    c != NULL ? c->index : 0u, what, detail != NULL ? ": " : "",
	    detail != NULL ? detail : "");
	if (b->errors_logged == BENCH_MAX_LOGGED)
		fprintf(stderr, "%s: further errors are counted, not shown\n",
		    BENCH_NAME);
}

/* Closes c; on_close redials after redial_ms (<0: never) unless stopping.
 * Wipes its keys. */
static void
conn_close(conn_t *c, int redial_ms)
{
	if (c->state == C_IDLE || c->state == C_CLOSING)
		return;
	if (c->state == C_READY)
		c->b->up--;
	c->state = C_CLOSING;
	c->redial_ms = redial_ms;
	kt_noise_hs_clear(&c->hs);
	kt_noise_cipher_clear(&c->tx);
	kt_noise_cipher_clear(&c->rx);
	uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void
conn_fail(conn_t *c, const char *what, const char *detail)
{
	if (c->state == C_IDLE || c->state == C_CLOSING)
		return;
	bench_error(c->b, c, what, detail);
	conn_close(c, (int)BENCH_RETRY_MS);
}

/* ---- writing ------------------------------------------------------------- */

/* wreq_new returns a write request with cap bytes of room, or NULL. The
 * caller owns it until uv_write accepts it; then on_write frees it. */
static wreq_t *
wreq_new(size_t cap)
{
	wreq_t *w = malloc(sizeof(*w) + cap);

	if (w != NULL)
		w->len = 0;
	return w;
}

static void
on_write(uv_write_t *req, int status)
{
	wreq_t *w = (wreq_t *)req;
	conn_t *c = req->handle->data;

	free(w);
	/* UV_ECANCELED: the handle is being closed, which was our choice. */
	if (status < 0 && status != UV_ECANCELED)
		conn_fail(c, "write failed", uv_strerror(status));
}

/* conn_send queues w on c and takes ownership of it in every case.
 * Returns 0, or KT_EIO (c has then been failed). */
static int
conn_send(conn_t *c, wreq_t *w)
{
	uv_buf_t buf = uv_buf_init((char *)w->data, (unsigned)w->len);
	int rc;

	rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write);
	if (rc < 0) {
		free(w);
		conn_fail(c, "write failed", uv_strerror(rc));
		return KT_EIO;
	}
	return 0;
}

/* put_ping appends one framed, encrypted ping to w (which must have
 * PING_FRAME_CAP bytes left) in a free slot of c.
 * Returns 0, KT_ESTATE (no free slot), or what kt_noise_encrypt returns. */
static int
put_ping(conn_t *c, wreq_t *w)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__PingRequest ping = KARTOTEKA__PING_REQUEST__INIT;
	uint8_t plain[32];
	uint8_t *frame = w->data + w->len;
	size_t plen, n = 0;
	unsigned i;
	int rc;

	for (i = 0; i < c->b->pipeline; i++)
		if (c->slots[i].id == 0)
			break;
	if (i == c->b->pipeline)
		return KT_ESTATE;
	/* The id names its slot, so answers may come in any order. */
	req.id = (++c->seq << SLOT_BITS) | i;
	req.op_case = KARTOTEKA__REQUEST__OP_PING;
	req.ping = &ping;
	plen = kartoteka__request__get_packed_size(&req);
	if (plen > sizeof(plain))
		return KT_ETOOBIG;
	kartoteka__request__pack(&req, plain);
	rc = kt_noise_encrypt(&c->tx, NULL, 0, plain, plen,
	    frame + KT_FRAME_HDR, &n);
	if (rc != 0)
		return rc;
	rc = kt_frame_put_header(frame, n);
	if (rc != 0)
		return rc;
	w->len += KT_FRAME_HDR + n;
	c->slots[i].id = req.id;
	c->slots[i].t0 = uv_hrtime();
	c->inflight++;
	return 0;
}

/* put_pings fills every free slot of c with a ping appended to w (room for
 * PING_FRAME_CAP bytes per free slot). Returns 0 or what put_ping returns. */
static int
put_pings(conn_t *c, wreq_t *w)
{
	int rc;

	while (c->inflight < c->b->pipeline) {
		rc = put_ping(c, w);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* conn_refill sends pings for every free slot in one write. Returns 0 or a
 * negative KT_E* code (c has then been failed). */
static int
conn_refill(conn_t *c)
{
	wreq_t *w;
	int rc;

	if (c->inflight >= c->b->pipeline || c->b->stopping)
		return 0;
	w = wreq_new((size_t)(c->b->pipeline - c->inflight) * PING_FRAME_CAP);
	if (w == NULL) {
		conn_fail(c, "out of memory", NULL);
		return KT_ENOMEM;
	}
	rc = put_pings(c, w);
	if (rc != 0) {
		free(w);
		conn_fail(c, "cannot build a ping", kt_strerror(rc));
		return rc;
	}
	return conn_send(c, w);
}

/* ---- reading ------------------------------------------------------------- */

/* Handshake message 2 arrived: answer with message 3 (ClientHello) and, in
 * the same write, the first pings. Returns 0 or a negative KT_E* code (c has
 * then been failed). */
static int
on_hs_message2(conn_t *c, const uint8_t *f, size_t flen)
{
	bench_t *b = c->b;
	wreq_t *w = NULL;
	size_t n = 0, cap;
	int rc;

	/* The ServerHello payload is not needed here (the CLI checks it). */
	rc = kt_noise_hs_read_message(&c->hs, f, flen, b->pbuf,
	    sizeof(b->pbuf), &n);
	if (rc != 0) {
		conn_fail(c, "handshake message 2 rejected (wrong server key?)",
		    kt_strerror(rc));
		goto out;
	}
	cap = KT_FRAME_HDR + 128u + b->hello_len +
	    (size_t)b->pipeline * PING_FRAME_CAP;
	w = wreq_new(cap);
	if (w == NULL) {
		rc = KT_ENOMEM;
		conn_fail(c, "out of memory", NULL);
		goto out;
	}
	rc = kt_noise_hs_write_message(&c->hs, b->hello, b->hello_len,
	    w->data + KT_FRAME_HDR, cap - KT_FRAME_HDR, &n);
	if (rc == 0)
		rc = kt_frame_put_header(w->data, n);
	if (rc == 0)
		rc = kt_noise_hs_split(&c->hs, &c->tx, &c->rx, NULL);
	if (rc != 0) {
		conn_fail(c, "handshake message 3", kt_strerror(rc));
		goto out;
	}
	kt_noise_hs_clear(&c->hs);
	w->len = KT_FRAME_HDR + n;
	c->state = C_READY;
	b->up++;
	rc = put_pings(c, w);
	if (rc != 0) {
		conn_fail(c, "cannot build a ping", kt_strerror(rc));
		goto out;
	}
	rc = conn_send(c, w);
	w = NULL;
out:
	free(w);
	return rc;
}

/* A transport frame arrived: one Response to a ping. Returns 0, or a
 * negative KT_E* code when c has been failed or closed. */
static int
on_response(conn_t *c, const uint8_t *f, size_t flen)
{
	bench_t *b = c->b;
	Kartoteka__Response *resp = NULL;
	uint64_t now, t0;
	size_t plen = 0, i;
	int rc;

	rc = kt_noise_decrypt(&c->rx, NULL, 0, f, flen, b->pbuf, &plen);
	if (rc != 0) {
		conn_fail(c, "cannot decrypt a response", kt_strerror(rc));
		goto out;
	}
	now = uv_hrtime();
	resp = kartoteka__response__unpack(NULL, plen, b->pbuf);
	if (resp == NULL) {
		rc = KT_EPROTO;
		conn_fail(c, "undecodable response", NULL);
		goto out;
	}
	i = (size_t)(resp->id & ((UINT64_C(1) << SLOT_BITS) - 1));
	if (resp->id == 0 || i >= b->pipeline || c->slots[i].id != resp->id) {
		rc = KT_EPROTO;
		conn_fail(c, "response to a request never sent", NULL);
		goto out;
	}
	t0 = b->op == BENCH_HANDSHAKE ? c->t_connect : c->slots[i].t0;
	c->slots[i].id = 0;
	c->inflight--;
	if (resp->error != NULL &&
	    resp->error->code != KARTOTEKA__ERROR__CODE__OK) {
		bench_error(b, c, "the server answered with an error",
		    resp->error->message);
	} else if (resp->result_case != KARTOTEKA__RESPONSE__RESULT_PING) {
		bench_error(b, c, "the answer to a ping is not a ping", NULL);
	} else if (!b->stopping) {
		hist_add(&b->total, now - t0);
		hist_add(&b->second, now - t0);
		b->ops++;
		b->ops_tick++;
	}
	if (b->op == BENCH_HANDSHAKE) {
		/* One cycle done: hang up and dial again at once. */
		conn_close(c, 0);
		rc = KT_ECLOSED;
	}
out:
	if (resp != NULL)
		kartoteka__response__free_unpacked(resp, NULL);
	return rc;
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	conn_t *c = h->data;

	(void)suggested;
	*buf = uv_buf_init((char *)c->b->rbuf, (unsigned)sizeof(c->b->rbuf));
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	conn_t *c = s->data;
	const uint8_t *data = (const uint8_t *)buf->base;
	const uint8_t *frame = NULL;
	size_t off = 0, used, flen = 0;
	int rc;

	if (nread == UV_EOF) {
		conn_fail(c, "the server closed the connection", NULL);
		return;
	}
	if (nread < 0) {
		conn_fail(c, "read failed", uv_strerror((int)nread));
		return;
	}
	while (off < (size_t)nread) {
		rc = kt_frame_reader_feed(c->rd, data + off,
		    (size_t)nread - off, &used, &frame, &flen);
		off += used;
		if (rc < 0) {
			conn_fail(c, "bad frame from the server",
			    kt_strerror(rc));
			return;
		}
		if (rc == 0)
			break;
		if (c->state == C_HS)
			rc = on_hs_message2(c, frame, flen);
		else
			rc = on_response(c, frame, flen);
		if (rc != 0)
			return;
	}
	if (c->state == C_READY && b_is_ping(c))
		(void)conn_refill(c);
}
