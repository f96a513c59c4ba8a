/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/user.c through kt_dispatch_message on the fake
 * network: the owner adds users (the password hashed on the thread pool),
 * changes them, sets a password (the user is logged out everywhere),
 * disables one (its connections close) and enables it again, and lists
 * them; every change with its audit entry, every refusal without one. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kt_test.h"

#include "kt_error.h"
#include "model/identity.h"
#include "model/client_store.h"
#include "model/session_store.h"
#include "server/harness.h"
#include "session.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_NOTFOUND KARTOTEKA__ERROR__CODE__NOT_FOUND
#define E_CONFLICT KARTOTEKA__ERROR__CODE__CONFLICT
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define HEAD KARTOTEKA__ROLE__HEAD
#define MANAGER KARTOTEKA__ROLE__MANAGER

#define NEW_PASSWORD "a new long password"

typedef struct req {
	Kartoteka__Request r;
	union {
		Kartoteka__UserAddRequest add;
		Kartoteka__UserChangeRequest change;
		Kartoteka__UserPasswordRequest password;
		Kartoteka__UserDisableRequest disable;
		Kartoteka__UserListRequest list;
		Kartoteka__LoginRequest login;
		Kartoteka__UserRestrictRequest restrict_;
		Kartoteka__UserOffboardRequest offboard;
		Kartoteka__ClientAddRequest cadd;
		Kartoteka__ClientShowRequest cshow;
		Kartoteka__ClientListRequest clist;
	} u;
	char *names[4];
	Kartoteka__Client client;
	Kartoteka__Person person;
	Kartoteka__Person *people[1];
} req_t;

static Kartoteka__Request *
add(req_t *q, const char *login, uint32_t role, const char *branch,
    const char *password, uint32_t quota)
{
	kartoteka__request__init(&q->r);
	kartoteka__user_add_request__init(&q->u.add);
	q->u.add.login = (char *)login;
	q->u.add.name = "Some One";
	q->u.add.role = (Kartoteka__Role)role;
	q->names[0] = (char *)branch;
	q->u.add.branches = q->names;
	q->u.add.n_branches = branch != NULL;
	q->u.add.password = (char *)password;
	q->u.add.daily_view_quota = quota;
	q->r.op_case = KARTOTEKA__REQUEST__OP_USER_ADD;
	q->r.user_add = &q->u.add;
	return &q->r;
}

static Kartoteka__Request *
change(req_t *q, const char *login, const char *field)
{
	kartoteka__request__init(&q->r);
	kartoteka__user_change_request__init(&q->u.change);
	q->u.change.login = (char *)login;
	q->names[0] = (char *)field;
	q->u.change.fields = q->names;
	q->u.change.n_fields = 1;
	q->r.op_case = KARTOTEKA__REQUEST__OP_USER_CHANGE;
	q->r.user_change = &q->u.change;
	return &q->r;
}

static Kartoteka__Request *
password(req_t *q, const char *login, const char *pw)
{
	kartoteka__request__init(&q->r);
	kartoteka__user_password_request__init(&q->u.password);
	q->u.password.login = (char *)login;
	q->u.password.password = (char *)pw;
	q->r.op_case = KARTOTEKA__REQUEST__OP_USER_PASSWORD;
	q->r.user_password = &q->u.password;
	return &q->r;
}

static Kartoteka__Request *
disable(req_t *q, const char *login, int enable)
{
	kartoteka__request__init(&q->r);
	kartoteka__user_disable_request__init(&q->u.disable);
	q->u.disable.login = (char *)login;
	q->u.disable.enable = enable;
	q->r.op_case = KARTOTEKA__REQUEST__OP_USER_DISABLE;
	q->r.user_disable = &q->u.disable;
	return &q->r;
}

static Kartoteka__Request *
list(req_t *q, int all)
{
	kartoteka__request__init(&q->r);
	kartoteka__user_list_request__init(&q->u.list);
	q->u.list.include_disabled = all;
	q->r.op_case = KARTOTEKA__REQUEST__OP_USER_LIST;
	q->r.user_list = &q->u.list;
	return &q->r;
}

static Kartoteka__Request *
login(req_t *q, const char *l, const char *pw)
{
	kartoteka__request__init(&q->r);
	kartoteka__login_request__init(&q->u.login);
	q->u.login.login = (char *)l;
	q->u.login.password = (char *)pw;
	q->r.op_case = KARTOTEKA__REQUEST__OP_LOGIN;
	q->r.login = &q->u.login;
	return &q->r;
}

