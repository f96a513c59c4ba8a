/* SPDX-License-Identifier: MIT */
/* Task records and their index (task_store.h). */
#include <stdlib.h>
#include <string.h>

#include "kt_error.h"
#include "kartoteka.pb-c.h"
#include "model/authz.h"
#include "model/client_store.h"
#include "model/task_store.h"
#include "model/user_store.h"

/* ---- keys -------------------------------------------------------------- */

/* kind || scope || state || due || id into key (KT_TASK_KEY_LEN). Due
 * times before 1970 do not occur (validation keeps them after 2000). */
static void
scoped_key(uint8_t key[static KT_TASK_KEY_LEN], uint8_t kind, uint64_t scope,
    const Ktstore__TaskRecord *t)
{
	key[0] = kind;
	kt_store_be64(key + 1, scope);
	kt_task_pos(t, key + 9);
}

void
kt_task_pos(const Ktstore__TaskRecord *t, uint8_t pos[static KT_TASK_POS_LEN])
{
	pos[0] = t->done_at != 0 ? 1 : 0;
	kt_store_be64(pos + 1, t->due_at > 0 ? (uint64_t)t->due_at : 0);
	kt_store_be64(pos + 9, t->id);
}

static void
client_key(uint8_t key[static 17], uint64_t client, uint64_t id)
{
	key[0] = KT_TASK_IX_CLIENT;
	kt_store_be64(key + 1, client);
	kt_store_be64(key + 9, id);
}

static int
ix_put(MDB_txn *txn, const kt_store_dbs_t *db, const uint8_t *key,
    size_t len)
{
	MDB_val k = { len, (void *)key }, v = { 0, (void *)"" };

	return kt_store_err(mdb_put(txn, db->task_ix, &k, &v, 0));
}

static int
ix_del(MDB_txn *txn, const kt_store_dbs_t *db, const uint8_t *key,
    size_t len)
{
	MDB_val k = { len, (void *)key };
	int m = mdb_del(txn, db->task_ix, &k, NULL);

	return m == MDB_NOTFOUND ? 0 : kt_store_err(m);
}

/* Adds (add 1) or removes (add 0) every index key of t. */
static int
index_task(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__TaskRecord *t, int add)
{
	uint8_t a[KT_TASK_KEY_LEN], b[KT_TASK_KEY_LEN], c[17];
	int (*op)(MDB_txn *, const kt_store_dbs_t *, const uint8_t *,
	    size_t) = add ? ix_put : ix_del;
	int rc;

	scoped_key(a, KT_TASK_IX_ASSIGNEE, t->assignee, t);
	scoped_key(b, KT_TASK_IX_BRANCH, t->branch, t);
	if ((rc = op(txn, db, a, sizeof(a))) != 0 ||
	    (rc = op(txn, db, b, sizeof(b))) != 0)
		return rc;
	if (t->client == 0)
		return 0;
	client_key(c, t->client, t->id);
	return op(txn, db, c, sizeof(c));
}

/* ---- records ------------------------------------------------------------ */

int
kt_task_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    Ktstore__TaskRecord **out)
{
	uint8_t key[8];

	*out = NULL;
	kt_store_be64(key, id);
	return kt_store_get_record(txn, db->tasks, key, sizeof(key),
	    &ktstore__task_record__descriptor, (ProtobufCMessage **)out);
}

int
kt_task_add(kt_store_t *st, MDB_txn *txn, Ktstore__TaskRecord *rec)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	uint8_t key[8];
	int rc;

	if ((rc = kt_store_next_id(st, txn, "task", &rec->id)) != 0)
		return rc;
	rec->version = 1;
	kt_store_be64(key, rec->id);
	if ((rc = kt_store_put_record(txn, db->tasks, key, sizeof(key),
	    &rec->base, MDB_NOOVERWRITE)) != 0)
		return rc;
	return index_task(txn, db, rec, 1);
}

