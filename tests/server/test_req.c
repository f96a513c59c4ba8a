/* SPDX-License-Identifier: MIT */
/* Tests for server/req.c, the request context, on the fake network: every
 * way of answering ends the request exactly once (its connection
 * reference and the session's count of requests in flight go back), an
 * answer to a closed connection is dropped while its change still
 * commits, audited answers leave only after their entry, a pre-packed
 * answer is the bytes protobuf-c would write, kept memory and secret
 * state go with the request, and the per-address charge is refunded. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kt_test.h"

#include "catalog.h"
#include "kt_error.h"
#include "model/identity.h"
#include "model/user_store.h"
#include "req.h"
#include "server/harness.h"
#include "session.h"

#define E_CONFLICT KARTOTEKA__ERROR__CODE__CONFLICT
#define E_NOT_FOUND KARTOTEKA__ERROR__CODE__NOT_FOUND
#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define E_UNAVAILABLE KARTOTEKA__ERROR__CODE__UNAVAILABLE
#define E_INTERNAL KARTOTEKA__ERROR__CODE__INTERNAL

/* A request context on c with spec (zeroed when NULL). */
static kt_req_t *
new_req(kt_h_t *h, kt_conn_t *c, uint64_t id, const kt_req_spec_t *spec)
{
	kt_req_spec_t zero = { 0 };
	kt_req_t *r = kt_req_new(h->srv, c, id, spec ? spec : &zero);

	assert_non_null(r);
	return r;
}

/* The owner as dispatch would load the caller. */
static void
set_owner(kt_h_t *h, kt_req_t *r)
{
	kt_user_t u;
	MDB_txn *txn;

	assert_int_equal(kt_store_read_begin(h->srv->store, &txn), 0);
	assert_int_equal(kt_user_load(txn, kt_store_dbs(h->srv->store),
	    h->owner, &u), 0);
	kt_store_read_end(h->srv->store, txn);
	kt_req_set_caller(r, &u);
}

static void
ping_response(Kartoteka__Response *resp, Kartoteka__PingResponse *ping,
    const char *version)
{
	kartoteka__response__init(resp);
	kartoteka__ping_response__init(ping);
	ping->server_version = (char *)version;
	ping->server_time = 1234;
	resp->result_case = KARTOTEKA__RESPONSE__RESULT_PING;
	resp->ping = ping;
}

/* 1 when meta key k is in the store. */
static int
meta_has(kt_h_t *h, const char *k)
{
	MDB_txn *txn;
	MDB_val key = { strlen(k), (void *)k }, v;
	int rc;

	assert_int_equal(kt_store_read_begin(h->srv->store, &txn), 0);
	rc = mdb_get(txn, kt_store_dbs(h->srv->store)->meta, &key, &v);
	kt_store_read_end(h->srv->store, txn);
	return rc == 0;
}

/* The state of the write tests: the meta key the mutation writes. */
typedef struct put_st {
	char key[32];
	int fail;                         /* the mutation's result */
	int prepare;                      /* prepare a ping answer */
	int done_status;
	int done_calls;
} put_st_t;

static int
put_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	put_st_t *p = kt_req_state(r);
	MDB_val k = { strlen(p->key), p->key }, v = { 1, "x" };
	int rc;

	if ((rc = kt_store_err(mdb_put(txn, kt_store_dbs(st)->meta, &k, &v,
	    0))) != 0)
		return rc;
	if (p->prepare) {
		Kartoteka__Response resp;
		Kartoteka__PingResponse ping;
		ping_response(&resp, &ping, "prepared");
		if ((rc = kt_req_answer(r, &resp)) != 0)
			return rc;
	}
	return p->fail;
}

static const kt_req_spec_t write_spec = {
	.state_size = sizeof(put_st_t), .write = 1,
	.action = KT_AUDIT_BRANCH_ADD,
};

static kt_req_t *
put_req(kt_h_t *h, kt_conn_t *c, uint64_t id, const char *key)
{
	kt_req_t *r = new_req(h, c, id, &write_spec);
	put_st_t *p = kt_req_state(r);

	snprintf(p->key, sizeof(p->key), "%s", key);
	p->prepare = 1;
	return r;
}

static int
no_inflight(void *arg)
{
	return kt_h_inflight(arg) == 0;
}

/* ---- ending exactly once ----------------------------------------------------- */

