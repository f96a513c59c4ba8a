/* SPDX-License-Identifier: MIT */
/* Client cards over the protocol: add, show (counted against the daily
 * view quota), edit, archive/restore, purge, reassign, find and list, with
 * per-branch visibility from authz.c. A quick visibility check runs on
 * the loop (a card the caller cannot see costs no write); every change,
 * every view and every audit entry goes through the writer, where the
 * checks run again, and the answer leaves only after the commit. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "arena.h"
#include "kt_error.h"
#include "model/alert_store.h"
#include "model/authz.h"
#include "model/branch_store.h"
#include "model/client_card.h"
#include "model/client_links.h"
#include "model/client_query.h"
#include "model/client_store.h"
#include "model/identity.h"
#include "model/user_day.h"
#include "model/user_store.h"
#include "normalize.h"
#include "ops/card_op.h"
#include "ops/ops.h"
#include "records.pb-c.h"

/* ==== one operation in flight ============================================ */

/* The state of every op here is the shared card op (ops/card_op.h). */
typedef kt_card_op_t client_st_t;

void
kt_card_op_refuse(kt_card_op_t *c, uint32_t code, const char *fmt, ...)
{
	va_list ap;

	c->code = code;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
}

/* Short for this file. */
#define refuse kt_card_op_refuse

/* Audits action on client id (0: "clients") from the writer thread, with
 * c's outcome. */
static int
audit(kt_store_t *st, MDB_txn *txn, kt_req_t *r, kt_audit_action_t action,
    uint64_t id, const char *detail)
{
	const client_st_t *c = kt_req_state(r);

	return kt_req_audit(st, txn, r, action, "client", id, c->code, detail);
}

/* authz for r's caller on a client of branch, managed by manager. */
static int
may(const kt_req_t *r, kt_action_t a, uint64_t branch, uint64_t manager)
{
	const kt_user_t *u = kt_req_caller(r);

	return kt_authz_client(u->id, u->role, u->branches, u->nbranches, a,
	    branch, manager);
}

/* The history's record of who writes a card now: card_op.h. */
kt_chist_who_t
kt_card_op_writer(kt_req_t *r, const kt_card_op_t *c,
    kt_audit_action_t action, uint32_t fields)
{
	kt_chist_who_t who = { .time = c->now, .user = kt_req_caller(r)->id,
		.terminal = kt_req_terminal_key(r),
		.action = kt_audit_action_name(action), .fields = fields };

	return who;
}

/* writer_as for the op of r's own state. */
static kt_chist_who_t
writer_of(kt_req_t *r, kt_audit_action_t action, uint32_t fields)
{
	return kt_card_op_writer(r, kt_req_state(r), action, fields);
}

/* ==== the card in answers ================================================= */

#define NOMEM(p) do { if ((p) == NULL) { rc = KT_ENOMEM; goto out; } } \
	while (0)

/* Prepares the answer for card rec (contacts masked when masked). Runs on
 * the writer thread, inside txn (for names). */
static int
card_answer(kt_req_t *r, MDB_txn *txn, const Ktstore__ClientRecord *rec,
    int masked)
{
	return kt_req_answer_card(r, ((client_st_t *)kt_req_state(r))->wa, txn, rec,
	    masked);
}

/* Prepares the answer of a refusal: c's code and message, and for a
 * visible duplicate the card it belongs to (ClientResponse.duplicate_of). */
static int
refusal_answer(kt_req_t *r, const client_st_t *c)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__Error err = KARTOTEKA__ERROR__INIT;
	Kartoteka__ClientResponse cr = KARTOTEKA__CLIENT_RESPONSE__INIT;
	char tr[512];

	err.code = (Kartoteka__Error__Code)c->code;
	err.message = (char *)kt_req_translate(r, c->msg, tr, sizeof(tr));
	resp.error = &err;
	if (c->dup_of != 0) {
		cr.duplicate_of = c->dup_of;
		resp.result_case = KARTOTEKA__RESPONSE__RESULT_CLIENT;
		resp.client = &cr;
	}
	return kt_req_answer(r, &resp);
}

/* ==== resolving names ===================================================== */

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

/* A branch by name when one is given, else by id. */
static int
find_branch(MDB_txn *txn, const kt_store_dbs_t *db, const char *name,
    uint64_t id, uint64_t *out)
{
	if (name != NULL && name[0] != '\0')
		return kt_branch_id(txn, db, name, out);
	return id_exists(txn, db->branches, id, out);
}

/* A user by login when one is given, else by id. */
static int
find_user(MDB_txn *txn, const kt_store_dbs_t *db, const char *login,
    uint64_t id, uint64_t *out)
{
	if (login != NULL && login[0] != '\0')
		return kt_user_id(txn, db, login, out);
	return id_exists(txn, db->users, id, out);
}

/* May user id manage a client of branch? (working, and the owner or a
 * user of that branch). Writer or loop, inside txn. */
static int
manager_fits(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t id,
    uint64_t branch, char *login, size_t cap)
{
	kt_user_t u;
	int ok;

	if (kt_user_load(txn, db, id, &u) != 0) {
		snprintf(login, cap, "#%" PRIu64, id);
		return 0;
	}
	snprintf(login, cap, "%s", u.login);
	if (u.disabled)
		return 0;
	ok = u.role == KARTOTEKA__ROLE__OWNER;
	for (size_t i = 0; i < u.nbranches && !ok; i++)
		ok = u.branches[i] == branch;
	return ok;
}

static int card_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r);

/* Appends text to the NUL-terminated detail (cap bytes), cut to fit. */
static void
append_detail(char *detail, size_t cap, const char *text)
{
	size_t n = strlen(detail);

	if (n + 1 < cap)
		snprintf(detail + n, cap - n, "%s", text);
}

/* ==== add ================================================================= */



/* Notes card id in c->dups (once; at most DUPS_MAX). */
void
kt_card_op_note_dup(kt_card_op_t *c, uint64_t id)
{
	for (size_t i = 0; i < c->ndups; i++)
		if (c->dups[i] == id)
			return;
	if (c->ndups < KT_CARD_OP_DUPS_MAX)
		c->dups[c->ndups++] = id;
}

