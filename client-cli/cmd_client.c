/* SPDX-License-Identifier: MIT */
/* kartoteka client add|show|edit|archive|restore|purge|reassign|find|list:
 * client cards from the command line. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "kt_error.h"
#include "normalize.h"

#define MAX_PEOPLE 32u
#define MAX_TAGS 32u
#define MAX_PHONES 8u

/* ==== shared ============================================================ */

/* Parses an unsigned number up to max; what names the option. */
static int
parse_uint(cli_t *cli, const char *what, const char *s, uint64_t max,
    uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] < '0' ||
	    s[0] > '9' || v > max)
		return cli_bad_number(cli, what, s, 0, max);
	*out = v;
	return 0;
}

static const char *const status_names[] = { "", N_("lead"), N_("active"), N_("former") };
static const char *const category_names[] = { "", "A", "B", "C" };
static const char *const relation_names[] = { "", N_("parent"), N_("child"),
    N_("contact"), N_("other") };

static int
parse_enum(cli_t *cli, const char *what, const char *s,
    const char *const *names, size_t n, int *out)
{
	char msg[200];

	for (size_t i = 1; i < n; i++)
		if (strcasecmp(s, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	snprintf(msg, sizeof(msg), _("%s: '%s' is not one of"), what, s);
	for (size_t i = 1; i < n; i++) {
		size_t l = strlen(msg);
		snprintf(msg + l, sizeof(msg) - l, "%s%s", i > 1 ? "," : " ",
		    names[i]);
	}
	return cli_usage_error(cli, msg);
}

static const char *
enum_name(const char *const *names, size_t n, int v)
{
	return v > 0 && (size_t)v < n ? names[v] : "";
}
#define STATUS(v) enum_name(status_names, 4, (int)(v))
#define CATEGORY(v) enum_name(category_names, 4, (int)(v))
#define RELATION(v) enum_name(relation_names, 5, (int)(v))

static void
hex(char *out, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	out[2 * n] = '\0';
}

static int
parse_cursor(cli_t *cli, const char *s, uint8_t out[8], size_t *len)
{
	*len = 0;
	if (s == NULL)
		return 0;
	if (strlen(s) != 16)
		goto bad;
	for (size_t i = 0; i < 8; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			goto bad;
		out[i] = (uint8_t)v;
	}
	*len = 8;
	return 0;
bad:
	return cli_usage_error(cli, _("--cursor: give the value printed "
	    "after a previous page"));
}

/* ---- people: "Name;relation;birth;phone1,phone2;email;note" ------------ */

/* Inside a part, "\;" is a ';', "\," a ',' (in the phones part, where ','
 * separates numbers) and "\\" a backslash; any other backslash is refused,
 * and so is a seventh part: nothing typed is dropped silently. */

typedef struct person_buf {
	Kartoteka__Person p;
	char *copy;                      /* the spec, unescaped in place */
	char *phones[MAX_PHONES];
} person_buf_t;

/* Sets p's birth date from s (YYYY-MM-DD, DD.MM.YYYY, DD.MM or YYYY; ""
 * clears it); what names the option in errors. */
static int
parse_birth(cli_t *cli, const char *what, const char *s, Kartoteka__Person *p)
{
	kt_date_t d;
	kt_why_t why = { "" };
	char msg[300];

	p->birth_year = p->birth_month = p->birth_day = 0;
	if (s[0] == '\0')
		return 0;
	if (strlen(s) == 4 && strspn(s, "0123456789") == 4) {
		p->birth_year = (uint32_t)atoi(s);
	} else if (kt_date_parse(s, &d, &why) == 0) {
		p->birth_year = d.year;
		p->birth_month = d.month;
		p->birth_day = d.day;
	} else {
		snprintf(msg, sizeof(msg), _("%s '%s': %s (YYYY-MM-DD, "
		    "DD.MM.YYYY, DD.MM or YYYY)"), what, s, why.text);
		return cli_usage_error(cli, msg);
	}
	return 0;
}

static int
parse_person(cli_t *cli, const char *spec, person_buf_t *pb)
{
	char *f[6] = { NULL }, *r, *w;
	size_t nf = 1;
	int rel = 0;

	kartoteka__person__init(&pb->p);
	pb->copy = strdup(spec);
	if (pb->copy == NULL)
		return cli_fail(cli, CLI_EXIT_USAGE, "NOMEM", NULL, "%s",
		    _("out of memory"));
	f[0] = pb->copy;
	for (r = w = pb->copy; *r; r++) {
		if (*r == '\\') {
			if (r[1] != ';' && r[1] != ',' && r[1] != '\\')
				return cli_usage_error(cli, _("--person: a "
				    "backslash must be followed by ';', ',' or "
				    "a backslash (write \\; for a ';' inside a "
				    "part, \\\\ for a backslash)"));
			*w++ = *++r;
		} else if (*r == ';') {
			*w++ = '\0';
			if (nf == 6)
				return cli_usage_error(cli, _("--person: more "
				    "than 6 parts (name;relation;birth;phones;"
				    "email;note): write \\; for a ';' inside "
				    "the note"));
			f[nf++] = w;
		} else if (*r == ',' && nf == 4) {
			*w++ = '\0';     /* between two phones */
			if (pb->p.n_phones == MAX_PHONES)
				return cli_usage_error(cli, _("--person: at "
				    "most 8 phones"));
			pb->phones[pb->p.n_phones++] = w;
		} else {
			*w++ = *r;
		}
		if (nf == 4 && pb->p.n_phones == 0 && f[3] == w) {
			/* the phones part has started: its first number */
			pb->phones[pb->p.n_phones++] = w;
		}
	}
	*w = '\0';
	/* Empty numbers ("a,,b", a trailing ',') are no numbers. */
	{
		size_t k = 0;
		for (size_t i = 0; i < pb->p.n_phones; i++)
			if (pb->phones[i][0] != '\0')
				pb->phones[k++] = pb->phones[i];
		pb->p.n_phones = k;
		pb->p.phones = pb->phones;
	}
	pb->p.name = f[0];
	if (nf > 1 && f[1][0]) {
		if (parse_enum(cli, "--person relation", f[1], relation_names, 5,
		    &rel) != 0)
			return CLI_EXIT_USAGE;
		pb->p.relation = (Kartoteka__Relation)rel;
	}
	if (nf > 2 && parse_birth(cli, _("--person birth date"), f[2],
	    &pb->p) != 0)
		return CLI_EXIT_USAGE;
	pb->p.email = nf > 4 ? f[4] : (char *)"";
	pb->p.note = nf > 5 ? f[5] : (char *)"";
	return 0;
}

/* ---- printing ------------------------------------------------------------ */

static void
json_strs(char **v, size_t n)
{
	fputc('[', stdout);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', stdout);
		cli_json_str(stdout, v[i]);
	}
	fputc(']', stdout);
}

static void
json_client(const void *obj)
{
	const Kartoteka__Client *c = obj;

	printf("{\"id\":%" PRIu64, c->id);
	cli_json_key("version");
	printf("%" PRIu64, c->version);
	cli_json_key("title");
	cli_json_str(stdout, c->title);
	cli_json_key("branch");
	cli_json_str(stdout, c->branch);
	cli_json_key("manager");
	cli_json_str(stdout, c->manager);
	cli_json_key("status");
	cli_json_str(stdout, STATUS(c->status));
	cli_json_key("category");
	cli_json_str(stdout, CATEGORY(c->category));
	cli_json_key("source");
	cli_json_str(stdout, c->source);
	cli_json_key("tags");
	json_strs(c->tags, c->n_tags);
	cli_json_key("notes");
	cli_json_str(stdout, c->notes);
	cli_json_key("address");
	cli_json_str(stdout, c->address);
	cli_json_key("leaving_reason");
	cli_json_str(stdout, c->leaving_reason);
	cli_json_key("do_not_contact");
	fputs(c->do_not_contact ? "true" : "false", stdout);
	cli_json_key("consent_date");
	cli_json_str(stdout, c->consent_date);
	cli_json_key("contract");
	cli_json_str(stdout, c->contract);
	cli_json_key("discount_percent");
	printf("%u", c->discount_percent);
	cli_json_key("referred_by");
	printf("%" PRIu64, c->referred_by);
	cli_json_key("archived");
	fputs(c->archived ? "true" : "false", stdout);
	cli_json_key("masked");
	fputs(c->masked ? "true" : "false", stdout);
	cli_json_key("created_at");
	printf("%" PRId64, c->created_at);
	cli_json_key("updated_at");
	printf("%" PRId64, c->updated_at);
	cli_json_key("people");
	fputc('[', stdout);
	for (size_t i = 0; i < c->n_people; i++) {
		const Kartoteka__Person *p = c->people[i];
		if (i)
			fputc(',', stdout);
		fputs("{\"name\":", stdout);
		cli_json_str(stdout, p->name);
		cli_json_key("relation");
		cli_json_str(stdout, RELATION(p->relation));
		cli_json_key("birth_year");
		printf("%u", p->birth_year);
		cli_json_key("birth_month");
		printf("%u", p->birth_month);
		cli_json_key("birth_day");
		printf("%u", p->birth_day);
		cli_json_key("phones");
		json_strs(p->phones, p->n_phones);
		cli_json_key("email");
		cli_json_str(stdout, p->email);
		cli_json_key("note");
		cli_json_str(stdout, p->note);
		fputc('}', stdout);
	}
	fputc(']', stdout);
	cli_json_key("custom");
	fputc('{', stdout);
	for (size_t i = 0; i < c->n_custom; i++) {
		if (i)
			fputc(',', stdout);
		cli_json_str(stdout, c->custom[i]->name);
		fputc(':', stdout);
		cli_json_str(stdout, c->custom[i]->value);
	}
	fputs("}}", stdout);
}

static const char *
birth_str(char *buf, size_t cap, const Kartoteka__Person *p)
{
	if (p->birth_month)
		kt_fmt_ymd(p->birth_year, p->birth_month, p->birth_day, NULL,
		    buf, cap);
	else if (p->birth_year)
		snprintf(buf, cap, "%04u", p->birth_year);
	else
		snprintf(buf, cap, "%s", "");
	return buf;
}

/* One "  label:      value" line of a card. */
static void
card_line(const char *label, const char *value)
{
	cli_label(label, 12);
	printf("%s\n", value);
}

static void
print_card(const Kartoteka__Client *c)
{
	char b1[1024], b2[512], t1[64], t2[64];
	cli_table_t t;
	int rc = 0;

	printf(_("Client %" PRIu64 ": %s%s\n"), c->id,
	    cli_clean(b1, sizeof(b1), c->title),
	    c->archived ? _(" (archived)") : "");
	card_line(_("branch:"), cli_clean(b1, sizeof(b1), c->branch));
	snprintf(b2, sizeof(b2), "%s%s%s", cli_word(STATUS(c->status)),
	    c->category ? _(", category ") : "", CATEGORY(c->category));
	card_line(_("manager:"), cli_clean(b1, sizeof(b1), c->manager));
	card_line(_("status:"), b2);
	if (c->source && c->source[0])
		card_line(_("source:"), cli_clean(b1, sizeof(b1), c->source));
	if (c->n_tags) {
		size_t n = 0;
		b2[0] = '\0';
		for (size_t i = 0; i < c->n_tags; i++)
			n += (size_t)snprintf(b2 + n, n < sizeof(b2) ?
			    sizeof(b2) - n : 0, "%s%s", i ? ", " : "",
			    c->tags[i]);
		card_line(_("tags:"), cli_clean(b1, sizeof(b1), b2));
	}
	if (c->consent_date && c->consent_date[0])
		card_line(_("consent:"), kt_fmt_date_text(c->consent_date, NULL,
		    b1, sizeof(b1)));
	if (c->contract && c->contract[0])
		card_line(_("contract:"), cli_clean(b1, sizeof(b1),
		    c->contract));
	if (c->discount_percent) {
		snprintf(b1, sizeof(b1), "%u%%", c->discount_percent);
		card_line(_("discount:"), b1);
	}
	if (c->referred_by) {
		snprintf(b1, sizeof(b1), "%" PRIu64, c->referred_by);
		card_line(_("referred by:"), b1);
	}
	if (c->do_not_contact)
		printf("  %s\n", _("do not contact"));
	if (c->merged_into) {
		snprintf(b1, sizeof(b1), "%" PRIu64, c->merged_into);
		card_line(_("merged into:"), b1);
	}
	for (size_t i = 0; i < c->n_custom; i++)
		printf("  %s: %s\n", cli_clean(b1, sizeof(b1),
		    c->custom[i]->name), cli_clean(b2, sizeof(b2),
		    c->custom[i]->value));
	snprintf(b1, sizeof(b1), "%s, %s %s", cli_fmt_time(t1, sizeof(t1),
	    c->created_at), _("updated"), cli_fmt_time(t2, sizeof(t2),
	    c->updated_at));
	card_line(_("created:"), b1);
	snprintf(b1, sizeof(b1), "%" PRIu64, c->version);
	card_line(_("version:"), b1);
	if (c->address && c->address[0])
		card_line(_("address:"), cli_clean(b1, sizeof(b1), c->address));
	if (c->leaving_reason && c->leaving_reason[0])
		card_line(_("left:"), cli_clean(b1, sizeof(b1),
		    c->leaving_reason));
	if (c->notes && c->notes[0])
		printf("  %s\n    %s\n", _("notes:"), cli_clean(b1, sizeof(b1),
		    c->notes));
	if (c->n_people) {
		/* "#" is what `person edit|remove CLIENT N` names. */
		cli_table_init(&t, 7);
		const char *hdr[7] = { "#", _("NAME"), _("RELATION"), _("BORN"),
		    _("PHONES"), _("E-MAIL"), _("NOTE") };
		rc = cli_table_add(&t, hdr);
		for (size_t i = 0; rc == 0 && i < c->n_people; i++) {
			const Kartoteka__Person *p = c->people[i];
			const char *row[7];
			char born[40], ph[400], num[24];
			size_t n = 0;
			ph[0] = '\0';
			for (size_t j = 0; j < p->n_phones; j++)
				n += (size_t)snprintf(ph + n, n < sizeof(ph) ?
				    sizeof(ph) - n : 0, "%s%s", j ? ", " : "",
				    p->phones[j]);
			snprintf(num, sizeof(num), "%zu", i + 1);
			row[0] = num;
			row[1] = p->name;
			row[2] = cli_word(RELATION(p->relation));
			row[3] = birth_str(born, sizeof(born), p);
			row[4] = ph;
			row[5] = p->email;
			row[6] = p->note;
			rc = cli_table_add(&t, row);
		}
		printf("\n");
		cli_table_print(&t, stdout);
		cli_table_free(&t);
	}
	if (c->masked)
		printf("\n%s\n", _("Contacts are masked: `kartoteka client show "
		    "ID` reveals them (and is counted)."));
}

static const void *
pick_card(const Kartoteka__Response *resp)
{
	return resp->client->client;
}

/* arg: what was done ("Added", ...), or NULL to print the whole card. */
static void
text_card(const void *obj, const void *arg)
{
	const Kartoteka__Client *c = obj;
	char b[512];

	if (arg == NULL) {
		print_card(c);
		return;
	}
	/* TRANSLATORS: "Added client 12: Ёлкины (version 1)." */
	printf(_("%s client %llu: %s (version %llu).\n"),
	    (const char *)arg, (unsigned long long)c->id,
	    cli_clean(b, sizeof(b), c->title), (unsigned long long)c->version);
}

/* A card answer: the whole card (arg NULL), or one line saying what was
 * done (arg "Added", ...). */
static const cli_show_t card_show = {
	.sh_want = KARTOTEKA__RESPONSE__RESULT_CLIENT,
	.sh_pick = pick_card,
	.sh_missing = N_("a client answer without a card"),
	.sh_json_key = "client",
	.sh_json = json_client,
	.sh_text = text_card,
};

/* The answer of `client show`: the card and its newest interactions
 * (ClientResponse.recent; printed by cmd_note.c). */
static const void *
pick_full(const Kartoteka__Response *resp)
{
	return resp->client->client != NULL ? resp->client : NULL;
}

static void
json_full(const void *obj)
{
	const Kartoteka__ClientResponse *cr = obj;

	json_client(cr->client);
	cli_json_key("recent");
	fputc('[', stdout);
	for (size_t i = 0; i < cr->n_recent; i++) {
		if (i)
			fputc(',', stdout);
		cli_note_json(cr->recent[i]);
	}
	fputc(']', stdout);
}

static void
text_full(const void *obj, const void *arg)
{
	const Kartoteka__ClientResponse *cr = obj;

	(void)arg;
	print_card(cr->client);
	if (cr->n_recent == 0)
		return;
	printf(_("\nLatest notes (`kartoteka notes %" PRIu64 "` lists them "
	    "all):\n"), cr->client->id);
	for (size_t i = 0; i < cr->n_recent; i++)
		cli_note_print(cr->recent[i], "  ");
}

static const cli_show_t card_full_show = {
	.sh_want = KARTOTEKA__RESPONSE__RESULT_CLIENT,
	.sh_pick = pick_full,
	.sh_missing = N_("a client answer without a card"),
	.sh_json_key = "client",
	.sh_json = json_full,
	.sh_text = text_full,
};

static int
rows_reply(cli_t *cli, Kartoteka__Request *req)
{
	Kartoteka__Response *resp = NULL;
	const Kartoteka__ClientListResponse *l;
	char cur[17] = "";
	cli_table_t t;
	int rc;

	cli_table_init(&t, 7);
	rc = cli_session_request(cli, req,
	    KARTOTEKA__RESPONSE__RESULT_CLIENT_LIST, &resp);
	if (rc != 0)
		goto out;
	l = resp->client_list;
	if (l->next_cursor.len == 8)
		hex(cur, l->next_cursor.data, 8);
	if (cli->cli_json) {
		cli_json_begin(cli);
		cli_json_key("total");
		printf("%" PRIu64, l->total);
		cli_json_key("next_cursor");
		cli_json_str(stdout, cur);
		cli_json_key("rows");
		fputc('[', stdout);
		for (size_t i = 0; i < l->n_rows; i++) {
			const Kartoteka__ClientRow *r = l->rows[i];
			if (i)
				fputc(',', stdout);
			printf("{\"id\":%" PRIu64, r->id);
			cli_json_key("title");
			cli_json_str(stdout, r->title);
			cli_json_key("branch");
			cli_json_str(stdout, r->branch);
			cli_json_key("manager");
			cli_json_str(stdout, r->manager);
			cli_json_key("status");
			cli_json_str(stdout, STATUS(r->status));
			cli_json_key("category");
			cli_json_str(stdout, CATEGORY(r->category));
			cli_json_key("phone");
			cli_json_str(stdout, r->phone);
			cli_json_key("people");
			json_strs(r->people, r->n_people);
			cli_json_key("tags");
			json_strs(r->tags, r->n_tags);
			cli_json_key("archived");
			fputs(r->archived ? "true}" : "false}", /* untranslated:
			    JSON */ stdout);
		}
		fputc(']', stdout);
		cli_json_end();
		goto out;
	}
	if (l->n_rows == 0) {
		printf("%s\n", _("No clients found."));
		goto out;
	}
	{
		const char *hdr[7] = { _("ID"), _("TITLE"), _("PEOPLE"),
		    _("PHONE"), _("STATUS"), _("BRANCH"), _("MANAGER") };
		rc = cli_table_add(&t, hdr);
	}
	for (size_t i = 0; rc == 0 && i < l->n_rows; i++) {
		const Kartoteka__ClientRow *r = l->rows[i];
		char id[24], people[512], st[32];
		const char *row[7];
		size_t n = 0;
		people[0] = '\0';
		for (size_t j = 0; j < r->n_people; j++)
			n += (size_t)snprintf(people + n, n < sizeof(people) ?
			    sizeof(people) - n : 0, "%s%s", j ? ", " : "",
			    r->people[j]);
		snprintf(id, sizeof(id), "%" PRIu64, r->id);
		snprintf(st, sizeof(st), "%s%s", cli_word(STATUS(r->status)),
		    r->archived ? _(" (archived)") : "");
		row[0] = id;
		row[1] = r->title;
		row[2] = people;
		row[3] = r->phone;
		row[4] = st;
		row[5] = r->branch;
		row[6] = r->manager;
		rc = cli_table_add(&t, row);
	}
	if (rc != 0) {
		rc = cli_fail(cli, CLI_EXIT_USAGE, "NOMEM", NULL, "%s",
		    _("out of memory"));
		goto out;
	}
	cli_table_print(&t, stdout);
	/* TRANSLATORS: the count of a list's matches: "5 clients in all,
	 * 2 shown." The number in all picks the form. */
	printf(P_("%llu client in all, %zu shown.", "%llu clients in all, "
	    "%zu shown.", l->total), (unsigned long long)l->total, l->n_rows);
	if (cur[0])
		printf(_(" Next page: --cursor %s"), cur);
	printf("\n");
out:
	cli_table_free(&t);
	if (resp != NULL)
		kartoteka__response__free_unpacked(resp, NULL);
	return rc;
}

/* ==== add and edit ======================================================= */

/* Options shared by add and edit; values point into argv. */
typedef struct card_opts {
	const char *title, *branch, *manager, *status, *category, *source;
	const char *note, *consent, *contract, *discount, *dnc, *version;
	const char *referred, *address, *leaving;
	const char *tags[MAX_TAGS];
	size_t ntags;
	const char *people[MAX_PEOPLE];
	size_t npeople;
	int force, no_tags, no_people;
} card_opts_t;

/* Fills cl (and fields for edit) from o. pb has MAX_PEOPLE entries. */
static int
card_from_opts(cli_t *cli, const card_opts_t *o, Kartoteka__Client *cl,
    person_buf_t *pb, Kartoteka__Person **pp, const char **fields,
    size_t *nfields)
{
	int v = 0, rc;
	uint64_t n = 0;

#define FIELD(name) do { if (fields) fields[(*nfields)++] = name; } while (0)
	if (o->title) {
		cl->title = (char *)o->title;
		FIELD("title");
	}
	if (o->status) {
		if ((rc = parse_enum(cli, "--status", o->status, status_names, 4,
		    &v)) != 0)
			return rc;
		cl->status = (Kartoteka__ClientStatus)v;
		FIELD("status");
	}
	if (o->category) {
		if ((rc = parse_enum(cli, "--category", o->category,
		    category_names, 4, &v)) != 0)
			return rc;
		cl->category = (Kartoteka__Category)v;
		FIELD("category");
	}
	if (o->source) {
		cl->source = (char *)o->source;
		FIELD("source");
	}
	if (o->note) {
		cl->notes = (char *)o->note;
		FIELD("notes");
	}
	if (o->address) {
		cl->address = (char *)o->address;
		FIELD("address");
	}
	if (o->leaving) {
		cl->leaving_reason = (char *)o->leaving;
		FIELD("leaving_reason");
	}
	if (o->consent) {
		cl->consent_date = (char *)o->consent;
		FIELD("consent_date");
	}
	if (o->contract) {
		cl->contract = (char *)o->contract;
		FIELD("contract");
	}
	if (o->discount) {
		if ((rc = parse_uint(cli, "--discount", o->discount, 100, &n)) !=
		    0)
			return rc;
		cl->discount_percent = (uint32_t)n;
		FIELD("discount_percent");
	}
	if (o->referred) {
		if ((rc = parse_uint(cli, "--referred-by", o->referred,
		    UINT64_MAX, &n)) != 0)
			return rc;
		cl->referred_by = n;
		FIELD("referred_by");
	}
	if (o->dnc) {
		if (strcmp(o->dnc, "yes") != 0 && strcmp(o->dnc, "no") != 0)
			return cli_usage_error(cli, _("--do-not-contact must be "
			    "yes or no"));
		cl->do_not_contact = strcmp(o->dnc, "yes") == 0;
		FIELD("do_not_contact");
	}
	if (o->ntags || o->no_tags) {
		cl->tags = (char **)o->tags;
		cl->n_tags = o->ntags;
		FIELD("tags");
	}
	if (o->npeople || o->no_people) {
		for (size_t i = 0; i < o->npeople; i++) {
			if ((rc = parse_person(cli, o->people[i], &pb[i])) != 0)
				return rc;
			pp[i] = &pb[i].p;
		}
		cl->people = pp;
		cl->n_people = o->npeople;
		FIELD("people");
	}
#undef FIELD
	cl->branch = (char *)(o->branch ? o->branch : "");
	cl->manager = (char *)(o->manager ? o->manager : "");
	return 0;
}

/* The options of add and edit, with their help (see cli_opt_t). */
#define CARD_OPTS(o)                                                        \
	{ .ao_name = "--title", .ao_value = &(o).title, .ao_arg = "TITLE", \
	  .ao_help = N_("the card's name: a family or a company") },        \
	{ .ao_name = "--status", .ao_value = &(o).status,                   \
	  .ao_arg = "lead|active|former",                                   \
	  .ao_help = N_("lead (the default), active client or former") },   \
	{ .ao_name = "--category", .ao_value = &(o).category,               \
	  .ao_arg = "A|B|C", .ao_help = N_("the client's category") },      \
	{ .ao_name = "--source", .ao_value = &(o).source,                   \
	  .ao_arg = "TEXT", .ao_help = N_("where the client came from") }, \
	{ .ao_name = "--note", .ao_value = &(o).note, .ao_arg = "TEXT", \
	  .ao_help = N_("a note on the card") },                            \
	{ .ao_name = "--consent", .ao_value = &(o).consent,                 \
	  .ao_arg = "DATE", .ao_help = N_("the day the client consented "\
	  "to the processing of personal data") },                          \
	{ .ao_name = "--contract", .ao_value = &(o).contract,               \
	  .ao_arg = "N", .ao_help = N_("the contract number") },            \
	{ .ao_name = "--discount", .ao_value = &(o).discount,               \
	  .ao_arg = "PCT", .ao_help = N_("a discount in percent, 0..100") }, \
	{ .ao_name = "--do-not-contact", .ao_value = &(o).dnc,              \
	  .ao_arg = "yes|no",                                               \
	  .ao_help = N_("yes: the client asked not to be contacted") },     \
	{ .ao_name = "--referred-by", .ao_value = &(o).referred,            \
	  .ao_arg = "ID", .ao_help = N_("the card of the client who "       \
	  "recommended them") },                                            \
	{ .ao_name = "--address", .ao_value = &(o).address,                 \
	  .ao_arg = "TEXT", .ao_help = N_("the postal address") },      \
	{ .ao_name = "--leaving-reason", .ao_value = &(o).leaving,          \
	  .ao_arg = "TEXT", .ao_help = N_("why a former client left") }, \
	{ .ao_name = "--tag", .ao_list = (o).tags, .ao_list_cap = MAX_TAGS, \
	  .ao_list_n = &(o).ntags, .ao_arg = "TAG",                     \
	  .ao_help = N_("a tag; repeat it for more") },                     \
	{ .ao_name = "--person", .ao_list = (o).people,                     \
	  .ao_list_cap = MAX_PEOPLE, .ao_list_n = &(o).npeople,             \
	  .ao_arg = "SPEC", .ao_help = N_("a person "                       \
	  "'Name;relation;birth;phones;email;note'; repeat it for more") }

static void
people_free(person_buf_t *pb)
{
	for (size_t i = 0; i < MAX_PEOPLE; i++)
		free(pb[i].copy);
}

static int
cmd_client_add(cli_t *cli, int argc, char **argv)
{
	card_opts_t o = { 0 };
	const cli_opt_t opts[] = {
		CARD_OPTS(o),
		{ .ao_name = "--branch", .ao_value = &o.branch,
		  .ao_arg = "NAME",
		  .ao_help = N_("the branch (default: the terminal's)") },
		{ .ao_name = "--manager", .ao_value = &o.manager,
		  .ao_arg = "LOGIN",
		  .ao_help = N_("the manager (default: you)") },
		{ .ao_name = "--force", .ao_flag = &o.force,
		  .ao_help = N_("take a phone or e-mail another card has") },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientAddRequest ar = KARTOTEKA__CLIENT_ADD_REQUEST__INIT;
	Kartoteka__Client cl = KARTOTEKA__CLIENT__INIT;
	person_buf_t *pb = calloc(MAX_PEOPLE, sizeof(*pb));
	Kartoteka__Person *pp[MAX_PEOPLE];
	int rc;

	if (pb == NULL)
		return cli_fail(cli, CLI_EXIT_USAGE, "NOMEM", NULL, "%s",
		    _("out of memory"));
	rc = cli_parse_args(cli, argc, argv, opts, sizeof opts / sizeof *opts,
	    NULL, 0, 0, "");
	if (rc != 0) {
		rc = cli_parsed(rc);
		goto out;
	}
	if (o.title == NULL) {
		rc = cli_usage_error(cli, _("--title is required"));
		goto out;
	}
	if ((rc = card_from_opts(cli, &o, &cl, pb, pp, NULL, NULL)) != 0)
		goto out;
	ar.client = &cl;
	ar.force = o.force;
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_ADD;
	req.client_add = &ar;
	rc = cli_show(cli, &req, &card_show, _("Added"));
out:
	people_free(pb);
	free(pb);
	return rc;
}

static int
cmd_client_edit(cli_t *cli, int argc, char **argv)
{
	card_opts_t o = { 0 };
	const cli_opt_t opts[] = {
		CARD_OPTS(o),
		{ .ao_name = "--version", .ao_value = &o.version, .ao_arg = "V",
		  .ao_help = N_("the version you read (required)") },
		{ .ao_name = "--force", .ao_flag = &o.force,
		  .ao_help = N_("take a phone or e-mail another card has") },
		{ .ao_name = "--no-tags", .ao_flag = &o.no_tags,
		  .ao_help = N_("remove every tag") },
		{ .ao_name = "--no-people", .ao_flag = &o.no_people,
		  .ao_help = N_("remove every person") },
	};
	const char *pos[1] = { NULL }, *fields[16];
	size_t nfields = 0;
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientEditRequest er = KARTOTEKA__CLIENT_EDIT_REQUEST__INIT;
	Kartoteka__Client cl = KARTOTEKA__CLIENT__INIT;
	person_buf_t *pb = calloc(MAX_PEOPLE, sizeof(*pb));
	Kartoteka__Person *pp[MAX_PEOPLE];
	uint64_t id = 0, version = 0;
	int rc;

	if (pb == NULL)
		return cli_fail(cli, CLI_EXIT_USAGE, "NOMEM", NULL, "%s",
		    _("out of memory"));
	rc = cli_parse_args(cli, argc, argv, opts, sizeof opts / sizeof *opts,
	    pos, 1, 1, "ID");
	if (rc != 0) {
		rc = cli_parsed(rc);
		goto out;
	}
	if ((rc = parse_uint(cli, "ID", pos[0], UINT64_MAX, &id)) != 0)
		goto out;
	if (o.version == NULL) {
		rc = cli_usage_error(cli, _("--version is required: the version "
		    "`kartoteka client show ID` printed"));
		goto out;
	}
	if ((rc = parse_uint(cli, "--version", o.version, UINT64_MAX,
	    &version)) != 0)
		goto out;
	if ((rc = card_from_opts(cli, &o, &cl, pb, pp, fields, &nfields)) != 0)
		goto out;
	if (nfields == 0) {
		rc = cli_usage_error(cli, _("nothing to change: give --title, "
		    "--person, --tag, ..."));
		goto out;
	}
	er.id = id;
	er.version = version;
	er.fields = (char **)fields;
	er.n_fields = nfields;
	er.client = &cl;
	er.force = o.force;
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_EDIT;
	req.client_edit = &er;
	rc = cli_show(cli, &req, &card_show, _("Changed"));
out:
	people_free(pb);
	free(pb);
	return rc;
}

/* ==== by id ============================================================== */

static int
id_arg(cli_t *cli, int argc, char **argv, const cli_opt_t *opts,
    size_t nopts, uint64_t *id)
{
	const char *pos[1] = { NULL };
	int rc = cli_parse_args(cli, argc, argv, opts, nopts, pos, 1, 1, "ID");

	if (rc != 0)
		return rc;
	return parse_uint(cli, "ID", pos[0], UINT64_MAX, id);
}

static int
cmd_client_show(cli_t *cli, int argc, char **argv)
{
	const char *ver = NULL;
	const cli_opt_t opts[] = { { .ao_name = "--version",
	    .ao_value = &ver } };
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientShowRequest r = KARTOTEKA__CLIENT_SHOW_REQUEST__INIT;
	Kartoteka__ClientVersionRequest vr =
	    KARTOTEKA__CLIENT_VERSION_REQUEST__INIT;
	int rc = id_arg(cli, argc, argv, opts, 1, &r.id);

	if (rc != 0)
		return cli_parsed(rc);
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_SHOW;
	req.client_show = &r;
	/* An earlier version (card history, owner and heads). */
	if (ver != NULL) {
		if ((rc = parse_uint(cli, "--version", ver, UINT64_MAX,
		    &vr.version)) != 0)
			return rc;
		vr.id = r.id;
		req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_VERSION;
		req.client_version = &vr;
	}
	return cli_show(cli, &req, &card_full_show, NULL);
}

static int
cmd_client_merge(cli_t *cli, int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL };
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientMergeRequest r = KARTOTEKA__CLIENT_MERGE_REQUEST__INIT;
	int rc = cli_parse_args(cli, argc, argv, NULL, 0, pos, 2, 2,
	    "INTO FROM");

	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = parse_uint(cli, "INTO", pos[0], UINT64_MAX, &r.into)) != 0 ||
	    (rc = parse_uint(cli, "FROM", pos[1], UINT64_MAX, &r.from)) != 0)
		return rc;
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_MERGE;
	req.client_merge = &r;
	return cli_show(cli, &req, &card_show, _("Merged into"));
}

