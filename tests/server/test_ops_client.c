/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/client.c through kt_dispatch_message on the fake
 * network: adding cards (duplicates of a visible and of a hidden card,
 * forced ones, refusals audited), showing full cards against a manager's
 * daily quota, a card of another branch answered exactly like a missing
 * one, edits against the version read, archive, restore, reassign and
 * purge, and find and list answers leaving only with their audit entry. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kt_test.h"

#include "model/alert_store.h"
#include "model/user_day.h"
#include "server/harness.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define E_NOTFOUND KARTOTEKA__ERROR__CODE__NOT_FOUND
#define E_CONFLICT KARTOTEKA__ERROR__CODE__CONFLICT
#define E_QUOTA KARTOTEKA__ERROR__CODE__QUOTA_EXCEEDED
#define HEAD KARTOTEKA__ROLE__HEAD
#define MANAGER KARTOTEKA__ROLE__MANAGER

/* ---- the world of these tests ---------------------------------------------- */

typedef struct world {
	kt_h_t *h;
	uint64_t north, south;            /* branches */
	uint64_t masha;                   /* manager of North, quota 2 */
	uint64_t vera;                    /* manager of South */
	uint64_t galina;                  /* head of North */
	kt_conn_t *owner, *m, *v, *g;     /* their logged-in connections */
} world_t;

static void
world_new(world_t *w)
{
	kt_h_t *h = w->h = kt_h_new();

	w->north = kt_h_branch(h, "North");
	w->south = kt_h_branch(h, "South");
	w->masha = kt_h_user(h, "masha", MANAGER, w->north, 2);
	w->vera = kt_h_user(h, "vera", MANAGER, w->south, 0);
	w->galina = kt_h_user(h, "galina", HEAD, w->north, 0);
	w->owner = kt_h_session(h, h->owner, 0);
	w->m = kt_h_session(h, w->masha, w->north);
	w->v = kt_h_session(h, w->vera, w->south);
	w->g = kt_h_session(h, w->galina, w->north);
}

/* ---- requests ------------------------------------------------------------------ */

typedef struct card {
	Kartoteka__Client c;
	Kartoteka__Person p;
	Kartoteka__Person *pp[1];
	char *phones[1];
} card_t;

/* A card titled title with one person (a phone when phone is not NULL);
 * branch and manager by name when not NULL. */
static Kartoteka__Client *
card(card_t *k, const char *title, const char *phone, const char *branch,
    const char *manager)
{
	kartoteka__client__init(&k->c);
	kartoteka__person__init(&k->p);
	k->c.title = (char *)title;
	k->c.branch = (char *)branch;
	k->c.manager = (char *)manager;
	k->p.name = "Anna";
	k->phones[0] = (char *)phone;
	k->p.phones = k->phones;
	k->p.n_phones = phone != NULL;
	k->pp[0] = &k->p;
	k->c.people = k->pp;
	k->c.n_people = 1;
	return &k->c;
}

typedef struct req {
	Kartoteka__Request r;
	union {
		Kartoteka__ClientAddRequest add;
		Kartoteka__ClientShowRequest show;
		Kartoteka__ClientEditRequest edit;
		Kartoteka__ClientArchiveRequest archive;
		Kartoteka__ClientPurgeRequest purge;
		Kartoteka__ClientReassignRequest reassign;
		Kartoteka__ClientFindRequest find;
		Kartoteka__ClientListRequest list;
		Kartoteka__ClientMergeRequest merge;
	} u;
	char *fields[2];
	card_t k;
} req_t;

static Kartoteka__Request *
add(req_t *q, Kartoteka__Client *c, int force)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_add_request__init(&q->u.add);
	q->u.add.client = c;
	q->u.add.force = force;
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_ADD;
	q->r.client_add = &q->u.add;
	return &q->r;
}

static Kartoteka__Request *
merge(req_t *q, uint64_t into, uint64_t from)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_merge_request__init(&q->u.merge);
	q->u.merge.into = into;
	q->u.merge.from = from;
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_MERGE;
	q->r.client_merge = &q->u.merge;
	return &q->r;
}

static Kartoteka__Request *
show(req_t *q, uint64_t id)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_show_request__init(&q->u.show);
	q->u.show.id = id;
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_SHOW;
	q->r.client_show = &q->u.show;
	return &q->r;
}

