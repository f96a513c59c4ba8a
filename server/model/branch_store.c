/* SPDX-License-Identifier: MIT */
/* Branch records, their name index and their audited changes
 * (branch_store.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fields.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"
#include "model/branch_store.h"
#include "model/client_store.h"
#include "normalize.h"

/* ---- reading ------------------------------------------------------------ */

static int
id_under(MDB_txn *txn, MDB_dbi dbi, const char *key, size_t len,
    uint64_t *id)
{
	MDB_val k = { len, (void *)key }, v;
	int rc;

	if (len == 0)
		return KT_ENOTFOUND;
	if ((rc = mdb_get(txn, dbi, &k, &v)) != 0)
		return kt_store_err(rc);
	if (v.mv_size != 8)
		return KT_ESTORE;
	*id = kt_store_get_be64(v.mv_data);
	return 0;
}

/* The name index's key of a branch name: its folded form (case, 'ё',
 * NFKC), whole. A fold longer than KT_NAME_KEY_CUT bytes (folding can
 * lengthen text: U+FDFA becomes 33 bytes) is kept as its first bytes, a
 * NUL and a BLAKE2b-128 of the whole fold, so two long names never share
 * a key by being cut alike. Returns the key's length, 0 when name folds
 * to nothing. */
#define KT_NAME_KEY_CUT 96u
#define NAME_KEY_MAX (KT_NAME_KEY_CUT + 1 + 16)
static size_t
name_key(const char *name, uint8_t out[static NAME_KEY_MAX])
{
	char folded[4 * KT_NAME_MAX + 64];
	size_t n, cut;

	if (name == NULL || kt_text_fold(name, folded, sizeof(folded)) != 0 ||
	    (n = strlen(folded)) == 0)
		return 0;
	if (n <= KT_NAME_KEY_CUT) {
		memcpy(out, folded, n);
		return n;
	}
	cut = KT_NAME_KEY_CUT;
	while (cut > 0 && ((unsigned char)folded[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(out, folded, cut);
	out[cut] = 0;
	crypto_generichash(out + cut + 1, 16, (const uint8_t *)folded, n,
	    NULL, 0);
	return cut + 1 + 16;
}

int
kt_branch_id(MDB_txn *txn, const kt_store_dbs_t *db, const char *name,
    uint64_t *id)
{
	uint8_t key[NAME_KEY_MAX];

	if (name == NULL || name[0] == '\0')
		return KT_ENOTFOUND;
	return id_under(txn, db->branch_names, (const char *)key,
	    name_key(name, key), id);
}

int
kt_branch_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    Ktstore__BranchRecord **rec)
{
	uint8_t key[8];

	*rec = NULL;
	if (id == 0)
		return KT_ENOTFOUND;
	kt_store_be64(key, id);
	return kt_store_get_record(txn, db->branches, key, 8,
	    &ktstore__branch_record__descriptor, (ProtobufCMessage **)rec);
}

void
kt_branch_name(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    char *out, size_t cap)
{
	Ktstore__BranchRecord *b = NULL;

	if (id == 0) {
		snprintf(out, cap, "%s", "");
		return;
	}
	if (kt_branch_get(txn, db, id, &b) == 0)
		snprintf(out, cap, "%s", b->name ? b->name : "");
	else
		snprintf(out, cap, "#%" PRIu64, id);
	if (b != NULL)
		protobuf_c_message_free_unpacked(&b->base, NULL);
}

/* The branch named name (its record in *rec, the caller frees), or v
 * refused NOT_FOUND. Returns 0 or a store error. */
static int
find_named(MDB_txn *txn, const kt_store_dbs_t *db, const char *name,
    uint64_t *id, Ktstore__BranchRecord **rec, kt_verdict_t *v)
{
	int rc;

	*rec = NULL;
	rc = kt_branch_id(txn, db, name, id);
	if (rc == KT_ENOTFOUND) {
		kt_verdict_set(v, KT_CODE_NOT_FOUND, "no branch named '%s'",
		    name != NULL ? name : "");
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = kt_branch_get(txn, db, *id, rec);
	return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
}

int
kt_branch_resolve(MDB_txn *txn, const kt_store_dbs_t *db, const char *field,
    char *const *names, size_t n, uint64_t *ids, size_t max, size_t *nids,
    kt_verdict_t *v)
{
	*nids = 0;
	kt_verdict_ok(v);
	for (size_t i = 0; i < n; i++) {
		Ktstore__BranchRecord *b = NULL;
		uint64_t id = 0;
		int rc, dup = 0, archived;

		rc = kt_branch_id(txn, db, names[i], &id);
		if (rc == KT_ENOTFOUND) {
			kt_verdict_set(v, KT_CODE_BAD,
			    "%s: no branch named '%s'",
			    field, names[i] != NULL ? names[i] : "");
			return 0;
		}
		if (rc != 0 || (rc = kt_branch_get(txn, db, id, &b)) != 0)
			return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
		archived = b->archived;
		protobuf_c_message_free_unpacked(&b->base, NULL);
		if (archived) {
			kt_verdict_set(v, KT_CODE_BAD,
			    "%s: branch '%s' is archived",
			    field, names[i]);
			return 0;
		}
		for (size_t k = 0; k < *nids; k++)
			dup |= ids[k] == id;
		if (dup)
			continue;
		if (*nids == max) {
			kt_verdict_set(v, KT_CODE_BAD,
			    "%s: at most %zu branches",
			    field, max);
			return 0;
		}
		ids[(*nids)++] = id;
	}
	return 0;
}

/* ---- checks ------------------------------------------------------------- */

/* Refuses v with BAD_REQUEST when text s breaks the rule for field. */
static int
text_ok(kt_verdict_t *v, const char *field, const char *s, size_t min,
    size_t max)
{
	const char *why = kt_text_problem(s, min, max, 0);

	if (why != NULL)
		kt_verdict_set(v, KT_CODE_BAD, "%s: %s", field, why);
	return why == NULL;
}

/* v refused CONFLICT when a branch other than self (0: any) is named
 * name, folded (names are unique regardless of case and 'ё'). */
static int
name_free(MDB_txn *txn, const kt_store_dbs_t *db, const char *field,
    const char *name, uint64_t self, kt_verdict_t *v)
{
	Ktstore__BranchRecord *b = NULL;
	uint64_t id = 0;
	int rc = kt_branch_id(txn, db, name, &id);

	if (rc == KT_ENOTFOUND)
		return 0;
	if (rc != 0 || id == self)
		return rc;
	/* Named as stored: "Центр" is taken by "центр". */
	kt_verdict_set(v, KT_CODE_CONFLICT,
	    "%sa branch named '%s' already exists",
	    field, kt_branch_get(txn, db, id, &b) == 0 ? b->name : name);
	if (b != NULL)
		protobuf_c_message_free_unpacked(&b->base, NULL);
	return 0;
}

int
kt_branch_add_check(MDB_txn *txn, const kt_store_dbs_t *db, const char *name,
    const char *address, kt_verdict_t *v)
{
	kt_verdict_ok(v);
	if (!text_ok(v, "name", name, 1, KT_NAME_MAX) ||
	    !text_ok(v, "address", address, 0, KT_ADDRESS_MAX))
		return 0;
	return name_free(txn, db, "", name, 0, v);
}

int
kt_branch_rename_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *name, const char *new_name, uint64_t *id, kt_verdict_t *v)
{
	Ktstore__BranchRecord *b = NULL;
	int rc;

	kt_verdict_ok(v);
	if (!text_ok(v, "name", name, 1, KT_NAME_MAX) ||
	    !text_ok(v, "new_name", new_name, 1, KT_NAME_MAX))
		return 0;
	if (strcmp(name, new_name) == 0) {
		kt_verdict_set(v, KT_CODE_BAD, "new_name: is the same as name");
		return 0;
	}
	if ((rc = find_named(txn, db, name, id, &b, v)) != 0 || b == NULL)
		return rc;
	protobuf_c_message_free_unpacked(&b->base, NULL);
	/* A new spelling of its own name (case) is no conflict. */
	return name_free(txn, db, "new_name: ", new_name, *id, v);
}

int
kt_branch_archive_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *name, int archive, uint64_t *id, kt_verdict_t *v)
{
	Ktstore__BranchRecord *b = NULL;
	int rc;

	kt_verdict_ok(v);
	if (!text_ok(v, "name", name, 1, KT_NAME_MAX))
		return 0;
	if ((rc = find_named(txn, db, name, id, &b, v)) != 0 || b == NULL)
		return rc;
	if (archive && b->archived)
		kt_verdict_set(v, KT_CODE_CONFLICT,
		    "branch '%s' is already archived",
		    name);
	else if (!archive && !b->archived)
		kt_verdict_set(v, KT_CODE_CONFLICT,
		    "branch '%s' is not archived",
		    name);
	protobuf_c_message_free_unpacked(&b->base, NULL);
	return 0;
}

int
kt_branch_set_check(MDB_txn *txn, const kt_store_dbs_t *db, const char *name,
    uint64_t *id, kt_verdict_t *v)
{
	Ktstore__BranchRecord *b = NULL;
	int rc;

	kt_verdict_ok(v);
	if (!text_ok(v, "name", name, 1, KT_NAME_MAX))
		return 0;
	if ((rc = find_named(txn, db, name, id, &b, v)) != 0 || b == NULL)
		return rc;
	protobuf_c_message_free_unpacked(&b->base, NULL);
	return 0;
}

/* ---- changes ------------------------------------------------------------ */

/* The name index: the folded name -> id (BE64). */
static int
put_name(MDB_txn *txn, const kt_store_dbs_t *db, const char *name,
    uint64_t id)
{
	uint8_t key[NAME_KEY_MAX];
	uint8_t val[8];
	MDB_val k = { 0, key }, v = { 8, val };

	if ((k.mv_size = name_key(name, key)) == 0)
		return KT_EINVAL; /* checked text always folds to something */
	kt_store_be64(val, id);
	return kt_store_err(mdb_put(txn, db->branch_names, &k, &v,
	    MDB_NOOVERWRITE));
}

static int
del_name(MDB_txn *txn, const kt_store_dbs_t *db, const char *name)
{
	uint8_t key[NAME_KEY_MAX];
	MDB_val k = { 0, key };
	int rc;

	k.mv_size = name_key(name, key);
	rc = k.mv_size ? mdb_del(txn, db->branch_names, &k, NULL) : 0;
	return rc == MDB_NOTFOUND ? 0 : kt_store_err(rc);
}

static int
audit(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    kt_audit_action_t action, uint64_t id, const char *detail)
{
	char object[32];

	snprintf(object, sizeof(object), "branch:%" PRIu64, id);
	return kt_audit_record(st, txn, actor, action, object, 0, detail);
}

int
kt_branch_add(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const char *name, const char *address, uint64_t *id, kt_verdict_t *v)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__BranchRecord b = KTSTORE__BRANCH_RECORD__INIT;
	char detail[KT_NAME_MAX + KT_ADDRESS_MAX + 32];
	uint8_t key[8];
	int rc;

	if ((rc = kt_branch_add_check(txn, db, name, address, v)) != 0 ||
	    !kt_verdict_is_ok(v))
		return rc;
	if ((rc = kt_store_next_id(st, txn, "branch", id)) != 0)
		return rc;
	b.id = *id;
	b.name = (char *)name;
	b.address = (char *)(address != NULL ? address : "");
	kt_store_be64(key, b.id);
	if ((rc = kt_store_put_record(txn, db->branches, key, 8, &b.base,
	    MDB_NOOVERWRITE)) != 0 || (rc = put_name(txn, db, name, b.id)) != 0)
		return rc;
	snprintf(detail, sizeof(detail), "name=%s address=%s", name, b.address);
	return audit(st, txn, actor, KT_AUDIT_BRANCH_ADD, b.id, detail);
}

