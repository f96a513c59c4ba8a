/* SPDX-License-Identifier: MIT */
/* The server's network loop (net.h): accepting connections, framing, the
 * Noise XK handshake as responder, encrypted transport, limits, time-outs
 * and graceful stop. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "frame.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"
#include "net/net.h"
#include "log.h"
#include "noise.h"

#define PROLOGUE "kartoteka/1"
#define PROLOGUE_LEN 11u

/* Connection phases. */
typedef enum conn_phase {
	PH_MSG1,          /* waiting for handshake message 1 */
	PH_MSG3,          /* message 2 sent, waiting for message 3 */
	PH_READY,         /* transport: requests flow */
	PH_CLOSING,       /* close requested; handle closing or closed */
} conn_phase_t;

struct kt_conn {
	uv_tcp_t tcp;                     /* must stay first: handle->data too */
	kt_net_t *net;
	kt_conn_t *next, *prev;
	conn_phase_t phase;
	kt_noise_hs_t hs;                 /* wiped after split */
	kt_noise_cipher_t tx, rx;         /* transport ciphers */
	kt_frame_reader_t *rd;            /* allocated with the conn */
	void *data;                       /* the upper layer's (on_ready) */
	int trusted;                      /* long idle time-out */
	int announced;                    /* on_ready accepted: on_gone owed */
	uint64_t last_active_ms;          /* uv_now of the last frame */
	uint64_t opened_ms;
	size_t write_queued;              /* bytes handed to uv_write, not done */
	int reading;                      /* uv_read_start active */
	int read_paused;                  /* stopped by backpressure */
	uint64_t paused_ms;               /* uv_now when reading paused */
	unsigned refs;                    /* holders + 1 for the handle until
					     its close callback */
	int close_after_flush;            /* close once writes are done */
	uint64_t write_progress_ms;       /* uv_now when a write last finished
					     or the queue was empty */
	struct sockaddr_storage peer;     /* remote address */
	char lang[4];                     /* ClientHello.language, checked:
					     "" = English */
};

struct kt_net {
	uv_loop_t *loop;
	kt_net_opts_t opts;
	kt_net_handlers_t h;
	uv_tcp_t listener;
	uv_timer_t tick;
	kt_conn_t *conns;                 /* doubly linked */
	unsigned nconns;
	int stopping;
	int listener_open;
	int tick_open;
	int stopped_told;                 /* on_stopped has run */
	uint64_t stop_deadline_ms;
	uv_tcp_t spare;                   /* rejects a connection when out of
					     memory (see reject_connection) */
	int spare_busy;
	uint64_t refused_log_ms;          /* when refusals were last logged */
	unsigned refused_unlogged;        /* refusals since then */
	uint8_t plain[KT_FRAME_MAX];      /* one decrypted frame */
	char readbuf[65536];
};

/* ------------------------------------------------------------------ */
/* connection lifetime                                                 */
/* ------------------------------------------------------------------ */

static void update_reading(kt_conn_t *c);
static void maybe_stopped(kt_net_t *n);

int
kt_conn_open(const kt_conn_t *c)
{
	return c->phase != PH_CLOSING;
}

void
kt_conn_ref(kt_conn_t *c)
{
	c->refs++;
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

size_t
kt_conn_queued(const kt_conn_t *c)
{
	return c->write_queued;
}

uint64_t
kt_net_now_ms(const kt_net_t *n)
{
	return uv_now(n->loop);
}

int
kt_net_stopping(const kt_net_t *n)
{
	return n->stopping;
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
	kt_noise_hs_clear(&c->hs);
	kt_noise_cipher_clear(&c->tx);
	kt_noise_cipher_clear(&c->rx);
	free(c->rd);
	free(c);
	maybe_stopped(n);
}

void
kt_conn_unref(kt_conn_t *c)
{
	assert(c->refs > 0);
	if (--c->refs == 0) {
		conn_free(c);
		return;
	}
	if (c->phase == PH_READY) {
		update_reading(c);
		/* A draining server closes a connection once it is idle. */
		if (c->net->stopping && c->refs == 1)
			kt_conn_close(c, 1);
	}
}

static void
on_conn_closed(uv_handle_t *h)
{
	kt_conn_unref(h->data);
}

static void
conn_close_now(kt_conn_t *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->tcp))
		uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

