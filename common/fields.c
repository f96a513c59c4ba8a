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
