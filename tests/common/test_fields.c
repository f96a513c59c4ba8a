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

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(work_hours_rules),
	cmocka_unit_test(text_problem_rules),
	cmocka_unit_test(text_take_fits_or_not),
	cmocka_unit_test(pbtext_names_the_path),
	cmocka_unit_test(local_time_forms),
};

KT_TEST_MAIN(tests)