static Kartoteka__Request *
restrict_(req_t *q, const char *l, int lift)
{
	kartoteka__request__init(&q->r);
	kartoteka__user_restrict_request__init(&q->u.restrict_);
	q->u.restrict_.login = (char *)l;
	q->u.restrict_.lift = lift;
	q->r.op_case = KARTOTEKA__REQUEST__OP_USER_RESTRICT;
	q->r.user_restrict = &q->u.restrict_;
	return &q->r;
}

static Kartoteka__Request *
offboard(req_t *q, const char *l, const char *to)
{
	kartoteka__request__init(&q->r);
	kartoteka__user_offboard_request__init(&q->u.offboard);
	q->u.offboard.login = (char *)l;
	q->u.offboard.to = (char *)to;
	q->r.op_case = KARTOTEKA__REQUEST__OP_USER_OFFBOARD;
	q->r.user_offboard = &q->u.offboard;
	return &q->r;
}

/* A card titled title in branch (by name), its one person named Anna. */
static Kartoteka__Request *
client_add(req_t *q, const char *title, const char *branch)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_add_request__init(&q->u.cadd);
	kartoteka__client__init(&q->client);
	kartoteka__person__init(&q->person);
	q->client.title = (char *)title;
	q->client.branch = (char *)branch;
	q->person.name = "Anna";
	q->people[0] = &q->person;
	q->client.people = q->people;
	q->client.n_people = 1;
	q->u.cadd.client = &q->client;
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_ADD;
	q->r.client_add = &q->u.cadd;
	return &q->r;
}

static Kartoteka__Request *
client_show(req_t *q, uint64_t id)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_show_request__init(&q->u.cshow);
	q->u.cshow.id = id;
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_SHOW;
	q->r.client_show = &q->u.cshow;
	return &q->r;
}

static Kartoteka__Request *
client_list(req_t *q)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_list_request__init(&q->u.clist);
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_LIST;
	q->r.client_list = &q->u.clist;
	return &q->r;
}

/* The manager of client id as stored. */
static uint64_t
manager_of(kt_h_t *h, uint64_t id, uint64_t *version)
{
	Ktstore__ClientRecord *rec = NULL;
	MDB_txn *txn;
	uint64_t m;

	assert_int_equal(kt_store_read_begin(h->srv->store, &txn), 0);
	assert_int_equal(kt_cstore_get(txn, kt_store_dbs(h->srv->store), id,
	    &rec), 0);
	kt_store_read_end(h->srv->store, txn);
	m = rec->manager;
	if (version != NULL)
		*version = rec->version;
	protobuf_c_message_free_unpacked(&rec->base, NULL);
	return m;
}

/* The last audit entry is action on user id, by the owner. */
static void
expect_entry(kt_h_t *h, const char *action, uint64_t id)
{
	kt_h_entry_t e = kt_h_audit_last(h);
	char object[48];

	snprintf(object, sizeof(object), "user:%" PRIu64, id);
	assert_string_equal(e.action, action);
	assert_string_equal(e.object, object);
	assert_true(e.user == h->owner);
	assert_int_equal(e.outcome, 0);
}

static int
session_alive(kt_h_t *h, const uint8_t hash[32], kt_conn_t *c)
{
	MDB_txn *txn;
	uint64_t user;
	int64_t expires;
	int rc;

	assert_int_equal(kt_store_read_begin(h->srv->store, &txn), 0);
	rc = kt_session_rec_check(txn, kt_store_dbs(h->srv->store), hash,
	    kt_session_terminal_key(kt_session_of(c)), kt_now_s(), &user,
	    &expires);
	kt_store_read_end(h->srv->store, txn);
	return rc == 0;
}

static int
no_inflight(void *arg)
{
	return kt_h_inflight(arg) == 0;
}

/* ---- tests ------------------------------------------------------------------ */

static void
add_hashes_and_audits(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	kt_conn_t *t = kt_h_connect_enrolled(h, b, NULL);
	Kartoteka__UserInfo *u;
	Kartoteka__Response *r;
	req_t q;

	(void)state;
	r = kt_h_call(h, o, add(&q, "vera", MANAGER, "North", NEW_PASSWORD,
	    5));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_USER);
	u = r->user->user;
	assert_string_equal(u->login, "vera");
	assert_int_equal(u->role, MANAGER);
	assert_int_equal(u->n_branches, 1);
	assert_string_equal(u->branches[0], "North");
	assert_int_equal(u->daily_view_quota, 5);
	assert_false(u->disabled);
	expect_entry(h, "user.add", u->id);
	/* The stored hash is of that password. */
	r = kt_h_call(h, t, login(&q, "vera", NEW_PASSWORD));
	kt_h_expect_ok(r);
	assert_true(kt_h_user_of(t) == u->id);
	kt_h_free(h);
}

