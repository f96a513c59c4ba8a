/* SPDX-License-Identifier: MIT */
/* Requests that establish who is on the other end: ping, enrolment of a
 * terminal, login (Argon2id on the thread pool, delays and lockout),
 * resume, logout and whoami; plus the revocation sweep. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/audit.h"
#include "kt_error.h"
#include "records.pb-c.h"
#include "server.h"

typedef Kartoteka__Error__Code err_code_t;
#define E_OK KARTOTEKA__ERROR__CODE__OK
#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_UNAUTH KARTOTEKA__ERROR__CODE__UNAUTHENTICATED
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define E_CONFLICT KARTOTEKA__ERROR__CODE__CONFLICT
#define E_RATE KARTOTEKA__ERROR__CODE__RATE_LIMITED
#define E_UNAVAILABLE KARTOTEKA__ERROR__CODE__UNAVAILABLE
#define E_INTERNAL KARTOTEKA__ERROR__CODE__INTERNAL

typedef srv_user_t user_view_t;

/* ------------------------------------------------------------------ */
/* reading records                                                     */
/* ------------------------------------------------------------------ */

static void
copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

void
srv_branch_name(kt_server_t *srv, MDB_txn *txn, uint64_t id, char *out,
    size_t cap)
{
	uint8_t key[8];
	Ktstore__BranchRecord *b = NULL;

	kt_store_be64(key, id);
	if (kt_store_get_record(txn, kt_store_dbs(srv->store)->branches, key,
	    sizeof(key), &ktstore__branch_record__descriptor,
	    (ProtobufCMessage **)&b) == 0) {
		copy_str(out, cap, b->name);
		protobuf_c_message_free_unpacked(&b->base, NULL);
	} else {
		snprintf(out, cap, "#%" PRIu64, id);
	}
}

int
srv_load_user(kt_server_t *srv, MDB_txn *txn, uint64_t id, srv_user_t *u)
{
	uint8_t key[8];
	Ktstore__UserRecord *r = NULL;
	int rc;

	memset(u, 0, sizeof(*u));
	kt_store_be64(key, id);
	rc = kt_store_get_record(txn, kt_store_dbs(srv->store)->users, key,
	    sizeof(key), &ktstore__user_record__descriptor,
	    (ProtobufCMessage **)&r);
	if (rc != 0)
		return rc;
	u->id = r->id;
	copy_str(u->login, sizeof(u->login), r->login);
	copy_str(u->name, sizeof(u->name), r->name);
	copy_str(u->pwhash, sizeof(u->pwhash), r->password_hash);
	u->role = r->role;
	u->disabled = r->disabled;
	u->daily_view_quota = r->daily_view_quota;
	for (size_t i = 0; i < r->n_branches && i < KT_MAX_USER_BRANCHES; i++) {
		u->branches[i] = r->branches[i];
		srv_branch_name(srv, txn, r->branches[i], u->names[i],
		    sizeof(u->names[i]));
		u->name_ptrs[i] = u->names[i];
		u->nbranches++;
	}
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return 0;
}

int
srv_find_user(kt_server_t *srv, MDB_txn *txn, const char *login, srv_user_t *u)
{
	MDB_val k = { strlen(login), (void *)login }, v;
	int rc = mdb_get(txn, kt_store_dbs(srv->store)->user_logins, &k, &v);

	if (rc != 0)
		return kt_store_err(rc);
	if (v.mv_size != 8)
		return KT_EPROTO;
	return srv_load_user(srv, txn, kt_store_get_be64(v.mv_data), u);
}

void
srv_user_info(Kartoteka__UserInfo *ui, srv_user_t *u)
{
	ui->id = u->id;
	ui->login = u->login;
	ui->name = u->name;
	ui->role = (Kartoteka__Role)u->role;
	ui->n_branches = u->nbranches;
	ui->branches = u->name_ptrs;
	ui->disabled = u->disabled;
	ui->daily_view_quota = u->daily_view_quota;
}

/* May user u work from a terminal of branch term_branch? The owner from
 * any terminal; heads and managers only from their branches' terminals. */
int
srv_user_may_use_terminal(const srv_user_t *u, uint64_t term_branch)
{
	if (u->role == KARTOTEKA__ROLE__OWNER)
		return 1;
	for (size_t i = 0; i < u->nbranches; i++)
		if (term_branch != 0 && u->branches[i] == term_branch)
			return 1;
	return 0;
}

static void
term_object(char out[static 48], const uint8_t key[static 32])
{
	memcpy(out, "terminal:", 9);
	kt_hex(out + 9, key, 8);
}

/* Sends a plain error answer built from a code and message. */
static void
reply_error(srv_conn_t *c, uint64_t id, err_code_t code, const char *msg)
{
	srv_send_error(c, id, code, msg, 0);
}

