/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/report.c and server/jobs/report.c through
 * kt_dispatch_message on the fake network: each section's numbers on a
 * small known base (statuses, new cards and clients this month, the
 * conversion, deals won per currency, overdue tasks per user, sources;
 * an archived card counted apart);
 * who may report on what (a branch or manager the caller may not see
 * answers exactly like a missing one, audited); a scope of at most four
 * cards counted as rows shown, refused past the row quota; hostile
 * input. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kt_test.h"

#include "server/harness.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_NOT_FOUND KARTOTEKA__ERROR__CODE__NOT_FOUND
#define HEAD KARTOTEKA__ROLE__HEAD
#define MANAGER KARTOTEKA__ROLE__MANAGER
#define LEAD KARTOTEKA__CLIENT_STATUS__LEAD
#define ACTIVE KARTOTEKA__CLIENT_STATUS__ACTIVE
#define FORMER KARTOTEKA__CLIENT_STATUS__FORMER
#define DAY_S 86400

typedef struct world {
	kt_h_t *h;
	uint64_t north, south;
	uint64_t masha, petr, vera, galina;
	kt_conn_t *owner, *m, *p, *v, *g;
	uint64_t c[7];
} world_t;

typedef struct req {
	Kartoteka__Request r;
	union {
		Kartoteka__ClientAddRequest cadd;
		Kartoteka__DealAddRequest dadd;
		Kartoteka__DealStageRequest dstage;
		Kartoteka__TaskAddRequest tadd;
		Kartoteka__UserChangeRequest uc;
		Kartoteka__ReportRequest rep;
		Kartoteka__ClientArchiveRequest arch;
	} u;
	Kartoteka__Client c;
} req_t;

static uint64_t
client(kt_h_t *h, kt_conn_t *c, const char *title, uint32_t status,
    const char *source)
{
	Kartoteka__Response *r;
	req_t q;

	kartoteka__request__init(&q.r);
	kartoteka__client_add_request__init(&q.u.cadd);
	kartoteka__client__init(&q.c);
	q.c.title = (char *)title;
	q.c.status = (Kartoteka__ClientStatus)status;
	q.c.source = (char *)(source ? source : "");
	q.u.cadd.client = &q.c;
	q.r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_ADD;
	q.r.client_add = &q.u.cadd;
	r = kt_h_call(h, c, &q.r);
	kt_h_expect_ok(r);
	return r->client->client->id;
}

/* A deal of client cl for amount in currency; won when won is set. */
static void
deal(kt_h_t *h, kt_conn_t *c, uint64_t cl, int64_t amount,
    const char *currency, int won)
{
	Kartoteka__Response *r;
	uint64_t id, version;
	req_t q;

	kartoteka__request__init(&q.r);
	kartoteka__deal_add_request__init(&q.u.dadd);
	q.u.dadd.client = cl;
	q.u.dadd.title = "Курс";
	q.u.dadd.amount = amount;
	q.u.dadd.currency = (char *)currency;
	q.r.op_case = KARTOTEKA__REQUEST__OP_DEAL_ADD;
	q.r.deal_add = &q.u.dadd;
	r = kt_h_call(h, c, &q.r);
	kt_h_expect_ok(r);
	id = r->deal->deal->id;
	version = r->deal->deal->version;
	if (!won)
		return;
	kartoteka__request__init(&q.r);
	kartoteka__deal_stage_request__init(&q.u.dstage);
	q.u.dstage.id = id;
	q.u.dstage.version = version;
	q.u.dstage.stage = KARTOTEKA__DEAL_STAGE__STAGE_WON;
	q.r.op_case = KARTOTEKA__REQUEST__OP_DEAL_STAGE;
	q.r.deal_stage = &q.u.dstage;
	kt_h_expect_ok(kt_h_call(h, c, &q.r));
}

static void
task(kt_h_t *h, kt_conn_t *c, uint64_t cl, int days)
{
	time_t t = time(NULL) + (time_t)days * DAY_S;
	struct tm tm;
	char due[16];
	req_t q;

	localtime_r(&t, &tm);
	strftime(due, sizeof(due), "%Y-%m-%d", &tm);
	kartoteka__request__init(&q.r);
	kartoteka__task_add_request__init(&q.u.tadd);
	q.u.tadd.client_id = cl;
	q.u.tadd.due = due;
	q.u.tadd.kind = KARTOTEKA__TASK_KIND__TASK_CALL;
	q.u.tadd.title = "Позвонить";
	q.r.op_case = KARTOTEKA__REQUEST__OP_TASK_ADD;
	q.r.task_add = &q.u.tadd;
	kt_h_expect_ok(kt_h_call(h, c, &q.r));
}

