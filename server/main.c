/* SPDX-License-Identifier: MIT */
/* kartotekad: command-line entry point (init, run, invite, terminal,
 * audit). Offline commands write through the store directly (LMDB lets
 * them run while the server is up), with the same model functions, rules
 * and audit actions as the protocol's ops. */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "fields.h"
#include "invite.h"
#include "kartoteka.pb-c.h"
#include "keyfile.h"
#include "kt_error.h"
#include "phone.h"
#include "model/audit.h"
#include "model/audit_names.h"
#include "model/bizday.h"
#include "model/branch_store.h"
#include "model/identity.h"
#include "model/migrate.h"
#include "model/session_store.h"
#include "model/terminal_store.h"
#include "model/user_store.h"
#include "net/net.h"
#include "records.pb-c.h"
#include "server.h"
#include "backup_cmd.h"
#include "config_file.h"
#include "log.h"

#define EXIT_USAGE 2
#define INVITE_TTL_S KT_INVITE_TTL_S

/* The configuration file `kartotekad run` reads when --config is not
 * given, if it exists (kartotekad.conf(5)). */
#ifndef KT_DEFAULT_CONFIG
#define KT_DEFAULT_CONFIG "/etc/kartoteka/kartotekad.conf"
#endif

static void
usage(FILE *f)
{
	/* TRANSLATORS: keep every command and option name as it is. */
	fprintf(f, _("usage: kartotekad COMMAND [OPTIONS]\n"
"\n"
"  init --data DIR --owner LOGIN [--password-file FILE] [--advertise HOST:PORT]\n"
"        create the store and server keys, the owner, and print an invite\n"
"        code for the owner's first terminal (last line of output)\n"
"  run [--config FILE] --data DIR [--listen HOST:PORT] [--max-connections N]\n"
"        [--handshake-timeout MS] [--idle-timeout MS] [--session-ttl S]\n"
"        [--login-delay-after N] [--login-delay-max MS]\n"
"        [--lockout-after N] [--lockout-seconds S] [--stop-grace MS]\n"
"        [--enroll-failures-per-minute N] [--phone-country CODE]\n"
"        [--time-zone ZONE] [--alert-command CMD] [--session-idle DURATION]\n"
"        serve (default 127.0.0.1:7700; port 0 picks a free port and the\n"
"        first line printed is `listening on HOST:PORT`); --phone-country\n"
"        is the calling code put before phones typed without '+' (7);\n"
"        --time-zone (e.g. Europe/Moscow; default the system's) is that of\n"
"        branches without their own: quotas reset at its midnight;\n"
"        --alert-command runs `sh -c CMD` for each alert for the owner,\n"
"        the alert as JSON on its standard input (docs/ADMIN.md);\n"
"        --session-idle ends a login session unused that long (90s, 15m,\n"
"        2h; default 15m on branch terminals, 2h on owner terminals; not\n"
"        --idle-timeout, which closes a quiet connection)\n"
"        [--backup-dir DIR --backup-passphrase-file FILE\n"
"         [--backup-every DURATION] [--backup-keep N]]\n"
"        scheduled encrypted backups into DIR (every 24h, the newest 14\n"
"        kept; the first one an interval after the newest in DIR), an\n"
"        alert for the owner when one fails or is late (docs/BACKUP.md)\n"
"        [--log-level LEVEL]  error, warning, notice, info (default) or\n"
"        debug: the lowest level of the lines on stderr (with the\n"
"        journal's <N> prefix when stderr is the journal)\n"
"        [--max-store-size SIZE]  cap the store at SIZE (512M, 2G): past\n"
"        it changes, views and lists are refused (\"the server's disk is\n"
"        full\"), logins still work, the owner gets an alert\n"
"        (docs/SAFETY.md)\n"
"        --config FILE (default %s, read when it\n"
"        exists): `key = value` lines, the keys these options without\n"
"        \"--\"; the command line wins (kartotekad.conf(5))\n"
"  invite --data DIR [--branch NAME] [--advertise HOST:PORT] [--ttl S]\n"
"        (--ttl 0 makes an already expired invite, for tests)\n"
"        print a new single-use invite code (valid 24 h); --branch creates\n"
"        the branch if it does not exist yet\n"
"  terminal list --data DIR\n"
"  terminal revoke --data DIR KEY-PREFIX|NAME\n"
"        revoke a terminal; its open connections close within a second\n"
"  user unlock --data DIR LOGIN\n"
"        forget the failed logins of LOGIN on every terminal, ending its\n"
"        lockouts (works while the server runs; audited)\n"
"  audit verify --data DIR [--checkpoint FILE]\n"
"        exit 0 when the audit chain is intact, else 1 and the first bad\n"
"        sequence number; FILE is a checkpoint saved by `audit checkpoint`\n"
"        or `kartoteka audit checkpoint` (docs/ADMIN.md)\n"
"  audit checkpoint --data DIR --out FILE\n"
"        save a signed checkpoint of the chain to keep elsewhere\n"
"  audit tail --data DIR [--count N]\n"
"        print the last N entries (20), oldest first, whole: seq, time\n"
"        (UTC), login, action, object, outcome, detail, [at 'terminal'\n"
"        (branch)] (works while the server runs)\n"
"  backup --data DIR --out FILE --passphrase-file FILE\n"
"        write an encrypted backup of the store and the server's keys\n"
"        (works while the server runs; audited; FILE must not exist)\n"
"  backup verify FILE --passphrase-file FILE\n"
"        check a backup without restoring it: decrypt, open, verify the\n"
"        audit chain (in a temporary directory under $TMPDIR)\n"
"  restore --from FILE --data DIR --passphrase-file FILE [--old OLDDIR]\n"
"        restore a backup into a new or empty DIR, verify it, audit it\n"
"        and list its users and terminals to review (docs/BACKUP.md);\n"
"        with --old, also what the replaced store OLDDIR changed since\n"
"        (terminals revoked or enrolled, users disabled, added or given\n"
"        a new password), read only; the first start raises an alert\n"
"\n"
"example:\n"
"  kartotekad init --data /var/lib/kartoteka --owner anna --advertise 10.0.0.5:7700\n"
"  kartotekad run --data /var/lib/kartoteka --listen 0.0.0.0:7700\n"),
	    KT_DEFAULT_CONFIG);
}

enum {
	OPT_DATA = 256, OPT_OWNER, OPT_PWFILE, OPT_ADVERTISE, OPT_BRANCH,
	OPT_CHECKPOINT, OPT_OUT, OPT_TTL, OPT_LISTEN, OPT_MAXCONN, OPT_HSTO,
	OPT_IDLETO, OPT_SESSTTL, OPT_DELAYAFTER, OPT_DELAYMAX, OPT_LOCKAFTER,
	OPT_LOCKSECS, OPT_STOPGRACE, OPT_ENROLLFAIL, OPT_PHONECC, OPT_TZ, OPT_ALERTCMD, OPT_COUNT, OPT_HELP,
	OPT_SESSIDLE, OPT_PASSFILE, OPT_FROM, OPT_OLD, OPT_BKDIR, OPT_BKEVERY,
	OPT_BKKEEP, OPT_BKPASS, OPT_MAXSTORE, OPT_CONFIG, OPT_LOGLEVEL,
};

