#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# People one at a time with the real CLI (issue 9 item 7): adding a
# newborn sibling keeps the parent and her phone; a person is edited and
# removed by its number in `client show`; a note with '\;' keeps its
# ';'; a 7th part of --person is refused rather than dropped; --address
# and --leaving-reason round trip and the address is masked in a masked
# copy; a card of another branch answers like a missing one.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
enroll_owner o

has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
hasnt() { ! grep -q -- "$1" "$T/last.out" || fail "did not expect '$1' in: $(cat "$T/last.out")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }
json_client_id() { sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out"; }
json_version() { sed -n 's/.*"client":{"id":[0-9]*,"version":\([0-9]*\).*/\1/p' "$T/last.out"; }

expect_rc 0 cli o branch add Центр
expect_rc 0 cli o branch add Север
printf 'staff-pass-1\n' >"$T/s.pw"
expect_rc 0 cli o user add masha --role manager --branch Центр --password-file "$T/s.pw"
expect_rc 0 cli o user add vera --role manager --branch Север --password-file "$T/s.pw"
code=$(kt_invite --branch Центр)
expect_rc 0 cli m enroll "$code" --name desk-centre
code=$(kt_invite --branch Север)
expect_rc 0 cli v enroll "$code" --name desk-north
expect_rc 0 cli m login masha --password-file "$T/s.pw"
expect_rc 0 cli v login vera --password-file "$T/s.pw"

# ---- the card, with an address ------------------------------------------------
expect_rc 0 cli m --json client add --title "Ёлкины" \
	--person "Ирина Ёлкина;parent;14.03.1985;8 912 345-67-89;irina@mail.ru" \
	--address "Москва, ул. Ленина, д. 1, кв. 2"
A=$(json_client_id)
[ -n "$A" ] || fail "no client id: $(cat "$T/last.out")"
expect_rc 0 cli m --json client show "$A"
has '"address":"Москва, ул. Ленина, д. 1, кв. 2"'
V=$(json_version)
[ "$V" = 1 ] || fail "version $V"

# ---- a newborn sibling: the parent and her phone stay -------------------------
expect_rc 0 cli m --json person add "$A" --version 1 --name Ваня --relation child \
	--born "$(date +%F)"
has '"version":2'
has '"address":"\*\*\*"'          # a masked copy: the address is a contact
hasnt 'Ленина'
expect_rc 0 cli m --json client show "$A"
has '"name":"Ирина Ёлкина"'
has '"phones":\["+79123456789"\]'
has '"name":"Ваня"'
# A note with '\;' keeps its ';'.
expect_rc 0 cli m person add "$A" 'Маша;child;2019;;;рисование\; английский' --version 2
expect_rc 0 cli m --json client show "$A"
has '"note":"рисование; английский"'
has '"phones":\["+79123456789"\]'
expect_rc 0 cli m client show "$A"
has '^ *3  *Маша'
# Edit one field of person 3, then remove person 2.
expect_rc 0 cli m person edit "$A" 3 --version 3 --note "лепка"
expect_rc 0 cli m --json client show "$A"
has '"name":"Маша","relation":"child","birth_year":2019'
has '"note":"лепка"'
expect_rc 0 cli m person remove "$A" 2 --version 4
expect_rc 0 cli m --json client show "$A"
hasnt '"name":"Ваня"'
has '"phones":\["+79123456789"\]'
# A stale version: CONFLICT, nothing changed.
expect_rc 1 cli m person remove "$A" 1 --version 4
err_has "current version is 5"
# The audit names the person's number, never the contact.
"$KARTOTEKAD" audit tail --data "$T/data" --count 20 >"$T/last.out"
has "person.remove  client:$A  OK  person 2 removed"
has "person.add  client:$A  OK  person 3 added"
hasnt "79123456789"

# ---- the spec never drops input ------------------------------------------------
expect_rc 2 cli m client add --title "Петровы" --person 'Петя;child;2018;;;рисование;английский'
err_has "more than 6 parts"
expect_rc 2 cli m person add "$A" 'Петя;child;;;;C:\dir' --version 5
err_has "backslash"
# Validation: a birth date after today, a name of blanks, a title of blanks.
expect_rc 1 cli m person add "$A" --version 5 --name Петя --born "$(date -d '+3 days' +%F)"
err_has "after today"
expect_rc 1 cli m person add "$A" --version 5 --name "   "
err_has "person.name: is only blanks"
expect_rc 1 cli m client add --title "   "
err_has "title: is only blanks"

# ---- --address and --leaving-reason round trip ---------------------------------
expect_rc 0 cli m client edit "$A" --version 5 --status former \
	--leaving-reason "переехали в другой город" --address "Казань"
expect_rc 0 cli m client show "$A"
has "address: *Казань"
has "left: *переехали в другой город"
expect_rc 0 cli m --json client show "$A"
has '"leaving_reason":"переехали в другой город"'

# ---- another branch: like a missing card ---------------------------------------
expect_rc 1 cli v person add "$A" --version 6 --name Чужой
err_has "no client $A"
missing=$((A + 1000))
expect_rc 1 cli v person add "$missing" --version 6 --name Чужой
err_has "no client $missing"
echo "person: ok"
