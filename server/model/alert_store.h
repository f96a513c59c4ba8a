/* SPDX-License-Identifier: MIT */
/* Alerts for the owner (DESIGN §4, §7): raised inside the writer's
 * transaction next to the change or refusal they are about, stored in
 * "alerts" with ids and counts (never contacts), paged newest first and
 * acknowledged by the owner. Passing them to an external command is
 * jobs/alert_notify.c's job. */
#ifndef KT_ALERT_STORE_H
#define KT_ALERT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "model/store.h"
#include "records.pb-c.h"

/* Every kind of alert, with the name the owner reads and scripts match
 * (part of the JSON passed to --alert-command): add, never rename.
 * X(enum suffix, name, what it says). */
#define KT_ALERT_KINDS(X)                                                \
	X(QUOTA_WARN, "quota.warn", "80 % of a daily quota used")        \
	X(QUOTA_SPENT, "quota.spent", "a daily quota used up")           \
	X(SPIKE, "spike", "views or rows far above the user's median")   \
	X(DUP_BUDGET, "duplicates.budget",                               \
	    "the daily budget of duplicate refusals used up")            \
	X(DESTRUCTIVE, "edits.destructive",                              \
	    "people or contacts removed from many cards")                \
	X(LOCKOUT, "login.lockout", "a login locked on a terminal")      \
	X(LOGIN_FAILURES, "login.failures",                              \
	    "failed logins for one login on several terminals")          \
	X(OWNER_AT_BRANCH, "login.owner_at_branch",                      \
	    "the owner's login tried at a branch terminal")              \
	X(OFF_HOURS, "login.off_hours",                                  \
	    "a login outside the branch's working hours")                \
	X(TERMINAL_ENROLLED, "terminal.enrolled", "a new terminal")      \
	X(TERMINAL_TWO_ADDRS, "terminal.two_addresses",                  \
	    "a terminal used from two addresses at once")                \
	X(MERGE, "client.duplicate",                                     \
	    "two cards share a phone or e-mail: review and merge")       \
	X(EXPORT, "export", "the base was exported")                     \
	X(BACKUP, "backup", "a backup was made")                         \
	X(BACKUP_FAILED, "backup.failed",                                \
	    "a scheduled backup failed or is late")                       \
	X(RESTORED, "store.restored",                                    \
	    "the store was restored from a backup: review users and "    \
	    "terminals")                                                  \
	X(STORE_FULL, "store.full",                                      \
	    "the server's disk is full: changes, views and lists are "    \
	    "refused")

typedef enum kt_alert_kind {
	KT_ALERT_NONE = 0,
#define KT_ALERT_ENUM(e, name, what) KT_ALERT_##e,
	KT_ALERT_KINDS(KT_ALERT_ENUM)
#undef KT_ALERT_ENUM
	KT_ALERT_KIND_COUNT
} kt_alert_kind_t;

/* The name of kind ("quota.spent"), "" when out of range. Static. */
const char *kt_alert_kind_name(kt_alert_kind_t kind);

/* What kind says, in English ("a daily quota used up"). Static. */
const char *kt_alert_kind_what(kt_alert_kind_t kind);

/* The kind named name, or KT_ALERT_NONE. */
kt_alert_kind_t kt_alert_kind_by_name(const char *name);

/* One alert to raise. Every field but kind may be zero / NULL. The
 * pointers are borrowed for the call. */
typedef struct kt_alert {
	kt_alert_kind_t kind;
	uint64_t user;                /* who it is about */
	uint64_t client;              /* a card it is about */
	uint64_t other;               /* a second card (merge) */
	const uint8_t *terminal;      /* 32 bytes, or NULL */
	uint64_t count, limit;        /* e.g. 160 views of a quota of 200 */
	const char *detail;           /* ids and counts, never contacts */
	int64_t time_ms;              /* 0: now */
} kt_alert_t;

/* kt_alert_raise stores alert a under the next id (counter "alert") inside
 * txn, a writer mutation's transaction: the alert commits with the change
 * it is about, or not at all. [out] *id (may be NULL) gets its id.
 * Returns 0, KT_EINVAL (no kind), KT_ENOSPC, KT_ESTORE, KT_ENOMEM. */
int kt_alert_raise(kt_store_t *st, MDB_txn *txn, const kt_alert_t *a,
    uint64_t *id);

/* kt_alert_get reads alert id. [out] *rec is freed by the caller with
 * ktstore__alert_record__free_unpacked. Returns 0, KT_ENOTFOUND,
 * KT_ESTORE, KT_EPROTO. */
int kt_alert_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    Ktstore__AlertRecord **rec);

/* kt_alert_ack marks alert id acknowledged by user at now (unix seconds).
 * Write transaction. Returns 0, KT_ENOTFOUND, KT_EEXIST (acknowledged
 * before: nothing changed), KT_ENOSPC, KT_ESTORE, KT_EPROTO. */
int kt_alert_ack(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    uint64_t user, int64_t now);

/* Called by kt_alert_each for each alert; a non-zero return stops the
 * walk and is returned. rec is valid for the call only. */
typedef int (*kt_alert_fn)(const Ktstore__AlertRecord *rec, void *arg);

/* kt_alert_each walks alerts with ids below before (0: from the newest),
 * newest first, skipping acknowledged ones unless all, and stops after
 * limit alerts (0: no limit) were passed to fn. [out] *next (may be NULL)
 * is the id to pass as before for the next page, 0 when the walk reached
 * the oldest alert. Returns 0, fn's return, KT_ESTORE. */
int kt_alert_each(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t before,
    int all, size_t limit, kt_alert_fn fn, void *arg, uint64_t *next);

/* kt_alert_open_count counts the open alerts (for whoami / the agenda).
 * Returns 0, KT_ESTORE. */
int kt_alert_open_count(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t *n);

#endif
