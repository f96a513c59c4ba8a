/* SPDX-License-Identifier: MIT */
/* The owner's lists (branches, users, terminals) share one way of being
 * answered: a page read by the pager from the request's cursor and limit,
 * and an audit entry with the row count before the answer leaves. */
#ifndef KT_OPS_LIST_H
#define KT_OPS_LIST_H

#include <stdint.h>

#include "model/pager.h"
#include "req.h"

/* What one list request asks. */
typedef struct kt_list_ask {
	const ProtobufCBinaryData *cursor;
	uint32_t limit;
	int include_all;             /* archived branches / disabled users */
} kt_list_ask_t;

/* kt_list_read reads the page of kind over dbi that ask asks for, in r's
 * arena. Returns 1 with *page filled, or 0 when r was answered (a bad
 * cursor names the field; a store failure) and ended. */
int kt_list_read(kt_req_t *r, const kt_pager_kind_t *kind, MDB_dbi dbi,
    const kt_list_ask_t *ask, kt_pager_page_t *page);

/* kt_list_answer sends resp (holding page) once its audit entry (action,
 * "rows=N", " all" when archived or disabled ones were asked for,
 * " page=next" when this page is not the first) is
 * committed. Ends r. */
void kt_list_answer(kt_req_t *r, Kartoteka__Response *resp,
    kt_audit_action_t action, const kt_list_ask_t *ask,
    const kt_pager_page_t *page);

#endif
