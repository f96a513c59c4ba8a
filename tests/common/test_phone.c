/* SPDX-License-Identifier: MIT */
/* Tests for common/phone.cc, the C face of libphonenumber, and for
 * kt_phone_normalize consulting it: the examples of issue 9 item 7 (a
 * digit missing and a +7 number of no range refused; St Petersburg
 * without its trunk 8 and Kazakhstan's +7 701 accepted), other
 * countries' plans (Germany, Italy's kept 0, NANP, Belarus, the UK), the
 * calling codes --phone-country may name, and messages that say what is
 * wrong. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kt_test.h"

#include "kt_error.h"
#include "normalize.h"
#include "phone.h"

/* kt_phone_normalize(in, cc) is 0 with out == want. */
static void
ok(const char *in, const char *cc, const char *want)
{
	char out[KT_PHONE_MAX];
	kt_why_t why = { "" };

	if (kt_phone_normalize(in, cc, out, &why) != 0)
		fail_msg("'%s' (cc %s) refused: %s", in, cc, why.text);
	if (strcmp(out, want) != 0)
		fail_msg("'%s' (cc %s) -> '%s', want '%s'", in, cc, out, want);
}

/* kt_phone_normalize(in, cc) is KT_EINVAL with why containing part. */
static void
bad(const char *in, const char *cc, const char *part)
{
	char out[KT_PHONE_MAX];
	kt_why_t why = { "" };

	if (kt_phone_normalize(in, cc, out, &why) != KT_EINVAL)
		fail_msg("'%s' (cc %s) accepted as '%s'", in, cc, out);
	assert_string_equal(out, "");
	if (part != NULL && strstr(why.text, part) == NULL)
		fail_msg("'%s': '%s' does not say '%s'", in, why.text, part);
}

static void
issue_examples(void **state)
{
	(void)state;
	bad("8 (912) 345-67-8", "7", "a digit missing");  /* after the 8 */
	bad("+7 (012) 345-67-89", "7", "not a valid number of Russia or "
	    "Kazakhstan");
	ok("812 345-67-89", "7", "+78123456789");        /* St Petersburg */
	ok("+7 701 123 45 67", "7", "+77011234567");      /* Kazakhstan */
	ok("8 701 123 45 67", "7", "+77011234567");
	ok("8 (912) 345-67-89", "7", "+79123456789");
	ok("+7 495 123-45-67", "7", "+74951234567");      /* Moscow */
}

static void
plan_check_countries(void **state)
{
	char r[3];

	(void)state;
	assert_int_equal(kt_phone_plan_check("+79123456789", r),
	    KT_PHONE_VALID);
	assert_string_equal(r, "RU");
	assert_int_equal(kt_phone_plan_check("+77011234567", r),
	    KT_PHONE_VALID);
	assert_string_equal(r, "KZ");
	assert_int_equal(kt_phone_plan_check("+375291234567", r),
	    KT_PHONE_VALID);
	assert_string_equal(r, "BY");
	assert_int_equal(kt_phone_plan_check("+4930123456", r),
	    KT_PHONE_VALID);
	assert_string_equal(r, "DE");
	assert_int_equal(kt_phone_plan_check("+12015550123", r),
	    KT_PHONE_VALID);
	assert_string_equal(r, "US");
	assert_int_equal(kt_phone_plan_check("+442079460958", r),
	    KT_PHONE_VALID);
	assert_string_equal(r, "GB");
	assert_int_equal(kt_phone_plan_check("+70123456789", r),
	    KT_PHONE_INVALID);
	assert_int_equal(kt_phone_plan_check("+7912345678", r),
	    KT_PHONE_TOO_SHORT);
	assert_int_equal(kt_phone_plan_check("+99912345678", r),
	    KT_PHONE_BAD_CC);
	/* Not E.164 at all. */
	assert_int_equal(kt_phone_plan_check("79123456789", r),
	    KT_PHONE_INVALID);
	assert_int_equal(kt_phone_plan_check("+7912a456789", r),
	    KT_PHONE_INVALID);
	assert_int_equal(kt_phone_plan_check("+", r), KT_PHONE_INVALID);
	assert_int_equal(kt_phone_plan_check("+1234567890123456", r),
	    KT_PHONE_INVALID);
	assert_int_equal(kt_phone_plan_check(NULL, NULL), KT_PHONE_INVALID);
}

/* National numbers by each country's rules: the trunk prefix of the
 * country, not a guess. */
