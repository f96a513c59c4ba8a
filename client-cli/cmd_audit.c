/* SPDX-License-Identifier: MIT */
/* kartoteka audit list|summary|checkpoint: the owner's audit over the
 * protocol. Entries come with logins, terminal and branch names, every
 * page followed to the last, and nothing is ever cut: a long detail is
 * printed whole. A checkpoint is saved on this machine, mode 0600, in
 * the file format `kartotekad audit verify --checkpoint` reads. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_audit.h"
#include "kt_error.h"

/* A server sends fewer; more is a server that will not stop. */
#define AUDIT_PAGES_MAX 100000u

/* ==== the summary, shared with user offboard ============================= */

void
cli_audit_summary_text(const Kartoteka__AuditSummaryResponse *s)
{
	uint64_t views = 0, rows = 0, searches = 0, changes = 0, refusals = 0;
	char line[6][32];
	const char *row[6];
	cli_table_t t;

	cli_table_init(&t, 6);
	row[0] = _("DATE");
	row[1] = _("VIEWS");
	row[2] = _("ROWS");
	row[3] = _("SEARCHES");
	row[4] = _("CHANGES");
	row[5] = _("REFUSALS");
	if (cli_table_add(&t, row) != 0)
		goto out;
	for (size_t i = 0; i < s->n_days; i++) {
		const Kartoteka__AuditDay *d = s->days[i];

		snprintf(line[1], sizeof line[1], "%" PRIu32, d->views);
		snprintf(line[2], sizeof line[2], "%" PRIu64, d->rows);
		snprintf(line[3], sizeof line[3], "%" PRIu32, d->searches);
		snprintf(line[4], sizeof line[4], "%" PRIu32, d->changes);
		snprintf(line[5], sizeof line[5], "%" PRIu32, d->refusals);
		row[0] = kt_fmt_date_text(d->date, NULL, line[0],
		    sizeof line[0]);
		for (int c = 1; c < 6; c++)
			row[c] = line[c];
		if (cli_table_add(&t, row) != 0)
			goto out;
		views += d->views;
		rows += d->rows;
		searches += d->searches;
		changes += d->changes;
		refusals += d->refusals;
	}
	snprintf(line[1], sizeof line[1], "%" PRIu64, views);
	snprintf(line[2], sizeof line[2], "%" PRIu64, rows);
	snprintf(line[3], sizeof line[3], "%" PRIu64, searches);
	snprintf(line[4], sizeof line[4], "%" PRIu64, changes);
	snprintf(line[5], sizeof line[5], "%" PRIu64, refusals);
	row[0] = _("total");
	for (int c = 1; c < 6; c++)
		row[c] = line[c];
	if (cli_table_add(&t, row) != 0)
		goto out;
	cli_table_print(&t, stdout);
out:
	cli_table_free(&t);
}

void
cli_audit_summary_json(const Kartoteka__AuditSummaryResponse *s)
{
	fputs("{\"login\":", stdout);
	cli_json_str(stdout, s->login);
	cli_json_key("scanned");
	printf("%" PRIu64, s->scanned);
	cli_json_key("days");
	fputc('[', stdout);
	for (size_t i = 0; i < s->n_days; i++) {
		const Kartoteka__AuditDay *d = s->days[i];

		if (i > 0)
			fputc(',', stdout);
		fputs("{\"date\":", stdout);
		cli_json_str(stdout, d->date);
		printf(",\"views\":%" PRIu32 ",\"rows\":%" PRIu64
		    ",\"searches\":%" PRIu32 ",\"changes\":%" PRIu32
		    ",\"refusals\":%" PRIu32 "}", d->views, d->rows,
		    d->searches, d->changes, d->refusals);
	}
	fputs("]}", stdout);
}

/* ==== audit list ============================================================ */

/* Every answer of the list, in order. */
typedef struct pages {
	Kartoteka__Response **resp;
	size_t n, cap;
} pages_t;

