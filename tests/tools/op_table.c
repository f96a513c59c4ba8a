/* SPDX-License-Identifier: MIT */
/* op_table: prints the server's op table (server/dispatch.c and the rows
 * of server/ops/) as the Markdown table of docs/ARCHITECTURE.md, so
 * the test docs.op_table can keep the document and the code the same. */
#include <stdio.h>

#include "dispatch.h"
#include "kartoteka.pb-c.h"
#include "model/audit.h"
#include "model/authz.h"

static const char *
phase_name(kt_phase_t p)
{
	switch (p) {
	case KT_PHASE_ANY: return "any";
	case KT_PHASE_ENROLLED: return "enrolled";
	case KT_PHASE_LOGGED_IN: return "logged in";
	}
	return "?";
}

static const char *
action_name(kt_action_t a)
{
	static const char *const names[KT_ACT_COUNT] = {
		[KT_ACT_SEE_CLIENT] = "SEE_CLIENT",
		[KT_ACT_FULL_CARD] = "FULL_CARD",
		[KT_ACT_LIST] = "LIST",
		[KT_ACT_CREATE_CLIENT] = "CREATE_CLIENT",
		[KT_ACT_EDIT_CLIENT] = "EDIT_CLIENT",
		[KT_ACT_REASSIGN] = "REASSIGN",
		[KT_ACT_LOG_CONTACT] = "LOG_CONTACT",
		[KT_ACT_DEAL] = "DEAL",
		[KT_ACT_ARCHIVE] = "ARCHIVE",
		[KT_ACT_PURGE] = "PURGE",
		[KT_ACT_EXPORT] = "EXPORT",
		[KT_ACT_ADMIN] = "ADMIN",
		[KT_ACT_AUDIT] = "AUDIT",
		[KT_ACT_OWN_SESSION] = "OWN_SESSION",
	};

	return (unsigned)a < KT_ACT_COUNT && names[a] ? names[a] : "?";
}

/* The row's flags as words ("write, secret"), "-" for none. */
static void
flag_words(unsigned flags, char *out, size_t cap)
{
	static const struct {
		unsigned bit;
		const char *word;
	} words[] = {
		{ KT_OP_WRITE, "write" }, { KT_OP_SECRET, "secret" },
		{ KT_OP_SERIAL, "serial" }, { KT_OP_ADDR_LIMIT, "addr-limit" },
		{ KT_OP_UNCAPPED, "uncapped" },
	};
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if ((flags & words[i].bit) && n < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s%s",
			    n ? ", " : "", words[i].word);
	if (n == 0)
		snprintf(out, cap, "-");
}

int
main(void)
{
	const kt_op_domain_t *const *d;
	size_t nd;

	d = kt_dispatch_domains(&nd);
	printf("| op (Request field) | domain | phase | flags | class "
	    "(owner/head/manager) | audit action |\n");
	printf("|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < nd; i++)
		for (size_t j = 0; j < d[i]->n; j++) {
			const kt_op_row_t *r = &d[i]->rows[j];
			const ProtobufCFieldDescriptor *f =
			    protobuf_c_message_descriptor_get_field(
			    &kartoteka__request__descriptor, (unsigned)r->op);
			static const char *const scope[] = { "-", "managed",
				"branches", "all" };
			const char *audit = kt_audit_action_name(r->audit);
			char flags[80];

			flag_words(r->flags, flags, sizeof(flags));
			printf("| `%s` = %u | %s | %s | %s | %s (%s/%s/%s) | %s "
			    "|\n", f ? f->name : "?", (unsigned)r->op,
			    d[i]->name, phase_name(r->phase), flags,
			    action_name(r->action),
			    scope[kt_authz_scope(KARTOTEKA__ROLE__OWNER,
			    r->action)],
			    scope[kt_authz_scope(KARTOTEKA__ROLE__HEAD,
			    r->action)],
			    scope[kt_authz_scope(KARTOTEKA__ROLE__MANAGER,
			    r->action)],
			    audit[0] ? audit : "-");
		}
	return 0;
}
