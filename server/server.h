/* SPDX-License-Identifier: MIT */
/* The server's one context struct and the interfaces between its modules:
 * the network loop (net.c), request handlers (auth.c), identities
 * (identity.c). */
#ifndef KT_SERVER_H
#define KT_SERVER_H

#include <stdint.h>

#include <sodium.h>
#include <uv.h>

#include "frame.h"
#include "kartoteka.pb-c.h"
#include "noise.h"
#include "model/store.h"
#include "model/writer.h"

#define KT_SERVER_VERSION "kartotekad 0.1.0"

/* Tunables; every one has a command-line option of `kartotekad run`. */
typedef struct kt_server_opts {
	const char *data_dir;
	const char *listen;               /* "127.0.0.1:7700" */
	unsigned max_conns;               /* 1024 */
	unsigned handshake_timeout_ms;    /* 10000 */
	unsigned idle_timeout_ms;         /* 600000 */
	size_t write_queue_max;           /* stop reading above this: 1 MiB */
	int64_t session_ttl_s;            /* 12 h */
	unsigned login_delay_after;       /* failures before delays start: 3 */
	unsigned login_delay_max_ms;      /* cap of the growing delay: 8000 */
	unsigned lockout_after;           /* failures that lock the login: 10 */
	int64_t lockout_s;                /* lock duration: 900 */
	unsigned enroll_failures_per_min; /* per remote address: 10 */
	unsigned stop_grace_ms;           /* drain time on SIGTERM: 10000 */
	const char *phone_country;        /* country calling code for phones
					     typed without "+": "7" */
} kt_server_opts_t;

void kt_server_opts_default(kt_server_opts_t *o);

typedef struct srv_conn srv_conn_t;

/* Failed attempts per remote address in a sliding minute: a fixed table,
 * so a flood of addresses overwrites old slots instead of growing. */
#define KT_LIMITER_SLOTS 1024u
typedef struct kt_server_limiter {
	struct {
		uint8_t addr[16];         /* IPv4 mapped into IPv6 form */
		uint64_t window_ms;       /* start of the current minute */
		unsigned count;           /* failures in it */
	} slot[KT_LIMITER_SLOTS];
	unsigned per_minute;              /* allowed failures per minute */
} kt_server_limiter_t;

/* 1 when addr may try again now (under the limit), 0 when over. */
int kt_limiter_allowed(kt_server_limiter_t *l, const struct sockaddr_storage *addr,
    uint64_t now_ms);
/* Counts one failure for addr. Returns the count in the current minute. */
unsigned kt_limiter_fail(kt_server_limiter_t *l,
    const struct sockaddr_storage *addr, uint64_t now_ms);

/* The server context: everything the running server owns. The only
 * mutable state of the process lives here. */
typedef struct kt_server {
	kt_server_opts_t opts;
	uv_loop_t *loop;
	uv_tcp_t listener;                /* accepting socket */
	uv_signal_t sig_term, sig_int;    /* graceful stop */
	uv_timer_t tick;                  /* timeouts, revocation sweep */
	kt_store_t *store;
	kt_writer_t *writer;
	uint8_t static_priv[32];          /* Noise static key */
	uint8_t static_pub[32];
	uint8_t sign_sk[64];              /* Ed25519 audit checkpoint key */
	uint8_t sign_pk[32];
	char dummy_hash[crypto_pwhash_STRBYTES]; /* verified for unknown logins */
	srv_conn_t *conns;                /* doubly linked list of connections */
	unsigned nconns;
	uint64_t terminals_gen;           /* meta "terminals_gen" last seen */
	unsigned pending_jobs;            /* thread-pool jobs in flight */
	int stopping;                     /* SIGTERM seen: draining */
	int listener_open;
	uint64_t next_maintenance_ms;     /* uv_now of the next sweep */
	uint64_t stop_deadline_ms;        /* uv_now after which a draining
					     server closes what is left */
	kt_server_limiter_t enroll_limit; /* failed enrolments per address */
	struct net_scratch *scratch;      /* loop-thread frame buffers */
	uv_tcp_t spare;                   /* rejects a connection when out of
					     memory (see reject_connection) */
	int spare_busy;
} kt_server_t;

/* Connection phases. */
typedef enum srv_phase {
	SRV_HS_MSG1,      /* waiting for handshake message 1 */
	SRV_HS_MSG3,      /* message 2 sent, waiting for message 3 */
	SRV_READY,        /* transport: requests flow */
	SRV_CLOSING,      /* close requested; handle closing or closed */
} srv_phase_t;

