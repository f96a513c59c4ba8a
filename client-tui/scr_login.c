/* SPDX-License-Identifier: MIT */
/* Logging in at the desk: the login screen, the lock a shared desk falls
 * into after idle minutes (the password of whoever is logged in unlocks
 * it; F9 lets the next person log in, which ends that session), and the
 * answers to resume, login and ping. Passwords never stay in memory: the
 * field is wiped (sodium_memzero) as soon as the request is sent. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curses.h>
#include <sodium.h>

#include "i18n.h"
#include "kt_error.h"
#include "tui.h"

enum { F_LOGIN, F_PASSWORD };

void
tui_login_open(tui_t *t, tui_screen_t s)
{
	tui_form_t *f = &t->t_loginf;

	tui_form_reset(f);
	if (s == TUI_SCR_LOCK) {
		tui_form_add(f, "Password", "password", 1);
		/* A form left open keeps what was typed; the lock only hides
		 * it. */
		if (t->t_screen != TUI_SCR_LOCK && t->t_screen != TUI_SCR_LOGIN)
			t->t_lock_back = t->t_screen;
	} else {
		tui_form_add(f, "Login", "login", 0);
		tui_form_add(f, "Password", "password", 1);
	}
	tui_go(t, s);
}

static void
send_login(tui_t *t, const char *login, tui_rq_t kind)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__LoginRequest lr = KARTOTEKA__LOGIN_REQUEST__INIT;
	tui_form_t *f = &t->t_loginf;
	tui_field_t *pw = &f->fm_fields[f->fm_n - 1];

	tui_form_clear_errors(f);
	if (login[0] == '\0') {
		(void)tui_form_place_error(f, "login", "login: is empty");
		return;
	}
	if (pw->fd_len == 0) {
		(void)tui_form_place_error(f, "password", "password: is empty");
		return;
	}
	lr.login = (char *)login;
	lr.password = pw->fd_value;
	req.op_case = KARTOTEKA__REQUEST__OP_LOGIN;
	req.login = &lr;
	/* kt_conn_send encrypts in place: the plaintext is gone from its
	 * buffer; the field is wiped here. */
	if (tui_link_send(t, &req, kind, 0, 0) == 0)
		tui_say(t, 0, _("Logging in as %s..."), login);
	tui_field_clear(pw);
}

void
tui_login_key(tui_t *t, wint_t ch, int fkey)
{
	tui_form_t *f = &t->t_loginf;
	int enter = (!fkey && (ch == '\r' || ch == '\n')) ||
	    (fkey && ch == KEY_ENTER);

	if (fkey && ch == KEY_F(9) && t->t_screen == TUI_SCR_LOCK) {
		tui_login_open(t, TUI_SCR_LOGIN);
		tui_say(t, 0, _("Log in: this ends the session of %s on this "
		    "terminal"), t->t_login);
		return;
	}
	if (fkey && ch == KEY_F(1)) {
		t->t_help = 1;
		return;
	}
	if (tui_link_waiting(t, TUI_RQ_LOGIN) ||
	    tui_link_waiting(t, TUI_RQ_UNLOCK))
		return;
	if (enter && t->t_screen == TUI_SCR_LOCK) {
		send_login(t, t->t_login, TUI_RQ_UNLOCK);
		return;
	}
	if (enter && f->fm_focus == F_PASSWORD) {
		send_login(t, f->fm_fields[F_LOGIN].fd_value, TUI_RQ_LOGIN);
		return;
	}
	(void)tui_form_move_or_edit(f, ch, fkey);
}

void
tui_login_draw(tui_t *t)
{
	int y = LINES / 2 - 4 > 1 ? LINES / 2 - 4 : 1;

	attrset(A_BOLD);
	if (t->t_screen == TUI_SCR_LOCK) {
		char who[TUI_LINE_BYTES];
		snprintf(who, sizeof(who), _("Locked. Logged in: %s (%s, %s)"),
		    t->t_login, t->t_name, tui_role_label(t->t_role));
		tui_put(y, 2, who, COLS - 2, 0);
		attrset(A_NORMAL);
		tui_put(y + 1, 2, _("Type the password to go on, or F9 to log "
		    "in as someone else."), COLS - 2, 0);
	} else {
		tui_put(y, 2, _("Log in"), COLS - 2, 0);
		attrset(A_NORMAL);
		tui_put(y + 1, 2, t->t_cfg.branch[0] != '\0' ?
		    _("A branch terminal: managers and heads of this branch.") :
		    _("An owner terminal."), COLS - 2, 0);
	}
	tui_form_draw_fields(t, &t->t_loginf, y + 3);
}

/* The idle lock: the branch's (set by the owner on the server, so a desk
 * cannot opt out), or --lock-after when that is shorter or the branch
 * sets none. */
static void
desk_lock(tui_t *t, uint32_t branch_s)
{
	int own = t->t_lock_own_s;

	t->t_lock_branch = 0;
	if (branch_s == 0 || branch_s > INT_MAX) {
		t->t_lock_s = own;
	} else if (own > 0 && own < (int)branch_s) {
		t->t_lock_s = own;
	} else {
		t->t_lock_s = (int)branch_s;
		t->t_lock_branch = 1;
	}
}

/* Asks for the day's counters and the branch's desk lock: the header's
 * views are the day's, other terminals' included. */
