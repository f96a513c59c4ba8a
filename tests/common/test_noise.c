/* SPDX-License-Identifier: MIT */
/* Tests for common/noise.c: published test vectors, low-order points,
 * tampering, nonce exhaustion, state misuse, the Kartoteka XK handshake. */
#include "kt_test.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "kt_error.h"
#include "noise.h"

#define BUFSZ 1024
#define PROLOGUE "kartoteka/1"

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

static void
keypair(uint8_t priv[32], uint8_t pub[32])
{
	randombytes_buf(priv, 32);
	assert_int_equal(crypto_scalarmult_base(pub, priv), 0);
}

/* Decodes the hex string at key into out; returns 0 when key is absent. */
static int
get_hex(json_t *obj, const char *key, uint8_t *out, size_t cap, size_t *len)
{
	json_t *j = json_object_get(obj, key);
	const char *s;
	size_t n = 0;

	if (j == NULL)
		return 0;
	assert_true(json_is_string(j));
	s = json_string_value(j);
	assert_int_equal(sodium_hex2bin(out, cap, s, strlen(s), NULL, &n, NULL), 0);
	assert_int_equal(n * 2, strlen(s));
	if (len != NULL)
		*len = n;
	return 1;
}

static int
get_key(json_t *obj, const char *key, uint8_t out[32])
{
	size_t n = 0;

	if (!get_hex(obj, key, out, 32, &n))
		return 0;
	assert_int_equal(n, 32);
	return 1;
}

/* Both sides must agree that a handshake of this pattern exists. */
static int
pattern_of(const char *protocol_name, kt_noise_pattern_t *p)
{
	static const struct {
		const char *name;
		kt_noise_pattern_t p;
	} names[] = {
		{ "Noise_NK_25519_ChaChaPoly_BLAKE2b", KT_NOISE_NK },
		{ "Noise_XK_25519_ChaChaPoly_BLAKE2b", KT_NOISE_XK },
		{ "Noise_IK_25519_ChaChaPoly_BLAKE2b", KT_NOISE_IK },
		{ "Noise_XX_25519_ChaChaPoly_BLAKE2b", KT_NOISE_XX },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i].name, protocol_name) == 0) {
			*p = names[i].p;
			return 1;
		}
	}
	return 0;
}

/* Runs both sides of a handshake in memory, one payload per message, and
 * splits. Payload i is payloads[i] (NULL = empty). */
static void
run_handshake(kt_noise_hs_t *ini, kt_noise_hs_t *res, const char **payloads,
    kt_noise_cipher_t isend[1], kt_noise_cipher_t irecv[1],
    kt_noise_cipher_t rsend[1], kt_noise_cipher_t rrecv[1])
{
	uint8_t msg[BUFSZ], pay[BUFSZ];
	uint8_t hi[KT_NOISE_HASHLEN], hr[KT_NOISE_HASHLEN];
	size_t mlen = 0, plen = 0;

	for (size_t i = 0; !kt_noise_hs_done(ini); i++) {
		kt_noise_hs_t *snd = i % 2 == 0 ? ini : res;
		kt_noise_hs_t *rcv = i % 2 == 0 ? res : ini;
		const char *p = payloads != NULL ? payloads[i] : NULL;
		size_t len = p != NULL ? strlen(p) : 0;

		assert_true(kt_noise_hs_my_turn(snd));
		assert_false(kt_noise_hs_my_turn(rcv));
		assert_int_equal(kt_noise_hs_write_message(snd, (const uint8_t *)p,
		    len, msg, sizeof(msg), &mlen), 0);
		assert_int_equal(kt_noise_hs_read_message(rcv, msg, mlen, pay,
		    sizeof(pay), &plen), 0);
		assert_int_equal(plen, len);
		if (len > 0)
			assert_memory_equal(pay, p, len);
	}
	assert_true(kt_noise_hs_done(res));
	assert_int_equal(kt_noise_hs_split(ini, isend, irecv, hi), 0);
	assert_int_equal(kt_noise_hs_split(res, rsend, rrecv, hr), 0);
	assert_memory_equal(hi, hr, sizeof(hi));
}

/* One transport message from a to b. */
static void
transport_roundtrip(kt_noise_cipher_t *a, kt_noise_cipher_t *b,
    const uint8_t *p, size_t len)
{
	static uint8_t ct[KT_NOISE_MAX_MSG], pt[KT_NOISE_MAX_MSG];
	size_t clen = 0, plen = 0;

	assert_int_equal(kt_noise_encrypt(a, NULL, 0, p, len, ct, &clen), 0);
	assert_int_equal(clen, len + KT_NOISE_TAGLEN);
	assert_int_equal(kt_noise_decrypt(b, NULL, 0, ct, clen, pt, &plen), 0);
	assert_int_equal(plen, len);
	if (len > 0)
		assert_memory_equal(pt, p, len);
}

/* The Kartoteka setup: XK, prologue "kartoteka/1", random keys. */
struct xk {
	uint8_t c_priv[32], c_pub[32];   /* client (initiator) static */
	uint8_t s_priv[32], s_pub[32];   /* server (responder) static */
	kt_noise_hs_t ini, res;
};

