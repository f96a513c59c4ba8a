/* SPDX-License-Identifier: MIT */
/* The dispatcher: one lookup of a request's row in the op table (the rows
 * of every domain's ops file, ops/ops.h), the checks every op shares
 * (phase, limits, session, authorisation class, audit of refusals) done
 * once here, then the request context and the row's handler. Adding an op
 * is adding a row; nothing here changes. */
#ifndef KT_DISPATCH_H
#define KT_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "kartoteka.pb-c.h"
#include "net/net.h"
#include "ops/ops.h"
#include "server.h"

/* Requests one connection may have in flight (writer, thread pool,
 * delays); past it an op is answered RATE_LIMITED at once. */
#define KT_DISPATCH_MAX_INFLIGHT 64u

/* The row of op case op, or NULL when there is none (the first, should a
 * table wrongly hold two: a test keeps that from happening). */
const kt_op_row_t *kt_dispatch_row(unsigned op);

/* The domains of the table, in order: *n of them (tests, documents). */
const kt_op_domain_t *const *kt_dispatch_domains(size_t *n);

/* kt_dispatch_message handles one decrypted transport message from c
 * (plain, len: valid during the call): decodes a Request into
 * srv->req_arena, checks it, and runs its op. Anything malformed is
 * answered with an error, and the connection is closed after it where
 * DESIGN 2 says so. Loop thread. */
void kt_dispatch_message(kt_server_t *srv, kt_conn_t *c, const uint8_t *plain,
    size_t len);

#endif
