/* SPDX-License-Identifier: MIT */
/* Deals, orders and subscriptions over the protocol: add, edit, stage and
 * list (docs/WORKDAY.md). Who may (DESIGN §4, class KT_ACT_DEAL): the
 * owner every deal, heads the deals of their branches' clients, managers
 * those of the clients they manage. A client, or a deal of a client,
 * outside what the caller may see answers exactly like a missing one,
 * decided on the loop from the indexes (no write); a visible client the
 * caller may not deal with is FORBIDDEN, audited. Changes run in the
 * writer, where the checks are made again, against the version the
 * caller read. Lists count the distinct clients they show against the
 * caller's daily row quota and are audited before they are answered. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "arena.h"
#include "fields.h"
#include "kt_error.h"
#include "model/authz.h"
#include "model/branch_store.h"
#include "model/client_store.h"
#include "model/deal_store.h"
#include "model/identity.h"
#include "model/user_day.h"
#include "model/user_store.h"
#include "ops/ops.h"
#include "records.pb-c.h"

/* Deals in one list page: the default and the most. */
#define PAGE_DEFAULT 50u
#define PAGE_MAX 200u
/* What one answer may carry of deals. */
#define ANSWER_BUDGET ((size_t)60000u)

/* The fields deal_edit may change. */
enum {
	F_TITLE = 1u << 0,
	F_AMOUNT = 1u << 1,
	F_CURRENCY = 1u << 2,
	F_COURSE = 1u << 3,
	F_NOTE = 1u << 4,
	F_PERIOD = 1u << 5,
	F_LESSONS = 1u << 6,
};

static const struct {
	const char *name;
	unsigned bit;
} edit_fields[] = {
	{ "title", F_TITLE }, { "amount", F_AMOUNT },
	{ "currency", F_CURRENCY }, { "course", F_COURSE },
	{ "note", F_NOTE }, { "period", F_PERIOD }, { "lessons", F_LESSONS },
};

static const char *const stage_names[] = { "", "new", "progress", "won",
	"lost" };

static const char *
stage_name(uint32_t s)
{
	return s < sizeof(stage_names) / sizeof(stage_names[0]) ?
	    stage_names[s] : "?";
}

/* ==== one change in flight ================================================ */

/* Everything a change needs after the request is gone. The results are
 * reset on every run of the mutation. */
typedef struct deal_st {
	kt_req_mut_fn part;
	int64_t now;
	uint64_t id, version;            /* edit, stage: the deal read */
	unsigned fields;                 /* edit: F_* */
	uint32_t stage;                  /* stage */
	uint8_t *in;                     /* packed DealRecord: add's new deal,
					    edit's new values (kept by r) */
	size_t inlen;
	kt_arena_t *wa;                  /* the mutation's arena */
	kt_verdict_t v;                  /* the result */
} deal_st_t;

static int
audit(kt_store_t *st, MDB_txn *txn, kt_req_t *r, kt_audit_action_t action,
    uint64_t id, uint32_t outcome, const char *detail)
{
	return kt_req_audit(st, txn, r, action, "deal", id, outcome, detail);
}

/* authz of KT_ACT_DEAL for r's caller on card: 0, KT_ENOTFOUND (answer
 * as missing), KT_EPERM. A purged card is missing. */
static int
may_deal(const kt_req_t *r, const Ktstore__ClientRecord *card)
{
	const kt_user_t *u = kt_req_caller(r);

	if (card->purged)
		return KT_ENOTFOUND;
	return kt_authz_client(u->id, u->role, u->branches, u->nbranches,
	    KT_ACT_DEAL, card->branch, card->manager);
}

/* ==== the deal on the wire ================================================= */

static char *
login_of(kt_arena_t *a, MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id)
{
	kt_user_t u;

	if (id == 0 || kt_user_load(txn, db, id, &u) != 0)
		return kt_arena_strdup(a, "");
	return kt_arena_strdup(a, u.login);
}

/* Fills *out (in arena a, nothing pointing into LMDB or d) from d of the
 * client card (for its title and branch). Returns 0 or KT_ENOMEM. */
