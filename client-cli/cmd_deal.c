/* SPDX-License-Identifier: MIT */
/* Deals, orders and subscriptions on the command line: `deal add`, `deal
 * stage`, `deal edit`, `deal show` and `deal list` (docs/CLI.md). Amounts
 * are typed and shown in major units ("12 500,50") and travel as integer
 * minor units of the deal's currency (common/fields.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "fields.h"
#include "normalize.h"

/* ==== parsing ================================================================ */

static int
parse_lessons(cli_t *cli, const char *s, uint32_t *out)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = s && s[0] >= '0' && s[0] <= '9' ? strtoul(s, &end, 10) : 0;
	if (s == NULL || end == NULL || *end != '\0' || errno != 0 ||
	    v > 1000)
		return cli_usage_error(cli, _("--lessons must be a number from "
		    "0 to 1000"));
	*out = (uint32_t)v;
	return 0;
}

static const char *const stage_names[] = { "", N_("new"), N_("progress"), N_("won"),
	N_("lost") };
#define NSTAGES 5

static int
parse_stage(cli_t *cli, const char *what, const char *s,
    Kartoteka__DealStage *out)
{
	char msg[160];

	for (int i = 1; i < NSTAGES; i++)
		if (strcasecmp(s, stage_names[i]) == 0) {
			*out = (Kartoteka__DealStage)i;
			return 0;
		}
	snprintf(msg, sizeof(msg), _("%s: '%.40s' is not one of new, "
	    "progress, won, lost"), what, s);
	return cli_usage_error(cli, msg);
}

static const char *
stage_name(Kartoteka__DealStage s)
{
	return (int)s > 0 && (int)s < NSTAGES ? stage_names[s] : "?";
}

/* The currency as typed, upper-cased into out (4 bytes): three letters. */
static int
parse_currency(cli_t *cli, const char *s, char out[4])
{
	if (s == NULL || strlen(s) != 3)
		goto bad;
	for (int i = 0; i < 3; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c < 'A' || c > 'Z')
			goto bad;
		out[i] = c;
	}
	out[3] = '\0';
	return 0;
bad:
	return cli_usage_error(cli, _("--currency must be three letters "
	    "(ISO 4217, e.g. RUB, USD, EUR)"));
}

static int
parse_amount(cli_t *cli, const char *s, const char *currency, int64_t *out)
{
	const char *why = NULL;
	char msg[240];

	if (kt_amount_parse(s, kt_currency_exponent(currency), out, &why) == 0)
		return 0;
	snprintf(msg, sizeof(msg), _("--amount: '%.40s' %s"), s, _(why));
	return cli_usage_error(cli, msg);
}

/* A day as typed (YYYY-MM-DD or DD.MM.YYYY) into out as YYYY-MM-DD. */
static int
parse_date(cli_t *cli, const char *what, const char *s, char out[11])
{
	kt_date_t d;
	char msg[160];

	if (kt_date_parse(s, &d, NULL) != 0 || d.year == 0) {
		snprintf(msg, sizeof(msg), _("%s: '%.40s' is not a date "
		    "(YYYY-MM-DD)"), what, s);
		return cli_usage_error(cli, msg);
	}
	kt_date_format(&d, out);
	return 0;
}

/* Local midnight of day s (plus_days after it) in unix seconds. */
static int
parse_day(cli_t *cli, const char *what, const char *s, int plus_days,
    int64_t *out)
{
	kt_date_t d;
	struct tm tm = { 0 };
	char msg[160];

	if (kt_date_parse(s, &d, NULL) != 0 || d.year == 0) {
		snprintf(msg, sizeof(msg), _("%s: '%.40s' is not a date "
		    "(YYYY-MM-DD)"), what, s);
		return cli_usage_error(cli, msg);
	}
	tm.tm_year = (int)d.year - 1900;
	tm.tm_mon = (int)d.month - 1;
	tm.tm_mday = (int)d.day + plus_days;   /* mktime carries it over */
	tm.tm_isdst = -1;
	*out = (int64_t)mktime(&tm);
	return 0;
}

