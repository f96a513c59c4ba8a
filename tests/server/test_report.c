/* SPDX-License-Identifier: MIT */
/* Tests for server/jobs/report.c against a harness store, called
 * directly in a read transaction: the month of a time in the window; a
 * query out of range refused; the day a card became a client read from
 * its history (a lead made active inside the window counts in that
 * month, one made active before the window does not, a card created
 * active counts at its creation, a former one that never was active
 * not); the scope by manager, by branch, by a caller's branches, and
 * empty for a caller with none. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kt_test.h"

#include "jobs/report.h"
#include "kt_error.h"
#include "model/client_store.h"
#include "server/harness.h"

#define MANAGER KARTOTEKA__ROLE__MANAGER
#define DAY_S 86400

typedef struct req {
	Kartoteka__Request r;
	Kartoteka__ClientAddRequest cadd;
	Kartoteka__Client c;
} req_t;

static uint64_t
client(kt_h_t *h, kt_conn_t *c, const char *title, uint32_t status)
{
	Kartoteka__Response *r;
	req_t q;

	kartoteka__request__init(&q.r);
	kartoteka__client_add_request__init(&q.cadd);
	kartoteka__client__init(&q.c);
	q.c.title = (char *)title;
	q.c.status = (Kartoteka__ClientStatus)status;
	q.cadd.client = &q.c;
	q.r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_ADD;
	q.r.client_add = &q.cadd;
	r = kt_h_call(h, c, &q.r);
	kt_h_expect_ok(r);
	return r->client->client->id;
}

/* A new version of card id with status, written at time at. */
typedef struct restatus {
	uint64_t id;
	uint32_t status;
	int64_t at;
} restatus_t;

static int
restatus_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	const restatus_t *p = arg;
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__ClientRecord *old = NULL, *rec = NULL;
	kt_chist_who_t who = { .time = p->at, .action = "client.edit" };
	int rc;

	if ((rc = kt_cstore_get(txn, db, p->id, &old)) != 0)
		return rc;
	if ((rc = kt_cstore_get(txn, db, p->id, &rec)) == 0) {
		rec->status = p->status;
		rec->version++;
		rc = kt_cstore_put(txn, db, old, rec, &who);
	}
	protobuf_c_message_free_unpacked(&old->base, NULL);
	if (rec != NULL)
		protobuf_c_message_free_unpacked(&rec->base, NULL);
	return rc;
}

/* Three 30-day "months" ending a day from now. */
static void
window(kt_report_query_t *q, int64_t now)
{
	memset(q, 0, sizeof(*q));
	q->months = 3;
	for (unsigned i = 0; i <= 3; i++)
		q->bounds[i] = now + DAY_S - (int64_t)(3 - i) * 30 * DAY_S;
}

static int
build(kt_h_t *h, const kt_report_query_t *q, kt_report_t *out)
{
	MDB_txn *txn = NULL;
	int rc;

	assert_int_equal(kt_store_read_begin(h->srv->store, &txn), 0);
	rc = kt_report_build(txn, kt_store_dbs(h->srv->store), q, out);
	kt_store_read_end(h->srv->store, txn);
	return rc;
}

static void
month_of_and_bad_queries(void **state)
{
	kt_report_query_t q;
	kt_report_t *out = malloc(sizeof(*out));
	kt_h_t *h = kt_h_new();

	(void)state;
	assert_non_null(out);
	window(&q, 1000000000);
	assert_int_equal(kt_report_month_of(&q, q.bounds[0] - 1), -1);
	assert_int_equal(kt_report_month_of(&q, q.bounds[0]), 0);
	assert_int_equal(kt_report_month_of(&q, q.bounds[1] - 1), 0);
	assert_int_equal(kt_report_month_of(&q, q.bounds[1]), 1);
	assert_int_equal(kt_report_month_of(&q, q.bounds[3] - 1), 2);
	assert_int_equal(kt_report_month_of(&q, q.bounds[3]), -1);
	q.months = 0;
	assert_int_equal(build(h, &q, out), KT_EINVAL);
	q.months = KT_REPORT_MONTHS_MAX + 1;
	assert_int_equal(build(h, &q, out), KT_EINVAL);
	window(&q, 1000000000);
	q.bounds[2] = q.bounds[1];
	assert_int_equal(build(h, &q, out), KT_EINVAL);
	/* an empty base: all zero */
	window(&q, 1000000000);
	assert_int_equal(build(h, &q, out), 0);
	assert_int_equal(out->clients, 0);
	assert_int_equal(out->nsmall, 0);
	free(out);
	kt_h_free(h);
}

