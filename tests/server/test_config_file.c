/* SPDX-License-Identifier: MIT */
/* Tests for server/config_file.c: the syntax of kartotekad.conf (keys,
 * values, comments, quotes, line ends) and its hostile files (unknown and
 * repeated keys, NUL and control bytes, long lines, huge files), each
 * refused with the file and line in the message and nothing returned. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kt_test.h"

#include "config_file.h"
#include "kt_error.h"

static const char *const keys[] = { "data", "listen", "alert-command",
	"backup-keep", NULL };

/* Parses the len bytes of text as "f.conf"; returns the code, the
 * entries in *c (NULL on failure) and the message in err. */
static int
parse(const char *text, size_t len, kt_config_file_t **c, char err[512])
{
	err[0] = '\0';
	return kt_config_file_parse("f.conf", text, len, keys, c, err, 512);
}

#define PARSE_S(s, c, err) parse((s), strlen(s), (c), (err))

/* Parsing must fail with KT_EINVAL, no result, and a message starting
 * with want. */
static void
expect_refused(const char *text, size_t len, const char *want)
{
	kt_config_file_t *c = (kt_config_file_t *)1;
	char err[512];

	assert_int_equal(parse(text, len, &c, err), KT_EINVAL);
	assert_null(c);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("message '%s', expected it to start with '%s'", err,
		    want);
}

static void
keys_values_comments_blanks(void **state)
{
	kt_config_file_t *c = NULL;
	char err[512];

	(void)state;
	assert_int_equal(PARSE_S("# kartotekad\n\ndata = /var/lib/kt\n"
	    "   # indented comment\n\t\nlisten=0.0.0.0:7700\n", &c, err), 0);
	assert_non_null(c);
	assert_int_equal(c->n, 2);
	assert_string_equal(c->entries[0].key, "data");
	assert_string_equal(c->entries[0].value, "/var/lib/kt");
	assert_int_equal(c->entries[0].line, 3);
	assert_string_equal(c->entries[1].key, "listen");
	assert_string_equal(c->entries[1].value, "0.0.0.0:7700");
	assert_int_equal(c->entries[1].line, 6);
	assert_string_equal(c->path, "f.conf");
	kt_config_file_free(c);
	/* An empty file and one of comments are fine: no entries. */
	assert_int_equal(PARSE_S("", &c, err), 0);
	assert_int_equal(c->n, 0);
	kt_config_file_free(c);
	assert_int_equal(PARSE_S("#\n# x = y\n", &c, err), 0);
	assert_int_equal(c->n, 0);
	kt_config_file_free(c);
	kt_config_file_free(NULL);
}

static void
spaces_and_quotes(void **state)
{
	kt_config_file_t *c = NULL;
	char err[512];

	(void)state;
	/* Blanks around key and value go; inside the value they stay, and
	 * '#' after the start of a value is part of it. */
	assert_int_equal(PARSE_S(" \talert-command \t=  mail -s 'a b' anna "
	    "# x \t\n", &c, err), 0);
	assert_string_equal(c->entries[0].value, "mail -s 'a b' anna # x");
	kt_config_file_free(c);
	/* Double quotes around the whole value are removed, nothing inside
	 * is special; a quote that is not at the start is kept. */
	assert_int_equal(PARSE_S("alert-command = \" logger \"a\" \"\n"
	    "data = /srv/\"x\"\n", &c, err), 0);
	assert_string_equal(c->entries[0].value, " logger \"a\" ");
	assert_string_equal(c->entries[1].value, "/srv/\"x\"");
	kt_config_file_free(c);
	/* A value of one '=' sign, after the first. */
	assert_int_equal(PARSE_S("data==\n", &c, err), 0);
	assert_string_equal(c->entries[0].value, "=");
	kt_config_file_free(c);
	expect_refused("listen = \"1.2.3.4:1\n", 20,
	    "f.conf:1: 'listen': the value opens a quote it does not close");
	expect_refused("listen = \"\n", 11, "f.conf:1: 'listen': the value "
	    "opens a quote");
	expect_refused("data = \"\"\n", 10, "f.conf:1: 'data' has no value");
	expect_refused("data =  \n", 9, "f.conf:1: 'data' has no value");
}

static void
no_final_newline(void **state)
{
	kt_config_file_t *c = NULL;
	char err[512];

	(void)state;
	assert_int_equal(PARSE_S("data = a\nlisten = b", &c, err), 0);
	assert_int_equal(c->n, 2);
	assert_string_equal(c->entries[1].value, "b");
	assert_int_equal(c->entries[1].line, 2);
	kt_config_file_free(c);
}

