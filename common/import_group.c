/* SPDX-License-Identifier: MIT */
/* Groups import rows into cards: a union-find over the rows, joined by
 * the keys they share (phones, e-mails, family name and address), with
 * the rows kept packed in one buffer and merged into a card on demand. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "import_group.h"
#include "kt_error.h"
#include "normalize.h"

typedef struct grow {
	size_t line;
	size_t off;          /* packed card in g->buf */
	uint32_t len;
	uint32_t parent;     /* union-find; the root is the group's first row */
} grow_t;

/* A key's slot: its 64-bit SipHash (0 = empty) and the first row with it.
 * Two different keys with the same hash would join their rows: with a
 * million rows that is a chance of about 1 in 10^7. */
typedef struct gslot {
	uint64_t hash;
	uint32_t row;
} gslot_t;

struct kt_igroup {
	grow_t *rows;
	size_t nrows, caprows;
	uint8_t *buf;
	size_t len, cap;
	gslot_t *slots;
	size_t nslots, used;           /* nslots a power of two */
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	/* after finish: card c is rows members[start[c] .. start[c+1]) */
	size_t ncards;
	size_t *start;
	uint32_t *members;
	size_t *lines;                 /* the members' lines */
	int finished;
};

int
kt_igroup_new(kt_igroup_t **out)
{
	kt_igroup_t *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (g == NULL)
		return KT_ENOMEM;
	g->nslots = 1024;
	if ((g->slots = calloc(g->nslots, sizeof(*g->slots))) == NULL) {
		free(g);
		return KT_ENOMEM;
	}
	/* A fixed key: the grouping is the same on every run, so that a
	 * resumed import numbers its cards as the first run did. */
	memset(g->hkey, 0x6b, sizeof(g->hkey));
	*out = g;
	return 0;
}

void
kt_igroup_free(kt_igroup_t *g)
{
	if (g == NULL)
		return;
	free(g->rows);
	free(g->buf);
	free(g->slots);
	free(g->start);
	free(g->members);
	free(g->lines);
	free(g);
}

size_t
kt_igroup_rows(const kt_igroup_t *g)
{
	return g->nrows;
}

size_t
kt_igroup_cards(const kt_igroup_t *g)
{
	return g->ncards;
}

/* ==== union-find ============================================================ */

static uint32_t
find(kt_igroup_t *g, uint32_t i)
{
	uint32_t root = i;

	while (g->rows[root].parent != root)
		root = g->rows[root].parent;
	while (g->rows[i].parent != root) {
		uint32_t next = g->rows[i].parent;
		g->rows[i].parent = root;
		i = next;
	}
	return root;
}

/* The earlier root stays the root: a group's root is its first row. */
static void
join(kt_igroup_t *g, uint32_t a, uint32_t b)
{
	a = find(g, a);
	b = find(g, b);
	if (a < b)
		g->rows[b].parent = a;
	else if (b < a)
		g->rows[a].parent = b;
}

static int
grow_slots(kt_igroup_t *g)
{
	size_t n = g->nslots * 2;
	gslot_t *s = calloc(n, sizeof(*s));

	if (s == NULL)
		return KT_ENOMEM;
	for (size_t i = 0; i < g->nslots; i++) {
		size_t j;
		if (g->slots[i].hash == 0)
			continue;
		for (j = g->slots[i].hash & (n - 1); s[j].hash != 0;
		    j = (j + 1) & (n - 1))
			;
		s[j] = g->slots[i];
	}
	free(g->slots);
	g->slots = s;
	g->nslots = n;
	return 0;
}

/* Joins row with the first row that had key (kind + text), or makes row
 * the key's first. */
