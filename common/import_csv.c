/* SPDX-License-Identifier: MIT */
/* Reads a CSV file for import: picks the encoding and the delimiter,
 * converts cp1251 to UTF-8, and hands libcsv's records on as kt_irow_t
 * rows with the line each starts on. */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <unistr.h>

#include "i18n.h"
#include "import_csv.h"
#include "kt_error.h"

const char *
kt_ienc_name(kt_ienc_t e)
{
	switch (e) {
	case KT_IENC_UTF8: return "utf-8";
	case KT_IENC_CP1251: return "cp1251";
	default: return "auto";
	}
}

char
kt_csv_delimiter_guess(const uint8_t *data, size_t len)
{
	size_t semi = 0, comma = 0, tab = 0;
	int quoted = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t ch = data[i];
		if (ch == '"')
			quoted = !quoted;
		else if (!quoted && (ch == '\n' || ch == '\r'))
			break;
		else if (!quoted && ch == ';')
			semi++;
		else if (!quoted && ch == ',')
			comma++;
		else if (!quoted && ch == '\t')
			tab++;
	}
	if (comma > semi && comma >= tab)
		return ',';
	if (tab > semi && tab > comma)
		return '\t';
	return ';';
}

/* The 1-based line of byte off in data. */
static size_t
line_of(const uint8_t *data, size_t off)
{
	size_t line = 1;

	for (size_t i = 0; i < off; i++)
		line += data[i] == '\n';
	return line;
}

