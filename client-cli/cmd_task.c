/* SPDX-License-Identifier: MIT */
/* Tasks and promises: `task add`, `task done|reopen|move|edit ID`, `task
 * list` (the caller's, a user's or a branch's; overdue; a range of due
 * days) and `task week` (Monday to Sunday of a day, grouped by day, the
 * overdue ones first). Dates are local "YYYY-MM-DD" or "YYYY-MM-DD HH:MM";
 * the server reads them in the time zone of the task's branch. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define TASK_PAGES_MAX 200u

/* ==== arguments ============================================================ */

static const char *const kind_names[] = { "", N_("call"), N_("meeting"), N_("promise"),
	N_("other") };

static const char *
kind_name(Kartoteka__TaskKind k)
{
	return (unsigned)k < 5 ? kind_names[k] : "?";
}

static int
parse_kind(cli_t *cli, const char *s, Kartoteka__TaskKind *out)
{
	char msg[160];

	for (unsigned i = 1; i < 5; i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (Kartoteka__TaskKind)i;
			return 0;
		}
	snprintf(msg, sizeof(msg), _("--kind: '%.40s' is not call, meeting, "
	    "promise or other"), s);
	return cli_usage_error(cli, msg);
}

/* "today", "tomorrow", YYYY-MM-DD: the local day into *tm (midday, so
 * adding days never trips over a clock change). Returns 0 or -1. */
static int
local_day(const char *s, struct tm *tm)
{
	time_t now = time(NULL);
	int y = 0, m = 0, d = 0;
	char tail;

	if (strcmp(s, "today") == 0 || strcmp(s, "tomorrow") == 0) {
		localtime_r(&now, tm);
		tm->tm_mday += strcmp(s, "tomorrow") == 0;
	} else {
		if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d,
		    &tail) != 3 || s[4] != '-' || s[7] != '-')
			return -1;
		memset(tm, 0, sizeof(*tm));
		tm->tm_year = y - 1900;
		tm->tm_mon = m - 1;
		tm->tm_mday = d;
		if (m < 1 || m > 12 || d < 1 || d > 31)
			return -1;
	}
	tm->tm_hour = 12;
	tm->tm_min = tm->tm_sec = 0;
	tm->tm_isdst = -1;
	{
		struct tm chk = *tm;
		if (mktime(&chk) == (time_t)-1 ||
		    (s[0] >= '0' && s[0] <= '9' && chk.tm_mday != d))
			return -1;
		*tm = chk;
	}
	return 0;
}

static void
fmt_day(const struct tm *tm, int plus, char *out, size_t cap)
{
	struct tm t = *tm;

	t.tm_mday += plus;
	t.tm_isdst = -1;
	(void)mktime(&t);
	strftime(out, cap, "%Y-%m-%d", &t);
}

/* --due: "DAY" or "DAY HH:MM" (DAY as local_day) into out (>= 17 bytes). */
static int
parse_due(cli_t *cli, const char *s, char *out, size_t cap)
{
	char day[16], msg[200];
	const char *sp = s ? strchr(s, ' ') : NULL;
	size_t n = sp ? (size_t)(sp - s) : (s ? strlen(s) : 0);
	unsigned h, m;
	struct tm tm;
	char tail;

	if (s != NULL && n < sizeof(day)) {
		memcpy(day, s, n);
		day[n] = '\0';
		if (local_day(day, &tm) == 0 && (sp == NULL ||
		    (strlen(sp + 1) == 5 && sscanf(sp + 1, "%2u:%2u%c", &h, &m,
		    &tail) == 2 && h < 24 && m < 60))) {
			fmt_day(&tm, 0, out, cap);
			if (sp != NULL)
				snprintf(out + 10, cap - 10, " %02u:%02u", h, m);
			return 0;
		}
	}
	snprintf(msg, sizeof(msg), _("--due: '%.40s' is not a date "
	    "YYYY-MM-DD, YYYY-MM-DD HH:MM, today or tomorrow"), s ? s : "");
	return cli_usage_error(cli, msg);
}

static int
parse_date_opt(cli_t *cli, const char *what, const char *s, char *out,
    size_t cap, struct tm *tm)
{
	char msg[160];
	struct tm t;

	if (local_day(s, tm ? tm : &t) != 0) {
		snprintf(msg, sizeof(msg), _("%s: '%.40s' is not a date "
		    "YYYY-MM-DD"), what, s);
		return cli_usage_error(cli, msg);
	}
	fmt_day(tm ? tm : &t, 0, out, cap);
	return 0;
}