void
kt_conn_close(kt_conn_t *c, int flush)
{
	if (c->phase == PH_CLOSING && !c->close_after_flush)
		return;
	c->phase = PH_CLOSING;
	if (c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = 0;
	}
	if (flush && c->write_queued > 0) {
		c->close_after_flush = 1;
		return;
	}
	c->close_after_flush = 0;
	conn_close_now(c);
}

/* ------------------------------------------------------------------ */
/* writing                                                             */
/* ------------------------------------------------------------------ */

typedef struct net_write {
	uv_write_t req;
	kt_conn_t *c;
	size_t len;
	uint8_t data[];
} net_write_t;

/* What a queued write holds in memory: its frame and its request (the
 * back-pressure limit counts memory, not just frame bytes). */
static size_t
write_cost(const net_write_t *w)
{
	return sizeof(*w) + w->len;
}

static void
on_write(uv_write_t *req, int status)
{
	net_write_t *w = (net_write_t *)req;
	kt_conn_t *c = w->c;

	c->write_queued -= write_cost(w);
	c->write_progress_ms = uv_now(c->net->loop);
	free(w);
	if (status < 0 && c->phase != PH_CLOSING)
		kt_conn_close(c, 0);
	else if (c->close_after_flush && c->write_queued == 0) {
		c->close_after_flush = 0;
		conn_close_now(c);
	} else if (c->phase == PH_READY)
		update_reading(c);
	kt_conn_unref(c);
}

/* A write buffer with room for a frame of len body bytes after its
 * header; the caller fills w->data + KT_FRAME_HDR. */
static net_write_t *
write_new(kt_conn_t *c, size_t len)
{
	net_write_t *w;

	if (len == 0 || len > KT_FRAME_MAX)
		return NULL;
	if ((w = malloc(sizeof(*w) + KT_FRAME_HDR + len)) == NULL)
		return NULL;
	kt_frame_put_header(w->data, len);
	w->c = c;
	w->len = KT_FRAME_HDR + len;
	return w;
}

/* Queues w (its frame complete). Returns 0 or KT_EIO (w freed). */
static int
write_queue(kt_conn_t *c, net_write_t *w)
{
	uv_buf_t buf = uv_buf_init((char *)w->data, (unsigned)w->len);

	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write) < 0) {
		free(w);
		return KT_EIO;
	}
	if (c->write_queued == 0)
		c->write_progress_ms = uv_now(c->net->loop);
	c->write_queued += write_cost(w);
	kt_conn_ref(c);
	update_reading(c);
	return 0;
}

/* Queues one handshake frame (header added here). */
static int
send_frame(kt_conn_t *c, const uint8_t *body, size_t len)
{
	net_write_t *w = write_new(c, len);

	if (w == NULL)
		return len > KT_FRAME_MAX ? KT_ETOOBIG : KT_ENOMEM;
	memcpy(w->data + KT_FRAME_HDR, body, len);
	return write_queue(c, w);
}

int
kt_conn_send(kt_conn_t *c, const uint8_t *plain, size_t len)
{
	net_write_t *w;
	size_t outlen = 0;
	int rc;

	if (c->phase != PH_READY)
		return KT_ECLOSED;
	if (len > KT_FRAME_MAX - KT_NOISE_TAGLEN)
		return KT_ETOOBIG;
	/* Encrypted straight into the write buffer: one allocation. */
	if ((w = write_new(c, len + KT_NOISE_TAGLEN)) == NULL) {
		kt_conn_close(c, 0);
		return KT_ENOMEM;
	}
	rc = kt_noise_encrypt(&c->tx, NULL, 0, plain, len,
	    w->data + KT_FRAME_HDR, &outlen);
	if (rc == 0 && outlen != len + KT_NOISE_TAGLEN)
		rc = KT_ECRYPTO;
	if (rc != 0) {
		free(w);
		kt_conn_close(c, rc == KT_ENONCE);
		return rc;
	}
	if ((rc = write_queue(c, w)) != 0) {
		kt_conn_close(c, 0);
		return rc;
	}
	if (c->tx.n >= KT_NOISE_NONCE_MAX - 1)
		kt_conn_close(c, 1); /* nonces never wrap: this was the last */
	return 0;
}

