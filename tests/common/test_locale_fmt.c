/* SPDX-License-Identifier: MIT */
/* Tests for common/locale_fmt.c: dates, date-times and money in Russian
 * and English, the edges of each, and the language taken from the
 * catalogue in use (NULL lang). */
#include <limits.h>
#include <stdlib.h>
#include <time.h>

#include "kt_test.h"

#include "i18n.h"
#include "locale_fmt.h"

static void
ymd(void **state)
{
	char b[KT_FMT_DATE_MAX];

	(void)state;
	assert_string_equal(kt_fmt_ymd(2026, 11, 29, "ru", b, sizeof b),
	    "29.11.2026");
	assert_string_equal(kt_fmt_ymd(2026, 11, 29, "en", b, sizeof b),
	    "2026-11-29");
	assert_string_equal(kt_fmt_ymd(2026, 1, 5, "ru", b, sizeof b),
	    "05.01.2026");
	/* no year: a birthday */
	assert_string_equal(kt_fmt_ymd(0, 3, 14, "ru", b, sizeof b), "14.03");
	assert_string_equal(kt_fmt_ymd(0, 3, 14, "en", b, sizeof b),
	    "--03-14");
	assert_string_equal(kt_fmt_ymd(0, 2, 29, "ru", b, sizeof b), "29.02");
	/* impossible dates */
	assert_string_equal(kt_fmt_ymd(2025, 2, 29, "ru", b, sizeof b), "?");
	assert_string_equal(kt_fmt_ymd(2024, 2, 29, "ru", b, sizeof b),
	    "29.02.2024");
	assert_string_equal(kt_fmt_ymd(1900, 2, 29, "en", b, sizeof b), "?");
	assert_string_equal(kt_fmt_ymd(2000, 2, 29, "en", b, sizeof b),
	    "2000-02-29");
	assert_string_equal(kt_fmt_ymd(2026, 13, 1, "ru", b, sizeof b), "?");
	assert_string_equal(kt_fmt_ymd(2026, 0, 1, "ru", b, sizeof b), "?");
	assert_string_equal(kt_fmt_ymd(2026, 4, 31, "ru", b, sizeof b), "?");
	assert_string_equal(kt_fmt_ymd(2026, 4, 0, "ru", b, sizeof b), "?");
	/* any other language is English */
	assert_string_equal(kt_fmt_ymd(2026, 11, 29, "de", b, sizeof b),
	    "2026-11-29");
	/* a short buffer is truncated, never overrun */
	assert_string_equal(kt_fmt_ymd(2026, 11, 29, "ru", b, 4), "29.");
}

static void
day(void **state)
{
	char b[KT_FMT_DATE_MAX];

	(void)state;
	assert_string_equal(kt_fmt_day(0, "ru", b, sizeof b), "01.01.1970");
	assert_string_equal(kt_fmt_day(0, "en", b, sizeof b), "1970-01-01");
	/* 2026-11-29 is day 20786 */
	assert_string_equal(kt_fmt_day(20786, "ru", b, sizeof b),
	    "29.11.2026");
	assert_string_equal(kt_fmt_day(20786, "en", b, sizeof b),
	    "2026-11-29");
	assert_string_equal(kt_fmt_day(11016, "ru", b, sizeof b),
	    "29.02.2000");
	assert_string_equal(kt_fmt_day(-1, "en", b, sizeof b), "1969-12-31");
	/* out of every year the output can hold */
	assert_string_equal(kt_fmt_day(INT64_MAX, "ru", b, sizeof b), "?");
	assert_string_equal(kt_fmt_day(INT64_MIN, "ru", b, sizeof b), "?");
	assert_string_equal(kt_fmt_day(-800000, "ru", b, sizeof b), "?");
}

