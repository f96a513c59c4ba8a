/* SPDX-License-Identifier: MIT */
/* Tests for server/model/terminal_store.c against a temporary store:
 * invites (only a hash of the token is kept), enrolment and its refusals,
 * finding a terminal by name or key prefix, revocation, the advertised
 * address and the terminals generation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/model_fixture.h"

#include "kartoteka.pb-c.h"
#include "model/identity.h"
#include "model/terminal_store.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_UNAUTH KARTOTEKA__ERROR__CODE__UNAUTHENTICATED
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define E_NOT_FOUND KARTOTEKA__ERROR__CODE__NOT_FOUND
#define E_CONFLICT KARTOTEKA__ERROR__CODE__CONFLICT

#define NOW 1800000000
#define TTL 3600

static uint8_t owner_term[32];

static kt_actor_t
owner(void)
{
	kt_actor_t a = { 1, owner_term, NULL };

	memset(owner_term, 0xee, sizeof(owner_term));
	return a;
}

/* A key whose first bytes are head (n of them), then fill. */
static void
key_make(uint8_t key[32], const uint8_t *head, size_t n, uint8_t fill)
{
	memset(key, fill, 32);
	if (n > 0)
		memcpy(key, head, n);
}

static void
put_terminal(mfx_t *f, const uint8_t key[32], const char *name,
    uint64_t branch, int revoked)
{
	Ktstore__TerminalRecord t = KTSTORE__TERMINAL_RECORD__INIT;

	t.public_key.data = (uint8_t *)key;
	t.public_key.len = 32;
	t.name = (char *)name;
	t.branch = branch;
	t.enrolled_at = NOW - 100;
	t.revoked = revoked != 0;
	t.revoked_at = revoked ? NOW - 50 : 0;
	assert_int_equal(kt_store_put_record(mfx_wbegin(f), f->db->terminals,
	    key, 32, &t.base, MDB_NOOVERWRITE), 0);
	mfx_commit(f);
}

static Ktstore__TerminalRecord *
get_terminal(mfx_t *f, const uint8_t key[32])
{
	Ktstore__TerminalRecord *t = NULL;
	MDB_txn *txn;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_terminal_get(txn, f->db, key, &t), 0);
	kt_store_read_end(f->st, txn);
	return t;
}

static Ktstore__InviteRecord *
get_invite(MDB_txn *txn, mfx_t *f, const uint8_t hash[32])
{
	Ktstore__InviteRecord *inv = NULL;

	assert_int_equal(kt_store_get_record(txn, f->db->invites, hash, 32,
	    &ktstore__invite_record__descriptor, (ProtobufCMessage **)&inv),
	    0);
	return inv;
}

static void
invite(mfx_t *f, uint64_t branch, const char *name, const uint8_t token[32],
    int64_t now)
{
	kt_actor_t a = owner();

	assert_int_equal(kt_invite_put(f->st, mfx_wbegin(f), &a, branch, name,
	    token, now, TTL), 0);
	mfx_commit(f);
}

static void
token_hash(const uint8_t token[32], uint8_t hash[32])
{
	crypto_generichash(hash, 32, token, 32, NULL, 0);
}

/* kt_terminal_find in a read transaction: returns the verdict's code
 * and, when OK, the key in key. */
static uint32_t
find(mfx_t *f, const char *which, uint8_t key[32])
{
	kt_verdict_t v;
	MDB_txn *txn;

	memset(key, 0, 32);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_terminal_find(txn, f->db, which, key, &v), 0);
	kt_store_read_end(f->st, txn);
	return v.code;
}

static uint64_t
gen(mfx_t *f)
{
	MDB_txn *txn;
	uint64_t g;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	g = kt_terminals_gen(txn, f->db);
	kt_store_read_end(f->st, txn);
	return g;
}

/* ---- invites ------------------------------------------------------------ */