static void
pages_free(pages_t *p)
{
	for (size_t i = 0; i < p->n; i++)
		kartoteka__response__free_unpacked(p->resp[i], NULL);
	free(p->resp);
	memset(p, 0, sizeof(*p));
}

/* "YYYY-MM-DD" as local midnight, plus days (unix ms) into *out. Returns
 * 0, or -1 when s is not a date. */
static int
parse_date(const char *s, int plus_days, int64_t *out)
{
	struct tm tm;
	char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 10 || (end = strptime(s, "%Y-%m-%d", &tm)) == NULL ||
	    *end != '\0' || tm.tm_year < 70 || tm.tm_year > 1100)
		return -1;
	{
		/* strptime accepts 2026-02-31: mktime would move it. */
		struct tm chk = tm;
		chk.tm_isdst = -1;
		if (mktime(&chk) == (time_t)-1 || chk.tm_mday != tm.tm_mday ||
		    chk.tm_mon != tm.tm_mon)
			return -1;
	}
	tm.tm_mday += plus_days;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	*out = (int64_t)t * 1000;
	return 0;
}

/* Prints s for a terminal: control characters and invalid UTF-8 as '?',
 * nothing cut (cli_clean cuts at its buffer, so the buffer is as long as
 * s: a cleaned text is never longer). */
static void
put_clean(const char *s)
{
	size_t n = strlen(cli_str(s)) + 1;
	char *buf = malloc(n);

	if (buf == NULL) {
		fputs("?", stdout);
		return;
	}
	fputs(cli_clean(buf, n, s), stdout);
	free(buf);
}

static void
entry_text(const Kartoteka__AuditEntryInfo *e)
{
	char when[KT_FMT_DATETIME_MAX];

	kt_fmt_datetime(e->time_ms / 1000, 1, 0, NULL, when, sizeof when);
	printf("%" PRIu64 "  %s  ", e->seq, when);
	put_clean(e->user_id == 0 ? "-" : e->user);
	fputs("  ", stdout);
	if (e->terminal_key.len == 0) {
		fputs(_("(local)"), stdout);
	} else if (e->terminal != NULL && e->terminal[0] != '\0') {
		fputc('\'', stdout);
		put_clean(e->terminal);
		fputc('\'', stdout);
		if (e->branch != NULL && e->branch[0] != '\0') {
			fputs(" (", stdout);
			put_clean(e->branch);
			fputc(')', stdout);
		} else {
			fputs(_(" (owner terminal)"), stdout);
		}
	} else {
		fputs(_("terminal "), stdout);
		for (size_t i = 0; i < 8 && i < e->terminal_key.len; i++)
			printf("%02x", e->terminal_key.data[i]);
	}
	fputs("  ", stdout);
	put_clean(e->action);
	fputs("  ", stdout);
	put_clean(e->object != NULL && e->object[0] ? e->object : "-");
	printf("  %s", cli_error_code_name((int)e->outcome));
	if (e->detail != NULL && e->detail[0] != '\0') {
		fputs("  ", stdout);
		put_clean(e->detail);
	}
	fputc('\n', stdout);
}

static void
entry_json(const Kartoteka__AuditEntryInfo *e)
{
	printf("{\"seq\":%" PRIu64 ",\"time_ms\":%" PRId64, e->seq,
	    e->time_ms);
	cli_json_key("user_id");
	printf("%" PRIu64, e->user_id);
	cli_json_key("user");
	cli_json_str(stdout, e->user);
	cli_json_key("terminal");
	cli_json_str(stdout, e->terminal);
	cli_json_key("terminal_key");
	cli_json_hex(stdout, e->terminal_key.data, e->terminal_key.data ?
	    e->terminal_key.len : 0);
	cli_json_key("branch");
	cli_json_str(stdout, e->branch);
	cli_json_key("action");
	cli_json_str(stdout, e->action);
	cli_json_key("object");
	cli_json_str(stdout, e->object);
	cli_json_key("outcome");
	cli_json_str(stdout, cli_error_code_name((int)e->outcome));
	cli_json_key("detail");
	cli_json_str(stdout, e->detail);
	fputc('}', stdout);
}

