/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the import readers and the mapper: the bytes are
 * a file; a zip goes to the .xlsx reader, anything else to the CSV reader
 * (encoding and delimiter guessed), and every row through the header
 * recognition and the mapping to a card, as `kartoteka import` does. */
#include <stddef.h>
#include <stdint.h>

#include "import_csv.h"
#include "import_map.h"
#include "import_xlsx.h"

typedef struct fz {
	kt_imap_t map;
	kt_arena_t arena;
	int header;
} fz_t;

static int
on_row(const kt_irow_t *row, void *arg)
{
	fz_t *f = arg;
	Kartoteka__Client *c;
	char err[300];

	if (!f->header) {
		f->header = 1;
		return kt_imap_header(&f->map, row, err, sizeof(err)) == 0 ? 0 : 1;
	}
	kt_arena_reset(&f->arena);
	(void)kt_imap_row(&f->map, row, &f->arena, &c, err, sizeof(err));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fz_t f = { .map = { .im_cc = "7" } };
	char err[300], sheet[64];

	if (kt_arena_init(&f.arena, 16u << 10, 4u << 20) != 0)
		return 0;
	if (kt_xlsx_looks_like(data, len))
		(void)kt_xlsx_read(data, len, NULL, on_row, &f, sheet,
		    sizeof(sheet), err, sizeof(err));
	else
		(void)kt_csv_read(data, len, KT_IENC_AUTO, 0, on_row, &f, NULL,
		    err, sizeof(err));
	kt_imap_free(&f.map);
	kt_arena_free(&f.arena);
	return 0;
}
