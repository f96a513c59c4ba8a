/* SPDX-License-Identifier: MIT */
/* Tests for common/invite.c: invite codes round-trip and every malformed
 * field is refused with a reason that names it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_test.h"

#include <sodium.h>

#include "invite.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"

static void
sample(kt_invite_t *inv)
{
	memset(inv, 0, sizeof(*inv));
	strcpy(inv->address, "crm.example.com:7700");
	for (int i = 0; i < 32; i++) {
		inv->server_key[i] = (uint8_t)(i + 1);
		inv->token[i] = (uint8_t)(0xa0 + i);
	}
	inv->token_len = 24;
	strcpy(inv->branch, "Центр");
	inv->expires_at = 1767225600;
}

/* Encodes an Invite by hand, bypassing kt_invite_encode's checks. */
static void
raw_code(char *out, size_t cap, const char *address, size_t key_len,
    size_t token_len, const char *branch)
{
	Kartoteka__Invite m = KARTOTEKA__INVITE__INIT;
	uint8_t key[64], token[64], bin[1024];
	size_t n;

	memset(key, 0x11, sizeof(key));
	memset(token, 0x22, sizeof(token));
	m.address = (char *)address;
	m.server_key.data = key;
	m.server_key.len = key_len;
	m.token.data = token;
	m.token.len = token_len;
	m.branch = (char *)(branch != NULL ? branch : "");
	n = kartoteka__invite__get_packed_size(&m);
	assert_true(n <= sizeof(bin));
	kartoteka__invite__pack(&m, bin);
	strcpy(out, "KT1-");
	assert_true(cap > 4 + sodium_base64_ENCODED_LEN(n,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING));
	sodium_bin2base64(out + 4, cap - 4, bin, n,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Asserts that code is refused and the reason mentions `needle`. */
static void
refused(const char *code, const char *needle)
{
	kt_invite_t inv;
	const char *why = NULL;

	assert_int_equal(kt_invite_decode(code, &inv, &why), KT_EINVAL);
	assert_non_null(why);
	if (strstr(why, needle) == NULL)
		fail_msg("code '%s': reason '%s' does not mention '%s'", code,
		    why, needle);
	assert_int_equal(inv.address[0], 0);
	assert_int_equal(inv.token_len, 0);
}

static void
roundtrip(void **state)
{
	kt_invite_t inv, got;
	char code[KT_INVITE_CODE_MAX];
	const char *why = NULL;

	(void)state;
	sample(&inv);
	assert_int_equal(kt_invite_encode(&inv, code, sizeof(code)), 0);
	assert_memory_equal(code, "KT1-", 4);
	assert_null(strpbrk(code + 4, "+/=")); /* url-safe, no padding */
	assert_int_equal(kt_invite_decode(code, &got, &why), 0);
	assert_string_equal(got.address, inv.address);
	assert_memory_equal(got.server_key, inv.server_key, 32);
	assert_int_equal(got.token_len, 24);
	assert_memory_equal(got.token, inv.token, 24);
	assert_string_equal(got.branch, "Центр");
	assert_int_equal(got.expires_at, inv.expires_at);
}

static void
roundtrip_ipv6_owner(void **state)
{
	kt_invite_t inv, got;
	char code[KT_INVITE_CODE_MAX];

	(void)state;
	sample(&inv);
	strcpy(inv.address, "[::1]:1");
	inv.branch[0] = '\0';
	inv.token_len = 16;
	assert_int_equal(kt_invite_encode(&inv, code, sizeof(code)), 0);
	assert_int_equal(kt_invite_decode(code, &got, NULL), 0);
	assert_string_equal(got.address, "[::1]:1");
	assert_string_equal(got.branch, "");
	assert_int_equal(got.token_len, 16);
}

static void
whitespace_trimmed(void **state)
{
	kt_invite_t inv, got;
	char code[KT_INVITE_CODE_MAX], padded[KT_INVITE_CODE_MAX + 16];

	(void)state;
	sample(&inv);
	assert_int_equal(kt_invite_encode(&inv, code, sizeof(code)), 0);
	snprintf(padded, sizeof(padded), "  \t%s\r\n", code);
	assert_int_equal(kt_invite_decode(padded, &got, NULL), 0);
	assert_string_equal(got.address, inv.address);
}

static void
bad_prefix(void **state)
{
	(void)state;
	refused("", "empty");
	refused("   \n", "empty");
	refused("hello", "KT1-");
	refused("KT2-CgA", "KT1-");
	refused("kt1-CgA", "KT1-");
	refused("KT1", "KT1-");
	refused("KT1-", "nothing after");
}

static void
bad_base64(void **state)
{
	(void)state;
	refused("KT1-not-base64!!", "base64");
	refused("KT1-abc=", "base64");          /* padding is not allowed */
	refused("KT1-ab+/", "base64");          /* not the url-safe alphabet */
	refused("KT1-ab cd", "base64");         /* inner space */
	refused("KT1-A", "base64");             /* impossible length */
}

static void
bad_protobuf(void **state)
{
	char code[64];
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };

	(void)state;
	strcpy(code, "KT1-");
	sodium_bin2base64(code + 4, sizeof(code) - 4, junk, sizeof(junk),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	refused(code, "decode");
}

static void
bad_address(void **state)
{
	static const char *bad[] = { "", "host", "host:", ":7700", "host:0",
	    "host:65536", "host:123456", "host:7a", "host:-1", "::1:7700",
	    "[::1:7700", "[]:7700", "ho st:7700", "host:+80", "a]b:80" };
	char code[2048];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw_code(code, sizeof(code), bad[i], 32, 16, NULL);
		refused(code, "address");
	}
	char longaddr[400];
	memset(longaddr, 'a', sizeof(longaddr));
	strcpy(longaddr + 300, ":80");
	raw_code(code, sizeof(code), longaddr, 32, 16, NULL);
	refused(code, "address");
}

static void
bad_server_key(void **state)
{
	static const size_t lens[] = { 0, 1, 31, 33, 64 };
	char code[2048];

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		raw_code(code, sizeof(code), "h:1", lens[i], 16, NULL);
		refused(code, "server key");
	}
}

