/* SPDX-License-Identifier: MIT */
/* kartoteka import: the owner moves a client base in from a CSV or .xlsx
 * file. The file is read and mapped here (common/import_*.c: encodings,
 * headers, a mapping file, phones, dates, rows grouped into family
 * cards); the cards go to the server in batches, where each is checked
 * as client add does, deduplicated against the base and committed with
 * its audit entry (server/ops/import.c). A dry run asks the same of the
 * server and writes nothing. Then every row's verdict by line, a summary,
 * and a file of the refused rows with their reasons, to fix and import
 * again. docs/IMPORT.md. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "import_csv.h"
#include "import_group.h"
#include "import_map.h"
#include "import_xlsx.h"
#include "kt_error.h"

#define FILE_MAX ((size_t)2 << 30)      /* 2 GiB: bigger is not a CRM */
#define MAP_FILE_MAX ((size_t)1 << 20)
#define BATCH_CARDS 250u                /* the server's limit */
#define BATCH_BYTES 60000u              /* packed cards in one request */

/* How a row ended. */
enum {
	ROW_CREATED = KARTOTEKA__IMPORT_OUTCOME__IMPORT_CREATED,
	ROW_MERGED = KARTOTEKA__IMPORT_OUTCOME__IMPORT_MERGED,
	ROW_UNCHANGED = KARTOTEKA__IMPORT_OUTCOME__IMPORT_UNCHANGED,
	ROW_REFUSED = KARTOTEKA__IMPORT_OUTCOME__IMPORT_REFUSED,
	ROW_SKIPPED = 5,         /* --resume: sent by the earlier run */
	ROW_OUTCOMES
};

/* One data row of the file and its fate. */
typedef struct irow {
	size_t line;
	size_t card;             /* its card, or SIZE_MAX (refused by the
				    mapping) */
	size_t first;            /* the line of its card's first row */
	char *reason;            /* refused by the mapping: why (owned) */
} irow_t;

/* The verdict of each card. */
typedef struct icard {
	uint8_t outcome;
	uint64_t id;
	char *reason;            /* refused: why (owned) */
} icard_t;

/* Everything one import needs. */
typedef struct imp {
	cli_t *cli;
	const char *path;
	int dry_run, resume, bar;
	kt_imap_t map;
	kt_igroup_t *group;
	kt_arena_t arena;        /* one row's card while it is mapped */
	int header_seen;
	size_t header_line;
	irow_t *rows;
	size_t nrows, caprows;
	icard_t *cards;
	size_t ncards;
	size_t counts[ROW_OUTCOMES];
	char err[400];
	int failed;              /* the reading stopped with err */
	uint8_t hash[32];        /* of the file, for --resume */
	char *state_path;        /* FILE.import-state */
	struct timespec t0, last_bar;
	/* the refused file being written */
	FILE *rf;
	char delim;
	const char *reason_header;
} imp_t;

/* ==== reading the file ====================================================== */

static int
push_row(imp_t *m, size_t line, size_t card, char *reason)
{
	if (m->nrows == m->caprows) {
		size_t cap = m->caprows ? m->caprows * 2 : 1024;
		irow_t *r = realloc(m->rows, cap * sizeof(*r));
		if (r == NULL) {
			free(reason);
			return KT_ENOMEM;
		}
		m->rows = r;
		m->caprows = cap;
	}
	m->rows[m->nrows++] = (irow_t){ .line = line, .card = card,
		.first = line, .reason = reason };
	return 0;
}

/* The row callback of both readers. */
static int
on_row(const kt_irow_t *row, void *arg)
{
	imp_t *m = arg;
	Kartoteka__Client *c = NULL;
	char why[400];
	int rc;

	if (!m->header_seen) {
		m->header_seen = 1;
		m->header_line = row->ir_line;
		if ((rc = kt_imap_header(&m->map, row, m->err,
		    sizeof(m->err))) != 0) {
			m->failed = 1;
			return rc;
		}
		return 0;
	}
	kt_arena_reset(&m->arena);
	rc = kt_imap_row(&m->map, row, &m->arena, &c, why, sizeof(why));
	if (rc == KT_ENOTFOUND)
		return 0;
	if (rc == KT_EINVAL) {
		char *r = strdup(why);
		return r == NULL ? KT_ENOMEM : push_row(m, row->ir_line,
		    SIZE_MAX, r);
	}
	if (rc != 0)
		return rc;
	return kt_igroup_add(m->group, row->ir_line, c);
}