int
kt_cp1251_to_utf8(const uint8_t *data, size_t len, char **out,
    size_t *outlen, char *err, size_t cap)
{
	iconv_t cd = iconv_open("UTF-8", "CP1251");
	char *buf = NULL, *in = (char *)data, *o;
	size_t inleft = len, oleft, size;
	int rc = 0;

	*out = NULL;
	*outlen = 0;
	if (cd == (iconv_t)-1) {
		snprintf(err, cap, _("cp1251 is not supported by this system's "
		    "iconv"));
		return KT_EINVAL;
	}
	/* A cp1251 byte is at most 3 bytes of UTF-8 ('€', '№'). */
	if (len > (SIZE_MAX - 1) / 3 || (buf = malloc(len * 3 + 1)) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	o = buf;
	oleft = len * 3;
	if (iconv(cd, &in, &inleft, &o, &oleft) == (size_t)-1) {
		snprintf(err, cap, _("line %zu: byte 0x%02x is not a character of "
		    "cp1251"), line_of(data, (size_t)((uint8_t *)in - data)),
		    inleft ? (unsigned)*(uint8_t *)in : 0u);
		rc = KT_EINVAL;
		goto out;
	}
	size = (size_t)(o - buf);
	buf[size] = '\0';
	*out = buf;
	*outlen = size;
	buf = NULL;
out:
	free(buf);
	iconv_close(cd);
	return rc;
}

/* ==== the row buffer (import_table.h), shared with import_xlsx.c ==== */

int
kt_irowbuf_put(kt_irowbuf_t *b, const char *v, size_t n)
{
	if (b->rb_len + n + 1 > b->rb_cap) {
		size_t cap = (b->rb_cap ? b->rb_cap * 2 : 4096) + n + 1;
		char *nb = realloc(b->rb_buf, cap);
		if (nb == NULL)
			return KT_ENOMEM;
		b->rb_buf = nb;
		b->rb_cap = cap;
	}
	memcpy(b->rb_buf + b->rb_len, v, n);
	b->rb_offs[b->rb_ncells++] = b->rb_len;
	b->rb_len += n;
	b->rb_buf[b->rb_len++] = '\0';
	return 0;
}

const char *const *
kt_irowbuf_cells(kt_irowbuf_t *b)
{
	for (size_t i = 0; i < b->rb_ncells; i++)
		b->rb_cells[i] = b->rb_buf + b->rb_offs[i];
	return b->rb_cells;
}

/* ==== libcsv callbacks ===================================================== */

/* The row being collected: cells' bytes one after another, each ended by
 * a NUL, and their offsets. */
typedef struct csv_reader {
	kt_irow_fn fn;
	void *arg;
	kt_irowbuf_t row;          /* cells of the current row */
	size_t seen;               /* cells met, kept or not */
	char why[96];              /* the row's first error, "" for none */
	size_t line;               /* line being fed */
	size_t row_line;           /* line the current row started on */
	int row_open;              /* the current row has begun */
	size_t rows;
	int stop;                  /* fn's non-zero return, or KT_ENOMEM */
} csv_reader_t;

static void
on_cell(void *s, size_t n, void *data)
{
	csv_reader_t *r = data;
	const char *cell = s ? s : "";
	size_t col = ++r->seen;

	if (r->stop)
		return;
	if (col > KT_IMPORT_COLS_MAX) {
		if (!r->why[0])
			snprintf(r->why, sizeof(r->why), _("more than %u columns"),
			    KT_IMPORT_COLS_MAX);
		return;
	}
	if (n > KT_IMPORT_CELL_MAX) {
		if (!r->why[0])
			snprintf(r->why, sizeof(r->why), _("column %zu: longer "
			    "than %u bytes"), col, KT_IMPORT_CELL_MAX);
		n = 0;
	} else if (memchr(cell, '\0', n) != NULL) {
		if (!r->why[0])
			snprintf(r->why, sizeof(r->why), _("column %zu: contains "
			    "a NUL byte"), col);
		n = 0;
	} else if (u8_check((const uint8_t *)cell, n) != NULL) {
		if (!r->why[0])
			snprintf(r->why, sizeof(r->why), _("column %zu: not valid "
			    "UTF-8"), col);
		n = 0;
	}
	if (kt_irowbuf_put(&r->row, cell, n) != 0)
		r->stop = KT_ENOMEM;
}

/* Hands the collected row to fn and starts the next. */
static void
on_row(int term, void *data)
{
	csv_reader_t *r = data;
	kt_irow_t row;

	(void)term;
	if (r->stop)
		return;
	row.ir_line = r->row_line;
	row.ir_ncells = r->row.rb_ncells;
	row.ir_cells = kt_irowbuf_cells(&r->row);
	row.ir_error = r->why[0] ? r->why : NULL;
	r->rows++;
	r->stop = r->fn(&row, r->arg);
	r->row.rb_len = 0;
	r->row.rb_ncells = 0;
	r->seen = 0;
	r->why[0] = '\0';
	r->row_open = 0;
}

/* Only the space is padding around an unquoted field: a tab may be the
 * delimiter, and libcsv's default would eat it. */
static int
is_space(unsigned char c)
{
	return c == ' ';
}

/* 1 when the n bytes at s are only line ends. */
static int
blank(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

/* ==== the reader ============================================================= */

int
kt_csv_read(const uint8_t *data, size_t len, kt_ienc_t enc,
    char delimiter, kt_irow_fn fn, void *arg, kt_csv_info_t *info,
    char *err, size_t cap)
{
	struct csv_parser p;
	csv_reader_t r = { .fn = fn, .arg = arg };
	char *conv = NULL;
	const uint8_t *text = data;
	size_t textlen = len, pos = 0;
	int bom = 0, parser = 0, rc = 0;
	const uint8_t *bad;

	if (err && cap)
		err[0] = '\0';
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 &&
	    enc != KT_IENC_CP1251) {
		bom = 1;
		text += 3;
		textlen -= 3;
		enc = KT_IENC_UTF8;
	}
	if (enc == KT_IENC_AUTO)
		enc = u8_check(text, textlen) == NULL ? KT_IENC_UTF8 :
		    KT_IENC_CP1251;
	if (enc == KT_IENC_CP1251) {
		if ((rc = kt_cp1251_to_utf8(text, textlen, &conv, &textlen, err,
		    cap)) != 0)
			goto out;
		text = (const uint8_t *)conv;
	} else if ((bad = u8_check(text, textlen)) != NULL) {
		snprintf(err, cap, _("line %zu: not valid UTF-8 (try --encoding "
		    "cp1251)"), line_of(text, (size_t)(bad - text)));
		rc = KT_EINVAL;
		goto out;
	}
	if (delimiter == 0)
		delimiter = kt_csv_delimiter_guess(text, textlen);
	if (delimiter != ';' && delimiter != ',' && delimiter != '\t') {
		snprintf(err, cap, _("delimiter: must be ';', ',' or tab"));
		rc = KT_EINVAL;
		goto out;
	}
	if (csv_init(&p, CSV_APPEND_NULL) != 0) {
		rc = KT_ENOMEM;
		goto out;
	}
	parser = 1;
	csv_set_delim(&p, (unsigned char)delimiter);
	csv_set_space_func(&p, is_space);
	/* Fed a line at a time, so that every row knows its first line. */
	while (pos < textlen && !r.stop) {
		const uint8_t *nl = memchr(text + pos, '\n', textlen - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) + 1 : textlen - pos;
		r.line++;
		/* A row begins on the first line after the last one that is
		 * not blank (libcsv skips blank lines). */
		if (!r.row_open && !blank(text + pos, n)) {
			r.row_open = 1;
			r.row_line = r.line;
		}
		if (csv_parse(&p, text + pos, n, on_cell, on_row, &r) != n) {
			snprintf(err, cap, _("line %zu: %s"), r.line,
			    csv_strerror(csv_error(&p)));
			rc = csv_error(&p) == CSV_ENOMEM ? KT_ENOMEM : KT_EINVAL;
			goto out;
		}
		pos += n;
	}
	if (!r.stop && csv_fini(&p, on_cell, on_row, &r) != 0) {
		snprintf(err, cap, _("line %zu: %s"), r.line,
		    csv_strerror(csv_error(&p)));
		rc = KT_EINVAL;
		goto out;
	}
	rc = r.stop;
out:
	if (info) {
		info->ci_encoding = enc;
		info->ci_bom = bom;
		info->ci_delimiter = delimiter;
		info->ci_rows = r.rows;
	}
	if (parser)
		csv_free(&p);
	free(r.row.rb_buf);
	free(conv);
	return rc;
}