int
kt_branch_rename(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const char *name, const char *new_name, uint64_t *id, kt_verdict_t *v)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__BranchRecord *b = NULL;
	char detail[2 * KT_NAME_MAX + 32], *old;
	uint8_t key[8];
	int rc;

	if ((rc = kt_branch_rename_check(txn, db, name, new_name, id,
	    v)) != 0 ||
	    !kt_verdict_is_ok(v))
		return rc;
	if ((rc = kt_branch_get(txn, db, *id, &b)) != 0)
		return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
	old = b->name;
	rc = del_name(txn, db, old);
	if (rc == 0)
		rc = put_name(txn, db, new_name, *id);
	b->name = (char *)new_name;
	kt_store_be64(key, *id);
	if (rc == 0)
		rc = kt_store_put_record(txn, db->branches, key, 8, &b->base,
		    0);
	b->name = old; /* the unpacked string is freed with b */
	protobuf_c_message_free_unpacked(&b->base, NULL);
	if (rc != 0)
		return rc;
	snprintf(detail, sizeof(detail), "name=%s new_name=%s", name, new_name);
	return audit(st, txn, actor, KT_AUDIT_BRANCH_RENAME, *id, detail);
}

int
kt_branch_archive(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const char *name, int archive, uint64_t *id, kt_verdict_t *v)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__BranchRecord *b = NULL;
	char detail[KT_NAME_MAX + 16];
	uint8_t key[8];
	int rc;

	if ((rc = kt_branch_archive_check(txn, db, name, archive, id,
	    v)) != 0 ||
	    !kt_verdict_is_ok(v))
		return rc;
	if ((rc = kt_branch_get(txn, db, *id, &b)) != 0)
		return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
	b->archived = archive != 0;
	kt_store_be64(key, *id);
	rc = kt_store_put_record(txn, db->branches, key, 8, &b->base, 0);
	protobuf_c_message_free_unpacked(&b->base, NULL);
	if (rc != 0)
		return rc;
	snprintf(detail, sizeof(detail), "name=%s", name);
	return audit(st, txn, actor, archive ? KT_AUDIT_BRANCH_ARCHIVE :
	    KT_AUDIT_BRANCH_RESTORE, *id, detail);
}

