/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/terminal.c through kt_dispatch_message on the fake
 * network: an invite code that enrols a terminal of its branch, refusals
 * of an unknown or archived branch, revocation closing every connection
 * of that terminal at once (the asking one after its answer), and the
 * audited list. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "kt_test.h"

#include "invite.h"
#include "model/identity.h"
#include "model/terminal_store.h"
#include "server/harness.h"
#include "session.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_NOTFOUND KARTOTEKA__ERROR__CODE__NOT_FOUND
#define E_CONFLICT KARTOTEKA__ERROR__CODE__CONFLICT
#define MANAGER KARTOTEKA__ROLE__MANAGER

typedef struct req {
	Kartoteka__Request r;
	union {
		Kartoteka__TerminalInviteRequest invite;
		Kartoteka__TerminalRevokeRequest revoke;
		Kartoteka__TerminalListRequest list;
		Kartoteka__EnrollRequest enroll;
		Kartoteka__BranchArchiveRequest archive;
	} u;
} req_t;

static Kartoteka__Request *
invite(req_t *q, const char *branch)
{
	kartoteka__request__init(&q->r);
	kartoteka__terminal_invite_request__init(&q->u.invite);
	q->u.invite.branch = (char *)branch;
	q->r.op_case = KARTOTEKA__REQUEST__OP_TERMINAL_INVITE;
	q->r.terminal_invite = &q->u.invite;
	return &q->r;
}

static Kartoteka__Request *
revoke_req(req_t *q, const char *which)
{
	kartoteka__request__init(&q->r);
	kartoteka__terminal_revoke_request__init(&q->u.revoke);
	q->u.revoke.terminal = (char *)which;
	q->r.op_case = KARTOTEKA__REQUEST__OP_TERMINAL_REVOKE;
	q->r.terminal_revoke = &q->u.revoke;
	return &q->r;
}

static Kartoteka__Request *
list(req_t *q)
{
	kartoteka__request__init(&q->r);
	kartoteka__terminal_list_request__init(&q->u.list);
	q->r.op_case = KARTOTEKA__REQUEST__OP_TERMINAL_LIST;
	q->r.terminal_list = &q->u.list;
	return &q->r;
}

static Kartoteka__Request *
enroll(req_t *q, const uint8_t *token, size_t len)
{
	kartoteka__request__init(&q->r);
	kartoteka__enroll_request__init(&q->u.enroll);
	q->u.enroll.token.data = (uint8_t *)token;
	q->u.enroll.token.len = len;
	q->u.enroll.name = "new till";
	q->r.op_case = KARTOTEKA__REQUEST__OP_ENROLL;
	q->r.enroll = &q->u.enroll;
	return &q->r;
}

static Kartoteka__Request *
archive(req_t *q, const char *name)
{
	kartoteka__request__init(&q->r);
	kartoteka__branch_archive_request__init(&q->u.archive);
	q->u.archive.name = (char *)name;
	q->r.op_case = KARTOTEKA__REQUEST__OP_BRANCH_ARCHIVE;
	q->r.branch_archive = &q->u.archive;
	return &q->r;
}

/* Decodes an invite code (fails the test when it does not decode). */
static void
decode(const char *code, kt_invite_t *inv)
{
	const char *why = NULL;

	if (kt_invite_decode(code, inv, &why) != 0)
		fail_msg("invite code '%s' does not decode: %s", code,
		    why ? why : "?");
}

static void
invite_code_enrolls_its_branch(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	kt_conn_t *u = kt_h_connect_unenrolled(h);
	kt_invite_t inv;
	Kartoteka__Response *r;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	r = kt_h_call(h, o, invite(&q, "North"));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case,
	    KARTOTEKA__RESPONSE__RESULT_TERMINAL_INVITE);
	assert_true(r->terminal_invite->expires_at > kt_now_s());
	decode(r->terminal_invite->code, &inv);
	assert_memory_equal(inv.server_key, h->srv->static_pub, 32);
	assert_string_equal(inv.address, KT_INVITE_ADVERTISE_DEFAULT);
	assert_string_equal(inv.branch, "North");
	assert_true(inv.expires_at == r->terminal_invite->expires_at);
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "terminal.invite");
	assert_true(strncmp(e.object, "invite:", 7) == 0);
	assert_true(e.user == h->owner);
	/* The code's token enrols a terminal of that branch. */
	r = kt_h_call(h, u, enroll(&q, inv.token, inv.token_len));
	kt_h_expect_ok(r);
	assert_string_equal(r->enroll->terminal->branch, "North");
	assert_true(kt_session_terminal_branch(kt_session_of(u)) == b);
	/* An owner terminal's invite names no branch. */
	r = kt_h_call(h, o, invite(&q, ""));
	kt_h_expect_ok(r);
	decode(r->terminal_invite->code, &inv);
	assert_string_equal(inv.branch, "");
	assert_string_equal(kt_h_audit_last(h).detail, "owner terminal");
	sodium_memzero(&inv, sizeof(inv));
	kt_h_free(h);
}

