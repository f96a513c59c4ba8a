/* SPDX-License-Identifier: MIT */
/* kartoteka: the command-line client, one command per invocation. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libintl.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "client_conn.h"
#include "config.h"
#include "fields.h"
#include "invite.h"
#include "keyfile.h"
#include "kt_error.h"
#include "cli.h"
#include "normalize.h"
#include "cli_modules.h"

#define CLIENT_NAME "kartoteka"
#define DEFAULT_TIMEOUT_MS 10000
#define PASSWORD_MAX CLI_PASSWORD_MAX

/* Set by the signal handler while the password is read with echo off, so
 * the terminal can be restored before the process dies. */
static volatile sig_atomic_t got_signal;

/* ==== output helpers ==================================================== */

const char *
cli_str(const char *s)
{
	return s != NULL ? s : "";
}


/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
size_t
cli_utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the NUL */
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Copies s for display on a terminal: control characters, C1 controls
 * and invalid UTF-8 (which a hostile server could use to rewrite the
 * screen) become '?'; long text is cut at a character boundary. */
const char *
cli_clean(char *buf, size_t cap, const char *s)
{
	const unsigned char *p = (const unsigned char *)cli_str(s);
	size_t i = 0;

	while (*p != '\0') {
		size_t n = cli_utf8_len(p);
		int bad = n == 0 || *p < 0x20 || *p == 0x7f ||
		    (n == 2 && p[0] == 0xc2 && p[1] < 0xa0);
		if (bad)
			n = 1;
		if (i + (bad ? 1 : n) + 1 > cap)
			break;
		if (bad)
			buf[i++] = '?';
		else
			for (size_t k = 0; k < n; k++)
				buf[i++] = (char)p[k];
		p += n;
	}
	buf[i] = '\0';
	return buf;
}

size_t
cli_width(const char *s)
{
	return kt_utf8_width(cli_str(s));
}

void
cli_table_init(cli_table_t *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->tb_ncols = ncols;
}

int
cli_table_add(cli_table_t *t, const char *const *cells)
{
	char buf[1024];

	if (t->tb_nrows == t->tb_cap) {
		size_t cap = t->tb_cap == 0 ? 16 : t->tb_cap * 2;
		char **n = realloc(t->tb_cells, cap * t->tb_ncols * sizeof(*n));
		if (n == NULL)
			return KT_ENOMEM;
		t->tb_cells = n;
		t->tb_cap = cap;
	}
	for (size_t c = 0; c < t->tb_ncols; c++) {
		char *dup = strdup(cli_clean(buf, sizeof(buf), cells[c]));
		if (dup == NULL) {
			for (size_t k = 0; k < c; k++)
				free(t->tb_cells[t->tb_nrows * t->tb_ncols + k]);
			return KT_ENOMEM;
		}
		t->tb_cells[t->tb_nrows * t->tb_ncols + c] = dup;
	}
	t->tb_nrows++;
	return 0;
}

void
cli_table_print(const cli_table_t *t, FILE *f)
{
	size_t widths[32] = { 0 };
	size_t ncols = t->tb_ncols < 32 ? t->tb_ncols : 32;

	for (size_t r = 0; r < t->tb_nrows; r++)
		for (size_t c = 0; c < ncols; c++) {
			size_t w = cli_width(t->tb_cells[r * t->tb_ncols + c]);
			if (w > widths[c])
				widths[c] = w;
		}
	for (size_t r = 0; r < t->tb_nrows; r++) {
		size_t pending = 0; /* blanks owed before the next cell */
		for (size_t c = 0; c < ncols; c++) {
			const char *cell = t->tb_cells[r * t->tb_ncols + c];
			if (cell[0] == '\0') {
				pending += widths[c] + 2;
				continue;
			}
			fprintf(f, "%*s%s", (int)pending, "", cell);
			pending = widths[c] - cli_width(cell) + 2;
		}
		fputc('\n', f);
	}
}

void
cli_table_free(cli_table_t *t)
{
	if (t == NULL || t->tb_cells == NULL)
		return;
	for (size_t i = 0; i < t->tb_nrows * t->tb_ncols; i++)
		free(t->tb_cells[i]);
	free(t->tb_cells);
	t->tb_cells = NULL;
	t->tb_nrows = t->tb_cap = 0;
}

/* Writes s as a JSON string; invalid UTF-8 becomes U+FFFD. */
void
cli_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)cli_str(s);

	fputc('"', f);
	while (*p != '\0') {
		size_t n = cli_utf8_len(p);
		if (n == 0) {
			fputs("\\ufffd", /* untranslated: JSON */ f);
			p++;
			continue;
		}
		if (n > 1) {
			fwrite(p, 1, n, f);
		} else if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
		} else if (*p == '\t') {
			fputs("\\t", f);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p);
		} else {
			fputc(*p, f);
		}
		p += n;
	}
	fputc('"', f);
}

void
cli_json_hex(FILE *f, const uint8_t *data, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len; i++)
		fprintf(f, "%02x", data[i]);
	fputc('"', f);
}

/* Opens the JSON object of a successful command: {"ok":true,"command":..
 * The caller adds ,"field":value pairs and calls cli_json_end. */
void
cli_json_begin(const cli_t *cli)
{
	fputs("{\"ok\":true,\"command\":", stdout);
	cli_json_str(stdout, cli->cli_command);
}

void
cli_json_end(void)
{
	fputs("}\n", stdout);
}

void
cli_json_key(const char *key)
{
	fputc(',', stdout);
	cli_json_str(stdout, key);
	fputc(':', stdout);
}

const char *
cli_role_name(Kartoteka__Role role)
{
	switch (role) {
	case KARTOTEKA__ROLE__OWNER: return "owner";
	case KARTOTEKA__ROLE__HEAD: return "head";
	case KARTOTEKA__ROLE__MANAGER: return "manager";
	default: return "unknown";
	}
}

const char *
cli_role_label(Kartoteka__Role role)
{
	switch (role) {
	case KARTOTEKA__ROLE__OWNER: return _("owner");
	case KARTOTEKA__ROLE__HEAD: return _("head of branch");
	case KARTOTEKA__ROLE__MANAGER: return _("manager");
	default: return _("unknown role");
	}
}

const char *
cli_word(const char *code)
{
	return code != NULL && code[0] != '\0' ? _(code) : cli_str(code);
}

const char *
cli_pad(char *buf, size_t cap, const char *s, int width)
{
	size_t w = cli_width(cli_str(s));

	snprintf(buf, cap, "%s%*s", cli_str(s),
	    w < (size_t)width ? width - (int)w : 0, "");
	return buf;
}

/* Formats unix seconds as local time "2025-01-31 14:05:00 +0100". */
void
cli_label(const char *label, int width)
{
	size_t w = cli_width(label);

	printf("  %s%*s ", label, w < (size_t)width ? width - (int)w : 0, "");
}

const char *
cli_fmt_time(char *buf, size_t cap, int64_t secs)
{
	if (secs <= 0) {
		snprintf(buf, cap, "%s", _("never"));
		return buf;
	}
	return kt_fmt_datetime(secs, 1, 1, NULL, buf, cap);
}

void
cli_json_user(const Kartoteka__UserInfo *u)
{
	fputs("{\"id\":", stdout);
	fprintf(stdout, "%" PRIu64, u->id);
	cli_json_key("login");
	cli_json_str(stdout, u->login);
	cli_json_key("name");
	cli_json_str(stdout, u->name);
	cli_json_key("role");
	cli_json_str(stdout, cli_role_name(u->role));
	cli_json_key("branches");
	fputc('[', stdout);
	for (size_t i = 0; i < u->n_branches; i++) {
		if (i > 0)
			fputc(',', stdout);
		cli_json_str(stdout, u->branches != NULL ? u->branches[i] : "");
	}
	fputs("]}", stdout);
}

void
cli_json_terminal(const Kartoteka__TerminalInfo *t)
{
	fputs("{\"name\":", stdout);
	cli_json_str(stdout, t->name);
	cli_json_key("branch");
	cli_json_str(stdout, t->branch);
	cli_json_key("public_key");
	cli_json_hex(stdout, t->public_key.data, t->public_key.data != NULL ?
	    t->public_key.len : 0);
	cli_json_key("revoked");
	fputs(t->revoked ? "true" : "false", stdout);
	fputc('}', stdout);
}

