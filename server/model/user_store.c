/* SPDX-License-Identifier: MIT */
/* User records, the login index, the caller view and the audited changes
 * of users (user_store.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kt_error.h"
#include "model/branch_store.h"
#include "model/client_store.h"
#include "model/deal_store.h"
#include "model/identity.h"
#include "model/session_store.h"
#include "model/task_store.h"
#include "model/terminal_store.h"
#include "model/user_store.h"
#include "records.pb-c.h"

/* ---- reading ------------------------------------------------------------ */

static int
get_record(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    Ktstore__UserRecord **r)
{
	uint8_t key[8];

	*r = NULL;
	if (id == 0)
		return KT_ENOTFOUND;
	kt_store_be64(key, id);
	return kt_store_get_record(txn, db->users, key, 8,
	    &ktstore__user_record__descriptor, (ProtobufCMessage **)r);
}

void
kt_user_from_record(const Ktstore__UserRecord *r, kt_user_t *u)
{
	memset(u, 0, sizeof(*u));
	u->id = r->id;
	snprintf(u->login, sizeof(u->login), "%s", r->login ? r->login : "");
	snprintf(u->name, sizeof(u->name), "%s", r->name ? r->name : "");
	u->role = r->role;
	u->disabled = r->disabled;
	u->restricted = r->restricted;
	u->daily_view_quota = r->daily_view_quota;
	u->daily_row_quota = r->daily_row_quota;
	for (size_t i = 0; i < r->n_branches && i < KT_MAX_USER_BRANCHES; i++)
		u->branches[u->nbranches++] = r->branches[i];
}

uint32_t
kt_user_view_quota(const kt_user_t *u)
{
	if (u->role == KARTOTEKA__ROLE__OWNER)
		return 0;
	if (u->daily_view_quota != 0)
		return u->daily_view_quota;
	return u->role == KARTOTEKA__ROLE__HEAD ? KT_HEAD_VIEW_QUOTA :
	    KT_DEFAULT_VIEW_QUOTA;
}

uint32_t
kt_user_row_quota(const kt_user_t *u)
{
	if (u->role == KARTOTEKA__ROLE__OWNER)
		return 0;
	if (u->daily_row_quota != 0)
		return u->daily_row_quota;
	return u->role == KARTOTEKA__ROLE__HEAD ? KT_HEAD_ROW_QUOTA :
	    KT_DEFAULT_ROW_QUOTA;
}

/* The view quota in force for role with stored (0: the default). */
static uint32_t
view_quota_of(uint32_t role, uint32_t stored)
{
	kt_user_t u = { .role = role, .daily_view_quota = stored };

	return kt_user_view_quota(&u);
}

