/* SPDX-License-Identifier: MIT */
/* The shared text-field rules of fields.h, and amounts of money. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "kt_error.h"

#include "fields.h"
#include "normalize.h"

const char *
kt_text_problem(const char *s, size_t min, size_t max, int multiline)
{
	/* Phrases for the limits in use; any other limit gets the generic
	 * one (the caller's message names the field). */
	static const struct {
		size_t max;
		const char *text;
	} longer[] = {
		{ KT_TERMINAL_NAME_MAX, N_("is longer than 64 bytes") },
		{ KT_NAME_MAX, N_("is longer than 128 bytes") },
		{ KT_ADDRESS_MAX, N_("is longer than 256 bytes") },
		{ KT_PASSWORD_MAX, N_("is longer than 1024 bytes") },
	};
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 && min > 0)
		return N_("is empty");
	if (n < min)
		return N_("is too short");
	if (n > max) {
		for (size_t i = 0; i < sizeof(longer) / sizeof(longer[0]); i++)
			if (longer[i].max == max)
				return longer[i].text;
		return N_("is too long");
	}
	if (n > 0 && !kt_utf8_valid(s, multiline))
		return N_("contains control characters or invalid UTF-8");
	return NULL;
}

int
kt_text_take(char *dst, size_t cap, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n >= cap)
		return 0;
	memcpy(dst, s != NULL ? s : "", n + 1);
	return 1;
}

/* Reads "HH:MM" at s (exactly 5 characters) into minutes; -1 if not. */
static int
hhmm(const char *s, unsigned max)
{
	unsigned h, m;

	if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' &&
	    s[2] == ':' && s[3] >= '0' && s[3] <= '5' && s[4] >= '0' &&
	    s[4] <= '9'))
		return -1;
	h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
	m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
	if (h * 60 + m > max)
		return -1;
	return (int)(h * 60 + m);
}

int
kt_work_hours_parse(const char *s, unsigned *from, unsigned *to)
{
	int a, b;

	*from = *to = 0;
	if (s == NULL || s[0] == '\0')
		return 0;
	if (strlen(s) != 11 || s[5] != '-' || (a = hhmm(s, 23 * 60 + 59)) < 0 ||
	    (b = hhmm(s + 6, 24 * 60)) < 0 || a == b)
		return -1;
	*from = (unsigned)a;
	*to = (unsigned)b;
	return 0;
}

char *
kt_work_hours_format(unsigned from, unsigned to, char *out, size_t cap)
{
	if (from == 0 && to == 0)
		snprintf(out, cap, "%s", "");
	else
		snprintf(out, cap, "%02u:%02u-%02u:%02u", from / 60 % 100,
		    from % 60, to / 60 % 100, to % 60);
	return out;
}

int
kt_work_hours_within(unsigned from, unsigned to, unsigned minute)
{
	if (from == 0 && to == 0)
		return 1;
	if (from < to)
		return minute >= from && minute < to;
	return minute >= from || minute < to;  /* over midnight */
}

/* n decimal digits at s into *v; 1 when they are all digits. */
static int
digits(const char *s, size_t n, int *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

int
kt_local_time_parse(const char *s, int64_t now, unsigned day_minute,
    int64_t *out, int *has_time)
{
	struct tm tm, chk;
	time_t t = (time_t)now;
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, timed = 0;
	size_t n = s != NULL ? strlen(s) : 0;
	const char *hm = NULL;

	if (n == 5) {
		hm = s;
		if (localtime_r(&t, &tm) == NULL)
			return -1;
		y = tm.tm_year + 1900;
		mo = tm.tm_mon + 1;
		d = tm.tm_mday;
	} else if (n == 10 || n == 16) {
		if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
		    s[7] != '-' || !digits(s + 8, 2, &d))
			return -1;
		if (n == 16) {
			if (s[10] != ' ' && s[10] != 'T')
				return -1;
			hm = s + 11;
		}
	} else {
		return -1;
	}
	if (hm != NULL) {
		if (!digits(hm, 2, &h) || hm[2] != ':' || !digits(hm + 3, 2, &mi) ||
		    h > 23 || mi > 59)
			return -1;
		timed = 1;
	} else {
		if (day_minute >= 24 * 60)
			return -1;
		h = (int)(day_minute / 60);
		mi = (int)(day_minute % 60);
	}
	if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_isdst = -1;
	chk = tm;
	if ((t = mktime(&chk)) == (time_t)-1 || chk.tm_mday != d ||
	    chk.tm_mon != mo - 1)
		return -1;   /* 2026-02-30 would have moved to March */
	*out = (int64_t)t;
	if (has_time != NULL)
		*has_time = timed;
	return 0;
}
/* ==== amounts ============================================================== */

