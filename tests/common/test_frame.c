/* SPDX-License-Identifier: MIT */
/* Tests for common/frame.c: header encoding and the incremental reader. */
#include "kt_test.h"

#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "kt_error.h"

static kt_frame_reader_t *
reader_new(void)
{
	kt_frame_reader_t *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	return r;
}

static void
header_encode(void **state)
{
	uint8_t h[2];

	(void)state;
	assert_int_equal(kt_frame_put_header(h, 1), 0);
	assert_int_equal(h[0], 0x00);
	assert_int_equal(h[1], 0x01);
	assert_int_equal(kt_frame_put_header(h, 0x0102), 0);
	assert_int_equal(h[0], 0x01);
	assert_int_equal(h[1], 0x02);
	assert_int_equal(kt_frame_put_header(h, 256), 0);
	assert_int_equal(h[0], 0x01);
	assert_int_equal(h[1], 0x00);
	assert_int_equal(kt_frame_put_header(h, 65535), 0);
	assert_int_equal(h[0], 0xff);
	assert_int_equal(h[1], 0xff);
	assert_int_equal(kt_frame_put_header(h, 0), KT_EINVAL);
	assert_int_equal(kt_frame_put_header(h, 65536), KT_ETOOBIG);
	assert_int_equal(kt_frame_put_header(h, (size_t)-1), KT_ETOOBIG);
}

static void
zero_length(void **state)
{
	static const uint8_t data[] = { 0x00, 0x00, 0x41 };
	const uint8_t *f = NULL;
	size_t used = 99, flen = 0;
	kt_frame_reader_t *r = reader_new();

	(void)state;
	assert_int_equal(kt_frame_reader_feed(r, data, sizeof(data), &used, &f,
	    &flen), KT_EPROTO);
	assert_int_equal(used, 2);
	free(r);
}

/* The largest frame, 65535 bytes, in one feed and in two halves. */
static void
max_frame(void **state)
{
	size_t total = KT_FRAME_HDR + KT_FRAME_MAX;
	uint8_t *data = malloc(total);
	const uint8_t *f = NULL;
	size_t used = 0, flen = 0, half = total / 2;
	kt_frame_reader_t *r = reader_new();

	(void)state;
	assert_non_null(data);
	assert_int_equal(kt_frame_put_header(data, KT_FRAME_MAX), 0);
	for (size_t i = 0; i < KT_FRAME_MAX; i++)
		data[KT_FRAME_HDR + i] = (uint8_t)(i * 7);

	assert_int_equal(kt_frame_reader_feed(r, data, total, &used, &f,
	    &flen), 1);
	assert_int_equal(used, total);
	assert_int_equal(flen, KT_FRAME_MAX);
	assert_memory_equal(f, data + KT_FRAME_HDR, KT_FRAME_MAX);

	assert_int_equal(kt_frame_reader_feed(r, data, half, &used, &f, &flen),
	    0);
	assert_int_equal(used, half);
	assert_int_equal(kt_frame_reader_feed(r, data + half, total - half,
	    &used, &f, &flen), 1);
	assert_int_equal(used, total - half);
	assert_int_equal(flen, KT_FRAME_MAX);
	assert_memory_equal(f, data + KT_FRAME_HDR, KT_FRAME_MAX);
	free(data);
	free(r);
}

/* Fed one byte at a time, the frame appears exactly at its last byte. */
static void
byte_by_byte(void **state)
{
	static const uint8_t data[] = { 0x00, 0x05, 'h', 'e', 'l', 'l', 'o',
	    0x00, 0x01, '!' };
	const uint8_t *f = NULL;
	size_t used = 0, flen = 0, frames = 0;
	kt_frame_reader_t *r = reader_new();

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++) {
		int rc = kt_frame_reader_feed(r, data + i, 1, &used, &f, &flen);

		assert_int_equal(used, 1);
		if (i == 6) {
			assert_int_equal(rc, 1);
			assert_int_equal(flen, 5);
			assert_memory_equal(f, "hello", 5);
			frames++;
		} else if (i == 9) {
			assert_int_equal(rc, 1);
			assert_int_equal(flen, 1);
			assert_memory_equal(f, "!", 1);
			frames++;
		} else {
			assert_int_equal(rc, 0);
		}
	}
	assert_int_equal(frames, 2);
	free(r);
}

