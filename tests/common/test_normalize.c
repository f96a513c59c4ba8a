/* SPDX-License-Identifier: MIT */
/* Unit tests for common/normalize.c: phones, e-mail, dates, folding, words,
 * UTF-8 checks and masks, with hostile inputs. */
#include "kt_test.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <unicase.h>
#include <uninorm.h>

#include "kt_error.h"
#include "normalize.h"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------- */

static void
phone_ok(const char *in, const char *cc, const char *want)
{
	char out[KT_PHONE_MAX];
	kt_why_t why = { "" };
	int rc = kt_phone_normalize(in, cc, out, &why);

	if (rc != 0)
		print_error("phone '%s' (cc %s): %s\n", in, cc ? cc : "NULL",
		    why.text[0] ? why.text : "(no why)");
	assert_int_equal(rc, 0);
	assert_string_equal(out, want);
	assert_string_equal(why.text, "");
}

static void
phone_bad(const char *in, const char *cc, const char *want_why)
{
	char out[KT_PHONE_MAX];
	kt_why_t why = { "" };

	memset(out, 'x', sizeof(out));
	assert_int_equal(kt_phone_normalize(in, cc, out, &why), KT_EINVAL);
	assert_string_equal(out, "");
	assert_true(why.text[0] != '\0');
	assert_string_equal(why.text, want_why);
}

static void
email_ok(const char *in, const char *want)
{
	char out[KT_EMAIL_MAX];
	kt_why_t why = { "" };
	int rc = kt_email_normalize(in, out, &why);

	if (rc != 0)
		print_error("email '%s': %s\n", in, why.text[0] ? why.text : "(no why)");
	assert_int_equal(rc, 0);
	assert_string_equal(out, want);
}

static void
email_bad(const char *in, const char *want_why)
{
	char out[KT_EMAIL_MAX];
	kt_why_t why = { "" };

	assert_int_equal(kt_email_normalize(in, out, &why), KT_EINVAL);
	assert_string_equal(out, "");
	assert_true(why.text[0] != '\0');
	if (want_why != NULL)
		assert_string_equal(why.text, want_why);
}

static void
date_ok(const char *in, unsigned y, unsigned m, unsigned d, const char *iso)
{
	kt_date_t dt;
	char out[11];
	kt_why_t why = { "" };
	int rc = kt_date_parse(in, &dt, &why);

	if (rc != 0)
		print_error("date '%s': %s\n", in, why.text[0] ? why.text : "(no why)");
	assert_int_equal(rc, 0);
	assert_int_equal(dt.year, y);
	assert_int_equal(dt.month, m);
	assert_int_equal(dt.day, d);
	kt_date_format(&dt, out);
	assert_string_equal(out, iso);
}

static void
date_bad(const char *in, const char *want_why)
{
	kt_date_t dt = { 1, 1, 1 };
	kt_why_t why = { "" };

	assert_int_equal(kt_date_parse(in, &dt, &why), KT_EINVAL);
	assert_int_equal(dt.year, 0);
	assert_int_equal(dt.month, 0);
	assert_int_equal(dt.day, 0);
	assert_true(why.text[0] != '\0');
	if (want_why != NULL)
		assert_string_equal(why.text, want_why);
}

