/* SPDX-License-Identifier: MIT */
/* The alert command (alert_notify.h). */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobs/alert_notify.h"
#include "kt_error.h"
#include "model/alert_store.h"
#include "model/terminal_store.h"
#include "model/user_store.h"
#include "log.h"

#define RUN_LIMIT_MS 60000u
#define RETRY_FIRST_MS 5000u
#define RETRY_MAX_MS 600000u
#define JSON_MAX 4096u

static const char sent_key[] = "alert_sent";

struct kt_alert_notify {
	uv_loop_t *loop;
	kt_store_t *st;
	kt_writer_t *w;
	char *cmd;
	uint64_t sent;               /* the last alert passed */
	uint64_t current;            /* the alert the child is about */
	int running;                 /* a child is running */
	int overran;                 /* it was killed for running too long */
	int stopping;
	int open_handles;
	uint64_t retry_at;           /* uv_now before which nothing starts */
	uint64_t backoff;
	uv_process_t proc;
	uv_pipe_t in;
	uv_timer_t limit;
	uv_write_t wr;
	char json[JSON_MAX];
	size_t len;
	int64_t exit_status;
	int term_signal;
	uint64_t to_save;            /* the id the writer stores (save_mut) */
};

/* ---- the JSON -------------------------------------------------------------- */

/* Appends s as a JSON string to out; returns the new length or cap when
 * it does not fit. */
static size_t
json_str(char *out, size_t n, size_t cap, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	if (n < cap)
		out[n++] = '"';
	for (const unsigned char *p = (const unsigned char *)(s ? s : "");
	    *p && n < cap; p++) {
		if (*p == '"' || *p == '\\') {
			if (n + 2 > cap)
				return cap;
			out[n++] = '\\';
			out[n++] = (char)*p;
		} else if (*p < 0x20) {
			if (n + 6 > cap)
				return cap;
			memcpy(out + n, "\\u00", 4);
			out[n + 4] = hex[*p >> 4];
			out[n + 5] = hex[*p & 15];
			n += 6;
		} else {
			out[n++] = (char)*p;
		}
	}
	if (n < cap)
		out[n++] = '"';
	return n;
}

int
kt_alert_json(const Ktstore__AlertRecord *rec, const char *login,
    const char *terminal, char *out, size_t cap, size_t *len)
{
	char when[32];
	time_t t = (time_t)(rec->time_ms / 1000);
	struct tm tm;
	size_t n;
	int w;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	w = snprintf(out, cap, "{\"id\":%" PRIu64 ",\"time\":\"%s\",\"kind\":",
	    rec->id, when);
	if (w < 0 || (size_t)w >= cap)
		return KT_ETOOBIG;
	n = json_str(out, (size_t)w, cap,
	    kt_alert_kind_name((kt_alert_kind_t)rec->kind));
#define LIT(s) do {                                                     \
		size_t l_ = strlen(s);                                   \
		if (n + l_ >= cap)                                       \
			return KT_ETOOBIG;                               \
		memcpy(out + n, s, l_);                                  \
		n += l_;                                                 \
	} while (0)
	LIT(",\"what\":");
	n = json_str(out, n, cap, kt_alert_kind_what((kt_alert_kind_t)rec->kind));
	LIT(",\"user\":");
	n = json_str(out, n, cap, login);
	LIT(",\"terminal\":");
	n = json_str(out, n, cap, terminal);
	if (n >= cap)
		return KT_ETOOBIG;
	w = snprintf(out + n, cap - n, ",\"client_id\":%" PRIu64
	    ",\"other_client_id\":%" PRIu64 ",\"count\":%" PRIu64
	    ",\"limit\":%" PRIu64 ",\"detail\":", rec->client_id, rec->other_id,
	    rec->count, rec->limit);
	if (w < 0 || (size_t)w >= cap - n)
		return KT_ETOOBIG;
	n = json_str(out, n + (size_t)w, cap, rec->detail);
	LIT("}\n");
#undef LIT
	if (n >= cap)
		return KT_ETOOBIG;
	out[n] = '\0';
	*len = n;
	return 0;
}

/* ---- the last alert passed, in meta ------------------------------------- */

