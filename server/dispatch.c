/* SPDX-License-Identifier: MIT */
/* The dispatcher (dispatch.h): decode, look the row up, check what every
 * op needs, make the request context, call the handler. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "catalog.h"
#include "dispatch.h"
#include "kt_error.h"
#include "model/identity.h"
#include "model/user_store.h"
#include "pbtext.h"
#include "session.h"

/* The op table: every domain's rows. A new domain is one line here. */
static const kt_op_domain_t *const domains[] = {
	&kt_ops_auth,
	&kt_ops_branch,
	&kt_ops_user,
	&kt_ops_terminal,
	&kt_ops_client,
	&kt_ops_alert,
	&kt_ops_history,
	&kt_ops_export,
	&kt_ops_audit,
	&kt_ops_note,
	&kt_ops_deal,
	&kt_ops_task,
	&kt_ops_agenda,
	&kt_ops_person,
	&kt_ops_report,
	&kt_ops_backup,
	&kt_ops_import,
};
#define NDOMAINS (sizeof(domains) / sizeof(domains[0]))

const kt_op_domain_t *const *
kt_dispatch_domains(size_t *n)
{
	*n = NDOMAINS;
	return domains;
}

const kt_op_row_t *
kt_dispatch_row(unsigned op)
{
	for (size_t d = 0; d < NDOMAINS; d++)
		for (size_t i = 0; i < domains[d]->n; i++)
			if ((unsigned)domains[d]->rows[i].op == op)
				return &domains[d]->rows[i];
	return NULL;
}

/* The request's op member (the oneof field's message pointer), through
 * the descriptor, so a new op needs no code here. */
static const void *
op_member(const Kartoteka__Request *req)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(
	    &kartoteka__request__descriptor, (unsigned)req->op_case);

	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return NULL;
	return *(void *const *)((const char *)req + f->offset);
}

/* The FORBIDDEN message for a role that may not do row's op. */
static void
forbidden_message(const kt_op_row_t *row, char *out, size_t cap)
{
	if (kt_authz_scope(KARTOTEKA__ROLE__HEAD, row->action) ==
	    KT_SCOPE_NONE &&
	    kt_authz_scope(KARTOTEKA__ROLE__MANAGER, row->action) ==
	    KT_SCOPE_NONE)
		snprintf(out, cap, KT_MSG("only the owner can %s"), row->label);
	else
		snprintf(out, cap, KT_MSG("you may not %s"), row->label);
}

/* The checks of a logged-in op: the session, the caller and the class of
 * action. Returns 1 to go on, 0 when r was answered (and ended). */
static int
check_caller(kt_server_t *srv, kt_session_t *s, kt_req_t *r,
    const kt_op_row_t *row)
{
	uint64_t uid = kt_session_user(s, kt_now_s());
	MDB_txn *txn;
	kt_user_t u;
	char msg[160];
	int rc;

	if (uid == 0) {
		kt_req_fail(r, KT_CODE_UNAUTH, "not logged in: log in first");
		return 0;
	}
	if ((txn = kt_req_txn(r)) == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE,
		    "store unavailable: try again");
		return 0;
	}
	rc = kt_user_load_with(txn, kt_store_dbs(srv->store), uid,
	    &srv->req_arena.pb, &u);
	if (rc != 0 && rc != KT_ENOTFOUND) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE,
		    "store unavailable: try again");
		return 0;
	}
	if (rc != 0 || u.disabled) {
		kt_session_logout_user(srv, uid);
		kt_req_fail(r, KT_CODE_UNAUTH,
		    "your account is no longer active: "
		    "log in again");
		return 0;
	}
	kt_req_set_caller(r, &u);
	if (kt_authz_scope(u.role, row->action) == KT_SCOPE_NONE) {
		/* A manager trying the owner's work is worth a line. */
		forbidden_message(row, msg, sizeof(msg));
		kt_req_fail_audited(r, KT_CODE_FORBIDDEN, row->audit, "", "%s",
		    msg);
		return 0;
	}
	/* The notice period takes away everything but masked lists and the
	 * caller's own session, here, for every op (authz.h). */
	if (kt_authz_scope_of(u.role, u.restricted, row->action) ==
	    KT_SCOPE_NONE) {
		kt_req_fail_audited(r, KT_CODE_FORBIDDEN, row->audit, "",
		    "you are restricted (notice period): you may not %s; "
		    "lists stay open, masked", row->label);
		return 0;
	}
	return 1;
}

