/* SPDX-License-Identifier: MIT */
/* Interactions over the protocol (DESIGN §5, docs/WORKDAY.md,
 * "Interactions"): note_add logs a call, a meeting, a letter or a visit
 * with a client; note_list pages a client's log newest first. Append-only:
 * there is no edit and no delete; a correction is a new entry naming the
 * one it corrects.
 *
 * Who may: both ops use the class KT_ACT_LOG_CONTACT (the owner all,
 * heads and managers any client of their branches: the front desk logs
 * every caller). Reading the log takes the same class rather than the
 * class of lists: entries are free text typed about a client, not masked
 * rows, so a user under notice (`user restrict`), who keeps the masked
 * lists, loses the log with the rest of the contact work. A client
 * outside the caller's branches answers NOT_FOUND exactly like a missing
 * one, on the loop (costing no write) and again in the writer; a purged
 * card has no entries left. A note_list answer that shows entries counts
 * its client as one row of the caller's day (distinct per day, like list
 * rows; DESIGN §4). Every success is audited with ids and counts, never
 * the text. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "arena.h"
#include "kt_error.h"
#include "model/authz.h"
#include "model/client_store.h"
#include "model/identity.h"
#include "model/interaction_store.h"
#include "model/user_day.h"
#include "normalize.h"
#include "ops/ops.h"
#include "records.pb-c.h"

/* Characters (code points) of a topic and of what was agreed, at most;
 * the buffers hold them in UTF-8 (4 bytes each at most). */
#define NOTE_TOPIC_MAX 500u
#define NOTE_AGREED_MAX 1000u
/* How far ahead of now an entry's time may be (clocks of terminals). */
#define NOTE_FUTURE_SLACK (10 * 60)
/* 2000-01-01T00:00:00Z: nothing was logged before. */
#define NOTE_AT_MIN INT64_C(946684800)
/* Entries in one page: the default and the most. */
#define NOTE_LIMIT_DEFAULT 20u
#define NOTE_LIMIT_MAX 100u
/* What the entries of one answer may take of a frame's 65519 bytes of
 * plaintext; the envelope and the cursor fit in what is left. */
#define NOTE_BUDGET 60000u
/* A cursor: 'N', the client's id, the last entry's `at` and id (BE64
 * each): bound to its client, so it cannot walk another one. */
#define NOTE_CURSOR_LEN 25u
#define NOTE_CURSOR_TAG 'N'

#define NOTE_ACT KT_ACT_LOG_CONTACT

/* ==== one request in flight =============================================== */

typedef struct note_st {
	kt_req_mut_fn part;              /* the op's part of note_mut */
	int64_t now;
	uint64_t client;
	/* note_add */
	int64_t at;
	uint32_t channel, direction;
	uint64_t corrects;
	char topic[NOTE_TOPIC_MAX * 4 + 1];
	char agreed[NOTE_AGREED_MAX * 4 + 1];
	/* note_list */
	kt_istore_pos_t below;
	int paged;                       /* below is set (a cursor came) */
	uint32_t limit;
	kt_arena_t *wa;                  /* the mutation's arena */
	/* results, reset on every run of the mutation */
	uint32_t code;
	char msg[300];
} note_st_t;

static void
refuse(note_st_t *n, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
refuse(note_st_t *n, uint32_t code, const char *fmt, ...)
{
	va_list ap;

	n->code = code;
	va_start(ap, fmt);
	vsnprintf(n->msg, sizeof(n->msg), fmt, ap);
	va_end(ap);
}

/* Audits action on client n->client with n's outcome (writer thread). */
static int
audit(kt_store_t *st, MDB_txn *txn, kt_req_t *r, kt_audit_action_t action,
    const char *detail)
{
	note_st_t *n = kt_req_state(r);

	return kt_req_audit(st, txn, r, action, "client", n->client, n->code,
	    detail);
}

/* ==== the text of an entry ================================================= */

static const char *const channel_names[] = { "", "call", "meeting", "email",
	"message", "visit" };
static const char *const direction_names[] = { "", "in", "out" };

/* Copies s (NULL: "") into dst (cap bytes) with CRLF and lone CR turned
 * into LF, and checks it: valid UTF-8 without control characters but
 * '\n' and '\t', at most max characters, and (required) not only
 * blanks. Returns NULL, or the problem as a phrase to follow the field's
 * name. */
static const char *
take_text(char *dst, size_t cap, const char *s, size_t max, int required)
{
	const char *longer = max == NOTE_TOPIC_MAX ?
	    KT_MSG("is longer than 500 characters") :
	    KT_MSG("is longer than 1000 characters");
	size_t n = 0, chars = 0;
	int blank = 1;

	if (s == NULL)
		s = "";
	for (const char *p = s; *p != '\0'; p++) {
		char ch = *p;
		if (ch == '\r') {
			if (p[1] == '\n')
				continue;
			ch = '\n';
		}
		/* cap holds max characters of 4 bytes: more bytes are more
		 * characters. */
		if (n + 1 >= cap)
			return longer;
		dst[n++] = ch;
	}
	dst[n] = '\0';
	if (!kt_utf8_valid(dst, 1))
		return KT_MSG("contains control characters or invalid UTF-8");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)dst[i];
		if ((c & 0xC0) != 0x80)
			chars++;
		if (c != ' ' && c != '\n' && c != '\t')
			blank = 0;
	}
	if (chars > max)
		return longer;
	if (required && n == 0)
		return KT_MSG("is empty");
	if (required && blank)
		return KT_MSG("is only blanks");
	return NULL;
}

