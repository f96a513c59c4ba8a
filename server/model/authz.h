/* SPDX-License-Identifier: MIT */
/* Who may do what: the one table of DESIGN section 4, and the check of an
 * action on a client card against it. The dispatcher asks here for every
 * op's class of action (server/dispatch.c); the client ops ask again for
 * the card at hand. */
#ifndef KT_AUTHZ_H
#define KT_AUTHZ_H

#include <stdint.h>

typedef enum kt_action {
	KT_ACT_SEE_CLIENT,      /* know it exists, see its row */
	KT_ACT_FULL_CARD,       /* contacts revealed (quota for managers) */
	KT_ACT_LIST,            /* list / search */
	KT_ACT_CREATE_CLIENT,
	KT_ACT_EDIT_CLIENT,
	KT_ACT_REASSIGN,
	KT_ACT_LOG_CONTACT,     /* interaction / task (the front desk logs
				   every caller of its branches) */
	KT_ACT_DEAL,            /* add or change a deal */
	KT_ACT_ARCHIVE,
	KT_ACT_PURGE,
	KT_ACT_EXPORT,
	KT_ACT_ADMIN,           /* users, terminals, branches */
	KT_ACT_AUDIT,           /* audit log, alerts */
	KT_ACT_OWN_SESSION,     /* the caller's own session: whoami, logout */
	KT_ACT_COUNT
} kt_action_t;

typedef enum kt_scope {
	KT_SCOPE_NONE,          /* never */
	KT_SCOPE_MANAGED,       /* clients it manages, in its branches */
	KT_SCOPE_BRANCHES,      /* anything in its branches */
	KT_SCOPE_ALL,           /* everything */
} kt_scope_t;

/* The table: the scope role (kartoteka.Role) has for action a.
 * An unknown role gets KT_SCOPE_NONE. */
kt_scope_t kt_authz_scope(uint32_t role, kt_action_t a);

/* The notice period (`user restrict`): a restricted head or manager keeps
 * only the actions that show nothing but masked rows and their own
 * session (see, list, own session): no full card, no change of any kind.
 * 1 when a restricted user keeps action a. */
int kt_authz_restricted_may(kt_action_t a);

/* The scope of action a for a user of role who is (restricted != 0) or is
 * not under notice: kt_authz_scope, or KT_SCOPE_NONE for an action the
 * notice period takes away. The dispatcher checks every op with it. */
kt_scope_t kt_authz_scope_of(uint32_t role, int restricted, kt_action_t a);

/* kt_authz_client decides action a on a client of branch client_branch
 * managed by client_manager, for a user (id, role, branches).
 * Returns 0 (allowed), KT_ENOTFOUND (the client is outside what the user
 * may see at all: answer as if it did not exist), or KT_EPERM (visible,
 * but this action is not allowed). */
int kt_authz_client(uint64_t user_id, uint32_t role, const uint64_t *branches,
    size_t nbranches, kt_action_t a, uint64_t client_branch,
    uint64_t client_manager);

/* 1 when a user with these branches works in branch b. */
int kt_authz_in_branches(const uint64_t *branches, size_t nbranches,
    uint64_t b);

/* Name of an action for messages and the audit ("edit client"). */
const char *kt_authz_action_name(kt_action_t a);

#endif
