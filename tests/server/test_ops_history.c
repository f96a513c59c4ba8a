/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/history.c through kt_dispatch_message on the fake
 * network: a card's versions newest first with the fields each changed
 * (old and new values, contacts in full), paged by cursor and by what an
 * answer can carry; each request counted as a full view (a head limited,
 * the owner counted) and audited; managers refused alike for every id; a
 * card of another branch answered like a missing one; one version as a
 * full card; revert making a new version equal to an earlier one (the
 * wiped card restored), against the version read; purge dropping it all. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_test.h"

#include "model/client_history.h"
#include "model/client_store.h"
#include "server/harness.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define E_NOTFOUND KARTOTEKA__ERROR__CODE__NOT_FOUND
#define E_CONFLICT KARTOTEKA__ERROR__CODE__CONFLICT
#define E_QUOTA KARTOTEKA__ERROR__CODE__QUOTA_EXCEEDED
#define HEAD KARTOTEKA__ROLE__HEAD
#define MANAGER KARTOTEKA__ROLE__MANAGER

#define PHONE "+79991234567"

/* ---- the world of these tests ---------------------------------------------- */

typedef struct world {
	kt_h_t *h;
	uint64_t north, south;            /* branches */
	uint64_t masha;                   /* manager of North */
	uint64_t vera;                    /* manager of South */
	uint64_t galina;                  /* head of North, quota 3 */
	kt_conn_t *owner, *m, *v, *g;     /* their logged-in connections */
} world_t;

static void
world_new(world_t *w)
{
	kt_h_t *h = w->h = kt_h_new();

	w->north = kt_h_branch(h, "North");
	w->south = kt_h_branch(h, "South");
	w->masha = kt_h_user(h, "masha", MANAGER, w->north, 0);
	w->vera = kt_h_user(h, "vera", MANAGER, w->south, 0);
	w->galina = kt_h_user(h, "galina", HEAD, w->north, 3);
	w->owner = kt_h_session(h, h->owner, 0);
	w->m = kt_h_session(h, w->masha, w->north);
	w->v = kt_h_session(h, w->vera, w->south);
	w->g = kt_h_session(h, w->galina, w->north);
}

/* ---- requests ------------------------------------------------------------------ */

typedef struct req {
	Kartoteka__Request r;
	union {
		Kartoteka__ClientAddRequest add;
		Kartoteka__ClientEditRequest edit;
		Kartoteka__ClientPurgeRequest purge;
		Kartoteka__ClientHistoryRequest hist;
		Kartoteka__ClientVersionRequest ver;
		Kartoteka__ClientRevertRequest rev;
	} u;
	Kartoteka__Client c;
	Kartoteka__Person p;
	Kartoteka__Person *pp[1];
	char *phones[1];
	char *fields[1];
} req_t;

/* A card titled title with Anna and her phone (none when NULL). */
static Kartoteka__Client *
card(req_t *q, const char *title, const char *phone)
{
	kartoteka__client__init(&q->c);
	kartoteka__person__init(&q->p);
	q->c.title = (char *)title;
	q->p.name = "Anna";
	q->phones[0] = (char *)phone;
	q->p.phones = q->phones;
	q->p.n_phones = phone != NULL;
	q->pp[0] = &q->p;
	q->c.people = q->pp;
	q->c.n_people = 1;
	return &q->c;
}

static Kartoteka__Request *
add(req_t *q, const char *title, const char *phone)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_add_request__init(&q->u.add);
	q->u.add.client = card(q, title, phone);
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_ADD;
	q->r.client_add = &q->u.add;
	return &q->r;
}

/* An edit of field: "title" (to text), "notes" (to text) or "people"
 * (emptied: the wipe). */
static Kartoteka__Request *
edit(req_t *q, uint64_t id, uint64_t version, const char *field,
    const char *text)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_edit_request__init(&q->u.edit);
	q->u.edit.id = id;
	q->u.edit.version = version;
	q->fields[0] = (char *)field;
	q->u.edit.fields = q->fields;
	q->u.edit.n_fields = 1;
	q->u.edit.client = card(q, text, NULL);
	q->c.notes = (char *)text;
	if (strcmp(field, "people") == 0)
		q->c.n_people = 0;
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_EDIT;
	q->r.client_edit = &q->u.edit;
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
history(req_t *q, uint64_t id, const ProtobufCBinaryData *cursor,
    uint32_t limit)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_history_request__init(&q->u.hist);
	q->u.hist.id = id;
	if (cursor != NULL)
		q->u.hist.cursor = *cursor;
	q->u.hist.limit = limit;
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_HISTORY;
	q->r.client_history = &q->u.hist;
	return &q->r;
}

