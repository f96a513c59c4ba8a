/* SPDX-License-Identifier: MIT */
/* The client list with filters (ClientList: manager, status, category,
 * tag, birth month, children), paged; and the owner's alerts, newest
 * first, with acknowledge. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "i18n.h"
#include "text.h"
#include "tui.h"

#define LIST_LIMIT 100

/* ---- the client list ------------------------------------------------------ */

static void
list_send(tui_t *t, int next)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientListRequest r = t->t_list_filter;

	r.base = t->t_list_filter.base;
	r.limit = LIST_LIMIT;
	if (next) {
		r.cursor.data = t->t_list_cursor;
		r.cursor.len = t->t_list_cursor_len;
	} else {
		r.cursor.data = NULL;
		r.cursor.len = 0;
	}
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_LIST;
	req.client_list = &r;
	(void)tui_link_send(t, &req, TUI_RQ_LIST, 0, 0);
}

void
tui_list_open(tui_t *t)
{
	/* The filter form leaves a filled request; from elsewhere the
	 * filter is kept as it was (first time: all clients). */
	if (t->t_list_filter.base.descriptor == NULL)
		kartoteka__client_list_request__init(&t->t_list_filter);
	tui_rows_clear(t);
	t->t_list_more = 0;
	list_send(t, 0);
	if (t->t_screen != TUI_SCR_FORM)
		t->t_other_back = t->t_screen;
	else
		t->t_other_back = TUI_SCR_AGENDA;
	tui_go(t, TUI_SCR_LIST);
}

void
tui_list_answer(tui_t *t, const tui_pending_t *pd, Kartoteka__Response **resp)
{
	const Kartoteka__Error *e = tui_error(*resp);
	const Kartoteka__ClientListResponse *l;

	(void)pd;
	l = tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_CLIENT_LIST);
	if (e != NULL || l == NULL) {
		tui_say(t, 1, _("Client list: %s"), e != NULL && e->message != NULL
		    ? e->message : _("an answer of the wrong kind"));
		return;
	}
	t->t_list_more = tui_cursor_take(t->t_list_cursor,
	    sizeof(t->t_list_cursor), &t->t_list_cursor_len, l->next_cursor);
	tui_rows_take(t, resp);
}

void
tui_list_key(tui_t *t, wint_t ch, int fkey)
{
	if (!fkey && ch == 27) {
		tui_go(t, TUI_SCR_AGENDA);
		return;
	}
	if ((fkey && ch == KEY_F(1)) || (!fkey && ch == '?')) {
		t->t_help = 1;
		return;
	}
	if ((fkey && ch == KEY_F(7)) || (!fkey && ch == '/')) {
		tui_search_open(t);
		return;
	}
	if (!fkey && ch == 'f') {
		tui_form_open(t, TUI_FORM_FILTER);
		return;
	}
	if (!fkey && ch == 'n') {
		if (t->t_list_more)
			list_send(t, 1);
		else
			tui_say(t, 0, _("That was the last page"));
		return;
	}
	if (((!fkey && (ch == '\r' || ch == '\n')) || (fkey && ch == KEY_ENTER))
	    && t->t_nrows > 0) {
		t->t_card_back = TUI_SCR_LIST;
		tui_card_open(t, t->t_rows[t->t_rows_sel]->id);
		return;
	}
	(void)tui_rows_key(t, ch, fkey);
}

void
tui_list_draw(tui_t *t)
{
	const Kartoteka__ClientListRequest *q = &t->t_list_filter;
	char title[TUI_LINE_BYTES];

	snprintf(title, sizeof(title), _("Clients%s%s%s%s%s%s \xc2\xb7 %llu in "
	    "all%s"), q->manager != NULL && q->manager[0] != '\0' ?
	    _(" \xc2\xb7 manager ") : "", tui_str(q->manager), q->tag != NULL &&
	    q->tag[0] != '\0' ? _(" \xc2\xb7 tag ") : "", tui_str(q->tag),
	    q->children_only ? _(" \xc2\xb7 children") : "",
	    q->birth_month ? _(" \xc2\xb7 birth month") : "",
	    (unsigned long long)t->t_rows_total,
	    t->t_list_more ? _(" (n: next page)") : "");
	attrset(A_BOLD);
	tui_put(1, 1, title, COLS - 1, 0);
	attrset(A_NORMAL);
	tui_rows_draw(t, 2);
}

/* ---- alerts (owner) ------------------------------------------------------------ */