/* Reads path whole into *out (malloc'd, *len bytes). Returns 0 or an exit
 * code (reported). */
static int
slurp(cli_t *cli, const char *what, const char *path, size_t max,
    uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	uint8_t *buf = NULL;
	size_t n = 0;

	*out = NULL;
	*len = 0;
	if (f == NULL || fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		int e = f ? (errno ? errno : EINVAL) : errno;
		if (f)
			fclose(f);
		return cli_fail(cli, CLI_EXIT_USAGE, "FILE", NULL,
		    _("%s: cannot read %s: %s"), what, path,
		    e == EINVAL ? _("not a regular file") : strerror(e));
	}
	if ((size_t)sb.st_size > max) {
		fclose(f);
		return cli_fail(cli, CLI_EXIT_USAGE, "FILE", NULL,
		    _("%s: %s is larger than %zu MiB"), what, path, max >> 20);
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		fclose(f);
		return cli_fail(cli, CLI_EXIT_USAGE, "NOMEM", NULL,
		    _("out of memory"));
	}
	n = fread(buf, 1, (size_t)sb.st_size, f);
	if (ferror(f) || n != (size_t)sb.st_size) {
		fclose(f);
		free(buf);
		return cli_fail(cli, CLI_EXIT_USAGE, "FILE", NULL,
		    _("%s: cannot read %s"), what, path);
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* Options as typed. */
typedef struct imp_opts {
	const char *map, *branch, *manager, *encoding, *delimiter, *sheet;
	const char *refused, *country;
	int dry_run, resume;
} imp_opts_t;

/* Reads data with the reader the file calls for. Returns 0 or KT_E*. */
static int
read_table(imp_t *m, const imp_opts_t *o, const uint8_t *data, size_t len,
    kt_csv_info_t *info, char *sheet_used, size_t cap, int *is_xlsx)
{
	kt_ienc_t enc = KT_IENC_AUTO;
	char delim = 0;

	*is_xlsx = kt_xlsx_looks_like(data, len);
	if (*is_xlsx)
		return kt_xlsx_read(data, len, o->sheet, on_row, m, sheet_used,
		    cap, m->err, sizeof(m->err));
	if (o->encoding && strcasecmp(o->encoding, "utf-8") == 0)
		enc = KT_IENC_UTF8;
	else if (o->encoding && strcasecmp(o->encoding, "cp1251") == 0)
		enc = KT_IENC_CP1251;
	if (o->delimiter && strcmp(o->delimiter, "tab") == 0)
		delim = '\t';
	else if (o->delimiter && strcmp(o->delimiter, "auto") != 0)
		delim = o->delimiter[0];
	m->delim = delim;
	return kt_csv_read(data, len, enc, delim, on_row, m, info, m->err,
	    sizeof(m->err));
}

/* ==== the state of an interrupted run ========================================= */

/* The cards the earlier run of this file saw committed, from its state
 * file; 0 when there is none or it is of another file. */
static size_t
state_read(const imp_t *m)
{
	FILE *f = fopen(m->state_path, "r");
	char hex[65], want[65];
	unsigned long long n = 0;

	if (f == NULL)
		return 0;
	sodium_bin2hex(want, sizeof(want), m->hash, sizeof(m->hash));
	if (fscanf(f, "kartoteka-import 1 %64s %llu", hex, &n) != 2 ||
	    strcmp(hex, want) != 0)
		n = 0;
	fclose(f);
	return (size_t)n;
}

/* Notes that cards [0, done) are committed (written beside the file,
 * replaced atomically). Best effort: a failure only costs --resume. */
static void
state_write(const imp_t *m, size_t done)
{
	size_t n = strlen(m->state_path) + 8;
	char *tmp = malloc(n), hex[65];
	FILE *f;

	if (tmp == NULL)
		return;
	snprintf(tmp, n, "%s.tmp", m->state_path);
	sodium_bin2hex(hex, sizeof(hex), m->hash, sizeof(m->hash));
	if ((f = fopen(tmp, "w")) != NULL) {
		int ok = fprintf(f, "kartoteka-import 1 %s %zu\n", hex, done) > 0;
		ok = fclose(f) == 0 && ok;
		if (ok)
			rename(tmp, m->state_path);
		else
			unlink(tmp);
	}
	free(tmp);
}

/* ==== progress ================================================================== */

static double
elapsed(const imp_t *m)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - m->t0.tv_sec) +
	    (double)(now.tv_nsec - m->t0.tv_nsec) / 1e9;
}

