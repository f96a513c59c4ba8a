/* SPDX-License-Identifier: MIT */
/* The owner's alerts: `kartoteka alerts` lists the open ones (all with
 * --all), `--ack ID` acknowledges one. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void
json_alert(const void *obj)
{
	const Kartoteka__Alert *a = obj;

	printf("{\"id\":%" PRIu64 ",\"time_ms\":%" PRId64, a->id, a->time_ms);
	cli_json_key("kind");
	cli_json_str(stdout, a->kind);
	cli_json_key("what");
	cli_json_str(stdout, a->what);
	cli_json_key("user");
	cli_json_str(stdout, a->user);
	cli_json_key("terminal");
	cli_json_str(stdout, a->terminal);
	printf(",\"client_id\":%" PRIu64 ",\"other_client_id\":%" PRIu64
	    ",\"count\":%" PRIu64 ",\"limit\":%" PRIu64, a->client_id,
	    a->other_client_id, a->count, a->limit);
	cli_json_key("detail");
	cli_json_str(stdout, a->detail);
	printf(",\"acked_at\":%" PRId64, a->acked_at);
	cli_json_key("acked_by");
	cli_json_str(stdout, a->acked_by);
	fputc('}', stdout);
}

static size_t
alert_page(const Kartoteka__Response *resp, ProtobufCBinaryData *next)
{
	*next = resp->alert_list->next_cursor;
	return resp->alert_list->n_alerts;
}

static const void *
alert_row(const Kartoteka__Response *resp, size_t i)
{
	return resp->alert_list->alerts[i];
}

static int
alert_add_row(cli_table_t *t, const void *obj)
{
	const Kartoteka__Alert *a = obj;
	char id[24], when[64], who[160], count[48];
	const char *row[6];

	snprintf(id, sizeof(id), "%" PRIu64 "%s", a->id,
	    a->acked_at ? "*" : "");
	cli_fmt_time(when, sizeof(when), a->time_ms / 1000);
	snprintf(who, sizeof(who), "%s%s%s", cli_str(a->user),
	    a->user && a->user[0] && a->terminal && a->terminal[0] ? " @ " :
	    "", cli_str(a->terminal));
	if (a->limit)
		snprintf(count, sizeof(count), "%" PRIu64 "/%" PRIu64,
		    a->count, a->limit);
	else if (a->count)
		snprintf(count, sizeof(count), "%" PRIu64, a->count);
	else
		count[0] = '\0';
	row[0] = id;
	row[1] = when;
	row[2] = a->kind;
	row[3] = who;
	row[4] = count;
	row[5] = a->detail;
	return cli_table_add(t, row);
}

static const char *const alert_header[] = {
	N_("ID"), N_("TIME"), N_("KIND"), N_("USER @ TERMINAL"), N_("COUNT"),
	N_("DETAIL"),
};

static const cli_list_t alert_list = {
	.ls_want = KARTOTEKA__RESPONSE__RESULT_ALERT_LIST,
	.ls_page = alert_page,
	.ls_row = alert_row,
	.ls_json_key = "alerts",
	.ls_json = json_alert,
	.ls_ncols = 6,
	.ls_header = alert_header,
	.ls_add_row = alert_add_row,
	.ls_empty = N_("No open alerts."),
};

static const void *
pick_alert(const Kartoteka__Response *resp)
{
	return resp->alert->alert;
}

static void
text_alert(const void *obj, const void *arg)
{
	const Kartoteka__Alert *a = obj;

	(void)arg;
	printf(_("Acknowledged alert %llu (%s).\n"),
	    (unsigned long long)a->id, a->kind);
}

static const cli_show_t alert_show = {
	.sh_want = KARTOTEKA__RESPONSE__RESULT_ALERT,
	.sh_pick = pick_alert,
	.sh_missing = N_("an alert answer without the alert"),
	.sh_json_key = "alert",
	.sh_json = json_alert,
	.sh_text = text_alert,
};

static int
cmd_alerts(cli_t *cli, int argc, char **argv)
{
	const char *ack = NULL;
	int all = 0;
	const cli_opt_t opts[] = {
		{ .ao_name = "--all", .ao_flag = &all },
		{ .ao_name = "--ack", .ao_value = &ack },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__AlertListRequest r = KARTOTEKA__ALERT_LIST_REQUEST__INIT;
	Kartoteka__AlertAckRequest k = KARTOTEKA__ALERT_ACK_REQUEST__INIT;
	char *end = NULL;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 2, NULL, 0, 0, "");
	if (rc != 0)
		return cli_parsed(rc);
	if (ack != NULL) {
		unsigned long long v;
		if (all)
			return cli_usage_error(cli, _("--ack and --all do not "
			    "go together"));
		v = strtoull(ack, &end, 10);
		if (ack[0] < '1' || ack[0] > '9' || *end != '\0' || v == 0)
			return cli_usage_error(cli, _("--ack: expected an "
			    "alert id (a positive number)"));
		k.id = v;
		req.op_case = KARTOTEKA__REQUEST__OP_ALERT_ACK;
		req.alert_ack = &k;
		return cli_show(cli, &req, &alert_show, NULL);
	}
	r.all = all;
	req.op_case = KARTOTEKA__REQUEST__OP_ALERT_LIST;
	req.alert_list = &r;
	return cli_list(cli, &req, &r.cursor, &alert_list);
}

const cli_command_t cli_commands_alerts[] = {
	{ "alerts", cmd_alerts, N_("alerts [--all] [--ack ID]"),
	  N_("the owner's alerts: quotas, duplicates, logins, exports"),
	  N_("Lists the open alerts, newest first (--all: acknowledged ones\n"
	     "too, their id marked *). Alerts carry ids and counts, never\n"
	     "contacts: `kartoteka client show ID` or `kartoteka audit list`\n"
	     "tell more. --ack ID marks one as dealt with.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka alerts\n"
	     "  kartoteka alerts --ack 17\n") },
	{ NULL, NULL, NULL, NULL, NULL },
};
