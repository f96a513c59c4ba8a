/* SPDX-License-Identifier: MIT */
/* The request context (req.h). */
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kt_error.h"
#include "noise.h"
#include "model/client_card.h"
#include "model/client_store.h"
#include "model/interaction_store.h"
#include "model/writer.h"
#include "catalog.h"
#include "req.h"
#include "session.h"
#include "log.h"

struct kt_req {
	kt_server_t *srv;
	kt_conn_t *conn;                  /* referenced until the end */
	kt_session_t *sess;               /* conn's; lives as long as conn */
	uint64_t id;
	kt_req_spec_t spec;
	uint8_t term_key[32];             /* copied: the writer reads it */
	int has_caller;
	kt_user_t caller;
	uint8_t *answer;                  /* a packed Response, malloc'd */
	size_t answer_len;
	kt_req_mut_fn mut;
	kt_req_done_fn done;
	kt_writer_item_t item;            /* its place in the writer's queue */
	void (*work_fn)(kt_req_t *r);
	void (*after_fn)(kt_req_t *r, int status);
	void (*delay_fn)(kt_req_t *r);
	uv_work_t work;
	uv_timer_t timer;
	int limit_keep;                   /* kt_req_limit_keep was called */
	void *kept[4];                    /* kt_req_keep: freed at the end */
	kt_arena_t arena;                 /* kt_req_arena, lazily */
	int arena_ready;
	/* the audit entry of kt_req_reply_audited */
	kt_audit_action_t audit_action;
	uint32_t audit_outcome;
	char audit_object[64];
	char audit_detail[640];
	struct req_stream *stream;        /* kt_req_stream, or NULL */
	_Alignas(max_align_t) unsigned char state[];
};

/* ---- life ------------------------------------------------------------ */

kt_req_t *
kt_req_new(kt_server_t *srv, kt_conn_t *c, uint64_t id,
    const kt_req_spec_t *spec)
{
	kt_session_t *s = kt_session_of(c);
	kt_req_t *r = calloc(1, sizeof(*r) + spec->state_size);

	if (r == NULL)
		return NULL;
	r->srv = srv;
	r->conn = c;
	r->sess = s;
	r->id = id;
	r->spec = *spec;
	memcpy(r->term_key, kt_session_terminal_key(s), 32);
	kt_conn_ref(c);
	kt_session_inflight_add(s, 1);
	if (spec->serial_bit)
		kt_session_serial_set(s, spec->serial_bit, 1);
	/* Charged now, so that attempts in flight count against the limit
	 * too (pipelined ones, or many connections at once). */
	if (spec->limited)
		(void)kt_limiter_fail(&srv->enroll_limit, kt_conn_peer(c),
		    kt_net_now_ms(kt_conn_net(c)));
	return r;
}

static void stream_free(struct req_stream *st);

/* Frees r: the end of every request. */
static void
req_end(kt_req_t *r)
{
	kt_conn_t *c = r->conn;

	kt_session_inflight_add(r->sess, -1);
	if (r->spec.limited && !r->limit_keep)
		kt_limiter_refund(&r->srv->enroll_limit, kt_conn_peer(c),
		    kt_net_now_ms(kt_conn_net(c)));
	if (r->spec.serial_bit)
		kt_session_serial_set(r->sess, r->spec.serial_bit, 0);
	free(r->answer);
	for (size_t i = 0; i < sizeof(r->kept) / sizeof(r->kept[0]); i++)
		free(r->kept[i]);
	if (r->arena_ready)
		kt_arena_free(&r->arena);
	stream_free(r->stream);
	if (r->spec.secret)
		sodium_memzero(r->state, r->spec.state_size);
	sodium_memzero(&r->caller, sizeof(r->caller));
	free(r);
	kt_conn_unref(c);
}

void
kt_req_set_caller(kt_req_t *r, const kt_user_t *u)
{
	r->caller = *u;
	r->has_caller = 1;
}

/* ---- reading ----------------------------------------------------------- */

kt_server_t *
kt_req_server(const kt_req_t *r)
{
	return r->srv;
}

uint64_t
kt_req_id(const kt_req_t *r)
{
	return r->id;
}

void *
kt_req_state(const kt_req_t *r)
{
	return (void *)r->state;
}

const kt_user_t *
kt_req_caller(const kt_req_t *r)
{
	return r->has_caller ? &r->caller : NULL;
}

