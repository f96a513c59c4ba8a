/* SPDX-License-Identifier: MIT */
/* Maps the rows of an import file to client cards: header recognition,
 * the mapping file, and the reading of each cell (names, phones, e-mails,
 * dates, status, category, discount). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unictype.h>
#include <unistr.h>

#include "i18n.h"
#include "import_map.h"
#include "kt_error.h"

/* ==== fields and their names ============================================= */

static const char *const field_names[KT_IF_COUNT] = {
	[KT_IF_IGNORE] = "ignore", [KT_IF_FULLNAME] = "name",
	[KT_IF_LAST] = "last_name", [KT_IF_FIRST] = "first_name",
	[KT_IF_MIDDLE] = "middle_name", [KT_IF_PHONE] = "phone",
	[KT_IF_EMAIL] = "email", [KT_IF_BIRTH] = "birth",
	[KT_IF_CHILD] = "child", [KT_IF_CHILD_BIRTH] = "child_birth",
	[KT_IF_BRANCH] = "branch", [KT_IF_MANAGER] = "manager",
	[KT_IF_SOURCE] = "source", [KT_IF_NOTE] = "note",
	[KT_IF_STATUS] = "status", [KT_IF_CATEGORY] = "category",
	[KT_IF_CONTRACT] = "contract", [KT_IF_DISCOUNT] = "discount",
	[KT_IF_ADDRESS] = "address", [KT_IF_TITLE] = "title",
	[KT_IF_TAGS] = "tags", [KT_IF_CUSTOM] = "custom",
};

const char *
kt_ifield_name(kt_ifield_t f)
{
	return (unsigned)f < KT_IF_COUNT ? field_names[f] : "?";
}

/* The built-in headers, as kt_imap_key leaves them. */
static const struct {
	const char *key;
	kt_ifield_t field;
} known[] = {
	{ "фио", KT_IF_FULLNAME }, { "ф и о", KT_IF_FULLNAME },
	{ "имя клиента", KT_IF_FULLNAME }, { "клиент", KT_IF_FULLNAME },
	{ "контакт", KT_IF_FULLNAME }, { "контактное лицо", KT_IF_FULLNAME },
	{ "родитель", KT_IF_FULLNAME }, { "full name", KT_IF_FULLNAME },
	{ "name", KT_IF_FULLNAME }, { "contact", KT_IF_FULLNAME },
	{ "фамилия", KT_IF_LAST }, { "last name", KT_IF_LAST },
	{ "surname", KT_IF_LAST },
	{ "имя", KT_IF_FIRST }, { "first name", KT_IF_FIRST },
	{ "отчество", KT_IF_MIDDLE }, { "middle name", KT_IF_MIDDLE },
	{ "patronymic", KT_IF_MIDDLE },
	{ "телефон", KT_IF_PHONE }, { "телефоны", KT_IF_PHONE },
	{ "тел", KT_IF_PHONE }, { "моб телефон", KT_IF_PHONE },
	{ "мобильный", KT_IF_PHONE }, { "мобильный телефон", KT_IF_PHONE },
	{ "phone", KT_IF_PHONE }, { "phones", KT_IF_PHONE },
	{ "mobile", KT_IF_PHONE }, { "tel", KT_IF_PHONE },
	{ "email", KT_IF_EMAIL }, { "e mail", KT_IF_EMAIL },
	{ "почта", KT_IF_EMAIL }, { "эл почта", KT_IF_EMAIL },
	{ "электронная почта", KT_IF_EMAIL }, { "mail", KT_IF_EMAIL },
	{ "дата рождения", KT_IF_BIRTH }, { "день рождения", KT_IF_BIRTH },
	{ "др", KT_IF_BIRTH }, { "birth date", KT_IF_BIRTH },
	{ "birthday", KT_IF_BIRTH }, { "date of birth", KT_IF_BIRTH },
	{ "dob", KT_IF_BIRTH },
	{ "ребенок", KT_IF_CHILD }, { "дети", KT_IF_CHILD },
	{ "child", KT_IF_CHILD }, { "children", KT_IF_CHILD },
	{ "kids", KT_IF_CHILD },
	{ "дата рождения ребенка", KT_IF_CHILD_BIRTH },
	{ "др ребенка", KT_IF_CHILD_BIRTH },
	{ "child birth date", KT_IF_CHILD_BIRTH },
	{ "child birthday", KT_IF_CHILD_BIRTH },
	{ "филиал", KT_IF_BRANCH }, { "branch", KT_IF_BRANCH },
	{ "менеджер", KT_IF_MANAGER }, { "ответственный", KT_IF_MANAGER },
	{ "manager", KT_IF_MANAGER },
	{ "источник", KT_IF_SOURCE }, { "откуда узнали", KT_IF_SOURCE },
	{ "source", KT_IF_SOURCE },
	{ "примечание", KT_IF_NOTE }, { "примечания", KT_IF_NOTE },
	{ "комментарий", KT_IF_NOTE }, { "комментарии", KT_IF_NOTE },
	{ "заметки", KT_IF_NOTE }, { "note", KT_IF_NOTE },
	{ "notes", KT_IF_NOTE }, { "comment", KT_IF_NOTE },
	{ "comments", KT_IF_NOTE },
	{ "статус", KT_IF_STATUS }, { "status", KT_IF_STATUS },
	{ "категория", KT_IF_CATEGORY }, { "category", KT_IF_CATEGORY },
	{ "договор", KT_IF_CONTRACT }, { "номер договора", KT_IF_CONTRACT },
	{ "договор n", KT_IF_CONTRACT }, { "contract", KT_IF_CONTRACT },
	{ "скидка", KT_IF_DISCOUNT }, { "discount", KT_IF_DISCOUNT },
	{ "адрес", KT_IF_ADDRESS }, { "address", KT_IF_ADDRESS },
	{ "семья", KT_IF_TITLE }, { "название", KT_IF_TITLE },
	{ "компания", KT_IF_TITLE }, { "организация", KT_IF_TITLE },
	{ "family", KT_IF_TITLE }, { "company", KT_IF_TITLE },
	{ "title", KT_IF_TITLE },
	{ "теги", KT_IF_TAGS }, { "метки", KT_IF_TAGS }, { "tags", KT_IF_TAGS },
};

