/* SPDX-License-Identifier: MIT */
/* Tests for server/catalog.c: translating formatted English messages
 * with a catalogue msgfmt compiled from tests/data/catalog/ru.po (in both
 * byte orders), and damaged catalogues refused without a crash. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_test.h"

#include "catalog.h"

static uint8_t *
slurp(const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	uint8_t *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", KT_CATALOG_DIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static kt_catalog_t *
open_ru(const char *file)
{
	kt_catalog_t *c = kt_catalog_new();
	char path[1024], err[256];

	assert_non_null(c);
	snprintf(path, sizeof(path), "%s/%s", KT_CATALOG_DIR, file);
	if (kt_catalog_load_file(c, "ru", path, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_true(kt_catalog_has(c, "ru"));
	return c;
}

/* The Russian of msg, through a fresh buffer. */
static void
expect_ru(kt_catalog_t *c, const char *msg, const char *want)
{
	char out[512];
	const char *got = kt_catalog_translate(c, "ru", msg, out, sizeof(out));

	if (strcmp(got, want) != 0)
		fail_msg("'%s': got '%s', want '%s'", msg, got, want);
}

static void
exact_message(void **state)
{
	kt_catalog_t *c = open_ru("little.mo");

	(void)state;
	expect_ru(c, "store unavailable", "хранилище недоступно");
	/* only the whole message: a prefix or a longer one stays English */
	expect_ru(c, "store unavailable now", "store unavailable now");
	expect_ru(c, "store", "store");
	kt_catalog_free(c);
}

static void
format_with_pri64(void **state)
{
	kt_catalog_t *c = open_ru("little.mo");
	char msg[64];

	(void)state;
	snprintf(msg, sizeof(msg), "no client %" PRIu64, UINT64_MAX);
	expect_ru(c, msg, "нет клиента 18446744073709551615");
	expect_ru(c, "no client 7", "нет клиента 7");
	/* not a number where the format has one */
	expect_ru(c, "no client x7", "no client x7");
	expect_ru(c, "no client ", "no client ");
	kt_catalog_free(c);
}

static void
positional_reorder(void **state)
{
	kt_catalog_t *c = open_ru("little.mo");

	(void)state;
	expect_ru(c, "no client 42 in branch Центр",
	    "в филиале Центр нет клиента 42");
	kt_catalog_free(c);
}

static void
nested_message(void **state)
{
	kt_catalog_t *c = open_ru("little.mo");

	(void)state;
	expect_ru(c, "import refused: store unavailable",
	    "импорт отклонён: хранилище недоступно");
	expect_ru(c, "import refused: no client 5 in branch Север",
	    "импорт отклонён: в филиале Север нет клиента 5");
	/* a capture that is no message stays as it was */
	expect_ru(c, "import refused: whatever happened",
	    "импорт отклонён: whatever happened");
	expect_ru(c, "people[1].phones[0]: '12' is not a phone number",
	    "people[1].phones[0]: «12» — не номер телефона");
	/* a quoted value is what someone typed: never translated */
	expect_ru(c, "no user with login 'export'",
	    "нет пользователя с логином «export»");
	expect_ru(c, "import refused: export", "импорт отклонён: выгружать "
	    "данные");
	kt_catalog_free(c);
}

static void
percent_and_float(void **state)
{
	kt_catalog_t *c = open_ru("little.mo");

	(void)state;
	expect_ru(c, "discount 120% is over 100%", "скидка 120% больше 100%");
	expect_ru(c, "discount -5% is over 100%", "скидка -5% больше 100%");
	expect_ru(c, "amount -12.50 is negative", "сумма -12.50 отрицательна");
	expect_ru(c, "amount 1e+30 is negative", "сумма 1e+30 отрицательна");
	kt_catalog_free(c);
}

static void
most_specific_wins(void **state)
{
	kt_catalog_t *c = open_ru("little.mo");

	(void)state;
	/* "no client %<PRIu64>" cannot take " in branch ...": the longer
	 * format matches; "import refused: %s" is less specific than the
	 * message inside, which is translated as the capture */
	expect_ru(c, "no client 1 in branch A", "в филиале A нет клиента 1");
	kt_catalog_free(c);
}

static void
incompatible_translation_skipped(void **state)
{
	kt_catalog_t *c = open_ru("little.mo");

	(void)state;
	/* msgstr "осталось %d" keeps its one number: usable */
	expect_ru(c, "3 clients left", "осталось 3");
	/* one number dropped, or a number for a text: left English */
	expect_ru(c, "3 of 9 seats taken", "3 of 9 seats taken");
	expect_ru(c, "Anna wins", "Anna wins");
	kt_catalog_free(c);
}

static void
plural_entries_skipped(void **state)
{
	kt_catalog_t *c = open_ru("little.mo");

	(void)state;
	expect_ru(c, "one client", "one client");
	expect_ru(c, "5 clients", "5 clients");
	kt_catalog_free(c);
}

