/* SPDX-License-Identifier: MIT */
/* Owner administration over the protocol: branches, users and terminals.
 * Each change is checked on the loop, checked again inside the writer's
 * transaction, committed together with its audit entry, and answered only
 * after the commit; lists are answered a page at a time, each from a read
 * transaction, by one pager shared by the three lists. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "model/audit.h"
#include "model/authz.h"
#include "invite.h"
#include "kt_error.h"
#include "records.pb-c.h"
#include "normalize.h"
#include "server.h"

typedef Kartoteka__Error__Code err_code_t;
#define E_OK KARTOTEKA__ERROR__CODE__OK
#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define E_NOT_FOUND KARTOTEKA__ERROR__CODE__NOT_FOUND
#define E_CONFLICT KARTOTEKA__ERROR__CODE__CONFLICT
#define E_UNAVAILABLE KARTOTEKA__ERROR__CODE__UNAVAILABLE
#define E_INTERNAL KARTOTEKA__ERROR__CODE__INTERNAL

#define NAME_MAX_BYTES 128u      /* branch and user names */
#define ADDRESS_MAX_BYTES 256u   /* a branch's postal address */
#define LOGIN_MAX_BYTES 64u
#define PASSWORD_MAX_BYTES 1024u
#define QUOTA_MAX 100000u        /* full-card views a day */
#define INVITE_TTL_S (24 * 3600)
#define DEFAULT_ADVERTISE "127.0.0.1:7700"

/* Room for the entries of a list answer: the plaintext limit of one frame
 * less a margin for the Response envelope. */
#define ANSWER_BUDGET ((size_t)KT_FRAME_MAX - KT_NOISE_TAGLEN - 256u)
/* Per entry: field tag and length prefix. */
#define ENTRY_OVERHEAD 4u

/* Fields of UserChangeRequest. */
enum {
	F_NAME = 1,
	F_ROLE = 2,
	F_BRANCHES = 4,
	F_QUOTA = 8,
};

/* One administration request on its way through the thread pool (password
 * hashing) and the writer. Owned by the handler until submitted, then by
 * the done callback, which frees it. */
typedef struct admin_op {
	srv_conn_t *c;
	kt_server_t *srv;
	uint64_t req_id;
	Kartoteka__Request__OpCase kind;
	uint64_t actor;                        /* the owner's user id */
	uint8_t actor_term[32];                /* the owner's terminal */
	int64_t now;
	/* inputs, copied from the request */
	char name[NAME_MAX_BYTES + 1];         /* branch name; user's name */
	char new_name[NAME_MAX_BYTES + 1];     /* branch rename */
	char address[ADDRESS_MAX_BYTES + 1];   /* branch address */
	char login[LOGIN_MAX_BYTES + 1];
	char which[NAME_MAX_BYTES + 1];        /* terminal: name or key prefix */
	int flag;                              /* restore / enable */
	unsigned fields;                       /* user change: F_* */
	uint32_t role;
	uint32_t quota;
	size_t nbranch_names;
	char branch_names[KT_MAX_USER_BRANCHES][NAME_MAX_BYTES + 1];
	char password[PASSWORD_MAX_BYTES + 1]; /* wiped once hashed */
	char pwhash[crypto_pwhash_STRBYTES];
	int hash_failed;
	uint8_t token[32];                     /* terminal invite */
	uv_work_t work;
	/* results: recomputed on every run of the mutation */
	err_code_t code;
	char msg[256];
	uint64_t id;                           /* branch / user; invite branch */
	size_t nbranches;
	uint64_t branches[KT_MAX_USER_BRANCHES];
	uint8_t key[32];                       /* the terminal revoked */
	size_t ended;                          /* sessions ended */
} admin_op_t;

static void
op_free(admin_op_t *op)
{
	if (op == NULL)
		return;
	sodium_memzero(op, sizeof(*op));
	free(op);
}

static void
copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

/* Sets the outcome of op: a refusal with a message for the client. */
__attribute__((format(printf, 3, 4)))
static void
refuse(admin_op_t *op, err_code_t code, const char *fmt, ...)
{
	va_list ap;

	op->code = code;
	va_start(ap, fmt);
	vsnprintf(op->msg, sizeof(op->msg), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* validation                                                          */
/* ------------------------------------------------------------------ */

/* 1 if s is valid UTF-8 without control characters (C0, DEL, C1). */
static int
text_ok(const char *s)
{
	return kt_utf8_valid(s, 0);
}

/* Checks a text field of min..max bytes; on failure refuses op with
 * BAD_REQUEST naming field. Returns 1 when fine. */
static int
check_text(admin_op_t *op, const char *field, const char *s, size_t min,
    size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n < min || n > max) {
		if (min > 0 && n == 0)
			refuse(op, E_BAD, "%s: is empty", field);
		else
			refuse(op, E_BAD, "%s: must be %zu to %zu bytes", field,
			    min, max);
		return 0;
	}
	if (n > 0 && !text_ok(s)) {
		refuse(op, E_BAD, "%s: contains control characters or "
		    "invalid UTF-8", field);
		return 0;
	}
	return 1;
}

static int
check_login(admin_op_t *op, const char *login)
{
	const char *why = kt_identity_login_problem(login != NULL ? login : "");

	if (why != NULL) {
		refuse(op, E_BAD, "login: %s", why);
		return 0;
	}
	copy_str(op->login, sizeof(op->login), login);
	return 1;
}

static int
check_password(admin_op_t *op, const char *password)
{
	const char *why = kt_identity_password_problem(
	    password != NULL ? password : "");

	if (why != NULL) {
		refuse(op, E_BAD, "password: %s", why);
		return 0;
	}
	copy_str(op->password, sizeof(op->password), password);
	return 1;
}

/* Copies the branch names of a request; at least one, at most
 * KT_MAX_USER_BRANCHES. */
static int
check_branch_names(admin_op_t *op, char **names, size_t n)
{
	if (n == 0) {
		refuse(op, E_BAD, "branches: give at least one branch");
		return 0;
	}
	if (n > KT_MAX_USER_BRANCHES) {
		refuse(op, E_BAD, "branches: at most %u branches",
		    KT_MAX_USER_BRANCHES);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!check_text(op, "branches", names[i], 1, NAME_MAX_BYTES))
			return 0;
		copy_str(op->branch_names[i], sizeof(op->branch_names[i]),
		    names[i]);
	}
	op->nbranch_names = n;
	return 1;
}

static int
check_role(admin_op_t *op, Kartoteka__Role role)
{
	if (role != KARTOTEKA__ROLE__HEAD && role != KARTOTEKA__ROLE__MANAGER) {
		refuse(op, E_BAD, "role: must be HEAD or MANAGER (there is "
		    "one owner)");
		return 0;
	}
	op->role = (uint32_t)role;
	return 1;
}

static int
check_quota(admin_op_t *op, uint32_t quota)
{
	if (quota > QUOTA_MAX) {
		refuse(op, E_BAD, "daily_view_quota: at most %u", QUOTA_MAX);
		return 0;
	}
	op->quota = quota != 0 ? quota : KT_DEFAULT_VIEW_QUOTA;
	return 1;
}

/* ------------------------------------------------------------------ */
/* lookups inside a transaction (read on the loop, or the writer's)    */
/* ------------------------------------------------------------------ */

/* The id of the branch named name. Returns 0, KT_ENOTFOUND, KT_ESTORE. */
static int
branch_id(kt_store_t *st, MDB_txn *txn, const char *name, uint64_t *id)
{
	MDB_val k = { strlen(name), (void *)name }, v;
	int rc = mdb_get(txn, kt_store_dbs(st)->branch_names, &k, &v);

	if (rc != 0)
		return kt_store_err(rc);
	if (v.mv_size != 8)
		return KT_ESTORE;
	*id = kt_store_get_be64(v.mv_data);
	return 0;
}

/* The branch named name, its record in *rec (caller frees). A missing
 * branch refuses op with NOT_FOUND (*rec stays NULL). Returns 0 or a
 * store error. */
static int
find_branch(kt_store_t *st, MDB_txn *txn, admin_op_t *op, const char *name,
    Ktstore__BranchRecord **rec)
{
	uint8_t key[8];
	int rc;

	*rec = NULL;
	rc = branch_id(st, txn, name, &op->id);
	if (rc == KT_ENOTFOUND) {
		refuse(op, E_NOT_FOUND, "no branch named '%s'", name);
		return 0;
	}
	if (rc != 0)
		return rc;
	kt_store_be64(key, op->id);
	rc = kt_store_get_record(txn, kt_store_dbs(st)->branches, key, 8,
	    &ktstore__branch_record__descriptor, (ProtobufCMessage **)rec);
	return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
}

/* Resolves op->branch_names into op->branches (duplicates dropped): each
 * must exist and not be archived, else op is refused with BAD_REQUEST
 * naming field. Returns 0 or a store error. */
