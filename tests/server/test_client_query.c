/* SPDX-License-Identifier: MIT */
/* Tests for server/model/client_query.c against a temporary store: search
 * by word prefix (with 'ё' folding) and by phone, visibility, list
 * filters, paging with totals, lists against a plain reading of every
 * card, bad cursors and search text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kt_test.h"

#include "model/authz.h"
#include "model/client_activity.h"
#include "server/clients_fixture.h"

static const uint64_t branch1[] = { 1 }, branch2[] = { 2 };
static const kt_cq_caller_t mgr1 = { 101, KARTOTEKA__ROLE__MANAGER, branch1, 1 };
static const kt_cq_caller_t mgr2 = { 102, KARTOTEKA__ROLE__MANAGER, branch2, 1 };

static void
family(fx_t *f)
{
	card_t c;
	pspec_t ps[] = {
		{ "Ирина Ёлкина", KARTOTEKA__RELATION__PARENT, 1985, 3, 14,
		  "+79123456789", NULL, "irina@Mail.RU" },
		{ "Маша", KARTOTEKA__RELATION__CHILD, 2019, 7, 2, NULL, NULL,
		  NULL },
	};

	card_make(&c, 1, 1, 101, "Ёлкины", ps, 2, "Английский");
	put(f, NULL, &c.r);
}

/* ---- tests ---------------------------------------------------------------- */

static void
find_prefix_yo(void **state)
{
	fx_t f;
	Kartoteka__ClientListResponse *lr;

	(void)state;
	fx_open(&f);
	family(&f);
	assert_int_equal(nfound(&f, &owner, "ёлкина"), 1);
	assert_int_equal(nfound(&f, &owner, "елкина"), 1);
	assert_int_equal(nfound(&f, &owner, "ЕЛКИНА"), 1);
	assert_int_equal(nfound(&f, &owner, "Ёлк"), 1);
	assert_int_equal(nfound(&f, &owner, "ир ёлк"), 1);
	assert_int_equal(nfound(&f, &owner, "маш"), 1);
	assert_int_equal(nfound(&f, &owner, "ирина петрова"), 0);
	assert_int_equal(nfound(&f, &owner, "петров"), 0);
	lr = find(&f, &owner, "елкины", NULL, 0, 0);
	assert_int_equal(lr->n_rows, 1);
	assert_string_equal(lr->rows[0]->title, "Ёлкины");
	assert_string_equal(lr->rows[0]->phone, "+7 *** ***-**-89");
	assert_int_equal(lr->rows[0]->n_people, 2);
	assert_string_equal(lr->rows[0]->people[1], "Маша (2019)");
	lr_free(lr);
	fx_close(&f);
}

static void
find_phone_formats(void **state)
{
	fx_t f;

	(void)state;
	fx_open(&f);
	family(&f);
	assert_int_equal(nfound(&f, &owner, "+7 912 345-67-89"), 1);
	assert_int_equal(nfound(&f, &owner, "8 (912) 345-67-89"), 1);
	assert_int_equal(nfound(&f, &owner, "9123456789"), 1);
	assert_int_equal(nfound(&f, &owner, "+7 912 345-67-80"), 0);
	fx_close(&f);
}

static void
find_respects_visibility(void **state)
{
	fx_t f;

	(void)state;
	fx_open(&f);
	family(&f);
	assert_int_equal(nfound(&f, &mgr1, "елкина"), 1);
	assert_int_equal(nfound(&f, &mgr2, "елкина"), 0);
	assert_int_equal(nfound(&f, &mgr2, "89123456789"), 0);
	fx_close(&f);
}

