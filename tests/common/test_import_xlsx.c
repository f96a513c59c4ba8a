/* SPDX-License-Identifier: MIT */
/* Unit tests for common/import_xlsx.c: the sample written by kt-make-xlsx
 * (libxlsxwriter: shared strings, numbers, date cells, a merged cell, an
 * empty row, two sheets) read row by row, and hostile archives made here
 * with libzip: not a zip, parts missing, a DOCTYPE, a shared string that
 * is not there. */
#include "kt_test.h"

#include <locale.h>
#include <stdlib.h>
#include <unistd.h>

#include <zip.h>

#include "import_xlsx.h"
#include "kt_error.h"
#include "common/import_rows.h"


static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The sample, in memory. */
static uint8_t *
sample(size_t *len)
{
	char path[] = "/tmp/kt-xlsx-XXXXXX", cmd[256];
	int fd = mkstemp(path);
	uint8_t *data;

	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "'%s' '%s'", KT_MAKE_XLSX, path);
	assert_int_equal(system(cmd), 0);
	data = slurp(path, len);
	unlink(path);
	return data;
}

/* An archive of n parts (name, content pairs), in memory. */
static uint8_t *
archive(size_t *len, const char *const *parts, size_t n)
{
	char path[] = "/tmp/kt-zip-XXXXXX";
	int fd = mkstemp(path), err = 0;
	zip_t *za;
	uint8_t *data;

	assert_true(fd >= 0);
	close(fd);
	za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
	assert_non_null(za);
	for (size_t i = 0; i < n; i++) {
		zip_source_t *s = zip_source_buffer(za, parts[2 * i + 1],
		    strlen(parts[2 * i + 1]), 0);
		assert_non_null(s);
		assert_true(zip_file_add(za, parts[2 * i], s, 0) >= 0);
	}
	assert_int_equal(zip_close(za), 0);
	data = slurp(path, len);
	unlink(path);
	return data;
}

#define WORKBOOK "<workbook xmlns:r=\"r\"><sheets><sheet name=\"S\" " \
	"sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
#define RELS "<Relationships><Relationship Id=\"rId1\" " \
	"Target=\"worksheets/sheet1.xml\"/></Relationships>"

static void
sample_first_sheet(void **state)
{
	size_t len;
	uint8_t *data = sample(&len);
	seen_t s = { .len = 0 };
	char used[64], err[300];

	(void)state;
	assert_true(kt_xlsx_looks_like(data, len));
	assert_int_equal(kt_xlsx_read(data, len, NULL, collect, &s, used,
	    sizeof(used), err, sizeof(err)), 0);
	assert_string_equal(used, "Клиенты");
	assert_string_equal(s.text,
	    "1:Фамилия|Имя|Телефон|Дата рождения|Адрес|Дети|Скидка|Комментарий\n"
	    "2:Кузьмина|Ольга|79161234567|31174|ул. Садовая, 5-12|Аня|10\n"
	    "3:Кузьмин|Андрей|||ул. Садовая, 5-12|||Папа Ани\n"
	    "5:Орлова|Нина|8 (926) 111-22-33; 8 926 111 22 34|21987||"
	    "Саша (12.03.2018)||Бабушка, водит внука\n"
	    "6:Белов|Илья|79035550001|весной\n");
	free(data);
}

static void
sample_named_sheet(void **state)
{
	size_t len;
	uint8_t *data = sample(&len);
	seen_t s = { .len = 0 };
	char used[64], err[300];

	(void)state;
	assert_int_equal(kt_xlsx_read(data, len, "Архив", collect, &s, used,
	    sizeof(used), err, sizeof(err)), 0);
	assert_string_equal(used, "Архив");
	assert_string_equal(s.text, "1:ФИО|Телефон\n2:Старый Клиент|"
	    "+7 903 000-00-09\n");
	free(data);
}

static void
no_such_sheet(void **state)
{
	size_t len;
	uint8_t *data = sample(&len);
	seen_t s = { .len = 0 };
	char err[300];

	(void)state;
	assert_int_equal(kt_xlsx_read(data, len, "Лист1", collect, &s, NULL, 0,
	    err, sizeof(err)), KT_EINVAL);
	assert_string_equal(err, "no sheet named 'Лист1' (sheets: Клиенты, "
	    "Архив)");
	free(data);
}

static void
not_a_zip(void **state)
{
	seen_t s = { .len = 0 };
	char err[300];

	(void)state;
	assert_false(kt_xlsx_looks_like((const uint8_t *)"ФИО;x", 8));
	assert_int_equal(kt_xlsx_read((const uint8_t *)"PK\x03\x04garbage", 11,
	    NULL, collect, &s, NULL, 0, err, sizeof(err)), KT_EINVAL);
	assert_non_null(strstr(err, "not an .xlsx file"));
}

static void
missing_parts(void **state)
{
	static const char *const only_book[] = { "xl/workbook.xml", WORKBOOK };
	static const char *const no_sheet[] = { "xl/workbook.xml", WORKBOOK,
		"xl/_rels/workbook.xml.rels", RELS };
	static const char *const other[] = { "word/document.xml", "<w/>" };
	seen_t s = { .len = 0 };
	char err[300];
	size_t len;
	uint8_t *data;

	(void)state;
	data = archive(&len, other, 1);
	assert_int_equal(kt_xlsx_read(data, len, NULL, collect, &s, NULL, 0,
	    err, sizeof(err)), KT_EINVAL);
	assert_string_equal(err, "not an .xlsx file: no sheets in "
	    "xl/workbook.xml");
	free(data);
	data = archive(&len, only_book, 1);
	assert_int_equal(kt_xlsx_read(data, len, NULL, collect, &s, NULL, 0,
	    err, sizeof(err)), KT_EINVAL);
	free(data);
	data = archive(&len, no_sheet, 2);
	assert_int_equal(kt_xlsx_read(data, len, NULL, collect, &s, NULL, 0,
	    err, sizeof(err)), KT_EINVAL);
	assert_string_equal(err, "not an .xlsx file: no part "
	    "xl/worksheets/sheet1.xml");
	free(data);
}

