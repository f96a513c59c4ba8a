#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kartoteka-tui for the owner and at a shared desk, driven in tmux: the
# owner sees the alerts (a duplicate phone across branches), newest first,
# opens one to its details and the user's audit entries before it, and
# acknowledges it with k; a manager's desk locks after the idle time
# showing only who is logged in, a wrong password leaves it locked, the
# right one unlocks it where it was; a connection the server closes while
# the desk is locked is dialled again only at the next key; and F9 lets
# the next person log in, which ends the first one's session on this
# terminal.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tui_lib.sh"
kt_init
kt_start --idle-timeout 6000
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
"$KARTOTEKAD" invite --data "$T/data" --branch Север >/dev/null 2>&1
enroll_owner o

printf 'manager-password\n' >"$T/m.pw"
expect_rc 0 cli o user add m1 --name "Ирина" --role manager --branch Центр --password-file "$T/m.pw"
expect_rc 0 cli o user add m2 --name "Вера" --role manager --branch Центр --password-file "$T/m.pw"
expect_rc 0 cli o user add s1 --role manager --branch Север --password-file "$T/m.pw"
code=$(kt_invite --branch Центр)
expect_rc 0 cli c enroll "$code" --name desk-c
code=$(kt_invite --branch Север)
expect_rc 0 cli s enroll "$code" --name desk-s
expect_rc 0 cli c login m1 --password-file "$T/m.pw"
expect_rc 0 cli s login s1 --password-file "$T/m.pw"
expect_rc 0 cli s client add --title "Петровы" --person "Анна;parent;;+79990001111"
expect_rc 0 cli c client add --title "Петровы-Ц" --person "Анна;parent;;+79990001111"

# ---- the owner's alerts ---------------------------------------------------------
tui_start o 100 30
tui_wait "Agenda of "
tui_wait "a Alerts"
tui_keys a
tui_wait "Alerts · [0-9]+ open"
open=$(sed -n 's/.*Alerts · \([0-9]*\) open.*/\1/p' "$T/screen.txt")
# Newest first: the duplicate, raised last, is the first line.
sed -n 3p "$T/screen.txt" | grep -Eq "client\.duplicate +m1" ||
	fail "the newest alert is not first: $(cat "$T/screen.txt")"
# Enter: the details and the user's audit entries before it.
tui_keys Enter
tui_wait "Alert [0-9]+ · client\.duplicate"
tui_wait "The audit before it \(the user's, 15 minutes\)"
tui_wait "m1 +client\.add +client:2 +OK"
grep -q "+7999" "$T/screen.txt" && fail "the alert's details show a phone"
tui_keys k
tui_wait "Acknowledged"
tui_wait "acknowledged by owner"
tui_keys Escape
tui_wait "Alerts · $((open - 1)) open"
tui_wait "client\.duplicate .*ack owner"
expect_rc 0 cli o --json alerts --all
grep -q '"acked_by":"owner"' "$T/last.out" || fail "not acknowledged: $(cat "$T/last.out")"
tui_keys F10
tui_wait_exit
tm kill-session -t tui

# ---- a manager's desk: the lock ----------------------------------------------------
tui_start c 100 30 --lock-after 2s
tui_wait "Agenda of user m1"
grep -q "a Alerts" "$T/screen.txt" && fail "a manager is offered alerts"
tui_wait "Locked\. Logged in: m1 \(Ирина, manager\)"
grep -q "Agenda of" "$T/screen.txt" && fail "the locked screen shows the agenda"
tui_type "wrong-password"
tui_keys Enter
tui_wait "wrong login or password"
tui_wait "Locked\. Logged in: m1"
tui_type "manager-password"
tui_keys Enter
tui_wait "Unlocked"
tui_wait "Agenda of user m1"
# Locked, the server closes the quiet connection: nobody is at the desk,
# so it is not dialled again (a resume would keep the session alive)
# until a key is pressed.
tui_wait "Locked\. Logged in: m1" 10
tui_wait "Offline: the connection was closed; any key connects again" 20
tui_type "manager-password"
tui_wait "Connected again; the session goes on"
tui_keys Enter
tui_wait "Unlocked"
tui_wait "Agenda of user m1"
# Locked again; F9: the next person logs in.
tui_wait "Locked\. Logged in: m1" 10
tui_keys F9
tui_wait "ends the session of m1"
tui_type m2
tui_keys Tab
tui_type "manager-password"
tui_keys Enter
tui_wait "Agenda of user m2"
tui_wait "Вера \(manager\)"
tui_keys F10
tui_wait_exit
[ "$TUI_RC" = 0 ] || fail "kartoteka-tui exited $TUI_RC"
# The terminal's session is m2's now: m1's has ended.
expect_rc 0 cli c whoami
grep -q "m2" "$T/last.out" || fail "whoami: $(cat "$T/last.out")"
echo "ok"
