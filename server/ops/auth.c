/* SPDX-License-Identifier: MIT */
/* The ops that establish who is on the other end: ping, enrolment of a
 * terminal, login (Argon2id on the thread pool, growing delays and a
 * lockout per login and terminal, one session per terminal), resume
 * (audited, with idle times), logout, whoami, and the owner's unlock. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <sodium.h>

#include "catalog.h"
#include "fields.h"
#include "kt_error.h"
#include "model/alert_store.h"
#include "model/bizday.h"
#include "model/branch_store.h"
#include "model/identity.h"
#include "model/session_store.h"
#include "model/terminal_store.h"
#include "model/user_day.h"
#include "model/user_store.h"
#include "model/writer.h"
#include "ops/ops.h"
#include "records.pb-c.h"
#include "session.h"
#include "log.h"

/* Raises an alert for the owner inside txn: ids and counts only. */
static int
alert(kt_store_t *st, MDB_txn *txn, kt_alert_kind_t kind, uint64_t user,
    const uint8_t *terminal, uint64_t count, uint64_t limit,
    const char *detail)
{
	kt_alert_t a = { .kind = kind, .user = user, .terminal = terminal,
		.count = count, .limit = limit, .detail = detail };

	return kt_alert_raise(st, txn, &a, NULL);
}

/* ------------------------------------------------------------------ */
/* ping                                                                */
/* ------------------------------------------------------------------ */

static void
op_ping(kt_req_t *r, const Kartoteka__Request *msg)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__PingResponse ping = KARTOTEKA__PING_RESPONSE__INIT;

	(void)msg;
	ping.server_time = kt_now_ms();
	ping.enrolled = kt_req_enrolled(r);
	ping.server_version = KT_SERVER_VERSION;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_PING;
	resp.ping = &ping;
	kt_req_reply(r, &resp);
}

/* ------------------------------------------------------------------ */
/* enrolment                                                           */
/* ------------------------------------------------------------------ */

typedef struct enroll_st {
	uint8_t token_hash[32];
	char name[KT_TERMINAL_NAME_MAX + 1];
	int64_t now;
	uint64_t branch;                   /* results, set by the mutation */
	kt_verdict_t v;
} enroll_st_t;

static int
enroll_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	enroll_st_t *e = kt_req_state(r);
	char detail[64];
	int rc;

	rc = kt_terminal_enroll(st, txn, kt_req_terminal_key(r),
	    e->token_hash, e->name, e->now, kt_req_server(r)->sign_sk,
	    &e->branch, &e->v);
	if (rc != 0 || !kt_verdict_is_ok(&e->v))
		return rc;
	if (e->branch != 0)
		snprintf(detail, sizeof(detail), "enrolled for branch:%" PRIu64,
		    e->branch);
	else
		snprintf(detail, sizeof(detail), "enrolled as an owner "
		    "terminal");
	return alert(st, txn, KT_ALERT_TERMINAL_ENROLLED, 0,
	    kt_req_terminal_key(r), 0, 0, detail);
}

static void
enroll_done(kt_req_t *r, int status)
{
	enroll_st_t *e = kt_req_state(r);
	kt_server_t *srv = kt_req_server(r);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__EnrollResponse er = KARTOTEKA__ENROLL_RESPONSE__INIT;
	Kartoteka__TerminalInfo ti = KARTOTEKA__TERMINAL_INFO__INIT;
	char bname[KT_NAME_MAX + 1] = "";
	MDB_txn *txn;

	if (status != 0) {
		kt_req_fail_store(r, status);
		return;
	}
	if (!kt_verdict_is_ok(&e->v)) {
		/* A failed attempt keeps its charge on the address, and its
		 * connection goes: each one cost an audit entry. */
		kt_req_limit_keep(r);
		kt_req_fail_close(r, e->v.code, "%s", e->v.msg);
		return;
	}
	kt_req_session_enrolled(r, e->branch);
	if (e->branch != 0 && (txn = kt_req_txn(r)) != NULL)
		kt_branch_name(txn, kt_store_dbs(srv->store), e->branch, bname,
		    sizeof(bname));
	ti.public_key.data = (uint8_t *)kt_req_terminal_key(r);
	ti.public_key.len = 32;
	ti.name = e->name;
	ti.branch = bname;
	ti.enrolled_at = e->now;
	er.terminal = &ti;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_ENROLL;
	resp.enroll = &er;
	kt_req_reply(r, &resp);
}

static void
op_enroll(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__EnrollRequest *er = msg->enroll;
	enroll_st_t *e = kt_req_state(r);
	const char *why;

	if (kt_req_enrolled(r)) {
		kt_req_fail(r, KT_CODE_CONFLICT,
		    "this terminal is already enrolled");
		return;
	}
	if (er->token.len < 16 || er->token.len > 32) {
		kt_req_fail(r, KT_CODE_BAD,
		    "token: %zu bytes, expected 16 to 32",
		    er->token.len);
		return;
	}
	if ((why = kt_text_problem(er->name, 1, KT_TERMINAL_NAME_MAX, 0)) !=
	    NULL) {
		kt_req_fail(r, KT_CODE_BAD, "name: terminal name %s", why);
		return;
	}
	crypto_generichash(e->token_hash, 32, er->token.data, er->token.len,
	    NULL, 0);
	snprintf(e->name, sizeof(e->name), "%s", er->name);
	e->now = kt_now_s();
	kt_req_submit(r, enroll_mut, enroll_done);
}

/* ------------------------------------------------------------------ */
/* login                                                               */
/* ------------------------------------------------------------------ */

/* The idle time of a session on a terminal of branch (0: an owner
 * terminal): the option, or 15 minutes at a branch desk and 2 hours at
 * the owner's. */
