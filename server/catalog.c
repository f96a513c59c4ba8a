/* SPDX-License-Identifier: MIT */
/*
 * catalog: reads GNU .mo files and translates formatted English messages
 * (catalog.h says why after formatting). The .mo layout is the one of
 * the GNU gettext manual, "The Format of GNU MO Files": a header of 32-bit
 * words in the writer's byte order, tables of (length, offset) pairs for
 * the original and the translated strings, and from minor revision 1 the
 * "system dependent" strings, whose <PRIu64> and the like are stored as
 * references to named segments that the reader expands for its platform.
 */
#include "catalog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MO_MAGIC 0x950412deu
#define MO_MAGIC_SWAPPED 0xde120495u
#define MO_SEGMENTS_END 0xffffffffu
#define CAT_LANGS_MAX 8
#define CAT_FILE_MAX (64u << 20)  /* a .mo larger than this is refused */
#define FMT_TOKS_MAX 24           /* conversions and literals per format */
#define MATCH_BUDGET 20000u       /* steps per message, against all formats */
#define NEST_DEPTH 3              /* "%s" captures translated this deep */

/* One translated message. id and str point into the file copy, or into
 * a string of `owned` (an expanded system dependent one). */
typedef struct cat_entry {
	const char *id;
	const char *str;
	size_t id_lit;    /* literal bytes of id: the more, the more specific */
	int pattern;      /* id has a '%': matched as a format */
} cat_entry_t;

typedef struct cat_lang {
	char code[4];
	uint8_t *data;    /* the file, malloc'd */
	size_t len;
	int swap;         /* the file's byte order is not ours */
	cat_entry_t *e;   /* sorted by id (strcmp) */
	size_t n;
	size_t *pat;      /* indices of e that are patterns */
	size_t npat;
	char **owned;     /* expanded system dependent strings */
	size_t nowned;
} cat_lang_t;

struct kt_catalog {
	cat_lang_t lang[CAT_LANGS_MAX];
	size_t n;
};

/* ---- formats ----------------------------------------------------------- */

enum tok_kind {
	TK_LIT,   /* literal text */
	TK_PCT,   /* %% */
	TK_INT,   /* d i: [-+ ]digits */
	TK_UINT,  /* u */
	TK_HEX,   /* x X */
	TK_OCT,   /* o */
	TK_FLT,   /* e f g a, either case */
	TK_STR,   /* s: anything */
	TK_CHR,   /* c: one byte */
	TK_PTR,   /* p */
};

typedef struct fmt_tok {
	const char *lit;  /* TK_LIT */
	size_t litlen;
	enum tok_kind kind;
	unsigned argno;   /* 1-based position ("%2$s"), 0: the next one */
} fmt_tok_t;

/* Splits the printf format s into tokens. Returns their number, or -1
 * when s is not a format this reader can match (a '*' width, an unknown
 * conversion, too many pieces). */
static int
fmt_parse(const char *s, fmt_tok_t *t, size_t max)
{
	size_t n = 0;

	while (*s != '\0') {
		if (n == max)
			return -1;
		if (*s != '%') {
			size_t l = strcspn(s, "%");
			t[n].kind = TK_LIT;
			t[n].lit = s;
			t[n].litlen = l;
			t[n].argno = 0;
			n++;
			s += l;
			continue;
		}
		s++;
		t[n].lit = NULL;
		t[n].litlen = 0;
		t[n].argno = 0;
		if (*s == '%') {
			t[n++].kind = TK_PCT;
			s++;
			continue;
		}
		if (*s >= '1' && *s <= '9') {
			const char *p = s;
			unsigned v = 0;
			while (*p >= '0' && *p <= '9' && v < 100)
				v = v * 10 + (unsigned)(*p++ - '0');
			if (*p == '$') {
				t[n].argno = v;
				s = p + 1;
			}
		}
		s += strspn(s, "-+ #0'");
		s += strspn(s, "0123456789");
		if (*s == '.') {
			s++;
			s += strspn(s, "0123456789");
		}
		if (*s == '*')
			return -1;
		s += strspn(s, "hljztLq");
		switch (*s) {
		case 'd': case 'i': t[n].kind = TK_INT; break;
		case 'u': t[n].kind = TK_UINT; break;
		case 'x': case 'X': t[n].kind = TK_HEX; break;
		case 'o': t[n].kind = TK_OCT; break;
		case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
		case 'a': case 'A': t[n].kind = TK_FLT; break;
		case 's': t[n].kind = TK_STR; break;
		case 'c': t[n].kind = TK_CHR; break;
		case 'p': t[n].kind = TK_PTR; break;
		default: return -1;
		}
		s++;
		n++;
	}
	return (int)n;
}

