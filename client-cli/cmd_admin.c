/* SPDX-License-Identifier: MIT */
/* kartoteka branch|user|terminal: the owner's administration commands. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "fields.h"
#include "invite.h"
#include "kt_error.h"

#define MAX_BRANCH_OPTS 32u   /* --branch given at most this often */
#define QUOTA_MAX 100000u
#define PAGE_SIZE_MAX 1000u   /* the server's most rows in a page */

/* ==== shared ============================================================ */

/* Parses --page-size (rows a list asks for at once). */
static int
parse_page_size(cli_t *cli, const char *s, uint32_t *out)
{
	char *end = NULL;
	unsigned long v;

	*out = 0;
	if (s == NULL)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < 1 ||
	    v > PAGE_SIZE_MAX) {
		char msg[128];
		snprintf(msg, sizeof(msg), _("--page-size must be a number of "
		    "rows, 1..%u"), PAGE_SIZE_MAX);
		return cli_usage_error(cli, msg);
	}
	*out = (uint32_t)v;
	return 0;
}

static void
json_branch(const void *obj)
{
	const Kartoteka__Branch *b = obj;

	printf("{\"id\":%" PRIu64, b->id);
	cli_json_key("name");
	cli_json_str(stdout, b->name);
	cli_json_key("address");
	cli_json_str(stdout, b->address);
	cli_json_key("archived");
	fputs(b->archived ? "true" : "false", stdout);
	cli_json_key("time_zone");
	cli_json_str(stdout, b->time_zone);
	cli_json_key("work_hours");
	cli_json_str(stdout, b->work_hours);
	printf(",\"desk_lock_s\":%" PRIu32, b->desk_lock_s);
	fputc('}', stdout);
}

/* A user with its state and quota (cli_json_user has neither). */
static void
json_user_full(const void *obj)
{
	const Kartoteka__UserInfo *u = obj;

	printf("{\"id\":%" PRIu64, u->id);
	cli_json_key("login");
	cli_json_str(stdout, u->login);
	cli_json_key("name");
	cli_json_str(stdout, u->name);
	cli_json_key("role");
	cli_json_str(stdout, cli_role_name(u->role));
	cli_json_key("branches");
	fputc('[', stdout);
	for (size_t i = 0; i < u->n_branches && u->branches != NULL; i++) {
		if (i > 0)
			fputc(',', stdout);
		cli_json_str(stdout, u->branches[i]);
	}
	fputc(']', stdout);
	cli_json_key("disabled");
	fputs(u->disabled ? "true" : "false", stdout);
	cli_json_key("restricted");
	fputs(u->restricted ? "true" : "false", stdout);
	cli_json_key("daily_view_quota");
	printf("%" PRIu32, u->daily_view_quota);
	cli_json_key("daily_row_quota");
	printf("%" PRIu32 "}", u->daily_row_quota);
}

static void
json_terminal_full(const void *obj)
{
	const Kartoteka__TerminalInfo *t = obj;

	fputs("{\"name\":", stdout);
	cli_json_str(stdout, t->name);
	cli_json_key("branch");
	cli_json_str(stdout, t->branch);
	cli_json_key("public_key");
	cli_json_hex(stdout, t->public_key.data, t->public_key.data != NULL ?
	    t->public_key.len : 0);
	cli_json_key("enrolled_at");
	printf("%" PRId64, t->enrolled_at);
	cli_json_key("revoked");
	fputs(t->revoked ? "true" : "false", stdout);
	fputc('}', stdout);
}

/* The first 16 hex digits of a terminal key ("?" when malformed). */
static const char *
key_prefix(char out[static 17], const ProtobufCBinaryData *key)
{
	if (key->data == NULL || key->len < 8) {
		snprintf(out, 17, "?");
		return out;
	}
	for (size_t i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", key->data[i]);
	return out;
}

static int
parse_role(cli_t *cli, const char *s, Kartoteka__Role *out)
{
	if (strcasecmp(s, "head") == 0) {
		*out = KARTOTEKA__ROLE__HEAD;
		return 0;
	}
	if (strcasecmp(s, "manager") == 0) {
		*out = KARTOTEKA__ROLE__MANAGER;
		return 0;
	}
	return cli_usage_error(cli, _("--role must be head or manager (there "
	    "is one owner)"));
}

/* --row-quota: distinct clients a day that lists and searches may show. */
static int
parse_row_quota(cli_t *cli, const char *s, uint32_t *out)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' ||
	    v > 10000000ul) {
		char msg[160];
		snprintf(msg, sizeof(msg), _("--row-quota must be a number of "
		    "clients listed a day, 0..%lu (0 = the default: 2000, a "
		    "head 5000)"), 10000000ul);
		return cli_usage_error(cli, msg);
	}
	*out = (uint32_t)v;
	return 0;
}

