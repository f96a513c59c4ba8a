/* SPDX-License-Identifier: MIT */
/* Tests for server/client_card.c: a good card is normalised, every bad
 * field is refused with its path named, an edit merges only the named
 * fields, and random bytes decoded as a Client never crash the builder
 * (run under ASan/UBSan in CI). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_test.h"

#include "arena.h"
#include "model/client_card.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"
#include "records.pb-c.h"

/* 2026-03-15 12:00 UTC: birth years up to 2026 are allowed. */
#define NOW 1773576000

typedef struct fx {
	Kartoteka__Client c;
	Kartoteka__Person p[2];
	Kartoteka__Person *pp[2];
	char *phones[2];
	kt_arena_t a;
	Ktstore__ClientRecord r;
	char err[300];
} fx_t;

static void
fx_init(fx_t *f)
{
	memset(f, 0, sizeof(*f));
	kartoteka__client__init(&f->c);
	f->c.title = "Ёлкины";
	f->c.status = KARTOTEKA__CLIENT_STATUS__ACTIVE;
	kartoteka__person__init(&f->p[0]);
	f->p[0].name = "Ирина Ёлкина";
	f->p[0].relation = KARTOTEKA__RELATION__PARENT;
	f->p[0].birth_year = 1985;
	f->p[0].birth_month = 3;
	f->p[0].birth_day = 14;
	f->phones[0] = "8 (912) 345-67-89";
	f->p[0].phones = f->phones;
	f->p[0].n_phones = 1;
	f->p[0].email = "Irina@Mail.RU";
	f->pp[0] = &f->p[0];
	f->c.people = f->pp;
	f->c.n_people = 1;
	assert_int_equal(kt_arena_init(&f->a, 4096, 1u << 20), 0);
	ktstore__client_record__init(&f->r);
}

static int
build(fx_t *f, const char *cc)
{
	ktstore__client_record__init(&f->r);
	f->err[0] = '\0';
	return kt_card_build(&f->c, KT_CARD_ALL, NOW, cc, &f->a, &f->r,
	    f->err, sizeof(f->err));
}

/* Builds and expects KT_EINVAL with err starting with path. */
static void
refused(fx_t *f, const char *path)
{
	assert_int_equal(build(f, "7"), KT_EINVAL);
	if (strncmp(f->err, path, strlen(path)) != 0)
		fail_msg("error '%s' does not name '%s'", f->err, path);
}

static void
good_card_normalised(void **state)
{
	fx_t f;

	(void)state;
	fx_init(&f);
	assert_int_equal(build(&f, "7"), 0);
	assert_string_equal(f.r.title, "Ёлкины");
	assert_int_equal(f.r.n_people, 1);
	assert_string_equal(f.r.people[0]->phones[0], "+79123456789");
	assert_string_equal(f.r.people[0]->email, "Irina@mail.ru");
	/* Another country code: the trunk 0 goes, the code comes in front. */
	f.phones[0] = "030 1234567";
	assert_int_equal(build(&f, "49"), 0);
	assert_string_equal(f.r.people[0]->phones[0], "+49301234567");
	kt_arena_free(&f.a);
}

static void
bad_fields_named(void **state)
{
	static char big[70000];
	fx_t f;

	(void)state;
	fx_init(&f);
	f.c.title = "";
	refused(&f, "title");
	f.c.title = "\xff\xfe";
	refused(&f, "title");
	f.c.title = "Ёлкины";
	f.c.status = (Kartoteka__ClientStatus)99;
	refused(&f, "status");
	f.c.status = KARTOTEKA__CLIENT_STATUS__ACTIVE;
	f.phones[0] = "12";
	refused(&f, "people[0].phones[0]");
	f.phones[0] = "+79123456789";
	f.p[0].email = "not an address";
	refused(&f, "people[0].email");
	f.p[0].email = "";
	f.p[0].birth_month = 2;
	f.p[0].birth_day = 30;
	refused(&f, "people[0].birth_day");
	f.p[0].birth_day = 14;
	f.p[0].birth_year = 2999;
	refused(&f, "people[0].birth_year");
	f.p[0].birth_year = 0;      /* unknown year: allowed */
	assert_int_equal(build(&f, "7"), 0);
	f.c.discount_percent = 101;
	refused(&f, "discount_percent");
	f.c.discount_percent = 0;
	f.c.consent_date = "2026-02-30";
	refused(&f, "consent_date");
	f.c.consent_date = "";
	memset(big, 'x', sizeof(big) - 1);
	f.c.notes = big;
	refused(&f, "notes");
	f.c.notes = "";
	kt_arena_free(&f.a);
}

