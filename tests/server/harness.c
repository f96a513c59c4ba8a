/* SPDX-License-Identifier: MIT */
/* The request-path test harness (harness.h): a server over a temporary
 * store and the fake network. */
#include <ftw.h>
#include <inttypes.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "catalog.h"
#include "kt_test.h"

#include "dispatch.h"
#include "kt_error.h"
#include "model/alert_store.h"
#include "model/audit.h"
#include "model/branch_store.h"
#include "model/identity.h"
#include "model/session_store.h"
#include "model/terminal_store.h"
#include "model/user_store.h"
#include "model/writer.h"
#include "server/harness.h"
#include "session.h"

/* As server.c: the decoded request's arena. */
#define ARENA_BLOCK (128u * 1024u)
#define ARENA_LIMIT (1024u * 1024u)

typedef struct tracked {
	kt_conn_t *c;
	int gone;                         /* freed (on_gone ran) */
	int dropped;                      /* kt_h_drop */
	kt_h_entry_t *seen;               /* kt_h_watch_audit: by answer */
	char *seen_ok;
	size_t nseen;
} tracked_t;

struct kt_h_priv {
	char dir[64];
	char pwhash[crypto_pwhash_STRBYTES];
	uint64_t next_id;
	uv_timer_t tick;                  /* wakes the loop while waiting */
	int tick_running;
	Kartoteka__Response **resp;       /* decoded answers, freed at the end */
	size_t nresp, capresp;
	tracked_t *conns;
	size_t nconns, capconns;
	sem_t gate, entered;
	int gate_held;
	int gate_passed;                  /* the gate mutation ran once */
	int gate_done;
	unsigned terminals;               /* names of made terminals */
};

/* ---- small helpers ---------------------------------------------------------- */

static int
rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static tracked_t *
track_find(kt_h_t *h, const kt_conn_t *c)
{
	/* Newest first: a freed connection's address may be reused. */
	for (size_t i = h->p->nconns; i-- > 0;)
		if (h->p->conns[i].c == c && !h->p->conns[i].gone)
			return &h->p->conns[i];
	return NULL;
}

static void
track_add(kt_h_t *h, kt_conn_t *c)
{
	struct kt_h_priv *p = h->p;

	if (p->nconns == p->capconns) {
		p->capconns = p->capconns ? p->capconns * 2 : 16;
		p->conns = realloc(p->conns, p->capconns * sizeof(*p->conns));
		assert_non_null(p->conns);
	}
	p->conns[p->nconns++] = (tracked_t){ .c = c };
}

/* ---- the net's handlers -------------------------------------------------------- */

static int
h_on_ready(void *arg, kt_conn_t *c, const uint8_t peer_key[32])
{
	kt_h_t *h = arg;

	return kt_session_attach(h->srv, c, peer_key);
}

static void
h_on_message(void *arg, kt_conn_t *c, const uint8_t *plain, size_t len)
{
	kt_h_t *h = arg;

	kt_dispatch_message(h->srv, c, plain, len);
}

/* As server.c: an error's text in the connection's language, from the
 * catalogue a test sets in srv->catalog (none: English). */
static const char *
h_translate(void *arg, const char *lang, const char *msg, char *buf,
    size_t cap)
{
	kt_h_t *h = arg;

	return kt_catalog_translate(h->srv->catalog, lang, msg, buf, cap);
}

static void
h_on_gone(void *arg, kt_conn_t *c)
{
	kt_h_t *h = arg;
	tracked_t *t = track_find(h, c);

	kt_session_detach(c);
	if (t != NULL)
		t->gone = 1;
}

/* ---- the store --------------------------------------------------------------- */

typedef struct init_job {
	kt_h_t *h;
	uint64_t owner;
	kt_verdict_t v;
} init_job_t;

