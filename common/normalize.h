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

/* About why in the parsers below: the caller's buffer. If why is not
 * NULL, on error why->text gets an English sentence that quotes the input
 * ("phone '12' is too short"; at most 40 bytes of it, control characters
 * and invalid UTF-8 shown as '?'). Because it quotes the input it is not
 * a gettext msgid: print it as it is. On success why is not touched. */
typedef struct kt_why {
	char text[192];
} kt_why_t;

/* kt_phone_normalize turns a phone as typed into E.164 ("+79123456789").
 *   [in]  in          the phone as typed (NULL is treated as empty)
 *   [in]  default_cc  country calling code digits used when the number has
 *                     no "+" ("7" for Russia); 1..3 digits, not starting
 *                     with 0. NULL or "" means there is no default: the
 *                     number must start with "+".
 *   [out] out         "+" and 8..15 digits; "" on error (out may be the
 *                     buffer in points to)
 *   [out] why         see above; may be NULL
 * Accepts spaces, dashes, dots, parentheses (also NBSP, thin spaces and
 * Unicode dashes, as pasted from documents); anything else is an error,
 * and so is a "+" after the first digit.
 *   "+" numbers: the digits are kept (8..15 of them, the first not 0);
 *     "+7" numbers must have exactly 10 digits after the 7.
 *   default_cc "7": 11 digits starting with 7 or 8 (8 is the trunk prefix,
 *     '8 (912) 345-67-89') become +7 and the last 10 digits; 10 digits
 *     alone are a national number ('9123456789', '8123456789' is
 *     St Petersburg); a national number starting with 0 is an error.
 *   other default_cc: a leading "00" is the international prefix (the
 *     rest is read as after "+"); otherwise one leading trunk "0" is
 *     dropped and default_cc is put in front ("49" + '030 1234567' ->
 *     "+49301234567"). Other trunk prefixes (NANP's 1) are not known: such
 *     numbers must be typed with "+". (Superseded for national numbers:
 *     they are read by their country's own rules, below.)
 * Then the numbering plan (libphonenumber via common/phone.h) decides:
 * the result must be a valid number of its country ('8 (912) 345-67-8'
 * and '+7 (012) 345-67-89' are refused, '812 345-67-89' and '+7 701 ...'
 * accepted), and a national number of a default_cc other than 7 is read
 * by that country's trunk prefix and lengths (Italy keeps its 0); why
 * says what is wrong ("is too short for a number of ...", "is not a
 * valid number of ...").
 * Returns 0 or KT_EINVAL. */
int kt_phone_normalize(const char *in, const char *default_cc,
    char out[static KT_PHONE_MAX], kt_why_t *why);

/* kt_email_normalize checks an address and lower-cases the domain (ASCII
 * letters only; the local part is kept as typed).
 *   [in]  in   the address (NULL is treated as empty)
 *   [out] out  the normalised address; "" on error (out may be the
 *              buffer in points to)
 *   [out] why  see above; may be NULL
 * Rules: valid UTF-8, at most 254 bytes, no spaces or control characters,
 * exactly one '@'. Local part: 1..64 bytes of letters, digits, non-ASCII
 * characters and !#$%&'*+-/=?^_`{|}~ and '.', not at either end and not
 * doubled (quoted local parts are refused). Domain: at least one dot;
 * labels of 1..63 bytes made of [A-Za-z0-9-] or non-ASCII (IDN, kept as
 * typed, not converted to punycode), not starting or ending with '-'.
 * Returns 0 or KT_EINVAL. */
int kt_email_normalize(const char *in, char out[static KT_EMAIL_MAX],
    kt_why_t *why);

/* A date whose year may be unknown (birthdays). */
typedef struct kt_date {
	unsigned year;   /* 0 = unknown */
	unsigned month;  /* 1..12 */
	unsigned day;    /* 1..31, valid for the month (29.02 allowed with an
			    unknown year) */
} kt_date_t;