static Kartoteka__Request *
version(req_t *q, uint64_t id, uint64_t v)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_version_request__init(&q->u.ver);
	q->u.ver.id = id;
	q->u.ver.version = v;
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_VERSION;
	q->r.client_version = &q->u.ver;
	return &q->r;
}

static Kartoteka__Request *
revert(req_t *q, uint64_t id, uint64_t to, uint64_t current)
{
	kartoteka__request__init(&q->r);
	kartoteka__client_revert_request__init(&q->u.rev);
	q->u.rev.id = id;
	q->u.rev.to_version = to;
	q->u.rev.version = current;
	q->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_REVERT;
	q->r.client_revert = &q->u.rev;
	return &q->r;
}

static uint64_t
add_ok(kt_h_t *h, kt_conn_t *c, const char *title, const char *phone)
{
	Kartoteka__Response *r;
	req_t q;

	r = kt_h_call(h, c, add(&q, title, phone));
	kt_h_expect_ok(r);
	return r->client->client->id;
}

static void
edit_ok(kt_h_t *h, kt_conn_t *c, uint64_t id, uint64_t v, const char *field,
    const char *text)
{
	req_t q;

	kt_h_expect_ok(kt_h_call(h, c, edit(&q, id, v, field, text)));
}

/* The change of field in version cv, or NULL. */
static const Kartoteka__FieldChange *
change(const Kartoteka__ClientVersion *cv, const char *field)
{
	for (size_t i = 0; i < cv->n_changes; i++)
		if (strcmp(cv->changes[i]->field, field) == 0)
			return cv->changes[i];
	return NULL;
}

static kt_h_entry_t
expect_entry(kt_h_t *h, const char *action, uint64_t id, uint64_t user,
    uint32_t outcome)
{
	kt_h_entry_t e = kt_h_audit_last(h);
	char object[48];

	snprintf(object, sizeof(object), "client:%" PRIu64, id);
	assert_string_equal(e.action, action);
	assert_string_equal(e.object, object);
	assert_true(e.user == user);
	assert_int_equal(e.outcome, outcome);
	return e;
}

/* ---- history --------------------------------------------------------------------- */

static void
history_shows_changes_old_and_new(void **state)
{
	world_t w;
	const Kartoteka__ClientHistoryResponse *hr;
	const Kartoteka__FieldChange *fc;
	Kartoteka__Response *r;
	kt_h_entry_t e;
	uint64_t id;
	size_t n;
	req_t q;

	(void)state;
	world_new(&w);
	id = add_ok(w.h, w.m, "Ивановы", PHONE);
	edit_ok(w.h, w.m, id, 1, "title", "Петровы");
	kt_h_watch_audit(w.h, w.g);
	n = kt_fake_conn_nsent(w.g);
	r = kt_h_call(w.h, w.g, history(&q, id, NULL, 0));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case,
	    KARTOTEKA__RESPONSE__RESULT_CLIENT_HISTORY);
	hr = r->client_history;
	assert_int_equal(hr->n_versions, 2);
	assert_int_equal(hr->next_cursor.len, 0);
	/* Newest first: the edit, against the version before it. */
	assert_true(hr->versions[0]->version == 2);
	assert_string_equal(hr->versions[0]->action, "client.edit");
	assert_string_equal(hr->versions[0]->user, "masha");
	assert_true(hr->versions[0]->terminal[0] != '\0');
	assert_true(hr->versions[0]->time > 0);
	assert_int_equal(hr->versions[0]->n_changes, 1);
	fc = change(hr->versions[0], "title");
	assert_non_null(fc);
	assert_string_equal(fc->old_value, "Ивановы");
	assert_string_equal(fc->new_value, "Петровы");
	/* The first version: what the card was created with, contacts in
	 * full (this is a full view). */
	assert_true(hr->versions[1]->version == 1);
	assert_string_equal(hr->versions[1]->action, "client.add");
	fc = change(hr->versions[1], "people");
	assert_non_null(fc);
	assert_string_equal(fc->old_value, "");
	assert_string_equal(fc->new_value, "Anna " PHONE);
	fc = change(hr->versions[1], "manager");
	assert_non_null(fc);
	assert_string_equal(fc->new_value, "masha");
	assert_null(change(hr->versions[1], "archived"));
	/* Answered only after its entry, counted as a view. */
	e = kt_h_audit_when_sent(w.h, w.g, n);
	assert_string_equal(e.action, "client.history");
	assert_string_equal(e.detail, "versions=2 views today 1 of 3");
	expect_entry(w.h, "client.history", id, w.galina, 0);
	kt_h_free(w.h);
}

