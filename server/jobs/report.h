/* SPDX-License-Identifier: MIT */
/* The sections of a report that read the client base (issue 9,
 * docs/WORKDAY.md "Reports"): clients by status, new cards and new
 * clients per month, the conversion of the window's new cards, deals won
 * per month and currency, and the sources of clients. Read from the
 * indexes on a thread-pool thread within the caller's own read
 * transaction: the scope's ids from cx_manager or cx_branch (every card:
 * the status keys of cx_status), the statuses and sources from cx_status
 * and cx_source, the new cards from a range of cx_created, the won deals
 * from the 'W' range of deal_ix, the day a card became a client from its
 * versions in client_history. Knows nothing of requests, users or
 * time zones: the op (ops/report.c) gives the scope and the month bounds
 * and adds what needs them (overdue tasks, counting, the audit). */
#ifndef KT_JOBS_REPORT_H
#define KT_JOBS_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "model/client_store.h"
#include "model/store.h"

#define KT_REPORT_MONTHS_MAX 36u     /* months of a window at most */
#define KT_REPORT_SOURCES_MAX 20u    /* sources shown, the rest counted */
#define KT_REPORT_WON_MAX 256u       /* month x currency rows at most */
#define KT_REPORT_SMALL 4u           /* a scope of at most this many cards
					counts them as rows shown */

/* What to report on. The scope is the cards managed by manager (when not
 * 0), of branch (when not 0), and of one of branches[nbranches] (when
 * nbranches > 0; the caller's own, for whoever does not see every
 * branch); all three absent: every card, unless none is set (a caller
 * who sees no branch: an empty scope). bounds[0..months] are the unix
 * times at which the window's months begin, ascending, bounds[months] the
 * end of the window (the next month's start). Borrowed for the call. */
typedef struct kt_report_query {
	uint64_t manager;
	uint64_t branch;
	const uint64_t *branches;
	size_t nbranches;
	int none;                          /* the scope is empty */
	unsigned months;                   /* 1..KT_REPORT_MONTHS_MAX */
	int64_t bounds[KT_REPORT_MONTHS_MAX + 1];
} kt_report_query_t;

typedef struct kt_report_won {
	unsigned month;                    /* index into the window */
	char currency[4];                  /* ISO 4217, NUL-terminated */
	uint32_t count;
	int64_t amount;                    /* minor units */
} kt_report_won_t;

typedef struct kt_report_source {
	char name[KT_CSTORE_WORD_MAX + 1]; /* as one of its cards spells it
					      ("Instagram"), else folded */
	uint32_t count;
	uint64_t sample;                   /* one of those cards */
} kt_report_source_t;

/* The sections. All counts are of cards (clients) of the scope. */
typedef struct kt_report {
	uint32_t clients;                  /* archived ones too */
	uint32_t leads, active, former;    /* not archived, by status */
	uint32_t archived;
	uint32_t new_cards[KT_REPORT_MONTHS_MAX];   /* created in month i */
	uint32_t new_clients[KT_REPORT_MONTHS_MAX]; /* became active in i */
	uint32_t won_deals[KT_REPORT_MONTHS_MAX];   /* won in i, any currency */
	uint32_t window_cards;             /* created in the window */
	uint32_t window_converted;         /* of them, active or former now */
	kt_report_won_t won[KT_REPORT_WON_MAX];     /* by month, currency */
	size_t nwon;
	uint32_t won_unlisted;             /* won deals past KT_REPORT_WON_MAX
					      rows (counted in won_deals) */
	kt_report_source_t sources[KT_REPORT_SOURCES_MAX]; /* most first */
	size_t nsources;
	uint32_t sources_more;             /* cards of sources not shown */
	uint32_t no_source;                /* cards without a source (not
					      archived, as the sources) */
	uint64_t small[KT_REPORT_SMALL];   /* the scope's card ids when
					      clients <= KT_REPORT_SMALL */
	size_t nsmall;
} kt_report_t;

/* kt_report_build fills *out (zeroed first) for q, reading inside txn
 * (any read transaction; the pool's own). Nothing in *out points into
 * LMDB. Returns 0, KT_EINVAL (months out of range or bounds not
 * ascending), KT_ENOMEM, KT_ESTORE, KT_EPROTO (an undecodable version or
 * deal). */
int kt_report_build(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_report_query_t *q, kt_report_t *out);

/* The month of the window that unix time t falls in, or -1 outside. */
int kt_report_month_of(const kt_report_query_t *q, int64_t t);

#endif