static void
date_text(void **state)
{
	char b[64];

	(void)state;
	assert_string_equal(kt_fmt_date_text("2026-11-29", "ru", b, sizeof b),
	    "29.11.2026");
	assert_string_equal(kt_fmt_date_text("2026-11-29", "en", b, sizeof b),
	    "2026-11-29");
	assert_string_equal(kt_fmt_date_text("2026-11-29 14:00", "ru", b,
	    sizeof b), "29.11.2026 14:00");
	assert_string_equal(kt_fmt_date_text("--03-14", "ru", b, sizeof b),
	    "14.03");
	/* anything else is kept as the server sent it */
	assert_string_equal(kt_fmt_date_text("", "ru", b, sizeof b), "");
	assert_string_equal(kt_fmt_date_text(NULL, "ru", b, sizeof b), "");
	assert_string_equal(kt_fmt_date_text("завтра", "ru", b, sizeof b),
	    "завтра");
	assert_string_equal(kt_fmt_date_text("2026-02-30", "ru", b, sizeof b),
	    "2026-02-30");
	assert_string_equal(kt_fmt_date_text("2026-11-290", "ru", b, sizeof b),
	    "2026-11-290");
	assert_string_equal(kt_fmt_date_text("0000-11-29", "ru", b, sizeof b),
	    "0000-11-29");
	assert_string_equal(kt_fmt_date_text("2026-1", "ru", b, sizeof b),
	    "2026-1");
}

static void
month_text(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(kt_fmt_month_text("2026-11", "ru", b, sizeof b),
	    "11.2026");
	assert_string_equal(kt_fmt_month_text("2026-11", "en", b, sizeof b),
	    "2026-11");
	assert_string_equal(kt_fmt_month_text("2026-13", "ru", b, sizeof b),
	    "2026-13");
	assert_string_equal(kt_fmt_month_text("2026-11-29", "ru", b, sizeof b),
	    "2026-11-29");
	assert_string_equal(kt_fmt_month_text(NULL, "ru", b, sizeof b), "");
	assert_string_equal(kt_fmt_month_text("ноябрь", "ru", b, sizeof b),
	    "ноябрь");
}

static void
datetime(void **state)
{
	char b[KT_FMT_DATETIME_MAX];
	/* 2026-11-29 14:05:09 UTC */
	int64_t t = 20786LL * 86400 + 14 * 3600 + 5 * 60 + 9;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_string_equal(kt_fmt_datetime(t, 0, 0, "ru", b, sizeof b),
	    "29.11.2026 14:05");
	assert_string_equal(kt_fmt_datetime(t, 0, 0, "en", b, sizeof b),
	    "2026-11-29 14:05");
	assert_string_equal(kt_fmt_datetime(t, 1, 1, "ru", b, sizeof b),
	    "29.11.2026 14:05:09 +0000");
	assert_string_equal(kt_fmt_datetime(t, 1, 0, "en", b, sizeof b),
	    "2026-11-29 14:05:09");
	assert_string_equal(kt_fmt_local_date(t, "ru", b, sizeof b),
	    "29.11.2026");
	assert_string_equal(kt_fmt_local_date(t, "en", b, sizeof b),
	    "2026-11-29");
	/* Moscow: three hours ahead, the next day after 21:00 UTC */
	setenv("TZ", "MSK-3", 1);
	tzset();
	assert_string_equal(kt_fmt_datetime(t + 7 * 3600, 0, 1, "ru", b,
	    sizeof b), "30.11.2026 00:05 +0300");
	assert_string_equal(kt_fmt_local_date(t + 7 * 3600, "en", b, sizeof b),
	    "2026-11-30");
	/* a time localtime cannot take is the number */
	assert_string_equal(kt_fmt_datetime(INT64_MAX, 0, 0, "ru", b,
	    sizeof b), "9223372036854775807");
	assert_string_equal(kt_fmt_local_date(INT64_MIN, "ru", b, sizeof b),
	    "-9223372036854775808");
}

static void
money(void **state)
{
	char b[KT_FMT_MONEY_MAX];

	(void)state;
	assert_string_equal(kt_fmt_money(123456750, 2, "ru", b, sizeof b),
	    "1 234 567,50");
	assert_string_equal(kt_fmt_money(123456750, 2, "en", b, sizeof b),
	    "1,234,567.50");
	assert_string_equal(kt_fmt_money(0, 2, "ru", b, sizeof b), "0,00");
	assert_string_equal(kt_fmt_money(5, 2, "en", b, sizeof b), "0.05");
	assert_string_equal(kt_fmt_money(100000, 2, "ru", b, sizeof b),
	    "1 000,00");
	assert_string_equal(kt_fmt_money(99999, 2, "ru", b, sizeof b),
	    "999,99");
	assert_string_equal(kt_fmt_money(5000, 0, "ru", b, sizeof b), "5 000");
	assert_string_equal(kt_fmt_money(5000, 0, "en", b, sizeof b), "5,000");
	assert_string_equal(kt_fmt_money(1234567, 3, "en", b, sizeof b),
	    "1,234.567");
	assert_string_equal(kt_fmt_money(1234567, 9, "en", b, sizeof b),
	    "1,234.567");
	assert_string_equal(kt_fmt_money(-1250050, 2, "ru", b, sizeof b),
	    "-12 500,50");
	assert_string_equal(kt_fmt_money(INT64_MAX, 0, "en", b, sizeof b),
	    "9,223,372,036,854,775,807");
	assert_string_equal(kt_fmt_money(INT64_MIN, 0, "ru", b, sizeof b),
	    "-9 223 372 036 854 775 808");
	assert_string_equal(kt_fmt_money(INT64_MIN, 3, "en", b, sizeof b),
	    "-9,223,372,036,854,775.808");
	assert_string_equal(kt_fmt_money(123456750, 2, "ru", b, 6), "1 234");
}

