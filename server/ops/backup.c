/* SPDX-License-Identifier: MIT */
/* The owner's backup over the protocol (`kartoteka backup -o FILE`): the
 * server writes the encrypted backup file of its keys and a compacted copy
 * of the store (jobs/backup.c, common/backup_file.c) on the thread pool,
 * with the passphrase of the request, and streams the file's bytes as
 * Responses with more = true while the connection keeps up (req.h,
 * kt_req_stream), as the export does. The audit entry and the owner's
 * alert (a backup holds the server's private keys and every password
 * hash) are committed through the writer, and only then does the last
 * chunk, with the rest of the file and its BLAKE2b-256, leave: a backup
 * that was not audited is never complete. One backup at a time on the
 * server, a scheduled one included: each holds Argon2id's memory and a
 * pool thread for the whole copy. Heads and managers are refused by the
 * dispatcher (class KT_ACT_EXPORT), audited. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>
#include <sodium.h>

#include "catalog.h"
#include "backup_file.h"
#include "jobs/backup.h"
#include "jobs/export.h"
#include "kt_error.h"
#include "model/alert_store.h"
#include "ops/ops.h"

/* The passphrase's bounds, in bytes. */
#define PASS_MIN 8u
#define PASS_MAX 1024u

/* Everything the backup needs after the request is gone. */
typedef struct backup_st {
	kt_server_t *srv;
	uint8_t pass[PASS_MAX];          /* wiped once the key is derived */
	size_t passlen;
	uint64_t estimate;               /* the file's size, roughly */
	/* on the pool thread */
	int rc;
	uint8_t *buf;                    /* the chunk being filled */
	size_t len;
	uint8_t *pack;                   /* one packed ExportChunk */
	uint64_t bytes;                  /* bytes of the file so far */
	uint64_t sent;                   /* of them, pushed in chunks */
	crypto_generichash_state *h;     /* on backup_work's stack: 64-byte
					    alignment, which r's state lacks */
	uint8_t hash[32];
	/* on the loop, for the audit entry */
	char detail[300];
	uint32_t outcome;
} backup_st_t;

/* ==== the pool thread ===================================================== */

/* A full chunk of the file leaves as one ExportChunk. */
static int
push(kt_req_t *r, backup_st_t *st)
{
	Kartoteka__ExportChunk ch = KARTOTEKA__EXPORT_CHUNK__INIT;
	size_t n;

	ch.data.data = st->buf;
	ch.data.len = st->len;
	st->sent += st->len;
	ch.rows = st->sent;
	ch.total = st->estimate > st->bytes ? st->estimate : st->bytes;
	n = kartoteka__export_chunk__pack(&ch, st->pack);
	st->len = 0;
	return kt_req_stream_push(r, KARTOTEKA__RESPONSE__RESULT_BACKUP,
	    st->pack, n);
}

/* The backup file's writer (backup_file.h): bytes into chunks, hashed on
 * their way. The last, partly filled chunk stays for the last answer. */
static int
file_write(void *ctx, const void *p, size_t n)
{
	kt_req_t *r = ctx;
	backup_st_t *st = kt_req_state(r);
	const uint8_t *b = p;
	int rc;

	crypto_generichash_update(st->h, b, n);
	st->bytes += n;
	while (n > 0) {
		size_t k = KT_EXPORT_CHUNK - st->len;
		if (k > n)
			k = n;
		memcpy(st->buf + st->len, b, k);
		st->len += k;
		b += k;
		n -= k;
		if (st->len == KT_EXPORT_CHUNK && n > 0 &&
		    (rc = push(r, st)) != 0)
			return rc;
	}
	return 0;
}

static void
backup_work(kt_req_t *r)
{
	backup_st_t *st = kt_req_state(r);
	kt_backup_writer_t *w = NULL;
	crypto_generichash_state h;

	st->h = &h;
	crypto_generichash_init(&h, NULL, 0, 32);
	st->buf = malloc(KT_EXPORT_CHUNK);
	/* A chunk's envelope: a few varints around the data. */
	st->pack = malloc(KT_EXPORT_CHUNK + 64);
	if (st->buf == NULL || st->pack == NULL) {
		st->rc = KT_ENOMEM;
		goto out;
	}
	st->rc = kt_backup_writer_open(&w, st->pass, st->passlen,
	    st->srv->opts.backup_opslimit, st->srv->opts.backup_memlimit,
	    file_write, r);
	sodium_memzero(st->pass, sizeof(st->pass));
	if (st->rc != 0)
		goto out;
	if ((st->rc = kt_backup_make(st->srv->store, st->srv->opts.data_dir,
	    w)) != 0)
		goto out;
	crypto_generichash_final(&h, st->hash, 32);
out:
	st->h = NULL;
	sodium_memzero(st->pass, sizeof(st->pass));
	kt_backup_writer_free(w);
	free(st->pack);
	st->pack = NULL;
}

/* ==== the end: audit, alert, the last chunk ================================ */