struct srv_conn {
	uv_tcp_t tcp;                     /* must stay first: handle->data too */
	kt_server_t *srv;
	srv_conn_t *next, *prev;
	srv_phase_t phase;
	kt_noise_hs_t hs;                 /* wiped after split */
	kt_noise_cipher_t tx, rx;         /* transport ciphers */
	kt_frame_reader_t *rd;            /* allocated with the conn */
	uint8_t term_key[32];             /* remote static: the terminal */
	int enrolled;                     /* terminal key enrolled, not revoked */
	uint64_t term_branch;             /* its branch, 0 = owner terminal */
	uint64_t user_id;                 /* logged-in user, 0 = none */
	uint8_t session_hash[32];         /* BLAKE2b-256 of the session token */
	int64_t session_expires;          /* unix seconds */
	uint64_t last_active_ms;          /* uv_now of the last frame */
	uint64_t opened_ms;
	size_t write_queued;              /* bytes handed to uv_write, not done */
	int reading;                      /* uv_read_start active */
	int read_paused;                  /* stopped by backpressure */
	unsigned refs;                    /* async ops holding the conn + 1 for
					     the handle until its close cb */
	int close_after_flush;            /* close once writes are done */
	int login_inflight;               /* a login is being checked */
	uint64_t write_progress_ms;       /* uv_now when a write last finished
					     or the queue was empty */
	struct sockaddr_storage peer;     /* remote address (rate limits) */
};

/* --- net.c ------------------------------------------------------------ */

/* kt_server_run opens the store and keys, listens, serves until SIGTERM or
 * SIGINT, then drains and returns 0, or a KT_E* code when it cannot start
 * (message already printed to stderr). */
int kt_server_run(const kt_server_opts_t *opts);

/* Encrypts and queues resp on c. Takes nothing over: resp stays the
 * caller's. If the connection is closing, does nothing. */
void srv_send(srv_conn_t *c, const Kartoteka__Response *resp);

/* Encrypts and queues an already packed Response (id is its id, for the
 * log) on c; packed stays the caller's. For answers built before a
 * commit and sent after it. If the connection is closing, does nothing. */
void srv_send_packed(srv_conn_t *c, uint64_t id, const uint8_t *packed,
    size_t len);

/* Sends an error response for request id, and closes c afterwards when
 * close_after is set. */
void srv_send_error(srv_conn_t *c, uint64_t id, Kartoteka__Error__Code code,
    const char *message, int close_after);

/* Requests the connection be closed (after queued writes when flush). */
void srv_close(srv_conn_t *c, int flush);

/* Async operations (writer, thread pool) one connection may have in
 * flight; past it the request is answered RATE_LIMITED at once. */
#define SRV_MAX_INFLIGHT 64u

/* Stops the loop once a draining server has nothing left in flight;
 * call after finishing a thread-pool job (pending_jobs). */
void srv_maybe_finish_stop(kt_server_t *srv);

/* References for async operations that answer later. */
void srv_conn_ref(srv_conn_t *c);
void srv_conn_unref(srv_conn_t *c);
int srv_conn_alive(const srv_conn_t *c);

/* --- auth.c ------------------------------------------------------------ */

/* Handles one decoded request. Owns nothing of req after it returns
 * (copies what async work needs). */
void auth_dispatch(srv_conn_t *c, const Kartoteka__Request *req);

/* After message 3: look up the terminal. Returns 0 (c->enrolled set), or
 * KT_EPERM for a revoked terminal (the handshake is refused). */
int auth_check_terminal(kt_server_t *srv, srv_conn_t *c);

/* Periodic sweep: closes connections whose terminal was revoked and whose
 * sessions ended. */
void auth_sweep(kt_server_t *srv);

/* Reading users, shared by the request modules (auth.c). */
#define KT_MAX_USER_BRANCHES 32u
#define KT_DEFAULT_VIEW_QUOTA 200u

/* A user as the handlers need it, copied out of LMDB. */
typedef struct srv_user {
	uint64_t id;
	char login[65];
	char name[257];
	uint32_t role;                     /* Kartoteka__Role */
	int disabled;
	uint32_t daily_view_quota;
	size_t nbranches;
	uint64_t branches[KT_MAX_USER_BRANCHES];
	char names[KT_MAX_USER_BRANCHES][129];
	char *name_ptrs[KT_MAX_USER_BRANCHES]; /* into names, for UserInfo */
	char pwhash[crypto_pwhash_STRBYTES];
} srv_user_t;

/* Load user id / the user with login into u (branch names resolved).
 * Return 0, KT_ENOTFOUND, KT_ESTORE, KT_EPROTO. */
int srv_load_user(kt_server_t *srv, MDB_txn *txn, uint64_t id, srv_user_t *u);
int srv_find_user(kt_server_t *srv, MDB_txn *txn, const char *login,
    srv_user_t *u);
/* Fills ui with pointers into u (u must outlive ui). */
void srv_user_info(Kartoteka__UserInfo *ui, srv_user_t *u);
/* The name of branch id ("#id" when unknown) into out. */
void srv_branch_name(kt_server_t *srv, MDB_txn *txn, uint64_t id, char *out,
    size_t cap);