static void
history_counts_as_a_full_view(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	kt_h_entry_t e;
	uint64_t id;
	req_t q;

	(void)state;
	world_new(&w);
	id = add_ok(w.h, w.m, "Ивановы", PHONE);
	for (unsigned i = 0; i < 2; i++)
		kt_h_expect_ok(kt_h_call(w.h, w.g, history(&q, id, NULL, 0)));
	kt_h_expect_ok(kt_h_call(w.h, w.g, version(&q, id, 1)));
	/* Galina's quota of 3 is spent by two histories and a version. */
	r = kt_h_call(w.h, w.g, history(&q, id, NULL, 0));
	kt_h_expect_error(r, E_QUOTA, "daily quota of 3 full cards used up; "
	    "the owner can raise it (kartoteka user change galina --quota N)");
	e = expect_entry(w.h, "client.history", id, w.galina, E_QUOTA);
	assert_non_null(strstr(e.detail, "daily quota of 3"));
	r = kt_h_call(w.h, w.g, version(&q, id, 1));
	kt_h_expect_error(r, E_QUOTA, NULL);
	/* The owner: counted, never limited. */
	for (unsigned i = 0; i < 4; i++)
		kt_h_expect_ok(kt_h_call(w.h, w.owner,
		    history(&q, id, NULL, 0)));
	assert_string_equal(kt_h_audit_last(w.h).detail,
	    "versions=1 views today 4");
	kt_h_free(w.h);
}

static void
managers_refused_alike(void **state)
{
	world_t w;
	Kartoteka__Response *own, *none;
	uint64_t id;
	req_t q;

	(void)state;
	world_new(&w);
	id = add_ok(w.h, w.m, "Ивановы", PHONE);
	/* Her own card and one that does not exist: the same refusal,
	 * each audited. */
	own = kt_h_call(w.h, w.m, history(&q, id, NULL, 0));
	kt_h_expect_error(own, E_FORBIDDEN, NULL);
	assert_string_equal(kt_h_audit_last(w.h).action, "client.history");
	assert_int_equal(kt_h_audit_last(w.h).outcome, E_FORBIDDEN);
	none = kt_h_call(w.h, w.m, history(&q, id + 1000, NULL, 0));
	kt_h_expect_error(none, E_FORBIDDEN, own->error->message);
	own = kt_h_call(w.h, w.m, version(&q, id, 1));
	kt_h_expect_error(own, E_FORBIDDEN, NULL);
	assert_string_equal(kt_h_audit_last(w.h).action, "client.view");
	own = kt_h_call(w.h, w.m, revert(&q, id, 1, 1));
	kt_h_expect_error(own, E_FORBIDDEN, NULL);
	assert_string_equal(kt_h_audit_last(w.h).action, "client.revert");
	assert_int_equal(kt_h_audit_last(w.h).outcome, E_FORBIDDEN);
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
	uint64_t south, missing, audit;
	char a[160], b[160];
	req_t q;

	(void)state;
	world_new(&w);
	south = add_ok(w.h, w.v, "Южные", PHONE);
	missing = south + 1000;
	audit = kt_h_audit_count(w.h);
	for (unsigned op = 0; op < 3; op++) {
		Kartoteka__Response *hid, *none;
		Kartoteka__Request *rq;
		rq = op == 0 ? history(&q, south, NULL, 0) :
		    op == 1 ? version(&q, south, 1) : revert(&q, south, 1, 1);
		hid = kt_h_call(w.h, w.g, rq);
		rq = op == 0 ? history(&q, missing, NULL, 0) :
		    op == 1 ? version(&q, missing, 1) :
		    revert(&q, missing, 1, 1);
		none = kt_h_call(w.h, w.g, rq);
		kt_h_expect_error(hid, E_NOTFOUND, NULL);
		kt_h_expect_error(none, E_NOTFOUND, NULL);
		shape(hid->error->message, a, sizeof(a));
		shape(none->error->message, b, sizeof(b));
		assert_string_equal(a, b);
		assert_int_equal(hid->result_case, none->result_case);
	}
	/* No write either: an audit entry or a count would tell. */
	assert_true(kt_h_audit_count(w.h) == audit);
	kt_h_free(w.h);
}

