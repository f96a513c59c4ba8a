/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/person.c through kt_dispatch_message on the fake
 * network: a person added, edited and removed one at a time keeps the
 * others (the newborn sibling does not cost the parent her phone), each
 * against the version read, audited with the person's index and never a
 * contact; a card of another branch answers exactly like a missing one
 * without a write; bad input names the field and changes nothing; a
 * phone of a visible card is refused like in client edit. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kt_test.h"

#include "server/harness.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define E_NOTFOUND KARTOTEKA__ERROR__CODE__NOT_FOUND
#define E_CONFLICT KARTOTEKA__ERROR__CODE__CONFLICT
#define MANAGER KARTOTEKA__ROLE__MANAGER

/* ---- the world of these tests ---------------------------------------------- */

typedef struct world {
	kt_h_t *h;
	uint64_t north, south;            /* branches */
	uint64_t masha, vera;             /* managers of North and South */
	kt_conn_t *owner, *m, *v;         /* their logged-in connections */
} world_t;

static void
world_new(world_t *w)
{
	kt_h_t *h = w->h = kt_h_new();

	w->north = kt_h_branch(h, "North");
	w->south = kt_h_branch(h, "South");
	w->masha = kt_h_user(h, "masha", MANAGER, w->north, 0);
	w->vera = kt_h_user(h, "vera", MANAGER, w->south, 0);
	w->owner = kt_h_session(h, h->owner, 0);
	w->m = kt_h_session(h, w->masha, w->north);
	w->v = kt_h_session(h, w->vera, w->south);
}

/* ---- requests ------------------------------------------------------------------ */

typedef struct req {
	Kartoteka__Request r;
	union {
		Kartoteka__ClientAddRequest add;
		Kartoteka__PersonAddRequest padd;
		Kartoteka__PersonEditRequest pedit;
		Kartoteka__PersonRemoveRequest prm;
	} u;
	Kartoteka__Client c;
	Kartoteka__Person p;
	Kartoteka__Person *pp[1];
	char *phones[1];
	char *fields[4];
} req_t;

/* q's person: name, a phone when phone is not NULL. */
static Kartoteka__Person *
person(req_t *q, const char *name, const char *phone)
{
	kartoteka__person__init(&q->p);
	q->p.name = (char *)name;
	q->phones[0] = (char *)phone;
	q->p.phones = q->phones;
	q->p.n_phones = phone != NULL;
	return &q->p;
}

/* Adds a card titled title on c, of branch (NULL: the terminal's), with
 * Ирина, a parent with phone; its id. */
static uint64_t
card_ok(kt_h_t *h, kt_conn_t *c, const char *title, const char *phone,
    const char *branch)
{
	Kartoteka__Response *r;
	req_t q;

	kartoteka__request__init(&q.r);
	kartoteka__client_add_request__init(&q.u.add);
	kartoteka__client__init(&q.c);
	q.c.title = (char *)title;
	q.c.branch = (char *)branch;
	person(&q, "Ирина", phone)->relation = KARTOTEKA__RELATION__PARENT;
	q.pp[0] = &q.p;
	q.c.people = q.pp;
	q.c.n_people = 1;
	q.u.add.client = &q.c;
	q.r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_ADD;
	q.r.client_add = &q.u.add;
	r = kt_h_call(h, c, &q.r);
	kt_h_expect_ok(r);
	return r->client->client->id;
}

static Kartoteka__Request *
padd(req_t *q, uint64_t id, uint64_t version, Kartoteka__Person *p)
{
	kartoteka__request__init(&q->r);
	kartoteka__person_add_request__init(&q->u.padd);
	q->u.padd.id = id;
	q->u.padd.version = version;
	q->u.padd.person = p;
	q->r.op_case = KARTOTEKA__REQUEST__OP_PERSON_ADD;
	q->r.person_add = &q->u.padd;
	return &q->r;
}

/* An edit of person index's one field. */
static Kartoteka__Request *
pedit(req_t *q, uint64_t id, uint64_t version, uint32_t index,
    const char *field, Kartoteka__Person *p)
{
	kartoteka__request__init(&q->r);
	kartoteka__person_edit_request__init(&q->u.pedit);
	q->u.pedit.id = id;
	q->u.pedit.version = version;
	q->u.pedit.index = index;
	q->fields[0] = (char *)field;
	q->u.pedit.fields = q->fields;
	q->u.pedit.n_fields = field != NULL;
	q->u.pedit.person = p;
	q->r.op_case = KARTOTEKA__REQUEST__OP_PERSON_EDIT;
	q->r.person_edit = &q->u.pedit;
	return &q->r;
}

