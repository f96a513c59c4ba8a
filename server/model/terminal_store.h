/* SPDX-License-Identifier: MIT */
/* Terminals and invites in the store: an invite issued for a branch (or
 * the owner), its one-time use by an enrolment, finding a terminal by
 * name or key prefix, revocation, and the generation counter that tells
 * the running server to re-check its connections. The protocol ops and
 * the offline commands of kartotekad go through these functions, so both
 * follow the same rules and write the same audit entries. */
#ifndef KT_TERMINAL_STORE_H
#define KT_TERMINAL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "model/audit.h"
#include "model/store.h"
#include "model/verdict.h"
#include "records.pb-c.h"

#define KT_INVITE_TTL_S (24 * 3600)   /* default life of an invite */

/* kt_terminal_get reads the terminal with public key key (free *rec with
 * protobuf_c_message_free_unpacked). Returns 0, KT_ENOTFOUND, KT_ESTORE,
 * KT_EPROTO. */
int kt_terminal_get(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t key[static 32], Ktstore__TerminalRecord **rec);

/* kt_terminal_find finds the terminal which names: its name, or 8 to 64
 * hex digits of its key (either case). When several match and exactly one of them is
 * not revoked, that one is meant (a name reused after a revocation);
 * otherwise several matches refuse v with CONFLICT, none with NOT_FOUND.
 *   [out] key  the terminal's public key when v is OK
 * Returns 0 or a store error. */
int kt_terminal_find(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *which, uint8_t key[static 32], kt_verdict_t *v);

/* kt_terminal_revoke_check finds which (as kt_terminal_find) and refuses
 * v with CONFLICT when it is already revoked. */
int kt_terminal_revoke_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *which, uint8_t key[static 32], kt_verdict_t *v);

/* kt_terminal_revoke revokes the terminal which names at now, moves the
 * terminals generation (its connections close within a second, at once
 * for the server that did it) and audits terminal.revoke by actor. A
 * refusal writes nothing (v set). Write transaction.
 * Returns 0, KT_ENOSPC, KT_ESTORE. */
int kt_terminal_revoke(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const char *which, int64_t now, uint8_t key[static 32],
    kt_verdict_t *v);

/* kt_invite_put stores a single-use invite for branch (0: an owner
 * terminal) valid from now for ttl_s seconds, keyed by the hash of token
 * (the token itself is never stored), and audits terminal.invite by actor
 * (object "invite:<first 8 bytes of the hash, hex>"; branch_name goes in
 * the detail). Write transaction. Returns 0, KT_EEXIST (an invite with
 * this token exists: nothing written), KT_ENOSPC, KT_ESTORE. */
int kt_invite_put(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    uint64_t branch, const char *branch_name,
    const uint8_t token[static 32], int64_t now, int64_t ttl_s);

/* kt_terminal_enroll uses the invite whose token hashes to token_hash to
 * enrol the terminal key term_key under name at now: the invite is marked
 * used and the terminal stored with the invite's branch (*branch). An
 * unknown, used or expired invite, an invite for a branch archived since,
 * or a key already enrolled or revoked, refuses v (UNAUTHENTICATED,
 * FORBIDDEN, CONFLICT or FORBIDDEN). Both outcomes are
 * audited (enroll / enroll.failed, by the terminal). The name must
 * already be checked (kt_text_problem, KT_TERMINAL_NAME_MAX). Write
 * transaction. Returns 0, KT_ENOSPC, KT_ESTORE. */
int kt_terminal_enroll(kt_store_t *st, MDB_txn *txn,
    const uint8_t term_key[static 32], const uint8_t token_hash[static 32],
    const char *name, int64_t now, const uint8_t *sign_sk,
    uint64_t *branch, kt_verdict_t *v);

/* The address invites tell terminals to dial (meta "advertise", set by
 * `kartotekad init --advertise`), or KT_INVITE_ADVERTISE_DEFAULT, into
 * out. */
#define KT_INVITE_ADVERTISE_DEFAULT "127.0.0.1:7700"
void kt_invite_advertise(MDB_txn *txn, const kt_store_dbs_t *db, char *out,
    size_t cap);
int kt_invite_set_advertise(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *address);

/* The terminals generation (meta "terminals_gen"): moved by every change
 * that can end a connection's right to go on (revocation, a user
 * disabled or given other branches), from this process or another. */
uint64_t kt_terminals_gen(MDB_txn *txn, const kt_store_dbs_t *db);
int kt_terminals_gen_bump(MDB_txn *txn, const kt_store_dbs_t *db);

/* "terminal:<first 8 bytes of key, hex>" into out. */
void kt_terminal_object(char out[static 48], const uint8_t key[static 32]);

#endif
