/* SPDX-License-Identifier: MIT */
/* Noise (rev. 34) for 25519 + ChaChaPoly + BLAKE2b: CipherState, SymmetricState
 * and a HandshakeState that interprets pattern tables, all on libsodium. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "kt_error.h"
#include "noise.h"

#define BLOCKLEN 128u  /* BLAKE2b block length, used by HMAC */
#define NONCELEN 12u   /* ChaChaPoly IETF nonce: 4 zero bytes + LE64 counter */

/* ------------------------------------------------------------------------
 * Pattern tables (spec 7). TOK_END is 0 so shorter rows are zero-padded.
 * ---------------------------------------------------------------------- */

enum tok { TOK_END = 0, TOK_E, TOK_S, TOK_EE, TOK_ES, TOK_SE, TOK_SS };

#define MAX_PRE 2   /* tokens per pre-message, incl. the terminator */
#define MAX_MSGS 3  /* message patterns per handshake */
#define MAX_TOKS 5  /* tokens per message pattern, incl. the terminator */

struct kt_noise_pattern_def {
	const char *name;                  /* "XK", as in the protocol name */
	uint8_t pre_i[MAX_PRE];            /* initiator pre-message (TOK_S only) */
	uint8_t pre_r[MAX_PRE];            /* responder pre-message (TOK_S only) */
	size_t nmsgs;                      /* message patterns, initiator first */
	uint8_t msgs[MAX_MSGS][MAX_TOKS];  /* tokens of each message pattern */
};

static const struct kt_noise_pattern_def patterns[] = {
	[KT_NOISE_NK] = { "NK", { TOK_END }, { TOK_S }, 2, {
		{ TOK_E, TOK_ES },                   /* -> e, es */
		{ TOK_E, TOK_EE },                   /* <- e, ee */
	} },
	[KT_NOISE_XK] = { "XK", { TOK_END }, { TOK_S }, 3, {
		{ TOK_E, TOK_ES },                   /* -> e, es */
		{ TOK_E, TOK_EE },                   /* <- e, ee */
		{ TOK_S, TOK_SE },                   /* -> s, se */
	} },
	[KT_NOISE_IK] = { "IK", { TOK_END }, { TOK_S }, 2, {
		{ TOK_E, TOK_ES, TOK_S, TOK_SS },    /* -> e, es, s, ss */
		{ TOK_E, TOK_EE, TOK_SE },           /* <- e, ee, se */
	} },
	[KT_NOISE_XX] = { "XX", { TOK_END }, { TOK_END }, 3, {
		{ TOK_E },                           /* -> e */
		{ TOK_E, TOK_EE, TOK_S, TOK_ES },    /* <- e, ee, s, es */
		{ TOK_S, TOK_SE },                   /* -> s, se */
	} },
};

#define NPATTERNS (sizeof(patterns) / sizeof(patterns[0]))

/* Whether the party in the given role sends token t in any message. */
static int
role_sends(const struct kt_noise_pattern_def *p, int initiator, int t)
{
	for (size_t m = initiator ? 0 : 1; m < p->nmsgs; m += 2)
		for (size_t i = 0; i < MAX_TOKS && p->msgs[m][i] != TOK_END; i++)
			if (p->msgs[m][i] == t)
				return 1;
	return 0;
}

