/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for everything the server decodes from the network
 * before trusting it: the frame reader, the Noise XK responder (messages
 * 1 and 3 with their payloads) and the protobuf Request decoder. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "frame.h"
#include "kartoteka.pb-c.h"
#include "noise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static kt_frame_reader_t rd;
	static const uint8_t server_priv[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static uint8_t payload[KT_FRAME_MAX];
	kt_noise_hs_t hs;
	size_t off = 0, nframes = 0;

	if (sodium_init() < 0)
		return 0;
	/* The whole input also goes straight to the request decoders. */
	Kartoteka__Request *req = kartoteka__request__unpack(NULL, size, data);
	if (req)
		kartoteka__request__free_unpacked(req, NULL);
	Kartoteka__ClientHello *ch = kartoteka__client_hello__unpack(NULL, size,
	    data);
	if (ch)
		kartoteka__client_hello__free_unpacked(ch, NULL);

	kt_frame_reader_reset(&rd);
	if (kt_noise_hs_init(&hs, KT_NOISE_XK, 0, (const uint8_t *)"kartoteka/1",
	    11, server_priv, NULL) != 0)
		return 0;
	while (off < size && nframes < 8) {
		const uint8_t *frame = NULL;
		size_t used = 0, flen = 0, plen = 0;
		int rc = kt_frame_reader_feed(&rd, data + off, size - off, &used,
		    &frame, &flen);
		off += used;
		if (rc <= 0)
			break;
		nframes++;
		if (kt_noise_hs_my_turn(&hs)) {
			uint8_t out[256];
			size_t outlen;
			if (kt_noise_hs_write_message(&hs, NULL, 0, out,
			    sizeof(out), &outlen) != 0)
				break;
		}
		if (kt_noise_hs_read_message(&hs, frame, flen, payload,
		    sizeof(payload), &plen) != 0)
			break;
	}
	kt_noise_hs_clear(&hs);
	return 0;
}