static void
english_and_unknown_language(void **state)
{
	kt_catalog_t *c = open_ru("little.mo");
	char out[64];
	const char *m = "store unavailable";

	(void)state;
	assert_ptr_equal(kt_catalog_translate(c, "en", m, out, sizeof(out)), m);
	assert_ptr_equal(kt_catalog_translate(c, "de", m, out, sizeof(out)), m);
	assert_ptr_equal(kt_catalog_translate(c, "", m, out, sizeof(out)), m);
	assert_ptr_equal(kt_catalog_translate(c, NULL, m, out, sizeof(out)), m);
	assert_ptr_equal(kt_catalog_translate(NULL, "ru", m, out, sizeof(out)),
	    m);
	assert_false(kt_catalog_has(c, "de"));
	kt_catalog_free(c);
}

static void
cut_on_character(void **state)
{
	kt_catalog_t *c = open_ru("little.mo");
	char out[8];
	const char *got;

	(void)state;
	/* "хранилище": two bytes a letter; 7 bytes of room hold three */
	got = kt_catalog_translate(c, "ru", "store unavailable", out,
	    sizeof(out));
	assert_ptr_equal(got, out);
	assert_string_equal(out, "хра");
	kt_catalog_free(c);
}

static void
both_byte_orders(void **state)
{
	kt_catalog_t *c = open_ru("big.mo");

	(void)state;
	expect_ru(c, "no client 42 in branch Центр",
	    "в филиале Центр нет клиента 42");
	expect_ru(c, "store unavailable", "хранилище недоступно");
	kt_catalog_free(c);
}

static void
damaged_files_refused(void **state)
{
	kt_catalog_t *c = kt_catalog_new();
	size_t len;
	uint8_t *mo = slurp("little.mo", &len);
	char err[256];
	uint8_t junk[64];

	(void)state;
	memset(junk, 0xab, sizeof(junk));
	assert_int_equal(kt_catalog_load_mem(c, "ru", junk, sizeof(junk), err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not a GNU .mo"));
	assert_int_equal(kt_catalog_load_mem(c, "ru", mo, 20, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "damaged"));
	/* the original strings' table pointing past the end */
	mo[12] = 0xff;
	mo[13] = 0xff;
	assert_int_equal(kt_catalog_load_mem(c, "ru", mo, len, err,
	    sizeof(err)), -1);
	assert_int_equal(kt_catalog_load_mem(c, "RU", junk, 4, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "language"));
	assert_int_equal(kt_catalog_load_file(c, "ru", "/nonexistent/x.mo",
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/x.mo"));
	assert_false(kt_catalog_has(c, "ru"));
	free(mo);
	kt_catalog_free(c);
}

/* Every prefix of the file, and every single byte changed, loads or is
 * refused: never a read outside (the sanitizer build checks). */
static void
every_truncation_is_safe(void **state)
{
	size_t len;
	uint8_t *mo = slurp("little.mo", &len);
	char err[256], out[256];

	(void)state;
	for (size_t n = 0; n <= len; n++) {
		kt_catalog_t *c = kt_catalog_new();
		if (kt_catalog_load_mem(c, "ru", mo, n, err, sizeof(err)) == 0)
			(void)kt_catalog_translate(c, "ru", "no client 1", out,
			    sizeof(out));
		kt_catalog_free(c);
	}
	for (size_t i = 0; i < len; i++) {
		kt_catalog_t *c = kt_catalog_new();
		uint8_t keep = mo[i];
		mo[i] ^= 0x5a;
		if (kt_catalog_load_mem(c, "ru", mo, len, err, sizeof(err)) == 0)
			(void)kt_catalog_translate(c, "ru",
			    "import refused: no client 1 in branch X", out,
			    sizeof(out));
		mo[i] = keep;
		kt_catalog_free(c);
	}
	free(mo);
}

static void
load_dir_reports_missing(void **state)
{
	kt_catalog_t *c = kt_catalog_new();
	char err[512];

	(void)state;
	assert_int_equal(kt_catalog_load_dir(c, "/nonexistent", "ru uk", err,
	    sizeof(err)), 0);
	assert_non_null(strstr(err, "/nonexistent/ru/LC_MESSAGES/kartoteka.mo"));
	assert_int_equal(kt_catalog_load_dir(c, "/nonexistent", "", err,
	    sizeof(err)), 0);
	kt_catalog_free(c);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(exact_message),
	cmocka_unit_test(format_with_pri64),
	cmocka_unit_test(positional_reorder),
	cmocka_unit_test(nested_message),
	cmocka_unit_test(percent_and_float),
	cmocka_unit_test(most_specific_wins),
	cmocka_unit_test(incompatible_translation_skipped),
	cmocka_unit_test(plural_entries_skipped),
	cmocka_unit_test(english_and_unknown_language),
	cmocka_unit_test(cut_on_character),
	cmocka_unit_test(both_byte_orders),
	cmocka_unit_test(damaged_files_refused),
	cmocka_unit_test(every_truncation_is_safe),
	cmocka_unit_test(load_dir_reports_missing),
};

KT_TEST_MAIN(tests)
