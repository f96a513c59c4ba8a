/* SPDX-License-Identifier: MIT */
/* The interaction commands: `note CLIENT ...` logs a call, a meeting, a
 * letter, a message or a visit; `notes CLIENT` pages the client's log
 * newest first. Also the printing of one entry, which `client show` uses
 * for the card's three newest (cli.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fields.h"

#define NOTES_LIMIT_MAX 100u
/* The server's cursor: 25 bytes, printed as 50 hex digits. */
#define NOTE_CURSOR_BYTES 25u

static const char *const channel_names[] = { "", N_("call"), N_("meeting"), N_("email"),
	N_("message"), N_("visit") };
#define NCHANNELS (sizeof(channel_names) / sizeof(channel_names[0]))

static const char *
channel_name(int v)
{
	return v > 0 && (size_t)v < NCHANNELS ? channel_names[v] : "?";
}

static const char *
direction_name(int v)
{
	return v == KARTOTEKA__DIRECTION__INBOUND ? N_("in") :
	    v == KARTOTEKA__DIRECTION__OUTBOUND ? N_("out") : "";
}

/* "YYYY-MM-DD HH:MM" local time of secs into buf. */
static const char *
fmt_local(char *buf, size_t cap, int64_t secs)
{
	struct tm tm;
	time_t t = (time_t)secs;

	if ((int64_t)t != secs || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, cap, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, cap, "%" PRId64, secs);
	return buf;
}

/* Prints s on stdout cleaned for a terminal, whole, each line after the
 * first indented by indent. */
static void
print_text(const char *s, const char *indent)
{
	size_t cap = strlen(cli_str(s)) + 1;
	char *buf = malloc(cap), *line, *save = NULL;
	int first = 1;

	if (buf == NULL) {
		fputs("?", stdout);
		return;
	}
	memcpy(buf, cli_str(s), cap);
	/* cli_clean would turn the line breaks into '?': one line at a time. */
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line) + 1;
		char *clean = malloc(n);
		if (!first)
			printf("\n%s", indent);
		fputs(clean ? cli_clean(clean, n, line) : "?", stdout);
		free(clean);
		first = 0;
	}
	free(buf);
}

void
cli_note_print(const Kartoteka__Interaction *n, const char *indent)
{
	char when[40], who[200];

	printf("%s#%" PRIu64 "  %s  %s%s%s  %s\n", indent, n->id,
	    kt_fmt_datetime(n->at, 0, 0, NULL, when, sizeof(when)),
	    cli_word(channel_name(n->channel)),
	    n->direction ? " " : "", cli_word(direction_name(n->direction)),
	    cli_clean(who, sizeof(who), n->author));
	printf("%s  %s ", indent, _("topic:"));
	print_text(n->topic, indent);
	fputc('\n', stdout);
	if (n->agreed && n->agreed[0]) {
		printf("%s  %s ", indent, _("agreed:"));
		print_text(n->agreed, indent);
		fputc('\n', stdout);
	}
	if (n->corrects)
		printf(_("%s  corrects #%" PRIu64 "\n"), indent, n->corrects);
	if (n->corrected_by)
		printf(_("%s  corrected by #%" PRIu64 "\n"), indent,
		    n->corrected_by);
}

void
cli_note_json(const Kartoteka__Interaction *n)
{
	char when[40];

	printf("{\"id\":%" PRIu64, n->id);
	cli_json_key("client");
	printf("%" PRIu64, n->client_id);
	cli_json_key("author");
	cli_json_str(stdout, n->author);
	cli_json_key("at");
	cli_json_str(stdout, fmt_local(when, sizeof(when), n->at));
	cli_json_key("at_unix");
	printf("%" PRId64, n->at);
	cli_json_key("recorded_at_unix");
	printf("%" PRId64, n->recorded_at);
	cli_json_key("channel");
	cli_json_str(stdout, channel_name(n->channel));
	cli_json_key("direction");
	cli_json_str(stdout, direction_name(n->direction));
	cli_json_key("topic");
	cli_json_str(stdout, n->topic);
	cli_json_key("agreed");
	cli_json_str(stdout, n->agreed);
	cli_json_key("corrects");
	printf("%" PRIu64, n->corrects);
	cli_json_key("corrected_by");
	printf("%" PRIu64 "}", n->corrected_by);
}

/* ==== note ================================================================== */

