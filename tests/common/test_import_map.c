/* SPDX-License-Identifier: MIT */
/* Unit tests for common/import_map.c: which field each header gets, the
 * mapping file, a row's card with its people, phones and dates, and the
 * reasons that name the column. */
#include "kt_test.h"

#include <stdlib.h>

#include "import_map.h"
#include "kt_error.h"

/* A row of n cells from a NULL-terminated list. */
#define ROW(line, ...) row_of((line), (const char *[]){ __VA_ARGS__, NULL })

static kt_irow_t
row_of(size_t line, const char **cells)
{
	kt_irow_t r = { .ir_line = line, .ir_cells = cells };

	while (cells[r.ir_ncells])
		r.ir_ncells++;
	return r;
}

static void
header_ok(kt_imap_t *m, kt_irow_t h)
{
	char err[300] = "";
	int rc = kt_imap_header(m, &h, err, sizeof(err));

	if (rc != 0)
		print_error("header: %s\n", err);
	assert_int_equal(rc, 0);
}

static void
header_keys(void **state)
{
	char k[64];

	(void)state;
	assert_int_equal(kt_imap_key("  Ф.И.О. ", k, sizeof(k)), 0);
	assert_string_equal(k, "ф и о");
	assert_int_equal(kt_imap_key("Телефон 2", k, sizeof(k)), 0);
	assert_string_equal(k, "телефон");
	assert_int_equal(kt_imap_key("E-mail", k, sizeof(k)), 0);
	assert_string_equal(k, "e mail");
	assert_int_equal(kt_imap_key("Ребёнок", k, sizeof(k)), 0);
	assert_string_equal(k, "ребенок");
	assert_int_equal(kt_imap_key("\xff", k, sizeof(k)), KT_EINVAL);
	assert_int_equal(kt_imap_key("a very long header", k, 5), KT_EINVAL);
}

static void
header_russian(void **state)
{
	kt_imap_t m = { .im_cc = "7" };
	static const kt_ifield_t want[] = { KT_IF_FULLNAME, KT_IF_PHONE,
		KT_IF_PHONE, KT_IF_EMAIL, KT_IF_BIRTH, KT_IF_CHILD, KT_IF_BRANCH,
		KT_IF_MANAGER, KT_IF_SOURCE, KT_IF_NOTE, KT_IF_STATUS,
		KT_IF_CATEGORY, KT_IF_CONTRACT, KT_IF_DISCOUNT, KT_IF_IGNORE };

	(void)state;
	header_ok(&m, ROW(1, "ФИО", "Телефон", "Телефон 2", "Почта",
	    "Дата рождения", "Дети", "Филиал", "Менеджер", "Источник",
	    "Комментарий", "Статус", "Категория", "Договор", "Скидка, %",
	    "Что-то ещё"));
	assert_int_equal(m.im_ncols, 15);
	for (size_t i = 0; i < 15; i++)
		assert_int_equal(m.im_field[i], want[i]);
	kt_imap_free(&m);
}

static void
header_english(void **state)
{
	kt_imap_t m = { .im_cc = "7" };

	(void)state;
	header_ok(&m, ROW(1, "Last name", "First Name", "Middle name",
	    "Phone", "E-mail", "Birthday", "Children", "Notes"));
	assert_int_equal(m.im_field[0], KT_IF_LAST);
	assert_int_equal(m.im_field[1], KT_IF_FIRST);
	assert_int_equal(m.im_field[2], KT_IF_MIDDLE);
	assert_int_equal(m.im_field[3], KT_IF_PHONE);
	assert_int_equal(m.im_field[4], KT_IF_EMAIL);
	assert_int_equal(m.im_field[5], KT_IF_BIRTH);
	assert_int_equal(m.im_field[6], KT_IF_CHILD);
	assert_int_equal(m.im_field[7], KT_IF_NOTE);
	kt_imap_free(&m);
}

static void
header_needs_names(void **state)
{
	kt_imap_t m = { .im_cc = "7" };
	kt_irow_t h = ROW(3, "Сумма", "Дата");
	char err[300];

	(void)state;
	assert_int_equal(kt_imap_header(&m, &h, err, sizeof(err)), KT_EINVAL);
	assert_non_null(strstr(err, "line 3: no column of names"));
	kt_imap_free(&m);
}

