#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The CLI follows the locale (issue 12): with LANG=ru_RU.UTF-8 and LC_ALL
# unset its help, table headers, its own errors, plural counts (1, 2, 5
# clients), dates and money come out in Russian; with LANG=C the same in
# English; --json is the same in both. Server error texts are not looked
# at: the server's own translations come with its part of the issue.
. "$(dirname "$0")/lib.sh"

# ru/en CONFIGNAME args...: the CLI under LANG=ru_RU.UTF-8 or LANG=C, the
# other locale variables unset (lib.sh sets LC_ALL for every other test).
ru() {
	local cfg=$1
	shift
	env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG=ru_RU.UTF-8 \
		"$KARTOTEKA" --config "$T/$cfg" "$@"
}
en() {
	local cfg=$1
	shift
	env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG=C \
		"$KARTOTEKA" --config "$T/$cfg" "$@"
}
has() { grep -qF -- "$1" "$T/last.out" || fail "no '$1' in: $(cat "$T/last.out")"; }
err_has() { grep -qF -- "$1" "$T/last.err" || fail "no '$1' in stderr: $(cat "$T/last.err")"; }

locale -a | grep -qix 'ru_RU.utf8' || fail "the locale ru_RU.UTF-8 is not generated (setup.sh does it)"

kt_init
kt_start
enroll_owner o
expect_rc 0 cli o branch add Центр
printf 'staff-pass-1\n' >"$T/s.pw"
expect_rc 0 cli o user add masha --role manager --branch Центр --password-file "$T/s.pw"
expect_rc 0 cli c1 enroll "$(kt_invite --branch Центр)" --name desk-centre
expect_rc 0 cli c1 login masha --password-file "$T/s.pw"

# ---- help ---------------------------------------------------------------------
expect_rc 0 ru o --help
has "Использование: kartoteka"
has "Команды:"
has "  client add --title TITLE"          # command and option names stay
has "добавить карточку клиента"
expect_rc 0 en o --help
has "Usage: kartoteka"
has "Commands:"
has "add a client card"
# `client add --help` lists every option client add parses, in both
expect_rc 0 ru o client add --help
has "Параметры:"
has "  --discount PCT"
has "скидка в процентах, 0..100"
for opt in --title --status --category --source --note --consent --contract \
	--discount --do-not-contact --referred-by --address --leaving-reason \
	--tag --person --branch --manager --force; do
	grep -qE -- "^  $opt( |$)" "$T/last.out" || fail "client add --help: no $opt"
done
expect_rc 0 en o help client add
has "Options:"
has "  --discount PCT"
has "a discount in percent, 0..100"

# ---- the CLI's own errors -------------------------------------------------------
expect_rc 2 ru o client show 12x
err_has "ошибка: id клиента '12x': ожидается число, например 42"
expect_rc 2 en o client show 12x
err_has "error: client id '12x': expected a number such as 42"
grep -q 18446744073709551615 "$T/last.err" && fail "the bound of an id shown: $(cat "$T/last.err")"
expect_rc 2 ru o client lst
err_has "неизвестная команда 'lst' для 'client'; может быть, 'list'?"
expect_rc 2 en o client lst
err_has "unknown command 'lst' for 'client'; did you mean 'list'?"
# a relative configuration directory: the message names the absolute one
got=0
(cd "$T" && env -u LC_ALL LANG=ru_RU.UTF-8 "$KARTOTEKA" --config rel whoami) \
	>"$T/last.out" 2>"$T/last.err" || got=$?
[ "$got" -eq 1 ] || fail "not enrolled: expected exit 1, got $got"
err_has "этот терминал не подключён (нет файла server в $T/rel)"
got=0
(cd "$T" && env -u LC_ALL LANG=C KARTOTEKA_CONFIG=./rel2 "$KARTOTEKA" whoami) \
	>"$T/last.out" 2>"$T/last.err" || got=$?
[ "$got" -eq 1 ] || fail "not enrolled: expected exit 1, got $got"
err_has "this terminal is not enrolled (no server file in $T/rel2)"

# ---- plural counts: 1, 2 and 5 clients ------------------------------------------
add() { expect_rc 0 cli c1 --json client add --title "$1"; }
count_is() {
	expect_rc 0 ru c1 client list
	has "$1"
	expect_rc 0 en c1 client list
	has "$2"
}
add Ёлкины
count_is "Всего 1 клиент, показано 1." "1 client in all, 1 shown."
add Петровы
count_is "Всего 2 клиента, показано 2." "2 clients in all, 2 shown."
add Ивановы
add Сидоровы
add Кузнецовы
count_is "Всего 5 клиентов, показано 5." "5 clients in all, 5 shown."
# a table header
expect_rc 0 ru c1 client list
has "НАЗВАНИЕ"
has "МЕНЕДЖЕР"
expect_rc 0 en c1 client list
has "TITLE"
has "MANAGER"

# ---- dates and money -------------------------------------------------------------
A=$(cli c1 --json client find Ёлкины | sed -n 's/.*"id":\([0-9]*\).*/\1/p' | head -n 1)
[ -n "$A" ] || fail "no client id"
expect_rc 0 cli c1 deal add "$A" --title 'Английский, год' --amount '1234567,50' \
	--from 2026-09-01 --to 2027-05-31 --lessons 32
expect_rc 0 ru c1 deal show 1
has "1 234 567,50 RUB"
has "01.09.2026..31.05.2027, 32 занятия"
has "сумма:"
expect_rc 0 en c1 deal show 1
has "1,234,567.50 RUB"
has "2026-09-01..2027-05-31, 32 lessons"
has "amount:"
# the machine-readable output does not follow the language
ru c1 --json deal show 1 >"$T/ru.json"
en c1 --json deal show 1 >"$T/en.json"
cmp -s "$T/ru.json" "$T/en.json" || fail "--json differs: $(diff "$T/ru.json" "$T/en.json")"
grep -qF '"amount_minor":123456750' "$T/en.json" || fail "json: $(cat "$T/en.json")"
# months in the report
expect_rc 0 ru c1 report --months 1
has "Отчёт: "
has "$(date +%m.%Y)"
expect_rc 0 en c1 report --months 1
has "Report: "
has "$(date +%Y-%m)"
# a task's due date in the list (29 December of next year: always ahead)
Y=$(($(date +%Y) + 1))
expect_rc 0 cli c1 task add --client "$A" --due "$Y-12-29" --kind call 'перезвонить'
expect_rc 0 ru c1 task list
has "29.12.$Y"
has "СРОК"
expect_rc 0 en c1 task list
has "$Y-12-29"
has "DUE"
echo "ok"
