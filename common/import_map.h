/* SPDX-License-Identifier: MIT */
/* From a table's rows to client cards for import: recognises the usual
 * Russian and English column headers (and takes a mapping file for the
 * rest), and turns each row into a kartoteka.Client with its people,
 * phones (several in one cell), e-mails, dates as people type them
 * (12.03.2018, 2018-03-12, 12/03/2018, Excel serial numbers), status,
 * category and discount, refusing a row with a reason that names its
 * column. No network, no files: the functions see only their arguments. */
#ifndef KT_IMPORT_MAP_H
#define KT_IMPORT_MAP_H

#include <stddef.h>

#include "arena.h"
#include "import_table.h"
#include "kartoteka.pb-c.h"
#include "normalize.h"

/* What a column holds. */
typedef enum kt_ifield {
	KT_IF_IGNORE = 0,
	KT_IF_FULLNAME,      /* ФИО: "Иванова Мария Петровна" */
	KT_IF_LAST,          /* Фамилия */
	KT_IF_FIRST,         /* Имя */
	KT_IF_MIDDLE,        /* Отчество */
	KT_IF_PHONE,         /* one or several, ", ; / or newline" apart */
	KT_IF_EMAIL,
	KT_IF_BIRTH,
	KT_IF_CHILD,         /* "Петя (12.03.2018), Маша" */
	KT_IF_CHILD_BIRTH,   /* the birth date of the one child */
	KT_IF_BRANCH,
	KT_IF_MANAGER,
	KT_IF_SOURCE,
	KT_IF_NOTE,
	KT_IF_STATUS,
	KT_IF_CATEGORY,
	KT_IF_CONTRACT,
	KT_IF_DISCOUNT,
	KT_IF_ADDRESS,
	KT_IF_TITLE,         /* the card's title: Семья, Компания */
	KT_IF_TAGS,
	KT_IF_CUSTOM,        /* a custom field named by the mapping file */
	KT_IF_COUNT
} kt_ifield_t;

/* The field's name in mapping files and messages ("phone"). */
const char *kt_ifield_name(kt_ifield_t f);

#define KT_IMAP_RULES_MAX 128u

/* The mapping of one file's columns. Zero-initialise, set im_cc (and the
 * defaults), optionally kt_imap_rules, then kt_imap_header. Free with
 * kt_imap_free. */
typedef struct kt_imap {
	const char *im_cc;          /* country code for phones without "+":
				       "7"; borrowed */
	const char *im_branch;      /* branch of rows that name none, or
				       NULL; borrowed */
	const char *im_manager;     /* manager login likewise; borrowed */
	/* the mapping file's rules: header key -> field (owned) */
	size_t im_nrules;
	char *im_rule_key[KT_IMAP_RULES_MAX];
	kt_ifield_t im_rule_field[KT_IMAP_RULES_MAX];
	char *im_rule_custom[KT_IMAP_RULES_MAX];
	/* the columns, from the header row (owned) */
	size_t im_ncols;
	char *im_header[KT_IMPORT_COLS_MAX];     /* as in the file */
	kt_ifield_t im_field[KT_IMPORT_COLS_MAX];
	const char *im_custom[KT_IMPORT_COLS_MAX]; /* KT_IF_CUSTOM: its name
						     (a rule's) */
	int im_by_rule[KT_IMPORT_COLS_MAX];      /* chosen by the mapping
						    file */
} kt_imap_t;

/* kt_imap_rules reads a mapping file (len bytes of UTF-8): one rule a
 * line, "Column header = field" where field is a kt_ifield_name,
 * "ignore", or "custom:NAME"; blank lines and lines starting with '#' are
 * skipped. A rule's header is matched like the built-in names (case,
 * 'ё', punctuation, a trailing number do not matter).
 * Returns 0, KT_EINVAL (err: "line 3: 'foo' is not a field (...)"),
 * KT_ENOMEM. */
int kt_imap_rules(kt_imap_t *m, const char *text, size_t len, char *err,
    size_t cap);

/* kt_imap_header chooses each column's field from the header row: a rule
 * of the mapping file first, else the built-in names. A file needs a name
 * (ФИО, or Фамилия/Имя, or a title) or a phone or an e-mail column, and
 * one column of each kind at most except phones, e-mails, children and
 * notes (which add up) and ignored ones.
 * Returns 0, KT_EINVAL (err names the column), KT_ENOMEM. */
int kt_imap_header(kt_imap_t *m, const kt_irow_t *header, char *err,
    size_t cap);

/* Frees what m owns (not the borrowed strings). Accepts NULL. */
void kt_imap_free(kt_imap_t *m);

/* kt_imap_row turns one data row into a card: people (the row's person,
 * then its children), normalised phones and e-mails, dates, the fields.
 * Branch and manager come from the row or m's defaults, by name.
 *   [out] out  in arena a (every string too): valid until a is reset
 *   [out] why  on KT_EINVAL, the reason naming the column:
 *              "Телефон: phone '12' is too short"
 * An empty row (every cell blank) is KT_ENOTFOUND: skip it.
 * Returns 0, KT_EINVAL, KT_ENOTFOUND, KT_ENOMEM. */
int kt_imap_row(const kt_imap_t *m, const kt_irow_t *row, kt_arena_t *a,
    Kartoteka__Client **out, char *why, size_t cap);

/* kt_imap_date reads a date as people type it: those of kt_date_parse,
 * "DD/MM/YYYY", "DD-MM-YYYY", with a time after a space ("12.03.2018
 * 0:00:00") or a trailing "г." ignored, and an Excel serial number
 * (1900 date system, "43171" = 2018-03-12; a fraction is the time of
 * day). Returns 0 or KT_EINVAL (why). */
int kt_imap_date(const char *s, kt_date_t *out, kt_why_t *why);

/* kt_imap_key normalises a column header for matching into out (cap
 * bytes): folded, runs of anything but letters and digits as one space,
 * trimmed, a trailing number dropped ("Телефон 2" -> "телефон", "E-mail"
 * -> "e mail"). Returns 0 or KT_EINVAL (not valid UTF-8, or too long). */
int kt_imap_key(const char *header, char *out, size_t cap);

#endif
