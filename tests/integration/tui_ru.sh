#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kartoteka-tui in Russian (issue 12): started in ru_RU.UTF-8 at 80x24,
# the login screen, the agenda, its key bar, the help, the search's
# count and a refusal before the screen starts all speak Russian; the
# same program in C.UTF-8 speaks English (tui_desk.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tui_lib.sh"
tui_branch_desk masha "Мария Иванова"

got=0
LC_ALL=ru_RU.UTF-8 "$KARTOTEKA_TUI" --config "$T/nowhere" >"$T/last.out" 2>"$T/last.err" </dev/null || got=$?
[ "$got" -eq 2 ] || fail "not enrolled: expected exit 2, got $got"
grep -q "не подключён" "$T/last.err" || fail "not in Russian: $(cat "$T/last.err")"

expect_rc 0 cli m client add --title "Ёлкины" --person "Юлия Ёлкина;parent;1981;+79001112233"
expect_rc 0 cli m logout

TUI_ENV="LC_ALL=ru_RU.UTF-8"
tui_start m 80 24
tui_wait "Вход" 15
tui_wait "Терминал филиала"
tui_type masha
tui_keys Tab
tui_type staff-pass-1
tui_keys Enter
tui_wait "План: "
tui_wait "Мария Иванова \(менеджер\)"
tui_wait "просмотры 0/200"
tui_wait "F10 Выход"
tui_wait "Сегодня"

tui_keys F1
tui_wait "Клавиши kartoteka-tui"
tui_wait "сменить пользователя"
tui_keys Escape
tui_wait "Сегодня"

tui_keys F7
tui_type "ёл"
tui_wait "найдено: 1"
tui_wait "Ёлкины"
tui_keys Escape
tui_keys F10
tui_wait_exit
[ "$TUI_RC" = 0 ] || fail "kartoteka-tui exited $TUI_RC"
echo "ok"
