/* SPDX-License-Identifier: MIT */
/* Reads the rows of one sheet of an .xlsx workbook: the archive with
 * libzip (from memory), each XML part with expat, streamed and bounded;
 * shared strings resolved, rows and columns placed by their references. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>
#include <zip.h>

#include "i18n.h"
#include "import_xlsx.h"
#include "kt_error.h"

#define PART_MAX ((zip_uint64_t)256 << 20)   /* inflated bytes of a part */
#define STRINGS_MAX (4u << 20)               /* shared strings */
#define SHEETS_MAX 256u
#define ROWS_MAX 1048576u

int
kt_xlsx_looks_like(const uint8_t *data, size_t len)
{
	return len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0;
}

/* ==== a growing text buffer ================================================= */

typedef struct text {
	char *s;
	size_t len, cap;
	int over;                 /* more than KT_IMPORT_CELL_MAX came */
} text_t;

static int
text_add(text_t *t, const char *s, size_t n)
{
	if (t->len + n > KT_IMPORT_CELL_MAX) {
		t->over = 1;
		return 0;
	}
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->cap ? t->cap * 2 : 256) + n;
		char *ns = realloc(t->s, cap);
		if (ns == NULL)
			return KT_ENOMEM;
		t->s = ns;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
	return 0;
}

static void
text_clear(text_t *t)
{
	t->len = 0;
	t->over = 0;
	if (t->s)
		t->s[0] = '\0';
}

/* ==== the parts ================================================================ */

/* Element names without their namespace prefix ("x:row" -> "row"). */
static const char *
local(const char *name)
{
	const char *c = strrchr(name, ':');

	return c ? c + 1 : name;
}

static const char *
attr(const char **atts, const char *name)
{
	for (size_t i = 0; atts[i]; i += 2)
		if (strcmp(local(atts[i]), name) == 0)
			return atts[i + 1];
	return NULL;
}

/* An .xlsx has no DOCTYPE: one is refused, and with it every entity
 * trick. ud is a part's state, each of which starts with its parser. */
static void XMLCALL
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal)
{
	XML_Parser p = *(XML_Parser *)ud;

	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal;
	XML_StopParser(p, XML_FALSE);
}

/* Streams part name of za through a parser with the handlers set by
 * setup(p, arg). *stopped says whether a handler stopped it. Returns 0,
 * KT_ENOTFOUND (no such part), KT_EINVAL (err), KT_ENOMEM. */
static int
parse_part(zip_t *za, const char *name, void (*setup)(XML_Parser, void *),
    void *arg, int *app_error, char *err, size_t cap)
{
	zip_int64_t idx = zip_name_locate(za, name, 0);
	zip_file_t *zf = NULL;
	XML_Parser p = NULL;
	char buf[64 * 1024];
	zip_uint64_t total = 0;
	int rc = 0;

	if (idx < 0)
		return KT_ENOTFOUND;
	if ((zf = zip_fopen_index(za, (zip_uint64_t)idx, 0)) == NULL) {
		snprintf(err, cap, _("not an .xlsx file: %s: %s"), name,
		    zip_strerror(za));
		return KT_EINVAL;
	}
	if ((p = XML_ParserCreate("UTF-8")) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	XML_SetUserData(p, arg);
	setup(p, arg);
	XML_SetStartDoctypeDeclHandler(p, on_doctype);
	for (;;) {
		zip_int64_t n = zip_fread(zf, buf, sizeof(buf));
		if (n < 0) {
			snprintf(err, cap, _("not an .xlsx file: %s: %s"), name,
			    zip_file_strerror(zf));
			rc = KT_EINVAL;
			goto out;
		}
		total += (zip_uint64_t)n;
		if (total > PART_MAX) {
			snprintf(err, cap, _("%s: more than %u MiB inflated"),
			    name, (unsigned)(PART_MAX >> 20));
			rc = KT_EINVAL;
			goto out;
		}
		if (XML_Parse(p, buf, (int)n, n == 0) != XML_STATUS_OK) {
			if (*app_error)
				rc = *app_error;
			else {
				snprintf(err, cap, _("%s: line %lu: %s"), name,
				    (unsigned long)XML_GetCurrentLineNumber(p),
				    XML_GetErrorCode(p) == XML_ERROR_ABORTED ?
				    _("a DOCTYPE in an .xlsx part") :
				    XML_ErrorString(XML_GetErrorCode(p)));
				rc = KT_EINVAL;
			}
			goto out;
		}
		if (n == 0)
			break;
	}
out:
	if (p)
		XML_ParserFree(p);
	zip_fclose(zf);
	return rc;
}

/* ---- xl/workbook.xml and its relationships --------------------------------- */

typedef struct book {
	XML_Parser p;
	char *names[SHEETS_MAX], *rids[SHEETS_MAX];
	size_t n;
	const char *want_rid;     /* the relationships pass: this id */
	char *target;
	int error;
} book_t;

static void XMLCALL
book_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
	book_t *b = ud;
	const char *name, *rid;

	if (strcmp(local(el), "sheet") != 0 || b->n >= SHEETS_MAX)
		return;
	name = attr(atts, "name");
	rid = attr(atts, "id");
	if (name == NULL || rid == NULL)
		return;
	b->names[b->n] = strdup(name);
	b->rids[b->n] = strdup(rid);
	if (b->names[b->n] == NULL || b->rids[b->n] == NULL) {
		free(b->names[b->n]);
		free(b->rids[b->n]);
		b->error = KT_ENOMEM;
		XML_StopParser(b->p, XML_FALSE);
		return;
	}
	b->n++;
}

