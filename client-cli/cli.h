/* SPDX-License-Identifier: MIT */
/* kartoteka CLI internals shared by main.c and the command files. */
/*
 * How to add a command file (e.g. client-cli/cmd_client.c):
 *
 *   1. Include "cli.h" and write the commands as
 *        static int cmd_client_add(cli_t *cli, int argc, char **argv);
 *      argv[0] is the last word of the command ("add"); parse the rest
 *      with cli_parse_args(). Return an exit code (CLI_EXIT_*); report
 *      every failure with cli_fail()/cli_usage_error()/cli_server_error()
 *      (cli_request() does that for server answers). Most commands end
 *      in cli_show() (one object) or cli_list() (every page of a list).
 *   2. Define the table, named after the file (cmd_NAME.c ->
 *      cli_commands_NAME) and ended by a zeroed entry:
 *        const cli_command_t cli_commands_client[] = {
 *            { "client add", cmd_client_add, N_("client add TITLE ..."),
 *              N_("add a client card"), N_("Example:\n  kartoteka ...\n") },
 *            { NULL, NULL, NULL, NULL, NULL },
 *        };
 *      A command name is one word ("whoami") or two ("client add").
 *   3. Nothing else: CMakeLists.txt compiles every cmd_*.c and generates
 *      the list of tables main.c dispatches to (cli_modules.h).
 *
 * Output: without --json, human text on stdout (tables via cli_table_*);
 * with --json exactly one object: cli_json_begin(), cli_json_key() +
 * value pairs, cli_json_end(). Errors go through cli_fail(), which also
 * writes the {"ok":false,...} object. All user-facing text goes through
 * _() (or N_() in static tables).
 */
#ifndef KT_CLI_H
#define KT_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "client_conn.h"
#include "config.h"
#include "i18n.h"
#include "locale_fmt.h"
#include "kartoteka.pb-c.h"

#define CLI_PASSWORD_MAX 1024u

/* Exit codes (DESIGN.md section 9). */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_SERVER = 1,  /* the server refused; also not enrolled / logged in */
	CLI_EXIT_USAGE = 2,   /* bad arguments, bad invite code, broken config */
	CLI_EXIT_CONNECT = 3, /* cannot connect, or the connection failed */
};

/* Everything one invocation needs; lives in main(). */
typedef struct cli {
	const char *cli_config_opt;       /* --config DIR, or NULL */
	int cli_json;                     /* --json */
	int cli_timeout_ms;               /* --timeout MS */
	const char *cli_command;          /* name of the running command */
	kt_config_t cli_cfg;              /* loaded configuration */
	kt_conn_t *cli_conn;              /* open connection, or NULL */
	Kartoteka__ServerHello *cli_hello; /* from the handshake, or NULL */
} cli_t;

/* One command. All strings are N_() literals, translated when shown. */
typedef struct cli_command {
	const char *cmd_name;       /* "whoami" or "branch add"; NULL ends a table */
	int (*cmd_run)(cli_t *cli, int argc, char **argv); /* returns an exit code */
	const char *cmd_synopsis;   /* after "kartoteka " */
	const char *cmd_summary;    /* one line for the command list */
	const char *cmd_help;       /* details and an example */
} cli_command_t;

/* A command option for cli_parse_args. Exactly one target is set:
 * Use designated initializers: { .ao_name = "--name", .ao_value = &name }.
 *   ao_value  takes a value ("--opt V" or "--opt=V"), the last one wins;
 *   ao_flag   takes no value, sets *ao_flag = 1;
 *   ao_list   repeatable, values appended to ao_list[*ao_list_n] while
 *             *ao_list_n < ao_list_cap (more is a usage error).
 * The same table makes the "Options:" section of the command's --help, so
 * that help and parsing cannot drift apart: ao_arg names the value
 * ("TITLE", untranslated like the synopses; NULL: "VALUE"), ao_help says
 * what the option does (N_(); NULL: the name alone). */
typedef struct cli_opt {
	const char *ao_name;        /* "--name" */
	const char *ao_arg;         /* name of the value, or NULL */
	const char *ao_help;        /* N_() one line, or NULL */
	const char **ao_value;
	int *ao_flag;
	const char **ao_list;
	size_t ao_list_cap;
	size_t *ao_list_n;
} cli_opt_t;

/* ---- output ------------------------------------------------------------ */