static int
deal_wire(kt_arena_t *a, MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__DealRecord *d, const Ktstore__ClientRecord *card,
    Kartoteka__Deal *out)
{
	char branch[KT_NAME_MAX + 8];

	kartoteka__deal__init(out);
	out->id = d->id;
	out->client = d->client;
	out->client_title = kt_arena_strdup(a, card->title);
	out->manager = login_of(a, txn, db, d->manager);
	out->author = login_of(a, txn, db, d->author);
	out->title = kt_arena_strdup(a, d->title);
	out->amount = d->amount;
	out->currency = kt_arena_strdup(a, d->currency);
	out->stage = (Kartoteka__DealStage)d->stage;
	out->created_at = d->created_at;
	out->closed_at = d->closed_at;
	out->note = kt_arena_strdup(a, d->note);
	out->reason = kt_arena_strdup(a, d->reason);
	out->course = kt_arena_strdup(a, d->course);
	out->valid_from = kt_arena_strdup(a, d->valid_from);
	out->valid_to = kt_arena_strdup(a, d->valid_to);
	out->lessons = d->lessons;
	out->renews = d->renews;
	out->updated_at = d->updated_at;
	out->version = d->version;
	kt_branch_name(txn, db, card->branch, branch, sizeof(branch));
	out->branch = kt_arena_strdup(a, branch);
	if (out->client_title == NULL || out->manager == NULL ||
	    out->author == NULL || out->title == NULL ||
	    out->currency == NULL || out->note == NULL ||
	    out->reason == NULL || out->course == NULL ||
	    out->valid_from == NULL || out->valid_to == NULL ||
	    out->branch == NULL)
		return KT_ENOMEM;
	return 0;
}

/* Prepares the answer `deal` with d. Writer thread, inside txn. */
static int
deal_answer(kt_req_t *r, MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__DealRecord *d, const Ktstore__ClientRecord *card)
{
	deal_st_t *s = kt_req_state(r);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__DealResponse dr = KARTOTEKA__DEAL_RESPONSE__INIT;
	Kartoteka__Deal w;
	int rc;

	if ((rc = deal_wire(s->wa, txn, db, d, card, &w)) != 0)
		return rc;
	dr.deal = &w;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_DEAL;
	resp.deal = &dr;
	return kt_req_answer(r, &resp);
}

/* ==== the mutations ========================================================= */

/* Loads client id for a change and checks the caller may deal with it:
 * refuses s (NOT_FOUND as missing; FORBIDDEN audited under action, on
 * object deal) otherwise. *card in the mutation's arena when s->v.code is
 * OK. Returns 0 or a store error. */
static int
card_for(kt_store_t *st, MDB_txn *txn, kt_req_t *r, uint64_t client,
    uint64_t deal, kt_audit_action_t action, Ktstore__ClientRecord **card)
{
	deal_st_t *s = kt_req_state(r);
	int rc;

	rc = kt_cstore_get_with(txn, kt_store_dbs(st), client, &s->wa->pb,
	    card);
	if (rc == 0)
		rc = may_deal(r, *card);
	if (rc == KT_ENOTFOUND) {
		if (deal)
			kt_verdict_set(&s->v, KT_CODE_NOT_FOUND,
			    "no deal %" PRIu64, deal);
		else
			kt_verdict_set(&s->v, KT_CODE_NOT_FOUND,
			    "no client %" PRIu64, client);
		return 0;
	}
	if (rc == KT_EPERM) {
		kt_verdict_set(&s->v, KT_CODE_FORBIDDEN,
		    "you may not change deals of "
		    "client %" PRIu64 ": only its manager, a head of its "
		    "branch or the owner", client);
		return audit(st, txn, r, action, deal, KT_CODE_FORBIDDEN,
		    s->v.msg);
	}
	return rc;
}

/* The record packed on the loop, unpacked in the mutation's arena. */
static Ktstore__DealRecord *
taken(deal_st_t *s)
{
	return ktstore__deal_record__unpack(&s->wa->pb, s->inlen, s->in);
}