/* Fields a row may hold in several columns (their cells add up). */
static int
adds_up(kt_ifield_t f)
{
	return f == KT_IF_IGNORE || f == KT_IF_PHONE || f == KT_IF_EMAIL ||
	    f == KT_IF_CHILD || f == KT_IF_NOTE || f == KT_IF_TAGS ||
	    f == KT_IF_CUSTOM;
}

int
kt_imap_key(const char *header, char *out, size_t cap)
{
	char folded[512];
	size_t n = 0, len, i = 0;
	int space = 0;

	if (cap == 0)
		return KT_EINVAL;
	out[0] = '\0';
	if (kt_text_fold(header ? header : "", folded, sizeof(folded)) != 0)
		return KT_EINVAL;
	/* 'ё' is folded to 'е' already ("Ребёнок" = "ребенок"). */
	len = strlen(folded);
	while (i < len) {
		ucs4_t uc;
		int l = u8_mbtoucr(&uc, (const uint8_t *)folded + i, len - i);
		if (l <= 0)
			return KT_EINVAL;
		if (uc_is_alpha(uc) || uc_is_digit(uc)) {
			if (space && n > 0) {
				if (n + 1 >= cap)
					return KT_EINVAL;
				out[n++] = ' ';
			}
			space = 0;
			if (n + (size_t)l >= cap)
				return KT_EINVAL;
			memcpy(out + n, folded + i, (size_t)l);
			n += (size_t)l;
		} else {
			space = 1;
		}
		i += (size_t)l;
	}
	out[n] = '\0';
	/* "телефон 2", "телефон2": the trailing number goes. */
	while (n > 0 && isdigit((unsigned char)out[n - 1]))
		n--;
	while (n > 0 && out[n - 1] == ' ')
		n--;
	if (n > 0)
		out[n] = '\0';
	return 0;
}

/* ==== the mapping file ====================================================== */

/* The field called name (a kt_ifield_name; "custom:X" gives KT_IF_CUSTOM
 * with *custom = "X"), or -1. */
