/* SPDX-License-Identifier: MIT */
/* Client search and filtered lists: index sets intersected smallest
 * first (sorted id arrays when small, bitmaps when large), counts from
 * the sets, records read only for the page; one page of masked rows
 * packed out of LMDB memory. Every card filter has an index, so the work
 * of a request grows with index sizes, never with card reads; the
 * activity filters (segments) read one small client_activity record per
 * card the index terms left. */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <protobuf-c/protobuf-c.h>

#include "catalog.h"
#include "arena.h"
#include "model/authz.h"
#include "model/client_activity.h"
#include "model/client_query.h"
#include "model/branch_store.h"
#include "model/client_store.h"
#include "model/deal_store.h"
#include "model/user_store.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"
#include "normalize.h"

/* ==== rows ================================================================ */

/* Builds the masked row of r in arena memory. Returns NULL when out of
 * memory. */
static Kartoteka__ClientRow *
make_row(kt_arena_t *a, MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__ClientRecord *r)
{
	Kartoteka__ClientRow *row = kt_arena_alloc(a, sizeof(*row));
	char buf[1024];
	const char *phone = NULL;

	if (row == NULL)
		return NULL;
	kartoteka__client_row__init(row);
	row->id = r->id;
	row->title = kt_arena_strdup(a, r->title);
	kt_branch_name(txn, db, r->branch, buf, sizeof(buf));
	row->branch = kt_arena_strdup(a, buf);
	kt_user_login(txn, db, r->manager, buf, sizeof(buf));
	row->manager = kt_arena_strdup(a, buf);
	row->status = (Kartoteka__ClientStatus)r->status;
	row->category = (Kartoteka__Category)r->category;
	row->archived = r->archived;
	for (size_t i = 0; i < r->n_people && phone == NULL; i++)
		if (r->people[i]->n_phones)
			phone = r->people[i]->phones[0];
	if (phone != NULL) {
		kt_mask_phone(phone, buf, sizeof(buf));
		row->phone = kt_arena_strdup(a, buf);
	} else {
		row->phone = kt_arena_strdup(a, "");
	}
	row->people = kt_arena_alloc(a, (r->n_people + 1) * sizeof(char *));
	row->tags = kt_arena_alloc(a, (r->n_tags + 1) * sizeof(char *));
	if (!row->title || !row->branch || !row->manager || !row->phone ||
	    !row->people || !row->tags)
		return NULL;
	for (size_t i = 0; i < r->n_people; i++) {
		const Ktstore__PersonRecord *p = r->people[i];
		if (p->birth_year)
			snprintf(buf, sizeof(buf), "%s (%u)", p->name,
			    p->birth_year);
		else
			snprintf(buf, sizeof(buf), "%s", p->name);
		if ((row->people[i] = kt_arena_strdup(a, buf)) == NULL)
			return NULL;
	}
	row->n_people = r->n_people;
	for (size_t i = 0; i < r->n_tags; i++)
		if ((row->tags[i] = kt_arena_strdup(a, r->tags[i])) == NULL)
			return NULL;
	row->n_tags = r->n_tags;
	return row;
}

/* ==== id sets ============================================================= */

/* The ids of one query step: a sorted array without repeats when few, a
 * bitmap over ids 0..nbits-1 when many (past nbits / 64 ids the bitmap
 * is the smaller of the two). */
typedef struct cset {
	kt_idset_t a;           /* array form */
	uint64_t *bits;         /* bitmap form when non-NULL */
	size_t nwords;
} cset_t;

/* Bitmaps only below this many ids (512 MiB of bits); beyond, arrays. */
#define CSET_BITS_MAX ((uint64_t)1 << 32)

static void
cset_free(cset_t *s)
{
	kt_idset_free(&s->a);
	free(s->bits);
	memset(s, 0, sizeof(*s));
}

static int
bit_has(const cset_t *s, uint64_t id)
{
	return id / 64 < s->nwords && (s->bits[id / 64] >> (id % 64) & 1u);
}

static uint64_t
cset_count(const cset_t *s)
{
	uint64_t n = 0;

	if (s->bits == NULL)
		return s->a.n;
	for (size_t i = 0; i < s->nwords; i++)
		n += (uint64_t)__builtin_popcountll(s->bits[i]);
	return n;
}

/* The first id of s above after; 0 when there is none (ids start at 1). */
static uint64_t
cset_next(const cset_t *s, uint64_t after)
{
	uint64_t id, word;
	size_t w;

	if (s->bits == NULL) {
		size_t lo = 0, hi = s->a.n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (s->a.ids[mid] <= after)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo < s->a.n ? s->a.ids[lo] : 0;
	}
	if ((id = after + 1) == 0 || (w = (size_t)(id / 64)) >= s->nwords)
		return 0;
	word = s->bits[w] & (~(uint64_t)0 << (id % 64));
	while (word == 0) {
		if (++w >= s->nwords)
			return 0;
		word = s->bits[w];
	}
	return (uint64_t)w * 64 + (uint64_t)__builtin_ctzll(word);
}

/* s := s ∩ o (o may be emptied: its array can be taken over). */
static void
cset_and(cset_t *s, cset_t *o)
{
	size_t w = 0;

	if (s->bits == NULL && o->bits == NULL) {
		kt_idset_intersect(&s->a, &o->a);
	} else if (s->bits == NULL) {
		for (size_t i = 0; i < s->a.n; i++)
			if (bit_has(o, s->a.ids[i]))
				s->a.ids[w++] = s->a.ids[i];
		s->a.n = w;
	} else if (o->bits == NULL) {
		for (size_t i = 0; i < o->a.n; i++)
			if (bit_has(s, o->a.ids[i]))
				o->a.ids[w++] = o->a.ids[i];
		o->a.n = w;
		free(s->bits);
		s->bits = NULL;
		s->nwords = 0;
		kt_idset_free(&s->a);
		s->a = o->a;
		memset(&o->a, 0, sizeof(o->a));
	} else {
		for (size_t i = 0; i < s->nwords; i++)
			s->bits[i] &= i < o->nwords ? o->bits[i] : 0;
	}
}

/* s := s \ o. */
static void
cset_andnot(cset_t *s, const cset_t *o)
{
	size_t w = 0, j = 0;

	if (s->bits == NULL && o->bits == NULL) {
		for (size_t i = 0; i < s->a.n; i++) {
			while (j < o->a.n && o->a.ids[j] < s->a.ids[i])
				j++;
			if (j == o->a.n || o->a.ids[j] != s->a.ids[i])
				s->a.ids[w++] = s->a.ids[i];
		}
		s->a.n = w;
	} else if (s->bits == NULL) {
		for (size_t i = 0; i < s->a.n; i++)
			if (!bit_has(o, s->a.ids[i]))
				s->a.ids[w++] = s->a.ids[i];
		s->a.n = w;
	} else if (o->bits == NULL) {
		for (size_t i = 0; i < o->a.n; i++)
			if (o->a.ids[i] / 64 < s->nwords)
				s->bits[o->a.ids[i] / 64] &=
				    ~((uint64_t)1 << (o->a.ids[i] % 64));
	} else {
		for (size_t i = 0; i < s->nwords && i < o->nwords; i++)
			s->bits[i] &= ~o->bits[i];
	}
}