static void
reply_ends_once(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	Kartoteka__Response resp, *got;
	Kartoteka__PingResponse ping;
	unsigned refs = kt_fake_conn_refs(c);
	kt_req_t *r;

	(void)state;
	r = new_req(h, c, 7, NULL);
	assert_int_equal(kt_fake_conn_refs(c), refs + 1);
	assert_int_equal(kt_h_inflight(c), 1);
	ping_response(&resp, &ping, "v");
	kt_req_reply(r, &resp);
	assert_int_equal(kt_fake_conn_refs(c), refs);
	assert_int_equal(kt_h_inflight(c), 0);
	assert_int_equal(kt_fake_conn_nsent(c), 1);
	got = kt_h_answer(h, c, 0);
	assert_true(got->id == 7);
	assert_int_equal(got->result_case, KARTOTEKA__RESPONSE__RESULT_PING);
	assert_string_equal(got->ping->server_version, "v");
	assert_false(kt_fake_conn_closed(c));
	kt_h_free(h);
}

static void
fail_ends_once(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	unsigned refs = kt_fake_conn_refs(c);

	(void)state;
	kt_req_fail(new_req(h, c, 8, NULL), E_CONFLICT, "version %d is old",
	    3);
	assert_int_equal(kt_fake_conn_refs(c), refs);
	assert_int_equal(kt_h_inflight(c), 0);
	kt_h_expect_error(kt_h_answer(h, c, 0), E_CONFLICT,
	    "version 3 is old");
	assert_true(kt_h_answer(h, c, 0)->id == 8);
	assert_false(kt_fake_conn_closed(c));
	/* fail_close: the answer, then a close after the flush. */
	kt_req_fail_close(new_req(h, c, 9, NULL), E_FORBIDDEN, "go");
	assert_int_equal(kt_fake_conn_refs(c), refs);
	assert_int_equal(kt_h_inflight(c), 0);
	kt_h_expect_error(kt_h_answer(h, c, 1), E_FORBIDDEN, "go");
	assert_true(kt_fake_conn_flush(c));
	kt_h_free(h);
}

static void
fail_field_names_the_field(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	const Kartoteka__Response *a;

	(void)state;
	/* From the message's own path. */
	kt_req_fail_field(new_req(h, c, 5, NULL), KARTOTEKA__ERROR__CODE__BAD_REQUEST, NULL,
	    "people[%d].phones[0]: '12' is too short", 1);
	a = kt_h_answer(h, c, 0);
	kt_h_expect_error(a, KARTOTEKA__ERROR__CODE__BAD_REQUEST, "people[1].phones[0]: '12' is too short");
	assert_string_equal(a->error->field, "people[1].phones[0]");
	assert_true(a->id == 5);
	/* Named by the caller. */
	kt_req_fail_field(new_req(h, c, 6, NULL), KARTOTEKA__ERROR__CODE__BAD_REQUEST, "title", "is empty");
	a = kt_h_answer(h, c, 1);
	assert_string_equal(a->error->field, "title");
	/* A message that begins with no path names no field. */
	kt_req_fail_field(new_req(h, c, 7, NULL), KARTOTEKA__ERROR__CODE__BAD_REQUEST, NULL,
	    "a card holds: at most 8 people");
	a = kt_h_answer(h, c, 2);
	assert_string_equal(a->error->field, "");
	assert_int_equal(kt_h_inflight(c), 0);
	assert_false(kt_fake_conn_closed(c));
	kt_h_free(h);
}

/* The client's language (ClientHello.language) translates every error's
 * text; the code, the id and Error.field stay, and English stays for a
 * connection that named none. */
static void
errors_in_the_clients_language(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *ru = kt_h_connect_enrolled(h, 0, NULL);
	kt_conn_t *en = kt_h_connect_enrolled(h, 0, NULL);
	const Kartoteka__Response *a;
	char err[256];
	kt_req_t *r;

	(void)state;
	h->srv->catalog = kt_catalog_new();
	assert_int_equal(kt_catalog_load_file(h->srv->catalog, "ru",
	    KT_CATALOG_DIR "/little.mo", err, sizeof(err)), 0);
	kt_fake_conn_set_lang(ru, "ru");
	kt_req_fail(new_req(h, ru, 3, NULL), E_NOT_FOUND, "no client %" PRIu64,
	    (uint64_t)42);
	kt_h_expect_error(kt_h_answer(h, ru, 0), E_NOT_FOUND, "нет клиента 42");
	kt_req_fail(new_req(h, en, 3, NULL), E_NOT_FOUND, "no client %" PRIu64,
	    (uint64_t)42);
	kt_h_expect_error(kt_h_answer(h, en, 0), E_NOT_FOUND, "no client 42");
	/* the field is read off the English message */
	kt_req_fail_field(new_req(h, ru, 4, NULL), E_BAD, NULL,
	    "%s: '%s' is not a phone number", "people[0].phones[1]", "12");
	a = kt_h_answer(h, ru, 1);
	kt_h_expect_error(a, E_BAD,
	    "people[0].phones[1]: «12» — не номер телефона");
	assert_string_equal(a->error->field, "people[0].phones[1]");
	/* an answer prepared off the loop */
	r = new_req(h, ru, 5, NULL);
	assert_int_equal(kt_req_answer_error(r, E_BAD, "import refused: %s",
	    "store unavailable"), 0);
	kt_req_send_answer(r);
	kt_h_expect_error(kt_h_answer(h, ru, 2), E_BAD,
	    "импорт отклонён: хранилище недоступно");
	/* a message the catalogue does not have stays English */
	kt_req_fail(new_req(h, ru, 6, NULL), E_BAD, "nothing like it");
	kt_h_expect_error(kt_h_answer(h, ru, 3), E_BAD, "nothing like it");
	assert_int_equal(kt_h_inflight(ru), 0);
	kt_h_free(h);
}