static Kartoteka__Request *
prm(req_t *q, uint64_t id, uint64_t version, uint32_t index)
{
	kartoteka__request__init(&q->r);
	kartoteka__person_remove_request__init(&q->u.prm);
	q->u.prm.id = id;
	q->u.prm.version = version;
	q->u.prm.index = index;
	q->r.op_case = KARTOTEKA__REQUEST__OP_PERSON_REMOVE;
	q->r.person_remove = &q->u.prm;
	return &q->r;
}

/* The last audit entry: action on client id, by user, with outcome. */
static kt_h_entry_t
expect_entry(kt_h_t *h, const char *action, uint64_t id, uint64_t user,
    uint32_t outcome)
{
	kt_h_entry_t e = kt_h_audit_last(h);
	char object[48];

	snprintf(object, sizeof(object), "client:%" PRIu64, id);
	assert_string_equal(e.action, action);
	assert_string_equal(e.object, object);
	assert_true(e.user == user);
	assert_int_equal(e.outcome, outcome);
	return e;
}

/* The card as the owner sees it in full (counted, but never limited). */
static const Kartoteka__Client *
full(world_t *w, uint64_t id)
{
	Kartoteka__Request r = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientShowRequest s = KARTOTEKA__CLIENT_SHOW_REQUEST__INIT;
	Kartoteka__Response *resp;

	s.id = id;
	r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_SHOW;
	r.client_show = &s;
	resp = kt_h_call(w->h, w->owner, &r);
	kt_h_expect_ok(resp);
	return resp->client->client;
}

/* ---- the tests ----------------------------------------------------------------- */

/* Issue 9 item 7: the newborn sibling is added, the parent and her phone
 * stay. */
static void
add_keeps_the_others(void **state)
{
	world_t w;
	const Kartoteka__Client *c;
	Kartoteka__Response *r;
	Kartoteka__Person *p;
	uint64_t id;
	req_t q;

	(void)state;
	world_new(&w);
	id = card_ok(w.h, w.m, "Ёлкины", "+79123456789", NULL);
	p = person(&q, "Маша", NULL);
	p->relation = KARTOTEKA__RELATION__CHILD;
	p->birth_year = 2019;
	p->note = "рисование; английский";
	r = kt_h_call(w.h, w.m, padd(&q, id, 1, p));
	kt_h_expect_ok(r);
	assert_true(r->client->client->version == 2);
	assert_true(r->client->client->masked);
	assert_int_equal(r->client->client->n_people, 2);
	assert_string_equal(expect_entry(w.h, "person.add", id, w.masha,
	    0).detail, "person 2 added: people");
	c = full(&w, id);
	assert_int_equal(c->n_people, 2);
	assert_string_equal(c->people[0]->name, "Ирина");
	assert_int_equal(c->people[0]->n_phones, 1);
	assert_string_equal(c->people[0]->phones[0], "+79123456789");
	assert_string_equal(c->people[1]->name, "Маша");
	assert_string_equal(c->people[1]->note, "рисование; английский");
	assert_int_equal(c->people[1]->birth_year, 2019);
	kt_h_free(w.h);
}

static void
edit_named_fields_only(void **state)
{
	world_t w;
	const Kartoteka__Client *c;
	Kartoteka__Response *r;
	Kartoteka__Person *p;
	uint64_t id;
	req_t q;

	(void)state;
	world_new(&w);
	id = card_ok(w.h, w.m, "Ёлкины", "+79123456789", NULL);
	/* Only the note: the name and phone sent along are not taken. */
	p = person(&q, "", NULL);
	p->note = "line 1\r\nline 2";
	r = kt_h_call(w.h, w.m, pedit(&q, id, 1, 1, "note", p));
	kt_h_expect_ok(r);
	assert_string_equal(expect_entry(w.h, "person.edit", id, w.masha,
	    0).detail, "person 1 changed: people");
	c = full(&w, id);
	assert_string_equal(c->people[0]->name, "Ирина");
	assert_string_equal(c->people[0]->phones[0], "+79123456789");
	assert_string_equal(c->people[0]->note, "line 1\nline 2");
	assert_int_equal(c->people[0]->relation, KARTOTEKA__RELATION__PARENT);
	/* The phones: replaced, and the change that drops one is counted
	 * as removing contacts. */
	p = person(&q, NULL, "+79123456780");
	r = kt_h_call(w.h, w.m, pedit(&q, id, 2, 1, "phones", p));
	kt_h_expect_ok(r);
	assert_non_null(strstr(expect_entry(w.h, "person.edit", id, w.masha,
	    0).detail, "removed people or contacts"));
	c = full(&w, id);
	assert_string_equal(c->people[0]->phones[0], "+79123456780");
	assert_string_equal(c->people[0]->note, "line 1\nline 2");
	kt_h_free(w.h);
}