/* Switches the messages to Russian with the build's catalogue, or skips
 * the rest of the test where the machine has no Russian locale. */
static void
russian_or_skip(void)
{
	if (getenv("KARTOTEKA_LOCALEDIR") == NULL)
		skip();
	setenv("LC_ALL", "ru_RU.UTF-8", 1);
	kt_i18n_init();
	if (strcmp(kt_i18n_lang(), "ru") != 0)
		skip(); /* no Russian locale or catalogue on this machine */
}

/* NULL lang follows the catalogue: the tests run in C.UTF-8 (English);
 * under ru_RU.UTF-8 with the build's catalogue it is Russian. */
static void
follows_catalogue(void **state)
{
	char b[KT_FMT_MONEY_MAX];

	(void)state;
	setenv("LC_ALL", "C.UTF-8", 1);
	kt_i18n_init();
	assert_int_equal(kt_fmt_is_ru(NULL), 0);
	assert_string_equal(kt_fmt_money(100050, 2, NULL, b, sizeof b),
	    "1,000.50");
	russian_or_skip();
	assert_int_equal(kt_fmt_is_ru(NULL), 1);
	assert_string_equal(kt_fmt_money(100050, 2, NULL, b, sizeof b),
	    "1 000,50");
	assert_string_equal(kt_fmt_ymd(2026, 11, 29, NULL, b, sizeof b),
	    "29.11.2026");
}

/* The server's scope words are read in the catalogue's language; names,
 * and texts of no known form, are kept. */
static void
scope(void **state)
{
	char b[128];

	(void)state;
	setenv("LC_ALL", "C.UTF-8", 1);
	kt_i18n_init();
	assert_string_equal(kt_fmt_scope("user masha", b, sizeof b),
	    "user masha");
	assert_string_equal(kt_fmt_scope("branch Центр, manager masha", b,
	    sizeof b), "branch Центр, manager masha");
	assert_string_equal(kt_fmt_scope("whatever", b, sizeof b), "whatever");
	assert_string_equal(kt_fmt_scope("user ", b, sizeof b), "user ");
	assert_string_equal(kt_fmt_scope(NULL, b, sizeof b), "");
	assert_string_equal(kt_fmt_scope("user masha", b, 5), "user");
	russian_or_skip();
	assert_string_equal(kt_fmt_scope("user masha", b, sizeof b),
	    "пользователь masha");
	assert_string_equal(kt_fmt_scope("branch Центр", b, sizeof b),
	    "филиал Центр");
	assert_string_equal(kt_fmt_scope("branch Центр, manager masha", b,
	    sizeof b), "филиал Центр, менеджер masha");
	assert_string_equal(kt_fmt_scope("manager masha", b, sizeof b),
	    "менеджер masha");
	assert_string_equal(kt_fmt_scope("branches of irina", b, sizeof b),
	    "филиалы пользователя irina");
	assert_string_equal(kt_fmt_scope("all branches", b, sizeof b),
	    "все филиалы");
	assert_string_equal(kt_fmt_scope("branch user x", b, sizeof b),
	    "филиал user x");
	setenv("LC_ALL", "C.UTF-8", 1);
	kt_i18n_init();
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(ymd),
	cmocka_unit_test(day),
	cmocka_unit_test(date_text),
	cmocka_unit_test(month_text),
	cmocka_unit_test(datetime),
	cmocka_unit_test(money),
	cmocka_unit_test(follows_catalogue),
	cmocka_unit_test(scope),
};

KT_TEST_MAIN(tests)
