/* SPDX-License-Identifier: MIT */
/* The writer thread: takes every queued mutation, runs them in one durable
 * LMDB transaction (each in a nested one) and hands the results back to
 * the event loop through a uv_async handle. */
#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

#include "kt_error.h"
#include "model/writer.h"

typedef kt_writer_item_t wr_item_t;

typedef struct wr_list {
	wr_item_t *head;
	wr_item_t *tail;
} wr_list_t;

struct kt_writer {
	kt_store_t *wr_store;
	uv_loop_t *wr_loop;
	uv_async_t *wr_async;          /* own allocation: freed by its close cb */
	pthread_t wr_thread;
	pthread_mutex_t wr_mu;         /* guards everything below */
	pthread_cond_t wr_cv;          /* queue not empty, or stopping */
	wr_list_t wr_queue;            /* submitted, not yet taken */
	wr_list_t wr_done;             /* finished, done() not yet run */
	bool wr_stopping;              /* no more submits; thread exits when idle */
	kt_writer_stats_t wr_stats;
};

/* A batch as seen by the transaction body. */
typedef struct wr_batch {
	wr_item_t *head;
	bool nested;         /* each mutation in its own nested transaction */
	bool failed;         /* the flat run met a failing mutation */
} wr_batch_t;

static void
list_append(wr_list_t *l, wr_item_t *head, wr_item_t *tail)
{
	if (head == NULL)
		return;
	if (l->tail != NULL)
		l->tail->next = head;
	else
		l->head = head;
	l->tail = tail;
}

/* ---- writer thread ---------------------------------------------------- */

/* Transaction body of a batch. First flat: every mutation straight in the
 * batch's transaction. Mutations nearly never fail (a refusal is an
 * answer, not an error), and a nested transaction per mutation costs
 * LMDB a dirty-page list of its own and a copy of every page it touches
 * that the batch had dirtied already. When one does fail, the flat run is
 * given up (b->failed) and the batch runs again nested, each mutation in
 * its own child transaction, so the failing one is undone alone. Returns
 * KT_ENOSPC when the map is full (kt_store_write_sync then grows it and
 * runs the whole batch again), or another error. */
static int
run_batch(kt_store_t *st, MDB_txn *txn, void *arg)
{
	wr_batch_t *b = arg;
	MDB_env *env = kt_store_env(st);

	for (wr_item_t *it = b->head; it != NULL; it = it->next) {
		MDB_txn *child = NULL;
		int rc;

		if (it->skip)
			continue;
		if (!b->nested) {
			rc = it->fn(st, txn, it->arg);
			if (rc != 0 && rc != KT_ENOSPC)
				b->failed = true;
			if (rc != 0)
				return rc;
			it->status = 0;
			continue;
		}
		if ((rc = mdb_txn_begin(env, txn, 0, &child)) != 0)
			return kt_store_err(rc);
		rc = it->fn(st, child, it->arg);
		if (rc == 0)
			rc = kt_store_err(mdb_txn_commit(child));
		else
			mdb_txn_abort(child);
		if (rc == KT_ENOSPC)
			return KT_ENOSPC;
		it->status = rc;
	}
	return 0;
}

/* Runs the items of b not skipped in one durable transaction (in the
 * store's reserve when reserve), flat and then, if one failed, nested;
 * sets the status of each item run (every one of them to the error when
 * nothing was written). Returns 0 or the transaction's error. */
static int
run_all(kt_writer_t *w, wr_batch_t *b, int reserve)
{
	int (*write)(kt_store_t *, kt_store_mutation_fn, void *) = reserve ?
	    kt_store_write_sync_reserve : kt_store_write_sync;
	int rc;

	b->nested = false;
	b->failed = false;
	rc = write(w->wr_store, run_batch, b);
	if (rc != 0 && b->failed) {
		/* Mutations may run more than once: again, nested. */
		b->nested = true;
		rc = write(w->wr_store, run_batch, b);
	}
	if (rc != 0) {
		/* Nothing of the batch was written. */
		for (wr_item_t *it = b->head; it != NULL; it = it->next)
			if (!it->skip)
				it->status = rc;
	}
	return rc;
}

static void *
writer_main(void *arg)
{
	kt_writer_t *w = arg;

	for (;;) {
		wr_batch_t b;
		wr_item_t *tail;
		uint64_t n = 0, reserve = 0;
		int rc, rc2 = -1;

		pthread_mutex_lock(&w->wr_mu);
		while (w->wr_queue.head == NULL && !w->wr_stopping)
			pthread_cond_wait(&w->wr_cv, &w->wr_mu);
		if (w->wr_queue.head == NULL) {
			/* Stopping and drained. */
			pthread_mutex_unlock(&w->wr_mu);
			break;
		}
		b.head = w->wr_queue.head;
		tail = w->wr_queue.tail;
		w->wr_queue.head = w->wr_queue.tail = NULL;
		pthread_mutex_unlock(&w->wr_mu);

		for (wr_item_t *it = b.head; it != NULL; it = it->next) {
			it->status = 0;
			it->skip = 0;
			n++;
			reserve += it->reserve != 0;
		}
		rc = run_all(w, &b, 0);
		if (rc == KT_ENOSPC && reserve > 0) {
			/* The store is full: its reserve is for logins and the
			 * owner's alert, run again alone. */
			for (wr_item_t *it = b.head; it != NULL; it = it->next)
				it->skip = !it->reserve;
			rc2 = run_all(w, &b, 1);
		}

		pthread_mutex_lock(&w->wr_mu);
		if (rc == 0) {
			w->wr_stats.batches++;
			w->wr_stats.mutations += n;
			if (n > w->wr_stats.max_batch)
				w->wr_stats.max_batch = n;
		} else if (rc == KT_ENOSPC) {
			w->wr_stats.full++;
			if (rc2 == 0)
				w->wr_stats.batches++;
		}
		list_append(&w->wr_done, b.head, tail);
		pthread_mutex_unlock(&w->wr_mu);
		uv_async_send(w->wr_async);
	}
	return NULL;
}

