/* SPDX-License-Identifier: MIT */
/* Tests for common/config.c: where the directory is, and the terminal key,
 * server and session files in it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kt_test.h"

#include <sodium.h>

#include "config.h"
#include "kt_error.h"

typedef struct fixture {
	char root[PATH_MAX];   /* temporary directory, removed afterwards */
	char dir[PATH_MAX + 16]; /* root/cfg/sub: the config dir (not created) */
	kt_config_t cfg;
} fixture_t;

static int
setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (f == NULL || sodium_init() < 0)
		return -1;
	snprintf(f->root, sizeof(f->root), "%s/kt_config_XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(f->root) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/cfg/sub", f->root);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture_t *f = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd) != 0)
		return -1;
	kt_config_clear(&f->cfg);
	free(f);
	return 0;
}

static void
path_in(char *out, size_t cap, const fixture_t *f, const char *name)
{
	snprintf(out, cap, "%s/%s", f->dir, name);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void
write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
dir_order(void **state)
{
	char out[256];

	(void)state;
	setenv("KARTOTEKA_CONFIG", "/k", 1);
	setenv("XDG_CONFIG_HOME", "/x", 1);
	setenv("HOME", "/h", 1);
	assert_int_equal(kt_config_dir("/explicit/", out, sizeof(out)), 0);
	assert_string_equal(out, "/explicit");
	assert_int_equal(kt_config_dir(NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "/k");
	unsetenv("KARTOTEKA_CONFIG");
	assert_int_equal(kt_config_dir(NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "/x/kartoteka");
	setenv("XDG_CONFIG_HOME", "relative", 1); /* ignored, per XDG */
	assert_int_equal(kt_config_dir(NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "/h/.config/kartoteka");
	unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(kt_config_dir("", out, sizeof(out)), 0);
	assert_string_equal(out, "/h/.config/kartoteka");
	unsetenv("HOME");
	assert_int_equal(kt_config_dir(NULL, out, sizeof(out)), KT_EINVAL);
	assert_int_equal(kt_config_dir("/a/very/long/path", out, 8),
	    KT_EINVAL);
}

static void
load_empty(void **state)
{
	fixture_t *f = *state;
	struct stat st;

	assert_int_equal(kt_config_load(&f->cfg, f->dir, NULL), 0);
	assert_string_equal(f->cfg.dir, f->dir);
	assert_false(f->cfg.has_terminal);
	assert_false(f->cfg.has_server);
	assert_false(f->cfg.has_session);
	assert_int_equal(stat(f->dir, &st), -1); /* created nothing */
}

static void
ensure_terminal(void **state)
{
	fixture_t *f = *state;
	char path[PATH_MAX + 64];
	uint8_t pub[32];
	kt_config_t again;

	assert_int_equal(kt_config_load(&f->cfg, f->dir, NULL), 0);
	assert_int_equal(kt_config_ensure_terminal(&f->cfg), 0);
	assert_true(f->cfg.has_terminal);
	assert_int_equal(mode_of(f->dir), 0700);
	path_in(path, sizeof(path), f, "terminal.key");
	assert_int_equal(mode_of(path), 0600);
	memcpy(pub, f->cfg.terminal_pub, 32);
	/* A second call keeps the key; a reload derives the same public key. */
	assert_int_equal(kt_config_ensure_terminal(&f->cfg), 0);
	assert_memory_equal(pub, f->cfg.terminal_pub, 32);
	assert_int_equal(kt_config_load(&again, f->dir, NULL), 0);
	assert_true(again.has_terminal);
	assert_memory_equal(pub, again.terminal_pub, 32);
	assert_memory_equal(f->cfg.terminal_priv, again.terminal_priv, 32);
	/* A stale cfg without the key loads the existing one, not a new one. */
	kt_config_t stale;
	assert_int_equal(kt_config_load(&stale, f->dir, NULL), 0);
	stale.has_terminal = 0;
	assert_int_equal(kt_config_ensure_terminal(&stale), 0);
	assert_memory_equal(pub, stale.terminal_pub, 32);
	kt_config_clear(&again);
	kt_config_clear(&stale);
}

static void
server_roundtrip(void **state)
{
	fixture_t *f = *state;
	char path[PATH_MAX + 32], text[512], expect[512];
	kt_config_t got;
	FILE *fp;
	size_t n;

	assert_int_equal(kt_config_load(&f->cfg, f->dir, NULL), 0);
	strcpy(f->cfg.address, "127.0.0.1:7700");
	for (int i = 0; i < 32; i++)
		f->cfg.server_key[i] = (uint8_t)(0xf0 ^ i);
	strcpy(f->cfg.branch, "Центр Nord");
	assert_int_equal(kt_config_save_server(&f->cfg), 0);
	path_in(path, sizeof(path), f, "server");
	assert_int_equal(mode_of(path), 0600);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	snprintf(expect, sizeof(expect), "address 127.0.0.1:7700\nkey ");
	for (int i = 0; i < 32; i++)
		snprintf(expect + strlen(expect), 3, "%02x", 0xf0 ^ i);
	strcat(expect, "\nbranch Центр Nord\n");
	assert_string_equal(text, expect);

	assert_int_equal(kt_config_load(&got, f->dir, NULL), 0);
	assert_true(got.has_server);
	assert_string_equal(got.address, "127.0.0.1:7700");
	assert_memory_equal(got.server_key, f->cfg.server_key, 32);
	assert_string_equal(got.branch, "Центр Nord");

	/* Owner terminal: empty branch. */
	f->cfg.branch[0] = '\0';
	assert_int_equal(kt_config_save_server(&f->cfg), 0);
	assert_int_equal(kt_config_load(&got, f->dir, NULL), 0);
	assert_true(got.has_server);
	assert_string_equal(got.branch, "");
}

static void
server_malformed(void **state)
{
	static const struct {
		const char *text, *needle;
	} cases[] = {
		{ "key 0000000000000000000000000000000000000000000000000000000000000000\n", "address" },
		{ "address h:1\n", "key" },
		{ "address nope\nkey 0000000000000000000000000000000000000000000000000000000000000000\n", "address" },
		{ "address h:1\nkey 00zz000000000000000000000000000000000000000000000000000000000000\n", "key" },
		{ "address h:1\nkey 0000\n", "key" },
		{ "", "address" },
	};
	fixture_t *f = *state;
	char path[PATH_MAX + 64];
	const char *why;

	assert_int_equal(kt_config_load(&f->cfg, f->dir, NULL), 0);
	assert_int_equal(kt_config_ensure_terminal(&f->cfg), 0);
	path_in(path, sizeof(path), f, "server");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_text(path, cases[i].text, 0600);
		why = NULL;
		assert_int_equal(kt_config_load(&f->cfg, f->dir, &why),
		    KT_EINVAL);
		assert_non_null(why);
		if (strstr(why, cases[i].needle) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, why,
			    cases[i].needle);
		assert_false(f->cfg.has_terminal); /* zeroed on error */
		assert_string_equal(f->cfg.dir, f->dir);
	}
}

static void
server_unknown_lines(void **state)
{
	fixture_t *f = *state;
	char path[PATH_MAX + 64];

	assert_int_equal(kt_config_load(&f->cfg, f->dir, NULL), 0);
	assert_int_equal(kt_config_ensure_terminal(&f->cfg), 0);
	path_in(path, sizeof(path), f, "server");
	write_text(path, "future something\r\naddress [::1]:9\r\nkey "
	    "0101010101010101010101010101010101010101010101010101010101010101"
	    "\nbranch\n", 0644);
	assert_int_equal(kt_config_load(&f->cfg, f->dir, NULL), 0);
	assert_true(f->cfg.has_server);
	assert_string_equal(f->cfg.address, "[::1]:9");
	assert_int_equal(f->cfg.server_key[31], 1);
	assert_string_equal(f->cfg.branch, "");
}

static void
server_rejects_line_break(void **state)
{
	fixture_t *f = *state;

	assert_int_equal(kt_config_load(&f->cfg, f->dir, NULL), 0);
	strcpy(f->cfg.address, "h:1");
	strcpy(f->cfg.branch, "x\nkey 00");
	assert_int_equal(kt_config_save_server(&f->cfg), KT_EINVAL);
	strcpy(f->cfg.branch, "ok");
	strcpy(f->cfg.address, "no port");
	assert_int_equal(kt_config_save_server(&f->cfg), KT_EINVAL);
}

static void
session_roundtrip(void **state)
{
	fixture_t *f = *state;
	char path[PATH_MAX + 64];
	kt_config_t got;

	assert_int_equal(kt_config_load(&f->cfg, f->dir, NULL), 0);
	assert_int_equal(kt_config_save_session(&f->cfg), KT_EINVAL);
	randombytes_buf(f->cfg.session, 32);
	f->cfg.has_session = 1;
	assert_int_equal(kt_config_save_session(&f->cfg), 0);
	path_in(path, sizeof(path), f, "session");
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(kt_config_load(&got, f->dir, NULL), 0);
	assert_true(got.has_session);
	assert_memory_equal(got.session, f->cfg.session, 32);

	assert_int_equal(kt_config_clear_session(&got), 0);
	assert_false(got.has_session);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(kt_config_clear_session(&got), 0); /* absent: fine */
	assert_int_equal(kt_config_load(&got, f->dir, NULL), 0);
	assert_false(got.has_session);
	kt_config_clear(&got);
}

static void
secret_permissions(void **state)
{
	fixture_t *f = *state;
	char path[PATH_MAX + 64];
	const char *why = NULL;

	assert_int_equal(kt_config_load(&f->cfg, f->dir, NULL), 0);
	assert_int_equal(kt_config_ensure_terminal(&f->cfg), 0);
	f->cfg.has_session = 1;
	assert_int_equal(kt_config_save_session(&f->cfg), 0);

	path_in(path, sizeof(path), f, "session");
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(kt_config_load(&f->cfg, f->dir, &why), KT_EPERM);
	assert_non_null(strstr(why, "session"));
	assert_int_equal(chmod(path, 0600), 0);

	path_in(path, sizeof(path), f, "terminal.key");
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(kt_config_load(&f->cfg, f->dir, &why), KT_EPERM);
	assert_non_null(strstr(why, "terminal.key"));
	assert_int_equal(chmod(path, 0600), 0);

	path_in(path, sizeof(path), f, "session");
	write_text(path, "short", 0600);
	assert_int_equal(kt_config_load(&f->cfg, f->dir, &why), KT_EINVAL);
	assert_non_null(strstr(why, "session"));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(dir_order),
	cmocka_unit_test_setup_teardown(load_empty, setup, teardown),
	cmocka_unit_test_setup_teardown(ensure_terminal, setup, teardown),
	cmocka_unit_test_setup_teardown(server_roundtrip, setup, teardown),
	cmocka_unit_test_setup_teardown(server_malformed, setup, teardown),
	cmocka_unit_test_setup_teardown(server_unknown_lines, setup, teardown),
	cmocka_unit_test_setup_teardown(server_rejects_line_break, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(session_roundtrip, setup, teardown),
	cmocka_unit_test_setup_teardown(secret_permissions, setup, teardown),
};

KT_TEST_MAIN(tests)
