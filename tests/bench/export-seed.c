/* SPDX-License-Identifier: MIT */
/* kt-export-seed: fills a stopped server's store with generated families
 * (families.c) straight through the card layer (kt_cstore_put, batches of
 * 10,000 cards per transaction), so the export benchmark can have a base
 * of a million cards in a minute instead of the ten a seed through the
 * protocol takes. With --notes K each card also gets K interactions
 * through the interaction store (kt_istore_add, which keeps the card's
 * activity record), spread over the two years before now: the base of
 * the `note` benchmark. With --history each card gets the working
 * history of history.h (calls, subscriptions, trial lessons,
 * tasks; the card made when that history says): the demo base of
 * setup.sh and the base of the agenda and report benchmarks. --first K
 * starts at family K (default 1), so that seeds in turns make family K
 * card K. With --deals K and --tasks K each card gets K plain deals
 * (every other one won, closed within the two years before now; amounts
 * in RUB, every fifth in USD) and K tasks of its manager due within 30
 * days either side of now, nine in ten of those past due done: the base
 * the `report` figures of docs/BENCH.md were first measured on. Nothing
 * gets audit entries.
 *   kt-export-seed --data DIR --clients N --branch NAME|ID
 *       --manager LOGIN|ID [--first K] [--history] [--notes K]
 *       [--deals K] [--tasks K] */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "families.h"
#include "history.h"
#include "kt_error.h"
#include "model/branch_store.h"
#include "model/client_store.h"
#include "model/deal_store.h"
#include "model/interaction_store.h"
#include "model/migrate.h"
#include "model/store.h"
#include "model/task_store.h"
#include "model/user_store.h"
#include "records.pb-c.h"

#define BATCH 10000u       /* records (cards and notes) per transaction */
#define NOTES_MAX 100u
#define TWO_YEARS (2 * 365 * 86400)

typedef struct seed {
	uint64_t next, end;            /* families [next, end) */
	uint64_t branch, manager;
	uint64_t notes;                /* interactions per card */
	uint64_t deals, tasks;         /* plain deals and tasks per card */
	int history;                   /* history.h instead of notes */
	kt_history_counts_t counts;    /* what the histories wrote */
	kt_history_counts_t committed; /* counts as of the last commit */
	uint64_t per_batch;            /* families per transaction */
	int64_t now;
} seed_t;

/* The topics of the seeded interactions, by turns. */
static const char *const topics[] = {
	"Звонок: пробное занятие по рисованию",
	"Спросили расписание на осень",
	"Напомнили об оплате абонемента",
	"Пришли на открытый урок",
	"Переносят занятие на субботу",
};

/* Card id's K interactions, older to newer, at deterministic times in
 * the two years before s->now. */
static int
put_notes(kt_store_t *st, MDB_txn *txn, const seed_t *s, uint64_t id,
    uint64_t k)
{
	for (uint64_t i = 0; i < s->notes; i++) {
		Ktstore__InteractionRecord n = KTSTORE__INTERACTION_RECORD__INIT;
		uint64_t h = (k * 0x9E3779B97F4A7C15u) ^ (i * 0xBF58476D1CE4E5B9u);
		int rc;

		n.client = id;
		n.author = s->manager;
		n.branch = s->branch;
		n.at = s->now - TWO_YEARS + (int64_t)((TWO_YEARS / s->notes) *
		    i + (h >> 40) % (TWO_YEARS / s->notes));
		n.created_at = n.at;
		n.channel = 1 + (uint32_t)(h % 5);
		n.direction = 1 + (uint32_t)((h >> 8) % 2);
		n.topic = (char *)topics[(k + i) % (sizeof(topics) /
		    sizeof(topics[0]))];
		n.agreed = (char *)(i % 2 ? "Перезвонить в пятницу" : "");
		if ((rc = kt_istore_add(st, txn, &n)) != 0)
			return rc;
	}
	return 0;
}

/* ---- deals and tasks (the report's base) ------------------------------------ */

