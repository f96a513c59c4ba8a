/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/agenda.c through kt_dispatch_message on the fake
 * network, deals and interactions faked by activity records written
 * directly (kt_activity_put): a manager's agenda with every section (its
 * overdue task first, a child's birthday with the age turned, a client
 * to offer again, A/B without an open deal, quiet ones, "never"), counted
 * once and audited with the sections' counts; who may ask for whose
 * agenda (a manager its own only; a head its branches, an outsider
 * reading as empty; the owner anything) and the per-manager lines;
 * sections cut at 50 lines with the rest counted; hostile input. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kt_test.h"

#include "model/client_activity.h"
#include "server/harness.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define HEAD KARTOTEKA__ROLE__HEAD
#define MANAGER KARTOTEKA__ROLE__MANAGER
#define DAY_S 86400

typedef struct world {
	kt_h_t *h;
	uint64_t north, south;
	uint64_t masha, petr, vera, galina;
	kt_conn_t *owner, *m, *p, *v, *g;
} world_t;

static void
world_new(world_t *w)
{
	kt_h_t *h = w->h = kt_h_new();

	w->north = kt_h_branch(h, "North");
	w->south = kt_h_branch(h, "South");
	w->masha = kt_h_user(h, "masha", MANAGER, w->north, 0);
	w->petr = kt_h_user(h, "petr", MANAGER, w->north, 0);
	w->vera = kt_h_user(h, "vera", MANAGER, w->south, 0);
	w->galina = kt_h_user(h, "galina", HEAD, w->north, 0);
	w->owner = kt_h_session(h, h->owner, 0);
	w->m = kt_h_session(h, w->masha, w->north);
	w->p = kt_h_session(h, w->petr, w->north);
	w->v = kt_h_session(h, w->vera, w->south);
	w->g = kt_h_session(h, w->galina, w->north);
}

/* Local time of today + days (the server's default zone is the
 * system's, as here). */
static struct tm
local(int days)
{
	time_t t = time(NULL) + (time_t)days * DAY_S;
	struct tm tm;

	localtime_r(&t, &tm);
	return tm;
}

static const char *
day(int days, char *buf, size_t cap)
{
	struct tm tm = local(days);

	strftime(buf, cap, "%Y-%m-%d", &tm);
	return buf;
}

/* ---- the store, faked ---------------------------------------------------- */

typedef struct act_put {
	uint64_t client;
	kt_activity_t a;
} act_put_t;

static int
act_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	act_put_t *p = arg;

	return kt_activity_put(txn, kt_store_dbs(st), p->client, &p->a);
}

static void
activity(kt_h_t *h, uint64_t client, kt_activity_t a)
{
	act_put_t p = { client, a };

	assert_int_equal(kt_h_write(h, act_mut, &p), 0);
}

/* ---- requests ---------------------------------------------------------------- */

typedef struct req {
	Kartoteka__Request r;
	union {
		Kartoteka__ClientAddRequest cadd;
		Kartoteka__TaskAddRequest tadd;
		Kartoteka__AgendaRequest ag;
	} u;
	Kartoteka__Client c;
	Kartoteka__Person p;
	Kartoteka__Person *pp[1];
} req_t;

/* A card of title in category (0: none); with a child born on month/day
 * of year (month 0: nobody). */
static uint64_t
client(kt_h_t *h, kt_conn_t *c, const char *title, uint32_t category,
    uint32_t year, uint32_t month, uint32_t mday)
{
	req_t q;

	kartoteka__client__init(&q.c);
	q.c.title = (char *)title;
	q.c.category = (Kartoteka__Category)category;
	if (month != 0) {
		kartoteka__person__init(&q.p);
		q.p.name = "Маша";
		q.p.relation = KARTOTEKA__RELATION__CHILD;
		q.p.birth_year = year;
		q.p.birth_month = month;
		q.p.birth_day = mday;
		q.pp[0] = &q.p;
		q.c.people = q.pp;
		q.c.n_people = 1;
	}
	return kt_h_client_add(h, c, &q.c);
}

static uint64_t
task(kt_h_t *h, kt_conn_t *c, uint64_t cl, const char *due, const char *title)
{
	Kartoteka__Response *r;
	req_t q;

	kartoteka__request__init(&q.r);
	kartoteka__task_add_request__init(&q.u.tadd);
	q.u.tadd.client_id = cl;
	q.u.tadd.due = (char *)due;
	q.u.tadd.kind = KARTOTEKA__TASK_KIND__TASK_CALL;
	q.u.tadd.title = (char *)title;
	q.r.op_case = KARTOTEKA__REQUEST__OP_TASK_ADD;
	q.r.task_add = &q.u.tadd;
	r = kt_h_call(h, c, &q.r);
	kt_h_expect_ok(r);
	return r->task->task->id;
}

static Kartoteka__Request *
agenda(req_t *q, const char *user, const char *branch)
{
	kartoteka__request__init(&q->r);
	kartoteka__agenda_request__init(&q->u.ag);
	q->u.ag.user = (char *)(user ? user : "");
	q->u.ag.branch = (char *)(branch ? branch : "");
	q->r.op_case = KARTOTEKA__REQUEST__OP_AGENDA;
	q->r.agenda = &q->u.ag;
	return &q->r;
}

