/* SPDX-License-Identifier: MIT */
/* The owner's audit over the protocol: `audit list` (filtered, paged,
 * names resolved, details whole), `audit summary` (a user's activity per
 * day) and `audit checkpoint` (a signed checkpoint to keep elsewhere).
 * The scans run on the thread pool in their own read transaction, each
 * page bounded in entries read, and every query is itself audited before
 * its answer leaves. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "fields.h"
#include "frame.h"
#include "kt_error.h"
#include "model/audit_names.h"
#include "model/identity.h"
#include "model/user_store.h"
#include "noise.h"
#include "ops/audit.h"
#include "ops/ops.h"

/* Entries one `audit list` request reads at most: a page that reaches it
 * ends with a cursor, so a filter that matches little over a long log is
 * many cheap requests, never one that holds a pool thread for long. */
#define LIST_READ_MAX 200000u
/* Room for the entries of one answer: a frame less the envelope. */
#define LIST_BUDGET ((size_t)KT_FRAME_MAX - KT_NOISE_TAGLEN - 512u)
#define LIST_LIMIT_MAX 1000u
#define CURSOR_TAG 'A'
#define CURSOR_LEN 9u
#define ACTION_MAX 64u
/* A user id no user has (ids count from 1): a login that names nobody
 * scans like any other and finds nothing. */
#define NOBODY UINT64_MAX

/* ==== the summary's days and message ======================================= */

/* The unix time of the local midnight that starts business day d of tz
 * (as kt_tz_day finds a day's end: the offset in force at that moment). */
static int64_t
day_start(const kt_tz_t *tz, int64_t d)
{
	int64_t guess = d * 86400 - kt_tz_offset(tz, d * 86400);

	return d * 86400 - kt_tz_offset(tz, guess);
}

void
kt_audit_summary_days(const kt_tz_t *tz, int64_t now_ms, unsigned n,
    kt_audit_day_t *days, int64_t *end_ms)
{
	int64_t end;
	int64_t today = kt_tz_day(tz, now_ms / 1000, &end);

	for (unsigned i = 0; i < n; i++) {
		int64_t d = today - (int64_t)(n - 1 - i);
		time_t civil = (time_t)(d * 86400);
		struct tm tm;

		memset(&days[i], 0, sizeof(days[i]));
		days[i].start_ms = day_start(tz, d) * 1000;
		gmtime_r(&civil, &tm);
		strftime(days[i].date, sizeof(days[i].date), "%Y-%m-%d", &tm);
	}
	*end_ms = end * 1000;
}

int
kt_audit_summary_message(kt_arena_t *a, const char *login,
    const kt_audit_day_t *days, unsigned n, uint64_t nread,
    Kartoteka__AuditSummaryResponse *out)
{
	Kartoteka__AuditDay *d;

	kartoteka__audit_summary_response__init(out);
	out->scanned = nread;
	if ((out->login = kt_arena_strdup(a, login)) == NULL ||
	    (out->days = kt_arena_alloc(a, (n + 1) * sizeof(*out->days))) ==
	    NULL || (d = kt_arena_alloc(a, (n + 1) * sizeof(*d))) == NULL)
		return KT_ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		kartoteka__audit_day__init(&d[i]);
		if ((d[i].date = kt_arena_strdup(a, days[i].date)) == NULL)
			return KT_ENOMEM;
		d[i].views = days[i].views;
		d[i].rows = days[i].rows;
		d[i].searches = days[i].searches;
		d[i].changes = days[i].changes;
		d[i].refusals = days[i].refusals;
		out->days[i] = &d[i];
	}
	out->n_days = n;
	return 0;
}

/* ==== audit list ============================================================ */

typedef struct list_st {
	kt_store_t *store;
	char object[32];                  /* "client:<id>" or "" */
	char action[ACTION_MAX + 1];
	char login[KT_LOGIN_MAX + 1];
	kt_audit_filter_t f;              /* points into the above */
	uint64_t after;                   /* from the cursor */
	uint32_t limit;
	/* results, on the pool thread */
	kt_arena_t *a;                    /* the answer's (malloc'd, freed
					     in the after callback) */
	Kartoteka__AuditEntryInfo **rows;
	size_t n, used;
	MDB_txn *txn;                     /* during the scan: for names */
	uint64_t resume, nread;
	int rc;
} list_st_t;

