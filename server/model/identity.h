/* SPDX-License-Identifier: MIT */
/* The server's identity and the rules of a user's credentials: the key
 * files in the data directory, login and password rules, password hashing
 * (Argon2id), and the clock and hex helpers they use. */
#ifndef KT_IDENTITY_H
#define KT_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

/* Data-dir files. */
#define KT_SERVER_KEY_FILE "server.key"
#define KT_SIGN_KEY_FILE "sign.key"

/* kt_identity_load_keys reads server.key and sign.key from dir. Returns
 * 0, KT_ENOTFOUND, KT_EIO, KT_EPERM, KT_EINVAL (a sign.key whose halves do
 * not belong together). On failure the secret outputs are wiped. */
int kt_identity_load_keys(const char *dir, uint8_t static_priv[static 32],
    uint8_t static_pub[static 32], uint8_t sign_sk[static 64],
    uint8_t sign_pk[static 32]);

/* Validates a login name: 1..64 of [a-z0-9._-], starting with a letter.
 * Returns NULL when fine, else a phrase naming the problem, to follow the
 * field's name ("login: is empty"). */
const char *kt_identity_login_problem(const char *login);

/* Validates a password: 8..1024 bytes. NULL or the problem (a phrase, as
 * for logins). */
const char *kt_identity_password_problem(const char *password);

/* kt_identity_hash_password: Argon2id (crypto_pwhash_str, interactive
 * limits). Slow: call on a thread-pool thread or in an offline command.
 * Returns 0 or KT_ENOMEM. */
int kt_identity_hash_password(char out[static crypto_pwhash_STRBYTES],
    const char *password);

/* Hex-encodes the first n bytes of in into out (2n+1 bytes). */
void kt_hex(char *out, const uint8_t *in, size_t n);

/* Current time. */
int64_t kt_now_s(void);
int64_t kt_now_ms(void);

#endif
