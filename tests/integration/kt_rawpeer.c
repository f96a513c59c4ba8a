/* SPDX-License-Identifier: MIT */
/* kt-rawpeer: a deliberately misbehaving client for integration tests. It
 * speaks the wire protocol by hand so tests can send what the real client
 * never would (bad frames, stalls, pipelined bursts) and check how the
 * server answers. Prints what happened; exit 0 when it matched MODE's
 * expectation, 1 when not, 2 on usage errors. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "frame.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"
#include "noise.h"

#define READ_TIMEOUT_MS 20000

typedef struct peer {
	int fd;
	kt_noise_cipher_t tx, rx;
	kt_frame_reader_t rd;
	uint8_t pending[65536];
	size_t pending_len, pending_off;
} peer_t;

static int
dial(const char *address)
{
	char host[256];
	const char *colon = strrchr(address, ':');
	struct addrinfo hints, *res = NULL;
	int fd = -1, one = 1;

	if (colon == NULL || (size_t)(colon - address) >= sizeof(host))
		return -1;
	memcpy(host, address, (size_t)(colon - address));
	host[colon - address] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	freeaddrinfo(res);
	return fd;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
send_frame(peer_t *p, const uint8_t *body, size_t len)
{
	uint8_t hdr[2];
	if (kt_frame_put_header(hdr, len) != 0)
		return -1;
	if (write_all(p->fd, hdr, 2) != 0)
		return -1;
	return write_all(p->fd, body, len);
}

/* Reads one frame. Returns 1 with a frame, 0 on EOF/reset, -1 on timeout
 * or protocol error. */
static int
read_frame(peer_t *p, const uint8_t **frame, size_t *len)
{
	for (;;) {
		if (p->pending_off < p->pending_len) {
			size_t used = 0;
			int rc = kt_frame_reader_feed(&p->rd,
			    p->pending + p->pending_off,
			    p->pending_len - p->pending_off, &used, frame, len);
			p->pending_off += used;
			if (rc != 0)
				return rc > 0 ? 1 : -1;
			continue;
		}
		struct pollfd pfd = { p->fd, POLLIN, 0 };
		int pr = poll(&pfd, 1, READ_TIMEOUT_MS);
		if (pr <= 0)
			return -1;
		ssize_t n = read(p->fd, p->pending, sizeof(p->pending));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		p->pending_len = (size_t)n;
		p->pending_off = 0;
	}
}

/* Waits for the server to close the connection. 1 closed, 0 not. */
static int
expect_close(peer_t *p)
{
	const uint8_t *f;
	size_t n;
	int rc;
	while ((rc = read_frame(p, &f, &n)) == 1)
		;
	return rc == 0;
}

static int
handshake(peer_t *p, const kt_config_t *cfg, int use_terminal)
{
	kt_noise_hs_t hs;
	uint8_t priv[32], pub[32], buf[KT_FRAME_MAX], pay[KT_FRAME_MAX];
	uint8_t hello_buf[128];
	Kartoteka__ClientHello hello = KARTOTEKA__CLIENT_HELLO__INIT;
	const uint8_t *f;
	size_t n, plen, hlen;
	int rc = -1;

	if (use_terminal)
		memcpy(priv, cfg->terminal_priv, 32);
	else
		crypto_box_keypair(pub, priv);
	if (kt_noise_hs_init(&hs, KT_NOISE_XK, 1, (const uint8_t *)"kartoteka/1",
	    11, priv, cfg->server_key) != 0)
		goto out;
	if (kt_noise_hs_write_message(&hs, NULL, 0, buf, sizeof(buf), &n) != 0 ||
	    send_frame(p, buf, n) != 0)
		goto out;
	if (read_frame(p, &f, &n) != 1 ||
	    kt_noise_hs_read_message(&hs, f, n, pay, sizeof(pay), &plen) != 0)
		goto out;
	hello.client_name = "kt-rawpeer";
	hello.client_version = "1";
	hlen = kartoteka__client_hello__pack(&hello, hello_buf);
	if (kt_noise_hs_write_message(&hs, hello_buf, hlen, buf, sizeof(buf),
	    &n) != 0 || send_frame(p, buf, n) != 0)
		goto out;
	rc = kt_noise_hs_split(&hs, &p->tx, &p->rx, NULL);
out:
	kt_noise_hs_clear(&hs);
	sodium_memzero(priv, sizeof(priv));
	return rc;
}

static int
send_plain(peer_t *p, const uint8_t *plain, size_t len)
{
	uint8_t out[KT_FRAME_MAX];
	size_t n;
	if (kt_noise_encrypt(&p->tx, NULL, 0, plain, len, out, &n) != 0)
		return -1;
	return send_frame(p, out, n);
}

