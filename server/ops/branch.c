/* SPDX-License-Identifier: MIT */
/* The owner's ops on branches: add, rename, archive or restore, and the
 * paged list. Each change is checked on the loop (a request bound to fail
 * costs no commit), checked again and made by model/branch_store.c inside
 * the writer's transaction with its audit entry, and answered after the
 * commit. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "fields.h"
#include "kt_error.h"
#include "model/branch_store.h"
#include "ops/list.h"
#include "ops/ops.h"
#include "records.pb-c.h"

typedef struct branch_st branch_st_t;

/* A change of a branch, in two parts: its check against a transaction
 * (the loop's read, for an early answer, or the writer's) and the change
 * itself (model/branch_store.c), which checks again. Each handler picks
 * its pair; nothing switches over op cases here. */
typedef struct branch_change {
	int (*check)(MDB_txn *txn, const kt_store_dbs_t *db, branch_st_t *b);
	int (*apply)(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
	    branch_st_t *b);
} branch_change_t;

/* One change of a branch, copied out of the request. */
struct branch_st {
	const branch_change_t *change;
	char name[KT_NAME_MAX + 1];
	char new_name[KT_NAME_MAX + 1];    /* rename */
	char address[KT_ADDRESS_MAX + 1];  /* add */
	int archive;                       /* archive (1) or restore (0) */
	char time_zone[72];                /* add, set */
	kt_branch_settings_t set;          /* add, set: time_zone points
					      at the field above */
	kt_tzcache_t *tz;                  /* checks a zone on the writer */
	uint64_t id;                       /* results of the mutation */
	kt_verdict_t v;
};

/* Checks b's time zone against the tz database (on the writer thread:
 * it may read a zone file once; then it is in the server's cache).
 * Refuses b->v naming the field. */
static void
zone_check(branch_st_t *b)
{
	char err[200];

	if ((b->set.fields & KT_BRANCH_F_TZ) && b->time_zone[0] &&
	    kt_tzcache_check(b->tz, b->time_zone, err, sizeof(err)) != 0)
		kt_verdict_set(&b->v, KT_CODE_BAD, "time_zone: %s", err);
}


static int
add_check(MDB_txn *txn, const kt_store_dbs_t *db, branch_st_t *b)
{
	return kt_branch_add_check(txn, db, b->name, b->address, &b->v);
}

static int
add_apply(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    branch_st_t *b)
{
	int rc;

	kt_verdict_ok(&b->v);
	zone_check(b);
	if (!kt_verdict_is_ok(&b->v))
		return 0;
	rc = kt_branch_add(st, txn, actor, b->name, b->address, &b->id,
	    &b->v);
	if (rc != 0 || !kt_verdict_is_ok(&b->v) || b->set.fields == 0)
		return rc;
	return kt_branch_set(st, txn, actor, b->name, &b->set, &b->id, &b->v);
}

static int
set_check(MDB_txn *txn, const kt_store_dbs_t *db, branch_st_t *b)
{
	return kt_branch_set_check(txn, db, b->name, &b->id, &b->v);
}

static int
set_apply(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    branch_st_t *b)
{
	kt_verdict_ok(&b->v);
	zone_check(b);
	if (!kt_verdict_is_ok(&b->v))
		return 0;
	return kt_branch_set(st, txn, actor, b->name, &b->set, &b->id, &b->v);
}

static int
rename_check(MDB_txn *txn, const kt_store_dbs_t *db, branch_st_t *b)
{
	return kt_branch_rename_check(txn, db, b->name, b->new_name, &b->id,
	    &b->v);
}

static int
rename_apply(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    branch_st_t *b)
{
	return kt_branch_rename(st, txn, actor, b->name, b->new_name, &b->id,
	    &b->v);
}

static int
archive_check(MDB_txn *txn, const kt_store_dbs_t *db, branch_st_t *b)
{
	return kt_branch_archive_check(txn, db, b->name, b->archive, &b->id,
	    &b->v);
}

