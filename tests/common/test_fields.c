/* SPDX-License-Identifier: MIT */
/* Tests for common/fields.c (the shared text-field rule) and
 * common/pbtext.c (NUL bytes and bad UTF-8 found on the wire). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kt_test.h"

#include "fields.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"
#include "pbtext.h"

static void
text_problem_rules(void **state)
{
	char n65[66];

	(void)state;
	memset(n65, 'n', 65);
	n65[65] = '\0';
	assert_null(kt_text_problem("Центр", 1, KT_NAME_MAX, 0));
	assert_null(kt_text_problem("", 0, KT_ADDRESS_MAX, 0));
	assert_null(kt_text_problem(NULL, 0, KT_ADDRESS_MAX, 0));
	assert_string_equal(kt_text_problem("", 1, KT_NAME_MAX, 0), "is empty");
	assert_string_equal(kt_text_problem(n65, 1, KT_TERMINAL_NAME_MAX, 0),
	    "is longer than 64 bytes");
	n65[64] = '\0';
	assert_null(kt_text_problem(n65, 1, KT_TERMINAL_NAME_MAX, 0));
	assert_string_equal(kt_text_problem("a\tb", 1, 10, 0),
	    "contains control characters or invalid UTF-8");
	assert_null(kt_text_problem("a\tb\nc", 1, 10, 1));
	assert_string_equal(kt_text_problem("desk\xc2\x85", 1, 64, 0),
	    "contains control characters or invalid UTF-8");
	assert_string_equal(kt_text_problem("\xff", 1, 64, 0),
	    "contains control characters or invalid UTF-8");
	assert_string_equal(kt_text_problem("abc", 1, 2, 0), "is too long");
}

static void
text_take_fits_or_not(void **state)
{
	char b[4] = "xyz";

	(void)state;
	assert_int_equal(kt_text_take(b, sizeof(b), "abc"), 1);
	assert_string_equal(b, "abc");
	assert_int_equal(kt_text_take(b, sizeof(b), "abcd"), 0);
	assert_string_equal(b, "abc");      /* untouched */
	assert_int_equal(kt_text_take(b, sizeof(b), NULL), 1);
	assert_string_equal(b, "");
}

/* Packs a client_add Request with title t (len bytes, may hold NULs) in
 * a person's name. */
static size_t
pack_add(uint8_t *out, const char *t, size_t len)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientAddRequest ar = KARTOTEKA__CLIENT_ADD_REQUEST__INIT;
	Kartoteka__Client cl = KARTOTEKA__CLIENT__INIT;
	Kartoteka__Person p0 = KARTOTEKA__PERSON__INIT, p1 =
	    KARTOTEKA__PERSON__INIT;
	Kartoteka__Person *people[2] = { &p0, &p1 };
	size_t n;

	p0.name = "Анна";
	p1.name = "XXXXXXXX";          /* replaced by t on the wire below */
	cl.title = "Ивановы";
	cl.n_people = 2;
	cl.people = people;
	ar.client = &cl;
	req.id = 3;
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_ADD;
	req.client_add = &ar;
	n = kartoteka__request__pack(&req, out);
	/* The second person's name, in place: same length as the marker. */
	assert_int_equal(len, 8);
	for (size_t i = 0; i + 8 <= n; i++)
		if (memcmp(out + i, "XXXXXXXX", 8) == 0) {
			memcpy(out + i, t, 8);
			break;
		}
	return n;
}

