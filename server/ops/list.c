/* SPDX-License-Identifier: MIT */
/* Paged and audited owner's lists (list.h). */
#include <stdio.h>

#include "frame.h"
#include "kt_error.h"
#include "noise.h"
#include "ops/list.h"

/* Room for the rows of a list answer: the plaintext limit of one frame
 * less a margin for the Response envelope. */
#define ANSWER_BUDGET ((size_t)KT_FRAME_MAX - KT_NOISE_TAGLEN - 256u)

int
kt_list_read(kt_req_t *r, const kt_pager_kind_t *kind, MDB_dbi dbi,
    const kt_list_ask_t *ask, kt_pager_page_t *page)
{
	kt_server_t *srv = kt_req_server(r);
	kt_pager_ctx_t ctx = { kt_req_txn(r), kt_store_dbs(srv->store),
		kt_req_arena(r), ask->include_all };
	const char *why = NULL;
	int rc;

	if (ctx.txn == NULL || ctx.arena == NULL) {
		kt_req_fail(r, KARTOTEKA__ERROR__CODE__UNAVAILABLE,
		    "cannot read the store: try again");
		return 0;
	}
	rc = kt_pager_read(&ctx, kind, dbi, ask->cursor, ask->limit,
	    ANSWER_BUDGET, page, &why);
	if (rc == KT_EINVAL) {
		kt_req_fail(r, KARTOTEKA__ERROR__CODE__BAD_REQUEST, "%s", why);
		return 0;
	}
	if (rc != 0) {
		kt_req_fail(r, KARTOTEKA__ERROR__CODE__INTERNAL,
		    "cannot read the store");
		return 0;
	}
	return 1;
}

void
kt_list_answer(kt_req_t *r, Kartoteka__Response *resp,
    kt_audit_action_t action, const kt_list_ask_t *ask,
    const kt_pager_page_t *page)
{
	char detail[96];

	snprintf(detail, sizeof(detail), "rows=%zu%s%s", page->n,
	    ask->include_all ? " all" : "",
	    ask->cursor->len != 0 ? " page=next" : "");
	kt_req_reply_audited(r, resp, action, "", 0, detail);
}
