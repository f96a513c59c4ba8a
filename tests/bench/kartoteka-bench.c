/* SPDX-License-Identifier: MIT */
/* kartoteka-bench: a load generator that drives many Noise connections to
 * the kartotekad named by a terminal's configuration from one libuv loop
 * and reports throughput and latency percentiles: pings and handshakes,
 * and (in a logged-in session) seeding client cards, showing, finding and
 * listing them, logging interactions with them (note), making promises
 * (task) and reading a manager's agenda (agenda). */
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
#include <time.h>

#include <sodium.h>
#include <uv.h>

#include "client_conn.h"
#include "config.h"
#include "families.h"
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
#define BENCH_GRACE_MS 1000u       /* at the end, wait this long for answers */
#define BENCH_MAX_CLIENTS 100000000u /* seed: families per run */
#define BENCH_MAX_FIRST 400000000u  /* seed: phones stay unique below 5e8 */
#define BENCH_MAX_IDS 4000000000u
#define PING_FRAME_CAP 64u         /* a framed, encrypted ping is < 40 bytes */
#define REQ_FRAME_GUESS 512u       /* first guess for a request's frame; a
                                    * write grows when one is bigger */
#define SLOT_BITS 16u
/* The resume request's id. Slot ids have a sequence number >= 1 above the
 * SLOT_BITS slot index, so they are all >= 2^SLOT_BITS and never 1. */
#define RESUME_ID 1u
#define LIST_BIRTH_MONTH 3u        /* list: March birthdays */
#define SEGMENT_AGE_MIN 4u         /* segment: a March child of 4 to 6 */
#define SEGMENT_AGE_MAX 6u
#define LIST_LIMIT 20u
#define FIND_LIMIT 20u
/* note: the text of every entry (the same size as pg-insert.sql's). */
#define NOTE_TOPIC "Звонок: пробное занятие по рисованию"
#define NOTE_AGREED "Придут в субботу к 10:00, перезвонить в пятницу"
/* task: a promise due tomorrow (bench.task_due). */
#define TASK_TITLE "Перезвонить: продление абонемента"

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
	/* The ops below need a session: a resume request goes first. */
	BENCH_SEED,
	BENCH_SHOW,
	BENCH_FIND,
	BENCH_LIST,
	BENCH_SEGMENT,
	BENCH_NOTE,
	BENCH_TASK,
	BENCH_AGENDA,
	BENCH_REPORT,
} bench_op_t;

#define OP_NEEDS_SESSION(op) ((op) >= BENCH_SEED)

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
	uint64_t k;                   /* seed: the family number it adds */
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
	const char *op_name;          /* "ping", "seed", ... (argv) */
	unsigned nconns;
	unsigned pipeline;            /* requests in flight per connection */
	unsigned seconds;             /* run length */
	struct sockaddr_storage addr; /* server, resolved once */
	uint8_t server_key[32];
	uint8_t term_priv[32];        /* secret: wiped in bench_free */
	uint8_t session[32];          /* secret: the session token to resume */
	char config_dir[4096];        /* for messages */
	const char *branch;           /* --branch (argv), NULL if not given */
	const char *manager;          /* seed: --manager login (argv) or NULL */
	char seed_branch[128];        /* seed: --branch, else the terminal's */
	uint64_t clients;             /* seed: families to add */
	uint64_t next_k;              /* seed: the next family number */
	uint64_t seed_sent;           /* seed: add requests sent */
	uint64_t answered;            /* seed: adds answered (either way) */
	uint64_t lost;                /* seed: adds lost with a connection */
	unsigned ids;                 /* show, find: ids / families 1..ids */
	uint64_t rng;                 /* splitmix64 state for show and find */
	uint64_t find_turn;           /* find: even = a name, odd = a phone */
	char task_due[16];            /* task: tomorrow, YYYY-MM-DD local */
	const kt_surname_t *surnames; /* find: the generator's table */
	size_t nsurnames;
	int fatal;                    /* the session was refused: said once */
	uint8_t hello[256];           /* packed ClientHello */
	size_t hello_len;
	conn_t *conns;                /* owned, nconns entries */
	uint64_t t_start, t_end;      /* uv_hrtime() of the measured window */
	uint64_t t_tick;              /* uv_hrtime() of the previous tick */
	uint64_t base_ms;             /* uv_now() at start, for tick deadlines */
	unsigned ticks;               /* seconds elapsed */
	int stopping;                 /* set once; nothing is counted after */
	int finished;                 /* every handle is being closed */
	unsigned live;                /* tcp handles initialised, not closed */
	unsigned up;                  /* connections in C_READY */
	uint64_t ops, ops_tick;       /* completed operations (total, second) */
	uint64_t errors, errors_tick; /* failed operations and connections */
	unsigned errors_logged;
	hist_t total;                 /* latency over the whole run */
	hist_t second;                /* latency within the current second */
	uint8_t rbuf[65536];          /* read buffer shared by all connections:
	                               * every read is consumed before the next */
	uint8_t pbuf[KT_FRAME_MAX];   /* decrypted plaintext */
	uint8_t sbuf[KT_FRAME_MAX];   /* a request's plaintext, before it is
	                               * encrypted (holds the token for a
	                               * moment: wiped after) */
	kt_family_t fam;              /* seed: scratch for one family */
	kt_family_pb_t fam_pb;
} bench_t;

typedef struct wreq {
	uv_write_t req;
	size_t len;                   /* bytes used in data */
	size_t cap;                   /* bytes of room in data */
	uint8_t data[];
} wreq_t;

static void conn_start(conn_t *c);
static void conn_start_cb(uv_timer_t *t);
static void on_close(uv_handle_t *h);
static void bench_finish(bench_t *b);
static void bench_stop(bench_t *b);

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

/* seed_done stops a seed run once every add has been answered or lost. */
static void
seed_done(bench_t *b)
{
	if (b->op == BENCH_SEED && b->answered >= b->clients)
		bench_stop(b);
}

/* Requests in flight on a failing connection will never be answered. For
 * seed they count as lost (the server may or may not have committed them),
 * so that the run still ends; other ops just redial. */