static int
pre_has_s(const uint8_t pre[MAX_PRE])
{
	for (size_t i = 0; i < MAX_PRE && pre[i] != TOK_END; i++)
		if (pre[i] == TOK_S)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------------
 * Hash, HMAC, HKDF (spec 4.3). These cannot fail: libsodium only rejects
 * out-of-range key or output lengths, and ours are constants.
 * ---------------------------------------------------------------------- */

/* out = HASH(a || b); out may alias a or b. */
static void
hash2(uint8_t out[KT_NOISE_HASHLEN], const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen)
{
	crypto_generichash_state st;

	(void)crypto_generichash_init(&st, NULL, 0, KT_NOISE_HASHLEN);
	if (alen > 0)
		(void)crypto_generichash_update(&st, a, alen);
	if (blen > 0)
		(void)crypto_generichash_update(&st, b, blen);
	(void)crypto_generichash_final(&st, out, KT_NOISE_HASHLEN);
	sodium_memzero(&st, sizeof(st));
}

/* HMAC-BLAKE2b per RFC 2104 over d1 || d2. Noise only ever keys it with
 * HASHLEN bytes (ck or temp_key), which is below BLOCKLEN, so the key is
 * zero-padded and never pre-hashed. out may alias key, d1 or d2. */
static void
hmac(uint8_t out[KT_NOISE_HASHLEN], const uint8_t key[KT_NOISE_HASHLEN],
    const uint8_t *d1, size_t l1, const uint8_t *d2, size_t l2)
{
	uint8_t pad[BLOCKLEN];
	uint8_t inner[KT_NOISE_HASHLEN];
	crypto_generichash_state st;

	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < KT_NOISE_HASHLEN; i++)
		pad[i] ^= key[i];
	(void)crypto_generichash_init(&st, NULL, 0, KT_NOISE_HASHLEN);
	(void)crypto_generichash_update(&st, pad, sizeof(pad));
	if (l1 > 0)
		(void)crypto_generichash_update(&st, d1, l1);
	if (l2 > 0)
		(void)crypto_generichash_update(&st, d2, l2);
	(void)crypto_generichash_final(&st, inner, sizeof(inner));

	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < KT_NOISE_HASHLEN; i++)
		pad[i] ^= key[i];
	(void)crypto_generichash_init(&st, NULL, 0, KT_NOISE_HASHLEN);
	(void)crypto_generichash_update(&st, pad, sizeof(pad));
	(void)crypto_generichash_update(&st, inner, sizeof(inner));
	(void)crypto_generichash_final(&st, out, KT_NOISE_HASHLEN);

	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
	sodium_memzero(&st, sizeof(st));
}

/* HKDF with two outputs (no PSKs, so the third is never needed).
 * o1 may alias ck: ck is read only before o1 is written. */
static void
hkdf2(const uint8_t ck[KT_NOISE_HASHLEN], const uint8_t *ikm, size_t ikmlen,
    uint8_t o1[KT_NOISE_HASHLEN], uint8_t o2[KT_NOISE_HASHLEN])
{
	static const uint8_t one = 0x01, two = 0x02;
	uint8_t tk[KT_NOISE_HASHLEN];

	hmac(tk, ck, ikm, ikmlen, NULL, 0);
	hmac(o1, tk, &one, 1, NULL, 0);
	hmac(o2, tk, o1, KT_NOISE_HASHLEN, &two, 1);
	sodium_memzero(tk, sizeof(tk));
}

/* ------------------------------------------------------------------------
 * CipherState (spec 5.1)
 * ---------------------------------------------------------------------- */

static void
nonce_encode(uint8_t nonce[NONCELEN], uint64_t n)
{
	memset(nonce, 0, 4);
	for (size_t i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

static void
cipher_init(kt_noise_cipher_t *c, const uint8_t k[KT_NOISE_KEYLEN])
{
	memcpy(c->k, k, KT_NOISE_KEYLEN);
	c->n = 0;
	c->has_key = 1;
}

int
kt_noise_encrypt(kt_noise_cipher_t *c, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
	static const uint8_t empty[1];
	uint8_t nonce[NONCELEN];
	unsigned long long clen = 0;
	int rc = 0;

	if (inlen == 0)
		in = empty;  /* libsodium wants a valid pointer even for 0 bytes */
	if (!c->has_key) {
		if (inlen > KT_NOISE_MAX_MSG) {
			rc = KT_ETOOBIG;
			goto out;
		}
		if (inlen > 0 && out != in)
			memmove(out, in, inlen);
		*outlen = inlen;
		goto out;
	}
	if (inlen > KT_NOISE_MAX_MSG - KT_NOISE_TAGLEN) {
		rc = KT_ETOOBIG;
		goto out;
	}
	if (c->n == KT_NOISE_NONCE_MAX) {
		rc = KT_ENONCE;
		goto out;
	}
	nonce_encode(nonce, c->n);
	if (crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, in, inlen,
	    ad, adlen, NULL, nonce, c->k) != 0) {
		rc = KT_ECRYPTO;
		goto out;
	}
	c->n++;
	*outlen = (size_t)clen;
out:
	return rc;
}

int
kt_noise_decrypt(kt_noise_cipher_t *c, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
	static const uint8_t empty[1];
	uint8_t nonce[NONCELEN];
	unsigned long long mlen = 0;
	int rc = 0;

	if (inlen == 0)
		in = empty;
	if (!c->has_key) {
		if (inlen > 0 && out != in)
			memmove(out, in, inlen);
		*outlen = inlen;
		goto out;
	}
	if (inlen < KT_NOISE_TAGLEN) {
		rc = KT_EINVAL;
		goto out;
	}
	if (c->n == KT_NOISE_NONCE_MAX) {
		rc = KT_ENONCE;
		goto out;
	}
	nonce_encode(nonce, c->n);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &mlen, NULL, in,
	    inlen, ad, adlen, nonce, c->k) != 0) {
		rc = KT_ECRYPTO;
		goto out;
	}
	c->n++;
	*outlen = (size_t)mlen;
