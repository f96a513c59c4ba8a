/* SPDX-License-Identifier: MIT */
/* Login sessions in the store: records keyed by the hash of their token,
 * bound to a terminal key, and ended one by one (logout) or all of a user
 * at once (new password, disable). */
#ifndef KT_SESSION_STORE_H
#define KT_SESSION_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "model/store.h"

/* kt_session_rec_put stores a session of user for terminal_key, valid
 * from now until expires, under token_hash (BLAKE2b-256 of the token).
 * Write transaction. Returns 0, KT_EEXIST, KT_ENOSPC, KT_ESTORE. */
int kt_session_rec_put(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32], uint64_t user,
    const uint8_t terminal_key[static 32], int64_t now, int64_t expires);

/* kt_session_rec_check: is the session under token_hash alive at now and
 * bound to terminal_key? Fills *user and *expires (whether the user may
 * still work is for the caller to decide, with the user's record).
 * Returns 0, KT_ENOTFOUND, KT_EEXPIRED, KT_EPERM (another terminal's),
 * KT_ESTORE, KT_EPROTO. */
int kt_session_rec_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32],
    const uint8_t terminal_key[static 32], int64_t now, uint64_t *user,
    int64_t *expires);

/* kt_session_rec_del deletes the session under token_hash (none is
 * fine). Write transaction. Returns 0, KT_ESTORE. */
int kt_session_rec_del(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32]);

/* kt_sessions_end_user deletes every session of user; *ended counts them.
 * Write transaction. Returns 0, KT_ESTORE. */
int kt_sessions_end_user(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t user, size_t *ended);

#endif
