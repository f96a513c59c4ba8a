/* SPDX-License-Identifier: MIT */
/* Tests for common/keyfile.c: atomic 0600 writes, strict reads, mkdir -p. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "kt_test.h"

#include <sodium.h>

#include "keyfile.h"
#include "kt_error.h"

typedef struct fixture {
	char dir[PATH_MAX];
	char path[PATH_MAX + 32];
} fixture_t;

static int
setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (f == NULL || sodium_init() < 0)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/kt_keyfile_XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/key", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture_t *f = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static mode_t
mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Counts directory entries other than . and .. (temp files left over?). */
static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
roundtrip(void **state)
{
	fixture_t *f = *state;
	uint8_t key[32], got[32];

	randombytes_buf(key, sizeof(key));
	assert_int_equal(kt_keyfile_write(f->path, key, 32, 0), 0);
	assert_int_equal(mode_of(f->path), 0600);
	assert_int_equal(kt_keyfile_read(f->path, got, 32), 0);
	assert_memory_equal(key, got, 32);
	assert_int_equal(entries(f->dir), 1);
}

static void
mode_ignores_umask(void **state)
{
	fixture_t *f = *state;
	uint8_t key[32] = { 1 };
	mode_t old = umask(0);

	assert_int_equal(kt_keyfile_write(f->path, key, 32, 0), 0);
	umask(old);
	assert_int_equal(mode_of(f->path), 0600);
}

static void
overwrite(void **state)
{
	fixture_t *f = *state;
	uint8_t a[32], b[32], got[32];

	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	assert_int_equal(kt_keyfile_write(f->path, a, 32, 0), 0);
	assert_int_equal(kt_keyfile_write(f->path, b, 32, 0), 0);
	assert_int_equal(kt_keyfile_read(f->path, got, 32), 0);
	assert_memory_equal(b, got, 32);
	assert_int_equal(entries(f->dir), 1);
}

static void
exclusive(void **state)
{
	fixture_t *f = *state;
	uint8_t a[32], b[32], got[32];

	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	assert_int_equal(kt_keyfile_write(f->path, a, 32, 1), 0);
	assert_int_equal(kt_keyfile_write(f->path, b, 32, 1), KT_EEXIST);
	assert_int_equal(kt_keyfile_read(f->path, got, 32), 0);
	assert_memory_equal(a, got, 32);
	assert_int_equal(entries(f->dir), 1); /* no temp file left */
}

static void
write_bad_dir(void **state)
{
	fixture_t *f = *state;
	char path[PATH_MAX + 64];
	uint8_t key[32] = { 0 };

	snprintf(path, sizeof(path), "%s/missing/key", f->dir);
	assert_int_equal(kt_keyfile_write(path, key, 32, 0), KT_EIO);
	assert_int_equal(errno, ENOENT);
}

static void
read_missing(void **state)
{
	fixture_t *f = *state;
	uint8_t got[32];

	assert_int_equal(kt_keyfile_read(f->path, got, 32), KT_ENOTFOUND);
}

static void
read_wrong_size(void **state)
{
	fixture_t *f = *state;
	uint8_t data[33], got[32];

	memset(data, 0x55, sizeof(data));
	write_file(f->path, data, 31, 0600);
	memset(got, 0x11, sizeof(got));
	assert_int_equal(kt_keyfile_read(f->path, got, 32), KT_EINVAL);
	for (size_t i = 0; i < sizeof(got); i++)
		assert_int_equal(got[i], 0); /* zeroed on error */
	write_file(f->path, data, 33, 0600);
	assert_int_equal(kt_keyfile_read(f->path, got, 32), KT_EINVAL);
	write_file(f->path, data, 0, 0600);
	assert_int_equal(kt_keyfile_read(f->path, got, 32), KT_EINVAL);
}

static void
read_refuses_shared(void **state)
{
	fixture_t *f = *state;
	static const mode_t bad[] = { 0640, 0604, 0620, 0602, 0644, 0666,
	    0610 };
	uint8_t data[32] = { 7 }, got[32];

	write_file(f->path, data, 32, 0600);
	assert_int_equal(kt_keyfile_read(f->path, got, 32), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(f->path, bad[i]), 0);
		assert_int_equal(kt_keyfile_read(f->path, got, 32), KT_EPERM);
	}
	assert_int_equal(chmod(f->path, 0400), 0);
	assert_int_equal(kt_keyfile_read(f->path, got, 32), 0);
}

static void
read_refuses_symlink_and_dir(void **state)
{
	fixture_t *f = *state;
	char link[PATH_MAX + 64];
	uint8_t data[32] = { 7 }, got[32];

	write_file(f->path, data, 32, 0600);
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	assert_int_equal(kt_keyfile_read(link, got, 32), KT_EIO);
	assert_int_not_equal(kt_keyfile_read(f->dir, got, 32), 0);
}

static void
mkdir_p(void **state)
{
	fixture_t *f = *state;
	char dir[PATH_MAX + 64], file[PATH_MAX + 64];
	uint8_t data[1] = { 0 };

	snprintf(dir, sizeof(dir), "%s/a/b//c/", f->dir);
	assert_int_equal(kt_mkdir_p(dir, 0700), 0);
	snprintf(dir, sizeof(dir), "%s/a/b/c", f->dir);
	assert_int_equal(mode_of(dir), 0700);
	assert_int_equal(kt_mkdir_p(dir, 0700), 0); /* existing is fine */
	snprintf(file, sizeof(file), "%s/file", f->dir);
	write_file(file, data, 1, 0600);
	snprintf(dir, sizeof(dir), "%s/file/sub", f->dir);
	assert_int_equal(kt_mkdir_p(dir, 0700), KT_EIO);
	assert_int_equal(kt_mkdir_p("", 0700), KT_EINVAL);
}

static void
x25519_public(void **state)
{
	uint8_t pub[32], priv[32], derived[32];

	(void)state;
	kt_keypair_x25519(pub, priv);
	assert_int_equal(kt_x25519_public(derived, priv), 0);
	assert_memory_equal(pub, derived, 32);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(roundtrip, setup, teardown),
	cmocka_unit_test_setup_teardown(mode_ignores_umask, setup, teardown),
	cmocka_unit_test_setup_teardown(overwrite, setup, teardown),
	cmocka_unit_test_setup_teardown(exclusive, setup, teardown),
	cmocka_unit_test_setup_teardown(write_bad_dir, setup, teardown),
	cmocka_unit_test_setup_teardown(read_missing, setup, teardown),
	cmocka_unit_test_setup_teardown(read_wrong_size, setup, teardown),
	cmocka_unit_test_setup_teardown(read_refuses_shared, setup, teardown),
	cmocka_unit_test_setup_teardown(read_refuses_symlink_and_dir, setup,
	    teardown),
	cmocka_unit_test_setup_teardown(mkdir_p, setup, teardown),
	cmocka_unit_test_setup_teardown(x25519_public, setup, teardown),
};

KT_TEST_MAIN(tests)