int
kt_card_op_owners(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__ClientRecord *rec, const Ktstore__ClientRecord *old,
    kt_card_owner_fn fn, void *arg)
{
	char key[KT_CSTORE_WORD_MAX + 1];
	int rc = 0, stop = 0;

	for (size_t i = 0; i < rec->n_people && !stop; i++) {
		const Ktstore__PersonRecord *p = rec->people[i];
		for (size_t j = 0; j <= p->n_phones && !stop; j++) {
			kt_idset_t s = { 0 };
			const char *what;
			MDB_dbi dbi;
			size_t n;
			if (j < p->n_phones) {
				what = p->phones[j];
				dbi = db->cx_phone;
				n = strlen(what);
				if (n > KT_CSTORE_WORD_MAX)
					continue;
				memcpy(key, what, n);
			} else if (p->email && p->email[0]) {
				what = p->email;
				dbi = db->cx_email;
				n = kt_cstore_fold_key(what, key);
			} else {
				continue;
			}
			if (n == 0 || kt_card_has_contact(old, what, j < p->n_phones))
				continue;
			if ((rc = kt_cstore_ids_eq(txn, dbi, key, n, &s)) != 0)
				return rc;
			for (size_t k = 0; k < s.n && !stop; k++) {
				if (old != NULL && s.ids[k] == old->id)
					continue;
				stop = fn(arg, s.ids[k], what, j < p->n_phones);
				if (stop < 0)
					rc = stop;
			}
			kt_idset_free(&s);
		}
	}
	return rc;
}

/* check_duplicates' walk over the cards holding a contact. */
typedef struct dup_walk {
	kt_req_t *r;
	client_st_t *c;
	MDB_txn *txn;
	const kt_store_dbs_t *db;
	uint64_t seen_id;
	const char *seen_what, *seen_title;
	int is_phone;
} dup_walk_t;

static int
dup_seen(void *arg, uint64_t id, const char *what, int is_phone)
{
	dup_walk_t *w = arg;
	Ktstore__ClientRecord *o = NULL;

	if (kt_cstore_get_with(w->txn, w->db, id, &w->c->wa->pb, &o) != 0 ||
	    o->purged)
		return 0;
	if (w->c->force || may(w->r, KT_ACT_SEE_CLIENT, o->branch,
	    o->manager) != 0) {
		kt_card_op_note_dup(w->c, o->id);
		return 0;
	}
	w->seen_id = o->id;
	w->seen_what = what;
	w->seen_title = o->title;
	w->is_phone = is_phone;
	return 1;
}

/* Finds the phones and e-mails of rec on other cards (DESIGN §4). old is
 * the stored version of rec for an edit (its contacts and its id are not
 * duplicates), NULL for a new card.
 *   - On a card the caller cannot see, a duplicate answers exactly like
 *     a new contact: nothing is refused, the card is noted in c->dups
 *     and becomes a merge alert for the owner once the change is saved.
 *   - On a card the caller can see, the first one refuses c (CONFLICT,
 *     naming that card: one verdict per answer), taken from the caller's
 *     daily budget of duplicate refusals; once that is spent, QUOTA
 *     without a name. With force it is noted instead, like a hidden one.
 * Returns 0 or a store error. */
static int
check_duplicates(kt_store_t *st, kt_req_t *r, client_st_t *c, MDB_txn *txn,
    const Ktstore__ClientRecord *rec, const Ktstore__ClientRecord *old)
{
	dup_walk_t w = { .r = r, .c = c, .txn = txn, .db = kt_store_dbs(st) };
	int rc;

	if ((rc = kt_card_op_owners(txn, w.db, rec, old, dup_seen, &w)) != 0)
		return rc;
	if (w.seen_id != 0) {
		kt_uday_who_t who = kt_req_counted(r, txn, c->now);
		uint32_t used = 0;
		rc = kt_uday_dup(st, txn, &who, &used);
		if (rc == KT_EPERM) {
			refuse(c, KT_CODE_QUOTA, "the daily budget of %u "
			    "duplicate checks is used up; the owner can look "
			    "into it", KT_DUP_BUDGET);
			return 0;
		}
		if (rc != 0)
			return rc;
		refuse(c, KT_CODE_CONFLICT, "%s %s already belongs to client %"
		    PRIu64 " (%s)", w.is_phone ? "phone" : "e-mail",
		    w.seen_what, w.seen_id, w.seen_title);
		c->dup_of = w.seen_id;
	}
	return 0;
}

/* The audit detail of a duplicate refusal: ids, never the contact. */
static const char *
dup_detail(client_st_t *c, char *buf, size_t cap)
{
	if (c->code == KT_CODE_QUOTA)
		snprintf(buf, cap, "duplicate check refused: daily budget of "
		    "%u used up", KT_DUP_BUDGET);
	else
		snprintf(buf, cap, "duplicate of client %" PRIu64, c->dup_of);
	return buf;
}

/* After card rec was saved: a merge alert for each card it shares a
 * contact with (c->dups), and their ids appended to the audit detail. */
int
kt_card_op_dup_alerts(kt_store_t *st, MDB_txn *txn, kt_req_t *r, client_st_t *c,
    const Ktstore__ClientRecord *rec, char *detail, size_t cap)
{
	size_t n = strlen(detail);

	for (size_t i = 0; i < c->ndups; i++) {
		kt_alert_t a = { .kind = KT_ALERT_MERGE,
			.user = kt_req_caller(r)->id,
			.terminal = kt_req_terminal_key(r),
			.client = rec->id, .other = c->dups[i] };
		char what[160];
		uint64_t id = 0;
		int rc;
		snprintf(what, sizeof(what), "client %" PRIu64 " shares a "
		    "phone or e-mail with client %" PRIu64 ": review, then "
		    "kartoteka client merge %" PRIu64 " %" PRIu64, rec->id,
		    c->dups[i], c->dups[i], rec->id);
		a.detail = what;
		if ((rc = kt_alert_raise(st, txn, &a, &id)) != 0)
			return rc;
		n += (size_t)snprintf(detail + n, n < cap ? cap - n : 0,
		    "%sduplicate of client %" PRIu64 " (alert %" PRIu64 ")",
		    n ? " " : "", c->dups[i], id);
	}
	return 0;
}

/* rec->referred_by, when set, must be another card the caller can see
 * (and not purged): otherwise c is refused BAD_REQUEST, naming the field.
 * A card of a branch the caller cannot see answers as one that does not
 * exist. */
static int
check_referrer(kt_req_t *r, client_st_t *c, MDB_txn *txn,
    const kt_store_dbs_t *db, const Ktstore__ClientRecord *rec)
{
	Ktstore__ClientRecord *o = NULL;
	int rc;

	if (rec->referred_by == 0)
		return 0;
	if (rec->referred_by == rec->id) {
		refuse(c, KT_CODE_BAD,
		    "referred_by: a client cannot refer itself");
		return 0;
	}
	rc = kt_cstore_get_with(txn, db, rec->referred_by, &c->wa->pb, &o);
	if (rc == KT_ENOTFOUND || (rc == 0 && (o->purged ||
	    may(r, KT_ACT_SEE_CLIENT, o->branch, o->manager) != 0))) {
		refuse(c, KT_CODE_BAD, "referred_by: no client %" PRIu64,
		    rec->referred_by);
		rc = 0;
	}
	return rc;
}

