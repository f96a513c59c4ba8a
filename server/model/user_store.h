/* SPDX-License-Identifier: MIT */
/* Users in the store: their records and login index, the caller as the
 * request path sees it, the rules of a user (login, name, role, branches,
 * quota), and the audited changes (add, change, password, disable,
 * enable, restrict, offboard) that the protocol ops and `kartotekad init`
 * make through these functions. */
#ifndef KT_USER_STORE_H
#define KT_USER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "arena.h"
#include "fields.h"
#include "kartoteka.pb-c.h"
#include "model/audit.h"
#include "model/store.h"
#include "model/verdict.h"
#include "records.pb-c.h"

#define KT_MAX_USER_BRANCHES 32u
#define KT_DEFAULT_VIEW_QUOTA 200u  /* full cards a day, a manager */
#define KT_HEAD_VIEW_QUOTA 500u     /* full cards a day, a head */
#define KT_DEFAULT_ROW_QUOTA 2000u  /* distinct clients listed a day */
#define KT_HEAD_ROW_QUOTA 5000u
#define KT_VIEW_QUOTA_MAX 100000u
#define KT_ROW_QUOTA_MAX 10000000u

/* A user copied out of LMDB, as the request path needs it (no password
 * hash: see kt_user_find's pwhash). */
typedef struct kt_user {
	uint64_t id;
	char login[KT_LOGIN_MAX + 1];
	char name[KT_NAME_MAX + 1];
	uint32_t role;                     /* kartoteka.Role */
	int disabled;
	int restricted;                    /* notice period: read-only, no
					      full cards (authz.h) */
	uint32_t daily_view_quota;         /* stored value; 0 = the role's
					      default (kt_user_view_quota) */
	uint32_t daily_row_quota;          /* likewise (kt_user_row_quota) */
	size_t nbranches;
	uint64_t branches[KT_MAX_USER_BRANCHES];
} kt_user_t;

/* The daily quotas of u in force: the stored value, or the default of
 * u's role; 0 (counted, never limited) for the owner. */
uint32_t kt_user_view_quota(const kt_user_t *u);
uint32_t kt_user_row_quota(const kt_user_t *u);

/* kt_user_load reads user id into u. Returns 0, KT_ENOTFOUND, KT_ESTORE,
 * KT_EPROTO. */
int kt_user_load(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    kt_user_t *u);

/* kt_user_load_with is kt_user_load unpacking with allocator a (an
 * arena's: the request path reads a user on every request; NULL: the
 * default allocator). The password hash it passed through is wiped. */
struct ProtobufCAllocator;
int kt_user_load_with(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    struct ProtobufCAllocator *a, kt_user_t *u);

/* The kt_user_t of a record read some other way (a list walking the
 * users database). */
void kt_user_from_record(const Ktstore__UserRecord *r, kt_user_t *u);

/* kt_user_find reads the user with login into u; with pwhash not NULL
 * also the password hash (crypto_pwhash_STRBYTES; the caller wipes it).
 * Returns 0, KT_ENOTFOUND, KT_ESTORE, KT_EPROTO. */
int kt_user_find(MDB_txn *txn, const kt_store_dbs_t *db, const char *login,
    kt_user_t *u, char *pwhash);

/* The id of the user with login (KT_ENOTFOUND also for NULL or ""). */
int kt_user_id(MDB_txn *txn, const kt_store_dbs_t *db, const char *login,
    uint64_t *id);

/* The login of user id into out: "#id" when unknown, "" for 0. */
void kt_user_login(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    char *out, size_t cap);

/* May u work from a terminal of branch term_branch (0: an owner
 * terminal)? The owner only from owner terminals (DESIGN 3: an owner
 * password typed at a branch desk would be the whole base); heads and
 * managers only from their branches' terminals. */
int kt_user_may_use_terminal(const kt_user_t *u, uint64_t term_branch);

/* kt_user_info fills ui for u: strings point into u and into arena a
 * (branch names), valid while both live. Returns 0 or KT_ENOMEM. */
int kt_user_info(MDB_txn *txn, const kt_store_dbs_t *db, const kt_user_t *u,
    kt_arena_t *a, Kartoteka__UserInfo *ui);

/* The English word of a role ("owner", "head", "manager", "?"). */
const char *kt_user_role_word(uint32_t role);

/* A new user. The first user of a store is its owner (role OWNER, no
 * branches, no quota); every later one is a HEAD or MANAGER of at least
 * one working branch. */
typedef struct kt_user_new {
	const char *login;
	const char *name;
	uint32_t role;                     /* kartoteka.Role */
	char *const *branches;             /* branch names */
	size_t nbranches;
	uint32_t quota;                    /* 0 = the default */
	uint32_t row_quota;                /* 0 = the default */
	const char *pwhash;                /* crypto_pwhash_str output; may be
					      NULL in the check */
	int64_t now;
} kt_user_new_t;

