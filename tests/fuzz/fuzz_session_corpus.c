/* SPDX-License-Identifier: MIT */
/* Writes the seed corpus of fuzz_session (tests/fuzz/corpus/session/):
 * one input per op, each a valid Request as the fuzz target reads it (a
 * byte choosing the connection, then 2-byte big-endian length and the
 * packed Request), so the fuzzer starts deep in every op instead of
 * having to discover the protobuf encoding of each.
 *   fuzz_session_corpus DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kartoteka.pb-c.h"

/* Writes DIR/name: who, then req framed. */
static int
seed(const char *dir, const char *name, unsigned who, Kartoteka__Request *req)
{
	size_t n;
	uint8_t *buf;
	char path[4096];
	FILE *f;
	int rc = -1;

	req->id = 1;
	n = kartoteka__request__get_packed_size(req);
	if (n > 0xffff || (buf = malloc(n + 3)) == NULL)
		return -1;
	buf[0] = (uint8_t)who;
	buf[1] = (uint8_t)(n >> 8);
	buf[2] = (uint8_t)n;
	kartoteka__request__pack(req, buf + 3);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) != NULL) {
		rc = fwrite(buf, 1, n + 3, f) == n + 3 ? 0 : -1;
		if (fclose(f) != 0)
			rc = -1;
	}
	free(buf);
	return rc;
}

