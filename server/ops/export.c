/* SPDX-License-Identifier: MIT */
/* The owner's export over the protocol: the filter is read on the loop,
 * the file is rendered on the thread pool in its own read transaction
 * (jobs/export.c) and streamed as Responses with more = true while the
 * connection keeps up (req.h, kt_req_stream); the audit entry (filter,
 * row count, BLAKE2b-256 of the bytes) is committed through the writer,
 * and only then does the last chunk, with the rest of the file and its
 * hash, leave. Heads and managers are refused by the dispatcher (the
 * row's class KT_ACT_EXPORT), audited. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "catalog.h"
#include "jobs/export.h"
#include "kt_error.h"
#include "model/alert_store.h"
#include "model/client_query.h"
#include "model/identity.h"
#include "ops/ops.h"

/* Everything the export needs after the request is gone. */
typedef struct export_st {
	kt_store_t *store;               /* the server's, for the pool */
	const char *data_dir;            /* xlsx: its temporary file's place */
	const kt_store_dbs_t *db;
	kt_cq_caller_t who;              /* branches point into the request's
					    caller */
	kt_cq_filter_t f;                /* tag and source kept by the request */
	uint32_t fmt;
	char digest[400];                /* the filter, for the audit */
	/* set on the pool thread */
	int rc;
	const char *why;                 /* static text, on KT_EINVAL */
	kt_export_result_t res;
	uint8_t *pack;                   /* one packed ExportChunk */
	/* set on the loop, for the audit entry */
	char detail[640];
	char alert[200];                 /* the alert's detail: counts and the
					    hash, not the filter's text */
	uint32_t outcome;
} export_st_t;

/* ==== the filter ========================================================== */

/* The filter digest of the audit: which filters, never personal data
 * beyond the tag and source the owner typed (as client.list's). */
static void
filter_digest(const kt_cq_filter_t *f, char *out, size_t cap)
{
	size_t n = 0;

#define D(...) n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, \
	__VA_ARGS__)
	out[0] = '\0';
	if (f->branch) D("branch=%" PRIu64 " ", f->branch);
	if (f->manager) D("manager=%" PRIu64 " ", f->manager);
	if (f->status) D("status=%u ", f->status);
	if (f->category) D("category=%u ", f->category);
	if (f->tag && *f->tag) D("tag=%.64s ", f->tag);
	if (f->source && *f->source) D("source=%.64s ", f->source);
	if (f->birth_month) D("birth_month=%u%s ", f->birth_month,
	    f->children_only ? " children" : "");
	if (f->child_birth_year) D("child_birth_year=%u ", f->child_birth_year);
	if (f->child_age_min || f->child_age_max) D("child_age=%u-%u ",
	    f->child_age_min, f->child_age_max);
	if (f->created_from || f->created_to) D("created=%lld-%lld ",
	    (long long)f->created_from, (long long)f->created_to);
	if (f->include_archived) D("archived ");
	/* segments */
	if (f->contacted_before) D("contacted_before=%lld ",
	    (long long)f->contacted_before);
	if (f->contacted_after) D("contacted_after=%lld ",
	    (long long)f->contacted_after);
	if (f->open_deal) D("open_deal=%s ", f->open_deal > 0 ? "yes" : "no");
	if (f->consent) D("consent=%s ", f->consent > 0 ? "yes" : "no");
	if (f->do_not_contact) D("do_not_contact=%s ",
	    f->do_not_contact > 0 ? "yes" : "no");
#undef D
	if (n > 0 && n < cap)
		out[n - 1] = '\0';      /* the last space */
	else if (n == 0)
		snprintf(out, cap, "all");
}

/* Reads lr into st->f (kt_cq_filter_from_request, shared with client
 * list: a name that is no branch or login filters to nothing), with the
 * strings copied, since the decoded request is gone when the pool thread
 * runs. Returns 1, or 0 when r was answered and ended. */