static void
xk_setup(struct xk *x)
{
	assert_true(sodium_init() >= 0);
	keypair(x->c_priv, x->c_pub);
	keypair(x->s_priv, x->s_pub);
	assert_int_equal(kt_noise_hs_init(&x->ini, KT_NOISE_XK, 1,
	    (const uint8_t *)PROLOGUE, strlen(PROLOGUE), x->c_priv, x->s_pub), 0);
	assert_int_equal(kt_noise_hs_init(&x->res, KT_NOISE_XK, 0,
	    (const uint8_t *)PROLOGUE, strlen(PROLOGUE), x->s_priv, NULL), 0);
}

/* ------------------------------------------------------------------------
 * Test vectors
 * ---------------------------------------------------------------------- */

/* Runs one vector: both engines against each other with the vector's keys
 * and ephemerals; every ciphertext, payload and the final hash must match. */
static void
run_vector(json_t *v, kt_noise_pattern_t *pattern_out)
{
	uint8_t is[32], irs[32], ie[32], rsk[32], rrs[32], re[32], pub[32];
	uint8_t ip[256], rp[256], pay[BUFSZ], ct[BUFSZ], out[BUFSZ];
	uint8_t hh[KT_NOISE_HASHLEN], hi[KT_NOISE_HASHLEN], hr[KT_NOISE_HASHLEN];
	size_t iplen = 0, rplen = 0, paylen = 0, ctlen = 0, outlen = 0, hhlen = 0;
	int have_is, have_irs, have_rsk, have_rrs, have_hh;
	kt_noise_hs_t ini, res;
	kt_noise_cipher_t isend, irecv, rsend, rrecv;
	kt_noise_pattern_t p = KT_NOISE_NK;
	json_t *msgs, *psks;
	size_t nhs = 0, ntransport = 0, i;

	assert_true(pattern_of(json_string_value(json_object_get(v,
	    "protocol_name")), &p));
	*pattern_out = p;
	psks = json_object_get(v, "init_psks");
	assert_true(psks == NULL || json_array_size(psks) == 0);
	psks = json_object_get(v, "resp_psks");
	assert_true(psks == NULL || json_array_size(psks) == 0);

	have_is = get_key(v, "init_static", is);
	have_irs = get_key(v, "init_remote_static", irs);
	have_rsk = get_key(v, "resp_static", rsk);
	have_rrs = get_key(v, "resp_remote_static", rrs);
	have_hh = get_hex(v, "handshake_hash", hh, sizeof(hh), &hhlen);
	if (have_hh)
		assert_int_equal(hhlen, KT_NOISE_HASHLEN);
	assert_true(get_key(v, "init_ephemeral", ie));
	assert_true(get_key(v, "resp_ephemeral", re));
	assert_true(get_hex(v, "init_prologue", ip, sizeof(ip), &iplen));
	assert_true(get_hex(v, "resp_prologue", rp, sizeof(rp), &rplen));

	assert_int_equal(kt_noise_hs_init(&ini, p, 1, ip, iplen,
	    have_is ? is : NULL, have_irs ? irs : NULL), 0);
	assert_int_equal(kt_noise_hs_init(&res, p, 0, rp, rplen,
	    have_rsk ? rsk : NULL, have_rrs ? rrs : NULL), 0);
	kt_noise_hs_set_ephemeral(&ini, ie);
	kt_noise_hs_set_ephemeral(&res, re);

	msgs = json_object_get(v, "messages");
	assert_true(json_is_array(msgs));
	for (i = 0; i < json_array_size(msgs); i++) {
		json_t *m = json_array_get(msgs, i);
		int from_ini = i % 2 == 0;

		assert_true(get_hex(m, "payload", pay, sizeof(pay), &paylen));
		assert_true(get_hex(m, "ciphertext", ct, sizeof(ct), &ctlen));

		if (!kt_noise_hs_done(&ini)) {
			kt_noise_hs_t *snd = from_ini ? &ini : &res;
			kt_noise_hs_t *rcv = from_ini ? &res : &ini;

			assert_true(kt_noise_hs_my_turn(snd));
			assert_int_equal(kt_noise_hs_write_message(snd, pay,
			    paylen, out, sizeof(out), &outlen), 0);
			assert_int_equal(outlen, ctlen);
			assert_memory_equal(out, ct, ctlen);
			assert_int_equal(kt_noise_hs_read_message(rcv, ct, ctlen,
			    out, sizeof(out), &outlen), 0);
			assert_int_equal(outlen, paylen);
			assert_memory_equal(out, pay, paylen);
			nhs++;
			if (kt_noise_hs_done(&ini)) {
				assert_true(kt_noise_hs_done(&res));
				assert_int_equal(kt_noise_hs_split(&ini, &isend,
				    &irecv, hi), 0);
				assert_int_equal(kt_noise_hs_split(&res, &rsend,
				    &rrecv, hr), 0);
				assert_memory_equal(hi, hr, sizeof(hi));
				if (have_hh)
					assert_memory_equal(hi, hh, sizeof(hh));
			}
			continue;
		}
		/* Transport: messages keep alternating by index. */
		assert_int_equal(kt_noise_encrypt(from_ini ? &isend : &rsend,
		    NULL, 0, pay, paylen, out, &outlen), 0);
		assert_int_equal(outlen, ctlen);
		assert_memory_equal(out, ct, ctlen);
		assert_int_equal(kt_noise_decrypt(from_ini ? &rrecv : &irecv,
		    NULL, 0, ct, ctlen, out, &outlen), 0);
		assert_int_equal(outlen, paylen);
		assert_memory_equal(out, pay, paylen);
		ntransport++;
	}
	assert_true(kt_noise_hs_done(&ini));
	assert_int_equal(nhs, p == KT_NOISE_XK || p == KT_NOISE_XX ? 3 : 2);
	assert_true(ntransport > 0);

	/* Each side learnt (or knew) the other's static key. */
	if (have_is) {
		assert_int_equal(crypto_scalarmult_base(pub, is), 0);
		assert_int_equal(kt_noise_hs_remote_static(&res, out), 0);
		assert_memory_equal(out, pub, 32);
	}
	if (have_rsk) {
		assert_int_equal(crypto_scalarmult_base(pub, rsk), 0);
		assert_int_equal(kt_noise_hs_remote_static(&ini, out), 0);
		assert_memory_equal(out, pub, 32);
	}
	kt_noise_hs_clear(&ini);
	kt_noise_hs_clear(&res);
	kt_noise_cipher_clear(&isend);
	kt_noise_cipher_clear(&irecv);
	kt_noise_cipher_clear(&rsend);
	kt_noise_cipher_clear(&rrecv);
}

