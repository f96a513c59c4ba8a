/* SPDX-License-Identifier: MIT */
/* The client's card: people, the newest contacts, deals and the caller's
 * open tasks for it. Opening it is a full view, counted by the server
 * against the day's quota; logging a call or adding a task updates it
 * without another view. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "i18n.h"
#include "locale_fmt.h"
#include "fields.h"
#include "text.h"
#include "tui.h"

static const char *
relation_name(Kartoteka__Relation r)
{
	switch (r) {
	case KARTOTEKA__RELATION__PARENT: return _("parent");
	case KARTOTEKA__RELATION__CHILD: return _("child");
	case KARTOTEKA__RELATION__CONTACT: return _("contact");
	case KARTOTEKA__RELATION__OTHER: return _("other");
	default: return "";
	}
}

static const char *
status_name(Kartoteka__ClientStatus s)
{
	switch (s) {
	case KARTOTEKA__CLIENT_STATUS__LEAD: return _("lead");
	case KARTOTEKA__CLIENT_STATUS__ACTIVE: return _("client");
	case KARTOTEKA__CLIENT_STATUS__FORMER: return _("former");
	default: return "?";
	}
}

static const char *
channel_name(Kartoteka__Channel c)
{
	switch (c) {
	case KARTOTEKA__CHANNEL__CALL: return _("call");
	case KARTOTEKA__CHANNEL__MEETING: return _("meeting");
	case KARTOTEKA__CHANNEL__EMAIL: return _("e-mail");
	case KARTOTEKA__CHANNEL__MESSAGE: return _("message");
	case KARTOTEKA__CHANNEL__VISIT: return _("visit");
	default: return "?";
	}
}

static const char *
stage_name(Kartoteka__DealStage s)
{
	switch (s) {
	case KARTOTEKA__DEAL_STAGE__STAGE_NEW: return _("new");
	case KARTOTEKA__DEAL_STAGE__STAGE_PROGRESS: return _("in progress");
	case KARTOTEKA__DEAL_STAGE__STAGE_WON: return _("won");
	case KARTOTEKA__DEAL_STAGE__STAGE_LOST: return _("lost");
	default: return "?";
	}
}

void
tui_card_clear(tui_t *t)
{
	if (t->t_card != NULL)
		kartoteka__response__free_unpacked(t->t_card, NULL);
	if (t->t_card_deals != NULL)
		kartoteka__response__free_unpacked(t->t_card_deals, NULL);
	if (t->t_card_tasks != NULL)
		kartoteka__response__free_unpacked(t->t_card_tasks, NULL);
	if (t->t_card_edited != NULL)
		kartoteka__response__free_unpacked(t->t_card_edited, NULL);
	if (t->t_card_notes != NULL)
		kartoteka__response__free_unpacked(t->t_card_notes, NULL);
	t->t_card = t->t_card_deals = t->t_card_tasks = NULL;
	t->t_card_edited = t->t_card_notes = NULL;
	t->t_card_history = 0;
	t->t_card_nnew = 0;
	t->t_card_nnewp = 0;
	memset(t->t_card_pover, 0, sizeof(t->t_card_pover));
	memset(t->t_card_premoved, 0, sizeof(t->t_card_premoved));
	t->t_card_people_changed = 0;
	if (t->t_cardl.ls_line != NULL)
		tui_lines_clear(&t->t_cardl);
}

static void
send_lists(tui_t *t, uint64_t id)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__DealListRequest dl = KARTOTEKA__DEAL_LIST_REQUEST__INIT;
	Kartoteka__TaskListRequest tl = KARTOTEKA__TASK_LIST_REQUEST__INIT;

	dl.client = id;
	dl.limit = 20;
	req.op_case = KARTOTEKA__REQUEST__OP_DEAL_LIST;
	req.deal_list = &dl;
	if (tui_link_send(t, &req, TUI_RQ_DEALS, id, 0) != 0)
		return;
	/* The caller's own open tasks; those of this client are shown. */
	req.op_case = KARTOTEKA__REQUEST__OP_TASK_LIST;
	req.task_list = &tl;
	(void)tui_link_send(t, &req, TUI_RQ_TASKS, id, 0);
}

