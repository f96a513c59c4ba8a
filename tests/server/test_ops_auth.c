/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/auth.c through kt_dispatch_message on the fake
 * network: ping, enrolment with an invite, login (its audit entries, the
 * failure count and the lock per login and terminal, a disabled user, a
 * terminal the user may not use answering like a wrong password, the
 * next login at a desk ending the session left there), resume (audited,
 * idle times), logout (ending the session on every connection, also when
 * the asking one went away), whoami and the owner's unlock. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "kt_test.h"

#include "kt_error.h"
#include "model/alert_store.h"
#include "model/bizday.h"
#include "model/branch_store.h"
#include "model/identity.h"
#include "model/session_store.h"
#include "model/terminal_store.h"
#include "model/user_store.h"
#include "server/harness.h"
#include "session.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_UNAUTH KARTOTEKA__ERROR__CODE__UNAUTHENTICATED
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define E_CONFLICT KARTOTEKA__ERROR__CODE__CONFLICT
#define E_RATE KARTOTEKA__ERROR__CODE__RATE_LIMITED
#define MANAGER KARTOTEKA__ROLE__MANAGER

/* ---- requests ------------------------------------------------------------- */

typedef struct req {
	Kartoteka__Request r;
	union {
		Kartoteka__PingRequest ping;
		Kartoteka__EnrollRequest enroll;
		Kartoteka__LoginRequest login;
		Kartoteka__ResumeRequest resume;
		Kartoteka__LogoutRequest logout;
		Kartoteka__WhoamiRequest whoami;
		Kartoteka__UserUnlockRequest unlock;
	} u;
} req_t;

static Kartoteka__Request *
ping(req_t *q)
{
	kartoteka__request__init(&q->r);
	kartoteka__ping_request__init(&q->u.ping);
	q->r.op_case = KARTOTEKA__REQUEST__OP_PING;
	q->r.ping = &q->u.ping;
	return &q->r;
}

static Kartoteka__Request *
enroll(req_t *q, const uint8_t *token, size_t len, const char *name)
{
	kartoteka__request__init(&q->r);
	kartoteka__enroll_request__init(&q->u.enroll);
	q->u.enroll.token.data = (uint8_t *)token;
	q->u.enroll.token.len = len;
	q->u.enroll.name = (char *)name;
	q->r.op_case = KARTOTEKA__REQUEST__OP_ENROLL;
	q->r.enroll = &q->u.enroll;
	return &q->r;
}

static Kartoteka__Request *
login(req_t *q, const char *l, const char *password)
{
	kartoteka__request__init(&q->r);
	kartoteka__login_request__init(&q->u.login);
	q->u.login.login = (char *)l;
	q->u.login.password = (char *)password;
	q->r.op_case = KARTOTEKA__REQUEST__OP_LOGIN;
	q->r.login = &q->u.login;
	return &q->r;
}

static Kartoteka__Request *
resume(req_t *q, const uint8_t *token, size_t len)
{
	kartoteka__request__init(&q->r);
	kartoteka__resume_request__init(&q->u.resume);
	q->u.resume.token.data = (uint8_t *)token;
	q->u.resume.token.len = len;
	q->r.op_case = KARTOTEKA__REQUEST__OP_RESUME;
	q->r.resume = &q->u.resume;
	return &q->r;
}

static Kartoteka__Request *
logout(req_t *q)
{
	kartoteka__request__init(&q->r);
	kartoteka__logout_request__init(&q->u.logout);
	q->r.op_case = KARTOTEKA__REQUEST__OP_LOGOUT;
	q->r.logout = &q->u.logout;
	return &q->r;
}

static Kartoteka__Request *
whoami(req_t *q)
{
	kartoteka__request__init(&q->r);
	kartoteka__whoami_request__init(&q->u.whoami);
	q->r.op_case = KARTOTEKA__REQUEST__OP_WHOAMI;
	q->r.whoami = &q->u.whoami;
	return &q->r;
}

static Kartoteka__Request *
unlock(req_t *q, const char *l)
{
	kartoteka__request__init(&q->r);
	kartoteka__user_unlock_request__init(&q->u.unlock);
	q->u.unlock.login = (char *)l;
	q->r.op_case = KARTOTEKA__REQUEST__OP_USER_UNLOCK;
	q->r.user_unlock = &q->u.unlock;
	return &q->r;
}

/* ---- the store -------------------------------------------------------------- */

typedef struct invite_job {
	kt_h_t *h;
	uint64_t branch;
	const char *bname;
	uint8_t token[32];
} invite_job_t;

static int
invite_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	invite_job_t *j = arg;
	kt_actor_t a = { j->h->owner, NULL, j->h->srv->sign_sk };

	return kt_invite_put(st, txn, &a, j->branch, j->bname, j->token,
	    kt_now_s(), KT_INVITE_TTL_S);
}

/* An invite for branch; token gets its 32 bytes. */
static void
invite(kt_h_t *h, uint64_t branch, const char *bname, uint8_t token[32])
{
	invite_job_t j = { h, branch, bname, { 0 } };

	randombytes_buf(j.token, 32);
	assert_int_equal(kt_h_write(h, invite_mut, &j), 0);
	memcpy(token, j.token, 32);
}

/* kt_session_rec_check of the session under hash for key. */
static int
session_check(kt_h_t *h, const uint8_t hash[32], const uint8_t key[32])
{
	MDB_txn *txn;
	uint64_t user;
	int64_t expires;
	int rc;

	assert_int_equal(kt_store_read_begin(h->srv->store, &txn), 0);
	rc = kt_session_rec_check(txn, kt_store_dbs(h->srv->store), hash, key,
	    kt_now_s(), &user, &expires);
	kt_store_read_end(h->srv->store, txn);
	return rc;
}