/* Frees r, wiping its password hash first. */
static void
free_record(Ktstore__UserRecord *r)
{
	if (r == NULL)
		return;
	if (r->password_hash != NULL)
		sodium_memzero(r->password_hash, strlen(r->password_hash));
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

int
kt_user_load(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    kt_user_t *u)
{
	return kt_user_load_with(txn, db, id, NULL, u);
}

int
kt_user_load_with(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    ProtobufCAllocator *a, kt_user_t *u)
{
	Ktstore__UserRecord *r = NULL;
	uint8_t key[8];
	int rc;

	if (id == 0)
		return KT_ENOTFOUND;
	kt_store_be64(key, id);
	rc = kt_store_get_record_with(txn, db->users, key, 8,
	    &ktstore__user_record__descriptor, a, (ProtobufCMessage **)&r);
	if (rc == 0)
		kt_user_from_record(r, u);
	if (r != NULL && r->password_hash != NULL)
		sodium_memzero(r->password_hash, strlen(r->password_hash));
	if (r != NULL && a == NULL)
		protobuf_c_message_free_unpacked(&r->base, NULL);
	return rc;
}

int
kt_user_id(MDB_txn *txn, const kt_store_dbs_t *db, const char *login,
    uint64_t *id)
{
	MDB_val k, v;
	int rc;

	if (login == NULL || login[0] == '\0')
		return KT_ENOTFOUND;
	k.mv_size = strlen(login);
	k.mv_data = (void *)login;
	if ((rc = mdb_get(txn, db->user_logins, &k, &v)) != 0)
		return kt_store_err(rc);
	if (v.mv_size != 8)
		return KT_ESTORE;
	*id = kt_store_get_be64(v.mv_data);
	return 0;
}

int
kt_user_find(MDB_txn *txn, const kt_store_dbs_t *db, const char *login,
    kt_user_t *u, char *pwhash)
{
	Ktstore__UserRecord *r = NULL;
	uint64_t id = 0;
	int rc;

	if ((rc = kt_user_id(txn, db, login, &id)) != 0)
		return rc;
	if ((rc = get_record(txn, db, id, &r)) != 0)
		return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
	kt_user_from_record(r, u);
	if (pwhash != NULL)
		snprintf(pwhash, crypto_pwhash_STRBYTES, "%s",
		    r->password_hash ? r->password_hash : "");
	free_record(r);
	return 0;
}

void
kt_user_login(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id, char *out,
    size_t cap)
{
	Ktstore__UserRecord *r = NULL;

	if (id == 0)
		snprintf(out, cap, "%s", "");
	else if (get_record(txn, db, id, &r) == 0)
		snprintf(out, cap, "%s", r->login ? r->login : "");
	else
		snprintf(out, cap, "#%" PRIu64, id);
	free_record(r);
}

int
kt_user_may_use_terminal(const kt_user_t *u, uint64_t term_branch)
{
	if (u->role == KARTOTEKA__ROLE__OWNER)
		return term_branch == 0;
	for (size_t i = 0; i < u->nbranches; i++)
		if (term_branch != 0 && u->branches[i] == term_branch)
			return 1;
	return 0;
}

int
kt_user_info(MDB_txn *txn, const kt_store_dbs_t *db, const kt_user_t *u,
    kt_arena_t *a, Kartoteka__UserInfo *ui)
{
	char bname[KT_NAME_MAX + 1];

	kartoteka__user_info__init(ui);
	ui->id = u->id;
	ui->login = (char *)u->login;
	ui->name = (char *)u->name;
	ui->role = (Kartoteka__Role)u->role;
	ui->disabled = u->disabled;
	ui->restricted = u->restricted;
	ui->daily_view_quota = kt_user_view_quota(u);
	ui->daily_row_quota = kt_user_row_quota(u);
	ui->branches = kt_arena_alloc(a, (u->nbranches + 1) * sizeof(char *));
	if (ui->branches == NULL)
		return KT_ENOMEM;
	for (size_t i = 0; i < u->nbranches; i++) {
		kt_branch_name(txn, db, u->branches[i], bname, sizeof(bname));
		if ((ui->branches[i] = kt_arena_strdup(a, bname)) == NULL)
			return KT_ENOMEM;
		ui->n_branches++;
	}
	return 0;
}

const char *
kt_user_role_word(uint32_t role)
{
	switch (role) {
	case KARTOTEKA__ROLE__OWNER: return "owner";
	case KARTOTEKA__ROLE__HEAD: return "head";
	case KARTOTEKA__ROLE__MANAGER: return "manager";
	default: return "?";
	}
}

/* ---- checks ------------------------------------------------------------- */

static int
text_ok(kt_verdict_t *v, const char *field, const char *s, size_t min,
    size_t max)
{
	const char *why = kt_text_problem(s, min, max, 0);

	if (why != NULL)
		kt_verdict_set(v, KT_CODE_BAD, "%s: %s", field, why);
	return why == NULL;
}

static int
login_ok(kt_verdict_t *v, const char *login)
{
	const char *why = kt_identity_login_problem(login ? login : "");

	if (why != NULL)
		kt_verdict_set(v, KT_CODE_BAD, "login: %s", why);
	return why == NULL;
}

static int
quota_ok(kt_verdict_t *v, uint32_t quota)
{
	if (quota > KT_VIEW_QUOTA_MAX)
		kt_verdict_set(v, KT_CODE_BAD, "daily_view_quota: at most %u",
		    KT_VIEW_QUOTA_MAX);
	return quota <= KT_VIEW_QUOTA_MAX;
}

static int
row_quota_ok(kt_verdict_t *v, uint32_t quota)
{
	if (quota > KT_ROW_QUOTA_MAX)
		kt_verdict_set(v, KT_CODE_BAD, "daily_row_quota: at most %u",
		    KT_ROW_QUOTA_MAX);
	return quota <= KT_ROW_QUOTA_MAX;
}

/* The row quota in force for role with stored (0: the default). */
static uint32_t
row_quota_of(uint32_t role, uint32_t stored)
{
	kt_user_t u = { .role = role, .daily_row_quota = stored };

	return kt_user_row_quota(&u);
}

static int
staff_role_ok(kt_verdict_t *v, uint32_t role)
{
	if (role == KARTOTEKA__ROLE__HEAD || role == KARTOTEKA__ROLE__MANAGER)
		return 1;
	kt_verdict_set(v, KT_CODE_BAD,
	    "role: must be HEAD or MANAGER (there is one "
	    "owner)");
	return 0;
}

/* The user with login, record in *r (caller frees with free_record), or
 * v refused NOT_FOUND. Returns 0 or a store error. */
static int
find_login(MDB_txn *txn, const kt_store_dbs_t *db, const char *login,
    Ktstore__UserRecord **r, kt_verdict_t *v)
{
	uint64_t id = 0;
	int rc;

	*r = NULL;
	if (!login_ok(v, login))
		return 0;
	rc = kt_user_id(txn, db, login, &id);
	if (rc == KT_ENOTFOUND) {
		kt_verdict_set(v, KT_CODE_NOT_FOUND, "no user with login '%s'",
		    login);
		return 0;
	}
	if (rc != 0 || (rc = get_record(txn, db, id, r)) != 0)
		return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
	return 0;
}

/* 1 when the store has no user yet (the next one is the owner). */
static int
no_users_yet(MDB_txn *txn, const kt_store_dbs_t *db)
{
	MDB_stat ms;

	return mdb_stat(txn, db->users, &ms) == 0 && ms.ms_entries == 0;
}

/* Checks a new user; on success the branch ids are in ids/nids. */
static int
add_check(MDB_txn *txn, const kt_store_dbs_t *db, const kt_user_new_t *n,
    uint64_t *ids, size_t *nids, kt_verdict_t *v)
{
	uint64_t id;
	int rc;

	kt_verdict_ok(v);
	*nids = 0;
	if (!login_ok(v, n->login) ||
	    !text_ok(v, "name", n->name, 1, KT_NAME_MAX) ||
	    !quota_ok(v, n->quota) || !row_quota_ok(v, n->row_quota))
		return 0;
	if (n->role == KARTOTEKA__ROLE__OWNER) {
		if (!no_users_yet(txn, db)) {
			(void)staff_role_ok(v, n->role);
			return 0;
		}
		if (n->nbranches != 0)
			kt_verdict_set(v, KT_CODE_BAD,
			    "branches: the owner works "
			    "for every branch and is given none");
		return 0;
	}
	if (!staff_role_ok(v, n->role))
		return 0;
	/* A head or manager first would leave a store that can never have
	 * its owner (the owner is only ever the first user). */
	if (no_users_yet(txn, db)) {
		kt_verdict_set(v, KT_CODE_BAD,
		    "role: the first user is the owner "
		    "(kartotekad init makes it)");
		return 0;
	}
	if (n->nbranches == 0) {
		kt_verdict_set(v, KT_CODE_BAD,
		    "branches: give at least one branch");
		return 0;
	}
	rc = kt_user_id(txn, db, n->login, &id);
	if (rc == 0) {
		kt_verdict_set(v, KT_CODE_CONFLICT,
		    "login: '%s' is already taken",
		    n->login);
		return 0;
	}
	if (rc != KT_ENOTFOUND)
		return rc;
	for (size_t i = 0; i < n->nbranches; i++)
		if (!text_ok(v, "branches", n->branches[i], 1, KT_NAME_MAX))
			return 0;
	return kt_branch_resolve(txn, db, "branches", n->branches,
	    n->nbranches, ids, KT_MAX_USER_BRANCHES, nids, v);
}

int
kt_user_add_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_user_new_t *n, kt_verdict_t *v)
{
	uint64_t ids[KT_MAX_USER_BRANCHES];
	size_t nids;

	return add_check(txn, db, n, ids, &nids, v);
}

