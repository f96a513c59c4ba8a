/* SPDX-License-Identifier: MIT */
/* Connection sessions (session.h). */
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <sodium.h>

#include "kt_error.h"
#include "model/identity.h"
#include "model/session_store.h"
#include "model/terminal_store.h"
#include "model/user_store.h"
#include "session.h"

struct kt_session {
	kt_conn_t *conn;
	uint8_t term_key[32];             /* the peer's static key */
	int enrolled;                     /* enrolled, not revoked */
	uint64_t term_branch;             /* its branch, 0 = owner terminal */
	uint64_t user;                    /* logged-in user, 0 = none */
	uint8_t token_hash[32];           /* BLAKE2b-256 of the session token */
	int64_t expires;                  /* unix seconds */
	int64_t idle_s;                   /* ends unused this long (0: no) */
	int64_t last_used;                /* unix seconds of the last use */
	unsigned inflight;                /* requests being handled */
	unsigned serial;                  /* one-at-a-time ops in flight */
};

kt_session_t *
kt_session_of(const kt_conn_t *c)
{
	return kt_conn_data(c);
}

int
kt_session_attach(kt_server_t *srv, kt_conn_t *c, const uint8_t peer_key[32])
{
	Ktstore__TerminalRecord *t = NULL;
	kt_session_t *s;
	MDB_txn *txn = NULL;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return KT_ENOMEM;
	s->conn = c;
	memcpy(s->term_key, peer_key, 32);
	if ((rc = kt_store_read_begin(srv->store, &txn)) != 0)
		goto out;
	rc = kt_terminal_get(txn, kt_store_dbs(srv->store), peer_key, &t);
	kt_store_read_end(srv->store, txn);
	if (rc == KT_ENOTFOUND) {
		rc = 0; /* may ping and enrol */
	} else if (rc == 0 && t->revoked) {
		rc = KT_EPERM;
	} else if (rc == 0) {
		s->enrolled = 1;
		s->term_branch = t->branch;
	}
out:
	if (t != NULL)
		protobuf_c_message_free_unpacked(&t->base, NULL);
	if (rc != 0) {
		free(s);
		return rc;
	}
	kt_conn_set_data(c, s);
	kt_conn_set_trusted(c, s->enrolled);
	return 0;
}