int
kt_task_put(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__TaskRecord *old, Ktstore__TaskRecord *rec)
{
	uint8_t key[8];
	int rc;

	if (old->id != rec->id)
		return KT_EINVAL;
	rec->version = old->version + 1;
	kt_store_be64(key, rec->id);
	if ((rc = index_task(txn, db, old, 0)) != 0 ||
	    (rc = kt_store_put_record(txn, db->tasks, key, sizeof(key),
	    &rec->base, 0)) != 0)
		return rc;
	return index_task(txn, db, rec, 1);
}

/* ---- scans --------------------------------------------------------------- */

int
kt_task_scan(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_task_range_t *range, kt_task_fn fn, void *arg)
{
	uint8_t lo[KT_TASK_KEY_LEN], prefix[10];
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc = 0, m;

	if (range->kind != KT_TASK_IX_ASSIGNEE &&
	    range->kind != KT_TASK_IX_BRANCH)
		return KT_EINVAL;
	prefix[0] = range->kind;
	kt_store_be64(prefix + 1, range->scope);
	prefix[9] = range->done ? 1 : 0;
	memcpy(lo, prefix, sizeof(prefix));
	kt_store_be64(lo + 10, range->due_from > 0 ?
	    (uint64_t)range->due_from : 0);
	memset(lo + 18, 0, 8);
	if (range->after != NULL && memcmp(range->after, prefix + 9, 1) == 0 &&
	    memcmp(range->after, lo + 9, KT_TASK_POS_LEN) >= 0)
		memcpy(lo + 9, range->after, KT_TASK_POS_LEN);
	if ((m = mdb_cursor_open(txn, db->task_ix, &cur)) != 0)
		return kt_store_err(m);
	k.mv_size = sizeof(lo);
	k.mv_data = lo;
	m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	/* Past `after` itself: the cursor names the last task shown. */
	if (m == 0 && range->after != NULL && k.mv_size == sizeof(lo) &&
	    memcmp(k.mv_data, lo, sizeof(lo)) == 0 &&
	    memcmp(lo + 9, range->after, KT_TASK_POS_LEN) == 0)
		m = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	for (; m == 0 && rc == 0; m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *p = k.mv_data;
		Ktstore__TaskRecord *t = NULL;
		uint64_t due;

		if (k.mv_size != KT_TASK_KEY_LEN ||
		    memcmp(p, prefix, sizeof(prefix)) != 0)
			break;
		due = kt_store_get_be64(p + 10);
		if (range->due_to > 0 && due >= (uint64_t)range->due_to)
			break;
		if ((rc = kt_task_get(txn, db, kt_store_get_be64(p + 18),
		    &t)) == KT_ENOTFOUND) {
			rc = 0;          /* a stale key: not shown */
			continue;
		}
		if (rc != 0)
			break;
		rc = fn(t, p + 9, arg);
		ktstore__task_record__free_unpacked(t, NULL);
	}
	mdb_cursor_close(cur);
	if (rc == 0 && m != 0 && m != MDB_NOTFOUND)
		rc = kt_store_err(m);
	return rc;
}

/* ---- who sees a task ---------------------------------------------------- */

int
kt_task_visible_to(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_user_t *u, const Ktstore__TaskRecord *t)
{
	int ok;

	if (kt_authz_scope(u->role, KT_ACT_LOG_CONTACT) == KT_SCOPE_ALL)
		ok = 1;
	else
		ok = t->assignee == u->id || t->author == u->id ||
		    (u->role == KARTOTEKA__ROLE__HEAD &&
		    kt_authz_in_branches(u->branches, u->nbranches,
		    t->branch));
	if (ok && t->client != 0)
		ok = kt_cstore_visible_to(txn, db, u, t->client);
	return ok;
}

/* ---- purge, merge, offboarding ------------------------------------------ */

