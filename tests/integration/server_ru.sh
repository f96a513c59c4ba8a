#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The server answers in the client's language (issue 12): the CLI run in
# ru_RU.UTF-8 names "ru" in ClientHello, and the server's error texts come
# back in Russian from its own catalogue (server/catalog.h), while the
# exit code (the Error.code) is the same as in English. The server itself
# runs in C.UTF-8: it needs no Russian locale of the system.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
enroll_owner o

# Cyrillic letters are U+0400..U+04FF: UTF-8 lead bytes 0xD0..0xD3.
cyrillic() { LC_ALL=C grep -q $'[\xd0-\xd3]' "$1"; }

# run_both ARGS...: the same command in English and in Russian; leaves
# the exit codes in rc_en, rc_ru and the error texts in en.err, ru.err.
run_both() {
	rc_en=0
	rc_ru=0
	LC_ALL=C.UTF-8 cli o "$@" >"$T/en.out" 2>"$T/en.err" || rc_en=$?
	LC_ALL=ru_RU.UTF-8 cli o "$@" >"$T/ru.out" 2>"$T/ru.err" || rc_ru=$?
	[ "$rc_en" -ne 0 ] || fail "expected a refusal: $*: $(cat "$T/en.out")"
	[ "$rc_en" -eq "$rc_ru" ] ||
		fail "exit $rc_en in English, $rc_ru in Russian: $*"
}

# A message with a number in it: the number moves into the translation.
run_both client show 987654321
grep -q 987654321 "$T/en.err" || fail "English: $(cat "$T/en.err")"
grep -q 987654321 "$T/ru.err" || fail "Russian lost the id: $(cat "$T/ru.err")"
cyrillic "$T/ru.err" || fail "not Russian: $(cat "$T/ru.err")"
cyrillic "$T/en.err" && fail "English has Cyrillic: $(cat "$T/en.err")"

# A card the server refuses field by field: the field path stays as it
# is at the start of the message, the rest is Russian.
run_both client add --title "Тест" --branch Nowhere
grep -q "branch" "$T/en.err" || fail "English: $(cat "$T/en.err")"
cyrillic "$T/ru.err" || fail "not Russian: $(cat "$T/ru.err")"
grep -q "branch: " "$T/ru.err" || fail "the field path is gone: $(cat "$T/ru.err")"


# A language the server has no catalogue for gets English: LANGUAGE
# cannot pick one the build lacks, so the CLI sends "en".
rc=0
LC_ALL=C.UTF-8 LANGUAGE=de cli o client show 987654321 >/dev/null 2>"$T/de.err" || rc=$?
[ "$rc" -eq "$rc_en" ] || fail "exit $rc with LANGUAGE=de"
cyrillic "$T/de.err" && fail "LANGUAGE=de answered in Russian"
# A phone's reason (common/normalize.c) inside a field's message: the
# path stays, the reason is Russian, in the client's check and the
# server's alike.
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
run_both client add --title "Тест" --branch Центр --person "Анна;parent;;12"
grep -q "is too short" "$T/en.err" || fail "English phone reason: $(cat "$T/en.err")"
grep -q "слишком мало цифр" "$T/ru.err" || fail "Russian phone reason: $(cat "$T/ru.err")"

# kartotekad's own output follows the owner's locale (LC_MESSAGES only:
# its numbers stay C), in English under C.
LC_ALL=ru_RU.UTF-8 "$KARTOTEKAD" --help >"$T/kd.out" 2>&1
head -n 1 "$T/kd.out" | grep -q "^использование: kartotekad" || fail "kartotekad --help: $(head -n 2 "$T/kd.out")"
grep -q -- "--data DIR" "$T/kd.out" || fail "the options were translated: $(cat "$T/kd.out")"
rc=0
LC_ALL=ru_RU.UTF-8 "$KARTOTEKAD" init --data "$T/new" >/dev/null 2>"$T/kd.err" || rc=$?
[ "$rc" -ne 0 ] || fail "init without --owner worked"
grep -q "нужен --owner LOGIN" "$T/kd.err" || fail "init in Russian: $(cat "$T/kd.err")"
LC_ALL=C.UTF-8 "$KARTOTEKAD" init --data "$T/new" >/dev/null 2>"$T/kd.err" || true
grep -q "\-\-owner LOGIN is required" "$T/kd.err" || fail "init in English: $(cat "$T/kd.err")"
echo "ok"
