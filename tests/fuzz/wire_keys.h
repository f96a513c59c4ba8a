/* SPDX-License-Identifier: MIT */
/* The fixed keys of fuzz_wire and of the seeds fuzz_wire_corpus writes
 * for it: with both ephemerals fixed, a recorded handshake replays. Test
 * keys only, never a server's. */
#ifndef KT_FUZZ_WIRE_KEYS_H
#define KT_FUZZ_WIRE_KEYS_H

#include <stdint.h>

static const uint8_t kt_fw_server_priv[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t kt_fw_server_e[32] = { 9, 10, 11, 12, 13, 14, 15, 16 };
static const uint8_t kt_fw_client_priv[32] = { 17, 18, 19, 20, 21, 22, 23 };
static const uint8_t kt_fw_client_e[32] = { 24, 25, 26, 27, 28, 29, 30, 31 };

#endif