static void
list_filters(void **state)
{
	fx_t f;
	card_t c;
	pspec_t p1[] = {
		{ "Анна", 1, 1980, 7, 20, "+79000000001", NULL, NULL },
		{ "Петя", 2, 2015, 3, 1, NULL, NULL, NULL },
	};
	pspec_t p2[] = { { "Олег", 2, 2018, 7, 5, "+79000000002", NULL, NULL } };
	pspec_t p3[] = { { "Вера", 1, 1970, 12, 31, "+79000000003", NULL,
	    NULL } };
	kt_cq_filter_t flt;
	Kartoteka__ClientListResponse *lr;

	(void)state;
	fx_open(&f);
	card_make(&c, 1, 1, 101, "Первые", p1, 2, "Рисование");
	put(&f, NULL, &c.r);
	card_make(&c, 2, 1, 101, "Вторые", p2, 1, "рисование");
	put(&f, NULL, &c.r);
	card_make(&c, 3, 2, 102, "Третьи", p3, 1, NULL);
	c.r.archived = 1;
	put(&f, NULL, &c.r);

	memset(&flt, 0, sizeof(flt));
	flt.now = time(NULL);
	lr = list(&f, &owner, &flt, NULL, 0, 0);
	assert_int_equal(lr->total, 2);           /* archived skipped */
	lr_free(lr);
	flt.include_archived = 1;
	lr = list(&f, &owner, &flt, NULL, 0, 0);
	assert_int_equal(lr->total, 3);
	lr_free(lr);
	lr = list(&f, &mgr2, &flt, NULL, 0, 0);   /* only its branch */
	assert_int_equal(lr->total, 1);
	assert_int_equal(lr->rows[0]->id, 3);
	lr_free(lr);
	flt.include_archived = 0;

	flt.birth_month = 7;
	lr = list(&f, &owner, &flt, NULL, 0, 0);
	assert_int_equal(lr->total, 2);
	lr_free(lr);
	flt.children_only = 1;
	lr = list(&f, &owner, &flt, NULL, 0, 0);
	assert_int_equal(lr->total, 1);
	assert_int_equal(lr->rows[0]->id, 2);
	lr_free(lr);
	flt.birth_month = 0;
	flt.children_only = 0;

	flt.tag = "РИСОВАНИЕ";
	lr = list(&f, &owner, &flt, NULL, 0, 0);
	assert_int_equal(lr->total, 2);
	lr_free(lr);
	flt.tag = NULL;

	flt.child_birth_year = 2015;
	lr = list(&f, &owner, &flt, NULL, 0, 0);
	assert_int_equal(lr->total, 1);
	assert_int_equal(lr->rows[0]->id, 1);
	lr_free(lr);
	flt.child_birth_year = 0;

	flt.branch = 2;
	lr = list(&f, &mgr1, &flt, NULL, 0, 0);   /* not its branch */
	assert_int_equal(lr->total, 0);
	lr_free(lr);
	flt.branch = 0;

	flt.created_from = 1700000000 + 2 * 86400;
	lr = list(&f, &owner, &flt, NULL, 0, 0);
	assert_int_equal(lr->total, 1);
	assert_int_equal(lr->rows[0]->id, 2);
	lr_free(lr);
	flt.created_from = 0;

	flt.status = KARTOTEKA__CLIENT_STATUS__LEAD;
	lr = list(&f, &owner, &flt, NULL, 0, 0);
	assert_int_equal(lr->total, 0);
	lr_free(lr);
	fx_close(&f);
}

/* ---- lists against a plain reading of every card ------------------------- */

/* A deterministic generator, so that a failure repeats. */
static uint32_t
rnd(uint64_t *st, uint32_t n)
{
	*st = *st * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*st >> 33) % n;
}

enum { REF_CARDS = 400, REF_FILTERS = 600 };
static const char *const ref_sources[] = { "Сайт", "Друзья", "Instagram" };
static const char *const ref_sources_q[] = { "САЙТ", "друзья", "INSTAGRAM" };
static const char *const ref_tags[] = { "Рисование", "Шахматы" };
static const char *const ref_tags_q[] = { "рисование", "ШАХМАТЫ" };

typedef struct ref_card {
	card_t c;
	int source, tag;        /* index into the arrays, -1: none */
	int64_t last_contact;   /* its client_activity, 0: none */
	uint32_t open_deals;
} ref_card_t;

