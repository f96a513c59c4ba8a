/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/import.c through kt_dispatch_message on the fake
 * network: each card of a batch is created, merged into the card of the
 * base that shares a phone or e-mail, left unchanged when it adds
 * nothing, or refused with the reason client add would give; each is
 * audited; a dry run answers exactly what the real run then does and
 * writes nothing but its own audit entry; only the owner may import. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_test.h"

#include "server/harness.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define CREATED KARTOTEKA__IMPORT_OUTCOME__IMPORT_CREATED
#define MERGED KARTOTEKA__IMPORT_OUTCOME__IMPORT_MERGED
#define UNCHANGED KARTOTEKA__IMPORT_OUTCOME__IMPORT_UNCHANGED
#define REFUSED KARTOTEKA__IMPORT_OUTCOME__IMPORT_REFUSED

#define NCARDS_MAX 260u

/* A batch being written: cards of one person each. */
typedef struct batch {
	Kartoteka__Request r;
	Kartoteka__ImportBatchRequest ib;
	Kartoteka__ImportCard cards[NCARDS_MAX], *pc[NCARDS_MAX];
	Kartoteka__Client c[NCARDS_MAX];
	Kartoteka__Person p[NCARDS_MAX][2], *pp[NCARDS_MAX][2];
	char *phones[NCARDS_MAX][1];
} batch_t;

static batch_t *
batch_new(int dry_run)
{
	batch_t *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	kartoteka__request__init(&b->r);
	kartoteka__import_batch_request__init(&b->ib);
	b->ib.dry_run = dry_run;
	b->ib.cards = b->pc;
	b->r.op_case = KARTOTEKA__REQUEST__OP_IMPORT_BATCH;
	b->r.import_batch = &b->ib;
	return b;
}

/* Adds a card of line: title and person name, a phone (NULL: none), a
 * child (NULL: none), in branch (NULL: the caller's). */
static Kartoteka__Client *
card(batch_t *b, uint32_t line, const char *name, const char *phone,
    const char *child, const char *branch)
{
	size_t i = b->ib.n_cards++;
	Kartoteka__Client *c = &b->c[i];

	kartoteka__import_card__init(&b->cards[i]);
	kartoteka__client__init(c);
	kartoteka__person__init(&b->p[i][0]);
	kartoteka__person__init(&b->p[i][1]);
	b->cards[i].line = line;
	b->cards[i].client = c;
	b->pc[i] = &b->cards[i];
	c->title = (char *)name;
	c->branch = (char *)branch;
	b->p[i][0].name = (char *)name;
	b->p[i][0].relation = KARTOTEKA__RELATION__PARENT;
	b->phones[i][0] = (char *)phone;
	b->p[i][0].phones = b->phones[i];
	b->p[i][0].n_phones = phone != NULL;
	b->pp[i][0] = &b->p[i][0];
	b->pp[i][1] = &b->p[i][1];
	b->p[i][1].name = (char *)child;
	b->p[i][1].relation = KARTOTEKA__RELATION__CHILD;
	c->people = b->pp[i];
	c->n_people = child ? 2 : 1;
	return c;
}

static const Kartoteka__ImportBatchResponse *
send_ok(kt_h_t *h, kt_conn_t *conn, batch_t *b)
{
	Kartoteka__Response *r = kt_h_call(h, conn, &b->r);

	kt_h_expect_ok(r);
	assert_int_equal(r->result_case,
	    KARTOTEKA__RESPONSE__RESULT_IMPORT_BATCH);
	assert_non_null(r->import_batch);
	assert_int_equal(r->import_batch->n_results, b->ib.n_cards);
	for (size_t i = 0; i < b->ib.n_cards; i++)
		assert_int_equal(r->import_batch->results[i]->line,
		    b->cards[i].line);
	return r->import_batch;
}

/* The people on card id, by a full view of the owner. */
static size_t
people_of(kt_h_t *h, kt_conn_t *conn, uint64_t id)
{
	Kartoteka__Request q = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientShowRequest s = KARTOTEKA__CLIENT_SHOW_REQUEST__INIT;
	Kartoteka__Response *r;

	s.id = id;
	q.op_case = KARTOTEKA__REQUEST__OP_CLIENT_SHOW;
	q.client_show = &s;
	r = kt_h_call(h, conn, &q);
	kt_h_expect_ok(r);
	return r->client->client->n_people;
}

