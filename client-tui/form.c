/* SPDX-License-Identifier: MIT */
/* Editing and error placement of the fields of a form. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "form.h"
#include "text.h"

void
tui_form_reset(tui_form_t *f)
{
	sodium_memzero(f, sizeof(*f));
}

int
tui_form_add(tui_form_t *f, const char *label, const char *path, int secret)
{
	tui_field_t *fd;

	if (f->fm_n >= TUI_FORM_FIELDS)
		return -1;
	fd = &f->fm_fields[f->fm_n];
	memset(fd, 0, sizeof(*fd));
	fd->fd_label = label;
	fd->fd_path = path;
	fd->fd_secret = secret;
	return (int)f->fm_n++;
}

void
tui_form_set(tui_form_t *f, size_t i, const char *value)
{
	tui_field_t *fd;
	size_t n;

	if (i >= f->fm_n)
		return;
	fd = &f->fm_fields[i];
	tui_field_clear(fd);
	n = value != NULL ? strlen(value) : 0;
	if (n >= sizeof(fd->fd_value)) {
		n = sizeof(fd->fd_value) - 1;
		/* back to a character start */
		while (n > 0 && ((unsigned char)value[n] & 0xc0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(fd->fd_value, value, n);
	fd->fd_value[n] = '\0';
	fd->fd_len = n;
	fd->fd_cursor = n;
}

tui_field_t *
tui_form_focused(tui_form_t *f)
{
	return f->fm_n > 0 ? &f->fm_fields[f->fm_focus] : NULL;
}

int
tui_field_insert(tui_field_t *fd, const char *utf8, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)utf8[i] < 0x20 || utf8[i] == 0x7f)
			return -1;
	if (fd->fd_len + len >= sizeof(fd->fd_value))
		return -1;
	memmove(fd->fd_value + fd->fd_cursor + len, fd->fd_value +
	    fd->fd_cursor, fd->fd_len - fd->fd_cursor + 1);
	memcpy(fd->fd_value + fd->fd_cursor, utf8, len);
	fd->fd_len += len;
	fd->fd_cursor += len;
	return 0;
}

/* Removes bytes [from, to) of the value. */
static void
cut(tui_field_t *fd, size_t from, size_t to)
{
	if (from >= to)
		return;
	memmove(fd->fd_value + from, fd->fd_value + to, fd->fd_len - to + 1);
	fd->fd_len -= to - from;
	/* A password leaves no copy behind the NUL. */
	sodium_memzero(fd->fd_value + fd->fd_len + 1, to - from);
}

void
tui_field_backspace(tui_field_t *fd)
{
	size_t p = tui_text_prev_char(fd->fd_value, fd->fd_cursor);

	cut(fd, p, fd->fd_cursor);
	fd->fd_cursor = p;
}

void
tui_field_delete(tui_field_t *fd)
{
	cut(fd, fd->fd_cursor,
	    tui_text_next_char(fd->fd_value, fd->fd_len, fd->fd_cursor));
}

void
tui_field_left(tui_field_t *fd)
{
	fd->fd_cursor = tui_text_prev_char(fd->fd_value, fd->fd_cursor);
}

void
tui_field_right(tui_field_t *fd)
{
	fd->fd_cursor = tui_text_next_char(fd->fd_value, fd->fd_len,
	    fd->fd_cursor);
}

void
tui_field_home(tui_field_t *fd)
{
	fd->fd_cursor = 0;
}

void
tui_field_end(tui_field_t *fd)
{
	fd->fd_cursor = fd->fd_len;
}

void
tui_field_clear(tui_field_t *fd)
{
	sodium_memzero(fd->fd_value, sizeof(fd->fd_value));
	fd->fd_len = 0;
	fd->fd_cursor = 0;
}

void
tui_form_next(tui_form_t *f)
{
	if (f->fm_n > 0)
		f->fm_focus = (f->fm_focus + 1) % f->fm_n;
}

void
tui_form_prev(tui_form_t *f)
{
	if (f->fm_n > 0)
		f->fm_focus = (f->fm_focus + f->fm_n - 1) % f->fm_n;
}

void
tui_form_clear_errors(tui_form_t *f)
{
	f->fm_error[0] = '\0';
	for (size_t i = 0; i < f->fm_n; i++)
		f->fm_fields[i].fd_error[0] = '\0';
}

/* 1 when name is path, or a path under it ("path.x", "path[2]"). */
static int
names(const char *path, const char *name, size_t namelen)
{
	size_t n = strlen(path);

	if (namelen < n || strncmp(path, name, n) != 0)
		return 0;
	return namelen == n || name[n] == '.' || name[n] == '[' ||
	    name[n] == '_';
}

int
tui_form_place_error(tui_form_t *f, const char *path, const char *msg)
{
	const char *name = path;
	size_t namelen = path != NULL ? strlen(path) : 0;
	int best = -1;
	size_t bestlen = 0;

	if (msg == NULL)
		msg = "";
	if (namelen == 0) {
		const char *colon = strstr(msg, ": ");
		name = msg;
		namelen = colon != NULL ? (size_t)(colon - msg) : 0;
	}
	/* The longest path that names it: "people[0].phones" before
	 * "people[0]". */
	for (size_t i = 0; i < f->fm_n && namelen > 0; i++) {
		const char *p = f->fm_fields[i].fd_path;
		if (p != NULL && names(p, name, namelen) && strlen(p) > bestlen) {
			best = (int)i;
			bestlen = strlen(p);
		}
	}
	if (best < 0) {
		snprintf(f->fm_error, sizeof(f->fm_error), "%s", msg);
		return -1;
	}
	snprintf(f->fm_fields[best].fd_error,
	    sizeof(f->fm_fields[best].fd_error), "%s", msg);
	f->fm_focus = (size_t)best;
	return best;
}
