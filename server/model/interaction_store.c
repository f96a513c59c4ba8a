/* SPDX-License-Identifier: MIT */
/* Interactions and their index (interaction_store.h). */
#include <stdlib.h>
#include <string.h>

#include "kt_error.h"
#include "model/client_activity.h"
#include "model/interaction_store.h"
#include "model/user_store.h"

/* 'c' || client || at || id */
#define CKEY_LEN 25u
/* 'k' || corrected || correcting */
#define KKEY_LEN 17u

static uint64_t
at_bits(int64_t at)
{
	return (uint64_t)at ^ ((uint64_t)1 << 63);
}

static int64_t
at_of(uint64_t bits)
{
	return (int64_t)(bits ^ ((uint64_t)1 << 63));
}

static void
client_key(uint8_t k[CKEY_LEN], uint64_t client, int64_t at, uint64_t id)
{
	k[0] = KT_ISTORE_IX_CLIENT;
	kt_store_be64(k + 1, client);
	kt_store_be64(k + 9, at_bits(at));
	kt_store_be64(k + 17, id);
}

static void
corrects_key(uint8_t k[KKEY_LEN], uint64_t corrected, uint64_t by)
{
	k[0] = KT_ISTORE_IX_CORRECTS;
	kt_store_be64(k + 1, corrected);
	kt_store_be64(k + 9, by);
}

static int
ix_put(MDB_txn *txn, const kt_store_dbs_t *db, uint8_t *k, size_t len)
{
	MDB_val key = { len, k }, val = { 0, "" };

	return kt_store_err(mdb_put(txn, db->interaction_ix, &key, &val, 0));
}

static int
ix_del(MDB_txn *txn, const kt_store_dbs_t *db, uint8_t *k, size_t len)
{
	MDB_val key = { len, k };
	int rc = mdb_del(txn, db->interaction_ix, &key, NULL);

	return rc == MDB_NOTFOUND ? 0 : kt_store_err(rc);
}

static int
rec_put(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__InteractionRecord *rec)
{
	uint8_t key[8];

	kt_store_be64(key, rec->id);
	return kt_store_put_record(txn, db->interactions, key, sizeof(key),
	    &rec->base, 0);
}

int
kt_istore_add(kt_store_t *st, MDB_txn *txn, Ktstore__InteractionRecord *rec)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	kt_activity_t act;
	uint8_t ck[CKEY_LEN], kk[KKEY_LEN];
	int rc;

	if ((rc = kt_store_next_id(st, txn, "interaction", &rec->id)) != 0 ||
	    (rc = rec_put(txn, db, rec)) != 0)
		return rc;
	client_key(ck, rec->client, rec->at, rec->id);
	if ((rc = ix_put(txn, db, ck, sizeof(ck))) != 0)
		return rc;
	if (rec->corrects != 0) {
		corrects_key(kk, rec->corrects, rec->id);
		if ((rc = ix_put(txn, db, kk, sizeof(kk))) != 0)
			return rc;
	}
	if ((rc = kt_activity_get(txn, db, rec->client, &act)) != 0)
		return rc;
	act.interactions++;
	if (act.interactions == 1 || rec->at > act.last_interaction_at)
		act.last_interaction_at = rec->at;
	return kt_activity_put(txn, db, rec->client, &act);
}

int
kt_istore_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    ProtobufCAllocator *a, Ktstore__InteractionRecord **out)
{
	uint8_t key[8];

	kt_store_be64(key, id);
	return kt_store_get_record_with(txn, db->interactions, key,
	    sizeof(key), &ktstore__interaction_record__descriptor, a,
	    (ProtobufCMessage **)out);
}

/* The client's index keys, newest first: calls fn(key, arg) for each (a
 * key of CKEY_LEN bytes, valid for the call) after below (NULL: from the
 * newest) until fn returns non-zero, which is returned. */
typedef int (*ckey_fn)(const uint8_t *key, void *arg);