kt_actor_t
kt_req_actor(const kt_req_t *r)
{
	kt_actor_t a = {
		.user_id = r->has_caller ? r->caller.id : 0,
		.terminal_key = r->term_key,
		.sign_sk = r->srv->sign_sk,
	};

	return a;
}

int
kt_req_audit(kt_store_t *st, MDB_txn *txn, const kt_req_t *r,
    kt_audit_action_t action, const char *kind, uint64_t id,
    uint32_t outcome, const char *detail)
{
	kt_actor_t actor = kt_req_actor(r);
	char object[48];

	if (id != 0)
		snprintf(object, sizeof(object), "%.20s:%" PRIu64, kind, id);
	else
		snprintf(object, sizeof(object), "%.20ss", kind);
	return kt_audit_record(st, txn, &actor, action, object, outcome,
	    detail);
}

kt_uday_who_t
kt_req_counted(const kt_req_t *r, MDB_txn *txn, int64_t now)
{
	const kt_user_t *me = kt_req_caller(r);
	const kt_tz_t *tz = kt_bizday_zone(r->srv->tz, txn,
	    kt_store_dbs(r->srv->store), me);
	kt_uday_who_t who = { .user = me, .day = kt_tz_day(tz, now, NULL),
		.terminal = r->term_key, .now = now };

	return who;
}

int
kt_req_client_visible(kt_req_t *r, uint64_t id)
{
	MDB_txn *txn = kt_req_txn(r);

	if (txn == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "store unavailable");
		return 0;
	}
	if (!kt_cstore_visible_to(txn, kt_store_dbs(r->srv->store),
	    kt_req_caller(r), id)) {
		kt_req_fail(r, KT_CODE_NOT_FOUND, "no client %" PRIu64, id);
		return 0;
	}
	return 1;
}

const uint8_t *
kt_req_terminal_key(const kt_req_t *r)
{
	return r->term_key;
}

int
kt_req_enrolled(const kt_req_t *r)
{
	return kt_session_enrolled(r->sess);
}

uint64_t
kt_req_terminal_branch(const kt_req_t *r)
{
	return kt_session_terminal_branch(r->sess);
}

const uint8_t *
kt_req_session_hash(const kt_req_t *r)
{
	return kt_session_token_hash(r->sess);
}

int64_t
kt_req_session_expires(const kt_req_t *r)
{
	return kt_session_expires(r->sess);
}

const struct sockaddr_storage *
kt_req_peer(const kt_req_t *r)
{
	return kt_conn_peer(r->conn);
}

int
kt_req_alive(const kt_req_t *r)
{
	return kt_conn_open(r->conn);
}

const kt_conn_t *
kt_req_conn(const kt_req_t *r)
{
	return r->conn;
}

/* The read transaction handed out here lives in the server context: one
 * loop thread, one handler or callback at a time. */
MDB_txn *
kt_req_txn(kt_req_t *r)
{
	kt_server_t *srv = r->srv;

	if (srv->loop_txn == NULL &&
	    kt_store_read_begin(srv->store, &srv->loop_txn) != 0)
		srv->loop_txn = NULL;
	return srv->loop_txn;
}

void
kt_req_txn_release(kt_server_t *srv)
{
	if (srv->loop_txn != NULL) {
		kt_store_read_end(srv->store, srv->loop_txn);
		srv->loop_txn = NULL;
	}
}

int
kt_req_keep(kt_req_t *r, void *p)
{
	if (p == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(r->kept) / sizeof(r->kept[0]); i++)
		if (r->kept[i] == NULL) {
			r->kept[i] = p;
			return 0;
		}
	assert(!"kt_req_keep: more than 4 pointers");
	free(p);
	return KT_ENOMEM;
}

kt_arena_t *
kt_req_arena(kt_req_t *r)
{
	if (!r->arena_ready) {
		if (kt_arena_init(&r->arena, 16u << 10, 4u << 20) != 0)
			return NULL;
		r->arena_ready = 1;
	}
	return &r->arena;
}

/* ---- answering ----------------------------------------------------------- */

/* Sends len packed bytes of a Response, or INTERNAL when it is too big
 * for a frame (a handler's bug, not the client's fault). */