/* Checks an edit; on success the branch ids (F_BRANCHES) in ids/nids and
 * the record in *r (caller frees). */
static int
change_check(MDB_txn *txn, const kt_store_dbs_t *db, const kt_user_edit_t *e,
    uint64_t *ids, size_t *nids, Ktstore__UserRecord **r, kt_verdict_t *v)
{
	int rc;

	kt_verdict_ok(v);
	*nids = 0;
	*r = NULL;
	if (e->fields == 0) {
		kt_verdict_set(v, KT_CODE_BAD,
		    "fields: name at least one field to "
		    "change");
		return 0;
	}
	if (((e->fields & KT_USER_F_NAME) &&
	    !text_ok(v, "name", e->name, 1, KT_NAME_MAX)) ||
	    ((e->fields & KT_USER_F_ROLE) && !staff_role_ok(v, e->role)) ||
	    ((e->fields & KT_USER_F_QUOTA) && !quota_ok(v, e->quota)) ||
	    ((e->fields & KT_USER_F_ROW_QUOTA) &&
	    !row_quota_ok(v, e->row_quota)))
		return 0;
	if (e->fields & KT_USER_F_BRANCHES) {
		if (e->nbranches == 0) {
			kt_verdict_set(v, KT_CODE_BAD,
			    "branches: give at least one "
			    "branch");
			return 0;
		}
		for (size_t i = 0; i < e->nbranches; i++)
			if (!text_ok(v, "branches", e->branches[i], 1,
			    KT_NAME_MAX))
				return 0;
	}
	if ((rc = find_login(txn, db, e->login, r, v)) != 0 || *r == NULL)
		return rc;
	if ((*r)->role == KARTOTEKA__ROLE__OWNER &&
	    (e->fields & (KT_USER_F_ROLE | KT_USER_F_BRANCHES | KT_USER_F_QUOTA |
	    KT_USER_F_ROW_QUOTA))) {
		kt_verdict_set(v, KT_CODE_FORBIDDEN,
		    "the owner's role, branches and "
		    "quota cannot be changed");
		return 0;
	}
	if (e->fields & KT_USER_F_BRANCHES)
		return kt_branch_resolve(txn, db, "branches", e->branches,
		    e->nbranches, ids, KT_MAX_USER_BRANCHES, nids, v);
	return 0;
}

