/* SPDX-License-Identifier: MIT */
/* libFuzzer harness that gets past the handshake: a real Noise XK
 * handshake with fixed keys between an initiator (kt_noise) and the
 * server's responder side, split into transport ciphers; then each input
 * is cut into records (2-byte big-endian length, then that many bytes),
 * each record is encrypted by the client's cipher, decrypted by the
 * server's, and the plaintext handed to kt_dispatch_message on a logged-
 * in connection of a server over a temporary store (the unit tests'
 * harness and fake network): the Request decoder, the dispatcher's
 * checks and every op behind them, with the writer committing for real.
 * The first byte of the input picks the connection: the owner's, or a
 * manager's of branch "North". Seeds: tests/fuzz/corpus/session/ (one
 * valid request per op, made by fuzz_session_corpus). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kt_test.h"

#include "kartoteka.pb-c.h"
#include "noise.h"
#include "server/harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECORDS 16

/* Everything that lives across inputs. */
typedef struct world {
	kt_h_t *h;
	uint64_t manager, branch;
	kt_conn_t *conn[2];
	kt_noise_cipher_t send, recv; /* client -> server transport */
} world_t;

/* Runs XK between fixed keys; on success w's ciphers carry client ->
 * server messages. */
static int
handshake(world_t *w)
{
	static const uint8_t s_priv[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t c_priv[32] = { 9, 10, 11, 12, 13, 14, 15, 16 };
	static const uint8_t ce[32] = { 17 }, se[32] = { 18 };
	kt_noise_hs_t ini, res;
	kt_noise_cipher_t i_send, i_recv, r_send, r_recv;
	uint8_t s_pub[32], msg[256], pay[256], h1[KT_NOISE_HASHLEN],
	    h2[KT_NOISE_HASHLEN];
	size_t n, pn;
	int rc = -1;

	crypto_scalarmult_base(s_pub, s_priv);
	if (kt_noise_hs_init(&ini, KT_NOISE_XK, 1, (const uint8_t *)"kartoteka/1",
	    11, c_priv, s_pub) != 0 ||
	    kt_noise_hs_init(&res, KT_NOISE_XK, 0, (const uint8_t *)"kartoteka/1",
	    11, s_priv, NULL) != 0)
		return -1;
	kt_noise_hs_set_ephemeral(&ini, ce);
	kt_noise_hs_set_ephemeral(&res, se);
	for (int i = 0; i < 3; i++) {
		kt_noise_hs_t *a = i == 1 ? &res : &ini, *b = i == 1 ? &ini :
		    &res;
		if (kt_noise_hs_write_message(a, NULL, 0, msg, sizeof(msg),
		    &n) != 0 || kt_noise_hs_read_message(b, msg, n, pay,
		    sizeof(pay), &pn) != 0)
			goto out;
	}
	if (kt_noise_hs_split(&ini, &i_send, &i_recv, h1) != 0 ||
	    kt_noise_hs_split(&res, &r_send, &r_recv, h2) != 0 ||
	    memcmp(h1, h2, sizeof(h1)) != 0)
		goto out;
	w->send = i_send;
	w->recv = r_recv;
	kt_noise_cipher_clear(&i_recv);
	kt_noise_cipher_clear(&r_send);
	rc = 0;
out:
	kt_noise_hs_clear(&ini);
	kt_noise_hs_clear(&res);
	return rc;
}

static world_t *
world(void)
{
	static world_t w;
	static int ready;

	if (ready)
		return &w;
	if (sodium_init() < 0 || handshake(&w) != 0)
		abort();
	w.h = kt_h_new();
	w.branch = kt_h_branch(w.h, "North");
	w.manager = kt_h_user(w.h, "masha", KARTOTEKA__ROLE__MANAGER, w.branch,
	    0);
	ready = 1;
	return &w;
}

/* The connection for who (0 owner, 1 manager), opened again when an
 * earlier input made the server close it. */
static kt_conn_t *
conn_of(world_t *w, unsigned who)
{
	if (w->conn[who] == NULL || !kt_h_alive(w->h, w->conn[who]) ||
	    !kt_conn_open(w->conn[who]))
		w->conn[who] = who == 0 ? kt_h_session(w->h, w->h->owner, 0) :
		    kt_h_session(w->h, w->manager, w->branch);
	return w->conn[who];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ct[65536 + 16], pt[65536];
	world_t *w = world();
	size_t off = 1;
	kt_conn_t *c;

	if (size < 1)
		return 0;
	c = conn_of(w, data[0] & 1);
	for (int i = 0; i < MAX_RECORDS && off + 2 <= size; i++) {
		size_t len = (size_t)data[off] << 8 | data[off + 1], n, m;
		off += 2;
		if (len > size - off)
			len = size - off;
		if (len > 65535 - 16)
			len = 65535 - 16;
		/* Through the transport, as net.c's frames go. */
		if (kt_noise_encrypt(&w->send, NULL, 0, data + off, len, ct,
		    &n) != 0 ||
		    kt_noise_decrypt(&w->recv, NULL, 0, ct, n, pt, &m) != 0 ||
		    m != len)
			abort();
		off += len;
		if (!kt_conn_open(c))
			break;
		kt_h_send_raw(w->h, c, pt, m);
		kt_h_settle(w->h);
	}
	return 0;
}
