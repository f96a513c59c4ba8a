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
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <pthread.h>
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
#define CONN_MAX 16u                    /* --connections */
#define CONN_DEFAULT 16u

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
	int e = f == NULL ? errno : 0;

	*out = NULL;
	*len = 0;
	if (f != NULL && fstat(fileno(f), &sb) != 0)
		e = errno;
	else if (f != NULL && !S_ISREG(sb.st_mode))
		e = EINVAL;
	if (e != 0) {
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
	const char *refused, *country, *connections;
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
	snprintf(tmp, n, "%s.tmp", /* untranslated: a file name */
	    m->state_path);
	sodium_bin2hex(hex, sizeof(hex), m->hash, sizeof(m->hash));
	if ((f = fopen(tmp, "w")) != NULL) {
		int ok = fprintf(f, "kartoteka-import 1 %s %zu\n", hex, done
		    /* untranslated: the state file's format */) > 0;
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
	/* the \r that redraws the line is no part of the message */
	fputc('\r', stderr);
	fprintf(stderr, P_("[%s] %3zu%%  %zu/%zu row  %.0f rows/s  "
	    "%ld:%02ld left ", "[%s] %3zu%%  %zu/%zu rows  %.0f rows/s  "
	    "%ld:%02ld left ", total), bar, pct, done, total, rate, left / 60,
	    left % 60);
	if (last)
		fputc('\n', stderr);
	fflush(stderr);
}

/* ==== sending ==================================================================== */

/* Batches go out on several connections at once (--connections): each
 * waits for its commit, and the server's writer puts the batches that
 * meet into one durable transaction. Cards of different batches never
 * share a phone or an e-mail (the grouping joined those), so the order
 * in which batches commit does not change a verdict. */

/* One batch being filled or sent. */
typedef struct batch {
	Kartoteka__Request req;
	Kartoteka__ImportBatchRequest ib;
	Kartoteka__ImportCard cards[BATCH_CARDS], *pc[BATCH_CARDS];
	size_t index[BATCH_CARDS];   /* the card numbers */
	size_t bytes, rows;
	size_t seq;                  /* its place in the order of sending */
	kt_arena_t arena;            /* the batch's cards */
	struct batch *next;          /* in the queue or the free list */
} batch_t;

/* The sender threads and what they share (under mu). */
typedef struct senders {
	imp_t *m;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	batch_t *queue, *queue_tail, *free;
	int closed;                  /* no more batches will come */
	/* the first failure: an exit code, and the server's answer */
	int rc;
	Kartoteka__Response *err_resp;
	cli_t *err_cli;
	/* progress and the state file: batches done, in order */
	uint8_t *done;               /* by seq */
	size_t *last_card;           /* by seq: its last card + 1 */
	size_t nseq, capseq, watermark;
	size_t rows_done, total_rows;
	size_t nworkers;
	struct worker {
		struct senders *s;
		cli_t cli;           /* its own connection and session */
		pthread_t tid;
		int started;
	} w[CONN_MAX];
} senders_t;

/* Notes the verdicts of b (answered by ir). Returns 0 or an exit code. */
static int
note_results(imp_t *m, const batch_t *b,
    const Kartoteka__ImportBatchResponse *ir)
{
	if (ir->n_results != b->ib.n_cards)
		return CLI_EXIT_CONNECT;
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
		    res->reason : "refused by the server")) == NULL)
			return CLI_EXIT_USAGE;
	}
	return 0;
}

/* A batch was committed: the progress, and the state file up to the
 * first batch still out. Under s->mu. */
static void
batch_done(senders_t *s, const batch_t *b)
{
	imp_t *m = s->m;
	size_t before = s->watermark;

	s->done[b->seq] = 1;
	s->rows_done += b->rows;
	while (s->watermark < s->nseq && s->done[s->watermark])
		s->watermark++;
	if (!m->dry_run && s->watermark > before)
		state_write(m, s->last_card[s->watermark - 1]);
	if (s->rows_done < s->total_rows)   /* the last is printed at the end */
		progress(m, s->rows_done, s->total_rows, 0);
}