static int
parse_quota(cli_t *cli, const char *s, uint32_t *out)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' ||
	    v > QUOTA_MAX) {
		char msg[128];
		snprintf(msg, sizeof(msg), _("--quota must be a number of full "
		    "cards a day, 0..%u (0 = the default: 200, a head 500)"),
		    QUOTA_MAX);
		return cli_usage_error(cli, msg);
	}
	*out = (uint32_t)v;
	return 0;
}

/* ==== branch ============================================================ */

static const void *
pick_branch(const Kartoteka__Response *resp)
{
	return resp->branch->branch;
}

/* What a branch command did, for the line it prints. */
typedef struct branch_did {
	const char *bd_what;      /* "Added", "Archived", "Restored" */
	const char *bd_old;       /* a rename: the former name, else NULL */
} branch_did_t;

static void
text_branch(const void *obj, const void *arg)
{
	const Kartoteka__Branch *b = obj;
	const branch_did_t *did = arg;
	char c1[512], c2[512];

	if (did->bd_old != NULL)
		printf(_("Renamed branch '%s' to '%s' (id %" PRIu64 ").\n"),
		    cli_clean(c2, sizeof(c2), did->bd_old),
		    cli_clean(c1, sizeof(c1), b->name), b->id);
	else
		/* TRANSLATORS: "%s" is "Added", "Archived", "Restored". */
		printf(_("%s branch '%s' (id %" PRIu64 ").\n"), did->bd_what,
		    cli_clean(c1, sizeof(c1), b->name), b->id);
}

static const cli_show_t branch_show = {
	.sh_want = KARTOTEKA__RESPONSE__RESULT_BRANCH,
	.sh_pick = pick_branch,
	.sh_missing = N_("a branch answer without a branch"),
	.sh_json_key = "branch",
	.sh_json = json_branch,
	.sh_text = text_branch,
};

/* Sends a branch change and prints the branch. */
static int
branch_reply(cli_t *cli, Kartoteka__Request *req, const char *what,
    const char *old)
{
	const branch_did_t did = { what, old };

	return cli_show(cli, req, &branch_show, &did);
}
static int
cmd_branch_add(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *address = NULL, *tz = NULL,
	    *hours = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--address", .ao_value = &address },
		{ .ao_name = "--time-zone", .ao_value = &tz },
		{ .ao_name = "--hours", .ao_value = &hours },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__BranchAddRequest r = KARTOTEKA__BRANCH_ADD_REQUEST__INIT;
	unsigned from, to;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 3, pos, 1, 1, "NAME");
	if (rc != 0)
		return cli_parsed(rc);
	if (hours != NULL && kt_work_hours_parse(hours, &from, &to) != 0)
		return cli_usage_error(cli, _("--hours: expected HH:MM-HH:MM, "
		    "e.g. 09:00-21:00"));
	r.name = (char *)pos[0];
	r.address = (char *)(address != NULL ? address : "");
	r.time_zone = (char *)(tz != NULL ? tz : "");
	r.work_hours = (char *)(hours != NULL ? hours : "");
	req.op_case = KARTOTEKA__REQUEST__OP_BRANCH_ADD;
	req.branch_add = &r;
	return branch_reply(cli, &req, _("Added"), NULL);
}

/* The desk lock as typed: "5m", "90s", "1h", or "none" / "0" (the
 * client's own); [out] *secs. Returns 0, or -1 when it is none of
 * these or not from a minute to a day. */
static int
parse_desk_lock(const char *s, uint32_t *secs)
{
	unsigned long v, unit = 1;
	char *end = NULL;

	if (strcmp(s, "none") == 0 || strcmp(s, "0") == 0) {
		*secs = 0;
		return 0;
	}
	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	if (strcmp(end, "m") == 0)
		unit = 60;
	else if (strcmp(end, "h") == 0)
		unit = 3600;
	else if (strcmp(end, "s") != 0 && end[0] != '\0')
		return -1;
	if (v > 86400 / unit || v * unit < 60)
		return -1;
	*secs = (uint32_t)(v * unit);
	return 0;
}

