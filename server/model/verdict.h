/* SPDX-License-Identifier: MIT */
/* What a change of the model decided when it refused: an error code of
 * the wire (kartoteka.Error.Code) and a message for a person naming the
 * field and the problem. The protocol ops send both to the client; the
 * offline commands of kartotekad print the message. Keeping the refusal
 * apart from the return code lets a function say "refused, nothing
 * written" (return 0, verdict set) and "the store failed" (return KT_E*)
 * without mixing the two. */
#ifndef KT_VERDICT_H
#define KT_VERDICT_H

#include <stdint.h>

typedef struct kt_verdict {
	uint32_t code;                /* kartoteka.Error.Code; 0 = OK */
	char msg[300];                /* "" when OK */
} kt_verdict_t;

/* Sets v to OK. */
void kt_verdict_ok(kt_verdict_t *v);

/* Sets v to a refusal with code and a printf-formatted message (cut to
 * fit). */
void kt_verdict_set(kt_verdict_t *v, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1 when v is OK. */
int kt_verdict_is_ok(const kt_verdict_t *v);

#endif
