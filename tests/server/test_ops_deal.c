/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/deal.c through kt_dispatch_message on the fake
 * network: a deal added, answered as saved and audited; bad fields
 * refused naming the field without a write; stage and edit against the
 * version read (stale: CONFLICT), closed_at set and cleared; a manager on
 * another manager's client FORBIDDEN (audited) while a client or deal of
 * another branch answers exactly like a missing one, without a write;
 * lists newest first by client, stage and period, counting the clients
 * they show and audited; the client list's won-in-a-period filter;
 * offboarding, purge and merge taking the deals along. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_test.h"

#include "server/harness.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define E_NOTFOUND KARTOTEKA__ERROR__CODE__NOT_FOUND
#define E_CONFLICT KARTOTEKA__ERROR__CODE__CONFLICT
#define HEAD KARTOTEKA__ROLE__HEAD
#define MANAGER KARTOTEKA__ROLE__MANAGER
#define WON KARTOTEKA__DEAL_STAGE__STAGE_WON
#define LOST KARTOTEKA__DEAL_STAGE__STAGE_LOST
#define PROGRESS KARTOTEKA__DEAL_STAGE__STAGE_PROGRESS

/* ---- the world of these tests ---------------------------------------------- */

typedef struct world {
	kt_h_t *h;
	uint64_t north, south;            /* branches */
	uint64_t masha, dasha;            /* managers of North */
	uint64_t vera;                    /* manager of South */
	uint64_t galina;                  /* head of North */
	kt_conn_t *owner, *m, *d, *v, *g; /* their logged-in connections */
} world_t;

static void
world_new(world_t *w)
{
	kt_h_t *h = w->h = kt_h_new();

	w->north = kt_h_branch(h, "North");
	w->south = kt_h_branch(h, "South");
	w->masha = kt_h_user(h, "masha", MANAGER, w->north, 0);
	w->dasha = kt_h_user(h, "dasha", MANAGER, w->north, 0);
	w->vera = kt_h_user(h, "vera", MANAGER, w->south, 0);
	w->galina = kt_h_user(h, "galina", HEAD, w->north, 0);
	w->owner = kt_h_session(h, h->owner, 0);
	w->m = kt_h_session(h, w->masha, w->north);
	w->d = kt_h_session(h, w->dasha, w->north);
	w->v = kt_h_session(h, w->vera, w->south);
	w->g = kt_h_session(h, w->galina, w->north);
}

/* ---- requests ------------------------------------------------------------------ */

typedef struct req {
	Kartoteka__Request r;
	union {
		Kartoteka__ClientAddRequest cadd;
		Kartoteka__ClientListRequest clist;
		Kartoteka__ClientPurgeRequest purge;
		Kartoteka__ClientMergeRequest merge;
		Kartoteka__UserOffboardRequest off;
		Kartoteka__UserChangeRequest uc;
		Kartoteka__DealAddRequest add;
		Kartoteka__DealEditRequest edit;
		Kartoteka__DealStageRequest stage;
		Kartoteka__DealListRequest list;
	} u;
	Kartoteka__DealAddRequest vals;
	Kartoteka__Client c;
	char *fields[2];
} req_t;

static Kartoteka__Request *
add(req_t *q, uint64_t client, const char *title, int64_t amount)
{
	kartoteka__request__init(&q->r);
	kartoteka__deal_add_request__init(&q->u.add);
	q->u.add.client = client;
	q->u.add.title = (char *)title;
	q->u.add.amount = amount;
	q->r.op_case = KARTOTEKA__REQUEST__OP_DEAL_ADD;
	q->r.deal_add = &q->u.add;
	return &q->r;
}

