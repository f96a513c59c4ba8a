/* SPDX-License-Identifier: MIT */
/* Structure-aware mutation of one packed protobuf-c message: unpack it,
 * collect every place that can change by walking the descriptor tables
 * (scalar and enum fields, strings and bytes, sub-messages present or
 * absent, repeated fields and their elements, oneof groups), change one
 * of them, pack again.
 *
 * Ownership: the unpacked tree belongs to protobuf-c. Every write into it
 * is recorded first in an undo log (address and old bytes), and every
 * block the mutation allocates goes into a list; after packing, the log is
 * replayed backwards, so protobuf_c_message_free_unpacked sees exactly
 * the tree it built, and then the list is freed. That makes shallow
 * copies (a repeated element appended twice) and replaced pointers safe
 * without knowing how protobuf-c allocated them. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pb_mutate.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#define MAX_SITES 1024
#define MAX_DEPTH 8
#define MAX_UNDO 64
#define MAX_OWNED 64
#define MAX_ELEMS 16  /* elements of one repeated field walked into */
#define MAX_STRING 65000

/* ------------------------------------------------------------ random */

void
kt_pbm_rng_seed(kt_pbm_rng_t *r, uint64_t seed)
{
	r->s = seed ^ 0x6b6172746f74656bULL; /* "kartotek" */
}