static void
creates_and_audits_each_card(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b1 = kt_h_branch(h, "Центр");
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	batch_t *b = batch_new(0);
	const Kartoteka__ImportBatchResponse *ir;
	uint64_t before = kt_h_audit_count(h);
	kt_h_entry_t e;
	char want[64];

	(void)state;
	(void)b1;
	card(b, 2, "Иванова Мария", "+79123456789", "Петя", "Центр");
	card(b, 5, "Петров Пётр", "8 912 345-67-80", NULL, "Центр");
	ir = send_ok(h, o, b);
	assert_int_equal(ir->results[0]->outcome, CREATED);
	assert_int_equal(ir->results[1]->outcome, CREATED);
	assert_int_not_equal(ir->results[0]->client_id, 0);
	assert_int_equal(ir->results[1]->client_id,
	    ir->results[0]->client_id + 1);
	assert_false(ir->dry_run);
	assert_int_equal(people_of(h, o, ir->results[0]->client_id), 2);
	/* One entry per card (then one per view above). */
	e = kt_h_audit_at(h, before + 2);
	assert_string_equal(e.action, "import");
	snprintf(want, sizeof(want), "client:%" PRIu64,
	    ir->results[1]->client_id);
	assert_string_equal(e.object, want);
	assert_non_null(strstr(e.detail, "line=5 created branch="));
	assert_null(strstr(e.detail, "+7912"));
	free(b);
	kt_h_free(h);
}

static void
refusals_name_the_field(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	batch_t *b = batch_new(0);
	const Kartoteka__ImportBatchResponse *ir;

	(void)state;
	kt_h_branch(h, "Центр");
	card(b, 2, "Иванова", "12", NULL, "Центр");
	card(b, 3, "Петров", NULL, NULL, "Нигде");
	card(b, 4, "   ", NULL, NULL, "Центр");
	card(b, 5, "Сидоров", NULL, NULL, "Центр")->manager = "nobody";
	card(b, 6, "Good", NULL, NULL, "Центр");
	kartoteka__import_card__init(&b->cards[5]);
	b->cards[5].line = 7;           /* a card without a client */
	b->pc[5] = &b->cards[5];
	b->ib.n_cards = 6;
	ir = send_ok(h, o, b);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(ir->results[i]->outcome, REFUSED);
	assert_string_equal(ir->results[0]->reason,
	    "people[0].phones[0]: phone '12' is too short");
	assert_string_equal(ir->results[1]->reason,
	    "branch: no branch 'Нигде'");
	assert_non_null(strstr(ir->results[2]->reason, "title"));
	assert_string_equal(ir->results[3]->reason,
	    "manager: no user 'nobody'");
	assert_int_equal(ir->results[4]->outcome, CREATED);
	assert_int_equal(ir->results[5]->outcome, REFUSED);
	assert_string_equal(ir->results[5]->reason, "client: missing");
	free(b);
	kt_h_free(h);
}

static void
merges_into_the_base_then_unchanged(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	batch_t *b;
	const Kartoteka__ImportBatchResponse *ir;
	Kartoteka__Client c = KARTOTEKA__CLIENT__INIT;
	Kartoteka__Person p = KARTOTEKA__PERSON__INIT, *pp = &p;
	char *ph = "+79123456789";
	uint64_t id;
	kt_h_entry_t e;

	(void)state;
	kt_h_branch(h, "Центр");
	c.title = "Ивановы";
	c.branch = "Центр";
	p.name = "Иванова Мария";
	p.phones = &ph;
	p.n_phones = 1;
	c.people = &pp;
	c.n_people = 1;
	id = kt_h_client_add(h, o, &c);
	/* The file has the mother (same phone) with her son. */
	b = batch_new(0);
	card(b, 2, "Иванова Мария", "8 (912) 345-67-89", "Петя", "Центр");
	ir = send_ok(h, o, b);
	assert_int_equal(ir->results[0]->outcome, MERGED);
	assert_int_equal(ir->results[0]->client_id, id);
	assert_int_equal(people_of(h, o, id), 2);
	e = kt_h_audit_at(h, kt_h_audit_count(h) - 1);
	assert_string_equal(e.action, "import");
	assert_non_null(strstr(e.detail, "line=2 merged"));
	/* Run again: nothing new, nothing written but the entry. */
	ir = send_ok(h, o, b);
	assert_int_equal(ir->results[0]->outcome, UNCHANGED);
	assert_int_equal(ir->results[0]->client_id, id);
	assert_int_equal(people_of(h, o, id), 2);
	free(b);
	kt_h_free(h);
}

