/* SPDX-License-Identifier: MIT */
/* A deterministic generator of realistic Russian families (client cards)
 * for demos and load tests: family k is always the same family, and the
 * parents' phone numbers never repeat across k.
 *
 * Everything lives in caller-owned structs; nothing is allocated and there
 * is no global mutable state, so any number of threads may generate at once.
 * Strings are UTF-8. Pointers to const char inside kt_family_t point at
 * static tables and live for the whole program. */
#ifndef KT_FAMILIES_H
#define KT_FAMILIES_H

#include <stddef.h>
#include <stdint.h>

#include "kartoteka.pb-c.h"

#define KT_FAMILY_PEOPLE_MAX 5u   /* mother, father, up to 3 children */
#define KT_FAMILY_CHILDREN_MAX 3u
#define KT_FAMILY_TAGS_MAX 3u
#define KT_FAMILY_PHONE_LEN 13u   /* "+79xxxxxxxxx" + NUL */

/* One surname in its three forms. A surname that does not decline (Ким,
 * Шевченко, Черных) has the same male and female form, and its family title
 * is "<surname> (семья)" instead of a plural. */
typedef struct kt_surname {
	const char *male;             /* "Иванов", "Вишневский", "Ким" */
	const char *female;           /* "Иванова", "Вишневская", "Ким" */
	const char *plural;           /* "Ивановы", "Вишневские"; NULL: does
	                               * not decline */
} kt_surname_t;

typedef struct kt_family_person {
	char name[80];                /* "Анна Иванова": first name, surname in
	                               * the person's gender form */
	Kartoteka__Relation relation; /* PARENT or CHILD */
	int female;                   /* 1 for mother and daughters */
	unsigned birth_year;          /* always known (never 0) */
	unsigned birth_month;         /* 1..12 */
	unsigned birth_day;           /* valid for the month and year */
	char phone[KT_FAMILY_PHONE_LEN]; /* E.164, "" = none (children) */
	char email[96];               /* "" = none */
	char note[192];               /* interests, "" = none */
} kt_family_person_t;

typedef struct kt_family {
	uint64_t k;                   /* the family number it was made from */
	const kt_surname_t *surname;  /* static table entry */
	char title[80];               /* "Ивановы", "Шевченко (семья)" */
	kt_family_person_t people[KT_FAMILY_PEOPLE_MAX]; /* mother first, then
	                               * the father if any, then children */
	size_t npeople;
	size_t nchildren;
	Kartoteka__ClientStatus status; /* ACTIVE 60 %, LEAD 25 %,
	                               * FORMER 15 % */
	Kartoteka__Category category;
	const char *source;           /* "Instagram", "сарафанное радио", ... */
	const char *tags[KT_FAMILY_TAGS_MAX]; /* distinct, static strings */
	size_t ntags;
	char notes[160];              /* "" = none */
	char consent_date[11];        /* "YYYY-MM-DD", "" = none */
	char contract[24];            /* "Д-000123", "" = none; unique per k */
	unsigned discount_percent;    /* 0, 5, 10 or 15 */
	const char *leaving_reason;   /* FORMER only, else "" */
	int do_not_contact;
} kt_family_t;

/* Protobuf views of one family, filled by kt_family_to_client. */
typedef struct kt_family_pb {
	Kartoteka__Person people[KT_FAMILY_PEOPLE_MAX];
	Kartoteka__Person *people_ptrs[KT_FAMILY_PEOPLE_MAX];
	char *phones[KT_FAMILY_PEOPLE_MAX][1];
	char *tags[KT_FAMILY_TAGS_MAX];
} kt_family_pb_t;

/* kt_family_make fills *out with family number k.
 *   k            any number; the parents' phones are unique for every k
 *                below 5 * 10^8 (mother: "+79" and 9 digits from 2k,
 *                father: from 2k + 1, a bijection modulo 10^9); e-mail
 *                logins end in the digits of k, so they are unique too
 *   branch_hint  varies everything but the phones and the k in e-mail
 *                logins and contract numbers (a demo base with several
 *                branches need not repeat the same families in each); 0
 *                for the plain sequence
 * The same (k, branch_hint) always gives the same family. Never fails. */
void kt_family_make(uint64_t k, unsigned branch_hint, kt_family_t *out);

/* kt_family_phone writes the phone of family k's mother (father = 0) or
 * father (father = 1) into out, exactly as kt_family_make does (a father
 * the family does not have still has a number reserved). */
void kt_family_phone(uint64_t k, int father,
    char out[static KT_FAMILY_PHONE_LEN]);

/* kt_family_to_client makes *out a Kartoteka__Client describing f, for a
 * ClientAddRequest. Nothing is allocated: out's strings point into f and
 * its sub-messages and arrays into pb, so out is valid while both live
 * unchanged. The strings are not const in protobuf-c's types but are only
 * read (packing). out->branch and out->manager are left empty ("") for the
 * caller to set. */
void kt_family_to_client(const kt_family_t *f, Kartoteka__Client *out,
    kt_family_pb_t *pb);

/* kt_family_surnames returns the static surname table and its length in
 * *n (the bench takes search prefixes from it). */
const kt_surname_t *kt_family_surnames(size_t *n);

#endif
