/* SPDX-License-Identifier: MIT */
/* What each user does per business day, counted and limited (DESIGN §4,
 * §7): full card views, distinct clients shown in lists, duplicate
 * refusals and destructive edits, in "user_days" and "client_seen", with
 * the alerts they raise (80 % and 100 % of a quota, a spike over the
 * user's median, the duplicate budget spent, a burst of destructive
 * edits). Every function runs inside a writer mutation, so a count and
 * its alert commit with the answer's audit entry. */
#ifndef KT_USER_DAY_H
#define KT_USER_DAY_H

#include <stddef.h>
#include <stdint.h>

#include "model/store.h"
#include "model/user_store.h"

#define KT_DUP_BUDGET 20u          /* duplicate refusals a day */
#define KT_DESTRUCTIVE_BURST 10u   /* cards losing people/contacts an hour */
#define KT_SPIKE_FACTOR 3u         /* times the 30-day median */
#define KT_SPIKE_MIN_VIEWS 50u
#define KT_SPIKE_MIN_ROWS 500u
#define KT_UDAY_KEEP_DAYS 62u      /* counters kept this many days */

/* Bits of UserDayRecord.alerted: each alert once a day. */
enum {
	KT_UDAY_ALERTED_VIEWS_WARN = 1u << 0,
	KT_UDAY_ALERTED_VIEWS_SPENT = 1u << 1,
	KT_UDAY_ALERTED_ROWS_WARN = 1u << 2,
	KT_UDAY_ALERTED_ROWS_SPENT = 1u << 3,
	KT_UDAY_ALERTED_DUPS = 1u << 4,
	KT_UDAY_ALERTED_SPIKE_VIEWS = 1u << 5,
	KT_UDAY_ALERTED_SPIKE_ROWS = 1u << 6,
	KT_UDAY_ALERTED_MEDIAN = 1u << 7,   /* medians below are computed */
};

/* Who is counted, on which day. terminal (32 bytes or NULL) goes into
 * the alerts. */
typedef struct kt_uday_who {
	const kt_user_t *user;
	uint32_t day;                 /* kt_tz_day of the user's zone */
	const uint8_t *terminal;
	int64_t now;                  /* unix seconds */
} kt_uday_who_t;

/* kt_uday_view counts one full card view of who, unless the user's view
 * quota (kt_user_view_quota; 0 = counted, never limited) is used up.
 * [out] *count views today after the call (or the count refused),
 * *limit the quota. Returns 0, KT_EPERM (quota used up: only the alert,
 * once a day, is written), KT_ENOSPC, KT_ESTORE. */
int kt_uday_view(kt_store_t *st, MDB_txn *txn, const kt_uday_who_t *who,
    uint32_t *count, uint32_t *limit);

/* kt_uday_rows counts the clients ids[n] shown to who in one answer: only
 * those not shown to who earlier that day count (paging back or typing a
 * search letter by letter costs nothing). When they would take the user
 * past the row quota nothing is counted. [out] *count distinct rows
 * today after the call (or before a refusal), *fresh how many of ids
 * were new, *limit the quota. Returns 0, KT_EPERM (quota: nothing
 * counted but the alert), KT_ENOSPC, KT_ESTORE. */
int kt_uday_rows(kt_store_t *st, MDB_txn *txn, const kt_uday_who_t *who,
    const uint64_t *ids, size_t n, uint32_t *count, uint32_t *fresh,
    uint32_t *limit);

/* kt_uday_dup takes one duplicate refusal from who's daily budget
 * (KT_DUP_BUDGET). [out] *count refusals today after the call. Returns 0,
 * KT_EPERM (the budget was spent before: nothing counted; the alert is
 * raised the first time), KT_ENOSPC, KT_ESTORE. */
int kt_uday_dup(kt_store_t *st, MDB_txn *txn, const kt_uday_who_t *who,
    uint32_t *count);

/* kt_uday_destructive counts one card that lost people or contacts by
 * who in the current hour; past KT_DESTRUCTIVE_BURST an alert is raised
 * (once an hour). [out] *count cards this hour. Returns 0, KT_ENOSPC,
 * KT_ESTORE. */
int kt_uday_destructive(kt_store_t *st, MDB_txn *txn,
    const kt_uday_who_t *who, uint32_t *count);

/* kt_uday_get reads user's counters of day (all zero when none) into
 * *out (caller frees with ktstore__user_day_record__free_unpacked).
 * Returns 0, KT_ESTORE, KT_EPROTO, KT_ENOMEM. */
int kt_uday_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t user,
    uint32_t day, Ktstore__UserDayRecord **out);

/* The median of user's views and rows over the days in [day - 30, day)
 * with any activity (0 when none). Inside txn. */
void kt_uday_median(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t user,
    uint32_t day, uint32_t *views, uint32_t *rows);

/* Schema 2 -> 3 (model/migrate.c): the view counters of "client_views"
 * (user || UTC day -> BE32) become the views of UserDayRecords, and the
 * old database is deleted. */
int kt_uday_migrate_v3(kt_store_t *st, MDB_txn *txn);

#endif
