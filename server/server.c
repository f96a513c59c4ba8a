/* SPDX-License-Identifier: MIT */
/* Starting and stopping kartotekad: opens the store and keys, starts the
 * writer and the network, wires the network's callbacks to the sessions
 * and the dispatcher, runs the loop until SIGTERM or SIGINT, and drains. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "catalog.h"
#include "dispatch.h"
#include "jobs/alert_notify.h"
#include "jobs/backup.h"
#include "jobs/maintenance.h"
#include "kt_error.h"
#include "model/alert_store.h"
#include "model/audit.h"
#include "model/identity.h"
#include "model/migrate.h"
#include "model/terminal_store.h"
#include "server.h"
#include "session.h"
#include "log.h"
#include "sd_notify.h"

/* A request's decoded form lives in the arena: 128 KiB covers every
 * legitimate request; the 1 MiB limit bounds what a hostile one (many
 * tiny repeated fields) can make the decoder allocate. */
#define ARENA_BLOCK (128u * 1024u)
#define ARENA_LIMIT (1024u * 1024u)

void
kt_server_opts_default(kt_server_opts_t *o)
{
	memset(o, 0, sizeof(*o));
	o->listen = "127.0.0.1:7700";
	o->max_conns = 1024;
	o->handshake_timeout_ms = 10000;
	o->idle_timeout_ms = 600000;
	o->write_queue_max = 1u << 20;
	o->session_ttl_s = 12 * 3600;
	o->login_delay_after = 3;
	o->login_delay_max_ms = 8000;
	o->lockout_after = 10;
	o->lockout_s = 900;
	o->enroll_failures_per_min = 10;
	o->stop_grace_ms = 10000;
	o->phone_country = "7";
	o->time_zone = "";
	o->backup_every_s = 24 * 3600;
	o->backup_keep = 14;
}

/* ---- scheduled backups (--backup-dir) ------------------------------------ */

/* The audit entry of a scheduled backup, and the owner's alert when it
 * failed or is late (writer thread). */
typedef struct backup_note {
	const uint8_t *sign_sk;
	int failed;                       /* audit outcome UNAVAILABLE */
	int alert;                        /* raise backup.failed */
	char detail[400];
} backup_note_t;

static int
backup_note_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	backup_note_t *n = arg;
	kt_actor_t local = { 0, NULL, n->sign_sk };
	kt_alert_t a = { .kind = KT_ALERT_BACKUP_FAILED, .detail = n->detail };
	int rc;

	if ((rc = kt_audit_record(st, txn, &local, KT_AUDIT_BACKUP, "store",
	    n->failed ? KARTOTEKA__ERROR__CODE__UNAVAILABLE : 0,
	    n->detail)) != 0)
		return rc;
	return n->alert ? kt_alert_raise(st, txn, &a, NULL) : 0;
}

static void
backup_note_done(int rc, void *arg)
{
	if (rc != 0)
		kt_log(KT_LOG_ERR, "the backup's audit entry failed: "
		    "%s", kt_strerror(rc));
	free(arg);
}

static void
backup_note(kt_server_t *srv, int failed, int alert, const char *detail)
{
	backup_note_t *n;

	if (srv->stopping || srv->writer == NULL ||
	    (n = calloc(1, sizeof(*n))) == NULL)
		return;
	n->sign_sk = srv->sign_sk;
	n->failed = failed;
	n->alert = alert;
	snprintf(n->detail, sizeof(n->detail), "%s", detail);
	if (kt_writer_submit(srv->writer, backup_note_mut, backup_note_done,
	    n) != 0)
		free(n);
}

static void
backup_work(uv_work_t *w)
{
	kt_server_t *srv = w->data;
	const kt_server_opts_t *o = &srv->opts;

	kt_backup_to_dir(srv->store, o->data_dir, o->backup_dir,
	    o->backup_keep, o->backup_pass, o->backup_pass_len, kt_now_s(),
	    srv->backup_res);
}

