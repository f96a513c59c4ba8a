/* SPDX-License-Identifier: MIT */
/* Rendering the client base as a file (CSV, CSV for Excel, vCard 3.0) on
 * a thread-pool thread, within one read transaction: cards come one at a
 * time from kt_cquery_each, their text goes into a buffer of at most
 * KT_EXPORT_CHUNK bytes handed to a sink whenever it fills, and every byte
 * is hashed (BLAKE2b-256) on its way out. Knows nothing of requests or
 * connections: ops/export.c glues it to a stream of Responses.
 *
 * The formats (docs/PROTOCOL.md, "Export", says the same for users):
 * - csv: UTF-8 without BOM, ',' between cells, CRLF after each row, a
 *   header row, cells quoted ("") when they hold the separator, a quote,
 *   CR or LF, quotes doubled (RFC 4180). One row per card; the people of
 *   a family are flattened into three cells, in the order of the card:
 *   people "Name (relation, YYYY-MM-DD)" joined by "; ", phones (E.164)
 *   and e-mails joined by "; ".
 * - csv-excel: the same cells with a UTF-8 BOM and ';' between cells, so
 *   Excel in a Russian locale opens the file in columns.
 * - vCard 3.0: one VCARD per person (FN, N, TEL per phone, EMAIL, BDAY,
 *   ORG = the family's title, NOTE = relation, card id and note); a card
 *   without people gives one VCARD named after its title. Text is escaped
 *   (\\ \, \; \n), other control characters become spaces, lines are
 *   folded at 75 octets without splitting a UTF-8 character, CRLF.
 * - xlsx: an Excel workbook (libxlsxwriter) with the cells of csv, all as
 *   text, a header row on each sheet; a sheet holds at most 1,048,576
 *   rows, so the cards go on over further sheets ("clients", "clients
 *   2", ...). It is written into a temporary file (mode 0600, in a
 *   directory of its own under tmpdir, removed whatever happens) and
 *   then streamed: its bytes reach the sink only once the whole
 *   workbook is done.
 * CSV injection: a cell whose first character is = + - @, TAB or CR gets
 * an apostrophe in front ("'+79123456789"), in both CSV formats, so no
 * spreadsheet runs it as a formula. Strip one leading apostrophe before
 * such a character to get the stored text back. */
#ifndef KT_JOBS_EXPORT_H
#define KT_JOBS_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "model/client_query.h"
#include "model/store.h"

/* kartoteka.ExportFormat values. */
typedef enum kt_export_format {
	KT_EXPORT_CSV = 0,
	KT_EXPORT_CSV_EXCEL = 1,
	KT_EXPORT_VCARD = 2,
	KT_EXPORT_XLSX = 3,
	KT_EXPORT_FORMAT_COUNT
} kt_export_format_t;

/* The most data bytes a sink is handed at once: with the Response and
 * ExportChunk envelope and the Noise tag it fits one 65535-byte frame. */
#define KT_EXPORT_CHUNK 60000u

/* Receives a full buffer of len (<= KT_EXPORT_CHUNK) bytes, valid only
 * during the call, after rows of total cards. Returns 0 to go on, or a
 * negative KT_E* code that stops the export with it (KT_ECLOSED: the
 * reader went away). */
typedef int (*kt_export_sink_fn)(const uint8_t *data, size_t len,
    uint64_t rows, uint64_t total, void *arg);

/* What an export produced. */
typedef struct kt_export_result {
	uint64_t rows;               /* cards rendered */
	uint64_t total;              /* cards matching the filter */
	uint64_t bytes;              /* bytes rendered (sink + tail) */
	uint8_t hash[32];            /* BLAKE2b-256 of those bytes, in order */
	uint8_t *tail;               /* the last bytes (< KT_EXPORT_CHUNK, may
					be 0), never given to the sink: the
					caller sends them last; malloc'd,
					owned by the caller (kt_export_result_free) */
	size_t tail_len;
	uint32_t sheets;             /* xlsx: sheets written */
} kt_export_result_t;

/* The format's name ("csv", "csv-excel", "vcard"), "" when unknown. */
const char *kt_export_format_name(uint32_t fmt);

/* kt_export_run renders every card of f that who may list, in format
 * fmt, within txn (the caller's read transaction, on any thread).
 *   sink  gets every full buffer (see kt_export_sink_fn)
 *   [out] res   filled on 0; after a failure its counts say how far it
 *               got (hash and tail are then undefined, tail freed)
 *   [out] why   on KT_EINVAL: the problem, naming the field
 * Returns 0, the sink's error, KT_EINVAL (a bad filter or format),
 * KT_ENOMEM, KT_ESTORE, KT_EPROTO. */
int kt_export_run(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_cq_caller_t *who, const kt_cq_filter_t *f, uint32_t fmt,
    kt_export_sink_fn sink, void *arg, kt_export_result_t *res,
    const char **why);

/* The most rows of an xlsx sheet, its header row included. */
#define KT_EXPORT_XLSX_SHEET_ROWS 1048576u

/* kt_export_xlsx_run is kt_export_run for xlsx with at most sheet_rows
 * rows (header included; 2 or more) per sheet, and the temporary file in
 * tmpdir (NULL: $TMPDIR, else /tmp); kt_export_run uses
 * KT_EXPORT_XLSX_SHEET_ROWS. res->sheets gets the number of sheets.
 * Returns as kt_export_run, and KT_EIO (the temporary file). */
int kt_export_xlsx_run(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_cq_caller_t *who, const kt_cq_filter_t *f, uint32_t sheet_rows,
    const char *tmpdir, kt_export_sink_fn sink, void *arg,
    kt_export_result_t *res, const char **why);

/* Frees res->tail. Accepts NULL. */
void kt_export_result_free(kt_export_result_t *res);

/* ---- the cell and line rules, for tests and other writers ------------- */

/* A growing byte buffer (malloc'd p, owned by whoever holds it). */
typedef struct kt_export_buf {
	uint8_t *p;
	size_t len, cap;
	int oom;                     /* an append failed: the content is cut */
} kt_export_buf_t;

/* Appends text s (n bytes) to b as one CSV cell with separator sep:
 * neutralised and quoted as the rules above say. */
void kt_export_csv_cell(kt_export_buf_t *b, const char *s, size_t n,
    char sep);

/* Appends the vCard content line "name:value" (value escaped as text when
 * escape, else as is), folded, with CRLF. */
void kt_export_vcard_line(kt_export_buf_t *b, const char *name,
    const char *value, int escape);

void kt_export_buf_free(kt_export_buf_t *b);

#endif
