/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/branch.c through kt_dispatch_message on the fake
 * network: the owner adds, renames, archives and restores branches (each
 * change answered after its commit, with its audit entry; a refusal costs
 * no write), and the paged list leaves only with its audit entry. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kt_test.h"

#include "server/harness.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_NOTFOUND KARTOTEKA__ERROR__CODE__NOT_FOUND
#define E_CONFLICT KARTOTEKA__ERROR__CODE__CONFLICT
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define HEAD KARTOTEKA__ROLE__HEAD

typedef struct req {
	Kartoteka__Request r;
	union {
		Kartoteka__BranchAddRequest add;
		Kartoteka__BranchRenameRequest rename;
		Kartoteka__BranchArchiveRequest archive;
		Kartoteka__BranchListRequest list;
		Kartoteka__BranchSetRequest set;
	} u;
	char *fields[3];
} req_t;

/* A branch set of the settings that are not NULL. */
static Kartoteka__Request *
set(req_t *q, const char *name, const char *tz, const char *hours)
{
	kartoteka__request__init(&q->r);
	kartoteka__branch_set_request__init(&q->u.set);
	q->u.set.name = (char *)name;
	q->u.set.fields = q->fields;
	if (tz != NULL) {
		q->fields[q->u.set.n_fields++] = "time_zone";
		q->u.set.time_zone = (char *)tz;
	}
	if (hours != NULL) {
		q->fields[q->u.set.n_fields++] = "work_hours";
		q->u.set.work_hours = (char *)hours;
	}
	q->r.op_case = KARTOTEKA__REQUEST__OP_BRANCH_SET;
	q->r.branch_set = &q->u.set;
	return &q->r;
}

static Kartoteka__Request *
add(req_t *q, const char *name, const char *address)
{
	kartoteka__request__init(&q->r);
	kartoteka__branch_add_request__init(&q->u.add);
	q->u.add.name = (char *)name;
	q->u.add.address = (char *)address;
	q->r.op_case = KARTOTEKA__REQUEST__OP_BRANCH_ADD;
	q->r.branch_add = &q->u.add;
	return &q->r;
}

static Kartoteka__Request *
rename_(req_t *q, const char *name, const char *new_name)
{
	kartoteka__request__init(&q->r);
	kartoteka__branch_rename_request__init(&q->u.rename);
	q->u.rename.name = (char *)name;
	q->u.rename.new_name = (char *)new_name;
	q->r.op_case = KARTOTEKA__REQUEST__OP_BRANCH_RENAME;
	q->r.branch_rename = &q->u.rename;
	return &q->r;
}

static Kartoteka__Request *
archive(req_t *q, const char *name, int restore)
{
	kartoteka__request__init(&q->r);
	kartoteka__branch_archive_request__init(&q->u.archive);
	q->u.archive.name = (char *)name;
	q->u.archive.restore = restore;
	q->r.op_case = KARTOTEKA__REQUEST__OP_BRANCH_ARCHIVE;
	q->r.branch_archive = &q->u.archive;
	return &q->r;
}

static Kartoteka__Request *
list(req_t *q, int all, const ProtobufCBinaryData *cursor, uint32_t limit)
{
	kartoteka__request__init(&q->r);
	kartoteka__branch_list_request__init(&q->u.list);
	q->u.list.include_archived = all;
	if (cursor != NULL)
		q->u.list.cursor = *cursor;
	q->u.list.limit = limit;
	q->r.op_case = KARTOTEKA__REQUEST__OP_BRANCH_LIST;
	q->r.branch_list = &q->u.list;
	return &q->r;
}

static void
expect_entry(kt_h_t *h, const char *action, uint64_t id, const char *detail)
{
	kt_h_entry_t e = kt_h_audit_last(h);
	char object[48];

	snprintf(object, sizeof(object), "branch:%" PRIu64, id);
	assert_string_equal(e.action, action);
	assert_string_equal(e.object, object);
	assert_true(e.user == h->owner);
	assert_int_equal(e.outcome, 0);
	if (detail != NULL)
		assert_string_equal(e.detail, detail);
}