/* What `kartotekad init` writes: the init entry and the owner. */
static int
init_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	init_job_t *j = arg;
	kt_actor_t local = { 0, NULL, j->h->srv->sign_sk };
	kt_user_new_t owner = {
		.login = KT_H_OWNER, .name = "The Owner",
		.role = KARTOTEKA__ROLE__OWNER, .pwhash = j->h->p->pwhash,
		.now = kt_now_s(),
	};
	int rc;

	if ((rc = kt_audit_record(st, txn, &local, KT_AUDIT_INIT, "store", 0,
	    KT_SERVER_VERSION)) != 0 ||
	    (rc = kt_user_add(st, txn, &local, &owner, &j->owner, &j->v)) != 0)
		return rc;
	return kt_verdict_is_ok(&j->v) ? 0 : KT_EINVAL;
}

typedef struct write_job {
	kt_store_mutation_fn fn;
	void *arg;
	int done;
	int status;
} write_job_t;

static int
write_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	write_job_t *w = arg;

	return w->fn(st, txn, w->arg);
}

static void
write_done(int status, void *arg)
{
	write_job_t *w = arg;

	w->status = status;
	w->done = 1;
}

static int
write_finished(void *arg)
{
	return ((write_job_t *)arg)->done;
}

int
kt_h_write(kt_h_t *h, kt_store_mutation_fn fn, void *arg)
{
	write_job_t w = { fn, arg, 0, 0 };

	if (h->p->gate_held)
		fail_msg("kt_h_write: the writer is held by the gate");
	assert_int_equal(kt_writer_submit(h->srv->writer, write_mut, write_done,
	    &w), 0);
	kt_h_run_until(h, write_finished, &w);
	return w.status;
}

/* A local command's actor (no user, no terminal). */
static kt_actor_t
local_actor(kt_h_t *h)
{
	kt_actor_t a = { 0, NULL, h->srv->sign_sk };

	return a;
}

typedef struct branch_job {
	kt_h_t *h;
	const char *name;
	uint64_t id;
	kt_verdict_t v;
} branch_job_t;

static int
branch_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	branch_job_t *j = arg;
	kt_actor_t a = local_actor(j->h);

	return kt_branch_add(st, txn, &a, j->name, "", &j->id, &j->v);
}

uint64_t
kt_h_branch(kt_h_t *h, const char *name)
{
	branch_job_t j = { .h = h, .name = name };

	assert_int_equal(kt_h_write(h, branch_mut, &j), 0);
	if (!kt_verdict_is_ok(&j.v))
		fail_msg("kt_h_branch %s: %s", name, j.v.msg);
	return j.id;
}

typedef struct user_job {
	kt_h_t *h;
	kt_user_new_t n;
	uint64_t id;
	kt_verdict_t v;
} user_job_t;

static int
user_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	user_job_t *j = arg;
	kt_actor_t a = local_actor(j->h);

	return kt_user_add(st, txn, &a, &j->n, &j->id, &j->v);
}

uint64_t
kt_h_user(kt_h_t *h, const char *login, uint32_t role, uint64_t branch,
    uint32_t quota)
{
	char bname[KT_NAME_MAX + 1];
	char *names[1] = { bname };
	user_job_t j = { .h = h };

	kt_h_branch_name(h, branch, bname, sizeof(bname));
	j.n.login = login;
	j.n.name = login;
	j.n.role = role;
	j.n.branches = names;
	j.n.nbranches = branch != 0;
	j.n.quota = quota;
	j.n.pwhash = h->p->pwhash;
	j.n.now = kt_now_s();
	assert_int_equal(kt_h_write(h, user_mut, &j), 0);
	if (!kt_verdict_is_ok(&j.v))
		fail_msg("kt_h_user %s: %s", login, j.v.msg);
	return j.id;
}

const char *
kt_h_branch_name(kt_h_t *h, uint64_t id, char *out, size_t cap)
{
	MDB_txn *txn;

	assert_int_equal(kt_store_read_begin(h->srv->store, &txn), 0);
	kt_branch_name(txn, kt_store_dbs(h->srv->store), id, out, cap);
	kt_store_read_end(h->srv->store, txn);
	return out;
}

typedef struct term_job {
	kt_h_t *h;
	uint64_t branch;
	const char *name;
	uint8_t key[32];
	uint8_t token[32];
	uint64_t got_branch;
	kt_verdict_t v;
} term_job_t;