/* An edit of one field (title: the new title). */
static Kartoteka__Request *
edit(req_t *q, uint64_t id, uint64_t version, const char *field,
    const char *title)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_edit_request__init(&q->u.edit);
	q->u.edit.id = id;
	q->u.edit.version = version;
	q->fields[0] = (char *)field;
	q->u.edit.fields = q->fields;
	q->u.edit.n_fields = 1;
	q->u.edit.client = card(&q->k, title, NULL, NULL, NULL);
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_EDIT;
	q->r.client_edit = &q->u.edit;
	return &q->r;
}

static Kartoteka__Request *
archive(req_t *q, uint64_t id, int restore)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_archive_request__init(&q->u.archive);
	q->u.archive.id = id;
	q->u.archive.restore = restore;
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_ARCHIVE;
	q->r.client_archive = &q->u.archive;
	return &q->r;
}

static Kartoteka__Request *
purge(req_t *q, uint64_t id)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_purge_request__init(&q->u.purge);
	q->u.purge.id = id;
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_PURGE;
	q->r.client_purge = &q->u.purge;
	return &q->r;
}

static Kartoteka__Request *
reassign(req_t *q, uint64_t id, const char *manager)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_reassign_request__init(&q->u.reassign);
	q->u.reassign.id = id;
	q->u.reassign.manager = (char *)manager;
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_REASSIGN;
	q->r.client_reassign = &q->u.reassign;
	return &q->r;
}

static Kartoteka__Request *
find(req_t *q, const char *text, const ProtobufCBinaryData *cursor,
    uint32_t limit)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_find_request__init(&q->u.find);
	q->u.find.text = (char *)text;
	if (cursor != NULL)
		q->u.find.cursor = *cursor;
	q->u.find.limit = limit;
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_FIND;
	q->r.client_find = &q->u.find;
	return &q->r;
}

static Kartoteka__Request *
list(req_t *q, const char *branch)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_list_request__init(&q->u.list);
	q->u.list.branch = (char *)branch;
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_LIST;
	q->r.client_list = &q->u.list;
	return &q->r;
}

/* Adds a card through the op on c; its id. */
static uint64_t
add_ok(kt_h_t *h, kt_conn_t *c, const char *title, const char *phone,
    const char *branch)
{
	Kartoteka__Response *r;
	req_t q;

	r = kt_h_call(h, c, add(&q, card(&q.k, title, phone, branch, NULL),
	    0));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_CLIENT);
	return r->client->client->id;
}

/* The last audit entry: action on object, by user, with outcome. */
static kt_h_entry_t
expect_entry(kt_h_t *h, const char *action, uint64_t id, uint64_t user,
    uint32_t outcome)
{
	kt_h_entry_t e = kt_h_audit_last(h);
	char object[48];

	if (id)
		snprintf(object, sizeof(object), "client:%" PRIu64, id);
	else
		snprintf(object, sizeof(object), "clients");
	assert_string_equal(e.action, action);
	assert_string_equal(e.object, object);
	assert_true(e.user == user);
	assert_int_equal(e.outcome, outcome);
	return e;
}

/* ---- add ------------------------------------------------------------------------ */

static void
add_audited_and_answered(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	Kartoteka__Client *c;
	char detail[96];
	req_t q;

	(void)state;
	world_new(&w);
	r = kt_h_call(w.h, w.owner, add(&q, card(&q.k, "Ивановы",
	    "8 (999) 123-45-67", "North", NULL), 0));
	kt_h_expect_ok(r);
	c = r->client->client;
	assert_true(c->id != 0);
	assert_string_equal(c->title, "Ивановы");
	assert_string_equal(c->branch, "North");
	assert_string_equal(c->manager, KT_H_OWNER);
	assert_true(c->version == 1);
	assert_false(c->masked);
	assert_int_equal(c->n_people, 1);
	assert_string_equal(c->people[0]->phones[0], "+79991234567");
	snprintf(detail, sizeof(detail), "branch=%" PRIu64 " manager=%" PRIu64,
	    w.north, w.h->owner);
	assert_string_equal(expect_entry(w.h, "client.add", c->id, w.h->owner,
	    0).detail, detail);
	/* A manager's card goes to the terminal's branch, managed by her. */
	r = kt_h_call(w.h, w.m, add(&q, card(&q.k, "Петровы", NULL, NULL,
	    NULL), 0));
	kt_h_expect_ok(r);
	assert_string_equal(r->client->client->branch, "North");
	assert_string_equal(r->client->client->manager, "masha");
	/* Bad input names the field and writes nothing. */
	{
		uint64_t audit = kt_h_audit_count(w.h);
		r = kt_h_call(w.h, w.owner, add(&q, card(&q.k, "", NULL,
		    "North", NULL), 0));
		kt_h_expect_error(r, E_BAD, NULL);
		assert_true(strncmp(r->error->message, "title", 5) == 0);
		assert_string_equal(r->error->field, "title");
		kt_h_expect_error(kt_h_call(w.h, w.owner, add(&q, card(&q.k,
		    "X", NULL, "Nowhere", NULL), 0)), E_BAD,
		    "branch: no branch 'Nowhere'");
		assert_true(kt_h_audit_count(w.h) == audit);
	}
	kt_h_free(w.h);
}