/* Prints "branches" as "A, B" (cleaned) into buf. */
const char *
cli_fmt_branches(char *buf, size_t cap, const Kartoteka__UserInfo *u)
{
	char one[256];
	size_t used = 0;

	buf[0] = '\0';
	if (u->n_branches == 0 || u->branches == NULL) {
		snprintf(buf, cap, "%s", u->role == KARTOTEKA__ROLE__OWNER ?
		    _("all") : _("none"));
		return buf;
	}
	for (size_t i = 0; i < u->n_branches && used + 1 < cap; i++) {
		int n = snprintf(buf + used, cap - used, "%s%s",
		    i > 0 ? ", " : "", cli_clean(one, sizeof(one), u->branches[i]));
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

/* ==== errors ============================================================ */

/* Reports a failure: "error: TEXT" on stderr (and hint on its own line),
 * and with --json {"ok":false,...} on stdout, whose error.message is
 * json_msg (escaped there). Returns exit_code. */
static int
report(const cli_t *cli, int exit_code, const char *code, const char *hint,
    const char *text, const char *json_msg)
{
	fprintf(stderr, _("error: %s\n"), text);
	if (hint != NULL)
		fprintf(stderr, "%s\n", hint);
	if (cli != NULL && cli->cli_json) {
		fputs("{\"ok\":false,\"command\":", stdout);
		cli_json_str(stdout, cli->cli_command);
		cli_json_key("exit");
		fprintf(stdout, "%d", exit_code);
		cli_json_key("error");
		fputs("{\"code\":", stdout);
		cli_json_str(stdout, code);
		cli_json_key("message");
		cli_json_str(stdout, json_msg);
		if (hint != NULL) {
			cli_json_key("hint");
			cli_json_str(stdout, hint);
		}
		fputs("}}\n", stdout);
	}
	return exit_code;
}

/* Reports a failure: "error: MESSAGE" on stderr (and hint on its own
 * line), and with --json {"ok":false,...} on stdout. Returns exit_code. */
__attribute__((format(printf, 5, 6)))
int
cli_fail(const cli_t *cli, int exit_code, const char *code, const char *hint,
    const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return report(cli, exit_code, code, hint, msg, msg);
}

int
cli_usage_error(const cli_t *cli, const char *msg)
{
	char hint[256];

	if (cli->cli_command != NULL)
		snprintf(hint, sizeof(hint), _("Try `kartoteka %s --help`."),
		    cli->cli_command);
	else
		snprintf(hint, sizeof(hint), "%s",
		    _("Try `kartoteka --help`."));
	return cli_fail(cli, CLI_EXIT_USAGE, "USAGE", hint, "%s", msg);
}

/* What a number argument is, in a person's words, by its name and the
 * command's first word: the ID of `client show` is a client id, that of
 * `deal stage` a deal id. The error reads "NOUN 'VALUE': expected WHAT".
 * Both strings are N_() (noun NULL: the option's own name). */
static const struct {
	const char *what;      /* the argument or option: "ID", "--version" */
	const char *group;     /* the command's first word, or NULL: any */
	const char *noun;      /* "client id" */
	const char *expect;    /* "a number such as 42" */
} number_words[] = {
	{ "ID", "client", N_("client id"), N_("a number such as 42") },
	{ "CLIENT", NULL, N_("client id"), N_("a number such as 42") },
	{ "INTO", NULL, N_("client id"), N_("a number such as 42") },
	{ "FROM", NULL, N_("client id"), N_("a number such as 42") },
	{ "--client", NULL, NULL, N_("a client id such as 42") },
	{ "--referred-by", NULL, NULL, N_("a client id such as 42 (0 clears "
	    "it)") },
	{ "ID", "deal", N_("deal id"), N_("a number such as 7") },
	{ "--renews", NULL, NULL, N_("a deal id such as 7") },
	{ "ID", "task", N_("task id"), N_("a number such as 7") },
	{ "--corrects", NULL, NULL, N_("a note id such as 40") },
	{ "--version", NULL, NULL, N_("a version number such as 3") },
	{ "--to", "client", NULL, N_("a version number such as 2") },
	{ "N", "person", N_("person number"), N_("a number such as 1 (the # in "
	    "`kartoteka client show`)") },
};

int
cli_bad_number(const cli_t *cli, const char *what, const char *s,
    uint64_t min, uint64_t max)
{
	const char *cmd = cli->cli_command != NULL ? cli->cli_command : "";
	const char *noun = what, *expect = NULL;
	size_t gl = strcspn(cmd, " ");
	char msg[300], range[80];

	if (s == NULL)
		s = "";
	for (size_t i = 0; i < sizeof(number_words) / sizeof(number_words[0]);
	    i++) {
		const char *g = number_words[i].group;
		if (strcmp(number_words[i].what, what) != 0 || (g != NULL &&
		    (strlen(g) != gl || strncmp(g, cmd, gl) != 0)))
			continue;
		if (number_words[i].noun != NULL)
			noun = _(number_words[i].noun);
		/* an id is any number from 1 up: no 18446744073709551615 */
		if (max >= UINT32_MAX)
			expect = _(number_words[i].expect);
		break;
	}
	if (expect == NULL && max >= UINT32_MAX) {
		expect = _("a number such as 42");
	} else if (expect == NULL) {
		snprintf(range, sizeof(range), _("a number from %llu to %llu"),
		    (unsigned long long)min, (unsigned long long)max);
		expect = range;
	}
	/* TRANSLATORS: "client id '12x': expected a number such as 42" */
	snprintf(msg, sizeof(msg), _("%s '%.40s': expected %s"), noun, s,
	    expect);
	return cli_usage_error(cli, msg);
}

int
cli_parse_num(const cli_t *cli, const char *what, const char *s,
    uint64_t max, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	if (s != NULL && s[0] >= '0' && s[0] <= '9') {
		v = strtoull(s, &end, 10);
		if (errno == 0 && end != NULL && *end == '\0' && v > 0 &&
		    v <= max) {
			*out = (uint64_t)v;
			return 0;
		}
	}
	return cli_bad_number(cli, what, s, 1, max);
}

const char *
cli_error_code_name(int code)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
	    &kartoteka__error__code__descriptor, code);
	return v != NULL ? v->name : "UNKNOWN";
}

/* Reports the server's Error in resp: "error: CODE: message" on stderr
 * (cleaned for the terminal); in JSON the code and the message apart, the
 * message as the server sent it (escaped). */
int
cli_server_error(const cli_t *cli, const Kartoteka__Response *resp,
    const char *hint)
{
	char msg[1024], text[1100];
	const Kartoteka__Error *e = resp->error;
	const char *code = cli_error_code_name(e->code);

	snprintf(text, sizeof(text), "%s: %s", code,
	    cli_clean(msg, sizeof(msg), e->message));
	return report(cli, CLI_EXIT_SERVER, code, hint, text,
	    cli_str(e->message));
}

const char *
cli_hint_not_logged_in(void)
{
	return _("not logged in: run `kartoteka login LOGIN`");
}

/* ==== connection ======================================================== */

int
cli_load_config(cli_t *cli)
{
	char dir[sizeof(cli->cli_cfg.dir)];
	const char *why = NULL;
	int rc;

	if (kt_config_dir(cli->cli_config_opt, dir, sizeof(dir)) != 0)
		return cli_fail(cli, CLI_EXIT_USAGE, "CONFIG", NULL, "%s",
		    _("no configuration directory: pass --config DIR or set "
		    "KARTOTEKA_CONFIG or HOME"));
	rc = kt_config_load(&cli->cli_cfg, dir, &why);
	if (rc != 0)
		return cli_fail(cli, CLI_EXIT_USAGE, "CONFIG", NULL,
		    _("configuration in %s: %s"), dir,
		    why != NULL ? _(why) : _(kt_strerror(rc)));
	return 0;
}

/* The absolute form of dir (a relative --config or KARTOTEKA_CONFIG is
 * taken from the working directory), so that a message names the folder
 * actually looked in. Writes into buf (cap bytes) and returns it. */
