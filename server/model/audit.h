/* SPDX-License-Identifier: MIT */
/* The hash-chained audit log: append inside a write transaction, signed
 * checkpoints, verification of the whole chain, and the owner's readers
 * (filtered scans, the per-day activity summary; the names of an entry
 * are model/audit_names.h's, which may depend on the stores that
 * append here). */
#ifndef KT_AUDIT_H
#define KT_AUDIT_H

#include <stdint.h>

#include "records.pb-c.h"
#include "model/store.h"

/* Every action the audit log records, with the name stored in the entry
 * (AuditEntry.action). The names are part of what the owner reads and
 * scripts grep for: add new ones, never rename. X(enum suffix, name). */
#define KT_AUDIT_ACTIONS(X)                                              \
	X(INIT, "init")                                                  \
	X(ENROLL, "enroll")                                              \
	X(ENROLL_FAILED, "enroll.failed")                                \
	X(LOGIN, "login")                                                \
	X(LOGIN_FAILED, "login.failed")                                  \
	X(LOGOUT, "logout")                                              \
	X(BRANCH_ADD, "branch.add")                                      \
	X(BRANCH_RENAME, "branch.rename")                                \
	X(BRANCH_ARCHIVE, "branch.archive")                              \
	X(BRANCH_RESTORE, "branch.restore")                              \
	X(BRANCH_LIST, "branch.list")                                    \
	X(USER_ADD, "user.add")                                          \
	X(USER_CHANGE, "user.change")                                    \
	X(USER_PASSWORD, "user.password")                                \
	X(USER_DISABLE, "user.disable")                                  \
	X(USER_ENABLE, "user.enable")                                    \
	X(USER_LIST, "user.list")                                        \
	X(TERMINAL_INVITE, "terminal.invite")                            \
	X(TERMINAL_LIST, "terminal.list")                                \
	X(TERMINAL_REVOKE, "terminal.revoke")                            \
	X(CLIENT_ADD, "client.add")                                      \
	X(CLIENT_VIEW, "client.view")                                    \
	X(CLIENT_EDIT, "client.edit")                                    \
	X(CLIENT_ARCHIVE, "client.archive")                              \
	X(CLIENT_RESTORE, "client.restore")                              \
	X(CLIENT_PURGE, "client.purge")                                  \
	X(CLIENT_REASSIGN, "client.reassign")                            \
	X(CLIENT_FIND, "client.find")                                    \
	X(CLIENT_LIST, "client.list")                                    \
	X(CLIENT_MERGE, "client.merge")                                  \
	X(BRANCH_SET, "branch.set")                                      \
	X(ALERT_LIST, "alert.list")                                      \
	X(ALERT_ACK, "alert.ack")                                        \
	X(CLIENT_HISTORY, "client.history")                              \
	X(CLIENT_REVERT, "client.revert")                                \
	X(EXPORT, "export")                                              \
	X(USER_OFFBOARD, "user.offboard")                                \
	X(USER_RESTRICT, "user.restrict")                                \
	X(USER_UNRESTRICT, "user.unrestrict")                            \
	X(AUDIT_LIST, "audit.list")                                      \
	X(AUDIT_SUMMARY, "audit.summary")                                \
	X(AUDIT_CHECKPOINT, "audit.checkpoint")                          \
	X(RESUME, "resume")                                              \
	X(USER_UNLOCK, "user.unlock")                                    \
	X(NOTE_ADD, "note.add")                                          \
	X(NOTE_LIST, "note.list")                                        \
	X(DEAL_ADD, "deal.add")                                          \
	X(DEAL_EDIT, "deal.edit")                                        \
	X(DEAL_STAGE, "deal.stage")                                      \
	X(DEAL_LIST, "deal.list")                                        \
	X(TASK_ADD, "task.add")                                          \
	X(TASK_DONE, "task.done")                                        \
	X(TASK_REOPEN, "task.reopen")                                    \
	X(TASK_MOVE, "task.move")                                        \
	X(TASK_EDIT, "task.edit")                                        \
	X(TASK_LIST, "task.list")                                        \
	X(AGENDA, "agenda")                                              \
	X(REPORT, "report")                                              \
	X(PERSON_ADD, "person.add")                                      \
	X(PERSON_EDIT, "person.edit")                                    \
	X(PERSON_REMOVE, "person.remove")                                \
	X(BACKUP, "backup")                                              \
	X(RESTORE, "restore")                                            \
	X(IMPORT, "import")                                              \
	X(IMPORT_DRY_RUN, "import.dryrun")

