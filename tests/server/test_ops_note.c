/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/note.c through kt_dispatch_message on the fake
 * network: entries logged and listed newest first, paged by cursor; the
 * audit entry names ids, the channel and the correction, never the text;
 * a client of another branch answers exactly like a missing one, for both
 * ops, without a write; a correction must name an entry of the same
 * client, with one answer for an entry elsewhere and none at all; every
 * field checked; a list that shows entries counts its client as one row
 * of the day (and is refused past the row quota); the full card carries
 * the three newest entries; a purged client has none. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_test.h"

#include "model/identity.h"
#include "server/harness.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_NOTFOUND KARTOTEKA__ERROR__CODE__NOT_FOUND
#define E_QUOTA KARTOTEKA__ERROR__CODE__QUOTA_EXCEEDED
#define MANAGER KARTOTEKA__ROLE__MANAGER
#define CALL KARTOTEKA__CHANNEL__CALL
#define VISIT KARTOTEKA__CHANNEL__VISIT

/* ---- the world of these tests ---------------------------------------------- */

typedef struct world {
	kt_h_t *h;
	uint64_t north, south;            /* branches */
	uint64_t masha, vera;             /* managers of North and South */
	kt_conn_t *owner, *m, *v;         /* their logged-in connections */
} world_t;

static void
world_new(world_t *w)
{
	kt_h_t *h = w->h = kt_h_new();

	w->north = kt_h_branch(h, "North");
	w->south = kt_h_branch(h, "South");
	w->masha = kt_h_user(h, "masha", MANAGER, w->north, 0);
	w->vera = kt_h_user(h, "vera", MANAGER, w->south, 0);
	w->owner = kt_h_session(h, h->owner, 0);
	w->m = kt_h_session(h, w->masha, w->north);
	w->v = kt_h_session(h, w->vera, w->south);
}

/* ---- requests ------------------------------------------------------------------ */

typedef struct req {
	Kartoteka__Request r;
	union {
		Kartoteka__ClientAddRequest add;
		Kartoteka__ClientShowRequest show;
		Kartoteka__ClientPurgeRequest purge;
		Kartoteka__ClientArchiveRequest archive;
		Kartoteka__ClientMergeRequest merge;
		Kartoteka__UserChangeRequest change;
		Kartoteka__UserRestrictRequest restr;
		Kartoteka__NoteAddRequest note;
		Kartoteka__NoteListRequest list;
	} u;
	Kartoteka__Client c;
	char *fields[1];
} req_t;

static Kartoteka__Request *
note(req_t *q, uint64_t client, const char *topic)
{
	kartoteka__request__init(&q->r);
	kartoteka__note_add_request__init(&q->u.note);
	q->u.note.client_id = client;
	q->u.note.channel = CALL;
	q->u.note.topic = (char *)topic;
	q->r.op_case = KARTOTEKA__REQUEST__OP_NOTE_ADD;
	q->r.note_add = &q->u.note;
	return &q->r;
}

