-- SPDX-License-Identifier: MIT
-- pgbench script of tests/bench/compare.sh, the reference of `note`: one
-- durable INSERT of an interaction row per transaction (autocommit), for
-- a random client in 1..:base (pgbench -D base=N), the same text as
-- kartoteka-bench's note.
\set client random(1, :base)
\set channel random(1, 5)
INSERT INTO interaction (client, author, at, channel, direction, topic,
                         agreed, branch)
VALUES (:client, 1, now(), :channel, 2,
        'Звонок: пробное занятие по рисованию',
        'Придут в субботу к 10:00, перезвонить в пятницу', 1);
