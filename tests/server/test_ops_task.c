/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/task.c through kt_dispatch_message on the fake
 * network: a task defaults to its author, is audited and counts its client
 * as a row shown; who may assign (a manager itself, a head its branches'
 * users); a client or task outside the caller's sight answers like a
 * missing one; validation names the field and writes nothing; done,
 * reopen, move and edit with their audit actions and the version check;
 * lists by user and branch, overdue and day ranges (end included), paged;
 * and offboarding handing open tasks on. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kt_test.h"

#include "server/harness.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define E_NOTFOUND KARTOTEKA__ERROR__CODE__NOT_FOUND
#define E_CONFLICT KARTOTEKA__ERROR__CODE__CONFLICT
#define HEAD KARTOTEKA__ROLE__HEAD
#define MANAGER KARTOTEKA__ROLE__MANAGER
#define CALL KARTOTEKA__TASK_KIND__TASK_CALL
#define PROMISE KARTOTEKA__TASK_KIND__TASK_PROMISE

typedef struct world {
	kt_h_t *h;
	uint64_t north, south;
	uint64_t masha, petr;             /* managers of North */
	uint64_t vera;                    /* manager of South */
	uint64_t galina;                  /* head of North */
	kt_conn_t *owner, *m, *p, *v, *g;
} world_t;

static void
world_new(world_t *w)
{
	kt_h_t *h = w->h = kt_h_new();

	w->north = kt_h_branch(h, "North");
	w->south = kt_h_branch(h, "South");
	w->masha = kt_h_user(h, "masha", MANAGER, w->north, 0);
	w->petr = kt_h_user(h, "petr", MANAGER, w->north, 0);
	w->vera = kt_h_user(h, "vera", MANAGER, w->south, 0);
	w->galina = kt_h_user(h, "galina", HEAD, w->north, 0);
	w->owner = kt_h_session(h, h->owner, 0);
	w->m = kt_h_session(h, w->masha, w->north);
	w->p = kt_h_session(h, w->petr, w->north);
	w->v = kt_h_session(h, w->vera, w->south);
	w->g = kt_h_session(h, w->galina, w->north);
}

/* "YYYY-MM-DD" of today + days, local time (the server's default zone is
 * the system's, as here). */
static const char *
day(int days, char *buf, size_t cap)
{
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%d", &tm);
	return buf;
}

/* ---- requests ---------------------------------------------------------------- */

typedef struct req {
	Kartoteka__Request r;
	union {
		Kartoteka__ClientAddRequest cadd;
		Kartoteka__TaskAddRequest add;
		Kartoteka__TaskChangeRequest ch;
		Kartoteka__TaskListRequest ls;
		Kartoteka__UserOffboardRequest off;
		Kartoteka__UserChangeRequest uc;
	} u;
	Kartoteka__Client c;
} req_t;

static Kartoteka__Request *
add(req_t *q, uint64_t client, const char *to, const char *due,
    uint32_t kind, const char *title)
{
	kartoteka__request__init(&q->r);
	kartoteka__task_add_request__init(&q->u.add);
	q->u.add.client_id = client;
	q->u.add.assignee = (char *)(to ? to : "");
	q->u.add.due = (char *)due;
	q->u.add.kind = (Kartoteka__TaskKind)kind;
	q->u.add.title = (char *)title;
	q->r.op_case = KARTOTEKA__REQUEST__OP_TASK_ADD;
	q->r.task_add = &q->u.add;
	return &q->r;
}

static Kartoteka__Request *
change(req_t *q, uint64_t id, uint32_t action)
{
	kartoteka__request__init(&q->r);
	kartoteka__task_change_request__init(&q->u.ch);
	q->u.ch.id = id;
	q->u.ch.action = (Kartoteka__TaskAction)action;
	q->r.op_case = KARTOTEKA__REQUEST__OP_TASK_CHANGE;
	q->r.task_change = &q->u.ch;
	return &q->r;
}

static Kartoteka__Request *
list(req_t *q, const char *user, const char *branch)
{
	kartoteka__request__init(&q->r);
	kartoteka__task_list_request__init(&q->u.ls);
	q->u.ls.user = (char *)(user ? user : "");
	q->u.ls.branch = (char *)(branch ? branch : "");
	q->r.op_case = KARTOTEKA__REQUEST__OP_TASK_LIST;
	q->r.task_list = &q->u.ls;
	return &q->r;
}