static int
filter_of(kt_req_t *r, export_st_t *st, MDB_txn *txn,
    const Kartoteka__ClientListRequest *lr)
{
	Kartoteka__ClientListRequest none = KARTOTEKA__CLIENT_LIST_REQUEST__INIT;
	kt_cq_filter_t *f = &st->f;
	char *tag = NULL, *source = NULL;

	kt_cq_filter_from_request(txn, st->db, lr != NULL ? lr : &none,
	    kt_now_s(), f);
	tag = strdup(f->tag ? f->tag : "");
	if (tag == NULL || kt_req_keep(r, tag) != 0)
		goto oom;
	source = strdup(f->source ? f->source : "");
	if (source == NULL || kt_req_keep(r, source) != 0)
		goto oom;
	f->tag = tag;
	f->source = source;
	return 1;
oom:
	kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
	return 0;
}

/* ==== the pool thread ===================================================== */

/* Each full buffer of the file leaves as one ExportChunk. */
static int
sink(const uint8_t *data, size_t len, uint64_t rows, uint64_t total,
    void *arg)
{
	kt_req_t *r = arg;
	export_st_t *st = kt_req_state(r);
	Kartoteka__ExportChunk ch = KARTOTEKA__EXPORT_CHUNK__INIT;
	size_t n;

	ch.data.data = (uint8_t *)data;
	ch.data.len = len;
	ch.rows = rows;
	ch.total = total;
	n = kartoteka__export_chunk__pack(&ch, st->pack);
	return kt_req_stream_push(r, KARTOTEKA__RESPONSE__RESULT_EXPORT,
	    st->pack, n);
}

static void
export_work(kt_req_t *r)
{
	export_st_t *st = kt_req_state(r);
	MDB_txn *txn = NULL;

	/* A chunk's envelope: a few varints around the data. */
	if ((st->pack = malloc(KT_EXPORT_CHUNK + 64)) == NULL) {
		st->rc = KT_ENOMEM;
		return;
	}
	/* Its own read transaction: one snapshot for the whole file, which
	 * the writer keeps committing past (MDB_NOTLS, store.c). */
	if ((st->rc = kt_store_read_begin(st->store, &txn)) != 0)
		goto out;
	/* The workbook's temporary file beside the store, on its (encrypted,
	 * docs) disk rather than in /tmp. */
	if (st->fmt == KT_EXPORT_XLSX)
		st->rc = kt_export_xlsx_run(txn, st->db, &st->who, &st->f,
		    KT_EXPORT_XLSX_SHEET_ROWS, st->data_dir, sink, r, &st->res,
		    &st->why);
	else
		st->rc = kt_export_run(txn, st->db, &st->who, &st->f, st->fmt,
		    sink, r, &st->res, &st->why);
out:
	kt_store_read_end(st->store, txn);
	free(st->pack);
	st->pack = NULL;
}

/* ==== the end: audit, alert, the last chunk ================================ */

static int
export_mut(kt_store_t *stp, MDB_txn *txn, kt_req_t *r)
{
	export_st_t *st = kt_req_state(r);
	kt_actor_t a = kt_req_actor(r);
	kt_alert_t al = {
		.kind = KT_ALERT_EXPORT,
		.user = a.user_id,
		.terminal = a.terminal_key,
		.count = st->res.rows,
		.limit = st->res.total,
		.detail = st->alert,
	};
	int rc;

	/* In the entry's transaction: no export without its alert. */
	if ((rc = kt_audit_record(stp, txn, &a, KT_AUDIT_EXPORT, "clients",
	    st->outcome, st->detail)) != 0)
		return rc;
	return kt_alert_raise(stp, txn, &al, NULL);
}