/* Stores the activity of a card, as the interaction and deal stores
 * would. */
typedef struct act_job {
	uint64_t id;
	kt_activity_t a;
} act_job_t;

static int
act_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	act_job_t *j = arg;

	return kt_activity_put(txn, kt_store_dbs(st), j->id, &j->a);
}

static void
activity_put(fx_t *f, uint64_t id, int64_t last, uint32_t open_deals)
{
	act_job_t j = { id, { .last_interaction_at = last,
	    .interactions = last != 0, .open_deals = open_deals } };

	assert_int_equal(kt_store_write_sync(f->st, act_mut, &j), 0);
}

/* Age in whole years on (y, m, d), written out plainly. */
static int
ref_age(int y, int m, int d, const Ktstore__PersonRecord *p)
{
	int age = y - (int)p->birth_year;

	if (p->birth_month == 0)
		return age;
	if (m < (int)p->birth_month ||
	    (m == (int)p->birth_month && d < (int)p->birth_day))
		age--;
	return age;
}

static int
ref_match(const ref_card_t *rc, const kt_cq_filter_t *f, int src, int tag,
    const kt_cq_caller_t *who)
{
	const Ktstore__ClientRecord *r = &rc->c.r;
	int y = 2026, m = 3, d = 15, any;

	if (kt_authz_client(who->id, who->role, who->branches, who->nbranches,
	    KT_ACT_LIST, r->branch, r->manager) != 0)
		return 0;
	if ((r->archived && !f->include_archived) ||
	    (f->branch && r->branch != f->branch) ||
	    (f->manager && r->manager != f->manager) ||
	    (f->status && r->status != f->status) ||
	    (f->category && r->category != f->category) ||
	    (src >= 0 && rc->source != src) || (tag >= 0 && rc->tag != tag) ||
	    (f->created_from && r->created_at < f->created_from) ||
	    (f->created_to && r->created_at >= f->created_to))
		return 0;
	if (f->birth_month || f->child_birth_year || f->child_age_min ||
	    f->child_age_max) {
		/* One person meets every condition about a person. */
		any = 0;
		for (size_t i = 0; i < r->n_people; i++) {
			const Ktstore__PersonRecord *p = r->people[i];
			int child = p->relation == KARTOTEKA__RELATION__CHILD;
			int ok = 1, a;
			if (f->birth_month)
				ok &= p->birth_month == f->birth_month &&
				    (!f->children_only || child);
			if (f->child_birth_year)
				ok &= child &&
				    p->birth_year == f->child_birth_year;
			if (f->child_age_min || f->child_age_max) {
				a = ref_age(y, m, d, p);
				ok &= child && p->birth_year != 0 &&
				    a >= (int)f->child_age_min &&
				    (f->child_age_max == 0 ||
				    a <= (int)f->child_age_max);
			}
			any |= ok;
		}
		if (!any)
			return 0;
	}
	if ((f->consent > 0 && !r->consent_date[0]) ||
	    (f->consent < 0 && r->consent_date[0]) ||
	    (f->do_not_contact > 0 && !r->do_not_contact) ||
	    (f->do_not_contact < 0 && r->do_not_contact))
		return 0;
	if ((f->contacted_before && rc->last_contact != 0 &&
	    rc->last_contact >= f->contacted_before) ||
	    (f->contacted_after && (rc->last_contact == 0 ||
	    rc->last_contact < f->contacted_after)) ||
	    (f->open_deal > 0 && rc->open_deals == 0) ||
	    (f->open_deal < 0 && rc->open_deals != 0))
		return 0;
	return 1;
}

/* Every filter combination the CLI offers, drawn at random over random
 * cards, answers exactly the cards a plain reading of each card picks:
 * the index plan (smallest set first, probes, bitmaps, the archived set)
 * must never change an answer. */