static void
add_duplicate_contacts(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	kt_h_alert_t al;
	uint64_t first, south_id;
	char msg[160];
	req_t q;

	(void)state;
	world_new(&w);
	first = add_ok(w.h, w.owner, "Ивановы", "+79991234567", "North");
	/* Visible to the caller: named, with the card's id; the audit names
	 * the card, never the phone. */
	r = kt_h_call(w.h, w.m, add(&q, card(&q.k, "Другие", "89991234567",
	    NULL, NULL), 0));
	snprintf(msg, sizeof(msg), "phone +79991234567 already belongs to "
	    "client %" PRIu64 " (Ивановы)", first);
	kt_h_expect_error(r, E_CONFLICT, msg);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_CLIENT);
	assert_true(r->client->duplicate_of == first);
	snprintf(msg, sizeof(msg), "duplicate of client %" PRIu64, first);
	assert_string_equal(expect_entry(w.h, "client.add", 0, w.masha,
	    E_CONFLICT).detail, msg);
	/* Of another branch: answered exactly like a new phone (DESIGN §4):
	 * the card is saved, and the owner gets a merge alert. */
	r = kt_h_call(w.h, w.v, add(&q, card(&q.k, "Южные", "+79991234567",
	    NULL, NULL), 0));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_CLIENT);
	assert_true(r->client->duplicate_of == 0);
	assert_false(r->client->client->masked);
	south_id = r->client->client->id;
	assert_int_equal(kt_h_alerts(w.h, KT_ALERT_MERGE, &al), 1);
	assert_true(al.client == south_id && al.other == first &&
	    al.user == w.vera);
	snprintf(msg, sizeof(msg), "branch=%" PRIu64 " manager=%" PRIu64
	    " duplicate of client %" PRIu64 " (alert %" PRIu64 ")", w.south,
	    w.vera, first, al.id);
	assert_string_equal(expect_entry(w.h, "client.add", south_id, w.vera,
	    0).detail, msg);
	/* ...and a new phone answers the same. */
	r = kt_h_call(w.h, w.v, add(&q, card(&q.k, "Южные 2", "+79991230000",
	    NULL, NULL), 0));
	kt_h_expect_ok(r);
	assert_true(r->client->duplicate_of == 0);
	assert_int_equal(kt_h_alerts(w.h, KT_ALERT_MERGE, NULL), 1);
	/* Forced over a visible one: added, with a merge alert for each
	 * card sharing the phone (North's and, unseen, South's). */
	r = kt_h_call(w.h, w.m, add(&q, card(&q.k, "Другие", "+79991234567",
	    NULL, NULL), 1));
	kt_h_expect_ok(r);
	assert_int_equal(kt_h_alerts(w.h, KT_ALERT_MERGE, &al), 3);
	assert_true(al.client == r->client->client->id && al.other == south_id);
	kt_h_free(w.h);
}

/* A leaving manager's sentinel attack: guessed phones next to one the
 * manager's own card has. The answer is the same whatever the guesses
 * hit, a card holds at most 8 phones, and the refusals run out. */