/* Runs one decoded request. */
static void
run(kt_server_t *srv, kt_conn_t *c, const Kartoteka__Request *req,
    const uint8_t *plain, size_t len)
{
	kt_session_t *s = kt_session_of(c);
	const kt_op_row_t *row = kt_dispatch_row((unsigned)req->op_case);
	kt_req_spec_t spec;
	kt_req_t *r;
	char path[256];
	int limited = 0;

	if (row == NULL || op_member(req) == NULL) {
		kt_conn_send_error(c, req->id, KT_CODE_BAD, "unknown op", 1);
		return;
	}
	/* protobuf-c would cut a string at a NUL and does not check UTF-8:
	 * every text field is checked here, once, on the wire bytes. */
	if (kt_pbtext_check(&kartoteka__request__descriptor, plain, len, path,
	    sizeof(path)) != 0) {
		const char *dot = strchr(path, '.');
		kt_conn_send_error(c, req->id, KT_CODE_BAD,
		    dot ? dot + 1 : path, 0);
		return;
	}
	if (row->phase != KT_PHASE_ANY && !kt_session_enrolled(s)) {
		kt_conn_send_error(c, req->id, KT_CODE_UNAUTH,
		    "this terminal is not "
		    "enrolled: ask the owner for an invite code", 1);
		return;
	}
	if (!(row->flags & KT_OP_UNCAPPED) &&
	    kt_session_inflight(s) >= KT_DISPATCH_MAX_INFLIGHT) {
		kt_conn_send_error(c, req->id, KT_CODE_RATE,
		    "too many requests in "
		    "flight on this connection: wait for answers", 0);
		return;
	}
	spec.state_size = row->state_size;
	spec.secret = (row->flags & KT_OP_SECRET) != 0;
	spec.serial_bit = (row->flags & KT_OP_SERIAL) ? 1u << (unsigned)
	    (req->op_case % 32) : 0;
	spec.action = row->audit;
	spec.write = (row->flags & KT_OP_WRITE) != 0;
	spec.reserve = (row->flags & KT_OP_RESERVE) != 0;
	/* A full store: what reads the base needs its audit entry, and a
	 * change its record, which would not fit: refused before anything
	 * is read, until the tick finds room (req.h). Login, resume and
	 * logout use the store's reserve; ping and whoami write nothing. */
	if (srv->disk_full && !spec.reserve && row->audit != KT_AUDIT_NONE) {
		kt_conn_send_error(c, req->id, KT_CODE_UNAVAILABLE,
		    KT_REQ_DISK_FULL, 0);
		return;
	}
	if (spec.serial_bit && kt_session_serial_busy(s, spec.serial_bit)) {
		char msg[160];
		snprintf(msg, sizeof(msg), KT_MSG("another request to %s is in "
		    "progress on this connection: wait for its answer"),
		    row->label);
		kt_conn_send_error(c, req->id, KT_CODE_RATE, msg, 0);
		return;
	}
	/* After the serial check: a refusal here closes the connection,
	 * which must not drop the answer of an attempt already in flight
	 * on it (a second one is refused above, without a close). */
	if (row->flags & KT_OP_ADDR_LIMIT) {
		uint64_t now = kt_net_now_ms(kt_conn_net(c));
		if (!kt_limiter_allowed(&srv->enroll_limit, kt_conn_peer(c),
		    now)) {
			char msg[160];
			snprintf(msg, sizeof(msg), KT_MSG("too many failed attempts "
			    "to %s from this address: try again in a minute"),
			    row->label);
			kt_conn_send_error(c, req->id, KT_CODE_RATE, msg, 1);
			return;
		}
		limited = 1;
	}
	spec.limited = limited;
	if ((r = kt_req_new(srv, c, req->id, &spec)) == NULL) {
		kt_conn_send_error(c, req->id, KT_CODE_INTERNAL,
		    "out of memory", 0);
		return;
	}
	if (row->phase == KT_PHASE_LOGGED_IN && !check_caller(srv, s, r, row))
		return;
	row->handler(r, req);
}

void
kt_dispatch_message(kt_server_t *srv, kt_conn_t *c, const uint8_t *plain,
    size_t len)
{
	Kartoteka__Request *req;

	req = kartoteka__request__unpack(&srv->req_arena.pb, len, plain);
	if (req == NULL) {
		kt_arena_wipe(&srv->req_arena);
		kt_conn_send_error(c, 0, KT_CODE_BAD, "request is not a valid "
		    "protobuf Request", 1);
		return;
	}
	run(srv, c, req, plain, len);
	kt_req_txn_release(srv);
	/* Handlers copied what they keep. The decoded request is wiped, not
	 * just released, whatever its op: which op a message decodes as is
	 * the last oneof member on the wire, so a password sent under an
	 * earlier member (login, then ping) would otherwise stay in the
	 * arena. Wiping costs the bytes used, a few hundred for most. */
	kt_arena_wipe(&srv->req_arena);
}