static void
backup_after(uv_work_t *w, int status)
{
	kt_server_t *srv = w->data;
	kt_backup_result_t *res = srv->backup_res;
	char detail[400];

	srv->backup_busy = 0;
	srv->backup_next_s = kt_now_s() + srv->opts.backup_every_s;
	if (status == 0 && res->rc == 0) {
		srv->backup_last_ok_s = kt_now_s();
		srv->backup_late_said = 0;
		snprintf(detail, sizeof(detail), "scheduled, %lld bytes, %u "
		    "older removed: %.300s", res->bytes, res->removed, res->file);
		kt_log(KT_LOG_INFO, "backup written: %s (%lld bytes)",
		    res->file, res->bytes);
		backup_note(srv, 0, 0, detail);
	} else {
		snprintf(detail, sizeof(detail), "scheduled backup failed: %s",
		    status != 0 ? "cancelled" : res->why);
		kt_log(KT_LOG_ERR, "%s", detail);
		backup_note(srv, 1, 1, detail);
	}
	free(res);
	srv->backup_res = NULL;
}

/* At start: a store restored from a backup and not started since gets
 * the owner's alert store.restored (jobs/backup.h), once. */
typedef struct restored_check {
	char detail[300];
} restored_check_t;

static int
restored_check_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	restored_check_t *c = arg;

	return kt_backup_restored_alert(st, txn, c->detail, sizeof(c->detail));
}

static void
restored_check_done(int rc, void *arg)
{
	restored_check_t *c = arg;

	if (rc != 0)
		kt_log(KT_LOG_ERR, "cannot raise the alert of the "
		    "restore: %s", kt_strerror(rc));
	else if (c->detail[0] != '\0')
		kt_log(KT_LOG_NOTICE, "the first start after a restore "
		    "(%s): the users, terminals and passwords are those of the "
		    "backup's day; the owner has an alert to review them",
		    c->detail);
	free(c);
}

static void
restored_check(kt_server_t *srv)
{
	restored_check_t *c = calloc(1, sizeof(*c));

	if (c != NULL && kt_writer_submit(srv->writer, restored_check_mut,
	    restored_check_done, c) != 0)
		free(c);
}

/* ---- a full store (docs/SAFETY.md) ------------------------------------------ */

static int
full_alert_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	kt_server_t *srv = arg;
	char detail[160];
	kt_alert_t a = { .kind = KT_ALERT_STORE_FULL, .detail = detail };

	if (srv->opts.max_store_bytes != 0)
		snprintf(detail, sizeof(detail), "the store reached its cap "
		    "of %zu MiB (--max-store-size): changes, views and lists "
		    "are refused until there is room", srv->opts.max_store_bytes
		    >> 20);
	else
		snprintf(detail, sizeof(detail), "the disk of the data "
		    "directory is full: changes, views and lists are refused "
		    "until there is room");
	return kt_alert_raise(st, txn, &a, NULL);
}

static void
full_alert_done(int rc, void *arg)
{
	kt_server_t *srv = arg;

	srv->disk_full_alerting = 0;
	if (rc == 0) {
		srv->disk_full_alert_owed = 0;
		kt_log(KT_LOG_NOTICE, "the owner has the alert "
		    "store.full");
	}
}

/* On the tick: the writer's counters say when batches were refused for
 * space and when ordinary writes went through again. The owner's alert
 * goes into the store's reserve at once, or on a later tick once there
 * is room for it: still owed when room came back before it fitted (on a
 * really full filesystem there is no reserve). */
static void
disk_tick(kt_server_t *srv)
{
	if (srv->writer == NULL || srv->stopping)
		return;
	kt_req_note_room(srv);
	if (srv->disk_full_alert_owed && !srv->disk_full_alerting &&
	    kt_writer_submit_reserve(srv->writer, full_alert_mut,
	    full_alert_done, srv) == 0)
		srv->disk_full_alerting = 1;
}

/* On the tick: starts a backup when one is due and none runs; says once
 * when backups are late (none good for twice the interval, as when
 * every attempt fails). */
static void
backup_tick(kt_server_t *srv)
{
	const kt_server_opts_t *o = &srv->opts;
	int64_t now = kt_now_s();

	if (o->backup_dir == NULL || srv->stopping)
		return;
	if (!srv->backup_late_said && srv->backup_last_ok_s != 0 &&
	    now - srv->backup_last_ok_s > 2 * o->backup_every_s) {
		char detail[200];

		srv->backup_late_said = 1;
		snprintf(detail, sizeof(detail), "scheduled backups are late: "
		    "the last good one is %lld s old",
		    (long long)(now - srv->backup_last_ok_s));
		backup_note(srv, 1, 1, detail);
	}
	if (srv->backup_busy || now < srv->backup_next_s)
		return;
	if ((srv->backup_res = calloc(1, sizeof(*srv->backup_res))) == NULL)
		return;
	srv->backup_work.data = srv;
	if (uv_queue_work(srv->loop, &srv->backup_work, backup_work,
	    backup_after) != 0) {
		free(srv->backup_res);
		srv->backup_res = NULL;
		return;
	}
	srv->backup_busy = 1;
}

