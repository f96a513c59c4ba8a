/* SPDX-License-Identifier: MIT */
/* Tasks and promises over the protocol: add, change (done, reopen, move,
 * edit) and list, with who may assign, change and see a task (DESIGN §4,
 * docs/WORKDAY.md "Tasks and promises"). A task about a client the caller
 * cannot see answers exactly like a missing task; every answer naming a
 * client counts it as a row shown (docs/STAFF.md) and is audited. Changes
 * are decided again and written on the writer thread; lists are read on
 * the loop, then counted and audited by the writer before they leave. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "arena.h"
#include "fields.h"
#include "kt_error.h"
#include "model/authz.h"
#include "model/bizday.h"
#include "model/branch_store.h"
#include "model/client_store.h"
#include "model/identity.h"
#include "model/task_store.h"
#include "model/user_day.h"
#include "model/user_store.h"
#include "ops/ops.h"
#include "ops/task.h"
#include "records.pb-c.h"

#define DAY_S 86400
#define DAY_2000 10957u              /* 2000-01-01, days since 1970 */
#define FUTURE_DAYS (5u * 365u + 1u) /* "within 5 years" of today */
#define PAGE_MAX 100u                /* tasks in a page at most */
#define PAGE_BYTES (48u * 1024u)     /* of tasks in one answer at most */
#define CURSOR_TAG 'T'

/* ==== dates in a time zone ============================================== */

/* Days since 1970-01-01 of the civil date y-m-d (proleptic Gregorian). */
int64_t
kt_task_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
kt_task_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

int
kt_task_parse_day(const char *s, int64_t *day)
{
	unsigned y, m, d, dim;
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };

	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return -1;
	y = (unsigned)((s[0] - '0') * 1000 + (s[1] - '0') * 100 +
	    (s[2] - '0') * 10 + (s[3] - '0'));
	m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
	d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
	if (m < 1 || m > 12 || d < 1)
		return -1;
	dim = mdays[m - 1] + (m == 2 && y % 4 == 0 &&
	    (y % 100 != 0 || y % 400 == 0));
	if (d > dim)
		return -1;
	*day = kt_task_days_from_civil(y, m, d);
	return 0;
}

/* A due as typed: "YYYY-MM-DD" (all day) or "YYYY-MM-DD HH:MM". */
typedef struct due {
	int64_t day;
	unsigned minute;             /* after local midnight */
	int all_day;
} due_t;

/* Returns NULL, or the problem (to follow "due: "). */
static const char *
parse_due(const char *s, due_t *out)
{
	size_t n = s != NULL ? strlen(s) : 0;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return KT_MSG("is empty");
	if ((n != 10 && n != 16) || kt_task_parse_day(s, &out->day) != 0)
		return KT_MSG("is not a date YYYY-MM-DD or YYYY-MM-DD HH:MM");
	if (n == 10) {
		out->all_day = 1;
		return NULL;
	}
	if (s[10] != ' ' || s[13] != ':' || s[11] < '0' || s[11] > '2' ||
	    s[12] < '0' || s[12] > '9' || s[14] < '0' || s[14] > '5' ||
	    s[15] < '0' || s[15] > '9')
		return "is not a date YYYY-MM-DD or YYYY-MM-DD HH:MM";
	out->minute = (unsigned)(((s[11] - '0') * 10 + (s[12] - '0')) * 60 +
	    (s[14] - '0') * 10 + (s[15] - '0'));
	if (out->minute >= 24 * 60)
		return KT_MSG("has an hour past 23");
	return NULL;
}

int64_t
kt_task_local_time(const kt_tz_t *tz, int64_t day, unsigned minute)
{
	int64_t guess = day * DAY_S + (int64_t)minute * 60;
	int32_t off = kt_tz_offset(tz, guess);
	int64_t t = guess - off;
	int32_t off2 = kt_tz_offset(tz, t);

	return off2 == off ? t : guess - off2;
}

/* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" of t in tz into out (>= 17). */
static void
format_due(const kt_tz_t *tz, int64_t t, int all_day, char *out, size_t cap)
{
	int y;
	unsigned m, d, min;

	kt_task_civil_from_days(kt_tz_day(tz, t, NULL), &y, &m, &d);
	if (all_day) {
		snprintf(out, cap, "%04d-%02u-%02u", y, m, d);
		return;
	}
	min = kt_tz_minute(tz, t);
	snprintf(out, cap, "%04d-%02u-%02u %02u:%02u", y, m, d, min / 60,
	    min % 60);
}

int
kt_task_overdue(const kt_tz_t *tz, const Ktstore__TaskRecord *t, int64_t now)
{
	int64_t end = t->due_at;

	if (t->done_at != 0)
		return 0;
	if (t->all_day)
		(void)kt_tz_day(tz, t->due_at, &end);
	return now >= end;
}