static int
client_walk(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t client,
    const kt_istore_pos_t *below, ckey_fn fn, void *arg)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	/* One byte longer than a key: with below NULL, 'c' || client ||
	 * 0xff.. || 0 sorts after every key of client. */
	uint8_t start[CKEY_LEN + 1];
	MDB_cursor_op op;
	int rc;

	if ((rc = mdb_cursor_open(txn, db->interaction_ix, &cur)) != 0)
		return kt_store_err(rc);
	k.mv_size = CKEY_LEN;
	if (below != NULL) {
		client_key(start, client, below->at, below->id);
	} else {
		client_key(start, client, INT64_MAX, UINT64_MAX);
		start[CKEY_LEN] = 0;
		k.mv_size = CKEY_LEN + 1;
	}
	k.mv_data = start;
	/* The first key at or after the start, then backwards: each key
	 * before it is older (strictly below the start). */
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		op = MDB_LAST;
	else if (rc == 0)
		op = MDB_PREV;
	else {
		rc = kt_store_err(rc);
		goto out;
	}
	for (;;) {
		rc = mdb_cursor_get(cur, &k, &v, op);
		op = MDB_PREV;
		if (rc == MDB_NOTFOUND) {
			rc = 0;
			break;
		}
		if (rc != 0) {
			rc = kt_store_err(rc);
			break;
		}
		if (k.mv_size != CKEY_LEN || memcmp(k.mv_data, start, 9) != 0)
			break;
		if ((rc = fn(k.mv_data, arg)) != 0)
			break;
	}
out:
	mdb_cursor_close(cur);
	return rc;
}

#define WALK_STOP 1

typedef struct page_walk {
	MDB_txn *txn;
	const kt_store_dbs_t *db;
	ProtobufCAllocator *a;
	Ktstore__InteractionRecord **out;
	size_t n, limit;
	int more;
	int err;
} page_walk_t;

static int
page_one(const uint8_t *key, void *arg)
{
	page_walk_t *w = arg;
	Ktstore__InteractionRecord *rec = NULL;
	int rc;

	if (w->n == w->limit) {
		w->more = 1;
		return WALK_STOP;
	}
	rc = kt_istore_get(w->txn, w->db, kt_store_get_be64(key + 17), w->a,
	    &rec);
	if (rc == KT_ENOTFOUND || rc == KT_EPROTO)
		return 0;
	if (rc != 0) {
		w->err = rc;
		return WALK_STOP;
	}
	w->out[w->n++] = rec;
	return 0;
}

int
kt_istore_page(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t client,
    const kt_istore_pos_t *below, size_t limit, ProtobufCAllocator *a,
    Ktstore__InteractionRecord **out, size_t *n, int *more)
{
	page_walk_t w = { txn, db, a, out, 0, limit, 0, 0 };
	int rc;

	*n = 0;
	*more = 0;
	rc = client_walk(txn, db, client, below, page_one, &w);
	if (rc == WALK_STOP)
		rc = w.err;
	*n = w.n;
	*more = w.more;
	return rc;
}

int
kt_istore_corrected_by(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    uint64_t *by)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	uint8_t start[KKEY_LEN];
	int rc;

	*by = 0;
	if (id == UINT64_MAX)
		return 0;
	if ((rc = mdb_cursor_open(txn, db->interaction_ix, &cur)) != 0)
		return kt_store_err(rc);
	/* The first key of the next corrected id, then one back. */
	corrects_key(start, id + 1, 0);
	k.mv_size = sizeof(start);
	k.mv_data = start;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	else if (rc == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
	if (rc == 0 && k.mv_size == KKEY_LEN &&
	    ((const uint8_t *)k.mv_data)[0] == KT_ISTORE_IX_CORRECTS &&
	    kt_store_get_be64((const uint8_t *)k.mv_data + 1) == id)
		*by = kt_store_get_be64((const uint8_t *)k.mv_data + 9);
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : kt_store_err(rc);
}

/* ---- purge and merge ------------------------------------------------------ */

/* The ids of a client's entries, newest first (malloc'd, *ids freed by
 * the caller), and the newest `at`. */
typedef struct id_list {
	uint64_t *ids;
	int64_t *ats;
	size_t n, cap;
	int err;
} id_list_t;

static int
collect_one(const uint8_t *key, void *arg)
{
	id_list_t *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		uint64_t *ids = realloc(l->ids, cap * sizeof(*ids));
		if (ids == NULL) {
			l->err = KT_ENOMEM;
			return WALK_STOP;
		}
		l->ids = ids;
		int64_t *ats = realloc(l->ats, cap * sizeof(*ats));
		if (ats == NULL) {
			l->err = KT_ENOMEM;
			return WALK_STOP;
		}
		l->ats = ats;
		l->cap = cap;
	}
	l->ats[l->n] = at_of(kt_store_get_be64(key + 9));
	l->ids[l->n++] = kt_store_get_be64(key + 17);
	return 0;
}

static int
collect(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t client,
    id_list_t *l)
{
	int rc;

	memset(l, 0, sizeof(*l));
	rc = client_walk(txn, db, client, NULL, collect_one, l);
	if (rc == WALK_STOP)
		rc = l->err;
	return rc;
}

static void
id_list_free(id_list_t *l)
{
	free(l->ids);
	free(l->ats);
	l->ids = NULL;
	l->ats = NULL;
}

