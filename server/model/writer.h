/* SPDX-License-Identifier: MIT */
/* The writer thread: every mutation of the store goes through it. Queued
 * mutations are batched into one durable LMDB transaction (group commit),
 * then their completions run on the event loop. */
#ifndef KT_WRITER_H
#define KT_WRITER_H

#include <uv.h>

#include "model/store.h"

typedef struct kt_writer kt_writer_t;

/* Called on the loop thread after the batch holding the mutation committed
 * (status 0) or failed (the mutation's own error, or KT_ESTORE/KT_ENOSPC
 * when the commit failed: then nothing of the batch was written). */
typedef void (*kt_writer_done_fn)(int status, void *arg);

/* kt_writer_start starts the thread. The loop must outlive the writer.
 * Returns 0, KT_ENOMEM, KT_EIO (thread or uv_async creation failed). */
int kt_writer_start(kt_writer_t **out, kt_store_t *st, uv_loop_t *loop);

/* kt_writer_submit queues a mutation; called on the loop thread only.
 * fn runs on the writer thread; done runs later on the loop. arg is owned
 * by the caller and must stay valid until done has run.
 * fn may run more than once (see kt_store_mutation_fn).
 * Returns 0, KT_ESHUTDOWN (writer stopping; done is not called) or
 * KT_ENOMEM (done is not called). */
int kt_writer_submit(kt_writer_t *w, kt_store_mutation_fn fn,
    kt_writer_done_fn done, void *arg);

/* A queued mutation. kt_writer_submit_item takes one the caller owns (in
 * the request it belongs to: no allocation per submit); its fields are
 * the writer's until done has started. */
typedef struct kt_writer_item {
	kt_store_mutation_fn fn;          /* runs on the writer thread */
	kt_writer_done_fn done;           /* runs on the loop */
	void *arg;                        /* owned by the submitter */
	int status;                       /* handed to done */
	int owned;                        /* allocated by kt_writer_submit */
	int reserve;                      /* may use the store's reserve
					     (kt_store_set_max_size): set by
					     the submitter before submitting */
	int skip;                         /* the writer's own */
	struct kt_writer_item *next;
} kt_writer_item_t;

/* kt_writer_submit_item is kt_writer_submit with caller-owned storage it,
 * which must stay valid until done has been called (done may free it).
 * Returns 0 or KT_ESHUTDOWN (done is not called). */
int kt_writer_submit_item(kt_writer_t *w, kt_writer_item_t *it,
    kt_store_mutation_fn fn, kt_writer_done_fn done, void *arg);

/* kt_writer_submit_reserve is kt_writer_submit for a mutation that may
 * use the store's reserve (an owner's alert that the store is full). */
int kt_writer_submit_reserve(kt_writer_t *w, kt_store_mutation_fn fn,
    kt_writer_done_fn done, void *arg);

/* kt_writer_stop commits everything queued, runs the remaining completions
 * on the loop, joins the thread and frees w. Call on the loop thread, with
 * no read transaction open in it (growing the map would wait for it).
 * Submits made from completions run here get KT_ESHUTDOWN. Its uv_async
 * handle is closed here and freed by its close callback, so the caller
 * must let the loop run (uv_run) before uv_loop_close, as for any handle.
 * Accepts NULL. */
void kt_writer_stop(kt_writer_t *w);

/* Counters for the benchmark and logs. */
typedef struct kt_writer_stats {
	uint64_t batches;     /* committed transactions */
	uint64_t mutations;   /* mutations carried by them (failed ones too) */
	uint64_t max_batch;   /* largest batch */
	uint64_t full;        /* batches refused for space (KT_ENOSPC): their
				 reserve mutations, if any, were run again
				 alone in the reserve */
} kt_writer_stats_t;
void kt_writer_get_stats(kt_writer_t *w, kt_writer_stats_t *out);

#endif
