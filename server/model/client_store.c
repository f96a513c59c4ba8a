/* SPDX-License-Identifier: MIT */
/* Client card records and their indexes, kept in step in one write
 * transaction; index scans into sorted id sets; full view counters. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "model/authz.h"
#include "model/client_store.h"
#include "model/user_store.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"
#include "normalize.h"

/* ==== id sets ============================================================ */

int
kt_idset_add(kt_idset_t *s, uint64_t id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		uint64_t *p = realloc(s->ids, cap * sizeof(*p));
		if (p == NULL)
			return KT_ENOMEM;
		s->ids = p;
		s->cap = cap;
	}
	s->ids[s->n++] = id;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void
kt_idset_normalize(kt_idset_t *s)
{
	size_t w = 0;

	if (s->n < 2)
		return;
	qsort(s->ids, s->n, sizeof(*s->ids), cmp_u64);
	for (size_t r = 0; r < s->n; r++)
		if (w == 0 || s->ids[w - 1] != s->ids[r])
			s->ids[w++] = s->ids[r];
	s->n = w;
}

void
kt_idset_intersect(kt_idset_t *a, const kt_idset_t *b)
{
	size_t i = 0, j = 0, w = 0;

	while (i < a->n && j < b->n) {
		if (a->ids[i] < b->ids[j]) {
			i++;
		} else if (a->ids[i] > b->ids[j]) {
			j++;
		} else {
			a->ids[w++] = a->ids[i];
			i++;
			j++;
		}
	}
	a->n = w;
}

int
kt_idset_has(const kt_idset_t *s, uint64_t id)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->ids[mid] == id)
			return 1;
		if (s->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

void
kt_idset_free(kt_idset_t *s)
{
	if (s == NULL)
		return;
	free(s->ids);
	memset(s, 0, sizeof(*s));
}

/* ==== records ============================================================= */

int
kt_cstore_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    Ktstore__ClientRecord **rec)
{
	return kt_cstore_get_with(txn, db, id, NULL, rec);
}

int
kt_cstore_get_with(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    ProtobufCAllocator *a, Ktstore__ClientRecord **rec)
{
	uint8_t key[8];

	kt_store_be64(key, id);
	return kt_store_get_record_with(txn, db->clients, key, 8,
	    &ktstore__client_record__descriptor, a, (ProtobufCMessage **)rec);
}

int
kt_cstore_exists(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id)
{
	uint8_t key[8];
	MDB_val k = { 8, key }, v;

	kt_store_be64(key, id);
	return mdb_get(txn, db->clients, &k, &v) == 0;
}

int
kt_cstore_in_branch(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    uint64_t branch)
{
	uint8_t bkey[8], ikey[8];
	MDB_val k = { 8, bkey }, v = { 8, ikey };
	MDB_cursor *cur = NULL;
	int rc;

	kt_store_be64(bkey, branch);
	kt_store_be64(ikey, id);
	if (mdb_cursor_open(txn, db->cx_branch, &cur) != 0)
		return 0;
	rc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH);
	mdb_cursor_close(cur);
	return rc == 0;
}

/* Cuts s (length n) to at most max bytes at a UTF-8 boundary. */
static size_t
utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

size_t
kt_cstore_fold_key(const char *s, char *out)
{
	char folded[4096];
	size_t n;

	/* Callers bound what they index (tags, e-mails) far below the
	 * buffer; a fold that does not fit is cut, which is what the key
	 * does anyway. */
	if (kt_text_fold(s, folded, sizeof(folded)) == KT_EINVAL) {
		out[0] = '\0';
		return 0;
	}
	n = utf8_cut(folded, strlen(folded), KT_CSTORE_WORD_MAX);
	memcpy(out, folded, n);
	out[n] = '\0';
	return n;
}

/* One index entry of a card: database and key; the value is the id. */
typedef struct ix_key {
	MDB_dbi dbi;
	uint8_t len;
	uint8_t key[KT_CSTORE_WORD_MAX + 16];
} ix_key_t;