static void
bad_token(void **state)
{
	static const size_t lens[] = { 0, 1, 15, 33, 64 };
	char code[2048];
	kt_invite_t inv;

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		raw_code(code, sizeof(code), "h:1", 32, lens[i], NULL);
		refused(code, "token");
	}
	raw_code(code, sizeof(code), "h:1", 32, 16, NULL);
	assert_int_equal(kt_invite_decode(code, &inv, NULL), 0);
	raw_code(code, sizeof(code), "h:1", 32, 32, NULL);
	assert_int_equal(kt_invite_decode(code, &inv, NULL), 0);
	assert_int_equal(inv.token_len, 32);
}

static void
bad_branch(void **state)
{
	char code[2048], branch[200];

	(void)state;
	memset(branch, 'b', sizeof(branch) - 1);
	branch[sizeof(branch) - 1] = '\0';
	raw_code(code, sizeof(code), "h:1", 32, 16, branch);
	refused(code, "branch");
}

static void
too_long(void **state)
{
	char code[KT_INVITE_CODE_MAX + 64];

	(void)state;
	strcpy(code, "KT1-");
	memset(code + 4, 'A', sizeof(code) - 5);
	code[sizeof(code) - 1] = '\0';
	refused(code, "too long");
}

static void
encode_checks(void **state)
{
	kt_invite_t inv;
	char code[KT_INVITE_CODE_MAX];

	(void)state;
	sample(&inv);
	assert_int_equal(kt_invite_encode(&inv, code, 10), KT_ENOSPC);
	inv.token_len = 8;
	assert_int_equal(kt_invite_encode(&inv, code, sizeof(code)), KT_EINVAL);
	inv.token_len = 33;
	assert_int_equal(kt_invite_encode(&inv, code, sizeof(code)), KT_EINVAL);
	sample(&inv);
	strcpy(inv.address, "no-port");
	assert_int_equal(kt_invite_encode(&inv, code, sizeof(code)), KT_EINVAL);
	/* The largest invite still fits KT_INVITE_CODE_MAX. */
	sample(&inv);
	memset(inv.address, 'a', sizeof(inv.address) - 1);
	strcpy(inv.address + sizeof(inv.address) - 7, ":65535");
	memset(inv.branch, 'b', sizeof(inv.branch) - 1);
	inv.branch[sizeof(inv.branch) - 1] = '\0';
	inv.token_len = 32;
	inv.expires_at = INT64_MIN;
	assert_int_equal(kt_invite_encode(&inv, code, sizeof(code)), 0);
	kt_invite_t got;
	assert_int_equal(kt_invite_decode(code, &got, NULL), 0);
	assert_string_equal(got.address, inv.address);
	assert_string_equal(got.branch, inv.branch);
}

