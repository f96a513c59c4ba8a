/* SPDX-License-Identifier: MIT */
/* Session records and failed-login counts (session_store.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "kt_error.h"
#include "model/session_store.h"
#include "records.pb-c.h"

int
kt_session_rec_put(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32], uint64_t user,
    const uint8_t terminal_key[static 32], int64_t now, int64_t expires)
{
	return kt_session_rec_put_idle(txn, db, token_hash, user,
	    terminal_key, now, expires, 0);
}

int
kt_session_rec_put_idle(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32], uint64_t user,
    const uint8_t terminal_key[static 32], int64_t now, int64_t expires,
    int64_t idle_s)
{
	Ktstore__SessionRecord s = KTSTORE__SESSION_RECORD__INIT;

	s.user_id = user;
	s.terminal_key.data = (uint8_t *)terminal_key;
	s.terminal_key.len = 32;
	s.created_at = now;
	s.expires_at = expires;
	s.last_used = now;
	s.idle_s = idle_s;
	return kt_store_put_record(txn, db->sessions, token_hash, 32, &s.base,
	    MDB_NOOVERWRITE);
}

/* The last use of s: records older than idle times only have their
 * creation. */
static int64_t
last_use(const Ktstore__SessionRecord *s)
{
	return s->last_used > s->created_at ? s->last_used : s->created_at;
}

int
kt_session_rec_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32],
    const uint8_t terminal_key[static 32], int64_t now, uint64_t *user,
    int64_t *expires)
{
	kt_session_info_t info;
	int rc = kt_session_rec_alive(txn, db, token_hash, terminal_key, now,
	    0, &info);

	*user = info.user;
	*expires = info.expires;
	return rc;
}

int
kt_session_rec_alive(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32],
    const uint8_t terminal_key[static 32], int64_t now, int64_t used_at,
    kt_session_info_t *info)
{
	Ktstore__SessionRecord *s = NULL;
	int rc;

	memset(info, 0, sizeof(*info));
	rc = kt_store_get_record(txn, db->sessions, token_hash, 32,
	    &ktstore__session_record__descriptor, (ProtobufCMessage **)&s);
	if (rc != 0)
		return rc;
	info->user = s->user_id;
	info->expires = s->expires_at;
	info->idle_s = s->idle_s > 0 ? s->idle_s : 0;
	info->last_used = last_use(s) > used_at ? last_use(s) : used_at;
	if (s->expires_at <= now) {
		rc = KT_EEXPIRED;
	} else if (info->idle_s > 0 && now - info->last_used >= info->idle_s) {
		info->idle = 1;
		rc = KT_EEXPIRED;
	} else if (s->terminal_key.len != 32 ||
	    sodium_memcmp(s->terminal_key.data, terminal_key, 32) != 0) {
		rc = KT_EPERM;
	}
	protobuf_c_message_free_unpacked(&s->base, NULL);
	return rc;
}

int
kt_session_rec_touch(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32], int64_t now)
{
	Ktstore__SessionRecord *s = NULL;
	int rc;

	rc = kt_store_get_record(txn, db->sessions, token_hash, 32,
	    &ktstore__session_record__descriptor, (ProtobufCMessage **)&s);
	if (rc != 0)
		return rc;
	if (s->last_used < now) {
		s->last_used = now;
		rc = kt_store_put_record(txn, db->sessions, token_hash, 32,
		    &s->base, 0);
	}
	protobuf_c_message_free_unpacked(&s->base, NULL);
	return rc;
}

int
kt_session_rec_mark_two_addrs(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32], int *first)
{
	Ktstore__SessionRecord *s = NULL;
	int rc;

	*first = 0;
	rc = kt_store_get_record(txn, db->sessions, token_hash, 32,
	    &ktstore__session_record__descriptor, (ProtobufCMessage **)&s);
	if (rc != 0)
		return rc;
	if (!s->two_addrs_alerted) {
		s->two_addrs_alerted = 1;
		*first = 1;
		rc = kt_store_put_record(txn, db->sessions, token_hash, 32,
		    &s->base, 0);
	}
	protobuf_c_message_free_unpacked(&s->base, NULL);
	return rc;
}