static void
add_refused_without_a_write(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	uint64_t audit;
	Kartoteka__Response *r;
	req_t q;

	(void)state;
	(void)kt_h_user(h, "masha", MANAGER, kt_h_branch(h, "North"), 0);
	audit = kt_h_audit_count(h);
	kt_h_expect_error(kt_h_call(h, o, add(&q, "vera",
	    KARTOTEKA__ROLE__OWNER, "North", NEW_PASSWORD, 0)), E_BAD,
	    "role: must be HEAD or MANAGER (there is one owner)");
	r = kt_h_call(h, o, add(&q, "Vera K", MANAGER, "North", NEW_PASSWORD,
	    0));
	kt_h_expect_error(r, E_BAD, NULL);
	assert_true(strncmp(r->error->message, "login: ", 7) == 0);
	r = kt_h_call(h, o, add(&q, "vera", MANAGER, "North", "short", 0));
	kt_h_expect_error(r, E_BAD, NULL);
	assert_true(strncmp(r->error->message, "password: ", 10) == 0);
	kt_h_expect_error(kt_h_call(h, o, add(&q, "vera", MANAGER, "Nowhere",
	    NEW_PASSWORD, 0)), E_BAD, "branches: no branch named 'Nowhere'");
	kt_h_expect_error(kt_h_call(h, o, add(&q, "vera", MANAGER, NULL,
	    NEW_PASSWORD, 0)), E_BAD, "branches: give at least one branch");
	kt_h_expect_error(kt_h_call(h, o, add(&q, "masha", HEAD, "North",
	    NEW_PASSWORD, 0)), E_CONFLICT, "login: 'masha' is already taken");
	assert_true(kt_h_audit_count(h) == audit);
	kt_h_free(h);
}

static void
change_named_fields(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	uint64_t audit;
	Kartoteka__Response *r;
	req_t q;

	(void)state;
	change(&q, "masha", "daily_view_quota");
	q.u.change.daily_view_quota = 9;
	q.u.change.name = "ignored: not named";
	r = kt_h_call(h, o, &q.r);
	kt_h_expect_ok(r);
	assert_int_equal(r->user->user->daily_view_quota, 9);
	/* The row quota; 0 again is the role's default. */
	change(&q, "masha", "daily_row_quota");
	q.u.change.daily_row_quota = 70;
	r = kt_h_call(h, o, &q.r);
	kt_h_expect_ok(r);
	assert_int_equal(r->user->user->daily_row_quota, 70);
	assert_int_equal(r->user->user->daily_view_quota, 9);
	assert_non_null(strstr(kt_h_audit_last(h).detail, "row_quota=70"));
	change(&q, "masha", "daily_row_quota");
	q.u.change.daily_row_quota = 0;
	r = kt_h_call(h, o, &q.r);
	assert_int_equal(r->user->user->daily_row_quota, 2000);
	change(&q, "masha", "daily_row_quota");
	q.u.change.daily_row_quota = 20000000;
	kt_h_expect_error(kt_h_call(h, o, &q.r), E_BAD,
	    "daily_row_quota: at most 10000000");
	assert_string_equal(r->user->user->name, "masha");
	expect_entry(h, "user.change", m);
	audit = kt_h_audit_count(h);
	kt_h_expect_error(kt_h_call(h, o, change(&q, "masha", "age")), E_BAD,
	    "fields: unknown field 'age' (name, role, branches, "
	    "daily_view_quota, daily_row_quota)");
	kt_h_expect_error(kt_h_call(h, o, change(&q, "nobody",
	    "daily_view_quota")), E_NOTFOUND, "no user with login 'nobody'");
	kt_h_expect_error(kt_h_call(h, o, change(&q, KT_H_OWNER,
	    "daily_view_quota")), E_FORBIDDEN,
	    "the owner's role, branches and quota cannot be changed");
	assert_true(kt_h_audit_count(h) == audit);
	kt_h_free(h);
}

