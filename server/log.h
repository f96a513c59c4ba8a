/* SPDX-License-Identifier: MIT */
/* The running server's log: one line per message on stderr, with a level
 * (error to debug, `log-level` drops those below), and, when stderr is
 * the systemd journal, the "<N>" prefix of sd-daemon(3) that makes the
 * journal record each line's priority. */
#ifndef KT_LOG_H
#define KT_LOG_H

#include <stdarg.h>
#include <stddef.h>

/* The syslog priorities (sd-daemon(3)'s SD_ERR ... SD_DEBUG). */
typedef enum kt_log_level {
	KT_LOG_ERR = 3,                   /* the server cannot do its job */
	KT_LOG_WARNING = 4,               /* something refused or lost */
	KT_LOG_NOTICE = 5,                /* a state change: stopping, full */
	KT_LOG_INFO = 6,                  /* routine: backups, housekeeping */
	KT_LOG_DEBUG = 7,
} kt_log_level_t;

/* The level of name ("error", "warning", "notice", "info", "debug") in
 * *out. Returns 0 or KT_EINVAL. */
int kt_log_level_parse(const char *name, kt_log_level_t *out);

/* Whether stderr is the journal: $JOURNAL_STREAM ("DEV:INODE", set by
 * systemd for a service whose output goes to the journal) names the very
 * file stderr is (so a child whose stderr was redirected is not fooled). */
int kt_log_stderr_is_journal(void);

/* kt_log_setup sets the lowest level written (max: KT_LOG_INFO shows
 * error to info) and whether lines get the journal's prefix. Called by
 * main before the server starts any thread: this pair is the one setting
 * of the process outside kt_server_t, written once, then only read (like
 * stderr itself). Until it is called: info, no prefix. */
void kt_log_setup(kt_log_level_t max, int journal);

/* kt_log formats one message (fmt without a trailing newline) and writes
 * it as one line with a single write(2), so lines from the loop, the
 * writer and the pool threads do not mix: "kartotekad: MESSAGE\n", or
 * "<N>MESSAGE\n" for the journal (which names the program itself).
 * Control characters in the message (a name from the store, a path) are
 * written as '?'; a message is cut at KT_LOG_LINE_MAX bytes. */
#define KT_LOG_LINE_MAX 2048
void kt_log(kt_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* kt_log_format is kt_log's line in buf (cap bytes, NUL-terminated),
 * for tests. Returns its length without the NUL. */
size_t kt_log_format(char *buf, size_t cap, int journal,
    kt_log_level_t level, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

#endif
