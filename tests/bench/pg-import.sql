-- SPDX-License-Identifier: MIT
-- The PostgreSQL reference of tests/bench/import.sh: the same rows as the
-- file, into a table with an index on each column kartotekad indexes a
-- card by (phone, e-mail, name, birth date, branch), loaded with COPY.
SET datestyle = 'ISO, DMY';
CREATE TABLE person (
	id       bigserial PRIMARY KEY,
	name     text NOT NULL,
	phones   text NOT NULL,
	email    text,
	birth    date,
	children text,
	branch   text NOT NULL
);
CREATE INDEX person_phones ON person (phones);
CREATE INDEX person_email ON person (email);
CREATE INDEX person_name ON person (lower(name));
CREATE INDEX person_birth ON person (birth);
CREATE INDEX person_branch ON person (branch);