/* At start: the next backup is due one interval after the newest in the
 * directory (now when there is none, or it is overdue). */
static void
backup_schedule(kt_server_t *srv)
{
	const kt_server_opts_t *o = &srv->opts;
	int64_t newest;

	if (o->backup_dir == NULL)
		return;
	newest = kt_backup_newest(o->backup_dir);
	srv->backup_last_ok_s = newest;
	srv->backup_next_s = newest + o->backup_every_s;
}

/* ---- the network's callbacks ------------------------------------------- */

static int
on_ready(void *arg, kt_conn_t *c, const uint8_t peer_key[32])
{
	return kt_session_attach(arg, c, peer_key);
}

static void
on_message(void *arg, kt_conn_t *c, const uint8_t *plain, size_t len)
{
	kt_dispatch_message(arg, c, plain, len);
}

static void
on_gone(void *arg, kt_conn_t *c)
{
	(void)arg;
	kt_session_detach(c);
}

static void
on_tick(void *arg)
{
	kt_server_t *srv = arg;
	uint64_t now = uv_now(srv->loop);

	kt_session_sweep(srv);
	kt_alert_notify_tick(srv->notify);
	backup_tick(srv);
	disk_tick(srv);
	if (now >= srv->next_maintenance_ms) {
		srv->next_maintenance_ms = now + KT_MAINTENANCE_EVERY_MS;
		kt_maintenance_run(srv->writer, kt_now_s());
	}
}

static void
on_handle_closed_noop(uv_handle_t *h)
{
	(void)h;
}

/* Every connection is gone: every request that could still write has
 * ended, so the writer drains what is left (housekeeping) and stops. */
static void
on_stopped(void *arg)
{
	kt_server_t *srv = arg;

	kt_writer_stats_t ws;

	srv->net = NULL;
	kt_writer_get_stats(srv->writer, &ws);
	kt_alert_notify_stop(srv->notify);
	srv->notify = NULL;
	kt_writer_stop(srv->writer);
	srv->writer = NULL;
	/* How well writes were grouped: the figure to look at first when
	 * the disk is the bottleneck (docs/BENCH.md). */
	kt_log(KT_LOG_INFO, "%llu mutations in %llu commits (at most "
	    "%llu in one)", (unsigned long long)ws.mutations,
	    (unsigned long long)ws.batches, (unsigned long long)ws.max_batch);
	uv_close((uv_handle_t *)&srv->sig_term, on_handle_closed_noop);
	uv_close((uv_handle_t *)&srv->sig_int, on_handle_closed_noop);
}

/* Tells systemd (Type=notify) our state; a failure is logged once, as
 * and serving goes on: a manager not told times out on its own. */
static void
notify(const char *state)
{
	int rc = kt_sd_notify(state);

	if (rc < 0)
		kt_log(KT_LOG_WARNING, "cannot tell the service manager %s "
		    "($NOTIFY_SOCKET): %s", state, kt_strerror(rc));
	else if (rc == 0)
		kt_log(KT_LOG_DEBUG, "told the service manager %s", state);
}

static void
on_signal(uv_signal_t *s, int signum)
{
	kt_server_t *srv = s->data;

	if (srv->stopping)
		return;
	kt_log(KT_LOG_NOTICE, "signal %d: stopping", signum);
	notify("STOPPING=1");
	srv->stopping = 1;
	kt_net_stop(srv->net);
}

/* ---- start and stop -------------------------------------------------------- */

/* The part of a capped store kept for logins and the owner's alert: 2 %,
 * at least 256 KiB (some sixty logins with their audit entries), at most
 * 64 MiB. */
static size_t
store_reserve(size_t max)
{
	size_t r = max / 50;

	if (r < (256u << 10))
		r = 256u << 10;
	if (r > (64u << 20))
		r = 64u << 20;
	return r;
}