static void
send_packed(kt_req_t *r, const uint8_t *p, size_t len)
{
	int rc = kt_conn_send(r->conn, p, len);

	if (rc == KT_ETOOBIG) {
		kt_log(KT_LOG_ERR, "answer to request %" PRIu64 " too "
		    "large (%zu bytes)", r->id, len);
		kt_conn_send_error(r->conn, r->id, KT_CODE_INTERNAL,
		    "response too large", 0);
	}
}

void
kt_req_reply(kt_req_t *r, Kartoteka__Response *resp)
{
	uint8_t *buf = r->srv->reply_buf;
	size_t len;

	resp->id = r->id;
	len = kartoteka__response__get_packed_size(resp);
	if (len > sizeof(r->srv->reply_buf)) {
		kt_log(KT_LOG_ERR, "answer to request %" PRIu64 " too "
		    "large (%zu bytes)", r->id, len);
		kt_conn_send_error(r->conn, r->id, KT_CODE_INTERNAL,
		    "response too large", 0);
	} else {
		kartoteka__response__pack(resp, buf);
		send_packed(r, buf, len);
		sodium_memzero(buf, len);
	}
	req_end(r);
}

static void vfail(kt_req_t *r, uint32_t code, int close_after,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static void
vfail(kt_req_t *r, uint32_t code, int close_after, const char *fmt,
    va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	kt_conn_send_error(r->conn, r->id, code, msg, close_after);
	req_end(r);
}

void
kt_req_fail(kt_req_t *r, uint32_t code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(r, code, 0, fmt, ap);
	va_end(ap);
}

void
kt_req_fail_close(kt_req_t *r, uint32_t code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(r, code, 1, fmt, ap);
	va_end(ap);
}

void
kt_req_fail_store(kt_req_t *r, int status)
{
	if (status == KT_ENOSPC) {
		kt_req_note_full(r->srv);
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "%s", KT_REQ_DISK_FULL);
	} else if (status == KT_ESHUTDOWN)
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "server is stopping");
	else
		kt_req_fail(r, KT_CODE_UNAVAILABLE,
		    "could not save the change: try "
		    "again");
}

void
kt_req_note_full(kt_server_t *srv)
{
	if (srv->disk_full)
		return;
	srv->disk_full = 1;
	srv->disk_full_alert_owed = 1;
	kt_log(KT_LOG_WARNING, "the store is full: changes, views and "
	    "lists are refused until there is room");
}

void
kt_req_note_room(kt_server_t *srv)
{
	kt_writer_stats_t ws;

	if (srv->writer == NULL)
		return;
	kt_writer_get_stats(srv->writer, &ws);
	if (ws.full > srv->full_seen) {
		/* Also batches of no request: housekeeping, an alert. */
		srv->full_seen = ws.full;
		kt_req_note_full(srv);
	} else if (srv->disk_full && kt_store_has_room(srv->store)) {
		srv->disk_full = 0;
		kt_log(KT_LOG_NOTICE, "there is room again: writes go "
		    "through");
	}
}

int
kt_req_refused(kt_req_t *r, int status, const kt_verdict_t *v)
{
	if (status != 0) {
		kt_req_fail_store(r, status);
		return 1;
	}
	if (v != NULL && !kt_verdict_is_ok(v)) {
		kt_req_fail(r, v->code, "%s", v->msg);
		return 1;
	}
	return 0;
}

/* ---- prepared answers ------------------------------------------------------ */

int
kt_req_answer(kt_req_t *r, Kartoteka__Response *resp)
{
	size_t len;
	uint8_t *p;

	resp->id = r->id;
	len = kartoteka__response__get_packed_size(resp);
	if (len > KT_FRAME_MAX)
		return KT_ETOOBIG;
	if ((p = malloc(len ? len : 1)) == NULL)
		return KT_ENOMEM;
	kartoteka__response__pack(resp, p);
	free(r->answer);
	r->answer = p;
	r->answer_len = len;
	return 0;
}

int
kt_req_answer_card(kt_req_t *r, kt_arena_t *a, MDB_txn *txn,
    const Ktstore__ClientRecord *rec, int masked)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__ClientResponse cr = KARTOTEKA__CLIENT_RESPONSE__INIT;
	Kartoteka__Client cl;
	int rc;

	if ((rc = kt_card_wire(txn, kt_store_dbs(r->srv->store), a, rec,
	    masked, &cl)) != 0)
		return rc;
	cr.client = &cl;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_CLIENT;
	resp.client = &cr;
	return kt_req_answer(r, &resp);
}