static int
cmd_branch_set(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *tz = NULL, *hours = NULL,
	    *lock = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--time-zone", .ao_value = &tz },
		{ .ao_name = "--hours", .ao_value = &hours },
		{ .ao_name = "--desk-lock", .ao_value = &lock,
		  .ao_arg = "TIME|none",
		  .ao_help = N_("kartoteka-tui on the branch's terminals locks "
		      "after TIME without a key (5m; a minute to a day; none: "
		      "each desk's own --lock-after)") },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__BranchSetRequest r = KARTOTEKA__BRANCH_SET_REQUEST__INIT;
	char *fields[3];
	unsigned from, to;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 3, pos, 1, 1, "NAME");
	if (rc != 0)
		return cli_parsed(rc);
	if (tz == NULL && hours == NULL && lock == NULL)
		return cli_usage_error(cli, _("name a setting: --time-zone "
		    "ZONE, --hours HH:MM-HH:MM or --desk-lock TIME"));
	if (lock != NULL && parse_desk_lock(lock, &r.desk_lock_s) != 0)
		return cli_usage_error(cli, _("--desk-lock: expected a time "
		    "from a minute to a day (90s, 5m, 1h), or none"));
	if (hours != NULL && strcmp(hours, "none") == 0)
		hours = "";
	if (hours != NULL && kt_work_hours_parse(hours, &from, &to) != 0)
		return cli_usage_error(cli, _("--hours: expected HH:MM-HH:MM "
		    "(e.g. 09:00-21:00) or none"));
	r.name = (char *)pos[0];
	r.fields = fields;
	if (tz != NULL) {
		fields[r.n_fields++] = "time_zone";
		r.time_zone = (char *)(strcmp(tz, "default") == 0 ? "" : tz);
	}
	if (hours != NULL) {
		fields[r.n_fields++] = "work_hours";
		r.work_hours = (char *)hours;
	}
	if (lock != NULL)
		fields[r.n_fields++] = "desk_lock";
	req.op_case = KARTOTEKA__REQUEST__OP_BRANCH_SET;
	req.branch_set = &r;
	return branch_reply(cli, &req, _("Changed"), NULL);
}

static int
cmd_branch_rename(cli_t *cli, int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL };
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__BranchRenameRequest r = KARTOTEKA__BRANCH_RENAME_REQUEST__INIT;
	int rc;

	rc = cli_parse_args(cli, argc, argv, NULL, 0, pos, 2, 2, "NAME NEW");
	if (rc != 0)
		return cli_parsed(rc);
	r.name = (char *)pos[0];
	r.new_name = (char *)pos[1];
	req.op_case = KARTOTEKA__REQUEST__OP_BRANCH_RENAME;
	req.branch_rename = &r;
	return branch_reply(cli, &req, NULL, pos[0]);
}

static int
branch_archive(cli_t *cli, int argc, char **argv, int restore)
{
	const char *pos[1] = { NULL };
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__BranchArchiveRequest r =
	    KARTOTEKA__BRANCH_ARCHIVE_REQUEST__INIT;
	int rc;

	rc = cli_parse_args(cli, argc, argv, NULL, 0, pos, 1, 1, "NAME");
	if (rc != 0)
		return cli_parsed(rc);
	r.name = (char *)pos[0];
	r.restore = restore;
	req.op_case = KARTOTEKA__REQUEST__OP_BRANCH_ARCHIVE;
	req.branch_archive = &r;
	return branch_reply(cli, &req, restore ? _("Restored") :
	    _("Archived"), NULL);
}

static int
cmd_branch_archive(cli_t *cli, int argc, char **argv)
{
	return branch_archive(cli, argc, argv, 0);
}

static int
cmd_branch_restore(cli_t *cli, int argc, char **argv)
{
	return branch_archive(cli, argc, argv, 1);
}

static size_t
branch_page(const Kartoteka__Response *resp, ProtobufCBinaryData *next)
{
	*next = resp->branch_list->next_cursor;
	return resp->branch_list->n_branches;
}

static const void *
branch_row(const Kartoteka__Response *resp, size_t i)
{
	return resp->branch_list->branches[i];
}

static int
branch_add_row(cli_table_t *t, const void *obj)
{
	const Kartoteka__Branch *b = obj;
	const char *row[6];
	char id[24];

	snprintf(id, sizeof(id), "%" PRIu64, b->id);
	row[0] = id;
	row[1] = b->name;
	row[2] = b->address;
	row[3] = b->time_zone && b->time_zone[0] ? b->time_zone :
	    _("(server's)");
	row[4] = cli_str(b->work_hours);
	row[5] = b->archived ? _("archived") : _("active");
	return cli_table_add(t, row);
}

static const char *const branch_header[] = {
	N_("ID"), N_("NAME"), N_("ADDRESS"), N_("TIME ZONE"), N_("HOURS"),
	N_("STATE"),
};

static const cli_list_t branch_list = {
	.ls_want = KARTOTEKA__RESPONSE__RESULT_BRANCH_LIST,
	.ls_page = branch_page,
	.ls_row = branch_row,
	.ls_json_key = "branches",
	.ls_json = json_branch,
	.ls_ncols = 6,
	.ls_header = branch_header,
	.ls_add_row = branch_add_row,
	.ls_empty = N_("No branches yet: add one with `kartoteka branch add "
	    "NAME`."),
};