static int
field_by_name(const char *name, const char **custom)
{
	*custom = NULL;
	if (strncmp(name, "custom:", 7) == 0 && name[7] != '\0') {
		*custom = name + 7;
		return KT_IF_CUSTOM;
	}
	for (int f = 0; f < KT_IF_COUNT; f++)
		if (f != KT_IF_CUSTOM && strcmp(field_names[f], name) == 0)
			return f;
	return -1;
}

/* s without blanks at either end, in place. */
static char *
trim(char *s)
{
	size_t n = strlen(s);

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

int
kt_imap_rules(kt_imap_t *m, const char *text, size_t len, char *err,
    size_t cap)
{
	char line[1024], key[512];
	size_t pos = 0, lineno = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *eq, *head, *name;
		const char *custom;
		int f;
		lineno++;
		if (n >= sizeof(line)) {
			snprintf(err, cap, _("line %zu: longer than %zu bytes"),
			    lineno, sizeof(line) - 1);
			return KT_EINVAL;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl != NULL);
		if (memchr(line, '\0', n) != NULL) {
			snprintf(err, cap, _("line %zu: not valid UTF-8 text"),
			    lineno);
			return KT_EINVAL;
		}
		head = trim(line);
		if (head[0] == '\0' || head[0] == '#')
			continue;
		if (!kt_utf8_valid(head, 0)) {
			snprintf(err, cap, _("line %zu: not valid UTF-8 text"),
			    lineno);
			return KT_EINVAL;
		}
		if ((eq = strrchr(head, '=')) == NULL) {
			snprintf(err, cap, _("line %zu: expected 'Column header "
			    "= field'"), lineno);
			return KT_EINVAL;
		}
		*eq = '\0';
		name = trim(eq + 1);
		head = trim(head);
		if ((f = field_by_name(name, &custom)) < 0) {
			snprintf(err, cap, _("line %zu: '%.60s' is not a field "
			    "(name, last_name, first_name, middle_name, phone, "
			    "email, birth, child, child_birth, branch, manager, "
			    "source, note, status, category, contract, "
			    "discount, address, title, tags, ignore, "
			    "custom:NAME)"), lineno, name);
			return KT_EINVAL;
		}
		if (kt_imap_key(head, key, sizeof(key)) != 0 || key[0] == '\0') {
			snprintf(err, cap, _("line %zu: no column header before "
			    "'='"), lineno);
			return KT_EINVAL;
		}
		if (m->im_nrules >= KT_IMAP_RULES_MAX) {
			snprintf(err, cap, _("line %zu: more than %u rules"),
			    lineno, KT_IMAP_RULES_MAX);
			return KT_EINVAL;
		}
		m->im_rule_key[m->im_nrules] = strdup(key);
		m->im_rule_custom[m->im_nrules] = custom ? strdup(custom) : NULL;
		m->im_rule_field[m->im_nrules] = (kt_ifield_t)f;
		if (m->im_rule_key[m->im_nrules] == NULL ||
		    (custom && m->im_rule_custom[m->im_nrules] == NULL)) {
			free(m->im_rule_key[m->im_nrules]);
			free(m->im_rule_custom[m->im_nrules]);
			return KT_ENOMEM;
		}
		m->im_nrules++;
	}
	return 0;
}

/* ==== the header row =========================================================== */

