/* SPDX-License-Identifier: MIT */
/* Wire framing: a 2-byte big-endian length N (1..65535), then N bytes. */
#ifndef KT_FRAME_H
#define KT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define KT_FRAME_MAX 65535u
#define KT_FRAME_HDR 2u

/* kt_frame_put_header writes the 2-byte length of a frame of n bytes.
 * Returns 0, or KT_EINVAL if n is 0 or KT_ETOOBIG if n > KT_FRAME_MAX. */
int kt_frame_put_header(uint8_t out[static 2], size_t n);

/* Incremental frame reader for byte streams. Holds at most one frame.
 * Zero-initialise (or kt_frame_reader_reset) before use. */
typedef struct kt_frame_reader {
	uint8_t buf[KT_FRAME_MAX]; /* frame body being assembled */
	uint8_t hdr[KT_FRAME_HDR]; /* length bytes seen so far */
	size_t hdr_have;           /* 0..2 */
	size_t need;               /* body length once the header is complete */
	size_t have;               /* body bytes in buf */
} kt_frame_reader_t;

void kt_frame_reader_reset(kt_frame_reader_t *r);

/* kt_frame_reader_feed consumes bytes from data until one frame is complete
 * or data is exhausted.
 *   [in]  data, len   bytes from the stream
 *   [out] consumed    how many bytes of data were used
 *   [out] frame, frame_len  on return 1: the frame body, owned by r and
 *                     valid until the next feed/reset call
 * Returns 1 when a frame is complete, 0 when more bytes are needed,
 * KT_EPROTO for a zero-length frame (the stream is unusable after that). */
int kt_frame_reader_feed(kt_frame_reader_t *r, const uint8_t *data, size_t len,
    size_t *consumed, const uint8_t **frame, size_t *frame_len);

#endif
