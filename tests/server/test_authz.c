/* SPDX-License-Identifier: MIT */
/* The role table of DESIGN section 4 as a matrix: every role x action x
 * (own / another manager's client) x (own / another branch). */
#include "kt_test.h"

#include "model/authz.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"

enum { OWN_BRANCH = 10, OTHER_BRANCH = 20, ME = 5, SOMEONE = 6 };

/* Expected result for (role, action, managed by me, in my branch). */
static int
expected(uint32_t role, kt_action_t a, int mine, int my_branch)
{
	if (role == KARTOTEKA__ROLE__OWNER)
		return 0;
	if (!my_branch)
		return KT_ENOTFOUND;
	switch (a) {
	case KT_ACT_SEE_CLIENT:
	case KT_ACT_FULL_CARD:
	case KT_ACT_LIST:
	case KT_ACT_CREATE_CLIENT:
	case KT_ACT_LOG_CONTACT:
	case KT_ACT_OWN_SESSION:
		return 0;
	case KT_ACT_EDIT_CLIENT:
	case KT_ACT_DEAL:
	case KT_ACT_ARCHIVE:
		return role == KARTOTEKA__ROLE__HEAD || mine ? 0 : KT_EPERM;
	case KT_ACT_REASSIGN:
		return role == KARTOTEKA__ROLE__HEAD ? 0 : KT_EPERM;
	default:
		return KT_EPERM; /* purge, export, admin, audit: owner only */
	}
}

static void
matrix(void **state)
{
	static const uint32_t roles[] = { KARTOTEKA__ROLE__OWNER,
		KARTOTEKA__ROLE__HEAD, KARTOTEKA__ROLE__MANAGER };
	const uint64_t branches[] = { OWN_BRANCH };
	int cases = 0;
	(void)state;

	for (size_t r = 0; r < 3; r++)
		for (int a = 0; a < KT_ACT_COUNT; a++)
			for (int mine = 0; mine < 2; mine++)
				for (int inb = 0; inb < 2; inb++) {
					int got = kt_authz_client(ME, roles[r],
					    roles[r] == KARTOTEKA__ROLE__OWNER ?
					    NULL : branches,
					    roles[r] == KARTOTEKA__ROLE__OWNER ?
					    0 : 1, (kt_action_t)a,
					    inb ? OWN_BRANCH : OTHER_BRANCH,
					    mine ? ME : SOMEONE);
					int want = expected(roles[r],
					    (kt_action_t)a, mine, inb);
					if (got != want)
						fail_msg("role %u action %s mine "
						    "%d in-branch %d: got %d want "
						    "%d", roles[r],
						    kt_authz_action_name(
						    (kt_action_t)a), mine, inb,
						    got, want);
					cases++;
				}
	assert_int_equal(cases, 3 * KT_ACT_COUNT * 4);
}

static void
unknown_role_sees_nothing(void **state)
{
	const uint64_t branches[] = { OWN_BRANCH };
	(void)state;
	for (int a = 0; a < KT_ACT_COUNT; a++)
		assert_int_equal(kt_authz_client(ME, 0, branches, 1,
		    (kt_action_t)a, OWN_BRANCH, ME), KT_ENOTFOUND);
}

/* The notice period, as a matrix over role x action x restricted: a
 * restricted head or manager keeps seeing (masked rows) and their own
 * session, and loses every other action; unrestricted, nothing changes. */
static void
restricted_matrix(void **state)
{
	static const uint32_t roles[] = { KARTOTEKA__ROLE__OWNER,
		KARTOTEKA__ROLE__HEAD, KARTOTEKA__ROLE__MANAGER };
	int cases = 0;
	(void)state;

	for (size_t r = 0; r < 3; r++)
		for (int a = 0; a < KT_ACT_COUNT; a++)
			for (int restricted = 0; restricted < 2; restricted++) {
				kt_scope_t plain = kt_authz_scope(roles[r],
				    (kt_action_t)a);
				int keeps = a == KT_ACT_SEE_CLIENT ||
				    a == KT_ACT_LIST ||
				    a == KT_ACT_OWN_SESSION;
				kt_scope_t want = restricted && !keeps ?
				    KT_SCOPE_NONE : plain;
				kt_scope_t got = kt_authz_scope_of(roles[r],
				    restricted, (kt_action_t)a);
				if (got != want)
					fail_msg("role %u action %s "
					    "restricted %d: got %d, want %d",
					    roles[r], kt_authz_action_name(
					    (kt_action_t)a), restricted,
					    (int)got, (int)want);
				cases++;
			}
	assert_int_equal(cases, 3 * KT_ACT_COUNT * 2);
	/* In particular: no full card, no change, no new card. */
	assert_false(kt_authz_restricted_may(KT_ACT_FULL_CARD));
	assert_false(kt_authz_restricted_may(KT_ACT_EDIT_CLIENT));
	assert_false(kt_authz_restricted_may(KT_ACT_CREATE_CLIENT));
	assert_false(kt_authz_restricted_may(KT_ACT_LOG_CONTACT));
	assert_false(kt_authz_restricted_may(KT_ACT_DEAL));
	assert_false(kt_authz_restricted_may(KT_ACT_EXPORT));
	assert_false(kt_authz_restricted_may(KT_ACT_COUNT));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(matrix),
	cmocka_unit_test(restricted_matrix),
	cmocka_unit_test(unknown_role_sees_nothing),
};

KT_TEST_MAIN(tests)