static void
invite_keeps_only_hash(void **state)
{
	mfx_t *f = *state;
	uint8_t token[32], hash[32];
	char object[48];
	Ktstore__InviteRecord *inv;
	MDB_txn *txn;

	randombytes_buf(token, sizeof(token));
	token_hash(token, hash);
	invite(f, 3, "north", token, NOW);

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(mfx_entries(txn, f->db->invites), 1);
	inv = get_invite(txn, f, hash);
	assert_true(inv->branch == 3);
	assert_true(inv->created_at == NOW);
	assert_true(inv->expires_at == NOW + TTL);
	assert_false(inv->used);
	assert_int_equal(inv->used_by.len, 0);
	ktstore__invite_record__free_unpacked(inv, NULL);
	/* The token itself is nowhere in the store, not even half of it. */
	assert_false(mfx_store_contains(txn, f->db, token, 32));
	assert_false(mfx_store_contains(txn, f->db, token, 8));
	assert_false(mfx_store_contains(txn, f->db, token + 16, 8));
	/* The audit names it by a prefix of its hash. */
	memcpy(object, "invite:", 7);
	kt_hex(object + 7, hash, 8);
	assert_int_equal(strlen(object), 7 + 16);
	mfx_assert_last_audit(txn, f->db, "terminal.invite", object, 0,
	    "branch=3 name=north", 1, owner_term);
	kt_store_read_end(f->st, txn);

	/* An invite for an owner terminal. */
	randombytes_buf(token, sizeof(token));
	token_hash(token, hash);
	invite(f, 0, NULL, token, NOW);
	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	inv = get_invite(txn, f, hash);
	assert_true(inv->branch == 0);
	ktstore__invite_record__free_unpacked(inv, NULL);
	kt_hex(object + 7, hash, 8);
	mfx_assert_last_audit(txn, f->db, "terminal.invite", object, 0,
	    "owner terminal", 1, owner_term);
	kt_store_read_end(f->st, txn);
}

static void
invite_token_reused(void **state)
{
	mfx_t *f = *state;
	uint8_t token[32];
	kt_actor_t a = owner();
	MDB_txn *txn;
	mfx_snap_t s;

	memset(token, 0x42, sizeof(token));
	invite(f, 1, "north", token, NOW);
	/* The same token again: refused, the first invite unchanged. */
	txn = mfx_wbegin(f);
	mfx_snap(txn, f->db, &s);
	assert_int_equal(kt_invite_put(f->st, txn, &a, 2, "south", token,
	    NOW + 5, TTL), KT_EEXIST);
	mfx_assert_unchanged(txn, f->db, &s);
	mfx_abort(f);
}

/* ---- enrolment ---------------------------------------------------------- */

/* kt_terminal_enroll that must be refused: code and message part; the
 * invites and terminals unchanged, one enroll.failed entry added. */
static void
enroll_refused(mfx_t *f, const uint8_t key[32], const uint8_t hash[32],
    int64_t now, uint32_t code, const char *part)
{
	uint8_t inv_before[32], term_before[32], inv_after[32], term_after[32];
	MDB_txn *txn = mfx_wbegin(f);
	char object[48];
	kt_verdict_t v;
	uint64_t branch = 99;
	size_t naudit = mfx_entries(txn, f->db->audit);

	mfx_digest_dbi(txn, f->db->invites, inv_before);
	mfx_digest_dbi(txn, f->db->terminals, term_before);
	assert_int_equal(kt_terminal_enroll(f->st, txn, key, hash, "desk", now,
	    NULL, &branch, &v), 0);
	mfx_assert_refused(&v, code, part);
	assert_true(branch == 0);
	mfx_digest_dbi(txn, f->db->invites, inv_after);
	mfx_digest_dbi(txn, f->db->terminals, term_after);
	assert_memory_equal(inv_before, inv_after, 32);
	assert_memory_equal(term_before, term_after, 32);
	assert_int_equal(mfx_entries(txn, f->db->audit), naudit + 1);
	kt_terminal_object(object, key);
	mfx_assert_last_audit(txn, f->db, "enroll.failed", object, code,
	    v.msg, 0, key);
	mfx_commit(f);
}

static void
enroll_ok(mfx_t *f, const uint8_t key[32], const uint8_t hash[32],
    const char *name, int64_t now, uint64_t want_branch)
{
	MDB_txn *txn = mfx_wbegin(f);
	char object[48], detail[128];
	kt_verdict_t v;
	uint64_t branch = 99;

	assert_int_equal(kt_terminal_enroll(f->st, txn, key, hash, name, now,
	    NULL, &branch, &v), 0);
	if (!kt_verdict_is_ok(&v))
		fail_msg("refused: %s", v.msg);
	assert_true(branch == want_branch);
	kt_terminal_object(object, key);
	snprintf(detail, sizeof(detail), "name=%s branch=%llu", name,
	    (unsigned long long)want_branch);
	mfx_assert_last_audit(txn, f->db, "enroll", object, 0, detail, 0, key);
	mfx_commit(f);
}