void
tui_card_open(tui_t *t, uint64_t id)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientShowRequest r = KARTOTEKA__CLIENT_SHOW_REQUEST__INIT;

	if (id == 0)
		return;
	r.id = id;
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_SHOW;
	req.client_show = &r;
	if (tui_link_send(t, &req, TUI_RQ_SHOW, id, 0) != 0)
		return;
	send_lists(t, id);
	if (t->t_screen != TUI_SCR_CARD && t->t_screen != TUI_SCR_FORM)
		t->t_card_back = t->t_screen;
	tui_card_clear(t);
	t->t_card_id = id;
	tui_say(t, 0, _("Opening card %llu..."), (unsigned long long)id);
	tui_go(t, TUI_SCR_CARD);
}

void
tui_card_person_line(char *line, size_t cap, const char *name,
    const char *relation, const char *born, const char *phones,
    const char *email)
{
	line[0] = '\0';
	tui_text_col(line, cap, "", 1, 0);
	tui_text_col(line, cap, name, 20, 1);
	tui_text_col(line, cap, relation, 8, 1);
	tui_text_col(line, cap, born, 10, 1);
	tui_text_col(line, cap, phones, 17, 1);
	tui_text_col(line, cap, email, 40, 0);
}

void
tui_card_person_changed(tui_t *t, uint32_t index, const char *line)
{
	t->t_card_people_changed = 1;
	if (index == 0 || index > TUI_PEOPLE_MAX)
		return;
	if (line == NULL)
		t->t_card_premoved[index - 1] = 1;
	else
		snprintf(t->t_card_pover[index - 1],
		    sizeof(t->t_card_pover[0]), "%s", line);
}

void
tui_card_person_added(tui_t *t, const char *line)
{
	if (t->t_card_nnewp == TUI_CARD_NEW_MAX) {
		memmove(t->t_card_newp[0], t->t_card_newp[1],
		    sizeof(t->t_card_newp[0]) * (TUI_CARD_NEW_MAX - 1));
		t->t_card_nnewp--;
	}
	snprintf(t->t_card_newp[t->t_card_nnewp++], sizeof(t->t_card_newp[0]),
	    "%s", line);
}

const Kartoteka__Client *
tui_card_client(const tui_t *t, Kartoteka__Client *out)
{
	const Kartoteka__Client *full, *ed;

	if (t->t_card == NULL || t->t_card->client == NULL ||
	    (full = t->t_card->client->client) == NULL)
		return NULL;
	ed = t->t_card_edited != NULL && t->t_card_edited->client != NULL ?
	    t->t_card_edited->client->client : NULL;
	if (ed == NULL || ed->id != full->id || ed->version <= full->version)
		return full;
	*out = *ed;
	out->people = full->people;
	out->n_people = full->n_people;
	return out;
}

void
tui_card_edited(tui_t *t, Kartoteka__Response **resp)
{
	if (t->t_card_edited != NULL)
		kartoteka__response__free_unpacked(t->t_card_edited, NULL);
	t->t_card_edited = *resp;
	*resp = NULL;
}

/* Asks for a page of the card's contact history: the first, or the one
 * after the page shown (next). */
static void
send_notes(tui_t *t, int next)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__NoteListRequest r = KARTOTEKA__NOTE_LIST_REQUEST__INIT;

	r.client_id = t->t_card_id;
	r.limit = 100;
	if (next) {
		r.cursor.data = t->t_notes_cursor;
		r.cursor.len = t->t_notes_cursor_len;
	}
	req.op_case = KARTOTEKA__REQUEST__OP_NOTE_LIST;
	req.note_list = &r;
	if (tui_link_send(t, &req, TUI_RQ_NOTES, t->t_card_id, 0) != 0)
		return;
	t->t_notes_page = next ? t->t_notes_page + 1 : 1;
	tui_say(t, 0, _("Loading the contact history..."));
}

