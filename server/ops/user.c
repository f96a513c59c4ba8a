/* SPDX-License-Identifier: MIT */
/* The owner's ops on users: add, change (name, role, branches, quota),
 * set a password, disable or enable, restrict (the notice period),
 * offboard (one step: disable, end sessions, give the clients to another
 * user, then the leaver's 30-day summary), and the paged list. Passwords are
 * hashed on the thread pool (Argon2id) after an early check on the loop,
 * so a request bound to fail costs no hash; the change itself is made by
 * model/user_store.c inside the writer's transaction with its audit
 * entry, and what it means for open connections (sessions ended,
 * connections closed) follows the commit. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "catalog.h"
#include "fields.h"
#include "kt_error.h"
#include "model/identity.h"
#include "model/user_store.h"
#include "ops/audit.h"
#include "ops/list.h"
#include "ops/ops.h"
#include "records.pb-c.h"
#include "session.h"

typedef struct user_st user_st_t;

/* The days of the leaver's summary that offboarding prints. */
#define KT_OFFBOARD_SUMMARY_DAYS 30u

/* A change of a user: its check (the loop's early look, or the writer's),
 * the change (model/user_store.c, which checks again), whether it needs a
 * password hashed first, and what it means for open connections once
 * committed (NULL: nothing). Each handler picks its own; nothing switches
 * over op cases here. */
typedef struct user_change {
	int (*check)(MDB_txn *txn, const kt_store_dbs_t *db, user_st_t *u);
	int (*apply)(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
	    user_st_t *u);
	int hashes;
	void (*after)(kt_server_t *srv, uint64_t id, int disable,
	    const kt_conn_t *own);
} user_change_t;

/* One change of a user, copied out of the request; wiped at the end
 * (KT_OP_SECRET rows: it may hold a password). */
struct user_st {
	const user_change_t *change;
	char login[KT_LOGIN_MAX + 1];
	char name[KT_NAME_MAX + 1];
	uint32_t role;
	unsigned fields;                            /* change: KT_USER_F_* */
	uint32_t quota, row_quota;
	size_t nbranches;
	char branch_names[KT_MAX_USER_BRANCHES][KT_NAME_MAX + 1];
	char *branch_ptrs[KT_MAX_USER_BRANCHES];    /* into branch_names */
	int disable;
	int restrict_;                              /* restrict: 1, lift: 0 */
	char to[KT_LOGIN_MAX + 1];                  /* offboard */
	char password[KT_PASSWORD_MAX + 1];         /* wiped once hashed */
	char pwhash[crypto_pwhash_STRBYTES];
	int hash_failed;
	int64_t now;
	/* results of the mutation */
	uint64_t id;
	size_t ended;
	kt_verdict_t v;
	kt_offboard_t off;                          /* offboard's counts */
	kt_store_t *store;                          /* for the pool thread */
	kt_audit_day_t days[KT_OFFBOARD_SUMMARY_DAYS];
	int64_t sum_end_ms;
	uint64_t nread;
	int sum_rc;
};


/* Copies the request's branch names; 0 with r answered when they do not
 * fit. */
static int
take_branches(kt_req_t *r, user_st_t *u, char **names, size_t n)
{
	if (n > KT_MAX_USER_BRANCHES) {
		kt_req_fail(r, KT_CODE_BAD, "branches: at most %u branches",
		    KT_MAX_USER_BRANCHES);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!kt_text_take(u->branch_names[i], sizeof(u->branch_names[i]),
		    names[i])) {
			kt_req_fail(r, KT_CODE_BAD,
			    "branches: is longer than %u "
			    "bytes", KT_NAME_MAX);
			return 0;
		}
		u->branch_ptrs[i] = u->branch_names[i];
	}
	u->nbranches = n;
	return 1;
}

static kt_user_new_t
as_new(user_st_t *u)
{
	kt_user_new_t n = {
		.login = u->login, .name = u->name, .role = u->role,
		.branches = u->branch_ptrs, .nbranches = u->nbranches,
		.quota = u->quota, .row_quota = u->row_quota,
		.pwhash = u->pwhash, .now = u->now,
	};

	return n;
}

static kt_user_edit_t
as_edit(user_st_t *u)
{
	kt_user_edit_t e = {
		.login = u->login, .fields = u->fields, .name = u->name,
		.role = u->role, .branches = u->branch_ptrs,
		.nbranches = u->nbranches, .quota = u->quota,
		.row_quota = u->row_quota,
	};

	return e;
}

static int
add_check(MDB_txn *txn, const kt_store_dbs_t *db, user_st_t *u)
{
	kt_user_new_t n = as_new(u);

	return kt_user_add_check(txn, db, &n, &u->v);
}

