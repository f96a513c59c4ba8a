/* SPDX-License-Identifier: MIT */
/* What has happened with one client, in one small record per client
 * ("client_activity", ClientActivityRecord): the newest interaction, how
 * many interactions, how many open deals, the newest won deal and the
 * newest deal. The interaction and deal stores keep it up to date in the
 * transaction of each change; segment filters, the agenda and reports read
 * it instead of walking interactions and deals. This module only reads and
 * writes the record: what the numbers mean belongs to those stores. */
#ifndef KT_CLIENT_ACTIVITY_H
#define KT_CLIENT_ACTIVITY_H

#include <stdint.h>

#include "model/store.h"

typedef struct kt_activity {
	int64_t last_interaction_at;  /* unix seconds, 0 = none */
	uint32_t interactions;
	uint32_t open_deals;          /* stage new or in progress */
	int64_t last_won_at;          /* newest close of a won deal, 0 = none */
	int64_t last_deal_at;         /* newest creation of any deal, 0 = none */
} kt_activity_t;

/* kt_activity_get reads client's record into *out (all zero when it has
 * none). Any transaction. Returns 0, KT_ESTORE, KT_EPROTO. */
int kt_activity_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t client,
    kt_activity_t *out);

/* kt_activity_put stores *a as client's record (an all-zero one is
 * deleted). Write transaction. Returns 0, KT_ENOSPC, KT_ESTORE,
 * KT_ENOMEM. */
int kt_activity_put(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t client,
    const kt_activity_t *a);

/* kt_activity_drop deletes client's record (purge). Write transaction.
 * Returns 0, KT_ESTORE. */
int kt_activity_drop(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t client);

#endif