int
kt_card_op_create(kt_store_t *st, MDB_txn *txn, kt_req_t *r, kt_card_op_t *c,
    Ktstore__ClientRecord *rec, kt_audit_action_t action, const char *what)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	kt_chist_who_t who;
	char detail[600];
	int rc;

	if ((rc = kt_store_next_id(st, txn, "client", &rec->id)) != 0)
		return rc;
	rec->branch = c->branch;
	rec->manager = c->manager;
	rec->created_at = rec->updated_at = c->now;
	rec->created_by = kt_req_caller(r)->id;
	rec->version = 1;
	who = kt_card_op_writer(r, c, action, KT_CARD_ALL);
	if ((rc = kt_cstore_put(txn, db, NULL, rec, &who)) != 0)
		return rc;
	snprintf(detail, sizeof(detail), "%s%sbranch=%" PRIu64 " manager=%"
	    PRIu64 "%s", what ? what : "", what ? " " : "", rec->branch,
	    rec->manager, c->force ? " forced" : "");
	if ((rc = kt_card_op_dup_alerts(st, txn, r, c, rec, detail, sizeof(detail))) != 0)
		return rc;
	return kt_req_audit(st, txn, r, action, "client", rec->id, KT_CODE_OK,
	    detail);
}

int
kt_card_op_referrer(kt_req_t *r, kt_card_op_t *c, MDB_txn *txn,
    const kt_store_dbs_t *db, const Ktstore__ClientRecord *rec)
{
	return check_referrer(r, c, txn, db, rec);
}

static int
add_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	client_st_t *c = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__ClientRecord *rec = NULL;
	char detail[600];
	int rc;

	rec = ktstore__client_record__unpack(&c->wa->pb, c->inlen, c->in);
	if (rec == NULL)
		return KT_EPROTO;
	if ((rc = check_referrer(r, c, txn, db, rec)) != 0 ||
	    (c->code == KT_CODE_OK &&
	    (rc = check_duplicates(st, r, c, txn, rec, NULL)) != 0))
		goto out;
	if (c->code == KT_CODE_BAD)
		goto out;       /* bad input: nothing to audit */
	if (c->code != KT_CODE_OK) {
		rc = audit(st, txn, r, KT_AUDIT_CLIENT_ADD, 0,
		    dup_detail(c, detail, sizeof(detail)));
		goto out;
	}
	if ((rc = kt_card_op_create(st, txn, r, c, rec, KT_AUDIT_CLIENT_ADD,
	    NULL)) != 0)
		goto out;
	rc = card_answer(r, txn, rec, 0);
out:
	return rc;
}

uint32_t
kt_card_op_build(kt_req_t *r, const Kartoteka__Client *in, unsigned bits,
    int64_t now, uint8_t **out, size_t *len, char *err, size_t cap)
{
	Ktstore__ClientRecord rec = KTSTORE__CLIENT_RECORD__INIT;
	kt_arena_t a;
	int rc;

	*out = NULL;
	if (kt_arena_init(&a, 16 * 1024, 1u << 20) != 0) {
		snprintf(err, cap, KT_MSG("out of memory"));
		return KT_CODE_INTERNAL;
	}
	rec.status = KARTOTEKA__CLIENT_STATUS__LEAD;
	rc = kt_card_build(in, bits, now, kt_req_server(r)->opts.phone_country,
	    &a, &rec, err, cap);
	if (rc == 0)
		rc = kt_card_pack(&rec, out, len, err, cap);
	kt_arena_free(&a);
	if (rc == KT_ENOMEM)
		snprintf(err, cap, KT_MSG("out of memory"));
	return rc == 0 ? KT_CODE_OK : rc == KT_ENOMEM ? KT_CODE_INTERNAL :
	    KT_CODE_BAD;
}

/* Checks the fields bits of card in (kt_card_build: errors name the field
 * path) and packs them into c->in, kept by the request for the writer.
 * Returns 1, or 0 with r answered. */
static int
take_card(kt_req_t *r, client_st_t *c, const Kartoteka__Client *in,
    unsigned bits)
{
	char err[300];
	uint32_t code;

	code = kt_card_op_build(r, in, bits, c->now, &c->in, &c->inlen, err,
	    sizeof(err));
	if (code != KT_CODE_OK) {
		/* A refusal names its field (Error.field, from the message). */
		if (code == KT_CODE_BAD)
			kt_req_fail_field(r, code, NULL, "%s", err);
		else
			kt_req_fail(r, code, "%s", err);
		return 0;
	}
	/* kt_req_keep frees what it cannot keep. */
	if (kt_req_keep(r, c->in) != 0) {
		c->in = NULL;
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return 0;
	}
	return 1;
}

int
kt_card_op_keep(kt_req_t *r, kt_card_op_t *c, const Ktstore__ClientRecord *rec)
{
	char err[300];
	int rc;

	c->in = NULL;
	rc = kt_card_pack(rec, &c->in, &c->inlen, err, sizeof(err));
	if (rc != 0) {
		if (rc == KT_ENOMEM)
			kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		else
			kt_req_fail_field(r, KT_CODE_BAD, NULL, "%s", err);
		return 0;
	}
	/* kt_req_keep frees what it cannot keep. */
	if (kt_req_keep(r, c->in) != 0) {
		c->in = NULL;
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return 0;
	}
	return 1;
}