static int
key(kt_igroup_t *g, uint32_t row, char kind, const char *text)
{
	uint8_t h[crypto_shorthash_BYTES], m[1200];
	size_t n = strlen(text), j;
	uint64_t hash;
	int rc;

	/* Keys are short (a phone, an e-mail, a family and its address);
	 * a longer one is hashed by its start. */
	if (n > sizeof(m) - 1)
		n = sizeof(m) - 1;
	m[0] = (uint8_t)kind;
	memcpy(m + 1, text, n);
	crypto_shorthash(h, m, n + 1, g->hkey);
	memcpy(&hash, h, sizeof(hash));
	if (hash == 0)
		hash = 1;
	if (g->used * 2 >= g->nslots && (rc = grow_slots(g)) != 0)
		return rc;
	for (j = hash & (g->nslots - 1); g->slots[j].hash != 0;
	    j = (j + 1) & (g->nslots - 1))
		if (g->slots[j].hash == hash) {
			join(g, g->slots[j].row, row);
			return 0;
		}
	g->slots[j].hash = hash;
	g->slots[j].row = row;
	g->used++;
	return 0;
}

/* 1 when s (n bytes) ends with the UTF-8 text end. */
static int
ends(const char *s, size_t n, const char *end)
{
	size_t e = strlen(end);

	return n > e && memcmp(s + n - e, end, e) == 0;
}

/* The family of a folded surname: a wife and a husband share one
 * (Иванова, Иванов; Кузьмина, Кузьмин; Ковальская, Ковальский): the
 * feminine -ова/-ева/-ина/-ына lose their -а, -ская/-цкая become
 * -ский/-цкий. In place; returns the new length. */
static size_t
family_stem(char *s, size_t n)
{
	static const char *const fem[] = { "ова", "ева", "ина", "ына" };

	for (size_t i = 0; i < sizeof(fem) / sizeof(fem[0]); i++)
		if (ends(s, n, fem[i])) {
			n -= strlen("а");
			s[n] = '\0';
			return n;
		}
	if (ends(s, n, "ская") || ends(s, n, "цкая")) {
		n -= strlen("ая");
		n += (size_t)snprintf(s + n, 8, "ий");
	}
	return n;
}

/* The family key: the first word of the first person's name (the
 * surname, as Russian lists write names), its family stem, and the
 * address, folded. */
static int
family_key(kt_igroup_t *g, uint32_t row, const Kartoteka__Client *c)
{
	char text[1024], fam[256], addr[700];
	const char *name;
	size_t n;

	if (c->n_people == 0 || c->address == NULL || c->address[0] == '\0')
		return 0;
	name = c->people[0]->name ? c->people[0]->name : "";
	n = strcspn(name, " ");
	if (n == 0 || n >= sizeof(text))
		return 0;
	memcpy(text, name, n);
	text[n] = '\0';
	if (kt_text_fold(text, fam, sizeof(fam) - 8) != 0 ||
	    kt_text_fold(c->address, addr, sizeof(addr)) != 0)
		return 0;
	family_stem(fam, strlen(fam));
	snprintf(text, sizeof(text), "%s|%s", fam, addr);
	return key(g, row, 'f', text);
}

int
kt_igroup_add(kt_igroup_t *g, size_t line, const Kartoteka__Client *card)
{
	size_t n = kartoteka__client__get_packed_size(card);
	uint32_t row;
	int rc;

	if (g->finished)
		return KT_EINVAL;
	if (g->nrows >= UINT32_MAX - 1 || n > UINT32_MAX ||
	    g->len > SIZE_MAX / 2)
		return KT_ETOOBIG;
	if (g->nrows == g->caprows) {
		size_t cap = g->caprows ? g->caprows * 2 : 1024;
		grow_t *r = realloc(g->rows, cap * sizeof(*r));
		if (r == NULL)
			return KT_ENOMEM;
		g->rows = r;
		g->caprows = cap;
	}
	if (g->len + n > g->cap) {
		size_t cap = (g->cap ? g->cap * 2 : 1u << 16) + n;
		uint8_t *b = realloc(g->buf, cap);
		if (b == NULL)
			return KT_ENOMEM;
		g->buf = b;
		g->cap = cap;
	}
	row = (uint32_t)g->nrows;
	g->rows[row] = (grow_t){ .line = line, .off = g->len,
		.len = (uint32_t)n, .parent = row };
	kartoteka__client__pack(card, g->buf + g->len);
	g->len += n;
	g->nrows++;
	for (size_t i = 0; i < card->n_people; i++) {
		const Kartoteka__Person *p = card->people[i];
		char folded[KT_EMAIL_MAX * 4];
		for (size_t j = 0; j < p->n_phones; j++)
			if ((rc = key(g, row, 'p', p->phones[j])) != 0)
				return rc;
		if (p->email && p->email[0] &&
		    kt_text_fold(p->email, folded, sizeof(folded)) == 0 &&
		    (rc = key(g, row, 'e', folded)) != 0)
			return rc;
	}
	return family_key(g, row, card);
}

