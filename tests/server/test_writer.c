/* SPDX-License-Identifier: MIT */
/* Tests for server/writer.c: group commit, isolation of failing mutations,
 * completions on the loop thread, draining on stop. */
#include <ftw.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_test.h"

#include "kt_error.h"
#include "model/store.h"
#include "model/writer.h"

static int
rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* One store, one loop, one writer per test. */
typedef struct fixture {
	char dir[32];
	kt_store_t *st;
	uv_loop_t loop;
	kt_writer_t *w;
	pthread_t loop_thread;
	sem_t gate;          /* the gate mutation waits on it */
	sem_t entered;       /* posted when the gate mutation holds the writer */
	unsigned expected;   /* completions to wait for */
	unsigned done;
} fixture_t;

static fixture_t *
fx_new(size_t map_size)
{
	fixture_t *fx = calloc(1, sizeof *fx);
	kt_store_opts_t o = { .map_size = map_size };

	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/kt-writer-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	assert_int_equal(kt_store_open_ex(&fx->st, fx->dir, KT_STORE_CREATE,
	    &o), 0);
	assert_int_equal(uv_loop_init(&fx->loop), 0);
	fx->loop_thread = pthread_self();
	assert_int_equal(sem_init(&fx->gate, 0, 0), 0);
	assert_int_equal(sem_init(&fx->entered, 0, 0), 0);
	assert_int_equal(kt_writer_start(&fx->w, fx->st, &fx->loop), 0);
	return fx;
}

static void
fx_free(fixture_t *fx)
{
	kt_writer_stop(fx->w);
	fx->w = NULL;
	/* Lets the async handle close. */
	assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&fx->loop), 0);
	kt_store_close(fx->st);
	sem_destroy(&fx->gate);
	sem_destroy(&fx->entered);
	assert_int_equal(nftw(fx->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
	free(fx);
}

/* Runs the loop until fx->expected completions have run. */
static void
fx_wait(fixture_t *fx)
{
	while (fx->done < fx->expected)
		uv_run(&fx->loop, UV_RUN_ONCE);
}

/* A mutation writing key id; fails with fail_rc after writing if set. */
typedef struct mut {
	fixture_t *fx;
	uint64_t id;
	size_t size;          /* value size, default 8 */
	int fail_rc;
	bool gate;            /* wait on fx->gate first */
	int status;
	bool completed;
	bool fn_on_loop;
	bool done_on_loop;
	bool resubmit;        /* done() submits again (stop test) */
	int resubmit_rc;
} mut_t;

static int
mut_fn(kt_store_t *st, MDB_txn *txn, void *arg)
{
	mut_t *m = arg;
	uint8_t key[8];
	MDB_val k = { .mv_size = 8, .mv_data = key }, v;
	int rc;

	if (m->gate) {
		/* Hold the writer so everything else queues up. */
		sem_post(&m->fx->entered);
		sem_wait(&m->fx->gate);
		m->gate = false;
	}
	m->fn_on_loop = pthread_equal(pthread_self(), m->fx->loop_thread);
	kt_store_be64(key, m->id);
	v.mv_size = m->size ? m->size : 8;
	v.mv_data = NULL;
	rc = mdb_put(txn, kt_store_dbs(st)->branches, &k, &v, MDB_RESERVE);
	if (rc != 0)
		return kt_store_err(rc);
	memset(v.mv_data, (int)(m->id & 0xff), v.mv_size);
	return m->fail_rc;
}

static void
mut_done(int status, void *arg)
{
	mut_t *m = arg;

	assert_false(m->completed);
	m->completed = true;
	m->status = status;
	m->done_on_loop = pthread_equal(pthread_self(), m->fx->loop_thread);
	m->fx->done++;
	if (m->resubmit)
		m->resubmit_rc = kt_writer_submit(m->fx->w, mut_fn, NULL, m);
}

static bool
key_present(fixture_t *fx, uint64_t id)
{
	MDB_txn *txn;
	uint8_t key[8];
	MDB_val k = { .mv_size = 8, .mv_data = key }, v;
	int rc;

	assert_int_equal(kt_store_read_begin(fx->st, &txn), 0);
	kt_store_be64(key, id);
	rc = mdb_get(txn, kt_store_dbs(fx->st)->branches, &k, &v);
	kt_store_read_end(fx->st, txn);
	assert_true(rc == 0 || rc == MDB_NOTFOUND);
	return rc == 0;
}

/* ---- tests ------------------------------------------------------------ */

static void
batches_mutations(void **state)
{
	enum { N = 1000 };
	fixture_t *fx = fx_new(0);
	mut_t *m = calloc(N, sizeof *m);
	mut_t g = { .fx = fx, .id = N, .gate = true };
	kt_writer_stats_t s;

	(void)state;
	assert_non_null(m);
	/* The writer is held inside the gate mutation while all 1000 are
	 * queued, so they wait for it together: no timing involved. */
	assert_int_equal(kt_writer_submit(fx->w, mut_fn, mut_done, &g), 0);
	sem_wait(&fx->entered);
	for (unsigned i = 0; i < N; i++) {
		m[i].fx = fx;
		m[i].id = i;
		assert_int_equal(kt_writer_submit(fx->w, mut_fn, mut_done,
		    &m[i]), 0);
	}
	sem_post(&fx->gate);
	fx->expected = N + 1;
	fx_wait(fx);
	for (unsigned i = 0; i < N; i++) {
		assert_true(m[i].completed);
		assert_int_equal(m[i].status, 0);
	}
	kt_writer_get_stats(fx->w, &s);
	assert_true(s.mutations == N + 1);
	assert_true(s.batches < s.mutations);
	assert_true(s.max_batch >= N);
	assert_true(key_present(fx, 0) && key_present(fx, N - 1));
	free(m);
	fx_free(fx);
}

static void
failing_mutation_isolated(void **state)
{
	enum { N = 10 };
	fixture_t *fx = fx_new(0);
	mut_t g = { .fx = fx, .id = 100, .gate = true };
	mut_t m[N];
	kt_writer_stats_t s;

	(void)state;
	memset(m, 0, sizeof m);
	assert_int_equal(kt_writer_submit(fx->w, mut_fn, mut_done, &g), 0);
	sem_wait(&fx->entered); /* the writer holds g: the ten queue behind */
	for (unsigned i = 0; i < N; i++) {
		m[i].fx = fx;
		m[i].id = i;
		if (i == 5)
			m[i].fail_rc = KT_EINVAL;
		assert_int_equal(kt_writer_submit(fx->w, mut_fn, mut_done,
		    &m[i]), 0);
	}
	/* The ten are queued behind the gate: one batch. */
	sem_post(&fx->gate);
	fx->expected = N + 1;
	fx_wait(fx);
	kt_writer_get_stats(fx->w, &s);
	assert_true(s.max_batch >= N);
	assert_int_equal(g.status, 0);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(m[i].status, i == 5 ? KT_EINVAL : 0);
		/* The failing one's own write was undone, no one else's. */
		assert_int_equal(key_present(fx, i), i != 5);
	}
	fx_free(fx);
}

