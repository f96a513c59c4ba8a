/* SPDX-License-Identifier: MIT */
/* Tests for server/session.c on the fake network: attaching a session
 * to a connection (a revoked terminal is refused), the changes that reach
 * across connections (logout everywhere, a user's or a terminal's
 * connections closed), and the sweep that re-checks connections only when
 * the terminals generation moved. */
#include <string.h>

#include <sodium.h>

#include "kt_test.h"

#include "kt_error.h"
#include "model/identity.h"
#include "model/session_store.h"
#include "model/terminal_store.h"
#include "server/harness.h"
#include "session.h"

#define MANAGER KARTOTEKA__ROLE__MANAGER

static kt_session_t *
sess(kt_conn_t *c)
{
	kt_session_t *s = kt_session_of(c);

	assert_non_null(s);
	return s;
}

static int
gen_bump_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	(void)arg;
	return kt_terminals_gen_bump(txn, kt_store_dbs(st));
}

static int
session_del_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	return kt_session_rec_del(txn, kt_store_dbs(st), arg);
}

static uint64_t
stored_gen(kt_h_t *h)
{
	MDB_txn *txn;
	uint64_t g;

	assert_int_equal(kt_store_read_begin(h->srv->store, &txn), 0);
	g = kt_terminals_gen(txn, kt_store_dbs(h->srv->store));
	kt_store_read_end(h->srv->store, txn);
	return g;
}

/* ---- attach --------------------------------------------------------------- */

static void
attach_reads_the_terminal(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint8_t key[32];
	kt_conn_t *c = kt_h_connect_enrolled(h, b, key);
	kt_conn_t *u = kt_h_connect_unenrolled(h);
	kt_session_t *s = sess(c);

	(void)state;
	assert_true(kt_session_enrolled(s));
	assert_true(kt_session_terminal_branch(s) == b);
	assert_memory_equal(kt_session_terminal_key(s), key, 32);
	assert_true(kt_fake_conn_trusted(c));
	assert_true(kt_session_user(s, kt_now_s()) == 0);
	assert_int_equal(kt_session_inflight(s), 0);
	/* An unknown key may ping and enrol, untrusted. */
	assert_false(kt_session_enrolled(sess(u)));
	assert_false(kt_fake_conn_trusted(u));
	kt_h_free(h);
}

static void
attach_refuses_revoked_terminal(void **state)
{
	kt_h_t *h = kt_h_new();
	uint8_t key[32];
	kt_conn_t *c;

	(void)state;
	kt_h_terminal(h, 0, "old", key);
	kt_h_revoke(h, key);
	c = kt_fake_conn_new(h->net);
	assert_non_null(c);
	assert_int_equal(kt_session_attach(h->srv, c, key), KT_EPERM);
	assert_null(kt_conn_data(c));
	assert_false(kt_fake_conn_trusted(c));
	kt_fake_conn_drop(c);
	/* Through the net's on_ready: the handshake is refused. */
	c = kt_fake_conn_new(h->net);
	assert_int_equal(kt_fake_conn_ready(c, key), KT_EPERM);
	assert_true(kt_fake_conn_closed(c));
	assert_false(kt_fake_conn_announced(c));
	kt_fake_conn_drop(c);
	kt_h_free(h);
}

static void
detach_on_gone(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	unsigned freed = kt_fake_net_freed(h->net);

	(void)state;
	kt_h_login(h, c, h->owner, NULL, NULL);
	kt_h_drop(h, c);
	assert_int_equal(kt_fake_net_freed(h->net), freed + 1);
	assert_false(kt_h_alive(h, c));
	kt_h_free(h);
}

/* ---- one session --------------------------------------------------------------- */

static void
login_expires(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	kt_session_t *s = sess(c);
	uint8_t hash[32], zero[32] = { 0 };
	int64_t now = kt_now_s();

	(void)state;
	randombytes_buf(hash, 32);
	kt_session_set_login(s, 5, hash, now + 10);
	assert_true(kt_session_user(s, now) == 5);
	assert_true(kt_session_user(s, now + 9) == 5);
	assert_true(kt_session_expires(s) == now + 10);
	assert_memory_equal(kt_session_token_hash(s), hash, 32);
	/* At the expiry it is logged out, here and for good. */
	assert_true(kt_session_user(s, now + 10) == 0);
	assert_true(kt_session_user(s, now) == 0);
	assert_memory_equal(kt_session_token_hash(s), zero, 32);
	assert_true(kt_session_expires(s) == 0);
	kt_h_free(h);
}