int
kt_igroup_finish(kt_igroup_t *g)
{
	size_t *card_of = NULL, *pos = NULL;
	int rc = KT_ENOMEM;

	g->finished = 1;
	free(g->start);
	free(g->members);
	free(g->lines);
	g->start = calloc(g->nrows + 2, sizeof(*g->start));
	g->members = malloc((g->nrows + 1) * sizeof(*g->members));
	g->lines = malloc((g->nrows + 1) * sizeof(*g->lines));
	card_of = malloc((g->nrows + 1) * sizeof(*card_of));
	pos = malloc((g->nrows + 1) * sizeof(*pos));
	if (g->start == NULL || g->members == NULL || g->lines == NULL ||
	    card_of == NULL || pos == NULL)
		goto out;
	/* Cards in the order of their roots (first rows); then each card's
	 * rows in file order, card after card. */
	g->ncards = 0;
	for (uint32_t i = 0; i < g->nrows; i++)
		if (find(g, i) == i)
			card_of[i] = g->ncards++;
	for (uint32_t i = 0; i < g->nrows; i++)
		g->start[card_of[g->rows[i].parent] + 1]++;
	for (size_t c = 0; c < g->ncards; c++) {
		g->start[c + 1] += g->start[c];
		pos[c] = g->start[c];
	}
	for (uint32_t k = 0; k < g->nrows; k++) {
		size_t at = pos[card_of[g->rows[k].parent]]++;
		g->members[at] = k;
		g->lines[at] = g->rows[k].line;
	}
	rc = 0;
out:
	free(card_of);
	free(pos);
	return rc;
}

/* ==== merging a card's rows ====================================================== */

/* 1 when a and b fold to the same text. */
static int
same_text(const char *a, const char *b)
{
	char fa[512], fb[512];

	if (kt_text_fold(a ? a : "", fa, sizeof(fa)) != 0 ||
	    kt_text_fold(b ? b : "", fb, sizeof(fb)) != 0)
		return a && b && strcmp(a, b) == 0;
	return strcmp(fa, fb) == 0;
}

/* *v (n items) with x appended, in arena a. */
static int
append(kt_arena_t *a, void ***v, size_t *n, void *x)
{
	void **nv = kt_arena_alloc(a, (*n + 1) * sizeof(*nv));

	if (nv == NULL)
		return KT_ENOMEM;
	if (*n)
		memcpy(nv, *v, *n * sizeof(*nv));
	nv[(*n)++] = x;
	*v = nv;
	return 0;
}

#define APPEND(a, arr, n, x) append((a), (void ***)&(arr), &(n), (x))

