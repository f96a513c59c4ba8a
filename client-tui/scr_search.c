/* SPDX-License-Identifier: MIT */
/* Search as you type (ClientFind, as `kartoteka client find`: name
 * prefixes, a phone in any format, an e-mail): the text goes out once
 * typing pauses (seq.c), and an answer to an older text never replaces
 * the rows of a newer one. Rows are masked as in every list; Enter opens
 * the full card, which the key bar says is a counted view. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <stdio.h>
#include <string.h>

#include <curses.h>

#include "i18n.h"
#include "text.h"
#include "tui.h"

#define FIND_LIMIT 50

void
tui_rows_clear(tui_t *t)
{
	if (t->t_rows_resp != NULL)
		kartoteka__response__free_unpacked(t->t_rows_resp, NULL);
	t->t_rows_resp = NULL;
	t->t_nrows = 0;
	t->t_rows_sel = t->t_rows_top = 0;
	t->t_rows_total = 0;
}

/* Takes the rows of a ClientListResponse answer (resp is kept). */
void
tui_rows_take(tui_t *t, Kartoteka__Response **resp)
{
	const Kartoteka__ClientListResponse *l = (*resp)->client_list;

	tui_rows_clear(t);
	t->t_rows_resp = *resp;
	*resp = NULL;
	for (size_t i = 0; i < l->n_rows && t->t_nrows < TUI_ROWS_MAX; i++)
		if (l->rows[i] != NULL)
			t->t_rows[t->t_nrows++] = l->rows[i];
	t->t_rows_total = l->total;
}

void
tui_search_open(tui_t *t)
{
	if (t->t_screen != TUI_SCR_SEARCH) {
		if (t->t_searchf.fm_n == 0)
			tui_form_add(&t->t_searchf, "Search", "text", 0);
		t->t_search_back = t->t_screen == TUI_SCR_FORM ?
		    t->t_form_back : t->t_screen;
	}
	tui_go(t, TUI_SCR_SEARCH);
}

void
tui_search_tick(tui_t *t, int64_t now_ms)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientFindRequest r = KARTOTEKA__CLIENT_FIND_REQUEST__INIT;
	uint64_t seq;
	const char *text = t->t_searchf.fm_fields[0].fd_value;

	if (t->t_searchf.fm_n == 0 || !t->t_connected ||
	    tui_seq_timeout(&t->t_seq, now_ms) != 0)
		return;
	if (text[0] == '\0') {
		/* Nothing typed: nothing asked, nothing shown. */
		(void)tui_seq_take(&t->t_seq, now_ms);
		t->t_seq.sq_shown = t->t_seq.sq_issued;
		tui_rows_clear(t);
		return;
	}
	if ((seq = tui_seq_take(&t->t_seq, now_ms)) == 0)
		return;
	r.text = (char *)text;
	r.limit = FIND_LIMIT;
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_FIND;
	req.client_find = &r;
	(void)tui_link_send(t, &req, TUI_RQ_FIND, seq, 0);
}

void
tui_search_answer(tui_t *t, const tui_pending_t *pd, Kartoteka__Response **resp)
{
	const Kartoteka__Error *e = tui_error(*resp);

	if (!tui_seq_accept(&t->t_seq, pd->pd_seq))
		return; /* an older text's answer: a newer one is shown */
	if (e != NULL) {
		tui_rows_clear(t);
		tui_say(t, 1, _("Search: %s"), e->message != NULL ? e->message :
		    _("refused"));
		return;
	}
	if (tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_CLIENT_LIST) == NULL) {
		tui_say(t, 1, _("Search: an answer of the wrong kind"));
		return;
	}
	if (t->t_status_error)
		t->t_status[0] = '\0';
	tui_rows_take(t, resp);
}

/* Opens the selected row's card. */
static void
open_row(tui_t *t)
{
	if (t->t_nrows == 0)
		return;
	t->t_card_back = t->t_screen;
	tui_card_open(t, t->t_rows[t->t_rows_sel]->id);
}

/* Up/Down/PgUp/PgDn over the rows; returns 1 when ch was one. */
int
tui_rows_key(tui_t *t, wint_t ch, int fkey)
{
	size_t page = LINES > 6 ? (size_t)LINES - 6 : 1;

	if (!fkey || t->t_nrows == 0)
		return 0;
	switch (ch) {
	case KEY_UP:
		if (t->t_rows_sel > 0)
			t->t_rows_sel--;
		return 1;
	case KEY_DOWN:
		if (t->t_rows_sel + 1 < t->t_nrows)
			t->t_rows_sel++;
		return 1;
	case KEY_PPAGE:
		t->t_rows_sel = t->t_rows_sel > page ? t->t_rows_sel - page : 0;
		return 1;
	case KEY_NPAGE:
		t->t_rows_sel = t->t_rows_sel + page < t->t_nrows ?
		    t->t_rows_sel + page : t->t_nrows - 1;
		return 1;
	default:
		return 0;
	}
}