static int
cmd_audit_list(cli_t *cli, int argc, char **argv)
{
	const char *user = NULL, *client = NULL, *action = NULL, *from = NULL;
	const char *to = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--user", .ao_value = &user },
		{ .ao_name = "--client", .ao_value = &client },
		{ .ao_name = "--action", .ao_value = &action },
		{ .ao_name = "--from", .ao_value = &from },
		{ .ao_name = "--to", .ao_value = &to },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__AuditListRequest r = KARTOTEKA__AUDIT_LIST_REQUEST__INIT;
	uint8_t cur[CLI_CURSOR_MAX];
	pages_t p = { NULL, 0, 0 };
	size_t shown = 0;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 5, NULL, 0, 0, "");
	if (rc != 0)
		return cli_parsed(rc);
	if (user != NULL && !cli_proto_string_ok(user, 65))
		return cli_usage_error(cli, _("--user must be a login"));
	if (action != NULL && !cli_proto_string_ok(action, 65))
		return cli_usage_error(cli, _("--action must be an action like "
		    "client.view or a prefix like client."));
	if (client != NULL) {
		char *end = NULL;
		unsigned long long v;

		errno = 0;
		v = strtoull(client, &end, 10);
		if (errno != 0 || end == client || *end != '\0' ||
		    client[0] == '-' || v == 0)
			return cli_usage_error(cli, _("--client must be a "
			    "client id (a number)"));
		r.client = (uint64_t)v;
	}
	if (from != NULL && parse_date(from, 0, &r.from_ms) != 0)
		return cli_usage_error(cli, _("--from must be a date "
		    "YYYY-MM-DD"));
	/* --to is inclusive: up to the start of the next day. */
	if (to != NULL && parse_date(to, 1, &r.to_ms) != 0)
		return cli_usage_error(cli, _("--to must be a date YYYY-MM-DD"));
	if (r.from_ms != 0 && r.to_ms != 0 && r.to_ms <= r.from_ms)
		return cli_usage_error(cli, _("--to must not be before --from"));
	r.user = (char *)user;
	r.action = (char *)action;
	req.op_case = KARTOTEKA__REQUEST__OP_AUDIT_LIST;
	req.audit_list = &r;
	if ((rc = cli_load_config(cli)) != 0 ||
	    (rc = cli_open_session(cli)) != 0)
		return rc;
	for (;;) {
		Kartoteka__Response *resp = NULL;
		ProtobufCBinaryData next;

		if (p.n == AUDIT_PAGES_MAX) {
			rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
			    _("the server at %s sent more than %u pages"),
			    cli->cli_cfg.address, AUDIT_PAGES_MAX);
			goto out;
		}
		if ((rc = cli_request(cli, &req,
		    KARTOTEKA__RESPONSE__RESULT_AUDIT_LIST, &resp)) != 0)
			goto out;
		next = resp->audit_list->next_cursor;
		if (next.len > sizeof cur || (next.len > 0 && (next.data ==
		    NULL || (next.len == r.cursor.len &&
		    memcmp(next.data, r.cursor.data, next.len) == 0)))) {
			kartoteka__response__free_unpacked(resp, NULL);
			rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
			    _("the server at %s sent a malformed next_cursor"),
			    cli->cli_cfg.address);
			goto out;
		}
		if (p.n == p.cap) {
			size_t cap = p.cap ? p.cap * 2 : 8;
			Kartoteka__Response **nr = realloc(p.resp,
			    cap * sizeof(*nr));
			if (nr == NULL) {
				kartoteka__response__free_unpacked(resp, NULL);
				rc = cli_fail(cli, CLI_EXIT_USAGE, "NOMEM",
				    NULL, "%s", _("out of memory"));
				goto out;
			}
			p.resp = nr;
			p.cap = cap;
		}
		p.resp[p.n++] = resp;
		if (next.len == 0)
			break;
		memcpy(cur, next.data, next.len);
		r.cursor.data = cur;
		r.cursor.len = next.len;
	}
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("entries");
		fputc('[', stdout);
	}
	for (size_t i = 0; i < p.n; i++) {
		const Kartoteka__AuditListResponse *al = p.resp[i]->audit_list;

		for (size_t j = 0; j < al->n_entries; j++) {
			if (cli->cli_json) {
				if (shown > 0)
					fputc(',', stdout);
				entry_json(al->entries[j]);
			} else {
				entry_text(al->entries[j]);
			}
			shown++;
		}
	}
	if (cli->cli_json) {
		fputc(']', stdout);
		cli_json_end();
	} else if (shown == 0) {
		printf("%s\n", _("no entries"));
	}
