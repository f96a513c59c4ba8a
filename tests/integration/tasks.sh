#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Tasks and promises end to end with the real CLI: a manager adds a
# promise about her client (due today, tomorrow, a timed one, one already
# overdue), lists and closes them, moves and edits one; she may assign
# only to herself, and a client or task of another branch answers like a
# missing one; the head of the branch hands a task to a colleague and
# sees the branch's list; the week view groups by day with the overdue
# ones first; every change and list is audited; offboarding hands the
# open tasks on.
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
task_id() { sed -n 's/.*"task":{"id":\([0-9]*\),.*/\1/p' "$T/last.out"; }
audit_tail() { "$KARTOTEKAD" audit tail --data "$T/data" --count "$1" >"$T/last.out"; }

TODAY=$(date -u +%F)
TOMORROW=$(date -u -d tomorrow +%F)
YESTERDAY=$(date -u -d yesterday +%F)

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

expect_rc 0 cli masha --json client add --title "Ивановы" --person "Анна;parent;;+7 912 000-00-01"
CL=$(sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out")
expect_rc 0 cli sasha --json client add --title "Северные" --person "Олег;parent"
CL_N=$(sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out")
[ -n "$CL" ] && [ -n "$CL_N" ] || fail "no client ids"

# ---- a manager's day ---------------------------------------------------------------
expect_rc 0 cli masha task add --client "$CL" --due tomorrow --kind promise \
	"прислать расписание английского"
has "Task added."
has "promise  due $TOMORROW  open"
has "client $CL Ивановы"
has "assignee masha, by masha, branch Центр"
expect_rc 0 cli masha --json task add --client "$CL" --due "$TODAY 18:30" --kind call "перезвонить"
CALL=$(task_id)
has "\"due\":\"$TODAY 18:30\",\"due_at\":[0-9]*,\"all_day\":false,\"overdue\":false"
expect_rc 0 cli masha --json task add --due "$YESTERDAY" --kind other "отчёт за неделю"
LATE=$(task_id)
has '"overdue":true'
expect_rc 0 cli masha --json task add --due today --kind meeting "встреча с методистом"
MEET=$(task_id)
[ -n "$CALL" ] && [ -n "$LATE" ] && [ -n "$MEET" ] || fail "no task ids"
audit_tail 1
has "task.add"
hasnt "встреча"

expect_rc 0 cli masha task list
has "^ID  *DUE  *KIND  *STATE  *CLIENT  *ASSIGNEE  *TITLE"
has "^$LATE  *$YESTERDAY  *other  *OVERDUE"
has "^$CALL  *$TODAY 18:30  *call  *$CL Ивановы  *masha  *перезвонить"
# due order: yesterday, today (all day), today 18:30, tomorrow
[ "$(sed -n '2,5s/^\([0-9]*\) .*/\1/p' "$T/last.out" | tr '\n' ' ')" = "$LATE $MEET $CALL $((MEET - 3)) " ] ||
	fail "not in due order: $(cat "$T/last.out")"
expect_rc 0 cli masha --json task list --overdue
has "\"id\":$LATE,"
hasnt "\"id\":$CALL,"
expect_rc 0 cli masha --json task list --from "$TODAY" --to "$TODAY"
has "\"id\":$MEET,"
has "\"id\":$CALL,"
hasnt "\"id\":$LATE,"
audit_tail 1
has "task.list"

expect_rc 0 cli masha task done "$LATE"
has "Task done."
has "done"
expect_rc 1 cli masha task done "$LATE"
err_has "CONFLICT: task $LATE is already done"
expect_rc 0 cli masha task reopen "$LATE"
has "OVERDUE"
expect_rc 0 cli masha task move "$LATE" --due "$TOMORROW 11:00"
has "due $TOMORROW 11:00  open"
expect_rc 0 cli masha --json task edit "$CALL" --title "перезвонить маме" --kind promise --version 1
has '"kind":"promise","title":"перезвонить маме"'
expect_rc 1 cli masha task edit "$CALL" --title "ещё раз" --version 1
err_has "CONFLICT: task $CALL was changed meanwhile"
audit_tail 12
has "task.reopen"
has "task.move"
has "task.edit"

# ---- what she may not do ---------------------------------------------------------------
expect_rc 1 cli masha task add --to petr --due tomorrow --kind call "за Петра"
err_has "FORBIDDEN: assignee: a manager assigns tasks only to itself"
expect_rc 1 cli masha task add --client "$CL_N" --due tomorrow --kind call "чужой"
[ "$(cat "$T/last.err")" = "error: NOT_FOUND: no client $CL_N" ] || fail "other branch's client: $(cat "$T/last.err")"
expect_rc 1 cli masha task add --client 999999 --due tomorrow --kind call "нет такого"
[ "$(cat "$T/last.err")" = "error: NOT_FOUND: no client 999999" ] || fail "missing client: $(cat "$T/last.err")"
expect_rc 1 cli sasha task done "$CALL"
[ "$(cat "$T/last.err")" = "error: NOT_FOUND: no task $CALL" ] || fail "other branch's task: $(cat "$T/last.err")"
expect_rc 1 cli petr task done "$CALL"
[ "$(cat "$T/last.err")" = "error: NOT_FOUND: no task $CALL" ] || fail "colleague's task: $(cat "$T/last.err")"
expect_rc 1 cli masha task list --user petr
err_has "FORBIDDEN: a manager lists only its own tasks"
expect_rc 2 cli masha task add --due "31.12.2026" --kind call "x"
err_has "is not a date"
expect_rc 2 cli masha task add --due tomorrow --kind visit "x"
err_has "--kind: 'visit' is not call, meeting, promise or other"
expect_rc 1 cli masha task add --due tomorrow --kind call "   "
err_has "BAD_REQUEST: title: is blank"
expect_rc 1 cli masha task add --due 1999-01-01 --kind call "x"
err_has "BAD_REQUEST: due: is before 2000-01-01"

# ---- the head of the branch ----------------------------------------------------------
expect_rc 0 cli boss task edit "$CALL" --to petr
has "assignee petr, by masha"
expect_rc 0 cli petr --json task list --mine
has "\"id\":$CALL,"
expect_rc 0 cli boss --json task list --branch Центр
has "\"id\":$MEET,"
has "\"id\":$CALL,"
expect_rc 0 cli boss --json task list --branch Север
has '"tasks":\[\]'
expect_rc 1 cli boss task add --to sasha --due tomorrow --kind call "в чужой филиал"
err_has "BAD_REQUEST: assignee: no user of your branches with that login"
expect_rc 0 cli boss task add --to masha --due tomorrow --kind call "от руководителя"
has "assignee masha, by boss"

# ---- the week -------------------------------------------------------------------------------
expect_rc 0 cli masha task week
has "^Week "
has "^Monday "
has "^Sunday "
has "встреча с методистом"
expect_rc 0 cli masha --json task week --date "$TODAY"
has '"days":\[{"date":"'
has "\"date\":\"$TODAY\",\"tasks\":\[{\"id\":$MEET,"
expect_rc 0 cli masha task add --due "$YESTERDAY" --kind call "забытый звонок"
expect_rc 0 cli masha task week
sed -n '2,4p' "$T/last.out" | grep -q "забытый звонок" || fail "overdue not first: $(cat "$T/last.out")"

# ---- offboarding -------------------------------------------------------------------------------
expect_rc 0 cli o user offboard masha --to petr
audit_tail 1
has "user.offboard"
has "tasks=5"
expect_rc 0 cli petr --json task list
has "\"id\":$MEET,"

"$KARTOTEKAD" audit verify --data "$T/data" >"$T/verify.out" ||
	fail "audit verify: $(cat "$T/verify.out")"
kt_stop || fail "server did not stop cleanly"
echo "ok"
