/* SPDX-License-Identifier: MIT */
/* kt-tui-search: the search-as-you-type latency of kartoteka-tui as a
 * person feels it (issue 11, Performance), measured through a
 * pseudo-terminal. It starts the TUI on a pty of 100x30 with a config
 * whose session is logged in, waits for the agenda, opens the search
 * (`/`), and for each query empties the field (Ctrl-U) and types the
 * query as one burst; then it reads the screen's bytes until the count
 * line ("N found") of the answer has been drawn and the output has been
 * quiet for a moment. The figure is the time from the last key of the
 * burst to the last byte of that redraw, less the TUI's debounce
 * (TUI_DEBOUNCE_MS: the request leaves only once typing pauses), so it
 * is the server's answer plus the redraw. It also reports the TUI's
 * peak memory (VmHWM) and the CPU it used while idle for a few seconds.
 * Prints figures; decides nothing.
 *   kt-tui-search --tui PATH --config DIR [--rounds N] QUERY...
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "seq.h"

#define OUT_MAX (1u << 20)
#define QUIET_MS 30
#define WAIT_MS 20000

typedef struct tty {
	int fd;
	pid_t pid;
	char out[OUT_MAX];           /* the newest output, for searching */
	size_t len;
	int64_t last_byte_ms;
} tty_t;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double
now_msf(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Reads what the TUI wrote within ms; returns bytes read, -1 at EOF. */
static int
pump(tty_t *t, int ms, double *last)
{
	struct pollfd p = { t->fd, POLLIN, 0 };
	char buf[8192];
	ssize_t n;
	int got = 0;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	n = read(t->fd, buf, sizeof(buf));
	if (n <= 0)
		return -1;
	if (last != NULL)
		*last = now_msf();
	if (t->len + (size_t)n > sizeof(t->out)) {
		/* keep the newest half */
		memmove(t->out, t->out + t->len / 2, t->len - t->len / 2);
		t->len -= t->len / 2;
	}
	memcpy(t->out + t->len, buf, (size_t)n);
	t->len += (size_t)n;
	got += (int)n;
	return got;
}

/* Waits until text appears in output that arrived after offset from;
 * returns 0, or -1 on time-out or EOF. */
static int
wait_text(tty_t *t, size_t from, const char *text, int ms)
{
	int64_t end = now_ms() + ms;

	for (;;) {
		if (t->len > from && memmem(t->out + from, t->len - from, text,
		    strlen(text)) != NULL)
			return 0;
		if (now_ms() >= end || pump(t, 50, NULL) < 0)
			return -1;
	}
}

static void
keys(tty_t *t, const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		ssize_t w = write(t->fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static long
proc_field(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0) {
			v = strtol(line + strlen(key), NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* utime + stime of pid in clock ticks. */
static long
cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	const char *tui = NULL, *config = NULL;
	int rounds = 5, nq = 0, rc = 1;
	char **q = NULL;
	static tty_t t;
	struct winsize ws = { 30, 100, 0, 0 };
	double *lat = NULL;
	size_t nlat = 0;
	long c0, c1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tui") == 0 && i + 1 < argc)
			tui = argv[++i];
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else {
			q = argv + i;
			nq = argc - i;
			break;
		}
	}
	if (tui == NULL || config == NULL || nq == 0 || rounds < 1 ||
	    rounds > 1000) {
		fprintf(stderr, "usage: kt-tui-search --tui PATH --config DIR "
		    "[--rounds 1..1000] QUERY...\n");
		return 2;
	}
	if ((lat = calloc((size_t)rounds * (size_t)nq, sizeof(*lat))) == NULL)
		return 1;
	t.pid = forkpty(&t.fd, NULL, NULL, &ws);
	if (t.pid < 0) {
		perror("forkpty");
		free(lat);
		return 1;
	}
	if (t.pid == 0) {
		setenv("TERM", "xterm-256color", 1);
		setenv("LC_ALL", "C.UTF-8", 1);
		execl(tui, tui, "--config", config, "--lock-after", "0",
		    (char *)NULL);
		_exit(127);
	}
	if (wait_text(&t, 0, "Agenda", WAIT_MS) != 0) {
		fprintf(stderr, "kt-tui-search: no agenda on the screen (is the "
		    "config logged in?)\n");
		goto out;
	}
	while (pump(&t, 300, NULL) > 0)
		;
	keys(&t, "/");
	if (wait_text(&t, 0, "Search", WAIT_MS) != 0) {
		fprintf(stderr, "kt-tui-search: the search did not open\n");
		goto out;
	}
	while (pump(&t, 300, NULL) > 0)
		;
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < nq; i++) {
			size_t from;
			double t_key, last = 0;
			int64_t quiet_end;

			keys(&t, "\x15");
			while (pump(&t, 250, NULL) > 0)
				;
			from = t.len;
			keys(&t, q[i]);
			t_key = now_msf();
			if (wait_text(&t, from, "found", WAIT_MS) != 0) {
				fprintf(stderr, "kt-tui-search: no answer to "
				    "'%s'\n", q[i]);
				goto out;
			}
			last = now_msf();
			/* the rest of the redraw: until QUIET_MS pass with no
			 * byte; the figure is the last byte's time */
			quiet_end = now_ms() + QUIET_MS;
			while (now_ms() < quiet_end)
				if (pump(&t, QUIET_MS, &last) > 0)
					quiet_end = now_ms() + QUIET_MS;
			lat[nlat++] = last - t_key - TUI_DEBOUNCE_MS;
		}
	/* idle: no key for 5 s */
	c0 = cpu_ticks(t.pid);
	for (int64_t end = now_ms() + 5000; now_ms() < end;)
		(void)pump(&t, 100, NULL);
	c1 = cpu_ticks(t.pid);
	qsort(lat, nlat, sizeof(*lat), cmp_double);
	printf("queries:");
	for (int i = 0; i < nq; i++)
		printf(" '%s'", q[i]);
	printf(", %d rounds, debounce %d ms taken off\n", rounds,
	    TUI_DEBOUNCE_MS);
	printf("tui-search: %zu redraws, p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
	    nlat, lat[nlat / 2], lat[(nlat * 99) / 100 < nlat ?
	    (nlat * 99) / 100 : nlat - 1], lat[nlat - 1]);
	printf("tui memory: VmHWM %ld kB, VmRSS %ld kB; idle CPU over 5 s: "
	    "%ld ticks (%ld per second)\n",
	    proc_field(t.pid, "status", "VmHWM:"),
	    proc_field(t.pid, "status", "VmRSS:"), c1 - c0,
	    sysconf(_SC_CLK_TCK));
	rc = 0;
out:
	keys(&t, "\x1b[21~"); /* F10 */
	for (int i = 0; i < 20 && waitpid(t.pid, NULL, WNOHANG) == 0; i++)
		(void)pump(&t, 100, NULL);
	if (waitpid(t.pid, NULL, WNOHANG) == 0) {
		kill(t.pid, SIGTERM);
		waitpid(t.pid, NULL, 0);
	}
	close(t.fd);
	free(lat);
	return rc;
}
