/* SPDX-License-Identifier: MIT */
/* The server's key files, the rules of logins and passwords, password
 * hashing and the clock (identity.h). */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "keyfile.h"
#include "kt_error.h"
#include "model/identity.h"

int64_t
kt_now_s(void)
{
	return (int64_t)time(NULL);
}

int64_t
kt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
kt_hex(char *out, const uint8_t *in, size_t n)
{
	sodium_bin2hex(out, 2 * n + 1, in, n);
}

int
kt_identity_load_keys(const char *dir, uint8_t static_priv[static 32],
    uint8_t static_pub[static 32], uint8_t sign_sk[static 64],
    uint8_t sign_pk[static 32])
{
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, KT_SERVER_KEY_FILE);
	rc = kt_keyfile_read(path, static_priv, 32);
	if (rc != 0)
		goto out;
	rc = kt_x25519_public(static_pub, static_priv);
	if (rc != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", dir, KT_SIGN_KEY_FILE);
	rc = kt_keyfile_read(path, sign_sk, 64);
	if (rc != 0)
		goto out;
	/* An Ed25519 secret key is seed || public key: check that the two
	 * halves belong together, or checkpoints would quietly never
	 * verify. */
	{
		uint8_t pk[32], sk[64];
		int bad = crypto_sign_seed_keypair(pk, sk, sign_sk) != 0 ||
		    sodium_memcmp(pk, sign_sk + 32, 32) != 0;
		sodium_memzero(sk, sizeof(sk));
		if (bad) {
			rc = KT_EINVAL;
			goto out;
		}
		memcpy(sign_pk, pk, 32);
	}
out:
	if (rc != 0) {
		sodium_memzero(static_priv, 32);
		sodium_memzero(sign_sk, 64);
	}
	return rc;
}

const char *
kt_identity_login_problem(const char *login)
{
	size_t n = strlen(login);

	if (n == 0)
		return KT_MSG("is empty");
	if (n > 64)
		return KT_MSG("is longer than 64 characters");
	if (!(login[0] >= 'a' && login[0] <= 'z'))
		return KT_MSG("must start with a lowercase latin letter");
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)login[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '.' || ch == '_' || ch == '-'))
			return KT_MSG("may contain only a-z, 0-9, '.', '_' and '-'");
	}
	return NULL;
}

const char *
kt_identity_password_problem(const char *password)
{
	size_t n = strlen(password);

	if (n < 8)
		return KT_MSG("is shorter than 8 characters");
	if (n > 1024)
		return KT_MSG("is longer than 1024 bytes");
	return NULL;
}

int
kt_identity_hash_password(char out[static crypto_pwhash_STRBYTES],
    const char *password)
{
	if (crypto_pwhash_str(out, password, strlen(password),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return KT_ENOMEM;
	return 0;
}
