/* SPDX-License-Identifier: MIT */
/* Reading an .xlsx workbook for import (libzip + expat): the shared
 * strings, the workbook's sheet names, and the rows of one sheet (the
 * first, or one named), handed on as kt_irow_t rows numbered as Excel
 * numbers them. Numbers are passed as written in the sheet (an Excel date
 * is its serial number: the mapper reads those). */
#ifndef KT_IMPORT_XLSX_H
#define KT_IMPORT_XLSX_H

#include <stddef.h>
#include <stdint.h>

#include "import_table.h"

/* 1 when data starts like a zip archive (an .xlsx is one). */
int kt_xlsx_looks_like(const uint8_t *data, size_t len);

/* kt_xlsx_read reads the workbook in data (len bytes) and calls fn for
 * each row of sheet (NULL: the first sheet) that has a cell, in order.
 * Cells missing between others are empty strings; a row's cells stop at
 * its last cell. Hostile archives are bounded: at most 256 MiB of any
 * part is inflated, at most KT_IMPORT_COLS_MAX columns (a cell past them
 * flags its row) and 1,048,576 rows, each cell at most
 * KT_IMPORT_CELL_MAX bytes (longer: the row is flagged).
 *   [out] sheet_used  may be NULL; the name of the sheet read, copied
 *                     into sheet_used[cap_used]
 *   [out] err         on KT_EINVAL: what is wrong ("no sheet named 'X'
 *                     (sheets: A, B)", "not an .xlsx file: ...")
 * Returns 0, KT_EINVAL, KT_ENOMEM, or fn's non-zero return. */
int kt_xlsx_read(const uint8_t *data, size_t len, const char *sheet,
    kt_irow_fn fn, void *arg, char *sheet_used, size_t cap_used, char *err,
    size_t cap);

#endif