static Kartoteka__Request *
stage(req_t *q, uint64_t id, uint64_t version, Kartoteka__DealStage s,
    const char *reason)
{
	kartoteka__request__init(&q->r);
	kartoteka__deal_stage_request__init(&q->u.stage);
	q->u.stage.id = id;
	q->u.stage.version = version;
	q->u.stage.stage = s;
	q->u.stage.reason = (char *)reason;
	q->r.op_case = KARTOTEKA__REQUEST__OP_DEAL_STAGE;
	q->r.deal_stage = &q->u.stage;
	return &q->r;
}

/* An edit of field (and a second one, or NULL) to vals. */
static Kartoteka__Request *
edit(req_t *q, uint64_t id, uint64_t version, const char *f1,
    const char *f2)
{
	kartoteka__request__init(&q->r);
	kartoteka__deal_edit_request__init(&q->u.edit);
	kartoteka__deal_add_request__init(&q->vals);
	q->u.edit.id = id;
	q->u.edit.version = version;
	q->fields[0] = (char *)f1;
	q->fields[1] = (char *)f2;
	q->u.edit.fields = q->fields;
	q->u.edit.n_fields = f2 ? 2 : 1;
	q->u.edit.deal = &q->vals;
	q->r.op_case = KARTOTEKA__REQUEST__OP_DEAL_EDIT;
	q->r.deal_edit = &q->u.edit;
	return &q->r;
}

static Kartoteka__Request *
list(req_t *q)
{
	kartoteka__request__init(&q->r);
	kartoteka__deal_list_request__init(&q->u.list);
	q->r.op_case = KARTOTEKA__REQUEST__OP_DEAL_LIST;
	q->r.deal_list = &q->u.list;
	return &q->r;
}

/* A deal added by c (fails unless it is); the deal answered. */
static Kartoteka__Deal *
deal(kt_h_t *h, kt_conn_t *c, uint64_t client, const char *title)
{
	Kartoteka__Response *resp;
	req_t q;

	resp = kt_h_call(h, c, add(&q, client, title, 1250000));
	kt_h_expect_ok(resp);
	assert_int_equal(resp->result_case, KARTOTEKA__RESPONSE__RESULT_DEAL);
	assert_non_null(resp->deal->deal);
	return resp->deal->deal;
}

/* The deals c lists with q's filters (all of one page). */
static Kartoteka__DealListResponse *
listed(kt_h_t *h, kt_conn_t *c, Kartoteka__Request *req)
{
	Kartoteka__Response *resp = kt_h_call(h, c, req);

	kt_h_expect_ok(resp);
	assert_int_equal(resp->result_case,
	    KARTOTEKA__RESPONSE__RESULT_DEAL_LIST);
	return resp->deal_list;
}

/* ---- the tests --------------------------------------------------------------- */

static void
add_answered_and_audited(void **state)
{
	world_t w;
	uint64_t c;
	Kartoteka__Deal *d;
	kt_h_entry_t e;
	char obj[40];

	(void)state;
	world_new(&w);
	c = kt_h_client_titled(w.h, w.m, "Ёлкины");
	d = deal(w.h, w.m, c, "Английский, осень");
	assert_int_equal(d->client, c);
	assert_string_equal(d->client_title, "Ёлкины");
	assert_string_equal(d->manager, "masha");
	assert_string_equal(d->author, "masha");
	assert_string_equal(d->branch, "North");
	assert_string_equal(d->currency, "RUB");
	assert_int_equal(d->amount, 1250000);
	assert_int_equal(d->stage, KARTOTEKA__DEAL_STAGE__STAGE_NEW);
	assert_int_equal(d->version, 1);
	assert_int_equal(d->closed_at, 0);
	assert_true(d->created_at > 0);
	e = kt_h_audit_last(w.h);
	snprintf(obj, sizeof(obj), "deal:%" PRIu64, d->id);
	assert_string_equal(e.action, "deal.add");
	assert_string_equal(e.object, obj);
	assert_int_equal(e.user, w.masha);
	assert_non_null(strstr(e.detail, "client="));
	assert_null(strstr(e.detail, "Английский"));
	kt_h_free(w.h);
}

