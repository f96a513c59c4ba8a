/* SPDX-License-Identifier: MIT */
/* Checks the text inside a packed protobuf message before anyone reads it
 * as a C string: protobuf-c hands strings over NUL-terminated, so a NUL
 * inside one would silently cut it, and it does not check UTF-8. One walk
 * over the wire bytes, guided by the message's descriptor, finds the first
 * string field (at any depth) that holds a NUL byte or invalid UTF-8 and
 * names it by its path ("client_add.client.people[1].name"). */
#ifndef KT_PBTEXT_H
#define KT_PBTEXT_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* kt_pbtext_check walks the packed message data[0..len) of type desc.
 *   [out] path  on KT_EINVAL, the field's path and the problem, e.g.
 *               "client_add.client.title: contains a NUL byte",
 *               NUL-terminated in cap bytes
 * Fields the descriptor does not know are skipped (as protobuf-c skips
 * them). Bytes that are not a well-formed message are left to the
 * decoder: the walk stops there and reports nothing.
 * Returns 0 (every string is clean, or the message is malformed), or
 * KT_EINVAL. */
int kt_pbtext_check(const ProtobufCMessageDescriptor *desc,
    const uint8_t *data, size_t len, char *path, size_t cap);

#endif
