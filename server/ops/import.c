/* SPDX-License-Identifier: MIT */
/* The import op (issue 10, docs/IMPORT.md): one batch of cards that
 * `kartoteka import` read from a file. Owner only. On the loop each card
 * is placed and checked exactly as client add does (ops/card_op.h); on
 * the writer each is deduplicated against the base by its phones and
 * e-mails: a card sharing one is merged into the first card holding it
 * (client merge's rule), else it is created, with its history and an
 * audit entry per card, all in the batch's one durable transaction. A
 * dry run does the same inside a nested transaction that is then thrown
 * away, so that its answer is exactly what a real run would give, and is
 * audited as one import.dryrun entry with the counts. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "arena.h"
#include "kt_error.h"
#include "model/client_card.h"
#include "model/client_store.h"
#include "model/identity.h"
#include "ops/card_op.h"
#include "ops/ops.h"
#include "records.pb-c.h"

#define IMPORT_BATCH_MAX 250u      /* cards in one batch: the answer, with
				      a reason of IMPORT_REASON_MAX for
				      each, still fits one frame */
#define IMPORT_REASON_MAX 200u

/* One card of the batch as the loop left it. */
typedef struct import_card {
	uint32_t line;
	uint32_t code;               /* KT_CODE_OK, or the loop's refusal */
	uint64_t branch, manager;
	size_t off, len;             /* its packed ClientRecord in buf */
	char reason[IMPORT_REASON_MAX];
} import_card_t;

typedef struct import_st {
	int64_t now;
	int dry_run;
	size_t n;
	import_card_t *cards;        /* n, kept by the request */
	uint8_t *buf;                /* the packed records, kept likewise */
} import_st_t;

/* What the writer found for one card. */
typedef struct import_res {
	Kartoteka__ImportOutcome outcome;
	uint64_t id;
	char reason[IMPORT_REASON_MAX];
} import_res_t;

/* ==== the writer ============================================================ */

/* The walk over the cards sharing a contact with the new one: the first
 * live card is the one to merge into; the others are noted for merge
 * alerts. */
typedef struct match_walk {
	MDB_txn *txn;
	const kt_store_dbs_t *db;
	kt_card_op_t *c;
	Ktstore__ClientRecord *into;
} match_walk_t;

static int
match_seen(void *arg, uint64_t id, const char *what, int is_phone)
{
	match_walk_t *w = arg;
	Ktstore__ClientRecord *o = NULL;
	int rc;

	(void)what;
	(void)is_phone;
	if (w->into != NULL && w->into->id == id)
		return 0;
	rc = kt_cstore_get_with(w->txn, w->db, id, &w->c->wa->pb, &o);
	if (rc == KT_ENOTFOUND || (rc == 0 && (o->purged || o->merged_into)))
		return 0;
	if (rc != 0)
		return rc;
	if (w->into == NULL)
		w->into = o;
	else
		kt_card_op_note_dup(w->c, id);
	return 0;
}

/* Merges rec into card into (it shares a contact): unchanged when that
 * adds nothing, else the next version, audited. */
static int
merge_into(kt_store_t *st, MDB_txn *txn, kt_req_t *r, kt_card_op_t *c,
    const import_card_t *ic, Ktstore__ClientRecord *into,
    const Ktstore__ClientRecord *rec, import_res_t *res)
{
	Ktstore__ClientRecord next;
	uint8_t *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	kt_chist_who_t who;
	char detail[600], err[300];
	int rc;

	res->id = into->id;
	if ((rc = kt_card_op_merged(c->wa, into, rec, &next)) != 0)
		goto out;
	if (kt_card_pack(&next, &b, &blen, err, sizeof(err)) != 0 ||
	    kt_card_contacts_fit(&next, err, sizeof(err)) != 0) {
		res->outcome = KARTOTEKA__IMPORT_OUTCOME__IMPORT_REFUSED;
		snprintf(res->reason, sizeof(res->reason), "merging into "
		    "client %" PRIu64 ": %.160s", into->id, err);
		goto out;
	}
	/* The stored card too large to pack again: it is not the same. */
	if ((rc = kt_card_pack(into, &a, &alen, err, sizeof(err))) != 0 &&
	    rc != KT_EINVAL)
		goto out;
	snprintf(detail, sizeof(detail), "line=%" PRIu32, ic->line);
	if (a != NULL && alen == blen && memcmp(a, b, alen) == 0) {
		res->outcome = KARTOTEKA__IMPORT_OUTCOME__IMPORT_UNCHANGED;
		strncat(detail, " unchanged", sizeof(detail) - strlen(detail) - 1);
		rc = kt_req_audit(st, txn, r, KT_AUDIT_IMPORT, "client",
		    into->id, KT_CODE_OK, detail);
		goto out;
	}
	res->outcome = KARTOTEKA__IMPORT_OUTCOME__IMPORT_MERGED;
	next.version = into->version + 1;
	next.updated_at = c->now;
	who = kt_card_op_writer(r, c, KT_AUDIT_IMPORT,
	    KT_CARD_PEOPLE | KT_CARD_TAGS | KT_CARD_NOTES);
	strncat(detail, " merged", sizeof(detail) - strlen(detail) - 1);
	if ((rc = kt_cstore_put(txn, kt_store_dbs(st), into, &next, &who)) !=
	    0 || (rc = kt_card_op_dup_alerts(st, txn, r, c, &next, detail,
	    sizeof(detail))) != 0)
		goto out;
	rc = kt_req_audit(st, txn, r, KT_AUDIT_IMPORT, "client", into->id,
	    KT_CODE_OK, detail);
out:
	free(a);
	free(b);
	return rc;
}