/* Walks every page of id's history on c with limit; *n versions seen,
 * their numbers in seen[] (newest first). Returns the pages. */
static unsigned
walk(kt_h_t *h, kt_conn_t *c, uint64_t id, uint32_t limit, uint64_t *seen,
    size_t cap, size_t *n)
{
	ProtobufCBinaryData cur = { 0, NULL };
	uint8_t buf[64];
	unsigned pages = 0;
	req_t q;

	*n = 0;
	for (;;) {
		Kartoteka__Response *r = kt_h_call(h, c, history(&q, id,
		    cur.len ? &cur : NULL, limit));
		const Kartoteka__ClientHistoryResponse *hr;
		kt_h_expect_ok(r);
		hr = r->client_history;
		pages++;
		assert_true(hr->n_versions > 0);
		for (size_t i = 0; i < hr->n_versions; i++) {
			assert_true(*n < cap);
			seen[(*n)++] = hr->versions[i]->version;
		}
		if (hr->next_cursor.len == 0)
			break;
		assert_true(hr->next_cursor.len <= sizeof(buf));
		memcpy(buf, hr->next_cursor.data, hr->next_cursor.len);
		cur.data = buf;
		cur.len = hr->next_cursor.len;
		assert_true(pages < 100);
	}
	return pages;
}

static void
pages_by_cursor_and_size(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	uint64_t id, other, seen[64];
	uint8_t bad[17];
	ProtobufCBinaryData cur;
	char *big;
	size_t n;
	req_t q;

	(void)state;
	world_new(&w);
	id = add_ok(w.h, w.m, "Ивановы", PHONE);
	other = add_ok(w.h, w.m, "Другие", NULL);
	for (uint64_t v = 1; v <= 6; v++)
		edit_ok(w.h, w.m, id, v, "title", v % 2 ? "Петровы" : "Ивановы");
	/* 7 versions, 2 a page: 4 pages, each version once, newest first. */
	assert_int_equal(walk(w.h, w.owner, id, 2, seen, 64, &n), 4);
	assert_int_equal(n, 7);
	for (size_t i = 0; i < n; i++)
		assert_true(seen[i] == 7 - i);
	/* Big notes: a page holds what an answer can carry, the rest
	 * follows. */
	big = malloc(7001);
	assert_non_null(big);
	for (uint64_t v = 7; v <= 20; v++) {
		memset(big, 'a' + (int)(v % 26), 7000);
		big[7000] = '\0';
		edit_ok(w.h, w.m, id, v, "notes", big);
	}
	free(big);
	r = kt_h_call(w.h, w.owner, history(&q, id, NULL, 100));
	kt_h_expect_ok(r);
	assert_true(r->client_history->n_versions < 21);
	assert_true(r->client_history->next_cursor.len > 0);
	assert_true(walk(w.h, w.owner, id, 100, seen, 64, &n) > 1);
	assert_int_equal(n, 21);
	for (size_t i = 0; i < n; i++)
		assert_true(seen[i] == 21 - i);
	/* A cursor of another card, a short one, garbage: BAD_REQUEST
	 * naming the cursor. */
	r = kt_h_call(w.h, w.owner, history(&q, id, NULL, 2));
	cur = r->client_history->next_cursor;
	assert_int_equal(cur.len, sizeof(bad));
	memcpy(bad, cur.data, sizeof(bad));
	cur.data = bad;
	r = kt_h_call(w.h, w.owner, history(&q, other, &cur, 2));
	kt_h_expect_error(r, E_BAD, NULL);
	assert_non_null(strstr(r->error->message, "cursor:"));
	cur.len = 5;
	kt_h_expect_error(kt_h_call(w.h, w.owner, history(&q, id, &cur, 2)),
	    E_BAD, NULL);
	memset(bad, 0xff, sizeof(bad));
	cur.len = sizeof(bad);
	kt_h_expect_error(kt_h_call(w.h, w.owner, history(&q, id, &cur, 2)),
	    E_BAD, NULL);
	kt_h_free(w.h);
}

