/* SPDX-License-Identifier: MIT */
/* The owner's staff screen (`u` on the agenda): every user with role,
 * branches and state, and for the selected one (Enter) the activity of
 * the last 30 days from the audit (AuditSummaryRequest): views, rows
 * listed, searches, changes and refusals per day, the views as a bar, so
 * a manager copying the base before leaving stands out at a glance. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <curses.h>

#include "i18n.h"
#include "text.h"
#include "tui.h"

#define BAR_COLS 30

static const Kartoteka__UserListResponse *
users_of(const tui_t *t)
{
	return t->t_users != NULL ? t->t_users->user_list : NULL;
}

static void
build_users(tui_t *t)
{
	tui_lines_t *ls = &t->t_usersl;
	const Kartoteka__UserListResponse *ul = users_of(t);
	size_t sel = ls->ls_sel;

	tui_lines_clear(ls);
	if (ul == NULL) {
		tui_lines_add(ls, 0, "  ...");
		return;
	}
	for (size_t i = 0; i < ul->n_users; i++) {
		const Kartoteka__UserInfo *u = ul->users[i];
		char line[TUI_LINE_BYTES] = "", br[200] = "";
		tui_line_t *l;

		if (u == NULL)
			continue;
		for (size_t j = 0; j < u->n_branches; j++)
			snprintf(br + strlen(br), sizeof(br) - strlen(br), "%s%s",
			    j ? ", " : "", tui_str(u->branches[j]));
		tui_text_col(line, sizeof(line), "", 1, 0);
		tui_text_col(line, sizeof(line), tui_str(u->login), 16, 1);
		tui_text_col(line, sizeof(line), tui_str(u->name), 24, 1);
		tui_text_col(line, sizeof(line), tui_role_label(u->role), 12, 1);
		tui_text_col(line, sizeof(line), br, 24, 1);
		tui_text_col(line, sizeof(line), u->disabled ? _("disabled") :
		    u->restricted ? _("notice period") : "", 16, 0);
		l = tui_lines_add(ls, u->disabled ? 2 : 0, "%s", line);
		if (l != NULL)
			l->ln_client = i + 1; /* the user's index, not a card */
	}
	if (ul->n_users == 0)
		tui_lines_add(ls, 0, _("  no users yet"));
	ls->ls_sel = sel < ls->ls_n ? sel : 0;
}

static void
build_activity(tui_t *t)
{
	tui_lines_t *ls = &t->t_usersl;
	const Kartoteka__AuditSummaryResponse *s = t->t_activity != NULL ?
	    t->t_activity->audit_summary : NULL;
	uint32_t top = 1;
	char line[TUI_LINE_BYTES];

	tui_lines_clear(ls);
	if (s == NULL) {
		tui_lines_add(ls, 0, "  ...");
		return;
	}
	for (size_t i = 0; i < s->n_days; i++)
		if (s->days[i] != NULL && s->days[i]->views > top)
			top = s->days[i]->views;
	tui_lines_add(ls, 1, _("\xe2\x94\x80\xe2\x94\x80 DAY    VIEWS%*s  ROWS  "
	    "SEARCHES  CHANGES  REFUSED"), BAR_COLS - 4, "");
	for (size_t i = s->n_days; i-- > 0;) {
		const Kartoteka__AuditDay *d = s->days[i];
		char bar[BAR_COLS * 3 + 1] = "";
		size_t o = 0;
		unsigned n;

		if (d == NULL)
			continue;
		/* one full block per top/BAR_COLS views, at least one for any */
		n = (unsigned)(((uint64_t)d->views * BAR_COLS + top - 1) / top);
		for (unsigned k = 0; k < n && k < BAR_COLS; k++, o += 3)
			memcpy(bar + o, "\xe2\x96\x88", 3); /* U+2588 */
		bar[o] = '\0';
		/* YYYY-MM-DD as the TUI shows days: DD.MM */
		snprintf(line, sizeof(line), "   %.2s.%.2s  %5" PRIu32 " ",
		    strlen(tui_str(d->date)) >= 10 ? d->date + 8 : "--",
		    strlen(tui_str(d->date)) >= 10 ? d->date + 5 : "--",
		    d->views);
		tui_text_col(line, sizeof(line), bar, BAR_COLS, 1);
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
		    "%6" PRIu64 "  %8" PRIu32 "  %7" PRIu32 "  %7" PRIu32,
		    d->rows, d->searches, d->changes, d->refusals);
		tui_lines_add(ls, d->refusals > 0 ? 2 : 0, "%s", line);
	}
	tui_lines_add(ls, 0, _("  from %" PRIu64 " audit entries"), s->scanned);
}

void
tui_users_open(tui_t *t)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__UserListRequest r = KARTOTEKA__USER_LIST_REQUEST__INIT;

	r.include_disabled = 1;
	r.limit = 1000;
	req.op_case = KARTOTEKA__REQUEST__OP_USER_LIST;
	req.user_list = &r;
	if (tui_link_send(t, &req, TUI_RQ_USERS, 0, 0) != 0)
		return;
	t->t_activity_login[0] = '\0';
	if (t->t_screen != TUI_SCR_USERS)
		t->t_other_back = t->t_screen;
	tui_say(t, 0, _("Users: loading..."));
	build_users(t);
	tui_go(t, TUI_SCR_USERS);
}