static void
duplicate_checks_are_budgeted(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	Kartoteka__Person p = KARTOTEKA__PERSON__INIT;
	Kartoteka__Person *pp[1] = { &p };
	char *phones[9];
	char nums[9][16];
	kt_h_alert_t al;
	uint64_t own;
	req_t q;

	(void)state;
	world_new(&w);
	(void)add_ok(w.h, w.owner, "Южные", "+79990000003", "South");
	own = add_ok(w.h, w.m, "Мои", "+79990000001", NULL);
	for (int i = 0; i < 9; i++) {
		snprintf(nums[i], sizeof(nums[i]), "+7999000000%d", i + 1);
		phones[i] = nums[i];
	}
	p.name = "Guess";
	p.phones = phones;
	/* Nine phones in all: refused before any lookup, naming the one. */
	p.n_phones = 8;
	{
		Kartoteka__Person p2 = KARTOTEKA__PERSON__INIT;
		Kartoteka__Person *two[2] = { &p, &p2 };
		p2.name = "More";
		p2.phones = phones + 8;
		p2.n_phones = 1;
		card(&q.k, "Угадай", NULL, NULL, NULL);
		q.k.c.people = two;
		q.k.c.n_people = 2;
		kt_h_expect_error(kt_h_call(w.h, w.m, add(&q, &q.k.c, 0)),
		    E_BAD, "people[1].phones[0]: a card holds at most 8 phones "
		    "in all");
	}
	/* The sentinel (phone 1, own) with a guess that hits South's card
	 * (phone 3) and six that hit nothing: one verdict, the sentinel's,
	 * the same as without the hit. */
	for (unsigned i = 0; i < KT_DUP_BUDGET; i++) {
		card(&q.k, "Угадай", NULL, NULL, NULL);
		q.k.c.people = pp;
		q.k.c.n_people = 1;
		p.n_phones = i % 2 ? 8 : 1;
		r = kt_h_call(w.h, w.m, add(&q, &q.k.c, 0));
		kt_h_expect_error(r, E_CONFLICT, NULL);
		assert_true(r->client->duplicate_of == own);
	}
	assert_int_equal(kt_h_alerts(w.h, KT_ALERT_DUP_BUDGET, &al), 1);
	assert_true(al.user == w.masha && al.count == KT_DUP_BUDGET);
	/* Spent: refused without a name, and no second alert. */
	r = kt_h_call(w.h, w.m, add(&q, &q.k.c, 0));
	kt_h_expect_error(r, E_QUOTA, "the daily budget of 20 duplicate checks "
	    "is used up; the owner can look into it");
	assert_true(r->result_case != KARTOTEKA__RESPONSE__RESULT_CLIENT ||
	    r->client->duplicate_of == 0);
	assert_int_equal(kt_h_alerts(w.h, KT_ALERT_DUP_BUDGET, NULL), 1);
	/* Nothing was created, and no merge alert told of South's card. */
	assert_int_equal(kt_h_alerts(w.h, KT_ALERT_MERGE, NULL), 0);
	kt_h_free(w.h);
}

static void
add_forbidden_audited(void **state)
{
	world_t w;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	world_new(&w);
	kt_h_expect_error(kt_h_call(w.h, w.m, add(&q, card(&q.k, "X", NULL,
	    NULL, "galina"), 0)), E_FORBIDDEN, "you may not name another "
	    "manager: only an owner or a head may");
	e = expect_entry(w.h, "client.add", 0, w.masha, E_FORBIDDEN);
	assert_non_null(strstr(e.detail, "you may not name another manager"));
	kt_h_expect_error(kt_h_call(w.h, w.m, add(&q, card(&q.k, "X", NULL,
	    "South", NULL), 0)), E_FORBIDDEN,
	    "you may not create a client in this branch");
	expect_entry(w.h, "client.add", 0, w.masha, E_FORBIDDEN);
	/* A head may name a manager of her branch. */
	kt_h_expect_ok(kt_h_call(w.h, w.g, add(&q, card(&q.k, "X", NULL,
	    NULL, "masha"), 0)));
	kt_h_free(w.h);
}

/* ---- show ------------------------------------------------------------------------- */

