/* SPDX-License-Identifier: MIT */
/* Deals, orders and subscriptions (DealRecord, DESIGN §5): their records
 * in "deals", their index "deal_ix", and the client's activity record
 * (open deals, newest won, newest deal) kept up to date in the
 * transaction of every change. The ops (server/ops/deal.c) decide who may
 * do what; this module only keeps the records and indexes consistent.
 *
 * Keys of "deal_ix" (values are empty but for 'W' and 'v'), each starting
 * with a kind byte:
 *
 *   'c' client BE64 || deal BE64             every deal of a client
 *   'm' manager BE64 || deal BE64            who runs it
 *   'b' branch BE64 || deal BE64             the client's branch when the
 *                                            deal was last written
 *   's' stage (1 byte) || deal BE64
 *   't' created_at BE64 || deal BE64         by creation time
 *   'w' client BE64 || closed_at BE64 || deal BE64
 *                                            won deals only: "won a deal
 *                                            in a period" per client
 *   'v' valid_to day BE32 || deal BE64 -> client BE64
 *                                            subscriptions (valid_to set),
 *                                            day as YYYYMMDD (20261231);
 *                                            the value the client, so the
 *                                            agenda's renewals skip other
 *                                            clients' without reading them
 *                                            (empty in entries written
 *                                            before: the deal is read)
 *   'r' renewed deal BE64 || deal BE64       deals with `renews` set
 *   'W' closed_at BE64 || deal BE64 -> client BE64
 *                                            won deals by close time, the
 *                                            value the client: the client
 *                                            list's "won a deal in a
 *                                            period" (client_query.c reads
 *                                            it as an index of client ids)
 *
 * Times are unix seconds (never negative in a record: stored as given,
 * big-endian, so they sort). */
#ifndef KT_DEAL_STORE_H
#define KT_DEAL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "fields.h"
#include "model/store.h"
#include "records.pb-c.h"

#define KT_DEAL_TITLE_MAX 200u     /* bytes of a title */
#define KT_DEAL_COURSE_MAX 200u    /* bytes of a course or product */
#define KT_DEAL_NOTE_MAX 2000u     /* bytes of a note (multi-line) */
#define KT_DEAL_REASON_MAX 500u    /* bytes of a stage change's reason */
#define KT_DEAL_LESSONS_MAX 1000u
/* Amounts are below this many minor units (10^15: ten trillion roubles;
 * the CLI's parser in common/fields.c has the same limit). */
#define KT_DEAL_AMOUNT_LIMIT KT_AMOUNT_LIMIT

/* The index kinds (see above). */
enum {
	KT_DIX_CLIENT = 'c',
	KT_DIX_MANAGER = 'm',
	KT_DIX_BRANCH = 'b',
	KT_DIX_STAGE = 's',
	KT_DIX_CREATED = 't',
	KT_DIX_WON = 'w',
	KT_DIX_VALID_TO = 'v',
	KT_DIX_RENEWS = 'r',
	KT_DIX_WON_AT = 'W',
};

/* kt_deal_won_range gives the 'W' keys of deals won within [from, to)
 * (unix seconds; to 0 = open): lo <= key < hi compared over their 9 bytes
 * (the kind and closed_at), for a range walk over deal_ix. */
void kt_deal_won_range(int64_t from, int64_t to, uint8_t lo[static 9],
    uint8_t hi[static 9]);

/* 1 when stage (kartoteka.DealStage) counts as open: new or in progress. */
int kt_deal_open(uint32_t stage);

/* kt_deal_day reads a day "YYYY-MM-DD" into *out as YYYYMMDD (20261231).
 * Returns 0, or KT_EINVAL for anything else (a day that does not exist
 * too). */
int kt_deal_day(const char *s, uint32_t *out);

/* kt_deal_check checks the fields a user gives (title, amount, currency,
 * course, note, reason, period, lessons) of rec. On KT_EINVAL, why (cap
 * bytes) names the field and the problem ("title: is empty"). Returns 0
 * or KT_EINVAL. Does not look at the store (renews is the ops'). */
int kt_deal_check(const Ktstore__DealRecord *rec, char *why, size_t cap);

/* kt_deal_get reads deal id. [out] *out unpacked with allocator a (an
 * arena's: nothing to free; NULL: free with
 * ktstore__deal_record__free_unpacked). Any transaction. Returns 0,
 * KT_ENOTFOUND, KT_ESTORE, KT_EPROTO. */
struct ProtobufCAllocator;
int kt_deal_get(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    struct ProtobufCAllocator *a, Ktstore__DealRecord **out);

/* kt_deal_add stores rec as a new deal: rec->id gets the next id
 * ("ctr:deal"), rec->version 1; indexes and the client's activity record
 * follow. rec's fields are the caller's (checked with kt_deal_check).
 * Write transaction. Returns 0, KT_ENOSPC, KT_ESTORE, KT_ENOMEM,
 * KT_EPROTO. */
int kt_deal_add(kt_store_t *st, MDB_txn *txn, Ktstore__DealRecord *rec);