static const Kartoteka__AgendaResponse *
agenda_ok(kt_h_t *h, kt_conn_t *c, Kartoteka__Request *q)
{
	Kartoteka__Response *r = kt_h_call(h, c, q);

	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_AGENDA);
	return r->agenda;
}

static int
has_client(Kartoteka__AgendaClient **l, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (l[i]->client_id == id)
			return 1;
	return 0;
}

/* ---- the tests ------------------------------------------------------------------ */

static void
a_managers_morning(void **state)
{
	world_t w;
	const Kartoteka__AgendaResponse *a;
	kt_h_entry_t e;
	struct tm bday = local(3);
	int64_t now = (int64_t)time(NULL);
	uint64_t ca, cb, cc, cd, cv, late, today;
	char d[24];
	req_t q;

	(void)state;
	world_new(&w);
	ca = client(w.h, w.m, "Альфа", 1, 0, 0, 0);
	cb = client(w.h, w.m, "Бета", 2, 0, 0, 0);
	cc = client(w.h, w.m, "Гамма", 3, 0, 0, 0);
	cd = client(w.h, w.m, "Дельта", 0, (uint32_t)bday.tm_year + 1900 - 5,
	    (uint32_t)bday.tm_mon + 1, (uint32_t)bday.tm_mday);
	cv = client(w.h, w.v, "Южные", 1, 0, 0, 0);
	activity(w.h, cb, (kt_activity_t){ .open_deals = 1,
	    .last_interaction_at = now - DAY_S, .interactions = 1,
	    .last_deal_at = now - DAY_S });
	activity(w.h, cc, (kt_activity_t){ .last_won_at = now - 350 * DAY_S,
	    .last_deal_at = now - 360 * DAY_S,
	    .last_interaction_at = now - 100 * DAY_S, .interactions = 3 });
	today = task(w.h, w.m, ca, day(0, d, sizeof(d)), "сегодня");
	late = task(w.h, w.m, 0, day(-1, d, sizeof(d)), "вчера");
	(void)task(w.h, w.m, cb, day(1, d, sizeof(d)), "завтра");

	a = agenda_ok(w.h, w.m, agenda(&q, NULL, NULL));
	assert_string_equal(a->date, day(0, d, sizeof(d)));
	assert_string_equal(a->scope, "user masha");
	assert_int_equal(a->quiet_days, 90);
	assert_int_equal(a->n_tasks, 2);
	assert_true(a->tasks[0]->id == late);
	assert_true(a->tasks[0]->overdue);
	assert_true(a->tasks[1]->id == today);
	assert_int_equal(a->tasks_more, 0);
	assert_int_equal(a->n_birthdays, 1);
	assert_true(a->birthdays[0]->client_id == cd);
	assert_int_equal(a->birthdays[0]->turns, 5);
	assert_true(a->birthdays[0]->child);
	assert_string_equal(a->birthdays[0]->person, "Маша");
	assert_string_equal(a->birthdays[0]->date, day(3, d, sizeof(d)));
	assert_int_equal(a->n_reoffer, 1);
	assert_true(a->reoffer[0]->client_id == cc);
	assert_string_equal(a->reoffer[0]->client, "Гамма");
	assert_string_equal(a->reoffer[0]->manager, "masha");
	assert_int_equal(a->n_no_open_deal, 1);
	assert_true(a->no_open_deal[0]->client_id == ca);
	assert_int_equal(a->n_quiet, 3);
	assert_true(has_client(a->quiet, a->n_quiet, ca));
	assert_true(has_client(a->quiet, a->n_quiet, cc));
	assert_true(has_client(a->quiet, a->n_quiet, cd));
	assert_false(has_client(a->quiet, a->n_quiet, cb));
	assert_false(has_client(a->quiet, a->n_quiet, cv));
	assert_int_equal(a->n_renewals, 0);
	assert_int_equal(a->n_managers, 0);
	e = kt_h_audit_last(w.h);
	assert_string_equal(e.action, "agenda");
	assert_string_equal(e.object, "agenda");
	assert_non_null(strstr(e.detail, "tasks=2+0 birthdays=1+0 "
	    "reoffer=1+0 no_deal=1+0 quiet=3+0"));
	/* Альфа, Гамма, Дельта: Альфа was counted by its task's answer */
	assert_non_null(strstr(e.detail, "clients=3 new=2"));
	assert_null(strstr(e.detail, "Альфа"));
	/* fewer quiet days: Гамма (100 days) is not quiet for 200 */
	agenda(&q, NULL, NULL);
	q.u.ag.quiet_days = 200;
	a = agenda_ok(w.h, w.m, &q.r);
	assert_int_equal(a->n_quiet, 2);
	assert_false(has_client(a->quiet, a->n_quiet, cc));
	/* another day: tomorrow's task is due then, yesterday's still late */
	agenda(&q, NULL, NULL);
	q.u.ag.date = (char *)day(1, d, sizeof(d));
	a = agenda_ok(w.h, w.m, &q.r);
	assert_int_equal(a->n_tasks, 3);
	kt_h_free(w.h);
}