/* Runs every vector in a file; each of NK, XK, IK, XX must appear once. */
static size_t
run_vector_file(const char *file)
{
	char path[512];
	json_error_t err;
	json_t *root, *vs;
	int seen[4] = { 0 };
	size_t i;

	assert_true(sodium_init() >= 0);
	snprintf(path, sizeof(path), "%s/%s", KT_VECTORS_DIR, file);
	root = json_load_file(path, 0, &err);
	if (root == NULL)
		fail_msg("%s: %s (line %d)", path, err.text, err.line);
	vs = json_object_get(root, "vectors");
	assert_true(json_is_array(vs));
	for (i = 0; i < json_array_size(vs); i++) {
		kt_noise_pattern_t p = KT_NOISE_NK;

		run_vector(json_array_get(vs, i), &p);
		seen[p]++;
	}
	json_decref(root);
	for (int k = 0; k < 4; k++)
		assert_int_equal(seen[k], 1);
	return i;
}

static void
vectors_snow(void **state)
{
	(void)state;
	assert_int_equal(run_vector_file("snow.json"), 4);
}

static void
vectors_cacophony(void **state)
{
	(void)state;
	assert_int_equal(run_vector_file("cacophony.json"), 4);
}

/* Guards against both files silently shrinking. */
static void
vectors_total(void **state)
{
	(void)state;
	assert_int_equal(run_vector_file("snow.json") +
	    run_vector_file("cacophony.json"), 8);
}

/* ------------------------------------------------------------------------
 * Kartoteka handshake and all patterns with random keys
 * ---------------------------------------------------------------------- */

