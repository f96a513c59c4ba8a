/* SPDX-License-Identifier: MIT */
/* Tests for server/dispatch.c: the op table covers the protocol exactly
 * (every Request oneof member has one row, no row names anything else),
 * and every row is well-formed; and, on the fake network, the checks
 * every op shares: decoding, the row, text fields, phase, login, class of
 * action (refusals audited), the cap of requests in flight, one login at
 * a time, and the per-address limit of enrolments. */
#include <string.h>

#include <sodium.h>

#include "kt_test.h"

#include "dispatch.h"
#include "kartoteka.pb-c.h"
#include "model/authz.h"
#include "server/harness.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_UNAUTH KARTOTEKA__ERROR__CODE__UNAUTHENTICATED
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define E_RATE KARTOTEKA__ERROR__CODE__RATE_LIMITED
#define MANAGER KARTOTEKA__ROLE__MANAGER
#define HEAD KARTOTEKA__ROLE__HEAD

/* Counts the rows of op across every domain. */
static unsigned
rows_of(unsigned op)
{
	const kt_op_domain_t *const *d;
	unsigned n = 0;
	size_t nd;

	d = kt_dispatch_domains(&nd);
	for (size_t i = 0; i < nd; i++)
		for (size_t j = 0; j < d[i]->n; j++)
			n += (unsigned)d[i]->rows[j].op == op;
	return n;
}

static void
every_oneof_member_has_one_row(void **state)
{
	const ProtobufCMessageDescriptor *desc = &kartoteka__request__descriptor;
	unsigned members = 0;

	(void)state;
	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];
		unsigned n;

		if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
			continue;
		members++;
		n = rows_of(f->id);
		if (n != 1)
			fail_msg("Request.%s (op %u) has %u rows in the op table, "
			    "expected exactly 1", f->name, f->id, n);
		assert_non_null(kt_dispatch_row(f->id));
	}
	assert_true(members >= 26);
}