/* kt_deal_put stores next over old (the stored version of the same id):
 * next->version becomes old->version + 1; the indexes move from old to
 * next and the activity records of both clients are recomputed. The
 * caller has checked that the version it read is old's (stale:
 * KT_ECONFLICT to its caller). Neither is kept. Write transaction.
 * Returns 0, KT_ENOSPC, KT_ESTORE, KT_ENOMEM, KT_EPROTO. */
int kt_deal_put(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__DealRecord *old, Ktstore__DealRecord *next);

/* kt_deal_recount recomputes client's open_deals, last_won_at and
 * last_deal_at from its deals (a client has few) and stores them in its
 * activity record, the interaction fields untouched. Write transaction.
 * Returns 0, KT_ENOSPC, KT_ESTORE, KT_ENOMEM, KT_EPROTO. */
int kt_deal_recount(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t client);

/* Called for each deal of a walk. d (and every pointer in it) is valid
 * only during the call. Return 0 to go on; a positive value stops the walk
 * before d (d not taken: a page is full); a negative one stops it with
 * that result. */
typedef int (*kt_deal_fn)(const Ktstore__DealRecord *d, void *arg);

/* kt_deal_each_of_client calls fn for every deal of client, oldest first.
 * Any transaction. Returns 0, fn's result, KT_ESTORE, KT_EPROTO,
 * KT_ENOMEM. */
int kt_deal_each_of_client(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t client, kt_deal_fn fn, void *arg);

/* kt_deal_renewals_due calls fn(d, arg) for every subscription d (valid_to
 * set) whose valid_to is within [from_day, to_day] (YYYYMMDD, both
 * included), whose stage is not lost, and that no deal renews (a deal
 * whose `renews` is d's id and whose stage is not lost), in order of
 * valid_to. The agenda's renewal calls. clients (normalized,
 * client_store.h; NULL: every client) keeps only those clients'
 * subscriptions, and the others are not read. It does not check
 * visibility: that is the caller's clients. Any transaction. Returns 0, fn's
 * non-zero result, KT_ESTORE, KT_EPROTO, KT_ENOMEM. */
struct kt_idset;
int kt_deal_renewals_due(MDB_txn *txn, const kt_store_dbs_t *db,
    uint32_t from_day, uint32_t to_day, const struct kt_idset *clients,
    kt_deal_fn fn, void *arg);

/* kt_deal_won_between: 1 when client has a won deal closed within
 * [from, to) (unix seconds; to 0 = open), else 0; from the 'w' index
 * alone. Any transaction. Returns 1, 0, or KT_ESTORE. */
int kt_deal_won_between(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t client, int64_t from, int64_t to);

/* What kt_deal_walk lists: zero fields do not filter. */
typedef struct kt_deal_query {
	uint64_t client;
	uint64_t manager;        /* who runs the deal */
	uint64_t branch;         /* the deal's branch (see 'b') */
	uint32_t stage;          /* kartoteka.DealStage */
	int64_t from, to;        /* [from, to): closed_at when stage is won
				    or lost, created_at otherwise; to 0 =
				    open */
} kt_deal_query_t;

#define KT_DEAL_CURSOR_MAX 17u  /* bytes of a walk's cursor */
/* Index entries one walk reads at most (a request on the loop stays
 * short however few of them match): past it the walk stops with a
 * cursor, and the page may hold fewer deals, or none. */
#define KT_DEAL_WALK_MAX 5000u

/* kt_deal_walk calls fn for the deals matching q, newest first, after
 * cursor (ncursor bytes from a previous walk's *next; 0: from the start;
 * hostile bytes, checked here). It reads the narrowest index q allows
 * (client, manager, branch, stage, else creation time), at most
 * KT_DEAL_WALK_MAX entries.
 *   [out] next   KT_DEAL_CURSOR_MAX bytes: where a next page starts, when
 *                fn or KT_DEAL_WALK_MAX stopped the walk (*nnext its
 *                length); *nnext 0 when the walk reached the end
 * Returns 0, fn's negative result, KT_EINVAL (a cursor not of this
 * query), KT_ESTORE, KT_EPROTO, KT_ENOMEM. */
int kt_deal_walk(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_deal_query_t *q, const uint8_t *cursor, size_t ncursor,
    kt_deal_fn fn, void *arg, uint8_t next[static KT_DEAL_CURSOR_MAX],
    size_t *nnext);

/* kt_deal_purge_client deletes every deal of client with its index keys
 * (the activity record is client_links' to drop). [out] *n deals deleted.
 * Write transaction. Returns 0, KT_ESTORE, KT_EPROTO, KT_ENOMEM. */
int kt_deal_purge_client(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t client, size_t *n);

/* kt_deal_move_client gives every deal of from to into (a merge: the card
 * that stays), with into's branch, a new version and updated_at now, and
 * recomputes both activity records. [out] *n deals moved. Write
 * transaction. Returns 0, KT_ENOSPC, KT_ESTORE, KT_EPROTO, KT_ENOMEM. */
int kt_deal_move_client(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t from, uint64_t into, int64_t now, size_t *n);

/* kt_deal_offboard gives the open deals run by leaver to `to` (a new
 * version, updated_at now). [out] *n deals given. Write transaction.
 * Returns 0, KT_ENOSPC, KT_ESTORE, KT_EPROTO, KT_ENOMEM. */
int kt_deal_offboard(MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t leaver, uint64_t to, int64_t now, size_t *n);

#endif