static void
header_second_column(void **state)
{
	kt_imap_t m = { .im_cc = "7" };
	kt_irow_t h = ROW(1, "ФИО", "Статус", "статус");
	char err[300];

	(void)state;
	assert_int_equal(kt_imap_header(&m, &h, err, sizeof(err)), KT_EINVAL);
	assert_string_equal(err, "column 3 'статус': a second status column "
	    "(map one of them to another field or 'ignore' with --map)");
	kt_imap_free(&m);
}

static void
rules_file(void **state)
{
	kt_imap_t m = { .im_cc = "7" };
	const char *rules = "# our old CRM\n\nМоб. = phone\r\nОткуда пришёл = "
	    "source\nКлуб = custom:club\nСтатус = ignore\n";
	char err[300] = "";

	(void)state;
	assert_int_equal(kt_imap_rules(&m, rules, strlen(rules), err,
	    sizeof(err)), 0);
	assert_int_equal(m.im_nrules, 4);
	header_ok(&m, ROW(1, "ФИО", "моб", "Откуда пришел", "Клуб", "Статус"));
	assert_int_equal(m.im_field[1], KT_IF_PHONE);
	assert_int_equal(m.im_field[2], KT_IF_SOURCE);
	assert_int_equal(m.im_field[3], KT_IF_CUSTOM);
	assert_string_equal(m.im_custom[3], "club");
	assert_int_equal(m.im_field[4], KT_IF_IGNORE);
	assert_true(m.im_by_rule[4]);
	assert_false(m.im_by_rule[0]);
	kt_imap_free(&m);
}

static void
rules_errors(void **state)
{
	kt_imap_t m = { .im_cc = "7" };
	char err[300];

	(void)state;
	assert_int_equal(kt_imap_rules(&m, "a = phone\nb phone\n", 18, err,
	    sizeof(err)), KT_EINVAL);
	assert_string_equal(err, "line 2: expected 'Column header = field'");
	assert_int_equal(kt_imap_rules(&m, "a = phon\n", 9, err, sizeof(err)),
	    KT_EINVAL);
	assert_non_null(strstr(err, "line 1: 'phon' is not a field"));
	assert_int_equal(kt_imap_rules(&m, " = phone\n", 9, err, sizeof(err)),
	    KT_EINVAL);
	assert_string_equal(err, "line 1: no column header before '='");
	assert_int_equal(kt_imap_rules(&m, "a\x00 = phone", 11, err,
	    sizeof(err)), KT_EINVAL);
	assert_string_equal(err, "line 1: not valid UTF-8 text");
	kt_imap_free(&m);
}

/* Maps one data row under header h; returns the card (in a). */
static Kartoteka__Client *
map_ok(kt_imap_t *m, kt_arena_t *a, kt_irow_t r)
{
	Kartoteka__Client *c = NULL;
	char why[300] = "";
	int rc = kt_imap_row(m, &r, a, &c, why, sizeof(why));

	if (rc != 0)
		print_error("row: %s\n", why);
	assert_int_equal(rc, 0);
	assert_non_null(c);
	return c;
}

static void
map_bad(kt_imap_t *m, kt_arena_t *a, kt_irow_t r, const char *want)
{
	Kartoteka__Client *c = NULL;
	char why[300] = "";

	assert_int_equal(kt_imap_row(m, &r, a, &c, why, sizeof(why)),
	    KT_EINVAL);
	assert_null(c);
	assert_string_equal(why, want);
}

static void
row_person_family(void **state)
{
	kt_imap_t m = { .im_cc = "7" };
	kt_arena_t a;
	Kartoteka__Client *c;

	(void)state;
	assert_int_equal(kt_arena_init(&a, 4096, 1u << 20), 0);
	header_ok(&m, ROW(1, "Фамилия", "Имя", "Отчество", "Телефон",
	    "Дети", "ДР"));
	c = map_ok(&m, &a, ROW(2, "Иванова", "Мария", "Петровна",
	    "8 (912) 345-67-89", "Петя (12.03.2018), Маша 01.09.2020",
	    "1985-05-07"));
	assert_string_equal(c->title, "Иванова Мария Петровна");
	assert_int_equal(c->n_people, 3);
	assert_string_equal(c->people[0]->name, "Иванова Мария Петровна");
	assert_int_equal(c->people[0]->relation, KARTOTEKA__RELATION__PARENT);
	assert_int_equal(c->people[0]->birth_year, 1985);
	assert_int_equal(c->people[0]->birth_month, 5);
	assert_int_equal(c->people[0]->n_phones, 1);
	assert_string_equal(c->people[0]->phones[0], "+79123456789");
	assert_string_equal(c->people[1]->name, "Петя");
	assert_int_equal(c->people[1]->relation, KARTOTEKA__RELATION__CHILD);
	assert_int_equal(c->people[1]->birth_year, 2018);
	assert_int_equal(c->people[1]->birth_day, 12);
	assert_string_equal(c->people[2]->name, "Маша");
	assert_int_equal(c->people[2]->birth_month, 9);
	kt_arena_free(&a);
	kt_imap_free(&m);
}

