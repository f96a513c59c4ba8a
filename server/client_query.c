/* SPDX-License-Identifier: MIT */
/* Client search and filtered lists: index choice, filtering by record and
 * visibility, one page of masked rows packed out of LMDB memory. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <protobuf-c/protobuf-c.h>

#include "arena.h"
#include "authz.h"
#include "client_query.h"
#include "client_store.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"
#include "normalize.h"

/* ==== rows ================================================================ */

static char *
arena_strdup(kt_arena_t *a, const char *s)
{
	size_t n = strlen(s ? s : "");
	char *p = kt_arena_alloc(a, n + 1);

	if (p != NULL) {
		memcpy(p, s ? s : "", n);
		p[n] = '\0';
	}
	return p;
}

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
	row->title = arena_strdup(a, r->title);
	kt_cstore_branch_name(txn, db, r->branch, buf, sizeof(buf));
	row->branch = arena_strdup(a, buf);
	kt_cstore_user_login(txn, db, r->manager, buf, sizeof(buf));
	row->manager = arena_strdup(a, buf);
	row->status = (Kartoteka__ClientStatus)r->status;
	row->category = (Kartoteka__Category)r->category;
	row->archived = r->archived;
	for (size_t i = 0; i < r->n_people && phone == NULL; i++)
		if (r->people[i]->n_phones)
			phone = r->people[i]->phones[0];
	if (phone != NULL) {
		kt_mask_phone(phone, buf, sizeof(buf));
		row->phone = arena_strdup(a, buf);
	} else {
		row->phone = arena_strdup(a, "");
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
		if ((row->people[i] = arena_strdup(a, buf)) == NULL)
			return NULL;
	}
	row->n_people = r->n_people;
	for (size_t i = 0; i < r->n_tags; i++)
		if ((row->tags[i] = arena_strdup(a, r->tags[i])) == NULL)
			return NULL;
	row->n_tags = r->n_tags;
	return row;
}

/* ==== paging ============================================================== */

/* Walks the candidate ids in order, keeps those that pass (visible to
 * who and matching), counts them, and packs the page. */
typedef int (*match_fn)(const Ktstore__ClientRecord *r, const void *arg);