out:
	pages_free(&p);
	return rc;
}

/* ==== audit summary ========================================================= */

static int
cmd_audit_summary(cli_t *cli, int argc, char **argv)
{
	const char *user = NULL, *days = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--user", .ao_value = &user },
		{ .ao_name = "--days", .ao_value = &days },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__AuditSummaryRequest r =
	    KARTOTEKA__AUDIT_SUMMARY_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 2, NULL, 0, 0, "");
	if (rc != 0)
		return cli_parsed(rc);
	if (user == NULL || !cli_proto_string_ok(user, 65))
		return cli_usage_error(cli, _("--user LOGIN is required"));
	r.days = 30;
	if (days != NULL) {
		char *end = NULL;
		unsigned long v;

		errno = 0;
		v = strtoul(days, &end, 10);
		if (errno != 0 || end == days || *end != '\0' ||
		    days[0] == '-' || v < 1 || v > 366)
			return cli_usage_error(cli, _("--days must be a number "
			    "of days, 1..366"));
		r.days = (uint32_t)v;
	}
	r.login = (char *)user;
	req.op_case = KARTOTEKA__REQUEST__OP_AUDIT_SUMMARY;
	req.audit_summary = &r;
	rc = cli_session_request(cli, &req,
	    KARTOTEKA__RESPONSE__RESULT_AUDIT_SUMMARY, &resp);
	if (rc != 0)
		return rc;
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("summary");
		cli_audit_summary_json(resp->audit_summary);
		cli_json_end();
	} else {
		size_t nd = resp->audit_summary->n_days;
		printf(P_("Activity of %s, the last %zu day (of their "
		    "branch):\n", "Activity of %s, the last %zu days (of their "
		    "branch):\n", nd), user, nd);
		cli_audit_summary_text(resp->audit_summary);
	}
	kartoteka__response__free_unpacked(resp, NULL);
	return CLI_EXIT_OK;
}

/* ==== audit checkpoint ====================================================== */

/* 1 when line looks like a checkpoint line: the prefix, printable ASCII,
 * one final newline. The verifier checks the rest. */
static int
line_ok(const char *line)
{
	size_t n = strlen(cli_str(line));

	if (n < 20 || n > 255 || strncmp(line, "kartoteka-audit/1 ", 18) != 0 ||
	    line[n - 1] != '\n')
		return 0;
	for (size_t i = 0; i + 1 < n; i++)
		if (line[i] < 0x20 || line[i] > 0x7e)
			return 0;
	return 1;
}

/* Writes line to path, mode 0600 (an existing file is truncated and
 * tightened). Returns 0 or an errno. */
static int
save_line(const char *path, const char *line)
{
	size_t len = strlen(line), off = 0;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0)
		return errno;
	if (fchmod(fd, 0600) != 0)
		err = errno;
	while (err == 0 && off < len) {
		ssize_t n = write(fd, line + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			err = n < 0 ? errno : EIO;
		else
			off += (size_t)n;
	}
	if (err == 0 && fsync(fd) != 0 && errno != EINVAL)
		err = errno;
	if (close(fd) != 0 && err == 0)
		err = errno;
	return err;
}

