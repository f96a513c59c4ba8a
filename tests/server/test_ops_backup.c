/* SPDX-License-Identifier: MIT */
/* Tests for server/ops/backup.c through kt_dispatch_message on the fake
 * network: the owner's backup streams in chunks with more = true whose
 * bytes hash to the last chunk's blake2b and to the audit entry's, the
 * last chunk leaving only once that entry and the owner's alert are
 * committed, and the bytes are a backup file that restores the server's
 * keys and store; a second backup while one runs, a bad passphrase and
 * heads and managers are refused; a reader that goes away is audited. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "kt_test.h"
#include "kt_membuf.h"

#include "backup_file.h"
#include "jobs/backup.h"
#include "kt_error.h"
#include "model/alert_store.h"
#include "model/identity.h"
#include "server/harness.h"

#define E_BAD KARTOTEKA__ERROR__CODE__BAD_REQUEST
#define E_FORBIDDEN KARTOTEKA__ERROR__CODE__FORBIDDEN
#define E_UNAVAILABLE KARTOTEKA__ERROR__CODE__UNAVAILABLE
#define HEAD KARTOTEKA__ROLE__HEAD
#define MANAGER KARTOTEKA__ROLE__MANAGER
#define PASS "зима-лето-осень-1"

/* ---- the world -------------------------------------------------------------- */

/* A harness whose backups cost Argon2id little (the real cost is
 * test_backup_file's): a loaded machine must not make a wait time out. */
static kt_h_t *
h_new(void)
{
	kt_h_t *h = kt_h_new();

	h->srv->opts.backup_opslimit = 1;
	h->srv->opts.backup_memlimit = 8u << 20;
	return h;
}

/* The key files the server's data directory holds (the harness has none
 * on disk): n random bytes each. */