int
srv_submit(srv_conn_t *c, kt_store_mutation_fn fn, kt_writer_done_fn done,
    void *arg)
{
	int rc;

	srv_conn_ref(c);
	rc = kt_writer_submit(c->srv->writer, fn, done, arg);
	if (rc != 0)
		srv_conn_unref(c);
	return rc;
}

/* ------------------------------------------------------------------ */
/* ping                                                                */
/* ------------------------------------------------------------------ */

static void
handle_ping(srv_conn_t *c, const Kartoteka__Request *req)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__PingResponse ping = KARTOTEKA__PING_RESPONSE__INIT;

	ping.server_time = kt_now_ms();
	ping.enrolled = c->enrolled;
	ping.server_version = KT_SERVER_VERSION;
	resp.id = req->id;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_PING;
	resp.ping = &ping;
	srv_send(c, &resp);
}

/* ------------------------------------------------------------------ */
/* enrolment                                                           */
/* ------------------------------------------------------------------ */

typedef struct enroll_op {
	srv_conn_t *c;
	uint64_t req_id;
	const uint8_t *sign_sk;
	uint8_t token_hash[32];
	uint8_t term_key[32];
	char name[65];
	int64_t now;
	/* results, set on the writer thread */
	err_code_t code;
	char msg[160];
	uint64_t branch;
} enroll_op_t;

static int
enroll_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	enroll_op_t *op = arg;
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__InviteRecord *inv = NULL;
	Ktstore__TerminalRecord *old = NULL;
	Ktstore__TerminalRecord term = KTSTORE__TERMINAL_RECORD__INIT;
	kt_audit_event_t ev = { 0 };
	char object[48], detail[160];
	int rc;

	op->code = E_OK;
	rc = kt_store_get_record(txn, db->invites, op->token_hash, 32,
	    &ktstore__invite_record__descriptor, (ProtobufCMessage **)&inv);
	if (rc == KT_ENOTFOUND) {
		op->code = E_UNAUTH;
		snprintf(op->msg, sizeof(op->msg), "invite code is not valid: "
		    "check it, or ask the owner for a new one");
	} else if (rc != 0) {
		goto out;
	} else if (inv->used) {
		op->code = E_UNAUTH;
		snprintf(op->msg, sizeof(op->msg), "invite code was already "
		    "used: ask the owner for a new one");
	} else if (inv->expires_at <= op->now) {
		op->code = E_UNAUTH;
		snprintf(op->msg, sizeof(op->msg), "invite code has expired: "
		    "ask the owner for a new one");
	}
	if (op->code == E_OK) {
		rc = kt_store_get_record(txn, db->terminals, op->term_key, 32,
		    &ktstore__terminal_record__descriptor,
		    (ProtobufCMessage **)&old);
		if (rc == 0) {
			op->code = old->revoked ? E_FORBIDDEN : E_CONFLICT;
			snprintf(op->msg, sizeof(op->msg), "%s",
			    old->revoked ? "this terminal key was revoked" :
			    "this terminal is already enrolled");
		} else if (rc != KT_ENOTFOUND) {
			goto out;
		}
	}
	term_object(object, op->term_key);
	if (op->code == E_OK) {
		ProtobufCBinaryData unpacked = inv->used_by;
		inv->used = 1;
		inv->used_by.data = op->term_key;
		inv->used_by.len = 32;
		rc = kt_store_put_record(txn, db->invites, op->token_hash, 32,
		    &inv->base, 0);
		inv->used_by = unpacked; /* the unpacked buffer is freed below */
		if (rc != 0)
			goto out;
		term.public_key.data = op->term_key;
		term.public_key.len = 32;
		term.name = op->name;
		term.branch = inv->branch;
		term.enrolled_at = op->now;
		rc = kt_store_put_record(txn, db->terminals, op->term_key, 32,
		    &term.base, MDB_NOOVERWRITE);
		if (rc != 0)
			goto out;
		op->branch = inv->branch;
		snprintf(detail, sizeof(detail), "name=%s branch=%" PRIu64,
		    op->name, inv->branch);
		ev.action = "enroll";
	} else {
		snprintf(detail, sizeof(detail), "%s", op->msg);
		ev.action = "enroll.failed";
	}
	ev.terminal_key = op->term_key;
	ev.object = object;
	ev.outcome = (uint32_t)op->code;
	ev.detail = detail;
	rc = kt_identity_audit(st, txn, &ev, op->sign_sk);
out:
	if (inv)
		protobuf_c_message_free_unpacked(&inv->base, NULL);
	if (old)
		protobuf_c_message_free_unpacked(&old->base, NULL);
	return rc;
}