static int
cmd_branch_list(cli_t *cli, int argc, char **argv)
{
	const char *page_size = NULL;
	int all = 0;
	const cli_opt_t opts[] = {
		{ .ao_name = "--all", .ao_flag = &all },
		{ .ao_name = "--page-size", .ao_value = &page_size },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__BranchListRequest r = KARTOTEKA__BRANCH_LIST_REQUEST__INIT;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 2, NULL, 0, 0, "");
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = parse_page_size(cli, page_size, &r.limit)) != 0)
		return rc;
	r.include_archived = all;
	req.op_case = KARTOTEKA__REQUEST__OP_BRANCH_LIST;
	req.branch_list = &r;
	return cli_list(cli, &req, &r.cursor, &branch_list);
}

/* ==== user ============================================================== */

static const void *
pick_user(const Kartoteka__Response *resp)
{
	return resp->user->user;
}

/* arg: what was done ("Added", "Disabled", ...). */
static void
text_user(const void *obj, const void *arg)
{
	const Kartoteka__UserInfo *u = obj;
	char c1[256], c2[256], br[1024];

	/* TRANSLATORS: "Added user anna (Анна Петрова, manager; branches:
	 * Центр, Север)." The first %s is the action. */
	printf(_("%s user %s (%s, %s; branches: %s).\n"), (const char *)arg,
	    cli_clean(c1, sizeof(c1), u->login),
	    cli_clean(c2, sizeof(c2), u->name), cli_role_label(u->role),
	    cli_fmt_branches(br, sizeof(br), u));
}

/* A user answer: one line, arg saying what was done ("Added", ...). */
static const cli_show_t user_show = {
	.sh_want = KARTOTEKA__RESPONSE__RESULT_USER,
	.sh_pick = pick_user,
	.sh_missing = N_("a user answer without a user"),
	.sh_json_key = "user",
	.sh_json = json_user_full,
	.sh_text = text_user,
};

static int
cmd_user_add(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *role = NULL, *name = NULL,
	    *quota = NULL, *row_quota = NULL, *pwfile = NULL,
	    *branches[MAX_BRANCH_OPTS];
	size_t nbranches = 0;
	const cli_opt_t opts[] = {
		{ .ao_name = "--role", .ao_value = &role },
		{ .ao_name = "--branch", .ao_list = branches,
		  .ao_list_cap = MAX_BRANCH_OPTS, .ao_list_n = &nbranches },
		{ .ao_name = "--name", .ao_value = &name },
		{ .ao_name = "--quota", .ao_value = &quota },
		{ .ao_name = "--row-quota", .ao_value = &row_quota },
		{ .ao_name = "--password-file", .ao_value = &pwfile },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__UserAddRequest r = KARTOTEKA__USER_ADD_REQUEST__INIT;
	char password[CLI_PASSWORD_MAX];
	int rc;

	password[0] = '\0';
	rc = cli_parse_args(cli, argc, argv, opts, 6, pos, 1, 1, "LOGIN");
	if (rc != 0)
		return cli_parsed(rc);
	if (row_quota != NULL && (rc = parse_row_quota(cli, row_quota,
	    &r.daily_row_quota)) != 0)
		return rc;
	if (role == NULL)
		return cli_usage_error(cli, _("--role is required (head or "
		    "manager)"));
	if ((rc = parse_role(cli, role, &r.role)) != 0)
		return rc;
	if (nbranches == 0)
		return cli_usage_error(cli, _("--branch is required (give it "
		    "once per branch)"));
	if (quota != NULL && (rc = parse_quota(cli, quota,
	    &r.daily_view_quota)) != 0)
		return rc;
	if ((rc = cli_read_new_secret(cli, pwfile, _("New password: "),
	    _("Repeat the new password: "), password, sizeof(password))) != 0)
		goto out;
	r.login = (char *)pos[0];
	r.name = (char *)(name != NULL ? name : pos[0]);
	r.n_branches = nbranches;
	r.branches = (char **)branches;
	r.password = password;
	req.op_case = KARTOTEKA__REQUEST__OP_USER_ADD;
	req.user_add = &r;
	rc = cli_show(cli, &req, &user_show, _("Added"));
out:
	sodium_memzero(password, sizeof(password));
	return rc;
}

static int
cmd_user_change(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *role = NULL, *name = NULL,
	    *quota = NULL, *row_quota = NULL, *branches[MAX_BRANCH_OPTS];
	char *fields[5];
	size_t nbranches = 0;
	const cli_opt_t opts[] = {
		{ .ao_name = "--role", .ao_value = &role },
		{ .ao_name = "--branch", .ao_list = branches,
		  .ao_list_cap = MAX_BRANCH_OPTS, .ao_list_n = &nbranches },
		{ .ao_name = "--name", .ao_value = &name },
		{ .ao_name = "--quota", .ao_value = &quota },
		{ .ao_name = "--row-quota", .ao_value = &row_quota },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__UserChangeRequest r = KARTOTEKA__USER_CHANGE_REQUEST__INIT;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 5, pos, 1, 1, "LOGIN");
	if (rc != 0)
		return cli_parsed(rc);
	if (name != NULL) {
		fields[r.n_fields++] = "name";
		r.name = (char *)name;
	}
	if (role != NULL) {
		if ((rc = parse_role(cli, role, &r.role)) != 0)
			return rc;
		fields[r.n_fields++] = "role";
	}
	if (nbranches > 0) {
		fields[r.n_fields++] = "branches";
		r.n_branches = nbranches;
		r.branches = (char **)branches;
	}
	if (quota != NULL) {
		if ((rc = parse_quota(cli, quota, &r.daily_view_quota)) != 0)
			return rc;
		fields[r.n_fields++] = "daily_view_quota";
	}
	if (row_quota != NULL) {
		if ((rc = parse_row_quota(cli, row_quota,
		    &r.daily_row_quota)) != 0)
			return rc;
		fields[r.n_fields++] = "daily_row_quota";
	}
	if (r.n_fields == 0)
		return cli_usage_error(cli, _("nothing to change: give --name, "
		    "--role, --branch, --quota or --row-quota"));
	r.login = (char *)pos[0];
	r.fields = fields;
	req.op_case = KARTOTEKA__REQUEST__OP_USER_CHANGE;
	req.user_change = &r;
	return cli_show(cli, &req, &user_show, _("Changed"));
}

static int
cmd_user_password(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *pwfile = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--password-file", .ao_value = &pwfile },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__UserPasswordRequest r = KARTOTEKA__USER_PASSWORD_REQUEST__INIT;
	char password[CLI_PASSWORD_MAX];
	int rc;

	password[0] = '\0';
	rc = cli_parse_args(cli, argc, argv, opts, 1, pos, 1, 1, "LOGIN");
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = cli_read_new_secret(cli, pwfile, _("New password: "),
	    _("Repeat the new password: "), password, sizeof(password))) != 0)
		goto out;
	r.login = (char *)pos[0];
	r.password = password;
	req.op_case = KARTOTEKA__REQUEST__OP_USER_PASSWORD;
	req.user_password = &r;
	rc = cli_show(cli, &req, &user_show, _("New password for"));