/* ==== one task ============================================================== */

static const char *
state_word(const Kartoteka__Task *t)
{
	if (t->done_at != 0)
		return _("done");
	return t->overdue ? _("OVERDUE") : _("open");
}

static void
json_task(const void *obj)
{
	const Kartoteka__Task *t = obj;

	printf("{\"id\":%" PRIu64 ",\"client_id\":%" PRIu64, t->id,
	    t->client_id);
	cli_json_key("client");
	cli_json_str(stdout, t->client);
	cli_json_key("kind");
	cli_json_str(stdout, kind_name(t->kind));
	cli_json_key("title");
	cli_json_str(stdout, t->title);
	cli_json_key("due");
	cli_json_str(stdout, t->due);
	printf(",\"due_at\":%" PRId64 ",\"all_day\":%s,\"overdue\":%s,"
	    "\"done_at\":%" PRId64, t->due_at, t->all_day ? "true" : "false",
	    t->overdue ? "true" : "false", t->done_at);
	cli_json_key("assignee");
	cli_json_str(stdout, t->assignee);
	cli_json_key("author");
	cli_json_str(stdout, t->author);
	cli_json_key("branch");
	cli_json_str(stdout, t->branch);
	printf(",\"version\":%" PRIu64 "}", t->version);
}

static void
text_task(const void *obj, const void *arg)
{
	const Kartoteka__Task *t = obj;
	const char *did = arg;
	char title[1024], client[300], who[200], by[200], br[200], due[64];

	if (did != NULL)
		printf("%s\n", did);
	printf(_("Task %" PRIu64 "  %s  due %s  %s\n"), t->id,
	    cli_word(kind_name(t->kind)), kt_fmt_date_text(t->due, NULL, due,
	    sizeof(due)), state_word(t));
	printf("  %s\n", cli_clean(title, sizeof(title), t->title));
	if (t->client_id != 0)
		printf(_("  client %" PRIu64 " %s\n"), t->client_id,
		    cli_clean(client, sizeof(client), t->client));
	printf(_("  assignee %s, by %s, branch %s, version %" PRIu64 "\n"),
	    cli_clean(who, sizeof(who), t->assignee),
	    cli_clean(by, sizeof(by), t->author),
	    cli_clean(br, sizeof(br), t->branch), t->version);
}

static const void *
pick_task(const Kartoteka__Response *resp)
{
	return resp->task->task;
}

static const cli_show_t task_show = {
	.sh_want = KARTOTEKA__RESPONSE__RESULT_TASK,
	.sh_pick = pick_task,
	.sh_missing = N_("a task answer without the task"),
	.sh_json_key = "task",
	.sh_json = json_task,
	.sh_text = text_task,
};

/* ==== add ===================================================================== */

static int
cmd_task_add(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *client = NULL, *to = NULL, *due = NULL,
	    *kind = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--client", .ao_value = &client },
		{ .ao_name = "--to", .ao_value = &to },
		{ .ao_name = "--due", .ao_value = &due },
		{ .ao_name = "--kind", .ao_value = &kind },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__TaskAddRequest r = KARTOTEKA__TASK_ADD_REQUEST__INIT;
	char duebuf[24];
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 4, pos, 1, 1, "TEXT");
	if (rc != 0)
		return cli_parsed(rc);
	if (due == NULL)
		return cli_usage_error(cli, _("--due: give the day (and time) "
		    "it is due"));
	if (kind == NULL)
		return cli_usage_error(cli, _("--kind: give call, meeting, "
		    "promise or other"));
	if ((client != NULL && (rc = cli_parse_id(cli, "--client", client,
	    &r.client_id)) != 0) ||
	    (rc = parse_due(cli, due, duebuf, sizeof(duebuf))) != 0 ||
	    (rc = parse_kind(cli, kind, &r.kind)) != 0)
		return rc;
	r.due = duebuf;
	r.assignee = (char *)(to ? to : "");
	r.title = (char *)pos[0];
	req.op_case = KARTOTEKA__REQUEST__OP_TASK_ADD;
	req.task_add = &r;
	return cli_show(cli, &req, &task_show, _("Task added."));
}

/* ==== done, reopen, move, edit ================================================ */