int
kt_user_change_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_user_edit_t *e, kt_verdict_t *v)
{
	uint64_t ids[KT_MAX_USER_BRANCHES];
	Ktstore__UserRecord *r = NULL;
	size_t nids;
	int rc = change_check(txn, db, e, ids, &nids, &r, v);

	free_record(r);
	return rc;
}

int
kt_user_password_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *login, kt_verdict_t *v)
{
	Ktstore__UserRecord *r = NULL;
	int rc;

	kt_verdict_ok(v);
	rc = find_login(txn, db, login, &r, v);
	free_record(r);
	return rc;
}

static int
disable_check(MDB_txn *txn, const kt_store_dbs_t *db, const char *login,
    int disable, Ktstore__UserRecord **r, kt_verdict_t *v)
{
	int rc;

	kt_verdict_ok(v);
	if ((rc = find_login(txn, db, login, r, v)) != 0 || *r == NULL)
		return rc;
	if ((*r)->role == KARTOTEKA__ROLE__OWNER)
		kt_verdict_set(v, KT_CODE_FORBIDDEN,
		    "the owner cannot be disabled");
	else if (disable && (*r)->disabled)
		kt_verdict_set(v, KT_CODE_CONFLICT,
		    "user '%s' is already disabled",
		    login);
	else if (!disable && !(*r)->disabled)
		kt_verdict_set(v, KT_CODE_CONFLICT, "user '%s' is not disabled",
		    login);
	return 0;
}

int
kt_user_disable_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *login, int disable, kt_verdict_t *v)
{
	Ktstore__UserRecord *r = NULL;
	int rc = disable_check(txn, db, login, disable, &r, v);

	free_record(r);
	return rc;
}

/* ---- changes ------------------------------------------------------------ */

