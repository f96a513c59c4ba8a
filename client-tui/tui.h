/* SPDX-License-Identifier: MIT */
/* kartoteka-tui, the reception desk's screen: the one context struct every
 * part of the program takes, and what the parts call of each other. */
#ifndef KT_TUI_H
#define KT_TUI_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "client_conn.h"
#include "config.h"
#include "fields.h"
#include "form.h"
#include "kartoteka.pb-c.h"
#include "seq.h"

#define TUI_CLIENT_NAME "kartoteka-tui"
#define TUI_PENDING_MAX 32
#define TUI_ROWS_MAX 200           /* rows of a search or a list kept */
#define TUI_LINES_MAX 400          /* lines of the agenda or a card kept */
#define TUI_LINE_BYTES 512
#define TUI_CARD_NEW_MAX 4
#define TUI_PEOPLE_MAX 16          /* people of a card the TUI changes */
#define KT_LOGIN_MAX_BYTES (KT_LOGIN_MAX + 1)

/* The screens, each a file of its own (scr_*.c). */
typedef enum tui_screen {
	TUI_SCR_CONNECT,             /* nothing to show yet: connecting */
	TUI_SCR_LOGIN,
	TUI_SCR_AGENDA,
	TUI_SCR_SEARCH,
	TUI_SCR_CARD,
	TUI_SCR_FORM,
	TUI_SCR_LIST,
	TUI_SCR_ALERTS,
	TUI_SCR_LOCK,
	TUI_SCR_USERS,               /* the owner's staff and their activity */
} tui_screen_t;

/* What a request in flight was for: how its answer is routed. */
typedef enum tui_rq {
	TUI_RQ_RESUME = 1,
	TUI_RQ_LOGIN,
	TUI_RQ_PING,
	TUI_RQ_AGENDA,
	TUI_RQ_FIND,
	TUI_RQ_SHOW,
	TUI_RQ_DEALS,
	TUI_RQ_TASKS,
	TUI_RQ_NOTE_ADD,
	TUI_RQ_TASK_ADD,
	TUI_RQ_TASK_DONE,
	TUI_RQ_TASK_MOVE,
	TUI_RQ_CLIENT_ADD,
	TUI_RQ_LIST,
	TUI_RQ_ALERTS,
	TUI_RQ_ALERT_ACK,
	TUI_RQ_ALERT_AUDIT,
	TUI_RQ_UNLOCK,
	TUI_RQ_DEAL_ADD,
	TUI_RQ_CLIENT_EDIT,
	TUI_RQ_NOTES,                /* the card's contact history */
	TUI_RQ_WHOAMI,               /* the day's views, for the header */
	TUI_RQ_USERS,
	TUI_RQ_ACTIVITY,             /* a user's 30 days from the audit */
	TUI_RQ_PERSON_ADD,
	TUI_RQ_PERSON_EDIT,
	TUI_RQ_PERSON_REMOVE,
} tui_rq_t;

typedef struct tui_pending {
	uint64_t pd_id;              /* the request's id on this connection */
	tui_rq_t pd_kind;
	uint64_t pd_seq;             /* search: its sequence number */
	int pd_write;                /* changes something: never resent */
} tui_pending_t;

/* One selectable line of the agenda, a card or a list. */
typedef struct tui_line {
	char ln_text[TUI_LINE_BYTES];
	uint64_t ln_client;          /* Enter opens it; 0: not selectable */
	uint64_t ln_task;            /* 'd' marks it done; 0: none */
	uint64_t ln_task_version;
	int ln_kind;                 /* 0 text, 1 section rule, 2 overdue */
} tui_line_t;

typedef struct tui_lines {
	tui_line_t *ls_line;         /* TUI_LINES_MAX, owned by the context */
	size_t ls_n;
	size_t ls_sel;               /* the selected line */
	size_t ls_top;               /* first line shown */
} tui_lines_t;