static void
whose_agenda(void **state)
{
	world_t w;
	const Kartoteka__AgendaResponse *a;
	Kartoteka__Response *r;
	uint64_t ca, cv;
	char d[24];
	req_t q;

	(void)state;
	world_new(&w);
	ca = client(w.h, w.m, "Альфа", 1, 0, 0, 0);
	(void)client(w.h, w.p, "Петровы", 2, 0, 0, 0);
	cv = client(w.h, w.v, "Южные", 1, 0, 0, 0);
	(void)task(w.h, w.m, ca, day(-2, d, sizeof(d)), "просрочено");
	r = kt_h_call(w.h, w.m, agenda(&q, "petr", NULL));
	kt_h_expect_error(r, E_FORBIDDEN, "a manager sees only its own agenda");
	assert_string_equal(kt_h_audit_last(w.h).action, "agenda");
	kt_h_expect_error(kt_h_call(w.h, w.m, agenda(&q, NULL, "North")),
	    E_FORBIDDEN, NULL);
	(void)agenda_ok(w.h, w.m, agenda(&q, "masha", NULL));
	/* a head: a user of its branches, with the manager's line */
	a = agenda_ok(w.h, w.g, agenda(&q, "masha", NULL));
	assert_int_equal(a->n_tasks, 1);
	assert_int_equal(a->n_no_open_deal, 1);
	assert_int_equal(a->n_managers, 1);
	assert_string_equal(a->managers[0]->login, "masha");
	assert_int_equal(a->managers[0]->overdue_tasks, 1);
	assert_int_equal(a->managers[0]->ab_without_deal, 1);
	/* its branch: every user of it */
	a = agenda_ok(w.h, w.g, agenda(&q, NULL, "North"));
	assert_string_equal(a->scope, "branch North");
	assert_int_equal(a->n_tasks, 1);
	assert_int_equal(a->n_no_open_deal, 2);
	assert_int_equal(a->n_managers, 3);
	/* another branch, its user, a name that is nobody: alike, empty */
	a = agenda_ok(w.h, w.g, agenda(&q, NULL, "South"));
	assert_int_equal(a->n_no_open_deal + a->n_quiet + a->n_managers, 0);
	a = agenda_ok(w.h, w.g, agenda(&q, "vera", NULL));
	assert_int_equal(a->n_no_open_deal + a->n_quiet + a->n_managers, 0);
	a = agenda_ok(w.h, w.g, agenda(&q, "nobody", NULL));
	assert_int_equal(a->n_no_open_deal + a->n_quiet + a->n_managers, 0);
	/* the owner: anything */
	a = agenda_ok(w.h, w.owner, agenda(&q, NULL, "South"));
	assert_int_equal(a->n_no_open_deal, 1);
	assert_true(a->no_open_deal[0]->client_id == cv);
	assert_int_equal(a->n_managers, 1);
	assert_string_equal(a->managers[0]->login, "vera");
	kt_h_free(w.h);
}

static void
sections_cut_at_fifty(void **state)
{
	world_t w;
	const Kartoteka__AgendaResponse *a;
	char title[32];
	req_t q;

	(void)state;
	world_new(&w);
	for (int i = 0; i < 60; i++) {
		snprintf(title, sizeof(title), "Семья %d", i);
		(void)client(w.h, w.m, title, 1, 0, 0, 0);
	}
	a = agenda_ok(w.h, w.m, agenda(&q, NULL, NULL));
	assert_int_equal(a->n_no_open_deal, 50);
	assert_int_equal(a->no_open_deal_more, 10);
	assert_int_equal(a->n_quiet, 50);
	assert_int_equal(a->quiet_more, 10);
	assert_non_null(strstr(kt_h_audit_last(w.h).detail,
	    "no_deal=50+10 quiet=50+10"));
	kt_h_free(w.h);
}

static void
hostile_input(void **state)
{
	world_t w;
	uint64_t before;
	req_t q;

	(void)state;
	world_new(&w);
	before = kt_h_audit_count(w.h);
	kt_h_expect_error(kt_h_call(w.h, w.g, agenda(&q, "masha", "North")),
	    E_BAD, "user, branch: give one of them");
	agenda(&q, NULL, NULL);
	q.u.ag.date = "2026-02-30";
	kt_h_expect_error(kt_h_call(w.h, w.m, &q.r), E_BAD,
	    "date: is not a date YYYY-MM-DD");
	agenda(&q, NULL, NULL);
	q.u.ag.quiet_days = 4000;
	kt_h_expect_error(kt_h_call(w.h, w.m, &q.r), E_BAD,
	    "quiet_days: is more than 3650");
	assert_true(kt_h_audit_count(w.h) == before);
	kt_h_free(w.h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(a_managers_morning),
	cmocka_unit_test(whose_agenda),
	cmocka_unit_test(sections_cut_at_fifty),
	cmocka_unit_test(hostile_input),
};

KT_TEST_MAIN(tests)