static void
xk_kartoteka(void **state)
{
	static const char *payloads[] = { NULL, "server hello", "client hello" };
	static uint8_t big[KT_NOISE_MAX_MSG];
	static uint8_t ct[KT_NOISE_MAX_MSG];
	uint8_t msg[BUFSZ], pay[BUFSZ], rs[32];
	size_t mlen = 0, plen = 0;
	kt_noise_cipher_t isend, irecv, rsend, rrecv;
	struct xk x;

	(void)state;
	xk_setup(&x);
	assert_int_equal(kt_noise_hs_remote_static(&x.res, rs), KT_ESTATE);

	/* Message sizes per the wire protocol: e + tag, e + payload + tag,
	 * encrypted s + payload + tag. */
	assert_int_equal(kt_noise_hs_write_message(&x.ini, NULL, 0, msg,
	    sizeof(msg), &mlen), 0);
	assert_int_equal(mlen, 32 + 16);
	assert_int_equal(kt_noise_hs_read_message(&x.res, msg, mlen, NULL, 0,
	    &plen), 0);
	assert_int_equal(plen, 0);
	assert_int_equal(kt_noise_hs_write_message(&x.res,
	    (const uint8_t *)payloads[1], strlen(payloads[1]), msg, sizeof(msg),
	    &mlen), 0);
	assert_int_equal(mlen, 32 + strlen(payloads[1]) + 16);
	assert_int_equal(kt_noise_hs_read_message(&x.ini, msg, mlen, pay,
	    sizeof(pay), &plen), 0);
	assert_int_equal(plen, strlen(payloads[1]));
	assert_memory_equal(pay, payloads[1], plen);
	assert_int_equal(kt_noise_hs_write_message(&x.ini,
	    (const uint8_t *)payloads[2], strlen(payloads[2]), msg, sizeof(msg),
	    &mlen), 0);
	assert_int_equal(mlen, 48 + strlen(payloads[2]) + 16);
	assert_int_equal(kt_noise_hs_read_message(&x.res, msg, mlen, pay,
	    sizeof(pay), &plen), 0);
	assert_memory_equal(pay, payloads[2], plen);
	assert_true(kt_noise_hs_done(&x.ini));
	assert_true(kt_noise_hs_done(&x.res));

	/* The server learnt the terminal key; the client knew the server's. */
	assert_int_equal(kt_noise_hs_remote_static(&x.res, rs), 0);
	assert_memory_equal(rs, x.c_pub, 32);
	assert_int_equal(kt_noise_hs_remote_static(&x.ini, rs), 0);
	assert_memory_equal(rs, x.s_pub, 32);

	{
		uint8_t hi[KT_NOISE_HASHLEN], hr[KT_NOISE_HASHLEN];

		assert_int_equal(kt_noise_hs_split(&x.ini, &isend, &irecv, hi), 0);
		assert_int_equal(kt_noise_hs_split(&x.res, &rsend, &rrecv, hr), 0);
		assert_memory_equal(hi, hr, sizeof(hi));
		assert_int_equal(kt_noise_hs_split(&x.ini, &isend, &irecv, hi),
		    KT_ESTATE);
	}
	/* Pipelined requests, then responses, then the largest plaintext. */
	for (int i = 0; i < 5; i++)
		transport_roundtrip(&isend, &rrecv, (const uint8_t *)"req", 3);
	for (int i = 0; i < 5; i++)
		transport_roundtrip(&rsend, &irecv, (const uint8_t *)"resp", 4);
	randombytes_buf(big, sizeof(big));
	transport_roundtrip(&isend, &rrecv, big, KT_NOISE_MAX_MSG - 16);
	transport_roundtrip(&rsend, &irecv, NULL, 0);
	assert_int_equal(isend.n, 6);
	assert_int_equal(kt_noise_encrypt(&isend, NULL, 0, big,
	    KT_NOISE_MAX_MSG - 15, ct, &mlen), KT_ETOOBIG);
	assert_int_equal(isend.n, 6);

	kt_noise_hs_clear(&x.ini);
	kt_noise_hs_clear(&x.res);
	kt_noise_cipher_clear(&isend);
	kt_noise_cipher_clear(&irecv);
	kt_noise_cipher_clear(&rsend);
	kt_noise_cipher_clear(&rrecv);
	kt_noise_cipher_clear(NULL);
	kt_noise_hs_clear(NULL);
}

static void
all_patterns_random(void **state)
{
	static const char *payloads[] = { "one", "", "three" };
	static const kt_noise_pattern_t ps[] = { KT_NOISE_NK, KT_NOISE_XK,
	    KT_NOISE_IK, KT_NOISE_XX };
	uint8_t ipriv[32], ipub[32], rpriv[32], rpub[32], rs[32];
	kt_noise_cipher_t isend, irecv, rsend, rrecv;
	kt_noise_hs_t ini, res;

	(void)state;
	assert_true(sodium_init() >= 0);
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		kt_noise_pattern_t p = ps[k];
		int rs_known = p != KT_NOISE_XX;
		int i_static = p != KT_NOISE_NK;

		keypair(ipriv, ipub);
		keypair(rpriv, rpub);
		assert_int_equal(kt_noise_hs_init(&ini, p, 1, NULL, 0,
		    i_static ? ipriv : NULL, rs_known ? rpub : NULL), 0);
		assert_int_equal(kt_noise_hs_init(&res, p, 0, NULL, 0, rpriv,
		    NULL), 0);
		run_handshake(&ini, &res, payloads, &isend, &irecv, &rsend,
		    &rrecv);
		transport_roundtrip(&isend, &rrecv, (const uint8_t *)"x", 1);
		transport_roundtrip(&rsend, &irecv, (const uint8_t *)"y", 1);
		assert_int_equal(kt_noise_hs_remote_static(&ini, rs), 0);
		assert_memory_equal(rs, rpub, 32);
		if (i_static) {
			assert_int_equal(kt_noise_hs_remote_static(&res, rs), 0);
			assert_memory_equal(rs, ipub, 32);
		} else {
			assert_int_equal(kt_noise_hs_remote_static(&res, rs),
			    KT_ESTATE);
		}
		kt_noise_hs_clear(&ini);
		kt_noise_hs_clear(&res);
	}
}

/* ------------------------------------------------------------------------
 * Attacks and misuse
 * ---------------------------------------------------------------------- */

/* Known X25519 points of small order (and non-canonical encodings of
 * them): every DH with one gives the all-zero result. */
static const char *low_order_hex[] = {
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

static void
low_order_point(size_t i, uint8_t out[32])
{
	size_t n = 0;

	assert_int_equal(sodium_hex2bin(out, 32, low_order_hex[i], 64, NULL,
	    &n, NULL), 0);
	assert_int_equal(n, 32);
}

/* The responder gets message 1 with a low-order ephemeral: es fails. */
static void
low_order_ephemeral(void **state)
{
	uint8_t msg[48], pay[16];
	size_t plen = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(low_order_hex) / sizeof(low_order_hex[0]);
	    i++) {
		struct xk x;

		xk_setup(&x);
		memset(msg, 0, sizeof(msg));
		low_order_point(i, msg);
		assert_int_equal(kt_noise_hs_read_message(&x.res, msg,
		    sizeof(msg), pay, sizeof(pay), &plen), KT_ECRYPTO);
		/* The state is wiped: nothing more can be done with it. */
		assert_false(kt_noise_hs_my_turn(&x.res));
		assert_int_equal(kt_noise_hs_write_message(&x.res, NULL, 0, msg,
		    sizeof(msg), &plen), KT_ESTATE);
		kt_noise_hs_clear(&x.ini);
	}
}