static uint64_t
next(kt_pbm_rng_t *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t
kt_pbm_below(kt_pbm_rng_t *r, uint64_t n)
{
	return n == 0 ? 0 : next(r) % n;
}

/* ------------------------------------------------------- dictionaries */

/* Words of the project: logins and branches of the fuzz harness's store,
 * phones and e-mails in the forms the normalisers take, dates, times,
 * currencies, field names and audit kinds the ops compare against. */
static const char *const words[] = {
	"owner", "masha", "North", "Юг", "+79161234567", "8 (912) 345-67-89",
	"+7 999 000 11 22", "89161234567", "+1 202 555 0100", "12",
	"Irina.Elkina@Mail.RU", "a@b.ru", "user@", "@mail.ru", "Ёлкины",
	"ёлк", "Маша (2019)", "Ирина Ёлкина", "английский", "вывеска",
	"2026-12-04", "2026-12-04 10:30", "2026-02-29", "2025-02-29",
	"2026-13-01", "0000-00-00", "9999-12-31", "24:00", "09:00-21:00",
	"21:00-09:00", "Europe/Moscow", "Asia/Vladivostok", "UTC", "Mars/Base",
	"RUB", "USD", "EUR", "rub", "XXX", "12 500,00", "1,000.50", "-1",
	"0", "1e9", "title", "people", "manager", "phones", "tags", "branch",
	"time_zone", "work_hours", "desk_lock", "client.", "client.view",
	"client.edit", "quota.spent", "client.duplicate", "history.start",
	"#1", "Д-0001", "ООО Ромашка", "*", "%", "_", "\\", "'", "\"", ",",
	";", "\t", "\n", " ", "  North  ", "NORTH", "north",
};

/* Edges of UTF-8 and of text handling: overlong and surrogate encodings,
 * beyond U+10FFFF, a lone continuation, a cut sequence, combining marks,
 * a BOM, direction overrides, non-breaking and zero-width spaces. */
static const char *const utf8[] = {
	"\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "\x80", "\xd0",
	"\xe2\x82", "e\xcc\x81", "\xef\xbb\xbf", "\xe2\x80\xae", "\xc2\xa0",
	"\xe2\x80\x8b", "\xe2\x80\x8d", "\xd0\x81", "\xd1\x91", "\xf0\x9f\x98\x80",
	"\x7f", "\x1b[2J", "\xce\xa3", "\xc3\x9f", "\xef\xbf\xbd",
};

/* ---------------------------------------------------- the mutation */

/* A place in the tree that can change. */
enum site_kind {
	SITE_VALUE,    /* a singular field, or element idx of a repeated */
	SITE_REPEATED, /* a repeated field as a whole: grow, drop, empty */
	SITE_ONEOF,    /* a oneof group: switch member */
};

typedef struct site {
	ProtobufCMessage *msg;              /* the message holding it */
	const ProtobufCFieldDescriptor *f;  /* the field (any of a oneof) */
	size_t idx;                         /* element, for SITE_VALUE */
	int repeated;                       /* SITE_VALUE: idx is valid */
	enum site_kind kind;
} site_t;

typedef struct undo {
	void *at;                                 /* where it was written */
	size_t n;                                 /* how many bytes */
	unsigned char old[sizeof(ProtobufCBinaryData)]; /* what was there */
} undo_t;

/* One mutation's state. */
typedef struct mut {
	kt_pbm_rng_t *r;
	site_t sites[MAX_SITES];
	size_t n_sites, n_oneofs;
	undo_t undo[MAX_UNDO];
	size_t n_undo;
	void *owned[MAX_OWNED];  /* freed when the mutation ends */
	size_t n_owned;
	size_t room;             /* bytes the packed message may grow by */
	int failed;              /* a log or a list was full: give up */
} mut_t;

#define FIELD_AT(m, off) ((void *)((char *)(m) + (off)))

/* Records the n bytes at p before they are overwritten. */
static void
save(mut_t *m, void *p, size_t n)
{
	undo_t *u;

	if (m->n_undo == MAX_UNDO || n > sizeof(u->old)) {
		m->failed = 1;
		return;
	}
	u = &m->undo[m->n_undo++];
	u->at = p;
	u->n = n;
	memcpy(u->old, p, n);
}

/* Writes n bytes of v at p, saving what was there. */
static void
put(mut_t *m, void *p, const void *v, size_t n)
{
	save(m, p, n);
	if (!m->failed)
		memcpy(p, v, n);
}

/* n bytes owned by the mutation (freed at its end), zeroed; NULL when
 * out of memory or the list is full. */
static void *
own(mut_t *m, size_t n)
{
	void *p;

	if (m->n_owned == MAX_OWNED || (p = calloc(1, n ? n : 1)) == NULL) {
		m->failed = 1;
		return NULL;
	}
	m->owned[m->n_owned++] = p;
	return p;
}

static size_t
elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32: case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64: case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

static void
add_site(mut_t *m, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f,
    enum site_kind kind, int repeated, size_t idx)
{
	if (m->n_sites == MAX_SITES)
		return;
	m->sites[m->n_sites++] = (site_t){ .msg = msg, .f = f, .idx = idx,
	    .repeated = repeated, .kind = kind };
	if (kind == SITE_ONEOF)
		m->n_oneofs++;
}

/* Whether f is the first member of its oneof group in d (one site per
 * group). */
static int
first_of_group(const ProtobufCMessageDescriptor *d,
    const ProtobufCFieldDescriptor *f)
{
	for (const ProtobufCFieldDescriptor *g = d->fields; g < f; g++)
		if ((g->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    g->quantifier_offset == f->quantifier_offset)
			return 0;
	return 1;
}

/* Collects the sites of msg and, down to MAX_DEPTH, of its sub-messages. */
static void
walk(mut_t *m, ProtobufCMessage *msg, int depth)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		void *at = FIELD_AT(msg, f->offset);

		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which = *(uint32_t *)FIELD_AT(msg,
			    f->quantifier_offset);
			if (first_of_group(d, f))
				add_site(m, msg, f, SITE_ONEOF, 0, 0);
			if (which != f->id)
				continue;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(size_t *)FIELD_AT(msg, f->quantifier_offset);
			char *arr = *(char **)at;
			add_site(m, msg, f, SITE_REPEATED, 0, 0);
			for (size_t k = 0; k < n && k < MAX_ELEMS; k++) {
				add_site(m, msg, f, SITE_VALUE, 1, k);
				if (f->type == PROTOBUF_C_TYPE_MESSAGE &&
				    depth < MAX_DEPTH)
					walk(m, ((ProtobufCMessage **)arr)[k],
					    depth + 1);
			}
			continue;
		}
		add_site(m, msg, f, SITE_VALUE, 0, 0);
		if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth < MAX_DEPTH &&
		    *(ProtobufCMessage **)at != NULL)
			walk(m, *(ProtobufCMessage **)at, depth + 1);
	}
}

