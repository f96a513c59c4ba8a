/* SPDX-License-Identifier: MIT */
/* The owner's alerts over the protocol: the paged list (newest first,
 * open ones unless all) with logins and terminal names resolved, and the
 * acknowledgement of one alert, both audited. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "kt_error.h"
#include "model/alert_store.h"
#include "model/identity.h"
#include "model/terminal_store.h"
#include "model/user_store.h"
#include "ops/ops.h"
#include "records.pb-c.h"

#define ALERTS_DEFAULT 50u
#define ALERTS_MAX 200u

/* Fills the wire form of alert rec into out, strings in arena a (names
 * resolved inside txn). Returns 0 or KT_ENOMEM. */
static int
alert_wire(MDB_txn *txn, const kt_store_dbs_t *db, kt_arena_t *a,
    const Ktstore__AlertRecord *rec, Kartoteka__Alert *out)
{
	char login[KT_LOGIN_MAX + 1] = "", acked[KT_LOGIN_MAX + 1] = "";
	Ktstore__TerminalRecord *t = NULL;

	kartoteka__alert__init(out);
	out->id = rec->id;
	out->time_ms = rec->time_ms;
	out->kind = (char *)kt_alert_kind_name((kt_alert_kind_t)rec->kind);
	out->what = (char *)kt_alert_kind_what((kt_alert_kind_t)rec->kind);
	if (rec->user_id != 0)
		kt_user_login(txn, db, rec->user_id, login, sizeof(login));
	if (rec->acked_by != 0)
		kt_user_login(txn, db, rec->acked_by, acked, sizeof(acked));
	out->user = kt_arena_strdup(a, login);
	out->acked_by = kt_arena_strdup(a, acked);
	out->client_id = rec->client_id;
	out->other_client_id = rec->other_id;
	out->terminal = "";
	if (rec->terminal_key.len == 32 &&
	    kt_terminal_get(txn, db, rec->terminal_key.data, &t) == 0) {
		out->terminal = kt_arena_strdup(a, t->name ? t->name : "");
		protobuf_c_message_free_unpacked(&t->base, NULL);
	}
	out->count = rec->count;
	out->limit = rec->limit;
	out->detail = kt_arena_strdup(a, rec->detail ? rec->detail : "");
	out->acked_at = rec->acked_at;
	if (out->user == NULL || out->acked_by == NULL ||
	    out->terminal == NULL || out->detail == NULL)
		return KT_ENOMEM;
	return 0;
}

/* ==== list ================================================================ */

typedef struct page_ctx {
	MDB_txn *txn;
	const kt_store_dbs_t *db;
	kt_arena_t *a;
	Kartoteka__Alert **alerts;
	size_t n;
} page_ctx_t;

static int
page_one(const Ktstore__AlertRecord *rec, void *arg)
{
	page_ctx_t *p = arg;
	Kartoteka__Alert *al = kt_arena_alloc(p->a, sizeof(*al));

	if (al == NULL || alert_wire(p->txn, p->db, p->a, rec, al) != 0)
		return KT_ENOMEM;
	p->alerts[p->n++] = al;
	return 0;
}