static Kartoteka__Request *
list(req_t *q, uint64_t client, const ProtobufCBinaryData *cursor,
    uint32_t limit)
{
	kartoteka__request__init(&q->r);
	kartoteka__note_list_request__init(&q->u.list);
	q->u.list.client_id = client;
	if (cursor != NULL)
		q->u.list.cursor = *cursor;
	q->u.list.limit = limit;
	q->r.op_case = KARTOTEKA__REQUEST__OP_NOTE_LIST;
	q->r.note_list = &q->u.list;
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

/* Logs a call about topic with client on c; the entry's id. */
static uint64_t
note_ok(kt_h_t *h, kt_conn_t *c, uint64_t client, const char *topic,
    int64_t at)
{
	Kartoteka__Response *r;
	req_t q;

	note(&q, client, topic);
	q.u.note.at = at;
	r = kt_h_call(h, c, &q.r);
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_NOTE);
	return r->note->note->id;
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

/* ---- the tests ------------------------------------------------------------------ */

static void
add_answers_the_entry_and_audits_no_text(void **state)
{
	world_t w;
	const Kartoteka__Interaction *it;
	Kartoteka__Response *r;
	kt_h_entry_t e;
	uint64_t id, first;
	size_t sent;
	req_t q;

	(void)state;
	world_new(&w);
	id = kt_h_client_titled(w.h, w.m, "Ивановы");
	note(&q, id, "Пробное занятие\r\nв субботу");
	q.u.note.direction = KARTOTEKA__DIRECTION__OUTBOUND;
	q.u.note.agreed = "Придут к 10:00";
	kt_h_watch_audit(w.h, w.m);
	sent = kt_fake_conn_nsent(w.m);
	r = kt_h_call(w.h, w.m, &q.r);
	kt_h_expect_ok(r);
	/* Answered only once its entry is committed. */
	assert_string_equal(kt_h_audit_when_sent(w.h, w.m, sent).action,
	    "note.add");
	it = r->note->note;
	first = it->id;
	assert_true(it->client_id == id);
	assert_string_equal(it->author, "masha");
	assert_int_equal(it->channel, CALL);
	assert_int_equal(it->direction, KARTOTEKA__DIRECTION__OUTBOUND);
	assert_string_equal(it->topic, "Пробное занятие\nв субботу");
	assert_string_equal(it->agreed, "Придут к 10:00");
	assert_true(it->at > 0 && it->at == it->recorded_at);
	e = expect_entry(w.h, "note.add", id, w.masha, 0);
	assert_null(strstr(e.detail, "Пробное"));
	assert_null(strstr(e.detail, "10:00"));
	assert_non_null(strstr(e.detail, "channel call direction out"));
	/* A correction: named in the detail and on the corrected entry. */
	note(&q, id, "Не в субботу, в воскресенье");
	q.u.note.corrects = first;
	q.u.note.channel = VISIT;
	r = kt_h_call(w.h, w.m, &q.r);
	kt_h_expect_ok(r);
	assert_true(r->note->note->corrects == first);
	e = expect_entry(w.h, "note.add", id, w.masha, 0);
	assert_non_null(strstr(e.detail, "channel visit"));
	char want[40];
	snprintf(want, sizeof(want), "corrects %" PRIu64, first);
	assert_non_null(strstr(e.detail, want));
	r = kt_h_call(w.h, w.m, list(&q, id, NULL, 0));
	kt_h_expect_ok(r);
	assert_int_equal(r->note_list->n_notes, 2);
	assert_true(r->note_list->notes[1]->id == first);
	assert_true(r->note_list->notes[1]->corrected_by ==
	    r->note_list->notes[0]->id);
	kt_h_free(w.h);
}

static void
list_newest_first_paged(void **state)
{
	world_t w;
	ProtobufCBinaryData cur = { 0, NULL };
	uint8_t keep[64];
	uint64_t id, other, ids[7], seen[7];
	int64_t now = kt_now_s();
	size_t n = 0;
	unsigned pages = 0;
	req_t q;

	(void)state;
	world_new(&w);
	id = kt_h_client_titled(w.h, w.m, "Ивановы");
	other = kt_h_client_titled(w.h, w.m, "Петровы");
	/* Logged out of order: the list is by the time they happened. */
	for (int i = 0; i < 7; i++)
		ids[i] = note_ok(w.h, w.m, id, "звонок",
		    now - 3600 * ((i * 3) % 7));
	note_ok(w.h, w.m, other, "чужой", now);
	for (;;) {
		Kartoteka__Response *r = kt_h_call(w.h, w.m,
		    list(&q, id, cur.len ? &cur : NULL, 3));
		const Kartoteka__NoteListResponse *lr;
		kt_h_expect_ok(r);
		lr = r->note_list;
		pages++;
		for (size_t i = 0; i < lr->n_notes; i++) {
			assert_true(n < 7);
			assert_true(lr->notes[i]->client_id == id);
			seen[n++] = lr->notes[i]->id;
		}
		if (lr->next_cursor.len == 0)
			break;
		assert_true(lr->next_cursor.len <= sizeof(keep));
		memcpy(keep, lr->next_cursor.data, lr->next_cursor.len);
		cur.data = keep;
		cur.len = lr->next_cursor.len;
	}
	assert_int_equal(pages, 3);
	assert_int_equal(n, 7);
	/* Newest first: i = 0 happened now, then i = 5 (1 h ago), 3, 1 ... */
	assert_true(seen[0] == ids[0]);
	assert_true(seen[1] == ids[5]);
	assert_true(seen[6] == ids[2]);
	/* The cursor of one client does not walk another. */
	{
		Kartoteka__Response *r = kt_h_call(w.h, w.m,
		    list(&q, other, &cur, 3));
		kt_h_expect_error(r, E_BAD, NULL);
		assert_non_null(strstr(r->error->message, "cursor:"));
	}
	kt_h_free(w.h);
}

static void
other_branch_like_missing(void **state)
{
	world_t w;
	uint64_t south, missing, audit;
	char a[160], b[160];
	req_t q;

	(void)state;
	world_new(&w);
	south = kt_h_client_titled(w.h, w.v, "Южные");
	note_ok(w.h, w.v, south, "звонок", 0);
	missing = south + 1000;
	audit = kt_h_audit_count(w.h);
	for (unsigned op = 0; op < 2; op++) {
		Kartoteka__Response *hid, *none;
		hid = kt_h_call(w.h, w.m, op == 0 ? note(&q, south, "x") :
		    list(&q, south, NULL, 0));
		none = kt_h_call(w.h, w.m, op == 0 ? note(&q, missing, "x") :
		    list(&q, missing, NULL, 0));
		kt_h_expect_error(hid, E_NOTFOUND, NULL);
		kt_h_expect_error(none, E_NOTFOUND, NULL);
		shape(hid->error->message, a, sizeof(a));
		shape(none->error->message, b, sizeof(b));
		assert_string_equal(a, b);
		assert_string_equal(a, "no client #");
	}
	/* No write either: an audit entry or a count would tell. */
	assert_true(kt_h_audit_count(w.h) == audit);
	kt_h_free(w.h);
}

static void
corrections_stay_with_their_client(void **state)
{
	world_t w;
	uint64_t a, b, south, na, nb, ns;
	Kartoteka__Response *r;
	char s1[160], s2[160], s3[160];
	req_t q;

	(void)state;
	world_new(&w);
	a = kt_h_client_titled(w.h, w.m, "Ивановы");
	b = kt_h_client_titled(w.h, w.m, "Петровы");
	south = kt_h_client_titled(w.h, w.v, "Южные");
	na = note_ok(w.h, w.m, a, "звонок", 0);
	nb = note_ok(w.h, w.m, b, "звонок", 0);
	ns = note_ok(w.h, w.v, south, "звонок", 0);
	(void)na;
	/* Another visible client's entry, an invisible client's, none. */
	note(&q, a, "исправление");
	q.u.note.corrects = nb;
	r = kt_h_call(w.h, w.m, &q.r);
	kt_h_expect_error(r, E_BAD, NULL);
	shape(r->error->message, s1, sizeof(s1));
	note(&q, a, "исправление");
	q.u.note.corrects = ns;
	r = kt_h_call(w.h, w.m, &q.r);
	kt_h_expect_error(r, E_BAD, NULL);
	shape(r->error->message, s2, sizeof(s2));
	note(&q, a, "исправление");
	q.u.note.corrects = ns + 1000;
	r = kt_h_call(w.h, w.m, &q.r);
	kt_h_expect_error(r, E_BAD, NULL);
	shape(r->error->message, s3, sizeof(s3));
	assert_string_equal(s1, "corrects: no entry # of client #");
	assert_string_equal(s1, s2);
	assert_string_equal(s1, s3);
	kt_h_free(w.h);
}

static void
fields_checked(void **state)
{
	static const struct {
		int channel, direction;
		const char *topic, *agreed;
		int64_t at_offset;         /* from now; 1 = at 1999-12-31 */
		const char *msg;
	} cases[] = {
		{ 0, 0, "t", "", 0, "channel: is missing (call, meeting, "
		    "email, message or visit)" },
		{ 9, 0, "t", "", 0, "channel: 9 is not a known channel" },
		{ 1, 7, "t", "", 0, "direction: 7 is not a known direction" },
		{ 1, 0, "", "", 0, "topic: is empty" },
		{ 1, 0, "  \n\t ", "", 0, "topic: is only blanks" },
		{ 1, 0, "a\x01" "b", "", 0, "topic: contains control "
		    "characters or invalid UTF-8" },
		/* Refused by the decoder already. */
		{ 1, 0, "a\xff", "", 0, "topic: is not valid UTF-8 text" },
		{ 1, 0, "t", "x\x7f", 0, "agreed: contains control "
		    "characters or invalid UTF-8" },
		{ 1, 0, "t", "", 3600, "at: is in the future (more than 10 "
		    "minutes ahead of the server's clock)" },
		{ 1, 0, "t", "", 1, "at: is before 2000-01-01" },
	};
	world_t w;
	char topic[2 * 501 + 1], agreed[1002];
	uint64_t id, audit;
	req_t q;

	(void)state;
	world_new(&w);
	id = kt_h_client_titled(w.h, w.m, "Ивановы");
	audit = kt_h_audit_count(w.h);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		note(&q, id, cases[i].topic);
		q.u.note.channel = (Kartoteka__Channel)cases[i].channel;
		q.u.note.direction = (Kartoteka__Direction)cases[i].direction;
		q.u.note.agreed = (char *)cases[i].agreed;
		if (cases[i].at_offset == 1)
			q.u.note.at = 946684799;
		else if (cases[i].at_offset)
			q.u.note.at = kt_now_s() + cases[i].at_offset;
		kt_h_expect_error(kt_h_call(w.h, w.m, &q.r), E_BAD,
		    cases[i].msg);
	}
	/* 500 characters (two bytes each) are fine, 501 are not. */
	for (size_t i = 0; i < 501; i++)
		memcpy(topic + 2 * i, "ж", 2);
	topic[2 * 501] = '\0';
	kt_h_expect_error(kt_h_call(w.h, w.m, note(&q, id, topic)), E_BAD,
	    "topic: is longer than 500 characters");
	{
		/* More bytes than any 500 characters take: the same answer. */
		char big[3000];
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		kt_h_expect_error(kt_h_call(w.h, w.m, note(&q, id, big)),
		    E_BAD, "topic: is longer than 500 characters");
	}
	memset(agreed, 'a', 1001);
	agreed[1001] = '\0';
	note(&q, id, "t");
	q.u.note.agreed = agreed;
	kt_h_expect_error(kt_h_call(w.h, w.m, &q.r), E_BAD,
	    "agreed: is longer than 1000 characters");
	kt_h_expect_error(kt_h_call(w.h, w.m, note(&q, 0, "t")), E_BAD,
	    "client_id: is missing");
	assert_true(kt_h_audit_count(w.h) == audit);
	topic[2 * 500] = '\0';
	agreed[1000] = '\0';
	note(&q, id, topic);
	q.u.note.agreed = agreed;
	kt_h_expect_ok(kt_h_call(w.h, w.m, &q.r));
	kt_h_free(w.h);
}