/* The ids of client's tasks into ids (from the 'c' keys). */
static int
client_tasks(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t client,
    kt_idset_t *ids)
{
	uint8_t lo[17];
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc = 0, m;

	client_key(lo, client, 0);
	if ((m = mdb_cursor_open(txn, db->task_ix, &cur)) != 0)
		return kt_store_err(m);
	k.mv_size = sizeof(lo);
	k.mv_data = lo;
	for (m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); m == 0 && rc == 0;
	    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != sizeof(lo) || memcmp(k.mv_data, lo, 9) != 0)
			break;
		rc = kt_idset_add(ids, kt_store_get_be64((const uint8_t *)
		    k.mv_data + 9));
	}
	mdb_cursor_close(cur);
	if (rc == 0 && m != 0 && m != MDB_NOTFOUND)
		rc = kt_store_err(m);
	return rc;
}

int
kt_task_purge_client(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t client, size_t *n)
{
	kt_idset_t ids = { 0 };
	int rc;

	*n = 0;
	if ((rc = client_tasks(txn, db, client, &ids)) != 0)
		goto out;
	for (size_t i = 0; i < ids.n && rc == 0; i++) {
		Ktstore__TaskRecord *t = NULL;
		uint8_t key[8];
		MDB_val k = { sizeof(key), key };

		if ((rc = kt_task_get(txn, db, ids.ids[i], &t)) != 0)
			break;
		kt_store_be64(key, t->id);
		if ((rc = index_task(txn, db, t, 0)) == 0)
			rc = kt_store_err(mdb_del(txn, db->tasks, &k, NULL));
		ktstore__task_record__free_unpacked(t, NULL);
		if (rc == 0)
			(*n)++;
	}
out:
	kt_idset_free(&ids);
	return rc;
}

/* Rewrites task id with a change: client moves to `into` in branch
 * (into 0: unchanged), assignee to `to` (0: unchanged). */
static int
retarget(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id, uint64_t into,
    uint64_t branch, uint64_t to, int64_t now)
{
	Ktstore__TaskRecord *old = NULL, *t = NULL;
	int rc;

	if ((rc = kt_task_get(txn, db, id, &old)) != 0 ||
	    (rc = kt_task_get(txn, db, id, &t)) != 0)
		goto out;
	if (into != 0) {
		t->client = into;
		if (branch != 0)
			t->branch = branch;
	}
	if (to != 0)
		t->assignee = to;
	t->updated_at = now;
	rc = kt_task_put(txn, db, old, t);
out:
	if (old != NULL)
		ktstore__task_record__free_unpacked(old, NULL);
	if (t != NULL)
		ktstore__task_record__free_unpacked(t, NULL);
	return rc;
}

int
kt_task_move_client(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t from,
    uint64_t into, uint64_t branch, int64_t now, size_t *n)
{
	kt_idset_t ids = { 0 };
	int rc;

	*n = 0;
	if ((rc = client_tasks(txn, db, from, &ids)) != 0)
		goto out;
	for (size_t i = 0; i < ids.n && rc == 0; i++)
		if ((rc = retarget(txn, db, ids.ids[i], into, branch, 0,
		    now)) == 0)
			(*n)++;
out:
	kt_idset_free(&ids);
	return rc;
}

static int
collect_id(const Ktstore__TaskRecord *t, const uint8_t *pos, void *arg)
{
	(void)pos;
	return kt_idset_add(arg, t->id);
}

int
kt_task_offboard(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t leaver,
    uint64_t to, int64_t now, size_t *n)
{
	kt_task_range_t range = { .kind = KT_TASK_IX_ASSIGNEE,
		.scope = leaver };
	kt_idset_t ids = { 0 };
	int rc;

	*n = 0;
	if (to == 0 || to == leaver)
		return 0;
	if ((rc = kt_task_scan(txn, db, &range, collect_id, &ids)) < 0)
		goto out;
	rc = 0;
	for (size_t i = 0; i < ids.n && rc == 0; i++)
		if ((rc = retarget(txn, db, ids.ids[i], 0, 0, to, now)) == 0)
			(*n)++;
out:
	kt_idset_free(&ids);
	return rc;
}