/* Sets the interaction half of client's activity record. */
static int
activity_set(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t client,
    uint32_t count, int64_t last)
{
	kt_activity_t act;
	int rc;

	if ((rc = kt_activity_get(txn, db, client, &act)) != 0)
		return rc;
	act.interactions = count;
	act.last_interaction_at = last;
	return kt_activity_put(txn, db, client, &act);
}

int
kt_istore_drop_client(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t client, size_t *n)
{
	Ktstore__InteractionRecord *rec = NULL;
	id_list_t l;
	uint8_t ck[CKEY_LEN], kk[KKEY_LEN], rk[8];
	int rc;

	if (n != NULL)
		*n = 0;
	if ((rc = collect(txn, db, client, &l)) != 0)
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		MDB_val key = { sizeof(rk), rk };
		rc = kt_istore_get(txn, db, l.ids[i], NULL, &rec);
		if (rc == 0 && rec->corrects != 0) {
			corrects_key(kk, rec->corrects, rec->id);
			rc = ix_del(txn, db, kk, sizeof(kk));
		}
		if (rec != NULL) {
			ktstore__interaction_record__free_unpacked(rec, NULL);
			rec = NULL;
		}
		if (rc != 0 && rc != KT_ENOTFOUND && rc != KT_EPROTO)
			goto out;
		kt_store_be64(rk, l.ids[i]);
		rc = mdb_del(txn, db->interactions, &key, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND) {
			rc = kt_store_err(rc);
			goto out;
		}
		client_key(ck, client, l.ats[i], l.ids[i]);
		if ((rc = ix_del(txn, db, ck, sizeof(ck))) != 0)
			goto out;
	}
	if (n != NULL)
		*n = l.n;
	rc = activity_set(txn, db, client, 0, 0);
out:
	id_list_free(&l);
	return rc;
}

int
kt_istore_move(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t from,
    uint64_t into, size_t *n)
{
	Ktstore__InteractionRecord *rec = NULL;
	id_list_t l, all;
	uint8_t ck[CKEY_LEN];
	int rc;

	memset(&all, 0, sizeof(all));
	if (n != NULL)
		*n = 0;
	if ((rc = collect(txn, db, from, &l)) != 0 || from == into)
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		client_key(ck, from, l.ats[i], l.ids[i]);
		if ((rc = ix_del(txn, db, ck, sizeof(ck))) != 0)
			goto out;
		rc = kt_istore_get(txn, db, l.ids[i], NULL, &rec);
		if (rc == KT_ENOTFOUND || rc == KT_EPROTO)
			continue;     /* a dangling key: dropped */
		if (rc != 0)
			goto out;
		rec->client = into;
		rc = rec_put(txn, db, rec);
		client_key(ck, into, rec->at, rec->id);
		ktstore__interaction_record__free_unpacked(rec, NULL);
		rec = NULL;
		if (rc != 0 || (rc = ix_put(txn, db, ck, sizeof(ck))) != 0)
			goto out;
		if (n != NULL)
			(*n)++;
	}
	/* into's half recounted from its entries (newest first). */
	if ((rc = collect(txn, db, into, &all)) != 0 ||
	    (rc = activity_set(txn, db, into, (uint32_t)all.n,
	    all.n ? all.ats[0] : 0)) != 0)
		goto out;
	rc = activity_set(txn, db, from, 0, 0);
out:
	id_list_free(&l);
	id_list_free(&all);
	return rc;
}

/* ---- the wire form ---------------------------------------------------------- */

int
kt_istore_wire(MDB_txn *txn, const kt_store_dbs_t *db, kt_arena_t *a,
    const Ktstore__InteractionRecord *rec, Kartoteka__Interaction *out)
{
	char login[KT_LOGIN_MAX + 2];
	int rc;

	kartoteka__interaction__init(out);
	out->id = rec->id;
	out->client_id = rec->client;
	kt_user_login(txn, db, rec->author, login, sizeof(login));
	if ((out->author = kt_arena_strdup(a, login)) == NULL)
		return KT_ENOMEM;
	out->at = rec->at;
	out->recorded_at = rec->created_at;
	out->channel = (Kartoteka__Channel)rec->channel;
	out->direction = (Kartoteka__Direction)rec->direction;
	out->topic = rec->topic ? rec->topic : (char *)"";
	out->agreed = rec->agreed ? rec->agreed : (char *)"";
	out->corrects = rec->corrects;
	if ((rc = kt_istore_corrected_by(txn, db, rec->id,
	    &out->corrected_by)) != 0)
		return rc;
	return 0;
}