static const Kartoteka__Task *
add_ok(kt_h_t *h, kt_conn_t *c, uint64_t client, const char *to,
    const char *due, const char *title)
{
	Kartoteka__Response *r;
	req_t q;

	r = kt_h_call(h, c, add(&q, client, to, due, CALL, title));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_TASK);
	return r->task->task;
}

static const Kartoteka__TaskListResponse *
list_ok(kt_h_t *h, kt_conn_t *c, Kartoteka__Request *q)
{
	Kartoteka__Response *r = kt_h_call(h, c, q);

	kt_h_expect_ok(r);
	assert_int_equal(r->result_case,
	    KARTOTEKA__RESPONSE__RESULT_TASK_LIST);
	return r->task_list;
}

/* ---- add --------------------------------------------------------------------- */

static void
add_defaults_to_the_caller_and_is_audited(void **state)
{
	world_t w;
	const Kartoteka__Task *t;
	kt_h_entry_t e;
	char d[24], obj[32];
	uint64_t cl;

	(void)state;
	world_new(&w);
	cl = kt_h_client_titled(w.h, w.m, "Ивановы");
	t = add_ok(w.h, w.m, cl, NULL, day(1, d, sizeof(d)), "перезвонить");
	assert_string_equal(t->assignee, "masha");
	assert_string_equal(t->author, "masha");
	assert_string_equal(t->client, "Ивановы");
	assert_string_equal(t->due, d);
	assert_true(t->all_day);
	assert_false(t->overdue);
	assert_string_equal(t->branch, "North");
	assert_true(t->version == 1);
	e = kt_h_audit_last(w.h);
	snprintf(obj, sizeof(obj), "task:%" PRIu64, t->id);
	assert_string_equal(e.action, "task.add");
	assert_string_equal(e.object, obj);
	assert_int_equal(e.outcome, 0);
	assert_null(strstr(e.detail, "перезвонить"));
	/* a timed one, without a client */
	snprintf(d + 10, sizeof(d) - 10, " 09:30");
	t = add_ok(w.h, w.m, 0, NULL, d, "отчёт");
	assert_false(t->all_day);
	assert_string_equal(t->due, d);
	assert_int_equal(t->client_id, 0);
	kt_h_free(w.h);
}

static void
who_may_assign(void **state)
{
	world_t w;
	Kartoteka__Response *r, *r2;
	const Kartoteka__Task *t;
	char d[24];
	req_t q;
	uint64_t cl;

	(void)state;
	world_new(&w);
	cl = kt_h_client_titled(w.h, w.m, "Ивановы");
	day(2, d, sizeof(d));
	r = kt_h_call(w.h, w.m, add(&q, cl, "petr", d, CALL, "call"));
	kt_h_expect_error(r, E_FORBIDDEN,
	    "assignee: a manager assigns tasks only to itself");
	assert_string_equal(kt_h_audit_last(w.h).action, "task.add");
	t = add_ok(w.h, w.g, cl, "masha", d, "call");
	assert_string_equal(t->assignee, "masha");
	assert_string_equal(t->author, "galina");
	/* another branch's user and no user at all read alike */
	r = kt_h_call(w.h, w.g, add(&q, cl, "vera", d, CALL, "call"));
	r2 = kt_h_call(w.h, w.g, add(&q, cl, "nobody", d, CALL, "call"));
	kt_h_expect_error(r, E_BAD, r2->error->message);
	/* the owner: anyone, who must work in the client's branch */
	r = kt_h_call(w.h, w.owner, add(&q, cl, "vera", d, CALL, "call"));
	kt_h_expect_error(r, E_BAD,
	    "assignee: vera does not work in the task's branch");
	t = add_ok(w.h, w.owner, cl, "petr", d, "call");
	assert_string_equal(t->assignee, "petr");
	kt_h_free(w.h);
}

static void
hidden_client_like_missing(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	char d[24], want[40];
	req_t q;
	uint64_t cl, before;

	(void)state;
	world_new(&w);
	cl = kt_h_client_titled(w.h, w.m, "Ивановы");
	day(1, d, sizeof(d));
	before = kt_h_audit_count(w.h);
	r = kt_h_call(w.h, w.v, add(&q, cl, NULL, d, CALL, "call"));
	snprintf(want, sizeof(want), "no client %" PRIu64, cl);
	kt_h_expect_error(r, E_NOTFOUND, want);
	r = kt_h_call(w.h, w.v, add(&q, cl + 100, NULL, d, CALL, "call"));
	snprintf(want, sizeof(want), "no client %" PRIu64, cl + 100);
	kt_h_expect_error(r, E_NOTFOUND, want);
	assert_true(kt_h_audit_count(w.h) == before);
	kt_h_free(w.h);
}