typedef struct kinds {
	unsigned n[KT_ALERT_KIND_COUNT];
	uint64_t user[KT_ALERT_KIND_COUNT];   /* of the newest */
} kinds_t;

static int
kind_one(const Ktstore__AlertRecord *a, void *arg)
{
	kinds_t *k = arg;

	if (a->kind < KT_ALERT_KIND_COUNT) {
		if (k->n[a->kind]++ == 0)
			k->user[a->kind] = a->user_id;
	}
	return 0;
}

/* The stored alerts, counted by kind. */
static kinds_t
alerts(kt_h_t *h)
{
	kinds_t k;
	MDB_txn *txn;

	memset(&k, 0, sizeof(k));
	assert_int_equal(kt_store_read_begin(h->srv->store, &txn), 0);
	assert_int_equal(kt_alert_each(txn, kt_store_dbs(h->srv->store), 0, 1,
	    0, kind_one, &k, NULL), 0);
	kt_store_read_end(h->srv->store, txn);
	return k;
}

static int
noop_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	(void)st;
	(void)txn;
	(void)arg;
	return 0;
}

/* Waits until everything queued to the writer so far is committed (it
 * commits in order): a resume's entry is written after its answer. */
static void
flush_writer(kt_h_t *h)
{
	assert_int_equal(kt_h_write(h, noop_mut, NULL), 0);
}

static int
no_inflight(void *arg)
{
	return kt_h_inflight(arg) == 0;
}

/* ---- ping and enrolment ------------------------------------------------------ */

static void
ping_any_terminal(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *u = kt_h_connect_unenrolled(h);
	kt_conn_t *e = kt_h_connect_enrolled(h, 0, NULL);
	uint64_t audit = kt_h_audit_count(h);
	Kartoteka__Response *r;
	req_t q;

	(void)state;
	r = kt_h_call(h, u, ping(&q));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_PING);
	assert_false(r->ping->enrolled);
	assert_string_equal(r->ping->server_version, KT_SERVER_VERSION);
	assert_true(r->ping->server_time > 0);
	r = kt_h_call(h, e, ping(&q));
	assert_true(r->ping->enrolled);
	assert_true(kt_h_audit_count(h) == audit);   /* not audited */
	kt_h_free(h);
}

static void
enroll_with_invite(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint8_t token[32], key[32], key2[32];
	char object[48];
	kt_conn_t *c, *d;
	Kartoteka__Response *r;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	h->srv->enroll_limit.per_minute = 1;
	invite(h, b, "North", token);
	randombytes_buf(key, 32);
	c = kt_h_connect(h, key);
	r = kt_h_call(h, c, enroll(&q, token, 32, "till 1"));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_ENROLL);
	assert_string_equal(r->enroll->terminal->name, "till 1");
	assert_string_equal(r->enroll->terminal->branch, "North");
	assert_int_equal(r->enroll->terminal->public_key.len, 32);
	assert_memory_equal(r->enroll->terminal->public_key.data, key, 32);
	assert_true(kt_session_enrolled(kt_session_of(c)));
	assert_true(kt_session_terminal_branch(kt_session_of(c)) == b);
	assert_true(kt_fake_conn_trusted(c));
	assert_false(kt_fake_conn_closed(c));
	e = kt_h_audit_last(h);
	kt_terminal_object(object, key);
	assert_string_equal(e.action, "enroll");
	assert_string_equal(e.object, object);
	assert_true(e.has_terminal);
	assert_int_equal(e.outcome, 0);
	/* Once enrolled, never again on this connection. */
	r = kt_h_call(h, c, enroll(&q, token, 32, "till 1"));
	kt_h_expect_error(r, E_CONFLICT, "this terminal is already enrolled");
	/* The invite is used up; and the success above was refunded: with
	 * a budget of one failure this attempt still gets through. */
	randombytes_buf(key2, 32);
	d = kt_h_connect(h, key2);
	r = kt_h_call(h, d, enroll(&q, token, 32, "till 2"));
	kt_h_expect_error(r, E_UNAUTH, "invite code was already used: ask "
	    "the owner for a new one");
	assert_true(kt_fake_conn_flush(d));
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "enroll.failed");
	assert_int_equal(e.outcome, E_UNAUTH);
	kt_h_free(h);
}

static void
enroll_bad_input(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_unenrolled(h);
	uint64_t audit = kt_h_audit_count(h);
	uint8_t token[40] = { 0 };
	Kartoteka__Response *r;
	req_t q;

	(void)state;
	kt_h_expect_error(kt_h_call(h, c, enroll(&q, token, 8, "till")), E_BAD,
	    "token: 8 bytes, expected 16 to 32");
	kt_h_expect_error(kt_h_call(h, c, enroll(&q, token, 33, "till")),
	    E_BAD, "token: 33 bytes, expected 16 to 32");
	r = kt_h_call(h, c, enroll(&q, token, 16, ""));
	kt_h_expect_error(r, E_BAD, NULL);
	assert_true(strncmp(r->error->message, "name: terminal name ", 20) ==
	    0);
	/* The server's limit is the CLI's: 64 bytes (the CLI used to let 99
	 * through), and a name is checked as text: a C1 control character
	 * (valid UTF-8, U+0085) used to pass the server's byte check. */
	{
		char name[66];
		memset(name, 'n', 65);
		name[65] = '\0';
		kt_h_expect_error(kt_h_call(h, c, enroll(&q, token, 16, name)),
		    E_BAD, "name: terminal name is longer than 64 bytes");
		kt_h_expect_error(kt_h_call(h, c, enroll(&q, token, 16,
		    "desk\xc2\x85")), E_BAD, "name: terminal name contains "
		    "control characters or invalid UTF-8");
	}
	assert_false(kt_fake_conn_closed(c));
	assert_true(kt_h_audit_count(h) == audit);   /* nothing tried */
	kt_h_free(h);
}

