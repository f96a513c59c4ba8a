/* SPDX-License-Identifier: MIT */
/* The encrypted backup file (docs/BACKUP.md): a passphrase-derived key
 * (Argon2id, crypto_pwhash) and libsodium's secretstream
 * (XChaCha20-Poly1305) over a sequence of records: named files, their
 * data in pieces, and an end. Only libsodium's primitives, composed as
 * its documentation says; nothing of our own invention.
 *
 * A file is
 *   header   "KTBACKUP" | version 1 | 3 zero bytes | opslimit BE64 |
 *            memlimit BE64 | salt (16) | secretstream header (24)
 *   messages BE32 length | secretstream ciphertext of that length, each
 *            one record; the header is the additional data of the first,
 *            so a changed parameter fails the first message
 * and a record's plaintext is a kind byte and its body:
 *   'F' name (1..255 bytes)        a file starts
 *   'D' bytes (1..KT_BACKUP_CHUNK)  data of the current file
 *   'Z' (empty, tag FINAL)          the end: nothing may follow
 * Writing and reading go through the caller's functions, so the same
 * code writes to a file, a pipe or a connection. Secrets (the key, the
 * stream state) are wiped when a writer or reader is freed. */
#ifndef KT_BACKUP_FILE_H
#define KT_BACKUP_FILE_H

#include <stddef.h>
#include <stdint.h>

#define KT_BACKUP_HEADER_LEN 68u
#define KT_BACKUP_CHUNK 65536u     /* data bytes in one record at most */
#define KT_BACKUP_NAME_MAX 255u

/* Argon2id's cost: what kt_backup_writer_open uses (a backup is made
 * rarely and must resist guessing), and the most a reader accepts from a
 * file's header before it allocates anything (a hostile file must not
 * make the server spend gigabytes). */
#define KT_BACKUP_OPSLIMIT 3u
#define KT_BACKUP_MEMLIMIT (256u << 20)
#define KT_BACKUP_OPSLIMIT_MAX 16u
#define KT_BACKUP_MEMLIMIT_MAX (1024u << 20)

/* Writes all n bytes of p; returns 0 or a KT_E* code. */
typedef int (*kt_backup_write_fn)(void *ctx, const void *p, size_t n);
/* Reads up to n bytes into p; returns how many (0 at the end) or a
 * negative KT_E* code. */
typedef long (*kt_backup_read_fn)(void *ctx, void *p, size_t n);

typedef struct kt_backup_writer kt_backup_writer_t;
typedef struct kt_backup_reader kt_backup_reader_t;

/* kt_backup_writer_open derives the key from pass (passlen bytes, any
 * bytes; at least 1) with a fresh salt at cost opslimit/memlimit (0, 0:
 * KT_BACKUP_OPSLIMIT and KT_BACKUP_MEMLIMIT) and writes the header.
 *   [out] *w  the caller's: kt_backup_writer_free
 * Returns 0, KT_EINVAL (empty passphrase, costs out of range),
 * KT_ENOMEM (also when Argon2id cannot have its memory), or write's
 * code. */
int kt_backup_writer_open(kt_backup_writer_t **w, const void *pass,
    size_t passlen, unsigned long long opslimit, size_t memlimit,
    kt_backup_write_fn write, void *ctx);

/* Starts file name (1..KT_BACKUP_NAME_MAX bytes, no NUL); the data that
 * follows is its. Returns 0, KT_EINVAL, KT_ESTATE (closed), or write's
 * code. */
int kt_backup_writer_file(kt_backup_writer_t *w, const char *name);

/* Appends n bytes (any n, cut into records) to the current file.
 * Returns 0, KT_ESTATE (no file started, or closed), or write's code. */
int kt_backup_writer_data(kt_backup_writer_t *w, const void *p, size_t n);

/* Writes the end record. Returns 0, KT_ESTATE, or write's code. */
int kt_backup_writer_close(kt_backup_writer_t *w);

/* Wipes and frees w; NULL is accepted. A writer freed before its close
 * leaves a file every reader refuses as cut short. */
void kt_backup_writer_free(kt_backup_writer_t *w);

/* What kt_backup_reader_next read. */
typedef enum kt_backup_kind {
	KT_BACKUP_FILE = 'F',         /* name: a file starts */
	KT_BACKUP_DATA = 'D',         /* data, len: the current file's */
	KT_BACKUP_END = 'Z',          /* the end, checked: nothing follows */
} kt_backup_kind_t;

typedef struct kt_backup_item {
	kt_backup_kind_t kind;
	char name[KT_BACKUP_NAME_MAX + 1];   /* FILE */
	const uint8_t *data;          /* DATA: valid until the next call */
	size_t len;
} kt_backup_item_t;

/* kt_backup_reader_open reads and checks the header and derives the key
 * from pass. The passphrase is checked with the first record (by
 * kt_backup_reader_next), since a header alone cannot tell.
 *   [out] *r   the caller's: kt_backup_reader_free
 *   [out] why  on an error, cap bytes saying what is wrong, for a person
 *              ("not a Kartoteka backup", "made by a newer version")
 * Returns 0, KT_EPROTO (not a backup, a version or cost out of range),
 * KT_EIO (cut short, or read's error), KT_ENOMEM. */
int kt_backup_reader_open(kt_backup_reader_t **r, const void *pass,
    size_t passlen, kt_backup_read_fn read, void *ctx, char *why,
    size_t cap);

/* Reads the next record into *item. Returns 0, KT_ECRYPTO (a wrong
 * passphrase, or a changed byte), KT_EPROTO (a record out of order or
 * malformed, bytes after the end), KT_EIO (cut short: no end record),
 * KT_ENOMEM; why as above. After KT_BACKUP_END, another call is
 * KT_ESTATE. */
int kt_backup_reader_next(kt_backup_reader_t *r, kt_backup_item_t *item,
    char *why, size_t cap);

/* Wipes and frees r; NULL is accepted. */
void kt_backup_reader_free(kt_backup_reader_t *r);

#endif
