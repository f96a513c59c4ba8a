#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Segments by person and search by e-mail and contract, end to end with
# the real CLI: the March-birthday segment holds for ONE child (a family
# with a March child of 18 and another child of 5 is not in it), consent
# and do-not-contact, the contact and deal filters on cards never
# contacted, find by e-mail and by contract, and a card of another branch
# found by neither, with exactly the answer of a missing one.
. "$(dirname "$0")/lib.sh"
kt_init
# Ages are reckoned on the server's day: its clock starts at 10:00 UTC
# today (matrix.sh says why today), so the day cannot change under the
# checks below.
kt_use_faketime "$(date -u +%F) 10:00:00"
kt_start
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
"$KARTOTEKAD" invite --data "$T/data" --branch Север >/dev/null 2>&1
enroll_owner o

has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }
json_id() { sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out"; }

Y=$(date -u +%Y)
today=$(date -u +%F)
tomorrow=$(date -u -d tomorrow +%F)

# ---- the families --------------------------------------------------------------
# A March mother, a March child of 17 or 18, and a January child of 5.
expect_rc 0 cli o --json client add --title "Разные" --branch Центр \
	--person "Ирина;parent;14.03.1985;+79990000101;Irina@Mail.RU" \
	--person "Старший;child;10.03.$((Y - 18))" \
	--person "Младший;child;01.01.$((Y - 5))"
MIXED=$(json_id)
# A March child of 4 or 5 (5 from March 3rd on).
expect_rc 0 cli o --json client add --title "Мартовские" --branch Центр \
	--person "Пётр;parent;01.07.1980;+79990000102" \
	--person "Ваня;child;03.03.$((Y - 5))"
MARCH=$(json_id)
# A card of the other branch, with an e-mail and a contract.
expect_rc 0 cli o --json client add --title "Северные" --branch Север \
	--person "Вера;parent;;+79990000103;sever@mail.ru"
NORTH=$(json_id)
[ -n "$MIXED" ] && [ -n "$MARCH" ] && [ -n "$NORTH" ] || fail "no ids"
expect_rc 0 cli o client edit "$MIXED" --version 1 --consent 2026-01-10 \
	--contract "Д-2024/17"
expect_rc 0 cli o client edit "$MARCH" --version 1 --do-not-contact yes
expect_rc 0 cli o client edit "$NORTH" --version 1 --contract "С-1"

# ---- person-level filters hold for one person ---------------------------------------
expect_rc 0 cli o --json client list --birth-month 3 --children --child-age 4-6
has '"total":1'
has "\"id\":$MARCH"
expect_rc 0 cli o --json client list --birth-month 3 --child-age 4-6
has '"total":1'
expect_rc 0 cli o --json client list --birth-month 3
has '"total":2'
expect_rc 0 cli o --json client list --child-age 4-6
has '"total":2'
expect_rc 0 cli o --json client list --birth-month 1 --child-year "$((Y - 5))"
has '"total":1'
has "\"id\":$MIXED"
expect_rc 0 cli o client list --birth-month 3 --children --child-age 4-6
has "Мартовские"

# ---- consent, do-not-contact --------------------------------------------------------
expect_rc 0 cli o --json client list --consent yes
has '"total":1'
has "\"id\":$MIXED"
expect_rc 0 cli o --json client list --consent no --branch Центр
has '"total":1'
has "\"id\":$MARCH"
expect_rc 0 cli o --json client list --do-not-contact yes
has '"total":1'
has "\"id\":$MARCH"
expect_rc 0 cli o --json client list --birth-month 3 --do-not-contact no
has '"total":1'
has "\"id\":$MIXED"
expect_rc 2 cli o client list --consent maybe
err_has "consent"

# ---- contacts and deals: nobody was contacted yet ------------------------------------
expect_rc 0 cli o --json client list --contacted-before "$today"
has '"total":3'
expect_rc 0 cli o --json client list --contacted-after "$today"
has '"total":0'
expect_rc 0 cli o --json client list --no-open-deal
has '"total":3'
expect_rc 0 cli o --json client list --open-deal
has '"total":0'
expect_rc 2 cli o client list --open-deal --no-open-deal
expect_rc 2 cli o client list --contacted-after "$tomorrow" --contacted-before "$today"
err_has "contacted-after"
expect_rc 2 cli o client list --contacted-before 2026-13-01
err_has "contacted-before"

# ---- find by e-mail and by contract --------------------------------------------------
expect_rc 0 cli o --json client find irina@mail.ru
has '"total":1'
has "\"id\":$MIXED"
expect_rc 0 cli o --json client find IRINA@MAIL.RU
has '"total":1'
expect_rc 0 cli o --json client find --contract д-2024/17
has '"total":1'
has "\"id\":$MIXED"
expect_rc 0 cli o --json client find --contract Д-2024/1
has '"total":0'
expect_rc 1 cli o client find "irina@"
err_has "not an e-mail address"
expect_rc 2 cli o client find
expect_rc 2 cli o client find irina --contract 1

# ---- another branch's card: found by neither, answered as a missing one ---------------
printf 'manager-pass-1\n' >"$T/m.pw"
expect_rc 0 cli o user add m1 --role manager --branch Центр --password-file "$T/m.pw"
code=$(kt_invite --branch Центр)
expect_rc 0 cli c1 enroll "$code" --name c1
expect_rc 0 cli c1 login m1 --password-file "$T/m.pw"
expect_rc 0 cli o --json client find sever@mail.ru
has "\"id\":$NORTH"
expect_rc 0 cli c1 --json client find sever@mail.ru
cp "$T/last.out" "$T/hidden.out"
expect_rc 0 cli c1 --json client find nobody@mail.ru
cmp -s "$T/hidden.out" "$T/last.out" ||
	fail "hidden e-mail answered unlike a missing one: $(cat "$T/hidden.out") / $(cat "$T/last.out")"
has '"total":0'
expect_rc 0 cli c1 --json client find --contract С-1
cp "$T/last.out" "$T/hidden.out"
expect_rc 0 cli c1 --json client find --contract С-2
cmp -s "$T/hidden.out" "$T/last.out" ||
	fail "hidden contract answered unlike a missing one: $(cat "$T/hidden.out") / $(cat "$T/last.out")"
expect_rc 0 cli c1 --json client find --contract д-2024/17
has "\"id\":$MIXED"

# ---- the audit: masked e-mails, counted rows ------------------------------------------
expect_rc 0 "$KARTOTEKAD" audit tail --data "$T/data" --count 100000
has "client.find  clients  OK  email i\*\*\*@mail.ru rows=1 total=1"
has "client.find  clients  OK  email s\*\*\*@mail.ru rows=0 total=0 new=0 today=0"
has "client.find  clients  OK  contract С-1 rows=0 total=0 new=0 today=0"
has "client.list  clients  OK  birth_month=3 children child_age=4-6 rows=1 total=1"
has "client.list  clients  OK  consent=yes rows=1 total=1"
kt_stop || fail "server did not stop cleanly"
echo "ok"
