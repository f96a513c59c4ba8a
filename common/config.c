/* SPDX-License-Identifier: MIT */
/* A terminal's configuration directory: where it is, and reading and
 * writing the terminal key, the server file and the session token. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "invite.h"
#include "keyfile.h"
#include "kt_error.h"

#define N_(s) s /* see invite.c */

#define TERMINAL_FILE "terminal.key"
#define SERVER_FILE "server"
#define SESSION_FILE "session"
#define SERVER_FILE_MAX 4096u
#define PATH_CAP (sizeof(((kt_config_t *)0)->dir) + 32u)

static int
set_why(const char **why, const char *msg, int rc)
{
	if (why != NULL)
		*why = msg;
	return rc;
}

static int
join(char out[static PATH_CAP], const char *dir, const char *name)
{
	if ((size_t)snprintf(out, PATH_CAP, "%s/%s", dir, name) >= PATH_CAP)
		return KT_EINVAL;
	return 0;
}

int
kt_config_dir(const char *explicit_dir, char *out, size_t outcap)
{
	const char *env;
	int n;

	if (out == NULL || outcap == 0)
		return KT_EINVAL;
	if (explicit_dir != NULL && explicit_dir[0] != '\0')
		n = snprintf(out, outcap, "%s", explicit_dir);
	else if ((env = getenv("KARTOTEKA_CONFIG")) != NULL && env[0] != '\0')
		n = snprintf(out, outcap, "%s", env);
	/* The XDG spec says a relative XDG_CONFIG_HOME is to be ignored. */
	else if ((env = getenv("XDG_CONFIG_HOME")) != NULL && env[0] == '/')
		n = snprintf(out, outcap, "%s/kartoteka",
		    /* untranslated: a path */ env);
	else if ((env = getenv("HOME")) != NULL && env[0] != '\0')
		n = snprintf(out, outcap, "%s/.config/kartoteka",
		    /* untranslated: a path */ env);
	else
		return KT_EINVAL;
	if (n < 0 || (size_t)n >= outcap) {
		out[0] = '\0';
		return KT_EINVAL;
	}
	/* Drop trailing slashes so file names join cleanly ("/" stays). */
	for (size_t len = (size_t)n; len > 1 && out[len - 1] == '/'; len--)
		out[len - 1] = '\0';
	return 0;
}

/* Reads a whole small text file into buf (NUL-terminated). */
static int
read_small(const char *path, char *buf, size_t cap, size_t *len)
{
	size_t have = 0;
	int fd, rc = KT_EIO;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? KT_ENOTFOUND : KT_EIO;
	for (;;) {
		ssize_t n = read(fd, buf + have, cap - 1 - have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have == cap - 1) {
			rc = KT_ETOOBIG;
			goto out;
		}
	}
	buf[have] = '\0';
	*len = have;
	rc = 0;
out:
	close(fd);
	return rc;
}

/* Parses the server file: "address A\nkey HEX\nbranch NAME\n". Unknown
 * keys are ignored so that later versions can add lines. */
static int
parse_server(kt_config_t *cfg, char *text, size_t len, const char **why)
{
	int seen_addr = 0, seen_key = 0;
	char *line = text, *end = text + len;

	if (memchr(text, '\0', len) != NULL)
		return set_why(why, N_("server file contains a NUL byte"),
		    KT_EINVAL);
	while (line < end) {
		char *nl = strchr(line, '\n');
		char *val;
		if (nl == NULL)
			nl = end;
		*nl = '\0';
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		val = strchr(line, ' ');
		if (val != NULL)
			*val++ = '\0';
		else
			val = line + strlen(line);
		if (strcmp(line, "address") == 0) {
			if (kt_address_split(val, NULL, 0, NULL, 0, NULL) != 0 ||
			    strlen(val) >= sizeof(cfg->address))
				return set_why(why, N_("server file: the "
				    "address line is not HOST:PORT"),
				    KT_EINVAL);
			memcpy(cfg->address, val, strlen(val) + 1);
			seen_addr = 1;
		} else if (strcmp(line, "key") == 0) {
			size_t binlen = 0;
			const char *hex_end = NULL;
			if (strlen(val) != 64 ||
			    sodium_hex2bin(cfg->server_key, 32, val, 64, NULL,
			    &binlen, &hex_end) != 0 || binlen != 32)
				return set_why(why, N_("server file: the key "
				    "line is not 64 hex digits"), KT_EINVAL);
			seen_key = 1;
		} else if (strcmp(line, "branch") == 0) {
			if (strlen(val) >= sizeof(cfg->branch))
				return set_why(why, N_("server file: the "
				    "branch name is too long"), KT_EINVAL);
			memcpy(cfg->branch, val, strlen(val) + 1);
		}
		line = nl + 1;
	}
	if (!seen_addr)
		return set_why(why, N_("server file has no address line"),
		    KT_EINVAL);
	if (!seen_key)
		return set_why(why, N_("server file has no key line"),
		    KT_EINVAL);
	return 0;
}