/* s, or "" for NULL. */
const char *cli_str(const char *s);

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
size_t cli_utf8_len(const unsigned char *s);

/* Display columns of s: wide characters count 2, combining marks 0, an
 * invalid byte 1 (kt_utf8_width). */
size_t cli_width(const char *s);

/* Copies s into buf (cap bytes) for display on a terminal: control
 * characters and invalid UTF-8 become '?', long text is cut at a
 * character boundary. Returns buf. */
const char *cli_clean(char *buf, size_t cap, const char *s);

/* JSON output on stdout (cli_json_str/hex take any FILE). */
void cli_json_str(FILE *f, const char *s);
void cli_json_hex(FILE *f, const uint8_t *data, size_t len);
void cli_json_begin(const cli_t *cli);   /* {"ok":true,"command":... */
void cli_json_key(const char *key);      /* ,"key": */
void cli_json_end(void);                 /* }\n */
void cli_json_user(const Kartoteka__UserInfo *u);
void cli_json_terminal(const Kartoteka__TerminalInfo *t);

const char *cli_role_name(Kartoteka__Role role);   /* "manager": for JSON */
const char *cli_role_label(Kartoteka__Role role);  /* translated */

/* Prints "  LABEL" padded with spaces to width display columns and one
 * more space: the label column of a card, aligned whatever the language
 * (printf's %-12s counts bytes, and a Cyrillic letter is two). */
void cli_label(const char *label, int width);

/* cli_word: a code word of the protocol (a status "lead", a stage "won",
 * a kind "promise", a channel, a relation) as a person reads it, in the
 * messages' language; "" and NULL stay as they are. --json prints the
 * code itself. Returns a static or catalogue string. */
const char *cli_word(const char *code);

/* cli_pad: s padded with spaces to width display columns into buf (cap
 * bytes), for printf columns (%-8s counts bytes). Returns buf. */
const char *cli_pad(char *buf, size_t cap, const char *s, int width);

/* Formats unix seconds as local time into buf; "never" for <= 0. */
const char *cli_fmt_time(char *buf, size_t cap, int64_t secs);

/* "A, B" (cleaned) from u->branches into buf. */
const char *cli_fmt_branches(char *buf, size_t cap,
    const Kartoteka__UserInfo *u);

/* A text table whose columns are padded by display width. Cells are
 * copied (cleaned for the terminal). The first row added is the header. */
typedef struct cli_table {
	size_t tb_ncols;   /* columns */
	size_t tb_nrows;   /* rows added */
	size_t tb_cap;     /* rows allocated */
	char **tb_cells;   /* tb_nrows * tb_ncols, owned */
} cli_table_t;

void cli_table_init(cli_table_t *t, size_t ncols);
/* Appends a row of t->tb_ncols cells (NULL = ""). Returns 0 or KT_ENOMEM. */
int cli_table_add(cli_table_t *t, const char *const *cells);
/* Prints the rows, two spaces between columns, no trailing blanks. */
void cli_table_print(const cli_table_t *t, FILE *f);
/* Frees the cells; t may be reused after cli_table_init. */
void cli_table_free(cli_table_t *t);

/* ---- errors ------------------------------------------------------------ */

/* Reports a failure: "error: MESSAGE" on stderr (and hint on its own
 * line), and with --json {"ok":false,...} on stdout. Returns exit_code. */
__attribute__((format(printf, 5, 6)))
int cli_fail(const cli_t *cli, int exit_code, const char *code,
    const char *hint, const char *fmt, ...);

/* A usage error (exit 2) with a "Try `kartoteka CMD --help`" hint. */
int cli_usage_error(const cli_t *cli, const char *msg);

/* Reads s, the argument or option what ("ID", "--client"), as a decimal
 * number from 1 to max (UINT64_MAX: an id) into *out; anything else is a
 * usage error naming what. Returns 0 or the exit code (reported). */
int cli_parse_num(const cli_t *cli, const char *what, const char *s,
    uint64_t max, uint64_t *out);

/* The usage error for s, not a number from min to max, for the argument
 * or option what: in a person's words ("client id '12x': expected a
 * number such as 42"), never the bound of an id. Returns the exit code
 * (reported). */
int cli_bad_number(const cli_t *cli, const char *what, const char *s,
    uint64_t min, uint64_t max);

/* cli_parse_num for an id: 1 up. */
#define cli_parse_id(cli, what, s, out) \
	cli_parse_num((cli), (what), (s), UINT64_MAX, (out))

