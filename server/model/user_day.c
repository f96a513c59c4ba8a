/* SPDX-License-Identifier: MIT */
/* Per-user business-day counters, quotas and their alerts (user_day.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_error.h"
#include "model/alert_store.h"
#include "model/user_day.h"

static void
day_key(uint8_t k[12], uint64_t user, uint32_t day)
{
	kt_store_be64(k, user);
	k[8] = (uint8_t)(day >> 24);
	k[9] = (uint8_t)(day >> 16);
	k[10] = (uint8_t)(day >> 8);
	k[11] = (uint8_t)day;
}

static void
seen_key(uint8_t k[20], uint64_t user, uint32_t day, uint64_t client)
{
	day_key(k, user, day);
	kt_store_be64(k + 12, client);
}

int
kt_uday_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t user,
    uint32_t day, Ktstore__UserDayRecord **out)
{
	uint8_t key[12];
	int rc;

	day_key(key, user, day);
	rc = kt_store_get_record(txn, db->user_days, key, sizeof(key),
	    &ktstore__user_day_record__descriptor, (ProtobufCMessage **)out);
	if (rc != KT_ENOTFOUND)
		return rc;
	if ((*out = malloc(sizeof(**out))) == NULL)
		return KT_ENOMEM;
	ktstore__user_day_record__init(*out);
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t
median_of(uint32_t *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u32);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void
kt_uday_median(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t user,
    uint32_t day, uint32_t *views, uint32_t *rows)
{
	uint32_t vs[30], rs[30];
	uint8_t lo[12], hi[12];
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	size_t n = 0;
	int m;

	*views = *rows = 0;
	day_key(lo, user, day > 30 ? day - 30 : 0);
	day_key(hi, user, day);
	if (mdb_cursor_open(txn, db->user_days, &cur) != 0)
		return;
	k.mv_size = sizeof(lo);
	k.mv_data = lo;
	for (m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); m == 0 && n < 30;
	    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Ktstore__UserDayRecord *d;
		if (k.mv_size != 12 || memcmp(k.mv_data, hi, 12) >= 0)
			break;
		d = ktstore__user_day_record__unpack(NULL, v.mv_size,
		    v.mv_data);
		if (d == NULL)
			continue;
		if (d->views != 0 || d->rows != 0) {
			vs[n] = d->views;
			rs[n++] = d->rows;
		}
		ktstore__user_day_record__free_unpacked(d, NULL);
	}
	mdb_cursor_close(cur);
	*views = median_of(vs, n);
	*rows = median_of(rs, n);
}

/* Deletes the keys of dbi from user || day 0 up to (not including)
 * user || before (keylen 12 or 20: both start with that). */
