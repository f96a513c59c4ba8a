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
#include "model/client_history.h"
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

/* ---- new cards: client add and import (ops/import.c) share these ---- */

/* kt_card_op_place decides, on the loop inside txn, where a new card in
 * goes as client add does: its branch (named, else the terminal's, else
 * the caller's only one) and manager (the caller, unless one who may
 * reassign names a user working in that branch).
 * Returns KT_CODE_OK with *branch and *manager set, or KT_CODE_BAD or
 * KT_CODE_FORBIDDEN with msg (cap bytes) naming the field or the rule;
 * nothing is answered or audited here. */
uint32_t kt_card_op_place(kt_req_t *r, MDB_txn *txn,
    const Kartoteka__Client *in, uint64_t *branch, uint64_t *manager,
    char *msg, size_t cap);

/* kt_card_op_build checks the fields bits of card in (kt_card_build, with
 * the server's country code for phones; now bounds birth dates) and packs
 * the record into *out (malloc'd, *len bytes: the caller frees it).
 * Returns KT_CODE_OK, KT_CODE_BAD (err names the field path and the
 * problem) or KT_CODE_INTERNAL (out of memory). */
uint32_t kt_card_op_build(kt_req_t *r, const Kartoteka__Client *in,
    unsigned bits, int64_t now, uint8_t **out, size_t *len, char *err,
    size_t cap);

/* Called by kt_card_op_owners for card id holding contact what (a phone
 * when is_phone, else an e-mail): 0 goes on, 1 stops, a negative KT_E*
 * code stops and is returned. */
typedef int (*kt_card_owner_fn)(void *arg, uint64_t id, const char *what,
    int is_phone);

/* kt_card_op_owners calls fn for every card that holds a phone or an
 * e-mail of rec (in the order of rec's people and their contacts), from
 * the phone and e-mail indexes, leaving out the contacts old already
 * holds and old itself (old: the stored version of rec, NULL for a new
 * card). Purged cards are not in the indexes; the card is not read.
 * Returns 0, a store error, or fn's negative code. */
int kt_card_op_owners(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__ClientRecord *rec, const Ktstore__ClientRecord *old,
    kt_card_owner_fn fn, void *arg);

/* kt_card_op_referrer, on the writer: rec->referred_by, when set, must be
 * another card the caller can see; else c is refused BAD_REQUEST naming
 * the field (a card it cannot see answers as a missing one). Returns 0 or
 * a store error. */
int kt_card_op_referrer(kt_req_t *r, kt_card_op_t *c, MDB_txn *txn,
    const kt_store_dbs_t *db, const Ktstore__ClientRecord *rec);

/* kt_card_op_create, on the writer: stores rec (checked: referrer and
 * duplicates are the caller's business) as a new card of c->branch and
 * c->manager created at c->now, with its first version in the history,
 * raises a merge alert for each card in c->dups, and audits it under
 * action with detail what (ids and counts, never data; NULL: none)
 * followed by its branch and manager. Sets rec's id and version.
 * Returns 0 or a store error. */
int kt_card_op_create(kt_store_t *st, MDB_txn *txn, kt_req_t *r,
    kt_card_op_t *c, Ktstore__ClientRecord *rec, kt_audit_action_t action,
    const char *what);

/* Notes card id in c->dups (once; at most KT_CARD_OP_DUPS_MAX). */
void kt_card_op_note_dup(kt_card_op_t *c, uint64_t id);

/* kt_card_op_dup_alerts, on the writer, after card rec was saved: a
 * merge alert for each card of c->dups (it shares a contact with rec),
 * their ids appended to detail (NUL-terminated, cap bytes). Returns 0 or
 * a store error. */
int kt_card_op_dup_alerts(kt_store_t *st, MDB_txn *txn, kt_req_t *r,
    kt_card_op_t *c, const Ktstore__ClientRecord *rec, char *detail,
    size_t cap);

/* The history's record of who writes a card at c->now: r's caller and
 * terminal, under action, changing fields (KT_CARD_*). */
kt_chist_who_t kt_card_op_writer(kt_req_t *r, const kt_card_op_t *c,
    kt_audit_action_t action, uint32_t fields);

/* kt_card_op_merged: out = card a with card b merged in, as client merge
 * does (DESIGN §4): b's people that add something (not the same name
 * with every contact already on a), b's tags, b's notes after a's (unless
 * a's hold them already: merging the same card twice adds nothing), and
 * b's fields where a has none. out borrows a's and b's memory and arena
 * wa's. Returns 0 or KT_ENOMEM. */
int kt_card_op_merged(kt_arena_t *wa, const Ktstore__ClientRecord *a,
    const Ktstore__ClientRecord *b, Ktstore__ClientRecord *out);

#endif