static int
archive_apply(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    branch_st_t *b)
{
	return kt_branch_archive(st, txn, actor, b->name, b->archive, &b->id,
	    &b->v);
}

static const branch_change_t add_change = { add_check, add_apply };
static const branch_change_t rename_change = { rename_check, rename_apply };
static const branch_change_t archive_change = { archive_check,
	archive_apply };
static const branch_change_t set_change = { set_check, set_apply };

static int
branch_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	branch_st_t *b = kt_req_state(r);
	kt_actor_t actor = kt_req_actor(r);

	return b->change->apply(st, txn, &actor, b);
}

static void
branch_done(kt_req_t *r, int status)
{
	branch_st_t *b = kt_req_state(r);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__BranchResponse br = KARTOTEKA__BRANCH_RESPONSE__INIT;
	Kartoteka__Branch out = KARTOTEKA__BRANCH__INIT;
	Ktstore__BranchRecord *rec = NULL;
	char hours[16];
	MDB_txn *txn;

	if (kt_req_refused(r, status, &b->v))
		return;
	if ((txn = kt_req_txn(r)) == NULL || kt_branch_get(txn,
	    kt_store_dbs(kt_req_server(r)->store), b->id, &rec) != 0) {
		kt_req_fail(r, KARTOTEKA__ERROR__CODE__INTERNAL, "saved, but "
		    "the branch cannot be read back");
		return;
	}
	out.id = rec->id;
	out.name = rec->name;
	out.address = rec->address;
	out.archived = rec->archived;
	out.time_zone = rec->time_zone;
	out.work_hours = kt_work_hours_format(rec->work_from_min,
	    rec->work_to_min, hours, sizeof(hours));
	out.desk_lock_s = rec->desk_lock_s;
	br.branch = &out;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_BRANCH;
	resp.branch = &br;
	kt_req_reply(r, &resp);
	protobuf_c_message_free_unpacked(&rec->base, NULL);
}

/* The common path of the three changes once b is filled in. */
static void
change(kt_req_t *r, branch_st_t *b)
{
	MDB_txn *txn = kt_req_txn(r);
	int rc;

	if (txn == NULL) {
		kt_req_fail(r, KARTOTEKA__ERROR__CODE__UNAVAILABLE,
		    "cannot read the store: try again");
		return;
	}
	rc = b->change->check(txn, kt_store_dbs(kt_req_server(r)->store), b);
	if (kt_req_refused(r, rc, &b->v))
		return;
	kt_req_submit(r, branch_mut, branch_done);
}

/* Takes the settings of a request (fields KT_BRANCH_F_*) into b. Returns
 * 1, or 0 with r answered. */
static int
take_settings(kt_req_t *r, branch_st_t *b, unsigned fields,
    const char *time_zone, const char *work_hours)
{
	b->tz = kt_req_server(r)->tz;
	b->set.fields = fields;
	b->set.time_zone = b->time_zone;
	if (!kt_text_take(b->time_zone, sizeof(b->time_zone), time_zone)) {
		kt_req_fail(r, KT_CODE_BAD, "time_zone: is longer than %zu "
		    "bytes", sizeof(b->time_zone) - 1);
		return 0;
	}
	if (kt_work_hours_parse(work_hours, &b->set.work_from,
	    &b->set.work_to) != 0) {
		kt_req_fail(r, KT_CODE_BAD, "work_hours: expected HH:MM-HH:MM, "
		    "e.g. 09:00-21:00");
		return 0;
	}
	return 1;
}

