/* SPDX-License-Identifier: MIT */
/* The save path of every op that changes one client card (client edit in
 * ops/client.c, the person ops in ops/person.c): the op's state, the
 * quick visibility check on the loop, the writer's load with its authz
 * and version checks, and the save (size, duplicates of phones and
 * e-mails, the destructive-change counter, merge alerts, the history
 * version, the audit entry and the masked answer). Private to the ops
 * that share it. */
#ifndef KT_OPS_CARD_OP_H
#define KT_OPS_CARD_OP_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "model/audit.h"
#include "model/authz.h"
#include "model/store.h"
#include "records.pb-c.h"
#include "req.h"

#define KT_CARD_OP_DUPS_MAX 8u  /* cards one change can share contacts with */

/* Everything a card op needs after the request is gone, in its request
 * state (the op row's state_size is sizeof(kt_card_op_t)). The results
 * are reset on every run of the mutation. */
typedef struct kt_card_op {
	kt_req_mut_fn part;              /* the op's part of the mutation */
	int64_t now;
	uint64_t id, version, branch, manager;
	uint64_t from;                   /* merge: the card merged into id */
	unsigned fields;                 /* KT_CARD_* for edit, KT_PERSON_*
					    for person edit */
	uint32_t index;                  /* person edit/remove: 1-based */
	int restore, force;
	uint8_t *in;                     /* packed ClientRecord (add, edit,
					    person add/edit: one person),
					    kept by the request */
	size_t inlen;
	kt_arena_t *wa;                  /* the mutation's arena (writer
					    thread, during the mutation):
					    cards read and answers built
					    there */
	/* results, set on the writer thread */
	uint32_t code;
	char msg[300];
	uint64_t dup_of;                 /* a visible duplicate's id */
	uint64_t dups[KT_CARD_OP_DUPS_MAX]; /* cards sharing a contact that
					    the change keeps: hidden, or
					    forced */
	size_t ndups;
} kt_card_op_t;

/* kt_card_op_refuse sets c's outcome: code (KT_CODE_*) and the message. */
void kt_card_op_refuse(kt_card_op_t *c, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* kt_card_op_by_id starts an op naming client id: part is its share of
 * the mutation. A card the caller cannot see is answered on the loop as
 * a missing one (costing no write). Returns r's state, or NULL with r
 * answered. */
kt_card_op_t *kt_card_op_by_id(kt_req_t *r, kt_req_mut_fn part, uint64_t id);

/* kt_card_op_submit queues r's card op (its part) for the writer; the
 * answer leaves after the commit. Takes r over. */
void kt_card_op_submit(kt_req_t *r);

/* kt_card_op_keep packs rec into c->in, kept by r until it ends (the
 * writer unpacks it). Returns 1, or 0 with r answered (the card is too
 * large: BAD_REQUEST naming it; out of memory). */
int kt_card_op_keep(kt_req_t *r, kt_card_op_t *c,
    const Ktstore__ClientRecord *rec);

/* kt_card_op_load_edit, on the writer: loads card c->id for a change
 * audited under action, checking that the caller may edit it
 * (KT_ACT_EDIT_CLIENT: a card it cannot see answers NOT_FOUND like a
 * missing one, FORBIDDEN is audited) and that c->version is the current
 * one (else CONFLICT naming it). *old is the card, in c->wa, when c->code
 * is OK. Returns 0 or a store error. */
int kt_card_op_load_edit(kt_store_t *st, MDB_txn *txn, kt_req_t *r,
    kt_audit_action_t action, Ktstore__ClientRecord **old);

/* kt_card_op_save, on the writer: saves rec, card old with the change
 * (KT_CARD_* bits in b), as the next version: refuses a card grown past
 * the answer size or holding too many contacts (BAD_REQUEST), checks the
 * referrer (b names it) and the duplicates of new phones and e-mails (b
 * names people: DESIGN §4, one verdict per answer), counts a change that
 * removes people or contacts, raises merge alerts, stores the version
 * with its history and audits it under action with detail what (ids and
 * field names, never data; NULL: none) followed by the fields. Answers
 * the card masked, or c's refusal is left for the mutation to answer.
 * rec borrows old's memory. Returns 0 or a store error. */
int kt_card_op_save(kt_store_t *st, MDB_txn *txn, kt_req_t *r,
    const Ktstore__ClientRecord *old, Ktstore__ClientRecord *rec,
    unsigned b, kt_audit_action_t action, const char *what);

#endif