static int
task_change(cli_t *cli, Kartoteka__TaskChangeRequest *r, const char *id,
    const char *version, const char *did)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	int rc;

	if ((rc = cli_parse_id(cli, "ID", id, &r->id)) != 0 ||
	    (version != NULL && (rc = cli_parse_id(cli, "--version", version,
	    &r->version)) != 0))
		return rc;
	req.op_case = KARTOTEKA__REQUEST__OP_TASK_CHANGE;
	req.task_change = r;
	return cli_show(cli, &req, &task_show, did);
}

static int
cmd_task_done(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *version = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--version", .ao_value = &version },
	};
	Kartoteka__TaskChangeRequest r = KARTOTEKA__TASK_CHANGE_REQUEST__INIT;
	int rc, reopen = strcmp(argv[0], "reopen") == 0;

	rc = cli_parse_args(cli, argc, argv, opts, 1, pos, 1, 1, "ID");
	if (rc != 0)
		return cli_parsed(rc);
	r.action = reopen ? KARTOTEKA__TASK_ACTION__TASK_REOPEN :
	    KARTOTEKA__TASK_ACTION__TASK_DONE;
	return task_change(cli, &r, pos[0], version, reopen ?
	    _("Task reopened.") : _("Task done."));
}

static int
cmd_task_move(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *version = NULL, *due = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--due", .ao_value = &due },
		{ .ao_name = "--version", .ao_value = &version },
	};
	Kartoteka__TaskChangeRequest r = KARTOTEKA__TASK_CHANGE_REQUEST__INIT;
	char duebuf[24];
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 2, pos, 1, 1, "ID");
	if (rc != 0)
		return cli_parsed(rc);
	if (due == NULL)
		return cli_usage_error(cli, _("--due: give the new day (and "
		    "time)"));
	if ((rc = parse_due(cli, due, duebuf, sizeof(duebuf))) != 0)
		return rc;
	r.action = KARTOTEKA__TASK_ACTION__TASK_MOVE;
	r.due = duebuf;
	return task_change(cli, &r, pos[0], version, _("Task moved."));
}

static int
cmd_task_edit(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *version = NULL, *title = NULL,
	    *kind = NULL, *to = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--title", .ao_value = &title },
		{ .ao_name = "--kind", .ao_value = &kind },
		{ .ao_name = "--to", .ao_value = &to },
		{ .ao_name = "--version", .ao_value = &version },
	};
	Kartoteka__TaskChangeRequest r = KARTOTEKA__TASK_CHANGE_REQUEST__INIT;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 4, pos, 1, 1, "ID");
	if (rc != 0)
		return cli_parsed(rc);
	if (title == NULL && kind == NULL && to == NULL)
		return cli_usage_error(cli, _("give --title, --kind or --to"));
	if (kind != NULL && (rc = parse_kind(cli, kind, &r.kind)) != 0)
		return rc;
	if (title != NULL && title[0] == '\0')
		return cli_usage_error(cli, _("--title: is empty"));
	r.action = KARTOTEKA__TASK_ACTION__TASK_EDIT;
	r.title = (char *)(title ? title : "");
	r.assignee = (char *)(to ? to : "");
	return task_change(cli, &r, pos[0], version, _("Task changed."));
}

/* ==== list ===================================================================== */

static size_t
task_page(const Kartoteka__Response *resp, ProtobufCBinaryData *next)
{
	*next = resp->task_list->next_cursor;
	return resp->task_list->n_tasks;
}

static const void *
task_row(const Kartoteka__Response *resp, size_t i)
{
	return resp->task_list->tasks[i];
}

static int
task_add_row(cli_table_t *t, const void *obj)
{
	const Kartoteka__Task *k = obj;
	char id[24], client[300], due[64];
	const char *row[7];

	snprintf(id, sizeof(id), "%" PRIu64, k->id);
	if (k->client_id != 0)
		snprintf(client, sizeof(client), "%" PRIu64 " %s", k->client_id,
		    cli_str(k->client));
	else
		client[0] = '\0';
	row[0] = id;
	row[1] = kt_fmt_date_text(k->due, NULL, due, sizeof(due));
	row[2] = cli_word(kind_name(k->kind));
	row[3] = k->done_at || k->overdue ? state_word(k) : "";
	row[4] = client;
	row[5] = k->assignee;
	row[6] = k->title;
	return cli_table_add(t, row);
}

static const char *const task_header[] = {
	N_("ID"), N_("DUE"), N_("KIND"), N_("STATE"), N_("CLIENT"),
	N_("ASSIGNEE"), N_("TITLE"),
};