static void
list_counts_its_client_once_a_day(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	kt_h_entry_t e;
	uint64_t a, b, empty;
	req_t q;

	(void)state;
	world_new(&w);
	a = kt_h_client_titled(w.h, w.m, "Ивановы");
	b = kt_h_client_titled(w.h, w.m, "Петровы");
	empty = kt_h_client_titled(w.h, w.m, "Сидоровы");
	note_ok(w.h, w.m, a, "звонок", 0);
	note_ok(w.h, w.m, b, "звонок", 0);
	kt_h_expect_ok(kt_h_call(w.h, w.m, list(&q, a, NULL, 0)));
	e = expect_entry(w.h, "note.list", a, w.masha, 0);
	assert_non_null(strstr(e.detail, "entries=1 new=1 today=1"));
	kt_h_expect_ok(kt_h_call(w.h, w.m, list(&q, a, NULL, 0)));
	e = expect_entry(w.h, "note.list", a, w.masha, 0);
	assert_non_null(strstr(e.detail, "entries=1 new=0 today=1"));
	/* An empty log shows nothing and costs nothing. */
	kt_h_expect_ok(kt_h_call(w.h, w.m, list(&q, empty, NULL, 0)));
	e = expect_entry(w.h, "note.list", empty, w.masha, 0);
	assert_string_equal(e.detail, "entries=0");
	/* With a row quota of 1, the next client is refused, audited. */
	kartoteka__request__init(&q.r);
	kartoteka__user_change_request__init(&q.u.change);
	q.u.change.login = "masha";
	q.fields[0] = "daily_row_quota";
	q.u.change.fields = q.fields;
	q.u.change.n_fields = 1;
	q.u.change.daily_row_quota = 1;
	q.r.op_case = KARTOTEKA__REQUEST__OP_USER_CHANGE;
	q.r.user_change = &q.u.change;
	kt_h_expect_ok(kt_h_call(w.h, w.owner, &q.r));
	r = kt_h_call(w.h, w.m, list(&q, b, NULL, 0));
	kt_h_expect_error(r, E_QUOTA, NULL);
	assert_int_equal(r->result_case, 0);
	expect_entry(w.h, "note.list", b, w.masha, E_QUOTA);
	/* The client already shown today still costs nothing. */
	kt_h_expect_ok(kt_h_call(w.h, w.m, list(&q, a, NULL, 0)));
	kt_h_free(w.h);
}

