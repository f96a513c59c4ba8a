/* SPDX-License-Identifier: MIT */
/* Tests for client-tui/text.c: display widths of Cyrillic, wide and
 * combining characters, cutting with an ellipsis, padding, and what comes
 * from the network made harmless. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "kt_test.h"

#include "text.h"

static int
utf8_locale(void **state)
{
	(void)state;
	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		return -1;
	return 0;
}

static void
widths(void **state)
{
	(void)state;
	assert_int_equal(tui_text_width(NULL), 0);
	assert_int_equal(tui_text_width(""), 0);
	assert_int_equal(tui_text_width("abc"), 3);
	assert_int_equal(tui_text_width("Ёлкины"), 6);          /* 12 bytes */
	assert_int_equal(tui_text_width("日本"), 4);             /* wide */
	assert_int_equal(tui_text_width("e\xcc\x81"), 1);        /* e + U+0301 */
	assert_int_equal(tui_text_width("a\x1b[2Jb"), 6);        /* ESC shown */
	assert_int_equal(tui_text_width("\xff\xfe"), 2);         /* invalid */
}

static void
fit_and_cut(void **state)
{
	char out[64];
	(void)state;
	assert_int_equal(tui_text_fit(out, sizeof(out), "Ёлкины", 10, 0), 6);
	assert_string_equal(out, "Ёлкины");
	assert_int_equal(tui_text_fit(out, sizeof(out), "Ёлкины", 10, 1), 10);
	assert_string_equal(out, "Ёлкины    ");
	/* Cut: one column shorter, and the ellipsis. */
	assert_int_equal(tui_text_fit(out, sizeof(out), "Соловьёвы", 5, 0), 5);
	assert_string_equal(out, "Соло…");
	assert_int_equal(tui_text_fit(out, sizeof(out), "Соловьёвы", 9, 0), 9);
	assert_string_equal(out, "Соловьёвы");
	/* A wide character that does not fit whole is left out. */
	assert_int_equal(tui_text_fit(out, sizeof(out), "a日本", 3, 1), 3);
	assert_string_equal(out, "a… ");
	assert_int_equal(tui_text_fit(out, sizeof(out), "abc", 0, 0), 0);
	assert_string_equal(out, "");
	assert_int_equal(tui_text_fit(out, sizeof(out), NULL, 2, 1), 2);
	assert_string_equal(out, "  ");
}

static void
small_buffer_never_splits(void **state)
{
	char out[6];
	(void)state;
	/* 5 bytes of room: two Cyrillic letters (4 bytes) and no half. */
	tui_text_fit(out, sizeof(out), "Ёлка", 4, 0);
	assert_string_equal(out, "Ёл");
	tui_text_fit(out, 1, "abc", 3, 0);
	assert_string_equal(out, "");
	assert_int_equal(tui_text_fit(out, 0, "abc", 3, 0), 0);
}

static void
hostile_text_is_harmless(void **state)
{
	char out[128];
	(void)state;
	tui_text_fit(out, sizeof(out), "x\x1b]0;pwned\x07y\r\n", 40, 0);
	assert_null(strchr(out, '\x1b'));
	assert_null(strchr(out, '\x07'));
	assert_null(strchr(out, '\r'));
	assert_string_equal(out, "x?]0;pwned?y??");
	/* A right-to-left override would show a name backwards. */
	tui_text_fit(out, sizeof(out), "a\xe2\x80\xae" "cba", 40, 0);
	assert_string_equal(out, "a?cba");
	tui_text_fit(out, sizeof(out), "\xc3(", 40, 0);
	assert_string_equal(out, "?(");
}

static void
columns(void **state)
{
	char buf[128] = "";
	(void)state;
	tui_text_col(buf, sizeof(buf), "Ёлкины", 8, 2);
	tui_text_col(buf, sizeof(buf), "id", 3, 0);
	assert_string_equal(buf, "Ёлкины    id ");
	assert_int_equal(tui_text_width(buf), 13);
}

static void
char_steps(void **state)
{
	const char *s = "aЁb";
	(void)state;
	assert_int_equal(tui_text_next_char(s, 4, 0), 1);
	assert_int_equal(tui_text_next_char(s, 4, 1), 3);
	assert_int_equal(tui_text_next_char(s, 4, 4), 4);
	assert_int_equal(tui_text_prev_char(s, 3), 1);
	assert_int_equal(tui_text_prev_char(s, 1), 0);
	assert_int_equal(tui_text_prev_char(s, 0), 0);
	assert_string_equal(tui_str(NULL), "");
	assert_ptr_equal(tui_str(s), s);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(widths),
		cmocka_unit_test(fit_and_cut),
		cmocka_unit_test(small_buffer_never_splits),
		cmocka_unit_test(hostile_text_is_harmless),
		cmocka_unit_test(columns),
		cmocka_unit_test(char_steps),
	};
	if (utf8_locale(NULL) != 0) {
		fprintf(stderr, "no C.UTF-8 locale\n");
		return 1;
	}
	if (argc > 1) {
		size_t i, n = sizeof(tests) / sizeof(tests[0]);
		for (i = 0; i < n; i++)
			if (strcmp(tests[i].name, argv[1]) == 0)
				break;
		if (i == n) {
			fprintf(stderr, "no test named '%s'\n", argv[1]);
			return 1;
		}
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
