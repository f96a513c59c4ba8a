/* SPDX-License-Identifier: MIT */
/* Tests for server/log.c: level names, the plain and the journal line,
 * control characters and long messages, $JOURNAL_STREAM matched against
 * stderr itself, and levels below the setting dropped (stderr redirected
 * to a file the test reads back). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kt_test.h"

#include "kt_error.h"
#include "log.h"

static size_t
fmt(char *buf, size_t cap, int journal, kt_log_level_t level,
    const char *f, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, f);
	n = kt_log_format(buf, cap, journal, level, f, ap);
	va_end(ap);
	return n;
}

static void
level_names(void **state)
{
	kt_log_level_t l = KT_LOG_DEBUG;

	(void)state;
	assert_int_equal(kt_log_level_parse("error", &l), 0);
	assert_int_equal(l, 3);
	assert_int_equal(kt_log_level_parse("warning", &l), 0);
	assert_int_equal(l, 4);
	assert_int_equal(kt_log_level_parse("notice", &l), 0);
	assert_int_equal(l, 5);
	assert_int_equal(kt_log_level_parse("info", &l), 0);
	assert_int_equal(l, 6);
	assert_int_equal(kt_log_level_parse("debug", &l), 0);
	assert_int_equal(l, 7);
	assert_int_equal(kt_log_level_parse("Info", &l), KT_EINVAL);
	assert_int_equal(kt_log_level_parse("", &l), KT_EINVAL);
	assert_int_equal(kt_log_level_parse("err", &l), KT_EINVAL);
	assert_int_equal(l, 7);
}

static void
plain_line(void **state)
{
	char buf[256];

	(void)state;
	/* The lines the integration tests grep for keep their text. */
	assert_int_equal(fmt(buf, sizeof(buf), 0, KT_LOG_INFO,
	    "backup written: %s (%d bytes)", "/b/x", 12), 44);
	assert_string_equal(buf, "kartotekad: backup written: /b/x (12 bytes)\n");
}

static void
journal_prefix(void **state)
{
	char buf[256];

	(void)state;
	fmt(buf, sizeof(buf), 1, KT_LOG_ERR, "cannot listen on %s", "x");
	assert_string_equal(buf, "<3>cannot listen on x\n");
	fmt(buf, sizeof(buf), 1, KT_LOG_WARNING, "w");
	assert_string_equal(buf, "<4>w\n");
	fmt(buf, sizeof(buf), 1, KT_LOG_NOTICE, "signal 15: stopping");
	assert_string_equal(buf, "<5>signal 15: stopping\n");
	fmt(buf, sizeof(buf), 1, KT_LOG_DEBUG, "d");
	assert_string_equal(buf, "<7>d\n");
}

static void
control_characters(void **state)
{
	char buf[256];

	(void)state;
	/* A branch name with a newline cannot forge a second line. */
	fmt(buf, sizeof(buf), 1, KT_LOG_WARNING, "branch %s: gone",
	    "a\n<3>fake\x1b[0m\t\x7f");
	assert_string_equal(buf, "<4>branch a?<3>fake?[0m??: gone\n");
}

static void
long_message_cut(void **state)
{
	char big[5000], buf[KT_LOG_LINE_MAX + 16], small[20];
	size_t n;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n = fmt(buf, sizeof(buf), 0, KT_LOG_INFO, "%s", big);
	assert_int_equal(n, sizeof(buf) - 1);
	assert_int_equal(strlen(buf), n);
	assert_int_equal(buf[n - 1], '\n');
	assert_int_equal(buf[n - 2], 'x');
	/* Exactly filling: "kartotekad: " + 6 bytes + "\n" in 20. */
	n = fmt(small, sizeof(small), 0, KT_LOG_INFO, "%s", "abcdef");
	assert_int_equal(n, 19);
	assert_string_equal(small, "kartotekad: abcdef\n");
	n = fmt(small, sizeof(small), 0, KT_LOG_INFO, "%s", "abcdefg");
	assert_int_equal(n, 19);
	assert_string_equal(small, "kartotekad: abcdef\n");
	/* A buffer too small for any line is left empty. */
	assert_int_equal(fmt(small, 8, 0, KT_LOG_INFO, "x"), 0);
	assert_string_equal(small, "");
}

/* Points stderr at a new temporary file; returns the saved stderr. */
static int
stderr_to(char path[32])
{
	int fd, saved;

	strcpy(path, "/tmp/kt-log.XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
	return saved;
}

static void
stderr_back(int saved)
{
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
}

static void
stderr_is_journal(void **state)
{
	char path[32], env[64];
	struct stat st;
	int saved;

	(void)state;
	saved = stderr_to(path);
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	unsetenv("JOURNAL_STREAM");
	assert_false(kt_log_stderr_is_journal());
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	assert_true(kt_log_stderr_is_journal());
	/* Another file (stderr redirected by a parent) is not the journal. */
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", env, 1);
	assert_false(kt_log_stderr_is_journal());
	setenv("JOURNAL_STREAM", "garbage", 1);
	assert_false(kt_log_stderr_is_journal());
	snprintf(env, sizeof(env), "%llu:%llux", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	assert_false(kt_log_stderr_is_journal());
	unsetenv("JOURNAL_STREAM");
	stderr_back(saved);
	unlink(path);
}

static void
levels_dropped(void **state)
{
	char path[32], buf[512];
	FILE *f;
	size_t n;
	int saved;

	(void)state;
	saved = stderr_to(path);
	kt_log_setup(KT_LOG_NOTICE, 0);
	kt_log(KT_LOG_ERR, "e %d", 1);
	kt_log(KT_LOG_WARNING, "w");
	kt_log(KT_LOG_NOTICE, "n");
	kt_log(KT_LOG_INFO, "i");
	kt_log(KT_LOG_DEBUG, "d");
	kt_log_setup(KT_LOG_DEBUG, 1);
	kt_log(KT_LOG_DEBUG, "d2");
	kt_log_setup(KT_LOG_INFO, 0);
	stderr_back(saved);
	assert_non_null(f = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, "kartotekad: e 1\nkartotekad: w\n"
	    "kartotekad: n\n<7>d2\n");
	unlink(path);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(level_names),
	cmocka_unit_test(plain_line),
	cmocka_unit_test(journal_prefix),
	cmocka_unit_test(control_characters),
	cmocka_unit_test(long_message_cut),
	cmocka_unit_test(stderr_is_journal),
	cmocka_unit_test(levels_dropped),
};

KT_TEST_MAIN(tests)