static Kartoteka__Request *
report(req_t *q, const char *branch, const char *manager, uint32_t months)
{
	kartoteka__request__init(&q->r);
	kartoteka__report_request__init(&q->u.rep);
	q->u.rep.branch = (char *)(branch ? branch : "");
	q->u.rep.manager = (char *)(manager ? manager : "");
	q->u.rep.months = months;
	q->r.op_case = KARTOTEKA__REQUEST__OP_REPORT;
	q->r.report = &q->u.rep;
	return &q->r;
}

static const Kartoteka__ReportResponse *
report_ok(kt_h_t *h, kt_conn_t *c, Kartoteka__Request *q)
{
	Kartoteka__Response *r = kt_h_call(h, c, q);

	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_REPORT);
	return r->report;
}

static uint32_t
count_of(Kartoteka__ReportCount **l, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i]->name, name) == 0)
			return l[i]->count;
	return 9999;
}

/* North: masha's five cards (two leads, two active, one former; sources
 * "Сайт" twice, "Друзья" once), petr's lead; South: vera's active card.
 * Won deals this month: 12 500.00 RUB and 100.00 USD of masha's active
 * clients, 3 000.00 RUB of vera's; an open one; masha has an overdue
 * task and one due tomorrow. */
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
	w->c[0] = client(h, w->m, "Ивановы", LEAD, "Сайт");
	w->c[1] = client(h, w->m, "Петровы", ACTIVE, "сайт");
	w->c[2] = client(h, w->m, "Сидоровы", ACTIVE, "Друзья");
	w->c[3] = client(h, w->m, "Козловы", FORMER, NULL);
	w->c[4] = client(h, w->m, "Орловы", LEAD, NULL);
	w->c[5] = client(h, w->p, "Зайцевы", LEAD, "Сайт");
	w->c[6] = client(h, w->v, "Южные", ACTIVE, "Реклама");
	deal(h, w->m, w->c[1], 1250000, "RUB", 1);
	deal(h, w->m, w->c[2], 10000, "USD", 1);
	deal(h, w->m, w->c[0], 50000, "RUB", 0);
	deal(h, w->v, w->c[6], 300000, "RUB", 1);
	task(h, w->m, w->c[0], -2);
	task(h, w->m, w->c[1], 1);
}

/* ---- the tests ------------------------------------------------------------------ */

