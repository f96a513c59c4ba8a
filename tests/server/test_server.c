/* SPDX-License-Identifier: MIT */
/* Tests for server/server.c: the defaults of `kartotekad run`, the ways
 * kt_server_run refuses to start (no keys, no store, a --listen that is
 * not HOST:PORT), each with its message on stderr, and one whole run on
 * port 0 stopped by SIGTERM from a helper thread once the loop is known to
 * serve (a handshake answered). Everything else of a running server is
 * the integration tests' (tests/integration/). */
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "kt_test.h"

#include "frame.h"
#include "keyfile.h"
#include "kt_error.h"
#include "model/identity.h"
#include "model/store.h"
#include "noise.h"
#include "server.h"

#define WAIT_MS 10000

/* ---- a data directory --------------------------------------------------- */

typedef struct dd {
	char dir[64];
	uint8_t spub[32];                 /* the server's Noise public key */
} dd_t;

static int
rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void
dd_make(dd_t *d)
{
	assert_true(sodium_init() >= 0); /* as main() does */
	snprintf(d->dir, sizeof(d->dir), "/tmp/kt-server-XXXXXX");
	assert_non_null(mkdtemp(d->dir));
}

/* The server keys, as `kartotekad init` writes them. */
static void
dd_keys(dd_t *d)
{
	uint8_t spriv[32], spk[32], ssk[64];
	char path[128];

	kt_keypair_x25519(d->spub, spriv);
	crypto_sign_keypair(spk, ssk);
	snprintf(path, sizeof(path), "%s/%s", d->dir, KT_SERVER_KEY_FILE);
	assert_int_equal(kt_keyfile_write(path, spriv, 32, 1), 0);
	snprintf(path, sizeof(path), "%s/%s", d->dir, KT_SIGN_KEY_FILE);
	assert_int_equal(kt_keyfile_write(path, ssk, 64, 1), 0);
	sodium_memzero(spriv, sizeof(spriv));
	sodium_memzero(ssk, sizeof(ssk));
}

static void
dd_store(dd_t *d)
{
	kt_store_t *st = NULL;

	assert_int_equal(kt_store_open(&st, d->dir, KT_STORE_CREATE), 0);
	kt_store_close(st);
}

