/* SPDX-License-Identifier: MIT */
/* Client search and filtered lists over one read transaction: intersects
 * the index sets of the filter and of what the caller may see (smallest
 * first), counts the matches from the sets, and reads only the records of
 * the page, building one page of masked rows. */
#ifndef KT_CLIENT_QUERY_H
#define KT_CLIENT_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "kartoteka.pb-c.h"
#include "model/store.h"

/* Who asks: rows are limited to the clients this user may list. */
typedef struct kt_cq_caller {
	uint64_t id;
	uint32_t role;                 /* kartoteka.Role */
	const uint64_t *branches;
	size_t nbranches;
} kt_cq_caller_t;

/* Paging. A page never packs to more than KT_CQ_PAGE_BYTES (the rest of
 * the 65519-byte frame is headroom for the envelope). */
#define KT_CQ_LIMIT_DEFAULT 20u
#define KT_CQ_LIMIT_MAX 200u
#define KT_CQ_PAGE_BYTES 60000u

/* One page, copied out of LMDB: safe after the transaction ends. */
typedef struct kt_cq_page {
	uint8_t *packed;     /* kartoteka.ClientListResponse, malloc'd; owned
			        by the caller (free) */
	size_t len;
	uint64_t total;      /* matches over all pages */
	uint32_t rows;       /* rows in this page */
	uint64_t *ids;       /* [rows] the clients shown (for the day's
				distinct rows), malloc'd, owned likewise */
} kt_cq_page_t;

/* List filters; zero fields do not filter. */
typedef struct kt_cq_filter {
	uint64_t branch, manager;      /* ids */
	uint32_t status, category;     /* enum values */
	const char *tag, *source;      /* tag folded for comparison; source
					  compared folded, whole */
	/* About a person: a card matches when ONE of its people meets every
	 * one of these that is set (a March child aged 4 to 6, not a March
	 * parent and some child aged 5). */
	uint32_t birth_month;          /* the person's birth month
					  (children_only: a child's) */
	int children_only;
	uint32_t child_birth_year;     /* a child born in that year */
	uint32_t child_age_min, child_age_max; /* either set: a child of age
						  min..max (max 0 = open) */
	int64_t created_from, created_to; /* [from, to); to 0 = open */
	int include_archived;
	int64_t now;                   /* unix seconds, for ages */
	/* Segments (issue 9). The activity ones are read from
	 * client_activity (model/client_activity.h); a card never contacted
	 * counts as contacted before any date. Tri-states: 0 any, 1 yes,
	 * -1 no. */
	int64_t contacted_before;      /* last interaction < this, or none;
					  0 = no filter */
	int64_t contacted_after;       /* last interaction >= this; 0 = no
					  filter */
	int open_deal;                 /* has a deal in stage new/progress */
	int consent;                   /* consent_date present */
	int do_not_contact;            /* the card's do_not_contact */
	int64_t won_from, won_to;      /* won a deal closed in [from, to);
					  to 0 = open (deal_store.h) */
} kt_cq_filter_t;

/* kt_cq_filter_from_request fills f from list request lr (the filters of
 * `client list` and `export`), resolving branch and manager names inside
 * txn. A name that resolves to nothing (no such branch or login) gives a
 * filter that matches no card: it answers exactly like an existing name
 * with no card the caller can see, so a list does not tell which logins
 * or branches exist (DESIGN §4). The strings of f point into lr. now is
 * the time for children's ages. */
void kt_cq_filter_from_request(MDB_txn *txn, const kt_store_dbs_t *db,
    const Kartoteka__ClientListRequest *lr, int64_t now, kt_cq_filter_t *f);

/* kt_cquery_find searches text: with an '@' it is an e-mail, finding the
 * cards with exactly that address (normalised and folded, as cx_email
 * keeps them); a phone number (normalised with default_cc) finds the
 * cards holding exactly that phone; otherwise every folded word of text
 * must be a prefix of a word of the title or of a person's name. Rows are in id order, after cursor (empty, or the 8
 * bytes of a previous next_cursor), at most limit (0 = default).
 *   [out] page   see kt_cq_page_t
 *   [out] digest for the audit ("phone +7 *** ***-**-67" or the text),
 *                NUL-terminated, cap bytes
 *   [out] why    on KT_EINVAL: the problem, naming the field
 * Returns 0, KT_EINVAL, KT_ENOMEM, KT_ESTORE. */
int kt_cquery_find(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_cq_caller_t *who, const char *text, const char *default_cc,
    const uint8_t *cursor, size_t cursorlen, uint32_t limit,
    kt_cq_page_t *page, char *digest, size_t cap, const char **why);

/* kt_cquery_find_contract finds the cards whose contract number is
 * exactly contract once both are folded (case, ё/е, NFKC: cx_contract),
 * among those who may list; paged, digest and why as kt_cquery_find
 * (digest "contract N"). A card outside who's visibility is not found,
 * exactly like a missing one. Returns 0, KT_EINVAL, KT_ENOMEM,
 * KT_ESTORE. */
int kt_cquery_find_contract(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_cq_caller_t *who, const char *contract, const uint8_t *cursor,
    size_t cursorlen, uint32_t limit, kt_cq_page_t *page, char *digest,
    size_t cap, const char **why);

/* kt_cquery_list lists the cards matching f that who may list, paged as
 * kt_cquery_find. Returns 0, KT_EINVAL (why), KT_ENOMEM, KT_ESTORE. */
int kt_cquery_list(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_cq_caller_t *who, const kt_cq_filter_t *f,
    const uint8_t *cursor, size_t cursorlen, uint32_t limit,
    kt_cq_page_t *page, const char **why);

/* Frees page->packed and zeroes page. Accepts NULL. */
void kt_cquery_page_free(kt_cq_page_t *page);

/* Called for each card of kt_cquery_each. rec (and every pointer in it)
 * is valid only during the call. Return 0 to go on, anything else to stop
 * the walk with that result. */
struct Ktstore__ClientRecord;
typedef int (*kt_cq_each_fn)(const struct Ktstore__ClientRecord *rec,
    void *arg);

/* kt_cquery_each calls fn with the full record of every card matching f
 * that who may list, in id order (the cards kt_cquery_list would page
 * through), within txn, one record in memory at a time.
 *   [out] total  the matches, set before the first call of fn (read it
 *                from fn through arg's own pointer, if needed)
 *   [out] why    on KT_EINVAL: the problem, naming the field
 * Returns 0, fn's non-zero result, KT_EINVAL, KT_ENOMEM, KT_ESTORE,
 * KT_EPROTO (an undecodable record). */
int kt_cquery_each(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_cq_caller_t *who, const kt_cq_filter_t *f, uint64_t *total,
    kt_cq_each_fn fn, void *arg, const char **why);

#endif