/* Options shared by the commands; each command uses what it needs. */
typedef struct cli_opts {
	const char *data;
	const char *owner;
	const char *password_file;
	const char *advertise;
	const char *branch;
	const char *checkpoint;
	const char *out;
	const char *passphrase_file;
	const char *from;
	const char *old;                  /* restore --old */
	int no_data;                      /* backup verify: no --data */
	const char *backup_pass_file;     /* run --backup-passphrase-file */
	int64_t ttl_s;
	size_t count;                     /* audit tail */
	kt_server_opts_t run;
	int nargs;
	char **args;
	const char *config;               /* run --config FILE */
	kt_log_level_t log_level;         /* run --log-level */
	kt_config_file_t *conf;           /* the file read, owning the
					     strings of the options it set;
					     freed by main */
} cli_opts_t;

static const struct option long_opts[] = {
	{ "data", required_argument, NULL, OPT_DATA },
	{ "owner", required_argument, NULL, OPT_OWNER },
	{ "password-file", required_argument, NULL, OPT_PWFILE },
	{ "advertise", required_argument, NULL, OPT_ADVERTISE },
	{ "branch", required_argument, NULL, OPT_BRANCH },
	{ "checkpoint", required_argument, NULL, OPT_CHECKPOINT },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "max-connections", required_argument, NULL, OPT_MAXCONN },
	{ "handshake-timeout", required_argument, NULL, OPT_HSTO },
	{ "idle-timeout", required_argument, NULL, OPT_IDLETO },
	{ "session-ttl", required_argument, NULL, OPT_SESSTTL },
	{ "login-delay-after", required_argument, NULL, OPT_DELAYAFTER },
	{ "login-delay-max", required_argument, NULL, OPT_DELAYMAX },
	{ "lockout-after", required_argument, NULL, OPT_LOCKAFTER },
	{ "lockout-seconds", required_argument, NULL, OPT_LOCKSECS },
	{ "stop-grace", required_argument, NULL, OPT_STOPGRACE },
	{ "enroll-failures-per-minute", required_argument, NULL, OPT_ENROLLFAIL },
	{ "phone-country", required_argument, NULL, OPT_PHONECC },
	{ "time-zone", required_argument, NULL, OPT_TZ },
	{ "alert-command", required_argument, NULL, OPT_ALERTCMD },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "session-idle", required_argument, NULL, OPT_SESSIDLE },
	{ "passphrase-file", required_argument, NULL, OPT_PASSFILE },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "old", required_argument, NULL, OPT_OLD },
	{ "backup-dir", required_argument, NULL, OPT_BKDIR },
	{ "backup-every", required_argument, NULL, OPT_BKEVERY },
	{ "backup-keep", required_argument, NULL, OPT_BKKEEP },
	{ "max-store-size", required_argument, NULL, OPT_MAXSTORE },
	{ "backup-passphrase-file", required_argument, NULL, OPT_BKPASS },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "log-level", required_argument, NULL, OPT_LOGLEVEL },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* The keys of the configuration file: every option of `kartotekad run`
 * but --config itself, spelt as the option without "--". */
static const char *const run_keys[] = {
	"data", "listen", "max-connections", "handshake-timeout",
	"idle-timeout", "session-ttl", "login-delay-after", "login-delay-max",
	"lockout-after", "lockout-seconds", "stop-grace",
	"enroll-failures-per-minute", "phone-country", "time-zone",
	"alert-command", "session-idle", "backup-dir",
	"backup-passphrase-file", "backup-every", "backup-keep",
	"max-store-size", "log-level", NULL,
};

/* Messages about an option name its source as pfx + name: pfx "--" for
 * the command line ("--listen"), "FILE:LINE: " for a line of the
 * configuration file ("/etc/kartoteka/kartotekad.conf:3: listen"). */

/* Parses a decimal number in [min, max] for option name. */
static int
parse_num(const char *pfx, const char *name, const char *s, long long min,
    long long max, long long *out)
{
	char *end = NULL;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, _("kartotekad: %s%s '%s': expected a number from "
		    "%lld to %lld\n"), pfx, name, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* Parses a duration for option name: a number of seconds, or a number
 * followed by s, m or h ("90s", "15m", "2h"), up to 24 hours. */
static int
parse_duration(const char *pfx, const char *name, const char *s,
    int64_t *out)
{
	char *end = NULL;
	long long v, unit = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == 0 && end != s && end != NULL) {
		if (strcmp(end, "s") == 0 || *end == '\0')
			unit = 1;
		else if (strcmp(end, "m") == 0)
			unit = 60;
		else if (strcmp(end, "h") == 0)
			unit = 3600;
		else
			unit = 0;
	}
	if (errno || end == s || unit == 0 || v < 1 || v > 86400 / unit) {
		fprintf(stderr, _("kartotekad: %s%s '%.32s': expected a duration "
		    "from 1 second to 24 hours: seconds, or a number with s, m "
		    "or h (90s, 15m, 2h)\n"), pfx, name, s);
		return -1;
	}
	*out = v * unit;
	return 0;
}

/* Parses a size for option name: a number of MiB, or with M or G ("512M",
 * "2G"), from 1 MiB to 1 TiB. */
static int
parse_size_mib(const char *pfx, const char *name, const char *s,
    size_t *out)
{
	char *end = NULL;
	long long v, unit = 0;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == 0 && end != s && end != NULL)
		unit = *end == '\0' || strcmp(end, "M") == 0 ? 1 :
		    strcmp(end, "G") == 0 ? 1024 : 0;
	if (errno || end == s || unit == 0 || v < 1 ||
	    v > (1024LL * 1024) / unit) {
		fprintf(stderr, _("kartotekad: %s%s '%.32s': expected a size from "
		    "1M to 1024G: a number of MiB, or with M or G (512M, 2G)\n"),
		    pfx, name, s);
		return -1;
	}
	*out = (size_t)(v * unit) << 20;
	return 0;
}

/* A country calling code: 1 to 3 digits, the first not 0 ("7", "49",
 * "380"), that some country has (libphonenumber's plans: its national
 * numbers are read by that country's rules). */
static int
check_phone_country(const char *pfx, const char *s)
{
	size_t n = strlen(s);

	if (n >= 1 && n <= 3 && strspn(s, "0123456789") == n && s[0] != '0') {
		if (kt_phone_plan_cc_known(s))
			return 0;
		fprintf(stderr, _("kartotekad: %sphone-country '%s': no country "
		    "has calling code +%s\n"), pfx, s, s);
		return -1;
	}
	fprintf(stderr, _("kartotekad: %sphone-country '%.16s': expected a "
	    "country calling code of 1 to 3 digits without '+', e.g. 7 or "
	    "49\n"), pfx, s);
	return -1;
}

/* Sets option id (OPT_*) to arg, checked as its option; the one code
 * path of the command line and the configuration file, pfx saying which
 * (see above). arg is kept, not copied: the caller keeps it alive.
 * Returns 0 or -1 (printed). */
