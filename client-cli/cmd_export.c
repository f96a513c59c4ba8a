/* SPDX-License-Identifier: MIT */
/* kartoteka export and kartoteka backup: the owner's export of the client
 * base and backup of the whole store. The server renders the file and
 * streams it in ExportChunks; these commands write the bytes as they come
 * (to -o FILE, atomically, or to stdout for an export), hash them, show a
 * progress bar on a terminal and check the hash against the server's,
 * which is also the one in the audit log. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "kt_error.h"
#include "normalize.h"

/* ==== the format =========================================================== */

static const char *const format_names[] = { "csv", "csv-excel", "vcard",
	"xlsx" };
#define NFORMATS (sizeof(format_names) / sizeof(format_names[0]))
/* Cards on one xlsx sheet: Excel's 1,048,576 rows less the header. */
#define XLSX_SHEET_CARDS 1048575u

/* The index of s in names[from..n), or an exit code (reported). */
static int
pick(cli_t *cli, const char *what, const char *s, const char *const *names,
    size_t from, size_t n, int *out)
{
	char msg[200];
	size_t l;

	for (size_t i = from; i < n; i++)
		if (strcasecmp(s, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	snprintf(msg, sizeof(msg), _("%s: '%s' is not one of"), what, s);
	for (size_t i = from; i < n; i++) {
		l = strlen(msg);
		snprintf(msg + l, sizeof(msg) - l, "%s%s", i > from ? "," : " ",
		    names[i]);
	}
	return cli_usage_error(cli, msg);
}

/* ==== receiving =========================================================== */

/* Where the bytes go and what was seen. */
typedef struct sinkf {
	FILE *f;                     /* the temporary file, or stdout */
	const char *path;            /* -o FILE, or NULL */
	char *tmp;                   /* FILE.XXXXXX while writing, malloc'd */
	int keep_old;                /* never replace an existing FILE */
	unsigned rcase;              /* the answers' result case */
	const char *what;            /* "export" or "backup", for messages */
	crypto_generichash_state h;
	uint64_t bytes, rows, total;
	int bar;                     /* progress on stderr */
	struct timespec last_bar;
} sinkf_t;

static int
sink_open(cli_t *cli, sinkf_t *s, const char *path)
{
	size_t n;
	int fd;

	crypto_generichash_init(&s->h, NULL, 0, 32);
	s->path = path;
	if (path == NULL) {
		s->f = stdout;
		return 0;
	}
	/* Next to FILE, so the rename at the end is atomic. mkstemp makes
	 * it 0600: an export is the whole base. */
	n = strlen(path) + 8;
	if ((s->tmp = malloc(n)) == NULL)
		return cli_fail(cli, CLI_EXIT_USAGE, "NOMEM", NULL,
		    _("out of memory"));
	snprintf(s->tmp, n, "%s.XXXXXX", /* untranslated: a file name */ path);
	if ((fd = mkstemp(s->tmp)) < 0 || (s->f = fdopen(fd, "wb")) == NULL) {
		int e = errno;
		if (fd >= 0) {
			close(fd);
			unlink(s->tmp);
		}
		free(s->tmp);
		s->tmp = NULL;
		return cli_fail(cli, CLI_EXIT_USAGE, "FILE", NULL,
		    _("cannot write %s: %s"), path, strerror(e));
	}
	return 0;
}

/* Removes the temporary file (a failed export leaves nothing). */
static void
sink_abort(sinkf_t *s)
{
	if (s->tmp != NULL) {
		if (s->f != NULL)
			fclose(s->f);
		unlink(s->tmp);
		free(s->tmp);
		s->tmp = NULL;
	}
	s->f = NULL;
}

/* Flushes, syncs and renames the file into place. */
static int
sink_commit(cli_t *cli, sinkf_t *s)
{
	int e = 0;

	if (s->tmp == NULL)
		return fflush(stdout) == 0 ? 0 : cli_fail(cli, CLI_EXIT_USAGE,
		    "FILE", NULL, _("cannot write the %s to stdout: %s"),
		    s->what, strerror(errno));
	if (fflush(s->f) != 0 || fsync(fileno(s->f)) != 0)
		e = errno;
	if (fclose(s->f) != 0 && e == 0)
		e = errno;
	s->f = NULL;
	/* link, not rename, when an existing file must stay: it fails
	 * with EEXIST instead of replacing it. */
	if (e == 0 && (s->keep_old ? link(s->tmp, s->path) :
	    rename(s->tmp, s->path)) != 0)
		e = errno;
	if (e == 0 && s->keep_old)
		unlink(s->tmp);
	if (e != 0) {
		sink_abort(s);
		return cli_fail(cli, CLI_EXIT_USAGE, "FILE", NULL,
		    _("cannot write %s: %s"), s->path, strerror(e));
	}
	free(s->tmp);
	s->tmp = NULL;
	return 0;
}

static void
progress(sinkf_t *s, int last)
{
	struct timespec now;
	char bar[31];
	unsigned pct, fill;

	if (!s->bar)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!last && now.tv_sec == s->last_bar.tv_sec &&
	    now.tv_nsec - s->last_bar.tv_nsec < 100000000L)
		return;
	s->last_bar = now;
	pct = s->total ? (unsigned)(s->rows * 100 / s->total) : 100;
	if (pct > 100)
		pct = 100;
	fill = pct * 30 / 100;
	memset(bar, '#', fill);
	memset(bar + fill, '.', 30 - fill);
	bar[30] = '\0';
	if (s->rcase == KARTOTEKA__RESPONSE__RESULT_BACKUP)
	/* the \r that redraws the line is no part of the message */
	fputc('\r', stderr);
	if (s->rcase == KARTOTEKA__RESPONSE__RESULT_BACKUP)
		fprintf(stderr, _("backup [%s] %3u%%  %.1f of about %.1f MB"),
		    bar, pct, s->rows / 1e6, s->total / 1e6);
	else
		fprintf(stderr, P_("export [%s] %3u%%  %llu/%llu client",
		    "export [%s] %3u%%  %llu/%llu clients", s->total), bar, pct,
		    (unsigned long long)s->rows, (unsigned long long)s->total);
	if (last)
		fputc('\n', stderr);
	fflush(stderr);
}

/* One chunk: its bytes written and hashed. */
static int
take_chunk(cli_t *cli, sinkf_t *s, const Kartoteka__ExportChunk *ch)
{
	if (ch->data.len > 0) {
		if (fwrite(ch->data.data, 1, ch->data.len, s->f) !=
		    ch->data.len)
			return cli_fail(cli, CLI_EXIT_USAGE, "FILE", NULL,
			    _("cannot write %s: %s"), s->path ? s->path :
			    _("stdout"), strerror(errno));
		crypto_generichash_update(&s->h, ch->data.data, ch->data.len);
		s->bytes += ch->data.len;
	}
	s->rows = ch->rows;
	s->total = ch->total;
	progress(s, 0);
	return 0;
}

/* The chunk of resp, of the kind s expects; NULL when it is another. */
static const Kartoteka__ExportChunk *
chunk_of(const sinkf_t *s, const Kartoteka__Response *resp)
{
	if (resp->result_case != s->rcase)
		return NULL;
	return s->rcase == KARTOTEKA__RESPONSE__RESULT_BACKUP ? resp->backup :
	    resp->export;
}

/* A streamed answer that is not a chunk. */
static int
not_a_chunk(cli_t *cli)
{
	return cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
	    _("the server at %s sent an answer of the wrong kind"),
	    cli->cli_cfg.address);
}