void
kt_conn_send_error(kt_conn_t *c, uint64_t id, uint32_t code,
    const char *message, int close_after)
{
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__Error err = KARTOTEKA__ERROR__INIT;
	uint8_t buf[1024];
	size_t len;

	char tr[512];

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

/* ------------------------------------------------------------------ */
/* reading                                                             */
/* ------------------------------------------------------------------ */

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	kt_conn_t *c = h->data;

	(void)suggested;
	*buf = uv_buf_init(c->net->readbuf, sizeof(c->net->readbuf));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* Reading runs unless the peer has too many replies unsent: then the
 * kernel's buffers push back on it. (How many requests one connection may
 * have in flight is the dispatcher's business: it answers RATE_LIMITED
 * past its cap, so one read buffer cannot start unbounded work.) */
static void
update_reading(kt_conn_t *c)
{
	const kt_net_opts_t *o = &c->net->opts;
	int want;

	if (c->phase == PH_CLOSING || c->net->stopping)
		want = 0;
	else if (c->read_paused)
		want = c->write_queued <= o->write_queue_max / 4;
	else
		want = c->write_queued <= o->write_queue_max;
	if (want && !c->reading) {
		if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
			c->reading = 1;
		c->read_paused = 0;
	} else if (!want && c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = 0;
		c->read_paused = 1;
		c->paused_ms = uv_now(c->net->loop);
	}
}

static void
handshake_msg1(kt_conn_t *c, const uint8_t *frame, size_t len)
{
	uint8_t payload[KT_FRAME_MAX];
	uint8_t out[KT_FRAME_MAX];
	uint8_t hello_buf[256];
	Kartoteka__ServerHello hello = KARTOTEKA__SERVER_HELLO__INIT;
	size_t paylen = 0, outlen = 0, hlen;

	if (kt_noise_hs_read_message(&c->hs, frame, len, payload,
	    sizeof(payload), &paylen) != 0 || paylen != 0) {
		kt_conn_close(c, 0);
		return;
	}
	hello.server_version = (char *)c->net->opts.server_version;
	hello.protocol_version = 1;
	if (kartoteka__server_hello__get_packed_size(&hello) >
	    sizeof(hello_buf)) {
		kt_conn_close(c, 0);
		return;
	}
	hlen = kartoteka__server_hello__pack(&hello, hello_buf);
	if (kt_noise_hs_write_message(&c->hs, hello_buf, hlen, out,
	    sizeof(out), &outlen) != 0 || send_frame(c, out, outlen) != 0) {
		kt_conn_close(c, 0);
		return;
	}
	c->phase = PH_MSG3;
}

/* Keeps ClientHello.language when it is a language code (2 or 3 letters
 * a-z): anything else, a region ("ru_RU") included, means English rather
 * than a refused handshake, so an older or odd client still connects. */
static void
hello_language(kt_conn_t *c, const char *lang)
{
	size_t n = lang != NULL ? strlen(lang) : 0;

	c->lang[0] = '\0';
	if (n < 2 || n > 3 || strspn(lang, "abcdefghijklmnopqrstuvwxyz") != n)
		return;
	memcpy(c->lang, lang, n + 1);
}

const char *
kt_conn_lang(const kt_conn_t *c)
{
	return c->lang;
}

static void
handshake_msg3(kt_conn_t *c, const uint8_t *frame, size_t len)
{
	kt_net_t *n = c->net;
	uint8_t payload[KT_FRAME_MAX];
	uint8_t peer_key[32];
	size_t paylen = 0;
	Kartoteka__ClientHello *hello = NULL;

	if (kt_noise_hs_read_message(&c->hs, frame, len, payload,
	    sizeof(payload), &paylen) != 0)
		goto fail;
	hello = kartoteka__client_hello__unpack(NULL, paylen, payload);
	if (hello == NULL)
		goto fail;
	hello_language(c, hello->language);
	if (kt_noise_hs_remote_static(&c->hs, peer_key) != 0 ||
	    kt_noise_hs_split(&c->hs, &c->tx, &c->rx, NULL) != 0)
		goto fail;
	kt_noise_hs_clear(&c->hs);
	c->phase = PH_READY;
	if (n->h.on_ready != NULL && n->h.on_ready(n->h.arg, c, peer_key) != 0)
		goto fail; /* e.g. a revoked terminal: the handshake is refused */
	c->announced = 1;
	kartoteka__client_hello__free_unpacked(hello, NULL);
	return;
fail:
	if (hello)
		kartoteka__client_hello__free_unpacked(hello, NULL);
	kt_conn_close(c, 0);
}