static void
enroll_done(int status, void *arg)
{
	enroll_op_t *op = arg;
	srv_conn_t *c = op->c;
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__EnrollResponse er = KARTOTEKA__ENROLL_RESPONSE__INIT;
	Kartoteka__TerminalInfo ti = KARTOTEKA__TERMINAL_INFO__INIT;
	char bname[129] = "";
	MDB_txn *txn = NULL;

	if (!srv_conn_alive(c))
		goto out;
	if (status != 0) {
		reply_error(c, op->req_id, E_UNAVAILABLE,
		    "could not save the enrolment: try again");
		goto out;
	}
	if (op->code != E_OK) {
		/* One failed enrolment per connection, and a brake per
		 * address: each failure costs an audit entry and a commit. */
		kt_limiter_fail(&c->srv->enroll_limit, &c->peer,
		    uv_now(c->srv->loop));
		srv_send_error(c, op->req_id, op->code, op->msg, 1);
		goto out;
	}
	c->enrolled = 1;
	c->term_branch = op->branch;
	if (op->branch && kt_store_read_begin(c->srv->store, &txn) == 0) {
		srv_branch_name(c->srv, txn, op->branch, bname, sizeof(bname));
		kt_store_read_end(c->srv->store, txn);
	}
	ti.public_key.data = op->term_key;
	ti.public_key.len = 32;
	ti.name = op->name;
	ti.branch = bname;
	ti.enrolled_at = op->now;
	er.terminal = &ti;
	resp.id = op->req_id;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_ENROLL;
	resp.enroll = &er;
	srv_send(c, &resp);
out:
	srv_conn_unref(c);
	free(op);
}

/* A name is 1..64 bytes without control characters. */
static const char *
name_problem(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0)
		return "is empty";
	if (n > max)
		return "is too long";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "contains control characters";
	return NULL;
}

static void
handle_enroll(srv_conn_t *c, const Kartoteka__Request *req)
{
	const Kartoteka__EnrollRequest *er = req->enroll;
	enroll_op_t *op = NULL;
	const char *why;
	char msg[96];

	if (c->enrolled) {
		reply_error(c, req->id, E_CONFLICT,
		    "this terminal is already enrolled");
		return;
	}
	if (!kt_limiter_allowed(&c->srv->enroll_limit, &c->peer,
	    uv_now(c->srv->loop))) {
		srv_send_error(c, req->id, E_RATE, "too many failed enrolments "
		    "from this address: try again in a minute", 1);
		return;
	}
	if (er->token.len < 16 || er->token.len > 32) {
		snprintf(msg, sizeof(msg), "token: %zu bytes, expected 16 to 32",
		    er->token.len);
		reply_error(c, req->id, E_BAD, msg);
		return;
	}
	if ((why = name_problem(er->name ? er->name : "", 64)) != NULL) {
		snprintf(msg, sizeof(msg), "name: terminal name %s", why);
		reply_error(c, req->id, E_BAD, msg);
		return;
	}
	op = calloc(1, sizeof(*op));
	if (op == NULL) {
		reply_error(c, req->id, E_INTERNAL, "out of memory");
		return;
	}
	op->c = c;
	op->req_id = req->id;
	op->sign_sk = c->srv->sign_sk;
	crypto_generichash(op->token_hash, 32, er->token.data, er->token.len,
	    NULL, 0);
	memcpy(op->term_key, c->term_key, 32);
	copy_str(op->name, sizeof(op->name), er->name);
	op->now = kt_now_s();
	srv_conn_ref(c);
	if (kt_writer_submit(c->srv->writer, enroll_mut, enroll_done, op) != 0) {
		reply_error(c, req->id, E_UNAVAILABLE, "server is stopping");
		srv_conn_unref(c);
		free(op);
	}
}

/* ------------------------------------------------------------------ */
/* login                                                               */
/* ------------------------------------------------------------------ */

/* Failures older than this no longer count. */
#define FAILURE_MEMORY_S (24 * 3600)

/* The failures that still count at now: a lock that has run out, or a
 * last failure long ago, starts the count afresh. */
static uint32_t
failures_now(const Ktstore__LoginFailureRecord *f, int64_t now)
{
	if (f == NULL)
		return 0;
	if (f->locked_until != 0 && f->locked_until <= now)
		return 0;
	if (now - f->last_failure > FAILURE_MEMORY_S)
		return 0;
	return f->failures;
}

typedef struct login_op {
	srv_conn_t *c;
	kt_server_t *srv;
	uint64_t req_id;
	char login[65];
	char password[1025];
	uint8_t term_key[32];
	uint64_t term_branch;
	user_view_t user;
	int user_found;
	int locked;                 /* refused without checking */
	int64_t locked_until;
	uint32_t failures;          /* failures that still count */
	uv_timer_t delay;
	uv_work_t work;
	int pw_ok;
	int rehash;
	char new_hash[crypto_pwhash_STRBYTES];
	int64_t now;
	/* results */
	err_code_t code;
	char msg[160];
	uint8_t token[32];
	uint8_t token_hash[32];
	int64_t expires;
} login_op_t;

static void
login_op_free(login_op_t *op)
{
	sodium_memzero(op, sizeof(*op));
	free(op);
}