static int
client_archive(cli_t *cli, int argc, char **argv, int restore)
{
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientArchiveRequest r =
	    KARTOTEKA__CLIENT_ARCHIVE_REQUEST__INIT;
	int rc = id_arg(cli, argc, argv, NULL, 0, &r.id);

	if (rc != 0)
		return cli_parsed(rc);
	r.restore = restore;
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_ARCHIVE;
	req.client_archive = &r;
	return cli_show(cli, &req, &card_show, restore ? _("Restored") :
	    _("Archived"));
}

static int
cmd_client_archive(cli_t *cli, int argc, char **argv)
{
	return client_archive(cli, argc, argv, 0);
}

static int
cmd_client_restore(cli_t *cli, int argc, char **argv)
{
	return client_archive(cli, argc, argv, 1);
}

static int
cmd_client_purge(cli_t *cli, int argc, char **argv)
{
	const char *reason = NULL;
	const cli_opt_t opts[] = { { .ao_name = "--reason",
	    .ao_value = &reason } };
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientPurgeRequest r = KARTOTEKA__CLIENT_PURGE_REQUEST__INIT;
	int rc = id_arg(cli, argc, argv, opts, 1, &r.id);

	if (rc != 0)
		return cli_parsed(rc);
	r.reason = (char *)(reason ? reason : "");
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_PURGE;
	req.client_purge = &r;
	return cli_show(cli, &req, &card_show, _("Purged"));
}

