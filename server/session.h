/* SPDX-License-Identifier: MIT */
/* Who is on the other end of each connection: its terminal (enrolled or
 * not, which branch) and its login session (user, token hash, expiry),
 * and the changes that reach across connections: a logout ends the
 * session everywhere it was resumed, a new password logs a user out
 * everywhere, disabling a user or revoking a terminal closes their
 * connections, and a once-a-second sweep re-checks every connection when
 * the store's terminals generation moved (also from another process). */
#ifndef KT_SESSION_H
#define KT_SESSION_H

#include <stdint.h>

#include "net/net.h"
#include "server.h"

typedef struct kt_session kt_session_t;

/* kt_session_attach (net on_ready) looks the terminal key up and hangs a
 * new session on c. Returns 0, KT_EPERM (a revoked terminal: the
 * handshake is refused), KT_ENOMEM, KT_ESTORE. */
int kt_session_attach(kt_server_t *srv, kt_conn_t *c,
    const uint8_t peer_key[32]);

/* kt_session_detach (net on_gone) frees c's session. */
void kt_session_detach(kt_conn_t *c);

/* The session of a ready connection (never NULL for one that passed
 * on_ready). */
kt_session_t *kt_session_of(const kt_conn_t *c);

/* ---- reading one session ------------------------------------------------- */

int kt_session_enrolled(const kt_session_t *s);
uint64_t kt_session_terminal_branch(const kt_session_t *s);
const uint8_t *kt_session_terminal_key(const kt_session_t *s); /* 32 */
/* The logged-in user at now (unix seconds), or 0: none, or the session
 * expired (which also logs it out here). */
uint64_t kt_session_user(kt_session_t *s, int64_t now);
int64_t kt_session_expires(const kt_session_t *s);
/* The session's idle time in seconds (0: none). kt_session_user counts a
 * call as a use: a request of the logged-in user starts it again. */
int64_t kt_session_idle(const kt_session_t *s);
/* The login session's token hash (32 bytes; zeros when logged out). */
const uint8_t *kt_session_token_hash(const kt_session_t *s);

/* Requests of this connection being handled, and one-at-a-time ops in
 * flight (a bit each), kept by the request context. */
unsigned kt_session_inflight(const kt_session_t *s);
void kt_session_inflight_add(kt_session_t *s, int delta);
int kt_session_serial_busy(const kt_session_t *s, unsigned bit);
void kt_session_serial_set(kt_session_t *s, unsigned bit, int on);

/* ---- changes of one session ---------------------------------------------- */

/* The terminal was just enrolled for branch (0: owner terminal). */
void kt_session_set_enrolled(kt_session_t *s, uint64_t branch);

/* Logs user in with the session whose token hashes to token_hash, used
 * now, without an idle time (kt_session_set_idle sets it). */
void kt_session_set_login(kt_session_t *s, uint64_t user,
    const uint8_t token_hash[32], int64_t expires);

/* ---- across connections -------------------------------------------------- */

/* Every open connection logged in with the session token_hash is logged
 * out, whether or not the requester is still open to hear of it (a
 * closing connection runs no more requests, so it is left as it is). */
void kt_session_logout_everywhere(kt_server_t *srv,
    const uint8_t token_hash[32]);

/* Every connection logged in with the session token_hash ends it after
 * idle_s seconds unused (0: never). */
void kt_session_set_idle(kt_server_t *srv, const uint8_t token_hash[32],
    int64_t idle_s);

/* The idle time of the session token_hash as its open connections hold
 * it (0: none, or no connection is logged in with it). */
int64_t kt_session_idle_of(kt_server_t *srv, const uint8_t token_hash[32]);

/* The latest use (unix seconds) of the session token_hash on any open
 * connection, 0 when none is logged in with it: a resume on a new
 * connection counts the use of a long-lived one. */
int64_t kt_session_last_use(kt_server_t *srv, const uint8_t token_hash[32]);

/* A new login on terminal key ended its earlier sessions: every other
 * connection of the key that is logged in is logged out and closed
 * (except, the one that logged in, is left alone). Returns how many. */
size_t kt_session_end_terminal(kt_server_t *srv, const uint8_t key[32],
    const kt_conn_t *except);

/* 1 when another open connection of terminal key (not except) comes
 * from an IP address other than peer's (a copied terminal key in use on
 * two machines at once); the first such address goes into other (cap
 * bytes, may be NULL). */
int kt_session_other_address(kt_server_t *srv, const uint8_t key[32],
    const struct sockaddr_storage *peer, const kt_conn_t *except,
    struct sockaddr_storage *other);

/* Every connection of user is logged out (its sessions were ended). */
void kt_session_logout_user(kt_server_t *srv, uint64_t user);

/* Every connection of user is closed; except, when not NULL, is closed
 * after its queued answers are written. */
void kt_session_close_user(kt_server_t *srv, uint64_t user,
    const kt_conn_t *except);

/* Every connection of the terminal key is closed (except: as above). */
void kt_session_close_terminal(kt_server_t *srv, const uint8_t key[32],
    const kt_conn_t *except);

/* The once-a-second sweep: when the terminals generation moved, every
 * connection's terminal and session are checked again, and those that
 * lost their right close. */
void kt_session_sweep(kt_server_t *srv);

#endif