/* A new message of type d with its defaults, owned by the mutation. */
static ProtobufCMessage *
new_message(mut_t *m, const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *msg = own(m, d->sizeof_message);

	if (msg != NULL)
		d->message_init(msg);
	return msg;
}

/* A copy of n bytes of p, NUL-terminated, owned by the mutation. */
static char *
own_copy(mut_t *m, const void *p, size_t n)
{
	char *s = own(m, n + 1);

	if (s != NULL && n > 0)
		memcpy(s, p, n);
	return s;
}

/* A new content for a string or bytes value of length len at p: byte
 * mutation, empty, long, a dictionary word, an edge of UTF-8, or one of
 * these put into the old content. Sets *n_out; the result is owned by
 * the mutation (NULL when it failed). */
static char *
new_text(mut_t *m, const char *p, size_t len, int bytes, size_t *n_out)
{
	kt_pbm_rng_t *r = m->r;
	const char *w;
	size_t n, cap;
	char *s;

	switch (kt_pbm_below(r, bytes ? 6 : 9)) {
	case 0: case 1: /* the old content through libFuzzer's byte mutation */
		cap = len * 2 + 16;
		if (cap > len + m->room)
			cap = len + m->room;
		if (cap < len || (s = own(m, cap + 1)) == NULL)
			return NULL;
		memcpy(s, p, len);
		if (len == 0 && cap > 0) /* libFuzzer mutates bytes, not none */
			s[len++] = (char)next(r);
		n = cap == 0 ? 0 : LLVMFuzzerMutate((uint8_t *)s, len, cap);
		s[n] = '\0';
		*n_out = bytes ? n : strlen(s);
		return s;
	case 2: /* empty */
		*n_out = 0;
		return own_copy(m, "", 0);
	case 3: { /* long: a limit's edge or well past it */
		static const size_t lens[] = { 31, 32, 33, 63, 64, 65, 100,
		    101, 200, 201, 255, 256, 257, 500, 501, 1000, 1001, 4096,
		    MAX_STRING };
		static const char *const fill[] = { "x", "Ё", " ", "9" };
		const char *c = fill[kt_pbm_below(r, 4)];
		size_t cl = strlen(c);
		n = lens[kt_pbm_below(r, sizeof(lens) / sizeof(lens[0]))];
		if (n > m->room)
			n = m->room;
		n -= n % cl;
		if ((s = own(m, n + 1)) == NULL)
			return NULL;
		for (size_t k = 0; k < n; k += cl)
			memcpy(s + k, c, cl);
		*n_out = n;
		return s;
	}
	case 4: /* random bytes of a key's or a token's length */
		if (bytes) {
			static const size_t klen[] = { 1, 15, 16, 31, 32, 33,
			    63, 64, 65 };
			n = klen[kt_pbm_below(r, sizeof(klen) / sizeof(klen[0]))];
			if ((s = own(m, n + 1)) == NULL)
				return NULL;
			for (size_t k = 0; k < n; k++)
				s[k] = kt_pbm_below(r, 4) == 0 ? 0 :
				    (char)next(r);
			*n_out = n;
			return s;
		}
		/* fall through */
	case 5: /* a dictionary word */
		w = words[kt_pbm_below(r, sizeof(words) / sizeof(words[0]))];
		*n_out = strlen(w);
		return own_copy(m, w, *n_out);
	case 6: /* an edge of UTF-8 */
		w = utf8[kt_pbm_below(r, sizeof(utf8) / sizeof(utf8[0]))];
		*n_out = strlen(w);
		return own_copy(m, w, *n_out);
	default: { /* a word or an edge put into the old content */
		size_t at = kt_pbm_below(r, len + 1), wl;
		w = kt_pbm_below(r, 2) ?
		    words[kt_pbm_below(r, sizeof(words) / sizeof(words[0]))] :
		    utf8[kt_pbm_below(r, sizeof(utf8) / sizeof(utf8[0]))];
		wl = strlen(w);
		if (wl > m->room || (s = own(m, len + wl + 1)) == NULL)
			return NULL;
		memcpy(s, p, at);
		memcpy(s + at, w, wl);
		memcpy(s + at + wl, p + at, len - at);
		*n_out = strlen(s);
		return s;
	}
	}
}

