/* SPDX-License-Identifier: MIT */
/* Tests for server/model/identity.c: login and password rules, password
 * hashing, and the server's key files (what is refused, and that the
 * secrets are wiped when a load fails). */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "kt_test.h"

#include "fields.h"
#include "keyfile.h"
#include "kt_error.h"
#include "model/identity.h"

/* ---- fixture: a data directory ------------------------------------------ */

typedef struct fx {
	char dir[64];
	char server_key[128];
	char sign_key[128];
} fx_t;

static int
rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	fx_t *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/kt-identity-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->server_key, sizeof(f->server_key), "%s/%s", f->dir,
	    KT_SERVER_KEY_FILE);
	snprintf(f->sign_key, sizeof(f->sign_key), "%s/%s", f->dir,
	    KT_SIGN_KEY_FILE);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fx_t *f = *state;

	assert_int_equal(nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
	free(f);
	return 0;
}

/* The outputs of a load, filled with a pattern first so a wipe shows. */
typedef struct keys {
	uint8_t priv[32], pub[32], sign_sk[64], sign_pk[32];
} keys_t;

static int
load(fx_t *f, keys_t *k)
{
	memset(k, 0x5a, sizeof(*k));
	return kt_identity_load_keys(f->dir, k->priv, k->pub, k->sign_sk,
	    k->sign_pk);
}

static void
assert_secrets_wiped(const keys_t *k)
{
	static const uint8_t zero[64];

	assert_memory_equal(k->priv, zero, 32);
	assert_memory_equal(k->sign_sk, zero, 64);
}

/* Writes a good server.key and sign.key; their keys in *want. */
static void
write_good_keys(fx_t *f, keys_t *want)
{
	kt_keypair_x25519(want->pub, want->priv);
	crypto_sign_keypair(want->sign_pk, want->sign_sk);
	assert_int_equal(kt_keyfile_write(f->server_key, want->priv, 32, 0), 0);
	assert_int_equal(kt_keyfile_write(f->sign_key, want->sign_sk, 64, 0), 0);
}

/* ---- rules -------------------------------------------------------------- */