static void
ask_whoami(tui_t *t)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__WhoamiRequest w = KARTOTEKA__WHOAMI_REQUEST__INIT;

	req.op_case = KARTOTEKA__REQUEST__OP_WHOAMI;
	req.whoami = &w;
	(void)tui_link_send(t, &req, TUI_RQ_WHOAMI, 0, 0);
}

void
tui_logged_in(tui_t *t, const Kartoteka__UserInfo *u, int64_t idle_s)
{
	int again = t->t_logged_in && u != NULL && u->login != NULL &&
	    strcmp(u->login, t->t_login) == 0;

	t->t_logged_in = 1;
	t->t_idle_s = idle_s;
	if (u != NULL) {
		snprintf(t->t_login, sizeof(t->t_login), "%s",
		    u->login != NULL ? u->login : "");
		snprintf(t->t_name, sizeof(t->t_name), "%s",
		    u->name != NULL ? u->name : "");
		t->t_role = u->role;
		snprintf(t->t_branch, sizeof(t->t_branch), "%s",
		    u->n_branches > 0 && u->branches[0] != NULL ?
		    u->branches[0] : "");
		if (u->n_branches > 1)
			snprintf(t->t_branch + strlen(t->t_branch),
			    sizeof(t->t_branch) - strlen(t->t_branch),
			    " +%zu", u->n_branches - 1);
		t->t_view_quota = u->daily_view_quota;
	}
	if (!again) {
		t->t_views = 0;
		tui_card_clear(t);
		tui_rows_clear(t);
		tui_users_clear(t);
		t->t_agenda_loaded = 0;
		tui_agenda_load(t);
		tui_go(t, TUI_SCR_AGENDA);
	} else if (t->t_screen == TUI_SCR_AGENDA) {
		tui_agenda_load(t);
	}
	t->t_last_key_ms = tui_now_ms();
	ask_whoami(t);
}

void
tui_login_answer(tui_t *t, const tui_pending_t *pd, Kartoteka__Response **resp)
{
	const Kartoteka__Error *e = tui_error(*resp);
	const Kartoteka__LoginResponse *lr;
	const Kartoteka__ResumeResponse *rr;
	const Kartoteka__PingResponse *pr;
	const Kartoteka__WhoamiResponse *wr;
	struct timespec ts;
	int rc;

	switch (pd->pd_kind) {
	case TUI_RQ_WHOAMI:
		wr = tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_WHOAMI);
		if (e == NULL && wr != NULL) {
			t->t_views = wr->views_today;
			desk_lock(t, wr->terminal != NULL ?
			    wr->terminal->desk_lock_s : 0);
		}
		return;
	case TUI_RQ_PING:
		pr = tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_PING);
		if (e == NULL && pr != NULL && pr->server_time > 0) {
			clock_gettime(CLOCK_REALTIME, &ts);
			t->t_clock_skew_ms = pr->server_time -
			    ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		}
		return;
	case TUI_RQ_RESUME:
		rr = tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_RESUME);
		if (e != NULL || rr == NULL) {
			/* The saved session is over: log in. */
			if (t->t_logged_in)
				tui_say(t, 1, _("The session has ended (%s): log "
				    "in again"), e != NULL && e->message != NULL ?
				    e->message : _("refused"));
			else
				tui_say(t, 0, _("Log in to start"));
			t->t_logged_in = 0;
			tui_login_open(t, TUI_SCR_LOGIN);
			return;
		}
		if (t->t_logged_in) {
			tui_say(t, 0, _("Connected again; the session goes on"));
			/* A card whose answer was lost is asked again. */
			if (t->t_screen == TUI_SCR_CARD && t->t_card == NULL &&
			    t->t_card_id != 0)
				tui_card_open(t, t->t_card_id);
		}
		tui_logged_in(t, rr->user, rr->idle_s);
		return;
	case TUI_RQ_LOGIN:
	case TUI_RQ_UNLOCK:
		lr = tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_LOGIN);
		if (e != NULL) {
			(void)tui_form_place_error(&t->t_loginf, "password",
			    e->message != NULL ? e->message : "refused");
			t->t_loginf.fm_focus = t->t_loginf.fm_n - 1;
			tui_say(t, 1, _("Not logged in"));
			return;
		}
		if (lr == NULL || lr->token.data == NULL ||
		    lr->token.len != sizeof(t->t_cfg.session)) {
			tui_say(t, 1, _("The server sent a session token of the "
			    "wrong size"));
			return;
		}
		memcpy(t->t_cfg.session, lr->token.data, lr->token.len);
		t->t_cfg.has_session = 1;
		if ((rc = kt_config_save_session(&t->t_cfg)) != 0)
			tui_say(t, 1, _("Logged in, but cannot save %s/session: "
			    "%s"), t->t_cfg.dir, kt_strerror(rc));
		else
			tui_say(t, 0, _("Logged in as %s"),
			    lr->user != NULL && lr->user->login != NULL ?
			    lr->user->login : "");
		tui_form_reset(&t->t_loginf);
		if (pd->pd_kind == TUI_RQ_UNLOCK) {
			t->t_last_key_ms = tui_now_ms();
			tui_go(t, t->t_lock_back);
			tui_say(t, 0, _("Unlocked"));
			return;
		}
		/* Another person: nothing of the one before stays shown. */
		if (lr->user != NULL && lr->user->login != NULL &&
		    strcmp(lr->user->login, t->t_login) != 0)
			t->t_logged_in = 0;
		tui_logged_in(t, lr->user, lr->idle_s);
		return;
	default:
		return;
	}
}
