/* SPDX-License-Identifier: MIT */
/* Tests for server/model/audit_names.c: an entry's login, terminal name
 * and branch, and what an entry of nobody, of a local command, of an
 * unknown terminal and of a user that is gone reads as. */
#include <string.h>

#include "kt_test.h"

#include "model/audit_names.h"
#include "server/harness.h"

static void
names_of_entries(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", KARTOTEKA__ROLE__MANAGER, b, 0);
	Ktstore__AuditEntry e = KTSTORE__AUDIT_ENTRY__INIT;
	char user[KT_AUDIT_NAME_MAX + 1], term[KT_AUDIT_NAME_MAX + 1];
	char branch[KT_AUDIT_NAME_MAX + 1];
	uint8_t key[32], owner_key[32], unknown[32] = { 1 };
	MDB_txn *txn;

	(void)state;
	kt_h_terminal(h, b, "desk 1", key);
	kt_h_terminal(h, 0, "owner laptop", owner_key);
	assert_int_equal(kt_store_read_begin(h->srv->store, &txn), 0);
	e.user_id = m;
	e.terminal_key.data = key;
	e.terminal_key.len = 32;
	kt_audit_names(txn, kt_store_dbs(h->srv->store), &e, user, term,
	    branch);
	assert_string_equal(user, "masha");
	assert_string_equal(term, "desk 1");
	assert_string_equal(branch, "North");
	e.user_id = h->owner;
	e.terminal_key.data = owner_key;
	kt_audit_names(txn, kt_store_dbs(h->srv->store), &e, user, term,
	    branch);
	assert_string_equal(user, "owner");
	assert_string_equal(term, "owner laptop");
	assert_string_equal(branch, "");
	/* A local command; an unknown terminal; a user id nobody has. */
	e.user_id = 0;
	e.terminal_key.len = 0;
	kt_audit_names(txn, kt_store_dbs(h->srv->store), &e, user, term,
	    branch);
	assert_string_equal(user, "");
	assert_string_equal(term, "");
	e.user_id = 999;
	e.terminal_key.data = unknown;
	e.terminal_key.len = 32;
	kt_audit_names(txn, kt_store_dbs(h->srv->store), &e, user, term,
	    branch);
	assert_string_equal(user, "#999");
	assert_string_equal(term, "");
	assert_string_equal(branch, "");
	/* A key of the wrong size is no terminal. */
	e.terminal_key.data = key;
	e.terminal_key.len = 31;
	kt_audit_names(txn, kt_store_dbs(h->srv->store), &e, user, term,
	    branch);
	assert_string_equal(term, "");
	kt_store_read_end(h->srv->store, txn);
	kt_h_free(h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(names_of_entries),
};

KT_TEST_MAIN(tests)
