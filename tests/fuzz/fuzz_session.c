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
 * valid request per op, made by fuzz_session_corpus).
 * Mutation is structure-aware (LLVMFuzzerCustomMutator below): records
 * are duplicated, dropped, swapped, or one is decoded as a Request and
 * changed field by field (pb_mutate.c); one mutation in five is still
 * libFuzzer's own on the raw bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kt_test.h"

#include "kartoteka.pb-c.h"
#include "noise.h"
#include "pb_mutate.h"
#include "server/fake_net.h"
#include "server/harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
    unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1,
    const uint8_t *data2, size_t size2, uint8_t *out, size_t max_out_size,
    unsigned int seed);

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

/* KT_FUZZ_OPS=1 (for replaying a corpus, `-runs=0 DIR`): each record's
 * op and the code of its first answer are counted, and the table printed
 * at exit; 10 stands for no answer. */
#define N_OPS 128
#define NO_ANSWER 10
static unsigned long op_stats[N_OPS][NO_ANSWER + 1];
/* The custom mutator's choices: bytes, records, a Request field, a
 * record that did not decode (or whose mutant did not fit); crossovers. */
static unsigned long mut_stats[5];

static void
print_ops(void)
{
	const ProtobufCMessageDescriptor *d = &kartoteka__request__descriptor;

	fprintf(stderr, "ops: %-18s %6s %6s %6s %6s %6s %6s %6s %6s %6s %6s "
	    "%6s\n", "op", "ok", "bad", "unauth", "forbid", "nofind",
	    "confl", "quota", "rate", "unavl", "intern", "none");
	for (unsigned op = 0; op < N_OPS; op++) {
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field(d, op);
		unsigned long *t = op_stats[op], all = 0;
		for (int e = 0; e <= NO_ANSWER; e++)
			all += t[e];
		if (all == 0)
			continue;
		fprintf(stderr, "ops: %-18s", op == 0 ? "(not a Request)" :
		    f != NULL ? f->name : "(unknown)");
		for (int e = 0; e <= NO_ANSWER; e++)
			fprintf(stderr, " %6lu", t[e]);
		fprintf(stderr, "\n");
	}
	fprintf(stderr, "mutations: bytes %lu records %lu field %lu "
	    "undecodable %lu crossover %lu\n", mut_stats[0], mut_stats[1],
	    mut_stats[2], mut_stats[3], mut_stats[4]);
}

/* The op of record p (0: not a Request) and the code of the first answer
 * on c from index from. */
static void
count_op(kt_conn_t *c, size_t from, const uint8_t *p, size_t len)
{
	Kartoteka__Request *q = kartoteka__request__unpack(NULL, len, p);
	Kartoteka__Response *a = NULL;
	const uint8_t *b;
	size_t bl;
	unsigned op = 0, code = NO_ANSWER;

	if (q != NULL && q->op_case < N_OPS)
		op = q->op_case;
	if ((b = kt_fake_conn_sent(c, from, &bl)) != NULL &&
	    (a = kartoteka__response__unpack(NULL, bl, b)) != NULL)
		code = a->error == NULL ? 0 : a->error->code < NO_ANSWER ?
		    a->error->code : NO_ANSWER - 1;
	op_stats[op][code]++;
	kartoteka__response__free_unpacked(a, NULL);
	kartoteka__request__free_unpacked(q, NULL);
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
	if (getenv("KT_FUZZ_OPS") != NULL)
		atexit(print_ops);
	ready = 1;
	return &w;
}

/* The connection for who (0 owner, 1 manager), opened again when an
 * earlier input made the server close it, or logged out of it (a logout
 * op, an expired session): every input starts logged in. */