static const char *
absolute_dir(const char *dir, char *buf, size_t cap)
{
	char cwd[4096];

	if (dir[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(buf, cap, "%s", dir);
	else if (strcmp(dir, ".") == 0)
		snprintf(buf, cap, "%s", cwd);
	else
		snprintf(buf, cap, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd,
		    strncmp(dir, "./", 2) == 0 ? dir + 2 : dir);
	return buf;
}

/* Checks that this terminal is enrolled and has its key. */
int
cli_require_enrolled(cli_t *cli)
{
	char dir[4096 + sizeof(cli->cli_cfg.dir)];

	if (!cli->cli_cfg.has_server)
		return cli_fail(cli, CLI_EXIT_SERVER, "NOT_ENROLLED", NULL,
		    _("this terminal is not enrolled (no server file in %s): "
		    "ask the owner for an invite code and run `kartoteka "
		    "enroll CODE`"), absolute_dir(cli->cli_cfg.dir, dir,
		    sizeof(dir)));
	if (!cli->cli_cfg.has_terminal)
		return cli_fail(cli, CLI_EXIT_USAGE, "CONFIG", NULL,
		    _("%s/terminal.key is missing, so this terminal cannot "
		    "prove who it is: ask the owner for a new invite code and "
		    "run `kartoteka --config NEW_DIR enroll CODE`"),
		    absolute_dir(cli->cli_cfg.dir, dir, sizeof(dir)));
	return 0;
}

int
cli_connect(cli_t *cli, const char *address, const uint8_t key[static 32])
{
	char detail[512];
	int rc;

	rc = kt_conn_open_detail(&cli->cli_conn, address, key,
	    cli->cli_cfg.terminal_priv, CLIENT_NAME, cli->cli_timeout_ms,
	    &cli->cli_hello, detail, sizeof(detail));
	if (rc != 0)
		return cli_fail(cli, CLI_EXIT_CONNECT, "CONNECT", NULL,
		    _("cannot connect to %s: %s"), address,
		    detail[0] != '\0' ? _(detail) : _(kt_strerror(rc)));
	return 0;
}

/* The message in the result oneof, or NULL (unknown case or absent). */
static const void *
result_message(const Kartoteka__Response *r)
{
	return kt_response_result(r);
}

/* Sends req and checks the answer's shape. Returns CLI_EXIT_OK with *out set
 * to a Response whose result is `want` with a non-NULL message;
 * CLI_EXIT_SERVER with *out set to a Response carrying a server error (not yet
 * reported: the caller picks a hint); or CLI_EXIT_CONNECT, reported, with *out
 * NULL. */
int
cli_call(cli_t *cli, Kartoteka__Request *req, Kartoteka__Response__ResultCase want,
    Kartoteka__Response **out)
{
	Kartoteka__Response *resp = NULL;
	int rc;

	*out = NULL;
	rc = kt_conn_call(cli->cli_conn, req, &resp);
	if (rc != 0)
		return cli_fail(cli, CLI_EXIT_CONNECT, "CONNECT", rc == KT_ECLOSED ?
		    _("If this repeats, this terminal may have been revoked: "
		    "ask the owner.") : NULL,
		    _("connection to %s failed: %s"), cli->cli_cfg.address,
		    _(kt_strerror(rc)));
	if (resp->error != NULL &&
	    resp->error->code != KARTOTEKA__ERROR__CODE__OK) {
		*out = resp;
		return CLI_EXIT_SERVER;
	}
	/* The oneof case and its pointer come from the server: check both. */
	if (resp->result_case != want || result_message(resp) == NULL) {
		kartoteka__response__free_unpacked(resp, NULL);
		return cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
		    _("the server at %s sent an answer of the wrong kind"),
		    cli->cli_cfg.address);
	}
	*out = resp;
	return CLI_EXIT_OK;
}

int
cli_request(cli_t *cli, Kartoteka__Request *req,
    Kartoteka__Response__ResultCase want, Kartoteka__Response **out)
{
	int rc = cli_call(cli, req, want, out);

	if (rc == CLI_EXIT_SERVER && *out != NULL) {
		rc = cli_server_error(cli, *out, (*out)->error->code ==
		    KARTOTEKA__ERROR__CODE__UNAUTHENTICATED ?
		    cli_hint_not_logged_in() : NULL);
		kartoteka__response__free_unpacked(*out, NULL);
		*out = NULL;
	}
	return rc;
}

/* Checks a string from the server before it is saved or trusted. */
int
cli_proto_string_ok(const char *s, size_t max)
{
	if (s == NULL || strlen(s) >= max)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Connects to the enrolled server and resumes the saved session. Returns
 * CLI_EXIT_OK, or an exit code: when the server refused, *err_resp holds its
 * unreported answer (the caller reports it and frees it); otherwise the
 * failure is already reported and *err_resp is NULL. */
int
cli_resume_session(cli_t *cli, Kartoteka__Response **err_resp)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ResumeRequest rr = KARTOTEKA__RESUME_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	int rc;

	*err_resp = NULL;

	if ((rc = cli_require_enrolled(cli)) != 0)
		return rc;
	if (!cli->cli_cfg.has_session)
		return cli_fail(cli, CLI_EXIT_SERVER, "NOT_LOGGED_IN", NULL, "%s",
		    cli_hint_not_logged_in());
	if ((rc = cli_connect(cli, cli->cli_cfg.address,
	    cli->cli_cfg.server_key)) != 0)
		return rc;
	rr.token.data = cli->cli_cfg.session;
	rr.token.len = sizeof(cli->cli_cfg.session);
	req.op_case = KARTOTEKA__REQUEST__OP_RESUME;
	req.resume = &rr;
	rc = cli_call(cli, &req, KARTOTEKA__RESPONSE__RESULT_RESUME, &resp);
	if (rc == CLI_EXIT_SERVER) {
		*err_resp = resp;
		return rc;
	}
	if (resp != NULL)
		kartoteka__response__free_unpacked(resp, NULL);
	return rc;
}

/* cli_resume_session that reports a refusal ("not logged in" for
 * UNAUTHENTICATED). */
int
cli_open_session(cli_t *cli)
{
	Kartoteka__Response *resp = NULL;
	int rc = cli_resume_session(cli, &resp);

	if (resp != NULL) {
		rc = cli_server_error(cli, resp, resp->error->code ==
		    KARTOTEKA__ERROR__CODE__UNAUTHENTICATED ?
		    cli_hint_not_logged_in() : NULL);
		kartoteka__response__free_unpacked(resp, NULL);
	}
	return rc;
}

/* ==== argument parsing ================================================== */

static int
parse_timeout(cli_t *cli, const char *s)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 3600000)
		return cli_usage_error(cli, _("--timeout must be a number of "
		    "milliseconds, 1..3600000"));
	cli->cli_timeout_ms = (int)v;
	return 0;
}

/* Handles a global option at argv[*i] (also accepted after the command).
 * Returns 1 when it was one, 0 when not, or an exit code (>1) on error. */
static int
global_option(cli_t *cli, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	const char *val = NULL;

	if (strcmp(a, "--json") == 0) {
		cli->cli_json = 1;
		return 1;
	}
	if (strncmp(a, "--config=", 9) == 0) {
		cli->cli_config_opt = a + 9;
		return 1;
	}
	if (strncmp(a, "--timeout=", 10) == 0) {
		int rc = parse_timeout(cli, a + 10);
		return rc != 0 ? rc : 1;
	}
	if (strcmp(a, "--config") != 0 && strcmp(a, "--timeout") != 0)
		return 0;
	if (*i + 1 >= argc) {
		char msg[128];
		snprintf(msg, sizeof(msg), _("%s needs a value"), a);
		return cli_usage_error(cli, msg);
	}
	val = argv[++*i];
	if (strcmp(a, "--config") == 0) {
		cli->cli_config_opt = val;
		return 1;
	}
	int rc = parse_timeout(cli, val);
	return rc != 0 ? rc : 1;
}

static void print_help(const char *name, const cli_opt_t *opts,
    size_t nopts);