static int
cmd_client_reassign(cli_t *cli, int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL };
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientReassignRequest r =
	    KARTOTEKA__CLIENT_REASSIGN_REQUEST__INIT;
	int rc;

	rc = cli_parse_args(cli, argc, argv, NULL, 0, pos, 2, 2, "ID LOGIN");
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = parse_uint(cli, "ID", pos[0], UINT64_MAX, &r.id)) != 0)
		return rc;
	r.manager = (char *)pos[1];
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_REASSIGN;
	req.client_reassign = &r;
	return cli_show(cli, &req, &card_show, _("Reassigned"));
}

/* ==== find and list ====================================================== */

static int
cmd_client_find(cli_t *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *limit = NULL, *cursor = NULL;
	const char *contract = NULL;
	const cli_opt_t opts[] = {
		{ .ao_name = "--limit", .ao_value = &limit },
		{ .ao_name = "--cursor", .ao_value = &cursor },
		{ .ao_name = "--contract", .ao_value = &contract },
	};
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientFindRequest r = KARTOTEKA__CLIENT_FIND_REQUEST__INIT;
	uint8_t cur[8];
	uint64_t n = 0;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, 3, pos, 0, 1, "TEXT");
	if (rc != 0)
		return cli_parsed(rc);
	if ((pos[0] != NULL) == (contract != NULL))
		return cli_usage_error(cli, _("give either TEXT or --contract "
		    "N"));
	if (contract != NULL) {
		pos[0] = contract;
		r.contract = 1;
	}
	if (limit && (rc = parse_uint(cli, "--limit", limit, 200, &n)) != 0)
		return rc;
	r.limit = limit ? (uint32_t)n : 0;
	if ((rc = parse_cursor(cli, cursor, cur, &r.cursor.len)) != 0)
		return rc;
	r.cursor.data = cur;
	r.text = (char *)pos[0];
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_FIND;
	req.client_find = &r;
	return rows_reply(cli, &req);
}

