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

#include "kartoteka.pb-c.h"

/* The wire's error codes (kartoteka.Error.Code) under short names, for
 * refusals and answers, in one place for every module that makes them. */
enum {
	KT_CODE_OK = KARTOTEKA__ERROR__CODE__OK,
	KT_CODE_BAD = KARTOTEKA__ERROR__CODE__BAD_REQUEST,
	KT_CODE_UNAUTH = KARTOTEKA__ERROR__CODE__UNAUTHENTICATED,
	KT_CODE_FORBIDDEN = KARTOTEKA__ERROR__CODE__FORBIDDEN,
	KT_CODE_NOT_FOUND = KARTOTEKA__ERROR__CODE__NOT_FOUND,
	KT_CODE_CONFLICT = KARTOTEKA__ERROR__CODE__CONFLICT,
	KT_CODE_QUOTA = KARTOTEKA__ERROR__CODE__QUOTA_EXCEEDED,
	KT_CODE_RATE = KARTOTEKA__ERROR__CODE__RATE_LIMITED,
	KT_CODE_UNAVAILABLE = KARTOTEKA__ERROR__CODE__UNAVAILABLE,
	KT_CODE_INTERNAL = KARTOTEKA__ERROR__CODE__INTERNAL,
};

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
