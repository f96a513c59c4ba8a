/* SPDX-License-Identifier: MIT */
/* Card versions in "client_history" (client_history.h). */
#include <string.h>

#include "kt_error.h"
#include "model/client_history.h"

static void
version_key(uint8_t k[16], uint64_t id, uint64_t version)
{
	kt_store_be64(k, id);
	kt_store_be64(k + 8, version);
}

int
kt_chist_put(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__ClientRecord *rec, const kt_chist_who_t *who)
{
	Ktstore__ClientVersionRecord v = KTSTORE__CLIENT_VERSION_RECORD__INIT;
	uint8_t key[16];

	v.card = (Ktstore__ClientRecord *)rec;
	v.time = who->time;
	v.user_id = who->user;
	if (who->terminal != NULL) {
		v.terminal_key.data = (uint8_t *)who->terminal;
		v.terminal_key.len = 32;
	}
	v.action = (char *)(who->action ? who->action : "");
	v.fields = who->fields;
	version_key(key, rec->id, rec->version);
	return kt_store_put_record(txn, db->client_history, key, sizeof(key),
	    &v.base, 0);
}

int
kt_chist_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    uint64_t version, ProtobufCAllocator *a,
    Ktstore__ClientVersionRecord **out)
{
	uint8_t key[16];

	version_key(key, id, version);
	return kt_store_get_record_with(txn, db->client_history, key,
	    sizeof(key), &ktstore__client_version_record__descriptor, a,
	    (ProtobufCMessage **)out);
}

int
kt_chist_each(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    uint64_t before, size_t limit, kt_chist_fn fn, void *arg,
    uint64_t *next)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	uint8_t key[16];
	size_t passed = 0;
	int rc;

	if (next != NULL)
		*next = 0;
	if ((rc = mdb_cursor_open(txn, db->client_history, &cur)) != 0)
		return kt_store_err(rc);
	/* The first key past the range, then back. */
	version_key(key, before == 0 ? id + 1 : id, before == 0 ? 0 : before);
	k.mv_size = sizeof(key);
	k.mv_data = key;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	rc = rc == MDB_NOTFOUND ? mdb_cursor_get(cur, &k, &v, MDB_LAST) :
	    rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : rc;
	/* MDB_LAST lands on the end key itself when it is the last. */
	if (rc == 0 && k.mv_size == 16 && memcmp(k.mv_data, key, 16) >= 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
		Ktstore__ClientVersionRecord *rec;

		if (k.mv_size != 16 || kt_store_get_be64(k.mv_data) != id)
			break;
		if (limit != 0 && passed == limit) {
			if (next != NULL)
				*next = kt_store_get_be64(
				    (uint8_t *)k.mv_data + 8) + 1;
			break;
		}
		rec = ktstore__client_version_record__unpack(NULL, v.mv_size,
		    v.mv_data);
		if (rec == NULL)
			continue;
		rc = fn(rec, arg);
		passed++;
		ktstore__client_version_record__free_unpacked(rec, NULL);
		if (rc != 0)
			goto out;
	}
	rc = rc == MDB_NOTFOUND ? 0 : kt_store_err(rc);
out:
	mdb_cursor_close(cur);
	return rc;
}

int
kt_chist_drop(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    size_t *n)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	uint8_t key[16];
	int rc;

	if (n != NULL)
		*n = 0;
	if ((rc = mdb_cursor_open(txn, db->client_history, &cur)) != 0)
		return kt_store_err(rc);
	version_key(key, id, 0);
	k.mv_size = sizeof(key);
	k.mv_data = key;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 16 || kt_store_get_be64(k.mv_data) != id)
			break;
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		if (n != NULL)
			(*n)++;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : kt_store_err(rc);
}

int
kt_chist_migrate_v3(kt_store_t *st, MDB_txn *txn)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc, m;

	if ((m = mdb_cursor_open(txn, db->clients, &cur)) != 0)
		return kt_store_err(m);
	rc = 0;
	for (m = mdb_cursor_get(cur, &k, &v, MDB_FIRST); m == 0 && rc == 0;
	    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Ktstore__ClientRecord *c = ktstore__client_record__unpack(NULL,
		    v.mv_size, v.mv_data);
		kt_chist_who_t who = { 0 };

		if (c == NULL) {
			rc = KT_EPROTO;
			break;
		}
		if (!c->purged) {
			who.time = c->updated_at;
			who.user = c->created_by;
			who.action = "history.start";
			rc = kt_chist_put(txn, db, c, &who);
		}
		ktstore__client_record__free_unpacked(c, NULL);
	}
	mdb_cursor_close(cur);
	if (rc == 0 && m != 0 && m != MDB_NOTFOUND)
		rc = kt_store_err(m);
	return rc;
}