/* "[#####.....]  45%  12000/26000 rows  3100 rows/s  0:05 left" */
static void
progress(imp_t *m, size_t done, size_t total, int last)
{
	struct timespec now;
	double t, rate;
	char bar[31];
	size_t fill, pct;
	long left;

	if (!m->bar)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!last && now.tv_sec == m->last_bar.tv_sec &&
	    now.tv_nsec - m->last_bar.tv_nsec < 100000000L)
		return;
	m->last_bar = now;
	t = elapsed(m);
	rate = t > 0 ? (double)done / t : 0;
	pct = total ? done * 100 / total : 100;
	fill = pct * 30 / 100;
	memset(bar, '#', fill);
	memset(bar + fill, '.', 30 - fill);
	bar[30] = '\0';
	left = rate > 0 ? (long)((double)(total - done) / rate) : 0;
	fprintf(stderr, _("\r[%s] %3zu%%  %zu/%zu rows  %.0f rows/s  "
	    "%ld:%02ld left "), bar, pct, done, total, rate, left / 60,
	    left % 60);
	if (last)
		fputc('\n', stderr);
	fflush(stderr);
}

/* ==== sending ==================================================================== */

/* One batch being filled. */
typedef struct batch {
	Kartoteka__Request req;
	Kartoteka__ImportBatchRequest ib;
	Kartoteka__ImportCard cards[BATCH_CARDS], *pc[BATCH_CARDS];
	size_t index[BATCH_CARDS];   /* the card numbers */
	size_t bytes;
	kt_arena_t arena;            /* the batch's cards */
} batch_t;

/* Sends b and notes each card's verdict. Returns 0 or an exit code
 * (reported). */
static int
send_batch(imp_t *m, batch_t *b)
{
	Kartoteka__Response *resp = NULL;
	const Kartoteka__ImportBatchResponse *ir;
	int rc;

	b->ib.cards = b->pc;
	b->ib.dry_run = m->dry_run;
	b->req.op_case = KARTOTEKA__REQUEST__OP_IMPORT_BATCH;
	b->req.import_batch = &b->ib;
	rc = cli_request(m->cli, &b->req,
	    KARTOTEKA__RESPONSE__RESULT_IMPORT_BATCH, &resp);
	if (rc != 0)
		return rc;
	ir = resp->import_batch;
	if (ir->n_results != b->ib.n_cards) {
		kartoteka__response__free_unpacked(resp, NULL);
		return cli_fail(m->cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
		    _("the server answered %zu cards of %zu"), ir->n_results,
		    b->ib.n_cards);
	}
	for (size_t i = 0; i < ir->n_results; i++) {
		const Kartoteka__ImportRowResult *res = ir->results[i];
		icard_t *c = &m->cards[b->index[i]];
		int o = (int)res->outcome;
		/* An outcome this client does not know is not a success. */
		c->outcome = o >= ROW_CREATED && o <= ROW_REFUSED ?
		    (uint8_t)o : ROW_REFUSED;
		c->id = res->client_id;
		if (c->outcome == ROW_REFUSED &&
		    (c->reason = strdup(res->reason && res->reason[0] ?
		    res->reason : _("refused by the server"))) == NULL)
			rc = cli_fail(m->cli, CLI_EXIT_USAGE, "NOMEM", NULL,
			    _("out of memory"));
	}
	kartoteka__response__free_unpacked(resp, NULL);
	b->ib.n_cards = 0;
	b->bytes = 0;
	kt_arena_reset(&b->arena);
	return rc;
}

/* Sends every card (from card skip on) in batches. Returns 0 or an exit
 * code (reported). */