/* renews must name a subscription deal of client (not the deal itself). */
static int
check_renews(MDB_txn *txn, const kt_store_dbs_t *db, deal_st_t *s,
    uint64_t renews, uint64_t client)
{
	Ktstore__DealRecord *o = NULL;
	int rc;

	if (renews == 0)
		return 0;
	rc = kt_deal_get(txn, db, renews, &s->wa->pb, &o);
	if (rc == KT_ENOTFOUND || (rc == 0 && (o->client != client ||
	    o->valid_to == NULL || o->valid_to[0] == '\0'))) {
		kt_verdict_set(&s->v, KT_CODE_BAD,
		    "renews: no subscription %" PRIu64
		    " of client %" PRIu64, renews, client);
		return 0;
	}
	return rc;
}

static int
add_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	deal_st_t *s = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__ClientRecord *card = NULL;
	Ktstore__DealRecord *d = taken(s);
	char detail[80];
	int rc;

	if (d == NULL)
		return KT_ENOMEM;
	if ((rc = card_for(st, txn, r, d->client, 0, KT_AUDIT_DEAL_ADD,
	    &card)) != 0 || s->v.code != KT_CODE_OK)
		return rc;
	if ((rc = check_renews(txn, db, s, d->renews, d->client)) != 0 ||
	    s->v.code != KT_CODE_OK)
		return rc;
	/* The client's manager runs it; a card without one: the caller. */
	d->manager = card->manager ? card->manager : kt_req_caller(r)->id;
	d->author = kt_req_caller(r)->id;
	d->branch = card->branch;
	d->stage = KARTOTEKA__DEAL_STAGE__STAGE_NEW;
	d->created_at = s->now;
	d->updated_at = s->now;
	d->closed_at = 0;
	if ((rc = kt_deal_add(st, txn, d)) != 0)
		return rc;
	snprintf(detail, sizeof(detail), "client=%" PRIu64 " amount=%" PRId64
	    " %s", d->client, d->amount, d->currency);
	if ((rc = audit(st, txn, r, KT_AUDIT_DEAL_ADD, d->id, KT_CODE_OK,
	    detail)) != 0)
		return rc;
	return deal_answer(r, txn, db, d, card);
}

/* Loads deal s->id at the version read, and its client's card, for a
 * change under action: refusals in s. *old and *next (a copy to change)
 * in the mutation's arena. Returns 0 or a store error. */
static int
deal_for_change(kt_store_t *st, MDB_txn *txn, kt_req_t *r,
    kt_audit_action_t action, Ktstore__DealRecord **old,
    Ktstore__DealRecord **next, Ktstore__ClientRecord **card)
{
	deal_st_t *s = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	int rc;

	rc = kt_deal_get(txn, db, s->id, &s->wa->pb, old);
	if (rc == KT_ENOTFOUND) {
		kt_verdict_set(&s->v, KT_CODE_NOT_FOUND,
		    "no deal %" PRIu64, s->id);
		return 0;
	}
	if (rc != 0)
		return rc;
	if ((rc = card_for(st, txn, r, (*old)->client, s->id, action,
	    card)) != 0 || s->v.code != KT_CODE_OK)
		return rc;
	if ((*old)->version != s->version) {
		kt_verdict_set(&s->v, KT_CODE_CONFLICT,
		    "deal %" PRIu64 " was changed: "
		    "you read version %" PRIu64 ", it is at %" PRIu64
		    " now; read it again", s->id, s->version,
		    (*old)->version);
		return 0;
	}
	return kt_deal_get(txn, db, s->id, &s->wa->pb, next);
}

