/* SPDX-License-Identifier: MIT */
/* A client card as it comes in: validation of a kartoteka.Client into a
 * ktstore.ClientRecord with errors naming the field path, the merge of an
 * edit, and packing within the answer size (client_card.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "model/branch_store.h"
#include "model/client_card.h"
#include "model/user_store.h"
#include "model/client_store.h"
#include "kt_error.h"
#include "normalize.h"

/* Limits (characters, or counts). */
#define TITLE_MAX 200u
#define NAME_MAX_CH 200u
#define NOTES_MAX 8000u
#define PERSON_NOTE_MAX 2000u
#define SOURCE_MAX 200u
#define CONTRACT_MAX 64u
#define LEAVING_MAX 1000u
#define ADDRESS_MAX 500u
#define TAG_MAX 64u
#define TAGS_MAX 32u
#define PEOPLE_MAX KT_CARD_PEOPLE_MAX
#define PHONES_MAX 8u
/* DESIGN §4: a card carries a handful of contacts, so that one request
 * cannot check many guessed numbers against the base. */
#define CARD_PHONES_MAX 8u
#define CARD_EMAILS_MAX 8u
#define CUSTOM_MAX 32u
#define CUSTOM_NAME_MAX 64u
#define CUSTOM_VALUE_MAX 1000u

static const struct {
	const char *name;
	unsigned bit;
} field_names[] = {
	{ "title", KT_CARD_TITLE }, { "status", KT_CARD_STATUS },
	{ "category", KT_CARD_CATEGORY }, { "people", KT_CARD_PEOPLE },
	{ "source", KT_CARD_SOURCE }, { "referred_by", KT_CARD_REFERRED },
	{ "tags", KT_CARD_TAGS }, { "notes", KT_CARD_NOTES },
	{ "do_not_contact", KT_CARD_DNC }, { "consent_date", KT_CARD_CONSENT },
	{ "contract", KT_CARD_CONTRACT },
	{ "discount_percent", KT_CARD_DISCOUNT },
	{ "leaving_reason", KT_CARD_LEAVING }, { "custom", KT_CARD_CUSTOM },
	{ "address", KT_CARD_ADDRESS },
};

static const struct {
	const char *name;
	unsigned bit;
} person_field_names[] = {
	{ "name", KT_PERSON_NAME }, { "relation", KT_PERSON_RELATION },
	{ "birth", KT_PERSON_BIRTH }, { "phones", KT_PERSON_PHONES },
	{ "email", KT_PERSON_EMAIL }, { "note", KT_PERSON_NOTE },
};

unsigned
kt_card_person_field_bit(const char *name)
{
	for (size_t i = 0; i < sizeof person_field_names /
	    sizeof *person_field_names; i++)
		if (name != NULL && strcmp(name, person_field_names[i].name) ==
		    0)
			return person_field_names[i].bit;
	return 0;
}

unsigned
kt_card_field_bit(const char *name)
{
	for (size_t i = 0; i < sizeof field_names / sizeof *field_names; i++)
		if (name != NULL && strcmp(name, field_names[i].name) == 0)
			return field_names[i].bit;
	return 0;
}

void
kt_card_fields_digest(unsigned bits, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof field_names / sizeof *field_names; i++)
		if (bits & field_names[i].bit)
			n += (size_t)snprintf(out + n, n < cap ? cap - n : 0,
			    "%s%s", n ? "," : "", field_names[i].name);
}

/* ==== validation ========================================================== */

/* Characters (code points) in valid UTF-8 s. */
static size_t
u8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* 1 when s holds nothing but blanks: spaces, tabs, line breaks and the
 * Unicode spaces a paste brings along (no-break, en to hair, zero-width,
 * narrow no-break, medium mathematical, word joiner, ideographic, BOM).
 * s is NUL-terminated, so reading a byte after a non-NUL one is safe. */
static int
blank_only(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		if (*u == ' ' || *u == '\t' || *u == '\n')
			u++;
		else if (u[0] == 0xC2 && u[1] == 0xA0)
			u += 2;
		else if (u[0] == 0xE2 && u[1] == 0x80 &&
		    ((u[2] >= 0x80 && u[2] <= 0x8B) || u[2] == 0xAF))
			u += 3;
		else if (u[0] == 0xE2 && u[1] == 0x81 &&
		    (u[2] == 0x9F || u[2] == 0xA0))
			u += 3;
		else if ((u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80) ||
		    (u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF))
			u += 3;
		else
			return 0;
	}
	return 1;
}

