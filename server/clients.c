/* SPDX-License-Identifier: MIT */
/* Client cards over the protocol: add, show (counted against the daily
 * view quota), edit, archive/restore, purge, reassign, find and list, with
 * per-branch visibility from authz.c. Reads run on the loop; every write
 * and every audit entry goes through the writer, and the answer leaves
 * only after the commit. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "model/audit.h"
#include "model/authz.h"
#include "model/client_card.h"
#include "model/client_query.h"
#include "model/client_store.h"
#include "kt_error.h"
#include "normalize.h"
#include "records.pb-c.h"
#include "server.h"

typedef Kartoteka__Error__Code err_code_t;
#define E_OK KARTOTEKA__ERROR__CODE__OK
#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define E_NOTFOUND KARTOTEKA__ERROR__CODE__NOT_FOUND
#define E_CONFLICT KARTOTEKA__ERROR__CODE__CONFLICT
#define E_QUOTA KARTOTEKA__ERROR__CODE__QUOTA_EXCEEDED
#define E_UNAVAILABLE KARTOTEKA__ERROR__CODE__UNAVAILABLE
#define E_INTERNAL KARTOTEKA__ERROR__CODE__INTERNAL

/* ==== one operation in flight ============================================ */

typedef enum cop_kind {
	OP_ADD, OP_SHOW, OP_EDIT, OP_ARCHIVE, OP_PURGE, OP_REASSIGN, OP_FIND,
	OP_LIST,
} cop_kind_t;

/* Everything a client op needs after the request is gone; owned by the
 * op, freed by op_free after the answer. */
typedef struct cop {
	srv_conn_t *c;
	uint64_t req_id;
	cop_kind_t kind;
	srv_user_t user;                 /* the caller, loaded on the loop */
	uint8_t term_key[32];
	const uint8_t *sign_sk;
	int64_t now;
	/* inputs */
	uint64_t id, version, branch, manager;
	unsigned fields;                 /* KT_CARD_* for edit */
	int restore, force;
	uint8_t *in;                     /* packed ClientRecord (add, edit) */
	size_t inlen;
	char detail[600];                /* find/list audit digest */
	/* results, set on the writer thread (reset on every run) */
	err_code_t code;
	char msg[300];
	uint8_t *out;                    /* packed ClientResponse or
					    ClientListResponse */
	size_t outlen;
} cop_t;

static void
op_free(cop_t *op)
{
	if (op == NULL)
		return;
	free(op->in);
	free(op->out);
	free(op);
}

