/* SPDX-License-Identifier: MIT */
/* Tests for client-tui/seq.c: the debounce of search as you type and the
 * rule that an older answer never replaces a newer one. */
#include "kt_test.h"

#include "seq.h"

static void
nothing_due_sleeps(void **state)
{
	tui_seq_t q;
	(void)state;
	tui_seq_init(&q);
	assert_int_equal(tui_seq_timeout(&q, 1000), -1);
	assert_int_equal(tui_seq_take(&q, 1000), 0);
	assert_false(tui_seq_waiting(&q));
}

static void
typing_pushes_back(void **state)
{
	tui_seq_t q;
	(void)state;
	tui_seq_init(&q);
	tui_seq_touch(&q, 1000);
	assert_int_equal(tui_seq_timeout(&q, 1000), TUI_DEBOUNCE_MS);
	assert_int_equal(tui_seq_take(&q, 1100), 0);
	tui_seq_touch(&q, 1100);                /* another key */
	assert_int_equal(tui_seq_take(&q, 1000 + TUI_DEBOUNCE_MS), 0);
	assert_int_equal(tui_seq_timeout(&q, 1200), 50);
	assert_int_equal(tui_seq_take(&q, 1100 + TUI_DEBOUNCE_MS), 1);
	/* Taken once: nothing due any more. */
	assert_int_equal(tui_seq_timeout(&q, 5000), -1);
	assert_int_equal(tui_seq_take(&q, 5000), 0);
	assert_true(tui_seq_waiting(&q));
}

static void
older_answer_dropped(void **state)
{
	tui_seq_t q;
	uint64_t a, b;
	(void)state;
	tui_seq_init(&q);
	tui_seq_touch(&q, 0);
	a = tui_seq_take(&q, 1000);
	tui_seq_touch(&q, 1000);
	b = tui_seq_take(&q, 2000);
	assert_true(b > a);
	/* The newer answer comes first: shown; the older one then dropped. */
	assert_true(tui_seq_accept(&q, b));
	assert_false(tui_seq_waiting(&q));
	assert_false(tui_seq_accept(&q, a));
	/* In order, both are shown as they come. */
	tui_seq_touch(&q, 2000);
	a = tui_seq_take(&q, 3000);
	tui_seq_touch(&q, 3000);
	b = tui_seq_take(&q, 4000);
	assert_true(tui_seq_accept(&q, a));
	assert_true(tui_seq_waiting(&q));
	assert_true(tui_seq_accept(&q, b));
	assert_false(tui_seq_accept(&q, b));    /* not twice */
}

static void
unknown_sequences_refused(void **state)
{
	tui_seq_t q;
	(void)state;
	tui_seq_init(&q);
	assert_false(tui_seq_accept(&q, 0));
	assert_false(tui_seq_accept(&q, 1));    /* never sent */
	tui_seq_touch(&q, 0);
	assert_int_equal(tui_seq_take(&q, 1000), 1);
	assert_false(tui_seq_accept(&q, 2));
	assert_true(tui_seq_accept(&q, 1));
}

int
main(int argc, char **argv);
static const struct CMUnitTest tests[] = {
	cmocka_unit_test(nothing_due_sleeps),
	cmocka_unit_test(typing_pushes_back),
	cmocka_unit_test(older_answer_dropped),
	cmocka_unit_test(unknown_sequences_refused),
};
KT_TEST_MAIN(tests)
