/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/export.c through kt_dispatch_message on the fake
 * network: the owner's export streams in chunks with more = true whose
 * bytes hash to the last chunk's blake2b and to the audit entry's, the
 * last chunk leaving only once that entry is committed; heads and
 * managers are refused, audited; bad input names its field and exports
 * nothing; a reader that goes away mid-stream is audited as such. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kt_test.h"

#include "kt_error.h"
#include "model/alert_store.h"
#include "model/client_store.h"
#include "records.pb-c.h"
#include "server/harness.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define E_UNAVAILABLE KARTOTEKA__ERROR__CODE__UNAVAILABLE
#define HEAD KARTOTEKA__ROLE__HEAD
#define MANAGER KARTOTEKA__ROLE__MANAGER

/* ---- the world -------------------------------------------------------------- */

typedef struct cards_job {
	uint64_t n, branch, manager;
} cards_job_t;

/* n cards of branch, one person with a phone each. */
static int
cards_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	cards_job_t *j = arg;
	Ktstore__ClientRecord r;
	Ktstore__PersonRecord p, *pp[1] = { &p };
	char title[48], phone[16], *phones[1] = { phone };
	int rc;

	for (uint64_t i = 1; i <= j->n; i++) {
		ktstore__client_record__init(&r);
		ktstore__person_record__init(&p);
		snprintf(title, sizeof(title), "Family %" PRIu64, i);
		snprintf(phone, sizeof(phone), "+7912%07" PRIu64, i);
		p.name = "Anna";
		p.phones = phones;
		p.n_phones = 1;
		r.id = i;
		r.branch = j->branch;
		r.manager = j->manager;
		r.title = title;
		r.status = KARTOTEKA__CLIENT_STATUS__ACTIVE;
		r.people = pp;
		r.n_people = 1;
		r.created_at = 1700000000;
		r.version = 1;
		if ((rc = kt_cstore_put(txn, kt_store_dbs(st), NULL, &r,
		    NULL)) != 0)
			return rc;
	}
	return 0;
}

static void
cards(kt_h_t *h, uint64_t n, uint64_t branch, uint64_t manager)
{
	cards_job_t j = { n, branch, manager };

	assert_int_equal(kt_h_write(h, cards_mut, &j), 0);
}

typedef struct ex {
	Kartoteka__Request r;
	Kartoteka__ExportRequest e;
	Kartoteka__ClientListRequest f;
} ex_t;

static Kartoteka__Request *
export_req(ex_t *q, uint32_t fmt)
{
	kartoteka__request__init(&q->r);
	kartoteka__export_request__init(&q->e);
	kartoteka__client_list_request__init(&q->f);
	q->e.format = (Kartoteka__ExportFormat)fmt;
	q->e.filter = &q->f;
	q->r.op_case = KARTOTEKA__REQUEST__OP_EXPORT;
	q->r.export = &q->e;
	return &q->r;
}


/* The newest alert, copied; kind 0 when there is none. */
typedef struct alert_seen {
	uint32_t kind;
	uint64_t user, count, limit, n;
	char detail[256];
} alert_seen_t;

static int
alert_copy(const Ktstore__AlertRecord *rec, void *arg)
{
	alert_seen_t *a = arg;

	if (a->n++ == 0) {
		a->kind = rec->kind;
		a->user = rec->user_id;
		a->count = rec->count;
		a->limit = rec->limit;
		snprintf(a->detail, sizeof(a->detail), "%s", rec->detail);
	}
	return 0;
}

/* The newest alert and, in n, how many there are. */
static alert_seen_t
alerts(kt_h_t *h)
{
	alert_seen_t a = { 0 };
	MDB_txn *txn;

	assert_int_equal(kt_store_read_begin(h->srv->store, &txn), 0);
	assert_int_equal(kt_alert_each(txn, kt_store_dbs(h->srv->store), 0, 1,
	    0, alert_copy, &a, NULL), 0);
	kt_store_read_end(h->srv->store, txn);
	return a;
}

static int
export_audited(void *arg)
{
	return strcmp(kt_h_audit_last(arg).action, "export") == 0;
}