static void
refused_and_store_failures(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	kt_verdict_t ok, no;
	kt_req_t *r;

	(void)state;
	kt_verdict_ok(&ok);
	kt_verdict_set(&no, E_CONFLICT, "name: taken");
	r = new_req(h, c, 1, NULL);
	assert_int_equal(kt_req_refused(r, 0, NULL), 0);
	assert_int_equal(kt_req_refused(r, 0, &ok), 0);
	assert_int_equal(kt_h_inflight(c), 1);      /* still the caller's */
	assert_int_equal(kt_req_refused(r, 0, &no), 1);
	assert_int_equal(kt_h_inflight(c), 0);
	kt_h_expect_error(kt_h_last(h, c), E_CONFLICT, "name: taken");
	assert_int_equal(kt_req_refused(new_req(h, c, 2, NULL), KT_ENOSPC,
	    &ok), 1);
	kt_h_expect_error(kt_h_last(h, c), E_UNAVAILABLE, "the server's disk is full: "
	    "nothing was changed; tell the owner");
	kt_req_fail_store(new_req(h, c, 3, NULL), KT_ESHUTDOWN);
	kt_h_expect_error(kt_h_last(h, c), E_UNAVAILABLE,
	    "server is stopping");
	kt_req_fail_store(new_req(h, c, 4, NULL), KT_ESTORE);
	kt_h_expect_error(kt_h_last(h, c), E_UNAVAILABLE,
	    "could not save the change: try again");
	assert_int_equal(kt_fake_conn_refs(c), 1);
	kt_h_free(h);
}

static void
reply_to_closed_is_dropped(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	Kartoteka__Response resp;
	Kartoteka__PingResponse ping;
	kt_req_t *r = new_req(h, c, 1, NULL);

	(void)state;
	kt_conn_close(c, 0);
	assert_false(kt_req_alive(r));
	ping_response(&resp, &ping, "v");
	kt_req_reply(r, &resp);
	assert_int_equal(kt_fake_conn_nsent(c), 0);
	assert_int_equal(kt_fake_conn_dropped(c), 1);
	assert_int_equal(kt_fake_conn_refs(c), 1);
	assert_int_equal(kt_h_inflight(c), 0);
	kt_h_free(h);
}

/* ---- the writer ----------------------------------------------------------------- */

static void
submit_commits_then_answers(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);

	(void)state;
	kt_req_submit(put_req(h, c, 5, "test:one"), put_mut, NULL);
	assert_int_equal(kt_h_inflight(c), 1);
	kt_h_wait(h, c, 1);
	assert_int_equal(kt_h_inflight(c), 0);
	assert_int_equal(kt_fake_conn_refs(c), 1);
	kt_h_expect_ok(kt_h_answer(h, c, 0));
	assert_true(kt_h_answer(h, c, 0)->id == 5);
	assert_string_equal(kt_h_answer(h, c, 0)->ping->server_version,
	    "prepared");
	assert_true(meta_has(h, "test:one"));
	kt_h_free(h);
}

static void
answer_to_closed_conn_dropped_change_commits(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);

	(void)state;
	kt_req_submit(put_req(h, c, 5, "test:closed"), put_mut, NULL);
	kt_conn_close(c, 0);
	kt_h_run_until(h, no_inflight, c);
	assert_int_equal(kt_fake_conn_nsent(c), 0);
	assert_int_equal(kt_fake_conn_dropped(c), 1);
	assert_int_equal(kt_fake_conn_refs(c), 1);
	assert_true(meta_has(h, "test:closed"));
	kt_h_free(h);
}

static int
conn_freed(void *arg)
{
	void **a = arg;

	return !kt_h_alive(a[0], a[1]);
}

static void
dropped_conn_lives_until_request_ends(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	unsigned freed = kt_fake_net_freed(h->net);
	void *args[2] = { h, c };

	(void)state;
	kt_req_submit(put_req(h, c, 5, "test:gone"), put_mut, NULL);
	kt_h_drop(h, c);
	/* The request holds it: its memory and session are still there. */
	assert_true(kt_h_alive(h, c));
	assert_int_equal(kt_fake_conn_refs(c), 1);
	assert_int_equal(kt_h_inflight(c), 1);
	kt_h_run_until(h, conn_freed, args);
	assert_int_equal(kt_fake_net_freed(h->net), freed + 1);
	assert_true(meta_has(h, "test:gone"));
	kt_h_free(h);
}