out:
	return rc;
}

void
kt_noise_cipher_clear(kt_noise_cipher_t *c)
{
	if (c != NULL)
		sodium_memzero(c, sizeof(*c));
}

/* ------------------------------------------------------------------------
 * SymmetricState (spec 5.2)
 * ---------------------------------------------------------------------- */

static void
mix_hash(kt_noise_hs_t *hs, const uint8_t *data, size_t len)
{
	hash2(hs->h, hs->h, KT_NOISE_HASHLEN, data, len);
}

static void
mix_key(kt_noise_hs_t *hs, const uint8_t *ikm, size_t len)
{
	uint8_t tk[KT_NOISE_HASHLEN];

	hkdf2(hs->ck, ikm, len, hs->ck, tk);
	cipher_init(&hs->cs, tk);  /* truncated to KEYLEN: HASHLEN is 64 */
	sodium_memzero(tk, sizeof(tk));
}

/* in and out may be the same buffer. */
static int
encrypt_and_hash(kt_noise_hs_t *hs, const uint8_t *in, size_t inlen,
    uint8_t *out, size_t *outlen)
{
	int rc;

	rc = kt_noise_encrypt(&hs->cs, hs->h, KT_NOISE_HASHLEN, in, inlen,
	    out, outlen);
	if (rc == 0)
		mix_hash(hs, out, *outlen);
	return rc;
}

/* h is updated only on success. The new h is computed before decrypting so
 * the ciphertext is hashed even if out overwrites it. */
static int
decrypt_and_hash(kt_noise_hs_t *hs, const uint8_t *in, size_t inlen,
    uint8_t *out, size_t *outlen)
{
	uint8_t hnew[KT_NOISE_HASHLEN];
	int rc;

	hash2(hnew, hs->h, KT_NOISE_HASHLEN, in, inlen);
	rc = kt_noise_decrypt(&hs->cs, hs->h, KT_NOISE_HASHLEN, in, inlen,
	    out, outlen);
	if (rc == 0)
		memcpy(hs->h, hnew, sizeof(hnew));
	sodium_memzero(hnew, sizeof(hnew));
	return rc;
}

/* ------------------------------------------------------------------------
 * HandshakeState (spec 5.3)
 * ---------------------------------------------------------------------- */

/* DH(ee/es/se/ss) and MixKey. A low-order peer key makes libsodium return
 * -1 (all-zero output); we also check the output ourselves. */
