/* SPDX-License-Identifier: MIT */
/* Normalisation of typed contacts (phones, e-mail, dates), search folding
 * and word splitting of UTF-8 text with libunistring, and list masks. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>
#include <uniwidth.h>

#include "kt_error.h"
#include "i18n.h"
#include "normalize.h"
#include "phone.h"

#define SHOWN_MAX 40u    /* bytes of the input quoted in a why sentence */
#define SHOWN_CAP (SHOWN_MAX + 4u)
#define PHONE_DIGITS_CAP 24u  /* more digits than this: "too long" */
#define EMAIL_LOCAL_MAX 64u
#define EMAIL_LABEL_MAX 63u

/* ---------------------------------------------------------------------
 * Error sentences
 * ------------------------------------------------------------------- */

static int fail(kt_why_t *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(kt_why_t *why, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL)
		return KT_EINVAL;
	/* In the clients' language (gettext); the running server has the C
	 * locale, so its reasons stay English and server/catalog.c puts them
	 * into each client's language. */
	va_start(ap, fmt);
	vsnprintf(why->text, sizeof(why->text), _(fmt), ap);
	va_end(ap);
	return KT_EINVAL;
}

static bool
is_control(ucs4_t uc)
{
	return uc < 0x20 || (uc >= 0x7f && uc <= 0x9f);
}

/* Copies at most SHOWN_MAX bytes of hostile input v into dst for quoting:
 * whole code points only, control characters and invalid bytes as '?',
 * "..." when cut. */