static void
put_done(kt_req_t *r, int status)
{
	put_st_t *p = kt_req_state(r);

	p->done_calls++;
	p->done_status = status;
	assert_int_equal(p->done_calls, 1);
	if (status != 0)
		kt_req_fail(r, E_INTERNAL, "status %d", status);
	else
		kt_req_send_answer(r);
}

static void
failing_mutation_answers_store_failure(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	kt_writer_t *w;
	kt_req_t *r;

	(void)state;
	r = put_req(h, c, 1, "test:undone");
	((put_st_t *)kt_req_state(r))->fail = KT_EINVAL;
	kt_req_submit(r, put_mut, NULL);
	kt_h_wait(h, c, 1);
	kt_h_expect_error(kt_h_answer(h, c, 0), E_UNAVAILABLE,
	    "could not save the change: try again");
	assert_false(meta_has(h, "test:undone"));
	/* A done callback owns the request and sees the status. */
	r = put_req(h, c, 2, "test:undone2");
	((put_st_t *)kt_req_state(r))->fail = KT_ECONFLICT;
	kt_req_submit(r, put_mut, put_done);
	kt_h_wait(h, c, 2);
	kt_h_expect_error(kt_h_answer(h, c, 1), E_INTERNAL, "status -9");
	/* No writer (stopping): answered at once, nothing written. */
	w = h->srv->writer;
	h->srv->writer = NULL;
	kt_req_submit(put_req(h, c, 3, "test:nowriter"), put_mut, put_done);
	h->srv->writer = w;
	assert_int_equal(kt_fake_conn_nsent(c), 3);
	kt_h_expect_error(kt_h_answer(h, c, 2), E_UNAVAILABLE,
	    "server is stopping");
	assert_int_equal(kt_h_inflight(c), 0);
	assert_int_equal(kt_fake_conn_refs(c), 1);
	kt_h_free(h);
}

/* ---- audited answers -------------------------------------------------------------- */

typedef struct seen {
	kt_h_t *h;
	kt_h_entry_t at_send;             /* the audit tail when it left */
	uint64_t count_at_send;
	int sends;
} seen_t;

static void
record_audit(kt_conn_t *c, const uint8_t *plain, size_t len, void *arg)
{
	seen_t *s = arg;

	(void)c;
	(void)plain;
	(void)len;
	s->sends++;
	s->count_at_send = kt_h_audit_count(s->h);
	s->at_send = kt_h_audit_last(s->h);
}

static void
reply_audited_leaves_after_entry(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	Kartoteka__Response resp;
	Kartoteka__PingResponse ping;
	seen_t seen = { .h = h };
	uint64_t before = kt_h_audit_count(h);
	kt_req_t *r;

	(void)state;
	kt_fake_conn_on_send(c, record_audit, &seen);
	kt_h_gate_hold(h);
	r = new_req(h, c, 11, NULL);
	set_owner(h, r);
	ping_response(&resp, &ping, "audited");
	kt_req_reply_audited(r, &resp, KT_AUDIT_BRANCH_LIST, "", 0, "rows=0");
	/* The writer is held: no entry, so no answer. */
	kt_h_poll(h);
	kt_h_poll(h);
	assert_int_equal(kt_fake_conn_nsent(c), 0);
	assert_int_equal(kt_h_inflight(c), 1);
	assert_true(kt_h_audit_count(h) == before);
	kt_h_gate_release(h);
	kt_h_wait(h, c, 1);
	assert_int_equal(seen.sends, 1);
	assert_true(seen.count_at_send == before + 1);
	assert_string_equal(seen.at_send.action, "branch.list");
	assert_string_equal(seen.at_send.detail, "rows=0");
	assert_true(seen.at_send.user == h->owner);
	assert_true(seen.at_send.has_terminal);
	assert_int_equal(seen.at_send.outcome, 0);
	kt_h_expect_ok(kt_h_answer(h, c, 0));
	assert_string_equal(kt_h_answer(h, c, 0)->ping->server_version,
	    "audited");
	assert_int_equal(kt_h_inflight(c), 0);
	kt_h_free(h);
}

