/* SPDX-License-Identifier: MIT */
/* The sections of a report read from the client base's indexes on a
 * thread-pool thread (the contract is in report.h). Nothing here walks
 * every card record: statuses and sources are index keys, new cards a
 * range of cx_created, won deals a range of the 'W' index, and only the
 * cards that are clients now have their history versions read, in one
 * forward walk. */
#include <stdlib.h>
#include <string.h>

#include "jobs/report.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"
#include "model/authz.h"
#include "model/deal_store.h"
#include "records.pb-c.h"

/* ==== small helpers ========================================================= */

int
kt_report_month_of(const kt_report_query_t *q, int64_t t)
{
	if (q->months == 0 || t < q->bounds[0] || t >= q->bounds[q->months])
		return -1;
	for (unsigned i = q->months; i-- > 0;)
		if (t >= q->bounds[i])
			return (int)i;
	return -1;
}

/* |a ∩ b| of two normalized sets. */
static uint32_t
common(const kt_idset_t *a, const kt_idset_t *b)
{
	size_t i = 0, j = 0;
	uint32_t n = 0;

	while (i < a->n && j < b->n) {
		if (a->ids[i] < b->ids[j]) {
			i++;
		} else if (a->ids[i] > b->ids[j]) {
			j++;
		} else {
			n++;
			i++;
			j++;
		}
	}
	return n;
}

/* Membership of a normalized id set in O(1): a bitmap over the ids'
 * range (card ids come from one counter, so they are dense), or, for a
 * range far larger than the set, a binary search. */
typedef struct member {
	const kt_idset_t *set;
	uint64_t lo, span;
	uint64_t *bits;              /* NULL: binary search */
} member_t;

static int
member_init(member_t *m, const kt_idset_t *set)
{
	memset(m, 0, sizeof(*m));
	m->set = set;
	if (set->n == 0)
		return 0;
	m->lo = set->ids[0];
	m->span = set->ids[set->n - 1] - m->lo + 1;
	/* at most 64 bits per member and 8 MiB, else search */
	if (m->span / 64 > set->n + 1024 || m->span > (64ull << 20))
		return 0;
	if ((m->bits = calloc((size_t)(m->span + 63) / 64, 8)) == NULL)
		return KT_ENOMEM;
	for (size_t i = 0; i < set->n; i++) {
		uint64_t b = set->ids[i] - m->lo;
		m->bits[b / 64] |= 1ull << (b % 64);
	}
	return 0;
}

static int
member_has(const member_t *m, uint64_t id)
{
	uint64_t b;

	if (m->bits == NULL)
		return kt_idset_has(m->set, id);
	if (id < m->lo || (b = id - m->lo) >= m->span)
		return 0;
	return (m->bits[b / 64] >> (b % 64)) & 1;
}

static void
member_free(member_t *m)
{
	free(m->bits);
	m->bits = NULL;
}

/* a minus b (both normalized), in place. */
static void
subtract(kt_idset_t *a, const kt_idset_t *b)
{
	size_t i, j = 0, o = 0;

	for (i = 0; i < a->n; i++) {
		while (j < b->n && b->ids[j] < a->ids[i])
			j++;
		if (j < b->n && b->ids[j] == a->ids[i])
			continue;
		a->ids[o++] = a->ids[i];
	}
	a->n = o;
}

/* Normalizes s, skipping the sort when it is sorted and unique already
 * (the duplicates under one key of a dup index come in id order). */
static void
normalize(kt_idset_t *s)
{
	for (size_t i = 1; i < s->n; i++)
		if (s->ids[i - 1] >= s->ids[i]) {
			kt_idset_normalize(s);
			return;
		}
}

/* The ids under the one-byte status key st of cx_status, normalized. */
static int
status_ids(MDB_txn *txn, const kt_store_dbs_t *db, uint8_t st,
    kt_idset_t *out)
{
	int rc = kt_cstore_ids_eq(txn, db->cx_status, &st, 1, out);

	if (rc == 0)
		normalize(out);
	return rc;
}

/* ==== the scope ================================================================ */

