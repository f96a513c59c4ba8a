/* SPDX-License-Identifier: MIT */
/* The report op (issue 9, docs/WORKDAY.md "Reports"): clients by status,
 * new cards and new clients per month, the conversion of new cards,
 * deals won per month and currency, overdue tasks per user and the
 * sources of clients, for a branch, a manager or every branch the caller
 * sees. The scope is decided on the loop (a branch or manager the caller
 * may not see answers exactly like a missing one); the sections are read
 * on a thread-pool thread with its own read transaction (jobs/report.c
 * for the client base, the overdue tasks here); the answer leaves after
 * its audit entry, and a scope of at most KT_REPORT_SMALL cards counts
 * them as rows shown, since its aggregates would describe individuals. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "jobs/report.h"
#include "kt_error.h"
#include "model/authz.h"
#include "model/bizday.h"
#include "model/branch_store.h"
#include "model/identity.h"
#include "model/task_store.h"
#include "model/user_day.h"
#include "model/user_store.h"
#include "ops/ops.h"
#include "ops/task.h"
#include "records.pb-c.h"

#define MONTHS_DEFAULT 12u
#define USERS_MAX 100u               /* lines of overdue tasks at most */

typedef struct overdue_line {
	char login[KT_LOGIN_MAX + 1];
	uint32_t n;
} overdue_line_t;

/* The request, copied for the pool thread, and what it hands back. */
typedef struct report_st {
	kt_store_t *store;
	kt_tzcache_t *tzc;
	kt_user_t me;
	int64_t now;
	kt_report_query_t q;         /* q.branches points at me.branches */
	char labels[KT_REPORT_MONTHS_MAX][8];   /* "YYYY-MM" */
	char scope[KT_NAME_MAX + KT_LOGIN_MAX + 32];
	char scope_ids[64];          /* for the audit: "branch=3 manager=7" */
	/* from the pool */
	int rc;
	kt_report_t rep;
	overdue_line_t overdue[USERS_MAX];
	size_t noverdue;
	uint8_t *packed;             /* ReportResponse, kept by the request */
	size_t len;
} report_st_t;

/* ==== overdue tasks (pool thread) ========================================== */

typedef struct overdue_walk {
	report_st_t *st;
	MDB_txn *txn;
	const kt_store_dbs_t *db;
	uint32_t n;
} overdue_walk_t;

static int
count_overdue(const Ktstore__TaskRecord *t, const uint8_t *pos, void *arg)
{
	overdue_walk_t *w = arg;
	const report_st_t *st = w->st;

	(void)pos;
	if (st->q.branch != 0 && t->branch != st->q.branch)
		return 0;
	if (kt_task_visible_to(w->txn, w->db, &st->me, t) &&
	    kt_task_overdue(kt_bizday_branch_zone(st->tzc, w->txn, w->db,
	    t->branch), t, st->now))
		w->n++;
	return 0;
}

/* The line of user u (its open tasks past due that the caller sees, in
 * the scope's branch). */
static int
overdue_of(report_st_t *st, MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_user_t *u)
{
	kt_task_range_t range = { .kind = KT_TASK_IX_ASSIGNEE, .scope = u->id,
		.due_to = st->now + 1 };
	overdue_walk_t w = { st, txn, db, 0 };
	int rc;

	if (st->noverdue >= USERS_MAX)
		return 0;
	if ((rc = kt_task_scan(txn, db, &range, count_overdue, &w)) < 0)
		return rc;
	snprintf(st->overdue[st->noverdue].login,
	    sizeof(st->overdue[0].login), "%s", u->login);
	st->overdue[st->noverdue++].n = w.n;
	return 0;
}

/* 1 when user u belongs in the scope's lines: working in the scope's
 * branch, or (without one) in a branch the caller sees. */
static int
user_in_scope(const report_st_t *st, const kt_user_t *u)
{
	if (u->disabled || st->q.none)
		return 0;
	if (st->q.branch != 0)
		return kt_authz_in_branches(u->branches, u->nbranches,
		    st->q.branch);
	if (st->q.nbranches == 0)
		return 1;
	for (size_t i = 0; i < u->nbranches; i++)
		if (kt_authz_in_branches(st->q.branches, st->q.nbranches,
		    u->branches[i]))
			return 1;
	return 0;
}

static int
by_count(const void *a, const void *b)
{
	const overdue_line_t *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->login, y->login);
}