/* A kt_audit_entry_fn: e as a row with its names, while it fits. */
static int
list_row(const Ktstore__AuditEntry *e, void *arg)
{
	list_st_t *l = arg;
	const kt_store_dbs_t *db = kt_store_dbs(l->store);
	char user[KT_AUDIT_NAME_MAX + 1], term[KT_AUDIT_NAME_MAX + 1];
	char branch[KT_AUDIT_NAME_MAX + 1];
	Kartoteka__AuditEntryInfo *i;
	size_t sz;

	if ((i = kt_arena_alloc(l->a, sizeof(*i))) == NULL)
		return KT_ENOMEM;
	kartoteka__audit_entry_info__init(i);
	kt_audit_names(l->txn, db, e, user, term, branch);
	i->seq = e->seq;
	i->time_ms = e->time_ms;
	i->user_id = e->user_id;
	i->outcome = (Kartoteka__Error__Code)e->outcome;
	if ((i->user = kt_arena_strdup(l->a, user)) == NULL ||
	    (i->terminal = kt_arena_strdup(l->a, term)) == NULL ||
	    (i->branch = kt_arena_strdup(l->a, branch)) == NULL ||
	    (i->action = kt_arena_strdup(l->a, e->action)) == NULL ||
	    (i->object = kt_arena_strdup(l->a, e->object)) == NULL ||
	    (i->detail = kt_arena_strdup(l->a, e->detail)) == NULL)
		return KT_ENOMEM;
	if (e->terminal_key.len == 32) {
		if ((i->terminal_key.data = kt_arena_alloc(l->a, 32)) == NULL)
			return KT_ENOMEM;
		memcpy(i->terminal_key.data, e->terminal_key.data, 32);
		i->terminal_key.len = 32;
	}
	/* The row, its tag and its length prefix. */
	sz = kartoteka__audit_entry_info__get_packed_size(i) + 4;
	if (l->n > 0 && l->used + sz > LIST_BUDGET)
		return KT_AUDIT_SCAN_STOP_BEFORE;
	l->rows[l->n++] = i;
	l->used += sz;
	return l->n >= l->limit ? KT_AUDIT_SCAN_STOP_AFTER : 0;
}

static void
list_work(kt_req_t *r)
{
	list_st_t *l = kt_req_state(r);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__AuditListResponse al = KARTOTEKA__AUDIT_LIST_RESPONSE__INIT;
	uint8_t cur[CURSOR_LEN];

	if ((l->a = malloc(sizeof(*l->a))) == NULL ||
	    kt_arena_init(l->a, 64u << 10, 4u << 20) != 0) {
		free(l->a);
		l->a = NULL;
		l->rc = KT_ENOMEM;
		return;
	}
	if ((l->rows = kt_arena_alloc(l->a, l->limit * sizeof(*l->rows))) ==
	    NULL) {
		l->rc = KT_ENOMEM;
		return;
	}
	if ((l->rc = kt_store_read_begin(l->store, &l->txn)) != 0)
		return;
	l->rc = kt_audit_scan(l->txn, kt_store_dbs(l->store), &l->f, l->after,
	    LIST_READ_MAX, list_row, l, &l->resume, &l->nread);
	kt_store_read_end(l->store, l->txn);
	l->txn = NULL;
	if (l->rc != 0)
		return;
	al.entries = l->rows;
	al.n_entries = l->n;
	al.scanned = l->nread;
	if (l->resume != 0) {
		cur[0] = CURSOR_TAG;
		kt_store_be64(cur + 1, l->resume);
		al.next_cursor.data = cur;
		al.next_cursor.len = sizeof cur;
	}
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_AUDIT_LIST;
	resp.audit_list = &al;
	l->rc = kt_req_answer(r, &resp);
}

static void
list_after(kt_req_t *r, int status)
{
	list_st_t *l = kt_req_state(r);
	char detail[400];
	size_t n = 0;

	if (l->a != NULL) {
		kt_arena_free(l->a);
		free(l->a);
		l->a = NULL;
	}
	if (status != 0 || l->rc != 0) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "cannot read the audit "
		    "log: try again");
		return;
	}
	/* What was asked, and how much it cost: the owner's own queries
	 * are on the record too. */
#define D(...) n += (size_t)snprintf(detail + n, n < sizeof(detail) ? \
	sizeof(detail) - n : 0, __VA_ARGS__)
	detail[0] = '\0';
	if (l->login[0]) D("user=%s ", l->login);
	if (l->object[0]) D("object=%s ", l->object);
	if (l->action[0]) D("action=%s ", l->action);
	if (l->f.from_ms) D("from_ms=%" PRId64 " ", l->f.from_ms);
	if (l->f.to_ms) D("to_ms=%" PRId64 " ", l->f.to_ms);
	if (l->after) D("after=%" PRIu64 " ", l->after);
	D("rows=%zu scanned=%" PRIu64, l->n, l->nread);
#undef D
	kt_req_answer_audited(r, KT_AUDIT_AUDIT_LIST, "audit", 0, detail);
}

/* 1 when s is an action name or prefix: a-z, '.', '_'. */
static int
action_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '.' || *s == '_'))
			return 0;
	return 1;
}

/* The user id filter for login: its id, or NOBODY for a login that names
 * no user (the same scan, nothing found). 0 with r answered when the
 * store cannot be read. */