/* ==== who may do what ===================================================== */

/* 1 when users a and b work in a branch in common. */
static int
shares_branch(const kt_user_t *a, const kt_user_t *b)
{
	for (size_t i = 0; i < b->nbranches; i++)
		if (kt_authz_in_branches(a->branches, a->nbranches,
		    b->branches[i]))
			return 1;
	return 0;
}

/* May me give a task of branch to user a? NULL when so, else the
 * problem (naming the field). An unknown login and a user outside the
 * caller's branches read alike for a head. */
static const char *
may_assign(const kt_user_t *me, const kt_user_t *a, int found,
    uint64_t branch, char *buf, size_t cap)
{
	if (me->role == KARTOTEKA__ROLE__MANAGER && (!found || a->id != me->id))
		return "assignee: a manager assigns tasks only to itself";
	if (me->role == KARTOTEKA__ROLE__HEAD && (!found ||
	    (a->role != KARTOTEKA__ROLE__OWNER && !shares_branch(me, a)))) {
		snprintf(buf, cap, "assignee: no user of your branches with "
		    "that login");
		return buf;
	}
	if (!found) {
		snprintf(buf, cap, "assignee: no such user");
		return buf;
	}
	if (a->disabled) {
		snprintf(buf, cap, "assignee: %s is disabled", a->login);
		return buf;
	}
	if (a->role != KARTOTEKA__ROLE__OWNER && branch != 0 &&
	    !kt_authz_in_branches(a->branches, a->nbranches, branch)) {
		snprintf(buf, cap, "assignee: %s does not work in the task's "
		    "branch", a->login);
		return buf;
	}
	return NULL;
}

/* ==== the wire ============================================================= */

int
kt_task_wire(kt_tzcache_t *tzc, MDB_txn *txn, const kt_store_dbs_t *db,
    kt_arena_t *a, const Ktstore__TaskRecord *t, int64_t now,
    Kartoteka__Task *w)
{
	const kt_tz_t *tz = kt_bizday_branch_zone(tzc, txn, db, t->branch);
	char buf[KT_NAME_MAX + 1];
	Ktstore__ClientRecord *card = NULL;

	kartoteka__task__init(w);
	w->id = t->id;
	w->client_id = t->client;
	w->kind = (Kartoteka__TaskKind)t->kind;
	w->due_at = t->due_at;
	w->all_day = t->all_day;
	w->done_at = t->done_at;
	w->overdue = kt_task_overdue(tz, t, now);
	w->version = t->version;
	w->branch_id = t->branch;
	w->created_at = t->created_at;
	if ((w->title = kt_arena_strdup(a, t->title)) == NULL)
		return KT_ENOMEM;
	format_due(tz, t->due_at, t->all_day, buf, sizeof(buf));
	if ((w->due = kt_arena_strdup(a, buf)) == NULL)
		return KT_ENOMEM;
	kt_user_login(txn, db, t->assignee, buf, sizeof(buf));
	if ((w->assignee = kt_arena_strdup(a, buf)) == NULL)
		return KT_ENOMEM;
	kt_user_login(txn, db, t->author, buf, sizeof(buf));
	if ((w->author = kt_arena_strdup(a, buf)) == NULL)
		return KT_ENOMEM;
	kt_branch_name(txn, db, t->branch, buf, sizeof(buf));
	if ((w->branch = kt_arena_strdup(a, buf)) == NULL)
		return KT_ENOMEM;
	w->client = (char *)"";
	if (t->client != 0 && kt_cstore_get_with(txn, db, t->client, &a->pb,
	    &card) == 0 && !card->purged)
		w->client = card->title;
	return 0;
}

/* ==== one change in flight ================================================= */

typedef struct task_st {
	int64_t now;
	uint64_t id, client, version;
	uint32_t action;             /* Kartoteka__TaskAction; 0 for add */
	uint32_t kind;
	char assignee[KT_LOGIN_MAX + 1];
	char due[20];
	char title[KT_TASK_TITLE_MAX + 1];
	/* a list waiting for its count */
	uint8_t *packed;
	size_t len;
	uint64_t *ids;
	size_t nids;
	char detail[256];
} task_st_t;

/* Refuses in the writer: an audit entry with the outcome, and the error
 * as the answer. Returns 0 (commit the entry) or a store error. */