static void
login_rules(void **state)
{
	static const char *good[] = { "a", "anna", "anna.k_2-x", "z9", "a-",
		"a.", "a_" };
	static const char *bad[] = { "", "Anna", "aNNa", "1anna", ".anna",
		"_a", "-a", "an na", "anna@x", "anna/x", "аня", "anna\n",
		"anna\t" };
	char login[80];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (kt_identity_login_problem(good[i]) != NULL)
			fail_msg("'%s' refused: %s", good[i],
			    kt_identity_login_problem(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (kt_identity_login_problem(bad[i]) == NULL)
			fail_msg("'%s' accepted", bad[i]);
	assert_string_equal(kt_identity_login_problem(""), "is empty");
	memset(login, 'a', 64);
	login[64] = '\0';
	assert_null(kt_identity_login_problem(login));
	login[64] = 'a';
	login[65] = '\0';
	assert_string_equal(kt_identity_login_problem(login),
	    "is longer than 64 characters");
}

static void
password_rules(void **state)
{
	char pw[KT_PASSWORD_MAX + 2];

	(void)state;
	assert_non_null(kt_identity_password_problem(""));
	assert_non_null(kt_identity_password_problem("1234567"));
	assert_null(kt_identity_password_problem("12345678"));
	/* Bytes, not characters: four Cyrillic letters are 8 bytes. */
	assert_null(kt_identity_password_problem("абвг"));
	memset(pw, 'p', KT_PASSWORD_MAX);
	pw[KT_PASSWORD_MAX] = '\0';
	assert_null(kt_identity_password_problem(pw));
	pw[KT_PASSWORD_MAX] = 'p';
	pw[KT_PASSWORD_MAX + 1] = '\0';
	assert_non_null(kt_identity_password_problem(pw));
}

static void
hash_verify_round_trip(void **state)
{
	char h1[crypto_pwhash_STRBYTES], h2[crypto_pwhash_STRBYTES];
	const char *pw = "correct horse battery staple";

	(void)state;
	assert_int_equal(kt_identity_hash_password(h1, pw), 0);
	assert_int_equal(strncmp(h1, "$argon2id$", 10), 0);
	assert_int_equal(crypto_pwhash_str_verify(h1, pw, strlen(pw)), 0);
	assert_int_not_equal(crypto_pwhash_str_verify(h1, "correct horse",
	    13), 0);
	/* Salted: the same password hashes differently each time. */
	assert_int_equal(kt_identity_hash_password(h2, pw), 0);
	assert_string_not_equal(h1, h2);
	assert_int_equal(crypto_pwhash_str_verify(h2, pw, strlen(pw)), 0);
	assert_null(strstr(h1, pw));
}

static void
hex(void **state)
{
	static const uint8_t in[] = { 0x00, 0xff, 0x10, 0xab };
	char out[9];

	(void)state;
	kt_hex(out, in, 4);
	assert_string_equal(out, "00ff10ab");
	kt_hex(out, in, 0);
	assert_string_equal(out, "");
}

/* ---- key files ---------------------------------------------------------- */

static void
load_keys_ok(void **state)
{
	fx_t *f = *state;
	keys_t want, got;

	write_good_keys(f, &want);
	assert_int_equal(load(f, &got), 0);
	assert_memory_equal(got.priv, want.priv, 32);
	assert_memory_equal(got.pub, want.pub, 32);
	assert_memory_equal(got.sign_sk, want.sign_sk, 64);
	assert_memory_equal(got.sign_pk, want.sign_pk, 32);
}

static void
load_keys_missing(void **state)
{
	fx_t *f = *state;
	keys_t want, got;

	assert_int_equal(load(f, &got), KT_ENOTFOUND);
	assert_secrets_wiped(&got);
	/* server.key there, sign.key not: the first key is wiped too. */
	write_good_keys(f, &want);
	assert_int_equal(remove(f->sign_key), 0);
	assert_int_equal(load(f, &got), KT_ENOTFOUND);
	assert_secrets_wiped(&got);
}

static void
load_keys_wrong_size(void **state)
{
	fx_t *f = *state;
	uint8_t bytes[65];
	keys_t want, got;

	write_good_keys(f, &want);
	randombytes_buf(bytes, sizeof(bytes));
	assert_int_equal(kt_keyfile_write(f->server_key, bytes, 31, 0), 0);
	assert_int_equal(load(f, &got), KT_EINVAL);
	assert_secrets_wiped(&got);
	assert_int_equal(kt_keyfile_write(f->server_key, bytes, 33, 0), 0);
	assert_int_equal(load(f, &got), KT_EINVAL);
	assert_secrets_wiped(&got);

	assert_int_equal(kt_keyfile_write(f->server_key, want.priv, 32, 0), 0);
	assert_int_equal(kt_keyfile_write(f->sign_key, bytes, 32, 0), 0);
	assert_int_equal(load(f, &got), KT_EINVAL);
	assert_secrets_wiped(&got);
	assert_int_equal(kt_keyfile_write(f->sign_key, bytes, 65, 0), 0);
	assert_int_equal(load(f, &got), KT_EINVAL);
	assert_secrets_wiped(&got);
	assert_int_equal(kt_keyfile_write(f->sign_key, bytes, 0, 0), 0);
	assert_int_equal(load(f, &got), KT_EINVAL);
	assert_secrets_wiped(&got);
}

static void
load_keys_halves_mismatch(void **state)
{
	fx_t *f = *state;
	uint8_t pk2[32], sk2[64], mixed[64];
	keys_t want, got;

	write_good_keys(f, &want);
	/* The seed of one key pair with the public key of another. */
	crypto_sign_keypair(pk2, sk2);
	memcpy(mixed, want.sign_sk, 32);
	memcpy(mixed + 32, pk2, 32);
	assert_int_equal(kt_keyfile_write(f->sign_key, mixed, 64, 0), 0);
	assert_int_equal(load(f, &got), KT_EINVAL);
	assert_secrets_wiped(&got);
	/* One bit of the public half is enough. */
	memcpy(mixed, want.sign_sk, 64);
	mixed[63] ^= 1;
	assert_int_equal(kt_keyfile_write(f->sign_key, mixed, 64, 0), 0);
	assert_int_equal(load(f, &got), KT_EINVAL);
	assert_secrets_wiped(&got);
	sodium_memzero(sk2, sizeof(sk2));
	sodium_memzero(mixed, sizeof(mixed));
}

static void
load_keys_open_to_others(void **state)
{
	fx_t *f = *state;
	keys_t want, got;

	write_good_keys(f, &want);
	assert_int_equal(chmod(f->sign_key, 0640), 0);
	assert_int_equal(load(f, &got), KT_EPERM);
	assert_secrets_wiped(&got);
	assert_int_equal(chmod(f->sign_key, 0600), 0);
	assert_int_equal(chmod(f->server_key, 0604), 0);
	assert_int_equal(load(f, &got), KT_EPERM);
	assert_secrets_wiped(&got);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(login_rules),
	cmocka_unit_test(password_rules),
	cmocka_unit_test(hash_verify_round_trip),
	cmocka_unit_test(hex),
	T(load_keys_ok),
	T(load_keys_missing),
	T(load_keys_wrong_size),
	T(load_keys_halves_mismatch),
	T(load_keys_open_to_others),
};

KT_TEST_MAIN(tests)
