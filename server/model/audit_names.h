/* SPDX-License-Identifier: MIT */
/* The names of an audit entry as the owner reads it: the user's login,
 * the terminal's name and its branch's name, looked up now. Apart from
 * model/audit.c because the stores it reads append to the audit. */
#ifndef KT_AUDIT_NAMES_H
#define KT_AUDIT_NAMES_H

#include "model/store.h"
#include "records.pb-c.h"

/* Each buffer of kt_audit_names is at least KT_AUDIT_NAME_MAX + 1 bytes. */
#define KT_AUDIT_NAME_MAX 256u

/* kt_audit_names fills, within txn: user, e's user's login ("" for 0, a
 * local command; "#id" for a user that is gone); terminal, the name of
 * e's terminal; branch, that terminal's branch ("" for an owner
 * terminal). terminal and branch are "" when the entry has no terminal
 * or it is unknown (then the caller shows its key). Never fails: a store
 * error reads as unknown. */
void kt_audit_names(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__AuditEntry *e, char *user, char *terminal, char *branch);

#endif
