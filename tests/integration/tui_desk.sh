#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kartoteka-tui at a branch's front desk, driven in tmux: refuses a
# non-UTF-8 locale and a terminal not enrolled with a clear message; a
# manager logs in (the password never shows), finds a family by a
# Cyrillic prefix and by a phone typed another way (rows masked), opens
# the card (the view is counted in the header), adds a family through the
# form (a bad phone is refused under its field, then fixed), logs a call
# and sets a task, sees the task on the agenda,
# the client list filtered by a birth month opens a card, the screen
# survives a resize to 80x24, F10 quits cleanly, and the next start
# resumes the session without asking for the password.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tui_lib.sh"
tui_branch_desk masha "Мария Иванова"

# ---- refusals before the screen starts ----------------------------------------
got=0
LANG=C LC_ALL=C "$KARTOTEKA_TUI" --config "$T/o" >"$T/last.out" 2>"$T/last.err" </dev/null || got=$?
[ "$got" -eq 2 ] || fail "a C locale: expected exit 2, got $got"
grep -q "not UTF-8" "$T/last.err" || fail "no locale message: $(cat "$T/last.err")"
got=0
LANG=C.UTF-8 LC_ALL=C.UTF-8 "$KARTOTEKA_TUI" --config "$T/nowhere" >"$T/last.out" 2>"$T/last.err" </dev/null || got=$?
[ "$got" -eq 2 ] || fail "not enrolled: expected exit 2, got $got"
grep -q "not enrolled" "$T/last.err" || fail "no enrolment message: $(cat "$T/last.err")"

expect_rc 0 cli m client add --title "Ёлкины" --person "Юлия Ёлкина;parent;1981;+79001112233" --person "Платон;child;2008"
expect_rc 0 cli m client add --title "Ёлочкины" --person "Алёна Ёлочкина;parent;1987;+79005556677"
expect_rc 0 cli m client add --title "Соловьёвы" --person "Алёна Соловьёва;parent;25.05.1985;+79549694301"
expect_rc 0 cli m logout

# ---- log in -----------------------------------------------------------------------
tui_start m 100 30
tui_wait "Log in" 15
tui_type masha
tui_keys Tab
tui_type staff-pass-1
tui_wait 'Password +\[\*{12}'
grep -q staff-pass "$T/screen.txt" && fail "the password shows on the screen"
tui_keys Enter
tui_wait "Agenda of user masha"
tui_wait "Мария Иванова \(manager\)"
tui_wait "views 0/200"

# ---- search: a Cyrillic prefix, then a phone --------------------------------------
tui_keys F7
tui_type "ёл"
tui_wait "2 found"
tui_wait "Ёлочкины"
tui_type "к"
tui_wait "1 found"
tui_wait "Ёлкины +Юлия Ёлкина \(1981\), Платон \(2008\) +\+7 \*\*\* \*\*\*-\*\*-33"
grep -q "Ёлочкины" "$T/screen.txt" && fail "Ёлочкины found by 'ёлк'"
grep -q "Соловьёвы" "$T/screen.txt" && fail "Соловьёвы found by 'ёлк'"
grep -q "+79001112233" "$T/screen.txt" && fail "a search row shows a whole phone"
tui_wait "opens a full card: 1 of 200"
# Each key press asks again; the newest text's answer stays.
tui_keys C-u
tui_type "8 (954) 969-43-01"
tui_wait "1 found"
tui_wait "Соловьёвы"
tui_keys Enter
tui_wait "Соловьёвы \(3\) · Центр · masha"
tui_wait "Алёна Соловьёва +parent +25\.05\.1985 +\+79549694301"
tui_wait "views 1/200"

# ---- a call and a task on the card ---------------------------------------------------
tui_keys F4
tui_wait "Log a call or contact"
tui_type "Спрашивали про английский"
tui_keys Tab
tui_type "Перезвонить в пятницу"
tui_keys Enter
tui_wait "The call is logged"
tui_wait "call, in  Спрашивали про английский → Перезвонить в пятницу"
tui_keys F5
tui_wait "A task or a promise"
tui_type "$(date +%d.%m.%Y)"
tui_keys Tab C-u
tui_type promise
tui_keys Tab
tui_type "Отправить расписание"
tui_keys Enter
tui_wait "The task is set"
tui_wait "Отправить расписание"
tui_keys Escape Escape
tui_wait "Отправить расписание +Соловьёвы \(3\) +promise"

# ---- a new family: a bad phone is refused under its field -----------------------------
tui_keys F2
tui_wait "A new family"
tui_type "Морозовы"
tui_keys Tab
tui_type "Ирина Морозова"
tui_keys Tab Tab
tui_type "12.03.1985"
tui_keys Tab
tui_type "12"
tui_keys F2
tui_wait "people\[0\]\.phones\[0\]: "
tui_wait "Not saved"
# The cursor went to the phone: correct it there.
tui_keys C-u
tui_type "+7 912 345-67-89"
tui_keys Tab
tui_type "irina@example.ru"
tui_keys Tab
tui_type "Миша"
tui_keys Tab Tab
tui_type "2016"
tui_keys F2
tui_wait "Added: Морозовы \(4\)"
tui_wait "Морозовы \(4\) · Центр · masha · lead"
tui_wait "Миша +child +2016"
tui_wait "views 2/200"
expect_rc 0 cli o client show 4
grep -q "+79123456789" "$T/last.out" || fail "the new card's phone: $(cat "$T/last.out")"

# ---- the client list with a filter ----------------------------------------------------
tui_keys Escape
tui_wait "Agenda of user masha"
tui_keys l
tui_wait "Clients · 4 in all"
tui_keys f
tui_wait "Client list: filters"
tui_keys Tab Tab Tab Tab
tui_type 3
tui_keys F2
tui_wait "Clients · birth month · 1 in all"
tui_wait "Морозовы +Ирина Морозова \(1985\)"
grep -q "Соловьёвы" "$T/screen.txt" && fail "the birth-month filter let Соловьёвы through"
tui_keys Enter
tui_wait "Морозовы \(4\) · Центр"
tui_wait "views 3/200"

# ---- resize to 80x24 -------------------------------------------------------------------
tm resize-window -t tui -x 80 -y 24
tui_keys Escape Escape
tui_wait "F10 Quit"
[ "$(tui_screen | wc -l)" -eq 24 ] || fail "the screen is not 24 lines after the resize"
tui_screen >"$T/screen.txt"
while IFS= read -r line; do
	# Characters, not bytes: the test's locale is UTF-8 (tui_lib.sh).
	[ "${#line}" -le 80 ] || fail "a line wider than 80 columns after the resize: $line"
done <"$T/screen.txt"
tui_wait "views 3/200 · [0-9][0-9]:[0-9][0-9]"
tui_wait "Agenda of user masha"

# ---- quit, then start again: the session resumes ----------------------------------------
tui_keys F10
tui_wait_exit
[ "$TUI_RC" = 0 ] || fail "kartoteka-tui exited $TUI_RC: $(cat "$T/tui.err")"
tm kill-session -t tui
tui_start m 100 30
tui_wait "Agenda of user masha"
grep -q "Log in" "$T/screen.txt" && fail "asked to log in again"
tui_keys C-c
tui_wait_exit
[ "$TUI_RC" = 0 ] || fail "Ctrl-C: exited $TUI_RC"
echo "ok"