static int64_t
session_idle(const kt_server_t *srv, uint64_t branch)
{
	if (srv->opts.session_idle_s > 0)
		return srv->opts.session_idle_s;
	return branch != 0 ? 15 * 60 : 2 * 3600;
}

/* When a session made at now on a terminal of branch ends at the latest:
 * the end of the business day, in the branch's time zone (an owner
 * terminal's: the server's default). */
static int64_t
session_day_end(kt_req_t *r, uint64_t branch, int64_t now)
{
	kt_server_t *srv = kt_req_server(r);
	MDB_txn *txn = kt_req_txn(r);
	int64_t end = 0;

	if (srv->tz == NULL || txn == NULL)
		return now + 24 * 3600;
	(void)kt_tz_day(kt_bizday_branch_zone(srv->tz, txn,
	    kt_store_dbs(srv->store), branch), now, &end);
	return end > now ? end : now + 24 * 3600;
}

/* A login at now on a terminal of branch outside the branch's working
 * hours (BranchRecord work_from_min..work_to_min, local minutes; a range
 * that wraps midnight is a night shift) raises KT_ALERT_OFF_HOURS. */
static int
alert_off_hours(kt_store_t *st, MDB_txn *txn, kt_server_t *srv,
    uint64_t user, uint64_t branch, const uint8_t *terminal, int64_t now)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__BranchRecord *b = NULL;
	char detail[96];
	unsigned m, from, to;
	int in, rc;

	if (branch == 0 || srv->tz == NULL)
		return 0;
	rc = kt_branch_get(txn, db, branch, &b);
	if (rc == KT_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	from = b->work_from_min;
	to = b->work_to_min;
	protobuf_c_message_free_unpacked(&b->base, NULL);
	if ((from == 0 && to == 0) || from >= 1440 || to > 1440)
		return 0;
	m = kt_tz_minute(kt_bizday_branch_zone(srv->tz, txn, db, branch), now);
	in = from <= to ? m >= from && m < to : m >= from || m < to;
	if (in)
		return 0;
	snprintf(detail, sizeof(detail), "login at %02u:%02u, branch:%" PRIu64
	    " works %02u:%02u-%02u:%02u", m / 60, m % 60, branch, from / 60,
	    from % 60, to / 60, to % 60);
	return alert(st, txn, KT_ALERT_OFF_HOURS, user, terminal, m, 0,
	    detail);
}

/* The peer's address as text ("10.0.0.7:51234", "[::1]:4000"). */
static void
peer_text(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss != NULL && ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, ntohs(in->sin_port));
	} else if (ss != NULL && ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(out, cap, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		snprintf(out, cap, "unknown");
	}
}

/* What every refused password looks like to the caller. */
#define WRONG_PASSWORD "wrong login or password"

typedef struct login_st {
	char login[KT_LOGIN_MAX + 1];
	char password[KT_PASSWORD_MAX + 1]; /* wiped once checked */
	kt_user_t user;
	char pwhash[crypto_pwhash_STRBYTES];
	uint8_t pwhash_digest[32];  /* BLAKE2b of the hash that was checked */
	int user_found;
	int locked;                 /* refused without checking */
	int64_t locked_until;
	uint32_t failures;          /* failures that still count */
	int pw_ok;
	int rehash;
	char new_hash[crypto_pwhash_STRBYTES];
	int64_t now;
	/* the outcome, decided on the loop, enforced by the mutation */
	uint32_t code;
	char msg[160];
	char why[160];              /* the real reason, for the audit only */
	int foreign_terminal;       /* a terminal the user may not use */
	uint8_t token[32];
	uint8_t token_hash[32];
	int64_t expires;
	int64_t idle_s;
	size_t ended;               /* [mutation] earlier sessions ended */
} login_st_t;

static void
lock_message(login_st_t *l, int64_t until)
{
	snprintf(l->msg, sizeof(l->msg), "too many failed attempts for this "
	    "login: try again in %lld minutes",
	    (long long)((until - l->now + 59) / 60));
}

/* Refuses l exactly like a wrong password, counted as a failure; why is
 * what the audit says. */
static void
refuse_like_wrong_password(login_st_t *l, const char *why)
{
	l->code = KT_CODE_UNAUTH;
	snprintf(l->msg, sizeof(l->msg), WRONG_PASSWORD);
	snprintf(l->why, sizeof(l->why), "%s", why);
}

/* A user whose password was right at a terminal of branch it may not
 * use: refused like a wrong password (the answer must not tell a guesser
 * at a desk that the password was right), the reason kept for the
 * audit. */
static void
refuse_terminal(login_st_t *l, const kt_user_t *u, uint64_t branch)
{
	l->foreign_terminal = 1;
	if (u->role == KARTOTEKA__ROLE__OWNER)
		refuse_like_wrong_password(l, "right password, but the owner "
		    "logs in only from owner terminals");
	else if (branch == 0)
		refuse_like_wrong_password(l, "right password, but at an "
		    "owner terminal");
	else
		refuse_like_wrong_password(l, "right password, but at a "
		    "terminal of another branch");
}

/* The user as the writer sees it now, for a login decided OK on the
 * loop: the same password hash, still allowed on this terminal, still
 * working; else l is refused as the loop would have. Returns 0 or a
 * store error. */
