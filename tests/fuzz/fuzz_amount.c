/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the amount parser of common/fields.c (what the
 * CLI reads from --amount): any bytes, at every exponent, either refused
 * with a reason or read into 0 <= v < 10^15, which formats back into text
 * the parser reads as the same v. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256], out[KT_AMOUNT_TEXT_MAX];
	const char *why;
	int64_t v, w;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (unsigned exp = 0; exp <= 3; exp++) {
		why = NULL;
		if (kt_amount_parse(s, exp, &v, &why) != 0) {
			if (why == NULL)
				abort();
			continue;
		}
		if (v < 0 || v >= KT_AMOUNT_LIMIT)
			abort();
		kt_amount_format(v, exp, out, sizeof(out));
		if (kt_amount_parse(out, exp, &w, &why) != 0 || w != v)
			abort();
	}
	return 0;
}