static int
cmd_audit_checkpoint(cli_t *cli, int argc, char **argv)
{
	const char *out = NULL;
	int latest = 0;
	const cli_opt_t opts[] = {
		{ .ao_name = "--out", .ao_value = &out },
		{ .ao_name = "--latest", .ao_flag = &latest },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__AuditCheckpointRequest r =
	    KARTOTEKA__AUDIT_CHECKPOINT_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	const Kartoteka__AuditCheckpointResponse *cp;
	int rc, err;

	rc = cli_parse_args(cli, argc, argv, opts, 2, NULL, 0, 0, "");
	if (rc != 0)
		return cli_parsed(rc);
	if (out == NULL || out[0] == '\0')
		return cli_usage_error(cli, _("--out FILE is required"));
	r.latest = latest;
	req.op_case = KARTOTEKA__REQUEST__OP_AUDIT_CHECKPOINT;
	req.audit_checkpoint = &r;
	rc = cli_session_request(cli, &req,
	    KARTOTEKA__RESPONSE__RESULT_AUDIT_CHECKPOINT, &resp);
	if (rc != 0)
		return rc;
	cp = resp->audit_checkpoint;
	if (!line_ok(cp->line)) {
		rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
		    _("the server at %s sent a malformed checkpoint"),
		    cli->cli_cfg.address);
		goto done;
	}
	if ((err = save_line(out, cp->line)) != 0) {
		rc = cli_fail(cli, CLI_EXIT_USAGE, "IO", NULL,
		    _("cannot write %s: %s"), out, strerror(err));
		goto done;
	}
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("seq");
		printf("%" PRIu64, cp->seq);
		cli_json_key("file");
		cli_json_str(stdout, out);
		cli_json_key("line");
		cli_json_str(stdout, cp->line);
		cli_json_end();
	} else {
		printf(_("checkpoint of entry %llu saved to %s (mode "
		    "0600)\nkeep it away from the server; check the store "
		    "against it with\n  kartotekad audit verify --data DIR "
		    "--checkpoint FILE\n"), (unsigned long long)cp->seq, out);
	}
done:
	kartoteka__response__free_unpacked(resp, NULL);
	return rc;
}

/* ==== the table ============================================================== */

const cli_command_t cli_commands_audit[] = {
	{ "audit list", cmd_audit_list,
	  N_("audit list [--user LOGIN] [--client ID] [--action A] "
	     "[--from DATE] [--to DATE]"),
	  N_("the audit log with names, whole (owner only)"),
	  N_("Entries oldest first, every page: sequence, local time, login,\n"
	     "terminal (branch), action, object, outcome and the detail,\n"
	     "never cut. --action takes a name (client.view) or a prefix\n"
	     "(client.). --from and --to are dates YYYY-MM-DD of this\n"
	     "terminal's time zone, both days included. An unknown login\n"
	     "finds nothing. The query itself is audited (audit.list).\n"
	     "\n"
	     "Examples:\n"
	     "  kartoteka audit list --user masha --from 2026-11-01\n"
	     "  kartoteka audit list --client 42 --action client.view\n"
	     "  kartoteka --json audit list --action user.\n") },
	{ "audit summary", cmd_audit_summary,
	  N_("audit summary --user LOGIN [--days N]"),
	  N_("a user's activity per day (owner only)"),
	  N_("Per business day of the user's branch, the last N days\n"
	     "(default 30, today last): full cards viewed, rows listed or found,\n"
	     "searches, changes made to clients, and refusals.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka audit summary --user masha --days 30\n") },
	{ "audit checkpoint", cmd_audit_checkpoint,
	  N_("audit checkpoint --out FILE [--latest]"),
	  N_("save a signed audit checkpoint on this machine (owner only)"),
	  N_("The server signs the chain's current end (or, with --latest,\n"
	     "hands its newest stored checkpoint) and the file is written\n"
	     "here, mode 0600. Keep it away from the server: later,\n"
	     "`kartotekad audit verify --data DIR --checkpoint FILE` finds\n"
	     "entries altered, removed or reordered before that point.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka audit checkpoint --out ~/kartoteka-2026-12-01.cp\n") },
	{ NULL, NULL, NULL, NULL, NULL },
};