static int
edit_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	deal_st_t *s = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__DealRecord *old = NULL, *next = NULL, *in = taken(s);
	Ktstore__ClientRecord *card = NULL;
	char detail[160], why[200];
	size_t n = 0;
	int rc;

	if (in == NULL)
		return KT_ENOMEM;
	if ((rc = deal_for_change(st, txn, r, KT_AUDIT_DEAL_EDIT, &old, &next,
	    &card)) != 0 || s->v.code != KT_CODE_OK || old == NULL ||
	    next == NULL || card == NULL)
		return rc;
	if (s->fields & F_TITLE) next->title = in->title;
	if (s->fields & F_AMOUNT) next->amount = in->amount;
	if (s->fields & F_CURRENCY) next->currency = in->currency;
	if (s->fields & F_COURSE) next->course = in->course;
	if (s->fields & F_NOTE) next->note = in->note;
	if (s->fields & F_PERIOD) {
		next->valid_from = in->valid_from;
		next->valid_to = in->valid_to;
	}
	if (s->fields & F_LESSONS) next->lessons = in->lessons;
	if (kt_deal_check(next, why, sizeof(why)) != 0) {
		kt_verdict_set(&s->v, KT_CODE_BAD, "%s", why);
		return 0;
	}
	next->updated_at = s->now;
	if ((rc = kt_deal_put(txn, db, old, next)) != 0)
		return rc;
	n = (size_t)snprintf(detail, sizeof(detail), "client=%" PRIu64
	    " fields=", next->client);
	for (size_t i = 0; i < sizeof(edit_fields) / sizeof(edit_fields[0]);
	    i++)
		if ((s->fields & edit_fields[i].bit) && n < sizeof(detail))
			n += (size_t)snprintf(detail + n, sizeof(detail) - n,
			    "%s%s", detail[n - 1] == '=' ? "" : ",",
			    edit_fields[i].name);
	if ((rc = audit(st, txn, r, KT_AUDIT_DEAL_EDIT, s->id, KT_CODE_OK,
	    detail)) != 0)
		return rc;
	return deal_answer(r, txn, db, next, card);
}

static int
stage_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	deal_st_t *s = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__DealRecord *old = NULL, *next = NULL, *in = taken(s);
	Ktstore__ClientRecord *card = NULL;
	char detail[120];
	int rc;

	if (in == NULL)
		return KT_ENOMEM;
	if ((rc = deal_for_change(st, txn, r, KT_AUDIT_DEAL_STAGE, &old, &next,
	    &card)) != 0 || s->v.code != KT_CODE_OK || old == NULL ||
	    next == NULL || card == NULL)
		return rc;
	next->stage = s->stage;
	next->reason = in->reason;
	if (kt_deal_open(s->stage))
		next->closed_at = 0;
	else if (old->stage != s->stage || old->closed_at == 0)
		next->closed_at = s->now;
	next->updated_at = s->now;
	if ((rc = kt_deal_put(txn, db, old, next)) != 0)
		return rc;
	snprintf(detail, sizeof(detail), "client=%" PRIu64 " stage %s->%s",
	    next->client, stage_name(old->stage), stage_name(next->stage));
	if ((rc = audit(st, txn, r, KT_AUDIT_DEAL_STAGE, s->id, KT_CODE_OK,
	    detail)) != 0)
		return rc;
	return deal_answer(r, txn, db, next, card);
}

/* Every change: one arena for what it reads and answers, the op's part,
 * and the answer of a refusal. May run more than once. */
static int
deal_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	deal_st_t *s = kt_req_state(r);
	kt_arena_t wa;
	int rc;

	if (kt_arena_init(&wa, 16u << 10, 1u << 20) != 0)
		return KT_ENOMEM;
	s->wa = &wa;
	kt_verdict_ok(&s->v);
	rc = s->part(st, txn, r);
	if (rc == 0 && s->v.code != KT_CODE_OK)
		rc = kt_req_answer_error(r, s->v.code, "%s", s->v.msg);
	s->wa = NULL;
	kt_arena_free(&wa);
	return rc;
}

/* ==== the handlers ========================================================== */

/* Packs rec into s->in, kept by r. Returns 1, or 0 with r answered. */
static int
take(kt_req_t *r, deal_st_t *s, const Ktstore__DealRecord *rec)
{
	size_t len = ktstore__deal_record__get_packed_size(rec);

	s->in = malloc(len ? len : 1);
	if (s->in == NULL || kt_req_keep(r, s->in) != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return 0;
	}
	s->inlen = ktstore__deal_record__pack(rec, s->in);
	return 1;
}