static int
resolve_branches(kt_store_t *st, MDB_txn *txn, admin_op_t *op,
    const char *field)
{
	op->nbranches = 0;
	for (size_t i = 0; i < op->nbranch_names; i++) {
		Ktstore__BranchRecord *b = NULL;
		uint8_t key[8];
		uint64_t id = 0;
		int rc, dup = 0;

		rc = branch_id(st, txn, op->branch_names[i], &id);
		if (rc == KT_ENOTFOUND) {
			refuse(op, E_BAD, "%s: no branch named '%s'", field,
			    op->branch_names[i]);
			return 0;
		}
		if (rc != 0)
			return rc;
		kt_store_be64(key, id);
		rc = kt_store_get_record(txn, kt_store_dbs(st)->branches, key,
		    8, &ktstore__branch_record__descriptor,
		    (ProtobufCMessage **)&b);
		if (rc != 0)
			return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
		if (b->archived) {
			protobuf_c_message_free_unpacked(&b->base, NULL);
			refuse(op, E_BAD, "%s: branch '%s' is archived", field,
			    op->branch_names[i]);
			return 0;
		}
		protobuf_c_message_free_unpacked(&b->base, NULL);
		for (size_t k = 0; k < op->nbranches; k++)
			dup |= op->branches[k] == id;
		if (!dup)
			op->branches[op->nbranches++] = id;
	}
	return 0;
}

/* The user with op->login, record in *rec (caller frees); a missing user
 * refuses op with NOT_FOUND (*rec stays NULL). Returns 0 or a store
 * error. */
static int
find_user(kt_store_t *st, MDB_txn *txn, admin_op_t *op,
    Ktstore__UserRecord **rec)
{
	MDB_val k = { strlen(op->login), op->login }, v;
	uint8_t key[8];
	int rc;

	*rec = NULL;
	rc = mdb_get(txn, kt_store_dbs(st)->user_logins, &k, &v);
	if (rc == MDB_NOTFOUND) {
		refuse(op, E_NOT_FOUND, "no user with login '%s'", op->login);
		return 0;
	}
	if (rc != 0)
		return kt_store_err(rc);
	if (v.mv_size != 8)
		return KT_ESTORE;
	op->id = kt_store_get_be64(v.mv_data);
	kt_store_be64(key, op->id);
	rc = kt_store_get_record(txn, kt_store_dbs(st)->users, key, 8,
	    &ktstore__user_record__descriptor, (ProtobufCMessage **)rec);
	return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
}

/* Finds the terminal op->which names (its name, or >= 8 hex digits of its
 * key). When several match and exactly one of them is not revoked, that
 * one is meant (a name reused after a revocation). Sets op->key and
 * *rec (caller frees), or refuses op (*rec stays NULL). Returns 0 or a
 * store error. */
static int
find_terminal(kt_store_t *st, MDB_txn *txn, admin_op_t *op,
    Ktstore__TerminalRecord **rec)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	size_t wlen = strlen(op->which), matches = 0, active = 0;
	uint8_t first[32], first_active[32];
	int is_hex = wlen >= 8 && wlen <= 64, rc;

	*rec = NULL;
	for (size_t i = 0; i < wlen && is_hex; i++)
		is_hex = strchr("0123456789abcdef", op->which[i]) != NULL;
	rc = kt_store_err(mdb_cursor_open(txn, kt_store_dbs(st)->terminals,
	    &cur));
	if (rc != 0)
		return rc;
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		Ktstore__TerminalRecord *t;
		char hex[65];
		int hit;

		if (k.mv_size != 32)
			continue;
		t = ktstore__terminal_record__unpack(NULL, v.mv_size,
		    v.mv_data);
		if (t == NULL)
			continue;
		kt_hex(hex, k.mv_data, 32);
		hit = strcmp(t->name, op->which) == 0 ||
		    (is_hex && strncmp(hex, op->which, wlen) == 0);
		if (hit) {
			if (matches++ == 0)
				memcpy(first, k.mv_data, 32);
			if (!t->revoked && active++ == 0)
				memcpy(first_active, k.mv_data, 32);
		}
		ktstore__terminal_record__free_unpacked(t, NULL);
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return kt_store_err(rc);
	if (matches == 0) {
		refuse(op, E_NOT_FOUND, "no terminal named or keyed '%s' (see "
		    "`kartoteka terminal list`)", op->which);
		return 0;
	}
	if (matches > 1 && active != 1) {
		refuse(op, E_CONFLICT, "'%s' matches %zu terminals: give more "
		    "of the key", op->which, matches);
		return 0;
	}
	memcpy(op->key, matches == 1 ? first : first_active, 32);
	rc = kt_store_get_record(txn, kt_store_dbs(st)->terminals, op->key, 32,
	    &ktstore__terminal_record__descriptor, (ProtobufCMessage **)rec);
	return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
}

/* ------------------------------------------------------------------ */
/* checks, shared by the loop (early answer) and the mutation          */
/* ------------------------------------------------------------------ */

/* Decides whether op can be applied to the store as seen by txn. Leaves
 * op->code E_OK (and op->id etc. set) or refuses op. Returns 0 or a store
 * error. */
static int
precheck(kt_store_t *st, MDB_txn *txn, admin_op_t *op)
{
	Ktstore__BranchRecord *b = NULL;
	Ktstore__UserRecord *u = NULL;
	Ktstore__TerminalRecord *t = NULL;
	uint64_t id = 0;
	int rc = 0;

	op->code = E_OK;
	op->msg[0] = '\0';
	switch (op->kind) {
	case KARTOTEKA__REQUEST__OP_BRANCH_ADD:
		rc = branch_id(st, txn, op->name, &id);
		if (rc == 0)
			refuse(op, E_CONFLICT, "a branch named '%s' already "
			    "exists", op->name);
		else if (rc == KT_ENOTFOUND)
			rc = 0;
		break;
	case KARTOTEKA__REQUEST__OP_BRANCH_RENAME:
		if ((rc = find_branch(st, txn, op, op->name, &b)) != 0 ||
		    b == NULL)
			break;
		rc = branch_id(st, txn, op->new_name, &id);
		if (rc == 0)
			refuse(op, E_CONFLICT, "new_name: a branch named '%s' "
			    "already exists", op->new_name);
		else if (rc == KT_ENOTFOUND)
			rc = 0;
		break;
	case KARTOTEKA__REQUEST__OP_BRANCH_ARCHIVE:
		if ((rc = find_branch(st, txn, op, op->name, &b)) != 0 ||
		    b == NULL)
			break;
		if (!op->flag && b->archived)
			refuse(op, E_CONFLICT, "branch '%s' is already archived",
			    op->name);
		else if (op->flag && !b->archived)
			refuse(op, E_CONFLICT, "branch '%s' is not archived",
			    op->name);
		break;
	case KARTOTEKA__REQUEST__OP_USER_ADD: {
		MDB_val k = { strlen(op->login), op->login }, v;
		rc = mdb_get(txn, kt_store_dbs(st)->user_logins, &k, &v);
		if (rc == 0) {
			refuse(op, E_CONFLICT, "login: '%s' is already taken",
			    op->login);
			break;
		}
		if (rc != MDB_NOTFOUND) {
			rc = kt_store_err(rc);
			break;
		}
		rc = resolve_branches(st, txn, op, "branches");
		break;
	}
	case KARTOTEKA__REQUEST__OP_USER_CHANGE:
		if ((rc = find_user(st, txn, op, &u)) != 0 || u == NULL)
			break;
		if (u->role == KARTOTEKA__ROLE__OWNER &&
		    (op->fields & (F_ROLE | F_BRANCHES)) != 0) {
			refuse(op, E_FORBIDDEN, "the owner's role and branches "
			    "cannot be changed");
			break;
		}
		if (op->fields & F_BRANCHES)
			rc = resolve_branches(st, txn, op, "branches");
		break;
	case KARTOTEKA__REQUEST__OP_USER_PASSWORD:
		rc = find_user(st, txn, op, &u);
		break;
	case KARTOTEKA__REQUEST__OP_USER_DISABLE:
		if ((rc = find_user(st, txn, op, &u)) != 0 || u == NULL)
			break;
		if (u->role == KARTOTEKA__ROLE__OWNER)
			refuse(op, E_FORBIDDEN, "the owner cannot be disabled");
		else if (!op->flag && u->disabled)
			refuse(op, E_CONFLICT, "user '%s' is already disabled",
			    op->login);
		else if (op->flag && !u->disabled)
			refuse(op, E_CONFLICT, "user '%s' is not disabled",
			    op->login);
		break;
	case KARTOTEKA__REQUEST__OP_TERMINAL_INVITE:
		op->id = 0;
		if (op->name[0] == '\0')
			break;
		op->nbranch_names = 1;
		copy_str(op->branch_names[0], sizeof(op->branch_names[0]),
		    op->name);
		rc = resolve_branches(st, txn, op, "branch");
		if (rc == 0 && op->code == E_OK)
			op->id = op->branches[0];
		break;
	case KARTOTEKA__REQUEST__OP_TERMINAL_REVOKE:
		if ((rc = find_terminal(st, txn, op, &t)) != 0 ||
		    t == NULL)
			break;
		if (t->revoked)
			refuse(op, E_CONFLICT, "terminal '%s' is already "
			    "revoked", t->name);
		break;
	default:
		rc = KT_EINVAL;
		break;
	}
	if (b != NULL)
		protobuf_c_message_free_unpacked(&b->base, NULL);
	if (u != NULL)
		protobuf_c_message_free_unpacked(&u->base, NULL);
	if (t != NULL)
		protobuf_c_message_free_unpacked(&t->base, NULL);
	return rc;
}

