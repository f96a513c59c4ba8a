/* SPDX-License-Identifier: MIT */
/* The walk of pbtext.h over protobuf wire bytes. */
#include <stdio.h>
#include <string.h>

#include <unistr.h>

#include "kt_error.h"
#include "pbtext.h"

/* Messages nest at most this deep here (the schema's deepest is 4). */
#define MAX_DEPTH 16
/* Repeated fields are numbered in the path for the first this many
 * fields of a message (by descriptor index); others show no index. */
#define MAX_COUNTED 64

typedef struct walk {
	char *path;      /* the caller's buffer */
	size_t cap;
} walk_t;

/* Reads a varint at *p (< end). Returns 0, or -1 when malformed. */
static int
varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		v |= (uint64_t)(**p & 0x7f) << shift;
		if ((*(*p)++ & 0x80) == 0) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* Appends ".name" or ".name[i]" (no dot at the start) to w->path at
 * offset at; returns the new length (cut at cap). */
static size_t
path_push(walk_t *w, size_t at, const ProtobufCFieldDescriptor *f, long idx)
{
	int n;

	if (at >= w->cap)
		return at;
	if (idx >= 0)
		n = snprintf(w->path + at, w->cap - at, "%s%s[%ld]",
		    at ? "." : "", f->name, idx);
	else
		n = snprintf(w->path + at, w->cap - at, "%s%s", at ? "." : "",
		    f->name);
	if (n < 0)
		return at;
	return at + (size_t)n < w->cap ? at + (size_t)n : w->cap - 1;
}

/* Finishes the path at offset at with ": problem". */
static int
path_fail(walk_t *w, size_t at, const char *problem)
{
	if (at < w->cap)
		snprintf(w->path + at, w->cap - at, ": %s", problem);
	return KT_EINVAL;
}

static int
walk_message(walk_t *w, const ProtobufCMessageDescriptor *desc,
    const uint8_t *p, const uint8_t *end, size_t at, unsigned depth)
{
	unsigned seen[MAX_COUNTED] = { 0 };

	if (depth > MAX_DEPTH)
		return 0;
	while (p < end) {
		const ProtobufCFieldDescriptor *f;
		uint64_t tag, n;
		unsigned wire;
		long idx = -1;

		if (varint(&p, end, &tag) != 0)
			return 0;
		wire = (unsigned)(tag & 7);
		switch (wire) {
		case 0:
			if (varint(&p, end, &n) != 0)
				return 0;
			continue;
		case 1:
		case 5:
			n = wire == 1 ? 8 : 4;
			if ((uint64_t)(end - p) < n)
				return 0;
			p += n;
			continue;
		case 2:
			break;
		default:
			return 0; /* groups or garbage: the decoder refuses */
		}
		if (varint(&p, end, &n) != 0 || (uint64_t)(end - p) < n)
			return 0;
		f = tag >> 3 <= UINT32_MAX ?
		    protobuf_c_message_descriptor_get_field(desc,
		    (unsigned)(tag >> 3)) : NULL;
		if (f != NULL && f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t fi = (size_t)(f - desc->fields);
			if (fi < MAX_COUNTED)
				idx = (long)seen[fi]++;
		}
		if (f != NULL && f->type == PROTOBUF_C_TYPE_STRING) {
			size_t here = path_push(w, at, f, idx);
			if (memchr(p, 0, (size_t)n) != NULL)
				return path_fail(w, here, "contains a NUL byte");
			if (u8_check(p, (size_t)n) != NULL)
				return path_fail(w, here,
				    "is not valid UTF-8 text");
		} else if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE) {
			int rc = walk_message(w, f->descriptor, p, p + n,
			    path_push(w, at, f, idx), depth + 1);
			if (rc != 0)
				return rc;
		}
		p += n;
	}
	return 0;
}

int
kt_pbtext_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
    size_t len, char *path, size_t cap)
{
	walk_t w = { path, cap };

	if (path != NULL && cap > 0)
		path[0] = '\0';
	if (desc == NULL || (data == NULL && len > 0) || path == NULL ||
	    cap == 0)
		return 0;
	if (walk_message(&w, desc, data, data + len, 0, 0) == 0) {
		path[0] = '\0';  /* the walk writes paths as it goes */
		return 0;
	}
	return KT_EINVAL;
}
