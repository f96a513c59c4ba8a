-- SPDX-License-Identifier: MIT
-- pgbench script of tests/bench/compare.sh: one durable INSERT of a
-- client-card-like row per transaction (autocommit), random-ish values.
\set k random(1, 999999999)
\set branch random(1, 3)
\set manager random(1, 12)
\set s random(1, 20)
\set mail random(1, 5)
\set days random(0, 18000)
INSERT INTO client (branch, manager, title, phone, email, birth, created)
VALUES (:branch, :manager,
        (ARRAY['Ивановы','Смирновы','Кузнецовы','Поповы','Васильевы',
               'Петровы','Соколовы','Михайловы','Новиковы','Фёдоровы',
               'Морозовы','Волковы','Алексеевы','Лебедевы','Семёновы',
               'Егоровы','Павловы','Козловы','Степановы','Ёлкины'])[:s],
        '+79' || lpad(:k::text, 9, '0'),
        CASE WHEN :mail <= 2 THEN 'client' || :k || '@mail.ru' END,
        date '1975-01-01' + :days,
        now());
