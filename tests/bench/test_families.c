/* SPDX-License-Identifier: MIT */
/* Unit tests for tests/bench/families.c: the family generator is
 * deterministic, its contacts never repeat, and what it makes is plausible
 * (ages, surname forms, valid UTF-8, a card that packs and unpacks). */
#include <stdlib.h>

#include "kt_test.h"

#include "bench/families.h"

#define UNIQUE_N 200000u

/* ---- helpers ------------------------------------------------------------ */

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF,
 * no control characters. */
static int
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned cp, need, i;

	while (*p != 0) {
		if (*p < 0x80) {
			if (*p < 0x20 || *p == 0x7F)
				return 0;
			p++;
			continue;
		}
		if ((*p & 0xE0) == 0xC0) {
			cp = *p & 0x1Fu;
			need = 1;
		} else if ((*p & 0xF0) == 0xE0) {
			cp = *p & 0x0Fu;
			need = 2;
		} else if ((*p & 0xF8) == 0xF0) {
			cp = *p & 0x07u;
			need = 3;
		} else {
			return 0;
		}
		for (i = 1; i <= need; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3Fu);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		p += need + 1;
	}
	return 1;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* " " + surname at the end of name: the surname is a whole word. */
static int
name_has_surname(const char *name, const char *surname)
{
	size_t n = strlen(name), m = strlen(surname);

	return n > m + 1 && name[n - m - 1] == ' ' &&
	    strcmp(name + n - m, surname) == 0;
}

