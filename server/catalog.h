/* SPDX-License-Identifier: MIT */
/*
 * catalog: the server's message catalogues. It answers many people at
 * once, each in the language their client named in ClientHello, so it
 * cannot use gettext (one language per process, and only for locales the
 * system happens to have generated). It reads the same GNU .mo files the
 * clients use (po/LANG.po compiled by CMake) itself, and translates a
 * message after it was formatted in English.
 *
 * Why after: the messages are made deep in the model (kt_verdict_set, the
 * card builders' snprintf into err/cap) and on the writer thread, which
 * know nothing of the connection. Rather than thread a language through
 * every one of them, kt_catalog_translate matches the English message
 * against the catalogue's formats ("no client %<PRIu64>" matches "no
 * client 42"), takes the text each conversion printed, and puts it into
 * the translated format in its place (positional "%2$s" too). Nested
 * messages ("people[0]: %s" around a verdict's text) are translated the
 * same way, a few levels deep. Nothing is formatted with a translated
 * format string, so a bad catalogue can give a wrong text but never read
 * an argument that is not there. The codes and Error.field of an answer
 * are never translated: scripts read those.
 *
 * A catalogue is read-only once loaded: it is shared by the loop, the
 * writer and the pool threads without a lock.
 */
#ifndef KT_CATALOG_H
#define KT_CATALOG_H

#include <stddef.h>
#include <stdint.h>

/* KT_MSG("...") marks an English message that the code formats itself
 * (snprintf into an err buffer) so that xgettext collects it into the
 * catalogue (po/KEYWORDS); the functions that answer with a format
 * (kt_req_fail, kt_verdict_set, ...) are collected without a mark. */
#define KT_MSG(s) s

typedef struct kt_catalog kt_catalog_t;

/*
 * kt_catalog_new: an empty set of catalogues (every message stays
 * English). The caller frees it with kt_catalog_free. NULL when out of
 * memory.
 */
kt_catalog_t *kt_catalog_new(void);

/*
 * kt_catalog_load_file: reads the .mo file path as the catalogue of lang
 * ("ru": 2 or 3 lower-case letters), replacing one loaded for it before.
 * Returns 0, or -1 with err naming the file and the problem (the file is
 * missing, not a .mo, damaged: every offset and length is checked; c
 * unchanged).
 */
int kt_catalog_load_file(kt_catalog_t *c, const char *lang, const char *path,
    char *err, size_t cap);

/*
 * kt_catalog_load_mem: the same from len bytes at data (copied). For the
 * tests and the fuzzer.
 */
int kt_catalog_load_mem(kt_catalog_t *c, const char *lang,
    const uint8_t *data, size_t len, char *err, size_t cap);

/*
 * kt_catalog_load_dir: loads DIR/LANG/LC_MESSAGES/kartoteka.mo for every
 * language in langs (separated by spaces or ';'). A language whose file
 * cannot be read is left English; err then names the first such problem
 * (for a warning in the log). Returns the number of languages loaded.
 */
int kt_catalog_load_dir(kt_catalog_t *c, const char *dir, const char *langs,
    char *err, size_t cap);

/* 1 when lang has a catalogue loaded. */
int kt_catalog_has(const kt_catalog_t *c, const char *lang);

/*
 * kt_catalog_translate: msg (formatted English) in lang. Returns msg
 * itself when lang is NULL, "", "en", has no catalogue, or no entry of it
 * matches; otherwise out (cap bytes, NUL-terminated, cut on a UTF-8
 * character boundary when it does not fit). c may be NULL.
 */
const char *kt_catalog_translate(const kt_catalog_t *c, const char *lang,
    const char *msg, char *out, size_t cap);

/* Frees c and everything it loaded. NULL is accepted. */
void kt_catalog_free(kt_catalog_t *c);

#endif
