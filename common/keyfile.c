/* SPDX-License-Identifier: MIT */
/* Key files: small fixed-size secrets on disk, written atomically with mode
 * 0600 and refused on read when other users could see or change them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sodium.h>

#include "keyfile.h"
#include "kt_error.h"

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the directory holding path so that the rename itself is durable. */
static int
sync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL) {
		memcpy(dir, ".", 2);
	} else if (slash == path) {
		memcpy(dir, "/", 2);
	} else {
		size_t n = (size_t)(slash - path);
		if (n >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
kt_keyfile_write(const char *path, const uint8_t *data, size_t len,
    int exclusive)
{
	char tmp[PATH_MAX];
	int fd = -1, rc = KT_EIO, saved = 0, tmp_made = 0;

	if (path == NULL || (data == NULL && len > 0))
		return KT_EINVAL;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX",
	    /* untranslated: a file name */ path) >=
	    sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return KT_EIO;
	}
	/* mkstemp creates the file with mode 0600 whatever the umask. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		goto fail;
	tmp_made = 1;
	if (fchmod(fd, S_IRUSR | S_IWUSR) != 0)
		goto fail;
	if (write_all(fd, data, len) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (exclusive) {
		/* link() fails atomically when path exists, unlike rename(). */
		if (link(tmp, path) != 0) {
			if (errno == EEXIST)
				rc = KT_EEXIST;
			goto fail;
		}
		unlink(tmp);
	} else if (rename(tmp, path) != 0) {
		goto fail;
	}
	tmp_made = 0;
	if (sync_parent(path) != 0)
		goto fail;
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (tmp_made)
		unlink(tmp);
	errno = saved;
	return rc;
}

int
kt_keyfile_read(const char *path, uint8_t *out, size_t len)
{
	struct stat st;
	size_t have = 0;
	int fd = -1, rc = KT_EIO;

	if (path == NULL || (out == NULL && len > 0))
		return KT_EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = errno == ENOENT ? KT_ENOTFOUND : KT_EIO;
		goto out;
	}
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		rc = KT_EINVAL;
		goto out;
	}
	/* Writable by others is as bad as readable: the key could be swapped. */
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		rc = KT_EPERM;
		goto out;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size != (uint64_t)len) {
		rc = KT_EINVAL;
		goto out;
	}
	while (have < len) {
		ssize_t n = read(fd, out + have, len - have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (n == 0) { /* shrank under us */
			rc = KT_EINVAL;
			goto out;
		}
		have += (size_t)n;
	}
	rc = 0;
out:
	if (fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	if (rc != 0 && out != NULL)
		sodium_memzero(out, len);
	return rc;
}

void
kt_keypair_x25519(uint8_t pub[static 32], uint8_t priv[static 32])
{
	crypto_box_keypair(pub, priv);
}

int
kt_x25519_public(uint8_t pub[static 32], const uint8_t priv[static 32])
{
	if (crypto_scalarmult_base(pub, priv) != 0)
		return KT_ECRYPTO;
	return 0;
}

int
kt_mkdir_p(const char *dir, unsigned mode)
{
	char buf[PATH_MAX];
	struct stat st;
	size_t len;

	if (dir == NULL || dir[0] == '\0')
		return KT_EINVAL;
	len = strlen(dir);
	if (len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return KT_EIO;
	}
	memcpy(buf, dir, len + 1);
	/* Create each prefix in turn; a component that exists must be a dir. */
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		if (buf[i - 1] == '/')
			continue; /* repeated slash */
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, (mode_t)mode) != 0) {
			if (errno != EEXIST)
				return KT_EIO;
			if (stat(buf, &st) != 0)
				return KT_EIO;
			if (!S_ISDIR(st.st_mode)) {
				errno = ENOTDIR;
				return KT_EIO;
			}
		}
		buf[i] = saved;
	}
	return 0;
}