/* Checks text field path: valid UTF-8 (line breaks only when nl),
 * min..max characters, and when min > 0 not blanks only. With nl, CRLF
 * and a lone CR are line breaks: *out is then a copy in arena a with LF
 * for each; otherwise *out is s itself ("" for NULL).
 * Returns 0, KT_EINVAL with err filled, or KT_ENOMEM. */
static int
check_text(const char *path, const char *s, size_t min, size_t max, int nl,
    kt_arena_t *a, const char **out, char *err, size_t cap)
{
	size_t n;

	if (s == NULL)
		s = "";
	if (nl && strchr(s, '\r') != NULL) {
		size_t len = strlen(s), j = 0;
		char *t = kt_arena_alloc(a, len + 1);
		if (t == NULL)
			return KT_ENOMEM;
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '\r' && s[i + 1] == '\n')
				continue;
			t[j++] = s[i] == '\r' ? '\n' : s[i];
		}
		t[j] = '\0';
		s = t;
	}
	if (!kt_utf8_valid(s, nl)) {
		snprintf(err, cap, nl ? KT_MSG("%s: not valid UTF-8 text") :
		    KT_MSG("%s: not valid UTF-8 text on one line"), path);
		return KT_EINVAL;
	}
	n = u8_chars(s);
	if (n < min) {
		snprintf(err, cap, KT_MSG("%s: is empty"), path);
		return KT_EINVAL;
	}
	if (min > 0 && blank_only(s)) {
		snprintf(err, cap, KT_MSG("%s: is only blanks"), path);
		return KT_EINVAL;
	}
	if (n > max) {
		snprintf(err, cap, KT_MSG("%s: %zu characters, at most %zu"), path, n,
		    max);
		return KT_EINVAL;
	}
	*out = s;
	return 0;
}

static int
leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
days_in(unsigned y, unsigned m)
{
	static const unsigned d[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };

	if (m == 2 && y != 0 && !leap(y))
		return 28;
	return d[m - 1];
}

/* Today's date where it is latest (UTC+14, the easternmost zone): a
 * child born today anywhere is not "after today", whatever the server's
 * zone. */
static void
today_east(int64_t now, unsigned *y, unsigned *m, unsigned *d)
{
	time_t t = (time_t)(now + 14 * 3600);
	struct tm tm;

	gmtime_r(&t, &tm);
	*y = (unsigned)tm.tm_year + 1900;
	*m = (unsigned)tm.tm_mon + 1;
	*d = (unsigned)tm.tm_mday;
}

#define NOMEM(p) do { if ((p) == NULL) { rc = KT_ENOMEM; goto out; } } \
	while (0)

/* Checks the fields of person in named by bits (KT_PERSON_*) into p;
 * path names the person in errors. */