/* An invite and its use, as `kartotekad invite` and an enrolment make
 * them. */
static int
term_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	term_job_t *j = arg;
	kt_actor_t a = local_actor(j->h);
	char bname[KT_NAME_MAX + 1] = "";
	uint8_t hash[32];
	int64_t now = kt_now_s();
	int rc;

	kt_branch_name(txn, kt_store_dbs(st), j->branch, bname, sizeof(bname));
	if ((rc = kt_invite_put(st, txn, &a, j->branch, bname, j->token, now,
	    KT_INVITE_TTL_S)) != 0)
		return rc;
	crypto_generichash(hash, 32, j->token, 32, NULL, 0);
	return kt_terminal_enroll(st, txn, j->key, hash, j->name, now,
	    j->h->srv->sign_sk, &j->got_branch, &j->v);
}

void
kt_h_terminal(kt_h_t *h, uint64_t branch, const char *name, uint8_t key[32])
{
	term_job_t j = { .h = h, .branch = branch, .name = name };

	randombytes_buf(j.key, 32);
	randombytes_buf(j.token, 32);
	assert_int_equal(kt_h_write(h, term_mut, &j), 0);
	if (!kt_verdict_is_ok(&j.v))
		fail_msg("kt_h_terminal %s: %s", name, j.v.msg);
	assert_true(j.got_branch == branch);
	memcpy(key, j.key, 32);
}

typedef struct revoke_job {
	kt_h_t *h;
	char which[65];
	uint8_t key[32];
	kt_verdict_t v;
} revoke_job_t;

static int
revoke_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	revoke_job_t *j = arg;
	kt_actor_t a = local_actor(j->h);

	return kt_terminal_revoke(st, txn, &a, j->which, kt_now_s(), j->key,
	    &j->v);
}

void
kt_h_revoke(kt_h_t *h, const uint8_t key[32])
{
	revoke_job_t j = { .h = h };

	kt_hex(j.which, key, 32);
	assert_int_equal(kt_h_write(h, revoke_mut, &j), 0);
	if (!kt_verdict_is_ok(&j.v))
		fail_msg("kt_h_revoke: %s", j.v.msg);
}

typedef struct disable_job {
	kt_h_t *h;
	const char *login;
	int disable;
	uint64_t id;
	size_t ended;
	kt_verdict_t v;
} disable_job_t;

static int
disable_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	disable_job_t *j = arg;
	kt_actor_t a = local_actor(j->h);

	return kt_user_set_disabled(st, txn, &a, j->login, j->disable, &j->id,
	    &j->ended, &j->v);
}

void
kt_h_set_disabled(kt_h_t *h, const char *login, int disabled)
{
	disable_job_t j = { .h = h, .login = login, .disable = disabled };

	assert_int_equal(kt_h_write(h, disable_mut, &j), 0);
	if (!kt_verdict_is_ok(&j.v))
		fail_msg("kt_h_set_disabled %s: %s", login, j.v.msg);
}

/* ---- life -------------------------------------------------------------------- */

