/* SPDX-License-Identifier: MIT */
/* A deterministic working history for a generated family (families.h),
 * written straight into the store: the calls and visits of the last two
 * years, the subscriptions sold and renewed, trial lessons still open or
 * lost, and the manager's open and done tasks. The demo base and the
 * agenda and report benchmarks use it, so that `agenda` and `report` show
 * something real on the first run.
 *
 * What a family gets depends on its status (families.h):
 *   ACTIVE   came 20..730 days ago; a chain of three-month subscriptions
 *            (each renewing the one before, won a few days before it
 *            starts) up to now; one in ten stopped renewing about eleven
 *            and a half months ago (a client to re-offer); calls and
 *            visits, the newest within two months for most, older than
 *            90 days for one in ten; one in eight has an open task
 *            (overdue, today or this week) and one in seven an open
 *            second course
 *   LEAD     came in the last 240 days; a call or two; half have an open
 *            trial-lesson deal, one in ten a lost one; a third have a
 *            call to make
 *   FORMER   came 400..730 days ago; one or two subscriptions that ended
 *            long ago (a third of them won 11..12 months ago)
 * Times are in local time relative to `now`; the same (k, status, now
 * day) gives the same history. Nothing here writes audit entries. */
#ifndef KT_BENCH_HISTORY_H
#define KT_BENCH_HISTORY_H

#include <stdint.h>

#include "families.h"
#include "model/store.h"

/* What kt_history_put wrote, added to the counts already in *n. */
typedef struct kt_history_counts {
	uint64_t interactions, deals, won, open_deals, tasks, open_tasks;
} kt_history_counts_t;

/* The time family f came to the business (its card's created_at), for
 * card k at `now`. */
int64_t kt_history_created_at(const kt_family_t *f, int64_t now);

/* kt_history_put writes card `client`'s history (family f, card made at
 * created = kt_history_created_at) in write transaction txn: its
 * interactions (kt_istore_add), deals (kt_deal_add) and tasks
 * (kt_task_add), all by manager `manager` of branch `branch`. Every
 * string is static or on the stack: nothing to free. Returns 0 or the
 * store's KT_E* code (KT_ENOSPC: the map is full, retry the batch). */
int kt_history_put(kt_store_t *st, MDB_txn *txn, const kt_family_t *f,
    uint64_t client, uint64_t branch, uint64_t manager, int64_t now,
    kt_history_counts_t *n);

#endif
