/* SPDX-License-Identifier: MIT */
/* kartoteka-tui: the command line, the terminal (set up, restored on every
 * way out), and the event loop: poll() on the keyboard, the server's
 * socket and a self-pipe for signals, with a time-out only when something
 * is due (a search after typing pauses, a spinner while a request is in
 * flight, a reconnect, the desk lock, the header's minute). */
#define _XOPEN_SOURCE_EXTENDED 1
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>
#include <sodium.h>

#include "i18n.h"
#include "kt_error.h"
#include "tui.h"

#define SPIN_MS 120
/* A key within this long means someone works at the desk: a lost
 * connection is dialled again at once. */
#define TUI_ACTIVE_MS 60000

/* What the signal handlers need. A handler takes no argument, so this one
 * static is the exception to "no globals": written once before the
 * handlers are installed, read only by them. */
static struct {
	int sg_pipe_w;               /* write end of the self-pipe */
	int sg_have_termios;
	struct termios sg_termios;   /* the terminal as we found it */
	struct sigaction sg_old[32]; /* the crash signals' earlier handlers */
} sig_state = { .sg_pipe_w = -1 };

int64_t
tui_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
tui_say(tui_t *t, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->t_status, sizeof(t->t_status), fmt, ap);
	va_end(ap);
	t->t_status_error = error;
}

void
tui_go(tui_t *t, tui_screen_t s)
{
	t->t_screen = s;
	t->t_help = 0;
}

/* ---- signals --------------------------------------------------------------- */

static void
on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	if (sig_state.sg_pipe_w >= 0)
		(void)!write(sig_state.sg_pipe_w, &b, 1);
	errno = saved;
}

/* A crash: put the terminal back as it was (only async-signal-safe calls),
 * then let the earlier handler (a sanitizer's report) or the default
 * action run. */
static void
on_crash(int sig, siginfo_t *info, void *uctx)
{
	static const char reset[] = "\033[0m\033[?25h\033[?1049l\r\n";
	struct sigaction *old = &sig_state.sg_old[sig & 31];

	if (sig_state.sg_have_termios)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &sig_state.sg_termios);
	(void)!write(STDOUT_FILENO, reset, sizeof(reset) - 1);
	if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction != NULL) {
		old->sa_sigaction(sig, info, uctx);
		return;
	}
	if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN &&
	    old->sa_handler != NULL) {
		old->sa_handler(sig);
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
install_signals(int pipe_w)
{
	static const int quit_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH };
	static const int crash_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
	    SIGABRT };
	struct sigaction sa;

	sig_state.sg_pipe_w = pipe_w;
	if (tcgetattr(STDIN_FILENO, &sig_state.sg_termios) == 0)
		sig_state.sg_have_termios = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(quit_sigs) / sizeof(quit_sigs[0]); i++)
		if (sigaction(quit_sigs[i], &sa, NULL) != 0)
			return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_crash;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(crash_sigs) / sizeof(crash_sigs[0]); i++)
		if (sigaction(crash_sigs[i], &sa,
		    &sig_state.sg_old[crash_sigs[i] & 31]) != 0)
			return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* ---- the terminal ------------------------------------------------------------ */

static void
colours(tui_t *t)
{
	const char *nc = getenv("NO_COLOR");

	t->t_mono = (nc != NULL && nc[0] != '\0') || !has_colors();
	if (t->t_mono)
		return;
	start_color();
	use_default_colors();
	init_pair(1, COLOR_BLACK, COLOR_CYAN);   /* header, key bar */
	init_pair(2, COLOR_RED, -1);             /* overdue, errors */
	init_pair(3, COLOR_CYAN, -1);            /* section rules */
}

static void
resize(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
}

/* ---- keys ---------------------------------------------------------------------- */

