/* SPDX-License-Identifier: MIT */
/* Unit tests for common/import_group.c: which rows join one card (a
 * phone, an e-mail, family and address, and chains of them), how their
 * people merge, and the order and lines of the cards. */
#include "kt_test.h"

#include <stdlib.h>

#include "import_group.h"
#include "kt_error.h"

/* A row card: one person with name, up to two phones, an e-mail, and
 * the card's address and notes (NULL: none). */
typedef struct rowspec {
	const char *name, *phone1, *phone2, *email, *address, *notes;
} rowspec_t;

static void
add(kt_igroup_t *g, size_t line, rowspec_t s)
{
	Kartoteka__Client c = KARTOTEKA__CLIENT__INIT;
	Kartoteka__Person p = KARTOTEKA__PERSON__INIT;
	Kartoteka__Person *pp = &p;
	char *phones[2];

	p.name = (char *)s.name;
	if (s.phone1)
		phones[p.n_phones++] = (char *)s.phone1;
	if (s.phone2)
		phones[p.n_phones++] = (char *)s.phone2;
	p.phones = phones;
	p.email = (char *)(s.email ? s.email : "");
	c.title = (char *)s.name;
	c.people = &pp;
	c.n_people = 1;
	c.address = (char *)(s.address ? s.address : "");
	c.notes = (char *)(s.notes ? s.notes : "");
	assert_int_equal(kt_igroup_add(g, line, &c), 0);
}

static kt_igroup_t *
group(const rowspec_t *rows, size_t n)
{
	kt_igroup_t *g = NULL;

	assert_int_equal(kt_igroup_new(&g), 0);
	for (size_t i = 0; i < n; i++)
		add(g, i + 2, rows[i]);
	assert_int_equal(kt_igroup_finish(g), 0);
	assert_int_equal(kt_igroup_rows(g), n);
	return g;
}

/* The lines of card i as "2,5". */
static void
lines_are(kt_igroup_t *g, size_t i, const char *want)
{
	kt_arena_t a;
	Kartoteka__Client *c;
	const size_t *lines;
	size_t n, len = 0;
	char buf[200] = "";

	assert_int_equal(kt_arena_init(&a, 4096, 1u << 20), 0);
	assert_int_equal(kt_igroup_card(g, i, &a, &c, &lines, &n), 0);
	for (size_t k = 0; k < n; k++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%zu",
		    k ? "," : "", lines[k]);
	assert_string_equal(buf, want);
	kt_arena_free(&a);
}

static void
by_phone(void **state)
{
	const rowspec_t rows[] = {
		{ "Иванова Мария", "+79120000001", NULL, NULL, NULL, NULL },
		{ "Иванов Пётр", "+79120000002", "+79120000001", NULL, NULL,
		  NULL },
	};
	kt_igroup_t *g = group(rows, 2);

	(void)state;
	assert_int_equal(kt_igroup_cards(g), 1);
	lines_are(g, 0, "2,3");
	kt_igroup_free(g);
}

static void
by_email(void **state)
{
	const rowspec_t rows[] = {
		{ "A", NULL, NULL, "Anna@Mail.ru", NULL, NULL },
		{ "B", "+79120000002", NULL, NULL, NULL, NULL },
		{ "C", NULL, NULL, "anna@mail.ru", NULL, NULL },
	};
	kt_igroup_t *g = group(rows, 3);

	(void)state;
	assert_int_equal(kt_igroup_cards(g), 2);
	lines_are(g, 0, "2,4");
	lines_are(g, 1, "3");
	kt_igroup_free(g);
}

static void
by_family_address(void **state)
{
	const rowspec_t rows[] = {
		{ "Сидорова Анна", NULL, NULL, NULL, "Ленина 1-5", NULL },
		{ "СИДОРОВА Ольга", NULL, NULL, NULL, "ленина 1-5", NULL },
		{ "Сидорова Вера", NULL, NULL, NULL, "Ленина 2", NULL },
		{ "Петрова Анна", NULL, NULL, NULL, "Ленина 1-5", NULL },
		{ "Сидоров Олег", NULL, NULL, NULL, "Ленина 1-5", NULL },
		{ "Ковальская Ия", NULL, NULL, NULL, "Мира 3", NULL },
		{ "Ковальский Ян", NULL, NULL, NULL, "Мира 3", NULL },
		{ "Ина Ли", NULL, NULL, NULL, "Мира 3", NULL },
		{ "Ин Ли", NULL, NULL, NULL, "Мира 3", NULL },
	};
	kt_igroup_t *g = group(rows, 9);

	(void)state;
	/* A wife and a husband (-ова/-ов, -ская/-ский) are one family;
	 * a short name is not cut. */
	assert_int_equal(kt_igroup_cards(g), 6);
	lines_are(g, 0, "2,3,6");
	lines_are(g, 3, "7,8");
	kt_igroup_free(g);
}