static void
show_counts_against_quota(void **state)
{
	world_t w;
	uint64_t id;
	Kartoteka__Response *r;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	world_new(&w);
	id = add_ok(w.h, w.m, "Ивановы", "+79991234567", NULL);
	kt_h_watch_audit(w.h, w.m);
	for (unsigned i = 1; i <= 2; i++) {
		char detail[64];
		size_t n = kt_fake_conn_nsent(w.m);

		r = kt_h_call(w.h, w.m, show(&q, id));
		kt_h_expect_ok(r);
		assert_false(r->client->client->masked);
		assert_string_equal(r->client->client->people[0]->phones[0],
		    "+79991234567");
		snprintf(detail, sizeof(detail), "views today %u of 2", i);
		e = kt_h_audit_when_sent(w.h, w.m, n);
		assert_string_equal(e.action, "client.view");
		assert_string_equal(e.detail, detail);
	}
	r = kt_h_call(w.h, w.m, show(&q, id));
	kt_h_expect_error(r, E_QUOTA, "daily quota of 2 full cards used up; the owner can raise it "
	    "(kartoteka user change masha --quota N)");
	e = expect_entry(w.h, "client.view", id, w.masha, E_QUOTA);
	assert_string_equal(e.detail, "daily quota of 2 full cards used up; the owner can raise it "
	    "(kartoteka user change masha --quota N)");
	/* The owner's views are counted, never limited. */
	for (unsigned i = 1; i <= 3; i++)
		kt_h_expect_ok(kt_h_call(w.h, w.owner, show(&q, id)));
	assert_string_equal(kt_h_audit_last(w.h).detail, "views today 3");
	kt_h_free(w.h);
}