static int
user_filter(kt_req_t *r, const char *login, uint64_t *id)
{
	MDB_txn *txn = kt_req_txn(r);
	int rc;

	if (txn == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "cannot read the store: "
		    "try again");
		return 0;
	}
	rc = kt_user_id(txn, kt_store_dbs(kt_req_server(r)->store), login, id);
	if (rc == KT_ENOTFOUND) {
		*id = NOBODY;
		return 1;
	}
	if (rc != 0) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "cannot read the store: "
		    "try again");
		return 0;
	}
	return 1;
}

static void
op_audit_list(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__AuditListRequest *q = msg->audit_list;
	list_st_t *l = kt_req_state(r);

	if (q->user != NULL && q->user[0] != '\0') {
		if (!kt_text_take(l->login, sizeof(l->login), q->user)) {
			kt_req_fail(r, KT_CODE_BAD, "user: is longer than %u "
			    "bytes", KT_LOGIN_MAX);
			return;
		}
		if (!user_filter(r, l->login, &l->f.user))
			return;
		l->f.by_user = 1;
	}
	if (q->action != NULL && q->action[0] != '\0') {
		if (!kt_text_take(l->action, sizeof(l->action), q->action) ||
		    !action_ok(l->action)) {
			kt_req_fail(r, KT_CODE_BAD, "action: must be an action "
			    "name like client.view, or a prefix like client. "
			    "(a-z, '.', '_'; at most %u bytes)", ACTION_MAX);
			return;
		}
		l->f.action = l->action;
	}
	if (q->client != 0) {
		snprintf(l->object, sizeof(l->object), "client:%" PRIu64,
		    q->client);
		l->f.object = l->object;
	}
	if (q->from_ms < 0 || q->to_ms < 0) {
		kt_req_fail(r, KT_CODE_BAD, "%s: must not be negative",
		    q->from_ms < 0 ? "from_ms" : "to_ms");
		return;
	}
	if (q->from_ms != 0 && q->to_ms != 0 && q->to_ms <= q->from_ms) {
		kt_req_fail(r, KT_CODE_BAD, "to_ms: must be after from_ms");
		return;
	}
	l->f.from_ms = q->from_ms;
	l->f.to_ms = q->to_ms;
	if (q->cursor.len != 0) {
		if (q->cursor.len != CURSOR_LEN || q->cursor.data[0] !=
		    CURSOR_TAG) {
			kt_req_fail(r, KT_CODE_BAD, "cursor: is not a cursor "
			    "of audit list (send the next_cursor as it came)");
			return;
		}
		l->after = kt_store_get_be64(q->cursor.data + 1);
	}
	l->limit = q->limit == 0 || q->limit > LIST_LIMIT_MAX ?
	    LIST_LIMIT_MAX : q->limit;
	l->store = kt_req_server(r)->store;
	kt_req_work(r, list_work, list_after);
}

/* ==== audit summary ========================================================= */

#define SUMMARY_DAYS_DEFAULT 30u

typedef struct summary_st {
	kt_store_t *store;
	char login[KT_LOGIN_MAX + 1];
	uint64_t user;
	unsigned ndays;
	int64_t end_ms;
	kt_audit_day_t *days;             /* malloc'd: freed in after */
	uint64_t nread;
	int rc;
} summary_st_t;

static void
summary_work(kt_req_t *r)
{
	summary_st_t *s = kt_req_state(r);
	MDB_txn *txn = NULL;

	if ((s->rc = kt_store_read_begin(s->store, &txn)) != 0)
		return;
	s->rc = kt_audit_summary(txn, kt_store_dbs(s->store), s->user,
	    s->days, s->ndays, s->end_ms, &s->nread);
	kt_store_read_end(s->store, txn);
}

static void
summary_after(kt_req_t *r, int status)
{
	summary_st_t *s = kt_req_state(r);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__AuditSummaryResponse sum =
	    KARTOTEKA__AUDIT_SUMMARY_RESPONSE__INIT;
	kt_arena_t *a = kt_req_arena(r);
	char detail[160];
	int rc;

	if (status != 0 || s->rc != 0 || a == NULL) {
		free(s->days);
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "cannot read the audit "
		    "log: try again");
		return;
	}
	rc = kt_audit_summary_message(a, s->login, s->days, s->ndays,
	    s->nread, &sum);
	free(s->days);
	s->days = NULL;
	if (rc != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_AUDIT_SUMMARY;
	resp.audit_summary = &sum;
	snprintf(detail, sizeof(detail), "user=%s days=%u scanned=%" PRIu64,
	    s->login, s->ndays, s->nread);
	kt_req_reply_audited(r, &resp, KT_AUDIT_AUDIT_SUMMARY, "audit", 0,
	    detail);
}

