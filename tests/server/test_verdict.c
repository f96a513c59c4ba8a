/* SPDX-License-Identifier: MIT */
/* Tests for server/model/verdict.c: OK and refused, the message cut to
 * fit. */
#include <string.h>

#include "kt_test.h"

#include "kartoteka.pb-c.h"
#include "model/verdict.h"

static void
ok_and_refused(void **state)
{
	kt_verdict_t v;

	(void)state;
	memset(&v, 0x5a, sizeof(v));
	kt_verdict_ok(&v);
	assert_true(kt_verdict_is_ok(&v));
	assert_int_equal(v.code, 0);
	assert_string_equal(v.msg, "");

	kt_verdict_set(&v, KARTOTEKA__ERROR__CODE__CONFLICT, "%s: '%s' is %d",
	    "login", "anna", 7);
	assert_false(kt_verdict_is_ok(&v));
	assert_int_equal(v.code, KARTOTEKA__ERROR__CODE__CONFLICT);
	assert_string_equal(v.msg, "login: 'anna' is 7");

	kt_verdict_ok(&v);
	assert_true(kt_verdict_is_ok(&v));
	assert_string_equal(v.msg, "");
}

static void
message_cut_to_fit(void **state)
{
	char big[1000];
	kt_verdict_t v;

	(void)state;
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(&v, 0x5a, sizeof(v));
	kt_verdict_set(&v, KARTOTEKA__ERROR__CODE__BAD_REQUEST, "%s", big);
	assert_int_equal(strlen(v.msg), sizeof(v.msg) - 1);
	assert_memory_equal(v.msg, big, sizeof(v.msg) - 1);
	assert_int_equal(v.code, KARTOTEKA__ERROR__CODE__BAD_REQUEST);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(ok_and_refused),
	cmocka_unit_test(message_cut_to_fit),
};

KT_TEST_MAIN(tests)