int
kt_req_answer_full_card(kt_req_t *r, kt_arena_t *a, MDB_txn *txn,
    const Ktstore__ClientRecord *rec)
{
	const kt_store_dbs_t *db = kt_store_dbs(r->srv->store);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__ClientResponse cr = KARTOTEKA__CLIENT_RESPONSE__INIT;
	Kartoteka__Client cl;
	Ktstore__InteractionRecord *recs[3];
	Kartoteka__Interaction wire[3], *recent[3];
	size_t n = 0;
	int rc, more;

	if ((rc = kt_card_wire(txn, db, a, rec, 0, &cl)) != 0 ||
	    (rc = kt_istore_page(txn, db, rec->id, NULL, 3, &a->pb, recs, &n,
	    &more)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if ((rc = kt_istore_wire(txn, db, a, recs[i], &wire[i])) != 0)
			return rc;
		recent[i] = &wire[i];
	}
	cr.client = &cl;
	cr.recent = recent;
	cr.n_recent = n;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_CLIENT;
	resp.client = &cr;
	/* A card near the frame's size leaves out its newest entries
	 * rather than fail to open: `notes` lists them. */
	while ((rc = kt_req_answer(r, &resp)) == KT_ETOOBIG && cr.n_recent > 0)
		cr.n_recent--;
	return rc;
}

const char *
kt_req_translate(const kt_req_t *r, const char *msg, char *buf, size_t cap)
{
	const char *lang = kt_conn_lang(r->conn);

	if (lang[0] == '\0')
		return msg;
	return kt_catalog_translate(r->srv->catalog, lang, msg, buf, cap);
}

int
kt_req_answer_error(kt_req_t *r, uint32_t code, const char *fmt, ...)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__Error err = KARTOTEKA__ERROR__INIT;
	char msg[512], tr[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err.code = (Kartoteka__Error__Code)code;
	err.message = (char *)kt_req_translate(r, msg, tr, sizeof(tr));
	resp.error = &err;
	return kt_req_answer(r, &resp);
}

/* Protobuf varint of v into p; returns its length. */
static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			p[n] |= 0x80;
		n++;
	} while (v != 0);
	return n;
}

int
kt_req_answer_packed(kt_req_t *r, unsigned field, const uint8_t *inner,
    size_t len)
{
	uint8_t head[32], *p;
	size_t h = 0;

	/* Response { id = 1 (varint); <field> (length-delimited) }: the same
	 * bytes protobuf-c would write for the unpacked message. */
	if (r->id != 0) {
		head[h++] = (1u << 3) | 0;
		h += put_varint(head + h, r->id);
	}
	h += put_varint(head + h, ((uint64_t)field << 3) | 2);
	h += put_varint(head + h, len);
	if (h + len > KT_FRAME_MAX)
		return KT_ETOOBIG;
	if ((p = malloc(h + len)) == NULL)
		return KT_ENOMEM;
	memcpy(p, head, h);
	if (len > 0)
		memcpy(p + h, inner, len);
	free(r->answer);
	r->answer = p;
	r->answer_len = h + len;
	return 0;
}

int
kt_req_has_answer(const kt_req_t *r)
{
	return r->answer != NULL;
}

void
kt_req_send_answer(kt_req_t *r)
{
	if (r->answer != NULL)
		send_packed(r, r->answer, r->answer_len);
	else
		kt_conn_send_error(r->conn, r->id, KT_CODE_INTERNAL,
		    "could not build the answer", 0);
	req_end(r);
}

/* ---- the writer ------------------------------------------------------------- */

static int
mut_tramp(kt_store_t *st, MDB_txn *txn, void *arg)
{
	kt_req_t *r = arg;

	return r->mut(st, txn, r);
}

static void
done_tramp(int status, void *arg)
{
	kt_req_t *r = arg;
	kt_server_t *srv = r->srv;

	if (r->done != NULL)
		r->done(r, status);
	else if (status != 0)
		kt_req_fail_store(r, status);
	else
		kt_req_send_answer(r);
	kt_req_txn_release(srv);
}