static void
became_client_from_history(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t north = kt_h_branch(h, "North"), south = kt_h_branch(h,
	    "South");
	uint64_t masha = kt_h_user(h, "masha", MANAGER, north, 0);
	uint64_t vera = kt_h_user(h, "vera", MANAGER, south, 0);
	kt_conn_t *m = kt_h_session(h, masha, north),
	    *v = kt_h_session(h, vera, south);
	int64_t now = (int64_t)time(NULL);
	kt_report_t *out = malloc(sizeof(*out));
	kt_report_query_t q;
	uint64_t lead, early, made, former;
	restatus_t p;

	(void)state;
	assert_non_null(out);
	lead = client(h, m, "Ивановы", KARTOTEKA__CLIENT_STATUS__LEAD);
	early = client(h, m, "Петровы", KARTOTEKA__CLIENT_STATUS__LEAD);
	made = client(h, m, "Сидоровы", KARTOTEKA__CLIENT_STATUS__ACTIVE);
	former = client(h, v, "Южные", KARTOTEKA__CLIENT_STATUS__FORMER);
	(void)made;
	(void)former;
	/* the lead became a client 40 days ago (month 1 of the window);
	 * early one 200 days ago, before the window, then became former and
	 * active again today */
	p = (restatus_t){ lead, KARTOTEKA__CLIENT_STATUS__ACTIVE,
		now - 40 * DAY_S };
	assert_int_equal(kt_h_write(h, restatus_mut, &p), 0);
	p = (restatus_t){ early, KARTOTEKA__CLIENT_STATUS__ACTIVE,
		now - 200 * DAY_S };
	assert_int_equal(kt_h_write(h, restatus_mut, &p), 0);
	window(&q, now);
	assert_int_equal(build(h, &q, out), 0);
	assert_int_equal(out->clients, 4);
	assert_int_equal(out->active, 3);
	assert_int_equal(out->former, 1);
	assert_int_equal(out->new_clients[0], 0);
	assert_int_equal(out->new_clients[1], 1);
	/* made: created active today */
	assert_int_equal(out->new_clients[2], 1);
	assert_int_equal(out->new_cards[2], 4);
	assert_int_equal(out->window_converted, 4);
	assert_int_equal(out->nsmall, 4);
	p = (restatus_t){ early, KARTOTEKA__CLIENT_STATUS__FORMER, now - 1 };
	assert_int_equal(kt_h_write(h, restatus_mut, &p), 0);
	p = (restatus_t){ early, KARTOTEKA__CLIENT_STATUS__ACTIVE, now };
	assert_int_equal(kt_h_write(h, restatus_mut, &p), 0);
	assert_int_equal(build(h, &q, out), 0);
	assert_int_equal(out->new_clients[2], 2);
	/* the scope: by manager, by branch, by the caller's branches */
	q.manager = vera;
	assert_int_equal(build(h, &q, out), 0);
	assert_int_equal(out->clients, 1);
	assert_int_equal(out->small[0], former);
	q.manager = 0;
	q.branch = north;
	assert_int_equal(build(h, &q, out), 0);
	assert_int_equal(out->clients, 3);
	q.branch = south;
	q.branches = &north;
	q.nbranches = 1;
	assert_int_equal(build(h, &q, out), 0);
	assert_int_equal(out->clients, 0);
	q.branch = 0;
	assert_int_equal(build(h, &q, out), 0);
	assert_int_equal(out->clients, 3);
	assert_int_equal(out->no_source, 3);
	/* a caller who sees no branch: nothing, not everything */
	q.nbranches = 0;
	q.none = 1;
	assert_int_equal(build(h, &q, out), 0);
	assert_int_equal(out->clients, 0);
	assert_int_equal(out->new_clients[2], 0);
	free(out);
	kt_h_free(h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(month_of_and_bad_queries),
	cmocka_unit_test(became_client_from_history),
};

KT_TEST_MAIN(tests)
