/* SPDX-License-Identifier: MIT */
/* The data directory into a backup file and back (jobs/backup.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "catalog.h"
#include "jobs/backup.h"
#include "keyfile.h"
#include "kt_error.h"
#include "model/alert_store.h"
#include "model/identity.h"

/* The files of a backup and their sizes (0: any). */
static const struct {
	const char *name;
	size_t size;
} files[] = {
	{ KT_SERVER_KEY_FILE, 32 },
	{ KT_SIGN_KEY_FILE, 64 },
	{ KT_BACKUP_STORE_FILE, 0 },
};
#define NFILES (sizeof(files) / sizeof(files[0]))

/* ==== making ================================================================ */

typedef struct copier {
	MDB_env *env;
	int fd;                       /* the pipe's write end, closed here */
	int rc;                       /* mdb_env_copyfd2's */
} copier_t;

static void *
copy_thread(void *arg)
{
	copier_t *c = arg;

	c->rc = mdb_env_copyfd2(c->env, c->fd, MDB_CP_COMPACT);
	close(c->fd);
	return NULL;
}

/* The key file name of dir into w. */
static int
put_key(kt_backup_writer_t *w, const char *dir, const char *name,
    size_t size)
{
	uint8_t key[64];
	char path[4096];
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return KT_EINVAL;
	if (kt_keyfile_read(path, key, size) != 0)
		return KT_EIO;
	if ((rc = kt_backup_writer_file(w, name)) == 0)
		rc = kt_backup_writer_data(w, key, size);
	sodium_memzero(key, sizeof(key));
	return rc;
}

static int
make_body(kt_store_t *st, const char *dir, kt_backup_writer_t *w)
{
	copier_t c = { kt_store_env(st), -1, 0 };
	uint8_t *buf = NULL;
	pthread_t th;
	int p[2] = { -1, -1 }, rc = 0, started = 0;
	ssize_t n;

	for (size_t i = 0; i < NFILES && rc == 0; i++)
		if (files[i].size != 0)
			rc = put_key(w, dir, files[i].name, files[i].size);
	if (rc != 0)
		return rc;
	if ((buf = malloc(KT_BACKUP_CHUNK)) == NULL)
		return KT_ENOMEM;
	if (pipe(p) != 0) {
		rc = KT_EIO;
		goto out;
	}
	c.fd = p[1];
	if (pthread_create(&th, NULL, copy_thread, &c) != 0) {
		rc = KT_ENOMEM;
		goto out;
	}
	started = 1;
	p[1] = -1;                    /* the thread's now */
	if ((rc = kt_backup_writer_file(w, KT_BACKUP_STORE_FILE)) != 0)
		goto out;
	for (;;) {
		n = read(p[0], buf, KT_BACKUP_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = KT_EIO;
			break;
		}
		if (n == 0)
			break;
		if ((rc = kt_backup_writer_data(w, buf, (size_t)n)) != 0)
			break;
	}
out:
	/* Closing the read end makes a copy still writing fail with EPIPE
	 * (SIGPIPE is ignored: backup.h), so the join cannot hang. */
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	if (started) {
		pthread_join(th, NULL);
		if (rc == 0 && c.rc != 0)
			rc = KT_ESTORE;
	}
	free(buf);
	if (rc == 0)
		rc = kt_backup_writer_close(w);
	return rc;
}

typedef struct maker {
	kt_store_t *st;
	const char *dir;
	kt_backup_writer_t *w;
	int rc;
} maker_t;

/* The backup's work (the compaction, the hashing and encryption of
 * every byte) yields the CPU to the loop and the writer: it runs
 * KT_BACKUP_NICE steps nicer, in a thread of its own, so the pool thread
 * that asked for it keeps its priority (a process without CAP_SYS_NICE
 * could not raise it back). The copier it starts inherits the value. */
