/* SPDX-License-Identifier: MIT */
/* Noise Protocol Framework (rev. 34) for 25519 + ChaChaPoly + BLAKE2b: a
 * generic handshake engine driven by pattern tables (NK, XK, IK, XX), and
 * the transport CipherState. Built only from libsodium primitives. */
#ifndef KT_NOISE_H
#define KT_NOISE_H

#include <stddef.h>
#include <stdint.h>

#define KT_NOISE_DHLEN 32u
#define KT_NOISE_HASHLEN 64u
#define KT_NOISE_KEYLEN 32u
#define KT_NOISE_TAGLEN 16u
#define KT_NOISE_MAX_MSG 65535u
/* The nonce value 2^64-1 is reserved by the spec; we never reach it. */
#define KT_NOISE_NONCE_MAX UINT64_MAX

/* CipherState (spec 5.1). */
typedef struct kt_noise_cipher {
	uint8_t k[KT_NOISE_KEYLEN];
	uint64_t n;
	int has_key;
} kt_noise_cipher_t;

/* kt_noise_encrypt: EncryptWithAd. out receives inlen + 16 bytes (or inlen
 * when no key is set); in and out may be the same buffer.
 * Returns 0, or KT_ENONCE when n has reached the reserved 2^64-1 (so the
 * last usable nonce is 2^64-2; the caller must close the connection),
 * KT_ETOOBIG when the result exceeds 65535 bytes. */
int kt_noise_encrypt(kt_noise_cipher_t *c, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen);

/* kt_noise_decrypt: DecryptWithAd. out receives inlen - 16 bytes (or inlen
 * when no key is set); in and out may be the same buffer.
 * Returns 0, KT_ECRYPTO on authentication failure (n is not advanced),
 * KT_EINVAL when inlen < 16 with a key set, KT_ENONCE as above. */
int kt_noise_decrypt(kt_noise_cipher_t *c, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen);

/* Wipe a CipherState. Accepts NULL. */
void kt_noise_cipher_clear(kt_noise_cipher_t *c);

typedef enum kt_noise_pattern {
	KT_NOISE_NK,
	KT_NOISE_XK,
	KT_NOISE_IK,
	KT_NOISE_XX,
} kt_noise_pattern_t;

/* HandshakeState (spec 5.3). Plain struct so it can live on the stack or
 * inside a connection; treat the fields as private. */
typedef struct kt_noise_hs {
	/* SymmetricState */
	kt_noise_cipher_t cs;
	uint8_t ck[KT_NOISE_HASHLEN];
	uint8_t h[KT_NOISE_HASHLEN];
	/* keys */
	uint8_t s_priv[32], s_pub[32];
	uint8_t e_priv[32], e_pub[32];
	uint8_t rs[32], re[32];
	int has_s, has_e, has_rs, has_re;
	int initiator;
	int fixed_e;                     /* ephemeral preset for tests */
	const struct kt_noise_pattern_def *pattern;
	size_t msg_index;                /* next message pattern to process */
	int split_done;                  /* Split() ran: ck and private keys wiped */
} kt_noise_hs_t;

/* kt_noise_hs_init: Initialize(). Protocol name is derived from the pattern
 * ("Noise_XK_25519_ChaChaPoly_BLAKE2b").
 *   initiator   1 for the initiator, 0 for the responder
 *   prologue    may be NULL when plen is 0
 *   s_priv      local static private key, or NULL if the pattern has none
 *               for this role (public key is derived)
 *   rs          remote static public key known in advance (pre-message), or
 *               NULL if the pattern does not pre-know it
 * Keys are copied into hs. Calls sodium_init().
 * Returns 0, or KT_EINVAL if a key the pattern requires is missing or a key
 * it does not use is given (e.g. s_priv for an NK initiator). */
int kt_noise_hs_init(kt_noise_hs_t *hs, kt_noise_pattern_t pattern,
    int initiator, const uint8_t *prologue, size_t plen,
    const uint8_t *s_priv, const uint8_t *rs);

/* Preset the ephemeral private key (test vectors only). Call after init. */
void kt_noise_hs_set_ephemeral(kt_noise_hs_t *hs, const uint8_t e_priv[static 32]);

/* kt_noise_hs_write_message: WriteMessage(). out must hold outcap bytes;
 * the message is at most 65535 bytes. payload may be NULL when plen is 0
 * and may overlap out.
 * Returns 0, KT_ESTATE when it is not our turn or the handshake is done,
 * KT_ENOSPC/KT_ETOOBIG when it does not fit (hs unchanged), KT_ECRYPTO when
 * a DH result is all zeros (low-order point: hs and out are wiped, every
 * later call returns KT_ESTATE). */
int kt_noise_hs_write_message(kt_noise_hs_t *hs, const uint8_t *payload,
    size_t plen, uint8_t *out, size_t outcap, size_t *outlen);

/* kt_noise_hs_read_message: ReadMessage(). payload receives at most paycap
 * bytes (payload may be NULL when paycap is 0) and must not overlap msg.
 * Returns 0, KT_ESTATE, KT_EPROTO when the message is too short or longer
 * than 65535, KT_ENOSPC when the payload exceeds paycap, KT_ECRYPTO on
 * decryption failure or low-order point (hs is then wiped and every later
 * call returns KT_ESTATE). On any error the caller must drop the
 * connection. */
int kt_noise_hs_read_message(kt_noise_hs_t *hs, const uint8_t *msg,
    size_t mlen, uint8_t *payload, size_t paycap, size_t *paylen);

/* 1 when every message of the pattern has been processed. */
int kt_noise_hs_done(const kt_noise_hs_t *hs);

/* 1 when the next message is ours to write. */
int kt_noise_hs_my_turn(const kt_noise_hs_t *hs);

/* kt_noise_hs_split: Split(); send/recv are chosen by role (the initiator
 * sends with the first key). Also returns the handshake hash if h != NULL.
 * Afterwards hs keeps only public values (h, kt_noise_hs_remote_static).
 * Returns 0, or KT_ESTATE when the handshake is not finished or was already
 * split. */
int kt_noise_hs_split(kt_noise_hs_t *hs, kt_noise_cipher_t *send,
    kt_noise_cipher_t *recv, uint8_t h[KT_NOISE_HASHLEN]);

/* Remote static public key (valid once received or pre-known); returns 0 or
 * KT_ESTATE. */
int kt_noise_hs_remote_static(const kt_noise_hs_t *hs, uint8_t rs[static 32]);

/* Wipe every secret in hs. Accepts NULL. */
void kt_noise_hs_clear(kt_noise_hs_t *hs);

#endif