/* YYYY-MM-DD (local midnight) to unix seconds. */
static int
parse_day(cli_t *cli, const char *what, const char *s, int64_t *out)
{
	kt_date_t d;
	struct tm tm = { 0 };
	char msg[160];

	if (kt_date_parse(s, &d, NULL) != 0 || d.year == 0) {
		snprintf(msg, sizeof(msg), _("%s: '%s' is not a date "
		    "(YYYY-MM-DD)"), what, s);
		return cli_usage_error(cli, msg);
	}
	tm.tm_year = (int)d.year - 1900;
	tm.tm_mon = (int)d.month - 1;
	tm.tm_mday = (int)d.day;
	tm.tm_isdst = -1;
	*out = (int64_t)mktime(&tm);
	return 0;
}

/* The end of a date range: DATE is included, so the bound sent (which
 * the server takes as exclusive) is the midnight after it. */
static int
parse_day_end(cli_t *cli, const char *what, const char *s, int64_t *out)
{
	kt_date_t d;
	struct tm tm = { 0 };
	int rc;

	if ((rc = parse_day(cli, what, s, out)) != 0)
		return rc;
	(void)kt_date_parse(s, &d, NULL);
	tm.tm_year = (int)d.year - 1900;
	tm.tm_mon = (int)d.month - 1;
	tm.tm_mday = (int)d.day + 1;        /* mktime carries it over */
	tm.tm_isdst = -1;
	*out = (int64_t)mktime(&tm);
	return 0;
}