static void
show(char dst[static SHOWN_CAP], const char *v)
{
	const uint8_t *s = (const uint8_t *)v;
	size_t n = strlen(v), i = 0, o = 0;

	while (i < n) {
		ucs4_t uc;
		int l = u8_mbtoucr(&uc, s + i, n - i);

		if (l < 0 || is_control(uc)) {
			if (o + 1 > SHOWN_MAX)
				break;
			dst[o++] = '?';
			i += l < 0 ? 1u : (size_t)l;
			continue;
		}
		if (o + (size_t)l > SHOWN_MAX)
			break;
		memcpy(dst + o, s + i, (size_t)l);
		o += (size_t)l;
		i += (size_t)l;
	}
	if (i < n) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

/* ---------------------------------------------------------------------
 * Phones
 * ------------------------------------------------------------------- */

/* Separators people paste from documents besides ASCII space . - ( ). */
static bool
is_phone_separator(ucs4_t uc)
{
	return uc == ' ' || uc == '-' || uc == '.' || uc == '(' ||
	    uc == ')' || uc == 0x00a0 || uc == 0x2009 || uc == 0x202f ||
	    (uc >= 0x2010 && uc <= 0x2015) || uc == 0x2212;
}

static bool
cc_valid(const char *cc)
{
	size_t n = strlen(cc);

	if (n < 1 || n > 3 || cc[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++)
		if (cc[i] < '0' || cc[i] > '9')
			return false;
	return true;
}

/* Writes "+" cc digits into out after the length checks of E.164. */
static int
phone_emit(char out[static KT_PHONE_MAX], const char *cc, const char *d,
    size_t nd, const char *shown, kt_why_t *why)
{
	size_t ncc = strlen(cc);

	if (ncc + nd < 8)
		return fail(why, "phone '%s' is too short", shown);
	if (ncc + nd > 15)
		return fail(why, "phone '%s' is too long", shown);
	out[0] = '+';
	memcpy(out + 1, cc, ncc);
	memcpy(out + 1 + ncc, d, nd);
	out[1 + ncc + nd] = '\0';
	return 0;
}

/* Digits after "+" (or after "00"): the country code is part of them. */
static int
phone_international(char out[static KT_PHONE_MAX], const char *d, size_t nd,
    const char *shown, kt_why_t *why)
{
	if (nd == 0)
		return fail(why, "phone '%s' has no digits after '+'", shown);
	if (d[0] == '0')
		return fail(why, "phone '%s' has no country code (a country "
		    "code does not start with 0)", shown);
	if (d[0] == '7' && nd < 11)
		return fail(why, "phone '%s' is too short", shown);
	if (d[0] == '7' && nd > 11)
		return fail(why, "phone '%s' is too long", shown);
	return phone_emit(out, "", d, nd, shown, why);
}

/* The country a refused number was taken for, in messages: +7 is shared
 * by Russia and Kazakhstan. */
static const char *
plan_country(const char *region, char *buf, size_t cap)
{
	if (strcmp(region, "RU") == 0 || strcmp(region, "KZ") == 0)
		return "Russia or Kazakhstan (+7)";
	if (region[0] == '\0')
		return "any country";
	snprintf(buf, cap, "%s", kt_phone_plan_region_name(region));
	return buf;
}

/* The numbering plan's word on candidate e164 (docs/NORMALIZE.md): 0, or
 * KT_EINVAL with why saying what is wrong with the number as typed. */
static int
phone_plan(kt_phone_verdict_t v, const char *region, const char *e164,
    const char *shown, kt_why_t *why)
{
	char name[64];

	switch (v) {
	case KT_PHONE_VALID:
		return 0;
	case KT_PHONE_TOO_SHORT:
		return fail(why, "phone '%s' is too short for a number of %s "
		    "(a digit missing?)", shown, plan_country(region, name,
		    sizeof(name)));
	case KT_PHONE_TOO_LONG:
		return fail(why, "phone '%s' is too long for a number of %s",
		    shown, plan_country(region, name, sizeof(name)));
	case KT_PHONE_BAD_CC:
		return fail(why, "phone '%s' has a country code no country "
		    "has (%.4s...)", shown, e164);
	default:
		return fail(why, "phone '%s' is not a valid number of %s (no "
		    "such area or operator code)", shown, plan_country(region,
		    name, sizeof(name)));
	}
}

/* Reads a phone into E.164 by the rules in normalize.h, before the
 * numbering plan is asked. Writes out only on success, so out may be the
 * buffer in is in. *done is set when out was already checked against the
 * plan (a national number of a country other than +7). */
static int
phone_read(const char *in, const char *default_cc,
    char out[static KT_PHONE_MAX], kt_why_t *why, bool *done)
{
	char shown[SHOWN_CAP];
	char d[PHONE_DIGITS_CAP];
	const uint8_t *s;
	size_t n, i = 0, nd = 0;
	bool plus = false, toolong = false;

	if (in == NULL || in[0] == '\0')
		return fail(why, "phone is empty");
	show(shown, in);
	s = (const uint8_t *)in;
	n = strlen(in);
	while (i < n) {
		ucs4_t uc;
		int l = u8_mbtoucr(&uc, s + i, n - i);

		if (l < 0)
			return fail(why, "phone '%s' is not valid UTF-8", shown);
		if (uc >= '0' && uc <= '9') {
			if (nd < sizeof(d))
				d[nd++] = (char)uc;
			else
				toolong = true;
		} else if (uc == '+' && !plus && nd == 0) {
			plus = true;
		} else if (is_control(uc)) {
			return fail(why, "phone '%s' contains a control "
			    "character", shown);
		} else if (!is_phone_separator(uc)) {
			char bad[5];

			memcpy(bad, s + i, (size_t)l);
			bad[l] = '\0';
			return fail(why, "phone '%s' contains '%s'", shown, bad);
		}
		i += (size_t)l;
	}
	if (nd == 0 && !plus)
		return fail(why, "phone '%s' has no digits", shown);
	if (toolong)
		return fail(why, "phone '%s' is too long", shown);
	if (plus)
		return phone_international(out, d, nd, shown, why);

	if (default_cc == NULL || default_cc[0] == '\0')
		return fail(why, "phone '%s' has no country code (start it "
		    "with '+')", shown);
	if (!cc_valid(default_cc)) {
		char cc_shown[SHOWN_CAP];

		show(cc_shown, default_cc);
		return fail(why, "default country code '%s' is not 1 to 3 "
		    "digits", cc_shown);
	}
	if (strcmp(default_cc, "7") == 0) {
		/* Russia and Kazakhstan: trunk prefix 8, 10-digit numbers. */
		if (nd < 10)
			return fail(why, "phone '%s' is too short", shown);
		if (nd > 11)
			return fail(why, "phone '%s' is too long", shown);
		if (nd == 11) {
			if (d[0] != '7' && d[0] != '8')
				return fail(why, "phone '%s' has 11 digits "
				    "but does not start with 7 or 8", shown);
			return phone_emit(out, "7", d + 1, 10, shown, why);
		}
		if (d[0] == '0')
			return fail(why, "phone '%s' is not a +7 number (it "
			    "starts with 0)", shown);
		if (d[0] == '8') {
			/* 10 digits after a trunk 8 are a national number
			 * when the plan has it ('812 345-67-89', St
			 * Petersburg), else the 8 was the trunk prefix and
			 * a digit is missing ('8 (912) 345-67-8'). */
			char e[KT_PHONE_MAX];
			if (phone_emit(e, "7", d, 10, shown, why) == 0 &&
			    kt_phone_plan_check(e, NULL) != KT_PHONE_VALID)
				return fail(why, "phone '%s' is too short for "
				    "a number of Russia or Kazakhstan (+7) "
				    "after the trunk 8 (a digit missing?)",
				    shown);
		}
		return phone_emit(out, "7", d, 10, shown, why);
	}
	if (nd >= 2 && d[0] == '0' && d[1] == '0')
		return phone_international(out, d + 2, nd - 2, shown, why);
	/* A national number: its country's own trunk prefix and lengths
	 * (Italy keeps its 0, NANP drops a leading 1), after the lengths of
	 * E.164 (a leading 0 as a trunk prefix). */
	{
		char digits[PHONE_DIGITS_CAP + 1], e164[KT_PHONE_MAX], r[3];
		size_t ncc = strlen(default_cc), nn = nd - (d[0] == '0');
		kt_phone_verdict_t v;
		if (ncc + nn < 8)
			return fail(why, "phone '%s' is too short", shown);
		if (ncc + nn > 15)
			return fail(why, "phone '%s' is too long", shown);
		memcpy(digits, d, nd);
		digits[nd] = '\0';
		v = kt_phone_plan_national(digits, default_cc, e164, r);
		if (v == KT_PHONE_BAD_CC)
			return fail(why, "default country code '%s' is no "
			    "country's", default_cc);
		if (v != KT_PHONE_VALID)
			return phone_plan(v, r, "", shown, why);
		memcpy(out, e164, strlen(e164) + 1);
		*done = true;
		return 0;
	}
}

static int
phone_normalize(const char *in, const char *default_cc,
    char out[static KT_PHONE_MAX], kt_why_t *why)
{
	char e164[KT_PHONE_MAX], region[3], shown[SHOWN_CAP];
	bool done = false;
	int rc;

	if ((rc = phone_read(in, default_cc, e164, why, &done)) != 0)
		return rc;
	if (!done) {
		show(shown, in);
		if ((rc = phone_plan(kt_phone_plan_check(e164, region), region,
		    e164, shown, why)) != 0)
			return rc;
	}
	memcpy(out, e164, strlen(e164) + 1);
	return 0;
}

int
kt_phone_normalize(const char *in, const char *default_cc,
    char out[static KT_PHONE_MAX], kt_why_t *why)
{
	int rc = phone_normalize(in, default_cc, out, why);

	if (rc != 0)
		out[0] = '\0';
	return rc;
}

/* ---------------------------------------------------------------------
 * E-mail
 * ------------------------------------------------------------------- */

static bool
is_ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

/* RFC 5322 atext, ASCII part (non-ASCII is RFC 6531 UTF8-non-ascii). */
static bool
is_atext(unsigned char c)
{
	return is_ascii_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~",
	    c) != NULL);
}

