/* SPDX-License-Identifier: MIT */
/* Deal records, their index and the client's deal activity
 * (deal_store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "kt_error.h"
#include "model/client_activity.h"
#include "model/client_store.h"
#include "model/deal_store.h"
#include "normalize.h"

#include "kartoteka.pb-c.h"

/* ==== fields ============================================================== */

int
kt_deal_open(uint32_t stage)
{
	return stage == KARTOTEKA__DEAL_STAGE__STAGE_NEW ||
	    stage == KARTOTEKA__DEAL_STAGE__STAGE_PROGRESS;
}

int
kt_deal_day(const char *s, uint32_t *out)
{
	kt_date_t d;

	*out = 0;
	if (s == NULL || strlen(s) != 10 || s[4] != '-' ||
	    kt_date_parse(s, &d, NULL) != 0 || d.year == 0)
		return KT_EINVAL;
	*out = d.year * 10000u + d.month * 100u + d.day;
	return 0;
}

/* 1 when s has something else than spaces. */
static int
has_text(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 1;
	return 0;
}

#define WHY(...) do { snprintf(why, cap, __VA_ARGS__); return KT_EINVAL; } \
	while (0)

int
kt_deal_check(const Ktstore__DealRecord *rec, char *why, size_t cap)
{
	const char *p;
	uint32_t from = 0, to = 0;

	if ((p = kt_text_problem(rec->title, 1, KT_DEAL_TITLE_MAX, 0)) != NULL)
		WHY("title: %s", p);
	if (!has_text(rec->title))
		WHY("title: is blank");
	if (rec->amount < 0)
		WHY("amount: is negative");
	if (rec->amount >= KT_DEAL_AMOUNT_LIMIT)
		WHY("amount: is 10^15 minor units or more");
	p = rec->currency;
	if (p == NULL || strlen(p) != 3 || p[0] < 'A' || p[0] > 'Z' ||
	    p[1] < 'A' || p[1] > 'Z' || p[2] < 'A' || p[2] > 'Z')
		WHY("currency: is not three capital letters (ISO 4217, "
		    "e.g. RUB)");
	if ((p = kt_text_problem(rec->course, 0, KT_DEAL_COURSE_MAX, 0)) !=
	    NULL)
		WHY("course: %s", p);
	if ((p = kt_text_problem(rec->note, 0, KT_DEAL_NOTE_MAX, 1)) != NULL)
		WHY("note: %s", p);
	if ((p = kt_text_problem(rec->reason, 0, KT_DEAL_REASON_MAX, 1)) !=
	    NULL)
		WHY("reason: %s", p);
	if (has_text(rec->valid_from) != has_text(rec->valid_to))
		WHY("valid_from: a subscription needs both its first and its "
		    "last day");
	if (has_text(rec->valid_from) &&
	    kt_deal_day(rec->valid_from, &from) != 0)
		WHY("valid_from: is not a date YYYY-MM-DD");
	if (has_text(rec->valid_to) && kt_deal_day(rec->valid_to, &to) != 0)
		WHY("valid_to: is not a date YYYY-MM-DD");
	if (from > to)
		WHY("valid_to: is before valid_from");
	if (rec->lessons > KT_DEAL_LESSONS_MAX)
		WHY("lessons: is more than %u", KT_DEAL_LESSONS_MAX);
	return 0;
}
#undef WHY

/* ==== records and index keys ============================================= */

/* The most keys one deal has: client, manager, branch, stage, created,
 * won by client, won by time, valid to and renews (a won subscription
 * that renews another). */
#define IX_KEYS_MAX 9u
#define IX_KEY_MAX 25u

typedef struct ix_keys {
	uint8_t k[IX_KEYS_MAX][IX_KEY_MAX];
	size_t len[IX_KEYS_MAX];
	uint8_t val[IX_KEYS_MAX][8];     /* 'W': the client; others empty */
	size_t vlen[IX_KEYS_MAX];
	size_t n;
} ix_keys_t;

static uint64_t
t64(int64_t t)
{
	return t < 0 ? 0 : (uint64_t)t;
}