static void
op_fail(cop_t *op, err_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
op_fail(cop_t *op, err_code_t code, const char *fmt, ...)
{
	va_list ap;

	op->code = code;
	va_start(ap, fmt);
	vsnprintf(op->msg, sizeof(op->msg), fmt, ap);
	va_end(ap);
}

static void
reply_error(srv_conn_t *c, uint64_t id, err_code_t code, const char *msg)
{
	srv_send_error(c, id, code, msg, 0);
}

/* Audits action on client id from the writer thread. */
static int
op_audit(kt_store_t *st, MDB_txn *txn, const cop_t *op, const char *action,
    uint64_t id, const char *detail)
{
	kt_audit_event_t ev = { 0 };
	char object[40];

	if (id)
		snprintf(object, sizeof(object), "client:%" PRIu64, id);
	else
		snprintf(object, sizeof(object), "clients");
	ev.user_id = op->user.id;
	ev.terminal_key = op->term_key;
	ev.action = action;
	ev.object = object;
	ev.outcome = (uint32_t)op->code;
	ev.detail = detail;
	return kt_identity_audit(st, txn, &ev, op->sign_sk);
}

/* ==== the card in answers ================================================= */

#define NOMEM(p) do { if ((p) == NULL) { rc = KT_ENOMEM; goto out; } } \
	while (0)

/* Packs a ClientResponse for r (contacts masked when masked) into
 * op->out. Runs on the writer thread, inside txn (for names). */
static int
card_out(cop_t *op, MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__ClientRecord *r, int masked)
{
	Kartoteka__ClientResponse cr = KARTOTEKA__CLIENT_RESPONSE__INIT;
	Kartoteka__Client cl = KARTOTEKA__CLIENT__INIT;
	kt_arena_t a;
	char bname[129], mlogin[65], buf[300];
	int rc;

	if ((rc = kt_arena_init(&a, 16 * 1024, 1u << 20)) != 0)
		return rc;
	kt_cstore_branch_name(txn, db, r->branch, bname, sizeof(bname));
	kt_cstore_user_login(txn, db, r->manager, mlogin, sizeof(mlogin));
	cl.id = r->id;
	cl.branch_id = r->branch;
	cl.branch = bname;
	cl.manager_id = r->manager;
	cl.manager = mlogin;
	cl.status = (Kartoteka__ClientStatus)r->status;
	cl.category = (Kartoteka__Category)r->category;
	cl.title = r->title;
	cl.source = r->source;
	cl.referred_by = r->referred_by;
	cl.n_tags = r->n_tags;
	cl.tags = r->tags;
	cl.notes = r->notes;
	cl.do_not_contact = r->do_not_contact;
	cl.consent_date = r->consent_date;
	cl.contract = r->contract;
	cl.discount_percent = r->discount_percent;
	cl.leaving_reason = r->leaving_reason;
	cl.created_at = r->created_at;
	cl.updated_at = r->updated_at;
	cl.version = r->version;
	cl.archived = r->archived;
	cl.masked = masked;
	cl.people = kt_arena_alloc(&a, (r->n_people + 1) * sizeof(*cl.people));
	cl.custom = kt_arena_alloc(&a, (r->n_custom + 1) * sizeof(*cl.custom));
	NOMEM(cl.people);
	NOMEM(cl.custom);
	for (size_t i = 0; i < r->n_people; i++) {
		const Ktstore__PersonRecord *p = r->people[i];
		Kartoteka__Person *q = kt_arena_alloc(&a, sizeof(*q));
		NOMEM(q);
		kartoteka__person__init(q);
		q->name = p->name;
		q->relation = (Kartoteka__Relation)p->relation;
		q->birth_year = p->birth_year;
		q->birth_month = p->birth_month;
		q->birth_day = p->birth_day;
		q->note = p->note;
		q->n_phones = p->n_phones;
		q->phones = p->phones;
		q->email = p->email;
		if (masked) {
			q->phones = kt_arena_alloc(&a, (p->n_phones + 1) *
			    sizeof(char *));
			NOMEM(q->phones);
			for (size_t j = 0; j < p->n_phones; j++) {
				kt_mask_phone(p->phones[j], buf, sizeof(buf));
				NOMEM(q->phones[j] = kt_arena_strdup(&a, buf));
			}
			if (p->email && p->email[0]) {
				kt_mask_email(p->email, buf, sizeof(buf));
				NOMEM(q->email = kt_arena_strdup(&a, buf));
			}
		}
		cl.people[cl.n_people++] = q;
	}
	for (size_t i = 0; i < r->n_custom; i++) {
		Kartoteka__CustomField *f = kt_arena_alloc(&a, sizeof(*f));
		NOMEM(f);
		kartoteka__custom_field__init(f);
		f->name = r->custom[i]->name;
		f->value = r->custom[i]->value;
		cl.custom[cl.n_custom++] = f;
	}
	cr.client = &cl;
	free(op->out);
	op->outlen = kartoteka__client_response__get_packed_size(&cr);
	op->out = malloc(op->outlen);
	NOMEM(op->out);
	kartoteka__client_response__pack(&cr, op->out);
out:
	kt_arena_free(&a);
	return rc;
}

/* A ClientResponse carrying only duplicate_of (with a CONFLICT). */
static int
dup_out(cop_t *op, uint64_t dup)
{
	Kartoteka__ClientResponse cr = KARTOTEKA__CLIENT_RESPONSE__INIT;

	cr.duplicate_of = dup;
	free(op->out);
	op->outlen = kartoteka__client_response__get_packed_size(&cr);
	op->out = malloc(op->outlen ? op->outlen : 1);
	if (op->out == NULL)
		return KT_ENOMEM;
	kartoteka__client_response__pack(&cr, op->out);
	return 0;
}

/* ==== answering =========================================================== */

static void
op_done(int status, void *arg)
{
	cop_t *op = arg;
	srv_conn_t *c = op->c;
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__Error err = KARTOTEKA__ERROR__INIT;
	Kartoteka__ClientResponse *cr = NULL;
	Kartoteka__ClientListResponse *lr = NULL;

	if (!srv_conn_alive(c))
		goto out;
	if (status != 0) {
		reply_error(c, op->req_id, E_UNAVAILABLE, status == KT_ENOSPC ?
		    "the store is full: tell the owner" :
		    "could not save the change: try again");
		goto out;
	}
	resp.id = op->req_id;
	if (op->code != E_OK) {
		err.code = op->code;
		err.message = op->msg;
		resp.error = &err;
	}
	if (op->out != NULL && (op->kind == OP_FIND || op->kind == OP_LIST)) {
		lr = kartoteka__client_list_response__unpack(NULL, op->outlen,
		    op->out);
		if (lr == NULL)
			goto internal;
		resp.result_case = KARTOTEKA__RESPONSE__RESULT_CLIENT_LIST;
		resp.client_list = lr;
	} else if (op->out != NULL) {
		cr = kartoteka__client_response__unpack(NULL, op->outlen,
		    op->out);
		if (cr == NULL)
			goto internal;
		resp.result_case = KARTOTEKA__RESPONSE__RESULT_CLIENT;
		resp.client = cr;
	} else if (op->code == E_OK) {
		goto internal;
	}
	srv_send(c, &resp);
	goto out;
internal:
	reply_error(c, op->req_id, E_INTERNAL, "could not build the answer");
out:
	if (cr)
		kartoteka__client_response__free_unpacked(cr, NULL);
	if (lr)
		kartoteka__client_list_response__free_unpacked(lr, NULL);
	srv_conn_unref(c);
	op_free(op);
}

/* Allocates an op for req and loads the caller. Opens a read transaction
 * left in *txn for the handler (end it with kt_store_read_end). On
 * failure answers and returns NULL. */
static cop_t *
op_begin(srv_conn_t *c, const Kartoteka__Request *req, cop_kind_t kind,
    MDB_txn **txn)
{
	cop_t *op = calloc(1, sizeof(*op));

	*txn = NULL;
	if (op == NULL) {
		reply_error(c, req->id, E_INTERNAL, "out of memory");
		return NULL;
	}
	op->c = c;
	op->req_id = req->id;
	op->kind = kind;
	memcpy(op->term_key, c->term_key, 32);
	op->sign_sk = c->srv->sign_sk;
	op->now = kt_now_s();
	if (kt_store_read_begin(c->srv->store, txn) != 0) {
		reply_error(c, req->id, E_UNAVAILABLE, "store unavailable");
		free(op);
		return NULL;
	}
	if (srv_load_user(c->srv, *txn, c->user_id, &op->user) != 0 ||
	    op->user.disabled) {
		kt_store_read_end(c->srv->store, *txn);
		*txn = NULL;
		reply_error(c, req->id, KARTOTEKA__ERROR__CODE__UNAUTHENTICATED,
		    "your account is no longer active: log in again");
		free(op);
		return NULL;
	}
	return op;
}

static void
op_submit(cop_t *op, kt_store_mutation_fn fn)
{
	srv_conn_t *c = op->c;

	if (srv_submit(c, fn, op_done, op) != 0) {
		reply_error(c, op->req_id, E_UNAVAILABLE, "server is stopping");
		op_free(op);
	}
}

/* authz for op's caller on client r. */
static int
op_authz(const cop_t *op, kt_action_t a, uint64_t branch, uint64_t manager)
{
	return kt_authz_client(op->user.id, op->user.role, op->user.branches,
	    op->user.nbranches, a, branch, manager);
}

/* ==== resolving names ===================================================== */

/* The id under key in name index dbi (a BE64 value), or KT_ENOTFOUND. */
static int
id_by_name(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t len,
    uint64_t *out)
{
	MDB_val k = { len, (void *)key }, v;

	if (len == 0 || mdb_get(txn, dbi, &k, &v) != 0 || v.mv_size != 8)
		return KT_ENOTFOUND;
	*out = kt_store_get_be64(v.mv_data);
	return 0;
}

/* id itself when a record of it exists in dbi, else KT_ENOTFOUND. */
static int
id_exists(MDB_txn *txn, MDB_dbi dbi, uint64_t id, uint64_t *out)
{
	uint8_t key[8];
	MDB_val k = { 8, key }, v;

	kt_store_be64(key, id);
	if (id == 0 || mdb_get(txn, dbi, &k, &v) != 0)
		return KT_ENOTFOUND;
	*out = id;
	return 0;
}

/* A branch by name (as stored, else folded) when one is given, else by
 * id. */
static int
find_branch(MDB_txn *txn, const kt_store_dbs_t *db, const char *name,
    uint64_t id, uint64_t *out)
{
	char folded[KT_CSTORE_WORD_MAX + 1];

	if (name != NULL && name[0] != '\0') {
		if (id_by_name(txn, db->branch_names, name, strlen(name),
		    out) == 0)
			return 0;
		return id_by_name(txn, db->branch_names, folded,
		    kt_cstore_fold_key(name, folded), out);
	}
	return id_exists(txn, db->branches, id, out);
}

/* A user by login when one is given, else by id. */
static int
find_user_id(MDB_txn *txn, const kt_store_dbs_t *db, const char *login,
    uint64_t id, uint64_t *out)
{
	if (login != NULL && login[0] != '\0')
		return id_by_name(txn, db->user_logins, login, strlen(login),
		    out);
	return id_exists(txn, db->users, id, out);
}

/* May user id manage a client of branch? (working, and the owner or a
 * user of that branch). Writer or loop, inside txn. */
static int
manager_fits(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    uint64_t branch, char *login, size_t cap)
{
	Ktstore__UserRecord *u = NULL;
	uint8_t key[8];
	int ok = 0;

	kt_store_be64(key, id);
	if (kt_store_get_record(txn, db->users, key, 8,
	    &ktstore__user_record__descriptor, (ProtobufCMessage **)&u) != 0) {
		snprintf(login, cap, "#%" PRIu64, id);
		return 0;
	}
	snprintf(login, cap, "%s", u->login ? u->login : "");
	if (!u->disabled) {
		ok = u->role == KARTOTEKA__ROLE__OWNER;
		for (size_t i = 0; i < u->n_branches && !ok; i++)
			ok = u->branches[i] == branch;
	}
	protobuf_c_message_free_unpacked(&u->base, NULL);
	return ok;
}

/* ==== add ================================================================= */

/* 1 when the stored card old already has phone (is_phone) or e-mail
 * what: an edit that keeps a contact is not a new duplicate. */
static int
has_contact(const Ktstore__ClientRecord *old, const char *what, int is_phone)
{
	char a[KT_CSTORE_WORD_MAX + 1], b[KT_CSTORE_WORD_MAX + 1];

	if (old == NULL)
		return 0;
	if (!is_phone)
		kt_cstore_fold_key(what, a);
	for (size_t i = 0; i < old->n_people; i++) {
		const Ktstore__PersonRecord *p = old->people[i];
		if (!is_phone && p->email && p->email[0] &&
		    kt_cstore_fold_key(p->email, b) > 0 && strcmp(a, b) == 0)
			return 1;
		for (size_t j = 0; is_phone && j < p->n_phones; j++)
			if (strcmp(p->phones[j], what) == 0)
				return 1;
	}
	return 0;
}

/* Finds a phone or e-mail of r already on another card. old is the stored
 * version of r for an edit (its contacts and its id are not duplicates),
 * NULL for a new card. Sets op->code (CONFLICT) and message when one is
 * found and not forced; with force, *forced gets the first duplicate's
 * id. */
static int
check_duplicates(cop_t *op, MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__ClientRecord *r, const Ktstore__ClientRecord *old,
    uint64_t *forced)
{
	char key[KT_CSTORE_WORD_MAX + 1];
	int rc = 0;

	*forced = 0;
	for (size_t i = 0; i < r->n_people; i++) {
		const Ktstore__PersonRecord *p = r->people[i];
		for (size_t j = 0; j <= p->n_phones; j++) {
			kt_idset_t s = { 0 };
			const char *what;
			MDB_dbi dbi;
			size_t n;
			if (j < p->n_phones) {
				what = p->phones[j];
				dbi = db->cx_phone;
				n = strlen(what);
				memcpy(key, what, n);
			} else if (p->email && p->email[0]) {
				what = p->email;
				dbi = db->cx_email;
				n = kt_cstore_fold_key(what, key);
			} else {
				continue;
			}
			if (n == 0 || has_contact(old, what, j < p->n_phones))
				continue;
			if ((rc = kt_cstore_ids_eq(txn, dbi, key, n, &s)) != 0)
				return rc;
			for (size_t k = 0; k < s.n; k++) {
				Ktstore__ClientRecord *o = NULL;
				int vis;
				if ((old != NULL && s.ids[k] == old->id) ||
				    kt_cstore_get(txn, db, s.ids[k], &o) != 0)
					continue;
				vis = op_authz(op, KT_ACT_SEE_CLIENT, o->branch,
				    o->manager) == 0;
				if (op->force) {
					if (*forced == 0)
						*forced = o->id;
				} else if (vis) {
					op_fail(op, E_CONFLICT, "%s %s already "
					    "belongs to client %" PRIu64 " (%s)",
					    j < p->n_phones ? "phone" : "e-mail",
					    what, o->id, o->title);
					rc = dup_out(op, o->id);
				} else {
					op_fail(op, E_CONFLICT, "this %s "
					    "belongs to a client of another "
					    "branch", j < p->n_phones ? "phone" :
					    "e-mail");
				}
				protobuf_c_message_free_unpacked(&o->base, NULL);
				if (op->code != E_OK)
					break;
			}
			kt_idset_free(&s);
			if (op->code != E_OK || rc != 0)
				return rc;
		}
	}
	return 0;
}

/* r->referred_by, when set, must be another card the caller can see
 * (and not purged): otherwise op->code is BAD, naming the field. A card
 * of a branch the caller cannot see answers as one that does not exist. */
static int
check_referrer(cop_t *op, MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__ClientRecord *r)
{
	Ktstore__ClientRecord *o = NULL;
	int rc;

	if (r->referred_by == 0)
		return 0;
	if (r->referred_by == r->id) {
		op_fail(op, E_BAD, "referred_by: a client cannot refer itself");
		return 0;
	}
	rc = kt_cstore_get(txn, db, r->referred_by, &o);
	if (rc == KT_ENOTFOUND || (rc == 0 && (o->purged ||
	    op_authz(op, KT_ACT_SEE_CLIENT, o->branch, o->manager) != 0))) {
		op_fail(op, E_BAD, "referred_by: no client %" PRIu64,
		    r->referred_by);
		rc = 0;
	}
	if (o != NULL)
		protobuf_c_message_free_unpacked(&o->base, NULL);
	return rc;
}

static int
add_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	cop_t *op = arg;
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__ClientRecord *r = NULL;
	uint64_t forced = 0;
	char detail[200];
	int rc;

	op->code = E_OK;
	free(op->out);
	op->out = NULL;
	r = ktstore__client_record__unpack(NULL, op->inlen, op->in);
	if (r == NULL)
		return KT_EPROTO;
	if ((rc = check_referrer(op, txn, db, r)) != 0 ||
	    (op->code == E_OK &&
	    (rc = check_duplicates(op, txn, db, r, NULL, &forced)) != 0))
		goto out;
	if (op->code == E_BAD)
		goto out;       /* bad input: nothing to audit */
	if (op->code != E_OK) {
		rc = op_audit(st, txn, op, "client.add", 0, op->msg[0] == 't' ?
		    "duplicate of a client of another branch" :
		    "duplicate contact");
		goto out;
	}
	if ((rc = kt_store_next_id(st, txn, "client", &r->id)) != 0)
		goto out;
	r->branch = op->branch;
	r->manager = op->manager;
	r->created_at = r->updated_at = op->now;
	r->created_by = op->user.id;
	r->version = 1;
	if ((rc = kt_cstore_put(txn, db, NULL, r)) != 0)
		goto out;
	if (forced)
		snprintf(detail, sizeof(detail), "branch=%" PRIu64 " manager=%"
		    PRIu64 " forced duplicate of %" PRIu64, r->branch,
		    r->manager, forced);
	else
		snprintf(detail, sizeof(detail), "branch=%" PRIu64 " manager=%"
		    PRIu64, r->branch, r->manager);
	if ((rc = op_audit(st, txn, op, "client.add", r->id, detail)) != 0)
		goto out;
	rc = card_out(op, txn, db, r, 0);
out:
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return rc;
}