static int
send_request(peer_t *p, Kartoteka__Request *req)
{
	uint8_t buf[KT_FRAME_MAX];
	size_t n = kartoteka__request__pack(req, buf);
	return send_plain(p, buf, n);
}

/* Reads one response; NULL on close or error. Caller frees. */
static Kartoteka__Response *
read_response(peer_t *p)
{
	const uint8_t *f;
	uint8_t plain[KT_FRAME_MAX];
	size_t n, plen;

	if (read_frame(p, &f, &n) != 1)
		return NULL;
	if (kt_noise_decrypt(&p->rx, NULL, 0, f, n, plain, &plen) != 0)
		return NULL;
	return kartoteka__response__unpack(NULL, plen, plain);
}

static int
error_code(const Kartoteka__Response *r)
{
	return r->error ? (int)r->error->code : 0;
}

static void
usage(void)
{
	fputs("usage: kt-rawpeer --config DIR MODE [ARGS]\n"
	    "modes: zero oversized truncated garbage stall SECONDS hold hangup\n"
	    "       bad-transport bad-protobuf unknown-op unenrolled-login\n"
	    "       stop-inflight PID LOGIN PASSWORD COUNT\n"
	    "       login-burst LOGIN PASSWORD COUNT\n"
	    "       list branch|user|terminal [CURSORHEX [LIMIT]]\n"
	    "       branch-add-many PREFIX COUNT ADDRESS\n", stderr);
}

/* Sends req and reads its answer (NULL on close or error; caller frees). */
static Kartoteka__Response *
call(peer_t *p, Kartoteka__Request *req)
{
	if (send_request(p, req) != 0)
		return NULL;
	return read_response(p);
}

/* Resumes the session saved in cfg. 0 when the server took it. */
static int
resume(peer_t *p, const kt_config_t *cfg)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ResumeRequest rr = KARTOTEKA__RESUME_REQUEST__INIT;
	Kartoteka__Response *r;
	int rc = -1;

	if (!cfg->has_session)
		return -1;
	rr.token.data = (uint8_t *)cfg->session;
	rr.token.len = sizeof(cfg->session);
	req.id = 1;
	req.op_case = KARTOTEKA__REQUEST__OP_RESUME;
	req.resume = &rr;
	if ((r = call(p, &req)) != NULL) {
		rc = error_code(r) == 0 ? 0 : -1;
		kartoteka__response__free_unpacked(r, NULL);
	}
	return rc;
}

/* Hex digits to bytes; "" is no bytes. Returns the length, or -1. */
static long
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);

	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (long)(n / 2);
}

/* One admin list request with any cursor bytes, as a hostile client
 * would send it: prints "rows N next HEX" ("-" for none) or "error CODE
 * MESSAGE". Then pings: the connection must still serve. 1 when both
 * answers came. */