/* Receives every chunk of the answer to req into s. Returns an exit code
 * (reported); on 0 *hex is the server's hash (of the last chunk, checked
 * against ours). */
static int
receive(cli_t *cli, Kartoteka__Request *req, sinkf_t *s, char hex[65])
{
	Kartoteka__Response *resp = NULL;
	uint8_t mine[32];
	char mhex[65];
	int rc;

	const Kartoteka__ExportChunk *ch;

	rc = cli_session_request(cli, req, s->rcase, &resp);
	if (rc != 0)
		return rc;
	for (;;) {
		if ((ch = chunk_of(s, resp)) == NULL) {
			rc = not_a_chunk(cli);
			goto out;
		}
		if ((rc = take_chunk(cli, s, ch)) != 0)
			goto out;
		if (!resp->more)
			break;
		kartoteka__response__free_unpacked(resp, NULL);
		resp = NULL;
		if ((rc = kt_conn_next(cli->cli_conn, &resp)) != 0) {
			rc = cli_fail(cli, CLI_EXIT_CONNECT, "CONNECT", NULL,
			    _("connection to %s failed during the %s: %s"),
			    cli->cli_cfg.address, s->what, _(kt_strerror(rc)));
			goto out;
		}
		if (resp->error != NULL &&
		    resp->error->code != KARTOTEKA__ERROR__CODE__OK) {
			rc = cli_server_error(cli, resp, NULL);
			goto out;
		}
	}
	progress(s, 1);
	crypto_generichash_final(&s->h, mine, 32);
	sodium_bin2hex(mhex, sizeof(mhex), mine, 32);
	if (ch->blake2b == NULL || strcmp(ch->blake2b, mhex) != 0) {
		rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
		    _("the file received does not match the server's hash: "
		    "discarded"));
		goto out;
	}
	memcpy(hex, mhex, 65);
	rc = 0;