static void
transport_frame(kt_conn_t *c, const uint8_t *frame, size_t len)
{
	kt_net_t *n = c->net;
	size_t plen = 0;

	if (kt_noise_decrypt(&c->rx, NULL, 0, frame, len, n->plain, &plen) !=
	    0) {
		/* Failed authentication: nothing we send could be trusted
		 * by the peer either; drop the connection. */
		kt_conn_close(c, 0);
		return;
	}
	/* Only trusted peers earn a long idle time: a key that is not
	 * enrolled gets the handshake timeout, pings or not. */
	if (c->trusted)
		c->last_active_ms = uv_now(n->loop);
	n->h.on_message(n->h.arg, c, n->plain, plen);
	sodium_memzero(n->plain, plen);
	if (c->rx.n >= KT_NOISE_NONCE_MAX - 1)
		kt_conn_close(c, 1);
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	kt_conn_t *c = s->data;
	const uint8_t *p = (const uint8_t *)buf->base;
	size_t left;

	if (nread < 0) {
		/* A peer that half-closes after its requests still gets the
		 * answers to those already read. */
		kt_conn_close(c, nread == UV_EOF);
		return;
	}
	left = (size_t)nread;
	/* The connection may close itself while frames are being handled;
	 * hold it so the loop below never touches freed memory. */
	kt_conn_ref(c);
	while (left > 0 && c->phase != PH_CLOSING) {
		const uint8_t *frame = NULL;
		size_t used = 0, flen = 0;
		int rc = kt_frame_reader_feed(c->rd, p, left, &used, &frame,
		    &flen);

		p += used;
		left -= used;
		if (rc < 0) {
			/* Zero-length frame: a protocol error. */
			if (c->phase == PH_READY)
				kt_conn_send_error(c, 0,
				    KARTOTEKA__ERROR__CODE__BAD_REQUEST,
				    "zero-length frame", 1);
			else
				kt_conn_close(c, 0);
			break;
		}
		if (rc == 0)
			break;
		switch (c->phase) {
		case PH_MSG1:
			handshake_msg1(c, frame, flen);
			break;
		case PH_MSG3:
			handshake_msg3(c, frame, flen);
			break;
		case PH_READY:
			transport_frame(c, frame, flen);
			break;
		case PH_CLOSING:
			break;
		}
		/* Paused for backpressure: the rest of this read buffer is
		 * still ours to handle; the kernel holds what follows. */
	}
	kt_conn_unref(c);
}

/* ------------------------------------------------------------------ */
/* accepting                                                           */
/* ------------------------------------------------------------------ */

static void
on_reject_closed(uv_handle_t *h)
{
	kt_net_t *n = h->data;

	if (h == (uv_handle_t *)&n->spare)
		n->spare_busy = 0;
	else
		free(h);
}

/* Accepts the pending connection and closes it at once. libuv stops
 * watching a listener whose connection was not accepted, so every path of
 * on_connection must accept; without memory for a handle, the socket is
 * taken with the spare reserved at start-up. */
static void
reject_connection(kt_net_t *n, uv_stream_t *server)
{
	uv_tcp_t *t = malloc(sizeof(*t));

	if (t == NULL) {
		if (n->spare_busy)
			return; /* nothing left: the listener stalls */
		t = &n->spare;
		n->spare_busy = 1;
	}
	if (uv_tcp_init(n->loop, t) != 0) {
		if (t == &n->spare)
			n->spare_busy = 0;
		else
			free(t);
		return;
	}
	t->data = n;
	uv_accept(server, (uv_stream_t *)t);
	uv_close((uv_handle_t *)t, on_reject_closed);
}

/* A line on stderr for refused connections, at most one a second, so a
 * flood of connections does not flood the log too. */
static void
log_refusal(kt_net_t *n)
{
	uint64_t now = uv_now(n->loop);

	n->refused_unlogged++;
	if (n->refused_log_ms != 0 && now - n->refused_log_ms < 1000)
		return;
	kt_log(KT_LOG_WARNING, "refusing connection: %u connections is "
	    "the limit (%u refused since the last line)", n->opts.max_conns,
	    n->refused_unlogged);
	n->refused_log_ms = now;
	n->refused_unlogged = 0;
}