/* One contact as a line: "27.11 call, out  topic -> agreed (author)". */
static void
contact_line(tui_lines_t *ls, const Kartoteka__Interaction *n, int author)
{
	char day[16];

	tui_lines_add(ls, 0, "  %s %s%s  %s%s%s%s%s%s", tui_fmt_day(day, n->at),
	    channel_name(n->channel),
	    n->direction == KARTOTEKA__DIRECTION__INBOUND ? _(", in") :
	    n->direction == KARTOTEKA__DIRECTION__OUTBOUND ? _(", out") : "",
	    tui_str(n->topic), n->agreed != NULL && n->agreed[0] != '\0' ?
	    " \xe2\x86\x92 " : "", tui_str(n->agreed),
	    author ? " (" : "", author ? tui_str(n->author) : "",
	    author ? ")" : "");
}

/* The history's lines: the page of contacts, newest first. */
static void
build_history(tui_t *t, const Kartoteka__Client *c)
{
	tui_lines_t *ls = &t->t_cardl;
	const Kartoteka__NoteListResponse *nl = t->t_card_notes != NULL ?
	    t->t_card_notes->note_list : NULL;

	tui_lines_add(ls, 1, _("Contact history of %s (%llu) \xc2\xb7 page %u"),
	    tui_str(c->title), (unsigned long long)c->id, t->t_notes_page);
	if (nl == NULL) {
		tui_lines_add(ls, 0, "  ...");
		return;
	}
	if (nl->n_notes == 0)
		tui_lines_add(ls, 0, _("  no contacts yet (F4 logs a call)"));
	for (size_t i = 0; i < nl->n_notes; i++)
		if (nl->notes[i] != NULL)
			contact_line(ls, nl->notes[i], 1);
	/* Offered only when n can send it: a cursor too long to keep was
	 * dropped by tui_cursor_take. */
	if (t->t_notes_cursor_len > 0)
		tui_lines_add(ls, 0, _("  n: the older ones"));
}