/* ==== showing a deal ======================================================== */

/* "YYYY-MM-DD HH:MM" local, "" for 0. */
static const char *
fmt_minute(char *buf, size_t cap, int64_t secs)
{
	struct tm tm;
	time_t t = (time_t)secs;

	buf[0] = '\0';
	if (secs > 0 && localtime_r(&t, &tm) != NULL)
		kt_fmt_datetime(secs, 0, 0, NULL, buf, cap);
	return buf;
}

static const char *
fmt_amount(char *buf, size_t cap, const Kartoteka__Deal *d)
{
	char n[KT_AMOUNT_TEXT_MAX];

	if (d->amount == 0) {
		buf[0] = '\0';
		return buf;
	}
	snprintf(buf, cap, "%s %s", kt_fmt_money(d->amount,
	    kt_currency_exponent(d->currency), NULL, n, sizeof(n)),
	    cli_str(d->currency));
	return buf;
}

/* "2026-09-01..2026-12-31, 32 lessons" (the dates in the local form),
 * "" for a plain deal. */
static const char *
fmt_period(char *buf, size_t cap, const Kartoteka__Deal *d)
{
	char from[KT_FMT_DATE_MAX + 16], to[KT_FMT_DATE_MAX + 16];
	size_t n = 0;

	buf[0] = '\0';
	if (d->valid_to && d->valid_to[0])
		n = (size_t)snprintf(buf, cap, "%s..%s",
		    kt_fmt_date_text(d->valid_from, NULL, from, sizeof(from)),
		    kt_fmt_date_text(d->valid_to, NULL, to, sizeof(to)));
	if (d->lessons && n < cap)
		snprintf(buf + n, cap - n, P_("%s%u lesson", "%s%u lessons",
		    d->lessons), n ? ", " : "", d->lessons);
	return buf;
}

static void
json_deal(const void *obj)
{
	const Kartoteka__Deal *d = obj;
	char amount[KT_AMOUNT_TEXT_MAX];

	printf("{\"id\":%" PRIu64 ",\"version\":%" PRIu64 ",\"client\":%"
	    PRIu64, d->id, d->version, d->client);
	fputs(",\"client_title\":", stdout);
	cli_json_str(stdout, d->client_title);
	fputs(",\"title\":", stdout);
	cli_json_str(stdout, d->title);
	fputs(",\"stage\":", stdout);
	cli_json_str(stdout, stage_name(d->stage));
	printf(",\"amount_minor\":%" PRId64, d->amount);
	fputs(",\"amount\":", stdout);
	cli_json_str(stdout, kt_amount_format(d->amount,
	    kt_currency_exponent(d->currency), amount, sizeof(amount)));
	fputs(",\"currency\":", stdout);
	cli_json_str(stdout, d->currency);
	fputs(",\"course\":", stdout);
	cli_json_str(stdout, d->course);
	fputs(",\"valid_from\":", stdout);
	cli_json_str(stdout, d->valid_from);
	fputs(",\"valid_to\":", stdout);
	cli_json_str(stdout, d->valid_to);
	printf(",\"lessons\":%u,\"renews\":%" PRIu64, d->lessons, d->renews);
	fputs(",\"manager\":", stdout);
	cli_json_str(stdout, d->manager);
	fputs(",\"author\":", stdout);
	cli_json_str(stdout, d->author);
	fputs(",\"branch\":", stdout);
	cli_json_str(stdout, d->branch);
	printf(",\"created_at\":%" PRId64 ",\"closed_at\":%" PRId64
	    ",\"updated_at\":%" PRId64, d->created_at, d->closed_at,
	    d->updated_at);
	fputs(",\"reason\":", stdout);
	cli_json_str(stdout, d->reason);
	fputs(",\"note\":", stdout);
	cli_json_str(stdout, d->note);
	fputc('}', stdout);
}