static void
national_by_country_rules(void **state)
{
	char out[17];

	(void)state;
	assert_int_equal(kt_phone_plan_national("0301234567", "49", out, NULL),
	    KT_PHONE_VALID);
	assert_string_equal(out, "+49301234567");
	/* Italy keeps the leading 0 of a fixed number. */
	assert_int_equal(kt_phone_plan_national("0612345678", "39", out, NULL),
	    KT_PHONE_VALID);
	assert_string_equal(out, "+390612345678");
	/* NANP: a leading 1 is the trunk prefix. */
	assert_int_equal(kt_phone_plan_national("12015550123", "1", out, NULL),
	    KT_PHONE_VALID);
	assert_string_equal(out, "+12015550123");
	assert_int_equal(kt_phone_plan_national("2015550123", "1", out, NULL),
	    KT_PHONE_VALID);
	assert_string_equal(out, "+12015550123");
	/* Belarus: trunk 8 0. */
	assert_int_equal(kt_phone_plan_national("80291234567", "375", out, NULL),
	    KT_PHONE_VALID);
	assert_string_equal(out, "+375291234567");
	assert_int_not_equal(kt_phone_plan_national("123", "49", out, NULL),
	    KT_PHONE_VALID);
	assert_string_equal(out, "");
	assert_int_equal(kt_phone_plan_national("0301234567", "999", out, NULL),
	    KT_PHONE_BAD_CC);
	assert_int_equal(kt_phone_plan_national("03a", "49", out, NULL),
	    KT_PHONE_INVALID);
	/* Through the normalizer, with --phone-country of those. */
	ok("030 1234567", "49", "+49301234567");
	ok("06 1234 5678", "39", "+390612345678");
	ok("(201) 555-0123", "1", "+12015550123");
	ok("8 029 123-45-67", "375", "+375291234567");
	ok("+49 30 1234567", "7", "+49301234567");
}

/* Every calling code a country has is known (--phone-country may name
 * any of them); codes of no country are not. */
static void
cc_known_for_every_country(void **state)
{
	const char *known[] = { "7", "1", "44", "49", "39", "375", "380",
	    "998", "996", "374", "995", "994", "992", "373", "86", "90",
	    "972", "358" };
	const char *unknown[] = { "999", "800", "0", "", "1234", "x" };
	char buf[8];

	(void)state;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!kt_phone_plan_cc_known(known[i]))
			fail_msg("+%s not known", known[i]);
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		if (kt_phone_plan_cc_known(unknown[i]))
			fail_msg("'%s' known", unknown[i]);
	assert_false(kt_phone_plan_cc_known(NULL));
	/* All 1- to 3-digit codes the library knows give a region whose
	 * national numbers can be read (none throws, none crashes). */
	for (int cc = 1; cc <= 999; cc++) {
		char out[17];
		snprintf(buf, sizeof(buf), "%d", cc);
		if (kt_phone_plan_cc_known(buf))
			(void)kt_phone_plan_national("1234567", buf, out, NULL);
	}
	assert_string_equal(kt_phone_plan_region_name("KZ"), "Kazakhstan");
	assert_string_equal(kt_phone_plan_region_name("XY"), "XY");
}

/* kt_phone_plan_check reads "+" and digits itself and asks the library's
 * Parse only when that reading is not a valid number: it must answer as
 * Parse does. Compared over every calling code the library knows (the
 * countries' and the international services': 800, 870, 882...), every
 * national length, 50 numbers of each: random digits from a fixed
 * generator (each run tries the same numbers), the first digit running
 * over 0..9 so that leading zeros and national prefixes (Russia's 8,
 * the UK's 0) come up. */
static void
short_way_answers_as_parse(void **state)
{
	static const int services[] = { 800, 808, 870, 878, 881, 882, 883,
	    888, 979 };
	uint32_t x = 12345;
	size_t tried = 0, valid = 0;

	(void)state;
	for (int cc = 1; cc <= 999; cc++) {
		char code[8], e164[20];
		int service = 0;

		for (size_t i = 0; i < sizeof(services) / sizeof(services[0]);
		    i++)
			service |= services[i] == cc;
		snprintf(code, sizeof(code), "%d", cc);
		if (!service && !kt_phone_plan_cc_known(code))
			continue;
		for (size_t len = 2; strlen(code) + len <= 15; len++)
			for (int k = 0; k < 50; k++) {
				char r1[3], r2[3];
				kt_phone_verdict_t v1, v2;
				size_t n = (size_t)snprintf(e164, sizeof(e164),
				    "+%s", code);

				for (size_t d = 0; d < len; d++) {
					x = x * 1103515245u + 12345u;
					e164[n++] = (char)('0' + (d == 0 ? k % 10 :
					    (int)((x >> 16) % 10)));
				}
				e164[n] = '\0';
				v1 = kt_phone_plan_check(e164, r1);
				v2 = kt_phone_plan_check_parsed(e164, r2);
				if (v1 != v2 || strcmp(r1, r2) != 0)
					fail_msg("%s: %d (%s) against Parse's %d "
					    "(%s)", e164, v1, r1, v2, r2);
				tried++;
				valid += v1 == KT_PHONE_VALID;
			}
	}
	print_message("%zu numbers, %zu valid: the same answers\n", tried,
	    valid);
	assert_true(valid > 4000);
}

static void
normalize_names_the_problem(void **state)
{
	(void)state;
	bad("+999 1234 5678", "7", "country code no country has");
	bad("030 12", "49", "too short");
	bad("0999 999999", "49", "not a valid number of Germany");
	bad("12", "7", "too short");
	bad("+7 912 345 67 890", "7", "too long");
	bad("8 912 345 67 89", "999", "no country's");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(issue_examples),
	cmocka_unit_test(plan_check_countries),
	cmocka_unit_test(national_by_country_rules),
	cmocka_unit_test(cc_known_for_every_country),
	cmocka_unit_test(normalize_names_the_problem),
	cmocka_unit_test(short_way_answers_as_parse),
};

KT_TEST_MAIN(tests)
