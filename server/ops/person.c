/* SPDX-License-Identifier: MIT */
/* The people of a card one at a time: person add, edit and remove (issue
 * 9 item 7: adding a newborn sibling must not retype, and so risk, the
 * parent and her phone). A person is named by its 1-based index as
 * `client show` lists them; each op names the card's version like client
 * edit and goes through client edit's save path (ops/card_op.h):
 * validation, duplicates of phones and e-mails, the history version, the
 * audit entry and the masked answer. A card the caller cannot see answers
 * like a missing one. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "arena.h"
#include "kt_error.h"
#include "model/client_card.h"
#include "ops/card_op.h"
#include "ops/ops.h"
#include "records.pb-c.h"

/* ==== on the loop ========================================================= */

/* The checks every person op makes before looking at the card: the
 * version read, and (need_index) the person's index. Returns 1, or 0
 * with r answered BAD_REQUEST naming the field. */
static int
check_request(kt_req_t *r, uint64_t version, int need_index, uint32_t index)
{
	if (version == 0) {
		kt_req_fail(r, KT_CODE_BAD, "version: give the version you "
		    "read (client show)");
		return 0;
	}
	if (need_index && index == 0) {
		kt_req_fail(r, KT_CODE_BAD, "index: name the person by its "
		    "number in client show (1 is the first)");
		return 0;
	}
	return 1;
}

/* Checks the fields bits (KT_PERSON_*) of person in and keeps them in
 * c->in as a card of that one person, for the writer. Returns 1, or 0
 * with r answered (BAD_REQUEST naming the field "person.*"). */
static int
take_person(kt_req_t *r, kt_card_op_t *c, const Kartoteka__Person *in,
    unsigned bits)
{
	Ktstore__ClientRecord rec = KTSTORE__CLIENT_RECORD__INIT;
	Ktstore__PersonRecord p, *pp = &p;
	kt_arena_t a;
	char err[300];
	int rc;

	if (in == NULL) {
		kt_req_fail(r, KT_CODE_BAD, "person: missing");
		return 0;
	}
	if (kt_arena_init(&a, 4 * 1024, 1u << 20) != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return 0;
	}
	rc = kt_card_person_build(in, bits, "person", c->now,
	    kt_req_server(r)->opts.phone_country, &a, &p, err, sizeof(err));
	if (rc != 0) {
		kt_arena_free(&a);
		if (rc == KT_ENOMEM)
			kt_req_fail(r, KT_CODE_INTERNAL, "%s", err);
		else
			kt_req_fail_field(r, KT_CODE_BAD, NULL, "%s", err);
		return 0;
	}
	rec.n_people = 1;
	rec.people = &pp;
	rc = kt_card_op_keep(r, c, &rec);
	kt_arena_free(&a);
	return rc;
}

/* ==== on the writer ======================================================= */

/* The one person kept by take_person, unpacked in c->wa; NULL when the
 * kept bytes are not such a card (never, unless memory is short). */
static const Ktstore__PersonRecord *
kept_person(kt_card_op_t *c)
{
	Ktstore__ClientRecord *in;

	in = ktstore__client_record__unpack(&c->wa->pb, c->inlen, c->in);
	return in != NULL && in->n_people == 1 ? in->people[0] : NULL;
}

/* The people of card old, copied into a new array in c->wa with room for
 * one more; NULL when memory is short. */
static Ktstore__PersonRecord **
people_copy(kt_card_op_t *c, const Ktstore__ClientRecord *old)
{
	Ktstore__PersonRecord **v;

	v = kt_arena_alloc(c->wa, (old->n_people + 1) * sizeof(*v));
	if (v != NULL && old->n_people)
		memcpy(v, old->people, old->n_people * sizeof(*v));
	return v;
}

/* 1 when c->index names a person of old, else c refused BAD_REQUEST (the
 * caller may see the card: it may learn how many people it holds). */
static int
index_fits(kt_card_op_t *c, const Ktstore__ClientRecord *old)
{
	if (c->index >= 1 && c->index <= old->n_people)
		return 1;
	if (old->n_people == 0)
		kt_card_op_refuse(c, KT_CODE_BAD, "index: client %" PRIu64
		    " has no people", c->id);
	else
		kt_card_op_refuse(c, KT_CODE_BAD, "index: %" PRIu32 " is not "
		    "a person of client %" PRIu64 " (1 to %zu)", c->index,
		    c->id, old->n_people);
	return 0;
}

static int
add_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	kt_card_op_t *c = kt_req_state(r);
	Ktstore__ClientRecord *old = NULL, rec;
	const Ktstore__PersonRecord *p;
	char what[64];
	int rc;

	if ((rc = kt_card_op_load_edit(st, txn, r, KT_AUDIT_PERSON_ADD,
	    &old)) != 0 || c->code != KT_CODE_OK)
		return rc;
	if (old->n_people >= KT_CARD_PEOPLE_MAX) {
		kt_card_op_refuse(c, KT_CODE_BAD, "person: client %" PRIu64
		    " already has %u people, at most %u", c->id,
		    (unsigned)old->n_people, KT_CARD_PEOPLE_MAX);
		return 0;
	}
	if ((p = kept_person(c)) == NULL)
		return KT_EPROTO;
	/* rec borrows old's memory and the mutation arena's. */
	rec = *old;
	if ((rec.people = people_copy(c, old)) == NULL)
		return KT_ENOMEM;
	rec.people[rec.n_people++] = (Ktstore__PersonRecord *)p;
	snprintf(what, sizeof(what), "person %zu added:", rec.n_people);
	return kt_card_op_save(st, txn, r, old, &rec, KT_CARD_PEOPLE,
	    KT_AUDIT_PERSON_ADD, what);
}

