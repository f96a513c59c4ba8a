/* SPDX-License-Identifier: MIT */
/* A client card as it comes in: turns a kartoteka.Client from the wire
 * into a ktstore.ClientRecord (validation with errors naming the field
 * path, phones to E.164, e-mails and dates checked, bounded lengths),
 * merges an edit's named fields into the stored card, and packs a card
 * within the size an answer can carry. No store, no network: the
 * functions here see only their arguments. */
#ifndef KT_CLIENT_CARD_H
#define KT_CLIENT_CARD_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "kartoteka.pb-c.h"
#include "model/store.h"
#include "records.pb-c.h"

/* A packed card never exceeds this, so an answer always fits a frame
 * (65519 bytes of plaintext) with the envelope and names around it. */
#define KT_CARD_MAX_BYTES 60000u

/* People on one card at most. */
#define KT_CARD_PEOPLE_MAX 32u

/* Editable fields of a card, by their Client field names. */
enum {
	KT_CARD_TITLE = 1u << 0,
	KT_CARD_STATUS = 1u << 1,
	KT_CARD_CATEGORY = 1u << 2,
	KT_CARD_PEOPLE = 1u << 3,
	KT_CARD_SOURCE = 1u << 4,
	KT_CARD_REFERRED = 1u << 5,
	KT_CARD_TAGS = 1u << 6,
	KT_CARD_NOTES = 1u << 7,
	KT_CARD_DNC = 1u << 8,
	KT_CARD_CONSENT = 1u << 9,
	KT_CARD_CONTRACT = 1u << 10,
	KT_CARD_DISCOUNT = 1u << 11,
	KT_CARD_LEAVING = 1u << 12,
	KT_CARD_CUSTOM = 1u << 13,
	KT_CARD_ADDRESS = 1u << 14,
	KT_CARD_ALL = (1u << 15) - 1,
};

/* Fields of one person, for person edit (PersonEditRequest.fields). */
enum {
	KT_PERSON_NAME = 1u << 0,
	KT_PERSON_RELATION = 1u << 1,
	KT_PERSON_BIRTH = 1u << 2,       /* year, month and day together */
	KT_PERSON_PHONES = 1u << 3,
	KT_PERSON_EMAIL = 1u << 4,
	KT_PERSON_NOTE = 1u << 5,
	KT_PERSON_ALL = (1u << 6) - 1,
};

/* The KT_PERSON_* bit of a person field name ("name", "birth", ...), or 0
 * when name is not one. */
unsigned kt_card_person_field_bit(const char *name);

/* kt_card_person_build checks the fields of person in named by bits
 * (KT_PERSON_*) like kt_card_build does for a card's people, and fills
 * them into p (initialised here; unnamed fields stay empty). path names
 * the person in errors ("person"). Borrows like kt_card_build.
 * Returns 0, KT_EINVAL (err names the field) or KT_ENOMEM. */
int kt_card_person_build(const Kartoteka__Person *in, unsigned bits,
    const char *path, int64_t now, const char *cc, kt_arena_t *a,
    Ktstore__PersonRecord *p, char *err, size_t cap);

/* kt_card_person_merge: out = old with the fields named by bits
 * (KT_PERSON_*) taken from in. out borrows both: never freed itself. */
void kt_card_person_merge(const Ktstore__PersonRecord *old,
    const Ktstore__PersonRecord *in, unsigned bits,
    Ktstore__PersonRecord *out);

/* The KT_CARD_* bit of a Client field name ("title", "people", ...), or
 * 0 when name is not an editable field. */
unsigned kt_card_field_bit(const char *name);

/* "title,people" for the audit: the names of the bits, never the data. */
void kt_card_fields_digest(unsigned bits, char *out, size_t cap);

/* kt_card_build checks the fields of in named by bits and fills them into
 * r (initialised by the caller). now (Unix seconds) bounds birth dates
 * (none after today, in the easternmost time zone); titles and names of
 * blanks only are refused; CRLF (or a lone CR) in multi-line text (notes,
 * person notes, address, leaving reason, custom values) is a line break,
 * stored as LF;
 * cc is the country calling code for phones typed without "+".
 *   [borrows] r points into in's strings and into arena a: keep both
 *             alive while r is used; nothing in r is freed by itself
 *   [out]     err  on KT_EINVAL, "people[1].phones[0]: ..." naming the
 *             field path and the problem
 * Returns 0, KT_EINVAL or KT_ENOMEM. */
int kt_card_build(const Kartoteka__Client *in, unsigned bits, int64_t now,
    const char *cc, kt_arena_t *a, Ktstore__ClientRecord *r, char *err,
    size_t cap);

/* kt_card_merge: out = old with the fields named by bits taken from in
 * (a record made by kt_card_build). out borrows old's and in's memory:
 * it is never freed itself. */
void kt_card_merge(const Ktstore__ClientRecord *old,
    const Ktstore__ClientRecord *in, unsigned bits,
    Ktstore__ClientRecord *out);

/* kt_card_pack packs r into *out (malloc'd; the caller frees it),
 * refusing cards over KT_CARD_MAX_BYTES with err naming the card.
 * Returns 0, KT_EINVAL or KT_ENOMEM. */
int kt_card_pack(const Ktstore__ClientRecord *r, uint8_t **out, size_t *len,
    char *err, size_t cap);

/* kt_card_wire fills out, the wire form of card rec (branch and manager
 * named inside txn; phones and e-mails masked when masked), with every
 * allocation in arena a; out points into rec and a. Returns 0 or
 * KT_ENOMEM. */
int kt_card_wire(MDB_txn *txn, const kt_store_dbs_t *db, kt_arena_t *a,
    const Ktstore__ClientRecord *rec, int masked, Kartoteka__Client *out);

/* 0 when card r holds at most the contacts a card may (8 phones, 8
 * e-mails in all), else KT_EINVAL with err naming the first one past. */
int kt_card_contacts_fit(const Ktstore__ClientRecord *r, char *err,
    size_t cap);

/* 1 when card rec (NULL: none) holds phone (is_phone; E.164) or e-mail
 * what (compared folded). */
int kt_card_has_contact(const Ktstore__ClientRecord *rec, const char *what,
    int is_phone);

/* 1 when going from card old to rec removes people or any of their
 * phones and e-mails: what a wipe looks like (DESIGN §7). */
int kt_card_loses_contacts(const Ktstore__ClientRecord *old,
    const Ktstore__ClientRecord *rec);

#endif