static int
mix_dh(kt_noise_hs_t *hs, int t)
{
	const uint8_t *priv = NULL, *pub = NULL;
	int have = 0;
	uint8_t shared[KT_NOISE_DHLEN];
	int rc = 0;

	switch (t) {
	case TOK_EE:
		priv = hs->e_priv, pub = hs->re;
		have = hs->has_e && hs->has_re;
		break;
	case TOK_ES:
		if (hs->initiator) {
			priv = hs->e_priv, pub = hs->rs;
			have = hs->has_e && hs->has_rs;
		} else {
			priv = hs->s_priv, pub = hs->re;
			have = hs->has_s && hs->has_re;
		}
		break;
	case TOK_SE:
		if (hs->initiator) {
			priv = hs->s_priv, pub = hs->re;
			have = hs->has_s && hs->has_re;
		} else {
			priv = hs->e_priv, pub = hs->rs;
			have = hs->has_e && hs->has_rs;
		}
		break;
	case TOK_SS:
		priv = hs->s_priv, pub = hs->rs;
		have = hs->has_s && hs->has_rs;
		break;
	default:
		break;
	}
	if (!have) {
		/* Unreachable with a valid table and kt_noise_hs_init's checks. */
		rc = KT_ESTATE;
		goto out;
	}
	if (crypto_scalarmult(shared, priv, pub) != 0 ||
	    sodium_is_zero(shared, sizeof(shared))) {
		rc = KT_ECRYPTO;
		goto out;
	}
	mix_key(hs, shared, sizeof(shared));
out:
	sodium_memzero(shared, sizeof(shared));
	return rc;
}

/* Bytes a message pattern puts before the payload, given the current key
 * state; *keyed tells whether the payload will be encrypted. */
static size_t
msg_prefix(const kt_noise_hs_t *hs, const uint8_t *toks, int *keyed)
{
	size_t n = 0;
	int k = hs->cs.has_key;

	for (size_t i = 0; i < MAX_TOKS && toks[i] != TOK_END; i++) {
		if (toks[i] == TOK_E)
			n += KT_NOISE_DHLEN;
		else if (toks[i] == TOK_S)
			n += KT_NOISE_DHLEN + (k ? KT_NOISE_TAGLEN : 0);
		else
			k = 1;
	}
	*keyed = k;
	return n;
}

int
kt_noise_hs_init(kt_noise_hs_t *hs, kt_noise_pattern_t pattern,
    int initiator, const uint8_t *prologue, size_t plen,
    const uint8_t *s_priv, const uint8_t *rs)
{
	const struct kt_noise_pattern_def *p;
	char name[64];
	int need_s, need_rs, len;
	int rc = 0;

	if (hs == NULL)
		return KT_EINVAL;
	sodium_memzero(hs, sizeof(*hs));
	if ((unsigned)pattern >= NPATTERNS || (prologue == NULL && plen > 0)) {
		rc = KT_EINVAL;
		goto out;
	}
	if (sodium_init() < 0) {
		rc = KT_ECRYPTO;
		goto out;
	}
	p = &patterns[pattern];
	initiator = initiator != 0;
	need_s = role_sends(p, initiator, TOK_S) ||
	    pre_has_s(initiator ? p->pre_i : p->pre_r);
	need_rs = pre_has_s(initiator ? p->pre_r : p->pre_i);
	/* A key the pattern does not use is refused too: the caller would
	 * believe it authenticates someone when it does not. */
	if ((s_priv != NULL) != need_s || (rs != NULL) != need_rs) {
		rc = KT_EINVAL;
		goto out;
	}
	hs->pattern = p;
	hs->initiator = initiator;
	if (s_priv != NULL) {
		memcpy(hs->s_priv, s_priv, sizeof(hs->s_priv));
		if (crypto_scalarmult_base(hs->s_pub, hs->s_priv) != 0) {
			rc = KT_EINVAL;
			goto out;
		}
		hs->has_s = 1;
	}
	if (rs != NULL) {
		memcpy(hs->rs, rs, sizeof(hs->rs));
		hs->has_rs = 1;
	}

	len = snprintf(name, sizeof(name), "Noise_%s_25519_ChaChaPoly_BLAKE2b",
	    /* untranslated: the protocol name */ p->name);
	if (len < 0 || (size_t)len >= sizeof(name)) {
		rc = KT_EINVAL;
		goto out;
	}
	if ((size_t)len <= KT_NOISE_HASHLEN)
		memcpy(hs->h, name, (size_t)len);  /* rest is already zero */
	else
		hash2(hs->h, (const uint8_t *)name, (size_t)len, NULL, 0);
	memcpy(hs->ck, hs->h, KT_NOISE_HASHLEN);
	mix_hash(hs, prologue, plen);

	/* Pre-messages: the initiator's keys first, then the responder's. */
	if (pre_has_s(p->pre_i))
		mix_hash(hs, initiator ? hs->s_pub : hs->rs, KT_NOISE_DHLEN);
	if (pre_has_s(p->pre_r))
		mix_hash(hs, initiator ? hs->rs : hs->s_pub, KT_NOISE_DHLEN);
out:
	if (rc != 0)
		sodium_memzero(hs, sizeof(*hs));
	return rc;
}