static int
valid_date(unsigned y, unsigned m, unsigned d)
{
	static const unsigned dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	unsigned max;

	if (m < 1 || m > 12 || d < 1)
		return 0;
	max = dim[m - 1];
	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		max = 29;
	return d <= max;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* "+79" and 9 digits -> the 9 digits as a number, or UINT64_MAX. */
static uint64_t
phone_value(const char *p)
{
	uint64_t v = 0;
	size_t i;

	if (strlen(p) != 12 || strncmp(p, "+79", 3) != 0)
		return UINT64_MAX;
	for (i = 3; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9')
			return UINT64_MAX;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	return v;
}

/* 64-bit FNV-1a, for counting distinct e-mail addresses cheaply. */
static uint64_t
fnv1a(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (; *s != 0; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
	return h;
}

/* ---- tests -------------------------------------------------------------- */

static void
deterministic(void **state)
{
	kt_family_t *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	char phone[KT_FAMILY_PHONE_LEN];
	unsigned differ = 0;
	uint64_t k;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (k = 0; k < 2000; k++) {
		memset(b, 0xA5, sizeof(*b)); /* no stale bytes may leak in */
		kt_family_make(k, 0, a);
		kt_family_make(k, 0, b);
		assert_memory_equal(a, b, sizeof(*a));
		assert_int_equal(a->k, k);
		kt_family_make(k, 7, b);
		assert_string_equal(a->people[0].phone, b->people[0].phone);
		if (strcmp(a->people[0].name, b->people[0].name) != 0)
			differ++;
	}
	/* The hint does vary the families. */
	assert_true(differ > 1500);
	/* A few fixed points, so that a change in the tables or the stream is
	 * noticed (the bench's find op and saved demo bases rely on them). */
	kt_family_make(1, 0, a);
	kt_family_phone(1, 0, phone);
	assert_string_equal(a->people[0].phone, "+79774853323");
	assert_string_equal(a->people[0].phone, phone);
	kt_family_phone(1, 1, phone);
	assert_string_equal(phone, "+79162273812");
	free(a);
	free(b);
}

static void
phones_unique(void **state)
{
	uint64_t *v = malloc(2 * UNIQUE_N * sizeof(*v));
	uint64_t *e = malloc(UNIQUE_N * sizeof(*e));
	kt_family_t *f = malloc(sizeof(*f));
	char father[KT_FAMILY_PHONE_LEN];
	size_t nv = 0, ne = 0, i;
	uint64_t k;

	(void)state;
	assert_non_null(v);
	assert_non_null(e);
	assert_non_null(f);
	for (k = 1; k <= UNIQUE_N; k++) {
		kt_family_make(k, 0, f);
		v[nv] = phone_value(f->people[0].phone);
		assert_true(v[nv] != UINT64_MAX);
		nv++;
		/* The father's number is reserved even without a father. */
		kt_family_phone(k, 1, father);
		if (f->people[1].relation == KARTOTEKA__RELATION__PARENT)
			assert_string_equal(f->people[1].phone, father);
		v[nv] = phone_value(father);
		assert_true(v[nv] != UINT64_MAX);
		nv++;
		if (f->people[0].email[0] != 0)
			e[ne++] = fnv1a(f->people[0].email);
	}
	qsort(v, nv, sizeof(*v), cmp_u64);
	for (i = 1; i < nv; i++)
		assert_true(v[i - 1] != v[i]);
	qsort(e, ne, sizeof(*e), cmp_u64);
	for (i = 1; i < ne; i++)
		assert_true(e[i - 1] != e[i]);
	free(v);
	free(e);
	free(f);
}

static void
plausible_ages(void **state)
{
	kt_family_t f;
	unsigned my;
	uint64_t k;
	size_t i, parents;

	(void)state;
	for (k = 1; k <= 20000; k++) {
		kt_family_make(k, (unsigned)(k % 3), &f);
		assert_true(f.npeople >= 2 &&
		    f.npeople <= KT_FAMILY_PEOPLE_MAX);
		assert_true(f.nchildren >= 1 &&
		    f.nchildren <= KT_FAMILY_CHILDREN_MAX);
		assert_int_equal(f.people[0].relation,
		    KARTOTEKA__RELATION__PARENT);
		assert_true(f.people[0].female);
		my = f.people[0].birth_year;
		assert_true(my >= 1978 && my <= 1994);
		for (i = 0; i < f.npeople; i++) {
			const kt_family_person_t *p = &f.people[i];

			assert_true(valid_date(p->birth_year, p->birth_month,
			    p->birth_day));
			if (p->relation == KARTOTEKA__RELATION__PARENT) {
				assert_true(p->birth_year >= 1970 &&
				    p->birth_year <= 1997);
				assert_true(p->phone[0] != 0);
				continue;
			}
			assert_int_equal(p->relation,
			    KARTOTEKA__RELATION__CHILD);
			assert_int_equal(p->phone[0], 0);
			assert_true(p->birth_year >= 2008 &&
			    p->birth_year <= 2023);
			/* ages 2..17 in 2025, 3..18 in 2026 */
			assert_true(p->birth_year - my >= 19 &&
			    p->birth_year - my <= 42);
			if (i + 1 < f.npeople)
				assert_true(p->birth_year <=
				    f.people[i + 1].birth_year);
		}
		parents = f.people[1].relation == KARTOTEKA__RELATION__PARENT ?
		    2 : 1;
		assert_int_equal(f.npeople - f.nchildren, parents);
	}
}

static void
surname_forms(void **state)
{
	const kt_surname_t *s;
	size_t n, i, j;
	int has_yo = 0, has_undeclined = 0;
	kt_family_t f;
	char want[96];
	uint64_t k;

	(void)state;
	s = kt_family_surnames(&n);
	assert_true(n >= 50);
	for (i = 0; i < n; i++) {
		const char *m = s[i].male;

		if (strncmp(m, "Ё", strlen("Ё")) == 0)
			has_yo = 1;
		if (s[i].plural == NULL) {
			has_undeclined = 1;
			assert_string_equal(s[i].female, m);
			continue;
		}
		if (ends_with(m, "ов") || ends_with(m, "ев") ||
		    ends_with(m, "ёв") || ends_with(m, "ин") ||
		    ends_with(m, "ын")) {
			(void)snprintf(want, sizeof(want), "%sа", m);
			assert_string_equal(s[i].female, want);
			(void)snprintf(want, sizeof(want), "%sы", m);
			assert_string_equal(s[i].plural, want);
		} else if (ends_with(m, "ий") || ends_with(m, "ой")) {
			size_t stem = strlen(m) - strlen("ий");

			assert_true(ends_with(s[i].female, "ая"));
			assert_memory_equal(s[i].female, m, stem);
			assert_true(ends_with(s[i].plural, "ие") ||
			    ends_with(s[i].plural, "ые"));
			assert_memory_equal(s[i].plural, m, stem);
		} else {
			fail_msg("surname %s: no rule for its forms", m);
		}
		for (j = 0; j < i; j++)
			assert_string_not_equal(s[j].male, m);
	}
	assert_true(has_yo);
	assert_true(has_undeclined);

	for (k = 1; k <= 20000; k++) {
		kt_family_make(k, 0, &f);
		if (f.surname->plural != NULL) {
			assert_string_equal(f.title, f.surname->plural);
		} else {
			(void)snprintf(want, sizeof(want), "%s (семья)",
			    f.surname->male);
			assert_string_equal(f.title, want);
		}
		for (i = 0; i < f.npeople; i++)
			assert_true(name_has_surname(f.people[i].name,
			    f.people[i].female ? f.surname->female :
			    f.surname->male));
	}
}

static void
utf8_everywhere(void **state)
{
	kt_family_t f;
	uint64_t k;
	size_t i;

	(void)state;
	for (k = 1; k <= 20000; k++) {
		kt_family_make(k, (unsigned)k & 1u, &f);
		assert_true(utf8_ok(f.title));
		assert_true(utf8_ok(f.source));
		assert_true(utf8_ok(f.notes));
		assert_true(utf8_ok(f.consent_date));
		assert_true(utf8_ok(f.contract));
		assert_true(utf8_ok(f.leaving_reason));
		for (i = 0; i < f.ntags; i++)
			assert_true(utf8_ok(f.tags[i]));
		for (i = 0; i < f.npeople; i++) {
			assert_true(utf8_ok(f.people[i].name));
			assert_true(utf8_ok(f.people[i].phone));
			assert_true(utf8_ok(f.people[i].email));
			assert_true(utf8_ok(f.people[i].note));
		}
	}
}

/* The shares the generator promises, within a few points over 20000. */
static void
distribution(void **state)
{
	unsigned st[4] = { 0 }, email = 0, father = 0, undeclined = 0;
	unsigned tags = 0, yo = 0;
	const unsigned n = 20000;
	kt_family_t f;
	uint64_t k;
	size_t i;

	(void)state;
	for (k = 1; k <= n; k++) {
		kt_family_make(k, 0, &f);
		assert_true(f.status >= 1 && f.status <= 3);
		st[f.status]++;
		email += f.people[0].email[0] != 0;
		if (f.people[0].email[0] != 0) {
			const char *m = f.people[0].email;

			assert_non_null(strchr(m, '@'));
			for (i = 0; m[i] != 0; i++)
				assert_true((unsigned char)m[i] < 0x80);
		}
		father += f.people[1].relation == KARTOTEKA__RELATION__PARENT;
		undeclined += f.surname->plural == NULL;
		yo += strncmp(f.title, "Ё", strlen("Ё")) == 0;
		tags += (unsigned)f.ntags;
		assert_true(f.ntags <= KT_FAMILY_TAGS_MAX);
		for (i = 0; i < f.ntags; i++)
			if (strcmp(f.tags[i], "скидка") == 0)
				assert_true(f.discount_percent > 0);
		if (f.status == KARTOTEKA__CLIENT_STATUS__FORMER)
			assert_true(f.leaving_reason[0] != 0);
	}
	assert_true(st[KARTOTEKA__CLIENT_STATUS__ACTIVE] > n * 57 / 100 &&
	    st[KARTOTEKA__CLIENT_STATUS__ACTIVE] < n * 63 / 100);
	assert_true(st[KARTOTEKA__CLIENT_STATUS__LEAD] > n * 22 / 100 &&
	    st[KARTOTEKA__CLIENT_STATUS__LEAD] < n * 28 / 100);
	assert_true(st[KARTOTEKA__CLIENT_STATUS__FORMER] > n * 12 / 100 &&
	    st[KARTOTEKA__CLIENT_STATUS__FORMER] < n * 18 / 100);
	assert_true(email > n * 37 / 100 && email < n * 43 / 100);
	assert_true(father > n * 40 / 100 && father < n * 50 / 100);
	assert_true(undeclined > 0 && yo > 0);
	assert_true(tags > n && tags < 2 * n); /* mean 1.05 */
}

/* The card packs, and unpacks to the same family. */
static void
to_client_roundtrip(void **state)
{
	Kartoteka__Client c, *u;
	kt_family_pb_t pb;
	kt_family_t f;
	uint8_t buf[4096];
	size_t len, i;
	uint64_t k;

	(void)state;
	for (k = 1; k <= 2000; k++) {
		kt_family_make(k, 0, &f);
		kt_family_to_client(&f, &c, &pb);
		assert_string_equal(c.branch, "");
		len = kartoteka__client__get_packed_size(&c);
		assert_true(len < sizeof(buf));
		assert_int_equal(kartoteka__client__pack(&c, buf), len);
		u = kartoteka__client__unpack(NULL, len, buf);
		assert_non_null(u);
		assert_string_equal(u->title, f.title);
		assert_int_equal(u->status, f.status);
		assert_int_equal(u->category, f.category);
		assert_string_equal(u->source, f.source);
		assert_int_equal(u->n_tags, f.ntags);
		for (i = 0; i < f.ntags; i++)
			assert_string_equal(u->tags[i], f.tags[i]);
		assert_int_equal(u->n_people, f.npeople);
		for (i = 0; i < f.npeople; i++) {
			const Kartoteka__Person *p = u->people[i];

			assert_string_equal(p->name, f.people[i].name);
			assert_int_equal(p->relation, f.people[i].relation);
			assert_int_equal(p->birth_year, f.people[i].birth_year);
			assert_int_equal(p->birth_month,
			    f.people[i].birth_month);
			assert_int_equal(p->birth_day, f.people[i].birth_day);
			assert_int_equal(p->n_phones,
			    f.people[i].phone[0] != 0 ? 1 : 0);
			if (p->n_phones == 1)
				assert_string_equal(p->phones[0],
				    f.people[i].phone);
			assert_string_equal(p->email, f.people[i].email);
			assert_string_equal(p->note, f.people[i].note);
		}
		assert_string_equal(u->contract, f.contract);
		assert_int_equal(u->discount_percent, f.discount_percent);
		kartoteka__client__free_unpacked(u, NULL);
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(deterministic),
	cmocka_unit_test(phones_unique),
	cmocka_unit_test(plausible_ages),
	cmocka_unit_test(surname_forms),
	cmocka_unit_test(utf8_everywhere),
	cmocka_unit_test(distribution),
	cmocka_unit_test(to_client_roundtrip),
};

KT_TEST_MAIN(tests)
