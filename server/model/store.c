/* SPDX-License-Identifier: MIT */
/* The LMDB store: opens the environment and its named databases, checks the
 * schema version (migrating an older store), runs durable write
 * transactions and grows the map. */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <sys/statvfs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <protobuf-c/protobuf-c.h>
#include <sodium.h>

#include "catalog.h"
#include "kt_error.h"
#include "model/store.h"

/* Room for the record databases and indexes still to come (23 in use). */
#define STORE_MAXDBS 128
/* Grow when a commit leaves the map more than GROW_PCT % used; if it is
 * more than URGENT_PCT % used, wait for readers instead of trying later. */
#define GROW_PCT 70
#define URGENT_PCT 90
/* kt_store_write_sync: how many times a transaction is retried after a
 * MAP_FULL (each retry at least doubles the map). */
#define MAP_FULL_RETRIES 4
/* kt_store_has_room: what counts as room again on the filesystem after
 * the store was full (a few thousand cards with their audit entries). */
#define ROOM_MARGIN ((size_t)1 << 20)
/* How many times a begin is retried after adopting another process's map. */
#define RESIZED_RETRIES 8

struct kt_store {
	MDB_env *st_env;
	kt_store_dbs_t st_dbs;
	int st_flags;                  /* KT_STORE_* given to open */
	int st_missing;                /* an older store lacks databases of
					  this binary: created after the
					  migration's copy */
	size_t st_psize;               /* LMDB page size */
	/* Held shared by every transaction of this process, exclusively while
	 * the map is remapped: mdb_env_set_mapsize needs no live txn. */
	pthread_rwlock_t st_resize_lock;
	/* kt_store_set_max_size: the map never grows past st_ceiling (0: no
	 * bound); st_reserve of it is for kt_store_write_sync_reserve. Set
	 * before the writer starts, read by the writer thread only. */
	size_t st_ceiling, st_reserve;
};

/* The named databases, in the order of kt_store_dbs_t. */
static const struct {
	const char *name;
	size_t off;
	unsigned flags;         /* extra mdb_dbi_open flags */
} store_db_table[] = {
	{ "meta", offsetof(kt_store_dbs_t, meta), 0 },
	{ "branches", offsetof(kt_store_dbs_t, branches), 0 },
	{ "branch_names", offsetof(kt_store_dbs_t, branch_names), 0 },
	{ "users", offsetof(kt_store_dbs_t, users), 0 },
	{ "user_logins", offsetof(kt_store_dbs_t, user_logins), 0 },
	{ "terminals", offsetof(kt_store_dbs_t, terminals), 0 },
	{ "invites", offsetof(kt_store_dbs_t, invites), 0 },
	{ "sessions", offsetof(kt_store_dbs_t, sessions), 0 },
	{ "login_failures", offsetof(kt_store_dbs_t, login_failures), 0 },
	{ "audit", offsetof(kt_store_dbs_t, audit), 0 },
	{ "checkpoints", offsetof(kt_store_dbs_t, checkpoints), 0 },
	{ "clients", offsetof(kt_store_dbs_t, clients), 0 },
#define DUPS (MDB_DUPSORT | MDB_DUPFIXED)
	{ "cx_phone", offsetof(kt_store_dbs_t, cx_phone), DUPS },
	{ "cx_email", offsetof(kt_store_dbs_t, cx_email), DUPS },
	{ "cx_word", offsetof(kt_store_dbs_t, cx_word), DUPS },
	{ "cx_branch", offsetof(kt_store_dbs_t, cx_branch), DUPS },
	{ "cx_manager", offsetof(kt_store_dbs_t, cx_manager), DUPS },
	{ "cx_birthday", offsetof(kt_store_dbs_t, cx_birthday), DUPS },
	{ "cx_birthdate", offsetof(kt_store_dbs_t, cx_birthdate), DUPS },
	{ "cx_status", offsetof(kt_store_dbs_t, cx_status), DUPS },
	{ "cx_tag", offsetof(kt_store_dbs_t, cx_tag), DUPS },
	{ "cx_category", offsetof(kt_store_dbs_t, cx_category), DUPS },
	{ "cx_source", offsetof(kt_store_dbs_t, cx_source), DUPS },
	{ "cx_contract", offsetof(kt_store_dbs_t, cx_contract), DUPS },
#undef DUPS
	{ "cx_created", offsetof(kt_store_dbs_t, cx_created), 0 },
	{ "alerts", offsetof(kt_store_dbs_t, alerts), 0 },
	{ "user_days", offsetof(kt_store_dbs_t, user_days), 0 },
	{ "client_seen", offsetof(kt_store_dbs_t, client_seen), 0 },
	{ "client_history", offsetof(kt_store_dbs_t, client_history), 0 },
	{ "interactions", offsetof(kt_store_dbs_t, interactions), 0 },
	{ "interaction_ix", offsetof(kt_store_dbs_t, interaction_ix), 0 },
	{ "deals", offsetof(kt_store_dbs_t, deals), 0 },
	{ "deal_ix", offsetof(kt_store_dbs_t, deal_ix), 0 },
	{ "tasks", offsetof(kt_store_dbs_t, tasks), 0 },
	{ "task_ix", offsetof(kt_store_dbs_t, task_ix), 0 },
	{ "client_activity", offsetof(kt_store_dbs_t, client_activity), 0 },
};