out:
	sodium_memzero(password, sizeof(password));
	return rc;
}

static int
user_disable(cli_t *cli, int argc, char **argv, int enable)
{
	const char *pos[1] = { NULL };
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__UserDisableRequest r = KARTOTEKA__USER_DISABLE_REQUEST__INIT;
	int rc;

	rc = cli_parse_args(cli, argc, argv, NULL, 0, pos, 1, 1, "LOGIN");
	if (rc != 0)
		return cli_parsed(rc);
	r.login = (char *)pos[0];
	r.enable = enable;
	req.op_case = KARTOTEKA__REQUEST__OP_USER_DISABLE;
	req.user_disable = &r;
	return cli_show(cli, &req, &user_show, enable ? _("Enabled") :
	    _("Disabled"));
}

static int
cmd_user_disable(cli_t *cli, int argc, char **argv)
{
	return user_disable(cli, argc, argv, 0);
}

static int
cmd_user_enable(cli_t *cli, int argc, char **argv)
{
	return user_disable(cli, argc, argv, 1);
}

static size_t
user_page(const Kartoteka__Response *resp, ProtobufCBinaryData *next)
{
	*next = resp->user_list->next_cursor;
	return resp->user_list->n_users;
}

static const void *
user_row(const Kartoteka__Response *resp, size_t i)
{
	return resp->user_list->users[i];
}

static int
user_add_row(cli_table_t *t, const void *obj)
{
	const Kartoteka__UserInfo *u = obj;
	char br[1024], quota[48];
	const char *row[6];

	/* Full cards / distinct clients listed, a day. */
	snprintf(quota, sizeof(quota), "%" PRIu32 "/%" PRIu32,
	    u->daily_view_quota, u->daily_row_quota);
	row[0] = u->login;
	row[1] = u->name;
	row[2] = cli_role_label(u->role);
	row[3] = cli_fmt_branches(br, sizeof(br), u);
	row[4] = u->role == KARTOTEKA__ROLE__OWNER ? "-" : quota;
	row[5] = u->disabled ? _("disabled") : u->restricted ?
	    _("restricted") : _("active");
	return cli_table_add(t, row);
}

static const char *const user_header[] = {
	N_("LOGIN"), N_("NAME"), N_("ROLE"), N_("BRANCHES"), N_("QUOTA CARDS/ROWS"),
	N_("STATE"),
};