static int
mode_list(peer_t *p, const kt_config_t *cfg, const char *kind,
    const char *hex, uint32_t limit)
{
	static uint8_t cur[4096];
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__BranchListRequest bl = KARTOTEKA__BRANCH_LIST_REQUEST__INIT;
	Kartoteka__UserListRequest ul = KARTOTEKA__USER_LIST_REQUEST__INIT;
	Kartoteka__TerminalListRequest tl =
	    KARTOTEKA__TERMINAL_LIST_REQUEST__INIT;
	Kartoteka__PingRequest pr = KARTOTEKA__PING_REQUEST__INIT;
	ProtobufCBinaryData c = { 0, cur }, next = { 0, NULL };
	Kartoteka__Response *r;
	long n = unhex(hex, cur, sizeof(cur));
	size_t rows = 0;
	int ok = 0;

	if (n < 0) {
		fprintf(stderr, "kt-rawpeer: bad CURSORHEX\n");
		return 0;
	}
	c.len = (size_t)n;
	if (strcmp(kind, "branch") == 0) {
		bl.cursor = c;
		bl.limit = limit;
		bl.include_archived = 1;
		req.op_case = KARTOTEKA__REQUEST__OP_BRANCH_LIST;
		req.branch_list = &bl;
	} else if (strcmp(kind, "user") == 0) {
		ul.cursor = c;
		ul.limit = limit;
		ul.include_disabled = 1;
		req.op_case = KARTOTEKA__REQUEST__OP_USER_LIST;
		req.user_list = &ul;
	} else if (strcmp(kind, "terminal") == 0) {
		tl.cursor = c;
		tl.limit = limit;
		req.op_case = KARTOTEKA__REQUEST__OP_TERMINAL_LIST;
		req.terminal_list = &tl;
	} else {
		fprintf(stderr, "kt-rawpeer: unknown list '%s'\n", kind);
		return 0;
	}
	if (handshake(p, cfg, 1) != 0 || resume(p, cfg) != 0) {
		fprintf(stderr, "kt-rawpeer: cannot resume the session\n");
		return 0;
	}
	req.id = 2;
	if ((r = call(p, &req)) == NULL)
		return 0;
	if (error_code(r) != 0) {
		printf("error %d %s\n", error_code(r), r->error->message ?
		    r->error->message : "");
	} else {
		switch (r->result_case) {
		case KARTOTEKA__RESPONSE__RESULT_BRANCH_LIST:
			rows = r->branch_list->n_branches;
			next = r->branch_list->next_cursor;
			break;
		case KARTOTEKA__RESPONSE__RESULT_USER_LIST:
			rows = r->user_list->n_users;
			next = r->user_list->next_cursor;
			break;
		case KARTOTEKA__RESPONSE__RESULT_TERMINAL_LIST:
			rows = r->terminal_list->n_terminals;
			next = r->terminal_list->next_cursor;
			break;
		default:
			break;
		}
		printf("rows %zu next ", rows);
		for (size_t i = 0; i < next.len; i++)
			printf("%02x", next.data[i]);
		printf("%s\n", next.len == 0 ? "-" : "");
	}
	kartoteka__response__free_unpacked(r, NULL);
	req.id = 3;
	req.op_case = KARTOTEKA__REQUEST__OP_PING;
	req.ping = &pr;
	if ((r = call(p, &req)) != NULL) {
		ok = r->result_case == KARTOTEKA__RESPONSE__RESULT_PING;
		kartoteka__response__free_unpacked(r, NULL);
	}
	return ok;
}

/* COUNT branch adds (PREFIX-0001, ...), pipelined a window at a time so
 * that they commit in batches: for lists longer than a page, fast. 1 when
 * every one was added. */
static int
mode_branch_add_many(peer_t *p, const kt_config_t *cfg, const char *prefix,
    int count, const char *address)
{
	enum { WINDOW = 32 };	/* under the server's SRV_MAX_INFLIGHT */
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__BranchAddRequest ar = KARTOTEKA__BRANCH_ADD_REQUEST__INIT;
	char name[128];
	int added = 0;

	if (handshake(p, cfg, 1) != 0 || resume(p, cfg) != 0) {
		fprintf(stderr, "kt-rawpeer: cannot resume the session\n");
		return 0;
	}
	ar.name = name;
	ar.address = (char *)address;
	req.op_case = KARTOTEKA__REQUEST__OP_BRANCH_ADD;
	req.branch_add = &ar;
	for (int sent = 0; sent < count;) {
		int batch = count - sent < WINDOW ? count - sent : WINDOW;
		for (int i = 0; i < batch; i++) {
			snprintf(name, sizeof(name), "%.100s-%04d", prefix,
			    sent + i + 1);
			req.id = (uint64_t)(sent + i) + 10;
			if (send_request(p, &req) != 0)
				return 0;
		}
		for (int i = 0; i < batch; i++) {
			Kartoteka__Response *r = read_response(p);
			if (r == NULL)
				return 0;
			if (error_code(r) == 0)
				added++;
			else
				printf("error %d %s\n", error_code(r),
				    r->error->message ? r->error->message : "");
			kartoteka__response__free_unpacked(r, NULL);
		}
		sent += batch;
	}
	printf("added %d of %d\n", added, count);
	return added == count;
}

