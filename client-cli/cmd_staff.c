/* SPDX-License-Identifier: MIT */
/* kartoteka user offboard|restrict: staff control for the owner. A user
 * under notice (restrict) works read-only with contacts hidden; an
 * offboarding is one step on the server (disable, sessions and
 * connections ended, every client given to another user, one audit
 * entry), printed with the leaver's activity of the last 30 days. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "cmd_audit.h"

static void
json_user(const Kartoteka__UserInfo *u)
{
	printf("{\"id\":%" PRIu64, u->id);
	cli_json_key("login");
	cli_json_str(stdout, u->login);
	cli_json_key("role");
	cli_json_str(stdout, cli_role_name(u->role));
	cli_json_key("disabled");
	fputs(u->disabled ? "true" : "false", stdout);
	cli_json_key("restricted");
	fputs(u->restricted ? "true" : "false", stdout);
	fputc('}', stdout);
}

static int
login_arg_ok(const char *s)
{
	return cli_proto_string_ok(s, 65) && s[0] != '\0';
}

static int
cmd_user_offboard(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *to = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--to", .ao_value = &to },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__UserOffboardRequest r =
	    KARTOTEKA__USER_OFFBOARD_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	const Kartoteka__UserOffboardResponse *ob;
	char login[80], tologin[80];
	unsigned long long ns, nc;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 1, pos, 1, 1, "LOGIN");
	if (rc != 0)
		return cli_parsed(rc);
	if (!login_arg_ok(pos[0]))
		return cli_usage_error(cli, _("LOGIN must be a login"));
	if (to == NULL || !login_arg_ok(to))
		return cli_usage_error(cli, _("--to LOGIN is required: who gets "
		    "the clients"));
	r.login = (char *)pos[0];
	r.to = (char *)to;
	req.op_case = KARTOTEKA__REQUEST__OP_USER_OFFBOARD;
	req.user_offboard = &r;
	rc = cli_session_request(cli, &req,
	    KARTOTEKA__RESPONSE__RESULT_USER_OFFBOARD, &resp);
	if (rc != 0)
		return rc;
	ob = resp->user_offboard;
	if (ob->user == NULL) {
		rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
		    _("the server at %s sent an offboarding without its user"),
		    cli->cli_cfg.address);
		goto out;
	}
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("user");
		json_user(ob->user);
		cli_json_key("to");
		cli_json_str(stdout, ob->to);
		cli_json_key("clients_reassigned");
		printf("%" PRIu64, ob->clients_reassigned);
		cli_json_key("sessions_ended");
		printf("%" PRIu64, ob->sessions_ended);
		if (ob->summary != NULL) {
			cli_json_key("summary");
			cli_audit_summary_json(ob->summary);
		}
		cli_json_end();
		goto out;
	}
	cli_clean(login, sizeof(login), ob->user->login);
	ns = ob->sessions_ended;
	nc = ob->clients_reassigned;
	printf(P_("Offboarded %s: disabled, %llu session ended and its "
	    "connection closed,\n", "Offboarded %s: disabled, %llu sessions "
	    "ended and their connections closed,\n", ns), login, ns);
	printf(P_("%llu client now managed by %s.\n",
	    "%llu clients now managed by %s.\n", nc), nc,
	    cli_clean(tologin, sizeof(tologin), ob->to));
	if (ob->summary != NULL) {
		size_t nd = ob->summary->n_days;
		printf(P_("\nActivity of %s, the last %zu day:\n",
		    "\nActivity of %s, the last %zu days:\n", nd), login, nd);
		cli_audit_summary_text(ob->summary);
	} else {
		printf("%s\n", _("(the activity summary could not be read: "
		    "run `kartoteka audit summary --user LOGIN`)"));
	}
out:
	kartoteka__response__free_unpacked(resp, NULL);
	return rc;
}

static int
cmd_user_restrict(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	int lift = 0;
	const cli_opt_t opts[] = {
		{ .ao_name = "--lift", .ao_flag = &lift },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__UserRestrictRequest r =
	    KARTOTEKA__USER_RESTRICT_REQUEST__INIT;
	Kartoteka__Response *resp = NULL;
	const Kartoteka__UserInfo *u;
	char login[80];
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 1, pos, 1, 1, "LOGIN");
	if (rc != 0)
		return cli_parsed(rc);
	if (!login_arg_ok(pos[0]))
		return cli_usage_error(cli, _("LOGIN must be a login"));
	r.login = (char *)pos[0];
	r.lift = lift;
	req.op_case = KARTOTEKA__REQUEST__OP_USER_RESTRICT;
	req.user_restrict = &r;
	rc = cli_session_request(cli, &req, KARTOTEKA__RESPONSE__RESULT_USER,
	    &resp);
	if (rc != 0)
		return rc;
	if ((u = resp->user->user) == NULL) {
		rc = cli_fail(cli, CLI_EXIT_CONNECT, "PROTOCOL", NULL,
		    _("the server at %s sent a user answer without a user"),
		    cli->cli_cfg.address);
		goto out;
	}
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("user");
		json_user(u);
		cli_json_end();
	} else if (u->restricted) {
		printf(_("%s is restricted (notice period): lists only, "
		    "contacts masked,\nno full cards and no changes, until "
		    "`kartoteka user offboard` or --lift.\n"),
		    cli_clean(login, sizeof(login), u->login));
	} else {
		printf(_("%s is no longer restricted.\n"),
		    cli_clean(login, sizeof(login), u->login));
	}
out:
	kartoteka__response__free_unpacked(resp, NULL);
	return rc;
}

const cli_command_t cli_commands_staff[] = {
	{ "user offboard", cmd_user_offboard,
	  N_("user offboard LOGIN --to LOGIN2"),
	  N_("offboard a user in one step (owner only)"),
	  N_("In one transaction on the server: LOGIN is disabled, their\n"
	     "sessions end and their open connections close, every client\n"
	     "they manage goes to LOGIN2, and one audit entry (user.offboard)\n"
	     "records the counts. LOGIN2 must work in the branch of each of\n"
	     "those clients (or be the owner); if one client cannot go to\n"
	     "LOGIN2, nothing at all is changed and the error names the\n"
	     "branch and the clients. Then prints LOGIN's activity of the\n"
	     "last 30 days.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka user offboard masha --to vera\n") },
	{ "user restrict", cmd_user_restrict, N_("user restrict LOGIN [--lift]"),
	  N_("notice period: LOGIN reads lists only (owner only)"),
	  N_("A restricted head or manager keeps lists and searches, masked,\n"
	     "and loses full cards and every change, until the owner lifts it\n"
	     "(--lift) or offboards them. Each refusal is audited. `user\n"
	     "list` shows the state.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka user restrict masha\n") },
	{ NULL, NULL, NULL, NULL, NULL },
};