void
tui_alerts_open(tui_t *t)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__AlertListRequest r = KARTOTEKA__ALERT_LIST_REQUEST__INIT;

	r.all = 1;
	r.limit = 200;
	req.op_case = KARTOTEKA__REQUEST__OP_ALERT_LIST;
	req.alert_list = &r;
	if (tui_link_send(t, &req, TUI_RQ_ALERTS, 0, 0) != 0)
		return;
	if (t->t_screen != TUI_SCR_ALERTS) {
		t->t_other_back = t->t_screen;
		t->t_alert_detail = 0;
	}
	tui_go(t, TUI_SCR_ALERTS);
}

static size_t
n_alerts(const tui_t *t)
{
	return t->t_alerts != NULL && t->t_alerts->alert_list != NULL ?
	    t->t_alerts->alert_list->n_alerts : 0;
}

static const Kartoteka__Alert *
alert_at(const tui_t *t, size_t i)
{
	return i < n_alerts(t) ? t->t_alerts->alert_list->alerts[i] : NULL;
}

/* The audit entries around an alert: the user's (or, for an alert about
 * no user, the card's) in the quarter of an hour before it. A page may end
 * after a bounded scan with no entries: a few more are asked then. */
#define ALERT_AUDIT_PAGES 8
#define ALERT_AUDIT_WINDOW_MS (15 * 60 * 1000)
/* The entry that raised an alert is written after it, in the same
 * request (its detail names the alert): a little after the alert's time
 * still belongs to it. Under load that gap was more than the 1 ms the
 * window used to leave, and the entry fell out (tui_owner_lock.sh). */
#define ALERT_AUDIT_AFTER_MS (10 * 1000)

static void
audit_send(tui_t *t, const Kartoteka__Alert *a, int next)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__AuditListRequest r = KARTOTEKA__AUDIT_LIST_REQUEST__INIT;

	if (a->user[0] != '\0')
		r.user = a->user;
	else
		r.client = a->client_id;
	r.from_ms = a->time_ms > ALERT_AUDIT_WINDOW_MS ?
	    a->time_ms - ALERT_AUDIT_WINDOW_MS : 0;
	r.to_ms = a->time_ms + ALERT_AUDIT_AFTER_MS;
	r.limit = 50;
	if (next) {
		r.cursor.data = t->t_alert_cursor;
		r.cursor.len = t->t_alert_cursor_len;
	}
	req.op_case = KARTOTEKA__REQUEST__OP_AUDIT_LIST;
	req.audit_list = &r;
	if (tui_link_send(t, &req, TUI_RQ_ALERT_AUDIT, a->id, 0) == 0)
		t->t_alert_pages++;
}

static void
audit_answer(tui_t *t, const tui_pending_t *pd, Kartoteka__Response **resp)
{
	const Kartoteka__Error *e = tui_error(*resp);
	const Kartoteka__AuditListResponse *l;
	const Kartoteka__Alert *a;

	if (pd->pd_seq != t->t_alert_id || !t->t_alert_detail)
		return; /* another alert's by now */
	l = tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_AUDIT_LIST);
	if (e != NULL || l == NULL) {
		tui_say(t, 1, _("Audit entries: %s"), e != NULL &&
		    e->message != NULL ? e->message : _("an answer of the wrong "
		    "kind"));
		return;
	}
	/* an empty page with a next one: ask on, a few pages at the most
	 * (the cursor is taken last, so it changes only when it is sent) */
	if (l->n_entries == 0 && t->t_alert_pages < ALERT_AUDIT_PAGES &&
	    (a = alert_at(t, t->t_alert_sel)) != NULL && a->id == pd->pd_seq &&
	    tui_cursor_take(t->t_alert_cursor, sizeof(t->t_alert_cursor),
	    &t->t_alert_cursor_len, l->next_cursor)) {
		audit_send(t, a, 1);
		return;
	}
	kt_response_free(t->t_alert_audit);
	t->t_alert_audit = *resp;
	*resp = NULL;
}

static void
detail_open(tui_t *t, const Kartoteka__Alert *a)
{
	kt_response_free(t->t_alert_audit);
	t->t_alert_audit = NULL;
	t->t_alert_detail = 1;
	t->t_alert_id = a->id;
	t->t_alert_pages = 0;
	audit_send(t, a, 0);
}