static void
lose_inflight(conn_t *c)
{
	bench_t *b = c->b;
	unsigned i;

	for (i = 0; i < b->pipeline; i++) {
		if (c->slots[i].id == 0)
			continue;
		c->slots[i].id = 0;
		if (b->op == BENCH_SEED && !b->stopping) {
			b->lost++;
			b->answered++;
		}
	}
	c->inflight = 0;
	seed_done(b);
}

static void
conn_fail(conn_t *c, const char *what, const char *detail)
{
	if (c->state == C_IDLE || c->state == C_CLOSING)
		return;
	bench_error(c->b, c, what, detail);
	lose_inflight(c);
	conn_close(c, (int)BENCH_RETRY_MS);
}

/* ---- writing ------------------------------------------------------------- */

/* wreq_new returns a write request with cap bytes of room, or NULL. The
 * caller owns it until uv_write accepts it; then on_write frees it. */
static wreq_t *
wreq_new(size_t cap)
{
	wreq_t *w = malloc(sizeof(*w) + cap);

	if (w != NULL) {
		w->len = 0;
		w->cap = cap;
	}
	return w;
}

/* wreq_reserve makes room for need more bytes in *wp, moving it when it
 * must (allowed only before uv_write has it). Returns 0 or KT_ENOMEM, and
 * then *wp is unchanged and still owned by the caller. */
