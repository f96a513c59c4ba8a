/* SPDX-License-Identifier: MIT */
/* One ClientActivityRecord per client (client_activity.h). */
#include <string.h>

#include "kt_error.h"
#include "model/client_activity.h"
#include "records.pb-c.h"

int
kt_activity_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t client,
    kt_activity_t *out)
{
	Ktstore__ClientActivityRecord *rec = NULL;
	uint8_t key[8];
	int rc;

	memset(out, 0, sizeof(*out));
	kt_store_be64(key, client);
	rc = kt_store_get_record(txn, db->client_activity, key, sizeof(key),
	    &ktstore__client_activity_record__descriptor,
	    (ProtobufCMessage **)&rec);
	if (rc == KT_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	out->last_interaction_at = rec->last_interaction_at;
	out->interactions = rec->interactions;
	out->open_deals = rec->open_deals;
	out->last_won_at = rec->last_won_at;
	out->last_deal_at = rec->last_deal_at;
	protobuf_c_message_free_unpacked(&rec->base, NULL);
	return 0;
}

int
kt_activity_put(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t client,
    const kt_activity_t *a)
{
	Ktstore__ClientActivityRecord rec =
	    KTSTORE__CLIENT_ACTIVITY_RECORD__INIT;
	uint8_t key[8];

	if (a->last_interaction_at == 0 && a->interactions == 0 &&
	    a->open_deals == 0 && a->last_won_at == 0 && a->last_deal_at == 0)
		return kt_activity_drop(txn, db, client);
	rec.last_interaction_at = a->last_interaction_at;
	rec.interactions = a->interactions;
	rec.open_deals = a->open_deals;
	rec.last_won_at = a->last_won_at;
	rec.last_deal_at = a->last_deal_at;
	kt_store_be64(key, client);
	return kt_store_put_record(txn, db->client_activity, key, sizeof(key),
	    &rec.base, 0);
}

int
kt_activity_drop(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t client)
{
	uint8_t kb[8];
	MDB_val k = { sizeof(kb), kb };
	int rc;

	kt_store_be64(kb, client);
	rc = mdb_del(txn, db->client_activity, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : kt_store_err(rc);
}