static int
build_person(const Kartoteka__Person *in, unsigned bits, const char *path,
    int64_t now, const char *cc, kt_arena_t *a, Ktstore__PersonRecord *p,
    char *err, size_t cap)
{
	char ppath[80];
	unsigned y = in->birth_year, m = in->birth_month, d = in->birth_day;
	unsigned ty, tm, td;
	const char *t = NULL;
	int rc;

	ktstore__person_record__init(p);
	p->email = "";
	p->note = "";
	p->name = "";
	if (bits & KT_PERSON_NAME) {
		snprintf(ppath, sizeof(ppath), "%s.name", path);
		if ((rc = check_text(ppath, in->name, 1, NAME_MAX_CH, 0, a, &t,
		    err, cap)) != 0)
			return rc;
		p->name = (char *)t;
	}
	if (bits & KT_PERSON_RELATION) {
		if ((unsigned)in->relation > KARTOTEKA__RELATION__OTHER) {
			snprintf(err, cap, KT_MSG("%s.relation: unknown relation %d"),
			    path, (int)in->relation);
			return KT_EINVAL;
		}
		p->relation = (uint32_t)in->relation;
	}
	if (bits & KT_PERSON_BIRTH) {
		today_east(now, &ty, &tm, &td);
		if (y != 0 && (y < 1900 || y > ty)) {
			snprintf(err, cap, KT_MSG("%s.birth_year: %u is not a year "
			    "from 1900 to now"), path, y);
			return KT_EINVAL;
		}
		if (m > 12 || (m == 0 && d != 0)) {
			snprintf(err, cap, KT_MSG("%s.birth_month: %u is not a month "
			    "1 to 12"), path, m);
			return KT_EINVAL;
		}
		if (m != 0 && (d < 1 || d > days_in(y, m))) {
			snprintf(err, cap, y ? KT_MSG("%s.birth_day: %u is not a "
			    "day of month %u that year") : KT_MSG("%s.birth_day: "
			    "%u is not a day of month %u"), path, d, m);
			return KT_EINVAL;
		}
		if (y == ty && m != 0 && (m > tm || (m == tm && d > td))) {
			snprintf(err, cap, KT_MSG("%s.birth_day: %02u.%02u.%04u is "
			    "after today"), path, d, m, y);
			return KT_EINVAL;
		}
		p->birth_year = y;
		p->birth_month = m;
		p->birth_day = d;
	}
	if (bits & KT_PERSON_PHONES) {
		if (in->n_phones > PHONES_MAX) {
			snprintf(err, cap, KT_MSG("%s.phones: %zu phones, at most %u"),
			    path, in->n_phones, PHONES_MAX);
			return KT_EINVAL;
		}
		p->phones = kt_arena_alloc(a, (in->n_phones + 1) *
		    sizeof(char *));
		if (p->phones == NULL)
			return KT_ENOMEM;
		for (size_t i = 0; i < in->n_phones; i++) {
			char e164[KT_PHONE_MAX];
			kt_why_t why = { KT_MSG("not a phone number") };
			int dup = 0;
			if (!kt_utf8_valid(in->phones[i], 0) ||
			    strlen(in->phones[i]) > 64 ||
			    kt_phone_normalize(in->phones[i], cc, e164,
			    &why) != 0) {
				snprintf(err, cap, KT_MSG("%s.phones[%zu]: %s"), path,
				    i, why.text);
				return KT_EINVAL;
			}
			for (size_t j = 0; j < p->n_phones; j++)
				dup |= strcmp(p->phones[j], e164) == 0;
			if (dup)
				continue;
			if ((p->phones[p->n_phones] = kt_arena_strdup(a,
			    e164)) == NULL)
				return KT_ENOMEM;
			p->n_phones++;
		}
	}
	if ((bits & KT_PERSON_EMAIL) && in->email && in->email[0]) {
		char em[KT_EMAIL_MAX];
		kt_why_t why = { KT_MSG("not an e-mail address") };
		if (!kt_utf8_valid(in->email, 0) ||
		    kt_email_normalize(in->email, em, &why) != 0) {
			snprintf(err, cap, KT_MSG("%s.email: %s"), path, why.text);
			return KT_EINVAL;
		}
		if ((p->email = kt_arena_strdup(a, em)) == NULL)
			return KT_ENOMEM;
	}
	if (bits & KT_PERSON_NOTE) {
		snprintf(ppath, sizeof(ppath), "%s.note", path);
		if ((rc = check_text(ppath, in->note, 0, PERSON_NOTE_MAX, 1, a,
		    &t, err, cap)) != 0)
			return rc;
		p->note = (char *)t;
	}
	return 0;
}

int
kt_card_person_build(const Kartoteka__Person *in, unsigned bits,
    const char *path, int64_t now, const char *cc, kt_arena_t *a,
    Ktstore__PersonRecord *p, char *err, size_t cap)
{
	int rc = build_person(in, bits, path, now, cc, a, p, err, cap);

	if (rc == KT_ENOMEM)
		snprintf(err, cap, KT_MSG("out of memory"));
	return rc;
}

void
kt_card_person_merge(const Ktstore__PersonRecord *old,
    const Ktstore__PersonRecord *in, unsigned b, Ktstore__PersonRecord *out)
{
	*out = *old;
	if (b & KT_PERSON_NAME) out->name = in->name;
	if (b & KT_PERSON_RELATION) out->relation = in->relation;
	if (b & KT_PERSON_BIRTH) {
		out->birth_year = in->birth_year;
		out->birth_month = in->birth_month;
		out->birth_day = in->birth_day;
	}
	if (b & KT_PERSON_PHONES) {
		out->n_phones = in->n_phones;
		out->phones = in->phones;
	}
	if (b & KT_PERSON_EMAIL) out->email = in->email;
	if (b & KT_PERSON_NOTE) out->note = in->note;
}

