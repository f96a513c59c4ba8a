/* SPDX-License-Identifier: MIT */
/* The agenda: the daily control list of a user or a branch (issue 9,
 * docs/WORKDAY.md "The agenda"): overdue and today's tasks, birthdays of
 * the coming week, clients to offer again, A and B clients without an
 * open deal, clients gone quiet, subscriptions to renew, and for heads
 * and the owner a line per manager. It is read from the indexes
 * (cx_manager or cx_branch for the clients, task_ix for the tasks,
 * cx_birthday for the birthdays, the activity record of each client) on
 * a thread-pool thread with its own read transaction, never on the loop;
 * the clients it names are then counted as rows shown and audited, once
 * for the whole answer, by the writer before it leaves. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "kt_error.h"
#include "model/authz.h"
#include "model/bizday.h"
#include "model/branch_store.h"
#include "model/client_activity.h"
#include "model/deal_store.h"
#include "model/client_store.h"
#include "model/identity.h"
#include "model/task_store.h"
#include "model/user_day.h"
#include "model/user_store.h"
#include "ops/ops.h"
#include "ops/task.h"
#include "records.pb-c.h"

#define LINES_MAX 50u                /* lines of a section at most */
#define ANSWER_BYTES (56u * 1024u)   /* of lines in one answer at most */
#define QUIET_DEFAULT 90u
#define QUIET_MAX 3650u
#define BIRTHDAY_DAYS 7
#define RENEWAL_DAYS 7

enum { SCOPE_NONE, SCOPE_USER, SCOPE_BRANCH };

/* The request, copied for the pool thread, and what it hands back. */
typedef struct agenda_st {
	kt_store_t *store;
	kt_tzcache_t *tzc;
	kt_user_t me;
	int scope_kind;
	uint64_t scope;              /* the user's or the branch's id */
	char scope_text[KT_NAME_MAX + 16];
	const kt_tz_t *tz;           /* of the user or branch */
	int64_t day;                 /* the agenda's day, days since 1970 */
	uint32_t quiet_days;
	int64_t now;
	int with_managers;           /* heads and the owner */
	/* from the pool */
	int rc;
	uint8_t *packed;             /* AgendaResponse, kept by the request */
	size_t len;
	uint64_t *ids;               /* the clients named, sorted */
	size_t nids;
	char detail[320];
} agenda_st_t;

/* ==== reading the indexes ================================================== */

/* 1 when dup index dbi has id under key. */
static int
has_id(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t keylen, uint64_t id)
{
	uint8_t v8[8];
	MDB_val k = { keylen, (void *)key }, v = { 8, v8 };
	MDB_cursor *cur;
	int m;

	kt_store_be64(v8, id);
	if (mdb_cursor_open(txn, dbi, &cur) != 0)
		return 0;
	m = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH);
	mdb_cursor_close(cur);
	return m == 0;
}

static int
is_archived(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id)
{
	return has_id(txn, db->cx_status, KT_CSTORE_ARCHIVED_KEY,
	    KT_CSTORE_ARCHIVED_KEYLEN, id);
}

static int
is_a_or_b(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id)
{
	uint8_t a = KARTOTEKA__CATEGORY__CATEGORY_A,
	    b = KARTOTEKA__CATEGORY__CATEGORY_B;

	return has_id(txn, db->cx_category, &a, 1, id) ||
	    has_id(txn, db->cx_category, &b, 1, id);
}

/* The clients of the scope that the caller may see, not archived, into
 * out (sorted). */
