/* SPDX-License-Identifier: MIT */
/* The in-memory network for unit tests (fake_net.h): every function of
 * server/net/net.h, over connections that record what is sent to them. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "frame.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"
#include "noise.h"
#include "server/fake_net.h"

typedef struct sent {
	uint8_t *p;
	size_t len;
} sent_t;

struct kt_conn {
	kt_net_t *net;
	kt_conn_t *next, *prev;
	unsigned num;                     /* 1, 2, ... in order of creation */
	unsigned refs;                    /* holders + 1 for the socket */
	int socket_dropped;               /* kt_fake_conn_drop was called */
	int announced;                    /* on_ready accepted it */
	int closing;
	int flush;                        /* closing after a flush */
	unsigned closes;                  /* kt_conn_close calls */
	int trusted;
	void *data;
	struct sockaddr_storage peer;
	sent_t *sent;
	size_t nsent, capsent;
	unsigned dropped;                 /* sends refused: closing */
	kt_fake_send_fn on_send;
	void *on_send_arg;
	size_t queued;                    /* kt_fake_conn_set_queued */
	char lang[4];                     /* kt_fake_conn_set_lang */
};

struct kt_net {
	uv_loop_t *loop;
	kt_net_handlers_t h;
	kt_conn_t *conns;
	unsigned nconns, made, freed;
	uint64_t now_ms;
	int stopping;
	int stopped_told;
};

/* ---- the net ------------------------------------------------------------- */

int
kt_net_start(kt_net_t **out, uv_loop_t *loop, const kt_net_opts_t *o,
    const kt_net_handlers_t *h)
{
	kt_net_t *n;

	(void)o;
	*out = NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return KT_ENOMEM;
	n->loop = loop;
	if (h != NULL)
		n->h = *h;
	n->now_ms = 1000000;
	*out = n;
	return 0;
}

/* The stand-in of a graceful stop: from now on kt_net_stopping says so,
 * and on_stopped runs once, at once (the fake has no sockets to drain;
 * connections stay until the test drops them). */
void
kt_net_stop(kt_net_t *n)
{
	if (n->stopping)
		return;
	n->stopping = 1;
	if (n->h.on_stopped != NULL && !n->stopped_told) {
		n->stopped_told = 1;
		n->h.on_stopped(n->h.arg);
	}
}

int
kt_net_stopping(const kt_net_t *n)
{
	return n->stopping;
}

uint64_t
kt_net_now_ms(const kt_net_t *n)
{
	return n->now_ms;
}

void
kt_fake_net_set_now(kt_net_t *n, uint64_t now_ms)
{
	n->now_ms = now_ms;
}

void
kt_fake_net_advance(kt_net_t *n, uint64_t ms)
{
	n->now_ms += ms;
}

unsigned
kt_fake_net_alive(const kt_net_t *n)
{
	return n->nconns;
}

unsigned
kt_fake_net_freed(const kt_net_t *n)
{
	return n->freed;
}

void
kt_net_foreach(kt_net_t *n, void (*fn)(kt_conn_t *c, void *arg), void *arg)
{
	kt_conn_t *c, *next;

	/* As net.c: past the handshake (announced), not closing; fn may
	 * close c (closing never frees: the socket's reference is held). */
	for (c = n->conns; c != NULL; c = next) {
		next = c->next;
		if (c->announced && !c->closing)
			fn(c, arg);
	}
}

unsigned
kt_fake_net_free(kt_net_t *n)
{
	kt_conn_t *c, *next;

	if (n == NULL)
		return 0;
	for (c = n->conns; c != NULL; c = next) {
		next = c->next;
		if (!c->socket_dropped)
			kt_fake_conn_drop(c);
	}
	if (n->nconns > 0)
		return n->nconns;
	free(n);
	return 0;
}

/* ---- connections ----------------------------------------------------------- */

kt_conn_t *
kt_fake_conn_new(kt_net_t *n)
{
	kt_conn_t *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->net = n;
	c->num = ++n->made;
	c->refs = 1;
	c->next = n->conns;
	if (n->conns != NULL)
		n->conns->prev = c;
	n->conns = c;
	n->nconns++;
	(void)kt_fake_conn_set_peer(c, "192.0.2.1", (int)(40000 + c->num));
	return c;
}

int
kt_fake_conn_ready(kt_conn_t *c, const uint8_t peer_key[32])
{
	kt_net_t *n = c->net;
	int rc = 0;

	if (n->h.on_ready != NULL)
		rc = n->h.on_ready(n->h.arg, c, peer_key);
	if (rc != 0)
		kt_conn_close(c, 0); /* the handshake is refused */
	else
		c->announced = 1;
	return rc;
}

static void
conn_free(kt_conn_t *c)
{
	kt_net_t *n = c->net;

	if (c->announced && n->h.on_gone != NULL)
		n->h.on_gone(n->h.arg, c);
	if (c->prev)
		c->prev->next = c->next;
	else
		n->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	n->nconns--;
	n->freed++;
	for (size_t i = 0; i < c->nsent; i++)
		free(c->sent[i].p);
	free(c->sent);
	free(c);
}

void
kt_fake_conn_drop(kt_conn_t *c)
{
	assert(!c->socket_dropped);
	if (!c->closing)
		kt_conn_close(c, 0);
	c->socket_dropped = 1;
	kt_conn_unref(c);
}