static int
apply_opt(cli_opts_t *o, int id, const char *arg, const char *pfx)
{
	long long v;

	switch (id) {
	case OPT_DATA: o->data = arg; break;
	case OPT_OWNER: o->owner = arg; break;
	case OPT_PWFILE: o->password_file = arg; break;
	case OPT_ADVERTISE: o->advertise = arg; break;
	case OPT_BRANCH: o->branch = arg; break;
	case OPT_CHECKPOINT: o->checkpoint = arg; break;
	case OPT_OUT: o->out = arg; break;
	case OPT_PASSFILE: o->passphrase_file = arg; break;
	case OPT_FROM: o->from = arg; break;
	case OPT_OLD: o->old = arg; break;
	case OPT_CONFIG: o->config = arg; break;
	case OPT_LOGLEVEL:
		if (kt_log_level_parse(arg, &o->log_level) != 0) {
			fprintf(stderr, _("kartotekad: %slog-level '%.16s': expected "
			    "error, warning, notice, info or debug\n"), pfx, arg);
			return -1;
		}
		break;
	case OPT_BKDIR: o->run.backup_dir = arg; break;
	case OPT_BKPASS: o->backup_pass_file = arg; break;
	case OPT_BKEVERY:
		return parse_duration(pfx, "backup-every", arg,
		    &o->run.backup_every_s);
	case OPT_BKKEEP:
		if (parse_num(pfx, "backup-keep", arg, 1, 1000, &v) != 0)
			return -1;
		o->run.backup_keep = (unsigned)v;
		break;
	case OPT_MAXSTORE:
		return parse_size_mib(pfx, "max-store-size", arg,
		    &o->run.max_store_bytes);
	case OPT_LISTEN: {
		struct sockaddr_storage ss;
		if (kt_net_parse_listen(arg, &ss) != 0) {
			fprintf(stderr, _("kartotekad: %slisten '%s': expected "
			    "HOST:PORT with an IP address, e.g. "
			    "127.0.0.1:7700\n"), pfx, arg);
			return -1;
		}
		o->run.listen = arg;
		break;
	}
	case OPT_SESSIDLE:
		return parse_duration(pfx, "session-idle", arg,
		    &o->run.session_idle_s);
	case OPT_TZ: {
		char err[200];
		kt_tz_t *tz = NULL;
		if (kt_tz_load(NULL, arg, &tz, err, sizeof(err)) != 0) {
			fprintf(stderr, _("kartotekad: %stime-zone: %s\n"), pfx,
			    err);
			return -1;
		}
		kt_tz_free(tz);
		o->run.time_zone = arg;
		break;
	}
	case OPT_ALERTCMD: o->run.alert_command = arg; break;
	case OPT_PHONECC:
		if (check_phone_country(pfx, arg) != 0)
			return -1;
		o->run.phone_country = arg;
		break;
#define NUM(opt, name, min, max, field, type)                               \
	case opt:                                                           \
		if (parse_num(pfx, name, arg, min, max, &v) != 0)           \
			return -1;                                          \
		field = (type)v;                                            \
		break;
	NUM(OPT_TTL, "ttl", 0, 30LL * 86400, o->ttl_s, int64_t)
	NUM(OPT_COUNT, "count", 1, 1000000, o->count, size_t)
	NUM(OPT_MAXCONN, "max-connections", 1, 1000000, o->run.max_conns, unsigned)
	NUM(OPT_HSTO, "handshake-timeout", 100, 3600000, o->run.handshake_timeout_ms, unsigned)
	NUM(OPT_IDLETO, "idle-timeout", 1000, 86400000, o->run.idle_timeout_ms, unsigned)
	NUM(OPT_SESSTTL, "session-ttl", 60, 90LL * 86400, o->run.session_ttl_s, int64_t)
	NUM(OPT_DELAYAFTER, "login-delay-after", 0, 1000, o->run.login_delay_after, unsigned)
	NUM(OPT_DELAYMAX, "login-delay-max", 0, 600000, o->run.login_delay_max_ms, unsigned)
	NUM(OPT_LOCKAFTER, "lockout-after", 1, 1000, o->run.lockout_after, unsigned)
	NUM(OPT_LOCKSECS, "lockout-seconds", 1, 30LL * 86400, o->run.lockout_s, int64_t)
	NUM(OPT_STOPGRACE, "stop-grace", 0, 3600000, o->run.stop_grace_ms, unsigned)
	NUM(OPT_ENROLLFAIL, "enroll-failures-per-minute", 1, 100000, o->run.enroll_failures_per_min, unsigned)
#undef NUM
	default:
		return -1;
	}
	return 0;
}

/* The OPT_* of the long option name, or -1. */
static int
opt_id(const char *name)
{
	for (const struct option *p = long_opts; p->name != NULL; p++)
		if (strcmp(p->name, name) == 0)
			return p->val;
	return -1;
}

/* kartotekad run: reads --config FILE, or KT_DEFAULT_CONFIG when it
 * exists, into o (every line checked as its option; o->conf keeps the
 * file's strings). Returns 0, 1 when there is no file to read, or -1
 * (printed). */
static int
load_config(cli_opts_t *o, const char *config)
{
	const char *path = config ? config : KT_DEFAULT_CONFIG;
	char err[512], where[600];
	int rc;

	rc = kt_config_file_read(path, run_keys, &o->conf, err, sizeof(err));
	if (rc == KT_ENOTFOUND && config == NULL)
		return 1;
	if (rc != 0) {
		fprintf(stderr, _("kartotekad: %s\n"), err);
		return -1;
	}
	for (size_t i = 0; i < o->conf->n; i++) {
		const kt_config_entry_t *e = &o->conf->entries[i];

		snprintf(where, sizeof(where), "%s:%u: ", path, e->line);
		/* run_keys are long options, so opt_id finds each. */
		assert(opt_id(e->key) >= 0);
		if (apply_opt(o, opt_id(e->key), e->value, where) != 0)
			return -1;
	}
	return 0;
}

/* Applies the options of the command line to o. Returns 0 or -1
 * (printed); --help prints the usage and exits. */
static int
apply_argv(int argc, char **argv, cli_opts_t *o)
{
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (ch == 'h' || ch == OPT_HELP) {
			usage(stdout);
			exit(0);
		}
		if (apply_opt(o, ch, optarg, "--") != 0)
			return -1;
	}
	o->nargs = argc - optind;
	o->args = argv + optind;
	return 0;
}

static void
opts_default(cli_opts_t *o)
{
	kt_server_opts_default(&o->run);
	o->ttl_s = INVITE_TTL_S;
	o->count = 20;
	o->log_level = KT_LOG_INFO;
}

/* Parses the command line of cmd (after its subcommand); for run, the
 * configuration file first, then the command line over it, so that
 * flags win and every line of the file is checked. Returns 0 or -1
 * (printed). */
static int
parse_opts(const char *cmd, int argc, char **argv, cli_opts_t *o)
{
	int run = strcmp(cmd, "run") == 0;

	opts_default(o);
	if (apply_argv(argc, argv, o) != 0)   /* checked, and --config found */
		return -1;
	if (o->config != NULL && !run) {
		fprintf(stderr, _("kartotekad: --config is an option of "
		    "`kartotekad run` only\n"));
		return -1;
	}
	if (run) {
		const char *config = o->config;
		int no_data = o->no_data;

		memset(o, 0, sizeof(*o));
		o->no_data = no_data;
		opts_default(o);
		if (load_config(o, config) < 0 ||
		    apply_argv(argc, argv, o) != 0)
			return -1;
	}
	if (o->data == NULL && !o->no_data) {
		fprintf(stderr, run ? _("kartotekad: --data DIR is required (or "
		    "`data = DIR` in the configuration file)\n") :
		    _("kartotekad: --data DIR is required\n"));
		return -1;
	}
	o->run.data_dir = o->data;
	return 0;
}

/* ------------------------------------------------------------------ */
/* passwords                                                           */
/* ------------------------------------------------------------------ */