static int
task_refuse(kt_store_t *st, MDB_txn *txn, kt_req_t *r, kt_audit_action_t action,
    const char *object, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static int
task_refuse(kt_store_t *st, MDB_txn *txn, kt_req_t *r, kt_audit_action_t action,
    const char *object, uint32_t code, const char *fmt, ...)
{
	kt_actor_t actor = kt_req_actor(r);
	char msg[400];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((rc = kt_audit_record(st, txn, &actor, action, object, code,
	    msg)) != 0)
		return rc;
	return kt_req_answer_error(r, code, "%s", msg);
}

/* Counts client (0: none) as a row shown to the caller. Returns 0,
 * KT_EPERM with the refusal prepared and audited, or a store error. */
static int
count_client(kt_store_t *st, MDB_txn *txn, kt_req_t *r,
    kt_audit_action_t action, const char *object, uint64_t client,
    int64_t now)
{
	kt_uday_who_t who = kt_req_counted(r, txn, now);
	uint32_t count = 0, fresh = 0, limit = 0;
	int rc;

	if (client == 0)
		return 0;
	rc = kt_uday_rows(st, txn, &who, &client, 1, &count, &fresh, &limit);
	if (rc != KT_EPERM)
		return rc;
	rc = task_refuse(st, txn, r, action, object, KT_CODE_QUOTA, "daily quota "
	    "of %u clients listed used up; the owner can raise it (kartoteka "
	    "user change %s --row-quota N)", limit, who.user->login);
	return rc != 0 ? rc : KT_EPERM;
}

/* Prepares the answer `task` with t, inside txn. */
static int
answer_task(kt_store_t *st, MDB_txn *txn, kt_req_t *r,
    const Ktstore__TaskRecord *t, int64_t now)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__TaskResponse tr = KARTOTEKA__TASK_RESPONSE__INIT;
	Kartoteka__Task w;
	kt_arena_t a;
	int rc;

	if (kt_arena_init(&a, 4096, 1u << 20) != 0)
		return KT_ENOMEM;
	if ((rc = kt_task_wire(kt_req_server(r)->tz, txn, kt_store_dbs(st), &a, t,
	    now, &w)) == 0) {
		tr.task = &w;
		resp.result_case = KARTOTEKA__RESPONSE__RESULT_TASK;
		resp.task = &tr;
		rc = kt_req_answer(r, &resp);
	}
	kt_arena_free(&a);
	return rc;
}

/* Loads the assignee named by login ("": me) into *a. Returns 0 with
 * *found, or a store error. */
static int
load_assignee(MDB_txn *txn, const kt_store_dbs_t *db, const kt_user_t *me,
    const char *login, kt_user_t *a, int *found)
{
	uint64_t id;
	int rc;

	*found = 0;
	if (login[0] == '\0' || strcmp(login, me->login) == 0) {
		*a = *me;
		*found = 1;
		return 0;
	}
	rc = kt_user_id(txn, db, login, &id);
	if (rc == 0)
		rc = kt_user_load(txn, db, id, a);
	if (rc == KT_ENOTFOUND)
		return 0;
	if (rc == 0)
		*found = 1;
	return rc;
}

/* The due day's bounds: not before 2000-01-01, not past 5 years from
 * today in tz. NULL or the problem. */
static const char *
due_problem(const kt_tz_t *tz, const due_t *d, int64_t now)
{
	if (d->day < DAY_2000)
		return "due: is before 2000-01-01";
	if (d->day > (int64_t)kt_tz_day(tz, now, NULL) + FUTURE_DAYS)
		return "due: is more than 5 years ahead";
	return NULL;
}