static void
validation_names_the_field(void **state)
{
	world_t w;
	char d[24], title[310];
	uint64_t before;
	req_t q;

	(void)state;
	world_new(&w);
	day(1, d, sizeof(d));
	memset(title, 'x', 301);
	title[301] = '\0';
	before = kt_h_audit_count(w.h);
	kt_h_expect_error(kt_h_call(w.h, w.m, add(&q, 0, NULL, d, CALL,
	    "   ")), E_BAD, "title: is blank");
	kt_h_expect_error(kt_h_call(w.h, w.m, add(&q, 0, NULL, d, CALL,
	    "")), E_BAD, "title: is empty");
	kt_h_expect_error(kt_h_call(w.h, w.m, add(&q, 0, NULL, d, CALL,
	    title)), E_BAD, "title: is longer than 300 bytes");
	kt_h_expect_error(kt_h_call(w.h, w.m, add(&q, 0, NULL, d, 0, "x")),
	    E_BAD, "kind: is not call, meeting, promise or other");
	kt_h_expect_error(kt_h_call(w.h, w.m, add(&q, 0, NULL, d, 9, "x")),
	    E_BAD, "kind: is not call, meeting, promise or other");
	kt_h_expect_error(kt_h_call(w.h, w.m, add(&q, 0, NULL, "2026-02-30",
	    CALL, "x")), E_BAD,
	    "due: is not a date YYYY-MM-DD or YYYY-MM-DD HH:MM");
	kt_h_expect_error(kt_h_call(w.h, w.m, add(&q, 0, NULL,
	    "2026-03-01 24:00", CALL, "x")), E_BAD, "due: has an hour past 23");
	kt_h_expect_error(kt_h_call(w.h, w.m, add(&q, 0, NULL, "", CALL,
	    "x")), E_BAD, "due: is empty");
	assert_true(kt_h_audit_count(w.h) == before);
	kt_h_expect_error(kt_h_call(w.h, w.m, add(&q, 0, NULL, "1999-12-31",
	    CALL, "x")), E_BAD, "due: is before 2000-01-01");
	kt_h_expect_error(kt_h_call(w.h, w.m, add(&q, 0, NULL,
	    day(5 * 366 + 2, d, sizeof(d)), CALL, "x")), E_BAD,
	    "due: is more than 5 years ahead");
	kt_h_free(w.h);
}

/* ---- change ------------------------------------------------------------------- */

static void
done_reopen_move_edit(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	const Kartoteka__Task *t;
	char d[24];
	uint64_t id;
	req_t q;

	(void)state;
	world_new(&w);
	id = add_ok(w.h, w.m, kt_h_client_titled(w.h, w.m, "Ивановы"), NULL,
	    day(-2, d, sizeof(d)), "call")->id;
	r = kt_h_call(w.h, w.m, change(&q, id, KARTOTEKA__TASK_ACTION__TASK_DONE));
	kt_h_expect_ok(r);
	assert_true(r->task->task->done_at > 0);
	assert_true(r->task->task->version == 2);
	assert_string_equal(kt_h_audit_last(w.h).action, "task.done");
	r = kt_h_call(w.h, w.m, change(&q, id, KARTOTEKA__TASK_ACTION__TASK_DONE));
	kt_h_expect_error(r, E_CONFLICT, NULL);
	r = kt_h_call(w.h, w.m, change(&q, id,
	    KARTOTEKA__TASK_ACTION__TASK_REOPEN));
	kt_h_expect_ok(r);
	assert_true(r->task->task->done_at == 0);
	assert_true(r->task->task->overdue);
	assert_string_equal(kt_h_audit_last(w.h).action, "task.reopen");
	change(&q, id, KARTOTEKA__TASK_ACTION__TASK_MOVE);
	q.u.ch.due = (char *)day(3, d, sizeof(d));
	r = kt_h_call(w.h, w.m, &q.r);
	kt_h_expect_ok(r);
	assert_string_equal(r->task->task->due, d);
	assert_false(r->task->task->overdue);
	assert_string_equal(kt_h_audit_last(w.h).action, "task.move");
	change(&q, id, KARTOTEKA__TASK_ACTION__TASK_EDIT);
	q.u.ch.title = "позвонить маме";
	q.u.ch.kind = PROMISE;
	q.u.ch.version = 4;
	r = kt_h_call(w.h, w.m, &q.r);
	kt_h_expect_ok(r);
	t = r->task->task;
	assert_string_equal(t->title, "позвонить маме");
	assert_int_equal(t->kind, PROMISE);
	assert_string_equal(kt_h_audit_last(w.h).action, "task.edit");
	/* a stale version */
	r = kt_h_call(w.h, w.m, &q.r);
	kt_h_expect_error(r, E_CONFLICT, NULL);
	/* nothing to edit */
	change(&q, id, KARTOTEKA__TASK_ACTION__TASK_EDIT);
	kt_h_expect_error(kt_h_call(w.h, w.m, &q.r), E_BAD,
	    "edit: nothing to change (title, kind or assignee)");
	kt_h_expect_error(kt_h_call(w.h, w.m, change(&q, id, 0)), E_BAD,
	    "action: is not done, reopen, move or edit");
	kt_h_free(w.h);
}