static void
enroll_invite_refusals(void **state)
{
	mfx_t *f = *state;
	uint8_t token[32], hash[32], other[32], key[32];

	memset(token, 0x01, sizeof(token));
	token_hash(token, hash);
	memset(other, 0x02, sizeof(other));
	memset(key, 0x5e, sizeof(key));
	invite(f, 3, "north", token, NOW);

	enroll_refused(f, key, other, NOW + 1, E_UNAUTH,
	    "invite code is not valid");
	/* It expires at NOW + TTL exactly. */
	enroll_refused(f, key, hash, NOW + TTL, E_UNAUTH,
	    "invite code has expired");
	enroll_refused(f, key, hash, NOW + TTL + 86400, E_UNAUTH,
	    "invite code has expired");
	/* A second before, it works once. */
	enroll_ok(f, key, hash, "desk", NOW + TTL - 1, 3);
	memset(key, 0x5f, sizeof(key));
	enroll_refused(f, key, hash, NOW + 2, E_UNAUTH,
	    "invite code was already used");
}

static void
enroll_stores_terminal(void **state)
{
	mfx_t *f = *state;
	uint8_t token[32], hash[32], key[32];
	Ktstore__InviteRecord *inv;
	Ktstore__TerminalRecord *t;
	MDB_txn *txn;

	memset(token, 0x01, sizeof(token));
	token_hash(token, hash);
	memset(key, 0x5e, sizeof(key));
	invite(f, 3, "north", token, NOW);
	enroll_ok(f, key, hash, "Front desk", NOW + 10, 3);

	t = get_terminal(f, key);
	assert_string_equal(t->name, "Front desk");
	assert_true(t->branch == 3);
	assert_true(t->enrolled_at == NOW + 10);
	assert_false(t->revoked);
	assert_int_equal(t->public_key.len, 32);
	assert_memory_equal(t->public_key.data, key, 32);
	ktstore__terminal_record__free_unpacked(t, NULL);

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	inv = get_invite(txn, f, hash);
	assert_true(inv->used);
	assert_int_equal(inv->used_by.len, 32);
	assert_memory_equal(inv->used_by.data, key, 32);
	assert_true(inv->branch == 3 && inv->expires_at == NOW + TTL);
	ktstore__invite_record__free_unpacked(inv, NULL);
	kt_store_read_end(f->st, txn);

	/* An owner terminal's invite gives branch 0. */
	memset(token, 0x03, sizeof(token));
	token_hash(token, hash);
	memset(key, 0x60, sizeof(key));
	invite(f, 0, NULL, token, NOW);
	enroll_ok(f, key, hash, "Owner laptop", NOW + 10, 0);
	t = get_terminal(f, key);
	assert_true(t->branch == 0);
	ktstore__terminal_record__free_unpacked(t, NULL);
}

static void
enroll_key_refusals(void **state)
{
	mfx_t *f = *state;
	uint8_t t1[32], h1[32], t2[32], h2[32], key[32], out[32];
	kt_actor_t a = owner();
	Ktstore__InviteRecord *inv;
	kt_verdict_t v;
	MDB_txn *txn;

	memset(t1, 0x01, sizeof(t1));
	token_hash(t1, h1);
	memset(t2, 0x02, sizeof(t2));
	token_hash(t2, h2);
	memset(key, 0x5e, sizeof(key));
	invite(f, 3, "north", t1, NOW);
	invite(f, 4, "south", t2, NOW);
	enroll_ok(f, key, h1, "desk", NOW + 1, 3);

	/* The key is enrolled: the second invite is not spent on it. */
	enroll_refused(f, key, h2, NOW + 2, E_CONFLICT,
	    "this terminal is already enrolled");
	/* Revoked: refused for good. */
	assert_int_equal(kt_terminal_revoke(f->st, mfx_wbegin(f), &a, "desk",
	    NOW + 3, out, &v), 0);
	assert_true(kt_verdict_is_ok(&v));
	mfx_commit(f);
	enroll_refused(f, key, h2, NOW + 4, E_FORBIDDEN,
	    "this terminal key was revoked");

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	inv = get_invite(txn, f, h2);
	assert_false(inv->used);
	ktstore__invite_record__free_unpacked(inv, NULL);
	assert_int_equal(mfx_entries(txn, f->db->terminals), 1);
	kt_store_read_end(f->st, txn);
}