/* ==== index terms ========================================================= */

/* One condition answered by an index: the ids under some keys of a dup
 * index (cx_created: the ids of a key range). */
typedef enum term_kind {
	TK_KEY,         /* exactly key */
	TK_BRANCHES,    /* any of the BE64 keys ids[0..nids) */
	TK_PREFIX,      /* keys starting with key (keylen 0: every key) */
	TK_RANGE,       /* key <= k < hi, keys of keylen bytes */
	TK_CREATED,     /* as TK_RANGE, in the non-dup cx_created */
} term_kind_t;

typedef struct term {
	term_kind_t kind;
	MDB_dbi dbi;
	uint8_t key[KT_CSTORE_WORD_MAX + 16];
	size_t keylen;
	uint8_t hi[16];
	int child_only;         /* TK_RANGE of cx_birthday or cx_birthdate:
				   keys whose last byte (the child flag) is 1 */
	uint8_t month;          /* TK_RANGE of cx_birthdate: only keys of
				   this birth month (byte 2), 0 = any; the
				   walk skips to that month of each year */
	const uint64_t *ids;    /* TK_BRANCHES */
	size_t nids;
	uint64_t est;           /* ids under the keys (repeats counted);
				   TK_CREATED: capped, see query_run */
} term_t;

typedef struct query {
	MDB_txn *txn;
	const kt_store_dbs_t *db;
	uint64_t nbits;         /* 1 + the largest client id */
	term_t *t;              /* all must hold */
	size_t nt, cap;
	term_t no[3];           /* must not hold: archived, and the "no" of
				   consent and do-not-contact */
	size_t nno;
	int empty;              /* some condition matches nothing */
	int err;
} query_t;

static int
query_init(query_t *q, MDB_txn *txn, const kt_store_dbs_t *db)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int m;

	memset(q, 0, sizeof(*q));
	q->txn = txn;
	q->db = db;
	if ((m = mdb_cursor_open(txn, db->clients, &cur)) != 0)
		return kt_store_err(m);
	m = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	mdb_cursor_close(cur);
	if (m == MDB_NOTFOUND) {
		q->empty = 1;
		return 0;
	}
	if (m != 0)
		return kt_store_err(m);
	if (k.mv_size != 8)
		return KT_ESTORE;
	q->nbits = kt_store_get_be64(k.mv_data);
	q->nbits += q->nbits < UINT64_MAX;
	return 0;
}

static void
query_free(query_t *q)
{
	free(q->t);
	q->t = NULL;
	q->nt = q->cap = 0;
}

/* A new zeroed term of dbi; NULL (and q->err) when out of memory. */
static term_t *
term_add(query_t *q, term_kind_t kind, MDB_dbi dbi)
{
	term_t *t;

	if (q->nt == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 8;
		term_t *p = realloc(q->t, cap * sizeof(*p));
		if (p == NULL) {
			q->err = KT_ENOMEM;
			return NULL;
		}
		q->t = p;
		q->cap = cap;
	}
	t = &q->t[q->nt++];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->dbi = dbi;
	return t;
}

static void
term_key(query_t *q, MDB_dbi dbi, const void *key, size_t len)
{
	term_t *t = term_add(q, TK_KEY, dbi);

	if (t != NULL) {
		memcpy(t->key, key, len);
		t->keylen = len;
	}
}

static int
keep_key(const term_t *t, const MDB_val *k)
{
	size_t m;
	int c;

	if (t->kind == TK_PREFIX)
		return k->mv_size >= t->keylen &&
		    memcmp(k->mv_data, t->key, t->keylen) == 0;
	m = k->mv_size < t->keylen ? k->mv_size : t->keylen;
	c = memcmp(k->mv_data, t->hi, m);
	return c < 0 || (c == 0 && k->mv_size < t->keylen);
}

/* Called with the cursor on the first value of each key of a term;
 * returns 0 to go on, 1 to stop, or an error (< 0). */
typedef int (*key_fn)(MDB_cursor *cur, MDB_val *k, MDB_val *v, void *arg);

static int
term_walk(MDB_cursor *cur, const term_t *t, key_fn fn, void *arg)
{
	MDB_val k, v;
	uint8_t kb[8];
	int m, rc;

	if (t->kind == TK_KEY || t->kind == TK_BRANCHES) {
		size_t n = t->kind == TK_KEY ? 1 : t->nids;
		for (size_t i = 0; i < n; i++) {
			if (t->kind == TK_KEY) {
				k.mv_size = t->keylen;
				k.mv_data = (void *)t->key;
			} else {
				kt_store_be64(kb, t->ids[i]);
				k.mv_size = 8;
				k.mv_data = kb;
			}
			m = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
			if (m == MDB_NOTFOUND)
				continue;
			if (m != 0)
				return kt_store_err(m);
			if ((rc = fn(cur, &k, &v, arg)) != 0)
				return rc < 0 ? rc : 0;
		}
		return 0;
	}
	k.mv_size = t->keylen;
	k.mv_data = (void *)t->key;
	m = t->keylen ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) :
	    mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (m == 0 && keep_key(t, &k)) {
		const uint8_t *kd = k.mv_data;
		if (t->month && k.mv_size == 5 && kd[2] != t->month) {
			/* Another month: on to this month of the key's year,
			 * or of the next year once it is past. */
			unsigned y = (unsigned)kd[0] << 8 | kd[1];
			if (kd[2] > t->month && ++y > 0xffff)
				break;
			kb[0] = (uint8_t)(y >> 8);
			kb[1] = (uint8_t)y;
			kb[2] = t->month;
			kb[3] = kb[4] = 0;
			k.mv_size = 5;
			k.mv_data = kb;
			m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
			continue;
		}
		if (!t->child_only || (k.mv_size == t->keylen &&
		    kd[t->keylen - 1] == 1)) {
			if ((rc = fn(cur, &k, &v, arg)) != 0)
				return rc < 0 ? rc : 0;
		}
		m = mdb_cursor_get(cur, &k, &v, t->kind == TK_CREATED ?
		    MDB_NEXT : MDB_NEXT_NODUP);
	}
	return m == 0 || m == MDB_NOTFOUND ? 0 : kt_store_err(m);
}

typedef struct est_ctx {
	uint64_t n, cap;
	int created;
} est_ctx_t;

