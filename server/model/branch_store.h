/* SPDX-License-Identifier: MIT */
/* Branches in the store: their records and name index, the rules a
 * branch's name and address follow, and the audited changes (add,
 * rename, archive, restore) that both the protocol ops and the offline
 * commands of kartotekad make through these functions. */
#ifndef KT_BRANCH_STORE_H
#define KT_BRANCH_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "model/audit.h"
#include "model/store.h"
#include "model/verdict.h"
#include "records.pb-c.h"

/* kt_branch_id finds the branch named name, by its folded form (names are
 * unique regardless of case and 'ё': "Центр", "центр" and "ЦЕНТР" are one
 * name). Returns 0, KT_ENOTFOUND (also for NULL or ""), KT_ESTORE. */
int kt_branch_id(MDB_txn *txn, const kt_store_dbs_t *db, const char *name,
    uint64_t *id);

/* kt_branch_get reads branch id into *rec (free with
 * protobuf_c_message_free_unpacked). Returns 0, KT_ENOTFOUND, KT_ESTORE,
 * KT_EPROTO. */
int kt_branch_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    Ktstore__BranchRecord **rec);

/* The name of branch id into out (cap bytes): "#id" when there is no such
 * branch, "" for 0 (no branch: an owner terminal). */
void kt_branch_name(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    char *out, size_t cap);

/* kt_branch_resolve turns names (n of them) into the ids of working
 * branches: ids gets at most max, duplicates dropped, *nids their count.
 * A name that is no branch, or an archived branch, refuses v with
 * BAD_REQUEST naming field. Returns 0 (see v) or a store error. */
int kt_branch_resolve(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *field, char *const *names, size_t n, uint64_t *ids,
    size_t max, size_t *nids, kt_verdict_t *v);

/* The checks of the changes below, against the store as txn sees it (a
 * read transaction on the loop, for an early answer, or the writer's).
 * Each leaves v OK or refused and returns 0 or a store error. */
int kt_branch_add_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *name, const char *address, kt_verdict_t *v);
int kt_branch_rename_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *name, const char *new_name, uint64_t *id, kt_verdict_t *v);
int kt_branch_archive_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *name, int archive, uint64_t *id, kt_verdict_t *v);

/* The changes, inside the write transaction txn, each with its audit
 * entry by actor (branch.add, branch.rename, branch.archive or
 * branch.restore; object "branch:<id>"). Each runs its check first: a
 * refusal writes nothing and returns 0 with v set.
 *   [out] id  the branch's id
 * Return 0 or KT_ENOSPC, KT_ESTORE, KT_ENOMEM. */
int kt_branch_add(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const char *name, const char *address, uint64_t *id, kt_verdict_t *v);
int kt_branch_rename(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const char *name, const char *new_name, uint64_t *id, kt_verdict_t *v);
int kt_branch_archive(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const char *name, int archive, uint64_t *id, kt_verdict_t *v);

/* The settings kt_branch_set changes: KT_BRANCH_F_* bits and values. */
enum {
	KT_BRANCH_F_TZ = 1,         /* time zone of its business day */
	KT_BRANCH_F_HOURS = 2,      /* working hours */
	KT_BRANCH_F_DESK_LOCK = 4,  /* kartoteka-tui's idle lock */
};
/* The desk lock's bounds (Branch.desk_lock_s; 0 = the client's own). */
#define KT_DESK_LOCK_MIN_S 60u
#define KT_DESK_LOCK_MAX_S 86400u
typedef struct kt_branch_settings {
	unsigned fields;
	const char *time_zone;      /* IANA name (checked by the caller
				       against the tz database), "" = default */
	unsigned work_from, work_to; /* minutes after midnight; 0, 0 = none */
	uint32_t desk_lock_s;       /* 0, or KT_DESK_LOCK_MIN_S..MAX_S
				       (checked by the caller) */
} kt_branch_settings_t;

/* kt_branch_set changes the settings of branch name, with a branch.set
 * audit entry by actor; archived branches too. A refusal (no such
 * branch) writes nothing and returns 0 with v set. Write transaction.
 * Returns 0 or KT_ENOSPC, KT_ESTORE, KT_ENOMEM. */
int kt_branch_set_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *name, uint64_t *id, kt_verdict_t *v);
int kt_branch_set(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const char *name, const kt_branch_settings_t *set, uint64_t *id,
    kt_verdict_t *v);

/* kt_branch_migrate_v2 is the step from schema 1 to 2 (model/migrate.c):
 * the name index is made again with folded keys (schema 1 kept names as
 * typed, so "South" and "south" could both exist and a lookup depended
 * on the order they were added in). Of two names that fold alike, the
 * younger branch is renamed "name (id)", with a branch.rename audit entry
 * by no user saying why. Write transaction. Returns 0, KT_ENOMEM,
 * KT_ENOSPC, KT_ESTORE. */
int kt_branch_migrate_v2(kt_store_t *st, MDB_txn *txn);

#endif