static int
add_apply(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    user_st_t *u)
{
	kt_user_new_t n = as_new(u);

	return kt_user_add(st, txn, actor, &n, &u->id, &u->v);
}

static int
edit_check(MDB_txn *txn, const kt_store_dbs_t *db, user_st_t *u)
{
	kt_user_edit_t e = as_edit(u);

	return kt_user_change_check(txn, db, &e, &u->v);
}

static int
edit_apply(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    user_st_t *u)
{
	kt_user_edit_t e = as_edit(u);

	return kt_user_change(st, txn, actor, &e, &u->id, &u->v);
}

static int
password_check(MDB_txn *txn, const kt_store_dbs_t *db, user_st_t *u)
{
	return kt_user_password_check(txn, db, u->login, &u->v);
}

static int
password_apply(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    user_st_t *u)
{
	return kt_user_set_password(st, txn, actor, u->login, u->pwhash,
	    &u->id, &u->ended, &u->v);
}

/* Their sessions are gone: so is their login on open connections. */
static void
password_after(kt_server_t *srv, uint64_t id, int disable,
    const kt_conn_t *own)
{
	(void)disable;
	(void)own;
	kt_session_logout_user(srv, id);
}

static int
disable_check(MDB_txn *txn, const kt_store_dbs_t *db, user_st_t *u)
{
	return kt_user_disable_check(txn, db, u->login, u->disable, &u->v);
}

static int
disable_apply(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    user_st_t *u)
{
	return kt_user_set_disabled(st, txn, actor, u->login, u->disable,
	    &u->id, &u->ended, &u->v);
}

/* DESIGN 3: disabling a user closes their connections at once. */
static void
disable_after(kt_server_t *srv, uint64_t id, int disable,
    const kt_conn_t *own)
{
	if (disable)
		kt_session_close_user(srv, id, own);
}

static int
restrict_check(MDB_txn *txn, const kt_store_dbs_t *db, user_st_t *u)
{
	return kt_user_restrict_check(txn, db, u->login, u->restrict_, &u->v);
}

static int
restrict_apply(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    user_st_t *u)
{
	return kt_user_set_restricted(st, txn, actor, u->login, u->restrict_,
	    &u->id, &u->v);
}

static const user_change_t add_change = { add_check, add_apply, 1, NULL };
static const user_change_t edit_change = { edit_check, edit_apply, 0, NULL };
static const user_change_t password_change = { password_check,
	password_apply, 1, password_after };
static const user_change_t disable_change = { disable_check, disable_apply,
	0, disable_after };
/* Nothing to do for open connections: dispatch reads the caller's record,
 * restricted or not, on every request. */
static const user_change_t restrict_change = { restrict_check,
	restrict_apply, 0, NULL };

static int
user_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	user_st_t *u = kt_req_state(r);
	kt_actor_t actor = kt_req_actor(r);

	return u->change->apply(st, txn, &actor, u);
}

static void
user_done(kt_req_t *r, int status)
{
	user_st_t *u = kt_req_state(r);
	kt_server_t *srv = kt_req_server(r);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__UserResponse ur = KARTOTEKA__USER_RESPONSE__INIT;
	Kartoteka__UserInfo ui = KARTOTEKA__USER_INFO__INIT;
	const kt_conn_t *own = kt_req_conn(r);
	kt_arena_t *a = kt_req_arena(r);
	MDB_txn *txn = kt_req_txn(r);
	kt_user_t out;

	const user_change_t *change;
	uint64_t id;
	int disable;

	if (kt_req_refused(r, status, &u->v))
		return;
	change = u->change;
	id = u->id;
	disable = u->disable;
	if (txn == NULL || a == NULL || kt_user_load(txn,
	    kt_store_dbs(srv->store), u->id, &out) != 0 || kt_user_info(txn,
	    kt_store_dbs(srv->store), &out, a, &ui) != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL,
		    "saved, but the user cannot be read "
		    "back");
	} else {
		ur.user = &ui;
		resp.result_case = KARTOTEKA__RESPONSE__RESULT_USER;
		resp.user = &ur;
		kt_req_reply(r, &resp);
	}
	/* What the committed change means for open connections, once the
	 * answer is queued (it may close the asker's own connection). */
	if (change->after != NULL)
		change->after(srv, id, disable, own);
}

/* Thread pool: the password's hash. */
static void
hash_work(kt_req_t *r)
{
	user_st_t *u = kt_req_state(r);

	u->hash_failed = kt_identity_hash_password(u->pwhash, u->password) !=
	    0;
	sodium_memzero(u->password, sizeof(u->password));
}