static int
add_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	task_st_t *s = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	const kt_user_t *me = kt_req_caller(r);
	Ktstore__TaskRecord rec = KTSTORE__TASK_RECORD__INIT;
	Ktstore__ClientRecord *card = NULL;
	kt_actor_t actor = kt_req_actor(r);
	kt_user_t a = { .id = 0 };
	const kt_tz_t *tz;
	const char *why;
	char buf[160], object[40], detail[200];
	uint64_t branch;
	due_t due;
	int found, rc;

	if (s->client != 0) {
		snprintf(object, sizeof(object), "client:%" PRIu64, s->client);
		rc = kt_cstore_get(txn, db, s->client, &card);
		if (rc != 0 && rc != KT_ENOTFOUND)
			return rc;
		if (rc == KT_ENOTFOUND || card->purged ||
		    kt_authz_client(me->id, me->role, me->branches,
		    me->nbranches, KT_ACT_LOG_CONTACT, card->branch,
		    card->manager) != 0) {
			if (card != NULL)
				protobuf_c_message_free_unpacked(&card->base,
				    NULL);
			return task_refuse(st, txn, r, KT_AUDIT_TASK_ADD, object,
			    KT_CODE_NOT_FOUND, "no client %" PRIu64,
			    s->client);
		}
		branch = card->branch;
		protobuf_c_message_free_unpacked(&card->base, NULL);
	} else {
		snprintf(object, sizeof(object), "tasks");
		branch = me->nbranches ? me->branches[0] : 0;
	}
	if ((rc = load_assignee(txn, db, me, s->assignee, &a, &found)) != 0)
		return rc;
	if (s->client == 0 && branch == 0 && found && a.nbranches)
		branch = a.branches[0];  /* the owner's task for someone */
	if ((why = may_assign(me, &a, found, branch, buf, sizeof(buf))) !=
	    NULL)
		return task_refuse(st, txn, r, KT_AUDIT_TASK_ADD, object,
		    me->role == KARTOTEKA__ROLE__MANAGER ? KT_CODE_FORBIDDEN :
		    KT_CODE_BAD, "%s", why);
	tz = kt_bizday_branch_zone(kt_req_server(r)->tz, txn, db, branch);
	(void)parse_due(s->due, &due);  /* checked on the loop */
	if ((why = due_problem(tz, &due, s->now)) != NULL)
		return task_refuse(st, txn, r, KT_AUDIT_TASK_ADD, object,
		    KT_CODE_BAD, "%s", why);
	if ((rc = count_client(st, txn, r, KT_AUDIT_TASK_ADD, object,
	    s->client, s->now)) != 0)
		return rc == KT_EPERM ? 0 : rc;
	rec.client = s->client;
	rec.assignee = a.id;
	rec.author = me->id;
	rec.all_day = due.all_day;
	rec.due_at = kt_task_local_time(tz, due.day, due.minute);
	rec.title = s->title;
	rec.kind = s->kind;
	rec.created_at = rec.updated_at = s->now;
	rec.branch = branch;
	if ((rc = kt_task_add(st, txn, &rec)) != 0)
		return rc;
	snprintf(object, sizeof(object), "task:%" PRIu64, rec.id);
	snprintf(detail, sizeof(detail), "client=%" PRIu64 " assignee=%"
	    PRIu64 " branch=%" PRIu64 " kind=%u due=%" PRId64, rec.client,
	    rec.assignee, rec.branch, rec.kind, rec.due_at);
	if ((rc = kt_audit_record(st, txn, &actor, KT_AUDIT_TASK_ADD, object,
	    KT_CODE_OK, detail)) != 0)
		return rc;
	return answer_task(st, txn, r, &rec, s->now);
}

/* The audit action of a change. */
static kt_audit_action_t
change_action(uint32_t action)
{
	switch (action) {
	case KARTOTEKA__TASK_ACTION__TASK_DONE: return KT_AUDIT_TASK_DONE;
	case KARTOTEKA__TASK_ACTION__TASK_REOPEN: return KT_AUDIT_TASK_REOPEN;
	case KARTOTEKA__TASK_ACTION__TASK_MOVE: return KT_AUDIT_TASK_MOVE;
	default: return KT_AUDIT_TASK_EDIT;
	}
}

/* Applies s's change to t (a copy of the stored old). Returns NULL, or
 * the refusal with *code; buf holds a formatted one. */
static const char *
apply_change(kt_req_t *r, MDB_txn *txn, const kt_store_dbs_t *db,
    task_st_t *s, Ktstore__TaskRecord *t, uint32_t *code, char *buf,
    size_t cap)
{
	const kt_user_t *me = kt_req_caller(r);
	const kt_tz_t *tz;
	const char *why;
	kt_user_t a;
	due_t due;
	int found;

	*code = KT_CODE_CONFLICT;
	switch (s->action) {
	case KARTOTEKA__TASK_ACTION__TASK_DONE:
		if (t->done_at != 0) {
			snprintf(buf, cap, "task %" PRIu64 " is already done",
			    t->id);
			return buf;
		}
		t->done_at = s->now;
		return NULL;
	case KARTOTEKA__TASK_ACTION__TASK_REOPEN:
		if (t->done_at == 0) {
			snprintf(buf, cap, "task %" PRIu64 " is open", t->id);
			return buf;
		}
		t->done_at = 0;
		return NULL;
	case KARTOTEKA__TASK_ACTION__TASK_MOVE:
		if (t->done_at != 0) {
			snprintf(buf, cap, "task %" PRIu64 " is done: reopen it "
			    "first", t->id);
			return buf;
		}
		*code = KT_CODE_BAD;
		tz = kt_bizday_branch_zone(kt_req_server(r)->tz, txn, db,
		    t->branch);
		(void)parse_due(s->due, &due);
		if ((why = due_problem(tz, &due, s->now)) != NULL)
			return why;
		t->all_day = due.all_day;
		t->due_at = kt_task_local_time(tz, due.day, due.minute);
		return NULL;
	default:
		break;
	}
	if (s->title[0] != '\0')
		t->title = s->title;
	if (s->kind != 0)
		t->kind = s->kind;
	if (s->assignee[0] != '\0') {
		if (load_assignee(txn, db, me, s->assignee, &a, &found) != 0) {
			*code = KT_CODE_UNAVAILABLE;
			return "the store cannot be read; try again";
		}
		if ((why = may_assign(me, &a, found, t->branch, buf, cap)) !=
		    NULL) {
			*code = me->role == KARTOTEKA__ROLE__MANAGER ?
			    KT_CODE_FORBIDDEN : KT_CODE_BAD;
			return why;
		}
		t->assignee = a.id;
	}
	return NULL;
}