/* A new integer for a field of type t holding v (as a 64-bit pattern):
 * a boundary of its type, 0, 1, -1, a small delta, a small id, random. */
static uint64_t
new_int(kt_pbm_rng_t *r, ProtobufCType t, uint64_t v)
{
	int is64 = elem_size(t) == 8, is_signed = t == PROTOBUF_C_TYPE_INT32 ||
	    t == PROTOBUF_C_TYPE_SINT32 || t == PROTOBUF_C_TYPE_SFIXED32 ||
	    t == PROTOBUF_C_TYPE_INT64 || t == PROTOBUF_C_TYPE_SINT64 ||
	    t == PROTOBUF_C_TYPE_SFIXED64;
	uint64_t d = 1 + kt_pbm_below(r, 16);

	switch (kt_pbm_below(r, 12)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return UINT64_MAX; /* -1, or the max when unsigned */
	case 3: /* the max */
		return is64 ? (is_signed ? (uint64_t)INT64_MAX : UINT64_MAX) :
		    (is_signed ? (uint64_t)INT32_MAX : UINT32_MAX);
	case 4: /* the min */
		return !is_signed ? 0 : is64 ? (uint64_t)INT64_MIN :
		    (uint64_t)(int64_t)INT32_MIN;
	case 5: return v + d;
	case 6: return v - d;
	case 7: return kt_pbm_below(r, 8); /* an id that exists */
	case 8: /* a 32-bit edge in a 64-bit field, a year, a cent amount */ {
		static const uint64_t e[] = { 0x7fffffffULL, 0x80000000ULL,
		    0xffffffffULL, 0x100000000ULL, 1ULL << 53, 1900, 2026, 2100,
		    12, 13, 31, 32, 59, 60, 100, 101, 1000, 10000, 65535, 65536 };
		return e[kt_pbm_below(r, sizeof(e) / sizeof(e[0]))];
	}
	case 9: return v * 2;
	case 10: return v ^ (1ULL << kt_pbm_below(r, is64 ? 64 : 32));
	default: return next(r);
	}
}

/* Changes the value at p, of field f (p is the field or, when elem, an
 * element of it: never NULL then, protobuf-c packs every element). */