static void
password_logs_user_out_everywhere(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	uint64_t v = kt_h_user(h, "vera", MANAGER, b, 0);
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	kt_conn_t *m1 = kt_h_connect_enrolled(h, b, NULL);
	kt_conn_t *m2 = kt_h_connect_enrolled(h, b, NULL);
	kt_conn_t *v1 = kt_h_session(h, v, b);
	uint8_t h1[32], h2[32];
	req_t q;

	(void)state;
	kt_h_login(h, m1, m, NULL, h1);
	kt_h_login(h, m2, m, NULL, h2);
	kt_h_expect_ok(kt_h_call(h, o, password(&q, "masha", NEW_PASSWORD)));
	expect_entry(h, "user.password", m);
	assert_true(kt_h_user_of(m1) == 0);
	assert_true(kt_h_user_of(m2) == 0);
	assert_false(kt_fake_conn_closed(m1) || kt_fake_conn_closed(m2));
	assert_false(session_alive(h, h1, m1));
	assert_false(session_alive(h, h2, m2));
	assert_true(kt_h_user_of(v1) == v);
	assert_true(kt_h_user_of(o) == h->owner);
	/* Only the new password opens a session now. */
	kt_h_expect_ok(kt_h_call(h, m1, login(&q, "masha", NEW_PASSWORD)));
	assert_true(kt_h_user_of(m1) == m);
	kt_h_free(h);
}

static void
password_change_dropped_when_asker_left(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	kt_conn_t *m1 = kt_h_session(h, m, b);
	uint64_t audit = kt_h_audit_count(h);
	req_t q;

	(void)state;
	kt_h_send(h, o, password(&q, "masha", NEW_PASSWORD));
	kt_conn_close(o, 0);
	kt_h_run_until(h, no_inflight, o);
	/* Nobody waits for the answer: nothing was changed. */
	assert_true(kt_h_audit_count(h) == audit);
	assert_true(kt_h_user_of(m1) == m);
	assert_int_equal(kt_fake_conn_nsent(o), 0);
	kt_h_free(h);
}

static void
disable_closes_connections(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	uint64_t v = kt_h_user(h, "vera", MANAGER, b, 0);
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	kt_conn_t *m1 = kt_h_session(h, m, b);
	kt_conn_t *m2 = kt_h_session(h, m, b);
	kt_conn_t *v1 = kt_h_session(h, v, b);
	Kartoteka__Response *r;
	req_t q;

	(void)state;
	r = kt_h_call(h, o, disable(&q, "masha", 0));
	kt_h_expect_ok(r);
	assert_true(r->user->user->disabled);
	expect_entry(h, "user.disable", m);
	assert_true(kt_fake_conn_closed(m1) && !kt_fake_conn_flush(m1));
	assert_true(kt_fake_conn_closed(m2) && !kt_fake_conn_flush(m2));
	assert_false(kt_fake_conn_closed(v1));
	assert_false(kt_fake_conn_closed(o));
	kt_h_expect_error(kt_h_call(h, o, disable(&q, "masha", 0)), E_CONFLICT,
	    "user 'masha' is already disabled");
	r = kt_h_call(h, o, disable(&q, "masha", 1));
	kt_h_expect_ok(r);
	assert_false(r->user->user->disabled);
	expect_entry(h, "user.enable", m);
	kt_h_expect_error(kt_h_call(h, o, disable(&q, KT_H_OWNER, 0)),
	    E_FORBIDDEN, "the owner cannot be disabled");
	assert_false(kt_fake_conn_closed(o));
	kt_h_free(h);
}

static void
list_leaves_with_its_entry(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	Kartoteka__Response *r;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	(void)kt_h_user(h, "masha", MANAGER, b, 0);
	(void)kt_h_user(h, "vera", HEAD, b, 0);
	kt_h_set_disabled(h, "vera", 1);
	kt_h_watch_audit(h, o);
	r = kt_h_call(h, o, list(&q, 0));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_USER_LIST);
	assert_int_equal(r->user_list->n_users, 2);      /* owner, masha */
	e = kt_h_audit_when_sent(h, o, 0);
	assert_string_equal(e.action, "user.list");
	assert_string_equal(e.detail, "rows=2");
	r = kt_h_call(h, o, list(&q, 1));
	assert_int_equal(r->user_list->n_users, 3);
	assert_string_equal(kt_h_audit_when_sent(h, o, 1).detail, "rows=3 all");
	for (size_t i = 0; i < r->user_list->n_users; i++)
		if (strcmp(r->user_list->users[i]->login, "vera") == 0)
			assert_true(r->user_list->users[i]->disabled);
	kt_h_free(h);
}