/* ==== the client at hand ==================================================== */

/* Loads client n->client for the writer part: refuses n (NOT_FOUND alike
 * for a missing client and one outside the caller's branches, and for a
 * purged one; FORBIDDEN audited under action when visible but not
 * allowed). [out] *card the card when n->code is OK, in the mutation's
 * arena. Returns 0 or a store error. */
static int
client_check(kt_store_t *st, MDB_txn *txn, kt_req_t *r,
    kt_audit_action_t action, Ktstore__ClientRecord **card)
{
	note_st_t *n = kt_req_state(r);
	const kt_user_t *u = kt_req_caller(r);
	Ktstore__ClientRecord *rec = NULL;
	int rc;

	*card = NULL;
	rc = kt_cstore_get_with(txn, kt_store_dbs(st), n->client, &n->wa->pb,
	    &rec);
	if (rc == KT_ENOTFOUND) {
		refuse(n, KT_CODE_NOT_FOUND, "no client %" PRIu64, n->client);
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = kt_authz_client(u->id, u->role, u->branches, u->nbranches,
	    NOTE_ACT, rec->branch, rec->manager);
	if (rc == KT_ENOTFOUND) {
		refuse(n, KT_CODE_NOT_FOUND, "no client %" PRIu64, n->client);
	} else if (rc != 0) {
		refuse(n, KT_CODE_FORBIDDEN, "you may not %s (client %" PRIu64
		    ")", kt_authz_action_name(NOTE_ACT), n->client);
		return audit(st, txn, r, action, n->msg);
	} else if (rec->purged) {
		refuse(n, KT_CODE_NOT_FOUND, "client %" PRIu64 " was purged",
		    n->client);
	}
	*card = rec;
	return 0;
}

/* ==== note_add ============================================================== */

static int
add_part(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	note_st_t *n = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__InteractionRecord rec = KTSTORE__INTERACTION_RECORD__INIT;
	Ktstore__InteractionRecord *old = NULL;
	Ktstore__ClientRecord *card = NULL;
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__NoteResponse nr = KARTOTEKA__NOTE_RESPONSE__INIT;
	Kartoteka__Interaction wire;
	char detail[120];
	int rc;

	/* card is set whenever n->code is OK (client_check). */
	if ((rc = client_check(st, txn, r, KT_AUDIT_NOTE_ADD, &card)) != 0 ||
	    n->code != KT_CODE_OK || card == NULL)
		goto out;
	/* Its entries went to the card that stayed: new ones go there too
	 * (the card itself names it to whoever may see it). */
	if (card->merged_into != 0) {
		refuse(n, KT_CODE_BAD, "client_id: client %" PRIu64 " was merged "
		    "into client %" PRIu64 ": log it there", n->client,
		    card->merged_into);
		goto out;
	}
	if (n->corrects != 0) {
		/* The same answer for an entry of another client, visible or
		 * not, and for no entry at all. */
		rc = kt_istore_get(txn, db, n->corrects, &n->wa->pb, &old);
		if (rc == KT_ENOTFOUND || rc == KT_EPROTO ||
		    (rc == 0 && old->client != n->client)) {
			refuse(n, KT_CODE_BAD, "corrects: no entry %" PRIu64
			    " of client %" PRIu64, n->corrects, n->client);
			rc = 0;
			goto out;
		}
		if (rc != 0)
			goto out;
	}
	rec.client = n->client;
	rec.author = kt_req_caller(r)->id;
	rec.at = n->at;
	rec.created_at = n->now;
	rec.channel = n->channel;
	rec.direction = n->direction;
	rec.topic = n->topic;
	rec.agreed = n->agreed;
	rec.corrects = n->corrects;
	rec.branch = card->branch;
	if ((rc = kt_istore_add(st, txn, &rec)) != 0)
		goto out;
	snprintf(detail, sizeof(detail), "entry %" PRIu64 " channel %s%s%s",
	    rec.id, channel_names[n->channel], n->direction ?
	    " direction " : "", direction_names[n->direction]);
	if (n->corrects)
		snprintf(detail + strlen(detail), sizeof(detail) -
		    strlen(detail), " corrects %" PRIu64, n->corrects);
	if ((rc = audit(st, txn, r, KT_AUDIT_NOTE_ADD, detail)) != 0 ||
	    (rc = kt_istore_wire(txn, db, n->wa, &rec, &wire)) != 0)
		goto out;
	nr.note = &wire;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_NOTE;
	resp.note = &nr;
	rc = kt_req_answer(r, &resp);
out:
	return rc;
}

/* ==== note_list ============================================================= */

static int
list_part(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	note_st_t *n = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__NoteListResponse lr = KARTOTEKA__NOTE_LIST_RESPONSE__INIT;
	Ktstore__InteractionRecord **recs = NULL;
	Kartoteka__Interaction *wire = NULL;
	Kartoteka__Interaction **rows = NULL;
	Ktstore__ClientRecord *card = NULL;
	uint8_t cursor[NOTE_CURSOR_LEN];
	uint32_t count = 0, fresh = 0, quota = 0;
	size_t got = 0, shown = 0, used = 0;
	char detail[160];
	int rc, more = 0;

	if ((rc = client_check(st, txn, r, KT_AUDIT_NOTE_LIST, &card)) != 0 ||
	    n->code != KT_CODE_OK)
		goto out;
	if ((recs = kt_arena_alloc(n->wa, n->limit * sizeof(*recs))) == NULL ||
	    (wire = kt_arena_alloc(n->wa, n->limit * sizeof(*wire))) == NULL ||
	    (rows = kt_arena_alloc(n->wa, n->limit * sizeof(*rows))) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	if ((rc = kt_istore_page(txn, db, n->client, n->paged ? &n->below :
	    NULL, n->limit, &n->wa->pb, recs, &got, &more)) != 0)
		goto out;
	for (shown = 0; shown < got; shown++) {
		size_t size;
		if ((rc = kt_istore_wire(txn, db, n->wa, recs[shown],
		    &wire[shown])) != 0)
			goto out;
		size = kartoteka__interaction__get_packed_size(&wire[shown]) +
		    8;
		if (shown > 0 && used + size > NOTE_BUDGET) {
			more = 1;
			break;
		}
		used += size;
		rows[shown] = &wire[shown];
	}
	/* DESIGN §4: entries about a client are personal data: the client
	 * counts as one row of the caller's day, once a day. An empty page
	 * shows nothing and costs nothing. */
	if (shown > 0) {
		kt_uday_who_t who = kt_req_counted(r, txn, n->now);
		rc = kt_uday_rows(st, txn, &who, &n->client, 1, &count, &fresh,
		    &quota);
		if (rc == KT_EPERM) {
			refuse(n, KT_CODE_QUOTA, "daily quota of %u clients "
			    "listed used up; the owner can raise it (kartoteka "
			    "user change %s --row-quota N)", quota,
			    kt_req_caller(r)->login);
			rc = audit(st, txn, r, KT_AUDIT_NOTE_LIST, n->msg);
			goto out;
		}
		if (rc != 0)
			goto out;
	}
	lr.notes = rows;
	lr.n_notes = shown;
	if (more && shown > 0) {
		cursor[0] = NOTE_CURSOR_TAG;
		kt_store_be64(cursor + 1, n->client);
		kt_store_be64(cursor + 9, (uint64_t)recs[shown - 1]->at);
		kt_store_be64(cursor + 17, recs[shown - 1]->id);
		lr.next_cursor.data = cursor;
		lr.next_cursor.len = sizeof(cursor);
	}
	snprintf(detail, sizeof(detail), "entries=%zu%s%s", shown,
	    n->paged ? " page=next" : "", more ? " more" : "");
	if (shown > 0) {
		size_t len = strlen(detail);
		if (quota)
			snprintf(detail + len, sizeof(detail) - len,
			    " new=%u today=%u of %u", fresh, count, quota);
		else
			snprintf(detail + len, sizeof(detail) - len,
			    " new=%u today=%u", fresh, count);
	}
	if ((rc = audit(st, txn, r, KT_AUDIT_NOTE_LIST, detail)) != 0)
		goto out;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_NOTE_LIST;
	resp.note_list = &lr;
	rc = kt_req_answer(r, &resp);
out:
	return rc;
}

/* ==== the ops ================================================================ */

/* The mutation of both ops: resets the results (a mutation may run more
 * than once), runs the op's part in an arena of its own, and prepares the
 * answer of a refusal. */
static int
note_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	note_st_t *n = kt_req_state(r);
	kt_arena_t wa;
	int rc;

	if (kt_arena_init(&wa, 32u << 10, 16u << 20) != 0)
		return KT_ENOMEM;
	n->wa = &wa;
	n->code = KT_CODE_OK;
	n->msg[0] = '\0';
	rc = n->part(st, txn, r);
	if (rc == 0 && n->code != KT_CODE_OK)
		rc = kt_req_answer_error(r, n->code, "%s", n->msg);
	n->wa = NULL;
	kt_arena_free(&wa);
	return rc;
}

static void
op_note_add(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__NoteAddRequest *q = msg->note_add;
	note_st_t *n = kt_req_state(r);
	const char *why;

	n->part = add_part;
	n->now = kt_now_s();
	n->client = q->client_id;
	if (q->client_id == 0) {
		kt_req_fail(r, KT_CODE_BAD, "client_id: is missing");
		return;
	}
	if (q->channel == KARTOTEKA__CHANNEL__CHANNEL_UNSPECIFIED) {
		kt_req_fail(r, KT_CODE_BAD, "channel: is missing (call, "
		    "meeting, email, message or visit)");
		return;
	}
	if ((unsigned)q->channel >= sizeof(channel_names) /
	    sizeof(channel_names[0])) {
		kt_req_fail(r, KT_CODE_BAD, "channel: %d is not a known "
		    "channel", (int)q->channel);
		return;
	}
	if ((unsigned)q->direction >= sizeof(direction_names) /
	    sizeof(direction_names[0])) {
		kt_req_fail(r, KT_CODE_BAD, "direction: %d is not a known "
		    "direction", (int)q->direction);
		return;
	}
	if ((why = take_text(n->topic, sizeof(n->topic), q->topic,
	    NOTE_TOPIC_MAX, 1)) != NULL) {
		kt_req_fail(r, KT_CODE_BAD, "topic: %s", why);
		return;
	}
	if ((why = take_text(n->agreed, sizeof(n->agreed), q->agreed,
	    NOTE_AGREED_MAX, 0)) != NULL) {
		kt_req_fail(r, KT_CODE_BAD, "agreed: %s", why);
		return;
	}
	n->at = q->at != 0 ? q->at : n->now;
	if (n->at < NOTE_AT_MIN) {
		kt_req_fail(r, KT_CODE_BAD, "at: is before 2000-01-01");
		return;
	}
	if (n->at > n->now + NOTE_FUTURE_SLACK) {
		kt_req_fail(r, KT_CODE_BAD, "at: is in the future (more than "
		    "10 minutes ahead of the server's clock)");
		return;
	}
	n->channel = (uint32_t)q->channel;
	n->direction = (uint32_t)q->direction;
	n->corrects = q->corrects;
	if (kt_req_client_visible(r, q->client_id))
		kt_req_submit(r, note_mut, NULL);
}

static void
op_note_list(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__NoteListRequest *q = msg->note_list;
	const ProtobufCBinaryData *c = &q->cursor;
	note_st_t *n = kt_req_state(r);

	n->part = list_part;
	n->now = kt_now_s();
	n->client = q->client_id;
	if (q->client_id == 0) {
		kt_req_fail(r, KT_CODE_BAD, "client_id: is missing");
		return;
	}
	/* The cursor is hostile bytes: its shape and its client. */
	if (c->len != 0) {
		if (c->len != NOTE_CURSOR_LEN || c->data == NULL ||
		    c->data[0] != NOTE_CURSOR_TAG ||
		    kt_store_get_be64(c->data + 1) != q->client_id) {
			kt_req_fail(r, KT_CODE_BAD, "cursor: not a next_cursor "
			    "of the notes of client %" PRIu64, q->client_id);
			return;
		}
		n->below.at = (int64_t)kt_store_get_be64(c->data + 9);
		n->below.id = kt_store_get_be64(c->data + 17);
		n->paged = 1;
	}
	n->limit = q->limit == 0 ? NOTE_LIMIT_DEFAULT :
	    q->limit > NOTE_LIMIT_MAX ? NOTE_LIMIT_MAX : q->limit;
	if (kt_req_client_visible(r, q->client_id))
		kt_req_submit(r, note_mut, NULL);
}

/* ==== the rows ================================================================ */

#define OP(c) KARTOTEKA__REQUEST__OP_##c
#define ST sizeof(note_st_t)

static const kt_op_row_t rows[] = {
	{ OP(NOTE_ADD), KT_MSG("log contacts with clients"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, NOTE_ACT, KT_AUDIT_NOTE_ADD, op_note_add, ST },
	{ OP(NOTE_LIST), KT_MSG("read the contact log of clients"),
	    KT_PHASE_LOGGED_IN, KT_OP_WRITE, NOTE_ACT, KT_AUDIT_NOTE_LIST,
	    op_note_list, ST },
};

const kt_op_domain_t kt_ops_note = { "note", rows,
	sizeof(rows) / sizeof(rows[0]) };