static const cli_list_t task_list = {
	.ls_want = KARTOTEKA__RESPONSE__RESULT_TASK_LIST,
	.ls_page = task_page,
	.ls_row = task_row,
	.ls_json_key = "tasks",
	.ls_json = json_task,
	.ls_ncols = 7,
	.ls_header = task_header,
	.ls_add_row = task_add_row,
	.ls_empty = N_("No tasks."),
};

/* The scope options of list and week into r. */
static int
scope_of(cli_t *cli, int mine, const char *user, const char *branch,
    Kartoteka__TaskListRequest *r)
{
	if (mine + (user != NULL) + (branch != NULL) > 1)
		return cli_usage_error(cli, _("give one of --mine, --user and "
		    "--branch"));
	r->user = (char *)(user ? user : "");
	r->branch = (char *)(branch ? branch : "");
	return 0;
}

static int
cmd_task_list(cli_t *cli, int argc, char **argv)
{
	const char *user = NULL, *branch = NULL, *from = NULL, *to = NULL;
	int mine = 0, overdue = 0, all = 0;
	const cli_opt_t opts[] = {
		{ .ao_name = "--mine", .ao_flag = &mine },
		{ .ao_name = "--user", .ao_value = &user },
		{ .ao_name = "--branch", .ao_value = &branch },
		{ .ao_name = "--overdue", .ao_flag = &overdue },
		{ .ao_name = "--from", .ao_value = &from },
		{ .ao_name = "--to", .ao_value = &to },
		{ .ao_name = "--all", .ao_flag = &all },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__TaskListRequest r = KARTOTEKA__TASK_LIST_REQUEST__INIT;
	char fbuf[16], tbuf[16];
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 7, NULL, 0, 0, NULL);
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = scope_of(cli, mine, user, branch, &r)) != 0 ||
	    (from != NULL && (rc = parse_date_opt(cli, "--from", from, fbuf,
	    sizeof(fbuf), NULL)) != 0) ||
	    (to != NULL && (rc = parse_date_opt(cli, "--to", to, tbuf,
	    sizeof(tbuf), NULL)) != 0))
		return rc;
	r.from = (char *)(from ? fbuf : "");
	r.to = (char *)(to ? tbuf : "");
	r.overdue = overdue;
	r.include_done = all;
	req.op_case = KARTOTEKA__REQUEST__OP_TASK_LIST;
	req.task_list = &r;
	return cli_list(cli, &req, &r.cursor, &task_list);
}

/* ==== week ===================================================================== */

/* Every page of r's list, kept in resp[] (the caller frees them). */
typedef struct pages {
	Kartoteka__Response *resp[TASK_PAGES_MAX];
	size_t n;
} pages_t;

static void
pages_free(pages_t *p)
{
	for (size_t i = 0; i < p->n; i++)
		kartoteka__response__free_unpacked(p->resp[i], NULL);
	p->n = 0;
}

static int
fetch_all(cli_t *cli, Kartoteka__TaskListRequest *r, pages_t *p)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	uint8_t cur[CLI_CURSOR_MAX];
	int rc;

	req.op_case = KARTOTEKA__REQUEST__OP_TASK_LIST;
	req.task_list = r;
	r->cursor.len = 0;
	for (;;) {
		Kartoteka__Response *resp = NULL;
		ProtobufCBinaryData next;

		if (p->n == TASK_PAGES_MAX)
			return cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
			    _("the server sent more than %u pages"),
			    TASK_PAGES_MAX);
		if ((rc = cli_request(cli, &req,
		    KARTOTEKA__RESPONSE__RESULT_TASK_LIST, &resp)) != 0)
			return rc;
		p->resp[p->n++] = resp;
		next = resp->task_list->next_cursor;
		if (next.len == 0)
			break;
		if (next.data == NULL || next.len > sizeof(cur) ||
		    (next.len == r->cursor.len &&
		    memcmp(next.data, r->cursor.data, next.len) == 0))
			return cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
			    "%s", _("the server sent a malformed next_cursor"));
		memcpy(cur, next.data, next.len);
		r->cursor.data = cur;
		r->cursor.len = next.len;
	}
	r->cursor.len = 0;
	return 0;
}

/* Calls fn for every task of the pages whose due day is day (NULL: all)
 * and that is (overdue 1) or is not (0) overdue. Returns the count. */