static void
merge_named_only(void **state)
{
	Ktstore__ClientRecord old = KTSTORE__CLIENT_RECORD__INIT;
	Ktstore__ClientRecord out;
	fx_t f;
	char digest[64];

	(void)state;
	fx_init(&f);
	assert_int_equal(build(&f, "7"), 0);
	old.id = 7;
	old.title = "Старые";
	old.notes = "заметка";
	old.version = 3;
	kt_card_merge(&old, &f.r, KT_CARD_TITLE | KT_CARD_PEOPLE, &out);
	assert_string_equal(out.title, "Ёлкины");
	assert_int_equal(out.n_people, 1);
	assert_string_equal(out.notes, "заметка");
	assert_int_equal(out.id, 7);
	assert_int_equal(out.version, 3);
	kt_card_fields_digest(KT_CARD_TITLE | KT_CARD_PEOPLE, digest,
	    sizeof(digest));
	assert_string_equal(digest, "title,people");
	assert_int_equal(kt_card_field_bit("people"), KT_CARD_PEOPLE);
	assert_int_equal(kt_card_field_bit("manager"), 0);
	assert_int_equal(kt_card_field_bit(NULL), 0);
	kt_arena_free(&f.a);
}

/* Random bytes, and a good card's bytes with random flips, decoded as a
 * Client: the builder answers 0 (and the card packs and unpacks) or
 * KT_EINVAL with an error naming a field; never anything else. */
static void
hostile_bytes(void **state)
{
	Kartoteka__Client *c;
	fx_t f;
	uint8_t good[512], buf[512];
	uint64_t st = 7;
	size_t goodlen, built = 0, refusals = 0;

	(void)state;
	fx_init(&f);
	f.c.n_tags = 0;
	goodlen = kartoteka__client__get_packed_size(&f.c);
	assert_true(goodlen <= sizeof(good));
	kartoteka__client__pack(&f.c, good);
	for (int i = 0; i < 20000; i++) {
		size_t n = goodlen;
		kt_arena_t a;
		Ktstore__ClientRecord r = KTSTORE__CLIENT_RECORD__INIT;
		char err[300] = "";
		uint8_t *packed = NULL;
		size_t plen = 0;
		int rc;

		memcpy(buf, good, goodlen);
		for (int k = 0; k < 1 + i % 8; k++) {
			st = st * 6364136223846793005ull + 1442695040888963407ull;
			if (i % 4 == 3)
				buf[(st >> 33) % sizeof(buf)] = (uint8_t)(st >> 17);
			else
				buf[(st >> 33) % goodlen] ^= (uint8_t)(st >> 17) | 1;
		}
		if (i % 4 == 3)
			n = (size_t)(st >> 40) % sizeof(buf);
		c = kartoteka__client__unpack(NULL, n, buf);
		if (c == NULL)
			continue;
		assert_int_equal(kt_arena_init(&a, 1024, 1u << 20), 0);
		rc = kt_card_build(c, KT_CARD_ALL, NOW, "7", &a, &r, err,
		    sizeof(err));
		if (rc == 0) {
			Ktstore__ClientRecord *back;
			assert_int_equal(kt_card_pack(&r, &packed, &plen, err,
			    sizeof(err)), 0);
			back = ktstore__client_record__unpack(NULL, plen,
			    packed);
			assert_non_null(back);
			protobuf_c_message_free_unpacked(&back->base, NULL);
			free(packed);
			built++;
		} else {
			assert_int_equal(rc, KT_EINVAL);
			assert_true(strchr(err, ':') != NULL);
			refusals++;
		}
		kt_arena_free(&a);
		kartoteka__client__free_unpacked(c, NULL);
	}
	/* Both outcomes must have been reached for the run to mean anything
	 * (the generator is deterministic, so these counts are fixed). */
	printf("hostile_bytes: %zu built, %zu refused\n", built, refusals);
	assert_true(built > 100 && refusals > 100);
	kt_arena_free(&f.a);
}