static void
add_refused_naming_the_field(void **state)
{
	world_t w;
	uint64_t c, other, n;
	Kartoteka__Deal *d;
	req_t q;

	(void)state;
	world_new(&w);
	c = kt_h_client_titled(w.h, w.m, "Ёлкины");
	other = kt_h_client_titled(w.h, w.m, "Петровы");
	d = deal(w.h, w.m, other, "Абонемент");
	n = kt_h_audit_count(w.h);
	kt_h_expect_error(kt_h_call(w.h, w.m, add(&q, c, "   ", 0)), E_BAD,
	    "title: is blank");
	kt_h_expect_error(kt_h_call(w.h, w.m, add(&q, c, "Курс", -5)), E_BAD,
	    "amount: is negative");
	add(&q, c, "Курс", 0);
	q.u.add.currency = "rub";
	kt_h_expect_error(kt_h_call(w.h, w.m, &q.r), E_BAD, NULL);
	add(&q, c, "Курс", 0);
	q.u.add.valid_from = "2026-09-01";
	kt_h_expect_error(kt_h_call(w.h, w.m, &q.r), E_BAD, NULL);
	add(&q, c, "Курс", 0);
	q.u.add.valid_from = "2026-09-01";
	q.u.add.valid_to = "2026-08-01";
	kt_h_expect_error(kt_h_call(w.h, w.m, &q.r), E_BAD,
	    "valid_to: is before valid_from");
	add(&q, c, "Курс", 0);
	q.u.add.lessons = 1001;
	kt_h_expect_error(kt_h_call(w.h, w.m, &q.r), E_BAD,
	    "lessons: is more than 1000");
	assert_int_equal(kt_h_audit_count(w.h), n);
	/* renews: a plain deal, and another client's, are no subscription
	 * of this client. */
	add(&q, c, "Продление", 0);
	q.u.add.renews = d->id;
	kt_h_expect_error(kt_h_call(w.h, w.m, &q.r), E_BAD, NULL);
	assert_non_null(strstr(kt_h_last(w.h, w.m)->error->message,
	    "renews:"));
	kt_h_free(w.h);
}

static void
stage_against_the_version_read(void **state)
{
	world_t w;
	uint64_t c;
	Kartoteka__Deal *d;
	Kartoteka__Response *r;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	world_new(&w);
	c = kt_h_client_titled(w.h, w.m, "Ёлкины");
	d = deal(w.h, w.m, c, "Английский");
	r = kt_h_call(w.h, w.m, stage(&q, d->id, 1, WON, "оплатили"));
	kt_h_expect_ok(r);
	assert_int_equal(r->deal->deal->version, 2);
	assert_int_equal(r->deal->deal->stage, WON);
	assert_true(r->deal->deal->closed_at > 0);
	assert_string_equal(r->deal->deal->reason, "оплатили");
	e = kt_h_audit_last(w.h);
	assert_string_equal(e.action, "deal.stage");
	assert_non_null(strstr(e.detail, "stage new->won"));
	assert_null(strstr(e.detail, "оплатили"));
	/* The version read is stale now. */
	r = kt_h_call(w.h, w.m, stage(&q, d->id, 1, LOST, ""));
	kt_h_expect_error(r, E_CONFLICT, NULL);
	assert_non_null(strstr(r->error->message, "version 1"));
	kt_h_expect_error(kt_h_call(w.h, w.m, stage(&q, d->id, 0, LOST, "")),
	    E_BAD, NULL);
	kt_h_expect_error(kt_h_call(w.h, w.m, stage(&q, d->id, 2,
	    (Kartoteka__DealStage)9, "")), E_BAD, NULL);
	/* Reopened: closed_at cleared. */
	r = kt_h_call(w.h, w.m, stage(&q, d->id, 2, PROGRESS, ""));
	kt_h_expect_ok(r);
	assert_int_equal(r->deal->deal->closed_at, 0);
	assert_int_equal(r->deal->deal->version, 3);
	kt_h_free(w.h);
}