static int
email_domain(const char *dom, size_t dlen, const char *shown,
    kt_why_t *why)
{
	size_t start = 0;

	if (dlen == 0)
		return fail(why, "email '%s' has nothing after '@'", shown);
	if (memchr(dom, '.', dlen) == NULL)
		return fail(why, "email '%s' has no dot in the domain", shown);
	while (start <= dlen) {
		const char *dot = memchr(dom + start, '.', dlen - start);
		size_t end = dot != NULL ? (size_t)(dot - dom) : dlen;
		size_t llen = end - start;

		if (llen == 0)
			return fail(why, "email '%s' has an empty label in the "
			    "domain", shown);
		if (llen > EMAIL_LABEL_MAX)
			return fail(why, "email '%s' has a domain label longer "
			    "than 63 bytes", shown);
		if (dom[start] == '-' || dom[end - 1] == '-')
			return fail(why, "email '%s' has a domain label starting "
			    "or ending with '-'", shown);
		for (size_t i = start; i < end; i++) {
			unsigned char c = (unsigned char)dom[i];

			if (c < 0x80 && !is_ascii_alnum(c) && c != '-')
				return fail(why, "email '%s' has '%c' in the "
				    "domain", shown, c);
		}
		start = end + 1;
	}
	return 0;
}

/* Writes out only on success, byte i from byte i of in, so out may be
 * the buffer in is in. */