static void
detail_draw(tui_t *t, const Kartoteka__Alert *a)
{
	char line[TUI_LINE_BYTES], when[32];
	const Kartoteka__AuditListResponse *l = t->t_alert_audit != NULL ?
	    t->t_alert_audit->audit_list : NULL;
	int y = 1;
	time_t tt = (time_t)(a->time_ms / 1000);
	struct tm tm;

	when[0] = '\0';
	if (localtime_r(&tt, &tm) != NULL)
		strftime(when, sizeof(when), "%d.%m.%Y %H:%M:%S", &tm);
	attrset(A_BOLD);
	snprintf(line, sizeof(line), _("Alert %llu \xc2\xb7 %s \xc2\xb7 %s"),
	    (unsigned long long)a->id, tui_str(a->kind), when);
	tui_put(y++, 1, line, COLS - 1, 0);
	attrset(A_NORMAL);
	tui_put(y++, 3, tui_str(a->what), COLS - 3, 0);
	snprintf(line, sizeof(line), _("user %s \xc2\xb7 terminal %s \xc2\xb7 "
	    "card %llu%s"), a->user[0] != '\0' ? a->user : "-",
	    a->terminal[0] != '\0' ? a->terminal : "-",
	    (unsigned long long)a->client_id, a->other_client_id ?
	    _(" and another") : "");
	if (a->limit != 0)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
		    _(" \xc2\xb7 %llu of %llu"), (unsigned long long)a->count,
		    (unsigned long long)a->limit);
	tui_put(y++, 3, line, COLS - 3, 0);
	if (a->detail[0] != '\0')
		tui_put(y++, 3, a->detail, COLS - 3, 0);
	snprintf(line, sizeof(line), "%s%s", a->acked_at != 0 ?
	    _("acknowledged by ") : _("open: k acknowledges"),
	    a->acked_at != 0 ? tui_str(a->acked_by) : "");
	tui_put(y++, 3, line, COLS - 3, 0);
	attrset(t->t_mono ? A_BOLD : COLOR_PAIR(3) | A_BOLD);
	snprintf(line, sizeof(line), _("\xe2\x94\x80\xe2\x94\x80 The audit "
	    "before it (%s, 15 minutes)"), a->user[0] != '\0' ?
	    _("the user's") : _("the card's"));
	tui_put(++y, 1, line, COLS - 1, 0);
	attrset(A_NORMAL);
	y++;
	if (l == NULL) {
		tui_put(y, 3, _("loading..."), COLS - 3, 0);
		return;
	}
	if (l->n_entries == 0)
		tui_put(y, 3, _("no entries"), COLS - 3, 0);
	/* The newest last, so the ones just before the alert stay shown. */
	for (size_t i = l->n_entries > (size_t)(LINES - 2 - y) ?
	    l->n_entries - (size_t)(LINES - 2 - y) : 0;
	    i < l->n_entries && y < LINES - 2; i++) {
		const Kartoteka__AuditEntryInfo *en = l->entries[i];
		if (en == NULL)
			continue;
		tt = (time_t)(en->time_ms / 1000);
		when[0] = '\0';
		if (localtime_r(&tt, &tm) != NULL)
			strftime(when, sizeof(when), "%H:%M:%S", &tm);
		snprintf(line, sizeof(line), "%-8s %-10s %-16s %-14s %s%s%s",
		    when, tui_str(en->user), tui_str(en->action),
		    tui_str(en->object), en->outcome == 0 ? _("OK") : _("refused"),
		    en->detail[0] != '\0' ? "  " : "", tui_str(en->detail));
		tui_put(y++, 3, line, COLS - 3, 0);
	}
}

void
tui_alerts_answer(tui_t *t, const tui_pending_t *pd, Kartoteka__Response **resp)
{
	const Kartoteka__Error *e = tui_error(*resp);

	if (pd->pd_kind == TUI_RQ_ALERT_AUDIT) {
		audit_answer(t, pd, resp);
		return;
	}
	if (pd->pd_kind == TUI_RQ_ALERT_ACK) {
		if (e != NULL)
			tui_say(t, 1, _("Not acknowledged: %s"),
			    e->message != NULL ? e->message : _("refused"));
		else
			tui_say(t, 0, _("Acknowledged"));
		if (t->t_screen == TUI_SCR_ALERTS)
			tui_alerts_open(t);
		return;
	}
	if (e != NULL || tui_result(*resp,
	    KARTOTEKA__RESPONSE__RESULT_ALERT_LIST) == NULL) {
		tui_say(t, 1, _("Alerts: %s"), e != NULL && e->message != NULL ?
		    e->message : _("an answer of the wrong kind"));
		return;
	}
	kt_response_free(t->t_alerts);
	t->t_alerts = *resp;
	*resp = NULL;
	if (t->t_alert_sel >= n_alerts(t))
		t->t_alert_sel = n_alerts(t) > 0 ? n_alerts(t) - 1 : 0;
}