static int
is_conv(enum tok_kind k)
{
	return k != TK_LIT && k != TK_PCT;
}

/* The class a conversion's text belongs to, for checking a translation
 * against its original: every integer conversion prints digits. */
static int
conv_class(enum tok_kind k)
{
	return k == TK_INT || k == TK_UINT || k == TK_HEX || k == TK_OCT ?
	    TK_INT : (int)k;
}

/* 1 when the translated format str takes the same arguments as id: each
 * conversion of str names one of id's by position (or in order), of the
 * same class, and every one of id's is used (a translation that drops a
 * number is a wrong one). */
static int
fmt_compatible(const fmt_tok_t *id, int nid, const fmt_tok_t *str, int nstr)
{
	int cls[FMT_TOKS_MAX], used[FMT_TOKS_MAX] = { 0 };
	int nconv = 0, seq = 0;

	for (int i = 0; i < nid; i++)
		if (is_conv(id[i].kind))
			cls[nconv++] = conv_class(id[i].kind);
	for (int i = 0; i < nstr; i++) {
		int a;
		if (!is_conv(str[i].kind))
			continue;
		a = str[i].argno ? (int)str[i].argno - 1 : seq++;
		if (a < 0 || a >= nconv || cls[a] != conv_class(str[i].kind))
			return 0;
		used[a] = 1;
	}
	for (int i = 0; i < nconv; i++)
		if (!used[i])
			return 0;
	return 1;
}

/* ---- matching a message against a format ------------------------------- */

typedef struct span {
	size_t off, len;
} span_t;

typedef struct match_ctx {
	const char *m;
	size_t mlen;
	const fmt_tok_t *t;
	int nt;
	span_t cap[FMT_TOKS_MAX];
	unsigned budget;
} match_ctx_t;

static int
is_digit_of(char ch, enum tok_kind k)
{
	if (k == TK_HEX)
		return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		    (ch >= 'A' && ch <= 'F');
	if (k == TK_OCT)
		return ch >= '0' && ch <= '7';
	return ch >= '0' && ch <= '9';
}

/* The length of the number a conversion of kind k printed at m[pos], or
 * 0 when there is none (padding spaces included). */
static size_t
number_at(const char *m, size_t mlen, size_t pos, enum tok_kind k)
{
	size_t p = pos, d;

	while (p < mlen && m[p] == ' ')
		p++;
	if (k == TK_PTR && mlen - p >= 5 && memcmp(m + p, "(nil)", 5) == 0)
		return p + 5 - pos;
	if ((k == TK_INT || k == TK_FLT) && p < mlen &&
	    (m[p] == '-' || m[p] == '+'))
		p++;
	if ((k == TK_HEX || k == TK_PTR) && mlen - p >= 2 && m[p] == '0' &&
	    (m[p + 1] == 'x' || m[p + 1] == 'X'))
		p += 2;
	if (k == TK_FLT && mlen - p >= 3 && (memcmp(m + p, "inf", 3) == 0 ||
	    memcmp(m + p, "nan", 3) == 0))
		return p + 3 - pos;
	d = p;
	while (p < mlen && is_digit_of(m[p], k == TK_PTR ? TK_HEX : k))
		p++;
	if (p == d)
		return 0;
	if (k == TK_FLT) {
		if (p < mlen && m[p] == '.') {
			p++;
			while (p < mlen && m[p] >= '0' && m[p] <= '9')
				p++;
		}
		if (p + 1 < mlen && (m[p] == 'e' || m[p] == 'E') &&
		    (m[p + 1] == '-' || m[p + 1] == '+')) {
			size_t q = p + 2;
			while (q < mlen && m[q] >= '0' && m[q] <= '9')
				q++;
			if (q > p + 2)
				p = q;
		}
	}
	return p - pos;
}