/* Only the audit entry of a refusal decided on the loop. */
static int
refusal_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	cop_t *op = arg;

	return op_audit(st, txn, op, "client.add", 0, op->detail);
}

static void
handle_add(srv_conn_t *c, const Kartoteka__Request *req)
{
	const Kartoteka__ClientAddRequest *ar = req->client_add;
	const Kartoteka__Client *in = ar->client;
	const kt_store_dbs_t *db = kt_store_dbs(c->srv->store);
	Ktstore__ClientRecord r = KTSTORE__CLIENT_RECORD__INIT;
	kt_arena_t a = { 0 };
	char err[300], login[65];
	MDB_txn *txn = NULL;
	cop_t *op;
	int named_mgr, rc;

	if (in == NULL) {
		reply_error(c, req->id, E_BAD, "client: missing");
		return;
	}
	if ((op = op_begin(c, req, OP_ADD, &txn)) == NULL)
		return;
	op->force = ar->force;
	/* Branch: named, else the terminal's, else the user's only one. */
	if ((in->branch && in->branch[0]) || in->branch_id) {
		if (find_branch(txn, db, in->branch, in->branch_id,
		    &op->branch) != 0) {
			snprintf(err, sizeof(err), "branch: no branch '%s'",
			    in->branch && in->branch[0] ? in->branch : "#id");
			goto bad;
		}
	} else if (c->term_branch) {
		op->branch = c->term_branch;
	} else if (op->user.nbranches == 1) {
		op->branch = op->user.branches[0];
	} else {
		snprintf(err, sizeof(err), "branch: name the client's branch");
		goto bad;
	}
	/* Manager: the creator, unless one who may reassign names another. */
	op->manager = op->user.id;
	named_mgr = (in->manager && in->manager[0]) || in->manager_id;
	if (named_mgr && find_user_id(txn, db, in->manager, in->manager_id,
	    &op->manager) != 0) {
		snprintf(err, sizeof(err), "manager: no user '%s'",
		    in->manager && in->manager[0] ? in->manager : "#id");
		goto bad;
	}
	rc = op_authz(op, KT_ACT_CREATE_CLIENT, op->branch, op->manager);
	if (rc == 0 && op->manager != op->user.id)
		rc = op_authz(op, KT_ACT_REASSIGN, op->branch, op->manager);
	if (rc != 0) {
		/* Refusals are audited too. */
		kt_store_read_end(c->srv->store, txn);
		op_fail(op, E_FORBIDDEN, "%s", op->manager != op->user.id &&
		    rc == KT_EPERM ? "you may not name another manager: only "
		    "an owner or a head may" : "you may not create a client in "
		    "this branch");
		snprintf(op->detail, sizeof(op->detail), "branch=%" PRIu64
		    " %s", op->branch, op->msg);
		op_submit(op, refusal_mut);
		return;
	}
	if (op->manager != op->user.id &&
	    !manager_fits(txn, db, op->manager, op->branch, login,
	    sizeof(login))) {
		snprintf(err, sizeof(err), "manager: user %s does not work in "
		    "the client's branch", login);
		goto bad;
	}
	kt_store_read_end(c->srv->store, txn);
	txn = NULL;
	if (kt_arena_init(&a, 16 * 1024, 1u << 20) != 0) {
		snprintf(err, sizeof(err), "out of memory");
		goto bad;
	}
	r.status = KARTOTEKA__CLIENT_STATUS__LEAD;
	if (kt_card_build(in, KT_CARD_ALL, op->now,
	    c->srv->opts.phone_country, &a, &r, err, sizeof(err)) != 0 ||
	    kt_card_pack(&r, &op->in, &op->inlen, err, sizeof(err)) != 0)
		goto bad;
	kt_arena_free(&a);
	op_submit(op, add_mut);
	return;
bad:
	if (txn)
		kt_store_read_end(c->srv->store, txn);
	kt_arena_free(&a);
	reply_error(c, req->id, E_BAD, err);
	op_free(op);
}

