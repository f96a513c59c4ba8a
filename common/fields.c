/* SPDX-License-Identifier: MIT */
/* The shared text-field rule of fields.h. */
#include <stdio.h>
#include <string.h>

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
		{ KT_TERMINAL_NAME_MAX, "is longer than 64 bytes" },
		{ KT_NAME_MAX, "is longer than 128 bytes" },
		{ KT_ADDRESS_MAX, "is longer than 256 bytes" },
		{ KT_PASSWORD_MAX, "is longer than 1024 bytes" },
	};
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 && min > 0)
		return "is empty";
	if (n < min)
		return "is too short";
	if (n > max) {
		for (size_t i = 0; i < sizeof(longer) / sizeof(longer[0]); i++)
			if (longer[i].max == max)
				return longer[i].text;
		return "is too long";
	}
	if (n > 0 && !kt_utf8_valid(s, multiline))
		return "contains control characters or invalid UTF-8";
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
