/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/audit.c through kt_dispatch_message on the fake
 * network: the owner's audit list (filters, names resolved, details
 * whole, pages that see every entry once, an unknown login answered like
 * an empty result), the per-day summary, a signed checkpoint that the
 * verifier accepts, and the refusals of everyone else, audited. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "kt_test.h"

#include "kt_error.h"
#include "model/audit.h"
#include "model/bizday.h"
#include "model/identity.h"
#include "ops/audit.h"
#include "server/harness.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define MANAGER KARTOTEKA__ROLE__MANAGER
#define HEAD KARTOTEKA__ROLE__HEAD

typedef struct req {
	Kartoteka__Request r;
	union {
		Kartoteka__AuditListRequest list;
		Kartoteka__AuditSummaryRequest sum;
		Kartoteka__AuditCheckpointRequest cp;
	} u;
} req_t;

static Kartoteka__Request *
list(req_t *q, const char *user, uint64_t client, const char *action)
{
	kartoteka__request__init(&q->r);
	kartoteka__audit_list_request__init(&q->u.list);
	q->u.list.user = (char *)user;
	q->u.list.client = client;
	q->u.list.action = (char *)action;
	q->r.op_case = KARTOTEKA__REQUEST__OP_AUDIT_LIST;
	q->r.audit_list = &q->u.list;
	return &q->r;
}

static Kartoteka__Request *
summary(req_t *q, const char *login, uint32_t days)
{
	kartoteka__request__init(&q->r);
	kartoteka__audit_summary_request__init(&q->u.sum);
	q->u.sum.login = (char *)login;
	q->u.sum.days = days;
	q->r.op_case = KARTOTEKA__REQUEST__OP_AUDIT_SUMMARY;
	q->r.audit_summary = &q->u.sum;
	return &q->r;
}

static Kartoteka__Request *
checkpoint(req_t *q, int latest)
{
	kartoteka__request__init(&q->r);
	kartoteka__audit_checkpoint_request__init(&q->u.cp);
	q->u.cp.latest = latest;
	q->r.op_case = KARTOTEKA__REQUEST__OP_AUDIT_CHECKPOINT;
	q->r.audit_checkpoint = &q->u.cp;
	return &q->r;
}

/* Entries as a user at a terminal would leave them. */
typedef struct rec_job {
	uint64_t user;
	const uint8_t *key;
	const char *action, *object, *detail;
	uint32_t outcome;
	unsigned times;
} rec_job_t;

static int
rec_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	rec_job_t *j = arg;
	kt_actor_t a = { j->user, j->key, NULL };
	int rc = 0;

	for (unsigned i = 0; i < j->times && rc == 0; i++)
		rc = kt_audit_record(st, txn, &a,
		    kt_audit_action_by_name(j->action), j->object, j->outcome,
		    j->detail);
	return rc;
}

static void
rec(kt_h_t *h, uint64_t user, const uint8_t *key, const char *action,
    const char *object, uint32_t outcome, const char *detail, unsigned times)
{
	rec_job_t j = { user, key, action, object, detail, outcome, times };

	assert_int_equal(kt_h_write(h, rec_mut, &j), 0);
}

/* ---- tests ------------------------------------------------------------------ */