/* What kind of form is open. */
typedef enum tui_form_kind {
	TUI_FORM_NOTE,
	TUI_FORM_TASK,
	TUI_FORM_CLIENT,
	TUI_FORM_FILTER,
	TUI_FORM_MOVE,               /* a new due for the agenda's task */
	TUI_FORM_DEAL,               /* a deal of the card's client */
	TUI_FORM_EDIT,               /* the card's own fields */
	TUI_FORM_PERSON,             /* a person added to the card */
	TUI_FORM_PICK_PERSON,        /* which person to change */
	TUI_FORM_PERSON_EDIT,        /* a person changed or removed */
} tui_form_kind_t;

typedef struct tui {
	/* configuration and connection */
	kt_config_t t_cfg;
	kt_conn_t *t_conn;           /* NULL while disconnected */
	int t_connected;
	int64_t t_reconnect_at;      /* monotonic ms; -1: not waiting */
	int t_reconnect_delay;       /* ms, doubles to 30 s */
	int t_logged_in;             /* a session was resumed or made */
	tui_pending_t t_pending[TUI_PENDING_MAX];
	size_t t_npending;

	/* who is logged in */
	char t_login[KT_LOGIN_MAX_BYTES];
	char t_name[160];
	Kartoteka__Role t_role;
	char t_branch[160];
	uint32_t t_view_quota;
	uint32_t t_views;            /* full cards opened today: the
	                              * server's count at login (whoami),
	                              * plus those opened here since */
	int64_t t_clock_skew_ms;     /* server time minus ours */
	int64_t t_idle_s;            /* the session's idle time-out */

	/* screen */
	tui_screen_t t_screen;
	tui_screen_t t_form_back;    /* where Esc goes from a form */
	tui_screen_t t_search_back;  /* ... from the search */
	tui_screen_t t_other_back;   /* ... from the list or the alerts */
	tui_screen_t t_lock_back;    /* where an unlock returns */
	tui_screen_t t_card_back;    /* where Esc goes from the card */
	int t_help;                  /* the key help is shown */
	int t_mono;                  /* no colours (NO_COLOR or terminal) */
	int t_quit;
	int t_spin;                  /* spinner frame */
	int t_cury, t_curx;          /* where the cursor goes; -1: hidden */
	char t_status[TUI_LINE_BYTES]; /* the message line above the key bar */
	int t_status_error;
	int64_t t_last_key_ms;       /* monotonic, for the desk lock */
	int t_lock_s;                /* idle seconds before the lock; 0: never */
	int t_lock_own_s;            /* --lock-after (or its default) */
	int t_lock_branch;           /* t_lock_s is the branch's setting */

	/* login and lock screens */
	tui_form_t t_loginf;

	/* agenda */
	tui_lines_t t_agenda;
	char t_agenda_title[TUI_LINE_BYTES];
	int t_agenda_loaded;

	/* search */
	tui_form_t t_searchf;        /* one field: the text */
	tui_seq_t t_seq;
	Kartoteka__ClientRow **t_rows; /* TUI_ROWS_MAX, the shown answer's */
	Kartoteka__Response *t_rows_resp; /* owns t_rows' targets */
	size_t t_nrows;
	size_t t_rows_sel, t_rows_top;
	uint64_t t_rows_total;

	/* card */
	Kartoteka__Response *t_card;     /* ClientShow answer, owned */
	Kartoteka__Response *t_card_deals;
	Kartoteka__Response *t_card_tasks;
	uint64_t t_card_id;
	tui_lines_t t_cardl;
	char t_card_new[TUI_CARD_NEW_MAX][TUI_LINE_BYTES]; /* calls logged
	                              * here since the card was read */
	size_t t_card_nnew;
	Kartoteka__Response *t_card_edited; /* ClientEdit's answer, owned:
	                              * its fields are shown over t_card's
	                              * (its contacts are masked: the
	                              * people stay t_card's) */
	char t_card_newp[TUI_CARD_NEW_MAX][TUI_LINE_BYTES]; /* people added
	                              * here since the card was read, as
	                              * typed (the answer masks contacts) */
	size_t t_card_nnewp;
	char t_person_pending[TUI_LINE_BYTES]; /* the one being saved */
	char t_card_pover[TUI_PEOPLE_MAX][TUI_LINE_BYTES]; /* person i as
	                              * changed here ("": as the card has it) */
	unsigned char t_card_premoved[TUI_PEOPLE_MAX]; /* removed here */
	int t_card_people_changed;   /* indices may have moved: change no
	                              * person before the card is read again */
	uint32_t t_person_index;     /* TUI_FORM_PERSON_EDIT: 1-based */
	int t_card_history;          /* the contact history is shown */
	Kartoteka__Response *t_card_notes; /* its page (NoteList), owned */
	unsigned t_notes_page;       /* 1, 2, ... */
	uint8_t t_notes_cursor[256]; /* the next page's, as sent */
	size_t t_notes_cursor_len;

	/* forms */
	tui_form_t t_form;
	tui_form_kind_t t_form_kind;
	int t_form_busy;             /* a save is in flight */
	uint64_t t_move_task;        /* TUI_FORM_MOVE: the task and the */
	uint64_t t_move_version;     /* version the agenda showed */
	char t_edit_was[7][TUI_FIELD_MAX]; /* TUI_FORM_EDIT: the fields as
	                              * opened, to send only the changes */
	uint64_t t_edit_version;     /* the card's version they came from */

	/* client list */
	Kartoteka__ClientListRequest t_list_filter;
	char t_list_manager[KT_LOGIN_MAX_BYTES];
	char t_list_tag[128];
	uint8_t t_list_cursor[256];  /* the next page's cursor, as sent */
	size_t t_list_cursor_len;
	int t_list_more;             /* a next page exists */

	/* alerts */
	Kartoteka__Response *t_alerts;
	size_t t_alert_sel, t_alert_top;
	int t_alert_detail;          /* the selected alert's details shown */
	uint64_t t_alert_id;         /* whose audit entries are asked */
	Kartoteka__Response *t_alert_audit; /* its audit entries, owned */
	int t_alert_pages;           /* pages asked for them so far */
	uint8_t t_alert_cursor[256];
	size_t t_alert_cursor_len;

	/* users and their activity (the owner's) */
	Kartoteka__Response *t_users;    /* UserList answer, owned */
	Kartoteka__Response *t_activity; /* AuditSummary answer, owned */
	tui_lines_t t_usersl;
	size_t t_users_sel;          /* the user whose activity is shown */
	char t_activity_login[KT_LOGIN_MAX_BYTES]; /* "": the list shown */

	/* signals (set by main.c) */
	int t_sigfd;                 /* read end of the self-pipe */
} tui_t;