/* The fields of a DealAddRequest as a record (pointing into in). */
static void
from_request(const Kartoteka__DealAddRequest *in, Ktstore__DealRecord *rec)
{
	rec->client = in->client;
	rec->title = in->title;
	rec->amount = in->amount;
	rec->currency = in->currency != NULL && in->currency[0] != '\0' ?
	    in->currency : "RUB";
	rec->course = in->course;
	rec->note = in->note;
	rec->valid_from = in->valid_from;
	rec->valid_to = in->valid_to;
	rec->lessons = in->lessons;
	rec->renews = in->renews;
	rec->reason = "";
}

static void
op_deal_add(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__DealAddRequest *in = msg->deal_add;
	deal_st_t *s = kt_req_state(r);
	Ktstore__DealRecord rec = KTSTORE__DEAL_RECORD__INIT;
	char why[200];

	s->part = add_mut;
	s->now = kt_now_s();
	from_request(in, &rec);
	if (kt_deal_check(&rec, why, sizeof(why)) != 0) {
		kt_req_fail(r, KT_CODE_BAD, "%s", why);
		return;
	}
	if (!kt_req_client_visible(r, in->client))
		return;
	if (take(r, s, &rec))
		kt_req_submit(r, deal_mut, NULL);
}

/* The quick look on the loop before a change of deal id: missing, or of a
 * client the caller cannot see, answers NOT_FOUND "no deal ID" (no
 * write). Returns 1, or 0 with r answered. */
static int
deal_visible(kt_req_t *r, uint64_t id)
{
	MDB_txn *txn = kt_req_txn(r);
	const kt_store_dbs_t *db = kt_store_dbs(kt_req_server(r)->store);
	Ktstore__DealRecord *d = NULL;
	int rc, seen = 0;

	if (txn == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "store unavailable");
		return 0;
	}
	rc = id ? kt_deal_get(txn, db, id, NULL, &d) : KT_ENOTFOUND;
	if (rc == 0) {
		seen = kt_cstore_visible_to(txn, db, kt_req_caller(r),
		    d->client);
		ktstore__deal_record__free_unpacked(d, NULL);
	} else if (rc != KT_ENOTFOUND) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "store unavailable");
		return 0;
	}
	if (!seen) {
		kt_req_fail(r, KT_CODE_NOT_FOUND, "no deal %" PRIu64, id);
		return 0;
	}
	return 1;
}

static void
op_deal_edit(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__DealEditRequest *er = msg->deal_edit;
	static const Kartoteka__DealAddRequest none =
	    KARTOTEKA__DEAL_ADD_REQUEST__INIT;
	deal_st_t *s = kt_req_state(r);
	Ktstore__DealRecord rec = KTSTORE__DEAL_RECORD__INIT;

	s->part = edit_mut;
	s->now = kt_now_s();
	s->id = er->id;
	s->version = er->version;
	if (er->version == 0) {
		kt_req_fail(r, KT_CODE_BAD, "version: is required (the "
		    "version of the deal you read)");
		return;
	}
	if (er->n_fields == 0) {
		kt_req_fail(r, KT_CODE_BAD, "fields: is empty");
		return;
	}
	for (size_t i = 0; i < er->n_fields; i++) {
		size_t j, n = sizeof(edit_fields) / sizeof(edit_fields[0]);
		for (j = 0; j < n; j++)
			if (strcmp(er->fields[i], edit_fields[j].name) == 0)
				break;
		if (j == n) {
			kt_req_fail(r, KT_CODE_BAD, "fields[%zu]: '%.40s' is "
			    "not one of title, amount, currency, course, "
			    "note, period, lessons", i, er->fields[i]);
			return;
		}
		s->fields |= edit_fields[j].bit;
	}
	from_request(er->deal != NULL ? er->deal : &none, &rec);
	if (!deal_visible(r, er->id))
		return;
	if (take(r, s, &rec))
		kt_req_submit(r, deal_mut, NULL);
}

