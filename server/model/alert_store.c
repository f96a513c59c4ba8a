/* SPDX-License-Identifier: MIT */
/* Alert records (alert_store.h). */
#include <string.h>

#include "kt_error.h"
#include "model/alert_store.h"
#include "model/identity.h"

static const struct {
	const char *name, *what;
} kinds[] = {
	{ "", "" },
#define KT_ALERT_ROW(e, name, what) { name, what },
	KT_ALERT_KINDS(KT_ALERT_ROW)
#undef KT_ALERT_ROW
};

const char *
kt_alert_kind_name(kt_alert_kind_t kind)
{
	if ((unsigned)kind >= KT_ALERT_KIND_COUNT)
		return "";
	return kinds[kind].name;
}

const char *
kt_alert_kind_what(kt_alert_kind_t kind)
{
	if ((unsigned)kind >= KT_ALERT_KIND_COUNT)
		return "";
	return kinds[kind].what;
}

kt_alert_kind_t
kt_alert_kind_by_name(const char *name)
{
	for (unsigned i = 1; name != NULL && i < KT_ALERT_KIND_COUNT; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return (kt_alert_kind_t)i;
	return KT_ALERT_NONE;
}

int
kt_alert_raise(kt_store_t *st, MDB_txn *txn, const kt_alert_t *a,
    uint64_t *id)
{
	Ktstore__AlertRecord rec = KTSTORE__ALERT_RECORD__INIT;
	uint8_t key[8];
	int rc;

	if (a == NULL || a->kind <= KT_ALERT_NONE ||
	    a->kind >= KT_ALERT_KIND_COUNT)
		return KT_EINVAL;
	if ((rc = kt_store_next_id(st, txn, "alert", &rec.id)) != 0)
		return rc;
	rec.time_ms = a->time_ms ? a->time_ms : kt_now_ms();
	rec.kind = (uint32_t)a->kind;
	rec.user_id = a->user;
	rec.client_id = a->client;
	rec.other_id = a->other;
	if (a->terminal != NULL) {
		rec.terminal_key.data = (uint8_t *)a->terminal;
		rec.terminal_key.len = 32;
	}
	rec.count = a->count;
	rec.limit = a->limit;
	rec.detail = (char *)(a->detail ? a->detail : "");
	kt_store_be64(key, rec.id);
	rc = kt_store_put_record(txn, kt_store_dbs(st)->alerts, key, 8,
	    &rec.base, MDB_NOOVERWRITE);
	if (rc == 0 && id != NULL)
		*id = rec.id;
	return rc;
}

int
kt_alert_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    Ktstore__AlertRecord **rec)
{
	uint8_t key[8];

	kt_store_be64(key, id);
	return kt_store_get_record(txn, db->alerts, key, 8,
	    &ktstore__alert_record__descriptor, (ProtobufCMessage **)rec);
}

int
kt_alert_ack(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    uint64_t user, int64_t now)
{
	Ktstore__AlertRecord *rec = NULL;
	uint8_t key[8];
	int rc;

	if ((rc = kt_alert_get(txn, db, id, &rec)) != 0)
		return rc;
	if (rec->acked_at != 0) {
		rc = KT_EEXIST;
		goto out;
	}
	rec->acked_at = now;
	rec->acked_by = user;
	kt_store_be64(key, id);
	rc = kt_store_put_record(txn, db->alerts, key, 8, &rec->base, 0);
out:
	ktstore__alert_record__free_unpacked(rec, NULL);
	return rc;
}

int
kt_alert_each(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t before,
    int all, size_t limit, kt_alert_fn fn, void *arg, uint64_t *next)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	uint8_t key[8];
	size_t passed = 0;
	int rc, op;

	if (next != NULL)
		*next = 0;
	if ((rc = mdb_cursor_open(txn, db->alerts, &cur)) != 0)
		return kt_store_err(rc);
	if (before == 0) {
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	} else {
		/* The first key at or after before, then one back. */
		kt_store_be64(key, before);
		k.mv_size = 8;
		k.mv_data = key;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		rc = rc == MDB_NOTFOUND ? mdb_cursor_get(cur, &k, &v, MDB_LAST) :
		    rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : rc;
		/* MDB_LAST may land on before itself when it is the last. */
		if (rc == 0 && k.mv_size == 8 &&
		    kt_store_get_be64(k.mv_data) >= before)
			rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
	}
	for (op = MDB_PREV; rc == 0; rc = mdb_cursor_get(cur, &k, &v, op)) {
		Ktstore__AlertRecord *rec;

		if (limit != 0 && passed == limit) {
			if (next != NULL && k.mv_size == 8)
				*next = kt_store_get_be64(k.mv_data) + 1;
			break;
		}
		rec = ktstore__alert_record__unpack(NULL, v.mv_size,
		    v.mv_data);
		if (rec == NULL)
			continue;       /* undecodable: verify reports it */
		if (all || rec->acked_at == 0) {
			rc = fn(rec, arg);
			passed++;
		}
		ktstore__alert_record__free_unpacked(rec, NULL);
		if (rc != 0)
			goto out;
	}
	rc = rc == MDB_NOTFOUND ? 0 : kt_store_err(rc);
out:
	mdb_cursor_close(cur);
	return rc;
}

static int
count_one(const Ktstore__AlertRecord *rec, void *arg)
{
	(void)rec;
	(*(uint64_t *)arg)++;
	return 0;
}

int
kt_alert_open_count(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t *n)
{
	*n = 0;
	return kt_alert_each(txn, db, 0, 0, 0, count_one, n, NULL);
}