/* ==== list filters (client list, export) ================================= */

static const char *const presence_names[] = { "", "yes", "no" };

/* The segment filters of f into r (part of cli_filters_request). Both
 * contact dates are days: --contacted-before includes its day (the
 * bound sent is the next midnight), --contacted-after starts at its
 * midnight. */
static int
segment_filters(cli_t *cli, const cli_filters_t *f,
    Kartoteka__ClientListRequest *r)
{
	int rc, v = 0;

	if (f->contacted_before && (rc = parse_day_end(cli,
	    "--contacted-before", f->contacted_before,
	    &r->contacted_before)) != 0)
		return rc;
	if (f->contacted_after && (rc = parse_day(cli, "--contacted-after",
	    f->contacted_after, &r->contacted_after)) != 0)
		return rc;
	if (r->contacted_before && r->contacted_after &&
	    r->contacted_after >= r->contacted_before)
		return cli_usage_error(cli, _("--contacted-after: a day after "
		    "--contacted-before"));
	if (f->open_deal && f->no_open_deal)
		return cli_usage_error(cli, _("--open-deal and --no-open-deal "
		    "exclude each other"));
	r->open_deal = f->open_deal ? KARTOTEKA__PRESENCE__PRESENCE_YES :
	    f->no_open_deal ? KARTOTEKA__PRESENCE__PRESENCE_NO :
	    KARTOTEKA__PRESENCE__PRESENCE_ANY;
	if (f->consent) {
		if ((rc = parse_enum(cli, "--consent", f->consent,
		    presence_names, 3, &v)) != 0)
			return rc;
		r->consent = (Kartoteka__Presence)v;
	}
	if (f->dnc) {
		if ((rc = parse_enum(cli, "--do-not-contact", f->dnc,
		    presence_names, 3, &v)) != 0)
			return rc;
		r->do_not_contact = (Kartoteka__Presence)v;
	}
	return 0;
}