/* May u work from a terminal of branch term_branch (0 = owner terminal)? */
int srv_user_may_use_terminal(const srv_user_t *u, uint64_t term_branch);

/* Queues a mutation for request handling on c: holds a reference on c
 * until done has run (done must call srv_conn_unref(c)). Returns 0, or
 * the writer's error (the reference is dropped; done will not run). */
int srv_submit(srv_conn_t *c, kt_store_mutation_fn fn, kt_writer_done_fn done,
    void *arg);

/* --- admin.c: owner administration of branches, users, terminals ------ */

/* Handles req if it is an administration op: returns 1 (answered or
 * answering later), else 0. c has a logged-in session. */
int admin_dispatch(srv_conn_t *c, const Kartoteka__Request *req);

/* --- clients.c: client cards, search and lists ------------------------ */

/* Handles req if it is a client-card op: returns 1, else 0. */
int clients_dispatch(srv_conn_t *c, const Kartoteka__Request *req);

/* --- maintenance.c: housekeeping --------------------------------------- */

/* How often the server sweeps dead sessions, invites and failure rows. */
#define KT_MAINTENANCE_EVERY_MS (3600u * 1000u)

/* How long after expiry an invite record is kept (the audit keeps the
 * story; the record only answers "already used"/"expired" meanwhile), and
 * how long an unlocked login-failure row counts (auth.c). */
#define KT_MAINTENANCE_INVITE_KEEP_S (7 * 24 * 3600)
#define KT_MAINTENANCE_FAILURE_KEEP_S (24 * 3600)

typedef struct kt_sweep_counts {
	size_t sessions, invites, failures;    /* rows removed */
} kt_sweep_counts_t;

/* Deletes, inside write transaction txn, sessions expired at now, invites
 * expired a week before now, and login-failure rows neither locked nor
 * touched for a day. Returns 0, KT_ESTORE, KT_ENOSPC. */
int kt_maintenance_sweep(kt_store_t *st, MDB_txn *txn, int64_t now,
    kt_sweep_counts_t *out);

/* Queues one sweep on the writer (no-op while stopping). */
void kt_maintenance_run(kt_server_t *srv);

/* --- identity.c -------------------------------------------------------- */

/* Data-dir files. */
#define KT_SERVER_KEY_FILE "server.key"
#define KT_SIGN_KEY_FILE "sign.key"

/* kt_identity_load_keys reads server.key and sign.key from dir into srv's
 * key fields. Returns 0, KT_ENOTFOUND, KT_EIO, KT_EPERM, KT_EINVAL. */
int kt_identity_load_keys(const char *dir, uint8_t static_priv[static 32],
    uint8_t static_pub[static 32], uint8_t sign_sk[static 64],
    uint8_t sign_pk[static 32]);

/* Validates a login name: 1..64 of [a-z0-9._-], starting with a letter.
 * Returns NULL when fine, else a message naming the problem. */
const char *kt_identity_login_problem(const char *login);

/* Validates a password: 8..1024 bytes. NULL or the problem. */
const char *kt_identity_password_problem(const char *password);

/* kt_identity_hash_password: Argon2id (crypto_pwhash_str, interactive
 * limits). Slow: call on a thread-pool thread or in an offline command.
 * Returns 0 or KT_ENOMEM. */
int kt_identity_hash_password(char out[static crypto_pwhash_STRBYTES],
    const char *password);

/* One audit append using the server's signing key (may be NULL offline;
 * then checkpoints are left to the server). */
struct kt_audit_event;
int kt_identity_audit(kt_store_t *st, MDB_txn *txn,
    const struct kt_audit_event *ev, const uint8_t *sign_sk);

/* Mutation: create an invite for branch, token hashed.
 * arg: struct kt_invite_job. */
typedef struct kt_invite_job {
	uint64_t branch;                   /* [in] 0 = owner terminal */
	int64_t now, ttl_s;                /* [in] */
	uint8_t token[32];                 /* [in] random token */
	const uint8_t *sign_sk;            /* [in] may be NULL */
} kt_invite_job_t;
int kt_identity_invite_mut(kt_store_t *st, MDB_txn *txn, void *arg);

/* Hex-encodes the first n bytes of key into out (2n+1 bytes). */
void kt_hex(char *out, const uint8_t *in, size_t n);

/* Current time. */
int64_t kt_now_s(void);
int64_t kt_now_ms(void);

/* meta "terminals_gen": bumped whenever a terminal changes so the server
 * re-checks its connections. */
int kt_identity_bump_terminals_gen(kt_store_t *st, MDB_txn *txn);
uint64_t kt_identity_terminals_gen(kt_store_t *st, MDB_txn *txn);

#endif