static void
hash_after(kt_req_t *r, int status)
{
	user_st_t *u = kt_req_state(r);

	sodium_memzero(u->password, sizeof(u->password));
	if (!kt_req_alive(r)) {
		/* Nobody is waiting for the answer: change nothing. */
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "connection closed");
	} else if (status != 0 || u->hash_failed) {
		kt_req_fail(r, KT_CODE_INTERNAL, "cannot hash the password");
	} else {
		kt_req_submit(r, user_mut, user_done);
	}
}

/* Checks u early on the loop, then hashes (if there is a password) and
 * submits. */
static void
change(kt_req_t *r, user_st_t *u)
{
	MDB_txn *txn = kt_req_txn(r);
	int rc;

	if (txn == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE,
		    "cannot read the store: try "
		    "again");
		return;
	}
	u->now = kt_now_s();
	rc = u->change->check(txn, kt_store_dbs(kt_req_server(r)->store), u);
	if (kt_req_refused(r, rc, &u->v))
		return;
	if (u->change->hashes)
		kt_req_work(r, hash_work, hash_after);
	else
		kt_req_submit(r, user_mut, user_done);
}

/* Copies and checks the request's password. */
static int
take_password(kt_req_t *r, user_st_t *u, const char *password)
{
	const char *why = kt_identity_password_problem(password ? password :
	    "");

	if (why != NULL) {
		kt_req_fail(r, KT_CODE_BAD, "password: %s", why);
		return 0;
	}
	return kt_text_take(u->password, sizeof(u->password), password);
}

static int
take_login(kt_req_t *r, user_st_t *u, const char *login)
{
	const char *why = kt_identity_login_problem(login ? login : "");

	if (why != NULL) {
		kt_req_fail(r, KT_CODE_BAD, "login: %s", why);
		return 0;
	}
	return kt_text_take(u->login, sizeof(u->login), login);
}

static int
take_name(kt_req_t *r, user_st_t *u, const char *name)
{
	if (!kt_text_take(u->name, sizeof(u->name), name)) {
		kt_req_fail(r, KT_CODE_BAD, "name: is longer than %u bytes",
		    KT_NAME_MAX);
		return 0;
	}
	return 1;
}

static void
op_user_add(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__UserAddRequest *a = msg->user_add;
	user_st_t *u = kt_req_state(r);

	u->change = &add_change;
	/* The owner exists from `kartotekad init` on: every user added
	 * here is a head or a manager (the model says so too). */
	if (a->role != KARTOTEKA__ROLE__HEAD &&
	    a->role != KARTOTEKA__ROLE__MANAGER) {
		kt_req_fail(r, KT_CODE_BAD,
		    "role: must be HEAD or MANAGER (there is "
		    "one owner)");
		return;
	}
	u->role = (uint32_t)a->role;
	u->quota = a->daily_view_quota;
	u->row_quota = a->daily_row_quota;
	if (!take_login(r, u, a->login) || !take_name(r, u, a->name) ||
	    !take_branches(r, u, a->branches, a->n_branches) ||
	    !take_password(r, u, a->password))
		return;
	change(r, u);
}

static void
op_user_change(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__UserChangeRequest *c = msg->user_change;
	user_st_t *u = kt_req_state(r);

	u->change = &edit_change;
	if (!take_login(r, u, c->login))
		return;
	for (size_t i = 0; i < c->n_fields; i++) {
		const char *f = c->fields[i] != NULL ? c->fields[i] : "";
		if (strcmp(f, "name") == 0)
			u->fields |= KT_USER_F_NAME;
		else if (strcmp(f, "role") == 0)
			u->fields |= KT_USER_F_ROLE;
		else if (strcmp(f, "branches") == 0)
			u->fields |= KT_USER_F_BRANCHES;
		else if (strcmp(f, "daily_view_quota") == 0)
			u->fields |= KT_USER_F_QUOTA;
		else if (strcmp(f, "daily_row_quota") == 0)
			u->fields |= KT_USER_F_ROW_QUOTA;
		else {
			kt_req_fail(r, KT_CODE_BAD,
			    "fields: unknown field '%.64s' (name, role, "
			    "branches, daily_view_quota, daily_row_quota)", f);
			return;
		}
	}
	u->role = (uint32_t)c->role;
	u->quota = c->daily_view_quota;
	u->row_quota = c->daily_row_quota;
	if (((u->fields & KT_USER_F_NAME) && !take_name(r, u, c->name)) ||
	    ((u->fields & KT_USER_F_BRANCHES) &&
	    !take_branches(r, u, c->branches, c->n_branches)))
		return;
	change(r, u);
}

