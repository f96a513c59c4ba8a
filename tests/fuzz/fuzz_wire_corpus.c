/* SPDX-License-Identifier: MIT */
/* Writes the seed corpus of fuzz_wire: real XK handshakes between a
 * terminal and the server made with the fixed keys of wire_keys.h, as
 * the frames the server reads (2-byte length, then the message), and
 * after some of them requests through the transport cipher. fuzz_wire
 * fixes the same keys, so each seed replays past message 3.
 *   fuzz_wire_corpus DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "frame.h"
#include "kartoteka.pb-c.h"
#include "noise.h"
#include "wire_keys.h"

#define PROLOGUE "kartoteka/1"

typedef struct {
	uint8_t b[8 * (KT_FRAME_HDR + 1024)];
	size_t n;
} stream_t;

/* Appends one frame of msg to s. Returns 0 or -1 when it does not fit. */
static int
put_frame(stream_t *s, const uint8_t *msg, size_t n)
{
	if (n == 0 || n > 1024 || s->n + KT_FRAME_HDR + n > sizeof(s->b) ||
	    kt_frame_put_header(s->b + s->n, n) != 0)
		return -1;
	memcpy(s->b + s->n + KT_FRAME_HDR, msg, n);
	s->n += KT_FRAME_HDR + n;
	return 0;
}

/* The handshake's three messages; msg1 and msg3 go into s (what the
 * server reads), msg2 is read by the terminal. The terminal's sending
 * cipher is left in tsend. Returns 0 or -1. */
static int
handshake(stream_t *s, size_t upto, kt_noise_cipher_t *tsend)
{
	kt_noise_hs_t ti, sr;
	kt_noise_cipher_t trecv = { 0 }, ssend = { 0 }, srecv = { 0 };
	uint8_t server_pub[32], m[1024], pl[1024], chb[256];
	Kartoteka__ClientHello ch = KARTOTEKA__CLIENT_HELLO__INIT;
	size_t n = 0, pn = 0, chn;
	int rc = -1;

	crypto_scalarmult_base(server_pub, kt_fw_server_priv);
	if (kt_noise_hs_init(&ti, KT_NOISE_XK, 1, (const uint8_t *)PROLOGUE,
	    strlen(PROLOGUE), kt_fw_client_priv, server_pub) != 0)
		return -1;
	if (kt_noise_hs_init(&sr, KT_NOISE_XK, 0, (const uint8_t *)PROLOGUE,
	    strlen(PROLOGUE), kt_fw_server_priv, NULL) != 0)
		goto out;
	kt_noise_hs_set_ephemeral(&ti, kt_fw_client_e);
	kt_noise_hs_set_ephemeral(&sr, kt_fw_server_e);
	ch.client_name = "fuzz-seed";
	ch.client_version = "0";
	ch.language = "ru";
	chn = kartoteka__client_hello__get_packed_size(&ch);
	if (chn > sizeof(chb))
		goto out;
	kartoteka__client_hello__pack(&ch, chb);
	/* -> e, es */
	if (kt_noise_hs_write_message(&ti, NULL, 0, m, sizeof(m), &n) != 0 ||
	    put_frame(s, m, n) != 0 ||
	    kt_noise_hs_read_message(&sr, m, n, pl, sizeof(pl), &pn) != 0)
		goto out;
	if (upto == 1) {
		rc = 0;
		goto out;
	}
	/* <- e, ee (the server's answer, not part of the input) */
	if (kt_noise_hs_write_message(&sr, NULL, 0, m, sizeof(m), &n) != 0 ||
	    kt_noise_hs_read_message(&ti, m, n, pl, sizeof(pl), &pn) != 0)
		goto out;
	/* -> s, se with the ClientHello */
	if (kt_noise_hs_write_message(&ti, chb, chn, m, sizeof(m), &n) != 0 ||
	    put_frame(s, m, n) != 0 ||
	    kt_noise_hs_read_message(&sr, m, n, pl, sizeof(pl), &pn) != 0)
		goto out;
	if (kt_noise_hs_split(&ti, tsend, &trecv, NULL) != 0 ||
	    kt_noise_hs_split(&sr, &ssend, &srecv, NULL) != 0)
		goto out;
	rc = 0;
out:
	kt_noise_hs_clear(&ti);
	kt_noise_hs_clear(&sr);
	kt_noise_cipher_clear(&trecv);
	kt_noise_cipher_clear(&ssend);
	kt_noise_cipher_clear(&srecv);
	return rc;
}

/* Appends req, packed and encrypted with c, as a frame. */
static int
put_request(stream_t *s, kt_noise_cipher_t *c, Kartoteka__Request *req)
{
	uint8_t pt[1024], ct[1024 + 16];
	size_t n = kartoteka__request__get_packed_size(req), cn = 0;

	if (n > sizeof(pt))
		return -1;
	kartoteka__request__pack(req, pt);
	if (kt_noise_encrypt(c, NULL, 0, pt, n, ct, &cn) != 0)
		return -1;
	return put_frame(s, ct, cn);
}

static int
write_seed(const char *dir, const char *name, const stream_t *s)
{
	char path[4096];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		return -1;
	}
	rc = fwrite(s->b, 1, s->n, f) == s->n ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

int
main(int argc, char **argv)
{
	static stream_t s;
	kt_noise_cipher_t c = { 0 };
	Kartoteka__Request r;
	Kartoteka__PingRequest ping = KARTOTEKA__PING_REQUEST__INIT;
	Kartoteka__LoginRequest login = KARTOTEKA__LOGIN_REQUEST__INIT;
	Kartoteka__ClientFindRequest find = KARTOTEKA__CLIENT_FIND_REQUEST__INIT;
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	s.n = 0;
	bad |= handshake(&s, 1, &c) || write_seed(argv[1], "msg1", &s);
	s.n = 0;
	bad |= handshake(&s, 3, &c) || write_seed(argv[1], "handshake", &s);
	kartoteka__request__init(&r);
	r.id = 1;
	r.op_case = KARTOTEKA__REQUEST__OP_PING;
	r.ping = &ping;
	bad |= put_request(&s, &c, &r) || write_seed(argv[1], "ping", &s);
	kt_noise_cipher_clear(&c);

	s.n = 0;
	bad |= handshake(&s, 3, &c);
	login.login = "owner";
	login.password = "owner-pass-1";
	kartoteka__request__init(&r);
	r.id = 1;
	r.op_case = KARTOTEKA__REQUEST__OP_LOGIN;
	r.login = &login;
	bad |= put_request(&s, &c, &r);
	find.text = "Иванова";
	kartoteka__request__init(&r);
	r.id = 2;
	r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_FIND;
	r.client_find = &find;
	bad |= put_request(&s, &c, &r) || write_seed(argv[1], "login-find", &s);
	kt_noise_cipher_clear(&c);
	return bad ? 1 : 0;
}