/* See cli.h. Options before the command word were taken by main(). */
int
cli_parse_args(cli_t *cli, int argc, char **argv, const cli_opt_t *opts,
    size_t nopts, const char **pos, int pos_min, int pos_max,
    const char *pos_names)
{
	char msg[256];
	int npos = 0, dashdash = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int rc;

		if (dashdash || a[0] != '-' || a[1] == '\0') {
			if (npos >= pos_max) {
				snprintf(msg, sizeof(msg),
				    _("unexpected argument '%s'"), a);
				return cli_usage_error(cli, msg);
			}
			pos[npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			print_help(cli->cli_command, opts, nopts);
			return -1;
		}
		rc = global_option(cli, argc, argv, &i);
		if (rc == 1)
			continue;
		if (rc != 0)
			return rc;
		size_t k;
		for (k = 0; k < nopts; k++) {
			const cli_opt_t *o = &opts[k];
			size_t n = strlen(o->ao_name);
			const char *val;
			if (o->ao_flag != NULL) {
				if (strcmp(a, o->ao_name) != 0)
					continue;
				*o->ao_flag = 1;
				break;
			}
			if (strcmp(a, o->ao_name) == 0) {
				if (i + 1 >= argc) {
					snprintf(msg, sizeof(msg),
					    _("%s needs a value"), a);
					return cli_usage_error(cli, msg);
				}
				val = argv[++i];
			} else if (strncmp(a, o->ao_name, n) == 0 && a[n] == '=') {
				val = a + n + 1;
			} else {
				continue;
			}
			if (o->ao_list != NULL) {
				if (*o->ao_list_n >= o->ao_list_cap) {
					snprintf(msg, sizeof(msg),
					    _("%s given more than %zu times"),
					    o->ao_name, o->ao_list_cap);
					return cli_usage_error(cli, msg);
				}
				o->ao_list[(*o->ao_list_n)++] = val;
			} else {
				*o->ao_value = val;
			}
			break;
		}
		if (k == nopts) {
			snprintf(msg, sizeof(msg), _("unknown option '%s'"), a);
			return cli_usage_error(cli, msg);
		}
	}
	if (npos < pos_min) {
		snprintf(msg, sizeof(msg), _("missing %s"), pos_names);
		return cli_usage_error(cli, msg);
	}
	return 0;
}

/* ==== passwords ========================================================= */

static void
on_signal(int sig)
{
	got_signal = sig;
}

/* Reads one line from fd into out (cap bytes), without the line break.
 * Returns 0, KT_ETOOBIG, KT_EIO, or KT_ECLOSED when nothing was read. */
static int
read_line(int fd, char *out, size_t cap)
{
	size_t n = 0;
	int rc = 0;

	for (;;) {
		char ch;
		ssize_t r = read(fd, &ch, 1);
		if (r < 0) {
			if (errno == EINTR && !got_signal)
				continue;
			rc = KT_EIO;
			break;
		}
		if (r == 0) {
			if (n == 0)
				rc = KT_ECLOSED;
			break;
		}
		if (ch == '\n')
			break;
		if (n + 1 >= cap) {
			rc = KT_ETOOBIG;
			break;
		}
		out[n++] = ch;
	}
	if (n > 0 && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	if (rc != 0)
		sodium_memzero(out, cap);
	return rc;
}

/* Asks on /dev/tty with echo off. Returns 0, KT_ENOTFOUND (no terminal),
 * or another error; a signal during the prompt is re-raised after the
 * terminal is restored. */
static int
prompt_tty(const char *prompt, char *out, size_t cap)
{
	struct termios old, noecho;
	struct sigaction sa, saved[4];
	static const int sigs[4] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	int fd, rc;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return KT_ENOTFOUND;
	if (tcgetattr(fd, &old) != 0) {
		close(fd);
		return KT_ENOTFOUND;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: read() returns EINTR */
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &saved[i]);
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
	noecho.c_lflag |= ECHONL;
	(void)!write(fd, prompt, strlen(prompt));
	tcsetattr(fd, TCSANOW, &noecho); /* keep type-ahead */
	rc = read_line(fd, out, cap);
	tcsetattr(fd, TCSAFLUSH, &old);
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &saved[i], NULL);
	close(fd);
	if (got_signal) {
		sodium_memzero(out, cap);
		raise(got_signal);
		return KT_EIO;
	}
	return rc;
}

/* Reads the password: the first line of file ("-" is stdin), or asked on
 * the terminal, or one line of stdin without a terminal. */
int
cli_read_password(cli_t *cli, const char *file, const char *prompt,
    char *out, size_t cap)
{
	int fd = -1, rc;
	const char *what = file;

	if (file != NULL) {
		fd = strcmp(file, "-") == 0 ? STDIN_FILENO :
		    open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return cli_fail(cli, CLI_EXIT_USAGE, "USAGE", NULL,
			    _("cannot open password file %s: %s"), file,
			    strerror(errno));
		rc = read_line(fd, out, cap);
		if (fd != STDIN_FILENO)
			close(fd);
	} else {
		rc = prompt_tty(prompt, out, cap);
		if (rc == KT_ENOTFOUND) {
			what = _("standard input");
			rc = read_line(STDIN_FILENO, out, cap);
		} else {
			what = _("the terminal");
		}
	}
	if (rc == KT_ETOOBIG)
		return cli_fail(cli, CLI_EXIT_USAGE, "USAGE", NULL,
		    _("the password from %s is too long (at most %u bytes)"),
		    what, (unsigned)(cap - 1));
	if (rc == 0 && out[0] == '\0')
		rc = KT_ECLOSED;
	if (rc == KT_ECLOSED)
		return cli_fail(cli, CLI_EXIT_USAGE, "USAGE", NULL,
		    _("no password given on %s"), what);
	if (rc != 0)
		return cli_fail(cli, CLI_EXIT_USAGE, "USAGE", NULL,
		    _("cannot read the password from %s"), what);
	return 0;
}

/* Reads a new secret: from file, or asked twice on the terminal (prompt,
 * then again), or one line of standard input without a terminal. Returns 0
 * or an exit code (reported); the caller wipes out, this wipes its copy. */
int
cli_read_new_secret(cli_t *cli, const char *file, const char *prompt,
    const char *again_prompt, char *out, size_t cap)
{
	char again[CLI_PASSWORD_MAX];
	int fd, tty = 0, rc;

	if (file == NULL) {
		fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0) {
			tty = isatty(fd);
			close(fd);
		}
	}
	rc = cli_read_password(cli, file, prompt, out, cap);
	if (rc != 0 || !tty)
		return rc;
	rc = cli_read_password(cli, NULL, again_prompt, again, sizeof(again));
	if (rc == 0 && strcmp(out, again) != 0) {
		sodium_memzero(out, cap);
		rc = cli_fail(cli, CLI_EXIT_USAGE, "USAGE", NULL, "%s",
		    _("the two entries differ"));
	}
	sodium_memzero(again, sizeof(again));
	return rc;
}

/* ==== commands ========================================================== */