static void
key(tui_t *t, wint_t ch, int fkey)
{
	/* resizeterm() (called for SIGWINCH) queues KEY_RESIZE: the work is
	 * done already, and resizing again would queue another. */
	if (fkey && ch == KEY_RESIZE)
		return;
	t->t_last_key_ms = tui_now_ms();
	/* Offline while nobody worked: a key dials again (right after the
	 * keys read now are handled). */
	if (t->t_conn == NULL && t->t_reconnect_at < 0) {
		t->t_reconnect_at = t->t_last_key_ms;
		t->t_reconnect_delay = 0;
	}
	/* Ctrl-C and F10 end the program from anywhere. */
	if ((!fkey && ch == 3) || (fkey && ch == KEY_F(10))) {
		t->t_quit = 1;
		return;
	}
	if (t->t_help) {
		t->t_help = 0;
		return;
	}
	switch (t->t_screen) {
	case TUI_SCR_CONNECT:
		if (!fkey && (ch == 'q' || ch == 27))
			t->t_quit = 1;
		break;
	case TUI_SCR_LOGIN:
	case TUI_SCR_LOCK:
		tui_login_key(t, ch, fkey);
		break;
	case TUI_SCR_AGENDA:
		tui_agenda_key(t, ch, fkey);
		break;
	case TUI_SCR_SEARCH:
		tui_search_key(t, ch, fkey);
		break;
	case TUI_SCR_CARD:
		tui_card_key(t, ch, fkey);
		break;
	case TUI_SCR_FORM:
		tui_form_key(t, ch, fkey);
		break;
	case TUI_SCR_LIST:
		tui_list_key(t, ch, fkey);
		break;
	case TUI_SCR_ALERTS:
		tui_alerts_key(t, ch, fkey);
		break;
	case TUI_SCR_USERS:
		tui_users_key(t, ch, fkey);
		break;
	}
}

static void
read_keys(tui_t *t)
{
	wint_t ch;
	int r;

	while ((r = get_wch(&ch)) != ERR) {
		key(t, ch, r == KEY_CODE_YES);
		if (t->t_quit)
			return;
	}
}

/* ---- the loop --------------------------------------------------------------- */

static int
min_timeout(int a, int64_t b)
{
	if (b < 0)
		return a;
	if (b > 3600000)
		b = 3600000;
	if (a < 0 || b < a)
		return (int)b;
	return a;
}

/* Milliseconds to the next wall-clock minute, for the header's clock. */
static int64_t
to_next_minute(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return 60000 - ((int64_t)(ts.tv_sec % 60) * 1000 +
	    ts.tv_nsec / 1000000) + 5;
}

static void
timers(tui_t *t, int64_t now)
{
	if (t->t_reconnect_at >= 0 && now >= t->t_reconnect_at &&
	    t->t_logged_in && (now - t->t_last_key_ms > TUI_ACTIVE_MS ||
	    (t->t_screen == TUI_SCR_LOCK && now - t->t_last_key_ms >
	    SPIN_MS))) {
		/* Nobody is at the desk: dialling again and resuming would
		 * keep the session alive past its idle time-out. The next
		 * key dials. */
		t->t_reconnect_at = -1;
		tui_say(t, 1, _("Offline: the connection was closed; any key "
		    "connects again"));
	}
	if (t->t_reconnect_at >= 0 && now >= t->t_reconnect_at) {
		tui_say(t, 0, _("Connecting to %s..."), t->t_cfg.address);
		tui_draw(t);
		if (tui_link_connect(t) == 0 && t->t_logged_in)
			tui_say(t, 0, _("Connected again to %s"),
			    t->t_cfg.address);
	}
	if (t->t_screen == TUI_SCR_SEARCH)
		tui_search_tick(t, now);
	if (t->t_logged_in && t->t_lock_s > 0 &&
	    t->t_screen != TUI_SCR_LOCK && t->t_screen != TUI_SCR_LOGIN &&
	    now - t->t_last_key_ms >= (int64_t)t->t_lock_s * 1000)
		tui_login_open(t, TUI_SCR_LOCK);
	if (tui_link_busy(t))
		t->t_spin++;
}