typedef struct ix_list {
	ix_key_t *k;
	size_t n, cap;
	int err;
	MDB_dbi word_dbi;  /* for the word callback */
} ix_list_t;

static void
ix_add(ix_list_t *l, MDB_dbi dbi, const void *key, size_t len)
{
	if (l->err || len == 0 || len > sizeof(l->k->key))
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		ix_key_t *p = realloc(l->k, cap * sizeof(*p));
		if (p == NULL) {
			l->err = KT_ENOMEM;
			return;
		}
		l->k = p;
		l->cap = cap;
	}
	l->k[l->n].dbi = dbi;
	l->k[l->n].len = (uint8_t)len;
	memcpy(l->k[l->n].key, key, len);
	l->n++;
}

static int
word_cb(const char *word, size_t len, void *arg)
{
	ix_list_t *l = arg;

	len = utf8_cut(word, len, KT_CSTORE_WORD_MAX);
	ix_add(l, l->word_dbi, word, len);
	return 0;
}

static void
ix_words(ix_list_t *l, const char *text)
{
	char folded[4096];

	if (text == NULL || *text == '\0')
		return;
	/* Titles and names are bounded well below the buffer; a cut fold
	 * still indexes the words that fit. */
	if (kt_text_fold(text, folded, sizeof(folded)) != 0 &&
	    folded[0] == '\0')
		return;
	kt_text_words(folded, word_cb, l);
}

static void
ix_folded(ix_list_t *l, MDB_dbi dbi, const char *s)
{
	char key[KT_CSTORE_WORD_MAX + 1];
	size_t n;

	if (s == NULL || *s == '\0')
		return;
	n = kt_cstore_fold_key(s, key);
	ix_add(l, dbi, key, n);
}

static void
ix_collect(ix_list_t *l, const kt_store_dbs_t *db,
    const Ktstore__ClientRecord *r)
{
	uint8_t k[16];

	l->word_dbi = db->cx_word;
	kt_store_be64(k, r->created_at < 0 ? 0 : (uint64_t)r->created_at);
	kt_store_be64(k + 8, r->id);
	ix_add(l, db->cx_created, k, 16);
	if (r->purged)
		return;
	kt_store_be64(k, r->branch);
	ix_add(l, db->cx_branch, k, 8);
	kt_store_be64(k, r->manager);
	ix_add(l, db->cx_manager, k, 8);
	k[0] = (uint8_t)r->status;
	ix_add(l, db->cx_status, k, 1);
	if (r->archived)
		ix_add(l, db->cx_status, KT_CSTORE_ARCHIVED_KEY,
		    KT_CSTORE_ARCHIVED_KEYLEN);
	if (r->consent_date && r->consent_date[0])
		ix_add(l, db->cx_status, KT_CSTORE_CONSENT_KEY,
		    KT_CSTORE_FLAG_KEYLEN);
	if (r->do_not_contact)
		ix_add(l, db->cx_status, KT_CSTORE_DNC_KEY,
		    KT_CSTORE_FLAG_KEYLEN);
	ix_folded(l, db->cx_contract, r->contract);
	k[0] = (uint8_t)r->category;
	ix_add(l, db->cx_category, k, 1);
	ix_folded(l, db->cx_source, r->source);
	ix_words(l, r->title);
	for (size_t i = 0; i < r->n_tags; i++)
		ix_folded(l, db->cx_tag, r->tags[i]);
	for (size_t i = 0; i < r->n_people; i++) {
		const Ktstore__PersonRecord *p = r->people[i];
		uint8_t child = p->relation == KARTOTEKA__RELATION__CHILD;
		ix_words(l, p->name);
		for (size_t j = 0; j < p->n_phones; j++)
			ix_add(l, db->cx_phone, p->phones[j],
			    strlen(p->phones[j]));
		ix_folded(l, db->cx_email, p->email);
		if (p->birth_month) {
			k[0] = (uint8_t)p->birth_month;
			k[1] = (uint8_t)p->birth_day;
			k[2] = child;
			ix_add(l, db->cx_birthday, k, 3);
		}
		if (p->birth_year) {
			k[0] = (uint8_t)(p->birth_year >> 8);
			k[1] = (uint8_t)p->birth_year;
			k[2] = (uint8_t)p->birth_month;
			k[3] = (uint8_t)p->birth_day;
			k[4] = child;
			ix_add(l, db->cx_birthdate, k, 5);
		}
	}
}