/* Reads one line without echo from /dev/tty. Returns 0 or -1. */
static int
prompt_tty(const char *prompt, char *buf, size_t cap)
{
	FILE *tty = fopen("/dev/tty", "r+");
	struct termios old, quiet;
	int rc = -1;

	if (tty == NULL)
		return -1;
	fputs(prompt, tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) != 0)
		goto out;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	if (fgets(buf, (int)cap, tty) != NULL) {
		buf[strcspn(buf, "\r\n")] = '\0';
		rc = 0;
	}
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputs("\n", tty);
out:
	fclose(tty);
	return rc;
}

/* Reads the first line of path (the file of option opt) into buf.
 * Returns 0 or -1 (printed): a missing or empty file, or, unless
 * allow_empty, an empty first line. */
static int
read_secret_file(const char *opt, const char *path, char *buf, size_t cap,
    int allow_empty)
{
	FILE *f = fopen(path, "r");
	int rc = -1;

	if (f == NULL) {
		fprintf(stderr, _("kartotekad: %s %s: %s\n"), opt, path,
		    strerror(errno));
		return -1;
	}
	if (fgets(buf, (int)cap, f) != NULL) {
		buf[strcspn(buf, "\r\n")] = '\0';
		rc = buf[0] != '\0' || allow_empty ? 0 : -1;
	}
	if (rc != 0)
		fprintf(stderr, _("kartotekad: %s %s: empty\n"), opt, path);
	fclose(f);
	return rc;
}

static int
read_password_file(const char *path, char *buf, size_t cap)
{
	return read_secret_file("--password-file", path, buf, cap, 1);
}

/* ------------------------------------------------------------------ */
/* init                                                                */
/* ------------------------------------------------------------------ */

typedef struct init_job {
	const char *owner;
	const char *pwhash;
	const char *advertise;
	const uint8_t *sign_sk;
	int64_t now;
	uint64_t owner_id;                /* [out] */
	kt_verdict_t v;                   /* [out] a refusal of the owner */
} init_job_t;

/* The new store's first entries: the address invites name, the audit's
 * "init", and the owner (the first user, user.add). */
static int
init_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	init_job_t *job = arg;
	kt_actor_t local = { 0, NULL, job->sign_sk };
	kt_user_new_t owner = {
		.login = job->owner, .name = job->owner,
		.role = KARTOTEKA__ROLE__OWNER, .pwhash = job->pwhash,
		.now = job->now,
	};
	int rc;

	if ((rc = kt_invite_set_advertise(txn, kt_store_dbs(st),
	    job->advertise)) != 0 ||
	    (rc = kt_audit_record(st, txn, &local, KT_AUDIT_INIT, "store", 0,
	    KT_SERVER_VERSION)) != 0)
		return rc;
	if ((rc = kt_user_add(st, txn, &local, &owner, &job->owner_id,
	    &job->v)) != 0)
		return rc;
	/* A refusal must not leave a store without its owner. */
	return kt_verdict_is_ok(&job->v) ? 0 : KT_EINVAL;
}

/* Reads the advertised address kept in meta, or the default. */
static void
stored_advertise(kt_store_t *st, char *out, size_t cap)
{
	MDB_txn *txn = NULL;

	snprintf(out, cap, "%s", KT_INVITE_ADVERTISE_DEFAULT);
	if (kt_store_read_begin(st, &txn) != 0)
		return;
	kt_invite_advertise(txn, kt_store_dbs(st), out, cap);
	kt_store_read_end(st, txn);
}

typedef struct invite_job {
	uint64_t branch;                  /* 0 = owner terminal */
	const char *branch_name;
	int64_t now, ttl_s;
	uint8_t token[32];
	const uint8_t *sign_sk;
} invite_job_t;

static int
invite_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	invite_job_t *job = arg;
	kt_actor_t local = { 0, NULL, job->sign_sk };

	return kt_invite_put(st, txn, &local, job->branch, job->branch_name,
	    job->token, job->now, job->ttl_s);
}

/* Creates an invite for branch and prints its code on stdout. */
static int
issue_invite(kt_store_t *st, const uint8_t static_pub[32],
    const uint8_t *sign_sk, uint64_t branch, const char *branch_name,
    const char *advertise, int64_t ttl_s)
{
	invite_job_t job;
	kt_invite_t inv;
	char code[KT_INVITE_CODE_MAX];
	int rc;

	memset(&job, 0, sizeof(job));
	memset(&inv, 0, sizeof(inv));
	job.branch = branch;
	job.now = kt_now_s();
	job.ttl_s = ttl_s;
	job.sign_sk = sign_sk;
	job.branch_name = branch_name;
	randombytes_buf(job.token, sizeof(job.token));
	rc = kt_store_write_sync(st, invite_mut, &job);
	if (rc != 0) {
		fprintf(stderr, _("kartotekad: cannot store the invite: %s\n"),
		    kt_strerror(rc));
		goto out;
	}
	snprintf(inv.address, sizeof(inv.address), "%s", advertise);
	memcpy(inv.server_key, static_pub, 32);
	memcpy(inv.token, job.token, sizeof(job.token));
	inv.token_len = sizeof(job.token);
	snprintf(inv.branch, sizeof(inv.branch), "%s", branch_name);
	inv.expires_at = job.now + ttl_s;
	rc = kt_invite_encode(&inv, code, sizeof(code));
	if (rc != 0) {
		fprintf(stderr, _("kartotekad: cannot encode the invite: %s\n"),
		    kt_strerror(rc));
		goto out;
	}
	printf("%s\n", code);
	fflush(stdout);
out:
	sodium_memzero(&job, sizeof(job));
	sodium_memzero(&inv, sizeof(inv));
	sodium_memzero(code, sizeof(code));
	return rc;
}

static int
check_address(const char *what, const char *s)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	long long port;

	if (colon == NULL || colon == s ||
	    parse_num("--", what, colon + 1, 1, 65535, &port) != 0) {
		fprintf(stderr, _("kartotekad: --%s '%s': expected HOST:PORT\n"),
		    what, s ? s : "");
		return -1;
	}
	return 0;
}