/* Appends ",".join(ids) to buf. */
static void
append_ids(char *buf, size_t cap, const uint64_t *ids, size_t n)
{
	size_t used = strlen(buf);

	for (size_t i = 0; i < n && used < cap; i++) {
		int w = snprintf(buf + used, cap - used, "%s%" PRIu64,
		    i > 0 ? "," : "", ids[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* Appends " key=value" to buf. */
static void
append(char *buf, size_t cap, const char *key, const char *value)
{
	size_t used = strlen(buf);

	if (used < cap)
		snprintf(buf + used, cap - used, " %s=%s", key, value);
}

static int
audit(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    kt_audit_action_t action, uint64_t id, const char *detail)
{
	char object[32];

	snprintf(object, sizeof(object), "user:%" PRIu64, id);
	return kt_audit_record(st, txn, actor, action, object, 0, detail);
}

static int
put_record(MDB_txn *txn, const kt_store_dbs_t *db, const Ktstore__UserRecord *r,
    unsigned flags)
{
	uint8_t key[8];

	kt_store_be64(key, r->id);
	return kt_store_put_record(txn, db->users, key, 8, &r->base, flags);
}

int
kt_user_add(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const kt_user_new_t *n, uint64_t *id, kt_verdict_t *v)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__UserRecord u = KTSTORE__USER_RECORD__INIT;
	uint64_t ids[KT_MAX_USER_BRANCHES];
	size_t nids = 0;
	char detail[512];
	uint8_t key[8];
	MDB_val k, val = { 8, key };
	int rc;

	if ((rc = add_check(txn, db, n, ids, &nids, v)) != 0 ||
	    !kt_verdict_is_ok(v))
		return rc;
	if (n->pwhash == NULL || n->pwhash[0] == '\0')
		return KT_ESTATE; /* the caller's bug, never the user's */
	if ((rc = kt_store_next_id(st, txn, "user", id)) != 0)
		return rc;
	u.id = *id;
	u.login = (char *)n->login;
	u.name = (char *)n->name;
	u.role = n->role;
	u.n_branches = nids;
	u.branches = ids;
	u.password_hash = (char *)n->pwhash;
	u.daily_view_quota = n->role == KARTOTEKA__ROLE__OWNER ? 0 : n->quota;
	u.daily_row_quota = n->role == KARTOTEKA__ROLE__OWNER ? 0 :
	    n->row_quota;
	u.created_at = n->now;
	kt_store_be64(key, u.id);
	k.mv_size = strlen(n->login);
	k.mv_data = (void *)n->login;
	if ((rc = put_record(txn, db, &u, MDB_NOOVERWRITE)) != 0 ||
	    (rc = kt_store_err(mdb_put(txn, db->user_logins, &k, &val,
	    MDB_NOOVERWRITE))) != 0)
		return rc;
	snprintf(detail, sizeof(detail), "login=%s role=%s quota=%" PRIu32
	    " branches=", n->login, kt_user_role_word(n->role),
	    view_quota_of(n->role, u.daily_view_quota));
	append_ids(detail, sizeof(detail), ids, nids);
	return audit(st, txn, actor, KT_AUDIT_USER_ADD, u.id, detail);
}

int
kt_user_change(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const kt_user_edit_t *e, uint64_t *id, kt_verdict_t *v)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__UserRecord *r = NULL, nu;
	uint64_t ids[KT_MAX_USER_BRANCHES];
	size_t nids = 0;
	char detail[1024], num[16];
	int rc, bump = 0;

	if ((rc = change_check(txn, db, e, ids, &nids, &r, v)) != 0 ||
	    !kt_verdict_is_ok(v) || r == NULL)
		goto out;
	*id = r->id;
	/* nu borrows r's memory and the edit's: never freed itself. */
	nu = *r;
	snprintf(detail, sizeof(detail), "login=%s", e->login);
	if (e->fields & KT_USER_F_NAME) {
		nu.name = (char *)e->name;
		append(detail, sizeof(detail), "name", e->name);
	}
	if (e->fields & KT_USER_F_ROLE) {
		bump |= nu.role != e->role;
		nu.role = e->role;
		append(detail, sizeof(detail), "role",
		    kt_user_role_word(e->role));
	}
	if (e->fields & KT_USER_F_BRANCHES) {
		bump = 1;
		nu.n_branches = nids;
		nu.branches = ids;
		append(detail, sizeof(detail), "branches", "");
		append_ids(detail, sizeof(detail), ids, nids);
	}
	if (e->fields & KT_USER_F_QUOTA) {
		nu.daily_view_quota = e->quota;
		snprintf(num, sizeof(num), "%" PRIu32,
		    view_quota_of(nu.role, nu.daily_view_quota));
		append(detail, sizeof(detail), "quota", num);
	}
	if (e->fields & KT_USER_F_ROW_QUOTA) {
		nu.daily_row_quota = e->row_quota;
		snprintf(num, sizeof(num), "%" PRIu32,
		    row_quota_of(nu.role, nu.daily_row_quota));
		append(detail, sizeof(detail), "row_quota", num);
	}
	if ((rc = put_record(txn, db, &nu, 0)) != 0)
		goto out;
	/* The server's sweep re-checks every session against the user's
	 * role and branches when the generation moves. */
	if (bump && (rc = kt_terminals_gen_bump(txn, db)) != 0)
		goto out;
	rc = audit(st, txn, actor, KT_AUDIT_USER_CHANGE, *id, detail);
out:
	free_record(r);
	return rc;
}

int
kt_user_set_password(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const char *login, const char *pwhash, uint64_t *id, size_t *ended,
    kt_verdict_t *v)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__UserRecord *r = NULL;
	char detail[128], *old;
	int rc;

	*ended = 0;
	kt_verdict_ok(v);
	if (pwhash == NULL || pwhash[0] == '\0')
		return KT_ESTATE; /* the caller's bug, never the user's */
	if ((rc = find_login(txn, db, login, &r, v)) != 0 || r == NULL)
		goto out;
	*id = r->id;
	old = r->password_hash;
	r->password_hash = (char *)pwhash;
	rc = put_record(txn, db, r, 0);
	r->password_hash = old;
	if (rc != 0 || (rc = kt_sessions_end_user(txn, db, *id, ended)) != 0)
		goto out;
	snprintf(detail, sizeof(detail), "login=%s sessions_ended=%zu", login,
	    *ended);
	rc = audit(st, txn, actor, KT_AUDIT_USER_PASSWORD, *id, detail);
out:
	free_record(r);
	return rc;
}

int
kt_user_set_disabled(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const char *login, int disable, uint64_t *id, size_t *ended,
    kt_verdict_t *v)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__UserRecord *r = NULL;
	char detail[128];
	int rc;

	*ended = 0;
	if ((rc = disable_check(txn, db, login, disable, &r, v)) != 0 ||
	    !kt_verdict_is_ok(v) || r == NULL)
		goto out;
	*id = r->id;
	r->disabled = disable != 0;
	if ((rc = put_record(txn, db, r, 0)) != 0)
		goto out;
	if (disable && ((rc = kt_sessions_end_user(txn, db, *id, ended)) != 0 ||
	    (rc = kt_terminals_gen_bump(txn, db)) != 0))
		goto out;
	snprintf(detail, sizeof(detail), "login=%s sessions_ended=%zu", login,
	    *ended);
	rc = audit(st, txn, actor, disable ? KT_AUDIT_USER_DISABLE :
	    KT_AUDIT_USER_ENABLE, *id, detail);
out:
	free_record(r);
	return rc;
}