static int
drop_before(MDB_txn *txn, MDB_dbi dbi, uint64_t user, uint32_t before)
{
	uint8_t lo[12], hi[12];
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int m;

	day_key(lo, user, 0);
	day_key(hi, user, before);
	if ((m = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return kt_store_err(m);
	k.mv_size = sizeof(lo);
	k.mv_data = lo;
	for (m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); m == 0;
	    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 12 || memcmp(k.mv_data, hi, 12) >= 0)
			break;
		if ((m = mdb_cursor_del(cur, 0)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return m == 0 || m == MDB_NOTFOUND ? 0 : kt_store_err(m);
}

/* The day record of who, with the first touch of a day doing the day's
 * housekeeping: counters past KT_UDAY_KEEP_DAYS and the rows seen on
 * earlier days are dropped, and the medians of the spike alert taken.
 * [out] *d freed by the caller. */
static int
day_load(MDB_txn *txn, const kt_store_dbs_t *db, const kt_uday_who_t *who,
    Ktstore__UserDayRecord **d, int *had_day)
{
	uint64_t user = who->user->id;
	int rc;

	if ((rc = kt_uday_get(txn, db, user, who->day, d)) != 0)
		return rc;
	*had_day = ((*d)->alerted & KT_UDAY_ALERTED_MEDIAN) != 0;
	if (*had_day)
		return 0;
	kt_uday_median(txn, db, user, who->day, &(*d)->median_views,
	    &(*d)->median_rows);
	(*d)->alerted |= KT_UDAY_ALERTED_MEDIAN;
	if ((rc = drop_before(txn, db->client_seen, user, who->day)) != 0 ||
	    (who->day > KT_UDAY_KEEP_DAYS &&
	    (rc = drop_before(txn, db->user_days, user,
	    who->day - KT_UDAY_KEEP_DAYS)) != 0)) {
		ktstore__user_day_record__free_unpacked(*d, NULL);
		*d = NULL;
	}
	return rc;
}

/* day_load for a count that is always written. */
static int
day_load_any(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_uday_who_t *who, Ktstore__UserDayRecord **d)
{
	int had_day;

	return day_load(txn, db, who, d, &had_day);
}

static int
day_store(MDB_txn *txn, const kt_store_dbs_t *db, const kt_uday_who_t *who,
    Ktstore__UserDayRecord *d)
{
	uint8_t key[12];

	day_key(key, who->user->id, who->day);
	return kt_store_put_record(txn, db->user_days, key, sizeof(key),
	    &d->base, 0);
}

/* Raises kind about who once a day (bit of d->alerted). */
static int
alert_once(kt_store_t *st, MDB_txn *txn, const kt_uday_who_t *who,
    Ktstore__UserDayRecord *d, uint32_t bit, kt_alert_kind_t kind,
    uint64_t count, uint64_t limit, const char *what)
{
	kt_alert_t a = { .kind = kind, .user = who->user->id,
		.terminal = who->terminal, .count = count, .limit = limit };
	char detail[160];

	if (d->alerted & bit)
		return 0;
	d->alerted |= bit;
	snprintf(detail, sizeof(detail), "user %s: %" PRIu64 " %s today%s",
	    who->user->login, count, what, limit ? "" : " (no quota)");
	if (limit != 0) {
		size_t n = strlen(detail);
		snprintf(detail + n, sizeof(detail) - n, " of %" PRIu64, limit);
	}
	a.detail = detail;
	return kt_alert_raise(st, txn, &a, NULL);
}

/* The alerts of a count that grew to count (quota limit, 0 = none):
 * 80 %, 100 %, and a spike over median. */
static int
count_alerts(kt_store_t *st, MDB_txn *txn, const kt_uday_who_t *who,
    Ktstore__UserDayRecord *d, uint32_t count, uint32_t limit,
    uint32_t median, uint32_t spike_min, int rows)
{
	const char *what = rows ? "clients listed" : "full cards";
	int rc = 0;

	if (who->user->role == KARTOTEKA__ROLE__OWNER)
		return 0;       /* the owner is counted, and alerts the owner */
	if (limit != 0 && (uint64_t)count * 5 >= (uint64_t)limit * 4)
		rc = alert_once(st, txn, who, d, rows ?
		    KT_UDAY_ALERTED_ROWS_WARN : KT_UDAY_ALERTED_VIEWS_WARN,
		    KT_ALERT_QUOTA_WARN, count, limit, what);
	if (rc == 0 && limit != 0 && count >= limit)
		rc = alert_once(st, txn, who, d, rows ?
		    KT_UDAY_ALERTED_ROWS_SPENT : KT_UDAY_ALERTED_VIEWS_SPENT,
		    KT_ALERT_QUOTA_SPENT, count, limit, what);
	if (rc == 0 && count >= spike_min &&
	    (uint64_t)count > (uint64_t)median * KT_SPIKE_FACTOR)
		rc = alert_once(st, txn, who, d, rows ?
		    KT_UDAY_ALERTED_SPIKE_ROWS : KT_UDAY_ALERTED_SPIKE_VIEWS,
		    KT_ALERT_SPIKE, count, 0, what);
	return rc;
}

int
kt_uday_view(kt_store_t *st, MDB_txn *txn, const kt_uday_who_t *who,
    uint32_t *count, uint32_t *limit)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__UserDayRecord *d = NULL;
	int rc;

	*limit = kt_user_view_quota(who->user);
	if ((rc = day_load_any(txn, db, who, &d)) != 0)
		return rc;
	*count = d->views;
	if (*limit != 0 && d->views >= *limit) {
		rc = KT_EPERM;
		goto out;
	}
	*count = ++d->views;
	if ((rc = count_alerts(st, txn, who, d, d->views, *limit,
	    d->median_views, KT_SPIKE_MIN_VIEWS, 0)) == 0)
		rc = day_store(txn, db, who, d);
out:
	ktstore__user_day_record__free_unpacked(d, NULL);
	return rc;
}

int
kt_uday_rows(kt_store_t *st, MDB_txn *txn, const kt_uday_who_t *who,
    const uint64_t *ids, size_t n, uint32_t *count, uint32_t *fresh,
    uint32_t *limit)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__UserDayRecord *d = NULL;
	uint8_t key[20];
	MDB_val k = { sizeof(key), key }, v = { 0, key };
	uint32_t add = 0, alerted;
	int rc, m, had_day;

	*limit = kt_user_row_quota(who->user);
	*fresh = 0;
	if ((rc = day_load(txn, db, who, &d, &had_day)) != 0)
		return rc;
	*count = d->rows;
	for (size_t i = 0; i < n; i++) {
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j++)
			dup = ids[j] == ids[i];
		seen_key(key, who->user->id, who->day, ids[i]);
		if (!dup && (m = mdb_get(txn, db->client_seen, &k, &v)) != 0) {
			if (m != MDB_NOTFOUND) {
				rc = kt_store_err(m);
				goto out;
			}
			add++;
		}
	}
	if (*limit != 0 && (uint64_t)d->rows + add > *limit) {
		/* Refused: only the alert that the quota is used up. */
		rc = alert_once(st, txn, who, d, KT_UDAY_ALERTED_ROWS_SPENT,
		    KT_ALERT_QUOTA_SPENT, d->rows, *limit, "clients listed");
		if (rc == 0)
			rc = day_store(txn, db, who, d);
		if (rc == 0)
			rc = KT_EPERM;
		goto out;
	}
	for (size_t i = 0; i < n && add != 0; i++) {
		seen_key(key, who->user->id, who->day, ids[i]);
		v.mv_size = 0;
		v.mv_data = key;
		m = mdb_put(txn, db->client_seen, &k, &v, MDB_NOOVERWRITE);
		if (m != 0 && m != MDB_KEYEXIST) {
			rc = kt_store_err(m);
			goto out;
		}
	}
	d->rows += add;
	*count = d->rows;
	*fresh = add;
	alerted = d->alerted;
	if ((rc = count_alerts(st, txn, who, d, d->rows, *limit,
	    d->median_rows, KT_SPIKE_MIN_ROWS, 1)) == 0 &&
	    (add != 0 || d->alerted != alerted || !had_day))
		rc = day_store(txn, db, who, d);  /* paging back writes nothing */
out:
	ktstore__user_day_record__free_unpacked(d, NULL);
	return rc;
}