static void
fail_audited_records_refusal(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	seen_t seen = { .h = h };
	kt_req_t *r;

	(void)state;
	kt_fake_conn_on_send(c, record_audit, &seen);
	r = new_req(h, c, 12, NULL);
	set_owner(h, r);
	kt_req_fail_audited(r, E_FORBIDDEN, KT_AUDIT_CLIENT_VIEW, "client:9",
	    "you may not %s", "look");
	kt_h_wait(h, c, 1);
	kt_h_expect_error(kt_h_answer(h, c, 0), E_FORBIDDEN, "you may not look");
	assert_string_equal(seen.at_send.action, "client.view");
	assert_string_equal(seen.at_send.object, "client:9");
	assert_int_equal(seen.at_send.outcome, E_FORBIDDEN);
	assert_string_equal(seen.at_send.detail, "you may not look");
	/* kt_req_answer_audited sends what was prepared. */
	r = new_req(h, c, 13, NULL);
	set_owner(h, r);
	assert_false(kt_req_has_answer(r));
	assert_int_equal(kt_req_answer_error(r, E_CONFLICT, "prepared %d", 1),
	    0);
	assert_true(kt_req_has_answer(r));
	kt_req_answer_audited(r, KT_AUDIT_CLIENT_ADD, "clients", E_CONFLICT,
	    "duplicate contact");
	kt_h_wait(h, c, 2);
	kt_h_expect_error(kt_h_answer(h, c, 1), E_CONFLICT, "prepared 1");
	assert_string_equal(seen.at_send.action, "client.add");
	assert_string_equal(seen.at_send.detail, "duplicate contact");
	kt_h_free(h);
}

/* ---- prepared answers ----------------------------------------------------------- */

/* The packed bytes of c's answer i must equal want. */
static void
expect_bytes(kt_conn_t *c, size_t i, const uint8_t *want, size_t len)
{
	size_t got_len = 0;
	const uint8_t *got = kt_fake_conn_sent(c, i, &got_len);

	assert_non_null(got);
	if (got_len != len || memcmp(got, want, len) != 0)
		fail_msg("answer %zu: %zu bytes differ from protobuf-c's %zu",
		    i, got_len, len);
}

static void
answer_packed_same_bytes(void **state)
{
	static const uint64_t ids[] = { 0, 1, 127, 128, 300, 1ull << 40 };
	static const size_t rows[] = { 0, 1, 40 };
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		for (size_t j = 0; j < sizeof(rows) / sizeof(rows[0]); j++) {
			Kartoteka__ClientListResponse cl =
			    KARTOTEKA__CLIENT_LIST_RESPONSE__INIT;
			Kartoteka__ClientRow row[40], *rp[40];
			Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
			uint8_t *inner, *whole;
			size_t ilen, wlen;
			kt_req_t *r;

			for (size_t k = 0; k < rows[j]; k++) {
				kartoteka__client_row__init(&row[k]);
				row[k].id = 1000 + k;
				row[k].title = "Ивановы";
				rp[k] = &row[k];
			}
			cl.rows = rp;
			cl.n_rows = rows[j];
			cl.total = rows[j] * 3;
			ilen = kartoteka__client_list_response__get_packed_size(
			    &cl);
			inner = malloc(ilen + 1);
			assert_non_null(inner);
			kartoteka__client_list_response__pack(&cl, inner);
			resp.id = ids[i];
			resp.result_case =
			    KARTOTEKA__RESPONSE__RESULT_CLIENT_LIST;
			resp.client_list = &cl;
			wlen = kartoteka__response__get_packed_size(&resp);
			whole = malloc(wlen);
			assert_non_null(whole);
			kartoteka__response__pack(&resp, whole);

			r = new_req(h, c, ids[i], NULL);
			assert_int_equal(kt_req_answer_packed(r,
			    KARTOTEKA__RESPONSE__RESULT_CLIENT_LIST, inner,
			    ilen), 0);
			kt_req_send_answer(r);
			expect_bytes(c, n++, whole, wlen);
			free(inner);
			free(whole);
		}
	/* Too big for a frame: refused, nothing prepared. */
	{
		size_t big = KT_FRAME_MAX;
		uint8_t *p = calloc(1, big);
		kt_req_t *r = new_req(h, c, 1, NULL);

		assert_non_null(p);
		assert_int_equal(kt_req_answer_packed(r, 41, p, big),
		    KT_ETOOBIG);
		assert_false(kt_req_has_answer(r));
		kt_req_send_answer(r);
		kt_h_expect_error(kt_h_last(h, c), E_INTERNAL,
		    "could not build the answer");
		free(p);
	}
	assert_int_equal(kt_fake_conn_refs(c), 1);
	kt_h_free(h);
}

static void
reply_too_large_is_internal(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	Kartoteka__Response resp;
	Kartoteka__PingResponse ping;
	char *big = malloc(70000);

	(void)state;
	assert_non_null(big);
	memset(big, 'a', 69999);
	big[69999] = '\0';
	ping_response(&resp, &ping, big);
	kt_req_reply(new_req(h, c, 3, NULL), &resp);
	kt_h_expect_error(kt_h_answer(h, c, 0), E_INTERNAL,
	    "response too large");
	/* Just over what one frame carries after the Noise tag. */
	big[KT_FRAME_MAX - 16 - 8] = '\0';
	ping_response(&resp, &ping, big);
	kt_req_reply(new_req(h, c, 4, NULL), &resp);
	kt_h_expect_error(kt_h_answer(h, c, 1), E_INTERNAL,
	    "response too large");
	assert_int_equal(kt_h_inflight(c), 0);
	assert_int_equal(kt_fake_conn_refs(c), 1);
	free(big);
	kt_h_free(h);
}

