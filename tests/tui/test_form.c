/* SPDX-License-Identifier: MIT */
/* Tests for client-tui/form.c: editing UTF-8 fields at a cursor, focus
 * order, secrets wiped, and a server error placed under the field it
 * names. */
#include <string.h>

#include "kt_test.h"

#include "form.h"

static void
edit_utf8(void **state)
{
	tui_form_t f;
	tui_field_t *fd;
	(void)state;
	tui_form_reset(&f);
	assert_int_equal(tui_form_add(&f, "Name", "name", 0), 0);
	fd = tui_form_focused(&f);
	assert_int_equal(tui_field_insert(fd, "Ё", 2), 0);
	assert_int_equal(tui_field_insert(fd, "лк", 4), 0);
	assert_string_equal(fd->fd_value, "Ёлк");
	tui_field_left(fd);
	assert_int_equal(fd->fd_cursor, 4);
	assert_int_equal(tui_field_insert(fd, "и", 2), 0);
	assert_string_equal(fd->fd_value, "Ёлик");
	tui_field_backspace(fd);                 /* the и */
	assert_string_equal(fd->fd_value, "Ёлк");
	tui_field_home(fd);
	tui_field_delete(fd);                    /* the Ё */
	assert_string_equal(fd->fd_value, "лк");
	assert_int_equal(fd->fd_cursor, 0);
	tui_field_backspace(fd);                 /* nothing before */
	assert_string_equal(fd->fd_value, "лк");
	tui_field_end(fd);
	tui_field_right(fd);
	assert_int_equal(fd->fd_cursor, fd->fd_len);
	assert_int_equal(fd->fd_len, 4);
	/* Control characters are not text. */
	assert_int_equal(tui_field_insert(fd, "\x1b", 1), -1);
	assert_string_equal(fd->fd_value, "лк");
}

static void
full_field_refuses(void **state)
{
	tui_form_t f;
	tui_field_t *fd;
	char big[TUI_FIELD_MAX + 8];
	(void)state;
	tui_form_reset(&f);
	tui_form_add(&f, "Topic", "topic", 0);
	fd = tui_form_focused(&f);
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	tui_form_set(&f, 0, big);
	assert_int_equal(fd->fd_len, TUI_FIELD_MAX - 1);
	assert_int_equal(tui_field_insert(fd, "b", 1), -1);
	/* Cut at a character boundary, never inside one. */
	memset(big, 0, sizeof(big));
	for (size_t i = 0; i + 2 < sizeof(big) - 1; i += 2)
		memcpy(big + i, "ё", 2);
	big[TUI_FIELD_MAX] = '\0';
	tui_form_set(&f, 0, big);
	assert_int_equal(fd->fd_len % 2, 0);
}

static void
focus_round(void **state)
{
	tui_form_t f;
	(void)state;
	tui_form_reset(&f);
	tui_form_add(&f, "a", "a", 0);
	tui_form_add(&f, "b", "b", 0);
	tui_form_add(&f, "c", "c", 0);
	assert_int_equal(f.fm_focus, 0);
	tui_form_next(&f);
	tui_form_next(&f);
	tui_form_next(&f);
	assert_int_equal(f.fm_focus, 0);
	tui_form_prev(&f);
	assert_int_equal(f.fm_focus, 2);
	for (int i = 0; i < TUI_FORM_FIELDS; i++)
		tui_form_add(&f, "x", NULL, 0);
	assert_int_equal(f.fm_n, TUI_FORM_FIELDS);
	assert_int_equal(tui_form_add(&f, "y", NULL, 0), -1);
}

static void
secret_wiped(void **state)
{
	tui_form_t f;
	tui_field_t *fd;
	(void)state;
	tui_form_reset(&f);
	tui_form_add(&f, "Password", "password", 1);
	fd = tui_form_focused(&f);
	tui_field_insert(fd, "secret-pw", 9);
	tui_field_backspace(fd);
	/* The byte backspaced over is gone, not just behind the NUL. */
	assert_int_equal(fd->fd_value[8], 0);
	assert_int_equal(fd->fd_value[9], 0);
	tui_field_clear(fd);
	for (size_t i = 0; i < sizeof(fd->fd_value); i++)
		assert_int_equal(fd->fd_value[i], 0);
}

static void
error_at_field(void **state)
{
	tui_form_t f;
	(void)state;
	tui_form_reset(&f);
	tui_form_add(&f, "Title", "title", 0);
	tui_form_add(&f, "1 Name", "people[0].name", 0);
	tui_form_add(&f, "1 Born", "people[0].birth", 0);
	tui_form_add(&f, "1 Phone", "people[0].phones", 0);
	tui_form_add(&f, "2 Phone", "people[1].phones", 0);
	/* From the message's own path. */
	assert_int_equal(tui_form_place_error(&f, NULL,
	    "people[1].phones[0]: '12' is too short"), 4);
	assert_string_equal(f.fm_fields[4].fd_error,
	    "people[1].phones[0]: '12' is too short");
	assert_int_equal(f.fm_focus, 4);
	/* birth_day belongs to the birth field. */
	assert_int_equal(tui_form_place_error(&f, NULL,
	    "people[0].birth_day: 30.02.2018 is not a date"), 2);
	/* Error.field, when the server sets it, wins over the text. */
	assert_int_equal(tui_form_place_error(&f, "title", "is empty"), 0);
	assert_int_equal(f.fm_focus, 0);
	/* A message naming no field goes to the form. */
	assert_int_equal(tui_form_place_error(&f, NULL,
	    "daily quota used up"), -1);
	assert_string_equal(f.fm_error, "daily quota used up");
	/* A prefix of a name is not that name. */
	assert_int_equal(tui_form_place_error(&f, NULL, "titles: no"), -1);
	tui_form_clear_errors(&f);
	assert_string_equal(f.fm_fields[4].fd_error, "");
	assert_string_equal(f.fm_error, "");
}

int
main(int argc, char **argv);
static const struct CMUnitTest tests[] = {
	cmocka_unit_test(edit_utf8),
	cmocka_unit_test(full_field_refuses),
	cmocka_unit_test(focus_round),
	cmocka_unit_test(secret_wiped),
	cmocka_unit_test(error_at_field),
};
KT_TEST_MAIN(tests)