static int
change_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	task_st_t *s = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	const kt_user_t *me = kt_req_caller(r);
	kt_audit_action_t action = change_action(s->action);
	Ktstore__TaskRecord *old = NULL, *t = NULL;
	kt_actor_t actor = kt_req_actor(r);
	char object[40], buf[200], detail[200], *title = NULL;
	const char *why;
	uint32_t code;
	int rc;

	snprintf(object, sizeof(object), "task:%" PRIu64, s->id);
	rc = kt_task_get(txn, db, s->id, &old);
	if (rc != 0 && rc != KT_ENOTFOUND)
		return rc;
	if (rc == KT_ENOTFOUND || !kt_task_visible_to(txn, db, me, old)) {
		rc = task_refuse(st, txn, r, action, object, KT_CODE_NOT_FOUND,
		    "no task %" PRIu64, s->id);
		goto out;
	}
	if (s->version != 0 && s->version != old->version) {
		rc = task_refuse(st, txn, r, action, object, KT_CODE_CONFLICT,
		    "task %" PRIu64 " was changed meanwhile (version %" PRIu64
		    "); look at it again", s->id, old->version);
		goto out;
	}
	if ((rc = kt_task_get(txn, db, s->id, &t)) != 0)
		goto out;
	title = t->title;            /* an edit points t at s's title */
	if ((why = apply_change(r, txn, db, s, t, &code, buf,
	    sizeof(buf))) != NULL) {
		rc = task_refuse(st, txn, r, action, object, code, "%s", why);
		goto out;
	}
	if ((rc = count_client(st, txn, r, action, object, t->client,
	    s->now)) != 0) {
		if (rc == KT_EPERM)
			rc = 0;
		goto out;
	}
	t->updated_at = s->now;
	if ((rc = kt_task_put(txn, db, old, t)) != 0)
		goto out;
	snprintf(detail, sizeof(detail), "client=%" PRIu64 " assignee=%"
	    PRIu64 " version=%" PRIu64 " due=%" PRId64 "%s", t->client,
	    t->assignee, t->version, t->due_at,
	    t->assignee != old->assignee ? " reassigned" : "");
	if ((rc = kt_audit_record(st, txn, &actor, action, object, KT_CODE_OK,
	    detail)) != 0)
		goto out;
	rc = answer_task(st, txn, r, t, s->now);
out:
	if (old != NULL)
		ktstore__task_record__free_unpacked(old, NULL);
	if (t != NULL) {
		t->title = title;
		ktstore__task_record__free_unpacked(t, NULL);
	}
	return rc;
}

/* ==== add and change: the loop's part ======================================== */

/* Copies and checks title and kind into s (edit: both optional). Returns
 * 1, or 0 with r answered. */
static int
take_text(kt_req_t *r, task_st_t *s, const char *title, uint32_t kind,
    int required)
{
	const char *p;
	int blank = 1;

	if (title != NULL && title[0] != '\0') {
		if (strlen(title) > KT_TASK_TITLE_MAX) {
			kt_req_fail(r, KT_CODE_BAD, "title: is longer than %u "
			    "bytes", KT_TASK_TITLE_MAX);
			return 0;
		}
		if ((p = kt_text_problem(title, 1, KT_TASK_TITLE_MAX, 0)) !=
		    NULL) {
			kt_req_fail(r, KT_CODE_BAD, "title: %s", p);
			return 0;
		}
		for (p = title; *p && blank; p++)
			blank = *p == ' ' || *p == '\t';
		if (blank) {
			kt_req_fail(r, KT_CODE_BAD, "title: is blank");
			return 0;
		}
		snprintf(s->title, sizeof(s->title), "%s", title);
	} else if (required) {
		kt_req_fail(r, KT_CODE_BAD, "title: is empty");
		return 0;
	}
	if (kind > KARTOTEKA__TASK_KIND__TASK_OTHER ||
	    (required && kind == 0)) {
		kt_req_fail(r, KT_CODE_BAD, "kind: is not call, meeting, "
		    "promise or other");
		return 0;
	}
	s->kind = kind;
	return 1;
}

/* Copies and checks the due into s. Returns 1, or 0 with r answered. */
static int
take_due(kt_req_t *r, task_st_t *s, const char *text)
{
	const char *why;
	due_t d;

	if ((why = parse_due(text, &d)) != NULL) {
		kt_req_fail(r, KT_CODE_BAD, "due: %s", why);
		return 0;
	}
	snprintf(s->due, sizeof(s->due), "%s", text);
	return 1;
}