static void
card_shows_three_newest(void **state)
{
	world_t w;
	const Kartoteka__ClientResponse *cr;
	Kartoteka__Response *r;
	uint64_t id, ids[5];
	int64_t now = kt_now_s();
	req_t q;

	(void)state;
	world_new(&w);
	id = kt_h_client_titled(w.h, w.m, "Ивановы");
	r = kt_h_call(w.h, w.m, show(&q, id));
	kt_h_expect_ok(r);
	assert_int_equal(r->client->n_recent, 0);
	for (int i = 0; i < 5; i++)
		ids[i] = note_ok(w.h, w.m, id, "звонок", now - 600 + i * 60);
	r = kt_h_call(w.h, w.m, show(&q, id));
	kt_h_expect_ok(r);
	cr = r->client;
	assert_int_equal(cr->n_recent, 3);
	assert_true(cr->recent[0]->id == ids[4]);
	assert_true(cr->recent[1]->id == ids[3]);
	assert_true(cr->recent[2]->id == ids[2]);
	assert_string_equal(cr->recent[0]->author, "masha");
	kt_h_free(w.h);
}

static void
purged_client_has_none(void **state)
{
	world_t w;
	uint64_t id;
	req_t q;

	(void)state;
	world_new(&w);
	id = kt_h_client_titled(w.h, w.m, "Ивановы");
	note_ok(w.h, w.m, id, "звонок", 0);
	kartoteka__request__init(&q.r);
	kartoteka__client_purge_request__init(&q.u.purge);
	q.u.purge.id = id;
	q.r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_PURGE;
	q.r.client_purge = &q.u.purge;
	kt_h_expect_ok(kt_h_call(w.h, w.owner, &q.r));
	assert_non_null(strstr(kt_h_audit_last(w.h).detail,
	    "interactions 1"));
	kt_h_expect_error(kt_h_call(w.h, w.owner, list(&q, id, NULL, 0)),
	    E_NOTFOUND, NULL);
	kt_h_expect_error(kt_h_call(w.h, w.owner, note(&q, id, "x")),
	    E_NOTFOUND, NULL);
	kt_h_free(w.h);
}

