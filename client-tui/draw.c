/* SPDX-License-Identifier: MIT */
/* What every screen shares: the header (who, where, views, the server's
 * clock), the message line, the F-key bar naming only the keys that work
 * here, the full key help, and scrolling lists of lines. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "i18n.h"
#include "text.h"
#include "tui.h"

void
tui_put(int y, int x, const char *s, int width, int pad)
{
	char buf[4 * TUI_LINE_BYTES];

	if (width <= 0 || y < 0 || y >= LINES)
		return;
	tui_text_fit(buf, sizeof(buf), s, (size_t)width, pad);
	mvaddstr(y, x, buf);
}

const char *
tui_role_label(Kartoteka__Role role)
{
	switch (role) {
	case KARTOTEKA__ROLE__OWNER: return _("owner");
	case KARTOTEKA__ROLE__HEAD: return _("head");
	case KARTOTEKA__ROLE__MANAGER: return _("manager");
	default: return "?";
	}
}

const char *
tui_fmt_day(char buf[static 16], int64_t secs)
{
	time_t tt = (time_t)secs;
	struct tm tm;

	if (secs <= 0 || localtime_r(&tt, &tm) == NULL) {
		snprintf(buf, 16, "--.--");
		return buf;
	}
	snprintf(buf, 16, "%02d.%02d", tm.tm_mday, tm.tm_mon + 1);
	return buf;
}

/* ---- lines --------------------------------------------------------------- */

void
tui_lines_clear(tui_lines_t *ls)
{
	ls->ls_n = 0;
	ls->ls_sel = 0;
	ls->ls_top = 0;
}

tui_line_t *
tui_lines_add(tui_lines_t *ls, int kind, const char *fmt, ...)
{
	tui_line_t *l;
	va_list ap;

	if (ls->ls_n >= TUI_LINES_MAX)
		return NULL;
	l = &ls->ls_line[ls->ls_n++];
	memset(l, 0, sizeof(*l));
	l->ln_kind = kind;
	va_start(ap, fmt);
	vsnprintf(l->ln_text, sizeof(l->ln_text), fmt, ap);
	va_end(ap);
	/* Padded columns leave blanks at the end: they would only make a
	 * line look cut. */
	for (size_t n = strlen(l->ln_text); n > 0 && l->ln_text[n - 1] == ' ';)
		l->ln_text[--n] = '\0';
	return l;
}

static int
selectable(const tui_line_t *l)
{
	return l->ln_client != 0 || l->ln_task != 0;
}

void
tui_lines_move(tui_lines_t *ls, int delta)
{
	size_t i = ls->ls_sel;

	if (ls->ls_n == 0)
		return;
	for (int step = delta > 0 ? 1 : -1, left = delta > 0 ? delta : -delta;
	    left > 0; left--) {
		size_t j = i;
		for (;;) {
			if ((step < 0 && j == 0) ||
			    (step > 0 && j + 1 >= ls->ls_n)) {
				j = i;
				break;
			}
			j = (size_t)((long)j + step);
			if (selectable(&ls->ls_line[j]))
				break;
		}
		i = j;
	}
	ls->ls_sel = i;
}

int
tui_lines_key(tui_t *t, tui_lines_t *ls, wint_t ch, int fkey)
{
	if (!fkey) {
		if (ch != '?')
			return 0;
		t->t_help = 1;
		return 1;
	}
	switch (ch) {
	case KEY_UP: tui_lines_move(ls, -1); return 1;
	case KEY_DOWN: tui_lines_move(ls, 1); return 1;
	case KEY_PPAGE: tui_lines_move(ls, -(LINES - 5)); return 1;
	case KEY_NPAGE: tui_lines_move(ls, LINES - 5); return 1;
	case KEY_F(1): t->t_help = 1; return 1;
	case KEY_F(7): tui_search_open(t); return 1;
	default: return 0;
	}
}

