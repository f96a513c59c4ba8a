/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/list.c, the paged and audited owner's lists,
 * through kt_dispatch_message on the fake network: following next_cursor
 * from page to page sees every row once, a cursor that is not one is
 * named, and every page leaves only with its own audit entry (rows=N, and
 * page=next from the second page on). The branch list drives most of it;
 * the user and terminal lists share the code and are checked once. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kt_test.h"

#include "server/harness.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define MANAGER KARTOTEKA__ROLE__MANAGER
#define MAX_ROWS 16

typedef struct req {
	Kartoteka__Request r;
	union {
		Kartoteka__BranchListRequest branches;
		Kartoteka__UserListRequest users;
		Kartoteka__TerminalListRequest terminals;
	} u;
} req_t;

typedef enum which { BRANCHES, USERS, TERMINALS } which_t;

static const char *const action_of[] = { "branch.list", "user.list",
	"terminal.list" };

static Kartoteka__Request *
list(req_t *q, which_t w, int all, const ProtobufCBinaryData *cursor,
    uint32_t limit)
{
	ProtobufCBinaryData none = { 0, NULL };

	if (cursor == NULL)
		cursor = &none;
	kartoteka__request__init(&q->r);
	switch (w) {
	case BRANCHES:
		kartoteka__branch_list_request__init(&q->u.branches);
		q->u.branches.include_archived = all;
		q->u.branches.cursor = *cursor;
		q->u.branches.limit = limit;
		q->r.op_case = KARTOTEKA__REQUEST__OP_BRANCH_LIST;
		q->r.branch_list = &q->u.branches;
		break;
	case USERS:
		kartoteka__user_list_request__init(&q->u.users);
		q->u.users.include_disabled = all;
		q->u.users.cursor = *cursor;
		q->u.users.limit = limit;
		q->r.op_case = KARTOTEKA__REQUEST__OP_USER_LIST;
		q->r.user_list = &q->u.users;
		break;
	case TERMINALS:
		kartoteka__terminal_list_request__init(&q->u.terminals);
		q->u.terminals.cursor = *cursor;
		q->u.terminals.limit = limit;
		q->r.op_case = KARTOTEKA__REQUEST__OP_TERMINAL_LIST;
		q->r.terminal_list = &q->u.terminals;
		break;
	}
	return &q->r;
}

/* FNV-1a of a terminal's name, to compare terminals as ids. */
static uint64_t
name_id(const char *name)
{
	uint64_t x = 14695981039346656037ull;

	for (; *name != '\0'; name++)
		x = (x ^ (uint8_t)*name) * 1099511628211ull;
	return x;
}

/* One page of an answer: its row ids and next_cursor. */
typedef struct page {
	uint64_t ids[MAX_ROWS];
	size_t n;
	ProtobufCBinaryData next;         /* points into the answer (h's) */
} page_t;

static page_t
page_of(const Kartoteka__Response *r, which_t w)
{
	page_t p;

	memset(&p, 0, sizeof(p));
	kt_h_expect_ok(r);
	switch (w) {
	case BRANCHES:
		assert_int_equal(r->result_case,
		    KARTOTEKA__RESPONSE__RESULT_BRANCH_LIST);
		assert_true(r->branch_list->n_branches <= MAX_ROWS);
		for (size_t i = 0; i < r->branch_list->n_branches; i++)
			p.ids[p.n++] = r->branch_list->branches[i]->id;
		p.next = r->branch_list->next_cursor;
		break;
	case USERS:
		assert_int_equal(r->result_case,
		    KARTOTEKA__RESPONSE__RESULT_USER_LIST);
		assert_true(r->user_list->n_users <= MAX_ROWS);
		for (size_t i = 0; i < r->user_list->n_users; i++)
			p.ids[p.n++] = r->user_list->users[i]->id;
		p.next = r->user_list->next_cursor;
		break;
	case TERMINALS:
		assert_int_equal(r->result_case,
		    KARTOTEKA__RESPONSE__RESULT_TERMINAL_LIST);
		assert_true(r->terminal_list->n_terminals <= MAX_ROWS);
		/* Terminals have no id: their names stand in. */
		for (size_t i = 0; i < r->terminal_list->n_terminals; i++)
			p.ids[p.n++] = name_id(
			    r->terminal_list->terminals[i]->name);
		p.next = r->terminal_list->next_cursor;
		break;
	}
	return p;
}

/* Follows next_cursor from the first page with limit, checking each
 * page's audit entry when it left; fills ids (all rows, in order) and
 * returns the number of pages. */