static void
list_matches_reference(void **state)
{
	static const uint64_t both[] = { 1, 2 };
	static const kt_cq_caller_t head = { 103, KARTOTEKA__ROLE__HEAD, both,
	    2 };
	const kt_cq_caller_t *callers[] = { &owner, &mgr1, &mgr2, &head };
	static const char *const names[] = { "Анна", "Петя", "Оля", "Гоша" };
	ref_card_t *cards = calloc(REF_CARDS, sizeof(*cards));
	uint64_t st = 42;
	fx_t f;

	(void)state;
	assert_non_null(cards);
	fx_open(&f);
	for (size_t i = 0; i < REF_CARDS; i++) {
		ref_card_t *rc = &cards[i];
		pspec_t ps[4];
		size_t np = 1 + rnd(&st, 4);
		memset(ps, 0, sizeof(ps));
		for (size_t j = 0; j < np; j++) {
			ps[j].name = names[j];
			ps[j].rel = j == 0 ? KARTOTEKA__RELATION__PARENT :
			    KARTOTEKA__RELATION__CHILD;
			ps[j].y = rnd(&st, 5) == 0 ? 0 : 2026 -
			    (j == 0 ? 25 + rnd(&st, 30) : rnd(&st, 19));
			ps[j].m = rnd(&st, 13);
			/* Days around today's (the 15th) hit the birthday
			 * edge of the age filter. */
			ps[j].d = ps[j].m == 0 ? 0 : rnd(&st, 4) == 0 ?
			    rnd(&st, 29) : 14 + rnd(&st, 3);
			if (ps[j].m == 3 && rnd(&st, 2))
				ps[j].d = 15;
		}
		rc->tag = (int)rnd(&st, 3) - 1;
		card_make(&rc->c, i + 1, 1 + rnd(&st, 2), 101 + rnd(&st, 3),
		    "Семья", ps, np, rc->tag >= 0 ? ref_tags[rc->tag] : NULL);
		rc->source = (int)rnd(&st, 4) - 1;
		rc->c.r.source = (char *)(rc->source >= 0 ?
		    ref_sources[rc->source] : "");
		rc->c.r.status = 1 + rnd(&st, 3);
		rc->c.r.category = rnd(&st, 4);
		rc->c.r.archived = rnd(&st, 5) == 0;
		rc->c.r.consent_date = (char *)(rnd(&st, 2) ? "2025-09-01" :
		    "");
		rc->c.r.do_not_contact = rnd(&st, 4) == 0;
		put(&f, NULL, &rc->c.r);
		if (rnd(&st, 3) != 0) {
			rc->last_contact = rnd(&st, 3) == 0 ? 0 :
			    1770000000 + (int64_t)rnd(&st, 100) * 86400;
			rc->open_deals = rnd(&st, 3);
			activity_put(&f, i + 1, rc->last_contact,
			    rc->open_deals);
		}
	}
	/* Restore some archived cards and archive others: the archived set
	 * must follow edits. */
	for (size_t i = 0; i < REF_CARDS; i += 7) {
		card_t old = cards[i].c;
		old.r.people = old.pp;
		for (size_t j = 0; j < old.r.n_people; j++) {
			old.pp[j] = &old.p[j];
			old.p[j].phones = old.phones[j];
		}
		old.r.tags = old.tags;
		cards[i].c.r.archived = !cards[i].c.r.archived;
		cards[i].c.r.version++;
		put(&f, &old.r, &cards[i].c.r);
	}
	for (size_t n = 0; n < REF_FILTERS; n++) {
		const kt_cq_caller_t *who = callers[rnd(&st, 4)];
		kt_cq_filter_t flt;
		int src = -1, tag = -1;
		uint64_t want[REF_CARDS], nwant = 0, got = 0, total = 0;
		uint8_t cur[8];
		size_t curlen = 0;

		memset(&flt, 0, sizeof(flt));
		flt.now = 1773576000;   /* 2026-03-15 12:00 UTC */
		for (uint32_t k = 1 + rnd(&st, 3); k > 0; k--) {
			switch (rnd(&st, 17)) {
			case 0: flt.branch = 1 + rnd(&st, 2); break;
			case 1: flt.manager = 101 + rnd(&st, 3); break;
			case 2: flt.status = 1 + rnd(&st, 3); break;
			case 3: flt.category = 1 + rnd(&st, 3); break;
			case 4:
				src = (int)rnd(&st, 3);
				flt.source = ref_sources_q[src];
				break;
			case 5:
				tag = (int)rnd(&st, 2);
				flt.tag = ref_tags_q[tag];
				break;
			case 6:
				flt.birth_month = 1 + rnd(&st, 12);
				flt.children_only = rnd(&st, 2);
				break;
			case 7: flt.child_birth_year = 2007 + rnd(&st, 20); break;
			case 8:
				flt.child_age_min = rnd(&st, 8);
				flt.child_age_max = rnd(&st, 3) == 0 ? 0 :
				    flt.child_age_min + rnd(&st, 6);
				break;
			case 9:
				flt.created_from = 1700000000 +
				    (int64_t)rnd(&st, REF_CARDS) * 86400;
				break;
			case 10:
				flt.created_to = 1700000000 +
				    (int64_t)rnd(&st, REF_CARDS) * 86400;
				break;
			case 11:
				flt.contacted_before = 1770000000 +
				    (int64_t)rnd(&st, 100) * 86400;
				break;
			case 12:
				flt.contacted_after = 1770000000 +
				    (int64_t)rnd(&st, 100) * 86400;
				break;
			case 13: flt.open_deal = rnd(&st, 2) ? 1 : -1; break;
			case 14: flt.consent = rnd(&st, 2) ? 1 : -1; break;
			case 15: flt.do_not_contact = rnd(&st, 2) ? 1 : -1; break;
			default: flt.include_archived = 1; break;
			}
			if (flt.contacted_before && flt.contacted_after &&
			    flt.contacted_after >= flt.contacted_before)
				flt.contacted_after = 0;
		}
		for (size_t i = 0; i < REF_CARDS; i++)
			if (ref_match(&cards[i], &flt, src, tag, who))
				want[nwant++] = cards[i].c.r.id;
		do {
			Kartoteka__ClientListResponse *lr = list(&f, who, &flt,
			    cur, curlen, 64);
			total = lr->total;
			for (size_t i = 0; i < lr->n_rows; i++) {
				assert_true(got < nwant);
				assert_int_equal(lr->rows[i]->id, want[got]);
				got++;
			}
			curlen = lr->next_cursor.len;
			if (curlen)
				memcpy(cur, lr->next_cursor.data, 8);
			lr_free(lr);
		} while (curlen);
		if (total != nwant || got != nwant)
			fail_msg("filter %zu: total %llu, rows %llu, want %llu",
			    n, (unsigned long long)total,
			    (unsigned long long)got,
			    (unsigned long long)nwant);
	}
	fx_close(&f);
	free(cards);
}

