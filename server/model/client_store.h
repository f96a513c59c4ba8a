/* SPDX-License-Identifier: MIT */
/* Client cards in the store: records, the indexes kept in step with them
 * inside the same write transaction, index scans into id sets, and the
 * per-user daily counters of full card views. */
#ifndef KT_CLIENT_STORE_H
#define KT_CLIENT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "records.pb-c.h"
#include "model/client_history.h"
#include "model/store.h"

/* Longest index key of a folded word, tag or e-mail: longer ones are cut
 * at a UTF-8 boundary (LMDB keys are at most 511 bytes; a prefix search
 * for a longer word cuts the same way). */
#define KT_CSTORE_WORD_MAX 128u

/* ---- id sets ------------------------------------------------------------ */

/* A growable array of client ids; sorted and unique after
 * kt_idset_normalize. Zero-initialise; free with kt_idset_free. */
typedef struct kt_idset {
	uint64_t *ids;
	size_t n, cap;
} kt_idset_t;

/* Appends id. Returns 0 or KT_ENOMEM. */
int kt_idset_add(kt_idset_t *s, uint64_t id);
/* Sorts and removes duplicates. */
void kt_idset_normalize(kt_idset_t *s);
/* Keeps in a only the ids also in b (both normalized). */
void kt_idset_intersect(kt_idset_t *a, const kt_idset_t *b);
/* 1 when id is in s (normalized). */
int kt_idset_has(const kt_idset_t *s, uint64_t id);
void kt_idset_free(kt_idset_t *s); /* accepts NULL */

/* ---- records -------------------------------------------------------------- */

/* kt_cstore_get reads client id.
 *   [out] rec  unpacked with the default allocator; free with
 *              protobuf_c_message_free_unpacked
 * Returns 0, KT_ENOTFOUND, KT_ESTORE, KT_EPROTO. */
int kt_cstore_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    Ktstore__ClientRecord **rec);

/* kt_cstore_get_with is kt_cstore_get unpacking with allocator a (an
 * arena's: nothing to free piecemeal; NULL: as kt_cstore_get). */
struct ProtobufCAllocator;
int kt_cstore_get_with(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    struct ProtobufCAllocator *a, Ktstore__ClientRecord **rec);

/* Cheap looks without reading the card: 1 when client id exists (purged
 * tombstones too), and 1 when it is an unpurged card of branch (from the
 * branch index). Either way 0 otherwise, also on a store error. */
int kt_cstore_exists(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id);
int kt_cstore_in_branch(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    uint64_t branch);

/* 1 when card id may be seen by user u, from the indexes alone (the card
 * is not read): whoever sees every branch needs only that it exists
 * (tombstones too: the op then says it was purged), others that it is
 * in one of their branches (a purged card is in none). The quick look on
 * the loop before an op on one card: a card the caller cannot see costs
 * no write and answers like a missing one. */
struct kt_user;
int kt_cstore_visible_to(MDB_txn *txn, const kt_store_dbs_t *db,
    const struct kt_user *u, uint64_t id);

/* kt_cstore_put stores rec (its id and version set), moves the indexes
 * from old (the stored version, NULL for a new card) to rec, and keeps rec
 * as a version in the card's history written by who (client_history.h).
 * who is NULL only for a purge's tombstone (whose history purge drops)
 * and in tests. A purged rec gets no index entries. Call inside a write
 * transaction. Returns 0, KT_ENOSPC, KT_ESTORE, KT_ENOMEM. */
int kt_cstore_put(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__ClientRecord *old, const Ktstore__ClientRecord *rec,
    const kt_chist_who_t *who);

/* Schema 3 -> 4 (model/migrate.c): the index keys schema 4 added for
 * every card that is not purged: its folded contract number in
 * cx_contract, and the consent and do-not-contact flag keys of cx_status
 * (KT_CSTORE_CONSENT_KEY, KT_CSTORE_DNC_KEY). Write transaction txn (the
 * step's). Returns 0, KT_ENOSPC, KT_ESTORE, KT_EPROTO (an undecodable
 * card), KT_ENOMEM. */
struct kt_store;
int kt_cstore_migrate_v4(struct kt_store *st, MDB_txn *txn);

/* The folded index key of an e-mail, a tag or a word (cut to
 * KT_CSTORE_WORD_MAX bytes) into out[KT_CSTORE_WORD_MAX + 1]. Returns its
 * length, or 0 when s folds to nothing or is not valid UTF-8. */
size_t kt_cstore_fold_key(const char *s, char *out);

/* ---- archived cards --------------------------------------------------------- */

/* Besides its one-byte status keys, cx_status holds every archived card
 * (not purged) under this two-byte key, so that lists leave archived
 * cards out without reading them. */
#define KT_CSTORE_ARCHIVED_KEY "\xff" "A"
#define KT_CSTORE_ARCHIVED_KEYLEN 2u

/* Flag keys of cx_status, two bytes like the archived one (segments,
 * issue 9): a card with a consent date, a card marked do-not-contact. */
#define KT_CSTORE_FLAG_KEYLEN 2u
#define KT_CSTORE_CONSENT_KEY "\xff" "C"
#define KT_CSTORE_DNC_KEY "\xff" "D"

/* ---- index scans ---------------------------------------------------------- */

/* Adds to set every id stored under exactly key in dup index dbi.
 * Returns 0, KT_ENOMEM, KT_ESTORE. */
int kt_cstore_ids_eq(MDB_txn *txn, MDB_dbi dbi, const void *key,
    size_t keylen, kt_idset_t *set);

/* Adds to set every id under keys starting with prefix (any length, 0 =
 * the whole index). */
int kt_cstore_ids_prefix(MDB_txn *txn, MDB_dbi dbi, const void *prefix,
    size_t len, kt_idset_t *set);

/* Adds to set every id under keys k with lo <= k < hi (memcmp order on
 * keys of the same length as lo and hi). */
int kt_cstore_ids_range(MDB_txn *txn, MDB_dbi dbi, const void *lo,
    const void *hi, size_t len, kt_idset_t *set);

/* Every client id (the clients db), tombstones included. */
int kt_cstore_ids_all(MDB_txn *txn, const kt_store_dbs_t *db,
    kt_idset_t *set);

#endif