kt_h_t *
kt_h_new(void)
{
	kt_h_t *h = calloc(1, sizeof(*h));
	kt_server_t *srv;
	kt_net_handlers_t nh = { 0 };
	init_job_t j = { 0 };
	MDB_txn *txn;

	assert_non_null(h);
	assert_true(sodium_init() >= 0);
	h->p = calloc(1, sizeof(*h->p));
	srv = h->srv = calloc(1, sizeof(*srv));
	assert_non_null(h->p);
	assert_non_null(srv);
	snprintf(h->p->dir, sizeof(h->p->dir), "/tmp/kt-harness-XXXXXX");
	assert_non_null(mkdtemp(h->p->dir));
	kt_server_opts_default(&srv->opts);
	srv->opts.data_dir = h->p->dir;
	/* Business days in UTC unless a test sets its own zone. */
	assert_int_equal(kt_tzcache_new(NULL, "UTC", &srv->tz, NULL, 0), 0);
	assert_int_equal(kt_store_open(&srv->store, h->p->dir,
	    KT_STORE_CREATE), 0);
	/* The keys `kartotekad init` would write, in memory only. */
	randombytes_buf(srv->static_priv, 32);
	crypto_scalarmult_base(srv->static_pub, srv->static_priv);
	crypto_sign_keypair(srv->sign_pk, srv->sign_sk);
	/* One Argon2 hash serves every user (and the dummy of unknown
	 * logins, which never matches: no such user). */
	assert_int_equal(kt_identity_hash_password(h->p->pwhash,
	    KT_H_PASSWORD), 0);
	memcpy(srv->dummy_hash, h->p->pwhash, sizeof(srv->dummy_hash));
	j.h = h;
	assert_int_equal(kt_store_write_sync(srv->store, init_mut, &j), 0);
	h->owner = j.owner;
	assert_int_equal(kt_store_read_begin(srv->store, &txn), 0);
	srv->terminals_gen = kt_terminals_gen(txn, kt_store_dbs(srv->store));
	kt_store_read_end(srv->store, txn);
	assert_int_equal(kt_arena_init(&srv->req_arena, ARENA_BLOCK,
	    ARENA_LIMIT), 0);
	assert_int_equal(uv_loop_init(&h->loop), 0);
	srv->loop = &h->loop;
	srv->enroll_limit.per_minute = srv->opts.enroll_failures_per_min;
	assert_int_equal(kt_writer_start(&srv->writer, srv->store, &h->loop),
	    0);
	nh.arg = h;
	nh.on_ready = h_on_ready;
	nh.on_message = h_on_message;
	nh.on_gone = h_on_gone;
	nh.translate = h_translate;
	assert_int_equal(kt_net_start(&srv->net, &h->loop, NULL, &nh), 0);
	h->net = srv->net;
	assert_int_equal(uv_timer_init(&h->loop, &h->p->tick), 0);
	assert_int_equal(sem_init(&h->p->gate, 0, 0), 0);
	assert_int_equal(sem_init(&h->p->entered, 0, 0), 0);
	return h;
}

static int
gate_finished(void *arg)
{
	return ((kt_h_t *)arg)->p->gate_done;
}