static void
paging_total(void **state)
{
	fx_t f;
	card_t c;
	char title[64], phone[20];
	pspec_t p[] = { { "Общий Клиент", 1, 0, 0, 0, NULL, NULL, NULL } };
	Kartoteka__ClientListResponse *lr;
	uint8_t cur[8];
	size_t seen = 0, pages = 0, curlen = 0;

	(void)state;
	fx_open(&f);
	for (uint64_t id = 1; id <= 45; id++) {
		snprintf(title, sizeof(title), "Семья %llu",
		    (unsigned long long)id);
		snprintf(phone, sizeof(phone), "+7900000%04llu",
		    (unsigned long long)id);
		p[0].phone = phone;
		card_make(&c, id, 1, 101, title, p, 1, NULL);
		put(&f, NULL, &c.r);
	}
	do {
		lr = find(&f, &owner, "общий", cur, curlen, 20);
		assert_int_equal(lr->total, 45);
		for (size_t i = 0; i < lr->n_rows; i++)
			assert_int_equal(lr->rows[i]->id, seen + i + 1);
		seen += lr->n_rows;
		pages++;
		curlen = lr->next_cursor.len;
		if (curlen) {
			assert_int_equal(curlen, 8);
			memcpy(cur, lr->next_cursor.data, 8);
		}
		lr_free(lr);
	} while (curlen);
	assert_int_equal(seen, 45);
	assert_int_equal(pages, 3);
	fx_close(&f);
}