/* ---- find --------------------------------------------------------------- */

static void
find_by_name_and_prefix(void **state)
{
	mfx_t *f = *state;
	static const uint8_t ab[4] = { 0xab, 0xcd, 0xef, 0x01 };
	uint8_t ka[32], kb[32], kc[32], kd[32], ke[32], out[32];
	char hex[65], which[80];

	key_make(ka, NULL, 0, 0x11);
	key_make(kb, ab, 4, 0x22);
	key_make(kc, ab, 4, 0x33);
	key_make(kd, NULL, 0, 0x44);
	key_make(ke, NULL, 0, 0x55);
	put_terminal(f, ka, "desk", 1, 0);
	put_terminal(f, kb, "front", 1, 0);
	put_terminal(f, kc, "back", 2, 0);

	assert_int_equal(find(f, "desk", out), 0);
	assert_memory_equal(out, ka, 32);
	assert_int_equal(find(f, "back", out), 0);
	assert_memory_equal(out, kc, 32);
	/* 8 hex digits and more are a key prefix. */
	assert_int_equal(find(f, "11111111", out), 0);
	assert_memory_equal(out, ka, 32);
	assert_int_equal(find(f, "abcdef0122", out), 0);
	assert_memory_equal(out, kb, 32);
	kt_hex(hex, kc, 32);
	assert_int_equal(find(f, hex, out), 0);
	assert_memory_equal(out, kc, 32);
	/* A prefix of two keys. */
	assert_int_equal(find(f, "abcdef01", out), E_CONFLICT);
	/* Fewer than 8 digits are no prefix, more than 64 neither. */
	assert_int_equal(find(f, "1111111", out), E_NOT_FOUND);
	assert_int_equal(find(f, "abcdef0", out), E_NOT_FOUND);
	snprintf(which, sizeof(which), "%s1", hex);
	assert_int_equal(find(f, which, out), E_NOT_FOUND);
	assert_int_equal(find(f, "nothing", out), E_NOT_FOUND);
	assert_int_equal(find(f, "", out), E_BAD);
	assert_int_equal(find(f, NULL, out), E_BAD);
	assert_int_equal(find(f, "22222222", out), E_NOT_FOUND);

	/* A short name that looks like hex is a name. */
	put_terminal(f, kd, "1111111", 1, 0);
	assert_int_equal(find(f, "1111111", out), 0);
	assert_memory_equal(out, kd, 32);
	/* A name that is also another key's prefix matches both. */
	put_terminal(f, ke, "11111111", 1, 0);
	assert_int_equal(find(f, "11111111", out), E_CONFLICT);
	assert_int_equal(find(f, "111111111111", out), 0);
	assert_memory_equal(out, ka, 32);
}

static void
find_prefers_the_one_not_revoked(void **state)
{
	mfx_t *f = *state;
	uint8_t k1[32], k2[32], k3[32], k4[32], k5[32], out[32];

	key_make(k1, NULL, 0, 0x01);
	key_make(k2, NULL, 0, 0x02);
	key_make(k3, NULL, 0, 0x03);
	key_make(k4, NULL, 0, 0x04);
	key_make(k5, NULL, 0, 0x05);
	/* A name reused after a revocation means the new terminal. */
	put_terminal(f, k2, "kiosk", 1, 1);
	put_terminal(f, k1, "kiosk", 1, 0);
	assert_int_equal(find(f, "kiosk", out), 0);
	assert_memory_equal(out, k1, 32);
	/* Two working ones: ambiguous. */
	put_terminal(f, k3, "kiosk", 1, 0);
	assert_int_equal(find(f, "kiosk", out), E_CONFLICT);
	/* Only revoked ones, several: ambiguous too. */
	put_terminal(f, k4, "old", 1, 1);
	put_terminal(f, k5, "old", 1, 1);
	assert_int_equal(find(f, "old", out), E_CONFLICT);
	/* One revoked one is found (to be listed, or refused a revoke). */
	assert_int_equal(find(f, "0505050505", out), 0);
	assert_memory_equal(out, k5, 32);
}

/* ---- revoke ------------------------------------------------------------- */