int
kt_imap_header(kt_imap_t *m, const kt_irow_t *header, char *err, size_t cap)
{
	char key[512];
	size_t seen[KT_IF_COUNT] = { 0 };
	int named = 0;

	if (header->ir_error) {
		snprintf(err, cap, _("line %zu (the header): %s"),
		    header->ir_line, header->ir_error);
		return KT_EINVAL;
	}
	for (size_t i = 0; i < header->ir_ncells; i++) {
		kt_ifield_t f = KT_IF_IGNORE;
		const char *h = header->ir_cells[i];
		if ((m->im_header[i] = strdup(h)) == NULL)
			return KT_ENOMEM;
		m->im_ncols = i + 1;
		m->im_custom[i] = NULL;
		m->im_by_rule[i] = 0;
		if (kt_imap_key(h, key, sizeof(key)) != 0)
			key[0] = '\0';
		for (size_t r = 0; r < m->im_nrules && key[0]; r++)
			if (strcmp(m->im_rule_key[r], key) == 0) {
				f = m->im_rule_field[r];
				m->im_custom[i] = m->im_rule_custom[r];
				m->im_by_rule[i] = 1;
				break;
			}
		for (size_t k = 0; !m->im_by_rule[i] && key[0] &&
		    k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp(known[k].key, key) == 0) {
				f = known[k].field;
				break;
			}
		if (seen[f]++ && !adds_up(f)) {
			snprintf(err, cap, _("column %zu '%.60s': a second %s "
			    "column (map one of them to another field or "
			    "'ignore' with --map)"), i + 1, h, kt_ifield_name(f));
			return KT_EINVAL;
		}
		m->im_field[i] = f;
	}
	named = seen[KT_IF_FULLNAME] || seen[KT_IF_LAST] || seen[KT_IF_FIRST] ||
	    seen[KT_IF_TITLE] || seen[KT_IF_PHONE] || seen[KT_IF_EMAIL];
	if (!named) {
		snprintf(err, cap, _("line %zu: no column of names, phones or "
		    "e-mails among the headers (is it the header row? map "
		    "columns with --map)"), header->ir_line);
		return KT_EINVAL;
	}
	return 0;
}

void
kt_imap_free(kt_imap_t *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->im_nrules; i++) {
		free(m->im_rule_key[i]);
		free(m->im_rule_custom[i]);
	}
	for (size_t i = 0; i < m->im_ncols; i++)
		free(m->im_header[i]);
	m->im_nrules = m->im_ncols = 0;
}

/* ==== dates ====================================================================== */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian) and back. */
static void
civil_from_days(long z, unsigned *y, unsigned *m, unsigned *d)
{
	long era, yy;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (long)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (unsigned)(yy + (*m <= 2));
}