static int
login_user_still(MDB_txn *txn, const kt_store_dbs_t *db, kt_req_t *r,
    login_st_t *l)
{
	char hash[crypto_pwhash_STRBYTES];
	uint8_t digest[32];
	kt_user_t u;
	int rc = kt_user_find(txn, db, l->login, &u, hash);

	if (rc != 0 && rc != KT_ENOTFOUND)
		return rc;
	if (rc == 0)
		crypto_generichash(digest, sizeof(digest), (const uint8_t *)hash,
		    strlen(hash), NULL, 0);
	sodium_memzero(hash, sizeof(hash));
	if (rc != 0 || u.id != l->user.id ||
	    sodium_memcmp(digest, l->pwhash_digest, sizeof(digest)) != 0) {
		refuse_like_wrong_password(l, "the password changed meanwhile");
	} else if (!kt_user_may_use_terminal(&u, kt_req_terminal_branch(r))) {
		refuse_terminal(l, &u, kt_req_terminal_branch(r));
	} else if (u.disabled) {
		l->code = KT_CODE_FORBIDDEN;
		snprintf(l->msg, sizeof(l->msg), "this account is disabled: "
		    "ask the owner");
	} else {
		l->user = u;
	}
	sodium_memzero(digest, sizeof(digest));
	return 0;
}

/* The successful login's writes: the failure count of this terminal
 * goes, every earlier session of the terminal ends (one person at a desk
 * at a time), the new session, a rehashed password. detail gets what the
 * audit adds. */
static int
login_ok_mut(MDB_txn *txn, const kt_store_dbs_t *db, kt_req_t *r,
    login_st_t *l, int had_failures, char *detail, size_t cap)
{
	const uint8_t *key = kt_req_terminal_key(r);
	uint64_t prev = 0;
	int rc;

	if (had_failures &&
	    (rc = kt_login_failure_del(txn, db, l->login, key)) != 0)
		return rc;
	if ((rc = kt_sessions_end_terminal(txn, db, key, l->now, &l->ended,
	    &prev)) != 0)
		return rc;
	if ((rc = kt_session_rec_put_idle(txn, db, l->token_hash, l->user.id, key,
	    l->now, l->expires, l->idle_s)) != 0)
		return rc;
	if (prev != 0)
		snprintf(detail, cap, "ended the session of user:%" PRIu64
		    " on this terminal", prev);
	if (l->rehash) {
		Ktstore__UserRecord *u = NULL;
		uint8_t ukey[8];
		size_t n = strlen(detail);
		kt_store_be64(ukey, l->user.id);
		rc = kt_store_get_record(txn, db->users, ukey, 8,
		    &ktstore__user_record__descriptor,
		    (ProtobufCMessage **)&u);
		if (rc == 0) {
			char *old = u->password_hash;
			u->password_hash = l->new_hash;
			rc = kt_store_put_record(txn, db->users, ukey, 8,
			    &u->base, 0);
			u->password_hash = old;
			protobuf_c_message_free_unpacked(&u->base, NULL);
		}
		if (rc != 0)
			return rc;
		snprintf(detail + n, cap - n, "%spassword rehashed",
		    n ? "; " : "");
	}
	return 0;
}

/* The alerts of a counted failure of a known user (an unknown login is
 * whatever a guesser typed: never worth an alert, nor safe to repeat):
 * the owner's login tried at a branch terminal, the lock this failure
 * set, and failures on a second (third, ...) terminal. */
static int
login_failure_alerts(kt_store_t *st, MDB_txn *txn, kt_server_t *srv,
    kt_req_t *r, const login_st_t *l,
    const Ktstore__LoginFailureRecord *nf, unsigned terminals)
{
	const uint8_t *key = kt_req_terminal_key(r);
	uint64_t branch = kt_req_terminal_branch(r);
	char detail[160];
	int rc;

	if (!l->user_found)
		return 0;
	if (l->user.role == KARTOTEKA__ROLE__OWNER && branch != 0) {
		snprintf(detail, sizeof(detail), "the owner's login at a "
		    "terminal of branch:%" PRIu64 " (%s password)", branch,
		    l->foreign_terminal ? "right" : "wrong");
		if ((rc = alert(st, txn, KT_ALERT_OWNER_AT_BRANCH, l->user.id,
		    key, nf->failures, 0, detail)) != 0)
			return rc;
	}
	if (nf->locked_until != 0) {
		snprintf(detail, sizeof(detail), "user:%" PRIu64 " locked on "
		    "this terminal for %lld minutes after %u failures",
		    l->user.id, (long long)(srv->opts.lockout_s + 59) / 60,
		    nf->failures);
		if ((rc = alert(st, txn, KT_ALERT_LOCKOUT, l->user.id, key,
		    nf->failures, srv->opts.lockout_after, detail)) != 0)
			return rc;
	}
	/* Once per terminal that starts failing while another already
	 * fails: the first failure here makes the spread grow. */
	if (terminals > 1 && nf->failures == 1) {
		snprintf(detail, sizeof(detail), "user:%" PRIu64 ": failed "
		    "logins on %u terminals", l->user.id, terminals);
		if ((rc = alert(st, txn, KT_ALERT_LOGIN_FAILURES, l->user.id,
		    key, terminals, 0, detail)) != 0)
			return rc;
	}
	return 0;
}