/* One labelled line, its value cleaned for the terminal; nothing for "". */
static void
line(const char *label, const char *value)
{
	size_t cap = strlen(cli_str(value)) + 1;
	char *buf;

	if (value == NULL || value[0] == '\0')
		return;
	if ((buf = malloc(cap)) == NULL)
		return;
	cli_label(label, 10);
	printf("%s\n", cli_clean(buf, cap, value));
	free(buf);
}

/* The whole deal; arg: NULL, or what was done ("Added", ...). */
static void
text_deal(const void *obj, const void *arg)
{
	const Kartoteka__Deal *d = obj;
	char buf[512], when[32], title[256], extra[64];

	if (arg != NULL)
		printf("%s ", _((const char *)arg));
	printf(_("deal %llu: %s (version %llu)\n"), (unsigned long long)d->id,
	    cli_clean(title, sizeof(title), d->title),
	    (unsigned long long)d->version);
	snprintf(buf, sizeof(buf), "%" PRIu64 " %s", d->client,
	    cli_str(d->client_title));
	line(_("client:"), buf);
	snprintf(buf, sizeof(buf), "%s%s%s", cli_word(stage_name(d->stage)),
	    d->closed_at ? "  " : "", fmt_minute(when, sizeof(when),
	    d->closed_at));
	line(_("stage:"), buf);
	line(_("amount:"), fmt_amount(buf, sizeof(buf), d));
	line(_("course:"), d->course);
	line(_("period:"), fmt_period(buf, sizeof(buf), d));
	if (d->renews) {
		snprintf(extra, sizeof(extra), _("deal %" PRIu64), d->renews);
		line(_("renews:"), extra);
	}
	snprintf(buf, sizeof(buf), "%s (%s)", cli_str(d->manager),
	    cli_str(d->branch));
	line(_("manager:"), buf);
	snprintf(buf, sizeof(buf), _("%s by %s"), fmt_minute(when,
	    sizeof(when), d->created_at), cli_str(d->author));
	line(_("created:"), buf);
	line(_("reason:"), d->reason);
	line(_("note:"), d->note);
}

static const void *
pick_deal(const Kartoteka__Response *resp)
{
	return resp->deal ? resp->deal->deal : NULL;
}

static const cli_show_t deal_show = {
	.sh_want = KARTOTEKA__RESPONSE__RESULT_DEAL,
	.sh_pick = pick_deal,
	.sh_missing = N_("a deal answer without the deal"),
	.sh_json_key = "deal",
	.sh_json = json_deal,
	.sh_text = text_deal,
};

/* ==== deal add =============================================================== */

/* The options deal add and deal edit share, as typed. */
typedef struct deal_opts {
	const char *title, *amount, *currency, *course, *note, *from, *to;
	const char *lessons, *renews, *version;
} deal_opts_t;

#define DEAL_NOPTS 10u

/* The options bound to o into opts (room for DEAL_NOPTS): those of
 * `deal add` (with --renews), or of `deal edit` (--version instead).
 * Returns their number. */
static size_t
deal_opts(deal_opts_t *o, cli_opt_t *opts, int with_renews)
{
	const cli_opt_t all[DEAL_NOPTS] = {
		{ .ao_name = "--title", .ao_value = &o->title },
		{ .ao_name = "--amount", .ao_value = &o->amount },
		{ .ao_name = "--currency", .ao_value = &o->currency },
		{ .ao_name = "--course", .ao_value = &o->course },
		{ .ao_name = "--note", .ao_value = &o->note },
		{ .ao_name = "--from", .ao_value = &o->from },
		{ .ao_name = "--to", .ao_value = &o->to },
		{ .ao_name = "--lessons", .ao_value = &o->lessons },
		{ .ao_name = "--renews", .ao_value = &o->renews },
		{ .ao_name = "--version", .ao_value = &o->version },
	};

	memcpy(opts, all, sizeof(all));
	if (!with_renews)
		opts[8] = all[9];
	return DEAL_NOPTS - 1;
}

/* Fills the values of r from o (currency: the deal's, for an amount). The
 * strings point into o or into bufs. */