static int
take_assignee(kt_req_t *r, task_st_t *s, const char *login)
{
	if (login != NULL && !kt_text_take(s->assignee, sizeof(s->assignee),
	    login)) {
		kt_req_fail(r, KT_CODE_BAD, "assignee: is longer than %u bytes",
		    KT_LOGIN_MAX);
		return 0;
	}
	return 1;
}

static void
op_task_add(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__TaskAddRequest *q = msg->task_add;
	task_st_t *s = kt_req_state(r);

	s->now = kt_now_s();
	s->client = q->client_id;
	if (!take_text(r, s, q->title, (uint32_t)q->kind, 1) ||
	    !take_due(r, s, q->due) || !take_assignee(r, s, q->assignee))
		return;
	if (s->client != 0 && !kt_req_client_visible(r, s->client))
		return;
	kt_req_submit(r, add_mut, NULL);
}

static void
op_task_change(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__TaskChangeRequest *q = msg->task_change;
	task_st_t *s = kt_req_state(r);

	s->now = kt_now_s();
	s->id = q->id;
	s->version = q->version;
	s->action = (uint32_t)q->action;
	if (s->id == 0) {
		kt_req_fail(r, KT_CODE_BAD, "id: is missing");
		return;
	}
	switch (q->action) {
	case KARTOTEKA__TASK_ACTION__TASK_DONE:
	case KARTOTEKA__TASK_ACTION__TASK_REOPEN:
		break;
	case KARTOTEKA__TASK_ACTION__TASK_MOVE:
		if (!take_due(r, s, q->due))
			return;
		break;
	case KARTOTEKA__TASK_ACTION__TASK_EDIT:
		if (!take_text(r, s, q->title, (uint32_t)q->kind, 0) ||
		    !take_assignee(r, s, q->assignee))
			return;
		if (s->title[0] == '\0' && s->kind == 0 &&
		    s->assignee[0] == '\0') {
			kt_req_fail(r, KT_CODE_BAD, "edit: nothing to change "
			    "(title, kind or assignee)");
			return;
		}
		break;
	default:
		kt_req_fail(r, KT_CODE_BAD, "action: is not done, reopen, "
		    "move or edit");
		return;
	}
	kt_req_submit(r, change_mut, NULL);
}

/* ==== list ================================================================== */

/* What a list walks and what its page holds so far. */
typedef struct lister {
	kt_server_t *srv;
	MDB_txn *txn;
	const kt_store_dbs_t *db;
	const kt_user_t *me;
	kt_arena_t *a;
	int64_t now;
	int overdue;
	Kartoteka__Task **rows;
	size_t n, limit, bytes;
	kt_idset_t clients;
	uint8_t last[KT_TASK_POS_LEN];
	int full;                    /* stopped with a page full */
	int rc;                      /* KT_ENOMEM while building */
} lister_t;

static int
list_one(const Ktstore__TaskRecord *t, const uint8_t *pos, void *arg)
{
	lister_t *l = arg;
	Kartoteka__Task *w;
	size_t sz;

	if (l->n == l->limit || l->bytes > PAGE_BYTES) {
		l->full = 1;
		return 1;
	}
	if (!kt_task_visible_to(l->txn, l->db, l->me, t))
		return 0;
	if (l->overdue && !kt_task_overdue(kt_bizday_branch_zone(l->srv->tz,
	    l->txn, l->db, t->branch), t, l->now))
		return 0;
	if ((w = kt_arena_alloc(l->a, sizeof(*w))) == NULL ||
	    kt_task_wire(l->srv->tz, l->txn, l->db, l->a, t, l->now, w) != 0 ||
	    (t->client != 0 && kt_idset_add(&l->clients, t->client) != 0)) {
		l->rc = KT_ENOMEM;
		return KT_ENOMEM;
	}
	sz = kartoteka__task__get_packed_size(w);
	l->rows[l->n++] = w;
	l->bytes += sz + 4;
	memcpy(l->last, pos, sizeof(l->last));
	return 0;
}

/* The list's mutation: the clients it names count as the caller's rows
 * of the day (past the quota the page is QUOTA_EXCEEDED), audited either
 * way. May run more than once: the page stays in the state. */
