/* SPDX-License-Identifier: MIT */
/* The model of a form on screen: labelled one-line UTF-8 fields with a
 * cursor, the field that has the focus, and an error placed under the
 * field the server's message names ("people[0].phones[0]: ..."). Nothing
 * here draws; the screens do. */
#ifndef KT_TUI_FORM_H
#define KT_TUI_FORM_H

#include <stddef.h>

#define TUI_FIELD_MAX 512      /* bytes of one field's value, NUL included */
#define TUI_FORM_FIELDS 16
#define TUI_ERROR_MAX 256

typedef struct tui_field {
	const char *fd_label;        /* shown before the value (static) */
	const char *fd_path;         /* the server's name of it: "topic",
	                              * "people[0].phones[0]"; NULL: none */
	int fd_secret;               /* a password: shown as '*', wiped */
	char fd_value[TUI_FIELD_MAX];
	size_t fd_len;               /* bytes in fd_value */
	size_t fd_cursor;            /* byte offset, at a character start */
	char fd_error[TUI_ERROR_MAX]; /* "" = none */
} tui_field_t;

typedef struct tui_form {
	tui_field_t fm_fields[TUI_FORM_FIELDS];
	size_t fm_n;
	size_t fm_focus;             /* index of the field with the cursor */
	char fm_error[TUI_ERROR_MAX]; /* an error naming no field */
} tui_form_t;

/* Empties the form (secrets wiped). */
void tui_form_reset(tui_form_t *f);

/* Appends a field; label and path must outlive the form (string
 * literals). Returns its index, or -1 when the form is full. */
int tui_form_add(tui_form_t *f, const char *label, const char *path,
    int secret);

/* Sets a field's value (cut at a character boundary to fit). */
void tui_form_set(tui_form_t *f, size_t i, const char *value);

/* The focused field, or NULL in an empty form. */
tui_field_t *tui_form_focused(tui_form_t *f);

/* Editing the focused field. tui_field_insert inserts the UTF-8 bytes
 * utf8[0..len) at the cursor; returns 0, or -1 when they would not fit or
 * are a control character (nothing changes). */
int tui_field_insert(tui_field_t *fd, const char *utf8, size_t len);
void tui_field_backspace(tui_field_t *fd);
void tui_field_delete(tui_field_t *fd);
void tui_field_left(tui_field_t *fd);
void tui_field_right(tui_field_t *fd);
void tui_field_home(tui_field_t *fd);
void tui_field_end(tui_field_t *fd);
/* Empties the field (wiped, for a secret). */
void tui_field_clear(tui_field_t *fd);

/* Moves the focus to the next / previous field, round. */
void tui_form_next(tui_form_t *f);
void tui_form_prev(tui_form_t *f);

/* Clears every error. */
void tui_form_clear_errors(tui_form_t *f);

/* tui_form_place_error puts the server's message under the field it names:
 * path (Error.field) when not empty, else the message's own prefix before
 * ": " when it is a field's path. A field named by a path under it
 * ("people[0].phones[0]" for a field "people[0].phones") counts too. The
 * focus moves to that field. Otherwise the message becomes fm_error.
 * Returns the field's index, or -1. */
int tui_form_place_error(tui_form_t *f, const char *path, const char *msg);

#endif
