/* SPDX-License-Identifier: MIT */
/* locale_fmt: dates and money in the language of the messages (see
 * locale_fmt.h). */
#include "locale_fmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "i18n.h"

int
kt_fmt_is_ru(const char *lang)
{
	if (lang == NULL)
		lang = kt_i18n_lang();
	return strcmp(lang, "ru") == 0;
}

static int
days_in_month(unsigned y, unsigned m)
{
	static const unsigned char dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31,
		30, 31, 30, 31 };

	if (m == 2 && (y == 0 || (y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0))))
		return 29;
	return dm[m - 1];
}

char *
kt_fmt_ymd(unsigned y, unsigned m, unsigned d, const char *lang, char *out,
    size_t cap)
{
	int ru = kt_fmt_is_ru(lang);

	if (cap == 0)
		return out;
	if (m < 1 || m > 12 || d < 1 || (int)d > days_in_month(y, m) ||
	    y > 99999) {
		snprintf(out, cap, "?");
		return out;
	}
	if (y == 0)
		snprintf(out, cap, ru ? "%02u.%02u" : "--%02u-%02u",
		    ru ? d : m, ru ? m : d);
	else if (ru)
		snprintf(out, cap, "%02u.%02u.%04u", d, m, y);
	else
		snprintf(out, cap, "%04u-%02u-%02u", y, m, d);
	return out;
}

char *
kt_fmt_day(int64_t day, const char *lang, char *out, size_t cap)
{
	/* Howard Hinnant's civil_from_days, exact for every int64 day whose
	 * year fits the output (others fall to "?" in kt_fmt_ymd). */
	int64_t z, era, doe, yoe, y, doy, mp, d, m;

	if (day > INT64_MAX / 2 || day < INT64_MIN / 2) {
		if (cap > 0)
			snprintf(out, cap, "?");
		return out;
	}
	z = day + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 1 || y > 99999) {
		if (cap > 0)
			snprintf(out, cap, "?");
		return out;
	}
	return kt_fmt_ymd((unsigned)y, (unsigned)m, (unsigned)d, lang, out,
	    cap);
}

/* Reads n digits at s into *v; 0 or -1. */
static int
digits(const char *s, int n, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

char *
kt_fmt_date_text(const char *s, const char *lang, char *out, size_t cap)
{
	char date[KT_FMT_DATE_MAX];
	unsigned y = 0, m, d;
	const char *rest;

	if (cap == 0)
		return out;
	if (s == NULL)
		s = "";
	if (digits(s, 4, &y) == 0 && s[4] == '-' && digits(s + 5, 2, &m) == 0
	    && s[7] == '-' && digits(s + 8, 2, &d) == 0 && y > 0)
		rest = s + 10;
	else if (s[0] == '-' && s[1] == '-' && digits(s + 2, 2, &m) == 0 &&
	    s[4] == '-' && digits(s + 5, 2, &d) == 0)
		rest = s + 7, y = 0;
	else
		rest = NULL;
	/* "2026-11-290" is not a date followed by text */
	if (rest != NULL && *rest >= '0' && *rest <= '9')
		rest = NULL;
	if (rest == NULL || strcmp(kt_fmt_ymd(y, m, d, lang, date,
	    sizeof(date)), "?") == 0) {
		snprintf(out, cap, "%s", s);
		return out;
	}
	snprintf(out, cap, "%s%s", date, rest);
	return out;
}

char *
kt_fmt_month_text(const char *s, const char *lang, char *out, size_t cap)
{
	unsigned y, m;

	if (cap == 0)
		return out;
	if (s == NULL)
		s = "";
	if (kt_fmt_is_ru(lang) && strlen(s) == 7 && digits(s, 4, &y) == 0 &&
	    s[4] == '-' && digits(s + 5, 2, &m) == 0 && y > 0 && m >= 1 &&
	    m <= 12)
		snprintf(out, cap, "%02u.%04u", m, y);
	else
		snprintf(out, cap, "%s", s);
	return out;
}

char *
kt_fmt_datetime(int64_t secs, int seconds, int zone, const char *lang,
    char *out, size_t cap)
{
	char date[KT_FMT_DATE_MAX], tbuf[24];
	time_t t = (time_t)secs;
	struct tm tm;

	if (cap == 0)
		return out;
	if ((int64_t)t != secs || localtime_r(&t, &tm) == NULL ||
	    strftime(tbuf, sizeof(tbuf), seconds ? (zone ? "%H:%M:%S %z" :
	    "%H:%M:%S") : (zone ? "%H:%M %z" : "%H:%M"), &tm) == 0 ||
	    tm.tm_year + 1900 < 1) {
		snprintf(out, cap, "%" PRId64, secs);
		return out;
	}
	kt_fmt_ymd((unsigned)(tm.tm_year + 1900), (unsigned)(tm.tm_mon + 1),
	    (unsigned)tm.tm_mday, lang, date, sizeof(date));
	snprintf(out, cap, "%s %s", date, tbuf);
	return out;
}

char *
kt_fmt_local_date(int64_t secs, const char *lang, char *out, size_t cap)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (cap == 0)
		return out;
	if ((int64_t)t != secs || localtime_r(&t, &tm) == NULL ||
	    tm.tm_year + 1900 < 1) {
		snprintf(out, cap, "%" PRId64, secs);
		return out;
	}
	return kt_fmt_ymd((unsigned)(tm.tm_year + 1900),
	    (unsigned)(tm.tm_mon + 1), (unsigned)tm.tm_mday, lang, out, cap);
}