size_t
cli_filter_opts(cli_filters_t *f, cli_opt_t *opts)
{
	const cli_opt_t o[CLI_FILTER_NOPTS] = {
		{ .ao_name = "--branch", .ao_value = &f->branch },
		{ .ao_name = "--manager", .ao_value = &f->manager },
		{ .ao_name = "--status", .ao_value = &f->status },
		{ .ao_name = "--category", .ao_value = &f->category },
		{ .ao_name = "--tag", .ao_value = &f->tag },
		{ .ao_name = "--source", .ao_value = &f->source },
		{ .ao_name = "--birth-month", .ao_value = &f->month },
		{ .ao_name = "--children", .ao_flag = &f->children },
		{ .ao_name = "--child-year", .ao_value = &f->cyear },
		{ .ao_name = "--child-age", .ao_value = &f->cage },
		{ .ao_name = "--created-from", .ao_value = &f->from },
		{ .ao_name = "--created-to", .ao_value = &f->to },
		{ .ao_name = "--archived", .ao_flag = &f->archived },
		/* segments */
		{ .ao_name = "--contacted-before",
		  .ao_value = &f->contacted_before },
		{ .ao_name = "--contacted-after",
		  .ao_value = &f->contacted_after },
		{ .ao_name = "--open-deal", .ao_flag = &f->open_deal },
		{ .ao_name = "--no-open-deal", .ao_flag = &f->no_open_deal },
		{ .ao_name = "--consent", .ao_value = &f->consent },
		{ .ao_name = "--do-not-contact", .ao_value = &f->dnc },
		{ .ao_name = "--won-from", .ao_value = &f->won_from },
		{ .ao_name = "--won-to", .ao_value = &f->won_to },
	};

	memcpy(opts, o, sizeof(o));
	return CLI_FILTER_NOPTS;
}

int
cli_filters_request(cli_t *cli, const cli_filters_t *f,
    Kartoteka__ClientListRequest *r)
{
	uint64_t n = 0;
	int rc, v = 0;

	r->branch = (char *)(f->branch ? f->branch : "");
	r->manager = (char *)(f->manager ? f->manager : "");
	r->tag = (char *)(f->tag ? f->tag : "");
	r->source = (char *)(f->source ? f->source : "");
	if (f->status) {
		if ((rc = parse_enum(cli, "--status", f->status, status_names,
		    4, &v)) != 0)
			return rc;
		r->status = (Kartoteka__ClientStatus)v;
	}
	if (f->category) {
		if ((rc = parse_enum(cli, "--category", f->category,
		    category_names, 4, &v)) != 0)
			return rc;
		r->category = (Kartoteka__Category)v;
	}
	if (f->month) {
		if ((rc = parse_uint(cli, "--birth-month", f->month, 12,
		    &n)) != 0)
			return rc;
		r->birth_month = (uint32_t)n;
	}
	r->children_only = f->children;
	if (f->cyear) {
		if ((rc = parse_uint(cli, "--child-year", f->cyear, 2100,
		    &n)) != 0)
			return rc;
		r->child_birth_year = (uint32_t)n;
	}
	if (f->cage) {
		unsigned lo, hi;
		char end;
		if (sscanf(f->cage, "%u-%u%c", &lo, &hi, &end) != 2 ||
		    lo > hi || hi > 150)
			return cli_usage_error(cli, _("--child-age must be "
			    "MIN-MAX, e.g. 5-7"));
		r->child_age_min = lo;
		r->child_age_max = hi;
	}
	if (f->from && (rc = parse_day(cli, "--created-from", f->from,
	    &r->created_from)) != 0)
		return rc;
	if (f->to && (rc = parse_day_end(cli, "--created-to", f->to,
	    &r->created_to)) != 0)
		return rc;
	r->include_archived = f->archived;
	/* Won a deal closed in the period, both days included. */
	if (f->won_from && (rc = parse_day(cli, "--won-from", f->won_from,
	    &r->won_from)) != 0)
		return rc;
	if (f->won_to && (rc = parse_day_end(cli, "--won-to", f->won_to,
	    &r->won_to)) != 0)
		return rc;
	return segment_filters(cli, f, r);
}

static int
cmd_client_list(cli_t *cli, int argc, char **argv)
{
	cli_filters_t f;
	const char *limit = NULL, *cursor = NULL;
	cli_opt_t opts[CLI_FILTER_NOPTS + 2];
	size_t nopts;
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__ClientListRequest r = KARTOTEKA__CLIENT_LIST_REQUEST__INIT;
	uint8_t cur[8];
	uint64_t n = 0;
	int rc;

	memset(&f, 0, sizeof(f));
	nopts = cli_filter_opts(&f, opts);
	opts[nopts++] = (cli_opt_t){ .ao_name = "--limit", .ao_value = &limit };
	opts[nopts++] = (cli_opt_t){ .ao_name = "--cursor",
		.ao_value = &cursor };
	rc = cli_parse_args(cli, argc, argv, opts, nopts, NULL, 0, 0, "");
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = cli_filters_request(cli, &f, &r)) != 0)
		return rc;
	if (limit && (rc = parse_uint(cli, "--limit", limit, 200, &n)) != 0)
		return rc;
	r.limit = limit ? (uint32_t)n : 0;
	if ((rc = parse_cursor(cli, cursor, cur, &r.cursor.len)) != 0)
		return rc;
	r.cursor.data = cur;
	req.op_case = KARTOTEKA__REQUEST__OP_CLIENT_LIST;
	req.client_list = &r;
	return rows_reply(cli, &req);
}

/* ==== people one at a time ============================================== */

/* Options of person add and edit; values point into argv. */
typedef struct person_opts {
	const char *version, *name, *relation, *born, *email, *note;
	const char *phones[MAX_PHONES];
	size_t nphones;
	int force, no_phones;
} person_opts_t;

#define PERSON_OPTS(o)                                                      \
	{ .ao_name = "--version", .ao_value = &(o).version },               \
	{ .ao_name = "--name", .ao_value = &(o).name },                     \
	{ .ao_name = "--relation", .ao_value = &(o).relation },             \
	{ .ao_name = "--born", .ao_value = &(o).born },                     \
	{ .ao_name = "--phone", .ao_list = (o).phones,                      \
	  .ao_list_cap = MAX_PHONES, .ao_list_n = &(o).nphones },           \
	{ .ao_name = "--email", .ao_value = &(o).email },                   \
	{ .ao_name = "--note", .ao_value = &(o).note },                     \
	{ .ao_name = "--force", .ao_flag = &(o).force }