/* 1 when s is well-formed UTF-8. */
static int
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 :
		    (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
		if (n == 0)
			return 0;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xC0) != 0x80)
				return 0;
		p += n;
	}
	return 1;
}

#define BIG_PEOPLE 20u

/* A card or an edit of its people: BIG_PEOPLE persons, each with a note
 * of 1000 times the two-byte letter letter (2000 bytes). */
typedef struct big {
	Kartoteka__Request r;
	Kartoteka__ClientAddRequest add;
	Kartoteka__ClientEditRequest edit;
	Kartoteka__Client c;
	Kartoteka__Person p[BIG_PEOPLE], *pp[BIG_PEOPLE];
	char note[2001];
	char *fields[1];
} big_t;

static Kartoteka__Request *
big_card(big_t *b, const char *letter, uint64_t id, uint64_t version)
{
	kartoteka__request__init(&b->r);
	kartoteka__client__init(&b->c);
	for (size_t i = 0; i < 1000; i++)
		memcpy(b->note + 2 * i, letter, 2);
	b->note[2000] = '\0';
	for (size_t i = 0; i < BIG_PEOPLE; i++) {
		kartoteka__person__init(&b->p[i]);
		b->p[i].name = "Anna";
		b->p[i].note = b->note;
		b->pp[i] = &b->p[i];
	}
	b->c.title = "Большие";
	b->c.people = b->pp;
	b->c.n_people = BIG_PEOPLE;
	if (id == 0) {
		kartoteka__client_add_request__init(&b->add);
		b->add.client = &b->c;
		b->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_ADD;
		b->r.client_add = &b->add;
	} else {
		kartoteka__client_edit_request__init(&b->edit);
		b->edit.id = id;
		b->edit.version = version;
		b->fields[0] = "people";
		b->edit.fields = b->fields;
		b->edit.n_fields = 1;
		b->edit.client = &b->c;
		b->r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_EDIT;
		b->r.client_edit = &b->edit;
	}
	return &b->r;
}

static void
version_too_big_for_an_answer_is_cut(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	const Kartoteka__FieldChange *fc;
	uint64_t id, seen[8];
	size_t n;
	big_t *b = calloc(1, sizeof(*b));
	req_t q;

	(void)state;
	assert_non_null(b);
	world_new(&w);
	r = kt_h_call(w.h, w.m, big_card(b, "я", 0, 0));
	kt_h_expect_ok(r);
	id = r->client->client->id;
	kt_h_expect_ok(kt_h_call(w.h, w.m, big_card(b, "ж", id, 1)));
	/* Version 2 alone is over what an answer carries (80 KB of old and
	 * new people): its values cut at a character, marked; version 1
	 * comes on the next page, whole. */
	r = kt_h_call(w.h, w.owner, history(&q, id, NULL, 100));
	kt_h_expect_ok(r);
	assert_int_equal(r->client_history->n_versions, 1);
	assert_true(r->client_history->next_cursor.len > 0);
	fc = change(r->client_history->versions[0], "people");
	assert_non_null(fc);
	assert_true(strlen(fc->old_value) < 40000);
	assert_non_null(strstr(fc->old_value, " [...]"));
	assert_non_null(strstr(fc->new_value, " [...]"));
	assert_true(utf8_ok(fc->old_value));
	assert_true(utf8_ok(fc->new_value));
	assert_int_equal(walk(w.h, w.owner, id, 100, seen, 8, &n), 2);
	assert_int_equal(n, 2);
	/* The whole version is one `client show --version` away. */
	r = kt_h_call(w.h, w.owner, version(&q, id, 2));
	kt_h_expect_ok(r);
	assert_int_equal(r->client->client->n_people, BIG_PEOPLE);
	assert_int_equal(strlen(r->client->client->people[0]->note), 2000);
	free(b);
	kt_h_free(w.h);
}