int
kt_config_load(kt_config_t *cfg, const char *dir, const char **why)
{
	char path[PATH_CAP];
	char text[SERVER_FILE_MAX];
	size_t len = 0;
	int rc;

	if (cfg == NULL || dir == NULL || dir[0] == '\0')
		return set_why(why, N_("no configuration directory"),
		    KT_EINVAL);
	if (strlen(dir) >= sizeof(cfg->dir))
		return set_why(why, N_("configuration directory path is "
		    "too long"), KT_EINVAL);
	/* dir may be cfg->dir itself: keep it while cfg is wiped. */
	{
		char keep[sizeof(cfg->dir)];
		size_t n = strlen(dir) + 1;   /* checked above to fit */
		memcpy(keep, dir, n);
		sodium_memzero(cfg, sizeof(*cfg));
		memcpy(cfg->dir, keep, n);
	}
	dir = cfg->dir;

	/* terminal.key */
	if ((rc = join(path, dir, TERMINAL_FILE)) != 0)
		goto bad_path;
	rc = kt_keyfile_read(path, cfg->terminal_priv, 32);
	if (rc == 0) {
		if (kt_x25519_public(cfg->terminal_pub, cfg->terminal_priv) != 0) {
			rc = set_why(why, N_("terminal.key is not a usable "
			    "X25519 key"), KT_EINVAL);
			goto out;
		}
		cfg->has_terminal = 1;
	} else if (rc == KT_EPERM) {
		set_why(why, N_("terminal.key is accessible to other users: "
		    "run chmod 600 on it"), rc);
		goto out;
	} else if (rc == KT_EINVAL) {
		set_why(why, N_("terminal.key is not exactly 32 bytes"), rc);
		goto out;
	} else if (rc != KT_ENOTFOUND) {
		set_why(why, N_("cannot read terminal.key"), rc);
		goto out;
	}

	/* server */
	if ((rc = join(path, dir, SERVER_FILE)) != 0)
		goto bad_path;
	rc = read_small(path, text, sizeof(text), &len);
	if (rc == 0) {
		rc = parse_server(cfg, text, len, why);
		if (rc != 0)
			goto out;
		cfg->has_server = 1;
	} else if (rc == KT_ETOOBIG) {
		rc = set_why(why, N_("server file is too large"), KT_EINVAL);
		goto out;
	} else if (rc != KT_ENOTFOUND) {
		set_why(why, N_("cannot read the server file"), rc);
		goto out;
	}

	/* session */
	if ((rc = join(path, dir, SESSION_FILE)) != 0)
		goto bad_path;
	rc = kt_keyfile_read(path, cfg->session, 32);
	if (rc == 0) {
		cfg->has_session = 1;
	} else if (rc == KT_EPERM) {
		set_why(why, N_("session file is accessible to other users: "
		    "run chmod 600 on it"), rc);
		goto out;
	} else if (rc == KT_EINVAL) {
		set_why(why, N_("session file is not exactly 32 bytes: "
		    "remove it and log in again"), rc);
		goto out;
	} else if (rc != KT_ENOTFOUND) {
		set_why(why, N_("cannot read the session file"), rc);
		goto out;
	}
	rc = 0;
	goto out;
bad_path:
	rc = set_why(why, N_("configuration directory path is too long"),
	    KT_EINVAL);
out:
	if (rc != 0) {
		char saved[sizeof(cfg->dir)];
		memcpy(saved, cfg->dir, sizeof(saved));
		sodium_memzero(cfg, sizeof(*cfg));
		memcpy(cfg->dir, saved, sizeof(saved));
	}
	return rc;
}