static void
on_connection(uv_stream_t *server, int status)
{
	kt_net_t *n = server->data;
	kt_conn_t *c = NULL;
	int namelen = sizeof(c->peer);

	if (status < 0) {
		kt_log(KT_LOG_ERR, "accept: %s", uv_strerror(status));
		return;
	}
	if (n->stopping || n->nconns >= n->opts.max_conns) {
		if (!n->stopping)
			log_refusal(n);
		reject_connection(n, server);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c != NULL)
		c->rd = malloc(sizeof(*c->rd));
	if (c == NULL || c->rd == NULL || uv_tcp_init(n->loop, &c->tcp) != 0) {
		if (c)
			free(c->rd);
		free(c);
		reject_connection(n, server);
		return;
	}
	kt_frame_reader_reset(c->rd);
	c->net = n;
	c->tcp.data = c;
	c->refs = 1;
	c->phase = PH_MSG1;
	c->next = n->conns;
	if (n->conns)
		n->conns->prev = c;
	n->conns = c;
	n->nconns++;
	c->opened_ms = c->last_active_ms = uv_now(n->loop);
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
	    kt_noise_hs_init(&c->hs, KT_NOISE_XK, 0,
		(const uint8_t *)PROLOGUE, PROLOGUE_LEN, n->opts.static_priv,
		NULL) != 0) {
		kt_conn_close(c, 0);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->peer, &namelen);
	update_reading(c);
}

void
kt_net_foreach(kt_net_t *n, void (*fn)(kt_conn_t *c, void *arg), void *arg)
{
	kt_conn_t *c, *next;

	for (c = n->conns; c != NULL; c = next) {
		next = c->next;
		if (c->phase == PH_READY && c->announced)
			fn(c, arg);
	}
}

/* ------------------------------------------------------------------ */
/* timers, stop                                                        */
/* ------------------------------------------------------------------ */

static void
on_tick(uv_timer_t *t)
{
	kt_net_t *n = t->data;
	uint64_t now = uv_now(n->loop);
	const kt_net_opts_t *o = &n->opts;
	kt_conn_t *c, *next;

	for (c = n->conns; c != NULL; c = next) {
		next = c->next;
		if (c->phase == PH_CLOSING) {
			/* Closing after a flush the peer never reads. */
			if (c->close_after_flush && (n->stopping ?
			    now >= n->stop_deadline_ms :
			    now - c->write_progress_ms >= o->handshake_timeout_ms))
				kt_conn_close(c, 0);
		} else if (n->stopping && now >= n->stop_deadline_ms) {
			kt_conn_close(c, 0);
		} else if (c->phase != PH_READY) {
			if (now - c->opened_ms >= o->handshake_timeout_ms)
				kt_conn_close(c, 0);
		} else if (c->write_queued > 0 && now - c->write_progress_ms >=
		    o->idle_timeout_ms) {
			kt_conn_close(c, 0); /* stopped reading its answers */
		} else if (c->read_paused && now - c->paused_ms >=
		    o->idle_timeout_ms) {
			/* Its answers trickle out (the kernel takes a few
			 * bytes now and then into a window it never reads),
			 * but it has kept us from reading it for the idle
			 * time: the same slow reader. */
			kt_conn_close(c, 0);
		} else if (!c->trusted && now - c->last_active_ms >=
		    o->handshake_timeout_ms) {
			/* An untrusted peer gets the handshake time-out
			 * whatever it has queued or in flight: answers it
			 * does not read must not keep it (and a slot of the
			 * connection limit) for the long idle time. */
			kt_conn_close(c, 0);
		} else if (c->refs == 1 && c->write_queued == 0 &&
		    now - c->last_active_ms >= o->idle_timeout_ms) {
			kt_conn_close(c, 0);
		}
	}
	if (n->h.on_tick != NULL && !n->stopping)
		n->h.on_tick(n->h.arg);
}

static void
on_tick_closed(uv_handle_t *h)
{
	kt_net_t *n = h->data;

	n->tick_open = 0;
	maybe_stopped(n);
}

/* Once stopping has closed everything: tell the layer above, then free
 * the net when its last handle is gone. */
