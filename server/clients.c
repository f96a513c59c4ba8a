/* SPDX-License-Identifier: MIT */
/* Client cards: create, show, edit, archive, purge, reassign, search and
 * lists, with per-branch visibility. (Being built: issue 3.) */
#include "server.h"

int
clients_dispatch(srv_conn_t *c, const Kartoteka__Request *req)
{
	(void)c;
	(void)req;
	return 0;
}
