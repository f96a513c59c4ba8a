/* SPDX-License-Identifier: MIT */
/* The network side of kartotekad: accepting TCP connections, framing,
 * the Noise XK handshake as responder, encrypted transport, back-pressure,
 * time-outs, the connection limit and a graceful stop. It knows nothing
 * of requests: each decrypted message goes to the upper layer through
 * kt_net_handlers_t, and what a connection carries above the transport
 * (its session) hangs off an opaque data pointer. */
#ifndef KT_NET_H
#define KT_NET_H

#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>
#include <uv.h>

typedef struct kt_net kt_net_t;
typedef struct kt_conn kt_conn_t;

typedef struct kt_net_opts {
	const char *listen;               /* "HOST:PORT"; port 0 picks one */
	unsigned max_conns;
	unsigned handshake_timeout_ms;    /* also: an untrusted peer's idle
					     time */
	unsigned idle_timeout_ms;         /* a trusted peer's idle time */
	unsigned stop_grace_ms;           /* drain time after kt_net_stop */
	size_t write_queue_max;           /* stop reading above this */
	const uint8_t *static_priv;       /* 32 bytes, borrowed: must outlive
					     the net */
	const char *server_version;       /* ServerHello; borrowed */
} kt_net_opts_t;

/* What the layer above is told. Every callback runs on the loop thread;
 * arg is the handlers' own. */
typedef struct kt_net_handlers {
	void *arg;
	/* After handshake message 3: the peer's static key is known and the
	 * transport is ready. Return 0 to go on, anything else to refuse the
	 * handshake (the connection is closed). */
	int (*on_ready)(void *arg, kt_conn_t *c, const uint8_t peer_key[32]);
	/* One decrypted transport message, valid (and wiped by the net)
	 * only during the call. */
	void (*on_message)(void *arg, kt_conn_t *c, const uint8_t *plain,
	    size_t len);
	/* The connection is closed and nobody holds it any more: free what
	 * on_ready attached (kt_conn_data). Called for ready connections
	 * only. */
	void (*on_gone)(void *arg, kt_conn_t *c);
	/* Once a second, after the net's own time-outs. */
	void (*on_tick)(void *arg);
	/* After kt_net_stop: the listener and every connection are gone. */
	void (*on_stopped)(void *arg);
	/* May be NULL. msg (an error's English text) in lang: returns msg
	 * or buf (cap bytes). Called from kt_conn_send_error, on the loop. */
	const char *(*translate)(void *arg, const char *lang, const char *msg,
	    char *buf, size_t cap);
} kt_net_handlers_t;

/* kt_net_parse_listen parses "HOST:PORT" with an IP address (IPv6 as
 * "[addr]:port"; port 0 picks one) into addr, so a command can refuse a
 * bad --listen before it opens anything. Returns 0 or KT_EINVAL. */
int kt_net_parse_listen(const char *s, struct sockaddr_storage *addr);

/* kt_net_start listens as o says and starts serving on loop. Prints
 * `listening on HOST:PORT` on stdout (the first line, for scripts).
 *   [out] out  the net; it frees itself after on_stopped has run
 * Returns 0, KT_EINVAL (a --listen that is not HOST:PORT with an IP
 * address; printed), KT_EIO (cannot listen; printed), KT_ENOMEM. */
int kt_net_start(kt_net_t **out, uv_loop_t *loop, const kt_net_opts_t *o,
    const kt_net_handlers_t *h);

/* kt_net_stop begins a graceful stop: the listener closes, connections
 * still handshaking or idle close now, busy ones finish what they have in
 * flight, flush and close, and whatever is left at the grace deadline is
 * closed. on_stopped follows. Calling it again does nothing. */
void kt_net_stop(kt_net_t *n);

/* 1 once kt_net_stop was called. */
int kt_net_stopping(const kt_net_t *n);

/* The loop's current time in milliseconds (uv_now). */
uint64_t kt_net_now_ms(const kt_net_t *n);

/* Calls fn for every connection past its handshake (ready, not yet
 * closing). fn may close connections, also the one it is given. */
void kt_net_foreach(kt_net_t *n, void (*fn)(kt_conn_t *c, void *arg),
    void *arg);

/* ---- one connection ------------------------------------------------------ */

/* kt_conn_send encrypts plain (one protobuf Response, at most
 * KT_FRAME_MAX - 16 bytes) as one transport message and queues it. plain
 * stays the caller's. On a closing connection it does nothing.
 * Returns 0, KT_ECLOSED (closing: nothing sent), KT_ETOOBIG, KT_ENOMEM
 * (the connection is then closed). */
int kt_conn_send(kt_conn_t *c, const uint8_t *plain, size_t len);

/* kt_conn_send_error sends an error Response for request id (code is a
 * kartoteka.Error.Code, message a static or caller-owned string), and
 * closes c afterwards when close_after is set. */
void kt_conn_send_error(kt_conn_t *c, uint64_t id, uint32_t code,
    const char *message, int close_after);

/* Asks for c to be closed; with flush, after its queued answers are
 * written (or the idle time-out gives up on a peer that does not read). */
void kt_conn_close(kt_conn_t *c, int flush);

/* 1 while c is open (not closing). */
int kt_conn_open(const kt_conn_t *c);

/* References: whoever answers c later (the writer, the thread pool, a
 * timer) holds one, so c's memory (and its data) outlives a close. */
void kt_conn_ref(kt_conn_t *c);
void kt_conn_unref(kt_conn_t *c);

/* The language c's client asked for in ClientHello: 2 or 3 letters a-z,
 * or "" (English). Fixed once the connection is ready; the string lives
 * as long as c. */
const char *kt_conn_lang(const kt_conn_t *c);

/* The upper layer's data hung on c (set in on_ready); NULL before. */
void kt_conn_set_data(kt_conn_t *c, void *data);
void *kt_conn_data(const kt_conn_t *c);

/* The peer's address (rate limits). */
const struct sockaddr_storage *kt_conn_peer(const kt_conn_t *c);

/* A trusted connection (an enrolled terminal) earns the long idle
 * time-out; an untrusted one gets the handshake time-out, pings or not.
 * Connections start untrusted. */
void kt_conn_set_trusted(kt_conn_t *c, int trusted);

/* The net c belongs to. */
kt_net_t *kt_conn_net(const kt_conn_t *c);

/* Bytes of c's frames handed to the socket and not yet written (what
 * write_queue_max limits): a stream of answers (export) waits while it is
 * high, so a slow reader pushes back on the producer. */
size_t kt_conn_queued(const kt_conn_t *c);

#endif
