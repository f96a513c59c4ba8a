/* SPDX-License-Identifier: MIT */
/* Setting and reading a kt_verdict_t (verdict.h). */
#include <stdarg.h>
#include <stdio.h>

#include "model/verdict.h"

void
kt_verdict_ok(kt_verdict_t *v)
{
	v->code = 0;
	v->msg[0] = '\0';
}

void
kt_verdict_set(kt_verdict_t *v, uint32_t code, const char *fmt, ...)
{
	va_list ap;

	v->code = code;
	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
	va_end(ap);
}

int
kt_verdict_is_ok(const kt_verdict_t *v)
{
	return v->code == 0;
}