static int
wreq_reserve(wreq_t **wp, size_t need)
{
	wreq_t *w = *wp;
	size_t cap;

	if (w->cap - w->len >= need)
		return 0;
	cap = w->cap * 2 > w->len + need ? w->cap * 2 : w->len + need;
	w = realloc(w, sizeof(*w) + cap);
	if (w == NULL)
		return KT_ENOMEM;
	w->cap = cap;
	*wp = w;
	return 0;
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

/* ---- requests ------------------------------------------------------------ */

static uint64_t
bench_rand(bench_t *b)
{
	uint64_t z = (b->rng += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* utf8_prefix copies the first n characters of UTF-8 s into out (cap
 * bytes, NUL-terminated; never cuts a character). */
static void
utf8_prefix(const char *s, unsigned n, char *out, size_t cap)
{
	size_t len = 0, end;

	while (n > 0 && s[len] != 0) {
		end = len + 1;
		while (((unsigned char)s[end] & 0xC0) == 0x80)
			end++;
		if (end + 1 > cap)
			break;
		len = end;
		n--;
	}
	memcpy(out, s, len);
	out[len] = 0;
}

/* find_text writes the next search of the find op into out (cap >= 32):
 * by turns the first 3 letters of a surname from the generator's table and
 * the mother's phone of a random family in 1..ids, typed in one of the ways
 * people type it. */
static void
find_text(bench_t *b, char *out, size_t cap)
{
	char phone[KT_FAMILY_PHONE_LEN];
	const char *d = phone + 2; /* "9xxxxxxxxx" */
	uint64_t k;

	if (b->find_turn++ % 2 == 0) {
		const kt_surname_t *s =
		    &b->surnames[bench_rand(b) % b->nsurnames];

		utf8_prefix(s->male, 3, out, cap);
		return;
	}
	k = 1 + bench_rand(b) % b->ids;
	kt_family_phone(k, 0, phone);
	switch (bench_rand(b) % 3) {
	case 0:
		(void)snprintf(out, cap, "8 (%.3s) %.3s-%.2s-%.2s", d, d + 3,
		    d + 6, d + 8);
		break;
	case 1:
		(void)snprintf(out, cap, "+7 %.3s %.3s %.2s %.2s", d, d + 3,
		    d + 6, d + 8);
		break;
	default:
		(void)snprintf(out, cap, "%s", d);
		break;
	}
}

/* put_message appends req to *wp, packed, encrypted and framed; *wp grows
 * as needed. The plaintext passes through b->sbuf and is wiped there when
 * wipe is set (it holds a secret). Returns 0, KT_ETOOBIG, KT_ENOMEM or what
 * kt_noise_encrypt returns. */
static int
put_message(conn_t *c, wreq_t **wp, const Kartoteka__Request *req, int wipe)
{
	bench_t *b = c->b;
	size_t plen, n = 0;
	uint8_t *frame;
	int rc;

	plen = kartoteka__request__get_packed_size(req);
	if (plen + KT_NOISE_TAGLEN > KT_FRAME_MAX)
		return KT_ETOOBIG;
	rc = wreq_reserve(wp, KT_FRAME_HDR + plen + KT_NOISE_TAGLEN);
	if (rc != 0)
		return rc;
	kartoteka__request__pack(req, b->sbuf);
	frame = (*wp)->data + (*wp)->len;
	rc = kt_noise_encrypt(&c->tx, NULL, 0, b->sbuf, plen,
	    frame + KT_FRAME_HDR, &n);
	if (wipe)
		sodium_memzero(b->sbuf, plen);
	if (rc != 0)
		return rc;
	rc = kt_frame_put_header(frame, n);
	if (rc != 0)
		return rc;
	(*wp)->len += KT_FRAME_HDR + n;
	return 0;
}

/* put_resume appends the resume request (id RESUME_ID) with the session
 * token to *wp. Returns 0 or what put_message returns. */
static int
put_resume(conn_t *c, wreq_t **wp)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ResumeRequest rr = KARTOTEKA__RESUME_REQUEST__INIT;

	rr.token.data = c->b->session;
	rr.token.len = sizeof(c->b->session);
	req.id = RESUME_ID;
	req.op_case = KARTOTEKA__REQUEST__OP_RESUME;
	req.resume = &rr;
	return put_message(c, wp, &req, 1);
}

/* put_request appends the op's next request to *wp in a free slot of c.
 * Returns 0, KT_ESTATE (no free slot), KT_ENOTFOUND (seed: every family
 * has been sent), or what put_message returns. */
static int
put_request(conn_t *c, wreq_t **wp)
{
	bench_t *b = c->b;
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__PingRequest ping = KARTOTEKA__PING_REQUEST__INIT;
	Kartoteka__ClientAddRequest add = KARTOTEKA__CLIENT_ADD_REQUEST__INIT;
	Kartoteka__ClientShowRequest show =
	    KARTOTEKA__CLIENT_SHOW_REQUEST__INIT;
	Kartoteka__ClientFindRequest find =
	    KARTOTEKA__CLIENT_FIND_REQUEST__INIT;
	Kartoteka__ClientListRequest list =
	    KARTOTEKA__CLIENT_LIST_REQUEST__INIT;
	Kartoteka__NoteAddRequest note = KARTOTEKA__NOTE_ADD_REQUEST__INIT;
	Kartoteka__TaskAddRequest task = KARTOTEKA__TASK_ADD_REQUEST__INIT;
	Kartoteka__AgendaRequest agenda = KARTOTEKA__AGENDA_REQUEST__INIT;
	Kartoteka__ReportRequest report = KARTOTEKA__REPORT_REQUEST__INIT;
	Kartoteka__Client client;
	char text[64];
	uint64_t k = 0;
	unsigned i;
	int rc;

	for (i = 0; i < b->pipeline; i++)
		if (c->slots[i].id == 0)
			break;
	if (i == b->pipeline)
		return KT_ESTATE;
	if (b->op == BENCH_SEED && b->seed_sent >= b->clients)
		return KT_ENOTFOUND;
	/* The id names its slot, so answers may come in any order. */
	req.id = (++c->seq << SLOT_BITS) | i;
	switch (b->op) {
	case BENCH_PING:
	case BENCH_HANDSHAKE:
		req.op_case = KARTOTEKA__REQUEST__OP_PING;
		req.ping = &ping;
		break;
	case BENCH_SEED:
		k = b->next_k;
		kt_family_make(k, 0, &b->fam);
		kt_family_to_client(&b->fam, &client, &b->fam_pb);
		client.branch = b->seed_branch;
		if (b->manager != NULL)
			client.manager = (char *)b->manager;
		add.client = &client;
		req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_ADD;
		req.client_add = &add;
		break;
	case BENCH_SHOW:
		show.id = 1 + bench_rand(b) % b->ids;
		req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_SHOW;
		req.client_show = &show;
		break;
	case BENCH_FIND:
		find_text(b, text, sizeof(text));
		find.text = text;
		find.limit = FIND_LIMIT;
		req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_FIND;
		req.client_find = &find;
		break;
	case BENCH_LIST:
		if (b->branch != NULL)
			list.branch = (char *)b->branch;
		list.birth_month = LIST_BIRTH_MONTH;
		list.limit = LIST_LIMIT;
		req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_LIST;
		req.client_list = &list;
		break;
	case BENCH_SEGMENT:
		/* One child born in March who is 4 to 6: by person. */
		if (b->branch != NULL)
			list.branch = (char *)b->branch;
		list.birth_month = LIST_BIRTH_MONTH;
		list.children_only = 1;
		list.child_age_min = SEGMENT_AGE_MIN;
		list.child_age_max = SEGMENT_AGE_MAX;
		list.limit = LIST_LIMIT;
		req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_LIST;
		req.client_list = &list;
		break;
	case BENCH_NOTE:
		/* A call of the usual size: a topic and what was agreed. */
		note.client_id = 1 + bench_rand(b) % b->ids;
		note.channel = KARTOTEKA__CHANNEL__CALL;
		note.direction = KARTOTEKA__DIRECTION__OUTBOUND;
		note.topic = (char *)NOTE_TOPIC;
		note.agreed = (char *)NOTE_AGREED;
		req.op_case = KARTOTEKA__REQUEST__OP_NOTE_ADD;
		req.note_add = &note;
		break;
	case BENCH_TASK:
		task.client_id = 1 + bench_rand(b) % b->ids;
		task.due = b->task_due;
		task.kind = KARTOTEKA__TASK_KIND__TASK_PROMISE;
		task.title = (char *)TASK_TITLE;
		req.op_case = KARTOTEKA__REQUEST__OP_TASK_ADD;
		req.task_add = &task;
		break;
	case BENCH_AGENDA:
		/* --manager's agenda (a head's or the owner's view of one
		 * manager), else the caller's own. */
		if (b->manager != NULL)
			agenda.user = (char *)b->manager;
		req.op_case = KARTOTEKA__REQUEST__OP_AGENDA;
		req.agenda = &agenda;
		break;
	case BENCH_REPORT:
		/* A branch's (or every branch's) report over 12 months. */
		if (b->branch != NULL)
			report.branch = (char *)b->branch;
		report.months = 12;
		req.op_case = KARTOTEKA__REQUEST__OP_REPORT;
		req.report = &report;
		break;
	}
	rc = put_message(c, wp, &req, 0);
	if (rc != 0)
		return rc;
	if (b->op == BENCH_SEED) {
		b->next_k++;
		b->seed_sent++;
	}
	c->slots[i].id = req.id;
	c->slots[i].k = k;
	c->slots[i].t0 = uv_hrtime();
	c->inflight++;
	return 0;
}

/* put_requests fills every free slot of c with a request appended to *wp
 * (which grows as needed); a seed with every family sent leaves slots
 * free. Returns 0 or what put_request returns. */
static int
put_requests(conn_t *c, wreq_t **wp)
{
	int rc;

	while (c->inflight < c->b->pipeline) {
		rc = put_request(c, wp);
		if (rc == KT_ENOTFOUND)
			return 0;
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* conn_refill sends requests for every free slot in one write. Returns 0
 * or a negative KT_E* code (c has then been failed). */
static int
conn_refill(conn_t *c)
{
	bench_t *b = c->b;
	wreq_t *w;
	size_t each;
	int rc;

	if (c->inflight >= b->pipeline || b->stopping)
		return 0;
	each = b->op <= BENCH_HANDSHAKE ? PING_FRAME_CAP : REQ_FRAME_GUESS;
	w = wreq_new((size_t)(b->pipeline - c->inflight) * each);
	if (w == NULL) {
		conn_fail(c, "out of memory", NULL);
		return KT_ENOMEM;
	}
	rc = put_requests(c, &w);
	if (rc != 0) {
		free(w);
		conn_fail(c, "cannot build a request", kt_strerror(rc));
		return rc;
	}
	if (w->len == 0) { /* seed: nothing left to send */
		free(w);
		return 0;
	}
	return conn_send(c, w);
}

/* ---- reading ------------------------------------------------------------- */

/* Handshake message 2 arrived: answer with message 3 (ClientHello) and, in
 * the same write, the resume request (ops that need a session) and the
 * first requests. Returns 0 or a negative KT_E* code (c has then been
 * failed). */
static int
on_hs_message2(conn_t *c, const uint8_t *f, size_t flen)
{
	bench_t *b = c->b;
	wreq_t *w = NULL;
	size_t n = 0, cap, each;
	int rc;

	/* The ServerHello payload is not needed here (the CLI checks it). */
	rc = kt_noise_hs_read_message(&c->hs, f, flen, b->pbuf,
	    sizeof(b->pbuf), &n);
	if (rc != 0) {
		conn_fail(c, "handshake message 2 rejected (wrong server key?)",
		    kt_strerror(rc));
		goto out;
	}
	each = b->op <= BENCH_HANDSHAKE ? PING_FRAME_CAP : REQ_FRAME_GUESS;
	cap = KT_FRAME_HDR + 128u + b->hello_len + (size_t)b->pipeline * each;
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
	/* While stopping, a connection only completes its handshake; a
	 * handshake cycle still needs its ping to end. The server handles
	 * resume before it reads the next request, so the requests may follow
	 * it in the same write. */
	if (!b->stopping || b->op == BENCH_HANDSHAKE) {
		if (OP_NEEDS_SESSION(b->op))
			rc = put_resume(c, &w);
		if (rc == 0)
			rc = put_requests(c, &w);
	}
	if (rc != 0) {
		conn_fail(c, "cannot build a request", kt_strerror(rc));
		goto out;
	}
	rc = conn_send(c, w);
	w = NULL;
out:
	free(w);
	return rc;
}

/* The answer to the resume request. A refused session makes every
 * request fail, so it ends the run with one clear message. Returns 0. */
static int
on_resume_answer(conn_t *c, const Kartoteka__Response *resp)
{
	bench_t *b = c->b;

	if (resp->error == NULL ||
	    resp->error->code == KARTOTEKA__ERROR__CODE__OK)
		return 0;
	if (!b->fatal) {
		b->fatal = 1;
		b->errors++;
		fprintf(stderr, "%s: the server refused the session: %s "
		    "(kartoteka --config %s login LOGIN)\n", BENCH_NAME,
		    resp->error->message, b->config_dir);
	}
	bench_stop(b);
	return 0;
}

/* The result an answer to the op's requests carries. */
static Kartoteka__Response__ResultCase
expected_result(bench_op_t op)
{
	switch (op) {
	case BENCH_SEED:
	case BENCH_SHOW:
		return KARTOTEKA__RESPONSE__RESULT_CLIENT;
	case BENCH_FIND:
	case BENCH_LIST:
	case BENCH_SEGMENT:
		return KARTOTEKA__RESPONSE__RESULT_CLIENT_LIST;
	case BENCH_NOTE:
		return KARTOTEKA__RESPONSE__RESULT_NOTE;
	case BENCH_TASK:
		return KARTOTEKA__RESPONSE__RESULT_TASK;
	case BENCH_AGENDA:
		return KARTOTEKA__RESPONSE__RESULT_AGENDA;
	case BENCH_REPORT:
		return KARTOTEKA__RESPONSE__RESULT_REPORT;
	case BENCH_PING:
	case BENCH_HANDSHAKE:
		break;
	}
	return KARTOTEKA__RESPONSE__RESULT_PING;
}

/* server_error counts an Error answer to slot s, naming its code and, for
 * seed, the family. */
static void
server_error(conn_t *c, const slot_t *s, const Kartoteka__Error *e)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
	    &kartoteka__error__code__descriptor, (int)e->code);
	char what[96];

	if (c->b->op == BENCH_SEED)
		(void)snprintf(what, sizeof(what), "family %" PRIu64 ": %s",
		    s->k, v != NULL ? v->name : "error");
	else
		(void)snprintf(what, sizeof(what), "the server answered %s",
		    v != NULL ? v->name : "an error");
	bench_error(c->b, c, what, e->message);
}

/* A transport frame arrived: one Response. Returns 0, or a negative KT_E*
 * code when c has been failed or closed. */
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
	if (resp->id == RESUME_ID && OP_NEEDS_SESSION(b->op)) {
		rc = on_resume_answer(c, resp);
		goto out;
	}
	i = (size_t)(resp->id & ((UINT64_C(1) << SLOT_BITS) - 1));
	if (resp->id == 0 || i >= b->pipeline || c->slots[i].id != resp->id) {
		rc = KT_EPROTO;
		conn_fail(c, "response to a request never sent", NULL);
		goto out;
	}
	/* A partial answer: the request is done with the last one. */
	if (resp->more && (resp->error == NULL ||
	    resp->error->code == KARTOTEKA__ERROR__CODE__OK))
		goto out;
	t0 = b->op == BENCH_HANDSHAKE ? c->t_connect : c->slots[i].t0;
	c->slots[i].id = 0;
	c->inflight--;
	if (resp->error != NULL &&
	    resp->error->code != KARTOTEKA__ERROR__CODE__OK) {
		server_error(c, &c->slots[i], resp->error);
	} else if (resp->result_case != expected_result(b->op)) {
		bench_error(b, c, "the answer does not fit the request", NULL);
	} else if (!b->stopping) {
		hist_add(&b->total, now - t0);
		hist_add(&b->second, now - t0);
		b->ops++;
		b->ops_tick++;
	}
	if (b->op == BENCH_SEED && !b->stopping) {
		b->answered++;
		seed_done(b);
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
	if (c->state != C_READY)
		return;
	if (c->b->stopping && c->inflight == 0)
		conn_close(c, -1); /* drained: hang up without a pending answer */
	else if (c->b->op != BENCH_HANDSHAKE)
		(void)conn_refill(c);
}

/* ---- connecting ---------------------------------------------------------- */

static void
on_connect(uv_connect_t *req, int status)
{
	conn_t *c = req->data;
	wreq_t *w;
	size_t n = 0;
	int rc;

	if (status == UV_ECANCELED || c->state != C_CONNECTING)
		return;
	if (status < 0) {
		conn_fail(c, "cannot connect", uv_strerror(status));
		return;
	}
	rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
	if (rc < 0) {
		conn_fail(c, "cannot read", uv_strerror(rc));
		return;
	}
	/* -> e, es with an empty payload */
	w = wreq_new(KT_FRAME_HDR + 128u);
	if (w == NULL) {
		conn_fail(c, "out of memory", NULL);
		return;
	}
	rc = kt_noise_hs_write_message(&c->hs, NULL, 0, w->data + KT_FRAME_HDR,
	    128u, &n);
	if (rc == 0)
		rc = kt_frame_put_header(w->data, n);
	if (rc != 0) {
		free(w);
		conn_fail(c, "handshake message 1", kt_strerror(rc));
		return;
	}
	w->len = KT_FRAME_HDR + n;
	c->state = C_HS;
	(void)conn_send(c, w);
}

/* conn_start dials the server on c (which must be C_IDLE). Failures are
 * counted and the slot redials later; nothing happens once stopping. */
static void
conn_start(conn_t *c)
{
	bench_t *b = c->b;
	int rc;

	if (b->stopping)
		return;
	rc = uv_tcp_init(&b->loop, &c->tcp);
	if (rc < 0) {
		bench_error(b, c, "cannot create a socket", uv_strerror(rc));
		(void)uv_timer_start(&c->retry, conn_start_cb,
		    BENCH_RETRY_MS, 0);
		return;
	}
	c->tcp.data = c;
	c->state = C_CONNECTING;
	b->live++;
	kt_frame_reader_reset(c->rd);
	memset(c->slots, 0, (size_t)b->pipeline * sizeof(*c->slots));
	c->inflight = 0;
	/* Handshake latency counts from here: key setup, connect, 3 messages,
	 * one ping. */
	c->t_connect = uv_hrtime();
	rc = kt_noise_hs_init(&c->hs, KT_NOISE_XK, 1,
	    (const uint8_t *)KT_PROLOGUE, strlen(KT_PROLOGUE), b->term_priv,
	    b->server_key);
	if (rc != 0) {
		conn_fail(c, "handshake setup", kt_strerror(rc));
		return;
	}
	(void)uv_tcp_nodelay(&c->tcp, 1);
	c->creq.data = c;
	rc = uv_tcp_connect(&c->creq, &c->tcp,
	    (const struct sockaddr *)&b->addr, on_connect);
	if (rc < 0)
		conn_fail(c, "cannot connect", uv_strerror(rc));
}

/* The retry timer of a connection; its data is the connection. */
static void
conn_start_cb(uv_timer_t *t)
{
	conn_start(t->data);
}

static void
on_close(uv_handle_t *h)
{
	conn_t *c = h->data;

	c->state = C_IDLE;
	c->b->live--;
	if (c->b->stopping) {
		if (c->b->live == 0)
			bench_finish(c->b);
		return;
	}
	if (c->redial_ms < 0)
		return;
	if (c->redial_ms == 0)
		conn_start(c);
	else
		(void)uv_timer_start(&c->retry, conn_start_cb,
		    (uint64_t)c->redial_ms, 0);
}

/* ---- run control --------------------------------------------------------- */

/* bench_finish closes the remaining handles (timers, signal, and any
 * connection still open), so uv_run returns once their callbacks have run.
 * Idempotent. */
static void
bench_finish(bench_t *b)
{
	unsigned i;

	if (b->finished)
		return;
	b->finished = 1;
	uv_close((uv_handle_t *)&b->tick, NULL);
	uv_close((uv_handle_t *)&b->sigint, NULL);
	for (i = 0; i < b->nconns; i++) {
		uv_close((uv_handle_t *)&b->conns[i].retry, NULL);
		conn_close(&b->conns[i], -1);
	}
}

static void
on_grace_over(uv_timer_t *t)
{
	bench_finish(t->data);
}

/* bench_stop ends the measured window. Nothing new is sent; connections
 * close once their answers are in (a peer hanging up on a server that is
 * still writing only makes noise in its log), and after BENCH_GRACE_MS
 * the rest are closed regardless. Idempotent. */
static void
bench_stop(bench_t *b)
{
	unsigned i;

	if (b->stopping)
		return;
	b->stopping = 1;
	b->t_end = uv_hrtime();
	for (i = 0; i < b->nconns; i++) {
		conn_t *c = &b->conns[i];

		(void)uv_timer_stop(&c->retry);
		if (c->state == C_READY && c->inflight == 0)
			conn_close(c, -1);
	}
	if (b->live == 0)
		bench_finish(b);
	else
		(void)uv_timer_start(&b->tick, on_grace_over, BENCH_GRACE_MS,
		    0);
}

static void on_tick(uv_timer_t *t);

/* Ticks fall on whole seconds after the start, so they do not drift. */
static void
schedule_tick(bench_t *b)
{
	uint64_t due = b->base_ms + (uint64_t)(b->ticks + 1u) * 1000u;
	uint64_t now = uv_now(&b->loop);

	(void)uv_timer_start(&b->tick, on_tick, due > now ? due - now : 0, 0);
}

static void
on_tick(uv_timer_t *t)
{
	bench_t *b = t->data;
	uint64_t now = uv_hrtime();
	double secs = (double)(now - b->t_tick) / 1e9;

	b->ticks++;
	if (secs <= 0.0)
		secs = 1e-9;
	fprintf(stderr, "[%4us] %s: %.0f ops/s, p50 %.3f ms, p99 %.3f ms, "
	    "p999 %.3f ms", b->ticks, b->op_name, (double)b->ops_tick / secs,
	    hist_quantile_ms(&b->second, 0.50),
	    hist_quantile_ms(&b->second, 0.99),
	    hist_quantile_ms(&b->second, 0.999));
	if (b->op != BENCH_HANDSHAKE)
		fprintf(stderr, ", %u/%u connections up", b->up, b->nconns);
	if (b->op == BENCH_SEED)
		fprintf(stderr, ", %" PRIu64 "/%" PRIu64 " answered",
		    b->answered, b->clients);
	fprintf(stderr, ", %" PRIu64 " errors\n", b->errors_tick);
	hist_reset(&b->second);
	b->ops_tick = 0;
	b->errors_tick = 0;
	b->t_tick = now;
	/* A seed ends when every family is answered (seed_done), not by
	 * time. */
	if (b->op != BENCH_SEED && b->ticks >= b->seconds)
		bench_stop(b);
	else
		schedule_tick(b);
}

static void
on_sigint(uv_signal_t *s, int signum)
{
	bench_t *b = s->data;

	(void)signum;
	fprintf(stderr, "%s: interrupted, stopping early\n", BENCH_NAME);
	bench_stop(b);
}

/* Final figures on stdout; the last line has the fixed form that scripts
 * parse: "OP: N ops/s, p50 X ms, p99 Y ms, p999 Z ms". A seed adds
 * "seed: N clients in T s" just before it. */
static void
bench_report(const bench_t *b)
{
	double secs = (double)(b->t_end - b->t_start) / 1e9;

	if (secs <= 0.0)
		secs = 1e-9;
	printf("%s: %.2f s, %u connection%s", b->op_name, secs, b->nconns,
	    b->nconns == 1 ? "" : "s");
	if (b->op != BENCH_HANDSHAKE)
		printf(", pipeline %u", b->pipeline);
	printf(", %" PRIu64 " ops, %" PRIu64 " errors\n", b->ops, b->errors);
	if (b->op == BENCH_SEED && b->lost > 0)
		printf("%s: %" PRIu64 " adds lost with failed connections (may "
		    "or may not be stored)\n", b->op_name, b->lost);
	if (b->total.n > 0)
		printf("%s: latency min %.3f ms, mean %.3f ms, max %.3f ms\n",
		    b->op_name, (double)b->total.min / 1e6,
		    (double)b->total.sum / (double)b->total.n / 1e6,
		    (double)b->total.max / 1e6);
	if (b->op == BENCH_SEED && b->seed_sent > 0)
		printf("seed: families %" PRIu64 "..%" PRIu64 " sent, the next "
		    "run may start at --first %" PRIu64 "\n",
		    b->next_k - b->seed_sent, b->next_k - 1, b->next_k);
	if (b->op == BENCH_SEED)
		printf("seed: %" PRIu64 " clients in %.2f s\n", b->ops, secs);
	printf("%s: %.0f ops/s, p50 %.3f ms, p99 %.3f ms, p999 %.3f ms\n",
	    b->op_name, (double)b->ops / secs,
	    hist_quantile_ms(&b->total, 0.50),
	    hist_quantile_ms(&b->total, 0.99),
	    hist_quantile_ms(&b->total, 0.999));
	fflush(stdout);
}

/* ---- setup --------------------------------------------------------------- */

/* parse_uint reads a decimal in [min, max]. Returns 0 or KT_EINVAL. */
static int
parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end = NULL;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return KT_EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return KT_EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* raise_nofile lifts the soft descriptor limit to need when the hard limit
 * allows. Returns 0, or KT_EINVAL when need descriptors are not possible. */
static int
raise_nofile(rlim_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0; /* unknown: let connect() report it */
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ?
		    need : rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < need)
			return KT_EINVAL;
	}
	return 0;
}