static int
est_key(MDB_cursor *cur, MDB_val *k, MDB_val *v, void *arg)
{
	est_ctx_t *e = arg;
	size_t c = 1;
	int m;

	(void)k;
	(void)v;
	if (!e->created && (m = mdb_cursor_count(cur, &c)) != 0)
		return kt_store_err(m);
	e->n += c;
	return e->n > e->cap;
}

/* t->est: the ids under t's keys; a TK_CREATED count stops past cap. */
static int
term_estimate(query_t *q, term_t *t, uint64_t cap)
{
	MDB_cursor *cur = NULL;
	est_ctx_t e = { 0, cap, t->kind == TK_CREATED };
	int m, rc;

	if ((m = mdb_cursor_open(q->txn, t->dbi, &cur)) != 0)
		return kt_store_err(m);
	rc = term_walk(cur, t, est_key, &e);
	mdb_cursor_close(cur);
	t->est = e.n;
	return rc;
}

typedef struct sink {
	cset_t *s;
	size_t keys;            /* keys seen: more than one needs a sort */
	int created;
} sink_t;

/* kt_store_get_be64, inlined: index loads decode millions of ids. */
static inline uint64_t
be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap64(v);
#else
	return kt_store_get_be64(p);
#endif
}

/* Adds the n BE64 ids at p. */
static int
sink_add(sink_t *sk, const uint8_t *p, size_t n)
{
	cset_t *s = sk->s;
	uint64_t *bits = s->bits;
	size_t nw = s->nwords;
	int rc;

	if (bits != NULL) {
		for (size_t i = 0; i < n; i++, p += 8) {
			uint64_t id = be64(p);
			if (id / 64 < nw)
				bits[id / 64] |= (uint64_t)1 << (id % 64);
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++, p += 8) {
		if (s->a.n < s->a.cap)
			s->a.ids[s->a.n++] = be64(p);
		else if ((rc = kt_idset_add(&s->a, be64(p))) != 0)
			return rc;
	}
	return 0;
}

static int
load_key(MDB_cursor *cur, MDB_val *k, MDB_val *v, void *arg)
{
	sink_t *sk = arg;
	size_t c = 1;
	int m, rc;

	sk->keys++;
	/* A key with one value (and every cx_created entry): v holds it.
	 * MDB_GET_MULTIPLE is not asked then: on such a key it may answer
	 * the values of a key the cursor visited before. */
	if (!sk->created && (m = mdb_cursor_count(cur, &c)) != 0)
		return kt_store_err(m);
	if (c == 1)
		return v->mv_size == 8 ? sink_add(sk, v->mv_data, 1) : 0;
	m = mdb_cursor_get(cur, k, v, MDB_GET_MULTIPLE);
	while (m == 0) {
		if ((rc = sink_add(sk, v->mv_data, v->mv_size / 8)) != 0)
			return rc;
		m = mdb_cursor_get(cur, k, v, MDB_NEXT_MULTIPLE);
	}
	return m == MDB_NOTFOUND ? 0 : kt_store_err(m);
}

static int
use_bitmap(const query_t *q, uint64_t n)
{
	return q->nbits <= CSET_BITS_MAX && n > q->nbits / 64;
}

/* The ids of t into out (zeroed), as an array or a bitmap by t->est. */
static int
term_load(query_t *q, const term_t *t, cset_t *out)
{
	MDB_cursor *cur = NULL;
	sink_t sk = { out, 0, t->kind == TK_CREATED };
	int m, rc;

	memset(out, 0, sizeof(*out));
	if (use_bitmap(q, t->est)) {
		out->nwords = (size_t)((q->nbits + 63) / 64);
		if ((out->bits = calloc(out->nwords, sizeof(uint64_t))) == NULL)
			return KT_ENOMEM;
	} else if (t->est > 0 && t->est < SIZE_MAX / 8) {
		if ((out->a.ids = malloc(t->est * 8)) == NULL)
			return KT_ENOMEM;
		out->a.cap = (size_t)t->est;
	}
	if ((m = mdb_cursor_open(q->txn, t->dbi, &cur)) != 0)
		return kt_store_err(m);
	rc = term_walk(cur, t, load_key, &sk);
	mdb_cursor_close(cur);
	if (rc == 0 && out->bits == NULL && sk.keys > 1)
		kt_idset_normalize(&out->a);
	return rc;
}

/* Keeps in s (array form) the ids that are (keep = 1) or are not
 * (keep = 0) under a key of t (TK_KEY, TK_BRANCHES): a lookup per id and
 * key, for a few ids against a large index set. */
static int
term_probe(query_t *q, const term_t *t, cset_t *s, int keep)
{
	MDB_cursor *cur = NULL;
	size_t n = t->kind == TK_KEY ? 1 : t->nids, w = 0;
	uint8_t kb[8], vb[8];
	int m = 0, rc = 0;

	if ((m = mdb_cursor_open(q->txn, t->dbi, &cur)) != 0)
		return kt_store_err(m);
	for (size_t i = 0; i < s->a.n && rc == 0; i++) {
		int found = 0;
		kt_store_be64(vb, s->a.ids[i]);
		for (size_t j = 0; j < n && !found; j++) {
			MDB_val k, v = { 8, vb };
			if (t->kind == TK_KEY) {
				k.mv_size = t->keylen;
				k.mv_data = (void *)t->key;
			} else {
				kt_store_be64(kb, t->ids[j]);
				k.mv_size = 8;
				k.mv_data = kb;
			}
			m = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH);
			if (m == 0)
				found = 1;
			else if (m != MDB_NOTFOUND)
				rc = kt_store_err(m);
		}
		if (found == keep)
			s->a.ids[w++] = s->a.ids[i];
	}
	mdb_cursor_close(cur);
	s->a.n = w;
	return rc;
}

static int
probe_pays(const cset_t *s, const term_t *t)
{
	size_t n = t->kind == TK_KEY ? 1 : t->kind == TK_BRANCHES ? t->nids : 0;

	/* A lookup (two B-tree descents) costs about as much as loading a
	 * few hundred ids of a key (measured: ~400 ns against ~1.5 ns). */
	return s->bits == NULL && n > 0 && (uint64_t)s->a.n * n * 256 < t->est;
}