/* A key kind || a || deal (alen 8, or 1 for the stage). */
static void
key2(ix_keys_t *x, uint8_t kind, const uint8_t *a, size_t alen, uint64_t id)
{
	uint8_t *k;

	if (x->n >= IX_KEYS_MAX)
		abort();    /* keys_of makes more keys than IX_KEYS_MAX */
	k = x->k[x->n];
	k[0] = kind;
	memcpy(k + 1, a, alen);
	kt_store_be64(k + 1 + alen, id);
	x->vlen[x->n] = 0;
	x->len[x->n++] = 1 + alen + 8;
}

static void
keys_of(const Ktstore__DealRecord *d, ix_keys_t *x)
{
	uint8_t a[16];
	uint32_t day;

	x->n = 0;
	kt_store_be64(a, d->client);
	key2(x, KT_DIX_CLIENT, a, 8, d->id);
	kt_store_be64(a, d->manager);
	key2(x, KT_DIX_MANAGER, a, 8, d->id);
	kt_store_be64(a, d->branch);
	key2(x, KT_DIX_BRANCH, a, 8, d->id);
	a[0] = (uint8_t)d->stage;
	key2(x, KT_DIX_STAGE, a, 1, d->id);
	kt_store_be64(a, t64(d->created_at));
	key2(x, KT_DIX_CREATED, a, 8, d->id);
	if (d->stage == KARTOTEKA__DEAL_STAGE__STAGE_WON) {
		kt_store_be64(a, d->client);
		kt_store_be64(a + 8, t64(d->closed_at));
		key2(x, KT_DIX_WON, a, 16, d->id);
		key2(x, KT_DIX_WON_AT, a + 8, 8, d->id);
		kt_store_be64(x->val[x->n - 1], d->client);
		x->vlen[x->n - 1] = 8;
	}
	if (kt_deal_day(d->valid_to, &day) == 0) {
		a[0] = (uint8_t)(day >> 24);
		a[1] = (uint8_t)(day >> 16);
		a[2] = (uint8_t)(day >> 8);
		a[3] = (uint8_t)day;
		key2(x, KT_DIX_VALID_TO, a, 4, d->id);
		kt_store_be64(x->val[x->n - 1], d->client);
		x->vlen[x->n - 1] = 8;
	}
	if (d->renews != 0) {
		kt_store_be64(a, d->renews);
		key2(x, KT_DIX_RENEWS, a, 8, d->id);
	}
}

/* 1 when x has entry i of y (the same key and value). */
static int
keys_have(const ix_keys_t *x, const ix_keys_t *y, size_t i)
{
	for (size_t j = 0; j < x->n; j++)
		if (x->len[j] == y->len[i] && x->vlen[j] == y->vlen[i] &&
		    memcmp(x->k[j], y->k[i], y->len[i]) == 0 &&
		    memcmp(x->val[j], y->val[i], y->vlen[i]) == 0)
			return 1;
	return 0;
}

/* Moves the index keys from old (NULL: none) to next (NULL: none). */
static int
reindex(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__DealRecord *old, const Ktstore__DealRecord *next)
{
	ix_keys_t o = { .n = 0 }, n = { .n = 0 };
	int rc;

	if (old != NULL)
		keys_of(old, &o);
	if (next != NULL)
		keys_of(next, &n);
	for (size_t i = 0; i < o.n; i++) {
		MDB_val k = { o.len[i], o.k[i] };
		if (keys_have(&n, &o, i))
			continue;
		rc = mdb_del(txn, db->deal_ix, &k, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return kt_store_err(rc);
	}
	for (size_t i = 0; i < n.n; i++) {
		MDB_val k = { n.len[i], n.k[i] }, v = { n.vlen[i], n.val[i] };
		if (keys_have(&o, &n, i))
			continue;
		if ((rc = mdb_put(txn, db->deal_ix, &k, &v, 0)) != 0)
			return kt_store_err(rc);
	}
	return 0;
}

int
kt_deal_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    struct ProtobufCAllocator *a, Ktstore__DealRecord **out)
{
	uint8_t key[8];

	*out = NULL;
	kt_store_be64(key, id);
	return kt_store_get_record_with(txn, db->deals, key, sizeof(key),
	    &ktstore__deal_record__descriptor, a, (ProtobufCMessage **)out);
}

static int
store_record(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__DealRecord *d)
{
	uint8_t key[8];

	kt_store_be64(key, d->id);
	return kt_store_put_record(txn, db->deals, key, sizeof(key), &d->base,
	    0);
}