void
kt_h_free(kt_h_t *h)
{
	struct kt_h_priv *p = h->p;
	kt_server_t *srv = h->srv;
	unsigned left;

	if (p->gate_held)
		kt_h_gate_release(h);
	kt_h_settle(h);
	kt_req_txn_release(srv);
	left = kt_fake_net_free(h->net);
	if (left != 0)
		fail_msg("%u connection(s) still referenced after every "
		    "request should have ended: a request was never ended "
		    "(or ended without its kt_conn_unref)", left);
	srv->net = NULL;
	kt_writer_stop(srv->writer);
	srv->writer = NULL;
	uv_close((uv_handle_t *)&p->tick, NULL);
	assert_int_equal(uv_run(&h->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&h->loop), 0);
	kt_arena_free(&srv->req_arena);
	kt_store_close(srv->store);
	kt_tzcache_free(srv->tz);
	kt_catalog_free(srv->catalog);
	assert_int_equal(nftw(p->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
	for (size_t i = 0; i < p->nresp; i++)
		kartoteka__response__free_unpacked(p->resp[i], NULL);
	free(p->resp);
	for (size_t i = 0; i < p->nconns; i++) {
		free(p->conns[i].seen);
		free(p->conns[i].seen_ok);
	}
	free(p->conns);
	sem_destroy(&p->gate);
	sem_destroy(&p->entered);
	sodium_memzero(srv, sizeof(*srv));
	free(srv);
	free(p);
	free(h);
}

/* ---- connections --------------------------------------------------------------- */

kt_conn_t *
kt_h_connect(kt_h_t *h, const uint8_t key[32])
{
	kt_conn_t *c = kt_fake_conn_new(h->net);
	int rc;

	assert_non_null(c);
	track_add(h, c);
	if ((rc = kt_fake_conn_ready(c, key)) != 0)
		fail_msg("kt_session_attach refused the connection: %s",
		    kt_strerror(rc));
	return c;
}

kt_conn_t *
kt_h_connect_enrolled(kt_h_t *h, uint64_t branch, uint8_t *key)
{
	uint8_t k[32];
	char name[32];

	snprintf(name, sizeof(name), "term-%u", ++h->p->terminals);
	kt_h_terminal(h, branch, name, k);
	if (key != NULL)
		memcpy(key, k, 32);
	return kt_h_connect(h, k);
}

kt_conn_t *
kt_h_connect_unenrolled(kt_h_t *h)
{
	uint8_t k[32];

	randombytes_buf(k, 32);
	return kt_h_connect(h, k);
}

typedef struct login_job {
	uint8_t hash[32];
	uint64_t user;
	uint8_t term[32];
	int64_t now, expires;
} login_job_t;

static int
login_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	login_job_t *j = arg;

	return kt_session_rec_put(txn, kt_store_dbs(st), j->hash, j->user,
	    j->term, j->now, j->expires);
}

void
kt_h_login_token(kt_h_t *h, kt_conn_t *c, uint64_t user,
    const uint8_t token[32])
{
	kt_session_t *s = kt_session_of(c);
	login_job_t j;
	MDB_txn *txn;
	uint64_t got = 0;
	int64_t exp = 0;
	int rc;

	assert_non_null(s);
	memset(&j, 0, sizeof(j));
	crypto_generichash(j.hash, 32, token, 32, NULL, 0);
	j.user = user;
	memcpy(j.term, kt_session_terminal_key(s), 32);
	j.now = kt_now_s();
	j.expires = j.now + h->srv->opts.session_ttl_s;
	/* Put once; a second connection resuming it finds it there. */
	assert_int_equal(kt_store_read_begin(h->srv->store, &txn), 0);
	rc = kt_session_rec_check(txn, kt_store_dbs(h->srv->store), j.hash,
	    j.term, j.now, &got, &exp);
	kt_store_read_end(h->srv->store, txn);
	if (rc == KT_ENOTFOUND)
		assert_int_equal(kt_h_write(h, login_mut, &j), 0);
	else if (rc == 0)
		j.expires = exp;
	else
		fail_msg("kt_h_login_token: %s", kt_strerror(rc));
	kt_session_set_login(s, user, j.hash, j.expires);
}

void
kt_h_login(kt_h_t *h, kt_conn_t *c, uint64_t user, uint8_t *token,
    uint8_t *hash)
{
	uint8_t t[32];

	randombytes_buf(t, 32);
	kt_h_login_token(h, c, user, t);
	if (token != NULL)
		memcpy(token, t, 32);
	if (hash != NULL)
		crypto_generichash(hash, 32, t, 32, NULL, 0);
}

kt_conn_t *
kt_h_session(kt_h_t *h, uint64_t user, uint64_t branch)
{
	kt_conn_t *c = kt_h_connect_enrolled(h, branch, NULL);

	kt_h_login(h, c, user, NULL, NULL);
	return c;
}

void
kt_h_drop(kt_h_t *h, kt_conn_t *c)
{
	tracked_t *t = track_find(h, c);

	assert_non_null(t);
	assert_false(t->dropped);
	t->dropped = 1;
	kt_fake_conn_drop(c);
}

int
kt_h_alive(kt_h_t *h, const kt_conn_t *c)
{
	return track_find(h, c) != NULL;
}

unsigned
kt_h_inflight(const kt_conn_t *c)
{
	return kt_session_inflight(kt_session_of(c));
}

uint64_t
kt_h_user_of(const kt_conn_t *c)
{
	return kt_session_user(kt_session_of(c), kt_now_s());
}

/* ---- requests ------------------------------------------------------------------- */

void
kt_h_send_raw(kt_h_t *h, kt_conn_t *c, const uint8_t *p, size_t len)
{
	if (!kt_conn_open(c))
		fail_msg("kt_h_send: the connection is closing; the net would "
		    "not hand a message of it to the dispatcher");
	/* As net.c's reader: the connection is held while a message of it
	 * is handled. */
	kt_conn_ref(c);
	kt_dispatch_message(h->srv, c, p, len);
	kt_conn_unref(c);
}

uint64_t
kt_h_send(kt_h_t *h, kt_conn_t *c, Kartoteka__Request *req)
{
	size_t len;
	uint8_t *buf;

	if (req->id == 0)
		req->id = ++h->p->next_id;
	len = kartoteka__request__get_packed_size(req);
	buf = malloc(len ? len : 1);
	assert_non_null(buf);
	kartoteka__request__pack(req, buf);
	kt_h_send_raw(h, c, buf, len);
	sodium_memzero(buf, len);
	free(buf);
	return req->id;
}

static void
tick_noop(uv_timer_t *t)
{
	(void)t;
}

void
kt_h_run_until(kt_h_t *h, int (*done)(void *arg), void *arg)
{
	uint64_t start = uv_hrtime();

	/* The timer only makes sure uv_run returns now and then, so the
	 * bound below is checked even when nothing else happens. */
	uv_timer_start(&h->p->tick, tick_noop, 20, 20);
	while (!done(arg)) {
		if ((uv_hrtime() - start) / 1000000u > KT_H_WAIT_MS) {
			uv_timer_stop(&h->p->tick);
			fail_msg("waited %u ms for the server and gave up",
			    KT_H_WAIT_MS);
		}
		uv_run(&h->loop, UV_RUN_ONCE);
	}
	uv_timer_stop(&h->p->tick);
}

typedef struct wait_job {
	kt_h_t *h;
	kt_conn_t *c;
	size_t n;
} wait_job_t;

static int
wait_finished(void *arg)
{
	wait_job_t *w = arg;

	if (!kt_h_alive(w->h, w->c))
		fail_msg("kt_h_wait: the connection was freed while waiting");
	return kt_fake_conn_nsent(w->c) >= w->n;
}

void
kt_h_wait(kt_h_t *h, kt_conn_t *c, size_t n)
{
	wait_job_t w = { h, c, n };

	kt_h_run_until(h, wait_finished, &w);
}

static int
settled(void *arg)
{
	kt_h_t *h = arg;

	for (size_t i = 0; i < h->p->nconns; i++) {
		tracked_t *t = &h->p->conns[i];
		if (!t->gone && kt_session_of(t->c) != NULL &&
		    kt_h_inflight(t->c) > 0)
			return 0;
	}
	return 1;
}

void
kt_h_settle(kt_h_t *h)
{
	kt_h_run_until(h, settled, h);
}

void
kt_h_poll(kt_h_t *h)
{
	uv_run(&h->loop, UV_RUN_NOWAIT);
}

Kartoteka__Response *
kt_h_answer(kt_h_t *h, kt_conn_t *c, size_t i)
{
	struct kt_h_priv *p = h->p;
	const uint8_t *b;
	size_t len = 0;
	Kartoteka__Response *r;

	if ((b = kt_fake_conn_sent(c, i, &len)) == NULL)
		fail_msg("no answer %zu on the connection (it has %zu)", i,
		    kt_fake_conn_nsent(c));
	if ((r = kartoteka__response__unpack(NULL, len, b)) == NULL)
		fail_msg("answer %zu (%zu bytes) is not a Response", i, len);
	if (p->nresp == p->capresp) {
		p->capresp = p->capresp ? p->capresp * 2 : 16;
		p->resp = realloc(p->resp, p->capresp * sizeof(*p->resp));
		assert_non_null(p->resp);
	}
	p->resp[p->nresp++] = r;
	return r;
}

Kartoteka__Response *
kt_h_last(kt_h_t *h, kt_conn_t *c)
{
	size_t n = kt_fake_conn_nsent(c);

	if (n == 0)
		fail_msg("no answer on the connection");
	return kt_h_answer(h, c, n - 1);
}

Kartoteka__Response *
kt_h_call(kt_h_t *h, kt_conn_t *c, Kartoteka__Request *req)
{
	size_t n = kt_fake_conn_nsent(c);
	uint64_t id = kt_h_send(h, c, req);
	Kartoteka__Response *r;

	kt_h_wait(h, c, n + 1);
	r = kt_h_answer(h, c, n);
	if (r->id != id)
		fail_msg("answer for request %" PRIu64 ", expected %" PRIu64,
		    r->id, id);
	return r;
}

uint64_t
kt_h_client_add(kt_h_t *h, kt_conn_t *c, Kartoteka__Client *card)
{
	Kartoteka__Request q = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientAddRequest add = KARTOTEKA__CLIENT_ADD_REQUEST__INIT;
	Kartoteka__Response *r;

	add.client = card;
	q.op_case = KARTOTEKA__REQUEST__OP_CLIENT_ADD;
	q.client_add = &add;
	r = kt_h_call(h, c, &q);
	kt_h_expect_ok(r);
	return r->client->client->id;
}

uint64_t
kt_h_client_titled(kt_h_t *h, kt_conn_t *c, const char *title)
{
	Kartoteka__Client card = KARTOTEKA__CLIENT__INIT;

	card.title = (char *)title;
	return kt_h_client_add(h, c, &card);
}

void
kt_h_expect_error(const Kartoteka__Response *resp, uint32_t code,
    const char *msg)
{
	if (resp->error == NULL || resp->error->code == 0) {
		fail_msg("expected error %u (%s), got a success", code,
		    msg ? msg : "any message");
		return; /* not reached: fail_msg jumps out of the test */
	}
	if ((uint32_t)resp->error->code != code)
		fail_msg("expected error %u, got %u \"%s\"", code,
		    (unsigned)resp->error->code, resp->error->message);
	if (msg != NULL && strcmp(resp->error->message, msg) != 0)
		fail_msg("error %u: expected \"%s\", got \"%s\"", code, msg,
		    resp->error->message);
}

void
kt_h_expect_ok(const Kartoteka__Response *resp)
{
	if (resp->error != NULL && resp->error->code != 0)
		fail_msg("expected a success, got error %u \"%s\"",
		    (unsigned)resp->error->code, resp->error->message);
}

/* ---- the audit ---------------------------------------------------------------------- */

typedef struct tail_job {
	kt_h_entry_t e;
	int got;
} tail_job_t;

static int
take_first(const Ktstore__AuditEntry *e, void *arg)
{
	tail_job_t *t = arg;

	if (t->got)
		return 0;
	t->got = 1;
	t->e.seq = e->seq;
	t->e.user = e->user_id;
	snprintf(t->e.action, sizeof(t->e.action), "%s", e->action);
	snprintf(t->e.object, sizeof(t->e.object), "%s", e->object);
	t->e.outcome = e->outcome;
	snprintf(t->e.detail, sizeof(t->e.detail), "%s", e->detail);
	t->e.has_terminal = e->terminal_key.len == 32;
	return 0;
}

uint64_t
kt_h_audit_count(kt_h_t *h)
{
	tail_job_t t = { 0 };

	assert_int_equal(kt_audit_tail(h->srv->store, 1, take_first, &t), 0);
	return t.got ? t.e.seq : 0;
}

kt_h_entry_t
kt_h_audit_last(kt_h_t *h)
{
	tail_job_t t = { 0 };

	assert_int_equal(kt_audit_tail(h->srv->store, 1, take_first, &t), 0);
	if (!t.got)
		fail_msg("the audit log is empty");
	return t.e;
}

kt_h_entry_t
kt_h_audit_at(kt_h_t *h, uint64_t seq)
{
	uint64_t n = kt_h_audit_count(h);
	tail_job_t t = { 0 };

	if (seq == 0 || seq > n)
		fail_msg("no audit entry %" PRIu64 " (there are %" PRIu64 ")",
		    seq, n);
	assert_int_equal(kt_audit_tail(h->srv->store, (size_t)(n - seq + 1),
	    take_first, &t), 0);
	assert_true(t.got && t.e.seq == seq);
	return t.e;
}

static void
watch_send(kt_conn_t *c, const uint8_t *plain, size_t len, void *arg)
{
	kt_h_t *h = arg;
	tracked_t *t = track_find(h, c);
	size_t i = kt_fake_conn_nsent(c) - 1;   /* this one is recorded */

	(void)plain;
	(void)len;
	if (t == NULL)
		return;
	if (i >= t->nseen) {
		size_t n = (i + 1) * 2;
		t->seen = realloc(t->seen, n * sizeof(*t->seen));
		t->seen_ok = realloc(t->seen_ok, n);
		assert_non_null(t->seen);
		assert_non_null(t->seen_ok);
		memset(t->seen_ok + t->nseen, 0, n - t->nseen);
		t->nseen = n;
	}
	t->seen[i] = kt_h_audit_last(h);
	t->seen_ok[i] = 1;
}

void
kt_h_watch_audit(kt_h_t *h, kt_conn_t *c)
{
	assert_non_null(track_find(h, c));
	kt_fake_conn_on_send(c, watch_send, h);
}

kt_h_entry_t
kt_h_audit_when_sent(kt_h_t *h, kt_conn_t *c, size_t i)
{
	tracked_t *t = track_find(h, c);

	assert_non_null(t);
	if (i >= t->nseen || !t->seen_ok[i])
		fail_msg("answer %zu was not sent while its connection was "
		    "watched (kt_h_watch_audit)", i);
	return t->seen[i];
}

/* ---- the gate ------------------------------------------------------------------------ */

static int
gate_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	kt_h_t *h = arg;

	(void)st;
	(void)txn;
	/* A mutation may run again (map growth): hold only once. */
	if (h->p->gate_passed)
		return 0;
	h->p->gate_passed = 1;
	sem_post(&h->p->entered);
	sem_wait(&h->p->gate);
	return 0;
}