/* Queues mut for the writer (any op: audit entries included). */
static void
submit(kt_req_t *r, kt_req_mut_fn mut, kt_req_done_fn done)
{
	int rc;

	r->mut = mut;
	r->done = done;
	r->item.reserve = r->spec.reserve;
	rc = r->srv->writer != NULL ? kt_writer_submit_item(r->srv->writer,
	    &r->item, mut_tramp, done_tramp, r) : KT_ESHUTDOWN;
	if (rc != 0)
		kt_req_fail_store(r, rc == KT_ESHUTDOWN ? rc : KT_EIO);
}

void
kt_req_submit(kt_req_t *r, kt_req_mut_fn mut, kt_req_done_fn done)
{
	/* Only ops whose row says they write change the store; reads audit
	 * through kt_req_reply_audited. */
	assert(r->spec.write);
	submit(r, mut, done);
}

static int
audit_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	kt_actor_t a = kt_req_actor(r);

	return kt_audit_record(st, txn, &a, r->audit_action, r->audit_object,
	    r->audit_outcome, r->audit_detail);
}

/* Submits the audit entry of r; the prepared answer leaves after it. */
static void
submit_audit(kt_req_t *r, kt_audit_action_t action, const char *object,
    uint32_t outcome, const char *detail)
{
	r->audit_action = action;
	r->audit_outcome = outcome;
	snprintf(r->audit_object, sizeof(r->audit_object), "%s",
	    object != NULL ? object : "");
	snprintf(r->audit_detail, sizeof(r->audit_detail), "%s",
	    detail != NULL ? detail : "");
	submit(r, audit_mut, NULL);
}

void
kt_req_answer_audited(kt_req_t *r, kt_audit_action_t action,
    const char *object, uint32_t outcome, const char *detail)
{
	submit_audit(r, action, object, outcome, detail);
}

void
kt_req_reply_audited(kt_req_t *r, Kartoteka__Response *resp,
    kt_audit_action_t action, const char *object, uint32_t outcome,
    const char *detail)
{
	int rc = kt_req_answer(r, resp);

	if (rc != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL, "%s", rc == KT_ETOOBIG ?
		    "response too large" : "out of memory");
		return;
	}
	submit_audit(r, action, object, outcome, detail);
}

void
kt_req_fail_audited(kt_req_t *r, uint32_t code, kt_audit_action_t action,
    const char *object, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (kt_req_answer_error(r, code, "%s", msg) != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	submit_audit(r, action, object, code, msg);
}

/* ---- the thread pool and timers ---------------------------------------------- */

static void
work_tramp(uv_work_t *w)
{
	kt_req_t *r = w->data;

	r->work_fn(r);
}

static void
after_tramp(uv_work_t *w, int status)
{
	kt_req_t *r = w->data;
	kt_server_t *srv = r->srv;

	r->after_fn(r, status);
	kt_req_txn_release(srv);
}

void
kt_req_work(kt_req_t *r, void (*work)(kt_req_t *r),
    void (*after)(kt_req_t *r, int status))
{
	r->work_fn = work;
	r->after_fn = after;
	r->work.data = r;
	if (uv_queue_work(r->srv->loop, &r->work, work_tramp, after_tramp) != 0)
		after(r, KT_EIO);
}

static void
delay_closed(uv_handle_t *h)
{
	kt_req_t *r = h->data;
	kt_server_t *srv = r->srv;

	r->delay_fn(r);
	kt_req_txn_release(srv);
}

static void
delay_fired(uv_timer_t *t)
{
	uv_close((uv_handle_t *)t, delay_closed);
}

void
kt_req_delay(kt_req_t *r, uint64_t ms, void (*fn)(kt_req_t *r))
{
	r->delay_fn = fn;
	uv_timer_init(r->srv->loop, &r->timer);
	r->timer.data = r;
	uv_timer_start(&r->timer, delay_fired, ms, 0);
}

void
kt_req_limit_keep(kt_req_t *r)
{
	r->limit_keep = 1;
}

/* ---- streaming ----------------------------------------------------------------- */

/* One piece: a packed Response with more = true. */
typedef struct req_piece {
	uint8_t *p;
	size_t len;
} req_piece_t;

/* The hand-over between the producer (a pool thread) and the loop. The
 * queue, cut and waiting are shared (mu); the rest is the loop's. */
struct req_stream {
	pthread_mutex_t mu;
	pthread_cond_t room;              /* signalled when a piece left or
					     the stream was cut */
	req_piece_t q[KT_REQ_STREAM_DEPTH]; /* a ring */
	size_t head, n;
	int cut;                          /* the connection went away */
	/* loop only */
	kt_req_t *r;
	void (*after)(kt_req_t *r, int status);
	uv_async_t async;                 /* the producer queued a piece */
	uv_timer_t timer;                 /* polls a connection that is
					     backed up */
	int timer_on;
	int work_done;
	int work_status;
	int finishing;                    /* handles closing */
	unsigned open_handles;
};

/* How often a backed-up connection is looked at again: far below the
 * time a 60 KB piece takes to leave on any real link. */
#define STREAM_POLL_MS 1u

static void
stream_free(struct req_stream *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n; i++)
		free(st->q[(st->head + i) % KT_REQ_STREAM_DEPTH].p);
	pthread_cond_destroy(&st->room);
	pthread_mutex_destroy(&st->mu);
	free(st);
}