/* ---- what goes with the request ------------------------------------------------- */

static void
keep_frees(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	kt_req_t *r = new_req(h, c, 1, NULL);
	kt_arena_t *a;

	(void)state;
	assert_int_equal(kt_req_keep(r, NULL), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(kt_req_keep(r, malloc(100 + i)), 0);
	/* The arena too (ASan's leak check sees it otherwise). */
	assert_non_null(a = kt_req_arena(r));
	assert_ptr_equal(kt_req_arena(r), a);
	assert_non_null(kt_arena_alloc(a, 64 << 10));
	kt_req_fail(r, E_CONFLICT, "x");
	kt_h_free(h);
}

static void
secret_state_and_serial_bit(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	kt_req_spec_t spec = { .state_size = 256, .secret = 1,
		.serial_bit = 1u << 4 };
	kt_session_t *s = kt_session_of(c);
	kt_req_t *r = new_req(h, c, 1, &spec);
	unsigned char *st = kt_req_state(r);

	(void)state;
	for (size_t i = 0; i < 256; i++)
		assert_int_equal(st[i], 0); /* zeroed at the start */
	memset(st, 0xa5, 256);
	assert_true(kt_session_serial_busy(s, 1u << 4));
	assert_false(kt_session_serial_busy(s, 1u << 5));
	/* The wipe cannot be seen after the free; this run (and the
	 * ASan one) shows it touches only the request's own memory. */
	kt_req_fail(r, E_CONFLICT, "x");
	assert_false(kt_session_serial_busy(s, 1u << 4));
	assert_int_equal(kt_h_inflight(c), 0);
	kt_h_free(h);
}

static void
limit_refunded_unless_kept(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_unenrolled(h);
	kt_req_spec_t spec = { .limited = 1 };
	kt_limiter_t *l = &h->srv->enroll_limit;
	const struct sockaddr_storage *a = kt_conn_peer(c);
	kt_req_t *r1, *r2, *r3;

	(void)state;
	l->per_minute = 2;
	/* Charged at the start: two in flight use the budget up. */
	r1 = new_req(h, c, 1, &spec);
	assert_true(kt_limiter_allowed(l, a, kt_net_now_ms(h->net)));
	r2 = new_req(h, c, 2, &spec);
	assert_false(kt_limiter_allowed(l, a, kt_net_now_ms(h->net)));
	/* One succeeds: refunded. */
	kt_req_fail(r1, E_CONFLICT, "ok");
	assert_true(kt_limiter_allowed(l, a, kt_net_now_ms(h->net)));
	/* One fails and keeps its charge. */
	kt_req_limit_keep(r2);
	kt_req_fail(r2, E_CONFLICT, "failed");
	assert_true(kt_limiter_allowed(l, a, kt_net_now_ms(h->net)));
	r3 = new_req(h, c, 3, &spec);
	kt_req_limit_keep(r3);
	kt_req_fail(r3, E_CONFLICT, "failed");
	assert_false(kt_limiter_allowed(l, a, kt_net_now_ms(h->net)));
	/* Another address is not charged; a minute later this one is
	 * free again. */
	{
		kt_conn_t *d = kt_h_connect_unenrolled(h);
		assert_int_equal(kt_fake_conn_set_peer(d, "198.51.100.7", 1),
		    0);
		assert_true(kt_limiter_allowed(l, kt_conn_peer(d),
		    kt_net_now_ms(h->net)));
	}
	kt_fake_net_advance(h->net, 60000);
	assert_true(kt_limiter_allowed(l, a, kt_net_now_ms(h->net)));
	/* Unlimited requests are never charged. */
	for (int i = 0; i < 5; i++)
		kt_req_fail(new_req(h, c, 10, NULL), E_CONFLICT, "x");
	assert_true(kt_limiter_allowed(l, a, kt_net_now_ms(h->net)));
	kt_h_free(h);
}

/* ---- the thread pool and timers --------------------------------------------------- */

typedef struct work_st {
	int worked;
	int after_status;
	int after_calls;
} work_st_t;

static void
work_fn(kt_req_t *r)
{
	((work_st_t *)kt_req_state(r))->worked = 1;
}

static void
after_fn(kt_req_t *r, int status)
{
	work_st_t *w = kt_req_state(r);

	w->after_calls++;
	assert_int_equal(w->after_calls, 1);
	kt_req_fail(r, E_CONFLICT, "worked=%d status=%d", w->worked, status);
}

static void
delay_fn(kt_req_t *r)
{
	kt_req_fail(r, E_CONFLICT, "delayed");
}

static void
work_and_delay_end_once(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	kt_req_spec_t spec = { .state_size = sizeof(work_st_t) };

	(void)state;
	kt_req_work(new_req(h, c, 1, &spec), work_fn, after_fn);
	kt_h_wait(h, c, 1);
	kt_h_expect_error(kt_h_answer(h, c, 0), E_CONFLICT,
	    "worked=1 status=0");
	kt_req_delay(new_req(h, c, 2, NULL), 0, delay_fn);
	kt_h_wait(h, c, 2);
	kt_h_expect_error(kt_h_answer(h, c, 1), E_CONFLICT, "delayed");
	kt_h_settle(h);
	assert_int_equal(kt_h_inflight(c), 0);
	assert_int_equal(kt_fake_conn_refs(c), 1);
	kt_h_free(h);
}

/* ---- streaming ---------------------------------------------------------------------- */

/* What a stream test sees; it outlives the request. */
typedef struct stream_seen {
	int pushed;                       /* pieces pushed, atomically */
	int push_rc;                      /* the first failure of a push */
	int after_calls, after_cut;
	size_t pieces;                    /* to push */
} stream_seen_t;

typedef struct stream_st {
	stream_seen_t *seen;
} stream_st_t;

static void
stream_work_fn(kt_req_t *r)
{
	stream_seen_t *s = ((stream_st_t *)kt_req_state(r))->seen;
	Kartoteka__PingResponse ping = KARTOTEKA__PING_RESPONSE__INIT;
	uint8_t buf[64];
	size_t n;
	int rc;

	for (size_t i = 0; i < s->pieces; i++) {
		ping.server_time = (int64_t)i;
		n = kartoteka__ping_response__pack(&ping, buf);
		if ((rc = kt_req_stream_push(r, KARTOTEKA__RESPONSE__RESULT_PING,
		    buf, n)) != 0) {
			s->push_rc = rc;
			return;
		}
		__atomic_add_fetch(&s->pushed, 1, __ATOMIC_SEQ_CST);
	}
}

static void
stream_after_fn(kt_req_t *r, int status)
{
	stream_seen_t *s = ((stream_st_t *)kt_req_state(r))->seen;

	s->after_calls++;
	s->after_cut = kt_req_stream_cut(r);
	kt_req_fail(r, E_CONFLICT, "last status=%d", status);
}

static int
depth_pushed(void *arg)
{
	stream_seen_t *s = arg;

	return __atomic_load_n(&s->pushed, __ATOMIC_SEQ_CST) ==
	    (int)KT_REQ_STREAM_DEPTH;
}

static int
after_ran(void *arg)
{
	return ((stream_seen_t *)arg)->after_calls > 0;
}

static void
stream_in_order_with_backpressure(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	kt_req_spec_t spec = { .state_size = sizeof(stream_st_t) };
	stream_seen_t seen = { .pieces = 10 };
	kt_req_t *r = new_req(h, c, 7, &spec);
	Kartoteka__Response *resp;

	(void)state;
	((stream_st_t *)kt_req_state(r))->seen = &seen;
	/* A reader that does not keep up: nothing leaves, the producer
	 * stops after KT_REQ_STREAM_DEPTH pieces. */
	kt_fake_conn_set_queued(c, 1u << 20);
	kt_req_stream(r, stream_work_fn, stream_after_fn);
	kt_h_run_until(h, depth_pushed, &seen);
	for (int i = 0; i < 20; i++)
		kt_h_poll(h);
	assert_int_equal(kt_fake_conn_nsent(c), 0);
	assert_int_equal(__atomic_load_n(&seen.pushed, __ATOMIC_SEQ_CST),
	    KT_REQ_STREAM_DEPTH);
	assert_int_equal(seen.after_calls, 0);
	/* It reads again: every piece in order, with more = true, then the
	 * last answer from after. */
	kt_fake_conn_set_queued(c, 0);
	kt_h_wait(h, c, 11);
	for (size_t i = 0; i < 10; i++) {
		resp = kt_h_answer(h, c, i);
		assert_true(resp->id == 7);
		assert_true(resp->more);
		assert_int_equal(resp->result_case,
		    KARTOTEKA__RESPONSE__RESULT_PING);
		assert_true(resp->ping->server_time == (int64_t)i);
	}
	resp = kt_h_answer(h, c, 10);
	assert_false(resp->more);
	kt_h_expect_error(resp, E_CONFLICT, "last status=0");
	assert_int_equal(seen.after_calls, 1);
	assert_int_equal(seen.after_cut, 0);
	assert_int_equal(seen.push_rc, 0);
	kt_h_settle(h);
	assert_int_equal(kt_h_inflight(c), 0);
	kt_h_free(h);
}

static void
stream_cut_when_reader_leaves(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	kt_req_spec_t spec = { .state_size = sizeof(stream_st_t) };
	stream_seen_t seen = { .pieces = 100 };
	kt_req_t *r = new_req(h, c, 8, &spec);

	(void)state;
	((stream_st_t *)kt_req_state(r))->seen = &seen;
	kt_fake_conn_set_queued(c, 1u << 20);
	kt_req_stream(r, stream_work_fn, stream_after_fn);
	kt_h_run_until(h, depth_pushed, &seen);
	/* The blocked producer is let go with KT_ECLOSED, the queued pieces
	 * are dropped, and after still ends the request. */
	kt_h_drop(h, c);
	kt_h_run_until(h, after_ran, &seen);
	assert_int_equal(seen.push_rc, KT_ECLOSED);
	assert_int_equal(seen.after_cut, 1);
	assert_true(seen.pushed < 100);
	kt_h_settle(h);
	kt_h_free(h);
}

/* ---- reading and the session ----------------------------------------------------------- */

static void
reads_and_session_changes(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint8_t key[32], hash[32];
	kt_conn_t *c = kt_h_connect_enrolled(h, b, key);
	kt_conn_t *u = kt_h_connect_unenrolled(h);
	kt_req_t *r = new_req(h, c, 42, NULL);
	kt_actor_t a;
	MDB_txn *t1;

	(void)state;
	assert_ptr_equal(kt_req_server(r), h->srv);
	assert_true(kt_req_id(r) == 42);
	assert_null(kt_req_caller(r));
	assert_memory_equal(kt_req_terminal_key(r), key, 32);
	assert_true(kt_req_enrolled(r));
	assert_true(kt_req_terminal_branch(r) == b);
	assert_ptr_equal(kt_req_conn(r), c);
	assert_ptr_equal(kt_req_peer(r), kt_conn_peer(c));
	assert_true(kt_req_alive(r));
	a = kt_req_actor(r);
	assert_true(a.user_id == 0);
	assert_memory_equal(a.terminal_key, key, 32);
	assert_ptr_equal(a.sign_sk, h->srv->sign_sk);
	/* One read transaction for everything the handler does. */
	assert_non_null(t1 = kt_req_txn(r));
	assert_ptr_equal(kt_req_txn(r), t1);
	kt_req_txn_release(h->srv);
	assert_null(h->srv->loop_txn);
	set_owner(h, r);
	assert_true(kt_req_caller(r)->id == h->owner);
	assert_true(kt_req_actor(r).user_id == h->owner);
	randombytes_buf(hash, 32);
	kt_req_session_login(r, h->owner, hash, kt_now_s() + 100);
	assert_true(kt_h_user_of(c) == h->owner);
	assert_memory_equal(kt_req_session_hash(r), hash, 32);
	assert_true(kt_req_session_expires(r) == kt_now_s() + 100 ||
	    kt_req_session_expires(r) == kt_now_s() + 99);
	kt_req_fail(r, E_CONFLICT, "x");
	/* Enrolment of an unenrolled connection makes it trusted. */
	r = new_req(h, u, 43, NULL);
	assert_false(kt_req_enrolled(r));
	assert_false(kt_fake_conn_trusted(u));
	kt_req_session_enrolled(r, b);
	assert_true(kt_req_enrolled(r));
	assert_true(kt_req_terminal_branch(r) == b);
	assert_true(kt_fake_conn_trusted(u));
	kt_req_fail(r, E_CONFLICT, "x");
	kt_h_free(h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(reply_ends_once),
	cmocka_unit_test(fail_ends_once),
	cmocka_unit_test(fail_field_names_the_field),
	cmocka_unit_test(errors_in_the_clients_language),
	cmocka_unit_test(refused_and_store_failures),
	cmocka_unit_test(reply_to_closed_is_dropped),
	cmocka_unit_test(submit_commits_then_answers),
	cmocka_unit_test(answer_to_closed_conn_dropped_change_commits),
	cmocka_unit_test(dropped_conn_lives_until_request_ends),
	cmocka_unit_test(failing_mutation_answers_store_failure),
	cmocka_unit_test(reply_audited_leaves_after_entry),
	cmocka_unit_test(fail_audited_records_refusal),
	cmocka_unit_test(answer_packed_same_bytes),
	cmocka_unit_test(reply_too_large_is_internal),
	cmocka_unit_test(keep_frees),
	cmocka_unit_test(secret_state_and_serial_bit),
	cmocka_unit_test(limit_refunded_unless_kept),
	cmocka_unit_test(work_and_delay_end_once),
	cmocka_unit_test(stream_in_order_with_backpressure),
	cmocka_unit_test(stream_cut_when_reader_leaves),
	cmocka_unit_test(reads_and_session_changes),
};

KT_TEST_MAIN(tests)