static int
login_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	login_st_t *l = kt_req_state(r);
	kt_server_t *srv = kt_req_server(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	const uint8_t *key = kt_req_terminal_key(r);
	Ktstore__LoginFailureRecord *fail = NULL;
	Ktstore__LoginFailureRecord nf = KTSTORE__LOGIN_FAILURE_RECORD__INIT;
	kt_actor_t actor = kt_req_actor(r);
	kt_audit_action_t action;
	char object[96], detail[320] = "";
	unsigned terminals = 0;
	int rc;

	/* A retry of the batch starts from the loop's decision again. */
	l->ended = 0;
	rc = kt_login_failure_get(txn, db, l->login, key, &fail);
	if (rc != 0 && rc != KT_ENOTFOUND)
		goto out;
	rc = 0;
	snprintf(object, sizeof(object), "login:%s", l->login);

	/* The loop decided from a read taken when the request arrived;
	 * attempts running side by side (on other connections of this
	 * terminal) may have locked the login here since. The writer sees
	 * every attempt in order, so the lock is enforced here, whatever
	 * the password. */
	if (fail && fail->locked_until > l->now &&
	    (l->code == KT_CODE_OK || l->code == KT_CODE_UNAUTH)) {
		l->code = KT_CODE_RATE;
		l->locked = 1;
		lock_message(l, fail->locked_until);
	}
	/* Likewise the user: between the read on the loop and this commit
	 * (a delay and an Argon2 check) the owner may have set a new
	 * password (which ended every session: this one must not be made
	 * after it), disabled the user or moved them to other branches. */
	if (l->code == KT_CODE_OK &&
	    (rc = login_user_still(txn, db, r, l)) != 0)
		goto out;
	if (l->code == KT_CODE_OK) {
		if ((rc = login_ok_mut(txn, db, r, l, fail != NULL, detail,
		    sizeof(detail))) != 0 ||
		    (rc = alert_off_hours(st, txn, srv, l->user.id,
		    kt_req_terminal_branch(r), key, l->now)) != 0)
			goto out;
		actor.user_id = l->user.id;
		action = KT_AUDIT_LOGIN;
	} else {
		actor.user_id = l->user_found ? l->user.id : 0;
		action = KT_AUDIT_LOGIN_FAILED;
		if (l->locked) {
			/* Audited once per lock: later refusals are answered
			 * by the loop without a write. */
			snprintf(detail, sizeof(detail), "locked");
			if (fail && !fail->lock_audited) {
				fail->lock_audited = 1;
				rc = kt_login_failure_put(txn, db, l->login,
				    key, fail);
				if (rc != 0)
					goto out;
			}
		} else if (l->code == KT_CODE_UNAUTH) {
			/* A wrong password, an unknown login, a terminal the
			 * user may not use: count it, on this terminal. */
			nf.failures = kt_login_failures_now(fail, l->now) + 1;
			nf.last_failure = l->now;
			if (nf.failures >= srv->opts.lockout_after)
				nf.locked_until = l->now + srv->opts.lockout_s;
			rc = kt_login_failure_put(txn, db, l->login, key, &nf);
			if (rc == 0)
				rc = kt_login_failures_spread(txn, db,
				    l->login, l->now, &terminals, NULL);
			if (rc != 0)
				goto out;
			snprintf(detail, sizeof(detail), "%s, failure %u on "
			    "this terminal%s%s", l->why[0] ? l->why :
			    l->user_found ? "wrong password" : "unknown login",
			    nf.failures, nf.locked_until ?
			    ", locked here" : "", terminals > 1 ?
			    ", failing on several terminals" : "");
			if ((rc = login_failure_alerts(st, txn, srv, r, l, &nf,
			    terminals)) != 0)
				goto out;
		} else {
			snprintf(detail, sizeof(detail), "%s", l->msg);
		}
	}
	rc = kt_audit_record(st, txn, &actor, action, object,
	    action == KT_AUDIT_LOGIN ? 0 : l->code, detail);
out:
	if (fail)
		protobuf_c_message_free_unpacked(&fail->base, NULL);
	return rc;
}

static void
login_done(kt_req_t *r, int status)
{
	login_st_t *l = kt_req_state(r);
	kt_server_t *srv = kt_req_server(r);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__LoginResponse lr = KARTOTEKA__LOGIN_RESPONSE__INIT;
	Kartoteka__UserInfo ui = KARTOTEKA__USER_INFO__INIT;
	kt_arena_t *a = kt_req_arena(r);
	MDB_txn *txn = kt_req_txn(r);

	if (status != 0) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE,
		    "could not record the login: try "
		    "again");
		return;
	}
	if (l->code != KT_CODE_OK) {
		kt_req_fail(r, l->code, "%s", l->msg);
		return;
	}
	/* The earlier sessions of this terminal ended in the store: their
	 * open connections go too. */
	kt_session_end_terminal(srv, kt_req_terminal_key(r), kt_req_conn(r));
	kt_req_session_login(r, l->user.id, l->token_hash, l->expires);
	kt_session_set_idle(srv, l->token_hash, l->idle_s);
	if (a == NULL || txn == NULL || kt_user_info(txn,
	    kt_store_dbs(srv->store), &l->user, a, &ui) != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL,
		    "logged in, but the user cannot be "
		    "read back: try whoami");
		return;
	}
	lr.token.data = l->token;
	lr.token.len = 32;
	lr.expires_at = l->expires;
	lr.idle_s = l->idle_s;
	lr.user = &ui;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_LOGIN;
	resp.login = &lr;
	kt_req_reply(r, &resp);
}

/* Runs on the loop: turns the checks into an outcome, hands it to the
 * writer so the answer leaves only once the audit entry is committed. */
