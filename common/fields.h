/* SPDX-License-Identifier: MIT */
/* Limits and rules of the text fields that clients and the server must
 * agree on (a terminal's name, logins, names of branches and users), so
 * that the CLI refuses locally exactly what the server would refuse. */
#ifndef KT_FIELDS_H
#define KT_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#define KT_TERMINAL_NAME_MAX 64u   /* bytes of a terminal's name */
#define KT_LOGIN_MAX 64u           /* bytes of a login */
#define KT_NAME_MAX 128u           /* bytes of a branch's or a user's name */
#define KT_ADDRESS_MAX 256u        /* bytes of a branch's postal address */
#define KT_PASSWORD_MIN 8u
#define KT_PASSWORD_MAX 1024u      /* bytes of a password */

/* kt_text_problem checks a one-line text field: min..max bytes of valid
 * UTF-8 without control characters (with multiline, '\n' and '\t' are
 * allowed). NULL counts as "".
 * Returns NULL when s is fine, else a static English phrase naming the
 * problem, to follow the field's name: "is empty", "is longer than 64
 * bytes", "contains control characters or invalid UTF-8". */
const char *kt_text_problem(const char *s, size_t min, size_t max,
    int multiline);

/* kt_text_take copies s (NULL: "") with its NUL into dst of cap bytes.
 * Returns 1, or 0 (dst untouched) when it does not fit: a field longer
 * than its buffer, which the caller refuses naming the field. */
int kt_text_take(char *dst, size_t cap, const char *s);

/* kt_work_hours_parse reads working hours "HH:MM-HH:MM" (24-hour local
 * time; the end may be 24:00, and before the start for a night shift)
 * into minutes after midnight. "" gives 0 and 0: not set. Returns 0 or -1
 * (not such a text). */
int kt_work_hours_parse(const char *s, unsigned *from, unsigned *to);

/* kt_work_hours_format writes from..to as "HH:MM-HH:MM" into out (at
 * least 12 bytes), "" when both are 0 (not set). Returns out. */
char *kt_work_hours_format(unsigned from, unsigned to, char *out, size_t cap);

/* 1 when minute (after local midnight) is within from..to; 1 when the
 * hours are not set. */
int kt_work_hours_within(unsigned from, unsigned to, unsigned minute);

/* kt_local_time_parse reads a time typed by a user, in the local time
 * zone (TZ): "YYYY-MM-DD HH:MM", "YYYY-MM-DD" (at day_minute minutes
 * after that day's midnight, e.g. 720 for noon) or "HH:MM" (today, the
 * local day of now). Dates that do not exist (2026-02-30) and times past
 * 23:59 are refused.
 *   [out] out       unix seconds
 *   [out] has_time  1 when s named a time of day (may be NULL)
 * Returns 0 or -1 (not such a text, or not a time that exists). */
int kt_local_time_parse(const char *s, int64_t now, unsigned day_minute,
    int64_t *out, int *has_time);
/* ---- amounts of money (deals) --------------------------------------------- */

/* Amounts are integer minor units below this (10^15). */
#define KT_AMOUNT_LIMIT 1000000000000000LL
/* Bytes kt_amount_format needs at most: "999 999 999 999 999" (exp 0). */
#define KT_AMOUNT_TEXT_MAX 32u

/* The minor-unit exponent of an ISO 4217 currency: 2 for RUB, USD, EUR,
 * KZT and most others; 0 for JPY, KRW, ...; 3 for KWD, BHD, ... (a small
 * table; anything not in it, NULL included, is 2). */
unsigned kt_currency_exponent(const char *currency);

/* kt_amount_parse reads an amount as typed in major units: digits, with
 * spaces (also U+00A0 and U+202F) between groups of the whole part, and
 * an optional decimal point or comma followed by at most exp digits:
 * "12500", "12500.00", "12 500,50". Surrounding spaces are ignored.
 * [out] *out minor units (12 500,50 at exp 2: 1250050). On KT_EINVAL,
 * *why is a static English phrase to follow the option's name ("is
 * negative", "has more than 2 digits after the point", ...). Returns 0 or
 * KT_EINVAL (also for KT_AMOUNT_LIMIT or more). */
int kt_amount_parse(const char *s, unsigned exp, int64_t *out,
    const char **why);

/* kt_amount_format writes minor units v (>= 0) at exp as the parser
 * reads it back: groups of three separated by a space, a point and exp
 * digits ("12 500.50"; exp 0: "12 500"). Negative v is written with a
 * leading '-'. Returns out (cap bytes, KT_AMOUNT_TEXT_MAX suffice). */
char *kt_amount_format(int64_t v, unsigned exp, char *out, size_t cap);

#endif