/* ------------------------------------------------------------------ */
/* the mutation (writer thread)                                        */
/* ------------------------------------------------------------------ */

static const char *
role_word(uint32_t role)
{
	switch (role) {
	case KARTOTEKA__ROLE__OWNER: return "owner";
	case KARTOTEKA__ROLE__HEAD: return "head";
	case KARTOTEKA__ROLE__MANAGER: return "manager";
	default: return "?";
	}
}

/* Appends ",".join(ids) to buf. */
static void
fmt_ids(char *buf, size_t cap, const uint64_t *ids, size_t n)
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

/* Deletes every session of user id; counts them in op->ended. */
static int
end_sessions(kt_store_t *st, MDB_txn *txn, admin_op_t *op, uint64_t id)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc;

	op->ended = 0;
	rc = kt_store_err(mdb_cursor_open(txn, kt_store_dbs(st)->sessions,
	    &cur));
	if (rc != 0)
		return rc;
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		Ktstore__SessionRecord *s = ktstore__session_record__unpack(
		    NULL, v.mv_size, v.mv_data);
		int mine = s != NULL && s->user_id == id;

		if (s != NULL)
			ktstore__session_record__free_unpacked(s, NULL);
		if (!mine)
			continue;
		rc = mdb_cursor_del(cur, 0);
		if (rc != 0)
			break;
		op->ended++;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : kt_store_err(rc);
}

static int
put_branch_name(kt_store_t *st, MDB_txn *txn, const char *name, uint64_t id)
{
	uint8_t key[8];
	MDB_val k = { strlen(name), (void *)name }, v = { 8, key };

	kt_store_be64(key, id);
	return kt_store_err(mdb_put(txn, kt_store_dbs(st)->branch_names, &k,
	    &v, MDB_NOOVERWRITE));
}

static int
branch_write(kt_store_t *st, MDB_txn *txn, admin_op_t *op,
    kt_audit_event_t *ev, char *detail, size_t dcap)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__BranchRecord nb = KTSTORE__BRANCH_RECORD__INIT;
	Ktstore__BranchRecord *b = NULL;
	uint8_t key[8];
	int rc;

	if (op->kind == KARTOTEKA__REQUEST__OP_BRANCH_ADD) {
		if ((rc = kt_store_next_id(st, txn, "branch", &op->id)) != 0)
			return rc;
		nb.id = op->id;
		nb.name = op->name;
		nb.address = op->address;
		kt_store_be64(key, op->id);
		rc = kt_store_put_record(txn, db->branches, key, 8, &nb.base,
		    MDB_NOOVERWRITE);
		if (rc == 0)
			rc = put_branch_name(st, txn, op->name, op->id);
		ev->action = "branch.add";
		snprintf(detail, dcap, "name=%s address=%s", op->name,
		    op->address);
		return rc;
	}
	kt_store_be64(key, op->id);
	rc = kt_store_get_record(txn, db->branches, key, 8,
	    &ktstore__branch_record__descriptor, (ProtobufCMessage **)&b);
	if (rc != 0)
		return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
	if (op->kind == KARTOTEKA__REQUEST__OP_BRANCH_RENAME) {
		char *old = b->name;
		MDB_val k = { strlen(old), old };
		rc = kt_store_err(mdb_del(txn, db->branch_names, &k, NULL));
		if (rc == 0)
			rc = put_branch_name(st, txn, op->new_name, op->id);
		b->name = op->new_name;
		if (rc == 0)
			rc = kt_store_put_record(txn, db->branches, key, 8,
			    &b->base, 0);
		b->name = old; /* the unpacked string is freed below */
		ev->action = "branch.rename";
		snprintf(detail, dcap, "name=%s new_name=%s", op->name,
		    op->new_name);
	} else {
		b->archived = !op->flag;
		rc = kt_store_put_record(txn, db->branches, key, 8, &b->base, 0);
		ev->action = op->flag ? "branch.restore" : "branch.archive";
		snprintf(detail, dcap, "name=%s", op->name);
	}
	protobuf_c_message_free_unpacked(&b->base, NULL);
	return rc;
}

static int
user_write(kt_store_t *st, MDB_txn *txn, admin_op_t *op,
    kt_audit_event_t *ev, char *detail, size_t dcap)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__UserRecord nu = KTSTORE__USER_RECORD__INIT;
	Ktstore__UserRecord *u = NULL;
	uint8_t key[8];
	int rc, bump = 0;

	if (op->kind == KARTOTEKA__REQUEST__OP_USER_ADD) {
		MDB_val k = { strlen(op->login), op->login }, v = { 8, key };
		if ((rc = kt_store_next_id(st, txn, "user", &op->id)) != 0)
			return rc;
		nu.id = op->id;
		nu.login = op->login;
		nu.name = op->name;
		nu.role = op->role;
		nu.n_branches = op->nbranches;
		nu.branches = op->branches;
		nu.password_hash = op->pwhash;
		nu.daily_view_quota = op->quota;
		nu.created_at = op->now;
		kt_store_be64(key, op->id);
		rc = kt_store_put_record(txn, db->users, key, 8, &nu.base,
		    MDB_NOOVERWRITE);
		if (rc == 0)
			rc = kt_store_err(mdb_put(txn, db->user_logins, &k, &v,
			    MDB_NOOVERWRITE));
		ev->action = "user.add";
		snprintf(detail, dcap, "login=%s role=%s quota=%" PRIu32
		    " branches=", op->login, role_word(op->role), op->quota);
		fmt_ids(detail, dcap, op->branches, op->nbranches);
		return rc;
	}
	kt_store_be64(key, op->id);
	rc = kt_store_get_record(txn, db->users, key, 8,
	    &ktstore__user_record__descriptor, (ProtobufCMessage **)&u);
	if (rc != 0)
		return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
	/* Borrowed pointers are swapped in, and the unpacked ones put back
	 * before the free below. */
	nu = *u;
	switch (op->kind) {
	case KARTOTEKA__REQUEST__OP_USER_CHANGE:
		snprintf(detail, dcap, "login=%s", op->login);
		if (op->fields & F_NAME) {
			nu.name = op->name;
			snprintf(detail + strlen(detail), dcap - strlen(detail),
			    " name=%s", op->name);
		}
		if (op->fields & F_ROLE) {
			bump |= nu.role != op->role;
			nu.role = op->role;
			snprintf(detail + strlen(detail), dcap - strlen(detail),
			    " role=%s", role_word(op->role));
		}
		if (op->fields & F_BRANCHES) {
			bump = 1;
			nu.n_branches = op->nbranches;
			nu.branches = op->branches;
			snprintf(detail + strlen(detail), dcap - strlen(detail),
			    " branches=");
			fmt_ids(detail, dcap, op->branches, op->nbranches);
		}
		if (op->fields & F_QUOTA) {
			nu.daily_view_quota = op->quota;
			snprintf(detail + strlen(detail), dcap - strlen(detail),
			    " quota=%" PRIu32, op->quota);
		}
		ev->action = "user.change";
		break;
	case KARTOTEKA__REQUEST__OP_USER_PASSWORD:
		nu.password_hash = op->pwhash;
		rc = end_sessions(st, txn, op, op->id);
		ev->action = "user.password";
		snprintf(detail, dcap, "login=%s sessions_ended=%zu",
		    op->login, op->ended);
		break;
	default: /* KARTOTEKA__REQUEST__OP_USER_DISABLE */
		nu.disabled = !op->flag;
		if (!op->flag) {
			rc = end_sessions(st, txn, op, op->id);
			bump = 1;
		}
		ev->action = op->flag ? "user.enable" : "user.disable";
		snprintf(detail, dcap, "login=%s sessions_ended=%zu",
		    op->login, op->ended);
		break;
	}
	if (rc == 0)
		rc = kt_store_put_record(txn, db->users, key, 8, &nu.base, 0);
	/* The server's sweep re-checks every session against the user's
	 * role, branches and state when the generation moves. */
	if (rc == 0 && bump)
		rc = kt_identity_bump_terminals_gen(st, txn);
	protobuf_c_message_free_unpacked(&u->base, NULL);
	return rc;
}