/* 1 when tokens i.. match m from pos to its end; fills cap[conv..]. */
static int
match_from(match_ctx_t *x, int i, size_t pos, int conv)
{
	const fmt_tok_t *t;

	if (x->budget == 0)
		return 0;
	x->budget--;
	if (i == x->nt)
		return pos == x->mlen;
	t = &x->t[i];
	switch (t->kind) {
	case TK_LIT:
		if (x->mlen - pos < t->litlen ||
		    memcmp(x->m + pos, t->lit, t->litlen) != 0)
			return 0;
		return match_from(x, i + 1, pos + t->litlen, conv);
	case TK_PCT:
		if (pos >= x->mlen || x->m[pos] != '%')
			return 0;
		return match_from(x, i + 1, pos + 1, conv);
	case TK_CHR:
		if (pos >= x->mlen)
			return 0;
		x->cap[conv] = (span_t){ pos, 1 };
		return match_from(x, i + 1, pos + 1, conv + 1);
	case TK_STR: {
		/* Shortest first; where a literal follows, only where it
		 * begins. */
		const fmt_tok_t *next = i + 1 < x->nt &&
		    x->t[i + 1].kind == TK_LIT ? &x->t[i + 1] : NULL;
		for (size_t end = pos; end <= x->mlen; end++) {
			if (next != NULL && (x->mlen - end < next->litlen ||
			    memcmp(x->m + end, next->lit, next->litlen) != 0))
				continue;
			if (next == NULL && i + 1 == x->nt && end != x->mlen)
				continue;
			x->cap[conv] = (span_t){ pos, end - pos };
			if (match_from(x, i + 1, end, conv + 1))
				return 1;
			if (x->budget == 0)
				return 0;
		}
		return 0;
	}
	default: {
		size_t l = number_at(x->m, x->mlen, pos, t->kind);
		if (l == 0)
			return 0;
		x->cap[conv] = (span_t){ pos, l };
		return match_from(x, i + 1, pos + l, conv + 1);
	}
	}
}

/* ---- output ------------------------------------------------------------ */

typedef struct outbuf {
	char *p;
	size_t cap, len;
	int cut;
} outbuf_t;

