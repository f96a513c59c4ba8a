/* SPDX-License-Identifier: MIT */
/* Purge and merge across the stores of the working day (client_links.h). */
#include <stdio.h>
#include <string.h>

#include "kt_error.h"

#include "model/client_activity.h"
#include "model/client_links.h"
#include "model/interaction_store.h"
#include "model/deal_store.h"
#include "model/client_store.h"
#include "model/task_store.h"

int
kt_client_links_purge(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t client, int64_t now, kt_links_count_t *out)
{
	int rc = 0;

	(void)now;
	memset(out, 0, sizeof(*out));
	/* Each store's step: interactions, deals, tasks. */
	if (rc == 0)
		rc = kt_istore_drop_client(txn, db, client, &out->interactions);
	if (rc == 0)
		rc = kt_deal_purge_client(txn, db, client, &out->deals);
	if (rc == 0)
		rc = kt_task_purge_client(txn, db, client, &out->tasks);
	if (rc == 0)
		rc = kt_activity_drop(txn, db, client);
	return rc;
}

/* Tasks follow the card into its branch. */
static int
move_tasks(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t from,
    uint64_t into, int64_t now, size_t *n)
{
	Ktstore__ClientRecord *card = NULL;
	uint64_t branch = 0;
	int rc;

	if ((rc = kt_cstore_get(txn, db, into, &card)) == 0) {
		branch = card->branch;
		protobuf_c_message_free_unpacked(&card->base, NULL);
	} else if (rc != KT_ENOTFOUND) {
		return rc;
	}
	return kt_task_move_client(txn, db, from, into, branch, now, n);
}

int
kt_client_links_move(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t from, uint64_t into, int64_t now, kt_links_count_t *out)
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	/* Each store's step (it also brings into's activity record up to
	 * date and drops from's): interactions, deals, tasks. */
	if (rc == 0)
		rc = kt_istore_move(txn, db, from, into, &out->interactions);
	if (rc == 0)
		rc = kt_deal_move_client(txn, db, from, into, now, &out->deals);
	if (rc == 0)
		rc = move_tasks(txn, db, from, into, now, &out->tasks);
	return rc;
}

void
kt_client_links_detail(const kt_links_count_t *n, char *buf, size_t cap)
{
	snprintf(buf, cap, "interactions %zu, deals %zu, tasks %zu",
	    n->interactions, n->deals, n->tasks);
}
