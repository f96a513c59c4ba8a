/* SPDX-License-Identifier: MIT */
/* The TUI's connection: requests pipelined on one Noise connection, each
 * remembered until its answer comes back (in any order), and a broken
 * connection dialled again with the saved session. */
#include <stdio.h>
#include <string.h>


#include "i18n.h"
#include "kt_error.h"
#include "tui.h"

#define CONNECT_TIMEOUT_MS 5000
#define RECONNECT_MAX_MS 30000

static const char *
rq_what(tui_rq_t kind)
{
	switch (kind) {
	case TUI_RQ_NOTE_ADD: return _("the call note");
	case TUI_RQ_TASK_ADD: return _("the task");
	case TUI_RQ_TASK_DONE: return _("the task marked done");
	case TUI_RQ_TASK_MOVE: return _("the task's new due");
	case TUI_RQ_CLIENT_ADD: return _("the new family");
	case TUI_RQ_DEAL_ADD: return _("the deal");
	case TUI_RQ_CLIENT_EDIT: return _("the card's changes");
	case TUI_RQ_PERSON_ADD: return _("the new person");
	case TUI_RQ_PERSON_EDIT: return _("the person's changes");
	case TUI_RQ_PERSON_REMOVE: return _("the person's removal");
	case TUI_RQ_ALERT_ACK: return _("the acknowledgement");
	default: return _("the change");
	}
}

void
tui_link_close(tui_t *t)
{
	kt_conn_close(t->t_conn);
	t->t_conn = NULL;
	t->t_connected = 0;
	t->t_npending = 0;
}

void
tui_link_lost(tui_t *t, int rc)
{
	const char *write = NULL;

	for (size_t i = 0; i < t->t_npending; i++)
		if (t->t_pending[i].pd_write)
			write = rq_what(t->t_pending[i].pd_kind);
	tui_link_close(t);
	t->t_form_busy = 0;
	/* A search in flight is lost: the text is asked again once the
	 * connection is back. */
	if (tui_seq_waiting(&t->t_seq)) {
		t->t_seq.sq_shown = t->t_seq.sq_issued;
		t->t_seq.sq_due_ms = tui_now_ms();
	}
	if (t->t_reconnect_delay <= 0)
		t->t_reconnect_delay = 500;
	t->t_reconnect_at = tui_now_ms() + t->t_reconnect_delay;
	if (write != NULL)
		tui_say(t, 1, _("Connection lost (%s) before the server answered: "
		    "not known whether %s was saved; reconnecting..."),
		    kt_strerror(rc), write);
	else
		tui_say(t, 1, _("Connection lost (%s): reconnecting in %d s..."),
		    kt_strerror(rc), (t->t_reconnect_delay + 999) / 1000);
	if (t->t_reconnect_delay < RECONNECT_MAX_MS)
		t->t_reconnect_delay *= 2;
}

int
tui_link_connect(tui_t *t)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ResumeRequest rr = KARTOTEKA__RESUME_REQUEST__INIT;
	Kartoteka__PingRequest pr = KARTOTEKA__PING_REQUEST__INIT;
	char detail[512];
	int rc;

	tui_link_close(t);
	t->t_reconnect_at = -1;
	rc = kt_conn_open_detail(&t->t_conn, t->t_cfg.address,
	    t->t_cfg.server_key, t->t_cfg.terminal_priv, TUI_CLIENT_NAME,
	    CONNECT_TIMEOUT_MS, NULL, detail, sizeof(detail));
	if (rc != 0) {
		t->t_conn = NULL;
		if (t->t_reconnect_delay <= 0)
			t->t_reconnect_delay = 1000;
		t->t_reconnect_at = tui_now_ms() + t->t_reconnect_delay;
		tui_say(t, 1, _("Cannot connect to %s: %s; trying again in %d s"),
		    t->t_cfg.address, detail[0] != '\0' ? detail :
		    kt_strerror(rc), (t->t_reconnect_delay + 999) / 1000);
		if (t->t_reconnect_delay < RECONNECT_MAX_MS)
			t->t_reconnect_delay *= 2;
		return rc;
	}
	t->t_connected = 1;
	tui_say(t, 0, _("Connected to %s"), t->t_cfg.address);
	/* The server's clock, for the header. */
	req.op_case = KARTOTEKA__REQUEST__OP_PING;
	req.ping = &pr;
	if ((rc = tui_link_send(t, &req, TUI_RQ_PING, 0, 0)) != 0)
		return rc;
	if (t->t_cfg.has_session) {
		rr.token.data = t->t_cfg.session;
		rr.token.len = sizeof(t->t_cfg.session);
		req.op_case = KARTOTEKA__REQUEST__OP_RESUME;
		req.resume = &rr;
		if ((rc = tui_link_send(t, &req, TUI_RQ_RESUME, 0, 0)) != 0)
			return rc;
	} else {
		tui_login_open(t, TUI_SCR_LOGIN);
	}
	return 0;
}

