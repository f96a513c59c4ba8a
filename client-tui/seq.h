/* SPDX-License-Identifier: MIT */
/* Search as you type without flooding the server or showing stale rows: a
 * debounce (a request goes out once typing pauses) and a sequence (an
 * answer to an older text never replaces the answer to a newer one). */
#ifndef KT_TUI_SEQ_H
#define KT_TUI_SEQ_H

#include <stdint.h>

#define TUI_DEBOUNCE_MS 150

typedef struct tui_seq {
	int64_t sq_due_ms;     /* when the typed text is to be sent; -1: none */
	uint64_t sq_issued;    /* sequence number of the newest request sent */
	uint64_t sq_shown;     /* sequence of the answer on screen, 0: none */
} tui_seq_t;

/* Starts with nothing due, nothing sent, nothing shown. */
void tui_seq_init(tui_seq_t *q);

/* The text changed at now_ms: the request is due TUI_DEBOUNCE_MS after
 * the last change (each key press pushes it back). */
void tui_seq_touch(tui_seq_t *q, int64_t now_ms);

/* Milliseconds until the request is due (0: now), or -1 when none is: the
 * event loop's poll() time-out, so nothing wakes while nothing is due. */
int tui_seq_timeout(const tui_seq_t *q, int64_t now_ms);

/* When a request is due at now_ms, clears the due time and returns its new
 * sequence number (> 0) to send with it; otherwise returns 0. */
uint64_t tui_seq_take(tui_seq_t *q, int64_t now_ms);

/* An answer to the request with sequence seq arrived: returns 1 if it is
 * to be shown (it is newer than what is shown; it becomes what is shown),
 * 0 if it is older and to be dropped. */
int tui_seq_accept(tui_seq_t *q, uint64_t seq);

/* 1 while a request sent is newer than the answer shown (a spinner). */
int tui_seq_waiting(const tui_seq_t *q);

#endif