static void
restrict_read_only_until_lifted(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	uint64_t g = kt_h_user(h, "galina", HEAD, b, 0);
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	kt_conn_t *mc = kt_h_session(h, m, b), *gc = kt_h_session(h, g, b);
	Kartoteka__Response *r;
	kt_h_entry_t e;
	uint64_t id, audit;
	req_t q;

	(void)state;
	r = kt_h_call(h, mc, client_add(&q, "Ивановы", NULL));
	kt_h_expect_ok(r);
	id = r->client->client->id;
	r = kt_h_call(h, o, restrict_(&q, "masha", 0));
	kt_h_expect_ok(r);
	assert_true(r->user->user->restricted);
	expect_entry(h, "user.restrict", m);
	/* Lists stay, masked; no full card, no change, no new card. */
	r = kt_h_call(h, mc, client_list(&q));
	kt_h_expect_ok(r);
	assert_int_equal(r->client_list->n_rows, 1);
	r = kt_h_call(h, mc, client_show(&q, id));
	kt_h_expect_error(r, E_FORBIDDEN, NULL);
	assert_non_null(strstr(r->error->message, "restricted"));
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "client.view");
	assert_true(e.user == m);
	assert_int_equal(e.outcome, E_FORBIDDEN);
	kt_h_expect_error(kt_h_call(h, mc, client_add(&q, "Петровы", NULL)),
	    E_FORBIDDEN, NULL);
	assert_string_equal(kt_h_audit_last(h).action, "client.add");
	/* The head is not touched by it. */
	kt_h_expect_ok(kt_h_call(h, gc, client_show(&q, id)));
	/* Twice, the owner, nobody: refused without a write. */
	audit = kt_h_audit_count(h);
	kt_h_expect_error(kt_h_call(h, o, restrict_(&q, "masha", 0)),
	    E_CONFLICT, "user 'masha' is already restricted");
	kt_h_expect_error(kt_h_call(h, o, restrict_(&q, KT_H_OWNER, 0)),
	    E_FORBIDDEN, "the owner cannot be restricted");
	kt_h_expect_error(kt_h_call(h, o, restrict_(&q, "nobody", 0)),
	    E_NOTFOUND, NULL);
	assert_true(kt_h_audit_count(h) == audit);
	/* Shown in the list. */
	r = kt_h_call(h, o, list(&q, 0));
	for (size_t i = 0; i < r->user_list->n_users; i++)
		assert_int_equal(r->user_list->users[i]->restricted,
		    r->user_list->users[i]->id == m);
	/* Lifted: back to work. */
	kt_h_expect_ok(kt_h_call(h, o, restrict_(&q, "masha", 1)));
	expect_entry(h, "user.unrestrict", m);
	kt_h_expect_ok(kt_h_call(h, mc, client_show(&q, id)));
	kt_h_free(h);
}

static void
offboard_in_one_step(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	uint64_t v = kt_h_user(h, "vera", MANAGER, b, 0);
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	kt_conn_t *mc = kt_h_session(h, m, b), *vc = kt_h_session(h, v, b);
	Kartoteka__UserOffboardResponse *ob;
	Kartoteka__Response *r;
	uint64_t ids[3], v0, v1, vera_card;
	uint8_t hash[32];
	kt_h_entry_t e;
	req_t q;

	(void)state;
	for (int i = 0; i < 3; i++) {
		r = kt_h_call(h, mc, client_add(&q, "Семья", NULL));
		kt_h_expect_ok(r);
		ids[i] = r->client->client->id;
	}
	kt_h_expect_ok(kt_h_call(h, mc, client_show(&q, ids[0])));
	kt_h_expect_ok(kt_h_call(h, mc, client_list(&q)));
	r = kt_h_call(h, vc, client_add(&q, "Чужие", NULL));
	vera_card = r->client->client->id;
	(void)manager_of(h, ids[1], &v0);
	/* A second session of hers, on another desk. */
	{
		kt_conn_t *m2 = kt_h_connect_enrolled(h, b, NULL);

		kt_h_login(h, m2, m, NULL, hash);
		r = kt_h_call(h, o, offboard(&q, "masha", "vera"));
		kt_h_expect_ok(r);
		assert_int_equal(r->result_case,
		    KARTOTEKA__RESPONSE__RESULT_USER_OFFBOARD);
		kt_h_settle(h);
		assert_true(!kt_h_alive(h, m2) || kt_fake_conn_closed(m2));
	}
	ob = r->user_offboard;
	assert_true(ob->user->disabled);
	assert_string_equal(ob->to, "vera");
	assert_int_equal(ob->clients_reassigned, 3);
	assert_int_equal(ob->sessions_ended, 2);
	/* Her activity comes with it: today's views and listed rows. */
	assert_non_null(ob->summary);
	assert_int_equal(ob->summary->n_days, 30);
	assert_int_equal(ob->summary->days[29]->views, 1);
	assert_int_equal(ob->summary->days[29]->changes, 3);
	assert_true(ob->summary->days[29]->rows >= 3);
	/* One entry with the counts. */
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "user.offboard");
	assert_non_null(strstr(e.detail, "clients=3"));
	assert_non_null(strstr(e.detail, "sessions_ended=2"));
	assert_non_null(strstr(e.detail, "deals=0"));  /* test_ops_deal.c */
	/* Every card is vera's now, a new version; vera's own untouched. */
	for (int i = 0; i < 3; i++)
		assert_true(manager_of(h, ids[i], NULL) == v);
	(void)manager_of(h, ids[1], &v1);
	assert_true(v1 == v0 + 1);
	assert_true(manager_of(h, vera_card, NULL) == v);
	/* Her connections are closed, her sessions gone. */
	assert_true(!kt_h_alive(h, mc) || kt_fake_conn_closed(mc));
	assert_false(session_alive(h, hash, vc));
	assert_true(kt_h_user_of(vc) == v);
	kt_h_free(h);
}