/* ---- the notice period -------------------------------------------------- */

static int
restrict_check(MDB_txn *txn, const kt_store_dbs_t *db, const char *login,
    int restrict_, Ktstore__UserRecord **r, kt_verdict_t *v)
{
	int rc;

	kt_verdict_ok(v);
	if ((rc = find_login(txn, db, login, r, v)) != 0 || *r == NULL)
		return rc;
	if ((*r)->role == KARTOTEKA__ROLE__OWNER)
		kt_verdict_set(v, KT_CODE_FORBIDDEN,
		    "the owner cannot be restricted");
	else if ((*r)->disabled)
		kt_verdict_set(v, KT_CODE_CONFLICT, "user '%s' is disabled",
		    login);
	else if (restrict_ && (*r)->restricted)
		kt_verdict_set(v, KT_CODE_CONFLICT,
		    "user '%s' is already restricted", login);
	else if (!restrict_ && !(*r)->restricted)
		kt_verdict_set(v, KT_CODE_CONFLICT,
		    "user '%s' is not restricted", login);
	return 0;
}

int
kt_user_restrict_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *login, int restrict_, kt_verdict_t *v)
{
	Ktstore__UserRecord *r = NULL;
	int rc = restrict_check(txn, db, login, restrict_, &r, v);

	free_record(r);
	return rc;
}

int
kt_user_set_restricted(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const char *login, int restrict_, uint64_t *id, kt_verdict_t *v)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__UserRecord *r = NULL;
	char detail[128];
	int rc;

	if ((rc = restrict_check(txn, db, login, restrict_, &r, v)) != 0 ||
	    !kt_verdict_is_ok(v) || r == NULL)
		goto out;
	*id = r->id;
	r->restricted = restrict_ != 0;
	if ((rc = put_record(txn, db, r, 0)) != 0)
		goto out;
	snprintf(detail, sizeof(detail), "login=%s", login);
	rc = audit(st, txn, actor, restrict_ ? KT_AUDIT_USER_RESTRICT :
	    KT_AUDIT_USER_UNRESTRICT, *id, detail);
out:
	free_record(r);
	return rc;
}

/* ---- offboarding ---------------------------------------------------------- */

/* The clients user manages (the manager index: purged cards are in no
 * index). */
static int
managed_clients(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t user,
    kt_idset_t *set)
{
	uint8_t key[8];

	kt_store_be64(key, user);
	return kt_cstore_ids_eq(txn, db->cx_manager, key, sizeof key, set);
}

