/* SPDX-License-Identifier: MIT */
/* The contract between the dispatcher and the ops: what one row of the op
 * table says about an op, and the table of each domain (one ops file per
 * domain: auth, branch, user, terminal, client, ...). A handler gets its
 * request context and the decoded request; it reaches the connection,
 * the session and the writer only through the context (req.h). */
#ifndef KT_OPS_H
#define KT_OPS_H

#include <stddef.h>

#include "kartoteka.pb-c.h"
#include "model/audit.h"
#include "model/authz.h"
#include "req.h"

/* When an op may be sent. */
typedef enum kt_phase {
	KT_PHASE_ANY,         /* from any terminal, enrolled or not */
	KT_PHASE_ENROLLED,    /* from an enrolled terminal */
	KT_PHASE_LOGGED_IN,   /* with a live login session */
} kt_phase_t;

/* Row flags. */
enum {
	KT_OP_WRITE = 1u << 0,      /* changes the store (audit entries of
				       reads aside) */
	KT_OP_SECRET = 1u << 1,     /* carries a secret (password, token): the
				       op's state is wiped after use (the
				       decoded request always is) */
	KT_OP_SERIAL = 1u << 2,     /* one at a time per connection */
	KT_OP_ADDR_LIMIT = 1u << 3, /* counts against the per-address failure
				       limit (enrolment) */
	KT_OP_UNCAPPED = 1u << 4,   /* answered at once, so not subject to the
				       cap of requests in flight */
	KT_OP_RESERVE = 1u << 5,    /* its writes may use the store's reserve
				       (--max-store-size): login, resume,
				       logout still work on a full store */
};

/* A handler: owns r (req.h says how it must end); msg is the decoded
 * request, valid only during the call (copy what outlives it). The
 * dispatcher has checked the row's phase, limits and class of action, and
 * that msg's op member is present. */
typedef void (*kt_op_fn)(kt_req_t *r, const Kartoteka__Request *msg);

typedef struct kt_op_row {
	Kartoteka__Request__OpCase op;  /* the Request oneof member */
	const char *label;              /* what it does, for messages: "add
					   branches" */
	kt_phase_t phase;
	unsigned flags;                 /* KT_OP_* */
	kt_action_t action;             /* class of action (authz.h) */
	kt_audit_action_t audit;        /* its audit action; refusals of the
					   class are audited under it */
	kt_op_fn handler;
	size_t state_size;              /* the op's state in its request */
} kt_op_row_t;

/* The rows of one domain. */
typedef struct kt_op_domain {
	const char *name;               /* "client" */
	const kt_op_row_t *rows;
	size_t n;
} kt_op_domain_t;

/* The domains (each defined in ops/<name>.c). */
extern const kt_op_domain_t kt_ops_auth;
extern const kt_op_domain_t kt_ops_branch;
extern const kt_op_domain_t kt_ops_user;
extern const kt_op_domain_t kt_ops_terminal;
extern const kt_op_domain_t kt_ops_client;
extern const kt_op_domain_t kt_ops_alert;
extern const kt_op_domain_t kt_ops_history;
extern const kt_op_domain_t kt_ops_export;
extern const kt_op_domain_t kt_ops_audit;
extern const kt_op_domain_t kt_ops_note;
extern const kt_op_domain_t kt_ops_deal;
extern const kt_op_domain_t kt_ops_task;
extern const kt_op_domain_t kt_ops_agenda;
extern const kt_op_domain_t kt_ops_person;
extern const kt_op_domain_t kt_ops_report;
extern const kt_op_domain_t kt_ops_backup;

#endif
