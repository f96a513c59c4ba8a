/* SPDX-License-Identifier: MIT */
/* The request context: everything a handler of one request does with the
 * world goes through it. It answers (now, after the writer committed a
 * mutation, or only once the request's audit entry is committed), hands
 * mutations to the writer and slow work to the thread pool, delays, and
 * changes its own connection's session. It holds the connection for as
 * long as the request lives, so an answer to a connection that went away
 * is simply dropped, and a change still takes effect.
 *
 * Ownership: dispatch creates a request; from then on the handler owns it
 * and must end it exactly once, by one of the answering functions below
 * (kt_req_reply, kt_req_fail, kt_req_send_answer, ...) or by handing it to
 * kt_req_submit / kt_req_work / kt_req_delay, whose callbacks then own it.
 * After it ends, the request and its state are freed: never touch either
 * again. */
#ifndef KT_REQ_H
#define KT_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "kartoteka.pb-c.h"
#include "model/audit.h"
#include "model/user_day.h"
#include "model/store.h"
#include "model/user_store.h"
#include "model/verdict.h"
#include "net/net.h"
#include "server.h"

typedef struct kt_req kt_req_t;

/* ---- made by dispatch ------------------------------------------------ */

typedef struct kt_req_spec {
	size_t state_size;            /* per-op state (zeroed) */
	int secret;                   /* wipe the state when the request ends */
	unsigned serial_bit;          /* a session's one-at-a-time bit, held
					 until the end (0: none) */
	kt_audit_action_t action;     /* the op's audit action */
	int write;                    /* may submit mutations of the store
					 (kt_req_submit); others only audit */
	int reserve;                  /* its mutations may use the store's
					 reserve (KT_OP_RESERVE) */
	int limited;                  /* charged against the per-address
					 failure limit: refunded at the end
					 unless kt_req_limit_keep */
} kt_req_spec_t;

/* kt_req_new makes the context of request id on c (its session must be
 * attached) with spec's state; NULL when out of memory. */
kt_req_t *kt_req_new(kt_server_t *srv, kt_conn_t *c, uint64_t id,
    const kt_req_spec_t *spec);

/* The caller, loaded by dispatch for ops that need a login. */
void kt_req_set_caller(kt_req_t *r, const kt_user_t *u);

/* Ends the loop-side read transaction handed out by kt_req_txn (dispatch,
 * after a handler returns; the callbacks of this module do it
 * themselves). */
void kt_req_txn_release(kt_server_t *srv);

/* ---- what a handler reads --------------------------------------------- */

kt_server_t *kt_req_server(const kt_req_t *r);
uint64_t kt_req_id(const kt_req_t *r);
/* The op's state: spec.state_size bytes, zeroed at the start. */
void *kt_req_state(const kt_req_t *r);
/* The logged-in caller, NULL for ops before login. */
const kt_user_t *kt_req_caller(const kt_req_t *r);
/* The caller as the audit names it (user, terminal, the server's key). */
kt_actor_t kt_req_actor(const kt_req_t *r);
/* Audits action by r's caller on object "kind:id" (id 0: the whole kind,
 * "kinds": "clients", "deals") with outcome (a KT_CODE_*) and detail
 * (NULL: none), in the writer's transaction txn. Returns
 * kt_audit_record's code. */
int kt_req_audit(kt_store_t *st, MDB_txn *txn, const kt_req_t *r,
    kt_audit_action_t action, const char *kind, uint64_t id,
    uint32_t outcome, const char *detail);
/* The caller as the day counters see it (model/user_day.h) at now, on
 * the business day of the caller's branch. Inside txn (the writer's, in
 * a mutation); the request must have a caller. */
kt_uday_who_t kt_req_counted(const kt_req_t *r, MDB_txn *txn, int64_t now);
/* 1 when r's caller may see client card id (model/client_store.h,
 * kt_cstore_visible_to, on the loop's read transaction); else 0 with r
 * answered: NOT_FOUND "no client ID" exactly as for a missing card, or
 * UNAVAILABLE when the store cannot be read. */
int kt_req_client_visible(kt_req_t *r, uint64_t id);
/* The terminal's key (32 bytes), whether it is enrolled, its branch. */
const uint8_t *kt_req_terminal_key(const kt_req_t *r);
int kt_req_enrolled(const kt_req_t *r);
uint64_t kt_req_terminal_branch(const kt_req_t *r);
/* The token hash and expiry of the connection's login session. */
const uint8_t *kt_req_session_hash(const kt_req_t *r);
int64_t kt_req_session_expires(const kt_req_t *r);
/* The peer's address. */
const struct sockaddr_storage *kt_req_peer(const kt_req_t *r);
/* 1 while the connection is open (someone will read the answer). */
int kt_req_alive(const kt_req_t *r);
/* The connection itself, only to be passed as `except` to session.h's
 * functions (close it after its answer is out). */