static void
op_user_password(kt_req_t *r, const Kartoteka__Request *msg)
{
	user_st_t *u = kt_req_state(r);

	u->change = &password_change;
	if (!take_login(r, u, msg->user_password->login) ||
	    !take_password(r, u, msg->user_password->password))
		return;
	change(r, u);
}

static void
op_user_disable(kt_req_t *r, const Kartoteka__Request *msg)
{
	user_st_t *u = kt_req_state(r);

	u->change = &disable_change;
	u->disable = !msg->user_disable->enable;
	if (!take_login(r, u, msg->user_disable->login))
		return;
	change(r, u);
}

static void
op_user_restrict(kt_req_t *r, const Kartoteka__Request *msg)
{
	user_st_t *u = kt_req_state(r);

	u->change = &restrict_change;
	u->restrict_ = !msg->user_restrict->lift;
	if (!take_login(r, u, msg->user_restrict->login))
		return;
	change(r, u);
}

/* ---- offboarding ---------------------------------------------------------- */

static int
offboard_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	user_st_t *u = kt_req_state(r);
	kt_actor_t actor = kt_req_actor(r);

	return kt_user_offboard(st, txn, &actor, u->login, u->to, u->now,
	    &u->off, &u->v);
}

/* Thread pool: the leaver's summary, in its own read transaction (a long
 * audit log makes it a long scan). */
static void
offboard_summary_work(kt_req_t *r)
{
	user_st_t *u = kt_req_state(r);
	MDB_txn *txn = NULL;

	if ((u->sum_rc = kt_store_read_begin(u->store, &txn)) != 0)
		return;
	u->sum_rc = kt_audit_summary(txn, kt_store_dbs(u->store), u->off.id,
	    u->days, KT_OFFBOARD_SUMMARY_DAYS, u->sum_end_ms, &u->nread);
	kt_store_read_end(u->store, txn);
}

static void
offboard_summary_after(kt_req_t *r, int status)
{
	user_st_t *u = kt_req_state(r);
	kt_server_t *srv = kt_req_server(r);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__UserOffboardResponse ob =
	    KARTOTEKA__USER_OFFBOARD_RESPONSE__INIT;
	Kartoteka__AuditSummaryResponse sum =
	    KARTOTEKA__AUDIT_SUMMARY_RESPONSE__INIT;
	Kartoteka__UserInfo ui = KARTOTEKA__USER_INFO__INIT;
	kt_arena_t *a = kt_req_arena(r);
	MDB_txn *txn = kt_req_txn(r);
	kt_user_t out;

	if (txn == NULL || a == NULL || kt_user_load(txn,
	    kt_store_dbs(srv->store), u->off.id, &out) != 0 ||
	    kt_user_info(txn, kt_store_dbs(srv->store), &out, a, &ui) != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL, "offboarded, but the user "
		    "cannot be read back");
		return;
	}
	ob.user = &ui;
	ob.to = u->to;
	ob.clients_reassigned = u->off.clients;
	ob.sessions_ended = u->off.sessions;
	/* The step is committed whatever happens to the summary: an answer
	 * without one says so by leaving it out. */
	if (status == 0 && u->sum_rc == 0 && kt_audit_summary_message(a,
	    u->login, u->days, KT_OFFBOARD_SUMMARY_DAYS, u->nread, &sum) == 0)
		ob.summary = &sum;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_USER_OFFBOARD;
	resp.user_offboard = &ob;
	kt_req_reply(r, &resp);
}

static void
offboard_done(kt_req_t *r, int status)
{
	user_st_t *u = kt_req_state(r);

	if (kt_req_refused(r, status, &u->v))
		return;
	/* DESIGN 3: their connections close at once (the sweep would also
	 * find them within a second: the generation moved). */
	kt_session_close_user(kt_req_server(r), u->off.id, kt_req_conn(r));
	u->store = kt_req_server(r)->store;
	{
		/* The leaver's days: those of their branch. */
		kt_server_t *srv = kt_req_server(r);
		MDB_txn *txn = kt_req_txn(r);
		const kt_tz_t *tz = kt_tzcache_get(srv->tz, NULL);
		kt_user_t leaver;

		if (txn != NULL && kt_user_load(txn, kt_store_dbs(srv->store),
		    u->off.id, &leaver) == 0)
			tz = kt_bizday_zone(srv->tz, txn,
			    kt_store_dbs(srv->store), &leaver);
		kt_audit_summary_days(tz, (int64_t)u->now * 1000,
		    KT_OFFBOARD_SUMMARY_DAYS, u->days, &u->sum_end_ms);
	}
	kt_req_work(r, offboard_summary_work, offboard_summary_after);
}