static void
who_may_change(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	char d[24], want[32];
	uint64_t id, own;
	req_t q;

	(void)state;
	world_new(&w);
	id = add_ok(w.h, w.m, kt_h_client_titled(w.h, w.m, "Ивановы"), NULL,
	    day(1, d, sizeof(d)), "call")->id;
	own = add_ok(w.h, w.m, 0, NULL, d, "own")->id;
	snprintf(want, sizeof(want), "no task %" PRIu64, id);
	/* another branch, a colleague, a missing id: alike */
	r = kt_h_call(w.h, w.v, change(&q, id, KARTOTEKA__TASK_ACTION__TASK_DONE));
	kt_h_expect_error(r, E_NOTFOUND, want);
	r = kt_h_call(w.h, w.p, change(&q, id, KARTOTEKA__TASK_ACTION__TASK_DONE));
	kt_h_expect_error(r, E_NOTFOUND, want);
	snprintf(want, sizeof(want), "no task %" PRIu64, id + 100);
	r = kt_h_call(w.h, w.m, change(&q, id + 100,
	    KARTOTEKA__TASK_ACTION__TASK_DONE));
	kt_h_expect_error(r, E_NOTFOUND, want);
	/* the head of the branch and the owner may */
	kt_h_expect_ok(kt_h_call(w.h, w.g, change(&q, id,
	    KARTOTEKA__TASK_ACTION__TASK_DONE)));
	kt_h_expect_ok(kt_h_call(w.h, w.owner, change(&q, id,
	    KARTOTEKA__TASK_ACTION__TASK_REOPEN)));
	/* the head hands it to petr; masha, its author, still may */
	change(&q, id, KARTOTEKA__TASK_ACTION__TASK_EDIT);
	q.u.ch.assignee = "petr";
	r = kt_h_call(w.h, w.g, &q.r);
	kt_h_expect_ok(r);
	assert_string_equal(r->task->task->assignee, "petr");
	kt_h_expect_ok(kt_h_call(w.h, w.m, change(&q, id,
	    KARTOTEKA__TASK_ACTION__TASK_DONE)));
	kt_h_expect_ok(kt_h_call(w.h, w.p, change(&q, id,
	    KARTOTEKA__TASK_ACTION__TASK_REOPEN)));
	/* a task without client of masha's: the head sees it too */
	kt_h_expect_ok(kt_h_call(w.h, w.g, change(&q, own,
	    KARTOTEKA__TASK_ACTION__TASK_DONE)));
	kt_h_free(w.h);
}

/* ---- list --------------------------------------------------------------------- */

