/* SPDX-License-Identifier: MIT */
/* Normalisation of what people type: phone numbers to E.164, e-mail
 * addresses, dates, and text folded for search (Unicode case folding and
 * NFKC via libunistring, 'ё' -> 'е'); and masking of contacts for lists. */
#ifndef KT_NORMALIZE_H
#define KT_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#define KT_PHONE_MAX 17u   /* "+" + 15 digits + NUL */
#define KT_EMAIL_MAX 255u  /* incl. NUL */

/* kt_phone_normalize turns a phone as typed into E.164 ("+79123456789").
 *   default_cc  country calling code digits used when the number has no
 *               "+" ("7" for Russia); with "7", a leading 8 followed by 10
 *               digits is the trunk prefix ('8 (912) 345-67-89'), and 10
 *               digits alone are a national number ('9123456789').
 * Accepts spaces, dashes, dots, parentheses; anything else is an error.
 * On error *why names the problem ("phone '12' is too short").
 * Returns 0 or KT_EINVAL. */
int kt_phone_normalize(const char *in, const char *default_cc,
    char out[static KT_PHONE_MAX], const char **why);

/* kt_email_normalize checks an address (local@domain, one '@', a dot in
 * the domain, no spaces or control characters, at most 254 bytes) and
 * lower-cases the domain. Returns 0 or KT_EINVAL with *why. */
int kt_email_normalize(const char *in, char out[static KT_EMAIL_MAX],
    const char **why);

/* A date whose year may be unknown (birthdays). */
typedef struct kt_date {
	unsigned year;   /* 0 = unknown */
	unsigned month;  /* 1..12 */
	unsigned day;    /* 1..31, valid for the month (29.02 allowed with an
			    unknown year) */
} kt_date_t;

/* kt_date_parse accepts "YYYY-MM-DD", "DD.MM.YYYY", "--MM-DD" and "DD.MM"
 * (year unknown). Years 1900..2100. Returns 0 or KT_EINVAL with *why. */
int kt_date_parse(const char *in, kt_date_t *out, const char **why);

/* kt_date_format writes "YYYY-MM-DD" or "--MM-DD" into out (11 bytes). */
void kt_date_format(const kt_date_t *d, char out[static 11]);

/* kt_text_fold folds UTF-8 text for search: NFKC, Unicode case folding,
 * 'ё'/'Ё' -> 'е'. out receives at most cap-1 bytes and a NUL.
 * Returns 0, KT_EINVAL (not valid UTF-8), KT_ENOSPC. */
int kt_text_fold(const char *in, char *out, size_t cap);

/* kt_text_words calls fn for each word of folded text (letters and digits;
 * everything else separates), in order. fn returns 0 to go on.
 * Returns 0 or what fn returned. */
int kt_text_words(const char *folded,
    int (*fn)(const char *word, size_t len, void *arg), void *arg);

/* kt_utf8_valid: 1 if s is valid UTF-8 without control characters other
 * than '\n' and '\t' (allow_newline) or none at all. */
int kt_utf8_valid(const char *s, int allow_newline);

/* kt_utf8_width: display columns of s (wide characters count 2, combining
 * marks 0), for aligned tables. Invalid UTF-8 counts 1 a byte. */
size_t kt_utf8_width(const char *s);

/* Masks for list rows: "+7 *** ***-**-67" (E.164 in), "i***@mail.ru". */
void kt_mask_phone(const char *e164, char *out, size_t cap);
void kt_mask_email(const char *email, char *out, size_t cap);

#endif
