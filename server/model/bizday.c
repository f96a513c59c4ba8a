/* SPDX-License-Identifier: MIT */
/* Time zones from TZif files and the business day (bizday.h). The TZif
 * format is RFC 8536: a version 1 block of 32-bit times, then (version 2
 * and later) the same data with 64-bit times and a footer with a POSIX
 * TZ rule for times after the last transition. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "kt_error.h"
#include "model/bizday.h"
#include "model/branch_store.h"

#define TZ_FILE_MAX (256u * 1024u)
#define TZ_NAME_MAX 64u

struct kt_tz {
	char name[TZ_NAME_MAX + 1];
	size_t n;                /* transitions */
	int64_t *at;             /* [n] unix times, ascending */
	int32_t *off;            /* [n] offset from at[i] on */
	int32_t first;           /* offset before the first transition */
	int32_t last;            /* offset after the last (see kt_tz_offset) */
};

/* ---- reading a TZif file -------------------------------------------------- */

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64s(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* An IANA name: letters, digits and "/_-+", no "..", not absolute. */
static int
zone_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > TZ_NAME_MAX || name[0] == '/' ||
	    strstr(name, "..") != NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '/' || ch == '_' ||
		    ch == '-' || ch == '+'))
			return 0;
	}
	return 1;
}

/* The offset of a POSIX TZ rule without daylight saving time ("MSK-3",
 * "<+10>-10", "UTC0"): *off seconds east. Returns 0 when the rule has
 * daylight saving time or is not understood. */
static int
footer_fixed(const char *s, size_t len, int32_t *off)
{
	size_t i = 0;
	long h = 0, m = 0, sec = 0;
	int sign = 1, have = 0;

	if (i < len && s[i] == '<') {
		while (i < len && s[i] != '>')
			i++;
		i++;
	} else {
		while (i < len && ((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z')))
			i++;
	}
	if (i >= len)
		return 0;
	if (s[i] == '+' || s[i] == '-')
		sign = s[i++] == '-' ? -1 : 1;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		h = h * 10 + (s[i++] - '0');
		have = 1;
	}
	if (i < len && s[i] == ':') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			m = m * 10 + (s[i] - '0');
		if (i < len && s[i] == ':')
			for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
				sec = sec * 10 + (s[i] - '0');
	}
	if (!have || i != len || h > 167)
		return 0;
	/* POSIX offsets are west of UTC: "MSK-3" is three hours east. */
	*off = (int32_t)(-sign * (h * 3600 + m * 60 + sec));
	return 1;
}

/* Parses the TZif data p[len] into tz. Returns 0 or KT_EINVAL, KT_ENOMEM. */
static int
parse_tzif(const uint8_t *p, size_t len, kt_tz_t *tz)
{
	size_t tsz = 4, pos = 0, cnt[6], need;
	const uint8_t *times, *idx, *types, *end = p + len;
	int32_t fixed;

	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return KT_EINVAL;
	for (int pass = 0; pass < 2; pass++) {
		const uint8_t *h = p + pos;
		if ((size_t)(end - h) < 44 || memcmp(h, "TZif", 4) != 0)
			return KT_EINVAL;
		for (int i = 0; i < 6; i++)
			cnt[i] = be32(h + 20 + 4 * i);
		/* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
		if (cnt[3] > 100000 || cnt[4] == 0 || cnt[4] > 256 ||
		    cnt[2] > 10000 || cnt[5] > 10000)
			return KT_EINVAL;
		need = cnt[3] * tsz + cnt[3] + cnt[4] * 6 + cnt[5] +
		    cnt[2] * (tsz + 4) + cnt[1] + cnt[0];
		if ((size_t)(end - h) - 44 < need)
			return KT_EINVAL;
		if (pass == 0 && h[4] >= '2') {
			/* Skip the 32-bit block: the 64-bit one follows. */
			pos += 44 + need;
			tsz = 8;
			continue;
		}
		times = h + 44;
		idx = times + cnt[3] * tsz;
		types = idx + cnt[3];
		pos = (size_t)(h + 44 + need - p);
		break;
	}
	tz->n = cnt[3];
	tz->at = calloc(tz->n + 1, sizeof(*tz->at));
	tz->off = calloc(tz->n + 1, sizeof(*tz->off));
	if (tz->at == NULL || tz->off == NULL)
		return KT_ENOMEM;
	for (size_t i = 0; i < tz->n; i++) {
		if (idx[i] >= cnt[4])
			return KT_EINVAL;
		tz->at[i] = tsz == 8 ? be64s(times + 8 * i) :
		    (int64_t)(int32_t)be32(times + 4 * i);
		if (i > 0 && tz->at[i] <= tz->at[i - 1])
			return KT_EINVAL;
		tz->off[i] = (int32_t)be32(types + 6 * idx[i]);
	}
	/* Before the first transition: the first standard-time type (RFC
	 * 8536 3.2: type 0 is the local time type for such times). */
	tz->first = (int32_t)be32(types);
	tz->last = tz->n ? tz->off[tz->n - 1] : tz->first;
	/* The footer: "\n" rule "\n" after the 64-bit block. */
	if (tsz == 8 && pos < len && p[pos] == '\n') {
		const uint8_t *nl = memchr(p + pos + 1, '\n', len - pos - 1);
		if (nl != NULL && footer_fixed((const char *)p + pos + 1,
		    (size_t)(nl - (p + pos + 1)), &fixed))
			tz->last = fixed;
	}
	return 0;
}

