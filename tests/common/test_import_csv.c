/* SPDX-License-Identifier: MIT */
/* Unit tests for common/import_csv.c: what reaches the row callback for
 * each encoding, delimiter and quoting, with the lines rows start on, and
 * hostile input. */
#include "kt_test.h"

#include <stdlib.h>

#include "import_csv.h"
#include "kt_error.h"
#include "common/import_rows.h"

/* Reads text with enc and delim; asserts success; returns the rows. */
static void
read_ok(const char *text, size_t len, kt_ienc_t enc, char delim,
    const char *want, kt_csv_info_t *info)
{
	seen_t s = { .len = 0 };
	char err[200] = "";
	int rc = kt_csv_read((const uint8_t *)text, len, enc, delim, collect,
	    &s, info, err, sizeof(err));

	if (rc != 0)
		print_error("kt_csv_read: %d %s\n", rc, err);
	assert_int_equal(rc, 0);
	assert_string_equal(s.text, want);
}

static void
utf8_semicolon(void **state)
{
	const char *t = "ФИО;Телефон\nИванова Мария;+7 912 345-67-89\n";
	kt_csv_info_t info;

	(void)state;
	read_ok(t, strlen(t), KT_IENC_AUTO, 0,
	    "1:ФИО|Телефон\n2:Иванова Мария|+7 912 345-67-89\n", &info);
	assert_int_equal(info.ci_encoding, KT_IENC_UTF8);
	assert_int_equal(info.ci_delimiter, ';');
	assert_int_equal(info.ci_bom, 0);
	assert_int_equal(info.ci_rows, 2);
}

static void
bom_and_comma(void **state)
{
	const char *t = "\xef\xbb\xbfName,Phone\r\nAnna,\"8 912, доб. 2\"\r\n";
	kt_csv_info_t info;

	(void)state;
	read_ok(t, strlen(t), KT_IENC_AUTO, 0,
	    "1:Name|Phone\n2:Anna|8 912, доб. 2\n", &info);
	assert_int_equal(info.ci_bom, 1);
	assert_int_equal(info.ci_delimiter, ',');
	assert_int_equal(info.ci_encoding, KT_IENC_UTF8);
}

/* "ФИО;Телефон\nЁлкин;1\n" in cp1251. */
static const char cp1251_text[] =
    "\xd4\xc8\xce;\xd2\xe5\xeb\xe5\xf4\xee\xed\n\xa8\xeb\xea\xe8\xed;1\n";

static void
cp1251_auto(void **state)
{
	kt_csv_info_t info;

	(void)state;
	read_ok(cp1251_text, sizeof(cp1251_text) - 1, KT_IENC_AUTO, 0,
	    "1:ФИО|Телефон\n2:Ёлкин|1\n", &info);
	assert_int_equal(info.ci_encoding, KT_IENC_CP1251);
}

static void
cp1251_forced(void **state)
{
	/* Plain ASCII is the same in both; forced cp1251 converts it. */
	const char *t = "a;b\n\xb9 5;\x88\n";  /* "№ 5", "€" */

	(void)state;
	read_ok(t, strlen(t), KT_IENC_CP1251, ';', "1:a|b\n2:№ 5|€\n", NULL);
}

static void
tab_delimiter(void **state)
{
	const char *t = "a\tb\tc\n 1 \t\t3\n";

	(void)state;
	/* Guessed from the first line; the tab is no padding, the space is. */
	read_ok(t, strlen(t), KT_IENC_AUTO, 0, "1:a|b|c\n2:1||3\n", NULL);
	read_ok(t, strlen(t), KT_IENC_UTF8, '\t', "1:a|b|c\n2:1||3\n", NULL);
}

static void
quoted_multiline(void **state)
{
	const char *t = "a;b\n\"line one\nline \"\"two\"\"\";x\n3;4\n";

	(void)state;
	read_ok(t, strlen(t), KT_IENC_AUTO, ';',
	    "1:a|b\n2:line one\nline \"two\"|x\n4:3|4\n", NULL);
}

static void
line_numbers_skip_blank(void **state)
{
	const char *t = "h\n\n\r\nr1\n\nr2";

	(void)state;
	read_ok(t, strlen(t), KT_IENC_AUTO, ';', "1:h\n4:r1\n6:r2\n", NULL);
}