static int
cmd_enroll(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *name = NULL, *why = NULL;
	const cli_opt_t opts[] = { { .ao_name = "--name", .ao_value = &name } };
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__EnrollRequest er = KARTOTEKA__ENROLL_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	const Kartoteka__TerminalInfo *term;
	kt_invite_t inv;
	char host[256], c1[256], c2[256];
	const char *branch, *tname;
	int rc;

	memset(&inv, 0, sizeof(inv));
	rc = cli_parse_args(cli, argc, argv, opts, 1, pos, 1, 1, "CODE");
	if (rc != 0)
		goto out;
	if (kt_invite_decode(pos[0], &inv, &why) != 0) {
		rc = cli_fail(cli, CLI_EXIT_USAGE, "USAGE", NULL,
		    _("invalid invite code: %s"), _(why));
		goto out;
	}
	if (name == NULL) {
		if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
			snprintf(host, sizeof(host), "terminal"
			    /* untranslated: a default terminal name */);
		host[sizeof(host) - 1] = '\0';
		/* The server's limit; a host name is ASCII, so any cut fits. */
		host[KT_TERMINAL_NAME_MAX] = '\0';
		name = host;
	}
	/* The server's own rule (common/fields.h), so that a name the CLI
	 * lets through is one the server takes. */
	if ((why = kt_text_problem(name, 1, KT_TERMINAL_NAME_MAX, 0)) !=
	    NULL) {
		char msg[160];
		snprintf(msg, sizeof(msg), _("--name: %s"), _(why));
		rc = cli_usage_error(cli, msg);
		goto out;
	}
	if ((rc = cli_load_config(cli)) != 0)
		goto out;
	if (cli->cli_cfg.has_server) {
		rc = cli_fail(cli, CLI_EXIT_USAGE, "ALREADY_ENROLLED", NULL,
		    _("this terminal is already enrolled with %s (config %s): "
		    "to enroll another one, use another directory: "
		    "`kartoteka --config DIR enroll CODE`"),
		    cli->cli_cfg.address, cli->cli_cfg.dir);
		goto out;
	}
	if ((rc = kt_config_ensure_terminal(&cli->cli_cfg)) != 0) {
		rc = cli_fail(cli, CLI_EXIT_USAGE, "CONFIG", NULL,
		    _("cannot create the terminal key in %s: %s"),
		    cli->cli_cfg.dir, rc == KT_EIO ? strerror(errno) :
		    _(kt_strerror(rc)));
		goto out;
	}
	/* The address shown in errors is the one being dialled. */
	snprintf(cli->cli_cfg.address, sizeof(cli->cli_cfg.address), "%s",
	    inv.address);
	if ((rc = cli_connect(cli, inv.address, inv.server_key)) != 0)
		goto out;
	er.token.data = inv.token;
	er.token.len = inv.token_len;
	er.name = (char *)name;
	req.op_case = KARTOTEKA__REQUEST__OP_ENROLL;
	req.enroll = &er;
	rc = cli_call(cli, &req, KARTOTEKA__RESPONSE__RESULT_ENROLL, &resp);
	if (rc == CLI_EXIT_SERVER && resp != NULL)
		rc = cli_server_error(cli, resp, NULL);
	if (rc != 0)
		goto out;
	term = resp->enroll->terminal;
	tname = term != NULL ? term->name : name;
	branch = term != NULL ? term->branch : inv.branch;
	if (!cli_proto_string_ok(branch, sizeof(cli->cli_cfg.branch)) ||
	    tname == NULL) {
		rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
		    _("the server at %s sent a malformed branch name"),
		    inv.address);
		goto out;
	}
	memcpy(cli->cli_cfg.server_key, inv.server_key, 32);
	snprintf(cli->cli_cfg.branch, sizeof(cli->cli_cfg.branch), "%s",
	    branch);
	cli->cli_cfg.has_server = 1;
	if ((rc = kt_config_save_server(&cli->cli_cfg)) != 0 ||
	    (rc = kt_config_clear_session(&cli->cli_cfg)) != 0) {
		rc = cli_fail(cli, CLI_EXIT_USAGE, "CONFIG", NULL,
		    _("enrolled, but cannot save %s/server: %s"),
		    cli->cli_cfg.dir, rc == KT_EIO ? strerror(errno) :
		    _(kt_strerror(rc)));
		goto out;
	}
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("server");
		cli_json_str(stdout, inv.address);
		cli_json_key("terminal");
		fputs("{\"name\":", stdout);
		cli_json_str(stdout, tname);
		cli_json_key("branch");
		cli_json_str(stdout, branch);
		cli_json_key("public_key");
		cli_json_hex(stdout, cli->cli_cfg.terminal_pub, 32);
		fputc('}', stdout);
		cli_json_end();
	} else {
		/* whole sentences: "branch: %s" alone is also a field path
		 * of the server's messages, translated as one */
		if (branch[0] != '\0')
			printf(_("Enrolled terminal '%s' with server %s "
			    "(branch: %s).\n"), cli_clean(c1, sizeof(c1), tname),
			    inv.address, cli_clean(c2, sizeof(c2), branch));
		else
			printf(_("Enrolled terminal '%s' with server %s (owner "
			    "terminal).\n"), cli_clean(c1, sizeof(c1), tname),
			    inv.address);
		printf("%s\n", _("Next: kartoteka login LOGIN"));
	}
	rc = CLI_EXIT_OK;
out:
	if (resp != NULL)
		kartoteka__response__free_unpacked(resp, NULL);
	sodium_memzero(&inv, sizeof(inv));
	return rc < 0 ? CLI_EXIT_OK : rc;
}

/* An idle time for people: "90 seconds", "15 minutes", "2 hours". */
static const char *
fmt_idle(char *buf, size_t cap, int64_t s)
{
	if (s < 120)
		snprintf(buf, cap, _("%lld seconds"), (long long)s);
	else if (s < 7200 || s % 3600 != 0)
		snprintf(buf, cap, _("%lld minutes"), (long long)(s + 59) / 60);
	else
		snprintf(buf, cap, _("%lld hours"), (long long)s / 3600);
	return buf;
}

/* Who is logged in on this terminal now, as the saved session says:
 * resumes it on a connection of its own (closed again, so a slow typist
 * does not hit the server's timeout) and copies the login into who ("":
 * nobody, or the session has ended). Only the holder of the session
 * token learns this. Returns 0, or CLI_EXIT_CONNECT (reported) when the
 * server cannot be reached. */
static int
login_on_terminal(cli_t *cli, char *who, size_t cap)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ResumeRequest rr = KARTOTEKA__RESUME_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	int rc;

	who[0] = '\0';
	if (!cli->cli_cfg.has_session)
		return 0;
	if ((rc = cli_connect(cli, cli->cli_cfg.address,
	    cli->cli_cfg.server_key)) != 0)
		return rc;
	rr.token.data = cli->cli_cfg.session;
	rr.token.len = sizeof(cli->cli_cfg.session);
	req.op_case = KARTOTEKA__REQUEST__OP_RESUME;
	req.resume = &rr;
	rc = cli_call(cli, &req, KARTOTEKA__RESPONSE__RESULT_RESUME, &resp);
	if (rc == CLI_EXIT_OK && resp->resume->user != NULL &&
	    cli_proto_string_ok(resp->resume->user->login, cap))
		snprintf(who, cap, "%s", resp->resume->user->login);
	if (resp != NULL)
		kartoteka__response__free_unpacked(resp, NULL);
	kt_conn_close(cli->cli_conn);
	cli->cli_conn = NULL;
	if (cli->cli_hello != NULL) {
		kartoteka__server_hello__free_unpacked(cli->cli_hello, NULL);
		cli->cli_hello = NULL;
	}
	/* A refused resume means nobody's session is left here. */
	return rc == CLI_EXIT_CONNECT ? rc : 0;
}