static int
login_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	login_op_t *op = arg;
	kt_server_t *srv = op->srv;
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__LoginFailureRecord *fail = NULL;
	Ktstore__LoginFailureRecord nf = KTSTORE__LOGIN_FAILURE_RECORD__INIT;
	kt_audit_event_t ev = { 0 };
	char object[96], detail[160];
	size_t llen = strlen(op->login);
	int rc;

	rc = kt_store_get_record(txn, db->login_failures, op->login, llen,
	    &ktstore__login_failure_record__descriptor,
	    (ProtobufCMessage **)&fail);
	if (rc != 0 && rc != KT_ENOTFOUND)
		goto out;
	snprintf(object, sizeof(object), "login:%s", op->login);
	ev.terminal_key = op->term_key;
	ev.object = object;
	ev.detail = detail;
	detail[0] = '\0';

	/* The loop decided from a read taken when the request arrived;
	 * attempts running side by side (pipelined or on other connections)
	 * may have locked the login since. The writer sees every attempt in
	 * order, so the lock is enforced here, whatever the password. */
	if (fail && fail->locked_until > op->now &&
	    (op->code == E_OK || op->code == E_UNAUTH)) {
		op->code = E_RATE;
		op->locked = 1;
		snprintf(op->msg, sizeof(op->msg), "too many failed attempts "
		    "for this login: try again in %lld minutes",
		    (long long)((fail->locked_until - op->now + 59) / 60));
	}

	if (op->code == E_OK) {
		Ktstore__SessionRecord s = KTSTORE__SESSION_RECORD__INIT;

		if (fail) {
			MDB_val k = { llen, op->login };
			rc = kt_store_err(mdb_del(txn, db->login_failures, &k,
			    NULL));
			if (rc != 0)
				goto out;
		}
		s.user_id = op->user.id;
		s.terminal_key.data = op->term_key;
		s.terminal_key.len = 32;
		s.created_at = op->now;
		s.expires_at = op->expires;
		rc = kt_store_put_record(txn, db->sessions, op->token_hash, 32,
		    &s.base, MDB_NOOVERWRITE);
		if (rc != 0)
			goto out;
		if (op->rehash) {
			Ktstore__UserRecord *u = NULL;
			uint8_t key[8];
			kt_store_be64(key, op->user.id);
			rc = kt_store_get_record(txn, db->users, key, 8,
			    &ktstore__user_record__descriptor,
			    (ProtobufCMessage **)&u);
			if (rc == 0) {
				char *old = u->password_hash;
				u->password_hash = op->new_hash;
				rc = kt_store_put_record(txn, db->users, key, 8,
				    &u->base, 0);
				u->password_hash = old;
				protobuf_c_message_free_unpacked(&u->base, NULL);
			}
			if (rc != 0)
				goto out;
			snprintf(detail, sizeof(detail), "password rehashed");
		}
		ev.user_id = op->user.id;
		ev.action = "login";
	} else {
		ev.user_id = op->user_found ? op->user.id : 0;
		ev.action = "login.failed";
		ev.outcome = (uint32_t)op->code;
		if (op->locked) {
			/* Audited once per lock: later refusals are answered
			 * by the loop without a write. */
			snprintf(detail, sizeof(detail), "locked");
			if (fail && !fail->lock_audited) {
				fail->lock_audited = 1;
				rc = kt_store_put_record(txn, db->login_failures,
				    op->login, llen, &fail->base, 0);
				if (rc != 0)
					goto out;
			}
		} else if (op->code == E_UNAUTH) {
			/* A wrong password or an unknown login: count it. */
			nf.failures = failures_now(fail, op->now) + 1;
			nf.last_failure = op->now;
			if (nf.failures >= srv->opts.lockout_after)
				nf.locked_until = op->now + srv->opts.lockout_s;
			rc = kt_store_put_record(txn, db->login_failures,
			    op->login, llen, &nf.base, 0);
			if (rc != 0)
				goto out;
			snprintf(detail, sizeof(detail), "%s, failure %u%s",
			    op->user_found ? "wrong password" : "unknown login",
			    nf.failures, nf.locked_until ? ", login locked" : "");
		} else {
			snprintf(detail, sizeof(detail), "%s", op->msg);
		}
	}
	rc = kt_identity_audit(st, txn, &ev, srv->sign_sk);
out:
	if (fail)
		protobuf_c_message_free_unpacked(&fail->base, NULL);
	return rc;
}