typedef struct deal_bufs {
	char currency[4], from[11], to[11];
} deal_bufs_t;

static int
fill_values(cli_t *cli, const deal_opts_t *o, const char *currency,
    deal_bufs_t *b, Kartoteka__DealAddRequest *r)
{
	int rc;

	if (o->title)
		r->title = (char *)o->title;
	if (o->currency) {
		if ((rc = parse_currency(cli, o->currency, b->currency)) != 0)
			return rc;
		r->currency = b->currency;
		currency = b->currency;
	}
	if (o->amount && (rc = parse_amount(cli, o->amount, currency,
	    &r->amount)) != 0)
		return rc;
	if (o->course)
		r->course = (char *)o->course;
	if (o->note)
		r->note = (char *)o->note;
	if ((o->from == NULL) != (o->to == NULL))
		return cli_usage_error(cli, _("--from and --to go together: "
		    "the first and the last day of a subscription"));
	if (o->from) {
		if ((rc = parse_date(cli, "--from", o->from, b->from)) != 0 ||
		    (rc = parse_date(cli, "--to", o->to, b->to)) != 0)
			return rc;
		if (strcmp(b->from, b->to) > 0)
			return cli_usage_error(cli, _("--to is before --from"));
		r->valid_from = b->from;
		r->valid_to = b->to;
	}
	if (o->lessons && (rc = parse_lessons(cli, o->lessons,
	    &r->lessons)) != 0)
		return rc;
	return 0;
}

static int
cmd_deal_add(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	deal_opts_t o = { 0 };
	deal_bufs_t b;
	cli_opt_t opts[DEAL_NOPTS];
	size_t nopts = deal_opts(&o, opts, 1);
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__DealAddRequest r = KARTOTEKA__DEAL_ADD_REQUEST__INIT;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, nopts, pos, 1, 1, "CLIENT");
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = cli_parse_id(cli, "CLIENT", pos[0], &r.client)) != 0)
		return rc;
	if (o.title == NULL)
		return cli_usage_error(cli, _("--title is required: what is "
		    "sold (e.g. --title 'Английский, абонемент на осень')"));
	if ((rc = fill_values(cli, &o, "RUB", &b, &r)) != 0)
		return rc;
	if (o.renews && (rc = cli_parse_id(cli, "--renews", o.renews,
	    &r.renews)) != 0)
		return rc;
	req.op_case = KARTOTEKA__REQUEST__OP_DEAL_ADD;
	req.deal_add = &r;
	return cli_show(cli, &req, &deal_show, N_("Added"));
}

/* ==== reading one deal first (stage, edit) ================================= */

/* Deal id as the caller may see it, within the open session: *out is the
 * answer holding it (free it), *d the deal. Returns an exit code. */
static int
read_deal(cli_t *cli, uint64_t id, Kartoteka__Response **out,
    const Kartoteka__Deal **d)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__DealListRequest r = KARTOTEKA__DEAL_LIST_REQUEST__INIT;
	int rc;

	*out = NULL;
	*d = NULL;
	r.id = id;
	req.op_case = KARTOTEKA__REQUEST__OP_DEAL_LIST;
	req.deal_list = &r;
	if ((rc = cli_session_request(cli, &req,
	    KARTOTEKA__RESPONSE__RESULT_DEAL_LIST, out)) != 0)
		return rc;
	if ((*out)->deal_list->n_deals != 1 ||
	    (*out)->deal_list->deals[0] == NULL) {
		kartoteka__response__free_unpacked(*out, NULL);
		*out = NULL;
		(void)cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL, "%s",
		    _("a deal answer without the deal"));
		return CLI_EXIT_CONNECT;
	}
	*d = (*out)->deal_list->deals[0];
	return 0;
}