/* msg with every decimal run replaced by '#'. */
static void
shape(const char *msg, char *out, size_t cap)
{
	size_t n = 0;

	for (const char *p = msg; *p && n + 1 < cap; p++) {
		if (*p >= '0' && *p <= '9') {
			if (n == 0 || out[n - 1] != '#')
				out[n++] = '#';
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
}

static void
other_branch_not_found_like_missing(void **state)
{
	world_t w;
	uint64_t south_card, missing, audit;
	char a[128], b[128], want[64];
	req_t q;

	(void)state;
	world_new(&w);
	south_card = add_ok(w.h, w.v, "Южные", NULL, NULL);
	missing = south_card + 1000;
	audit = kt_h_audit_count(w.h);
	{
		Kartoteka__Response *hid, *none;
		hid = kt_h_call(w.h, w.m, show(&q, south_card));
		none = kt_h_call(w.h, w.m, show(&q, missing));
		kt_h_expect_error(hid, E_NOTFOUND, NULL);
		kt_h_expect_error(none, E_NOTFOUND, NULL);
		snprintf(want, sizeof(want), "no client %" PRIu64, south_card);
		assert_string_equal(hid->error->message, want);
		shape(hid->error->message, a, sizeof(a));
		shape(none->error->message, b, sizeof(b));
		assert_string_equal(a, b);
		assert_int_equal(hid->result_case, none->result_case);
	}
	/* Edit and archive too, and none of them costs a write (an audit
	 * entry would tell the card exists). */
	{
		Kartoteka__Response *hid, *none;
		hid = kt_h_call(w.h, w.m, edit(&q, south_card, 1, "title", "X"));
		none = kt_h_call(w.h, w.m, edit(&q, missing, 1, "title", "X"));
		shape(hid->error->message, a, sizeof(a));
		shape(none->error->message, b, sizeof(b));
		assert_int_equal(hid->error->code, E_NOTFOUND);
		assert_string_equal(a, b);
		hid = kt_h_call(w.h, w.m, archive(&q, south_card, 0));
		none = kt_h_call(w.h, w.m, archive(&q, missing, 0));
		shape(hid->error->message, a, sizeof(a));
		shape(none->error->message, b, sizeof(b));
		assert_int_equal(hid->error->code, E_NOTFOUND);
		assert_string_equal(a, b);
	}
	assert_true(kt_h_audit_count(w.h) == audit);
	kt_h_free(w.h);
}

/* ---- changes ------------------------------------------------------------------------ */

static void
edit_against_the_version_read(void **state)
{
	world_t w;
	uint64_t id;
	Kartoteka__Response *r;
	char msg[128];
	req_t q;

	(void)state;
	world_new(&w);
	id = add_ok(w.h, w.owner, "Ивановы", "+79991234567", "North");
	r = kt_h_call(w.h, w.owner, edit(&q, id, 1, "title", "Ивановы-Петровы"));
	kt_h_expect_ok(r);
	assert_string_equal(r->client->client->title, "Ивановы-Петровы");
	assert_true(r->client->client->version == 2);
	assert_true(r->client->client->masked);      /* contacts masked */
	assert_string_equal(expect_entry(w.h, "client.edit", id, w.h->owner,
	    0).detail, "title");
	r = kt_h_call(w.h, w.owner, edit(&q, id, 1, "title", "Старое"));
	snprintf(msg, sizeof(msg), "client %" PRIu64 " was changed meanwhile: "
	    "current version is 2", id);
	kt_h_expect_error(r, E_CONFLICT, msg);
	kt_h_expect_error(kt_h_call(w.h, w.owner, edit(&q, id, 2, "age", "X")),
	    E_BAD, "fields: 'age' is not a field that can be edited");
	kt_h_expect_error(kt_h_call(w.h, w.owner, edit(&q, id, 2, "manager",
	    "X")), E_BAD, "fields: 'manager' is changed with reassign");
	kt_h_expect_error(kt_h_call(w.h, w.owner, edit(&q, id, 0, "title",
	    "X")), E_BAD, "version: give the version you read (client show)");
	kt_h_free(w.h);
}

static void
manager_edits_only_her_cards(void **state)
{
	world_t w;
	uint64_t id;
	char msg[96];
	req_t q;

	(void)state;
	world_new(&w);
	id = add_ok(w.h, w.owner, "Ивановы", NULL, "North");
	snprintf(msg, sizeof(msg), "you may not edit this client (client %"
	    PRIu64 ")", id);
	kt_h_expect_error(kt_h_call(w.h, w.m, edit(&q, id, 1, "title", "X")),
	    E_FORBIDDEN, msg);
	assert_string_equal(expect_entry(w.h, "client.edit", id, w.masha,
	    E_FORBIDDEN).detail, msg);
	/* A head edits anything in her branch. */
	kt_h_expect_ok(kt_h_call(w.h, w.g, edit(&q, id, 1, "title", "Y")));
	kt_h_free(w.h);
}

/* The owner's answer to a merge alert: one card with both families'
 * people, the other archived without contacts; a phone of the merged
 * card now finds only the one card. */
static void
merge_keeps_one_card(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	kt_h_alert_t al;
	uint64_t north_id, south_id;
	char msg[96];
	req_t q;

	(void)state;
	world_new(&w);
	north_id = add_ok(w.h, w.m, "Ивановы", "+79991234567", NULL);
	r = kt_h_call(w.h, w.v, add(&q, card(&q.k, "Ивановы (юг)",
	    "+79991234567", NULL, NULL), 0));
	kt_h_expect_ok(r);
	south_id = r->client->client->id;
	assert_int_equal(kt_h_alerts(w.h, KT_ALERT_MERGE, &al), 1);
	/* Only the owner merges, and refusals are audited. */
	kt_h_expect_error(kt_h_call(w.h, w.g, merge(&q, north_id, south_id)),
	    E_FORBIDDEN, "only the owner can merge duplicate clients");
	assert_int_equal(kt_h_audit_last(w.h).outcome, E_FORBIDDEN);
	kt_h_expect_error(kt_h_call(w.h, w.owner, merge(&q, north_id,
	    north_id)), E_BAD, "from: a client cannot be merged into itself");
	r = kt_h_call(w.h, w.owner, merge(&q, al.other, al.client));
	kt_h_expect_ok(r);
	assert_true(r->client->client->id == north_id);
	assert_int_equal(r->client->client->n_people, 1);  /* same person */
	snprintf(msg, sizeof(msg), "merged client %" PRIu64 " in", south_id);
	assert_string_equal(expect_entry(w.h, "client.merge", north_id,
	    w.h->owner, 0).detail, msg);
	r = kt_h_call(w.h, w.owner, show(&q, south_id));
	kt_h_expect_ok(r);
	assert_true(r->client->client->merged_into == north_id);
	assert_true(r->client->client->archived);
	assert_int_equal(r->client->client->n_people, 0);
	/* Twice: refused, nothing changed. */
	kt_h_expect_error(kt_h_call(w.h, w.owner, merge(&q, north_id,
	    south_id)), KARTOTEKA__ERROR__CODE__CONFLICT, NULL);
	kt_h_free(w.h);
}

static void
archive_restore_reassign_purge(void **state)
{
	world_t w;
	uint64_t id;
	Kartoteka__Response *r;
	char msg[96];
	req_t q;

	(void)state;
	world_new(&w);
	id = add_ok(w.h, w.owner, "Ивановы", "+79991234567", "North");
	r = kt_h_call(w.h, w.owner, archive(&q, id, 0));
	kt_h_expect_ok(r);
	assert_true(r->client->client->archived);
	expect_entry(w.h, "client.archive", id, w.h->owner, 0);
	r = kt_h_call(w.h, w.owner, archive(&q, id, 1));
	kt_h_expect_ok(r);
	assert_false(r->client->client->archived);
	expect_entry(w.h, "client.restore", id, w.h->owner, 0);
	r = kt_h_call(w.h, w.owner, reassign(&q, id, "masha"));
	kt_h_expect_ok(r);
	assert_string_equal(r->client->client->manager, "masha");
	snprintf(msg, sizeof(msg), "manager %" PRIu64 " -> %" PRIu64,
	    w.h->owner, w.masha);
	assert_string_equal(expect_entry(w.h, "client.reassign", id,
	    w.h->owner, 0).detail, msg);
	kt_h_expect_error(kt_h_call(w.h, w.owner, reassign(&q, id, "vera")),
	    E_BAD, "manager: user vera does not work in the client's branch");
	kt_h_expect_error(kt_h_call(w.h, w.owner, reassign(&q, id, "nobody")),
	    E_BAD, "manager: no user 'nobody'");
	/* Only the owner purges; afterwards the card is gone for all. */
	kt_h_expect_error(kt_h_call(w.h, w.g, purge(&q, id)), E_FORBIDDEN,
	    "only the owner can purge clients");
	kt_h_expect_ok(kt_h_call(w.h, w.owner, purge(&q, id)));
	expect_entry(w.h, "client.purge", id, w.h->owner, 0);
	snprintf(msg, sizeof(msg), "client %" PRIu64 " was purged", id);
	kt_h_expect_error(kt_h_call(w.h, w.owner, show(&q, id)), E_NOTFOUND,
	    msg);
	kt_h_free(w.h);
}

/* ---- find and list -------------------------------------------------------------------- */

static void
find_and_list_leave_with_their_entry(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	ProtobufCBinaryData junk = { 4, (uint8_t *)"junk" };
	kt_h_entry_t e;
	char detail[64];
	req_t q;

	(void)state;
	world_new(&w);
	(void)add_ok(w.h, w.owner, "Ивановы", "+79991234567", "North");
	(void)add_ok(w.h, w.owner, "Иваненко", NULL, "South");
	(void)add_ok(w.h, w.owner, "Петровы", NULL, "North");
	kt_h_watch_audit(w.h, w.m);
	/* A manager finds only what her branch holds. */
	r = kt_h_call(w.h, w.m, find(&q, "Иван", NULL, 0));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case,
	    KARTOTEKA__RESPONSE__RESULT_CLIENT_LIST);
	assert_int_equal(r->client_list->n_rows, 1);
	assert_string_equal(r->client_list->rows[0]->title, "Ивановы");
	e = kt_h_audit_when_sent(w.h, w.m, 0);
	assert_string_equal(e.action, "client.find");
	assert_string_equal(e.object, "clients");
	assert_true(e.user == w.masha);
	assert_non_null(strstr(e.detail, "rows=1 total=1"));
	r = kt_h_call(w.h, w.m, list(&q, NULL));
	kt_h_expect_ok(r);
	assert_int_equal(r->client_list->n_rows, 2);
	e = kt_h_audit_when_sent(w.h, w.m, 1);
	assert_string_equal(e.action, "client.list");
	/* The find showed one of the two before: one new row today. */
	assert_string_equal(e.detail, "rows=2 total=2 new=1 today=2 of 2000");
	/* The owner sees every branch; a filter is in the digest. */
	kt_h_watch_audit(w.h, w.owner);
	r = kt_h_call(w.h, w.owner, list(&q, "South"));
	assert_int_equal(r->client_list->n_rows, 1);
	/* The owner is counted, never limited: no quota. */
	snprintf(detail, sizeof(detail), "branch=%" PRIu64 " rows=1 total=1 "
	    "new=1 today=1", w.south);
	assert_string_equal(kt_h_audit_when_sent(w.h, w.owner,
	    kt_fake_conn_nsent(w.owner) - 1).detail, detail);
	/* A branch that does not exist answers like one with no card the
	 * caller can see (DESIGN §4: lists are no oracle of names). */
	r = kt_h_call(w.h, w.m, list(&q, "Nowhere"));
	kt_h_expect_ok(r);
	assert_int_equal(r->client_list->n_rows, 0);
	assert_true(r->client_list->total == 0);
	r = kt_h_call(w.h, w.m, list(&q, "South"));
	kt_h_expect_ok(r);
	assert_int_equal(r->client_list->n_rows, 0);
	assert_true(r->client_list->total == 0);
	/* Refusals name the field. */
	kt_h_expect_error(kt_h_call(w.h, w.m, find(&q, "Иван", &junk, 0)),
	    E_BAD, NULL);
	kt_h_free(w.h);
}

/* Find by e-mail and by contract number: exact, and a card of another
 * branch answers exactly like a missing one, with no row counted. */
static void
find_email_contract_other_branch_like_missing(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	char want[160];
	uint64_t id;
	req_t q;
	struct { const char *text; int contract; } hidden[] = {
		{ "vera.client@mail.ru", 0 }, { "ю-77", 1 },
	}, missing[] = {
		{ "nobody@mail.ru", 0 }, { "Ю-78", 1 },
	};

	(void)state;
	world_new(&w);
	kartoteka__request__init(&q.r);
	card(&q.k, "Южные", NULL, "South", NULL);
	q.k.p.email = "Vera.Client@Mail.ru";
	q.k.c.contract = "Ю-77";
	r = kt_h_call(w.h, w.owner, add(&q, &q.k.c, 0));
	kt_h_expect_ok(r);
	id = r->client->client->id;
	/* Vera, of South, finds it both ways. */
	r = kt_h_call(w.h, w.v, find(&q, "VERA.CLIENT@mail.ru", NULL, 0));
	kt_h_expect_ok(r);
	assert_int_equal(r->client_list->n_rows, 1);
	assert_true(r->client_list->rows[0]->id == id);
	find(&q, "ю-77", NULL, 0);
	q.u.find.contract = 1;
	r = kt_h_call(w.h, w.v, &q.r);
	kt_h_expect_ok(r);
	assert_int_equal(r->client_list->n_rows, 1);
	kt_h_watch_audit(w.h, w.m);
	/* Masha, of North: nothing, exactly as for what does not exist. */
	for (size_t i = 0; i < 2; i++) {
		const char *both[2] = { hidden[i].text, missing[i].text };
		for (size_t j = 0; j < 2; j++) {
			find(&q, both[j], NULL, 0);
			q.u.find.contract = hidden[i].contract;
			r = kt_h_call(w.h, w.m, &q.r);
			kt_h_expect_ok(r);
			assert_int_equal(r->client_list->n_rows, 0);
			assert_true(r->client_list->total == 0);
			assert_int_equal(r->client_list->next_cursor.len, 0);
			snprintf(want, sizeof(want), "rows=0 total=0 new=0 "
			    "today=0 of 2000");
			assert_non_null(strstr(kt_h_audit_when_sent(w.h, w.m,
			    kt_fake_conn_nsent(w.m) - 1).detail, want));
		}
	}
	/* The e-mail in the audit is masked. */
	assert_non_null(strstr(kt_h_audit_when_sent(w.h, w.m, 0).detail,
	    "email v***@mail.ru"));
	/* Refusals name the field. */
	kt_h_expect_error(kt_h_call(w.h, w.m, find(&q, "vera@", NULL, 0)),
	    E_BAD, "text: has '@' but is not an e-mail address");
	kt_h_free(w.h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(add_audited_and_answered),
	cmocka_unit_test(add_duplicate_contacts),
	cmocka_unit_test(duplicate_checks_are_budgeted),
	cmocka_unit_test(add_forbidden_audited),
	cmocka_unit_test(show_counts_against_quota),
	cmocka_unit_test(other_branch_not_found_like_missing),
	cmocka_unit_test(edit_against_the_version_read),
	cmocka_unit_test(manager_edits_only_her_cards),
	cmocka_unit_test(archive_restore_reassign_purge),
	cmocka_unit_test(merge_keeps_one_card),
	cmocka_unit_test(find_and_list_leave_with_their_entry),
	cmocka_unit_test(find_email_contract_other_branch_like_missing),
};

KT_TEST_MAIN(tests)