int
kt_config_ensure_terminal(kt_config_t *cfg)
{
	char path[PATH_CAP];
	int rc;

	if (cfg == NULL || cfg->dir[0] == '\0')
		return KT_EINVAL;
	if ((rc = kt_mkdir_p(cfg->dir, 0700)) != 0)
		return rc;
	if (cfg->has_terminal)
		return 0;
	if ((rc = join(path, cfg->dir, TERMINAL_FILE)) != 0)
		return rc;
	kt_keypair_x25519(cfg->terminal_pub, cfg->terminal_priv);
	rc = kt_keyfile_write(path, cfg->terminal_priv, 32, 1);
	if (rc == KT_EEXIST) {
		/* Another process made one first: use that one. */
		rc = kt_keyfile_read(path, cfg->terminal_priv, 32);
		if (rc == 0)
			rc = kt_x25519_public(cfg->terminal_pub,
			    cfg->terminal_priv);
	}
	if (rc != 0) {
		sodium_memzero(cfg->terminal_priv, 32);
		sodium_memzero(cfg->terminal_pub, 32);
		return rc;
	}
	cfg->has_terminal = 1;
	return 0;
}

int
kt_config_save_server(const kt_config_t *cfg)
{
	char path[PATH_CAP];
	char text[SERVER_FILE_MAX];
	char hex[65];
	int n, rc;

	if (cfg == NULL || cfg->dir[0] == '\0' ||
	    memchr(cfg->address, '\0', sizeof(cfg->address)) == NULL ||
	    memchr(cfg->branch, '\0', sizeof(cfg->branch)) == NULL ||
	    kt_address_split(cfg->address, NULL, 0, NULL, 0, NULL) != 0)
		return KT_EINVAL;
	/* One line per field: a line break in the branch name would forge one. */
	for (const char *s = cfg->branch; *s != '\0'; s++)
		if (*s == '\n' || *s == '\r')
			return KT_EINVAL;
	if ((rc = join(path, cfg->dir, SERVER_FILE)) != 0)
		return rc;
	if ((rc = kt_mkdir_p(cfg->dir, 0700)) != 0)
		return rc;
	sodium_bin2hex(hex, sizeof(hex), cfg->server_key, 32);
	n = snprintf(text, sizeof(text), "address %s\nkey %s\nbranch %s\n",
	    /* untranslated: the file's format */ cfg->address, hex, cfg->branch);
	if (n < 0 || (size_t)n >= sizeof(text))
		return KT_EINVAL;
	return kt_keyfile_write(path, (const uint8_t *)text, (size_t)n, 0);
}

int
kt_config_save_session(const kt_config_t *cfg)
{
	char path[PATH_CAP];
	int rc;

	if (cfg == NULL || cfg->dir[0] == '\0' || !cfg->has_session)
		return KT_EINVAL;
	if ((rc = join(path, cfg->dir, SESSION_FILE)) != 0)
		return rc;
	if ((rc = kt_mkdir_p(cfg->dir, 0700)) != 0)
		return rc;
	return kt_keyfile_write(path, cfg->session, 32, 0);
}

int
kt_config_clear_session(kt_config_t *cfg)
{
	char path[PATH_CAP];
	int rc;

	if (cfg == NULL || cfg->dir[0] == '\0')
		return KT_EINVAL;
	sodium_memzero(cfg->session, sizeof(cfg->session));
	cfg->has_session = 0;
	if ((rc = join(path, cfg->dir, SESSION_FILE)) != 0)
		return rc;
	if (unlink(path) != 0 && errno != ENOENT)
		return KT_EIO;
	return 0;
}

void
kt_config_clear(kt_config_t *cfg)
{
	if (cfg != NULL)
		sodium_memzero(cfg, sizeof(*cfg));
}