static void
login_done(int status, void *arg)
{
	login_op_t *op = arg;
	srv_conn_t *c = op->c;
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__LoginResponse lr = KARTOTEKA__LOGIN_RESPONSE__INIT;
	Kartoteka__UserInfo ui = KARTOTEKA__USER_INFO__INIT;

	c->login_inflight = 0;
	if (!srv_conn_alive(c))
		goto out;
	if (status != 0) {
		reply_error(c, op->req_id, E_UNAVAILABLE,
		    "could not record the login: try again");
		goto out;
	}
	if (op->code != E_OK) {
		reply_error(c, op->req_id, op->code, op->msg);
		goto out;
	}
	c->user_id = op->user.id;
	memcpy(c->session_hash, op->token_hash, 32);
	c->session_expires = op->expires;
	srv_user_info(&ui, &op->user);
	lr.token.data = op->token;
	lr.token.len = 32;
	lr.expires_at = op->expires;
	lr.user = &ui;
	resp.id = op->req_id;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_LOGIN;
	resp.login = &lr;
	srv_send(c, &resp);
out:
	srv_conn_unref(c);
	login_op_free(op);
}

/* Runs on the loop: turns the checks into an outcome, hands it to the
 * writer so the answer leaves only once the audit entry is committed. */
static void
login_decide(login_op_t *op)
{
	kt_server_t *srv = op->srv;

	sodium_memzero(op->password, sizeof(op->password));
	op->now = kt_now_s();
	if (op->locked) {
		op->code = E_RATE;
		snprintf(op->msg, sizeof(op->msg), "too many failed attempts "
		    "for this login: try again in %lld minutes",
		    (long long)((op->locked_until - op->now + 59) / 60));
	} else if (!op->user_found || !op->pw_ok) {
		op->code = E_UNAUTH;
		snprintf(op->msg, sizeof(op->msg), "wrong login or password");
	} else if (op->user.disabled) {
		op->code = E_FORBIDDEN;
		snprintf(op->msg, sizeof(op->msg), "this account is disabled: "
		    "ask the owner");
	} else if (!srv_user_may_use_terminal(&op->user, op->term_branch)) {
		op->code = E_FORBIDDEN;
		snprintf(op->msg, sizeof(op->msg), "user %s may log in only "
		    "from terminals of their own branches", op->login);
	} else {
		op->code = E_OK;
		randombytes_buf(op->token, sizeof(op->token));
		crypto_generichash(op->token_hash, 32, op->token, 32, NULL, 0);
		op->expires = op->now + srv->opts.session_ttl_s;
	}
	if (kt_writer_submit(srv->writer, login_mut, login_done, op) != 0) {
		op->c->login_inflight = 0;
		if (srv_conn_alive(op->c))
			reply_error(op->c, op->req_id, E_UNAVAILABLE,
			    "server is stopping");
		srv_conn_unref(op->c);
		login_op_free(op);
	}
}

/* Thread pool: Argon2id verification (and rehash when the limits have
 * changed). Unknown logins verify a dummy hash so that both answers take
 * the same time. */