static int
backup_mut(kt_store_t *stp, MDB_txn *txn, kt_req_t *r)
{
	backup_st_t *st = kt_req_state(r);
	kt_actor_t a = kt_req_actor(r);
	kt_alert_t al = {
		.kind = KT_ALERT_BACKUP,
		.user = a.user_id,
		.terminal = a.terminal_key,
		.count = st->bytes,
		.detail = st->detail,
	};
	int rc;

	/* In the entry's transaction: no backup without its alert. */
	if ((rc = kt_audit_record(stp, txn, &a, KT_AUDIT_BACKUP, "store",
	    st->outcome, st->detail)) != 0)
		return rc;
	return kt_alert_raise(stp, txn, &al, NULL);
}

static void
backup_after(kt_req_t *r, int status)
{
	backup_st_t *st = kt_req_state(r);
	Kartoteka__Response resp = KARTOTEKA__RESPONSE__INIT;
	Kartoteka__ExportChunk ch = KARTOTEKA__EXPORT_CHUNK__INIT;
	int cut = kt_req_stream_cut(r), rc;
	char hex[65];

	st->srv->backup_busy = 0;
	sodium_memzero(st->pass, sizeof(st->pass));
	if (status != 0) {
		free(st->buf);
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "the backup could not "
		    "start: try again");
		return;
	}
	if (st->rc == 0 && !cut) {
		sodium_bin2hex(hex, sizeof(hex), st->hash, 32);
		st->outcome = 0;
		snprintf(st->detail, sizeof(st->detail), "to the owner's "
		    "terminal: bytes=%" PRIu64 " blake2b=%s", st->bytes, hex);
		ch.data.data = st->buf;
		ch.data.len = st->len;
		ch.rows = st->bytes;
		ch.total = st->bytes;
		ch.blake2b = hex;
		resp.result_case = KARTOTEKA__RESPONSE__RESULT_BACKUP;
		resp.backup = &ch;
		rc = kt_req_answer(r, &resp);
	} else {
		/* Part of the file may have left: the audit says how much. */
		const char *why = cut ? "connection lost" :
		    st->rc == KT_ENOSPC ? "the server's disk is full" :
		    kt_strerror(st->rc);
		st->outcome = cut || st->rc != KT_ENOMEM ?
		    KT_CODE_UNAVAILABLE : KT_CODE_INTERNAL;
		snprintf(st->detail, sizeof(st->detail), "to the owner's "
		    "terminal: bytes=%" PRIu64 " not completed: %s", st->bytes,
		    why);
		rc = kt_req_answer_error(r, st->outcome, "the backup failed "
		    "(%s): nothing is complete; try again", why);
	}
	/* The answer holds a copy of the tail. */
	free(st->buf);
	st->buf = NULL;
	if (rc != 0) {
		kt_req_fail(r, KT_CODE_INTERNAL, "could not build the answer");
		return;
	}
	kt_req_submit(r, backup_mut, NULL);
}

/* ==== the op ============================================================== */

/* The size of the store's used pages: the file will be about that, less
 * the free pages compaction drops, plus a little framing. */
static uint64_t
estimate(kt_store_t *stp)
{
	MDB_envinfo info;
	MDB_stat stat;

	if (mdb_env_info(kt_store_env(stp), &info) != 0 ||
	    mdb_env_stat(kt_store_env(stp), &stat) != 0)
		return 0;
	return ((uint64_t)info.me_last_pgno + 1) * stat.ms_psize;
}

static void
op_backup(kt_req_t *r, const Kartoteka__Request *msg)
{
	Kartoteka__BackupRequest *br = msg->backup;
	backup_st_t *st = kt_req_state(r);
	kt_server_t *srv = kt_req_server(r);
	size_t n = br->passphrase.len;

	if (n < PASS_MIN || n > PASS_MAX) {
		if (br->passphrase.data != NULL)
			sodium_memzero(br->passphrase.data, n);
		kt_req_fail(r, KT_CODE_BAD, "passphrase: %zu bytes; give %u to "
		    "%u", n, PASS_MIN, PASS_MAX);
		return;
	}
	/* The request's copy goes at once; the state's once Argon2id has
	 * made the key (backup_work). */
	memcpy(st->pass, br->passphrase.data, n);
	sodium_memzero(br->passphrase.data, n);
	st->passlen = n;
	if (srv->backup_busy) {
		sodium_memzero(st->pass, sizeof(st->pass));
		kt_req_fail(r, KT_CODE_UNAVAILABLE, "a backup is already "
		    "running on the server: try again when it has finished");
		return;
	}
	st->srv = srv;
	st->estimate = estimate(srv->store);
	srv->backup_busy = 1;
	kt_req_stream(r, backup_work, backup_after);
}

/* ==== the rows ============================================================= */

#define OP(c) KARTOTEKA__REQUEST__OP_##c

static const kt_op_row_t rows[] = {
	{ OP(BACKUP), KT_MSG("back up the store and keys"), KT_PHASE_LOGGED_IN,
	    KT_OP_WRITE | KT_OP_SERIAL, KT_ACT_EXPORT, KT_AUDIT_BACKUP,
	    op_backup, sizeof(backup_st_t) },
};

const kt_op_domain_t kt_ops_backup = { "backup", rows,
	sizeof(rows) / sizeof(rows[0]) };