static void
bad_cursor(void **state)
{
	fx_t f;
	MDB_txn *txn;
	kt_cq_page_t page;
	char digest[64];
	const char *why = NULL;
	uint8_t cur[3] = { 1, 2, 3 };

	(void)state;
	fx_open(&f);
	assert_int_equal(kt_store_read_begin(f.st, &txn), 0);
	assert_int_equal(kt_cquery_find(txn, kt_store_dbs(f.st), &owner, "x",
	    "7", cur, 3, 0, &page, digest, sizeof(digest), &why), KT_EINVAL);
	assert_non_null(why);
	assert_int_equal(kt_cquery_find(txn, kt_store_dbs(f.st), &owner, "",
	    "7", NULL, 0, 0, &page, digest, sizeof(digest), &why), KT_EINVAL);
	assert_int_equal(kt_cquery_find(txn, kt_store_dbs(f.st), &owner,
	    "—", "7", NULL, 0, 0, &page, digest, sizeof(digest), &why),
	    KT_EINVAL);
	kt_store_read_end(f.st, txn);
	fx_close(&f);
}

/* ---- segments by person (issue 9) ----------------------------------------- */

/* Total of a list of the owner's with flt. */
static uint64_t
ntotal(fx_t *f, const kt_cq_caller_t *who, const kt_cq_filter_t *flt)
{
	Kartoteka__ClientListResponse *lr = list(f, who, flt, NULL, 0, 0);
	uint64_t n = lr->total;

	assert_int_equal(lr->n_rows, n);
	lr_free(lr);
	return n;
}

/* "--birth-month 3 --children --child-age 4-6" is about ONE child: a
 * family with a March child born in 2008 and another child aged 5 is not
 * in it; a family whose March child is 5 is. */
static void
person_level_same_person(void **state)
{
	fx_t f;
	card_t c;
	pspec_t two[] = {
		{ "Мама", KARTOTEKA__RELATION__PARENT, 1985, 3, 14, NULL,
		  NULL, NULL },
		{ "Старший", KARTOTEKA__RELATION__CHILD, 2008, 3, 10, NULL,
		  NULL, NULL },
		{ "Младший", KARTOTEKA__RELATION__CHILD, 2020, 9, 10, NULL,
		  NULL, NULL },
	};
	pspec_t one[] = {
		{ "Папа", KARTOTEKA__RELATION__PARENT, 1980, 7, 1, NULL,
		  NULL, NULL },
		{ "Ваня", KARTOTEKA__RELATION__CHILD, 2021, 3, 3, NULL,
		  NULL, NULL },
	};
	kt_cq_filter_t flt;
	Kartoteka__ClientListResponse *lr;

	(void)state;
	fx_open(&f);
	card_make(&c, 1, 1, 101, "Разные", two, 3, NULL);
	put(&f, NULL, &c.r);
	card_make(&c, 2, 1, 101, "Мартовские", one, 2, NULL);
	put(&f, NULL, &c.r);

	memset(&flt, 0, sizeof(flt));
	flt.now = 1773576000;   /* 2026-03-15 12:00 UTC */
	flt.birth_month = 3;
	flt.children_only = 1;
	flt.child_age_min = 4;
	flt.child_age_max = 6;
	lr = list(&f, &owner, &flt, NULL, 0, 0);
	assert_int_equal(lr->total, 1);
	assert_int_equal(lr->n_rows, 1);
	assert_int_equal(lr->rows[0]->id, 2);
	lr_free(lr);
	/* Without --children: the March mother and the child of 5 are two
	 * people, still no match. */
	flt.children_only = 0;
	assert_int_equal(ntotal(&f, &owner, &flt), 1);
	/* The 2008 child is 18, not 4 to 6. */
	flt.birth_month = 0;
	flt.child_birth_year = 2008;
	assert_int_equal(ntotal(&f, &owner, &flt), 0);
	flt.child_age_min = flt.child_age_max = 0;
	assert_int_equal(ntotal(&f, &owner, &flt), 1);
	flt.birth_month = 9;    /* the 2008 child is a March one */
	assert_int_equal(ntotal(&f, &owner, &flt), 0);
	flt.child_birth_year = 2020;
	assert_int_equal(ntotal(&f, &owner, &flt), 1);
	flt.child_birth_year = 0;
	flt.child_age_min = 5;
	flt.child_age_max = 5;  /* September 2020: 5 on 2026-03-15 */
	assert_int_equal(ntotal(&f, &owner, &flt), 1);
	flt.birth_month = 3;
	assert_int_equal(ntotal(&f, &owner, &flt), 1);   /* only Ваня */
	fx_close(&f);
}