/* ---- schema 2 ----------------------------------------------------------- */

/* "name (id)", or "name (id-k)" for the k-th try, cut to fit
 * KT_NAME_MAX bytes at a character boundary. */
static void
unique_name(const char *name, uint64_t id, unsigned k,
    char out[static KT_NAME_MAX + 1])
{
	char tail[48];
	size_t n = strlen(name), t;

	if (k <= 1)
		t = (size_t)snprintf(tail, sizeof(tail), " (%" PRIu64 ")", id);
	else
		t = (size_t)snprintf(tail, sizeof(tail), " (%" PRIu64 "-%u)",
		    id, k);
	if (n + t > KT_NAME_MAX) {
		n = KT_NAME_MAX - t;
		while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, name, n);
	memcpy(out + n, tail, t + 1);
}

int
kt_branch_migrate_v2(kt_store_t *st, MDB_txn *txn)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	kt_actor_t local = { 0, NULL, NULL };
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	uint64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc, m;

	/* The index is made again from the records, folded. */
	if ((rc = kt_store_err(mdb_drop(txn, db->branch_names, 0))) != 0)
		return rc;
	if ((m = mdb_cursor_open(txn, db->branches, &cur)) != 0)
		return kt_store_err(m);
	while ((m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		if (k.mv_size != 8)
			continue;
		if (n == cap) {
			uint64_t *more = realloc(ids, (cap ? 2 * cap : 16) *
			    sizeof(*ids));
			if (more == NULL) {
				rc = KT_ENOMEM;
				goto out;
			}
			ids = more;
			cap = cap ? 2 * cap : 16;
		}
		ids[n++] = kt_store_get_be64(k.mv_data);
	}
	mdb_cursor_close(cur);
	cur = NULL;
	if (m != MDB_NOTFOUND) {
		rc = kt_store_err(m);
		goto out;
	}
	/* In id order: the older of two names that fold alike keeps it. */
	for (size_t i = 0; i < n && rc == 0; i++) {
		Ktstore__BranchRecord *b = NULL;
		char fresh[KT_NAME_MAX + 1], detail[2 * KT_NAME_MAX + 96];
		uint64_t other = 0;
		uint8_t key[8];
		char *old;

		if ((rc = kt_branch_get(txn, db, ids[i], &b)) != 0)
			break;
		if (kt_branch_id(txn, db, b->name, &other) == 0) {
			/* A fresh name no branch has yet (another may be
			 * called just that already). */
			uint64_t taken;
			unsigned try = 1;
			do
				unique_name(b->name, b->id, try, fresh);
			while (kt_branch_id(txn, db, fresh, &taken) == 0 &&
			    ++try <= 1000);
			if (try > 1000) {
				protobuf_c_message_free_unpacked(&b->base, NULL);
				rc = KT_ESTORE;
				break;
			}
			snprintf(detail, sizeof(detail), "name=%s new_name=%s "
			    "(schema 2: branch names are unique whatever their "
			    "case; branch %" PRIu64 " has this name)", b->name,
			    fresh, other);
			old = b->name;
			b->name = fresh;
			kt_store_be64(key, b->id);
			rc = kt_store_put_record(txn, db->branches, key, 8,
			    &b->base, 0);
			b->name = old;
			if (rc == 0)
				rc = audit(st, txn, &local,
				    KT_AUDIT_BRANCH_RENAME, b->id, detail);
			if (rc == 0)
				rc = put_name(txn, db, fresh, b->id);
		} else {
			rc = put_name(txn, db, b->name, b->id);
		}
		protobuf_c_message_free_unpacked(&b->base, NULL);
	}
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	free(ids);
	return rc;
}