/* Card id's K deals and K tasks, at deterministic times. */
static int
put_deals_tasks(kt_store_t *st, MDB_txn *txn, const seed_t *s, uint64_t id,
    uint64_t k)
{
	for (uint64_t i = 0; i < s->deals; i++) {
		Ktstore__DealRecord d = KTSTORE__DEAL_RECORD__INIT;
		uint64_t h = (k * 0x9E3779B97F4A7C15u) ^ (i * 0x94D049BB133111EBu);
		int rc;

		d.client = id;
		d.manager = d.author = s->manager;
		d.branch = s->branch;
		d.title = (char *)"Абонемент";
		d.amount = 100000 + (int64_t)(h % 5000000);
		d.currency = (char *)((h >> 20) % 5 == 0 ? "USD" : "RUB");
		d.created_at = s->now - (int64_t)((h >> 24) % TWO_YEARS);
		d.updated_at = d.created_at;
		d.stage = (i + k) % 2 == 0 ? KARTOTEKA__DEAL_STAGE__STAGE_WON :
		    KARTOTEKA__DEAL_STAGE__STAGE_PROGRESS;
		if (d.stage == KARTOTEKA__DEAL_STAGE__STAGE_WON)
			d.closed_at = d.created_at + (int64_t)((h >> 40) %
			    (uint64_t)(s->now - d.created_at + 1));
		if ((rc = kt_deal_add(st, txn, &d)) != 0)
			return rc;
	}
	for (uint64_t i = 0; i < s->tasks; i++) {
		Ktstore__TaskRecord t = KTSTORE__TASK_RECORD__INIT;
		uint64_t h = (k * 0xBF58476D1CE4E5B9u) ^ (i * 0x9E3779B97F4A7C15u);
		int rc;

		t.client = id;
		t.assignee = t.author = s->manager;
		t.branch = s->branch;
		t.title = (char *)"Позвонить";
		t.kind = KARTOTEKA__TASK_KIND__TASK_CALL;
		t.due_at = s->now - 30 * 86400 + (int64_t)(h % (60 * 86400));
		t.created_at = t.updated_at = s->now;
		/* nine in ten of those due by now are done */
		if (t.due_at < s->now && (h >> 32) % 10 != 0)
			t.done_at = t.due_at + 3600;
		if ((rc = kt_task_add(st, txn, &t)) != 0)
			return rc;
	}
	return 0;
}

/* One family as a stored card. */
static int
put_family(kt_store_t *st, MDB_txn *txn, seed_t *s, uint64_t k)
{
	kt_family_t f;
	Ktstore__ClientRecord r = KTSTORE__CLIENT_RECORD__INIT;
	Ktstore__PersonRecord p[KT_FAMILY_PEOPLE_MAX], *pp[KT_FAMILY_PEOPLE_MAX];
	char *phones[KT_FAMILY_PEOPLE_MAX][1];
	char *tags[KT_FAMILY_TAGS_MAX];
	kt_chist_who_t who = { 0 };
	int rc;

	/* A history base is the plain sequence, as `kartoteka-bench seed`
	 * makes it: the demo's family K is the same family either way. */
	kt_family_make(k, s->history ? 0 : (unsigned)s->branch, &f);
	if ((rc = kt_store_next_id(st, txn, "client", &r.id)) != 0)
		return rc;
	r.branch = s->branch;
	r.manager = s->manager;
	r.status = (uint32_t)f.status;
	r.category = (uint32_t)f.category;
	r.title = f.title;
	r.source = (char *)f.source;
	for (size_t i = 0; i < f.ntags; i++)
		tags[i] = (char *)f.tags[i];
	r.tags = tags;
	r.n_tags = f.ntags;
	r.notes = f.notes;
	r.do_not_contact = f.do_not_contact;
	r.consent_date = f.consent_date;
	r.contract = f.contract;
	r.discount_percent = f.discount_percent;
	r.leaving_reason = (char *)f.leaving_reason;
	r.created_by = s->manager;
	r.created_at = r.updated_at = s->history ?
	    kt_history_created_at(&f, s->now) : s->now;
	r.version = 1;
	for (size_t i = 0; i < f.npeople; i++) {
		const kt_family_person_t *q = &f.people[i];
		ktstore__person_record__init(&p[i]);
		p[i].name = (char *)q->name;
		p[i].relation = (uint32_t)q->relation;
		p[i].birth_year = q->birth_year;
		p[i].birth_month = q->birth_month;
		p[i].birth_day = q->birth_day;
		phones[i][0] = (char *)q->phone;
		p[i].phones = phones[i];
		p[i].n_phones = q->phone[0] != '\0';
		p[i].email = (char *)q->email;
		p[i].note = (char *)q->note;
		pp[i] = &p[i];
	}
	r.people = pp;
	r.n_people = f.npeople;
	who.time = r.created_at;
	who.user = s->manager;
	who.action = "client.add";
	if ((rc = kt_cstore_put(txn, kt_store_dbs(st), NULL, &r, &who)) != 0)
		return rc;
	if (s->history && (rc = kt_history_put(st, txn, &f, r.id, s->branch,
	    s->manager, s->now, &s->counts)) != 0)
		return rc;
	if ((rc = put_notes(st, txn, s, r.id, k)) != 0)
		return rc;
	return put_deals_tasks(st, txn, s, r.id, k);
}

static int
batch_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	seed_t *s = arg;
	uint64_t end = s->next + s->per_batch < s->end ?
	    s->next + s->per_batch : s->end;
	int rc;

	/* A retry after the map grew starts the batch again: s->next and
	 * s->committed only move in main, after the commit. */
	s->counts = s->committed;
	for (uint64_t k = s->next; k < end; k++)
		if ((rc = put_family(st, txn, s, k)) != 0)
			return rc;
	return 0;
}