/* An archived client (one who left) may still be called: notes go on. */
static void
archived_client_still_gets_notes(void **state)
{
	world_t w;
	uint64_t id;
	req_t q;

	(void)state;
	world_new(&w);
	id = kt_h_client_titled(w.h, w.m, "Ивановы");
	kartoteka__request__init(&q.r);
	kartoteka__client_archive_request__init(&q.u.archive);
	q.u.archive.id = id;
	q.r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_ARCHIVE;
	q.r.client_archive = &q.u.archive;
	kt_h_expect_ok(kt_h_call(w.h, w.m, &q.r));
	note_ok(w.h, w.m, id, "Позвонили узнать, почему ушли", 0);
	kt_h_expect_ok(kt_h_call(w.h, w.m, list(&q, id, NULL, 0)));
	kt_h_free(w.h);
}

/* A card merged into another keeps no log of its own: its entries moved,
 * and new ones are sent to the card that stayed. */
static void
merged_card_sends_notes_on(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	uint64_t into, from;
	char want[120];
	req_t q;

	(void)state;
	world_new(&w);
	into = kt_h_client_titled(w.h, w.m, "Ивановы");
	from = kt_h_client_titled(w.h, w.m, "Ивановы (дубль)");
	note_ok(w.h, w.m, from, "звонок", 0);
	kartoteka__request__init(&q.r);
	kartoteka__client_merge_request__init(&q.u.merge);
	q.u.merge.into = into;
	q.u.merge.from = from;
	q.r.op_case = KARTOTEKA__REQUEST__OP_CLIENT_MERGE;
	q.r.client_merge = &q.u.merge;
	kt_h_expect_ok(kt_h_call(w.h, w.owner, &q.r));
	snprintf(want, sizeof(want), "client_id: client %" PRIu64 " was "
	    "merged into client %" PRIu64 ": log it there", from, into);
	kt_h_expect_error(kt_h_call(w.h, w.m, note(&q, from, "x")), E_BAD,
	    want);
	r = kt_h_call(w.h, w.m, list(&q, into, NULL, 0));
	kt_h_expect_ok(r);
	assert_int_equal(r->note_list->n_notes, 1);
	r = kt_h_call(w.h, w.m, list(&q, from, NULL, 0));
	kt_h_expect_ok(r);
	assert_int_equal(r->note_list->n_notes, 0);
	kt_h_free(w.h);
}

