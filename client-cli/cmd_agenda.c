/* SPDX-License-Identifier: MIT */
/* `kartoteka agenda`: the daily control list of the caller, a user or a
 * branch, one section after another, each line naming the client id (and
 * the task id) so that the next command is obvious. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char *const kind_names[] = { "", N_("call"), N_("meeting"), N_("promise"),
	N_("other") };

static const char *
category_name(Kartoteka__Category c)
{
	static const char *const n[] = { "", "A", "B", "C" };

	return (unsigned)c < 4 ? n[c] : "?";
}

/* ---- JSON -------------------------------------------------------------------- */

static void
json_task(const Kartoteka__Task *t)
{
	printf("{\"id\":%" PRIu64 ",\"client_id\":%" PRIu64, t->id,
	    t->client_id);
	cli_json_key("client");
	cli_json_str(stdout, t->client);
	cli_json_key("kind");
	cli_json_str(stdout, (unsigned)t->kind < 5 ? kind_names[t->kind] : "?");
	cli_json_key("title");
	cli_json_str(stdout, t->title);
	cli_json_key("due");
	cli_json_str(stdout, t->due);
	printf(",\"overdue\":%s", t->overdue ? "true" : "false");
	cli_json_key("assignee");
	cli_json_str(stdout, t->assignee);
	fputc('}', stdout);
}

static void
json_client(const Kartoteka__AgendaClient *c)
{
	printf("{\"client_id\":%" PRIu64, c->client_id);
	cli_json_key("client");
	cli_json_str(stdout, c->client);
	cli_json_key("manager");
	cli_json_str(stdout, c->manager);
	cli_json_key("category");
	cli_json_str(stdout, category_name(c->category));
	printf(",\"at\":%" PRId64, c->at);
	if (c->deal_id != 0) {
		printf(",\"deal_id\":%" PRIu64, c->deal_id);
		cli_json_key("note");
		cli_json_str(stdout, c->note);
	}
	fputc('}', stdout);
}

static void
json_clients(const char *key, Kartoteka__AgendaClient **l, size_t n,
    uint32_t more)
{
	cli_json_key(key);
	fputc('[', stdout);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', stdout);
		json_client(l[i]);
	}
	printf("],\"%s_more\":%u", key, more);
}

static void
json_agenda(const Kartoteka__AgendaResponse *a)
{
	cli_json_key("date");
	cli_json_str(stdout, a->date);
	cli_json_key("scope");
	cli_json_str(stdout, a->scope);
	printf(",\"quiet_days\":%u", a->quiet_days);
	cli_json_key("tasks");
	fputc('[', stdout);
	for (size_t i = 0; i < a->n_tasks; i++) {
		if (i)
			fputc(',', stdout);
		json_task(a->tasks[i]);
	}
	printf("],\"tasks_more\":%u", a->tasks_more);
	cli_json_key("birthdays");
	fputc('[', stdout);
	for (size_t i = 0; i < a->n_birthdays; i++) {
		const Kartoteka__AgendaBirthday *b = a->birthdays[i];
		printf("%s{\"client_id\":%" PRIu64, i ? "," : "", b->client_id);
		cli_json_key("client");
		cli_json_str(stdout, b->client);
		cli_json_key("person");
		cli_json_str(stdout, b->person);
		cli_json_key("date");
		cli_json_str(stdout, b->date);
		printf(",\"turns\":%u,\"child\":%s}", b->turns,
		    b->child ? "true" : "false");
	}
	printf("],\"birthdays_more\":%u", a->birthdays_more);
	json_clients("reoffer", a->reoffer, a->n_reoffer, a->reoffer_more);
	json_clients("no_open_deal", a->no_open_deal, a->n_no_open_deal,
	    a->no_open_deal_more);
	json_clients("quiet", a->quiet, a->n_quiet, a->quiet_more);
	json_clients("renewals", a->renewals, a->n_renewals,
	    a->renewals_more);
	cli_json_key("managers");
	fputc('[', stdout);
	for (size_t i = 0; i < a->n_managers; i++) {
		const Kartoteka__AgendaManager *m = a->managers[i];
		printf("%s{\"login\":", i ? "," : "");
		cli_json_str(stdout, m->login);
		printf(",\"overdue_tasks\":%u,\"ab_without_deal\":%u}",
		    m->overdue_tasks, m->ab_without_deal);
	}
	fputc(']', stdout);
}

/* ---- text -------------------------------------------------------------------- */