static void
no_row_outside_the_oneof(void **state)
{
	const kt_op_domain_t *const *d;
	size_t nd, rows = 0;

	(void)state;
	d = kt_dispatch_domains(&nd);
	for (size_t i = 0; i < nd; i++)
		for (size_t j = 0; j < d[i]->n; j++) {
			const kt_op_row_t *row = &d[i]->rows[j];
			const ProtobufCFieldDescriptor *f =
			    protobuf_c_message_descriptor_get_field(
			    &kartoteka__request__descriptor,
			    (unsigned)row->op);
			if (f == NULL || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
				fail_msg("domain %s: row %zu names op %d, which "
				    "is not a Request oneof member", d[i]->name,
				    j, (int)row->op);
			rows++;
		}
	assert_null(kt_dispatch_row(0));
	assert_null(kt_dispatch_row(1)); /* Request.id */
	assert_true(rows >= 26);
}

static void
rows_well_formed(void **state)
{
	const kt_op_domain_t *const *d;
	size_t nd;

	(void)state;
	d = kt_dispatch_domains(&nd);
	for (size_t i = 0; i < nd; i++) {
		assert_non_null(d[i]->name);
		for (size_t j = 0; j < d[i]->n; j++) {
			const kt_op_row_t *row = &d[i]->rows[j];

			assert_non_null(row->handler);
			assert_non_null(row->label);
			assert_true(strlen(row->label) > 0);
			assert_true((unsigned)row->action < KT_ACT_COUNT);
			assert_true((unsigned)row->audit <
			    KT_AUDIT_ACTION_COUNT);
			/* An op that writes is audited. */
			if (row->flags & KT_OP_WRITE)
				assert_int_not_equal(row->audit, KT_AUDIT_NONE);
			/* Once logged in, only the caller's own-session
			 * ops (whoami) go unaudited. */
			if (row->phase == KT_PHASE_LOGGED_IN &&
			    row->action != KT_ACT_OWN_SESSION)
				assert_int_not_equal(row->audit, KT_AUDIT_NONE);
			/* The per-address limit is for ops before login. */
			if (row->flags & KT_OP_ADDR_LIMIT)
				assert_int_equal(row->phase, KT_PHASE_ANY);
		}
	}
}

/* ---- the shared checks, on the fake network ------------------------------------ */

/* Protobuf wire bytes built by hand, for what protobuf-c would not
 * write (a NUL inside a string, invalid UTF-8). */
typedef struct wire {
	uint8_t b[512];
	size_t n;
} wire_t;

static void
w_varint(wire_t *w, uint64_t v)
{
	do {
		assert_true(w->n < sizeof(w->b));
		w->b[w->n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
}

static void
w_bytes(wire_t *w, unsigned field, const void *p, size_t len)
{
	w_varint(w, ((uint64_t)field << 3) | 2);
	w_varint(w, len);
	assert_true(w->n + len <= sizeof(w->b));
	memcpy(w->b + w->n, p, len);
	w->n += len;
}

/* Request { id; client_add { client { branch "North"; title } } } with
 * title's raw bytes. */
static void
client_add_wire(wire_t *req, uint64_t id, const char *title, size_t len)
{
	wire_t cl = { .n = 0 }, add = { .n = 0 };

	w_bytes(&cl, 3, "North", 5);
	w_bytes(&cl, 8, title, len);
	w_bytes(&add, 1, cl.b, cl.n);
	req->n = 0;
	w_varint(req, (1u << 3) | 0);
	w_varint(req, id);
	w_bytes(req, KARTOTEKA__REQUEST__OP_CLIENT_ADD, add.b, add.n);
}

static size_t
clients_stored(kt_h_t *h)
{
	MDB_txn *txn;
	MDB_stat st;

	assert_int_equal(kt_store_read_begin(h->srv->store, &txn), 0);
	assert_int_equal(mdb_stat(txn, kt_store_dbs(h->srv->store)->clients,
	    &st), 0);
	kt_store_read_end(h->srv->store, txn);
	return st.ms_entries;
}

static void
whoami_req(Kartoteka__Request *req, Kartoteka__WhoamiRequest *w)
{
	kartoteka__request__init(req);
	kartoteka__whoami_request__init(w);
	req->op_case = KARTOTEKA__REQUEST__OP_WHOAMI;
	req->whoami = w;
}

static void
undecodable_request_bad_and_closed(void **state)
{
	static const uint8_t junk[] = { 0x12, 0x05, 0x01 }; /* cut short */
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	Kartoteka__Response *r;

	(void)state;
	kt_h_send_raw(h, c, junk, sizeof(junk));
	r = kt_h_answer(h, c, 0);
	kt_h_expect_error(r, E_BAD, "request is not a valid protobuf Request");
	assert_true(r->id == 0);
	assert_true(kt_fake_conn_flush(c));
	assert_int_equal(kt_h_inflight(c), 0);
	kt_h_free(h);
}

static void
unknown_op_closes(void **state)
{
	static const uint8_t unknown_field[] = { 0x08, 0x09, 0xb8, 0x06, 0x01 };
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	kt_conn_t *d = kt_h_connect_enrolled(h, 0, NULL);
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;

	(void)state;
	/* No op at all. */
	req.id = 5;
	kt_h_send(h, c, &req);
	kt_h_expect_error(kt_h_answer(h, c, 0), E_BAD, "unknown op");
	assert_true(kt_h_answer(h, c, 0)->id == 5);
	assert_true(kt_fake_conn_flush(c));
	/* id 9 and field 103 (not a member of the oneof): skipped by the
	 * decoder, so no op either. */
	kt_h_send_raw(h, d, unknown_field, sizeof(unknown_field));
	kt_h_expect_error(kt_h_answer(h, d, 0), E_BAD, "unknown op");
	assert_true(kt_h_answer(h, d, 0)->id == 9);
	assert_true(kt_fake_conn_flush(d));
	kt_h_free(h);
}

static void
nul_byte_named_and_nothing_written(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	uint64_t audit;
	wire_t w;

	(void)state;
	(void)kt_h_branch(h, "North");
	audit = kt_h_audit_count(h);
	client_add_wire(&w, 7, "Ivan\0ov", 7);
	kt_h_send_raw(h, c, w.b, w.n);
	kt_h_settle(h);
	kt_h_expect_error(kt_h_answer(h, c, 0), E_BAD,
	    "client.title: contains a NUL byte");
	assert_true(kt_h_answer(h, c, 0)->id == 7);
	assert_false(kt_fake_conn_closed(c));
	assert_true(kt_h_audit_count(h) == audit);
	assert_int_equal(clients_stored(h), 0);
	/* Without the NUL the same bytes make a client: the refusal above
	 * is what kept it out. */
	client_add_wire(&w, 8, "Ivanov", 6);
	kt_h_send_raw(h, c, w.b, w.n);
	kt_h_wait(h, c, 2);
	kt_h_expect_ok(kt_h_answer(h, c, 1));
	assert_int_equal(clients_stored(h), 1);
	kt_h_free(h);
}

static void
invalid_utf8_named_and_nothing_written(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	uint64_t audit;
	wire_t w;

	(void)state;
	(void)kt_h_branch(h, "North");
	audit = kt_h_audit_count(h);
	client_add_wire(&w, 7, "\xd0\x98\xff\xfe", 4);
	kt_h_send_raw(h, c, w.b, w.n);
	kt_h_settle(h);
	kt_h_expect_error(kt_h_answer(h, c, 0), E_BAD,
	    "client.title: is not valid UTF-8 text");
	assert_false(kt_fake_conn_closed(c));
	assert_true(kt_h_audit_count(h) == audit);
	assert_int_equal(clients_stored(h), 0);
	kt_h_free(h);
}

static void
unenrolled_terminal_unauthenticated_closed(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_unenrolled(h);
	kt_conn_t *d = kt_h_connect_unenrolled(h);
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__LoginRequest lr = KARTOTEKA__LOGIN_REQUEST__INIT;
	Kartoteka__WhoamiRequest wr;
	uint64_t audit = kt_h_audit_count(h);

	(void)state;
	lr.login = KT_H_OWNER;
	lr.password = KT_H_PASSWORD;
	req.op_case = KARTOTEKA__REQUEST__OP_LOGIN;
	req.login = &lr;
	kt_h_send(h, c, &req);
	kt_h_expect_error(kt_h_answer(h, c, 0), E_UNAUTH, "this terminal is "
	    "not enrolled: ask the owner for an invite code");
	assert_true(kt_fake_conn_flush(c));
	whoami_req(&req, &wr);
	kt_h_send(h, d, &req);
	kt_h_expect_error(kt_h_answer(h, d, 0), E_UNAUTH, "this terminal is "
	    "not enrolled: ask the owner for an invite code");
	assert_true(kt_fake_conn_flush(d));
	assert_true(kt_h_audit_count(h) == audit);
	kt_h_free(h);
}

static void
not_logged_in_unauthenticated(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	Kartoteka__Request req;
	Kartoteka__WhoamiRequest wr;

	(void)state;
	whoami_req(&req, &wr);
	kt_h_expect_error(kt_h_call(h, c, &req), E_UNAUTH,
	    "not logged in: log in first");
	assert_false(kt_fake_conn_closed(c));   /* it may log in now */
	assert_int_equal(kt_h_inflight(c), 0);
	/* Logged in, the same request is served. */
	kt_h_login(h, c, h->owner, NULL, NULL);
	whoami_req(&req, &wr);
	kt_h_expect_ok(kt_h_call(h, c, &req));
	kt_h_free(h);
}

static void
disabled_user_unauthenticated(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	kt_conn_t *c = kt_h_session(h, m, b);
	kt_conn_t *d = kt_h_session(h, m, b);
	Kartoteka__Request req;
	Kartoteka__WhoamiRequest wr;

	(void)state;
	whoami_req(&req, &wr);
	kt_h_expect_ok(kt_h_call(h, c, &req));
	/* Disabled elsewhere (an offline command): the sweep has not run. */
	kt_h_set_disabled(h, "masha", 1);
	whoami_req(&req, &wr);
	kt_h_expect_error(kt_h_call(h, c, &req), E_UNAUTH,
	    "your account is no longer active: log in again");
	assert_true(kt_h_user_of(c) == 0);
	assert_true(kt_h_user_of(d) == 0);       /* every connection of it */
	assert_false(kt_fake_conn_closed(c));
	kt_h_free(h);
}

static void
forbidden_class_audited(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	uint64_t hd = kt_h_user(h, "galina", HEAD, b, 0);
	kt_conn_t *c = kt_h_session(h, m, b);
	kt_conn_t *d = kt_h_session(h, hd, b);
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__BranchAddRequest ba = KARTOTEKA__BRANCH_ADD_REQUEST__INIT;
	Kartoteka__ClientReassignRequest cr =
	    KARTOTEKA__CLIENT_REASSIGN_REQUEST__INIT;
	Kartoteka__UserListRequest ul = KARTOTEKA__USER_LIST_REQUEST__INIT;
	kt_h_entry_t e;
	uint64_t before = kt_h_audit_count(h);

	(void)state;
	ba.name = "South";
	req.op_case = KARTOTEKA__REQUEST__OP_BRANCH_ADD;
	req.branch_add = &ba;
	kt_h_expect_error(kt_h_call(h, c, &req), E_FORBIDDEN,
	    "only the owner can add branches");
	e = kt_h_audit_last(h);
	assert_true(e.seq == before + 1);
	assert_string_equal(e.action, "branch.add");
	assert_int_equal(e.outcome, E_FORBIDDEN);
	assert_true(e.user == m);
	assert_string_equal(e.detail, "only the owner can add branches");
	assert_false(kt_fake_conn_closed(c));
	/* A head may reassign, a manager may not: "you may not". */
	cr.id = 1;
	cr.manager = "masha";
	kartoteka__request__init(&req);
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_REASSIGN;
	req.client_reassign = &cr;
	kt_h_expect_error(kt_h_call(h, c, &req), E_FORBIDDEN,
	    "you may not reassign clients");
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "client.reassign");
	assert_int_equal(e.outcome, E_FORBIDDEN);
	/* A head is refused the owner's lists the same way. */
	kartoteka__request__init(&req);
	req.op_case = KARTOTEKA__REQUEST__OP_USER_LIST;
	req.user_list = &ul;
	kt_h_expect_error(kt_h_call(h, d, &req), E_FORBIDDEN,
	    "only the owner can list users");
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "user.list");
	assert_true(e.user == hd);
	assert_true(e.seq == before + 3);
	kt_h_free(h);
}

static void
branch_list_req(Kartoteka__Request *req, Kartoteka__BranchListRequest *bl)
{
	kartoteka__request__init(req);
	kartoteka__branch_list_request__init(bl);
	req->op_case = KARTOTEKA__REQUEST__OP_BRANCH_LIST;
	req->branch_list = bl;
}

static void
inflight_cap_rate_limited(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	Kartoteka__Request req;
	Kartoteka__BranchListRequest bl;
	Kartoteka__PingRequest pr = KARTOTEKA__PING_REQUEST__INIT;
	Kartoteka__Response *r;

	(void)state;
	/* The writer is held: every audited list waits for its entry. */
	kt_h_gate_hold(h);
	for (unsigned i = 0; i < KT_DISPATCH_MAX_INFLIGHT; i++) {
		branch_list_req(&req, &bl);
		kt_h_send(h, c, &req);
	}
	assert_int_equal(kt_fake_conn_nsent(c), 0);
	assert_int_equal(kt_h_inflight(c), KT_DISPATCH_MAX_INFLIGHT);
	branch_list_req(&req, &bl);
	kt_h_send(h, c, &req);
	assert_int_equal(kt_fake_conn_nsent(c), 1);
	r = kt_h_answer(h, c, 0);
	kt_h_expect_error(r, E_RATE, "too many requests in flight on this "
	    "connection: wait for answers");
	assert_true(r->id == req.id);
	assert_false(kt_fake_conn_closed(c));
	/* Ops answered at once are not capped. */
	kartoteka__request__init(&req);
	req.op_case = KARTOTEKA__REQUEST__OP_PING;
	req.ping = &pr;
	kt_h_send(h, c, &req);
	kt_h_expect_ok(kt_h_answer(h, c, 1));
	kt_h_gate_release(h);
	kt_h_wait(h, c, KT_DISPATCH_MAX_INFLIGHT + 2);
	for (size_t i = 2; i < KT_DISPATCH_MAX_INFLIGHT + 2; i++)
		kt_h_expect_ok(kt_h_answer(h, c, i));
	assert_int_equal(kt_h_inflight(c), 0);
	/* Below the cap again. */
	branch_list_req(&req, &bl);
	kt_h_expect_ok(kt_h_call(h, c, &req));
	kt_h_free(h);
}

static void
login_req(Kartoteka__Request *req, Kartoteka__LoginRequest *lr,
    const char *login, const char *password)
{
	kartoteka__request__init(req);
	kartoteka__login_request__init(lr);
	lr->login = (char *)login;
	lr->password = (char *)password;
	req->op_case = KARTOTEKA__REQUEST__OP_LOGIN;
	req->login = lr;
}

static void
second_login_in_flight_rate_limited(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	kt_conn_t *d = kt_h_connect_enrolled(h, 0, NULL);
	Kartoteka__Request req;
	Kartoteka__LoginRequest lr;
	uint64_t first;

	(void)state;
	login_req(&req, &lr, KT_H_OWNER, KT_H_PASSWORD);
	first = kt_h_send(h, c, &req);
	assert_int_equal(kt_fake_conn_nsent(c), 0);
	login_req(&req, &lr, KT_H_OWNER, KT_H_PASSWORD);
	kt_h_send(h, c, &req);
	assert_int_equal(kt_fake_conn_nsent(c), 1);
	kt_h_expect_error(kt_h_answer(h, c, 0), E_RATE, "another request to "
	    "log in is in progress on this connection: wait for its answer");
	/* Another connection is not held up by this one. */
	login_req(&req, &lr, KT_H_OWNER, "wrong password");
	kt_h_send(h, d, &req);
	assert_int_equal(kt_fake_conn_nsent(d), 0);
	kt_h_wait(h, c, 2);
	assert_true(kt_h_answer(h, c, 1)->id == first);
	kt_h_expect_ok(kt_h_answer(h, c, 1));
	assert_true(kt_h_user_of(c) == h->owner);
	kt_h_wait(h, d, 1);
	kt_h_expect_error(kt_h_answer(h, d, 0), E_UNAUTH,
	    "wrong login or password");
	kt_h_free(h);
}

static void
enroll_req(Kartoteka__Request *req, Kartoteka__EnrollRequest *er,
    const uint8_t *token, size_t len)
{
	kartoteka__request__init(req);
	kartoteka__enroll_request__init(er);
	er->token.data = (uint8_t *)token;
	er->token.len = len;
	er->name = "till 3";
	req->op_case = KARTOTEKA__REQUEST__OP_ENROLL;
	req->enroll = er;
}

#define BAD_INVITE "invite code is not valid: check it, or ask the owner " \
	"for a new one"
/* The address brake's refusal: the row's label may be named before
 * "from this address", so only the part that says why is checked. */
static void
expect_addr_limited(const Kartoteka__Response *r)
{
	kt_h_expect_error(r, E_RATE, NULL);
	if (strncmp(r->error->message, "too many failed attempts ", 25) != 0 ||
	    strstr(r->error->message, "from this address: try again in a "
	    "minute") == NULL)
		fail_msg("not the address brake's message: \"%s\"",
		    r->error->message);
}

/* A failed enrolment from a new connection at the default address. */
static kt_conn_t *
enroll_once(kt_h_t *h, const char *ip)
{
	kt_conn_t *c = kt_h_connect_unenrolled(h);
	Kartoteka__Request req;
	Kartoteka__EnrollRequest er;
	uint8_t token[16];

	if (ip != NULL)
		assert_int_equal(kt_fake_conn_set_peer(c, ip, 5000), 0);
	randombytes_buf(token, sizeof(token));
	enroll_req(&req, &er, token, sizeof(token));
	kt_h_send(h, c, &req);
	return c;
}

static void
enroll_address_limit(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c;
	uint64_t audit;

	(void)state;
	h->srv->enroll_limit.per_minute = 3;
	for (int i = 0; i < 3; i++) {
		audit = kt_h_audit_count(h);
		c = enroll_once(h, NULL);
		kt_h_wait(h, c, 1);
		kt_h_expect_error(kt_h_answer(h, c, 0), E_UNAUTH, BAD_INVITE);
		assert_true(kt_fake_conn_flush(c));
		assert_string_equal(kt_h_audit_last(h).action,
		    "enroll.failed");
		assert_true(kt_h_audit_count(h) == audit + 1);
	}
	/* The fourth from that address is refused before any work, and
	 * costs no audit entry. */
	audit = kt_h_audit_count(h);
	c = enroll_once(h, NULL);
	assert_int_equal(kt_fake_conn_nsent(c), 1);
	expect_addr_limited(kt_h_answer(h, c, 0));
	assert_true(kt_fake_conn_flush(c));
	assert_int_equal(kt_h_inflight(c), 0);
	kt_h_settle(h);
	assert_true(kt_h_audit_count(h) == audit);
	/* Another address is not charged. */
	c = enroll_once(h, "198.51.100.9");
	kt_h_wait(h, c, 1);
	kt_h_expect_error(kt_h_answer(h, c, 0), E_UNAUTH, BAD_INVITE);
	/* A minute later the first may try again. */
	kt_fake_net_advance(h->net, 60000);
	c = enroll_once(h, NULL);
	kt_h_wait(h, c, 1);
	kt_h_expect_error(kt_h_answer(h, c, 0), E_UNAUTH, BAD_INVITE);
	kt_h_free(h);
}

static void
pipelined_enrolments_charged_at_start(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c1, *c2, *c3;
	uint64_t audit = kt_h_audit_count(h);

	(void)state;
	h->srv->enroll_limit.per_minute = 2;
	/* Two in flight, none answered yet: the third is already over. */
	c1 = enroll_once(h, NULL);
	c2 = enroll_once(h, NULL);
	assert_int_equal(kt_fake_conn_nsent(c1) + kt_fake_conn_nsent(c2), 0);
	c3 = enroll_once(h, NULL);
	expect_addr_limited(kt_h_answer(h, c3, 0));
	kt_h_wait(h, c1, 1);
	kt_h_wait(h, c2, 1);
	kt_h_expect_error(kt_h_answer(h, c1, 0), E_UNAUTH, BAD_INVITE);
	kt_h_expect_error(kt_h_answer(h, c2, 0), E_UNAUTH, BAD_INVITE);
	assert_true(kt_h_audit_count(h) == audit + 2);
	kt_h_free(h);
}

/* 1 when the server's request arena holds the bytes s anywhere in its
 * block (what a request left behind after dispatch). */
static int
arena_holds(kt_h_t *h, const char *s)
{
	const kt_arena_t *a = &h->srv->req_arena;

	return memmem(a->block, a->cap, s, strlen(s)) != NULL;
}

/* A request is wiped from the request arena when its handler returns: a
 * login's password, and any other request's text too. A plain reset
 * would leave the bytes in the block (shown first, so the check is known
 * to see them). */
static void
secret_request_wiped_from_arena(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__LoginRequest lr = KARTOTEKA__LOGIN_REQUEST__INIT;
	Kartoteka__BranchAddRequest br = KARTOTEKA__BRANCH_ADD_REQUEST__INIT;

	(void)state;
	assert_non_null(kt_arena_strdup(&h->srv->req_arena,
	    "Left-By-A-Reset-4711"));
	kt_arena_reset(&h->srv->req_arena);
	assert_true(arena_holds(h, "Left-By-A-Reset-4711"));

	br.name = "Branch-Name-Left-Behind-4711";
	br.address = "";
	req.op_case = KARTOTEKA__REQUEST__OP_BRANCH_ADD;
	req.branch_add = &br;
	kt_h_send(h, o, &req);
	assert_false(arena_holds(h, "Branch-Name-Left-Behind-4711"));
	kt_h_wait(h, o, 1);

	lr.login = KT_H_OWNER;
	lr.password = "Password-To-Be-Wiped-4711";
	req.op_case = KARTOTEKA__REQUEST__OP_LOGIN;
	req.branch_add = NULL;
	req.login = &lr;
	kt_h_send(h, c, &req);
	if (arena_holds(h, "Password-To-Be-Wiped-4711"))
		fail_msg("the login's password is still in the request arena "
		    "after dispatch");
	kt_h_wait(h, c, 1);
	kt_h_expect_error(kt_h_answer(h, c, 0), E_UNAUTH, NULL);
	kt_h_free(h);
}


/* A login member followed by a ping member in one Request: the oneof ends
 * as ping (not a secret row), yet the password the decoder read is wiped
 * from the arena too. (It used to stay: only secret rows were wiped.) */
static void
oneof_secret_under_earlier_member_wiped(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	static const uint8_t wire[] = {
		0x08, 0x05,                              /* id = 5 */
		0x22, 0x13,                              /* login { */
		0x0a, 0x05, 'o', 'w', 'n', 'e', 'r',
		0x12, 0x0a, 'S', 'E', 'C', 'R', 'E', 'T', 'P', 'W', '4', '2',
		0x12, 0x00,                              /* ping {} */
	};
	kt_arena_t *a;
	int found = 0;

	(void)state;
	kt_h_send_raw(h, c, wire, sizeof(wire));
	kt_h_settle(h);
	assert_int_equal(kt_h_answer(h, c, 0)->result_case,
	    KARTOTEKA__RESPONSE__RESULT_PING);
	a = &h->srv->req_arena;
	for (size_t i = 0; i + 10 <= a->cap; i++)
		if (memcmp(a->block + i, "SECRETPW42", 10) == 0)
			found = 1;
	assert_false(found);
	kt_h_free(h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(oneof_secret_under_earlier_member_wiped),
	cmocka_unit_test(every_oneof_member_has_one_row),
	cmocka_unit_test(no_row_outside_the_oneof),
	cmocka_unit_test(rows_well_formed),
	cmocka_unit_test(undecodable_request_bad_and_closed),
	cmocka_unit_test(unknown_op_closes),
	cmocka_unit_test(nul_byte_named_and_nothing_written),
	cmocka_unit_test(invalid_utf8_named_and_nothing_written),
	cmocka_unit_test(unenrolled_terminal_unauthenticated_closed),
	cmocka_unit_test(not_logged_in_unauthenticated),
	cmocka_unit_test(disabled_user_unauthenticated),
	cmocka_unit_test(forbidden_class_audited),
	cmocka_unit_test(inflight_cap_rate_limited),
	cmocka_unit_test(second_login_in_flight_rate_limited),
	cmocka_unit_test(enroll_address_limit),
	cmocka_unit_test(pipelined_enrolments_charged_at_start),
	cmocka_unit_test(secret_request_wiped_from_arena),
};

KT_TEST_MAIN(tests)