int
kt_cstore_put(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__ClientRecord *old, const Ktstore__ClientRecord *rec,
    const kt_chist_who_t *who)
{
	ix_list_t ol = { 0 }, nl = { 0 };
	uint8_t idk[8];
	MDB_val k, v;
	int rc;

	if (old)
		ix_collect(&ol, db, old);
	ix_collect(&nl, db, rec);
	if ((rc = ol.err) != 0 || (rc = nl.err) != 0)
		goto out;
	kt_store_be64(idk, rec->id);
	rc = kt_store_put_record(txn, db->clients, idk, 8, &rec->base, 0);
	if (rc == 0 && who != NULL)
		rc = kt_chist_put(txn, db, rec, who);
	if (rc != 0)
		goto out;
	for (size_t i = 0; i < ol.n; i++) {
		int m;
		k.mv_size = ol.k[i].len;
		k.mv_data = ol.k[i].key;
		v.mv_size = 8;
		v.mv_data = idk;
		/* A key listed twice (two people share a word) is gone the
		 * second time. */
		m = mdb_del(txn, ol.k[i].dbi, &k, &v);
		if (m != 0 && m != MDB_NOTFOUND) {
			rc = kt_store_err(m);
			goto out;
		}
	}
	for (size_t i = 0; i < nl.n; i++) {
		int m;
		k.mv_size = nl.k[i].len;
		k.mv_data = nl.k[i].key;
		v.mv_size = 8;
		v.mv_data = idk;
		m = mdb_put(txn, nl.k[i].dbi, &k, &v, 0);
		if (m != 0 && m != MDB_KEYEXIST) {
			rc = kt_store_err(m);
			goto out;
		}
	}
out:
	free(ol.k);
	free(nl.k);
	return rc;
}

/* ==== migration =========================================================== */

/* The keys of r that schema 4 added (see kt_cstore_migrate_v4). */
static void
ix_collect_v4(ix_list_t *l, const kt_store_dbs_t *db,
    const Ktstore__ClientRecord *r)
{
	if (r->purged)
		return;
	if (r->consent_date && r->consent_date[0])
		ix_add(l, db->cx_status, KT_CSTORE_CONSENT_KEY,
		    KT_CSTORE_FLAG_KEYLEN);
	if (r->do_not_contact)
		ix_add(l, db->cx_status, KT_CSTORE_DNC_KEY,
		    KT_CSTORE_FLAG_KEYLEN);
	ix_folded(l, db->cx_contract, r->contract);
}

int
kt_cstore_migrate_v4(kt_store_t *st, MDB_txn *txn)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	MDB_cursor *cur = NULL;
	ix_list_t l = { 0 };
	uint8_t idk[8];
	MDB_val k, v;
	int rc = 0, m;

	if ((m = mdb_cursor_open(txn, db->clients, &cur)) != 0)
		return kt_store_err(m);
	for (m = mdb_cursor_get(cur, &k, &v, MDB_FIRST); m == 0 && rc == 0;
	    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Ktstore__ClientRecord *r;
		if (k.mv_size != 8)
			continue;
		r = ktstore__client_record__unpack(NULL, v.mv_size, v.mv_data);
		if (r == NULL) {
			rc = KT_EPROTO;
			break;
		}
		memcpy(idk, k.mv_data, 8);      /* copied before the puts */
		l.n = 0;
		ix_collect_v4(&l, db, r);
		rc = l.err;
		for (size_t i = 0; i < l.n && rc == 0; i++) {
			MDB_val ik = { l.k[i].len, l.k[i].key }, iv = { 8, idk };
			m = mdb_put(txn, l.k[i].dbi, &ik, &iv, 0);
			if (m != 0 && m != MDB_KEYEXIST)
				rc = kt_store_err(m);
		}
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	if (rc == 0 && m != 0 && m != MDB_NOTFOUND)
		rc = kt_store_err(m);
	mdb_cursor_close(cur);
	free(l.k);
	return rc;
}