/* build_record validates the fields of in named by bits and fills them
 * into r (which the caller initialised), in arena memory or pointing
 * into in (so in must outlive r until it is packed).
 * Returns 0, KT_EINVAL (err names the field), KT_ENOMEM. */
/* At most CARD_PHONES_MAX phones and CARD_EMAILS_MAX e-mails on card r
 * in all; err names the first one past the limit. */
int
kt_card_contacts_fit(const Ktstore__ClientRecord *r, char *err, size_t cap)
{
	size_t phones = 0, emails = 0;

	for (size_t i = 0; i < r->n_people; i++) {
		const Ktstore__PersonRecord *p = r->people[i];
		for (size_t j = 0; j < p->n_phones; j++)
			if (++phones > CARD_PHONES_MAX) {
				snprintf(err, cap, KT_MSG("people[%zu].phones[%zu]: a "
				    "card holds at most %u phones in all"), i, j,
				    CARD_PHONES_MAX);
				return KT_EINVAL;
			}
		if (p->email && p->email[0] && ++emails > CARD_EMAILS_MAX) {
			snprintf(err, cap, KT_MSG("people[%zu].email: a card holds at "
			    "most %u e-mails in all"), i, CARD_EMAILS_MAX);
			return KT_EINVAL;
		}
	}
	return 0;
}