static void
add_answers_after_commit(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	Kartoteka__Response *r;
	req_t q;

	(void)state;
	kt_h_watch_audit(h, c);
	r = kt_h_call(h, c, add(&q, "South", "Lenina 1"));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case, KARTOTEKA__RESPONSE__RESULT_BRANCH);
	assert_true(r->branch->branch->id != 0);
	assert_string_equal(r->branch->branch->name, "South");
	assert_string_equal(r->branch->branch->address, "Lenina 1");
	assert_false(r->branch->branch->archived);
	expect_entry(h, "branch.add", r->branch->branch->id,
	    "name=South address=Lenina 1");
	assert_string_equal(kt_h_audit_when_sent(h, c, 0).action,
	    "branch.add");
	kt_h_free(h);
}

static void
add_refused_without_a_write(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	uint64_t audit;
	Kartoteka__Response *r;
	req_t q;

	(void)state;
	(void)kt_h_branch(h, "South");
	audit = kt_h_audit_count(h);
	kt_h_expect_error(kt_h_call(h, c, add(&q, "South", "")), E_CONFLICT,
	    "a branch named 'South' already exists");
	r = kt_h_call(h, c, add(&q, "", ""));
	kt_h_expect_error(r, E_BAD, NULL);
	assert_true(strncmp(r->error->message, "name: ", 6) == 0);
	assert_true(kt_h_audit_count(h) == audit);
	assert_false(kt_fake_conn_closed(c));
	kt_h_free(h);
}

static void
rename_audited(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	uint64_t id = kt_h_branch(h, "North");
	uint64_t audit;
	Kartoteka__Response *r;
	char name[64];
	req_t q;

	(void)state;
	r = kt_h_call(h, c, rename_(&q, "North", "Center"));
	kt_h_expect_ok(r);
	assert_true(r->branch->branch->id == id);
	assert_string_equal(r->branch->branch->name, "Center");
	expect_entry(h, "branch.rename", id, NULL);
	assert_string_equal(kt_h_branch_name(h, id, name, sizeof(name)),
	    "Center");
	audit = kt_h_audit_count(h);
	kt_h_expect_error(kt_h_call(h, c, rename_(&q, "North", "West")),
	    E_NOTFOUND, "no branch named 'North'");
	kt_h_expect_error(kt_h_call(h, c, rename_(&q, "Center", "Center")),
	    E_BAD, "new_name: is the same as name");
	assert_true(kt_h_audit_count(h) == audit);
	kt_h_free(h);
}

static void
archive_and_restore_audited(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	uint64_t id = kt_h_branch(h, "North");
	Kartoteka__Response *r;
	req_t q;

	(void)state;
	r = kt_h_call(h, c, archive(&q, "North", 0));
	kt_h_expect_ok(r);
	assert_true(r->branch->branch->archived);
	expect_entry(h, "branch.archive", id, NULL);
	kt_h_expect_error(kt_h_call(h, c, archive(&q, "North", 0)), E_CONFLICT,
	    "branch 'North' is already archived");
	r = kt_h_call(h, c, archive(&q, "North", 1));
	kt_h_expect_ok(r);
	assert_false(r->branch->branch->archived);
	expect_entry(h, "branch.restore", id, NULL);
	kt_h_expect_error(kt_h_call(h, c, archive(&q, "North", 1)), E_CONFLICT,
	    "branch 'North' is not archived");
	kt_h_free(h);
}