uint32_t
kt_card_op_place(kt_req_t *r, MDB_txn *txn, const Kartoteka__Client *in,
    uint64_t *branch, uint64_t *manager, char *msg, size_t cap)
{
	const kt_user_t *me = kt_req_caller(r);
	const kt_store_dbs_t *db = kt_store_dbs(kt_req_server(r)->store);
	char login[KT_LOGIN_MAX + 1];
	int named_mgr, rc;

	/* Branch: named, else the terminal's, else the user's only one. */
	if ((in->branch && in->branch[0]) || in->branch_id) {
		if (find_branch(txn, db, in->branch, in->branch_id,
		    branch) != 0) {
			snprintf(msg, cap, KT_MSG("branch: no branch '%s'"),
			    in->branch && in->branch[0] ? in->branch : "#id");
			return KT_CODE_BAD;
		}
	} else if (kt_req_terminal_branch(r)) {
		*branch = kt_req_terminal_branch(r);
	} else if (me->nbranches == 1) {
		*branch = me->branches[0];
	} else {
		snprintf(msg, cap, KT_MSG("branch: name the client's branch"));
		return KT_CODE_BAD;
	}
	/* Manager: the creator, unless one who may reassign names another. */
	*manager = me->id;
	named_mgr = (in->manager && in->manager[0]) || in->manager_id;
	if (named_mgr && find_user(txn, db, in->manager, in->manager_id,
	    manager) != 0) {
		snprintf(msg, cap, KT_MSG("manager: no user '%s'"),
		    in->manager && in->manager[0] ? in->manager : "#id");
		return KT_CODE_BAD;
	}
	rc = may(r, KT_ACT_CREATE_CLIENT, *branch, *manager);
	if (rc == 0 && *manager != me->id)
		rc = may(r, KT_ACT_REASSIGN, *branch, *manager);
	if (rc != 0) {
		snprintf(msg, cap, "%s", *manager != me->id && rc == KT_EPERM ?
		    KT_MSG("you may not name another manager: only an owner or "
		    "a head may") : KT_MSG("you may not create a client in "
		    "this branch"));
		return KT_CODE_FORBIDDEN;
	}
	if (*manager != me->id && !manager_fits(txn, db, *manager, *branch,
	    login, sizeof(login))) {
		snprintf(msg, cap, KT_MSG("manager: user %s does not work in the "
		    "client's branch"), login);
		return KT_CODE_BAD;
	}
	return KT_CODE_OK;
}

static void
op_client_add(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__ClientAddRequest *ar = msg->client_add;
	const Kartoteka__Client *in = ar->client;
	client_st_t *c = kt_req_state(r);
	MDB_txn *txn = kt_req_txn(r);
	char why[300], detail[400];
	uint32_t code;

	if (in == NULL) {
		kt_req_fail(r, KT_CODE_BAD, "client: missing");
		return;
	}
	if (txn == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "store unavailable");
		return;
	}
	c->part = add_mut;
	c->now = kt_now_s();
	c->force = ar->force;
	code = kt_card_op_place(r, txn, in, &c->branch, &c->manager, why,
	    sizeof(why));
	if (code == KT_CODE_FORBIDDEN) {
		/* Refusals are audited too. */
		snprintf(detail, sizeof(detail), "branch=%" PRIu64 " %s",
		    c->branch, why);
		if (kt_req_answer_error(r, KT_CODE_FORBIDDEN, "%s", why) != 0) {
			kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
			return;
		}
		kt_req_answer_audited(r, KT_AUDIT_CLIENT_ADD, "clients",
		    KT_CODE_FORBIDDEN, detail);
		return;
	}
	if (code != KT_CODE_OK) {
		kt_req_fail(r, code, "%s", why);
		return;
	}
	if (take_card(r, c, in, KT_CARD_ALL))
		kt_req_submit(r, card_mut, NULL);
}

/* ==== one card by id ====================================================== */

/* Loads client c->id for the writer mutations and checks action a:
 * refuses c (NOT_FOUND, or FORBIDDEN audited under action) when the
 * caller may not. On return *rec is the card when c->code is OK, in the
 * mutation's arena. Returns 0 or a store error. */
static int
card_load(kt_store_t *st, MDB_txn *txn, kt_req_t *r, kt_action_t a,
    kt_audit_action_t action, Ktstore__ClientRecord **rec)
{
	client_st_t *c = kt_req_state(r);
	int rc;

	*rec = NULL;
	rc = kt_cstore_get_with(txn, kt_store_dbs(st), c->id, &c->wa->pb, rec);
	if (rc == KT_ENOTFOUND) {
		refuse(c, KT_CODE_NOT_FOUND, "no client %" PRIu64, c->id);
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = may(r, a, (*rec)->branch, (*rec)->manager);
	if (rc == KT_ENOTFOUND) {
		refuse(c, KT_CODE_NOT_FOUND, "no client %" PRIu64, c->id);
	} else if (rc != 0) {
		refuse(c, KT_CODE_FORBIDDEN,
		    "you may not %s (client %" PRIu64 ")",
		    kt_authz_action_name(a), c->id);
		return audit(st, txn, r, action, c->id, c->msg);
	} else if ((*rec)->purged) {
		refuse(c, KT_CODE_NOT_FOUND, "client %" PRIu64 " was purged",
		    c->id);
	}
	return 0;
}

/* The end of every change to one card: next (old with the change,
 * borrowing its memory) gets the next version and the time, is stored
 * with its indexes and as a version of the card's history (changing
 * fields, KT_CARD_*; a purge's tombstone is no version), audited under
 * action with detail (NULL: none), and answered masked. Returns 0 or a
 * store error. */
static int
card_commit(kt_store_t *st, MDB_txn *txn, kt_req_t *r,
    const Ktstore__ClientRecord *old, Ktstore__ClientRecord *next,
    kt_audit_action_t action, uint32_t fields, const char *detail)
{
	client_st_t *c = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	kt_chist_who_t who = writer_of(r, action, fields);
	int rc;

	next->version = old->version + 1;
	next->updated_at = c->now;
	if ((rc = kt_cstore_put(txn, db, old, next,
	    next->purged ? NULL : &who)) != 0 ||
	    (rc = audit(st, txn, r, action, c->id, detail)) != 0)
		return rc;
	return card_answer(r, txn, next, 1);
}

static int
show_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	client_st_t *c = kt_req_state(r);
	Ktstore__ClientRecord *rec = NULL;
	kt_uday_who_t who;
	uint32_t quota = 0, count = 0;
	char detail[80];
	int rc;

	if ((rc = card_load(st, txn, r, KT_ACT_FULL_CARD, KT_AUDIT_CLIENT_VIEW,
	    &rec)) != 0 || c->code != KT_CODE_OK)
		goto out;
	/* DESIGN §4: every full view is counted, on the business day of
	 * the caller's branch; heads and managers against their quota. */
	who = kt_req_counted(r, txn, c->now);
	rc = kt_uday_view(st, txn, &who, &count, &quota);
	if (rc == KT_EPERM) {
		refuse(c, KT_CODE_QUOTA, "daily quota of %u full cards used "
		    "up; the owner can raise it (kartoteka user change %s "
		    "--quota N)", quota, kt_req_caller(r)->login);
		rc = audit(st, txn, r, KT_AUDIT_CLIENT_VIEW, c->id, c->msg);
		goto out;
	}
	if (rc != 0)
		goto out;
	if (quota)
		snprintf(detail, sizeof(detail), "views today %u of %u", count,
		    quota);
	else
		snprintf(detail, sizeof(detail), "views today %u", count);
	if ((rc = audit(st, txn, r, KT_AUDIT_CLIENT_VIEW, c->id, detail)) != 0)
		goto out;
	rc = kt_req_answer_full_card(r, c->wa, txn, rec);
out:
	return rc;
}