static void
list_filters_and_resolves_names(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	char longd[1500];
	Kartoteka__AuditListResponse *al;
	Kartoteka__Response *r;
	kt_h_entry_t e;
	uint8_t key[32];
	req_t q;

	(void)state;
	kt_h_terminal(h, b, "north desk 1", key);
	memset(longd, 'x', sizeof(longd) - 1);
	longd[sizeof(longd) - 1] = '\0';
	rec(h, m, key, "client.view", "client:7", 0, "views today 1", 1);
	rec(h, m, key, "client.edit", "client:7", 0, longd, 1);
	rec(h, m, key, "client.view", "client:8", 0, "views today 2", 1);
	rec(h, h->owner, NULL, "client.view", "client:7", 0, "", 1);

	r = kt_h_call(h, o, list(&q, "masha", 0, NULL));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_AUDIT_LIST);
	al = r->audit_list;
	assert_int_equal(al->n_entries, 3);
	assert_string_equal(al->entries[0]->user, "masha");
	assert_string_equal(al->entries[0]->terminal, "north desk 1");
	assert_string_equal(al->entries[0]->branch, "North");
	assert_int_equal(al->entries[0]->terminal_key.len, 32);
	assert_memory_equal(al->entries[0]->terminal_key.data, key, 32);
	/* A long detail comes whole. */
	assert_string_equal(al->entries[1]->detail, longd);
	/* The query itself is on the record, with what it asked. */
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "audit.list");
	assert_true(e.user == h->owner);
	assert_non_null(strstr(e.detail, "user=masha"));
	assert_non_null(strstr(e.detail, "rows=3"));

	/* Who saw client 7: masha and the owner. */
	al = kt_h_call(h, o, list(&q, NULL, 7, "client.view"))->audit_list;
	assert_int_equal(al->n_entries, 2);
	assert_string_equal(al->entries[1]->user, KT_H_OWNER);
	assert_string_equal(al->entries[1]->terminal, "");
	/* An action prefix. */
	al = kt_h_call(h, o, list(&q, "masha", 0, "client."))->audit_list;
	assert_int_equal(al->n_entries, 3);
	al = kt_h_call(h, o, list(&q, "masha", 0, "client.edit"))->audit_list;
	assert_int_equal(al->n_entries, 1);
	kt_h_free(h);
}

static void
unknown_login_answers_like_empty(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	Kartoteka__Response *r1, *r2;
	req_t q;

	(void)state;
	(void)kt_h_user(h, "quiet", MANAGER, b, 0);
	r1 = kt_h_call(h, o, list(&q, "quiet", 0, NULL));
	r2 = kt_h_call(h, o, list(&q, "nosuchlogin", 0, NULL));
	kt_h_expect_ok(r1);
	kt_h_expect_ok(r2);
	assert_int_equal(r1->audit_list->n_entries, 0);
	assert_int_equal(r2->audit_list->n_entries, 0);
	assert_int_equal(r1->audit_list->next_cursor.len,
	    r2->audit_list->next_cursor.len);
	/* The same scan either way. */
	assert_true(r1->audit_list->scanned + 1 == r2->audit_list->scanned);
	r1 = kt_h_call(h, o, summary(&q, "nosuchlogin", 3));
	kt_h_expect_ok(r1);
	assert_int_equal(r1->audit_summary->n_days, 3);
	kt_h_free(h);
}

static void
pages_see_every_entry_once(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	ProtobufCBinaryData cur = { 0, NULL };
	uint8_t curbuf[64];
	uint64_t last = 0, seen = 0;
	Kartoteka__Response *r;
	req_t q;
	int pages = 0;

	(void)state;
	rec(h, m, NULL, "client.view", "client:1", 0, "views today 1", 2500);
	do {
		list(&q, "masha", 0, NULL);
		q.u.list.limit = 300;
		q.u.list.cursor = cur;
		r = kt_h_call(h, o, &q.r);
		kt_h_expect_ok(r);
		for (size_t i = 0; i < r->audit_list->n_entries; i++) {
			assert_true(r->audit_list->entries[i]->seq > last);
			last = r->audit_list->entries[i]->seq;
			seen++;
		}
		assert_true(r->audit_list->next_cursor.len <= sizeof curbuf);
		if (r->audit_list->next_cursor.len != 0)
			memcpy(curbuf, r->audit_list->next_cursor.data,
			    r->audit_list->next_cursor.len);
		cur.data = curbuf;
		cur.len = r->audit_list->next_cursor.len;
		pages++;
	} while (cur.len != 0 && pages < 100);
	assert_true(seen == 2500);
	assert_true(pages >= 9);
	/* A cursor that is not one is named. */
	list(&q, NULL, 0, NULL);
	q.u.list.cursor.data = (uint8_t *)"zz";
	q.u.list.cursor.len = 2;
	kt_h_expect_error(kt_h_call(h, o, &q.r), E_BAD, NULL);
	assert_non_null(strstr(kt_h_last(h, o)->error->message, "cursor: "));
	kt_h_expect_error(kt_h_call(h, o, list(&q, NULL, 0, "Client View")),
	    E_BAD, NULL);
	assert_non_null(strstr(kt_h_last(h, o)->error->message, "action: "));
	kt_h_free(h);
}

