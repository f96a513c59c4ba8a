/* SPDX-License-Identifier: MIT */
/* kartoteka export: the owner's export of the client base. The server
 * renders the file and streams it; this command writes the bytes as they
 * come (to -o FILE, atomically, or to stdout), hashes them, shows a
 * progress bar on a terminal and checks its hash against the server's,
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

static const char *const format_names[] = { "csv", "csv-excel", "vcard" };

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
	snprintf(s->tmp, n, "%s.XXXXXX", path);
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
		    "FILE", NULL, _("cannot write the export to stdout: %s"),
		    strerror(errno));
	if (fflush(s->f) != 0 || fsync(fileno(s->f)) != 0)
		e = errno;
	if (fclose(s->f) != 0 && e == 0)
		e = errno;
	s->f = NULL;
	if (e == 0 && rename(s->tmp, s->path) != 0)
		e = errno;
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
	fprintf(stderr, _("\rexport [%s] %3u%%  %" PRIu64 "/%" PRIu64
	    " clients"), bar, pct, s->rows, s->total);
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

/* A streamed answer that is not an export chunk. */
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

	rc = cli_session_request(cli, req, KARTOTEKA__RESPONSE__RESULT_EXPORT,
	    &resp);
	if (rc != 0)
		return rc;
	for (;;) {
		if ((rc = take_chunk(cli, s, resp->export)) != 0)
			goto out;
		if (!resp->more)
			break;
		kartoteka__response__free_unpacked(resp, NULL);
		resp = NULL;
		if ((rc = kt_conn_next(cli->cli_conn, &resp)) != 0) {
			rc = cli_fail(cli, CLI_EXIT_CONNECT, "CONNECT", NULL,
			    _("connection to %s failed during the export: %s"),
			    cli->cli_cfg.address, _(kt_strerror(rc)));
			goto out;
		}
		if (resp->error != NULL &&
		    resp->error->code != KARTOTEKA__ERROR__CODE__OK) {
			rc = cli_server_error(cli, resp, NULL);
			goto out;
		}
		if (resp->result_case != KARTOTEKA__RESPONSE__RESULT_EXPORT ||
		    resp->export == NULL) {
			rc = not_a_chunk(cli);
			goto out;
		}
	}
	progress(s, 1);
	crypto_generichash_final(&s->h, mine, 32);
	sodium_bin2hex(mhex, sizeof(mhex), mine, 32);
	if (resp->export->blake2b == NULL ||
	    strcmp(resp->export->blake2b, mhex) != 0) {
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
		    "csv-excel or vcard"));
	if ((rc = pick(cli, "--format", format, format_names, 0, 3, &v)) != 0)
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
		if (out != NULL)
			fprintf(o, _("exported %" PRIu64 " clients to %s "
			    "(%" PRIu64 " bytes)\n"), s.rows, out, s.bytes);
		else
			fprintf(o, _("exported %" PRIu64 " clients (%" PRIu64
			    " bytes)\n"), s.rows, s.bytes);
		fprintf(o, _("BLAKE2b-256: %s (the audit entry holds the "
		    "same)\n"), hex);
	}
	return CLI_EXIT_OK;
}

const cli_command_t cli_commands_export[] = {
	{ "export", cmd_export,
	  N_("export --format csv|csv-excel|vcard [-o FILE] [--branch B] "
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
	     "with one card per person. A cell that would start with = + - @ "
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
	{ NULL, NULL, NULL, NULL, NULL },
};