/* A password hash to verify when the login does not exist, so that both
 * answers take the same time. */
static int
make_dummy_hash(kt_server_t *srv)
{
	uint8_t junk[32];
	char pw[65];
	int rc;

	randombytes_buf(junk, sizeof(junk));
	sodium_bin2hex(pw, sizeof(pw), junk, sizeof(junk));
	rc = kt_identity_hash_password(srv->dummy_hash, pw);
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(junk, sizeof(junk));
	return rc;
}

/* Reads the default time zone and every branch's into srv->tz before the
 * loop starts, so that no request reads a zone file. A branch whose zone
 * is gone from the system's tz database falls back to the default, with a
 * warning. */
static int
load_zones(kt_server_t *srv)
{
	const kt_store_dbs_t *db = kt_store_dbs(srv->store);
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	char err[200];
	int rc;

	rc = kt_tzcache_new(srv->opts.zoneinfo, srv->opts.time_zone, &srv->tz,
	    err, sizeof(err));
	if (rc != 0) {
		kt_log(KT_LOG_ERR, "--time-zone: %s",
		    rc == KT_ENOMEM ? "out of memory" : err);
		return rc;
	}
	if (kt_store_read_begin(srv->store, &txn) != 0)
		return 0;
	if (mdb_cursor_open(txn, db->branches, &cur) == 0) {
		while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
			Ktstore__BranchRecord *b =
			    ktstore__branch_record__unpack(NULL, v.mv_size,
			    v.mv_data);
			if (b != NULL && b->time_zone && b->time_zone[0] &&
			    kt_tzcache_check(srv->tz, b->time_zone, err,
			    sizeof(err)) != 0)
				kt_log(KT_LOG_WARNING, "branch %s: %s: "
				    "using the default time zone", b->name,
				    err);
			if (b != NULL)
				ktstore__branch_record__free_unpacked(b, NULL);
		}
		mdb_cursor_close(cur);
	}
	kt_store_read_end(srv->store, txn);
	return 0;
}

#ifndef KT_LOCALEDIR
#define KT_LOCALEDIR "/usr/local/share/locale"
#endif
#ifndef KT_LINGUAS
#define KT_LINGUAS ""
#endif

/* The catalogues of the languages the server answers in, from
 * $KARTOTEKA_LOCALEDIR (the tests: the build's locale/) or the install's
 * locale directory. One that cannot be read is a warning: its clients
 * are answered in English. */
static void
load_catalogs(kt_server_t *srv)
{
	const char *dir = getenv("KARTOTEKA_LOCALEDIR");
	char err[600];

	if ((srv->catalog = kt_catalog_new()) == NULL)
		return;
	if (dir == NULL || dir[0] == '\0')
		dir = KT_LOCALEDIR;
	if (kt_catalog_load_dir(srv->catalog, dir, KT_LINGUAS, err,
	    sizeof(err)) >= 0 && err[0] != '\0')
		kt_log(KT_LOG_WARNING, "%s: answering in English instead",
		    err);
}

/* net's translate handler: an error's text in the connection's language. */
static const char *
translate(void *arg, const char *lang, const char *msg, char *buf, size_t cap)
{
	kt_server_t *srv = arg;

	return kt_catalog_translate(srv->catalog, lang, msg, buf, cap);
}