/* Reports the server's Error in resp ("error: CODE: message" on stderr;
 * with --json, error.code CODE and error.message the server's message
 * alone), exit 1. */
int cli_server_error(const cli_t *cli, const Kartoteka__Response *resp,
    const char *hint);

const char *cli_error_code_name(int code);
const char *cli_hint_not_logged_in(void);

/* ---- arguments --------------------------------------------------------- */

/* Parses a command's arguments (argv[0] is the command word): opts, the
 * global options, --help, and pos_min..pos_max positional arguments into
 * pos[] (pos_names names them for the "missing" message). Returns 0, -1
 * when help was printed (the command returns CLI_EXIT_OK), or an exit
 * code (already reported). */
int cli_parse_args(cli_t *cli, int argc, char **argv, const cli_opt_t *opts,
    size_t nopts, const char **pos, int pos_min, int pos_max,
    const char *pos_names);

/* Prints the help of the command called name (or the command list). */
int cli_print_command_help(const char *name);

/* Reads a password: the first line of file ("-" is stdin), or asked on
 * /dev/tty without echo (prompt, e.g. _("Password: ")), or one line of
 * stdin without a terminal. Returns 0 or an exit code (reported). The
 * caller wipes out. */
int cli_read_password(cli_t *cli, const char *file, const char *prompt,
    char *out, size_t cap);
/* Reads a new password or passphrase: as cli_read_password, but asked
 * twice on a terminal (prompt, then again_prompt), refused when the two
 * differ. The caller wipes out. */
int cli_read_new_secret(cli_t *cli, const char *file, const char *prompt,
    const char *again_prompt, char *out, size_t cap);

/* ---- connection -------------------------------------------------------- */

/* Loads the configuration directory into cli->cli_cfg. */
int cli_load_config(cli_t *cli);
/* Checks that this terminal is enrolled and has its key. */
int cli_require_enrolled(cli_t *cli);
/* Opens cli->cli_conn to address / key (Noise handshake). */
int cli_connect(cli_t *cli, const char *address, const uint8_t key[static 32]);

/* Connects and resumes the saved session; a refusal is reported. Call
 * cli_load_config first. Returns 0 or an exit code. */
int cli_open_session(cli_t *cli);
/* Same, but a refusal is handed back unreported in *err_resp (the caller
 * reports and frees it). */
int cli_resume_session(cli_t *cli, Kartoteka__Response **err_resp);

/* Sends req and checks the answer's shape. Returns CLI_EXIT_OK with *out
 * a Response whose result is `want` with a non-NULL message;
 * CLI_EXIT_SERVER with *out a Response carrying a server error (not yet
 * reported); or CLI_EXIT_CONNECT, reported, with *out NULL. The caller
 * frees *out with kartoteka__response__free_unpacked. */
int cli_call(cli_t *cli, Kartoteka__Request *req,
    Kartoteka__Response__ResultCase want, Kartoteka__Response **out);

/* cli_call that also reports a server error (with the not-logged-in hint
 * for UNAUTHENTICATED); on failure *out is NULL. */
int cli_request(cli_t *cli, Kartoteka__Request *req,
    Kartoteka__Response__ResultCase want, Kartoteka__Response **out);

/* 1 if s is shorter than max bytes and has no control characters. */
int cli_proto_string_ok(const char *s, size_t max);

/* ---- answers (answer.c) -------------------------------------------------- */

/* The exit code a command returns for cli_parse_args' result (-1: help
 * was printed, success). */
static inline int
cli_parsed(int rc)
{
	return rc < 0 ? CLI_EXIT_OK : rc;
}

/* Loads the configuration, resumes the saved session and sends req; the
 * answer must be `want`. Returns CLI_EXIT_OK with *out (the caller frees
 * it with kartoteka__response__free_unpacked), or an exit code, reported,
 * with *out NULL. */
int cli_session_request(cli_t *cli, Kartoteka__Request *req,
    Kartoteka__Response__ResultCase want, Kartoteka__Response **out);

/* How a command shows the one object its answer carries (a branch, a
 * user, a card). The callbacks see the answer only while cli_show runs. */