/* The initiator gets message 2 with a low-order ephemeral: ee fails before
 * any decryption is tried. */
static void
low_order_ephemeral_msg2(void **state)
{
	uint8_t msg[BUFSZ], pay[BUFSZ];
	size_t mlen = 0, plen = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(low_order_hex) / sizeof(low_order_hex[0]);
	    i++) {
		struct xk x;

		xk_setup(&x);
		assert_int_equal(kt_noise_hs_write_message(&x.ini, NULL, 0, msg,
		    sizeof(msg), &mlen), 0);
		memset(msg, 0, 48);
		low_order_point(i, msg);
		assert_int_equal(kt_noise_hs_read_message(&x.ini, msg, 48, pay,
		    sizeof(pay), &plen), KT_ECRYPTO);
		assert_int_equal(kt_noise_hs_write_message(&x.ini, NULL, 0, msg,
		    sizeof(msg), &mlen), KT_ESTATE);
		kt_noise_hs_clear(&x.res);
	}
}

/* A low-order pre-known server key fails the initiator's first write. */
static void
low_order_remote_static(void **state)
{
	uint8_t rs[32], c_priv[32], c_pub[32], msg[BUFSZ];
	size_t mlen = 0;
	kt_noise_hs_t ini;

	(void)state;
	assert_true(sodium_init() >= 0);
	keypair(c_priv, c_pub);
	low_order_point(0, rs);
	assert_int_equal(kt_noise_hs_init(&ini, KT_NOISE_XK, 1,
	    (const uint8_t *)PROLOGUE, strlen(PROLOGUE), c_priv, rs), 0);
	memset(msg, 0xaa, sizeof(msg));
	assert_int_equal(kt_noise_hs_write_message(&ini,
	    (const uint8_t *)"secret", 6, msg, sizeof(msg), &mlen), KT_ECRYPTO);
	/* The plaintext payload staged in out was wiped. */
	for (size_t i = 0; i < 48 + 6; i++)
		assert_int_equal(msg[i], 0);
	assert_int_equal(kt_noise_hs_write_message(&ini, NULL, 0, msg,
	    sizeof(msg), &mlen), KT_ESTATE);
}

/* Flipping any single byte of any handshake message is detected. */
static void
tampered_handshake(void **state)
{
	static const char *payloads[] = { NULL, "server hello", "client hello" };
	uint8_t msgs[3][BUFSZ], pay[BUFSZ];
	size_t lens[3], plen = 0;

	(void)state;
	for (size_t m = 0; m < 3; m++) {
		struct xk base;

		/* Record an honest transcript up to and including message m. */
		xk_setup(&base);
		for (size_t i = 0; i <= m; i++) {
			kt_noise_hs_t *snd = i % 2 == 0 ? &base.ini : &base.res;
			kt_noise_hs_t *rcv = i % 2 == 0 ? &base.res : &base.ini;
			const char *p = payloads[i];

			assert_int_equal(kt_noise_hs_write_message(snd,
			    (const uint8_t *)p, p ? strlen(p) : 0, msgs[i],
			    sizeof(msgs[i]), &lens[i]), 0);
			if (i < m)
				assert_int_equal(kt_noise_hs_read_message(rcv,
				    msgs[i], lens[i], pay, sizeof(pay), &plen), 0);
		}
		/* Replay into a receiver that copies the pre-tamper state. */
		for (size_t pos = 0; pos < lens[m]; pos++) {
			kt_noise_hs_t rcv = m % 2 == 0 ? base.res : base.ini;

			msgs[m][pos] ^= 0x01;
			assert_int_equal(kt_noise_hs_read_message(&rcv, msgs[m],
			    lens[m], pay, sizeof(pay), &plen), KT_ECRYPTO);
			msgs[m][pos] ^= 0x01;
			assert_false(kt_noise_hs_my_turn(&rcv));
		}
		/* The untampered message still reads. */
		{
			kt_noise_hs_t *rcv = m % 2 == 0 ? &base.res : &base.ini;

			assert_int_equal(kt_noise_hs_read_message(rcv, msgs[m],
			    lens[m], pay, sizeof(pay), &plen), 0);
		}
		kt_noise_hs_clear(&base.ini);
		kt_noise_hs_clear(&base.res);
	}
}