int
kt_card_op_load_edit(kt_store_t *st, MDB_txn *txn, kt_req_t *r,
    kt_audit_action_t action, Ktstore__ClientRecord **old)
{
	client_st_t *c = kt_req_state(r);
	int rc;

	if ((rc = card_load(st, txn, r, KT_ACT_EDIT_CLIENT, action, old)) !=
	    0 || c->code != KT_CODE_OK)
		return rc;
	if ((*old)->version != c->version)
		refuse(c, KT_CODE_CONFLICT, "client %" PRIu64 " was changed "
		    "meanwhile: current version is %" PRIu64, c->id,
		    (*old)->version);
	return 0;
}

int
kt_card_op_save(kt_store_t *st, MDB_txn *txn, kt_req_t *r,
    const Ktstore__ClientRecord *old, Ktstore__ClientRecord *rec,
    unsigned b, kt_audit_action_t action, const char *what)
{
	client_st_t *c = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	char detail[700], digest[300], err[300];
	uint8_t *buf = NULL;
	size_t len;
	int rc = 0;

	rec->version = old->version + 1;
	rec->updated_at = c->now;
	/* The changed card must still fit an answer, and hold no more
	 * contacts than a card may. */
	if (kt_card_pack(rec, &buf, &len, err, sizeof(err)) != 0 ||
	    ((b & KT_CARD_PEOPLE) &&
	    kt_card_contacts_fit(rec, err, sizeof(err)) != 0)) {
		refuse(c, KT_CODE_BAD, "%s", err);
		goto out;
	}
	if ((b & KT_CARD_REFERRED) &&
	    (rc = check_referrer(r, c, txn, db, rec)) != 0)
		goto out;
	if (c->code == KT_CODE_OK && (b & KT_CARD_PEOPLE) &&
	    (rc = check_duplicates(st, r, c, txn, rec, old)) != 0)
		goto out;
	if (c->code == KT_CODE_CONFLICT || c->code == KT_CODE_QUOTA)
		rc = audit(st, txn, r, action, c->id,
		    dup_detail(c, detail, sizeof(detail)));
	if (c->code != KT_CODE_OK)
		goto out;
	kt_card_fields_digest(b, digest, sizeof(digest));
	snprintf(detail, sizeof(detail), "%s%s%s", what ? what : "",
	    what ? " " : "", digest);
	if ((b & KT_CARD_PEOPLE) && kt_card_loses_contacts(old, rec)) {
		kt_uday_who_t who = kt_req_counted(r, txn, c->now);
		uint32_t burst = 0;
		if ((rc = kt_uday_destructive(st, txn, &who, &burst)) != 0)
			goto out;
		append_detail(detail, sizeof(detail), " removed people or "
		    "contacts");
	}
	if (c->force)
		append_detail(detail, sizeof(detail), " forced");
	if ((rc = kt_card_op_dup_alerts(st, txn, r, c, rec, detail, sizeof(detail))) != 0)
		goto out;
	rc = card_commit(st, txn, r, old, rec, action, b, detail);
out:
	free(buf);
	return rc;
}

static int
edit_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	client_st_t *c = kt_req_state(r);
	Ktstore__ClientRecord *old = NULL, *in = NULL, rec;
	int rc;

	if ((rc = kt_card_op_load_edit(st, txn, r, KT_AUDIT_CLIENT_EDIT,
	    &old)) != 0 || c->code != KT_CODE_OK)
		return rc;
	in = ktstore__client_record__unpack(&c->wa->pb, c->inlen, c->in);
	if (in == NULL)
		return KT_EPROTO;
	/* rec borrows old's and in's memory: never freed itself. */
	kt_card_merge(old, in, c->fields, &rec);
	return kt_card_op_save(st, txn, r, old, &rec, c->fields,
	    KT_AUDIT_CLIENT_EDIT, NULL);
}

static int
archive_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	client_st_t *c = kt_req_state(r);
	Ktstore__ClientRecord *rec = NULL, next;
	kt_audit_action_t action = c->restore ? KT_AUDIT_CLIENT_RESTORE :
	    KT_AUDIT_CLIENT_ARCHIVE;
	int rc;

	if ((rc = card_load(st, txn, r, KT_ACT_ARCHIVE, action, &rec)) != 0 ||
	    c->code != KT_CODE_OK)
		goto out;
	next = *rec;
	next.archived = !c->restore;
	rc = card_commit(st, txn, r, rec, &next, action, 0, NULL);
out:
	return rc;
}

static int
purge_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	client_st_t *c = kt_req_state(r);
	Ktstore__ClientRecord *rec = NULL;
	Ktstore__ClientRecord t = KTSTORE__CLIENT_RECORD__INIT;
	char detail[160], links[80];
	kt_links_count_t n;
	size_t dropped = 0;
	int rc;

	if ((rc = card_load(st, txn, r, KT_ACT_PURGE, KT_AUDIT_CLIENT_PURGE,
	    &rec)) != 0 || c->code != KT_CODE_OK)
		goto out;
	/* The tombstone: the id and bookkeeping, no personal data. */
	t.id = rec->id;
	t.branch = rec->branch;
	t.manager = rec->manager;
	t.created_at = rec->created_at;
	t.created_by = rec->created_by;
	t.purged_at = c->now;
	t.purged = 1;
	t.archived = 1;
	t.title = "";
	/* DESIGN §7: purge is the one operation that removes history. */
	if ((rc = kt_chist_drop(txn, kt_store_dbs(st), rec->id, &dropped)) !=
	    0 || (rc = kt_client_links_purge(txn, kt_store_dbs(st), rec->id,
	    c->now, &n)) != 0)
		goto out;
	kt_client_links_detail(&n, links, sizeof(links));
	snprintf(detail, sizeof(detail), "history versions removed: %zu; "
	    "removed %s", dropped, links);
	rc = card_commit(st, txn, r, rec, &t, KT_AUDIT_CLIENT_PURGE, 0, detail);
out:
	return rc;
}

