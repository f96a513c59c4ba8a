/* SPDX-License-Identifier: MIT */
/* The agenda, the first screen after login (AgendaRequest): overdue and
 * today's tasks, birthdays of the week, clients to offer again, renewals,
 * A/B clients without a deal, quiet clients, and for heads and the owner a
 * line per manager. Enter opens the client of a line; d marks a task
 * done without opening anything. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "i18n.h"
#include "locale_fmt.h"
#include "text.h"
#include "tui.h"

static void
col(char *buf, size_t cap, const char *s, size_t width)
{
	tui_text_col(buf, cap, s, width, 2);
}

static const char *
kind_name(Kartoteka__TaskKind k)
{
	switch (k) {
	case KARTOTEKA__TASK_KIND__TASK_CALL: return _("call");
	case KARTOTEKA__TASK_KIND__TASK_MEETING: return _("meeting");
	case KARTOTEKA__TASK_KIND__TASK_PROMISE: return _("promise");
	case KARTOTEKA__TASK_KIND__TASK_OTHER: return _("other");
	default: return "";
	}
}

/* "Client (id)" */
static const char *
client_label(char *buf, size_t cap, const char *title, uint64_t id)
{
	snprintf(buf, cap, "%s (%llu)", tui_str(title), (unsigned long long)id);
	return buf;
}

void
tui_agenda_load(tui_t *t)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__AgendaRequest r = KARTOTEKA__AGENDA_REQUEST__INIT;

	req.op_case = KARTOTEKA__REQUEST__OP_AGENDA;
	req.agenda = &r;
	if (tui_link_send(t, &req, TUI_RQ_AGENDA, 0, 0) == 0)
		t->t_agenda_loaded = 1;
}

static void
task_line(tui_lines_t *ls, const Kartoteka__Task *k, const char *today)
{
	char text[TUI_LINE_BYTES] = "", when[16], who[200];
	const char *due = tui_str(k->due);
	tui_line_t *l;

	/* "YYYY-MM-DD HH:MM": the time today, else dd.mm. */
	if (strlen(due) >= 10 && strncmp(due, today, 10) == 0 &&
	    strlen(due) >= 16)
		snprintf(when, sizeof(when), "%.5s", due + 11);
	else if (strlen(due) >= 10)
		snprintf(when, sizeof(when), "%.2s.%.2s", due + 8, due + 5);
	else
		snprintf(when, sizeof(when), "%s", due);
	col(text, sizeof(text), k->overdue ? " !" : "  ", 2);
	col(text, sizeof(text), when, 5);
	col(text, sizeof(text), tui_str(k->title), 34);
	col(text, sizeof(text), k->client_id != 0 ? client_label(who,
	    sizeof(who), k->client, k->client_id) : "", 20);
	col(text, sizeof(text), kind_name(k->kind), 8);
	l = tui_lines_add(ls, k->overdue ? 2 : 0, "%s", text);
	if (l != NULL) {
		l->ln_client = k->client_id;
		l->ln_task = k->id;
		l->ln_task_version = k->version;
	}
}

static void
rule(tui_lines_t *ls, const char *title, size_t n, uint32_t more)
{
	if (more > 0)
		tui_lines_add(ls, 1, _("\xe2\x94\x80\xe2\x94\x80 %s (%zu, and %u "
		    "more) \xe2\x94\x80\xe2\x94\x80"), title, n + more, more);
	else
		tui_lines_add(ls, 1, "\xe2\x94\x80\xe2\x94\x80 %s (%zu) "
		    "\xe2\x94\x80\xe2\x94\x80", title, n);
}

static void
client_lines(tui_lines_t *ls, const char *title,
    Kartoteka__AgendaClient *const *c, size_t n, uint32_t more, int what)
{
	char who[200], day[16], text[TUI_LINE_BYTES];

	if (n == 0)
		return;
	rule(ls, title, n, more);
	for (size_t i = 0; i < n; i++) {
		tui_line_t *l;
		if (c[i] == NULL)
			continue;
		text[0] = '\0';
		col(text, sizeof(text), "", 1);
		col(text, sizeof(text), client_label(who, sizeof(who),
		    c[i]->client, c[i]->client_id), 28);
		switch (what) {
		case 0: /* reoffer */
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
			    _("won %s %s"), tui_fmt_day(day, c[i]->at),
			    tui_str(c[i]->note));
			break;
		case 1: /* renewals */
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
			    _("ends %s  %s"), tui_fmt_day(day, c[i]->at),
			    tui_str(c[i]->note));
			break;
		case 2: /* A/B without a deal */
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
			    _("category %s  %s"), c[i]->category ==
			    KARTOTEKA__CATEGORY__CATEGORY_A ? "A" : "B",
			    tui_str(c[i]->manager));
			break;
		default: /* quiet */
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
			    _("last contact %s  %s"), c[i]->at > 0 ?
			    tui_fmt_day(day, c[i]->at) : _("never"),
			    tui_str(c[i]->manager));
			break;
		}
		l = tui_lines_add(ls, 0, "%s", text);
		if (l != NULL)
			l->ln_client = c[i]->client_id;
	}
}