static int
loop_timeout(tui_t *t, int64_t now)
{
	int to = -1;

	if (t->t_reconnect_at >= 0)
		to = min_timeout(to, t->t_reconnect_at > now ?
		    t->t_reconnect_at - now : 0);
	/* A search due while disconnected waits for the reconnect. */
	if (t->t_screen == TUI_SCR_SEARCH && t->t_connected)
		to = min_timeout(to, tui_seq_timeout(&t->t_seq, now));
	if (tui_link_busy(t))
		to = min_timeout(to, SPIN_MS);
	if (t->t_logged_in) {
		to = min_timeout(to, to_next_minute());
		if (t->t_lock_s > 0 && t->t_screen != TUI_SCR_LOCK &&
		    t->t_screen != TUI_SCR_LOGIN) {
			int64_t at = t->t_last_key_ms +
			    (int64_t)t->t_lock_s * 1000;
			to = min_timeout(to, at > now ? at - now : 0);
		}
	}
	return to;
}

static void
run(tui_t *t)
{
	while (!t->t_quit) {
		struct pollfd p[3];
		int n, to, fd;

		tui_draw(t);
		to = loop_timeout(t, tui_now_ms());
		p[0] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = t->t_sigfd, .events = POLLIN };
		fd = kt_conn_fd(t->t_conn);
		p[2] = (struct pollfd){ .fd = fd, .events = POLLIN };
		n = poll(p, fd >= 0 ? 3 : 2, to);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && (p[1].revents & POLLIN)) {
			unsigned char sigs[16];
			ssize_t k = read(t->t_sigfd, sigs, sizeof(sigs));
			for (ssize_t i = 0; i < k; i++) {
				if (sigs[i] == SIGWINCH)
					resize();
				else
					t->t_quit = 1;
			}
		}
		if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (p[0].revents & (POLLHUP | POLLERR))
				t->t_quit = 1; /* the terminal went away */
			read_keys(t);
		}
		if (n > 0 && fd >= 0 && (p[2].revents & (POLLIN | POLLHUP |
		    POLLERR)))
			tui_link_read(t);
		timers(t, tui_now_ms());
	}
}

/* ---- start and end ------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fputs(_("usage: kartoteka-tui [--config DIR] [--lock-after TIME]\n"
	    "The reception desk's screen of Kartoteka. The terminal is "
	    "enrolled and its\nconfiguration kept as for the CLI "
	    "(kartoteka enroll CODE); log in on the screen.\n"
	    "  --config DIR       the configuration directory (default: "
	    "$KARTOTEKA_CONFIG,\n"
	    "                     else ~/.config/kartoteka)\n"
	    "  --lock-after TIME  lock the screen after TIME without a key "
	    "(5m, 30s;\n"
	    "                     default 5m, 0: never)\n"
	    "Keys: F1 or ? on any screen. NO_COLOR=1 for a monochrome "
	    "screen.\n"), f);
}

/* "5m", "30s", "300" (seconds), "0" (never) into seconds, at most a day. */
static int
parse_lock(const char *s, int *secs)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || v < 0)
		return -1;
	if (*end == 'm' && end[1] == '\0')
		v *= 60;
	else if (*end == 'h' && end[1] == '\0')
		v *= 3600;
	else if (!(*end == '\0' || (*end == 's' && end[1] == '\0')))
		return -1;
	if (v > 86400)
		return -1;
	*secs = (int)v;
	return 0;
}

static void
free_all(tui_t *t)
{
	tui_link_close(t);
	tui_rows_clear(t);
	tui_card_clear(t);
	tui_users_clear(t);
	kt_response_free(t->t_alerts);
	kt_response_free(t->t_alert_audit);
	t->t_alerts = t->t_alert_audit = NULL;
	free(t->t_agenda.ls_line);
	free(t->t_cardl.ls_line);
	free(t->t_usersl.ls_line);
	free(t->t_rows);
	tui_form_reset(&t->t_loginf);
	tui_form_reset(&t->t_form);
	tui_form_reset(&t->t_searchf);
	kt_config_clear(&t->t_cfg);
}