static void
login_verify_work(uv_work_t *w)
{
	login_op_t *op = w->data;
	const char *hash = op->user_found ? op->user.pwhash :
	    op->srv->dummy_hash;
	int ok = crypto_pwhash_str_verify(hash, op->password,
	    strlen(op->password)) == 0;

	op->pw_ok = ok && op->user_found;
	if (op->pw_ok && crypto_pwhash_str_needs_rehash(op->user.pwhash,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		op->rehash = kt_identity_hash_password(op->new_hash,
		    op->password) == 0;
}

static void
login_verify_after(uv_work_t *w, int status)
{
	login_op_t *op = w->data;

	kt_server_t *srv = op->srv;

	if (status != 0)
		op->pw_ok = 0;
	login_decide(op);
	srv->pending_jobs--;
	srv_maybe_finish_stop(srv);
}

static void
login_delay_closed(uv_handle_t *h)
{
	login_op_t *op = h->data;

	op->work.data = op;
	op->srv->pending_jobs++;
	if (uv_queue_work(op->srv->loop, &op->work, login_verify_work,
	    login_verify_after) != 0) {
		op->srv->pending_jobs--;
		op->pw_ok = 0;
		login_decide(op);
	}
}

static void
login_delay_fired(uv_timer_t *t)
{
	uv_close((uv_handle_t *)t, login_delay_closed);
}

static void
handle_login(srv_conn_t *c, const Kartoteka__Request *req)
{
	const Kartoteka__LoginRequest *lr = req->login;
	kt_server_t *srv = c->srv;
	login_op_t *op = NULL;
	const char *why;
	char msg[128];
	MDB_txn *txn = NULL;
	Ktstore__LoginFailureRecord *fail = NULL;
	uint64_t delay_ms = 0;
	int lock_audited = 0;
	int rc;

	if ((why = kt_identity_login_problem(lr->login ? lr->login : "")) !=
	    NULL) {
		snprintf(msg, sizeof(msg), "login: %s", why);
		reply_error(c, req->id, E_BAD, msg);
		return;
	}
	if (lr->password == NULL || lr->password[0] == '\0' ||
	    strlen(lr->password) > 1024) {
		reply_error(c, req->id, E_BAD,
		    "password: must be 1 to 1024 bytes");
		return;
	}
	/* One login at a time per connection: pipelined guesses would all
	 * see the same failure count and run their delays side by side. */
	if (c->login_inflight) {
		reply_error(c, req->id, E_RATE, "another login is in progress "
		    "on this connection: wait for its answer");
		return;
	}
	op = calloc(1, sizeof(*op));
	if (op == NULL) {
		reply_error(c, req->id, E_INTERNAL, "out of memory");
		return;
	}
	op->c = c;
	op->srv = srv;
	op->req_id = req->id;
	copy_str(op->login, sizeof(op->login), lr->login);
	copy_str(op->password, sizeof(op->password), lr->password);
	memcpy(op->term_key, c->term_key, 32);
	op->term_branch = c->term_branch;

	rc = kt_store_read_begin(srv->store, &txn);
	if (rc != 0) {
		reply_error(c, req->id, E_UNAVAILABLE, "store unavailable");
		login_op_free(op);
		return;
	}
	op->user_found = srv_find_user(srv, txn, op->login, &op->user) == 0;
	if (kt_store_get_record(txn, kt_store_dbs(srv->store)->login_failures,
	    op->login, strlen(op->login),
	    &ktstore__login_failure_record__descriptor,
	    (ProtobufCMessage **)&fail) == 0) {
		op->failures = failures_now(fail, kt_now_s());
		op->locked_until = fail->locked_until;
		lock_audited = fail->lock_audited;
		protobuf_c_message_free_unpacked(&fail->base, NULL);
	}
	kt_store_read_end(srv->store, txn);

	if (op->locked_until > kt_now_s()) {
		if (lock_audited) {
			/* Already recorded for this lock: answer without a
			 * write, so a flood of guesses costs the disk nothing. */
			snprintf(msg, sizeof(msg), "too many failed attempts "
			    "for this login: try again in %lld minutes",
			    (long long)((op->locked_until - kt_now_s() + 59) /
			    60));
			reply_error(c, req->id, E_RATE, msg);
			login_op_free(op);
			return;
		}
		srv_conn_ref(c);
		c->login_inflight = 1;
		op->locked = 1;
		login_decide(op);
		return;
	}
	srv_conn_ref(c);
	c->login_inflight = 1;
	/* A growing delay after the first few failures: 250 ms, doubling,
	 * up to the configured cap. Same for known and unknown logins. */
	if (op->failures >= srv->opts.login_delay_after) {
		unsigned shift = op->failures - srv->opts.login_delay_after;
		delay_ms = shift >= 20 ? srv->opts.login_delay_max_ms :
		    250ull << shift;
		if (delay_ms > srv->opts.login_delay_max_ms)
			delay_ms = srv->opts.login_delay_max_ms;
	}
	uv_timer_init(srv->loop, &op->delay);
	op->delay.data = op;
	uv_timer_start(&op->delay, login_delay_fired, delay_ms, 0);
}

/* ------------------------------------------------------------------ */
/* sessions                                                            */
/* ------------------------------------------------------------------ */

/* Checks the session for token_hash belongs to this terminal and a
 * working user. Fills u. Returns 0 or KT_ENOTFOUND/KT_EEXPIRED/KT_EPERM. */
static int
check_session(kt_server_t *srv, MDB_txn *txn, const uint8_t hash[32],
    const srv_conn_t *c, user_view_t *u, int64_t *expires)
{
	Ktstore__SessionRecord *s = NULL;
	int rc;

	rc = kt_store_get_record(txn, kt_store_dbs(srv->store)->sessions, hash,
	    32, &ktstore__session_record__descriptor, (ProtobufCMessage **)&s);
	if (rc != 0)
		return rc;
	if (s->expires_at <= kt_now_s())
		rc = KT_EEXPIRED;
	else if (s->terminal_key.len != 32 ||
	    sodium_memcmp(s->terminal_key.data, c->term_key, 32) != 0)
		rc = KT_EPERM;
	else if (srv_load_user(srv, txn, s->user_id, u) != 0 || u->disabled ||
	    !srv_user_may_use_terminal(u, c->term_branch))
		rc = KT_EPERM;
	*expires = s->expires_at;
	protobuf_c_message_free_unpacked(&s->base, NULL);
	return rc;
}

static void
handle_resume(srv_conn_t *c, const Kartoteka__Request *req)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__ResumeResponse rr = KARTOTEKA__RESUME_RESPONSE__INIT;
	Kartoteka__UserInfo ui = KARTOTEKA__USER_INFO__INIT;
	user_view_t *u = NULL;
	uint8_t hash[32];
	int64_t expires = 0;
	MDB_txn *txn = NULL;
	int rc = KT_EINVAL;

	u = malloc(sizeof(*u));
	if (u == NULL) {
		reply_error(c, req->id, E_INTERNAL, "out of memory");
		return;
	}
	if (req->resume->token.len == 32 &&
	    kt_store_read_begin(c->srv->store, &txn) == 0) {
		crypto_generichash(hash, 32, req->resume->token.data, 32,
		    NULL, 0);
		rc = check_session(c->srv, txn, hash, c, u, &expires);
		kt_store_read_end(c->srv->store, txn);
	}
	if (rc != 0) {
		reply_error(c, req->id, E_UNAUTH, "session has expired or is "
		    "not valid on this terminal: log in again");
		goto out;
	}
	c->user_id = u->id;
	memcpy(c->session_hash, hash, 32);
	c->session_expires = expires;
	srv_user_info(&ui, u);
	rr.user = &ui;
	rr.expires_at = expires;
	resp.id = req->id;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_RESUME;
	resp.resume = &rr;
	srv_send(c, &resp);
out:
	sodium_memzero(hash, sizeof(hash));
	free(u);
}

typedef struct logout_op {
	srv_conn_t *c;
	uint64_t req_id;
	uint64_t user_id;
	uint8_t term_key[32];
	uint8_t session_hash[32];
	const uint8_t *sign_sk;
} logout_op_t;

static int
logout_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	logout_op_t *op = arg;
	MDB_val k = { 32, op->session_hash };
	kt_audit_event_t ev = { 0 };
	char object[32];
	int rc;

	rc = mdb_del(txn, kt_store_dbs(st)->sessions, &k, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return kt_store_err(rc);
	snprintf(object, sizeof(object), "user:%" PRIu64, op->user_id);
	ev.user_id = op->user_id;
	ev.terminal_key = op->term_key;
	ev.action = "logout";
	ev.object = object;
	return kt_identity_audit(st, txn, &ev, op->sign_sk);
}

static void
logout_done(int status, void *arg)
{
	logout_op_t *op = arg;
	srv_conn_t *c = op->c;
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__LogoutResponse lr = KARTOTEKA__LOGOUT_RESPONSE__INIT;

	if (!srv_conn_alive(c))
		goto out;
	if (status != 0) {
		reply_error(c, op->req_id, E_UNAVAILABLE,
		    "could not record the logout: try again");
		goto out;
	}
	/* The session ends on every connection that resumed it. */
	for (srv_conn_t *o = c->srv->conns; o != NULL; o = o->next) {
		if (o->user_id != 0 &&
		    sodium_memcmp(o->session_hash, op->session_hash, 32) == 0) {
			o->user_id = 0;
			sodium_memzero(o->session_hash, 32);
		}
	}
	resp.id = op->req_id;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_LOGOUT;
	resp.logout = &lr;
	srv_send(c, &resp);
out:
	srv_conn_unref(c);
	sodium_memzero(op, sizeof(*op));
	free(op);
}

static void
handle_logout(srv_conn_t *c, const Kartoteka__Request *req)
{
	logout_op_t *op = calloc(1, sizeof(*op));

	if (op == NULL) {
		reply_error(c, req->id, E_INTERNAL, "out of memory");
		return;
	}
	op->c = c;
	op->req_id = req->id;
	op->user_id = c->user_id;
	op->sign_sk = c->srv->sign_sk;
	memcpy(op->term_key, c->term_key, 32);
	memcpy(op->session_hash, c->session_hash, 32);
	srv_conn_ref(c);
	if (kt_writer_submit(c->srv->writer, logout_mut, logout_done, op) != 0) {
		reply_error(c, req->id, E_UNAVAILABLE, "server is stopping");
		srv_conn_unref(c);
		free(op);
	}
}

static void
handle_whoami(srv_conn_t *c, const Kartoteka__Request *req)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__WhoamiResponse wr = KARTOTEKA__WHOAMI_RESPONSE__INIT;
	Kartoteka__UserInfo ui = KARTOTEKA__USER_INFO__INIT;
	Kartoteka__TerminalInfo ti = KARTOTEKA__TERMINAL_INFO__INIT;
	Ktstore__TerminalRecord *t = NULL;
	user_view_t *u = malloc(sizeof(*u));
	char bname[129] = "";
	MDB_txn *txn = NULL;
	int rc = KT_ENOMEM;

	if (u != NULL && (rc = kt_store_read_begin(c->srv->store, &txn)) == 0) {
		rc = srv_load_user(c->srv, txn, c->user_id, u);
		if (rc == 0)
			rc = kt_store_get_record(txn,
			    kt_store_dbs(c->srv->store)->terminals,
			    c->term_key, 32,
			    &ktstore__terminal_record__descriptor,
			    (ProtobufCMessage **)&t);
		if (rc == 0 && t->branch)
			srv_branch_name(c->srv, txn, t->branch, bname,
			    sizeof(bname));
		kt_store_read_end(c->srv->store, txn);
	}
	if (rc != 0) {
		reply_error(c, req->id, E_INTERNAL, "cannot read the session");
		goto out;
	}
	srv_user_info(&ui, u);
	ti.public_key.data = c->term_key;
	ti.public_key.len = 32;
	ti.name = t->name;
	ti.branch = bname;
	ti.enrolled_at = t->enrolled_at;
	wr.user = &ui;
	wr.terminal = &ti;
	wr.session_expires_at = c->session_expires;
	resp.id = req->id;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_WHOAMI;
	resp.whoami = &wr;
	srv_send(c, &resp);
out:
	if (t)
		protobuf_c_message_free_unpacked(&t->base, NULL);
	free(u);
}