static void
build(tui_t *t, const Kartoteka__AgendaResponse *a)
{
	tui_lines_t *ls = &t->t_agenda;
	size_t overdue = 0, sel = ls->ls_sel;
	char text[TUI_LINE_BYTES], who[200], day[96] = "", sc[340];
	struct tm tm;

	tui_lines_clear(ls);
	memset(&tm, 0, sizeof(tm));
	if (a->date != NULL && strptime(a->date, "%Y-%m-%d", &tm) != NULL) {
		mktime(&tm);
		/* TRANSLATORS: strftime(3) of the agenda's day: "Thursday 03
		 * December 2026". xgettext:no-c-format */
		if (strftime(day, sizeof(day), _("%A %d %B %Y"), &tm) == 0)
			day[0] = '\0';
	}
	snprintf(t->t_agenda_title, sizeof(t->t_agenda_title), _("Agenda of %s "
	    "\xc2\xb7 %s"), kt_fmt_scope(tui_str(a->scope), sc, sizeof(sc)),
	    day[0] != '\0' ? day : tui_str(a->date));
	for (size_t i = 0; i < a->n_tasks; i++)
		if (a->tasks[i] != NULL && a->tasks[i]->overdue)
			overdue++;
	if (overdue > 0) {
		rule(ls, _("Overdue"), overdue, 0);
		for (size_t i = 0; i < a->n_tasks; i++)
			if (a->tasks[i] != NULL && a->tasks[i]->overdue)
				task_line(ls, a->tasks[i], tui_str(a->date));
	}
	rule(ls, _("Today"), a->n_tasks - overdue, a->tasks_more);
	for (size_t i = 0; i < a->n_tasks; i++)
		if (a->tasks[i] != NULL && !a->tasks[i]->overdue)
			task_line(ls, a->tasks[i], tui_str(a->date));
	if (a->n_tasks == overdue)
		tui_lines_add(ls, 0, _("   nothing due today"));
	if (a->n_birthdays > 0) {
		rule(ls, _("Birthdays this week"), a->n_birthdays,
		    a->birthdays_more);
		for (size_t i = 0; i < a->n_birthdays; i++) {
			const Kartoteka__AgendaBirthday *b = a->birthdays[i];
			char d[16], person[200];
			tui_line_t *l;
			if (b == NULL)
				continue;
			snprintf(d, sizeof(d), "%.2s.%.2s", strlen(tui_str(b->date))
			    >= 10 ? b->date + 8 : "--", strlen(tui_str(b->date)) >= 10 ?
			    b->date + 5 : "--");
			if (b->turns > 0)
				snprintf(person, sizeof(person), "%s, %u%s",
				    tui_str(b->person), b->turns, b->child ?
				    _(" (child)") : "");
			else
				snprintf(person, sizeof(person), "%s%s",
				    tui_str(b->person), b->child ? _(" (child)") : "");
			text[0] = '\0';
			col(text, sizeof(text), "", 2);
			col(text, sizeof(text), d, 5);
			col(text, sizeof(text), person, 34);
			col(text, sizeof(text), client_label(who, sizeof(who),
			    b->client, b->client_id), 20);
			l = tui_lines_add(ls, 0, "%s", text);
			if (l != NULL)
				l->ln_client = b->client_id;
		}
	}
	client_lines(ls, _("Offer again (bought a year ago)"),
	    a->reoffer, a->n_reoffer, a->reoffer_more, 0);
	client_lines(ls, _("Renewals due"), a->renewals, a->n_renewals,
	    a->renewals_more, 1);
	client_lines(ls, _("A and B clients without an open deal"),
	    a->no_open_deal, a->n_no_open_deal, a->no_open_deal_more, 2);
	client_lines(ls, _("Quiet clients"), a->quiet, a->n_quiet,
	    a->quiet_more, 3);
	if (a->n_managers > 0) {
		tui_lines_add(ls, 1, _("\xe2\x94\x80\xe2\x94\x80 Managers "
		    "\xe2\x94\x80\xe2\x94\x80"));
		for (size_t i = 0; i < a->n_managers; i++)
			if (a->managers[i] != NULL)
				tui_lines_add(ls, 0, _("   %-16s overdue tasks %u"
				    "   A/B without a deal %u"),
				    tui_str(a->managers[i]->login),
				    a->managers[i]->overdue_tasks,
				    a->managers[i]->ab_without_deal);
	}
	ls->ls_sel = sel < ls->ls_n ? sel : 0;
}