/* The ids matching every term and none of the negative ones, into out. */
static int
query_run(query_t *q, cset_t *out)
{
	uint64_t least = UINT64_MAX;
	int only_created = 1, rc;

	memset(out, 0, sizeof(*out));
	if (q->err)
		return q->err;
	if (q->empty || q->nbits <= 1)
		return 0;
	for (size_t i = 0; i < q->nt; i++)
		only_created &= q->t[i].kind == TK_CREATED;
	if (only_created) {
		/* No condition on a dup index: every live card (cx_branch
		 * holds each once; cx_created keeps tombstones too). */
		if (term_add(q, TK_PREFIX, q->db->cx_branch) == NULL)
			return q->err;
	}
	for (size_t i = 0; i < q->nt; i++) {
		if (q->t[i].kind == TK_CREATED)
			continue;
		if ((rc = term_estimate(q, &q->t[i], UINT64_MAX)) != 0)
			return rc;
		if (q->t[i].est == 0)
			return 0;
		if (q->t[i].est < least)
			least = q->t[i].est;
	}
	for (size_t i = 0; i < q->nt; i++) {
		/* Counting a period costs a step per card: stop once it
		 * cannot be the smallest set. */
		if (q->t[i].kind != TK_CREATED)
			continue;
		if ((rc = term_estimate(q, &q->t[i], least)) != 0)
			return rc;
		if (q->t[i].est == 0)
			return 0;
	}
	for (size_t i = 1; i < q->nt; i++) {   /* smallest first */
		term_t t = q->t[i];
		size_t j = i;
		for (; j > 0 && q->t[j - 1].est > t.est; j--)
			q->t[j] = q->t[j - 1];
		q->t[j] = t;
	}
	if ((rc = term_load(q, &q->t[0], out)) != 0)
		return rc;
	for (size_t i = 1; i < q->nt && cset_count(out) > 0; i++) {
		cset_t o;
		if (probe_pays(out, &q->t[i])) {
			rc = term_probe(q, &q->t[i], out, 1);
		} else if ((rc = term_load(q, &q->t[i], &o)) == 0) {
			cset_and(out, &o);
			cset_free(&o);
		} else {
			cset_free(&o);
		}
		if (rc != 0)
			return rc;
	}
	for (size_t i = 0; i < q->nno && cset_count(out) > 0; i++) {
		term_t *no = &q->no[i];
		cset_t o;
		if ((rc = term_estimate(q, no, UINT64_MAX)) != 0)
			return rc;
		if (no->est == 0)
			continue;
		if (probe_pays(out, no)) {
			if ((rc = term_probe(q, no, out, 0)) != 0)
				return rc;
			continue;
		}
		if ((rc = term_load(q, no, &o)) == 0)
			cset_andnot(out, &o);
		cset_free(&o);
		if (rc != 0)
			return rc;
	}
	return rc;
}

/* The terms of what who may list (KT_ACT_LIST, as kt_authz_client). */
static void
visibility_terms(query_t *q, const kt_cq_caller_t *who)
{
	kt_scope_t see = kt_authz_scope(who->role, KT_ACT_SEE_CLIENT);
	kt_scope_t list = kt_authz_scope(who->role, KT_ACT_LIST);
	uint8_t k[8];
	term_t *t;

	if (see == KT_SCOPE_NONE || list == KT_SCOPE_NONE) {
		q->empty = 1;
		return;
	}
	if (see != KT_SCOPE_ALL || list != KT_SCOPE_ALL) {
		if (who->nbranches == 0) {
			q->empty = 1;
			return;
		}
		if ((t = term_add(q, TK_BRANCHES, q->db->cx_branch)) != NULL) {
			t->ids = who->branches;
			t->nids = who->nbranches;
		}
	}
	if (list == KT_SCOPE_MANAGED) {
		kt_store_be64(k, who->id);
		term_key(q, q->db->cx_manager, k, 8);
	}
}

/* ==== the full check of a page row ====================================== */

/* Age in whole years on day (y, m, d) of someone born (by, bm, bd); an
 * unknown birth month counts the birthday as passed. */
static int
age_on(unsigned y, unsigned m, unsigned d, unsigned by, unsigned bm,
    unsigned bd)
{
	int age = (int)y - (int)by;

	if (bm != 0 && (m < bm || (m == bm && d < bd)))
		age--;
	return age;
}

static int
fold_eq(const char *a, const char *b)
{
	char fa[KT_CSTORE_WORD_MAX + 1], fb[KT_CSTORE_WORD_MAX + 1];

	kt_cstore_fold_key(a ? a : "", fa);
	kt_cstore_fold_key(b ? b : "", fb);
	return strcmp(fa, fb) == 0;
}

/* 1 when f has a condition about a person. */
static int
has_person_terms(const kt_cq_filter_t *f)
{
	return f->birth_month || f->child_birth_year || f->child_age_min ||
	    f->child_age_max;
}

/* 1 when the child conditions (birth year, age) are set: the person must
 * be a child with a known birth year. */
static int
has_child_terms(const kt_cq_filter_t *f)
{
	return f->child_birth_year || f->child_age_min || f->child_age_max;
}

/* Every person-level condition of f on the one person p, ages on day tm. */
static int
person_match(const kt_cq_filter_t *f, const struct tm *tm,
    const Ktstore__PersonRecord *p)
{
	int child = p->relation == KARTOTEKA__RELATION__CHILD, age;

	if (f->birth_month && (p->birth_month != f->birth_month ||
	    (f->children_only && !child)))
		return 0;
	if (!has_child_terms(f))
		return 1;
	if (!child || p->birth_year == 0)
		return 0;
	if (f->child_birth_year && p->birth_year != f->child_birth_year)
		return 0;
	if (f->child_age_min || f->child_age_max) {
		age = age_on((unsigned)tm->tm_year + 1900,
		    (unsigned)tm->tm_mon + 1, (unsigned)tm->tm_mday,
		    p->birth_year, p->birth_month, p->birth_day);
		if (age < (int)f->child_age_min ||
		    (f->child_age_max && age > (int)f->child_age_max))
			return 0;
	}
	return 1;
}

/* 1 when the set tri-state want (1 yes, -1 no) agrees with have. */
static int
tri_ok(int want, int have)
{
	return want == 0 || (want > 0) == (have != 0);
}

/* Every filter of f on the record: a page row is checked in full, even
 * when the indexes already answered. */
static int
match_filter(const Ktstore__ClientRecord *r, const kt_cq_filter_t *f)
{
	struct tm tm;
	time_t now = (time_t)f->now;
	int ok;

	if (r->archived && !f->include_archived)
		return 0;
	if ((f->branch && r->branch != f->branch) ||
	    (f->manager && r->manager != f->manager) ||
	    (f->status && r->status != f->status) ||
	    (f->category && r->category != f->category))
		return 0;
	if (f->created_from && r->created_at < f->created_from)
		return 0;
	if (f->created_to && r->created_at >= f->created_to)
		return 0;
	if (f->source && *f->source && !fold_eq(f->source, r->source))
		return 0;
	if (f->tag && *f->tag) {
		ok = 0;
		for (size_t i = 0; i < r->n_tags && !ok; i++)
			ok = fold_eq(f->tag, r->tags[i]);
		if (!ok)
			return 0;
	}
	if (has_person_terms(f)) {
		/* One person meets them all. */
		gmtime_r(&now, &tm);
		ok = 0;
		for (size_t i = 0; i < r->n_people && !ok; i++)
			ok = person_match(f, &tm, r->people[i]);
		if (!ok)
			return 0;
	}
	if (!tri_ok(f->consent, r->consent_date && r->consent_date[0]) ||
	    !tri_ok(f->do_not_contact, r->do_not_contact))
		return 0;
	/* The activity filters were applied to the set from
	 * client_activity (activity_refine); the record has no copy. */
	return 1;
}