typedef struct cli_show {
	Kartoteka__Response__ResultCase sh_want; /* the answer's result */
	/* The object inside resp, or NULL when the server left it out. */
	const void *(*sh_pick)(const Kartoteka__Response *resp);
	const char *sh_missing;   /* N_(): "a branch answer without a branch" */
	const char *sh_json_key;  /* its member in the JSON object: "branch" */
	void (*sh_json)(const void *obj);       /* obj as JSON on stdout */
	/* obj as text on stdout; arg is cli_show's. */
	void (*sh_text)(const void *obj, const void *arg);
} cli_show_t;

/* Sends req within the session (cli_session_request) and shows the
 * object: with --json {"ok":true,"command":...,"KEY":OBJ}, else
 * sh_text(obj, arg). An answer without its object is a PROTOCOL error
 * (exit 3). Returns an exit code; failures are reported. */
int cli_show(cli_t *cli, Kartoteka__Request *req, const cli_show_t *sh,
    const void *arg);

#define CLI_CURSOR_MAX 64u     /* bytes of a next_cursor the CLI accepts */
#define CLI_LIST_COLS_MAX 8u   /* columns of a cli_list_t table */

/* How a command lists every row of a paged list (branch, user, terminal
 * list). The callbacks see each answer only while cli_list runs. */
typedef struct cli_list {
	Kartoteka__Response__ResultCase ls_want; /* the answer's result */
	/* The number of rows in the page resp, and its next_cursor (pointing
	 * into resp; length 0 on the last page). */
	size_t (*ls_page)(const Kartoteka__Response *resp,
	    ProtobufCBinaryData *next);
	/* Row i (< the count ls_page returned) of resp. */
	const void *(*ls_row)(const Kartoteka__Response *resp, size_t i);
	const char *ls_json_key;  /* the JSON array's member: "branches" */
	void (*ls_json)(const void *row);       /* a row as JSON on stdout */
	size_t ls_ncols;          /* table columns, <= CLI_LIST_COLS_MAX */
	const char *const *ls_header; /* ls_ncols N_() column titles */
	/* Adds a row to the table. Returns 0 or KT_ENOMEM. */
	int (*ls_add_row)(cli_table_t *t, const void *row);
	const char *ls_empty;     /* N_() line for no rows; NULL: the header */
} cli_list_t;

/* Sends req within the session, then again with *cursor (the cursor
 * field of req's list message) set to each next_cursor until the last
 * page, and shows every row of every page: one table, or with --json one
 * object whose ls_json_key member is an array of all rows. Nothing is
 * printed unless every page arrived. *cursor is left empty. Returns an
 * exit code; failures are reported (a next_cursor that is too long or
 * repeats the one sent, or more than 10000 pages: PROTOCOL, exit 3). */
int cli_list(cli_t *cli, Kartoteka__Request *req, ProtobufCBinaryData *cursor,
    const cli_list_t *ls);

/* ---- interactions (cmd_note.c) ----------------------------------------- */

/* One entry as text on stdout, each line starting with indent: the id,
 * local time, channel, direction and author, then its topic, what was
 * agreed, and which entry it corrects or is corrected by. */
void cli_note_print(const Kartoteka__Interaction *n, const char *indent);
/* One entry as a JSON object on stdout. */
void cli_note_json(const Kartoteka__Interaction *n);

/* ---- the client list filters (cmd_client.c) ---------------------------- */

/* The options of `client list` that filter (also those of `export`), as
 * typed; NULL / 0 when not given. */
typedef struct cli_filters {
	const char *branch, *manager, *status, *category, *tag, *source;
	const char *month, *cyear, *cage, *from, *to;
	int children, archived;
	/* segments (issue 9) */
	const char *contacted_before, *contacted_after, *consent, *dnc;
	int open_deal, no_open_deal;
	const char *won_from, *won_to;   /* won a deal in the period */
} cli_filters_t;

#define CLI_FILTER_NOPTS_SEGMENTS 6u
#define CLI_FILTER_NOPTS_WON 2u
#define CLI_FILTER_NOPTS (13u + CLI_FILTER_NOPTS_SEGMENTS + \
	CLI_FILTER_NOPTS_WON)

/* Writes the CLI_FILTER_NOPTS filter options bound to f into opts (room
 * for at least that many) and returns their number. */
size_t cli_filter_opts(cli_filters_t *f, cli_opt_t *opts);

/* Fills the filters of r from f. Returns 0, or a usage exit code,
 * reported, naming the option. r's strings point into f's. */
int cli_filters_request(cli_t *cli, const cli_filters_t *f,
    Kartoteka__ClientListRequest *r);

#endif