/* ==== show ================================================================ */

static uint32_t
unix_day(int64_t now)
{
	return (uint32_t)(now / 86400);
}

/* Loads client op->id for the writer mutations and checks action a.
 * Sets op->code (NOT_FOUND / FORBIDDEN) when refused; *audit_refusal is
 * set when the refusal must be audited (FORBIDDEN). */
static int
load_for(cop_t *op, MDB_txn *txn, const kt_store_dbs_t *db, kt_action_t a,
    Ktstore__ClientRecord **r)
{
	int rc = kt_cstore_get(txn, db, op->id, r);

	if (rc == KT_ENOTFOUND) {
		op_fail(op, E_NOTFOUND, "no client %" PRIu64, op->id);
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = op_authz(op, a, (*r)->branch, (*r)->manager);
	if (rc == KT_ENOTFOUND) {
		op_fail(op, E_NOTFOUND, "no client %" PRIu64, op->id);
	} else if (rc != 0) {
		op_fail(op, E_FORBIDDEN, "you may not %s (client %" PRIu64 ")",
		    kt_authz_action_name(a), op->id);
	} else if ((*r)->purged) {
		op_fail(op, E_NOTFOUND, "client %" PRIu64 " was purged", op->id);
	}
	return 0;
}

/* The start of every view of or change to one card: loads it for action a (the
 * caller's visibility and right), auditing a refusal of the right under
 * action. On return *r is the card when op->code is E_OK (free it with
 * protobuf_c_message_free_unpacked, also when not OK: it may be set).
 * Returns 0 or a store error. */
static int
card_load(kt_store_t *st, MDB_txn *txn, cop_t *op, kt_action_t a,
    const char *action, Ktstore__ClientRecord **r)
{
	int rc;

	op->code = E_OK;
	free(op->out);
	op->out = NULL;
	*r = NULL;
	if ((rc = load_for(op, txn, kt_store_dbs(st), a, r)) != 0)
		return rc;
	if (op->code == E_FORBIDDEN)
		rc = op_audit(st, txn, op, action, op->id, op->msg);
	return rc;
}

static int
show_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	cop_t *op = arg;
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__ClientRecord *r = NULL;
	uint32_t quota = 0, count = 0;
	char detail[80];
	int rc;

	if ((rc = card_load(st, txn, op, KT_ACT_FULL_CARD, "client.view",
	    &r)) != 0 || op->code != E_OK)
		goto out;
	/* DESIGN §4: only a manager's full views count against a quota; a
	 * stored 0 (never written by admin.c) means the default. */
	if (op->user.role == KARTOTEKA__ROLE__MANAGER)
		quota = op->user.daily_view_quota ? op->user.daily_view_quota :
		    KT_DEFAULT_VIEW_QUOTA;
	rc = kt_cstore_views_bump(txn, db, op->user.id, unix_day(op->now),
	    quota, &count);
	if (rc == KT_EPERM) {
		op_fail(op, E_QUOTA, "daily quota of %u full cards used up",
		    quota);
		rc = op_audit(st, txn, op, "client.view", op->id, op->msg);
		goto out;
	}
	if (rc != 0)
		goto out;
	if (quota)
		snprintf(detail, sizeof(detail), "views today %u of %u", count,
		    quota);
	else
		snprintf(detail, sizeof(detail), "views today %u", count);
	if ((rc = op_audit(st, txn, op, "client.view", op->id, detail)) != 0)
		goto out;
	rc = card_out(op, txn, db, r, 0);
out:
	if (r)
		protobuf_c_message_free_unpacked(&r->base, NULL);
	return rc;
}