/* ==== index scans ========================================================= */

int
kt_cstore_ids_eq(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t keylen,
    kt_idset_t *set)
{
	MDB_cursor *cur = NULL;
	MDB_val k = { keylen, (void *)key }, v;
	int rc, m;

	if ((m = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return kt_store_err(m);
	m = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
	rc = 0;
	while (m == 0) {
		if (v.mv_size == 8 &&
		    (rc = kt_idset_add(set, kt_store_get_be64(v.mv_data))) != 0)
			break;
		m = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP);
	}
	if (rc == 0 && m != MDB_NOTFOUND)
		rc = kt_store_err(m);
	mdb_cursor_close(cur);
	return rc;
}

/* Scans keys from lo while keep(key) holds. */
static int
scan(MDB_txn *txn, MDB_dbi dbi, const void *lo, size_t lolen,
    int (*keep)(const MDB_val *k, const void *a, size_t alen), const void *a,
    size_t alen, kt_idset_t *set)
{
	MDB_cursor *cur = NULL;
	MDB_val k = { lolen, (void *)lo }, v;
	int rc = 0, m;

	if ((m = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return kt_store_err(m);
	m = lolen ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) :
	    mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (m == 0 && keep(&k, a, alen)) {
		if (v.mv_size == 8 &&
		    (rc = kt_idset_add(set, kt_store_get_be64(v.mv_data))) != 0)
			break;
		m = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (rc == 0 && m != 0 && m != MDB_NOTFOUND)
		rc = kt_store_err(m);
	mdb_cursor_close(cur);
	return rc;
}

static int
keep_prefix(const MDB_val *k, const void *p, size_t n)
{
	return k->mv_size >= n && memcmp(k->mv_data, p, n) == 0;
}

static int
keep_below(const MDB_val *k, const void *hi, size_t n)
{
	size_t m = k->mv_size < n ? k->mv_size : n;
	int c = memcmp(k->mv_data, hi, m);

	return c < 0 || (c == 0 && k->mv_size < n);
}

int
kt_cstore_ids_prefix(MDB_txn *txn, MDB_dbi dbi, const void *prefix,
    size_t len, kt_idset_t *set)
{
	return scan(txn, dbi, prefix, len, keep_prefix, prefix, len, set);
}

int
kt_cstore_ids_range(MDB_txn *txn, MDB_dbi dbi, const void *lo,
    const void *hi, size_t len, kt_idset_t *set)
{
	return scan(txn, dbi, lo, len, keep_below, hi, len, set);
}

int
kt_cstore_ids_all(MDB_txn *txn, const kt_store_dbs_t *db, kt_idset_t *set)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc = 0, m;

	if ((m = mdb_cursor_open(txn, db->clients, &cur)) != 0)
		return kt_store_err(m);
	for (m = mdb_cursor_get(cur, &k, &v, MDB_FIRST); m == 0;
	    m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size == 8 &&
		    (rc = kt_idset_add(set, kt_store_get_be64(k.mv_data))) != 0)
			break;
	}
	if (rc == 0 && m != MDB_NOTFOUND)
		rc = kt_store_err(m);
	mdb_cursor_close(cur);
	return rc;
}

/* ==== names =============================================================== */


int
kt_cstore_visible_to(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_user_t *u, uint64_t id)
{
	int seen = 0;

	if (kt_authz_scope(u->role, KT_ACT_SEE_CLIENT) == KT_SCOPE_ALL)
		return kt_cstore_exists(txn, db, id);
	for (size_t i = 0; i < u->nbranches && !seen; i++)
		seen = kt_cstore_in_branch(txn, db, id, u->branches[i]);
	return seen;
}