static void
tampered_transport(void **state)
{
	uint8_t ct[64], pt[64];
	size_t clen = 0, plen = 0;
	kt_noise_cipher_t isend, irecv, rsend, rrecv;
	struct xk x;

	(void)state;
	xk_setup(&x);
	run_handshake(&x.ini, &x.res, NULL, &isend, &irecv, &rsend, &rrecv);
	assert_int_equal(kt_noise_encrypt(&isend, NULL, 0,
	    (const uint8_t *)"hello", 5, ct, &clen), 0);
	for (size_t pos = 0; pos < clen; pos++) {
		ct[pos] ^= 0x80;
		assert_int_equal(kt_noise_decrypt(&rrecv, NULL, 0, ct, clen, pt,
		    &plen), KT_ECRYPTO);
		ct[pos] ^= 0x80;
	}
	/* Wrong associated data and truncation fail too. */
	assert_int_equal(kt_noise_decrypt(&rrecv, (const uint8_t *)"x", 1, ct,
	    clen, pt, &plen), KT_ECRYPTO);
	assert_int_equal(kt_noise_decrypt(&rrecv, NULL, 0, ct, clen - 1, pt,
	    &plen), KT_ECRYPTO);
	assert_int_equal(kt_noise_decrypt(&rrecv, NULL, 0, ct, 15, pt, &plen),
	    KT_EINVAL);
	/* Failures did not advance n: the genuine message still decrypts. */
	assert_int_equal(rrecv.n, 0);
	assert_int_equal(kt_noise_decrypt(&rrecv, NULL, 0, ct, clen, pt, &plen),
	    0);
	assert_int_equal(plen, 5);
	assert_memory_equal(pt, "hello", 5);
	/* A replay fails: the receiver's nonce moved on. */
	assert_int_equal(kt_noise_decrypt(&rrecv, NULL, 0, ct, clen, pt, &plen),
	    KT_ECRYPTO);
	/* A message on the wrong direction key fails. */
	assert_int_equal(kt_noise_decrypt(&irecv, NULL, 0, ct, clen, pt, &plen),
	    KT_ECRYPTO);
}

/* 2^64-1 is reserved: with n = 2^64-2 one message goes through, then
 * KT_ENONCE, on both sides. */
static void
nonce_exhaustion(void **state)
{
	uint8_t ct[64], pt[64];
	size_t clen = 0, plen = 0;
	kt_noise_cipher_t isend, irecv, rsend, rrecv;
	struct xk x;

	(void)state;
	xk_setup(&x);
	run_handshake(&x.ini, &x.res, NULL, &isend, &irecv, &rsend, &rrecv);
	isend.n = UINT64_MAX - 1;
	rrecv.n = UINT64_MAX - 1;
	assert_int_equal(kt_noise_encrypt(&isend, NULL, 0,
	    (const uint8_t *)"last", 4, ct, &clen), 0);
	assert_true(isend.n == UINT64_MAX);
	assert_int_equal(kt_noise_decrypt(&rrecv, NULL, 0, ct, clen, pt, &plen),
	    0);
	assert_memory_equal(pt, "last", 4);
	assert_true(rrecv.n == UINT64_MAX);
	assert_int_equal(kt_noise_encrypt(&isend, NULL, 0,
	    (const uint8_t *)"more", 4, ct, &clen), KT_ENONCE);
	assert_true(isend.n == UINT64_MAX);
	assert_int_equal(kt_noise_decrypt(&rrecv, NULL, 0, ct, clen, pt, &plen),
	    KT_ENONCE);
	assert_true(rrecv.n == UINT64_MAX);
}

/* The nonce is 4 zero bytes then the counter in little-endian order. */
static void
nonce_encoding(void **state)
{
	static const uint8_t nonce[12] = { 0, 0, 0, 0,
	    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };
	uint8_t ct[64], ref[64];
	size_t clen = 0;
	unsigned long long rlen = 0;
	kt_noise_cipher_t c;

	(void)state;
	assert_true(sodium_init() >= 0);
	memset(&c, 0, sizeof(c));
	randombytes_buf(c.k, sizeof(c.k));
	c.has_key = 1;
	c.n = 0x0102030405060708ULL;
	assert_int_equal(kt_noise_encrypt(&c, (const uint8_t *)"ad", 2,
	    (const uint8_t *)"data", 4, ct, &clen), 0);
	assert_int_equal(crypto_aead_chacha20poly1305_ietf_encrypt(ref, &rlen,
	    (const uint8_t *)"data", 4, (const uint8_t *)"ad", 2, NULL, nonce,
	    c.k), 0);
	assert_int_equal(clen, rlen);
	assert_memory_equal(ct, ref, clen);
	assert_true(c.n == 0x0102030405060709ULL);
	kt_noise_cipher_clear(&c);
}

/* Without a key the cipher passes data through, in place or not. */
static void
cipher_without_key(void **state)
{
	uint8_t buf[8] = "abcdefg", out[8];
	size_t len = 0;
	kt_noise_cipher_t c;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(kt_noise_encrypt(&c, NULL, 0, buf, 7, out, &len), 0);
	assert_int_equal(len, 7);
	assert_memory_equal(out, "abcdefg", 7);
	assert_int_equal(kt_noise_encrypt(&c, NULL, 0, buf, 7, buf, &len), 0);
	assert_int_equal(kt_noise_decrypt(&c, NULL, 0, buf, 7, out, &len), 0);
	assert_memory_equal(out, "abcdefg", 7);
	assert_int_equal(c.n, 0);
}

