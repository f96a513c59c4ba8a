/* SPDX-License-Identifier: MIT */
/* What hangs off a client card in other stores (interactions, deals,
 * tasks, its activity record), and what happens to it when the card goes:
 * a purge (erasure request) deletes it all, a merge moves it to the card
 * that stays. The client ops call these in the transaction of the purge or
 * merge; each store of the working day adds its own step here, so that a
 * new one cannot be forgotten by either op. */
#ifndef KT_CLIENT_LINKS_H
#define KT_CLIENT_LINKS_H

#include <stddef.h>
#include <stdint.h>

#include "model/store.h"

/* What a purge removed or a merge moved, for the audit entry's detail. */
typedef struct kt_links_count {
	size_t interactions;
	size_t deals;
	size_t tasks;
} kt_links_count_t;

/* kt_client_links_purge deletes everything of client in the other stores.
 * Write transaction. Returns 0, KT_ENOSPC, KT_ESTORE, KT_ENOMEM. */
int kt_client_links_purge(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t client, int64_t now, kt_links_count_t *out);

/* kt_client_links_move gives everything of client from to client into
 * (the card that stays after a merge). Write transaction. Returns 0,
 * KT_ENOSPC, KT_ESTORE, KT_ENOMEM. */
int kt_client_links_move(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t from, uint64_t into, int64_t now, kt_links_count_t *out);

/* "interactions 3, deals 1, tasks 0", for an audit detail. */
void kt_client_links_detail(const kt_links_count_t *n, char *buf,
    size_t cap);

#endif