static int
email_normalize(const char *in, char out[static KT_EMAIL_MAX],
    kt_why_t *why)
{
	char shown[SHOWN_CAP];
	const uint8_t *s;
	const char *at;
	size_t n, llen, i = 0;
	int rc;

	if (in == NULL || in[0] == '\0')
		return fail(why, "email is empty");
	show(shown, in);
	n = strnlen(in, KT_EMAIL_MAX);
	if (n >= KT_EMAIL_MAX)
		return fail(why, "email '%s' is too long", shown);
	s = (const uint8_t *)in;
	while (i < n) {
		ucs4_t uc;
		int l = u8_mbtoucr(&uc, s + i, n - i);

		if (l < 0)
			return fail(why, "email '%s' is not valid UTF-8", shown);
		if (is_control(uc))
			return fail(why, "email '%s' contains a control "
			    "character", shown);
		if (uc_is_property_white_space(uc))
			return fail(why, "email '%s' contains a space", shown);
		i += (size_t)l;
	}
	at = strchr(in, '@');
	if (at == NULL)
		return fail(why, "email '%s' has no '@'", shown);
	if (strchr(at + 1, '@') != NULL)
		return fail(why, "email '%s' has more than one '@'", shown);
	llen = (size_t)(at - in);
	if (llen == 0)
		return fail(why, "email '%s' has nothing before '@'", shown);
	if (llen > EMAIL_LOCAL_MAX)
		return fail(why, "email '%s' has a local part longer than 64 "
		    "bytes", shown);
	for (i = 0; i < llen; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '.') {
			if (i == 0 || i + 1 == llen || in[i + 1] == '.')
				return fail(why, "email '%s' has a misplaced "
				    "'.' before '@'", shown);
		} else if (c < 0x80 && !is_atext(c)) {
			return fail(why, "email '%s' contains '%c'", shown, c);
		}
	}
	rc = email_domain(at + 1, n - llen - 1, shown, why);
	if (rc != 0)
		return rc;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (i > llen && c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		out[i] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

int
kt_email_normalize(const char *in, char out[static KT_EMAIL_MAX],
    kt_why_t *why)
{
	int rc = email_normalize(in, out, why);

	if (rc != 0)
		out[0] = '\0';
	return rc;
}

/* ---------------------------------------------------------------------
 * Dates
 * ------------------------------------------------------------------- */

static bool
is_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
month_days(unsigned year, unsigned month)
{
	static const unsigned days[12] = { 31, 29, 31, 30, 31, 30, 31, 31,
		30, 31, 30, 31 };

	if (month == 2 && year != 0 && !is_leap(year))
		return 28;
	return days[month - 1];
}

static bool
date_valid(const kt_date_t *d)
{
	if (d->year != 0 && (d->year < 1900 || d->year > 2100))
		return false;
	if (d->month < 1 || d->month > 12)
		return false;
	return d->day >= 1 && d->day <= month_days(d->year, d->month);
}

/* Reads min..max decimal digits at *p into *v, advancing *p. */
static bool
read_num(const char **p, size_t min, size_t max, unsigned *v)
{
	size_t k = 0;

	*v = 0;
	while (k < max && (*p)[k] >= '0' && (*p)[k] <= '9') {
		*v = *v * 10 + (unsigned)((*p)[k] - '0');
		k++;
	}
	if (k < min || ((*p)[k] >= '0' && (*p)[k] <= '9'))
		return false;
	*p += k;
	return true;
}

/* Reads one of the four forms into *d; *has_year tells a typed year 0000
 * (out of range) from an unknown one. */
static bool
date_shape(const char *in, kt_date_t *d, bool *has_year)
{
	const char *p = in;

	if (p[0] == '-' && p[1] == '-') {
		p += 2;
		if (!read_num(&p, 2, 2, &d->month) || *p++ != '-' ||
		    !read_num(&p, 2, 2, &d->day))
			return false;
		return *p == '\0';
	}
	if (strchr(in, '.') != NULL) {
		if (!read_num(&p, 1, 2, &d->day) || *p++ != '.' ||
		    !read_num(&p, 1, 2, &d->month))
			return false;
		if (*p == '\0')
			return true;
		if (*p++ != '.' || !read_num(&p, 4, 4, &d->year))
			return false;
		*has_year = true;
		return *p == '\0';
	}
	if (!read_num(&p, 4, 4, &d->year) || *p++ != '-' ||
	    !read_num(&p, 2, 2, &d->month) || *p++ != '-' ||
	    !read_num(&p, 2, 2, &d->day))
		return false;
	*has_year = true;
	return *p == '\0';
}

int
kt_date_parse(const char *in, kt_date_t *out, kt_why_t *why)
{
	char shown[SHOWN_CAP];
	kt_date_t d = { 0, 0, 0 };
	bool has_year = false;

	if (out == NULL)
		return fail(why, "date has no output");
	*out = d;
	if (in == NULL || in[0] == '\0')
		return fail(why, "date is empty");
	show(shown, in);
	if (!date_shape(in, &d, &has_year))
		return fail(why, "date '%s' is not YYYY-MM-DD, DD.MM.YYYY, "
		    "--MM-DD or DD.MM", shown);
	if (has_year && (d.year < 1900 || d.year > 2100))
		return fail(why, "date '%s' has a year outside 1900..2100",
		    shown);
	if (d.month < 1 || d.month > 12)
		return fail(why, "date '%s' has no month %u", shown, d.month);
	if (d.month == 2 && d.day == 29 && d.year != 0 && !is_leap(d.year))
		return fail(why, "date '%s': %u is not a leap year", shown,
		    d.year);
	if (d.day < 1 || d.day > month_days(d.year, d.month))
		return fail(why, "date '%s' has no day %u in month %u", shown,
		    d.day, d.month);
	*out = d;
	return 0;
}

/* Writes v (< 10^width) as width decimal digits. */
static char *
put_digits(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

void
kt_date_format(const kt_date_t *d, char out[static 11])
{
	char *p = out;

	out[0] = '\0';
	if (d == NULL || !date_valid(d))
		return;
	/* date_valid bounds every field, so the digits fit exactly. */
	if (d->year == 0) {
		*p++ = '-';
		*p++ = '-';
	} else {
		p = put_digits(p, d->year, 4);
		*p++ = '-';
	}
	p = put_digits(p, d->month, 2);
	*p++ = '-';
	p = put_digits(p, d->day, 2);
	*p = '\0';
}

/* ---------------------------------------------------------------------
 * Text: folding, words, validity, width
 * ------------------------------------------------------------------- */

/* The fold of in (n bytes of valid UTF-8) when it has only ASCII and the
 * letters of the Russian alphabet (U+0401, U+0410..U+044F, U+0451), as
 * names and e-mails nearly always do: for those, NFKC changes nothing
 * and case folding is A..Z -> a..z and А..Я -> а..я, so the bytes are
 * mapped in place (same lengths), 'ё' and 'Ё' to 'е' as kt_text_fold
 * does after u8_casefold. test_normalize.fold_short_way_as_casefold
 * checks it against u8_casefold. Returns 1 with out filled (n < cap),
 * or 0 when in has any other character or out is too small: then
 * nothing is promised of out and the caller folds in full. */
static int
fold_short_way(const char *in, size_t n, char *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)in;

	if (n >= cap)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned cp;

		if (s[i] < 0x80) {
			out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ?
			    s[i] + ('a' - 'A') : s[i]);
			continue;
		}
		/* Valid UTF-8: a lead byte D0 or D1 has its continuation. */
		if ((s[i] != 0xd0 && s[i] != 0xd1) || i + 1 >= n)
			return 0;
		cp = ((unsigned)(s[i] & 0x1f) << 6) | (s[i + 1] & 0x3f);
		if (cp >= 0x410 && cp <= 0x42f)
			cp += 0x20;
		else if (cp == 0x401 || cp == 0x451)
			cp = 0x435;
		else if (cp < 0x430 || cp > 0x44f)
			return 0;
		out[i] = (char)(0xc0 | (cp >> 6));
		out[i + 1] = (char)(0x80 | (cp & 0x3f));
		i++;
	}
	out[n] = '\0';
	return 1;
}