/* ---- loop side -------------------------------------------------------- */

/* Runs done() for every finished mutation; on the loop thread. */
static void
run_completions(kt_writer_t *w)
{
	wr_item_t *it, *next;

	pthread_mutex_lock(&w->wr_mu);
	it = w->wr_done.head;
	w->wr_done.head = w->wr_done.tail = NULL;
	pthread_mutex_unlock(&w->wr_mu);
	for (; it != NULL; it = next) {
		/* done may free a caller-owned item: read it all first. */
		int owned = it->owned;
		next = it->next;
		if (it->done != NULL)
			it->done(it->status, it->arg);
		if (owned)
			free(it);
	}
}

static void
async_cb(uv_async_t *h)
{
	run_completions(h->data);
}

static void
async_close_cb(uv_handle_t *h)
{
	free(h);
}

int
kt_writer_start(kt_writer_t **out, kt_store_t *st, uv_loop_t *loop)
{
	kt_writer_t *w = NULL;
	sigset_t all, old;
	bool mu = false, cv = false;
	int rc;

	*out = NULL;
	if ((w = calloc(1, sizeof *w)) == NULL)
		return KT_ENOMEM;
	w->wr_store = st;
	w->wr_loop = loop;
	if ((w->wr_async = calloc(1, sizeof *w->wr_async)) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	if (pthread_mutex_init(&w->wr_mu, NULL) != 0) {
		rc = KT_ENOMEM;
		goto out;
	}
	mu = true;
	if (pthread_cond_init(&w->wr_cv, NULL) != 0) {
		rc = KT_ENOMEM;
		goto out;
	}
	cv = true;
	if (uv_async_init(loop, w->wr_async, async_cb) != 0) {
		rc = KT_EIO;
		goto out;
	}
	w->wr_async->data = w;
	/* Signals belong to the loop thread: the writer blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->wr_thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		uv_close((uv_handle_t *)w->wr_async, async_close_cb);
		w->wr_async = NULL;  /* freed by the loop */
		rc = KT_EIO;
		goto out;
	}
	*out = w;
	w = NULL;
	rc = 0;
out:
	if (w != NULL) {
		if (cv)
			pthread_cond_destroy(&w->wr_cv);
		if (mu)
			pthread_mutex_destroy(&w->wr_mu);
		free(w->wr_async);
		free(w);
	}
	return rc;
}

/* Queues it (its owned flag set by the caller). */
static int
submit(kt_writer_t *w, kt_writer_item_t *it, kt_store_mutation_fn fn,
    kt_writer_done_fn done, void *arg)
{
	bool wake;

	it->fn = fn;
	it->done = done;
	it->arg = arg;
	it->status = 0;
	it->next = NULL;
	pthread_mutex_lock(&w->wr_mu);
	if (w->wr_stopping) {
		pthread_mutex_unlock(&w->wr_mu);
		return KT_ESHUTDOWN;
	}
	/* The writer waits only on an empty queue: one wake-up per batch,
	 * not one per mutation. */
	wake = w->wr_queue.head == NULL;
	list_append(&w->wr_queue, it, it);
	if (wake)
		pthread_cond_signal(&w->wr_cv);
	pthread_mutex_unlock(&w->wr_mu);
	return 0;
}

int
kt_writer_submit_item(kt_writer_t *w, kt_writer_item_t *it,
    kt_store_mutation_fn fn, kt_writer_done_fn done, void *arg)
{
	it->owned = 0;
	return submit(w, it, fn, done, arg);
}

static int
submit_new(kt_writer_t *w, kt_store_mutation_fn fn, kt_writer_done_fn done,
    void *arg, int reserve)
{
	wr_item_t *it;
	int rc;

	if ((it = calloc(1, sizeof *it)) == NULL)
		return KT_ENOMEM;
	it->owned = 1;
	it->reserve = reserve;
	if ((rc = submit(w, it, fn, done, arg)) != 0)
		free(it);
	return rc;
}

int
kt_writer_submit(kt_writer_t *w, kt_store_mutation_fn fn,
    kt_writer_done_fn done, void *arg)
{
	return submit_new(w, fn, done, arg, 0);
}

int
kt_writer_submit_reserve(kt_writer_t *w, kt_store_mutation_fn fn,
    kt_writer_done_fn done, void *arg)
{
	return submit_new(w, fn, done, arg, 1);
}

void
kt_writer_stop(kt_writer_t *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->wr_mu);
	w->wr_stopping = true;
	pthread_cond_signal(&w->wr_cv);
	pthread_mutex_unlock(&w->wr_mu);
	pthread_join(w->wr_thread, NULL);
	/* Completions submitting new work now get KT_ESHUTDOWN. */
	run_completions(w);
	/* The handle is freed by its close callback on the next loop turn;
	 * w no longer needs it, so w goes now. */
	w->wr_async->data = NULL;
	uv_close((uv_handle_t *)w->wr_async, async_close_cb);
	pthread_cond_destroy(&w->wr_cv);
	pthread_mutex_destroy(&w->wr_mu);
	free(w);
}

void
kt_writer_get_stats(kt_writer_t *w, kt_writer_stats_t *out)
{
	pthread_mutex_lock(&w->wr_mu);
	*out = w->wr_stats;
	pthread_mutex_unlock(&w->wr_mu);
}