static void
op_deal_stage(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__DealStageRequest *sr = msg->deal_stage;
	deal_st_t *s = kt_req_state(r);
	Ktstore__DealRecord rec = KTSTORE__DEAL_RECORD__INIT;
	const char *p;

	s->part = stage_mut;
	s->now = kt_now_s();
	s->id = sr->id;
	s->version = sr->version;
	s->stage = (uint32_t)sr->stage;
	if (sr->version == 0) {
		kt_req_fail(r, KT_CODE_BAD, "version: is required (the "
		    "version of the deal you read)");
		return;
	}
	if (s->stage < KARTOTEKA__DEAL_STAGE__STAGE_NEW ||
	    s->stage > KARTOTEKA__DEAL_STAGE__STAGE_LOST) {
		kt_req_fail(r, KT_CODE_BAD, "stage: is not one of new, "
		    "progress, won, lost");
		return;
	}
	if ((p = kt_text_problem(sr->reason, 0, KT_DEAL_REASON_MAX, 1)) !=
	    NULL) {
		kt_req_fail(r, KT_CODE_BAD, "reason: %s", p);
		return;
	}
	rec.reason = sr->reason;
	if (!deal_visible(r, sr->id))
		return;
	if (take(r, s, &rec))
		kt_req_submit(r, deal_mut, NULL);
}

/* ==== the list ============================================================== */

/* A page waiting for its count and audit entry. */
typedef struct list_st {
	uint8_t *packed;                 /* DealListResponse, kept by r */
	size_t len;
	uint64_t *ids;                   /* distinct clients shown, kept */
	uint32_t rows;
	int64_t now;
	char detail[300];
} list_st_t;

/* Counts the clients of the page as the caller's rows of the day (past
 * the quota the page is QUOTA_EXCEEDED) and audits it. May run more than
 * once: the page stays in the state. */
static int
rows_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	list_st_t *l = kt_req_state(r);
	kt_uday_who_t who = kt_req_counted(r, txn, l->now);
	uint32_t count = 0, fresh = 0, limit = 0;
	char detail[sizeof(l->detail) + 200];
	int rc;

	rc = kt_uday_rows(st, txn, &who, l->ids, l->rows, &count, &fresh,
	    &limit);
	if (rc == KT_EPERM) {
		snprintf(detail, sizeof(detail), "daily quota of %u clients "
		    "listed used up; the owner can raise it (kartoteka user "
		    "change %s --row-quota N)", limit, who.user->login);
		if ((rc = audit(st, txn, r, KT_AUDIT_DEAL_LIST, 0,
		    KT_CODE_QUOTA, detail)) != 0)
			return rc;
		return kt_req_answer_error(r, KT_CODE_QUOTA, "%s", detail);
	}
	if (rc != 0)
		return rc;
	if (limit)
		snprintf(detail, sizeof(detail), "%s new=%u today=%u of %u",
		    l->detail, fresh, count, limit);
	else
		snprintf(detail, sizeof(detail), "%s new=%u today=%u",
		    l->detail, fresh, count);
	if ((rc = audit(st, txn, r, KT_AUDIT_DEAL_LIST, 0, KT_CODE_OK,
	    detail)) != 0)
		return rc;
	return kt_req_answer_packed(r, KARTOTEKA__RESPONSE__RESULT_DEAL_LIST,
	    l->packed, l->len);
}

/* The walk's state: the page being built on the loop. */
typedef struct page {
	kt_req_t *r;
	MDB_txn *txn;
	const kt_store_dbs_t *db;
	kt_arena_t *a;
	uint32_t limit;
	Kartoteka__Deal **deals;         /* [limit] */
	size_t n, bytes;
	uint64_t *ids;                   /* [limit] distinct clients */
	uint32_t nids;
	uint64_t card_id;                /* the last card read, and whether */
	Ktstore__ClientRecord *card;     /* the caller may see its deals */
	int card_ok;
	int failed;                      /* KT_E* of a failure in take_row */
} page_t;