/* Sends req in the session already open and shows the deal answered. */
static int
send_change(cli_t *cli, Kartoteka__Request *req, const char *done)
{
	Kartoteka__Response *resp = NULL;
	int rc;

	rc = cli_request(cli, req, KARTOTEKA__RESPONSE__RESULT_DEAL, &resp);
	if (rc != 0)
		return rc;
	if (resp->deal->deal == NULL) {
		rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL, "%s",
		    _("a deal answer without the deal"));
	} else if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("deal");
		json_deal(resp->deal->deal);
		cli_json_end();
	} else {
		text_deal(resp->deal->deal, done);
	}
	kartoteka__response__free_unpacked(resp, NULL);
	return rc;
}

/* ==== deal stage ============================================================ */

static int
cmd_deal_stage(cli_t *cli, int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL }, *reason = NULL, *version = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--reason", .ao_value = &reason },
		{ .ao_name = "--version", .ao_value = &version },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__DealStageRequest r = KARTOTEKA__DEAL_STAGE_REQUEST__INIT;
	Kartoteka__Response *cur = NULL;
	const Kartoteka__Deal *d = NULL;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 2, pos, 2, 2, "ID STAGE");
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = cli_parse_id(cli, "ID", pos[0], &r.id)) != 0 ||
	    (rc = parse_stage(cli, "STAGE", pos[1], &r.stage)) != 0)
		return rc;
	if (version && (rc = cli_parse_id(cli, "--version", version,
	    &r.version)) != 0)
		return rc;
	r.reason = (char *)(reason ? reason : "");
	req.op_case = KARTOTEKA__REQUEST__OP_DEAL_STAGE;
	req.deal_stage = &r;
	/* Without --version: the version it has now. */
	if (version == NULL) {
		if ((rc = read_deal(cli, r.id, &cur, &d)) != 0)
			return rc;
		r.version = d->version;
		kartoteka__response__free_unpacked(cur, NULL);
	} else if ((rc = cli_load_config(cli)) != 0 ||
	    (rc = cli_open_session(cli)) != 0) {
		return rc;
	}
	return send_change(cli, &req, N_("Moved"));
}

/* ==== deal edit ============================================================= */

static int
cmd_deal_edit(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	deal_opts_t o = { 0 };
	deal_bufs_t b;
	cli_opt_t opts[DEAL_NOPTS];
	size_t nopts = deal_opts(&o, opts, 0);
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__DealEditRequest r = KARTOTEKA__DEAL_EDIT_REQUEST__INIT;
	Kartoteka__DealAddRequest vals = KARTOTEKA__DEAL_ADD_REQUEST__INIT;
	Kartoteka__Response *cur = NULL;
	const Kartoteka__Deal *d = NULL;
	char *fields[7], currency[4];
	size_t nf = 0;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, nopts, pos, 1, 1, "ID");
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = cli_parse_id(cli, "ID", pos[0], &r.id)) != 0)
		return rc;
	if (o.version && (rc = cli_parse_id(cli, "--version", o.version,
	    &r.version)) != 0)
		return rc;
	if (o.title) fields[nf++] = "title";
	if (o.amount) fields[nf++] = "amount";
	if (o.currency) fields[nf++] = "currency";
	if (o.course) fields[nf++] = "course";
	if (o.note) fields[nf++] = "note";
	if (o.from || o.to) fields[nf++] = "period";
	if (o.lessons) fields[nf++] = "lessons";
	if (nf == 0)
		return cli_usage_error(cli, _("nothing to change: give "
		    "--title, --amount, --currency, --course, --note, --from "
		    "and --to, or --lessons"));
	/* The deal as it is: its version and currency (an amount is in the
	 * deal's minor units). */
	if ((rc = read_deal(cli, r.id, &cur, &d)) != 0)
		return rc;
	if (o.version == NULL)
		r.version = d->version;
	snprintf(currency, sizeof(currency), "%s", cli_str(d->currency));
	kartoteka__response__free_unpacked(cur, NULL);
	if (strcmp(cli_str(o.from), "none") == 0 &&
	    strcmp(cli_str(o.to), "none") == 0) {
		o.from = o.to = NULL;    /* no longer a subscription */
		vals.valid_from = vals.valid_to = "";
	}
	if ((rc = fill_values(cli, &o, currency, &b, &vals)) != 0)
		return rc;
	r.fields = fields;
	r.n_fields = nf;
	r.deal = &vals;
	req.op_case = KARTOTEKA__REQUEST__OP_DEAL_EDIT;
	req.deal_edit = &r;
	return send_change(cli, &req, N_("Changed"));
}