int
kt_session_rec_del(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32])
{
	MDB_val k = { 32, (void *)token_hash };
	int rc = mdb_del(txn, db->sessions, &k, NULL);

	return rc == MDB_NOTFOUND ? 0 : kt_store_err(rc);
}

/* Deletes every session for which mine(s, arg) holds; *ended counts them.
 * seen(s, arg), when not NULL, is shown each one before it goes. */
static int
end_where(MDB_txn *txn, const kt_store_dbs_t *db,
    int (*mine)(const Ktstore__SessionRecord *s, void *arg),
    void (*seen)(const Ktstore__SessionRecord *s, void *arg), void *arg,
    size_t *ended)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc;

	*ended = 0;
	if ((rc = mdb_cursor_open(txn, db->sessions, &cur)) != 0)
		return kt_store_err(rc);
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		Ktstore__SessionRecord *s = ktstore__session_record__unpack(
		    NULL, v.mv_size, v.mv_data);
		int yes = s != NULL && mine(s, arg);

		if (yes && seen != NULL)
			seen(s, arg);
		if (s != NULL)
			ktstore__session_record__free_unpacked(s, NULL);
		if (!yes)
			continue;
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		(*ended)++;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : kt_store_err(rc);
}

static int
of_user(const Ktstore__SessionRecord *s, void *arg)
{
	return s->user_id == *(const uint64_t *)arg;
}

int
kt_sessions_end_user(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t user,
    size_t *ended)
{
	return end_where(txn, db, of_user, NULL, &user, ended);
}

typedef struct of_term {
	const uint8_t *key;
	int64_t now;
	int64_t best_use;                 /* of the alive ones seen */
	uint64_t user;
} of_term_t;

static int
of_terminal(const Ktstore__SessionRecord *s, void *arg)
{
	const of_term_t *t = arg;

	return s->terminal_key.len == 32 &&
	    sodium_memcmp(s->terminal_key.data, t->key, 32) == 0;
}

static void
terminal_seen(const Ktstore__SessionRecord *s, void *arg)
{
	of_term_t *t = arg;
	int alive = s->expires_at > t->now && (s->idle_s <= 0 ||
	    t->now - last_use(s) < s->idle_s);

	if (alive && (t->user == 0 || last_use(s) >= t->best_use)) {
		t->user = s->user_id;
		t->best_use = last_use(s);
	}
}

int
kt_sessions_end_terminal(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t terminal_key[static 32], int64_t now, size_t *ended,
    uint64_t *user)
{
	of_term_t t = { .key = terminal_key, .now = now };
	int rc = end_where(txn, db, of_terminal, terminal_seen, &t, ended);

	*user = rc == 0 ? t.user : 0;
	return rc;
}

/* ---- failed logins --------------------------------------------------------- */

size_t
kt_login_failure_key(uint8_t out[static KT_LOGIN_FAILURE_KEY_MAX],
    const char *login, const uint8_t terminal_key[static 32])
{
	size_t n = strnlen(login, KT_LOGIN_FAILURE_KEY_MAX - 32);

	memcpy(out, login, n);
	memcpy(out + n, terminal_key, 32);
	return n + 32;
}

int
kt_login_failure_get(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *login, const uint8_t terminal_key[static 32],
    Ktstore__LoginFailureRecord **out)
{
	uint8_t key[KT_LOGIN_FAILURE_KEY_MAX];
	size_t n = kt_login_failure_key(key, login, terminal_key);

	*out = NULL;
	return kt_store_get_record(txn, db->login_failures, key, n,
	    &ktstore__login_failure_record__descriptor,
	    (ProtobufCMessage **)out);
}

int
kt_login_failure_put(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *login, const uint8_t terminal_key[static 32],
    const Ktstore__LoginFailureRecord *f)
{
	uint8_t key[KT_LOGIN_FAILURE_KEY_MAX];
	size_t n = kt_login_failure_key(key, login, terminal_key);

	return kt_store_put_record(txn, db->login_failures, key, n,
	    (ProtobufCMessage *)&f->base, 0);
}

int
kt_login_failure_del(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *login, const uint8_t terminal_key[static 32])
{
	uint8_t key[KT_LOGIN_FAILURE_KEY_MAX];
	MDB_val k = { kt_login_failure_key(key, login, terminal_key), key };
	int rc = mdb_del(txn, db->login_failures, &k, NULL);

	return rc == MDB_NOTFOUND ? 0 : kt_store_err(rc);
}