static void
invite_refused_without_a_write(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	uint64_t audit;
	req_t q;

	(void)state;
	(void)kt_h_branch(h, "West");
	kt_h_expect_ok(kt_h_call(h, o, archive(&q, "West")));
	audit = kt_h_audit_count(h);
	kt_h_expect_error(kt_h_call(h, o, invite(&q, "Nowhere")), E_BAD,
	    "branch: no branch named 'Nowhere'");
	kt_h_expect_error(kt_h_call(h, o, invite(&q, "West")), E_BAD,
	    "branch: branch 'West' is archived");
	assert_true(kt_h_audit_count(h) == audit);
	kt_h_free(h);
}

static void
revoke_closes_its_connections(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	uint8_t key[32];
	kt_conn_t *t1, *t2, *other;
	Kartoteka__Response *r;
	kt_h_entry_t e;
	char object[48];
	req_t q;

	(void)state;
	kt_h_terminal(h, b, "front desk", key);
	t1 = kt_h_connect(h, key);
	t2 = kt_h_connect(h, key);
	other = kt_h_session(h, m, b);
	kt_h_login(h, t1, m, NULL, NULL);
	r = kt_h_call(h, o, revoke_req(&q, "front desk"));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case,
	    KARTOTEKA__RESPONSE__RESULT_TERMINAL_REVOKE);
	assert_true(r->terminal_revoke->terminal->revoked);
	assert_string_equal(r->terminal_revoke->terminal->name, "front desk");
	assert_memory_equal(r->terminal_revoke->terminal->public_key.data, key,
	    32);
	/* At once, not at the next sweep. */
	assert_true(kt_fake_conn_closed(t1) && !kt_fake_conn_flush(t1));
	assert_true(kt_fake_conn_closed(t2) && !kt_fake_conn_flush(t2));
	assert_false(kt_fake_conn_closed(other));
	assert_false(kt_fake_conn_closed(o));
	e = kt_h_audit_last(h);
	kt_terminal_object(object, key);
	assert_string_equal(e.action, "terminal.revoke");
	assert_string_equal(e.object, object);
	assert_true(e.user == h->owner);
	kt_h_expect_error(kt_h_call(h, o, revoke_req(&q, "front desk")),
	    E_CONFLICT, "terminal 'front desk' is already revoked");
	kt_h_expect_error(kt_h_call(h, o, revoke_req(&q, "back door")), E_NOTFOUND,
	    "no terminal named or keyed 'back door' (see `kartoteka terminal "
	    "list`)");
	kt_h_free(h);
}

static void
revoke_own_terminal_after_answer(void **state)
{
	kt_h_t *h = kt_h_new();
	uint8_t key[32];
	char hex[65];
	kt_conn_t *o, *o2;
	req_t q;

	(void)state;
	kt_h_terminal(h, 0, "owner pc", key);
	o = kt_h_connect(h, key);
	o2 = kt_h_connect(h, key);
	kt_h_login(h, o, h->owner, NULL, NULL);
	kt_hex(hex, key, 8);
	kt_h_send(h, o, revoke_req(&q, hex));     /* by key prefix */
	kt_h_settle(h);
	assert_true(kt_fake_conn_closed(o2) && !kt_fake_conn_flush(o2));
	assert_true(kt_fake_conn_closed(o));
	assert_true(kt_fake_conn_flush(o));
	if (kt_fake_conn_nsent(o) != 1)
		fail_msg("the answer to revoking the asker's own terminal was "
		    "never sent (%u dropped): revoke_done in ops/terminal.c "
		    "calls kt_session_close_terminal, which closes the asking "
		    "connection, before kt_req_reply, so the answer meets a "
		    "closing connection (kt_conn_send: KT_ECLOSED)",
		    kt_fake_conn_dropped(o));
	kt_h_expect_ok(kt_h_answer(h, o, 0));
	kt_h_free(h);
}

static void
list_leaves_with_its_entry(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	uint8_t key[32];
	Kartoteka__Response *r;
	size_t revoked = 0;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	kt_h_terminal(h, b, "front desk", key);
	kt_h_revoke(h, key);
	kt_h_watch_audit(h, o);
	r = kt_h_call(h, o, list(&q));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case,
	    KARTOTEKA__RESPONSE__RESULT_TERMINAL_LIST);
	/* The owner's own terminal and the revoked one. */
	assert_int_equal(r->terminal_list->n_terminals, 2);
	for (size_t i = 0; i < r->terminal_list->n_terminals; i++)
		revoked += r->terminal_list->terminals[i]->revoked;
	assert_int_equal(revoked, 1);
	e = kt_h_audit_when_sent(h, o, 0);
	assert_string_equal(e.action, "terminal.list");
	assert_string_equal(e.detail, "rows=2");
	kt_h_free(h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(invite_code_enrolls_its_branch),
	cmocka_unit_test(invite_refused_without_a_write),
	cmocka_unit_test(revoke_closes_its_connections),
	cmocka_unit_test(revoke_own_terminal_after_answer),
	cmocka_unit_test(list_leaves_with_its_entry),
};

KT_TEST_MAIN(tests)