static void
op_alert_list(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__AlertListRequest *lr = msg->alert_list;
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__AlertListResponse ar = KARTOTEKA__ALERT_LIST_RESPONSE__INIT;
	kt_server_t *srv = kt_req_server(r);
	page_ctx_t p = { kt_req_txn(r), kt_store_dbs(srv->store),
		kt_req_arena(r), NULL, 0 };
	uint32_t limit = lr->limit == 0 ? ALERTS_DEFAULT :
	    lr->limit > ALERTS_MAX ? ALERTS_MAX : lr->limit;
	uint64_t before = 0, next = 0;
	uint8_t *cur;
	char detail[64];
	int rc;

	if (p.txn == NULL || p.a == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "cannot read the store: "
		    "try again");
		return;
	}
	if (lr->cursor.len != 0) {
		if (lr->cursor.len != 8 ||
		    (before = kt_store_get_be64(lr->cursor.data)) == 0) {
			kt_req_fail(r, KT_CODE_BAD, "cursor: not a cursor from "
			    "a previous page");
			return;
		}
	}
	if ((p.alerts = kt_arena_alloc(p.a, limit * sizeof(*p.alerts))) ==
	    NULL || (cur = kt_arena_alloc(p.a, 8)) == NULL) {
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	rc = kt_alert_each(p.txn, p.db, before, lr->all, limit, page_one, &p,
	    &next);
	if (rc == 0)
		rc = kt_alert_open_count(p.txn, p.db, &ar.open);
	if (rc != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL, "cannot read the alerts");
		return;
	}
	ar.alerts = p.alerts;
	ar.n_alerts = p.n;
	if (next != 0) {
		kt_store_be64(cur, next);
		ar.next_cursor.data = cur;
		ar.next_cursor.len = 8;
	}
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_ALERT_LIST;
	resp.alert_list = &ar;
	snprintf(detail, sizeof(detail), "rows=%zu open=%" PRIu64 "%s%s", p.n,
	    ar.open, lr->all ? " all" : "", before ? " page=next" : "");
	kt_req_reply_audited(r, &resp, KT_AUDIT_ALERT_LIST, "alerts", 0,
	    detail);
}

/* ==== acknowledge ========================================================= */

typedef struct ack_st {
	uint64_t id;
	int64_t now;
} ack_st_t;

static int
ack_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	ack_st_t *k = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	kt_actor_t actor = kt_req_actor(r);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__AlertResponse ar = KARTOTEKA__ALERT_RESPONSE__INIT;
	Kartoteka__Alert al;
	Ktstore__AlertRecord *rec = NULL;
	char object[32];
	kt_arena_t a;
	int rc;

	snprintf(object, sizeof(object), "alert:%" PRIu64, k->id);
	rc = kt_alert_ack(txn, db, k->id, actor.user_id, k->now);
	if (rc == KT_ENOTFOUND)
		return kt_req_answer_error(r, KT_CODE_NOT_FOUND, "no alert %"
		    PRIu64, k->id);
	if (rc != 0 && rc != KT_EEXIST)
		return rc;
	if ((rc = kt_audit_record(st, txn, &actor, KT_AUDIT_ALERT_ACK, object,
	    0, rc == KT_EEXIST ? "acknowledged before" : "")) != 0)
		return rc;
	if ((rc = kt_alert_get(txn, db, k->id, &rec)) != 0)
		return rc;
	if ((rc = kt_arena_init(&a, 4096, 1u << 16)) == 0) {
		if ((rc = alert_wire(txn, db, &a, rec, &al)) == 0) {
			ar.alert = &al;
			resp.result_case = KARTOTEKA__RESPONSE__RESULT_ALERT;
			resp.alert = &ar;
			rc = kt_req_answer(r, &resp);
		}
		kt_arena_free(&a);
	}
	ktstore__alert_record__free_unpacked(rec, NULL);
	return rc;
}

static void
op_alert_ack(kt_req_t *r, const Kartoteka__Request *msg)
{
	ack_st_t *k = kt_req_state(r);

	if (msg->alert_ack->id == 0) {
		kt_req_fail(r, KT_CODE_BAD, "id: name the alert to acknowledge");
		return;
	}
	k->id = msg->alert_ack->id;
	k->now = kt_now_s();
	kt_req_submit(r, ack_mut, NULL);
}

/* ==== the rows ============================================================= */

#define OP(c) KARTOTEKA__REQUEST__OP_##c

static const kt_op_row_t rows[] = {
	{ OP(ALERT_LIST), KT_MSG("read alerts"), KT_PHASE_LOGGED_IN, 0, KT_ACT_AUDIT,
	    KT_AUDIT_ALERT_LIST, op_alert_list, 0 },
	{ OP(ALERT_ACK), KT_MSG("acknowledge alerts"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_AUDIT, KT_AUDIT_ALERT_ACK, op_alert_ack,
	    sizeof(ack_st_t) },
};

const kt_op_domain_t kt_ops_alert = { "alert", rows,
	sizeof(rows) / sizeof(rows[0]) };