static int
reassign_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	client_st_t *c = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__ClientRecord *rec = NULL, next;
	char login[KT_LOGIN_MAX + 1], detail[200];
	int rc;

	if ((rc = card_load(st, txn, r, KT_ACT_REASSIGN,
	    KT_AUDIT_CLIENT_REASSIGN, &rec)) != 0 || c->code != KT_CODE_OK)
		goto out;
	if (!manager_fits(txn, db, c->manager, rec->branch, login,
	    sizeof(login))) {
		refuse(c, KT_CODE_BAD, "manager: user %s does not work in the "
		    "client's branch", login);
		goto out;
	}
	next = *rec;
	next.manager = c->manager;
	snprintf(detail, sizeof(detail), "manager %" PRIu64 " -> %" PRIu64,
	    rec->manager, c->manager);
	rc = card_commit(st, txn, r, rec, &next, KT_AUDIT_CLIENT_REASSIGN, 0,
	    detail);
out:
	return rc;
}

/* ==== merge ================================================================ */

/* 1 when person p of the merged-in card adds nothing to into: the same
 * name and every phone and e-mail already there. */
static int
person_known(const Ktstore__ClientRecord *into, const Ktstore__PersonRecord *p)
{
	int named = 0;

	for (size_t i = 0; i < into->n_people && !named; i++)
		named = strcmp(into->people[i]->name, p->name) == 0;
	if (!named)
		return 0;
	for (size_t j = 0; j < p->n_phones; j++)
		if (!kt_card_has_contact(into, p->phones[j], 1))
			return 0;
	return !(p->email && p->email[0] && !kt_card_has_contact(into, p->email, 0));
}

/* A string field of the merged card: into's, or from's when into has none. */
#define FILL(f) do { if ((!a->f || !a->f[0]) && b->f && b->f[0]) \
	out->f = b->f; } while (0)

/* The owner's merge of a duplicate (DESIGN §4): card_op.h. */
int
kt_card_op_merged(kt_arena_t *wa, const Ktstore__ClientRecord *a,
    const Ktstore__ClientRecord *b, Ktstore__ClientRecord *out)
{
	size_t np = 0, nt = 0;

	*out = *a;
	out->people = kt_arena_alloc(wa, (a->n_people + b->n_people + 1) *
	    sizeof(*out->people));
	out->tags = kt_arena_alloc(wa, (a->n_tags + b->n_tags + 1) *
	    sizeof(*out->tags));
	if (out->people == NULL || out->tags == NULL)
		return KT_ENOMEM;
	for (size_t i = 0; i < a->n_people; i++)
		out->people[np++] = a->people[i];
	for (size_t i = 0; i < b->n_people; i++)
		if (!person_known(a, b->people[i]))
			out->people[np++] = b->people[i];
	out->n_people = np;
	for (size_t i = 0; i < a->n_tags; i++)
		out->tags[nt++] = a->tags[i];
	for (size_t i = 0; i < b->n_tags; i++) {
		int have = 0;
		for (size_t j = 0; j < a->n_tags && !have; j++)
			have = strcmp(a->tags[j], b->tags[i]) == 0;
		if (!have)
			out->tags[nt++] = b->tags[i];
	}
	out->n_tags = nt;
	if (b->notes && b->notes[0] && a->notes && a->notes[0] &&
	    strstr(a->notes, b->notes) == NULL) {
		size_t n = strlen(a->notes) + strlen(b->notes) + 2;
		char *both = kt_arena_alloc(wa, n);
		if (both == NULL)
			return KT_ENOMEM;
		snprintf(both, n, "%s\n%s", a->notes, b->notes);
		out->notes = both;
	}
	FILL(notes);
	FILL(source);
	FILL(consent_date);
	FILL(contract);
	if (out->referred_by == 0 && b->referred_by != a->id)
		out->referred_by = b->referred_by;
	if (out->discount_percent == 0)
		out->discount_percent = b->discount_percent;
	out->do_not_contact = a->do_not_contact || b->do_not_contact;
	return 0;
}
#undef FILL

static int
merge_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	client_st_t *c = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__ClientRecord *a = NULL, *b = NULL, next, gone;
	kt_chist_who_t who = writer_of(r, KT_AUDIT_CLIENT_MERGE,
	    KT_CARD_PEOPLE | KT_CARD_TAGS | KT_CARD_NOTES);
	kt_links_count_t n;
	char detail[200], err[300], links[80];
	uint8_t *buf = NULL;
	size_t len;
	uint64_t into = c->id;
	int rc;

	if ((rc = card_load(st, txn, r, KT_ACT_PURGE, KT_AUDIT_CLIENT_MERGE,
	    &a)) != 0 || c->code != KT_CODE_OK)
		goto out;
	c->id = c->from;
	rc = card_load(st, txn, r, KT_ACT_PURGE, KT_AUDIT_CLIENT_MERGE, &b);
	c->id = into;
	if (rc != 0 || c->code != KT_CODE_OK)
		goto out;
	if (a->merged_into || b->merged_into) {
		refuse(c, KT_CODE_CONFLICT, "client %" PRIu64 " was merged "
		    "into client %" PRIu64 " before", a->merged_into ? a->id :
		    b->id, a->merged_into ? a->merged_into : b->merged_into);
		goto out;
	}
	if ((rc = kt_card_op_merged(c->wa, a, b, &next)) != 0)
		goto out;
	if (kt_card_pack(&next, &buf, &len, err, sizeof(err)) != 0) {
		refuse(c, KT_CODE_BAD, "the merged card would be too large: %s",
		    err);
		goto out;
	}
	/* The card merged in keeps its history and its id (a reference
	 * to it still leads somewhere) but no contacts: archived, pointing
	 * at the card it went into. */
	gone = *b;
	gone.n_people = 0;
	gone.people = NULL;
	gone.archived = 1;
	gone.merged_into = a->id;
	gone.version = b->version + 1;
	gone.updated_at = c->now;
	if ((rc = kt_cstore_put(txn, db, b, &gone, &who)) != 0 ||
	    (rc = kt_client_links_move(txn, db, b->id, a->id, c->now, &n)) !=
	    0)
		goto out;
	kt_client_links_detail(&n, links, sizeof(links));
	snprintf(detail, sizeof(detail), "merged into client %" PRIu64
	    "; moved %s", a->id, links);
	if ((rc = audit(st, txn, r, KT_AUDIT_CLIENT_MERGE, b->id, detail)) !=
	    0)
		goto out;
	snprintf(detail, sizeof(detail), "merged client %" PRIu64 " in",
	    b->id);
	rc = card_commit(st, txn, r, a, &next, KT_AUDIT_CLIENT_MERGE,
	    who.fields, detail);
out:
	free(buf);
	return rc;
}

/* The mutation of every op on one card: resets the results (a mutation
 * may run more than once), runs the op's part, and prepares the answer of
 * a refusal. */