int
kt_card_build(const Kartoteka__Client *in, unsigned bits, int64_t now,
    const char *cc, kt_arena_t *a, Ktstore__ClientRecord *r, char *err,
    size_t cap)
{
	const char *t = NULL;
	int rc = 0;

	if (bits & KT_CARD_TITLE) {
		if ((rc = check_text("title", in->title, 1, TITLE_MAX, 0, a, &t,
		    err, cap)) != 0)
			goto out;
		r->title = (char *)t;
	}
	if (bits & KT_CARD_STATUS) {
		if ((unsigned)in->status > KARTOTEKA__CLIENT_STATUS__FORMER) {
			snprintf(err, cap, KT_MSG("status: unknown status %d"),
			    (int)in->status);
			rc = KT_EINVAL;
			goto out;
		}
		r->status = in->status ? (uint32_t)in->status :
		    KARTOTEKA__CLIENT_STATUS__LEAD;
	}
	if (bits & KT_CARD_CATEGORY) {
		if ((unsigned)in->category > KARTOTEKA__CATEGORY__CATEGORY_C) {
			snprintf(err, cap, KT_MSG("category: unknown category %d"),
			    (int)in->category);
			rc = KT_EINVAL;
			goto out;
		}
		r->category = (uint32_t)in->category;
	}
	if (bits & KT_CARD_PEOPLE) {
		if (in->n_people > PEOPLE_MAX) {
			snprintf(err, cap, KT_MSG("people: %zu people, at most %u"),
			    in->n_people, PEOPLE_MAX);
			rc = KT_EINVAL;
			goto out;
		}
		r->people = kt_arena_alloc(a, (in->n_people + 1) *
		    sizeof(*r->people));
		NOMEM(r->people);
		for (size_t i = 0; i < in->n_people; i++) {
			r->people[i] = kt_arena_alloc(a, sizeof(**r->people));
			NOMEM(r->people[i]);
			char path[32];
			snprintf(path, sizeof(path), "people[%zu]", i);
			if ((rc = build_person(in->people[i], KT_PERSON_ALL,
			    path, now, cc, a, r->people[i], err, cap)) != 0)
				goto out;
		}
		r->n_people = in->n_people;
		if ((rc = kt_card_contacts_fit(r, err, cap)) != 0)
			goto out;
	}
	if ((bits & KT_CARD_SOURCE) && (rc = check_text("source", in->source, 0,
	    SOURCE_MAX, 0, a, &t, err, cap)) != 0)
		goto out;
	if (bits & KT_CARD_SOURCE)
		r->source = (char *)t;
	if (bits & KT_CARD_REFERRED)
		r->referred_by = in->referred_by;
	if (bits & KT_CARD_TAGS) {
		if (in->n_tags > TAGS_MAX) {
			snprintf(err, cap, KT_MSG("tags: %zu tags, at most %u"),
			    in->n_tags, TAGS_MAX);
			rc = KT_EINVAL;
			goto out;
		}
		r->tags = kt_arena_alloc(a, (in->n_tags + 1) * sizeof(char *));
		NOMEM(r->tags);
		for (size_t i = 0; i < in->n_tags; i++) {
			char path[32], fi[KT_CSTORE_WORD_MAX + 1];
			char fj[KT_CSTORE_WORD_MAX + 1];
			int dup = 0;
			snprintf(path, sizeof(path), "tags[%zu]", i);
			if ((rc = check_text(path, in->tags[i], 1, TAG_MAX, 0,
			    a, &t, err, cap)) != 0)
				goto out;
			kt_cstore_fold_key(in->tags[i], fi);
			for (size_t j = 0; j < r->n_tags && !dup; j++) {
				kt_cstore_fold_key(r->tags[j], fj);
				dup = strcmp(fi, fj) == 0;
			}
			if (!dup)
				r->tags[r->n_tags++] = in->tags[i];
		}
	}
	if ((bits & KT_CARD_NOTES) && (rc = check_text("notes", in->notes, 0,
	    NOTES_MAX, 1, a, &t, err, cap)) != 0)
		goto out;
	if (bits & KT_CARD_NOTES)
		r->notes = (char *)t;
	if (bits & KT_CARD_DNC)
		r->do_not_contact = in->do_not_contact;
	if (bits & KT_CARD_CONSENT) {
		r->consent_date = "";
		if (in->consent_date && in->consent_date[0]) {
			kt_date_t d;
			kt_why_t why = { KT_MSG("not a date") };
			char buf[11];
			int bad = !kt_utf8_valid(in->consent_date, 0) ||
			    kt_date_parse(in->consent_date, &d, &why) != 0;
			if (!bad && d.year == 0) {
				snprintf(why.text, sizeof(why.text), "the year "
				    "is missing");
				bad = 1;
			}
			if (bad) {
				snprintf(err, cap, KT_MSG("consent_date: %s (expected "
				    "YYYY-MM-DD)"), why.text);
				rc = KT_EINVAL;
				goto out;
			}
			kt_date_format(&d, buf);
			NOMEM(r->consent_date = kt_arena_strdup(a, buf));
		}
	}
	if ((bits & KT_CARD_CONTRACT) && (rc = check_text("contract", in->contract,
	    0, CONTRACT_MAX, 0, a, &t, err, cap)) != 0)
		goto out;
	if (bits & KT_CARD_CONTRACT)
		r->contract = (char *)t;
	if (bits & KT_CARD_DISCOUNT) {
		if (in->discount_percent > 100) {
			snprintf(err, cap, KT_MSG("discount_percent: %u is not 0 to 100"),
			    in->discount_percent);
			rc = KT_EINVAL;
			goto out;
		}
		r->discount_percent = in->discount_percent;
	}
	if ((bits & KT_CARD_LEAVING) && (rc = check_text("leaving_reason",
	    in->leaving_reason, 0, LEAVING_MAX, 1, a, &t, err, cap)) != 0)
		goto out;
	if (bits & KT_CARD_LEAVING)
		r->leaving_reason = (char *)t;
	if ((bits & KT_CARD_ADDRESS) && (rc = check_text("address",
	    in->address, 0, ADDRESS_MAX, 1, a, &t, err, cap)) != 0)
		goto out;
	if (bits & KT_CARD_ADDRESS)
		r->address = (char *)t;
	if (bits & KT_CARD_CUSTOM) {
		if (in->n_custom > CUSTOM_MAX) {
			snprintf(err, cap, KT_MSG("custom: %zu fields, at most %u"),
			    in->n_custom, CUSTOM_MAX);
			rc = KT_EINVAL;
			goto out;
		}
		r->custom = kt_arena_alloc(a, (in->n_custom + 1) *
		    sizeof(*r->custom));
		NOMEM(r->custom);
		for (size_t i = 0; i < in->n_custom; i++) {
			char path[40];
			Ktstore__CustomFieldRecord *f = kt_arena_alloc(a,
			    sizeof(*f));
			NOMEM(f);
			ktstore__custom_field_record__init(f);
			snprintf(path, sizeof(path), "custom[%zu].name", i);
			if ((rc = check_text(path, in->custom[i]->name, 1,
			    CUSTOM_NAME_MAX, 0, a, &t, err, cap)) != 0)
				goto out;
			f->name = (char *)t;
			snprintf(path, sizeof(path), "custom[%zu].value", i);
			if ((rc = check_text(path, in->custom[i]->value, 0,
			    CUSTOM_VALUE_MAX, 1, a, &t, err, cap)) != 0)
				goto out;
			f->value = (char *)t;
			r->custom[r->n_custom++] = f;
		}
	}
out:
	if (rc == KT_ENOMEM)
		snprintf(err, cap, KT_MSG("out of memory"));
	return rc;
}