/* ==== deal show and list ===================================================== */

static int
cmd_deal_show(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	Kartoteka__Response *resp = NULL;
	const Kartoteka__Deal *d = NULL;
	uint64_t id = 0;
	int rc;

	rc = cli_parse_args(cli, argc, argv, NULL, 0, pos, 1, 1, "ID");
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = cli_parse_id(cli, "ID", pos[0], &id)) != 0)
		return rc;
	if ((rc = read_deal(cli, id, &resp, &d)) != 0)
		return rc;
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("deal");
		json_deal(d);
		cli_json_end();
	} else {
		text_deal(d, NULL);
	}
	kartoteka__response__free_unpacked(resp, NULL);
	return CLI_EXIT_OK;
}

static size_t
deal_page(const Kartoteka__Response *resp, ProtobufCBinaryData *next)
{
	*next = resp->deal_list->next_cursor;
	return resp->deal_list->n_deals;
}

static const void *
deal_row(const Kartoteka__Response *resp, size_t i)
{
	return resp->deal_list->deals[i];
}

static int
deal_add_row(cli_table_t *t, const void *obj)
{
	const Kartoteka__Deal *d = obj;
	const char *row[8];
	char id[24], client[160], amount[64], period[64], when[32];

	snprintf(id, sizeof(id), "%" PRIu64, d->id);
	snprintf(client, sizeof(client), "%" PRIu64 " %s", d->client,
	    cli_str(d->client_title));
	row[0] = id;
	row[1] = client;
	row[2] = d->title;
	row[3] = cli_word(stage_name(d->stage));
	row[4] = fmt_amount(amount, sizeof(amount), d);
	row[5] = fmt_period(period, sizeof(period), d);
	row[6] = d->manager;
	row[7] = fmt_minute(when, sizeof(when), d->closed_at ? d->closed_at :
	    d->created_at);
	/* Dates only in the table: the minute is in `deal show`. */
	when[10] = '\0';
	return cli_table_add(t, row);
}

static const char *const deal_header[] = {
	N_("ID"), N_("CLIENT"), N_("TITLE"), N_("STAGE"), N_("AMOUNT"),
	N_("PERIOD"), N_("MANAGER"), N_("DATE"),
};

static const cli_list_t deal_list = {
	.ls_want = KARTOTEKA__RESPONSE__RESULT_DEAL_LIST,
	.ls_page = deal_page,
	.ls_row = deal_row,
	.ls_json_key = "deals",
	.ls_json = json_deal,
	.ls_ncols = 8,
	.ls_header = deal_header,
	.ls_add_row = deal_add_row,
	.ls_empty = N_("No deals."),
};

static int
cmd_deal_list(cli_t *cli, int argc, char **argv)
{
	const char *client = NULL, *manager = NULL, *branch = NULL;
	const char *stage = NULL, *from = NULL, *to = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--client", .ao_value = &client },
		{ .ao_name = "--manager", .ao_value = &manager },
		{ .ao_name = "--branch", .ao_value = &branch },
		{ .ao_name = "--stage", .ao_value = &stage },
		{ .ao_name = "--from", .ao_value = &from },
		{ .ao_name = "--to", .ao_value = &to },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__DealListRequest r = KARTOTEKA__DEAL_LIST_REQUEST__INIT;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 6, NULL, 0, 0, "");
	if (rc != 0)
		return cli_parsed(rc);
	if (client && (rc = cli_parse_id(cli, "--client", client,
	    &r.client)) != 0)
		return rc;
	if (stage && (rc = parse_stage(cli, "--stage", stage, &r.stage)) != 0)
		return rc;
	if (from && (rc = parse_day(cli, "--from", from, 0, &r.from)) != 0)
		return rc;
	/* --to includes its day: the bound sent is the next midnight. */
	if (to && (rc = parse_day(cli, "--to", to, 1, &r.to)) != 0)
		return rc;
	if (r.to && r.to <= r.from)
		return cli_usage_error(cli, _("--to is before --from"));
	r.manager = (char *)(manager ? manager : "");
	r.branch = (char *)(branch ? branch : "");
	r.limit = 200;
	req.op_case = KARTOTEKA__REQUEST__OP_DEAL_LIST;
	req.deal_list = &r;
	return cli_list(cli, &req, &r.cursor, &deal_list);
}