static size_t
each_task(const pages_t *p, const char *day, int overdue,
    void (*fn)(const Kartoteka__Task *t, size_t i))
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++) {
		const Kartoteka__TaskListResponse *l = p->resp[i]->task_list;
		for (size_t j = 0; j < l->n_tasks; j++) {
			const Kartoteka__Task *t = l->tasks[j];
			if (t->overdue != overdue || (day != NULL &&
			    strncmp(cli_str(t->due), day, 10) != 0))
				continue;
			if (fn != NULL)
				fn(t, n);
			n++;
		}
	}
	return n;
}

static void
json_in_array(const Kartoteka__Task *t, size_t i)
{
	if (i > 0)
		fputc(',', stdout);
	json_task(t);
}

static void
text_line(const Kartoteka__Task *t, size_t i)
{
	char title[1024], client[300], kind[64];
	const char *time = strlen(cli_str(t->due)) > 11 ? t->due + 11 : "";

	(void)i;
	printf("  %5s  #%-5" PRIu64 " %s %s", time, t->id, cli_pad(kind,
	    sizeof(kind), cli_word(kind_name(t->kind)), 8),
	    cli_clean(title, sizeof(title), t->title));
	if (t->client_id != 0)
		printf(_("  (client %" PRIu64 " %s)"), t->client_id,
		    cli_clean(client, sizeof(client), t->client));
	if (t->done_at != 0)
		printf("  [%s]", _("done"));
	fputc('\n', stdout);
}

static void
text_overdue(const Kartoteka__Task *t, size_t i)
{
	char title[1024], client[300], due[64], kind[64];

	(void)i;
	printf("  %-16s #%-5" PRIu64 " %s %s", kt_fmt_date_text(t->due,
	    NULL, due, sizeof(due)), t->id, cli_pad(kind, sizeof(kind),
	    cli_word(kind_name(t->kind)), 8),
	    cli_clean(title, sizeof(title), t->title));
	if (t->client_id != 0)
		printf(_("  (client %" PRIu64 " %s)"), t->client_id,
		    cli_clean(client, sizeof(client), t->client));
	fputc('\n', stdout);
}

static int
cmd_task_week(cli_t *cli, int argc, char **argv)
{
	const char *user = NULL, *branch = NULL, *date = "today";
	int mine = 0, all = 0;
	const cli_opt_t opts[] = {
		{ .ao_name = "--mine", .ao_flag = &mine },
		{ .ao_name = "--user", .ao_value = &user },
		{ .ao_name = "--branch", .ao_value = &branch },
		{ .ao_name = "--date", .ao_value = &date },
		{ .ao_name = "--all", .ao_flag = &all },
	};
	static const char *const wd[] = { N_("Monday"), N_("Tuesday"),
		N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
		N_("Sunday") };
	Kartoteka__TaskListRequest r = KARTOTEKA__TASK_LIST_REQUEST__INIT;
	pages_t week = { .n = 0 }, late = { .n = 0 };
	char dbuf[16], from[16], to[16], days[7][16], shown[KT_FMT_DATE_MAX];
	struct tm tm = { 0 };
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 5, NULL, 0, 0, NULL);
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = scope_of(cli, mine, user, branch, &r)) != 0 ||
	    (rc = parse_date_opt(cli, "--date", date, dbuf, sizeof(dbuf),
	    &tm)) != 0)
		return rc;
	for (int i = 0; i < 7; i++)
		fmt_day(&tm, i - (tm.tm_wday + 6) % 7, days[i],
		    sizeof(days[i]));
	snprintf(from, sizeof(from), "%s", days[0]);
	snprintf(to, sizeof(to), "%s", days[6]);
	if ((rc = cli_load_config(cli)) != 0 ||
	    (rc = cli_open_session(cli)) != 0)
		return rc;
	r.overdue = 1;
	if ((rc = fetch_all(cli, &r, &late)) != 0)
		goto out;
	r.overdue = 0;
	r.include_done = all;
	r.from = from;
	r.to = to;
	if ((rc = fetch_all(cli, &r, &week)) != 0)
		goto out;
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("from");
		cli_json_str(stdout, from);
		cli_json_key("to");
		cli_json_str(stdout, to);
		cli_json_key("overdue");
		fputc('[', stdout);
		each_task(&late, NULL, 1, json_in_array);
		fputc(']', stdout);
		cli_json_key("days");
		fputc('[', stdout);
		for (int i = 0; i < 7; i++) {
			printf("%s{\"date\":\"%s\",\"tasks\":[", i ? "," : "",
			    days[i]);
			each_task(&week, days[i], 0, json_in_array);
			fputs("]}", stdout);
		}
		fputc(']', stdout);
		cli_json_end();
		goto out;
	}
	{
		char f[KT_FMT_DATE_MAX], l[KT_FMT_DATE_MAX];
		printf(_("Week %s .. %s\n"), kt_fmt_date_text(from, NULL, f,
		    sizeof(f)), kt_fmt_date_text(to, NULL, l, sizeof(l)));
	}
	if (each_task(&late, NULL, 1, NULL) > 0) {
		printf("\n%s\n", _("Overdue"));
		each_task(&late, NULL, 1, text_overdue);
	}
	for (int i = 0; i < 7; i++) {
		printf("\n%s %s\n", _(wd[i]), kt_fmt_date_text(days[i], NULL,
		    shown, sizeof(shown)));
		if (each_task(&week, days[i], 0, text_line) == 0)
			printf("  %s\n", _("-"));
	}