static void
out_put(outbuf_t *o, const char *s, size_t n)
{
	size_t room = o->cap - 1 - o->len;

	if (o->cut)
		return;
	if (n > room) {
		/* s[n] is the first byte left out: a continuation byte
		 * means its character began before, so leave that out too */
		n = room;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		o->cut = 1;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
out_end(outbuf_t *o)
{
	o->p[o->len] = '\0';
}

static const char *translate(const kt_catalog_t *c, const cat_lang_t *l,
    const char *msg, size_t mlen, char *out, size_t cap, int depth);

/* Writes the translated format str with the captures of x in place. */
static int
render(const kt_catalog_t *c, const cat_lang_t *l, const match_ctx_t *x,
    const char *str, outbuf_t *o, int depth)
{
	fmt_tok_t t[FMT_TOKS_MAX];
	int nt = fmt_parse(str, t, FMT_TOKS_MAX), seq = 0, nconv = 0;
	int quoted[FMT_TOKS_MAX];

	if (nt < 0)
		return -1;
	/* A value the English quotes ('%s', "%s", «%s») is data a person
	 * typed (a login, a name): never translated, even when it happens
	 * to be a message ("export"). */
	for (int i = 0; i < x->nt; i++) {
		if (!is_conv(x->t[i].kind))
			continue;
		quoted[nconv] = 0;
		if (i > 0 && x->t[i - 1].kind == TK_LIT && x->t[i - 1].litlen > 0) {
			const char *pre = x->t[i - 1].lit;
			size_t n = x->t[i - 1].litlen;
			quoted[nconv] = pre[n - 1] == '\'' || pre[n - 1] == '"' ||
			    (n >= 2 && (unsigned char)pre[n - 2] == 0xc2 &&
			    (unsigned char)pre[n - 1] == 0xab);
		}
		nconv++;
	}
	for (int i = 0; i < nt; i++) {
		const span_t *sp;
		int a;
		if (t[i].kind == TK_LIT) {
			out_put(o, t[i].lit, t[i].litlen);
			continue;
		}
		if (t[i].kind == TK_PCT) {
			out_put(o, "%", 1);
			continue;
		}
		a = t[i].argno ? (int)t[i].argno - 1 : seq++;
		if (a < 0 || a >= nconv)
			return -1;
		sp = &x->cap[a];
		if (t[i].kind == TK_STR && depth > 1 && sp->len > 0 &&
		    !quoted[a]) {
			char sub[512];
			const char *tr = translate(c, l, x->m + sp->off, sp->len,
			    sub, sizeof(sub), depth - 1);
			if (tr == sub) {
				out_put(o, sub, strlen(sub));
				continue;
			}
		}
		out_put(o, x->m + sp->off, sp->len);
	}
	return 0;
}

static int
entry_cmp_key(const void *key, const void *elt)
{
	return strcmp(key, ((const cat_entry_t *)elt)->id);
}

/* msg (mlen bytes, not NUL-terminated) in l: out, or NULL when no entry
 * matches. */
static const char *
translate(const kt_catalog_t *c, const cat_lang_t *l, const char *msg,
    size_t mlen, char *out, size_t cap, int depth)
{
	char key[512];
	const cat_entry_t *e;
	match_ctx_t x, best;
	const cat_entry_t *best_e = NULL;

	memset(&best, 0, sizeof(best));
	outbuf_t o = { out, cap, 0, 0 };

	if (cap == 0 || mlen == 0)
		return NULL;
	if (mlen < sizeof(key)) {
		memcpy(key, msg, mlen);
		key[mlen] = '\0';
		e = bsearch(key, l->e, l->n, sizeof(*l->e), entry_cmp_key);
		if (e != NULL && !e->pattern) {
			out_put(&o, e->str, strlen(e->str));
			out_end(&o);
			return out;
		}
	}
	x.m = msg;
	x.mlen = mlen;
	x.budget = MATCH_BUDGET;
	for (size_t k = 0; k < l->npat && x.budget > 0; k++) {
		fmt_tok_t t[FMT_TOKS_MAX];
		int nt;
		e = &l->e[l->pat[k]];
		if (best_e != NULL && e->id_lit <= best_e->id_lit)
			continue;
		/* the literal start, before parsing anything */
		size_t pre = strcspn(e->id, "%");
		if (pre > mlen || memcmp(e->id, msg, pre) != 0)
			continue;
		if ((nt = fmt_parse(e->id, t, FMT_TOKS_MAX)) < 0)
			continue;
		x.t = t;
		x.nt = nt;
		if (match_from(&x, 0, 0, 0)) {
			best = x;
			best_e = e;
			/* its tokens point into e->id: parse again below */
		}
	}
	if (best_e == NULL)
		return NULL;
	{
		fmt_tok_t t[FMT_TOKS_MAX];
		best.nt = fmt_parse(best_e->id, t, FMT_TOKS_MAX);
		best.t = t;
		if (render(c, l, &best, best_e->str, &o, depth) != 0)
			return NULL;
	}
	out_end(&o);
	return out;
}

const char *
kt_catalog_translate(const kt_catalog_t *c, const char *lang,
    const char *msg, char *out, size_t cap)
{
	const char *tr;

	if (c == NULL || lang == NULL || msg == NULL || strcmp(lang, "en") == 0)
		return msg;
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->lang[i].code, lang) != 0)
			continue;
		tr = translate(c, &c->lang[i], msg, strlen(msg), out, cap,
		    NEST_DEPTH);
		return tr != NULL ? tr : msg;
	}
	return msg;
}

/* ---- reading a .mo ----------------------------------------------------- */

static int
rd32(const cat_lang_t *l, size_t off, uint32_t *v)
{
	uint32_t x;

	if (off > l->len || l->len - off < 4)
		return -1;
	memcpy(&x, l->data + off, 4);
	if (l->swap)
		x = (x >> 24) | ((x >> 8) & 0xff00u) | ((x << 8) & 0xff0000u) |
		    (x << 24);
	*v = x;
	return 0;
}

/* String i of the (length, offset) table at tab: NUL-terminated inside
 * the file. *len is its length without the NUL (a plural entry has NULs
 * inside: then strlen(*s) < *len). */