/* The common path of ops naming one client by id: a quick visibility
 * check on the loop (a client the caller cannot see costs no write), then
 * the mutation decides again in the writer's transaction. */
static void
by_id(srv_conn_t *c, const Kartoteka__Request *req, cop_kind_t kind,
    uint64_t id, kt_store_mutation_fn fn, cop_t **keep)
{
	Ktstore__ClientRecord *r = NULL;
	MDB_txn *txn = NULL;
	cop_t *op;
	int rc;

	if (keep)
		*keep = NULL;
	if ((op = op_begin(c, req, kind, &txn)) == NULL)
		return;
	op->id = id;
	rc = kt_cstore_get(txn, kt_store_dbs(c->srv->store), id, &r);
	if (rc == 0 && op_authz(op, KT_ACT_SEE_CLIENT, r->branch,
	    r->manager) == KT_ENOTFOUND)
		rc = KT_ENOTFOUND;
	if (r)
		protobuf_c_message_free_unpacked(&r->base, NULL);
	kt_store_read_end(c->srv->store, txn);
	if (rc != 0) {
		char msg[64];
		snprintf(msg, sizeof(msg), "no client %" PRIu64, id);
		reply_error(c, req->id, rc == KT_ENOTFOUND ? E_NOTFOUND :
		    E_UNAVAILABLE, rc == KT_ENOTFOUND ? msg : "store error");
		op_free(op);
		return;
	}
	if (keep) {
		*keep = op;
		return;
	}
	op_submit(op, fn);
}