static int
in_branches(MDB_txn *txn, const kt_store_dbs_t *db, const kt_report_query_t *q,
    uint64_t id)
{
	if (q->branch != 0 && !kt_cstore_in_branch(txn, db, id, q->branch))
		return 0;
	if (q->nbranches == 0)
		return 1;
	for (size_t b = 0; b < q->nbranches; b++)
		if (kt_cstore_in_branch(txn, db, id, q->branches[b]))
			return 1;
	return 0;
}

/* The scope's cards (not purged: purged cards are in no index) into s,
 * normalized. */
static int
scope_ids(MDB_txn *txn, const kt_store_dbs_t *db, const kt_report_query_t *q,
    kt_idset_t *s)
{
	kt_idset_t all = { 0 };
	uint8_t key[8];
	int rc = 0;

	if (q->none) {
		return 0;
	} else if (q->manager != 0) {
		kt_store_be64(key, q->manager);
		if ((rc = kt_cstore_ids_eq(txn, db->cx_manager, key,
		    sizeof(key), &all)) != 0)
			goto out;
		normalize(&all);
		for (size_t i = 0; i < all.n && rc == 0; i++)
			if (in_branches(txn, db, q, all.ids[i]))
				rc = kt_idset_add(s, all.ids[i]);
	} else if (q->branch != 0) {
		kt_store_be64(key, q->branch);
		rc = kt_cstore_ids_eq(txn, db->cx_branch, key, sizeof(key), s);
		if (rc == 0 && q->nbranches > 0 && !kt_authz_in_branches(
		    q->branches, q->nbranches, q->branch))
			s->n = 0;
	} else if (q->nbranches > 0) {
		for (size_t b = 0; b < q->nbranches && rc == 0; b++) {
			kt_store_be64(key, q->branches[b]);
			rc = kt_cstore_ids_eq(txn, db->cx_branch, key,
			    sizeof(key), s);
		}
	} else {
		/* every card has exactly one one-byte status key */
		static const uint8_t lo[1] = { 0x00 }, hi[1] = { 0xff };
		rc = kt_cstore_ids_range(txn, db->cx_status, lo, hi, 1, s);
	}
	normalize(s);
out:
	kt_idset_free(&all);
	return rc;
}

/* ==== when a card became a client ================================================ */

static int
varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (*p < end && shift < 64) {
		uint8_t b = *(*p)++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			return 0;
		shift += 7;
	}
	return -1;
}

/* Reads the top-level varint field want of the protobuf message at
 * p[0..n), and with sub != 0 the varint field sub of its
 * length-delimited field want_msg. Only what is needed of a card's
 * version (ClientVersionRecord: card 1 { status 4 }, time 2) without
 * unpacking the whole card; the walk stops once each field asked for was
 * met (protobuf-c writes fields in number order, each scalar once).
 * Returns 0 or -1 for a malformed message. */
