/* SPDX-License-Identifier: MIT */
/* Owner administration over the protocol: branches, users, terminals.
 * (Being built: issue 3.) */
#include "server.h"

int
admin_dispatch(srv_conn_t *c, const Kartoteka__Request *req)
{
	(void)c;
	(void)req;
	return 0;
}