/* ==== edit, archive, purge, reassign ====================================== */

/* The end of every change to one card: next (old with the change, borrowing
 * its memory) gets the next version and the time, is stored with its
 * indexes, audited under action with detail (NULL: none), and answered
 * masked. Returns 0 or a store error. */
static int
card_commit(kt_store_t *st, MDB_txn *txn, cop_t *op,
    const Ktstore__ClientRecord *old, Ktstore__ClientRecord *next,
    const char *action, const char *detail)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	int rc;

	next->version = old->version + 1;
	next->updated_at = op->now;
	if ((rc = kt_cstore_put(txn, db, old, next)) != 0 ||
	    (rc = op_audit(st, txn, op, action, op->id, detail)) != 0)
		return rc;
	return card_out(op, txn, db, next, 1);
}

static int
edit_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	cop_t *op = arg;
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__ClientRecord *old = NULL, *in = NULL, r;
	char detail[300], err[300];
	uint8_t *buf = NULL;
	uint64_t forced = 0;
	size_t len;
	unsigned b = op->fields;
	int rc;

	if ((rc = card_load(st, txn, op, KT_ACT_EDIT_CLIENT, "client.edit",
	    &old)) != 0 || op->code != E_OK)
		goto out;
	if (old->version != op->version) {
		op_fail(op, E_CONFLICT, "client %" PRIu64 " was changed "
		    "meanwhile: current version is %" PRIu64, op->id,
		    old->version);
		goto out;
	}
	in = ktstore__client_record__unpack(NULL, op->inlen, op->in);
	if (in == NULL) {
		rc = KT_EPROTO;
		goto out;
	}
	/* r borrows old's and in's memory: never freed itself. */
	kt_card_merge(old, in, b, &r);
	r.version = old->version + 1;
	r.updated_at = op->now;
	/* The merged card must still fit an answer. */
	if (kt_card_pack(&r, &buf, &len, err, sizeof(err)) != 0) {
		op_fail(op, E_BAD, "%s", err);
		goto out;
	}
	if ((b & KT_CARD_REFERRED) && (rc = check_referrer(op, txn, db, &r)) != 0)
		goto out;
	if (op->code == E_OK && (b & KT_CARD_PEOPLE) &&
	    (rc = check_duplicates(op, txn, db, &r, old, &forced)) != 0)
		goto out;
	if (op->code == E_CONFLICT)
		rc = op_audit(st, txn, op, "client.edit", op->id,
		    op->msg[0] == 't' ? "duplicate of a client of another "
		    "branch" : "duplicate contact");
	if (op->code != E_OK)
		goto out;
	kt_card_fields_digest(b, detail, sizeof(detail));
	if (forced) {
		size_t n = strlen(detail);
		snprintf(detail + n, sizeof(detail) - n, " forced duplicate "
		    "of %" PRIu64, forced);
	}
	rc = card_commit(st, txn, op, old, &r, "client.edit", detail);
out:
	free(buf);
	if (in)
		protobuf_c_message_free_unpacked(&in->base, NULL);
	if (old)
		protobuf_c_message_free_unpacked(&old->base, NULL);
	return rc;
}

static void
handle_edit(srv_conn_t *c, const Kartoteka__Request *req)
{
	const Kartoteka__ClientEditRequest *er = req->client_edit;
	Ktstore__ClientRecord r = KTSTORE__CLIENT_RECORD__INIT;
	Kartoteka__Client empty = KARTOTEKA__CLIENT__INIT;
	kt_arena_t a = { 0 };
	char err[300];
	unsigned bits = 0;
	cop_t *op = NULL;

	for (size_t i = 0; i < er->n_fields; i++) {
		unsigned bit = kt_card_field_bit(er->fields[i]);
		if (bit == 0) {
			if (strcmp(er->fields[i], "manager") == 0)
				snprintf(err, sizeof(err), "fields: 'manager' "
				    "is changed with reassign");
			else
				snprintf(err, sizeof(err), "fields: '%.64s' is "
				    "not a field that can be edited",
				    kt_utf8_valid(er->fields[i], 0) ?
				    er->fields[i] : "?");
			reply_error(c, req->id, E_BAD, err);
			return;
		}
		bits |= bit;
	}
	if (bits == 0) {
		reply_error(c, req->id, E_BAD, "fields: name the fields to "
		    "change");
		return;
	}
	if (er->version == 0) {
		reply_error(c, req->id, E_BAD, "version: give the version you "
		    "read (client show)");
		return;
	}
	if (kt_arena_init(&a, 16 * 1024, 1u << 20) != 0) {
		reply_error(c, req->id, E_INTERNAL, "out of memory");
		return;
	}
	if (kt_card_build(er->client ? er->client : &empty, bits, kt_now_s(),
	    c->srv->opts.phone_country, &a, &r, err, sizeof(err)) != 0) {
		reply_error(c, req->id, E_BAD, err);
		goto out;
	}
	by_id(c, req, OP_EDIT, er->id, NULL, &op);
	if (op == NULL)
		goto out;
	op->version = er->version;
	op->fields = bits;
	op->force = er->force;
	if (kt_card_pack(&r, &op->in, &op->inlen, err, sizeof(err)) != 0) {
		reply_error(c, req->id, E_BAD, err);
		op_free(op);
		goto out;
	}
	op_submit(op, edit_mut);
out:
	kt_arena_free(&a);
}