int
kt_branch_set(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const char *name, const kt_branch_settings_t *set, uint64_t *id,
    kt_verdict_t *v)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__BranchRecord *b = NULL;
	char detail[160], hours[16];
	char *old_tz;
	uint8_t key[8];
	size_t n = 0;
	int rc;

	if ((rc = kt_branch_set_check(txn, db, name, id, v)) != 0 ||
	    !kt_verdict_is_ok(v))
		return rc;
	if ((rc = kt_branch_get(txn, db, *id, &b)) != 0)
		return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
	old_tz = b->time_zone;
	detail[0] = '\0';
	if (set->fields & KT_BRANCH_F_TZ) {
		b->time_zone = (char *)(set->time_zone ? set->time_zone : "");
		n += (size_t)snprintf(detail + n, sizeof(detail) - n,
		    "time_zone=%s ", b->time_zone[0] ? b->time_zone :
		    "(default)");
	}
	if (set->fields & KT_BRANCH_F_HOURS) {
		b->work_from_min = set->work_from;
		b->work_to_min = set->work_to;
		kt_work_hours_format(set->work_from, set->work_to, hours,
		    sizeof(hours));
		if (n < sizeof(detail))
			n += (size_t)snprintf(detail + n, sizeof(detail) - n,
			    "work_hours=%s", hours[0] ? hours : "(none)");
	}
	if (set->fields & KT_BRANCH_F_DESK_LOCK) {
		b->desk_lock_s = set->desk_lock_s;
		if (n < sizeof(detail))
			n += (size_t)snprintf(detail + n, sizeof(detail) - n,
			    "%sdesk_lock_s=%" PRIu32, n ? " " : "",
			    set->desk_lock_s);
	}
	kt_store_be64(key, *id);
	rc = kt_store_put_record(txn, db->branches, key, 8, &b->base, 0);
	b->time_zone = old_tz;  /* freed with b */
	protobuf_c_message_free_unpacked(&b->base, NULL);
	if (rc != 0)
		return rc;
	return audit(st, txn, actor, KT_AUDIT_BRANCH_SET, *id, detail);
}