static void
gate_done(int status, void *arg)
{
	kt_h_t *h = arg;

	(void)status;
	h->p->gate_done = 1;
}

void
kt_h_gate_hold(kt_h_t *h)
{
	assert_false(h->p->gate_held);
	h->p->gate_done = 0;
	h->p->gate_passed = 0;
	assert_int_equal(kt_writer_submit(h->srv->writer, gate_mut, gate_done,
	    h), 0);
	sem_wait(&h->p->entered);
	h->p->gate_held = 1;
}

void
kt_h_gate_release(kt_h_t *h)
{
	assert_true(h->p->gate_held);
	h->p->gate_held = 0;
	sem_post(&h->p->gate);
	kt_h_run_until(h, gate_finished, h);
}

typedef struct alerts_seen {
	unsigned kind, n;
	kt_h_alert_t last;
} alerts_seen_t;

static int
alert_seen(const Ktstore__AlertRecord *rec, void *arg)
{
	alerts_seen_t *a = arg;

	assert_null(strstr(rec->detail, "+7"));
	if (rec->kind != a->kind)
		return 0;
	if (a->n++ == 0) {      /* newest first */
		a->last.id = rec->id;
		a->last.user = rec->user_id;
		a->last.client = rec->client_id;
		a->last.other = rec->other_id;
		a->last.count = rec->count;
		a->last.limit = rec->limit;
	}
	return 0;
}