static void
offboard_refused_whole(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North"), s = kt_h_branch(h, "South");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	uint64_t v = kt_h_user(h, "vera", MANAGER, s, 0);
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	kt_conn_t *mc = kt_h_session(h, m, b);
	Kartoteka__Response *r;
	uint64_t id, audit;
	req_t q;

	(void)state;
	(void)v;
	(void)kt_h_user(h, "rita", MANAGER, b, 0);
	r = kt_h_call(h, mc, client_add(&q, "Семья", NULL));
	id = r->client->client->id;
	audit = kt_h_audit_count(h);
	/* vera works in South only: nothing is done at all. */
	r = kt_h_call(h, o, offboard(&q, "masha", "vera"));
	kt_h_expect_error(r, E_BAD, NULL);
	assert_non_null(strstr(r->error->message, "to: user 'vera' does not "
	    "work in branch 'North'"));
	assert_non_null(strstr(r->error->message, "nothing was changed"));
	kt_h_expect_error(kt_h_call(h, o, offboard(&q, "masha", "masha")),
	    E_BAD, "to: must be another user than the one who leaves");
	kt_h_expect_error(kt_h_call(h, o, offboard(&q, "masha", "nobody")),
	    E_NOTFOUND, "to: no user with login 'nobody'");
	kt_h_expect_error(kt_h_call(h, o, offboard(&q, KT_H_OWNER, "vera")),
	    E_FORBIDDEN, "the owner cannot be offboarded");
	kt_h_expect_error(kt_h_call(h, o, offboard(&q, "masha", "Bad Login")),
	    E_BAD, NULL);
	/* To someone under notice: no. */
	kt_h_expect_ok(kt_h_call(h, o, restrict_(&q, "rita", 0)));
	audit++;
	kt_h_expect_error(kt_h_call(h, o, offboard(&q, "masha", "rita")),
	    E_BAD, "to: user 'rita' is in the notice period (restricted)");
	assert_true(kt_h_audit_count(h) == audit);
	assert_true(manager_of(h, id, NULL) == m);
	assert_true(kt_h_user_of(mc) == m);
	/* A manager may not offboard anyone. */
	kt_h_expect_error(kt_h_call(h, mc, offboard(&q, "rita", "masha")),
	    E_FORBIDDEN, NULL);
	/* To the owner: always fits. */
	r = kt_h_call(h, o, offboard(&q, "masha", KT_H_OWNER));
	kt_h_expect_ok(r);
	assert_true(manager_of(h, id, NULL) == h->owner);
	kt_h_free(h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(restrict_read_only_until_lifted),
	cmocka_unit_test(offboard_in_one_step),
	cmocka_unit_test(offboard_refused_whole),
	cmocka_unit_test(add_hashes_and_audits),
	cmocka_unit_test(add_refused_without_a_write),
	cmocka_unit_test(change_named_fields),
	cmocka_unit_test(password_logs_user_out_everywhere),
	cmocka_unit_test(password_change_dropped_when_asker_left),
	cmocka_unit_test(disable_closes_connections),
	cmocka_unit_test(list_leaves_with_its_entry),
};

KT_TEST_MAIN(tests)