static int
data_file_exists(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* Undoes a failed init, so that running it again works. */
static void
remove_init_files(const char *dir)
{
	static const char *const names[] = { KT_SERVER_KEY_FILE,
		KT_SIGN_KEY_FILE, "data.mdb", "lock.mdb" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
}

static int
cmd_init(cli_opts_t *o)
{
	char path[PATH_MAX];
	char pw[1026], pw2[1026];
	char pwhash[crypto_pwhash_STRBYTES];
	uint8_t spriv[32], spub[32], ssk[64], spk[32];
	kt_store_t *st = NULL;
	init_job_t job;
	const char *why, *adv = o->advertise ? o->advertise : "127.0.0.1:7700";
	int rc = 1, created = 0;

	memset(pw, 0, sizeof(pw));
	memset(pw2, 0, sizeof(pw2));
	if (o->owner == NULL) {
		fprintf(stderr, _("kartotekad init: --owner LOGIN is required\n"));
		return EXIT_USAGE;
	}
	if ((why = kt_identity_login_problem(o->owner)) != NULL) {
		fprintf(stderr, _("kartotekad init: --owner '%s': %s\n"), o->owner,
		    why);
		return EXIT_USAGE;
	}
	if (check_address("advertise", adv) != 0)
		return EXIT_USAGE;
	if (o->password_file) {
		if (read_password_file(o->password_file, pw, sizeof(pw)) != 0)
			return EXIT_USAGE;
	} else {
		if (prompt_tty("Owner password: ", pw, sizeof(pw)) != 0 ||
		    prompt_tty("Repeat password: ", pw2, sizeof(pw2)) != 0) {
			fprintf(stderr, _("kartotekad init: no terminal to ask "
			    "for the password: use --password-file FILE\n"));
			return EXIT_USAGE;
		}
		if (strcmp(pw, pw2) != 0) {
			fprintf(stderr, _("kartotekad init: the passwords differ\n"));
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if ((why = kt_identity_password_problem(pw)) != NULL) {
		fprintf(stderr, _("kartotekad init: password: %s\n"), why);
		rc = EXIT_USAGE;
		goto out;
	}
	if (kt_mkdir_p(o->data, 0700) != 0) {
		fprintf(stderr, _("kartotekad init: cannot create %s: %s\n"),
		    o->data, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", o->data, KT_SERVER_KEY_FILE);
	if (access(path, F_OK) == 0 || data_file_exists(o->data, "data.mdb")) {
		fprintf(stderr, _("kartotekad init: %s already holds a store; "
		    "refusing to overwrite it\n"), o->data);
		goto out;
	}
	created = 1; /* from here on, a failure removes what init made */
	kt_keypair_x25519(spub, spriv);
	crypto_sign_keypair(spk, ssk);
	if (kt_keyfile_write(path, spriv, 32, 1) != 0) {
		fprintf(stderr, _("kartotekad init: cannot write %s: %s\n"), path,
		    strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", o->data, KT_SIGN_KEY_FILE);
	if (kt_keyfile_write(path, ssk, 64, 1) != 0) {
		fprintf(stderr, _("kartotekad init: cannot write %s: %s\n"), path,
		    strerror(errno));
		goto out;
	}
	if ((rc = kt_store_open(&st, o->data, KT_STORE_CREATE)) != 0) {
		fprintf(stderr, _("kartotekad init: cannot create the store: %s\n"),
		    kt_strerror(rc));
		rc = 1;
		goto out;
	}
	if (kt_identity_hash_password(pwhash, pw) != 0) {
		fprintf(stderr, _("kartotekad init: out of memory hashing\n"));
		rc = 1;
		goto out;
	}
	memset(&job, 0, sizeof(job));
	job.owner = o->owner;
	job.pwhash = pwhash;
	job.advertise = adv;
	job.sign_sk = ssk;
	job.now = kt_now_s();
	if ((rc = kt_store_write_sync(st, init_mut, &job)) != 0) {
		if (!kt_verdict_is_ok(&job.v))
			fprintf(stderr, _("kartotekad init: %s\n"), job.v.msg);
		else
			fprintf(stderr, _("kartotekad init: cannot write the "
			    "store: %s\n"), kt_strerror(rc));
		rc = 1;
		goto out;
	}
	printf(_("Created the store in %s\n"), o->data);
	printf(_("Owner: %s\n"), o->owner);
	printf(_("Server key: "));
	for (int i = 0; i < 32; i++)
		printf("%02x", spub[i]);
	printf(_("\nInvite code for the owner's first terminal (single use, "
	    "valid 24 h):\n"));
	rc = issue_invite(st, spub, ssk, 0, "", adv, INVITE_TTL_S) == 0 ? 0 : 1;
out:
	kt_store_close(st);
	if (rc != 0 && created)
		remove_init_files(o->data);
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(pw2, sizeof(pw2));
	sodium_memzero(spriv, sizeof(spriv));
	sodium_memzero(ssk, sizeof(ssk));
	return rc;
}

/* ------------------------------------------------------------------ */
/* invite, branches                                                    */
/* ------------------------------------------------------------------ */

typedef struct branch_job {
	const char *name;
	const uint8_t *sign_sk;
	uint64_t id;        /* [out] */
	int created;        /* [out] */
	kt_verdict_t v;     /* [out] a refusal of the new branch */
} branch_job_t;

/* Finds branch name, adding it when missing (branch.add, with the rules
 * of the protocol's branch add) in the same transaction. */
static int
branch_find_or_add_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	branch_job_t *job = arg;
	kt_actor_t local = { 0, NULL, job->sign_sk };
	int rc;

	job->created = 0;
	kt_verdict_ok(&job->v);
	rc = kt_branch_id(txn, kt_store_dbs(st), job->name, &job->id);
	if (rc != KT_ENOTFOUND)
		return rc;
	if ((rc = kt_branch_add(st, txn, &local, job->name, "", &job->id,
	    &job->v)) != 0)
		return rc;
	job->created = kt_verdict_is_ok(&job->v);
	return 0;
}

static int
open_with_keys(const cli_opts_t *o, kt_store_t **st, uint8_t spriv[32],
    uint8_t spub[32], uint8_t ssk[64], uint8_t spk[32])
{
	int rc = kt_identity_load_keys(o->data, spriv, spub, ssk, spk);

	if (rc != 0) {
		fprintf(stderr, _("kartotekad: cannot read the server keys in %s: "
		    "%s\n"), o->data, kt_strerror(rc));
		return rc;
	}
	return kt_migrate_open_report(st, o->data, 0, "kartotekad");
}

static int
cmd_invite(cli_opts_t *o)
{
	uint8_t spriv[32], spub[32], ssk[64], spk[32];
	kt_store_t *st = NULL;
	char adv[256];
	branch_job_t bj;
	int rc = 1;

	if (open_with_keys(o, &st, spriv, spub, ssk, spk) != 0)
		goto out;
	if (o->advertise) {
		if (check_address("advertise", o->advertise) != 0) {
			rc = EXIT_USAGE;
			goto out;
		}
		snprintf(adv, sizeof(adv), "%s", o->advertise);
	} else {
		stored_advertise(st, adv, sizeof(adv));
	}
	memset(&bj, 0, sizeof(bj));
	if (o->branch) {
		const char *why = kt_text_problem(o->branch, 1, KT_NAME_MAX, 0);
		if (why != NULL) {
			fprintf(stderr, _("kartotekad invite: --branch: %s\n"),
			    why);
			rc = EXIT_USAGE;
			goto out;
		}
		bj.name = o->branch;
		bj.sign_sk = ssk;
		if (kt_store_write_sync(st, branch_find_or_add_mut, &bj) != 0) {
			fprintf(stderr, _("kartotekad invite: cannot store the "
			    "branch\n"));
			goto out;
		}
		if (!kt_verdict_is_ok(&bj.v)) {
			fprintf(stderr, _("kartotekad invite: --branch: %s\n"),
			    bj.v.msg);
			goto out;
		}
		if (bj.created)
			fprintf(stderr, _("created branch '%s'\n"), o->branch);
	}
	rc = issue_invite(st, spub, ssk, bj.id, o->branch ? o->branch : "",
	    adv, o->ttl_s) == 0 ? 0 : 1;
out:
	kt_store_close(st);
	sodium_memzero(spriv, sizeof(spriv));
	sodium_memzero(ssk, sizeof(ssk));
	return rc;
}

/* ------------------------------------------------------------------ */
/* terminals                                                           */
/* ------------------------------------------------------------------ */

/* Prints s left-aligned in width columns, counting UTF-8 code points
 * rather than bytes so Cyrillic names line up. */
static void
print_col(const char *s, int width)
{
	int cols = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			cols++;
	fputs(s, stdout);
	for (; cols < width; cols++)
		putchar(' ');
}

/* The name of branch id for listings: "(owner)" for 0. */
static void
branch_label(kt_store_t *st, MDB_txn *txn, uint64_t id, char *out, size_t cap)
{
	if (id == 0)
		snprintf(out, cap, "(owner)");
	else
		kt_branch_name(txn, kt_store_dbs(st), id, out, cap);
}

static int
cmd_terminal_list(cli_opts_t *o)
{
	kt_store_t *st = NULL;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc;

	if (kt_migrate_open_report(&st, o->data, 0, "kartotekad") != 0)
		return 1;
	if (kt_store_read_begin(st, &txn) != 0 ||
	    mdb_cursor_open(txn, kt_store_dbs(st)->terminals, &cur) != 0) {
		rc = 1;
		goto out;
	}
	printf("%-16s  %-20s  %-16s  %-16s  %s\n", _("KEY"), _("NAME"), _("BRANCH"),
	    _("ENROLLED (UTC)"), _("STATE"));
	while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
		Ktstore__TerminalRecord *t = ktstore__terminal_record__unpack(
		    NULL, v.mv_size, v.mv_data);
		char hex[17], when[32], bname[129];
		time_t ts;
		struct tm tm;
		if (t == NULL)
			continue;
		if (k.mv_size != 32) {
			ktstore__terminal_record__free_unpacked(t, NULL);
			continue;
		}
		kt_hex(hex, k.mv_data, 8);
		ts = (time_t)t->enrolled_at;
		if (gmtime_r(&ts, &tm) == NULL ||
		    strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm) == 0)
			snprintf(when, sizeof(when), "?");
		branch_label(st, txn, t->branch, bname, sizeof(bname));
		printf("%-16s  ", hex);
		print_col(t->name, 20);
		fputs("  ", stdout);
		print_col(bname, 16);
		printf("  %-16s  %s\n", when, t->revoked ? _("revoked") : _("active"));
		ktstore__terminal_record__free_unpacked(t, NULL);
	}
	rc = 0;
out:
	if (cur)
		mdb_cursor_close(cur);
	kt_store_read_end(st, txn);
	kt_store_close(st);
	return rc;
}

typedef struct revoke_job {
	const char *which;    /* hex key prefix or name */
	const uint8_t *sign_sk;
	uint8_t key[32];      /* [out] */
	kt_verdict_t v;       /* [out] a refusal */
} revoke_job_t;

/* The protocol's terminal revoke, as a local command. */
static int
revoke_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	revoke_job_t *job = arg;
	kt_actor_t local = { 0, NULL, job->sign_sk };

	return kt_terminal_revoke(st, txn, &local, job->which, kt_now_s(),
	    job->key, &job->v);
}

static int
cmd_terminal_revoke(cli_opts_t *o)
{
	uint8_t spriv[32], spub[32], ssk[64], spk[32];
	kt_store_t *st = NULL;
	revoke_job_t job;
	int rc = 1;

	if (o->nargs != 1) {
		fprintf(stderr, _("usage: kartotekad terminal revoke --data DIR "
		    "KEY-PREFIX|NAME\n"));
		return EXIT_USAGE;
	}
	if (open_with_keys(o, &st, spriv, spub, ssk, spk) != 0)
		goto out;
	memset(&job, 0, sizeof(job));
	job.which = o->args[0];
	job.sign_sk = ssk;
	rc = kt_store_write_sync(st, revoke_mut, &job);
	if (rc != 0) {
		fprintf(stderr, _("kartotekad: cannot revoke: %s\n"),
		    kt_strerror(rc));
		rc = 1;
	} else if (!kt_verdict_is_ok(&job.v)) {
		fprintf(stderr, _("kartotekad: %s\n"), job.v.msg);
		rc = 1;
	} else {
		char hex[17];
		kt_hex(hex, job.key, 8);
		printf(_("revoked terminal %s ('%s')\n"), hex, job.which);
	}
out:
	kt_store_close(st);
	sodium_memzero(spriv, sizeof(spriv));
	sodium_memzero(ssk, sizeof(ssk));
	return rc;
}

/* ------------------------------------------------------------------ */
/* user unlock                                                         */
/* ------------------------------------------------------------------ */

typedef struct unlock_job {
	const char *login;
	const uint8_t *sign_sk;
	int found;                        /* [out] */
} unlock_job_t;

/* The protocol's user unlock, as a local command. */
static int
unlock_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	unlock_job_t *job = arg;
	kt_actor_t local = { 0, NULL, job->sign_sk };
	kt_user_t u;
	int rc = kt_user_find(txn, kt_store_dbs(st), job->login, &u, NULL);

	job->found = rc == 0;
	if (rc == KT_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	return kt_login_unlock_user(st, txn, &local, job->login, u.id,
	    kt_now_s());
}

static int
cmd_user_unlock(cli_opts_t *o)
{
	uint8_t spriv[32], spub[32], ssk[64], spk[32];
	kt_store_t *st = NULL;
	unlock_job_t job;
	const char *why;
	int rc = 1;

	if (o->nargs != 1) {
		fprintf(stderr, _("usage: kartotekad user unlock --data DIR "
		    "LOGIN\n"));
		return EXIT_USAGE;
	}
	if ((why = kt_identity_login_problem(o->args[0])) != NULL) {
		fprintf(stderr, _("kartotekad: LOGIN '%.64s' %s\n"), o->args[0],
		    why);
		return EXIT_USAGE;
	}
	if (open_with_keys(o, &st, spriv, spub, ssk, spk) != 0)
		goto out;
	memset(&job, 0, sizeof(job));
	job.login = o->args[0];
	job.sign_sk = ssk;
	rc = kt_store_write_sync(st, unlock_mut, &job);
	if (rc != 0) {
		fprintf(stderr, _("kartotekad: cannot unlock: %s\n"),
		    kt_strerror(rc));
		rc = 1;
	} else if (!job.found) {
		fprintf(stderr, _("kartotekad: no user %s\n"), job.login);
		rc = 1;
	} else {
		printf(_("unlocked %s on every terminal\n"), job.login);
	}
out:
	kt_store_close(st);
	sodium_memzero(spriv, sizeof(spriv));
	sodium_memzero(ssk, sizeof(ssk));
	return rc;
}

/* ------------------------------------------------------------------ */
/* audit                                                               */
/* ------------------------------------------------------------------ */

/* What the offline audit reader works with. */
typedef struct audit_reader {
	kt_store_t *st;
	MDB_txn *txn;                     /* for the names */
} audit_reader_t;

static int
cmd_audit_verify(cli_opts_t *o)
{
	uint8_t spriv[32], spub[32], ssk[64], spk[32];
	kt_store_t *st = NULL;
	uint64_t bad = 0, last = 0;
	kt_audit_cp_t cp;
	char why[320];
	int rc;

	/* The checkpoint file first: a file that is not one, or not this
	 * store's, is named as such (not as a broken chain). */
	if (o->checkpoint != NULL &&
	    kt_audit_cp_read(o->checkpoint, &cp, why, sizeof(why)) != 0) {
		fprintf(stderr, _("kartotekad audit verify: --checkpoint %s: %s\n"),
		    o->checkpoint, why);
		return 1;
	}
	if (open_with_keys(o, &st, spriv, spub, ssk, spk) != 0) {
		rc = 1;
		goto out;
	}
	if (o->checkpoint != NULL && !kt_audit_cp_signed_by(&cp, spk)) {
		fprintf(stderr, _("kartotekad audit verify: --checkpoint %s: not "
		    "signed with this store's key (a checkpoint of another "
		    "store, or this store's signing key was replaced)\n"),
		    o->checkpoint);
		rc = 1;
		goto out;
	}
	rc = kt_audit_verify(st, spk, o->checkpoint, &bad, &last);
	if (rc == 0) {
		printf(_("audit chain intact: %" PRIu64 " entries\n"), last);
		if (o->checkpoint != NULL)
			printf(_("it contains the checkpoint of entry %" PRIu64
			    " from %s\n"), cp.seq, o->checkpoint);
	} else if (rc == KT_EAUDIT) {
		printf(_("audit chain broken at entry %" PRIu64 "\n"), bad);
		if (o->checkpoint != NULL && cp.seq > last)
			printf(_("the checkpoint names entry %" PRIu64 ", but "
			    "the chain has %" PRIu64 " intact entries: "
			    "entries were removed from the end\n"), cp.seq,
			    last);
		rc = 1;
	} else {
		fprintf(stderr, _("kartotekad: cannot verify: %s\n"),
		    kt_strerror(rc));
		rc = 1;
	}
out:
	kt_store_close(st);
	sodium_memzero(spriv, sizeof(spriv));
	sodium_memzero(ssk, sizeof(ssk));
	return rc;
}

/* Prints s for a terminal, whole: control characters as '?'. */
static void
put_clean(const char *s)
{
	for (const char *p = s ? s : ""; *p; p++)
		putchar((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
}

/* Prints one audit entry as a line, never cut:
 *   SEQ  DATE TIME  LOGIN  ACTION  OBJECT  OUTCOME  DETAIL  [at TERMINAL]
 * (UTC; LOGIN "-" for a local command). Text fields are the store's, but
 * may quote what a user typed: control characters are shown as '?'. The
 * names are read now, in the reader's own transaction (arg). */
static int
print_audit_entry(const Ktstore__AuditEntry *e, void *arg)
{
	audit_reader_t *rd = arg;
	const ProtobufCEnumValue *code = protobuf_c_enum_descriptor_get_value(
	    &kartoteka__error__code__descriptor, (int)e->outcome);
	time_t t = (time_t)(e->time_ms / 1000);
	char when[32], user[KT_AUDIT_NAME_MAX + 1];
	char term[KT_AUDIT_NAME_MAX + 1], branch[KT_AUDIT_NAME_MAX + 1];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	kt_audit_names(rd->txn, kt_store_dbs(rd->st), e, user, term, branch);
	printf(_("%" PRIu64 "  %s  "), e->seq, when);
	put_clean(e->user_id == 0 ? "-" : user);
	fputs("  ", stdout);
	put_clean(e->action);
	fputs("  ", stdout);
	put_clean(e->object && e->object[0] ? e->object : "-");
	printf("  %s  ", code != NULL ? code->name : "?");
	put_clean(e->detail);
	if (e->terminal_key.len == 32) {
		fputs(_("  [at "), stdout);
		if (term[0] != '\0') {
			putchar('\'');
			put_clean(term);
			putchar('\'');
			if (branch[0] != '\0') {
				fputs(" (", stdout);
				put_clean(branch);
				putchar(')');
			}
		} else {
			fputs(_("terminal "), stdout);
			for (int i = 0; i < 8; i++)
				printf("%02x", e->terminal_key.data[i]);
		}
		putchar(']');
	}
	putchar('\n');
	return 0;
}

/* kartotekad audit tail: the last --count entries, oldest first. */
static int
cmd_audit_tail(cli_opts_t *o)
{
	audit_reader_t rd = { NULL, NULL };
	int rc;

	if (kt_migrate_open_report(&rd.st, o->data, KT_STORE_RDONLY,
	    "kartotekad") != 0)
		return 1;
	/* A second read transaction of this thread for the names (the store
	 * is opened MDB_NOTLS). */
	rc = kt_store_read_begin(rd.st, &rd.txn);
	if (rc == 0)
		rc = kt_audit_tail(rd.st, o->count, print_audit_entry, &rd);
	if (rc != 0)
		fprintf(stderr, _("kartotekad: cannot read the audit log: %s\n"),
		    kt_strerror(rc));
	kt_store_read_end(rd.st, rd.txn);
	kt_store_close(rd.st);
	return rc == 0 ? 0 : 1;
}

static int
cmd_audit_checkpoint(cli_opts_t *o)
{
	uint8_t spriv[32], spub[32], ssk[64], spk[32];
	kt_store_t *st = NULL;
	int rc = 1;

	if (o->out == NULL) {
		fprintf(stderr, _("kartotekad audit checkpoint: --out FILE is "
		    "required\n"));
		return EXIT_USAGE;
	}
	if (open_with_keys(o, &st, spriv, spub, ssk, spk) != 0)
		goto out;
	rc = kt_audit_export_checkpoint(st, ssk, o->out);
	if (rc != 0)
		fprintf(stderr, _("kartotekad: cannot write the checkpoint: %s\n"),
		    kt_strerror(rc));
	else
		printf(_("checkpoint written to %s\n"), o->out);
	rc = rc == 0 ? 0 : 1;
out:
	kt_store_close(st);
	sodium_memzero(spriv, sizeof(spriv));
	sodium_memzero(ssk, sizeof(ssk));
	return rc;
}

/* ------------------------------------------------------------------ */
/* run                                                                 */
/* ------------------------------------------------------------------ */

/* kartotekad run: the scheduled backups' options checked and their
 * passphrase read (kept apart from the backups), then serve. */
static int
cmd_run(cli_opts_t *o)
{
	char pass[1024], dir[4096], pf[4096];
	int rc;

	if ((o->run.backup_dir == NULL) != (o->backup_pass_file == NULL)) {
		fprintf(stderr, _("kartotekad run: --backup-dir and "
		    "--backup-passphrase-file go together\n"));
		return EXIT_USAGE;
	}
	if (o->run.backup_dir != NULL) {
		if (kt_mkdir_p(o->run.backup_dir, 0700) != 0 ||
		    realpath(o->run.backup_dir, dir) == NULL) {
			fprintf(stderr, _("kartotekad run: --backup-dir %s: %s\n"),
			    o->run.backup_dir, strerror(errno));
			return EXIT_USAGE;
		}
		if (realpath(o->backup_pass_file, pf) != NULL &&
		    strncmp(pf, dir, strlen(dir)) == 0 &&
		    pf[strlen(dir)] == '/') {
			fprintf(stderr, _("kartotekad run: --backup-passphrase-file "
			    "%s is inside --backup-dir: whoever takes the "
			    "backups would take the passphrase too; keep it "
			    "elsewhere\n"), o->backup_pass_file);
			return EXIT_USAGE;
		}
		if (read_secret_file("--backup-passphrase-file",
		    o->backup_pass_file, pass, sizeof(pass), 0) != 0)
			return EXIT_USAGE;
		o->run.backup_pass = pass;
		o->run.backup_pass_len = strlen(pass);
	}
	/* From here on the server's lines go through the log (log.h). */
	kt_log_setup(o->log_level, kt_log_stderr_is_journal());
	if (o->conf != NULL)
		kt_log(KT_LOG_INFO, "configuration: %s", o->conf->path);
	kt_log(KT_LOG_DEBUG, "data %s, listen %s, max-connections %u, "
	    "backup-dir %s", o->run.data_dir, o->run.listen, o->run.max_conns,
	    o->run.backup_dir ? o->run.backup_dir : "(none)");
	rc = kt_server_run(&o->run) == 0 ? 0 : 1;
	sodium_memzero(pass, sizeof(pass));
	o->run.backup_pass = NULL; /* pass is this frame's */
	o->run.backup_pass_len = 0;
	return rc;
}

/* ------------------------------------------------------------------ */
/* backup, backup verify, restore                                      */
/* ------------------------------------------------------------------ */

static int
cmd_backup(const char *cmd, const char *sub, cli_opts_t *o)
{
	char pass[1024];
	int verify = sub != NULL, restore = strcmp(cmd, "restore") == 0, rc;

	if (o->passphrase_file == NULL ||
	    (verify ? o->nargs != 1 : o->nargs != 0) ||
	    (!verify && o->data == NULL) ||
	    (!verify && !restore && o->out == NULL) ||
	    (restore && o->from == NULL)) {
		fprintf(stderr, _("usage: kartotekad backup --data DIR --out FILE "
		    "--passphrase-file FILE\n"
		    "       kartotekad backup verify FILE --passphrase-file "
		    "FILE\n"
		    "       kartotekad restore --from FILE --data DIR "
		    "--passphrase-file FILE [--old OLDDIR]\n"));
		return EXIT_USAGE;
	}
	if (read_secret_file("--passphrase-file", o->passphrase_file, pass,
	    sizeof(pass), 0) != 0)
		return EXIT_USAGE;
	if (verify)
		rc = kt_backup_cmd_verify(o->args[0], pass, strlen(pass));
	else if (restore)
		rc = kt_backup_cmd_restore(o->from, o->data, o->old, pass,
		    strlen(pass));
	else
		rc = kt_backup_cmd_make(o->data, o->out, pass, strlen(pass));
	sodium_memzero(pass, sizeof(pass));
	return rc;
}

/* ------------------------------------------------------------------ */
/* root on another user's store                                        */
/* ------------------------------------------------------------------ */

/* Prints s for a shell: as it is when it is plain, else in single
 * quotes. */
static void
put_shell_word(FILE *f, const char *s)
{
	if (s[0] != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+/.,:@%") == strlen(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc((unsigned char)*s < 0x20 ? '?' : *s, f);
	}
	fputc('\'', f);
}

/* As root, a command on a data directory of another user would leave
 * files (lock.mdb, the keys of init, a restored store) that user cannot
 * open, and the service that runs as that user would fail: refuse, and
 * say how to run it (docs/ADMIN.md, "Running as a service"). The owner
 * is that of data, or of its nearest existing parent when data does not
 * exist yet (init, restore). Returns 0 (go on) or -1 (printed). */
static int
refuse_root_on_foreign_store(const char *data, int argc, char **argv)
{
	char path[PATH_MAX];
	struct stat st;
	struct passwd *pw;
	char *slash;

	if (geteuid() != 0 || data == NULL)
		return 0;
	if (snprintf(path, sizeof(path), "%s", data) >= (int)sizeof(path))
		return 0;               /* the command reports the bad path */
	while (stat(path, &st) != 0) {
		if (errno != ENOENT || (slash = strrchr(path, '/')) == NULL) {
			if (errno == ENOENT)
				snprintf(path, sizeof(path), ".");
			else
				return 0;
			continue;
		}
		if (slash == path)
			slash[1] = '\0';  /* "/x" -> "/" */
		else
			*slash = '\0';
	}
	if (st.st_uid == 0)
		return 0;
	pw = getpwuid(st.st_uid);
	fprintf(stderr, _("kartotekad: %s belongs to the user %s%s%u%s; as root "
	    "this command would leave files that %s cannot open\n"
	    "run it as: sudo -u "), path, pw ? pw->pw_name : "",
	    pw ? _(" (uid ") : "", (unsigned)st.st_uid, pw ? ")" : "",
	    pw ? pw->pw_name : _("that user"));
	if (pw != NULL)
		fputs(pw->pw_name, stderr);
	else
		fprintf(stderr, "'#%u'", (unsigned)st.st_uid);
	fputs(_(" kartotekad"), stderr);
	for (int i = 1; i < argc; i++) {
		fputc(' ', stderr);
		put_shell_word(stderr, argv[i]);
	}
	fputc('\n', stderr);
	return -1;
}

int
main(int argc, char **argv)
{
	cli_opts_t o;
	const char *cmd, *sub = NULL;
	int shift = 1;

	/* The offline commands speak the owner's language; `run` stays in
	 * the C locale: its lines go to the journal, and every text it makes
	 * for a client is put into that client's language by the catalogue
	 * (a message formatted in Russian here would reach an English
	 * client in Russian). */
	if (argc < 2 || strcmp(argv[1], "run") != 0)
		kt_i18n_init_messages();
	if (sodium_init() < 0) {
		fprintf(stderr, _("kartotekad: libsodium failed to initialise\n"));
		return 1;
	}
	/* A peer that hangs up while answers are on their way must cost us
	 * an EPIPE on that connection, not the process. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "backup") == 0 && argc >= 3 &&
	    strcmp(argv[2], "verify") == 0) {
		sub = argv[2];
		shift = 2;
	} else if (strcmp(cmd, "terminal") == 0 || strcmp(cmd, "audit") == 0 ||
	    strcmp(cmd, "user") == 0) {
		if (argc < 3) {
			usage(stderr);
			return EXIT_USAGE;
		}
		sub = argv[2];
		shift = 2;
	}
	memset(&o, 0, sizeof(o));
	o.no_data = sub != NULL && strcmp(cmd, "backup") == 0;
	if (parse_opts(cmd, argc - shift, argv + shift, &o) != 0) {
		kt_config_file_free(o.conf);
		return EXIT_USAGE;
	}
	if (refuse_root_on_foreign_store(o.data, argc, argv) != 0) {
		kt_config_file_free(o.conf);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "init") == 0)
		return cmd_init(&o);
	if (strcmp(cmd, "run") == 0) {
		int rc = EXIT_USAGE;
		if (o.nargs != 0)
			fprintf(stderr, _("kartotekad run: unexpected '%s'\n"),
			    o.args[0]);
		else
			rc = cmd_run(&o);
		kt_config_file_free(o.conf);   /* held the options' strings */
		return rc;
	}
	if (strcmp(cmd, "invite") == 0)
		return cmd_invite(&o);
	if (sub && strcmp(cmd, "terminal") == 0 && strcmp(sub, "list") == 0)
		return cmd_terminal_list(&o);
	if (sub && strcmp(cmd, "terminal") == 0 && strcmp(sub, "revoke") == 0)
		return cmd_terminal_revoke(&o);
	if (sub && strcmp(cmd, "user") == 0 && strcmp(sub, "unlock") == 0)
		return cmd_user_unlock(&o);
	if (sub && strcmp(cmd, "audit") == 0 && strcmp(sub, "verify") == 0)
		return cmd_audit_verify(&o);
	if (sub && strcmp(cmd, "audit") == 0 && strcmp(sub, "checkpoint") == 0)
		return cmd_audit_checkpoint(&o);
	if (sub && strcmp(cmd, "audit") == 0 && strcmp(sub, "tail") == 0)
		return cmd_audit_tail(&o);
	if (strcmp(cmd, "backup") == 0 || strcmp(cmd, "restore") == 0)
		return cmd_backup(cmd, sub, &o);
	fprintf(stderr, _("kartotekad: unknown command '%s%s%s'\n"), cmd,
	    sub ? " " : "", sub ? sub : "");
	usage(stderr);
	return EXIT_USAGE;
}