/* ==== paging ============================================================== */

static int
parse_cursor(const uint8_t *cursor, size_t len, uint64_t *after,
    const char **why)
{
	*after = 0;
	if (len == 0)
		return 0;
	if (len != 8) {
		*why = KT_MSG("cursor: not a cursor from a previous page");
		return KT_EINVAL;
	}
	*after = kt_store_get_be64(cursor);
	return 0;
}

static int
visible(const kt_cq_caller_t *who, const Ktstore__ClientRecord *r)
{
	return kt_authz_client(who->id, who->role, who->branches,
	    who->nbranches, KT_ACT_LIST, r->branch, r->manager) == 0;
}

static int
rec_get(MDB_cursor *cur, uint64_t id, MDB_val *v)
{
	uint8_t kb[8];
	MDB_val k = { 8, kb };
	int m;

	kt_store_be64(kb, id);
	m = mdb_cursor_get(cur, &k, v, MDB_SET_KEY);
	return m == 0 ? 0 : m == MDB_NOTFOUND ? KT_ENOTFOUND : kt_store_err(m);
}

typedef struct pager {
	query_t *q;
	const kt_cq_caller_t *who;
	const kt_cq_filter_t *f;        /* NULL for find */
	MDB_cursor *cur;
	kt_arena_t a;
	Kartoteka__ClientRow **rows;
	size_t nrows, bytes;
	uint32_t limit;
	uint64_t last;
	int full, more;
} pager_t;

/* Adds the card of packed record v as a row if it passes every check.
 * Returns 1 (added, or found not to fit: full), 0 (skipped), or an
 * error. */
