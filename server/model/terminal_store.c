/* SPDX-License-Identifier: MIT */
/* Terminal and invite records, enrolment, revocation and the terminals
 * generation (terminal_store.h). */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "catalog.h"
#include "kartoteka.pb-c.h"
#include "kt_error.h"
#include "model/branch_store.h"
#include "model/identity.h"
#include "model/terminal_store.h"

static const char gen_key[] = "terminals_gen";

void
kt_terminal_object(char out[static 48], const uint8_t key[static 32])
{
	memcpy(out, "terminal:", 9);
	kt_hex(out + 9, key, 8);
}

int
kt_terminal_get(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t key[static 32], Ktstore__TerminalRecord **rec)
{
	return kt_store_get_record(txn, db->terminals, key, 32,
	    &ktstore__terminal_record__descriptor, (ProtobufCMessage **)rec);
}

int
kt_terminal_find(MDB_txn *txn, const kt_store_dbs_t *db, const char *which,
    uint8_t key[static 32], kt_verdict_t *v)
{
	MDB_cursor *cur = NULL;
	MDB_val k, val;
	size_t wlen = which != NULL ? strlen(which) : 0, matches = 0;
	size_t active = 0;
	uint8_t first[32], first_active[32];
	char lower[65];
	int is_hex = wlen >= 8 && wlen <= 64, rc;

	kt_verdict_ok(v);
	if (wlen == 0) {
		kt_verdict_set(v, KARTOTEKA__ERROR__CODE__BAD_REQUEST,
		    "terminal: give its name or at least 8 hex digits of its "
		    "key");
		return 0;
	}
	/* Hex digits in either case ("ABCDEF01" as printed elsewhere). */
	for (size_t i = 0; i < wlen && is_hex; i++) {
		lower[i] = (char)tolower((unsigned char)which[i]);
		is_hex = strchr("0123456789abcdef", lower[i]) != NULL;
	}
	lower[is_hex ? wlen : 0] = '\0';
	if ((rc = mdb_cursor_open(txn, db->terminals, &cur)) != 0)
		return kt_store_err(rc);
	while ((rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) == 0) {
		Ktstore__TerminalRecord *t;
		char hex[65];
		int hit;

		if (k.mv_size != 32)
			continue;
		t = ktstore__terminal_record__unpack(NULL, val.mv_size,
		    val.mv_data);
		if (t == NULL)
			continue;
		kt_hex(hex, k.mv_data, 32);
		hit = strcmp(t->name, which) == 0 ||
		    (is_hex && strncmp(hex, lower, wlen) == 0);
		if (hit) {
			if (matches++ == 0)
				memcpy(first, k.mv_data, 32);
			if (!t->revoked && active++ == 0)
				memcpy(first_active, k.mv_data, 32);
		}
		ktstore__terminal_record__free_unpacked(t, NULL);
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return kt_store_err(rc);
	if (matches == 0)
		kt_verdict_set(v, KT_CODE_NOT_FOUND,
		    "no terminal named or keyed "
		    "'%s' (see `kartoteka terminal list`)", which);
	else if (matches > 1 && active != 1)
		kt_verdict_set(v, KT_CODE_CONFLICT,
		    "'%s' matches %zu terminals: give "
		    "more of the key", which, matches);
	else
		memcpy(key, matches == 1 ? first : first_active, 32);
	return 0;
}

int
kt_terminal_revoke_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *which, uint8_t key[static 32], kt_verdict_t *v)
{
	Ktstore__TerminalRecord *t = NULL;
	int rc;

	if ((rc = kt_terminal_find(txn, db, which, key, v)) != 0 ||
	    !kt_verdict_is_ok(v))
		return rc;
	if ((rc = kt_terminal_get(txn, db, key, &t)) != 0)
		return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
	if (t->revoked)
		kt_verdict_set(v, KT_CODE_CONFLICT,
		    "terminal '%s' is already revoked",
		    t->name);
	protobuf_c_message_free_unpacked(&t->base, NULL);
	return 0;
}

