/* SPDX-License-Identifier: MIT */
/* A server for unit tests of the request path, without sockets: a
 * kt_server_t over a temporary store (with its owner, as `kartotekad init`
 * leaves it), its writer on a uv loop, the fake network (fake_net.h), and
 * helpers to make branches, users and terminals with the model functions,
 * open connections with a session attached, log them in directly (no
 * Argon2), send Requests through kt_dispatch_message, wait (bounded) for
 * the answers, decode them and read the audit tail. Only public headers
 * of the server are used, so the harness survives changes inside req.c,
 * net.c and writer.c. Failures are cmocka failures of the calling test. */
#ifndef KT_HARNESS_H
#define KT_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "kartoteka.pb-c.h"
#include "model/store.h"
#include "net/net.h"
#include "server.h"
#include "server/fake_net.h"

/* The password of every user the harness makes. */
#define KT_H_PASSWORD "correct horse battery"
#define KT_H_OWNER "owner"

/* How long a wait may take before the test fails (never an assertion on
 * timing: only a bound on a hang). */
#define KT_H_WAIT_MS 10000u

typedef struct kt_h kt_h_t;

struct kt_h {
	kt_server_t *srv;
	kt_net_t *net;
	uint64_t owner;                   /* the owner's user id */
	uv_loop_t loop;
	struct kt_h_priv *p;              /* the harness's own */
};

/* A server with a fresh store: the owner (KT_H_OWNER, KT_H_PASSWORD), the
 * init audit entries, random server keys, default options. */
kt_h_t *kt_h_new(void);

/* Ends everything: waits (bounded) for requests in flight, drops every
 * connection, fails the test when one is still held (a request that never
 * ended), stops the writer, removes the store. */
void kt_h_free(kt_h_t *h);

/* ---- the store, through the writer ---------------------------------------- */

/* Runs fn in the writer (as a request's mutation would) and waits for its
 * commit. Returns the status. */
int kt_h_write(kt_h_t *h, kt_store_mutation_fn fn, void *arg);

/* A working branch; its id. */
uint64_t kt_h_branch(kt_h_t *h, const char *name);
/* A head or manager of one branch (0: the owner's role needs none) with
 * quota (0: the default) and KT_H_PASSWORD; its id. */
uint64_t kt_h_user(kt_h_t *h, const char *login, uint32_t role,
    uint64_t branch, uint32_t quota);
/* An enrolled terminal of branch (0: an owner terminal) named name, with
 * a random key (out), made with an invite and its enrolment. */
void kt_h_terminal(kt_h_t *h, uint64_t branch, const char *name,
    uint8_t key[32]);
/* Store changes by the owner, as an offline command or another server
 * would make them. */
void kt_h_revoke(kt_h_t *h, const uint8_t key[32]);
void kt_h_set_disabled(kt_h_t *h, const char *login, int disabled);
/* The name of branch id (kt_branch_name). */
const char *kt_h_branch_name(kt_h_t *h, uint64_t id, char *out, size_t cap);

/* ---- connections ------------------------------------------------------------ */

/* A connection from the terminal key, attached through kt_session_attach
 * (asserts it is accepted). */
kt_conn_t *kt_h_connect(kt_h_t *h, const uint8_t key[32]);
/* A connection from a new enrolled terminal of branch (0: owner's);
 * key (may be NULL) gets its key. */
kt_conn_t *kt_h_connect_enrolled(kt_h_t *h, uint64_t branch, uint8_t *key);
/* A connection from a key that is not enrolled. */
kt_conn_t *kt_h_connect_unenrolled(kt_h_t *h);

/* Logs c in as user directly: a session record (kt_session_rec_put, for
 * c's terminal) and kt_session_set_login. token (may be NULL) gets the
 * session token (32 bytes), hash its hash. */
void kt_h_login(kt_h_t *h, kt_conn_t *c, uint64_t user, uint8_t *token,
    uint8_t *hash);
/* Logs c in with the session whose token is token, as a resume would. */
void kt_h_login_token(kt_h_t *h, kt_conn_t *c, uint64_t user,
    const uint8_t token[32]);
/* An enrolled terminal of branch with a connection logged in as user. */
kt_conn_t *kt_h_session(kt_h_t *h, uint64_t user, uint64_t branch);

/* The peer goes away (kt_fake_conn_drop): c may be freed at once or when
 * its last request ends. */
void kt_h_drop(kt_h_t *h, kt_conn_t *c);

/* 1 while c's memory is alive (it may be closing). */
int kt_h_alive(kt_h_t *h, const kt_conn_t *c);

/* ---- requests and answers ------------------------------------------------- */

