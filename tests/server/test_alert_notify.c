/* SPDX-License-Identifier: MIT */
/* Tests for server/jobs/alert_notify.c: the JSON of an alert, and a real
 * /bin/sh command fed one alert at a time, in order, with what it passed
 * kept in the store and a failing command not marking anything passed. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/model_fixture.h"

#include "jobs/alert_notify.h"
#include "model/alert_store.h"
#include "model/writer.h"

static void
json_escapes_and_names(void **state)
{
	Ktstore__AlertRecord rec = KTSTORE__ALERT_RECORD__INIT;
	char out[512], small[40];
	size_t len = 0;

	(void)state;
	rec.id = 7;
	rec.time_ms = 1796085000000;
	rec.kind = KT_ALERT_QUOTA_SPENT;
	rec.user_id = 3;
	rec.client_id = 12;
	rec.count = 200;
	rec.limit = 200;
	rec.detail = "a \"quoted\"\\ line\nand a tab\t";
	assert_int_equal(kt_alert_json(&rec, "маша", "desk-1", out,
	    sizeof(out), &len), 0);
	assert_int_equal(len, strlen(out));
	assert_string_equal(out, "{\"id\":7,\"time\":\"2026-12-01T00:30:00Z\","
	    "\"kind\":\"quota.spent\",\"what\":\"a daily quota used up\","
	    "\"user\":\"маша\",\"terminal\":\"desk-1\",\"client_id\":12,"
	    "\"other_client_id\":0,\"count\":200,\"limit\":200,\"detail\":"
	    "\"a \\\"quoted\\\"\\\\ line\\u000aand a tab\\u0009\"}\n");
	/* Never cut: too small a buffer is an error. */
	assert_int_equal(kt_alert_json(&rec, "маша", "desk-1", small,
	    sizeof(small), &len), KT_ETOOBIG);
}

typedef struct raise_job {
	kt_alert_kind_t kind;
	uint64_t user;
} raise_job_t;

static int
raise_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	raise_job_t *j = arg;
	kt_alert_t a = { .kind = j->kind, .user = j->user, .count = 1,
		.detail = "x" };

	return kt_alert_raise(st, txn, &a, NULL);
}

static uint64_t
sent_of(mfx_t *f)
{
	MDB_txn *txn;
	MDB_val k = { 10, "alert_sent" }, v;
	uint64_t id = 0;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	if (mdb_get(txn, f->db->meta, &k, &v) == 0 && v.mv_size == 8)
		id = kt_store_get_be64(v.mv_data);
	kt_store_read_end(f->st, txn);
	return id;
}

static size_t
lines_of(const char *path)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;
	int ch;

	if (fp == NULL)
		return 0;
	while ((ch = fgetc(fp)) != EOF)
		n += ch == '\n';
	fclose(fp);
	return n;
}

/* Runs n on loop until done(f) or about 20 s have passed. */
static void
run_until(uv_loop_t *loop, kt_alert_notify_t *n, mfx_t *f, uint64_t sent)
{
	for (int i = 0; i < 2000 && sent_of(f) != sent; i++) {
		kt_alert_notify_tick(n);
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(10000);
	}
}

static void
command_gets_each_alert_in_order(void **state)
{
	mfx_t *f = *state;
	uv_loop_t loop;
	kt_writer_t *w = NULL;
	kt_alert_notify_t *n = NULL;
	raise_job_t j1 = { KT_ALERT_MERGE, 2 }, j2 = { KT_ALERT_EXPORT, 1 };
	char out[128], cmd[256], line[1024];
	FILE *fp;

	snprintf(out, sizeof(out), "%s/alerts.out", f->dir);
	snprintf(cmd, sizeof(cmd), "cat >> '%s'", out);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(kt_writer_start(&w, f->st, &loop), 0);
	assert_int_equal(kt_store_write_sync(f->st, raise_mut, &j1), 0);
	assert_int_equal(kt_store_write_sync(f->st, raise_mut, &j2), 0);
	assert_int_equal(kt_alert_notify_start(&n, &loop, f->st, w, cmd), 0);
	assert_non_null(n);
	run_until(&loop, n, f, 2);
	assert_true(sent_of(f) == 2);
	assert_int_equal(lines_of(out), 2);
	fp = fopen(out, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_non_null(strstr(line, "\"id\":1,"));
	assert_non_null(strstr(line, "\"kind\":\"client.duplicate\""));
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_non_null(strstr(line, "\"id\":2,"));
	fclose(fp);
	/* Nothing new: nothing runs again. */
	for (int i = 0; i < 5; i++) {
		kt_alert_notify_tick(n);
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	assert_int_equal(lines_of(out), 2);
	kt_alert_notify_stop(n);
	kt_writer_stop(w);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	/* A restart goes on after the last one passed. */
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(kt_writer_start(&w, f->st, &loop), 0);
	assert_int_equal(kt_store_write_sync(f->st, raise_mut, &j1), 0);
	assert_int_equal(kt_alert_notify_start(&n, &loop, f->st, w, cmd), 0);
	run_until(&loop, n, f, 3);
	assert_int_equal(lines_of(out), 3);
	kt_alert_notify_stop(n);
	kt_writer_stop(w);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void
failing_command_passes_nothing(void **state)
{
	mfx_t *f = *state;
	uv_loop_t loop;
	kt_writer_t *w = NULL;
	kt_alert_notify_t *n = NULL;
	raise_job_t j = { KT_ALERT_LOCKOUT, 1 };
	char out[128], cmd[256];

	snprintf(out, sizeof(out), "%s/tries", f->dir);
	snprintf(cmd, sizeof(cmd), "echo x >> '%s'; exit 3", out);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(kt_writer_start(&w, f->st, &loop), 0);
	assert_int_equal(kt_store_write_sync(f->st, raise_mut, &j), 0);
	assert_int_equal(kt_alert_notify_start(&n, &loop, f->st, w, cmd), 0);
	for (int i = 0; i < 2000 && lines_of(out) == 0; i++) {
		kt_alert_notify_tick(n);
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(10000);
	}
	assert_int_equal(lines_of(out), 1);
	/* Let the exit be seen, then tick: the retry waits (seconds), so
	 * no second try starts at once, and nothing is marked passed. */
	for (int i = 0; i < 50; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(2000);
	}
	kt_alert_notify_tick(n);
	assert_true(sent_of(f) == 0);
	kt_alert_notify_stop(n);
	kt_writer_stop(w);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_true(sent_of(f) == 0);
}

static void
no_command_no_job(void **state)
{
	mfx_t *f = *state;
	kt_alert_notify_t *n = (kt_alert_notify_t *)1;
	uv_loop_t loop;

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(kt_alert_notify_start(&n, &loop, f->st, NULL, ""), 0);
	assert_null(n);
	kt_alert_notify_tick(NULL);
	kt_alert_notify_stop(NULL);
	assert_int_equal(uv_loop_close(&loop), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, mfx_setup, mfx_teardown)

/* As kartotekad's main: a command that exits without reading its input
 * must not kill the writer with SIGPIPE. */
static int
ignore_sigpipe(void **state)
{
	signal(SIGPIPE, SIG_IGN);
	return mfx_setup(state);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(json_escapes_and_names),
	T(command_gets_each_alert_in_order),
	cmocka_unit_test_setup_teardown(failing_command_passes_nothing,
	    ignore_sigpipe, mfx_teardown),
	T(no_command_no_job),
};

KT_TEST_MAIN(tests)