out:
	if (rc != 0 && s->bar)
		fputc('\n', stderr);
	if (resp != NULL)
		kartoteka__response__free_unpacked(resp, NULL);
	return rc;
}

/* ==== the command ========================================================= */

static int
cmd_export(cli_t *cli, int argc, char **argv)
{
	cli_filters_t flt;
	const char *format = NULL, *out = NULL;
	cli_opt_t opts[CLI_FILTER_NOPTS + 3];
	size_t nopts;
	int v = 0;
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ExportRequest er = KARTOTEKA__EXPORT_REQUEST__INIT;
	Kartoteka__ClientListRequest f = KARTOTEKA__CLIENT_LIST_REQUEST__INIT;
	sinkf_t s;
	char hex[65];
	int rc;

	memset(&s, 0, sizeof(s));
	s.rcase = KARTOTEKA__RESPONSE__RESULT_EXPORT;
	s.what = "export";
	memset(&flt, 0, sizeof(flt));
	nopts = cli_filter_opts(&flt, opts);
	opts[nopts++] = (cli_opt_t){ .ao_name = "--format",
		.ao_value = &format };
	opts[nopts++] = (cli_opt_t){ .ao_name = "--output", .ao_value = &out };
	opts[nopts++] = (cli_opt_t){ .ao_name = "-o", .ao_value = &out };
	rc = cli_parse_args(cli, argc, argv, opts, nopts, NULL, 0, 0, "");
	if (rc != 0)
		return cli_parsed(rc);
	if (format == NULL)
		return cli_usage_error(cli, _("--format is required: csv, "
		    "csv-excel, vcard or xlsx"));
	if ((rc = pick(cli, "--format", format, format_names, 0, NFORMATS,
	    &v)) != 0)
		return rc;
	er.format = (Kartoteka__ExportFormat)v;
	if (out != NULL && out[0] == '\0')
		return cli_usage_error(cli, _("-o: give a file name"));
	if (out == NULL && cli->cli_json)
		return cli_usage_error(cli, _("--json needs -o FILE (the "
		    "export itself would be on stdout)"));
	if ((rc = cli_filters_request(cli, &flt, &f)) != 0)
		return rc;
	er.filter = &f;
	req.op_case = KARTOTEKA__REQUEST__OP_EXPORT;
	req.export = &er;
	if ((rc = sink_open(cli, &s, out)) != 0)
		return rc;
	s.bar = !cli->cli_json && isatty(STDERR_FILENO);
	if ((rc = receive(cli, &req, &s, hex)) != 0 ||
	    (rc = sink_commit(cli, &s)) != 0) {
		sink_abort(&s);
		return rc;
	}
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("file");
		cli_json_str(stdout, out);
		cli_json_key("format");
		cli_json_str(stdout, format_names[er.format]);
		cli_json_key("rows");
		printf("%" PRIu64, s.rows);
		cli_json_key("bytes");
		printf("%" PRIu64, s.bytes);
		cli_json_key("blake2b");
		cli_json_str(stdout, hex);
		cli_json_end();
	} else {
		/* With the file on stdout the summary goes to stderr. */
		FILE *o = out != NULL ? stdout : stderr;
		unsigned long long rows = s.rows, bytes = s.bytes;
		if (out != NULL)
			fprintf(o, P_("exported %llu client to %s (%llu bytes)\n",
			    "exported %llu clients to %s (%llu bytes)\n",
			    rows), rows, out, bytes);
		else
			fprintf(o, P_("exported %llu client (%llu bytes)\n",
			    "exported %llu clients (%llu bytes)\n", rows), rows,
			    bytes);
		fprintf(o, _("BLAKE2b-256: %s (the audit entry holds the "
		    "same)\n"), hex);
		if (er.format == KARTOTEKA__EXPORT_FORMAT__EXPORT_XLSX &&
		    s.rows > XLSX_SHEET_CARDS)
			fprintf(o, _("the clients go on over %" PRIu64 " sheets: "
			    "a sheet holds at most 1,048,576 rows\n"),
			    (s.rows + XLSX_SHEET_CARDS - 1) / XLSX_SHEET_CARDS);
	}
	return CLI_EXIT_OK;
}

