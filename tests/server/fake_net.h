/* SPDX-License-Identifier: MIT */
/* A test double of the network (server/net/net.h) without sockets:
 * fake_net.c defines every function of net.h over in-memory connections,
 * and a test executable that links it before the kt_server library uses
 * these definitions instead of server/net/net.c (an archive member is only
 * pulled for a symbol still missing; the kt_unit_test FAKE_NET option also
 * checks with nm that it was not). What the upper layer sends is recorded
 * per connection, in plaintext, for the test to decode.
 *
 * The model follows net.c where the request path can tell: a connection
 * holds one reference of its own (its "socket") until kt_fake_conn_drop,
 * and is freed, with the on_gone handler, when the last reference goes;
 * kt_conn_close only marks it closing, so a closed connection (and its
 * session) stays readable until the test drops it; kt_net_foreach skips
 * connections that are closing or were never announced; kt_conn_send on a
 * closing connection sends nothing (KT_ECLOSED). Loop thread only, like
 * the real one. */
#ifndef KT_FAKE_NET_H
#define KT_FAKE_NET_H

#include <stddef.h>
#include <stdint.h>

#include "net/net.h"

/* The fake net is made with kt_net_start (the listen address in the
 * options is ignored, o may be NULL; nothing is printed) and freed here:
 * every connection not yet dropped is dropped first. Returns the number
 * of connections still alive after that (someone still holds a reference
 * to them: a request that never ended); the net is freed only when it is
 * 0, else it is left (leaked) for the test to report. */
unsigned kt_fake_net_free(kt_net_t *n);

/* The clock kt_net_now_ms answers (starts at 1,000,000 ms). */
void kt_fake_net_set_now(kt_net_t *n, uint64_t now_ms);
void kt_fake_net_advance(kt_net_t *n, uint64_t ms);

/* Connections alive (not freed), and how many were freed so far. */
unsigned kt_fake_net_alive(const kt_net_t *n);
unsigned kt_fake_net_freed(const kt_net_t *n);

/* ---- one connection ------------------------------------------------------ */

/* A connection whose handshake just finished (the transport is ready), not
 * yet announced to the upper layer; it holds one reference (its socket)
 * until kt_fake_conn_drop. Peer 192.0.2.1 port 40000 + its number.
 * NULL when out of memory. */
kt_conn_t *kt_fake_conn_new(kt_net_t *n);

/* Runs the on_ready handler for c with peer_key, as net.c does after
 * handshake message 3: on 0 the connection is announced (foreach sees it,
 * on_gone will run); otherwise it is closed. Returns on_ready's answer. */
int kt_fake_conn_ready(kt_conn_t *c, const uint8_t peer_key[32]);

/* The peer went away and its socket closed: c is closed (without flush)
 * if it was not, and the socket's reference is dropped. c may be freed
 * here (nobody else held it): do not touch it afterwards. Once per c. */
void kt_fake_conn_drop(kt_conn_t *c);

/* The language c's client named in ClientHello (kt_conn_lang): "ru", or
 * "" for English (the default). */
void kt_fake_conn_set_lang(kt_conn_t *c, const char *lang);

/* Sets the peer address (an IPv4 or IPv6 literal). Returns 0 or
 * KT_EINVAL. */
int kt_fake_conn_set_peer(kt_conn_t *c, const char *ip, int port);

/* What happened to c. */
unsigned kt_fake_conn_refs(const kt_conn_t *c);
int kt_fake_conn_closed(const kt_conn_t *c);     /* closing */
int kt_fake_conn_flush(const kt_conn_t *c);      /* closing after its
						    answers are written */
unsigned kt_fake_conn_closes(const kt_conn_t *c); /* kt_conn_close calls */
int kt_fake_conn_trusted(const kt_conn_t *c);
int kt_fake_conn_announced(const kt_conn_t *c);

/* The plaintext Responses sent on c, oldest first (valid until c is
 * freed), and the sends refused because c was closing. */
size_t kt_fake_conn_nsent(const kt_conn_t *c);
const uint8_t *kt_fake_conn_sent(const kt_conn_t *c, size_t i, size_t *len);
unsigned kt_fake_conn_dropped(const kt_conn_t *c);

/* fn(c, plain, len, arg) runs inside each kt_conn_send that is recorded,
 * before it returns: to see what was true at the moment an answer left. */
typedef void (*kt_fake_send_fn)(kt_conn_t *c, const uint8_t *plain,
    size_t len, void *arg);
void kt_fake_conn_on_send(kt_conn_t *c, kt_fake_send_fn fn, void *arg);

/* What kt_conn_queued answers for c (0 at the start: nothing is ever
 * queued on the fake net unless a test says so, to see a stream of
 * answers wait for a slow reader). */
void kt_fake_conn_set_queued(kt_conn_t *c, size_t bytes);

#endif