static int
scope_clients(const agenda_st_t *st, MDB_txn *txn, const kt_store_dbs_t *db,
    kt_idset_t *out)
{
	kt_idset_t all = { 0 };
	uint8_t key[8];
	int rc, every;

	if (st->scope_kind == SCOPE_NONE)
		return 0;
	kt_store_be64(key, st->scope);
	rc = kt_cstore_ids_eq(txn, st->scope_kind == SCOPE_USER ?
	    db->cx_manager : db->cx_branch, key, sizeof(key), &all);
	if (rc != 0)
		goto out;
	kt_idset_normalize(&all);
	every = kt_authz_scope(st->me.role, KT_ACT_SEE_CLIENT) == KT_SCOPE_ALL;
	for (size_t i = 0; i < all.n && rc == 0; i++) {
		int seen = every;
		for (size_t b = 0; b < st->me.nbranches && !seen; b++)
			seen = kt_cstore_in_branch(txn, db, all.ids[i],
			    st->me.branches[b]);
		if (seen && !is_archived(txn, db, all.ids[i]))
			rc = kt_idset_add(out, all.ids[i]);
	}
out:
	kt_idset_free(&all);
	return rc;
}

/* ==== building the answer =================================================== */

typedef struct builder {
	const agenda_st_t *st;
	MDB_txn *txn;
	const kt_store_dbs_t *db;
	kt_arena_t *a;
	Kartoteka__AgendaResponse resp;
	size_t bytes;                /* of lines so far */
	kt_idset_t named;            /* clients the answer names */
	kt_idset_t ab_no_deal;       /* the scope's A/B clients without an
					open deal (activity_sections), sorted */
	int rc;
} builder_t;

/* Room for one more line of sz bytes in a section holding n? */
static int
room(const builder_t *b, size_t n, size_t sz)
{
	return n < LINES_MAX && b->bytes + sz + 8 <= ANSWER_BYTES;
}

/* The line of client id in arena memory (NULL when it is not a card any
 * more, or with b->rc set when out of memory). */
static Kartoteka__AgendaClient *
client_line(builder_t *b, uint64_t id, int64_t at)
{
	Kartoteka__AgendaClient *l;
	Ktstore__ClientRecord *card = NULL;
	char login[KT_LOGIN_MAX + 1];

	if (kt_cstore_get_with(b->txn, b->db, id, &b->a->pb, &card) != 0 ||
	    card->purged)
		return NULL;
	if ((l = kt_arena_alloc(b->a, sizeof(*l))) == NULL) {
		b->rc = KT_ENOMEM;
		return NULL;
	}
	kartoteka__agenda_client__init(l);
	l->client_id = id;
	l->client = card->title;
	kt_user_login(b->txn, b->db, card->manager, login, sizeof(login));
	if ((l->manager = kt_arena_strdup(b->a, login)) == NULL) {
		b->rc = KT_ENOMEM;
		return NULL;
	}
	l->category = (Kartoteka__Category)card->category;
	l->at = at;
	return l;
}

/* Appends the line of client id to the section (*lines, *n), or counts
 * it in *more when the section or the answer is full. */
static void
add_client(builder_t *b, Kartoteka__AgendaClient ***lines, size_t *n,
    uint32_t *more, uint64_t id, int64_t at)
{
	Kartoteka__AgendaClient *l;
	size_t sz;

	if (b->rc != 0)
		return;
	if (*n >= LINES_MAX || b->bytes + 64 > ANSWER_BYTES) {
		(*more)++;
		return;
	}
	if ((l = client_line(b, id, at)) == NULL)
		return;
	sz = kartoteka__agenda_client__get_packed_size(l);
	if (!room(b, *n, sz)) {
		(*more)++;
		return;
	}
	if (*lines == NULL && (*lines = kt_arena_alloc(b->a, LINES_MAX *
	    sizeof(**lines))) == NULL) {
		b->rc = KT_ENOMEM;
		return;
	}
	(*lines)[(*n)++] = l;
	b->bytes += sz + 8;
	if (kt_idset_add(&b->named, id) != 0)
		b->rc = KT_ENOMEM;
}

/* ---- tasks ---------------------------------------------------------------- */

typedef struct task_walk {
	builder_t *b;
	int overdue;                 /* this pass: the overdue ones, or not */
	uint32_t total;
} task_walk_t;