typedef enum kt_audit_action {
	KT_AUDIT_NONE = 0,            /* not audited (ops that only read the
					 caller's own state: ping, whoami) */
#define KT_AUDIT_ENUM(e, name) KT_AUDIT_##e,
	KT_AUDIT_ACTIONS(KT_AUDIT_ENUM)
#undef KT_AUDIT_ENUM
	KT_AUDIT_ACTION_COUNT
} kt_audit_action_t;

/* The stored name of a ("client.view"); "" for KT_AUDIT_NONE and for
 * values out of range. Static storage. */
const char *kt_audit_action_name(kt_audit_action_t a);

/* The action named name, or KT_AUDIT_NONE. */
kt_audit_action_t kt_audit_action_by_name(const char *name);

/* One event to record. Strings may be NULL (stored empty). */
typedef struct kt_audit_event {
	uint64_t user_id;             /* 0 = nobody / system */
	const uint8_t *terminal_key;  /* 32 bytes or NULL for a local command */
	kt_audit_action_t action;
	const char *object;           /* "user:3", "terminal:<hex>", ... */
	uint32_t outcome;             /* kartoteka.Error.Code; 0 = OK */
	const char *detail;
} kt_audit_event_t;

/* Who an audited change is done by: the user and terminal of a request,
 * or (user 0, no terminal) a local command of kartotekad. sign_sk is the
 * server's Ed25519 key for checkpoints, NULL where the command has none
 * (the server signs the next checkpoint then). The pointers are borrowed
 * for the call. */
typedef struct kt_actor {
	uint64_t user_id;
	const uint8_t *terminal_key;  /* 32 bytes or NULL */
	const uint8_t *sign_sk;       /* 64 bytes or NULL */
} kt_actor_t;

/* kt_audit_record appends one entry by actor inside the write transaction
 * txn: kt_audit_append with the actor's fields. Returns as
 * kt_audit_append. */
int kt_audit_record(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    kt_audit_action_t action, const char *object, uint32_t outcome,
    const char *detail);

/* kt_audit_append appends ev to the chain inside the write transaction txn
 * (the same one that carries the change it records). Reads the tail inside
 * txn, so concurrent writer processes (offline commands) stay ordered.
 * When sign_key is not NULL and the new sequence number is a multiple of
 * KT_AUDIT_CHECKPOINT_EVERY, also stores a signed checkpoint.
 *   [out] seq  the new entry's sequence number (may be NULL)
 * KT_ESTORE also when the tail and the chain are out of step (then
 * nothing is appended: the chain is never restarted silently).
 * Returns 0, KT_ENOSPC, KT_ESTORE, KT_ENOMEM. */
#define KT_AUDIT_CHECKPOINT_EVERY 1000u
int kt_audit_append(kt_store_t *st, MDB_txn *txn, const kt_audit_event_t *ev,
    const uint8_t *sign_key /* Ed25519 secret key, 64 bytes, or NULL */,
    uint64_t *seq);

