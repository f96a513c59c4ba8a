/* SPDX-License-Identifier: MIT */
/* Invite codes: encode and strictly validate "KT1-" + base64url(Invite). */
#include <ctype.h>
#include <string.h>

#include <sodium.h>

#include "invite.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"

/* Marks English sentences for xgettext (--keyword=N_); callers translate
 * them with gettext() when they print them. */
#define N_(s) s

/* Largest packed Invite that fits in a KT_INVITE_CODE_MAX code. */
#define INVITE_BIN_MAX ((KT_INVITE_CODE_MAX / 4u) * 3u)
#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

static int
fail(const char **why, const char *msg)
{
	if (why != NULL)
		*why = msg;
	return KT_EINVAL;
}

int
kt_address_split(const char *address, char *host, size_t hostcap,
    char *port, size_t portcap, const char **why)
{
	const char *colon, *h, *p;
	size_t hlen, plen;
	unsigned long pnum = 0;

	if (address == NULL || address[0] == '\0')
		return fail(why, N_("address is empty"));
	for (const char *s = address; *s != '\0'; s++)
		if (!isgraph((unsigned char)*s))
			return fail(why, N_("address contains spaces or "
			    "control characters"));
	colon = strrchr(address, ':');
	if (colon == NULL)
		return fail(why, N_("address has no port (expected HOST:PORT)"));
	h = address;
	hlen = (size_t)(colon - address);
	if (hlen > 0 && address[0] == '[') {
		if (address[hlen - 1] != ']' || hlen < 3)
			return fail(why, N_("address has an unclosed '[' "
			    "(expected [IPV6]:PORT)"));
		h = address + 1;
		hlen -= 2;
	} else if (memchr(address, ':', hlen) != NULL) {
		return fail(why, N_("address has an IPv6 host without "
		    "brackets (expected [IPV6]:PORT)"));
	}
	if (hlen == 0)
		return fail(why, N_("address has no host (expected HOST:PORT)"));
	if (memchr(h, '[', hlen) != NULL || memchr(h, ']', hlen) != NULL)
		return fail(why, N_("address host contains '[' or ']'"));
	p = colon + 1;
	plen = strlen(p);
	if (plen == 0)
		return fail(why, N_("address has no port (expected HOST:PORT)"));
	if (plen > 5)
		return fail(why, N_("address port must be 1..65535"));
	for (size_t i = 0; i < plen; i++) {
		if (p[i] < '0' || p[i] > '9')
			return fail(why, N_("address port is not a number"));
		pnum = pnum * 10 + (unsigned long)(p[i] - '0');
	}
	if (pnum < 1 || pnum > 65535)
		return fail(why, N_("address port must be 1..65535"));
	if (host != NULL) {
		if (hlen >= hostcap)
			return fail(why, N_("address host is too long"));
		memcpy(host, h, hlen);
		host[hlen] = '\0';
	}
	if (port != NULL) {
		if (plen >= portcap)
			return fail(why, N_("address port is too long"));
		memcpy(port, p, plen + 1);
	}
	return 0;
}

/* Checks the fields both encode and decode insist on. */
static int
check_fields(const char *address, size_t key_len, size_t token_len,
    const char *branch, const char **why)
{
	int rc;

	if (address == NULL)
		return fail(why, N_("address is empty"));
	if (strlen(address) >= sizeof(((kt_invite_t *)0)->address))
		return fail(why, N_("address is too long"));
	if ((rc = kt_address_split(address, NULL, 0, NULL, 0, why)) != 0)
		return rc;
	if (key_len != 32)
		return fail(why, N_("server key must be exactly 32 bytes"));
	if (token_len < 16)
		return fail(why, N_("token is shorter than 16 bytes"));
	if (token_len > KT_INVITE_TOKEN_LEN)
		return fail(why, N_("token is longer than 32 bytes"));
	if (branch != NULL &&
	    strlen(branch) >= sizeof(((kt_invite_t *)0)->branch))
		return fail(why, N_("branch name is too long"));
	return 0;
}