/* ---- login ---------------------------------------------------------------------- */

static void
login_success_audited(void **state)
{
	kt_h_t *h = kt_h_new();
	uint8_t key[32], hash[32];
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, key);
	Kartoteka__Response *r;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	r = kt_h_call(h, c, login(&q, KT_H_OWNER, KT_H_PASSWORD));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_LOGIN);
	assert_int_equal(r->login->token.len, 32);
	assert_true(r->login->expires_at > kt_now_s());
	/* It ends at the end of the business day (the harness's zone is
	 * UTC), or after the session time if that comes first. */
	{
		int64_t now = kt_now_s(), day_end = 0;
		(void)kt_tz_day(kt_tzcache_get(h->srv->tz, ""), now, &day_end);
		assert_true(r->login->expires_at <= day_end);
		assert_true(r->login->expires_at == day_end ||
		    r->login->expires_at >= now - 5 +
		    h->srv->opts.session_ttl_s);
	}
	assert_true(r->login->idle_s == 2 * 3600);   /* an owner terminal */
	assert_string_equal(r->login->user->login, KT_H_OWNER);
	assert_int_equal(r->login->user->role, KARTOTEKA__ROLE__OWNER);
	assert_true(kt_h_user_of(c) == h->owner);
	/* The session is the token's, in the store and on the connection. */
	crypto_generichash(hash, 32, r->login->token.data, 32, NULL, 0);
	assert_memory_equal(kt_session_token_hash(kt_session_of(c)), hash, 32);
	assert_int_equal(session_check(h, hash, key), 0);
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "login");
	assert_string_equal(e.object, "login:" KT_H_OWNER);
	assert_true(e.user == h->owner);
	assert_int_equal(e.outcome, 0);
	kt_h_expect_ok(kt_h_call(h, c, whoami(&q)));
	kt_h_free(h);
}

static void
login_failures_counted(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	kt_h_entry_t e;
	req_t q;

	(void)state;
	kt_h_expect_error(kt_h_call(h, c, login(&q, KT_H_OWNER, "not it")),
	    E_UNAUTH, "wrong login or password");
	assert_true(kt_h_user_of(c) == 0);
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "login.failed");
	assert_string_equal(e.object, "login:" KT_H_OWNER);
	assert_string_equal(e.detail, "wrong password, failure 1 on this "
	    "terminal");
	assert_int_equal(e.outcome, E_UNAUTH);
	assert_true(e.user == h->owner);
	/* An unknown login answers the same, and says so only in the
	 * audit. */
	kt_h_expect_error(kt_h_call(h, c, login(&q, "nobody", KT_H_PASSWORD)),
	    E_UNAUTH, "wrong login or password");
	e = kt_h_audit_last(h);
	assert_string_equal(e.detail, "unknown login, failure 1 on this "
	    "terminal");
	assert_true(e.user == 0);
	/* Malformed: refused before any work. */
	kt_h_expect_error(kt_h_call(h, c, login(&q, KT_H_OWNER, "")), E_BAD,
	    NULL);
	assert_string_equal(kt_h_audit_last(h).detail,
	    "unknown login, failure 1 on this terminal");
	kt_h_free(h);
}

static void
login_locked_after_failures(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	const char *locked = "too many failed attempts for this login: try "
	    "again in 15 minutes";
	uint64_t audit;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	h->srv->opts.lockout_after = 2;
	h->srv->opts.lockout_s = 900;
	h->srv->opts.login_delay_after = 100;   /* no growing delays here */
	kt_h_expect_error(kt_h_call(h, c, login(&q, KT_H_OWNER, "guess 1")),
	    E_UNAUTH, NULL);
	kt_h_expect_error(kt_h_call(h, c, login(&q, KT_H_OWNER, "guess 2")),
	    E_UNAUTH, NULL);
	assert_string_equal(kt_h_audit_last(h).detail,
	    "wrong password, failure 2 on this terminal, locked here");
	/* Locked: even the right password is refused, audited once. */
	kt_h_expect_error(kt_h_call(h, c, login(&q, KT_H_OWNER,
	    KT_H_PASSWORD)), E_RATE, locked);
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "login.failed");
	assert_string_equal(e.detail, "locked");
	assert_int_equal(e.outcome, E_RATE);
	assert_true(kt_h_user_of(c) == 0);
	audit = kt_h_audit_count(h);
	kt_h_expect_error(kt_h_call(h, c, login(&q, KT_H_OWNER,
	    KT_H_PASSWORD)), E_RATE, locked);
	assert_true(kt_h_audit_count(h) == audit);
	kt_h_free(h);
}