/* kt_audit_verify walks the whole chain in a read transaction. Checks
 * that sequence numbers run 1..N without gaps, that every stored hash
 * equals BLAKE2b-256(prev || entry), that each entry's own seq matches its
 * key, that every stored checkpoint's signature (with sign_pk) and hash
 * match the chain, and, when checkpoint_file is given, that the chain
 * contains that checkpoint. sign_pk may be NULL: signatures are then not
 * checked, only the hashes. Also checks the meta "audit_tail" (last seq
 * and hash), so entries removed from the end are found.
 *   [out] bad_seq  first bad sequence number when the result is KT_EAUDIT:
 *                  the altered or reordered entry, the first missing one
 *                  for a removal; for a signed checkpoint whose hash no
 *                  longer matches a (recomputed) chain, the first entry
 *                  after the previous matching checkpoint; for a bad
 *                  checkpoint signature, that checkpoint's seq
 *   [out] last_seq number of entries found intact
 * Runs in one read transaction (see kt_store_read_begin).
 * Returns 0 (intact), KT_EAUDIT, KT_ESTORE, KT_EIO (checkpoint file
 * unreadable or malformed), KT_ECRYPTO (checkpoint file not signed with
 * sign_pk: another store's, or this store's key was replaced). */
int kt_audit_verify(kt_store_t *st, const uint8_t sign_pk[32],
    const char *checkpoint_file, uint64_t *bad_seq, uint64_t *last_seq);

/* kt_audit_export_checkpoint writes the latest signed checkpoint (making
 * one for the current tail if none is current) to path, mode 0600, so the
 * owner can keep it elsewhere. The file is one line:
 *   "kartoteka-audit/1 <seq> <hash, 64 hex> <Ed25519 signature, 128 hex>\n"
 * An empty chain gives a (not stored) checkpoint of seq 0, zero hash.
 * Runs its own write transaction (kt_store_write_sync): not on the loop.
 * Returns 0, KT_EIO, KT_ESTORE, KT_ENOSPC, KT_EPERM (read-only store). */
int kt_audit_export_checkpoint(kt_store_t *st, const uint8_t sign_sk[64],
    const char *path);

/* Called by kt_audit_tail with each entry, oldest first; e lives only
 * during the call. Returns 0 to go on, anything else to stop (returned
 * by kt_audit_tail). */
typedef int (*kt_audit_entry_fn)(const Ktstore__AuditEntry *e, void *arg);

/* kt_audit_tail hands the last n entries of the chain to fn, oldest
 * first, from one read transaction (offline tools and tests: it does not
 * check the hashes, kt_audit_verify does). Returns 0, fn's non-zero
 * answer, KT_ESTORE, or KT_EPROTO for an entry that does not decode. */
int kt_audit_tail(kt_store_t *st, size_t n, kt_audit_entry_fn fn,
    void *arg);

/* ---- checkpoints as values ---------------------------------------------- */

/* A signed checkpoint: Ed25519 over "kartoteka-audit/1" || BE64 seq ||
 * hash, where hash is the chain hash of entry seq (zeros for seq 0). */
typedef struct kt_audit_cp {
	uint64_t seq;
	uint8_t hash[32];
	uint8_t sig[64];
} kt_audit_cp_t;

/* The checkpoint file is this one line (and nothing else, a final newline
 * optional): "kartoteka-audit/1 <seq> <hash: 64 hex> <sig: 128 hex>\n". */
#define KT_AUDIT_CP_LINE_MAX 256u

/* kt_audit_cp_line writes cp's file line (with its newline) into out. */
void kt_audit_cp_line(const kt_audit_cp_t *cp,
    char out[static KT_AUDIT_CP_LINE_MAX]);

/* kt_audit_cp_parse reads a checkpoint file's text (len bytes, hostile).
 *   [out] why  on KT_EINVAL: what is wrong, naming the part ("the hash is
 *              not 64 hex digits")
 * Returns 0 or KT_EINVAL. */
int kt_audit_cp_parse(const char *text, size_t len, kt_audit_cp_t *cp,
    char *why, size_t cap);

/* kt_audit_cp_read reads and parses the checkpoint file at path; why as
 * above, or the system's reason it cannot be read. Returns 0, KT_EIO,
 * KT_EINVAL. */
int kt_audit_cp_read(const char *path, kt_audit_cp_t *cp, char *why,
    size_t cap);

/* 1 when cp is signed with pk. */
int kt_audit_cp_signed_by(const kt_audit_cp_t *cp, const uint8_t pk[32]);