static int
parse_cursor(const uint8_t *cursor, size_t len, uint64_t *after,
    const char **why)
{
	*after = 0;
	if (len == 0)
		return 0;
	if (len != 8) {
		*why = "cursor: not a cursor from a previous page";
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
page_build(MDB_txn *txn, const kt_store_dbs_t *db, const kt_cq_caller_t *who,
    const kt_idset_t *cand, match_fn match, const void *marg, uint64_t after,
    uint32_t limit, kt_cq_page_t *page)
{
	Kartoteka__ClientListResponse lr = KARTOTEKA__CLIENT_LIST_RESPONSE__INIT;
	kt_arena_t a;
	Kartoteka__ClientRow **rows = NULL;
	uint8_t next[8];
	size_t bytes = 16;
	uint64_t last = 0;
	int full = 0, more = 0;
	int rc;

	memset(page, 0, sizeof(*page));
	if (limit == 0)
		limit = KT_CQ_LIMIT_DEFAULT;
	if (limit > KT_CQ_LIMIT_MAX)
		limit = KT_CQ_LIMIT_MAX;
	if ((rc = kt_arena_init(&a, 64 * 1024, 16u << 20)) != 0)
		return rc;
	rows = calloc(limit, sizeof(*rows));
	if (rows == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < cand->n; i++) {
		Ktstore__ClientRecord *r = NULL;
		rc = kt_cstore_get(txn, db, cand->ids[i], &r);
		if (rc == KT_ENOTFOUND)
			continue;
		if (rc != 0)
			goto out;
		if (r->purged || !visible(who, r) || !match(r, marg)) {
			protobuf_c_message_free_unpacked(&r->base, NULL);
			continue;
		}
		page->total++;
		if (r->id > after && !full) {
			Kartoteka__ClientRow *row = make_row(&a, txn, db, r);
			size_t sz;
			if (row == NULL) {
				protobuf_c_message_free_unpacked(&r->base, NULL);
				rc = KT_ENOMEM;
				goto out;
			}
			sz = kartoteka__client_row__get_packed_size(row) + 8;
			if (bytes + sz > KT_CQ_PAGE_BYTES) {
				full = 1;
				more = 1;
			} else {
				rows[lr.n_rows++] = row;
				bytes += sz;
				last = r->id;
				full = lr.n_rows == limit;
			}
		} else if (r->id > after) {
			more = 1;
		}
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	lr.rows = rows;
	lr.total = page->total;
	if (more && last != 0) {
		kt_store_be64(next, last);
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
	rc = 0;
out:
	free(rows);
	kt_arena_free(&a);
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
	memset(page, 0, sizeof(*page));
}

/* ==== find ================================================================ */

static int
match_any(const Ktstore__ClientRecord *r, const void *arg)
{
	(void)r;
	(void)arg;
	return 1;
}

typedef struct words_ctx {
	MDB_txn *txn;
	MDB_dbi dbi;
	kt_idset_t *acc;       /* intersection so far */
	int first;
	int rc;
} words_ctx_t;

static int
word_search(const char *word, size_t len, void *arg)
{
	words_ctx_t *w = arg;
	kt_idset_t s = { 0 };

	if (len > KT_CSTORE_WORD_MAX) {
		len = KT_CSTORE_WORD_MAX;
		while (len > 0 && ((unsigned char)word[len] & 0xc0) == 0x80)
			len--;
	}
	w->rc = kt_cstore_ids_prefix(w->txn, w->dbi, word, len, &s);
	if (w->rc != 0) {
		kt_idset_free(&s);
		return w->rc;
	}
	kt_idset_normalize(&s);
	if (w->first) {
		kt_idset_free(w->acc);
		*w->acc = s;
		w->first = 0;
	} else {
		kt_idset_intersect(w->acc, &s);
		kt_idset_free(&s);
	}
	return 0;
}

int
kt_cquery_find(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_cq_caller_t *who, const char *text, const char *default_cc,
    const uint8_t *cursor, size_t cursorlen, uint32_t limit,
    kt_cq_page_t *page, char *digest, size_t cap, const char **why)
{
	char phone[KT_PHONE_MAX], folded[1024], masked[64];
	const char *pwhy = NULL;
	kt_idset_t cand = { 0 };
	uint64_t after;
	int rc;

	memset(page, 0, sizeof(*page));
	snprintf(digest, cap, "%s", "");
	if ((rc = parse_cursor(cursor, cursorlen, &after, why)) != 0)
		return rc;
	if (text == NULL || *text == '\0') {
		*why = "text: nothing to search for";
		return KT_EINVAL;
	}
	if (strlen(text) > 512 || !kt_utf8_valid(text, 0)) {
		*why = "text: must be valid UTF-8 text of at most 512 bytes";
		return KT_EINVAL;
	}
	if (kt_phone_normalize(text, default_cc, phone, &pwhy) == 0) {
		kt_mask_phone(phone, masked, sizeof(masked));
		snprintf(digest, cap, "phone %s", masked);
		rc = kt_cstore_ids_eq(txn, db->cx_phone, phone, strlen(phone),
		    &cand);
	} else {
		words_ctx_t w = { txn, db->cx_word, &cand, 1, 0 };
		if (kt_text_fold(text, folded, sizeof(folded)) != 0) {
			*why = "text: cannot be folded for search";
			return KT_EINVAL;
		}
		snprintf(digest, cap, "text %s", text);
		rc = kt_text_words(folded, word_search, &w);
		if (rc == 0 && w.first) {
			*why = "text: no letters or digits to search for";
			rc = KT_EINVAL;
		}
	}
	if (rc != 0)
		goto out;
	kt_idset_normalize(&cand);
	rc = page_build(txn, db, who, &cand, match_any, NULL, after, limit,
	    page);
out:
	kt_idset_free(&cand);
	return rc;
}

/* ==== list ================================================================ */

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

static int
match_filter(const Ktstore__ClientRecord *r, const void *arg)
{
	const kt_cq_filter_t *f = arg;
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
	if (f->birth_month) {
		ok = 0;
		for (size_t i = 0; i < r->n_people && !ok; i++)
			ok = r->people[i]->birth_month == f->birth_month &&
			    (!f->children_only || r->people[i]->relation ==
			    KARTOTEKA__RELATION__CHILD);
		if (!ok)
			return 0;
	}
	if (f->child_birth_year) {
		ok = 0;
		for (size_t i = 0; i < r->n_people && !ok; i++)
			ok = r->people[i]->birth_year == f->child_birth_year &&
			    r->people[i]->relation == KARTOTEKA__RELATION__CHILD;
		if (!ok)
			return 0;
	}
	if (f->child_age_min || f->child_age_max) {
		gmtime_r(&now, &tm);
		ok = 0;
		for (size_t i = 0; i < r->n_people && !ok; i++) {
			const Ktstore__PersonRecord *p = r->people[i];
			int age;
			if (p->relation != KARTOTEKA__RELATION__CHILD ||
			    p->birth_year == 0)
				continue;
			age = age_on((unsigned)tm.tm_year + 1900,
			    (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday,
			    p->birth_year, p->birth_month, p->birth_day);
			ok = age >= (int)f->child_age_min &&
			    (f->child_age_max == 0 ||
			    age <= (int)f->child_age_max);
		}
		if (!ok)
			return 0;
	}
	return 1;
}

/* Candidates from the most selective index the filter allows. */
static int
candidates(MDB_txn *txn, const kt_store_dbs_t *db, const kt_cq_caller_t *who,
    const kt_cq_filter_t *f, kt_idset_t *cand)
{
	uint8_t lo[16], hi[16];
	char key[KT_CSTORE_WORD_MAX + 1];
	size_t n;
	int rc = 0;

	if (f->birth_month) {
		lo[0] = (uint8_t)f->birth_month;
		lo[1] = lo[2] = 0;
		hi[0] = (uint8_t)(f->birth_month + 1);
		hi[1] = hi[2] = 0;
		return kt_cstore_ids_range(txn, db->cx_birthday, lo, hi, 3,
		    cand);
	}
	if (f->child_birth_year) {
		lo[0] = (uint8_t)(f->child_birth_year >> 8);
		lo[1] = (uint8_t)f->child_birth_year;
		lo[2] = 1;
		return kt_cstore_ids_eq(txn, db->cx_birthyear, lo, 3, cand);
	}
	if (f->tag && *f->tag) {
		n = kt_cstore_fold_key(f->tag, key);
		return n ? kt_cstore_ids_eq(txn, db->cx_tag, key, n, cand) : 0;
	}
	if (f->manager) {
		kt_store_be64(lo, f->manager);
		return kt_cstore_ids_eq(txn, db->cx_manager, lo, 8, cand);
	}
	if (f->branch) {
		kt_store_be64(lo, f->branch);
		return kt_cstore_ids_eq(txn, db->cx_branch, lo, 8, cand);
	}
	if (f->created_from || f->created_to) {
		kt_store_be64(lo, f->created_from < 0 ? 0 :
		    (uint64_t)f->created_from);
		kt_store_be64(lo + 8, 0);
		kt_store_be64(hi, f->created_to <= 0 ? UINT64_MAX :
		    (uint64_t)f->created_to);
		kt_store_be64(hi + 8, 0);
		return kt_cstore_ids_range(txn, db->cx_created, lo, hi, 16,
		    cand);
	}
	if (kt_authz_scope(who->role, KT_ACT_LIST) != KT_SCOPE_ALL) {
		for (size_t i = 0; i < who->nbranches && rc == 0; i++) {
			kt_store_be64(lo, who->branches[i]);
			rc = kt_cstore_ids_eq(txn, db->cx_branch, lo, 8, cand);
		}
		return rc;
	}
	if (f->status) {
		lo[0] = (uint8_t)f->status;
		return kt_cstore_ids_eq(txn, db->cx_status, lo, 1, cand);
	}
	return kt_cstore_ids_all(txn, db, cand);
}

int
kt_cquery_list(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_cq_caller_t *who, const kt_cq_filter_t *f,
    const uint8_t *cursor, size_t cursorlen, uint32_t limit,
    kt_cq_page_t *page, const char **why)
{
	kt_idset_t cand = { 0 };
	uint64_t after;
	int rc;

	memset(page, 0, sizeof(*page));
	if ((rc = parse_cursor(cursor, cursorlen, &after, why)) != 0)
		return rc;
	if (f->birth_month > 12) {
		*why = "birth_month: must be 1 to 12";
		return KT_EINVAL;
	}
	if (f->child_age_max && f->child_age_min > f->child_age_max) {
		*why = "child_age_min: larger than child_age_max";
		return KT_EINVAL;
	}
	if ((rc = candidates(txn, db, who, f, &cand)) != 0)
		goto out;
	kt_idset_normalize(&cand);
	rc = page_build(txn, db, who, &cand, match_filter, f, after, limit,
	    page);
out:
	kt_idset_free(&cand);
	return rc;
}