int
kt_deal_add(kt_store_t *st, MDB_txn *txn, Ktstore__DealRecord *rec)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	int rc;

	if ((rc = kt_store_next_id(st, txn, "deal", &rec->id)) != 0)
		return rc;
	rec->version = 1;
	if ((rc = store_record(txn, db, rec)) != 0 ||
	    (rc = reindex(txn, db, NULL, rec)) != 0)
		return rc;
	return kt_deal_recount(txn, db, rec->client);
}

int
kt_deal_put(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__DealRecord *old, Ktstore__DealRecord *next)
{
	int rc;

	next->id = old->id;
	next->version = old->version + 1;
	if ((rc = store_record(txn, db, next)) != 0 ||
	    (rc = reindex(txn, db, old, next)) != 0 ||
	    (rc = kt_deal_recount(txn, db, next->client)) != 0)
		return rc;
	if (old->client != next->client)
		rc = kt_deal_recount(txn, db, old->client);
	return rc;
}

/* ==== walking an index ==================================================== */

/* The deal ids of the keys starting with prefix (plen bytes), whose last
 * 8 bytes are the id, in key order. [out] *ids malloc'd (free it), *n. */
static int
ids_with_prefix(MDB_txn *txn, const kt_store_dbs_t *db, const uint8_t *prefix,
    size_t plen, uint64_t **ids, size_t *n)
{
	MDB_cursor *cur = NULL;
	MDB_val k = { plen, (void *)prefix }, v;
	size_t cap = 0;
	int rc = 0, m;

	*ids = NULL;
	*n = 0;
	if ((m = mdb_cursor_open(txn, db->deal_ix, &cur)) != 0)
		return kt_store_err(m);
	for (m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); m == 0;
	    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < plen + 8 || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		if (*n == cap) {
			size_t nc = cap ? 2 * cap : 16;
			uint64_t *p = realloc(*ids, nc * sizeof(*p));
			if (p == NULL) {
				rc = KT_ENOMEM;
				goto out;
			}
			*ids = p;
			cap = nc;
		}
		(*ids)[(*n)++] = kt_store_get_be64((const uint8_t *)k.mv_data +
		    k.mv_size - 8);
	}
	if (m != 0 && m != MDB_NOTFOUND)
		rc = kt_store_err(m);
out:
	mdb_cursor_close(cur);
	if (rc != 0) {
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return rc;
}

static void
prefix_of(uint8_t kind, uint64_t v, uint8_t out[9])
{
	out[0] = kind;
	kt_store_be64(out + 1, v);
}