void
tui_agenda_answer(tui_t *t, const tui_pending_t *pd, Kartoteka__Response **resp)
{
	const Kartoteka__Error *e = tui_error(*resp);
	const Kartoteka__AgendaResponse *a;

	if (pd->pd_kind == TUI_RQ_TASK_DONE) {
		if (e != NULL) {
			tui_say(t, 1, _("Not marked done: %s"),
			    e->message != NULL ? e->message : _("refused"));
			return;
		}
		tui_say(t, 0, _("Done"));
		tui_agenda_load(t);
		return;
	}
	a = tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_AGENDA);
	if (e != NULL || a == NULL) {
		tui_say(t, 1, _("The agenda: %s"), e != NULL && e->message != NULL ?
		    e->message : _("an answer of the wrong kind"));
		return;
	}
	build(t, a);
}

static void
task_done(tui_t *t)
{
	tui_lines_t *ls = &t->t_agenda;
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__TaskChangeRequest r = KARTOTEKA__TASK_CHANGE_REQUEST__INIT;
	const tui_line_t *l;

	if (ls->ls_n == 0 || (l = &ls->ls_line[ls->ls_sel])->ln_task == 0) {
		tui_say(t, 1, _("Not a task: select a task line first"));
		return;
	}
	r.id = l->ln_task;
	r.version = l->ln_task_version;
	r.action = KARTOTEKA__TASK_ACTION__TASK_DONE;
	req.op_case = KARTOTEKA__REQUEST__OP_TASK_CHANGE;
	req.task_change = &r;
	(void)tui_link_send(t, &req, TUI_RQ_TASK_DONE, 0, 1);
}

void
tui_agenda_key(tui_t *t, wint_t ch, int fkey)
{
	tui_lines_t *ls = &t->t_agenda;

	if (tui_lines_key(t, ls, ch, fkey))
		return;
	if (fkey) {
		switch (ch) {
		case KEY_F(2): tui_form_open(t, TUI_FORM_CLIENT); return;
		case KEY_F(9): tui_login_open(t, TUI_SCR_LOGIN); return;
		case KEY_ENTER: ch = '\r'; break;
		default: return;
		}
	}
	switch (ch) {
	case '/': tui_search_open(t); return;
	case 'q': t->t_quit = 1; return;
	case 'g': tui_agenda_load(t); return;
	case 'l': tui_list_open(t); return;
	case 'd': task_done(t); return;
	case 'm':
		if (ls->ls_n == 0 || ls->ls_line[ls->ls_sel].ln_task == 0) {
			tui_say(t, 1, _("Not a task: select a task line first"));
			return;
		}
		t->t_move_task = ls->ls_line[ls->ls_sel].ln_task;
		t->t_move_version = ls->ls_line[ls->ls_sel].ln_task_version;
		tui_form_open(t, TUI_FORM_MOVE);
		return;
	case 'a':
		if (t->t_role == KARTOTEKA__ROLE__OWNER)
			tui_alerts_open(t);
		return;
	case 'u':
		if (t->t_role == KARTOTEKA__ROLE__OWNER)
			tui_users_open(t);
		return;
	case 'k': tui_lines_move(ls, -1); return;
	case 'j': tui_lines_move(ls, 1); return;
	case '\r': case '\n':
		if (ls->ls_n > 0 && ls->ls_line[ls->ls_sel].ln_client != 0)
			tui_card_open(t, ls->ls_line[ls->ls_sel].ln_client);
		return;
	default:
		return;
	}
}

void
tui_agenda_draw(tui_t *t)
{
	if (!t->t_agenda_loaded && t->t_connected)
		tui_agenda_load(t);
	attrset(A_BOLD);
	tui_put(1, 1, t->t_agenda_title[0] != '\0' ? t->t_agenda_title :
	    _("Agenda: loading..."), COLS - 1, 0);
	attrset(A_NORMAL);
	tui_lines_draw(t, &t->t_agenda, 2, LINES - 4);
}