static void
book_setup(XML_Parser p, void *arg)
{
	((book_t *)arg)->p = p;
	XML_SetStartElementHandler(p, book_start);
}

static void XMLCALL
rels_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
	book_t *b = ud;
	const char *id, *target;

	if (strcmp(local(el), "Relationship") != 0 || b->target != NULL)
		return;
	id = attr(atts, "Id");
	target = attr(atts, "Target");
	if (id && target && strcmp(id, b->want_rid) == 0) {
		size_t n = strlen(target) + 4;
		if ((b->target = malloc(n)) == NULL) {
			b->error = KT_ENOMEM;
			XML_StopParser(b->p, XML_FALSE);
			return;
		}
		/* "worksheets/sheet1.xml" is relative to xl/; "/xl/..." is
		 * from the root. */
		if (target[0] == '/')
			snprintf(b->target, n, "%s", target + 1);
		else
			snprintf(b->target, n, "xl/%s", /* untranslated: a part */
			    target);
	}
}

static void
rels_setup(XML_Parser p, void *arg)
{
	((book_t *)arg)->p = p;
	XML_SetStartElementHandler(p, rels_start);
}

/* ---- xl/sharedStrings.xml ----------------------------------------------------- */

typedef struct sst {
	XML_Parser p;
	char **s;
	size_t n, cap;
	text_t cur;
	int in_si, in_t, in_rph;   /* <rPh>: phonetic runs, not text */
	int error;
} sst_t;

static void XMLCALL
sst_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
	sst_t *s = ud;
	const char *l = local(el);

	(void)atts;
	if (strcmp(l, "si") == 0) {
		s->in_si = 1;
		text_clear(&s->cur);
	} else if (strcmp(l, "rPh") == 0) {
		s->in_rph = 1;
	} else if (strcmp(l, "t") == 0 && s->in_si && !s->in_rph) {
		s->in_t = 1;
	}
}

static void XMLCALL
sst_end(void *ud, const XML_Char *el)
{
	sst_t *s = ud;
	const char *l = local(el);

	if (strcmp(l, "t") == 0) {
		s->in_t = 0;
	} else if (strcmp(l, "rPh") == 0) {
		s->in_rph = 0;
	} else if (strcmp(l, "si") == 0) {
		char *copy;
		s->in_si = 0;
		if (s->n >= STRINGS_MAX) {
			s->error = KT_EINVAL;
			XML_StopParser(s->p, XML_FALSE);
			return;
		}
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 1024;
			char **ns = realloc(s->s, cap * sizeof(*ns));
			if (ns == NULL)
				goto nomem;
			s->s = ns;
			s->cap = cap;
		}
		/* A string over the cell limit is kept as one marker byte
		 * (0x01) that the sheet turns into a flagged row. */
		copy = strdup(s->cur.over ? "\x01" : s->cur.s ? s->cur.s : "");
		if (copy == NULL)
			goto nomem;
		s->s[s->n++] = copy;
	}
	return;