static void
dd_remove(dd_t *d)
{
	assert_int_equal(nftw(d->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

/* ---- capturing stdout and stderr ----------------------------------------- */

/* One of the process's standard streams sent to a temporary file while a
 * call runs. */
typedef struct capture {
	int which;                        /* 1 or 2 */
	int saved;                        /* the original, dup'ed */
	FILE *tmp;
	char text[4096];
} capture_t;

static void
capture_begin(capture_t *c, int which)
{
	memset(c, 0, sizeof(*c));
	c->which = which;
	fflush(which == 1 ? stdout : stderr);
	c->tmp = tmpfile();
	assert_non_null(c->tmp);
	c->saved = dup(which);
	assert_true(c->saved >= 0);
	assert_true(dup2(fileno(c->tmp), which) >= 0);
}

/* Restores the stream; c->text holds what was written (cut to fit). */
static void
capture_end(capture_t *c)
{
	size_t n;

	fflush(c->which == 1 ? stdout : stderr);
	assert_true(dup2(c->saved, c->which) >= 0);
	close(c->saved);
	rewind(c->tmp);
	n = fread(c->text, 1, sizeof(c->text) - 1, c->tmp);
	c->text[n] = '\0';
	fclose(c->tmp);
	/* Shown in the test's log too. */
	fputs(c->text, c->which == 1 ? stdout : stderr);
}

static void
assert_contains(const char *text, const char *part)
{
	if (strstr(text, part) == NULL)
		fail_msg("'%s' not in:\n%s", part, text);
}

/* ---- defaults -------------------------------------------------------------- */

/* The values server.h documents as the defaults of `kartotekad run`. */
static void
opts_default_values(void **state)
{
	kt_server_opts_t o;

	(void)state;
	memset(&o, 0xa5, sizeof(o));
	kt_server_opts_default(&o);
	assert_null(o.data_dir);
	assert_string_equal(o.listen, "127.0.0.1:7700");
	assert_int_equal(o.max_conns, 1024);
	assert_int_equal(o.handshake_timeout_ms, 10000);
	assert_int_equal(o.idle_timeout_ms, 600000);
	assert_int_equal(o.write_queue_max, 1024 * 1024);
	assert_int_equal(o.session_ttl_s, 12 * 3600);
	assert_int_equal(o.login_delay_after, 3);
	assert_int_equal(o.login_delay_max_ms, 8000);
	assert_int_equal(o.lockout_after, 10);
	assert_int_equal(o.lockout_s, 900);
	assert_int_equal(o.enroll_failures_per_min, 10);
	assert_int_equal(o.stop_grace_ms, 10000);
	assert_string_equal(o.phone_country, "7");
}

/* ---- refusals ---------------------------------------------------------------- */

static void
run_without_keys_names_dir(void **state)
{
	dd_t d;
	kt_server_opts_t o;
	capture_t err;
	char want[128];
	int rc;

	(void)state;
	dd_make(&d);
	kt_server_opts_default(&o);
	o.data_dir = d.dir;
	o.listen = "127.0.0.1:0";
	capture_begin(&err, 2);
	rc = kt_server_run(&o);
	capture_end(&err);
	assert_true(rc < 0);
	assert_contains(err.text, "server keys");
	assert_contains(err.text, d.dir);
	snprintf(want, sizeof(want), "kartotekad init --data %s", d.dir);
	assert_contains(err.text, want);
	/* Nothing was made in the directory: it is still empty. */
	assert_int_equal(rmdir(d.dir), 0);
}

static void
run_without_store_refused(void **state)
{
	dd_t d;
	kt_server_opts_t o;
	capture_t err;
	char path[128];
	int rc;

	(void)state;
	dd_make(&d);
	dd_keys(&d);
	kt_server_opts_default(&o);
	o.data_dir = d.dir;
	o.listen = "127.0.0.1:0";
	capture_begin(&err, 2);
	rc = kt_server_run(&o);
	capture_end(&err);
	assert_true(rc < 0);
	assert_contains(err.text, "kartotekad");
	/* Run never creates a store. */
	snprintf(path, sizeof(path), "%s/data.mdb", d.dir);
	assert_int_equal(access(path, F_OK), -1);
	dd_remove(&d);
}

static void
run_bad_listen_einval(void **state)
{
	static const char *const bad[] = { "7700", "localhost:7700",
	    "127.0.0.1", "127.0.0.1:99999" };
	dd_t d;
	kt_server_opts_t o;
	capture_t err;
	char want[64];
	int rc;

	(void)state;
	dd_make(&d);
	dd_keys(&d);
	dd_store(&d);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kt_server_opts_default(&o);
		o.data_dir = d.dir;
		o.listen = bad[i];
		capture_begin(&err, 2);
		rc = kt_server_run(&o);
		capture_end(&err);
		assert_int_equal(rc, KT_EINVAL);
		snprintf(want, sizeof(want), "--listen '%s'", bad[i]);
		assert_contains(err.text, want);
		assert_contains(err.text, "HOST:PORT");
	}
	dd_remove(&d);
}

/* ---- one whole run --------------------------------------------------------- */

/* The helper thread: reads the "listening on" line from the pipe that
 * stdout goes to, completes handshake messages 1 and 2 with the server
 * (so its loop runs, and its signal handlers are installed), raises
 * SIGTERM, and waits for the server to close the connection. No cmocka
 * here (not thread-safe): it leaves what it saw for the test. */
typedef struct runner {
	int out_fd;                       /* the read end of stdout's pipe */
	const uint8_t *spub;
	char line[128];
	int port;
	int answered;                     /* message 2 came and decrypted */
	int signalled;
	int closed;                       /* the server closed after SIGTERM */
	const char *why;                  /* the first thing that went wrong */
} runner_t;

/* Reads into buf until it holds a frame. Returns the body length, 0 on
 * EOF, -1 on an error or after WAIT_MS. */
static ssize_t
read_frame_fd(int fd, kt_frame_reader_t *rd, const uint8_t **frame)
{
	uint8_t buf[1024];
	size_t flen = 0, off = 0, used = 0;
	ssize_t n = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int rc;

		if (off < (size_t)n) {
			rc = kt_frame_reader_feed(rd, buf + off, (size_t)n - off,
			    &used, frame, &flen);
			off += used;
			if (rc < 0)
				return -1;
			if (rc == 1)
				return (ssize_t)flen;
			continue;
		}
		if (poll(&p, 1, WAIT_MS) != 1)
			return -1;
		n = recv(fd, buf, sizeof(buf), 0);
		off = 0;
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 0;
		if (n < 0)
			return -1;
	}
}

static void *
runner_main(void *arg)
{
	runner_t *r = arg;
	kt_noise_hs_t hs;
	kt_frame_reader_t rd;
	struct sockaddr_in a;
	uint8_t m[KT_FRAME_HDR + 256], pay[512], term[32];
	const uint8_t *frame = NULL;
	size_t len = 0, n = 0, plen = 0;
	ssize_t got;
	int fd = -1;
	char *nl;

	memset(&hs, 0, sizeof(hs));
	kt_frame_reader_reset(&rd);
	randombytes_buf(term, sizeof(term));
	/* The first line on stdout. */
	while (len < sizeof(r->line) - 1 && strchr(r->line, '\n') == NULL) {
		struct pollfd p = { .fd = r->out_fd, .events = POLLIN };
		ssize_t k;

		if (poll(&p, 1, WAIT_MS) != 1 ||
		    (k = read(r->out_fd, r->line + len,
		    sizeof(r->line) - 1 - len)) <= 0) {
			r->why = "no line on stdout";
			return NULL; /* the server did not start: no signal */
		}
		len += (size_t)k;
		r->line[len] = '\0';
	}
	if ((nl = strchr(r->line, '\n')) != NULL)
		*nl = '\0';
	if (sscanf(r->line, "listening on 127.0.0.1:%d", &r->port) != 1 ||
	    r->port <= 0) {
		r->why = "the first line is not `listening on 127.0.0.1:PORT`";
		r->port = -1; /* still stop the server (below) */
		goto stop;
	}
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)r->port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		r->why = "cannot connect";
		goto stop;
	}
	if (kt_noise_hs_init(&hs, KT_NOISE_XK, 1,
	    (const uint8_t *)"kartoteka/1", 11, term, r->spub) != 0 ||
	    kt_noise_hs_write_message(&hs, NULL, 0, m + KT_FRAME_HDR,
	    sizeof(m) - KT_FRAME_HDR, &n) != 0 ||
	    kt_frame_put_header(m, n) != 0 ||
	    send(fd, m, KT_FRAME_HDR + n, MSG_NOSIGNAL) !=
	    (ssize_t)(KT_FRAME_HDR + n)) {
		r->why = "cannot send handshake message 1";
		goto stop;
	}
	got = read_frame_fd(fd, &rd, &frame);
	if (got <= 0 || kt_noise_hs_read_message(&hs, frame, (size_t)got,
	    pay, sizeof(pay), &plen) != 0) {
		r->why = "no handshake message 2";
		goto stop;
	}
	r->answered = 1;
