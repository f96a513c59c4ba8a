#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Interactions end to end with the real CLI: a manager logs a call and a
# correction; `notes` lists them newest first, paged with the printed
# command; the card shows the three newest; a correction naming another
# client's entry is refused; a manager of another branch gets "not
# found" exactly as for a missing client; the audit holds ids and the
# channel, never the topic; merge moves the entries to the card that
# stays; purge removes them.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
"$KARTOTEKAD" invite --data "$T/data" --branch Север >/dev/null 2>&1
enroll_owner o

has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
hasnt() { ! grep -q -- "$1" "$T/last.out" || fail "did not expect '$1' in: $(cat "$T/last.out")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }
json_client_id() { sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out"; }
json_note_id() { sed -n 's/.*"note":{"id":\([0-9]*\).*/\1/p' "$T/last.out"; }

printf 'staff-pass-1\n' >"$T/s.pw"
expect_rc 0 cli o user add masha --role manager --branch Центр --password-file "$T/s.pw"
expect_rc 0 cli o user add vera --role manager --branch Север --password-file "$T/s.pw"
code=$(kt_invite --branch Центр)
expect_rc 0 cli m enroll "$code" --name desk-centre
code=$(kt_invite --branch Север)
expect_rc 0 cli v enroll "$code" --name desk-north
expect_rc 0 cli m login masha --password-file "$T/s.pw"
expect_rc 0 cli v login vera --password-file "$T/s.pw"

expect_rc 0 cli m --json client add --title "Ивановы" --person "Анна;parent;;+79001112233"
A=$(json_client_id)
expect_rc 0 cli m --json client add --title "Петровы"
B=$(json_client_id)
[ -n "$A" ] && [ -n "$B" ] || fail "no client ids"

# ---- a call, then its correction ----------------------------------------------
expect_rc 0 cli m --json note "$A" --channel call --out \
	--topic "Пробное занятие по рисованию" --agreed "Придут в субботу к 10:00" \
	--at "$(date -d yesterday +%F) 09:30"
N1=$(json_note_id)
[ -n "$N1" ] || fail "no note id: $(cat "$T/last.out")"
has '"channel":"call"'
has '"direction":"out"'
has '"author":"masha"'
expect_rc 0 cli m note "$A" --channel call --topic "Не в субботу, а в воскресенье" \
	--corrects "$N1"
has "corrects #$N1"
# The audit: the entry's id and channel, never the text.
"$KARTOTEKAD" audit tail --data "$T/data" --count 1 >"$T/last.out"
has "note.add"
has "client:$A"
has "corrects $N1"
hasnt "воскресенье"

# A correction must name an entry of the same client.
expect_rc 0 cli m --json note "$B" --channel visit --topic "Зашли узнать расписание"
NB=$(json_note_id)
expect_rc 1 cli m note "$A" --channel call --topic "x" --corrects "$NB"
err_has "corrects: no entry $NB of client $A"
# Fields checked by the CLI and the server.
expect_rc 2 cli m note "$A" --channel fax --topic "x"
err_has "channel"
expect_rc 2 cli m note "$A" --channel call --topic "x" --at "вчера"
err_has "\-\-at"
expect_rc 1 cli m note "$A" --channel call --topic "   "
err_has "topic: is only blanks"
expect_rc 1 cli m note "$A" --channel call --topic "x" --at "2999-01-01 10:00"
err_has "at: is in the future"

# ---- listed newest first, paged ------------------------------------------------
for i in 1 2 3; do
	expect_rc 0 cli m note "$A" --channel message --in --topic "Сообщение $i"
done
expect_rc 0 cli m notes "$A" --limit 2
has "Сообщение 3"
has "Сообщение 2"
hasnt "Сообщение 1"
next=$(sed -n 's/^more: kartoteka notes \(.*\)$/\1/p' "$T/last.out")
[ -n "$next" ] || fail "no 'more:' line: $(cat "$T/last.out")"
# shellcheck disable=SC2086 # the printed command's words
expect_rc 0 cli m notes $next
has "Сообщение 1"
hasnt "Сообщение 3"
expect_rc 0 cli m --json notes "$A"
has "\"corrected_by\":"
n=$(grep -o '"id":' "$T/last.out" | wc -l)
[ "$n" -eq 5 ] || fail "expected 5 notes, got $n: $(cat "$T/last.out")"
"$KARTOTEKAD" audit tail --data "$T/data" --count 1 >"$T/last.out"
has "note.list"
has "entries=5"

# ---- the card shows the three newest ---------------------------------------------
expect_rc 0 cli m client show "$A"
has "Latest notes"
has "Сообщение 3"
has "Сообщение 1"
hasnt "Пробное занятие"
expect_rc 0 cli m --json client show "$A"
has '"recent":\[{"id":'

# ---- another branch: exactly like a missing client ---------------------------------
MISSING=$((A + B + 1000))
for cmd in "notes $A" "note $A --channel call --topic x"; do
	# shellcheck disable=SC2086
	expect_rc 1 cli v $cmd
	hid=$(sed "s/$A/#/g" "$T/last.err")
	# shellcheck disable=SC2086
	expect_rc 1 cli v ${cmd/$A/$MISSING}
	none=$(sed "s/$MISSING/#/g" "$T/last.err")
	[ "$hid" = "$none" ] || fail "another branch differs from missing: '$hid' vs '$none'"
	err_has "NOT_FOUND"
done

# ---- merge moves them, purge removes them --------------------------------------------
expect_rc 0 cli o client merge "$B" "$A"
expect_rc 0 cli m --json notes "$B"
n=$(grep -o '"id":' "$T/last.out" | wc -l)
[ "$n" -eq 6 ] || fail "expected 6 notes after the merge, got $n: $(cat "$T/last.out")"
has "Пробное занятие"
expect_rc 0 cli o client purge "$B" --reason "erasure request"
"$KARTOTEKAD" audit tail --data "$T/data" --count 1 >"$T/last.out"
has "interactions 6"
expect_rc 1 cli o notes "$B"
err_has "NOT_FOUND"
echo "notes: ok"
