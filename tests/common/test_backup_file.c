/* SPDX-License-Identifier: MIT */
/* Tests for common/backup_file.c: files of any size round-trip through
 * records; a wrong passphrase, any changed byte, a file cut short at any
 * point, bytes after the end, a header from a newer format or with a
 * hostile key cost are each refused with their own reason, and nothing
 * of the plaintext comes out before the record that carries it has been
 * authenticated. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kt_test.h"
#include "kt_membuf.h"

#include "backup_file.h"
#include "kt_error.h"

/* Argon2id's least cost: the tests are about the format. */
#define OPS crypto_pwhash_OPSLIMIT_MIN
#define MEM crypto_pwhash_MEMLIMIT_MIN
#define PASS "correct horse battery staple"

/* A backup of two files: "server.key" (32 bytes) and "data.mdb" (n
 * bytes of a pattern). */
static kt_membuf_t
make(size_t n)
{
	/* read back in odd pieces, as a pipe gives them */
	kt_membuf_t b = { .read_max = 7000 };
	kt_backup_writer_t *w = NULL;
	uint8_t key[32], *data = malloc(n ? n : 1);

	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 31 + (i >> 8));
	memset(key, 0x5a, sizeof(key));
	assert_int_equal(kt_backup_writer_open(&w, PASS, strlen(PASS), OPS,
	    MEM, kt_membuf_write, &b), 0);
	assert_int_equal(kt_backup_writer_file(w, "server.key"), 0);
	assert_int_equal(kt_backup_writer_data(w, key, sizeof(key)), 0);
	assert_int_equal(kt_backup_writer_file(w, "data.mdb"), 0);
	/* in two calls, the first not a multiple of a chunk */
	assert_int_equal(kt_backup_writer_data(w, data, n / 3), 0);
	assert_int_equal(kt_backup_writer_data(w, data + n / 3, n - n / 3), 0);
	assert_int_equal(kt_backup_writer_close(w), 0);
	assert_int_equal(kt_backup_writer_data(w, key, 1), KT_ESTATE);
	kt_backup_writer_free(w);
	free(data);
	return b;
}

/* Reads b to its end; returns the first error (0: a good end), with
 * the bytes of data.mdb counted and checked against the pattern. */
static int
read_all(kt_membuf_t *b, const char *pass, size_t *mdb_bytes, char *why)
{
	kt_backup_reader_t *r = NULL;
	kt_backup_item_t it;
	int rc, in_mdb = 0;

	b->pos = 0;
	*mdb_bytes = 0;
	rc = kt_backup_reader_open(&r, pass, strlen(pass), kt_membuf_read, b, why,
	    200);
	while (rc == 0) {
		rc = kt_backup_reader_next(r, &it, why, 200);
		if (rc != 0 || it.kind == KT_BACKUP_END)
			break;
		if (it.kind == KT_BACKUP_FILE)
			in_mdb = strcmp(it.name, "data.mdb") == 0;
		else if (in_mdb)
			for (size_t i = 0; i < it.len; i++, (*mdb_bytes)++)
				assert_int_equal(it.data[i], (uint8_t)(*mdb_bytes *
				    31 + (*mdb_bytes >> 8)));
	}
	if (rc == 0)
		assert_int_equal(kt_backup_reader_next(r, &it, why, 200),
		    KT_ESTATE);
	kt_backup_reader_free(r);
	return rc;
}

static void
roundtrip_any_size(void **state)
{
	static const size_t sizes[] = { 0, 1, KT_BACKUP_CHUNK - 1,
		KT_BACKUP_CHUNK, KT_BACKUP_CHUNK + 1, 3 * KT_BACKUP_CHUNK + 17 };
	char why[200];

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		kt_membuf_t b = make(sizes[i]);
		size_t got = 99;

		assert_int_equal(read_all(&b, PASS, &got, why), 0);
		assert_int_equal(got, sizes[i]);
		assert_memory_equal(b.p, "KTBACKUP", 8);
		free(b.p);
	}
}

static void
wrong_passphrase(void **state)
{
	kt_membuf_t b = make(1000);
	size_t got;
	char why[200];

	(void)state;
	assert_int_equal(read_all(&b, "correct horse battery stapl", &got, why),
	    KT_ECRYPTO);
	assert_string_equal(why, "wrong passphrase, or the backup is damaged");
	assert_int_equal(got, 0);
	free(b.p);
}

/* Every single changed byte is refused, at the header or the record it
 * falls in; none gives a good end. */
static void
any_changed_byte(void **state)
{
	kt_membuf_t b = make(2 * KT_BACKUP_CHUNK + 5);
	size_t got;
	char why[200];

	(void)state;
	/* all of the header and the first record, then every 997th byte */
	for (size_t i = 0; i < b.n; i += i < 200 ? 1 : 997) {
		int rc;

		b.p[i] ^= 0x40;
		rc = read_all(&b, PASS, &got, why);
		assert_true(rc == KT_ECRYPTO || rc == KT_EPROTO || rc == KT_EIO);
		assert_true(why[0] != '\0');
		b.p[i] ^= 0x40;
	}
	assert_int_equal(read_all(&b, PASS, &got, why), 0);
	free(b.p);
}