void
kt_session_detach(kt_conn_t *c)
{
	kt_session_t *s = kt_conn_data(c);

	if (s == NULL)
		return;
	kt_conn_set_data(c, NULL);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

int
kt_session_enrolled(const kt_session_t *s)
{
	return s->enrolled;
}

uint64_t
kt_session_terminal_branch(const kt_session_t *s)
{
	return s->term_branch;
}

const uint8_t *
kt_session_terminal_key(const kt_session_t *s)
{
	return s->term_key;
}

static void
logout(kt_session_t *s)
{
	s->user = 0;
	s->expires = 0;
	s->idle_s = 0;
	s->last_used = 0;
	sodium_memzero(s->token_hash, sizeof(s->token_hash));
}

uint64_t
kt_session_user(kt_session_t *s, int64_t now)
{
	if (s->user != 0 && (s->expires <= now ||
	    (s->idle_s > 0 && now - s->last_used >= s->idle_s)))
		logout(s);
	else if (s->user != 0 && now > s->last_used)
		s->last_used = now;
	return s->user;
}

int64_t
kt_session_idle(const kt_session_t *s)
{
	return s->idle_s;
}

int64_t
kt_session_expires(const kt_session_t *s)
{
	return s->expires;
}

const uint8_t *
kt_session_token_hash(const kt_session_t *s)
{
	return s->token_hash;
}

unsigned
kt_session_inflight(const kt_session_t *s)
{
	return s->inflight;
}

void
kt_session_inflight_add(kt_session_t *s, int delta)
{
	s->inflight = (unsigned)((int)s->inflight + delta);
}

int
kt_session_serial_busy(const kt_session_t *s, unsigned bit)
{
	return (s->serial & bit) != 0;
}

void
kt_session_serial_set(kt_session_t *s, unsigned bit, int on)
{
	if (on)
		s->serial |= bit;
	else
		s->serial &= ~bit;
}

void
kt_session_set_enrolled(kt_session_t *s, uint64_t branch)
{
	s->enrolled = 1;
	s->term_branch = branch;
	kt_conn_set_trusted(s->conn, 1);
}

void
kt_session_set_login(kt_session_t *s, uint64_t user,
    const uint8_t token_hash[32], int64_t expires)
{
	s->user = user;
	memcpy(s->token_hash, token_hash, 32);
	s->expires = expires;
	s->idle_s = 0;
	s->last_used = kt_now_s();
}

/* ---- across connections -------------------------------------------------- */

typedef struct across {
	kt_server_t *srv;
	const uint8_t *hash;              /* token hash or terminal key */
	uint64_t user;
	const kt_conn_t *except;
	MDB_txn *txn;                     /* the sweep's */
	int64_t n;                        /* a time, a count */
} across_t;

static void
idle_one(kt_conn_t *c, void *arg)
{
	across_t *a = arg;
	kt_session_t *s = kt_conn_data(c);

	if (s->user != 0 && sodium_memcmp(s->token_hash, a->hash, 32) == 0)
		s->idle_s = a->n;
}

void
kt_session_set_idle(kt_server_t *srv, const uint8_t token_hash[32],
    int64_t idle_s)
{
	across_t a = { .srv = srv, .hash = token_hash, .n = idle_s };

	if (srv->net != NULL)
		kt_net_foreach(srv->net, idle_one, &a);
}

static void
last_use_one(kt_conn_t *c, void *arg)
{
	across_t *a = arg;
	kt_session_t *s = kt_conn_data(c);

	if (s->user != 0 && sodium_memcmp(s->token_hash, a->hash, 32) == 0 &&
	    s->last_used > a->n)
		a->n = s->last_used;
}

static void
idle_of_one(kt_conn_t *c, void *arg)
{
	across_t *a = arg;
	kt_session_t *s = kt_conn_data(c);

	if (s->user != 0 && sodium_memcmp(s->token_hash, a->hash, 32) == 0 &&
	    s->idle_s > a->n)
		a->n = s->idle_s;
}

int64_t
kt_session_idle_of(kt_server_t *srv, const uint8_t token_hash[32])
{
	across_t a = { .srv = srv, .hash = token_hash };

	if (srv->net != NULL)
		kt_net_foreach(srv->net, idle_of_one, &a);
	return a.n;
}

int64_t
kt_session_last_use(kt_server_t *srv, const uint8_t token_hash[32])
{
	across_t a = { .srv = srv, .hash = token_hash };

	if (srv->net != NULL)
		kt_net_foreach(srv->net, last_use_one, &a);
	return a.n;
}

static void
end_terminal_one(kt_conn_t *c, void *arg)
{
	across_t *a = arg;
	kt_session_t *s = kt_conn_data(c);

	if (c != a->except && s->user != 0 &&
	    sodium_memcmp(s->term_key, a->hash, 32) == 0) {
		logout(s);
		kt_conn_close(c, 0);
		a->n++;
	}
}

typedef struct other_addr {
	const uint8_t *key;
	const struct sockaddr_storage *peer;
	const kt_conn_t *except;
	struct sockaddr_storage found;
	int n;
} other_addr_t;

/* 1 when a and b are different IP addresses (ports aside). */
static int
other_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 1;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr,
		    sizeof(struct in_addr)) != 0;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) != 0;
	return 0;
}

static void
other_addr_one(kt_conn_t *c, void *arg)
{
	other_addr_t *o = arg;
	kt_session_t *s = kt_conn_data(c);
	const struct sockaddr_storage *p = kt_conn_peer(c);

	if (c == o->except || o->n != 0 || p == NULL ||
	    sodium_memcmp(s->term_key, o->key, 32) != 0)
		return;
	if (other_ip(p, o->peer)) {
		o->found = *p;
		o->n = 1;
	}
}

int
kt_session_other_address(kt_server_t *srv, const uint8_t key[32],
    const struct sockaddr_storage *peer, const kt_conn_t *except,
    struct sockaddr_storage *other)
{
	other_addr_t o = { .key = key, .peer = peer, .except = except };

	if (srv->net == NULL || peer == NULL)
		return 0;
	kt_net_foreach(srv->net, other_addr_one, &o);
	if (o.n && other != NULL)
		*other = o.found;
	return o.n;
}