static int
has_str(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* Appends text to *notes on a line of its own unless it is there. */
static int
add_note(kt_arena_t *a, char **notes, const char *label, const char *text)
{
	size_t n;
	char *o;

	if (text == NULL || text[0] == '\0' || (*notes && strstr(*notes, text)))
		return 0;
	n = (*notes ? strlen(*notes) : 0) + strlen(text) +
	    (label ? strlen(label) : 0) + 4;
	if ((o = kt_arena_alloc(a, n)) == NULL)
		return KT_ENOMEM;
	snprintf(o, n, "%s%s%s%s%s", *notes ? *notes : "",
	    *notes && **notes ? "\n" : "", label ? label : "",
	    label ? ": " : "", text);
	*notes = o;
	return 0;
}

static int
merge_person(kt_arena_t *a, Kartoteka__Client *into, Kartoteka__Person *q,
    const Kartoteka__Person *p)
{
	int rc;

	for (size_t j = 0; j < p->n_phones; j++)
		if (!has_str(q->phones, q->n_phones, p->phones[j]) &&
		    (rc = APPEND(a, q->phones, q->n_phones, p->phones[j])) != 0)
			return rc;
	if (p->email && p->email[0]) {
		if (q->email == NULL || q->email[0] == '\0')
			q->email = p->email;
		else if (!same_text(q->email, p->email) &&
		    (rc = add_note(a, &into->notes, "e-mail", p->email)) != 0)
			return rc;
	}
	if (q->birth_month == 0 && p->birth_month != 0) {
		q->birth_year = p->birth_year;
		q->birth_month = p->birth_month;
		q->birth_day = p->birth_day;
	}
	if (q->relation == KARTOTEKA__RELATION__CONTACT &&
	    p->relation == KARTOTEKA__RELATION__PARENT)
		q->relation = p->relation;
	return 0;
}

#define FILL(f) do { if ((!into->f || !into->f[0]) && from->f && from->f[0]) \
	into->f = from->f; } while (0)

static int
merge_row(kt_arena_t *a, Kartoteka__Client *into, const Kartoteka__Client *from)
{
	int rc;

	for (size_t i = 0; i < from->n_people; i++) {
		Kartoteka__Person *p = from->people[i], *q = NULL;
		for (size_t k = 0; k < into->n_people && q == NULL; k++)
			if (same_text(into->people[k]->name, p->name))
				q = into->people[k];
		if (q != NULL)
			rc = merge_person(a, into, q, p);
		else
			rc = APPEND(a, into->people, into->n_people, p);
		if (rc != 0)
			return rc;
	}
	for (size_t i = 0; i < from->n_tags; i++)
		if (!has_str(into->tags, into->n_tags, from->tags[i]) &&
		    (rc = APPEND(a, into->tags, into->n_tags, from->tags[i])) !=
		    0)
			return rc;
	for (size_t i = 0; i < from->n_custom; i++)
		if ((rc = APPEND(a, into->custom, into->n_custom,
		    from->custom[i])) != 0)
			return rc;
	if (from->notes && from->notes[0] &&
	    (rc = add_note(a, &into->notes, NULL, from->notes)) != 0)
		return rc;
	FILL(source);
	FILL(contract);
	FILL(address);
	FILL(branch);
	FILL(manager);
	if (into->status == 0)
		into->status = from->status;
	if (into->category == 0)
		into->category = from->category;
	if (into->discount_percent == 0)
		into->discount_percent = from->discount_percent;
	return 0;
}
#undef FILL

int
kt_igroup_card(const kt_igroup_t *g, size_t i, kt_arena_t *a,
    Kartoteka__Client **card, const size_t **lines, size_t *nlines)
{
	Kartoteka__Client *into = NULL;
	int rc;

	*card = NULL;
	if (!g->finished || i >= g->ncards)
		return KT_EINVAL;
	for (size_t k = g->start[i]; k < g->start[i + 1]; k++) {
		const grow_t *r = &g->rows[g->members[k]];
		Kartoteka__Client *c = kartoteka__client__unpack(&a->pb, r->len,
		    g->buf + r->off);
		if (c == NULL)
			return KT_EPROTO;
		if (into == NULL)
			into = c;
		else if ((rc = merge_row(a, into, c)) != 0)
			return rc;
	}
	*card = into;
	*lines = g->lines + g->start[i];
	*nlines = g->start[i + 1] - g->start[i];
	return 0;
}

void
kt_igroup_lines(const kt_igroup_t *g, size_t i, const size_t **lines,
    size_t *nlines)
{
	*lines = g->lines + g->start[i];
	*nlines = g->start[i + 1] - g->start[i];
}