static void *
make_thread(void *arg)
{
	maker_t *m = arg;
	id_t tid = (id_t)gettid();
	int cur;

	errno = 0;
	cur = getpriority(PRIO_PROCESS, tid);
	if (errno == 0)
		(void)setpriority(PRIO_PROCESS, tid, cur + KT_BACKUP_NICE);
	m->rc = make_body(m->st, m->dir, m->w);
	return NULL;
}

int
kt_backup_make(kt_store_t *st, const char *dir, kt_backup_writer_t *w)
{
	maker_t m = { st, dir, w, 0 };
	pthread_t th;

	if (pthread_create(&th, NULL, make_thread, &m) != 0)
		return KT_ENOMEM;
	pthread_join(th, NULL);
	return m.rc;
}

/* ==== restoring ============================================================== */

#define WHY(...) (void)snprintf(why, cap, __VA_ARGS__)

/* 1 when dir has an entry other than . and .. (or cannot be read). */
static int
has_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (d == NULL)
		return 1;
	while (!found && (e = readdir(d)) != NULL)
		found = strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0;
	closedir(d);
	return found;
}

typedef struct restore {
	const char *dir;
	int fd[NFILES];               /* the open part files, -1 */
	size_t got[NFILES];           /* bytes of each */
	int seen[NFILES];
} restore_t;

static void
part_path(const restore_t *s, size_t i, int part, char *out, size_t cap)
{
	(void)snprintf(out, cap, "%s/%s%s", s->dir, files[i].name,
	    part ? ".part" : "");
}