static void
login_refused_disabled_or_foreign_terminal(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t north = kt_h_branch(h, "North");
	uint64_t south = kt_h_branch(h, "South");
	kt_conn_t *n, *s;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	(void)kt_h_user(h, "masha", MANAGER, north, 0);
	(void)kt_h_user(h, "vera", MANAGER, north, 0);
	n = kt_h_connect_enrolled(h, north, NULL);
	s = kt_h_connect_enrolled(h, south, NULL);
	/* The right password at another branch's desk answers exactly like
	 * a wrong one, and counts as a failure; the audit says why. */
	kt_h_expect_error(kt_h_call(h, s, login(&q, "masha", KT_H_PASSWORD)),
	    E_UNAUTH, "wrong login or password");
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "login.failed");
	assert_int_equal(e.outcome, E_UNAUTH);
	assert_string_equal(e.detail, "right password, but at a terminal of "
	    "another branch, failure 1 on this terminal");
	kt_h_expect_error(kt_h_call(h, s, login(&q, "masha", "not it")),
	    E_UNAUTH, "wrong login or password");
	assert_string_equal(kt_h_audit_last(h).detail, "wrong password, "
	    "failure 2 on this terminal");
	/* A disabled user at another branch's desk: the same. */
	kt_h_set_disabled(h, "vera", 1);
	kt_h_expect_error(kt_h_call(h, s, login(&q, "vera", KT_H_PASSWORD)),
	    E_UNAUTH, "wrong login or password");
	kt_h_expect_error(kt_h_call(h, n, login(&q, "vera", KT_H_PASSWORD)),
	    E_FORBIDDEN, "this account is disabled: ask the owner");
	assert_true(kt_h_user_of(n) == 0);
	/* The owner logs in only from owner terminals (DESIGN 3). */
	kt_h_expect_error(kt_h_call(h, s, login(&q, KT_H_OWNER,
	    KT_H_PASSWORD)), E_UNAUTH, "wrong login or password");
	e = kt_h_audit_last(h);
	assert_true(e.user == h->owner);
	assert_string_equal(e.detail, "right password, but the owner logs in "
	    "only from owner terminals, failure 1 on this terminal");
	assert_true(kt_h_user_of(s) == 0);
	kt_h_free(h);
}

/* ---- sessions -------------------------------------------------------------------- */

static void
resume_on_its_terminal_only(void **state)
{
	kt_h_t *h = kt_h_new();
	uint8_t key[32], token[32];
	kt_conn_t *c1 = kt_h_connect_enrolled(h, 0, key);
	kt_conn_t *c2 = kt_h_connect(h, key);
	kt_conn_t *other = kt_h_connect_enrolled(h, 0, NULL);
	const char *bad = "session has expired or is not valid on this "
	    "terminal: log in again";
	Kartoteka__Response *r;
	req_t q;

	(void)state;
	kt_h_login(h, c1, h->owner, token, NULL);
	r = kt_h_call(h, c2, resume(&q, token, 32));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_RESUME);
	assert_string_equal(r->resume->user->login, KT_H_OWNER);
	assert_true(r->resume->expires_at > kt_now_s());
	assert_true(kt_h_user_of(c2) == h->owner);
	kt_h_expect_error(kt_h_call(h, other, resume(&q, token, 32)), E_UNAUTH,
	    bad);
	assert_true(kt_h_user_of(other) == 0);
	kt_h_expect_error(kt_h_call(h, other, resume(&q, token, 31)), E_UNAUTH,
	    bad);
	token[0] ^= 1;
	kt_h_expect_error(kt_h_call(h, c2, resume(&q, token, 32)), E_UNAUTH,
	    bad);
	kt_h_free(h);
}

static void
logout_answers_and_audits(void **state)
{
	kt_h_t *h = kt_h_new();
	uint8_t key[32], hash[32];
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, key);
	char object[32];
	Kartoteka__Response *r;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	kt_h_login(h, c, h->owner, NULL, hash);
	r = kt_h_call(h, c, logout(&q));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_LOGOUT);
	assert_true(kt_h_user_of(c) == 0);
	assert_int_equal(session_check(h, hash, key), KT_ENOTFOUND);
	e = kt_h_audit_last(h);
	snprintf(object, sizeof(object), "user:%llu",
	    (unsigned long long)h->owner);
	assert_string_equal(e.action, "logout");
	assert_string_equal(e.object, object);
	assert_true(e.user == h->owner);
	kt_h_expect_error(kt_h_call(h, c, whoami(&q)), E_UNAUTH,
	    "not logged in: log in first");
	kt_h_free(h);
}

static void
logout_ends_session_elsewhere_after_close(void **state)
{
	kt_h_t *h = kt_h_new();
	uint8_t key[32], token[32], hash[32];
	kt_conn_t *c1 = kt_h_connect_enrolled(h, 0, key);
	kt_conn_t *c2 = kt_h_connect(h, key);
	kt_conn_t *c3 = kt_h_connect(h, key);
	uint64_t audit;
	req_t q;

	(void)state;
	kt_h_login(h, c1, h->owner, token, hash);
	kt_h_login_token(h, c2, h->owner, token);
	kt_h_login(h, c3, h->owner, NULL, NULL);   /* a session of its own */
	audit = kt_h_audit_count(h);
	kt_h_send(h, c1, logout(&q));
	kt_conn_close(c1, 0);                      /* gone before the answer */
	kt_h_run_until(h, no_inflight, c1);
	assert_int_equal(kt_fake_conn_nsent(c1), 0);
	assert_int_equal(kt_fake_conn_dropped(c1), 1);
	assert_true(kt_h_user_of(c2) == 0);
	assert_true(kt_h_user_of(c3) == h->owner);
	assert_int_equal(session_check(h, hash, key), KT_ENOTFOUND);
	assert_true(kt_h_audit_count(h) == audit + 1);
	assert_string_equal(kt_h_audit_last(h).action, "logout");
	kt_h_free(h);
}