static void
maybe_stopped(kt_net_t *n)
{
	if (!n->stopping || n->nconns > 0 || n->listener_open || n->spare_busy)
		return;
	if (n->tick_open) {
		if (!uv_is_closing((uv_handle_t *)&n->tick))
			uv_close((uv_handle_t *)&n->tick, on_tick_closed);
		return;
	}
	if (n->stopped_told)
		return;
	n->stopped_told = 1;
	if (n->h.on_stopped != NULL)
		n->h.on_stopped(n->h.arg);
	sodium_memzero(n->plain, sizeof(n->plain));
	free(n);
}

static void
on_listener_closed(uv_handle_t *h)
{
	kt_net_t *n = h->data;

	n->listener_open = 0;
	maybe_stopped(n);
}

void
kt_net_stop(kt_net_t *n)
{
	kt_conn_t *c, *next;

	if (n->stopping)
		return;
	n->stopping = 1;
	n->stop_deadline_ms = uv_now(n->loop) + n->opts.stop_grace_ms;
	if (n->listener_open && !uv_is_closing((uv_handle_t *)&n->listener))
		uv_close((uv_handle_t *)&n->listener, on_listener_closed);
	/* Connections still handshaking close now; ready ones finish the
	 * requests they have in flight, flush, then close. */
	for (c = n->conns; c != NULL; c = next) {
		next = c->next;
		if (c->phase != PH_READY || c->refs == 1)
			kt_conn_close(c, 1);
		else
			update_reading(c);
	}
	maybe_stopped(n);
}

int
kt_net_parse_listen(const char *s, struct sockaddr_storage *addr)
{
	char host[256];
	const char *colon = strrchr(s, ':');
	char *end = NULL;
	long port;
	size_t hl;

	if (colon == NULL)
		return KT_EINVAL;
	hl = (size_t)(colon - s);
	if (hl == 0 || hl >= sizeof(host))
		return KT_EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 0 || port > 65535)
		return KT_EINVAL;
	if (host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		return uv_ip6_addr(host + 1, (int)port,
		    (struct sockaddr_in6 *)addr) == 0 ? 0 : KT_EINVAL;
	}
	return uv_ip4_addr(host, (int)port, (struct sockaddr_in *)addr) == 0 ?
	    0 : KT_EINVAL;
}

static void
on_start_failed_closed(uv_handle_t *h)
{
	free(h->data);
}

int
kt_net_start(kt_net_t **out, uv_loop_t *loop, const kt_net_opts_t *o,
    const kt_net_handlers_t *h)
{
	struct sockaddr_storage addr, bound;
	int namelen = sizeof(bound);
	char host[64];
	kt_net_t *n;
	int port, rc;

	*out = NULL;
	memset(&addr, 0, sizeof(addr));
	if (kt_net_parse_listen(o->listen, &addr) != 0) {
		kt_log(KT_LOG_ERR, "--listen '%s': expected HOST:PORT "
		    "with an IP address, e.g. 127.0.0.1:7700", o->listen);
		return KT_EINVAL;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return KT_ENOMEM;
	n->loop = loop;
	n->opts = *o;
	n->h = *h;
	uv_tcp_init(loop, &n->listener);
	n->listener.data = n;
	n->listener_open = 1;
	rc = uv_tcp_bind(&n->listener, (struct sockaddr *)&addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&n->listener, 511, on_connection);
	if (rc != 0) {
		kt_log(KT_LOG_ERR, "cannot listen on %s: %s",
		    o->listen, uv_strerror(rc));
		/* The handle is the net's: both go in its close callback. */
		uv_close((uv_handle_t *)&n->listener, on_start_failed_closed);
		return KT_EIO;
	}
	uv_tcp_getsockname(&n->listener, (struct sockaddr *)&bound, &namelen);
	if (bound.ss_family == AF_INET6) {
		uv_ip6_name((struct sockaddr_in6 *)&bound, host, sizeof(host));
		port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
		printf("listening on [%s]:%d\n", host, port);
	} else {
		uv_ip4_name((struct sockaddr_in *)&bound, host, sizeof(host));
		port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
		printf("listening on %s:%d\n", host, port);
	}
	fflush(stdout);
	uv_timer_init(loop, &n->tick);
	n->tick.data = n;
	n->tick_open = 1;
	uv_timer_start(&n->tick, on_tick, 1000, 1000);
	*out = n;
	return 0;
}