/* ==== the table ============================================================== */

const cli_command_t cli_commands_deal[] = {
	{ "deal add", cmd_deal_add,
	  N_("deal add CLIENT --title TEXT [--amount 12500.00] [--currency RUB] "
	     "[--course TEXT] [--from DATE --to DATE] [--lessons N] "
	     "[--renews ID] [--note TEXT]"),
	  N_("add a deal, order or subscription of a client"),
	  N_("A deal starts at stage `new`, run by the client's manager.\n"
	     "--amount is in roubles (or the --currency's units): 12500,\n"
	     "12500.00 and '12 500,50' are the same kind of amount; it is kept\n"
	     "in kopecks. A subscription (абонемент) has --from and --to, its\n"
	     "first and last day, and may count --lessons; --renews names the\n"
	     "subscription of the same client it continues. Managers add deals\n"
	     "of their own clients, heads of their branches', the owner any.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka deal add 12 --title 'Английский, осень' "
	     "--amount '12 500' \\\n"
	     "    --course 'Английский 5-7 лет' --from 2026-09-01 "
	     "--to 2026-12-31 --lessons 32\n") },
	{ "deal stage", cmd_deal_stage,
	  N_("deal stage ID new|progress|won|lost [--reason TEXT] "
	     "[--version V]"),
	  N_("move a deal to a stage: won and lost close it"),
	  N_("Won and lost set the close date (a won deal is found later by\n"
	     "`client list --won-from`); new and progress reopen it. --reason\n"
	     "says why (kept with the deal). --version V refuses the change if\n"
	     "the deal is no longer at version V (someone changed it since you\n"
	     "read it); without it the current version is read first.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka deal stage 7 won\n"
	     "  kartoteka deal stage 8 lost --reason 'переехали'\n") },
	{ "deal edit", cmd_deal_edit,
	  N_("deal edit ID [--title TEXT] [--amount A] [--currency C] "
	     "[--course TEXT] [--note TEXT] [--from DATE --to DATE] "
	     "[--lessons N] [--version V]"),
	  N_("change the fields of a deal"),
	  N_("Only the options given change. `--from none --to none` makes a\n"
	     "subscription a plain deal. An amount is in the deal's currency\n"
	     "(or the new --currency). --version V as for `deal stage`.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka deal edit 7 --amount 11000 --note 'скидка 12%'\n") },
	{ "deal show", cmd_deal_show, N_("deal show ID"),
	  N_("show one deal with its version"),
	  N_("Example:\n"
	     "  kartoteka deal show 7\n") },
	{ "deal list", cmd_deal_list,
	  N_("deal list [--client ID] [--manager LOGIN] [--branch NAME] "
	     "[--stage S] [--from DATE --to DATE]"),
	  N_("list deals, newest first"),
	  N_("The deals you may see: managers those of their clients, heads\n"
	     "their branches', the owner all. The period --from..--to\n"
	     "(both days included) is the close date with --stage won or\n"
	     "lost, the creation date otherwise. Every client shown counts\n"
	     "against your daily row quota.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka deal list --stage won --from 2026-01-01 "
	     "--to 2026-03-31\n"
	     "  kartoteka deal list --client 12\n") },
	{ NULL, NULL, NULL, NULL, NULL },
};