static void *
sender(void *arg)
{
	struct worker *w = arg;
	senders_t *s = w->s;

	for (;;) {
		Kartoteka__Response *resp = NULL;
		batch_t *b;
		int rc;
		pthread_mutex_lock(&s->mu);
		while (s->queue == NULL && !s->closed && s->rc == 0)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->queue == NULL || s->rc != 0) {
			pthread_mutex_unlock(&s->mu);
			return NULL;
		}
		b = s->queue;
		if ((s->queue = b->next) == NULL)
			s->queue_tail = NULL;
		pthread_mutex_unlock(&s->mu);

		rc = kt_conn_call(w->cli.cli_conn, &b->req, &resp);
		if (rc != 0) {
			rc = CLI_EXIT_CONNECT;
		} else if (resp->error != NULL &&
		    resp->error->code != KARTOTEKA__ERROR__CODE__OK) {
			rc = CLI_EXIT_SERVER;
		} else if (resp->result_case !=
		    KARTOTEKA__RESPONSE__RESULT_IMPORT_BATCH ||
		    resp->import_batch == NULL) {
			rc = CLI_EXIT_CONNECT;
		} else {
			rc = note_results(s->m, b, resp->import_batch);
		}
		pthread_mutex_lock(&s->mu);
		if (rc != 0 && s->rc == 0) {
			s->rc = rc;
			s->err_cli = &w->cli;
			if (rc == CLI_EXIT_SERVER) {
				s->err_resp = resp;
				resp = NULL;
			}
		} else if (rc == 0) {
			batch_done(s, b);
		}
		kt_arena_reset(&b->arena);
		b->next = s->free;
		s->free = b;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		if (resp != NULL)
			kartoteka__response__free_unpacked(resp, NULL);
	}
}

/* A free batch to fill (waits for one); NULL once a sender failed. */
static batch_t *
take_free(senders_t *s)
{
	batch_t *b;

	pthread_mutex_lock(&s->mu);
	while (s->free == NULL && s->rc == 0)
		pthread_cond_wait(&s->cv, &s->mu);
	b = s->rc == 0 ? s->free : NULL;
	if (b != NULL)
		s->free = b->next;
	pthread_mutex_unlock(&s->mu);
	if (b != NULL) {
		kartoteka__request__init(&b->req);
		kartoteka__import_batch_request__init(&b->ib);
		b->ib.cards = b->pc;
		b->ib.dry_run = s->m->dry_run;
		b->req.op_case = KARTOTEKA__REQUEST__OP_IMPORT_BATCH;
		b->req.import_batch = &b->ib;
		b->bytes = b->rows = 0;
	}
	return b;
}