int
tui_link_send(tui_t *t, Kartoteka__Request *req, tui_rq_t kind,
    uint64_t seq, int write)
{
	tui_pending_t *pd;
	int rc;

	if (t->t_conn == NULL) {
		tui_say(t, 1, _("Not connected to the server: wait for the "
		    "reconnect and try again"));
		return KT_ECLOSED;
	}
	if (t->t_npending >= TUI_PENDING_MAX) {
		tui_say(t, 1, _("Too many requests waiting for the server: try "
		    "again in a moment"));
		return KT_ESTATE;
	}
	rc = kt_conn_send(t->t_conn, req);
	if (rc == KT_ETOOBIG) {
		tui_say(t, 1, _("Too much text for one request: shorten it"));
		return rc;
	}
	if (rc != 0) {
		tui_link_lost(t, rc);
		return rc;
	}
	pd = &t->t_pending[t->t_npending++];
	pd->pd_id = req->id;
	pd->pd_kind = kind;
	pd->pd_seq = seq;
	pd->pd_write = write;
	return 0;
}

int
tui_link_busy(const tui_t *t)
{
	return t->t_npending > 0;
}

int
tui_link_waiting(const tui_t *t, tui_rq_t kind)
{
	for (size_t i = 0; i < t->t_npending; i++)
		if (t->t_pending[i].pd_kind == kind)
			return 1;
	return 0;
}

void
tui_link_read(tui_t *t)
{
	for (;;) {
		Kartoteka__Response *resp = NULL;
		tui_pending_t pd;
		size_t i;
		int rc;

		if (t->t_conn == NULL)
			return;
		rc = kt_conn_poll(t->t_conn, &resp);
		if (rc == 0)
			return;
		if (rc < 0) {
			tui_link_lost(t, rc);
			return;
		}
		for (i = 0; i < t->t_npending; i++)
			if (t->t_pending[i].pd_id == resp->id)
				break;
		if (i == t->t_npending) {
			/* kt_conn_poll checked it is an id we sent: one
			 * answered twice is the server's mistake. */
			kartoteka__response__free_unpacked(resp, NULL);
			tui_link_lost(t, KT_EPROTO);
			return;
		}
		pd = t->t_pending[i];
		t->t_pending[i] = t->t_pending[--t->t_npending];
		t->t_reconnect_delay = 0; /* the server answers again */
		tui_answer(t, &pd, &resp);
		kt_response_free(resp);
	}
}

const Kartoteka__Error *
tui_error(const Kartoteka__Response *resp)
{
	if (resp->error != NULL &&
	    resp->error->code != KARTOTEKA__ERROR__CODE__OK)
		return resp->error;
	return NULL;
}

const void *
tui_result(const Kartoteka__Response *resp,
    Kartoteka__Response__ResultCase want)
{
	return resp->result_case == want ? kt_response_result(resp) : NULL;
}

int
tui_cursor_take(uint8_t *dst, size_t cap, size_t *len, ProtobufCBinaryData src)
{
	/* The last page's cursor is empty, and an empty bytes field may come
	 * unpacked with data NULL: memcpy from NULL is undefined even for 0
	 * bytes (UBSan caught it once), so nothing is copied then. */
	*len = 0;
	if (src.len == 0 || src.len > cap || src.data == NULL)
		return 0;
	memcpy(dst, src.data, src.len);
	*len = src.len;
	return 1;
}

void
tui_answer(tui_t *t, const tui_pending_t *pd, Kartoteka__Response **resp)
{
	const Kartoteka__Error *e = tui_error(*resp);

	/* A session that ended (idle, logged in elsewhere, the owner's
	 * doing) ends here too: back to the login. */
	if (e != NULL && e->code == KARTOTEKA__ERROR__CODE__UNAUTHENTICATED &&
	    pd->pd_kind != TUI_RQ_LOGIN && pd->pd_kind != TUI_RQ_UNLOCK) {
		t->t_logged_in = 0;
		kt_config_clear_session(&t->t_cfg);
		tui_login_open(t, TUI_SCR_LOGIN);
		tui_say(t, 1, _("The session has ended (%s): log in again"),
		    e->message != NULL ? e->message : "");
		return;
	}
	switch (pd->pd_kind) {
	case TUI_RQ_RESUME:
	case TUI_RQ_LOGIN:
	case TUI_RQ_PING:
	case TUI_RQ_UNLOCK:
	case TUI_RQ_WHOAMI:
		tui_login_answer(t, pd, resp);
		break;
	case TUI_RQ_AGENDA:
	case TUI_RQ_TASK_DONE:
		tui_agenda_answer(t, pd, resp);
		break;
	case TUI_RQ_FIND:
		tui_search_answer(t, pd, resp);
		break;
	case TUI_RQ_SHOW:
	case TUI_RQ_DEALS:
	case TUI_RQ_TASKS:
	case TUI_RQ_NOTES:
		tui_card_answer(t, pd, resp);
		break;
	case TUI_RQ_NOTE_ADD:
	case TUI_RQ_TASK_ADD:
	case TUI_RQ_TASK_MOVE:
	case TUI_RQ_CLIENT_ADD:
	case TUI_RQ_DEAL_ADD:
	case TUI_RQ_CLIENT_EDIT:
	case TUI_RQ_PERSON_ADD:
	case TUI_RQ_PERSON_EDIT:
	case TUI_RQ_PERSON_REMOVE:
		tui_form_answer(t, pd, resp);
		break;
	case TUI_RQ_LIST:
		tui_list_answer(t, pd, resp);
		break;
	case TUI_RQ_ALERTS:
	case TUI_RQ_ALERT_ACK:
	case TUI_RQ_ALERT_AUDIT:
		tui_alerts_answer(t, pd, resp);
		break;
	case TUI_RQ_USERS:
	case TUI_RQ_ACTIVITY:
		tui_users_answer(t, pd, resp);
		break;
	}
}