static void
address_split(void **state)
{
	char host[64], port[8];
	const char *why = NULL;

	(void)state;
	assert_int_equal(kt_address_split("example.org:7700", host,
	    sizeof(host), port, sizeof(port), &why), 0);
	assert_string_equal(host, "example.org");
	assert_string_equal(port, "7700");
	assert_int_equal(kt_address_split("[fe80::1]:65535", host,
	    sizeof(host), port, sizeof(port), &why), 0);
	assert_string_equal(host, "fe80::1");
	assert_string_equal(port, "65535");
	assert_int_equal(kt_address_split("127.0.0.1:00080", host,
	    sizeof(host), port, sizeof(port), &why), 0);
	assert_int_equal(kt_address_split("h:1", host, 1, port, sizeof(port),
	    &why), KT_EINVAL);
	assert_int_equal(kt_address_split("h:1\n", NULL, 0, NULL, 0, &why),
	    KT_EINVAL);
	assert_int_equal(kt_address_split(NULL, NULL, 0, NULL, 0, NULL),
	    KT_EINVAL);
}

/* Truncations and bit flips of a valid code: decode must either succeed
 * with sane fields or fail with a reason; never crash (ASan watches). */
static void
mutations(void **state)
{
	kt_invite_t inv, got;
	char code[KT_INVITE_CODE_MAX], m[KT_INVITE_CODE_MAX];
	const char *why;
	size_t len;

	(void)state;
	sample(&inv);
	assert_int_equal(kt_invite_encode(&inv, code, sizeof(code)), 0);
	len = strlen(code);
	for (size_t cut = 0; cut < len; cut++) {
		memcpy(m, code, cut);
		m[cut] = '\0';
		why = NULL;
		if (kt_invite_decode(m, &got, &why) != 0)
			assert_non_null(why);
		else
			assert_true(got.token_len >= 16 && got.token_len <= 32);
	}
	for (size_t i = 4; i < len; i++) {
		static const char alphabet[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		for (size_t a = 0; a < sizeof(alphabet) - 1; a += 7) {
			strcpy(m, code);
			m[i] = alphabet[a];
			why = NULL;
			if (kt_invite_decode(m, &got, &why) != 0)
				assert_non_null(why);
			else
				assert_true(got.token_len >= 16 &&
				    got.token_len <= 32);
		}
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(roundtrip),
	cmocka_unit_test(roundtrip_ipv6_owner),
	cmocka_unit_test(whitespace_trimmed),
	cmocka_unit_test(bad_prefix),
	cmocka_unit_test(bad_base64),
	cmocka_unit_test(bad_protobuf),
	cmocka_unit_test(bad_address),
	cmocka_unit_test(bad_server_key),
	cmocka_unit_test(bad_token),
	cmocka_unit_test(bad_branch),
	cmocka_unit_test(too_long),
	cmocka_unit_test(encode_checks),
	cmocka_unit_test(address_split),
	cmocka_unit_test(mutations),
};

KT_TEST_MAIN(tests)