/* ---- tests -------------------------------------------------------------------- */

static void
owner_export_streams_then_audits(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	crypto_generichash_state hs;
	uint8_t hash[32];
	char hex[65], want[120];
	size_t n, bytes = 0;
	uint64_t before;
	Kartoteka__Response *resp;
	kt_h_entry_t e;
	alert_seen_t al;
	ex_t q;

	(void)state;
	cards(h, 3000, b, h->owner);
	before = kt_h_audit_count(h);
	kt_h_watch_audit(h, c);
	kt_h_send(h, c, export_req(&q, 0));
	kt_h_run_until(h, kt_h_stream_ended, c);
	n = kt_fake_conn_nsent(c);
	assert_true(n >= 3);
	crypto_generichash_init(&hs, NULL, 0, 32);
	for (size_t i = 0; i < n; i++) {
		resp = kt_h_answer(h, c, i);
		kt_h_expect_ok(resp);
		assert_int_equal(resp->result_case,
		    KARTOTEKA__RESPONSE__RESULT_EXPORT);
		assert_true(resp->more == (i + 1 < n));
		assert_true(resp->export->total == 3000);
		crypto_generichash_update(&hs, resp->export->data.data,
		    resp->export->data.len);
		bytes += resp->export->data.len;
		/* Every chunk but the last left before the entry existed. */
		if (i + 1 < n) {
			assert_true(kt_h_audit_when_sent(h, c, i).seq == before);
			assert_true(resp->export->blake2b == NULL ||
			    resp->export->blake2b[0] == '\0');
		}
	}
	crypto_generichash_final(&hs, hash, 32);
	sodium_bin2hex(hex, sizeof(hex), hash, 32);
	resp = kt_h_answer(h, c, n - 1);
	assert_true(resp->export->rows == 3000);
	assert_string_equal(resp->export->blake2b, hex);
	/* The last one left after the entry with the same hash. */
	e = kt_h_audit_when_sent(h, c, n - 1);
	assert_true(e.seq == before + 1);
	assert_string_equal(e.action, "export");
	assert_int_equal(e.outcome, 0);
	assert_true(e.user == h->owner);
	snprintf(want, sizeof(want), "rows=3000 total=3000 bytes=%zu blake2b=%s",
	    bytes, hex);
	assert_non_null(strstr(e.detail, want));
	assert_non_null(strstr(e.detail, "format=csv all "));
	/* Contacts never reach the audit. */
	assert_null(strstr(e.detail, "+7912"));
	/* The owner's alert, committed with the entry: counts and the hash. */
	al = alerts(h);
	assert_int_equal(al.n, 1);
	assert_int_equal(al.kind, KT_ALERT_EXPORT);
	assert_true(al.user == h->owner);
	assert_true(al.count == 3000 && al.limit == 3000);
	snprintf(want, sizeof(want), "format=csv rows=3000 bytes=%zu blake2b=%s",
	    bytes, hex);
	assert_string_equal(al.detail, want);
	kt_h_settle(h);
	kt_h_free(h);
}

static void
filter_narrows_and_is_audited(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t s = kt_h_branch(h, "South");
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	Kartoteka__Response *resp;
	kt_h_entry_t e;
	char want[64];
	ex_t q;

	(void)state;
	cards(h, 5, b, h->owner);
	export_req(&q, 2);
	q.f.branch = "South";
	q.f.tag = "нет такого";
	resp = kt_h_call(h, c, &q.r);
	/* Nothing matches: one chunk, the last, empty. */
	kt_h_expect_ok(resp);
	assert_false(resp->more);
	assert_int_equal(resp->export->data.len, 0);
	assert_true(resp->export->rows == 0);
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "export");
	snprintf(want, sizeof(want), "format=vcard branch=%" PRIu64 " tag=", s);
	assert_non_null(strstr(e.detail, want));
	assert_non_null(strstr(e.detail, " rows=0 total=0 bytes=0 "));
	kt_h_free(h);
}