void
kt_noise_hs_set_ephemeral(kt_noise_hs_t *hs, const uint8_t e_priv[static 32])
{
	memcpy(hs->e_priv, e_priv, sizeof(hs->e_priv));
	/* Cannot fail: a clamped scalar never gives the identity. */
	(void)crypto_scalarmult_base(hs->e_pub, hs->e_priv);
	hs->fixed_e = 1;
}

int
kt_noise_hs_done(const kt_noise_hs_t *hs)
{
	return hs != NULL && hs->pattern != NULL &&
	    hs->msg_index == hs->pattern->nmsgs;
}

int
kt_noise_hs_my_turn(const kt_noise_hs_t *hs)
{
	if (hs == NULL || hs->pattern == NULL ||
	    hs->msg_index >= hs->pattern->nmsgs)
		return 0;
	/* Even-numbered message patterns are the initiator's. */
	return (hs->msg_index % 2 == 0) == (hs->initiator != 0);
}

int
kt_noise_hs_write_message(kt_noise_hs_t *hs, const uint8_t *payload,
    size_t plen, uint8_t *out, size_t outcap, size_t *outlen)
{
	const uint8_t *toks;
	size_t prefix, total = 0, off = 0, n = 0;
	int keyed, rc = 0, fatal = 0;

	if (!kt_noise_hs_my_turn(hs)) {
		rc = KT_ESTATE;
		goto out;
	}
	toks = hs->pattern->msgs[hs->msg_index];
	prefix = msg_prefix(hs, toks, &keyed);
	if (plen > KT_NOISE_MAX_MSG - prefix - (keyed ? KT_NOISE_TAGLEN : 0)) {
		rc = KT_ETOOBIG;
		goto out;
	}
	total = prefix + plen + (keyed ? KT_NOISE_TAGLEN : 0);
	if (total > outcap) {
		rc = KT_ENOSPC;
		goto out;
	}
	/* Place the payload first so it may overlap out; it is encrypted in
	 * place once the tokens are written. */
	if (plen > 0)
		memmove(out + prefix, payload, plen);

	fatal = 1;  /* from here on, hs is being changed */
	for (size_t i = 0; i < MAX_TOKS && toks[i] != TOK_END; i++) {
		switch (toks[i]) {
		case TOK_E:
			if (!hs->fixed_e) {
				randombytes_buf(hs->e_priv, sizeof(hs->e_priv));
				if (crypto_scalarmult_base(hs->e_pub,
				    hs->e_priv) != 0) {
					rc = KT_ECRYPTO;
					goto out;
				}
			}
			hs->has_e = 1;
			memcpy(out + off, hs->e_pub, KT_NOISE_DHLEN);
			mix_hash(hs, hs->e_pub, KT_NOISE_DHLEN);
			off += KT_NOISE_DHLEN;
			break;
		case TOK_S:
			rc = encrypt_and_hash(hs, hs->s_pub, KT_NOISE_DHLEN,
			    out + off, &n);
			if (rc != 0)
				goto out;
			off += n;
			break;
		default:
			rc = mix_dh(hs, toks[i]);
			if (rc != 0)
				goto out;
			break;
		}
	}
	assert(off == prefix);
	rc = encrypt_and_hash(hs, out + off, plen, out + off, &n);
	if (rc != 0)
		goto out;
	off += n;
	assert(off == total);
	hs->msg_index++;
	*outlen = off;
out:
	if (rc != 0 && fatal) {
		sodium_memzero(out, total);  /* may hold the plaintext payload */
		kt_noise_hs_clear(hs);
	}
	return rc;
}

