/* SPDX-License-Identifier: MIT */
/* Tests for server/model/bizday.c: time zones read from the system's tz
 * database (tzdata) give the local day and minute, a zone name is checked
 * before any file is opened, and the cache falls back to its default. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kt_test.h"

#include "kt_error.h"
#include "model/bizday.h"

/* 2026-12-01 00:30 UTC = 10:30 in Vladivostok (UTC+10), 03:30 in Moscow. */
#define T0 1796085000LL

static kt_tz_t *
zone(const char *name)
{
	kt_tz_t *tz = NULL;
	char err[200] = "";
	int rc = kt_tz_load(NULL, name, &tz, err, sizeof(err));

	if (rc != 0)
		fail_msg("zone %s: %s", name, err);
	return tz;
}

static void
offsets_of_known_zones(void **state)
{
	kt_tz_t *vl = zone("Asia/Vladivostok"), *msk = zone("Europe/Moscow"),
	    *ber = zone("Europe/Berlin"), *utc = zone("UTC");

	(void)state;
	assert_int_equal(kt_tz_offset(vl, T0), 10 * 3600);
	assert_int_equal(kt_tz_offset(msk, T0), 3 * 3600);
	assert_int_equal(kt_tz_offset(utc, T0), 0);
	/* Berlin: winter +1, summer (2026-07-01 12:00 UTC) +2. */
	assert_int_equal(kt_tz_offset(ber, T0), 3600);
	assert_int_equal(kt_tz_offset(ber, 1782907200LL), 7200);
	/* Moscow was +4 in 2012 (permanent summer time). */
	assert_int_equal(kt_tz_offset(msk, 1341144000LL), 4 * 3600);
	assert_string_equal(kt_tz_name(vl), "Asia/Vladivostok");
	kt_tz_free(vl);
	kt_tz_free(msk);
	kt_tz_free(ber);
	kt_tz_free(utc);
}

static void
days_turn_at_local_midnight(void **state)
{
	kt_tz_t *vl = zone("Asia/Vladivostok"), *msk = zone("Europe/Moscow");
	uint32_t utc_day = (uint32_t)(T0 / 86400);
	int64_t end = 0;

	(void)state;
	/* 10:30 in Vladivostok is the same calendar day as 00:30 UTC... */
	assert_int_equal(kt_tz_day(vl, T0, &end), utc_day);
	assert_true(end == (int64_t)(utc_day + 1) * 86400 - 10 * 3600);
	assert_int_equal(kt_tz_minute(vl, T0), 10 * 60 + 30);
	/* ...but 14:30 UTC the evening before is already that day there,
	 * and not yet in Moscow. */
	assert_int_equal(kt_tz_day(vl, T0 - 10 * 3600, NULL), utc_day);
	assert_int_equal(kt_tz_day(msk, T0 - 10 * 3600, NULL), utc_day - 1);
	/* 13:59:59 UTC is 23:59:59 there: the day before. */
	assert_int_equal(kt_tz_day(vl, (int64_t)utc_day * 86400 - 10 * 3600 - 1,
	    NULL), utc_day - 1);
	kt_tz_free(vl);
	kt_tz_free(msk);
}

static void
bad_names_refused(void **state)
{
	const char *bad[] = { "../etc/passwd", "/etc/localtime", "Europe/..",
		"Asia/Vladivostok;rm", "Нск", "Europe//x y" };
	kt_tz_t *tz = NULL;
	char err[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(kt_tz_load(NULL, bad[i], &tz, err,
		    sizeof(err)), KT_EINVAL);
		assert_null(tz);
		assert_non_null(strstr(err, "not a zone name"));
	}
	assert_int_equal(kt_tz_load(NULL, "Mars/Olympus", &tz, err,
	    sizeof(err)), KT_ENOTFOUND);
	assert_non_null(strstr(err, "Mars/Olympus"));
	/* A directory is not a zone file. */
	assert_int_equal(kt_tz_load(NULL, "Europe", &tz, err, sizeof(err)),
	    KT_EINVAL);
	assert_null(tz);
}

static void
cache_falls_back_to_default(void **state)
{
	kt_tzcache_t *c = NULL;
	const kt_tz_t *a, *b;
	char err[200];

	(void)state;
	assert_int_equal(kt_tzcache_new(NULL, "Europe/Moscow", &c, err,
	    sizeof(err)), 0);
	a = kt_tzcache_get(c, "");
	assert_string_equal(kt_tz_name(a), "Europe/Moscow");
	assert_int_equal(kt_tzcache_check(c, "Asia/Vladivostok", err,
	    sizeof(err)), 0);
	b = kt_tzcache_get(c, "Asia/Vladivostok");
	assert_string_equal(kt_tz_name(b), "Asia/Vladivostok");
	assert_ptr_equal(kt_tzcache_get(c, "Asia/Vladivostok"), b);
	assert_ptr_equal(kt_tzcache_get(c, "No/Such"), a);
	assert_ptr_equal(kt_tzcache_get(c, NULL), a);
	assert_int_equal(kt_tzcache_check(c, "No/Such", err, sizeof(err)),
	    KT_ENOTFOUND);
	kt_tzcache_free(c);
	assert_int_equal(kt_tzcache_new(NULL, "Bad Zone", &c, err,
	    sizeof(err)), KT_EINVAL);
	assert_null(c);
}

static void
truncated_file_refused(void **state)
{
	char dir[] = "/tmp/kt-tz-XXXXXX", path[64];
	kt_tz_t *tz = NULL;
	char err[200];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/Bad", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("TZif2", f);
	for (int i = 0; i < 60; i++)
		fputc(i == 23 ? 9 : 0, f);  /* counts that do not fit */
	fclose(f);
	assert_int_equal(kt_tz_load(dir, "Bad", &tz, err, sizeof(err)),
	    KT_EINVAL);
	assert_non_null(strstr(err, "not a valid TZif file"));
	assert_null(tz);
	remove(path);
	rmdir(dir);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(offsets_of_known_zones),
	cmocka_unit_test(days_turn_at_local_midnight),
	cmocka_unit_test(bad_names_refused),
	cmocka_unit_test(cache_falls_back_to_default),
	cmocka_unit_test(truncated_file_refused),
};

KT_TEST_MAIN(tests)