static const cli_list_t user_list = {
	.ls_want = KARTOTEKA__RESPONSE__RESULT_USER_LIST,
	.ls_page = user_page,
	.ls_row = user_row,
	.ls_json_key = "users",
	.ls_json = json_user_full,
	.ls_ncols = 6,
	.ls_header = user_header,
	.ls_add_row = user_add_row,
	.ls_empty = NULL,
};

static int
cmd_user_list(cli_t *cli, int argc, char **argv)
{
	const char *page_size = NULL;
	int all = 0;
	const cli_opt_t opts[] = {
		{ .ao_name = "--all", .ao_flag = &all },
		{ .ao_name = "--page-size", .ao_value = &page_size },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__UserListRequest r = KARTOTEKA__USER_LIST_REQUEST__INIT;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 2, NULL, 0, 0, "");
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = parse_page_size(cli, page_size, &r.limit)) != 0)
		return rc;
	r.include_disabled = all;
	req.op_case = KARTOTEKA__REQUEST__OP_USER_LIST;
	req.user_list = &r;
	return cli_list(cli, &req, &r.cursor, &user_list);
}

/* ==== terminal ========================================================== */

/* Rewrites the address inside an invite code (terminal invite
 * --advertise). */
static int
readdress(cli_t *cli, const char *code, const char *address, char *out,
    size_t cap)
{
	kt_invite_t inv;
	const char *why = NULL;
	int rc = 0;

	if (kt_address_split(address, NULL, 0, NULL, 0, &why) != 0) {
		char msg[256];
		snprintf(msg, sizeof(msg), _("--advertise: %s"),
		    why != NULL ? _(why) : _("expected HOST:PORT"));
		return cli_usage_error(cli, msg);
	}
	if (kt_invite_decode(code, &inv, &why) != 0) {
		rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
		    _("the server sent an invalid invite code: %s"),
		    why != NULL ? _(why) : "");
		goto out;
	}
	snprintf(inv.address, sizeof(inv.address), "%s", address);
	if (kt_invite_encode(&inv, out, cap) != 0)
		rc = cli_fail(cli, CLI_EXIT_USAGE, "USAGE", NULL, "%s",
		    _("--advertise: the address is too long"));
out:
	sodium_memzero(&inv, sizeof(inv));
	return rc;
}

static int
cmd_terminal_invite(cli_t *cli, int argc, char **argv)
{
	const char *branch = NULL, *advertise = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--branch", .ao_value = &branch },
		{ .ao_name = "--advertise", .ao_value = &advertise },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__TerminalInviteRequest r =
	    KARTOTEKA__TERMINAL_INVITE_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	const Kartoteka__TerminalInviteResponse *ir;
	char code[KT_INVITE_CODE_MAX], c1[512], t[64];
	const char *shown;
	int rc;

	code[0] = '\0';
	rc = cli_parse_args(cli, argc, argv, opts, 2, NULL, 0, 0, "");
	if (rc != 0)
		return cli_parsed(rc);
	if (branch != NULL && branch[0] == '\0')
		return cli_usage_error(cli, _("--branch is empty (leave it out "
		    "for an owner terminal)"));
	r.branch = (char *)(branch != NULL ? branch : "");
	req.op_case = KARTOTEKA__REQUEST__OP_TERMINAL_INVITE;
	req.terminal_invite = &r;
	rc = cli_session_request(cli, &req,
	    KARTOTEKA__RESPONSE__RESULT_TERMINAL_INVITE, &resp);
	if (rc != 0)
		goto out;
	ir = resp->terminal_invite;
	if (ir->code == NULL || !cli_proto_string_ok(ir->code,
	    KT_INVITE_CODE_MAX)) {
		rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
		    _("the server at %s sent a malformed invite code"),
		    cli->cli_cfg.address);
		goto out;
	}
	shown = ir->code;
	if (advertise != NULL) {
		if ((rc = readdress(cli, ir->code, advertise, code,
		    sizeof(code))) != 0)
			goto out;
		shown = code;
	}
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("branch");
		cli_json_str(stdout, r.branch);
		cli_json_key("code");
		cli_json_str(stdout, shown);
		cli_json_key("expires_at");
		printf("%" PRId64, ir->expires_at);
		cli_json_end();
	} else {
		if (branch != NULL)
			printf(_("Invite code for a terminal of branch '%s', "
			    "single use, valid until %s.\n"),
			    cli_clean(c1, sizeof(c1), branch),
			    cli_fmt_time(t, sizeof(t), ir->expires_at));
		else
			printf(_("Invite code for an owner terminal, single "
			    "use, valid until %s.\n"),
			    cli_fmt_time(t, sizeof(t), ir->expires_at));
		printf("%s\n", _("On the new terminal run: kartoteka enroll "
		    "CODE"));
		printf("%s\n", shown);
	}