const kt_conn_t *kt_req_conn(const kt_req_t *r);

/* A read transaction of the store on the loop, shared by everything the
 * current handler or callback does and ended after it returns; NULL when
 * the store cannot be read. Never on the writer or a pool thread. */
MDB_txn *kt_req_txn(kt_req_t *r);

/* r takes p (malloc'd) and frees it when it ends: memory a mutation reads
 * on the writer thread (a packed card). At most 4 per request. Returns 0,
 * or KT_ENOMEM having freed p. Accepts NULL (nothing to keep). */
int kt_req_keep(kt_req_t *r, void *p);

/* An arena for answers built on the loop, freed when the request ends;
 * NULL when out of memory. */
kt_arena_t *kt_req_arena(kt_req_t *r);

/* ---- answering (each ends the request) ------------------------------- */

/* Sends resp (its id is set here) now. */
void kt_req_reply(kt_req_t *r, Kartoteka__Response *resp);

/* Sends an error with code (kartoteka.Error.Code) and a printf-formatted
 * message naming the problem. */
void kt_req_fail(kt_req_t *r, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As kt_req_fail, then closes the connection once the answer is out. */
void kt_req_fail_close(kt_req_t *r, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The answer for a store failure status (KT_ENOSPC: the disk is full;
 * anything else: try again), UNAVAILABLE. */
void kt_req_fail_store(kt_req_t *r, int status);

/* The answer to everything refused for space. */
#define KT_REQ_DISK_FULL "the server's disk is full: nothing was changed; " \
	"tell the owner"

/* kt_req_note_full: a write was refused for space: srv->disk_full is
 * set, and every op that reads or changes the base is refused at once
 * (dispatch.c) until kt_req_note_room finds room. On the loop. */
void kt_req_note_full(kt_server_t *srv);
/* On the tick: sets srv->disk_full when the writer refused a batch for
 * space since the last call, and clears it once kt_store_has_room. */
void kt_req_note_room(kt_server_t *srv);

/* The common start of a completion: when status is a store failure
 * (kt_req_fail_store) or v a refusal (its code and message), answers so,
 * ends r and returns 1; returns 0 (r still the caller's) when both are
 * OK. v may be NULL. */
int kt_req_refused(kt_req_t *r, int status, const kt_verdict_t *v);

/* Sends resp only once an audit entry of the caller (action, object,
 * outcome, detail) is committed, or UNAVAILABLE when it cannot be. */
void kt_req_reply_audited(kt_req_t *r, Kartoteka__Response *resp,
    kt_audit_action_t action, const char *object, uint32_t outcome,
    const char *detail);

/* Sends the answer prepared with kt_req_answer* once the audit entry is
 * committed (or UNAVAILABLE when it cannot be). */
void kt_req_answer_audited(kt_req_t *r, kt_audit_action_t action,
    const char *object, uint32_t outcome, const char *detail);

/* A refusal audited the same way: the message is also the detail. */
void kt_req_fail_audited(kt_req_t *r, uint32_t code, kt_audit_action_t action,
    const char *object, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- answers prepared off the loop ------------------------------------ */

/* These may run on the writer thread (inside a mutation, which may run
 * more than once: each call replaces what an earlier one prepared). The
 * request is not ended: its completion sends the answer. */
/* Packs resp (id set here). Returns 0 or KT_ENOMEM / KT_ETOOBIG. */
int kt_req_answer(kt_req_t *r, Kartoteka__Response *resp);
/* Prepares the answer `client` with card rec (model/client_card.h
 * kt_card_wire: names read inside txn, contacts masked when masked,
 * built in arena a). Returns 0, KT_ENOMEM, KT_ETOOBIG. */
struct kt_arena;
int kt_req_answer_card(kt_req_t *r, struct kt_arena *a, MDB_txn *txn,
    const Ktstore__ClientRecord *rec, int masked);
/* kt_req_answer_full_card is kt_req_answer_card for a full, counted
 * view (client show): card rec unmasked, with its three newest
 * interactions (ClientResponse.recent; fewer when the card and they
 * would not fit in one frame). Returns 0, KT_ENOMEM, KT_ETOOBIG,
 * KT_ESTORE. */
int kt_req_answer_full_card(kt_req_t *r, struct kt_arena *a, MDB_txn *txn,
    const Ktstore__ClientRecord *rec);
/* Prepares an error answer. Returns 0 or KT_ENOMEM. */
int kt_req_answer_error(kt_req_t *r, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prepares a Response whose result field number field is the already
 * packed message inner (len bytes): no unpacking and packing again.
 * Returns 0, KT_ENOMEM, KT_ETOOBIG. */
int kt_req_answer_packed(kt_req_t *r, unsigned field, const uint8_t *inner,
    size_t len);
/* 1 when an answer is prepared. */
int kt_req_has_answer(const kt_req_t *r);

/* Sends the prepared answer (INTERNAL when there is none). Ends r. */
void kt_req_send_answer(kt_req_t *r);

/* ---- asynchronous work ------------------------------------------------- */

/* A mutation of r run on the writer thread inside the batch's
 * transaction (see kt_store_mutation_fn: it may run more than once). */
typedef int (*kt_req_mut_fn)(kt_store_t *st, MDB_txn *txn, kt_req_t *r);
/* Runs on the loop after the commit (status 0) or its failure; owns r. */
typedef void (*kt_req_done_fn)(kt_req_t *r, int status);

/* kt_req_submit queues mut for the writer. done NULL means: a failed
 * commit answers kt_req_fail_store, a committed one sends the prepared
 * answer. When the writer does not take it (stopping), r is answered
 * UNAVAILABLE here. Either way r is no longer the caller's. */
void kt_req_submit(kt_req_t *r, kt_req_mut_fn mut, kt_req_done_fn done);

/* kt_req_work runs work(r) on a thread-pool thread (it may touch only r's
 * state), then after(r, status) on the loop (status non-zero: the work
 * did not run). after owns r. */
void kt_req_work(kt_req_t *r, void (*work)(kt_req_t *r),
    void (*after)(kt_req_t *r, int status));

/* kt_req_delay calls fn(r) on the loop after ms milliseconds; fn owns r. */
void kt_req_delay(kt_req_t *r, uint64_t ms, void (*fn)(kt_req_t *r));

/* The attempt failed: keep the per-address charge dispatch made for it
 * (ops with KT_OP_ADDR_LIMIT; without this the end of the request refunds
 * it). */
void kt_req_limit_keep(kt_req_t *r);

/* ---- streaming: one answer in several Responses (export) ---------------- */

/* Pieces waiting for the connection, at most; a producer blocks past it. */
#define KT_REQ_STREAM_DEPTH 4u

/* kt_req_stream runs work(r) on a thread-pool thread, as kt_req_work
 * does; work sends pieces of the answer with kt_req_stream_push. They
 * leave on the loop in order, each as soon as the connection has less
 * than a quarter of write_queue_max queued (back-pressure: a reader that
 * does not keep up stops the producer, so memory stays bounded on both
 * sides). after(r, status) runs on the loop once work has returned and
 * every piece pushed has left or was dropped (the connection went away):
 * it owns r and ends it with the last Response (more = false) by any of
 * the answering functions above, or kt_req_submit. status: 0, or non-zero
 * when work did not run. */
void kt_req_stream(kt_req_t *r, void (*work)(kt_req_t *r),
    void (*after)(kt_req_t *r, int status));

/* From work only (a pool thread): queues Response { id, more = true,
 * <field> = inner (len packed bytes) }, copied. Waits while
 * KT_REQ_STREAM_DEPTH pieces are queued. Returns 0, KT_ECLOSED (the
 * connection went away: stop producing), KT_ENOMEM, KT_ETOOBIG. */
int kt_req_stream_push(kt_req_t *r, unsigned field, const uint8_t *inner,
    size_t len);

/* 1 when r's stream was cut short because the connection went away
 * (pieces were dropped): for after. */
int kt_req_stream_cut(const kt_req_t *r);

/* ---- the connection's own session -------------------------------------- */

/* The terminal was enrolled for branch. */
void kt_req_session_enrolled(kt_req_t *r, uint64_t branch);
/* The connection is logged in as user with the session token_hash. */
void kt_req_session_login(kt_req_t *r, uint64_t user,
    const uint8_t token_hash[32], int64_t expires);

/* kt_req_translate: msg (an error's English text) in the language r's
 * client asked for: msg itself, or buf (cap bytes). For answers built
 * here rather than by kt_req_fail (which the net translates); any
 * thread. Error.code and Error.field stay as they are. */
const char *kt_req_translate(const kt_req_t *r, const char *msg, char *buf,
    size_t cap);

/* kt_req_fail_field is kt_req_fail whose Error also names the field it
 * is about in Error.field, so that a form can show the message under that
 * field. field NULL or "": the path the message begins with, when it
 * begins with one ("people[1].phones[0]: ..." names
 * "people[1].phones[0]"); otherwise Error.field stays empty. */
void kt_req_fail_field(kt_req_t *r, uint32_t code, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