/* bench_load_config takes the server address, both keys and (for the ops
 * that need one) the session token from the configuration directory dir
 * (NULL: the usual search) into b. The secrets in the loaded config are
 * wiped before returning. Returns 0, KT_EINVAL (not enrolled, not logged
 * in, bad address, cannot resolve) or what kt_config_load returns; a
 * message has been printed. */
static int
bench_load_config(bench_t *b, const char *dir)
{
	kt_config_t *cfg = NULL;
	struct addrinfo hints, *res = NULL;
	const char *why = NULL;
	char host[256], port[16], path[sizeof(cfg->dir)];
	int rc, grc;

	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		rc = KT_ENOMEM;
		fprintf(stderr, "%s: out of memory\n", BENCH_NAME);
		goto out;
	}
	/* Not into cfg->dir: kt_config_load zeroes cfg before copying dir. */
	rc = kt_config_dir(dir, path, sizeof(path));
	if (rc != 0) {
		fprintf(stderr, "%s: no configuration directory: give "
		    "--config DIR\n", BENCH_NAME);
		goto out;
	}
	rc = kt_config_load(cfg, path, &why);
	if (rc != 0) {
		fprintf(stderr, "%s: %s: %s\n", BENCH_NAME, path,
		    why != NULL ? why : kt_strerror(rc));
		goto out;
	}
	if (!cfg->has_server || !cfg->has_terminal) {
		rc = KT_EINVAL;
		fprintf(stderr, "%s: %s is not enrolled with a server: run "
		    "'kartoteka --config %s enroll CODE' first\n", BENCH_NAME,
		    cfg->dir, cfg->dir);
		goto out;
	}
	if (OP_NEEDS_SESSION(b->op) && !cfg->has_session) {
		rc = KT_EINVAL;
		fprintf(stderr, "%s: %s needs a session: log in first: "
		    "kartoteka --config %s login LOGIN\n", BENCH_NAME,
		    b->op_name, cfg->dir);
		goto out;
	}
	rc = kt_address_split(cfg->address, host, sizeof(host), port,
	    sizeof(port), &why);
	if (rc != 0) {
		fprintf(stderr, "%s: server address '%s': %s\n", BENCH_NAME,
		    cfg->address, why != NULL ? why : kt_strerror(rc));
		goto out;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	grc = getaddrinfo(host, port, &hints, &res);
	if (grc != 0 || res == NULL || res->ai_addrlen > sizeof(b->addr)) {
		rc = KT_EINVAL;
		fprintf(stderr, "%s: cannot resolve %s: %s\n", BENCH_NAME,
		    cfg->address, grc != 0 ? gai_strerror(grc) : "no address");
		goto out;
	}
	memcpy(&b->addr, res->ai_addr, res->ai_addrlen);
	memcpy(b->server_key, cfg->server_key, sizeof(b->server_key));
	memcpy(b->term_priv, cfg->terminal_priv, sizeof(b->term_priv));
	if (cfg->has_session)
		memcpy(b->session, cfg->session, sizeof(b->session));
	(void)snprintf(b->config_dir, sizeof(b->config_dir), "%s", cfg->dir);
	/* Cards go to --branch, else to the terminal's own branch (an owner
	 * terminal has none: the server then decides). */
	(void)snprintf(b->seed_branch, sizeof(b->seed_branch), "%s",
	    b->branch != NULL ? b->branch : cfg->branch);
	fprintf(stderr, "%s: %s against %s (%s)\n", BENCH_NAME, b->op_name,
	    cfg->address, cfg->dir);
out:
	if (res != NULL)
		freeaddrinfo(res);
	kt_config_clear(cfg);
	free(cfg);
	return rc;
}