/* kt_audit_cp_now, inside the write transaction txn: the checkpoint of the
 * chain's tail, reusing the stored one when it is current and ours, else
 * signed with sign_sk and stored (an empty chain: seq 0, not stored).
 * Returns 0, KT_ENOSPC, KT_ESTORE. */
int kt_audit_cp_now(kt_store_t *st, MDB_txn *txn, const uint8_t sign_sk[64],
    kt_audit_cp_t *out);

/* kt_audit_cp_latest reads the newest stored checkpoint in txn. Returns 0,
 * KT_ENOTFOUND (none stored), KT_ESTORE. */
int kt_audit_cp_latest(MDB_txn *txn, const kt_store_dbs_t *db,
    kt_audit_cp_t *out);

/* ---- the owner's readers --------------------------------------------- */

/* Which entries a scan hands on. Every member set must match. */
typedef struct kt_audit_filter {
	int by_user;                  /* match user_id == user */
	uint64_t user;
	const char *object;           /* exact object ("client:7"); NULL/"" any */
	const char *action;           /* an action name, or a prefix ending in
					 '.' ("client."); NULL/"" any */
	int64_t from_ms;              /* time_ms >= from_ms; 0 open */
	int64_t to_ms;                /* time_ms < to_ms; 0 open */
} kt_audit_filter_t;

/* 1 when e matches f. */
int kt_audit_match(const kt_audit_filter_t *f, const Ktstore__AuditEntry *e);

/* What a scan's fn may answer besides 0 (taken, go on) and an error. */
#define KT_AUDIT_SCAN_STOP_AFTER 1   /* taken: stop after this entry */
#define KT_AUDIT_SCAN_STOP_BEFORE 2  /* not taken: the next page starts
					with this entry */

/* How far a dated scan looks past its bounds: entries are in the order
 * they were appended, and their clock may have stepped back a little. */
#define KT_AUDIT_CLOCK_SLACK_MS 60000

/* kt_audit_scan hands fn every entry after seq `after` that matches f,
 * oldest first, within txn (any read transaction: the caller's own on a
 * pool thread for a long one). With after 0 and f->from_ms, it starts by
 * a binary search on time (less KT_AUDIT_CLOCK_SLACK_MS); with f->to_ms it
 * stops once entries are that far past to_ms. At most max_read entries are
 * read (0: no bound).
 *   [out] resume  0 when the scan reached its end; else the seq to pass as
 *                 `after` to go on
 *   [out] nread   entries read (decoded), for the cost
 * Returns 0, fn's negative answer, KT_ESTORE, KT_EPROTO. */
int kt_audit_scan(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_audit_filter_t *f, uint64_t after, uint64_t max_read,
    kt_audit_entry_fn fn, void *arg, uint64_t *resume, uint64_t *nread);

/* One day of a user's activity (see kt_audit_summary). */
typedef struct kt_audit_day {
	int64_t start_ms;             /* the day's local midnight, unix ms */
	char date[11];                /* YYYY-MM-DD */
	uint32_t views;               /* client.view, client.history OK */
	uint64_t rows;                /* rows=N of client.list / client.find OK */
	uint32_t searches;            /* client.find OK */
	uint32_t changes;             /* client changes made (add, edit,
					 archive, restore, purge, reassign,
					 merge, revert) */
	uint32_t refusals;            /* the user's entries with an outcome
					 other than OK */
} kt_audit_day_t;

#define KT_AUDIT_SUMMARY_DAYS_MAX 366u

/* kt_audit_summary counts the activity of user on the ndays days (1 ..
 * KT_AUDIT_SUMMARY_DAYS_MAX) whose start_ms (and date, for the caller)
 * the caller set in days[], oldest first, the last ending at end_ms: the
 * days of the user's business day (ops/audit.h makes them). This is the
 * one place where the per-day counting is defined (audit summary and
 * offboarding print it). Reads within txn.
 *   [out] nread  entries read
 * Returns 0, KT_EINVAL (ndays, or days not in order), KT_ESTORE,
 * KT_EPROTO. */
int kt_audit_summary(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t user,
    kt_audit_day_t *days, unsigned ndays, int64_t end_ms, uint64_t *nread);

#endif