static void
edit_named_fields(void **state)
{
	world_t w;
	uint64_t c;
	Kartoteka__Deal *d;
	Kartoteka__Response *r;
	req_t q;

	(void)state;
	world_new(&w);
	c = kt_h_client_titled(w.h, w.m, "Ёлкины");
	d = deal(w.h, w.m, c, "Английский");
	edit(&q, d->id, 1, "title", "period");
	q.vals.title = "Английский, абонемент";
	q.vals.amount = 99;              /* not named: kept */
	q.vals.valid_from = "2026-09-01";
	q.vals.valid_to = "2026-12-31";
	r = kt_h_call(w.h, w.m, &q.r);
	kt_h_expect_ok(r);
	assert_string_equal(r->deal->deal->title, "Английский, абонемент");
	assert_int_equal(r->deal->deal->amount, 1250000);
	assert_string_equal(r->deal->deal->valid_to, "2026-12-31");
	assert_int_equal(r->deal->deal->version, 2);
	assert_non_null(strstr(kt_h_audit_last(w.h).detail,
	    "fields=title,period"));
	edit(&q, d->id, 2, "owner", NULL);
	kt_h_expect_error(kt_h_call(w.h, w.m, &q.r), E_BAD, NULL);
	edit(&q, d->id, 2, "title", NULL);
	q.vals.title = "";
	kt_h_expect_error(kt_h_call(w.h, w.m, &q.r), E_BAD, "title: is empty");
	edit(&q, d->id, 1, "amount", NULL);
	kt_h_expect_error(kt_h_call(w.h, w.m, &q.r), E_CONFLICT, NULL);
	kt_h_free(w.h);
}

static void
visibility_forbidden_or_missing(void **state)
{
	world_t w;
	uint64_t mine, dashas, n;
	Kartoteka__Deal *d;
	Kartoteka__Response *r;
	char missing[80], hidden[80];
	kt_h_entry_t e;
	req_t q;

	(void)state;
	world_new(&w);
	mine = kt_h_client_titled(w.h, w.m, "Ёлкины");
	dashas = kt_h_client_titled(w.h, w.d, "Петровы");
	d = deal(w.h, w.m, mine, "Английский");
	/* A manager on a client of her branch she does not manage. */
	r = kt_h_call(w.h, w.m, add(&q, dashas, "Курс", 0));
	kt_h_expect_error(r, E_FORBIDDEN, NULL);
	e = kt_h_audit_last(w.h);
	assert_string_equal(e.action, "deal.add");
	assert_int_equal(e.outcome, E_FORBIDDEN);
	kt_h_expect_error(kt_h_call(w.h, w.d, stage(&q, d->id, 1, WON, "")),
	    E_FORBIDDEN, NULL);
	/* Her head may. */
	kt_h_expect_ok(kt_h_call(w.h, w.g, add(&q, dashas, "Курс", 0)));
	/* Another branch: as missing, without a write. */
	n = kt_h_audit_count(w.h);
	r = kt_h_call(w.h, w.v, add(&q, mine, "Курс", 0));
	kt_h_expect_error(r, E_NOTFOUND, NULL);
	snprintf(hidden, sizeof(hidden), "%s", r->error->message);
	r = kt_h_call(w.h, w.v, add(&q, 999, "Курс", 0));
	snprintf(missing, sizeof(missing), "no client %" PRIu64, mine);
	assert_string_equal(hidden, missing);
	kt_h_expect_error(r, E_NOTFOUND, "no client 999");
	r = kt_h_call(w.h, w.v, stage(&q, d->id, 1, WON, ""));
	snprintf(missing, sizeof(missing), "no deal %" PRIu64, d->id);
	kt_h_expect_error(r, E_NOTFOUND, missing);
	kt_h_expect_error(kt_h_call(w.h, w.v, stage(&q, 999, 1, WON, "")),
	    E_NOTFOUND, "no deal 999");
	kt_h_expect_error(kt_h_call(w.h, w.v, edit(&q, d->id, 1, "title",
	    NULL)), E_NOTFOUND, missing);
	list(&q);
	q.u.list.id = d->id;
	kt_h_expect_error(kt_h_call(w.h, w.v, &q.r), E_NOTFOUND, missing);
	list(&q);
	q.u.list.client = mine;
	snprintf(missing, sizeof(missing), "no client %" PRIu64, mine);
	kt_h_expect_error(kt_h_call(w.h, w.v, &q.r), E_NOTFOUND, missing);
	assert_int_equal(kt_h_audit_count(w.h), n);
	kt_h_free(w.h);
}