/* Consent, do-not-contact, the last interaction and open deals. */
static void
segment_filters(void **state)
{
	fx_t f;
	card_t c;
	pspec_t p[] = { { "Анна", 1, 1980, 7, 20, NULL, NULL, NULL } };
	kt_cq_filter_t flt;
	const int64_t day = 86400, t0 = 1770000000;
	const char *why = NULL;
	MDB_txn *txn;
	kt_cq_page_t page;

	(void)state;
	fx_open(&f);
	for (uint64_t id = 1; id <= 4; id++) {
		card_make(&c, id, 1, 101, "Семья", p, 1, NULL);
		c.r.consent_date = (char *)(id % 2 ? "2025-09-01" : "");
		c.r.do_not_contact = id == 4;
		put(&f, NULL, &c.r);
	}
	activity_put(&f, 1, t0, 1);             /* 2: never contacted */
	activity_put(&f, 3, t0 + 10 * day, 0);
	activity_put(&f, 4, 0, 2);              /* deals, no contact */

	memset(&flt, 0, sizeof(flt));
	flt.now = t0;
	flt.consent = 1;
	assert_int_equal(ntotal(&f, &owner, &flt), 2);
	flt.consent = -1;
	assert_int_equal(ntotal(&f, &owner, &flt), 2);
	flt.do_not_contact = -1;
	assert_int_equal(ntotal(&f, &owner, &flt), 1);   /* card 2 */
	flt.consent = 0;
	flt.do_not_contact = 1;
	assert_int_equal(ntotal(&f, &owner, &flt), 1);   /* card 4 */
	flt.do_not_contact = 0;

	flt.contacted_before = t0 + day;        /* 1, and 2 and 4: never */
	assert_int_equal(ntotal(&f, &owner, &flt), 3);
	flt.contacted_before = t0;              /* exclusive */
	assert_int_equal(ntotal(&f, &owner, &flt), 2);
	flt.contacted_before = 0;
	flt.contacted_after = t0;               /* inclusive */
	assert_int_equal(ntotal(&f, &owner, &flt), 2);
	flt.contacted_after = t0 + day;
	assert_int_equal(ntotal(&f, &owner, &flt), 1);
	flt.contacted_after = 0;
	flt.open_deal = 1;
	assert_int_equal(ntotal(&f, &owner, &flt), 2);
	flt.open_deal = -1;
	assert_int_equal(ntotal(&f, &owner, &flt), 2);
	assert_int_equal(ntotal(&f, &mgr2, &flt), 0);

	/* Hostile values name the field. */
	assert_int_equal(kt_store_read_begin(f.st, &txn), 0);
	flt.open_deal = 2;
	assert_int_equal(kt_cquery_list(txn, kt_store_dbs(f.st), &owner, &flt,
	    NULL, 0, 0, &page, &why), KT_EINVAL);
	assert_string_equal(why, "open_deal: must be any, yes or no");
	flt.open_deal = 0;
	flt.contacted_after = t0 + day;
	flt.contacted_before = t0;
	assert_int_equal(kt_cquery_list(txn, kt_store_dbs(f.st), &owner, &flt,
	    NULL, 0, 0, &page, &why), KT_EINVAL);
	assert_string_equal(why, "contacted_after: not before contacted_before");
	kt_store_read_end(f.st, txn);
	fx_close(&f);
}