static void
lists_by_user_and_branch(void **state)
{
	world_t w;
	const Kartoteka__TaskListResponse *lr;
	Kartoteka__Response *r;
	kt_h_entry_t e;
	char d[24];
	uint64_t cl;
	req_t q;

	(void)state;
	world_new(&w);
	cl = kt_h_client_titled(w.h, w.m, "Ивановы");
	add_ok(w.h, w.m, cl, NULL, day(2, d, sizeof(d)), "later");
	add_ok(w.h, w.m, cl, NULL, day(0, d, sizeof(d)), "today");
	add_ok(w.h, w.v, 0, NULL, d, "vera's");
	lr = list_ok(w.h, w.m, list(&q, NULL, NULL));
	assert_int_equal(lr->n_tasks, 2);
	assert_string_equal(lr->tasks[0]->title, "today");
	assert_string_equal(lr->tasks[1]->title, "later");
	e = kt_h_audit_last(w.h);
	assert_string_equal(e.action, "task.list");
	assert_non_null(strstr(e.detail, "clients=1 new=0"));
	/* a manager: its own only */
	r = kt_h_call(w.h, w.m, list(&q, "petr", NULL));
	kt_h_expect_error(r, E_FORBIDDEN, "a manager lists only its own tasks");
	assert_string_equal(kt_h_audit_last(w.h).action, "task.list");
	kt_h_expect_error(kt_h_call(w.h, w.m, list(&q, NULL, "North")),
	    E_FORBIDDEN, NULL);
	/* a head: its branches' users and branches; others read as empty */
	lr = list_ok(w.h, w.g, list(&q, "masha", NULL));
	assert_int_equal(lr->n_tasks, 2);
	lr = list_ok(w.h, w.g, list(&q, NULL, "North"));
	assert_int_equal(lr->n_tasks, 2);
	lr = list_ok(w.h, w.g, list(&q, "vera", NULL));
	assert_int_equal(lr->n_tasks, 0);
	lr = list_ok(w.h, w.g, list(&q, NULL, "South"));
	assert_int_equal(lr->n_tasks, 0);
	lr = list_ok(w.h, w.g, list(&q, NULL, "Nowhere"));
	assert_int_equal(lr->n_tasks, 0);
	lr = list_ok(w.h, w.owner, list(&q, NULL, "South"));
	assert_int_equal(lr->n_tasks, 1);
	kt_h_expect_error(kt_h_call(w.h, w.g, list(&q, "masha", "North")),
	    E_BAD, "user, branch: give one of them");
	kt_h_free(w.h);
}

static void
overdue_ranges_and_pages(void **state)
{
	world_t w;
	const Kartoteka__TaskListResponse *lr;
	ProtobufCBinaryData cur;
	uint8_t keep[64];
	char d[24], e[24];
	uint64_t done;
	req_t q;

	(void)state;
	world_new(&w);
	add_ok(w.h, w.m, 0, NULL, day(-3, d, sizeof(d)), "old");
	done = add_ok(w.h, w.m, 0, NULL, day(-2, d, sizeof(d)), "done")->id;
	kt_h_expect_ok(kt_h_call(w.h, w.m, change(&q, done,
	    KARTOTEKA__TASK_ACTION__TASK_DONE)));
	add_ok(w.h, w.m, 0, NULL, day(0, d, sizeof(d)), "today");
	add_ok(w.h, w.m, 0, NULL, day(4, d, sizeof(d)), "later");
	list(&q, NULL, NULL);
	q.u.ls.overdue = 1;
	lr = list_ok(w.h, w.m, &q.r);
	assert_int_equal(lr->n_tasks, 1);
	assert_string_equal(lr->tasks[0]->title, "old");
	assert_true(lr->tasks[0]->overdue);
	/* from/to: both days included */
	list(&q, NULL, NULL);
	q.u.ls.from = (char *)day(-3, d, sizeof(d));
	q.u.ls.to = (char *)day(0, e, sizeof(e));
	lr = list_ok(w.h, w.m, &q.r);
	assert_int_equal(lr->n_tasks, 2);
	q.u.ls.include_done = 1;
	lr = list_ok(w.h, w.m, &q.r);
	assert_int_equal(lr->n_tasks, 3);
	assert_string_equal(lr->tasks[2]->title, "done");
	q.u.ls.to = "2026-13-01";
	kt_h_expect_error(kt_h_call(w.h, w.m, &q.r), E_BAD,
	    "to: is not a date YYYY-MM-DD");
	/* pages of one, open then done */
	list(&q, NULL, NULL);
	q.u.ls.include_done = 1;
	q.u.ls.limit = 1;
	{
		const char *want[] = { "old", "today", "later", "done" };
		size_t seen = 0;
		for (int i = 0; i < 8; i++) {
			lr = list_ok(w.h, w.m, &q.r);
			for (size_t j = 0; j < lr->n_tasks; j++) {
				assert_true(seen < 4);
				assert_string_equal(lr->tasks[j]->title,
				    want[seen++]);
			}
			if (lr->next_cursor.len == 0)
				break;
			assert_true(lr->next_cursor.len <= sizeof(keep));
			memcpy(keep, lr->next_cursor.data,
			    lr->next_cursor.len);
			cur.data = keep;
			cur.len = lr->next_cursor.len;
			q.u.ls.cursor = cur;
		}
		assert_int_equal(seen, 4);
	}
	q.u.ls.cursor.data = (uint8_t *)"junk";
	q.u.ls.cursor.len = 4;
	kt_h_expect_error(kt_h_call(w.h, w.m, &q.r), E_BAD,
	    "cursor: is not one this server gave");
	kt_h_free(w.h);
}