int
main(int argc, char **argv)
{
	tui_t *t = NULL;
	const char *config_opt = NULL, *why = NULL;
	char dir[4096];
	int pipefd[2] = { -1, -1 }, rc = 2, lock = 300, curses_on = 0;

	kt_i18n_init();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf(_("kartoteka-tui %s\n"), KT_CLIENT_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config_opt = argv[++i];
		} else if (strcmp(argv[i], "--lock-after") == 0 &&
		    i + 1 < argc) {
			if (parse_lock(argv[++i], &lock) != 0) {
				fprintf(stderr, _("kartoteka-tui: --lock-after "
				    "'%s': not a time like 5m or 30s (0: never; "
				    "at most 24h)\n"), argv[i]);
				return 2;
			}
		} else {
			fprintf(stderr, _("kartoteka-tui: unknown option '%s'\n"),
			    argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0) {
		fprintf(stderr, _("kartoteka-tui: the terminal's locale is not "
		    "UTF-8 (character set %s), so names in Cyrillic cannot be "
		    "shown or typed: set LANG, e.g. LANG=ru_RU.UTF-8 or "
		    "LANG=C.UTF-8\n"), nl_langinfo(CODESET));
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, _("kartoteka-tui: libsodium failed to start\n"));
		return 2;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		fprintf(stderr, _("kartoteka-tui: out of memory\n"));
		return 2;
	}
	t->t_reconnect_at = -1;
	t->t_lock_s = t->t_lock_own_s = lock;
	t->t_sigfd = -1;
	t->t_agenda.ls_line = calloc(TUI_LINES_MAX, sizeof(tui_line_t));
	t->t_cardl.ls_line = calloc(TUI_LINES_MAX, sizeof(tui_line_t));
	t->t_usersl.ls_line = calloc(TUI_LINES_MAX, sizeof(tui_line_t));
	t->t_rows = calloc(TUI_ROWS_MAX, sizeof(*t->t_rows));
	if (t->t_agenda.ls_line == NULL || t->t_cardl.ls_line == NULL ||
	    t->t_usersl.ls_line == NULL || t->t_rows == NULL) {
		fprintf(stderr, _("kartoteka-tui: out of memory\n"));
		goto out;
	}
	tui_seq_init(&t->t_seq);
	if (kt_config_dir(config_opt, dir, sizeof(dir)) != 0) {
		fprintf(stderr, _("kartoteka-tui: no configuration directory: "
		    "pass --config DIR or set KARTOTEKA_CONFIG or HOME\n"));
		goto out;
	}
	if ((rc = kt_config_load(&t->t_cfg, dir, &why)) != 0) {
		fprintf(stderr, _("kartoteka-tui: configuration in %s: %s\n"),
		    dir, why != NULL ? why : kt_strerror(rc));
		rc = 2;
		goto out;
	}
	rc = 2;
	if (!t->t_cfg.has_server || !t->t_cfg.has_terminal) {
		fprintf(stderr, _("kartoteka-tui: this terminal (%s) is not "
		    "enrolled: ask the owner for an invite code and run "
		    "`kartoteka --config %s enroll CODE`\n"), dir, dir);
		goto out;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, _("kartoteka-tui: needs a terminal (for "
		    "scripts, use kartoteka)\n"));
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) != 0 ||
	    install_signals(pipefd[1]) != 0) {
		fprintf(stderr, _("kartoteka-tui: cannot set up signals: %s\n"),
		    strerror(errno));
		goto out;
	}
	t->t_sigfd = pipefd[0];

	set_escdelay(25);
	if (initscr() == NULL) {
		fprintf(stderr, _("kartoteka-tui: cannot start the screen "
		    "(TERM=%s)\n"), /* untranslated: a variable */ getenv("TERM") ?
		    getenv("TERM") : "");
		goto out;
	}
	curses_on = 1;
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	colours(t);
	t->t_last_key_ms = tui_now_ms();
	tui_go(t, TUI_SCR_CONNECT);
	tui_say(t, 0, _("Connecting to %s..."), t->t_cfg.address);
	tui_draw(t);
	(void)tui_link_connect(t);
	run(t);
	rc = 0;
out:
	if (curses_on) {
		curs_set(1);
		endwin();
	}
	if (t != NULL) {
		free_all(t);
		free(t);
	}
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0) {
		sig_state.sg_pipe_w = -1;
		close(pipefd[1]);
	}
	return rc;
}
