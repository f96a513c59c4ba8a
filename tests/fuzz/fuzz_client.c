/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the client card builder (server/client_card.c):
 * any bytes decoded as a kartoteka.Client are validated, and a card that
 * passes must pack within the bound and unpack again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "arena.h"
#include "model/client_card.h"
#include "kartoteka.pb-c.h"
#include "records.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Kartoteka__Client *c = kartoteka__client__unpack(NULL, size, data);
	Ktstore__ClientRecord r = KTSTORE__CLIENT_RECORD__INIT;
	kt_arena_t a;
	char err[300];
	uint8_t *packed = NULL;
	size_t len = 0;

	if (c == NULL)
		return 0;
	if (kt_arena_init(&a, 1024, 1u << 20) != 0)
		goto out;
	if (kt_card_build(c, KT_CARD_ALL, 1773576000, "7", &a, &r, err,
	    sizeof(err)) == 0 &&
	    kt_card_pack(&r, &packed, &len, err, sizeof(err)) == 0) {
		Ktstore__ClientRecord *back =
		    ktstore__client_record__unpack(NULL, len, packed);
		if (back == NULL || len > KT_CARD_MAX_BYTES)
			abort();
		protobuf_c_message_free_unpacked(&back->base, NULL);
	}
	free(packed);
	kt_arena_free(&a);
out:
	kartoteka__client__free_unpacked(c, NULL);
	return 0;
}