unsigned
kt_currency_exponent(const char *currency)
{
	/* ISO 4217 minor units that are not 2 (the common ones). */
	static const char zero[][4] = { "JPY", "KRW", "VND", "CLP", "ISK",
		"UGX", "PYG", "XAF", "XOF", "BIF", "DJF", "GNF", "KMF", "RWF",
		"VUV", "XPF" };
	static const char three[][4] = { "KWD", "BHD", "OMR", "JOD", "IQD",
		"LYD", "TND" };

	if (currency == NULL)
		return 2;
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		if (strcmp(currency, zero[i]) == 0)
			return 0;
	for (size_t i = 0; i < sizeof(three) / sizeof(three[0]); i++)
		if (strcmp(currency, three[i]) == 0)
			return 3;
	return 2;
}

/* The length of a space at s (' ', U+00A0, U+202F), or 0. */
static size_t
space_at(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] == ' ')
		return 1;
	if (u[0] == 0xc2 && u[1] == 0xa0)
		return 2;
	if (u[0] == 0xe2 && u[1] == 0x80 && u[2] == 0xaf)
		return 3;
	return 0;
}

int
kt_amount_parse(const char *s, unsigned exp, int64_t *out, const char **why)
{
	static const char *const decimals[] = {
		N_("has digits after the point (the currency has no minor units)"),
		N_("has more than 1 digit after the point"),
		N_("has more than 2 digits after the point"),
		N_("has more than 3 digits after the point"),
	};
	int64_t v = 0;
	unsigned frac = 0, digits = 0;
	size_t sp;
	int point = 0;

	*out = 0;
	if (s == NULL)
		s = "";
	while ((sp = space_at(s)) != 0)
		s += sp;
	if (*s == '-') {
		*why = N_("is negative");
		return KT_EINVAL;
	}
	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9') {
			if (point && ++frac > exp) {
				*why = decimals[exp < 3 ? exp : 3];
				return KT_EINVAL;
			}
			if (v > (KT_AMOUNT_LIMIT - 9) / 10) {
				*why = N_("is too large");
				return KT_EINVAL;
			}
			v = v * 10 + (*s - '0');
			digits++;
			continue;
		}
		if ((*s == '.' || *s == ',') && !point && digits > 0) {
			point = 1;
			continue;
		}
		if ((sp = space_at(s)) != 0) {
			const char *t = s + sp;
			/* Spaces at the end, or between digits of the whole
			 * part. */
			while ((sp = space_at(t)) != 0)
				t += sp;
			if (*t == '\0')
				break;
			if (!point && digits > 0 && *t >= '0' && *t <= '9') {
				s = t - 1;
				continue;
			}
		}
		*why = N_("is not an amount (e.g. 12500, 12500.00 or 12 500,50)");
		return KT_EINVAL;
	}
	if (digits == 0 || (point && frac == 0)) {
		*why = N_("is not an amount (e.g. 12500, 12500.00 or 12 500,50)");
		return KT_EINVAL;
	}
	for (; frac < exp; frac++) {
		if (v > KT_AMOUNT_LIMIT / 10) {
			*why = N_("is too large");
			return KT_EINVAL;
		}
		v *= 10;
	}
	if (v >= KT_AMOUNT_LIMIT) {
		*why = N_("is too large");
		return KT_EINVAL;
	}
	*out = v;
	return 0;
}

char *
kt_amount_format(int64_t v, unsigned exp, char *out, size_t cap)
{
	char digits[24], tmp[KT_AMOUNT_TEXT_MAX * 2];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t n, whole, o = 0;

	if (exp > 3)
		exp = 3;
	n = (size_t)snprintf(digits, sizeof(digits), "%0*llu", (int)exp + 1,
	    (unsigned long long)u);
	whole = n - exp;
	if (v < 0)
		tmp[o++] = '-';
	for (size_t i = 0; i < whole; i++) {
		if (i > 0 && (whole - i) % 3 == 0)
			tmp[o++] = ' ';
		tmp[o++] = digits[i];
	}
	if (exp > 0) {
		tmp[o++] = '.';
		memcpy(tmp + o, digits + whole, exp);
		o += exp;
	}
	tmp[o] = '\0';
	snprintf(out, cap, "%s", tmp);
	return out;
}
