/* SPDX-License-Identifier: MIT */
/* Client cards in a temporary store for the tests of
 * server/model/client_store.c (test_client_store.c) and
 * server/model/client_query.c (test_client_query.c): the store, cards made
 * from a few fields, storing them through the indexes (kt_cstore_put),
 * and searches and lists decoded for checking. */
#ifndef KT_CLIENTS_FIXTURE_H
#define KT_CLIENTS_FIXTURE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kt_test.h"

#include "kartoteka.pb-c.h"
#include "kt_error.h"
#include "model/client_query.h"
#include "model/client_store.h"
#include "model/store.h"
#include "records.pb-c.h"

typedef struct fx {
	char dir[64];
	kt_store_t *st;
} fx_t;

static inline int
rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static inline void
fx_open(fx_t *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/kt-clients-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(kt_store_open(&f->st, f->dir, KT_STORE_CREATE), 0);
}

static inline void
fx_close(fx_t *f)
{
	kt_store_close(f->st);
	assert_int_equal(nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

/* A card to store: old is the stored version or NULL. */
typedef struct put_job {
	const Ktstore__ClientRecord *old, *rec;
} put_job_t;

static inline int
put_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	put_job_t *j = arg;

	kt_chist_who_t who = { .time = j->rec->updated_at, .user = 1,
		.action = "test", .fields = 0 };

	return kt_cstore_put(txn, kt_store_dbs(st), j->old, j->rec, &who);
}

static inline void
put(fx_t *f, const Ktstore__ClientRecord *old, const Ktstore__ClientRecord *r)
{
	put_job_t j = { old, r };

	assert_int_equal(kt_store_write_sync(f->st, put_mut, &j), 0);
}

/* One person: name; relation; birth y/m/d; up to two phones; email. */
typedef struct pspec {
	const char *name;
	uint32_t rel, y, m, d;
	const char *phone, *phone2, *email;
} pspec_t;

typedef struct card {
	Ktstore__ClientRecord r;
	Ktstore__PersonRecord p[4];
	Ktstore__PersonRecord *pp[4];
	char *phones[4][2];
	char *tags[4];
} card_t;

static inline void
card_make(card_t *c, uint64_t id, uint64_t branch, uint64_t manager,
    const char *title, const pspec_t *ps, size_t np, const char *tag)
{
	memset(c, 0, sizeof(*c));
	ktstore__client_record__init(&c->r);
	c->r.id = id;
	c->r.branch = branch;
	c->r.manager = manager;
	c->r.title = (char *)title;
	c->r.status = KARTOTEKA__CLIENT_STATUS__ACTIVE;
	c->r.created_at = 1700000000 + (int64_t)id * 86400;
	c->r.version = 1;
	for (size_t i = 0; i < np; i++) {
		ktstore__person_record__init(&c->p[i]);
		c->p[i].name = (char *)ps[i].name;
		c->p[i].relation = ps[i].rel;
		c->p[i].birth_year = ps[i].y;
		c->p[i].birth_month = ps[i].m;
		c->p[i].birth_day = ps[i].d;
		c->p[i].email = (char *)(ps[i].email ? ps[i].email : "");
		c->phones[i][0] = (char *)ps[i].phone;
		c->phones[i][1] = (char *)ps[i].phone2;
		c->p[i].n_phones = ps[i].phone2 ? 2 : ps[i].phone ? 1 : 0;
		c->p[i].phones = c->phones[i];
		c->pp[i] = &c->p[i];
	}
	c->r.n_people = np;
	c->r.people = c->pp;
	if (tag) {
		c->tags[0] = (char *)tag;
		c->r.tags = c->tags;
		c->r.n_tags = 1;
	}
}


/* The owner sees every card. */
static const kt_cq_caller_t owner = { 100, KARTOTEKA__ROLE__OWNER, NULL, 0 };

/* Runs a search; returns the unpacked page (free with the helper). */
static inline Kartoteka__ClientListResponse *
find(fx_t *f, const kt_cq_caller_t *who, const char *text, const uint8_t *cur,
    size_t curlen, uint32_t limit)
{
	MDB_txn *txn;
	kt_cq_page_t page;
	char digest[256];
	const char *why = NULL;
	Kartoteka__ClientListResponse *lr;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_cquery_find(txn, kt_store_dbs(f->st), who, text,
	    "7", cur, curlen, limit, &page, digest, sizeof(digest), &why), 0);
	kt_store_read_end(f->st, txn);
	lr = kartoteka__client_list_response__unpack(NULL, page.len,
	    page.packed);
	assert_non_null(lr);
	assert_int_equal(lr->n_rows, page.rows);
	kt_cquery_page_free(&page);
	return lr;
}

static inline Kartoteka__ClientListResponse *
list(fx_t *f, const kt_cq_caller_t *who, const kt_cq_filter_t *flt,
    const uint8_t *cur, size_t curlen, uint32_t limit)
{
	MDB_txn *txn;
	kt_cq_page_t page;
	const char *why = NULL;
	Kartoteka__ClientListResponse *lr;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_cquery_list(txn, kt_store_dbs(f->st), who, flt,
	    cur, curlen, limit, &page, &why), 0);
	kt_store_read_end(f->st, txn);
	lr = kartoteka__client_list_response__unpack(NULL, page.len,
	    page.packed);
	assert_non_null(lr);
	kt_cquery_page_free(&page);
	return lr;
}

static inline void
lr_free(Kartoteka__ClientListResponse *lr)
{
	kartoteka__client_list_response__free_unpacked(lr, NULL);
}

/* Number of rows text finds for who. */
static inline size_t
nfound(fx_t *f, const kt_cq_caller_t *who, const char *text)
{
	Kartoteka__ClientListResponse *lr = find(f, who, text, NULL, 0, 0);
	size_t n = lr->n_rows;

	assert_int_equal(lr->total, n);
	lr_free(lr);
	return n;
}

#endif