static void
whoami_user_and_terminal(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 7);
	uint8_t key[32];
	kt_conn_t *c;
	Kartoteka__Response *r;
	req_t q;

	(void)state;
	kt_h_terminal(h, b, "front desk", key);
	c = kt_h_connect(h, key);
	kt_h_login(h, c, m, NULL, NULL);
	r = kt_h_call(h, c, whoami(&q));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_WHOAMI);
	assert_string_equal(r->whoami->user->login, "masha");
	assert_int_equal(r->whoami->user->role, MANAGER);
	assert_int_equal(r->whoami->user->n_branches, 1);
	assert_string_equal(r->whoami->user->branches[0], "North");
	assert_int_equal(r->whoami->user->daily_view_quota, 7);
	assert_string_equal(r->whoami->terminal->name, "front desk");
	assert_string_equal(r->whoami->terminal->branch, "North");
	assert_memory_equal(r->whoami->terminal->public_key.data, key, 32);
	assert_true(r->whoami->session_expires_at ==
	    kt_session_expires(kt_session_of(c)));
	assert_int_equal(r->whoami->views_today, 0);
	/* a full view counts: the day's counters, as the quota sees them */
	{
		Kartoteka__Request sr = KARTOTEKA__REQUEST__INIT;
		Kartoteka__ClientShowRequest show =
		    KARTOTEKA__CLIENT_SHOW_REQUEST__INIT;
		show.id = kt_h_client_titled(h, c, "Ивановы");
		sr.op_case = KARTOTEKA__REQUEST__OP_CLIENT_SHOW;
		sr.client_show = &show;
		kt_h_expect_ok(kt_h_call(h, c, &sr));
	}
	r = kt_h_call(h, c, whoami(&q));
	kt_h_expect_ok(r);
	assert_int_equal(r->whoami->views_today, 1);
	kt_h_free(h);
}


/* A login whose password was checked against the old hash reaches the
 * writer after the owner set a new password (which ended every session):
 * it is refused like a wrong password, not given a fresh session with
 * the old one (as it used to be). */
typedef struct pw_job {
	kt_h_t *h;
	char hash[crypto_pwhash_STRBYTES];
	uint64_t id;
	size_t ended;
	kt_verdict_t v;
} pw_job_t;

static int
reset_pw_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	pw_job_t *j = arg;
	kt_actor_t a = { 0, NULL, j->h->srv->sign_sk };

	return kt_user_set_password(st, txn, &a, "masha", j->hash,
	    &j->id, &j->ended, &j->v);
}

static void
login_in_flight_loses_to_password_reset(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t north = kt_h_branch(h, "North");
	uint64_t masha = kt_h_user(h, "masha", MANAGER, north, 0);
	kt_conn_t *m = kt_h_connect_enrolled(h, north, NULL);
	kt_conn_t *m2 = kt_h_connect_enrolled(h, north, NULL);
	pw_job_t j = { .h = h };
	Kartoteka__Response *a;
	req_t q, q2;

	(void)state;
	assert_int_equal(kt_identity_hash_password(j.hash, "another password 42"), 0);
	h->srv->opts.login_delay_after = 0;     /* 250 ms before the check */
	kt_h_send(h, m, login(&q, "masha", KT_H_PASSWORD));
	/* The owner resets the password meanwhile (as user_password does:
	 * the new hash, sessions ended, connections logged out). */
	assert_int_equal(kt_h_write(h, reset_pw_mut, &j), 0);
	assert_true(kt_verdict_is_ok(&j.v));
	kt_session_logout_user(h->srv, masha);
	kt_h_wait(h, m, 1);
	a = kt_h_answer(h, m, 0);
	kt_h_expect_error(a, E_UNAUTH, "wrong login or password");
	assert_true(kt_h_user_of(m) == 0);
	a = kt_h_call(h, m, whoami(&q2));
	kt_h_expect_error(a, E_UNAUTH, NULL);
	/* and the old password does not work afresh either */
	h->srv->opts.login_delay_after = 100;
	kt_h_expect_error(kt_h_call(h, m2, login(&q, "masha", KT_H_PASSWORD)),
	    E_UNAUTH, NULL);
	kt_h_free(h);
}

/* ---- one person per desk, idle sessions, lockout per terminal --------------- */

/* The next login at a desk ends the session left there, and closes its
 * connections; the audit names whose session it ended. */
static void
login_ends_the_desks_session(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t north = kt_h_branch(h, "North");
	uint64_t masha = kt_h_user(h, "masha", MANAGER, north, 0);
	uint8_t key[32], hash1[32], hash2[32];
	kt_conn_t *c1 = kt_h_connect_enrolled(h, north, key);
	kt_conn_t *c2 = kt_h_connect(h, key);
	kt_conn_t *other = kt_h_session(h, masha, north); /* another desk */
	char detail[96];
	Kartoteka__Response *r;
	req_t q;

	(void)state;
	(void)kt_h_user(h, "vera", MANAGER, north, 0);
	h->srv->opts.login_delay_after = 100;
	r = kt_h_call(h, c1, login(&q, "masha", KT_H_PASSWORD));
	kt_h_expect_ok(r);
	assert_true(r->login->idle_s == 15 * 60);   /* a branch desk */
	crypto_generichash(hash1, 32, r->login->token.data, 32, NULL, 0);
	r = kt_h_call(h, c2, login(&q, "vera", KT_H_PASSWORD));
	kt_h_expect_ok(r);
	crypto_generichash(hash2, 32, r->login->token.data, 32, NULL, 0);
	snprintf(detail, sizeof(detail), "ended the session of user:%llu on "
	    "this terminal", (unsigned long long)masha);
	assert_string_equal(kt_h_audit_last(h).detail, detail);
	assert_int_equal(session_check(h, hash1, key), KT_ENOTFOUND);
	assert_int_equal(session_check(h, hash2, key), 0);
	assert_true(kt_fake_conn_closed(c1));
	assert_true(kt_h_user_of(c2) != 0);
	/* masha's session at her other desk is not this desk's. */
	assert_true(kt_h_user_of(other) == masha);
	assert_false(kt_fake_conn_closed(other));
	kt_h_free(h);
}