/* 1 when to (a working user) may manage a client of branch. */
static int
may_manage(const Ktstore__UserRecord *to, uint64_t branch)
{
	if (to->role == KARTOTEKA__ROLE__OWNER)
		return 1;
	for (size_t i = 0; i < to->n_branches; i++)
		if (to->branches[i] == branch && branch != 0)
			return 1;
	return 0;
}

/* Refuses v naming the clients of ids (each card read for its branch)
 * that `to` may not manage, when there are any. */
static int
check_clients_fit(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__UserRecord *to, const kt_idset_t *ids, kt_verdict_t *v)
{
	char named[KT_OFFBOARD_NAMED_MAX * 22 + 1] = "", branches[512] = "";
	uint64_t bad = 0, bad_branches[8];
	size_t nbb = 0, used = 0;
	int rc;

	for (size_t i = 0; i < ids->n; i++) {
		Ktstore__ClientRecord *c = NULL;

		if ((rc = kt_cstore_get(txn, db, ids->ids[i], &c)) != 0)
			return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
		if (!c->purged && !may_manage(to, c->branch)) {
			size_t j;

			if (bad < KT_OFFBOARD_NAMED_MAX)
				used += (size_t)snprintf(named + used,
				    sizeof(named) - used, "%s%" PRIu64,
				    bad ? ", " : "", c->id);
			bad++;
			for (j = 0; j < nbb && bad_branches[j] != c->branch; j++)
				;
			if (j == nbb && nbb < sizeof bad_branches /
			    sizeof bad_branches[0])
				bad_branches[nbb++] = c->branch;
		}
		protobuf_c_message_free_unpacked(&c->base, NULL);
	}
	if (bad == 0)
		return 0;
	for (size_t j = 0; j < nbb; j++) {
		char b[KT_NAME_MAX + 1];
		size_t n = strlen(branches);

		kt_branch_name(txn, db, bad_branches[j], b, sizeof(b));
		snprintf(branches + n, sizeof(branches) - n, "%s'%s'",
		    j ? ", " : "", b);
	}
	kt_verdict_set(v, KT_CODE_BAD, "to: user '%s' does not work in "
	    "branch %s of %" PRIu64 " of the clients (%s%s): give them the "
	    "branch or choose another user; nothing was changed",
	    to->login, branches, bad, named,
	    bad > KT_OFFBOARD_NAMED_MAX ? ", ..." : "");
	return 0;
}

/* The check of an offboarding; on success *leaver and *to hold the
 * records (the caller frees both) and ids the leaver's clients. */
static int
offboard_check(MDB_txn *txn, const kt_store_dbs_t *db, const char *login,
    const char *to_login, Ktstore__UserRecord **leaver,
    Ktstore__UserRecord **to, kt_idset_t *ids, kt_verdict_t *v)
{
	int rc;

	kt_verdict_ok(v);
	*leaver = NULL;
	*to = NULL;
	if ((rc = find_login(txn, db, login, leaver, v)) != 0 ||
	    *leaver == NULL)
		return rc;
	if ((*leaver)->role == KARTOTEKA__ROLE__OWNER) {
		kt_verdict_set(v, KT_CODE_FORBIDDEN,
		    "the owner cannot be offboarded");
		return 0;
	}
	if (to_login == NULL || to_login[0] == '\0') {
		kt_verdict_set(v, KT_CODE_BAD, "to: name the user who gets "
		    "the clients");
		return 0;
	}
	if (strcmp(to_login, login) == 0) {
		kt_verdict_set(v, KT_CODE_BAD, "to: must be another user than "
		    "the one who leaves");
		return 0;
	}
	{
		kt_verdict_t tv;

		kt_verdict_ok(&tv);
		if ((rc = find_login(txn, db, to_login, to, &tv)) != 0)
			return rc;
		if (*to == NULL) {
			kt_verdict_set(v, tv.code, "to: %s", tv.msg);
			return 0;
		}
	}
	if ((*to)->disabled) {
		kt_verdict_set(v, KT_CODE_BAD, "to: user '%s' is disabled",
		    to_login);
		return 0;
	}
	if ((*to)->restricted) {
		kt_verdict_set(v, KT_CODE_BAD, "to: user '%s' is in the notice "
		    "period (restricted)", to_login);
		return 0;
	}
	if ((rc = managed_clients(txn, db, (*leaver)->id, ids)) != 0)
		return rc;
	return check_clients_fit(txn, db, *to, ids, v);
}

