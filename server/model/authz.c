/* SPDX-License-Identifier: MIT */
/* The authorisation table of DESIGN section 4 and its checks. */
#include <stddef.h>

#include "catalog.h"
#include "model/authz.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"

/* Rows: actions; columns: owner, head, manager, and whether a user in the
 * notice period (restricted) keeps the action. Changing who may do what
 * means changing this table and nothing else. */
#define R_KEEP 1
#define R_DROP 0
static const struct {
	const char *name;
	kt_scope_t owner, head, manager;
	int restricted;
} table[KT_ACT_COUNT] = {
	[KT_ACT_SEE_CLIENT] = { KT_MSG("see client"), KT_SCOPE_ALL, KT_SCOPE_BRANCHES,
	    KT_SCOPE_BRANCHES, R_KEEP },
	[KT_ACT_FULL_CARD] = { KT_MSG("open a full card"), KT_SCOPE_ALL,
	    KT_SCOPE_BRANCHES, KT_SCOPE_BRANCHES, R_DROP },
	[KT_ACT_LIST] = { KT_MSG("list clients"), KT_SCOPE_ALL, KT_SCOPE_BRANCHES,
	    KT_SCOPE_BRANCHES, R_KEEP },
	[KT_ACT_CREATE_CLIENT] = { KT_MSG("create a client"), KT_SCOPE_ALL,
	    KT_SCOPE_BRANCHES, KT_SCOPE_BRANCHES, R_DROP },
	[KT_ACT_EDIT_CLIENT] = { KT_MSG("edit this client"), KT_SCOPE_ALL,
	    KT_SCOPE_BRANCHES, KT_SCOPE_MANAGED, R_DROP },
	[KT_ACT_REASSIGN] = { KT_MSG("reassign this client"), KT_SCOPE_ALL,
	    KT_SCOPE_BRANCHES, KT_SCOPE_NONE, R_DROP },
	[KT_ACT_LOG_CONTACT] = { KT_MSG("log a contact or a task for this client"),
	    KT_SCOPE_ALL, KT_SCOPE_BRANCHES, KT_SCOPE_BRANCHES, R_DROP },
	[KT_ACT_DEAL] = { KT_MSG("change the deals of this client"), KT_SCOPE_ALL,
	    KT_SCOPE_BRANCHES, KT_SCOPE_MANAGED, R_DROP },
	[KT_ACT_ARCHIVE] = { KT_MSG("archive this client"), KT_SCOPE_ALL,
	    KT_SCOPE_BRANCHES, KT_SCOPE_MANAGED, R_DROP },
	[KT_ACT_PURGE] = { KT_MSG("purge a client"), KT_SCOPE_ALL, KT_SCOPE_NONE,
	    KT_SCOPE_NONE, R_DROP },
	[KT_ACT_EXPORT] = { KT_MSG("export"), KT_SCOPE_ALL, KT_SCOPE_NONE,
	    KT_SCOPE_NONE, R_DROP },
	[KT_ACT_ADMIN] = { KT_MSG("administer users, terminals and branches"),
	    KT_SCOPE_ALL, KT_SCOPE_NONE, KT_SCOPE_NONE, R_DROP },
	[KT_ACT_AUDIT] = { KT_MSG("read the audit log"), KT_SCOPE_ALL, KT_SCOPE_NONE,
	    KT_SCOPE_NONE, R_DROP },
	[KT_ACT_OWN_SESSION] = { KT_MSG("use their own session"), KT_SCOPE_ALL,
	    KT_SCOPE_ALL, KT_SCOPE_ALL, R_KEEP },
};

kt_scope_t
kt_authz_scope(uint32_t role, kt_action_t a)
{
	if ((unsigned)a >= KT_ACT_COUNT)
		return KT_SCOPE_NONE;
	switch (role) {
	case KARTOTEKA__ROLE__OWNER: return table[a].owner;
	case KARTOTEKA__ROLE__HEAD: return table[a].head;
	case KARTOTEKA__ROLE__MANAGER: return table[a].manager;
	default: return KT_SCOPE_NONE;
	}
}

int
kt_authz_restricted_may(kt_action_t a)
{
	return (unsigned)a < KT_ACT_COUNT && table[a].restricted;
}

kt_scope_t
kt_authz_scope_of(uint32_t role, int restricted, kt_action_t a)
{
	if (restricted && !kt_authz_restricted_may(a))
		return KT_SCOPE_NONE;
	return kt_authz_scope(role, a);
}

int
kt_authz_in_branches(const uint64_t *branches, size_t nbranches, uint64_t b)
{
	for (size_t i = 0; i < nbranches; i++)
		if (branches[i] == b && b != 0)
			return 1;
	return 0;
}

int
kt_authz_client(uint64_t user_id, uint32_t role, const uint64_t *branches,
    size_t nbranches, kt_action_t a, uint64_t client_branch,
    uint64_t client_manager)
{
	kt_scope_t see = kt_authz_scope(role, KT_ACT_SEE_CLIENT);
	kt_scope_t scope = kt_authz_scope(role, a);

	/* Outside what the user can see: the client "does not exist". */
	if (see == KT_SCOPE_NONE || (see != KT_SCOPE_ALL &&
	    !kt_authz_in_branches(branches, nbranches, client_branch)))
		return KT_ENOTFOUND;
	switch (scope) {
	case KT_SCOPE_ALL:
		return 0;
	case KT_SCOPE_BRANCHES:
		return kt_authz_in_branches(branches, nbranches,
		    client_branch) ? 0 : KT_EPERM;
	case KT_SCOPE_MANAGED:
		return kt_authz_in_branches(branches, nbranches,
		    client_branch) && client_manager == user_id ? 0 : KT_EPERM;
	case KT_SCOPE_NONE:
		break;
	}
	return KT_EPERM;
}

const char *
kt_authz_action_name(kt_action_t a)
{
	return (unsigned)a < KT_ACT_COUNT ? table[a].name : "unknown action";
}