static void
list_counts_rows_and_audits(void **state)
{
	world_t w;
	uint64_t a, b, dashas;
	Kartoteka__Deal *d1, *d3;
	Kartoteka__DealListResponse *l;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	world_new(&w);
	a = kt_h_client_titled(w.h, w.m, "Ёлкины");
	b = kt_h_client_titled(w.h, w.m, "Петровы");
	dashas = kt_h_client_titled(w.h, w.d, "Сидоровы");
	d1 = deal(w.h, w.m, a, "Английский");
	(void)deal(w.h, w.m, a, "Рисование");
	d3 = deal(w.h, w.m, b, "Шахматы");
	(void)deal(w.h, w.d, dashas, "Плавание");
	kt_h_expect_ok(kt_h_call(w.h, w.m, stage(&q, d1->id, 1, WON, "")));
	/* Hers, newest first; not dasha's. */
	l = listed(w.h, w.m, list(&q));
	assert_int_equal(l->n_deals, 3);
	assert_int_equal(l->deals[0]->id, d3->id);
	assert_int_equal(l->deals[2]->id, d1->id);
	assert_int_equal(l->next_cursor.len, 0);
	e = kt_h_audit_last(w.h);
	assert_string_equal(e.action, "deal.list");
	assert_string_equal(e.object, "deals");
	assert_non_null(strstr(e.detail, "rows=3"));
	assert_non_null(strstr(e.detail, "new=2"));
	/* Listing again shows no new client. */
	(void)listed(w.h, w.m, list(&q));
	assert_non_null(strstr(kt_h_audit_last(w.h).detail, "new=0"));
	/* The head sees the branch's four. */
	l = listed(w.h, w.g, list(&q));
	assert_int_equal(l->n_deals, 4);
	/* Another branch's manager: none. */
	l = listed(w.h, w.v, list(&q));
	assert_int_equal(l->n_deals, 0);
	/* By stage, client, a page of one. */
	list(&q);
	q.u.list.stage = WON;
	l = listed(w.h, w.g, &q.r);
	assert_int_equal(l->n_deals, 1);
	assert_int_equal(l->deals[0]->id, d1->id);
	list(&q);
	q.u.list.client = a;
	q.u.list.limit = 1;
	l = listed(w.h, w.m, &q.r);
	assert_int_equal(l->n_deals, 1);
	assert_true(l->next_cursor.len > 0);
	{
		uint8_t cur[32];
		size_t n = l->next_cursor.len;
		memcpy(cur, l->next_cursor.data, n);
		q.u.list.cursor.data = cur;
		q.u.list.cursor.len = n;
		l = listed(w.h, w.m, &q.r);
		assert_int_equal(l->n_deals, 1);
		assert_int_equal(l->deals[0]->id, d1->id);
	}
	/* Won in a period that ended before it. */
	list(&q);
	q.u.list.stage = WON;
	q.u.list.from = 1;
	q.u.list.to = 2;
	assert_int_equal(listed(w.h, w.g, &q.r)->n_deals, 0);
	list(&q);
	q.u.list.to = 5;
	q.u.list.from = 10;
	kt_h_expect_error(kt_h_call(w.h, w.g, &q.r), E_BAD, NULL);
	/* An unknown manager: as one without deals. */
	list(&q);
	q.u.list.manager = "nobody";
	assert_int_equal(listed(w.h, w.g, &q.r)->n_deals, 0);
	list(&q);
	q.u.list.manager = "dasha";
	assert_int_equal(listed(w.h, w.g, &q.r)->n_deals, 1);
	kt_h_free(w.h);
}

