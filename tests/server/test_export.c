/* SPDX-License-Identifier: MIT */
/* Tests for server/jobs/export.c against a temporary store: the CSV cell
 * rule (quoting, injection neutralised), vCard escaping and folding, a
 * run of several chunks whose bytes and tail hash to the result, filters
 * and visibility, the formats' shapes, a sink that stops the run, a bad
 * format. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kt_test.h"

#include "jobs/export.h"
#include "server/clients_fixture.h"

/* ---- helpers ----------------------------------------------------------------- */

static char *
cell_of(const char *s, char sep)
{
	kt_export_buf_t b = { 0 };
	char *out;

	kt_export_csv_cell(&b, s, strlen(s), sep);
	assert_false(b.oom);
	out = calloc(1, b.len + 1);
	assert_non_null(out);
	if (b.len > 0)
		memcpy(out, b.p, b.len);
	kt_export_buf_free(&b);
	return out;
}

#define CELL(in, sep, want) do {                                   \
		char *got_ = cell_of((in), (sep));                  \
		assert_string_equal(got_, (want));                  \
		free(got_);                                         \
	} while (0)

/* What a run handed to its sink, in order. */
typedef struct seen {
	kt_export_buf_t all;
	size_t calls, stop_at;        /* stop_at: fail that call (1-based) */
	uint64_t last_rows, last_total;
	int small;                    /* a chunk shorter than KT_EXPORT_CHUNK */
} seen_t;

