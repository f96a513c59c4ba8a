/* SPDX-License-Identifier: MIT */
/* The request -> answer -> output path the command files share: a call
 * within the saved session, one object shown as text or JSON, and paged
 * lists followed to their last page and shown as one table or array. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kt_error.h"

/* A server sends fewer; more is a server that will not stop. */
#define LIST_PAGES_MAX 10000u

/* Loads the configuration and resumes the saved session. Returns 0 or an
 * exit code (reported). */
static int
session(cli_t *cli)
{
	int rc = cli_load_config(cli);

	return rc != 0 ? rc : cli_open_session(cli);
}

int
cli_session_request(cli_t *cli, Kartoteka__Request *req,
    Kartoteka__Response__ResultCase want, Kartoteka__Response **out)
{
	int rc;

	*out = NULL;
	if ((rc = session(cli)) != 0)
		return rc;
	return cli_request(cli, req, want, out);
}

/* ==== one object ======================================================== */

int
cli_show(cli_t *cli, Kartoteka__Request *req, const cli_show_t *sh,
    const void *arg)
{
	Kartoteka__Response *resp = NULL;
	const void *obj;
	int rc;

	rc = cli_session_request(cli, req, sh->sh_want, &resp);
	if (rc != 0)
		goto out;
	if ((obj = sh->sh_pick(resp)) == NULL) {
		rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
		    _("the server at %s sent %s"), cli->cli_cfg.address,
		    _(sh->sh_missing));
		goto out;
	}
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key(sh->sh_json_key);
		sh->sh_json(obj);
		cli_json_end();
	} else {
		sh->sh_text(obj, arg);
	}
out:
	if (resp != NULL)
		kartoteka__response__free_unpacked(resp, NULL);
	return rc;
}

/* ==== paged lists ======================================================= */

/* Every page of one list, in order; each answer owns its rows. */
typedef struct pages {
	Kartoteka__Response **pg_resp;
	size_t pg_n, pg_cap;
} pages_t;

static void
pages_free(pages_t *p)
{
	for (size_t i = 0; i < p->pg_n; i++)
		kartoteka__response__free_unpacked(p->pg_resp[i], NULL);
	free(p->pg_resp);
	memset(p, 0, sizeof(*p));
}

/* Takes over resp (freed on failure too). Returns 0 or KT_ENOMEM. */
static int
pages_add(pages_t *p, Kartoteka__Response *resp)
{
	if (p->pg_n == p->pg_cap) {
		size_t cap = p->pg_cap == 0 ? 4 : p->pg_cap * 2;
		Kartoteka__Response **n = realloc(p->pg_resp,
		    cap * sizeof(*n));
		if (n == NULL) {
			kartoteka__response__free_unpacked(resp, NULL);
			return KT_ENOMEM;
		}
		p->pg_resp = n;
		p->pg_cap = cap;
	}
	p->pg_resp[p->pg_n++] = resp;
	return 0;
}

/* Asks for page after page (the cursor field of req set to each
 * next_cursor) until one comes without a next_cursor. Returns 0 with
 * every answer in *p, or an exit code (reported). */
static int
fetch_pages(cli_t *cli, Kartoteka__Request *req, ProtobufCBinaryData *cursor,
    const cli_list_t *ls, pages_t *p)
{
	uint8_t cur[CLI_CURSOR_MAX];
	int rc;

	cursor->data = NULL;
	cursor->len = 0;
	if ((rc = session(cli)) != 0)
		return rc;
	for (;;) {
		Kartoteka__Response *resp = NULL;
		ProtobufCBinaryData next = { 0, NULL };

		if (p->pg_n == LIST_PAGES_MAX)
			return cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
			    _("the server at %s sent more than %u pages"),
			    cli->cli_cfg.address, LIST_PAGES_MAX);
		if ((rc = cli_request(cli, req, ls->ls_want, &resp)) != 0)
			return rc;
		ls->ls_page(resp, &next);
		if (next.len > 0 && (next.data == NULL ||
		    next.len > sizeof(cur) || (next.len == cursor->len &&
		    memcmp(next.data, cursor->data, next.len) == 0))) {
			/* Too long, or the page it just answered: a list
			 * that would never end. */
			kartoteka__response__free_unpacked(resp, NULL);
			return cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
			    _("the server at %s sent a malformed next_cursor"),
			    cli->cli_cfg.address);
		}
		if (next.len > 0)
			memcpy(cur, next.data, next.len);
		if (pages_add(p, resp) != 0)
			return cli_fail(cli, CLI_EXIT_USAGE, "NOMEM", NULL, "%s",
			    _("out of memory"));
		if (next.len == 0)
			break;
		cursor->data = cur;
		cursor->len = next.len;
	}
	cursor->data = NULL;
	cursor->len = 0;
	return 0;
}

static void
list_json(cli_t *cli, const cli_list_t *ls, const pages_t *p)
{
	size_t shown = 0;

	cli_json_begin(cli);
	cli_json_key(ls->ls_json_key);
	fputc('[', stdout);
	for (size_t i = 0; i < p->pg_n; i++) {
		ProtobufCBinaryData next;
		size_t n = ls->ls_page(p->pg_resp[i], &next);

		for (size_t j = 0; j < n; j++) {
			if (shown++ > 0)
				fputc(',', stdout);
			ls->ls_json(ls->ls_row(p->pg_resp[i], j));
		}
	}
	fputc(']', stdout);
	cli_json_end();
}

static int
list_table(cli_t *cli, const cli_list_t *ls, const pages_t *p)
{
	const char *hdr[CLI_LIST_COLS_MAX];
	size_t total = 0;
	cli_table_t t;
	int rc;

	for (size_t i = 0; i < p->pg_n; i++) {
		ProtobufCBinaryData next;
		total += ls->ls_page(p->pg_resp[i], &next);
	}
	if (total == 0 && ls->ls_empty != NULL) {
		printf("%s\n", _(ls->ls_empty));
		return CLI_EXIT_OK;
	}
	cli_table_init(&t, ls->ls_ncols);
	for (size_t c = 0; c < ls->ls_ncols; c++)
		hdr[c] = _(ls->ls_header[c]);
	rc = cli_table_add(&t, hdr);
	for (size_t i = 0; rc == 0 && i < p->pg_n; i++) {
		ProtobufCBinaryData next;
		size_t n = ls->ls_page(p->pg_resp[i], &next);

		for (size_t j = 0; rc == 0 && j < n; j++)
			rc = ls->ls_add_row(&t, ls->ls_row(p->pg_resp[i], j));
	}
	if (rc != 0) {
		rc = cli_fail(cli, CLI_EXIT_USAGE, "NOMEM", NULL, "%s",
		    _("out of memory"));
		goto out;
	}
	cli_table_print(&t, stdout);
out:
	cli_table_free(&t);
	return rc;
}

int
cli_list(cli_t *cli, Kartoteka__Request *req, ProtobufCBinaryData *cursor,
    const cli_list_t *ls)
{
	pages_t p = { NULL, 0, 0 };
	int rc;

	if ((rc = fetch_pages(cli, req, cursor, ls, &p)) != 0)
		goto out;
	if (cli->cli_json)
		list_json(cli, ls, &p);
	else
		rc = list_table(cli, ls, &p);
out:
	pages_free(&p);
	return rc;
}
