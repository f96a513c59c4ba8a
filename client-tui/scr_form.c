/* SPDX-License-Identifier: MIT */
/* The forms: log a call (NoteAdd), add a task or promise (TaskAdd), add a
 * deal (DealAdd), add a family (ClientAdd), edit a card's own fields
 * (ClientEdit, only the fields changed, at the version shown), and the
 * editing and drawing every form shares. A server's refusal is shown
 * under the field it names. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>
#include <wctype.h>

#include <curses.h>

#include "i18n.h"
#include "fields.h"
#include "normalize.h"
#include "text.h"
#include "tui.h"

#define LABEL_COLS 20

/* ---- editing and drawing ------------------------------------------------- */

int
tui_form_edit_key(tui_form_t *f, wint_t ch, int fkey)
{
	tui_field_t *fd = tui_form_focused(f);

	if (fd == NULL)
		return 0;
	if (fkey) {
		switch (ch) {
		case KEY_BACKSPACE: tui_field_backspace(fd); return 1;
		case KEY_DC: tui_field_delete(fd); return 1;
		case KEY_LEFT: tui_field_left(fd); return 1;
		case KEY_RIGHT: tui_field_right(fd); return 1;
		case KEY_HOME: tui_field_home(fd); return 1;
		case KEY_END: tui_field_end(fd); return 1;
		default: return 0;
		}
	}
	switch (ch) {
	case 127:
	case 8:
		tui_field_backspace(fd);
		return 1;
	case 21: /* Ctrl-U */
		tui_field_clear(fd);
		return 1;
	case 1: /* Ctrl-A */
		tui_field_home(fd);
		return 1;
	case 5: /* Ctrl-E */
		tui_field_end(fd);
		return 1;
	default:
		break;
	}
	if (ch >= 0x20 && ch != 0x7f && iswprint((wint_t)ch)) {
		char mb[MB_LEN_MAX];
		mbstate_t st;
		size_t n;

		memset(&st, 0, sizeof(st));
		n = wcrtomb(mb, (wchar_t)ch, &st);
		if (n != (size_t)-1)
			(void)tui_field_insert(fd, mb, n);
		return 1;
	}
	return 0;
}

int
tui_form_move_or_edit(tui_form_t *f, wint_t ch, int fkey)
{
	if ((!fkey && (ch == '\t' || ch == '\r' || ch == '\n')) ||
	    (fkey && (ch == KEY_DOWN || ch == KEY_ENTER))) {
		tui_form_next(f);
		return 1;
	}
	if (fkey && (ch == KEY_BTAB || ch == KEY_UP)) {
		tui_form_prev(f);
		return 1;
	}
	return tui_form_edit_key(f, ch, fkey);
}

void
tui_form_draw_fields(tui_t *t, tui_form_t *f, int y)
{
	for (size_t i = 0; i < f->fm_n && y < LINES - 2; i++) {
		const tui_field_t *fd = &f->fm_fields[i];
		char shown[TUI_FIELD_MAX];
		const char *v = fd->fd_value;
		size_t avail = COLS > LABEL_COLS + 4 ?
		    (size_t)COLS - LABEL_COLS - 4 : 1, skip = 0, curw;

		if (fd->fd_secret) {
			size_t k = 0;
			for (size_t b = 0; b < fd->fd_len && k + 1 < sizeof(shown);
			    b = tui_text_next_char(fd->fd_value, fd->fd_len, b))
				shown[k++] = '*';
			shown[k] = '\0';
			v = shown;
		}
		attrset(i == f->fm_focus ? A_BOLD : A_NORMAL);
		tui_put(y, 1, fd->fd_label, LABEL_COLS, 1);
		attrset(A_NORMAL);
		/* Scroll a long value so the cursor stays in view. */
		if (fd->fd_secret) {
			curw = 0;
			for (size_t b = 0; b < fd->fd_cursor;
			    b = tui_text_next_char(fd->fd_value, fd->fd_len, b))
				curw++;
		} else {
			char pre[TUI_FIELD_MAX];
			memcpy(pre, fd->fd_value, fd->fd_cursor);
			pre[fd->fd_cursor] = '\0';
			curw = tui_text_width(pre);
		}
		while (curw >= avail && v[skip] != '\0') {
			size_t nx = tui_text_next_char(v, strlen(v), skip);
			char one[8] = "";
			memcpy(one, v + skip, nx - skip < 7 ? nx - skip : 7);
			curw -= tui_text_width(one);
			skip = nx;
		}
		mvaddstr(y, LABEL_COLS + 1, "[");
		tui_put(y, LABEL_COLS + 2, v + skip, (int)avail, 1);
		addstr("]");
		if (i == f->fm_focus) {
			t->t_cury = y;
			t->t_curx = LABEL_COLS + 2 + (int)curw;
		}
		y++;
		if (fd->fd_error[0] != '\0' && y < LINES - 2) {
			attrset(t->t_mono ? A_BOLD : COLOR_PAIR(2) | A_BOLD);
			tui_put(y++, LABEL_COLS + 2, fd->fd_error,
			    COLS - LABEL_COLS - 2, 0);
			attrset(A_NORMAL);
		}
	}
	if (f->fm_error[0] != '\0' && y + 1 < LINES - 2) {
		attrset(t->t_mono ? A_BOLD : COLOR_PAIR(2) | A_BOLD);
		tui_put(y + 1, 1, f->fm_error, COLS - 1, 0);
		attrset(A_NORMAL);
	}
}

/* ---- the forms ---------------------------------------------------------------- */

enum { NOTE_CHANNEL, NOTE_DIRECTION, NOTE_TOPIC, NOTE_AGREED };
enum { TASK_DUE, TASK_KIND, TASK_TITLE };
enum { DEAL_TITLE, DEAL_AMOUNT, DEAL_CURRENCY, DEAL_COURSE, DEAL_NOTE };
enum { PS_NAME, PS_REL, PS_BIRTH, PS_PHONE, PS_EMAIL };
enum { PE_NAME, PE_REL, PE_BIRTH, PE_PHONES, PE_EMAIL, PE_REMOVE, PE_N };
#define PE_PHONES_MAX 8
enum { ED_TITLE, ED_STATUS, ED_CATEGORY, ED_SOURCE, ED_NOTES, ED_CONTRACT,
	ED_DISCOUNT, ED_N };
