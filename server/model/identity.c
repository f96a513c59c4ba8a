/* SPDX-License-Identifier: MIT */
/* Server identities: key files, login and password rules, password
 * hashing, invites, and the terminal generation counter. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "model/audit.h"
#include "keyfile.h"
#include "kt_error.h"
#include "records.pb-c.h"
#include "server.h"

int64_t
kt_now_s(void)
{
	return (int64_t)time(NULL);
}

int64_t
kt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
kt_hex(char *out, const uint8_t *in, size_t n)
{
	sodium_bin2hex(out, 2 * n + 1, in, n);
}

int
kt_identity_load_keys(const char *dir, uint8_t static_priv[static 32],
    uint8_t static_pub[static 32], uint8_t sign_sk[static 64],
    uint8_t sign_pk[static 32])
{
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, KT_SERVER_KEY_FILE);
	rc = kt_keyfile_read(path, static_priv, 32);
	if (rc != 0)
		goto out;
	rc = kt_x25519_public(static_pub, static_priv);
	if (rc != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", dir, KT_SIGN_KEY_FILE);
	rc = kt_keyfile_read(path, sign_sk, 64);
	if (rc != 0)
		goto out;
	/* An Ed25519 secret key is seed || public key: check that the two
	 * halves belong together, or checkpoints would quietly never
	 * verify. */
	{
		uint8_t pk[32], sk[64];
		int bad = crypto_sign_seed_keypair(pk, sk, sign_sk) != 0 ||
		    sodium_memcmp(pk, sign_sk + 32, 32) != 0;
		sodium_memzero(sk, sizeof(sk));
		if (bad) {
			rc = KT_EINVAL;
			goto out;
		}
		memcpy(sign_pk, pk, 32);
	}
out:
	if (rc != 0) {
		sodium_memzero(static_priv, 32);
		sodium_memzero(sign_sk, 64);
	}
	return rc;
}

const char *
kt_identity_login_problem(const char *login)
{
	size_t n = strlen(login);

	if (n == 0)
		return "login is empty";
	if (n > 64)
		return "login is longer than 64 characters";
	if (!(login[0] >= 'a' && login[0] <= 'z'))
		return "login must start with a lowercase latin letter";
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)login[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '.' || ch == '_' || ch == '-'))
			return "login may contain only a-z, 0-9, '.', '_' and '-'";
	}
	return NULL;
}

const char *
kt_identity_password_problem(const char *password)
{
	size_t n = strlen(password);

	if (n < 8)
		return "password is shorter than 8 characters";
	if (n > 1024)
		return "password is longer than 1024 bytes";
	return NULL;
}

int
kt_identity_hash_password(char out[static crypto_pwhash_STRBYTES],
    const char *password)
{
	if (crypto_pwhash_str(out, password, strlen(password),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return KT_ENOMEM;
	return 0;
}

int
kt_identity_audit(kt_store_t *st, MDB_txn *txn, const kt_audit_event_t *ev,
    const uint8_t *sign_sk)
{
	return kt_audit_append(st, txn, ev, sign_sk, NULL);
}

uint64_t
kt_identity_terminals_gen(kt_store_t *st, MDB_txn *txn)
{
	MDB_val k = { sizeof("terminals_gen") - 1, (void *)"terminals_gen" };
	MDB_val v;

	if (mdb_get(txn, kt_store_dbs(st)->meta, &k, &v) != 0 || v.mv_size != 8)
		return 0;
	return kt_store_get_be64(v.mv_data);
}

int
kt_identity_bump_terminals_gen(kt_store_t *st, MDB_txn *txn)
{
	MDB_val k = { sizeof("terminals_gen") - 1, (void *)"terminals_gen" };
	uint8_t buf[8];
	MDB_val v = { sizeof(buf), buf };

	kt_store_be64(buf, kt_identity_terminals_gen(st, txn) + 1);
	return kt_store_err(mdb_put(txn, kt_store_dbs(st)->meta, &k, &v, 0));
}

int
kt_identity_invite_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	kt_invite_job_t *job = arg;
	Ktstore__InviteRecord rec = KTSTORE__INVITE_RECORD__INIT;
	uint8_t key[32];
	char object[48];
	kt_audit_event_t ev = { 0 };
	int rc;

	crypto_generichash(key, sizeof(key), job->token, sizeof(job->token),
	    NULL, 0);
	rec.branch = job->branch;
	rec.created_at = job->now;
	rec.expires_at = job->now + job->ttl_s;
	rc = kt_store_put_record(txn, kt_store_dbs(st)->invites, key,
	    sizeof(key), &rec.base, MDB_NOOVERWRITE);
	if (rc != 0)
		goto out;
	/* The audit names the invite by a prefix of its hash, never the
	 * token itself. */
	snprintf(object, sizeof(object), "invite:");
	kt_hex(object + 7, key, 8);
	ev.action = "invite.create";
	ev.object = object;
	ev.detail = job->branch ? "branch terminal" : "owner terminal";
	{
		char detail[64];
		if (job->branch) {
			snprintf(detail, sizeof(detail), "branch:%llu",
			    (unsigned long long)job->branch);
			ev.detail = detail;
		}
		rc = kt_identity_audit(st, txn, &ev, job->sign_sk);
	}
out:
	sodium_memzero(key, sizeof(key));
	return rc;
}
