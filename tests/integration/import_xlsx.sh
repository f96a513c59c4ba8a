#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Import from an .xlsx workbook written by libxlsxwriter (kt-make-xlsx):
# phones typed as numbers, birth dates as date cells (Excel serials), a
# phone cell merged over a wife's and a husband's rows (their family and
# address join them), an empty row, a broken date, a second sheet read
# with --sheet; the refused rows' file is a CSV.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
enroll_owner o

has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }
"$KT_BUILD/tests/kt-make-xlsx" "$T/clients.xlsx" || fail "kt-make-xlsx"

expect_rc 0 cli o import "$T/clients.xlsx" --branch Центр --dry-run
has "reading $T/clients.xlsx: xlsx, sheet 'Клиенты'"
has "Фамилия  *-> last_name"
has "Адрес  *-> address"
has "^line 2: new card$"
has "^line 3: new card (with line 2)$"
has "^line 5: new card$"
has "^line 6: refused: Дата рождения: date 'весной' is not a date"
has "dry run, nothing written: 4 rows (2 cards): 3 in new cards"

expect_rc 0 cli o import "$T/clients.xlsx" --branch Центр
has "^line 2: created client 1$"
has "^line 3: created client 1 (with line 2)$"
has "^line 5: created client 2$"
expect_rc 0 cli o --json client show 1
has '"name":"Кузьмина Ольга","relation":"parent","birth_year":1985,"birth_month":5,"birth_day":7,"phones":\["+79161234567"\]'
has '"name":"Кузьмин Андрей"'
has '"name":"Аня","relation":"child"'
has '"discount_percent":10'
expect_rc 0 cli o --json client show 2
has '"birth_year":1960,"birth_month":3,"birth_day":12,"phones":\["+79261112233","+79261112234"\]'
has '"name":"Саша","relation":"child","birth_year":2018,"birth_month":3,"birth_day":12'
R="$T/clients.xlsx.refused.csv"
head -n 1 "$R" | grep -q '"Фамилия";"Имя";"Телефон";"Дата рождения";"Адрес";"Дети";"Скидка";"Комментарий";"Причина отказа"' ||
	fail "refused header: $(cat "$R")"
grep -q '^"Белов";"Илья";"79035550001";"весной";;;;;"Дата рождения: date' "$R" || fail "refused row: $(cat "$R")"

expect_rc 0 cli o import "$T/clients.xlsx" --sheet Архив --branch Центр
has "reading $T/clients.xlsx: xlsx, sheet 'Архив'"
has "^line 2: created client 3$"
expect_rc 2 cli o import "$T/clients.xlsx" --sheet Лист1
err_has "no sheet named 'Лист1' (sheets: Клиенты, Архив)"
head -c 100 "$T/clients.xlsx" >"$T/cut.xlsx"
expect_rc 2 cli o import "$T/cut.xlsx"
err_has "not an .xlsx file"
expect_rc 0 "$KARTOTEKAD" audit verify --data "$T/data"
echo "import_xlsx: ok"