static int
archive_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	cop_t *op = arg;
	Ktstore__ClientRecord *r = NULL;
	Ktstore__ClientRecord nr;
	const char *action = op->restore ? "client.restore" : "client.archive";
	int rc;

	if ((rc = card_load(st, txn, op, KT_ACT_ARCHIVE, action, &r)) != 0 ||
	    op->code != E_OK)
		goto out;
	nr = *r;
	nr.archived = !op->restore;
	rc = card_commit(st, txn, op, r, &nr, action, NULL);
out:
	if (r)
		protobuf_c_message_free_unpacked(&r->base, NULL);
	return rc;
}

static int
purge_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	cop_t *op = arg;
	Ktstore__ClientRecord *r = NULL;
	Ktstore__ClientRecord t = KTSTORE__CLIENT_RECORD__INIT;
	int rc;

	if ((rc = card_load(st, txn, op, KT_ACT_PURGE, "client.purge", &r)) !=
	    0 || op->code != E_OK)
		goto out;
	/* The tombstone: the id and bookkeeping, no personal data. */
	t.id = r->id;
	t.branch = r->branch;
	t.manager = r->manager;
	t.created_at = r->created_at;
	t.created_by = r->created_by;
	t.purged_at = op->now;
	t.purged = 1;
	t.archived = 1;
	t.title = "";
	rc = card_commit(st, txn, op, r, &t, "client.purge", NULL);
out:
	if (r)
		protobuf_c_message_free_unpacked(&r->base, NULL);
	return rc;
}

static int
reassign_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	cop_t *op = arg;
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__ClientRecord *r = NULL;
	Ktstore__ClientRecord nr;
	char login[65], detail[200];
	uint64_t from;
	int rc;

	if ((rc = card_load(st, txn, op, KT_ACT_REASSIGN, "client.reassign",
	    &r)) != 0 || op->code != E_OK)
		goto out;
	if (!manager_fits(txn, db, op->manager, r->branch, login,
	    sizeof(login))) {
		op_fail(op, E_BAD, "manager: user %s does not work in the "
		    "client's branch", login);
		goto out;
	}
	from = r->manager;
	nr = *r;
	nr.manager = op->manager;
	snprintf(detail, sizeof(detail), "manager %" PRIu64 " -> %" PRIu64,
	    from, op->manager);
	rc = card_commit(st, txn, op, r, &nr, "client.reassign", detail);
out:
	if (r)
		protobuf_c_message_free_unpacked(&r->base, NULL);
	return rc;
}

static void
handle_reassign(srv_conn_t *c, const Kartoteka__Request *req)
{
	const Kartoteka__ClientReassignRequest *rr = req->client_reassign;
	MDB_txn *txn = NULL;
	cop_t *op = NULL;
	char msg[128];
	int rc;

	by_id(c, req, OP_REASSIGN, rr->id, NULL, &op);
	if (op == NULL)
		return;
	rc = kt_store_read_begin(c->srv->store, &txn);
	if (rc == 0) {
		rc = find_user_id(txn, kt_store_dbs(c->srv->store), rr->manager,
		    0, &op->manager);
		kt_store_read_end(c->srv->store, txn);
	}
	if (rc != 0) {
		snprintf(msg, sizeof(msg), "manager: no user '%.64s'",
		    rr->manager && kt_utf8_valid(rr->manager, 0) ?
		    rr->manager : "");
		reply_error(c, req->id, E_BAD, msg);
		op_free(op);
		return;
	}
	op_submit(op, reassign_mut);
}

/* ==== find and list ======================================================= */

static int
audit_only_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	cop_t *op = arg;

	return op_audit(st, txn, op, op->kind == OP_FIND ? "client.find" :
	    "client.list", 0, op->detail);
}

static void
caller_of(const cop_t *op, kt_cq_caller_t *who)
{
	who->id = op->user.id;
	who->role = op->user.role;
	who->branches = op->user.branches;
	who->nbranches = op->user.nbranches;
}

static void
handle_find(srv_conn_t *c, const Kartoteka__Request *req)
{
	const Kartoteka__ClientFindRequest *fr = req->client_find;
	kt_cq_caller_t who;
	kt_cq_page_t page;
	char digest[520];
	const char *why = NULL;
	MDB_txn *txn = NULL;
	cop_t *op;
	int rc;

	if ((op = op_begin(c, req, OP_FIND, &txn)) == NULL)
		return;
	caller_of(op, &who);
	rc = kt_cquery_find(txn, kt_store_dbs(c->srv->store), &who, fr->text,
	    c->srv->opts.phone_country, fr->cursor.data, fr->cursor.len, fr->limit, &page,
	    digest, sizeof(digest), &why);
	kt_store_read_end(c->srv->store, txn);
	if (rc != 0) {
		reply_error(c, req->id, rc == KT_EINVAL ? E_BAD : E_INTERNAL,
		    rc == KT_EINVAL ? why : "search failed");
		op_free(op);
		return;
	}
	op->out = page.packed;
	op->outlen = page.len;
	snprintf(op->detail, sizeof(op->detail), "%s rows=%u total=%" PRIu64,
	    digest, page.rows, page.total);
	op_submit(op, audit_only_mut);
}