/* kt_date_parse accepts "YYYY-MM-DD", "DD.MM.YYYY", "--MM-DD" and "DD.MM"
 * (year unknown). In the dotted forms day and month may have 1 or 2
 * digits ("1.2.1990"); the ISO forms need exactly 2. Years 1900..2100.
 * The day must exist in the month: 29.02 only in leap years or with an
 * unknown year. No surrounding spaces.
 *   [in]  in   the date as typed (NULL is treated as empty)
 *   [out] out  the date; zeroed on error
 *   [out] why  see above; may be NULL
 * Returns 0 or KT_EINVAL. */
int kt_date_parse(const char *in, kt_date_t *out, kt_why_t *why);

/* kt_date_format writes "YYYY-MM-DD" or "--MM-DD" (year 0) into out
 * (11 bytes). A NULL or invalid date (as kt_date_parse would refuse)
 * gives "". */
void kt_date_format(const kt_date_t *d, char out[static 11]);

/* kt_text_fold folds UTF-8 text for search: Unicode case folding with NFKC
 * (libunistring u8_casefold, no language tailoring), then 'ё' -> 'е' (and
 * so 'Ё' -> 'е'): 'Ёлкина', 'елкина' and 'ЕЛКИНА' fold to the same bytes;
 * 'ß' folds to "ss".
 *   [in]  in   NUL-terminated UTF-8
 *   [out] out  receives at most cap-1 bytes and a NUL; "" on error
 *   [in]  cap  size of out
 * Returns 0, KT_EINVAL (in or out NULL, not valid UTF-8), KT_ENOSPC (the
 * folded text does not fit, or cap is 0), KT_ENOMEM. */
int kt_text_fold(const char *in, char *out, size_t cap);

/* kt_text_words calls fn for each word of folded text, in order. A word is
 * a run of alphabetic characters and decimal digits of any script
 * (combining marks inside a word belong to it, as a stress mark in
 * "Петро́в"); everything else, hyphens and apostrophes included,
 * separates: "петрова-водкина" is two words. Invalid UTF-8 bytes
 * separate. word points into folded and is not NUL-terminated: len bytes.
 * fn returns 0 to go on.
 * Returns 0, KT_EINVAL (folded or fn NULL) or the first non-zero value fn
 * returned. */
int kt_text_words(const char *folded,
    int (*fn)(const char *word, size_t len, void *arg), void *arg);

/* kt_utf8_valid: 1 if s is valid UTF-8 (no overlongs, surrogates or code
 * points above U+10FFFF) without control characters (C0, DEL, C1), except
 * '\n' and '\t' when allow_newline is non-zero; otherwise (or s NULL) 0. */
int kt_utf8_valid(const char *s, int allow_newline);

/* kt_utf8_width: display columns of s (wide characters count 2, combining
 * marks 0, control characters 0; East Asian ambiguous characters 1), for
 * aligned tables. Invalid UTF-8 counts 1 a byte. NULL gives 0. */
size_t kt_utf8_width(const char *s);

/* Masks for list rows. Every input is handled; out gets a NUL-terminated
 * string of at most cap-1 bytes, or "" when the mask does not fit (never
 * a cut mask); nothing when out is NULL or cap is 0.
 * kt_mask_phone: "+79123456789" -> "+7 *** ***-**-89"; other E.164
 *   numbers show the country code (its length from the ITU table: 1, 7
 *   one digit, the assigned 2-digit codes, else 3) and the last 2 digits:
 *   "+4930123456" -> "+49 *** ** 56". Anything that is not "+" and 8..15
 *   digits gives "***".
 * kt_mask_email: the first character of the local part, "***", and the
 *   domain: "ivan@mail.ru" -> "i***@mail.ru"; a 1-character local part
 *   gives "*@mail.ru". Not one '@', an empty side, invalid UTF-8 or
 *   control characters give "***". */
void kt_mask_phone(const char *e164, char *out, size_t cap);
void kt_mask_email(const char *email, char *out, size_t cap);

#endif