/* ---- small helpers ---------------------------------------------------- */

int
kt_store_err(int mdb_rc)
{
	switch (mdb_rc) {
	case MDB_SUCCESS: return 0;
	case MDB_NOTFOUND: return KT_ENOTFOUND;
	case MDB_MAP_FULL: return KT_ENOSPC;
	case ENOSPC: return KT_ENOSPC;
	case MDB_KEYEXIST: return KT_EEXIST;
	case ENOMEM: return KT_ENOMEM;
	default: return KT_ESTORE;
	}
}

/* 1 when the filesystem of the data directory has less than ROOM_MARGIN
 * available, 0 when it has more or cannot tell. */
static int
disk_is_short(kt_store_t *st)
{
	const char *path = NULL;
	struct statvfs fs;

	if (mdb_env_get_path(st->st_env, &path) != 0 || path == NULL ||
	    statvfs(path, &fs) != 0)
		return 0;
	return (uint64_t)fs.f_bavail * fs.f_frsize < ROOM_MARGIN;
}

void
kt_store_be64(uint8_t out[static 8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

uint64_t
kt_store_get_be64(const uint8_t in[static 8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | in[i];
	return v;
}

static void
be32(uint8_t out[4], uint32_t v)
{
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

MDB_env *
kt_store_env(kt_store_t *st)
{
	return st->st_env;
}

const kt_store_dbs_t *
kt_store_dbs(const kt_store_t *st)
{
	return &st->st_dbs;
}

/* ---- map growth ------------------------------------------------------- */

/* Bytes of the map in use after the last commit, and the map size. Call
 * with st_resize_lock held (either way) so the map size is stable. */
static int
map_usage(kt_store_t *st, size_t *used, size_t *mapsize)
{
	MDB_envinfo info;
	int rc;

	if ((rc = mdb_env_info(st->st_env, &info)) != 0)
		return kt_store_err(rc);
	*used = ((size_t)info.me_last_pgno + 1) * st->st_psize;
	*mapsize = info.me_mapsize;
	return 0;
}

static bool
over_pct(size_t used, size_t mapsize, unsigned pct)
{
	/* Exact for maps below 2^57 bytes, and those do not exist. */
	return (uint64_t)used * 100 > (uint64_t)mapsize * pct;
}

/* Remaps to a larger map. Call with st_resize_lock held exclusively.
 * force: the last transaction hit MAP_FULL, so grow even under 70 %. */
static int
grow_locked(kt_store_t *st, bool force, size_t ceiling)
{
	size_t used, mine, size, target;
	int rc;

	if ((rc = map_usage(st, &used, &mine)) != 0)
		return rc;
	/* Adopt a size another process may have set (it is persisted in the
	 * meta page); never go below our own, nor above the cap. */
	if ((rc = mdb_env_set_mapsize(st->st_env, 0)) != 0)
		return kt_store_err(rc);
	if ((rc = map_usage(st, &used, &size)) != 0)
		return rc;
	if (size < mine)
		size = mine;
	if (ceiling != 0 && size > ceiling)
		size = ceiling > used ? ceiling : used;
	target = size;
	if (force && target <= mine)
		target = mine * 2;
	while (over_pct(used, target, GROW_PCT)) {
		if (target > SIZE_MAX / 4)
			return KT_ENOSPC;
		target *= 2;
	}
	/* The cap (kt_store_set_max_size): up to it, and no further. */
	if (ceiling != 0 && target > ceiling)
		target = ceiling > used ? ceiling : used;
	if (force && target <= mine) {
		(void)mdb_env_set_mapsize(st->st_env, mine);
		return KT_ENOSPC;
	}
	if ((rc = mdb_env_set_mapsize(st->st_env, target)) != 0) {
		/* Could not map that much address space: keep what we had. */
		(void)mdb_env_set_mapsize(st->st_env, mine);
		return rc == ENOMEM ? KT_ENOSPC : kt_store_err(rc);
	}
	return 0;
}

/* Grows the map after a commit when it is over 70 % full. If readers are
 * active it tries again after the next commit, unless the map is nearly
 * full (or force): then it waits for them. */
static int
maybe_grow(kt_store_t *st, bool force, size_t ceiling)
{
	size_t used, size;
	bool urgent;
	int rc;

	if (!force) {
		pthread_rwlock_rdlock(&st->st_resize_lock);
		rc = map_usage(st, &used, &size);
		pthread_rwlock_unlock(&st->st_resize_lock);
		if (rc != 0)
			return rc;
		if (!over_pct(used, size, GROW_PCT))
			return 0;
		urgent = over_pct(used, size, URGENT_PCT);
		if (!urgent) {
			if (pthread_rwlock_trywrlock(&st->st_resize_lock) != 0)
				return 0;
			goto locked;
		}
	}
	pthread_rwlock_wrlock(&st->st_resize_lock);
locked:
	rc = grow_locked(st, force, ceiling);
	pthread_rwlock_unlock(&st->st_resize_lock);
	return rc;
}

/* The map's ordinary ceiling: the cap less the reserve (0: none). */
static size_t
ordinary_ceiling(const kt_store_t *st)
{
	return st->st_ceiling == 0 ? 0 : st->st_ceiling - st->st_reserve;
}

/* Shrinks the map to at most size (LMDB keeps it at least as large as
 * what is in use): after a write into the reserve, ordinary writes find
 * the map full again. */
static void
shrink_to(kt_store_t *st, size_t size)
{
	size_t used, cur;

	pthread_rwlock_wrlock(&st->st_resize_lock);
	if (map_usage(st, &used, &cur) == 0 && cur > size)
		(void)mdb_env_set_mapsize(st->st_env, size > used ? size : used);
	pthread_rwlock_unlock(&st->st_resize_lock);
}

int
kt_store_has_room(kt_store_t *st)
{
	size_t used = 0, size = 0, ceiling = ordinary_ceiling(st);

	pthread_rwlock_rdlock(&st->st_resize_lock);
	(void)map_usage(st, &used, &size);
	pthread_rwlock_unlock(&st->st_resize_lock);
	/* Under a cap: a sixteenth of it. */
	if (ceiling != 0 && used + ceiling / 16 > ceiling)
		return 0;
	/* Cannot tell: let writes try. */
	return !disk_is_short(st);
}

int
kt_store_set_max_size(kt_store_t *st, size_t max, size_t reserve)
{
	if (max != 0 && max < 4 * st->st_psize)
		return KT_EINVAL;
	/* Whole pages: the ceiling down, the reserve up. */
	max -= max % st->st_psize;
	if (reserve % st->st_psize != 0)
		reserve += st->st_psize - reserve % st->st_psize;
	if (max != 0 && (reserve >= max || max < 4 * st->st_psize))
		return KT_EINVAL;
	st->st_ceiling = max;
	st->st_reserve = max != 0 ? reserve : 0;
	if (max != 0)
		shrink_to(st, ordinary_ceiling(st));
	return 0;
}

/* Another process grew the map beyond ours: adopt its size. */
static int
adopt_resized(kt_store_t *st)
{
	int rc;

	pthread_rwlock_wrlock(&st->st_resize_lock);
	rc = mdb_env_set_mapsize(st->st_env, 0);
	pthread_rwlock_unlock(&st->st_resize_lock);
	return kt_store_err(rc);
}

/* Begins a transaction with st_resize_lock held shared; on success the
 * lock stays held until txn_end. */
static int
txn_begin(kt_store_t *st, MDB_txn *parent, unsigned flags, MDB_txn **txn)
{
	int rc = 0;

	*txn = NULL;
	for (int i = 0; i < RESIZED_RETRIES; i++) {
		pthread_rwlock_rdlock(&st->st_resize_lock);
		rc = mdb_txn_begin(st->st_env, parent, flags, txn);
		if (rc == 0)
			return 0;
		pthread_rwlock_unlock(&st->st_resize_lock);
		*txn = NULL;
		if (rc != MDB_MAP_RESIZED)
			break;
		if ((rc = adopt_resized(st)) != 0)
			return rc;
		rc = MDB_MAP_RESIZED;
	}
	return kt_store_err(rc);
}

/* ---- read transactions ------------------------------------------------ */

int
kt_store_read_begin(kt_store_t *st, MDB_txn **txn)
{
	return txn_begin(st, NULL, MDB_RDONLY, txn);
}

void
kt_store_read_end(kt_store_t *st, MDB_txn *txn)
{
	if (txn == NULL)
		return;
	mdb_txn_abort(txn);
	pthread_rwlock_unlock(&st->st_resize_lock);
}

/* ---- write transactions ----------------------------------------------- */

/* kt_store_write_sync and kt_store_write_sync_reserve: the map may grow
 * up to ceiling (0: without bound). */
static int
write_sync(kt_store_t *st, kt_store_mutation_fn fn, void *arg,
    size_t ceiling)
{
	MDB_txn *txn = NULL;
	int rc = 0;

	if (st->st_flags & KT_STORE_RDONLY)
		return KT_EPERM;
	for (int attempt = 0; attempt <= MAP_FULL_RETRIES; attempt++) {
		if (attempt > 0 && (rc = maybe_grow(st, true, ceiling)) != 0)
			return rc;
		if ((rc = txn_begin(st, NULL, 0, &txn)) != 0)
			return rc;
		rc = fn(st, txn, arg);
		if (rc == 0) {
			rc = kt_store_err(mdb_txn_commit(txn));
		} else {
			mdb_txn_abort(txn);
		}
		txn = NULL;
		pthread_rwlock_unlock(&st->st_resize_lock);
		if (rc == 0) {
			/* The data is durable; a failure to grow now only
			 * means the next transaction may have to. */
			(void)maybe_grow(st, false, ceiling);
			return 0;
		}
		/* A full filesystem: LMDB's write of the pages says ENOSPC,
		 * or EIO when it was short ("filesystem full?" in mdb.c), at
		 * the commit or when a large transaction spills. Not the
		 * map's size: growing it would not help. Only the store's
		 * own errors: a mutation's answer (KT_EINVAL...) stays. */
		if ((rc == KT_ESTORE || rc == KT_ENOSPC) && disk_is_short(st))
			return KT_ENOSPC;
		if (rc != KT_ENOSPC)
			return rc;
	}
	return rc;
}

int
kt_store_write_sync(kt_store_t *st, kt_store_mutation_fn fn, void *arg)
{
	return write_sync(st, fn, arg, ordinary_ceiling(st));
}

int
kt_store_write_sync_reserve(kt_store_t *st, kt_store_mutation_fn fn,
    void *arg)
{
	int rc;

	if (st->st_ceiling == 0)
		return write_sync(st, fn, arg, 0);
	rc = write_sync(st, fn, arg, st->st_ceiling);
	shrink_to(st, ordinary_ceiling(st));
	return rc;
}

int
kt_store_next_id(kt_store_t *st, MDB_txn *txn, const char *name,
    uint64_t *id)
{
	char key[128];
	uint8_t buf[8];
	MDB_val k, v;
	uint64_t cur = 0;
	int n, rc;

	n = snprintf(key, sizeof key, "ctr:%s", name);
	if (n < 0 || (size_t)n >= sizeof key)
		return KT_EINVAL;
	k.mv_data = key;
	k.mv_size = (size_t)n;
	rc = mdb_get(txn, st->st_dbs.meta, &k, &v);
	if (rc == 0) {
		if (v.mv_size != 8)
			return KT_ESTORE;
		cur = kt_store_get_be64(v.mv_data);
	} else if (rc != MDB_NOTFOUND) {
		return kt_store_err(rc);
	}
	if (cur == UINT64_MAX)
		return KT_ESTORE;
	kt_store_be64(buf, cur + 1);
	v.mv_data = buf;
	v.mv_size = sizeof buf;
	if ((rc = mdb_put(txn, st->st_dbs.meta, &k, &v, 0)) != 0)
		return kt_store_err(rc);
	*id = cur + 1;
	return 0;
}

/* ---- records ---------------------------------------------------------- */

int
kt_store_get_record(MDB_txn *txn, MDB_dbi dbi, const void *key,
    size_t keylen, const ProtobufCMessageDescriptor *desc,
    ProtobufCMessage **msg)
{
	return kt_store_get_record_with(txn, dbi, key, keylen, desc, NULL,
	    msg);
}

int
kt_store_get_record_with(MDB_txn *txn, MDB_dbi dbi, const void *key,
    size_t keylen, const ProtobufCMessageDescriptor *desc,
    ProtobufCAllocator *a, ProtobufCMessage **msg)
{
	MDB_val k = { .mv_size = keylen, .mv_data = (void *)key };
	MDB_val v;
	int rc;

	*msg = NULL;
	if ((rc = mdb_get(txn, dbi, &k, &v)) != 0)
		return kt_store_err(rc);
	*msg = protobuf_c_message_unpack(desc, a, v.mv_size, v.mv_data);
	return *msg == NULL ? KT_EPROTO : 0;
}

int
kt_store_put_record(MDB_txn *txn, MDB_dbi dbi, const void *key,
    size_t keylen, const ProtobufCMessage *msg, unsigned flags)
{
	MDB_val k = { .mv_size = keylen, .mv_data = (void *)key };
	MDB_val v;
	int rc;

	v.mv_size = protobuf_c_message_get_packed_size(msg);
	v.mv_data = NULL;
	if ((rc = mdb_put(txn, dbi, &k, &v, flags | MDB_RESERVE)) != 0)
		return kt_store_err(rc);
	if (protobuf_c_message_pack(msg, v.mv_data) != v.mv_size)
		return KT_ESTORE;
	return 0;
}

/* ---- schema version --------------------------------------------------- */

static const char schema_key[] = "schema";

int
kt_store_schema_get(kt_store_t *st, MDB_txn *txn, uint32_t *version)
{
	MDB_val k = { .mv_size = sizeof schema_key - 1,
	    .mv_data = (void *)schema_key };
	MDB_val v;
	const uint8_t *p;
	int rc;

	if ((rc = mdb_get(txn, st->st_dbs.meta, &k, &v)) != 0)
		return kt_store_err(rc) == KT_ENOTFOUND ? KT_ENOTFOUND :
		    KT_ESTORE;
	if (v.mv_size != 4)
		return KT_ESTORE;
	p = v.mv_data;
	*version = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	return 0;
}

int
kt_store_schema_put(kt_store_t *st, MDB_txn *txn, uint32_t version)
{
	uint8_t buf[4];
	MDB_val k = { .mv_size = sizeof schema_key - 1,
	    .mv_data = (void *)schema_key };
	MDB_val v = { .mv_size = sizeof buf, .mv_data = buf };
	int rc;

	be32(buf, version);
	rc = kt_store_err(mdb_put(txn, st->st_dbs.meta, &k, &v, 0));
	return rc == KT_ENOSPC ? KT_ENOSPC : rc == 0 ? 0 : KT_ESTORE;
}

/* ---- open / close ----------------------------------------------------- */

/* Opens every named database and checks or writes the schema version.
 * target is the version this open works at (KT_STORE_SCHEMA but for
 * tests). [out] *found is the stored version (target for a store created
 * now), 0 when none was read; a found below target is refused
 * (KT_ESTATE) unless the open is for its migration (KT_STORE_OLDER, never
 * read-only). */
static int
open_dbs(kt_store_t *st, bool create, uint32_t target, uint32_t *found)
{
	bool rdonly = (st->st_flags & KT_STORE_RDONLY) != 0;
	unsigned mkflag = rdonly ? 0 : MDB_CREATE;
	MDB_txn *txn = NULL;
	uint32_t schema;
	int rc;

	*found = 0;  /* also for a stored 0, which is no version at all */
	if ((rc = txn_begin(st, NULL, rdonly ? MDB_RDONLY : 0, &txn)) != 0)
		return rc;
	/* meta first: the version decides whether the others must exist
	 * (an older store may lack a database this binary added). */
	assert(store_db_table[0].off == offsetof(kt_store_dbs_t, meta));
	rc = mdb_dbi_open(txn, "meta", mkflag, &st->st_dbs.meta);
	if (rc != 0) {
		/* Read-only and never created: not a Kartoteka store. */
		rc = rc == MDB_NOTFOUND ? KT_ENOTFOUND : kt_store_err(rc);
		goto out;
	}
	rc = kt_store_schema_get(st, txn, &schema);
	if (rc == KT_ENOTFOUND) {
		if (!create || rdonly)
			goto out;
		if ((rc = kt_store_schema_put(st, txn, target)) != 0)
			goto out;
		*found = target;
	} else if (rc != 0) {
		goto out;
	} else {
		*found = schema;
		if (schema > target) {
			/* Never write data an older binary cannot read. */
			rc = KT_EPROTO;
			goto out;
		}
		/* An older store opens only for its migration (and never
		 * read-only): nothing is created in it before that. */
		if (schema < target &&
		    (rdonly || !(st->st_flags & KT_STORE_OLDER))) {
			rc = KT_ESTATE;
			goto out;
		}
	}
	/* An older store is copied as it is before its migration: the
	 * databases it lacks are created after that (kt_store_create_missing). */
	if (*found != 0 && *found < target)
		mkflag = 0;
	for (size_t i = 1; i < sizeof store_db_table / sizeof *store_db_table;
	    i++) {
		MDB_dbi *dbi = (MDB_dbi *)((char *)&st->st_dbs +
		    store_db_table[i].off);
		rc = mdb_dbi_open(txn, store_db_table[i].name,
		    mkflag | store_db_table[i].flags, dbi);
		if (rc == MDB_NOTFOUND && !rdonly && *found != 0 &&
		    *found < target) {
			st->st_missing = 1;
			continue;
		}
		if (rc == MDB_NOTFOUND) {
			/* Read-only and never created: not a Kartoteka store
			 * (or a damaged one). */
			rc = KT_ENOTFOUND;
			goto out;
		}
		if (rc != 0) {
			rc = kt_store_err(rc);
			goto out;
		}
	}
	/* Commit even a read-only txn: only a commit keeps the handles. */
	rc = kt_store_err(mdb_txn_commit(txn));
	txn = NULL;
	pthread_rwlock_unlock(&st->st_resize_lock);
out:
	if (txn != NULL) {
		mdb_txn_abort(txn);
		pthread_rwlock_unlock(&st->st_resize_lock);
	}
	return rc;
}

int
kt_store_create_missing(kt_store_t *st, MDB_txn *txn)
{
	int rc;

	if (!st->st_missing)
		return 0;
	for (size_t i = 1; i < sizeof store_db_table / sizeof *store_db_table;
	    i++) {
		MDB_dbi *dbi = (MDB_dbi *)((char *)&st->st_dbs +
		    store_db_table[i].off);
		rc = mdb_dbi_open(txn, store_db_table[i].name,
		    MDB_CREATE | store_db_table[i].flags, dbi);
		if (rc != 0)
			return kt_store_err(rc);
	}
	return 0;
}

int
kt_store_restore_interrupted(const char *dir)
{
	char path[4096];
	struct stat sb;

	if (snprintf(path, sizeof(path), "%s/%s", dir, KT_STORE_RESTORING) >=
	    (int)sizeof(path))
		return 0;
	return lstat(path, &sb) == 0;
}

int
kt_store_open(kt_store_t **out, const char *dir, int flags)
{
	return kt_store_open_ex(out, dir, flags, NULL);
}

int
kt_store_open_ex(kt_store_t **out, const char *dir, int flags,
    const kt_store_opts_t *opts)
{
	kt_store_t *st = NULL;
	char *datafile = NULL;
	struct stat sb;
	size_t map_size = KT_STORE_MAP_INITIAL, used, cur;
	bool exists, create = (flags & KT_STORE_CREATE) != 0;
	bool lock_init = false;
	uint32_t target = KT_STORE_SCHEMA, found = 0;
	MDB_stat ms;
	int rc;

	*out = NULL;
	if (opts != NULL && opts->map_size != 0)
		map_size = opts->map_size;
	if (opts != NULL && opts->migrate_steps != NULL)
		target = opts->migrate_target;
	if (opts != NULL && opts->schema_found != NULL)
		*opts->schema_found = 0;
	if ((flags & KT_STORE_CREATE) && (flags & KT_STORE_RDONLY))
		return KT_EINVAL;
	if (kt_store_restore_interrupted(dir))
		return KT_ESTATE;
	if (sodium_init() < 0)
		return KT_ESTORE;

	if (asprintf(&datafile, "%s/data.mdb", dir) < 0) {
		datafile = NULL;
		rc = KT_ENOMEM;
		goto out;
	}
	exists = stat(datafile, &sb) == 0;
	if (!exists && !create) {
		rc = KT_ENOTFOUND;
		goto out;
	}
	if (!exists && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = errno == ENOENT ? KT_ENOTFOUND : KT_ESTORE;
		goto out;
	}

	if ((st = calloc(1, sizeof *st)) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	st->st_flags = flags;
	if (pthread_rwlock_init(&st->st_resize_lock, NULL) != 0) {
		rc = KT_ENOMEM;
		goto out;
	}
	lock_init = true;
	if ((rc = mdb_env_create(&st->st_env)) != 0) {
		st->st_env = NULL;
		rc = kt_store_err(rc);
		goto out;
	}
	if ((rc = mdb_env_set_maxdbs(st->st_env, STORE_MAXDBS)) != 0) {
		rc = kt_store_err(rc);
		goto out;
	}
	/* A new store starts at map_size; an existing one keeps the size
	 * persisted in its meta page (raised to map_size below). */
	if (!exists && (rc = mdb_env_set_mapsize(st->st_env, map_size)) != 0) {
		rc = kt_store_err(rc);
		goto out;
	}
	rc = mdb_env_open(st->st_env, dir,
	    MDB_NOTLS | ((flags & KT_STORE_RDONLY) ? MDB_RDONLY : 0), 0600);
	if (rc != 0) {
		rc = rc == ENOENT ? KT_ENOTFOUND : kt_store_err(rc);
		goto out;
	}
	if ((rc = mdb_env_stat(st->st_env, &ms)) != 0) {
		rc = kt_store_err(rc);
		goto out;
	}
	st->st_psize = ms.ms_psize;
	if ((rc = map_usage(st, &used, &cur)) != 0)
		goto out;
	if (cur < map_size &&
	    (rc = mdb_env_set_mapsize(st->st_env, map_size)) != 0) {
		rc = kt_store_err(rc);
		goto out;
	}
	rc = open_dbs(st, create, target, &found);
	if (opts != NULL && opts->schema_found != NULL)
		*opts->schema_found = found;
	if (rc != 0)
		goto out;
	if (!(flags & KT_STORE_RDONLY) && (rc = maybe_grow(st, false, 0)) != 0)
		goto out;
	*out = st;
	st = NULL;
	rc = 0;
out:
	if (st != NULL) {
		if (st->st_env != NULL)
			mdb_env_close(st->st_env);
		if (lock_init)
			pthread_rwlock_destroy(&st->st_resize_lock);
		free(st);
	}
	free(datafile);
	return rc;
}

void
kt_store_close(kt_store_t *st)
{
	if (st == NULL)
		return;
	mdb_env_close(st->st_env);
	pthread_rwlock_destroy(&st->st_resize_lock);
	free(st);
}

/* ---- messages --------------------------------------------------------- */

const char *
kt_store_open_problem(int rc, const char *dir, const kt_store_opts_t *opts,
    char *buf, size_t cap)
{
	uint32_t found = 0, known = KT_STORE_SCHEMA;

	if (cap == 0)
		return "";
	if (rc == KT_ESTATE && kt_store_restore_interrupted(dir)) {
		snprintf(buf, cap, KT_MSG("a restore into %s was interrupted "
		    "(%s is there): the directory holds part of a store; empty "
		    "it and run `kartotekad restore` again"), dir,
		    KT_STORE_RESTORING);
		return buf;
	}
	if (opts != NULL && opts->schema_found != NULL)
		found = *opts->schema_found;
	if (opts != NULL && opts->migrate_steps != NULL)
		known = opts->migrate_target;
	if (rc == KT_EPROTO && found > known) {
		snprintf(buf, cap, "the store in %s has schema version %u, "
		    "newer than this kartotekad (which knows up to %u): use a "
		    "newer kartotekad", dir, (unsigned)found, (unsigned)known);
	} else if (rc == KT_EPROTO && found == 0) {
		snprintf(buf, cap, "cannot open the store in %s: its schema "
		    "version is newer than this kartotekad (which knows up to "
		    "%u), or a record could not be read while migrating it",
		    dir, (unsigned)known);
	} else if (rc == KT_ESTATE && found != 0 && found < known) {
		snprintf(buf, cap, "the store in %s has schema version %u, "
		    "older than this kartotekad's %u, and a read-only open does "
		    "not migrate it: run a command that writes (kartotekad run) "
		    "once to migrate it, or use the kartotekad that made it",
		    dir, (unsigned)found, (unsigned)known);
	} else if (found != 0 && found < known) {
		snprintf(buf, cap, "cannot migrate the store in %s from schema "
		    "version %u to %u: %s (see the messages above)", dir,
		    (unsigned)found, (unsigned)known, kt_strerror(rc));
	} else {
		snprintf(buf, cap, "cannot open the store in %s: %s", dir,
		    kt_strerror(rc));
	}
	return buf;
}