static int
overdue_section(report_st_t *st, MDB_txn *txn, const kt_store_dbs_t *db)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc = 0, m;

	if (st->q.none)
		return 0;
	if (st->q.manager != 0) {
		kt_user_t u;
		if ((rc = kt_user_load(txn, db, st->q.manager, &u)) != 0)
			return rc == KT_ENOTFOUND ? 0 : rc;
		return overdue_of(st, txn, db, &u);
	}
	if ((m = mdb_cursor_open(txn, db->users, &cur)) != 0)
		return kt_store_err(m);
	for (m = mdb_cursor_get(cur, &k, &v, MDB_FIRST); m == 0 && rc == 0;
	    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Ktstore__UserRecord *rec = ktstore__user_record__unpack(NULL,
		    v.mv_size, v.mv_data);
		kt_user_t u;

		if (rec == NULL)
			continue;
		kt_user_from_record(rec, &u);
		ktstore__user_record__free_unpacked(rec, NULL);
		if (user_in_scope(st, &u))
			rc = overdue_of(st, txn, db, &u);
	}
	mdb_cursor_close(cur);
	if (rc == 0 && m != 0 && m != MDB_NOTFOUND)
		rc = kt_store_err(m);
	qsort(st->overdue, st->noverdue, sizeof(st->overdue[0]), by_count);
	return rc;
}

/* ==== the answer (pool thread) =============================================== */