int
kt_uday_dup(kt_store_t *st, MDB_txn *txn, const kt_uday_who_t *who,
    uint32_t *count)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__UserDayRecord *d = NULL;
	int rc;

	if ((rc = day_load_any(txn, db, who, &d)) != 0)
		return rc;
	*count = d->dup_refusals;
	if (d->dup_refusals >= KT_DUP_BUDGET) {
		rc = KT_EPERM;
		goto out;
	}
	*count = ++d->dup_refusals;
	if (d->dup_refusals == KT_DUP_BUDGET)
		rc = alert_once(st, txn, who, d, KT_UDAY_ALERTED_DUPS,
		    KT_ALERT_DUP_BUDGET, d->dup_refusals, KT_DUP_BUDGET,
		    "duplicate refusals");
	if (rc == 0)
		rc = day_store(txn, db, who, d);
out:
	ktstore__user_day_record__free_unpacked(d, NULL);
	return rc;
}

int
kt_uday_destructive(kt_store_t *st, MDB_txn *txn, const kt_uday_who_t *who,
    uint32_t *count)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__UserDayRecord *d = NULL;
	uint32_t hour = (uint32_t)(who->now / 3600);
	int rc;

	if ((rc = day_load_any(txn, db, who, &d)) != 0)
		return rc;
	if (d->destructive_hour != hour) {
		d->destructive_hour = hour;
		d->destructive = 0;
	}
	*count = ++d->destructive;
	if (d->destructive == KT_DESTRUCTIVE_BURST + 1) {
		kt_alert_t a = { .kind = KT_ALERT_DESTRUCTIVE,
			.user = who->user->id, .terminal = who->terminal,
			.count = d->destructive,
			.limit = KT_DESTRUCTIVE_BURST };
		char detail[160];
		snprintf(detail, sizeof(detail), "user %s removed people or "
		    "contacts from %u cards within an hour: see client "
		    "history to revert", who->user->login, d->destructive);
		a.detail = detail;
		rc = kt_alert_raise(st, txn, &a, NULL);
	}
	if (rc == 0)
		rc = day_store(txn, db, who, d);
	ktstore__user_day_record__free_unpacked(d, NULL);
	return rc;
}

int
kt_uday_migrate_v3(kt_store_t *st, MDB_txn *txn)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	MDB_cursor *cur = NULL;
	MDB_dbi old;
	MDB_val k, v;
	int rc = 0, m;

	m = mdb_dbi_open(txn, "client_views", 0, &old);
	if (m == MDB_NOTFOUND)
		return 0;
	if (m != 0)
		return kt_store_err(m);
	if ((m = mdb_cursor_open(txn, old, &cur)) != 0)
		return kt_store_err(m);
	for (m = mdb_cursor_get(cur, &k, &v, MDB_FIRST); m == 0 && rc == 0;
	    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Ktstore__UserDayRecord d = KTSTORE__USER_DAY_RECORD__INIT;
		const uint8_t *p = v.mv_data;
		if (k.mv_size != 12 || v.mv_size != 4)
			continue;
		d.views = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
		rc = kt_store_put_record(txn, db->user_days, k.mv_data, 12,
		    &d.base, 0);
	}
	mdb_cursor_close(cur);
	if (rc == 0 && m != 0 && m != MDB_NOTFOUND)
		rc = kt_store_err(m);
	if (rc == 0)
		rc = kt_store_err(mdb_drop(txn, old, 1));
	return rc;
}