typedef struct age_job {
	uint8_t hash[32];
	int64_t by;
} age_job_t;

/* Makes the session under hash look last used j->by seconds earlier. */
static int
age_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	age_job_t *j = arg;
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__SessionRecord *s = NULL;
	int rc = kt_store_get_record(txn, db->sessions, j->hash, 32,
	    &ktstore__session_record__descriptor, (ProtobufCMessage **)&s);

	if (rc != 0)
		return rc;
	s->created_at -= j->by;
	s->last_used -= j->by;
	rc = kt_store_put_record(txn, db->sessions, j->hash, 32, &s->base, 0);
	protobuf_c_message_free_unpacked(&s->base, NULL);
	return rc;
}

/* resume is audited with the terminal and the address, refreshes the
 * idle time, and a session left unused past it ends (audited once). A
 * made-up token costs no entry. */
static void
resume_audited_and_idle(void **state)
{
	kt_h_t *h = kt_h_new();
	uint8_t key[32], token[32], bogus[32];
	kt_conn_t *c1 = kt_h_connect_enrolled(h, 0, key);
	kt_conn_t *c2, *c3, *c4;
	age_job_t j;
	Kartoteka__Response *r;
	kt_h_entry_t e;
	uint64_t audit;
	char object[32];
	req_t q;

	(void)state;
	h->srv->opts.login_delay_after = 100;
	h->srv->opts.session_idle_s = 600;
	r = kt_h_call(h, c1, login(&q, KT_H_OWNER, KT_H_PASSWORD));
	kt_h_expect_ok(r);
	assert_true(r->login->idle_s == 600);
	memcpy(token, r->login->token.data, 32);
	crypto_generichash(j.hash, 32, token, 32, NULL, 0);
	kt_h_drop(h, c1);
	c2 = kt_h_connect(h, key);
	r = kt_h_call(h, c2, resume(&q, token, 32));
	kt_h_expect_ok(r);
	assert_true(r->resume->idle_s == 600);
	r = kt_h_call(h, c2, whoami(&q));
	kt_h_expect_ok(r);
	assert_true(r->whoami->session_idle_s == 600);
	flush_writer(h);
	e = kt_h_audit_last(h);
	snprintf(object, sizeof(object), "user:%llu",
	    (unsigned long long)h->owner);
	assert_string_equal(e.action, "resume");
	assert_string_equal(e.object, object);
	assert_int_equal(e.outcome, 0);
	assert_true(e.user == h->owner);
	assert_true(e.has_terminal);
	assert_true(strncmp(e.detail, "from ", 5) == 0);
	/* A token nobody has: refused, nothing written. */
	audit = kt_h_audit_count(h);
	randombytes_buf(bogus, sizeof(bogus));
	kt_h_expect_error(kt_h_call(h, c2, resume(&q, bogus, 32)), E_UNAUTH,
	    "session has expired or is not valid on this terminal: log in "
	    "again");
	assert_true(kt_h_audit_count(h) == audit);
	/* Used 9 minutes ago (by the resume just now, aged): still alive. */
	kt_h_drop(h, c2);
	j.by = 9 * 60;
	assert_int_equal(kt_h_write(h, age_mut, &j), 0);
	c3 = kt_h_connect(h, key);
	kt_h_expect_ok(kt_h_call(h, c3, resume(&q, token, 32)));
	flush_writer(h);
	kt_h_drop(h, c3);
	/* Unused for 11 minutes: ended, audited once with the reason. */
	j.by = 11 * 60;
	assert_int_equal(kt_h_write(h, age_mut, &j), 0);
	c4 = kt_h_connect(h, key);
	kt_h_expect_error(kt_h_call(h, c4, resume(&q, token, 32)), E_UNAUTH,
	    NULL);
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "resume");
	assert_int_equal(e.outcome, E_UNAUTH);
	assert_true(strncmp(e.detail, "unused for 11 minutes: session ended",
	    36) == 0);
	assert_int_equal(session_check(h, j.hash, key), KT_ENOTFOUND);
	audit = kt_h_audit_count(h);
	kt_h_expect_error(kt_h_call(h, c4, resume(&q, token, 32)), E_UNAUTH,
	    NULL);
	assert_true(kt_h_audit_count(h) == audit);
	kt_h_free(h);
}

/* An idle connection is logged out by itself, without a store read. */
static void
idle_connection_logged_out(void **state)
{
	kt_h_t *h = kt_h_new();
	uint8_t token[32], hash[32];
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	kt_session_t *s = kt_session_of(c);
	int64_t now = kt_now_s();

	(void)state;
	kt_h_login(h, c, h->owner, token, hash);
	kt_session_set_idle(h->srv, hash, 60);
	assert_true(kt_session_idle(s) == 60);
	assert_true(kt_session_user(s, now + 59) == h->owner);  /* a use */
	assert_true(kt_session_last_use(h->srv, hash) == now + 59);
	assert_true(kt_session_user(s, now + 118) == h->owner);
	assert_true(kt_session_user(s, now + 59 + 120) == 0);
	assert_true(kt_session_last_use(h->srv, hash) == 0);
	kt_h_free(h);
}