static void
crlf_lines(void **state)
{
	kt_config_file_t *c = NULL;
	char err[512];

	(void)state;
	assert_int_equal(PARSE_S("data = a \r\n\r\nlisten = b\r\n", &c, err),
	    0);
	assert_int_equal(c->n, 2);
	assert_string_equal(c->entries[0].value, "a");
	assert_string_equal(c->entries[1].value, "b");
	kt_config_file_free(c);
	/* A lone CR inside a line is a control character. */
	expect_refused("data = a\rb\n", 11, "f.conf:1: a control character "
	    "(0x0d)");
}

static void
unknown_key(void **state)
{
	(void)state;
	expect_refused("data = a\n\nlisen = 1.2.3.4:5\n", 28,
	    "f.conf:3: unknown key 'lisen'");
	/* Keys are the options without "--", exactly. */
	expect_refused("--data = a\n", 11, "f.conf:1: unknown key '--data'");
	expect_refused("Data = a\n", 9, "f.conf:1: unknown key 'Data'");
	expect_refused("data a = b\n", 11, "f.conf:1: unknown key 'data a'");
}

static void
duplicate_key_names_both_lines(void **state)
{
	(void)state;
	expect_refused("data = a\nlisten = b\n# again\ndata = c\n", 37,
	    "f.conf:4: 'data' is set again (first on line 1)");
}

static void
bad_lines(void **state)
{
	(void)state;
	expect_refused("data\n", 5, "f.conf:1: expected `key = value`, got "
	    "'data'");
	expect_refused("\n = x\n", 6, "f.conf:2: no key before '='");
	expect_refused("data: /x\n", 9, "f.conf:1: expected `key = value`");
}

static void
nul_and_control_bytes(void **state)
{
	static const char nul[] = "data = a\nlisten = 1.2\0.3.4:5\n";
	static const char esc[] = "data = \x1b[31m\n";

	(void)state;
	expect_refused(nul, sizeof(nul) - 1, "f.conf:2: a NUL byte in the "
	    "line");
	expect_refused(esc, sizeof(esc) - 1, "f.conf:1: a control character "
	    "(0x1b)");
	expect_refused("data = a\x7f\n", 10, "f.conf:1: a control character "
	    "(0x7f)");
}

static void
long_line_and_large_file(void **state)
{
	size_t big = KT_CONFIG_FILE_MAX + 1;
	char *buf = malloc(big);
	kt_config_file_t *c = NULL;
	char err[512];

	(void)state;
	assert_non_null(buf);
	/* A line of exactly the limit is read; one byte more is refused. */
	memcpy(buf, "data = ", 7);
	memset(buf + 7, 'x', KT_CONFIG_LINE_MAX - 7);
	buf[KT_CONFIG_LINE_MAX] = '\n';
	assert_int_equal(parse(buf, KT_CONFIG_LINE_MAX + 1, &c, err), 0);
	assert_int_equal(strlen(c->entries[0].value), KT_CONFIG_LINE_MAX - 7);
	kt_config_file_free(c);
	memcpy(buf, "# ok\n", 5);
	memcpy(buf + 5, "data = ", 7);
	memset(buf + 12, 'x', KT_CONFIG_LINE_MAX - 6);
	expect_refused(buf, 5 + KT_CONFIG_LINE_MAX + 1, "f.conf:2: longer "
	    "than 4096 bytes");
	/* A file over the limit, whatever it holds. */
	memset(buf, '\n', big);
	expect_refused(buf, big, "f.conf: larger than 1048576 bytes");
	free(buf);
}

static void
read_missing_and_dir(void **state)
{
	char dir[] = "/tmp/kt-conf.XXXXXX", path[64], err[512];
	kt_config_file_t *c = (kt_config_file_t *)1;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/none.conf", dir);
	assert_int_equal(kt_config_file_read(path, keys, &c, err,
	    sizeof(err)), KT_ENOTFOUND);
	assert_null(c);
	/* A directory is not a file to read. */
	assert_int_equal(kt_config_file_read(dir, keys, &c, err,
	    sizeof(err)), KT_EIO);
	assert_null(c);
	snprintf(path, sizeof(path), "%s/k.conf", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("backup-keep = 3\nbackup-keep = 4", f);
	fclose(f);
	assert_int_equal(kt_config_file_read(path, keys, &c, err,
	    sizeof(err)), KT_EINVAL);
	assert_non_null(strstr(err, "k.conf:2: 'backup-keep' is set again "
	    "(first on line 1)"));
	unlink(path);
	rmdir(dir);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(keys_values_comments_blanks),
	cmocka_unit_test(spaces_and_quotes),
	cmocka_unit_test(no_final_newline),
	cmocka_unit_test(crlf_lines),
	cmocka_unit_test(unknown_key),
	cmocka_unit_test(duplicate_key_names_both_lines),
	cmocka_unit_test(bad_lines),
	cmocka_unit_test(nul_and_control_bytes),
	cmocka_unit_test(long_line_and_large_file),
	cmocka_unit_test(read_missing_and_dir),
};

KT_TEST_MAIN(tests)