/* Number of rows a search by contract finds for who. */
static size_t
ncontract(fx_t *f, const kt_cq_caller_t *who, const char *contract)
{
	MDB_txn *txn;
	kt_cq_page_t page;
	char digest[256];
	const char *why = NULL;
	size_t n;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	assert_int_equal(kt_cquery_find_contract(txn, kt_store_dbs(f->st), who,
	    contract, NULL, 0, 0, &page, digest, sizeof(digest), &why), 0);
	kt_store_read_end(f->st, txn);
	n = page.rows;
	assert_int_equal(page.total, n);
	kt_cquery_page_free(&page);
	return n;
}

/* An e-mail (it has '@') and a contract number find exactly, within what
 * the caller may see. */
static void
find_email_and_contract(void **state)
{
	fx_t f;
	card_t c;
	pspec_t p[] = { { "Ольга", 1, 1980, 7, 20, NULL, NULL,
	    "olga@Mail.RU" } };
	MDB_txn *txn;
	kt_cq_page_t page;
	char digest[256];
	const char *why = NULL;

	(void)state;
	fx_open(&f);
	family(&f);
	card_make(&c, 2, 1, 101, "Ольгины", p, 1, NULL);
	c.r.contract = "Д-2024/17";
	put(&f, NULL, &c.r);
	assert_int_equal(nfound(&f, &owner, "irina@mail.ru"), 1);
	assert_int_equal(nfound(&f, &owner, "IRINA@MAIL.RU"), 1);
	assert_int_equal(nfound(&f, &owner, "irin@mail.ru"), 0);
	assert_int_equal(nfound(&f, &mgr1, "olga@mail.ru"), 1);
	assert_int_equal(nfound(&f, &mgr2, "olga@mail.ru"), 0);
	assert_int_equal(ncontract(&f, &owner, "д-2024/17"), 1);
	assert_int_equal(ncontract(&f, &mgr1, "Д-2024/17"), 1);
	assert_int_equal(ncontract(&f, &mgr2, "Д-2024/17"), 0);
	assert_int_equal(ncontract(&f, &owner, "Д-2024/1"), 0);
	assert_int_equal(ncontract(&f, &owner, "Д-2024/170"), 0);

	assert_int_equal(kt_store_read_begin(f.st, &txn), 0);
	assert_int_equal(kt_cquery_find(txn, kt_store_dbs(f.st), &owner,
	    "ivan@", "7", NULL, 0, 0, &page, digest, sizeof(digest), &why),
	    KT_EINVAL);
	assert_string_equal(why, "text: has '@' but is not an e-mail address");
	assert_int_equal(kt_cquery_find(txn, kt_store_dbs(f.st), &owner,
	    "olga@mail.ru", "7", NULL, 0, 0, &page, digest, sizeof(digest),
	    &why), 0);
	assert_string_equal(digest, "email o***@mail.ru");
	kt_cquery_page_free(&page);
	assert_int_equal(kt_cquery_find_contract(txn, kt_store_dbs(f.st),
	    &owner, "", NULL, 0, 0, &page, digest, sizeof(digest), &why),
	    KT_EINVAL);
	assert_string_equal(why, "contract: is empty");
	kt_store_read_end(f.st, txn);
	fx_close(&f);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(find_prefix_yo),
	cmocka_unit_test(find_phone_formats),
	cmocka_unit_test(find_respects_visibility),
	cmocka_unit_test(list_filters),
	cmocka_unit_test(list_matches_reference),
	cmocka_unit_test(person_level_same_person),
	cmocka_unit_test(segment_filters),
	cmocka_unit_test(find_email_and_contract),
	cmocka_unit_test(paging_total),
	cmocka_unit_test(bad_cursor),
};

KT_TEST_MAIN(tests)
