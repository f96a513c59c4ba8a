/* SPDX-License-Identifier: MIT */
/* Card history over the protocol (DESIGN §7): a card's versions with the
 * fields each changed (old and new values), one stored version as a full
 * card, and putting an earlier version back as a new one. Reading history
 * reveals contacts, so each request counts as one full view (limited for
 * heads, counted for the owner) and is audited before it is answered.
 *
 * Who may: the owner, and heads for the cards of their branches. Managers
 * may not, not even for the cards they manage: old versions hold the
 * contacts of a card before it became theirs, and a manager who wiped a
 * card must not be able to read back, or undo, the wipe before a head
 * sees it. The rows use the class KT_ACT_REASSIGN, whose row in authz.c
 * is exactly that (owner: all, head: its branches, manager: none), so
 * dispatch refuses a manager (FORBIDDEN, audited) before any card is
 * looked at, alike for every id. A card outside the caller's branches
 * answers NOT_FOUND exactly like a missing one; a purged card has no
 * history (purge drops it). Everything runs in the writer, where the
 * checks are made again inside the transaction that counts the view. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "arena.h"
#include "kt_error.h"
#include "model/authz.h"
#include "model/branch_store.h"
#include "model/client_card.h"
#include "model/client_history.h"
#include "model/client_store.h"
#include "model/identity.h"
#include "model/terminal_store.h"
#include "model/user_day.h"
#include "model/user_store.h"
#include "normalize.h"
#include "ops/ops.h"
#include "records.pb-c.h"

/* Versions in one history page: the default and the most. */
#define HIST_LIMIT_DEFAULT 20u
#define HIST_LIMIT_MAX 100u
/* What the versions of one answer may take: a frame carries 65519 bytes
 * of plaintext, the envelope and the cursor fit in what is left. */
#define HIST_BUDGET 60000u
/* A cursor: 'H', the card's id and the version the next page is below,
 * both BE64: bound to its card, so it cannot walk another one. */
#define HIST_CURSOR_LEN 17u
#define HIST_CURSOR_TAG 'H'

/* The class of action of every op here (see the file comment). */
#define HIST_ACT KT_ACT_REASSIGN

/* ==== one request in flight =============================================== */

typedef struct hist_st {
	kt_req_mut_fn part;              /* the op's part of hist_mut */
	int64_t now;
	uint64_t id;
	uint64_t version;                /* show: the version; revert: the
					    current version the caller read */
	uint64_t to;                     /* revert: the version put back */
	uint64_t before;                 /* history: versions below this
					    (0: from the newest) */
	uint32_t limit;                  /* history: versions in a page */
	kt_arena_t *wa;                  /* the mutation's arena */
	/* results, reset on every run of the mutation */
	uint32_t code;
	char msg[300];
} hist_st_t;