static void
op_branch_add(kt_req_t *r, const Kartoteka__Request *msg)
{
	branch_st_t *b = kt_req_state(r);
	const Kartoteka__BranchAddRequest *ar = msg->branch_add;
	unsigned fields = (ar->time_zone && ar->time_zone[0] ?
	    KT_BRANCH_F_TZ : 0) | (ar->work_hours && ar->work_hours[0] ?
	    KT_BRANCH_F_HOURS : 0);

	b->change = &add_change;
	if (!take_settings(r, b, fields, ar->time_zone, ar->work_hours))
		return;
	if (!kt_text_take(b->name, sizeof(b->name), msg->branch_add->name)) {
		kt_req_fail(r, KARTOTEKA__ERROR__CODE__BAD_REQUEST,
		    "name: is longer than %u bytes", KT_NAME_MAX);
		return;
	}
	if (!kt_text_take(b->address, sizeof(b->address), msg->branch_add->address)) {
		kt_req_fail(r, KARTOTEKA__ERROR__CODE__BAD_REQUEST,
		    "address: is longer than %u bytes", KT_ADDRESS_MAX);
		return;
	}
	change(r, b);
}

static void
op_branch_set(kt_req_t *r, const Kartoteka__Request *msg)
{
	branch_st_t *b = kt_req_state(r);
	const Kartoteka__BranchSetRequest *sr = msg->branch_set;
	unsigned fields = 0;

	b->change = &set_change;
	for (size_t i = 0; i < sr->n_fields; i++) {
		if (strcmp(sr->fields[i], "time_zone") == 0) {
			fields |= KT_BRANCH_F_TZ;
		} else if (strcmp(sr->fields[i], "work_hours") == 0) {
			fields |= KT_BRANCH_F_HOURS;
		} else if (strcmp(sr->fields[i], "desk_lock") == 0) {
			fields |= KT_BRANCH_F_DESK_LOCK;
		} else {
			kt_req_fail(r, KT_CODE_BAD, "fields: '%.64s' is not a "
			    "branch setting (time_zone, work_hours, desk_lock)",
			    sr->fields[i]);
			return;
		}
	}
	if ((fields & KT_BRANCH_F_DESK_LOCK) && sr->desk_lock_s != 0 &&
	    (sr->desk_lock_s < KT_DESK_LOCK_MIN_S ||
	    sr->desk_lock_s > KT_DESK_LOCK_MAX_S)) {
		kt_req_fail_field(r, KT_CODE_BAD, "desk_lock_s", "desk_lock_s: "
		    "%" PRIu32 " seconds is not from %u (a minute) to %u (a "
		    "day), or 0 for the client's own setting", sr->desk_lock_s,
		    KT_DESK_LOCK_MIN_S, KT_DESK_LOCK_MAX_S);
		return;
	}
	if (fields == 0) {
		kt_req_fail(r, KT_CODE_BAD, "fields: name the settings to "
		    "change");
		return;
	}
	if (!kt_text_take(b->name, sizeof(b->name), sr->name)) {
		kt_req_fail(r, KT_CODE_BAD, "name: is longer than %u bytes",
		    KT_NAME_MAX);
		return;
	}
	if (!take_settings(r, b, fields, sr->time_zone, sr->work_hours))
		return;
	b->set.desk_lock_s = sr->desk_lock_s;
	change(r, b);
}

static void
op_branch_rename(kt_req_t *r, const Kartoteka__Request *msg)
{
	branch_st_t *b = kt_req_state(r);

	b->change = &rename_change;
	if (!kt_text_take(b->name, sizeof(b->name), msg->branch_rename->name) ||
	    !kt_text_take(b->new_name, sizeof(b->new_name),
	    msg->branch_rename->new_name)) {
		kt_req_fail(r, KARTOTEKA__ERROR__CODE__BAD_REQUEST,
		    "%s: is longer than %u bytes", strlen(b->name) ?
		    "new_name" : "name", KT_NAME_MAX);
		return;
	}
	change(r, b);
}

static void
op_branch_archive(kt_req_t *r, const Kartoteka__Request *msg)
{
	branch_st_t *b = kt_req_state(r);

	b->change = &archive_change;
	b->archive = !msg->branch_archive->restore;
	if (!kt_text_take(b->name, sizeof(b->name), msg->branch_archive->name)) {
		kt_req_fail(r, KARTOTEKA__ERROR__CODE__BAD_REQUEST,
		    "name: is longer than %u bytes", KT_NAME_MAX);
		return;
	}
	change(r, b);
}