int
kt_text_fold(const char *in, char *out, size_t cap)
{
	size_t n, len;
	uint8_t *r;

	if (out == NULL)
		return KT_EINVAL;
	if (cap == 0)
		return KT_ENOSPC;
	out[0] = '\0';
	if (in == NULL)
		return KT_EINVAL;
	n = strlen(in);
	if (u8_check((const uint8_t *)in, n) != NULL)
		return KT_EINVAL;
	if (n == 0)
		return 0;
	if (fold_short_way(in, n, out, cap))
		return 0;
	/* u8_casefold writes into out when the result fits in len bytes and
	 * returns out; otherwise it returns a malloc'ed result we drop. */
	len = cap - 1;
	r = u8_casefold((const uint8_t *)in, n, NULL, UNINORM_NFKC,
	    (uint8_t *)out, &len);
	if (r == NULL) {
		out[0] = '\0';
		return errno == ENOMEM ? KT_ENOMEM : KT_EINVAL;
	}
	if (r != (uint8_t *)out) {
		free(r);
		out[0] = '\0';
		return KT_ENOSPC;
	}
	out[len] = '\0';
	/* U+0451 'ё' (D1 91) -> U+0435 'е' (D0 B5): same length, and 0xD1 is
	 * always a lead byte in valid UTF-8, so no false match. */
	for (size_t i = 0; i + 1 < len; i++) {
		if ((unsigned char)out[i] == 0xd1 &&
		    (unsigned char)out[i + 1] == 0x91) {
			out[i] = (char)0xd0;
			out[i + 1] = (char)0xb5;
			i++;
		}
	}
	return 0;
}