/* One card that passed the loop's checks, inside txn. */
static int
import_one(kt_store_t *st, MDB_txn *txn, kt_req_t *r, const import_st_t *s,
    const import_card_t *ic, kt_arena_t *wa, import_res_t *res)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	kt_card_op_t c = { .now = s->now, .branch = ic->branch,
		.manager = ic->manager, .wa = wa, .code = KT_CODE_OK };
	match_walk_t w = { .txn = txn, .db = db, .c = &c };
	Ktstore__ClientRecord *rec;
	char what[40];
	int rc;

	rec = ktstore__client_record__unpack(&wa->pb, ic->len, s->buf + ic->off);
	if (rec == NULL)
		return KT_EPROTO;
	if ((rc = kt_card_op_referrer(r, &c, txn, db, rec)) != 0)
		return rc;
	if (c.code != KT_CODE_OK) {
		res->outcome = KARTOTEKA__IMPORT_OUTCOME__IMPORT_REFUSED;
		snprintf(res->reason, sizeof(res->reason), "%.199s", c.msg);
		return 0;
	}
	if ((rc = kt_card_op_owners(txn, db, rec, NULL, match_seen, &w)) != 0)
		return rc;
	if (w.into != NULL)
		return merge_into(st, txn, r, &c, ic, w.into, rec, res);
	snprintf(what, sizeof(what), "line=%" PRIu32 " created", ic->line);
	if ((rc = kt_card_op_create(st, txn, r, &c, rec, KT_AUDIT_IMPORT,
	    what)) != 0)
		return rc;
	res->outcome = KARTOTEKA__IMPORT_OUTCOME__IMPORT_CREATED;
	res->id = rec->id;
	return 0;
}

/* The answer: one result per card, in order. */
static int
answer(kt_req_t *r, const import_st_t *s, const import_res_t *res,
    kt_arena_t *wa)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__ImportBatchResponse ir = KARTOTEKA__IMPORT_BATCH_RESPONSE__INIT;
	Kartoteka__ImportRowResult *rows, **ptrs;

	rows = kt_arena_alloc(wa, s->n * sizeof(*rows));
	ptrs = kt_arena_alloc(wa, s->n * sizeof(*ptrs));
	if (rows == NULL || ptrs == NULL)
		return KT_ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		kartoteka__import_row_result__init(&rows[i]);
		rows[i].line = s->cards[i].line;
		rows[i].outcome = res[i].outcome;
		rows[i].client_id = res[i].id;
		rows[i].reason = (char *)res[i].reason;
		ptrs[i] = &rows[i];
	}
	ir.results = ptrs;
	ir.n_results = s->n;
	ir.dry_run = s->dry_run;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_IMPORT_BATCH;
	resp.import_batch = &ir;
	return kt_req_answer(r, &resp);
}