enum { CL_TITLE, CL_P1_NAME, CL_P1_REL, CL_P1_BIRTH, CL_P1_PHONE, CL_P1_EMAIL,
	CL_P2_NAME, CL_P2_REL, CL_P2_BIRTH, CL_P2_PHONE, CL_SOURCE, CL_NOTES };

static const char *
form_title(tui_form_kind_t k)
{
	switch (k) {
	case TUI_FORM_NOTE: return _("Log a call or contact");
	case TUI_FORM_TASK: return _("A task or a promise");
	case TUI_FORM_CLIENT: return _("A new family");
	case TUI_FORM_FILTER: return _("Client list: filters");
	case TUI_FORM_MOVE: return _("Move the task");
	case TUI_FORM_DEAL: return _("A deal");
	case TUI_FORM_EDIT: return _("Edit the card");
	case TUI_FORM_PERSON: return _("A person of the family");
	case TUI_FORM_PICK_PERSON: return _("Change a person: which one?");
	case TUI_FORM_PERSON_EDIT: return _("Change a person");
	}
	return "";
}

/* The person edit form's fields from person t_person_index of the full
 * card (its contacts are whole), and what they were, to send only the
 * changes. */
static void
person_fill(tui_t *t, tui_form_t *f)
{
	const Kartoteka__Client *c = t->t_card != NULL &&
	    t->t_card->client != NULL ? t->t_card->client->client : NULL;
	const Kartoteka__Person *p;
	char born[40] = "", phones[TUI_FIELD_MAX] = "";
	static const char *const rel[] = { "", N_("parent"), N_("child"),
		N_("contact"), N_("other") };

	if (c == NULL || t->t_person_index == 0 ||
	    t->t_person_index > c->n_people ||
	    (p = c->people[t->t_person_index - 1]) == NULL)
		return;
	if (p->birth_year && p->birth_month && p->birth_day)
		snprintf(born, sizeof(born), "%02u.%02u.%04u", p->birth_day,
		    p->birth_month, p->birth_year);
	else if (p->birth_year)
		snprintf(born, sizeof(born), "%u", p->birth_year);
	for (size_t j = 0; j < p->n_phones; j++)
		snprintf(phones + strlen(phones), sizeof(phones) - strlen(phones),
		    "%s%s", j ? ", " : "", tui_str(p->phones[j]));
	tui_form_set(f, PE_NAME, tui_str(p->name));
	tui_form_set(f, PE_REL, (unsigned)p->relation < 5 && p->relation ?
	    _(rel[p->relation]) : "");
	tui_form_set(f, PE_BIRTH, born);
	tui_form_set(f, PE_PHONES, phones);
	tui_form_set(f, PE_EMAIL, tui_str(p->email));
	tui_form_set(f, PE_REMOVE, _("no"));
	for (size_t i = 0; i < PE_N; i++)
		snprintf(t->t_edit_was[i], sizeof(t->t_edit_was[i]), "%s",
		    f->fm_fields[i].fd_value);
	t->t_edit_version = 0;
}

/* The edit form's fields as the card shows them now. */
static void
edit_fill(tui_t *t, tui_form_t *f)
{
	Kartoteka__Client shown;
	const Kartoteka__Client *c = tui_card_client(t, &shown);
	char n[16];

	if (c == NULL)
		return;
	tui_form_set(f, ED_TITLE, c->title != NULL ? c->title : "");
	tui_form_set(f, ED_STATUS,
	    c->status == KARTOTEKA__CLIENT_STATUS__LEAD ? _("lead") :
	    c->status == KARTOTEKA__CLIENT_STATUS__ACTIVE ? _("active") :
	    c->status == KARTOTEKA__CLIENT_STATUS__FORMER ? _("former") : "");
	tui_form_set(f, ED_CATEGORY,
	    c->category == KARTOTEKA__CATEGORY__CATEGORY_A ? "A" :
	    c->category == KARTOTEKA__CATEGORY__CATEGORY_B ? "B" :
	    c->category == KARTOTEKA__CATEGORY__CATEGORY_C ? "C" : "");
	tui_form_set(f, ED_SOURCE, c->source != NULL ? c->source : "");
	tui_form_set(f, ED_NOTES, c->notes != NULL ? c->notes : "");
	tui_form_set(f, ED_CONTRACT, c->contract != NULL ? c->contract : "");
	snprintf(n, sizeof(n), "%u", c->discount_percent);
	tui_form_set(f, ED_DISCOUNT, c->discount_percent ? n : "");
	/* what was shown, to send only what changes */
	for (size_t i = 0; i < ED_N; i++)
		snprintf(t->t_edit_was[i], sizeof(t->t_edit_was[i]), "%s",
		    f->fm_fields[i].fd_value);
	t->t_edit_version = c->version;
}

/* A form's fields: the label (translated where shown) and the protocol
 * path a server error names it by. */
typedef struct field_spec {
	const char *fs_label;
	const char *fs_path;
} field_spec_t;