int
kt_fake_conn_set_peer(kt_conn_t *c, const char *ip, int port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (uv_ip4_addr(ip, port, (struct sockaddr_in *)&ss) != 0 &&
	    uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&ss) != 0)
		return KT_EINVAL;
	c->peer = ss;
	return 0;
}

unsigned
kt_fake_conn_refs(const kt_conn_t *c)
{
	return c->refs;
}

int
kt_fake_conn_closed(const kt_conn_t *c)
{
	return c->closing;
}

int
kt_fake_conn_flush(const kt_conn_t *c)
{
	return c->closing && c->flush;
}

unsigned
kt_fake_conn_closes(const kt_conn_t *c)
{
	return c->closes;
}

int
kt_fake_conn_trusted(const kt_conn_t *c)
{
	return c->trusted;
}

int
kt_fake_conn_announced(const kt_conn_t *c)
{
	return c->announced;
}

size_t
kt_fake_conn_nsent(const kt_conn_t *c)
{
	return c->nsent;
}

const uint8_t *
kt_fake_conn_sent(const kt_conn_t *c, size_t i, size_t *len)
{
	if (i >= c->nsent)
		return NULL;
	*len = c->sent[i].len;
	return c->sent[i].p;
}

unsigned
kt_fake_conn_dropped(const kt_conn_t *c)
{
	return c->dropped;
}

void
kt_fake_conn_on_send(kt_conn_t *c, kt_fake_send_fn fn, void *arg)
{
	c->on_send = fn;
	c->on_send_arg = arg;
}

/* ---- net.h: one connection --------------------------------------------------- */

int
kt_conn_send(kt_conn_t *c, const uint8_t *plain, size_t len)
{
	sent_t *s;

	if (c->closing) {
		c->dropped++;
		return KT_ECLOSED;
	}
	if (len > KT_FRAME_MAX - KT_NOISE_TAGLEN)
		return KT_ETOOBIG;
	if (c->nsent == c->capsent) {
		size_t cap = c->capsent ? c->capsent * 2 : 8;
		if ((s = realloc(c->sent, cap * sizeof(*s))) == NULL) {
			kt_conn_close(c, 0);
			return KT_ENOMEM;
		}
		c->sent = s;
		c->capsent = cap;
	}
	s = &c->sent[c->nsent];
	if ((s->p = malloc(len ? len : 1)) == NULL) {
		kt_conn_close(c, 0);
		return KT_ENOMEM;
	}
	if (len > 0)
		memcpy(s->p, plain, len);
	s->len = len;
	c->nsent++;
	if (c->on_send != NULL)
		c->on_send(c, plain, len, c->on_send_arg);
	return 0;
}

/* As net.c: one error Response, then a close after the flush. */
void
kt_conn_send_error(kt_conn_t *c, uint64_t id, uint32_t code,
    const char *message, int close_after)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__Error err = KARTOTEKA__ERROR__INIT;
	uint8_t buf[1024];
	char tr[512];
	size_t len;

	if (message == NULL)
		message = "";
	if (c->net->h.translate != NULL && c->lang[0] != '\0')
		message = c->net->h.translate(c->net->h.arg, c->lang, message,
		    tr, sizeof(tr));
	err.code = (Kartoteka__Error__Code)code;
	err.message = (char *)message;
	resp.id = id;
	resp.error = &err;
	len = kartoteka__response__get_packed_size(&resp);
	if (len <= sizeof(buf)) {
		kartoteka__response__pack(&resp, buf);
		(void)kt_conn_send(c, buf, len);
	}
	if (close_after)
		kt_conn_close(c, 1);
}

void
kt_conn_close(kt_conn_t *c, int flush)
{
	c->closes++;
	/* As net.c: a second close only matters when it stops waiting for a
	 * flush. */
	if (c->closing && !c->flush)
		return;
	c->closing = 1;
	c->flush = flush;
}

int
kt_conn_open(const kt_conn_t *c)
{
	return !c->closing;
}

void
kt_conn_ref(kt_conn_t *c)
{
	c->refs++;
}

void
kt_conn_unref(kt_conn_t *c)
{
	assert(c->refs > 0);
	if (--c->refs == 0)
		conn_free(c);
}

void
kt_conn_set_data(kt_conn_t *c, void *data)
{
	c->data = data;
}

void *
kt_conn_data(const kt_conn_t *c)
{
	return c->data;
}

const struct sockaddr_storage *
kt_conn_peer(const kt_conn_t *c)
{
	return &c->peer;
}

void
kt_conn_set_trusted(kt_conn_t *c, int trusted)
{
	c->trusted = trusted;
}

kt_net_t *
kt_conn_net(const kt_conn_t *c)
{
	return c->net;
}

const char *
kt_conn_lang(const kt_conn_t *c)
{
	return c->lang;
}

void
kt_fake_conn_set_lang(kt_conn_t *c, const char *lang)
{
	snprintf(c->lang, sizeof(c->lang), "%s", lang);
}

size_t
kt_conn_queued(const kt_conn_t *c)
{
	return c->queued;
}

void
kt_fake_conn_set_queued(kt_conn_t *c, size_t bytes)
{
	c->queued = bytes;
}