static void
head_and_manager_refused_audited(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	uint64_t g = kt_h_user(h, "galina", HEAD, b, 0);
	kt_conn_t *cm = kt_h_session(h, m, b);
	kt_conn_t *cg = kt_h_session(h, g, b);
	kt_h_entry_t e;
	ex_t q;

	(void)state;
	cards(h, 3, b, m);
	kt_h_expect_error(kt_h_call(h, cm, export_req(&q, 0)), E_FORBIDDEN,
	    "only the owner can export the client base");
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "export");
	assert_int_equal(e.outcome, E_FORBIDDEN);
	assert_true(e.user == m);
	kt_h_expect_error(kt_h_call(h, cg, export_req(&q, 1)), E_FORBIDDEN,
	    "only the owner can export the client base");
	e = kt_h_audit_last(h);
	assert_int_equal(e.outcome, E_FORBIDDEN);
	assert_true(e.user == g);
	/* One answer each, no chunk; nothing left, so no export alert (the
	 * refusal is in the audit). */
	assert_int_equal(kt_fake_conn_nsent(cm), 1);
	assert_int_equal(kt_fake_conn_nsent(cg), 1);
	assert_int_equal(alerts(h).n, 0);
	kt_h_free(h);
}

static void
bad_input_named_nothing_exported(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	uint64_t before;
	ex_t q;

	(void)state;
	cards(h, 3, b, h->owner);
	before = kt_h_audit_count(h);
	kt_h_expect_error(kt_h_call(h, c, export_req(&q, 7)), E_BAD,
	    "format: 7 is not one of csv (0), csv-excel (1), vcard (2)");
	export_req(&q, 0);
	q.f.birth_month = 13;
	kt_h_expect_error(kt_h_call(h, c, &q.r), E_BAD,
	    "filter.birth_month: must be 1 to 12");
	/* No chunk ever left, nothing to audit. */
	assert_int_equal(kt_fake_conn_nsent(c), 2);
	assert_true(kt_h_audit_count(h) == before);
	/* A branch or login that does not exist filters to nothing, as in
	 * client list (kt_cq_filter_from_request). */
	export_req(&q, 0);
	q.f.branch = "Nowhere";
	kt_h_expect_ok(kt_h_call(h, c, &q.r));
	assert_true(kt_h_last(h, c)->export->rows == 0);
	export_req(&q, 0);
	q.f.manager = "nobody";
	kt_h_expect_ok(kt_h_call(h, c, &q.r));
	assert_true(kt_h_last(h, c)->export->rows == 0);
	/* No filter at all is the whole base. */
	export_req(&q, 0);
	q.r.export->filter = NULL;
	kt_h_expect_ok(kt_h_call(h, c, &q.r));
	assert_true(kt_h_last(h, c)->export->rows == 3);
	kt_h_free(h);
}

static void
reader_gone_audited(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	kt_h_entry_t e;
	ex_t q;

	(void)state;
	cards(h, 3000, b, h->owner);
	/* The owner's terminal stops reading; then it is gone. */
	kt_fake_conn_set_queued(c, 1u << 20);
	kt_h_send(h, c, export_req(&q, 0));
	for (int i = 0; i < 50; i++)
		kt_h_poll(h);
	assert_int_equal(kt_fake_conn_nsent(c), 0);
	kt_h_drop(h, c);
	kt_h_run_until(h, export_audited, h);
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "export");
	assert_int_equal(e.outcome, E_UNAVAILABLE);
	assert_non_null(strstr(e.detail, "not completed: the connection went "
	    "away"));
	assert_non_null(strstr(e.detail, "total=3000"));
	/* Part of the base may have left: the owner hears of it too. */
	assert_int_equal(alerts(h).kind, KT_ALERT_EXPORT);
	assert_non_null(strstr(alerts(h).detail, " not completed"));
	kt_h_free(h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(owner_export_streams_then_audits),
	cmocka_unit_test(filter_narrows_and_is_audited),
	cmocka_unit_test(head_and_manager_refused_audited),
	cmocka_unit_test(bad_input_named_nothing_exported),
	cmocka_unit_test(reader_gone_audited),
};

KT_TEST_MAIN(tests)