static int
rdstr(const cat_lang_t *l, uint32_t tab, uint32_t i, const char **s,
    size_t *len)
{
	uint32_t n, off;

	if (rd32(l, (size_t)tab + (size_t)i * 8, &n) != 0 ||
	    rd32(l, (size_t)tab + (size_t)i * 8 + 4, &off) != 0)
		return -1;
	if (off > l->len || l->len - off < (size_t)n + 1 ||
	    l->data[(size_t)off + n] != '\0')
		return -1;
	*s = (const char *)l->data + off;
	*len = n;
	return 0;
}

/* The text of a system dependent segment on this platform ("PRIu64" ->
 * "lu"), or NULL for one this reader does not know. */
static const char *
sysdep_value(const char *name)
{
	static const struct {
		const char *name, *value;
	} tab[] = {
		{ "PRId64", PRId64 }, { "PRIi64", PRIi64 },
		{ "PRIu64", PRIu64 }, { "PRIx64", PRIx64 },
		{ "PRIX64", PRIX64 }, { "PRIo64", PRIo64 },
		{ "PRId32", PRId32 }, { "PRIi32", PRIi32 },
		{ "PRIu32", PRIu32 }, { "PRIx32", PRIx32 },
		{ "PRIX32", PRIX32 }, { "PRId16", PRId16 },
		{ "PRIu16", PRIu16 }, { "PRId8", PRId8 },
		{ "PRIu8", PRIu8 }, { "PRIdMAX", PRIdMAX },
		{ "PRIuMAX", PRIuMAX }, { "PRIuPTR", PRIuPTR },
		{ "PRIxPTR", PRIxPTR },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].name, name) == 0)
			return tab[i].value;
	return NULL;
}

/* Expands the system dependent string at off: a malloc'd string in *out
 * (NULL, returning 0, when it names a segment this platform has no value
 * for: the entry is skipped), or -1 when the file is damaged. */
static int
sysdep_expand(const cat_lang_t *l, uint32_t off, uint32_t segtab,
    uint32_t nseg, char **out)
{
	uint32_t soff, segsize, ref;
	size_t pos = (size_t)off + 4, cap = 256, n = 0;
	char *s = NULL, *t;

	*out = NULL;
	if (rd32(l, off, &soff) != 0 || soff > l->len)
		return -1;
	if ((s = malloc(cap)) == NULL)
		return -1;
	for (;;) {
		const char *v = NULL;
		size_t vl = 0;
		if (rd32(l, pos, &segsize) != 0 || rd32(l, pos + 4, &ref) != 0 ||
		    segsize > l->len - soff)
			goto bad;
		pos += 8;
		if (ref != MO_SEGMENTS_END) {
			uint32_t nl, no;
			if (ref >= nseg ||
			    rd32(l, (size_t)segtab + (size_t)ref * 8, &nl) != 0 ||
			    rd32(l, (size_t)segtab + (size_t)ref * 8 + 4, &no) != 0 ||
			    nl == 0 || no > l->len || l->len - no < nl ||
			    l->data[(size_t)no + nl - 1] != '\0')
				goto bad;
			v = sysdep_value((const char *)l->data + no);
			if (v == NULL) {
				free(s);
				return 0;
			}
			vl = strlen(v);
		}
		while (n + segsize + vl + 1 > cap) {
			if (cap > CAT_FILE_MAX)
				goto bad;
			cap *= 2;
			if ((t = realloc(s, cap)) == NULL)
				goto bad;
			s = t;
		}
		memcpy(s + n, l->data + soff, segsize);
		n += segsize;
		soff += segsize;
		if (ref == MO_SEGMENTS_END)
			break;
		memcpy(s + n, v, vl);
		n += vl;
	}
	/* the last static piece ends with the string's NUL */
	if (n == 0 || s[n - 1] != '\0')
		goto bad;
	*out = s;
	return 0;
bad:
	free(s);
	return -1;
}

static void
lang_free(cat_lang_t *l)
{
	for (size_t i = 0; i < l->nowned; i++)
		free(l->owned[i]);
	free(l->owned);
	free(l->e);
	free(l->pat);
	free(l->data);
	memset(l, 0, sizeof(*l));
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const cat_entry_t *)a)->id,
	    ((const cat_entry_t *)b)->id);
}

/* Adds (id, str) to l when it is a usable translation: not the header,
 * not a plural entry, and a format that takes the same arguments. */