static void
inflight_and_serial_bits(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_session_t *s = sess(kt_h_connect_enrolled(h, 0, NULL));

	(void)state;
	kt_session_inflight_add(s, 1);
	kt_session_inflight_add(s, 1);
	assert_int_equal(kt_session_inflight(s), 2);
	kt_session_inflight_add(s, -2);
	assert_int_equal(kt_session_inflight(s), 0);
	kt_session_serial_set(s, 1u << 3, 1);
	kt_session_serial_set(s, 1u << 7, 1);
	assert_true(kt_session_serial_busy(s, 1u << 3));
	assert_true(kt_session_serial_busy(s, 1u << 7));
	assert_false(kt_session_serial_busy(s, 1u << 4));
	kt_session_serial_set(s, 1u << 3, 0);
	assert_false(kt_session_serial_busy(s, 1u << 3));
	assert_true(kt_session_serial_busy(s, 1u << 7));
	kt_h_free(h);
}

/* ---- across connections ---------------------------------------------------------- */

static void
logout_everywhere_ends_that_session(void **state)
{
	kt_h_t *h = kt_h_new();
	uint8_t key[32], token[32], hash[32];
	kt_conn_t *a1 = kt_h_connect_enrolled(h, 0, key);
	kt_conn_t *a2 = kt_h_connect(h, key);
	kt_conn_t *b = kt_h_connect(h, key);
	kt_conn_t *other = kt_h_connect_enrolled(h, 0, NULL);

	(void)state;
	kt_h_login(h, a1, h->owner, token, hash);
	kt_h_login_token(h, a2, h->owner, token);   /* resumed it */
	kt_h_login(h, b, h->owner, NULL, NULL);      /* another session */
	kt_h_login(h, other, h->owner, NULL, NULL);
	kt_session_logout_everywhere(h->srv, hash);
	assert_true(kt_h_user_of(a1) == 0);
	assert_true(kt_h_user_of(a2) == 0);
	assert_true(kt_h_user_of(b) == h->owner);
	assert_true(kt_h_user_of(other) == h->owner);
	/* Nothing is closed: they may log in again. */
	assert_false(kt_fake_conn_closed(a1) || kt_fake_conn_closed(a2));
	kt_h_free(h);
}

/* The requester went away before its logout was done: the others are
 * logged out all the same (a closing connection runs no more requests,
 * so whether it is still marked logged in does not matter). */
static void
logout_everywhere_after_requester_closed(void **state)
{
	kt_h_t *h = kt_h_new();
	uint8_t key[32], token[32], hash[32];
	kt_conn_t *a1 = kt_h_connect_enrolled(h, 0, key);
	kt_conn_t *a2 = kt_h_connect(h, key);

	(void)state;
	kt_h_login(h, a1, h->owner, token, hash);
	kt_h_login_token(h, a2, h->owner, token);
	kt_conn_close(a1, 1);               /* the requester went away */
	kt_session_logout_everywhere(h->srv, hash);
	assert_true(kt_h_user_of(a2) == 0);
	kt_h_free(h);
}

static void
logout_user_ends_its_sessions(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	kt_conn_t *m1 = kt_h_session(h, m, b);
	kt_conn_t *m2 = kt_h_session(h, m, b);
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	kt_conn_t *none = kt_h_connect_enrolled(h, b, NULL);

	(void)state;
	kt_session_logout_user(h->srv, 0);           /* nobody's: nothing */
	assert_true(kt_h_user_of(m1) == m && kt_h_user_of(o) == h->owner);
	kt_session_logout_user(h->srv, m);
	assert_true(kt_h_user_of(m1) == 0);
	assert_true(kt_h_user_of(m2) == 0);
	assert_true(kt_h_user_of(o) == h->owner);
	assert_true(kt_h_user_of(none) == 0);
	assert_false(kt_fake_conn_closed(m1) || kt_fake_conn_closed(m2));
	kt_h_free(h);
}

static void
close_user_closes_only_theirs(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	uint64_t v = kt_h_user(h, "vera", MANAGER, b, 0);
	kt_conn_t *m1 = kt_h_session(h, m, b);
	kt_conn_t *m2 = kt_h_session(h, m, b);
	kt_conn_t *v1 = kt_h_session(h, v, b);
	kt_conn_t *none = kt_h_connect_enrolled(h, b, NULL);

	(void)state;
	kt_session_close_user(h->srv, 0, NULL);   /* user 0: never "all" */
	assert_false(kt_fake_conn_closed(none));
	kt_session_close_user(h->srv, m, m2);
	assert_true(kt_fake_conn_closed(m1));
	assert_false(kt_fake_conn_flush(m1));
	assert_true(kt_fake_conn_closed(m2));
	assert_true(kt_fake_conn_flush(m2));      /* its answer goes first */
	assert_false(kt_fake_conn_closed(v1));
	assert_false(kt_fake_conn_closed(none));
	kt_h_free(h);
}