static void
login_decide(kt_req_t *r)
{
	login_st_t *l = kt_req_state(r);
	kt_server_t *srv = kt_req_server(r);

	sodium_memzero(l->password, sizeof(l->password));
	/* What the mutation compares the stored hash with, the hash itself
	 * wiped: the password may have changed while this one was checked. */
	crypto_generichash(l->pwhash_digest, sizeof(l->pwhash_digest),
	    (const uint8_t *)l->pwhash, strlen(l->pwhash), NULL, 0);
	sodium_memzero(l->pwhash, sizeof(l->pwhash));
	l->now = kt_now_s();
	if (l->locked) {
		l->code = KT_CODE_RATE;
		lock_message(l, l->locked_until);
	} else if (!l->user_found || !l->pw_ok) {
		refuse_like_wrong_password(l, "");
	} else if (!kt_user_may_use_terminal(&l->user,
	    kt_req_terminal_branch(r))) {
		/* Before the disabled check: whatever the account, a
		 * terminal it may not use answers like a wrong password. */
		refuse_terminal(l, &l->user, kt_req_terminal_branch(r));
	} else if (l->user.disabled) {
		l->code = KT_CODE_FORBIDDEN;
		snprintf(l->msg, sizeof(l->msg), "this account is disabled: "
		    "ask the owner");
	} else {
		uint64_t branch = kt_req_terminal_branch(r);
		int64_t day_end = session_day_end(r, branch, l->now);
		l->code = KT_CODE_OK;
		randombytes_buf(l->token, sizeof(l->token));
		crypto_generichash(l->token_hash, 32, l->token, 32, NULL, 0);
		l->expires = l->now + srv->opts.session_ttl_s;
		if (day_end < l->expires)
			l->expires = day_end;
		l->idle_s = session_idle(srv, branch);
	}
	kt_req_submit(r, login_mut, login_done);
}

/* Thread pool: Argon2id verification (and rehash when the limits have
 * changed). Unknown logins verify a dummy hash so that both answers take
 * the same time. */
static void
login_verify_work(kt_req_t *r)
{
	login_st_t *l = kt_req_state(r);
	const char *hash = l->user_found ? l->pwhash :
	    kt_req_server(r)->dummy_hash;
	int ok = crypto_pwhash_str_verify(hash, l->password,
	    strlen(l->password)) == 0;

	l->pw_ok = ok && l->user_found;
	if (l->pw_ok && crypto_pwhash_str_needs_rehash(l->pwhash,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		l->rehash = kt_identity_hash_password(l->new_hash,
		    l->password) == 0;
}

static void
login_verify_after(kt_req_t *r, int status)
{
	login_st_t *l = kt_req_state(r);

	if (status != 0)
		l->pw_ok = 0;
	login_decide(r);
}

static void
login_delayed(kt_req_t *r)
{
	kt_req_work(r, login_verify_work, login_verify_after);
}

static void
op_login(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__LoginRequest *lr = msg->login;
	login_st_t *l = kt_req_state(r);
	kt_server_t *srv = kt_req_server(r);
	const kt_store_dbs_t *db = kt_store_dbs(srv->store);
	Ktstore__LoginFailureRecord *fail = NULL;
	uint64_t delay_ms = 0;
	MDB_txn *txn;
	const char *why;
	int lock_audited = 0;

	if ((why = kt_identity_login_problem(lr->login ? lr->login : "")) !=
	    NULL) {
		kt_req_fail(r, KT_CODE_BAD, "login: %s", why);
		return;
	}
	if (lr->password == NULL || lr->password[0] == '\0' ||
	    strlen(lr->password) > KT_PASSWORD_MAX) {
		kt_req_fail(r, KT_CODE_BAD, "password: must be 1 to %u bytes",
		    KT_PASSWORD_MAX);
		return;
	}
	snprintf(l->login, sizeof(l->login), "%s", lr->login);
	snprintf(l->password, sizeof(l->password), "%s", lr->password);
	if ((txn = kt_req_txn(r)) == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "store unavailable");
		return;
	}
	l->user_found = kt_user_find(txn, db, l->login, &l->user,
	    l->pwhash) == 0;
	if (kt_login_failure_get(txn, db, l->login, kt_req_terminal_key(r),
	    &fail) == 0) {
		l->failures = kt_login_failures_now(fail, kt_now_s());
		l->locked_until = fail->locked_until;
		lock_audited = fail->lock_audited;
		protobuf_c_message_free_unpacked(&fail->base, NULL);
	}
	if (l->locked_until > kt_now_s()) {
		if (lock_audited) {
			/* Already recorded for this lock: answer without a
			 * write,
			 so a flood of guesses costs the disk nothing. */
			l->now = kt_now_s();
			lock_message(l, l->locked_until);
			kt_req_fail(r, KT_CODE_RATE, "%s", l->msg);
			return;
		}
		l->locked = 1;
		login_decide(r);
		return;
	}
	/* A growing delay after the first few failures: 250 ms, doubling,
	 * up to the configured cap. Same for known and unknown logins. */
	if (l->failures >= srv->opts.login_delay_after) {
		unsigned shift = l->failures - srv->opts.login_delay_after;
		delay_ms = shift >= 20 ? srv->opts.login_delay_max_ms :
		    250ull << shift;
		if (delay_ms > srv->opts.login_delay_max_ms)
			delay_ms = srv->opts.login_delay_max_ms;
	}
	kt_req_delay(r, delay_ms, login_delayed);
}

/* ------------------------------------------------------------------ */
/* sessions                                                            */
/* ------------------------------------------------------------------ */

/* A resume is audited (who came back, at which terminal, from which
 * address) and refreshes the session's idle time, in one write. Resume
 * starts every CLI command, so the answer does not wait for that write:
 * it is queued to the writer before the answer leaves, and the writer
 * commits in order, so the entry is in the log before that of anything
 * the resumed session does next (a full view, a change, ...). A token the
 * store does not know is refused on the loop without a write (made-up
 * tokens cost the disk nothing); a session that has run out is audited
 * once, as it is deleted, before the refusal is sent. */
typedef struct resume_st {
	uint8_t hash[32];
	int64_t now;
	int64_t used_at;            /* latest use on an open connection */
	int expired;                /* the loop found it run out */
	char why[64];               /* ... for the audit */
	kt_session_info_t info;
} resume_st_t;

/* The write of a resume that was let in: owned by the writer until done. */
typedef struct resume_job {
	kt_writer_item_t item;
	uint8_t hash[32];
	uint8_t term[32];
	const uint8_t *sign_sk;     /* the server's, outlives the writer */
	uint64_t user;
	int64_t now;
	int two_addrs;              /* the terminal is also on another IP */
	char peer[INET6_ADDRSTRLEN + 16];
	char other[INET6_ADDRSTRLEN + 16];
} resume_job_t;

#define RESUME_REFUSED "session has expired or is not valid on this " \
	"terminal: log in again"

static int
resume_job_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	resume_job_t *j = arg;
	const kt_store_dbs_t *db = kt_store_dbs(st);
	kt_actor_t actor = { j->user, j->term, j->sign_sk };
	char object[32], detail[256], what[96];
	int rc, first = 0;

	/* Ended meanwhile (a logout, the next login at this desk): the
	 * resume happened all the same, and is recorded. */
	rc = kt_session_rec_touch(txn, db, j->hash, j->now);
	if (rc != 0 && rc != KT_ENOTFOUND)
		return rc;
	snprintf(object, sizeof(object), "user:%" PRIu64, j->user);
	snprintf(detail, sizeof(detail), "from %s", j->peer);
	if (j->two_addrs) {
		snprintf(detail + strlen(detail), sizeof(detail) -
		    strlen(detail), "; the terminal is also connected from %s",
		    j->other);
		if (rc == 0 && (rc = kt_session_rec_mark_two_addrs(txn, db,
		    j->hash, &first)) != 0)
			return rc;
		snprintf(what, sizeof(what), "user:%" PRIu64 "'s session "
		    "resumed while the terminal is open from another address",
		    j->user);
		if (first && (rc = alert(st, txn, KT_ALERT_TERMINAL_TWO_ADDRS,
		    j->user, j->term, 2, 0, what)) != 0)
			return rc;
	}
	return kt_audit_record(st, txn, &actor, KT_AUDIT_RESUME, object, 0,
	    detail);
}