int
kt_noise_hs_read_message(kt_noise_hs_t *hs, const uint8_t *msg,
    size_t mlen, uint8_t *payload, size_t paycap, size_t *paylen)
{
	uint8_t dummy[1];
	const uint8_t *toks;
	size_t prefix, tag, slen, plen = 0, off = 0, n = 0;
	int keyed, rc = 0, fatal = 0;

	if (hs == NULL || hs->pattern == NULL || kt_noise_hs_done(hs) ||
	    kt_noise_hs_my_turn(hs)) {
		rc = KT_ESTATE;
		goto out;
	}
	toks = hs->pattern->msgs[hs->msg_index];
	prefix = msg_prefix(hs, toks, &keyed);
	tag = keyed ? KT_NOISE_TAGLEN : 0;
	if (mlen > KT_NOISE_MAX_MSG || mlen < prefix + tag) {
		rc = KT_EPROTO;
		goto out;
	}
	plen = mlen - prefix - tag;
	if (payload == NULL)
		payload = dummy, paycap = 0;
	if (plen > paycap) {
		rc = KT_ENOSPC;
		goto out;
	}

	fatal = 1;
	for (size_t i = 0; i < MAX_TOKS && toks[i] != TOK_END; i++) {
		switch (toks[i]) {
		case TOK_E:
			memcpy(hs->re, msg + off, KT_NOISE_DHLEN);
			hs->has_re = 1;
			mix_hash(hs, hs->re, KT_NOISE_DHLEN);
			off += KT_NOISE_DHLEN;
			break;
		case TOK_S:
			slen = KT_NOISE_DHLEN +
			    (hs->cs.has_key ? KT_NOISE_TAGLEN : 0);
			rc = decrypt_and_hash(hs, msg + off, slen, hs->rs, &n);
			if (rc != 0)
				goto out;
			hs->has_rs = 1;
			off += slen;
			break;
		default:
			rc = mix_dh(hs, toks[i]);
			if (rc != 0)
				goto out;
			break;
		}
	}
	assert(off == prefix);
	rc = decrypt_and_hash(hs, msg + off, mlen - off, payload, &n);
	if (rc != 0)
		goto out;
	assert(n == plen);
	hs->msg_index++;
	*paylen = n;
out:
	if (rc != 0 && fatal) {
		sodium_memzero(payload, plen);
		kt_noise_hs_clear(hs);
	}
	return rc;
}

int
kt_noise_hs_split(kt_noise_hs_t *hs, kt_noise_cipher_t *send,
    kt_noise_cipher_t *recv, uint8_t h[KT_NOISE_HASHLEN])
{
	uint8_t k1[KT_NOISE_HASHLEN], k2[KT_NOISE_HASHLEN];
	int rc = 0;

	if (!kt_noise_hs_done(hs) || hs->split_done) {
		rc = KT_ESTATE;
		goto out;
	}
	hkdf2(hs->ck, NULL, 0, k1, k2);
	/* The initiator sends with the first key, the responder with the
	 * second; both truncated to KEYLEN. */
	cipher_init(send, hs->initiator ? k1 : k2);
	cipher_init(recv, hs->initiator ? k2 : k1);
	if (h != NULL)
		memcpy(h, hs->h, KT_NOISE_HASHLEN);
	/* Keep h and the public keys (kt_noise_hs_remote_static); drop every
	 * secret the handshake no longer needs. */
	sodium_memzero(hs->ck, sizeof(hs->ck));
	kt_noise_cipher_clear(&hs->cs);
	sodium_memzero(hs->s_priv, sizeof(hs->s_priv));
	sodium_memzero(hs->e_priv, sizeof(hs->e_priv));
	hs->split_done = 1;
out:
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	return rc;
}

int
kt_noise_hs_remote_static(const kt_noise_hs_t *hs, uint8_t rs[static 32])
{
	if (hs == NULL || !hs->has_rs)
		return KT_ESTATE;
	memcpy(rs, hs->rs, KT_NOISE_DHLEN);
	return 0;
}

void
kt_noise_hs_clear(kt_noise_hs_t *hs)
{
	if (hs != NULL)
		sodium_memzero(hs, sizeof(*hs));
}