static void
offboarding_hands_open_tasks_on(void **state)
{
	world_t w;
	const Kartoteka__TaskListResponse *lr;
	Kartoteka__Response *r;
	char d[24];
	uint64_t done;
	req_t q;

	(void)state;
	world_new(&w);
	add_ok(w.h, w.m, 0, NULL, day(1, d, sizeof(d)), "open");
	done = add_ok(w.h, w.m, 0, NULL, d, "done")->id;
	kt_h_expect_ok(kt_h_call(w.h, w.m, change(&q, done,
	    KARTOTEKA__TASK_ACTION__TASK_DONE)));
	kartoteka__request__init(&q.r);
	kartoteka__user_offboard_request__init(&q.u.off);
	q.u.off.login = "masha";
	q.u.off.to = "petr";
	q.r.op_case = KARTOTEKA__REQUEST__OP_USER_OFFBOARD;
	q.r.user_offboard = &q.u.off;
	r = kt_h_call(w.h, w.owner, &q.r);
	kt_h_expect_ok(r);
	assert_non_null(strstr(kt_h_audit_last(w.h).detail, "tasks=1"));
	lr = list_ok(w.h, w.p, list(&q, NULL, NULL));
	assert_int_equal(lr->n_tasks, 1);
	assert_string_equal(lr->tasks[0]->title, "open");
	assert_string_equal(lr->tasks[0]->author, "masha");
	kt_h_free(w.h);
}

static void
clients_named_count_against_the_row_quota(void **state)
{
	world_t w;
	Kartoteka__Response *r;
	const Kartoteka__TaskListResponse *lr;
	char d[24], *fields[1] = { "daily_row_quota" };
	uint64_t c1, c2, before;
	req_t q;

	(void)state;
	world_new(&w);
	c1 = kt_h_client_titled(w.h, w.m, "Ивановы");
	c2 = kt_h_client_titled(w.h, w.m, "Петровы");
	kartoteka__request__init(&q.r);
	kartoteka__user_change_request__init(&q.u.uc);
	q.u.uc.login = "masha";
	q.u.uc.fields = fields;
	q.u.uc.n_fields = 1;
	q.u.uc.daily_row_quota = 1;
	q.r.op_case = KARTOTEKA__REQUEST__OP_USER_CHANGE;
	q.r.user_change = &q.u.uc;
	kt_h_expect_ok(kt_h_call(w.h, w.owner, &q.r));
	add_ok(w.h, w.m, c1, NULL, day(1, d, sizeof(d)), "first");
	/* a second client would be the second row of the day: nothing added */
	before = kt_h_audit_count(w.h);
	r = kt_h_call(w.h, w.m, add(&q, c2, NULL, d, CALL, "second"));
	kt_h_expect_error(r, KARTOTEKA__ERROR__CODE__QUOTA_EXCEEDED, NULL);
	assert_true(kt_h_audit_count(w.h) == before + 1);
	assert_string_equal(kt_h_audit_last(w.h).action, "task.add");
	/* the first client again costs nothing; tasks without one neither */
	add_ok(w.h, w.m, c1, NULL, d, "again");
	add_ok(w.h, w.m, 0, NULL, d, "no client");
	lr = list_ok(w.h, w.m, list(&q, NULL, NULL));
	assert_int_equal(lr->n_tasks, 3);
	kt_h_free(w.h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(add_defaults_to_the_caller_and_is_audited),
	cmocka_unit_test(who_may_assign),
	cmocka_unit_test(hidden_client_like_missing),
	cmocka_unit_test(validation_names_the_field),
	cmocka_unit_test(done_reopen_move_edit),
	cmocka_unit_test(who_may_change),
	cmocka_unit_test(lists_by_user_and_branch),
	cmocka_unit_test(overdue_ranges_and_pages),
	cmocka_unit_test(offboarding_hands_open_tasks_on),
	cmocka_unit_test(clients_named_count_against_the_row_quota),
};

KT_TEST_MAIN(tests)