static int
task_one(const Ktstore__TaskRecord *t, const uint8_t *pos, void *arg)
{
	task_walk_t *w = arg;
	builder_t *b = w->b;
	Kartoteka__AgendaResponse *r = &b->resp;
	Kartoteka__Task *line;
	size_t sz;
	int late;

	(void)pos;
	if (!kt_task_visible_to(b->txn, b->db, &b->st->me, t))
		return 0;
	late = kt_task_overdue(kt_bizday_branch_zone(b->st->tzc, b->txn, b->db,
	    t->branch), t, b->st->now);
	if (late != w->overdue)
		return 0;
	w->total++;
	if (r->n_tasks >= LINES_MAX || b->bytes + 64 > ANSWER_BYTES)
		return 0;
	if ((line = kt_arena_alloc(b->a, sizeof(*line))) == NULL ||
	    kt_task_wire(b->st->tzc, b->txn, b->db, b->a, t, b->st->now,
	    line) != 0)
		return KT_ENOMEM;
	sz = kartoteka__task__get_packed_size(line);
	if (!room(b, r->n_tasks, sz))
		return 0;
	r->tasks[r->n_tasks++] = line;
	b->bytes += sz + 8;
	if (t->client != 0 && kt_idset_add(&b->named, t->client) != 0)
		return KT_ENOMEM;
	return 0;
}

/* Open tasks of the scope due by the end of the day: the overdue ones
 * first, then the rest, each in due order. */
static int
tasks_section(builder_t *b)
{
	const agenda_st_t *st = b->st;
	kt_task_range_t range = { .kind = st->scope_kind == SCOPE_USER ?
		KT_TASK_IX_ASSIGNEE : KT_TASK_IX_BRANCH, .scope = st->scope,
		.due_to = kt_task_local_time(st->tz, st->day + 1, 0) };
	task_walk_t w = { .b = b };
	int rc;

	if ((b->resp.tasks = kt_arena_alloc(b->a, LINES_MAX *
	    sizeof(*b->resp.tasks))) == NULL)
		return KT_ENOMEM;
	for (w.overdue = 1; w.overdue >= 0; w.overdue--)
		if ((rc = kt_task_scan(b->txn, b->db, &range, task_one,
		    &w)) < 0)
			return rc;
	b->resp.tasks_more = w.total - (uint32_t)b->resp.n_tasks;
	return 0;
}

/* ---- birthdays -------------------------------------------------------------- */