static void
guess_delimiter(void **state)
{
	(void)state;
	assert_int_equal(kt_csv_delimiter_guess((const uint8_t *)"a,b;c,d", 7),
	    ',');
	assert_int_equal(kt_csv_delimiter_guess((const uint8_t *)"a;b,c", 5),
	    ';');
	assert_int_equal(kt_csv_delimiter_guess((const uint8_t *)"\"a;b;c\",d",
	    9), ',');
	assert_int_equal(kt_csv_delimiter_guess((const uint8_t *)"abc", 3), ';');
	assert_int_equal(kt_csv_delimiter_guess((const uint8_t *)"a\tb\nc;d;e",
	    9), '\t');
	assert_int_equal(kt_csv_delimiter_guess(NULL, 0), ';');
}

static void
invalid_utf8_declared(void **state)
{
	seen_t s = { .len = 0 };
	char err[200];

	(void)state;
	assert_int_equal(kt_csv_read((const uint8_t *)"a\nb\xff\n", 5,
	    KT_IENC_UTF8, ';', collect, &s, NULL, err, sizeof(err)), KT_EINVAL);
	assert_string_equal(err, "line 2: not valid UTF-8 (try --encoding "
	    "cp1251)");
	assert_int_equal(s.rows, 0);
}

static void
nul_and_limits(void **state)
{
	char *big = malloc(KT_IMPORT_CELL_MAX + 64);
	seen_t s = { .len = 0 };
	char err[200];
	size_t n = 0;

	(void)state;
	assert_non_null(big);
	/* A NUL inside a cell. */
	read_ok("a;b\x00" "c;d\n", 8, KT_IENC_AUTO, ';',
	    "1:a||d!column 2: contains a NUL byte\n", NULL);
	/* Too many columns: the first 256 kept, the row flagged. */
	for (size_t i = 0; i < KT_IMPORT_COLS_MAX + 5; i++)
		big[n++] = ';';
	big[n++] = '\n';
	memcpy(big + n, "x\n", 2);
	n += 2;
	assert_int_equal(kt_csv_read((uint8_t *)big, n, KT_IENC_AUTO, ';',
	    collect, &s, NULL, err, sizeof(err)), 0);
	assert_int_equal(s.rows, 2);
	assert_non_null(strstr(s.text, "!more than 256 columns\n2:x\n"));
	/* A cell over the limit. */
	memset(big, 'y', KT_IMPORT_CELL_MAX + 1);
	memcpy(big + KT_IMPORT_CELL_MAX + 1, ";z\n", 3);
	memset(&s, 0, sizeof(s));
	assert_int_equal(kt_csv_read((uint8_t *)big, KT_IMPORT_CELL_MAX + 4,
	    KT_IENC_UTF8, ';', collect, &s, NULL, err, sizeof(err)), 0);
	assert_string_equal(s.text, "1:|z!column 1: longer than 32768 bytes\n");
	free(big);
}

static void
callback_stops(void **state)
{
	seen_t s = { .stop_after = 2 };
	char err[200];
	const char *t = "1\n2\n3\n4\n";

	(void)state;
	assert_int_equal(kt_csv_read((const uint8_t *)t, strlen(t),
	    KT_IENC_AUTO, ';', collect, &s, NULL, err, sizeof(err)), 7);
	assert_string_equal(s.text, "1:1\n2:2\n");
}

static void
cp1251_undefined_byte(void **state)
{
	seen_t s = { .len = 0 };
	char err[200];

	(void)state;
	assert_int_equal(kt_csv_read((const uint8_t *)"a\n\x98\n", 4,
	    KT_IENC_CP1251, ';', collect, &s, NULL, err, sizeof(err)),
	    KT_EINVAL);
	assert_string_equal(err, "line 2: byte 0x98 is not a character of "
	    "cp1251");
}

static void
empty_file(void **state)
{
	kt_csv_info_t info;

	(void)state;
	read_ok("", 0, KT_IENC_AUTO, 0, "", &info);
	assert_int_equal(info.ci_rows, 0);
	read_ok("\xef\xbb\xbf", 3, KT_IENC_AUTO, 0, "", &info);
	assert_int_equal(info.ci_bom, 1);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(utf8_semicolon),
	cmocka_unit_test(bom_and_comma),
	cmocka_unit_test(cp1251_auto),
	cmocka_unit_test(cp1251_forced),
	cmocka_unit_test(tab_delimiter),
	cmocka_unit_test(quoted_multiline),
	cmocka_unit_test(line_numbers_skip_blank),
	cmocka_unit_test(guess_delimiter),
	cmocka_unit_test(invalid_utf8_declared),
	cmocka_unit_test(nul_and_limits),
	cmocka_unit_test(callback_stops),
	cmocka_unit_test(cp1251_undefined_byte),
	cmocka_unit_test(empty_file),
};

KT_TEST_MAIN(tests)