static void
sections_on_a_known_base(void **state)
{
	world_t w;
	const Kartoteka__ReportResponse *a;
	const Kartoteka__ReportMonth *last;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	world_new(&w);
	a = report_ok(w.h, w.owner, report(&q, "North", NULL, 0));
	assert_string_equal(a->scope, "branch North");
	assert_int_equal(a->months, 12);
	assert_int_equal(a->n_per_month, 12);
	assert_int_equal(a->clients, 6);
	assert_int_equal(a->leads, 3);
	assert_int_equal(a->active, 2);
	assert_int_equal(a->former, 1);
	assert_int_equal(a->archived, 0);
	last = a->per_month[11];
	assert_int_equal(last->new_cards, 6);
	/* created active: a client from its first version */
	assert_int_equal(last->new_clients, 2);
	assert_int_equal(last->won_deals, 2);
	for (size_t i = 0; i < 11; i++)
		assert_int_equal(a->per_month[i]->new_cards, 0);
	assert_true(strcmp(a->per_month[0]->month, last->month) < 0);
	assert_int_equal(a->window_cards, 6);
	assert_int_equal(a->window_converted, 3);
	assert_int_equal(a->n_won, 2);
	assert_string_equal(a->won[0]->currency, "RUB");
	assert_int_equal(a->won[0]->count, 1);
	assert_true(a->won[0]->amount == 1250000);
	assert_string_equal(a->won[0]->month, last->month);
	assert_string_equal(a->won[1]->currency, "USD");
	assert_true(a->won[1]->amount == 10000);
	/* overdue: masha's one, most first; petr and galina have none */
	assert_true(a->n_overdue == 3);
	assert_string_equal(a->overdue[0]->name, "masha");
	assert_int_equal(a->overdue[0]->count, 1);
	assert_int_equal(count_of(a->overdue, a->n_overdue, "petr"), 0);
	assert_int_equal(count_of(a->overdue, a->n_overdue, "vera"), 9999);
	/* sources folded: "Сайт" and "сайт" are one, spelled as its first
	 * card spells it */
	assert_int_equal(a->n_sources, 2);
	assert_string_equal(a->sources[0]->name, "Сайт");
	assert_int_equal(a->sources[0]->count, 3);
	assert_int_equal(a->sources[1]->count, 1);
	assert_int_equal(a->no_source, 2);
	assert_int_equal(a->sources_more, 0);
	e = kt_h_audit_last(w.h);
	assert_string_equal(e.action, "report");
	assert_string_equal(e.object, "report");
	assert_non_null(strstr(e.detail, "months=12"));
	assert_non_null(strstr(e.detail, "clients=6 counted=0"));
	assert_null(strstr(e.detail, "Ивановы"));
	/* every branch: South's card and deal too */
	a = report_ok(w.h, w.owner, report(&q, NULL, NULL, 3));
	assert_string_equal(a->scope, "all branches");
	assert_int_equal(a->n_per_month, 3);
	assert_int_equal(a->clients, 7);
	assert_int_equal(a->active, 3);
	assert_true(a->won[0]->amount == 1550000);
	assert_int_equal(a->won[0]->count, 2);
	assert_int_equal(count_of(a->overdue, a->n_overdue, "vera"), 0);
	/* an archived card: counted apart, not by status nor by source */
	kartoteka__request__init(&q.r);
	kartoteka__client_archive_request__init(&q.u.arch);
	q.u.arch.id = w.c[0];
	q.r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_ARCHIVE;
	q.r.client_archive = &q.u.arch;
	kt_h_expect_ok(kt_h_call(w.h, w.m, &q.r));
	a = report_ok(w.h, w.owner, report(&q, "North", NULL, 0));
	assert_int_equal(a->clients, 6);
	assert_int_equal(a->archived, 1);
	assert_int_equal(a->leads, 2);
	assert_int_equal(a->sources[0]->count, 2);
	assert_int_equal(a->no_source, 2);
	assert_int_equal(a->per_month[11]->new_cards, 6);
	kt_h_free(w.h);
}

static void
who_reports_on_what(void **state)
{
	world_t w;
	const Kartoteka__ReportResponse *a;
	Kartoteka__Response *r;
	char msg1[160];
	uint64_t before;
	req_t q;

	(void)state;
	world_new(&w);
	/* a manager: its own clients, whatever it asks */
	a = report_ok(w.h, w.p, report(&q, NULL, NULL, 0));
	assert_string_equal(a->scope, "manager petr");
	assert_int_equal(a->clients, 1);
	assert_int_equal(a->leads, 1);
	assert_int_equal(a->n_won, 0);
	assert_int_equal(a->n_overdue, 1);
	a = report_ok(w.h, w.m, report(&q, "North", "masha", 0));
	assert_int_equal(a->clients, 5);
	/* another manager answers like a login that does not exist */
	before = kt_h_audit_count(w.h);
	r = kt_h_call(w.h, w.p, report(&q, NULL, "masha", 0));
	kt_h_expect_error(r, E_NOT_FOUND, "manager: no user 'masha'");
	assert_true(kt_h_audit_count(w.h) == before + 1);
	assert_string_equal(kt_h_audit_last(w.h).action, "report");
	r = kt_h_call(w.h, w.p, report(&q, NULL, "nobody", 0));
	kt_h_expect_error(r, E_NOT_FOUND, "manager: no user 'nobody'");
	assert_true(kt_h_audit_count(w.h) == before + 2);
	/* a head: its branches; another branch is a missing one */
	a = report_ok(w.h, w.g, report(&q, NULL, NULL, 0));
	assert_string_equal(a->scope, "branches of galina");
	assert_int_equal(a->clients, 6);
	r = kt_h_call(w.h, w.g, report(&q, "South", NULL, 0));
	snprintf(msg1, sizeof(msg1), "%s", r->error->message);
	kt_h_expect_error(r, E_NOT_FOUND, "branch: no branch 'South'");
	r = kt_h_call(w.h, w.g, report(&q, "Nowhere", NULL, 0));
	kt_h_expect_error(r, E_NOT_FOUND, "branch: no branch 'Nowhere'");
	r = kt_h_call(w.h, w.g, report(&q, NULL, "vera", 0));
	kt_h_expect_error(r, E_NOT_FOUND, "manager: no user 'vera'");
	a = report_ok(w.h, w.g, report(&q, NULL, "masha", 0));
	assert_string_equal(a->scope, "manager masha");
	assert_int_equal(a->clients, 5);
	/* a manager naming another branch: like a missing one */
	r = kt_h_call(w.h, w.m, report(&q, "South", NULL, 0));
	kt_h_expect_error(r, E_NOT_FOUND, "branch: no branch 'South'");
	/* the owner: any branch, any manager */
	a = report_ok(w.h, w.owner, report(&q, "South", NULL, 0));
	assert_int_equal(a->clients, 1);
	a = report_ok(w.h, w.owner, report(&q, NULL, "vera", 0));
	assert_string_equal(a->scope, "manager vera");
	assert_int_equal(a->n_won, 1);
	kt_h_free(w.h);
}