static int
number(const char *s, uint64_t *out)
{
	char *end = NULL;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && s[0] != '-' ? 0 : -1;
}

/* A branch or a user given by name or id, looked up in st. Returns 0
 * and sets *id, or -1 after saying what is wrong. */
static int
resolve(kt_store_t *st, const char *what, const char *name, uint64_t *id)
{
	MDB_txn *txn = NULL;
	int rc;

	if (number(name, id) == 0 && *id != 0)
		return 0;
	if ((rc = kt_store_read_begin(st, &txn)) != 0)
		goto out;
	rc = strcmp(what, "branch") == 0 ?
	    kt_branch_id(txn, kt_store_dbs(st), name, id) :
	    kt_user_id(txn, kt_store_dbs(st), name, id);
	kt_store_read_end(st, txn);
out:
	if (rc != 0)
		fprintf(stderr, "kt-export-seed: --%s %s: %s\n", what, name,
		    rc == KT_ENOTFOUND ? "no such name" : kt_strerror(rc));
	return rc == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	const char *dir = NULL, *branch = NULL, *manager = NULL;
	uint64_t n = 0, first = 1, notes = 0, deals = 0, tasks = 0;
	seed_t s = { 0 };
	kt_store_t *st = NULL;
	int rc, history = 0;

	for (int i = 1; i < argc; i += 2) {
		if (strcmp(argv[i], "--history") == 0) {
			history = 1;
			i--;
		} else if (i + 1 >= argc)
			goto usage;
		else if (strcmp(argv[i], "--data") == 0)
			dir = argv[i + 1];
		else if (strcmp(argv[i], "--clients") == 0 &&
		    number(argv[i + 1], &n) == 0)
			;
		else if (strcmp(argv[i], "--first") == 0 &&
		    number(argv[i + 1], &first) == 0 && first > 0 &&
		    first < 100000000u)
			;
		else if (strcmp(argv[i], "--branch") == 0)
			branch = argv[i + 1];
		else if (strcmp(argv[i], "--manager") == 0)
			manager = argv[i + 1];
		else if (strcmp(argv[i], "--notes") == 0 &&
		    number(argv[i + 1], &notes) == 0 && notes <= NOTES_MAX)
			;
		else if (strcmp(argv[i], "--deals") == 0 &&
		    number(argv[i + 1], &deals) == 0 && deals <= NOTES_MAX)
			;
		else if (strcmp(argv[i], "--tasks") == 0 &&
		    number(argv[i + 1], &tasks) == 0 && tasks <= NOTES_MAX)
			;
		else
			goto usage;
	}
	if (dir == NULL || n == 0 || n > 100000000u || branch == NULL ||
	    manager == NULL)
		goto usage;
	if ((rc = kt_migrate_open(&st, dir, 0)) != 0) {
		fprintf(stderr, "kt-export-seed: cannot open %s: %s\n", dir,
		    kt_strerror(rc));
		return 1;
	}
	if (resolve(st, "branch", branch, &s.branch) != 0 ||
	    resolve(st, "manager", manager, &s.manager) != 0) {
		kt_store_close(st);
		return 1;
	}
	s.next = first;
	s.end = first + n;
	s.notes = notes;
	s.history = history;
	/* A history is about a dozen records a family. */
	s.deals = deals;
	s.tasks = tasks;
	s.per_batch = BATCH / ((history ? 12 : 1) + notes + deals + tasks);
	s.now = (int64_t)time(NULL);
	while (s.next < s.end) {
		if ((rc = kt_store_write_sync(st, batch_mut, &s)) != 0) {
			fprintf(stderr, "kt-export-seed: at family %" PRIu64
			    ": %s\n", s.next, kt_strerror(rc));
			kt_store_close(st);
			return 1;
		}
		s.committed = s.counts;
		s.next = s.next + s.per_batch < s.end ? s.next + s.per_batch :
		    s.end;
	}
	kt_store_close(st);
	if (history)
		printf("%" PRIu64 " families in branch %" PRIu64 ": %" PRIu64
		    " interactions, %" PRIu64 " deals (%" PRIu64 " won, %"
		    PRIu64 " open), %" PRIu64 " tasks (%" PRIu64 " open)\n", n,
		    s.branch, s.counts.interactions + n * notes, s.counts.deals,
		    s.counts.won, s.counts.open_deals, s.counts.tasks,
		    s.counts.open_tasks);
	else
		printf("%" PRIu64 " families in branch %" PRIu64 ", %" PRIu64
		    " interactions, %" PRIu64 " deals, %" PRIu64 " tasks\n", n,
		    s.branch, n * notes, n * deals, n * tasks);
	return 0;
usage:
	fprintf(stderr, "usage: kt-export-seed --data DIR --clients N "
	    "--branch NAME|ID --manager LOGIN|ID [--first K] "
	    "[--history] [--notes K (0..100)]\n"
	    "       [--deals K (0..100)] [--tasks K (0..100)]\n");
	return 2;
}