static void
doctype_refused(void **state)
{
	static const char *const parts[] = { "xl/workbook.xml",
		"<!DOCTYPE x [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
		WORKBOOK };
	seen_t s = { .len = 0 };
	char err[300];
	size_t len;
	uint8_t *data = archive(&len, parts, 1);

	(void)state;
	assert_int_equal(kt_xlsx_read(data, len, NULL, collect, &s, NULL, 0,
	    err, sizeof(err)), KT_EINVAL);
	assert_non_null(strstr(err, "a DOCTYPE in an .xlsx part"));
	free(data);
}

static void
bad_shared_string(void **state)
{
	static const char *const parts[] = { "xl/workbook.xml", WORKBOOK,
		"xl/_rels/workbook.xml.rels", RELS,
		"xl/sharedStrings.xml", "<sst><si><t>Имя</t></si></sst>",
		"xl/worksheets/sheet1.xml", "<worksheet><sheetData>"
		"<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>"
		"<row r=\"2\"><c r=\"A2\" t=\"s\"><v>7</v></c>"
		"<c r=\"B2\"><v>1</v></c></row>"
		"<row r=\"3\"><c r=\"C3\"><v>1</v></c><c r=\"A3\"><v>2</v></c>"
		"</row></sheetData></worksheet>" };
	seen_t s = { .len = 0 };
	char err[300];
	size_t len;
	uint8_t *data = archive(&len, parts, 4);

	(void)state;
	assert_int_equal(kt_xlsx_read(data, len, NULL, collect, &s, NULL, 0,
	    err, sizeof(err)), 0);
	assert_string_equal(s.text, "1:Имя\n"
	    "2:|1!column 1: a shared string that is not there\n"
	    "3:||1!column 1: cells out of order\n");
	free(data);
}

static void
inline_and_types(void **state)
{
	static const char *const parts[] = { "xl/workbook.xml", WORKBOOK,
		"xl/_rels/workbook.xml.rels",
		"<Relationships><Relationship Id=\"rId1\" "
		"Target=\"/xl/worksheets/s.xml\"/></Relationships>",
		"xl/worksheets/s.xml", "<x:worksheet xmlns:x=\"x\"><x:sheetData>"
		"<x:row><x:c t=\"inlineStr\"><x:is><x:t>Анна</x:t></x:is></x:c>"
		"<x:c t=\"b\"><x:v>1</x:v></x:c><x:c t=\"e\"><x:v>#N/A</x:v>"
		"</x:c><x:c><x:v>7.9123456789E10</x:v></x:c>"
		"<x:c t=\"str\"><x:v>f</x:v></x:c></x:row><x:row/>"
		"<x:row r=\"9\"><x:c r=\"AA9\"><x:v>0.5</x:v></x:c></x:row>"
		"</x:sheetData></x:worksheet>" };
	seen_t s = { .len = 0 };
	char err[300];
	size_t len;
	uint8_t *data = archive(&len, parts, 3);

	(void)state;
	assert_int_equal(kt_xlsx_read(data, len, NULL, collect, &s, NULL, 0,
	    err, sizeof(err)), 0);
	assert_string_equal(s.text, "1:Анна|TRUE||79123456789|f\n"
	    "9:||||||||||||||||||||||||||0.5\n");
	free(data);
}

/* Numbers in exponent form are read and written with a '.' in any locale:
 * the CLI runs in the person's, and a Russian one writes 0,0015. */
static void
numbers_any_locale(void **state)
{
	static const char *const parts[] = { "xl/workbook.xml", WORKBOOK,
		"xl/_rels/workbook.xml.rels",
		"<Relationships><Relationship Id=\"rId1\" "
		"Target=\"/xl/worksheets/s.xml\"/></Relationships>",
		"xl/worksheets/s.xml", "<x:worksheet xmlns:x=\"x\"><x:sheetData>"
		"<x:row><x:c><x:v>7.9123456789E10</x:v></x:c>"
		"<x:c><x:v>1.5E-3</x:v></x:c></x:row>"
		"</x:sheetData></x:worksheet>" };
	static const char *const locales[] = { "C", "ru_RU.UTF-8" };
	char err[300];
	size_t len;
	uint8_t *data = archive(&len, parts, 3);

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		seen_t s = { .len = 0 };
		if (setlocale(LC_ALL, locales[i]) == NULL)
			continue; /* ru_RU.UTF-8 not generated here */
		assert_int_equal(kt_xlsx_read(data, len, NULL, collect, &s,
		    NULL, 0, err, sizeof(err)), 0);
		assert_string_equal(s.text, "1:79123456789|0.0015\n");
	}
	setlocale(LC_ALL, "C");
	free(data);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(sample_first_sheet),
	cmocka_unit_test(sample_named_sheet),
	cmocka_unit_test(no_such_sheet),
	cmocka_unit_test(not_a_zip),
	cmocka_unit_test(missing_parts),
	cmocka_unit_test(doctype_refused),
	cmocka_unit_test(bad_shared_string),
	cmocka_unit_test(inline_and_types),
	cmocka_unit_test(numbers_any_locale),
};

KT_TEST_MAIN(tests)