static void
heading(const char *title, size_t n, uint32_t more)
{
	printf("\n%s (%zu)\n", title, n + more);
	if (n == 0)
		printf("  %s\n", _("none"));
}

static void
and_more(uint32_t more)
{
	if (more > 0)
		printf(_("  ... and %u more\n"), more);
}

static const char *
day_of(int64_t t, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || localtime_r(&tt, &tm) == NULL) {
		snprintf(buf, cap, "%s", _("never"));
		return buf;
	}
	return kt_fmt_local_date(t, NULL, buf, cap);
}

static void
text_client(const Kartoteka__AgendaClient *c, const char *when)
{
	char title[300], mgr[80];

	printf(_("  client %-6" PRIu64 " %s"), c->client_id,
	    cli_clean(title, sizeof(title), c->client));
	if (c->category != 0)
		printf(" [%s]", category_name(c->category));
	printf("  %s", cli_clean(mgr, sizeof(mgr), c->manager));
	if (when != NULL)
		printf("  %s", when);
	fputc('\n', stdout);
}

static void
text_clients(const char *title, Kartoteka__AgendaClient **l, size_t n,
    uint32_t more, const char *label)
{
	char buf[32], when[80];

	heading(title, n, more);
	for (size_t i = 0; i < n; i++) {
		if (label != NULL) {
			snprintf(when, sizeof(when), "%s %s", label,
			    day_of(l[i]->at, buf, sizeof(buf)));
			text_client(l[i], when);
		} else {
			text_client(l[i], NULL);
		}
	}
	and_more(more);
}

static void
text_agenda(const Kartoteka__AgendaResponse *a)
{
	char t1[300], t2[300], t3[80], d[64], kw[64], sc[340];

	printf(_("Agenda for %s, %s\n"), kt_fmt_scope(cli_clean(t1, sizeof(t1),
	    a->scope), sc, sizeof(sc)), kt_fmt_date_text(a->date, NULL, d,
	    sizeof(d)));
	heading(_("Tasks: overdue and today"), a->n_tasks, a->tasks_more);
	for (size_t i = 0; i < a->n_tasks; i++) {
		const Kartoteka__Task *t = a->tasks[i];
		printf(_("  task %-5" PRIu64 " %-16s %s %s%s"), t->id,
		    kt_fmt_date_text(t->due, NULL, d, sizeof(d)),
		    cli_pad(kw, sizeof(kw), (unsigned)t->kind < 5 ?
		    cli_word(kind_names[t->kind]) : "?", 8),
		    t->overdue ? _("OVERDUE ") : "",
		    cli_clean(t1, sizeof(t1), t->title));
		if (t->client_id != 0)
			printf(_("  (client %" PRIu64 " %s)"), t->client_id,
			    cli_clean(t2, sizeof(t2), t->client));
		printf("  %s\n", cli_clean(t3, sizeof(t3), t->assignee));
	}
	and_more(a->tasks_more);
	heading(_("Birthdays in the next 7 days"), a->n_birthdays,
	    a->birthdays_more);
	for (size_t i = 0; i < a->n_birthdays; i++) {
		const Kartoteka__AgendaBirthday *b = a->birthdays[i];
		printf(_("  %s  client %-6" PRIu64 " %s: %s"),
		    kt_fmt_date_text(b->date, NULL, d, sizeof(d)),
		    b->client_id, cli_clean(t1, sizeof(t1), b->client),
		    cli_clean(t2, sizeof(t2), b->person));
		if (b->turns)
			printf(_(", turns %u"), b->turns);
		if (b->child)
			printf(" %s", _("(child)"));
		fputc('\n', stdout);
	}
	and_more(a->birthdays_more);
	text_clients(_("Offer again: a deal won 11-12 months ago, nothing "
	    "since"), a->reoffer, a->n_reoffer, a->reoffer_more, _("won"));
	text_clients(_("Category A and B without an open deal"),
	    a->no_open_deal, a->n_no_open_deal, a->no_open_deal_more, NULL);
	snprintf(t1, sizeof(t1), P_("No interaction for %u day",
	    "No interaction for %u days", a->quiet_days), a->quiet_days);
	text_clients(t1, a->quiet, a->n_quiet, a->quiet_more, _("last"));
	text_clients(_("Subscriptions ending within 7 days, not renewed"),
	    a->renewals, a->n_renewals, a->renewals_more, _("ends"));
	if (a->n_managers > 0) {
		printf("\n%s\n", _("Per manager: overdue tasks, A/B clients "
		    "without an open deal"));
		printf("  %-20s %7s %7s\n", _("LOGIN"), _("OVERDUE"),
		    _("A/B"));
		for (size_t i = 0; i < a->n_managers; i++)
			printf("  %-20s %7u %7u\n", cli_clean(t1, sizeof(t1),
			    a->managers[i]->login),
			    a->managers[i]->overdue_tasks,
			    a->managers[i]->ab_without_deal);
	}
}