static int
take_row(const Ktstore__DealRecord *d, void *arg)
{
	page_t *p = arg;
	Kartoteka__Deal *w;
	size_t sz;
	uint32_t i;

	if (p->n == p->limit)
		return 1;
	if (d->client != p->card_id) {
		p->card_id = d->client;
		p->card = NULL;
		p->card_ok = kt_cstore_get_with(p->txn, p->db, d->client,
		    &p->a->pb, &p->card) == 0 && may_deal(p->r, p->card) == 0;
	}
	if (!p->card_ok)
		return 0;
	w = kt_arena_alloc(p->a, sizeof(*w));
	if (w == NULL || deal_wire(p->a, p->txn, p->db, d, p->card, w) != 0) {
		p->failed = KT_ENOMEM;
		return KT_ENOMEM;
	}
	sz = kartoteka__deal__get_packed_size(w) + 8;
	if (p->bytes + sz > ANSWER_BUDGET && p->n > 0)
		return 1;
	p->bytes += sz;
	p->deals[p->n++] = w;
	for (i = 0; i < p->nids && p->ids[i] != d->client; i++)
		;
	if (i == p->nids)
		p->ids[p->nids++] = d->client;
	return 0;
}

/* The audit's digest of the filter: ids and the stage, never text. */
static void
list_digest(const kt_deal_query_t *q, uint64_t id, size_t rows, char *out,
    size_t cap)
{
	size_t n = 0;

#define D(...) n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, \
	__VA_ARGS__)
	out[0] = '\0';
	if (id) D("deal=%" PRIu64 " ", id);
	if (q->client) D("client=%" PRIu64 " ", q->client);
	if (q->manager) D("manager=%" PRIu64 " ", q->manager);
	if (q->branch) D("branch=%" PRIu64 " ", q->branch);
	if (q->stage) D("stage=%s ", stage_name(q->stage));
	if (q->from || q->to) D("period=%lld-%lld ", (long long)q->from,
	    (long long)q->to);
	D("rows=%zu", rows);
#undef D
}

/* Resolves the filters of lr into q; *none when a name resolves to
 * nothing (the list is empty, as for a name without visible deals).
 * Returns 1, or 0 with r answered. */
static int
list_query(kt_req_t *r, MDB_txn *txn, const kt_store_dbs_t *db,
    const Kartoteka__DealListRequest *lr, kt_deal_query_t *q, int *none)
{
	const kt_user_t *u = kt_req_caller(r);

	memset(q, 0, sizeof(*q));
	*none = 0;
	if ((uint32_t)lr->stage > KARTOTEKA__DEAL_STAGE__STAGE_LOST) {
		kt_req_fail(r, KT_CODE_BAD, "stage: is not one of new, "
		    "progress, won, lost");
		return 0;
	}
	if (lr->from < 0 || lr->to < 0 || (lr->to && lr->to <= lr->from)) {
		kt_req_fail(r, KT_CODE_BAD, "to: is not after from");
		return 0;
	}
	if (lr->limit > PAGE_MAX) {
		kt_req_fail(r, KT_CODE_BAD, "limit: is more than %u",
		    PAGE_MAX);
		return 0;
	}
	q->stage = (uint32_t)lr->stage;
	q->from = lr->from;
	q->to = lr->to;
	if (lr->client && !kt_req_client_visible(r, lr->client))
		return 0;
	q->client = lr->client;
	/* A caller of one branch sees nothing elsewhere: read its branch's
	 * deals only, not the whole base. */
	if (u->role != KARTOTEKA__ROLE__OWNER && u->nbranches == 1)
		q->branch = u->branches[0];
	if (lr->manager != NULL && lr->manager[0] != '\0' &&
	    kt_user_id(txn, db, lr->manager, &q->manager) != 0)
		*none = 1;
	if (lr->branch != NULL && lr->branch[0] != '\0') {
		uint64_t b = 0;
		if (kt_branch_id(txn, db, lr->branch, &b) != 0 ||
		    (q->branch && q->branch != b))
			*none = 1;
		q->branch = b;
	}
	return 1;
}