static int
cmd_login(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *pwfile = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--password-file", .ao_value = &pwfile },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__LoginRequest lr = KARTOTEKA__LOGIN_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	const Kartoteka__LoginResponse *res;
	char password[PASSWORD_MAX];
	char c1[256], c2[256], t[64], prev[KT_LOGIN_MAX + 1], prompt[512];
	int rc;

	password[0] = '\0';
	prev[0] = '\0';
	rc = cli_parse_args(cli, argc, argv, opts, 1, pos, 1, 1, "LOGIN");
	if (rc != 0)
		goto out;
	if (pos[0][0] == '\0') {
		rc = cli_usage_error(cli, _("LOGIN is empty"));
		goto out;
	}
	if ((rc = cli_load_config(cli)) != 0 || (rc = cli_require_enrolled(cli)) != 0)
		goto out;
	/* A desk holds one person at a time: the prompt says whose session
	 * this login ends. */
	if ((rc = login_on_terminal(cli, prev, sizeof(prev))) != 0)
		goto out;
	if (prev[0] != '\0')
		/* TRANSLATORS: "Password for anna (ends the session of boris
		 * on this terminal): " */
		snprintf(prompt, sizeof(prompt), _("Password for %s (ends the "
		    "session of %s on this terminal): "),
		    cli_clean(c1, sizeof(c1), pos[0]), prev);
	else
		snprintf(prompt, sizeof(prompt), _("Password for %s: "),
		    cli_clean(c1, sizeof(c1), pos[0]));
	/* Ask before dialling, so a slow typist does not hit the timeout. */
	if ((rc = cli_read_password(cli, pwfile, prompt,
	    password, sizeof(password))) != 0)
		goto out;
	if ((rc = cli_connect(cli, cli->cli_cfg.address,
	    cli->cli_cfg.server_key)) != 0)
		goto out;
	lr.login = (char *)pos[0];
	lr.password = password;
	req.op_case = KARTOTEKA__REQUEST__OP_LOGIN;
	req.login = &lr;
	rc = cli_call(cli, &req, KARTOTEKA__RESPONSE__RESULT_LOGIN, &resp);
	sodium_memzero(password, sizeof(password));
	if (rc == CLI_EXIT_SERVER && resp != NULL)
		rc = cli_server_error(cli, resp, NULL);
	if (rc != 0)
		goto out;
	res = resp->login;
	if (res->token.data == NULL ||
	    res->token.len != sizeof(cli->cli_cfg.session)) {
		rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
		    _("the server at %s sent a session token of the wrong "
		    "size"), cli->cli_cfg.address);
		goto out;
	}
	memcpy(cli->cli_cfg.session, res->token.data, res->token.len);
	cli->cli_cfg.has_session = 1;
	if ((rc = kt_config_save_session(&cli->cli_cfg)) != 0) {
		rc = cli_fail(cli, CLI_EXIT_USAGE, "CONFIG", NULL,
		    _("logged in, but cannot save %s/session: %s"),
		    cli->cli_cfg.dir, rc == KT_EIO ? strerror(errno) :
		    _(kt_strerror(rc)));
		goto out;
	}
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("login");
		cli_json_str(stdout, pos[0]);
		if (res->user != NULL) {
			cli_json_key("user");
			cli_json_user(res->user);
		}
		cli_json_key("expires_at");
		printf("%" PRId64, res->expires_at);
		cli_json_key("idle_s");
		printf("%" PRId64, res->idle_s);
		cli_json_key("ended_session_of");
		if (prev[0] != '\0')
			cli_json_str(stdout, prev);
		else
			fputs("null", stdout);
		cli_json_end();
	} else {
		if (res->user != NULL)
			printf(_("Logged in as %s (%s, %s).\n"),
			    cli_clean(c1, sizeof(c1), cli_str(res->user->login)[0] != '\0' ?
			    res->user->login : pos[0]),
			    cli_clean(c2, sizeof(c2), res->user->name),
			    cli_role_label(res->user->role));
		else
			printf(_("Logged in as %s.\n"),
			    cli_clean(c1, sizeof(c1), pos[0]));
		if (res->idle_s > 0)
			printf(_("Session expires %s, or after %s unused.\n"),
			    cli_fmt_time(t, sizeof(t), res->expires_at),
			    fmt_idle(c2, sizeof(c2), res->idle_s));
		else
			printf(_("Session expires %s.\n"),
			    cli_fmt_time(t, sizeof(t), res->expires_at));
		if (prev[0] != '\0')
			printf(_("The session of %s on this terminal has "
			    "ended.\n"), prev);
	}
	rc = CLI_EXIT_OK;
out:
	sodium_memzero(password, sizeof(password));
	kt_response_free(resp);
	return rc < 0 ? CLI_EXIT_OK : rc;
}

static int
cmd_logout(cli_t *cli, int argc, char **argv)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__LogoutRequest lr = KARTOTEKA__LOGOUT_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	int rc, was = 0;

	rc = cli_parse_args(cli, argc, argv, NULL, 0, NULL, 0, 0, "");
	if (rc != 0)
		goto out;
	if ((rc = cli_load_config(cli)) != 0 || (rc = cli_require_enrolled(cli)) != 0)
		goto out;
	if (cli->cli_cfg.has_session) {
		rc = cli_resume_session(cli, &resp);
		if (resp != NULL && resp->error->code ==
		    KARTOTEKA__ERROR__CODE__UNAUTHENTICATED) {
			/* An ended session is what logout wants: forget it. */
			kartoteka__response__free_unpacked(resp, NULL);
			resp = NULL;
		} else if (resp != NULL) {
			rc = cli_server_error(cli, resp, NULL);
			goto out;
		} else if (rc != 0) {
			goto out;
		} else {
			req.op_case = KARTOTEKA__REQUEST__OP_LOGOUT;
			req.logout = &lr;
			rc = cli_call(cli, &req, KARTOTEKA__RESPONSE__RESULT_LOGOUT,
			    &resp);
			if (rc == CLI_EXIT_SERVER && resp != NULL)
				rc = cli_server_error(cli, resp, NULL);
			if (rc != 0)
				goto out;
			was = 1;
		}
	}
	if (kt_config_clear_session(&cli->cli_cfg) != 0) {
		rc = cli_fail(cli, CLI_EXIT_USAGE, "CONFIG", NULL,
		    _("cannot remove %s/session: %s"), cli->cli_cfg.dir,
		    strerror(errno));
		goto out;
	}
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("was_logged_in");
		fputs(was ? "true" : "false", stdout);
		cli_json_end();
	} else {
		printf("%s\n", was ? _("Logged out.") :
		    _("Not logged in; the saved session, if any, is removed."));
	}
	rc = CLI_EXIT_OK;
out:
	if (resp != NULL)
		kartoteka__response__free_unpacked(resp, NULL);
	return rc < 0 ? CLI_EXIT_OK : rc;
}

static int
cmd_whoami(cli_t *cli, int argc, char **argv)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__WhoamiRequest wr = KARTOTEKA__WHOAMI_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	const Kartoteka__WhoamiResponse *w;
	char c1[256], c2[256], br[1024], t[64];
	int rc;

	rc = cli_parse_args(cli, argc, argv, NULL, 0, NULL, 0, 0, "");
	if (rc != 0)
		goto out;
	if ((rc = cli_load_config(cli)) != 0 || (rc = cli_open_session(cli)) != 0)
		goto out;
	req.op_case = KARTOTEKA__REQUEST__OP_WHOAMI;
	req.whoami = &wr;
	rc = cli_call(cli, &req, KARTOTEKA__RESPONSE__RESULT_WHOAMI, &resp);
	if (rc == CLI_EXIT_SERVER && resp != NULL)
		rc = cli_server_error(cli, resp, resp->error->code ==
		    KARTOTEKA__ERROR__CODE__UNAUTHENTICATED ?
		    cli_hint_not_logged_in() : NULL);
	if (rc != 0)
		goto out;
	w = resp->whoami;
	if (w->user == NULL) {
		rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
		    _("the server at %s sent whoami without a user"),
		    cli->cli_cfg.address);
		goto out;
	}
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("user");
		cli_json_user(w->user);
		cli_json_key("terminal");
		if (w->terminal != NULL)
			cli_json_terminal(w->terminal);
		else
			fputs("null", stdout);
		cli_json_key("session_expires_at");
		printf("%" PRId64, w->session_expires_at);
		cli_json_key("session_idle_s");
		printf("%" PRId64, w->session_idle_s);
		cli_json_end();
	} else {
		printf(_("login: %s\n"), cli_clean(c1, sizeof(c1), w->user->login));
		printf(_("name: %s\n"), cli_clean(c1, sizeof(c1), w->user->name));
		printf(_("role: %s\n"), cli_role_label(w->user->role));
		printf(_("branches: %s\n"), cli_fmt_branches(br, sizeof(br),
		    w->user));
		if (w->terminal == NULL)
			printf("%s\n", _("terminal: unknown"));
		else if (cli_str(w->terminal->branch)[0] != '\0')
			printf(_("terminal: %s (branch: %s)\n"),
			    cli_clean(c1, sizeof(c1), w->terminal->name),
			    cli_clean(c2, sizeof(c2), w->terminal->branch));
		else
			printf(_("terminal: %s (owner terminal)\n"),
			    cli_clean(c1, sizeof(c1), w->terminal->name));
		printf(_("session expires: %s\n"), cli_fmt_time(t, sizeof(t),
		    w->session_expires_at));
		if (w->session_idle_s > 0)
			printf(_("session ends after: %s unused\n"),
			    fmt_idle(c1, sizeof(c1), w->session_idle_s));
	}
	rc = CLI_EXIT_OK;
out:
	if (resp != NULL)
		kartoteka__response__free_unpacked(resp, NULL);
	return rc < 0 ? CLI_EXIT_OK : rc;
}