int
kt_card_pack(const Ktstore__ClientRecord *r, uint8_t **out, size_t *len,
    char *err, size_t cap)
{
	size_t n = ktstore__client_record__get_packed_size(r);

	if (n > KT_CARD_MAX_BYTES) {
		snprintf(err, cap, KT_MSG("client: the card is too large (%zu bytes, "
		    "at most %u): shorten notes or remove people"), n,
		    KT_CARD_MAX_BYTES);
		return KT_EINVAL;
	}
	*out = malloc(n ? n : 1);
	if (*out == NULL) {
		snprintf(err, cap, KT_MSG("out of memory"));
		return KT_ENOMEM;
	}
	ktstore__client_record__pack(r, *out);
	*len = n;
	return 0;
}

void
kt_card_merge(const Ktstore__ClientRecord *old,
    const Ktstore__ClientRecord *in, unsigned b, Ktstore__ClientRecord *r)
{
	*r = *old;
	if (b & KT_CARD_TITLE) r->title = in->title;
	if (b & KT_CARD_STATUS) r->status = in->status;
	if (b & KT_CARD_CATEGORY) r->category = in->category;
	if (b & KT_CARD_PEOPLE) {
		r->n_people = in->n_people;
		r->people = in->people;
	}
	if (b & KT_CARD_SOURCE) r->source = in->source;
	if (b & KT_CARD_REFERRED) r->referred_by = in->referred_by;
	if (b & KT_CARD_TAGS) {
		r->n_tags = in->n_tags;
		r->tags = in->tags;
	}
	if (b & KT_CARD_NOTES) r->notes = in->notes;
	if (b & KT_CARD_DNC) r->do_not_contact = in->do_not_contact;
	if (b & KT_CARD_CONSENT) r->consent_date = in->consent_date;
	if (b & KT_CARD_CONTRACT) r->contract = in->contract;
	if (b & KT_CARD_DISCOUNT) r->discount_percent = in->discount_percent;
	if (b & KT_CARD_LEAVING) r->leaving_reason = in->leaving_reason;
	if (b & KT_CARD_ADDRESS) r->address = in->address;
	if (b & KT_CARD_CUSTOM) {
		r->n_custom = in->n_custom;
		r->custom = in->custom;
	}
}

/* ==== the card in answers ================================================= */

#define NOMEM(p) do { if ((p) == NULL) { rc = KT_ENOMEM; goto out; } } \
	while (0)

