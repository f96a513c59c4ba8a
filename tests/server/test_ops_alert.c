/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/alert.c through the fake network: the owner pages
 * the alerts newest first with names resolved, acknowledges them once,
 * and nobody else may read them (refusals audited). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kt_test.h"

#include "model/alert_store.h"
#include "server/harness.h"

#define MANAGER KARTOTEKA__ROLE__MANAGER
#define HEAD KARTOTEKA__ROLE__HEAD
#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define E_NOT_FOUND KARTOTEKA__ERROR__CODE__NOT_FOUND

typedef struct raise_job {
	kt_alert_t a;
} raise_job_t;

static int
raise_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	raise_job_t *j = arg;

	return kt_alert_raise(st, txn, &j->a, NULL);
}

static void
raise_one(kt_h_t *h, kt_alert_kind_t kind, uint64_t user, uint64_t client)
{
	raise_job_t j = { { .kind = kind, .user = user, .client = client,
		.count = 160, .limit = 200, .detail = "views" } };

	assert_int_equal(kt_h_write(h, raise_mut, &j), 0);
}

typedef struct req {
	Kartoteka__Request r;
	Kartoteka__AlertListRequest list;
	Kartoteka__AlertAckRequest ack;
} req_t;

static Kartoteka__Request *
list(req_t *q, int all, uint32_t limit, const ProtobufCBinaryData *cursor)
{
	kartoteka__request__init(&q->r);
	kartoteka__alert_list_request__init(&q->list);
	q->list.all = all;
	q->list.limit = limit;
	if (cursor != NULL)
		q->list.cursor = *cursor;
	q->r.op_case = KARTOTEKA__REQUEST__OP_ALERT_LIST;
	q->r.alert_list = &q->list;
	return &q->r;
}

static Kartoteka__Request *
ack(req_t *q, uint64_t id)
{
	kartoteka__request__init(&q->r);
	kartoteka__alert_ack_request__init(&q->ack);
	q->ack.id = id;
	q->r.op_case = KARTOTEKA__REQUEST__OP_ALERT_ACK;
	q->r.alert_ack = &q->ack;
	return &q->r;
}

static void
owner_pages_alerts(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t north = kt_h_branch(h, "North");
	uint64_t masha = kt_h_user(h, "masha", MANAGER, north, 0);
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	Kartoteka__Response *r;
	ProtobufCBinaryData cur;
	uint8_t curbuf[16];
	kt_h_entry_t e;
	req_t q;

	(void)state;
	raise_one(h, KT_ALERT_QUOTA_WARN, masha, 0);
	raise_one(h, KT_ALERT_MERGE, masha, 12);
	raise_one(h, KT_ALERT_EXPORT, h->owner, 0);
	r = kt_h_call(h, o, list(&q, 0, 2, NULL));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_ALERT_LIST);
	assert_int_equal(r->alert_list->n_alerts, 2);
	assert_true(r->alert_list->open == 3);
	assert_true(r->alert_list->alerts[0]->id == 3);
	assert_string_equal(r->alert_list->alerts[0]->kind, "export");
	assert_string_equal(r->alert_list->alerts[1]->kind, "client.duplicate");
	assert_string_equal(r->alert_list->alerts[1]->user, "masha");
	assert_true(r->alert_list->alerts[1]->client_id == 12);
	assert_true(r->alert_list->alerts[1]->what[0] != '\0');
	assert_int_equal(r->alert_list->next_cursor.len, 8);
	memcpy(curbuf, r->alert_list->next_cursor.data, 8);
	cur.data = curbuf;
	cur.len = 8;
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "alert.list");
	assert_string_equal(e.detail, "rows=2 open=3");
	r = kt_h_call(h, o, list(&q, 0, 2, &cur));
	kt_h_expect_ok(r);
	assert_int_equal(r->alert_list->n_alerts, 1);
	assert_true(r->alert_list->alerts[0]->id == 1);
	assert_string_equal(r->alert_list->alerts[0]->kind, "quota.warn");
	assert_true(r->alert_list->alerts[0]->count == 160 &&
	    r->alert_list->alerts[0]->limit == 200);
	assert_int_equal(r->alert_list->next_cursor.len, 0);
	/* A cursor that no page gave. */
	cur.len = 3;
	kt_h_expect_error(kt_h_call(h, o, list(&q, 0, 2, &cur)), E_BAD,
	    "cursor: not a cursor from a previous page");
	kt_h_free(h);
}

static void
ack_once_then_all_shows_it(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	Kartoteka__Response *r;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	raise_one(h, KT_ALERT_LOCKOUT, h->owner, 0);
	raise_one(h, KT_ALERT_SPIKE, h->owner, 0);
	r = kt_h_call(h, o, ack(&q, 1));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_ALERT);
	assert_true(r->alert->alert->acked_at > 0);
	assert_true(r->alert->alert->acked_by[0] != '\0');
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "alert.ack");
	assert_string_equal(e.object, "alert:1");
	/* Twice: the same answer, nothing new but the audit's word. */
	kt_h_expect_ok(kt_h_call(h, o, ack(&q, 1)));
	assert_string_equal(kt_h_audit_last(h).detail, "acknowledged before");
	kt_h_expect_error(kt_h_call(h, o, ack(&q, 99)), E_NOT_FOUND,
	    "no alert 99");
	kt_h_expect_error(kt_h_call(h, o, ack(&q, 0)), E_BAD,
	    "id: name the alert to acknowledge");
	r = kt_h_call(h, o, list(&q, 0, 0, NULL));
	assert_int_equal(r->alert_list->n_alerts, 1);
	assert_true(r->alert_list->open == 1);
	r = kt_h_call(h, o, list(&q, 1, 0, NULL));
	assert_int_equal(r->alert_list->n_alerts, 2);
	assert_true(r->alert_list->alerts[1]->acked_at > 0);
	kt_h_free(h);
}

static void
staff_refused_audited(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t north = kt_h_branch(h, "North");
	uint64_t masha = kt_h_user(h, "masha", MANAGER, north, 0);
	uint64_t galina = kt_h_user(h, "galina", HEAD, north, 0);
	kt_conn_t *m = kt_h_session(h, masha, north);
	kt_conn_t *g = kt_h_session(h, galina, north);
	kt_h_entry_t e;
	req_t q;

	(void)state;
	raise_one(h, KT_ALERT_QUOTA_SPENT, masha, 0);
	kt_h_expect_error(kt_h_call(h, m, list(&q, 1, 0, NULL)), E_FORBIDDEN,
	    NULL);
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "alert.list");
	assert_int_equal(e.outcome, E_FORBIDDEN);
	assert_true(e.user == masha);
	kt_h_expect_error(kt_h_call(h, g, ack(&q, 1)), E_FORBIDDEN, NULL);
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "alert.ack");
	assert_true(e.user == galina);
	assert_int_equal(kt_h_alerts(h, KT_ALERT_QUOTA_SPENT, NULL), 1);
	kt_h_free(h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(owner_pages_alerts),
	cmocka_unit_test(ack_once_then_all_shows_it),
	cmocka_unit_test(staff_refused_audited),
};

KT_TEST_MAIN(tests)
