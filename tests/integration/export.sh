#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The owner's export end to end: csv to a file (0600, its BLAKE2b-256 the
# one the CLI prints, the audit entry and the owner's alert hold),
# csv-excel (BOM, ';'), xlsx (a workbook, formulas as text),
# vcard to stdout, filters, a formula neutralised; heads and managers
# refused and audited; a refused export leaves no file.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
"$KARTOTEKAD" invite --data "$T/data" --branch Север >/dev/null 2>&1
enroll_owner o

has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }
hash_of() { b2sum -l 256 "$1" | cut -d' ' -f1; }

expect_rc 0 cli o client add --title "Ёлкины" --branch Центр --status active \
	--person "Ирина Ёлкина;parent;14.03.1985;8 912 345-67-89;irina@mail.ru" \
	--person "Маша;child;2019"
expect_rc 0 cli o client add --title '=HYPERLINK("http://x";"клик")' --branch Центр
expect_rc 0 cli o client add --title "Северовы" --branch Север \
	--person "Пётр Северов;parent;;+79990001122"

# ---- csv to a file ----------------------------------------------------------
expect_rc 0 cli o export --format csv -o "$T/base.csv"
has "exported 3 clients to $T/base.csv"
[ "$(stat -c %a "$T/base.csv")" = 600 ] || fail "export file mode $(stat -c %a "$T/base.csv")"
H=$(hash_of "$T/base.csv")
has "BLAKE2b-256: $H"
head -n 1 "$T/base.csv" | grep -q '^id,title,branch,manager,status,' || fail "csv header: $(head -n 1 "$T/base.csv")"
[ "$(wc -l <"$T/base.csv")" -eq 4 ] || fail "csv rows: $(cat "$T/base.csv")"
grep -q '"Ирина Ёлкина (parent, 1985-03-14); Маша (child, 2019)",'"'"'+79123456789,irina@mail.ru,' "$T/base.csv" ||
	fail "people and phones not flattened: $(cat "$T/base.csv")"
# The formula starts with an apostrophe, inside its quotes.
grep -q "^2,\"'=HYPERLINK" "$T/base.csv" || fail "formula not neutralised: $(cat "$T/base.csv")"
# The file's hash is the audit's.
expect_rc 0 "$KARTOTEKAD" audit tail --data "$T/data" --count 1
has "export  clients  OK  format=csv all rows=3 total=3 bytes=$(stat -c %s "$T/base.csv") blake2b=$H"
# The owner's alert names the export with its counts and the same hash.
expect_rc 0 cli o alerts
has "export  *owner @ o  *3/3  *format=csv rows=3 bytes=$(stat -c %s "$T/base.csv") blake2b=$H"
# Nothing of the temporary file is left.
[ "$(ls "$T" | grep -c '^base\.csv\.')" -eq 0 ] || fail "temporary file left: $(ls "$T")"

# ---- csv-excel, vcard on stdout, a filter, --json ---------------------------
expect_rc 0 cli o export --format csv-excel --branch Север -o "$T/north.csv"
[ "$(head -c 3 "$T/north.csv" | od -An -tx1 | tr -d ' ')" = efbbbf ] || fail "no BOM"
grep -q '^3;Северовы;Север;owner;' "$T/north.csv" || fail "csv-excel row: $(cat "$T/north.csv")"
[ "$(wc -l <"$T/north.csv")" -eq 2 ] || fail "filter: $(cat "$T/north.csv")"
expect_rc 0 cli o export --format vcard
[ "$(grep -c '^BEGIN:VCARD' "$T/last.out")" -eq 4 ] || fail "vcards: $(cat "$T/last.out")"
grep -q '^TEL;TYPE=VOICE:+79990001122' "$T/last.out" || fail "no TEL"
grep -q '^ORG:Ёлкины' "$T/last.out" || fail "no ORG"
err_has "exported 3 clients"
H=$(b2sum -l 256 "$T/last.out" | cut -d' ' -f1)
err_has "BLAKE2b-256: $H"
expect_rc 0 cli o --json export --format csv -o "$T/j.csv"
has '"ok":true'
has "\"blake2b\":\"$(hash_of "$T/j.csv")\""
has '"rows":3'

# ---- xlsx ------------------------------------------------------------------------
command -v unzip >/dev/null || fail "unzip is needed by this test (setup.sh installs it)"
expect_rc 0 cli o export --format xlsx -o "$T/base.xlsx"
has "exported 3 clients to $T/base.xlsx"
[ "$(stat -c %a "$T/base.xlsx")" = 600 ] || fail "xlsx mode $(stat -c %a "$T/base.xlsx")"
has "BLAKE2b-256: $(hash_of "$T/base.xlsx")"
unzip -p "$T/base.xlsx" xl/worksheets/sheet1.xml >"$T/sheet1.xml" || fail "not a workbook"
for want in '>id<' 'Ёлкины' 'Северовы' '+79123456789' '=HYPERLINK'; do
	grep -qF -- "$want" "$T/sheet1.xml" || fail "xlsx: no '$want' in the sheet"
done
# A formula is text in a workbook: written as a string, never as <f>.
grep -q '<f>' "$T/sheet1.xml" && fail "xlsx: a formula cell"
expect_rc 0 "$KARTOTEKAD" audit tail --data "$T/data" --count 1
has "export  clients  OK  format=xlsx all rows=3 total=3 bytes=$(stat -c %s "$T/base.xlsx") blake2b=$(hash_of "$T/base.xlsx")"
# No workbook left beside the store.
[ -z "$(ls "$T/data" | grep xlsx)" ] || fail "temporary workbook left: $(ls "$T/data")"

# ---- refusals ------------------------------------------------------------------
expect_rc 2 cli o export -o "$T/x.csv"
err_has "--format is required"
expect_rc 2 cli o export --format xls -o "$T/x.csv"
expect_rc 2 cli o --json export --format csv
# A branch that does not exist filters to nothing, as in client list.
expect_rc 0 cli o export --format csv --branch Нигде -o "$T/none.csv"
has "exported 0 clients"
[ "$(wc -l <"$T/none.csv")" -eq 1 ] || fail "not just the header: $(cat "$T/none.csv")"
expect_rc 2 cli o export --format csv -o "$T/no/such/dir/x.csv"

printf 'staff-pass-1\n' >"$T/s.pw"
expect_rc 0 cli o user add m1 --role manager --branch Центр --password-file "$T/s.pw"
expect_rc 0 cli o user add h1 --role head --branch Центр --password-file "$T/s.pw"
code=$(kt_invite --branch Центр)
expect_rc 0 cli c1 enroll "$code" --name c1
for who in m1 h1; do
	expect_rc 0 cli c1 login "$who" --password-file "$T/s.pw"
	expect_rc 1 cli c1 export --format csv -o "$T/$who.csv"
	err_has "FORBIDDEN"
	err_has "only the owner can export the client base"
	[ ! -e "$T/$who.csv" ] || fail "$who got a file"
	[ "$(ls "$T" | grep -c "^$who\.csv")" -eq 0 ] || fail "temporary file left: $(ls "$T")"
	expect_rc 0 cli c1 logout
done
[ "$(audit_count export)" -eq 8 ] || fail "export entries: $(audit_count export)"
expect_rc 0 "$KARTOTEKAD" audit tail --data "$T/data" --count 100
[ "$(grep -c 'export  -  FORBIDDEN  only the owner can export the client base' "$T/last.out")" -eq 2 ] ||
	fail "refusals not audited: $(grep export "$T/last.out")"

"$KARTOTEKAD" audit verify --data "$T/data" >/dev/null || fail "audit verify"
kt_stop