/* Calls out of turn or out of order return KT_ESTATE and change nothing. */
static void
not_my_turn(void **state)
{
	uint8_t msg[BUFSZ], pay[BUFSZ], h[KT_NOISE_HASHLEN];
	size_t mlen = 0, plen = 0;
	kt_noise_cipher_t a, b;
	struct xk x;

	(void)state;
	xk_setup(&x);
	assert_true(kt_noise_hs_my_turn(&x.ini));
	assert_false(kt_noise_hs_my_turn(&x.res));
	/* The responder cannot speak first; the initiator cannot read first. */
	assert_int_equal(kt_noise_hs_write_message(&x.res, NULL, 0, msg,
	    sizeof(msg), &mlen), KT_ESTATE);
	assert_int_equal(kt_noise_hs_read_message(&x.ini, msg, 48, pay,
	    sizeof(pay), &plen), KT_ESTATE);
	assert_int_equal(kt_noise_hs_split(&x.ini, &a, &b, h), KT_ESTATE);

	assert_int_equal(kt_noise_hs_write_message(&x.ini, NULL, 0, msg,
	    sizeof(msg), &mlen), 0);
	/* Twice in a row is not allowed either. */
	assert_int_equal(kt_noise_hs_write_message(&x.ini, NULL, 0, msg + 100,
	    sizeof(msg) - 100, &plen), KT_ESTATE);
	assert_int_equal(kt_noise_hs_read_message(&x.res, msg, mlen, pay,
	    sizeof(pay), &plen), 0);
	assert_int_equal(kt_noise_hs_read_message(&x.res, msg, mlen, pay,
	    sizeof(pay), &plen), KT_ESTATE);

	/* Finish; then nothing more is accepted. */
	assert_int_equal(kt_noise_hs_write_message(&x.res, NULL, 0, msg,
	    sizeof(msg), &mlen), 0);
	assert_int_equal(kt_noise_hs_read_message(&x.ini, msg, mlen, pay,
	    sizeof(pay), &plen), 0);
	assert_int_equal(kt_noise_hs_write_message(&x.ini, NULL, 0, msg,
	    sizeof(msg), &mlen), 0);
	assert_int_equal(kt_noise_hs_read_message(&x.res, msg, mlen, pay,
	    sizeof(pay), &plen), 0);
	assert_false(kt_noise_hs_my_turn(&x.ini));
	assert_false(kt_noise_hs_my_turn(&x.res));
	assert_int_equal(kt_noise_hs_write_message(&x.ini, NULL, 0, msg,
	    sizeof(msg), &mlen), KT_ESTATE);
	assert_int_equal(kt_noise_hs_write_message(&x.res, NULL, 0, msg,
	    sizeof(msg), &mlen), KT_ESTATE);
	assert_int_equal(kt_noise_hs_read_message(&x.res, msg, mlen, pay,
	    sizeof(pay), &plen), KT_ESTATE);
	assert_int_equal(kt_noise_hs_split(&x.ini, &a, &b, NULL), 0);
	kt_noise_cipher_clear(&a);
	kt_noise_cipher_clear(&b);
	kt_noise_hs_clear(&x.ini);
	kt_noise_hs_clear(&x.res);
}

/* Different prologues or a wrong server key fail message 1. */
static void
prologue_and_key_mismatch(void **state)
{
	uint8_t msg[BUFSZ], pay[BUFSZ], o_priv[32], o_pub[32];
	size_t mlen = 0, plen = 0;
	kt_noise_hs_t ini;
	struct xk x;

	(void)state;
	xk_setup(&x);
	assert_int_equal(kt_noise_hs_init(&ini, KT_NOISE_XK, 1,
	    (const uint8_t *)"kartoteka/2", 11, x.c_priv, x.s_pub), 0);
	assert_int_equal(kt_noise_hs_write_message(&ini, NULL, 0, msg,
	    sizeof(msg), &mlen), 0);
	assert_int_equal(kt_noise_hs_read_message(&x.res, msg, mlen, pay,
	    sizeof(pay), &plen), KT_ECRYPTO);

	xk_setup(&x);
	keypair(o_priv, o_pub);
	assert_int_equal(kt_noise_hs_init(&ini, KT_NOISE_XK, 1,
	    (const uint8_t *)PROLOGUE, strlen(PROLOGUE), x.c_priv, o_pub), 0);
	assert_int_equal(kt_noise_hs_write_message(&ini, NULL, 0, msg,
	    sizeof(msg), &mlen), 0);
	assert_int_equal(kt_noise_hs_read_message(&x.res, msg, mlen, pay,
	    sizeof(pay), &plen), KT_ECRYPTO);
	kt_noise_hs_clear(&ini);
	kt_noise_hs_clear(&x.ini);
}