static int
pager_row(pager_t *p, const MDB_val *v)
{
	Ktstore__ClientRecord *r;
	Kartoteka__ClientRow *row;
	size_t sz;
	int rc = 0;

	r = ktstore__client_record__unpack(NULL, v->mv_size, v->mv_data);
	if (r == NULL)
		return KT_EPROTO;
	if (r->purged || !visible(p->who, r) ||
	    (p->f != NULL && !match_filter(r, p->f)))
		goto out;
	if ((row = make_row(&p->a, p->q->txn, p->q->db, r)) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	rc = 1;
	sz = kartoteka__client_row__get_packed_size(row) + 8;
	if (p->bytes + sz > KT_CQ_PAGE_BYTES) {
		p->full = p->more = 1;
		goto out;
	}
	p->rows[p->nrows++] = row;
	p->bytes += sz;
	p->last = r->id;
	p->full = p->nrows == p->limit;
out:
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return rc;
}

/* Rows of set after `after` up to the limit, total from the set. Only
 * the records of the page are read.
 *   [out] page  packed answer, malloc'd; free with kt_cquery_page_free */
static int
page_build(query_t *q, const kt_cq_caller_t *who, const kt_cq_filter_t *f,
    const cset_t *set, uint64_t after, uint32_t limit, kt_cq_page_t *page)
{
	Kartoteka__ClientListResponse lr = KARTOTEKA__CLIENT_LIST_RESPONSE__INIT;
	pager_t p;
	uint8_t next[8];
	uint64_t id, skipped = 0;
	MDB_val v;
	int rc, m;

	memset(page, 0, sizeof(*page));
	memset(&p, 0, sizeof(p));
	p.q = q;
	p.who = who;
	p.f = f;
	p.bytes = 16;
	p.limit = limit == 0 ? KT_CQ_LIMIT_DEFAULT :
	    limit > KT_CQ_LIMIT_MAX ? KT_CQ_LIMIT_MAX : limit;
	if ((rc = kt_arena_init(&p.a, 64 * 1024, 16u << 20)) != 0)
		return rc;
	if ((p.rows = calloc(p.limit, sizeof(*p.rows))) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	if ((m = mdb_cursor_open(q->txn, q->db->clients, &p.cur)) != 0) {
		rc = kt_store_err(m);
		goto out;
	}
	page->total = cset_count(set);
	for (id = cset_next(set, after); id != 0 && !p.full;
	    id = cset_next(set, id)) {
		if ((rc = rec_get(p.cur, id, &v)) == KT_ENOTFOUND) {
			skipped++;
			continue;
		}
		if (rc != 0 || (rc = pager_row(&p, &v)) < 0)
			goto out;
		skipped += rc == 0;
	}
	if (p.full && !p.more)
		p.more = cset_next(set, p.last) != 0;
	/* Cards the indexes listed but the records refused (only if the two
	 * disagree, which a test would catch) do not count. */
	page->total -= skipped < page->total ? skipped : page->total;
	lr.rows = p.rows;
	lr.n_rows = p.nrows;
	lr.total = page->total;
	if (p.more && p.last != 0) {
		kt_store_be64(next, p.last);
		lr.next_cursor.data = next;
		lr.next_cursor.len = 8;
	}
	page->len = kartoteka__client_list_response__get_packed_size(&lr);
	page->packed = malloc(page->len ? page->len : 1);
	if (page->packed == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	kartoteka__client_list_response__pack(&lr, page->packed);
	page->rows = (uint32_t)lr.n_rows;
	if ((page->ids = malloc((lr.n_rows + 1) * sizeof(uint64_t))) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < lr.n_rows; i++)
		page->ids[i] = lr.rows[i]->id;
	rc = 0;
out:
	if (p.cur != NULL)
		mdb_cursor_close(p.cur);
	free(p.rows);
	kt_arena_free(&p.a);
	if (rc != 0)
		kt_cquery_page_free(page);
	return rc;
}

void
kt_cquery_page_free(kt_cq_page_t *page)
{
	if (page == NULL)
		return;
	free(page->packed);
	free(page->ids);
	memset(page, 0, sizeof(*page));
}

/* ==== find ================================================================ */

typedef struct words_ctx {
	query_t *q;
	size_t n;
} words_ctx_t;

static int
word_term(const char *word, size_t len, void *arg)
{
	words_ctx_t *w = arg;
	term_t *t;

	if (len > KT_CSTORE_WORD_MAX) {
		len = KT_CSTORE_WORD_MAX;
		while (len > 0 && ((unsigned char)word[len] & 0xc0) == 0x80)
			len--;
	}
	if ((t = term_add(w->q, TK_PREFIX, w->q->db->cx_word)) == NULL)
		return KT_ENOMEM;
	memcpy(t->key, word, len);
	t->keylen = len;
	w->n++;
	return 0;
}

int
kt_cquery_find(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_cq_caller_t *who, const char *text, const char *default_cc,
    const uint8_t *cursor, size_t cursorlen, uint32_t limit,
    kt_cq_page_t *page, char *digest, size_t cap, const char **why)
{
	char phone[KT_PHONE_MAX], folded[1024], masked[KT_EMAIL_MAX + 8];
	query_t q;
	cset_t set = { 0 };
	uint64_t after;
	int rc;

	memset(page, 0, sizeof(*page));
	snprintf(digest, cap, "%s", "");
	if ((rc = parse_cursor(cursor, cursorlen, &after, why)) != 0)
		return rc;
	if (text == NULL || *text == '\0') {
		*why = KT_MSG("text: nothing to search for");
		return KT_EINVAL;
	}
	if (strlen(text) > 512 || !kt_utf8_valid(text, 0)) {
		*why = KT_MSG("text: must be valid UTF-8 text of at most 512 bytes");
		return KT_EINVAL;
	}
	if ((rc = query_init(&q, txn, db)) != 0)
		return rc;
	if (strchr(text, '@') != NULL) {
		/* An e-mail: exact, as cx_email keeps it (normalised, then
		 * folded). */
		char email[KT_EMAIL_MAX], key[KT_CSTORE_WORD_MAX + 1];
		size_t n;
		if (kt_email_normalize(text, email, NULL) != 0 ||
		    (n = kt_cstore_fold_key(email, key)) == 0) {
			*why = KT_MSG("text: has '@' but is not an e-mail address");
			rc = KT_EINVAL;
			goto out;
		}
		kt_mask_email(email, masked, sizeof(masked));
		snprintf(digest, cap, "email %s", masked);
		term_key(&q, db->cx_email, key, n);
	} else if (kt_phone_normalize(text, default_cc, phone, NULL) == 0) {
		kt_mask_phone(phone, masked, sizeof(masked));
		snprintf(digest, cap, "phone %s", masked);
		term_key(&q, db->cx_phone, phone, strlen(phone));
	} else {
		words_ctx_t w = { &q, 0 };
		if (kt_text_fold(text, folded, sizeof(folded)) != 0) {
			*why = KT_MSG("text: cannot be folded for search");
			rc = KT_EINVAL;
			goto out;
		}
		snprintf(digest, cap, "text %s", text);
		rc = kt_text_words(folded, word_term, &w);
		if (rc == 0 && w.n == 0) {
			*why = KT_MSG("text: no letters or digits to search for");
			rc = KT_EINVAL;
		}
		if (rc != 0)
			goto out;
	}
	visibility_terms(&q, who);
	if ((rc = query_run(&q, &set)) == 0)
		rc = page_build(&q, who, NULL, &set, after, limit, page);
out:
	cset_free(&set);
	query_free(&q);
	return rc;
}

int
kt_cquery_find_contract(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_cq_caller_t *who, const char *contract, const uint8_t *cursor,
    size_t cursorlen, uint32_t limit, kt_cq_page_t *page, char *digest,
    size_t cap, const char **why)
{
	char key[KT_CSTORE_WORD_MAX + 1];
	query_t q;
	cset_t set = { 0 };
	uint64_t after;
	size_t n;
	int rc;

	memset(page, 0, sizeof(*page));
	snprintf(digest, cap, "%s", "");
	if ((rc = parse_cursor(cursor, cursorlen, &after, why)) != 0)
		return rc;
	if (contract == NULL || *contract == '\0') {
		*why = KT_MSG("contract: is empty");
		return KT_EINVAL;
	}
	if (strlen(contract) > 256 || !kt_utf8_valid(contract, 0)) {
		*why = KT_MSG("contract: must be valid UTF-8 text of at most 256 "
		    "bytes");
		return KT_EINVAL;
	}
	if ((n = kt_cstore_fold_key(contract, key)) == 0) {
		*why = KT_MSG("contract: has nothing to search for");
		return KT_EINVAL;
	}
	if ((rc = query_init(&q, txn, db)) != 0)
		return rc;
	snprintf(digest, cap, "contract %.64s", contract);
	term_key(&q, db->cx_contract, key, n);
	visibility_terms(&q, who);
	if ((rc = query_run(&q, &set)) == 0)
		rc = page_build(&q, who, NULL, &set, after, limit, page);
	cset_free(&set);
	query_free(&q);
	return rc;
}

/* ==== list ================================================================ */

/* A TK_RANGE term of cx_birthdate over keys lo <= (year, month, day) < hi
 * (each 4 bytes: year BE16, month, day; the child flag byte after them is
 * left at 0), children only, of birth month month (0 = any). */
static void
birthdate_term(query_t *q, const uint8_t lo[4], const uint8_t hi[4],
    uint32_t month)
{
	term_t *t = term_add(q, TK_RANGE, q->db->cx_birthdate);

	if (t == NULL)
		return;
	memcpy(t->key, lo, 4);
	t->key[4] = 0;
	memcpy(t->hi, hi, 4);
	t->hi[4] = 0;
	t->keylen = 5;
	t->child_only = 1;
	t->month = (uint8_t)month;
}

static void
date_key(uint8_t k[4], long year, unsigned month, unsigned day)
{
	k[0] = (uint8_t)((uint32_t)year >> 8);
	k[1] = (uint8_t)year;
	k[2] = (uint8_t)month;
	k[3] = (uint8_t)day;
}

/* Children in the age range of f on f->now. A child born (by, bm, bd) is
 * at least a years old on (y, m, d) exactly when (by, bm, bd) <= (y - a,
 * m, d) (an unknown month or day is 0, so it counts as passed, as
 * age_on does); so the range is (y - max - 1, m, d) < birth date <=
 * (y - min, m, d): keys lo <= k < hi. Returns 0 when no birth date is in
 * it. */
static int
child_age_range(const kt_cq_filter_t *f, uint8_t lo[4], uint8_t hi[4])
{
	time_t now = (time_t)f->now;
	struct tm tm;
	long y, top;

	gmtime_r(&now, &tm);
	y = (long)tm.tm_year + 1900;
	top = y - (long)f->child_age_min;
	if (top < 0)
		return 0;
	memset(lo, 0, 4);
	date_key(hi, top, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday + 1);
	if (f->child_age_max && y - (long)f->child_age_max - 1 >= 0)
		date_key(lo, y - (long)f->child_age_max - 1,
		    (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday + 1);
	return 1;
}

/* The person-level conditions of f as index terms, so that ONE person
 * meets them all. With a child's birth year or age they are one range
 * of cx_birthdate (whose keys are one person each: birth date and child
 * flag), the year and the age range intersected, walked only through the
 * birth month's keys of each year; with the birth month alone, that
 * month of cx_birthday. */
static void
person_terms(query_t *q, const kt_cq_filter_t *f)
{
	uint8_t lo[4] = { 0, 0, 0, 0 }, hi[4] = { 0xff, 0xff, 0xff, 0xff };
	uint8_t alo[4], ahi[4];
	term_t *t;

	if (!has_child_terms(f)) {
		if (f->birth_month &&
		    (t = term_add(q, TK_RANGE, q->db->cx_birthday)) != NULL) {
			t->key[0] = (uint8_t)f->birth_month;
			t->key[1] = t->key[2] = 0;
			t->hi[0] = (uint8_t)(f->birth_month + 1);
			t->hi[1] = t->hi[2] = 0;
			t->keylen = 3;
			t->child_only = f->children_only;
		}
		return;
	}
	if (f->child_birth_year) {
		q->empty |= f->child_birth_year > 0xfffe;
		date_key(lo, f->child_birth_year, 0, 0);
		date_key(hi, (long)f->child_birth_year + 1, 0, 0);
	}
	if (f->child_age_min || f->child_age_max) {
		if (!child_age_range(f, alo, ahi)) {
			q->empty = 1;
			return;
		}
		if (memcmp(alo, lo, 4) > 0)
			memcpy(lo, alo, 4);
		if (memcmp(ahi, hi, 4) < 0)
			memcpy(hi, ahi, 4);
	}
	if (memcmp(lo, hi, 4) >= 0) {
		q->empty = 1;
		return;
	}
	birthdate_term(q, lo, hi, f->birth_month);
}

/* The card may not hold the two-byte flag key of cx_status. */
static void
no_term(query_t *q, const char key[static KT_CSTORE_FLAG_KEYLEN])
{
	term_t *no;

	assert(q->nno < sizeof(q->no) / sizeof(q->no[0]));
	no = &q->no[q->nno++];
	memset(no, 0, sizeof(*no));
	no->kind = TK_KEY;
	no->dbi = q->db->cx_status;
	memcpy(no->key, key, KT_CSTORE_FLAG_KEYLEN);
	no->keylen = KT_CSTORE_FLAG_KEYLEN;
}

/* A tri-state filter over a flag key of cx_status: want 1, the card holds
 * key; -1, it does not; 0, no term. */
static void
flag_term(query_t *q, int want, const char key[static KT_CSTORE_FLAG_KEYLEN])
{
	if (want > 0)
		term_key(q, q->db->cx_status, key, KT_CSTORE_FLAG_KEYLEN);
	else if (want < 0)
		no_term(q, key);
}

/* 1 when activity a passes the activity filters of f. */
static int
activity_ok(const kt_cq_filter_t *f, const kt_activity_t *a)
{
	if (f->contacted_before && a->last_interaction_at != 0 &&
	    a->last_interaction_at >= f->contacted_before)
		return 0;
	if (f->contacted_after && (a->last_interaction_at == 0 ||
	    a->last_interaction_at < f->contacted_after))
		return 0;
	return tri_ok(f->open_deal, a->open_deals != 0);
}

/* Keeps in set the cards whose client_activity record passes the
 * activity filters of f (none set: nothing to do). A lookup per card of
 * the set: the other filters narrow it first, and client_activity has no
 * index of its own (it is one small record per client). */
static int
activity_refine(query_t *q, const kt_cq_filter_t *f, cset_t *set)
{
	kt_activity_t a;
	size_t w = 0;
	int rc;

	if (!f->contacted_before && !f->contacted_after && !f->open_deal)
		return 0;
	if (set->bits == NULL) {
		for (size_t i = 0; i < set->a.n; i++) {
			uint64_t id = set->a.ids[i];
			if ((rc = kt_activity_get(q->txn, q->db, id, &a)) != 0)
				return rc;
			if (activity_ok(f, &a))
				set->a.ids[w++] = id;
		}
		set->a.n = w;
		return 0;
	}
	for (uint64_t id = cset_next(set, 0); id != 0;
	    id = cset_next(set, id)) {
		if ((rc = kt_activity_get(q->txn, q->db, id, &a)) != 0)
			return rc;
		if (!activity_ok(f, &a))
			set->bits[id / 64] &= ~((uint64_t)1 << (id % 64));
	}
	return 0;
}

/* Won a deal in [won_from, won_to): the clients under deal_store.h's 'W'
 * keys of that range (the value of each is the client's id), read as a
 * range of cx_created is. */
static void
won_term(query_t *q, const kt_cq_filter_t *f)
{
	term_t *t = term_add(q, TK_CREATED, q->db->deal_ix);

	if (t == NULL)
		return;
	kt_deal_won_range(f->won_from, f->won_to, t->key, t->hi);
	t->keylen = 9;
	q->empty |= f->won_from < 0 || f->won_to < 0 ||
	    (f->won_to && f->won_to <= f->won_from);
}

/* The set of cards matching f that who may list, for kt_cquery_list and
 * kt_cquery_each: q is initialised here (the caller frees it with
 * query_free, also on failure), out filled by query_run. */
static int
list_set(query_t *q, MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_cq_caller_t *who, const kt_cq_filter_t *f, cset_t *out,
    const char **why)
{
	char key[KT_CSTORE_WORD_MAX + 1];
	uint8_t k[16];
	term_t *t;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (f->birth_month > 12) {
		*why = KT_MSG("birth_month: must be 1 to 12");
		return KT_EINVAL;
	}
	if (f->child_age_max && f->child_age_min > f->child_age_max) {
		*why = KT_MSG("child_age_min: larger than child_age_max");
		return KT_EINVAL;
	}
	/* ---- segments */
	if (f->open_deal < -1 || f->open_deal > 1) {
		*why = KT_MSG("open_deal: must be any, yes or no");
		return KT_EINVAL;
	}
	if (f->consent < -1 || f->consent > 1) {
		*why = KT_MSG("consent: must be any, yes or no");
		return KT_EINVAL;
	}
	if (f->do_not_contact < -1 || f->do_not_contact > 1) {
		*why = KT_MSG("do_not_contact: must be any, yes or no");
		return KT_EINVAL;
	}
	if (f->contacted_before < 0 || f->contacted_after < 0) {
		*why = f->contacted_before < 0 ?
		    "contacted_before: is before 1970" :
		    "contacted_after: is before 1970";
		return KT_EINVAL;
	}
	if (f->contacted_before && f->contacted_after &&
	    f->contacted_after >= f->contacted_before) {
		*why = KT_MSG("contacted_after: not before contacted_before");
		return KT_EINVAL;
	}
	if ((rc = query_init(q, txn, db)) != 0)
		return rc;
	/* Every filter is an index term; the smallest set is loaded first. */
	person_terms(q, f);
	if (f->tag && *f->tag) {
		n = kt_cstore_fold_key(f->tag, key);
		q->empty |= n == 0;
		term_key(q, db->cx_tag, key, n);
	}
	if (f->source && *f->source) {
		n = kt_cstore_fold_key(f->source, key);
		q->empty |= n == 0;
		term_key(q, db->cx_source, key, n);
	}
	if (f->manager) {
		kt_store_be64(k, f->manager);
		term_key(q, db->cx_manager, k, 8);
	}
	if (f->branch) {
		kt_store_be64(k, f->branch);
		term_key(q, db->cx_branch, k, 8);
	}
	if (f->status) {
		k[0] = (uint8_t)f->status;
		q->empty |= f->status > 0xff;
		term_key(q, db->cx_status, k, 1);
	}
	if (f->category) {
		k[0] = (uint8_t)f->category;
		q->empty |= f->category > 0xff;
		term_key(q, db->cx_category, k, 1);
	}
	if ((f->created_from || f->created_to) &&
	    (t = term_add(q, TK_CREATED, db->cx_created)) != NULL) {
		kt_store_be64(t->key, f->created_from < 0 ? 0 :
		    (uint64_t)f->created_from);
		kt_store_be64(t->key + 8, 0);
		kt_store_be64(t->hi, f->created_to == 0 ? UINT64_MAX :
		    (uint64_t)f->created_to);
		kt_store_be64(t->hi + 8, 0);
		t->keylen = 16;
		q->empty |= f->created_to < 0;
	}
	/* ---- segments: consent, do-not-contact (flag keys of cx_status) */
	flag_term(q, f->consent, KT_CSTORE_CONSENT_KEY);
	flag_term(q, f->do_not_contact, KT_CSTORE_DNC_KEY);
	/* ---- end of segments */
	if (f->won_from || f->won_to)
		won_term(q, f);
	visibility_terms(q, who);
	if (!f->include_archived)
		no_term(q, KT_CSTORE_ARCHIVED_KEY);
	if ((rc = query_run(q, out)) != 0)
		return rc;
	return activity_refine(q, f, out);
}

int
kt_cquery_list(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_cq_caller_t *who, const kt_cq_filter_t *f,
    const uint8_t *cursor, size_t cursorlen, uint32_t limit,
    kt_cq_page_t *page, const char **why)
{
	query_t q;
	cset_t set = { 0 };
	uint64_t after;
	int rc;

	memset(page, 0, sizeof(*page));
	if ((rc = parse_cursor(cursor, cursorlen, &after, why)) != 0)
		return rc;
	memset(&q, 0, sizeof(q));
	if ((rc = list_set(&q, txn, db, who, f, &set, why)) == 0)
		rc = page_build(&q, who, f, &set, after, limit, page);
	cset_free(&set);
	query_free(&q);
	return rc;
}

/* A Presence of the wire as a filter tri-state: 0 any, 1 yes, -1 no; a
 * value the enum does not have becomes 2, which list_set refuses. */
static int
presence(Kartoteka__Presence p)
{
	switch (p) {
	case KARTOTEKA__PRESENCE__PRESENCE_ANY: return 0;
	case KARTOTEKA__PRESENCE__PRESENCE_YES: return 1;
	case KARTOTEKA__PRESENCE__PRESENCE_NO: return -1;
	default: return 2;
	}
}

/* An id no branch or user has: the ids count up from 1. */
#define KT_CQ_NO_SUCH_ID UINT64_MAX

void
kt_cq_filter_from_request(MDB_txn *txn, const kt_store_dbs_t *db,
    const Kartoteka__ClientListRequest *lr, int64_t now, kt_cq_filter_t *f)
{
	memset(f, 0, sizeof(*f));
	if (lr->branch && lr->branch[0] &&
	    kt_branch_id(txn, db, lr->branch, &f->branch) != 0)
		f->branch = KT_CQ_NO_SUCH_ID;
	if (lr->manager && lr->manager[0] &&
	    kt_user_id(txn, db, lr->manager, &f->manager) != 0)
		f->manager = KT_CQ_NO_SUCH_ID;
	f->status = (uint32_t)lr->status;
	f->category = (uint32_t)lr->category;
	f->tag = lr->tag;
	f->source = lr->source;
	f->birth_month = lr->birth_month;
	f->children_only = lr->children_only;
	f->child_birth_year = lr->child_birth_year;
	f->child_age_min = lr->child_age_min;
	f->child_age_max = lr->child_age_max;
	f->created_from = lr->created_from;
	f->created_to = lr->created_to;
	f->include_archived = lr->include_archived;
	f->now = now;
	/* ---- segments */
	f->contacted_before = lr->contacted_before;
	f->contacted_after = lr->contacted_after;
	f->open_deal = presence(lr->open_deal);
	f->consent = presence(lr->consent);
	f->do_not_contact = presence(lr->do_not_contact);
	f->won_from = lr->won_from;
	f->won_to = lr->won_to;
}

/* ==== every matching card (export) ======================================== */

int
kt_cquery_each(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_cq_caller_t *who, const kt_cq_filter_t *f, uint64_t *total,
    kt_cq_each_fn fn, void *arg, const char **why)
{
	query_t q;
	cset_t set = { 0 };
	MDB_cursor *cur = NULL;
	kt_arena_t a;
	int a_ready = 0, rc, m;

	*total = 0;
	memset(&q, 0, sizeof(q));
	if ((rc = list_set(&q, txn, db, who, f, &set, why)) != 0)
		goto out;
	/* One record at a time: unpacked into an arena reset per card, so
	 * the memory of a million-card walk is that of one card. */
	if ((rc = kt_arena_init(&a, 64 * 1024, 16u << 20)) != 0)
		goto out;
	a_ready = 1;
	if ((m = mdb_cursor_open(txn, db->clients, &cur)) != 0) {
		rc = kt_store_err(m);
		goto out;
	}
	*total = cset_count(&set);
	for (uint64_t id = cset_next(&set, 0); id != 0;
	    id = cset_next(&set, id)) {
		Ktstore__ClientRecord *r;
		MDB_val v;

		if ((rc = rec_get(cur, id, &v)) == KT_ENOTFOUND)
			continue;
		if (rc != 0)
			goto out;
		kt_arena_reset(&a);
		r = ktstore__client_record__unpack(&a.pb, v.mv_size, v.mv_data);
		if (r == NULL) {
			rc = KT_EPROTO;
			goto out;
		}
		/* Checked in full, as a page row is. */
		if (r->purged || !visible(who, r) || !match_filter(r, f))
			continue;
		if ((rc = fn(r, arg)) != 0)
			goto out;
	}
	rc = 0;
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (a_ready)
		kt_arena_free(&a);
	cset_free(&set);
	query_free(&q);
	return rc;
}