int
kt_deal_each_of_client(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t client, kt_deal_fn fn, void *arg)
{
	uint8_t prefix[9];
	uint64_t *ids = NULL;
	size_t n = 0;
	int rc;

	prefix_of(KT_DIX_CLIENT, client, prefix);
	if ((rc = ids_with_prefix(txn, db, prefix, 9, &ids, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		Ktstore__DealRecord *d = NULL;
		if ((rc = kt_deal_get(txn, db, ids[i], NULL, &d)) != 0)
			break;
		rc = fn(d, arg);
		ktstore__deal_record__free_unpacked(d, NULL);
	}
	free(ids);
	return rc;
}

/* ==== the client's activity ============================================== */

static int
count_one(const Ktstore__DealRecord *d, void *arg)
{
	kt_activity_t *a = arg;

	if (kt_deal_open(d->stage))
		a->open_deals++;
	if (d->stage == KARTOTEKA__DEAL_STAGE__STAGE_WON &&
	    d->closed_at > a->last_won_at)
		a->last_won_at = d->closed_at;
	if (d->created_at > a->last_deal_at)
		a->last_deal_at = d->created_at;
	return 0;
}

int
kt_deal_recount(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t client)
{
	kt_activity_t a;
	int rc;

	if ((rc = kt_activity_get(txn, db, client, &a)) != 0)
		return rc;
	a.open_deals = 0;
	a.last_won_at = 0;
	a.last_deal_at = 0;
	if ((rc = kt_deal_each_of_client(txn, db, client, count_one, &a)) != 0)
		return rc;
	return kt_activity_put(txn, db, client, &a);
}

/* ==== renewals and won deals ============================================= */

/* 1 when a deal that is not lost renews deal id. */
static int
renewed(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id)
{
	uint8_t prefix[9];
	uint64_t *ids = NULL;
	size_t n = 0;
	int rc, found = 0;

	prefix_of(KT_DIX_RENEWS, id, prefix);
	if ((rc = ids_with_prefix(txn, db, prefix, 9, &ids, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n && !found && rc == 0; i++) {
		Ktstore__DealRecord *d = NULL;
		if ((rc = kt_deal_get(txn, db, ids[i], NULL, &d)) != 0)
			break;
		found = d->stage != KARTOTEKA__DEAL_STAGE__STAGE_LOST;
		ktstore__deal_record__free_unpacked(d, NULL);
	}
	free(ids);
	return rc != 0 ? rc : found;
}

int
kt_deal_renewals_due(MDB_txn *txn, const kt_store_dbs_t *db,
    uint32_t from_day, uint32_t to_day, const kt_idset_t *clients,
    kt_deal_fn fn, void *arg)
{
	uint8_t lo[5] = { KT_DIX_VALID_TO, (uint8_t)(from_day >> 24),
		(uint8_t)(from_day >> 16), (uint8_t)(from_day >> 8),
		(uint8_t)from_day };
	MDB_cursor *cur = NULL;
	MDB_val k = { sizeof(lo), lo }, v;
	uint64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc = 0, m;

	if (from_day > to_day)
		return 0;
	if ((m = mdb_cursor_open(txn, db->deal_ix, &cur)) != 0)
		return kt_store_err(m);
	/* The ids first: fn may read the store (and the walk must not see
	 * what it does). An entry that names its client (v) and not one of
	 * clients is left out unread. */
	for (m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); m == 0;
	    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *p = k.mv_data;
		uint32_t day;
		if (k.mv_size != 13 || p[0] != KT_DIX_VALID_TO)
			break;
		day = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
		    (uint32_t)p[3] << 8 | p[4];
		if (day > to_day)
			break;
		if (clients != NULL && v.mv_size == 8 &&
		    !kt_idset_has(clients, kt_store_get_be64(v.mv_data)))
			continue;
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 16;
			uint64_t *q = realloc(ids, nc * sizeof(*q));
			if (q == NULL) {
				rc = KT_ENOMEM;
				goto out;
			}
			ids = q;
			cap = nc;
		}
		ids[n++] = kt_store_get_be64(p + 5);
	}
	if (m != 0 && m != MDB_NOTFOUND) {
		rc = kt_store_err(m);
		goto out;
	}
	mdb_cursor_close(cur);
	cur = NULL;
	for (size_t i = 0; i < n && rc == 0; i++) {
		Ktstore__DealRecord *d = NULL;
		int r;
		if ((rc = kt_deal_get(txn, db, ids[i], NULL, &d)) != 0)
			break;
		if (d->stage != KARTOTEKA__DEAL_STAGE__STAGE_LOST &&
		    (clients == NULL || kt_idset_has(clients, d->client))) {
			r = renewed(txn, db, d->id);
			if (r < 0)
				rc = r;
			else if (r == 0)
				rc = fn(d, arg);
		}
		ktstore__deal_record__free_unpacked(d, NULL);
	}
out:
	mdb_cursor_close(cur);
	free(ids);
	return rc;
}

int
kt_deal_won_between(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t client,
    int64_t from, int64_t to)
{
	uint8_t lo[17];
	MDB_cursor *cur = NULL;
	MDB_val k = { sizeof(lo), lo }, v;
	int m, hit = 0;

	lo[0] = KT_DIX_WON;
	kt_store_be64(lo + 1, client);
	kt_store_be64(lo + 9, t64(from));
	if ((m = mdb_cursor_open(txn, db->deal_ix, &cur)) != 0)
		return kt_store_err(m);
	m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (m == 0 && k.mv_size == 25 && memcmp(k.mv_data, lo, 9) == 0) {
		uint64_t at = kt_store_get_be64((const uint8_t *)k.mv_data + 9);
		hit = to <= 0 || at < (uint64_t)to;
	}
	mdb_cursor_close(cur);
	if (m != 0 && m != MDB_NOTFOUND)
		return kt_store_err(m);
	return hit;
}

void
kt_deal_won_range(int64_t from, int64_t to, uint8_t lo[static 9],
    uint8_t hi[static 9])
{
	lo[0] = hi[0] = KT_DIX_WON_AT;
	kt_store_be64(lo + 1, t64(from));
	kt_store_be64(hi + 1, to <= 0 ? UINT64_MAX : (uint64_t)to);
}

/* ==== lists ================================================================ */

static int
matches(const kt_deal_query_t *q, const Ktstore__DealRecord *d)
{
	int closed = q->stage == KARTOTEKA__DEAL_STAGE__STAGE_WON ||
	    q->stage == KARTOTEKA__DEAL_STAGE__STAGE_LOST;
	int64_t t = closed ? d->closed_at : d->created_at;

	if ((q->client && d->client != q->client) ||
	    (q->manager && d->manager != q->manager) ||
	    (q->branch && d->branch != q->branch) ||
	    (q->stage && d->stage != q->stage))
		return 0;
	if (q->from && t < q->from)
		return 0;
	if (q->to && t >= q->to)
		return 0;
	return 1;
}

int
kt_deal_walk(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_deal_query_t *q, const uint8_t *cursor, size_t ncursor,
    kt_deal_fn fn, void *arg, uint8_t next[static KT_DEAL_CURSOR_MAX],
    size_t *nnext)
{
	uint8_t prefix[9], start[KT_DEAL_CURSOR_MAX];
	size_t plen, klen;
	int creation = 0;
	size_t scanned = 0;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc = 0, m;

	*nnext = 0;
	/* The narrowest index the query allows. */
	if (q->client) {
		prefix_of(KT_DIX_CLIENT, q->client, prefix);
		plen = 9;
	} else if (q->manager) {
		prefix_of(KT_DIX_MANAGER, q->manager, prefix);
		plen = 9;
	} else if (q->branch) {
		prefix_of(KT_DIX_BRANCH, q->branch, prefix);
		plen = 9;
	} else if (q->stage) {
		prefix[0] = KT_DIX_STAGE;
		prefix[1] = (uint8_t)q->stage;
		plen = 2;
	} else {
		prefix[0] = KT_DIX_CREATED;
		plen = 1;
		creation = 1;
	}
	klen = creation ? 17 : plen + 8;
	/* Start strictly below: the cursor, or past the last key of the
	 * prefix (the creation index: the end of the period). */
	if (ncursor != 0) {
		if (ncursor != klen || memcmp(cursor, prefix, plen) != 0)
			return KT_EINVAL;
		memcpy(start, cursor, klen);
	} else {
		memcpy(start, prefix, plen);
		memset(start + plen, 0xff, klen - plen);
		if (creation && q->to > 0) {
			kt_store_be64(start + 1, t64(q->to));
			memset(start + 9, 0, 8);
		}
	}
	if ((m = mdb_cursor_open(txn, db->deal_ix, &cur)) != 0)
		return kt_store_err(m);
	k.mv_size = klen;
	k.mv_data = start;
	m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (m == MDB_NOTFOUND)
		m = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	else if (m == 0)
		m = mdb_cursor_get(cur, &k, &v, MDB_PREV);
	for (; m == 0; m = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
		const uint8_t *p = k.mv_data;
		Ktstore__DealRecord *d = NULL;
		uint8_t here[KT_DEAL_CURSOR_MAX];

		if (k.mv_size < plen || memcmp(p, prefix, plen) != 0)
			break;
		if (k.mv_size != klen)
			continue;
		if (++scanned > KT_DEAL_WALK_MAX && *nnext > 0)
			goto out;   /* *nnext: the last key read */
		/* Before the period's start on the creation index: done. */
		if (creation && q->from > 0 &&
		    kt_store_get_be64(p + 1) < t64(q->from))
			break;
		memcpy(here, p, klen);
		if ((rc = kt_deal_get(txn, db, kt_store_get_be64(p + klen - 8),
		    NULL, &d)) == KT_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc != 0)
			break;
		rc = matches(q, d) ? fn(d, arg) : 0;
		ktstore__deal_record__free_unpacked(d, NULL);
		if (rc > 0) {
			rc = 0;
			goto out;   /* *nnext: the last key taken */
		}
		if (rc < 0)
			break;
		memcpy(next, here, klen);
		*nnext = klen;
	}
	if (rc == 0 && m != 0 && m != MDB_NOTFOUND)
		rc = kt_store_err(m);
	*nnext = 0;         /* the end, or a failure */
out:
	mdb_cursor_close(cur);
	return rc;
}

/* ==== purge, merge, offboarding ========================================== */

int
kt_deal_purge_client(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t client,
    size_t *n)
{
	uint8_t prefix[9], key[8];
	uint64_t *ids = NULL;
	size_t nids = 0;
	int rc;

	*n = 0;
	prefix_of(KT_DIX_CLIENT, client, prefix);
	if ((rc = ids_with_prefix(txn, db, prefix, 9, &ids, &nids)) != 0)
		return rc;
	for (size_t i = 0; i < nids && rc == 0; i++) {
		Ktstore__DealRecord *d = NULL;
		MDB_val k = { 8, key };
		if ((rc = kt_deal_get(txn, db, ids[i], NULL, &d)) != 0)
			break;
		rc = reindex(txn, db, d, NULL);
		ktstore__deal_record__free_unpacked(d, NULL);
		kt_store_be64(key, ids[i]);
		if (rc == 0 && (rc = mdb_del(txn, db->deals, &k, NULL)) != 0)
			rc = kt_store_err(rc);
		if (rc == 0)
			(*n)++;
	}
	free(ids);
	return rc;
}

/* Stores a changed copy of deal id: fn changes it (returns 1 when it did,
 * 0 to leave the deal as it is). */
static int
change_deal(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id, int64_t now,
    int (*fn)(Ktstore__DealRecord *d, const void *arg), const void *arg,
    size_t *n)
{
	Ktstore__DealRecord *old = NULL, *next = NULL;
	int rc;

	if ((rc = kt_deal_get(txn, db, id, NULL, &old)) != 0 ||
	    (rc = kt_deal_get(txn, db, id, NULL, &next)) != 0)
		goto out;
	if (fn(next, arg)) {
		next->updated_at = now;
		if ((rc = kt_deal_put(txn, db, old, next)) == 0)
			(*n)++;
	}
out:
	if (old != NULL)
		ktstore__deal_record__free_unpacked(old, NULL);
	if (next != NULL)
		ktstore__deal_record__free_unpacked(next, NULL);
	return rc;
}

typedef struct move_to {
	uint64_t client, branch;
} move_to_t;

static int
move_one(Ktstore__DealRecord *d, const void *arg)
{
	const move_to_t *to = arg;

	d->client = to->client;
	d->branch = to->branch;
	return 1;
}

int
kt_deal_move_client(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t from,
    uint64_t into, int64_t now, size_t *n)
{
	Ktstore__ClientRecord *card = NULL;
	move_to_t to = { .client = into };
	uint8_t prefix[9];
	uint64_t *ids = NULL;
	size_t nids = 0;
	int rc;

	*n = 0;
	if (from == into)
		return 0;
	if ((rc = kt_cstore_get_with(txn, db, into, NULL, &card)) == 0) {
		to.branch = card->branch;
		protobuf_c_message_free_unpacked(&card->base, NULL);
	} else if (rc != KT_ENOTFOUND) {
		return rc;
	}
	prefix_of(KT_DIX_CLIENT, from, prefix);
	if ((rc = ids_with_prefix(txn, db, prefix, 9, &ids, &nids)) != 0)
		return rc;
	for (size_t i = 0; i < nids && rc == 0; i++)
		rc = change_deal(txn, db, ids[i], now, move_one, &to, n);
	free(ids);
	/* kt_deal_put recounted both with each deal; none moved: still
	 * make both right. */
	if (rc == 0 && nids == 0 && (rc = kt_deal_recount(txn, db, from)) == 0)
		rc = kt_deal_recount(txn, db, into);
	return rc;
}

static int
give_one(Ktstore__DealRecord *d, const void *arg)
{
	if (!kt_deal_open(d->stage))
		return 0;
	d->manager = *(const uint64_t *)arg;
	return 1;
}

int
kt_deal_offboard(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t leaver,
    uint64_t to, int64_t now, size_t *n)
{
	uint8_t prefix[9];
	uint64_t *ids = NULL;
	size_t nids = 0;
	int rc;

	*n = 0;
	if (leaver == to)
		return 0;
	prefix_of(KT_DIX_MANAGER, leaver, prefix);
	if ((rc = ids_with_prefix(txn, db, prefix, 9, &ids, &nids)) != 0)
		return rc;
	for (size_t i = 0; i < nids && rc == 0; i++)
		rc = change_deal(txn, db, ids[i], now, give_one, &to, n);
	free(ids);
	return rc;
}
