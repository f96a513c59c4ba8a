/* SPDX-License-Identifier: MIT */
/* `kartoteka report`: the head of sales' numbers for a branch, a manager
 * or every branch the caller sees: clients by status, new cards and new
 * clients per month, conversion, deals won per month and currency,
 * overdue tasks per user, sources of clients. Tables with bar charts in
 * block characters (widths by display columns), or one JSON object. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fields.h"

#define BAR_COLS 24u                 /* columns of the longest bar */

/* ---- bars ------------------------------------------------------------------- */

/* A bar of v against max, BAR_COLS columns for max, in eighths of a
 * column (U+2589..U+258F, U+2588), into out; a value above 0 shows at
 * least one eighth. Returns out. */
static const char *
bar(char *out, size_t cap, uint64_t v, uint64_t max)
{
	static const char *const part[8] = { "", "▏", "▎", "▍", "▌", "▋",
		"▊", "▉" };
	uint64_t eighths;
	size_t o = 0;

	out[0] = '\0';
	if (v == 0 || max == 0)
		return out;
	if (v > max)
		v = max;
	/* v * BAR_COLS * 8 cannot overflow for v < 2^58 (amounts < 10^15) */
	eighths = v * BAR_COLS * 8u / max;
	if (eighths == 0)
		eighths = 1;
	for (uint64_t i = 0; i < eighths / 8 && o + 4 < cap; i++) {
		memcpy(out + o, "█", 3);
		o += 3;
	}
	if (eighths % 8 != 0 && o + 4 < cap) {
		memcpy(out + o, part[eighths % 8], 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* n right-aligned in its column, into out: the width of header h or of
 * the column's largest value max, whichever is wider. */
static const char *
num(char *out, size_t cap, uint64_t n, const char *h, uint64_t max)
{
	char digits[24];
	size_t w = cli_width(_(h)), d;

	d = (size_t)snprintf(digits, sizeof(digits), "%" PRIu64, max);
	snprintf(out, cap, "%*" PRIu64, (int)(d > w ? d : w), n);
	return out;
}

/* ---- JSON ---------------------------------------------------------------------- */

static void
json_counts(const char *key, const char *name_key,
    Kartoteka__ReportCount **l, size_t n)
{
	cli_json_key(key);
	fputc('[', stdout);
	for (size_t i = 0; i < n; i++) {
		printf("%s{\"%s\":", i ? "," : "", name_key);
		cli_json_str(stdout, l[i]->name);
		printf(",\"count\":%u}", l[i]->count);
	}
	fputc(']', stdout);
}

static void
json_report(const Kartoteka__ReportResponse *a)
{
	char amount[KT_AMOUNT_TEXT_MAX];

	cli_json_key("scope");
	cli_json_str(stdout, a->scope);
	printf(",\"months\":%u,\"clients\":%u", a->months, a->clients);
	printf(",\"by_status\":{\"lead\":%u,\"active\":%u,\"former\":%u,"
	    "\"archived\":%u}", a->leads, a->active, a->former, a->archived);
	cli_json_key("per_month");
	fputc('[', stdout);
	for (size_t i = 0; i < a->n_per_month; i++) {
		const Kartoteka__ReportMonth *m = a->per_month[i];
		printf("%s{\"month\":", i ? "," : "");
		cli_json_str(stdout, m->month);
		printf(",\"new_cards\":%u,\"new_clients\":%u,\"won_deals\":%u}",
		    m->new_cards, m->new_clients, m->won_deals);
	}
	printf("],\"conversion\":{\"cards\":%u,\"clients\":%u}",
	    a->window_cards, a->window_converted);
	cli_json_key("won");
	fputc('[', stdout);
	for (size_t i = 0; i < a->n_won; i++) {
		const Kartoteka__ReportWon *w = a->won[i];
		printf("%s{\"month\":", i ? "," : "");
		cli_json_str(stdout, w->month);
		cli_json_key("currency");
		cli_json_str(stdout, w->currency);
		printf(",\"count\":%u,\"amount\":%" PRId64, w->count,
		    w->amount);
		cli_json_key("amount_text");
		cli_json_str(stdout, kt_amount_format(w->amount,
		    kt_currency_exponent(w->currency), amount,
		    sizeof(amount)));
		fputc('}', stdout);
	}
	fputc(']', stdout);
	json_counts("overdue", "login", a->overdue, a->n_overdue);
	json_counts("sources", "source", a->sources, a->n_sources);
	printf(",\"sources_more\":%u,\"no_source\":%u", a->sources_more,
	    a->no_source);
}

/* ---- text ----------------------------------------------------------------------- */

static void
print_table(cli_table_t *t)
{
	cli_table_print(t, stdout);
	cli_table_free(t);
}

static void
text_status(const Kartoteka__ReportResponse *a)
{
	const char *names[3] = { N_("lead"), N_("active"), N_("former") };
	uint32_t v[3] = { a->leads, a->active, a->former }, max = 0;
	cli_table_t t;
	char n[32], b[BAR_COLS * 3 + 8];
	const char *head[3] = { _("STATUS"), _("CARDS"), "" };

	printf(P_("\nClients by status (%u card, %u of them archived and not "
	    "shown)\n", "\nClients by status (%u cards, %u of them archived "
	    "and not shown)\n", a->clients), a->clients, a->archived);
	for (int i = 0; i < 3; i++)
		max = v[i] > max ? v[i] : max;
	cli_table_init(&t, 3);
	(void)cli_table_add(&t, head);
	for (int i = 0; i < 3; i++) {
		const char *row[3] = { _(names[i]), num(n, sizeof(n), v[i],
		    "CARDS", max), bar(b, sizeof(b), v[i], max) };
		(void)cli_table_add(&t, row);
	}
	print_table(&t);
}

static void
text_months(const Kartoteka__ReportResponse *a)
{
	uint32_t maxc = 0, maxn = 0;
	cli_table_t t;
	const char *head[5] = { _("MONTH"), _("NEW CARDS"), "",
		_("NEW CLIENTS"), "" };

	printf("\n%s\n", _("New cards (leads) and new clients per month"));
	for (size_t i = 0; i < a->n_per_month; i++) {
		if (a->per_month[i]->new_cards > maxc)
			maxc = a->per_month[i]->new_cards;
		if (a->per_month[i]->new_clients > maxn)
			maxn = a->per_month[i]->new_clients;
	}
	cli_table_init(&t, 5);
	(void)cli_table_add(&t, head);
	for (size_t i = 0; i < a->n_per_month; i++) {
		const Kartoteka__ReportMonth *m = a->per_month[i];
		char n1[32], n2[32], b1[BAR_COLS * 3 + 8], b2[BAR_COLS * 3 + 8];
		char mon[32];
		const char *row[5] = { kt_fmt_month_text(m->month, NULL, mon,
			    sizeof(mon)),
			num(n1, sizeof(n1), m->new_cards, "NEW CARDS", maxc),
			bar(b1, sizeof(b1), m->new_cards, maxc),
			num(n2, sizeof(n2), m->new_clients, "NEW CLIENTS",
			    maxn),
			bar(b2, sizeof(b2), m->new_clients, maxn) };
		(void)cli_table_add(&t, row);
	}
	print_table(&t);
	if (a->window_cards > 0)
		/* TRANSLATORS: the number of cards (the second) picks the
		 * form: "3 of the 5 cards". */
		printf(P_("Conversion: %u of the %u card created in these "
		    "months are clients now (%.1f %%)\n", "Conversion: %u of "
		    "the %u cards created in these months are clients now "
		    "(%.1f %%)\n", a->window_cards), a->window_converted,
		    a->window_cards, 100.0 * a->window_converted /
		    a->window_cards);
	else
		printf("%s\n", _("Conversion: no cards were created in these "
		    "months"));
}

static void
text_won(const Kartoteka__ReportResponse *a)
{
	cli_table_t t;
	uint32_t maxn = 0;
	const char *head[5] = { _("MONTH"), _("CURRENCY"), _("DEALS"),
		_("AMOUNT"), "" };

	printf("\n%s\n", _("Deals won per month"));
	if (a->n_won == 0) {
		printf("  %s\n", _("none"));
		return;
	}
	for (size_t i = 0; i < a->n_won; i++)
		maxn = a->won[i]->count > maxn ? a->won[i]->count : maxn;
	cli_table_init(&t, 5);
	(void)cli_table_add(&t, head);
	for (size_t i = 0; i < a->n_won; i++) {
		const Kartoteka__ReportWon *w = a->won[i];
		char n[32], am[KT_AMOUNT_TEXT_MAX], amr[KT_AMOUNT_TEXT_MAX + 8],
		    b[BAR_COLS * 3 + 8];
		int64_t max = 0;

		/* bars compare the months of one currency */
		for (size_t j = 0; j < a->n_won; j++)
			if (strcmp(a->won[j]->currency, w->currency) == 0 &&
			    a->won[j]->amount > max)
				max = a->won[j]->amount;
		kt_fmt_money(w->amount, kt_currency_exponent(w->currency),
		    NULL, am, sizeof(am));
		snprintf(amr, sizeof(amr), "%*s", (int)(KT_AMOUNT_TEXT_MAX /
		    2), am);
		char mon[32];
		const char *row[5] = { kt_fmt_month_text(w->month, NULL, mon,
			    sizeof(mon)), cli_str(w->currency),
			num(n, sizeof(n), w->count, "DEALS", maxn), amr,
			bar(b, sizeof(b), w->amount > 0 ? (uint64_t)w->amount :
			    0, max > 0 ? (uint64_t)max : 0) };
		(void)cli_table_add(&t, row);
	}
	print_table(&t);
}

static void
text_counts(const char *title, const char *col, const char *count_col,
    Kartoteka__ReportCount **l, size_t n, const char *empty)
{
	uint32_t max = 0;
	cli_table_t t;
	const char *head[3] = { _(col), _(count_col), "" };

	printf("\n%s\n", title);
	if (n == 0) {
		printf("  %s\n", empty);
		return;
	}
	for (size_t i = 0; i < n; i++)
		max = l[i]->count > max ? l[i]->count : max;
	cli_table_init(&t, 3);
	(void)cli_table_add(&t, head);
	for (size_t i = 0; i < n; i++) {
		char c[32], b[BAR_COLS * 3 + 8];
		const char *row[3] = { l[i]->name[0] ? l[i]->name : "?",
			num(c, sizeof(c), l[i]->count, count_col, max),
			bar(b, sizeof(b), l[i]->count, max) };
		(void)cli_table_add(&t, row);
	}
	print_table(&t);
}

static void
text_report(const Kartoteka__ReportResponse *a)
{
	char scope[300], sc[340], m1[32], m2[32];

	printf(P_("Report: %s, %u month", "Report: %s, %u months", a->months),
	    kt_fmt_scope(cli_clean(scope, sizeof(scope), a->scope), sc,
	    sizeof(sc)), a->months);
	if (a->n_per_month > 0)
		printf(" (%s .. %s)", kt_fmt_month_text(a->per_month[0]->month,
		    NULL, m1, sizeof(m1)), kt_fmt_month_text(
		    a->per_month[a->n_per_month - 1]->month, NULL, m2,
		    sizeof(m2)));
	fputc('\n', stdout);
	text_status(a);
	text_months(a);
	text_won(a);
	text_counts(_("Overdue open tasks per user"), N_("LOGIN"),
	    N_("OVERDUE"), a->overdue, a->n_overdue, _("nobody"));
	text_counts(_("Sources of clients (not archived)"), N_("SOURCE"),
	    N_("CARDS"), a->sources, a->n_sources, _("none given"));
	if (a->sources_more > 0)
		printf(P_("  ... and %u card from other sources\n",
		    "  ... and %u cards from other sources\n", a->sources_more),
		    a->sources_more);
	if (a->no_source > 0)
		printf(P_("  %u card without a source\n",
		    "  %u cards without a source\n", a->no_source), a->no_source);
}

/* ---- the command ------------------------------------------------------------------ */

static int
parse_months(cli_t *cli, const char *s, uint32_t *out)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	if (s[0] >= '0' && s[0] <= '9') {
		v = strtoul(s, &end, 10);
		if (errno == 0 && *end == '\0' && v >= 1 && v <= 36) {
			*out = (uint32_t)v;
			return 0;
		}
	}
	return cli_usage_error(cli, _("--months: give a number of months "
	    "from 1 to 36"));
}

static int
cmd_report(cli_t *cli, int argc, char **argv)
{
	const char *branch = NULL, *manager = NULL, *months = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--branch", .ao_value = &branch },
		{ .ao_name = "--manager", .ao_value = &manager },
		{ .ao_name = "--months", .ao_value = &months },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ReportRequest r = KARTOTEKA__REPORT_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 3, NULL, 0, 0, NULL);
	if (rc != 0)
		return cli_parsed(rc);
	if (months != NULL && (rc = parse_months(cli, months,
	    &r.months)) != 0)
		return rc;
	r.branch = (char *)(branch ? branch : "");
	r.manager = (char *)(manager ? manager : "");
	req.op_case = KARTOTEKA__REQUEST__OP_REPORT;
	req.report = &r;
	if ((rc = cli_session_request(cli, &req,
	    KARTOTEKA__RESPONSE__RESULT_REPORT, &resp)) != 0)
		return rc;
	if (cli->cli_json) {
		cli_json_begin(cli);
		json_report(resp->report);
		cli_json_end();
	} else {
		text_report(resp->report);
	}
	kartoteka__response__free_unpacked(resp, NULL);
	return CLI_EXIT_OK;
}

const cli_command_t cli_commands_report[] = {
	{ "report", cmd_report,
	  N_("report [--branch NAME] [--manager LOGIN] [--months N] [--json]"),
	  N_("clients, new leads, conversion, deals won, overdue tasks, sources"),
	  N_("Sections: clients by status; new cards (leads) and new clients\n"
	     "per month (a card becomes a client when its status becomes\n"
	     "active); the share of the period's new cards that are clients\n"
	     "now; deals won per month and currency (count and sum); overdue\n"
	     "open tasks per user; sources of the clients. The period is this\n"
	     "month and the N-1 before it (default 12, at most 36).\n"
	     "The owner reports on every branch, a branch (--branch) or a\n"
	     "manager (--manager); a head on its branches; a manager on its\n"
	     "own clients only. A branch or user you cannot see is answered\n"
	     "as one that does not exist. A report over at most 4 cards counts\n"
	     "them against your daily quota of clients listed.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka report --branch Центр --months 6\n"
	     "  kartoteka --json report --manager masha\n") },
	{ NULL, NULL, NULL, NULL, NULL },
};