int
main(int argc, char **argv)
{
	kt_config_t cfg;
	const char *why = NULL, *mode;
	peer_t *p = NULL;
	int ok = 0;

	if (argc < 4 || strcmp(argv[1], "--config") != 0) {
		usage();
		return 2;
	}
	if (sodium_init() < 0 || kt_config_load(&cfg, argv[2], &why) != 0 ||
	    !cfg.has_server) {
		fprintf(stderr, "kt-rawpeer: cannot load config %s: %s\n",
		    argv[2], why ? why : "no server file");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	mode = argv[3];
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return 2;
	p->fd = dial(cfg.address);
	if (p->fd < 0) {
		fprintf(stderr, "kt-rawpeer: cannot connect to %s\n", cfg.address);
		free(p);
		return 1;
	}

	if (strcmp(mode, "zero") == 0) {
		uint8_t z[2] = { 0, 0 };
		write_all(p->fd, z, 2);
		ok = expect_close(p);
	} else if (strcmp(mode, "oversized") == 0) {
		/* The largest frame there is, as handshake message 1: far
		 * longer than the 48 bytes message 1 has. */
		uint8_t *junk = calloc(1, 65535);
		if (junk) {
			randombytes_buf(junk, 65535);
			send_frame(p, junk, 65535);
			free(junk);
		}
		ok = expect_close(p);
	} else if (strcmp(mode, "truncated") == 0) {
		uint8_t part[12] = { 0, 100 };
		write_all(p->fd, part, sizeof(part));
		shutdown(p->fd, SHUT_WR);
		ok = expect_close(p);
	} else if (strcmp(mode, "garbage") == 0) {
		uint8_t junk[48];
		randombytes_buf(junk, sizeof(junk));
		send_frame(p, junk, sizeof(junk));
		ok = expect_close(p);
	} else if (strcmp(mode, "stall") == 0 && argc > 4) {
		/* Half a handshake message, then silence: the server must
		 * keep serving others meanwhile. */
		uint8_t part[10] = { 0, 48, 1, 2, 3 };
		write_all(p->fd, part, sizeof(part));
		printf("stalling\n");
		fflush(stdout);
		sleep((unsigned)atoi(argv[4]));
		ok = 1;
	} else if (strcmp(mode, "hangup") == 0) {
		/* Thousands of pipelined pings, then a hang-up without reading
		 * a single answer: the server's writes meet a reset socket
		 * (EPIPE), which must not take the process down. */
		Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
		Kartoteka__PingRequest pr = KARTOTEKA__PING_REQUEST__INIT;
		if (handshake(p, &cfg, 1) == 0) {
			req.op_case = KARTOTEKA__REQUEST__OP_PING;
			req.ping = &pr;
			for (int i = 0; i < 20000; i++) {
				req.id = (uint64_t)i + 1;
				if (send_request(p, &req) != 0)
					break;
			}
			/* Closing with answers unread makes our kernel send a
			 * reset while the server is still answering the
			 * frames it has read: its next writes fail (EPIPE). */
			ok = 1;
		}
	} else if (strcmp(mode, "hold") == 0) {
		/* An enrolled terminal's open connection: ping once, say so,
		 * then wait for the server to close it (revocation). */
		Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
		Kartoteka__PingRequest pr = KARTOTEKA__PING_REQUEST__INIT;
		if (handshake(p, &cfg, 1) == 0) {
			Kartoteka__Response *r;
			req.id = 1;
			req.op_case = KARTOTEKA__REQUEST__OP_PING;
			req.ping = &pr;
			send_request(p, &req);
			r = read_response(p);
			if (r) {
				printf("connected, enrolled=%d\n",
				    r->result_case ==
				    KARTOTEKA__RESPONSE__RESULT_PING &&
				    r->ping->enrolled);
				fflush(stdout);
				kartoteka__response__free_unpacked(r, NULL);
				ok = expect_close(p);
			}
		}
	} else if (strcmp(mode, "bad-transport") == 0) {
		uint8_t junk[64];
		if (handshake(p, &cfg, 1) == 0) {
			randombytes_buf(junk, sizeof(junk));
			send_frame(p, junk, sizeof(junk));
			ok = expect_close(p);
		}
	} else if (strcmp(mode, "bad-protobuf") == 0 ||
	    strcmp(mode, "unknown-op") == 0) {
		uint8_t junk[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0xff, 0xff };
		Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
		if (handshake(p, &cfg, 1) == 0) {
			Kartoteka__Response *r;
			if (mode[0] == 'b') {
				send_plain(p, junk, sizeof(junk));
			} else {
				req.id = 7;
				send_request(p, &req);
			}
			r = read_response(p);
			if (r) {
				printf("error %d %s\n", error_code(r),
				    r->error && r->error->message ?
				    r->error->message : "");
				ok = error_code(r) ==
				    KARTOTEKA__ERROR__CODE__BAD_REQUEST;
				kartoteka__response__free_unpacked(r, NULL);
			}
			ok = ok && expect_close(p);
		}
	} else if (strcmp(mode, "unenrolled-login") == 0) {
		Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
		Kartoteka__LoginRequest lr = KARTOTEKA__LOGIN_REQUEST__INIT;
		if (handshake(p, &cfg, 0) == 0) {
			Kartoteka__Response *r;
			req.id = 1;
			req.op_case = KARTOTEKA__REQUEST__OP_LOGIN;
			lr.login = "owner";
			lr.password = "whatever1";
			req.login = &lr;
			send_request(p, &req);
			r = read_response(p);
			if (r) {
				printf("error %d %s\n", error_code(r),
				    r->error && r->error->message ?
				    r->error->message : "");
				ok = error_code(r) ==
				    KARTOTEKA__ERROR__CODE__UNAUTHENTICATED;
				kartoteka__response__free_unpacked(r, NULL);
			}
			ok = ok && expect_close(p);
		}
	} else if (strcmp(mode, "login-burst") == 0 && argc > 6) {
		/* COUNT logins pipelined on one connection: prints how many
		 * were evaluated (UNAUTHENTICATED) and how many refused
		 * (RATE_LIMITED); anything else is unexpected. */
		int count = atoi(argv[6]), unauth = 0, limited = 0, other = 0;
		Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
		Kartoteka__LoginRequest lr = KARTOTEKA__LOGIN_REQUEST__INIT;
		if (handshake(p, &cfg, 1) == 0) {
			lr.login = argv[4];
			lr.password = argv[5];
			for (int i = 0; i < count; i++) {
				req.id = (uint64_t)i + 1;
				req.op_case = KARTOTEKA__REQUEST__OP_LOGIN;
				req.login = &lr;
				send_request(p, &req);
			}
			for (int i = 0; i < count; i++) {
				Kartoteka__Response *r = read_response(p);
				if (r == NULL)
					break;
				switch (error_code(r)) {
				case KARTOTEKA__ERROR__CODE__UNAUTHENTICATED:
					unauth++;
					break;
				case KARTOTEKA__ERROR__CODE__RATE_LIMITED:
					limited++;
					break;
				default:
					other++;
				}
				kartoteka__response__free_unpacked(r, NULL);
			}
			printf("unauthenticated %d rate_limited %d other %d\n",
			    unauth, limited, other);
			ok = unauth + limited == count && other == 0;
		}
	} else if (strcmp(mode, "stop-inflight") == 0 && argc > 7) {
		/* COUNT logins, then a ping; once the ping is answered the
		 * server has read every login. Then SIGTERM: the first login
		 * (in flight on the thread pool) must still be answered OK
		 * before the server closes; the others were refused at once,
		 * one login per connection at a time. */
		pid_t pid = (pid_t)atoi(argv[4]);
		int count = atoi(argv[7]), answered = 0, pinged = 0, refused = 0;
		Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
		Kartoteka__LoginRequest lr = KARTOTEKA__LOGIN_REQUEST__INIT;
		Kartoteka__PingRequest pr = KARTOTEKA__PING_REQUEST__INIT;
		if (handshake(p, &cfg, 1) == 0) {
			Kartoteka__Response *r;
			lr.login = argv[5];
			lr.password = argv[6];
			for (int i = 0; i < count; i++) {
				req.id = (uint64_t)i + 1;
				req.op_case = KARTOTEKA__REQUEST__OP_LOGIN;
				req.login = &lr;
				send_request(p, &req);
			}
			req.id = 1000;
			req.op_case = KARTOTEKA__REQUEST__OP_PING;
			req.ping = &pr;
			send_request(p, &req);
			while ((r = read_response(p)) != NULL) {
				if (r->id == 1000 && !pinged) {
					pinged = 1;
					kill(pid, SIGTERM);
				} else if (r->id == 1 && error_code(r) == 0) {
					answered++;
				} else if (r->id >= 2 && r->id <= (uint64_t)count &&
				    error_code(r) ==
				    KARTOTEKA__ERROR__CODE__RATE_LIMITED) {
					refused++;
				}
				kartoteka__response__free_unpacked(r, NULL);
			}
			printf("pinged %d, first login answered %d, pipelined "
			    "logins refused %d of %d\n", pinged, answered,
			    refused, count - 1);
			ok = pinged && answered == 1 && refused == count - 1;
		}
	} else if (strcmp(mode, "list") == 0 && argc > 4) {
		ok = mode_list(p, &cfg, argv[4], argc > 5 ? argv[5] : "",
		    argc > 6 ? (uint32_t)strtoul(argv[6], NULL, 10) : 0);
	} else if (strcmp(mode, "branch-add-many") == 0 && argc > 6) {
		ok = mode_branch_add_many(p, &cfg, argv[4], atoi(argv[5]),
		    argv[6]);
	} else {
		usage();
		ok = -1;
	}
	if (ok >= 0)
		printf("%s: %s\n", mode, ok ? "as expected" : "UNEXPECTED");
	close(p->fd);
	kt_noise_cipher_clear(&p->tx);
	kt_noise_cipher_clear(&p->rx);
	free(p);
	kt_config_clear(&cfg);
	return ok < 0 ? 2 : ok ? 0 : 1;
}
