/* SPDX-License-Identifier: MIT */
/* The card history commands: `client history ID` (every version, newest
 * first, with the fields each changed, old and new values) and `client
 * revert ID --to V --version CUR` (a new version equal to version V). The
 * version view itself is `client show ID --version V` (cmd_client.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define HIST_PAGE_LIMIT 100u   /* versions asked per page (each page is a
				  counted full view: ask for many) */
#define HIST_PAGES_MAX 10000u

/* Prints s on stdout cleaned for a terminal, whole. */
static void
print_clean(const char *s)
{
	size_t cap = strlen(cli_str(s)) + 1;
	char *buf = malloc(cap);

	if (buf == NULL) {
		fputs("?", stdout);
		return;
	}
	fputs(cli_clean(buf, cap, s), stdout);
	free(buf);
}

/* ==== client history ======================================================= */

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
}

static int
pages_add(pages_t *p, Kartoteka__Response *r)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4;
		Kartoteka__Response **n = realloc(p->resp, cap * sizeof(*n));
		if (n == NULL) {
			kartoteka__response__free_unpacked(r, NULL);
			return -1;
		}
		p->resp = n;
		p->cap = cap;
	}
	p->resp[p->n++] = r;
	return 0;
}

static void
json_version(const Kartoteka__ClientVersion *v)
{
	printf("{\"version\":%" PRIu64 ",\"time\":%" PRId64 ",\"user\":",
	    v->version, v->time);
	cli_json_str(stdout, v->user);
	fputs(",\"terminal\":", stdout);
	cli_json_str(stdout, v->terminal);
	fputs(",\"action\":", stdout);
	cli_json_str(stdout, v->action);
	fputs(",\"changes\":[", stdout);
	for (size_t i = 0; i < v->n_changes; i++) {
		const Kartoteka__FieldChange *c = v->changes[i];
		fputs(i ? ",{\"field\":" : "{\"field\":", stdout);
		cli_json_str(stdout, c->field);
		fputs(",\"old\":", stdout);
		cli_json_str(stdout, c->old_value);
		fputs(",\"new\":", stdout);
		cli_json_str(stdout, c->new_value);
		fputc('}', stdout);
	}
	fputs("]}", stdout);
}

static void
text_version(const Kartoteka__ClientVersion *v, int oldest)
{
	char when[64], buf[256], term[256];

	printf(_("version %" PRIu64 "  %s  %s at %s  %s\n"), v->version,
	    cli_fmt_time(when, sizeof(when), v->time),
	    v->user && v->user[0] ? cli_clean(buf, sizeof(buf), v->user) :
	    _("(the server)"),
	    v->terminal && v->terminal[0] ? cli_clean(term, sizeof(term),
	    v->terminal) : _("(local command)"),
	    cli_str(v->action));
	if (oldest && strcmp(cli_str(v->action), "history.start") == 0)
		printf("  %s\n", _("(history begins here: the card as it was "
		    "when the server started keeping versions)"));
	for (size_t i = 0; i < v->n_changes; i++) {
		const Kartoteka__FieldChange *c = v->changes[i];
		printf("  %s: \"", cli_clean(buf, sizeof(buf), c->field));
		print_clean(c->old_value);
		fputs("\" -> \"", stdout);
		print_clean(c->new_value);
		fputs("\"\n", stdout);
	}
	if (v->n_changes == 0)
		printf("  %s\n", _("(no field changed)"));
}