/* A kt_pager_row_fn: a branch (archived ones with include_all). */
static int
branch_row(const kt_pager_ctx_t *ctx, const MDB_val *k, const MDB_val *v,
    ProtobufCMessage **row)
{
	Ktstore__BranchRecord *rec;
	Kartoteka__Branch *b;
	int rc = 0;

	(void)k;
	*row = NULL;
	rec = ktstore__branch_record__unpack(NULL, v->mv_size, v->mv_data);
	if (rec == NULL)
		return 0;
	if (rec->archived && !ctx->include_all)
		goto out;
	if ((b = kt_arena_alloc(ctx->arena, sizeof(*b))) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	kartoteka__branch__init(b);
	b->id = rec->id;
	b->archived = rec->archived;
	b->name = kt_arena_strdup(ctx->arena, rec->name);
	b->address = kt_arena_strdup(ctx->arena, rec->address);
	b->time_zone = kt_arena_strdup(ctx->arena, rec->time_zone);
	b->desk_lock_s = rec->desk_lock_s;
	b->work_hours = kt_arena_alloc(ctx->arena, 16);
	if (b->work_hours != NULL)
		kt_work_hours_format(rec->work_from_min, rec->work_to_min,
		    b->work_hours, 16);
	if (b->name == NULL || b->address == NULL || b->time_zone == NULL ||
	    b->work_hours == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	*row = &b->base;
out:
	ktstore__branch_record__free_unpacked(rec, NULL);
	return rc;
}

static const kt_pager_kind_t branch_list_kind = { 'B', 8, branch_row };

static void
op_branch_list(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__BranchListRequest *lr = msg->branch_list;
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__BranchListResponse bl = KARTOTEKA__BRANCH_LIST_RESPONSE__INIT;
	kt_list_ask_t ask = { &lr->cursor, lr->limit, lr->include_archived };
	kt_pager_page_t page;

	if (!kt_list_read(r, &branch_list_kind,
	    kt_store_dbs(kt_req_server(r)->store)->branches, &ask, &page))
		return;
	/* The rows are Kartoteka__Branch messages (branch_row). */
	bl.branches = (Kartoteka__Branch **)page.rows;
	bl.n_branches = page.n;
	bl.next_cursor = page.next;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_BRANCH_LIST;
	resp.branch_list = &bl;
	kt_list_answer(r, &resp, KT_AUDIT_BRANCH_LIST, &ask, &page);
}

#define OP(c) KARTOTEKA__REQUEST__OP_##c

static const kt_op_row_t rows[] = {
	{ OP(BRANCH_ADD), KT_MSG("add branches"), KT_PHASE_LOGGED_IN, KT_OP_WRITE,
	    KT_ACT_ADMIN, KT_AUDIT_BRANCH_ADD, op_branch_add,
	    sizeof(branch_st_t) },
	{ OP(BRANCH_RENAME), KT_MSG("rename branches"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_ADMIN, KT_AUDIT_BRANCH_RENAME,
	    op_branch_rename, sizeof(branch_st_t) },
	{ OP(BRANCH_ARCHIVE), KT_MSG("archive or restore branches"),
	    KT_PHASE_LOGGED_IN, KT_OP_WRITE, KT_ACT_ADMIN,
	    KT_AUDIT_BRANCH_ARCHIVE, op_branch_archive, sizeof(branch_st_t) },
	{ OP(BRANCH_SET), KT_MSG("change branch settings"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_ADMIN, KT_AUDIT_BRANCH_SET, op_branch_set,
	    sizeof(branch_st_t) },
	{ OP(BRANCH_LIST), KT_MSG("list branches"), KT_PHASE_LOGGED_IN, 0,
	    KT_ACT_ADMIN, KT_AUDIT_BRANCH_LIST, op_branch_list, 0 },
};

const kt_op_domain_t kt_ops_branch = { "branch", rows,
	sizeof(rows) / sizeof(rows[0]) };
