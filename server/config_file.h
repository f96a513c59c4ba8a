/* SPDX-License-Identifier: MIT */
/* The configuration file of `kartotekad run` (kartotekad.conf(5)): its
 * lines read into (line, key, value) entries, checked for syntax, known
 * keys and duplicates. What a value means is the command line's business:
 * main.c hands each entry to the same code as the option of that name. */
#ifndef KT_CONFIG_FILE_H
#define KT_CONFIG_FILE_H

#include <stddef.h>

#define KT_CONFIG_FILE_MAX (1u << 20)  /* bytes of the whole file */
#define KT_CONFIG_LINE_MAX 4096        /* bytes of one line, without '\n' */

typedef struct kt_config_entry {
	unsigned line;                    /* 1-based line number */
	char *key;                        /* owned by the kt_config_file_t */
	char *value;                      /* likewise; quotes removed */
} kt_config_entry_t;

typedef struct kt_config_file {
	char *path;                       /* as given, for messages */
	kt_config_entry_t *entries;       /* in file order, n of them */
	size_t n;
} kt_config_file_t;

/* kt_config_file_parse reads the text of a configuration file.
 *   [in]  path    the file's name, used only in messages
 *   [in]  text    len bytes, any content (NUL bytes, no final newline)
 *   [in]  keys    the known keys, NULL-terminated
 *   [out] out     the entries; the caller frees with kt_config_file_free
 *   [out] err     on failure, "PATH:LINE: problem" (errcap bytes)
 * Syntax: one `key = value` a line, spaces and tabs around key and value
 * ignored; blank lines and lines whose first non-blank is '#' skipped; a
 * value in double quotes has them removed (nothing inside is special), so
 * it may start or end with spaces. Returns 0, KT_EINVAL (a line too long,
 * a NUL or control character, no '=', an empty key or value, an unknown
 * key, a key given twice: err names both lines, an unclosed quote, a file
 * over KT_CONFIG_FILE_MAX) or KT_ENOMEM; nothing is returned on failure. */
int kt_config_file_parse(const char *path, const char *text, size_t len,
    const char *const *keys, kt_config_file_t **out, char *err,
    size_t errcap);

/* kt_config_file_read is kt_config_file_parse of the file at path. Also
 * returns KT_ENOTFOUND when the file does not exist and KT_EIO when it
 * cannot be read (err says why). */
int kt_config_file_read(const char *path, const char *const *keys,
    kt_config_file_t **out, char *err, size_t errcap);

/* Frees c and every string of it; NULL is fine. */
void kt_config_file_free(kt_config_file_t *c);

#endif