/* The card's id (pos[0]), the person's number (pos[1] when want_index)
 * and --version. */
static int
person_target(cli_t *cli, const char *const *pos, int want_index,
    const char *version, uint64_t *id, uint32_t *index, uint64_t *ver)
{
	uint64_t n = 0;
	int rc;

	if ((rc = parse_uint(cli, "CLIENT", pos[0], UINT64_MAX, id)) != 0)
		return rc;
	if (want_index) {
		if ((rc = parse_uint(cli, "N", pos[1], UINT32_MAX, &n)) != 0)
			return rc;
		if (n == 0)
			return cli_usage_error(cli, _("N is the person's number "
			    "in `kartoteka client show CLIENT` (1 is the "
			    "first)"));
		*index = (uint32_t)n;
	}
	if (version == NULL)
		return cli_usage_error(cli, _("--version is required: the "
		    "version `kartoteka client show CLIENT` printed"));
	return parse_uint(cli, "--version", version, UINT64_MAX, ver);
}

/* Lays the named options of o over person p (from a SPEC or empty),
 * naming each field given in fields (when not NULL). */
static int
person_from_opts(cli_t *cli, const person_opts_t *o, Kartoteka__Person *p,
    char **phones, const char **fields, size_t *nfields)
{
	int rel = 0;

#define FIELD(name) do { if (fields) fields[(*nfields)++] = name; } while (0)
	if (o->name) {
		p->name = (char *)o->name;
		FIELD("name");
	}
	if (o->relation) {
		if (parse_enum(cli, "--relation", o->relation, relation_names, 5,
		    &rel) != 0)
			return CLI_EXIT_USAGE;
		p->relation = (Kartoteka__Relation)rel;
		FIELD("relation");
	}
	if (o->born) {
		if (parse_birth(cli, "--born", o->born, p) != 0)
			return CLI_EXIT_USAGE;
		FIELD("birth");
	}
	if (o->nphones || o->no_phones) {
		for (size_t i = 0; i < o->nphones; i++)
			phones[i] = (char *)o->phones[i];
		p->phones = phones;
		p->n_phones = o->nphones;
		FIELD("phones");
	}
	if (o->email) {
		p->email = (char *)o->email;
		FIELD("email");
	}
	if (o->note) {
		p->note = (char *)o->note;
		FIELD("note");
	}
#undef FIELD
	return 0;
}

static int
cmd_person_add(cli_t *cli, int argc, char **argv)
{
	person_opts_t o = { 0 };
	const cli_opt_t opts[] = { PERSON_OPTS(o) };
	const char *pos[2] = { NULL, NULL };
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__PersonAddRequest ar = KARTOTEKA__PERSON_ADD_REQUEST__INIT;
	person_buf_t pb = { 0 };
	char *phones[MAX_PHONES];
	uint64_t id = 0, version = 0;
	int rc;

	kartoteka__person__init(&pb.p);
	rc = cli_parse_args(cli, argc, argv, opts, sizeof opts / sizeof *opts,
	    pos, 1, 2, "CLIENT [SPEC]");
	if (rc != 0) {
		rc = cli_parsed(rc);
		goto out;
	}
	if ((rc = person_target(cli, pos, 0, o.version, &id, NULL,
	    &version)) != 0)
		goto out;
	if (pos[1] != NULL && (rc = parse_person(cli, pos[1], &pb)) != 0)
		goto out;
	if ((rc = person_from_opts(cli, &o, &pb.p, phones, NULL, NULL)) != 0)
		goto out;
	if (pb.p.name == NULL || pb.p.name[0] == '\0') {
		rc = cli_usage_error(cli, _("the person needs a name: --name "
		    "NAME or a SPEC 'Name;relation;...'"));
		goto out;
	}
	ar.id = id;
	ar.version = version;
	ar.person = &pb.p;
	ar.force = o.force;
	req.op_case = KARTOTEKA__REQUEST__OP_PERSON_ADD;
	req.person_add = &ar;
	rc = cli_show(cli, &req, &card_show, _("Changed"));
out:
	free(pb.copy);
	return rc;
}

static int
cmd_person_edit(cli_t *cli, int argc, char **argv)
{
	person_opts_t o = { 0 };
	const cli_opt_t opts[] = { PERSON_OPTS(o),
		{ .ao_name = "--no-phones", .ao_flag = &o.no_phones } };
	const char *pos[2] = { NULL, NULL }, *fields[8];
	size_t nfields = 0;
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__PersonEditRequest er = KARTOTEKA__PERSON_EDIT_REQUEST__INIT;
	Kartoteka__Person p = KARTOTEKA__PERSON__INIT;
	char *phones[MAX_PHONES];
	uint64_t id = 0, version = 0;
	uint32_t index = 0;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, sizeof opts / sizeof *opts,
	    pos, 2, 2, "CLIENT N");
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = person_target(cli, pos, 1, o.version, &id, &index,
	    &version)) != 0)
		return rc;
	if ((rc = person_from_opts(cli, &o, &p, phones, fields, &nfields)) != 0)
		return rc;
	if (nfields == 0)
		return cli_usage_error(cli, _("nothing to change: give --name, "
		    "--relation, --born, --phone, --no-phones, --email or "
		    "--note"));
	er.id = id;
	er.version = version;
	er.index = index;
	er.fields = (char **)fields;
	er.n_fields = nfields;
	er.person = &p;
	er.force = o.force;
	req.op_case = KARTOTEKA__REQUEST__OP_PERSON_EDIT;
	req.person_edit = &er;
	return cli_show(cli, &req, &card_show, _("Changed"));
}

static int
cmd_person_remove(cli_t *cli, int argc, char **argv)
{
	const char *version = NULL;
	const cli_opt_t opts[] = { { .ao_name = "--version",
	    .ao_value = &version } };
	const char *pos[2] = { NULL, NULL };
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__PersonRemoveRequest rr =
	    KARTOTEKA__PERSON_REMOVE_REQUEST__INIT;
	uint64_t id = 0, ver = 0;
	uint32_t index = 0;
	int rc;

	rc = cli_parse_args(cli, argc, argv, opts, sizeof opts / sizeof *opts,
	    pos, 2, 2, "CLIENT N");
	if (rc != 0)
		return cli_parsed(rc);
	if ((rc = person_target(cli, pos, 1, version, &id, &index, &ver)) != 0)
		return rc;
	rr.id = id;
	rr.version = ver;
	rr.index = index;
	req.op_case = KARTOTEKA__REQUEST__OP_PERSON_REMOVE;
	req.person_remove = &rr;
	return cli_show(cli, &req, &card_show, _("Changed"));
}

/* ==== the table ========================================================== */