static size_t
walk(kt_h_t *h, kt_conn_t *c, which_t w, int all, uint32_t limit,
    uint64_t *ids, size_t *nids, size_t cap)
{
	ProtobufCBinaryData cur = { 0, NULL };
	size_t pages = 0;
	req_t q;

	*nids = 0;
	kt_h_watch_audit(h, c);
	for (;;) {
		Kartoteka__Response *r = kt_h_call(h, c, list(&q, w, all,
		    pages == 0 ? NULL : &cur, limit));
		page_t p = page_of(r, w);
		kt_h_entry_t e = kt_h_audit_when_sent(h, c,
		    kt_fake_conn_nsent(c) - 1);
		char want[64];
		size_t i = 0;

		pages++;
		assert_true(pages <= cap);
		assert_true(p.n > 0 && p.n <= limit);
		/* The entry of this page, committed before it left, and
		 * the last one. */
		snprintf(want, sizeof(want), "rows=%zu%s%s", p.n,
		    all ? " all" : "", pages > 1 ? " page=next" : "");
		assert_string_equal(e.action, action_of[w]);
		assert_string_equal(e.detail, want);
		assert_true(e.user == h->owner);
		assert_int_equal(e.outcome, 0);
		assert_true(kt_h_audit_last(h).seq == e.seq);
		for (i = 0; i < p.n; i++) {
			assert_true(*nids < cap);
			ids[(*nids)++] = p.ids[i];
		}
		if (p.next.len == 0)
			break;
		cur = p.next;
	}
	return pages;
}

static int
has(const uint64_t *ids, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* Fails unless ids holds every one of want (nwant of them) exactly once
 * and nothing else. */
static void
expect_each_once(const uint64_t *ids, size_t n, const uint64_t *want,
    size_t nwant)
{
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < nwant; i++)
		assert_true(has(ids, n, want[i]));
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (ids[i] == ids[j])
				fail_msg("row %" PRIu64 " seen twice", ids[i]);
}

/* ---- tests ------------------------------------------------------------ */

static void
branch_pages_see_every_row_once(void **state)
{
	static const char *const names[] = { "North", "South", "East", "West",
	    "Center" };
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	uint64_t made[5], ids[MAX_ROWS];
	size_t n, pages;

	(void)state;
	for (size_t i = 0; i < 5; i++)
		made[i] = kt_h_branch(h, names[i]);
	pages = walk(h, c, BRANCHES, 0, 2, ids, &n, MAX_ROWS);
	assert_int_equal(pages, 3);
	expect_each_once(ids, n, made, 5);
	/* A last page that is exactly full ends the walk too: no empty
	 * page after it. */
	(void)kt_h_branch(h, "Sixth");
	pages = walk(h, c, BRANCHES, 0, 2, ids, &n, MAX_ROWS);
	assert_int_equal(n, 6);
	assert_int_equal(pages, 3);
	kt_h_free(h);
}

/* Archived branches left out are still passed over by the cursor; with
 * include_archived every row comes once, and the entry says "all". */
static void
archived_rows_and_all(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	uint64_t working[3], all[5], ids[MAX_ROWS];
	Kartoteka__BranchArchiveRequest ar = KARTOTEKA__BRANCH_ARCHIVE_REQUEST__INIT;
	Kartoteka__Request rq = KARTOTEKA__REQUEST__INIT;
	size_t n;

	(void)state;
	all[0] = working[0] = kt_h_branch(h, "A");
	all[1] = kt_h_branch(h, "B");
	all[2] = working[1] = kt_h_branch(h, "C");
	all[3] = kt_h_branch(h, "D");
	all[4] = working[2] = kt_h_branch(h, "E");
	rq.op_case = KARTOTEKA__REQUEST__OP_BRANCH_ARCHIVE;
	rq.branch_archive = &ar;
	ar.name = "B";
	kt_h_expect_ok(kt_h_call(h, c, &rq));
	rq.id = 0;
	ar.name = "D";
	kt_h_expect_ok(kt_h_call(h, c, &rq));
	(void)walk(h, c, BRANCHES, 0, 2, ids, &n, MAX_ROWS);
	expect_each_once(ids, n, working, 3);
	(void)walk(h, c, BRANCHES, 1, 2, ids, &n, MAX_ROWS);
	expect_each_once(ids, n, all, 5);
	kt_h_free(h);
}