uint32_t
kt_login_failures_now(const Ktstore__LoginFailureRecord *f, int64_t now)
{
	if (f == NULL)
		return 0;
	if (f->locked_until != 0 && f->locked_until <= now)
		return 0;
	if (now - f->last_failure > KT_LOGIN_FAILURE_MEMORY_S)
		return 0;
	return f->failures;
}

/* Calls fn on every row of login (one per terminal, and the older
 * login-only row) with the cursor on it, until fn returns non-zero
 * (returned) or the rows end (0). A row of another login that shares the
 * prefix ("anna" and "annabel") is told apart by its length. */
static int
each_row(MDB_txn *txn, const kt_store_dbs_t *db, const char *login,
    int (*fn)(MDB_cursor *cur, const MDB_val *v, void *arg), void *arg)
{
	size_t n = strlen(login);
	MDB_cursor *cur = NULL;
	MDB_val k = { n, (void *)login }, v;
	int rc, mrc;

	if ((rc = mdb_cursor_open(txn, db->login_failures, &cur)) != 0)
		return kt_store_err(rc);
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	    mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < n || memcmp(k.mv_data, login, n) != 0)
			break;
		if (k.mv_size != n && k.mv_size != n + 32)
			continue;
		if ((rc = fn(cur, &v, arg)) != 0)
			goto out;
	}
	rc = mrc == 0 || mrc == MDB_NOTFOUND ? 0 : kt_store_err(mrc);
out:
	mdb_cursor_close(cur);
	return rc;
}

typedef struct spread {
	int64_t now;
	unsigned terminals;
	uint32_t failures;
	size_t cleared, locked;
} spread_t;

static int
spread_row(MDB_cursor *cur, const MDB_val *v, void *arg)
{
	spread_t *s = arg;
	Ktstore__LoginFailureRecord *f =
	    ktstore__login_failure_record__unpack(NULL, v->mv_size,
	    v->mv_data);
	uint32_t n = kt_login_failures_now(f, s->now);

	(void)cur;
	if (f != NULL)
		ktstore__login_failure_record__free_unpacked(f, NULL);
	if (n > 0) {
		s->terminals++;
		s->failures += n;
	}
	return 0;
}

int
kt_login_failures_spread(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *login, int64_t now, unsigned *terminals, uint32_t *failures)
{
	spread_t s = { .now = now };
	int rc = each_row(txn, db, login, spread_row, &s);

	if (terminals != NULL)
		*terminals = rc == 0 ? s.terminals : 0;
	if (failures != NULL)
		*failures = rc == 0 ? s.failures : 0;
	return rc;
}

static int
unlock_row(MDB_cursor *cur, const MDB_val *v, void *arg)
{
	spread_t *s = arg;
	Ktstore__LoginFailureRecord *f =
	    ktstore__login_failure_record__unpack(NULL, v->mv_size,
	    v->mv_data);

	if (f != NULL && f->locked_until > s->now)
		s->locked++;
	if (f != NULL)
		ktstore__login_failure_record__free_unpacked(f, NULL);
	s->cleared++;
	return kt_store_err(mdb_cursor_del(cur, 0));
}

int
kt_login_unlock(MDB_txn *txn, const kt_store_dbs_t *db, const char *login,
    int64_t now, size_t *cleared, size_t *locked)
{
	spread_t s = { .now = now };
	int rc = each_row(txn, db, login, unlock_row, &s);

	*cleared = rc == 0 ? s.cleared : 0;
	*locked = rc == 0 ? s.locked : 0;
	return rc;
}

int
kt_login_unlock_user(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const char *login, uint64_t user, int64_t now)
{
	char object[32], detail[96];
	size_t cleared = 0, locked = 0;
	int rc;

	if ((rc = kt_login_unlock(txn, kt_store_dbs(st), login, now, &cleared,
	    &locked)) != 0)
		return rc;
	snprintf(object, sizeof(object), "user:%" PRIu64, user);
	snprintf(detail, sizeof(detail), "%zu terminal%s cleared, %zu of "
	    "them locked", cleared, cleared == 1 ? "" : "s", locked);
	return kt_audit_record(st, txn, actor, KT_AUDIT_USER_UNLOCK, object, 0,
	    detail);
}