int
kt_imap_date(const char *s, kt_date_t *out, kt_why_t *why)
{
	char buf[40];
	size_t n;

	memset(out, 0, sizeof(*out));
	while (*s == ' ')
		s++;
	n = strlen(s);
	if (n == 0 || n >= sizeof(buf)) {
		if (why)
			snprintf(why->text, sizeof(why->text), _("date '%.20s' is "
			    "not a date"), s);
		return KT_EINVAL;
	}
	memcpy(buf, s, n + 1);
	/* A time of day after the date, a trailing "г." */
	for (size_t i = 0; i < n; i++)
		if (buf[i] == ' ' || buf[i] == 'T') {
			buf[i] = '\0';
			n = i;
			break;
		}
	if (n >= 3 && strcmp(buf + n - 3, "г.") == 0)
		buf[n -= 3] = '\0';
	else if (n >= 2 && strcmp(buf + n - 2, "г") == 0)
		buf[n -= 2] = '\0';
	/* An Excel serial number: days since 1899-12-30 (the 1900 system,
	 * whose day 60 is the 29.02.1900 that never was). */
	if (n > 0 && strspn(buf, "0123456789") >= 1 &&
	    strspn(buf, "0123456789.") == n && buf[0] != '.' &&
	    strchr(buf, '.') == strrchr(buf, '.') &&
	    (strchr(buf, '.') == NULL || strspn(buf, "0123456789") >= 5)) {
		long serial = strtol(buf, NULL, 10);
		if (serial >= 61 && serial <= 73415) {   /* 1900-03-01..2100 */
			civil_from_days(serial - 25569, &out->year,
			    &out->month, &out->day);
			return 0;
		}
		if (strchr(buf, '.') == NULL) {
			if (why)
				snprintf(why->text, sizeof(why->text), _("date "
				    "'%.20s' is not a date (a number, but not "
				    "of a day from 1900 to 2100)"), s);
			return KT_EINVAL;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '/')
			buf[i] = '.';
	/* 12-03-2018: day first, like the dotted form. */
	if (n == 10 && buf[2] == '-' && buf[5] == '-')
		buf[2] = buf[5] = '.';
	if (kt_date_parse(buf, out, NULL) == 0)
		return 0;
	if (why)
		snprintf(why->text, sizeof(why->text), _("date '%.20s' is not a "
		    "date (12.03.2018, 2018-03-12, 12/03/2018)"), s);
	return KT_EINVAL;
}

/* ==== one row ==================================================================== */

/* What is being built for one row. */
typedef struct build {
	const kt_imap_t *m;
	kt_arena_t *a;
	Kartoteka__Client *c;
	Kartoteka__Person *main;       /* the row's person */
	char *why;
	size_t cap;
	const char *last, *first, *middle, *full, *child_birth;
	size_t child_birth_col;
	char **phones;                 /* normalised */
	size_t nphones;
	char **emails;
	size_t nemails;
	Kartoteka__Person **kids;
	size_t nkids;
	char *notes;
	char **tags;
	size_t ntags;
	Kartoteka__CustomField **custom;
	size_t ncustom;
} build_t;

#define ITEMS_MAX 16u   /* phones, e-mails, children, tags in one row */

/* The reason: "HEADER: text". Returns KT_EINVAL. */
static int
bad(build_t *b, size_t col, const char *text)
{
	snprintf(b->why, b->cap, "%.60s: %s", b->m->im_header[col], text);
	return KT_EINVAL;
}

/* s copied into the arena with blanks trimmed; NULL when out of memory. */
static char *
copy_trim(kt_arena_t *a, const char *s, size_t n)
{
	char *o;

	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if ((o = kt_arena_alloc(a, n + 1)) == NULL)
		return NULL;
	memcpy(o, s, n);
	o[n] = '\0';
	return o;
}

/* Calls item(b, col, piece) for each piece of cell that seps split
 * (trimmed, empty ones skipped). */
static int
each_piece(build_t *b, size_t col, const char *cell, const char *seps,
    int (*item)(build_t *, size_t, const char *))
{
	const char *p = cell;
	int rc;

	for (;;) {
		size_t n = strcspn(p, seps);
		char *piece = copy_trim(b->a, p, n);
		if (piece == NULL)
			return KT_ENOMEM;
		if (piece[0] != '\0' && (rc = item(b, col, piece)) != 0)
			return rc;
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

static int
add_phone(build_t *b, size_t col, const char *piece)
{
	char out[KT_PHONE_MAX];
	kt_why_t why;

	if (kt_phone_normalize(piece, b->m->im_cc, out, &why) != 0)
		return bad(b, col, why.text);
	for (size_t i = 0; i < b->nphones; i++)
		if (strcmp(b->phones[i], out) == 0)
			return 0;
	if (b->nphones >= ITEMS_MAX)
		return bad(b, col, "more than 16 phones");
	if ((b->phones[b->nphones] = kt_arena_strdup(b->a, out)) == NULL)
		return KT_ENOMEM;
	b->nphones++;
	return 0;
}

static int
add_email(build_t *b, size_t col, const char *piece)
{
	char out[KT_EMAIL_MAX];
	kt_why_t why;

	if (kt_email_normalize(piece, out, &why) != 0)
		return bad(b, col, why.text);
	for (size_t i = 0; i < b->nemails; i++)
		if (strcmp(b->emails[i], out) == 0)
			return 0;
	if (b->nemails >= ITEMS_MAX)
		return bad(b, col, "more than 16 e-mails");
	if ((b->emails[b->nemails] = kt_arena_strdup(b->a, out)) == NULL)
		return KT_ENOMEM;
	b->nemails++;
	return 0;
}

static void
set_birth(Kartoteka__Person *p, const kt_date_t *d)
{
	p->birth_year = d->year;
	p->birth_month = d->month;
	p->birth_day = d->day;
}

/* "Петя (12.03.2018)", "Петя 12.03.2018", "Петя". */
static int
add_child(build_t *b, size_t col, const char *piece)
{
	Kartoteka__Person *k;
	char *name = kt_arena_strdup(b->a, piece), *date = NULL, *sp;
	kt_date_t d;
	kt_why_t why;

	if (name == NULL || (k = kt_arena_alloc(b->a, sizeof(*k))) == NULL)
		return KT_ENOMEM;
	kartoteka__person__init(k);
	if ((date = strchr(name, '(')) != NULL) {
		char *close = strchr(date, ')');
		if (close == NULL)
			return bad(b, col, "a '(' without ')'");
		*close = '\0';
		*date++ = '\0';
	} else if ((sp = strrchr(name, ' ')) != NULL &&
	    kt_imap_date(sp + 1, &d, NULL) == 0) {
		*sp = '\0';
		date = sp + 1;
	}
	if (date != NULL) {
		char *t = copy_trim(b->a, date, strlen(date));
		if (t == NULL)
			return KT_ENOMEM;
		if (t[0] && kt_imap_date(t, &d, &why) != 0)
			return bad(b, col, why.text);
		if (t[0])
			set_birth(k, &d);
	}
	if ((k->name = copy_trim(b->a, name, strlen(name))) == NULL)
		return KT_ENOMEM;
	if (k->name[0] == '\0')
		return bad(b, col, "a child without a name");
	k->relation = KARTOTEKA__RELATION__CHILD;
	if (b->nkids >= ITEMS_MAX)
		return bad(b, col, "more than 16 children");
	b->kids[b->nkids++] = k;
	return 0;
}

static int
add_tag(build_t *b, size_t col, const char *piece)
{
	(void)col;
	for (size_t i = 0; i < b->ntags; i++)
		if (strcmp(b->tags[i], piece) == 0)
			return 0;
	if (b->ntags >= ITEMS_MAX)
		return bad(b, col, "more than 16 tags");
	b->tags[b->ntags++] = (char *)piece;
	return 0;
}

/* Appends text to the card's notes on a line of its own. */
static int
add_note(build_t *b, const char *label, const char *text)
{
	size_t old = b->notes ? strlen(b->notes) : 0;
	size_t n = old + strlen(text) + (label ? strlen(label) + 2 : 0) + 2;
	char *o = kt_arena_alloc(b->a, n);

	if (o == NULL)
		return KT_ENOMEM;
	snprintf(o, n, "%s%s%s%s%s", b->notes ? b->notes : "", old ? "\n" : "",
	    label ? label : "", label ? ": " : "", text);
	b->notes = o;
	return 0;
}

/* Case-insensitive match of the folded cell against words. */
static int
word_is(const char *folded, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (strcmp(folded, words[i]) == 0)
			return 1;
	return 0;
}

static int
set_status(build_t *b, size_t col, const char *v)
{
	static const char *const lead[] = { "лид", "новый", "потенциальный",
		"lead", "new", NULL };
	static const char *const active[] = { "активный", "клиент",
		"действующий", "active", "client", "customer", NULL };
	static const char *const former[] = { "бывший", "ушел", "ушла",
		"архив", "former", "lost", "inactive", NULL };
	char k[64];

	if (kt_imap_key(v, k, sizeof(k)) != 0)
		k[0] = '\0';
	if (word_is(k, lead))
		b->c->status = KARTOTEKA__CLIENT_STATUS__LEAD;
	else if (word_is(k, active))
		b->c->status = KARTOTEKA__CLIENT_STATUS__ACTIVE;
	else if (word_is(k, former))
		b->c->status = KARTOTEKA__CLIENT_STATUS__FORMER;
	else
		return bad(b, col, "not a status (lead/лид, active/активный, "
		    "former/бывший)");
	return 0;
}

static int
set_category(build_t *b, size_t col, const char *v)
{
	/* Latin A B C, and the Cyrillic letters typed for them (А, Б or
	 * its look-alike В, С). */
	static const char *const a[] = { "a", "а", NULL };
	static const char *const bb[] = { "b", "б", "в", NULL };
	static const char *const c[] = { "c", "с", NULL };
	char k[16];

	if (kt_imap_key(v, k, sizeof(k)) != 0)
		k[0] = '\0';
	if (word_is(k, a))
		b->c->category = KARTOTEKA__CATEGORY__CATEGORY_A;
	else if (word_is(k, bb))
		b->c->category = KARTOTEKA__CATEGORY__CATEGORY_B;
	else if (word_is(k, c))
		b->c->category = KARTOTEKA__CATEGORY__CATEGORY_C;
	else
		return bad(b, col, "not a category (A, B or C)");
	return 0;
}

static int
set_discount(build_t *b, size_t col, const char *v)
{
	unsigned long n = 0;
	size_t i = 0, digits = 0;

	while (v[i] >= '0' && v[i] <= '9' && digits < 4)
		n = n * 10 + (unsigned long)(v[i++] - '0'), digits++;
	while (v[i] == ' ')
		i++;
	if (v[i] == '%')
		i++;
	if (digits == 0 || v[i] != '\0' || n > 100)
		return bad(b, col, "not a discount (a whole percent, 0..100)");
	b->c->discount_percent = (uint32_t)n;
	return 0;
}

/* One-value text fields of the card. */
static char **
text_slot(build_t *b, kt_ifield_t f)
{
	switch (f) {
	case KT_IF_BRANCH: return &b->c->branch;
	case KT_IF_MANAGER: return &b->c->manager;
	case KT_IF_SOURCE: return &b->c->source;
	case KT_IF_CONTRACT: return &b->c->contract;
	case KT_IF_ADDRESS: return &b->c->address;
	case KT_IF_TITLE: return &b->c->title;
	default: return NULL;
	}
}

/* One cell (not blank) of column col into b. */
static int
take_cell(build_t *b, size_t col, char *v)
{
	kt_ifield_t f = b->m->im_field[col];
	kt_date_t d;
	kt_why_t why;
	char **slot;

	switch (f) {
	case KT_IF_FULLNAME: b->full = v; return 0;
	case KT_IF_LAST: b->last = v; return 0;
	case KT_IF_FIRST: b->first = v; return 0;
	case KT_IF_MIDDLE: b->middle = v; return 0;
	case KT_IF_PHONE: return each_piece(b, col, v, ",;/\n", add_phone);
	case KT_IF_EMAIL: return each_piece(b, col, v, ",; \n", add_email);
	case KT_IF_CHILD: return each_piece(b, col, v, ",;\n", add_child);
	case KT_IF_TAGS: return each_piece(b, col, v, ",;\n", add_tag);
	case KT_IF_NOTE: return add_note(b, NULL, v);
	case KT_IF_STATUS: return set_status(b, col, v);
	case KT_IF_CATEGORY: return set_category(b, col, v);
	case KT_IF_DISCOUNT: return set_discount(b, col, v);
	case KT_IF_BIRTH:
		if (kt_imap_date(v, &d, &why) != 0)
			return bad(b, col, why.text);
		set_birth(b->main, &d);
		return 0;
	case KT_IF_CHILD_BIRTH:
		b->child_birth = v;
		b->child_birth_col = col;
		return 0;
	case KT_IF_CUSTOM: {
		Kartoteka__CustomField *cf = kt_arena_alloc(b->a, sizeof(*cf));
		if (cf == NULL)
			return KT_ENOMEM;
		kartoteka__custom_field__init(cf);
		cf->name = (char *)b->m->im_custom[col];
		cf->value = v;
		if (b->ncustom >= ITEMS_MAX)
			return bad(b, col, "more than 16 custom fields");
		b->custom[b->ncustom++] = cf;
		return 0;
	}
	default:
		if ((slot = text_slot(b, f)) != NULL)
			*slot = v;
		return 0;
	}
}

/* a, b, c joined by single spaces (NULLs and blanks skipped). */
static char *
join3(kt_arena_t *ar, const char *a, const char *b, const char *c)
{
	size_t n = (a ? strlen(a) : 0) + (b ? strlen(b) : 0) +
	    (c ? strlen(c) : 0) + 3;
	char *o = kt_arena_alloc(ar, n);
	const char *parts[3] = { a, b, c };
	size_t len = 0;

	if (o == NULL)
		return NULL;
	o[0] = '\0';
	for (size_t i = 0; i < 3; i++)
		if (parts[i] && parts[i][0])
			len += (size_t)snprintf(o + len, n - len, "%s%s",
			    len ? " " : "", parts[i]);
	return o;
}

#define ARR(p, n) do { if (((p) = kt_arena_alloc(a, (n) * sizeof(*(p)))) \
	== NULL) return KT_ENOMEM; } while (0)

int
kt_imap_row(const kt_imap_t *m, const kt_irow_t *row, kt_arena_t *a,
    Kartoteka__Client **out, char *why, size_t cap)
{
	build_t b = { .m = m, .a = a, .why = why, .cap = cap };
	Kartoteka__Client *c;
	size_t np = 0, blank = 1;
	int rc;

	*out = NULL;
	if (row->ir_error) {
		snprintf(why, cap, "%s", row->ir_error);
		return KT_EINVAL;
	}
	for (size_t i = 0; i < row->ir_ncells && blank; i++)
		blank = row->ir_cells[i][strspn(row->ir_cells[i], " \t\r\n")] ==
		    '\0';
	if (blank)
		return KT_ENOTFOUND;
	if (row->ir_ncells > m->im_ncols) {
		for (size_t i = m->im_ncols; i < row->ir_ncells; i++)
			if (row->ir_cells[i][strspn(row->ir_cells[i],
			    " \t\r\n")] != '\0') {
				snprintf(why, cap, _("column %zu: a value in a "
				    "column without a header"), i + 1);
				return KT_EINVAL;
			}
	}
	ARR(c, 1);
	kartoteka__client__init(c);
	ARR(b.main, 1);
	kartoteka__person__init(b.main);
	ARR(b.phones, ITEMS_MAX);
	ARR(b.emails, ITEMS_MAX);
	ARR(b.kids, ITEMS_MAX);
	ARR(b.tags, ITEMS_MAX);
	ARR(b.custom, ITEMS_MAX);
	b.c = c;
	for (size_t i = 0; i < row->ir_ncells && i < m->im_ncols; i++) {
		char *v;
		if (m->im_field[i] == KT_IF_IGNORE)
			continue;
		if ((v = copy_trim(a, row->ir_cells[i],
		    strlen(row->ir_cells[i]))) == NULL)
			return KT_ENOMEM;
		if (v[0] != '\0' && (rc = take_cell(&b, i, v)) != 0)
			return rc;
	}
	if (b.child_birth) {
		kt_date_t d;
		kt_why_t w;
		if (b.nkids != 1)
			return bad(&b, b.child_birth_col, b.nkids ? "a birth "
			    "date for several children: write it after each "
			    "name" : "a birth date without a child");
		if (kt_imap_date(b.child_birth, &d, &w) != 0)
			return bad(&b, b.child_birth_col, w.text);
		set_birth(b.kids[0], &d);
	}
	/* The row's person: its name, its phones and first e-mail. */
	b.main->name = b.full ? (char *)b.full : join3(a, b.last, b.first,
	    b.middle);
	if (b.main->name == NULL)
		return KT_ENOMEM;
	if (b.main->name[0] == '\0' && c->title && c->title[0] &&
	    (b.nphones || b.nemails))
		b.main->name = c->title;
	if (b.main->name[0] == '\0' && (b.nphones || b.nemails ||
	    b.main->birth_month)) {
		snprintf(why, cap, _("no name for the phones or e-mails of this "
		    "row"));
		return KT_EINVAL;
	}
	b.main->phones = b.phones;
	b.main->n_phones = b.nphones;
	if (b.nemails)
		b.main->email = b.emails[0];
	for (size_t i = 1; i < b.nemails; i++)
		if ((rc = add_note(&b, "e-mail", b.emails[i])) != 0)
			return rc;
	b.main->relation = b.nkids ? KARTOTEKA__RELATION__PARENT :
	    KARTOTEKA__RELATION__CONTACT;
	ARR(c->people, b.nkids + 1);
	if (b.main->name[0] != '\0')
		c->people[np++] = b.main;
	for (size_t i = 0; i < b.nkids; i++)
		c->people[np++] = b.kids[i];
	c->n_people = np;
	if (np == 0 && !(c->title && c->title[0])) {
		snprintf(why, cap, _("no name: neither a person nor a title"));
		return KT_EINVAL;
	}
	if (!(c->title && c->title[0]))
		c->title = c->people[0]->name;
	c->notes = b.notes;
	c->tags = b.tags;
	c->n_tags = b.ntags;
	c->custom = b.custom;
	c->n_custom = b.ncustom;
	if ((!c->branch || !c->branch[0]) && m->im_branch)
		c->branch = (char *)m->im_branch;
	if ((!c->manager || !c->manager[0]) && m->im_manager)
		c->manager = (char *)m->im_manager;
	*out = c;
	return 0;
}