static void
row_phones_in_one_cell(void **state)
{
	kt_imap_t m = { .im_cc = "7" };
	kt_arena_t a;
	Kartoteka__Client *c;

	(void)state;
	assert_int_equal(kt_arena_init(&a, 4096, 1u << 20), 0);
	header_ok(&m, ROW(1, "ФИО", "Телефон", "Телефон 2", "Email"));
	c = map_ok(&m, &a, ROW(2, "Петров Пётр", "+7 912 345 67 89, "
	    "8-912-345-67-80;\n89123456781 / 9123456789", "+7 (912) 345-67-89",
	    "p@Mail.RU, petrov@work.ru"));
	assert_int_equal(c->people[0]->n_phones, 3);
	assert_string_equal(c->people[0]->phones[0], "+79123456789");
	assert_string_equal(c->people[0]->phones[1], "+79123456780");
	assert_string_equal(c->people[0]->phones[2], "+79123456781");
	assert_string_equal(c->people[0]->email, "p@mail.ru");
	assert_string_equal(c->notes, "e-mail: petrov@work.ru");
	kt_arena_free(&a);
	kt_imap_free(&m);
}

static void
row_reasons_name_column(void **state)
{
	kt_imap_t m = { .im_cc = "7" };
	kt_arena_t a;

	(void)state;
	assert_int_equal(kt_arena_init(&a, 4096, 1u << 20), 0);
	header_ok(&m, ROW(1, "ФИО", "Телефон", "Дата рождения", "Статус",
	    "Скидка", "Категория", "Почта"));
	map_bad(&m, &a, ROW(2, "А", "12", "", "", "", "", ""),
	    "Телефон: phone '12' is too short");
	map_bad(&m, &a, ROW(3, "А", "", "31.02.2000", "", "", "", ""),
	    "Дата рождения: date '31.02.2000' is not a date (12.03.2018, "
	    "2018-03-12, 12/03/2018)");
	map_bad(&m, &a, ROW(4, "А", "", "", "VIP", "", "", ""),
	    "Статус: not a status (lead/лид, active/активный, former/бывший)");
	map_bad(&m, &a, ROW(5, "А", "", "", "", "120%", "", ""),
	    "Скидка: not a discount (a whole percent, 0..100)");
	map_bad(&m, &a, ROW(6, "А", "", "", "", "", "D", ""),
	    "Категория: not a category (A, B or C)");
	map_bad(&m, &a, ROW(7, "", "+79123456789", "", "", "", "", ""),
	    "no name for the phones or e-mails of this row");
	map_bad(&m, &a, ROW(8, "А", "", "", "", "", "", "a@@b"),
	    "Почта: email 'a@@b' has more than one '@'");
	kt_arena_free(&a);
	kt_imap_free(&m);
}

static void
row_blank_and_broken(void **state)
{
	kt_imap_t m = { .im_cc = "7" };
	kt_arena_t a;
	Kartoteka__Client *c = NULL;
	kt_irow_t r = ROW(4, " ", "", "\t");
	char why[300];

	(void)state;
	assert_int_equal(kt_arena_init(&a, 4096, 1u << 20), 0);
	header_ok(&m, ROW(1, "ФИО", "Телефон", "Почта"));
	assert_int_equal(kt_imap_row(&m, &r, &a, &c, why, sizeof(why)),
	    KT_ENOTFOUND);
	r = ROW(5, "x", "", "", "", "stray");
	assert_int_equal(kt_imap_row(&m, &r, &a, &c, why, sizeof(why)),
	    KT_EINVAL);
	assert_string_equal(why, "column 5: a value in a column without a "
	    "header");
	r = ROW(6, "x");
	r.ir_error = "column 2: contains a NUL byte";
	assert_int_equal(kt_imap_row(&m, &r, &a, &c, why, sizeof(why)),
	    KT_EINVAL);
	assert_string_equal(why, "column 2: contains a NUL byte");
	/* Fewer cells than headers is fine. */
	c = map_ok(&m, &a, ROW(7, "Only Name"));
	assert_string_equal(c->title, "Only Name");
	kt_arena_free(&a);
	kt_imap_free(&m);
}