/* The card's lines from the three answers (each may still be missing). */
static void
build(tui_t *t)
{
	tui_lines_t *ls = &t->t_cardl;
	const Kartoteka__ClientResponse *cr;
	const Kartoteka__Client *c;
	Kartoteka__Client merged;
	char extra[TUI_LINE_BYTES], line[TUI_LINE_BYTES];
	size_t keep_top = ls->ls_top;

	tui_lines_clear(ls);
	cr = t->t_card != NULL ? t->t_card->client : NULL;
	if (cr == NULL || (c = tui_card_client(t, &merged)) == NULL) {
		tui_lines_add(ls, 0, _("  Loading card %llu..."),
		    (unsigned long long)t->t_card_id);
		return;
	}
	if (t->t_card_history) {
		build_history(t, c);
		ls->ls_top = keep_top < ls->ls_n ? keep_top : 0;
		return;
	}
	tui_lines_add(ls, 1, _("%s (%llu) \xc2\xb7 %s \xc2\xb7 %s \xc2\xb7 %s%s%s "
	    "\xc2\xb7 version %llu%s"), tui_str(c->title),
	    (unsigned long long)c->id, tui_str(c->branch), tui_str(c->manager),
	    status_name(c->status),
	    c->category != KARTOTEKA__CATEGORY__CATEGORY_UNSPECIFIED ?
	    _(", category ") : "",
	    c->category == KARTOTEKA__CATEGORY__CATEGORY_A ? "A" :
	    c->category == KARTOTEKA__CATEGORY__CATEGORY_B ? "B" :
	    c->category == KARTOTEKA__CATEGORY__CATEGORY_C ? "C" : "",
	    (unsigned long long)c->version, c->archived ? _(" (archived)") : "");
	tui_lines_add(ls, 0, _("People"));
	for (size_t i = 0; i < c->n_people; i++) {
		const Kartoteka__Person *p = c->people[i];
		char born[40] = "", phones[160] = "";
		size_t o = 0;

		if (p == NULL)
			continue;
		if (p->birth_year && p->birth_month)
			snprintf(born, sizeof(born), "%02u.%02u.%04u",
			    p->birth_day, p->birth_month, p->birth_year);
		else if (p->birth_year)
			snprintf(born, sizeof(born), "%u", p->birth_year);
		for (size_t j = 0; j < p->n_phones && o + 2 < sizeof(phones);
		    j++) {
			int n = snprintf(phones + o, sizeof(phones) - o, "%s%s",
			    j > 0 ? ", " : "", tui_str(p->phones[j]));
			if (n < 0)
				break;
			o += (size_t)n;
		}
		if (i < TUI_PEOPLE_MAX && t->t_card_premoved[i])
			continue;
		if (i < TUI_PEOPLE_MAX && t->t_card_pover[i][0] != '\0') {
			tui_lines_add(ls, 0, "%s", t->t_card_pover[i]);
			continue;
		}
		tui_card_person_line(line, sizeof(line), tui_str(p->name),
		    relation_name(p->relation), born, phones,
		    tui_str(p->email));
		tui_lines_add(ls, 0, "%s", line);
	}
	/* added here since the card came, as typed */
	for (size_t i = 0; i < t->t_card_nnewp; i++)
		tui_lines_add(ls, 0, "%s", t->t_card_newp[i]);
	extra[0] = '\0';
	snprintf(extra, sizeof(extra), _("Source: %s"), c->source != NULL &&
	    c->source[0] != '\0' ? c->source : "-");
	if (c->contract != NULL && c->contract[0] != '\0')
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
		    _(" \xc2\xb7 Contract %s"), c->contract);
	if (c->discount_percent > 0)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
		    _(" \xc2\xb7 Discount %u %%"), c->discount_percent);
	if (c->consent_date != NULL && c->consent_date[0] != '\0')
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
		    _(" \xc2\xb7 Consent %s"), c->consent_date);
	if (c->do_not_contact)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
		    _(" \xc2\xb7 DO NOT CONTACT"));
	tui_lines_add(ls, 0, "%s", extra);
	if (c->notes != NULL && c->notes[0] != '\0')
		tui_lines_add(ls, 0, _("Notes: %s"), c->notes);

	tui_lines_add(ls, 1, _("\xe2\x94\x80\xe2\x94\x80 Recent contacts"));
	/* Logged here since the card came: newest first, above the card's. */
	for (size_t i = t->t_card_nnew; i-- > 0;)
		tui_lines_add(ls, 0, "%s", t->t_card_new[i]);
	if (cr->n_recent == 0 && t->t_card_nnew == 0)
		tui_lines_add(ls, 0, _("  none yet (F4 logs a call)"));
	for (size_t i = 0; i < cr->n_recent; i++)
		if (cr->recent[i] != NULL)
			contact_line(ls, cr->recent[i], 0);
	tui_lines_add(ls, 1, _("\xe2\x94\x80\xe2\x94\x80 Deals"));
	if (t->t_card_deals == NULL || t->t_card_deals->deal_list == NULL ||
	    t->t_card_deals->deal_list->n_deals == 0)
		tui_lines_add(ls, 0, t->t_card_deals == NULL ? "  ..." :
		    _("  none"));
	else
		for (size_t i = 0; i < t->t_card_deals->deal_list->n_deals; i++) {
			const Kartoteka__Deal *d =
			    t->t_card_deals->deal_list->deals[i];
			char amount[KT_FMT_MONEY_MAX];
			if (d == NULL)
				continue;
			/* in the reader's form: 12 500,00 or 12,500.00 */
			kt_fmt_money(d->amount, kt_currency_exponent(d->currency),
			    NULL, amount, sizeof(amount));
			line[0] = '\0';
			tui_text_col(line, sizeof(line), "", 1, 0);
			tui_text_col(line, sizeof(line), tui_str(d->title), 32, 1);
			tui_text_col(line, sizeof(line), d->amount > 0 ?
			    amount : "", 14, 1);
			tui_text_col(line, sizeof(line), d->amount > 0 ?
			    tui_str(d->currency) : "", 4, 1);
			tui_text_col(line, sizeof(line), stage_name(d->stage),
			    12, 0);
			tui_lines_add(ls, 0, "%s", line);
		}
	tui_lines_add(ls, 1, _("\xe2\x94\x80\xe2\x94\x80 Tasks (yours, open)"));
	if (t->t_card_tasks == NULL || t->t_card_tasks->task_list == NULL)
		tui_lines_add(ls, 0, t->t_card_tasks == NULL ? "  ..." :
		    _("  none"));
	else {
		size_t shown = 0;
		for (size_t i = 0; i < t->t_card_tasks->task_list->n_tasks; i++) {
			const Kartoteka__Task *k =
			    t->t_card_tasks->task_list->tasks[i];
			if (k == NULL || k->client_id != c->id)
				continue;
			tui_lines_add(ls, k->overdue ? 2 : 0, "  %s %s  %s",
			    k->overdue ? "!" : " ", tui_str(k->due), tui_str(k->title));
			shown++;
		}
		if (shown == 0)
			tui_lines_add(ls, 0, _("  none (F5 sets one)"));
	}
	ls->ls_top = keep_top < ls->ls_n ? keep_top : 0;
}

