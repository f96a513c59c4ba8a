#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# An import whose family is too large for one request (issue 10: it used
# to fail the whole run): that card's rows are refused with the reason,
# in the dry run and the real one alike, and the rest of the file is
# imported; the refused rows' file names the reason.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
enroll_owner o

note=$(printf 'Очень длинная заметка о семье, ' ; for _ in $(seq 1 40); do printf 'занятия по вторникам и четвергам, '; done)
{
	echo "ФИО;Телефон;Семья;Адрес;Филиал;Примечание"
	echo "Иванова Анна;+7 900 111-22-33;Ивановы;ул. Ленина, 1;Центр;обычная семья"
	# 30 rows of one family at one address: one card, far beyond one
	# request
	for i in $(seq 1 30); do
		echo "Большая Семья $i;;Большие;ул. Мира, 5;Центр;$i: $note"
	done
	echo "Петрова Ольга;+7 900 444-55-66;Петровы;ул. Садовая, 2;Центр;ещё одна"
} >"$T/big.csv"

expect_rc 0 cli o import "$T/big.csv" --dry-run
grep -q "^line 2: new card$" "$T/last.out" || fail "line 2: $(cat "$T/last.out")"
grep -q "^line 3: refused: the card is too large for one request" "$T/last.out" || fail "line 3: $(cat "$T/last.out")"
grep -q "^line 33: new card$" "$T/last.out" || fail "line 33: $(cat "$T/last.out")"

rc=0
cli o import "$T/big.csv" --refused "$T/refused.csv" >"$T/last.out" 2>"$T/last.err" || rc=$?
[ "$rc" -le 1 ] || fail "import exit $rc: $(cat "$T/last.err")"
grep -q "too large for one request" "$T/last.out" || fail "no reason: $(cat "$T/last.out")"
expect_rc 0 cli o --json client list
n=$(grep -o '"id":[0-9]*' "$T/last.out" | wc -l)
[ "$n" -eq 2 ] || fail "expected the 2 other cards, got $n: $(cat "$T/last.out")"
grep -q "too large for one request" "$T/refused.csv" || fail "refused file: $(head -c 300 "$T/refused.csv")"
echo "ok"