static int
terminal_write(kt_store_t *st, MDB_txn *txn, admin_op_t *op,
    kt_audit_event_t *ev, char *object, char *detail, size_t dcap)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__TerminalRecord *t = NULL;
	int rc;

	if (op->kind == KARTOTEKA__REQUEST__OP_TERMINAL_INVITE) {
		Ktstore__InviteRecord rec = KTSTORE__INVITE_RECORD__INIT;
		uint8_t hash[32];
		/* As kt_identity_invite_mut, but audited under the owner who
		 * asked, with the terminal they asked from. */
		crypto_generichash(hash, sizeof(hash), op->token,
		    sizeof(op->token), NULL, 0);
		rec.branch = op->id;
		rec.created_at = op->now;
		rec.expires_at = op->now + INVITE_TTL_S;
		rc = kt_store_put_record(txn, db->invites, hash, sizeof(hash),
		    &rec.base, MDB_NOOVERWRITE);
		memcpy(object, "invite:", 7);
		kt_hex(object + 7, hash, 8);
		sodium_memzero(hash, sizeof(hash));
		ev->action = "terminal.invite";
		if (op->id != 0)
			snprintf(detail, dcap, "branch=%" PRIu64 " name=%s",
			    op->id, op->name);
		else
			snprintf(detail, dcap, "owner terminal");
		return rc;
	}
	rc = kt_store_get_record(txn, db->terminals, op->key, 32,
	    &ktstore__terminal_record__descriptor, (ProtobufCMessage **)&t);
	if (rc != 0)
		return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
	t->revoked = 1;
	t->revoked_at = op->now;
	rc = kt_store_put_record(txn, db->terminals, op->key, 32, &t->base, 0);
	if (rc == 0)
		rc = kt_identity_bump_terminals_gen(st, txn);
	memcpy(object, "terminal:", 9);
	kt_hex(object + 9, op->key, 8);
	ev->action = "terminal.revoke";
	snprintf(detail, dcap, "name=%s branch=%" PRIu64, t->name, t->branch);
	protobuf_c_message_free_unpacked(&t->base, NULL);
	return rc;
}

/* Runs on the writer thread, possibly more than once: everything it
 * reports is recomputed from txn on each run. A refusal found here (the
 * store changed since the loop looked) writes nothing. */
static int
admin_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	admin_op_t *op = arg;
	kt_audit_event_t ev = { 0 };
	char object[48] = "", detail[1024] = "";
	int rc;

	rc = precheck(st, txn, op);
	if (rc != 0 || op->code != E_OK)
		return rc;
	switch (op->kind) {
	case KARTOTEKA__REQUEST__OP_BRANCH_ADD:
	case KARTOTEKA__REQUEST__OP_BRANCH_RENAME:
	case KARTOTEKA__REQUEST__OP_BRANCH_ARCHIVE:
		rc = branch_write(st, txn, op, &ev, detail, sizeof(detail));
		snprintf(object, sizeof(object), "branch:%" PRIu64, op->id);
		break;
	case KARTOTEKA__REQUEST__OP_USER_ADD:
	case KARTOTEKA__REQUEST__OP_USER_CHANGE:
	case KARTOTEKA__REQUEST__OP_USER_PASSWORD:
	case KARTOTEKA__REQUEST__OP_USER_DISABLE:
		rc = user_write(st, txn, op, &ev, detail, sizeof(detail));
		snprintf(object, sizeof(object), "user:%" PRIu64, op->id);
		break;
	default:
		rc = terminal_write(st, txn, op, &ev, object, detail,
		    sizeof(detail));
		break;
	}
	if (rc != 0)
		return rc;
	ev.user_id = op->actor;
	ev.terminal_key = op->actor_term;
	ev.object = object;
	ev.detail = detail;
	return kt_identity_audit(st, txn, &ev, op->srv->sign_sk);
}

/* ------------------------------------------------------------------ */
/* answers (loop, after the commit)                                    */
/* ------------------------------------------------------------------ */

static void
reply_error(srv_conn_t *c, uint64_t id, err_code_t code, const char *msg)
{
	srv_send_error(c, id, code, msg, 0);
}

static void
reply_branch(srv_conn_t *c, admin_op_t *op, MDB_txn *txn)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__BranchResponse br = KARTOTEKA__BRANCH_RESPONSE__INIT;
	Kartoteka__Branch b = KARTOTEKA__BRANCH__INIT;
	Ktstore__BranchRecord *r = NULL;
	uint8_t key[8];

	kt_store_be64(key, op->id);
	if (kt_store_get_record(txn, kt_store_dbs(c->srv->store)->branches,
	    key, 8, &ktstore__branch_record__descriptor,
	    (ProtobufCMessage **)&r) != 0) {
		reply_error(c, op->req_id, E_INTERNAL, "cannot read the branch");
		return;
	}
	b.id = r->id;
	b.name = r->name;
	b.address = r->address;
	b.archived = r->archived;
	br.branch = &b;
	resp.id = op->req_id;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_BRANCH;
	resp.branch = &br;
	srv_send(c, &resp);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void
reply_user(srv_conn_t *c, admin_op_t *op, MDB_txn *txn)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__UserResponse ur = KARTOTEKA__USER_RESPONSE__INIT;
	Kartoteka__UserInfo ui = KARTOTEKA__USER_INFO__INIT;
	srv_user_t *u = malloc(sizeof(*u));

	if (u == NULL || srv_load_user(c->srv, txn, op->id, u) != 0) {
		reply_error(c, op->req_id, E_INTERNAL, "cannot read the user");
		free(u);
		return;
	}
	sodium_memzero(u->pwhash, sizeof(u->pwhash));
	srv_user_info(&ui, u);
	ur.user = &ui;
	resp.id = op->req_id;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_USER;
	resp.user = &ur;
	srv_send(c, &resp);
	free(u);
}

/* The address invites name: meta "advertise", as `kartotekad init` or
 * `invite --advertise` stored it. */
static void
advertised(kt_server_t *srv, MDB_txn *txn, char *out, size_t cap)
{
	MDB_val k = { 9, (void *)"advertise" }, v;

	snprintf(out, cap, "%s", DEFAULT_ADVERTISE);
	if (mdb_get(txn, kt_store_dbs(srv->store)->meta, &k, &v) == 0 &&
	    v.mv_size < cap) {
		memcpy(out, v.mv_data, v.mv_size);
		out[v.mv_size] = '\0';
	}
}

