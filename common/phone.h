/* SPDX-License-Identifier: MIT */
/* The numbering plans of the world's countries, from libphonenumber's
 * metadata, behind a small C interface (the library is C++): whether a
 * number is a valid number of its country, how a national number of a
 * country reads in E.164, and whether a country calling code is a
 * country's. Used by kt_phone_normalize (normalize.c); nothing else needs
 * the library. The functions keep no state of their own and may be
 * called from any thread (the library's metadata is built once, on first
 * use, thread-safely). */
#ifndef KT_PHONE_H
#define KT_PHONE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the numbering plan says of a number. */
typedef enum kt_phone_verdict {
	KT_PHONE_VALID = 0,
	KT_PHONE_TOO_SHORT,      /* shorter than any number of its country */
	KT_PHONE_TOO_LONG,       /* longer than any */
	KT_PHONE_BAD_CC,         /* no country has this calling code */
	KT_PHONE_INVALID,        /* a possible length, but no such range */
} kt_phone_verdict_t;

/* kt_phone_plan_check: is e164 ("+" and digits) a valid number by the
 * plan of its country (of any country sharing its code: +7 is Russia and
 * Kazakhstan)?
 *   [in]  e164    NUL-terminated; anything but "+" and 1..15 digits is
 *                 KT_PHONE_INVALID
 *   [out] region  when not NULL, the ISO 3166 code of the country the
 *                 number belongs to ("RU", "KZ"), or the code's main one
 *                 when invalid, or "" (3 bytes)
 * Returns the verdict. */
kt_phone_verdict_t kt_phone_plan_check(const char *e164, char region[3]);

/* kt_phone_plan_check_parsed: the same answer, always through the
 * library's general Parse. kt_phone_plan_check first reads the digits
 * itself (the calling code, then the national number) and asks Parse
 * only when that reading is not a valid number that formats back to
 * e164: four times faster on the numbers people have, the same
 * verdict and region (tests/common/test_phone.c compares the two over
 * every calling code). For that test and for measuring. */
kt_phone_verdict_t kt_phone_plan_check_parsed(const char *e164,
    char region[3]);

/* kt_phone_plan_national reads national digits (ASCII digits only, as
 * dialled inside the country, trunk prefix included or not) as a number
 * of the country with calling code cc ("49": Germany), by that
 * country's rules ("030 1234567" -> "+49301234567"; Italy keeps its
 * leading 0: "06 1234 5678" -> "+390612345678"), into out ("+" and
 * digits). region (when not NULL) gets the country's ISO code as for
 * kt_phone_plan_check. Returns the verdict; out is "" unless
 * KT_PHONE_VALID. */
kt_phone_verdict_t kt_phone_plan_national(const char *digits, const char *cc,
    char out[17], char region[3]);

/* kt_phone_plan_cc_known: 1 when cc (digits, no "+") is the calling code
 * of at least one country or territory ("7", "49", "375"), else 0 ("999",
 * "800": international services, not a country). */
int kt_phone_plan_cc_known(const char *cc);

/* kt_phone_plan_region_name: the English short name of region ("RU" ->
 * "Russia"), or region itself when not known here; never NULL. */
const char *kt_phone_plan_region_name(const char *region);

#ifdef __cplusplus
}
#endif

#endif