/* Two frames in one buffer: the first feed stops after frame one, and the
 * rest of the buffer yields frame two. */
static void
two_frames_one_buffer(void **state)
{
	static const uint8_t data[] = { 0x00, 0x03, 'a', 'b', 'c',
	    0x00, 0x02, 'd', 'e', 0x00 };
	const uint8_t *f = NULL;
	size_t used = 0, flen = 0, off = 0;
	kt_frame_reader_t *r = reader_new();

	(void)state;
	assert_int_equal(kt_frame_reader_feed(r, data, sizeof(data), &used, &f,
	    &flen), 1);
	assert_int_equal(used, 5);
	assert_int_equal(flen, 3);
	assert_memory_equal(f, "abc", 3);
	off += used;
	assert_int_equal(kt_frame_reader_feed(r, data + off, sizeof(data) - off,
	    &used, &f, &flen), 1);
	assert_int_equal(used, 4);
	assert_int_equal(flen, 2);
	assert_memory_equal(f, "de", 2);
	off += used;
	/* One byte of a third header remains: consumed, no frame yet. */
	assert_int_equal(kt_frame_reader_feed(r, data + off, sizeof(data) - off,
	    &used, &f, &flen), 0);
	assert_int_equal(used, 1);
	free(r);
}

/* consumed is exact at every step, including empty feeds and a header
 * split across calls. */
static void
consumed_counts(void **state)
{
	static const uint8_t data[] = { 0x01, 0x00 };
	uint8_t body[256];
	const uint8_t *f = NULL;
	size_t used = 99, flen = 0;
	kt_frame_reader_t *r = reader_new();

	(void)state;
	memset(body, 0x5a, sizeof(body));
	assert_int_equal(kt_frame_reader_feed(r, data, 0, &used, &f, &flen), 0);
	assert_int_equal(used, 0);
	assert_int_equal(kt_frame_reader_feed(r, data, 1, &used, &f, &flen), 0);
	assert_int_equal(used, 1);
	assert_int_equal(kt_frame_reader_feed(r, data + 1, 1, &used, &f,
	    &flen), 0);
	assert_int_equal(used, 1);
	assert_int_equal(kt_frame_reader_feed(r, body, 0, &used, &f, &flen), 0);
	assert_int_equal(used, 0);
	assert_int_equal(kt_frame_reader_feed(r, body, 100, &used, &f, &flen),
	    0);
	assert_int_equal(used, 100);
	/* 156 bytes complete the 256-byte frame; the extra 50 stay unread. */
	assert_int_equal(kt_frame_reader_feed(r, body, 206, &used, &f, &flen),
	    1);
	assert_int_equal(used, 156);
	assert_int_equal(flen, 256);
	assert_memory_equal(f, body, 256);

	/* Reset discards a partial frame. */
	assert_int_equal(kt_frame_reader_feed(r, data, 2, &used, &f, &flen), 0);
	kt_frame_reader_reset(r);
	assert_int_equal(kt_frame_reader_feed(r, (const uint8_t *)"\x00\x01z",
	    3, &used, &f, &flen), 1);
	assert_int_equal(used, 3);
	assert_int_equal(flen, 1);
	assert_int_equal(f[0], 'z');
	free(r);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(header_encode),
	cmocka_unit_test(zero_length),
	cmocka_unit_test(max_frame),
	cmocka_unit_test(byte_by_byte),
	cmocka_unit_test(two_frames_one_buffer),
	cmocka_unit_test(consumed_counts),
};

KT_TEST_MAIN(tests)