static void
op_deal_list(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__DealListRequest *lr = msg->deal_list;
	const kt_store_dbs_t *db = kt_store_dbs(kt_req_server(r)->store);
	MDB_txn *txn = kt_req_txn(r);
	list_st_t *l = kt_req_state(r);
	Kartoteka__DealListResponse out = KARTOTEKA__DEAL_LIST_RESPONSE__INIT;
	kt_deal_query_t q;
	uint8_t next[KT_DEAL_CURSOR_MAX];
	size_t nnext = 0;
	page_t p = { .r = r, .txn = txn, .db = db };
	int rc = 0, none;

	if (txn == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "store unavailable");
		return;
	}
	if (!list_query(r, txn, db, lr, &q, &none))
		return;
	p.a = kt_req_arena(r);
	p.limit = lr->limit ? lr->limit : PAGE_DEFAULT;
	p.deals = p.a ? kt_arena_alloc(p.a, p.limit * sizeof(*p.deals)) : NULL;
	p.ids = malloc(p.limit * sizeof(*p.ids));
	if (p.deals == NULL || p.ids == NULL) {
		free(p.ids);
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	if (lr->id) {
		/* One deal: as missing when the caller may not see it. */
		Ktstore__DealRecord *d = NULL;
		rc = kt_deal_get(txn, db, lr->id, &p.a->pb, &d);
		if (rc == 0 && (q.client == 0 || d->client == q.client))
			rc = take_row(d, &p) < 0 ? p.failed : 0;
		else if (rc == 0 || rc == KT_ENOTFOUND)
			rc = 0;
		if (rc == 0 && p.n == 0) {
			free(p.ids);
			kt_req_fail(r, KT_CODE_NOT_FOUND, "no deal %" PRIu64,
			    lr->id);
			return;
		}
	} else if (!none) {
		rc = kt_deal_walk(txn, db, &q, lr->cursor.data, lr->cursor.len,
		    take_row, &p, next, &nnext);
	}
	if (rc == KT_EINVAL) {
		free(p.ids);
		kt_req_fail(r, KT_CODE_BAD, "cursor: is not one of this list");
		return;
	}
	if (rc != 0) {
		free(p.ids);
		kt_req_fail(r, KT_CODE_INTERNAL, "listing failed");
		return;
	}
	out.deals = p.deals;
	out.n_deals = p.n;
	out.next_cursor.data = next;
	out.next_cursor.len = nnext;
	l->len = kartoteka__deal_list_response__get_packed_size(&out);
	l->packed = malloc(l->len ? l->len : 1);
	if (l->packed == NULL || kt_req_keep(r, l->packed) != 0) {
		free(p.ids);
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	kartoteka__deal_list_response__pack(&out, l->packed);
	l->ids = p.ids;
	l->rows = p.nids;
	l->now = kt_now_s();
	list_digest(&q, lr->id, p.n, l->detail, sizeof(l->detail));
	if (kt_req_keep(r, l->ids) != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	kt_req_submit(r, rows_mut, NULL);
}

/* ==== the rows ============================================================== */

#define OP(c) KARTOTEKA__REQUEST__OP_##c
#define ST sizeof(deal_st_t)

static const kt_op_row_t rows[] = {
	{ OP(DEAL_ADD), KT_MSG("add deals"), KT_PHASE_LOGGED_IN, KT_OP_WRITE,
	    KT_ACT_DEAL, KT_AUDIT_DEAL_ADD, op_deal_add, ST },
	{ OP(DEAL_EDIT), KT_MSG("edit deals"), KT_PHASE_LOGGED_IN, KT_OP_WRITE,
	    KT_ACT_DEAL, KT_AUDIT_DEAL_EDIT, op_deal_edit, ST },
	{ OP(DEAL_STAGE), KT_MSG("move deals to a stage"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_DEAL, KT_AUDIT_DEAL_STAGE, op_deal_stage, ST },
	{ OP(DEAL_LIST), KT_MSG("list deals"), KT_PHASE_LOGGED_IN, KT_OP_WRITE,
	    KT_ACT_LIST, KT_AUDIT_DEAL_LIST, op_deal_list, sizeof(list_st_t) },
};

const kt_op_domain_t kt_ops_deal = { "deal", rows,
	sizeof(rows) / sizeof(rows[0]) };