static void
separate_rows(void **state)
{
	const rowspec_t rows[] = {
		{ "A", "+79120000001", NULL, NULL, NULL, NULL },
		{ "B", "+79120000002", NULL, NULL, NULL, NULL },
		{ "A", NULL, NULL, NULL, NULL, NULL },    /* a name is no key */
	};
	kt_igroup_t *g = group(rows, 3);

	(void)state;
	assert_int_equal(kt_igroup_cards(g), 3);
	kt_igroup_free(g);
}

static void
chain_joins(void **state)
{
	/* 2 and 4 share nothing but both share with 3, which comes later
	 * than 2: all three become the card of line 2. */
	const rowspec_t rows[] = {
		{ "A", "+79120000001", NULL, NULL, NULL, NULL },
		{ "X", "+79120000009", NULL, NULL, NULL, NULL },
		{ "B", "+79120000002", NULL, "b@x.ru", NULL, NULL },
		{ "C", "+79120000001", NULL, "b@x.ru", NULL, NULL },
	};
	kt_igroup_t *g = group(rows, 4);

	(void)state;
	assert_int_equal(kt_igroup_cards(g), 2);
	lines_are(g, 0, "2,4,5");
	lines_are(g, 1, "3");
	kt_igroup_free(g);
}

static void
merge_same_person(void **state)
{
	const rowspec_t rows[] = {
		{ "Иванова Мария", "+79120000001", NULL, NULL, NULL, "первая" },
		{ "иванова мария", "+79120000001", "+79120000003", "m@x.ru",
		  NULL, "вторая" },
		{ "Иванов Пётр", "+79120000003", NULL, "p@x.ru", NULL,
		  "первая" },
	};
	kt_igroup_t *g = group(rows, 3);
	kt_arena_t a;
	Kartoteka__Client *c;
	const size_t *lines;
	size_t n;

	(void)state;
	assert_int_equal(kt_arena_init(&a, 4096, 1u << 20), 0);
	assert_int_equal(kt_igroup_cards(g), 1);
	assert_int_equal(kt_igroup_card(g, 0, &a, &c, &lines, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(c->title, "Иванова Мария");
	assert_int_equal(c->n_people, 2);
	assert_int_equal(c->people[0]->n_phones, 2);
	assert_string_equal(c->people[0]->phones[1], "+79120000003");
	assert_string_equal(c->people[0]->email, "m@x.ru");
	assert_string_equal(c->people[1]->name, "Иванов Пётр");
	assert_string_equal(c->notes, "первая\nвторая");
	assert_int_equal(kt_igroup_card(g, 1, &a, &c, &lines, &n), KT_EINVAL);
	kt_arena_free(&a);
	kt_igroup_free(g);
}

static void
order_and_lines(void **state)
{
	kt_igroup_t *g = NULL;
	char phone[20];

	(void)state;
	/* 3000 rows, every third shares the phone of the row before it. */
	assert_int_equal(kt_igroup_new(&g), 0);
	for (size_t i = 0; i < 3000; i++) {
		rowspec_t s = { "N", phone, NULL, NULL, NULL, NULL };
		snprintf(phone, sizeof(phone), "+7912%07zu",
		    i % 3 == 2 ? i - 1 : i);
		add(g, i + 2, s);
	}
	assert_int_equal(kt_igroup_finish(g), 0);
	assert_int_equal(kt_igroup_cards(g), 2000);
	lines_are(g, 0, "2");
	lines_are(g, 1, "3,4");
	lines_are(g, 1999, "3000,3001");
	kt_igroup_free(g);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(by_phone),
	cmocka_unit_test(by_email),
	cmocka_unit_test(by_family_address),
	cmocka_unit_test(separate_rows),
	cmocka_unit_test(chain_joins),
	cmocka_unit_test(merge_same_person),
	cmocka_unit_test(order_and_lines),
};

KT_TEST_MAIN(tests)
