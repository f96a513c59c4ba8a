/* SPDX-License-Identifier: MIT */
/* The owner's ops on terminals: invite one (for a branch, or an owner
 * terminal), list them, revoke one. The records and their audit entries
 * are model/terminal_store.c's, shared with `kartotekad invite` and
 * `kartotekad terminal revoke`; a revocation also closes the terminal's
 * open connections at once. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "catalog.h"
#include "fields.h"
#include "invite.h"
#include "kt_error.h"
#include "model/branch_store.h"
#include "model/identity.h"
#include "model/terminal_store.h"
#include "ops/list.h"
#include "ops/ops.h"
#include "records.pb-c.h"
#include "session.h"

typedef struct terminal_st {
	char branch[KT_NAME_MAX + 1];      /* invite: "" = owner terminal */
	char which[KT_NAME_MAX + 1];       /* revoke: name or key prefix */
	uint64_t branch_id;
	uint8_t token[32];                 /* invite; wiped at the end */
	uint8_t key[32];                   /* revoke: the terminal */
	int64_t now;
	kt_verdict_t v;
} terminal_st_t;

/* ---- invite ------------------------------------------------------------ */

static int
invite_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	terminal_st_t *t = kt_req_state(r);
	kt_actor_t actor = kt_req_actor(r);
	size_t n = 0;
	char *name = t->branch;
	int rc;

	/* The branch may have been archived since the loop looked. */
	if (t->branch[0] != '\0' && ((rc = kt_branch_resolve(txn,
	    kt_store_dbs(st), "branch", &name, 1, &t->branch_id, 1, &n,
	    &t->v)) != 0 || !kt_verdict_is_ok(&t->v)))
		return rc;
	return kt_invite_put(st, txn, &actor, t->branch_id, t->branch,
	    t->token, t->now, KT_INVITE_TTL_S);
}