nomem:
	s->error = KT_ENOMEM;
	XML_StopParser(s->p, XML_FALSE);
}

static void XMLCALL
sst_text(void *ud, const XML_Char *t, int len)
{
	sst_t *s = ud;

	if (s->in_t && text_add(&s->cur, t, (size_t)len) != 0) {
		s->error = KT_ENOMEM;
		XML_StopParser(s->p, XML_FALSE);
	}
}

static void
sst_setup(XML_Parser p, void *arg)
{
	((sst_t *)arg)->p = p;
	XML_SetElementHandler(p, sst_start, sst_end);
	XML_SetCharacterDataHandler(p, sst_text);
}

/* ---- the sheet ------------------------------------------------------------------ */

typedef struct sheet {
	XML_Parser p;
	const sst_t *sst;
	kt_irow_fn fn;
	void *arg;
	size_t row;               /* the current row's number */
	size_t next_row;          /* for rows without r= */
	size_t col;               /* the current cell's column (0-based) */
	size_t next_col;
	char type[16];
	text_t val;               /* <v> or <is><t> */
	int in_v, in_is_t, in_row, in_c;
	kt_irowbuf_t cells;       /* the row's */
	char why[96];
	size_t rows;
	int stop;                 /* fn's return, or KT_E* */
} sheet_t;

/* Column of "BC12" (0-based), or SIZE_MAX. */
static size_t
ref_col(const char *r)
{
	size_t c = 0, n = 0;

	for (; *r >= 'A' && *r <= 'Z' && n < 4; r++, n++)
		c = c * 26 + (size_t)(*r - 'A' + 1);
	return n == 0 ? SIZE_MAX : c - 1;
}

static size_t
ref_row(const char *r)
{
	size_t v = 0;

	for (; *r >= '0' && *r <= '9'; r++)
		if ((v = v * 10 + (size_t)(*r - '0')) > ROWS_MAX)
			return 0;
	return v;
}

/* Flags the row: "column N: what" (the first problem only). */
static void
flag(sheet_t *s, const char *what, size_t col)
{
	if (!s->why[0])
		snprintf(s->why, sizeof(s->why), _("column %zu: %s"), col + 1,
		    what);
}

/* The value of the cell just ended, as text. */
static int
cell_end(sheet_t *s)
{
	const char *v = s->val.s ? s->val.s : "";
	char num[64];
	size_t n;

	if (s->col == SIZE_MAX)
		s->col = s->next_col;
	s->next_col = s->col + 1;
	if (s->col >= KT_IMPORT_COLS_MAX) {
		if (!s->why[0])
			snprintf(s->why, sizeof(s->why), _("more than %u columns"),
			    KT_IMPORT_COLS_MAX);
		return 0;
	}
	if (s->col < s->cells.rb_ncells) {
		flag(s, "cells out of order", s->col);
		return 0;
	}
	if (s->val.over) {
		flag(s, "longer than 32768 bytes", s->col);
		v = "";
	} else if (strcmp(s->type, "s") == 0) {
		char *end;
		unsigned long i = strtoul(v, &end, 10);
		if (*v == '\0' || *end != '\0' || i >= s->sst->n) {
			flag(s, "a shared string that is not there",
			    s->col);
			v = "";
		} else {
			v = s->sst->s[i];
			if (v[0] == '\x01' && v[1] == '\0') {
				flag(s, "longer than 32768 bytes", s->col);
				v = "";
			}
		}
	} else if (strcmp(s->type, "b") == 0) {
		v = strcmp(v, "1") == 0 ? "TRUE" : "FALSE";
	} else if (strcmp(s->type, "e") == 0) {
		v = "";
	} else if (s->type[0] == '\0' || strcmp(s->type, "n") == 0) {
		/* 7.9123456789E10: a whole number is written out in full.
		 * The XML's number has a '.' whatever the locale, and so
		 * must the text made of it: the CLI runs in the person's
		 * locale (a Russian one has ',' for the decimal point), so
		 * both conversions use the C locale's numbers. */
		if (strpbrk(v, "Ee") != NULL) {
			locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
			locale_t old = c != (locale_t)0 ? uselocale(c) :
			    (locale_t)0;
			char *end;
			double d = strtod(v, &end);
			if (*end == '\0' && d == (double)(long long)d &&
			    d < 1e18 && d > -1e18)
				snprintf(num, sizeof(num), "%lld", (long long)d);
			else
				snprintf(num, sizeof(num), "%.15g", d);
			if (c != (locale_t)0) {
				uselocale(old);
				freelocale(c);
			}
			v = num;
		}
	}
	n = strlen(v);
	while (s->cells.rb_ncells < s->col)
		if (kt_irowbuf_put(&s->cells, "", 0) != 0)
			return KT_ENOMEM;
	return kt_irowbuf_put(&s->cells, v, n);
}