/* Past the row quota a page is refused whole, counted nothing, audited;
 * clients shown earlier that day cost nothing again. */
static void
list_past_the_row_quota(void **state)
{
	world_t w;
	uint64_t a, b;
	Kartoteka__Response *r;
	char *fields[1] = { "daily_row_quota" };
	kt_h_entry_t e;
	req_t q;

	(void)state;
	world_new(&w);
	a = kt_h_client_titled(w.h, w.m, "Ёлкины");
	b = kt_h_client_titled(w.h, w.m, "Петровы");
	(void)deal(w.h, w.m, a, "Английский");
	(void)deal(w.h, w.m, b, "Шахматы");
	kartoteka__request__init(&q.r);
	kartoteka__user_change_request__init(&q.u.uc);
	q.u.uc.login = "masha";
	q.u.uc.fields = fields;
	q.u.uc.n_fields = 1;
	q.u.uc.daily_row_quota = 1;
	q.r.op_case = KARTOTEKA__REQUEST__OP_USER_CHANGE;
	q.r.user_change = &q.u.uc;
	kt_h_expect_ok(kt_h_call(w.h, w.owner, &q.r));
	/* One client: within the quota. */
	list(&q);
	q.u.list.client = a;
	assert_int_equal(listed(w.h, w.m, &q.r)->n_deals, 1);
	/* Both: the page would pass it. */
	r = kt_h_call(w.h, w.m, list(&q));
	kt_h_expect_error(r, KARTOTEKA__ERROR__CODE__QUOTA_EXCEEDED, NULL);
	assert_non_null(strstr(r->error->message, "--row-quota"));
	e = kt_h_audit_last(w.h);
	assert_string_equal(e.action, "deal.list");
	assert_int_equal(e.outcome, KARTOTEKA__ERROR__CODE__QUOTA_EXCEEDED);
	/* The one already shown costs nothing again. */
	list(&q);
	q.u.list.client = a;
	assert_int_equal(listed(w.h, w.m, &q.r)->n_deals, 1);
	kt_h_free(w.h);
}

static void
won_in_a_period_client_filter(void **state)
{
	world_t w;
	uint64_t a, b;
	Kartoteka__Deal *d;
	Kartoteka__Response *r;
	req_t q;

	(void)state;
	world_new(&w);
	a = kt_h_client_titled(w.h, w.m, "Ёлкины");
	b = kt_h_client_titled(w.h, w.m, "Петровы");
	d = deal(w.h, w.m, a, "Английский");
	(void)deal(w.h, w.m, b, "Шахматы");
	kt_h_expect_ok(kt_h_call(w.h, w.m, stage(&q, d->id, 1, WON, "")));
	kartoteka__request__init(&q.r);
	kartoteka__client_list_request__init(&q.u.clist);
	q.r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_LIST;
	q.r.client_list = &q.u.clist;
	q.u.clist.won_from = 1;
	r = kt_h_call(w.h, w.m, &q.r);
	kt_h_expect_ok(r);
	assert_int_equal(r->client_list->n_rows, 1);
	assert_int_equal(r->client_list->rows[0]->id, a);
	assert_int_equal(r->client_list->total, 1);
	assert_non_null(strstr(kt_h_audit_last(w.h).detail, "won="));
	q.u.clist.won_from = 1;
	q.u.clist.won_to = 2;
	r = kt_h_call(w.h, w.m, &q.r);
	kt_h_expect_ok(r);
	assert_int_equal(r->client_list->n_rows, 0);
	kt_h_free(w.h);
}