int
kt_text_words(const char *folded,
    int (*fn)(const char *word, size_t len, void *arg), void *arg)
{
	const uint8_t *s = (const uint8_t *)folded;
	size_t n, i = 0, start = 0;
	bool in_word = false;
	int rc;

	if (folded == NULL || fn == NULL)
		return KT_EINVAL;
	n = strlen(folded);
	while (i < n) {
		ucs4_t uc;
		int l = u8_mbtoucr(&uc, s + i, n - i);
		bool word;

		if (l < 0) {
			word = false;
			l = 1;
		} else {
			/* uc_is_digit is ASCII only: take every Nd. */
			word = uc_is_property_alphabetic(uc) ||
			    uc_is_general_category(uc, UC_DECIMAL_DIGIT_NUMBER) ||
			    (in_word &&
			    uc_is_general_category(uc, UC_CATEGORY_M));
		}
		if (word && !in_word) {
			start = i;
			in_word = true;
		} else if (!word && in_word) {
			in_word = false;
			rc = fn(folded + start, i - start, arg);
			if (rc != 0)
				return rc;
		}
		i += (size_t)l;
	}
	if (in_word)
		return fn(folded + start, n - start, arg);
	return 0;
}

int
kt_utf8_valid(const char *s, int allow_newline)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t n, i = 0;

	if (s == NULL)
		return 0;
	n = strlen(s);
	while (i < n) {
		ucs4_t uc;
		int l = u8_mbtoucr(&uc, u + i, n - i);

		if (l < 0)
			return 0;
		if (is_control(uc) &&
		    !(allow_newline && (uc == '\n' || uc == '\t')))
			return 0;
		i += (size_t)l;
	}
	return 1;
}