static void
list_leaves_with_its_entry(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	Kartoteka__Response *r;
	ProtobufCBinaryData next;
	kt_h_entry_t e;
	req_t q;

	(void)state;
	(void)kt_h_branch(h, "North");
	(void)kt_h_branch(h, "South");
	(void)kt_h_branch(h, "West");
	kt_h_expect_ok(kt_h_call(h, c, archive(&q, "West", 0)));
	kt_h_watch_audit(h, c);
	r = kt_h_call(h, c, list(&q, 0, NULL, 0));
	kt_h_expect_ok(r);
	assert_int_equal(r->result_case,
	    KARTOTEKA__RESPONSE__RESULT_BRANCH_LIST);
	assert_int_equal(r->branch_list->n_branches, 2);
	assert_int_equal(r->branch_list->next_cursor.len, 0);
	e = kt_h_audit_when_sent(h, c, 1);
	assert_string_equal(e.action, "branch.list");
	assert_string_equal(e.detail, "rows=2");
	assert_true(e.user == h->owner);
	r = kt_h_call(h, c, list(&q, 1, NULL, 0));
	assert_int_equal(r->branch_list->n_branches, 3);
	assert_string_equal(kt_h_audit_when_sent(h, c, 2).detail,
	    "rows=3 all");
	/* Paged: one row, then the rest from the cursor. */
	r = kt_h_call(h, c, list(&q, 1, NULL, 1));
	assert_int_equal(r->branch_list->n_branches, 1);
	assert_true(r->branch_list->next_cursor.len > 0);
	next = r->branch_list->next_cursor;
	r = kt_h_call(h, c, list(&q, 1, &next, 5));
	assert_int_equal(r->branch_list->n_branches, 2);
	assert_string_equal(kt_h_audit_when_sent(h, c, 4).detail,
	    "rows=2 all page=next");
	/* A cursor that is not one is named. */
	next.data = (uint8_t *)"junk";
	next.len = 4;
	r = kt_h_call(h, c, list(&q, 1, &next, 5));
	kt_h_expect_error(r, E_BAD, NULL);
	assert_true(strncmp(r->error->message, "cursor", 6) == 0);
	kt_h_free(h);
}

static void
head_refused_audited(void **state)
{
	kt_h_t *h = kt_h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t hd = kt_h_user(h, "galina", HEAD, b, 0);
	kt_conn_t *c = kt_h_session(h, hd, b);
	kt_h_entry_t e;
	req_t q;

	(void)state;
	kt_h_expect_error(kt_h_call(h, c, rename_(&q, "North", "Mine")),
	    E_FORBIDDEN, "only the owner can rename branches");
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "branch.rename");
	assert_int_equal(e.outcome, E_FORBIDDEN);
	assert_true(e.user == hd);
	kt_h_expect_error(kt_h_call(h, c, list(&q, 0, NULL, 0)), E_FORBIDDEN,
	    "only the owner can list branches");
	assert_string_equal(kt_h_audit_last(h).action, "branch.list");
	kt_h_free(h);
}

static void
set_time_zone_and_hours(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *o = kt_h_session(h, h->owner, 0);
	Kartoteka__Response *r;
	kt_h_entry_t e;
	uint64_t before;
	req_t q;

	(void)state;
	(void)kt_h_branch(h, "Восток");
	r = kt_h_call(h, o, set(&q, "восток", "Asia/Vladivostok",
	    "09:00-20:30"));
	kt_h_expect_ok(r);
	assert_string_equal(r->branch->branch->time_zone, "Asia/Vladivostok");
	assert_string_equal(r->branch->branch->work_hours, "09:00-20:30");
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "branch.set");
	assert_string_equal(e.detail, "time_zone=Asia/Vladivostok "
	    "work_hours=09:00-20:30");
	/* One setting alone leaves the other; "" is the default / none. */
	r = kt_h_call(h, o, set(&q, "Восток", NULL, ""));
	kt_h_expect_ok(r);
	assert_string_equal(r->branch->branch->time_zone, "Asia/Vladivostok");
	assert_string_equal(r->branch->branch->work_hours, "");
	/* Refusals name the field and write nothing. */
	before = kt_h_audit_count(h);
	kt_h_expect_error(kt_h_call(h, o, set(&q, "Восток", "Mars/Olympus",
	    NULL)), E_BAD, NULL);
	assert_non_null(strstr(kt_h_last(h, o)->error->message,
	    "time_zone: time zone 'Mars/Olympus'"));
	kt_h_expect_error(kt_h_call(h, o, set(&q, "Восток", "../../etc/passwd",
	    NULL)), E_BAD, NULL);
	kt_h_expect_error(kt_h_call(h, o, set(&q, "Восток", NULL, "9-18")),
	    E_BAD, "work_hours: expected HH:MM-HH:MM, e.g. 09:00-21:00");
	kt_h_expect_error(kt_h_call(h, o, set(&q, "Восток", NULL,
	    "25:00-26:00")), E_BAD, NULL);
	kt_h_expect_error(kt_h_call(h, o, set(&q, "Запад", "UTC", NULL)),
	    E_NOTFOUND, NULL);
	q.fields[0] = "colour";
	kartoteka__branch_set_request__init(&q.u.set);
	q.u.set.name = "Восток";
	q.u.set.fields = q.fields;
	q.u.set.n_fields = 1;
	kt_h_expect_error(kt_h_call(h, o, &q.r), E_BAD, "fields: 'colour' is "
	    "not a branch setting (time_zone, work_hours, desk_lock)");
	assert_true(kt_h_audit_count(h) == before);
	/* Added with its zone. */
	add(&q, "Сахалин", "");
	q.u.add.time_zone = "Asia/Sakhalin";
	q.u.add.work_hours = "10:00-19:00";
	r = kt_h_call(h, o, &q.r);
	kt_h_expect_ok(r);
	assert_string_equal(r->branch->branch->time_zone, "Asia/Sakhalin");
	assert_string_equal(r->branch->branch->work_hours, "10:00-19:00");
	kt_h_free(h);
}

