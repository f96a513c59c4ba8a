/* SPDX-License-Identifier: MIT */
/* Interactions with clients (DESIGN §5): a call, a meeting, a letter, a
 * visit, one InteractionRecord each in "interactions" (id BE64), with
 * their index in "interaction_ix", and the interaction half of the
 * client's activity record (client_activity.h: newest `at`, count) kept
 * in the transaction of each change. Append-only: entries are added, and
 * go only with their client (purge) or move with it (merge).
 *
 * Index kinds of "interaction_ix" (every value is empty):
 *   'c' || client BE64 || at BE64 || id BE64
 *        a client's entries in time order, read backwards for newest
 *        first; `at` is stored with its sign bit flipped so that the
 *        byte order is the numeric order
 *   'k' || corrected id BE64 || correcting id BE64
 *        the entries correcting one entry (the newest is the last key)
 */
#ifndef KT_INTERACTION_STORE_H
#define KT_INTERACTION_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "kartoteka.pb-c.h"
#include "model/store.h"
#include "records.pb-c.h"

#define KT_ISTORE_IX_CLIENT 'c'
#define KT_ISTORE_IX_CORRECTS 'k'

/* A place in a client's entries, newest first: entries strictly older
 * than (at, id) come after it. */
typedef struct kt_istore_pos {
	int64_t at;
	uint64_t id;
} kt_istore_pos_t;

/* kt_istore_add stores rec as a new entry: rec->id is set from counter
 * "interaction" (kt_store_next_id), the indexes are written and the
 * client's activity record counts it (its newest `at` the later of the
 * two). Nothing is checked here: the op validated rec (the client exists,
 * rec->corrects is an entry of the same client). Write transaction.
 *   [in,out] rec  everything but id set by the caller; borrowed
 * Returns 0, KT_ENOSPC, KT_ESTORE, KT_ENOMEM, KT_EPROTO (a bad activity
 * record). */
int kt_istore_add(kt_store_t *st, MDB_txn *txn, Ktstore__InteractionRecord *rec);

/* kt_istore_get reads entry id, unpacked with allocator a (NULL: the
 * default one; then the caller frees *out with
 * ktstore__interaction_record__free_unpacked). Any transaction.
 * Returns 0, KT_ENOTFOUND, KT_ESTORE, KT_EPROTO. */
int kt_istore_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    ProtobufCAllocator *a, Ktstore__InteractionRecord **out);

/* kt_istore_page reads up to limit entries of client, newest first
 * (by `at`, then by id), after below (NULL: from the newest).
 *   [out] out    limit slots; entries unpacked with allocator a (give an
 *                arena's: nothing to free piecemeal; with NULL the caller
 *                frees each with ktstore__interaction_record__free_unpacked)
 *   [out] n      entries read
 *   [out] more   1 when an older entry exists after the last one read
 * An index key whose record is missing or does not unpack is skipped.
 * Any transaction. Returns 0, KT_ESTORE, KT_ENOMEM. */
int kt_istore_page(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t client,
    const kt_istore_pos_t *below, size_t limit, ProtobufCAllocator *a,
    Ktstore__InteractionRecord **out, size_t *n, int *more);

/* kt_istore_corrected_by: [out] *by the newest entry correcting id (0 for
 * none). Any transaction. Returns 0, KT_ESTORE. */
int kt_istore_corrected_by(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t id, uint64_t *by);

/* kt_istore_drop_client deletes every entry of client and its index keys
 * (purge), and clears the interaction half of its activity record.
 * [out] *n (may be NULL) the entries deleted. Write transaction.
 * Returns 0, KT_ENOSPC, KT_ESTORE, KT_ENOMEM, KT_EPROTO. */
int kt_istore_drop_client(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t client, size_t *n);

/* kt_istore_move gives every entry of client from to client into (merge):
 * the records name into (their `branch`, the branch when recorded,
 * stays), the index moves, into's activity is recounted from its entries
 * and from's interaction half cleared. [out] *n (may be NULL) the entries
 * moved. from == into moves nothing. Write transaction.
 * Returns 0, KT_ENOSPC, KT_ESTORE, KT_ENOMEM, KT_EPROTO. */
int kt_istore_move(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t from,
    uint64_t into, size_t *n);

/* kt_istore_wire fills out, the wire form of entry rec: its author's
 * login read inside txn, corrected_by looked up in the index; every
 * allocation in arena a, strings pointing into rec or a. Returns 0,
 * KT_ENOMEM, KT_ESTORE. */
int kt_istore_wire(MDB_txn *txn, const kt_store_dbs_t *db, kt_arena_t *a,
    const Ktstore__InteractionRecord *rec, Kartoteka__Interaction *out);

#endif