static const field_spec_t fields_note[] = {
	{ N_("Channel"), "channel" },
	{ N_("Direction"), "direction" },
	{ N_("Topic"), "topic" },
	{ N_("Agreed"), "agreed" },
};
static const field_spec_t fields_task[] = {
	{ N_("Due"), "due" },
	{ N_("Kind"), "kind" },
	{ N_("What"), "title" },
};
static const field_spec_t fields_client[] = {
	{ N_("Family (title)"), "title" },
	{ N_("1 Name"), "people[0].name" },
	{ N_("1 Relation"), "people[0].relation" },
	{ N_("1 Born"), "people[0].birth" },
	{ N_("1 Phone"), "people[0].phones" },
	{ N_("1 E-mail"), "people[0].email" },
	{ N_("2 Name"), "people[1].name" },
	{ N_("2 Relation"), "people[1].relation" },
	{ N_("2 Born"), "people[1].birth" },
	{ N_("2 Phone"), "people[1].phones" },
	{ N_("Source"), "source" },
	{ N_("Notes"), "notes" },
};
static const field_spec_t fields_move[] = {
	{ N_("New due"), "due" },
};
static const field_spec_t fields_deal[] = {
	{ N_("What"), "title" },
	{ N_("Amount"), "amount" },
	{ N_("Currency"), "currency" },
	{ N_("Course"), "course" },
	{ N_("Note"), "note" },
};
static const field_spec_t fields_person[] = {
	{ N_("Name"), "person.name" },
	{ N_("Relation"), "person.relation" },
	{ N_("Born"), "person.birth" },
	{ N_("Phone"), "person.phones" },
	{ N_("E-mail"), "person.email" },
};
static const field_spec_t fields_pick_person[] = {
	{ N_("Person number"), "index" },
};
static const field_spec_t fields_person_edit[] = {
	{ N_("Name"), "person.name" },
	{ N_("Relation"), "person.relation" },
	{ N_("Born"), "person.birth" },
	{ N_("Phones"), "person.phones" },
	{ N_("E-mail"), "person.email" },
	{ N_("Remove (yes/no)"), "remove" },
};
static const field_spec_t fields_edit[] = {
	{ N_("Family (title)"), "title" },
	{ N_("Status"), "status" },
	{ N_("Category"), "category" },
	{ N_("Source"), "source" },
	{ N_("Notes"), "notes" },
	{ N_("Contract"), "contract" },
	{ N_("Discount, %"), "discount_percent" },
};
static const field_spec_t fields_filter[] = {
	{ N_("Manager (login)"), "manager" },
	{ N_("Status"), "status" },
	{ N_("Category"), "category" },
	{ N_("Tag"), "tag" },
	{ N_("Birth month"), "birth_month" },
	{ N_("Children only"), "children_only" },
};

static void
add_fields(tui_form_t *f, const field_spec_t *spec, size_t n)
{
	for (size_t i = 0; i < n; i++)
		(void)tui_form_add(f, _(spec[i].fs_label), spec[i].fs_path, 0);
}
#define ADD_FIELDS(f, tab) add_fields((f), (tab), sizeof(tab) / sizeof((tab)[0]))

void
tui_form_open(tui_t *t, tui_form_kind_t kind)
{
	tui_form_t *f = &t->t_form;

	tui_form_reset(f);
	t->t_form_kind = kind;
	t->t_form_busy = 0;
	switch (kind) {
	case TUI_FORM_NOTE:
		ADD_FIELDS(f, fields_note);
		tui_form_set(f, NOTE_CHANNEL, _("call"));
		tui_form_set(f, NOTE_DIRECTION, _("in"));
		f->fm_focus = NOTE_TOPIC;
		break;
	case TUI_FORM_TASK:
		ADD_FIELDS(f, fields_task);
		tui_form_set(f, TASK_KIND, _("call"));
		break;
	case TUI_FORM_CLIENT:
		ADD_FIELDS(f, fields_client);
		tui_form_set(f, CL_P1_REL, _("parent"));
		tui_form_set(f, CL_P2_REL, _("child"));
		break;
	case TUI_FORM_MOVE:
		ADD_FIELDS(f, fields_move);
		break;
	case TUI_FORM_DEAL:
		ADD_FIELDS(f, fields_deal);
		tui_form_set(f, DEAL_CURRENCY, "RUB");
		break;
	case TUI_FORM_PERSON:
		ADD_FIELDS(f, fields_person);
		tui_form_set(f, PS_REL, _("child"));
		break;
	case TUI_FORM_PICK_PERSON:
		ADD_FIELDS(f, fields_pick_person);
		tui_form_set(f, 0, "1");
		break;
	case TUI_FORM_PERSON_EDIT:
		ADD_FIELDS(f, fields_person_edit);
		person_fill(t, f);
		break;
	case TUI_FORM_EDIT:
		ADD_FIELDS(f, fields_edit);
		edit_fill(t, f);
		break;
	case TUI_FORM_FILTER:
		ADD_FIELDS(f, fields_filter);
		break;
	}
	if (t->t_screen != TUI_SCR_FORM)
		t->t_form_back = t->t_screen;
	tui_go(t, TUI_SCR_FORM);
}

/* Looks a word up in a table of names, in English or in the reader's
 * language ("call" or "звонок"); returns its value or -1. */
typedef struct word { const char *w_name; int w_value; } word_t;

static int
lookup(const word_t *tab, const char *s)
{
	for (; tab->w_name != NULL; tab++)
		if (strcasecmp(tab->w_name, s) == 0 ||
		    (tab->w_name[0] != '\0' && strcmp(_(tab->w_name), s) == 0))
			return tab->w_value;
	return -1;
}

static const word_t channels[] = {
	{ N_("call"), KARTOTEKA__CHANNEL__CALL },
	{ N_("meeting"), KARTOTEKA__CHANNEL__MEETING },
	{ N_("email"), KARTOTEKA__CHANNEL__EMAIL },
	{ N_("message"), KARTOTEKA__CHANNEL__MESSAGE },
	{ N_("visit"), KARTOTEKA__CHANNEL__VISIT },
	{ NULL, 0 },
};
static const word_t directions[] = {
	{ N_("in"), KARTOTEKA__DIRECTION__INBOUND },
	{ N_("out"), KARTOTEKA__DIRECTION__OUTBOUND },
	{ "", KARTOTEKA__DIRECTION__DIRECTION_UNSPECIFIED },
	{ NULL, 0 },
};
static const word_t kinds[] = {
	{ N_("call"), KARTOTEKA__TASK_KIND__TASK_CALL },
	{ N_("meeting"), KARTOTEKA__TASK_KIND__TASK_MEETING },
	{ N_("promise"), KARTOTEKA__TASK_KIND__TASK_PROMISE },
	{ N_("other"), KARTOTEKA__TASK_KIND__TASK_OTHER },
	{ NULL, 0 },
};
static const word_t relations[] = {
	{ N_("parent"), KARTOTEKA__RELATION__PARENT },
	{ N_("child"), KARTOTEKA__RELATION__CHILD },
	{ N_("contact"), KARTOTEKA__RELATION__CONTACT },
	{ N_("other"), KARTOTEKA__RELATION__OTHER },
	{ "", KARTOTEKA__RELATION__RELATION_UNSPECIFIED },
	{ NULL, 0 },
};
static const word_t statuses[] = {
	{ "", KARTOTEKA__CLIENT_STATUS__STATUS_UNSPECIFIED },
	{ N_("lead"), KARTOTEKA__CLIENT_STATUS__LEAD },
	{ N_("active"), KARTOTEKA__CLIENT_STATUS__ACTIVE },
	{ N_("former"), KARTOTEKA__CLIENT_STATUS__FORMER },
	{ NULL, 0 },
};
static const word_t categories[] = {
	{ "", KARTOTEKA__CATEGORY__CATEGORY_UNSPECIFIED },
	{ "A", KARTOTEKA__CATEGORY__CATEGORY_A },
	{ "B", KARTOTEKA__CATEGORY__CATEGORY_B },
	{ "C", KARTOTEKA__CATEGORY__CATEGORY_C },
	{ NULL, 0 },
};

