/* SPDX-License-Identifier: MIT */
/* Grouping the rows of an import file into cards: rows that share a
 * phone or an e-mail, or the same family name and address, join one card
 * (one row per person becomes one card per family; one row per family
 * stays as it is). The rows are kept packed; a card is merged from its
 * rows when asked for. */
#ifndef KT_IMPORT_GROUP_H
#define KT_IMPORT_GROUP_H

#include <stddef.h>

#include "arena.h"
#include "kartoteka.pb-c.h"

typedef struct kt_igroup kt_igroup_t;

/* Returns 0 or KT_ENOMEM; *out is freed with kt_igroup_free. */
int kt_igroup_new(kt_igroup_t **out);
void kt_igroup_free(kt_igroup_t *g);   /* accepts NULL */

/* kt_igroup_add keeps a packed copy of card (a row mapped by
 * kt_imap_row) read from line, and joins it with the earlier rows it
 * shares a key with. Not after kt_igroup_finish.
 * Returns 0, KT_ENOMEM, KT_ETOOBIG (more than 2^32-1 rows or 4 GiB). */
int kt_igroup_add(kt_igroup_t *g, size_t line, const Kartoteka__Client *card);

/* kt_igroup_finish ends the adding and numbers the cards in the order of
 * their first rows. Returns 0 or KT_ENOMEM. */
int kt_igroup_finish(kt_igroup_t *g);

/* The number of rows added, and of cards (after kt_igroup_finish). */
size_t kt_igroup_rows(const kt_igroup_t *g);
size_t kt_igroup_cards(const kt_igroup_t *g);

/* kt_igroup_card merges card i (< kt_igroup_cards) from its rows: the
 * first row's card, with the people of the later rows added (a person of
 * the same name gets the new phones instead), and their fields where the
 * first has none (notes and tags add up).
 *   [out] card   in arena a (valid until it is reset)
 *   [out] lines  the card's rows' lines, ascending, *nlines of them;
 *                owned by g
 * Returns 0, KT_ENOMEM, KT_EPROTO (a kept row does not unpack). */
int kt_igroup_card(const kt_igroup_t *g, size_t i, kt_arena_t *a,
    Kartoteka__Client **card, const size_t **lines, size_t *nlines);

/* kt_igroup_lines: the lines of card i's rows (< kt_igroup_cards), as
 * kt_igroup_card gives them, without merging the card. */
void kt_igroup_lines(const kt_igroup_t *g, size_t i, const size_t **lines,
    size_t *nlines);

#endif