/* Guessing at a branch desk locks that desk only: the owner still logs
 * in at the owner's terminal. Failures on several terminals are said so;
 * the owner's unlock clears the login everywhere, audited. */
static void
lockout_per_terminal_and_unlock(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t north = kt_h_branch(h, "North");
	uint64_t masha = kt_h_user(h, "masha", MANAGER, north, 0);
	kt_conn_t *desk = kt_h_connect_enrolled(h, north, NULL);
	kt_conn_t *desk2 = kt_h_connect_enrolled(h, north, NULL);
	kt_conn_t *own = kt_h_connect_enrolled(h, 0, NULL);
	kt_conn_t *m = kt_h_session(h, masha, north);
	const char *locked = "too many failed attempts for this login: try "
	    "again in 15 minutes";
	char object[32];
	Kartoteka__Response *r;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	h->srv->opts.lockout_after = 2;
	h->srv->opts.lockout_s = 900;
	h->srv->opts.login_delay_after = 100;
	kt_h_expect_error(kt_h_call(h, desk, login(&q, KT_H_OWNER, "g1")),
	    E_UNAUTH, NULL);
	kt_h_expect_error(kt_h_call(h, desk, login(&q, KT_H_OWNER, "g2")),
	    E_UNAUTH, NULL);
	kt_h_expect_error(kt_h_call(h, desk, login(&q, KT_H_OWNER,
	    KT_H_PASSWORD)), E_RATE, locked);
	/* Another desk: its own count, and the spread is noted. */
	kt_h_expect_error(kt_h_call(h, desk2, login(&q, KT_H_OWNER, "g3")),
	    E_UNAUTH, NULL);
	assert_string_equal(kt_h_audit_last(h).detail, "wrong password, "
	    "failure 1 on this terminal, failing on several terminals");
	kt_h_expect_error(kt_h_call(h, desk2, login(&q, KT_H_OWNER, "g4")),
	    E_UNAUTH, NULL);
	/* The owner's own terminal is not locked. */
	r = kt_h_call(h, own, login(&q, KT_H_OWNER, KT_H_PASSWORD));
	kt_h_expect_ok(r);
	/* Only the owner unlocks. */
	kt_h_expect_error(kt_h_call(h, m, unlock(&q, KT_H_OWNER)),
	    E_FORBIDDEN, "only the owner can unlock logins");
	kt_h_expect_error(kt_h_call(h, own, unlock(&q, "Bad Login")), E_BAD,
	    NULL);
	kt_h_expect_error(kt_h_call(h, own, unlock(&q, "nobody")),
	    KARTOTEKA__ERROR__CODE__NOT_FOUND, "login: no user nobody");
	assert_string_equal(kt_h_audit_last(h).action, "user.unlock");
	r = kt_h_call(h, own, unlock(&q, KT_H_OWNER));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_USER);
	assert_string_equal(r->user->user->login, KT_H_OWNER);
	e = kt_h_audit_last(h);
	snprintf(object, sizeof(object), "user:%llu",
	    (unsigned long long)h->owner);
	assert_string_equal(e.action, "user.unlock");
	assert_string_equal(e.object, object);
	assert_string_equal(e.detail, "2 terminals cleared, 2 of them locked");
	/* Unlocked at the desk: the count starts again (and the owner is
	 * still not let in there). */
	kt_h_expect_error(kt_h_call(h, desk, login(&q, KT_H_OWNER,
	    KT_H_PASSWORD)), E_UNAUTH, "wrong login or password");
	kt_h_free(h);
}

/* The alerts of deliver 5: a new terminal; the owner's login at a branch
 * desk; a lockout; failures on several terminals (known users only); a
 * terminal resumed from two addresses at once (once per session); a
 * login outside the branch's working hours. */
typedef struct hours_job {
	uint64_t branch;
	unsigned from, to;
} hours_job_t;

static int
hours_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	hours_job_t *j = arg;
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__BranchRecord *b = NULL;
	uint8_t key[8];
	int rc = kt_branch_get(txn, db, j->branch, &b);

	if (rc != 0)
		return rc;
	b->work_from_min = j->from;
	b->work_to_min = j->to;
	kt_store_be64(key, j->branch);
	rc = kt_store_put_record(txn, db->branches, key, 8, &b->base, 0);
	protobuf_c_message_free_unpacked(&b->base, NULL);
	return rc;
}