static void
fold_is(const char *in, const char *want)
{
	char out[256];

	assert_int_equal(kt_text_fold(in, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

/* Collects words as "w1|w2|..." for comparison. */
struct words {
	char buf[256];
	size_t n;
	int count;
	int stop_after;   /* stop (return 42) after this many words; 0 never */
};

static int
collect(const char *word, size_t len, void *arg)
{
	struct words *w = arg;

	assert_true(len > 0);
	assert_true(w->n + len + 2 < sizeof(w->buf));
	if (w->count > 0)
		w->buf[w->n++] = '|';
	memcpy(w->buf + w->n, word, len);
	w->n += len;
	w->buf[w->n] = '\0';
	w->count++;
	return w->stop_after != 0 && w->count == w->stop_after ? 42 : 0;
}

static void
words_are(const char *text, const char *want, int want_count)
{
	struct words w = { .n = 0, .count = 0, .stop_after = 0 };

	w.buf[0] = '\0';
	assert_int_equal(kt_text_words(text, collect, &w), 0);
	assert_string_equal(w.buf, want);
	assert_int_equal(w.count, want_count);
}

static void
folded_words_are(const char *text, const char *want, int want_count)
{
	char folded[256];

	assert_int_equal(kt_text_fold(text, folded, sizeof(folded)), 0);
	words_are(folded, want, want_count);
}

static void
mask_phone_is(const char *in, const char *want)
{
	char out[64];

	memset(out, 'x', sizeof(out));
	kt_mask_phone(in, out, sizeof(out));
	assert_string_equal(out, want);
}

static void
mask_email_is(const char *in, const char *want)
{
	char out[300];

	memset(out, 'x', sizeof(out));
	kt_mask_email(in, out, sizeof(out));
	assert_string_equal(out, want);
}

/* ---------------------------------------------------------------------
 * Phones
 * ------------------------------------------------------------------- */

static void
phone_russian_formats(void **state)
{
	(void)state;
	phone_ok("8 (912) 345-67-89", "7", "+79123456789");
	phone_ok("+7 912 345 67 89", "7", "+79123456789");
	phone_ok("9123456789", "7", "+79123456789");
	phone_ok("89123456789", "7", "+79123456789");
	phone_ok("+7(912)345-67-89", "7", "+79123456789");
	phone_ok("79123456789", "7", "+79123456789");
	phone_ok("8-912-345-67-89", "7", "+79123456789");
	phone_ok("8.912.345.67.89", "7", "+79123456789");
	phone_ok("  +7 (912) 345-67-89  ", "7", "+79123456789");
	phone_ok("(+7) 912 3456789", "7", "+79123456789");
	/* Pasted from documents: NBSP, narrow NBSP, en dash, minus sign. */
	phone_ok("+7\xc2\xa0" "912\xe2\x80\xaf" "345\xe2\x80\x93" "67"
	    "\xe2\x88\x92" "89", "7", "+79123456789");
	/* St Petersburg landline and toll-free: a leading 8 of 10 digits is
	 * part of the number, of 11 digits it is the trunk prefix. */
	phone_ok("812 123-45-67", "7", "+78121234567");
	phone_ok("8 812 123-45-67", "7", "+78121234567");
	phone_ok("8 800 555-35-35", "7", "+78005553535");
	/* The '+' form does not depend on default_cc. */
	phone_ok("+7 912 345 67 89", "49", "+79123456789");
	phone_ok("+7 912 345 67 89", NULL, "+79123456789");
}

static void
phone_international(void **state)
{
	(void)state;
	phone_ok("+49 30 1234567", "7", "+49301234567");
	phone_ok("+1 (212) 555-0100", "7", "+12125550100");
	phone_ok("+44 20 7946 0958", "7", "+442079460958");
	phone_ok("+375 29 123-45-67", "7", "+375291234567");
	/* 8 and 15 digits fit E.164, but no country has such numbers
	 * (libphonenumber's plans, common/phone.cc). */
	phone_bad("+12345678", "7", "phone '+12345678' is not a valid number "
	    "of the United States (no such area or operator code)");
	phone_bad("+123456789012345", "7", "phone '+123456789012345' is too "
	    "long for a number of the United States");
	phone_bad("+1234567", "7", "phone '+1234567' is too short");
	phone_bad("+1234567890123456", "7",
	    "phone '+1234567890123456' is too long");
	phone_bad("+0 123 456 789", "7", "phone '+0 123 456 789' has no "
	    "country code (a country code does not start with 0)");
	/* +7 numbers have exactly 10 digits after the 7. */
	phone_bad("+7 912 345 67 8", "7", "phone '+7 912 345 67 8' is too "
	    "short");
	phone_bad("+7 912 345 67 890", "7", "phone '+7 912 345 67 890' is "
	    "too long");
	phone_bad("+", "7", "phone '+' has no digits after '+'");
	phone_bad("+ ( )", "7", "phone '+ ( )' has no digits after '+'");
}

static void
phone_default_cc_generic(void **state)
{
	(void)state;
	/* Leading trunk 0 dropped, the cc put in front. */
	phone_ok("030 1234567", "49", "+49301234567");
	phone_ok("0151 23456789", "49", "+4915123456789");
	phone_ok("30 1234567", "49", "+49301234567");
	/* "00" is the international prefix. */
	phone_ok("0049 30 1234567", "49", "+49301234567");
	phone_ok("00 7 912 345 67 89", "49", "+79123456789");
	phone_ok("020 7946 0958", "44", "+442079460958");
	phone_ok("29 123 45 67", "375", "+375291234567");
	phone_bad("0 12", "49", "phone '0 12' is too short");
	phone_bad("0123456789012345", "49",
	    "phone '0123456789012345' is too long");
	phone_bad("00", "49", "phone '00' has no digits after '+'");
	phone_bad("0049", "49", "phone '0049' is too short");
	/* A bad default_cc is named. */
	phone_bad("9123456789", "0", "default country code '0' is not 1 to "
	    "3 digits");
	phone_bad("9123456789", "1234", "default country code '1234' is not "
	    "1 to 3 digits");
	phone_bad("9123456789", "+7", "default country code '+7' is not 1 "
	    "to 3 digits");
	phone_bad("9123456789", "7a", "default country code '7a' is not 1 "
	    "to 3 digits");
	/* Without a default the '+' is required. */
	phone_bad("9123456789", NULL,
	    "phone '9123456789' has no country code (start it with '+')");
	phone_bad("9123456789", "",
	    "phone '9123456789' has no country code (start it with '+')");
}

static void
phone_errors(void **state)
{
	(void)state;
	phone_bad("12", "7", "phone '12' is too short");
	phone_bad("912345678", "7", "phone '912345678' is too short");
	phone_bad("+7 912 abc", "7", "phone '+7 912 abc' contains 'a'");
	phone_bad("8 912 345 67 89 0", "7",
	    "phone '8 912 345 67 89 0' is too long");
	phone_bad("99123456789", "7",
	    "phone '99123456789' has 11 digits but does not start with 7 or 8");
	phone_bad("0123456789", "7",
	    "phone '0123456789' is not a +7 number (it starts with 0)");
	phone_bad("", "7", "phone is empty");
	phone_bad(NULL, "7", "phone is empty");
	phone_bad("   ", "7", "phone '   ' has no digits");
	phone_bad("--", "7", "phone '--' has no digits");
	phone_bad("+7 912 345+67 89", "7",
	    "phone '+7 912 345+67 89' contains '+'");
	phone_bad("++79123456789", "7", "phone '++79123456789' contains '+'");
	phone_bad("8 912 345 67 89 доб. 12", "7",
	    "phone '8 912 345 67 89 доб. 12' contains 'д'");
	phone_bad("8/912/3456789", "7", "phone '8/912/3456789' contains '/'");
	phone_bad("8\t912 345 67 89", "7",
	    "phone '8?912 345 67 89' contains a control character");
	phone_bad("8\n9123456789", "7",
	    "phone '8?9123456789' contains a control character");
	phone_bad("8912\xff" "3456789", "7",
	    "phone '8912?3456789' is not valid UTF-8");
	phone_bad("8912\xe2\x80", "7", "phone '8912?" "?' is not valid UTF-8");
	/* why may be NULL. */
	{
		char out[KT_PHONE_MAX];

		assert_int_equal(kt_phone_normalize("12", "7", out, NULL),
		    KT_EINVAL);
		assert_int_equal(kt_phone_normalize("9123456789", "7", out,
		    NULL), 0);
		assert_string_equal(out, "+79123456789");
	}
}

static void
phone_hostile(void **state)
{
	char big[4096], out[KT_PHONE_MAX];
	kt_why_t why = { "" };

	(void)state;
	/* Thousands of digits: refused, the quote is cut. */
	memset(big, '9', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(kt_phone_normalize(big, "7", out, &why), KT_EINVAL);
	assert_string_equal(why.text, "phone '9999999999999999999999999999999999999"
	    "999...' is too long");
	assert_string_equal(out, "");
	/* Thousands of separators around a valid number. */
	memset(big, ' ', sizeof(big) - 1);
	memcpy(big + 2000, "89123456789", 11);
	assert_int_equal(kt_phone_normalize(big, "7", out, &why), 0);
	assert_string_equal(out, "+79123456789");
	/* Quoting cuts at a character boundary (2-byte letters). */
	big[0] = '\0';
	for (int i = 0; i < 30; i++)
		strcat(big, "ж");
	assert_int_equal(kt_phone_normalize(big, "7", out, &why), KT_EINVAL);
	assert_string_equal(why.text, "phone 'жжжжжжжжжжжжжжжжжжжж...' contains "
	    "'ж'");
	/* Overlong '0', surrogate, beyond U+10FFFF: invalid UTF-8. */
	assert_int_equal(kt_phone_normalize("8\xc0\xb0", "7", out, &why),
	    KT_EINVAL);
	assert_int_equal(kt_phone_normalize("8\xed\xa0\x80", "7", out, &why),
	    KT_EINVAL);
	assert_int_equal(kt_phone_normalize("8\xf4\x90\x80\x80", "7", out,
	    &why), KT_EINVAL);
	/* Fullwidth digits are not digits here. */
	assert_int_equal(kt_phone_normalize("\xef\xbc\x98" "9123456789", "7",
	    out, &why), KT_EINVAL);
}

/* ---------------------------------------------------------------------
 * E-mail
 * ------------------------------------------------------------------- */

static void
email_valid(void **state)
{
	(void)state;
	email_ok("ivan@mail.ru", "ivan@mail.ru");
	email_ok("Ivan.Petrov@Mail.RU", "Ivan.Petrov@mail.ru");
	email_ok("a@b.co", "a@b.co");
	email_ok("first.last+tag@sub.example-host.com",
	    "first.last+tag@sub.example-host.com");
	email_ok("o'brien@example.ie", "o'brien@example.ie");
	email_ok("x!#$%&'*+-/=?^_`{|}~@EXAMPLE.org",
	    "x!#$%&'*+-/=?^_`{|}~@example.org");
	email_ok("user@123.45.example", "user@123.45.example");
	/* IDN as typed, ASCII letters lower-cased, Cyrillic kept. */
	email_ok("иван@почта.рф", "иван@почта.рф");
	email_ok("Ivan@ПОЧТА.РФ", "Ivan@ПОЧТА.РФ");
	email_ok("ivan@Пример.RU", "ivan@Пример.ru");
	email_ok("ivan@xn--80a1acny.xn--p1ai", "ivan@xn--80a1acny.xn--p1ai");
}

static void
email_errors(void **state)
{
	(void)state;
	email_bad("x@y", "email 'x@y' has no dot in the domain");
	email_bad("", "email is empty");
	email_bad(NULL, "email is empty");
	email_bad("ivan.mail.ru", "email 'ivan.mail.ru' has no '@'");
	email_bad("a@b@c.ru", "email 'a@b@c.ru' has more than one '@'");
	email_bad("@mail.ru", "email '@mail.ru' has nothing before '@'");
	email_bad("ivan@", "email 'ivan@' has nothing after '@'");
	email_bad("ivan @mail.ru", "email 'ivan @mail.ru' contains a space");
	email_bad(" ivan@mail.ru", "email ' ivan@mail.ru' contains a space");
	email_bad("ivan@mail.ru\xc2\xa0",
	    "email 'ivan@mail.ru\xc2\xa0' contains a space");
	email_bad("ivan\t@mail.ru",
	    "email 'ivan?@mail.ru' contains a control character");
	email_bad("ivan@mail.ru\n",
	    "email 'ivan@mail.ru?' contains a control character");
	email_bad("ivan\xc2\x85@mail.ru",
	    "email 'ivan?@mail.ru' contains a control character");
	email_bad("iv\xffn@mail.ru", "email 'iv?n@mail.ru' is not valid UTF-8");
	email_bad(".ivan@mail.ru",
	    "email '.ivan@mail.ru' has a misplaced '.' before '@'");
	email_bad("ivan.@mail.ru",
	    "email 'ivan.@mail.ru' has a misplaced '.' before '@'");
	email_bad("iv..an@mail.ru",
	    "email 'iv..an@mail.ru' has a misplaced '.' before '@'");
	email_bad("\"ivan\"@mail.ru", "email '\"ivan\"@mail.ru' contains '\"'");
	email_bad("iv(an)@mail.ru", "email 'iv(an)@mail.ru' contains '('");
	email_bad("ivan@mail..ru",
	    "email 'ivan@mail..ru' has an empty label in the domain");
	email_bad("ivan@.mail.ru",
	    "email 'ivan@.mail.ru' has an empty label in the domain");
	email_bad("ivan@mail.ru.",
	    "email 'ivan@mail.ru.' has an empty label in the domain");
	email_bad("ivan@-mail.ru", "email 'ivan@-mail.ru' has a domain label "
	    "starting or ending with '-'");
	email_bad("ivan@mail-.ru", "email 'ivan@mail-.ru' has a domain label "
	    "starting or ending with '-'");
	email_bad("ivan@mail.ru-", "email 'ivan@mail.ru-' has a domain label "
	    "starting or ending with '-'");
	email_bad("ivan@mail_box.ru",
	    "email 'ivan@mail_box.ru' has '_' in the domain");
	email_bad("ivan@[127.0.0.1]",
	    "email 'ivan@[127.0.0.1]' has '[' in the domain");
}

static void
email_limits(void **state)
{
	char buf[600], want[KT_EMAIL_MAX];
	size_t n;

	(void)state;
	/* Local part of 64 bytes passes, 65 fails. */
	memset(buf, 'a', 64);
	strcpy(buf + 64, "@MAIL.ru");
	strcpy(want, buf);
	memcpy(want + 64, "@mail.ru", 9);
	email_ok(buf, want);
	memset(buf, 'a', 65);
	strcpy(buf + 65, "@mail.ru");
	email_bad(buf, NULL);
	/* Domain label of 63 bytes passes, 64 fails. */
	strcpy(buf, "a@");
	memset(buf + 2, 'b', 63);
	strcpy(buf + 65, ".ru");
	email_ok(buf, buf);
	strcpy(buf, "a@");
	memset(buf + 2, 'b', 64);
	strcpy(buf + 66, ".ru");
	email_bad(buf, NULL);
	/* Total 254 bytes passes, 255 fails. */
	strcpy(buf, "a@");
	n = 2;
	while (n + 50 <= 254 - 4) {
		memset(buf + n, 'c', 49);
		buf[n + 49] = '.';
		n += 50;
	}
	memset(buf + n, 'd', 254 - n);
	buf[254] = '\0';
	assert_int_equal(strlen(buf), 254);
	email_ok(buf, buf);
	buf[254] = 'e';
	buf[255] = '\0';
	email_bad(buf, NULL);
	/* A huge input is refused without reading it all into the quote. */
	memset(buf, 'z', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	email_bad(buf, "email 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...' "
	    "is too long");
}

/* ---------------------------------------------------------------------
 * Dates
 * ------------------------------------------------------------------- */

static void
date_formats(void **state)
{
	(void)state;
	date_ok("1990-03-15", 1990, 3, 15, "1990-03-15");
	date_ok("15.03.1990", 1990, 3, 15, "1990-03-15");
	date_ok("5.3.1990", 1990, 3, 5, "1990-03-05");
	date_ok("--03-15", 0, 3, 15, "--03-15");
	date_ok("15.03", 0, 3, 15, "--03-15");
	date_ok("1.1", 0, 1, 1, "--01-01");
	date_ok("1900-01-01", 1900, 1, 1, "1900-01-01");
	date_ok("31.12.2100", 2100, 12, 31, "2100-12-31");
	date_ok("31.01.2001", 2001, 1, 31, "2001-01-31");
	date_ok("30.04.2001", 2001, 4, 30, "2001-04-30");
}

static void
date_leap(void **state)
{
	(void)state;
	date_ok("29.02.2000", 2000, 2, 29, "2000-02-29");  /* 400 */
	date_ok("2024-02-29", 2024, 2, 29, "2024-02-29");
	date_ok("--02-29", 0, 2, 29, "--02-29");
	date_ok("29.02", 0, 2, 29, "--02-29");
	date_ok("28.02.2001", 2001, 2, 28, "2001-02-28");
	date_bad("29.02.1900", "date '29.02.1900': 1900 is not a leap year");
	date_bad("2100-02-29", "date '2100-02-29': 2100 is not a leap year");
	date_bad("2023-02-29", "date '2023-02-29': 2023 is not a leap year");
	date_bad("30.02", "date '30.02' has no day 30 in month 2");
	date_bad("--02-30", "date '--02-30' has no day 30 in month 2");
	date_bad("30.02.2000", "date '30.02.2000' has no day 30 in month 2");
}

static void
date_errors(void **state)
{
	kt_date_t d;

	(void)state;
	date_bad("", "date is empty");
	date_bad(NULL, "date is empty");
	date_bad("31.04.2001", "date '31.04.2001' has no day 31 in month 4");
	date_bad("2001-06-31", "date '2001-06-31' has no day 31 in month 6");
	date_bad("00.01.2001", "date '00.01.2001' has no day 0 in month 1");
	date_bad("01.13.2001", "date '01.13.2001' has no month 13");
	date_bad("--00-10", "date '--00-10' has no month 0");
	date_bad("1899-12-31", "date '1899-12-31' has a year outside "
	    "1900..2100");
	date_bad("01.01.2101", "date '01.01.2101' has a year outside "
	    "1900..2100");
	date_bad("0000-01-01", "date '0000-01-01' has a year outside "
	    "1900..2100");
	date_bad("1990-3-15", "date '1990-3-15' is not YYYY-MM-DD, "
	    "DD.MM.YYYY, --MM-DD or DD.MM");
	date_bad("15/03/1990", NULL);
	date_bad("15.03.90", NULL);
	date_bad("15.03.19901", NULL);
	date_bad("15.03.", NULL);
	date_bad("15..03", NULL);
	date_bad("115.03", NULL);
	date_bad(".03", NULL);
	date_bad(" 15.03.1990", NULL);
	date_bad("15.03.1990 ", NULL);
	date_bad("1990-03-15T00:00", NULL);
	date_bad("1990-03-15-", NULL);
	date_bad("--03-1", NULL);
	date_bad("--3-15", NULL);
	date_bad("--", NULL);
	date_bad("-", NULL);
	date_bad("1990", NULL);
	date_bad("1990-03", NULL);
	date_bad("+1990-03-15", NULL);
	date_bad("１５.03.1990", NULL);  /* fullwidth digits */
	date_bad("99999999999999999999.03", NULL);
	/* why may be NULL; out may not. */
	assert_int_equal(kt_date_parse("31.02", &d, NULL), KT_EINVAL);
	assert_int_equal(kt_date_parse("01.02", &d, NULL), 0);
	assert_int_equal(kt_date_parse("01.02", NULL, NULL), KT_EINVAL);
}

static void
date_format_checks(void **state)
{
	char out[11];
	kt_date_t d;

	(void)state;
	d = (kt_date_t){ 2024, 2, 29 };
	kt_date_format(&d, out);
	assert_string_equal(out, "2024-02-29");
	d = (kt_date_t){ 0, 12, 1 };
	kt_date_format(&d, out);
	assert_string_equal(out, "--12-01");
	/* Invalid dates give "" and never overflow the 11 bytes. */
	d = (kt_date_t){ 4000000000u, 4000000000u, 4000000000u };
	memset(out, 'x', sizeof(out));
	kt_date_format(&d, out);
	assert_string_equal(out, "");
	d = (kt_date_t){ 2023, 2, 29 };
	kt_date_format(&d, out);
	assert_string_equal(out, "");
	d = (kt_date_t){ 0, 0, 1 };
	kt_date_format(&d, out);
	assert_string_equal(out, "");
	d = (kt_date_t){ 1899, 1, 1 };
	kt_date_format(&d, out);
	assert_string_equal(out, "");
	memset(out, 'x', sizeof(out));
	kt_date_format(NULL, out);
	assert_string_equal(out, "");
}

/* ---------------------------------------------------------------------
 * Folding
 * ------------------------------------------------------------------- */

static void
fold_yo(void **state)
{
	char a[64], b[64], c[64], d[64], e[64];

	(void)state;
	assert_int_equal(kt_text_fold("Ёлкина", a, sizeof(a)), 0);
	assert_int_equal(kt_text_fold("елкина", b, sizeof(b)), 0);
	assert_int_equal(kt_text_fold("ЕЛКИНА", c, sizeof(c)), 0);
	assert_int_equal(kt_text_fold("ёлкина", d, sizeof(d)), 0);
	/* 'Е' + U+0308 COMBINING DIAERESIS: NFKC composes it to 'Ё'. */
	assert_int_equal(kt_text_fold("\xd0\x95\xcc\x88лкина", e, sizeof(e)),
	    0);
	assert_string_equal(a, "елкина");
	assert_memory_equal(a, b, strlen(b) + 1);
	assert_memory_equal(a, c, strlen(c) + 1);
	assert_memory_equal(a, d, strlen(d) + 1);
	assert_memory_equal(a, e, strlen(e) + 1);
	fold_is("ЁЖИК Ёжик ёжик", "ежик ежик ежик");
	fold_is("Фёдор Семёнович", "федор семенович");
	/* 'й' is not 'и': only ё is merged. */
	fold_is("Йошкар-Ола", "йошкар-ола");
}

/* The reference: kt_text_fold's full way (u8_casefold with NFKC, then
 * 'ё' -> 'е'), written out here. */
static void
fold_reference(const char *in, char *out, size_t cap)
{
	size_t len = cap - 1;
	uint8_t *r = u8_casefold((const uint8_t *)in, strlen(in), NULL,
	    UNINORM_NFKC, (uint8_t *)out, &len);

	assert_ptr_equal(r, (uint8_t *)out);
	out[len] = '\0';
	for (size_t i = 0; i + 1 < len; i++)
		if ((unsigned char)out[i] == 0xd1 &&
		    (unsigned char)out[i + 1] == 0x91) {
			out[i] = (char)0xd0;
			out[i + 1] = (char)0xb5;
		}
}

/* kt_text_fold folds ASCII and the Russian alphabet itself (the short
 * way): the same bytes as the full way for every such character alone,
 * every pair, and random strings of them mixed with characters that
 * take the full way (a combining diaeresis after 'е', 'ß', a Latin 'É'). */
static void
fold_short_way_as_casefold(void **state)
{
	static const char *other[] = { "\xcc\x88", "\xc3\x9f", "\xc3\x89",
	    "\xd1\x96", "\xef\xbc\xa1" };
	char set[200][4], in[128], got[256], want[256];
	size_t n = 0;
	uint32_t x = 7;

	(void)state;
	for (int c = 1; c < 0x80; c++) {
		set[n][0] = (char)c;
		set[n++][1] = '\0';
	}
	for (unsigned cp = 0x401; cp <= 0x451; cp++) {
		if (cp != 0x401 && cp != 0x451 && (cp < 0x410 || cp > 0x44f))
			continue;
		set[n][0] = (char)(0xc0 | (cp >> 6));
		set[n][1] = (char)(0x80 | (cp & 0x3f));
		set[n++][2] = '\0';
	}
	assert_int_equal(n, 127 + 66);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			snprintf(in, sizeof(in), "%s%s", set[i], set[j]);
			assert_int_equal(kt_text_fold(in, got, sizeof(got)), 0);
			fold_reference(in, want, sizeof(want));
			assert_string_equal(got, want);
		}
	for (int k = 0; k < 20000; k++) {
		size_t len = 0;
		in[0] = '\0';
		while (len < 100) {
			const char *piece;
			x = x * 1103515245u + 12345u;
			if ((x >> 16) % 40 == 0)
				piece = other[(x >> 8) % 5];
			else
				piece = set[(x >> 16) % n];
			strcat(in, piece);
			len += strlen(piece);
			if ((x >> 24) % 16 == 0)
				break;
		}
		assert_int_equal(kt_text_fold(in, got, sizeof(got)), 0);
		fold_reference(in, want, sizeof(want));
		assert_string_equal(got, want);
	}
	/* Too small for the short way: the full way's KT_ENOSPC. */
	assert_int_equal(kt_text_fold("ЁЛКИ", got, 8), KT_ENOSPC);
	assert_string_equal(got, "");
	assert_int_equal(kt_text_fold("ЁЛКИ", got, 9), 0);
	assert_string_equal(got, "елки");
}

static void
fold_unicode(void **state)
{
	(void)state;
	fold_is("Straße", "strasse");
	fold_is("STRASSE", "strasse");
	fold_is("ẞ", "ss");
	fold_is("Ivan PETROV", "ivan petrov");
	fold_is("", "");
	fold_is("123 - ABC!", "123 - abc!");
	/* NFKC: fullwidth letters, ligatures, superscripts, NBSP. */
	fold_is("ＩＶＡＮ", "ivan");
	fold_is("ﬁle", "file");
	fold_is("x²", "x2");
	fold_is("a\xc2\xa0" "b", "a b");
	/* Greek final sigma folds like sigma. */
	fold_is("ΟΔΟΣ", "οδοσ");
	fold_is("οδος", "οδοσ");
	/* Turkish dotted I: either 'i' + U+0307 or 'i' is fine, but the
	 * result must be stable and lower-case. */
	{
		char out[16];

		assert_int_equal(kt_text_fold("İ", out, sizeof(out)), 0);
		assert_true(strcmp(out, "i\xcc\x87") == 0 ||
		    strcmp(out, "i") == 0);
	}
	/* Decomposed and precomposed forms fold alike. */
	fold_is("e\xcc\x81", "\xc3\xa9");
	fold_is("\xc3\x89", "\xc3\xa9");
}

static void
fold_errors(void **state)
{
	char out[16];

	(void)state;
	/* Invalid UTF-8: stray continuation, truncated, overlong, surrogate,
	 * beyond U+10FFFF, 0xFF. */
	static const char *const bad[] = { "a\x80", "\xd0", "\xe2\x82",
		"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff",
		"\xd0\x81\xd1" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 'x', sizeof(out));
		assert_int_equal(kt_text_fold(bad[i], out, sizeof(out)),
		    KT_EINVAL);
		assert_string_equal(out, "");
	}
	assert_int_equal(kt_text_fold(NULL, out, sizeof(out)), KT_EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(kt_text_fold("a", NULL, 16), KT_EINVAL);
	assert_int_equal(kt_text_fold("a", out, 0), KT_ENOSPC);
	/* Bounded output: exactly fits, one byte short. */
	assert_int_equal(kt_text_fold("ABC", out, 4), 0);
	assert_string_equal(out, "abc");
	memset(out, 'x', sizeof(out));
	assert_int_equal(kt_text_fold("ABCD", out, 4), KT_ENOSPC);
	assert_string_equal(out, "");
	assert_int_equal(kt_text_fold("", out, 1), 0);
	assert_string_equal(out, "");
	assert_int_equal(kt_text_fold("a", out, 1), KT_ENOSPC);
	/* Folding grows "ß" (2 bytes) to "ss" (2), "ﬃ" (3) to "ffi" (3),
	 * and U+FDFA (3 bytes) to 33 bytes: a cap fitting the input is not
	 * enough. */
	assert_int_equal(kt_text_fold("\xef\xb7\xba", out, sizeof(out)),
	    KT_ENOSPC);
	assert_string_equal(out, "");
	{
		char big[64];

		assert_int_equal(kt_text_fold("\xef\xb7\xba", big,
		    sizeof(big)), 0);
		assert_true(strlen(big) > 30);
	}
}

static void
fold_long(void **state)
{
	size_t n = 100000;
	char *in = malloc(n * 2 + 1), *out = malloc(n * 2 + 1);

	(void)state;
	assert_non_null(in);
	assert_non_null(out);
	for (size_t i = 0; i < n; i++)
		memcpy(in + 2 * i, "Ё", 2);
	in[2 * n] = '\0';
	assert_int_equal(kt_text_fold(in, out, n * 2 + 1), 0);
	assert_int_equal(strlen(out), n * 2);
	for (size_t i = 0; i < n; i++)
		assert_memory_equal(out + 2 * i, "е", 2);
	assert_int_equal(kt_text_fold(in, out, n * 2), KT_ENOSPC);
	free(in);
	free(out);
}

/* ---------------------------------------------------------------------
 * Words
 * ------------------------------------------------------------------- */

static void
words_split(void **state)
{
	(void)state;
	words_are("иван петров", "иван|петров", 2);
	words_are("петрова-водкина", "петрова|водкина", 2);
	folded_words_are("Кузьма Петров-Водкин", "кузьма|петров|водкин", 3);
	folded_words_are("  Ёлкина,  Анна (Сергеевна)!  ",
	    "елкина|анна|сергеевна", 3);
	folded_words_are("ООО «Ромашка» — ИНН 7701234567",
	    "ооо|ромашка|инн|7701234567", 4);
	folded_words_are("O'Brien & Sons, Ltd.", "o|brien|sons|ltd", 4);
	folded_words_are("ул. Ленина, д.5, кв.12", "ул|ленина|д|5|кв|12", 6);
	folded_words_are("e-mail: ivan@mail.ru", "e|mail|ivan|mail|ru", 5);
	folded_words_are("Straße 12b", "strasse|12b", 2);
	words_are("", "", 0);
	words_are(" ,.-!? ", "", 0);
	words_are("a", "a", 1);
	words_are("\t\nслово\n", "слово", 1);
	/* A stress mark stays in the word; a mark after a space is not one. */
	words_are("петро\xcc\x81в", "петро\xcc\x81в", 1);
	words_are("\xcc\x81 a", "a", 1);
	/* Other scripts. */
	words_are("東京 タワー", "東京|タワー", 2);
	words_are("١٢٣ abc", "١٢٣|abc", 2);
}

static void
words_stop_and_hostile(void **state)
{
	struct words w = { .n = 0, .count = 0, .stop_after = 2 };

	(void)state;
	w.buf[0] = '\0';
	assert_int_equal(kt_text_words("one two three four", collect, &w), 42);
	assert_string_equal(w.buf, "one|two");
	assert_int_equal(w.count, 2);
	/* Stop on the last word (no separator after it). */
	w = (struct words){ .n = 0, .count = 0, .stop_after = 1 };
	assert_int_equal(kt_text_words("one", collect, &w), 42);
	assert_int_equal(kt_text_words(NULL, collect, &w), KT_EINVAL);
	assert_int_equal(kt_text_words("a", NULL, NULL), KT_EINVAL);
	/* Invalid bytes separate words and are never part of one. */
	words_are("ab\xff" "cd", "ab|cd", 2);
	words_are("ab\xd0", "ab", 1);
	words_are("\x80\x80" "x\xe2\x82", "x", 1);
	words_are("ab\xed\xa0\x80" "cd", "ab|cd", 2);
}

/* ---------------------------------------------------------------------
 * UTF-8 validity and width
 * ------------------------------------------------------------------- */

static void
utf8_valid(void **state)
{
	(void)state;
	assert_int_equal(kt_utf8_valid("Ёлкина Анна", 0), 1);
	assert_int_equal(kt_utf8_valid("", 0), 1);
	assert_int_equal(kt_utf8_valid("東京 🙂", 0), 1);
	assert_int_equal(kt_utf8_valid("a\nb", 0), 0);
	assert_int_equal(kt_utf8_valid("a\nb\tc", 1), 1);
	assert_int_equal(kt_utf8_valid("a\tb", 0), 0);
	assert_int_equal(kt_utf8_valid("a\rb", 1), 0);
	assert_int_equal(kt_utf8_valid("a\x1b[31m", 1), 0);
	assert_int_equal(kt_utf8_valid("a\x7f", 1), 0);
	assert_int_equal(kt_utf8_valid("a\xc2\x9b" "31m", 1), 0); /* CSI */
	assert_int_equal(kt_utf8_valid("a\xc2\xa0" "b", 0), 1);    /* NBSP */
	assert_int_equal(kt_utf8_valid("\x80", 0), 0);
	assert_int_equal(kt_utf8_valid("\xd0", 0), 0);
	assert_int_equal(kt_utf8_valid("\xc0\x80", 0), 0);
	assert_int_equal(kt_utf8_valid("\xc1\xbf", 0), 0);
	assert_int_equal(kt_utf8_valid("\xe0\x80\xaf", 0), 0);
	assert_int_equal(kt_utf8_valid("\xed\xa0\x80", 0), 0);
	assert_int_equal(kt_utf8_valid("\xed\xbf\xbf", 0), 0);
	assert_int_equal(kt_utf8_valid("\xf4\x8f\xbf\xbf", 0), 1);
	assert_int_equal(kt_utf8_valid("\xf4\x90\x80\x80", 0), 0);
	assert_int_equal(kt_utf8_valid("\xf8\x88\x80\x80\x80", 0), 0);
	assert_int_equal(kt_utf8_valid("\xfe\xff", 0), 0);
	assert_int_equal(kt_utf8_valid(NULL, 1), 0);
}

static void
utf8_width(void **state)
{
	(void)state;
	assert_int_equal(kt_utf8_width(""), 0);
	assert_int_equal(kt_utf8_width(NULL), 0);
	assert_int_equal(kt_utf8_width("Ivan"), 4);
	assert_int_equal(kt_utf8_width("Ёлкина"), 6);
	assert_int_equal(kt_utf8_width("東京"), 4);
	assert_int_equal(kt_utf8_width("ｶﾀｶﾅ"), 4);      /* halfwidth */
	assert_int_equal(kt_utf8_width("e\xcc\x81"), 1); /* combining */
	assert_int_equal(kt_utf8_width("петро\xcc\x81в"), 6);
	assert_int_equal(kt_utf8_width("a\xe2\x80\x8b" "b"), 2); /* ZWSP */
	assert_int_equal(kt_utf8_width("\xc2\xb1"), 1); /* ambiguous: narrow */
	/* Invalid bytes count 1 each, truncated sequences too. */
	assert_int_equal(kt_utf8_width("a\xff" "b"), 3);
	assert_int_equal(kt_utf8_width("\xe2\x82"), 2);
	assert_int_equal(kt_utf8_width("\xed\xa0\x80"), 3);
	assert_int_equal(kt_utf8_width("ab\xd0"), 3);
	/* Control characters take no columns. */
	assert_int_equal(kt_utf8_width("a\tb"), 2);
}

/* ---------------------------------------------------------------------
 * Masks
 * ------------------------------------------------------------------- */

static void
mask_phone(void **state)
{
	char out[64];

	(void)state;
	mask_phone_is("+79123456789", "+7 *** ***-**-89");
	mask_phone_is("+78005553535", "+7 *** ***-**-35");
	mask_phone_is("+4930123456", "+49 *** ** 56");
	mask_phone_is("+12125550100", "+1 *** ** 00");
	mask_phone_is("+442079460958", "+44 *** ** 58");
	mask_phone_is("+375291234567", "+375 *** ** 67");
	mask_phone_is("+380441234567", "+380 *** ** 67");
	mask_phone_is("+861012345678", "+86 *** ** 78");
	mask_phone_is("+12345678", "+1 *** ** 78");
	mask_phone_is("+71234567", "+7 *** ** 67");   /* not 11 digits */
	/* Not E.164: everything hidden. */
	mask_phone_is("89123456789", "***");
	mask_phone_is("+7912345678x", "***");
	mask_phone_is("+7 912 345 67 89", "***");
	mask_phone_is("+1234567", "***");
	mask_phone_is("+1234567890123456", "***");
	mask_phone_is("+0123456789", "***");
	mask_phone_is("", "***");
	mask_phone_is("+", "***");
	mask_phone_is(NULL, "***");
	/* Too small a buffer: "" rather than a cut mask. */
	memset(out, 'x', sizeof(out));
	kt_mask_phone("+79123456789", out, 16);
	assert_string_equal(out, "");
	kt_mask_phone("+79123456789", out, 17);
	assert_string_equal(out, "+7 *** ***-**-89");
	kt_mask_phone("x", out, 3);
	assert_string_equal(out, "");
	memset(out, 'x', sizeof(out));
	kt_mask_phone("+79123456789", out, 0);
	assert_int_equal(out[0], 'x');
	kt_mask_phone("+79123456789", NULL, 10);
}

static void
mask_email(void **state)
{
	char out[64];

	(void)state;
	mask_email_is("ivan@mail.ru", "i***@mail.ru");
	mask_email_is("i@mail.ru", "*@mail.ru");
	mask_email_is("ab@x.org", "a***@x.org");
	mask_email_is("иван@почта.рф", "и***@почта.рф");
	mask_email_is("ж@почта.рф", "*@почта.рф");
	mask_email_is("🙂x@mail.ru", "🙂***@mail.ru");
	mask_email_is("ivan", "***");
	mask_email_is("@mail.ru", "***");
	mask_email_is("ivan@", "***");
	mask_email_is("a@b@c.ru", "***");
	mask_email_is("iv\xffn@mail.ru", "***");
	mask_email_is("ivan@mail.ru\x1b[2J", "***");
	mask_email_is("", "***");
	mask_email_is(NULL, "***");
	memset(out, 'x', sizeof(out));
	kt_mask_email("ivan@mail.ru", out, 12);
	assert_string_equal(out, "");
	kt_mask_email("ivan@mail.ru", out, 13);
	assert_string_equal(out, "i***@mail.ru");
	memset(out, 'x', sizeof(out));
	kt_mask_email("ivan@mail.ru", out, 0);
	assert_int_equal(out[0], 'x');
	kt_mask_email("ivan@mail.ru", NULL, 10);
	{
		char big[400];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		big[10] = '@';
		mask_email_is(big, "***");
	}
}

static int
count_word(const char *word, size_t len, void *arg)
{
	size_t *total = arg;

	assert_true(len > 0);
	assert_true(word[0] != '\0');
	*total += len;
	return 0;
}

/* Normalised values pass back through their own checks unchanged, and
 * random bytes never crash or break the output bounds. */
static void
roundtrip_and_noise(void **state)
{
	static const char *const phones[][2] = {
		{ "8 (912) 345-67-89", "7" }, { "+49 30 1234567", "7" },
		{ "030 1234567", "49" }, { "0044 20 7946 0958", "49" } };
	char out[KT_PHONE_MAX], again[KT_PHONE_MAX], em[KT_EMAIL_MAX];
	char buf[48], folded[256], mask[64];
	kt_why_t why = { "" };
	kt_date_t d;
	uint32_t x = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(phones) / sizeof(phones[0]); i++) {
		assert_int_equal(kt_phone_normalize(phones[i][0], phones[i][1],
		    out, &why), 0);
		assert_int_equal(kt_phone_normalize(out, "7", again, &why), 0);
		assert_string_equal(out, again);
	}
	/* In place: out may be the input's buffer. */
	strcpy(em, "Ivan@MAIL.ru");
	assert_int_equal(kt_email_normalize(em, em, &why), 0);
	assert_string_equal(em, "Ivan@mail.ru");
	strcpy(em, "Ivan@MAIL");
	assert_int_equal(kt_email_normalize(em, em, &why), KT_EINVAL);
	assert_string_equal(why.text, "email 'Ivan@MAIL' has no dot in the domain");
	assert_string_equal(em, "");
	strcpy(out, "8 912 3456789");
	assert_int_equal(kt_phone_normalize(out, "7", out, &why), 0);
	assert_string_equal(out, "+79123456789");
	for (int round = 0; round < 20000; round++) {
		size_t n = 1 + (size_t)round % (sizeof(buf) - 1);
		size_t total = 0;

		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (char)(x >> 16);
			/* Bias towards the interesting ASCII. */
			if ((x >> 8) % 3 == 0)
				buf[i] = "0123456789+-.() @aZ\xd0"[(x >> 4) % 21];
			if (buf[i] == '\0')
				buf[i] = '8';
		}
		buf[n] = '\0';
		why.text[0] = '\0';
		if (kt_phone_normalize(buf, "7", out, &why) == 0) {
			assert_true(out[0] == '+' && strlen(out) < KT_PHONE_MAX);
			kt_mask_phone(out, mask, sizeof(mask));
			assert_non_null(strchr(mask, '*'));
		} else {
			assert_true(why.text[0] != '\0' &&
			    strlen(why.text) < sizeof(why.text));
		}
		if (kt_email_normalize(buf, em, &why) == 0) {
			assert_int_equal(strlen(em), strlen(buf));
			kt_mask_email(em, mask, sizeof(mask));
			assert_non_null(strchr(mask, '*'));
		}
		if (kt_date_parse(buf, &d, &why) == 0) {
			char iso[11];

			kt_date_format(&d, iso);
			assert_true(iso[0] != '\0');
		}
		if (kt_text_fold(buf, folded, sizeof(folded)) == 0) {
			assert_int_equal(kt_text_words(folded, count_word,
			    &total), 0);
			assert_true(total <= strlen(folded));
		}
		assert_true(kt_utf8_width(buf) <= 2 * n);
		kt_mask_phone(buf, mask, sizeof(mask));
		kt_mask_email(buf, mask, sizeof(mask));
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(phone_russian_formats),
	cmocka_unit_test(phone_international),
	cmocka_unit_test(phone_default_cc_generic),
	cmocka_unit_test(phone_errors),
	cmocka_unit_test(phone_hostile),
	cmocka_unit_test(email_valid),
	cmocka_unit_test(email_errors),
	cmocka_unit_test(email_limits),
	cmocka_unit_test(date_formats),
	cmocka_unit_test(date_leap),
	cmocka_unit_test(date_errors),
	cmocka_unit_test(date_format_checks),
	cmocka_unit_test(fold_yo),
	cmocka_unit_test(fold_short_way_as_casefold),
	cmocka_unit_test(fold_unicode),
	cmocka_unit_test(fold_errors),
	cmocka_unit_test(fold_long),
	cmocka_unit_test(words_split),
	cmocka_unit_test(words_stop_and_hostile),
	cmocka_unit_test(utf8_valid),
	cmocka_unit_test(utf8_width),
	cmocka_unit_test(mask_phone),
	cmocka_unit_test(mask_email),
	cmocka_unit_test(roundtrip_and_noise),
};

KT_TEST_MAIN(tests)
