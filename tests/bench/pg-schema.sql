-- SPDX-License-Identifier: MIT
-- The PostgreSQL reference of tests/bench/compare.sh: a table shaped like a
-- client card's searchable part, with an index on every column a card is
-- found or listed by, pre-filled with :base rows (psql -v base=N) so that
-- it starts as big as the kartotekad store it is compared with.
CREATE TABLE client (
	id      bigserial PRIMARY KEY,
	branch  int NOT NULL,
	manager int NOT NULL,
	title   text NOT NULL,
	phone   text NOT NULL,
	email   text,
	birth   date,
	created timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX client_branch ON client (branch);
CREATE INDEX client_manager ON client (manager);
CREATE INDEX client_phone ON client (phone);
CREATE INDEX client_email ON client (email);
CREATE INDEX client_title ON client (lower(title));
CREATE INDEX client_birth ON client (birth);
CREATE INDEX client_created ON client (created);

INSERT INTO client (branch, manager, title, phone, email, birth, created)
SELECT 1 + k % 3, 1 + k % 12,
       (ARRAY['Ивановы','Смирновы','Кузнецовы','Поповы','Васильевы',
              'Петровы','Соколовы','Михайловы','Новиковы','Фёдоровы',
              'Морозовы','Волковы','Алексеевы','Лебедевы','Семёновы',
              'Егоровы','Павловы','Козловы','Степановы','Ёлкины'])[(1 + k % 20)::int],
       '+79' || lpad(((k * 7919) % 1000000000)::text, 9, '0'),
       CASE WHEN k % 5 < 2 THEN 'client' || k || '@mail.ru' END,
       date '1975-01-01' + ((k * 37) % 18000)::int,
       now() - make_interval(secs => k)
FROM generate_series(1::bigint, :base) AS k;
-- The reference of `note` (pg-note.sql): an interaction row indexed as
-- kartotekad's interaction_ix is (a client's entries by time, and the
-- entries correcting one), empty unless psql -v interactions=N.
CREATE TABLE interaction (
	id        bigserial PRIMARY KEY,
	client    bigint NOT NULL,
	author    int NOT NULL,
	at        timestamptz NOT NULL,
	created   timestamptz NOT NULL DEFAULT now(),
	channel   smallint NOT NULL,
	direction smallint NOT NULL,
	topic     text NOT NULL,
	agreed    text NOT NULL DEFAULT '',
	corrects  bigint,
	branch    int NOT NULL
);
CREATE INDEX interaction_client ON interaction (client, at, id);
CREATE INDEX interaction_corrects ON interaction (corrects, id)
	WHERE corrects IS NOT NULL;

-- At full size (compare.sh --pg-interactions N): N rows over the :base
-- clients, spread over the two years before now, as kt-export-seed
-- writes kartotekad's.
INSERT INTO interaction (client, author, at, created, channel, direction,
                         topic, agreed, branch)
SELECT 1 + (k * 7919) % :base, 1, now() - make_interval(secs => (k * 104729) % 63072000),
       now(), 1 + k % 5, 1 + k % 2, 'Звонок: пробное занятие по рисованию',
       CASE WHEN k % 2 = 1 THEN 'Перезвонить в пятницу' ELSE '' END, 1
FROM generate_series(1::bigint, :interactions) AS k;
VACUUM ANALYZE interaction;

VACUUM ANALYZE client;
CHECKPOINT;