/* ------------------------------------------------------------------ */
/* dispatch and terminal checks                                        */
/* ------------------------------------------------------------------ */

void
auth_dispatch(srv_conn_t *c, const Kartoteka__Request *req)
{
	/* Every op but ping and whoami/resume works asynchronously and holds
	 * the connection; bound how many one connection may start. */
	if (c->refs > SRV_MAX_INFLIGHT &&
	    req->op_case != KARTOTEKA__REQUEST__OP_PING) {
		reply_error(c, req->id, E_RATE, "too many requests in flight "
		    "on this connection: wait for answers");
		return;
	}
	switch (req->op_case) {
	case KARTOTEKA__REQUEST__OP_PING:
		handle_ping(c, req);
		return;
	case KARTOTEKA__REQUEST__OP_ENROLL:
		handle_enroll(c, req);
		return;
	default:
		break;
	}
	if (!c->enrolled) {
		srv_send_error(c, req->id, E_UNAUTH, "this terminal is not "
		    "enrolled: ask the owner for an invite code", 1);
		return;
	}
	switch (req->op_case) {
	case KARTOTEKA__REQUEST__OP_LOGIN:
		handle_login(c, req);
		return;
	case KARTOTEKA__REQUEST__OP_RESUME:
		handle_resume(c, req);
		return;
	default:
		break;
	}
	if (c->user_id == 0 || c->session_expires <= kt_now_s()) {
		c->user_id = 0;
		reply_error(c, req->id, E_UNAUTH, "not logged in: log in first");
		return;
	}
	switch (req->op_case) {
	case KARTOTEKA__REQUEST__OP_LOGOUT:
		handle_logout(c, req);
		return;
	case KARTOTEKA__REQUEST__OP_WHOAMI:
		handle_whoami(c, req);
		return;
	default:
		break;
	}
	if (admin_dispatch(c, req) || clients_dispatch(c, req))
		return;
	srv_send_error(c, req->id, E_BAD, "unknown op", 1);
}

