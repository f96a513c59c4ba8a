/* SPDX-License-Identifier: MIT */
/* kartoteka commands about sessions and failed logins: the owner's
 * `user unlock`, which clears a login's failure counts and lockouts on
 * every terminal. */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"

static const void *
pick_user(const Kartoteka__Response *resp)
{
	return resp->user->user;
}

static void
json_user(const void *obj)
{
	cli_json_user(obj);
}

static void
text_unlocked(const void *obj, const void *arg)
{
	const Kartoteka__UserInfo *u = obj;
	char c1[256];

	(void)arg;
	printf(_("Unlocked %s: failed logins forgotten on every terminal.\n"),
	    cli_clean(c1, sizeof(c1), u->login));
}

static const cli_show_t unlock_show = {
	.sh_want = KARTOTEKA__RESPONSE__RESULT_USER,
	.sh_pick = pick_user,
	.sh_missing = N_("an unlock answer without a user"),
	.sh_json_key = "user",
	.sh_json = json_user,
	.sh_text = text_unlocked,
};

static int
cmd_user_unlock(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__UserUnlockRequest r = KARTOTEKA__USER_UNLOCK_REQUEST__INIT;
	int rc;

	rc = cli_parse_args(cli, argc, argv, NULL, 0, pos, 1, 1, "LOGIN");
	if (rc != 0)
		return cli_parsed(rc);
	r.login = (char *)pos[0];
	req.op_case = KARTOTEKA__REQUEST__OP_USER_UNLOCK;
	req.user_unlock = &r;
	return cli_show(cli, &req, &unlock_show, NULL);
}

const cli_command_t cli_commands_session[] = {
	{ "user unlock", cmd_user_unlock, N_("user unlock LOGIN"),
	  N_("forget a login's failed attempts on every terminal, ending its "
	     "lockouts (owner)"),
	  N_("Failed logins are counted per login and terminal; after too "
	     "many the login is\nlocked on that terminal for a while. This "
	     "ends every such lock at once.\nThe server can do the same "
	     "offline: kartotekad user unlock --data DIR LOGIN.\n"
	     "Example:\n"
	     "  kartoteka user unlock anna\n") },
	{ NULL, NULL, NULL, NULL, NULL },
};