static int
list_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	task_st_t *s = kt_req_state(r);
	kt_uday_who_t who = kt_req_counted(r, txn, s->now);
	kt_actor_t actor = kt_req_actor(r);
	uint32_t count = 0, fresh = 0, limit = 0;
	char detail[sizeof(s->detail) + 80];
	int rc;

	rc = kt_uday_rows(st, txn, &who, s->ids, s->nids, &count, &fresh,
	    &limit);
	if (rc == KT_EPERM)
		return task_refuse(st, txn, r, KT_AUDIT_TASK_LIST, "tasks",
		    KT_CODE_QUOTA, "daily quota of %u clients listed used up; "
		    "the owner can raise it (kartoteka user change %s "
		    "--row-quota N)", limit, who.user->login);
	if (rc != 0)
		return rc;
	snprintf(detail, sizeof(detail), "%s clients=%zu new=%u today=%u",
	    s->detail, s->nids, fresh, count);
	if ((rc = kt_audit_record(st, txn, &actor, KT_AUDIT_TASK_LIST,
	    "tasks", KT_CODE_OK, detail)) != 0)
		return rc;
	return kt_req_answer_packed(r, KARTOTEKA__RESPONSE__RESULT_TASK_LIST,
	    s->packed, s->len);
}

/* Whose tasks a list walks. Returns 1 with *kind, *scope and *tz set
 * (*scope 0: nobody visible, an empty list), or 0 with r answered. */
static int
list_scope(kt_req_t *r, const Kartoteka__TaskListRequest *q, uint8_t *kind,
    uint64_t *scope, const kt_tz_t **tz)
{
	kt_server_t *srv = kt_req_server(r);
	const kt_store_dbs_t *db = kt_store_dbs(srv->store);
	MDB_txn *txn = kt_req_txn(r);
	const kt_user_t *me = kt_req_caller(r);
	int has_user = q->user != NULL && q->user[0] != '\0';
	int has_branch = q->branch != NULL && q->branch[0] != '\0';
	kt_user_t u;
	uint64_t id = 0;

	*kind = KT_TASK_IX_ASSIGNEE;
	*scope = me->id;
	*tz = kt_bizday_zone(srv->tz, txn, db, me);
	if (has_user && has_branch) {
		kt_req_fail(r, KT_CODE_BAD, "user, branch: give one of them");
		return 0;
	}
	if (has_user && strcmp(q->user, me->login) == 0)
		return 1;
	if ((has_user || has_branch) && me->role == KARTOTEKA__ROLE__MANAGER) {
		kt_req_fail_audited(r, KT_CODE_FORBIDDEN, KT_AUDIT_TASK_LIST,
		    "tasks", "a manager lists only its own tasks");
		return 0;
	}
	if (has_user) {
		*scope = 0;
		if (kt_user_id(txn, db, q->user, &id) != 0 ||
		    kt_user_load(txn, db, id, &u) != 0)
			return 1;
		if (me->role == KARTOTEKA__ROLE__HEAD && !shares_branch(me, &u))
			return 1;
		*scope = id;
		*tz = kt_bizday_zone(srv->tz, txn, db, &u);
		return 1;
	}
	if (has_branch) {
		*kind = KT_TASK_IX_BRANCH;
		*scope = 0;
		if (kt_branch_id(txn, db, q->branch, &id) != 0 ||
		    (me->role != KARTOTEKA__ROLE__OWNER &&
		    !kt_authz_in_branches(me->branches, me->nbranches, id)))
			return 1;
		*scope = id;
		*tz = kt_bizday_branch_zone(srv->tz, txn, db, id);
	}
	return 1;
}

/* The due bounds from q's from/to in tz. Returns 1, or 0 with r
 * answered. */
static int
list_bounds(kt_req_t *r, const Kartoteka__TaskListRequest *q,
    const kt_tz_t *tz, int64_t *lo, int64_t *hi)
{
	int64_t d;

	*lo = 0;
	*hi = 0;
	if (q->from != NULL && q->from[0] != '\0') {
		if (strlen(q->from) != 10 || kt_task_parse_day(q->from, &d) != 0) {
			kt_req_fail(r, KT_CODE_BAD, "from: is not a date "
			    "YYYY-MM-DD");
			return 0;
		}
		*lo = kt_task_local_time(tz, d, 0);
	}
	if (q->to != NULL && q->to[0] != '\0') {
		if (strlen(q->to) != 10 || kt_task_parse_day(q->to, &d) != 0) {
			kt_req_fail(r, KT_CODE_BAD, "to: is not a date "
			    "YYYY-MM-DD");
			return 0;
		}
		*hi = kt_task_local_time(tz, d + 1, 0);   /* the end day included */
		if (*hi <= *lo) {
			kt_req_fail(r, KT_CODE_BAD, "to: is before from");
			return 0;
		}
	}
	return 1;
}

/* Reads the cursor into pos. Returns 1 (with *has), or 0 with r
 * answered. */
static int
list_cursor(kt_req_t *r, const ProtobufCBinaryData *c, uint8_t *pos,
    int *has)
{
	*has = 0;
	if (c->len == 0)
		return 1;
	if (c->len != 1 + KT_TASK_POS_LEN || c->data[0] != CURSOR_TAG ||
	    c->data[1] > 1) {
		kt_req_fail(r, KT_CODE_BAD, "cursor: is not one this server "
		    "gave");
		return 0;
	}
	memcpy(pos, c->data + 1, KT_TASK_POS_LEN);
	*has = 1;
	return 1;
}