static int
cmd_ping(cli_t *cli, int argc, char **argv)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__PingRequest pr = KARTOTEKA__PING_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	const Kartoteka__PingResponse *p;
	struct timespec t0, t1;
	char c1[256], t[64];
	const char *version;
	int64_t rtt_ms;
	int rc;

	rc = cli_parse_args(cli, argc, argv, NULL, 0, NULL, 0, 0, "");
	if (rc != 0)
		goto out;
	if ((rc = cli_load_config(cli)) != 0 || (rc = cli_require_enrolled(cli)) != 0)
		goto out;
	if ((rc = cli_connect(cli, cli->cli_cfg.address,
	    cli->cli_cfg.server_key)) != 0)
		goto out;
	req.op_case = KARTOTEKA__REQUEST__OP_PING;
	req.ping = &pr;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = cli_call(cli, &req, KARTOTEKA__RESPONSE__RESULT_PING, &resp);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == CLI_EXIT_SERVER && resp != NULL)
		rc = cli_server_error(cli, resp, NULL);
	if (rc != 0 || resp == NULL)
		goto out;
	p = resp->ping;
	rtt_ms = ((int64_t)t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	version = p->server_version != NULL && p->server_version[0] != '\0' ?
	    p->server_version : (cli->cli_hello != NULL ?
	    cli->cli_hello->server_version : "");
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("server");
		cli_json_str(stdout, cli->cli_cfg.address);
		cli_json_key("server_version");
		cli_json_str(stdout, version);
		cli_json_key("server_time_ms");
		printf("%" PRId64, p->server_time);
		cli_json_key("enrolled");
		fputs(p->enrolled ? "true" : "false", stdout);
		cli_json_key("rtt_ms");
		printf("%" PRId64, rtt_ms);
		cli_json_end();
	} else {
		printf(_("server: %s\n"), cli->cli_cfg.address);
		printf(_("server version: %s\n"),
		    cli_clean(c1, sizeof(c1), version));
		printf(_("server time: %s\n"), cli_fmt_time(t, sizeof(t),
		    p->server_time / 1000));
		printf(_("enrolled: %s\n"), p->enrolled ? _("yes") : _("no"));
		printf(_("round trip: %" PRId64 " ms\n"), rtt_ms);
	}
	rc = CLI_EXIT_OK;
out:
	if (resp != NULL)
		kartoteka__response__free_unpacked(resp, NULL);
	return rc < 0 ? CLI_EXIT_OK : rc;
}

/* ==== help and main ===================================================== */

static const cli_command_t commands[] = {
	{ "enroll", cmd_enroll, N_("enroll CODE [--name NAME]"),
	  N_("enroll this terminal with an invite code from the owner"),
	  N_("Creates this terminal's key (if missing) in the configuration\n"
	     "directory, connects to the server named in the invite code and\n"
	     "enrolls the terminal. NAME defaults to the host name.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka enroll KT1-CgwxMjcuMC4wLjE6NzcwMBIg... --name front-desk\n") },
	{ "login", cmd_login, N_("login LOGIN [--password-file FILE]"),
	  N_("log in; the session is kept in the configuration directory"),
	  N_("Asks for the password on the terminal (without echo), or reads\n"
	     "the first line of FILE (\"-\" is standard input). Without a\n"
	     "terminal, reads one line of standard input.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka login anna --password-file ~/.anna-password\n") },
	{ "logout", cmd_logout, N_("logout"),
	  N_("end the session on the server and forget it here"),
	  N_("Example:\n"
	     "  kartoteka logout\n") },
	{ "whoami", cmd_whoami, N_("whoami"),
	  N_("show the logged-in user, this terminal and the session expiry"),
	  N_("Example:\n"
	     "  kartoteka --json whoami\n") },
	{ "ping", cmd_ping, N_("ping"),
	  N_("check the server: version, time, enrolment, round trip"),
	  N_("Works without logging in.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka ping --timeout 2000\n") },
	{ NULL, NULL, NULL, NULL, NULL },
};

/* Every command table: this file's, then one per cmd_*.c (generated
 * cli_modules.h, see cli.h). */
static const cli_command_t *const modules[] = { commands, CLI_MODULES NULL };

/* 1 if the command called name is word1 (and word2 for a two-word
 * name). */
static int
name_matches(const char *name, const char *word1, const char *word2)
{
	size_t n = strlen(word1);
	const char *sp = strchr(name, ' ');

	if (sp == NULL)
		return strcmp(name, word1) == 0;
	return (size_t)(sp - name) == n && strncmp(name, word1, n) == 0 &&
	    word2 != NULL && strcmp(sp + 1, word2) == 0;
}

/* The command named by word1 [word2], or NULL. */
static const cli_command_t *
find_command(const char *word1, const char *word2)
{
	for (size_t m = 0; word1 != NULL && modules[m] != NULL; m++)
		for (const cli_command_t *c = modules[m]; c->cmd_name != NULL; c++)
			if (name_matches(c->cmd_name, word1, word2))
				return c;
	return NULL;
}

/* 1 if some two-word command starts with word (a group: "branch"). */
static int
is_group(const char *word)
{
	size_t n = strlen(word);

	for (size_t m = 0; modules[m] != NULL; m++)
		for (const cli_command_t *c = modules[m]; c->cmd_name != NULL; c++)
			if (strncmp(c->cmd_name, word, n) == 0 &&
			    c->cmd_name[n] == ' ')
				return 1;
	return 0;
}

/* The edit distance of a and b (bytes; both short command words), capped
 * at 99. */