stop:
	/* Even after a failure: a server that printed its line must be
	 * stopped, or the test hangs instead of failing. Without an answer
	 * the loop may not handle the signal yet, so the helper first gives
	 * it a second (a failure's path only); if the signal still comes
	 * too early it ends the process, which fails the test too. */
	if (r->port != 0) {
		if (!r->answered)
			sleep(1);
		r->signalled = kill(getpid(), SIGTERM) == 0;
		if (fd >= 0 && r->answered)
			r->closed = read_frame_fd(fd, &rd, &frame) == 0;
	}
	kt_noise_hs_clear(&hs);
	sodium_memzero(term, sizeof(term));
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void
run_serves_until_sigterm(void **state)
{
	dd_t d;
	kt_server_opts_t o;
	capture_t err;
	runner_t r;
	pthread_t th;
	int pfd[2], saved, rc;

	(void)state;
	dd_make(&d);
	dd_keys(&d);
	dd_store(&d);
	kt_server_opts_default(&o);
	o.data_dir = d.dir;
	o.listen = "127.0.0.1:0";
	memset(&r, 0, sizeof(r));
	r.spub = d.spub;
	assert_int_equal(pipe(pfd), 0);
	r.out_fd = pfd[0];
	fflush(stdout);
	saved = dup(1);
	assert_true(saved >= 0);
	assert_true(dup2(pfd[1], 1) >= 0);
	close(pfd[1]);
	assert_int_equal(pthread_create(&th, NULL, runner_main, &r), 0);
	capture_begin(&err, 2);
	rc = kt_server_run(&o);
	capture_end(&err);
	/* stdout back: the helper sees EOF if it still waits for its line. */
	fflush(stdout);
	assert_true(dup2(saved, 1) >= 0);
	close(saved);
	assert_int_equal(pthread_join(th, NULL), 0);
	close(pfd[0]);
	if (r.why != NULL)
		fail_msg("helper: %s (line '%s')", r.why, r.line);
	assert_int_equal(rc, 0);
	assert_true(r.answered);
	assert_true(r.signalled);
	assert_true(r.closed);
	assert_contains(err.text, "signal 15: stopping");
	assert_contains(err.text, "kartotekad: stopped");
	dd_remove(&d);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(opts_default_values),
	cmocka_unit_test(run_without_keys_names_dir),
	cmocka_unit_test(run_without_store_refused),
	cmocka_unit_test(run_bad_listen_einval),
	cmocka_unit_test(run_serves_until_sigterm),
};

KT_TEST_MAIN(tests)