static void
lang_add(cat_lang_t *l, const char *id, size_t idlen, const char *str,
    size_t strlen_)
{
	fmt_tok_t ti[FMT_TOKS_MAX], ts[FMT_TOKS_MAX];
	cat_entry_t *e = &l->e[l->n];
	int ni, ns;

	if (idlen == 0 || strlen_ == 0 || strlen(id) != idlen ||
	    strlen(str) != strlen_)
		return;
	e->id = id;
	e->str = str;
	e->pattern = strchr(id, '%') != NULL;
	e->id_lit = idlen;
	if (e->pattern) {
		if ((ni = fmt_parse(id, ti, FMT_TOKS_MAX)) < 0 ||
		    (ns = fmt_parse(str, ts, FMT_TOKS_MAX)) < 0 ||
		    !fmt_compatible(ti, ni, ts, ns))
			return;
		e->id_lit = 0;
		for (int i = 0; i < ni; i++)
			e->id_lit += ti[i].litlen + (ti[i].kind == TK_PCT);
		if (e->id_lit == 0)
			return; /* "%s": it would match every message */
	}
	l->n++;
}

static int
lang_parse(cat_lang_t *l, char *err, size_t cap)
{
	uint32_t magic, rev, n, otab, ttab, nseg = 0, segtab = 0, nsd = 0;
	uint32_t osd = 0, tsd = 0;

	if (rd32(l, 0, &magic) != 0)
		goto bad;
	if (magic == MO_MAGIC_SWAPPED) {
		l->swap = 1;
	} else if (magic != MO_MAGIC) {
		snprintf(err, cap, "not a GNU .mo file (magic number)");
		return -1;
	}
	if (rd32(l, 4, &rev) != 0 || rd32(l, 8, &n) != 0 ||
	    rd32(l, 12, &otab) != 0 || rd32(l, 16, &ttab) != 0)
		goto bad;
	if ((rev >> 16) > 1) {
		snprintf(err, cap, "unsupported .mo revision %" PRIu32,
		    rev >> 16);
		return -1;
	}
	if ((rev & 0xffffu) >= 1 && (rd32(l, 28, &nseg) != 0 ||
	    rd32(l, 32, &segtab) != 0 || rd32(l, 36, &nsd) != 0 ||
	    rd32(l, 40, &osd) != 0 || rd32(l, 44, &tsd) != 0))
		goto bad;
	if (n > l->len / 8 || nsd > l->len / 4)
		goto bad;
	l->e = calloc((size_t)n + nsd + 1, sizeof(*l->e));
	l->owned = calloc((size_t)nsd * 2 + 1, sizeof(*l->owned));
	if (l->e == NULL || l->owned == NULL) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		const char *id, *str;
		size_t idlen, slen;
		if (rdstr(l, otab, i, &id, &idlen) != 0 ||
		    rdstr(l, ttab, i, &str, &slen) != 0)
			goto bad;
		lang_add(l, id, idlen, str, slen);
	}
	for (uint32_t i = 0; i < nsd; i++) {
		uint32_t oo, to;
		char *id = NULL, *str = NULL;
		if (rd32(l, (size_t)osd + (size_t)i * 4, &oo) != 0 ||
		    rd32(l, (size_t)tsd + (size_t)i * 4, &to) != 0 ||
		    sysdep_expand(l, oo, segtab, nseg, &id) != 0 ||
		    sysdep_expand(l, to, segtab, nseg, &str) != 0) {
			free(id);
			goto bad;
		}
		if (id != NULL)
			l->owned[l->nowned++] = id;
		if (str != NULL)
			l->owned[l->nowned++] = str;
		if (id != NULL && str != NULL)
			lang_add(l, id, strlen(id), str, strlen(str));
	}
	qsort(l->e, l->n, sizeof(*l->e), entry_cmp);
	if ((l->pat = calloc(l->n + 1, sizeof(*l->pat))) == NULL) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < l->n; i++)
		if (l->e[i].pattern)
			l->pat[l->npat++] = i;
	return 0;
bad:
	snprintf(err, cap, "damaged .mo file (a table or string lies "
	    "outside it)");
	return -1;
}

static int
lang_ok(const char *lang)
{
	size_t n = lang ? strlen(lang) : 0;

	if (n < 2 || n > 3)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lang[i] < 'a' || lang[i] > 'z')
			return 0;
	return 1;
}