static void
key_files(kt_h_t *h, uint8_t server_key[32], uint8_t sign_key[64])
{
	char path[4096];
	int fd;

	randombytes_buf(server_key, 32);
	randombytes_buf(sign_key, 64);
	snprintf(path, sizeof(path), "%s/" KT_SERVER_KEY_FILE,
	    h->srv->opts.data_dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_int_equal(write(fd, server_key, 32), 32);
	close(fd);
	snprintf(path, sizeof(path), "%s/" KT_SIGN_KEY_FILE,
	    h->srv->opts.data_dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_int_equal(write(fd, sign_key, 64), 64);
	close(fd);
}

typedef struct bk {
	Kartoteka__Request r;
	Kartoteka__BackupRequest b;
} bk_t;

static Kartoteka__Request *
backup_req(bk_t *q, const char *pass)
{
	kartoteka__request__init(&q->r);
	kartoteka__backup_request__init(&q->b);
	q->b.passphrase.data = (uint8_t *)pass;
	q->b.passphrase.len = strlen(pass);
	q->r.op_case = KARTOTEKA__REQUEST__OP_BACKUP;
	q->r.backup = &q->b;
	return &q->r;
}



static int
backup_audited(void *arg)
{
	return strcmp(kt_h_audit_last(arg).action, "backup") == 0;
}

/* n cards, added by a manager of a new branch. */
static void
some_cards(kt_h_t *h, const char *branch, int n)
{
	uint64_t b = kt_h_branch(h, branch);
	char login[32];
	kt_conn_t *c;

	snprintf(login, sizeof(login), "m%zu", strlen(branch));
	c = kt_h_session(h, kt_h_user(h, login, MANAGER, b, 0), b);
	for (int i = 0; i < n; i++)
		kt_h_client_titled(h, c, "Ивановы");
}

/* Reads file name of dir into out (cap bytes); its size. */
static size_t
slurp(const char *dir, const char *name, uint8_t *out, size_t cap)
{
	char path[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	n = read(fd, out, cap);
	close(fd);
	assert_true(n >= 0);
	return (size_t)n;
}

static int
rm_file(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return unlink(path);
}

/* ---- tests -------------------------------------------------------------------- */

static void
owner_backup_streams_audits_and_restores(void **state)
{
	kt_h_t *h = h_new();
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	uint8_t skey[32], sign[64], got[128], hash[32];
	crypto_generichash_state hs;
	kt_membuf_t file = { 0 };
	kt_backup_reader_t *rd = NULL;
	char hex[65], want[200], dir[] = "/tmp/kt-ops-backup-XXXXXX";
	char why[256];
	Kartoteka__Response *resp;
	uint64_t before;
	kt_h_alert_t al;
	kt_h_entry_t e;
	size_t n;
	bk_t q;

	(void)state;
	key_files(h, skey, sign);
	some_cards(h, "North", 300);
	before = kt_h_audit_count(h);
	kt_h_watch_audit(h, c);
	kt_h_send(h, c, backup_req(&q, PASS));
	kt_h_run_until(h, kt_h_stream_ended, c);
	n = kt_fake_conn_nsent(c);
	assert_true(n >= 2);
	crypto_generichash_init(&hs, NULL, 0, 32);
	for (size_t i = 0; i < n; i++) {
		resp = kt_h_answer(h, c, i);
		kt_h_expect_ok(resp);
		assert_int_equal(resp->result_case,
		    KARTOTEKA__RESPONSE__RESULT_BACKUP);
		assert_true(resp->more == (i + 1 < n));
		crypto_generichash_update(&hs, resp->backup->data.data,
		    resp->backup->data.len);
		kt_membuf_write(&file, resp->backup->data.data,
		    resp->backup->data.len);
		/* rows counts the bytes so far. */
		assert_true(resp->backup->rows == file.n);
		if (i + 1 < n) {
			assert_true(kt_h_audit_when_sent(h, c, i).seq == before);
			assert_true(resp->backup->blake2b == NULL ||
			    resp->backup->blake2b[0] == '\0');
		}
	}
	crypto_generichash_final(&hs, hash, 32);
	sodium_bin2hex(hex, sizeof(hex), hash, 32);
	resp = kt_h_answer(h, c, n - 1);
	assert_string_equal(resp->backup->blake2b, hex);
	assert_true(resp->backup->total == file.n);
	/* The last chunk left after its entry and the alert. */
	e = kt_h_audit_when_sent(h, c, n - 1);
	assert_true(e.seq == before + 1);
	assert_string_equal(e.action, "backup");
	assert_int_equal(e.outcome, 0);
	assert_true(e.user == h->owner && e.has_terminal);
	snprintf(want, sizeof(want), "to the owner's terminal: bytes=%zu "
	    "blake2b=%s", file.n, hex);
	assert_string_equal(e.detail, want);
	assert_int_equal(kt_h_alerts(h, KT_ALERT_BACKUP, &al), 1);
	assert_true(al.user == h->owner && al.count == file.n);
	/* The bytes are a backup that restores the keys and the store. */
	assert_int_equal(kt_backup_reader_open(&rd, PASS, strlen(PASS),
	    kt_membuf_read, &file, why, sizeof(why)), 0);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(kt_backup_restore(rd, dir, why, sizeof(why)), 0);
	assert_int_equal(slurp(dir, KT_SERVER_KEY_FILE, got, sizeof(got)), 32);
	assert_memory_equal(got, skey, 32);
	assert_int_equal(slurp(dir, KT_SIGN_KEY_FILE, got, sizeof(got)), 64);
	assert_memory_equal(got, sign, 64);
	assert_true(slurp(dir, KT_BACKUP_STORE_FILE, got, sizeof(got)) ==
	    sizeof(got));
	assert_int_equal(rm_file(dir, KT_SERVER_KEY_FILE), 0);
	assert_int_equal(rm_file(dir, KT_SIGN_KEY_FILE), 0);
	assert_int_equal(rm_file(dir, KT_BACKUP_STORE_FILE), 0);
	assert_int_equal(rmdir(dir), 0);
	kt_backup_reader_free(rd);
	free(file.p);
	/* The request's passphrase was wiped by the server. */
	kt_h_settle(h);
	kt_h_free(h);
}

static void
one_at_a_time_and_bad_passphrase(void **state)
{
	kt_h_t *h = h_new();
	kt_conn_t *c1 = kt_h_session(h, h->owner, 0);
	kt_conn_t *c2 = kt_h_session(h, h->owner, 0);
	uint8_t skey[32], sign[64];
	char big[1100];
	uint64_t before;
	kt_h_after_t a;
	bk_t q;

	(void)state;
	key_files(h, skey, sign);
	before = kt_h_audit_count(h);
	kt_h_expect_error(kt_h_call(h, c1, backup_req(&q, "short")), E_BAD,
	    "passphrase: 5 bytes; give 8 to 1024");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	kt_h_expect_error(kt_h_call(h, c1, backup_req(&q, big)), E_BAD,
	    "passphrase: 1099 bytes; give 8 to 1024");
	/* Nothing was made, nothing to audit. */
	assert_true(kt_h_audit_count(h) == before);
	/* Two at once from two terminals: the second waits its turn. */
	kt_h_send(h, c1, backup_req(&q, PASS));
	kt_h_send(h, c2, backup_req(&q, PASS));
	kt_h_wait(h, c2, 1);
	kt_h_expect_error(kt_h_last(h, c2), E_UNAVAILABLE, "a backup is "
	    "already running on the server: try again when it has finished");
	a = (kt_h_after_t){ c1, 2 };
	kt_h_run_until(h, kt_h_stream_ended_after, &a);
	kt_h_expect_ok(kt_h_last(h, c1));
	/* Then it may. */
	kt_h_send(h, c2, backup_req(&q, PASS));
	a = (kt_h_after_t){ c2, 1 };
	kt_h_run_until(h, kt_h_stream_ended_after, &a);
	kt_h_expect_ok(kt_h_last(h, c2));
	assert_int_equal(kt_h_alerts(h, KT_ALERT_BACKUP, NULL), 2);
	kt_h_free(h);
}

static void
head_and_manager_refused_audited(void **state)
{
	kt_h_t *h = h_new();
	uint64_t b = kt_h_branch(h, "North");
	uint64_t m = kt_h_user(h, "masha", MANAGER, b, 0);
	uint64_t g = kt_h_user(h, "galina", HEAD, b, 0);
	kt_conn_t *cm = kt_h_session(h, m, b);
	kt_conn_t *cg = kt_h_session(h, g, b);
	kt_h_entry_t e;
	bk_t q;

	(void)state;
	kt_h_expect_error(kt_h_call(h, cm, backup_req(&q, PASS)), E_FORBIDDEN,
	    "only the owner can back up the store and keys");
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "backup");
	assert_int_equal(e.outcome, E_FORBIDDEN);
	assert_true(e.user == m);
	kt_h_expect_error(kt_h_call(h, cg, backup_req(&q, PASS)), E_FORBIDDEN,
	    "only the owner can back up the store and keys");
	assert_true(kt_h_audit_last(h).user == g);
	assert_int_equal(kt_fake_conn_nsent(cm), 1);
	assert_int_equal(kt_fake_conn_nsent(cg), 1);
	assert_int_equal(kt_h_alerts(h, KT_ALERT_BACKUP, NULL), 0);
	kt_h_free(h);
}

static void
missing_keys_and_reader_gone_audited(void **state)
{
	kt_h_t *h = h_new();
	kt_conn_t *c = kt_h_session(h, h->owner, 0);
	uint8_t skey[32], sign[64];
	kt_h_entry_t e;
	bk_t q;

	(void)state;
	/* Without the key files there is no backup: said and audited. */
	kt_h_expect_error(kt_h_call(h, c, backup_req(&q, PASS)), E_UNAVAILABLE,
	    NULL);
	assert_non_null(strstr(kt_h_last(h, c)->error->message,
	    "the backup failed ("));
	e = kt_h_audit_last(h);
	assert_string_equal(e.action, "backup");
	assert_int_equal(e.outcome, E_UNAVAILABLE);
	assert_non_null(strstr(e.detail, "not completed"));
	/* The owner's terminal stops reading; then it is gone. */
	key_files(h, skey, sign);
	some_cards(h, "South", 300);
	kt_fake_conn_set_queued(c, 1u << 20);
	kt_h_send(h, c, backup_req(&q, PASS));
	for (int i = 0; i < 50; i++)
		kt_h_poll(h);
	kt_h_drop(h, c);
	kt_h_run_until(h, backup_audited, h);
	e = kt_h_audit_last(h);
	/* The first failure's entry is the last until this one lands. */
	while (strstr(e.detail, "connection lost") == NULL) {
		kt_h_poll(h);
		e = kt_h_audit_last(h);
	}
	assert_int_equal(e.outcome, E_UNAVAILABLE);
	assert_non_null(strstr(e.detail, "not completed: connection lost"));
	assert_int_equal(kt_h_alerts(h, KT_ALERT_BACKUP, NULL), 2);
	kt_h_free(h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(owner_backup_streams_audits_and_restores),
	cmocka_unit_test(one_at_a_time_and_bad_passphrase),
	cmocka_unit_test(head_and_manager_refused_audited),
	cmocka_unit_test(missing_keys_and_reader_gone_audited),
};

KT_TEST_MAIN(tests)