/* Queues b for the senders. Returns 0 or KT_ENOMEM. */
static int
enqueue(senders_t *s, batch_t *b)
{
	int rc = 0;

	pthread_mutex_lock(&s->mu);
	if (s->nseq == s->capseq) {
		size_t cap = s->capseq ? s->capseq * 2 : 256;
		uint8_t *d = realloc(s->done, cap);
		size_t *l = d ? realloc(s->last_card, cap * sizeof(*l)) : NULL;
		if (d)
			s->done = d;
		if (l)
			s->last_card = l;
		if (d == NULL || l == NULL)
			rc = KT_ENOMEM;
		else
			s->capseq = cap;
	}
	if (rc == 0) {
		b->seq = s->nseq;
		s->done[b->seq] = 0;
		s->last_card[b->seq] = b->index[b->ib.n_cards - 1] + 1;
		s->nseq++;
		b->next = NULL;
		if (s->queue_tail)
			s->queue_tail->next = b;
		else
			s->queue = b;
		s->queue_tail = b;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* Adds card i to b when it fits (1), else leaves b as it is (0); 2 when
 * the card alone would not fit one request (it is refused, the run goes
 * on); -1 on a failure (reported). */
static int
add_card(imp_t *m, batch_t *b, size_t i)
{
	Kartoteka__Client *c;
	Kartoteka__ImportCard *ic;
	const size_t *lines;
	size_t n, sz;
	int rc;

	if ((rc = kt_igroup_card(m->group, i, &b->arena, &c, &lines, &n)) != 0) {
		cli_fail(m->cli, CLI_EXIT_USAGE, "NOMEM", NULL, "%s",
		    _(kt_strerror(rc)));
		return -1;
	}
	ic = &b->cards[b->ib.n_cards];
	kartoteka__import_card__init(ic);
	ic->line = lines[0] > UINT32_MAX ? UINT32_MAX : (uint32_t)lines[0];
	ic->client = c;
	sz = kartoteka__import_card__get_packed_size(ic) + 8;
	if (sz > BATCH_BYTES) {
		char why[300];
		snprintf(why, sizeof(why), _("the card is too large for one "
		    "request (%zu bytes, at most %u): split the family or "
		    "shorten its notes"), sz, BATCH_BYTES);
		if ((m->cards[i].reason = strdup(why)) == NULL) {
			cli_fail(m->cli, CLI_EXIT_USAGE, "NOMEM", NULL, "%s",
			    _("out of memory"));
			return -1;
		}
		m->cards[i].outcome = ROW_REFUSED;
		return 2;
	}
	if (b->ib.n_cards > 0 && b->bytes + sz > BATCH_BYTES)
		return 0;
	b->pc[b->ib.n_cards] = ic;
	b->index[b->ib.n_cards++] = i;
	b->bytes += sz;
	b->rows += n;
	return 1;
}

/* Opens the senders' connections, each with the saved session. Returns 0
 * or an exit code (reported). */
static int
senders_open(senders_t *s, imp_t *m, size_t nconn)
{
	int rc;

	s->m = m;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	for (size_t k = 0; k < 2 * nconn + 1; k++) {
		batch_t *b = calloc(1, sizeof(*b));
		if (b == NULL || kt_arena_init(&b->arena, 1u << 20,
		    256u << 20) != 0) {
			free(b);
			return cli_fail(m->cli, CLI_EXIT_USAGE, "NOMEM", NULL,
			    _("out of memory"));
		}
		b->next = s->free;
		s->free = b;
	}
	for (size_t k = 0; k < nconn; k++) {
		struct worker *w = &s->w[k];
		w->s = s;
		w->cli = *m->cli;
		w->cli.cli_conn = NULL;
		w->cli.cli_hello = NULL;
		s->nworkers = k + 1;
		if ((rc = cli_open_session(&w->cli)) != 0)
			return rc;
	}
	for (size_t k = 0; k < nconn; k++) {
		if (pthread_create(&s->w[k].tid, NULL, sender, &s->w[k]) != 0)
			return cli_fail(m->cli, CLI_EXIT_USAGE, "THREAD", NULL,
			    _("cannot start a sender thread"));
		s->w[k].started = 1;
	}
	return 0;
}

/* Waits for the senders, reports their first failure, closes and frees
 * everything. Returns rc, or the senders' failure (reported). */
static int
senders_close(senders_t *s, int rc)
{
	pthread_mutex_lock(&s->mu);
	s->closed = 1;
	if (rc != 0 && s->rc == 0)
		s->rc = rc;          /* the producer failed: stop sending */
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (size_t k = 0; k < s->nworkers; k++)
		if (s->w[k].started)
			pthread_join(s->w[k].tid, NULL);
	if (rc == 0 && s->rc != 0) {
		cli_t *c = s->err_cli;
		if (s->err_resp != NULL)
			rc = cli_server_error(c, s->err_resp,
			    s->err_resp->error->code ==
			    KARTOTEKA__ERROR__CODE__UNAUTHENTICATED ?
			    cli_hint_not_logged_in() : NULL);
		else if (s->rc == CLI_EXIT_CONNECT)
			rc = cli_fail(c, CLI_EXIT_CONNECT, "CONNECT", NULL,
			    _("connection to %s failed or answered wrongly"),
			    c->cli_cfg.address);
		else
			rc = cli_fail(c, s->rc, "NOMEM", NULL,
			    _("out of memory"));
	}
	if (s->err_resp != NULL)
		kartoteka__response__free_unpacked(s->err_resp, NULL);
	for (size_t k = 0; k < s->nworkers; k++) {
		kt_conn_close(s->w[k].cli.cli_conn);
		if (s->w[k].cli.cli_hello != NULL)
			kartoteka__server_hello__free_unpacked(
			    s->w[k].cli.cli_hello, NULL);
	}
	while (s->free != NULL) {
		batch_t *b = s->free;
		s->free = b->next;
		kt_arena_free(&b->arena);
		free(b);
	}
	free(s->done);
	free(s->last_card);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	return rc;
}

/* Sends every card (from card skip on) in batches on nconn connections.
 * Returns 0 or an exit code (reported). */
static int
send_all(imp_t *m, size_t skip, size_t total_rows, size_t nconn)
{
	senders_t *s = calloc(1, sizeof(*s));
	batch_t *b = NULL;
	int rc = 0, fit;

	if (s == NULL)
		return cli_fail(m->cli, CLI_EXIT_USAGE, "NOMEM", NULL,
		    _("out of memory"));
	s->total_rows = total_rows;
	/* No more connections than batches (each logs a session resume). */
	if (nconn > (m->ncards - skip + BATCH_CARDS - 1) / BATCH_CARDS)
		nconn = (m->ncards - skip + BATCH_CARDS - 1) / BATCH_CARDS;
	if (nconn == 0)
		nconn = 1;
	rc = senders_open(s, m, nconn);
	for (size_t i = 0; i < m->ncards && rc == 0; i++) {
		const size_t *lines;
		size_t n;
		kt_igroup_lines(m->group, i, &lines, &n);
		for (size_t k = 0; k < n && rc == 0; k++)
			if (push_row(m, lines[k], i, NULL) != 0)
				rc = cli_fail(m->cli, CLI_EXIT_USAGE, "NOMEM",
				    NULL, _("out of memory"));
			else
				m->rows[m->nrows - 1].first = lines[0];
		if (rc != 0)
			break;
		if (i < skip) {
			m->cards[i].outcome = ROW_SKIPPED;
			pthread_mutex_lock(&s->mu);
			s->rows_done += n;
			pthread_mutex_unlock(&s->mu);
			continue;
		}
		if (b == NULL && (b = take_free(s)) == NULL)
			break;                  /* a sender failed */
		if ((fit = add_card(m, b, i)) < 0) {
			rc = CLI_EXIT_USAGE;
			break;
		}
		if (fit == 2) {
			/* refused here: its rows are done */
			pthread_mutex_lock(&s->mu);
			s->rows_done += n;
			pthread_mutex_unlock(&s->mu);
			continue;
		}
		if (fit == 0) {
			/* Full: send it, and take the card into a new one. */
			if (enqueue(s, b) != 0) {
				rc = cli_fail(m->cli, CLI_EXIT_USAGE, "NOMEM",
				    NULL, _("out of memory"));
				break;
			}
			if ((b = take_free(s)) == NULL)
				break;
			if (add_card(m, b, i) != 1) {
				rc = CLI_EXIT_USAGE;
				break;
			}
		}
		if (b->ib.n_cards == BATCH_CARDS) {
			if (enqueue(s, b) != 0) {
				rc = cli_fail(m->cli, CLI_EXIT_USAGE, "NOMEM",
				    NULL, _("out of memory"));
				break;
			}
			b = NULL;
		}
	}
	if (rc == 0 && b != NULL && b->ib.n_cards > 0) {
		if (enqueue(s, b) != 0)
			rc = cli_fail(m->cli, CLI_EXIT_USAGE, "NOMEM", NULL,
			    _("out of memory"));
		b = NULL;
	}
	if (b != NULL) {
		/* Never queued: back to the free list, freed with it. */
		pthread_mutex_lock(&s->mu);
		b->next = s->free;
		s->free = b;
		pthread_mutex_unlock(&s->mu);
	}
	rc = senders_close(s, rc);
	if (rc == 0)
		progress(m, s->rows_done, total_rows, 1);
	else if (m->bar)
		fputc('\n', stderr);
	free(s);
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
	int rc, fd;

	/* 0600, also over an older file: the refused rows are clients'
	 * personal data. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) != 0 ||
	    (m->rf = fdopen(fd, "wb")) == NULL) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return cli_fail(m->cli, CLI_EXIT_USAGE, "FILE", NULL,
		    _("cannot write %s: %s"), path, strerror(e));
	}
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
		    _(kt_strerror(rc)));
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
	if (o->connections && (strspn(o->connections, "0123456789") !=
	    strlen(o->connections) || strlen(o->connections) > 2 ||
	    atoi(o->connections) < 1 || atoi(o->connections) > (int)CONN_MAX))
		return cli_usage_error(cli, _("--connections: 1 to 16"));
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
		    _(" with BOM") : "", info->ci_delimiter == '\t' ? _("tab") :
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
		{ .ao_name = "--connections", .ao_value = &o.connections },
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
	if (o.refused && strcmp(o.refused, pos[0]) == 0)
		return cli_usage_error(cli, _("--refused: not the file being "
		    "imported"));
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
		    m.path, m.err[0] ? m.err : _(kt_strerror(rc)));
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
		snprintf(m.state_path, n, "%s.import-state", /* untranslated:
		    a file name */ m.path);
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
		    (rc = cli_require_enrolled(cli)) != 0 ||
		    (rc = send_all(&m, skip, total_rows, o.connections ?
		    (size_t)atoi(o.connections) : CONN_DEFAULT)) != 0)
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
			snprintf(refused_path, n, "%s.refused.csv",
			    /* untranslated: a file name */ m.path);
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
	     "[--sheet NAME] [--refused FILE] [--resume] [--country CC] "
	     "[--connections N]"),
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