static void
mutate_value(mut_t *m, const ProtobufCFieldDescriptor *f, void *p, int elem)
{
	kt_pbm_rng_t *r = m->r;

	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL: {
		protobuf_c_boolean b = !*(protobuf_c_boolean *)p;
		put(m, p, &b, sizeof(b));
		return;
	}
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *e = f->descriptor;
		int v;
		if (e->n_values > 0 && kt_pbm_below(r, 4) != 0) {
			v = e->values[kt_pbm_below(r, e->n_values)].value;
		} else {
			static const int bad[] = { -1, 1000, INT_MAX, INT_MIN };
			v = kt_pbm_below(r, 2) && e->n_values > 0 ?
			    e->values[e->n_values - 1].value + 1 :
			    bad[kt_pbm_below(r, 4)];
		}
		put(m, p, &v, sizeof(v));
		return;
	}
	case PROTOBUF_C_TYPE_FLOAT: case PROTOBUF_C_TYPE_DOUBLE: {
		static const double e[] = { 0.0, -0.0, 1.0, -1.0, 0.5, 1e308,
		    -1e308, DBL_MIN, FLT_MAX };
		double v = kt_pbm_below(r, 4) == 0 ? NAN : kt_pbm_below(r, 4) ==
		    0 ? INFINITY : e[kt_pbm_below(r, sizeof(e) / sizeof(e[0]))];
		if (f->type == PROTOBUF_C_TYPE_FLOAT) {
			float fv = (float)v;
			put(m, p, &fv, sizeof(fv));
		} else {
			put(m, p, &v, sizeof(v));
		}
		return;
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *old = *(char **)p;
		size_t n;
		char *s = new_text(m, old ? old : "", old ? strlen(old) : 0, 0,
		    &n);
		if (s != NULL)
			put(m, p, &s, sizeof(s));
		return;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = p, nb;
		char *s = new_text(m, b->data ? (const char *)b->data : "",
		    b->data ? b->len : 0, 1, &nb.len);
		if (s != NULL) {
			nb.data = (uint8_t *)s;
			put(m, p, &nb, sizeof(nb));
		}
		return;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		/* Absent: an initialised default. Present: absent (unless an
		 * element), or a fresh default in its place (its inside is
		 * reached by the walk). */
		ProtobufCMessage *sub = *(ProtobufCMessage **)p, *nm = NULL;
		if (sub == NULL || elem || kt_pbm_below(r, 2))
			nm = new_message(m, f->descriptor);
		if (nm == NULL && (sub == NULL || elem))
			return;
		put(m, p, &nm, sizeof(nm));
		return;
	}
	default: {
		size_t n = elem_size(f->type);
		uint64_t v = 0;
		if (n == 4) {
			uint32_t v32 = *(uint32_t *)p;
			/* sign-extend, so that deltas cross zero as they should */
			v = f->type == PROTOBUF_C_TYPE_UINT32 || f->type ==
			    PROTOBUF_C_TYPE_FIXED32 ? v32 :
			    (uint64_t)(int64_t)(int32_t)v32;
			v32 = (uint32_t)new_int(r, f->type, v);
			put(m, p, &v32, 4);
		} else {
			memcpy(&v, p, 8);
			v = new_int(r, f->type, v);
			put(m, p, &v, 8);
		}
		return;
	}
	}
}

/* A default element value of field f at p (a new repeated slot). */
static void
default_value(mut_t *m, const ProtobufCFieldDescriptor *f, void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_MESSAGE:
		*(ProtobufCMessage **)p = new_message(m, f->descriptor);
		return;
	case PROTOBUF_C_TYPE_STRING: {
		const char *w = words[kt_pbm_below(m->r,
		    sizeof(words) / sizeof(words[0]))];
		*(char **)p = own_copy(m, w, strlen(w));
		return;
	}
	default: /* zero: bytes empty, numbers 0, enum its 0 value */
		memset(p, 0, elem_size(f->type));
		return;
	}
}

/* Changes the length of repeated field f in msg: appends a copy of an
 * element (shallow: the undo log restores the original array), many
 * copies, drops one, empties it, or adds a default element. */
static void
mutate_repeated(mut_t *m, ProtobufCMessage *msg,
    const ProtobufCFieldDescriptor *f)
{
	size_t *np = FIELD_AT(msg, f->quantifier_offset);
	char **ap = FIELD_AT(msg, f->offset);
	size_t n = *np, es = elem_size(f->type), nn, pick;
	char *na;

	switch (n == 0 ? 0 : kt_pbm_below(m->r, 5)) {
	case 0: /* one more: a default, or a copy of one */
		nn = n + 1;
		break;
	case 1: /* many copies: past a count limit */ {
		static const size_t many[] = { 8, 11, 17, 33, 101, 1001 };
		nn = many[kt_pbm_below(m->r, sizeof(many) / sizeof(many[0]))];
		if (nn <= n)
			nn = n + 1;
		break;
	}
	case 2: /* empty */
		nn = 0;
		put(m, np, &nn, sizeof(nn));
		return;
	default: /* drop one */
		nn = n - 1;
		break;
	}
	if ((na = own(m, nn * es)) == NULL)
		return;
	if (nn < n) {
		pick = kt_pbm_below(m->r, n);
		memcpy(na, *ap, pick * es);
		memcpy(na + pick * es, *ap + (pick + 1) * es,
		    (n - pick - 1) * es);
	} else {
		if (n > 0)
			memcpy(na, *ap, n * es);
		for (size_t k = n; k < nn; k++) {
			if (n == 0 || (nn == n + 1 && kt_pbm_below(m->r, 3) == 0))
				default_value(m, f, na + k * es);
			else
				memcpy(na + k * es, *ap +
				    kt_pbm_below(m->r, n) * es, es);
		}
	}
	put(m, ap, &na, sizeof(na));
	put(m, np, &nn, sizeof(nn));
}