static void
resume_job_done(int status, void *arg)
{
	resume_job_t *j = arg;

	if (status != 0)
		kt_log(KT_LOG_ERR, "could not record a resume of "
		    "user:%" PRIu64 ": %s", j->user, kt_strerror(status));
	sodium_memzero(j, sizeof(*j));
	free(j);
}

/* Queues the resume's write. Returns 0, or KT_ENOMEM / KT_ESHUTDOWN
 * (then the resume must be refused: it would go unrecorded). */
static int
resume_record(kt_req_t *r, resume_st_t *rs)
{
	kt_server_t *srv = kt_req_server(r);
	struct sockaddr_storage other;
	resume_job_t *j = calloc(1, sizeof(*j));
	int rc;

	if (j == NULL)
		return KT_ENOMEM;
	memcpy(j->hash, rs->hash, 32);
	memcpy(j->term, kt_req_terminal_key(r), 32);
	j->sign_sk = srv->sign_sk;
	j->user = rs->info.user;
	j->now = rs->now;
	peer_text(kt_req_peer(r), j->peer, sizeof(j->peer));
	j->two_addrs = kt_session_other_address(srv, kt_req_terminal_key(r),
	    kt_req_peer(r), kt_req_conn(r), &other);
	if (j->two_addrs)
		peer_text(&other, j->other, sizeof(j->other));
	if ((rc = kt_writer_submit_item(srv->writer, &j->item, resume_job_mut,
	    resume_job_done, j)) != 0)
		free(j);
	return rc;
}

/* The session ran out: deleted and audited once, then refused. */
static int
resume_expired_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	resume_st_t *rs = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	kt_actor_t actor = kt_req_actor(r);
	char object[32], detail[160], peer[INET6_ADDRSTRLEN + 16];
	kt_session_info_t info;
	int rc;

	rc = kt_session_rec_alive(txn, db, rs->hash, kt_req_terminal_key(r),
	    rs->now, rs->used_at, &info);
	if (rc != KT_EEXPIRED)
		/* Gone meanwhile (already audited), or not ours to judge. */
		return rc == KT_ESTORE || rc == KT_EPROTO ? rc : 0;
	if ((rc = kt_session_rec_del(txn, db, rs->hash)) != 0)
		return rc;
	peer_text(kt_req_peer(r), peer, sizeof(peer));
	actor.user_id = info.user;
	snprintf(object, sizeof(object), "user:%" PRIu64, info.user);
	snprintf(detail, sizeof(detail), "%s; from %s", rs->why, peer);
	return kt_audit_record(st, txn, &actor, KT_AUDIT_RESUME, object,
	    KT_CODE_UNAUTH, detail);
}

static void
resume_expired_done(kt_req_t *r, int status)
{
	if (status != 0) {
		kt_req_fail_store(r, status);
		return;
	}
	kt_req_fail(r, KT_CODE_UNAUTH, RESUME_REFUSED);
}