static int
card_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	client_st_t *c = kt_req_state(r);
	kt_arena_t wa;
	int rc;

	/* One arena for the cards read and the answer built: one malloc
	 * instead of one per string of every card. */
	if (kt_arena_init(&wa, 32u << 10, 8u << 20) != 0)
		return KT_ENOMEM;
	c->wa = &wa;
	c->code = KT_CODE_OK;
	c->msg[0] = '\0';
	c->dup_of = 0;
	c->ndups = 0;
	rc = c->part(st, txn, r);
	if (rc == 0 && c->code != KT_CODE_OK)
		rc = refusal_answer(r, c);
	c->wa = NULL;
	kt_arena_free(&wa);
	return rc;
}

/* The common start of ops naming one client by id: a quick visibility
 * check on the loop (a client the caller cannot see costs no write), then
 * the mutation decides again in the writer's transaction. Returns c, or
 * NULL with r answered. */
static client_st_t *
by_id(kt_req_t *r, kt_req_mut_fn part, uint64_t id)
{
	client_st_t *c = kt_req_state(r);

	c->part = part;
	c->id = id;
	c->now = kt_now_s();
	return kt_req_client_visible(r, id) ? c : NULL;
}

kt_card_op_t *
kt_card_op_by_id(kt_req_t *r, kt_req_mut_fn part, uint64_t id)
{
	return by_id(r, part, id);
}

void
kt_card_op_submit(kt_req_t *r)
{
	kt_req_submit(r, card_mut, NULL);
}

static void
op_client_show(kt_req_t *r, const Kartoteka__Request *msg)
{
	if (by_id(r, show_mut, msg->client_show->id) != NULL)
		kt_req_submit(r, card_mut, NULL);
}

static void
op_client_archive(kt_req_t *r, const Kartoteka__Request *msg)
{
	client_st_t *c = by_id(r, archive_mut, msg->client_archive->id);

	if (c == NULL)
		return;
	c->restore = msg->client_archive->restore;
	kt_req_submit(r, card_mut, NULL);
}

static void
op_client_purge(kt_req_t *r, const Kartoteka__Request *msg)
{
	if (by_id(r, purge_mut, msg->client_purge->id) != NULL)
		kt_req_submit(r, card_mut, NULL);
}

static void
op_client_reassign(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__ClientReassignRequest *rr = msg->client_reassign;
	client_st_t *c = by_id(r, reassign_mut, rr->id);
	MDB_txn *txn;

	if (c == NULL)
		return;
	if ((txn = kt_req_txn(r)) == NULL || find_user(txn,
	    kt_store_dbs(kt_req_server(r)->store),
	    rr->manager, 0, &c->manager) != 0) {
		kt_req_fail(r, KT_CODE_BAD, "manager: no user '%.64s'",
		    rr->manager ? rr->manager : "");
		return;
	}
	kt_req_submit(r, card_mut, NULL);
}

static void
op_client_merge(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__ClientMergeRequest *mr = msg->client_merge;
	client_st_t *c;

	if (mr->into == 0 || mr->from == 0) {
		kt_req_fail(r, KT_CODE_BAD, "%s: name both clients",
		    mr->into == 0 ? "into" : "from");
		return;
	}
	if (mr->into == mr->from) {
		kt_req_fail(r, KT_CODE_BAD, "from: a client cannot be merged "
		    "into itself");
		return;
	}
	if ((c = by_id(r, merge_mut, mr->from)) == NULL)
		return;
	c->id = mr->into;
	c->from = mr->from;
	kt_req_submit(r, card_mut, NULL);
}

static void
op_client_edit(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__ClientEditRequest *er = msg->client_edit;
	Kartoteka__Client empty = KARTOTEKA__CLIENT__INIT;
	unsigned bits = 0;
	client_st_t *c;

	for (size_t i = 0; i < er->n_fields; i++) {
		unsigned bit = kt_card_field_bit(er->fields[i]);
		if (bit == 0) {
			if (strcmp(er->fields[i], "manager") == 0)
				kt_req_fail(r, KT_CODE_BAD,
				    "fields: 'manager' is "
				    "changed with reassign");
			else
				kt_req_fail(r, KT_CODE_BAD,
				    "fields: '%.64s' is not "
				    "a field that can be edited",
				    er->fields[i]);
			return;
		}
		bits |= bit;
	}
	if (bits == 0) {
		kt_req_fail(r, KT_CODE_BAD,
		    "fields: name the fields to change");
		return;
	}
	if (er->version == 0) {
		kt_req_fail(r, KT_CODE_BAD,
		    "version: give the version you read "
		    "(client show)");
		return;
	}
	if ((c = by_id(r, edit_mut, er->id)) == NULL)
		return;
	c->version = er->version;
	c->fields = bits;
	c->force = er->force;
	if (take_card(r, c, er->client ? er->client : &empty, bits))
		kt_req_submit(r, card_mut, NULL);
}

/* ==== find and list ======================================================= */

static void
caller_of(const kt_req_t *r, kt_cq_caller_t *who)
{
	const kt_user_t *u = kt_req_caller(r);

	who->id = u->id;
	who->role = u->role;
	who->branches = u->branches;
	who->nbranches = u->nbranches;
}

/* A list or search answer waiting for its count: the page (kept by the
 * request), the audit action and detail. */
typedef struct list_st {
	uint8_t *packed;                 /* ClientListResponse */
	size_t len;
	uint64_t *ids;                   /* [rows] */
	uint32_t rows;
	kt_audit_action_t action;
	int64_t now;
	char detail[640];
} list_st_t;

/* The mutation of a list answer (DESIGN §4): the clients it shows count
 * as the caller's distinct rows of the day; past the row quota the page
 * becomes QUOTA_EXCEEDED. Either way audited. May run more than once:
 * the page stays in the state and is prepared afresh each time. */