int
tui_lines_scroll(tui_lines_t *ls, wint_t ch, int fkey, size_t height)
{
	if (!fkey)
		return 0;
	switch (ch) {
	case KEY_DOWN:
		if (ls->ls_top + height < ls->ls_n)
			ls->ls_top++;
		return 1;
	case KEY_UP:
		if (ls->ls_top > 0)
			ls->ls_top--;
		return 1;
	case KEY_NPAGE:
		if (ls->ls_top + height < ls->ls_n)
			ls->ls_top += height;
		return 1;
	case KEY_PPAGE:
		ls->ls_top = ls->ls_top > height ? ls->ls_top - height : 0;
		return 1;
	default:
		return 0;
	}
}

void
tui_lines_draw(tui_t *t, tui_lines_t *ls, int top, int height)
{
	if (height <= 0)
		return;
	/* The selection on a line that cannot be picked moves to one that
	 * can, when there is any. */
	if (ls->ls_n > 0 && !selectable(&ls->ls_line[ls->ls_sel])) {
		tui_lines_move(ls, 1);
		if (!selectable(&ls->ls_line[ls->ls_sel]))
			tui_lines_move(ls, -1);
	}
	if (ls->ls_sel < ls->ls_top)
		ls->ls_top = ls->ls_sel;
	if (ls->ls_sel >= ls->ls_top + (size_t)height)
		ls->ls_top = ls->ls_sel - (size_t)height + 1;
	for (int r = 0; r < height; r++) {
		size_t i = ls->ls_top + (size_t)r;
		const tui_line_t *l;
		attr_t a = A_NORMAL;

		if (i >= ls->ls_n)
			break;
		l = &ls->ls_line[i];
		if (l->ln_kind == 1)
			a = t->t_mono ? A_BOLD : COLOR_PAIR(3) | A_BOLD;
		else if (l->ln_kind == 2)
			a = t->t_mono ? A_BOLD : COLOR_PAIR(2);
		if (i == ls->ls_sel && selectable(l))
			a |= A_REVERSE;
		attrset(a);
		tui_put(top + r, 0, l->ln_text, COLS, 1);
		attrset(A_NORMAL);
	}
}

/* ---- header, message line, key bar ---------------------------------------- */