/* A user under notice keeps the masked lists, not the contact log: the
 * entries are free text, not masked rows. */
static void
restricted_user_loses_the_log(void **state)
{
	world_t w;
	uint64_t id;
	req_t q;

	(void)state;
	world_new(&w);
	id = kt_h_client_titled(w.h, w.m, "Ивановы");
	note_ok(w.h, w.m, id, "звонок", 0);
	kartoteka__request__init(&q.r);
	kartoteka__user_restrict_request__init(&q.u.restr);
	q.u.restr.login = "masha";
	q.r.op_case = KARTOTEKA__REQUEST__OP_USER_RESTRICT;
	q.r.user_restrict = &q.u.restr;
	kt_h_expect_ok(kt_h_call(w.h, w.owner, &q.r));
	kt_h_expect_error(kt_h_call(w.h, w.m, list(&q, id, NULL, 0)),
	    KARTOTEKA__ERROR__CODE__FORBIDDEN, NULL);
	assert_string_equal(kt_h_audit_last(w.h).action, "note.list");
	kt_h_expect_error(kt_h_call(w.h, w.m, note(&q, id, "x")),
	    KARTOTEKA__ERROR__CODE__FORBIDDEN, NULL);
	kt_h_free(w.h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(add_answers_the_entry_and_audits_no_text),
	cmocka_unit_test(list_newest_first_paged),
	cmocka_unit_test(other_branch_like_missing),
	cmocka_unit_test(corrections_stay_with_their_client),
	cmocka_unit_test(fields_checked),
	cmocka_unit_test(list_counts_its_client_once_a_day),
	cmocka_unit_test(card_shows_three_newest),
	cmocka_unit_test(purged_client_has_none),
	cmocka_unit_test(restricted_user_loses_the_log),
	cmocka_unit_test(archived_client_still_gets_notes),
	cmocka_unit_test(merged_card_sends_notes_on),
};

KT_TEST_MAIN(tests)
