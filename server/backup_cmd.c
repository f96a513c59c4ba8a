/* SPDX-License-Identifier: MIT */
/* kartotekad backup, backup verify and restore (backup_cmd.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "i18n.h"
#include "backup_cmd.h"
#include "backup_file.h"
#include "jobs/backup.h"
#include "kt_error.h"
#include "model/audit.h"
#include "model/branch_store.h"
#include "model/identity.h"
#include "model/migrate.h"
#include "model/store.h"
#include "records.pb-c.h"

/* ---- files as the backup file's reader and writer ------------------------ */

static int
fd_write(void *ctx, const void *p, size_t n)
{
	int fd = *(int *)ctx;
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t k = write(fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return errno == ENOSPC ? KT_ENOSPC : KT_EIO;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static long
fd_read(void *ctx, void *p, size_t n)
{
	int fd = *(int *)ctx;
	ssize_t k;

	do
		k = read(fd, p, n);
	while (k < 0 && errno == EINTR);
	return k < 0 ? KT_EIO : (long)k;
}

/* ---- the audit entry of a backup or restore ------------------------------ */

typedef struct audit_job {
	const uint8_t *sign_sk;
	kt_audit_action_t action;
	const char *object, *detail;
} audit_job_t;

static int
audit_mut(kt_store_t *st, MDB_txn *txn, void *arg)
{
	audit_job_t *j = arg;
	kt_actor_t local = { 0, NULL, j->sign_sk };
	int rc;

	if ((rc = kt_audit_record(st, txn, &local, j->action, j->object, 0,
	    j->detail)) != 0)
		return rc;
	/* The server's first start raises the owner's alert with it. */
	return j->action == KT_AUDIT_RESTORE ? kt_backup_mark_restored(txn,
	    kt_store_dbs(st), j->detail) : 0;
}

/* ---- backup --------------------------------------------------------------- */

int
kt_backup_cmd_make(const char *data, const char *out, const char *pass,
    size_t passlen)
{
	uint8_t spriv[32], spub[32], ssk[64], spk[32];
	kt_backup_writer_t *w = NULL;
	kt_store_t *st = NULL;
	audit_job_t job;
	struct stat sb;
	char detail[256];
	int fd = -1, rc, code = 1;

	if ((rc = kt_identity_load_keys(data, spriv, spub, ssk, spk)) != 0) {
		fprintf(stderr, _("kartotekad backup: cannot read the server keys "
		    "in %s: %s\n"), data, kt_strerror(rc));
		return 1;
	}
	if (kt_migrate_open_report(&st, data, 0, "kartotekad backup") != 0)
		goto out;
	/* O_EXCL: a backup never replaces a file, least of all an older
	 * backup. */
	if ((fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0) {
		fprintf(stderr, _("kartotekad backup: --out %s: %s\n"), out,
		    strerror(errno));
		goto out;
	}
	if ((rc = kt_backup_writer_open(&w, pass, passlen, 0, 0, fd_write,
	    &fd)) != 0 || (rc = kt_backup_make(st, data, w)) != 0 ||
	    (fsync(fd) != 0 && (rc = KT_EIO) != 0)) {
		fprintf(stderr, _("kartotekad backup: cannot write %s: %s\n"), out,
		    rc == KT_ENOSPC ? _("the disk is full") : kt_strerror(rc));
		(void)unlink(out);
		goto out;
	}
	if (fstat(fd, &sb) != 0)
		sb.st_size = 0;
	snprintf(detail, sizeof(detail), "offline, %lld bytes",
	    (long long)sb.st_size);
	job = (audit_job_t){ ssk, KT_AUDIT_BACKUP, "store", detail };
	if ((rc = kt_store_write_sync(st, audit_mut, &job)) != 0) {
		fprintf(stderr, _("kartotekad backup: written, but the audit "
		    "entry failed: %s\n"), kt_strerror(rc));
		goto out;
	}
	printf(_("backup of %s written to %s (%lld bytes, mode 0600)\n"), data,
	    out, (long long)sb.st_size);
	printf(_("it holds the server's private keys and every password hash: "
	    "keep it off this machine, and the passphrase apart from it\n"));
	code = 0;
out:
	if (fd >= 0)
		close(fd);
	kt_backup_writer_free(w);
	kt_store_close(st);
	sodium_memzero(spriv, sizeof(spriv));
	sodium_memzero(ssk, sizeof(ssk));
	return code;
}

/* ---- what a restored store holds ------------------------------------------ */

typedef struct last_entry {
	uint64_t seq;
	int64_t time_ms;
} last_entry_t;

static int
take_last(const Ktstore__AuditEntry *e, void *arg)
{
	last_entry_t *l = arg;

	l->seq = e->seq;
	l->time_ms = e->time_ms;
	return 0;
}

static void
utc_text(int64_t ms, char *out, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* Prints the users and the terminals of st, to review after a restore
 * (they are those of the backup's day). */
static int
print_people(kt_store_t *st)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc, m;

	if ((rc = kt_store_read_begin(st, &txn)) != 0)
		return rc;
	printf(_("users:\n"));
	if ((m = mdb_cursor_open(txn, db->users, &cur)) != 0) {
		rc = kt_store_err(m);
		goto out;
	}
	while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
		Ktstore__UserRecord *u = ktstore__user_record__unpack(NULL,
		    v.mv_size, v.mv_data);
		if (u == NULL)
			continue;
		printf("  %-20s %s%s\n", u->login, u->role == 1 ? _("owner") :
		    u->role == 2 ? _("head") : _("manager"), u->disabled ?
		    _(", disabled") : "");
		ktstore__user_record__free_unpacked(u, NULL);
	}
	mdb_cursor_close(cur);
	printf(_("terminals:\n"));
	if ((m = mdb_cursor_open(txn, db->terminals, &cur)) != 0) {
		cur = NULL;
		rc = kt_store_err(m);
		goto out;
	}
	while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
		Ktstore__TerminalRecord *t = ktstore__terminal_record__unpack(
		    NULL, v.mv_size, v.mv_data);
		char branch[128];
		if (t == NULL)
			continue;
		kt_branch_name(txn, db, t->branch, branch, sizeof(branch));
		printf("  %-20s %s%s\n", t->name, t->branch ? branch :
		    _("(owner terminal)"), t->revoked ? _(", revoked") : "");
		ktstore__terminal_record__free_unpacked(t, NULL);
	}
	mdb_cursor_close(cur);
	cur = NULL;
out:
	kt_store_read_end(st, txn);
	return rc;
}

/* ---- what changed in the old store since the backup ------------------------ */

/* Reads record key (klen bytes) of dbi in txn, unpacked with unpack;
 * NULL when it is not there or does not decode. */
static void *
get_unpacked(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
    void *(*unpack)(ProtobufCAllocator *, size_t, const uint8_t *))
{
	MDB_val k = { klen, (void *)key }, v;

	if (mdb_get(txn, dbi, &k, &v) != 0)
		return NULL;
	return unpack(NULL, v.mv_size, v.mv_data);
}

static void *
unpack_terminal(ProtobufCAllocator *a, size_t n, const uint8_t *p)
{
	return ktstore__terminal_record__unpack(a, n, p);
}

static void *
unpack_user(ProtobufCAllocator *a, size_t n, const uint8_t *p)
{
	return ktstore__user_record__unpack(a, n, p);
}

/* Prints, for the restored store st, what the old store at old_dir says
 * happened after the backup: terminals revoked or enrolled, users disabled,
 * added, or given a new password there. The old store is opened
 * read-only and never changed; one that cannot be read is said and
 * skipped (the restore stands). Returns how many lines were printed. */
static unsigned
print_since(kt_store_t *st, const char *old_dir)
{
	const kt_store_dbs_t *db = kt_store_dbs(st), *odb;
	kt_store_t *old = NULL;
	MDB_txn *txn = NULL, *otxn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v, nk, nv;
	unsigned lines = 0;
	int rc;

	if ((rc = kt_store_open(&old, old_dir, KT_STORE_RDONLY)) != 0) {
		fprintf(stderr, _("kartotekad restore: --old %s: cannot read the "
		    "old store (%s): compare its users and terminals by hand\n"),
		    old_dir, kt_strerror(rc));
		return 0;
	}
	odb = kt_store_dbs(old);
	if (kt_store_read_begin(st, &txn) != 0 ||
	    kt_store_read_begin(old, &otxn) != 0)
		goto out;
	printf(_("since the backup, the old store at %s has:\n"), old_dir);
	if (mdb_cursor_open(otxn, odb->terminals, &cur) != 0)
		goto out;
	while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
		Ktstore__TerminalRecord *o = ktstore__terminal_record__unpack(
		    NULL, v.mv_size, v.mv_data), *n;
		if (o == NULL)
			continue;
		n = get_unpacked(txn, db->terminals, k.mv_data, k.mv_size,
		    unpack_terminal);
		if (n == NULL) {
			printf(_("  terminal %-20s enrolled after the backup: not "
			    "in the restored store; enrol it again\n"), o->name);
			lines++;
		} else if (o->revoked && !n->revoked) {
			printf(_("  terminal %-20s revoked there, but not in the "
			    "restored store: revoke it again "
			    "(kartotekad terminal revoke)\n"), o->name);
			lines++;
		}
		if (n != NULL)
			ktstore__terminal_record__free_unpacked(n, NULL);
		ktstore__terminal_record__free_unpacked(o, NULL);
	}
	mdb_cursor_close(cur);
	if (mdb_cursor_open(otxn, odb->users, &cur) != 0) {
		cur = NULL;
		goto out;
	}
	while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
		Ktstore__UserRecord *o = ktstore__user_record__unpack(NULL,
		    v.mv_size, v.mv_data), *n = NULL;
		if (o == NULL)
			continue;
		/* By login: the restored store's ids are those of the day. */
		nk.mv_size = strlen(o->login);
		nk.mv_data = o->login;
		if (mdb_get(txn, db->user_logins, &nk, &nv) == 0)
			n = get_unpacked(txn, db->users, nv.mv_data, nv.mv_size,
			    unpack_user);
		if (n == NULL) {
			printf(_("  user     %-20s added after the backup: not in "
			    "the restored store; add them again\n"), o->login);
			lines++;
		} else {
			if (o->disabled && !n->disabled) {
				printf(_("  user     %-20s disabled there, but "
				    "not in the restored store: disable them "
				    "again (kartoteka user disable)\n"),
				    o->login);
				lines++;
			}
			if (strcmp(o->password_hash, n->password_hash) != 0) {
				printf(_("  user     %-20s has a newer password "
				    "there: the backup's older one works "
				    "again; set it again (kartoteka user "
				    "password)\n"), o->login);
				lines++;
			}
			ktstore__user_record__free_unpacked(n, NULL);
		}
		ktstore__user_record__free_unpacked(o, NULL);
	}
	if (lines == 0)
		printf(_("  no terminal revoked or enrolled and no user disabled, "
		    "added or given a new password\n"));
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	kt_store_read_end(old, otxn);
	kt_store_read_end(st, txn);
	kt_store_close(old);
	return lines;
}

