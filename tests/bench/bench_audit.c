/* SPDX-License-Identifier: MIT */
/* bench-audit: what the owner's audit readers cost on a large log. Fills
 * a temporary store with N entries of U users (as a busy server would
 * leave them: views, lists, searches, edits, refusals; all stamped now,
 * which is the worst case for a summary: every entry is in its window),
 * then times the scans `audit list` and `audit summary` make
 * (model/audit.c, in one read transaction each, as on the pool thread).
 * A program run by hand, not a test: docs/ADMIN.md has its figures.
 *   bench-audit [ENTRIES [USERS]]   (1000000 50) */
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kt_error.h"
#include "model/audit.h"
#include "model/store.h"

typedef struct fill {
	uint64_t from, n, users;
	int64_t t0_ms, span_ms, total;
} fill_t;

static const char *const actions[] = { "client.view", "client.list",
	"client.find", "client.edit", "client.view" };

static int
fill_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	fill_t *f = arg;
	int rc = 0;

	for (uint64_t i = f->from; i < f->from + f->n && rc == 0; i++) {
		kt_audit_event_t ev = {
			.user_id = 2 + i % f->users,
			.action = kt_audit_action_by_name(actions[i % 5]),
			.object = "client:12345",
			.outcome = i % 97 == 0 ? 3 : 0,
			.detail = i % 5 == 1 ? "branch=1 rows=20 total=15000" :
			    "views today 17 of 200",
		};
		rc = kt_audit_append(st, txn, &ev, NULL, NULL);
	}
	return rc;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
count_one(const Ktstore__AuditEntry *e, void *arg)
{
	(void)e;
	(*(uint64_t *)arg)++;
	return 0;
}

static int
page_one(const Ktstore__AuditEntry *e, void *arg)
{
	uint64_t *n = arg;

	(void)e;
	return ++*n >= 300 ? KT_AUDIT_SCAN_STOP_AFTER : 0;
}

static int
rm_one(const char *p, const struct stat *sb, int t, struct FTW *w)
{
	(void)sb;
	(void)t;
	(void)w;
	return remove(p);
}

int
main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	uint64_t users = argc > 2 ? strtoull(argv[2], NULL, 10) : 50;
	char dir[] = "/tmp/kt-bench-audit-XXXXXX";
	kt_store_t *st = NULL;
	kt_store_opts_t so = { .map_size = (size_t)4 << 30 };
	MDB_txn *txn = NULL;
	kt_audit_day_t days[30];
	uint64_t got, nread, resume;
	double t;
	int rc;

	if (mkdtemp(dir) == NULL ||
	    kt_store_open_ex(&st, dir, KT_STORE_CREATE, &so) != 0) {
		fprintf(stderr, "bench-audit: cannot make a store\n");
		return 1;
	}
	t = now_s();
	for (uint64_t i = 0; i < n; i += 20000) {
		fill_t f = { i, n - i < 20000 ? n - i : 20000, users, 0, 0, 0 };
		if ((rc = kt_store_write_sync(st, fill_mut, &f)) != 0) {
			fprintf(stderr, "fill: %s\n", kt_strerror(rc));
			return 1;
		}
	}
	printf("filled %" PRIu64 " entries of %" PRIu64 " users in %.1f s\n",
	    n, users, now_s() - t);

	kt_store_read_begin(st, &txn);
	{
		kt_audit_filter_t f = { 0 };
		got = 0;
		t = now_s();
		kt_audit_scan(txn, kt_store_dbs(st), &f, 0, 0, page_one, &got,
		    &resume, &nread);
		printf("audit list, first page of 300, no filter: %.2f ms\n",
		    (now_s() - t) * 1e3);
	}
	{
		kt_audit_filter_t f = { .by_user = 1, .user = 7 };
		got = 0;
		t = now_s();
		kt_audit_scan(txn, kt_store_dbs(st), &f, 0, 0, count_one, &got,
		    &resume, &nread);
		t = now_s() - t;
		printf("audit list --user, whole log: %" PRIu64 " of %" PRIu64
		    " entries in %.0f ms (%.2f M entries/s)\n", got, nread,
		    t * 1e3, (double)nread / t / 1e6);
	}
	{
		kt_audit_filter_t f = { .by_user = 1, .user = UINT64_MAX };
		got = 0;
		t = now_s();
		kt_audit_scan(txn, kt_store_dbs(st), &f, 0, 200000, count_one,
		    &got, &resume, &nread);
		printf("audit list --user, one request (200000 read): %.0f ms\n",
		    (now_s() - t) * 1e3);
	}
	{
		int64_t now = (int64_t)time(NULL) * 1000;
		kt_audit_filter_t f = { .from_ms = now - 3600 * 1000 };
		got = 0;
		t = now_s();
		kt_audit_scan(txn, kt_store_dbs(st), &f, 0, 0, count_one, &got,
		    &resume, &nread);
		printf("audit list --from (the last hour, seek): %" PRIu64
		    " read in %.1f ms\n", nread, (now_s() - t) * 1e3);
	}
	{
		/* 30 UTC days ending tomorrow: the whole log is in them. */
		int64_t today = (int64_t)time(NULL) / 86400;
		for (int i = 0; i < 30; i++) {
			memset(&days[i], 0, sizeof(days[i]));
			days[i].start_ms = (today - 29 + i) * 86400 * 1000;
		}
	}
	t = now_s();
	kt_audit_summary(txn, kt_store_dbs(st), 7, days, 30,
	    (days[29].start_ms + 86400 * 1000), &nread);
	t = now_s() - t;
	printf("audit summary, 30 days: %" PRIu64 " entries read in %.0f ms;"
	    " today: %u views %" PRIu64 " rows\n", nread, t * 1e3,
	    days[29].views, days[29].rows);
	kt_store_read_end(st, txn);
	kt_store_close(st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}