void
tui_card_answer(tui_t *t, const tui_pending_t *pd, Kartoteka__Response **resp)
{
	const Kartoteka__Error *e = tui_error(*resp);

	/* An answer for a card no longer on screen is dropped. */
	if (pd->pd_seq != t->t_card_id)
		return;
	switch (pd->pd_kind) {
	case TUI_RQ_SHOW:
		if (e != NULL) {
			tui_say(t, 1, _("Card %llu: %s"),
			    (unsigned long long)t->t_card_id,
			    e->message != NULL ? e->message : _("refused"));
			if (t->t_screen == TUI_SCR_CARD)
				tui_go(t, t->t_card_back);
			return;
		}
		if (tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_CLIENT) ==
		    NULL || (*resp)->client->client == NULL) {
			tui_say(t, 1, _("The server sent an answer of the wrong "
			    "kind"));
			return;
		}
		if (t->t_card != NULL)
			kartoteka__response__free_unpacked(t->t_card, NULL);
		t->t_card = *resp;
		*resp = NULL;
		t->t_views++;
		/* "Opening card N..." (in the reader's language) is done */
		if (t->t_status[0] != '\0' && !t->t_status_error) {
			const char *op = _("Opening card %llu...");
			if (strncmp(t->t_status, op, strcspn(op, "%")) == 0)
				t->t_status[0] = '\0';
		}
		break;
	case TUI_RQ_DEALS:
		if (e != NULL || tui_result(*resp,
		    KARTOTEKA__RESPONSE__RESULT_DEAL_LIST) == NULL)
			return;
		if (t->t_card_deals != NULL)
			kartoteka__response__free_unpacked(t->t_card_deals, NULL);
		t->t_card_deals = *resp;
		*resp = NULL;
		break;
	case TUI_RQ_NOTES:
		if (e != NULL) {
			tui_say(t, 1, _("The contact history: %s"),
			    e->message != NULL ? e->message : _("refused"));
			return;
		}
		if (tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_NOTE_LIST) ==
		    NULL) {
			tui_say(t, 1, _("The server sent an answer of the wrong "
			    "kind"));
			return;
		}
		if (t->t_card_notes != NULL)
			kartoteka__response__free_unpacked(t->t_card_notes, NULL);
		t->t_card_notes = *resp;
		*resp = NULL;
		(void)tui_cursor_take(t->t_notes_cursor,
		    sizeof(t->t_notes_cursor), &t->t_notes_cursor_len,
		    t->t_card_notes->note_list->next_cursor);
		t->t_cardl.ls_top = 0;
		t->t_status[0] = '\0';
		break;
	case TUI_RQ_TASKS:
		if (e != NULL || tui_result(*resp,
		    KARTOTEKA__RESPONSE__RESULT_TASK_LIST) == NULL)
			return;
		if (t->t_card_tasks != NULL)
			kartoteka__response__free_unpacked(t->t_card_tasks, NULL);
		t->t_card_tasks = *resp;
		*resp = NULL;
		break;
	default:
		return;
	}
	build(t);
}

/* After a call was logged or a task set: the lists again (not a view). The
 * newest contacts come with the card only, so a logged call is added to
 * the lines shown here. */
