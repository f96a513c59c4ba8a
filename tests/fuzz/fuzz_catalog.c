/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the server's catalogue (server/catalog.c): the
 * first byte picks a split, the bytes before it are taken as a .mo file
 * (kt_catalog_load_mem: every offset checked) and the rest as an English
 * message to translate. A load either fails with a reason or gives a
 * catalogue that translates any message into a NUL-terminated text of at
 * most the buffer's size, never reading outside (ASan), and a message
 * that no format matches comes back as itself. Seeds:
 * tests/fuzz/corpus/catalog (the real ru .mo with a few messages). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kt_catalog_t *c;
	char err[256], msg[600], out[64];
	const char *tr;
	size_t split, mlen;

	if (size < 4)
		return 0;
	/* the last 4 bytes: where the message starts (from the end) */
	split = (size_t)data[size - 1] | (size_t)data[size - 2] << 8;
	size -= 4;
	mlen = split % (size + 1);
	if (mlen >= sizeof(msg))
		mlen = sizeof(msg) - 1;
	memcpy(msg, data + size - mlen, mlen);
	msg[mlen] = '\0';
	if ((c = kt_catalog_new()) == NULL)
		return 0;
	if (kt_catalog_load_mem(c, "ru", data, size - mlen, err,
	    sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort();
		kt_catalog_free(c);
		return 0;
	}
	tr = kt_catalog_translate(c, "ru", msg, out, sizeof(out));
	if (tr != msg && (tr != out || strlen(out) >= sizeof(out)))
		abort();
	kt_catalog_free(c);
	return 0;
}