static void
reply_invite(srv_conn_t *c, admin_op_t *op, MDB_txn *txn)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__TerminalInviteResponse ir =
	    KARTOTEKA__TERMINAL_INVITE_RESPONSE__INIT;
	kt_invite_t inv;
	char code[KT_INVITE_CODE_MAX];

	memset(&inv, 0, sizeof(inv));
	advertised(c->srv, txn, inv.address, sizeof(inv.address));
	memcpy(inv.server_key, c->srv->static_pub, 32);
	memcpy(inv.token, op->token, sizeof(op->token));
	inv.token_len = sizeof(op->token);
	{
		/* Informative only, and one byte shorter than a name may be:
		 * cut at a character boundary. */
		size_t n = strlen(op->name);
		if (n >= sizeof(inv.branch)) {
			n = sizeof(inv.branch) - 1;
			while (n > 0 && ((unsigned char)op->name[n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(inv.branch, op->name, n);
		inv.branch[n] = '\0';
	}
	inv.expires_at = op->now + INVITE_TTL_S;
	if (kt_invite_encode(&inv, code, sizeof(code)) != 0) {
		reply_error(c, op->req_id, E_INTERNAL,
		    "cannot encode the invite code");
		goto out;
	}
	ir.code = code;
	ir.expires_at = inv.expires_at;
	resp.id = op->req_id;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_TERMINAL_INVITE;
	resp.terminal_invite = &ir;
	srv_send(c, &resp);
out:
	sodium_memzero(&inv, sizeof(inv));
	sodium_memzero(code, sizeof(code));
}

static void
reply_revoke(srv_conn_t *c, admin_op_t *op, MDB_txn *txn)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__TerminalRevokeResponse rr =
	    KARTOTEKA__TERMINAL_REVOKE_RESPONSE__INIT;
	Kartoteka__TerminalInfo ti = KARTOTEKA__TERMINAL_INFO__INIT;
	Ktstore__TerminalRecord *t = NULL;
	char bname[129] = "";

	if (kt_store_get_record(txn, kt_store_dbs(c->srv->store)->terminals,
	    op->key, 32, &ktstore__terminal_record__descriptor,
	    (ProtobufCMessage **)&t) != 0) {
		reply_error(c, op->req_id, E_INTERNAL,
		    "cannot read the terminal");
		return;
	}
	if (t->branch != 0)
		srv_branch_name(c->srv, txn, t->branch, bname, sizeof(bname));
	ti.public_key.data = op->key;
	ti.public_key.len = 32;
	ti.name = t->name;
	ti.branch = bname;
	ti.enrolled_at = t->enrolled_at;
	ti.revoked = t->revoked;
	rr.terminal = &ti;
	resp.id = op->req_id;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_TERMINAL_REVOKE;
	resp.terminal_revoke = &rr;
	srv_send(c, &resp);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

/* After the commit: what the change means for open connections. */
static void
apply_to_connections(srv_conn_t *c, const admin_op_t *op)
{
	srv_conn_t *o, *next;

	for (o = c->srv->conns; o != NULL; o = next) {
		next = o->next;
		switch (op->kind) {
		case KARTOTEKA__REQUEST__OP_USER_DISABLE:
			/* DESIGN 3: disabling closes their connections. */
			if (!op->flag && o->user_id == op->id)
				srv_close(o, o == c);
			break;
		case KARTOTEKA__REQUEST__OP_USER_PASSWORD:
			/* Their sessions are gone: so is their login here. */
			if (o->user_id == op->id) {
				o->user_id = 0;
				sodium_memzero(o->session_hash,
				    sizeof(o->session_hash));
			}
			break;
		case KARTOTEKA__REQUEST__OP_TERMINAL_REVOKE:
			if (sodium_memcmp(o->term_key, op->key, 32) == 0)
				srv_close(o, o == c);
			break;
		default:
			return;
		}
	}
}

static void
admin_done(int status, void *arg)
{
	admin_op_t *op = arg;
	srv_conn_t *c = op->c;
	MDB_txn *txn = NULL;

	if (!srv_conn_alive(c))
		goto out;
	if (status != 0) {
		fprintf(stderr, "admin: request %" PRIu64 " not saved: %s\n",
		    op->req_id, kt_strerror(status));
		reply_error(c, op->req_id, E_UNAVAILABLE, status == KT_ENOSPC ?
		    "the store is full: nothing was changed" :
		    "could not save the change: try again");
		goto out;
	}
	if (op->code != E_OK) {
		reply_error(c, op->req_id, op->code, op->msg);
		goto out;
	}
	if (kt_store_read_begin(c->srv->store, &txn) != 0) {
		reply_error(c, op->req_id, E_INTERNAL,
		    "saved, but the store cannot be read back");
		goto out;
	}
	switch (op->kind) {
	case KARTOTEKA__REQUEST__OP_BRANCH_ADD:
	case KARTOTEKA__REQUEST__OP_BRANCH_RENAME:
	case KARTOTEKA__REQUEST__OP_BRANCH_ARCHIVE:
		reply_branch(c, op, txn);
		break;
	case KARTOTEKA__REQUEST__OP_TERMINAL_INVITE:
		reply_invite(c, op, txn);
		break;
	case KARTOTEKA__REQUEST__OP_TERMINAL_REVOKE:
		reply_revoke(c, op, txn);
		break;
	default:
		reply_user(c, op, txn);
		break;
	}
	kt_store_read_end(c->srv->store, txn);
out:
	/* After the answer is queued: the change may close c itself (the
	 * owner revoking the terminal they work from), after a flush. */
	if (status == 0 && op->code == E_OK)
		apply_to_connections(c, op);
	srv_conn_unref(c);
	op_free(op);
}

/* Hands op to the writer; on failure answers and frees it. */
static void
submit(admin_op_t *op)
{
	int rc = srv_submit(op->c, admin_mut, admin_done, op);

	if (rc != 0) {
		reply_error(op->c, op->req_id, E_UNAVAILABLE,
		    rc == KT_ESHUTDOWN ? "server is stopping" :
		    "cannot queue the change: try again");
		op_free(op);
	}
}

/* ------------------------------------------------------------------ */
/* password hashing (thread pool)                                      */
/* ------------------------------------------------------------------ */

static void
hash_work(uv_work_t *w)
{
	admin_op_t *op = w->data;

	op->hash_failed = kt_identity_hash_password(op->pwhash,
	    op->password) != 0;
	sodium_memzero(op->password, sizeof(op->password));
}

static void
hash_after(uv_work_t *w, int status)
{
	admin_op_t *op = w->data;
	kt_server_t *srv = op->srv;
	srv_conn_t *c = op->c;

	sodium_memzero(op->password, sizeof(op->password));
	if (!srv_conn_alive(c)) {
		/* Nobody is waiting for the answer: change nothing. */
		op_free(op);
	} else if (status != 0 || op->hash_failed) {
		reply_error(c, op->req_id, E_INTERNAL,
		    "cannot hash the password");
		op_free(op);
	} else {
		submit(op);
	}
	srv_conn_unref(c); /* the reference held for the hashing */
	srv->pending_jobs--;
	srv_maybe_finish_stop(srv);
}

/* Hashes op->password on the thread pool, then submits op. */
static void
hash_then_submit(admin_op_t *op)
{
	kt_server_t *srv = op->srv;

	op->work.data = op;
	srv_conn_ref(op->c);
	srv->pending_jobs++;
	if (uv_queue_work(srv->loop, &op->work, hash_work, hash_after) != 0) {
		srv->pending_jobs--;
		srv_conn_unref(op->c);
		reply_error(op->c, op->req_id, E_UNAVAILABLE,
		    "cannot hash the password now: try again");
		op_free(op);
	}
}

/* ------------------------------------------------------------------ */
/* lists: paged, answered at once from a read transaction             */
/* ------------------------------------------------------------------ */

/* Rows in a page at most; a request's limit 0 (or more) means this. A
 * page also ends before the row that would not fit ANSWER_BUDGET. */
#define LIST_LIMIT_MAX 1000u
/* The longest store key of a listed entry (a terminal's public key). */
#define LIST_KEY_MAX 32u

/* What a row builder works with. */
typedef struct list_ctx {
	kt_server_t *lc_srv;
	MDB_txn *lc_txn;             /* the read transaction of the answer */
	kt_arena_t *lc_arena;        /* rows and everything they point to */
	int lc_include_all;          /* archived branches / disabled users */
} list_ctx_t;

/* Builds in lc->lc_arena the row of the entry k -> v, or sets *row to
 * NULL when the entry is not listed (filtered out, or a record that does
 * not unpack). Nothing it returns points into LMDB. Returns 0 or
 * KT_ENOMEM. */
typedef int (*list_row_fn)(const list_ctx_t *lc, const MDB_val *k,
    const MDB_val *v, ProtobufCMessage **row);

/* One kind of admin list. A cursor is lk_tag followed by the store key
 * (lk_keylen bytes) of the last entry a page looked at: opaque to
 * clients, checked on the way in, and never trusted beyond a position
 * in the database. */
typedef struct list_kind {
	uint8_t lk_tag;              /* first byte of this list's cursors */
	size_t lk_keylen;            /* size of its keys; others are skipped */
	list_row_fn lk_row;
} list_kind_t;

/* One page, everything in the arena of its list_ctx_t. */
typedef struct list_page {
	ProtobufCMessage **lp_rows;  /* lp_n rows */
	size_t lp_n;
	ProtobufCBinaryData lp_next; /* next_cursor; len 0 on the last page */
} list_page_t;

/* A list_row_fn: a branch (archived ones with lc_include_all). */
static int
branch_row(const list_ctx_t *lc, const MDB_val *k, const MDB_val *v,
    ProtobufCMessage **row)
{
	Ktstore__BranchRecord *r;
	Kartoteka__Branch *b;
	int rc = 0;

	(void)k;
	*row = NULL;
	r = ktstore__branch_record__unpack(NULL, v->mv_size, v->mv_data);
	if (r == NULL)
		return 0;
	if (r->archived && !lc->lc_include_all)
		goto out;
	if ((b = kt_arena_alloc(lc->lc_arena, sizeof(*b))) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	kartoteka__branch__init(b);
	b->id = r->id;
	b->archived = r->archived;
	b->name = kt_arena_strdup(lc->lc_arena, r->name);
	b->address = kt_arena_strdup(lc->lc_arena, r->address);
	if (b->name == NULL || b->address == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	*row = &b->base;
out:
	ktstore__branch_record__free_unpacked(r, NULL);
	return rc;
}

/* A list_row_fn: a user with branch names (disabled ones with
 * lc_include_all); the password hash is wiped, never copied. */
static int
user_row(const list_ctx_t *lc, const MDB_val *k, const MDB_val *v,
    ProtobufCMessage **row)
{
	Ktstore__UserRecord *r;
	Kartoteka__UserInfo *ui;
	char bname[NAME_MAX_BYTES + 1];
	size_t nb;
	int rc = 0;

	(void)k;
	*row = NULL;
	r = ktstore__user_record__unpack(NULL, v->mv_size, v->mv_data);
	if (r == NULL)
		return 0;
	if (r->disabled && !lc->lc_include_all)
		goto out;
	nb = r->n_branches < KT_MAX_USER_BRANCHES ? r->n_branches :
	    KT_MAX_USER_BRANCHES;
	if ((ui = kt_arena_alloc(lc->lc_arena, sizeof(*ui))) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	kartoteka__user_info__init(ui);
	ui->branches = kt_arena_alloc(lc->lc_arena, (nb + 1) * sizeof(char *));
	if (ui->branches == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	ui->id = r->id;
	ui->role = (Kartoteka__Role)r->role;
	ui->disabled = r->disabled;
	ui->daily_view_quota = r->daily_view_quota;
	ui->login = kt_arena_strdup(lc->lc_arena, r->login);
	ui->name = kt_arena_strdup(lc->lc_arena, r->name);
	if (ui->login == NULL || ui->name == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nb; i++) {
		srv_branch_name(lc->lc_srv, lc->lc_txn, r->branches[i], bname,
		    sizeof(bname));
		ui->branches[i] = kt_arena_strdup(lc->lc_arena, bname);
		if (ui->branches[i] == NULL) {
			rc = KT_ENOMEM;
			goto out;
		}
		ui->n_branches++;
	}
	*row = &ui->base;
out:
	if (r->password_hash != NULL)
		sodium_memzero(r->password_hash, strlen(r->password_hash));
	ktstore__user_record__free_unpacked(r, NULL);
	return rc;
}

/* A list_row_fn: a terminal, revoked ones too; k is its public key. */
static int
terminal_row(const list_ctx_t *lc, const MDB_val *k, const MDB_val *v,
    ProtobufCMessage **row)
{
	Ktstore__TerminalRecord *r;
	Kartoteka__TerminalInfo *ti;
	char bname[NAME_MAX_BYTES + 1] = "";
	int rc = 0;

	*row = NULL;
	r = ktstore__terminal_record__unpack(NULL, v->mv_size, v->mv_data);
	if (r == NULL)
		return 0;
	if ((ti = kt_arena_alloc(lc->lc_arena, sizeof(*ti))) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	kartoteka__terminal_info__init(ti);
	if (r->branch != 0)
		srv_branch_name(lc->lc_srv, lc->lc_txn, r->branch, bname,
		    sizeof(bname));
	ti->public_key.data = kt_arena_alloc(lc->lc_arena, k->mv_size);
	ti->name = kt_arena_strdup(lc->lc_arena, r->name);
	ti->branch = kt_arena_strdup(lc->lc_arena, bname);
	if (ti->public_key.data == NULL || ti->name == NULL ||
	    ti->branch == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	memcpy(ti->public_key.data, k->mv_data, k->mv_size);
	ti->public_key.len = k->mv_size;
	ti->enrolled_at = r->enrolled_at;
	ti->revoked = r->revoked;
	*row = &ti->base;
out:
	ktstore__terminal_record__free_unpacked(r, NULL);
	return rc;
}

static const list_kind_t branch_list_kind = { 'B', 8, branch_row };
static const list_kind_t user_list_kind = { 'U', 8, user_row };
static const list_kind_t terminal_list_kind = { 'T', 32, terminal_row };

/* Puts the cursor of kind at key (kind->lk_keylen bytes) into *out, in
 * the arena. Returns 0 or KT_ENOMEM. */
static int
cursor_make(kt_arena_t *a, const list_kind_t *kind, const void *key,
    ProtobufCBinaryData *out)
{
	uint8_t *p = kt_arena_alloc(a, 1 + kind->lk_keylen);

	if (p == NULL)
		return KT_ENOMEM;
	p[0] = kind->lk_tag;
	memcpy(p + 1, key, kind->lk_keylen);
	out->data = p;
	out->len = 1 + kind->lk_keylen;
	return 0;
}

/* Positions cur on the first entry of a page: the first of dbi for an
 * empty cursor, else the first whose key sorts after the cursor's.
 * Returns an LMDB code (MDB_NOTFOUND: nothing left). */
static int
cursor_seek(MDB_cursor *cur, const list_kind_t *kind,
    const ProtobufCBinaryData *cursor, MDB_val *k, MDB_val *v)
{
	int m;

	if (cursor->len == 0)
		return mdb_cursor_get(cur, k, v, MDB_FIRST);
	k->mv_size = kind->lk_keylen;
	k->mv_data = cursor->data + 1;
	m = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (m == 0 && k->mv_size == kind->lk_keylen &&
	    memcmp(k->mv_data, cursor->data + 1, kind->lk_keylen) == 0)
		m = mdb_cursor_get(cur, k, v, MDB_NEXT);
	return m;
}

/* list_page reads one page of a list of kind over dbi: the rows after
 * cursor (empty: from the start), in key order, at most limit (0 or more
 * than LIST_LIMIT_MAX: LIST_LIMIT_MAX), fewer when the next row would
 * not fit one answer.
 *   [in]  cursor  from the request: hostile bytes, checked here
 *   [out] page    rows and next cursor, in lc->lc_arena (valid until the
 *                 arena is freed; nothing points into LMDB)
 *   [out] why     on KT_EINVAL: the problem, naming the field
 * Returns 0, KT_EINVAL, KT_ENOMEM, KT_ESTORE. */
static int
list_page(const list_ctx_t *lc, const list_kind_t *kind, MDB_dbi dbi,
    const ProtobufCBinaryData *cursor, uint32_t limit, list_page_t *page,
    const char **why)
{
	MDB_cursor *cur = NULL;
	MDB_stat ms;
	MDB_val k, v;
	uint8_t last[LIST_KEY_MAX];
	size_t cap, used = 0;
	int rc, m, more = 0, looked = 0;

	memset(page, 0, sizeof(*page));
	if (cursor->len != 0 && (cursor->data == NULL ||
	    cursor->len != 1 + kind->lk_keylen ||
	    cursor->data[0] != kind->lk_tag)) {
		*why = "cursor: not a next_cursor from a previous page of "
		    "this list";
		return KT_EINVAL;
	}
	if ((m = mdb_stat(lc->lc_txn, dbi, &ms)) != 0)
		return kt_store_err(m);
	if (limit == 0 || limit > LIST_LIMIT_MAX)
		limit = LIST_LIMIT_MAX;
	/* A page cannot hold more rows than the database has entries. */
	cap = ms.ms_entries < limit ? ms.ms_entries : limit;
	page->lp_rows = kt_arena_alloc(lc->lc_arena,
	    (cap + 1) * sizeof(*page->lp_rows));
	if (page->lp_rows == NULL)
		return KT_ENOMEM;
	if ((m = mdb_cursor_open(lc->lc_txn, dbi, &cur)) != 0)
		return kt_store_err(m);
	for (m = cursor_seek(cur, kind, cursor, &k, &v); m == 0;
	    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		ProtobufCMessage *row = NULL;
		size_t sz;

		if (k.mv_size != kind->lk_keylen)
			continue;
		if ((rc = kind->lk_row(lc, &k, &v, &row)) != 0)
			goto out;
		if (row != NULL) {
			if (page->lp_n == cap) {
				more = 1;
				break;
			}
			sz = protobuf_c_message_get_packed_size(row) +
			    ENTRY_OVERHEAD;
			if (used + sz <= ANSWER_BUDGET) {
				used += sz;
				page->lp_rows[page->lp_n++] = row;
			} else if (page->lp_n > 0) {
				more = 1;
				break;
			} else {
				/* Cannot happen with the sizes checked on
				 * input; skipped rather than sent as an
				 * empty page that never moves on. */
				fprintf(stderr, "admin: a list entry of %zu "
				    "bytes does not fit an answer: skipped\n",
				    sz);
			}
		}
		/* The page has looked at this entry: the next starts after
		 * it. */
		memcpy(last, k.mv_data, kind->lk_keylen);
		looked = 1;
	}
	if (m != 0 && m != MDB_NOTFOUND) {
		rc = kt_store_err(m);
		goto out;
	}
	rc = more && looked ? cursor_make(lc->lc_arena, kind, last,
	    &page->lp_next) : 0;
out:
	mdb_cursor_close(cur);
	return rc;
}

/* An answer waiting for its audit entry (DESIGN 7: every list is audited
 * with its filter and row count, and every refusal, before the answer
 * leaves). */
typedef struct list_audit {
	srv_conn_t *c;
	uint64_t req_id, actor;
	uint8_t actor_term[32];
	const uint8_t *sign_sk;          /* the server's, for checkpoints */
	const char *action;              /* static: "branch.list", ... */
	uint32_t outcome;                /* kartoteka.Error.Code */
	char detail[96];
	uint8_t *packed;                 /* the packed Response, malloc'd */
	size_t len;
} list_audit_t;

static void
list_audit_free(list_audit_t *la)
{
	if (la == NULL)
		return;
	free(la->packed);
	free(la);
}

/* Writer thread: the audit entry alone. */
static int
list_audit_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	list_audit_t *la = arg;
	kt_audit_event_t ev = { 0 };

	ev.action = la->action;
	ev.outcome = la->outcome;
	ev.user_id = la->actor;
	ev.terminal_key = la->actor_term;
	ev.object = "";
	ev.detail = la->detail;
	return kt_identity_audit(st, txn, &ev, la->sign_sk);
}

/* Loop, after the commit: the answer leaves, or an error if the entry
 * could not be written. */
static void
list_audit_done(int status, void *arg)
{
	list_audit_t *la = arg;

	if (srv_conn_alive(la->c)) {
		if (status == 0)
			srv_send_packed(la->c, la->req_id, la->packed,
			    la->len);
		else
			reply_error(la->c, la->req_id, E_UNAVAILABLE,
			    status == KT_ENOSPC ? "the store is full: tell "
			    "the owner" : "could not audit the list: try "
			    "again");
	}
	srv_conn_unref(la->c);
	list_audit_free(la);
}

/* Packs resp and sends it once its audit entry (action, a static string;
 * outcome; detail) is committed. Answers an error itself on failure. */
static void
answer_after_audit(srv_conn_t *c, uint64_t req_id,
    const Kartoteka__Response *resp, const char *action, uint32_t outcome,
    const char *detail)
{
	list_audit_t *la = calloc(1, sizeof(*la));
	int rc;

	if (la == NULL ||
	    (la->len = kartoteka__response__get_packed_size(resp),
	    la->packed = malloc(la->len ? la->len : 1)) == NULL) {
		reply_error(c, req_id, E_INTERNAL, "out of memory");
		list_audit_free(la);
		return;
	}
	kartoteka__response__pack(resp, la->packed);
	la->c = c;
	la->req_id = req_id;
	la->actor = c->user_id;
	memcpy(la->actor_term, c->term_key, 32);
	la->sign_sk = c->srv->sign_sk;
	la->action = action;
	la->outcome = outcome;
	snprintf(la->detail, sizeof(la->detail), "%s", detail);
	if ((rc = srv_submit(c, list_audit_mut, list_audit_done, la)) != 0) {
		reply_error(c, req_id, E_UNAVAILABLE, rc == KT_ESHUTDOWN ?
		    "server is stopping" : "cannot queue the audit entry: try "
		    "again");
		list_audit_free(la);
	}
}

/* A list page, audited with its rows, whether archived branches or
 * disabled users were included, and whether it is a later page. */
static void
list_answer_after_audit(srv_conn_t *c, const Kartoteka__Request *req,
    const Kartoteka__Response *resp, size_t rows, int later_page,
    int include_all)
{
	char detail[96];

	snprintf(detail, sizeof(detail), "rows=%zu%s%s", rows,
	    include_all ? " all" : "", later_page ? " page=next" : "");
	answer_after_audit(c, req->id, resp,
	    req->op_case == KARTOTEKA__REQUEST__OP_BRANCH_LIST ? "branch.list" :
	    req->op_case == KARTOTEKA__REQUEST__OP_USER_LIST ? "user.list" :
	    "terminal.list", 0, detail);
}

/* Answers a list request with one page, from one read transaction. */
static void
handle_list(srv_conn_t *c, const Kartoteka__Request *req)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__BranchListResponse bl =
	    KARTOTEKA__BRANCH_LIST_RESPONSE__INIT;
	Kartoteka__UserListResponse ul = KARTOTEKA__USER_LIST_RESPONSE__INIT;
	Kartoteka__TerminalListResponse tl =
	    KARTOTEKA__TERMINAL_LIST_RESPONSE__INIT;
	const kt_store_dbs_t *db = kt_store_dbs(c->srv->store);
	const ProtobufCBinaryData *cursor;
	const list_kind_t *kind;
	const char *why = NULL;
	list_ctx_t lc = { c->srv, NULL, NULL, 0 };
	list_page_t page;
	kt_arena_t a;
	MDB_dbi dbi;
	uint32_t limit;
	int rc;

	switch (req->op_case) {
	case KARTOTEKA__REQUEST__OP_BRANCH_LIST:
		kind = &branch_list_kind;
		dbi = db->branches;
		cursor = &req->branch_list->cursor;
		limit = req->branch_list->limit;
		lc.lc_include_all = req->branch_list->include_archived;
		break;
	case KARTOTEKA__REQUEST__OP_USER_LIST:
		kind = &user_list_kind;
		dbi = db->users;
		cursor = &req->user_list->cursor;
		limit = req->user_list->limit;
		lc.lc_include_all = req->user_list->include_disabled;
		break;
	default:
		kind = &terminal_list_kind;
		dbi = db->terminals;
		cursor = &req->terminal_list->cursor;
		limit = req->terminal_list->limit;
		break;
	}
	/* Everything the answer refers to lives in the arena; the limit is
	 * well above what one frame can carry. */
	if (kt_arena_init(&a, 64u << 10, 8u << 20) != 0) {
		reply_error(c, req->id, E_INTERNAL, "out of memory");
		return;
	}
	lc.lc_arena = &a;
	if ((rc = kt_store_read_begin(c->srv->store, &lc.lc_txn)) == 0)
		rc = list_page(&lc, kind, dbi, cursor, limit, &page, &why);
	if (rc == KT_EINVAL) {
		reply_error(c, req->id, E_BAD, why);
		goto out;
	}
	if (rc != 0) {
		reply_error(c, req->id, E_INTERNAL, "cannot read the store");
		goto out;
	}
	switch (req->op_case) {
	case KARTOTEKA__REQUEST__OP_BRANCH_LIST:
		/* The rows are Kartoteka__Branch messages (branch_row). */
		bl.branches = (Kartoteka__Branch **)page.lp_rows;
		bl.n_branches = page.lp_n;
		bl.next_cursor = page.lp_next;
		resp.result_case = KARTOTEKA__RESPONSE__RESULT_BRANCH_LIST;
		resp.branch_list = &bl;
		break;
	case KARTOTEKA__REQUEST__OP_USER_LIST:
		ul.users = (Kartoteka__UserInfo **)page.lp_rows;
		ul.n_users = page.lp_n;
		ul.next_cursor = page.lp_next;
		resp.result_case = KARTOTEKA__RESPONSE__RESULT_USER_LIST;
		resp.user_list = &ul;
		break;
	default:
		tl.terminals = (Kartoteka__TerminalInfo **)page.lp_rows;
		tl.n_terminals = page.lp_n;
		tl.next_cursor = page.lp_next;
		resp.result_case = KARTOTEKA__RESPONSE__RESULT_TERMINAL_LIST;
		resp.terminal_list = &tl;
		break;
	}
	resp.id = req->id;
	list_answer_after_audit(c, req, &resp, page.lp_n, cursor->len != 0,
	    lc.lc_include_all);
out:
	kt_store_read_end(c->srv->store, lc.lc_txn);
	kt_arena_free(&a);
}

/* ------------------------------------------------------------------ */
/* requests                                                            */
/* ------------------------------------------------------------------ */

/* What the request asks, for the FORBIDDEN message. */
static const char *
op_label(Kartoteka__Request__OpCase k)
{
	switch (k) {
	case KARTOTEKA__REQUEST__OP_BRANCH_ADD: return "add branches";
	case KARTOTEKA__REQUEST__OP_BRANCH_RENAME: return "rename branches";
	case KARTOTEKA__REQUEST__OP_BRANCH_ARCHIVE:
		return "archive or restore branches";
	case KARTOTEKA__REQUEST__OP_BRANCH_LIST: return "list branches";
	case KARTOTEKA__REQUEST__OP_USER_ADD: return "add users";
	case KARTOTEKA__REQUEST__OP_USER_CHANGE: return "change users";
	case KARTOTEKA__REQUEST__OP_USER_PASSWORD:
		return "set users' passwords";
	case KARTOTEKA__REQUEST__OP_USER_DISABLE:
		return "disable or enable users";
	case KARTOTEKA__REQUEST__OP_USER_LIST: return "list users";
	case KARTOTEKA__REQUEST__OP_TERMINAL_INVITE:
		return "invite terminals";
	case KARTOTEKA__REQUEST__OP_TERMINAL_LIST: return "list terminals";
	case KARTOTEKA__REQUEST__OP_TERMINAL_REVOKE:
		return "revoke terminals";
	default: return "administer";
	}
}

/* 1 when the message of the request's oneof is present. */
static int
op_present(const Kartoteka__Request *req)
{
	switch (req->op_case) {
	case KARTOTEKA__REQUEST__OP_BRANCH_ADD: return req->branch_add != NULL;
	case KARTOTEKA__REQUEST__OP_BRANCH_RENAME:
		return req->branch_rename != NULL;
	case KARTOTEKA__REQUEST__OP_BRANCH_ARCHIVE:
		return req->branch_archive != NULL;
	case KARTOTEKA__REQUEST__OP_BRANCH_LIST:
		return req->branch_list != NULL;
	case KARTOTEKA__REQUEST__OP_USER_ADD: return req->user_add != NULL;
	case KARTOTEKA__REQUEST__OP_USER_CHANGE:
		return req->user_change != NULL;
	case KARTOTEKA__REQUEST__OP_USER_PASSWORD:
		return req->user_password != NULL;
	case KARTOTEKA__REQUEST__OP_USER_DISABLE:
		return req->user_disable != NULL;
	case KARTOTEKA__REQUEST__OP_USER_LIST: return req->user_list != NULL;
	case KARTOTEKA__REQUEST__OP_TERMINAL_INVITE:
		return req->terminal_invite != NULL;
	case KARTOTEKA__REQUEST__OP_TERMINAL_LIST:
		return req->terminal_list != NULL;
	case KARTOTEKA__REQUEST__OP_TERMINAL_REVOKE:
		return req->terminal_revoke != NULL;
	default: return 0;
	}
}

/* Copies and checks the fields of a change request into op. Returns 1
 * when they are well-formed, else 0 with op refused (BAD_REQUEST). */
static int
parse_change(admin_op_t *op, const Kartoteka__Request *req)
{
	switch (req->op_case) {
	case KARTOTEKA__REQUEST__OP_BRANCH_ADD: {
		const Kartoteka__BranchAddRequest *r = req->branch_add;
		if (!check_text(op, "name", r->name, 1, NAME_MAX_BYTES) ||
		    !check_text(op, "address", r->address, 0,
		    ADDRESS_MAX_BYTES))
			return 0;
		copy_str(op->name, sizeof(op->name), r->name);
		copy_str(op->address, sizeof(op->address), r->address);
		return 1;
	}
	case KARTOTEKA__REQUEST__OP_BRANCH_RENAME: {
		const Kartoteka__BranchRenameRequest *r = req->branch_rename;
		if (!check_text(op, "name", r->name, 1, NAME_MAX_BYTES) ||
		    !check_text(op, "new_name", r->new_name, 1,
		    NAME_MAX_BYTES))
			return 0;
		if (strcmp(r->name, r->new_name) == 0) {
			refuse(op, E_BAD, "new_name: is the same as name");
			return 0;
		}
		copy_str(op->name, sizeof(op->name), r->name);
		copy_str(op->new_name, sizeof(op->new_name), r->new_name);
		return 1;
	}
	case KARTOTEKA__REQUEST__OP_BRANCH_ARCHIVE: {
		const Kartoteka__BranchArchiveRequest *r = req->branch_archive;
		if (!check_text(op, "name", r->name, 1, NAME_MAX_BYTES))
			return 0;
		copy_str(op->name, sizeof(op->name), r->name);
		op->flag = r->restore;
		return 1;
	}
	case KARTOTEKA__REQUEST__OP_USER_ADD: {
		const Kartoteka__UserAddRequest *r = req->user_add;
		if (!check_login(op, r->login) ||
		    !check_text(op, "name", r->name, 1, NAME_MAX_BYTES) ||
		    !check_role(op, r->role) ||
		    !check_branch_names(op, r->branches, r->n_branches) ||
		    !check_quota(op, r->daily_view_quota) ||
		    !check_password(op, r->password))
			return 0;
		copy_str(op->name, sizeof(op->name), r->name);
		return 1;
	}
	case KARTOTEKA__REQUEST__OP_USER_CHANGE: {
		const Kartoteka__UserChangeRequest *r = req->user_change;
		if (!check_login(op, r->login))
			return 0;
		for (size_t i = 0; i < r->n_fields; i++) {
			const char *f = r->fields[i] != NULL ? r->fields[i] : "";
			if (strcmp(f, "name") == 0)
				op->fields |= F_NAME;
			else if (strcmp(f, "role") == 0)
				op->fields |= F_ROLE;
			else if (strcmp(f, "branches") == 0)
				op->fields |= F_BRANCHES;
			else if (strcmp(f, "daily_view_quota") == 0)
				op->fields |= F_QUOTA;
			else {
				refuse(op, E_BAD, "fields: unknown field '%.64s' "
				    "(name, role, branches, daily_view_quota)",
				    text_ok(f) ? f : "?");
				return 0;
			}
		}
		if (op->fields == 0) {
			refuse(op, E_BAD, "fields: name at least one field to "
			    "change");
			return 0;
		}
		if ((op->fields & F_NAME) &&
		    !check_text(op, "name", r->name, 1, NAME_MAX_BYTES))
			return 0;
		if ((op->fields & F_ROLE) && !check_role(op, r->role))
			return 0;
		if ((op->fields & F_BRANCHES) &&
		    !check_branch_names(op, r->branches, r->n_branches))
			return 0;
		if ((op->fields & F_QUOTA) &&
		    !check_quota(op, r->daily_view_quota))
			return 0;
		copy_str(op->name, sizeof(op->name), r->name);
		return 1;
	}
	case KARTOTEKA__REQUEST__OP_USER_PASSWORD:
		return check_login(op, req->user_password->login) &&
		    check_password(op, req->user_password->password);
	case KARTOTEKA__REQUEST__OP_USER_DISABLE:
		op->flag = req->user_disable->enable;
		return check_login(op, req->user_disable->login);
	case KARTOTEKA__REQUEST__OP_TERMINAL_INVITE: {
		const char *b = req->terminal_invite->branch;
		if (b != NULL && b[0] != '\0' &&
		    !check_text(op, "branch", b, 1, NAME_MAX_BYTES))
			return 0;
		copy_str(op->name, sizeof(op->name), b);
		randombytes_buf(op->token, sizeof(op->token));
		return 1;
	}
	case KARTOTEKA__REQUEST__OP_TERMINAL_REVOKE: {
		const char *w = req->terminal_revoke->terminal;
		if (!check_text(op, "terminal", w, 1, NAME_MAX_BYTES))
			return 0;
		copy_str(op->which, sizeof(op->which), w);
		return 1;
	}
	default:
		refuse(op, E_BAD, "unknown op");
		return 0;
	}
}

/* Is the caller the owner? Answers FORBIDDEN (or an error) when not. */
static int
caller_is_owner(srv_conn_t *c, const Kartoteka__Request *req)
{
	srv_user_t *u = malloc(sizeof(*u));
	MDB_txn *txn = NULL;
	char msg[96];
	int rc = KT_ENOMEM, ok = 0;

	if (u != NULL && (rc = kt_store_read_begin(c->srv->store, &txn)) == 0) {
		rc = srv_load_user(c->srv, txn, c->user_id, u);
		kt_store_read_end(c->srv->store, txn);
	}
	if (rc != 0) {
		reply_error(c, req->id, E_INTERNAL, "cannot read the session");
	} else if (u->disabled ||
	    kt_authz_scope(u->role, KT_ACT_ADMIN) != KT_SCOPE_ALL) {
		Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
		Kartoteka__Error err = KARTOTEKA__ERROR__INIT;
		snprintf(msg, sizeof(msg), "only the owner can %s",
		    op_label(req->op_case));
		err.code = E_FORBIDDEN;
		err.message = msg;
		resp.id = req->id;
		resp.error = &err;
		/* A manager trying the owner's work is worth a line. */
		answer_after_audit(c, req->id, &resp, "admin.refused",
		    E_FORBIDDEN, msg);
	} else {
		ok = 1;
	}
	if (u != NULL) {
		sodium_memzero(u, sizeof(*u));
		free(u);
	}
	return ok;
}

static void
handle_change(srv_conn_t *c, const Kartoteka__Request *req)
{
	admin_op_t *op = calloc(1, sizeof(*op));
	MDB_txn *txn = NULL;
	int rc;

	if (op == NULL) {
		reply_error(c, req->id, E_INTERNAL, "out of memory");
		return;
	}
	op->c = c;
	op->srv = c->srv;
	op->req_id = req->id;
	op->kind = req->op_case;
	op->actor = c->user_id;
	memcpy(op->actor_term, c->term_key, 32);
	op->now = kt_now_s();
	if (!parse_change(op, req)) {
		reply_error(c, req->id, op->code, op->msg);
		goto fail;
	}
	/* An early look, so that a request bound to fail costs neither a
	 * password hash nor a commit; the mutation looks again. */
	if ((rc = kt_store_read_begin(c->srv->store, &txn)) == 0) {
		rc = precheck(c->srv->store, txn, op);
		kt_store_read_end(c->srv->store, txn);
	}
	if (rc != 0) {
		reply_error(c, req->id, E_INTERNAL, "cannot read the store");
		goto fail;
	}
	if (op->code != E_OK) {
		reply_error(c, req->id, op->code, op->msg);
		goto fail;
	}
	if (op->kind == KARTOTEKA__REQUEST__OP_USER_ADD ||
	    op->kind == KARTOTEKA__REQUEST__OP_USER_PASSWORD)
		hash_then_submit(op);
	else
		submit(op);
	return;
fail:
	op_free(op);
}

int
admin_dispatch(srv_conn_t *c, const Kartoteka__Request *req)
{
	switch (req->op_case) {
	case KARTOTEKA__REQUEST__OP_BRANCH_ADD:
	case KARTOTEKA__REQUEST__OP_BRANCH_RENAME:
	case KARTOTEKA__REQUEST__OP_BRANCH_ARCHIVE:
	case KARTOTEKA__REQUEST__OP_BRANCH_LIST:
	case KARTOTEKA__REQUEST__OP_USER_ADD:
	case KARTOTEKA__REQUEST__OP_USER_CHANGE:
	case KARTOTEKA__REQUEST__OP_USER_PASSWORD:
	case KARTOTEKA__REQUEST__OP_USER_DISABLE:
	case KARTOTEKA__REQUEST__OP_USER_LIST:
	case KARTOTEKA__REQUEST__OP_TERMINAL_INVITE:
	case KARTOTEKA__REQUEST__OP_TERMINAL_LIST:
	case KARTOTEKA__REQUEST__OP_TERMINAL_REVOKE:
		break;
	default:
		return 0;
	}
	if (!op_present(req)) {
		reply_error(c, req->id, E_BAD, "request without its body");
		return 1;
	}
	if (!caller_is_owner(c, req))
		return 1;
	switch (req->op_case) {
	case KARTOTEKA__REQUEST__OP_BRANCH_LIST:
	case KARTOTEKA__REQUEST__OP_USER_LIST:
	case KARTOTEKA__REQUEST__OP_TERMINAL_LIST:
		handle_list(c, req);
		break;
	default:
		handle_change(c, req);
		break;
	}
	return 1;
}