/* ---- one version ------------------------------------------------------------------ */

static void
version_is_a_full_card(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	kt_h_entry_t e;
	uint64_t id, audit;
	req_t q;

	(void)state;
	world_new(&w);
	id = add_ok(w.h, w.m, "Ивановы", PHONE);
	edit_ok(w.h, w.m, id, 1, "people", "");
	r = kt_h_call(w.h, w.g, version(&q, id, 1));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_CLIENT);
	assert_true(r->client->client->version == 1);
	assert_false(r->client->client->masked);
	assert_int_equal(r->client->client->n_people, 1);
	assert_string_equal(r->client->client->people[0]->phones[0], PHONE);
	e = expect_entry(w.h, "client.view", id, w.galina, 0);
	assert_string_equal(e.detail, "version 1 views today 1 of 3");
	/* A version that does not exist: named, nothing counted. */
	audit = kt_h_audit_count(w.h);
	r = kt_h_call(w.h, w.g, version(&q, id, 9));
	kt_h_expect_error(r, E_NOTFOUND, NULL);
	assert_non_null(strstr(r->error->message, "no version 9"));
	assert_true(kt_h_audit_count(w.h) == audit);
	r = kt_h_call(w.h, w.g, version(&q, id, 0));
	kt_h_expect_error(r, E_BAD, NULL);
	assert_non_null(strstr(r->error->message, "version:"));
	kt_h_free(w.h);
}

/* ---- revert ------------------------------------------------------------------------- */

static void
revert_restores_a_wiped_card(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	const Kartoteka__ClientVersion *top;
	const Kartoteka__FieldChange *fc;
	kt_h_entry_t e;
	uint64_t id;
	req_t q;

	(void)state;
	world_new(&w);
	id = add_ok(w.h, w.m, "Ивановы", PHONE);
	edit_ok(w.h, w.m, id, 1, "title", "Ивановы-Петровы");
	edit_ok(w.h, w.m, id, 2, "people", "");      /* the wipe: v3 */
	/* Against the version read: stale, the current one, a later one,
	 * none at all. */
	r = kt_h_call(w.h, w.g, revert(&q, id, 2, 2));
	kt_h_expect_error(r, E_CONFLICT, NULL);
	assert_non_null(strstr(r->error->message, "current version is 3"));
	r = kt_h_call(w.h, w.g, revert(&q, id, 3, 3));
	kt_h_expect_error(r, E_BAD, NULL);
	assert_non_null(strstr(r->error->message, "to_version:"));
	kt_h_expect_error(kt_h_call(w.h, w.g, revert(&q, id, 0, 3)), E_BAD,
	    NULL);
	kt_h_expect_error(kt_h_call(w.h, w.g, revert(&q, id, 2, 0)), E_BAD,
	    NULL);
	/* Version 2: the people back, the later title kept as in v2. */
	r = kt_h_call(w.h, w.g, revert(&q, id, 2, 3));
	kt_h_expect_ok(r);
	assert_true(r->client->client->version == 4);
	assert_true(r->client->client->masked);
	assert_int_equal(r->client->client->n_people, 1);
	assert_string_equal(r->client->client->title, "Ивановы-Петровы");
	assert_string_equal(r->client->client->manager, "masha");
	e = expect_entry(w.h, "client.revert", id, w.galina, 0);
	assert_string_equal(e.detail, "to version 2: people");
	/* In the history as its own version. */
	r = kt_h_call(w.h, w.owner, history(&q, id, NULL, 1));
	kt_h_expect_ok(r);
	top = r->client_history->versions[0];
	assert_true(top->version == 4);
	assert_string_equal(top->action, "client.revert");
	assert_string_equal(top->user, "galina");
	fc = change(top, "people");
	assert_non_null(fc);
	assert_string_equal(fc->old_value, "");
	assert_string_equal(fc->new_value, "Anna " PHONE);
	/* And the card itself: the phone is found again. */
	r = kt_h_call(w.h, w.owner, version(&q, id, 4));
	kt_h_expect_ok(r);
	assert_string_equal(r->client->client->people[0]->phones[0], PHONE);
	/* Reverting to the wiped version is itself a destructive edit. */
	kt_h_expect_ok(kt_h_call(w.h, w.g, revert(&q, id, 3, 4)));
	e = expect_entry(w.h, "client.revert", id, w.galina, 0);
	assert_string_equal(e.detail, "to version 3: people removed people "
	    "or contacts");
	kt_h_free(w.h);
}