int
kt_tz_load(const char *zoneinfo, const char *name, kt_tz_t **out,
    char *err, size_t cap)
{
	char path[512];
	kt_tz_t *tz = NULL;
	uint8_t *buf = NULL;
	struct stat sb;
	ssize_t got;
	int fd = -1, rc;

	*out = NULL;
	if (name == NULL)
		name = "";
	if (name[0] != '\0' && !zone_name_ok(name)) {
		snprintf(err, cap, KT_MSG("time zone '%.64s': not a zone name (like "
		    "Europe/Moscow)"), name);
		return KT_EINVAL;
	}
	if ((tz = calloc(1, sizeof(*tz))) == NULL)
		return KT_ENOMEM;
	snprintf(tz->name, sizeof(tz->name), "%s", name);
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0) {
		*out = tz;      /* no file needed: all offsets 0 */
		return 0;
	}
	if (name[0] == '\0')
		snprintf(path, sizeof(path), "/etc/localtime");
	else
		snprintf(path, sizeof(path), "%s/%s",
		    zoneinfo ? zoneinfo : "/usr/share/zoneinfo", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && name[0] == '\0' && errno == ENOENT) {
		*out = tz;      /* no /etc/localtime: the system runs on UTC */
		return 0;
	}
	if (fd < 0) {
		snprintf(err, cap, KT_MSG("time zone '%.64s': %s"), name[0] ? name :
		    "(system)", errno == ENOENT ? KT_MSG("no such zone in the tz "
		    "database (is tzdata installed?)") : strerror(errno));
		rc = errno == ENOENT ? KT_ENOTFOUND : KT_EINVAL;
		goto out;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > (off_t)TZ_FILE_MAX || sb.st_size < 44) {
		snprintf(err, cap, KT_MSG("time zone '%.64s': not a zone file"), name);
		rc = KT_EINVAL;
		goto out;
	}
	if ((buf = malloc((size_t)sb.st_size)) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	got = read(fd, buf, (size_t)sb.st_size);
	if (got != (ssize_t)sb.st_size ||
	    (rc = parse_tzif(buf, (size_t)got, tz)) == KT_EINVAL) {
		snprintf(err, cap, KT_MSG("time zone '%.64s': not a valid TZif file"),
		    name);
		rc = KT_EINVAL;
		goto out;
	}
	if (rc != 0)
		goto out;
	*out = tz;
	tz = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	kt_tz_free(tz);
	return rc;
}

void
kt_tz_free(kt_tz_t *tz)
{
	if (tz == NULL)
		return;
	free(tz->at);
	free(tz->off);
	free(tz);
}

const char *
kt_tz_name(const kt_tz_t *tz)
{
	return tz->name;
}