static int
peek(const uint8_t *p, size_t n, uint32_t want, uint64_t *val,
    uint32_t want_msg, uint32_t sub, uint64_t *subval)
{
	const uint8_t *end = p + n;
	int need = 1 + (sub != 0);

	while (p < end && need > 0) {
		uint64_t tag, v, len;

		if (varint(&p, end, &tag) != 0)
			return -1;
		switch (tag & 7) {
		case 0:
			if (varint(&p, end, &v) != 0)
				return -1;
			if ((tag >> 3) == want) {
				*val = v;
				need--;
			}
			break;
		case 1:
			if ((size_t)(end - p) < 8)
				return -1;
			p += 8;
			break;
		case 2:
			if (varint(&p, end, &len) != 0 ||
			    len > (uint64_t)(end - p))
				return -1;
			if (sub != 0 && (tag >> 3) == want_msg) {
				if (peek(p, (size_t)len, sub, subval, 0, 0,
				    NULL) != 0)
					return -1;
				need--;
			}
			p += len;
			break;
		case 5:
			if ((size_t)(end - p) < 4)
				return -1;
			p += 4;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* The amount (6) and currency (7) of the stored DealRecord at p[0..n),
 * read as peek reads a version, without unpacking the deal: the walk
 * stops at the first field past 7. currency keeps its value when the
 * record has none of three bytes. Returns 0 or -1 when malformed. */
static int
deal_peek(const uint8_t *p, size_t n, int64_t *amount, char currency[4])
{
	const uint8_t *end = p + n;

	while (p < end) {
		uint64_t tag, v, len;

		if (varint(&p, end, &tag) != 0)
			return -1;
		if ((tag >> 3) > 7)
			return 0;
		switch (tag & 7) {
		case 0:
			if (varint(&p, end, &v) != 0)
				return -1;
			if ((tag >> 3) == 6)
				*amount = (int64_t)v;
			break;
		case 2:
			if (varint(&p, end, &len) != 0 ||
			    len > (uint64_t)(end - p))
				return -1;
			if ((tag >> 3) == 7 && len == 3) {
				memcpy(currency, p, 3);
				currency[3] = '\0';
			}
			p += len;
			break;
		case 1:
			if ((size_t)(end - p) < 8)
				return -1;
			p += 8;
			break;
		case 5:
			if ((size_t)(end - p) < 4)
				return -1;
			p += 4;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static void
count_client(const kt_report_query_t *q, kt_report_t *out, int64_t t)
{
	int m = kt_report_month_of(q, t);

	if (m >= 0)
		out->new_clients[m]++;
}

/* The client of a client_history key, or UINT64_MAX for a key of
 * another shape. */
static uint64_t
hist_client(const MDB_val *k)
{
	return k->mv_size == 16 ? kt_store_get_be64(k->mv_data) : UINT64_MAX;
}

/* One forward walk over client_history for the cards ids[n] (ascending):
 * every version with status active whose previous version was not
 * active is the card becoming a client at that version's time, as is a
 * first version created active. Between two cards the cursor steps on
 * over a few versions of the cards between them rather than searching
 * the tree again (the client cards are most cards, and ids are dense). */
static int
became_clients(MDB_cursor *cur, const kt_report_query_t *q,
    const uint64_t *ids, size_t n, kt_report_t *out)
{
	uint8_t key[16] = { 0 };
	MDB_val k = { sizeof(key), key }, v;
	int m = MDB_NOTFOUND, started = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t id = ids[i], prev = 0, st, t;
		int have_prev = 0;

		for (int steps = 0; started && m == 0 && hist_client(&k) < id &&
		    steps < 8; steps++)
			m = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		if (!started || (m == 0 && hist_client(&k) < id)) {
			kt_store_be64(key, id);
			memset(key + 8, 0, 8);
			k.mv_size = sizeof(key);
			k.mv_data = key;
			m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
			started = 1;
		}
		if (m == MDB_NOTFOUND)
			return 0;
		if (m != 0)
			return kt_store_err(m);
		for (; m == 0 && hist_client(&k) == id;
		    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			st = 0;
			t = 0;
			if (peek(v.mv_data, v.mv_size, 2, &t, 1, 4, &st) != 0)
				return KT_EPROTO;
			if (st == KARTOTEKA__CLIENT_STATUS__ACTIVE && (!have_prev ||
			    prev != KARTOTEKA__CLIENT_STATUS__ACTIVE))
				count_client(q, out, (int64_t)t);
			have_prev = 1;
			prev = st;
		}
		if (m != 0 && m != MDB_NOTFOUND)
			return kt_store_err(m);
	}
	return 0;
}

/* ==== the sections ================================================================ */

/* Statuses: live gets the scope without its archived cards, clients
 * the scope's cards that are active or former now (archived ones too),
 * both normalized. */
static int
status_section(MDB_txn *txn, const kt_store_dbs_t *db, const kt_idset_t *s,
    const member_t *ms, kt_idset_t *live, kt_idset_t *clients,
    kt_report_t *out)
{
	kt_idset_t arch = { 0 }, lead = { 0 }, act = { 0 }, former = { 0 };
	size_t i = 0, j = 0;
	int rc;

	if ((rc = kt_cstore_ids_eq(txn, db->cx_status, KT_CSTORE_ARCHIVED_KEY,
	    KT_CSTORE_ARCHIVED_KEYLEN, &arch)) != 0)
		goto out;
	normalize(&arch);
	for (size_t k = 0; k < s->n; k++)
		if ((rc = kt_idset_add(live, s->ids[k])) != 0)
			goto out;
	subtract(live, &arch);
	out->clients = (uint32_t)s->n;
	out->archived = (uint32_t)(s->n - live->n);
	if ((rc = status_ids(txn, db, KARTOTEKA__CLIENT_STATUS__LEAD,
	    &lead)) != 0 ||
	    (rc = status_ids(txn, db, KARTOTEKA__CLIENT_STATUS__ACTIVE,
	    &act)) != 0 ||
	    (rc = status_ids(txn, db, KARTOTEKA__CLIENT_STATUS__FORMER,
	    &former)) != 0)
		goto out;
	out->leads = common(&lead, live);
	out->active = common(&act, live);
	out->former = common(&former, live);
	/* active and former merged in id order (a card has one status) */
	while (rc == 0 && (i < act.n || j < former.n)) {
		uint64_t id = j >= former.n || (i < act.n &&
		    act.ids[i] < former.ids[j]) ? act.ids[i++] :
		    former.ids[j++];
		if (member_has(ms, id))
			rc = kt_idset_add(clients, id);
	}
	normalize(clients);
out:
	kt_idset_free(&arch);
	kt_idset_free(&lead);
	kt_idset_free(&act);
	kt_idset_free(&former);
	return rc;
}

/* New cards per month (cx_created), and how many of the window's are
 * clients now. */
static int
created_section(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_report_query_t *q, const member_t *s, const member_t *clients,
    kt_report_t *out)
{
	uint8_t lo[16] = { 0 };
	MDB_val k = { sizeof(lo), lo }, v;
	MDB_cursor *cur = NULL;
	int m;

	kt_store_be64(lo, (uint64_t)q->bounds[0]);
	if ((m = mdb_cursor_open(txn, db->cx_created, &cur)) != 0)
		return kt_store_err(m);
	for (m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); m == 0;
	    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		int64_t t;
		uint64_t id;
		int mon;

		if (k.mv_size != 16)
			continue;
		t = (int64_t)kt_store_get_be64(k.mv_data);
		if (t >= q->bounds[q->months])
			break;
		id = kt_store_get_be64((const uint8_t *)k.mv_data + 8);
		if ((mon = kt_report_month_of(q, t)) < 0 ||
		    !member_has(s, id))
			continue;
		out->new_cards[mon]++;
		out->window_cards++;
		out->window_converted += member_has(clients, id);
	}
	mdb_cursor_close(cur);
	return m == 0 || m == MDB_NOTFOUND ? 0 : kt_store_err(m);
}

static int
new_clients_section(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_report_query_t *q, const kt_idset_t *clients, kt_report_t *out)
{
	MDB_cursor *cur = NULL;
	int rc = 0, m;

	if ((m = mdb_cursor_open(txn, db->client_history, &cur)) != 0)
		return kt_store_err(m);
	rc = became_clients(cur, q, clients->ids, clients->n, out);
	mdb_cursor_close(cur);
	return rc;
}

static void
add_won(kt_report_t *out, unsigned mon, const char *cur, int64_t amount)
{
	kt_report_won_t *w = NULL;

	out->won_deals[mon]++;
	for (size_t i = out->nwon; i-- > 0 && w == NULL;)
		if (out->won[i].month == mon &&
		    strcmp(out->won[i].currency, cur) == 0)
			w = &out->won[i];
	if (w == NULL) {
		size_t at = out->nwon;
		if (out->nwon >= KT_REPORT_WON_MAX) {
			out->won_unlisted++;
			return;
		}
		/* keep rows by month, then currency */
		while (at > 0 && (out->won[at - 1].month > mon ||
		    (out->won[at - 1].month == mon &&
		    strcmp(out->won[at - 1].currency, cur) > 0)))
			at--;
		memmove(&out->won[at + 1], &out->won[at],
		    (out->nwon - at) * sizeof(out->won[0]));
		w = &out->won[at];
		memset(w, 0, sizeof(*w));
		w->month = mon;
		memcpy(w->currency, cur, 3);
		out->nwon++;
	}
	w->count++;
	if (amount > 0 && w->amount <= INT64_MAX - amount)
		w->amount += amount;
}

/* A won deal of the scope, as found in the 'W' range. */
typedef struct won_ref {
	uint64_t deal;
	unsigned month;
} won_ref_t;

static int
by_deal(const void *a, const void *b)
{
	const won_ref_t *x = a, *y = b;

	return x->deal < y->deal ? -1 : x->deal > y->deal;
}

/* Deals won in the window by the scope's clients: the 'W' range of
 * deal_ix (closed_at, deal -> client) gives the deals, which are then
 * read in id order with one cursor (neighbours share leaf pages, so a
 * look-up seldom descends the tree again), each deal's amount and
 * currency read from its stored bytes (deal_peek). */
static int
won_section(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_report_query_t *q, const member_t *s, kt_report_t *out)
{
	uint8_t lo[9], hi[9];
	MDB_val k = { sizeof(lo), lo }, v;
	MDB_cursor *cur = NULL;
	won_ref_t *refs = NULL, *grown;
	size_t n = 0, cap = 0;
	int rc = 0, m;

	kt_deal_won_range(q->bounds[0], q->bounds[q->months], lo, hi);
	if ((m = mdb_cursor_open(txn, db->deal_ix, &cur)) != 0)
		return kt_store_err(m);
	for (m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); m == 0;
	    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data;
		int mon;

		if (k.mv_size < 9 || memcmp(kp, hi, 9) >= 0)
			break;
		if (k.mv_size != 17 || v.mv_size != 8 ||
		    !member_has(s, kt_store_get_be64(v.mv_data)))
			continue;
		mon = kt_report_month_of(q, (int64_t)kt_store_get_be64(kp +
		    1));
		if (mon < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((grown = realloc(refs, cap * sizeof(*refs))) ==
			    NULL) {
				rc = KT_ENOMEM;
				goto out;
			}
			refs = grown;
		}
		refs[n].deal = kt_store_get_be64(kp + 9);
		refs[n++].month = (unsigned)mon;
	}
	if (m != 0 && m != MDB_NOTFOUND) {
		rc = kt_store_err(m);
		goto out;
	}
	mdb_cursor_close(cur);
	cur = NULL;
	if (n == 0)
		goto out;
	qsort(refs, n, sizeof(*refs), by_deal);
	if ((m = mdb_cursor_open(txn, db->deals, &cur)) != 0) {
		rc = kt_store_err(m);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t key[8];
		MDB_val dk = { sizeof(key), key }, dv;
		char currency[4] = "RUB";
		int64_t amount = 0;

		kt_store_be64(key, refs[i].deal);
		if ((m = mdb_cursor_get(cur, &dk, &dv, MDB_SET_KEY)) ==
		    MDB_NOTFOUND)
			continue;
		if (m != 0) {
			rc = kt_store_err(m);
			goto out;
		}
		if (deal_peek(dv.mv_data, dv.mv_size, &amount, currency) != 0) {
			rc = KT_EPROTO;
			goto out;
		}
		add_won(out, refs[i].month, currency, amount);
	}
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	free(refs);
	return rc;
}

static void
add_source(kt_report_t *out, const MDB_val *key, uint32_t n, uint64_t sample)
{
	size_t at = out->nsources, len = key->mv_size;

	while (at > 0 && out->sources[at - 1].count < n)
		at--;
	if (at >= KT_REPORT_SOURCES_MAX) {
		out->sources_more += n;
		return;
	}
	if (out->nsources == KT_REPORT_SOURCES_MAX) {
		out->sources_more += out->sources[KT_REPORT_SOURCES_MAX - 1].count;
		out->nsources--;
	}
	memmove(&out->sources[at + 1], &out->sources[at],
	    (out->nsources - at) * sizeof(out->sources[0]));
	if (len > KT_CSTORE_WORD_MAX)
		len = KT_CSTORE_WORD_MAX;
	memcpy(out->sources[at].name, key->mv_data, len);
	out->sources[at].name[len] = '\0';
	out->sources[at].count = n;
	out->sources[at].sample = sample;
	out->nsources++;
}

/* Each listed source as a card of it spells it ("Instagram", "2ГИС"),
 * not as the index folds it; a card that cannot be read, or a spelling
 * too long for the name, keeps the folded form. */
static int
spell_sources(MDB_txn *txn, const kt_store_dbs_t *db, kt_report_t *out)
{
	for (size_t i = 0; i < out->nsources; i++) {
		kt_report_source_t *src = &out->sources[i];
		Ktstore__ClientRecord *r = NULL;
		int rc = kt_cstore_get(txn, db, src->sample, &r);

		if (rc == KT_ENOTFOUND || rc == KT_EPROTO)
			continue;
		if (rc != 0)
			return rc;
		if (r->source != NULL && strlen(r->source) < sizeof(src->name))
			memcpy(src->name, r->source, strlen(r->source) + 1);
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	return 0;
}

/* The sources of the scope's live cards, one walk of cx_source
 * (a key per source, the cards as its duplicates). */
static int
source_section(MDB_txn *txn, const kt_store_dbs_t *db, const member_t *live,
    kt_report_t *out)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	uint32_t with = 0;
	int m;

	if ((m = mdb_cursor_open(txn, db->cx_source, &cur)) != 0)
		return kt_store_err(m);
	for (m = mdb_cursor_get(cur, &k, &v, MDB_FIRST); m == 0;
	    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP)) {
		MDB_val key = k;
		uint32_t n = 0;
		uint64_t sample = 0;
		int d;

		for (d = 0; d == 0; d = mdb_cursor_get(cur, &k, &v,
		    MDB_NEXT_DUP))
			if (v.mv_size == 8 && member_has(live,
			    kt_store_get_be64(v.mv_data)) && n++ == 0)
				sample = kt_store_get_be64(v.mv_data);
		if (d != MDB_NOTFOUND) {
			m = d;
			break;
		}
		if (n == 0)
			continue;
		with += n;
		/* key stays valid: the cursor is on its last duplicate */
		add_source(out, &key, n, sample);
	}
	mdb_cursor_close(cur);
	if (m != 0 && m != MDB_NOTFOUND)
		return kt_store_err(m);
	if ((m = spell_sources(txn, db, out)) != 0)
		return m;
	out->no_source = with < live->set->n ? (uint32_t)live->set->n - with :
	    0;
	return 0;
}

/* ==== the whole ==================================================================== */

int
kt_report_build(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_report_query_t *q, kt_report_t *out)
{
	kt_idset_t s = { 0 }, live = { 0 }, clients = { 0 };
	member_t ms = { 0 }, ml = { 0 }, mc = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	if (q->months == 0 || q->months > KT_REPORT_MONTHS_MAX)
		return KT_EINVAL;
	for (unsigned i = 0; i < q->months; i++)
		if (q->bounds[i] >= q->bounds[i + 1] || q->bounds[i] < 0)
			return KT_EINVAL;
	if ((rc = scope_ids(txn, db, q, &s)) != 0 ||
	    (rc = member_init(&ms, &s)) != 0 ||
	    (rc = status_section(txn, db, &s, &ms, &live, &clients,
	    out)) != 0 ||
	    (rc = member_init(&ml, &live)) != 0 ||
	    (rc = member_init(&mc, &clients)) != 0 ||
	    (rc = created_section(txn, db, q, &ms, &mc, out)) != 0 ||
	    (rc = new_clients_section(txn, db, q, &clients, out)) != 0 ||
	    (rc = won_section(txn, db, q, &ms, out)) != 0 ||
	    (rc = source_section(txn, db, &ml, out)) != 0)
		goto out;
	if (s.n > 0 && s.n <= KT_REPORT_SMALL) {
		memcpy(out->small, s.ids, s.n * sizeof(s.ids[0]));
		out->nsmall = s.n;
	}
out:
	member_free(&ms);
	member_free(&ml);
	member_free(&mc);
	kt_idset_free(&s);
	kt_idset_free(&live);
	kt_idset_free(&clients);
	return rc;
}