int
kt_invite_encode(const kt_invite_t *inv, char *out, size_t outcap)
{
	Kartoteka__Invite msg = KARTOTEKA__INVITE__INIT;
	uint8_t bin[INVITE_BIN_MAX];
	size_t n, need;
	int rc;

	if (inv == NULL || out == NULL)
		return KT_EINVAL;
	if (memchr(inv->address, '\0', sizeof(inv->address)) == NULL ||
	    memchr(inv->branch, '\0', sizeof(inv->branch)) == NULL)
		return KT_EINVAL;
	rc = check_fields(inv->address, 32, inv->token_len, inv->branch, NULL);
	if (rc != 0)
		return rc;
	msg.address = (char *)inv->address;
	msg.server_key.data = (uint8_t *)inv->server_key;
	msg.server_key.len = 32;
	msg.token.data = (uint8_t *)inv->token;
	msg.token.len = inv->token_len;
	msg.branch = (char *)inv->branch;
	msg.expires_at = inv->expires_at;
	n = kartoteka__invite__get_packed_size(&msg);
	if (n > sizeof(bin))
		return KT_ENOSPC;
	kartoteka__invite__pack(&msg, bin);
	need = strlen(KT_INVITE_PREFIX) + sodium_base64_ENCODED_LEN(n, B64_VARIANT);
	if (need > outcap) {
		sodium_memzero(bin, sizeof(bin));
		return KT_ENOSPC;
	}
	memcpy(out, KT_INVITE_PREFIX, strlen(KT_INVITE_PREFIX));
	sodium_bin2base64(out + strlen(KT_INVITE_PREFIX),
	    outcap - strlen(KT_INVITE_PREFIX), bin, n, B64_VARIANT);
	/* The packed form holds the token: wipe it. */
	sodium_memzero(bin, sizeof(bin));
	return 0;
}

int
kt_invite_decode(const char *code, kt_invite_t *inv, const char **why)
{
	Kartoteka__Invite *msg = NULL;
	uint8_t bin[INVITE_BIN_MAX];
	const char *start, *end, *body, *b64_end = NULL;
	size_t len, binlen = 0, plen = strlen(KT_INVITE_PREFIX);
	int rc = KT_EINVAL;

	if (inv == NULL)
		return KT_EINVAL;
	memset(inv, 0, sizeof(*inv));
	if (code == NULL)
		return fail(why, N_("empty"));
	start = code;
	while (*start != '\0' && isspace((unsigned char)*start))
		start++;
	end = start + strlen(start);
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	len = (size_t)(end - start);
	if (len == 0)
		return fail(why, N_("empty"));
	if (len > KT_INVITE_CODE_MAX)
		return fail(why, N_("too long (more than 1024 characters)"));
	if (len < plen || memcmp(start, KT_INVITE_PREFIX, plen) != 0)
		return fail(why, N_("does not start with KT1-"));
	body = start + plen;
	if (body == end)
		return fail(why, N_("nothing after KT1-"));
	if (sodium_base642bin(bin, sizeof(bin), body, (size_t)(end - body),
	    NULL, &binlen, &b64_end, B64_VARIANT) != 0 || b64_end != end) {
		rc = fail(why, N_("not valid base64url after KT1- (was "
		    "it cut or changed when copied?)"));
		goto out;
	}
	msg = kartoteka__invite__unpack(NULL, binlen, bin);
	if (msg == NULL) {
		rc = fail(why, N_("does not decode to an invite (was it "
		    "cut when copied?)"));
		goto out;
	}
	rc = check_fields(msg->address, msg->server_key.len, msg->token.len,
	    msg->branch, why);
	if (rc != 0)
		goto out;
	memcpy(inv->address, msg->address, strlen(msg->address) + 1);
	memcpy(inv->server_key, msg->server_key.data, 32);
	memcpy(inv->token, msg->token.data, msg->token.len);
	inv->token_len = msg->token.len;
	if (msg->branch != NULL)
		memcpy(inv->branch, msg->branch, strlen(msg->branch) + 1);
	inv->expires_at = msg->expires_at;
	rc = 0;
out:
	if (msg != NULL) {
		if (msg->token.data != NULL)
			sodium_memzero(msg->token.data, msg->token.len);
		kartoteka__invite__free_unpacked(msg, NULL);
	}
	sodium_memzero(bin, sizeof(bin));
	if (rc != 0)
		sodium_memzero(inv, sizeof(*inv));
	return rc;
}