static void
op_task_list(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__TaskListRequest *q = msg->task_list;
	task_st_t *s = kt_req_state(r);
	kt_server_t *srv = kt_req_server(r);
	Kartoteka__TaskListResponse lr = KARTOTEKA__TASK_LIST_RESPONSE__INIT;
	uint8_t pos[KT_TASK_POS_LEN], cur[1 + KT_TASK_POS_LEN];
	kt_task_range_t range = { 0 };
	const kt_tz_t *tz;
	lister_t l;
	int has_pos, rc = 0;

	memset(&l, 0, sizeof(l));
	l.srv = srv;
	l.txn = kt_req_txn(r);
	l.db = kt_store_dbs(srv->store);
	l.me = kt_req_caller(r);
	l.now = s->now = kt_now_s();
	l.overdue = q->overdue;
	l.limit = q->limit == 0 || q->limit > PAGE_MAX ? PAGE_MAX : q->limit;
	if (l.txn == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "store unavailable");
		return;
	}
	if (!list_scope(r, q, &range.kind, &range.scope, &tz) ||
	    !list_bounds(r, q, tz, &range.due_from, &range.due_to) ||
	    !list_cursor(r, &q->cursor, pos, &has_pos))
		return;
	if (l.overdue && (range.due_to == 0 || range.due_to > l.now + 1))
		range.due_to = l.now + 1;
	if ((l.a = kt_req_arena(r)) == NULL ||
	    (l.rows = kt_arena_alloc(l.a, (l.limit + 1) *
	    sizeof(*l.rows))) == NULL) {
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	for (int done = 0; done <= (q->include_done && !q->overdue) &&
	    range.scope != 0 && !l.full && rc >= 0; done++) {
		if (has_pos && pos[0] > done)
			continue;        /* the cursor is past this group */
		range.done = done;
		range.after = has_pos && pos[0] == done ? pos : NULL;
		rc = kt_task_scan(l.txn, l.db, &range, list_one, &l);
	}
	if (rc < 0 || l.rc != 0) {
		kt_idset_free(&l.clients);
		kt_req_fail(r, KT_CODE_INTERNAL, "listing failed");
		return;
	}
	lr.tasks = l.rows;
	lr.n_tasks = l.n;
	if (l.full) {
		cur[0] = CURSOR_TAG;
		memcpy(cur + 1, l.last, KT_TASK_POS_LEN);
		lr.next_cursor.data = cur;
		lr.next_cursor.len = sizeof(cur);
	}
	kt_idset_normalize(&l.clients);
	s->len = kartoteka__task_list_response__get_packed_size(&lr);
	if ((s->packed = malloc(s->len ? s->len : 1)) == NULL) {
		kt_idset_free(&l.clients);
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	kartoteka__task_list_response__pack(&lr, s->packed);
	s->ids = l.clients.ids;
	s->nids = l.clients.n;
	snprintf(s->detail, sizeof(s->detail), "%s=%" PRIu64 "%s%s rows=%zu%s",
	    range.kind == KT_TASK_IX_BRANCH ? "branch" : "user", range.scope,
	    q->overdue ? " overdue" : "", q->include_done ? " done" : "", l.n,
	    has_pos ? " page=next" : "");
	/* kt_req_keep frees what it cannot keep. */
	if (kt_req_keep(r, s->packed) != 0) {
		kt_idset_free(&l.clients);
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	if (kt_req_keep(r, s->ids) != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	kt_req_submit(r, list_mut, NULL);
}

/* ==== the rows ============================================================= */

#define OP(c) KARTOTEKA__REQUEST__OP_##c
#define ST sizeof(task_st_t)

static const kt_op_row_t rows[] = {
	{ OP(TASK_ADD), KT_MSG("add tasks"), KT_PHASE_LOGGED_IN, KT_OP_WRITE,
	    KT_ACT_LOG_CONTACT, KT_AUDIT_TASK_ADD, op_task_add, ST },
	{ OP(TASK_CHANGE), KT_MSG("change tasks"), KT_PHASE_LOGGED_IN, KT_OP_WRITE,
	    KT_ACT_LOG_CONTACT, KT_AUDIT_TASK_EDIT, op_task_change, ST },
	{ OP(TASK_LIST), KT_MSG("list tasks"), KT_PHASE_LOGGED_IN, KT_OP_WRITE,
	    KT_ACT_LIST, KT_AUDIT_TASK_LIST, op_task_list, ST },
};

const kt_op_domain_t kt_ops_task = { "task", rows,
	sizeof(rows) / sizeof(rows[0]) };