out:
	sodium_memzero(code, sizeof(code));
	if (resp != NULL)
		kartoteka__response__free_unpacked(resp, NULL);
	return rc;
}

static size_t
terminal_page(const Kartoteka__Response *resp, ProtobufCBinaryData *next)
{
	*next = resp->terminal_list->next_cursor;
	return resp->terminal_list->n_terminals;
}

static const void *
terminal_row(const Kartoteka__Response *resp, size_t i)
{
	return resp->terminal_list->terminals[i];
}

static int
terminal_add_row(cli_table_t *t, const void *obj)
{
	const Kartoteka__TerminalInfo *ti = obj;
	char key[17], when[64];
	const char *row[5];

	row[0] = key_prefix(key, &ti->public_key);
	row[1] = ti->name;
	row[2] = cli_str(ti->branch)[0] != '\0' ? ti->branch : _("(owner)");
	row[3] = cli_fmt_time(when, sizeof(when), ti->enrolled_at);
	row[4] = ti->revoked ? _("revoked") : _("active");
	return cli_table_add(t, row);
}

static const char *const terminal_header[] = {
	N_("KEY"), N_("NAME"), N_("BRANCH"), N_("ENROLLED"), N_("STATE"),
};

static const cli_list_t terminal_list = {
	.ls_want = KARTOTEKA__RESPONSE__RESULT_TERMINAL_LIST,
	.ls_page = terminal_page,
	.ls_row = terminal_row,
	.ls_json_key = "terminals",
	.ls_json = json_terminal_full,
	.ls_ncols = 5,
	.ls_header = terminal_header,
	.ls_add_row = terminal_add_row,
	.ls_empty = NULL,
};

static int
cmd_terminal_list(cli_t *cli, int argc, char **argv)
{
	const char *page_size = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--page-size", .ao_value = &page_size },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__TerminalListRequest r = KARTOTEKA__TERMINAL_LIST_REQUEST__INIT;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 1, NULL, 0, 0, "");
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = parse_page_size(cli, page_size, &r.limit)) != 0)
		return rc;
	req.op_case = KARTOTEKA__REQUEST__OP_TERMINAL_LIST;
	req.terminal_list = &r;
	return cli_list(cli, &req, &r.cursor, &terminal_list);
}

static const void *
pick_revoked(const Kartoteka__Response *resp)
{
	return resp->terminal_revoke->terminal;
}

static void
text_revoked(const void *obj, const void *arg)
{
	const Kartoteka__TerminalInfo *ti = obj;
	char c1[256], key[17];

	(void)arg;
	printf(_("Revoked terminal '%s' (key %s); its connections are "
	    "closed.\n"), cli_clean(c1, sizeof(c1), ti->name),
	    key_prefix(key, &ti->public_key));
}

static const cli_show_t revoke_show = {
	.sh_want = KARTOTEKA__RESPONSE__RESULT_TERMINAL_REVOKE,
	.sh_pick = pick_revoked,
	.sh_missing = N_("a revoke answer without a terminal"),
	.sh_json_key = "terminal",
	.sh_json = json_terminal_full,
	.sh_text = text_revoked,
};

static int
cmd_terminal_revoke(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__TerminalRevokeRequest r =
	    KARTOTEKA__TERMINAL_REVOKE_REQUEST__INIT;
	int rc;

	rc = cli_parse_args(cli, argc, argv, NULL, 0, pos, 1, 1,
	    "NAME|KEYPREFIX");
	if (rc != 0)
		return cli_parsed(rc);
	r.terminal = (char *)pos[0];
	req.op_case = KARTOTEKA__REQUEST__OP_TERMINAL_REVOKE;
	req.terminal_revoke = &r;
	return cli_show(cli, &req, &revoke_show, NULL);
}

/* ==== the table ========================================================= */