static void
remove_one_person(void **state)
{
	world_t w;
	const Kartoteka__Client *c;
	Kartoteka__Response *r;
	uint64_t id;
	req_t q;

	(void)state;
	world_new(&w);
	id = card_ok(w.h, w.m, "Ёлкины", "+79123456789", NULL);
	kt_h_expect_ok(kt_h_call(w.h, w.m, padd(&q, id, 1, person(&q, "Маша",
	    NULL))));
	kt_h_expect_ok(kt_h_call(w.h, w.m, padd(&q, id, 2, person(&q, "Петя",
	    NULL))));
	r = kt_h_call(w.h, w.m, prm(&q, id, 3, 2));
	kt_h_expect_ok(r);
	assert_true(r->client->client->version == 4);
	assert_string_equal(expect_entry(w.h, "person.remove", id, w.masha,
	    0).detail, "person 2 removed: people removed people or contacts");
	c = full(&w, id);
	assert_int_equal(c->n_people, 2);
	assert_string_equal(c->people[0]->name, "Ирина");
	assert_string_equal(c->people[1]->name, "Петя");
	kt_h_free(w.h);
}

static void
against_the_version_read(void **state)
{
	world_t w;
	char msg[128];
	uint64_t id;
	req_t q;

	(void)state;
	world_new(&w);
	id = card_ok(w.h, w.m, "Ёлкины", NULL, NULL);
	kt_h_expect_ok(kt_h_call(w.h, w.m, padd(&q, id, 1, person(&q, "Маша",
	    NULL))));
	snprintf(msg, sizeof(msg), "client %" PRIu64 " was changed meanwhile: "
	    "current version is 2", id);
	kt_h_expect_error(kt_h_call(w.h, w.m, padd(&q, id, 1, person(&q,
	    "Петя", NULL))), E_CONFLICT, msg);
	kt_h_expect_error(kt_h_call(w.h, w.m, pedit(&q, id, 1, 1, "name",
	    person(&q, "Петя", NULL))), E_CONFLICT, msg);
	kt_h_expect_error(kt_h_call(w.h, w.m, prm(&q, id, 1, 1)), E_CONFLICT,
	    msg);
	kt_h_expect_error(kt_h_call(w.h, w.m, prm(&q, id, 0, 1)), E_BAD,
	    "version: give the version you read (client show)");
	assert_int_equal(full(&w, id)->n_people, 2);
	kt_h_free(w.h);
}