void
tui_search_key(tui_t *t, wint_t ch, int fkey)
{
	tui_form_t *f = &t->t_searchf;
	char before[TUI_FIELD_MAX];

	if (!fkey && ch == 27) {
		tui_go(t, t->t_search_back);
		return;
	}
	if (fkey && ch == KEY_F(1)) {
		t->t_help = 1;
		return;
	}
	if ((!fkey && (ch == '\r' || ch == '\n')) || (fkey && ch == KEY_ENTER)) {
		open_row(t);
		return;
	}
	if (tui_rows_key(t, ch, fkey))
		return;
	snprintf(before, sizeof(before), "%s", f->fm_fields[0].fd_value);
	(void)tui_form_edit_key(f, ch, fkey);
	if (strcmp(before, f->fm_fields[0].fd_value) != 0)
		tui_seq_touch(&t->t_seq, tui_now_ms());
}

/* The rows as a table from screen row y (masked, as the server sent). */
void
tui_rows_draw(tui_t *t, int y)
{
	int height = LINES - 2 - y;
	char line[4 * TUI_LINE_BYTES], id[24], people[TUI_LINE_BYTES];
	/* The people column takes what the others leave. */
	size_t pw = COLS > 7 + 14 + 17 + 10 + 5 + 12 ?
	    (size_t)COLS - (7 + 14 + 17 + 10 + 5) - 1 : 12;

	if (height <= 0)
		return;
	line[0] = '\0';
	attrset(A_BOLD);
	line[0] = '\0';
	tui_text_col(line, sizeof(line), "ID", 7, 1);
	tui_text_col(line, sizeof(line), "FAMILY", 14, 1);
	tui_text_col(line, sizeof(line), "PEOPLE", pw, 1);
	tui_text_col(line, sizeof(line), "PHONE", 17, 1);
	tui_text_col(line, sizeof(line), "MANAGER", 10, 0);
	tui_put(y, 1, line, COLS - 1, 0);
	attrset(A_NORMAL);
	y++;
	height--;
	if (t->t_rows_sel < t->t_rows_top)
		t->t_rows_top = t->t_rows_sel;
	if (height > 0 && t->t_rows_sel >= t->t_rows_top + (size_t)height)
		t->t_rows_top = t->t_rows_sel - (size_t)height + 1;
	for (int r = 0; r < height; r++) {
		size_t i = t->t_rows_top + (size_t)r, o = 0;
		const Kartoteka__ClientRow *row;

		if (i >= t->t_nrows)
			break;
		row = t->t_rows[i];
		people[0] = '\0';
		for (size_t j = 0; j < row->n_people && o + 3 < sizeof(people);
		    j++) {
			int n = snprintf(people + o, sizeof(people) - o, "%s%s",
			    j > 0 ? ", " : "", tui_str(row->people[j]));
			if (n < 0)
				break;
			o = strlen(people);
		}
		snprintf(id, sizeof(id), "%llu", (unsigned long long)row->id);
		line[0] = '\0';
		tui_text_col(line, sizeof(line), id, 7, 1);
		tui_text_col(line, sizeof(line), tui_str(row->title), 14, 1);
		tui_text_col(line, sizeof(line), people, pw, 1);
		tui_text_col(line, sizeof(line), tui_str(row->phone), 17, 1);
		tui_text_col(line, sizeof(line), tui_str(row->manager), 10, 0);
		if (i == t->t_rows_sel)
			attrset(A_REVERSE);
		tui_put(y + r, 1, line, COLS - 1, 1);
		attrset(A_NORMAL);
	}
}

void
tui_search_draw(tui_t *t)
{
	char count[64];
	const tui_field_t *fd = &t->t_searchf.fm_fields[0];

	if (tui_seq_waiting(&t->t_seq) || t->t_seq.sq_due_ms >= 0)
		snprintf(count, sizeof(count), _("searching..."));
	else if (fd->fd_value[0] == '\0')
		snprintf(count, sizeof(count), _("type a name, a phone or an "
		    "e-mail"));
	else if (t->t_rows_total > t->t_nrows)
		snprintf(count, sizeof(count), _("%llu found, %zu shown"),
		    (unsigned long long)t->t_rows_total, t->t_nrows);
	else
		snprintf(count, sizeof(count), _("%zu found"), t->t_nrows);
	tui_put(2, 1, count, COLS - 1, 0);
	tui_form_draw_fields(t, &t->t_searchf, 1);
	/* The field's error line is not used here: the count says it. */
	tui_rows_draw(t, 3);
	/* The cursor stays in the text field. */
}