/* Packs req (its id set to the next one when 0) and hands it to
 * kt_dispatch_message on c. Returns the id. */
uint64_t kt_h_send(kt_h_t *h, kt_conn_t *c, Kartoteka__Request *req);
/* Hands len raw bytes to kt_dispatch_message on c. */
void kt_h_send_raw(kt_h_t *h, kt_conn_t *c, const uint8_t *p, size_t len);

/* Runs the loop until c has n answers in all (fails after KT_H_WAIT_MS). */
void kt_h_wait(kt_h_t *h, kt_conn_t *c, size_t n);
/* Runs the loop until done(arg) is true (bounded as above). */
void kt_h_run_until(kt_h_t *h, int (*done)(void *arg), void *arg);
/* Runs the loop until no request is in flight on any live connection. */
void kt_h_settle(kt_h_t *h);
/* Runs the loop without waiting: whatever is ready now. */
void kt_h_poll(kt_h_t *h);

/* The i-th answer on c, decoded (owned by h, freed with it); fails the
 * test when there is none or it does not decode. */
Kartoteka__Response *kt_h_answer(kt_h_t *h, kt_conn_t *c, size_t i);
/* The last answer on c. */
Kartoteka__Response *kt_h_last(kt_h_t *h, kt_conn_t *c);
/* Sends req and waits for one more answer on c; returns it. */
Kartoteka__Response *kt_h_call(kt_h_t *h, kt_conn_t *c,
    Kartoteka__Request *req);

/* Adds card (borrowed) as c's caller and fails the test unless it was
 * added; returns the new card's id. kt_h_client_titled: a card with only
 * a title. */
uint64_t kt_h_client_add(kt_h_t *h, kt_conn_t *c, Kartoteka__Client *card);
uint64_t kt_h_client_titled(kt_h_t *h, kt_conn_t *c, const char *title);

/* For kt_h_run_until: the last answer on conn (a kt_conn_t *) has more =
 * false, so a stream (export, backup) on it has ended. */
int kt_h_stream_ended(void *conn);
/* The same for a stream that began after the first `from` answers on c. */
typedef struct kt_h_after {
	kt_conn_t *c;
	size_t from;
} kt_h_after_t;
int kt_h_stream_ended_after(void *after);

/* Fails unless resp is an error with code and (when msg is not NULL)
 * exactly message msg. */
void kt_h_expect_error(const Kartoteka__Response *resp, uint32_t code,
    const char *msg);
/* Fails when resp is an error. */
void kt_h_expect_ok(const Kartoteka__Response *resp);

/* Requests in flight on c's session. */
unsigned kt_h_inflight(const kt_conn_t *c);
/* c's logged-in user now (0: none). */
uint64_t kt_h_user_of(const kt_conn_t *c);

/* ---- the audit ------------------------------------------------------------- */

typedef struct kt_h_entry {
	uint64_t seq, user;
	char action[32];
	char object[96];
	uint32_t outcome;
	char detail[640];
	int has_terminal;
} kt_h_entry_t;

/* The number of entries in the chain. */
uint64_t kt_h_audit_count(kt_h_t *h);
/* The last entry (fails when the chain is empty). */
kt_h_entry_t kt_h_audit_last(kt_h_t *h);
/* The entry seq (1-based; fails when missing). */
kt_h_entry_t kt_h_audit_at(kt_h_t *h, uint64_t seq);

/* From now on every answer sent on c notes the audit's last entry at the
 * moment it leaves (a send hook of the fake net), so a test can tell
 * that an answer left only after its entry was committed. */
void kt_h_watch_audit(kt_h_t *h, kt_conn_t *c);

/* Alerts of kind (KT_ALERT_*) in the store, acknowledged or not; *last
 * (may be NULL) gets the newest one's user, client, other, count and
 * limit. Also asserts that no alert's detail holds a phone ("+7..."). */
typedef struct kt_h_alert {
	uint64_t id, user, client, other, count, limit;
} kt_h_alert_t;
unsigned kt_h_alerts(kt_h_t *h, unsigned kind, kt_h_alert_t *last);
/* The audit's last entry when answer i of c left (fails when c was not
 * watched then). */
kt_h_entry_t kt_h_audit_when_sent(kt_h_t *h, kt_conn_t *c, size_t i);

/* ---- holding the writer ----------------------------------------------------- */

/* Submits a mutation that holds the writer thread until kt_h_gate_release
 * (returns once the writer is inside it): everything submitted meanwhile
 * waits, and no completion can arrive. */
void kt_h_gate_hold(kt_h_t *h);
void kt_h_gate_release(kt_h_t *h);

#endif