static void
init_errors(void **state)
{
	uint8_t priv[32], pub[32];
	kt_noise_hs_t hs;

	(void)state;
	assert_true(sodium_init() >= 0);
	keypair(priv, pub);
	/* Missing keys. */
	assert_int_equal(kt_noise_hs_init(&hs, KT_NOISE_XK, 1, NULL, 0, priv,
	    NULL), KT_EINVAL);
	assert_false(kt_noise_hs_my_turn(&hs));
	assert_int_equal(kt_noise_hs_init(&hs, KT_NOISE_XK, 1, NULL, 0, NULL,
	    pub), KT_EINVAL);
	assert_int_equal(kt_noise_hs_init(&hs, KT_NOISE_XK, 0, NULL, 0, NULL,
	    NULL), KT_EINVAL);
	assert_int_equal(kt_noise_hs_init(&hs, KT_NOISE_XX, 1, NULL, 0, NULL,
	    NULL), KT_EINVAL);
	/* Keys the pattern does not use. */
	assert_int_equal(kt_noise_hs_init(&hs, KT_NOISE_NK, 1, NULL, 0, priv,
	    pub), KT_EINVAL);
	assert_int_equal(kt_noise_hs_init(&hs, KT_NOISE_XK, 0, NULL, 0, priv,
	    pub), KT_EINVAL);
	assert_int_equal(kt_noise_hs_init(&hs, KT_NOISE_XX, 1, NULL, 0, priv,
	    pub), KT_EINVAL);
	/* Bad arguments. */
	assert_int_equal(kt_noise_hs_init(&hs, (kt_noise_pattern_t)42, 1, NULL,
	    0, priv, pub), KT_EINVAL);
	assert_int_equal(kt_noise_hs_init(&hs, KT_NOISE_XK, 1, NULL, 3, priv,
	    pub), KT_EINVAL);
	assert_int_equal(kt_noise_hs_init(NULL, KT_NOISE_XK, 1, NULL, 0, priv,
	    pub), KT_EINVAL);
	/* And the good ones. */
	assert_int_equal(kt_noise_hs_init(&hs, KT_NOISE_NK, 1, NULL, 0, NULL,
	    pub), 0);
	assert_int_equal(kt_noise_hs_init(&hs, KT_NOISE_XX, 0, NULL, 0, priv,
	    NULL), 0);
	kt_noise_hs_clear(&hs);
}

/* Size errors are reported before any state changes, so the handshake can
 * carry on with a right-sized buffer. */
static void
buffer_errors(void **state)
{
	static uint8_t big[KT_NOISE_MAX_MSG + 1];
	static uint8_t out[KT_NOISE_MAX_MSG + 64];
	uint8_t pay[BUFSZ];
	size_t mlen = 0, plen = 0;
	struct xk x;

	(void)state;
	xk_setup(&x);
	/* Message 1 is 48 bytes + payload; 47 is too small. */
	assert_int_equal(kt_noise_hs_write_message(&x.ini, NULL, 0, out, 47,
	    &mlen), KT_ENOSPC);
	assert_int_equal(kt_noise_hs_write_message(&x.ini, big,
	    KT_NOISE_MAX_MSG - 47, out, sizeof(out), &mlen), KT_ETOOBIG);
	assert_true(kt_noise_hs_my_turn(&x.ini));
	assert_int_equal(kt_noise_hs_write_message(&x.ini, big,
	    KT_NOISE_MAX_MSG - 48, out, sizeof(out), &mlen), 0);
	assert_int_equal(mlen, KT_NOISE_MAX_MSG);

	/* Reads: too short, too long, payload does not fit. */
	assert_int_equal(kt_noise_hs_read_message(&x.res, out, 47, pay,
	    sizeof(pay), &plen), KT_EPROTO);
	assert_int_equal(kt_noise_hs_read_message(&x.res, out,
	    KT_NOISE_MAX_MSG + 1, pay, sizeof(pay), &plen), KT_EPROTO);
	assert_int_equal(kt_noise_hs_read_message(&x.res, out, mlen, pay,
	    sizeof(pay), &plen), KT_ENOSPC);
	assert_int_equal(kt_noise_hs_read_message(&x.res, out, mlen, big,
	    sizeof(big), &plen), 0);
	assert_int_equal(plen, KT_NOISE_MAX_MSG - 48);

	/* Payload overlapping out (in place in a frame buffer) works. */
	memcpy(out + 5, "server hello", 12);
	assert_int_equal(kt_noise_hs_write_message(&x.res, out + 5, 12, out,
	    sizeof(out), &mlen), 0);
	assert_int_equal(kt_noise_hs_read_message(&x.ini, out, mlen, pay,
	    sizeof(pay), &plen), 0);
	assert_int_equal(plen, 12);
	assert_memory_equal(pay, "server hello", 12);
	kt_noise_hs_clear(&x.ini);
	kt_noise_hs_clear(&x.res);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(vectors_snow),
	cmocka_unit_test(vectors_cacophony),
	cmocka_unit_test(vectors_total),
	cmocka_unit_test(xk_kartoteka),
	cmocka_unit_test(all_patterns_random),
	cmocka_unit_test(low_order_ephemeral),
	cmocka_unit_test(low_order_ephemeral_msg2),
	cmocka_unit_test(low_order_remote_static),
	cmocka_unit_test(tampered_handshake),
	cmocka_unit_test(tampered_transport),
	cmocka_unit_test(nonce_exhaustion),
	cmocka_unit_test(nonce_encoding),
	cmocka_unit_test(cipher_without_key),
	cmocka_unit_test(not_my_turn),
	cmocka_unit_test(prologue_and_key_mismatch),
	cmocka_unit_test(init_errors),
	cmocka_unit_test(buffer_errors),
};

KT_TEST_MAIN(tests)