/* bench_alloc_conns gives every connection its frame reader and slots.
 * Returns 0 or KT_ENOMEM (what was allocated is freed by bench_free). */
static int
bench_alloc_conns(bench_t *b)
{
	unsigned i;

	b->conns = calloc(b->nconns, sizeof(*b->conns));
	if (b->conns == NULL)
		return KT_ENOMEM;
	for (i = 0; i < b->nconns; i++) {
		conn_t *c = &b->conns[i];

		c->b = b;
		c->index = i;
		c->state = C_IDLE;
		c->redial_ms = -1;
		c->rd = malloc(sizeof(*c->rd));
		c->slots = calloc(b->pipeline, sizeof(*c->slots));
		if (c->rd == NULL || c->slots == NULL)
			return KT_ENOMEM;
	}
	return 0;
}

/* Frees b and everything it owns, wiping the terminal key. Every uv handle
 * must be closed already. Accepts NULL. */
static void
bench_free(bench_t *b)
{
	unsigned i;

	if (b == NULL)
		return;
	if (b->conns != NULL) {
		for (i = 0; i < b->nconns; i++) {
			kt_noise_hs_clear(&b->conns[i].hs);
			kt_noise_cipher_clear(&b->conns[i].tx);
			kt_noise_cipher_clear(&b->conns[i].rx);
			free(b->conns[i].rd);
			free(b->conns[i].slots);
		}
		free(b->conns);
	}
	sodium_memzero(b->term_priv, sizeof(b->term_priv));
	sodium_memzero(b->session, sizeof(b->session));
	free(b);
}

