/* SPDX-License-Identifier: MIT */
/* A terminal's configuration directory: its key, the server it is enrolled
 * with, and the current session token.
 *
 * Layout of DIR (mode 0700), every file mode 0600:
 *   terminal.key  32 bytes: the terminal's X25519 private key
 *   server        text: "address HOST:PORT\nkey <64 hex>\nbranch NAME\n"
 *   session       32 bytes: the session token from the last login
 */
#ifndef KT_CONFIG_H
#define KT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef struct kt_config {
	char dir[4096];
	char address[256];        /* "" when not enrolled */
	uint8_t server_key[32];
	int has_server;
	char branch[128];
	uint8_t terminal_priv[32];
	uint8_t terminal_pub[32];
	int has_terminal;
	uint8_t session[32];
	int has_session;
} kt_config_t;

/* kt_config_dir picks the directory: explicit (from --config) if not NULL,
 * else $KARTOTEKA_CONFIG, else $XDG_CONFIG_HOME/kartoteka, else
 * $HOME/.config/kartoteka. Returns 0 or KT_EINVAL (nothing usable). */
int kt_config_dir(const char *explicit_dir, char *out, size_t outcap);

/* kt_config_load reads whatever exists in dir (missing files leave the
 * has_* flags 0). Creates nothing. Returns 0, KT_EIO, KT_EPERM (a secret
 * file readable or writable by others), KT_EINVAL (a malformed file, or a
 * path too long). On error *why (if why is not NULL) is a static English
 * sentence naming the file and the problem, every other field but dir is
 * zeroed. Unknown lines in the server file are ignored. */
int kt_config_load(kt_config_t *cfg, const char *dir, const char **why);

/* kt_config_ensure_terminal creates dir (0700, with parents) and a terminal
 * key if cfg has none (exclusive create: if another process wrote one first,
 * that one is loaded). Returns 0, KT_EIO (errno kept), or what
 * kt_keyfile_read returns for a key file made concurrently. */
int kt_config_ensure_terminal(kt_config_t *cfg);

/* Write the server file / session file (0600, atomic; dir created if
 * missing). Return 0, KT_EIO, or KT_EINVAL (address not HOST:PORT, a line
 * break in the branch name, save_session without has_session). */
int kt_config_save_server(const kt_config_t *cfg);
int kt_config_save_session(const kt_config_t *cfg);
/* Remove the session file and wipe cfg->session. Returns 0 (also when
 * absent) or KT_EIO. */
int kt_config_clear_session(kt_config_t *cfg);

/* Wipe secrets in cfg. Accepts NULL. */
void kt_config_clear(kt_config_t *cfg);

#endif
