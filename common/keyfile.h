/* SPDX-License-Identifier: MIT */
/* Key files: fixed-size secrets on disk, mode 0600, written atomically. */
#ifndef KT_KEYFILE_H
#define KT_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

/* kt_keyfile_write writes len bytes to path via a temporary file in the
 * same directory, mode 0600, fsync, rename. Returns 0 or KT_EIO (errno
 * kept), KT_EINVAL. With exclusive=1 fails with KT_EEXIST if path exists
 * (link(2) instead of rename(2)). */
int kt_keyfile_write(const char *path, const uint8_t *data, size_t len,
    int exclusive);

/* kt_keyfile_read reads exactly len bytes from path into out. Refuses a
 * file with any group/other permission bit (KT_EPERM: readable leaks it,
 * writable lets it be swapped), a non-regular file or one whose size is
 * not len (KT_EINVAL); a symlink fails to open (KT_EIO, errno ELOOP). Returns 0, KT_ENOTFOUND, KT_EIO, KT_EPERM, KT_EINVAL. On
 * error out is zeroed. */
int kt_keyfile_read(const char *path, uint8_t *out, size_t len);

/* kt_keypair_x25519 makes a fresh X25519 key pair (crypto_box keypair). */
void kt_keypair_x25519(uint8_t pub[static 32], uint8_t priv[static 32]);

/* kt_x25519_public derives the public key of priv. Returns 0 or KT_ECRYPTO. */
int kt_x25519_public(uint8_t pub[static 32], const uint8_t priv[static 32]);

/* kt_mkdir_p creates dir and its parents with mode (existing directories
 * are fine and keep their mode). Returns 0, KT_EINVAL (empty), or KT_EIO
 * (errno kept; ENOTDIR when a component is a file). */
int kt_mkdir_p(const char *dir, unsigned mode);

#endif