int
auth_check_terminal(kt_server_t *srv, srv_conn_t *c)
{
	Ktstore__TerminalRecord *t = NULL;
	MDB_txn *txn = NULL;
	int rc;

	c->enrolled = 0;
	rc = kt_store_read_begin(srv->store, &txn);
	if (rc != 0)
		return rc;
	rc = kt_store_get_record(txn, kt_store_dbs(srv->store)->terminals,
	    c->term_key, 32, &ktstore__terminal_record__descriptor,
	    (ProtobufCMessage **)&t);
	kt_store_read_end(srv->store, txn);
	if (rc == KT_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (t->revoked) {
		rc = KT_EPERM;
	} else {
		c->enrolled = 1;
		c->term_branch = t->branch;
	}
	protobuf_c_message_free_unpacked(&t->base, NULL);
	return rc;
}

void
auth_sweep(kt_server_t *srv)
{
	MDB_txn *txn = NULL;
	uint64_t gen;
	srv_conn_t *c, *next;
	user_view_t *u = NULL;

	if (kt_store_read_begin(srv->store, &txn) != 0)
		return;
	gen = kt_identity_terminals_gen(srv->store, txn);
	if (gen == srv->terminals_gen)
		goto out;
	u = malloc(sizeof(*u));
	if (u == NULL)
		goto out; /* try again at the next tick */
	srv->terminals_gen = gen;
	/* Something about terminals or sessions changed (possibly from an
	 * offline command in another process): re-check every connection. */
	for (c = srv->conns; c != NULL; c = next) {
		Ktstore__TerminalRecord *t = NULL;
		int64_t exp;
		next = c->next;
		if (c->phase != SRV_READY || !c->enrolled)
			continue;
		if (kt_store_get_record(txn, kt_store_dbs(srv->store)->terminals,
		    c->term_key, 32, &ktstore__terminal_record__descriptor,
		    (ProtobufCMessage **)&t) != 0 || t->revoked) {
			if (t)
				protobuf_c_message_free_unpacked(&t->base, NULL);
			srv_close(c, 0);
			continue;
		}
		protobuf_c_message_free_unpacked(&t->base, NULL);
		if (c->user_id && check_session(srv, txn, c->session_hash, c, u,
		    &exp) != 0)
			srv_close(c, 0);
	}
out:
	free(u);
	kt_store_read_end(srv->store, txn);
}