static void
pbtext_names_the_path(void **state)
{
	uint8_t buf[512];
	char path[128];
	size_t n;

	(void)state;
	n = pack_add(buf, "Петя", 8);
	assert_int_equal(kt_pbtext_check(&kartoteka__request__descriptor, buf,
	    n, path, sizeof(path)), 0);
	assert_string_equal(path, "");
	n = pack_add(buf, "Pe\0ya\0\0\0", 8);
	assert_int_equal(kt_pbtext_check(&kartoteka__request__descriptor, buf,
	    n, path, sizeof(path)), KT_EINVAL);
	assert_string_equal(path,
	    "client_add.client.people[1].name: contains a NUL byte");
	n = pack_add(buf, "Pe\xff\xfe" "abcd", 8);
	assert_int_equal(kt_pbtext_check(&kartoteka__request__descriptor, buf,
	    n, path, sizeof(path)), KT_EINVAL);
	assert_string_equal(path,
	    "client_add.client.people[1].name: is not valid UTF-8 text");
	/* Garbage is the decoder's to refuse: nothing reported here. */
	memset(buf, 0xff, 32);
	assert_int_equal(kt_pbtext_check(&kartoteka__request__descriptor, buf,
	    32, path, sizeof(path)), 0);
	/* A path too long for the buffer is cut, still terminated. */
	n = pack_add(buf, "Pe\0ya\0\0\0", 8);
	assert_int_equal(kt_pbtext_check(&kartoteka__request__descriptor, buf,
	    n, path, 12), KT_EINVAL);
	assert_int_equal(strlen(path), 11);
}

static void
work_hours_rules(void **state)
{
	const char *bad[] = { "9-18", "09:00", "09:00-09:00", "24:00-10:00",
		"09:60-18:00", "09:00-24:01", "09:00_18:00", "09:00-18:00 ",
		"ab:cd-ef:gh" };
	unsigned from = 1, to = 1;
	char out[16];

	(void)state;
	assert_int_equal(kt_work_hours_parse("09:00-21:30", &from, &to), 0);
	assert_int_equal(from, 540);
	assert_int_equal(to, 1290);
	assert_string_equal(kt_work_hours_format(from, to, out, sizeof(out)),
	    "09:00-21:30");
	assert_int_equal(kt_work_hours_parse("", &from, &to), 0);
	assert_true(from == 0 && to == 0);
	assert_string_equal(kt_work_hours_format(0, 0, out, sizeof(out)), "");
	assert_int_equal(kt_work_hours_parse(NULL, &from, &to), 0);
	assert_int_equal(kt_work_hours_parse("08:00-24:00", &from, &to), 0);
	assert_int_equal(to, 1440);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kt_work_hours_parse(bad[i], &from, &to), -1);
	/* Within: the end excluded; a night shift over midnight; unset. */
	assert_true(kt_work_hours_within(540, 1290, 540));
	assert_false(kt_work_hours_within(540, 1290, 1290));
	assert_false(kt_work_hours_within(540, 1290, 100));
	assert_true(kt_work_hours_within(1320, 360, 30));
	assert_false(kt_work_hours_within(1320, 360, 720));
	assert_true(kt_work_hours_within(0, 0, 3));
}

static void
local_time_forms(void **state)
{
	static const char *const bad[] = { "", "12:5", "24:00", "12:60",
		"2026-02-30", "2026-13-01", "2026-1-01", "2026-01-01 9:00",
		"2026-01-01x12:00", "2026-01-01 12:00 ", "noon", "12-00" };
	int64_t t, now;
	int timed = -1;

	(void)state;
	/* In UTC, so the figures are fixed; mktime reads TZ. */
	setenv("TZ", "UTC", 1);
	tzset();
	now = 1780000000;            /* 2026-05-28 20:26:40 UTC */
	assert_int_equal(kt_local_time_parse("2026-03-05 14:30", now, 0, &t,
	    &timed), 0);
	assert_true(t == 1772721000 && timed == 1);
	assert_int_equal(kt_local_time_parse("2026-03-05T14:30", now, 0, &t,
	    NULL), 0);
	assert_true(t == 1772721000);
	assert_int_equal(kt_local_time_parse("2026-03-05", now, 720, &t,
	    &timed), 0);
	assert_true(t == 1772712000 && timed == 0);
	assert_int_equal(kt_local_time_parse("2026-03-05", now, 0, &t, NULL),
	    0);
	assert_true(t == 1772668800);
	assert_int_equal(kt_local_time_parse("09:15", now, 0, &t, &timed), 0);
	assert_true(t == 1779959700 && timed == 1);
	assert_int_equal(kt_local_time_parse("2024-02-29", now, 0, &t, NULL),
	    0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kt_local_time_parse(bad[i], now, 0, &t, NULL),
		    -1);
	assert_int_equal(kt_local_time_parse(NULL, now, 0, &t, NULL), -1);
	assert_int_equal(kt_local_time_parse("2026-03-05", now, 1440, &t,
	    NULL), -1);
}