static int
cmd_note(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *channel = NULL, *topic = NULL;
	const char *agreed = NULL, *at = NULL, *corrects = NULL;
	int in = 0, out = 0, has_time = 0;
	const cli_opt_t opts[] = {
		{ .ao_name = "--channel", .ao_value = &channel },
		{ .ao_name = "--in", .ao_flag = &in },
		{ .ao_name = "--out", .ao_flag = &out },
		{ .ao_name = "--topic", .ao_value = &topic },
		{ .ao_name = "--agreed", .ao_value = &agreed },
		{ .ao_name = "--at", .ao_value = &at },
		{ .ao_name = "--corrects", .ao_value = &corrects },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__NoteAddRequest r = KARTOTEKA__NOTE_ADD_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	const Kartoteka__Interaction *n;
	char msg[200];
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, sizeof(opts) /
	    sizeof(opts[0]), pos, 1, 1, "CLIENT");
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = cli_parse_num(cli, "CLIENT", pos[0], UINT64_MAX,
	    &r.client_id)) != 0)
		return rc;
	if (channel == NULL)
		return cli_usage_error(cli, _("--channel: give one of call, "
		    "meeting, email, message, visit"));
	for (size_t i = 1; i < NCHANNELS; i++)
		if (strcmp(channel, channel_names[i]) == 0)
			r.channel = (Kartoteka__Channel)i;
	if (r.channel == 0) {
		snprintf(msg, sizeof(msg), _("--channel: '%.40s' is not one of "
		    "call, meeting, email, message, visit"), channel);
		return cli_usage_error(cli, msg);
	}
	if (in && out)
		return cli_usage_error(cli, _("--in and --out: give one of "
		    "them (who reached whom)"));
	r.direction = in ? KARTOTEKA__DIRECTION__INBOUND : out ?
	    KARTOTEKA__DIRECTION__OUTBOUND :
	    KARTOTEKA__DIRECTION__DIRECTION_UNSPECIFIED;
	if (topic == NULL)
		return cli_usage_error(cli, _("--topic: say what it was "
		    "about"));
	r.topic = (char *)topic;
	r.agreed = (char *)(agreed ? agreed : "");
	/* A day alone is taken at noon: the day stays the same in the
	 * time zones of every branch. */
	if (at != NULL && kt_local_time_parse(at, (int64_t)time(NULL), 12 * 60,
	    &r.at, &has_time) != 0) {
		snprintf(msg, sizeof(msg), _("--at: '%.40s' is not a time: "
		    "give YYYY-MM-DD HH:MM, HH:MM (today) or YYYY-MM-DD"), at);
		return cli_usage_error(cli, msg);
	}
	if (corrects != NULL && (rc = cli_parse_num(cli, "--corrects", corrects,
	    UINT64_MAX, &r.corrects)) != 0)
		return rc;
	req.op_case = KARTOTEKA__REQUEST__OP_NOTE_ADD;
	req.note_add = &r;
	rc = cli_session_request(cli, &req, KARTOTEKA__RESPONSE__RESULT_NOTE,
	    &resp);
	if (rc != 0)
		goto out;
	if ((n = resp->note->note) == NULL) {
		rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL, "%s",
		    _("a note answer without the entry"));
		goto out;
	}
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("note");
		cli_note_json(n);
		cli_json_end();
	} else {
		printf(_("Logged #%" PRIu64 " for client %" PRIu64 ".\n"),
		    n->id, n->client_id);
		cli_note_print(n, "  ");
	}
out:
	if (resp != NULL)
		kartoteka__response__free_unpacked(resp, NULL);
	return rc;
}

/* ==== notes ================================================================= */

static int
parse_cursor(cli_t *cli, const char *s, uint8_t out[NOTE_CURSOR_BYTES],
    size_t *len)
{
	*len = 0;
	if (s == NULL)
		return 0;
	if (strlen(s) != 2 * NOTE_CURSOR_BYTES)
		goto bad;
	for (size_t i = 0; i < NOTE_CURSOR_BYTES; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			goto bad;
		out[i] = (uint8_t)v;
	}
	*len = NOTE_CURSOR_BYTES;
	return 0;
bad:
	return cli_usage_error(cli, _("--cursor: give the value printed "
	    "after a previous page"));
}

