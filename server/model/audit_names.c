/* SPDX-License-Identifier: MIT */
/* Names of audit entries for the owner's readers (audit_names.h). */
#include <stdio.h>

#include "model/audit_names.h"
#include "model/branch_store.h"
#include "model/terminal_store.h"
#include "model/user_store.h"

void
kt_audit_names(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__AuditEntry *e, char *user, char *terminal, char *branch)
{
	Ktstore__TerminalRecord *t = NULL;

	kt_user_login(txn, db, e->user_id, user, KT_AUDIT_NAME_MAX + 1);
	terminal[0] = '\0';
	branch[0] = '\0';
	if (e->terminal_key.len != 32 || e->terminal_key.data == NULL ||
	    kt_terminal_get(txn, db, e->terminal_key.data, &t) != 0)
		return;
	snprintf(terminal, KT_AUDIT_NAME_MAX + 1, "%s",
	    t->name != NULL ? t->name : "");
	if (t->branch != 0)
		kt_branch_name(txn, db, t->branch, branch,
		    KT_AUDIT_NAME_MAX + 1);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}
