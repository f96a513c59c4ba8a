/* SPDX-License-Identifier: MIT */
/* Card history (DESIGN §7): every version of every card as it was
 * written, with who wrote it, when, from which terminal and which fields
 * it changed, in "client_history" (client BE64 || version BE64). Written by
 * kt_cstore_put in the transaction of the change; removed only by purge. */
#ifndef KT_CLIENT_HISTORY_H
#define KT_CLIENT_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "model/store.h"
#include "records.pb-c.h"

/* Who wrote a version. The pointers are borrowed for the call. */
typedef struct kt_chist_who {
	int64_t time;                 /* unix seconds */
	uint64_t user;                /* 0 = the server itself */
	const uint8_t *terminal;      /* 32 bytes, or NULL (local command) */
	const char *action;           /* audit action name, "client.edit" */
	uint32_t fields;              /* KT_CARD_* bits changed */
} kt_chist_who_t;

/* kt_chist_put stores card rec (rec->version set) as written by who.
 * Write transaction. Returns 0, KT_ENOSPC, KT_ESTORE, KT_ENOMEM. */
int kt_chist_put(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__ClientRecord *rec, const kt_chist_who_t *who);

/* kt_chist_get reads version of card id, unpacked with allocator a
 * (NULL: the default one; then the caller frees *out with
 * ktstore__client_version_record__free_unpacked). Returns 0,
 * KT_ENOTFOUND, KT_ESTORE, KT_EPROTO. */
int kt_chist_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    uint64_t version, ProtobufCAllocator *a,
    Ktstore__ClientVersionRecord **out);

/* Called by kt_chist_each for each version; a non-zero return stops the
 * walk and is returned. v is valid for the call only. */
typedef int (*kt_chist_fn)(const Ktstore__ClientVersionRecord *v, void *arg);

/* kt_chist_each walks the versions of card id below before (0: from the
 * newest), newest first, at most limit of them (0: all). [out] *next (may
 * be NULL) is the version to pass as before for the next page, 0 after
 * the oldest. Returns 0, fn's return, KT_ESTORE. */
int kt_chist_each(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    uint64_t before, size_t limit, kt_chist_fn fn, void *arg,
    uint64_t *next);

/* kt_chist_drop deletes every version of card id (purge); *n (may be
 * NULL) counts them. Write transaction. Returns 0, KT_ESTORE. */
int kt_chist_drop(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    size_t *n);

/* Schema 2 -> 3 (model/migrate.c): the current version of every card
 * that is not purged becomes its first version in the history, written
 * by its creator at its last update, action "history.start". */
int kt_chist_migrate_v3(kt_store_t *st, MDB_txn *txn);

#endif