static int
cmd_notes(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *limit = NULL, *cursor = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--limit", .ao_value = &limit },
		{ .ao_name = "--cursor", .ao_value = &cursor },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__NoteListRequest r = KARTOTEKA__NOTE_LIST_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	const Kartoteka__NoteListResponse *l;
	uint8_t cur[NOTE_CURSOR_BYTES];
	char next[2 * NOTE_CURSOR_BYTES + 1] = "";
	uint64_t lim = 0;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 2, pos, 1, 1, "CLIENT");
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = cli_parse_num(cli, "CLIENT", pos[0], UINT64_MAX,
	    &r.client_id)) != 0)
		return rc;
	if (limit != NULL && (rc = cli_parse_num(cli, "--limit", limit,
	    NOTES_LIMIT_MAX, &lim)) != 0)
		return rc;
	r.limit = (uint32_t)lim;
	if ((rc = parse_cursor(cli, cursor, cur, &r.cursor.len)) != 0)
		return rc;
	r.cursor.data = cur;
	req.op_case = KARTOTEKA__REQUEST__OP_NOTE_LIST;
	req.note_list = &r;
	rc = cli_session_request(cli, &req,
	    KARTOTEKA__RESPONSE__RESULT_NOTE_LIST, &resp);
	if (rc != 0)
		goto out;
	l = resp->note_list;
	if (l->next_cursor.len > 0) {
		if (l->next_cursor.len != NOTE_CURSOR_BYTES ||
		    l->next_cursor.data == NULL) {
			rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
			    _("the server at %s sent a malformed next_cursor"),
			    cli->cli_cfg.address);
			goto out;
		}
		for (size_t i = 0; i < NOTE_CURSOR_BYTES; i++)
			snprintf(next + 2 * i, 3, "%02x", l->next_cursor.data[i]);
	}
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("client");
		printf("%" PRIu64, r.client_id);
		cli_json_key("notes");
		fputc('[', stdout);
		for (size_t i = 0; i < l->n_notes; i++) {
			if (i)
				fputc(',', stdout);
			cli_note_json(l->notes[i]);
		}
		fputc(']', stdout);
		cli_json_key("next_cursor");
		cli_json_str(stdout, next);
		cli_json_end();
		goto out;
	}
	if (l->n_notes == 0)
		printf(_("Client %" PRIu64 ": no notes%s.\n"), r.client_id,
		    r.cursor.len ? _(" on this page") : "");
	else
		printf(_("Client %" PRIu64 ": notes, newest first\n"),
		    r.client_id);
	for (size_t i = 0; i < l->n_notes; i++)
		cli_note_print(l->notes[i], "  ");
	if (next[0] != '\0') {
		if (lim)
			printf(_("more: kartoteka notes %" PRIu64 " --limit %"
			    PRIu64 " --cursor %s\n"), r.client_id, lim, next);
		else
			printf(_("more: kartoteka notes %" PRIu64 " --cursor "
			    "%s\n"), r.client_id, next);
	}
out:
	if (resp != NULL)
		kartoteka__response__free_unpacked(resp, NULL);
	return rc;
}

const cli_command_t cli_commands_note[] = {
	{ "note", cmd_note,
	  N_("note CLIENT --channel call|meeting|email|message|visit "
	     "[--in|--out] --topic TEXT [--agreed TEXT] [--at TIME] "
	     "[--corrects ID]"),
	  N_("log a call, meeting, letter, message or visit with a client"),
	  N_("Adds an entry to the client's log: what it was about (--topic,\n"
	     "up to 500 characters) and what was agreed (--agreed, up to\n"
	     "1000). --in: the client reached us; --out: we reached the\n"
	     "client. --at says when it happened (default now):\n"
	     "\"YYYY-MM-DD HH:MM\", \"HH:MM\" (today) or \"YYYY-MM-DD\" (taken\n"
	     "at 12:00), local time; not more than 10 minutes ahead, not\n"
	     "before 2000. The log is append-only: to correct an entry, log a\n"
	     "new one with --corrects ID (an entry of the same client).\n"
	     "Anyone may log for any client of their branches.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka note 12 --channel call --out --topic \"Пробное "
	     "занятие\" \\\n"
	     "      --agreed \"Придут в субботу к 10:00\"\n"
	     "  kartoteka note 12 --channel call --at \"2026-03-05 14:30\" "
	     "\\\n"
	     "      --topic \"В воскресенье, не в субботу\" --corrects 40\n") },
	{ "notes", cmd_notes, N_("notes CLIENT [--limit N] [--cursor C]"),
	  N_("a client's log of calls, meetings and visits, newest first"),
	  N_("One page of entries (20 unless --limit, at most 100), newest\n"
	     "first by when they happened, with who logged each and which\n"
	     "entry corrects which. When there are more, the last line is the\n"
	     "command for the next page. Each client whose notes you read\n"
	     "counts once a day against your daily row quota.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka notes 12\n"
	     "  kartoteka notes 12 --limit 5 --json\n") },
	{ NULL, NULL, NULL, NULL, NULL },
};
