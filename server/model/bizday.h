/* SPDX-License-Identifier: MIT */
/* Business days (DESIGN §4): quotas, counters and sessions follow the
 * calendar day of the time zone of the user's branch, not the UTC day. A
 * zone is read once from the system's tz database (TZif files under
 * /usr/share/zoneinfo, or /etc/localtime for the system's own) into a
 * cache that the server owns; lookups never touch the disk again. */
#ifndef KT_BIZDAY_H
#define KT_BIZDAY_H

#include <stddef.h>
#include <stdint.h>

#include "model/store.h"
#include "model/user_store.h"

typedef struct kt_tz kt_tz_t;

/* kt_tz_load reads zone name: an IANA name ("Asia/Vladivostok"), "UTC",
 * or "" for the system's zone (/etc/localtime). zoneinfo is the directory
 * of the tz database (NULL: /usr/share/zoneinfo). [out] *out is freed
 * with kt_tz_free. On failure err says why, naming the zone.
 * Returns 0, KT_EINVAL (not a zone name, or not a TZif file),
 * KT_ENOTFOUND (no such zone), KT_ENOMEM. */
int kt_tz_load(const char *zoneinfo, const char *name, kt_tz_t **out,
    char *err, size_t cap);

void kt_tz_free(kt_tz_t *tz);

/* The zone's name as loaded ("" for the system's). Owned by tz. */
const char *kt_tz_name(const kt_tz_t *tz);

/* Seconds east of UTC in tz at unix time t. Past the zone's last
 * transition: the offset of its rule when the rule has no daylight
 * saving time, else that of the last transition (the tz database's
 * files list transitions up to 2037). */
int32_t kt_tz_offset(const kt_tz_t *tz, int64_t t);

/* The business day of unix time t in tz: days since 1970-01-01 of the
 * local calendar. [out] *day_end (may be NULL) is the unix time of the
 * next local midnight. */
uint32_t kt_tz_day(const kt_tz_t *tz, int64_t t, int64_t *day_end);

/* Minutes after local midnight at t in tz (0..1439). */
unsigned kt_tz_minute(const kt_tz_t *tz, int64_t t);

/* ---- the server's cache -------------------------------------------------- */

typedef struct kt_tzcache kt_tzcache_t;

/* kt_tzcache_new makes a cache whose default zone (branches without one)
 * is default_name (as kt_tz_load; "" = the system's). [out] *out is freed
 * with kt_tzcache_free. Returns kt_tz_load's codes. */
int kt_tzcache_new(const char *zoneinfo, const char *default_name,
    kt_tzcache_t **out, char *err, size_t cap);

void kt_tzcache_free(kt_tzcache_t *c);

/* The zone name (loading it on first use: callers on the loop pass only
 * names the writer has loaded before, see kt_tzcache_check), or the
 * default zone for "" / NULL or a name that cannot be loaded. Never NULL;
 * valid until kt_tzcache_free. Thread-safe. */
const kt_tz_t *kt_tzcache_get(kt_tzcache_t *c, const char *name);

/* kt_tzcache_check loads name into the cache (from the writer thread or a
 * command: it may read a file). Returns kt_tz_load's codes with err. */
int kt_tzcache_check(kt_tzcache_t *c, const char *name, char *err,
    size_t cap);

/* The zone of user u: that of u's first branch (the owner, who has none,
 * and branches without one: the default). Inside txn. */
const kt_tz_t *kt_bizday_zone(kt_tzcache_t *c, MDB_txn *txn,
    const kt_store_dbs_t *db, const kt_user_t *u);

/* The zone of branch (0: the default). Inside txn. */
const kt_tz_t *kt_bizday_branch_zone(kt_tzcache_t *c, MDB_txn *txn,
    const kt_store_dbs_t *db, uint64_t branch);

#endif