static void
dates_bound_the_scan(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	int64_t now = kt_now_ms();
	Kartoteka__Response *r;
	req_t q;

	(void)state;
	rec(h, h->owner, NULL, "client.view", "client:1", 0, "", 50);
	list(&q, KT_H_OWNER, 0, "client.view");
	q.u.list.from_ms = now - 3600 * 1000;
	q.u.list.to_ms = now + 3600 * 1000;
	r = kt_h_call(h, o, &q.r);
	kt_h_expect_ok(r);
	assert_int_equal(r->audit_list->n_entries, 50);
	/* Tomorrow: nothing, and the binary search skips the log. */
	q.u.list.from_ms = now + 24 * 3600 * 1000;
	q.u.list.to_ms = now + 48 * 3600 * 1000;
	r = kt_h_call(h, o, &q.r);
	kt_h_expect_ok(r);
	assert_int_equal(r->audit_list->n_entries, 0);
	assert_true(r->audit_list->scanned < 5);
	q.u.list.from_ms = now;
	q.u.list.to_ms = now - 1;
	kt_h_expect_error(kt_h_call(h, o, &q.r), E_BAD,
	    "to_ms: must be after from_ms");
	/* The end of time: every entry, and no overflow adding the clock's
	 * slack (fuzz_session's finding, under UBSan). */
	q.u.list.from_ms = 0;
	q.u.list.to_ms = INT64_MAX;
	r = kt_h_call(h, o, &q.r);
	kt_h_expect_ok(r);
	assert_int_equal(r->audit_list->n_entries, 50);
	kt_h_free(h);
}

static void
summary_counts_today(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	Kartoteka__AuditSummaryResponse *s;
	Kartoteka__AuditDay *d;
	Kartoteka__Response *r;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	rec(h, m, NULL, "client.view", "client:1", 0, "views today 1", 3);
	rec(h, m, NULL, "client.list", "clients", 0, "branch=1 rows=5 total=9",
	    1);
	rec(h, m, NULL, "client.find", "clients", 0, "name ann rows=2 total=2",
	    1);
	rec(h, m, NULL, "client.edit", "client:1", 0, "title", 1);
	rec(h, m, NULL, "client.view", "client:2", 6, "quota used up", 1);
	rec(h, h->owner, NULL, "client.view", "client:1", 0, "", 4);
	r = kt_h_call(h, o, summary(&q, "masha", 0));
	kt_h_expect_ok(r);
	s = r->audit_summary;
	assert_string_equal(s->login, "masha");
	assert_int_equal(s->n_days, 30);
	d = s->days[29];
	assert_int_equal(d->views, 3);
	assert_int_equal(d->rows, 7);
	assert_int_equal(d->searches, 1);
	assert_int_equal(d->changes, 1);
	assert_int_equal(d->refusals, 1);
	assert_int_equal(s->days[0]->views, 0);
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "audit.summary");
	kt_h_expect_error(kt_h_call(h, o, summary(&q, "masha", 400)), E_BAD,
	    "days: at most 366");
	kt_h_expect_error(kt_h_call(h, o, summary(&q, "", 1)), E_BAD, NULL);
	kt_h_free(h);
}

/* The days of a summary are the business days of a zone: at 20:00 UTC it
 * is already tomorrow in Vladivostok (UTC+10), whose day began at 14:00
 * UTC. */