static void XMLCALL
sheet_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
	sheet_t *s = ud;
	const char *l = local(el), *r, *t;

	if (s->stop)
		return;
	if (strcmp(l, "row") == 0) {
		s->in_row = 1;
		r = attr(atts, "r");
		s->row = r ? ref_row(r) : s->next_row;
		if (s->row == 0 || s->row < s->next_row)
			s->row = s->next_row;
		s->next_row = s->row + 1;
		s->next_col = 0;
		s->cells.rb_len = s->cells.rb_ncells = 0;
		s->why[0] = '\0';
	} else if (strcmp(l, "c") == 0 && s->in_row) {
		s->in_c = 1;
		r = attr(atts, "r");
		t = attr(atts, "t");
		s->col = r ? ref_col(r) : SIZE_MAX;
		snprintf(s->type, sizeof(s->type), "%s", t ? t : "");
		text_clear(&s->val);
	} else if (strcmp(l, "v") == 0 && s->in_c) {
		s->in_v = 1;
	} else if (strcmp(l, "t") == 0 && s->in_c) {
		s->in_is_t = 1;
	}
}

static void XMLCALL
sheet_end(void *ud, const XML_Char *el)
{
	sheet_t *s = ud;
	const char *l = local(el);
	kt_irow_t row;
	int rc;

	if (s->stop)
		return;
	if (strcmp(l, "v") == 0) {
		s->in_v = 0;
	} else if (strcmp(l, "t") == 0) {
		s->in_is_t = 0;
	} else if (strcmp(l, "c") == 0 && s->in_c) {
		s->in_c = 0;
		if ((rc = cell_end(s)) != 0)
			goto stop;
	} else if (strcmp(l, "row") == 0 && s->in_row) {
		s->in_row = 0;
		if (s->cells.rb_ncells == 0 && !s->why[0])
			return;
		if (++s->rows > ROWS_MAX) {
			rc = KT_EINVAL;
			goto stop;
		}
		row.ir_line = s->row;
		row.ir_ncells = s->cells.rb_ncells;
		row.ir_cells = kt_irowbuf_cells(&s->cells);
		row.ir_error = s->why[0] ? s->why : NULL;
		if ((rc = s->fn(&row, s->arg)) != 0)
			goto stop;
	}
	return;
stop:
	s->stop = rc;
	XML_StopParser(s->p, XML_FALSE);
}

static void XMLCALL
sheet_text(void *ud, const XML_Char *t, int len)
{
	sheet_t *s = ud;

	if ((s->in_v || s->in_is_t) && !s->stop &&
	    text_add(&s->val, t, (size_t)len) != 0) {
		s->stop = KT_ENOMEM;
		XML_StopParser(s->p, XML_FALSE);
	}
}

static void
sheet_setup(XML_Parser p, void *arg)
{
	((sheet_t *)arg)->p = p;
	XML_SetElementHandler(p, sheet_start, sheet_end);
	XML_SetCharacterDataHandler(p, sheet_text);
}

/* ==== the reader ==================================================================== */