static int
send_all(imp_t *m, size_t skip, size_t total_rows)
{
	batch_t *b = calloc(1, sizeof(*b));
	size_t rows_done = 0, pending = 0;
	int rc = 0;

	if (b == NULL || kt_arena_init(&b->arena, 1u << 20, 256u << 20) != 0) {
		free(b);
		return cli_fail(m->cli, CLI_EXIT_USAGE, "NOMEM", NULL,
		    _("out of memory"));
	}
	kartoteka__request__init(&b->req);
	kartoteka__import_batch_request__init(&b->ib);
	for (size_t i = 0; i < m->ncards && rc == 0; i++) {
		Kartoteka__Client *c;
		const size_t *lines;
		size_t n, sz;
		Kartoteka__ImportCard *ic;
		if ((rc = kt_igroup_card(m->group, i, &b->arena, &c, &lines,
		    &n)) != 0) {
			rc = cli_fail(m->cli, CLI_EXIT_USAGE, "NOMEM", NULL,
			    "%s", kt_strerror(rc));
			break;
		}
		for (size_t k = 0; k < n; k++)
			if ((rc = push_row(m, lines[k], i, NULL)) != 0) {
				rc = cli_fail(m->cli, CLI_EXIT_USAGE, "NOMEM",
				    NULL, _("out of memory"));
				goto out;
			} else {
				m->rows[m->nrows - 1].first = lines[0];
			}
		if (i < skip) {
			m->cards[i].outcome = ROW_SKIPPED;
			rows_done += n;
			continue;
		}
		ic = &b->cards[b->ib.n_cards];
		kartoteka__import_card__init(ic);
		ic->line = lines[0] > UINT32_MAX ? UINT32_MAX : (uint32_t)lines[0];
		ic->client = c;
		sz = kartoteka__import_card__get_packed_size(ic) + 8;
		if (b->ib.n_cards > 0 && b->bytes + sz > BATCH_BYTES) {
			/* The card does not fit: send the others first, and
			 * take it again into the emptied batch (whose arena
			 * the send reset). */
			if ((rc = send_batch(m, b)) != 0)
				break;
			rows_done += pending;
			pending = 0;
			if (!m->dry_run)
				state_write(m, i);
			progress(m, rows_done, total_rows, 0);
			if ((rc = kt_igroup_card(m->group, i, &b->arena, &c,
			    &lines, &n)) != 0) {
				rc = cli_fail(m->cli, CLI_EXIT_USAGE, "NOMEM",
				    NULL, "%s", kt_strerror(rc));
				break;
			}
			ic = &b->cards[0];
			kartoteka__import_card__init(ic);
			ic->line = lines[0] > UINT32_MAX ? UINT32_MAX :
			    (uint32_t)lines[0];
			ic->client = c;
		}
		b->pc[b->ib.n_cards] = ic;
		b->index[b->ib.n_cards++] = i;
		b->bytes += sz;
		pending += n;
		if (b->ib.n_cards == BATCH_CARDS) {
			if ((rc = send_batch(m, b)) != 0)
				break;
			rows_done += pending;
			pending = 0;
			if (!m->dry_run)
				state_write(m, i + 1);
			progress(m, rows_done, total_rows, 0);
		}
	}
	if (rc == 0 && b->ib.n_cards > 0) {
		rc = send_batch(m, b);
		rows_done += pending;
	}
	if (rc == 0)
		progress(m, rows_done, total_rows, 1);
	else if (m->bar)
		fputc('\n', stderr);
out:
	kt_arena_free(&b->arena);
	free(b);
	return rc;
}

/* ==== reporting ===================================================================== */

static int
by_line(const void *a, const void *b)
{
	const irow_t *x = a, *y = b;

	return x->line < y->line ? -1 : x->line > y->line;
}

static uint8_t
row_outcome(const imp_t *m, const irow_t *r)
{
	return r->card == SIZE_MAX ? ROW_REFUSED : m->cards[r->card].outcome;
}

static const char *
row_reason(const imp_t *m, const irow_t *r)
{
	return r->card == SIZE_MAX ? r->reason : m->cards[r->card].reason;
}

static const char *const outcome_json[ROW_OUTCOMES] = { "", "created",
	"merged", "unchanged", "refused", "skipped" };