int32_t
kt_tz_offset(const kt_tz_t *tz, int64_t t)
{
	size_t lo = 0, hi = tz->n;

	if (tz->n == 0)
		return tz->last;
	if (t < tz->at[0])
		return tz->first;
	if (t >= tz->at[tz->n - 1])
		return tz->last;
	/* The last transition at or before t. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->off[lo];
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

uint32_t
kt_tz_day(const kt_tz_t *tz, int64_t t, int64_t *day_end)
{
	int64_t day = floor_div(t + kt_tz_offset(tz, t), 86400);

	if (day_end != NULL) {
		/* The next midnight, in the offset in force then. */
		int64_t guess = (day + 1) * 86400 - kt_tz_offset(tz, t);
		*day_end = (day + 1) * 86400 - kt_tz_offset(tz, guess);
		if (*day_end <= t)
			*day_end = guess;
	}
	return day < 0 ? 0 : (uint32_t)day;
}

unsigned
kt_tz_minute(const kt_tz_t *tz, int64_t t)
{
	int64_t local = t + kt_tz_offset(tz, t);

	return (unsigned)((local - floor_div(local, 86400) * 86400) / 60);
}

/* ---- the cache ------------------------------------------------------------- */

#define CACHE_MAX 64u

struct kt_tzcache {
	pthread_mutex_t mu;
	char *zoneinfo;               /* NULL: the default directory */
	kt_tz_t *def;
	size_t n;
	kt_tz_t *zones[CACHE_MAX];
};

int
kt_tzcache_new(const char *zoneinfo, const char *default_name,
    kt_tzcache_t **out, char *err, size_t cap)
{
	kt_tzcache_t *c;
	int rc;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return KT_ENOMEM;
	pthread_mutex_init(&c->mu, NULL);
	if (zoneinfo != NULL && (c->zoneinfo = strdup(zoneinfo)) == NULL) {
		kt_tzcache_free(c);
		return KT_ENOMEM;
	}
	if ((rc = kt_tz_load(c->zoneinfo, default_name, &c->def, err,
	    cap)) != 0) {
		kt_tzcache_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void
kt_tzcache_free(kt_tzcache_t *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		kt_tz_free(c->zones[i]);
	kt_tz_free(c->def);
	free(c->zoneinfo);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* The cached zone name, or NULL. Called with c->mu held. */
static const kt_tz_t *
cached(const kt_tzcache_t *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->zones[i]->name, name) == 0)
			return c->zones[i];
	return NULL;
}

int
kt_tzcache_check(kt_tzcache_t *c, const char *name, char *err, size_t cap)
{
	kt_tz_t *tz = NULL;
	int rc = 0;

	if (name == NULL || name[0] == '\0')
		return 0;
	pthread_mutex_lock(&c->mu);
	if (cached(c, name) == NULL) {
		rc = kt_tz_load(c->zoneinfo, name, &tz, err, cap);
		if (rc == 0 && c->n < CACHE_MAX)
			c->zones[c->n++] = tz;
		else
			kt_tz_free(tz);  /* a full cache still validates */
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}

const kt_tz_t *
kt_tzcache_get(kt_tzcache_t *c, const char *name)
{
	const kt_tz_t *tz;
	char err[160];

	if (name == NULL || name[0] == '\0')
		return c->def;
	pthread_mutex_lock(&c->mu);
	tz = cached(c, name);
	pthread_mutex_unlock(&c->mu);
	if (tz == NULL && kt_tzcache_check(c, name, err, sizeof(err)) == 0) {
		pthread_mutex_lock(&c->mu);
		tz = cached(c, name);
		pthread_mutex_unlock(&c->mu);
	}
	return tz != NULL ? tz : c->def;
}

const kt_tz_t *
kt_bizday_branch_zone(kt_tzcache_t *c, MDB_txn *txn,
    const kt_store_dbs_t *db, uint64_t branch)
{
	Ktstore__BranchRecord *b = NULL;
	const kt_tz_t *tz = c->def;

	if (branch != 0 && kt_branch_get(txn, db, branch, &b) == 0) {
		tz = kt_tzcache_get(c, b->time_zone);
		protobuf_c_message_free_unpacked(&b->base, NULL);
	}
	return tz;
}

const kt_tz_t *
kt_bizday_zone(kt_tzcache_t *c, MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_user_t *u)
{
	return kt_bizday_branch_zone(c, txn, db,
	    u->nbranches ? u->branches[0] : 0);
}