static void
op_resume(kt_req_t *r, const Kartoteka__Request *msg)
{
	resume_st_t *rs = kt_req_state(r);
	kt_server_t *srv = kt_req_server(r);
	const kt_store_dbs_t *db = kt_store_dbs(srv->store);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__ResumeResponse rr = KARTOTEKA__RESUME_RESPONSE__INIT;
	Kartoteka__UserInfo ui = KARTOTEKA__USER_INFO__INIT;
	kt_arena_t *a = kt_req_arena(r);
	MDB_txn *txn = kt_req_txn(r);
	kt_user_t u;
	int rc;

	if (txn == NULL || a == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "store unavailable");
		return;
	}
	if (msg->resume->token.len != 32) {
		kt_req_fail(r, KT_CODE_UNAUTH, RESUME_REFUSED);
		return;
	}
	crypto_generichash(rs->hash, 32, msg->resume->token.data, 32, NULL, 0);
	rs->now = kt_now_s();
	rs->used_at = kt_session_last_use(srv, rs->hash);
	rc = kt_session_rec_alive(txn, db, rs->hash, kt_req_terminal_key(r),
	    rs->now, rs->used_at, &rs->info);
	if (rc == KT_EEXPIRED) {
		int64_t unused = rs->now - rs->info.last_used;
		if (rs->info.idle && unused < 120)
			snprintf(rs->why, sizeof(rs->why), "unused for %lld "
			    "seconds: session ended", (long long)unused);
		else if (rs->info.idle)
			snprintf(rs->why, sizeof(rs->why), "unused for %lld "
			    "minutes: session ended", (long long)(unused / 60));
		else
			snprintf(rs->why, sizeof(rs->why), "session expired");
		kt_req_submit(r, resume_expired_mut, resume_expired_done);
		return;
	}
	if (rc != 0 || kt_user_load(txn, db, rs->info.user, &u) != 0 ||
	    u.disabled ||
	    !kt_user_may_use_terminal(&u, kt_req_terminal_branch(r)) ||
	    kt_user_info(txn, db, &u, a, &ui) != 0) {
		kt_req_fail(r, KT_CODE_UNAUTH, RESUME_REFUSED);
		return;
	}
	if ((rc = resume_record(r, rs)) != 0) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "cannot record the resume: "
		    "try again");
		return;
	}
	kt_req_session_login(r, u.id, rs->hash, rs->info.expires);
	kt_session_set_idle(srv, rs->hash, rs->info.idle_s);
	rr.user = &ui;
	rr.expires_at = rs->info.expires;
	rr.idle_s = rs->info.idle_s;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_RESUME;
	resp.resume = &rr;
	kt_req_reply(r, &resp);
}

typedef struct logout_st {
	uint8_t session_hash[32];
} logout_st_t;

static int
logout_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	logout_st_t *l = kt_req_state(r);
	kt_actor_t actor = kt_req_actor(r);
	char object[32];
	int rc;

	if ((rc = kt_session_rec_del(txn, kt_store_dbs(st),
	    l->session_hash)) != 0)
		return rc;
	snprintf(object, sizeof(object), "user:%" PRIu64, actor.user_id);
	return kt_audit_record(st, txn, &actor, KT_AUDIT_LOGOUT, object, 0,
	    NULL);
}

static void
logout_done(kt_req_t *r, int status)
{
	logout_st_t *l = kt_req_state(r);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__LogoutResponse lr = KARTOTEKA__LOGOUT_RESPONSE__INIT;

	if (status != 0) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE,
		    "could not record the logout: try "
		    "again");
		return;
	}
	/* The session ends on every connection that resumed it, whether or
	 * not the one that asked is still there to read the answer. */
	kt_session_logout_everywhere(kt_req_server(r), l->session_hash);
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_LOGOUT;
	resp.logout = &lr;
	kt_req_reply(r, &resp);
}

static void
op_logout(kt_req_t *r, const Kartoteka__Request *msg)
{
	logout_st_t *l = kt_req_state(r);

	(void)msg;
	memcpy(l->session_hash, kt_req_session_hash(r), 32);
	kt_req_submit(r, logout_mut, logout_done);
}

static void
op_whoami(kt_req_t *r, const Kartoteka__Request *msg)
{
	kt_server_t *srv = kt_req_server(r);
	const kt_store_dbs_t *db = kt_store_dbs(srv->store);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__WhoamiResponse wr = KARTOTEKA__WHOAMI_RESPONSE__INIT;
	Kartoteka__UserInfo ui = KARTOTEKA__USER_INFO__INIT;
	Kartoteka__TerminalInfo ti = KARTOTEKA__TERMINAL_INFO__INIT;
	Ktstore__TerminalRecord *t = NULL;
	kt_arena_t *a = kt_req_arena(r);
	MDB_txn *txn = kt_req_txn(r);
	char bname[KT_NAME_MAX + 1] = "";
	Ktstore__UserDayRecord *day = NULL;
	Ktstore__BranchRecord *brec = NULL;
	kt_uday_who_t who;

	(void)msg;
	if (txn == NULL || a == NULL ||
	    kt_terminal_get(txn, db, kt_req_terminal_key(r), &t) != 0 ||
	    kt_user_info(txn, db, kt_req_caller(r), a, &ui) != 0) {
		if (t != NULL)
			protobuf_c_message_free_unpacked(&t->base, NULL);
		kt_req_fail(r, KT_CODE_INTERNAL, "cannot read the session");
		return;
	}
	kt_branch_name(txn, db, t->branch, bname, sizeof(bname));
	if (t->branch != 0 && kt_branch_get(txn, db, t->branch, &brec) == 0) {
		ti.desk_lock_s = brec->desk_lock_s;
		protobuf_c_message_free_unpacked(&brec->base, NULL);
	}
	ti.public_key.data = (uint8_t *)kt_req_terminal_key(r);
	ti.public_key.len = 32;
	ti.name = t->name;
	ti.branch = bname;
	ti.enrolled_at = t->enrolled_at;
	wr.user = &ui;
	wr.terminal = &ti;
	wr.session_expires_at = kt_req_session_expires(r);
	wr.session_idle_s = kt_session_idle_of(srv, kt_req_session_hash(r));
	/* the day's counters, as the quota counts them */
	who = kt_req_counted(r, txn, kt_now_s());
	if (kt_uday_get(txn, db, kt_req_caller(r)->id, who.day, &day) == 0 &&
	    day != NULL) {
		wr.views_today = day->views;
		wr.rows_today = day->rows;
	}
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_WHOAMI;
	resp.whoami = &wr;
	kt_req_reply(r, &resp);
	protobuf_c_message_free_unpacked(&t->base, NULL);
	if (day != NULL)
		ktstore__user_day_record__free_unpacked(day, NULL);
}