static int
collect(const uint8_t *data, size_t len, uint64_t rows, uint64_t total,
    void *arg)
{
	seen_t *s = arg;
	kt_export_buf_t *b = &s->all;

	s->calls++;
	if (s->stop_at && s->calls == s->stop_at)
		return KT_ECLOSED;
	s->small |= len != KT_EXPORT_CHUNK;
	assert_true(rows >= s->last_rows);
	s->last_rows = rows;
	s->last_total = total;
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

/* Runs an export of f for who into s (the tail appended); returns rc. */
static int
run(fx_t *f, const kt_cq_caller_t *who, const kt_cq_filter_t *flt,
    uint32_t fmt, seen_t *s, kt_export_result_t *res)
{
	MDB_txn *txn;
	const char *why = NULL;
	int rc;

	assert_int_equal(kt_store_read_begin(f->st, &txn), 0);
	rc = kt_export_run(txn, kt_store_dbs(f->st), who, flt, fmt, collect, s,
	    res, &why);
	kt_store_read_end(f->st, txn);
	if (rc == 0) {
		uint8_t h[32];
		kt_export_buf_t *b = &s->all;
		b->p = realloc(b->p, b->len + res->tail_len + 1);
		assert_non_null(b->p);
		memcpy(b->p + b->len, res->tail, res->tail_len);
		b->len += res->tail_len;
		b->p[b->len] = '\0';
		assert_int_equal(res->bytes, b->len);
		crypto_generichash(h, 32, b->p, b->len, NULL, 0);
		assert_memory_equal(h, res->hash, 32);
	}
	return rc;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

typedef struct many_job {
	uint64_t n;
} many_job_t;

/* n cards in one transaction: ids 1..n, odd ones in branch 2, even ones
 * in branch 1. */
static int
many_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	many_job_t *j = arg;
	card_t c;
	char title[64], phone[16];
	pspec_t ps[] = {
		{ "Ирина Ёлкина", KARTOTEKA__RELATION__PARENT, 1985, 3, 14,
		  phone, NULL, "irina@mail.ru" },
		{ "Маша", KARTOTEKA__RELATION__CHILD, 2019, 7, 0, NULL, NULL,
		  NULL },
	};
	int rc;

	for (uint64_t i = 1; i <= j->n; i++) {
		snprintf(title, sizeof(title), "Семья %llu",
		    (unsigned long long)i);
		snprintf(phone, sizeof(phone), "+7912%07llu",
		    (unsigned long long)i);
		card_make(&c, i, 1 + i % 2, 101, title, ps, 2, "английский");
		if ((rc = kt_cstore_put(txn, kt_store_dbs(st), NULL, &c.r,
		    NULL)) != 0)
			return rc;
	}
	return 0;
}

static void
many(fx_t *f, uint64_t n)
{
	many_job_t j = { n };

	assert_int_equal(kt_store_write_sync(f->st, many_mut, &j), 0);
}

/* ---- tests -------------------------------------------------------------------- */

static void
csv_cells_quoted_and_neutralised(void **state)
{
	(void)state;
	CELL("plain", ',', "plain");
	CELL("a,b", ',', "\"a,b\"");
	CELL("a,b", ';', "a,b");
	CELL("a;b", ';', "\"a;b\"");
	CELL("say \"hi\"", ',', "\"say \"\"hi\"\"\"");
	CELL("two\nlines", ',', "\"two\nlines\"");
	CELL("cr\rhere", ';', "\"cr\rhere\"");
	CELL("", ',', "");
	/* Formula starters get an apostrophe, quoted or not. */
	CELL("=1+2", ',', "'=1+2");
	CELL("+79123456789", ',', "'+79123456789");
	CELL("-3", ';', "'-3");
	CELL("@SUM(A1)", ',', "'@SUM(A1)");
	CELL("\tx", ',', "'\tx");
	CELL("=HYPERLINK(\"x\",\"y\")", ',', "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
	CELL("\rx", ',', "\"'\rx\"");
	/* Only the first character matters. */
	CELL("a=b", ',', "a=b");
	CELL("Ёлкины", ';', "Ёлкины");
}

static void
vcard_lines_escaped_and_folded(void **state)
{
	kt_export_buf_t b = { 0 }, un = { 0 };
	char value[400];
	const char *p, *end;
	size_t n = 0;

	(void)state;
	kt_export_vcard_line(&b, "NOTE", "a\\b,c;d\ne\r\nf\rg\x01h", 1);
	assert_int_equal(b.len, strlen("NOTE:a\\\\b\\,c\\;d\\ne\\nf\\ng h\r\n"));
	assert_memory_equal(b.p, "NOTE:a\\\\b\\,c\\;d\\ne\\nf\\ng h\r\n", b.len);
	kt_export_buf_free(&b);
	/* A long line of two-byte letters: folded at 75 octets or less,
	 * never inside a letter, and unfolding gives it back. */
	for (size_t i = 0; i + 2 < sizeof(value) - 1; i += 2, n += 2)
		memcpy(value + i, "ж", 2);
	value[n] = '\0';
	kt_export_vcard_line(&b, "FN", value, 1);
	assert_false(b.oom);
	for (p = (const char *)b.p, end = p + b.len; p < end;) {
		const char *nl = strstr(p, "\r\n");
		assert_non_null(nl);
		assert_true(nl - p <= 75);
		/* Each physical line is whole UTF-8: it does not end on a lead
		 * byte nor begin (after the fold's space) on a continuation. */
		if (nl > p)
			assert_true(((unsigned char)nl[-1] & 0xc0) != 0xc0);
		if (p != (const char *)b.p) {
			assert_true(p[0] == ' ');
			assert_true(((unsigned char)p[1] & 0xc0) != 0x80);
			p++;
		}
		for (const char *q = p; q < nl; q++) {
			char ch = *q;
			kt_export_buf_t *u = &un;
			if (u->len + 1 > u->cap) {
				u->cap = u->cap ? u->cap * 2 : 256;
				u->p = realloc(u->p, u->cap);
				assert_non_null(u->p);
			}
			u->p[u->len++] = (uint8_t)ch;
		}
		p = nl + 2;
	}
	assert_int_equal(un.len, 3 + n);
	assert_memory_equal(un.p, "FN:", 3);
	assert_memory_equal(un.p + 3, value, n);
	kt_export_buf_free(&b);
	kt_export_buf_free(&un);
}

static void
csv_run_in_chunks_hashed(void **state)
{
	fx_t f;
	seen_t s = { 0 };
	kt_export_result_t res;
	kt_cq_filter_t flt = { 0 };
	const uint64_t n = 2000;
	char *line2;

	(void)state;
	fx_open(&f);
	many(&f, n);
	assert_int_equal(run(&f, &owner, &flt, KT_EXPORT_CSV, &s, &res), 0);
	assert_int_equal(res.rows, n);
	assert_int_equal(res.total, n);
	/* Several full chunks, then the tail the caller sends last. */
	assert_true(s.calls >= 2);
	assert_false(s.small);
	assert_true(res.tail_len < KT_EXPORT_CHUNK);
	assert_int_equal(s.last_total, n);
	/* A header and one CRLF-ended row per card (no newline inside). */
	assert_int_equal(count((char *)s.all.p, "\r\n"), n + 1);
	assert_memory_equal(s.all.p, "id,title,branch,", 16);
	line2 = strstr((char *)s.all.p, "\r\n") + 2;
	/* Phones neutralised; people flattened; no BOM. */
	assert_non_null(strstr(line2, ",'+79120000001,irina@mail.ru,"));
	assert_non_null(strstr(line2, "\"Ирина Ёлкина (parent, 1985-03-14); "
	    "Маша (child, 2019-07)\""));
	assert_true(s.all.p[0] == 'i');
	/* Times in UTC, as date -u -d @1700086400 "+%F %T" says. */
	assert_non_null(strstr(line2, ",2023-11-15 22:13:20,"));
	kt_export_result_free(&res);
	kt_export_buf_free(&s.all);
	fx_close(&f);
}

static void
excel_and_vcard_shapes(void **state)
{
	fx_t f;
	seen_t s = { 0 };
	kt_export_result_t res;
	kt_cq_filter_t flt = { 0 };
	card_t c;

	(void)state;
	fx_open(&f);
	many(&f, 3);
	card_make(&c, 4, 1, 101, "ООО \"Ромашка\"; склад", NULL, 0, NULL);
	c.r.address = "Казань, 1;\nсклад";
	put(&f, NULL, &c.r);
	assert_int_equal(run(&f, &owner, &flt, KT_EXPORT_CSV_EXCEL, &s, &res),
	    0);
	assert_memory_equal(s.all.p, "\xef\xbb\xbfid;title;branch;", 19);
	assert_non_null(strstr((char *)s.all.p,
	    ";\"ООО \"\"Ромашка\"\"; склад\";"));
	assert_int_equal(count((char *)s.all.p, "\r\n"), 5);
	/* The address is the last column (quoted: it holds ';' and LF). */
	assert_non_null(strstr((char *)s.all.p, ";custom;address\r\n"));
	assert_non_null(strstr((char *)s.all.p,
	    ";\"Казань, 1;\nсклад\"\r\n"));
	kt_export_result_free(&res);
	kt_export_buf_free(&s.all);

	memset(&s, 0, sizeof(s));
	assert_int_equal(run(&f, &owner, &flt, KT_EXPORT_VCARD, &s, &res), 0);
	/* One VCARD per person; the card without people gets one. */
	assert_int_equal(count((char *)s.all.p, "BEGIN:VCARD\r\nVERSION:3.0"),
	    3 * 2 + 1);
	assert_int_equal(count((char *)s.all.p, "END:VCARD\r\n"), 7);
	assert_non_null(strstr((char *)s.all.p, "TEL;TYPE=VOICE:+79120000002"));
	assert_non_null(strstr((char *)s.all.p,
	    "EMAIL;TYPE=INTERNET:irina@mail.ru"));
	assert_non_null(strstr((char *)s.all.p, "BDAY:1985-03-14"));
	assert_non_null(strstr((char *)s.all.p, "ORG:Семья 3\r\n"));
	assert_non_null(strstr((char *)s.all.p,
	    "ADR;TYPE=HOME:;;Казань\\, 1\\;\\nсклад;;;;\r\n"));
	assert_non_null(strstr((char *)s.all.p,
	    "FN:ООО \"Ромашка\"\\; склад\r\n"));
	assert_non_null(strstr((char *)s.all.p, "NOTE:child\\nborn 2019-07\\n"
	    "client 1\r\n"));
	assert_int_equal(res.rows, 4);
	kt_export_result_free(&res);
	kt_export_buf_free(&s.all);
	fx_close(&f);
}

static void
filters_and_visibility(void **state)
{
	static const uint64_t b1[] = { 1 };
	const kt_cq_caller_t head1 = { 200, KARTOTEKA__ROLE__HEAD, b1, 1 };
	/* Branch 1 holds the even ids. */
	fx_t f;
	seen_t s = { 0 };
	kt_export_result_t res;
	kt_cq_filter_t flt = { 0 };

	(void)state;
	fx_open(&f);
	many(&f, 10);
	flt.branch = 1;
	assert_int_equal(run(&f, &owner, &flt, KT_EXPORT_CSV, &s, &res), 0);
	assert_int_equal(res.rows, 5);
	assert_non_null(strstr((char *)s.all.p, "\r\n2,Семья 2,"));
	assert_null(strstr((char *)s.all.p, "\r\n1,Семья 1,"));
	kt_export_result_free(&res);
	kt_export_buf_free(&s.all);
	/* The walk lists only what its caller may list (the op refuses
	 * everyone but the owner before this). */
	memset(&s, 0, sizeof(s));
	memset(&flt, 0, sizeof(flt));
	assert_int_equal(run(&f, &head1, &flt, KT_EXPORT_CSV, &s, &res), 0);
	assert_int_equal(res.rows, 5);
	assert_non_null(strstr((char *)s.all.p, "\r\n4,Семья 4,"));
	assert_null(strstr((char *)s.all.p, "\r\n3,Семья 3,"));
	kt_export_result_free(&res);
	kt_export_buf_free(&s.all);
	fx_close(&f);
}

static void
sink_error_stops_the_run(void **state)
{
	fx_t f;
	seen_t s = { 0 };
	kt_export_result_t res;
	kt_cq_filter_t flt = { 0 };

	(void)state;
	fx_open(&f);
	many(&f, 2000);
	s.stop_at = 2;
	assert_int_equal(run(&f, &owner, &flt, KT_EXPORT_CSV, &s, &res),
	    KT_ECLOSED);
	assert_int_equal(s.calls, 2);
	assert_true(res.rows > 0 && res.rows < 2000);
	assert_null(res.tail);
	kt_export_buf_free(&s.all);
	fx_close(&f);
}

static void
bad_format_and_filter(void **state)
{
	fx_t f;
	MDB_txn *txn;
	kt_export_result_t res;
	kt_cq_filter_t flt = { 0 };
	seen_t s = { 0 };
	const char *why = NULL;

	(void)state;
	fx_open(&f);
	many(&f, 2);
	assert_int_equal(kt_store_read_begin(f.st, &txn), 0);
	assert_int_equal(kt_export_run(txn, kt_store_dbs(f.st), &owner, &flt,
	    4, collect, &s, &res, &why), KT_EINVAL);
	assert_string_equal(why, "format: not one of csv, csv-excel, vcard, "
	    "xlsx");
	flt.birth_month = 13;
	why = NULL;
	assert_int_equal(kt_export_run(txn, kt_store_dbs(f.st), &owner, &flt,
	    KT_EXPORT_CSV, collect, &s, &res, &why), KT_EINVAL);
	assert_string_equal(why, "birth_month: must be 1 to 12");
	/* Nothing reached the sink: a refusal streams no byte. */
	assert_int_equal(s.calls, 0);
	kt_store_read_end(f.st, txn);
	assert_string_equal(kt_export_format_name(1), "csv-excel");
	assert_string_equal(kt_export_format_name(9), "");
	fx_close(&f);
}

/* 1 when the n bytes at p hold needle. */
static int
holds(const uint8_t *p, size_t n, const char *needle)
{
	return memmem(p, n, needle, strlen(needle)) != NULL;
}

/* xlsx: a zip (an Excel workbook) streamed in chunks and hashed like the
 * others, the cards going on over further sheets past the row limit, and
 * nothing left in the temporary directory. */
static void
xlsx_workbook_over_sheets(void **state)
{
	fx_t f;
	MDB_txn *txn;
	kt_export_result_t res;
	kt_cq_filter_t flt = { 0 };
	seen_t s = { 0 };
	const char *why = NULL;
	char dir[] = "/tmp/kt-xlsx-test-XXXXXX";
	uint8_t h[32];
	DIR *d;
	struct dirent *e;
	int left = 0;

	(void)state;
	fx_open(&f);
	many(&f, 5);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(kt_store_read_begin(f.st, &txn), 0);
	/* Three rows a sheet: the header and two cards. */
	assert_int_equal(kt_export_xlsx_run(txn, kt_store_dbs(f.st), &owner,
	    &flt, 3, dir, collect, &s, &res, &why), 0);
	kt_store_read_end(f.st, txn);
	assert_true(res.rows == 5 && res.total == 5);
	assert_int_equal(res.sheets, 3);
	s.all.p = realloc(s.all.p, s.all.len + res.tail_len);
	assert_non_null(s.all.p);
	memcpy(s.all.p + s.all.len, res.tail, res.tail_len);
	s.all.len += res.tail_len;
	assert_true(res.bytes == s.all.len);
	crypto_generichash(h, 32, s.all.p, s.all.len, NULL, 0);
	assert_memory_equal(h, res.hash, 32);
	assert_memory_equal(s.all.p, "PK\3\4", 4);
	assert_true(holds(s.all.p, s.all.len, "xl/worksheets/sheet3.xml"));
	assert_false(holds(s.all.p, s.all.len, "xl/worksheets/sheet4.xml"));
	/* The workbook's temporary files are gone. */
	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		left += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(left, 0);
	assert_int_equal(rmdir(dir), 0);
	kt_export_result_free(&res);
	kt_export_buf_free(&s.all);
	assert_string_equal(kt_export_format_name(3), "xlsx");
	fx_close(&f);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(csv_cells_quoted_and_neutralised),
	cmocka_unit_test(vcard_lines_escaped_and_folded),
	cmocka_unit_test(csv_run_in_chunks_hashed),
	cmocka_unit_test(excel_and_vcard_shapes),
	cmocka_unit_test(filters_and_visibility),
	cmocka_unit_test(sink_error_stops_the_run),
	cmocka_unit_test(bad_format_and_filter),
	cmocka_unit_test(xlsx_workbook_over_sheets),
};

KT_TEST_MAIN(tests)