static void
dry_run_same_answer_writes_nothing(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	batch_t *dry = batch_new(1), *real = batch_new(0);
	const Kartoteka__ImportBatchResponse *d, *w;
	uint64_t before;
	kt_h_entry_t e;

	(void)state;
	kt_h_branch(h, "Центр");
	card(dry, 2, "A", "+79120000001", NULL, "Центр");
	card(dry, 3, "B", "+79120000001", "Child", "Центр");
	card(dry, 4, "C", "1", NULL, "Центр");
	card(real, 2, "A", "+79120000001", NULL, "Центр");
	card(real, 3, "B", "+79120000001", "Child", "Центр");
	card(real, 4, "C", "1", NULL, "Центр");
	before = kt_h_audit_count(h);
	d = send_ok(h, o, dry);
	assert_true(d->dry_run);
	assert_int_equal(kt_h_audit_count(h), before + 1);
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "import.dryrun");
	assert_string_equal(e.detail, "dry run: cards=3 created=1 merged=1 "
	    "unchanged=0 refused=1");
	/* Run the dry run twice: still nothing there to merge with. */
	d = send_ok(h, o, dry);
	w = send_ok(h, o, real);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(d->results[i]->outcome, w->results[i]->outcome);
		assert_int_equal(d->results[i]->client_id,
		    w->results[i]->client_id);
		assert_string_equal(d->results[i]->reason,
		    w->results[i]->reason);
	}
	assert_int_equal(w->results[1]->outcome, MERGED);
	assert_int_equal(w->results[1]->client_id, w->results[0]->client_id);
	free(dry);
	free(real);
	kt_h_free(h);
}

static void
same_batch_dedupes(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	batch_t *b = batch_new(0);
	const Kartoteka__ImportBatchResponse *ir;

	(void)state;
	kt_h_branch(h, "Центр");
	for (uint32_t i = 0; i < 250; i++)
		card(b, i + 2, "Same", "+79120000007", NULL, "Центр");
	ir = send_ok(h, o, b);
	assert_int_equal(ir->results[0]->outcome, CREATED);
	for (size_t i = 1; i < 250; i++)
		assert_int_equal(ir->results[i]->outcome, UNCHANGED);
	free(b);
	kt_h_free(h);
}

static void
owner_only(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t br = kt_h_branch(h, "Центр");
	uint64_t head = kt_h_user(h, "head", KARTOTEKA__ROLE__HEAD, br, 0);
	kt_conn_t *c = kt_h_session(h, head, br);
	batch_t *b = batch_new(0);
	Kartoteka__Response *r;
	kt_h_entry_t e;

	(void)state;
	card(b, 2, "A", NULL, NULL, NULL);
	r = kt_h_call(h, c, &b->r);
	kt_h_expect_error(r, E_FORBIDDEN, NULL);
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "import");
	assert_int_equal(e.outcome, E_FORBIDDEN);
	free(b);
	kt_h_free(h);
}

static void
bad_batches(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	batch_t *b = batch_new(0);
	Kartoteka__Response *r;

	(void)state;
	r = kt_h_call(h, o, &b->r);
	kt_h_expect_error(r, E_BAD, "cards: none in the batch");
	for (uint32_t i = 0; i < 251; i++)
		card(b, i + 2, "X", NULL, NULL, NULL);
	r = kt_h_call(h, o, &b->r);
	kt_h_expect_error(r, E_BAD, "cards: more than 250 in one batch");
	free(b);
	kt_h_free(h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(creates_and_audits_each_card),
	cmocka_unit_test(refusals_name_the_field),
	cmocka_unit_test(merges_into_the_base_then_unchanged),
	cmocka_unit_test(dry_run_same_answer_writes_nothing),
	cmocka_unit_test(same_batch_dedupes),
	cmocka_unit_test(owner_only),
	cmocka_unit_test(bad_batches),
};

KT_TEST_MAIN(tests)
