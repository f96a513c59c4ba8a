#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kartoteka-tui gives the terminal back on every way out, driven in tmux:
# SIGTERM and SIGHUP end it cleanly (exit 0, the alternate screen left, the
# cursor shown); a crash signal (SIGSEGV) restores the terminal before the
# process dies of it; NO_COLOR gives a monochrome screen; F1 shows the
# keys; on the agenda m moves a task to another day and d marks one done.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tui_lib.sh"
tui_branch_desk masha
expect_rc 0 cli m client add --title "Ёлкины" --person "Юлия Ёлкина;parent;1981;+79001112233"
expect_rc 0 cli m task add --client 1 --due today --kind call "Перезвонить Ёлкиным"
expect_rc 0 cli m task add --client 1 --due today --kind promise "Прислать расписание"

# tui_pid: the process in the pane (the pane's shell runs it).
tui_pid() { pgrep -P "$(tm display -p -t tui '#{pane_pid}')" -x kartoteka-tui; }
# terminal_restored: tmux says the pane left the alternate screen and
# shows the cursor.
terminal_restored() {
	[ "$(tm display -p -t tui '#{alternate_on}')" = 0 ] ||
		fail "the alternate screen is still on"
	[ "$(tm display -p -t tui '#{cursor_flag}')" = 1 ] ||
		fail "the cursor is still hidden ($(tm display -p -t tui "#{cursor_flag} #{alternate_on} #{pane_dead}"))"
}

tui_start m 100 30
tui_wait "Перезвонить Ёлкиным +Ёлкины \(1\) +call"
tui_wait "Прислать расписание"
[ "$(tm display -p -t tui '#{alternate_on}')" = 1 ] || fail "not on the alternate screen"
tm capture-pane -e -p -t tui >"$T/colour.txt"
# m: the first task to tomorrow (off today's agenda); a bad day is refused
# under the field.
tui_keys m
tui_wait "Move the task"
tui_type "31.02.2026"
tui_keys Enter
tui_wait "due: "
tui_keys C-u
tui_type "$(date -d tomorrow +%d.%m.%Y)"
tui_keys Enter
tui_wait "Moved to $(date -d tomorrow +%F)"
tui_wait "Today \(1\)"
grep -q "Перезвонить Ёлкиным" "$T/screen.txt" && fail "the task moved is still on today's agenda"
# d: the other one done.
tui_wait "Прислать расписание"
tui_keys d
tui_wait "Done"
tui_wait "Today \(0\)"
grep -q "Прислать расписание" "$T/screen.txt" && fail "the task done is still on the agenda"
expect_rc 0 cli m task list
grep -q "Перезвонить Ёлкиным" "$T/last.out" || fail "the moved task is gone: $(cat "$T/last.out")"
kill -TERM "$(tui_pid)"
tui_wait_exit
[ "$TUI_RC" = 0 ] || fail "SIGTERM: exited $TUI_RC: $(cat "$T/tui.err")"
terminal_restored
tm kill-session -t tui

# NO_COLOR: a monochrome screen (reverse video, no colour codes); F1
# shows every key, any key goes back.
grep -q $'\e\\[[0-9;]*46m' "$T/colour.txt" || fail "no colours without NO_COLOR"
TUI_ENV=NO_COLOR=1 tui_start m 100 30
tui_wait "Agenda of user masha"
tm capture-pane -e -p -t tui >"$T/mono.txt"
grep -q $'\e\\[[0-9;]*4[0-7]m' "$T/mono.txt" && fail "colours with NO_COLOR"
grep -q $'\e\\[[0-9;]*7m' "$T/mono.txt" || fail "no reverse video with NO_COLOR"
tui_keys F1
tui_wait "Keys of kartoteka-tui"
tui_wait "any key: back"
tui_keys x
tui_wait "Agenda of user masha"
kill -HUP "$(tui_pid)"
tui_wait_exit
[ "$TUI_RC" = 0 ] || fail "SIGHUP: exited $TUI_RC"
terminal_restored
tm kill-session -t tui

tui_start m 100 30
tui_wait "Agenda of user masha"
kill -SEGV "$(tui_pid)"
tui_wait_exit
[ "$TUI_RC" != 0 ] || fail "a crash exited 0"
terminal_restored
echo "ok"