static void
completions_on_loop_thread(void **state)
{
	enum { N = 50 };
	fixture_t *fx = fx_new(0);
	mut_t m[N];

	(void)state;
	memset(m, 0, sizeof m);
	for (unsigned i = 0; i < N; i++) {
		m[i].fx = fx;
		m[i].id = i;
		assert_int_equal(kt_writer_submit(fx->w, mut_fn, mut_done,
		    &m[i]), 0);
		/* Some before, some while the loop runs. */
		if (i % 10 == 9)
			uv_run(&fx->loop, UV_RUN_NOWAIT);
	}
	fx->expected = N;
	fx_wait(fx);
	for (unsigned i = 0; i < N; i++) {
		assert_false(m[i].fn_on_loop);
		assert_true(m[i].done_on_loop);
	}
	fx_free(fx);
}

static void
stop_drains(void **state)
{
	enum { N = 100 };
	fixture_t *fx = fx_new(0);
	mut_t m[N];

	(void)state;
	memset(m, 0, sizeof m);
	for (unsigned i = 0; i < N; i++) {
		m[i].fx = fx;
		m[i].id = i;
		m[i].resubmit = i == N - 1;
		assert_int_equal(kt_writer_submit(fx->w, mut_fn, mut_done,
		    &m[i]), 0);
	}
	/* The loop never ran: stop commits and completes everything. */
	kt_writer_stop(fx->w);
	assert_int_equal(fx->done, N);
	for (unsigned i = 0; i < N; i++) {
		assert_true(m[i].completed);
		assert_int_equal(m[i].status, 0);
		assert_true(m[i].done_on_loop);
		assert_true(key_present(fx, i));
	}
	/* A completion that submits during stop is refused. */
	assert_int_equal(m[N - 1].resubmit_rc, KT_ESHUTDOWN);
	fx->w = NULL;
	fx_free(fx);
}

static void
batch_grows_map(void **state)
{
	enum { N = 40 };
	fixture_t *fx = fx_new(1u << 20);
	mut_t g = { .id = 1000, .gate = true };
	mut_t m[N];
	MDB_envinfo info;

	(void)state;
	g.fx = fx;
	memset(m, 0, sizeof m);
	assert_int_equal(kt_writer_submit(fx->w, mut_fn, mut_done, &g), 0);
	sem_wait(&fx->entered);
	for (unsigned i = 0; i < N; i++) {
		m[i].fx = fx;
		m[i].id = i;
		m[i].size = 100 * 1024;  /* 4 MiB in one batch, 1 MiB map */
		assert_int_equal(kt_writer_submit(fx->w, mut_fn, mut_done,
		    &m[i]), 0);
	}
	sem_post(&fx->gate);
	fx->expected = N + 1;
	fx_wait(fx);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(m[i].status, 0);
		assert_true(key_present(fx, i));
	}
	assert_int_equal(mdb_env_info(kt_store_env(fx->st), &info), 0);
	assert_true(info.me_mapsize >= 4u << 20);
	fx_free(fx);
}

static void
stop_null_and_idle(void **state)
{
	fixture_t *fx = fx_new(0);
	kt_writer_stats_t s;

	(void)state;
	kt_writer_stop(NULL);
	kt_writer_get_stats(fx->w, &s);
	assert_true(s.batches == 0 && s.mutations == 0 && s.max_batch == 0);
	fx_free(fx);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(batches_mutations),
	cmocka_unit_test(failing_mutation_isolated),
	cmocka_unit_test(completions_on_loop_thread),
	cmocka_unit_test(stop_drains),
	cmocka_unit_test(batch_grows_map),
	cmocka_unit_test(stop_null_and_idle),
};

KT_TEST_MAIN(tests)
