/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for everything the server decodes from the network
 * before trusting it: the frame reader, the Noise XK responder (messages
 * 1 and 3 with their payloads), the transport cipher after the split and
 * the protobuf Request decoder. Both of the server's keys are fixed
 * (wire_keys.h), so the seeds of fuzz_wire_corpus, real handshakes
 * recorded against them, get past message 3. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "frame.h"
#include "kartoteka.pb-c.h"
#include "noise.h"
#include "wire_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A frame after the handshake: through the transport cipher, then to the
 * Request decoder (what the server does with every later frame). */
static void
transport_frame(kt_noise_cipher_t *recv, const uint8_t *frame, size_t flen,
    uint8_t *payload)
{
	size_t plen = 0;
	Kartoteka__Request *req;

	if (kt_noise_decrypt(recv, NULL, 0, frame, flen, payload, &plen) != 0)
		return;
	req = kartoteka__request__unpack(NULL, plen, payload);
	if (req != NULL)
		kartoteka__request__free_unpacked(req, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static kt_frame_reader_t rd;
	static uint8_t payload[KT_FRAME_MAX];
	kt_noise_hs_t hs;
	kt_noise_cipher_t send = { 0 }, recv = { 0 };
	size_t off = 0, nframes = 0;
	int split = 0;

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
	    11, kt_fw_server_priv, NULL) != 0)
		return 0;
	/* Fixed, so that a seed recorded against these keys replays. */
	kt_noise_hs_set_ephemeral(&hs, kt_fw_server_e);
	while (off < size && nframes < 16) {
		const uint8_t *frame = NULL;
		size_t used = 0, flen = 0, plen = 0;
		int rc = kt_frame_reader_feed(&rd, data + off, size - off, &used,
		    &frame, &flen);
		off += used;
		if (rc <= 0)
			break;
		nframes++;
		if (split) {
			transport_frame(&recv, frame, flen, payload);
			continue;
		}
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
		if (kt_noise_hs_done(&hs)) {
			/* Message 3's payload is the ClientHello. */
			ch = kartoteka__client_hello__unpack(NULL, plen, payload);
			if (ch)
				kartoteka__client_hello__free_unpacked(ch, NULL);
			if (kt_noise_hs_split(&hs, &send, &recv, NULL) != 0)
				break;
			split = 1;
		}
	}
	kt_noise_hs_clear(&hs);
	kt_noise_cipher_clear(&send);
	kt_noise_cipher_clear(&recv);
	return 0;
}