char *
kt_fmt_money(int64_t v, unsigned exp, const char *lang, char *out,
    size_t cap)
{
	int ru = kt_fmt_is_ru(lang);
	char digs[24], tmp[KT_FMT_MONEY_MAX + 8];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t n, whole, o = 0;

	if (cap == 0)
		return out;
	if (exp > 3)
		exp = 3;
	n = (size_t)snprintf(digs, sizeof(digs), "%0*" PRIu64, (int)exp + 1,
	    u);
	whole = n - exp;
	if (v < 0)
		tmp[o++] = '-';
	for (size_t i = 0; i < whole; i++) {
		if (i > 0 && (whole - i) % 3 == 0)
			tmp[o++] = ru ? ' ' : ',';
		tmp[o++] = digs[i];
	}
	if (exp > 0) {
		tmp[o++] = ru ? ',' : '.';
		memcpy(tmp + o, digs + whole, exp);
		o += exp;
	}
	tmp[o] = '\0';
	snprintf(out, cap, "%s", tmp);
	return out;
}

/* The rest of s after prefix, when s starts with it and has more. */
static const char *
after(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) == 0 && s[n] != '\0' ? s + n : NULL;
}

char *
kt_fmt_scope(const char *s, char *out, size_t cap)
{
	static const char both[] = ", manager ";
	const char *r, *m;

	if (cap == 0)
		return out;
	if (s == NULL)
		s = "";
	/* The server's words; "branches of " before "branch ". */
	if (strcmp(s, "all branches") == 0)
		snprintf(out, cap, "%s", _("all branches"));
	else if ((r = after(s, "user ")) != NULL)
		snprintf(out, cap, _("user %s"), r);
	else if ((r = after(s, "manager ")) != NULL)
		snprintf(out, cap, _("manager %s"), r);
	else if ((r = after(s, "branches of ")) != NULL)
		snprintf(out, cap, _("branches of %s"), r);
	else if ((r = after(s, "branch ")) != NULL &&
	    (m = strstr(r, both)) != NULL)
		snprintf(out, cap, _("branch %.*s, manager %s"), (int)(m - r), r,
		    m + sizeof(both) - 1);
	else if (r != NULL)
		snprintf(out, cap, _("branch %s"), r);
	else
		snprintf(out, cap, "%s", s);
	return out;
}