/* kartoteka backup -o FILE [--passphrase-file F]: the passphrase is
 * asked twice on a terminal (it cannot be checked later: a typo makes the
 * backup useless), sent once and wiped here and on the server. */
static int
cmd_backup(cli_t *cli, int argc, char **argv)
{
	const char *out = NULL, *passfile = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--output", .ao_value = &out },
		{ .ao_name = "-o", .ao_value = &out },
		{ .ao_name = "--passphrase-file", .ao_value = &passfile },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__BackupRequest br = KARTOTEKA__BACKUP_REQUEST__INIT;
	char pass[CLI_PASSWORD_MAX], hex[65];
	sinkf_t s;
	int rc;

	memset(&s, 0, sizeof(s));
	s.rcase = KARTOTEKA__RESPONSE__RESULT_BACKUP;
	s.what = "backup";
	s.keep_old = 1;
	pass[0] = '\0';
	rc = cli_parse_args(cli, argc, argv, opts, 3, NULL, 0, 0, "");
	if (rc != 0)
		return cli_parsed(rc);
	if (out == NULL || out[0] == '\0')
		return cli_usage_error(cli, _("-o FILE is required: where the "
		    "backup goes (never over an existing file)"));
	/* Before the passphrase and the copy: an existing FILE would only
	 * be found at the end. */
	if (access(out, F_OK) == 0)
		return cli_fail(cli, CLI_EXIT_USAGE, "FILE", NULL,
		    _("-o %s: the file exists; a backup never replaces one"),
		    out);
	if ((rc = cli_read_new_secret(cli, passfile, _("Passphrase for the "
	    "backup: "), _("Repeat the passphrase: "), pass,
	    sizeof(pass))) != 0)
		goto out;
	if (strlen(pass) < 8) {
		rc = cli_usage_error(cli, _("the passphrase is too short: give "
		    "at least 8 characters"));
		goto out;
	}
	br.passphrase.data = (uint8_t *)pass;
	br.passphrase.len = strlen(pass);
	req.op_case = KARTOTEKA__REQUEST__OP_BACKUP;
	req.backup = &br;
	if ((rc = sink_open(cli, &s, out)) != 0)
		goto out;
	s.bar = !cli->cli_json && isatty(STDERR_FILENO);
	rc = receive(cli, &req, &s, hex);
	if (rc == 0)
		rc = sink_commit(cli, &s);
	if (rc != 0) {
		sink_abort(&s);
		goto out;
	}
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("file");
		cli_json_str(stdout, out);
		cli_json_key("bytes");
		printf("%" PRIu64, s.bytes);
		cli_json_key("blake2b");
		cli_json_str(stdout, hex);
		cli_json_end();
	} else {
		printf(_("backup written to %s (%" PRIu64 " bytes, mode 0600)\n"),
		    out, s.bytes);
		printf(_("BLAKE2b-256: %s (the audit entry holds the same)\n"),
		    hex);
		printf("%s", _("It holds the server's private keys and every "
		    "password hash: keep it off\nthis machine, and the "
		    "passphrase apart from it. Check it with\n"
		    "`kartotekad backup verify FILE`.\n"));
	}