/* Removes every part file (an error: dir as it was). */
static void
drop_parts(restore_t *s)
{
	char path[4096];

	for (size_t i = 0; i < NFILES; i++) {
		if (s->fd[i] >= 0)
			close(s->fd[i]);
		s->fd[i] = -1;
		if (s->seen[i]) {
			part_path(s, i, 1, path, sizeof(path));
			(void)unlink(path);
		}
	}
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return KT_EIO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* fsync of a directory: its entries are on the disk. 0 or -1 (errno). */
static int
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* The end has been read: the parts get their names, flushed first. */
static int
finish(restore_t *s, char *why, size_t cap)
{
	char from[4096], to[4096], marker[4096];
	int mfd = -1;

	for (size_t i = 0; i < NFILES; i++) {
		if (!s->seen[i]) {
			WHY("the backup has no %s", files[i].name);
			return KT_EPROTO;
		}
		if (files[i].size != 0 && s->got[i] != files[i].size) {
			WHY("%s in the backup is %zu bytes, not %zu",
			    files[i].name, s->got[i], files[i].size);
			return KT_EPROTO;
		}
		if (fsync(s->fd[i]) != 0) {
			WHY("cannot write %s in %s: %s", files[i].name, s->dir,
			    strerror(errno));
			return KT_EIO;
		}
	}
	/* The renames are not one step: the marker says so to any open
	 * until the last is done (model/store.h, KT_STORE_RESTORING). */
	(void)snprintf(marker, sizeof(marker), "%s/%s", s->dir,
	    KT_STORE_RESTORING);
	if ((mfd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0 || fsync(mfd) != 0 || sync_dir(s->dir) != 0) {
		WHY("cannot write %s: %s", marker, strerror(errno));
		if (mfd >= 0)
			close(mfd);
		(void)unlink(marker);
		return KT_EIO;
	}
	close(mfd);
	for (size_t i = 0; i < NFILES; i++) {
		part_path(s, i, 1, from, sizeof(from));
		part_path(s, i, 0, to, sizeof(to));
		if (rename(from, to) != 0) {
			/* the marker stays: the directory is half restored */
			WHY("cannot rename %s: %s", from, strerror(errno));
			return KT_EIO;
		}
		s->seen[i] = 0;       /* nothing left to drop */
		close(s->fd[i]);
		s->fd[i] = -1;
	}
	if (sync_dir(s->dir) != 0 || unlink(marker) != 0 ||
	    sync_dir(s->dir) != 0) {
		WHY("cannot finish the restore in %s: %s", s->dir,
		    strerror(errno));
		return KT_EIO;
	}
	return 0;
}

int
kt_backup_restore(kt_backup_reader_t *r, const char *dir, char *why,
    size_t cap)
{
	restore_t s = { .dir = dir };
	kt_backup_item_t it;
	char path[4096];
	size_t cur = NFILES;
	int rc;

	for (size_t i = 0; i < NFILES; i++)
		s.fd[i] = -1;
	if (kt_mkdir_p(dir, 0700) != 0) {
		WHY("cannot create %.160s: %s", dir, strerror(errno));
		return KT_EIO;
	}
	if (has_entries(dir)) {
		WHY("%s is not empty: restore into a new directory", dir);
		return KT_EEXIST;
	}
	for (;;) {
		if ((rc = kt_backup_reader_next(r, &it, why, cap)) != 0)
			goto fail;
		if (it.kind == KT_BACKUP_END)
			break;
		if (it.kind == KT_BACKUP_DATA) {
			if (cur == NFILES || (files[cur].size != 0 &&
			    s.got[cur] + it.len > files[cur].size)) {
				if (cur < NFILES)
					WHY("%s in the backup is too long",
					    files[cur].name);
				else
					WHY("a file in the backup is too long");
				rc = KT_EPROTO;
				goto fail;
			}
			if ((rc = write_all(s.fd[cur], it.data, it.len)) != 0) {
				WHY("cannot write %s in %s: %s",
				    files[cur].name, dir, strerror(errno));
				goto fail;
			}
			s.got[cur] += it.len;
			continue;
		}
		for (cur = 0; cur < NFILES; cur++)
			if (strcmp(it.name, files[cur].name) == 0)
				break;
		if (cur == NFILES || s.seen[cur]) {
			if (cur == NFILES)
				WHY("the backup holds an unknown file '%.64s'",
				    it.name);
			else
				WHY("the backup holds a second file '%.64s'",
				    it.name);
			rc = KT_EPROTO;
			goto fail;
		}
		part_path(&s, cur, 1, path, sizeof(path));
		s.fd[cur] = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);
		if (s.fd[cur] < 0) {
			WHY("cannot create %.160s: %s", path, strerror(errno));
			rc = KT_EIO;
			goto fail;
		}
		s.seen[cur] = 1;
	}
	if ((rc = finish(&s, why, cap)) == 0)
		return 0;
fail:
	drop_parts(&s);
	return rc;
}

/* ==== scheduled backups ====================================================== */

static int
file_write(void *ctx, const void *p, size_t n)
{
	return write_all(*(int *)ctx, p, n) == 0 ? 0 :
	    errno == ENOSPC ? KT_ENOSPC : KT_EIO;
}

/* The time of a scheduled backup's name, or -1 for any other name. */
static int64_t
name_time(const char *name)
{
	size_t pl = strlen(KT_BACKUP_PREFIX), sl = strlen(KT_BACKUP_SUFFIX);
	struct tm tm;
	const char *end;

	if (strlen(name) != pl + 15 + sl ||
	    strncmp(name, KT_BACKUP_PREFIX, pl) != 0 ||
	    strcmp(name + pl + 15, KT_BACKUP_SUFFIX) != 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(name + pl, "%Y%m%d-%H%M%S", &tm);
	if (end == NULL || end != name + pl + 15)
		return -1;
	return (int64_t)timegm(&tm);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The scheduled backups of dir, sorted oldest first (names sort so).
 * [out] *names malloc'd, each name too; *n of them. */
static int
list_backups(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if (d == NULL)
		return KT_EIO;
	while ((e = readdir(d)) != NULL) {
		if (name_time(e->d_name) < 0)
			continue;
		if (*n == cap) {
			char **q = realloc(v, (cap ? 2 * cap : 16) * sizeof(*q));
			if (q == NULL)
				break;
			v = q;
			cap = cap ? 2 * cap : 16;
		}
		if ((v[*n] = strdup(e->d_name)) == NULL)
			break;
		(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), cmp_str);
	*names = v;
	return 0;
}

static void
free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int64_t
kt_backup_newest(const char *dir)
{
	char **v = NULL;
	size_t n = 0;
	int64_t t = 0;

	if (list_backups(dir, &v, &n) == 0 && n > 0)
		t = name_time(v[n - 1]);
	free_names(v, n);
	return t;
}

void
kt_backup_to_dir(kt_store_t *st, const char *data, const char *dir,
    unsigned keep, const char *pass, size_t passlen, int64_t now,
    kt_backup_result_t *res)
{
	kt_backup_writer_t *w = NULL;
	char part[4096 + 8], stamp[32];
	time_t t = (time_t)now;
	struct tm tm;
	struct stat sb;
	char **v = NULL;
	size_t n = 0;
	int fd = -1;

	memset(res, 0, sizeof(*res));
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(res->file, sizeof(res->file), "%s/" KT_BACKUP_PREFIX "%s"
	    KT_BACKUP_SUFFIX, dir, stamp);
	snprintf(part, sizeof(part), "%s.part", res->file);
	fd = open(part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		res->rc = KT_EIO;
		snprintf(res->why, sizeof(res->why), "cannot create %.160s: %s",
		    part, strerror(errno));
		goto out;
	}
	if ((res->rc = kt_backup_writer_open(&w, pass, passlen, 0, 0,
	    file_write, &fd)) != 0 ||
	    (res->rc = kt_backup_make(st, data, w)) != 0) {
		snprintf(res->why, sizeof(res->why), "cannot write %.160s: %s",
		    part, res->rc == KT_ENOSPC ? KT_MSG("the disk is full") :
		    kt_strerror(res->rc));
		goto out;
	}
	/* link, not rename: a backup never replaces another (two in the
	 * same second), it fails instead. */
	if (fsync(fd) != 0 || fstat(fd, &sb) != 0 ||
	    link(part, res->file) != 0) {
		res->rc = KT_EIO;
		snprintf(res->why, sizeof(res->why), "cannot finish %.160s: %s",
		    res->file, strerror(errno));
		goto out;
	}
	res->bytes = (long long)sb.st_size;
	/* The oldest beyond keep go; the new one is among the kept. */
	if (keep > 0 && list_backups(dir, &v, &n) == 0)
		for (size_t i = 0; i + keep < n; i++) {
			char old[4096 + 300];
			snprintf(old, sizeof(old), "%s/%s", dir, v[i]);
			res->removed += unlink(old) == 0;
		}
out:
	kt_backup_writer_free(w);
	if (fd >= 0)
		close(fd);
	(void)unlink(part);           /* linked to its name, or failed */
	if (res->rc != 0)
		res->file[0] = '\0';
	free_names(v, n);
}

/* ==== the first start after a restore ======================================= */

int
kt_backup_mark_restored(MDB_txn *txn, const kt_store_dbs_t *db,
    const char *detail)
{
	MDB_val k = { strlen(KT_BACKUP_RESTORED_KEY), KT_BACKUP_RESTORED_KEY };
	MDB_val v = { strlen(detail), (void *)detail };

	return kt_store_err(mdb_put(txn, db->meta, &k, &v, 0));
}

int
kt_backup_restored_alert(kt_store_t *st, MDB_txn *txn, char *detail,
    size_t cap)
{
	const kt_store_dbs_t *db = kt_store_dbs(st);
	MDB_val k = { strlen(KT_BACKUP_RESTORED_KEY), KT_BACKUP_RESTORED_KEY };
	MDB_val v;
	kt_alert_t a = { .kind = KT_ALERT_RESTORED, .detail = detail };
	int m, rc;

	detail[0] = '\0';
	if ((m = mdb_get(txn, db->meta, &k, &v)) == MDB_NOTFOUND)
		return 0;
	if (m != 0)
		return kt_store_err(m);
	snprintf(detail, cap, "%.*s", (int)v.mv_size, (const char *)v.mv_data);
	if ((rc = kt_alert_raise(st, txn, &a, NULL)) != 0)
		return rc;
	return kt_store_err(mdb_del(txn, db->meta, &k, NULL));
}