static void
offboard_purge_and_merge_take_deals(void **state)
{
	world_t w;
	uint64_t a, b, c;
	Kartoteka__Deal *open, *won;
	Kartoteka__DealListResponse *l;
	Kartoteka__Response *r;
	req_t q;

	(void)state;
	world_new(&w);
	a = kt_h_client_titled(w.h, w.m, "Ёлкины");
	b = kt_h_client_titled(w.h, w.m, "Петровы");
	c = kt_h_client_titled(w.h, w.m, "Сидоровы");
	open = deal(w.h, w.m, a, "Английский");
	won = deal(w.h, w.m, a, "Рисование");
	(void)deal(w.h, w.m, b, "Шахматы");
	(void)deal(w.h, w.m, c, "Плавание");
	kt_h_expect_ok(kt_h_call(w.h, w.m, stage(&q, won->id, 1, WON, "")));
	/* Merge b into a: b's deal is a's now. */
	kartoteka__request__init(&q.r);
	kartoteka__client_merge_request__init(&q.u.merge);
	q.u.merge.into = a;
	q.u.merge.from = b;
	q.r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_MERGE;
	q.r.client_merge = &q.u.merge;
	kt_h_expect_ok(kt_h_call(w.h, w.owner, &q.r));
	/* Two entries: the card merged away (with the counts), the one that
	 * stays. */
	assert_non_null(strstr(kt_h_audit_at(w.h, kt_h_audit_count(w.h) -
	    1).detail, "deals 1"));
	list(&q);
	q.u.list.client = a;
	assert_int_equal(listed(w.h, w.owner, &q.r)->n_deals, 3);
	/* Purge c: its deal goes. */
	kartoteka__request__init(&q.r);
	kartoteka__client_purge_request__init(&q.u.purge);
	q.u.purge.id = c;
	q.r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_PURGE;
	q.r.client_purge = &q.u.purge;
	kt_h_expect_ok(kt_h_call(w.h, w.owner, &q.r));
	assert_non_null(strstr(kt_h_audit_last(w.h).detail, "deals 1"));
	l = listed(w.h, w.owner, list(&q));
	assert_int_equal(l->n_deals, 3);
	/* Offboarding masha to dasha: the open deals go, the won one
	 * stays hers. */
	kartoteka__request__init(&q.r);
	kartoteka__user_offboard_request__init(&q.u.off);
	q.u.off.login = "masha";
	q.u.off.to = "dasha";
	q.r.op_case = KARTOTEKA__REQUEST__OP_USER_OFFBOARD;
	q.r.user_offboard = &q.u.off;
	kt_h_expect_ok(kt_h_call(w.h, w.owner, &q.r));
	assert_non_null(strstr(kt_h_audit_last(w.h).detail, "deals=2"));
	list(&q);
	q.u.list.id = open->id;
	r = kt_h_call(w.h, w.owner, &q.r);
	kt_h_expect_ok(r);
	assert_string_equal(r->deal_list->deals[0]->manager, "dasha");
	q.u.list.id = won->id;
	r = kt_h_call(w.h, w.owner, &q.r);
	kt_h_expect_ok(r);
	assert_string_equal(r->deal_list->deals[0]->manager, "masha");
	kt_h_free(w.h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(add_answered_and_audited),
	cmocka_unit_test(add_refused_naming_the_field),
	cmocka_unit_test(stage_against_the_version_read),
	cmocka_unit_test(edit_named_fields),
	cmocka_unit_test(visibility_forbidden_or_missing),
	cmocka_unit_test(list_counts_rows_and_audits),
	cmocka_unit_test(list_past_the_row_quota),
	cmocka_unit_test(won_in_a_period_client_filter),
	cmocka_unit_test(offboard_purge_and_merge_take_deals),
};

KT_TEST_MAIN(tests)