static unsigned
distance(const char *a, const char *b)
{
	unsigned row[33], prev, tmp;
	size_t na = strlen(a), nb = strlen(b);

	if (na > 32 || nb > 32)
		return 99;
	for (size_t j = 0; j <= nb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= na; i++) {
		prev = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= nb; j++) {
			unsigned best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[nb];
}

/* The command word nearest to word: among the second words of group's
 * commands (group "client": "list", "show", ...), or the first words of
 * all commands (group NULL). A word that starts a command ("hist" for
 * "history") is nearest. NULL when nothing is close (more than a third
 * of the letters, at least 2, would have to change). Points into the
 * command table. */
static const char *
nearest_command(const char *group, const char *word, char *buf, size_t cap)
{
	size_t gn = group != NULL ? strlen(group) : 0, wn = strlen(word);
	unsigned best = 99, limit = wn / 3 > 2 ? (unsigned)(wn / 3) : 2;
	const char *found = NULL;

	for (size_t m = 0; modules[m] != NULL; m++)
		for (const cli_command_t *c = modules[m]; c->cmd_name != NULL;
		    c++) {
			const char *w = c->cmd_name, *sp;
			char cand[64];
			unsigned d;
			if (group != NULL) {
				if (strncmp(w, group, gn) != 0 || w[gn] != ' ')
					continue;
				w += gn + 1;
			}
			sp = strchr(w, ' ');
			snprintf(cand, sizeof(cand), "%.*s", sp != NULL ?
			    (int)(sp - w) : (int)strlen(w), w);
			d = wn > 0 && strncmp(cand, word, wn) == 0 ? 0 :
			    distance(word, cand);
			if (d < best) {
				best = d;
				snprintf(buf, cap, "%s", cand);
				found = buf;
			}
		}
	return best <= limit ? found : NULL;
}

/* The usage error of an unknown command word: names it and the nearest
 * command, instead of the whole list ("unknown command 'lst' for
 * 'client'; did you mean 'list'?"). */
static int
unknown_command(cli_t *cli, const char *group, const char *word)
{
	char near[64], hint[160];
	const char *n = nearest_command(group, word, near, sizeof(near));

	if (group != NULL)
		snprintf(hint, sizeof(hint), _("Try `kartoteka %s --help`."),
		    group);
	else
		snprintf(hint, sizeof(hint), "%s",
		    _("Try `kartoteka --help`."));
	if (group != NULL && n != NULL)
		return cli_fail(cli, CLI_EXIT_USAGE, "USAGE", hint,
		    _("unknown command '%.40s' for '%s'; did you mean '%s'?"),
		    word, group, n);
	if (group != NULL) {
		char list[512];
		size_t gn = strlen(group), o = 0;
		list[0] = '\0';
		for (size_t m = 0; modules[m] != NULL; m++)
			for (const cli_command_t *c = modules[m];
			    c->cmd_name != NULL; c++)
				if (strncmp(c->cmd_name, group, gn) == 0 &&
				    c->cmd_name[gn] == ' ' && o < sizeof(list))
					o += (size_t)snprintf(list + o,
					    sizeof(list) - o, "%s%s", o ? ", " :
					    "", c->cmd_name + gn + 1);
		return cli_fail(cli, CLI_EXIT_USAGE, "USAGE", hint,
		    _("unknown command '%.40s' for '%s'; its commands are: %s"),
		    word, group, list);
	}
	if (n != NULL)
		return cli_fail(cli, CLI_EXIT_USAGE, "USAGE", hint,
		    _("unknown command '%.40s'; did you mean '%s'?"), word, n);
	return cli_fail(cli, CLI_EXIT_USAGE, "USAGE", hint,
	    _("unknown command '%.40s'"), word);
}

/* Lists the commands whose name starts with group + ' ' (or all). */
static void
print_commands(FILE *f, const char *group)
{
	size_t n = group != NULL ? strlen(group) : 0;

	for (size_t m = 0; modules[m] != NULL; m++)
		for (const cli_command_t *c = modules[m]; c->cmd_name != NULL; c++) {
			const char *syn = _(c->cmd_synopsis);
			size_t w = cli_width(syn);
			if (group != NULL && (strncmp(c->cmd_name, group, n) != 0 ||
			    c->cmd_name[n] != ' '))
				continue;
			if (w <= 36)
				fprintf(f, "  %s%*s %s\n", syn, (int)(36 - w), "",
				    _(c->cmd_summary));
			else
				fprintf(f, "  %s\n  %36s %s\n", syn, "",
				    _(c->cmd_summary));
		}
}

static void
print_usage(FILE *f)
{
	fprintf(f, "%s\n\n", _("Usage: kartoteka [--config DIR] [--json] "
	    "[--timeout MS] COMMAND [ARGS]"));
	fprintf(f, "%s\n", _("Commands:"));
	print_commands(f, NULL);
	fprintf(f, "\n%s\n", _("Options (also accepted after COMMAND):"));
	fprintf(f, "%s\n", _(
	    "  --config DIR   configuration directory (default: $KARTOTEKA_CONFIG,\n"
	    "                 else $XDG_CONFIG_HOME/kartoteka, else ~/.config/kartoteka)\n"
	    "  --json         print one JSON object on standard output\n"
	    "  --timeout MS   connect and answer timeout in milliseconds (default 10000)\n"
	    "  --help         this help; `kartoteka COMMAND --help` for one command\n"
	    "  --version      print the version"));
	fprintf(f, "\n%s\n", _(
	    "Exit codes: 0 success; 1 error from the server, or not enrolled, or\n"
	    "not logged in; 2 usage error (arguments, invite code, configuration\n"
	    "directory); 3 cannot connect or the connection failed."));
	fprintf(f, "\n%s\n", _(
	    "Example:\n"
	    "  kartoteka enroll KT1-... && kartoteka login anna && kartoteka whoami"));
}

/* The commands of a group ("kartoteka branch"). */
static void
print_group_usage(FILE *f, const char *group)
{
	fprintf(f, _("Usage: kartoteka [OPTIONS] %s COMMAND [ARGS]\n\n"),
	    group);
	fprintf(f, "%s\n", _("Commands:"));
	print_commands(f, group);
	fprintf(f, "\n%s\n", _("Run `kartoteka COMMAND --help` for one command, "
	    "`kartoteka --help` for the global options."));
}

/* The "Options:" section of a command's help, from the table its
 * arguments are parsed with. */
static void
print_options(const cli_opt_t *opts, size_t nopts)
{
	if (nopts == 0)
		return;
	printf("\n%s\n", _("Options:"));
	for (size_t k = 0; k < nopts; k++) {
		const cli_opt_t *o = &opts[k];
		char left[128];
		size_t w;
		if (o->ao_flag != NULL)
			snprintf(left, sizeof(left), "%s", o->ao_name);
		else
			snprintf(left, sizeof(left), "%s %s%s", o->ao_name,
			    o->ao_arg != NULL ? o->ao_arg : "VALUE",
			    o->ao_list != NULL ? "..." : "" /* untranslated:
			    metavariables stay as in the synopses */);
		w = cli_width(left);
		if (o->ao_help == NULL)
			printf("  %s\n", left);
		else if (w <= 28)
			printf("  %s%*s %s\n", left, (int)(28 - w), "",
			    _(o->ao_help));
		else
			printf("  %s\n  %28s %s\n", left, "", _(o->ao_help));
	}
}

/* A command's help (name NULL: the usage; a group: its commands) with the
 * options of opts. */
static void
print_help(const char *name, const cli_opt_t *opts, size_t nopts)
{
	char word1[64];
	const char *sp = name != NULL ? strchr(name, ' ') : NULL;
	const cli_command_t *c;

	if (name == NULL) {
		print_usage(stdout);
		return;
	}
	snprintf(word1, sizeof(word1), "%.*s",
	    sp != NULL ? (int)(sp - name) : (int)strlen(name), name);
	c = find_command(word1, sp != NULL ? sp + 1 : NULL);
	if (c == NULL) {
		if (is_group(word1))
			print_group_usage(stdout, word1);
		else
			print_usage(stdout);
		return;
	}
	printf(_("Usage: kartoteka [OPTIONS] %s\n"), _(c->cmd_synopsis));
	printf("%s.\n\n%s", _(c->cmd_summary), _(c->cmd_help));
	print_options(opts, nopts);
	printf("\n%s\n", _("Run `kartoteka --help` for the global options."));
}

int
cli_print_command_help(const char *name)
{
	print_help(name, NULL, 0);
	return 0;
}

int
main(int argc, char **argv)
{
	cli_t cli;
	const cli_command_t *cmd;
	int i, rc;

	kt_i18n_init();
	if (sodium_init() < 0) {
		fprintf(stderr, "%s\n", _("error: libsodium failed to start"));
		return CLI_EXIT_USAGE;
	}
	memset(&cli, 0, sizeof(cli));
	cli.cli_timeout_ms = DEFAULT_TIMEOUT_MS;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			print_usage(stdout);
			return CLI_EXIT_OK;
		}
		if (strcmp(a, "--version") == 0) {
			printf("kartoteka %s\n", /* untranslated: the
			    program's name */ KT_CLIENT_VERSION);
			return CLI_EXIT_OK;
		}
		rc = global_option(&cli, argc, argv, &i);
		if (rc > 1)
			return rc;
		if (rc == 0) {
			char msg[256];
			snprintf(msg, sizeof(msg), _("unknown option '%s'"), a);
			return cli_usage_error(&cli, msg);
		}
	}
	if (i >= argc) {
		print_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[i], "help") == 0) {
		char name[128];
		if (i + 2 < argc)
			snprintf(name, sizeof(name), "%s %s", argv[i + 1],
			    argv[i + 2]);
		else
			snprintf(name, sizeof(name), "%s",
			    i + 1 < argc ? argv[i + 1] : "");
		cmd = i + 1 < argc ? find_command(argv[i + 1], i + 2 < argc ?
		    argv[i + 2] : NULL) : NULL;
		if (cmd != NULL) {
			/* the command prints its help from its own table */
			char *hargv[] = { strchr(cmd->cmd_name, ' ') != NULL ?
			    argv[i + 2] : argv[i + 1], (char *)"--help", NULL };
			cli.cli_command = cmd->cmd_name;
			return cmd->cmd_run(&cli, 2, hargv);
		}
		return cli_print_command_help(i + 1 < argc ? name : NULL);
	}
	cmd = find_command(argv[i], i + 1 < argc ? argv[i + 1] : NULL);
	if (cmd == NULL && is_group(argv[i])) {
		if (i + 1 < argc && (strcmp(argv[i + 1], "--help") == 0 ||
		    strcmp(argv[i + 1], "-h") == 0)) {
			print_group_usage(stdout, argv[i]);
			return CLI_EXIT_OK;
		}
		if (i + 1 >= argc) {
			print_group_usage(stderr, argv[i]);
			return CLI_EXIT_USAGE;
		}
		return unknown_command(&cli, argv[i], argv[i + 1]);
	}
	if (cmd == NULL)
		return unknown_command(&cli, NULL, argv[i]);
	if (strchr(cmd->cmd_name, ' ') != NULL)
		i++; /* the command's argv[0] is its last word */
	cli.cli_command = cmd->cmd_name;
	rc = cmd->cmd_run(&cli, argc - i, argv + i);

	kt_conn_close(cli.cli_conn);
	if (cli.cli_hello != NULL)
		kartoteka__server_hello__free_unpacked(cli.cli_hello, NULL);
	kt_config_clear(&cli.cli_cfg);
	if (fflush(stdout) != 0 && rc == CLI_EXIT_OK)
		rc = CLI_EXIT_USAGE;
	return rc;
}
