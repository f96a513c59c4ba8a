/* SPDX-License-Identifier: MIT */
/* Wire framing: length-prefixed frames over a byte stream. */
#include <string.h>

#include "frame.h"
#include "kt_error.h"

int
kt_frame_put_header(uint8_t out[static 2], size_t n)
{
	if (n == 0)
		return KT_EINVAL;
	if (n > KT_FRAME_MAX)
		return KT_ETOOBIG;
	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)(n & 0xff);
	return 0;
}

void
kt_frame_reader_reset(kt_frame_reader_t *r)
{
	r->hdr_have = 0;
	r->need = 0;
	r->have = 0;
}

int
kt_frame_reader_feed(kt_frame_reader_t *r, const uint8_t *data, size_t len,
    size_t *consumed, const uint8_t **frame, size_t *frame_len)
{
	size_t used = 0;

	/* A frame handed out by the previous call is released now. */
	if (r->hdr_have == KT_FRAME_HDR && r->have == r->need && r->need > 0)
		kt_frame_reader_reset(r);

	while (r->hdr_have < KT_FRAME_HDR && used < len)
		r->hdr[r->hdr_have++] = data[used++];
	if (r->hdr_have < KT_FRAME_HDR) {
		*consumed = used;
		return 0;
	}
	if (r->need == 0) {
		r->need = ((size_t)r->hdr[0] << 8) | r->hdr[1];
		if (r->need == 0) {
			*consumed = used;
			return KT_EPROTO;
		}
	}
	size_t take = r->need - r->have;
	if (take > len - used)
		take = len - used;
	memcpy(r->buf + r->have, data + used, take);
	r->have += take;
	used += take;
	*consumed = used;
	if (r->have < r->need)
		return 0;
	*frame = r->buf;
	*frame_len = r->need;
	return 1;
}