static void
header(tui_t *t)
{
	static const char spin[] = "|/-\\";
	char left[TUI_LINE_BYTES], right[128], clock[16] = "";
	struct timespec ts;
	time_t now;
	struct tm tm;
	size_t rw;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (time_t)(((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    t->t_clock_skew_ms) / 1000);
	if (localtime_r(&now, &tm) != NULL)
		strftime(clock, sizeof(clock), "%H:%M", &tm);
	if (t->t_logged_in)
		snprintf(left, sizeof(left), _(" %c Kartoteka \xc2\xb7 %s \xc2\xb7 "
		    "%s (%s)"), tui_link_busy(t) ? spin[t->t_spin & 3] : ' ',
		    t->t_branch[0] != '\0' ? t->t_branch : _("all branches"),
		    t->t_name[0] != '\0' ? t->t_name : t->t_login,
		    tui_role_label(t->t_role));
	else
		snprintf(left, sizeof(left), _(" %c Kartoteka \xc2\xb7 %s"),
		    tui_link_busy(t) ? spin[t->t_spin & 3] : ' ',
		    t->t_cfg.address);
	if (!t->t_connected)
		snprintf(right, sizeof(right), _("offline \xc2\xb7 %s "), clock);
	else if (t->t_logged_in && t->t_view_quota > 0)
		snprintf(right, sizeof(right), _("views %u/%u \xc2\xb7 %s "),
		    t->t_views, t->t_view_quota, clock);
	else if (t->t_logged_in)
		snprintf(right, sizeof(right), _("views %u \xc2\xb7 %s "),
		    t->t_views, clock);
	else
		snprintf(right, sizeof(right), "%s ", clock);
	attrset(t->t_mono ? A_REVERSE : COLOR_PAIR(1));
	move(0, 0);
	hline(' ', COLS);
	rw = tui_text_width(right);
	tui_put(0, 0, left, COLS - (int)rw - 1, 0);
	if ((int)rw < COLS)
		tui_put(0, COLS - (int)rw, right, (int)rw, 0);
	attrset(A_NORMAL);
}

/* The keys that work on the current screen: "F1 Help" pairs. */
static const char *
keybar(const tui_t *t, char *buf, size_t cap)
{
	int owner = t->t_role == KARTOTEKA__ROLE__OWNER;

	if (t->t_help)
		return _("any key: back");
	switch (t->t_screen) {
	case TUI_SCR_CONNECT:
		return _("F10 Quit");
	case TUI_SCR_LOGIN:
		return _("Tab Next field  Enter Log in  F10 Quit");
	case TUI_SCR_LOCK:
		return _("Enter Unlock  F9 Switch user  F10 Quit");
	case TUI_SCR_AGENDA:
		snprintf(buf, cap, _("F1 Help  Enter Open  d Done  m Move  F2 New  "
		    "F7 Search  l List%s  g Reload  F9 Switch  F10 Quit"),
		    owner ? _("  a Alerts  u Users") : "");
		return buf;
	case TUI_SCR_SEARCH:
		if (t->t_view_quota > 0)
			snprintf(buf, cap, _("Up/Down Select  Enter Open (opens "
			    "a full card: %u of %u)  Esc Back"), t->t_views + 1,
			    t->t_view_quota);
		else
			snprintf(buf, cap, _("Up/Down Select  Enter Open (opens "
			    "a full card, counted)  Esc Back"));
		return buf;
	case TUI_SCR_CARD:
		if (t->t_card_history)
			return _("n Older  F4 Call  F7 Search  Esc The card  "
			    "F10 Quit");
		return _("F1 Help  F2 Edit  F4 Call  F5 Task  F6 Deal  "
		    "p Person  e Change a person  h History  F7 Search  Esc Back  "
		    "F10 Quit");
	case TUI_SCR_FORM:
		return _("Tab/S-Tab Field  Enter Next/Save  F2 Save  Esc Cancel");
	case TUI_SCR_LIST:
		if (t->t_view_quota > 0)
			snprintf(buf, cap, _("Enter Open (full card: %u of %u)  "
			    "f Filter  n More  Esc Back"), t->t_views + 1,
			    t->t_view_quota);
		else
			snprintf(buf, cap, _("Enter Open (full card)  f Filter  "
			    "n More  Esc Back"));
		return buf;
	case TUI_SCR_ALERTS:
		if (t->t_alert_detail)
			return _("k Acknowledge  o Open the card  Esc Back");
		return _("Up/Down Select  Enter Details  k Acknowledge  "
		    "o Open the card  Esc Back");
	case TUI_SCR_USERS:
		if (t->t_activity_login[0] != '\0')
			return _("Up/Down Scroll  Esc The users  F10 Quit");
		return _("Up/Down Select  Enter The activity  g Reload  "
		    "Esc Back  F10 Quit");
	}
	return "";
}

static const char help_text[] = N_(
    "Keys of kartoteka-tui\n"
    "\n"
    "Everywhere\n"
    "  F1, ?      this help (on screens without a text field)\n"
    "  F7, /      search as you type: letters of a name, a phone, an e-mail\n"
    "  F10, C-c   quit (the session stays: the next start resumes it)\n"
    "  F9         switch user: the next person logs in, ending this session\n"
    "  Esc        back\n"
    "\n"
    "Agenda (the first screen)\n"
    "  Up/Down    select a line      Enter  open the client (a counted view)\n"
    "  d          mark the task done  m     move it to another day\n"
    "  g          reload\n"
    "  F2         a new family        l     the client list with filters\n"
    "  a          alerts (owner)      u     users and their activity (owner)\n"
    "\n"
    "Search       type; Up/Down select; Enter opens the card (a counted view)\n"
    "Card         F2 edit  F4 log a call  F5 a task or promise  F6 a deal\n"
    "             p a person  e change or remove a person\n"
    "             h the contact history (n older)  Esc back\n"
    "Forms        Tab/Shift-Tab between fields, Enter next field or save on\n"
    "             the last, F2 save, Esc cancel; a server error shows under\n"
    "             the field it names\n"
    "Client list  f filters (manager, status, category, tag, birth month)\n"
    "             n next page, Enter open\n"
    "Alerts       Enter the details and the audit before it, k acknowledge,\n"
    "             o open the card it names\n");

/* The help's last line: how this desk locks, and who decided it. */
static void
lock_line(const tui_t *t, char *out, size_t cap)
{
	char d[32];

	if (t->t_lock_s <= 0) {
		snprintf(out, cap, "%s", _("This desk does not lock by itself; "
		    "F9 logs someone else in."));
		return;
	}
	if (t->t_lock_s % 60 == 0)
		snprintf(d, sizeof(d), _("%d min"), t->t_lock_s / 60);
	else
		snprintf(d, sizeof(d), _("%d s"), t->t_lock_s);
	snprintf(out, cap, t->t_lock_branch ? _("This desk locks after %s "
	    "without a key (set for the branch); the password unlocks it, F9 "
	    "logs someone else in.") : _("This desk locks after %s without a "
	    "key (--lock-after); the password unlocks it, F9 logs someone else "
	    "in."), d);
}

static void
draw_help(const tui_t *t)
{
	const char *p = _(help_text);
	int y = 3;
	char lock[TUI_LINE_BYTES];

	/* first: what this desk does when left alone */
	lock_line(t, lock, sizeof(lock));
	attrset(A_BOLD);
	tui_put(1, 1, lock, COLS - 1, 0);
	attrset(A_NORMAL);

	while (*p != '\0' && y < LINES - 2) {
		const char *e = strchr(p, '\n');
		char line[256];
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		tui_put(y++, 1, line, COLS - 1, 0);
		p += n + (e != NULL ? 1 : 0);
	}
}

/* The key bar cut to width columns by leaving out whole keys, from the
 * one before the last (F10 Quit stays), never half a key. */
static void
fit_keys(char *out, size_t cap, const char *bar, int width)
{
	snprintf(out, cap, "%s", bar);
	while (width > 0 && tui_text_width(out) > (size_t)width) {
		char *last = strstr(out, "  "), *prev = NULL, *p;
		if (last == NULL)
			return;
		/* the last separator, and the one before it */
		for (p = last; (p = strstr(p + 2, "  ")) != NULL;) {
			prev = last;
			last = p;
		}
		if (prev == NULL)
			return; /* two keys: leave the rest to the cut */
		memmove(prev, last, strlen(last) + 1);
	}
}

void
tui_draw(tui_t *t)
{
	char buf[TUI_LINE_BYTES], keys[TUI_LINE_BYTES];

	erase();
	t->t_cury = -1;
	header(t);
	if (t->t_help) {
		draw_help(t);
	} else {
		switch (t->t_screen) {
		case TUI_SCR_CONNECT:
			break;
		case TUI_SCR_LOGIN:
		case TUI_SCR_LOCK:
			tui_login_draw(t);
			break;
		case TUI_SCR_AGENDA:
			tui_agenda_draw(t);
			break;
		case TUI_SCR_SEARCH:
			tui_search_draw(t);
			break;
		case TUI_SCR_CARD:
			tui_card_draw(t);
			break;
		case TUI_SCR_FORM:
			tui_form_draw(t);
			break;
		case TUI_SCR_LIST:
			tui_list_draw(t);
			break;
		case TUI_SCR_ALERTS:
			tui_alerts_draw(t);
			break;
		case TUI_SCR_USERS:
			tui_users_draw(t);
			break;
		}
	}
	if (t->t_status[0] != '\0') {
		attrset(t->t_status_error ? (t->t_mono ? A_BOLD :
		    COLOR_PAIR(2) | A_BOLD) : A_NORMAL);
		tui_put(LINES - 2, 1, t->t_status, COLS - 1, 0);
		attrset(A_NORMAL);
	}
	attrset(t->t_mono ? A_REVERSE : COLOR_PAIR(1));
	move(LINES - 1, 0);
	hline(' ', COLS);
	fit_keys(keys, sizeof(keys), keybar(t, buf, sizeof(buf)), COLS - 1);
	tui_put(LINES - 1, 1, keys, COLS - 1, 0);
	attrset(A_NORMAL);
	/* The cursor shows only in a text field (its screen placed it). */
	if (!t->t_help && t->t_cury >= 0) {
		move(t->t_cury, t->t_curx);
		curs_set(1);
	} else {
		curs_set(0);
	}
	refresh();
}
