/* SPDX-License-Identifier: MIT */
/* For the tests of the import readers (test_import_csv.c,
 * test_import_xlsx.c): a row callback that writes every row it gets as
 * "LINE:cell|cell|...[!error]\n" into one text, to compare whole. */
#ifndef KT_TEST_IMPORT_ROWS_H
#define KT_TEST_IMPORT_ROWS_H

#include <stdio.h>

#include "import_table.h"

typedef struct seen {
	char text[8192];
	size_t len;
	size_t stop_after;     /* return 7 after this many rows; 0 never */
	size_t rows;
} seen_t;

static int
collect(const kt_irow_t *row, void *arg)
{
	seen_t *s = arg;

	s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len,
	    "%zu:", row->ir_line);
	for (size_t i = 0; i < row->ir_ncells; i++)
		s->len += (size_t)snprintf(s->text + s->len,
		    sizeof(s->text) - s->len, "%s%s", i ? "|" : "",
		    row->ir_cells[i]);
	if (row->ir_error)
		s->len += (size_t)snprintf(s->text + s->len,
		    sizeof(s->text) - s->len, "!%s", row->ir_error);
	s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len,
	    "\n");
	s->rows++;
	return s->stop_after && s->rows >= s->stop_after ? 7 : 0;
}

#endif