int
kt_terminal_revoke(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    const char *which, int64_t now, uint8_t key[static 32], kt_verdict_t *v)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__TerminalRecord *t = NULL;
	char object[48], detail[160];
	int rc;

	if ((rc = kt_terminal_revoke_check(txn, db, which, key, v)) != 0 ||
	    !kt_verdict_is_ok(v))
		return rc;
	if ((rc = kt_terminal_get(txn, db, key, &t)) != 0)
		return rc == KT_ENOTFOUND ? KT_ESTORE : rc;
	t->revoked = 1;
	t->revoked_at = now;
	rc = kt_store_put_record(txn, db->terminals, key, 32, &t->base, 0);
	snprintf(detail, sizeof(detail), "name=%s branch=%" PRIu64, t->name,
	    t->branch);
	protobuf_c_message_free_unpacked(&t->base, NULL);
	if (rc != 0 || (rc = kt_terminals_gen_bump(txn, db)) != 0)
		return rc;
	kt_terminal_object(object, key);
	return kt_audit_record(st, txn, actor, KT_AUDIT_TERMINAL_REVOKE, object,
	    0, detail);
}

int
kt_invite_put(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    uint64_t branch, const char *branch_name, const uint8_t token[static 32],
    int64_t now, int64_t ttl_s)
{
	Ktstore__InviteRecord rec = KTSTORE__INVITE_RECORD__INIT;
	uint8_t hash[32];
	char object[48], detail[200];
	int rc;

	crypto_generichash(hash, sizeof(hash), token, 32, NULL, 0);
	rec.branch = branch;
	rec.created_at = now;
	rec.expires_at = now + ttl_s;
	rc = kt_store_put_record(txn, kt_store_dbs(st)->invites, hash,
	    sizeof(hash), &rec.base, MDB_NOOVERWRITE);
	/* The audit names the invite by a prefix of its hash, never the
	 * token itself. */
	memcpy(object, "invite:", 7);
	kt_hex(object + 7, hash, 8);
	sodium_memzero(hash, sizeof(hash));
	if (rc != 0)
		return rc;
	if (branch != 0)
		snprintf(detail, sizeof(detail), "branch=%" PRIu64 " name=%s",
		    branch, branch_name != NULL ? branch_name : "");
	else
		snprintf(detail, sizeof(detail), "owner terminal");
	return kt_audit_record(st, txn, actor, KT_AUDIT_TERMINAL_INVITE, object,
	    0, detail);
}

