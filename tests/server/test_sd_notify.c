/* SPDX-License-Identifier: MIT */
/* Tests for server/sd_notify.c: the datagram arrives on a socket the
 * test binds, by path and by abstract name ('@'); no $NOTIFY_SOCKET is
 * nothing to do; names that are no socket address are refused; a socket
 * nobody reads is an error, not a hang. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kt_test.h"

#include "kt_error.h"
#include "sd_notify.h"

/* A datagram socket bound to name (path, or "@abstract"); returns it. */
static int
listener(const char *name)
{
	struct sockaddr_un sa;
	size_t n = strlen(name);
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (name[0] != '@'));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
	return fd;
}

/* The next datagram on fd, as a string (waits: the send came first). */
static void
expect_datagram(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void
unset_is_nothing_to_do(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(kt_sd_notify("READY=1"), 1);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_int_equal(kt_sd_notify("READY=1"), 1);
	unsetenv("NOTIFY_SOCKET");
}

static void
path_socket(void **state)
{
	char dir[] = "/tmp/kt-notify.XXXXXX", path[64];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listener(path);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(kt_sd_notify("READY=1"), 0);
	expect_datagram(fd, "READY=1");
	assert_int_equal(kt_sd_notify("STOPPING=1\nSTATUS=draining"), 0);
	expect_datagram(fd, "STOPPING=1\nSTATUS=draining");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	unlink(path);
	rmdir(dir);
}

static void
abstract_socket(void **state)
{
	char name[64];
	int fd;

	(void)state;
	snprintf(name, sizeof(name), "@kt-test-notify-%ld", (long)getpid());
	fd = listener(name);
	setenv("NOTIFY_SOCKET", name, 1);
	assert_int_equal(kt_sd_notify("READY=1"), 0);
	expect_datagram(fd, "READY=1");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
}

static void
bad_names(void **state)
{
	char longname[200];

	(void)state;
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(kt_sd_notify("READY=1"), KT_EINVAL);
	setenv("NOTIFY_SOCKET", "@", 1);
	assert_int_equal(kt_sd_notify("READY=1"), KT_EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longname, 1);
	assert_int_equal(kt_sd_notify("READY=1"), KT_EINVAL);
	/* 107 bytes and the NUL fill sun_path exactly: accepted. */
	longname[107] = '\0';
	setenv("NOTIFY_SOCKET", longname, 1);
	assert_int_equal(kt_sd_notify("READY=1"), KT_EIO);   /* no such file */
	unsetenv("NOTIFY_SOCKET");
}

static void
nobody_listening(void **state)
{
	(void)state;
	setenv("NOTIFY_SOCKET", "/tmp/kt-no-such-notify-socket", 1);
	assert_int_equal(kt_sd_notify("READY=1"), KT_EIO);
	assert_int_equal(errno, ENOENT);
	unsetenv("NOTIFY_SOCKET");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(unset_is_nothing_to_do),
	cmocka_unit_test(path_socket),
	cmocka_unit_test(abstract_socket),
	cmocka_unit_test(bad_names),
	cmocka_unit_test(nobody_listening),
};

KT_TEST_MAIN(tests)