static int
cmd_client_history(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientHistoryRequest r =
	    KARTOTEKA__CLIENT_HISTORY_REQUEST__INIT;
	uint8_t cur[CLI_CURSOR_MAX];
	pages_t p = { NULL, 0, 0 };
	size_t total = 0, shown = 0;
	int rc;

	rc = cli_parse_args(cli, argc, argv, NULL, 0, pos, 1, 1, "ID");
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = cli_parse_id(cli, "ID", pos[0], &r.id)) != 0)
		return rc;
	r.limit = HIST_PAGE_LIMIT;
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_HISTORY;
	req.client_history = &r;
	if ((rc = cli_load_config(cli)) != 0 ||
	    (rc = cli_open_session(cli)) != 0)
		goto out;
	for (;;) {
		Kartoteka__Response *resp = NULL;
		ProtobufCBinaryData next;

		if (p.n == HIST_PAGES_MAX) {
			rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
			    _("the server at %s sent more than %u pages"),
			    cli->cli_cfg.address, HIST_PAGES_MAX);
			goto out;
		}
		if ((rc = cli_request(cli, &req,
		    KARTOTEKA__RESPONSE__RESULT_CLIENT_HISTORY, &resp)) != 0)
			goto out;
		next = resp->client_history->next_cursor;
		if (next.len > 0 && (next.data == NULL ||
		    next.len > sizeof(cur) || (next.len == r.cursor.len &&
		    memcmp(next.data, r.cursor.data, next.len) == 0))) {
			kartoteka__response__free_unpacked(resp, NULL);
			rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
			    _("the server at %s sent a malformed next_cursor"),
			    cli->cli_cfg.address);
			goto out;
		}
		if (next.len > 0)
			memcpy(cur, next.data, next.len);
		total += resp->client_history->n_versions;
		if (pages_add(&p, resp) != 0) {
			rc = cli_fail(cli, CLI_EXIT_USAGE, "NOMEM", NULL, "%s",
			    _("out of memory"));
			goto out;
		}
		if (next.len == 0)
			break;
		r.cursor.data = cur;
		r.cursor.len = next.len;
	}
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("client");
		printf("%" PRIu64, r.id);
		cli_json_key("versions");
		fputc('[', stdout);
		for (size_t i = 0; i < p.n; i++) {
			const Kartoteka__ClientHistoryResponse *h =
			    p.resp[i]->client_history;
			for (size_t j = 0; j < h->n_versions; j++) {
				if (shown++ > 0)
					fputc(',', stdout);
				json_version(h->versions[j]);
			}
		}
		fputc(']', stdout);
		cli_json_end();
		goto out;
	}
	printf(P_("Client %llu: %zu version, newest first (this counts as a "
	    "full view)\n", "Client %llu: %zu versions, newest first (this "
	    "counts as a full view)\n", total), (unsigned long long)r.id,
	    total);
	for (size_t i = 0; i < p.n; i++) {
		const Kartoteka__ClientHistoryResponse *h =
		    p.resp[i]->client_history;
		for (size_t j = 0; j < h->n_versions; j++) {
			shown++;
			fputc('\n', stdout);
			text_version(h->versions[j], shown == total);
		}
	}
out:
	pages_free(&p);
	return rc;
}

/* ==== client revert ========================================================= */

static int
cmd_client_revert(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *to = NULL, *cur = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--to", .ao_value = &to },
		{ .ao_name = "--version", .ao_value = &cur },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientRevertRequest r =
	    KARTOTEKA__CLIENT_REVERT_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	const Kartoteka__Client *c;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 2, pos, 1, 1, "ID");
	if (rc != 0)
		return cli_parsed(rc);
	if (to == NULL)
		return cli_usage_error(cli, _("--to: give the version to put "
		    "back (`kartoteka client history ID` lists them)"));
	if (cur == NULL)
		return cli_usage_error(cli, _("--version: give the current "
		    "version you read (`kartoteka client show ID` or `client "
		    "history ID`)"));
	if ((rc = cli_parse_id(cli, "ID", pos[0], &r.id)) != 0 ||
	    (rc = cli_parse_id(cli, "--to", to, &r.to_version)) != 0 ||
	    (rc = cli_parse_id(cli, "--version", cur, &r.version)) != 0)
		return rc;
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_REVERT;
	req.client_revert = &r;
	rc = cli_session_request(cli, &req, KARTOTEKA__RESPONSE__RESULT_CLIENT,
	    &resp);
	if (rc != 0)
		goto out;
	if ((c = resp->client->client) == NULL) {
		rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL, "%s",
		    _("a revert answer without the card"));
		goto out;
	}
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("client");
		printf("%" PRIu64, c->id);
		cli_json_key("version");
		printf("%" PRIu64, c->version);
		cli_json_key("reverted_to");
		printf("%" PRIu64, r.to_version);
		cli_json_end();
	} else {
		printf(_("Client %" PRIu64 " is now version %" PRIu64 ", equal "
		    "to version %" PRIu64 ".\n"), c->id, c->version,
		    r.to_version);
		printf(_("See it with `kartoteka client show %" PRIu64 "`, the "
		    "change with `kartoteka client history %" PRIu64 "`.\n"),
		    c->id, c->id);
	}
out:
	if (resp != NULL)
		kartoteka__response__free_unpacked(resp, NULL);
	return rc;
}

const cli_command_t cli_commands_history[] = {
	{ "client history", cmd_client_history, N_("client history ID"),
	  N_("every version of a card with who changed what (owner, heads)"),
	  N_("Versions newest first: time, user, terminal, action, and each\n"
	     "field changed with its old and new value, contacts in full.\n"
	     "Reading the history counts as one full view per page of 100\n"
	     "versions (against a head's daily quota) and is audited.\n"
	     "Managers may not read history, not even of their own cards.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka client history 12\n"
	     "  kartoteka client show 12 --version 3\n") },
	{ "client revert", cmd_client_revert,
	  N_("client revert ID --to V --version CURRENT"),
	  N_("put an earlier version of a card back, as a new version"),
	  N_("Makes a new version whose people, contacts and every card\n"
	     "field equal version V; the branch, the manager and the archived\n"
	     "state stay as they are now. CURRENT is the version you read\n"
	     "(`client show` or `client history`): if someone changed the\n"
	     "card since, nothing is changed. Owner and heads only.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka client history 12\n"
	     "  kartoteka client revert 12 --to 2 --version 3\n") },
	{ NULL, NULL, NULL, NULL, NULL },
};
