#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The owner's audit over the protocol: audit list with names, filters,
# dates that include the end day, every page (the JSON count equals the
# chain's), details whole; audit summary (an unknown login reads like an
# empty one); audit checkpoint saved 0600 on the owner's machine and
# checked by kartotekad audit verify, which names what is wrong with a
# bad file; everyone else refused, audited; the offline reader shows
# logins and terminal names.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
enroll_owner o
has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }

printf '%s\n' "staff-pass-1" >"$T/m.pw"
expect_rc 0 cli o user add masha --role manager --branch Центр --password-file "$T/m.pw"
expect_rc 0 cli c1 enroll "$(kt_invite --branch Центр)" --name "стойка 1"
expect_rc 0 cli c1 login masha --password-file "$T/m.pw"
expect_rc 0 cli c1 --json client add --title "Ивановы" --person "Анна;parent;;+7 912 000-00-01"
ID=$(sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out")
expect_rc 0 cli c1 client show "$ID"
expect_rc 0 cli o client show "$ID"
# A detail longer than any line cut would keep: a branch address of 256
# bytes in a branch.add entry.
ADDR256=$(printf 'ул. Длинная, %0234d' 7)
expect_rc 0 cli o branch add Дальний --address "$ADDR256"
# Enough entries for several pages (offline commands write while the
# server runs).
for i in $(seq 1 700); do echo "$i"; done | while read -r _; do
	"$KARTOTEKAD" invite --data "$T/data" --advertise "$ADDR" >/dev/null
done

# ---- names, filters, whole details ----------------------------------------------------
expect_rc 0 cli o audit list --user masha
masha_rows=$(grep -c "  masha  " "$T/last.out")
has "masha  'стойка 1' (Центр)  client.add  client:$ID  OK"
has "masha  'стойка 1' (Центр)  client.view  client:$ID  OK  views today 1 of 200"
grep -q "owner" "$T/last.out" && fail "--user masha shows others: $(cat "$T/last.out")"
expect_rc 0 cli o audit list --client "$ID" --action client.view
[ "$(wc -l <"$T/last.out")" -eq 2 ] || fail "who saw $ID: $(cat "$T/last.out")"
has "owner  'o' (owner terminal)  client.view"
expect_rc 0 cli o audit list --action branch.add
has "address=$ADDR256"
expect_rc 0 cli o --json audit list --action branch.add
has "\"detail\":\"name=Дальний address=$ADDR256\""
expect_rc 0 cli o audit list --user nosuchlogin
has "^no entries$"
expect_rc 2 cli o audit list --client abc
err_has "client must be a client id"
expect_rc 2 cli o audit list --from 2026-02-31
err_has "from must be a date"
expect_rc 1 cli o audit list --action "Client View"
err_has "BAD_REQUEST: action: must be an action name"

# Dates: today includes everything so far; the end day is included.
today=$(date +%F)
yesterday=$(date -d yesterday +%F)
tomorrow=$(date -d tomorrow +%F)
expect_rc 0 cli o audit list --user masha --from "$today" --to "$today"
has "client.view  client:$ID"
expect_rc 0 cli o audit list --user masha --to "$yesterday"
has "^no entries$"
expect_rc 0 cli o audit list --user masha --from "$tomorrow"
has "^no entries$"
expect_rc 2 cli o audit list --from "$today" --to "$yesterday"

# Every page: the entries 1..N, none missing or repeated, and at least
# as many as the chain had before the query. (The last command's own
# entries may still be on their way to the store when `audit tail` reads
# it, so N is not compared with that count for equality.)
n=$("$KARTOTEKAD" audit tail --data "$T/data" --count 1000000 | wc -l)
expect_rc 0 cli o --json audit list
got=$(grep -o '"seq":[0-9]*' "$T/last.out" | wc -l)
max=$(grep -o '"seq":[0-9]*' "$T/last.out" | cut -d: -f2 | sort -n | tail -n 1)
distinct=$(grep -o '"seq":[0-9]*' "$T/last.out" | sort -u | wc -l)
[ "$got" -eq "$max" ] && [ "$distinct" -eq "$got" ] ||
	fail "audit list --json: $got entries ($distinct distinct), the last seq $max"
[ "$got" -ge "$n" ] || fail "audit list --json: $got entries, the chain had $n before"
[ "$n" -gt 700 ] || fail "too few entries for paging: $n"
# Each page of the query is audited, with what it read.
expect_rc 0 cli o audit list --action audit.list
# The query's own entry counts the rows it answered (masha's login, add,
# view, and a resume for each of her commands).
has "owner  'o' (owner terminal)  audit.list  audit  OK  user=masha rows=$masha_rows scanned="

# ---- summary -------------------------------------------------------------------------
expect_rc 0 cli o audit summary --user masha --days 7
has "Activity of masha, the last 7 days"
grep -Eq "^$today +1 +0 +0 +1 +0 *$" "$T/last.out" || fail "summary: $(cat "$T/last.out")"
expect_rc 0 cli o --json audit summary --user nosuchlogin --days 2
has '"views":0,"rows":0,"searches":0,"changes":0,"refusals":0'
expect_rc 2 cli o audit summary --user masha --days 0
expect_rc 2 cli o audit summary

# ---- checkpoint on the owner's machine --------------------------------------------------
expect_rc 0 cli o audit checkpoint --out "$T/owner.cp"
has "saved to $T/owner.cp (mode 0600)"
[ "$(stat -c %a "$T/owner.cp")" = 600 ] || fail "mode $(stat -c %a "$T/owner.cp")"
grep -Eq '^kartoteka-audit/1 [0-9]+ [0-9a-f]{64} [0-9a-f]{128}$' "$T/owner.cp" || fail "file: $(cat "$T/owner.cp")"
expect_rc 0 "$KARTOTEKAD" audit verify --data "$T/data" --checkpoint "$T/owner.cp"
has "audit chain intact"
has "it contains the checkpoint of entry"
expect_rc 0 cli o audit checkpoint --out "$T/latest.cp" --latest
expect_rc 0 "$KARTOTEKAD" audit verify --data "$T/data" --checkpoint "$T/latest.cp"
# A file that is not a checkpoint, a mangled one, a forged one: named.
echo "hello" >"$T/bad.cp"
expect_rc 1 "$KARTOTEKAD" audit verify --data "$T/data" --checkpoint "$T/bad.cp"
err_has "does not start with \"kartoteka-audit/1 \""
sed 's/ [0-9a-f]\{64\} / 12ab /' "$T/owner.cp" >"$T/short.cp"
expect_rc 1 "$KARTOTEKAD" audit verify --data "$T/data" --checkpoint "$T/short.cp"
err_has "the hash (third word) is not 64 hex digits"
awk '{ $3 = "00" substr($3, 3); print }' "$T/owner.cp" >"$T/forged.cp"
expect_rc 1 "$KARTOTEKAD" audit verify --data "$T/data" --checkpoint "$T/forged.cp"
err_has "not signed with this store's key"
expect_rc 1 "$KARTOTEKAD" audit verify --data "$T/data" --checkpoint "$T/missing.cp"
err_has "cannot open $T/missing.cp"

# ---- nobody else -------------------------------------------------------------------------
expect_rc 1 cli c1 audit list
err_has "FORBIDDEN: only the owner can read the audit log"
expect_rc 1 cli c1 audit checkpoint --out "$T/m.cp"
err_has "FORBIDDEN"
[ ! -e "$T/m.cp" ] || fail "a refused checkpoint left a file"
expect_rc 0 cli o audit list --user masha --action audit.
has "masha  'стойка 1' (Центр)  audit.list  -  FORBIDDEN  only the owner can read the audit log"
has "masha  'стойка 1' (Центр)  audit.checkpoint  -  FORBIDDEN"

# ---- the offline reader: logins and terminal names, whole lines ---------------------------
expect_rc 0 "$KARTOTEKAD" audit tail --data "$T/data" --count 1000000
has "masha  client.view  client:$ID  OK  views today 1 of 200  \[at 'стойка 1' (Центр)\]"
has "owner  branch.add  branch:[0-9]*  OK  name=Дальний address=$ADDR256  \[at 'o'\]"
echo "ok"