/* A field refused before sending: the error goes under it. */
static int
field_error(tui_form_t *f, size_t i, const char *msg)
{
	snprintf(f->fm_fields[i].fd_error, sizeof(f->fm_fields[i].fd_error),
	    "%s", msg);
	f->fm_focus = i;
	return -1;
}

static const char *
val(tui_form_t *f, size_t i)
{
	return f->fm_fields[i].fd_value;
}

static int
send_note(tui_t *t)
{
	tui_form_t *f = &t->t_form;
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__NoteAddRequest r = KARTOTEKA__NOTE_ADD_REQUEST__INIT;
	int ch = lookup(channels, val(f, NOTE_CHANNEL));
	int dir = lookup(directions, val(f, NOTE_DIRECTION));

	if (ch < 0)
		return field_error(f, NOTE_CHANNEL, _("channel: one of call, "
		    "meeting, email, message, visit"));
	if (dir < 0)
		return field_error(f, NOTE_DIRECTION, _("direction: in, out or "
		    "empty"));
	r.client_id = t->t_card_id;
	r.channel = (Kartoteka__Channel)ch;
	r.direction = (Kartoteka__Direction)dir;
	r.topic = (char *)val(f, NOTE_TOPIC);
	r.agreed = (char *)val(f, NOTE_AGREED);
	req.op_case = KARTOTEKA__REQUEST__OP_NOTE_ADD;
	req.note_add = &r;
	return tui_link_send(t, &req, TUI_RQ_NOTE_ADD, 0, 1);
}

/* Field i of f, a due day as people type it (12.03.2026, or 12.03.2026
 * 15:00), into the server's "YYYY-MM-DD[ HH:MM]" in due (cap bytes).
 * Returns 0, or -1 with the error under the field. */
static int
due_of(tui_form_t *f, size_t i, char *due, size_t cap)
{
	const char *s = val(f, i), *sp = strchr(s, ' ');
	char day[32], msg[TUI_ERROR_MAX];
	kt_date_t d;
	kt_why_t why = { "" };
	size_t n = sp != NULL ? (size_t)(sp - s) : strlen(s);

	if (s[0] == '\0')
		return field_error(f, i, _("due: a day (DD.MM.YYYY or "
		    "YYYY-MM-DD), and a time if you like (HH:MM)"));
	if (n >= sizeof(day))
		return field_error(f, i, _("due: not a date"));
	memcpy(day, s, n);
	day[n] = '\0';
	if (kt_date_parse(day, &d, &why) != 0 || d.year == 0) {
		snprintf(msg, sizeof(msg), _("due: %s (DD.MM.YYYY or "
		    "YYYY-MM-DD, then HH:MM if you like)"), why.text);
		return field_error(f, i, msg);
	}
	snprintf(due, cap, "%04u-%02u-%02u%s%.8s", (unsigned)d.year,
	    (unsigned)d.month, (unsigned)d.day, sp != NULL ? " " : "",
	    sp != NULL ? sp + 1 : "");
	return 0;
}

static int
send_task(tui_t *t)
{
	tui_form_t *f = &t->t_form;
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__TaskAddRequest r = KARTOTEKA__TASK_ADD_REQUEST__INIT;
	char due[64];
	int kind = lookup(kinds, val(f, TASK_KIND));

	if (kind < 0)
		return field_error(f, TASK_KIND, _("kind: one of call, meeting, "
		    "promise, other"));
	if (due_of(f, TASK_DUE, due, sizeof(due)) != 0)
		return -1;
	r.client_id = t->t_card_id;
	r.due = due;
	r.kind = (Kartoteka__TaskKind)kind;
	r.title = (char *)val(f, TASK_TITLE);
	req.op_case = KARTOTEKA__REQUEST__OP_TASK_ADD;
	req.task_add = &r;
	return tui_link_send(t, &req, TUI_RQ_TASK_ADD, 0, 1);
}

/* Moves the agenda's selected task (t_move_task) to a new due. */
static int
send_move(tui_t *t)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__TaskChangeRequest r = KARTOTEKA__TASK_CHANGE_REQUEST__INIT;
	char due[64];

	if (due_of(&t->t_form, 0, due, sizeof(due)) != 0)
		return -1;
	r.id = t->t_move_task;
	r.version = t->t_move_version;
	r.action = KARTOTEKA__TASK_ACTION__TASK_MOVE;
	r.due = due;
	req.op_case = KARTOTEKA__REQUEST__OP_TASK_CHANGE;
	req.task_change = &r;
	return tui_link_send(t, &req, TUI_RQ_TASK_MOVE, 0, 1);
}

/* Which of a form's fields are a person's (the add forms' and the person
 * edit's: person() reads them all alike). */
typedef struct person_fields {
	size_t pf_name, pf_rel, pf_birth, pf_phones;
	size_t pf_email;             /* (size_t)-1: the form has none */
	int pf_list;                 /* 0: the phone field is one phone as
	                              * typed; 1: up to PE_PHONES_MAX of
	                              * them separated by commas */
} person_fields_t;

/* Room for the phones person() cuts from the field: the person's phones
 * point into it, so it lives until the request is sent (the caller's
 * stack). */
typedef struct person_buf {
	char pb_buf[TUI_FIELD_MAX];  /* the phones, cut at the commas */
	char *pb_phones[PE_PHONES_MAX];
} person_buf_t;