/* Restores file into dir, opens it (migrating an older layout) and
 * verifies its audit chain. On success *st is open and *last names the
 * chain's last entry. */
static int
restore_into(const char *who, const char *file, const char *dir,
    const char *pass, size_t passlen, kt_store_t **st, uint8_t ssk[64],
    last_entry_t *last)
{
	uint8_t spriv[32], spub[32], spk[32];
	kt_backup_reader_t *r = NULL;
	uint64_t bad = 0, n = 0;
	char why[320];
	int fd, rc;

	*st = NULL;
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", who, file, strerror(errno));
		return -1;
	}
	rc = kt_backup_reader_open(&r, pass, passlen, fd_read, &fd, why,
	    sizeof(why));
	if (rc == 0)
		rc = kt_backup_restore(r, dir, why, sizeof(why));
	kt_backup_reader_free(r);
	close(fd);
	if (rc != 0) {
		fprintf(stderr, "%s: %s: %s\n", who, file, why);
		return -1;
	}
	if ((rc = kt_identity_load_keys(dir, spriv, spub, ssk, spk)) != 0) {
		fprintf(stderr, _("%s: the keys in the backup: %s\n"), who,
		    kt_strerror(rc));
		return -1;
	}
	sodium_memzero(spriv, sizeof(spriv));
	if (kt_migrate_open_report(st, dir, 0, who) != 0)
		return -1;
	if ((rc = kt_audit_verify(*st, spk, NULL, &bad, &n)) != 0) {
		if (rc == KT_EAUDIT)
			fprintf(stderr, _("%s: the audit chain in the backup is "
			    "broken at entry %" PRIu64 "\n"), who, bad);
		else
			fprintf(stderr, _("%s: cannot verify the audit chain: "
			    "%s\n"), who, kt_strerror(rc));
		return -1;
	}
	memset(last, 0, sizeof(*last));
	if ((rc = kt_audit_tail(*st, 1, take_last, last)) != 0) {
		fprintf(stderr, _("%s: cannot read the audit chain: %s\n"), who,
		    kt_strerror(rc));
		return -1;
	}
	return 0;
}