/* The desk lock of a branch: set (audited), bounded, 0 for the client's
 * own, and told to the branch's terminals in whoami. */
static void
desk_lock_per_branch(void **state)
{
	kt_h_t *h = kt_h_new();
	kt_conn_t *o = kt_h_session(h, h->owner, 0), *m;
	uint64_t b = kt_h_branch(h, "Центр");
	uint64_t masha = kt_h_user(h, "masha", KARTOTEKA__ROLE__MANAGER, b, 0);
	Kartoteka__Request wq = KARTOTEKA__REQUEST__INIT;
	Kartoteka__WhoamiRequest w = KARTOTEKA__WHOAMI_REQUEST__INIT;
	Kartoteka__Response *r;
	uint64_t before;
	req_t q;

	(void)state;
	set(&q, "Центр", NULL, NULL);
	q.fields[q.u.set.n_fields++] = "desk_lock";
	q.u.set.desk_lock_s = 180;
	r = kt_h_call(h, o, &q.r);
	kt_h_expect_ok(r);
	assert_int_equal(r->branch->branch->desk_lock_s, 180);
	assert_string_equal(kt_h_audit_last(h).detail, "desk_lock_s=180");
	/* a branch terminal learns it from whoami */
	m = kt_h_session(h, masha, b);
	wq.op_case = KARTOTEKA__REQUEST__OP_WHOAMI;
	wq.whoami = &w;
	r = kt_h_call(h, m, &wq);
	kt_h_expect_ok(r);
	assert_int_equal(r->whoami->terminal->desk_lock_s, 180);
	/* out of bounds: refused under its field, nothing written */
	before = kt_h_audit_count(h);
	q.u.set.desk_lock_s = 59;
	kt_h_expect_error(kt_h_call(h, o, &q.r), E_BAD, NULL);
	assert_string_equal(kt_h_last(h, o)->error->field, "desk_lock_s");
	q.u.set.desk_lock_s = 86401;
	kt_h_expect_error(kt_h_call(h, o, &q.r), E_BAD, NULL);
	assert_true(kt_h_audit_count(h) == before);
	/* 0: the client's own setting again */
	q.u.set.desk_lock_s = 0;
	r = kt_h_call(h, o, &q.r);
	kt_h_expect_ok(r);
	assert_int_equal(r->branch->branch->desk_lock_s, 0);
	kt_h_free(h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(set_time_zone_and_hours),
	cmocka_unit_test(desk_lock_per_branch),
	cmocka_unit_test(add_answers_after_commit),
	cmocka_unit_test(add_refused_without_a_write),
	cmocka_unit_test(rename_audited),
	cmocka_unit_test(archive_and_restore_audited),
	cmocka_unit_test(list_leaves_with_its_entry),
	cmocka_unit_test(head_refused_audited),
};

KT_TEST_MAIN(tests)