/* One line per row: what was (or would be) done with it. */
static void
print_rows(const imp_t *m)
{
	char buf[600];

	for (size_t i = 0; i < m->nrows; i++) {
		const irow_t *r = &m->rows[i];
		uint8_t o = row_outcome(m, r);
		uint64_t id = r->card == SIZE_MAX ? 0 : m->cards[r->card].id;
		char with[48] = "";
		if (r->card != SIZE_MAX && r->first != r->line)
			snprintf(with, sizeof(with), _(" (with line %zu)"),
			    r->first);
		printf(_("line %zu: "), r->line);
		switch (o) {
		case ROW_CREATED:
			if (m->dry_run)
				printf(_("new card%s\n"), with);
			else
				printf(_("created client %" PRIu64 "%s\n"), id,
				    with);
			break;
		case ROW_MERGED:
			printf(m->dry_run ? _("merge into client %" PRIu64
			    "%s\n") : _("merged into client %" PRIu64 "%s\n"),
			    id, with);
			break;
		case ROW_UNCHANGED:
			printf(_("already in client %" PRIu64 "%s\n"), id, with);
			break;
		case ROW_SKIPPED:
			printf(_("sent by the earlier run (--resume)\n"));
			break;
		default:
			printf(_("refused: %s\n"), cli_clean(buf, sizeof(buf),
			    row_reason(m, r)));
		}
	}
}

static void
print_json(const imp_t *m, const char *refused_path)
{
	cli_json_begin(m->cli);
	cli_json_key("file");
	cli_json_str(stdout, m->path);
	cli_json_key("dry_run");
	printf("%s", m->dry_run ? "true" : "false");
	cli_json_key("cards");
	printf("%zu", m->ncards);
	for (int o = ROW_CREATED; o < ROW_OUTCOMES; o++) {
		cli_json_key(outcome_json[o]);
		printf("%zu", m->counts[o]);
	}
	cli_json_key("refused_file");
	if (refused_path)
		cli_json_str(stdout, refused_path);
	else
		printf("null");
	cli_json_key("rows");
	putchar('[');
	for (size_t i = 0; i < m->nrows; i++) {
		const irow_t *r = &m->rows[i];
		uint8_t o = row_outcome(m, r);
		printf("%s{\"line\":%zu,\"outcome\":\"%s\"", i ? "," : "",
		    r->line, outcome_json[o]);
		if (r->card != SIZE_MAX && m->cards[r->card].id)
			printf(",\"client\":%" PRIu64, m->cards[r->card].id);
		if (r->card != SIZE_MAX)
			printf(",\"card_line\":%zu", r->first);
		if (o == ROW_REFUSED) {
			printf(",\"reason\":");
			cli_json_str(stdout, row_reason(m, r));
		}
		putchar('}');
	}
	putchar(']');
	cli_json_end();
}

/* ==== the refused rows' file ========================================================== */

static void
put_cell(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* The reason of the refused row at line, or NULL (rows are sorted). */
static const char *
refused_at(const imp_t *m, size_t line)
{
	size_t lo = 0, hi = m->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->rows[mid].line < line)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < m->nrows && m->rows[lo].line == line &&
	    row_outcome(m, &m->rows[lo]) == ROW_REFUSED)
		return row_reason(m, &m->rows[lo]);
	return NULL;
}

/* The second reading: the header and every refused row, with a reason. */
static int
on_refused_row(const kt_irow_t *row, void *arg)
{
	imp_t *m = arg;
	const char *why = row->ir_line == m->header_line ? m->reason_header :
	    refused_at(m, row->ir_line);

	if (why == NULL)
		return 0;
	for (size_t i = 0; i < row->ir_ncells; i++) {
		put_cell(m->rf, row->ir_cells[i]);
		fputc(m->delim, m->rf);
	}
	for (size_t i = row->ir_ncells; i < m->map.im_ncols; i++)
		fputc(m->delim, m->rf);
	put_cell(m->rf, why);
	fputs("\r\n", m->rf);
	return 0;
}

/* Writes the refused rows to path: UTF-8 with a BOM, the file's
 * delimiter (';' for an .xlsx), its header and a reason column. */