static kt_conn_t *
conn_of(world_t *w, unsigned who)
{
	kt_conn_t *c = w->conn[who];

	if (c != NULL && kt_h_alive(w->h, c) && kt_conn_open(c) &&
	    kt_h_user_of(c) == 0) {
		kt_h_drop(w->h, c);
		w->conn[who] = NULL;
	}
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
	size_t off = 1, from;
	kt_conn_t *c;
	int stats = getenv("KT_FUZZ_OPS") != NULL;

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
		from = kt_fake_conn_nsent(c);
		kt_h_send_raw(w->h, c, pt, m);
		kt_h_settle(w->h);
		if (stats)
			count_op(c, from, pt, m);
	}
	return 0;
}

/* ---------------------------------------------- structure-aware mutation */

/* fuzz_session_bytes is built without it: libFuzzer's own mutation only,
 * the baseline the mutator is measured against. */
#ifndef KT_FUZZ_BYTES_ONLY

#define MAX_RECORD (65535 - 16)

/* An input cut as LLVMFuzzerTestOneInput cuts it: the connection byte,
 * then up to MAX_RECORDS records (pointers into the input). */
typedef struct records {
	uint8_t who;
	size_t n;
	const uint8_t *at[MAX_RECORDS];
	size_t len[MAX_RECORDS];
} records_t;

static void
cut(const uint8_t *data, size_t size, records_t *rs)
{
	size_t off = 1;

	rs->who = size > 0 ? data[0] : 0;
	rs->n = 0;
	while (rs->n < MAX_RECORDS && off + 2 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		if (len > MAX_RECORD)
			len = MAX_RECORD;
		rs->at[rs->n] = data + off;
		rs->len[rs->n++] = len;
		off += len;
	}
}

/* Writes rs into out (capacity cap); record k replaced by rep[0..rep_len)
 * when rep is not NULL. Returns the length, 0 when it does not fit. */
static size_t
join(const records_t *rs, size_t k, const uint8_t *rep, size_t rep_len,
    uint8_t *out, size_t cap)
{
	size_t off = 1;

	if (cap < 1)
		return 0;
	out[0] = rs->who;
	for (size_t i = 0; i < rs->n; i++) {
		const uint8_t *p = rep != NULL && i == k ? rep : rs->at[i];
		size_t len = rep != NULL && i == k ? rep_len : rs->len[i];
		if (len > MAX_RECORD || off + 2 + len > cap)
			return 0;
		out[off] = (uint8_t)(len >> 8);
		out[off + 1] = (uint8_t)len;
		/* memmove: a record may come from out itself */
		memmove(out + off + 2, p, len);
		off += 2 + len;
	}
	return off;
}

/* Record-level: duplicate, drop, swap two, or change the connection. */
static void
shuffle(records_t *rs, kt_pbm_rng_t *r)
{
	size_t i = kt_pbm_below(r, rs->n), j = kt_pbm_below(r, rs->n);
	const uint8_t *p;
	size_t len;

	switch (kt_pbm_below(r, 4)) {
	case 0: /* duplicate record i after j */
		if (rs->n < MAX_RECORDS) {
			p = rs->at[i];
			len = rs->len[i];
			memmove(&rs->at[j + 1], &rs->at[j], (rs->n - j) *
			    sizeof(rs->at[0]));
			memmove(&rs->len[j + 1], &rs->len[j], (rs->n - j) *
			    sizeof(rs->len[0]));
			rs->at[j] = p;
			rs->len[j] = len;
			rs->n++;
			return;
		}
		/* fall through */
	case 1: /* drop record i */
		if (rs->n > 1) {
			memmove(&rs->at[i], &rs->at[i + 1], (rs->n - i - 1) *
			    sizeof(rs->at[0]));
			memmove(&rs->len[i], &rs->len[i + 1], (rs->n - i - 1) *
			    sizeof(rs->len[0]));
			rs->n--;
			return;
		}
		/* fall through */
	case 2: /* swap */
		if (i != j) {
			p = rs->at[i], rs->at[i] = rs->at[j], rs->at[j] = p;
			len = rs->len[i], rs->len[i] = rs->len[j], rs->len[j] = len;
			return;
		}
		/* fall through */
	default:
		rs->who ^= 1;
	}
}

