/* SPDX-License-Identifier: MIT */
/* The export renderer (jobs/export.h): cards to CSV, CSV for Excel,
 * vCard 3.0 or an xlsx workbook, in chunks, hashed as they go. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <xlsxwriter.h>

#include "catalog.h"
#include "jobs/export.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"
#include "model/branch_store.h"
#include "model/user_store.h"
#include "records.pb-c.h"

/* ==== the buffer ========================================================== */

static void
buf_add(kt_export_buf_t *b, const void *p, size_t n)
{
	if (b->oom || n == 0)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		uint8_t *q;
		while (cap < b->len + n)
			cap *= 2;
		if ((q = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
buf_str(kt_export_buf_t *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_ch(kt_export_buf_t *b, char c)
{
	buf_add(b, &c, 1);
}

void
kt_export_buf_free(kt_export_buf_t *b)
{
	if (b == NULL)
		return;
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ==== names and small values ============================================== */

static const char *const status_names[] = { "", "lead", "active", "former" };
static const char *const category_names[] = { "", "A", "B", "C" };
static const char *const relation_names[] = { "", "parent", "child",
    "contact", "other" };
static const char *const format_names[] = { "csv", "csv-excel", "vcard",
	"xlsx" };

#define NAME_OF(tab, v) ((v) < sizeof(tab) / sizeof(tab[0]) ? tab[v] : "")

const char *
kt_export_format_name(uint32_t fmt)
{
	return NAME_OF(format_names, fmt);
}

/* Writes n digits of v (zero-padded) at p; returns p + n. */
static char *
digits(char *p, unsigned v, unsigned n)
{
	for (unsigned i = n; i > 0; i--) {
		p[i - 1] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

/* A birth date as far as it is known: YYYY-MM-DD, YYYY-MM, YYYY, --MM-DD,
 * --MM or "". out has room for 11 bytes. (By hand: snprintf for every
 * person was a twentieth of an export.) */
static void
birth_text(const Ktstore__PersonRecord *p, char out[static 11])
{
	unsigned y = p->birth_year, m = p->birth_month, d = p->birth_day;
	char *o = out;

	if (m == 0 || m > 12)
		m = d = 0;
	if (d > 31)
		d = 0;
	if (y > 9999)
		y = 0;
	if (y) {
		o = digits(o, y, 4);
	} else if (m) {
		*o++ = '-';
		*o++ = '-';
	}
	if (m) {
		if (y)
			*o++ = '-';
		o = digits(o, m, 2);
		if (d) {
			*o++ = '-';
			o = digits(o, d, 2);
		}
	}
	*o = '\0';
}

/* Unix seconds as "YYYY-MM-DD HH:MM:SS" (UTC), "" for 0 or before 1970.
 * By hand (days to a civil date, H. Hinnant's algorithm) rather than
 * gmtime_r and strftime: two per row were a tenth of an export. */
static void
time_text(int64_t t, char *out, size_t cap)
{
	int64_t days, sec, z, era, doe, yoe, doy, mp, y, m, d;

	if (t <= 0 || t > 253402300799 || cap < 20) {
		out[0] = '\0';
		return;
	}
	days = t / 86400;
	sec = t % 86400;
	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = ' ';
	out[11] = (char)('0' + sec / 36000);
	out[12] = (char)('0' + sec / 3600 % 10);
	out[13] = ':';
	out[14] = (char)('0' + sec % 3600 / 600);
	out[15] = (char)('0' + sec % 3600 / 60 % 10);
	out[16] = ':';
	out[17] = (char)('0' + sec % 60 / 10);
	out[18] = (char)('0' + sec % 10);
	out[19] = '\0';
}

/* A small cache of id -> name lookups (branches, managers): an export
 * meets the same few again and again. */
#define NAME_SLOTS 64u
typedef struct name_cache {
	uint64_t id[NAME_SLOTS];
	char name[NAME_SLOTS][96];
	unsigned next;
} name_cache_t;

static const char *
cached_name(name_cache_t *c, MDB_txn *txn, const kt_store_dbs_t *db,
    uint64_t id, int is_user)
{
	unsigned i;

	if (id == 0)
		return "";
	for (i = 0; i < NAME_SLOTS; i++)
		if (c->id[i] == id)
			return c->name[i];
	i = c->next++ % NAME_SLOTS;
	c->id[i] = id;
	if (is_user)
		kt_user_login(txn, db, id, c->name[i], sizeof(c->name[i]));
	else
		kt_branch_name(txn, db, id, c->name[i], sizeof(c->name[i]));
	return c->name[i];
}

/* ==== CSV ================================================================= */

void
kt_export_csv_cell(kt_export_buf_t *b, const char *s, size_t n, char sep)
{
	int quote = 0;

	for (size_t i = 0; i < n && !quote; i++)
		quote = (unsigned char)s[i] < 0x40 && (s[i] == sep ||
		    s[i] == '"' || s[i] == '\r' || s[i] == '\n');
	if (quote)
		buf_ch(b, '"');
	/* CSV injection: no cell may start what a spreadsheet reads as a
	 * formula (or, for TAB and CR, hides one). */
	if (n > 0 && strchr("=+-@\t\r", s[0]) != NULL)
		buf_ch(b, '\'');
	if (!quote) {
		buf_add(b, s, n);
		return;
	}
	for (size_t i = 0, from = 0; i <= n; i++)
		if (i == n || s[i] == '"') {
			buf_add(b, s + from, i - from + (i < n));
			if (i < n)
				buf_ch(b, '"');
			from = i + 1;
		}
	buf_ch(b, '"');
}

/* A cell from a NUL-terminated string, then the separator. */
static const char *const csv_header[] = {
	"id", "title", "branch", "manager", "status", "category", "source",
	"referred_by", "tags", "do_not_contact", "consent_date", "contract",
	"discount_percent", "leaving_reason", "archived", "created",
	"updated", "people", "phones", "emails", "notes", "custom",
	"address",                       /* last: added later, so the
					    columns before keep their places */
};
#define CSV_COLS (sizeof(csv_header) / sizeof(csv_header[0]))

static void
csv_begin(kt_export_buf_t *b, char sep, int bom)
{
	if (bom)
		buf_add(b, "\xef\xbb\xbf", 3);
	for (size_t i = 0; i < CSV_COLS; i++) {
		buf_str(b, csv_header[i]);
		buf_str(b, i + 1 < CSV_COLS ? (sep == ';' ? ";" : ",") : "\r\n");
	}
}

/* Where a card's cells go, one after the other: CSV text or an xlsx row
 * (put gets each cell's text, n bytes, not NUL-terminated). */
typedef struct cells {
	void (*put)(struct cells *c, const char *s, size_t n);
} cells_t;

static void
put_str(cells_t *c, const char *s)
{
	c->put(c, s ? s : "", s ? strlen(s) : 0);
}

/* 0 is "no value" in every numeric column (no referrer, no discount): an
 * empty cell. */
static void
put_u64(cells_t *c, uint64_t v)
{
	char t[24];
	size_t i = sizeof(t);

	while (v > 0) {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	}
	c->put(c, t + i, sizeof(t) - i);
}

/* tmp as one cell. */
static void
put_tmp(cells_t *c, const kt_export_buf_t *tmp)
{
	c->put(c, (const char *)tmp->p, tmp->len);
}

/* The people, their phones and e-mails: three cells, each joined with
 * "; ", built in tmp. */
static void
card_people(cells_t *c, kt_export_buf_t *tmp, const Ktstore__ClientRecord *r)
{
	char birth[16];

	tmp->len = 0;
	for (size_t i = 0; i < r->n_people; i++) {
		const Ktstore__PersonRecord *p = r->people[i];
		const char *rel = NAME_OF(relation_names, p->relation);
		if (i > 0)
			buf_str(tmp, "; ");
		buf_str(tmp, p->name ? p->name : "");
		birth_text(p, birth);
		if (*rel || *birth) {
			buf_str(tmp, " (");
			buf_str(tmp, rel);
			if (*rel && *birth)
				buf_str(tmp, ", ");
			buf_str(tmp, birth);
			buf_ch(tmp, ')');
		}
	}
	put_tmp(c, tmp);
	tmp->len = 0;
	for (size_t i = 0; i < r->n_people; i++)
		for (size_t j = 0; j < r->people[i]->n_phones; j++) {
			if (tmp->len > 0)
				buf_str(tmp, "; ");
			buf_str(tmp, r->people[i]->phones[j]);
		}
	put_tmp(c, tmp);
	tmp->len = 0;
	for (size_t i = 0; i < r->n_people; i++)
		if (r->people[i]->email && r->people[i]->email[0]) {
			if (tmp->len > 0)
				buf_str(tmp, "; ");
			buf_str(tmp, r->people[i]->email);
		}
	put_tmp(c, tmp);
}

/* The cells of card r, in the order of csv_header: the same for CSV and
 * xlsx. */
static void
card_cells(cells_t *c, kt_export_buf_t *tmp, const Ktstore__ClientRecord *r,
    const char *branch, const char *manager)
{
	char t[32];

	put_u64(c, r->id);
	put_str(c, r->title);
	put_str(c, branch);
	put_str(c, manager);
	put_str(c, NAME_OF(status_names, r->status));
	put_str(c, NAME_OF(category_names, r->category));
	put_str(c, r->source);
	put_u64(c, r->referred_by);
	tmp->len = 0;
	for (size_t i = 0; i < r->n_tags; i++) {
		if (i > 0)
			buf_str(tmp, "; ");
		buf_str(tmp, r->tags[i]);
	}
	put_tmp(c, tmp);
	put_str(c, r->do_not_contact ? "yes" : "");
	put_str(c, r->consent_date);
	put_str(c, r->contract);
	put_u64(c, r->discount_percent);
	put_str(c, r->leaving_reason);
	put_str(c, r->archived ? "yes" : "");
	time_text(r->created_at, t, sizeof(t));
	put_str(c, t);
	time_text(r->updated_at, t, sizeof(t));
	put_str(c, t);
	card_people(c, tmp, r);
	put_str(c, r->notes);
	tmp->len = 0;
	for (size_t i = 0; i < r->n_custom; i++) {
		if (i > 0)
			buf_str(tmp, "; ");
		buf_str(tmp, r->custom[i]->name);
		buf_ch(tmp, '=');
		buf_str(tmp, r->custom[i]->value);
	}
	put_tmp(c, tmp);
	put_str(c, r->address);
}

/* CSV: each cell quoted as needed, then the separator; the row's last
 * separator becomes CRLF. */
typedef struct csv_cells {
	cells_t c;
	kt_export_buf_t *b;
	char sep;
} csv_cells_t;

static void
csv_put(cells_t *c, const char *s, size_t n)
{
	csv_cells_t *x = (csv_cells_t *)c;

	kt_export_csv_cell(x->b, s, n, x->sep);
	buf_ch(x->b, x->sep);
}

static void
csv_card(kt_export_buf_t *b, kt_export_buf_t *tmp,
    const Ktstore__ClientRecord *r, const char *branch, const char *manager,
    char sep)
{
	csv_cells_t x = { { csv_put }, b, sep };

	card_cells(&x.c, tmp, r, branch, manager);
	if (b->len > 0)
		b->len--;                /* the last separator */
	buf_str(b, "\r\n");
}

/* ==== vCard 3.0 =========================================================== */

/* Appends value escaped as vCard text. */
static void
vcard_escape(kt_export_buf_t *b, const char *s)
{
	for (; s != NULL && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '\\': buf_str(b, "\\\\"); break;
		case ',': buf_str(b, "\\,"); break;
		case ';': buf_str(b, "\\;"); break;
		case '\n': buf_str(b, "\\n"); break;
		case '\r':
			buf_str(b, "\\n");
			if (s[1] == '\n')
				s++;
			break;
		default:
			buf_ch(b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
		}
	}
}

void
kt_export_vcard_line(kt_export_buf_t *b, const char *name, const char *value,
    int escape)
{
	kt_export_buf_t line = { 0 };
	size_t i = 0, room = 75;

	buf_str(&line, name);
	buf_ch(&line, ':');
	if (escape)
		vcard_escape(&line, value);
	else
		buf_str(&line, value ? value : "");
	if (line.oom) {
		b->oom = 1;
		goto out;
	}
	/* Folding (RFC 2425 5.8.1): at most 75 octets a line, a continuation
	 * begins with a space; never inside a UTF-8 character. */
	while (line.len - i > room) {
		size_t cut = i + room;
		while (cut > i && (line.p[cut] & 0xc0) == 0x80)
			cut--;
		buf_add(b, line.p + i, cut - i);
		buf_str(b, "\r\n ");
		i = cut;
		room = 74;
	}
	buf_add(b, line.p + i, line.len - i);
	buf_str(b, "\r\n");
out:
	kt_export_buf_free(&line);
}

static void
vcard_one(kt_export_buf_t *b, kt_export_buf_t *tmp,
    const Ktstore__ClientRecord *r, const Ktstore__PersonRecord *p,
    size_t index)
{
	const char *name = p != NULL && p->name && *p->name ? p->name :
	    r->title;
	char t[64];

	buf_str(b, "BEGIN:VCARD\r\nVERSION:3.0\r\n");
	kt_export_vcard_line(b, "FN", name, 1);
	/* One name as the family component: the card does not say which
	 * word is which. */
	tmp->len = 0;
	vcard_escape(tmp, name);
	buf_str(tmp, ";;;;");
	buf_ch(tmp, '\0');
	kt_export_vcard_line(b, "N", tmp->oom ? "" : (const char *)tmp->p, 0);
	kt_export_vcard_line(b, "ORG", r->title, 1);
	if (r->address && *r->address) {
		/* The card's address as typed, in the street component: it
		 * is not split into town and street. */
		tmp->len = 0;
		buf_str(tmp, ";;");
		vcard_escape(tmp, r->address);
		buf_str(tmp, ";;;;");
		buf_ch(tmp, '\0');
		kt_export_vcard_line(b, "ADR;TYPE=HOME", tmp->oom ? "" :
		    (const char *)tmp->p, 0);
	}
	if (p != NULL) {
		for (size_t j = 0; j < p->n_phones; j++)
			kt_export_vcard_line(b, "TEL;TYPE=VOICE", p->phones[j],
			    1);
		if (p->email && *p->email)
			kt_export_vcard_line(b, "EMAIL;TYPE=INTERNET", p->email,
			    1);
		if (p->birth_year && p->birth_month && p->birth_day) {
			birth_text(p, t);
			kt_export_vcard_line(b, "BDAY", t, 0);
		}
	}
	tmp->len = 0;
	if (p != NULL && NAME_OF(relation_names, p->relation)[0]) {
		buf_str(tmp, NAME_OF(relation_names, p->relation));
		buf_ch(tmp, '\n');
	}
	if (p != NULL && (p->birth_year || p->birth_month) &&
	    !(p->birth_year && p->birth_month && p->birth_day)) {
		birth_text(p, t);
		buf_str(tmp, "born ");
		buf_str(tmp, t);
		buf_ch(tmp, '\n');
	}
	snprintf(t, sizeof(t), "client %" PRIu64, r->id);
	buf_str(tmp, t);
	if (p != NULL && p->note && *p->note) {
		buf_ch(tmp, '\n');
		buf_str(tmp, p->note);
	}
	buf_ch(tmp, '\0');
	kt_export_vcard_line(b, "NOTE", tmp->oom ? "" : (const char *)tmp->p,
	    1);
	snprintf(t, sizeof(t), "kartoteka-client-%" PRIu64 "-%zu", r->id,
	    index);
	kt_export_vcard_line(b, "UID", t, 0);
	buf_str(b, "END:VCARD\r\n");
}

static void
vcard_card(kt_export_buf_t *b, kt_export_buf_t *tmp,
    const Ktstore__ClientRecord *r)
{
	if (r->n_people == 0)
		vcard_one(b, tmp, r, NULL, 0);
	for (size_t i = 0; i < r->n_people; i++)
		vcard_one(b, tmp, r, r->people[i], i + 1);
}

/* ==== the run ============================================================= */

typedef struct run {
	MDB_txn *txn;
	const kt_store_dbs_t *db;
	uint32_t fmt;
	kt_export_sink_fn sink;
	void *arg;
	uint64_t rows, total, bytes;
	crypto_generichash_state h;
	uint8_t *chunk;                  /* KT_EXPORT_CHUNK bytes */
	size_t used;
	kt_export_buf_t card, tmp;       /* one card's text, scratch */
	name_cache_t branches, managers;
} run_t;

/* Moves text into the chunk, handing each full chunk to the sink. */
static int
emit(run_t *x, const uint8_t *p, size_t n)
{
	int rc;

	crypto_generichash_update(&x->h, p, n);
	x->bytes += n;
	while (n > 0) {
		size_t k = KT_EXPORT_CHUNK - x->used;
		if (k > n)
			k = n;
		memcpy(x->chunk + x->used, p, k);
		x->used += k;
		p += k;
		n -= k;
		if (x->used == KT_EXPORT_CHUNK) {
			if ((rc = x->sink(x->chunk, x->used, x->rows, x->total,
			    x->arg)) != 0)
				return rc;
			x->used = 0;
		}
	}
	return 0;
}

static int
each_card(const Ktstore__ClientRecord *r, void *arg)
{
	run_t *x = arg;
	char sep = x->fmt == KT_EXPORT_CSV_EXCEL ? ';' : ',';

	x->card.len = 0;
	if (x->fmt == KT_EXPORT_VCARD)
		vcard_card(&x->card, &x->tmp, r);
	else
		csv_card(&x->card, &x->tmp, r, cached_name(&x->branches,
		    x->txn, x->db, r->branch, 0), cached_name(&x->managers,
		    x->txn, x->db, r->manager, 1), sep);
	if (x->card.oom || x->tmp.oom)
		return KT_ENOMEM;
	x->rows++;
	return emit(x, x->card.p, x->card.len);
}

int
kt_export_run(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_cq_caller_t *who, const kt_cq_filter_t *f, uint32_t fmt,
    kt_export_sink_fn sink, void *arg, kt_export_result_t *res,
    const char **why)
{
	run_t *x;
	int rc;

	memset(res, 0, sizeof(*res));
	if (fmt >= KT_EXPORT_FORMAT_COUNT) {
		*why = KT_MSG("format: not one of csv, csv-excel, vcard, xlsx");
		return KT_EINVAL;
	}
	if (fmt == KT_EXPORT_XLSX)
		return kt_export_xlsx_run(txn, db, who, f,
		    KT_EXPORT_XLSX_SHEET_ROWS, NULL, sink, arg, res, why);
	/* The run is heap memory: the name caches are 12 KiB, more than a
	 * thread-pool stack should carry. */
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return KT_ENOMEM;
	x->txn = txn;
	x->db = db;
	x->fmt = fmt;
	x->sink = sink;
	x->arg = arg;
	crypto_generichash_init(&x->h, NULL, 0, 32);
	if ((x->chunk = malloc(KT_EXPORT_CHUNK)) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	if (fmt != KT_EXPORT_VCARD) {
		csv_begin(&x->card, fmt == KT_EXPORT_CSV_EXCEL ? ';' : ',',
		    fmt == KT_EXPORT_CSV_EXCEL);
		if (x->card.oom) {
			rc = KT_ENOMEM;
			goto out;
		}
		/* Into the first chunk, which leaves once cards fill it: by
		 * then the walk has counted the total. */
		if ((rc = emit(x, x->card.p, x->card.len)) != 0)
			goto out;
	}
	rc = kt_cquery_each(txn, db, who, f, &x->total, each_card, x, why);
	if (rc != 0)
		goto out;
	res->tail_len = x->used;
	if ((res->tail = malloc(x->used ? x->used : 1)) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	memcpy(res->tail, x->chunk, x->used);
	crypto_generichash_final(&x->h, res->hash, 32);
out:
	res->rows = x->rows;
	res->total = x->total;
	res->bytes = x->bytes;
	if (rc != 0) {
		free(res->tail);
		res->tail = NULL;
		res->tail_len = 0;
	}
	free(x->chunk);
	kt_export_buf_free(&x->card);
	kt_export_buf_free(&x->tmp);
	sodium_memzero(x, sizeof(*x));
	free(x);
	return rc;
}

/* ==== xlsx ================================================================ */

/* An xlsx row: each cell a string at (row, col), col counting up; the
 * text NUL-terminated in scratch, cut at Excel's 32,767 characters (at a
 * UTF-8 boundary; bytes are a safe bound). */
typedef struct xlsx_cells {
	cells_t c;
	lxw_worksheet *ws;
	lxw_row_t row;
	lxw_col_t col;
	kt_export_buf_t *scratch;
	lxw_error err;
} xlsx_cells_t;

#define XLSX_CELL_MAX 32767u

static void
xlsx_put(cells_t *c, const char *s, size_t n)
{
	xlsx_cells_t *x = (xlsx_cells_t *)c;
	lxw_error e;

	if (n > XLSX_CELL_MAX) {
		n = XLSX_CELL_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (n > 0) {
		x->scratch->len = 0;
		buf_add(x->scratch, s, n);
		buf_ch(x->scratch, '\0');
		if (x->scratch->oom) {
			x->err = LXW_ERROR_MEMORY_MALLOC_FAILED;
		} else if ((e = worksheet_write_string(x->ws, x->row, x->col,
		    (const char *)x->scratch->p, NULL)) != LXW_NO_ERROR &&
		    x->err == LXW_NO_ERROR) {
			x->err = e;
		}
	}
	x->col++;
}

typedef struct xrun {
	MDB_txn *txn;
	const kt_store_dbs_t *db;
	lxw_workbook *wb;
	xlsx_cells_t cells;
	uint32_t sheet_rows, sheets;
	uint64_t rows;
	kt_export_buf_t tmp, scratch;
	name_cache_t branches, managers;
} xrun_t;

/* A new sheet with its header row. */
static int
xlsx_sheet(xrun_t *x)
{
	char name[32];

	if (x->sheets == 0)
		snprintf(name, sizeof(name), "clients");
	else
		snprintf(name, sizeof(name), "clients %u", x->sheets + 1);
	if ((x->cells.ws = workbook_add_worksheet(x->wb, name)) == NULL)
		return KT_ENOMEM;
	x->sheets++;
	x->cells.row = 0;
	x->cells.col = 0;
	for (size_t i = 0; i < CSV_COLS; i++)
		put_str(&x->cells.c, csv_header[i]);
	x->cells.row = 1;
	return x->cells.err == LXW_NO_ERROR ? 0 : KT_EIO;
}

static int
xlsx_card(const Ktstore__ClientRecord *r, void *arg)
{
	xrun_t *x = arg;
	int rc;

	if (x->cells.row >= x->sheet_rows && (rc = xlsx_sheet(x)) != 0)
		return rc;
	x->cells.col = 0;
	card_cells(&x->cells.c, &x->tmp, r, cached_name(&x->branches, x->txn,
	    x->db, r->branch, 0), cached_name(&x->managers, x->txn, x->db,
	    r->manager, 1));
	if (x->tmp.oom)
		return KT_ENOMEM;
	if (x->cells.err != LXW_NO_ERROR)
		return x->cells.err == LXW_ERROR_MEMORY_MALLOC_FAILED ?
		    KT_ENOMEM : KT_EIO;
	x->cells.row++;
	x->rows++;
	return 0;
}

/* Streams file fd to the sink through run x's chunks and hash. */
static int
xlsx_stream(run_t *x, int fd)
{
	uint8_t buf[16384];
	ssize_t n;
	int rc;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return KT_EIO;
		if (n == 0)
			return 0;
		if ((rc = emit(x, buf, (size_t)n)) != 0)
			return rc;
	}
}

int
kt_export_xlsx_run(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_cq_caller_t *who, const kt_cq_filter_t *f, uint32_t sheet_rows,
    const char *tmpdir, kt_export_sink_fn sink, void *arg,
    kt_export_result_t *res, const char **why)
{
	lxw_workbook_options opts = { .constant_memory = LXW_TRUE };
	char dir[4096], path[4096 + 16];
	xrun_t *xr = NULL;
	run_t *x = NULL;
	int rc, fd = -1, made = 0;

	memset(res, 0, sizeof(*res));
	if (tmpdir == NULL && ((tmpdir = getenv("TMPDIR")) == NULL ||
	    tmpdir[0] == '\0'))
		tmpdir = "/tmp";
	if (sheet_rows < 2)
		sheet_rows = 2;
	if ((xr = calloc(1, sizeof(*xr))) == NULL ||
	    (x = calloc(1, sizeof(*x))) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	/* A directory of its own, 0700: the workbook is the base in clear
	 * until it has been streamed, and libxlsxwriter's own temporary
	 * files go there too. */
	snprintf(dir, sizeof(dir), "%s/kartotekad-xlsx-XXXXXX", tmpdir);
	if (mkdtemp(dir) == NULL) {
		rc = KT_EIO;
		goto out;
	}
	made = 1;
	snprintf(path, sizeof(path), "%s/export.xlsx", dir);
	opts.tmpdir = dir;
	xr->txn = txn;
	xr->db = db;
	xr->sheet_rows = sheet_rows;
	xr->cells.c.put = xlsx_put;
	xr->cells.scratch = &xr->scratch;
	if ((xr->wb = workbook_new_opt(path, &opts)) == NULL) {
		rc = KT_EIO;
		goto out;
	}
	if ((rc = xlsx_sheet(xr)) != 0)
		goto out;
	x->txn = txn;
	x->db = db;
	x->fmt = KT_EXPORT_XLSX;
	x->sink = sink;
	x->arg = arg;
	rc = kt_cquery_each(txn, db, who, f, &x->total, xlsx_card, xr, why);
	if (rc != 0)
		goto out;
	x->rows = xr->rows;
	if (workbook_close(xr->wb) != LXW_NO_ERROR) {
		xr->wb = NULL;
		rc = KT_EIO;
		goto out;
	}
	xr->wb = NULL;
	crypto_generichash_init(&x->h, NULL, 0, 32);
	if ((x->chunk = malloc(KT_EXPORT_CHUNK)) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = KT_EIO;
		goto out;
	}
	/* Gone from the directory at once: only fd holds it now. */
	(void)unlink(path);
	if ((rc = xlsx_stream(x, fd)) != 0)
		goto out;
	res->tail_len = x->used;
	if ((res->tail = malloc(x->used ? x->used : 1)) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	memcpy(res->tail, x->chunk, x->used);
	crypto_generichash_final(&x->h, res->hash, 32);
out:
	if (xr != NULL && xr->wb != NULL) {
		/* Cannot be freed without closing: close writes it, which
		 * the unlink below then removes. */
		(void)workbook_close(xr->wb);
	}
	if (fd >= 0)
		close(fd);
	if (made) {
		(void)unlink(path);
		(void)rmdir(dir);
	}
	if (x != NULL) {
		res->rows = x->rows ? x->rows : (xr ? xr->rows : 0);
		res->total = x->total;
		res->bytes = x->bytes;
		free(x->chunk);
		sodium_memzero(x, sizeof(*x));
		free(x);
	}
	if (xr != NULL) {
		res->sheets = xr->sheets;
		kt_export_buf_free(&xr->tmp);
		kt_export_buf_free(&xr->scratch);
		sodium_memzero(xr, sizeof(*xr));
		free(xr);
	}
	if (rc != 0) {
		free(res->tail);
		res->tail = NULL;
		res->tail_len = 0;
	}
	return rc;
}

void
kt_export_result_free(kt_export_result_t *res)
{
	if (res == NULL)
		return;
	free(res->tail);
	res->tail = NULL;
	res->tail_len = 0;
}