static void
row_defaults_and_fields(void **state)
{
	kt_imap_t m = { .im_cc = "7", .im_branch = "Центр",
		.im_manager = "olga" };
	kt_arena_t a;
	Kartoteka__Client *c;

	(void)state;
	assert_int_equal(kt_arena_init(&a, 4096, 1u << 20), 0);
	header_ok(&m, ROW(1, "Компания", "Контакт", "Филиал", "Статус",
	    "Категория", "Скидка", "Договор", "Теги", "Адрес", "Источник"));
	c = map_ok(&m, &a, ROW(2, "ООО Ромашка", "Сидоров", "", "Активный",
	    "В", "15 %", "Д-17", "опт, vip", "ул. Ленина, 1", "сайт"));
	assert_string_equal(c->title, "ООО Ромашка");
	assert_string_equal(c->branch, "Центр");
	assert_string_equal(c->manager, "olga");
	assert_int_equal(c->status, KARTOTEKA__CLIENT_STATUS__ACTIVE);
	assert_int_equal(c->category, KARTOTEKA__CATEGORY__CATEGORY_B);
	assert_int_equal(c->discount_percent, 15);
	assert_string_equal(c->contract, "Д-17");
	assert_int_equal(c->n_tags, 2);
	assert_string_equal(c->tags[1], "vip");
	assert_string_equal(c->address, "ул. Ленина, 1");
	assert_string_equal(c->source, "сайт");
	c = map_ok(&m, &a, ROW(3, "ИП Кот", "", "Север"));
	assert_string_equal(c->branch, "Север");
	assert_int_equal(c->n_people, 0);
	kt_arena_free(&a);
	kt_imap_free(&m);
}

static void
date_is(const char *in, unsigned y, unsigned mo, unsigned d)
{
	kt_date_t out;
	kt_why_t why = { "" };

	if (kt_imap_date(in, &out, &why) != 0)
		print_error("'%s': %s\n", in, why.text);
	assert_int_equal(out.year, y);
	assert_int_equal(out.month, mo);
	assert_int_equal(out.day, d);
}

static void
dates_as_typed(void **state)
{
	(void)state;
	date_is("12.03.2018", 2018, 3, 12);
	date_is("2018-03-12", 2018, 3, 12);
	date_is("12/03/2018", 2018, 3, 12);
	date_is("12-03-2018", 2018, 3, 12);
	date_is("1.2.1990", 1990, 2, 1);
	date_is("12.03.2018 0:00:00", 2018, 3, 12);
	date_is("2018-03-12T00:00:00", 2018, 3, 12);
	date_is("12.03.2018г.", 2018, 3, 12);
	date_is("43171", 2018, 3, 12);
	date_is("43171.5", 2018, 3, 12);
	date_is("61", 1900, 3, 1);
	date_is("25569", 1970, 1, 1);
	date_is("12.03", 0, 3, 12);
}

static void
dates_refused(void **state)
{
	static const char *const bad[] = { "", "12.13.2018", "2018/03/12x",
		"12", "60", "99999999", "1.5.5", "abc", "12.03.18",
		"0.5", NULL };
	kt_date_t out;
	kt_why_t why;

	(void)state;
	for (size_t i = 0; bad[i]; i++) {
		if (kt_imap_date(bad[i], &out, &why) == 0)
			print_error("'%s' was read as a date\n", bad[i]);
		assert_int_equal(kt_imap_date(bad[i], &out, &why), KT_EINVAL);
		assert_int_equal(out.month, 0);
	}
	assert_int_equal(kt_imap_date("12", &out, &why), KT_EINVAL);
	assert_string_equal(why.text, "date '12' is not a date (a number, but "
	    "not of a day from 1900 to 2100)");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(header_keys),
	cmocka_unit_test(header_russian),
	cmocka_unit_test(header_english),
	cmocka_unit_test(header_needs_names),
	cmocka_unit_test(header_second_column),
	cmocka_unit_test(rules_file),
	cmocka_unit_test(rules_errors),
	cmocka_unit_test(row_person_family),
	cmocka_unit_test(row_phones_in_one_cell),
	cmocka_unit_test(row_reasons_name_column),
	cmocka_unit_test(row_blank_and_broken),
	cmocka_unit_test(row_defaults_and_fields),
	cmocka_unit_test(dates_as_typed),
	cmocka_unit_test(dates_refused),
};

KT_TEST_MAIN(tests)
