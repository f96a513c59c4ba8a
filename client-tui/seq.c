/* SPDX-License-Identifier: MIT */
/* The debounce and answer ordering of search as you type. */
#include "seq.h"

void
tui_seq_init(tui_seq_t *q)
{
	q->sq_due_ms = -1;
	q->sq_issued = 0;
	q->sq_shown = 0;
}

void
tui_seq_touch(tui_seq_t *q, int64_t now_ms)
{
	q->sq_due_ms = now_ms + TUI_DEBOUNCE_MS;
}

int
tui_seq_timeout(const tui_seq_t *q, int64_t now_ms)
{
	int64_t left;

	if (q->sq_due_ms < 0)
		return -1;
	left = q->sq_due_ms - now_ms;
	if (left <= 0)
		return 0;
	return left > TUI_DEBOUNCE_MS ? TUI_DEBOUNCE_MS : (int)left;
}

uint64_t
tui_seq_take(tui_seq_t *q, int64_t now_ms)
{
	if (q->sq_due_ms < 0 || now_ms < q->sq_due_ms)
		return 0;
	q->sq_due_ms = -1;
	return ++q->sq_issued;
}

int
tui_seq_accept(tui_seq_t *q, uint64_t seq)
{
	if (seq == 0 || seq <= q->sq_shown || seq > q->sq_issued)
		return 0;
	q->sq_shown = seq;
	return 1;
}

int
tui_seq_waiting(const tui_seq_t *q)
{
	return q->sq_issued > q->sq_shown;
}
