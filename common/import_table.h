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

/* The cells of the row a reader is collecting: their bytes one after
 * another, each ended by a NUL. Zero-initialise; free rb_buf. */
typedef struct kt_irowbuf {
	char *rb_buf;
	size_t rb_len, rb_cap;
	size_t rb_offs[KT_IMPORT_COLS_MAX];
	const char *rb_cells[KT_IMPORT_COLS_MAX];
	size_t rb_ncells;            /* <= KT_IMPORT_COLS_MAX */
} kt_irowbuf_t;

/* kt_irowbuf_put appends a cell of n bytes (the caller keeps rb_ncells
 * below KT_IMPORT_COLS_MAX). Returns 0 or KT_ENOMEM (import_csv.c). */
int kt_irowbuf_put(kt_irowbuf_t *b, const char *v, size_t n);

/* kt_irowbuf_cells points rb_cells at the cells collected and returns
 * them, valid until the next put. */
const char *const *kt_irowbuf_cells(kt_irowbuf_t *b);

#endif