static void
handle_list(srv_conn_t *c, const Kartoteka__Request *req)
{
	const Kartoteka__ClientListRequest *lr = req->client_list;
	const kt_store_dbs_t *db = kt_store_dbs(c->srv->store);
	kt_cq_filter_t f = { 0 };
	kt_cq_caller_t who;
	kt_cq_page_t page;
	const char *why = NULL;
	char msg[160];
	MDB_txn *txn = NULL;
	cop_t *op;
	size_t n = 0;
	int rc;

	if ((op = op_begin(c, req, OP_LIST, &txn)) == NULL)
		return;
	if (lr->branch && lr->branch[0] &&
	    find_branch(txn, db, lr->branch, 0, &f.branch) != 0) {
		snprintf(msg, sizeof(msg), "branch: no branch '%.64s'",
		    kt_utf8_valid(lr->branch, 0) ? lr->branch : "?");
		goto bad;
	}
	if (lr->manager && lr->manager[0] &&
	    find_user_id(txn, db, lr->manager, 0, &f.manager) != 0) {
		snprintf(msg, sizeof(msg), "manager: no user '%.64s'",
		    kt_utf8_valid(lr->manager, 0) ? lr->manager : "?");
		goto bad;
	}
	if ((lr->tag && !kt_utf8_valid(lr->tag, 0)) ||
	    (lr->source && !kt_utf8_valid(lr->source, 0))) {
		snprintf(msg, sizeof(msg), "%s: not valid UTF-8 text",
		    lr->tag && !kt_utf8_valid(lr->tag, 0) ? "tag" : "source");
		goto bad;
	}
	f.status = (uint32_t)lr->status;
	f.category = (uint32_t)lr->category;
	f.tag = lr->tag;
	f.source = lr->source;
	f.birth_month = lr->birth_month;
	f.children_only = lr->children_only;
	f.child_birth_year = lr->child_birth_year;
	f.child_age_min = lr->child_age_min;
	f.child_age_max = lr->child_age_max;
	f.created_from = lr->created_from;
	f.created_to = lr->created_to;
	f.include_archived = lr->include_archived;
	f.now = op->now;
	caller_of(op, &who);
	rc = kt_cquery_list(txn, db, &who, &f, lr->cursor.data, lr->cursor.len,
	    lr->limit, &page, &why);
	kt_store_read_end(c->srv->store, txn);
	txn = NULL;
	if (rc != 0) {
		snprintf(msg, sizeof(msg), "%s", rc == KT_EINVAL ? why :
		    "listing failed");
		reply_error(c, req->id, rc == KT_EINVAL ? E_BAD : E_INTERNAL,
		    msg);
		op_free(op);
		return;
	}
	op->out = page.packed;
	op->outlen = page.len;
	/* The filter digest: which filters, never personal data beyond the
	 * tag and source the caller typed. */
#define D(...) n += (size_t)snprintf(op->detail + n, n < sizeof(op->detail) ? \
	sizeof(op->detail) - n : 0, __VA_ARGS__)
	if (f.branch) D("branch=%" PRIu64 " ", f.branch);
	if (f.manager) D("manager=%" PRIu64 " ", f.manager);
	if (f.status) D("status=%u ", f.status);
	if (f.category) D("category=%u ", f.category);
	if (f.tag && *f.tag) D("tag=%.64s ", f.tag);
	if (f.source && *f.source) D("source=%.64s ", f.source);
	if (f.birth_month) D("birth_month=%u%s ", f.birth_month,
	    f.children_only ? " children" : "");
	if (f.child_birth_year) D("child_birth_year=%u ", f.child_birth_year);
	if (f.child_age_min || f.child_age_max) D("child_age=%u-%u ",
	    f.child_age_min, f.child_age_max);
	if (f.created_from || f.created_to) D("created=%lld-%lld ",
	    (long long)f.created_from, (long long)f.created_to);
	if (f.include_archived) D("archived ");
	D("rows=%u total=%" PRIu64, page.rows, page.total);
#undef D
	op_submit(op, audit_only_mut);
	return;
bad:
	kt_store_read_end(c->srv->store, txn);
	reply_error(c, req->id, E_BAD, msg);
	op_free(op);
}

/* ==== dispatch ============================================================ */

int
clients_dispatch(srv_conn_t *c, const Kartoteka__Request *req)
{
	cop_t *op = NULL;

	switch (req->op_case) {
	case KARTOTEKA__REQUEST__OP_CLIENT_ADD:
		handle_add(c, req);
		return 1;
	case KARTOTEKA__REQUEST__OP_CLIENT_SHOW:
		by_id(c, req, OP_SHOW, req->client_show->id, show_mut, NULL);
		return 1;
	case KARTOTEKA__REQUEST__OP_CLIENT_EDIT:
		handle_edit(c, req);
		return 1;
	case KARTOTEKA__REQUEST__OP_CLIENT_ARCHIVE:
		by_id(c, req, OP_ARCHIVE, req->client_archive->id, NULL, &op);
		if (op != NULL) {
			op->restore = req->client_archive->restore;
			op_submit(op, archive_mut);
		}
		return 1;
	case KARTOTEKA__REQUEST__OP_CLIENT_PURGE:
		by_id(c, req, OP_PURGE, req->client_purge->id, purge_mut, NULL);
		return 1;
	case KARTOTEKA__REQUEST__OP_CLIENT_REASSIGN:
		handle_reassign(c, req);
		return 1;
	case KARTOTEKA__REQUEST__OP_CLIENT_FIND:
		handle_find(c, req);
		return 1;
	case KARTOTEKA__REQUEST__OP_CLIENT_LIST:
		handle_list(c, req);
		return 1;
	default:
		return 0;
	}
}