size_t
kt_session_end_terminal(kt_server_t *srv, const uint8_t key[32],
    const kt_conn_t *except)
{
	across_t a = { .srv = srv, .hash = key, .except = except };

	if (srv->net != NULL)
		kt_net_foreach(srv->net, end_terminal_one, &a);
	return (size_t)a.n;
}

static void
logout_hash_one(kt_conn_t *c, void *arg)
{
	across_t *a = arg;
	kt_session_t *s = kt_conn_data(c);

	if (s->user != 0 && sodium_memcmp(s->token_hash, a->hash, 32) == 0)
		logout(s);
}

void
kt_session_logout_everywhere(kt_server_t *srv, const uint8_t token_hash[32])
{
	across_t a = { .srv = srv, .hash = token_hash };

	if (srv->net != NULL)
		kt_net_foreach(srv->net, logout_hash_one, &a);
}

static void
logout_user_one(kt_conn_t *c, void *arg)
{
	across_t *a = arg;
	kt_session_t *s = kt_conn_data(c);

	if (s->user == a->user)
		logout(s);
}

void
kt_session_logout_user(kt_server_t *srv, uint64_t user)
{
	across_t a = { .srv = srv, .user = user };

	if (srv->net != NULL && user != 0)
		kt_net_foreach(srv->net, logout_user_one, &a);
}

static void
close_user_one(kt_conn_t *c, void *arg)
{
	across_t *a = arg;
	kt_session_t *s = kt_conn_data(c);

	if (s->user == a->user)
		kt_conn_close(c, c == a->except);
}

void
kt_session_close_user(kt_server_t *srv, uint64_t user, const kt_conn_t *except)
{
	across_t a = { .srv = srv, .user = user, .except = except };

	if (srv->net != NULL && user != 0)
		kt_net_foreach(srv->net, close_user_one, &a);
}

static void
close_terminal_one(kt_conn_t *c, void *arg)
{
	across_t *a = arg;
	kt_session_t *s = kt_conn_data(c);

	if (sodium_memcmp(s->term_key, a->hash, 32) == 0)
		kt_conn_close(c, c == a->except);
}

void
kt_session_close_terminal(kt_server_t *srv, const uint8_t key[32],
    const kt_conn_t *except)
{
	across_t a = { .srv = srv, .hash = key, .except = except };

	if (srv->net != NULL)
		kt_net_foreach(srv->net, close_terminal_one, &a);
}

/* The sweep for one connection: its terminal must still be enrolled and
 * not revoked, its session (if any) alive and its user still allowed. */
static void
sweep_one(kt_conn_t *c, void *arg)
{
	across_t *a = arg;
	const kt_store_dbs_t *db = kt_store_dbs(a->srv->store);
	kt_session_t *s = kt_conn_data(c);
	Ktstore__TerminalRecord *t = NULL;
	kt_session_info_t info;
	kt_user_t u;
	int ok;

	if (!s->enrolled)
		return;
	ok = kt_terminal_get(a->txn, db, s->term_key, &t) == 0 && !t->revoked;
	if (t != NULL)
		protobuf_c_message_free_unpacked(&t->base, NULL);
	if (ok && s->user != 0)
		ok = kt_session_rec_alive(a->txn, db, s->token_hash,
		    s->term_key, kt_now_s(), s->last_used, &info) == 0 &&
		    kt_user_load(a->txn, db, info.user, &u) == 0 &&
		    !u.disabled &&
		    kt_user_may_use_terminal(&u, s->term_branch);
	if (!ok)
		kt_conn_close(c, 0);
}

void
kt_session_sweep(kt_server_t *srv)
{
	across_t a = { .srv = srv };
	uint64_t gen;

	if (srv->net == NULL || kt_store_read_begin(srv->store, &a.txn) != 0)
		return;
	gen = kt_terminals_gen(a.txn, kt_store_dbs(srv->store));
	if (gen != srv->terminals_gen) {
		/* Something about terminals or sessions changed (possibly
		 * from an offline command in another process). */
		srv->terminals_gen = gen;
		kt_net_foreach(srv->net, sweep_one, &a);
	}
	kt_store_read_end(srv->store, a.txn);
}