int
main(int argc, char **argv)
{
	Kartoteka__Request r;
	Kartoteka__PingRequest ping = KARTOTEKA__PING_REQUEST__INIT;
	Kartoteka__WhoamiRequest who = KARTOTEKA__WHOAMI_REQUEST__INIT;
	Kartoteka__ClientAddRequest add = KARTOTEKA__CLIENT_ADD_REQUEST__INIT;
	Kartoteka__Client cl = KARTOTEKA__CLIENT__INIT;
	Kartoteka__Person p1 = KARTOTEKA__PERSON__INIT,
	    p2 = KARTOTEKA__PERSON__INIT, *people[2] = { &p1, &p2 };
	char *phones[2] = { "8 (912) 345-67-89", "+7 999 000 11 22" };
	char *tags[1] = { "английский" };
	Kartoteka__ClientFindRequest find = KARTOTEKA__CLIENT_FIND_REQUEST__INIT;
	Kartoteka__ClientListRequest list = KARTOTEKA__CLIENT_LIST_REQUEST__INIT;
	Kartoteka__ClientShowRequest show = KARTOTEKA__CLIENT_SHOW_REQUEST__INIT;
	Kartoteka__NoteAddRequest note = KARTOTEKA__NOTE_ADD_REQUEST__INIT;
	Kartoteka__TaskAddRequest task = KARTOTEKA__TASK_ADD_REQUEST__INIT;
	Kartoteka__DealAddRequest deal = KARTOTEKA__DEAL_ADD_REQUEST__INIT;
	Kartoteka__AgendaRequest agenda = KARTOTEKA__AGENDA_REQUEST__INIT;
	Kartoteka__ReportRequest report = KARTOTEKA__REPORT_REQUEST__INIT;
	Kartoteka__BranchAddRequest badd = KARTOTEKA__BRANCH_ADD_REQUEST__INIT;
	Kartoteka__AlertListRequest alerts = KARTOTEKA__ALERT_LIST_REQUEST__INIT;
	Kartoteka__ExportRequest exp = KARTOTEKA__EXPORT_REQUEST__INIT;
	Kartoteka__ImportBatchRequest imp = KARTOTEKA__IMPORT_BATCH_REQUEST__INIT;
	Kartoteka__ImportCard ic1 = KARTOTEKA__IMPORT_CARD__INIT,
	    ic2 = KARTOTEKA__IMPORT_CARD__INIT, *icards[2] = { &ic1, &ic2 };
	Kartoteka__Client cl2 = KARTOTEKA__CLIENT__INIT;
	Kartoteka__Person p3 = KARTOTEKA__PERSON__INIT, *people2[1] = { &p3 };
	char *phones2[2] = { "+7 (495) 123-45-67", "8 916 000-00-01" };
	const char *dir;
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
#define SEED(name, who_, field, member, msg) do {                        \
		kartoteka__request__init(&r);                            \
		r.op_case = KARTOTEKA__REQUEST__OP_##field;              \
		r.member = &(msg);                                       \
		bad |= seed(dir, name, who_, &r);                        \
	} while (0)
	SEED("ping", 0, PING, ping, ping);
	SEED("whoami", 1, WHOAMI, whoami, who);
	p1.name = "Ирина Ёлкина";
	p1.relation = KARTOTEKA__RELATION__PARENT;
	p1.birth_year = 1985;
	p1.birth_month = 3;
	p1.birth_day = 14;
	p1.phones = phones;
	p1.n_phones = 2;
	p1.email = "Irina.Elkina@Mail.RU";
	p2.name = "Маша";
	p2.relation = KARTOTEKA__RELATION__CHILD;
	p2.birth_year = 2019;
	cl.title = "Ёлкины";
	cl.branch = "North";
	cl.people = people;
	cl.n_people = 2;
	cl.tags = tags;
	cl.n_tags = 1;
	cl.source = "вывеска";
	cl.contract = "Д-0001";
	cl.discount_percent = 10;
	cl.consent_date = "2024-01-15";
	add.client = &cl;
	SEED("client_add_owner", 0, CLIENT_ADD, client_add, add);
	SEED("client_add_manager", 1, CLIENT_ADD, client_add, add);
	find.text = "ёлк";
	SEED("client_find_name", 1, CLIENT_FIND, client_find, find);
	find.text = "+7 912 345 67 89";
	SEED("client_find_phone", 1, CLIENT_FIND, client_find, find);
	list.birth_month = 3;
	list.children_only = 1;
	SEED("client_list", 1, CLIENT_LIST, client_list, list);
	show.id = 1;
	SEED("client_show", 1, CLIENT_SHOW, client_show, show);
	note.client_id = 1;
	note.channel = KARTOTEKA__CHANNEL__CALL;
	note.topic = "Запись на английский";
	note.agreed = "перезвонить в пятницу";
	SEED("note_add", 1, NOTE_ADD, note_add, note);
	task.client_id = 1;
	task.due = "2026-12-04";
	task.title = "Перезвонить";
	SEED("task_add", 1, TASK_ADD, task_add, task);
	deal.client = 1;
	deal.title = "Английский, абонемент";
	deal.amount = 1250000;
	deal.valid_from = "2026-09-01";
	deal.valid_to = "2027-05-31";
	SEED("deal_add", 1, DEAL_ADD, deal_add, deal);
	SEED("agenda", 1, AGENDA, agenda, agenda);
	report.months = 12;
	SEED("report", 0, REPORT, report, report);
	badd.name = "Юг";
	SEED("branch_add", 0, BRANCH_ADD, branch_add, badd);
	SEED("alert_list", 0, ALERT_LIST, alert_list, alerts);
	exp.format = KARTOTEKA__EXPORT_FORMAT__EXPORT_CSV;
	SEED("export", 0, EXPORT, export, exp);
	/* The import's batches (owner only): a card like the one above, and
	 * one of a person alone, as `kartoteka import` sends them. */
	p3.name = "Петров Пётр Петрович";
	p3.relation = KARTOTEKA__RELATION__PARENT;
	p3.phones = phones2;
	p3.n_phones = 2;
	p3.email = "petrov@example.ru";
	cl2.title = "Петров Пётр Петрович";
	cl2.people = people2;
	cl2.n_people = 1;
	cl2.notes = "из 1С, строка 7";
	ic1.line = 2;
	ic1.client = &cl;
	ic2.line = 7;
	ic2.client = &cl2;
	imp.cards = icards;
	imp.n_cards = 2;
	imp.dry_run = 1;
	SEED("import_batch_dry", 0, IMPORT_BATCH, import_batch, imp);
	imp.dry_run = 0;
	SEED("import_batch", 0, IMPORT_BATCH, import_batch, imp);
#undef SEED
	return bad ? 1 : 0;
}
