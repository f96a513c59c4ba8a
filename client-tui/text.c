/* SPDX-License-Identifier: MIT */
/* Display-width measuring and cutting of UTF-8 strings for the screen. */
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include "text.h"

/* Decodes one character at s (n bytes left). Returns its length in bytes
 * (>= 1) and its width in *w; an invalid or control character is one byte
 * shown as '?' (*bad = 1). */
static size_t
one_char(const char *s, size_t n, size_t *w, int *bad)
{
	mbstate_t st;
	wchar_t wc = 0;
	size_t len;
	int cw;

	memset(&st, 0, sizeof(st));
	*bad = 0;
	len = mbrtowc(&wc, s, n, &st);
	if (len == (size_t)-1 || len == (size_t)-2 || len == 0) {
		*bad = 1;
		*w = 1;
		return 1;
	}
	cw = wcwidth(wc);
	if (cw < 0 || wc < 0x20 || (wc >= 0x7f && wc < 0xa0) ||
	    wc == 0x2028 || wc == 0x2029 || (wc >= 0x202a && wc <= 0x202e) ||
	    (wc >= 0x2066 && wc <= 0x2069)) {
		/* Controls, and the bidirectional overrides that would make
		 * a name read backwards. */
		*bad = 1;
		*w = 1;
		return len;
	}
	*w = (size_t)cw;
	return len;
}

size_t
tui_text_width(const char *s)
{
	size_t total = 0, n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	while (n > 0) {
		size_t w = 0;
		int bad = 0;
		size_t len = one_char(s, n, &w, &bad);
		total += w;
		s += len;
		n -= len;
	}
	return total;
}

size_t
tui_text_fit(char *out, size_t cap, const char *s, size_t width, int pad)
{
	static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026, 1 column */
	size_t n, used = 0, o = 0;
	int cut = 0;

	if (cap == 0)
		return 0;
	if (s == NULL)
		s = "";
	n = strlen(s);
	cut = tui_text_width(s) > width;
	while (n > 0) {
		size_t w = 0;
		int bad = 0;
		size_t len = one_char(s, n, &w, &bad);
		size_t need = bad ? 1 : len;
		size_t room = cut ? (width > 0 ? width - 1 : 0) : width;

		if (used + w > room)
			break;
		/* Keep room for the ellipsis and the NUL. */
		if (o + need + (cut ? sizeof(ellipsis) - 1 : 0) + 1 > cap)
			break;
		if (bad)
			out[o] = '?';
		else
			memcpy(out + o, s, len);
		o += need;
		used += w;
		s += len;
		n -= len;
	}
	if (cut && width > 0 && o + sizeof(ellipsis) <= cap) {
		memcpy(out + o, ellipsis, sizeof(ellipsis) - 1);
		o += sizeof(ellipsis) - 1;
		used++;
	}
	while (pad && used < width && o + 2 <= cap) {
		out[o++] = ' ';
		used++;
	}
	out[o] = '\0';
	return used;
}

size_t
tui_text_prev_char(const char *s, size_t off)
{
	while (off > 0) {
		off--;
		if (((unsigned char)s[off] & 0xc0) != 0x80)
			break;
	}
	return off;
}

size_t
tui_text_next_char(const char *s, size_t len, size_t off)
{
	if (off >= len)
		return len;
	off++;
	while (off < len && ((unsigned char)s[off] & 0xc0) == 0x80)
		off++;
	return off;
}

void
tui_text_col(char *buf, size_t cap, const char *s, size_t width, size_t gap)
{
	size_t o = strlen(buf);

	if (o + 1 >= cap)
		return;
	tui_text_fit(buf + o, cap - o, s, width, 1);
	o = strlen(buf);
	while (gap-- > 0 && o + 2 <= cap)
		buf[o++] = ' ';
	buf[o] = '\0';
}

const char *
tui_str(const char *s)
{
	return s != NULL ? s : "";
}