/* The business-day zone of user id (the server's default for none). */
static const kt_tz_t *
summary_zone(kt_req_t *r, uint64_t id)
{
	kt_server_t *srv = kt_req_server(r);
	MDB_txn *txn = kt_req_txn(r);
	kt_user_t u;

	if (txn != NULL && id != NOBODY &&
	    kt_user_load(txn, kt_store_dbs(srv->store), id, &u) == 0)
		return kt_bizday_zone(srv->tz, txn, kt_store_dbs(srv->store),
		    &u);
	return kt_tzcache_get(srv->tz, NULL);
}

static void
op_audit_summary(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__AuditSummaryRequest *q = msg->audit_summary;
	summary_st_t *s = kt_req_state(r);
	const char *why = kt_identity_login_problem(q->login ? q->login : "");

	if (why != NULL) {
		kt_req_fail(r, KT_CODE_BAD, "login: %s", why);
		return;
	}
	if (q->days > KT_AUDIT_SUMMARY_DAYS_MAX) {
		kt_req_fail(r, KT_CODE_BAD, "days: at most %u",
		    KT_AUDIT_SUMMARY_DAYS_MAX);
		return;
	}
	(void)kt_text_take(s->login, sizeof(s->login), q->login);
	if (!user_filter(r, s->login, &s->user))
		return;
	s->ndays = q->days ? q->days : SUMMARY_DAYS_DEFAULT;
	if ((s->days = calloc(s->ndays, sizeof(*s->days))) == NULL) {
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	/* The days of the user's branch (the default zone for a login that
	 * names nobody: the same work either way). */
	kt_audit_summary_days(summary_zone(r, s->user), kt_now_ms(), s->ndays,
	    s->days, &s->end_ms);
	s->store = kt_req_server(r)->store;
	kt_req_work(r, summary_work, summary_after);
}

/* ==== audit checkpoint ====================================================== */

typedef struct checkpoint_st {
	int latest;
} checkpoint_st_t;

static int
checkpoint_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	checkpoint_st_t *c = kt_req_state(r);
	kt_actor_t actor = kt_req_actor(r);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__AuditCheckpointResponse cr =
	    KARTOTEKA__AUDIT_CHECKPOINT_RESPONSE__INIT;
	char line[KT_AUDIT_CP_LINE_MAX], detail[64];
	kt_audit_cp_t cp;
	int rc = KT_ENOTFOUND;

	if (actor.sign_sk == NULL)
		return KT_ESTATE;  /* the server always has its key */
	if (c->latest)
		rc = kt_audit_cp_latest(txn, kt_store_dbs(st), &cp);
	if (rc == KT_ENOTFOUND)
		rc = kt_audit_cp_now(st, txn, actor.sign_sk, &cp);
	if (rc != 0)
		return rc;
	snprintf(detail, sizeof(detail), "seq=%" PRIu64 "%s", cp.seq,
	    c->latest ? " latest" : "");
	if ((rc = kt_audit_record(st, txn, &actor, KT_AUDIT_AUDIT_CHECKPOINT,
	    "audit", 0, detail)) != 0)
		return rc;
	kt_audit_cp_line(&cp, line);
	cr.seq = cp.seq;
	cr.hash.data = cp.hash;
	cr.hash.len = sizeof cp.hash;
	cr.signature.data = cp.sig;
	cr.signature.len = sizeof cp.sig;
	cr.line = line;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_AUDIT_CHECKPOINT;
	resp.audit_checkpoint = &cr;
	return kt_req_answer(r, &resp);
}

static void
op_audit_checkpoint(kt_req_t *r, const Kartoteka__Request *msg)
{
	checkpoint_st_t *c = kt_req_state(r);

	c->latest = msg->audit_checkpoint->latest;
	kt_req_submit(r, checkpoint_mut, NULL);
}

/* ==== the rows ================================================================ */

#define OP(c) KARTOTEKA__REQUEST__OP_##c

static const kt_op_row_t rows[] = {
	{ OP(AUDIT_LIST), KT_MSG("read the audit log"), KT_PHASE_LOGGED_IN, 0,
	    KT_ACT_AUDIT, KT_AUDIT_AUDIT_LIST, op_audit_list,
	    sizeof(list_st_t) },
	{ OP(AUDIT_SUMMARY), KT_MSG("read users' activity"), KT_PHASE_LOGGED_IN, 0,
	    KT_ACT_AUDIT, KT_AUDIT_AUDIT_SUMMARY, op_audit_summary,
	    sizeof(summary_st_t) },
	{ OP(AUDIT_CHECKPOINT), KT_MSG("save audit checkpoints"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_AUDIT, KT_AUDIT_AUDIT_CHECKPOINT,
	    op_audit_checkpoint, sizeof(checkpoint_st_t) },
};

const kt_op_domain_t kt_ops_audit = { "audit", rows,
	sizeof(rows) / sizeof(rows[0]) };