static int
birthdays_section(builder_t *b, const kt_idset_t *clients)
{
	const agenda_st_t *st = b->st;
	Kartoteka__AgendaResponse *r = &b->resp;

	if ((r->birthdays = kt_arena_alloc(b->a, LINES_MAX *
	    sizeof(*r->birthdays))) == NULL)
		return KT_ENOMEM;
	for (int d = 0; d < BIRTHDAY_DAYS; d++) {
		kt_idset_t ids = { 0 };
		uint8_t key[3];
		unsigned m, dd;
		int y, rc = 0;
		char date[16];

		kt_task_civil_from_days(st->day + d, &y, &m, &dd);
		snprintf(date, sizeof(date), "%04d-%02u-%02u", y, m, dd);
		key[0] = (uint8_t)m;
		key[1] = (uint8_t)dd;
		for (key[2] = 0; key[2] <= 1 && rc == 0; key[2]++)
			rc = kt_cstore_ids_eq(b->txn, b->db->cx_birthday, key,
			    sizeof(key), &ids);
		kt_idset_normalize(&ids);
		kt_idset_intersect(&ids, clients);
		for (size_t i = 0; i < ids.n && rc == 0; i++) {
			Ktstore__ClientRecord *card = NULL;
			if (kt_cstore_get_with(b->txn, b->db, ids.ids[i],
			    &b->a->pb, &card) != 0 || card->purged)
				continue;
			for (size_t p = 0; p < card->n_people && rc == 0; p++) {
				const Ktstore__PersonRecord *pr =
				    card->people[p];
				Kartoteka__AgendaBirthday *l;
				size_t sz;
				if (pr->birth_month != m || pr->birth_day != dd)
					continue;
				if (r->n_birthdays >= LINES_MAX) {
					r->birthdays_more++;
					continue;
				}
				if ((l = kt_arena_alloc(b->a, sizeof(*l))) ==
				    NULL) {
					rc = KT_ENOMEM;
					break;
				}
				kartoteka__agenda_birthday__init(l);
				l->date = kt_arena_strdup(b->a, date);
				l->client_id = card->id;
				l->client = card->title;
				l->person = pr->name;
				l->child = pr->relation ==
				    KARTOTEKA__RELATION__CHILD;
				if (pr->birth_year != 0 &&
				    (int)pr->birth_year <= y)
					l->turns = (uint32_t)y - pr->birth_year;
				sz = kartoteka__agenda_birthday__get_packed_size(
				    l);
				if (l->date == NULL) {
					rc = KT_ENOMEM;
				} else if (!room(b, r->n_birthdays, sz)) {
					r->birthdays_more++;
				} else {
					r->birthdays[r->n_birthdays++] = l;
					b->bytes += sz + 8;
					rc = kt_idset_add(&b->named, card->id);
				}
			}
		}
		kt_idset_free(&ids);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- what the activity records say ------------------------------------------- */

/* Local midnight of the day months before day (the same day of the
 * month, carried into the next month when that month is shorter). */
static int64_t
months_back(const agenda_st_t *st, int months)
{
	int y;
	unsigned m, d;
	int64_t mm;

	kt_task_civil_from_days(st->day, &y, &m, &d);
	mm = (int64_t)y * 12 + (m - 1) - months;
	return kt_task_local_time(st->tz, kt_task_days_from_civil(mm / 12,
	    (unsigned)(mm % 12) + 1, d), 0);
}

/* Re-offer, A/B without an open deal and quiet clients, in one walk
 * over the scope's clients (one activity record each). */
static int
activity_sections(builder_t *b, const kt_idset_t *clients)
{
	const agenda_st_t *st = b->st;
	Kartoteka__AgendaResponse *r = &b->resp;
	int64_t won_lo = months_back(st, 12), won_hi = months_back(st, 11),
	    quiet_cut = kt_task_local_time(st->tz, st->day -
	    (int64_t)st->quiet_days + 1, 0);
	int rc;

	for (size_t i = 0; i < clients->n && b->rc == 0; i++) {
		uint64_t id = clients->ids[i];
		kt_activity_t act;

		if ((rc = kt_activity_get(b->txn, b->db, id, &act)) != 0)
			return rc;
		if (act.open_deals == 0 && act.last_won_at >= won_lo &&
		    act.last_won_at < won_hi &&
		    act.last_deal_at <= act.last_won_at)
			add_client(b, &r->reoffer, &r->n_reoffer,
			    &r->reoffer_more, id, act.last_won_at);
		if (act.open_deals == 0 && is_a_or_b(b->txn, b->db, id)) {
			add_client(b, &r->no_open_deal, &r->n_no_open_deal,
			    &r->no_open_deal_more, id, 0);
			/* clients is sorted, so this stays sorted */
			if ((rc = kt_idset_add(&b->ab_no_deal, id)) != 0)
				return rc;
		}
		if (act.last_interaction_at < quiet_cut)
			add_client(b, &r->quiet, &r->n_quiet, &r->quiet_more,
			    id, act.last_interaction_at);
	}
	return b->rc;
}

/* ---- renewals ------------------------------------------------------------------ */

/* Subscriptions of the scope's clients ending within RENEWAL_DAYS days of
 * the agenda's day and not renewed (kt_deal_renewals_due): the renewal
 * call the head of sales checks every week. */
typedef struct renewal_walk {
	builder_t *b;
	const kt_idset_t *clients;
} renewal_walk_t;

static int
add_renewal(const Ktstore__DealRecord *d, void *arg)
{
	renewal_walk_t *w = arg;
	builder_t *b = w->b;
	Kartoteka__AgendaResponse *r = &b->resp;
	int64_t day = 0, end_at = 0;
	size_t before = r->n_renewals;

	if (!kt_idset_has(w->clients, d->client))
		return 0;
	if (d->valid_to != NULL && kt_task_parse_day(d->valid_to, &day) == 0)
		end_at = kt_task_local_time(b->st->tz, day, 0);
	add_client(b, &r->renewals, &r->n_renewals, &r->renewals_more,
	    d->client, end_at);
	if (b->rc == 0 && r->n_renewals > before) {
		Kartoteka__AgendaClient *l = r->renewals[r->n_renewals - 1];

		l->deal_id = d->id;
		if ((l->note = kt_arena_strdup(b->a, d->title)) == NULL)
			b->rc = KT_ENOMEM;
	}
	return b->rc != 0 ? -1 : 0;
}

/* YYYYMMDD of days since 1970. */
static uint32_t
ymd_of_days(int64_t days)
{
	int y;
	unsigned m, d;

	kt_task_civil_from_days(days, &y, &m, &d);
	return (uint32_t)y * 10000u + m * 100u + d;
}

static int
renewals_section(builder_t *b, const kt_idset_t *clients)
{
	renewal_walk_t w = { b, clients };
	int rc;

	rc = kt_deal_renewals_due(b->txn, b->db, ymd_of_days(b->st->day),
	    ymd_of_days(b->st->day + RENEWAL_DAYS), clients, add_renewal, &w);
	if (b->rc != 0)
		return b->rc;
	return rc < 0 ? rc : 0;
}

/* ---- per manager ----------------------------------------------------------------- */

typedef struct overdue_count {
	builder_t *b;
	uint64_t branch;             /* 0: any */
	uint32_t n;
} overdue_count_t;

static int
count_overdue(const Ktstore__TaskRecord *t, const uint8_t *pos, void *arg)
{
	overdue_count_t *o = arg;
	builder_t *b = o->b;

	(void)pos;
	if ((o->branch == 0 || t->branch == o->branch) &&
	    kt_task_visible_to(b->txn, b->db, &b->st->me, t) &&
	    kt_task_overdue(kt_bizday_branch_zone(b->st->tzc, b->txn, b->db,
	    t->branch), t, b->st->now))
		o->n++;
	return 0;
}

/* The line of user u: its overdue tasks (in branch, 0: any) and its A/B
 * clients without an open deal among the scope's (b->ab_no_deal, which
 * activity_sections made). */
static int
manager_line(builder_t *b, const kt_user_t *u, uint64_t branch)
{
	Kartoteka__AgendaResponse *r = &b->resp;
	kt_task_range_t range = { .kind = KT_TASK_IX_ASSIGNEE, .scope = u->id,
		.due_to = b->st->now + 1 };
	overdue_count_t o = { .b = b, .branch = branch };
	Kartoteka__AgendaManager *l;
	kt_idset_t mine = { 0 };
	uint8_t key[8];
	int rc;

	if (r->n_managers >= LINES_MAX)
		return 0;
	if ((rc = kt_task_scan(b->txn, b->db, &range, count_overdue, &o)) < 0)
		return rc;
	if ((l = kt_arena_alloc(b->a, sizeof(*l))) == NULL)
		return KT_ENOMEM;
	kartoteka__agenda_manager__init(l);
	if ((l->login = kt_arena_strdup(b->a, u->login)) == NULL)
		return KT_ENOMEM;
	l->overdue_tasks = o.n;
	kt_store_be64(key, u->id);
	if ((rc = kt_cstore_ids_eq(b->txn, b->db->cx_manager, key, sizeof(key),
	    &mine)) != 0)
		goto out;
	for (size_t i = 0; i < mine.n; i++)
		l->ab_without_deal += kt_idset_has(&b->ab_no_deal,
		    mine.ids[i]);
	r->managers[r->n_managers++] = l;
	b->bytes += kartoteka__agenda_manager__get_packed_size(l) + 8;
out:
	kt_idset_free(&mine);
	return rc;
}

static int
managers_section(builder_t *b)
{
	const agenda_st_t *st = b->st;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc = 0, m;

	if ((b->resp.managers = kt_arena_alloc(b->a, LINES_MAX *
	    sizeof(*b->resp.managers))) == NULL)
		return KT_ENOMEM;
	if (st->scope_kind == SCOPE_USER) {
		kt_user_t u;
		if ((rc = kt_user_load(b->txn, b->db, st->scope, &u)) != 0)
			return rc == KT_ENOTFOUND ? 0 : rc;
		return manager_line(b, &u, 0);
	}
	if ((m = mdb_cursor_open(b->txn, b->db->users, &cur)) != 0)
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
		if (u.disabled || u.role == KARTOTEKA__ROLE__OWNER ||
		    !kt_authz_in_branches(u.branches, u.nbranches, st->scope))
			continue;
		rc = manager_line(b, &u, st->scope);
	}
	mdb_cursor_close(cur);
	if (rc == 0 && m != 0 && m != MDB_NOTFOUND)
		rc = kt_store_err(m);
	return rc;
}

/* ---- the whole -------------------------------------------------------------------- */

/* Builds and packs the agenda into st (pool thread, txn its own). */
static int
build(agenda_st_t *st, MDB_txn *txn)
{
	builder_t b;
	kt_idset_t clients = { 0 };
	kt_arena_t a;
	char date[16];
	int y, rc;
	unsigned m, d;

	memset(&b, 0, sizeof(b));
	if (kt_arena_init(&a, 64u << 10, 16u << 20) != 0)
		return KT_ENOMEM;
	b.st = st;
	b.txn = txn;
	b.db = kt_store_dbs(st->store);
	b.a = &a;
	kartoteka__agenda_response__init(&b.resp);
	kt_task_civil_from_days(st->day, &y, &m, &d);
	snprintf(date, sizeof(date), "%04d-%02u-%02u", y, m, d);
	b.resp.date = date;
	b.resp.scope = st->scope_text;
	b.resp.quiet_days = st->quiet_days;
	if (st->scope_kind != SCOPE_NONE &&
	    ((rc = scope_clients(st, txn, b.db, &clients)) != 0 ||
	    (rc = tasks_section(&b)) != 0 ||
	    (rc = birthdays_section(&b, &clients)) != 0 ||
	    (rc = activity_sections(&b, &clients)) != 0 ||
	    (rc = renewals_section(&b, &clients)) != 0 ||
	    (st->with_managers && (rc = managers_section(&b)) != 0)))
		goto out;
	rc = 0;
	kt_idset_normalize(&b.named);
	st->len = kartoteka__agenda_response__get_packed_size(&b.resp);
	if ((st->packed = malloc(st->len ? st->len : 1)) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	kartoteka__agenda_response__pack(&b.resp, st->packed);
	st->ids = b.named.ids;
	st->nids = b.named.n;
	b.named.ids = NULL;
	snprintf(st->detail, sizeof(st->detail), "%s date=%s tasks=%zu+%u "
	    "birthdays=%zu+%u reoffer=%zu+%u no_deal=%zu+%u quiet=%zu+%u "
	    "renewals=%zu+%u managers=%zu",
	    st->scope_kind == SCOPE_BRANCH ? "branch" : "user", date,
	    b.resp.n_tasks, b.resp.tasks_more, b.resp.n_birthdays,
	    b.resp.birthdays_more, b.resp.n_reoffer, b.resp.reoffer_more,
	    b.resp.n_no_open_deal, b.resp.no_open_deal_more, b.resp.n_quiet,
	    b.resp.quiet_more, b.resp.n_renewals, b.resp.renewals_more,
	    b.resp.n_managers);
out:
	kt_idset_free(&clients);
	kt_idset_free(&b.named);
	kt_idset_free(&b.ab_no_deal);
	kt_arena_free(&a);
	return rc;
}

/* ==== the request's way: loop, pool, writer ==================================== */

static void
agenda_work(kt_req_t *r)
{
	agenda_st_t *st = kt_req_state(r);
	MDB_txn *txn = NULL;

	/* Its own read transaction: the loop's may not cross threads. */
	if ((st->rc = kt_store_read_begin(st->store, &txn)) != 0)
		return;
	st->rc = build(st, txn);
	kt_store_read_end(st->store, txn);
}

/* The answer's mutation: its clients count as the caller's rows of the
 * day, once for the whole agenda (past the quota it is QUOTA_EXCEEDED),
 * audited either way. May run more than once. */
static int
agenda_mut(kt_store_t *stp, MDB_txn *txn, kt_req_t *r)
{
	agenda_st_t *st = kt_req_state(r);
	kt_uday_who_t who = kt_req_counted(r, txn, st->now);
	kt_actor_t actor = kt_req_actor(r);
	uint32_t count = 0, fresh = 0, limit = 0;
	char detail[sizeof(st->detail) + 160];
	int rc;

	rc = kt_uday_rows(stp, txn, &who, st->ids, st->nids, &count, &fresh,
	    &limit);
	if (rc == KT_EPERM) {
		snprintf(detail, sizeof(detail), "daily quota of %u clients "
		    "listed used up; the owner can raise it (kartoteka user "
		    "change %s --row-quota N)", limit, who.user->login);
		if ((rc = kt_audit_record(stp, txn, &actor, KT_AUDIT_AGENDA,
		    "agenda", KT_CODE_QUOTA, detail)) != 0)
			return rc;
		return kt_req_answer_error(r, KT_CODE_QUOTA, "%s", detail);
	}
	if (rc != 0)
		return rc;
	snprintf(detail, sizeof(detail), "%s clients=%zu new=%u today=%u",
	    st->detail, st->nids, fresh, count);
	if ((rc = kt_audit_record(stp, txn, &actor, KT_AUDIT_AGENDA, "agenda",
	    KT_CODE_OK, detail)) != 0)
		return rc;
	return kt_req_answer_packed(r, KARTOTEKA__RESPONSE__RESULT_AGENDA,
	    st->packed, st->len);
}

static void
agenda_after(kt_req_t *r, int status)
{
	agenda_st_t *st = kt_req_state(r);

	if (status != 0 || st->rc != 0) {
		free(st->packed);
		free(st->ids);
		st->packed = NULL;
		st->ids = NULL;
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "the agenda could not be "
		    "read: try again");
		return;
	}
	/* kt_req_keep frees what it cannot keep. */
	if (kt_req_keep(r, st->packed) != 0) {
		free(st->ids);
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	if (kt_req_keep(r, st->ids) != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	kt_req_submit(r, agenda_mut, NULL);
}

/* Whose agenda (the rules of docs/WORKDAY.md). Returns 1 with st's scope
 * set (SCOPE_NONE: nobody the caller may see, an empty agenda), or 0
 * with r answered. */
static int
agenda_scope(kt_req_t *r, const Kartoteka__AgendaRequest *q, agenda_st_t *st)
{
	kt_server_t *srv = kt_req_server(r);
	const kt_store_dbs_t *db = kt_store_dbs(srv->store);
	MDB_txn *txn = kt_req_txn(r);
	const kt_user_t *me = &st->me;
	int has_user = q->user != NULL && q->user[0] != '\0';
	int has_branch = q->branch != NULL && q->branch[0] != '\0';
	kt_user_t u;
	uint64_t id = 0;

	st->scope_kind = SCOPE_USER;
	st->scope = me->id;
	st->tz = kt_bizday_zone(srv->tz, txn, db, me);
	snprintf(st->scope_text, sizeof(st->scope_text), "user %s", me->login);
	if (has_user && has_branch) {
		kt_req_fail(r, KT_CODE_BAD, "user, branch: give one of them");
		return 0;
	}
	if ((has_user && strcmp(q->user, me->login) != 0) || has_branch) {
		if (me->role == KARTOTEKA__ROLE__MANAGER) {
			kt_req_fail_audited(r, KT_CODE_FORBIDDEN,
			    KT_AUDIT_AGENDA, "agenda", "a manager sees only "
			    "its own agenda");
			return 0;
		}
	} else {
		return 1;
	}
	if (has_user) {
		snprintf(st->scope_text, sizeof(st->scope_text), "user %.64s",
		    q->user);
		st->scope_kind = SCOPE_NONE;
		if (kt_user_id(txn, db, q->user, &id) != 0 ||
		    kt_user_load(txn, db, id, &u) != 0)
			return 1;
		if (me->role == KARTOTEKA__ROLE__HEAD) {
			int shared = 0;
			for (size_t i = 0; i < u.nbranches && !shared; i++)
				shared = kt_authz_in_branches(me->branches,
				    me->nbranches, u.branches[i]);
			if (!shared)
				return 1;
		}
		st->scope_kind = SCOPE_USER;
		st->scope = id;
		st->tz = kt_bizday_zone(srv->tz, txn, db, &u);
		return 1;
	}
	snprintf(st->scope_text, sizeof(st->scope_text), "branch %.128s",
	    q->branch);
	st->scope_kind = SCOPE_NONE;
	if (kt_branch_id(txn, db, q->branch, &id) != 0 ||
	    (me->role != KARTOTEKA__ROLE__OWNER &&
	    !kt_authz_in_branches(me->branches, me->nbranches, id)))
		return 1;
	st->scope_kind = SCOPE_BRANCH;
	st->scope = id;
	st->tz = kt_bizday_branch_zone(srv->tz, txn, db, id);
	return 1;
}

static void
op_agenda(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__AgendaRequest *q = msg->agenda;
	agenda_st_t *st = kt_req_state(r);
	kt_server_t *srv = kt_req_server(r);

	if (kt_req_txn(r) == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "store unavailable");
		return;
	}
	st->store = srv->store;
	st->tzc = srv->tz;
	st->me = *kt_req_caller(r);
	st->now = kt_now_s();
	st->with_managers = st->me.role != KARTOTEKA__ROLE__MANAGER;
	if (q->quiet_days > QUIET_MAX) {
		kt_req_fail(r, KT_CODE_BAD, "quiet_days: is more than %u",
		    QUIET_MAX);
		return;
	}
	st->quiet_days = q->quiet_days ? q->quiet_days : QUIET_DEFAULT;
	if (!agenda_scope(r, q, st))
		return;
	if (q->date != NULL && q->date[0] != '\0') {
		if (strlen(q->date) != 10 ||
		    kt_task_parse_day(q->date, &st->day) != 0) {
			kt_req_fail(r, KT_CODE_BAD, "date: is not a date "
			    "YYYY-MM-DD");
			return;
		}
	} else {
		st->day = kt_tz_day(st->tz, st->now, NULL);
	}
	kt_req_work(r, agenda_work, agenda_after);
}

/* ==== the rows ============================================================= */

static const kt_op_row_t rows[] = {
	{ KARTOTEKA__REQUEST__OP_AGENDA, "see the agenda", KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_LIST, KT_AUDIT_AGENDA, op_agenda,
	    sizeof(agenda_st_t) },
};

const kt_op_domain_t kt_ops_agenda = { "agenda", rows,
	sizeof(rows) / sizeof(rows[0]) };