int
kt_card_wire(MDB_txn *txn, const kt_store_dbs_t *db, kt_arena_t *a,
    const Ktstore__ClientRecord *rec, int masked, Kartoteka__Client *out)
{
	Kartoteka__Client cl = KARTOTEKA__CLIENT__INIT;
	char bname[KT_NAME_MAX + 1], mlogin[KT_LOGIN_MAX + 1], buf[300];
	int rc = 0;
	kt_branch_name(txn, db, rec->branch, bname, sizeof(bname));
	kt_user_login(txn, db, rec->manager, mlogin, sizeof(mlogin));
	cl.id = rec->id;
	cl.branch_id = rec->branch;
	cl.branch = bname;
	cl.manager_id = rec->manager;
	cl.manager = mlogin;
	cl.status = (Kartoteka__ClientStatus)rec->status;
	cl.category = (Kartoteka__Category)rec->category;
	cl.title = rec->title;
	cl.source = rec->source;
	cl.referred_by = rec->referred_by;
	cl.n_tags = rec->n_tags;
	cl.tags = rec->tags;
	cl.notes = rec->notes;
	cl.do_not_contact = rec->do_not_contact;
	cl.consent_date = rec->consent_date;
	cl.contract = rec->contract;
	cl.discount_percent = rec->discount_percent;
	cl.leaving_reason = rec->leaving_reason;
	/* The address is a contact: a masked copy says only that there is
	 * one. */
	cl.address = rec->address;
	if (masked && rec->address && rec->address[0])
		cl.address = "***";
	cl.created_at = rec->created_at;
	cl.updated_at = rec->updated_at;
	cl.version = rec->version;
	cl.archived = rec->archived;
	cl.merged_into = rec->merged_into;
	cl.masked = masked;
	cl.people = kt_arena_alloc(a, (rec->n_people + 1) * sizeof(*cl.people));
	cl.custom = kt_arena_alloc(a, (rec->n_custom + 1) * sizeof(*cl.custom));
	NOMEM(cl.people);
	NOMEM(cl.custom);
	for (size_t i = 0; i < rec->n_people; i++) {
		const Ktstore__PersonRecord *p = rec->people[i];
		Kartoteka__Person *q = kt_arena_alloc(a, sizeof(*q));
		NOMEM(q);
		kartoteka__person__init(q);
		q->name = p->name;
		q->relation = (Kartoteka__Relation)p->relation;
		q->birth_year = p->birth_year;
		q->birth_month = p->birth_month;
		q->birth_day = p->birth_day;
		q->note = p->note;
		q->n_phones = p->n_phones;
		q->phones = p->phones;
		q->email = p->email;
		if (masked) {
			q->phones = kt_arena_alloc(a, (p->n_phones + 1) *
			    sizeof(char *));
			NOMEM(q->phones);
			for (size_t j = 0; j < p->n_phones; j++) {
				kt_mask_phone(p->phones[j], buf, sizeof(buf));
				NOMEM(q->phones[j] = kt_arena_strdup(a, buf));
			}
			if (p->email && p->email[0]) {
				kt_mask_email(p->email, buf, sizeof(buf));
				NOMEM(q->email = kt_arena_strdup(a, buf));
			}
		}
		cl.people[cl.n_people++] = q;
	}
	for (size_t i = 0; i < rec->n_custom; i++) {
		Kartoteka__CustomField *f = kt_arena_alloc(a, sizeof(*f));
		NOMEM(f);
		kartoteka__custom_field__init(f);
		f->name = rec->custom[i]->name;
		f->value = rec->custom[i]->value;
		cl.custom[cl.n_custom++] = f;
	}
	/* The names live in this frame: copy them into the arena. */
	NOMEM(cl.branch = kt_arena_strdup(a, bname));
	NOMEM(cl.manager = kt_arena_strdup(a, mlogin));
	*out = cl;
out:
	return rc;
}

#undef NOMEM

int
kt_card_has_contact(const Ktstore__ClientRecord *rec, const char *what,
    int is_phone)
{
	char a[KT_CSTORE_WORD_MAX + 1], b[KT_CSTORE_WORD_MAX + 1];

	if (rec == NULL)
		return 0;
	if (!is_phone)
		kt_cstore_fold_key(what, a);
	for (size_t i = 0; i < rec->n_people; i++) {
		const Ktstore__PersonRecord *p = rec->people[i];
		if (!is_phone && p->email && p->email[0] &&
		    kt_cstore_fold_key(p->email, b) > 0 && strcmp(a, b) == 0)
			return 1;
		for (size_t j = 0; is_phone && j < p->n_phones; j++)
			if (strcmp(p->phones[j], what) == 0)
				return 1;
	}
	return 0;
}

int
kt_card_loses_contacts(const Ktstore__ClientRecord *old,
    const Ktstore__ClientRecord *rec)
{
	if (rec->n_people < old->n_people)
		return 1;
	for (size_t i = 0; i < old->n_people; i++) {
		const Ktstore__PersonRecord *p = old->people[i];
		for (size_t j = 0; j < p->n_phones; j++)
			if (!kt_card_has_contact(rec, p->phones[j], 1))
				return 1;
		if (p->email && p->email[0] &&
		    !kt_card_has_contact(rec, p->email, 0))
			return 1;
	}
	return 0;
}