int
kt_xlsx_read(const uint8_t *data, size_t len, const char *want,
    kt_irow_fn fn, void *arg, char *sheet_used, size_t cap_used, char *err,
    size_t cap)
{
	zip_error_t ze;
	zip_source_t *src = NULL;
	zip_t *za = NULL;
	book_t book = { 0 };
	sst_t sst = { 0 };
	sheet_t sh = { 0 };
	size_t pick = 0;
	int rc;

	if (cap)
		err[0] = '\0';
	if (sheet_used && cap_used)
		sheet_used[0] = '\0';
	zip_error_init(&ze);
	if ((src = zip_source_buffer_create(data, len, 0, &ze)) == NULL ||
	    (za = zip_open_from_source(src, ZIP_RDONLY, &ze)) == NULL) {
		snprintf(err, cap, _("not an .xlsx file: %s"),
		    zip_error_strerror(&ze));
		zip_source_free(src);
		zip_error_fini(&ze);
		return KT_EINVAL;
	}
	rc = parse_part(za, "xl/workbook.xml", book_setup, &book, &book.error,
	    err, cap);
	if (rc == KT_ENOTFOUND || (rc == 0 && book.n == 0)) {
		snprintf(err, cap, _("not an .xlsx file: no sheets in "
		    "xl/workbook.xml"));
		rc = KT_EINVAL;
	}
	if (rc != 0)
		goto out;
	if (want != NULL) {
		for (pick = 0; pick < book.n; pick++)
			if (strcmp(book.names[pick], want) == 0)
				break;
		if (pick == book.n) {
			size_t n = (size_t)snprintf(err, cap, _("no sheet named "
			    "'%.60s' (sheets:"), want);
			for (size_t i = 0; i < book.n && n < cap; i++)
				n += (size_t)snprintf(err + n, cap - n, "%s %s",
				    i ? "," : "", book.names[i]);
			if (n < cap)
				snprintf(err + n, cap - n, ")");
			rc = KT_EINVAL;
			goto out;
		}
	}
	if (sheet_used)
		snprintf(sheet_used, cap_used, "%s", book.names[pick]);
	book.want_rid = book.rids[pick];
	rc = parse_part(za, "xl/_rels/workbook.xml.rels", rels_setup, &book,
	    &book.error, err, cap);
	if (rc == KT_ENOTFOUND) {
		snprintf(err, cap, _("not an .xlsx file: no "
		    "xl/_rels/workbook.xml.rels"));
		rc = KT_EINVAL;
	} else if (rc == 0 && book.target == NULL) {
		snprintf(err, cap, _("not an .xlsx file: sheet '%.60s' has no "
		    "part"), book.names[pick]);
		rc = KT_EINVAL;
	}
	if (rc != 0)
		goto out;
	rc = parse_part(za, "xl/sharedStrings.xml", sst_setup, &sst, &sst.error,
	    err, cap);
	if (rc == KT_EINVAL && sst.error == KT_EINVAL)
		snprintf(err, cap, _("more than %u shared strings"), STRINGS_MAX);
	if (rc == KT_ENOTFOUND)
		rc = 0;              /* a sheet of numbers only */
	if (rc != 0)
		goto out;
	sh.sst = &sst;
	sh.fn = fn;
	sh.arg = arg;
	sh.next_row = 1;
	rc = parse_part(za, book.target, sheet_setup, &sh, &sh.stop, err, cap);
	if (rc == KT_ENOTFOUND) {
		snprintf(err, cap, _("not an .xlsx file: no part %.100s"),
		    book.target);
		rc = KT_EINVAL;
	} else if (rc == KT_EINVAL && sh.rows > ROWS_MAX && !err[0]) {
		snprintf(err, cap, _("more than %u rows"), ROWS_MAX);
	}
out:
	for (size_t i = 0; i < book.n; i++) {
		free(book.names[i]);
		free(book.rids[i]);
	}
	free(book.target);
	for (size_t i = 0; i < sst.n; i++)
		free(sst.s[i]);
	free(sst.s);
	free(sst.cur.s);
	free(sh.val.s);
	free(sh.cells.rb_buf);
	zip_discard(za);
	zip_error_fini(&ze);
	return rc;
}