static void
stream_closed(uv_handle_t *h)
{
	struct req_stream *st = h->data;
	kt_req_t *r = st->r;
	kt_server_t *srv = r->srv;

	if (--st->open_handles > 0)
		return;
	st->after(r, st->work_status);
	kt_req_txn_release(srv);
}

/* The work has returned and nothing is queued: close the handles, then
 * after. */
static void
stream_finish(struct req_stream *st)
{
	if (st->finishing)
		return;
	st->finishing = 1;
	st->open_handles = 2;
	uv_close((uv_handle_t *)&st->async, stream_closed);
	uv_close((uv_handle_t *)&st->timer, stream_closed);
}

static void stream_timer(uv_timer_t *t);

/* Sends what the connection has room for; drops everything when it went
 * away. Loop only. */
static void
stream_pump(struct req_stream *st)
{
	kt_req_t *r = st->r;
	size_t high = r->srv->opts.write_queue_max / 4;
	req_piece_t pc;

	if (high < 2u * KT_FRAME_MAX)
		high = 2u * KT_FRAME_MAX;
	for (;;) {
		pthread_mutex_lock(&st->mu);
		if (!kt_conn_open(r->conn) && !st->cut) {
			st->cut = 1;
			for (size_t i = 0; i < st->n; i++)
				free(st->q[(st->head + i) %
				    KT_REQ_STREAM_DEPTH].p);
			st->n = 0;
			pthread_cond_signal(&st->room);
		}
		if (st->n == 0 || kt_conn_queued(r->conn) >= high) {
			pthread_mutex_unlock(&st->mu);
			break;
		}
		pc = st->q[st->head];
		st->head = (st->head + 1) % KT_REQ_STREAM_DEPTH;
		st->n--;
		pthread_cond_signal(&st->room);
		pthread_mutex_unlock(&st->mu);
		send_packed(r, pc.p, pc.len);
		free(pc.p);
	}
	/* Only the loop takes pieces, so n read here can only grow. */
	pthread_mutex_lock(&st->mu);
	if (st->n > 0 && !st->timer_on) {
		uv_timer_start(&st->timer, stream_timer, STREAM_POLL_MS, 0);
		st->timer_on = 1;
	}
	if (st->n == 0 && st->work_done) {
		pthread_mutex_unlock(&st->mu);
		stream_finish(st);
		return;
	}
	pthread_mutex_unlock(&st->mu);
}

static void
stream_async(uv_async_t *a)
{
	stream_pump(a->data);
}

static void
stream_timer(uv_timer_t *t)
{
	struct req_stream *st = t->data;

	st->timer_on = 0;
	stream_pump(st);
}

static void
stream_work(uv_work_t *w)
{
	kt_req_t *r = w->data;

	r->work_fn(r);
}

static void
stream_after_work(uv_work_t *w, int status)
{
	kt_req_t *r = w->data;
	struct req_stream *st = r->stream;

	st->work_done = 1;
	st->work_status = status;
	stream_pump(st);
}