static void
invite_done(kt_req_t *r, int status)
{
	terminal_st_t *t = kt_req_state(r);
	kt_server_t *srv = kt_req_server(r);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__TerminalInviteResponse ir =
	    KARTOTEKA__TERMINAL_INVITE_RESPONSE__INIT;
	MDB_txn *txn = kt_req_txn(r);
	kt_invite_t inv;
	char code[KT_INVITE_CODE_MAX];
	size_t n;

	if (kt_req_refused(r, status, &t->v))
		return;
	if (txn == NULL) {
		kt_req_fail(r, KT_CODE_INTERNAL,
		    "saved, but the store cannot be "
		    "read back");
		return;
	}
	memset(&inv, 0, sizeof(inv));
	kt_invite_advertise(txn, kt_store_dbs(srv->store), inv.address,
	    sizeof(inv.address));
	memcpy(inv.server_key, srv->static_pub, 32);
	memcpy(inv.token, t->token, sizeof(t->token));
	inv.token_len = sizeof(t->token);
	/* Informative only, and one byte shorter than a name may be: cut at
	 * a character boundary. */
	n = strlen(t->branch);
	if (n >= sizeof(inv.branch)) {
		n = sizeof(inv.branch) - 1;
		while (n > 0 && ((unsigned char)t->branch[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(inv.branch, t->branch, n);
	inv.branch[n] = '\0';
	inv.expires_at = t->now + KT_INVITE_TTL_S;
	if (kt_invite_encode(&inv, code, sizeof(code)) != 0) {
		sodium_memzero(&inv, sizeof(inv));
		kt_req_fail(r, KT_CODE_INTERNAL,
		    "cannot encode the invite code");
		return;
	}
	ir.code = code;
	ir.expires_at = inv.expires_at;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_TERMINAL_INVITE;
	resp.terminal_invite = &ir;
	kt_req_reply(r, &resp);
	sodium_memzero(&inv, sizeof(inv));
	sodium_memzero(code, sizeof(code));
}

static void
op_terminal_invite(kt_req_t *r, const Kartoteka__Request *msg)
{
	terminal_st_t *t = kt_req_state(r);
	const char *b = msg->terminal_invite->branch;
	const char *why;
	MDB_txn *txn;
	size_t n = 0;
	char *name = t->branch;
	int rc;

	if (b != NULL && b[0] != '\0') {
		if ((why = kt_text_problem(b, 1, KT_NAME_MAX, 0)) != NULL) {
			kt_req_fail(r, KT_CODE_BAD, "branch: %s", why);
			return;
		}
		snprintf(t->branch, sizeof(t->branch), "%s", b);
		if ((txn = kt_req_txn(r)) == NULL) {
			kt_req_fail(r, KT_CODE_UNAVAILABLE,
			    "cannot read the store");
			return;
		}
		rc = kt_branch_resolve(txn, kt_store_dbs(
		    kt_req_server(r)->store), "branch", &name, 1,
		    &t->branch_id, 1, &n, &t->v);
		if (kt_req_refused(r, rc, &t->v))
			return;
	}
	randombytes_buf(t->token, sizeof(t->token));
	t->now = kt_now_s();
	kt_req_submit(r, invite_mut, invite_done);
}

/* ---- revoke ------------------------------------------------------------ */

static int
revoke_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	terminal_st_t *t = kt_req_state(r);
	kt_actor_t actor = kt_req_actor(r);

	return kt_terminal_revoke(st, txn, &actor, t->which, t->now, t->key,
	    &t->v);
}

/* Fills ti (strings in arena a) from the terminal record of key. */
static int
terminal_info(MDB_txn *txn, const kt_store_dbs_t *db, const uint8_t *key,
    const Ktstore__TerminalRecord *rec, kt_arena_t *a,
    Kartoteka__TerminalInfo *ti)
{
	char bname[KT_NAME_MAX + 1];

	kartoteka__terminal_info__init(ti);
	kt_branch_name(txn, db, rec->branch, bname, sizeof(bname));
	ti->public_key.data = kt_arena_alloc(a, 32);
	ti->name = kt_arena_strdup(a, rec->name);
	ti->branch = kt_arena_strdup(a, bname);
	if (ti->public_key.data == NULL || ti->name == NULL ||
	    ti->branch == NULL)
		return KT_ENOMEM;
	memcpy(ti->public_key.data, key, 32);
	ti->public_key.len = 32;
	ti->enrolled_at = rec->enrolled_at;
	ti->revoked = rec->revoked;
	return 0;
}

static void
revoke_done(kt_req_t *r, int status)
{
	terminal_st_t *t = kt_req_state(r);
	kt_server_t *srv = kt_req_server(r);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__TerminalRevokeResponse rr =
	    KARTOTEKA__TERMINAL_REVOKE_RESPONSE__INIT;
	Kartoteka__TerminalInfo ti;
	Ktstore__TerminalRecord *rec = NULL;
	const kt_conn_t *own = kt_req_conn(r);
	kt_arena_t *a = kt_req_arena(r);
	MDB_txn *txn = kt_req_txn(r);
	uint8_t key[32];
	int rc;

	if (kt_req_refused(r, status, &t->v))
		return;
	memcpy(key, t->key, sizeof(key));
	rc = txn == NULL || a == NULL ? KT_ESTORE :
	    kt_terminal_get(txn, kt_store_dbs(srv->store), t->key, &rec);
	if (rc == 0)
		rc = terminal_info(txn, kt_store_dbs(srv->store), t->key, rec,
		    a, &ti);
	if (rec != NULL)
		protobuf_c_message_free_unpacked(&rec->base, NULL);
	if (rc != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL,
		    "revoked, but the terminal cannot be "
		    "read back");
	} else {
		rr.terminal = &ti;
		resp.result_case = KARTOTEKA__RESPONSE__RESULT_TERMINAL_REVOKE;
		resp.terminal_revoke = &rr;
		kt_req_reply(r, &resp);
	}
	/* Its connections close now, not at the next sweep; the owner's own
	 * (revoking the terminal they work from) once this answer is out,
	 * so the answer is queued first. */
	kt_session_close_terminal(srv, key, own);
}

static void
op_terminal_revoke(kt_req_t *r, const Kartoteka__Request *msg)
{
	terminal_st_t *t = kt_req_state(r);
	const char *w = msg->terminal_revoke->terminal;
	const char *why;
	MDB_txn *txn;
	int rc;

	if ((why = kt_text_problem(w, 1, KT_NAME_MAX, 0)) != NULL) {
		kt_req_fail(r, KT_CODE_BAD, "terminal: %s", why);
		return;
	}
	snprintf(t->which, sizeof(t->which), "%s", w);
	if ((txn = kt_req_txn(r)) == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "cannot read the store");
		return;
	}
	rc = kt_terminal_revoke_check(txn, kt_store_dbs(
	    kt_req_server(r)->store), t->which, t->key, &t->v);
	if (kt_req_refused(r, rc, &t->v))
		return;
	t->now = kt_now_s();
	kt_req_submit(r, revoke_mut, revoke_done);
}

/* ---- list -------------------------------------------------------------- */

/* A kt_pager_row_fn: a terminal, revoked ones too; k is its public key. */
static int
terminal_row(const kt_pager_ctx_t *ctx, const MDB_val *k, const MDB_val *v,
    ProtobufCMessage **row)
{
	Ktstore__TerminalRecord *rec;
	Kartoteka__TerminalInfo *ti;
	int rc = 0;

	*row = NULL;
	rec = ktstore__terminal_record__unpack(NULL, v->mv_size, v->mv_data);
	if (rec == NULL)
		return 0;
	if ((ti = kt_arena_alloc(ctx->arena, sizeof(*ti))) == NULL ||
	    terminal_info(ctx->txn, ctx->db, k->mv_data, rec, ctx->arena,
	    ti) != 0)
		rc = KT_ENOMEM;
	else
		*row = &ti->base;
	ktstore__terminal_record__free_unpacked(rec, NULL);
	return rc;
}

static const kt_pager_kind_t terminal_list_kind = { 'T', 32, terminal_row };

static void
op_terminal_list(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__TerminalListRequest *lr = msg->terminal_list;
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__TerminalListResponse tl =
	    KARTOTEKA__TERMINAL_LIST_RESPONSE__INIT;
	kt_list_ask_t ask = { &lr->cursor, lr->limit, 0 };
	kt_pager_page_t page;

	if (!kt_list_read(r, &terminal_list_kind,
	    kt_store_dbs(kt_req_server(r)->store)->terminals, &ask, &page))
		return;
	tl.terminals = (Kartoteka__TerminalInfo **)page.rows;
	tl.n_terminals = page.n;
	tl.next_cursor = page.next;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_TERMINAL_LIST;
	resp.terminal_list = &tl;
	kt_list_answer(r, &resp, KT_AUDIT_TERMINAL_LIST, &ask, &page);
}

#define OP(c) KARTOTEKA__REQUEST__OP_##c

static const kt_op_row_t rows[] = {
	{ OP(TERMINAL_INVITE), KT_MSG("invite terminals"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE | KT_OP_SECRET, KT_ACT_ADMIN,
	    KT_AUDIT_TERMINAL_INVITE, op_terminal_invite,
	    sizeof(terminal_st_t) },
	{ OP(TERMINAL_LIST), KT_MSG("list terminals"), KT_PHASE_LOGGED_IN, 0,
	    KT_ACT_ADMIN, KT_AUDIT_TERMINAL_LIST, op_terminal_list, 0 },
	{ OP(TERMINAL_REVOKE), KT_MSG("revoke terminals"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_ADMIN, KT_AUDIT_TERMINAL_REVOKE,
	    op_terminal_revoke, sizeof(terminal_st_t) },
};

const kt_op_domain_t kt_ops_terminal = { "terminal", rows,
	sizeof(rows) / sizeof(rows[0]) };