/* Takes data (malloc'd, len bytes) as lang's catalogue; frees it on
 * failure. */
static int
load_owned(kt_catalog_t *c, const char *lang, uint8_t *data, size_t len,
    char *err, size_t cap)
{
	cat_lang_t l;
	size_t slot;

	memset(&l, 0, sizeof(l));
	l.data = data;
	l.len = len;
	if (!lang_ok(lang)) {
		snprintf(err, cap, "language '%.8s': expected 2 or 3 lower-case "
		    "letters", lang ? lang : "");
		lang_free(&l);
		return -1;
	}
	snprintf(l.code, sizeof(l.code), "%s", lang);
	if (lang_parse(&l, err, cap) != 0) {
		lang_free(&l);
		return -1;
	}
	for (slot = 0; slot < c->n; slot++)
		if (strcmp(c->lang[slot].code, lang) == 0)
			break;
	if (slot == CAT_LANGS_MAX) {
		snprintf(err, cap, "more than %d languages", CAT_LANGS_MAX);
		lang_free(&l);
		return -1;
	}
	if (slot < c->n)
		lang_free(&c->lang[slot]);
	else
		c->n++;
	c->lang[slot] = l;
	return 0;
}

kt_catalog_t *
kt_catalog_new(void)
{
	return calloc(1, sizeof(kt_catalog_t));
}

int
kt_catalog_load_mem(kt_catalog_t *c, const char *lang, const uint8_t *data,
    size_t len, char *err, size_t cap)
{
	uint8_t *copy;

	if (len > CAT_FILE_MAX) {
		snprintf(err, cap, "catalogue larger than %u MiB",
		    CAT_FILE_MAX >> 20);
		return -1;
	}
	if ((copy = malloc(len ? len : 1)) == NULL) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	if (len)
		memcpy(copy, data, len);
	return load_owned(c, lang, copy, len, err, cap);
}

int
kt_catalog_load_file(kt_catalog_t *c, const char *lang, const char *path,
    char *err, size_t cap)
{
	FILE *f = NULL;
	uint8_t *data = NULL;
	long sz;
	int rc = -1;
	char why[160];

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		snprintf(err, cap, "%s: cannot be read", path);
		goto out;
	}
	if ((unsigned long)sz > CAT_FILE_MAX) {
		snprintf(err, cap, "%s: larger than %u MiB", path,
		    CAT_FILE_MAX >> 20);
		goto out;
	}
	if ((data = malloc((size_t)sz + 1)) == NULL) {
		snprintf(err, cap, "%s: out of memory", path);
		goto out;
	}
	if (fread(data, 1, (size_t)sz, f) != (size_t)sz) {
		snprintf(err, cap, "%s: cannot be read", path);
		goto out;
	}
	rc = load_owned(c, lang, data, (size_t)sz, why, sizeof(why));
	data = NULL; /* load_owned took it */
	if (rc != 0)
		snprintf(err, cap, "%s: %s", path, why);
out:
	free(data);
	fclose(f);
	return rc;
}

int
kt_catalog_load_dir(kt_catalog_t *c, const char *dir, const char *langs,
    char *err, size_t cap)
{
	const char *p = langs;
	int loaded = 0;

	if (cap > 0)
		err[0] = '\0';
	while (p != NULL && *p != '\0') {
		char lang[8], path[4096], why[512];
		size_t n;
		p += strspn(p, " ;");
		n = strcspn(p, " ;");
		if (n == 0)
			break;
		snprintf(lang, sizeof(lang), "%.*s", (int)(n < 7 ? n : 7), p);
		p += n;
		snprintf(path, sizeof(path), "%s/%s/LC_MESSAGES/kartoteka.mo",
		    dir, lang);
		if (kt_catalog_load_file(c, lang, path, why, sizeof(why)) == 0)
			loaded++;
		else if (cap > 0 && err[0] == '\0')
			snprintf(err, cap, "%s", why);
	}
	return loaded;
}

int
kt_catalog_has(const kt_catalog_t *c, const char *lang)
{
	if (c == NULL || lang == NULL)
		return 0;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->lang[i].code, lang) == 0)
			return 1;
	return 0;
}

void
kt_catalog_free(kt_catalog_t *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		lang_free(&c->lang[i]);
	free(c);
}
