/* SPDX-License-Identifier: MIT */
/* sd_notify(3)'s protocol, written out: one datagram to $NOTIFY_SOCKET
 * (sd_notify.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kt_error.h"
#include "sd_notify.h"

int
kt_sd_notify(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t salen;
	size_t n;
	ssize_t sent;
	int fd = -1, rc, saved;

	if (name == NULL || name[0] == '\0')
		return 1;
	n = strlen(name);
	if ((name[0] != '/' && name[0] != '@') || n < 2 ||
	    n > sizeof(sa.sun_path) - (name[0] == '/'))
		return KT_EINVAL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';    /* abstract: no NUL at the end */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (name[0] == '/'));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return KT_EIO;
	do
		sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		    (const struct sockaddr *)&sa, salen);
	while (sent < 0 && errno == EINTR);
	rc = sent == (ssize_t)strlen(state) ? 0 : KT_EIO;
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