int
kt_server_run(const kt_server_opts_t *opts)
{
	kt_server_t *srv = NULL;
	kt_net_opts_t no;
	kt_net_handlers_t nh = { 0 };
	uv_loop_t loop;
	MDB_txn *txn = NULL;
	int rc, loop_ready = 0, arena_ready = 0;

	/* The context holds the keys: locked memory, wiped when freed. */
	if ((srv = sodium_malloc(sizeof(*srv))) == NULL)
		return KT_ENOMEM;
	memset(srv, 0, sizeof(*srv));
	srv->opts = *opts;
	if (kt_store_restore_interrupted(opts->data_dir)) {
		char why[600];
		kt_log(KT_LOG_ERR, "%s", kt_store_open_problem(KT_ESTATE,
		    opts->data_dir, NULL, why, sizeof(why)));
		rc = KT_ESTATE;
		goto out;
	}
	rc = kt_identity_load_keys(opts->data_dir, srv->static_priv,
	    srv->static_pub, srv->sign_sk, srv->sign_pk);
	if (rc != 0) {
		kt_log(KT_LOG_ERR, "cannot read the server keys in "
		    "%s: %s (run `kartotekad init --data %s` first)",
		    opts->data_dir, kt_strerror(rc), opts->data_dir);
		goto out;
	}
	rc = kt_migrate_open_report(&srv->store, opts->data_dir, 0,
	    "kartotekad");
	if (rc != 0)
		goto out;
	if (opts->max_store_bytes != 0 &&
	    (rc = kt_store_set_max_size(srv->store, opts->max_store_bytes,
	    store_reserve(opts->max_store_bytes))) != 0) {
		kt_log(KT_LOG_ERR, "--max-store-size: too small");
		goto out;
	}
	if ((rc = make_dummy_hash(srv)) != 0)
		goto out;
	load_catalogs(srv);
	if ((rc = load_zones(srv)) != 0)
		goto out;
	if (kt_store_read_begin(srv->store, &txn) == 0) {
		srv->terminals_gen = kt_terminals_gen(txn,
		    kt_store_dbs(srv->store));
		kt_store_read_end(srv->store, txn);
	}
	if ((rc = kt_arena_init(&srv->req_arena, ARENA_BLOCK, ARENA_LIMIT)) !=
	    0)
		goto out;
	arena_ready = 1;
	if (uv_loop_init(&loop) != 0) {
		kt_log(KT_LOG_ERR, "cannot initialise the event loop");
		rc = KT_EIO;
		goto out;
	}
	loop_ready = 1;
	srv->loop = &loop;
	kt_limiter_init(&srv->enroll_limit, opts->enroll_failures_per_min);
	rc = kt_writer_start(&srv->writer, srv->store, &loop);
	if (rc != 0) {
		kt_log(KT_LOG_ERR, "cannot start the writer: %s",
		    kt_strerror(rc));
		goto out_run;
	}
	if ((rc = kt_alert_notify_start(&srv->notify, &loop, srv->store,
	    srv->writer, opts->alert_command)) != 0) {
		kt_writer_stop(srv->writer);
		srv->writer = NULL;
		goto out_run;
	}
	memset(&no, 0, sizeof(no));
	no.listen = opts->listen;
	no.max_conns = opts->max_conns;
	no.handshake_timeout_ms = opts->handshake_timeout_ms;
	no.idle_timeout_ms = opts->idle_timeout_ms;
	no.stop_grace_ms = opts->stop_grace_ms;
	no.write_queue_max = opts->write_queue_max;
	no.static_priv = srv->static_priv;
	no.server_version = KT_SERVER_VERSION;
	nh.arg = srv;
	nh.on_ready = on_ready;
	nh.on_message = on_message;
	nh.on_gone = on_gone;
	nh.on_tick = on_tick;
	nh.on_stopped = on_stopped;
	nh.translate = translate;
	if ((rc = kt_net_start(&srv->net, &loop, &no, &nh)) != 0) {
		kt_alert_notify_stop(srv->notify);
		srv->notify = NULL;
		kt_writer_stop(srv->writer);
		srv->writer = NULL;
		goto out_run;
	}
	backup_schedule(srv);
	restored_check(srv);
	uv_signal_init(&loop, &srv->sig_term);
	uv_signal_init(&loop, &srv->sig_int);
	srv->sig_term.data = srv->sig_int.data = srv;
	uv_signal_start(&srv->sig_term, on_signal, SIGTERM);
	uv_signal_start(&srv->sig_int, on_signal, SIGINT);
	/* Listening, signals handled: systemd may start what needs us. */
	notify("READY=1");
	uv_run(&loop, UV_RUN_DEFAULT);
	kt_log(KT_LOG_NOTICE, "stopped");
	rc = 0;
	goto out;
out_run:
	uv_run(&loop, UV_RUN_DEFAULT); /* let closed handles finish */
out:
	if (loop_ready)
		uv_loop_close(&loop);
	if (arena_ready)
		kt_arena_free(&srv->req_arena);
	kt_store_close(srv->store);
	kt_tzcache_free(srv->tz);
	kt_catalog_free(srv->catalog);
	sodium_free(srv);
	return rc;
}
