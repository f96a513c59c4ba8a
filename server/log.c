/* SPDX-License-Identifier: MIT */
/* The running server's log lines on stderr, with levels, in the journal's
 * format when stderr is the journal (log.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kt_error.h"
#include "log.h"

/* Written once by kt_log_setup before any thread starts (log.h). */
static struct {
	kt_log_level_t max;
	int journal;
} log_conf = { KT_LOG_INFO, 0 };

static const struct {
	const char *name;
	kt_log_level_t level;
} level_names[] = {
	{ "error", KT_LOG_ERR },
	{ "warning", KT_LOG_WARNING },
	{ "notice", KT_LOG_NOTICE },
	{ "info", KT_LOG_INFO },
	{ "debug", KT_LOG_DEBUG },
};

int
kt_log_level_parse(const char *name, kt_log_level_t *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	    i++)
		if (strcmp(name, level_names[i].name) == 0) {
			*out = level_names[i].level;
			return 0;
		}
	return KT_EINVAL;
}

int
kt_log_stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int end = 0;

	if (e == NULL || sscanf(e, "%llu:%llu%n", &dev, &ino, &end) != 2 ||
	    e[end] != '\0' || fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
kt_log_setup(kt_log_level_t max, int journal)
{
	log_conf.max = max;
	log_conf.journal = journal != 0;
}

size_t
kt_log_format(char *buf, size_t cap, int journal, kt_log_level_t level,
    const char *fmt, va_list ap)
{
	size_t n, start;
	int w;

	if (cap < 16) {
		if (cap > 0)
			buf[0] = '\0';
		return 0;
	}
	w = journal ? snprintf(buf, cap, "<%d>", (int)level) :
	    snprintf(buf, cap, "kartotekad: ");
	start = n = (size_t)w;
	w = vsnprintf(buf + n, cap - n - 1, fmt, ap);   /* room for '\n' */
	if (w > 0)
		n += (size_t)w < cap - n - 1 ? (size_t)w : cap - n - 2;
	for (size_t i = start; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

void
kt_log(kt_log_level_t level, const char *fmt, ...)
{
	char line[KT_LOG_LINE_MAX + 16];
	va_list ap;
	size_t n, off = 0;

	if (level > log_conf.max)
		return;
	va_start(ap, fmt);
	n = kt_log_format(line, sizeof(line), log_conf.journal, level, fmt, ap);
	va_end(ap);
	/* One write for the line; a short write (a full pipe) goes on. */
	while (off < n) {
		ssize_t w = write(STDERR_FILENO, line + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
}