static void
summary_days_follow_the_zone(void **state)
{
	kt_tz_t *utc = NULL, *vl = NULL;
	kt_audit_day_t d[2];
	char err[128];
	int64_t now = 1796155200000; /* 2026-12-01 20:00:00 UTC */
	int64_t end;

	(void)state;
	assert_int_equal(kt_tz_load(NULL, "UTC", &utc, err, sizeof err), 0);
	assert_int_equal(kt_tz_load(NULL, "Asia/Vladivostok", &vl, err,
	    sizeof err), 0);
	kt_audit_summary_days(utc, now, 2, d, &end);
	assert_string_equal(d[1].date, "2026-12-01");
	assert_string_equal(d[0].date, "2026-11-30");
	assert_true(d[1].start_ms == 1796083200000);
	assert_true(end == 1796083200000 + 86400000);
	kt_audit_summary_days(vl, now, 2, d, &end);
	assert_string_equal(d[1].date, "2026-12-02");
	assert_true(d[1].start_ms == 1796133600000);  /* 14:00 UTC */
	assert_true(d[0].start_ms == 1796133600000 - 86400000);
	assert_true(end == 1796133600000 + 86400000);
	kt_tz_free(utc);
	kt_tz_free(vl);
}

static void
checkpoint_is_signed_and_verifies(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	Kartoteka__AuditCheckpointResponse *cp;
	Kartoteka__Response *r;
	kt_audit_cp_t parsed;
	uint8_t pk[32];
	char why[256], path[] = "/tmp/kt-cp-XXXXXX";
	uint64_t bad, last;
	int fd;
	req_t q;

	(void)state;
	r = kt_h_call(h, o, checkpoint(&q, 0));
	kt_h_expect_ok(r);
	cp = r->audit_checkpoint;
	assert_true(cp->seq > 0);
	assert_int_equal(kt_audit_cp_parse(cp->line, strlen(cp->line), &parsed,
	    why, sizeof why), 0);
	assert_true(parsed.seq == cp->seq);
	crypto_sign_ed25519_sk_to_pk(pk, h->srv->sign_sk);
	assert_true(kt_audit_cp_signed_by(&parsed, pk));
	assert_string_equal(kt_h_audit_last(h).action, "audit.checkpoint");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, cp->line, strlen(cp->line)),
	    (ssize_t)strlen(cp->line));
	close(fd);
	assert_int_equal(kt_audit_verify(h->srv->store, pk, path, &bad, &last),
	    0);
	unlink(path);
	/* The latest stored one is the same as long as nothing was signed
	 * since. */
	r = kt_h_call(h, o, checkpoint(&q, 1));
	kt_h_expect_ok(r);
	assert_true(r->audit_checkpoint->seq == parsed.seq);
	kt_h_free(h);
}

static void
others_refused_audited(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	uint64_t g = kt_h_user(h, "galina", HEAD, b, 0);
	kt_conn_t *mc = kt_h_session(h, m, b), *gc = kt_h_session(h, g, b);
	kt_h_entry_t e;
	req_t q;

	(void)state;
	kt_h_expect_error(kt_h_call(h, mc, list(&q, NULL, 0, NULL)),
	    E_FORBIDDEN, "only the owner can read the audit log");
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "audit.list");
	assert_true(e.user == m);
	assert_int_equal(e.outcome, E_FORBIDDEN);
	kt_h_expect_error(kt_h_call(h, gc, summary(&q, "masha", 1)),
	    E_FORBIDDEN, NULL);
	kt_h_expect_error(kt_h_call(h, gc, checkpoint(&q, 0)), E_FORBIDDEN,
	    NULL);
	assert_string_equal(kt_h_audit_last(h).action, "audit.checkpoint");
	kt_h_free(h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(list_filters_and_resolves_names),
	cmocka_unit_test(unknown_login_answers_like_empty),
	cmocka_unit_test(pages_see_every_entry_once),
	cmocka_unit_test(dates_bound_the_scan),
	cmocka_unit_test(summary_counts_today),
	cmocka_unit_test(summary_days_follow_the_zone),
	cmocka_unit_test(checkpoint_is_signed_and_verifies),
	cmocka_unit_test(others_refused_audited),
};

KT_TEST_MAIN(tests)