/* 1 when any of the person's fields but the relation (which has a
 * default) is typed: an add form sends only the people given. */
static int
person_given(tui_form_t *f, const person_fields_t *pf)
{
	return val(f, pf->pf_name)[0] != '\0' ||
	    val(f, pf->pf_phones)[0] != '\0' ||
	    (pf->pf_email != (size_t)-1 && val(f, pf->pf_email)[0] != '\0') ||
	    val(f, pf->pf_birth)[0] != '\0';
}

/* Fills person p from the form's fields pf names: the name, the relation
 * by its word, the birthday (YYYY, or a date), the phones (see pf_list:
 * more than PE_PHONES_MAX is an error), the e-mail. p's strings point
 * into f and pb.
 * Returns 0, or -1 with an error under a field. */
static int
person(tui_form_t *f, const person_fields_t *pf, Kartoteka__Person *p,
    person_buf_t *pb)
{
	kt_date_t d;
	kt_why_t why = { "" };
	int r;
	const char *b = val(f, pf->pf_birth), *ph = val(f, pf->pf_phones);
	char *save = NULL, *tok;

	p->name = (char *)val(f, pf->pf_name);
	if ((r = lookup(relations, val(f, pf->pf_rel))) < 0)
		return field_error(f, pf->pf_rel, _("relation: parent, child, "
		    "contact, other or empty"));
	p->relation = (Kartoteka__Relation)r;
	if (strlen(b) == 4 && strspn(b, "0123456789") == 4) {
		p->birth_year = (uint32_t)atoi(b);
	} else if (b[0] != '\0') {
		if (kt_date_parse(b, &d, &why) != 0) {
			char msg[TUI_ERROR_MAX];
			snprintf(msg, sizeof(msg), _("born: %s (DD.MM.YYYY, "
			    "YYYY-MM-DD, DD.MM or YYYY)"), why.text);
			return field_error(f, pf->pf_birth, msg);
		}
		p->birth_year = d.year;
		p->birth_month = d.month;
		p->birth_day = d.day;
	}
	p->phones = pb->pb_phones;
	p->n_phones = 0;
	if (!pf->pf_list) {
		/* one phone: the field as typed (a comma in it is the
		 * server's to refuse, by the field's name) */
		if (ph[0] != '\0')
			pb->pb_phones[p->n_phones++] = (char *)ph;
	} else {
		snprintf(pb->pb_buf, sizeof(pb->pb_buf), "%s", ph);
		for (tok = strtok_r(pb->pb_buf, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			tok += strspn(tok, " ");
			if (tok[0] == '\0')
				continue;
			if (p->n_phones == PE_PHONES_MAX)
				return field_error(f, pf->pf_phones,
				    _("phones: at most 8"));
			pb->pb_phones[p->n_phones++] = tok;
		}
	}
	if (pf->pf_email != (size_t)-1)
		p->email = (char *)val(f, pf->pf_email);
	return 0;
}

static int
send_client(tui_t *t)
{
	tui_form_t *f = &t->t_form;
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientAddRequest r = KARTOTEKA__CLIENT_ADD_REQUEST__INIT;
	Kartoteka__Client c = KARTOTEKA__CLIENT__INIT;
	Kartoteka__Person p1 = KARTOTEKA__PERSON__INIT;
	Kartoteka__Person p2 = KARTOTEKA__PERSON__INIT;
	Kartoteka__Person *people[2];
	static const person_fields_t pf1 = { CL_P1_NAME, CL_P1_REL,
		CL_P1_BIRTH, CL_P1_PHONE, CL_P1_EMAIL, 0 };
	static const person_fields_t pf2 = { CL_P2_NAME, CL_P2_REL,
		CL_P2_BIRTH, CL_P2_PHONE, (size_t)-1, 0 };
	person_buf_t pb1, pb2;
	int a = person_given(f, &pf1), b = person_given(f, &pf2);

	if (a && person(f, &pf1, &p1, &pb1) < 0)
		return -1;
	if (b && person(f, &pf2, &p2, &pb2) < 0)
		return -1;
	c.title = (char *)val(f, CL_TITLE);
	if (a)
		people[c.n_people++] = &p1;
	if (b)
		people[c.n_people++] = &p2;
	c.people = people;
	c.source = (char *)val(f, CL_SOURCE);
	c.notes = (char *)val(f, CL_NOTES);
	c.status = KARTOTEKA__CLIENT_STATUS__LEAD;
	r.client = &c;
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_ADD;
	req.client_add = &r;
	return tui_link_send(t, &req, TUI_RQ_CLIENT_ADD, 0, 1);
}

static int
send_deal(tui_t *t)
{
	tui_form_t *f = &t->t_form;
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__DealAddRequest r = KARTOTEKA__DEAL_ADD_REQUEST__INIT;
	const char *cur = val(f, DEAL_CURRENCY), *why = NULL;
	int64_t amount = 0;

	if (val(f, DEAL_TITLE)[0] == '\0')
		return field_error(f, DEAL_TITLE, _("what: name the deal "
		    "(a course, an order)"));
	if (cur[0] != '\0' && (strlen(cur) != 3 || strspn(cur,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3))
		return field_error(f, DEAL_CURRENCY, _("currency: three capital "
		    "letters (RUB, USD, EUR), or empty for RUB"));
	if (val(f, DEAL_AMOUNT)[0] != '\0' && kt_amount_parse(val(f,
	    DEAL_AMOUNT), kt_currency_exponent(cur[0] ? cur : "RUB"), &amount,
	    &why) != 0) {
		char msg[TUI_ERROR_MAX];
		snprintf(msg, sizeof(msg), _("amount: %s (like 12500 or "
		    "12 500,50)"), why != NULL ? _(why) : "");
		return field_error(f, DEAL_AMOUNT, msg);
	}
	r.client = t->t_card_id;
	r.title = (char *)val(f, DEAL_TITLE);
	r.amount = amount;
	r.currency = (char *)cur;
	r.course = (char *)val(f, DEAL_COURSE);
	r.note = (char *)val(f, DEAL_NOTE);
	req.op_case = KARTOTEKA__REQUEST__OP_DEAL_ADD;
	req.deal_add = &r;
	return tui_link_send(t, &req, TUI_RQ_DEAL_ADD, 0, 1);
}

/* Sends the fields that differ from what the form was opened with, at
 * the version the card showed (a stale one: CONFLICT, shown). */
static int
send_edit(tui_t *t)
{
	tui_form_t *f = &t->t_form;
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientEditRequest r = KARTOTEKA__CLIENT_EDIT_REQUEST__INIT;
	Kartoteka__Client c = KARTOTEKA__CLIENT__INIT;
	static const char *const names[ED_N] = { "title", "status",
		"category", "source", "notes", "contract", "discount_percent" };
	char *fields[ED_N];
	int st = lookup(statuses, val(f, ED_STATUS));
	int cat = lookup(categories, val(f, ED_CATEGORY));
	const char *d = val(f, ED_DISCOUNT);
	long disc = 0;

	if (st < 0)
		return field_error(f, ED_STATUS, _("status: lead, active, "
		    "former or empty"));
	if (cat < 0)
		return field_error(f, ED_CATEGORY, _("category: A, B, C or "
		    "empty"));
	if (d[0] != '\0') {
		char *end = NULL;
		disc = strtol(d, &end, 10);
		if (end == d || *end != '\0' || disc < 0 || disc > 100)
			return field_error(f, ED_DISCOUNT, _("discount: a "
			    "number from 0 to 100, or empty"));
	}
	for (size_t i = 0; i < ED_N; i++)
		if (strcmp(val(f, i), t->t_edit_was[i]) != 0)
			fields[r.n_fields++] = (char *)names[i];
	if (r.n_fields == 0) {
		tui_form_reset(f);
		tui_say(t, 0, _("Nothing changed"));
		tui_go(t, TUI_SCR_CARD);
		return 1;
	}
	c.title = (char *)val(f, ED_TITLE);
	c.status = (Kartoteka__ClientStatus)st;
	c.category = (Kartoteka__Category)cat;
	c.source = (char *)val(f, ED_SOURCE);
	c.notes = (char *)val(f, ED_NOTES);
	c.contract = (char *)val(f, ED_CONTRACT);
	c.discount_percent = (uint32_t)disc;
	r.id = t->t_card_id;
	r.version = t->t_edit_version;
	r.fields = fields;
	r.client = &c;
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_EDIT;
	req.client_edit = &r;
	return tui_link_send(t, &req, TUI_RQ_CLIENT_EDIT, 0, 1);
}

/* The picked number opens the person's edit form. */
static int
apply_pick(tui_t *t)
{
	tui_form_t *f = &t->t_form;
	const Kartoteka__Client *c = t->t_card != NULL &&
	    t->t_card->client != NULL ? t->t_card->client->client : NULL;
	char *end = NULL, msg[TUI_ERROR_MAX];
	long n = strtol(val(f, 0), &end, 10);

	if (c == NULL)
		return field_error(f, 0, _("the card is not here yet"));
	if (end == val(f, 0) || *end != '\0' || n < 1 || (size_t)n >
	    c->n_people || n > TUI_PEOPLE_MAX) {
		snprintf(msg, sizeof(msg), _("person: a number from 1 to %zu, "
		    "as the card lists them"), c->n_people < TUI_PEOPLE_MAX ?
		    c->n_people : (size_t)TUI_PEOPLE_MAX);
		return field_error(f, 0, msg);
	}
	t->t_person_index = (uint32_t)n;
	tui_form_open(t, TUI_FORM_PERSON_EDIT);
	return 0;
}

/* Sends the person's changed fields (or its removal) at the version the
 * card showed. */
static int
send_person_edit(tui_t *t)
{
	tui_form_t *f = &t->t_form;
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__PersonEditRequest r = KARTOTEKA__PERSON_EDIT_REQUEST__INIT;
	Kartoteka__PersonRemoveRequest rm = KARTOTEKA__PERSON_REMOVE_REQUEST__INIT;
	Kartoteka__Person p = KARTOTEKA__PERSON__INIT;
	Kartoteka__Client shown;
	const Kartoteka__Client *c = tui_card_client(t, &shown);
	static const char *const names[PE_N - 1] = { "name", "relation",
		"birth", "phones", "email" };
	static const person_fields_t pf = { PE_NAME, PE_REL, PE_BIRTH,
		PE_PHONES, PE_EMAIL, 1 };
	person_buf_t pb;
	char *fields[PE_N];
	const char *rm_word = val(f, PE_REMOVE);
	int remove;

	if (c == NULL)
		return field_error(f, PE_NAME, _("the card is not here yet"));
	remove = strcasecmp(rm_word, "yes") == 0 || strcmp(rm_word, _("yes"))
	    == 0;
	if (!remove && strcasecmp(rm_word, "no") != 0 &&
	    strcmp(rm_word, _("no")) != 0 && rm_word[0] != '\0')
		return field_error(f, PE_REMOVE, _("remove: yes or no"));
	if (remove) {
		rm.id = t->t_card_id;
		rm.version = c->version;
		rm.index = t->t_person_index;
		req.op_case = KARTOTEKA__REQUEST__OP_PERSON_REMOVE;
		req.person_remove = &rm;
		t->t_person_pending[0] = '\0';
		return tui_link_send(t, &req, TUI_RQ_PERSON_REMOVE, 0, 1);
	}
	if (person(f, &pf, &p, &pb) < 0)
		return -1;
	for (size_t i = 0; i + 1 < PE_N; i++)
		if (strcmp(val(f, i), t->t_edit_was[i]) != 0)
			fields[r.n_fields++] = (char *)names[i];
	if (r.n_fields == 0) {
		tui_form_reset(f);
		tui_say(t, 0, _("Nothing changed"));
		tui_go(t, TUI_SCR_CARD);
		return 1;
	}
	tui_card_person_line(t->t_person_pending, sizeof(t->t_person_pending),
	    val(f, PE_NAME), val(f, PE_REL), val(f, PE_BIRTH),
	    val(f, PE_PHONES), val(f, PE_EMAIL));
	r.id = t->t_card_id;
	r.version = c->version;
	r.index = t->t_person_index;
	r.fields = fields;
	r.person = &p;
	req.op_case = KARTOTEKA__REQUEST__OP_PERSON_EDIT;
	req.person_edit = &r;
	return tui_link_send(t, &req, TUI_RQ_PERSON_EDIT, 0, 1);
}

/* Adds the form's person to the card at the version shown; keeps the
 * person's line as typed to show once it is saved. */
static int
send_person(tui_t *t)
{
	tui_form_t *f = &t->t_form;
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__PersonAddRequest r = KARTOTEKA__PERSON_ADD_REQUEST__INIT;
	Kartoteka__Person p = KARTOTEKA__PERSON__INIT;
	Kartoteka__Client shown;
	const Kartoteka__Client *c = tui_card_client(t, &shown);
	static const person_fields_t pf = { PS_NAME, PS_REL, PS_BIRTH,
		PS_PHONE, PS_EMAIL, 0 };
	person_buf_t pb;
	int given = person_given(f, &pf);

	if (c == NULL)
		return field_error(f, PS_NAME, _("the card is not here yet"));
	if (given && person(f, &pf, &p, &pb) < 0)
		return -1;
	if (!given || val(f, PS_NAME)[0] == '\0')
		return field_error(f, PS_NAME, _("name: who is it?"));
	tui_card_person_line(t->t_person_pending, sizeof(t->t_person_pending),
	    val(f, PS_NAME), val(f, PS_REL), val(f, PS_BIRTH),
	    val(f, PS_PHONE), val(f, PS_EMAIL));
	r.id = t->t_card_id;
	r.version = c->version;
	r.person = &p;
	req.op_case = KARTOTEKA__REQUEST__OP_PERSON_ADD;
	req.person_add = &r;
	return tui_link_send(t, &req, TUI_RQ_PERSON_ADD, 0, 1);
}

/* The filter form fills the list's request and opens the list. */
static int
apply_filter(tui_t *t)
{
	tui_form_t *f = &t->t_form;
	Kartoteka__ClientListRequest *q = &t->t_list_filter;
	int st = lookup(statuses, val(f, 1));
	int cat = lookup(categories, val(f, 2));
	const char *bm = val(f, 4), *co = val(f, 5);
	long m = 0;

	if (st < 0)
		return field_error(f, 1, _("status: lead, active, former or "
		    "empty"));
	if (cat < 0)
		return field_error(f, 2, _("category: A, B, C or empty"));
	if (bm[0] != '\0') {
		char *end = NULL;
		m = strtol(bm, &end, 10);
		if (end == bm || *end != '\0' || m < 1 || m > 12)
			return field_error(f, 4, _("birth month: 1 to 12, or "
			    "empty"));
	}
	int yes = strcasecmp(co, "yes") == 0 || strcmp(co, _("yes")) == 0;
	int no = strcasecmp(co, "no") == 0 || strcmp(co, _("no")) == 0;

	if (co[0] != '\0' && !yes && !no)
		return field_error(f, 5, _("children only: yes, no or empty"));
	if (!kt_text_take(t->t_list_manager, sizeof(t->t_list_manager),
	    val(f, 0)))
		return field_error(f, 0, _("manager: a login is at most 64 bytes"));
	if (!kt_text_take(t->t_list_tag, sizeof(t->t_list_tag), val(f, 3)))
		return field_error(f, 3, _("tag: too long"));
	kartoteka__client_list_request__init(q);
	q->manager = t->t_list_manager;
	q->tag = t->t_list_tag;
	q->status = (Kartoteka__ClientStatus)st;
	q->category = (Kartoteka__Category)cat;
	q->birth_month = (uint32_t)m;
	q->children_only = yes;
	tui_list_open(t);
	return 0;
}

static void
save(tui_t *t)
{
	int rc = 0;

	if (t->t_form_busy)
		return;
	tui_form_clear_errors(&t->t_form);
	switch (t->t_form_kind) {
	case TUI_FORM_NOTE: rc = send_note(t); break;
	case TUI_FORM_TASK: rc = send_task(t); break;
	case TUI_FORM_MOVE: rc = send_move(t); break;
	case TUI_FORM_CLIENT: rc = send_client(t); break;
	case TUI_FORM_DEAL: rc = send_deal(t); break;
	case TUI_FORM_EDIT: rc = send_edit(t); break;
	case TUI_FORM_PERSON: rc = send_person(t); break;
	case TUI_FORM_PERSON_EDIT: rc = send_person_edit(t); break;
	case TUI_FORM_PICK_PERSON: (void)apply_pick(t); return;
	case TUI_FORM_FILTER: (void)apply_filter(t); return;
	}
	if (rc == 0) {
		t->t_form_busy = 1;
		tui_say(t, 0, _("Saving..."));
	}
}

void
tui_form_key(tui_t *t, wint_t ch, int fkey)
{
	tui_form_t *f = &t->t_form;

	if (!fkey && ch == 27) {
		tui_form_reset(f);
		tui_say(t, 0, _("Cancelled: nothing saved"));
		tui_go(t, t->t_form_back);
		return;
	}
	if ((fkey && ch == KEY_F(2)) ||
	    (((!fkey && (ch == '\r' || ch == '\n')) || (fkey && ch == KEY_ENTER)) &&
	    f->fm_focus + 1 == f->fm_n)) {
		save(t);
		return;
	}
	(void)tui_form_move_or_edit(f, ch, fkey);
}

void
tui_form_draw(tui_t *t)
{
	char title[TUI_LINE_BYTES];
	const char *hint = "";

	switch (t->t_form_kind) {
	case TUI_FORM_NOTE:
		hint = _("channel: call, meeting, email, message, visit; "
		    "direction: in, out");
		break;
	case TUI_FORM_TASK:
		hint = _("due: 12.03.2026 or 12.03.2026 15:00; kind: call, "
		    "meeting, promise, other");
		break;
	case TUI_FORM_CLIENT:
		hint = _("relation: parent, child, contact, other; born: "
		    "12.03.2018 or 2018");
		break;
	case TUI_FORM_FILTER:
		hint = _("status: lead, active, former; category: A, B, C; "
		    "empty: any");
		break;
	case TUI_FORM_MOVE:
		hint = _("due: 12.03.2026 or 12.03.2026 15:00");
		break;
	case TUI_FORM_DEAL:
		hint = _("amount: 12500 or 12 500,50; currency: RUB, USD, EUR");
		break;
	case TUI_FORM_EDIT:
		hint = _("status: lead, active, former; category: A, B, C; "
		    "only what you change is saved");
		break;
	case TUI_FORM_PERSON:
		hint = _("relation: parent, child, contact, other; born: "
		    "12.03.2018 or 2018");
		break;
	case TUI_FORM_PICK_PERSON:
		hint = _("the number of the person as the card lists them");
		break;
	case TUI_FORM_PERSON_EDIT:
		hint = _("phones separated by commas; remove: yes takes the "
		    "person off the card");
		break;
	}
	if (t->t_form_kind == TUI_FORM_NOTE || t->t_form_kind == TUI_FORM_TASK ||
	    t->t_form_kind == TUI_FORM_DEAL || t->t_form_kind == TUI_FORM_EDIT ||
	    t->t_form_kind == TUI_FORM_PERSON ||
	    t->t_form_kind == TUI_FORM_PICK_PERSON ||
	    t->t_form_kind == TUI_FORM_PERSON_EDIT)
		snprintf(title, sizeof(title), "%s \xc2\xb7 %s (%llu)",
		    form_title(t->t_form_kind),
		    t->t_card != NULL && t->t_card->client != NULL &&
		    t->t_card->client->client != NULL ?
		    t->t_card->client->client->title : "",
		    (unsigned long long)t->t_card_id);
	else
		snprintf(title, sizeof(title), "%s", form_title(t->t_form_kind));
	attrset(A_BOLD);
	tui_put(1, 1, title, COLS - 1, 0);
	attrset(A_NORMAL);
	tui_put(2, 1, hint, COLS - 1, 0);
	tui_form_draw_fields(t, &t->t_form, 4);
}

void
tui_form_answer(tui_t *t, const tui_pending_t *pd, Kartoteka__Response **resp)
{
	const Kartoteka__Error *e = tui_error(*resp);
	const Kartoteka__ClientResponse *cr;

	t->t_form_busy = 0;
	if (e != NULL) {
		const char *msg = e->message != NULL ? e->message : "refused";
		if (t->t_screen == TUI_SCR_FORM)
			(void)tui_form_place_error(&t->t_form, e->field, msg);
		tui_say(t, 1, _("Not saved: %s"), msg);
		return;
	}
	switch (pd->pd_kind) {
	case TUI_RQ_NOTE_ADD:
		if (tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_NOTE) == NULL)
			goto wrong;
		tui_form_reset(&t->t_form);
		tui_say(t, 0, _("The call is logged on the card"));
		tui_card_refresh(t, (*resp)->note->note);
		return;
	case TUI_RQ_TASK_ADD:
		if (tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_TASK) == NULL)
			goto wrong;
		tui_form_reset(&t->t_form);
		t->t_agenda_loaded = 0;
		tui_say(t, 0, _("The task is set: it is on the agenda"));
		tui_card_refresh(t, NULL);
		return;
	case TUI_RQ_TASK_MOVE:
		if (tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_TASK) == NULL ||
		    (*resp)->task->task == NULL)
			goto wrong;
		tui_form_reset(&t->t_form);
		tui_say(t, 0, _("Moved to %s"), (*resp)->task->task->due);
		tui_go(t, TUI_SCR_AGENDA);
		tui_agenda_load(t);
		return;
	case TUI_RQ_DEAL_ADD:
		if (tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_DEAL) == NULL)
			goto wrong;
		tui_form_reset(&t->t_form);
		t->t_agenda_loaded = 0;
		tui_say(t, 0, _("The deal is added to the card"));
		tui_card_refresh(t, NULL);
		return;
	case TUI_RQ_PERSON_ADD:
		cr = tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_CLIENT);
		if (cr == NULL || cr->client == NULL)
			goto wrong;
		tui_form_reset(&t->t_form);
		tui_say(t, 0, _("Added to the card: version %llu"),
		    (unsigned long long)cr->client->version);
		tui_card_person_added(t, t->t_person_pending);
		tui_card_edited(t, resp);
		tui_card_refresh(t, NULL);
		return;
	case TUI_RQ_PERSON_EDIT:
	case TUI_RQ_PERSON_REMOVE:
		cr = tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_CLIENT);
		if (cr == NULL || cr->client == NULL)
			goto wrong;
		tui_form_reset(&t->t_form);
		tui_say(t, 0, pd->pd_kind == TUI_RQ_PERSON_REMOVE ?
		    _("Removed from the card: version %llu") :
		    _("Saved: version %llu"),
		    (unsigned long long)cr->client->version);
		tui_card_person_changed(t, t->t_person_index,
		    pd->pd_kind == TUI_RQ_PERSON_REMOVE ? NULL :
		    t->t_person_pending);
		tui_card_edited(t, resp);
		tui_card_refresh(t, NULL);
		return;
	case TUI_RQ_CLIENT_EDIT:
		cr = tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_CLIENT);
		if (cr == NULL || cr->client == NULL)
			goto wrong;
		tui_form_reset(&t->t_form);
		tui_say(t, 0, _("Saved: version %llu"),
		    (unsigned long long)cr->client->version);
		/* its contacts are masked: only its fields are shown */
		tui_card_edited(t, resp);
		tui_card_refresh(t, NULL);
		return;
	case TUI_RQ_CLIENT_ADD:
		cr = tui_result(*resp, KARTOTEKA__RESPONSE__RESULT_CLIENT);
		if (cr == NULL || cr->client == NULL)
			goto wrong;
		tui_form_reset(&t->t_form);
		/* A card just made is opened: a counted view, as for any. */
		t->t_card_back = TUI_SCR_AGENDA;
		tui_card_open(t, cr->client->id);
		tui_say(t, 0, _("Added: %s (%llu)"), cr->client->title != NULL ?
		    cr->client->title : "", (unsigned long long)cr->client->id);
		t->t_agenda_loaded = 0;
		return;
	default:
		return;
	}
wrong:
	tui_say(t, 1, _("The server sent an answer of the wrong kind"));
}