static int
write_refused(imp_t *m, const imp_opts_t *o, const uint8_t *data,
    size_t len, const char *path, int is_xlsx)
{
	kt_csv_info_t info;
	char used[256];
	int rc;

	if ((m->rf = fopen(path, "wb")) == NULL)
		return cli_fail(m->cli, CLI_EXIT_USAGE, "FILE", NULL,
		    _("cannot write %s: %s"), path, strerror(errno));
	fputs("\xef\xbb\xbf", m->rf);
	m->reason_header = _("Причина отказа");
	if (is_xlsx) {
		m->delim = ';';
		rc = kt_xlsx_read(data, len, o->sheet, on_refused_row, m, used,
		    sizeof(used), m->err, sizeof(m->err));
	} else {
		kt_ienc_t enc = KT_IENC_AUTO;
		if (o->encoding && strcasecmp(o->encoding, "utf-8") == 0)
			enc = KT_IENC_UTF8;
		else if (o->encoding && strcasecmp(o->encoding, "cp1251") == 0)
			enc = KT_IENC_CP1251;
		rc = kt_csv_read(data, len, enc, m->delim, on_refused_row, m,
		    &info, m->err, sizeof(m->err));
	}
	if (fclose(m->rf) != 0 && rc == 0)
		rc = KT_EIO;
	m->rf = NULL;
	if (rc != 0)
		return cli_fail(m->cli, CLI_EXIT_USAGE, "FILE", NULL,
		    _("cannot write %s: %s"), path, m->err[0] ? m->err :
		    kt_strerror(rc));
	return 0;
}

/* ==== the command ======================================================================= */

static void
imp_free(imp_t *m)
{
	for (size_t i = 0; i < m->nrows; i++)
		free(m->rows[i].reason);
	free(m->rows);
	for (size_t i = 0; i < m->ncards && m->cards; i++)
		free(m->cards[i].reason);
	free(m->cards);
	kt_igroup_free(m->group);
	kt_imap_free(&m->map);
	kt_arena_free(&m->arena);
	free(m->state_path);
}

static int
check_opts(cli_t *cli, const imp_opts_t *o)
{
	if (o->encoding && strcasecmp(o->encoding, "auto") != 0 &&
	    strcasecmp(o->encoding, "utf-8") != 0 &&
	    strcasecmp(o->encoding, "cp1251") != 0)
		return cli_usage_error(cli, _("--encoding: auto, utf-8 or "
		    "cp1251"));
	if (o->delimiter && strcmp(o->delimiter, "auto") != 0 &&
	    strcmp(o->delimiter, ";") != 0 && strcmp(o->delimiter, ",") != 0 &&
	    strcmp(o->delimiter, "tab") != 0)
		return cli_usage_error(cli, _("--delimiter: auto, ';', ',' or "
		    "tab"));
	if (o->country && (strlen(o->country) < 1 || strlen(o->country) > 3 ||
	    strspn(o->country, "0123456789") != strlen(o->country) ||
	    o->country[0] == '0'))
		return cli_usage_error(cli, _("--country: a calling code of 1 "
		    "to 3 digits, such as 7"));
	if (o->resume && o->dry_run)
		return cli_usage_error(cli, _("--resume continues a real run; "
		    "a dry run has nothing to resume"));
	return 0;
}

/* Prints the mapping chosen (on stderr with --json). */
static void
show_mapping(const imp_t *m, const kt_csv_info_t *info, int is_xlsx,
    const char *sheet)
{
	FILE *f = m->cli->cli_json ? stderr : stdout;
	char h[200];

	if (is_xlsx)
		fprintf(f, _("reading %s: xlsx, sheet '%s'\n"), m->path,
		    cli_clean(h, sizeof(h), sheet));
	else
		fprintf(f, _("reading %s: %s%s, delimiter %s\n"), m->path,
		    kt_ienc_name(info->ci_encoding), info->ci_bom ?
		    _(" with BOM") : "", info->ci_delimiter == '\t' ? "tab" :
		    info->ci_delimiter == ';' ? "';'" : "','");
	fprintf(f, _("columns (line %zu):\n"), m->header_line);
	for (size_t i = 0; i < m->map.im_ncols; i++) {
		kt_ifield_t fl = m->map.im_field[i];
		size_t w;
		cli_clean(h, sizeof(h), m->map.im_header[i]);
		/* Padded by display width: the headers are Cyrillic. */
		w = cli_width(h);
		fprintf(f, "  %s%*s -> %s%s%s%s\n", h, w < 24 ? (int)(24 - w) : 0,
		    "", fl == KT_IF_IGNORE ? _("(ignored)") :
		    kt_ifield_name(fl), fl == KT_IF_CUSTOM ? ":" : "",
		    fl == KT_IF_CUSTOM ? m->map.im_custom[i] : "",
		    m->map.im_by_rule[i] ? _("  (--map)") : "");
	}
}

