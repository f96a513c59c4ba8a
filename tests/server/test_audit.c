/* SPDX-License-Identifier: MIT */
/* Tests for server/audit.c: the hash chain, tampering found by the
 * verifier, signed checkpoints and checkpoint files. */
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "kt_test.h"

#include "model/audit.h"
#include "kt_error.h"
#include "records.pb-c.h"
#include "model/store.h"

static int
rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

typedef struct fixture {
	char dir[32];
	char *data;            /* dir/data */
	char *cpfile;          /* dir/checkpoint */
	kt_store_t *st;
	uint8_t pk[32];
	uint8_t sk[64];
} fixture_t;

static fixture_t *
fx_new(void)
{
	fixture_t *fx = calloc(1, sizeof *fx);

	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/kt-audit-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	assert_true(asprintf(&fx->data, "%s/data", fx->dir) > 0);
	assert_true(asprintf(&fx->cpfile, "%s/checkpoint", fx->dir) > 0);
	assert_int_equal(kt_store_open(&fx->st, fx->data, KT_STORE_CREATE), 0);
	crypto_sign_keypair(fx->pk, fx->sk);
	return fx;
}

static void
fx_free(fixture_t *fx)
{
	kt_store_close(fx->st);
	sodium_memzero(fx->sk, sizeof fx->sk);
	assert_int_equal(nftw(fx->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
	free(fx->data);
	free(fx->cpfile);
	free(fx);
}

typedef struct append_arg {
	unsigned n;
	const uint8_t *sk;
	uint64_t last;
	uint64_t user_base;    /* makes chains of different stores differ */
} append_arg_t;

static int
append_n(kt_store_t *st, MDB_txn *txn, void *arg)
{
	append_arg_t *a = arg;
	uint8_t term[32];
	char obj[32];
	int rc;

	memset(term, 0xab, sizeof term);
	for (unsigned i = 0; i < a->n; i++) {
		kt_audit_event_t ev = {
			.user_id = a->user_base + i % 3,
			.terminal_key = i % 2 ? term : NULL,
			.action = i % 2 ? KT_AUDIT_CLIENT_VIEW : KT_AUDIT_LOGIN,
			.object = obj,
			.outcome = 0,
			.detail = i % 4 ? "some detail" : NULL,
		};

		snprintf(obj, sizeof obj, "client:%u", i);
		if ((rc = kt_audit_append(st, txn, &ev, a->sk, &a->last)) != 0)
			return rc;
	}
	return 0;
}

static void
append(fixture_t *fx, unsigned n, bool sign)
{
	append_arg_t a = { .n = n, .sk = sign ? fx->sk : NULL };

	assert_int_equal(kt_store_write_sync(fx->st, append_n, &a), 0);
}

static int
verify(fixture_t *fx, const char *file, uint64_t *bad, uint64_t *last)
{
	return kt_audit_verify(fx->st, fx->pk, file, bad, last);
}

/* ---- raw tampering, as someone with the files would do it ------------- */

static MDB_txn *
raw_begin(fixture_t *fx)
{
	MDB_txn *txn;

	assert_int_equal(mdb_txn_begin(kt_store_env(fx->st), NULL, 0, &txn), 0);
	return txn;
}

static void
raw_commit(MDB_txn *txn)
{
	assert_int_equal(mdb_txn_commit(txn), 0);
}

/* Copies the value at seq into a malloc'd buffer. */
static uint8_t *
raw_get(fixture_t *fx, MDB_txn *txn, MDB_dbi dbi, uint64_t seq, size_t *len)
{
	uint8_t key[8], *copy;
	MDB_val k = { .mv_size = 8, .mv_data = key }, v;

	(void)fx;
	kt_store_be64(key, seq);
	assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
	copy = malloc(v.mv_size);
	assert_non_null(copy);
	memcpy(copy, v.mv_data, v.mv_size);
	*len = v.mv_size;
	return copy;
}

static void
raw_put(MDB_txn *txn, MDB_dbi dbi, uint64_t seq, const uint8_t *val,
    size_t len)
{
	uint8_t key[8];
	MDB_val k = { .mv_size = 8, .mv_data = key };
	MDB_val v = { .mv_size = len, .mv_data = (void *)val };

	kt_store_be64(key, seq);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
}

static void
raw_del(MDB_txn *txn, MDB_dbi dbi, uint64_t seq)
{
	uint8_t key[8];
	MDB_val k = { .mv_size = 8, .mv_data = key };

	kt_store_be64(key, seq);
	assert_int_equal(mdb_del(txn, dbi, &k, NULL), 0);
}

static void
flip_byte(fixture_t *fx, uint64_t seq, size_t at_from_end)
{
	MDB_txn *txn = raw_begin(fx);
	MDB_dbi dbi = kt_store_dbs(fx->st)->audit;
	size_t len;
	uint8_t *v = raw_get(fx, txn, dbi, seq, &len);

	v[len - 1 - at_from_end] ^= 0x01;
	raw_put(txn, dbi, seq, v, len);
	raw_commit(txn);
	free(v);
}

/* ---- tests ------------------------------------------------------------ */

static void
empty_chain_ok(void **state)
{
	fixture_t *fx = fx_new();
	uint64_t bad = 99, last = 99;

	(void)state;
	assert_int_equal(verify(fx, NULL, &bad, &last), 0);
	assert_true(last == 0);
	assert_true(bad == 0);
	fx_free(fx);
}

static void
append_verify_ok(void **state)
{
	fixture_t *fx = fx_new();
	append_arg_t a = { .n = 1 };
	uint64_t bad, last;

	(void)state;
	append(fx, 19, false);
	assert_int_equal(kt_store_write_sync(fx->st, append_n, &a), 0);
	assert_true(a.last == 20);
	assert_int_equal(verify(fx, NULL, &bad, &last), 0);
	assert_true(last == 20);
	/* Survives a reopen; read-only verify works too. */
	kt_store_close(fx->st);
	assert_int_equal(kt_store_open(&fx->st, fx->data, KT_STORE_RDONLY), 0);
	assert_int_equal(verify(fx, NULL, &bad, &last), 0);
	assert_true(last == 20);

	/* The stored value is hash || entry, hash = H(prev || entry). */
	MDB_txn *txn;
	size_t len1, len2;
	uint8_t *v1, *v2, h[32], zero[32] = { 0 };
	crypto_generichash_state s;
	Ktstore__AuditEntry *e;

	assert_int_equal(kt_store_read_begin(fx->st, &txn), 0);
	v1 = raw_get(fx, txn, kt_store_dbs(fx->st)->audit, 1, &len1);
	v2 = raw_get(fx, txn, kt_store_dbs(fx->st)->audit, 2, &len2);
	kt_store_read_end(fx->st, txn);
	crypto_generichash_init(&s, NULL, 0, 32);
	crypto_generichash_update(&s, zero, 32);
	crypto_generichash_update(&s, v1 + 32, len1 - 32);
	crypto_generichash_final(&s, h, 32);
	assert_memory_equal(h, v1, 32);
	crypto_generichash_init(&s, NULL, 0, 32);
	crypto_generichash_update(&s, v1, 32);
	crypto_generichash_update(&s, v2 + 32, len2 - 32);
	crypto_generichash_final(&s, h, 32);
	assert_memory_equal(h, v2, 32);
	e = ktstore__audit_entry__unpack(NULL, len2 - 32, v2 + 32);
	assert_non_null(e);
	assert_true(e->seq == 2);
	assert_string_equal(e->action, "client.view");
	assert_string_equal(e->object, "client:1");
	assert_int_equal(e->terminal_key.len, 32);
	assert_true(e->time_ms > 1600000000000LL);
	ktstore__audit_entry__free_unpacked(e, NULL);
	free(v1);
	free(v2);
	fx_free(fx);
}

static void
altered_entry(void **state)
{
	fixture_t *fx = fx_new();
	uint64_t bad, last;

	(void)state;
	append(fx, 20, false);
	flip_byte(fx, 5, 0);   /* last byte of the entry (its detail) */
	assert_int_equal(verify(fx, NULL, &bad, &last), KT_EAUDIT);
	assert_true(bad == 5);
	assert_true(last == 4);
	fx_free(fx);
}

static void
altered_hash(void **state)
{
	fixture_t *fx = fx_new();
	MDB_txn *txn;
	size_t len;
	uint8_t *v;
	uint64_t bad, last;

	(void)state;
	append(fx, 20, false);
	txn = raw_begin(fx);
	v = raw_get(fx, txn, kt_store_dbs(fx->st)->audit, 5, &len);
	v[0] ^= 0x80;
	raw_put(txn, kt_store_dbs(fx->st)->audit, 5, v, len);
	raw_commit(txn);
	free(v);
	assert_int_equal(verify(fx, NULL, &bad, &last), KT_EAUDIT);
	assert_true(bad == 5);
	fx_free(fx);
}

static void
removed_entry(void **state)
{
	fixture_t *fx = fx_new();
	MDB_txn *txn;
	uint64_t bad, last;

	(void)state;
	append(fx, 20, false);
	txn = raw_begin(fx);
	raw_del(txn, kt_store_dbs(fx->st)->audit, 5);
	raw_commit(txn);
	assert_int_equal(verify(fx, NULL, &bad, &last), KT_EAUDIT);
	assert_true(bad == 5);
	assert_true(last == 4);
	fx_free(fx);
}

static void
removed_first_entry(void **state)
{
	fixture_t *fx = fx_new();
	MDB_txn *txn;
	uint64_t bad, last;

	(void)state;
	append(fx, 20, false);
	txn = raw_begin(fx);
	raw_del(txn, kt_store_dbs(fx->st)->audit, 1);
	raw_commit(txn);
	assert_int_equal(verify(fx, NULL, &bad, &last), KT_EAUDIT);
	assert_true(bad == 1);
	fx_free(fx);
}

static void
removed_last_entry(void **state)
{
	fixture_t *fx = fx_new();
	MDB_txn *txn;
	uint64_t bad, last;

	(void)state;
	append(fx, 20, false);
	txn = raw_begin(fx);
	raw_del(txn, kt_store_dbs(fx->st)->audit, 20);
	raw_commit(txn);
	assert_int_equal(verify(fx, NULL, &bad, &last), KT_EAUDIT);
	assert_true(bad == 20);
	assert_true(last == 19);
	/* Appending continues from the tail: the gap stays visible. */
	append_arg_t a = { .n = 1 };
	assert_int_equal(kt_store_write_sync(fx->st, append_n, &a), 0);
	assert_true(a.last == 21);
	assert_int_equal(verify(fx, NULL, &bad, &last), KT_EAUDIT);
	assert_true(bad == 20);
	fx_free(fx);
}

static void
reordered_entries(void **state)
{
	fixture_t *fx = fx_new();
	MDB_dbi dbi;
	MDB_txn *txn;
	size_t l3, l4;
	uint8_t *v3, *v4;
	uint64_t bad, last;

	(void)state;
	append(fx, 20, false);
	dbi = kt_store_dbs(fx->st)->audit;
	txn = raw_begin(fx);
	v3 = raw_get(fx, txn, dbi, 3, &l3);
	v4 = raw_get(fx, txn, dbi, 4, &l4);
	raw_put(txn, dbi, 3, v4, l4);
	raw_put(txn, dbi, 4, v3, l3);
	raw_commit(txn);
	free(v3);
	free(v4);
	assert_int_equal(verify(fx, NULL, &bad, &last), KT_EAUDIT);
	assert_true(bad == 3);
	assert_true(last == 2);
	fx_free(fx);
}

static void
tail_missing_refuses_append(void **state)
{
	fixture_t *fx = fx_new();
	MDB_txn *txn;
	MDB_val k = { .mv_size = 10, .mv_data = "audit_tail" };
	append_arg_t a = { .n = 1 };
	uint64_t bad, last;

	(void)state;
	append(fx, 5, false);
	txn = raw_begin(fx);
	assert_int_equal(mdb_del(txn, kt_store_dbs(fx->st)->meta, &k, NULL), 0);
	raw_commit(txn);
	assert_int_equal(verify(fx, NULL, &bad, &last), KT_EAUDIT);
	assert_true(bad == 6);
	assert_int_equal(kt_store_write_sync(fx->st, append_n, &a), KT_ESTORE);
	fx_free(fx);
}

/* Rewrites the chain from seq on as an attacker without the signing key
 * would: change entry seq's detail, recompute every later hash and the
 * tail, so the chain itself is consistent again. */
static void
rewrite_chain_from(fixture_t *fx, uint64_t from)
{
	MDB_dbi dbi = kt_store_dbs(fx->st)->audit;
	MDB_txn *txn = raw_begin(fx);
	MDB_val k, v;
	uint8_t prev[32] = { 0 }, tail[40];
	uint64_t seq = 0;
	size_t len;

	if (from > 1) {
		uint8_t *p = raw_get(fx, txn, dbi, from - 1, &len);
		memcpy(prev, p, 32);
		free(p);
	}
	for (seq = from;; seq++) {
		uint8_t key[8], *val;
		Ktstore__AuditEntry *e;
		crypto_generichash_state s;

		kt_store_be64(key, seq);
		k.mv_size = 8;
		k.mv_data = key;
		if (mdb_get(txn, dbi, &k, &v) == MDB_NOTFOUND)
			break;
		e = ktstore__audit_entry__unpack(NULL, v.mv_size - 32,
		    (uint8_t *)v.mv_data + 32);
		assert_non_null(e);
		if (seq == from) {
			free(e->detail);
			e->detail = strdup("nothing to see here");
		}
		len = ktstore__audit_entry__get_packed_size(e);
		val = malloc(32 + len);
		assert_non_null(val);
		ktstore__audit_entry__pack(e, val + 32);
		ktstore__audit_entry__free_unpacked(e, NULL);
		crypto_generichash_init(&s, NULL, 0, 32);
		crypto_generichash_update(&s, prev, 32);
		crypto_generichash_update(&s, val + 32, len);
		crypto_generichash_final(&s, val, 32);
		memcpy(prev, val, 32);
		raw_put(txn, dbi, seq, val, 32 + len);
		free(val);
	}
	kt_store_be64(tail, seq - 1);
	memcpy(tail + 8, prev, 32);
	k.mv_size = 10;
	k.mv_data = "audit_tail";
	v.mv_size = 40;
	v.mv_data = tail;
	assert_int_equal(mdb_put(txn, kt_store_dbs(fx->st)->meta, &k, &v, 0),
	    0);
	raw_commit(txn);
}

static void
checkpoint_signatures(void **state)
{
	fixture_t *fx = fx_new();
	uint64_t bad, last;
	uint8_t other_pk[32], other_sk[64];
	MDB_txn *txn;
	MDB_dbi cps = kt_store_dbs(fx->st)->checkpoints;
	Ktstore__AuditCheckpoint *cp;
	size_t len;
	uint8_t *v, msg[17 + 8 + 32];

	(void)state;
	append(fx, 2500, true);
	assert_int_equal(verify(fx, NULL, &bad, &last), 0);
	assert_true(last == 2500);
	assert_int_equal(verify(fx, NULL, &bad, &last), 0);

	/* Checkpoints at 1000 and 2000, signed over domain || seq || hash. */
	txn = raw_begin(fx);
	{
		MDB_stat ms;
		assert_int_equal(mdb_stat(txn, cps, &ms), 0);
		assert_int_equal(ms.ms_entries, 2);
	}
	v = raw_get(fx, txn, cps, 1000, &len);
	cp = ktstore__audit_checkpoint__unpack(NULL, len, v);
	assert_non_null(cp);
	assert_true(cp->seq == 1000);
	memcpy(msg, "kartoteka-audit/1", 17);
	kt_store_be64(msg + 17, 1000);
	memcpy(msg + 25, cp->hash.data, 32);
	assert_int_equal(crypto_sign_verify_detached(cp->signature.data, msg,
	    sizeof msg, fx->pk), 0);
	{
		size_t elen;
		uint8_t *e = raw_get(fx, txn, kt_store_dbs(fx->st)->audit, 1000,
		    &elen);
		assert_memory_equal(e, cp->hash.data, 32);
		free(e);
	}
	/* Forge: flip a signature bit. */
	cp->signature.data[10] ^= 0x04;
	{
		size_t plen = ktstore__audit_checkpoint__get_packed_size(cp);
		uint8_t *p = malloc(plen);
		ktstore__audit_checkpoint__pack(cp, p);
		raw_put(txn, cps, 1000, p, plen);
		free(p);
	}
	ktstore__audit_checkpoint__free_unpacked(cp, NULL);
	free(v);
	raw_commit(txn);
	assert_int_equal(verify(fx, NULL, &bad, &last), KT_EAUDIT);
	assert_true(bad == 1000);
	/* Without a key only the hashes are checked. */
	assert_int_equal(kt_audit_verify(fx->st, NULL, NULL, &bad, &last), 0);

	/* A key that did not sign them. */
	crypto_sign_keypair(other_pk, other_sk);
	assert_int_equal(kt_audit_verify(fx->st, other_pk, NULL, &bad, &last),
	    KT_EAUDIT);
	assert_true(bad == 1000);
	sodium_memzero(other_sk, sizeof other_sk);
	fx_free(fx);
}

static void
recomputed_chain_caught_by_checkpoint(void **state)
{
	fixture_t *fx = fx_new();
	uint64_t bad, last;

	(void)state;
	append(fx, 2500, true);
	rewrite_chain_from(fx, 1500);
	/* Chain and tail agree; the checkpoint at 2000 does not. */
	assert_int_equal(verify(fx, NULL, &bad, &last), KT_EAUDIT);
	assert_true(bad == 1001);
	fx_free(fx);

	/* Past the last checkpoint only an exported file can tell. */
	fx = fx_new();
	append(fx, 30, false);
	assert_int_equal(kt_audit_export_checkpoint(fx->st, fx->sk,
	    fx->cpfile), 0);
	rewrite_chain_from(fx, 12);
	/* The export stored a checkpoint at 30 too: it catches it... */
	assert_int_equal(verify(fx, NULL, &bad, &last), KT_EAUDIT);
	assert_true(bad == 1);
	/* ...until the attacker deletes it as well. */
	{
		MDB_txn *txn = raw_begin(fx);
		raw_del(txn, kt_store_dbs(fx->st)->checkpoints, 30);
		raw_commit(txn);
	}
	assert_int_equal(verify(fx, NULL, &bad, &last), 0);
	assert_int_equal(verify(fx, fx->cpfile, &bad, &last), KT_EAUDIT);
	assert_true(bad == 1);
	fx_free(fx);
}

static void
checkpoint_file_accepted(void **state)
{
	fixture_t *fx = fx_new();
	uint64_t bad, last;
	struct stat sb;
	char line[512];
	FILE *f;

	(void)state;
	/* Even an empty chain has a checkpoint (the genesis). */
	assert_int_equal(kt_audit_export_checkpoint(fx->st, fx->sk,
	    fx->cpfile), 0);
	assert_int_equal(verify(fx, fx->cpfile, &bad, &last), 0);

	append(fx, 30, false);
	assert_int_equal(kt_audit_export_checkpoint(fx->st, fx->sk,
	    fx->cpfile), 0);
	assert_int_equal(stat(fx->cpfile, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	f = fopen(fx->cpfile, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	assert_int_equal(strncmp(line, "kartoteka-audit/1 30 ", 21), 0);
	assert_int_equal(strlen(line), 21 + 64 + 1 + 128 + 1);

	/* The chain grows past it and still contains it. */
	append(fx, 10, false);
	assert_int_equal(verify(fx, fx->cpfile, &bad, &last), 0);
	assert_true(last == 40);
	/* Exporting again reuses the stored checkpoint at the tail. */
	assert_int_equal(kt_audit_export_checkpoint(fx->st, fx->sk,
	    fx->cpfile), 0);
	assert_int_equal(kt_audit_export_checkpoint(fx->st, fx->sk,
	    fx->cpfile), 0);
	assert_int_equal(verify(fx, fx->cpfile, &bad, &last), 0);

	/* Cut back below the saved checkpoint (tail fixed up too): found. */
	{
		MDB_txn *txn = raw_begin(fx);
		MDB_val k = { .mv_size = 10, .mv_data = "audit_tail" }, v;
		size_t len;
		uint8_t *e35 = raw_get(fx, txn, kt_store_dbs(fx->st)->audit,
		    35, &len), tail[40];

		for (uint64_t s = 36; s <= 40; s++)
			raw_del(txn, kt_store_dbs(fx->st)->audit, s);
		raw_del(txn, kt_store_dbs(fx->st)->checkpoints, 40);
		kt_store_be64(tail, 35);
		memcpy(tail + 8, e35, 32);
		v.mv_size = 40;
		v.mv_data = tail;
		assert_int_equal(mdb_put(txn, kt_store_dbs(fx->st)->meta, &k,
		    &v, 0), 0);
		raw_commit(txn);
		free(e35);
	}
	assert_int_equal(verify(fx, NULL, &bad, &last), 0);
	assert_int_equal(verify(fx, fx->cpfile, &bad, &last), KT_EAUDIT);
	assert_true(bad == 36);
	fx_free(fx);
}

static void
checkpoint_file_foreign_rejected(void **state)
{
	fixture_t *a = fx_new(), *b = fx_new();
	uint64_t bad, last;
	FILE *f;
	append_arg_t other = { .n = 30, .user_base = 7 };

	(void)state;
	append(a, 30, false);
	/* Same length, different events (same millisecond is likely). */
	assert_int_equal(kt_store_write_sync(b->st, append_n, &other), 0);
	/* Another store's checkpoint, signed with its own key. */
	assert_int_equal(kt_audit_export_checkpoint(b->st, b->sk, b->cpfile),
	    0);
	assert_int_equal(verify(a, b->cpfile, &bad, &last), KT_ECRYPTO);
	/* Another store's chain signed with this store's key: the chain
	 * does not contain that hash. */
	assert_int_equal(kt_audit_export_checkpoint(b->st, a->sk, a->cpfile),
	    0);
	assert_int_equal(verify(a, a->cpfile, &bad, &last), KT_EAUDIT);
	assert_true(bad == 1);

	/* Malformed or missing files. */
	f = fopen(a->cpfile, "w");
	assert_non_null(f);
	fputs("kartoteka-audit/1 30 zz\n", f);
	fclose(f);
	assert_int_equal(verify(a, a->cpfile, &bad, &last), KT_EIO);
	f = fopen(a->cpfile, "w");
	assert_non_null(f);
	fputs("", f);
	fclose(f);
	assert_int_equal(verify(a, a->cpfile, &bad, &last), KT_EIO);
	assert_int_equal(verify(a, "/nonexistent/cp", &bad, &last), KT_EIO);
	fx_free(a);
	fx_free(b);
}

/* ---- actions and actors ------------------------------------------------ */

static void
action_names_unique(void **state)
{
	(void)state;
	assert_string_equal(kt_audit_action_name(KT_AUDIT_NONE), "");
	assert_string_equal(kt_audit_action_name(KT_AUDIT_ACTION_COUNT), "");
	assert_string_equal(kt_audit_action_name((kt_audit_action_t)-1), "");
	for (unsigned a = 1; a < KT_AUDIT_ACTION_COUNT; a++) {
		const char *name = kt_audit_action_name((kt_audit_action_t)a);

		assert_non_null(name);
		if (name[0] == '\0')
			fail_msg("action %u has no name", a);
		/* What scripts grep for: lowercase words and dots. */
		assert_true(strspn(name, "abcdefghijklmnopqrstuvwxyz.") ==
		    strlen(name));
		for (unsigned b = 1; b < a; b++)
			if (strcmp(name, kt_audit_action_name(
			    (kt_audit_action_t)b)) == 0)
				fail_msg("actions %u and %u are both '%s'", b,
				    a, name);
		assert_int_equal(kt_audit_action_by_name(name), a);
	}
	assert_int_equal(kt_audit_action_by_name(""), KT_AUDIT_NONE);
	assert_int_equal(kt_audit_action_by_name(NULL), KT_AUDIT_NONE);
	assert_int_equal(kt_audit_action_by_name("client.viewed"),
	    KT_AUDIT_NONE);
	assert_int_equal(kt_audit_action_by_name("LOGIN"), KT_AUDIT_NONE);
	/* Two stored names that must never change. */
	assert_string_equal(kt_audit_action_name(KT_AUDIT_CLIENT_VIEW),
	    "client.view");
	assert_string_equal(kt_audit_action_name(KT_AUDIT_ENROLL_FAILED),
	    "enroll.failed");
}

typedef struct record_arg {
	kt_actor_t actor;
	kt_audit_action_t action;
	uint32_t outcome;
} record_arg_t;

static int
record_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	record_arg_t *a = arg;

	return kt_audit_record(st, txn, &a->actor, a->action, "client:9",
	    a->outcome, "fields=title");
}

typedef struct tail_seen {
	size_t n;
	uint64_t seq, user;
	uint8_t term[32];
	size_t term_len;
	char action[32], object[32], detail[32];
	uint32_t outcome;
} tail_seen_t;

static int
tail_one(const Ktstore__AuditEntry *e, void *arg)
{
	tail_seen_t *t = arg;

	t->n++;
	t->seq = e->seq;
	t->user = e->user_id;
	t->term_len = e->terminal_key.len;
	if (e->terminal_key.len > 0 && e->terminal_key.len <= sizeof(t->term))
		memcpy(t->term, e->terminal_key.data, e->terminal_key.len);
	snprintf(t->action, sizeof(t->action), "%s", e->action);
	snprintf(t->object, sizeof(t->object), "%s", e->object);
	snprintf(t->detail, sizeof(t->detail), "%s", e->detail);
	t->outcome = e->outcome;
	return 0;
}

/* For tests that may fail half-way: the store goes in the teardown. */
static int
fx_setup(void **state)
{
	*state = fx_new();
	return 0;
}

static int
fx_teardown(void **state)
{
	fx_free(*state);
	return 0;
}

static void
record_writes_actor(void **state)
{
	fixture_t *fx = *state;
	uint8_t term[32];
	record_arg_t a = { { 42, term, NULL }, KT_AUDIT_CLIENT_VIEW, 0 };
	tail_seen_t t;
	uint64_t bad, last;

	memset(term, 0x77, sizeof(term));
	assert_int_equal(kt_store_write_sync(fx->st, record_mut, &a), 0);
	memset(&t, 0, sizeof(t));
	assert_int_equal(kt_audit_tail(fx->st, 1, tail_one, &t), 0);
	assert_int_equal(t.n, 1);
	assert_true(t.seq == 1);
	assert_true(t.user == 42);
	assert_int_equal(t.term_len, 32);
	assert_memory_equal(t.term, term, 32);
	assert_string_equal(t.action, "client.view");
	assert_string_equal(t.object, "client:9");
	assert_string_equal(t.detail, "fields=title");
	assert_int_equal(t.outcome, 0);

	/* A local command: no user, no terminal; a refusal's outcome. */
	a.actor.user_id = 0;
	a.actor.terminal_key = NULL;
	a.actor.sign_sk = fx->sk;
	a.action = KT_AUDIT_ENROLL_FAILED;
	a.outcome = 2;
	assert_int_equal(kt_store_write_sync(fx->st, record_mut, &a), 0);
	memset(&t, 0, sizeof(t));
	assert_int_equal(kt_audit_tail(fx->st, 1, tail_one, &t), 0);
	assert_int_equal(t.n, 1);
	assert_true(t.seq == 2);
	assert_true(t.user == 0);
	assert_int_equal(t.term_len, 0);
	assert_string_equal(t.action, "enroll.failed");
	assert_int_equal(t.outcome, 2);
	assert_int_equal(verify(fx, NULL, &bad, &last), 0);
	assert_true(last == 2);
}

/* ---- the owner's readers ---------------------------------------------------- */

typedef struct scan_log {
	uint64_t seqs[64];
	size_t n;
	uint64_t stop_before;       /* answer STOP_BEFORE at this seq */
} scan_log_t;

static int
scan_take(const Ktstore__AuditEntry *e, void *arg)
{
	scan_log_t *l = arg;

	if (e->seq == l->stop_before)
		return KT_AUDIT_SCAN_STOP_BEFORE;
	if (l->n < 64)
		l->seqs[l->n++] = e->seq;
	return 0;
}

/* A bounded read resumes where it stopped; an entry left for the next
 * page is read again there; the filter takes only what matches. */
static void
scan_resumes_and_filters(void **state)
{
	fixture_t *fx = fx_new();
	kt_audit_filter_t all = { 0 }, one = { .by_user = 1, .user = 1,
		.action = "client." };
	scan_log_t l = { .n = 0 };
	uint64_t resume, nread, total = 0;
	MDB_txn *txn;

	(void)state;
	append(fx, 30, false);
	assert_int_equal(kt_store_read_begin(fx->st, &txn), 0);
	assert_int_equal(kt_audit_scan(txn, kt_store_dbs(fx->st), &all, 0, 12,
	    scan_take, &l, &resume, &nread), 0);
	assert_true(resume == 12 && nread == 12 && l.n == 12);
	do {
		assert_int_equal(kt_audit_scan(txn, kt_store_dbs(fx->st), &all,
		    resume, 12, scan_take, &l, &resume, &nread), 0);
	} while (resume != 0);
	assert_int_equal(l.n, 30);
	for (size_t i = 0; i < l.n; i++)
		assert_true(l.seqs[i] == i + 1);
	l.n = 0;
	l.stop_before = 7;
	assert_int_equal(kt_audit_scan(txn, kt_store_dbs(fx->st), &all, 0, 0,
	    scan_take, &l, &resume, &nread), 0);
	assert_true(resume == 6 && l.n == 6);
	/* user 1 (i % 3 == 1) and client.view (odd i): i = 1, 7, 13, ... */
	l.n = 0;
	l.stop_before = 0;
	assert_int_equal(kt_audit_scan(txn, kt_store_dbs(fx->st), &one, 0, 0,
	    scan_take, &l, &resume, &nread), 0);
	assert_true(resume == 0 && nread == 30);
	for (size_t i = 0; i < l.n; i++, total++)
		assert_true((l.seqs[i] - 1) % 6 == 1);
	assert_true(total == 5);
	kt_store_read_end(fx->st, txn);
	fx_free(fx);
}

static void
checkpoint_file_problems_named(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "hello\n", "does not start with" },
		{ "kartoteka-audit/1 x", "sequence number" },
		{ "kartoteka-audit/1 5 12ab 00", "hash (third word)" },
		{ "kartoteka-audit/1 5 "
		  "00000000000000000000000000000000000000000000000000000000000000000"
		  " 00", "hash (third word)" },
		{ "kartoteka-audit/1 5 "
		  "0000000000000000000000000000000000000000000000000000000000000000",
		  "signature (fourth word) is missing" },
		{ "kartoteka-audit/1 5 "
		  "0000000000000000000000000000000000000000000000000000000000000000"
		  " 00", "signature (fourth word)" },
	};
	kt_audit_cp_t cp = { .seq = 42 }, back;
	char line[KT_AUDIT_CP_LINE_MAX], why[256];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		assert_int_equal(kt_audit_cp_parse(bad[i].text,
		    strlen(bad[i].text), &back, why, sizeof why), KT_EINVAL);
		if (strstr(why, bad[i].why) == NULL)
			fail_msg("'%s': %s", bad[i].text, why);
	}
	assert_int_equal(kt_audit_cp_parse("a\0b", 3, &back, why, sizeof why),
	    KT_EINVAL);
	memset(cp.hash, 0x5a, sizeof cp.hash);
	memset(cp.sig, 0xa5, sizeof cp.sig);
	kt_audit_cp_line(&cp, line);
	assert_int_equal(kt_audit_cp_parse(line, strlen(line), &back, why,
	    sizeof why), 0);
	assert_true(back.seq == 42);
	assert_memory_equal(back.hash, cp.hash, 32);
	assert_memory_equal(back.sig, cp.sig, 64);
	strcat(line, "more\n");
	assert_int_equal(kt_audit_cp_parse(line, strlen(line), &back, why,
	    sizeof why), KT_EINVAL);
	assert_non_null(strstr(why, "more after the signature"));
	assert_int_equal(kt_audit_cp_read("/nonexistent/cp", &back, why,
	    sizeof why), KT_EIO);
	assert_non_null(strstr(why, "cannot open /nonexistent/cp"));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(scan_resumes_and_filters),
	cmocka_unit_test(checkpoint_file_problems_named),
	cmocka_unit_test(empty_chain_ok),
	cmocka_unit_test(append_verify_ok),
	cmocka_unit_test(altered_entry),
	cmocka_unit_test(altered_hash),
	cmocka_unit_test(removed_entry),
	cmocka_unit_test(removed_first_entry),
	cmocka_unit_test(removed_last_entry),
	cmocka_unit_test(reordered_entries),
	cmocka_unit_test(tail_missing_refuses_append),
	cmocka_unit_test(checkpoint_signatures),
	cmocka_unit_test(recomputed_chain_caught_by_checkpoint),
	cmocka_unit_test(checkpoint_file_accepted),
	cmocka_unit_test(checkpoint_file_foreign_rejected),
	cmocka_unit_test(action_names_unique),
	cmocka_unit_test_setup_teardown(record_writes_actor, fx_setup,
	    fx_teardown),
};

KT_TEST_MAIN(tests)