/* ---- main.c -------------------------------------------------------------- */
int64_t tui_now_ms(void);
/* Sets the message line (printf-like); error lines are shown bold. */
void tui_say(tui_t *t, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tui_go(tui_t *t, tui_screen_t s);

/* ---- link.c: the connection, the requests in flight, reconnecting ------ */
/* Dials and handshakes (blocking, bounded by the time-out), then resumes the
 * saved session if there is one. Returns 0 or a KT_E* code (said on the
 * message line, and a reconnect is scheduled). */
int tui_link_connect(tui_t *t);
/* Sends req and remembers what it was for. write: it changes data, so a
 * broken connection means "not known whether saved", never a resend.
 * Returns 0, or a KT_E* code (said on screen). */
int tui_link_send(tui_t *t, Kartoteka__Request *req, tui_rq_t kind,
    uint64_t seq, int write);
/* Reads every Response waiting and hands each to tui_answer. */
void tui_link_read(tui_t *t);
/* The connection broke: forget it, say so, schedule a reconnect. */
void tui_link_lost(tui_t *t, int rc);
/* 1 while a request is in flight (the spinner turns). */
int tui_link_busy(const tui_t *t);
/* 1 while a request of kind is in flight. */
int tui_link_waiting(const tui_t *t, tui_rq_t kind);
/* Closes the connection; requests in flight are forgotten. */
void tui_link_close(tui_t *t);

/* Keeps a page's next_cursor src to send back for the next page: copies
 * it into dst (cap bytes) and sets *len. Returns 1 when there is a next
 * page to ask for; 0, with *len 0, when src is empty (the last page, its
 * data may be NULL) or longer than cap (it cannot be sent back whole, so
 * the page is treated as the last rather than asking with a cut cursor).
 * Nothing is owned: src stays its answer's. */
int tui_cursor_take(uint8_t *dst, size_t cap, size_t *len,
    ProtobufCBinaryData src);
/* Routes one answer (the caller frees resp unless the handler took it:
 * a handler that keeps resp sets *resp to NULL). */
void tui_answer(tui_t *t, const tui_pending_t *pd, Kartoteka__Response **resp);
/* The error of resp when it carries one, else NULL. */
const Kartoteka__Error *tui_error(const Kartoteka__Response *resp);
/* The result message when resp's result is want and set, else NULL. */
const void *tui_result(const Kartoteka__Response *resp,
    Kartoteka__Response__ResultCase want);

/* ---- draw.c: header, key bar, help, lines --------------------------------- */
void tui_draw(tui_t *t);
/* Writes s at (y, x) cut to width columns (padded when pad). */
void tui_put(int y, int x, const char *s, int width, int pad);
void tui_lines_clear(tui_lines_t *ls);
tui_line_t *tui_lines_add(tui_lines_t *ls, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tui_lines_draw(tui_t *t, tui_lines_t *ls, int top, int height);
/* Moves the selection by delta over selectable lines. */
void tui_lines_move(tui_lines_t *ls, int delta);
/* The keys of a list whose lines are picked (the agenda, the users):
 * Up/Down move the selection a line, PgUp/PgDn a page, F1 and '?' show
 * the help, F7 opens the search. Returns 1 when ch was one of these
 * (handled), 0 when it is the screen's to handle. */
int tui_lines_key(tui_t *t, tui_lines_t *ls, wint_t ch, int fkey);
/* The keys of lines that are read, not picked (a card, a user's days),
 * shown height rows at a time: Up/Down scroll a line, PgDn/PgUp a page.
 * Returns 1 when ch was one of these (handled). */
int tui_lines_scroll(tui_lines_t *ls, wint_t ch, int fkey, size_t height);
/* dd.mm of unix seconds, in the local time zone. */
const char *tui_fmt_day(char buf[static 16], int64_t secs);
const char *tui_role_label(Kartoteka__Role role);

/* ---- scr_login.c ------------------------------------------------------- */
void tui_login_open(tui_t *t, tui_screen_t s);
void tui_login_key(tui_t *t, wint_t ch, int fkey);
void tui_login_draw(tui_t *t);
void tui_login_answer(tui_t *t, const tui_pending_t *pd,
    Kartoteka__Response **resp);
/* After a login or resume: who, the clock, the first screen. */
void tui_logged_in(tui_t *t, const Kartoteka__UserInfo *u, int64_t idle_s);

/* ---- scr_agenda.c ------------------------------------------------------ */
void tui_agenda_load(tui_t *t);
void tui_agenda_key(tui_t *t, wint_t ch, int fkey);
void tui_agenda_draw(tui_t *t);
void tui_agenda_answer(tui_t *t, const tui_pending_t *pd,
    Kartoteka__Response **resp);

/* ---- scr_search.c -------------------------------------------------------- */
void tui_search_open(tui_t *t);
void tui_search_key(tui_t *t, wint_t ch, int fkey);
void tui_search_draw(tui_t *t);
void tui_search_answer(tui_t *t, const tui_pending_t *pd,
    Kartoteka__Response **resp);
/* Sends the typed text when its debounce is over. */
void tui_search_tick(tui_t *t, int64_t now_ms);
void tui_rows_clear(tui_t *t);
/* Takes the rows of a ClientListResponse answer (keeps resp: *resp NULL). */
void tui_rows_take(tui_t *t, Kartoteka__Response **resp);
/* Moves over the rows; 1 when ch was such a key. */
int tui_rows_key(tui_t *t, wint_t ch, int fkey);
/* Draws the rows as a table from screen row y. */
void tui_rows_draw(tui_t *t, int y);

/* ---- scr_card.c ------------------------------------------------------- */
/* Opens a client's full card (a counted view). */
void tui_card_open(tui_t *t, uint64_t id);
void tui_card_key(tui_t *t, wint_t ch, int fkey);
void tui_card_draw(tui_t *t);
void tui_card_answer(tui_t *t, const tui_pending_t *pd,
    Kartoteka__Response **resp);
void tui_card_clear(tui_t *t);
/* After a call was logged (n, else NULL) or a task set: shown without
 * another view. */
void tui_card_refresh(tui_t *t, const Kartoteka__Interaction *n);
/* The card's client as shown: the full card's, with the fields of a later
 * edit's answer over it (the people stay the full card's). Fills *out
 * (pointing into both answers) and returns it, or NULL before the card
 * is here. */
const Kartoteka__Client *tui_card_client(const tui_t *t,
    Kartoteka__Client *out);
/* Takes an edit's answer *resp (ClientResponse, masked) as the card's
 * newest fields; *resp becomes NULL. */
void tui_card_edited(tui_t *t, Kartoteka__Response **resp);
/* A person as a line of the card's People: name, relation, born, phones,
 * e-mail in their columns, into line (cap bytes). */
void tui_card_person_line(char *line, size_t cap, const char *name,
    const char *relation, const char *born, const char *phones,
    const char *email);
/* A person was added (line as tui_card_person_line made it): shown under
 * the card's people until the card is read again. */
void tui_card_person_added(tui_t *t, const char *line);
/* Person index (1-based) was changed to line, or removed (line NULL). */
void tui_card_person_changed(tui_t *t, uint32_t index, const char *line);

/* ---- scr_users.c: the owner's staff and their activity ----------------- */
void tui_users_open(tui_t *t);
void tui_users_key(tui_t *t, wint_t ch, int fkey);
void tui_users_draw(tui_t *t);
void tui_users_answer(tui_t *t, const tui_pending_t *pd,
    Kartoteka__Response **resp);
void tui_users_clear(tui_t *t);

/* ---- scr_form.c -------------------------------------------------------- */
void tui_form_open(tui_t *t, tui_form_kind_t kind);
void tui_form_key(tui_t *t, wint_t ch, int fkey);
void tui_form_draw(tui_t *t);
void tui_form_answer(tui_t *t, const tui_pending_t *pd,
    Kartoteka__Response **resp);
/* Edits the focused field of f with a key; returns 1 when it was an
 * editing key. */
int tui_form_edit_key(tui_form_t *f, wint_t ch, int fkey);
/* tui_form_edit_key, and Tab/Enter/Down to the next field, Shift-Tab/Up
 * to the one before; returns 1 when ch was one of these. */
int tui_form_move_or_edit(tui_form_t *f, wint_t ch, int fkey);
/* Draws f's fields from row y. */
void tui_form_draw_fields(tui_t *t, tui_form_t *f, int y);

/* ---- scr_list.c: the client list with filters, the owner's alerts ------ */
void tui_list_open(tui_t *t);
void tui_list_key(tui_t *t, wint_t ch, int fkey);
void tui_list_draw(tui_t *t);
void tui_list_answer(tui_t *t, const tui_pending_t *pd,
    Kartoteka__Response **resp);
void tui_alerts_open(tui_t *t);
void tui_alerts_key(tui_t *t, wint_t ch, int fkey);
void tui_alerts_draw(tui_t *t);
void tui_alerts_answer(tui_t *t, const tui_pending_t *pd,
    Kartoteka__Response **resp);

#endif