static void
bad_cursor_names_cursor(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	uint8_t junk[] = { 'j', 'u', 'n', 'k' };
	uint8_t wrong_tag[9] = { 'X', 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t too_long[10] = { 'B', 0, 0, 0, 0, 0, 0, 0, 1, 2 };
	ProtobufCBinaryData bad[] = {
		{ sizeof(junk), junk },
		{ sizeof(wrong_tag), wrong_tag },
		{ sizeof(too_long), too_long },
		{ 1, too_long },                  /* the tag alone */
	};
	ProtobufCBinaryData users_cursor;
	Kartoteka__Response *r;
	uint64_t audit, b;
	req_t q;

	(void)state;
	b = kt_h_branch(h, "North");
	(void)kt_h_branch(h, "South");
	(void)kt_h_user(h, "anna", MANAGER, b, 0);
	audit = kt_h_audit_count(h);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = kt_h_call(h, c, list(&q, BRANCHES, 0, &bad[i], 1));
		kt_h_expect_error(r, E_BAD, NULL);
		if (strncmp(r->error->message, "cursor", 6) != 0)
			fail_msg("cursor %zu: '%s' does not name the cursor",
			    i, r->error->message);
	}
	/* Refused as bad requests: no entry, as for every op. */
	assert_true(kt_h_audit_count(h) == audit);
	/* A real cursor, but of another list. */
	r = kt_h_call(h, c, list(&q, USERS, 0, NULL, 1));
	kt_h_expect_ok(r);
	assert_true(r->user_list->next_cursor.len > 0);
	users_cursor = r->user_list->next_cursor;
	r = kt_h_call(h, c, list(&q, BRANCHES, 0, &users_cursor, 1));
	kt_h_expect_error(r, E_BAD, NULL);
	assert_true(strncmp(r->error->message, "cursor", 6) == 0);
	/* Only the user list's page wrote an entry. */
	assert_true(kt_h_audit_count(h) == audit + 1);
	assert_string_equal(kt_h_audit_last(h).action, "user.list");
	assert_false(kt_fake_conn_closed(c));
	kt_h_free(h);
}

static void
each_page_audited(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	ProtobufCBinaryData cur;
	Kartoteka__Response *r;
	uint64_t before;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	(void)kt_h_branch(h, "North");
	(void)kt_h_branch(h, "South");
	(void)kt_h_branch(h, "West");
	kt_h_watch_audit(h, c);
	before = kt_h_audit_count(h);
	r = kt_h_call(h, c, list(&q, BRANCHES, 0, NULL, 2));
	assert_int_equal(r->branch_list->n_branches, 2);
	e = kt_h_audit_when_sent(h, c, 0);
	assert_string_equal(e.action, "branch.list");
	assert_string_equal(e.detail, "rows=2");
	assert_true(e.seq == before + 1);
	cur = r->branch_list->next_cursor;
	r = kt_h_call(h, c, list(&q, BRANCHES, 0, &cur, 2));
	assert_int_equal(r->branch_list->n_branches, 1);
	assert_int_equal(r->branch_list->next_cursor.len, 0);
	e = kt_h_audit_when_sent(h, c, 1);
	assert_string_equal(e.action, "branch.list");
	assert_string_equal(e.detail, "rows=1 page=next");
	assert_true(e.seq == before + 2);
	/* One entry per page, nothing more. */
	assert_true(kt_h_audit_count(h) == before + 2);
	kt_h_free(h);
}

/* The user and terminal lists page and audit the same way. */
static void
user_and_terminal_lists_page_alike(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	uint64_t b = kt_h_branch(h, "North");
	uint64_t users[4], ids[MAX_ROWS], desks[2];
	uint8_t key[32];
	size_t n, pages;

	(void)state;
	users[0] = h->owner;
	users[1] = kt_h_user(h, "anna", MANAGER, b, 0);
	users[2] = kt_h_user(h, "boris", MANAGER, b, 0);
	users[3] = kt_h_user(h, "vera", MANAGER, b, 0);
	pages = walk(h, c, USERS, 0, 3, ids, &n, MAX_ROWS);
	assert_int_equal(pages, 2);
	expect_each_once(ids, n, users, 4);
	kt_h_terminal(h, b, "desk-1", key);
	kt_h_terminal(h, b, "desk-2", key);
	/* The session's own terminal and the two: three, one a page. */
	pages = walk(h, c, TERMINALS, 0, 1, ids, &n, MAX_ROWS);
	assert_int_equal(pages, 3);
	desks[0] = name_id("desk-1");
	desks[1] = name_id("desk-2");
	assert_int_equal(n, 3);
	assert_true(has(ids, n, desks[0]) && has(ids, n, desks[1]));
	expect_each_once(ids, n, ids, n); /* no name twice */
	kt_h_free(h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(branch_pages_see_every_row_once),
	cmocka_unit_test(archived_rows_and_all),
	cmocka_unit_test(bad_cursor_names_cursor),
	cmocka_unit_test(each_page_audited),
	cmocka_unit_test(user_and_terminal_lists_page_alike),
};

KT_TEST_MAIN(tests)
