#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The owner's staff screen in kartoteka-tui (issue 11), in tmux: `u` on
# the agenda lists every user with role, branches and state (a disabled
# one too), Enter shows the user's last 30 days from the audit, newest
# first, with today's views as a bar; Esc goes back to the list, then to
# the agenda. A manager has no such screen.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tui_lib.sh"
tui_branch_desk masha "Мария Иванова"
printf 'other-pass-1\n' >"$T/v.pw"
expect_rc 0 cli o user add vera --name "Вера" --role manager --branch Центр --password-file "$T/v.pw"
expect_rc 0 cli o user disable vera

for t in Ивановы Петровы Сидоровы; do
	expect_rc 0 cli m client add --title "$t"
done
for id in 1 2 3; do
	expect_rc 0 cli m client show "$id"
done
expect_rc 0 cli m client find "Петр"

tui_start o 100 40
tui_wait "Agenda of "
tui_wait "u Users"
tui_keys u
tui_wait "Users · 3"
tui_wait "masha +Мария Иванова +manager +Центр"
tui_wait "vera +Вера +manager +Центр +disabled"
# the server's order: the owner, masha, vera; the first line is selected
tui_keys Down Enter
tui_wait "The activity of masha · the last 30 days"
today=$(date +%d\\.%m)
tui_wait "$today +3 █+ +[0-9]+ +1 +[0-9]+ +0"
tui_wait "audit entries"
tui_keys Escape
tui_wait "Users · 3"
tui_keys Escape
tui_wait "Agenda of "
tui_keys F10
tui_wait_exit
[ "$TUI_RC" = 0 ] || fail "kartoteka-tui exited $TUI_RC"

# a manager's agenda has no users screen
tm kill-session -t tui
tui_start m 100 30
tui_wait "Agenda of user masha"
grep -q "u Users" "$T/screen.txt" && fail "a manager is offered the users screen"
tui_keys u
tui_wait "Agenda of user masha"
grep -q "Users ·" "$T/screen.txt" && fail "a manager opened the users screen"
tui_keys F10
tui_wait_exit
echo "ok"