size_t
kt_utf8_width(const char *s)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t n, i = 0, w = 0;

	if (s == NULL)
		return 0;
	n = strlen(s);
	while (i < n) {
		ucs4_t uc;
		int l = u8_mbtoucr(&uc, u + i, n - i), cw;

		if (l < 0) {
			w++;
			i++;
			continue;
		}
		cw = uc_width(uc, "UTF-8");
		if (cw > 0)
			w += (size_t)cw;
		i += (size_t)l;
	}
	return w;
}

/* ---------------------------------------------------------------------
 * Masks
 * ------------------------------------------------------------------- */

/* Length of the country code that starts d (E.164 digits), from the ITU
 * assignment: 1 and 7 are the one-digit codes, these the two-digit ones,
 * every other code has three digits. */
static size_t
cc_len(const char *d)
{
	static const char two[] = "20 27 30 31 32 33 34 36 39 40 41 43 44 45 "
	    "46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 "
	    "86 90 91 92 93 94 95 98";

	if (d[0] == '1' || d[0] == '7')
		return 1;
	for (size_t i = 0; i + 1 < sizeof(two); i += 3)
		if (two[i] == d[0] && two[i + 1] == d[1])
			return 2;
	return 3;
}

static void
put(char *out, size_t cap, const char *mask)
{
	size_t n = strlen(mask);

	if (n >= cap)
		n = 0;
	memcpy(out, mask, n);
	out[n] = '\0';
}

void
kt_mask_phone(const char *e164, char *out, size_t cap)
{
	char mask[32];
	size_t nd;

	if (out == NULL || cap == 0)
		return;
	nd = e164 != NULL && e164[0] == '+' ? strlen(e164 + 1) : 0;
	if (nd < 8 || nd > 15 || strspn(e164 + 1, "0123456789") != nd ||
	    e164[1] == '0') {
		put(out, cap, "***");
		return;
	}
	if (e164[1] == '7' && nd == 11)
		snprintf(mask, sizeof(mask), "+7 *** ***-**-%s", e164 + 10);
	else
		snprintf(mask, sizeof(mask), "+%.*s *** ** %s",
		    (int)cc_len(e164 + 1), e164 + 1, e164 + 1 + nd - 2);
	put(out, cap, mask);
}

void
kt_mask_email(const char *email, char *out, size_t cap)
{
	char mask[KT_EMAIL_MAX + 8];
	const char *at;
	size_t llen;
	ucs4_t uc;
	int l;

	if (out == NULL || cap == 0)
		return;
	if (email == NULL || !kt_utf8_valid(email, 0) ||
	    strnlen(email, KT_EMAIL_MAX) >= KT_EMAIL_MAX ||
	    (at = strchr(email, '@')) == NULL || at == email ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL) {
		put(out, cap, "***");
		return;
	}
	llen = (size_t)(at - email);
	l = u8_mbtoucr(&uc, (const uint8_t *)email, llen);
	if (l < 0 || (size_t)l == llen)
		snprintf(mask, sizeof(mask), "*%s", at);
	else
		snprintf(mask, sizeof(mask), "%.*s***%s", l, email, at);
	put(out, cap, mask);
}
