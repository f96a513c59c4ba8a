/* SPDX-License-Identifier: MIT */
/* Reading a CSV file for import (libcsv): UTF-8 with or without a BOM or
 * Windows-1251 (converted with iconv), delimiter ';', ',' or tab (or
 * guessed from the first line), quoted fields with delimiters, quotes and
 * line breaks inside. Rows go to a kt_irow_fn with the line they start
 * on. */
#ifndef KT_IMPORT_CSV_H
#define KT_IMPORT_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "import_table.h"

typedef enum kt_ienc {
	KT_IENC_AUTO = 0,    /* a BOM or valid UTF-8: UTF-8; else cp1251 */
	KT_IENC_UTF8,
	KT_IENC_CP1251,
} kt_ienc_t;

/* What the reader chose (for "reading FILE as cp1251, ';'"). */
typedef struct kt_csv_info {
	kt_ienc_t ci_encoding;   /* never AUTO after a read */
	int ci_bom;              /* a UTF-8 BOM was skipped */
	char ci_delimiter;       /* ';', ',' or '\t' */
	size_t ci_rows;          /* rows handed to the callback */
} kt_csv_info_t;

/* "utf-8", "cp1251" (for messages). */
const char *kt_ienc_name(kt_ienc_t e);

/* kt_csv_delimiter_guess: the delimiter of the first line of data (len
 * bytes, UTF-8 or cp1251): the most frequent of ';', ',' and tab outside
 * quotes, ';' on a tie or when there is none. */
char kt_csv_delimiter_guess(const uint8_t *data, size_t len);

/* kt_csv_read reads the whole file in data (len bytes) and calls fn for
 * every row that is not blank, the header row included.
 *   [in]  enc        KT_IENC_AUTO, or the encoding to assume
 *   [in]  delimiter  ';', ',', '\t', or 0 to guess (kt_csv_delimiter_guess)
 *   [out] info       may be NULL
 *   [out] err        on KT_EINVAL: what is wrong and where ("line 12: not
 *                    valid UTF-8 (try --encoding cp1251)")
 * Cells are never trusted: each is checked to be valid UTF-8 after the
 * conversion; a cell with a NUL byte, a row wider than KT_IMPORT_COLS_MAX
 * or a cell longer than KT_IMPORT_CELL_MAX reaches fn with ir_error set.
 * A quote left open runs to the end of the file (that row then fails the
 * cell limit).
 * Returns 0, KT_EINVAL (the file cannot be read in enc; err), KT_ENOMEM,
 * or fn's non-zero return. */
int kt_csv_read(const uint8_t *data, size_t len, kt_ienc_t enc,
    char delimiter, kt_irow_fn fn, void *arg, kt_csv_info_t *info,
    char *err, size_t cap);

/* kt_cp1251_to_utf8 converts len bytes of Windows-1251 into *out
 * (malloc'd, NUL-terminated, *outlen bytes without the NUL; the caller
 * frees it). The one undefined byte (0x98) is an error naming its line.
 * Returns 0, KT_EINVAL (err) or KT_ENOMEM. */
int kt_cp1251_to_utf8(const uint8_t *data, size_t len, char **out,
    size_t *outlen, char *err, size_t cap);

#endif