static void
small_scope_counts_as_rows(void **state)
{
	world_t w;
	req_t q;

	(void)state;
	world_new(&w);
	/* vera's one card: the report describes it, so it is a row shown */
	(void)report_ok(w.h, w.v, report(&q, NULL, NULL, 0));
	assert_non_null(strstr(kt_h_audit_last(w.h).detail,
	    "clients=1 counted=1 new=1"));
	(void)report_ok(w.h, w.v, report(&q, NULL, NULL, 0));
	assert_non_null(strstr(kt_h_audit_last(w.h).detail,
	    "counted=1 new=0"));
	/* masha's five cards cost nothing: the scope is not small */
	(void)report_ok(w.h, w.m, report(&q, NULL, NULL, 0));
	assert_non_null(strstr(kt_h_audit_last(w.h).detail,
	    "clients=5 counted=0"));
	kt_h_free(w.h);
}

static void
quota_refuses_a_small_scope(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	char *fields[1] = { "daily_row_quota" };
	uint64_t before, c2;
	req_t q;

	(void)state;
	world_new(&w);
	c2 = client(w.h, w.v, "Южные-2", LEAD, NULL);
	(void)c2;
	kartoteka__request__init(&q.r);
	kartoteka__user_change_request__init(&q.u.uc);
	q.u.uc.login = "vera";
	q.u.uc.fields = fields;
	q.u.uc.n_fields = 1;
	q.u.uc.daily_row_quota = 1;
	q.r.op_case = KARTOTEKA__REQUEST__OP_USER_CHANGE;
	q.r.user_change = &q.u.uc;
	kt_h_expect_ok(kt_h_call(w.h, w.owner, &q.r));
	/* two cards at a quota of one row: refused whole, audited */
	before = kt_h_audit_count(w.h);
	r = kt_h_call(w.h, w.v, report(&q, NULL, NULL, 0));
	kt_h_expect_error(r, KARTOTEKA__ERROR__CODE__QUOTA_EXCEEDED, NULL);
	assert_true(kt_h_audit_count(w.h) >= before + 1);
	assert_string_equal(kt_h_audit_last(w.h).action, "report");
	assert_int_equal(kt_h_audit_last(w.h).outcome,
	    KARTOTEKA__ERROR__CODE__QUOTA_EXCEEDED);
	kt_h_free(w.h);
}

static void
hostile_input(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	char longname[600];
	req_t q;

	(void)state;
	world_new(&w);
	r = kt_h_call(w.h, w.owner, report(&q, NULL, NULL, 37));
	kt_h_expect_error(r, E_BAD, "months: is more than 36");
	r = kt_h_call(w.h, w.owner, report(&q, NULL, NULL, 0xffffffffu));
	kt_h_expect_error(r, E_BAD, "months: is more than 36");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	r = kt_h_call(w.h, w.owner, report(&q, longname, NULL, 0));
	assert_int_equal(r->error->code, E_NOT_FOUND);
	r = kt_h_call(w.h, w.owner, report(&q, NULL, longname, 0));
	assert_int_equal(r->error->code, E_NOT_FOUND);
	/* a month: the window is this month alone */
	(void)report_ok(w.h, w.owner, report(&q, NULL, NULL, 1));
	/* 36 months */
	(void)report_ok(w.h, w.owner, report(&q, NULL, NULL, 36));
	kt_h_free(w.h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(sections_on_a_known_base),
	cmocka_unit_test(who_reports_on_what),
	cmocka_unit_test(small_scope_counts_as_rows),
	cmocka_unit_test(quota_refuses_a_small_scope),
	cmocka_unit_test(hostile_input),
};

KT_TEST_MAIN(tests)