out:
	sodium_memzero(pass, sizeof(pass));
	return rc;
}

const cli_command_t cli_commands_export[] = {
	{ "export", cmd_export,
	  N_("export --format csv|csv-excel|vcard|xlsx [-o FILE] [--branch B] "
	     "[--manager LOGIN] [--status S] [--category C] [--tag T] "
	     "[--source S] [--birth-month M [--children]] [--child-year Y] "
	     "[--child-age MIN-MAX] [--created-from DATE] [--created-to DATE] "
	     "[--archived] [--contacted-before DATE] [--contacted-after DATE] "
	     "[--open-deal|--no-open-deal] [--consent yes|no] "
	     "[--do-not-contact yes|no]"),
	  N_("export the client base (owner only; audited, raises an alert)"),
	  N_("The server renders the file and streams it; the filters are "
	     "those of\n"
	     "`client list` (dates are days, both ends included; see\n"
	     "`kartoteka help client list`). csv is UTF-8 with a header row (RFC 4180), "
	     "csv-excel adds\n"
	     "a BOM and uses ';' so Excel in a Russian locale opens it, vcard "
	     "is vCard 3.0\n"
	     "with one card per person, xlsx an Excel workbook with the "
	     "cells of csv as text\n"
	     "(1,048,575 clients a sheet, then further sheets). In csv, a "
	     "cell that would start with = + - @ "
	     "gets an\n"
	     "apostrophe in front. -o FILE is written 0600 and appears only "
	     "when the\n"
	     "export is complete; without -o the file goes to stdout. The "
	     "BLAKE2b-256\n"
	     "printed at the end is the hash in the audit entry.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka export --format csv-excel -o base.csv\n"
	     "  kartoteka export --format vcard --branch Центр > centre.vcf\n") },
	{ "backup", cmd_backup,
	  N_("backup -o FILE [--passphrase-file FILE]"),
	  N_("back up the whole store and the server's keys (owner only; "
	     "audited, raises an alert)"),
	  N_("The server makes a compacted, consistent copy of the store while "
	     "it serves,\n"
	     "encrypts it with the passphrase (Argon2id, then libsodium's "
	     "secretstream)\n"
	     "together with its key files, and streams it here. The passphrase "
	     "is asked\n"
	     "twice on a terminal, or read from the first line of "
	     "--passphrase-file; at\n"
	     "least 8 characters. FILE is written 0600, appears only when the "
	     "backup is\n"
	     "complete and audited, and never replaces an existing file. Restore "
	     "it on the\n"
	     "server machine with `kartotekad restore --from FILE --data DIR`.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka backup -o kartoteka-2026-12-02.ktb\n") },
	{ NULL, NULL, NULL, NULL, NULL },
};