static void
export_after(kt_req_t *r, int status)
{
	export_st_t *st = kt_req_state(r);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__ExportChunk ch = KARTOTEKA__EXPORT_CHUNK__INIT;
	char hex[65];
	int rc;

	/* Every answer below ends r and frees st: the result's tail goes
	 * first (the answer holds a copy). */
	if (status != 0) {
		kt_export_result_free(&st->res);
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "the export could not "
		    "start: try again");
		return;
	}
	if (st->rc == KT_EINVAL) {
		/* Nothing left: the filter is checked before any byte. */
		kt_export_result_free(&st->res);
		kt_req_fail(r, KT_CODE_BAD, "filter.%s", st->why ? st->why :
		    "invalid");
		return;
	}
	sodium_bin2hex(hex, sizeof(hex), st->res.hash, 32);
	if (st->rc == 0 && !kt_req_stream_cut(r)) {
		st->outcome = 0;
		snprintf(st->detail, sizeof(st->detail), "format=%s %s "
		    "rows=%" PRIu64 " total=%" PRIu64 " bytes=%" PRIu64
		    " blake2b=%s", kt_export_format_name(st->fmt), st->digest,
		    st->res.rows, st->res.total, st->res.bytes, hex);
		if (st->res.sheets > 1) {
			size_t l = strlen(st->detail);
			snprintf(st->detail + l, sizeof(st->detail) - l,
			    " sheets=%u", st->res.sheets);
		}
		snprintf(st->alert, sizeof(st->alert), "format=%s rows=%"
		    PRIu64 " bytes=%" PRIu64 " blake2b=%s",
		    kt_export_format_name(st->fmt), st->res.rows,
		    st->res.bytes, hex);
		ch.data.data = st->res.tail;
		ch.data.len = st->res.tail_len;
		ch.rows = st->res.rows;
		ch.total = st->res.total;
		ch.blake2b = hex;
		resp.result_case = KARTOTEKA__RESPONSE__RESULT_EXPORT;
		resp.export = &ch;
		rc = kt_req_answer(r, &resp);
	} else {
		/* Part of the file may have left: the audit says how much. */
		int cut = kt_req_stream_cut(r);
		st->outcome = cut ? KT_CODE_UNAVAILABLE : KT_CODE_INTERNAL;
		snprintf(st->detail, sizeof(st->detail), "format=%s %s "
		    "rows=%" PRIu64 " total=%" PRIu64 " bytes=%" PRIu64
		    " not completed: %s", kt_export_format_name(st->fmt),
		    st->digest, st->res.rows, st->res.total, st->res.bytes,
		    cut ? "the connection went away" : kt_strerror(st->rc));
		snprintf(st->alert, sizeof(st->alert), "format=%s rows=%"
		    PRIu64 " bytes=%" PRIu64 " not completed",
		    kt_export_format_name(st->fmt), st->res.rows,
		    st->res.bytes);
		rc = kt_req_answer_error(r, st->outcome, "the export failed "
		    "(%s): nothing is complete; try again", cut ?
		    KT_MSG("connection lost") : kt_strerror(st->rc));
	}
	/* The writer reads only the counts of st->res. */
	kt_export_result_free(&st->res);
	if (rc != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL, "could not build the answer");
		return;
	}
	kt_req_submit(r, export_mut, NULL);
}

/* ==== the op ============================================================== */

static void
op_export(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__ExportRequest *er = msg->export;
	export_st_t *st = kt_req_state(r);
	kt_server_t *srv = kt_req_server(r);
	const kt_user_t *u = kt_req_caller(r);
	MDB_txn *txn = kt_req_txn(r);

	if ((uint32_t)er->format >= KT_EXPORT_FORMAT_COUNT) {
		kt_req_fail(r, KT_CODE_BAD, "format: %u is not one of csv (0), "
		    "csv-excel (1), vcard (2), xlsx (3)", (unsigned)er->format);
		return;
	}
	if (txn == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "store unavailable: try "
		    "again");
		return;
	}
	st->store = srv->store;
	st->data_dir = srv->opts.data_dir;
	st->db = kt_store_dbs(srv->store);
	st->fmt = (uint32_t)er->format;
	st->who.id = u->id;
	st->who.role = u->role;
	st->who.branches = u->branches;
	st->who.nbranches = u->nbranches;
	if (!filter_of(r, st, txn, er->filter))
		return;
	filter_digest(&st->f, st->digest, sizeof(st->digest));
	kt_req_stream(r, export_work, export_after);
}

/* ==== the rows ============================================================= */

#define OP(c) KARTOTEKA__REQUEST__OP_##c

static const kt_op_row_t rows[] = {
	/* Serial: one export at a time per connection, each holding a
	 * thread-pool thread while it runs. */
	{ OP(EXPORT), KT_MSG("export the client base"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE | KT_OP_SERIAL, KT_ACT_EXPORT, KT_AUDIT_EXPORT,
	    op_export, sizeof(export_st_t) },
};

const kt_op_domain_t kt_ops_export = { "export", rows,
	sizeof(rows) / sizeof(rows[0]) };