unsigned
kt_h_alerts(kt_h_t *h, unsigned kind, kt_h_alert_t *last)
{
	alerts_seen_t a = { .kind = kind };
	MDB_txn *txn;

	kt_h_settle(h);
	assert_int_equal(kt_store_read_begin(h->srv->store, &txn), 0);
	assert_int_equal(kt_alert_each(txn, kt_store_dbs(h->srv->store), 0, 1,
	    0, alert_seen, &a, NULL), 0);
	kt_store_read_end(h->srv->store, txn);
	if (last != NULL)
		*last = a.last;
	return a.n;
}

int
kt_h_stream_ended(void *conn)
{
	kt_conn_t *c = conn;
	size_t n = kt_fake_conn_nsent(c), len;
	const uint8_t *p;
	Kartoteka__Response *resp;
	int done;

	if (n == 0)
		return 0;
	p = kt_fake_conn_sent(c, n - 1, &len);
	resp = kartoteka__response__unpack(NULL, len, p);
	assert_non_null(resp);
	done = !resp->more;
	kartoteka__response__free_unpacked(resp, NULL);
	return done;
}

int
kt_h_stream_ended_after(void *after)
{
	kt_h_after_t *a = after;

	return kt_fake_conn_nsent(a->c) > a->from && kt_h_stream_ended(a->c);
}