static int
rows_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	list_st_t *l = kt_req_state(r);
	kt_uday_who_t who = kt_req_counted(r, txn, l->now);
	kt_actor_t actor = kt_req_actor(r);
	uint32_t count = 0, fresh = 0, limit = 0;
	char detail[sizeof(l->detail) + 80];
	int rc;

	rc = kt_uday_rows(st, txn, &who, l->ids, l->rows, &count, &fresh,
	    &limit);
	if (rc == KT_EPERM) {
		snprintf(detail, sizeof(detail), "daily quota of %u clients "
		    "listed used up; the owner can raise it (kartoteka user "
		    "change %s --row-quota N)", limit, who.user->login);
		if ((rc = kt_audit_record(st, txn, &actor, l->action, "clients",
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
	if ((rc = kt_audit_record(st, txn, &actor, l->action, "clients",
	    KT_CODE_OK, detail)) != 0)
		return rc;
	return kt_req_answer_packed(r, KARTOTEKA__RESPONSE__RESULT_CLIENT_LIST,
	    l->packed, l->len);
}

/* Answers with page (taken over) once its rows are counted and its audit
 * entry committed. */
static void
page_answer(kt_req_t *r, kt_cq_page_t *page, kt_audit_action_t action,
    const char *detail)
{
	list_st_t *l = kt_req_state(r);

	l->packed = page->packed;
	l->len = page->len;
	l->ids = page->ids;
	l->rows = page->rows;
	page->packed = NULL;
	page->ids = NULL;
	l->action = action;
	l->now = kt_now_s();
	snprintf(l->detail, sizeof(l->detail), "%s", detail);
	/* kt_req_keep frees what it cannot keep. */
	if (kt_req_keep(r, l->packed) != 0) {
		free(l->ids);
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	if (kt_req_keep(r, l->ids) != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL, "out of memory");
		return;
	}
	kt_req_submit(r, rows_mut, NULL);
}

static void
op_client_find(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__ClientFindRequest *fr = msg->client_find;
	kt_server_t *srv = kt_req_server(r);
	MDB_txn *txn = kt_req_txn(r);
	kt_cq_caller_t who;
	kt_cq_page_t page;
	char digest[520], detail[640];
	const char *why = NULL;
	int rc = KT_ESTORE;

	caller_of(r, &who);
	if (txn != NULL && fr->contract)
		rc = kt_cquery_find_contract(txn, kt_store_dbs(srv->store),
		    &who, fr->text, fr->cursor.data, fr->cursor.len,
		    fr->limit, &page, digest, sizeof(digest), &why);
	else if (txn != NULL)
		rc = kt_cquery_find(txn, kt_store_dbs(srv->store), &who,
		    fr->text, srv->opts.phone_country, fr->cursor.data,
		    fr->cursor.len, fr->limit, &page, digest, sizeof(digest),
		    &why);
	if (rc != 0) {
		kt_req_fail(r, rc == KT_EINVAL ? KT_CODE_BAD : KT_CODE_INTERNAL,
		    "%s",
		    rc == KT_EINVAL ? why : KT_MSG("search failed"));
		return;
	}
	snprintf(detail, sizeof(detail), "%s rows=%u total=%" PRIu64, digest,
	    page.rows, page.total);
	page_answer(r, &page, KT_AUDIT_CLIENT_FIND, detail);
}

/* The filter digest of a list: which filters, never personal data beyond
 * the tag and source the caller typed. */
static void
list_digest(const kt_cq_filter_t *f, const kt_cq_page_t *page, char *out,
    size_t cap)
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
	if (f->won_from || f->won_to) D("won=%lld-%lld ",
	    (long long)f->won_from, (long long)f->won_to);
	D("rows=%u total=%" PRIu64, page->rows, page->total);
#undef D
}

static void
op_client_list(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__ClientListRequest *lr = msg->client_list;
	const kt_store_dbs_t *db = kt_store_dbs(kt_req_server(r)->store);
	MDB_txn *txn = kt_req_txn(r);
	kt_cq_filter_t f;
	kt_cq_caller_t who;
	kt_cq_page_t page;
	const char *why = NULL;
	char detail[640];
	int rc;

	if (txn == NULL) {
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "store unavailable");
		return;
	}
	kt_cq_filter_from_request(txn, db, lr, kt_now_s(), &f);
	caller_of(r, &who);
	rc = kt_cquery_list(txn, db, &who, &f, lr->cursor.data, lr->cursor.len,
	    lr->limit, &page, &why);
	if (rc != 0) {
		kt_req_fail(r, rc == KT_EINVAL ? KT_CODE_BAD : KT_CODE_INTERNAL,
		    "%s",
		    rc == KT_EINVAL ? why : "listing failed");
		return;
	}
	list_digest(&f, &page, detail, sizeof(detail));
	page_answer(r, &page, KT_AUDIT_CLIENT_LIST, detail);
}

/* ==== the rows ============================================================= */

#define OP(c) KARTOTEKA__REQUEST__OP_##c
#define ST sizeof(client_st_t)

static const kt_op_row_t rows[] = {
	{ OP(CLIENT_ADD), KT_MSG("create clients"), KT_PHASE_LOGGED_IN, KT_OP_WRITE,
	    KT_ACT_CREATE_CLIENT, KT_AUDIT_CLIENT_ADD, op_client_add, ST },
	{ OP(CLIENT_SHOW), KT_MSG("open full cards"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_FULL_CARD, KT_AUDIT_CLIENT_VIEW,
	    op_client_show, ST },
	{ OP(CLIENT_EDIT), KT_MSG("edit clients"), KT_PHASE_LOGGED_IN, KT_OP_WRITE,
	    KT_ACT_EDIT_CLIENT, KT_AUDIT_CLIENT_EDIT, op_client_edit, ST },
	{ OP(CLIENT_ARCHIVE), KT_MSG("archive or restore clients"),
	    KT_PHASE_LOGGED_IN, KT_OP_WRITE, KT_ACT_ARCHIVE,
	    KT_AUDIT_CLIENT_ARCHIVE, op_client_archive, ST },
	{ OP(CLIENT_PURGE), KT_MSG("purge clients"), KT_PHASE_LOGGED_IN, KT_OP_WRITE,
	    KT_ACT_PURGE, KT_AUDIT_CLIENT_PURGE, op_client_purge, ST },
	{ OP(CLIENT_REASSIGN), KT_MSG("reassign clients"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_REASSIGN, KT_AUDIT_CLIENT_REASSIGN,
	    op_client_reassign, ST },
	{ OP(CLIENT_MERGE), KT_MSG("merge duplicate clients"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, KT_ACT_PURGE, KT_AUDIT_CLIENT_MERGE, op_client_merge,
	    ST },
	{ OP(CLIENT_FIND), KT_MSG("search clients"), KT_PHASE_LOGGED_IN, KT_OP_WRITE,
	    KT_ACT_LIST, KT_AUDIT_CLIENT_FIND, op_client_find,
	    sizeof(list_st_t) },
	{ OP(CLIENT_LIST), KT_MSG("list clients"), KT_PHASE_LOGGED_IN, KT_OP_WRITE,
	    KT_ACT_LIST, KT_AUDIT_CLIENT_LIST, op_client_list,
	    sizeof(list_st_t) },
};

const kt_op_domain_t kt_ops_client = { "client", rows,
	sizeof(rows) / sizeof(rows[0]) };