static void
refuse(hist_st_t *h, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
refuse(hist_st_t *h, uint32_t code, const char *fmt, ...)
{
	va_list ap;

	h->code = code;
	va_start(ap, fmt);
	vsnprintf(h->msg, sizeof(h->msg), fmt, ap);
	va_end(ap);
}

/* Audits action on client h->id with h's outcome (writer thread). */
static int
audit(kt_store_t *st, MDB_txn *txn, kt_req_t *r, kt_audit_action_t action,
    const char *detail)
{
	hist_st_t *h = kt_req_state(r);

	return kt_req_audit(st, txn, r, action, "client", h->id, h->code,
	    detail);
}

static int
may(const kt_req_t *r, kt_action_t a, uint64_t branch, uint64_t manager)
{
	const kt_user_t *u = kt_req_caller(r);

	return kt_authz_client(u->id, u->role, u->branches, u->nbranches, a,
	    branch, manager);
}

#define NOMEM(p) do { if ((p) == NULL) { rc = KT_ENOMEM; goto out; } } \
	while (0)

/* ==== a card as text, field by field ====================================== */

/* A growing string (malloc'd; sb_free frees it). */
typedef struct sb {
	char *s;
	size_t n, cap;
	int failed;
} sb_t;

static void
sb_add(sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sb_add(sb_t *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		size_t room = b->cap - b->n;
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->n : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < room) {
			b->n += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 256;
		while (cap - b->n <= (size_t)n)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (s == NULL) {
			b->failed = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

static const char *const status_names[] = { "", "lead", "active", "former" };
static const char *const category_names[] = { "", "A", "B", "C" };
static const char *const relation_names[] = { "", "parent", "child",
	"contact", "other" };

static const char *
name_of(const char *const *names, size_t n, uint32_t v, char *buf, size_t cap)
{
	if (v < n)
		return names[v];
	snprintf(buf, cap, "%" PRIu32, v);
	return buf;
}
#define NAME_OF(t, v, buf) name_of(t, sizeof(t) / sizeof(t[0]), v, buf, \
	sizeof(buf))

/* The fields a version is compared on: every card field (DESIGN §7: the
 * old values), then who manages it, where, and whether it is archived. */
enum {
	F_TITLE, F_STATUS, F_CATEGORY, F_PEOPLE, F_SOURCE, F_REFERRED, F_TAGS,
	F_NOTES, F_DNC, F_CONSENT, F_CONTRACT, F_DISCOUNT, F_LEAVING, F_CUSTOM,
	F_ADDRESS, F_MANAGER, F_BRANCH, F_ARCHIVED, F_COUNT
};

static const struct {
	const char *name;
	unsigned bit;                    /* KT_CARD_*, 0 for the others */
} fields[F_COUNT] = {
	[F_TITLE] = { "title", KT_CARD_TITLE },
	[F_STATUS] = { "status", KT_CARD_STATUS },
	[F_CATEGORY] = { "category", KT_CARD_CATEGORY },
	[F_PEOPLE] = { "people", KT_CARD_PEOPLE },
	[F_SOURCE] = { "source", KT_CARD_SOURCE },
	[F_REFERRED] = { "referred_by", KT_CARD_REFERRED },
	[F_TAGS] = { "tags", KT_CARD_TAGS },
	[F_NOTES] = { "notes", KT_CARD_NOTES },
	[F_DNC] = { "do_not_contact", KT_CARD_DNC },
	[F_CONSENT] = { "consent_date", KT_CARD_CONSENT },
	[F_CONTRACT] = { "contract", KT_CARD_CONTRACT },
	[F_DISCOUNT] = { "discount_percent", KT_CARD_DISCOUNT },
	[F_LEAVING] = { "leaving_reason", KT_CARD_LEAVING },
	[F_CUSTOM] = { "custom", KT_CARD_CUSTOM },
	[F_ADDRESS] = { "address", KT_CARD_ADDRESS },
	[F_MANAGER] = { "manager", 0 },
	[F_BRANCH] = { "branch", 0 },
	[F_ARCHIVED] = { "archived", 0 },
};

static void
person_text(sb_t *b, const Ktstore__PersonRecord *p)
{
	char buf[16];

	sb_add(b, "%s", p->name ? p->name : "");
	if (p->relation || p->birth_year || p->birth_month) {
		sb_add(b, " (%s", NAME_OF(relation_names, p->relation, buf));
		if (p->birth_month && p->birth_day)
			sb_add(b, "%s%02" PRIu32 ".%02" PRIu32 ".%04" PRIu32,
			    p->relation ? ", " : "", p->birth_day,
			    p->birth_month, p->birth_year);
		else if (p->birth_year)
			sb_add(b, "%s%" PRIu32, p->relation ? ", " : "",
			    p->birth_year);
		sb_add(b, ")");
	}
	for (size_t j = 0; j < p->n_phones; j++)
		sb_add(b, " %s", p->phones[j]);
	if (p->email && p->email[0])
		sb_add(b, " %s", p->email);
	if (p->note && p->note[0])
		sb_add(b, " \"%s\"", p->note);
}

/* Field f of rec as text into b. Inside txn (names of the manager and
 * the branch). */
static void
field_text(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__ClientRecord *rec, unsigned f, sb_t *b)
{
	char buf[KT_LOGIN_MAX + KT_NAME_MAX + 2];

	switch (f) {
	case F_TITLE: sb_add(b, "%s", rec->title ? rec->title : ""); break;
	case F_STATUS:
		sb_add(b, "%s", NAME_OF(status_names, rec->status, buf));
		break;
	case F_CATEGORY:
		sb_add(b, "%s", NAME_OF(category_names, rec->category, buf));
		break;
	case F_PEOPLE:
		for (size_t i = 0; i < rec->n_people; i++) {
			if (i)
				sb_add(b, " | ");
			person_text(b, rec->people[i]);
		}
		break;
	case F_SOURCE: sb_add(b, "%s", rec->source ? rec->source : ""); break;
	case F_REFERRED:
		if (rec->referred_by)
			sb_add(b, "%" PRIu64, rec->referred_by);
		break;
	case F_TAGS:
		for (size_t i = 0; i < rec->n_tags; i++)
			sb_add(b, "%s%s", i ? ", " : "", rec->tags[i]);
		break;
	case F_NOTES: sb_add(b, "%s", rec->notes ? rec->notes : ""); break;
	case F_DNC: sb_add(b, "%s", rec->do_not_contact ? "yes" : "no"); break;
	case F_CONSENT:
		sb_add(b, "%s", rec->consent_date ? rec->consent_date : "");
		break;
	case F_CONTRACT:
		sb_add(b, "%s", rec->contract ? rec->contract : "");
		break;
	case F_DISCOUNT: sb_add(b, "%" PRIu32, rec->discount_percent); break;
	case F_LEAVING:
		sb_add(b, "%s", rec->leaving_reason ? rec->leaving_reason : "");
		break;
	case F_CUSTOM:
		for (size_t i = 0; i < rec->n_custom; i++)
			sb_add(b, "%s%s=%s", i ? "; " : "",
			    rec->custom[i]->name ? rec->custom[i]->name : "",
			    rec->custom[i]->value ? rec->custom[i]->value : "");
		break;
	case F_ADDRESS:
		sb_add(b, "%s", rec->address ? rec->address : "");
		break;
	case F_MANAGER:
		if (rec->manager) {
			kt_user_login(txn, db, rec->manager, buf, sizeof(buf));
			sb_add(b, "%s", buf);
		}
		break;
	case F_BRANCH:
		if (rec->branch) {
			kt_branch_name(txn, db, rec->branch, buf, sizeof(buf));
			sb_add(b, "%s", buf);
		}
		break;
	case F_ARCHIVED: sb_add(b, "%s", rec->archived ? "yes" : "no"); break;
	default: break;
	}
}

/* Every field of rec as text, in arena a: text[F_COUNT]. Returns 0 or
 * KT_ENOMEM. */
static int
card_text(MDB_txn *txn, const kt_store_dbs_t *db,
    const Ktstore__ClientRecord *rec, kt_arena_t *a, char **text)
{
	sb_t b = { NULL, 0, 0, 0 };
	int rc = 0;

	for (unsigned f = 0; f < F_COUNT; f++) {
		b.n = 0;
		sb_add(&b, "%s", "");
		field_text(txn, db, rec, f, &b);
		if (b.failed) {
			rc = KT_ENOMEM;
			goto out;
		}
		NOMEM(text[f] = kt_arena_strdup(a, b.s));
	}
out:
	free(b.s);
	return rc;
}

/* The KT_CARD_* bits of the card fields that differ between two texts. */
static unsigned
text_bits(char *const *a, char *const *b)
{
	unsigned bits = 0;

	for (unsigned f = 0; f < F_COUNT; f++)
		if (strcmp(a[f], b[f]) != 0)
			bits |= fields[f].bit;
	return bits;
}

/* ==== the card in an answer =============================================== */

/* Prepares the answer for card rec, contacts masked when masked. Writer
 * thread, inside txn (names). The same shape as `client show`. */
static int
card_answer(kt_req_t *r, MDB_txn *txn, const Ktstore__ClientRecord *rec,
    int masked)
{
	return kt_req_answer_card(r, ((hist_st_t *)kt_req_state(r))->wa, txn, rec,
	    masked);
}

/* ==== the card at hand ===================================================== */

/* Loads card h->id for the caller: refuses h (NOT_FOUND alike for a
 * missing card and one outside the caller's branches; FORBIDDEN audited
 * under action when visible but not allowed; NOT_FOUND for a purged one,
 * which has no history). *rec is the card when h->code is OK, in the
 * mutation's arena. Returns 0 or a store error. */
static int
card_load(kt_store_t *st, MDB_txn *txn, kt_req_t *r, kt_audit_action_t action,
    Ktstore__ClientRecord **rec)
{
	hist_st_t *h = kt_req_state(r);
	int rc;

	*rec = NULL;
	rc = kt_cstore_get_with(txn, kt_store_dbs(st), h->id, &h->wa->pb, rec);
	if (rc == KT_ENOTFOUND) {
		refuse(h, KT_CODE_NOT_FOUND, "no client %" PRIu64, h->id);
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = may(r, HIST_ACT, (*rec)->branch, (*rec)->manager);
	if (rc == KT_ENOTFOUND) {
		refuse(h, KT_CODE_NOT_FOUND, "no client %" PRIu64, h->id);
	} else if (rc != 0) {
		refuse(h, KT_CODE_FORBIDDEN, "only the owner and heads can "
		    "read or put back card history (client %" PRIu64 ")",
		    h->id);
		return audit(st, txn, r, action, h->msg);
	} else if ((*rec)->purged) {
		refuse(h, KT_CODE_NOT_FOUND, "client %" PRIu64 " was purged: "
		    "it has no history", h->id);
	}
	return 0;
}

/* Counts one full view of the caller (DESIGN §4: on the business day of
 * its branch; heads against their quota, the owner never limited) and
 * writes "views today N[ of Q]" into out. Past the quota refuses h
 * (QUOTA, audited under action). Returns 0 or a store error. */
static int
count_view(kt_store_t *st, MDB_txn *txn, kt_req_t *r, kt_audit_action_t action,
    char *out, size_t cap)
{
	hist_st_t *h = kt_req_state(r);
	kt_uday_who_t who = kt_req_counted(r, txn, h->now);
	uint32_t quota = 0, count = 0;
	int rc;

	rc = kt_uday_view(st, txn, &who, &count, &quota);
	if (rc == KT_EPERM) {
		refuse(h, KT_CODE_QUOTA, "daily quota of %u full cards used "
		    "up; the owner can raise it (kartoteka user change %s "
		    "--quota N)", quota, kt_req_caller(r)->login);
		return audit(st, txn, r, action, h->msg);
	}
	if (rc != 0)
		return rc;
	if (quota)
		snprintf(out, cap, "views today %u of %u", count, quota);
	else
		snprintf(out, cap, "views today %u", count);
	return 0;
}

/* ==== history ============================================================== */

/* One version as the walk saw it, its fields as text. */
typedef struct seen {
	uint64_t version;
	int64_t time;
	char *user, *terminal, *action;
	char *text[F_COUNT];
} seen_t;

/* The walk over a card's versions, newest first. Each version is
 * answered once the one before it (older) is read: its changes are the
 * difference. */
typedef struct walk {
	MDB_txn *txn;
	const kt_store_dbs_t *db;
	kt_arena_t *a;
	char *empty[F_COUNT];            /* a card with nothing set */
	seen_t pending;                  /* read, not answered yet */
	int have_pending;
	Kartoteka__ClientVersion **out;  /* [limit] */
	size_t n, limit;
	size_t used;                     /* bytes of the answer so far */
	int more;                        /* a next page exists */
	uint64_t last;                   /* the oldest version answered */
} walk_t;

#define WALK_STOP 1

/* The name of the terminal with key (32 bytes) into the arena: "" for a
 * local command, its key's first hex digits when not found. */
static char *
terminal_name(walk_t *w, const ProtobufCBinaryData *key)
{
	Ktstore__TerminalRecord *t = NULL;
	char buf[KT_NAME_MAX + 1];
	char *s;

	if (key->len != 32)
		return kt_arena_strdup(w->a, "");
	if (kt_terminal_get(w->txn, w->db, key->data, &t) == 0) {
		s = kt_arena_strdup(w->a, t->name ? t->name : "");
		protobuf_c_message_free_unpacked(&t->base, NULL);
		return s;
	}
	for (size_t i = 0; i < 8; i++)
		snprintf(buf + 2 * i, 3, "%02x", key->data[i]);
	return kt_arena_strdup(w->a, buf);
}

/* s cut to at most cap bytes at a character boundary, marked. */
static char *
cut(kt_arena_t *a, char *s, size_t cap)
{
	static const char mark[] = " [...]";
	size_t n = strlen(s);
	char *t;

	if (n <= cap)
		return s;
	n = cap > sizeof(mark) ? cap - sizeof(mark) : 0;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	if ((t = kt_arena_alloc(a, n + sizeof(mark))) == NULL)
		return NULL;
	memcpy(t, s, n);
	memcpy(t + n, mark, sizeof(mark));
	return t;
}

/* Builds the answer row of v against prev (older; the empty card when v
 * is the oldest) and adds it to the page unless it does not fit: then
 * w->more is set. The first version of a page always fits, its values
 * cut when they must. Returns 0, WALK_STOP or KT_ENOMEM. */
static int
emit(walk_t *w, const seen_t *v, char *const *prev)
{
	Kartoteka__ClientVersion *cv;
	Kartoteka__FieldChange **ch;
	size_t size;

	if ((cv = kt_arena_alloc(w->a, sizeof(*cv))) == NULL ||
	    (ch = kt_arena_alloc(w->a, F_COUNT * sizeof(*ch))) == NULL)
		return KT_ENOMEM;
	kartoteka__client_version__init(cv);
	cv->version = v->version;
	cv->time = v->time;
	cv->user = v->user;
	cv->terminal = v->terminal;
	cv->action = v->action;
	cv->changes = ch;
	for (unsigned f = 0; f < F_COUNT; f++) {
		Kartoteka__FieldChange *c;
		if (strcmp(v->text[f], prev[f]) == 0)
			continue;
		if ((c = kt_arena_alloc(w->a, sizeof(*c))) == NULL)
			return KT_ENOMEM;
		kartoteka__field_change__init(c);
		c->field = (char *)fields[f].name;
		c->old_value = prev[f];
		c->new_value = v->text[f];
		ch[cv->n_changes++] = c;
	}
	size = protobuf_c_message_get_packed_size(&cv->base) + 8;
	if (w->used + size > HIST_BUDGET && w->n > 0) {
		w->more = 1;
		return WALK_STOP;
	}
	if (size > HIST_BUDGET) {
		/* One version larger than an answer (big cards both sides):
		 * its values cut; `client show --version` shows it whole. */
		size_t cap = (HIST_BUDGET - 600) / (2 * cv->n_changes + 1);
		for (size_t i = 0; i < cv->n_changes; i++) {
			ch[i]->old_value = cut(w->a, ch[i]->old_value, cap);
			ch[i]->new_value = cut(w->a, ch[i]->new_value, cap);
			if (!ch[i]->old_value || !ch[i]->new_value)
				return KT_ENOMEM;
		}
		size = protobuf_c_message_get_packed_size(&cv->base) + 8;
	}
	w->used += size;
	w->out[w->n++] = cv;
	w->last = v->version;
	return 0;
}

/* A kt_chist_fn: reads version rec, answers the pending (newer) one. */
static int
walk_one(const Ktstore__ClientVersionRecord *rec, void *arg)
{
	walk_t *w = arg;
	seen_t s;
	char login[KT_LOGIN_MAX + 1];
	int rc;

	if (rec->card == NULL)
		return 0;       /* not a version: skipped like a bad record */
	memset(&s, 0, sizeof(s));
	s.version = rec->card->version;
	s.time = rec->time;
	kt_user_login(w->txn, w->db, rec->user_id, login, sizeof(login));
	if ((s.user = kt_arena_strdup(w->a, login)) == NULL ||
	    (s.terminal = terminal_name(w, &rec->terminal_key)) == NULL ||
	    (s.action = kt_arena_strdup(w->a, rec->action ? rec->action :
	    "")) == NULL ||
	    card_text(w->txn, w->db, rec->card, w->a, s.text) != 0)
		return KT_ENOMEM;
	if (w->have_pending) {
		if ((rc = emit(w, &w->pending, s.text)) != 0)
			return rc;
		if (w->n == w->limit) {
			w->more = 1;
			return WALK_STOP;
		}
	}
	w->pending = s;
	w->have_pending = 1;
	return 0;
}

static int
history_part(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	hist_st_t *h = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__ClientHistoryResponse hr =
	    KARTOTEKA__CLIENT_HISTORY_RESPONSE__INIT;
	Ktstore__ClientRecord *rec = NULL;
	Ktstore__ClientRecord none = KTSTORE__CLIENT_RECORD__INIT;
	walk_t w;
	uint8_t cursor[HIST_CURSOR_LEN];
	char views[64], detail[200];
	int rc;

	if ((rc = card_load(st, txn, r, KT_AUDIT_CLIENT_HISTORY, &rec)) != 0 ||
	    h->code != KT_CODE_OK)
		goto out;
	if ((rc = count_view(st, txn, r, KT_AUDIT_CLIENT_HISTORY, views,
	    sizeof(views))) != 0 || h->code != KT_CODE_OK)
		goto out;
	memset(&w, 0, sizeof(w));
	w.txn = txn;
	w.db = db;
	w.a = h->wa;
	w.limit = h->limit;
	NOMEM(w.out = kt_arena_alloc(w.a, w.limit * sizeof(*w.out)));
	if ((rc = card_text(txn, db, &none, w.a, w.empty)) != 0)
		goto out;
	rc = kt_chist_each(txn, db, h->id, h->before, 0, walk_one, &w, NULL);
	if (rc == WALK_STOP)
		rc = 0;
	if (rc != 0)
		goto out;
	/* The oldest version read has nothing before it: the card as it
	 * was created, or as it was when history began (schema 3). */
	if (w.have_pending && !w.more && (rc = emit(&w, &w.pending,
	    w.empty)) == WALK_STOP)
		rc = 0;
	if (rc != 0)
		goto out;
	hr.versions = w.out;
	hr.n_versions = w.n;
	if (w.more) {
		cursor[0] = HIST_CURSOR_TAG;
		kt_store_be64(cursor + 1, h->id);
		kt_store_be64(cursor + 9, w.last);
		hr.next_cursor.data = cursor;
		hr.next_cursor.len = sizeof(cursor);
	}
	snprintf(detail, sizeof(detail), "versions=%zu%s %s", w.n,
	    h->before ? " page=next" : "", views);
	if ((rc = audit(st, txn, r, KT_AUDIT_CLIENT_HISTORY, detail)) != 0)
		goto out;
	resp.result_case = KARTOTEKA__RESPONSE__RESULT_CLIENT_HISTORY;
	resp.client_history = &hr;
	rc = kt_req_answer(r, &resp);
out:
	return rc;
}

/* ==== one version ========================================================== */

static int
version_part(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	hist_st_t *h = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__ClientRecord *rec = NULL;
	Ktstore__ClientVersionRecord *v = NULL;
	char views[64], detail[120];
	int rc;

	if ((rc = card_load(st, txn, r, KT_AUDIT_CLIENT_VIEW, &rec)) != 0 ||
	    h->code != KT_CODE_OK)
		goto out;
	rc = kt_chist_get(txn, db, h->id, h->version, &h->wa->pb, &v);
	if (rc == KT_ENOTFOUND || (rc == 0 && v->card == NULL)) {
		/* Nothing shown, nothing counted. */
		refuse(h, KT_CODE_NOT_FOUND, "client %" PRIu64 " has no "
		    "version %" PRIu64 " (kartoteka client history %" PRIu64
		    " lists them)", h->id, h->version, h->id);
		rc = 0;
		goto out;
	}
	if (rc != 0)
		goto out;
	if ((rc = count_view(st, txn, r, KT_AUDIT_CLIENT_VIEW, views,
	    sizeof(views))) != 0 || h->code != KT_CODE_OK)
		goto out;
	snprintf(detail, sizeof(detail), "version %" PRIu64 " %s", h->version,
	    views);
	if ((rc = audit(st, txn, r, KT_AUDIT_CLIENT_VIEW, detail)) != 0)
		goto out;
	rc = card_answer(r, txn, v->card, 0);
out:
	return rc;
}

/* ==== revert ================================================================ */

static int
revert_part(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	hist_st_t *h = kt_req_state(r);
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__ClientRecord *cur = NULL, *ref = NULL, rec;
	Ktstore__ClientVersionRecord *v = NULL;
	char *a_text[F_COUNT], *b_text[F_COUNT];
	char detail[400], digest[300], err[300];
	kt_chist_who_t who;
	uint8_t *packed = NULL;
	size_t len;
	unsigned bits;
	int rc, ref_kept = 0;

	if ((rc = card_load(st, txn, r, KT_AUDIT_CLIENT_REVERT, &cur)) != 0 ||
	    h->code != KT_CODE_OK)
		goto out;
	if (cur->version != h->version) {
		refuse(h, KT_CODE_CONFLICT, "client %" PRIu64 " was changed "
		    "meanwhile: current version is %" PRIu64, h->id,
		    cur->version);
		goto out;
	}
	if (h->to >= cur->version) {
		refuse(h, KT_CODE_BAD, "to_version: %" PRIu64 " is not an "
		    "earlier version of client %" PRIu64 " (the current one "
		    "is %" PRIu64 ")", h->to, h->id, cur->version);
		goto out;
	}
	rc = kt_chist_get(txn, db, h->id, h->to, &h->wa->pb, &v);
	if (rc == KT_ENOTFOUND || (rc == 0 && v->card == NULL)) {
		refuse(h, KT_CODE_NOT_FOUND, "client %" PRIu64 " has no "
		    "version %" PRIu64 " (kartoteka client history %" PRIu64
		    " lists them)", h->id, h->to, h->id);
		rc = 0;
		goto out;
	}
	if (rc != 0)
		goto out;
	/* The content of version to; the id, branch, manager, archived
	 * state and bookkeeping stay the current card's. rec borrows the
	 * memory of both. */
	kt_card_merge(cur, v->card, KT_CARD_ALL, &rec);
	/* A referrer that is gone, purged or out of sight is not put back:
	 * the current one stays. */
	if (rec.referred_by != 0 && rec.referred_by != cur->referred_by &&
	    (rec.referred_by == rec.id ||
	    kt_cstore_get_with(txn, db, rec.referred_by, &h->wa->pb,
	    &ref) != 0 || ref->purged ||
	    may(r, KT_ACT_SEE_CLIENT, ref->branch, ref->manager) != 0)) {
		rec.referred_by = cur->referred_by;
		ref_kept = 1;
	}
	rec.version = cur->version + 1;
	rec.updated_at = h->now;
	if (kt_card_pack(&rec, &packed, &len, err, sizeof(err)) != 0) {
		refuse(h, KT_CODE_BAD, "%s", err);
		goto out;
	}
	if ((rc = card_text(txn, db, cur, h->wa, a_text)) != 0 ||
	    (rc = card_text(txn, db, &rec, h->wa, b_text)) != 0)
		goto out;
	bits = text_bits(a_text, b_text);
	kt_card_fields_digest(bits, digest, sizeof(digest));
	snprintf(detail, sizeof(detail), "to version %" PRIu64 ": %s%s", h->to,
	    bits ? digest : "no field differs",
	    ref_kept ? " (referred_by kept: that client is gone)" : "");
	if (kt_card_loses_contacts(cur, &rec)) {
		kt_uday_who_t uw = kt_req_counted(r, txn, h->now);
		uint32_t burst = 0;
		if ((rc = kt_uday_destructive(st, txn, &uw, &burst)) != 0)
			goto out;
		snprintf(detail + strlen(detail), sizeof(detail) -
		    strlen(detail), " removed people or contacts");
	}
	who.time = h->now;
	who.user = kt_req_caller(r)->id;
	who.terminal = kt_req_terminal_key(r);
	who.action = kt_audit_action_name(KT_AUDIT_CLIENT_REVERT);
	who.fields = bits;
	if ((rc = kt_cstore_put(txn, db, cur, &rec, &who)) != 0 ||
	    (rc = audit(st, txn, r, KT_AUDIT_CLIENT_REVERT, detail)) != 0)
		goto out;
	rc = card_answer(r, txn, &rec, 1);
out:
	free(packed);
	return rc;
}

/* ==== the ops ================================================================ */

/* The mutation of every op here: resets the results (a mutation may run
 * more than once), runs the op's part in an arena of its own, and
 * prepares the answer of a refusal. */
static int
hist_mut(kt_store_t *st, MDB_txn *txn, kt_req_t *r)
{
	hist_st_t *h = kt_req_state(r);
	kt_arena_t wa;
	int rc;

	if (kt_arena_init(&wa, 32u << 10, 16u << 20) != 0)
		return KT_ENOMEM;
	h->wa = &wa;
	h->code = KT_CODE_OK;
	h->msg[0] = '\0';
	rc = h->part(st, txn, r);
	if (rc == 0 && h->code != KT_CODE_OK)
		rc = kt_req_answer_error(r, h->code, "%s", h->msg);
	h->wa = NULL;
	kt_arena_free(&wa);
	return rc;
}

/* The start of every op: a quick look on the loop, from the indexes (a
 * card the caller cannot see costs no write and answers like a missing
 * one). Returns h, or NULL with r answered. */
static hist_st_t *
by_id(kt_req_t *r, kt_req_mut_fn part, uint64_t id)
{
	hist_st_t *h = kt_req_state(r);

	h->part = part;
	h->id = id;
	h->now = kt_now_s();
	return kt_req_client_visible(r, id) ? h : NULL;
}

static void
op_client_history(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__ClientHistoryRequest *q = msg->client_history;
	const ProtobufCBinaryData *c = &q->cursor;
	uint64_t before = 0;
	hist_st_t *h;

	/* The cursor is hostile bytes: its shape, its card, a version. */
	if (c->len != 0) {
		if (c->len != HIST_CURSOR_LEN || c->data == NULL ||
		    c->data[0] != HIST_CURSOR_TAG ||
		    kt_store_get_be64(c->data + 1) != q->id ||
		    (before = kt_store_get_be64(c->data + 9)) < 2) {
			kt_req_fail(r, KT_CODE_BAD, "cursor: not a next_cursor "
			    "of the history of client %" PRIu64, q->id);
			return;
		}
	}
	if ((h = by_id(r, history_part, q->id)) == NULL)
		return;
	h->before = before;
	h->limit = q->limit == 0 ? HIST_LIMIT_DEFAULT :
	    q->limit > HIST_LIMIT_MAX ? HIST_LIMIT_MAX : q->limit;
	kt_req_submit(r, hist_mut, NULL);
}

static void
op_client_version(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__ClientVersionRequest *q = msg->client_version;
	hist_st_t *h;

	if (q->version == 0) {
		kt_req_fail(r, KT_CODE_BAD, "version: give the version to show "
		    "(kartoteka client history %" PRIu64 " lists them)", q->id);
		return;
	}
	if ((h = by_id(r, version_part, q->id)) == NULL)
		return;
	h->version = q->version;
	kt_req_submit(r, hist_mut, NULL);
}

static void
op_client_revert(kt_req_t *r, const Kartoteka__Request *msg)
{
	const Kartoteka__ClientRevertRequest *q = msg->client_revert;
	hist_st_t *h;

	if (q->to_version == 0) {
		kt_req_fail(r, KT_CODE_BAD, "to_version: give the version to "
		    "put back (kartoteka client history %" PRIu64 " lists "
		    "them)", q->id);
		return;
	}
	if (q->version == 0) {
		kt_req_fail(r, KT_CODE_BAD, "version: give the current version "
		    "you read (client show or client history)");
		return;
	}
	if ((h = by_id(r, revert_part, q->id)) == NULL)
		return;
	h->to = q->to_version;
	h->version = q->version;
	kt_req_submit(r, hist_mut, NULL);
}

/* ==== the rows ================================================================ */

#define OP(c) KARTOTEKA__REQUEST__OP_##c
#define ST sizeof(hist_st_t)

static const kt_op_row_t rows[] = {
	{ OP(CLIENT_HISTORY), KT_MSG("read card history"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE, HIST_ACT, KT_AUDIT_CLIENT_HISTORY, op_client_history,
	    ST },
	{ OP(CLIENT_REVERT), KT_MSG("put back an earlier version of a card"),
	    KT_PHASE_LOGGED_IN, KT_OP_WRITE, HIST_ACT, KT_AUDIT_CLIENT_REVERT,
	    op_client_revert, ST },
	{ OP(CLIENT_VERSION), KT_MSG("open an earlier version of a card"),
	    KT_PHASE_LOGGED_IN, KT_OP_WRITE, HIST_ACT, KT_AUDIT_CLIENT_VIEW,
	    op_client_version, ST },
};

const kt_op_domain_t kt_ops_history = { "history", rows,
	sizeof(rows) / sizeof(rows[0]) };