/* One in five: libFuzzer's byte mutation of the whole input; one in ten:
 * a record-level change; else one record's Request changed by pb_mutate
 * (or, when it does not decode, its bytes by libFuzzer). Deterministic
 * given seed, apart from libFuzzer's own byte mutations. */
size_t
LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
    unsigned int seed)
{
	kt_pbm_rng_t r;
	records_t rs;
	uint8_t *copy = NULL, *rec = NULL;
	size_t n = 0, k, cap, rest;
	uint64_t how;

	kt_pbm_rng_seed(&r, seed);
	how = kt_pbm_below(&r, 10);
	if (how < 2 || size < 3) {
		mut_stats[0]++;
		return LLVMFuzzerMutate(data, size, max_size);
	}
	/* The records point into a copy: out is data itself. */
	if ((copy = malloc(size)) == NULL)
		goto out;
	memcpy(copy, data, size);
	cut(copy, size, &rs);
	if (rs.n == 0)
		goto out;
	if (how == 2) {
		mut_stats[1]++;
		shuffle(&rs, &r);
		n = join(&rs, 0, NULL, 0, data, max_size);
		goto out;
	}
	k = kt_pbm_below(&r, rs.n);
	/* What the other records and the framing leave for record k. */
	rest = size - rs.len[k];
	cap = max_size > rest ? max_size - rest : 0;
	if (cap > MAX_RECORD)
		cap = MAX_RECORD;
	if (cap == 0 || (rec = malloc(cap)) == NULL)
		goto out;
	if ((n = kt_pbm_mutate(&kartoteka__request__descriptor, rs.at[k],
	    rs.len[k], rec, cap, &r)) == 0) {
		memcpy(rec, rs.at[k], rs.len[k]);
		n = LLVMFuzzerMutate(rec, rs.len[k], cap);
		mut_stats[3]++;
	} else {
		mut_stats[2]++;
	}
	n = join(&rs, k, rec, n, data, max_size);
out:
	free(copy);
	free(rec);
	/* Nothing structural fitted: libFuzzer's way. */
	return n != 0 ? n : LLVMFuzzerMutate(data, size, max_size);
}

/* The records of data1 up to a random point, then a random run of those
 * of data2, then (one time in two) the rest of data1's: sessions that mix
 * the requests of two inputs without growing on average. libFuzzer picks
 * this as often as the mutator: one time in two it declines (0), so that
 * libFuzzer mutates instead. */
size_t
LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1,
    const uint8_t *data2, size_t size2, uint8_t *out, size_t max_out_size,
    unsigned int seed)
{
	kt_pbm_rng_t r;
	records_t a, b, o;
	size_t i, j, n;
	int tail;

	kt_pbm_rng_seed(&r, seed);
	if (kt_pbm_below(&r, 2))
		return 0;
	mut_stats[4]++;
	cut(data1, size1, &a);
	cut(data2, size2, &b);
	if (a.n + b.n == 0)
		return 0;
	i = kt_pbm_below(&r, a.n + 1);
	j = kt_pbm_below(&r, b.n + 1);
	n = j + kt_pbm_below(&r, b.n - j + 1);
	tail = (int)kt_pbm_below(&r, 2);
	o.who = kt_pbm_below(&r, 2) ? a.who : b.who;
	o.n = 0;
	for (size_t k = 0; k < i; k++) {
		o.at[o.n] = a.at[k];
		o.len[o.n++] = a.len[k];
	}
	for (size_t k = j; k < n && o.n < MAX_RECORDS; k++) {
		o.at[o.n] = b.at[k];
		o.len[o.n++] = b.len[k];
	}
	for (size_t k = i; tail && k < a.n && o.n < MAX_RECORDS; k++) {
		o.at[o.n] = a.at[k];
		o.len[o.n++] = a.len[k];
	}
	return join(&o, 0, NULL, 0, out, max_out_size);
}
#endif /* KT_FUZZ_BYTES_ONLY */