static int
parse_days(cli_t *cli, const char *s, uint32_t *out)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	if (s != NULL && s[0] >= '0' && s[0] <= '9') {
		v = strtoul(s, &end, 10);
		if (errno == 0 && *end == '\0' && v >= 1 && v <= 3650) {
			*out = (uint32_t)v;
			return 0;
		}
	}
	return cli_usage_error(cli, _("--quiet-days: give a number of days "
	    "from 1 to 3650"));
}

/* DATE: YYYY-MM-DD, today or tomorrow, into out (local). */
static int
parse_date(cli_t *cli, const char *s, char *out, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;
	int y, m, d;
	char tail;

	if (strcmp(s, "today") == 0 || strcmp(s, "tomorrow") == 0) {
		if (strcmp(s, "tomorrow") == 0)
			now += 86400;
		localtime_r(&now, &tm);
		strftime(out, cap, "%Y-%m-%d", &tm);
		return 0;
	}
	if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d,
	    &tail) == 3 && s[4] == '-' && s[7] == '-' && m >= 1 && m <= 12 &&
	    d >= 1 && d <= 31) {
		snprintf(out, cap, "%s", s);
		return 0;
	}
	return cli_usage_error(cli, _("--date: give a day YYYY-MM-DD"));
}

static int
cmd_agenda(cli_t *cli, int argc, char **argv)
{
	const char *user = NULL, *branch = NULL, *date = NULL, *quiet = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--user", .ao_value = &user },
		{ .ao_name = "--branch", .ao_value = &branch },
		{ .ao_name = "--date", .ao_value = &date },
		{ .ao_name = "--quiet-days", .ao_value = &quiet },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__AgendaRequest r = KARTOTEKA__AGENDA_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	char dbuf[16];
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 4, NULL, 0, 0, NULL);
	if (rc != 0)
		return cli_parsed(rc);
	if (user != NULL && branch != NULL)
		return cli_usage_error(cli, _("give --user or --branch, not "
		    "both"));
	if ((date != NULL && (rc = parse_date(cli, date, dbuf,
	    sizeof(dbuf))) != 0) ||
	    (quiet != NULL && (rc = parse_days(cli, quiet,
	    &r.quiet_days)) != 0))
		return rc;
	r.user = (char *)(user ? user : "");
	r.branch = (char *)(branch ? branch : "");
	r.date = date ? dbuf : (char *)"";
	req.op_case = KARTOTEKA__REQUEST__OP_AGENDA;
	req.agenda = &r;
	if ((rc = cli_session_request(cli, &req,
	    KARTOTEKA__RESPONSE__RESULT_AGENDA, &resp)) != 0)
		return rc;
	if (cli->cli_json) {
		cli_json_begin(cli);
		json_agenda(resp->agenda);
		cli_json_end();
	} else {
		text_agenda(resp->agenda);
	}
	kartoteka__response__free_unpacked(resp, NULL);
	return CLI_EXIT_OK;
}

const cli_command_t cli_commands_agenda[] = {
	{ "agenda", cmd_agenda,
	  N_("agenda [--user LOGIN|--branch NAME] [--date DATE] "
	     "[--quiet-days N]"),
	  N_("the day's control list: tasks, birthdays, whom to call"),
	  N_("Sections: overdue and today's tasks; birthdays in the next 7\n"
	     "days among the people of your clients (the age they turn, children\n"
	     "marked); clients to offer again (a deal won 11-12 months ago and\n"
	     "nothing since); category A and B clients without an open deal;\n"
	     "clients with no interaction for N days (default 90); subscriptions\n"
	     "ending within 7 days without a renewal; for heads and the owner a\n"
	     "line per manager. Each line names the client (and task) id; each\n"
	     "section shows 50 lines at most and says how many more there are.\n"
	     "A manager sees its own agenda; a head its own, a user's of its\n"
	     "branches (--user) or one of its branches (--branch); the owner\n"
	     "anyone's. Every client named counts once against your daily quota\n"
	     "of clients listed.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka agenda\n"
	     "  kartoteka agenda --branch Центр --quiet-days 60\n"
	     "  kartoteka task done 7\n") },
	{ NULL, NULL, NULL, NULL, NULL },
};