void
kt_req_stream(kt_req_t *r, void (*work)(kt_req_t *r),
    void (*after)(kt_req_t *r, int status))
{
	struct req_stream *st;

	assert(r->stream == NULL);
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		after(r, KT_ENOMEM);
		return;
	}
	if (pthread_mutex_init(&st->mu, NULL) != 0) {
		free(st);
		after(r, KT_ENOMEM);
		return;
	}
	if (pthread_cond_init(&st->room, NULL) != 0) {
		pthread_mutex_destroy(&st->mu);
		free(st);
		after(r, KT_ENOMEM);
		return;
	}
	st->r = r;
	st->after = after;
	r->stream = st;
	if (uv_async_init(r->srv->loop, &st->async, stream_async) != 0) {
		r->stream = NULL;
		stream_free(st);
		after(r, KT_EIO);
		return;
	}
	st->async.data = st;
	uv_timer_init(r->srv->loop, &st->timer);
	st->timer.data = st;
	r->work_fn = work;
	r->work.data = r;
	if (uv_queue_work(r->srv->loop, &r->work, stream_work,
	    stream_after_work) != 0) {
		/* Nothing runs: after sees the failure once the handles are
		 * closed. */
		st->work_done = 1;
		st->work_status = KT_EIO;
		stream_finish(st);
	}
}

int
kt_req_stream_push(kt_req_t *r, unsigned field, const uint8_t *inner,
    size_t len)
{
	struct req_stream *st = r->stream;
	uint8_t head[40], *p;
	size_t h = 0;

	/* Response { id = 1; more = 3 (true); <field> }: field order does not
	 * matter to a decoder. */
	if (r->id != 0) {
		head[h++] = (1u << 3) | 0;
		h += put_varint(head + h, r->id);
	}
	head[h++] = (3u << 3) | 0;
	head[h++] = 1;
	h += put_varint(head + h, ((uint64_t)field << 3) | 2);
	h += put_varint(head + h, len);
	if (h + len > KT_FRAME_MAX - KT_NOISE_TAGLEN)
		return KT_ETOOBIG;
	if ((p = malloc(h + len)) == NULL)
		return KT_ENOMEM;
	memcpy(p, head, h);
	if (len > 0)
		memcpy(p + h, inner, len);
	pthread_mutex_lock(&st->mu);
	while (!st->cut && st->n == KT_REQ_STREAM_DEPTH)
		pthread_cond_wait(&st->room, &st->mu);
	if (st->cut) {
		pthread_mutex_unlock(&st->mu);
		free(p);
		return KT_ECLOSED;
	}
	st->q[(st->head + st->n) % KT_REQ_STREAM_DEPTH] =
	    (req_piece_t){ p, h + len };
	st->n++;
	pthread_mutex_unlock(&st->mu);
	uv_async_send(&st->async);
	return 0;
}

int
kt_req_stream_cut(const kt_req_t *r)
{
	int cut;

	if (r->stream == NULL)
		return 0;
	pthread_mutex_lock(&r->stream->mu);
	cut = r->stream->cut;
	pthread_mutex_unlock(&r->stream->mu);
	return cut;
}

/* ---- the session ----------------------------------------------------------------- */

void
kt_req_session_enrolled(kt_req_t *r, uint64_t branch)
{
	kt_session_set_enrolled(r->sess, branch);
}

void
kt_req_session_login(kt_req_t *r, uint64_t user, const uint8_t token_hash[32],
    int64_t expires)
{
	kt_session_set_login(r->sess, user, token_hash, expires);
}

/* The path a message begins with ("people[0].email: ..."): letters,
 * digits, '_', '.', '[' and ']' up to ": ". Copies it into out and returns
 * 1, or returns 0. */
static int
message_path(const char *msg, char *out, size_t cap)
{
	size_t n = 0;

	while (msg[n] != '\0' && (isalnum((unsigned char)msg[n]) ||
	    msg[n] == '_' || msg[n] == '.' || msg[n] == '[' || msg[n] == ']'))
		n++;
	if (n == 0 || n >= cap || msg[n] != ':' || msg[n + 1] != ' ')
		return 0;
	memcpy(out, msg, n);
	out[n] = '\0';
	return 1;
}

void
kt_req_fail_field(kt_req_t *r, uint32_t code, const char *field,
    const char *fmt, ...)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__Error err = KARTOTEKA__ERROR__INIT;
	char msg[512], tr[512], path[128] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* the path is read off the English: a translation may move it */
	if (field != NULL && field[0] != '\0')
		snprintf(path, sizeof(path), "%s", field);
	else if (!message_path(msg, path, sizeof(path)))
		path[0] = '\0';
	err.code = (Kartoteka__Error__Code)code;
	err.message = (char *)kt_req_translate(r, msg, tr, sizeof(tr));
	err.field = path;
	resp.error = &err;
	kt_req_reply(r, &resp);
}
