/* SPDX-License-Identifier: MIT */
/* The shape every import reader hands its rows in (CSV in import_csv.c,
 * xlsx in import_xlsx.c): one row at a time, cells as NUL-terminated
 * UTF-8, with the line (or sheet row) the row starts on, so that the
 * mapper (import_map.c) and the reports can name it. */
#ifndef KT_IMPORT_TABLE_H
#define KT_IMPORT_TABLE_H

#include <stddef.h>

/* Limits of what a reader accepts from a hostile file: past them a row
 * is handed on with its error set (the reading goes on). */
#define KT_IMPORT_COLS_MAX 256u          /* cells of one row */
#define KT_IMPORT_CELL_MAX (32u * 1024)  /* bytes of one cell */

/* One row. Everything it points to belongs to the reader and is valid
 * only during the callback. */
typedef struct kt_irow {
	size_t ir_line;              /* 1-based: the file's line where the
					row starts (CSV), the sheet's row
					number (xlsx) */
	size_t ir_ncells;
	const char *const *ir_cells; /* ir_ncells strings, UTF-8 checked by
					the reader ("" for an empty cell) */
	const char *ir_error;        /* NULL, or why the row could not be
					read whole ("column 3: more than
					32768 bytes"): refuse it */
} kt_irow_t;

/* Called for each row in file order; a non-zero return stops the reading
 * and is returned by the reader. */
typedef int (*kt_irow_fn)(const kt_irow_t *row, void *arg);

#endif