/* Shape of a message with its numbers blurred ("no client #"). */
static void
shape(const char *msg, char *out, size_t cap)
{
	size_t n = 0;

	for (const char *p = msg; *p && n + 1 < cap; p++) {
		if (*p >= '0' && *p <= '9') {
			if (n == 0 || out[n - 1] != '#')
				out[n++] = '#';
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
}

static void
other_branch_like_missing(void **state)
{
	world_t w;
	uint64_t south, missing, audit;
	Kartoteka__Response *hid, *none;
	char a[128], b[128];
	req_t q;

	(void)state;
	world_new(&w);
	south = card_ok(w.h, w.v, "Южные", "+79123456789", NULL);
	missing = south + 1000;
	audit = kt_h_audit_count(w.h);
	for (int op = 0; op < 3; op++) {
		uint64_t ids[2] = { south, missing };
		Kartoteka__Response *got[2];
		for (int i = 0; i < 2; i++) {
			Kartoteka__Request *rq = op == 0 ? padd(&q, ids[i], 1,
			    person(&q, "Маша", NULL)) : op == 1 ? pedit(&q,
			    ids[i], 1, 1, "name", person(&q, "Маша", NULL)) :
			    prm(&q, ids[i], 1, 1);
			got[i] = kt_h_call(w.h, w.m, rq);
		}
		hid = got[0];
		none = got[1];
		kt_h_expect_error(hid, E_NOTFOUND, NULL);
		kt_h_expect_error(none, E_NOTFOUND, NULL);
		shape(hid->error->message, a, sizeof(a));
		shape(none->error->message, b, sizeof(b));
		assert_string_equal(a, b);
		assert_int_equal(hid->result_case, none->result_case);
	}
	/* No write: an audit entry would tell the card exists. */
	assert_true(kt_h_audit_count(w.h) == audit);
	assert_int_equal(full(&w, south)->n_people, 1);
	kt_h_free(w.h);
}

static void
manager_edits_only_her_cards(void **state)
{
	world_t w;
	uint64_t id;
	char msg[96];
	req_t q;

	(void)state;
	world_new(&w);
	id = card_ok(w.h, w.owner, "Ёлкины", NULL, "North");
	snprintf(msg, sizeof(msg), "you may not edit this client (client %"
	    PRIu64 ")", id);
	kt_h_expect_error(kt_h_call(w.h, w.m, padd(&q, id, 1, person(&q,
	    "Маша", NULL))), E_FORBIDDEN, msg);
	assert_string_equal(expect_entry(w.h, "person.add", id, w.masha,
	    E_FORBIDDEN).detail, msg);
	kt_h_expect_error(kt_h_call(w.h, w.m, prm(&q, id, 1, 1)), E_FORBIDDEN,
	    msg);
	expect_entry(w.h, "person.remove", id, w.masha, E_FORBIDDEN);
	assert_int_equal(full(&w, id)->n_people, 1);
	kt_h_free(w.h);
}

static void
bad_input_named_nothing_changed(void **state)
{
	world_t w;
	Kartoteka__Person *p;
	char msg[128];
	uint64_t id, audit;
	req_t q;

	(void)state;
	world_new(&w);
	id = card_ok(w.h, w.m, "Ёлкины", NULL, NULL);
	audit = kt_h_audit_count(w.h);
	kt_h_expect_error(kt_h_call(w.h, w.m, padd(&q, id, 1, NULL)), E_BAD,
	    "person: missing");
	kt_h_expect_error(kt_h_call(w.h, w.m, padd(&q, id, 1, person(&q,
	    "   ", NULL))), E_BAD, "person.name: is only blanks");
	kt_h_expect_error(kt_h_call(w.h, w.m, padd(&q, id, 1, person(&q,
	    "Маша", "8 (912) 345-67"))), E_BAD, NULL);
	p = person(&q, "Маша", NULL);
	p->birth_year = 2999;
	kt_h_expect_error(kt_h_call(w.h, w.m, padd(&q, id, 1, p)), E_BAD,
	    "person.birth_year: 2999 is not a year from 1900 to now");
	kt_h_expect_error(kt_h_call(w.h, w.m, pedit(&q, id, 1, 1, "age",
	    person(&q, "Маша", NULL))), E_BAD, "fields: 'age' is not a field "
	    "of a person (name, relation, birth, phones, email, note)");
	kt_h_expect_error(kt_h_call(w.h, w.m, pedit(&q, id, 1, 1, NULL,
	    person(&q, "Маша", NULL))), E_BAD, "fields: name the fields to "
	    "change");
	kt_h_expect_error(kt_h_call(w.h, w.m, prm(&q, id, 1, 0)), E_BAD,
	    "index: name the person by its number in client show (1 is the "
	    "first)");
	snprintf(msg, sizeof(msg), "index: 2 is not a person of client %"
	    PRIu64 " (1 to 1)", id);
	kt_h_expect_error(kt_h_call(w.h, w.m, prm(&q, id, 1, 2)), E_BAD, msg);
	kt_h_expect_error(kt_h_call(w.h, w.m, pedit(&q, id, 1, 2, "name",
	    person(&q, "Маша", NULL))), E_BAD, msg);
	/* Bad input is not audited, and nothing changed. */
	assert_true(kt_h_audit_count(w.h) == audit);
	assert_true(full(&w, id)->version == 1);
	kt_h_free(w.h);
}

/* A phone of a card the caller sees is refused naming it, like client
 * edit; one of a card of another branch answers like a new one. */
static void
duplicate_phone_like_client_edit(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	uint64_t id, other, south;
	req_t q;

	(void)state;
	world_new(&w);
	other = card_ok(w.h, w.m, "Петровы", "+79123456700", NULL);
	south = card_ok(w.h, w.v, "Южные", "+79123456711", NULL);
	id = card_ok(w.h, w.m, "Ёлкины", NULL, NULL);
	r = kt_h_call(w.h, w.m, padd(&q, id, 1, person(&q, "Маша",
	    "+79123456700")));
	kt_h_expect_error(r, E_CONFLICT, NULL);
	assert_true(r->client->duplicate_of == other);
	expect_entry(w.h, "person.add", id, w.masha, E_CONFLICT);
	r = kt_h_call(w.h, w.m, padd(&q, id, 1, person(&q, "Маша",
	    "+79123456711")));
	kt_h_expect_ok(r);
	assert_non_null(strstr(expect_entry(w.h, "person.add", id, w.masha,
	    0).detail, "duplicate of client"));
	(void)south;
	kt_h_free(w.h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(add_keeps_the_others),
	cmocka_unit_test(edit_named_fields_only),
	cmocka_unit_test(remove_one_person),
	cmocka_unit_test(against_the_version_read),
	cmocka_unit_test(other_branch_like_missing),
	cmocka_unit_test(manager_edits_only_her_cards),
	cmocka_unit_test(bad_input_named_nothing_changed),
	cmocka_unit_test(duplicate_phone_like_client_edit),
};

KT_TEST_MAIN(tests)