/* bench_run starts every connection and runs the loop until the time is
 * up (or ^C). Returns 0 or KT_EIO (the loop could not be set up). */
static int
bench_run(bench_t *b)
{
	unsigned i;
	int rc;

	rc = uv_loop_init(&b->loop);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", BENCH_NAME, uv_strerror(rc));
		return KT_EIO;
	}
	(void)uv_timer_init(&b->loop, &b->tick);
	b->tick.data = b;
	(void)uv_signal_init(&b->loop, &b->sigint);
	b->sigint.data = b;
	(void)uv_signal_start_oneshot(&b->sigint, on_sigint, SIGINT);
	for (i = 0; i < b->nconns; i++) {
		(void)uv_timer_init(&b->loop, &b->conns[i].retry);
		b->conns[i].retry.data = &b->conns[i];
	}
	uv_update_time(&b->loop);
	b->base_ms = uv_now(&b->loop);
	b->t_start = b->t_tick = uv_hrtime();
	for (i = 0; i < b->nconns; i++)
		conn_start(&b->conns[i]);
	schedule_tick(b);
	(void)uv_run(&b->loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&b->loop);
	if (rc < 0)
		fprintf(stderr, "%s: loop close: %s\n", BENCH_NAME,
		    uv_strerror(rc));
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: %s [--config DIR] [--connections N] [--pipeline P]\n"
	    "       [--seconds T] [--clients N] [--first K] [--branch NAME]\n"
	    "       [--ids N] OP\n"
	    "Load the kartotekad this terminal is enrolled with (and only it).\n"
	    "OP:\n"
	    "  ping       N connections each keep P pings in flight\n"
	    "  handshake  N slots each loop: connect, Noise XK handshake,\n"
	    "             one ping, close\n"
	    "  seed       add --clients generated families (client_add), then\n"
	    "             stop\n"
	    "  show       client_show of a random id in 1..--ids\n"
	    "  find       client_find: by turns a surname prefix and a phone of\n"
	    "             a family in 1..--ids\n"
	    "  list       client_list of March birthdays, 20 rows\n"
	    "  segment    client_list of families with a child born in March\n"
	    "             who is 4 to 6 (one child meets both), 20 rows\n"
	    "  note       note_add: a call logged with a random client in "
	    "1..--ids\n"
	    "             (durable: answered after its commit)\n"
	    "  task       task_add: a promise due tomorrow about a random "
	    "client\n"
	    "             in 1..--ids (durable)\n"
	    "  agenda     agenda of --manager, or of the logged-in user\n"
	    "  report     report of --branch (default: every branch) over 12\n"
	    "             months, on the server's thread pool\n"
	    "seed, show, find, list, segment, note, task, agenda and report "
	    "need a session "
	    "(kartoteka "
	    "login).\n"
	    "Options:\n"
	    "  --config DIR       terminal configuration (kartoteka enroll)\n"
	    "  --connections N    1..%u, default 1\n"
	    "  --pipeline P       requests in flight per connection (not "
	    "handshake),\n"
	    "                     1..%u, default 1\n"
	    "  --seconds T        run length, 1..%u, default 10 (not seed)\n"
	    "  --clients N        seed: families to add, 1..%u (required)\n"
	    "  --first K          seed: number of the first family, 1..%u, "
	    "default 1\n"
	    "  --branch NAME      seed: the cards' branch (default: the "
	    "terminal's);\n"
	    "                     list, report: the branch (default: all "
	    "visible)\n"
	    "  --ids N            show, find, note, task: ids / families 1..N, "
	    "default "
	    "1000\n"
	    "  --manager LOGIN    seed: the cards' manager, agenda: whose agenda\n"
	    "                     (default: the logged-in user)\n"
	    "The last line of stdout reads\n"
	    "  OP: N ops/s, p50 X ms, p99 Y ms, p999 Z ms\n",
	    BENCH_NAME, BENCH_MAX_CONNS, BENCH_MAX_PIPELINE, BENCH_MAX_SECONDS,
	    BENCH_MAX_CLIENTS, BENCH_MAX_FIRST);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "connections", required_argument, NULL, 'n' },
		{ "pipeline", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 't' },
		{ "clients", required_argument, NULL, 'C' },
		{ "first", required_argument, NULL, 'f' },
		{ "branch", required_argument, NULL, 'b' },
		{ "ids", required_argument, NULL, 'i' },
		{ "manager", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct {
		const char *name;
		bench_op_t op;
	} ops[] = {
		{ "ping", BENCH_PING }, { "handshake", BENCH_HANDSHAKE },
		{ "seed", BENCH_SEED }, { "show", BENCH_SHOW },
		{ "find", BENCH_FIND }, { "list", BENCH_LIST },
		{ "segment", BENCH_SEGMENT },
		{ "note", BENCH_NOTE },
		{ "task", BENCH_TASK }, { "agenda", BENCH_AGENDA },
		{ "report", BENCH_REPORT },
	};
	Kartoteka__ClientHello ch = KARTOTEKA__CLIENT_HELLO__INIT;
	const char *config_dir = NULL;
	bench_t *b = NULL;
	unsigned clients = 0, first = 1;
	size_t i;
	int status = 2, opt, rc;

	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		fprintf(stderr, "%s: out of memory\n", BENCH_NAME);
		goto out;
	}
	b->nconns = 1;
	b->pipeline = 1;
	b->seconds = 10;
	b->ids = 1000;
	b->rng = UINT64_C(0x4b5442454e4348); /* fixed: runs are repeatable */
	b->surnames = kt_family_surnames(&b->nsurnames);
	hist_reset(&b->total);
	hist_reset(&b->second);
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_dir = optarg;
			break;
		case 'n':
			rc = parse_uint(optarg, 1, BENCH_MAX_CONNS, &b->nconns);
			if (rc != 0) {
				fprintf(stderr, "%s: --connections must be "
				    "1..%u\n", BENCH_NAME, BENCH_MAX_CONNS);
				goto out;
			}
			break;
		case 'p':
			rc = parse_uint(optarg, 1, BENCH_MAX_PIPELINE,
			    &b->pipeline);
			if (rc != 0) {
				fprintf(stderr, "%s: --pipeline must be "
				    "1..%u\n", BENCH_NAME, BENCH_MAX_PIPELINE);
				goto out;
			}
			break;
		case 't':
			rc = parse_uint(optarg, 1, BENCH_MAX_SECONDS,
			    &b->seconds);
			if (rc != 0) {
				fprintf(stderr, "%s: --seconds must be "
				    "1..%u\n", BENCH_NAME, BENCH_MAX_SECONDS);
				goto out;
			}
			break;
		case 'C':
			rc = parse_uint(optarg, 1, BENCH_MAX_CLIENTS, &clients);
			if (rc != 0) {
				fprintf(stderr, "%s: --clients must be "
				    "1..%u\n", BENCH_NAME, BENCH_MAX_CLIENTS);
				goto out;
			}
			break;
		case 'f':
			rc = parse_uint(optarg, 1, BENCH_MAX_FIRST, &first);
			if (rc != 0) {
				fprintf(stderr, "%s: --first must be "
				    "1..%u\n", BENCH_NAME, BENCH_MAX_FIRST);
				goto out;
			}
			break;
		case 'b':
			if (optarg[0] == '\0' || strlen(optarg) >=
			    sizeof(b->seed_branch)) {
				fprintf(stderr, "%s: --branch must be a "
				    "branch name\n", BENCH_NAME);
				goto out;
			}
			b->branch = optarg;
			break;
		case 'm':
			if (optarg[0] == '\0' || strlen(optarg) > 64) {
				fprintf(stderr, "%s: --manager must be a "
				    "login\n", BENCH_NAME);
				goto out;
			}
			b->manager = optarg;
			break;
		case 'i':
			rc = parse_uint(optarg, 1, BENCH_MAX_IDS, &b->ids);
			if (rc != 0) {
				fprintf(stderr, "%s: --ids must be "
				    "1..%u\n", BENCH_NAME, BENCH_MAX_IDS);
				goto out;
			}
			break;
		case 'h':
			usage(stdout);
			status = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		goto out;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(argv[optind], ops[i].name) == 0)
			break;
	if (i == sizeof(ops) / sizeof(ops[0])) {
		fprintf(stderr, "%s: unknown OP '%s' (ping, handshake, seed, "
		    "show, find, list, segment, note, task, agenda or report)\n",
		    BENCH_NAME, argv[optind]);
		goto out;
	}
	b->op = ops[i].op;
	b->op_name = ops[i].name;
	if (b->op == BENCH_HANDSHAKE)
		b->pipeline = 1; /* one ping per connection */
	if (b->op == BENCH_TASK) {
		time_t t = time(NULL) + 86400;
		struct tm tm;

		localtime_r(&t, &tm);
		(void)strftime(b->task_due, sizeof(b->task_due), "%Y-%m-%d",
		    &tm);
	}
	if (b->op == BENCH_SEED) {
		if (clients == 0) {
			fprintf(stderr, "%s: seed needs --clients N\n",
			    BENCH_NAME);
			goto out;
		}
		b->clients = clients;
		b->next_k = first;
	}

	status = 1;
	if (sodium_init() < 0) {
		fprintf(stderr, "%s: libsodium failed to start\n", BENCH_NAME);
		goto out;
	}
	if (bench_load_config(b, config_dir) != 0)
		goto out;
	if (raise_nofile((rlim_t)b->nconns + 32u) != 0) {
		fprintf(stderr, "%s: %u connections need more file descriptors "
		    "than 'ulimit -n' allows\n", BENCH_NAME, b->nconns);
		goto out;
	}
	ch.client_name = (char *)BENCH_NAME;
	ch.client_version = (char *)KT_CLIENT_VERSION;
	b->hello_len = kartoteka__client_hello__get_packed_size(&ch);
	if (b->hello_len > sizeof(b->hello))
		goto out;
	kartoteka__client_hello__pack(&ch, b->hello);
	if (bench_alloc_conns(b) != 0) {
		fprintf(stderr, "%s: out of memory for %u connections\n",
		    BENCH_NAME, b->nconns);
		goto out;
	}
	/* A peer closing mid-write must give EPIPE, not kill the process. */
	(void)signal(SIGPIPE, SIG_IGN);
	if (bench_run(b) != 0)
		goto out;
	bench_report(b);
	status = b->ops > 0 ? 0 : 1;
out:
	bench_free(b);
	return status;
}