static int
cmd_import(cli_t *cli, int argc, char **argv)
{
	imp_opts_t o = { 0 };
	const cli_opt_t opts[] = {
		{ .ao_name = "--dry-run", .ao_flag = &o.dry_run },
		{ .ao_name = "--resume", .ao_flag = &o.resume },
		{ .ao_name = "--map", .ao_value = &o.map },
		{ .ao_name = "--branch", .ao_value = &o.branch },
		{ .ao_name = "--manager", .ao_value = &o.manager },
		{ .ao_name = "--encoding", .ao_value = &o.encoding },
		{ .ao_name = "--delimiter", .ao_value = &o.delimiter },
		{ .ao_name = "--sheet", .ao_value = &o.sheet },
		{ .ao_name = "--refused", .ao_value = &o.refused },
		{ .ao_name = "--country", .ao_value = &o.country },
	};
	const char *pos[1] = { NULL };
	imp_t m;
	uint8_t *data = NULL, *mapdata = NULL;
	size_t len = 0, maplen = 0, skip = 0, nref = 0, total_rows;
	kt_csv_info_t info = { 0 };
	char sheet[256] = "", *refused_path = NULL;
	int is_xlsx = 0, rc;

	memset(&m, 0, sizeof(m));
	rc = cli_parse_args(cli, argc, argv, opts, sizeof(opts) / sizeof(*opts),
	    pos, 1, 1, "FILE");
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = check_opts(cli, &o)) != 0)
		return rc;
	m.cli = cli;
	m.path = pos[0];
	m.dry_run = o.dry_run;
	m.resume = o.resume;
	m.map.im_cc = o.country ? o.country : "7";
	m.map.im_branch = o.branch;
	m.map.im_manager = o.manager;
	m.bar = !cli->cli_json && isatty(STDERR_FILENO);
	if (kt_arena_init(&m.arena, 64u << 10, 16u << 20) != 0 ||
	    kt_igroup_new(&m.group) != 0) {
		rc = cli_fail(cli, CLI_EXIT_USAGE, "NOMEM", NULL,
		    _("out of memory"));
		goto out;
	}
	if (o.map) {
		if ((rc = slurp(cli, "--map", o.map, MAP_FILE_MAX, &mapdata,
		    &maplen)) != 0)
			goto out;
		if (kt_imap_rules(&m.map, (const char *)mapdata, maplen, m.err,
		    sizeof(m.err)) != 0) {
			rc = cli_fail(cli, CLI_EXIT_USAGE, "MAP", NULL,
			    _("--map %s: %s"), o.map, m.err);
			goto out;
		}
	}
	if ((rc = slurp(cli, "FILE", m.path, FILE_MAX, &data, &len)) != 0)
		goto out;
	crypto_generichash(m.hash, sizeof(m.hash), data, len, NULL, 0);
	rc = read_table(&m, &o, data, len, &info, sheet, sizeof(sheet),
	    &is_xlsx);
	if (rc == 0 && !m.header_seen) {
		snprintf(m.err, sizeof(m.err), _("no rows: the file is empty"));
		rc = KT_EINVAL;
	}
	if (rc != 0) {
		rc = cli_fail(cli, CLI_EXIT_USAGE, "FILE", NULL, "%s: %s",
		    m.path, m.err[0] ? m.err : kt_strerror(rc));
		goto out;
	}
	if (!is_xlsx)
		m.delim = info.ci_delimiter;
	show_mapping(&m, &info, is_xlsx, sheet);
	if (kt_igroup_finish(m.group) != 0 ||
	    (m.ncards = kt_igroup_cards(m.group),
	    (m.cards = calloc(m.ncards + 1, sizeof(*m.cards))) == NULL)) {
		rc = cli_fail(cli, CLI_EXIT_USAGE, "NOMEM", NULL,
		    _("out of memory"));
		goto out;
	}
	total_rows = kt_igroup_rows(m.group);
	{
		size_t n = strlen(m.path) + 16;
		if ((m.state_path = malloc(n)) == NULL) {
			rc = cli_fail(cli, CLI_EXIT_USAGE, "NOMEM", NULL,
			    _("out of memory"));
			goto out;
		}
		snprintf(m.state_path, n, "%s.import-state", m.path);
	}
	skip = state_read(&m);
	if (!o.resume && skip > 0 && !m.dry_run)
		fprintf(stderr, _("note: an earlier run of this file stopped "
		    "after %zu cards; this run matches them by phone and "
		    "e-mail (--resume would skip them)\n"), skip);
	if (!o.resume)
		skip = 0;
	if (skip > m.ncards)
		skip = m.ncards;
	clock_gettime(CLOCK_MONOTONIC, &m.t0);
	if (m.ncards > 0) {
		if ((rc = cli_load_config(cli)) != 0 ||
		    (rc = cli_open_session(cli)) != 0 ||
		    (rc = send_all(&m, skip, total_rows)) != 0)
			goto out;
	}
	if (!m.dry_run)
		unlink(m.state_path);
	qsort(m.rows, m.nrows, sizeof(*m.rows), by_line);
	for (size_t i = 0; i < m.nrows; i++)
		m.counts[row_outcome(&m, &m.rows[i])]++;
	nref = m.counts[ROW_REFUSED];
	if (nref > 0) {
		size_t n = strlen(m.path) + 16;
		if (o.refused)
			refused_path = strdup(o.refused);
		else if ((refused_path = malloc(n)) != NULL)
			snprintf(refused_path, n, "%s.refused.csv", m.path);
		if (refused_path == NULL) {
			rc = cli_fail(cli, CLI_EXIT_USAGE, "NOMEM", NULL,
			    _("out of memory"));
			goto out;
		}
		if ((rc = write_refused(&m, &o, data, len, refused_path,
		    is_xlsx)) != 0)
			goto out;
	}
	if (cli->cli_json) {
		print_json(&m, refused_path);
	} else {
		print_rows(&m);
		printf(m.dry_run ? _("dry run, nothing written: %zu rows "
		    "(%zu cards): %zu in new cards, %zu to merge into cards of "
		    "the base, %zu already there, %zu refused (%.1f s)\n") :
		    _("imported %zu rows (%zu cards): %zu in new cards, %zu "
		    "merged into cards of the base, %zu already there, %zu "
		    "refused (%.1f s)\n"), m.nrows, m.ncards,
		    m.counts[ROW_CREATED],
		    m.counts[ROW_MERGED], m.counts[ROW_UNCHANGED], nref,
		    elapsed(&m));
		if (m.counts[ROW_SKIPPED])
			printf(_("%zu rows were sent by the earlier run\n"),
			    m.counts[ROW_SKIPPED]);
		if (refused_path)
			printf(_("refused rows, with the reason in the last "
			    "column: %s (fix them and import that file)\n"),
			    refused_path);
	}
	rc = CLI_EXIT_OK;