static void
op_user_offboard(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__UserOffboardRequest *ob = msg->user_offboard;
	user_st_t *u = kt_req_state(r);
	const char *why;

	if (!take_login(r, u, ob->login))
		return;
	if ((why = kt_identity_login_problem(ob->to ? ob->to : "")) != NULL) {
		kt_req_fail(r, KT_CODE_BAD, "to: %s", why);
		return;
	}
	(void)kt_text_take(u->to, sizeof(u->to), ob->to);
	u->now = kt_now_s();
	/* Every check runs in the writer's transaction: the leaver's cards
	 * are read there once, not also on the loop. */
	kt_req_submit(r, offboard_mut, offboard_done);
}

/* A kt_pager_row_fn: a user with branch names (disabled ones with
 * include_all); the password hash is wiped, never copied. */
static int
user_row(const kt_pager_ctx_t *ctx, const MDB_val *k, const MDB_val *v,
    ProtobufCMessage **row)
{
	Ktstore__UserRecord *rec;
	Kartoteka__UserInfo *ui;
	kt_user_t u;
	int rc = 0;

	(void)k;
	*row = NULL;
	rec = ktstore__user_record__unpack(NULL, v->mv_size, v->mv_data);
	if (rec == NULL)
		return 0;
	if (rec->password_hash != NULL)
		sodium_memzero(rec->password_hash, strlen(rec->password_hash));
	if (rec->disabled && !ctx->include_all)
		goto out;
	kt_user_from_record(rec, &u);
	if ((ui = kt_arena_alloc(ctx->arena, sizeof(*ui))) == NULL ||
	    kt_user_info(ctx->txn, ctx->db, &u, ctx->arena, ui) != 0 ||
	    (ui->login = kt_arena_strdup(ctx->arena, u.login)) == NULL ||
	    (ui->name = kt_arena_strdup(ctx->arena, u.name)) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	*row = &ui->base;
out:
	ktstore__user_record__free_unpacked(rec, NULL);
	return rc;
}

static const kt_pager_kind_t user_list_kind = { 'U', 8, user_row };

static void
op_user_list(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__UserListRequest *lr = msg->user_list;
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__UserListResponse ul = KARTOTEKA__USER_LIST_RESPONSE__INIT;
	kt_list_ask_t ask = { &lr->cursor, lr->limit, lr->include_disabled };
	kt_pager_page_t page;

	if (!kt_list_read(r, &user_list_kind,
	    kt_store_dbs(kt_req_server(r)->store)->users, &ask, &page))
		return;
	ul.users = (Kartoteka__UserInfo **)page.rows;
	ul.n_users = page.n;
	ul.next_cursor = page.next;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_USER_LIST;
	resp.user_list = &ul;
	kt_list_answer(r, &resp, KT_AUDIT_USER_LIST, &ask, &page);
}

#define OP(c) KARTOTEKA__REQUEST__OP_##c

static const kt_op_row_t rows[] = {
	{ OP(USER_ADD), KT_MSG("add users"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE | KT_OP_SECRET, KT_ACT_ADMIN, KT_AUDIT_USER_ADD,
	    op_user_add, sizeof(user_st_t) },
	{ OP(USER_CHANGE), KT_MSG("change users"), KT_PHASE_LOGGED_IN, KT_OP_WRITE,
	    KT_ACT_ADMIN, KT_AUDIT_USER_CHANGE, op_user_change,
	    sizeof(user_st_t) },
	{ OP(USER_PASSWORD), KT_MSG("set users' passwords"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE | KT_OP_SECRET, KT_ACT_ADMIN, KT_AUDIT_USER_PASSWORD,
	    op_user_password, sizeof(user_st_t) },
	{ OP(USER_DISABLE), KT_MSG("disable or enable users"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_ADMIN, KT_AUDIT_USER_DISABLE, op_user_disable,
	    sizeof(user_st_t) },
	{ OP(USER_LIST), KT_MSG("list users"), KT_PHASE_LOGGED_IN, 0, KT_ACT_ADMIN,
	    KT_AUDIT_USER_LIST, op_user_list, 0 },
	{ OP(USER_OFFBOARD), KT_MSG("offboard users"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_ADMIN, KT_AUDIT_USER_OFFBOARD,
	    op_user_offboard, sizeof(user_st_t) },
	{ OP(USER_RESTRICT), KT_MSG("restrict users"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_ADMIN, KT_AUDIT_USER_RESTRICT,
	    op_user_restrict, sizeof(user_st_t) },
};

const kt_op_domain_t kt_ops_user = { "user", rows,
	sizeof(rows) / sizeof(rows[0]) };