static void
close_terminal_closes_only_theirs(void **state)
{
	kt_h_t *h = kt_h_new();
	uint8_t key[32];
	kt_conn_t *t1 = kt_h_connect_enrolled(h, 0, key);
	kt_conn_t *t2 = kt_h_connect(h, key);
	kt_conn_t *t3 = kt_h_connect(h, key);
	kt_conn_t *other = kt_h_connect_enrolled(h, 0, NULL);

	(void)state;
	kt_h_login(h, t1, h->owner, NULL, NULL);
	kt_h_login(h, other, h->owner, NULL, NULL);
	kt_session_close_terminal(h->srv, key, t2);
	assert_true(kt_fake_conn_closed(t1) && !kt_fake_conn_flush(t1));
	assert_true(kt_fake_conn_closed(t2) && kt_fake_conn_flush(t2));
	assert_true(kt_fake_conn_closed(t3) && !kt_fake_conn_flush(t3));
	assert_false(kt_fake_conn_closed(other));
	kt_h_free(h);
}

/* ---- the sweep ----------------------------------------------------------------- */

static void
sweep_closes_revoked_terminal(void **state)
{
	kt_h_t *h = kt_h_new();
	uint8_t key[32];
	kt_conn_t *t1 = kt_h_connect_enrolled(h, 0, key);
	kt_conn_t *t2 = kt_h_connect(h, key);
	kt_conn_t *other = kt_h_session(h, h->owner, 0);
	kt_conn_t *unenrolled = kt_h_connect_unenrolled(h);

	(void)state;
	kt_h_login(h, t1, h->owner, NULL, NULL);
	kt_session_sweep(h->srv);                  /* nothing moved */
	assert_int_equal(kt_fake_conn_closes(t1), 0);
	kt_h_revoke(h, key);                       /* another process did */
	kt_session_sweep(h->srv);
	assert_true(kt_fake_conn_closed(t1) && !kt_fake_conn_flush(t1));
	assert_true(kt_fake_conn_closed(t2));
	assert_false(kt_fake_conn_closed(other));
	assert_false(kt_fake_conn_closed(unenrolled));
	assert_true(h->srv->terminals_gen == stored_gen(h));
	kt_h_free(h);
}

static void
sweep_closes_disabled_user(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	uint64_t v = kt_h_user(h, "vera", MANAGER, b, 0);
	kt_conn_t *m1 = kt_h_session(h, m, b);
	kt_conn_t *v1 = kt_h_session(h, v, b);
	kt_conn_t *none = kt_h_connect_enrolled(h, b, NULL);

	(void)state;
	kt_h_set_disabled(h, "masha", 1);
	kt_session_sweep(h->srv);
	assert_true(kt_fake_conn_closed(m1) && !kt_fake_conn_flush(m1));
	assert_false(kt_fake_conn_closed(v1));
	assert_false(kt_fake_conn_closed(none));
	kt_h_free(h);
}

static void
sweep_only_when_generation_moved(void **state)
{
	kt_h_t *h = kt_h_new();
	uint8_t key[32], hash[32];
	kt_conn_t *c = kt_h_connect_enrolled(h, 0, NULL);
	kt_conn_t *d = kt_h_connect_enrolled(h, 0, key);

	(void)state;
	kt_h_login(h, c, h->owner, NULL, hash);
	h->srv->terminals_gen = stored_gen(h);   /* seen all so far */
	/* The session record goes without the generation moving: the
	 * sweep does not look (a logout on this server handles its own
	 * connections). */
	assert_int_equal(kt_h_write(h, session_del_mut, hash), 0);
	kt_session_sweep(h->srv);
	assert_false(kt_fake_conn_closed(c));
	/* A revocation the server has already seen (its generation is
	 * current) is not swept either. */
	kt_h_revoke(h, key);
	h->srv->terminals_gen = stored_gen(h);
	kt_session_sweep(h->srv);
	assert_false(kt_fake_conn_closed(d));
	/* Once it moves, both are found. */
	assert_int_equal(kt_h_write(h, gen_bump_mut, NULL), 0);
	kt_session_sweep(h->srv);
	assert_true(kt_fake_conn_closed(c));
	assert_true(kt_fake_conn_closed(d));
	kt_h_free(h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(attach_reads_the_terminal),
	cmocka_unit_test(attach_refuses_revoked_terminal),
	cmocka_unit_test(detach_on_gone),
	cmocka_unit_test(login_expires),
	cmocka_unit_test(inflight_and_serial_bits),
	cmocka_unit_test(logout_everywhere_ends_that_session),
	cmocka_unit_test(logout_everywhere_after_requester_closed),
	cmocka_unit_test(logout_user_ends_its_sessions),
	cmocka_unit_test(close_user_closes_only_theirs),
	cmocka_unit_test(close_terminal_closes_only_theirs),
	cmocka_unit_test(sweep_closes_revoked_terminal),
	cmocka_unit_test(sweep_closes_disabled_user),
	cmocka_unit_test(sweep_only_when_generation_moved),
};

KT_TEST_MAIN(tests)