const cli_command_t cli_commands_client[] = {
	{ "client add", cmd_client_add,
	  N_("client add --title TITLE [--branch NAME] [--manager LOGIN] "
	     "[--status lead|active|former] [--category A|B|C] [--source TEXT] "
	     "[--tag TAG...] [--note TEXT] [--person SPEC...] "
	     "[--referred-by ID] [--address TEXT] [--leaving-reason TEXT] "
	     "[--consent DATE] [--contract N] [--discount PCT] "
	     "[--do-not-contact yes|no] [--force]"),
	  N_("add a client card (a family or a company)"),
	  N_("SPEC is 'Name;relation;birth;phone1,phone2;email;note' (relation:\n"
	     "parent, child, contact, other; birth: YYYY-MM-DD, DD.MM.YYYY,\n"
	     "DD.MM or just YYYY); trailing parts may be left out. Inside a\n"
	     "part write \\; for ';', \\, for ',' and \\\\ for a backslash; a 7th\n"
	     "part is refused. Phones are\n"
	     "stored as +7...; a phone or e-mail that another card already has\n"
	     "is refused unless --force. The branch defaults to the terminal's.\n"
	     "--referred-by names the card of the client who recommended them.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka client add --title Ёлкины --tag английский \\\n"
	     "    --person 'Ирина Ёлкина;parent;14.03.1985;8 912 345-67-89;"
	     "irina@mail.ru' \\\n"
	     "    --person 'Маша;child;2019'\n") },
	{ "client merge", cmd_client_merge, N_("client merge INTO FROM"),
	  N_("merge a duplicate card into another (owner only)"),
	  N_("INTO gets FROM's people, tags and notes, and FROM's fields\n"
	     "where INTO has none; FROM is archived without contacts and says\n"
	     "`merged into INTO`. Both keep their history. The owner learns\n"
	     "of duplicates from `kartoteka alerts` (kind client.duplicate).\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka client merge 12 345\n") },
	{ "client show", cmd_client_show, N_("client show ID [--version V]"),
	  N_("show a full card, contacts revealed (counted and audited)"),
	  N_("Full cards are counted per business day: managers may open 200,\n"
	     "heads 500 (the owner sets other quotas per user).\n"
	     "--version V shows version V from the card's history (owner and\n"
	     "heads; `kartoteka client history ID` lists them), counted alike.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka client show 12\n"
	     "  kartoteka client show 12 --version 3\n") },
	{ "client edit", cmd_client_edit,
	  N_("client edit ID --version V [--title T] [--status S] "
	     "[--category C] [--source S] [--tag TAG...|--no-tags] [--note TEXT] "
	     "[--person SPEC...|--no-people] [--consent DATE] [--contract N] "
	     "[--discount PCT] [--do-not-contact yes|no] [--referred-by ID] "
	     "[--address TEXT] [--leaving-reason TEXT] [--force]"),
	  N_("change the fields given; --tag and --person replace all"),
	  N_("V is the version `client show` printed; if someone changed the\n"
	     "card since, the server refuses with CONFLICT and the current\n"
	     "version. A phone or e-mail new to the card that another card\n"
	     "has is refused unless --force. --referred-by 0 clears it.\n"
	     "--person replaces every person: to add, change or remove one,\n"
	     "use `kartoteka person add|edit|remove`.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka client edit 12 --version 3 --status active "
	     "--category A\n") },
	{ "client archive", cmd_client_archive, N_("client archive ID"),
	  N_("archive a card (lists skip it; `client restore` undoes)"),
	  N_("Example:\n"
	     "  kartoteka client archive 12\n") },
	{ "client restore", cmd_client_restore, N_("client restore ID"),
	  N_("bring an archived card back"),
	  N_("Example:\n"
	     "  kartoteka client restore 12\n") },
	{ "client purge", cmd_client_purge, N_("client purge ID [--reason TEXT]"),
	  N_("erase a card's personal data for good (owner only)"),
	  N_("Only the id remains, as a tombstone. Cannot be undone.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka client purge 12 --reason \"erasure request\"\n") },
	{ "client reassign", cmd_client_reassign, N_("client reassign ID LOGIN"),
	  N_("give a client to another manager (owner; head in its branches)"),
	  N_("Example:\n"
	     "  kartoteka client reassign 12 anna\n") },
	{ "client find", cmd_client_find,
	  N_("client find TEXT|--contract N [--limit N] [--cursor C]"),
	  N_("search by name prefixes, a phone, an e-mail or a contract"),
	  N_("Every word must start a word of the title or a person's name\n"
	     "('ёлк' finds Ёлкина; case and ё/е do not matter). A phone in any\n"
	     "format finds its card; a TEXT with '@' is an e-mail, found\n"
	     "exactly (case does not matter). --contract N finds the card with\n"
	     "exactly that contract number. Only cards you may see are found.\n"
	     "Contacts in the rows are masked.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka client find 'ёлкина маша'\n"
	     "  kartoteka client find '8 (912) 345-67-89'\n"
	     "  kartoteka client find irina@mail.ru\n"
	     "  kartoteka client find --contract Д-2024/17\n") },
	{ "client list", cmd_client_list,
	  N_("client list [--branch B] [--manager LOGIN] [--status S] "
	     "[--category C] [--tag T] [--source S] [--birth-month M "
	     "[--children]] [--child-year Y] [--child-age MIN-MAX] "
	     "[--created-from DATE] [--created-to DATE] [--archived] "
	     "[--contacted-before DATE] [--contacted-after DATE] "
	     "[--open-deal|--no-open-deal] [--consent yes|no] "
	     "[--do-not-contact yes|no] [--won-from DATE] [--won-to DATE] "
	     "[--limit N] [--cursor C]"),
	  N_("list clients by filters, a page at a time"),
	  N_("--birth-month, --children, --child-year and --child-age are\n"
	     "about ONE person: --birth-month 3 --child-age 4-6 lists families\n"
	     "with a child born in March who is 4 to 6 (not a March parent and\n"
	     "some child of 5).\n"
	     "Dates are days (YYYY-MM-DD, local time) and ranges include both\n"
	     "ends: --created-from 2026-03-01 --created-to 2026-03-31 is the\n"
	     "whole of March. --contacted-before DATE: the last interaction was\n"
	     "on DATE or earlier, or there never was one; --contacted-after\n"
	     "DATE: on DATE or later. --open-deal: a deal is new or in\n"
	     "progress. --consent yes: the card has a consent date.\n"
	     "--won-from/--won-to: a deal won (closed) within those days (either\n"
	     "may be left open).\n"
	     "An unknown --branch or --manager lists nothing.\n"
	     "\n"
	     "Example (children's birthdays in July):\n"
	     "  kartoteka client list --birth-month 7 --children\n"
	     "Example (not called since the new year, may be called):\n"
	     "  kartoteka client list --contacted-before 2025-12-31 "
	     "--do-not-contact no\n"
	     "Example (bought in December a year ago):\n"
	     "  kartoteka client list --won-from 2025-12-01 --won-to "
	     "2025-12-31\n") },

	{ "person add", cmd_person_add,
	  N_("person add CLIENT [SPEC] --version V [--name NAME] "
	     "[--relation R] [--born DATE] [--phone P...] [--email E] "
	     "[--note TEXT] [--force]"),
	  N_("add one person to a card, keeping everyone on it"),
	  N_("SPEC is as for `client add --person`; the named options are\n"
	     "the same parts one by one and win over SPEC. V is the version\n"
	     "`client show` printed (CONFLICT if the card changed since).\n"
	     "\n"
	     "Example (a newborn sibling):\n"
	     "  kartoteka person add 12 --version 3 --name Ваня "
	     "--relation child --born 2026-05-02\n"
	     "  kartoteka person add 12 'Маша;child;2019;;;рисование\\; "
	     "английский' --version 4\n") },
	{ "person edit", cmd_person_edit,
	  N_("person edit CLIENT N --version V [--name NAME] [--relation R] "
	     "[--born DATE] [--phone P...|--no-phones] [--email E] "
	     "[--note TEXT] [--force]"),
	  N_("change the fields given of person N of a card"),
	  N_("N is the person's number (#) in `client show CLIENT`. --phone\n"
	     "replaces all of that person's phones; --email '' and --born ''\n"
	     "clear them.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka person edit 12 2 --version 5 --note 'аллергия на "
	     "орехи'\n") },
	{ "person remove", cmd_person_remove,
	  N_("person remove CLIENT N --version V"),
	  N_("remove person N from a card"),
	  N_("N is the person's number (#) in `client show CLIENT`; the\n"
	     "others keep theirs, shifted up by one after N.\n"
	     "\n"
	     "Example:\n"
	     "  kartoteka person remove 12 3 --version 6\n") },

	{ NULL, NULL, NULL, NULL, NULL },
};
