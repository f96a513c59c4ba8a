/* SPDX-License-Identifier: MIT */
/* Login sessions and failed logins in the store: session records keyed by
 * the hash of their token, bound to a terminal key, ending when unused
 * for their idle time or at their expiry, and ended one by one (logout),
 * all of a terminal at once (the next login there) or all of a user
 * (new password, disable); failed-login counts keyed by login and
 * terminal, so a guesser at one desk locks only that desk. */
#ifndef KT_SESSION_STORE_H
#define KT_SESSION_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "model/audit.h"
#include "model/store.h"
#include "records.pb-c.h"

/* kt_session_rec_put stores a session of user for terminal_key, valid
 * from now until expires, under token_hash (BLAKE2b-256 of the token),
 * without an idle limit. Write transaction. Returns 0, KT_EEXIST,
 * KT_ENOSPC, KT_ESTORE. */
int kt_session_rec_put(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32], uint64_t user,
    const uint8_t terminal_key[static 32], int64_t now, int64_t expires);

/* kt_session_rec_put_idle is kt_session_rec_put of a session that also
 * ends once unused for idle_s seconds (0: never). Returns as it. */
int kt_session_rec_put_idle(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32], uint64_t user,
    const uint8_t terminal_key[static 32], int64_t now, int64_t expires,
    int64_t idle_s);

/* What kt_session_rec_alive found (filled also for an expired one). */
typedef struct kt_session_info {
	uint64_t user;
	int64_t expires;                  /* unix seconds */
	int64_t idle_s;                   /* 0: no idle limit */
	int64_t last_used;                /* the later of the stored use and
					     the caller's used_at */
	int idle;                         /* 1: KT_EEXPIRED for idleness */
} kt_session_info_t;

/* kt_session_rec_alive: is the session under token_hash alive at now and
 * bound to terminal_key? Alive: before its expiry, and used less than its
 * idle time ago, the last use being the later of the stored one and
 * used_at (a use the caller saw outside the store, e.g. on an open
 * connection; 0: none). Fills *info (whether the user may still work is
 * for the caller to decide, with the user's record). Returns 0,
 * KT_ENOTFOUND, KT_EEXPIRED (past expiry or idle), KT_EPERM (another
 * terminal's), KT_ESTORE, KT_EPROTO. */
int kt_session_rec_alive(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32],
    const uint8_t terminal_key[static 32], int64_t now, int64_t used_at,
    kt_session_info_t *info);

/* kt_session_rec_check is kt_session_rec_alive without a use seen
 * elsewhere, filling only *user and *expires. Returns as it. */
int kt_session_rec_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32],
    const uint8_t terminal_key[static 32], int64_t now, uint64_t *user,
    int64_t *expires);

/* kt_session_rec_touch records a use of the session under token_hash at
 * now (its idle time starts again). Write transaction. Returns 0,
 * KT_ENOTFOUND, KT_ENOSPC, KT_ESTORE, KT_EPROTO. */
int kt_session_rec_touch(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32], int64_t now);

/* kt_session_rec_mark_two_addrs notes that the session's terminal was
 * seen on two addresses at once; *first is 1 when it had not been noted
 * before (raise the alert once per session). Write transaction. Returns
 * 0, KT_ENOTFOUND, KT_ENOSPC, KT_ESTORE, KT_EPROTO. */
int kt_session_rec_mark_two_addrs(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32], int *first);

/* kt_session_rec_del deletes the session under token_hash (none is
 * fine). Write transaction. Returns 0, KT_ESTORE. */
int kt_session_rec_del(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32]);

/* kt_sessions_end_user deletes every session of user; *ended counts them.
 * Write transaction. Returns 0, KT_ESTORE. */
int kt_sessions_end_user(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t user, size_t *ended);

/* kt_sessions_end_terminal deletes every session bound to terminal_key
 * (a shared desk holds one person at a time); *ended counts them and
 * *user gets the user of the most recently used one that was still alive
 * at now (0: none was). Write transaction. Returns 0, KT_ESTORE. */
int kt_sessions_end_terminal(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t terminal_key[static 32], int64_t now, size_t *ended,
    uint64_t *user);

/* ---- failed logins --------------------------------------------------------- */

/* The key of the failure count of login at terminal_key: the login's
 * bytes, then the 32-byte key. Returns its length (at most
 * KT_LOGIN_FAILURE_KEY_MAX). login is at most 64 bytes (a valid login). */
#define KT_LOGIN_FAILURE_KEY_MAX (64 + 32)
size_t kt_login_failure_key(uint8_t out[static KT_LOGIN_FAILURE_KEY_MAX],
    const char *login, const uint8_t terminal_key[static 32]);

/* kt_login_failure_get reads the count of login at terminal_key into *out
 * (the caller frees it with protobuf_c_message_free_unpacked(.., NULL)).
 * Returns 0, KT_ENOTFOUND, KT_ESTORE, KT_EPROTO. */
int kt_login_failure_get(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *login, const uint8_t terminal_key[static 32],
    Ktstore__LoginFailureRecord **out);

/* kt_login_failure_put stores f as the count of login at terminal_key.
 * Write transaction. Returns 0, KT_ENOSPC, KT_ESTORE. */
int kt_login_failure_put(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *login, const uint8_t terminal_key[static 32],
    const Ktstore__LoginFailureRecord *f);

/* kt_login_failure_del forgets the count of login at terminal_key (none
 * is fine). Write transaction. Returns 0, KT_ESTORE. */
int kt_login_failure_del(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *login, const uint8_t terminal_key[static 32]);

/* Failures that still count at now: a lock that has run out, or a last
 * failure longer than KT_LOGIN_FAILURE_MEMORY_S ago, counts nothing.
 * f may be NULL (0). */
#define KT_LOGIN_FAILURE_MEMORY_S (24 * 3600)
uint32_t kt_login_failures_now(const Ktstore__LoginFailureRecord *f,
    int64_t now);

/* kt_login_failures_spread counts, for login at now, the terminals where
 * its failures still count (*terminals) and those failures in all
 * (*failures); either may be NULL. Read or write transaction. Returns 0,
 * KT_ESTORE. */
int kt_login_failures_spread(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *login, int64_t now, unsigned *terminals,
    uint32_t *failures);

/* kt_login_unlock forgets every failure count of login, on every terminal
 * (and a count of the older login-only key); *cleared counts the rows,
 * *locked those that were locked at now. Write transaction. Returns 0,
 * KT_ESTORE. */
int kt_login_unlock(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *login, int64_t now, size_t *cleared, size_t *locked);

/* kt_login_unlock_user is the owner's unlock of login (the user's id:
 * user), for the protocol and for `kartotekad user unlock`:
 * kt_login_unlock with an audit entry (user.unlock) by actor saying how
 * many terminals were cleared. Write transaction. Returns 0, KT_ESTORE,
 * KT_ENOSPC, KT_ENOMEM. */
int kt_login_unlock_user(kt_store_t *st, MDB_txn *txn,
    const kt_actor_t *actor, const char *login, uint64_t user, int64_t now);

#endif