out:
	free(refused_path);
	free(data);
	free(mapdata);
	imp_free(&m);
	return rc;
}

const cli_command_t cli_commands_import[] = {
	{ "import", cmd_import,
	  N_("import FILE [--dry-run] [--map MAPPING] [--branch B] [--manager "
	     "LOGIN] [--encoding auto|utf-8|cp1251] [--delimiter auto|;|,|tab] "
	     "[--sheet NAME] [--refused FILE] [--resume] [--country CC]"),
	  N_("import clients from a CSV or .xlsx file (owner)"),
	  N_("Reads the file (CSV in UTF-8, with or without a BOM, or in "
	     "cp1251; ';', ','\n"
	     "or tab; or an .xlsx workbook's first sheet or --sheet NAME), "
	     "recognises\n"
	     "the usual column headers (ФИО, Фамилия, Имя, Телефон, Email, "
	     "Дата рождения,\n"
	     "Дети, Филиал, Менеджер, ...; a mapping file of 'Header = field' "
	     "lines for\n"
	     "the rest) and prints the mapping it chose. Rows sharing a phone "
	     "or an\n"
	     "e-mail, or a family name and address, become one card. The "
	     "server checks\n"
	     "each card as `client add` does and merges it into a card of the "
	     "base that\n"
	     "has one of its phones or e-mails. --dry-run asks the same and "
	     "writes\n"
	     "nothing. Every row's verdict is printed by line; refused rows "
	     "go to\n"
	     "FILE.refused.csv (or --refused) with the reason as the last "
	     "column, to fix\n"
	     "and import again. Running an import again creates no "
	     "duplicates; --resume\n"
	     "skips the cards an interrupted run had sent. docs/IMPORT.md.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka import clients.csv --dry-run --branch Центр\n"
	     "  kartoteka import clients.xlsx --sheet Клиенты --map map.txt\n") },
	{ NULL, NULL, NULL, NULL, NULL },
};