static uint64_t
sent_get(kt_store_t *st)
{
	MDB_txn *txn = NULL;
	MDB_val k = { sizeof(sent_key) - 1, (void *)sent_key }, v;
	uint64_t id = 0;

	if (kt_store_read_begin(st, &txn) != 0)
		return 0;
	if (mdb_get(txn, kt_store_dbs(st)->meta, &k, &v) == 0 &&
	    v.mv_size == 8)
		id = kt_store_get_be64(v.mv_data);
	kt_store_read_end(st, txn);
	return id;
}

static int
save_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	kt_alert_notify_t *n = arg;
	uint8_t be[8];
	MDB_val k = { sizeof(sent_key) - 1, (void *)sent_key }, v = { 8, be };

	kt_store_be64(be, n->to_save);
	return kt_store_err(mdb_put(txn, kt_store_dbs(st)->meta, &k, &v, 0));
}

static void release(kt_alert_notify_t *n);

static void
save_done(int status, void *arg)
{
	kt_alert_notify_t *n = arg;

	release(n);
	if (status != 0)
		kt_log(KT_LOG_ERR, "alert command: cannot record that "
		    "alert %" PRIu64 " was passed (%s): it may be passed again "
		    "after a restart", n->to_save, kt_strerror(status));
}

/* ---- the child --------------------------------------------------------------- */

/* One handle closed or one save done: n goes with the last of them
 * once stopping. */
static void
release(kt_alert_notify_t *n)
{
	if (--n->open_handles == 0 && n->stopping) {
		free(n->cmd);
		free(n);
	}
}

static void
on_closed(uv_handle_t *h)
{
	release(h->data);
}

static void
close_one(kt_alert_notify_t *n, uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, on_closed);
	(void)n;
}

/* The child is gone: the alert was passed, or a retry is due. */
static void
finish(kt_alert_notify_t *n)
{
	uint64_t now = uv_now(n->loop);

	n->running = 0;
	uv_timer_stop(&n->limit);
	if (n->exit_status == 0 && n->term_signal == 0) {
		n->sent = n->current;
		n->backoff = 0;
		n->to_save = n->sent;
		if (n->w == NULL)
			return;
		n->open_handles++;      /* until save_done */
		if (kt_writer_submit(n->w, save_mut, save_done, n) != 0) {
			n->open_handles--;
			kt_log(KT_LOG_ERR, "alert command: cannot "
			    "record alert %" PRIu64 " as passed", n->sent);
		}
		return;
	}
	n->backoff = n->backoff == 0 ? RETRY_FIRST_MS :
	    n->backoff * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : n->backoff * 2;
	n->retry_at = now + n->backoff;
	if (n->term_signal != 0)
		kt_log(KT_LOG_WARNING, "alert command for alert %" PRIu64
		    " was stopped by signal %d%s; retrying in %" PRIu64 " s",
		    n->current, n->term_signal, n->overran ?
		    " (it ran too long)" : n->stopping ? " (the server is "
		    "stopping)" : "", n->backoff / 1000);
	else
		kt_log(KT_LOG_WARNING, "alert command for alert %" PRIu64
		    " failed with exit status %" PRId64 "; retrying in %" PRIu64
		    " s", n->current, n->exit_status, n->backoff / 1000);
}

static void
on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	kt_alert_notify_t *n = p->data;

	n->exit_status = status;
	n->term_signal = sig;
	close_one(n, (uv_handle_t *)&n->proc);
	finish(n);
}

static void
on_written(uv_write_t *wr, int status)
{
	kt_alert_notify_t *n = wr->data;

	(void)status;   /* a command that does not read its input: its exit
			   status says how it went */
	close_one(n, (uv_handle_t *)&n->in);
}

static void
on_too_long(uv_timer_t *t)
{
	kt_alert_notify_t *n = t->data;

	if (n->running) {
		n->overran = 1;
		uv_process_kill(&n->proc, SIGKILL);
	}
}