out:
	pages_free(&late);
	pages_free(&week);
	return rc;
}

const cli_command_t cli_commands_task[] = {
	{ "task add", cmd_task_add,
	  N_("task add [--client ID] [--to LOGIN] --due \"DATE[ HH:MM]\" "
	     "--kind call|meeting|promise|other TEXT"),
	  N_("add a task or a promise (yours, or a user's of your branches)"),
	  N_("A task is due on a day (DATE: YYYY-MM-DD, today, tomorrow) or at\n"
	     "a time (\"DATE HH:MM\"), local time of the task's branch (the\n"
	     "client's; without --client, yours). It is yours unless --to\n"
	     "names someone: a manager assigns only to itself, a head to the\n"
	     "users of its branches, the owner to anyone working in the\n"
	     "branch. The title is at most 300 bytes.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka task add --client 12 --due tomorrow --kind promise \\\n"
	     "      'send the schedule of the English course'\n"
	     "  kartoteka task add --to masha --due '2026-12-03 10:00' \\\n"
	     "      --kind call 'call the Petrovs back'\n") },
	{ "task done", cmd_task_done, N_("task done ID [--version V]"),
	  N_("mark a task done"),
	  N_("Its assignee, its author, a head of its branch or the owner may.\n"
	     "With --version, nothing changes if the task is no longer at\n"
	     "that version.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka task done 7\n") },
	{ "task reopen", cmd_task_done, N_("task reopen ID [--version V]"),
	  N_("open a done task again"),
	  N_("Example:\n"
	     "  kartoteka task reopen 7\n") },
	{ "task move", cmd_task_move,
	  N_("task move ID --due \"DATE[ HH:MM]\" [--version V]"),
	  N_("give an open task a new due day or time"),
	  N_("Example:\n"
	     "  kartoteka task move 7 --due '2026-12-05 15:30'\n") },
	{ "task edit", cmd_task_edit,
	  N_("task edit ID [--title TEXT] [--kind KIND] [--to LOGIN] "
	     "[--version V]"),
	  N_("change a task's title, kind or assignee"),
	  N_("--to follows the rules of `task add`.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka task edit 7 --to petr --kind meeting\n") },
	{ "task list", cmd_task_list,
	  N_("task list [--mine|--user LOGIN|--branch NAME] [--overdue] "
	     "[--from DATE] [--to DATE] [--all]"),
	  N_("open tasks by due time: yours, a user's or a branch's"),
	  N_("Without a scope, your own tasks. A manager sees its own (assigned\n"
	     "or written by it), a head its branches', the owner all. --overdue:\n"
	     "open tasks past due (an all-day task once its day is over).\n"
	     "--from and --to are due days, both included. --all lists done\n"
	     "tasks too, after the open ones. Every client named counts\n"
	     "against your daily quota of clients listed.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka task list --overdue\n"
	     "  kartoteka task list --branch Центр --from 2026-12-01 --to "
	     "2026-12-07\n") },
	{ "task week", cmd_task_week,
	  N_("task week [--mine|--user LOGIN|--branch NAME] [--date DATE] "
	     "[--all]"),
	  N_("the week's tasks, Monday to Sunday, overdue ones first"),
	  N_("The week holding DATE (default today), one section a day, the\n"
	     "open tasks past due before them. --all shows done ones too.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka task week\n"
	     "  kartoteka task week --user masha --date 2026-12-10\n") },
	{ NULL, NULL, NULL, NULL, NULL },
};