static void
purge_drops_the_history(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	uint64_t id;
	req_t q;

	(void)state;
	world_new(&w);
	id = add_ok(w.h, w.m, "Ивановы", PHONE);
	edit_ok(w.h, w.m, id, 1, "title", "Петровы");
	kt_h_expect_ok(kt_h_call(w.h, w.owner, purge(&q, id)));
	r = kt_h_call(w.h, w.owner, history(&q, id, NULL, 0));
	kt_h_expect_error(r, E_NOTFOUND, NULL);
	r = kt_h_call(w.h, w.owner, version(&q, id, 1));
	kt_h_expect_error(r, E_NOTFOUND, NULL);
	r = kt_h_call(w.h, w.g, history(&q, id, NULL, 0));
	kt_h_expect_error(r, E_NOTFOUND, NULL);
	kt_h_free(w.h);
}

/* ---- a card from before history (schema 2) ------------------------------------------ */

/* As the schema 3 migration leaves a card: its current version is its
 * only one, written as "history.start". */
static int
restart_history(kt_store_t *st, MDB_txn *txn, void *arg)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	uint64_t id = *(uint64_t *)arg;
	Ktstore__ClientRecord *rec = NULL;
	kt_chist_who_t who = { .time = 1, .user = 0, .terminal = NULL,
		.action = "history.start", .fields = 0 };
	int rc;

	if ((rc = kt_cstore_get(txn, db, id, &rec)) != 0)
		return rc;
	if ((rc = kt_chist_drop(txn, db, id, NULL)) == 0)
		rc = kt_chist_put(txn, db, rec, &who);
	ktstore__client_record__free_unpacked(rec, NULL);
	return rc;
}

static void
history_start_has_no_previous(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	const Kartoteka__ClientVersion *v;
	uint64_t id;
	req_t q;

	(void)state;
	world_new(&w);
	id = add_ok(w.h, w.m, "Ивановы", PHONE);
	for (uint64_t n = 1; n <= 4; n++)
		edit_ok(w.h, w.m, id, n, "title", n % 2 ? "Петровы" : "Ивановы");
	assert_int_equal(kt_h_write(w.h, restart_history, &id), 0);
	r = kt_h_call(w.h, w.owner, history(&q, id, NULL, 0));
	kt_h_expect_ok(r);
	assert_int_equal(r->client_history->n_versions, 1);
	v = r->client_history->versions[0];
	assert_true(v->version == 5);
	assert_string_equal(v->action, "history.start");
	assert_string_equal(v->user, "");
	assert_string_equal(v->terminal, "");
	assert_non_null(change(v, "people"));
	assert_string_equal(change(v, "title")->new_value, "Ивановы");
	/* Nothing older to go back to. */
	r = kt_h_call(w.h, w.owner, revert(&q, id, 2, 5));
	kt_h_expect_error(r, E_NOTFOUND, NULL);
	assert_non_null(strstr(r->error->message, "has no version 2"));
	kt_h_free(w.h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(history_shows_changes_old_and_new),
	cmocka_unit_test(history_counts_as_a_full_view),
	cmocka_unit_test(managers_refused_alike),
	cmocka_unit_test(other_branch_not_found_like_missing),
	cmocka_unit_test(pages_by_cursor_and_size),
	cmocka_unit_test(version_too_big_for_an_answer_is_cut),
	cmocka_unit_test(version_is_a_full_card),
	cmocka_unit_test(revert_restores_a_wiped_card),
	cmocka_unit_test(purge_drops_the_history),
	cmocka_unit_test(history_start_has_no_previous),
};

KT_TEST_MAIN(tests)