static int
rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

int
kt_backup_cmd_verify(const char *file, const char *pass, size_t passlen)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096], when[64];
	kt_store_t *st = NULL;
	uint8_t ssk[64];
	last_entry_t last;
	int code = 1;

	snprintf(dir, sizeof(dir), "%s/kartotekad-verify-XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, _("kartotekad backup verify: cannot make a "
		    "directory to check in (%s): %s\n"), dir, strerror(errno));
		return 1;
	}
	if (restore_into("kartotekad backup verify", file, dir, pass, passlen,
	    &st, ssk, &last) == 0) {
		utc_text(last.time_ms, when, sizeof(when));
		printf(_("backup %s is intact: its audit chain of %" PRIu64
		    " entries verified, the last of %s\n"), file, last.seq,
		    when);
		code = 0;
	}
	kt_store_close(st);
	sodium_memzero(ssk, sizeof(ssk));
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return code;
}

int
kt_backup_cmd_restore(const char *file, const char *data, const char *old,
    const char *pass, size_t passlen)
{
	kt_store_t *st = NULL;
	uint8_t ssk[64];
	last_entry_t last;
	audit_job_t job;
	char when[64], detail[200];
	int rc, code = 1;

	if (restore_into("kartotekad restore", file, data, pass, passlen, &st,
	    ssk, &last) != 0)
		goto out;
	utc_text(last.time_ms, when, sizeof(when));
	snprintf(detail, sizeof(detail), "restored from the backup of %s, "
	    "sequence %" PRIu64, when, last.seq);
	job = (audit_job_t){ ssk, KT_AUDIT_RESTORE, "store", detail };
	if ((rc = kt_store_write_sync(st, audit_mut, &job)) != 0) {
		fprintf(stderr, _("kartotekad restore: the audit entry failed: "
		    "%s\n"), kt_strerror(rc));
		goto out;
	}
	printf(_("restored %s into %s: the backup of %s, sequence %" PRIu64
	    "\n"), file, data, when, last.seq);
	printf(_("the users, terminals and passwords are those of that day: "
	    "review them (revoke terminals, disable users that left since)\n"));
	if (print_people(st) != 0)
		goto out;
	if (old != NULL)
		print_since(st, old);
	code = 0;
out:
	kt_store_close(st);
	sodium_memzero(ssk, sizeof(ssk));
	return code;
}