/* Switches the oneof group of f in msg to another member with a default
 * value (a message: initialised empty), or, now and then, to none. */
static void
mutate_oneof(mut_t *m, ProtobufCMessage *msg,
    const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	const ProtobufCFieldDescriptor *members[256], *g;
	uint32_t *which = FIELD_AT(msg, f->quantifier_offset), none = 0;
	size_t n = 0;
	unsigned char v[sizeof(ProtobufCBinaryData)];

	for (unsigned i = 0; i < d->n_fields && n < 256; i++)
		if ((d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    d->fields[i].quantifier_offset == f->quantifier_offset &&
		    d->fields[i].id != *which)
			members[n++] = &d->fields[i];
	if (n == 0 || kt_pbm_below(m->r, 32) == 0) {
		put(m, which, &none, sizeof(none));
		return;
	}
	g = members[kt_pbm_below(m->r, n)];
	default_value(m, g, v);
	put(m, FIELD_AT(msg, g->offset), v, elem_size(g->type));
	put(m, which, &g->id, sizeof(g->id));
}

/* Changes the value of a site. */
static void
mutate_site(mut_t *m, const site_t *s)
{
	void *at = FIELD_AT(s->msg, s->f->offset);

	switch (s->kind) {
	case SITE_ONEOF:
		mutate_oneof(m, s->msg, s->f);
		return;
	case SITE_REPEATED:
		mutate_repeated(m, s->msg, s->f);
		return;
	case SITE_VALUE:
		if (s->repeated)
			at = *(char **)at + s->idx * elem_size(s->f->type);
		/* proto2 and proto3 "optional": say it is there */
		if (s->f->label == PROTOBUF_C_LABEL_OPTIONAL &&
		    s->f->quantifier_offset != 0 &&
		    !(s->f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    s->f->type != PROTOBUF_C_TYPE_MESSAGE &&
		    s->f->type != PROTOBUF_C_TYPE_STRING) {
			protobuf_c_boolean yes = 1;
			put(m, FIELD_AT(s->msg, s->f->quantifier_offset), &yes,
			    sizeof(yes));
		}
		mutate_value(m, s->f, at, s->repeated);
		return;
	}
}

size_t
kt_pbm_mutate(const ProtobufCMessageDescriptor *desc, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, kt_pbm_rng_t *r)
{
	ProtobufCMessage *msg;
	mut_t *m = NULL;
	size_t n = 0;
	const site_t *s;

	if ((msg = protobuf_c_message_unpack(desc, NULL, in_len, in)) == NULL)
		return 0;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto out;
	m->r = r;
	m->room = cap > in_len ? cap - in_len : 0;
	if (m->room > MAX_STRING)
		m->room = MAX_STRING;
	walk(m, msg, 0);
	if (m->n_sites == 0)
		goto out;
	/* A oneof switch (for a Request: another op) one time in eight,
	 * whatever the number of other sites. */
	if (m->n_oneofs > 0 && kt_pbm_below(r, 8) == 0) {
		size_t k = kt_pbm_below(r, m->n_oneofs);
		s = m->sites;
		for (;; s++)
			if (s->kind == SITE_ONEOF && k-- == 0)
				break;
	} else {
		s = &m->sites[kt_pbm_below(r, m->n_sites)];
	}
	mutate_site(m, s);
	if (!m->failed && m->n_undo > 0 &&
	    protobuf_c_message_get_packed_size(msg) <= cap)
		n = protobuf_c_message_pack(msg, out);
	/* Back to the tree protobuf-c built, then free both. */
	while (m->n_undo > 0) {
		undo_t *u = &m->undo[--m->n_undo];
		memcpy(u->at, u->old, u->n);
	}
out:
	if (m != NULL)
		for (size_t k = 0; k < m->n_owned; k++)
			free(m->owned[k]);
	free(m);
	protobuf_c_message_free_unpacked(msg, NULL);
	return n;
}