/* Starts the command for alert rec. */
static void
spawn_for(kt_alert_notify_t *n, const Ktstore__AlertRecord *rec,
    const char *login, const char *terminal)
{
	uv_process_options_t o;
	uv_stdio_container_t io[3];
	char *args[4] = { "/bin/sh", "-c", n->cmd, NULL };
	uv_buf_t b;
	int rc;

	if (kt_alert_json(rec, login, terminal, n->json, sizeof(n->json),
	    &n->len) != 0) {
		/* Cannot happen with stored limits; skip rather than block. */
		kt_log(KT_LOG_WARNING, "alert %" PRIu64 " is too large "
		    "for the alert command: skipped", rec->id);
		n->current = rec->id;
		n->exit_status = 0;
		n->term_signal = 0;
		finish(n);
		return;
	}
	uv_pipe_init(n->loop, &n->in, 0);
	n->in.data = n;
	n->open_handles++;
	memset(&o, 0, sizeof(o));
	memset(io, 0, sizeof(io));
	io[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
	io[0].data.stream = (uv_stream_t *)&n->in;
	io[1].flags = UV_INHERIT_FD;
	io[1].data.fd = 2;      /* its output goes to the server's log */
	io[2].flags = UV_INHERIT_FD;
	io[2].data.fd = 2;
	o.file = args[0];
	o.args = args;
	o.exit_cb = on_exit_cb;
	o.stdio = io;
	o.stdio_count = 3;
	n->proc.data = n;
	rc = uv_spawn(n->loop, &n->proc, &o);
	n->current = rec->id;
	if (rc != 0) {
		kt_log(KT_LOG_ERR, "alert command: cannot start "
		    "/bin/sh: %s", uv_strerror(rc));
		close_one(n, (uv_handle_t *)&n->in);
		n->exit_status = 127;
		n->term_signal = 0;
		finish(n);
		return;
	}
	n->open_handles++;
	n->running = 1;
	n->overran = 0;
	uv_timer_start(&n->limit, on_too_long, RUN_LIMIT_MS, 0);
	b = uv_buf_init(n->json, (unsigned)n->len);
	n->wr.data = n;
	if (uv_write(&n->wr, (uv_stream_t *)&n->in, &b, 1, on_written) != 0)
		close_one(n, (uv_handle_t *)&n->in);
}

/* ---- start, tick, stop ------------------------------------------------------- */

int
kt_alert_notify_start(kt_alert_notify_t **out, uv_loop_t *loop,
    kt_store_t *st, kt_writer_t *w, const char *cmd)
{
	kt_alert_notify_t *n;

	*out = NULL;
	if (cmd == NULL || cmd[0] == '\0')
		return 0;
	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->cmd = strdup(cmd)) == NULL) {
		free(n);
		return KT_ENOMEM;
	}
	n->loop = loop;
	n->st = st;
	n->w = w;
	n->sent = sent_get(st);
	uv_timer_init(loop, &n->limit);
	n->limit.data = n;
	n->open_handles = 1;
	*out = n;
	return 0;
}

void
kt_alert_notify_tick(kt_alert_notify_t *n)
{
	const kt_store_dbs_t *db;
	Ktstore__AlertRecord *rec = NULL;
	Ktstore__TerminalRecord *t = NULL;
	char login[KT_LOGIN_MAX + 1] = "", term[KT_TERMINAL_NAME_MAX + 1] = "";
	MDB_txn *txn = NULL;

	if (n == NULL || n->running || n->stopping ||
	    uv_now(n->loop) < n->retry_at)
		return;
	if (kt_store_read_begin(n->st, &txn) != 0)
		return;
	db = kt_store_dbs(n->st);
	if (kt_alert_get(txn, db, n->sent + 1, &rec) == 0) {
		if (rec->user_id != 0)
			kt_user_login(txn, db, rec->user_id, login,
			    sizeof(login));
		if (rec->terminal_key.len == 32 && kt_terminal_get(txn, db,
		    rec->terminal_key.data, &t) == 0) {
			snprintf(term, sizeof(term), "%s", t->name);
			protobuf_c_message_free_unpacked(&t->base, NULL);
		}
	}
	kt_store_read_end(n->st, txn);
	if (rec == NULL)
		return;
	spawn_for(n, rec, login, term);
	ktstore__alert_record__free_unpacked(rec, NULL);
}

void
kt_alert_notify_stop(kt_alert_notify_t *n)
{
	if (n == NULL)
		return;
	n->stopping = 1;
	n->w = NULL;
	if (n->running)
		uv_process_kill(&n->proc, SIGKILL);
	close_one(n, (uv_handle_t *)&n->limit);
}