void
tui_alerts_key(tui_t *t, wint_t ch, int fkey)
{
	const Kartoteka__Alert *a = alert_at(t, t->t_alert_sel);

	if (!fkey && ch == 27) {
		if (t->t_alert_detail)
			t->t_alert_detail = 0;
		else
			tui_go(t, t->t_other_back);
		return;
	}
	if ((fkey && ch == KEY_F(1)) || (!fkey && ch == '?')) {
		t->t_help = 1;
		return;
	}
	if (t->t_alert_detail && fkey)
		return; /* no moving to another alert under the details */
	if (fkey && ch == KEY_UP && t->t_alert_sel > 0)
		t->t_alert_sel--;
	else if (fkey && ch == KEY_DOWN && t->t_alert_sel + 1 < n_alerts(t))
		t->t_alert_sel++;
	else if (!fkey && ch == 'k' && a != NULL) {
		Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
		Kartoteka__AlertAckRequest r = KARTOTEKA__ALERT_ACK_REQUEST__INIT;
		if (a->acked_at != 0) {
			tui_say(t, 0, _("Already acknowledged by %s"),
			    tui_str(a->acked_by));
			return;
		}
		r.id = a->id;
		req.op_case = KARTOTEKA__REQUEST__OP_ALERT_ACK;
		req.alert_ack = &r;
		(void)tui_link_send(t, &req, TUI_RQ_ALERT_ACK, 0, 1);
	} else if (((!fkey && (ch == '\r' || ch == '\n')) ||
	    (fkey && ch == KEY_ENTER)) && a != NULL) {
		detail_open(t, a);
	} else if (!fkey && ch == 'o' && a != NULL && a->client_id != 0) {
		t->t_card_back = TUI_SCR_ALERTS;
		tui_card_open(t, a->client_id);
	}
}

void
tui_alerts_draw(tui_t *t)
{
	int height = LINES - 5;
	char line[TUI_LINE_BYTES], when[32], ack[80];
	size_t n = n_alerts(t);

	if (t->t_alert_detail && alert_at(t, t->t_alert_sel) != NULL &&
	    alert_at(t, t->t_alert_sel)->id == t->t_alert_id) {
		detail_draw(t, alert_at(t, t->t_alert_sel));
		return;
	}
	t->t_alert_detail = 0;
	attrset(A_BOLD);
	if (t->t_alerts == NULL || t->t_alerts->alert_list == NULL)
		snprintf(line, sizeof(line), _("Alerts \xc2\xb7 loading..."));
	else
		snprintf(line, sizeof(line), _("Alerts \xc2\xb7 %llu open "
		    "\xc2\xb7 newest first; open ones in bold"),
		    (unsigned long long)t->t_alerts->alert_list->open);
	tui_put(1, 1, line, COLS - 1, 0);
	attrset(A_NORMAL);
	if (t->t_alert_sel < t->t_alert_top)
		t->t_alert_top = t->t_alert_sel;
	if (height > 0 && t->t_alert_sel >= t->t_alert_top + (size_t)height)
		t->t_alert_top = t->t_alert_sel - (size_t)height + 1;
	for (int r = 0; r < height; r++) {
		size_t i = t->t_alert_top + (size_t)r;
		const Kartoteka__Alert *a = alert_at(t, i);
		time_t tt;
		struct tm tm;

		if (i >= n)
			break;
		if (a == NULL)
			continue;
		tt = (time_t)(a->time_ms / 1000);
		when[0] = '\0';
		if (localtime_r(&tt, &tm) != NULL)
			strftime(when, sizeof(when), "%d.%m %H:%M", &tm);
		snprintf(ack, sizeof(ack), "%s%s", a->acked_at != 0 ? _("ack ") :
		    _("open"), a->acked_at != 0 ? tui_str(a->acked_by) : "");
		snprintf(line, sizeof(line), "%-11s %-18s %-10s %-12s %s", when,
		    tui_str(a->kind), tui_str(a->user), ack, tui_str(a->what));
		attrset((a->acked_at == 0 ? A_BOLD : A_NORMAL) |
		    (i == t->t_alert_sel ? A_REVERSE : A_NORMAL));
		tui_put(2 + r, 1, line, COLS - 1, 1);
		attrset(A_NORMAL);
	}
	if (n == 0)
		tui_put(3, 2, t->t_alerts == NULL ? _("loading...") : _("no alerts"),
		    COLS - 2, 0);
}
