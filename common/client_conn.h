/* SPDX-License-Identifier: MIT */
/* The blocking client connection used by the CLI and the TUI: TCP connect,
 * Noise XK handshake as initiator, then one Request/Response at a time. */
#ifndef KT_CLIENT_CONN_H
#define KT_CLIENT_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "kartoteka.pb-c.h"

typedef struct kt_conn kt_conn_t;

#define KT_PROLOGUE "kartoteka/1"
#define KT_PROTOCOL_VERSION 1u
#define KT_CLIENT_VERSION "0.1.0" /* sent in ClientHello.client_version */

/* kt_conn_open dials address ("host:port"), runs the XK handshake with the
 * terminal key term_priv against server_pub, sends ClientHello(client_name,
 * version). timeout_ms bounds the connect (all resolved addresses together)
 * and the reading or writing of each frame; <= 0 means no limit.
 *   [out] out    the connection, closed with kt_conn_close
 *   [out] hello  if not NULL, the server's ServerHello (caller frees with
 *                kartoteka__server_hello__free_unpacked)
 * Returns 0, KT_ECONNECT, KT_ETIMEDOUT, KT_ECRYPTO (wrong server key),
 * KT_EPROTO (also: the server speaks another protocol version), KT_ECLOSED,
 * KT_ENOMEM, KT_EINVAL. A server that closes during the handshake (what an
 * XK responder does when the client used the wrong server key) gives
 * KT_ECLOSED. */
int kt_conn_open(kt_conn_t **out, const char *address,
    const uint8_t server_pub[static 32], const uint8_t term_priv[static 32],
    const char *client_name, int timeout_ms, Kartoteka__ServerHello **hello);

/* kt_conn_open_detail is kt_conn_open that also writes a short English
 * reason for a failure into detail (detailcap bytes, NUL-terminated; may be
 * NULL): "Connection refused", "cannot resolve host: ...", "the server
 * closed the connection during the handshake (...)". Callers translate the
 * fixed parts with gettext() if they like. */
int kt_conn_open_detail(kt_conn_t **out, const char *address,
    const uint8_t server_pub[static 32], const uint8_t term_priv[static 32],
    const char *client_name, int timeout_ms, Kartoteka__ServerHello **hello,
    char *detail, size_t detailcap);

/* kt_conn_call sends req (its id is assigned by the connection: 1, 2, ...,
 * written into req->id) and waits for the Response. One call at a time: a
 * Response with any other id is a protocol error.
 *   [out] resp  caller frees with kartoteka__response__free_unpacked; the
 *               result oneof and every sub-message pointer in it come from
 *               the server and must be checked before use
 * Returns 0 (check resp->error for the server's answer), KT_ECLOSED,
 * KT_ETIMEDOUT, KT_ECRYPTO, KT_EPROTO, KT_ETOOBIG, KT_ENONCE, KT_EIO,
 * KT_ESTATE (the previous answer had more = true: drain it with
 * kt_conn_next first), KT_EINVAL. After any error except KT_ETOOBIG,
 * KT_ESTATE and KT_EINVAL the connection is closed (keys wiped) and every
 * later call returns KT_ECLOSED; the caller still calls kt_conn_close. */
int kt_conn_call(kt_conn_t *c, Kartoteka__Request *req,
    Kartoteka__Response **resp);

/* kt_conn_next reads the next Response of the current call after one with
 * more = true (export). Same ownership and errors as kt_conn_call;
 * KT_ESTATE when no further Response is announced. */
int kt_conn_next(kt_conn_t *c, Kartoteka__Response **resp);

/* ---- pipelined use (kartoteka-tui) ----
 * Instead of kt_conn_call, a program with an event loop sends requests
 * with kt_conn_send (any number before the first answer) and, whenever
 * kt_conn_fd is readable, takes the answers with kt_conn_poll, in the
 * order the server sends them (not necessarily the order of the
 * requests). Do not mix with kt_conn_call on one connection. */

/* kt_conn_fd is the socket to poll() for POLLIN, or -1 once the connection
 * is closed or broken. */
int kt_conn_fd(const kt_conn_t *c);

/* kt_conn_send assigns req the next id (written into req->id), encrypts
 * and sends it without waiting for the answer. The write itself may wait
 * up to the connection's time-out for the socket to take the frame.
 * Returns 0, KT_ETOOBIG (nothing sent, the connection is fine), KT_EINVAL,
 * KT_ESTATE, or an error after which the connection is broken (KT_ECLOSED,
 * KT_ETIMEDOUT, KT_EIO, KT_ECRYPTO, KT_ENONCE). */
int kt_conn_send(kt_conn_t *c, Kartoteka__Request *req);

/* kt_conn_poll reads what the socket holds without waiting.
 *   [out] resp  on 1: one Response (caller frees with
 *               kartoteka__response__free_unpacked); its id is one that
 *               kt_conn_send assigned, its result unchecked
 * Returns 1 (a Response; call again, more may be buffered), 0 (nothing
 * complete yet: wait for POLLIN), or a negative KT_E* code after which the
 * connection is broken: KT_ECLOSED, KT_EIO, KT_EPROTO (a bad frame, an
 * undecodable Response, an id never sent, a streamed answer), KT_ECRYPTO. */
int kt_conn_poll(kt_conn_t *c, Kartoteka__Response **resp);

/* kt_response_result is the message of resp's result oneof (the case
 * number is the field number, so the descriptor finds any of them), or
 * NULL when the case is unknown or its message absent. The pointer is
 * resp's: valid while resp is. */
const void *kt_response_result(const Kartoteka__Response *resp);

/* kt_response_free frees resp (NULL is fine) after wiping the session
 * token of a login answer, which must not stay in freed memory. */
void kt_response_free(Kartoteka__Response *resp);

/* Closes the socket and wipes keys. Accepts NULL. */
void kt_conn_close(kt_conn_t *c);

#endif