/* Gives client id to user to at now: its next version, kept in the
 * card's history as written by actor's offboarding. */
static int
reassign_card(MDB_txn *txn, const kt_store_dbs_t *db, const kt_actor_t *actor,
    uint64_t id, uint64_t to, int64_t now)
{
	kt_chist_who_t who = { .time = now, .user = actor->user_id,
		.terminal = actor->terminal_key, .action =
		    kt_audit_action_name(KT_AUDIT_USER_OFFBOARD), .fields = 0 };
	Ktstore__ClientRecord *old = NULL, next;
	int rc;

	if ((rc = kt_cstore_get(txn, db, id, &old)) != 0)
		return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
	/* next borrows old's memory: never freed itself. */
	next = *old;
	next.manager = to;
	next.version = old->version + 1;
	next.updated_at = now;
	rc = kt_cstore_put(txn, db, old, &next, &who);
	protobuf_c_message_free_unpacked(&old->base, NULL);
	return rc;
}

/* Open deals and tasks of the leaver go to `to` here, in the same
 * transaction, once they exist (DESIGN 7). Counts them into the detail. */
static int
offboard_deals_and_tasks(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t leaver, uint64_t to, int64_t now, char *detail, size_t cap)
{
	size_t deals = 0, tasks = 0, len;
	int rc;

	if ((rc = kt_deal_offboard(txn, db, leaver, to, now, &deals)) != 0 ||
	    (rc = kt_task_offboard(txn, db, leaver, to, now, &tasks)) != 0)
		return rc;
	len = strlen(detail);
	if (len < cap)
		snprintf(detail + len, cap - len, " deals=%zu tasks=%zu", deals,
		    tasks);
	return 0;
}

int
kt_user_offboard(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const char *login, const char *to, int64_t now, kt_offboard_t *out,
    kt_verdict_t *v)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__UserRecord *leaver = NULL, *t = NULL;
	kt_idset_t ids = { 0 };
	char detail[512];
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = offboard_check(txn, db, login, to, &leaver, &t, &ids,
	    v)) != 0 || !kt_verdict_is_ok(v))
		goto out;
	out->id = leaver->id;
	out->to = t->id;
	if (!leaver->disabled) {
		leaver->disabled = 1;
		if ((rc = put_record(txn, db, leaver, 0)) != 0)
			goto out;
	}
	if ((rc = kt_sessions_end_user(txn, db, leaver->id,
	    &out->sessions)) != 0 ||
	    (rc = kt_terminals_gen_bump(txn, db)) != 0)
		goto out;
	for (size_t i = 0; i < ids.n; i++) {
		if ((rc = reassign_card(txn, db, actor, ids.ids[i], t->id,
		    now)) != 0)
			goto out;
		out->clients++;
	}
	snprintf(detail, sizeof(detail), "login=%s to=%s clients=%" PRIu64
	    " sessions_ended=%zu", login, to, out->clients, out->sessions);
	if ((rc = offboard_deals_and_tasks(txn, db, leaver->id, t->id, now,
	    detail, sizeof(detail))) != 0)
		goto out;
	rc = audit(st, txn, actor, KT_AUDIT_USER_OFFBOARD, leaver->id,
	    detail);
out:
	free_record(leaver);
	free_record(t);
	kt_idset_free(&ids);
	return rc;
}

int
kt_user_migrate_v3(kt_store_t *st, MDB_txn *txn)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc = 0, m;

	if ((m = mdb_cursor_open(txn, db->users, &cur)) != 0)
		return kt_store_err(m);
	for (m = mdb_cursor_get(cur, &k, &v, MDB_FIRST); m == 0 && rc == 0;
	    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Ktstore__UserRecord *u = ktstore__user_record__unpack(NULL,
		    v.mv_size, v.mv_data);
		if (u == NULL)
			return KT_EPROTO;
		/* Version 2 stored the default (200) for heads as for
		 * managers: from 3 on, 0 means the role's default. */
		if (u->daily_view_quota == KT_DEFAULT_VIEW_QUOTA) {
			u->daily_view_quota = 0;
			rc = kt_store_put_record(txn, db->users, k.mv_data,
			    k.mv_size, &u->base, 0);
		}
		free_record(u);
	}
	mdb_cursor_close(cur);
	if (rc == 0 && m != 0 && m != MDB_NOTFOUND)
		rc = kt_store_err(m);
	return rc;
}