/* What kt_user_change changes: KT_USER_F_* bits and their values. */
enum {
	KT_USER_F_NAME = 1,
	KT_USER_F_ROLE = 2,
	KT_USER_F_BRANCHES = 4,
	KT_USER_F_QUOTA = 8,
	KT_USER_F_ROW_QUOTA = 16,
};
typedef struct kt_user_edit {
	const char *login;
	unsigned fields;
	const char *name;
	uint32_t role;
	char *const *branches;
	size_t nbranches;
	uint32_t quota;                    /* 0 = the default */
	uint32_t row_quota;                /* 0 = the default */
} kt_user_edit_t;

/* Checks of the changes below against the store as txn sees it (a read
 * transaction, for an early answer, or the writer's). Each leaves v OK or
 * refused and returns 0 or a store error. */
int kt_user_add_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_user_new_t *n, kt_verdict_t *v);
int kt_user_change_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_user_edit_t *e, kt_verdict_t *v);
/* For password and disable/enable: the user exists (and is not the owner
 * for a disable; is in the other state for disable/enable). */
int kt_user_password_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *login, kt_verdict_t *v);
int kt_user_disable_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *login, int disable, kt_verdict_t *v);

/* The changes, inside the write transaction txn, with their audit entries
 * by actor (user.add, user.change, user.password, user.disable,
 * user.enable; object "user:<id>"). Each runs its check first: a refusal
 * writes nothing and returns 0 with v set. A new password and a disable
 * end every session of the user (their count in *ended), and a change of
 * role, branches or state moves the terminals generation so the server
 * re-checks open connections.
 *   [out] id  the user's id
 * Return 0 or KT_ENOSPC, KT_ESTORE, KT_ENOMEM. */
int kt_user_add(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const kt_user_new_t *n, uint64_t *id, kt_verdict_t *v);
int kt_user_change(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const kt_user_edit_t *e, uint64_t *id, kt_verdict_t *v);
int kt_user_set_password(kt_store_t *st, MDB_txn *txn,
    const kt_actor_t *actor, const char *login, const char *pwhash,
    uint64_t *id, size_t *ended, kt_verdict_t *v);
int kt_user_set_disabled(kt_store_t *st, MDB_txn *txn,
    const kt_actor_t *actor, const char *login, int disable, uint64_t *id,
    size_t *ended, kt_verdict_t *v);

/* Schema 2 -> 3 (model/migrate.c): a stored view quota equal to the old
 * default (200) becomes 0, the default of the user's role (a head's is
 * now 500). */
int kt_user_migrate_v3(kt_store_t *st, MDB_txn *txn);

/* ---- the notice period and offboarding ------------------------------------ */

/* kt_user_restrict_check: login names a head or manager who is not
 * disabled and is not already in the asked state (restrict 1: put under
 * notice; 0: lift). */
int kt_user_restrict_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *login, int restrict_, kt_verdict_t *v);

/* kt_user_set_restricted puts login under notice (read-only, contacts
 * hidden: authz.h's kt_authz_restricted) or lifts it, with its audit
 * entry (user.restrict / user.unrestrict). Runs the check first: a
 * refusal writes nothing (v set). Write transaction.
 *   [out] id  the user's id
 * Returns 0, KT_ENOSPC, KT_ESTORE. */
int kt_user_set_restricted(kt_store_t *st, MDB_txn *txn,
    const kt_actor_t *actor, const char *login, int restrict_, uint64_t *id,
    kt_verdict_t *v);

/* At most this many client ids are named in a refusal of an offboarding
 * (the rest are counted). */
#define KT_OFFBOARD_NAMED_MAX 10u

/* What an offboarding did. */
typedef struct kt_offboard {
	uint64_t id;                       /* the leaver */
	uint64_t to;                       /* who got the clients */
	uint64_t clients;                  /* cards reassigned */
	size_t sessions;                   /* sessions ended */
} kt_offboard_t;

/* kt_user_offboard, all in the write transaction txn: checks that login
 * is a head or manager and to another working user (not restricted) who
 * may manage every client login manages (the owner, or a user of each
 * client's branch) — when some client cannot go to `to`, v is refused
 * BAD_REQUEST naming the branches and up to KT_OFFBOARD_NAMED_MAX client
 * ids, and the whole step is refused, never half done — then disables
 * login (if it is not yet), ends every session of theirs, moves
 * the terminals generation (connections re-checked; the caller closes
 * them at once after the commit), gives every client they manage to `to`
 * (kt_cstore_put: the card gets its next version), and appends one audit
 * entry user.offboard with the counts. Deals and tasks will join here.
 * A refusal writes nothing (v set).
 * Returns 0, KT_ENOSPC, KT_ESTORE, KT_ENOMEM, KT_EPROTO. */
int kt_user_offboard(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const char *login, const char *to, int64_t now, kt_offboard_t *out,
    kt_verdict_t *v);

#endif
