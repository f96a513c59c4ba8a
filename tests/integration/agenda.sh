#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The agenda end to end with the real CLI: a manager's morning (an overdue
# task first, today's, a child's birthday with the age turned, an A client
# without an open deal, clients never contacted), each line naming the
# client and task ids; the same in JSON; a manager may not look at a
# colleague's or the branch's agenda; the head of the branch sees the
# branch with a line per manager, another branch as empty; audited once
# with the sections' counts.
. "$(dirname "$0")/lib.sh"
kt_init
# The server's clock starts at 10:00 UTC today so that "today" cannot
# end under the test; the CLI reads dates in UTC as well.
export TZ=UTC
kt_use_faketime "$(date -u +%F) 10:00:00"
kt_start
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
"$KARTOTEKAD" invite --data "$T/data" --branch Север >/dev/null 2>&1
enroll_owner o

has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
hasnt() { ! grep -q -- "$1" "$T/last.out" || fail "did not expect '$1' in: $(cat "$T/last.out")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }
json_id() { sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out"; }
task_id() { sed -n 's/.*"task":{"id":\([0-9]*\),.*/\1/p' "$T/last.out"; }
audit_tail() { "$KARTOTEKAD" audit tail --data "$T/data" --count "$1" >"$T/last.out"; }

TODAY=$(date -u +%F)
YESTERDAY=$(date -u -d yesterday +%F)
BDAY=$(date -u -d '+3 days' +%F)
BORN=$(( $(date -u -d '+3 days' +%Y) - 6 ))-$(date -u -d '+3 days' +%m-%d)

printf 'staff-pass-1\n' >"$T/s.pw"
expect_rc 0 cli o user add masha --role manager --branch Центр --password-file "$T/s.pw"
expect_rc 0 cli o user add petr --role manager --branch Центр --password-file "$T/s.pw"
expect_rc 0 cli o user add boss --role head --branch Центр --password-file "$T/s.pw"
expect_rc 0 cli o user add sasha --role manager --branch Север --password-file "$T/s.pw"
for u in masha petr boss; do
	expect_rc 0 cli "$u" enroll "$(kt_invite --branch Центр)" --name "desk-$u"
	expect_rc 0 cli "$u" login "$u" --password-file "$T/s.pw"
done
expect_rc 0 cli sasha enroll "$(kt_invite --branch Север)" --name desk-sasha
expect_rc 0 cli sasha login sasha --password-file "$T/s.pw"

expect_rc 0 cli masha --json client add --title "Ивановы" --category A \
	--person "Анна;parent;;+7 912 000-00-01" --person "Маша;child;$BORN"
IV=$(json_id)
expect_rc 0 cli masha --json client add --title "Петровы" --category C
PE=$(json_id)
expect_rc 0 cli petr --json client add --title "Сидоровы" --category B
SI=$(json_id)
expect_rc 0 cli sasha --json client add --title "Северные" --category A
NO=$(json_id)
[ -n "$IV" ] && [ -n "$PE" ] && [ -n "$SI" ] && [ -n "$NO" ] || fail "no client ids"
expect_rc 0 cli masha --json task add --client "$IV" --due "$YESTERDAY" --kind promise "прислать расписание"
LATE=$(task_id)
expect_rc 0 cli masha --json task add --client "$PE" --due today --kind call "перезвонить"
TODAYS=$(task_id)
expect_rc 0 cli masha task add --due tomorrow --kind other "завтрашнее"

# ---- a manager's morning -------------------------------------------------------
expect_rc 0 cli masha agenda
has "^Agenda for user masha, $TODAY"
has "^Tasks: overdue and today (2)"
sed -n '/^Tasks/{n;p}' "$T/last.out" | grep -q "task $LATE .*OVERDUE прислать расписание  (client $IV Ивановы)" ||
	fail "overdue task not first: $(cat "$T/last.out")"
has "task $TODAYS .*перезвонить  (client $PE Петровы)"
hasnt "завтрашнее"
has "^Birthdays in the next 7 days (1)"
has "  $BDAY  client $IV *Ивановы: Маша, turns 6 (child)"
has "^Category A and B without an open deal (1)"
has "  client $IV *Ивановы \[A\]  masha"
has "^No interaction for 90 days (2)"
has "client $PE *Петровы \[C\]  masha  last never"
has "^Offer again: a deal won 11-12 months ago, nothing since (0)"
has "^Subscriptions ending within 7 days, not renewed (0)"
hasnt "Сидоровы"
hasnt "Северные"
hasnt "Per manager"
audit_tail 1
has "agenda"
has "tasks=2+0 birthdays=1+0 reoffer=0+0 no_deal=1+0 quiet=2+0"
hasnt "Ивановы"

expect_rc 0 cli masha --json agenda --quiet-days 30
has '"command":"agenda"'
has "\"tasks\":\[{\"id\":$LATE,\"client_id\":$IV,"
has "\"birthdays\":\[{\"client_id\":$IV,\"client\":\"Ивановы\",\"person\":\"Маша\",\"date\":\"$BDAY\",\"turns\":6,\"child\":true}\]"
has '"quiet_days":30'
has '"renewals":\[\],"renewals_more":0'

# ---- whose agenda ----------------------------------------------------------------
expect_rc 1 cli masha agenda --user petr
err_has "FORBIDDEN: a manager sees only its own agenda"
expect_rc 1 cli masha agenda --branch Центр
err_has "FORBIDDEN"
expect_rc 2 cli masha agenda --quiet-days 0
err_has "--quiet-days"

expect_rc 0 cli boss agenda --branch Центр
has "^Agenda for branch Центр"
has "^Category A and B without an open deal (2)"
has "client $SI *Сидоровы \[B\]  petr"
has "^Per manager"
grep -q "^  masha  *1  *1$" "$T/last.out" || fail "masha's line: $(cat "$T/last.out")"
grep -q "^  petr  *0  *1$" "$T/last.out" || fail "petr's line: $(cat "$T/last.out")"
hasnt "Северные"
expect_rc 0 cli boss agenda --user masha
has "^Agenda for user masha"
has "task $LATE"
expect_rc 0 cli boss --json agenda --branch Север
has '"tasks":\[\]'
has '"no_open_deal":\[\]'
has '"managers":\[\]'
expect_rc 0 cli o --json agenda --branch Север
has "\"no_open_deal\":\[{\"client_id\":$NO,"

"$KARTOTEKAD" audit verify --data "$T/data" >"$T/verify.out" ||
	fail "audit verify: $(cat "$T/verify.out")"
kt_stop || fail "server did not stop cleanly"
echo "ok"