static void
amount_parse_and_format(void **state)
{
	static const char *const bad[] = { "12.345", "-5", "abc", "", " ",
		"12 500.5 0", "1.2.3", ".5", "12 ,50", "1e3", "12500,", NULL };
	const char *why = NULL;
	char out[KT_AMOUNT_TEXT_MAX];
	int64_t v;

	(void)state;
	assert_int_equal(kt_currency_exponent("RUB"), 2);
	assert_int_equal(kt_currency_exponent("USD"), 2);
	assert_int_equal(kt_currency_exponent("KZT"), 2);
	assert_int_equal(kt_currency_exponent("JPY"), 0);
	assert_int_equal(kt_currency_exponent("KWD"), 3);
	assert_int_equal(kt_currency_exponent("XYZ"), 2);
	assert_int_equal(kt_currency_exponent(NULL), 2);
	assert_int_equal(kt_amount_parse("12500", 2, &v, &why), 0);
	assert_int_equal(v, 1250000);
	assert_int_equal(kt_amount_parse("12500.00", 2, &v, &why), 0);
	assert_int_equal(v, 1250000);
	assert_int_equal(kt_amount_parse("12 500,50", 2, &v, &why), 0);
	assert_int_equal(v, 1250050);
	assert_int_equal(kt_amount_parse("12\xc2\xa0" "500,5", 2, &v, &why),
	    0);
	assert_int_equal(v, 1250050);
	assert_int_equal(kt_amount_parse(" 0 ", 2, &v, &why), 0);
	assert_int_equal(v, 0);
	assert_int_equal(kt_amount_parse("12500", 0, &v, &why), 0);
	assert_int_equal(v, 12500);
	assert_int_equal(kt_amount_parse("1.5", 0, &v, &why), KT_EINVAL);
	assert_string_equal(why, "has digits after the point (the currency "
	    "has no minor units)");
	assert_int_equal(kt_amount_parse("12.345", 2, &v, &why), KT_EINVAL);
	assert_string_equal(why, "has more than 2 digits after the point");
	assert_int_equal(kt_amount_parse("-5", 2, &v, &why), KT_EINVAL);
	assert_string_equal(why, "is negative");
	for (size_t i = 0; bad[i] != NULL; i++) {
		why = NULL;
		if (kt_amount_parse(bad[i], 2, &v, &why) != KT_EINVAL)
			fail_msg("'%s' was taken", bad[i]);
		assert_non_null(why);
	}
	/* The limit: 10^15 minor units. */
	assert_int_equal(kt_amount_parse("9999999999999.99", 2, &v, &why), 0);
	assert_int_equal(v, KT_AMOUNT_LIMIT - 1);
	assert_int_equal(kt_amount_parse("10000000000000", 2, &v, &why),
	    KT_EINVAL);
	assert_string_equal(why, "is too large");
	assert_int_equal(kt_amount_parse("99999999999999999999999", 0, &v,
	    &why), KT_EINVAL);
	/* Printed back as the parser reads it. */
	assert_string_equal(kt_amount_format(1250050, 2, out, sizeof(out)),
	    "12 500.50");
	assert_string_equal(kt_amount_format(5, 2, out, sizeof(out)), "0.05");
	assert_string_equal(kt_amount_format(0, 2, out, sizeof(out)), "0.00");
	assert_string_equal(kt_amount_format(1234567, 0, out, sizeof(out)),
	    "1 234 567");
	assert_string_equal(kt_amount_format(KT_AMOUNT_LIMIT - 1, 2, out,
	    sizeof(out)), "9 999 999 999 999.99");
	assert_string_equal(kt_amount_format(-150, 2, out, sizeof(out)),
	    "-1.50");
	assert_int_equal(kt_amount_parse(kt_amount_format(123456789, 3, out,
	    sizeof(out)), 3, &v, &why), 0);
	assert_int_equal(v, 123456789);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(amount_parse_and_format),
	cmocka_unit_test(work_hours_rules),
	cmocka_unit_test(text_problem_rules),
	cmocka_unit_test(text_take_fits_or_not),
	cmocka_unit_test(pbtext_names_the_path),
	cmocka_unit_test(local_time_forms),
};

KT_TEST_MAIN(tests)