static int
pack(report_st_t *st)
{
	const kt_report_t *rep = &st->rep;
	Kartoteka__ReportResponse r = KARTOTEKA__REPORT_RESPONSE__INIT;
	Kartoteka__ReportMonth months[KT_REPORT_MONTHS_MAX],
	    *pmonths[KT_REPORT_MONTHS_MAX];
	Kartoteka__ReportWon *won = NULL, **pwon = NULL;
	Kartoteka__ReportCount over[USERS_MAX], *pover[USERS_MAX],
	    src[KT_REPORT_SOURCES_MAX], *psrc[KT_REPORT_SOURCES_MAX];
	char wmonth[KT_REPORT_WON_MAX][8];
	int rc = 0;

	r.scope = st->scope;
	r.months = st->q.months;
	r.clients = rep->clients;
	r.leads = rep->leads;
	r.active = rep->active;
	r.former = rep->former;
	r.archived = rep->archived;
	r.window_cards = rep->window_cards;
	r.window_converted = rep->window_converted;
	r.sources_more = rep->sources_more;
	r.no_source = rep->no_source;
	for (unsigned i = 0; i < st->q.months; i++) {
		kartoteka__report_month__init(&months[i]);
		months[i].month = st->labels[i];
		months[i].new_cards = rep->new_cards[i];
		months[i].new_clients = rep->new_clients[i];
		months[i].won_deals = rep->won_deals[i];
		pmonths[i] = &months[i];
	}
	r.per_month = pmonths;
	r.n_per_month = st->q.months;
	if (rep->nwon > 0) {
		if ((won = calloc(rep->nwon, sizeof(*won))) == NULL ||
		    (pwon = calloc(rep->nwon, sizeof(*pwon))) == NULL) {
			rc = KT_ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < rep->nwon; i++) {
		kartoteka__report_won__init(&won[i]);
		memcpy(wmonth[i], st->labels[rep->won[i].month], 8);
		won[i].month = wmonth[i];
		won[i].currency = (char *)rep->won[i].currency;
		won[i].count = rep->won[i].count;
		won[i].amount = rep->won[i].amount;
		pwon[i] = &won[i];
	}
	r.won = pwon;
	r.n_won = rep->nwon;
	for (size_t i = 0; i < st->noverdue; i++) {
		kartoteka__report_count__init(&over[i]);
		over[i].name = st->overdue[i].login;
		over[i].count = st->overdue[i].n;
		pover[i] = &over[i];
	}
	r.overdue = pover;
	r.n_overdue = st->noverdue;
	for (size_t i = 0; i < rep->nsources; i++) {
		kartoteka__report_count__init(&src[i]);
		src[i].name = (char *)rep->sources[i].name;
		src[i].count = rep->sources[i].count;
		psrc[i] = &src[i];
	}
	r.sources = psrc;
	r.n_sources = rep->nsources;
	st->len = kartoteka__report_response__get_packed_size(&r);
	if ((st->packed = malloc(st->len ? st->len : 1)) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	kartoteka__report_response__pack(&r, st->packed);
out:
	free(won);
	free(pwon);
	return rc;
}

static void
report_work(kt_req_t *r)
{
	report_st_t *st = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st->store);
	MDB_txn *txn = NULL;

	/* Its own read transaction: the loop's may not cross threads. */
	if ((st->rc = kt_store_read_begin(st->store, &txn)) != 0)
		return;
	if ((st->rc = kt_report_build(txn, db, &st->q, &st->rep)) == 0 &&
	    (st->rc = overdue_section(st, txn, db)) == 0)
		st->rc = pack(st);
	kt_store_read_end(st->store, txn);
}

/* ==== counting, audit, answer (writer) ======================================== */

/* A small scope's cards count as the caller's rows of the day (past the
 * quota the report is QUOTA_EXCEEDED); audited either way. May run more
 * than once. */
static int
report_mut(kt_store_t *stp, MDB_txn *txn, kt_req_t *r)
{
	report_st_t *st = kt_req_state(r);
	kt_uday_who_t who = kt_req_counted(r, txn, st->now);
	kt_actor_t actor = kt_req_actor(r);
	uint32_t count = 0, fresh = 0, limit = 0;
	char detail[384];
	int rc = 0;

	if (st->rep.nsmall > 0)
		rc = kt_uday_rows(stp, txn, &who, st->rep.small,
		    st->rep.nsmall, &count, &fresh, &limit);
	if (rc == KT_EPERM) {
		snprintf(detail, sizeof(detail), "daily quota of %u clients "
		    "listed used up; the owner can raise it (kartoteka user "
		    "change %s --row-quota N)", limit, who.user->login);
		if ((rc = kt_audit_record(stp, txn, &actor, KT_AUDIT_REPORT,
		    "report", KT_CODE_QUOTA, detail)) != 0)
			return rc;
		return kt_req_answer_error(r, KT_CODE_QUOTA, "%s", detail);
	}
	if (rc != 0)
		return rc;
	snprintf(detail, sizeof(detail), "%s months=%u from=%s clients=%u "
	    "counted=%zu new=%u today=%u", st->scope_ids, st->q.months,
	    st->labels[0], st->rep.clients, st->rep.nsmall, fresh, count);
	if ((rc = kt_audit_record(stp, txn, &actor, KT_AUDIT_REPORT, "report",
	    KT_CODE_OK, detail)) != 0)
		return rc;
	return kt_req_answer_packed(r, KARTOTEKA__RESPONSE__RESULT_REPORT,
	    st->packed, st->len);
}

static void
report_after(kt_req_t *r, int status)
{
	report_st_t *st = kt_req_state(r);

	if (status != 0 || st->rc != 0) {
		free(st->packed);
		st->packed = NULL;
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "the report could not be "
		    "read: try again");
		return;
	}
	/* kt_req_keep frees what it cannot keep. */
	if (kt_req_keep(r, st->packed) != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	kt_req_submit(r, report_mut, NULL);
}

/* ==== the scope (loop) ========================================================= */

/* Decides the scope of q for the caller (docs/WORKDAY.md "Reports").
 * Returns 1 with st's query, zone and scope texts set, or 0 with r
 * answered: a branch or manager that does not exist or that the caller
 * may not see gets one NOT_FOUND, audited, whichever it is. */
static int
report_scope(kt_req_t *r, const Kartoteka__ReportRequest *q,
    report_st_t *st, const kt_tz_t **tz)
{
	kt_server_t *srv = kt_req_server(r);
	const kt_store_dbs_t *db = kt_store_dbs(srv->store);
	MDB_txn *txn = kt_req_txn(r);
	const kt_user_t *me = &st->me;
	int has_branch = q->branch != NULL && q->branch[0] != '\0';
	int has_manager = q->manager != NULL && q->manager[0] != '\0';
	uint64_t id = 0;
	kt_user_t u;

	*tz = kt_bizday_zone(srv->tz, txn, db, me);
	if (me->role != KARTOTEKA__ROLE__OWNER) {
		st->q.branches = st->me.branches;
		st->q.nbranches = st->me.nbranches;
		/* no branch: nothing to see (nbranches 0 would be all) */
		st->q.none = st->me.nbranches == 0;
	}
	if (has_branch) {
		if (kt_branch_id(txn, db, q->branch, &id) != 0 ||
		    (st->q.nbranches > 0 && !kt_authz_in_branches(
		    st->q.branches, st->q.nbranches, id))) {
			kt_req_fail_audited(r, KT_CODE_NOT_FOUND,
			    KT_AUDIT_REPORT, "report", "branch: no branch "
			    "'%.128s'", q->branch);
			return 0;
		}
		st->q.branch = id;
		*tz = kt_bizday_branch_zone(srv->tz, txn, db, id);
	}
	if (me->role == KARTOTEKA__ROLE__MANAGER && !has_manager) {
		st->q.manager = me->id;
	} else if (has_manager) {
		int seen = 0;
		if (kt_user_id(txn, db, q->manager, &id) == 0 &&
		    kt_user_load(txn, db, id, &u) == 0) {
			if (me->role == KARTOTEKA__ROLE__OWNER)
				seen = 1;
			else if (me->role == KARTOTEKA__ROLE__MANAGER)
				seen = id == me->id;
			else
				for (size_t i = 0; i < u.nbranches && !seen;
				    i++)
					seen = kt_authz_in_branches(
					    me->branches, me->nbranches,
					    u.branches[i]);
		}
		if (!seen) {
			kt_req_fail_audited(r, KT_CODE_NOT_FOUND,
			    KT_AUDIT_REPORT, "report", "manager: no user "
			    "'%.64s'", q->manager);
			return 0;
		}
		st->q.manager = id;
		if (!has_branch)
			*tz = kt_bizday_zone(srv->tz, txn, db, &u);
	}
	if (st->q.branch != 0 && st->q.manager != 0)
		snprintf(st->scope, sizeof(st->scope), "branch %.128s, manager "
		    "%.64s", q->branch, has_manager ? q->manager : me->login);
	else if (st->q.branch != 0)
		snprintf(st->scope, sizeof(st->scope), "branch %.128s",
		    q->branch);
	else if (st->q.manager != 0)
		snprintf(st->scope, sizeof(st->scope), "manager %.64s",
		    has_manager ? q->manager : me->login);
	else if (st->q.nbranches > 0)
		snprintf(st->scope, sizeof(st->scope), "branches of %.64s",
		    me->login);
	else
		snprintf(st->scope, sizeof(st->scope), "all branches");
	snprintf(st->scope_ids, sizeof(st->scope_ids), "branch=%" PRIu64
	    " manager=%" PRIu64, st->q.branch, st->q.manager);
	return 1;
}

/* The window: the month of today (in tz) and the months-1 before it,
 * each beginning at its first local midnight. */
static void
report_window(report_st_t *st, const kt_tz_t *tz)
{
	int64_t day = kt_tz_day(tz, st->now, NULL), mm;
	unsigned m, d;
	int y;

	kt_task_civil_from_days(day, &y, &m, &d);
	mm = (int64_t)y * 12 + (m - 1) - (st->q.months - 1);
	for (unsigned i = 0; i <= st->q.months; i++, mm++) {
		int64_t yy = mm / 12;
		unsigned mo = (unsigned)(mm % 12) + 1;

		st->q.bounds[i] = kt_task_local_time(tz,
		    kt_task_days_from_civil(yy, mo, 1), 0);
		if (i < st->q.months)
			snprintf(st->labels[i], sizeof(st->labels[i]),
			    "%04u-%02u", (unsigned)(yy % 10000) % 10000u,
			    mo % 100u);
	}
}

static void
op_report(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__ReportRequest *q = msg->report;
	report_st_t *st = kt_req_state(r);
	kt_server_t *srv = kt_req_server(r);
	const kt_tz_t *tz = NULL;

	if (kt_req_txn(r) == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "store unavailable");
		return;
	}
	if (q->months > KT_REPORT_MONTHS_MAX) {
		kt_req_fail(r, KT_CODE_BAD, "months: is more than %u",
		    KT_REPORT_MONTHS_MAX);
		return;
	}
	st->store = srv->store;
	st->tzc = srv->tz;
	st->me = *kt_req_caller(r);
	st->now = kt_now_s();
	st->q.months = q->months ? q->months : MONTHS_DEFAULT;
	if (!report_scope(r, q, st, &tz))
		return;
	report_window(st, tz);
	kt_req_work(r, report_work, report_after);
}

/* ==== the rows ============================================================= */

static const kt_op_row_t rows[] = {
	{ KARTOTEKA__REQUEST__OP_REPORT, "see reports", KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_LIST, KT_AUDIT_REPORT, op_report,
	    sizeof(report_st_t) },
};

const kt_op_domain_t kt_ops_report = { "report", rows,
	sizeof(rows) / sizeof(rows[0]) };
