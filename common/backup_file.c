/* SPDX-License-Identifier: MIT */
/* The encrypted backup file: writer and reader (backup_file.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "backup_file.h"
#include "kt_error.h"

#define MAGIC "KTBACKUP"
#define MAGIC_LEN 8u
#define VERSION 1u
#define SS_HEADER crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define SS_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define SS_KEY crypto_secretstream_xchacha20poly1305_KEYBYTES
#define TAG_MESSAGE crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_FINAL crypto_secretstream_xchacha20poly1305_TAG_FINAL
/* A record's plaintext: the kind byte and at most a chunk. */
#define PLAIN_MAX (1u + KT_BACKUP_CHUNK)
#define CIPHER_MAX (PLAIN_MAX + SS_ABYTES)

_Static_assert(MAGIC_LEN + 4 + 8 + 8 + crypto_pwhash_SALTBYTES + SS_HEADER ==
    KT_BACKUP_HEADER_LEN, "the header's layout");

struct kt_backup_writer {
	kt_backup_write_fn write;
	void *ctx;
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t header[KT_BACKUP_HEADER_LEN];  /* the first record's AD */
	int first, in_file, closed;
	uint8_t plain[PLAIN_MAX];
	uint8_t out[4 + CIPHER_MAX];
};

struct kt_backup_reader {
	kt_backup_read_fn read;
	void *ctx;
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t header[KT_BACKUP_HEADER_LEN];
	int first, in_file, ended;
	unsigned long long records;
	uint8_t plain[PLAIN_MAX];
	uint8_t in[CIPHER_MAX];
};

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The key of pass for salt at the costs. Returns 0 or KT_ENOMEM. */
static int
derive(uint8_t key[SS_KEY], const void *pass, size_t passlen,
    const uint8_t *salt, unsigned long long ops, size_t mem)
{
	if (crypto_pwhash(key, SS_KEY, pass, passlen, salt, ops, mem,
	    crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_memzero(key, SS_KEY);
		return KT_ENOMEM;
	}
	return 0;
}

/* ==== writing =============================================================== */

/* Encrypts one record (kind, body) with tag and writes it. */
static int
push(kt_backup_writer_t *w, uint8_t kind, const void *body, size_t len,
    unsigned char tag)
{
	unsigned long long clen = 0;

	w->plain[0] = kind;
	if (len > 0)
		memcpy(w->plain + 1, body, len);
	if (crypto_secretstream_xchacha20poly1305_push(&w->st, w->out + 4,
	    &clen, w->plain, 1 + len, w->first ? w->header : NULL,
	    w->first ? sizeof(w->header) : 0, tag) != 0)
		return KT_ECRYPTO;
	w->first = 0;
	w->out[0] = (uint8_t)(clen >> 24);
	w->out[1] = (uint8_t)(clen >> 16);
	w->out[2] = (uint8_t)(clen >> 8);
	w->out[3] = (uint8_t)clen;
	sodium_memzero(w->plain, 1 + len);
	return w->write(w->ctx, w->out, 4 + (size_t)clen);
}

int
kt_backup_writer_open(kt_backup_writer_t **out, const void *pass,
    size_t passlen, unsigned long long opslimit, size_t memlimit,
    kt_backup_write_fn write, void *ctx)
{
	kt_backup_writer_t *w = NULL;
	uint8_t key[SS_KEY], *salt;
	int rc;

	*out = NULL;
	if (opslimit == 0 && memlimit == 0) {
		opslimit = KT_BACKUP_OPSLIMIT;
		memlimit = KT_BACKUP_MEMLIMIT;
	}
	if (pass == NULL || passlen == 0 ||
	    passlen > crypto_pwhash_PASSWD_MAX ||
	    opslimit < crypto_pwhash_OPSLIMIT_MIN ||
	    opslimit > KT_BACKUP_OPSLIMIT_MAX ||
	    memlimit < crypto_pwhash_MEMLIMIT_MIN ||
	    memlimit > KT_BACKUP_MEMLIMIT_MAX)
		return KT_EINVAL;
	if (sodium_init() < 0)
		return KT_ECRYPTO;
	if ((w = sodium_malloc(sizeof(*w))) == NULL)
		return KT_ENOMEM;
	memset(w, 0, sizeof(*w));
	w->write = write;
	w->ctx = ctx;
	w->first = 1;
	memcpy(w->header, MAGIC, MAGIC_LEN);
	w->header[MAGIC_LEN] = VERSION;
	put_be64(w->header + 12, opslimit);
	put_be64(w->header + 20, (uint64_t)memlimit);
	salt = w->header + 28;
	randombytes_buf(salt, crypto_pwhash_SALTBYTES);
	if ((rc = derive(key, pass, passlen, salt, opslimit, memlimit)) != 0)
		goto out;
	crypto_secretstream_xchacha20poly1305_init_push(&w->st,
	    w->header + 28 + crypto_pwhash_SALTBYTES, key);
	sodium_memzero(key, sizeof(key));
	if ((rc = write(ctx, w->header, sizeof(w->header))) != 0)
		goto out;
	*out = w;
	w = NULL;
out:
	kt_backup_writer_free(w);
	return rc;
}

int
kt_backup_writer_file(kt_backup_writer_t *w, const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (w->closed)
		return KT_ESTATE;
	if (n == 0 || n > KT_BACKUP_NAME_MAX)
		return KT_EINVAL;
	w->in_file = 1;
	return push(w, KT_BACKUP_FILE, name, n, TAG_MESSAGE);
}

int
kt_backup_writer_data(kt_backup_writer_t *w, const void *p, size_t n)
{
	const uint8_t *b = p;
	int rc;

	if (w->closed || !w->in_file)
		return KT_ESTATE;
	while (n > 0) {
		size_t k = n < KT_BACKUP_CHUNK ? n : KT_BACKUP_CHUNK;
		if ((rc = push(w, KT_BACKUP_DATA, b, k, TAG_MESSAGE)) != 0)
			return rc;
		b += k;
		n -= k;
	}
	return 0;
}

int
kt_backup_writer_close(kt_backup_writer_t *w)
{
	int rc;

	if (w->closed)
		return KT_ESTATE;
	rc = push(w, KT_BACKUP_END, NULL, 0, TAG_FINAL);
	w->closed = 1;
	return rc;
}

void
kt_backup_writer_free(kt_backup_writer_t *w)
{
	if (w != NULL)
		sodium_free(w);   /* wipes the state before freeing */
}

/* ==== reading =============================================================== */

#define WHY(...) (void)snprintf(why, cap, __VA_ARGS__)

/* Reads exactly n bytes. Returns n, fewer at the end of the input, or a
 * negative KT_E* code. */
static long
read_full(kt_backup_reader_t *r, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		long k = r->read(r->ctx, (uint8_t *)p + got, n - got);
		if (k < 0)
			return k;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (long)got;
}

int
kt_backup_reader_open(kt_backup_reader_t **out, const void *pass,
    size_t passlen, kt_backup_read_fn read, void *ctx, char *why,
    size_t cap)
{
	kt_backup_reader_t *r = NULL;
	uint8_t key[SS_KEY];
	unsigned long long ops;
	uint64_t mem;
	long got;
	int rc = KT_EPROTO;

	*out = NULL;
	WHY("%s", "");
	if (sodium_init() < 0)
		return KT_ECRYPTO;
	if ((r = sodium_malloc(sizeof(*r))) == NULL)
		return KT_ENOMEM;
	memset(r, 0, sizeof(*r));
	r->read = read;
	r->ctx = ctx;
	r->first = 1;
	if ((got = read_full(r, r->header, sizeof(r->header))) < 0) {
		rc = (int)got;
		WHY("cannot read the backup: %s", kt_strerror(rc));
		goto out;
	}
	if (got < MAGIC_LEN || memcmp(r->header, MAGIC, MAGIC_LEN) != 0) {
		WHY("not a Kartoteka backup (no KTBACKUP at its start)");
		goto out;
	}
	if ((size_t)got < sizeof(r->header)) {
		rc = KT_EIO;
		WHY("the backup is cut short: its header is incomplete");
		goto out;
	}
	if (r->header[MAGIC_LEN] != VERSION) {
		WHY("the backup is of format %u, this version reads format %u: "
		    "restore it with a newer kartotekad",
		    (unsigned)r->header[MAGIC_LEN], VERSION);
		goto out;
	}
	ops = get_be64(r->header + 12);
	mem = get_be64(r->header + 20);
	if (r->header[9] != 0 || r->header[10] != 0 || r->header[11] != 0 ||
	    ops < crypto_pwhash_OPSLIMIT_MIN || ops > KT_BACKUP_OPSLIMIT_MAX ||
	    mem < crypto_pwhash_MEMLIMIT_MIN || mem > KT_BACKUP_MEMLIMIT_MAX) {
		WHY("the backup's header is damaged (its key cost is out of "
		    "range)");
		goto out;
	}
	if (pass == NULL || passlen == 0 || passlen > crypto_pwhash_PASSWD_MAX) {
		rc = KT_EINVAL;
		WHY("the passphrase is empty");
		goto out;
	}
	if ((rc = derive(key, pass, passlen, r->header + 28, ops,
	    (size_t)mem)) != 0) {
		WHY("not enough memory to derive the key");
		goto out;
	}
	rc = crypto_secretstream_xchacha20poly1305_init_pull(&r->st,
	    r->header + 28 + crypto_pwhash_SALTBYTES, key) == 0 ? 0 :
	    KT_ECRYPTO;
	sodium_memzero(key, sizeof(key));
	if (rc != 0) {
		WHY("the backup's header is damaged");
		goto out;
	}
	*out = r;
	r = NULL;
out:
	kt_backup_reader_free(r);
	return rc;
}

int
kt_backup_reader_next(kt_backup_reader_t *r, kt_backup_item_t *item,
    char *why, size_t cap)
{
	uint8_t len4[4], extra;
	unsigned long long plen = 0;
	unsigned char tag = 0;
	size_t clen, body;
	long got;

	WHY("%s", "");
	memset(item, 0, sizeof(*item));
	if (r->ended)
		return KT_ESTATE;
	if ((got = read_full(r, len4, sizeof(len4))) < 0) {
		WHY("cannot read the backup: %s", kt_strerror((int)got));
		return (int)got;
	}
	if (got < (long)sizeof(len4)) {
		WHY("the backup is cut short: its end is missing");
		return KT_EIO;
	}
	clen = (size_t)len4[0] << 24 | (size_t)len4[1] << 16 |
	    (size_t)len4[2] << 8 | len4[3];
	if (clen < 1 + SS_ABYTES || clen > CIPHER_MAX) {
		WHY("record %llu of the backup is damaged (length %zu)",
		    r->records + 1, clen);
		return KT_EPROTO;
	}
	if ((got = read_full(r, r->in, clen)) < 0) {
		WHY("cannot read the backup: %s", kt_strerror((int)got));
		return (int)got;
	}
	if ((size_t)got < clen) {
		WHY("the backup is cut short in record %llu", r->records + 1);
		return KT_EIO;
	}
	if (crypto_secretstream_xchacha20poly1305_pull(&r->st, r->plain, &plen,
	    &tag, r->in, clen, r->first ? r->header : NULL,
	    r->first ? sizeof(r->header) : 0) != 0) {
		if (r->first)
			WHY("wrong passphrase, or the backup is damaged");
		else
			WHY("the backup is damaged at record %llu",
			    r->records + 1);
		return KT_ECRYPTO;
	}
	r->first = 0;
	r->records++;
	body = (size_t)plen - 1;
	switch (r->plain[0]) {
	case KT_BACKUP_FILE:
		if (tag != TAG_MESSAGE || body == 0 ||
		    body > KT_BACKUP_NAME_MAX ||
		    memchr(r->plain + 1, '\0', body) != NULL)
			goto bad;
		item->kind = KT_BACKUP_FILE;
		memcpy(item->name, r->plain + 1, body);
		item->name[body] = '\0';
		r->in_file = 1;
		return 0;
	case KT_BACKUP_DATA:
		if (tag != TAG_MESSAGE || body == 0 || !r->in_file)
			goto bad;
		item->kind = KT_BACKUP_DATA;
		item->data = r->plain + 1;
		item->len = body;
		return 0;
	case KT_BACKUP_END:
		if (tag != TAG_FINAL || body != 0)
			goto bad;
		r->ended = 1;
		if ((got = read_full(r, &extra, 1)) != 0) {
			WHY("the backup has bytes after its end");
			return got < 0 ? (int)got : KT_EPROTO;
		}
		item->kind = KT_BACKUP_END;
		return 0;
	default:
		break;
	}
bad:
	WHY("record %llu of the backup is out of place or malformed",
	    r->records);
	return KT_EPROTO;
}

void
kt_backup_reader_free(kt_backup_reader_t *r)
{
	if (r != NULL)
		sodium_free(r);   /* wipes the state and plaintext */
}