/* A wipe is people, phones or e-mails removed; the same e-mail in
 * another case is the same e-mail. */
static void
lost_contacts_seen(void **state)
{
	Ktstore__PersonRecord p1 = KTSTORE__PERSON_RECORD__INIT,
	    p2 = KTSTORE__PERSON_RECORD__INIT, q1 = KTSTORE__PERSON_RECORD__INIT;
	Ktstore__PersonRecord *two[2] = { &p1, &p2 }, *one[1] = { &q1 };
	Ktstore__ClientRecord old = KTSTORE__CLIENT_RECORD__INIT,
	    now = KTSTORE__CLIENT_RECORD__INIT;
	char *ph[2] = { "+79990000001", "+79990000002" };

	(void)state;
	p1.name = "A";
	p1.phones = ph;
	p1.n_phones = 2;
	p1.email = "anna@example.ru";
	p2.name = "B";
	old.people = two;
	old.n_people = 2;
	q1 = p1;
	q1.email = "ANNA@Example.ru";
	now.people = one;
	now.n_people = 1;
	assert_true(kt_card_has_contact(&old, "+79990000002", 1));
	assert_false(kt_card_has_contact(&old, "+79990000003", 1));
	assert_true(kt_card_has_contact(&now, "anna@example.ru", 0));
	assert_false(kt_card_has_contact(NULL, "anna@example.ru", 0));
	assert_true(kt_card_loses_contacts(&old, &now));   /* B is gone */
	old.n_people = 1;
	assert_false(kt_card_loses_contacts(&old, &now));
	q1.n_phones = 1;
	assert_true(kt_card_loses_contacts(&old, &now));   /* a phone */
	q1.n_phones = 2;
	q1.email = "";
	assert_true(kt_card_loses_contacts(&old, &now));   /* the e-mail */
	assert_false(kt_card_loses_contacts(&now, &old));  /* added back */
}

/* Issue 9 item 7: a birth date after today is refused, today and a date
 * of this year already past are not (today is UTC+14's, the zone where
 * it starts first); a date with the year unknown is never "after". */
static void
future_birth_refused(void **state)
{
	fx_t f;

	(void)state;
	fx_init(&f);
	f.p[0].birth_year = 2026;
	f.p[0].birth_month = 3;
	f.p[0].birth_day = 16;            /* NOW is 15.03 12:00 UTC */
	assert_int_equal(build(&f, "7"), 0);   /* already 16.03 at UTC+14 */
	f.p[0].birth_day = 17;
	refused(&f, "people[0].birth_day");
	assert_non_null(strstr(f.err, "17.03.2026 is after today"));
	f.p[0].birth_month = 12;
	f.p[0].birth_day = 1;
	refused(&f, "people[0].birth_day");
	f.p[0].birth_month = 3;
	f.p[0].birth_day = 15;
	assert_int_equal(build(&f, "7"), 0);
	f.p[0].birth_year = 0;                 /* year unknown */
	f.p[0].birth_month = 12;
	assert_int_equal(build(&f, "7"), 0);
	f.p[0].birth_year = 2027;
	f.p[0].birth_month = 0;
	f.p[0].birth_day = 0;
	refused(&f, "people[0].birth_year");
	kt_arena_free(&f.a);
}