const cli_command_t cli_commands_admin[] = {
	{ "branch add", cmd_branch_add,
	  N_("branch add NAME [--address TEXT] [--time-zone ZONE] [--hours HH:MM-HH:MM]"),
	  N_("add a branch (owner only)"),
	  N_("Branch names are unique, 1..128 bytes. --time-zone and --hours\n"
	     "as for `branch set`.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka branch add Центр --address \"ул. Ленина, 1\"\n") },
	{ "branch set", cmd_branch_set,
	  N_("branch set NAME [--time-zone ZONE|default] [--hours HH:MM-HH:MM|none] [--desk-lock TIME|none]"),
	  N_("set a branch's time zone, working hours and desk lock (owner only)"),
	  N_("The business day of a branch (when daily quotas reset and\n"
	     "sessions end) follows its time zone, an IANA name such as\n"
	     "Asia/Vladivostok; `default` is the server's --time-zone. A login\n"
	     "outside the working hours raises an alert for the owner.\n"
	     "--desk-lock: how long kartoteka-tui on the branch's terminals\n"
	     "waits without a key before it locks the screen; a desk cannot\n"
	     "turn it off.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka branch set Владивосток --time-zone Asia/Vladivostok --hours 09:00-20:00\n") },
	{ "branch rename", cmd_branch_rename, N_("branch rename NAME NEW"),
	  N_("rename a branch (owner only)"),
	  N_("Users and terminals of the branch keep it.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka branch rename Центр \"Центр-1\"\n") },
	{ "branch archive", cmd_branch_archive, N_("branch archive NAME"),
	  N_("archive a branch: no new users or terminals for it"),
	  N_("Its users, terminals and clients stay as they are.\n"
	     "`kartoteka branch restore NAME` undoes it.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka branch archive Север\n") },
	{ "branch restore", cmd_branch_restore, N_("branch restore NAME"),
	  N_("bring an archived branch back"),
	  N_("Example:\n"
	     "  kartoteka branch restore Север\n") },
	{ "branch list", cmd_branch_list,
	  N_("branch list [--all] [--page-size N]"),
	  N_("list branches (--all: archived ones too)"),
	  N_("Every branch is shown: the list is asked for a page at a time\n"
	     "(--page-size rows, 1..1000; by default up to 1000, as many as\n"
	     "fit one answer) until the last page.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka branch list --all\n") },
	{ "user add", cmd_user_add,
	  N_("user add LOGIN --role head|manager --branch NAME [--branch NAME...] "
	     "[--name TEXT] [--quota N] [--row-quota N] [--password-file FILE]"),
	  N_("add a head of branch or a manager (owner only)"),
	  N_("LOGIN: 1..64 of a-z 0-9 . _ -, starting with a letter. --name\n"
	     "defaults to LOGIN. --quota: full cards a day (default: a manager\n"
	     "200, a head 500); --row-quota: distinct clients that lists and\n"
	     "searches may show a day (2000, a head 5000). 0 is the default.\n"
	     "The password (8..1024 bytes) is asked twice on the terminal,\n"
	     "or read from the first line of FILE (\"-\" is standard input);\n"
	     "without a terminal, one line of standard input.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka user add anna --role manager --branch Центр \\\n"
	     "      --name \"Анна Петрова\" --password-file anna.pw\n") },
	{ "user change", cmd_user_change,
	  N_("user change LOGIN [--role R] [--branch NAME...] [--name TEXT] "
	     "[--quota N] [--row-quota N]"),
	  N_("change a user's name, role, branches or quotas"),
	  N_("Only the options given change; --branch replaces the whole\n"
	     "list. A change of role or branches is checked against the\n"
	     "user's open sessions at once.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka user change anna --branch Центр --branch Север\n") },
	{ "user password", cmd_user_password,
	  N_("user password LOGIN [--password-file FILE]"),
	  N_("set a new password; ends the user's sessions"),
	  N_("Example:\n"
	     "  kartoteka user password anna --password-file anna.pw\n") },
	{ "user disable", cmd_user_disable, N_("user disable LOGIN"),
	  N_("disable a user: ends their sessions, closes their connections"),
	  N_("Example:\n"
	     "  kartoteka user disable anna\n") },
	{ "user enable", cmd_user_enable, N_("user enable LOGIN"),
	  N_("enable a disabled user again"),
	  N_("Example:\n"
	     "  kartoteka user enable anna\n") },
	{ "user list", cmd_user_list, N_("user list [--all] [--page-size N]"),
	  N_("list users (--all: disabled ones too)"),
	  N_("Every user is shown, asked for a page at a time as in\n"
	     "`branch list`.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka --json user list --all\n") },
	{ "terminal invite", cmd_terminal_invite,
	  N_("terminal invite [--branch NAME] [--advertise HOST:PORT]"),
	  N_("print an invite code for a new terminal (last line)"),
	  N_("Without --branch the code enrolls an owner terminal. The code\n"
	     "names the server's advertised address; --advertise puts another\n"
	     "one in. It works once, within 24 hours.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka terminal invite --branch Центр | tail -n 1\n") },
	{ "terminal list", cmd_terminal_list,
	  N_("terminal list [--page-size N]"),
	  N_("list enrolled terminals"),
	  N_("Every terminal is shown, revoked ones too, asked for a page at\n"
	     "a time as in `branch list`.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka terminal list\n") },
	{ "terminal revoke", cmd_terminal_revoke,
	  N_("terminal revoke NAME|KEYPREFIX"),
	  N_("revoke a terminal: its connections close at once"),
	  N_("KEYPREFIX: at least 8 hex digits of the key (terminal list).\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka terminal revoke front-desk\n") },
	{ NULL, NULL, NULL, NULL, NULL },
};