static int
edit_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	kt_card_op_t *c = kt_req_state(r);
	Ktstore__ClientRecord *old = NULL, rec;
	Ktstore__PersonRecord *next;
	const Ktstore__PersonRecord *p;
	char what[64];
	int rc;

	if ((rc = kt_card_op_load_edit(st, txn, r, KT_AUDIT_PERSON_EDIT,
	    &old)) != 0 || c->code != KT_CODE_OK || !index_fits(c, old))
		return rc;
	if ((p = kept_person(c)) == NULL)
		return KT_EPROTO;
	rec = *old;
	next = kt_arena_alloc(c->wa, sizeof(*next));
	if (next == NULL || (rec.people = people_copy(c, old)) == NULL)
		return KT_ENOMEM;
	kt_card_person_merge(old->people[c->index - 1], p, c->fields, next);
	rec.people[c->index - 1] = next;
	snprintf(what, sizeof(what), "person %" PRIu32 " changed:", c->index);
	return kt_card_op_save(st, txn, r, old, &rec, KT_CARD_PEOPLE,
	    KT_AUDIT_PERSON_EDIT, what);
}

static int
remove_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	kt_card_op_t *c = kt_req_state(r);
	Ktstore__ClientRecord *old = NULL, rec;
	char what[64];
	int rc;

	if ((rc = kt_card_op_load_edit(st, txn, r, KT_AUDIT_PERSON_REMOVE,
	    &old)) != 0 || c->code != KT_CODE_OK || !index_fits(c, old))
		return rc;
	rec = *old;
	if ((rec.people = people_copy(c, old)) == NULL)
		return KT_ENOMEM;
	memmove(&rec.people[c->index - 1], &rec.people[c->index],
	    (old->n_people - c->index) * sizeof(*rec.people));
	rec.n_people--;
	snprintf(what, sizeof(what), "person %" PRIu32 " removed:", c->index);
	return kt_card_op_save(st, txn, r, old, &rec, KT_CARD_PEOPLE,
	    KT_AUDIT_PERSON_REMOVE, what);
}

/* ==== the ops ============================================================= */

static void
op_person_add(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__PersonAddRequest *pa = msg->person_add;
	kt_card_op_t *c;

	if (!check_request(r, pa->version, 0, 0) ||
	    (c = kt_card_op_by_id(r, add_mut, pa->id)) == NULL)
		return;
	c->version = pa->version;
	c->force = pa->force;
	if (take_person(r, c, pa->person, KT_PERSON_ALL))
		kt_card_op_submit(r);
}

static void
op_person_edit(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__PersonEditRequest *pe = msg->person_edit;
	unsigned bits = 0;
	kt_card_op_t *c;

	for (size_t i = 0; i < pe->n_fields; i++) {
		unsigned bit = kt_card_person_field_bit(pe->fields[i]);
		if (bit == 0) {
			kt_req_fail(r, KT_CODE_BAD, "fields: '%.64s' is not a "
			    "field of a person (name, relation, birth, "
			    "phones, email, note)", pe->fields[i]);
			return;
		}
		bits |= bit;
	}
	if (bits == 0) {
		kt_req_fail(r, KT_CODE_BAD, "fields: name the fields to "
		    "change");
		return;
	}
	if (!check_request(r, pe->version, 1, pe->index) ||
	    (c = kt_card_op_by_id(r, edit_mut, pe->id)) == NULL)
		return;
	c->version = pe->version;
	c->index = pe->index;
	c->fields = bits;
	c->force = pe->force;
	if (take_person(r, c, pe->person, bits))
		kt_card_op_submit(r);
}

static void
op_person_remove(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__PersonRemoveRequest *pr = msg->person_remove;
	kt_card_op_t *c;

	if (!check_request(r, pr->version, 1, pr->index) ||
	    (c = kt_card_op_by_id(r, remove_mut, pr->id)) == NULL)
		return;
	c->version = pr->version;
	c->index = pr->index;
	kt_card_op_submit(r);
}

/* ==== the rows ============================================================= */

#define OP(c) KARTOTEKA__REQUEST__OP_##c

static const kt_op_row_t rows[] = {
	{ OP(PERSON_ADD), KT_MSG("add people to cards"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_EDIT_CLIENT, KT_AUDIT_PERSON_ADD,
	    op_person_add, sizeof(kt_card_op_t) },
	{ OP(PERSON_EDIT), KT_MSG("edit people on cards"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_EDIT_CLIENT, KT_AUDIT_PERSON_EDIT,
	    op_person_edit, sizeof(kt_card_op_t) },
	{ OP(PERSON_REMOVE), KT_MSG("remove people from cards"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_EDIT_CLIENT, KT_AUDIT_PERSON_REMOVE,
	    op_person_remove, sizeof(kt_card_op_t) },
};

const kt_op_domain_t kt_ops_person = { "person", rows,
	sizeof(rows) / sizeof(rows[0]) };