int
kt_terminal_enroll(kt_store_t *st, MDB_txn *txn,
    const uint8_t term_key[static 32], const uint8_t token_hash[static 32],
    const char *name, int64_t now, const uint8_t *sign_sk, uint64_t *branch,
    kt_verdict_t *v)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	Ktstore__InviteRecord *inv = NULL;
	Ktstore__TerminalRecord *old = NULL;
	Ktstore__TerminalRecord term = KTSTORE__TERMINAL_RECORD__INIT;
	kt_actor_t actor = { 0, term_key, sign_sk };
	char object[48], detail[160];
	int rc;

	kt_verdict_ok(v);
	*branch = 0;
	rc = kt_store_get_record(txn, db->invites, token_hash, 32,
	    &ktstore__invite_record__descriptor, (ProtobufCMessage **)&inv);
	if (rc == KT_ENOTFOUND)
		kt_verdict_set(v, KT_CODE_UNAUTH,
		    "invite code is not valid: check "
		    "it, or ask the owner for a new one");
	else if (rc != 0)
		goto out;
	else if (inv->used)
		kt_verdict_set(v, KT_CODE_UNAUTH,
		    "invite code was already used: ask "
		    "the owner for a new one");
	else if (inv->expires_at <= now)
		kt_verdict_set(v, KT_CODE_UNAUTH,
		    "invite code has expired: ask the "
		    "owner for a new one");
	if (kt_verdict_is_ok(v) && inv->branch != 0) {
		Ktstore__BranchRecord *b = NULL;
		rc = kt_branch_get(txn, db, inv->branch, &b);
		if (rc == 0 && b->archived)
			kt_verdict_set(v, KT_CODE_FORBIDDEN,
			    "the branch of this invite "
			    "is archived: ask the owner for a new one");
		if (b != NULL)
			protobuf_c_message_free_unpacked(&b->base, NULL);
		if (rc != 0 && rc != KT_ENOTFOUND)
			goto out;
	}
	if (kt_verdict_is_ok(v)) {
		rc = kt_terminal_get(txn, db, term_key, &old);
		if (rc == 0)
			kt_verdict_set(v, old->revoked ? KT_CODE_FORBIDDEN :
			    KT_CODE_CONFLICT, "%s", old->revoked ?
			    KT_MSG("this terminal key was revoked") :
			    KT_MSG("this terminal is already enrolled"));
		else if (rc != KT_ENOTFOUND)
			goto out;
	}
	kt_terminal_object(object, term_key);
	if (!kt_verdict_is_ok(v)) {
		rc = kt_audit_record(st, txn, &actor, KT_AUDIT_ENROLL_FAILED,
		    object, v->code, v->msg);
		goto out;
	}
	{
		ProtobufCBinaryData unpacked = inv->used_by;
		inv->used = 1;
		inv->used_by.data = (uint8_t *)term_key;
		inv->used_by.len = 32;
		rc = kt_store_put_record(txn, db->invites, token_hash, 32,
		    &inv->base, 0);
		inv->used_by = unpacked; /* the unpacked buffer is freed below */
	}
	if (rc != 0)
		goto out;
	term.public_key.data = (uint8_t *)term_key;
	term.public_key.len = 32;
	term.name = (char *)name;
	term.branch = inv->branch;
	term.enrolled_at = now;
	if ((rc = kt_store_put_record(txn, db->terminals, term_key, 32,
	    &term.base, MDB_NOOVERWRITE)) != 0)
		goto out;
	*branch = inv->branch;
	snprintf(detail, sizeof(detail), "name=%s branch=%" PRIu64, name,
	    inv->branch);
	rc = kt_audit_record(st, txn, &actor, KT_AUDIT_ENROLL, object, 0,
	    detail);
out:
	if (inv)
		protobuf_c_message_free_unpacked(&inv->base, NULL);
	if (old)
		protobuf_c_message_free_unpacked(&old->base, NULL);
	return rc;
}

static const char advertise_key[] = "advertise";

void
kt_invite_advertise(MDB_txn *txn, const kt_store_dbs_t *db, char *out,
    size_t cap)
{
	MDB_val k = { sizeof(advertise_key) - 1, (void *)advertise_key }, v;

	snprintf(out, cap, "%s", KT_INVITE_ADVERTISE_DEFAULT);
	if (mdb_get(txn, db->meta, &k, &v) == 0 && v.mv_size < cap) {
		memcpy(out, v.mv_data, v.mv_size);
		out[v.mv_size] = '\0';
	}
}

int
kt_invite_set_advertise(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *address)
{
	MDB_val k = { sizeof(advertise_key) - 1, (void *)advertise_key };
	MDB_val v = { strlen(address), (void *)address };

	return kt_store_err(mdb_put(txn, db->meta, &k, &v, 0));
}

uint64_t
kt_terminals_gen(MDB_txn *txn, const kt_store_dbs_t *db)
{
	MDB_val k = { sizeof(gen_key) - 1, (void *)gen_key }, v;

	if (mdb_get(txn, db->meta, &k, &v) != 0 || v.mv_size != 8)
		return 0;
	return kt_store_get_be64(v.mv_data);
}

int
kt_terminals_gen_bump(MDB_txn *txn, const kt_store_dbs_t *db)
{
	MDB_val k = { sizeof(gen_key) - 1, (void *)gen_key };
	uint8_t buf[8];
	MDB_val v = { sizeof(buf), buf };

	kt_store_be64(buf, kt_terminals_gen(txn, db) + 1);
	return kt_store_err(mdb_put(txn, db->meta, &k, &v, 0));
}