/* ------------------------------------------------------------------ */
/* unlock                                                              */
/* ------------------------------------------------------------------ */

typedef struct unlock_st {
	char login[KT_LOGIN_MAX + 1];
	int64_t now;
	uint64_t id;                /* [mutation] the user */
	kt_verdict_t v;
} unlock_st_t;

static int
unlock_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	unlock_st_t *u = kt_req_state(r);
	kt_actor_t actor = kt_req_actor(r);
	kt_user_t user;
	int rc;

	kt_verdict_ok(&u->v);
	rc = kt_user_find(txn, kt_store_dbs(st), u->login, &user, NULL);
	if (rc == KT_ENOTFOUND) {
		/* The owner may know which logins exist; the refusal is
		 * audited like the others. */
		kt_verdict_set(&u->v, KT_CODE_NOT_FOUND, "login: no user %s",
		    u->login);
		return kt_audit_record(st, txn, &actor, KT_AUDIT_USER_UNLOCK,
		    "", KT_CODE_NOT_FOUND, u->v.msg);
	}
	if (rc != 0)
		return rc;
	u->id = user.id;
	return kt_login_unlock_user(st, txn, &actor, u->login, user.id,
	    u->now);
}

static void
unlock_done(kt_req_t *r, int status)
{
	unlock_st_t *u = kt_req_state(r);
	kt_server_t *srv = kt_req_server(r);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__UserResponse ur = KARTOTEKA__USER_RESPONSE__INIT;
	Kartoteka__UserInfo ui = KARTOTEKA__USER_INFO__INIT;
	kt_arena_t *a = kt_req_arena(r);
	MDB_txn *txn = kt_req_txn(r);
	kt_user_t out;

	if (kt_req_refused(r, status, &u->v))
		return;
	if (txn == NULL || a == NULL || kt_user_load(txn,
	    kt_store_dbs(srv->store), u->id, &out) != 0 || kt_user_info(txn,
	    kt_store_dbs(srv->store), &out, a, &ui) != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL, "unlocked, but the user cannot "
		    "be read back");
		return;
	}
	ur.user = &ui;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_USER;
	resp.user = &ur;
	kt_req_reply(r, &resp);
}

static void
op_user_unlock(kt_req_t *r, const Kartoteka__Request *msg)
{
	unlock_st_t *u = kt_req_state(r);
	const char *login = msg->user_unlock->login ?
	    msg->user_unlock->login : "";
	const char *why;

	if ((why = kt_identity_login_problem(login)) != NULL) {
		kt_req_fail(r, KT_CODE_BAD, "login: %s", why);
		return;
	}
	snprintf(u->login, sizeof(u->login), "%s", login);
	u->now = kt_now_s();
	kt_req_submit(r, unlock_mut, unlock_done);
}

/* ------------------------------------------------------------------ */
/* the rows                                                            */
/* ------------------------------------------------------------------ */

#define OP(c) KARTOTEKA__REQUEST__OP_##c

static const kt_op_row_t rows[] = {
	{ OP(PING), KT_MSG("ping"), KT_PHASE_ANY, KT_OP_UNCAPPED, KT_ACT_OWN_SESSION,
	    KT_AUDIT_NONE, op_ping, 0 },
	{ OP(ENROLL), KT_MSG("enrol this terminal"), KT_PHASE_ANY, KT_OP_WRITE |
	    KT_OP_SECRET | KT_OP_SERIAL | KT_OP_ADDR_LIMIT, KT_ACT_OWN_SESSION,
	    KT_AUDIT_ENROLL, op_enroll, sizeof(enroll_st_t) },
	{ OP(LOGIN), KT_MSG("log in"), KT_PHASE_ENROLLED, KT_OP_WRITE | KT_OP_SECRET |
	    KT_OP_SERIAL | KT_OP_RESERVE, KT_ACT_OWN_SESSION, KT_AUDIT_LOGIN, op_login,
	    sizeof(login_st_t) },
	{ OP(RESUME), KT_MSG("resume a session"), KT_PHASE_ENROLLED,
	    KT_OP_WRITE | KT_OP_SECRET | KT_OP_RESERVE, KT_ACT_OWN_SESSION,
	    KT_AUDIT_RESUME,
	    op_resume, sizeof(resume_st_t) },
	{ OP(LOGOUT), KT_MSG("log out"), KT_PHASE_LOGGED_IN, KT_OP_WRITE |
	    KT_OP_RESERVE, KT_ACT_OWN_SESSION, KT_AUDIT_LOGOUT, op_logout,
	    sizeof(logout_st_t) },
	{ OP(WHOAMI), KT_MSG("say who is logged in"), KT_PHASE_LOGGED_IN,
	    KT_OP_UNCAPPED, KT_ACT_OWN_SESSION, KT_AUDIT_NONE, op_whoami, 0 },
	{ OP(USER_UNLOCK), KT_MSG("unlock logins"), KT_PHASE_LOGGED_IN, KT_OP_WRITE,
	    KT_ACT_ADMIN, KT_AUDIT_USER_UNLOCK, op_user_unlock,
	    sizeof(unlock_st_t) },
};

const kt_op_domain_t kt_ops_auth = { "auth", rows,
	sizeof(rows) / sizeof(rows[0]) };