static void
revoke_refused(mfx_t *f, const char *which, uint32_t code, const char *part)
{
	MDB_txn *txn = mfx_wbegin(f);
	kt_actor_t a = owner();
	uint8_t key[32];
	kt_verdict_t v;
	mfx_snap_t s;

	mfx_snap(txn, f->db, &s);
	assert_int_equal(kt_terminal_revoke(f->st, txn, &a, which, NOW, key,
	    &v), 0);
	mfx_assert_refused(&v, code, part);
	assert_int_equal(kt_terminal_revoke_check(txn, f->db, which, key, &v),
	    0);
	mfx_assert_refused(&v, code, part);
	mfx_assert_unchanged(txn, f->db, &s);
	mfx_commit(f);
}

static void
revoke(void **state)
{
	mfx_t *f = *state;
	uint8_t ka[32], kb[32], out[32];
	Ktstore__TerminalRecord *t;
	kt_actor_t a = owner();
	char object[48];
	kt_verdict_t v;
	MDB_txn *txn;
	uint64_t g;

	key_make(ka, NULL, 0, 0x11);
	key_make(kb, NULL, 0, 0x22);
	put_terminal(f, ka, "desk", 2, 0);
	put_terminal(f, kb, "back", 2, 0);
	revoke_refused(f, "nothing", E_NOT_FOUND, "no terminal named");
	revoke_refused(f, "", E_BAD, "terminal: give its name");

	g = gen(f);
	txn = mfx_wbegin(f);
	assert_int_equal(kt_terminal_revoke_check(txn, f->db, "desk", out, &v),
	    0);
	assert_true(kt_verdict_is_ok(&v));
	memset(out, 0, sizeof(out));
	assert_int_equal(kt_terminal_revoke(f->st, txn, &a, "desk", NOW + 7,
	    out, &v), 0);
	assert_true(kt_verdict_is_ok(&v));
	assert_memory_equal(out, ka, 32);
	kt_terminal_object(object, ka);
	assert_string_equal(object, "terminal:1111111111111111");
	mfx_assert_last_audit(txn, f->db, "terminal.revoke", object, 0,
	    "name=desk branch=2", 1, owner_term);
	mfx_commit(f);
	assert_true(gen(f) == g + 1);

	t = get_terminal(f, ka);
	assert_true(t->revoked);
	assert_true(t->revoked_at == NOW + 7);
	assert_string_equal(t->name, "desk");
	ktstore__terminal_record__free_unpacked(t, NULL);
	t = get_terminal(f, kb);
	assert_false(t->revoked);
	ktstore__terminal_record__free_unpacked(t, NULL);

	revoke_refused(f, "desk", E_CONFLICT,
	    "terminal 'desk' is already revoked");
	revoke_refused(f, "11111111", E_CONFLICT, "already revoked");
	assert_true(gen(f) == g + 1);
}

/* ---- settings ----------------------------------------------------------- */

static void
advertise_and_gen(void **state)
{
	mfx_t *f = *state;
	char out[64];
	MDB_txn *txn;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	kt_invite_advertise(txn, f->db, out, sizeof(out));
	assert_string_equal(out, KT_INVITE_ADVERTISE_DEFAULT);
	assert_string_equal(out, "127.0.0.1:7700");
	assert_true(kt_terminals_gen(txn, f->db) == 0);
	kt_store_read_end(f->st, txn);

	txn = mfx_wbegin(f);
	assert_int_equal(kt_invite_set_advertise(txn, f->db,
	    "crm.example.org:7700"), 0);
	kt_invite_advertise(txn, f->db, out, sizeof(out));
	assert_string_equal(out, "crm.example.org:7700");
	assert_int_equal(kt_invite_set_advertise(txn, f->db, "10.0.0.5:9"), 0);
	assert_int_equal(kt_terminals_gen_bump(txn, f->db), 0);
	assert_int_equal(kt_terminals_gen_bump(txn, f->db), 0);
	mfx_commit(f);

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	kt_invite_advertise(txn, f->db, out, sizeof(out));
	assert_string_equal(out, "10.0.0.5:9");
	assert_true(kt_terminals_gen(txn, f->db) == 2);
	kt_store_read_end(f->st, txn);
}

#define T(name) cmocka_unit_test_setup_teardown(name, mfx_setup, mfx_teardown)

static const struct CMUnitTest tests[] = {
	T(invite_keeps_only_hash),
	T(invite_token_reused),
	T(enroll_invite_refusals),
	T(enroll_stores_terminal),
	T(enroll_key_refusals),
	T(find_by_name_and_prefix),
	T(find_prefers_the_one_not_revoked),
	T(revoke),
	T(advertise_and_gen),
};

KT_TEST_MAIN(tests)