/* A title or a name of blanks only is no title or name: ASCII spaces
 * and tabs, and the Unicode spaces a paste brings (no-break, ideographic,
 * zero-width). Blanks inside a title are fine. */
static void
blank_title_and_name_refused(void **state)
{
	const char *blanks[] = { " ", "   ", "\t", "\xc2\xa0", "\xe3\x80\x80",
	    " \xe2\x80\x8b ", "\xef\xbb\xbf" };
	fx_t f;

	(void)state;
	fx_init(&f);
	for (size_t i = 0; i < sizeof(blanks) / sizeof(blanks[0]); i++) {
		if (strchr(blanks[i], '\t') == NULL) {
			f.c.title = (char *)blanks[i];
			refused(&f, "title");
			assert_non_null(strstr(f.err, "is only blanks"));
		}
		f.c.title = "Ёлкины";
		f.p[0].name = (char *)blanks[i];
		refused(&f, "people[0].name");
		f.p[0].name = "Ирина Ёлкина";
	}
	f.c.title = "ООО \xc2\xa0Ромашка";
	assert_int_equal(build(&f, "7"), 0);
	kt_arena_free(&f.a);
}

/* CRLF (and a lone CR) in multi-line text is a line break, stored as LF;
 * on one line (the title) a CR stays refused. */
static void
crlf_is_a_line_break(void **state)
{
	fx_t f;

	(void)state;
	fx_init(&f);
	f.c.notes = "первая\r\nвторая\rтретья";
	f.p[0].note = "a\r\nb";
	f.c.leaving_reason = "x\r\ny";
	f.c.address = "Москва\r\nул. Ленина, 1";
	assert_int_equal(build(&f, "7"), 0);
	assert_string_equal(f.r.notes, "первая\nвторая\nтретья");
	assert_string_equal(f.r.people[0]->note, "a\nb");
	assert_string_equal(f.r.leaving_reason, "x\ny");
	assert_string_equal(f.r.address, "Москва\nул. Ленина, 1");
	f.c.title = "Ёлкины\r\n";
	refused(&f, "title");
	kt_arena_free(&f.a);
}

/* A person built alone (person add/edit) checks only the fields named,
 * and merges only those. */
static void
person_fields_named_only(void **state)
{
	Ktstore__PersonRecord in, out, old;
	fx_t f;

	(void)state;
	fx_init(&f);
	f.p[0].name = "";                      /* not named: not checked */
	f.p[0].note = "новое";
	assert_int_equal(kt_card_person_build(&f.p[0], KT_PERSON_NOTE,
	    "person", NOW, "7", &f.a, &in, f.err, sizeof(f.err)), 0);
	ktstore__person_record__init(&old);
	old.name = "Ирина";
	old.note = "старое";
	kt_card_person_merge(&old, &in, KT_PERSON_NOTE, &out);
	assert_string_equal(out.name, "Ирина");
	assert_string_equal(out.note, "новое");
	assert_int_equal(kt_card_person_build(&f.p[0], KT_PERSON_NAME,
	    "person", NOW, "7", &f.a, &in, f.err, sizeof(f.err)), KT_EINVAL);
	assert_string_equal(f.err, "person.name: is empty");
	assert_int_equal(kt_card_person_field_bit("birth"), KT_PERSON_BIRTH);
	assert_int_equal(kt_card_person_field_bit("age"), 0);
	kt_arena_free(&f.a);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(lost_contacts_seen),
	cmocka_unit_test(future_birth_refused),
	cmocka_unit_test(blank_title_and_name_refused),
	cmocka_unit_test(crlf_is_a_line_break),
	cmocka_unit_test(person_fields_named_only),
	cmocka_unit_test(good_card_normalised),
	cmocka_unit_test(bad_fields_named),
	cmocka_unit_test(merge_named_only),
	cmocka_unit_test(hostile_bytes),
};

KT_TEST_MAIN(tests)