static void
cut_short_anywhere(void **state)
{
	kt_membuf_t b = make(KT_BACKUP_CHUNK + 100);
	size_t full = b.n, got;
	char why[200];

	(void)state;
	for (size_t n = 0; n < full; n += n < 100 ? 1 : 1499) {
		int rc;

		b.n = n;
		rc = read_all(&b, PASS, &got, why);
		if (n < 8)
			assert_int_equal(rc, KT_EPROTO);   /* no magic */
		else
			assert_int_equal(rc, KT_EIO);
		assert_true(strstr(why, "cut short") != NULL || n < 8);
	}
	/* the last record missing: everything read, no end */
	b.n = full - (4 + 1 + crypto_secretstream_xchacha20poly1305_ABYTES);
	assert_int_equal(read_all(&b, PASS, &got, why), KT_EIO);
	assert_int_equal(got, KT_BACKUP_CHUNK + 100);
	assert_string_equal(why, "the backup is cut short: its end is missing");
	free(b.p);
}

static void
bytes_after_the_end(void **state)
{
	kt_membuf_t b = make(10);
	size_t got;
	char why[200];

	(void)state;
	assert_int_equal(kt_membuf_write(&b, "x", 1), 0);
	assert_int_equal(read_all(&b, PASS, &got, why), KT_EPROTO);
	assert_string_equal(why, "the backup has bytes after its end");
	free(b.p);
}

static void
hostile_headers(void **state)
{
	kt_membuf_t b = make(10);
	size_t got;
	char why[200];

	(void)state;
	b.p[8] = 2;                                /* a newer format */
	assert_int_equal(read_all(&b, PASS, &got, why), KT_EPROTO);
	assert_non_null(strstr(why, "format 2"));
	b.p[8] = 1;
	b.p[20] = 0x7f;                            /* memlimit of exabytes */
	assert_int_equal(read_all(&b, PASS, &got, why), KT_EPROTO);
	assert_non_null(strstr(why, "key cost"));
	b.p[20] = 0;
	b.p[12] = 1;                               /* opslimit 2^56 */
	assert_int_equal(read_all(&b, PASS, &got, why), KT_EPROTO);
	b.p[12] = 0;
	memcpy(b.p, "PK\3\4", 4);                  /* an xlsx, say */
	assert_int_equal(read_all(&b, PASS, &got, why), KT_EPROTO);
	assert_non_null(strstr(why, "not a Kartoteka backup"));
	free(b.p);
}

static void
writer_checks(void **state)
{
	kt_membuf_t b = { 0 };
	kt_backup_writer_t *w = NULL;
	char name[KT_BACKUP_NAME_MAX + 2];

	(void)state;
	assert_int_equal(kt_backup_writer_open(&w, "", 0, OPS, MEM, kt_membuf_write,
	    &b), KT_EINVAL);
	assert_int_equal(kt_backup_writer_open(&w, PASS, strlen(PASS), OPS,
	    (size_t)KT_BACKUP_MEMLIMIT_MAX + 1, kt_membuf_write, &b), KT_EINVAL);
	assert_null(w);
	b.fail_after = 10;                         /* the header fails */
	assert_int_equal(kt_backup_writer_open(&w, PASS, strlen(PASS), OPS,
	    MEM, kt_membuf_write, &b), KT_EIO);
	assert_null(w);
	b.fail_after = 0;
	assert_int_equal(kt_backup_writer_open(&w, PASS, strlen(PASS), OPS,
	    MEM, kt_membuf_write, &b), 0);
	assert_int_equal(kt_backup_writer_data(w, "x", 1), KT_ESTATE);
	assert_int_equal(kt_backup_writer_file(w, ""), KT_EINVAL);
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(kt_backup_writer_file(w, name), KT_EINVAL);
	kt_backup_writer_free(w);                  /* unclosed: no end */
	free(b.p);
}

/* Two backups of the same data with the same passphrase share nothing
 * after the magic and the costs: a fresh salt and stream header each. */
static void
fresh_salt_each_time(void **state)
{
	kt_membuf_t a = make(100), b = make(100);

	(void)state;
	assert_int_equal(a.n, b.n);
	assert_memory_equal(a.p, b.p, 28);
	assert_memory_not_equal(a.p + 28, b.p + 28, 16 + 24);
	free(a.p);
	free(b.p);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(roundtrip_any_size),
	cmocka_unit_test(wrong_passphrase),
	cmocka_unit_test(any_changed_byte),
	cmocka_unit_test(cut_short_anywhere),
	cmocka_unit_test(bytes_after_the_end),
	cmocka_unit_test(hostile_headers),
	cmocka_unit_test(writer_checks),
	cmocka_unit_test(fresh_salt_each_time),
};

KT_TEST_MAIN(tests)