/* Asks for the 30-day activity of the selected user. */
static void
open_activity(tui_t *t)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__AuditSummaryRequest r = KARTOTEKA__AUDIT_SUMMARY_REQUEST__INIT;
	const Kartoteka__UserListResponse *ul = users_of(t);
	const tui_lines_t *ls = &t->t_usersl;
	uint64_t i;

	if (ul == NULL || ls->ls_n == 0 ||
	    (i = ls->ls_line[ls->ls_sel].ln_client) == 0 || i > ul->n_users ||
	    ul->users[i - 1] == NULL)
		return;
	snprintf(t->t_activity_login, sizeof(t->t_activity_login), "%s",
	    tui_str(ul->users[i - 1]->login));
	r.login = t->t_activity_login;
	r.days = 30;
	req.op_case = KARTOTEKA__REQUEST__OP_AUDIT_SUMMARY;
	req.audit_summary = &r;
	if (tui_link_send(t, &req, TUI_RQ_ACTIVITY, 0, 0) != 0)
		return;
	if (t->t_activity != NULL)
		kartoteka__response__free_unpacked(t->t_activity, NULL);
	t->t_activity = NULL;
	t->t_users_sel = ls->ls_sel;
	t->t_usersl.ls_top = 0;
	tui_say(t, 0, _("The activity of %s: reading the audit..."),
	    t->t_activity_login);
	build_activity(t);
}

void
tui_users_answer(tui_t *t, const tui_pending_t *pd, Kartoteka__Response **resp)
{
	const Kartoteka__Error *e = tui_error(*resp);

	if (e != NULL) {
		tui_say(t, 1, _("Users: %s"), e->message != NULL ? e->message :
		    _("refused"));
		return;
	}
	if (pd->pd_kind == TUI_RQ_USERS) {
		if (tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_USER_LIST) ==
		    NULL)
			goto wrong;
		if (t->t_users != NULL)
			kartoteka__response__free_unpacked(t->t_users, NULL);
		t->t_users = *resp;
		*resp = NULL;
		if (t->t_activity_login[0] == '\0') {
			build_users(t);
			t->t_status[0] = '\0';
		}
		return;
	}
	if (tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_AUDIT_SUMMARY) == NULL)
		goto wrong;
	if (t->t_activity_login[0] == '\0')
		return; /* left the activity before the answer came */
	if (t->t_activity != NULL)
		kartoteka__response__free_unpacked(t->t_activity, NULL);
	t->t_activity = *resp;
	*resp = NULL;
	t->t_status[0] = '\0';
	build_activity(t);
	return;
wrong:
	tui_say(t, 1, _("The server sent an answer of the wrong kind"));
}

void
tui_users_key(tui_t *t, wint_t ch, int fkey)
{
	tui_lines_t *ls = &t->t_usersl;

	if (!fkey && ch == 27) {
		if (t->t_activity_login[0] != '\0') {
			t->t_activity_login[0] = '\0';
			build_users(t);
			ls->ls_sel = t->t_users_sel < ls->ls_n ? t->t_users_sel : 0;
			return;
		}
		tui_go(t, t->t_other_back);
		return;
	}
	if (fkey && t->t_activity_login[0] != '\0') {
		/* the days are read, not picked: the arrows scroll (the key
		 * bar names only them) */
		if (ch == KEY_DOWN || ch == KEY_UP)
			(void)tui_lines_scroll(ls, ch, fkey,
			    LINES > 4 ? (size_t)LINES - 4 : 1);
		else if (ch == KEY_F(1))
			t->t_help = 1;
		return;
	}
	if (tui_lines_key(t, ls, ch, fkey))
		return;
	if (fkey) {
		if (ch != KEY_ENTER)
			return;
		ch = '\r';
	}
	switch (ch) {
	case 'g': tui_users_open(t); return;
	case '\r': case '\n':
		if (t->t_activity_login[0] == '\0')
			open_activity(t);
		return;
	default:
		return;
	}
}

void
tui_users_draw(tui_t *t)
{
	char title[TUI_LINE_BYTES];
	const Kartoteka__UserListResponse *ul = users_of(t);

	if (t->t_activity_login[0] != '\0')
		snprintf(title, sizeof(title), _("The activity of %s \xc2\xb7 "
		    "the last 30 days, newest first"), t->t_activity_login);
	else
		snprintf(title, sizeof(title), _("Users \xc2\xb7 %zu"),
		    ul != NULL ? ul->n_users : 0);
	attrset(A_BOLD);
	tui_put(1, 1, title, COLS - 1, 0);
	attrset(A_NORMAL);
	if (t->t_activity_login[0] == '\0') {
		tui_lines_draw(t, &t->t_usersl, 2, LINES - 4);
		return;
	}
	for (int r = 0; r < LINES - 4; r++) {
		const tui_lines_t *ls = &t->t_usersl;
		size_t i = ls->ls_top + (size_t)r;
		if (i >= ls->ls_n)
			break;
		if (ls->ls_line[i].ln_kind == 1)
			attrset(t->t_mono ? A_BOLD : COLOR_PAIR(3) | A_BOLD);
		else if (ls->ls_line[i].ln_kind == 2)
			attrset(t->t_mono ? A_BOLD : COLOR_PAIR(2));
		tui_put(2 + r, 0, ls->ls_line[i].ln_text, COLS, 1);
		attrset(A_NORMAL);
	}
}

void
tui_users_clear(tui_t *t)
{
	if (t->t_users != NULL)
		kartoteka__response__free_unpacked(t->t_users, NULL);
	if (t->t_activity != NULL)
		kartoteka__response__free_unpacked(t->t_activity, NULL);
	t->t_users = t->t_activity = NULL;
	t->t_activity_login[0] = '\0';
	if (t->t_usersl.ls_line != NULL)
		tui_lines_clear(&t->t_usersl);
}