static int
import_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	import_st_t *s = kt_req_state(r);
	MDB_txn *work = txn, *child = NULL;
	import_res_t *res = NULL;
	size_t count[5] = { 0 };
	char detail[160];
	kt_arena_t wa;
	int rc;

	if (kt_arena_init(&wa, 64u << 10, 64u << 20) != 0)
		return KT_ENOMEM;
	/* A mutation may run again from scratch: the results are made here. */
	if ((res = calloc(s->n, sizeof(*res))) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	if (s->dry_run) {
		if ((rc = mdb_txn_begin(kt_store_env(st), txn, 0, &child)) !=
		    0) {
			rc = kt_store_err(rc);
			goto out;
		}
		work = child;
	}
	for (size_t i = 0; i < s->n; i++) {
		const import_card_t *ic = &s->cards[i];
		if (ic->code != KT_CODE_OK) {
			res[i].outcome = KARTOTEKA__IMPORT_OUTCOME__IMPORT_REFUSED;
			memcpy(res[i].reason, ic->reason, sizeof(res[i].reason));
		} else if ((rc = import_one(st, work, r, s, ic, &wa,
		    &res[i])) != 0) {
			goto out;
		}
		count[res[i].outcome]++;
	}
	if (child != NULL) {
		/* Nothing of a dry run stays but its audit entry. */
		mdb_txn_abort(child);
		child = NULL;
		snprintf(detail, sizeof(detail), "dry run: cards=%zu created=%zu "
		    "merged=%zu unchanged=%zu refused=%zu", s->n,
		    count[KARTOTEKA__IMPORT_OUTCOME__IMPORT_CREATED],
		    count[KARTOTEKA__IMPORT_OUTCOME__IMPORT_MERGED],
		    count[KARTOTEKA__IMPORT_OUTCOME__IMPORT_UNCHANGED],
		    count[KARTOTEKA__IMPORT_OUTCOME__IMPORT_REFUSED]);
		if ((rc = kt_req_audit(st, txn, r, KT_AUDIT_IMPORT_DRY_RUN,
		    "client", 0, KT_CODE_OK, detail)) != 0)
			goto out;
	}
	rc = answer(r, s, res, &wa);
out:
	if (child != NULL)
		mdb_txn_abort(child);
	free(res);
	kt_arena_free(&wa);
	return rc;
}

/* ==== the loop ================================================================ */

/* Checks card ic of the request as client add would, and appends its
 * packed record to *buf (*len bytes, *cap allocated). A refusal is left
 * in ic. Returns 0 or KT_ENOMEM. */
static int
take(kt_req_t *r, MDB_txn *txn, const import_st_t *s,
    const Kartoteka__ImportCard *in, import_card_t *ic, uint8_t **buf,
    size_t *len, size_t *cap)
{
	uint8_t *p = NULL;
	size_t n = 0;

	ic->line = in->line;
	if (in->client == NULL) {
		ic->code = KT_CODE_BAD;
		snprintf(ic->reason, sizeof(ic->reason), "client: missing");
		return 0;
	}
	ic->code = kt_card_op_place(r, txn, in->client, &ic->branch,
	    &ic->manager, ic->reason, sizeof(ic->reason));
	if (ic->code == KT_CODE_OK)
		ic->code = kt_card_op_build(r, in->client, KT_CARD_ALL, s->now,
		    &p, &n, ic->reason, sizeof(ic->reason));
	if (ic->code == KT_CODE_INTERNAL)
		return KT_ENOMEM;
	if (ic->code != KT_CODE_OK)
		return 0;
	if (*len + n > *cap) {
		size_t nc = (*cap ? *cap * 2 : 16u << 10) + n;
		uint8_t *nb = realloc(*buf, nc);
		if (nb == NULL) {
			free(p);
			return KT_ENOMEM;
		}
		*buf = nb;
		*cap = nc;
	}
	if (n > 0)
		memcpy(*buf + *len, p, n);
	ic->off = *len;
	ic->len = n;
	*len += n;
	free(p);
	return 0;
}

static void
op_import_batch(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__ImportBatchRequest *ir = msg->import_batch;
	import_st_t *s = kt_req_state(r);
	MDB_txn *txn = kt_req_txn(r);
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (ir->n_cards == 0) {
		kt_req_fail(r, KT_CODE_BAD, "cards: none in the batch");
		return;
	}
	if (ir->n_cards > IMPORT_BATCH_MAX) {
		kt_req_fail(r, KT_CODE_BAD, "cards: more than %u in one batch",
		    IMPORT_BATCH_MAX);
		return;
	}
	if (txn == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "store unavailable");
		return;
	}
	s->now = kt_now_s();
	s->dry_run = ir->dry_run;
	s->n = ir->n_cards;
	if ((s->cards = calloc(s->n, sizeof(*s->cards))) == NULL ||
	    kt_req_keep(r, s->cards) != 0) {
		s->cards = NULL;
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	for (size_t i = 0; i < s->n; i++)
		if (take(r, txn, s, ir->cards[i], &s->cards[i], &buf, &len,
		    &cap) != 0) {
			free(buf);
			kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
			return;
		}
	/* kt_req_keep frees what it cannot keep (and accepts NULL: every
	 * card refused). */
	if (kt_req_keep(r, buf) != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	s->buf = buf;
	kt_req_submit(r, import_mut, NULL);
}

#define OP(c) KARTOTEKA__REQUEST__OP_##c

/* The class is export's: the whole base in or out is the owner's alone. */
static const kt_op_row_t rows[] = {
	{ OP(IMPORT_BATCH), KT_MSG("import clients"), KT_PHASE_LOGGED_IN, KT_OP_WRITE,
	    KT_ACT_EXPORT, KT_AUDIT_IMPORT, op_import_batch,
	    sizeof(import_st_t) },
};

const kt_op_domain_t kt_ops_import = { "import", rows,
	sizeof(rows) / sizeof(rows[0]) };