static void
login_alerts(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t north = kt_h_branch(h, "North");
	uint64_t masha = kt_h_user(h, "masha", MANAGER, north, 0);
	uint8_t token[32], key[32], mkey[32];
	kt_conn_t *c, *d1, *d2, *own, *a, *b, *m;
	unsigned minute;
	hours_job_t hj;
	kinds_t k;
	req_t q;

	(void)state;
	h->srv->opts.lockout_after = 2;
	h->srv->opts.login_delay_after = 100;
	/* Enrolment. */
	invite(h, north, "North", token);
	randombytes_buf(key, 32);
	c = kt_h_connect(h, key);
	kt_h_expect_ok(kt_h_call(h, c, enroll(&q, token, 32, "till 9")));
	k = alerts(h);
	assert_int_equal(k.n[KT_ALERT_TERMINAL_ENROLLED], 1);
	d1 = c;
	d2 = kt_h_connect_enrolled(h, north, NULL);
	own = kt_h_connect_enrolled(h, 0, NULL);
	/* The owner's login at a branch desk, right password or not. */
	kt_h_expect_error(kt_h_call(h, d1, login(&q, KT_H_OWNER,
	    KT_H_PASSWORD)), E_UNAUTH, NULL);
	k = alerts(h);
	assert_int_equal(k.n[KT_ALERT_OWNER_AT_BRANCH], 1);
	assert_true(k.user[KT_ALERT_OWNER_AT_BRANCH] == h->owner);
	assert_int_equal(k.n[KT_ALERT_LOCKOUT], 0);
	/* The second failure locks desk 1. */
	kt_h_expect_error(kt_h_call(h, d1, login(&q, KT_H_OWNER, "guess")),
	    E_UNAUTH, NULL);
	k = alerts(h);
	assert_int_equal(k.n[KT_ALERT_OWNER_AT_BRANCH], 2);
	assert_int_equal(k.n[KT_ALERT_LOCKOUT], 1);
	assert_int_equal(k.n[KT_ALERT_LOGIN_FAILURES], 0);
	/* A second terminal failing: the spread. */
	kt_h_expect_error(kt_h_call(h, own, login(&q, KT_H_OWNER, "guess")),
	    E_UNAUTH, NULL);
	k = alerts(h);
	assert_int_equal(k.n[KT_ALERT_LOGIN_FAILURES], 1);
	assert_int_equal(k.n[KT_ALERT_OWNER_AT_BRANCH], 2); /* own terminal */
	/* Unknown logins raise nothing, wherever they fail. */
	kt_h_expect_error(kt_h_call(h, d2, login(&q, "nobody", "x")), E_UNAUTH,
	    NULL);
	kt_h_expect_error(kt_h_call(h, d2, login(&q, "nobody", "x")), E_UNAUTH,
	    NULL);
	kt_h_expect_error(kt_h_call(h, own, login(&q, "nobody", "x")),
	    E_UNAUTH, NULL);
	k = alerts(h);
	assert_int_equal(k.n[KT_ALERT_LOGIN_FAILURES], 1);
	assert_int_equal(k.n[KT_ALERT_LOCKOUT], 1);

	/* masha's session resumed from two addresses at once: once. */
	m = kt_h_connect_enrolled(h, north, mkey);
	kt_h_login(h, m, masha, token, NULL);
	a = kt_h_connect(h, mkey);
	b = kt_h_connect(h, mkey);
	assert_int_equal(kt_fake_conn_set_peer(a, "10.0.0.7", 4000), 0);
	assert_int_equal(kt_fake_conn_set_peer(b, "10.0.0.8", 4001), 0);
	kt_h_expect_ok(kt_h_call(h, a, resume(&q, token, 32)));
	flush_writer(h);
	assert_int_equal(alerts(h).n[KT_ALERT_TERMINAL_TWO_ADDRS], 1);
	assert_string_equal(strstr(kt_h_audit_last(h).detail, "; the "),
	    "; the terminal is also connected from 10.0.0.8:4001");
	kt_h_expect_ok(kt_h_call(h, b, resume(&q, token, 32)));
	flush_writer(h);
	k = alerts(h);
	assert_int_equal(k.n[KT_ALERT_TERMINAL_TWO_ADDRS], 1);
	assert_true(k.user[KT_ALERT_TERMINAL_TWO_ADDRS] == masha);

	/* North works an hour from now to two hours from now (UTC, the
	 * harness's zone): a login now is off hours. */
	minute = kt_tz_minute(kt_tzcache_get(h->srv->tz, ""), kt_now_s());
	hj.branch = north;
	hj.from = (minute + 60) % 1440;
	hj.to = (minute + 120) % 1440;
	assert_int_equal(kt_h_write(h, hours_mut, &hj), 0);
	kt_h_expect_ok(kt_h_call(h, d2, login(&q, "masha", KT_H_PASSWORD)));
	k = alerts(h);
	assert_int_equal(k.n[KT_ALERT_OFF_HOURS], 1);
	assert_true(k.user[KT_ALERT_OFF_HOURS] == masha);
	/* Working now (wrapping midnight if need be): no alert. */
	hj.from = (minute + 1440 - 60) % 1440;
	hj.to = (minute + 60) % 1440;
	assert_int_equal(kt_h_write(h, hours_mut, &hj), 0);
	kt_h_expect_ok(kt_h_call(h, d2, login(&q, "masha", KT_H_PASSWORD)));
	assert_int_equal(alerts(h).n[KT_ALERT_OFF_HOURS], 1);
	kt_h_free(h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(ping_any_terminal),
	cmocka_unit_test(enroll_with_invite),
	cmocka_unit_test(enroll_bad_input),
	cmocka_unit_test(login_success_audited),
	cmocka_unit_test(login_failures_counted),
	cmocka_unit_test(login_locked_after_failures),
	cmocka_unit_test(login_in_flight_loses_to_password_reset),
	cmocka_unit_test(login_refused_disabled_or_foreign_terminal),
	cmocka_unit_test(resume_on_its_terminal_only),
	cmocka_unit_test(logout_answers_and_audits),
	cmocka_unit_test(logout_ends_session_elsewhere_after_close),
	cmocka_unit_test(whoami_user_and_terminal),
	cmocka_unit_test(login_ends_the_desks_session),
	cmocka_unit_test(resume_audited_and_idle),
	cmocka_unit_test(idle_connection_logged_out),
	cmocka_unit_test(lockout_per_terminal_and_unlock),
	cmocka_unit_test(login_alerts),
};

KT_TEST_MAIN(tests)