void
tui_card_refresh(tui_t *t, const Kartoteka__Interaction *n)
{
	char day[16];

	if (n != NULL) {
		if (t->t_card_nnew == TUI_CARD_NEW_MAX) {
			memmove(t->t_card_new[0], t->t_card_new[1],
			    sizeof(t->t_card_new[0]) * (TUI_CARD_NEW_MAX - 1));
			t->t_card_nnew--;
		}
		snprintf(t->t_card_new[t->t_card_nnew++],
		    sizeof(t->t_card_new[0]), _("  %s %s%s  %s%s%s (just now)"),
		    tui_fmt_day(day, n->at), channel_name(n->channel),
		    n->direction == KARTOTEKA__DIRECTION__INBOUND ? _(", in") :
		    n->direction == KARTOTEKA__DIRECTION__OUTBOUND ? _(", out") : "",
		    tui_str(n->topic), n->agreed != NULL && n->agreed[0] != '\0' ?
		    " \xe2\x86\x92 " : "", tui_str(n->agreed));
	}
	t->t_card_history = 0;
	build(t);
	send_lists(t, t->t_card_id);
	tui_go(t, TUI_SCR_CARD);
}

void
tui_card_key(tui_t *t, wint_t ch, int fkey)
{
	tui_lines_t *ls = &t->t_cardl;
	int height = LINES - 3;

	if (!fkey && ch == 27) {
		if (t->t_card_history) {
			t->t_card_history = 0; /* back to the card */
			ls->ls_top = 0;
			build(t);
			return;
		}
		tui_go(t, t->t_card_back);
		return;
	}
	if (fkey && ch == KEY_F(1)) {
		t->t_help = 1;
		return;
	}
	if (!fkey && ch == '?') {
		t->t_help = 1;
		return;
	}
	if ((fkey && ch == KEY_F(7)) || (!fkey && ch == '/')) {
		tui_search_open(t);
		return;
	}
	if (t->t_card == NULL)
		return; /* nothing to act on before the card is here */
	if (fkey && ch == KEY_F(4)) {
		tui_form_open(t, TUI_FORM_NOTE);
		return;
	}
	if (fkey && ch == KEY_F(5)) {
		tui_form_open(t, TUI_FORM_TASK);
		return;
	}
	if (fkey && ch == KEY_F(6)) {
		tui_form_open(t, TUI_FORM_DEAL);
		return;
	}
	if (fkey && ch == KEY_F(2)) {
		tui_form_open(t, TUI_FORM_EDIT);
		return;
	}
	if (!fkey && ch == 'p' && !t->t_card_history) {
		tui_form_open(t, TUI_FORM_PERSON);
		return;
	}
	if (!fkey && ch == 'e' && !t->t_card_history) {
		if (t->t_card_people_changed) {
			tui_say(t, 1, _("The people changed here: read the card "
			    "again (Esc, Enter) before changing another"));
			return;
		}
		tui_form_open(t, TUI_FORM_PICK_PERSON);
		return;
	}
	if (!fkey && ch == 'h' && !t->t_card_history) {
		t->t_card_history = 1;
		if (t->t_card_notes != NULL)
			kartoteka__response__free_unpacked(t->t_card_notes, NULL);
		t->t_card_notes = NULL;
		t->t_notes_page = 1;
		ls->ls_top = 0;
		build(t);
		send_notes(t, 0);
		return;
	}
	if (!fkey && ch == 'n' && t->t_card_history &&
	    t->t_notes_cursor_len > 0) {
		send_notes(t, 1);
		return;
	}
	(void)tui_lines_scroll(ls, ch, fkey, (size_t)height);
}

void
tui_card_draw(tui_t *t)
{
	tui_lines_t *ls = &t->t_cardl;
	int height = LINES - 3;

	if (ls->ls_n == 0)
		build(t);
	for (int r = 0; r < height; r++) {
		size_t i = ls->ls_top + (size_t)r;
		const tui_line_t *l;

		if (i >= ls->ls_n)
			break;
		l = &ls->ls_line[i];
		if (l->ln_kind == 1)
			attrset(t->t_mono ? A_BOLD : COLOR_PAIR(3) | A_BOLD);
		else if (l->ln_kind == 2)
			attrset(t->t_mono ? A_BOLD : COLOR_PAIR(2));
		tui_put(1 + r, 1, l->ln_text, COLS - 1, 0);
		attrset(A_NORMAL);
	}
}
