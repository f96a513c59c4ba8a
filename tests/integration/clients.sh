#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Client cards end to end: add a family, find it by phone in three formats
# and by name with ё folding, show, edit with a stale version, duplicates
# and --force, archive/restore, lists with filters and paging, purge; then
# what heads and managers of two branches may see and do.
. "$(dirname "$0")/lib.sh"
kt_init
# The view quota is per UTC day: the server's clock starts at 10:00 UTC
# today and runs on (matrix.sh says why today), so the day cannot change
# under the quota checks below.
kt_use_faketime "$(date -u +%F) 10:00:00"
kt_start
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
"$KARTOTEKAD" invite --data "$T/data" --branch Север >/dev/null 2>&1
enroll_owner o

has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }
json_id() { sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out"; }

# ---- add, find, show -------------------------------------------------------
expect_rc 0 cli o --json client add --title "Ёлкины" --branch Центр \
	--tag английский --status active \
	--person "Ирина Ёлкина;parent;14.03.1985;8 912 345-67-89;Irina@Mail.RU" \
	--person "Маша;child;2019"
ID=$(json_id)
[ -n "$ID" ] || fail "no id: $(cat "$T/last.out")"

for p in "+79123456789" "8 (912) 345-67-89" "912 345 67 89"; do
	expect_rc 0 cli o --json client find "$p"
	has "\"id\":$ID"
	has '"total":1'
done
for q in ёлкина ЕЛКИНА елкин "ир ёлк" маша; do
	expect_rc 0 cli o --json client find "$q"
	has "\"id\":$ID"
done
expect_rc 0 cli o client find "ёлкина"
has "Маша (2019)"
has '+7 \*\*\* \*\*\*-\*\*-89'
expect_rc 0 cli o client find петров
has "No clients found"

expect_rc 0 cli o client show "$ID"
has "+79123456789"
has "Irina@mail.ru"
has "version: *1"
expect_rc 0 cli o --json client show "$ID"
has '"masked":false'
expect_rc 1 cli o client show 999
err_has "NOT_FOUND"

# ---- edit and versions -------------------------------------------------------
expect_rc 0 cli o client edit "$ID" --version 1 --category A --note "любит рисовать"
has "version 2"
expect_rc 1 cli o client edit "$ID" --version 1 --title "Другие"
err_has "CONFLICT"
err_has "current version is 2"
expect_rc 1 cli o client edit "$ID" --version 2 --person "Ира;parent;;12"
err_has "people\[0\].phones\[0\]"
expect_rc 2 cli o client edit "$ID" --version 2
expect_rc 1 cli o client add --title "" --branch Центр
err_has "title"

# ---- duplicates ------------------------------------------------------------------
expect_rc 1 cli o client add --title "Ёлкины-2" --branch Центр \
	--person "Пётр;parent;;+7 912 345 67 89"
err_has "CONFLICT"
err_has "already belongs to client $ID"
expect_rc 0 cli o --json client add --title "Ёлкины-2" --branch Центр \
	--person "Пётр;parent;;+7 912 345 67 89" --force
ID2=$(json_id)
expect_rc 0 cli o --json client find 89123456789
has '"total":2'

# ---- archive / restore -------------------------------------------------------
expect_rc 0 cli o client archive "$ID2"
expect_rc 0 cli o --json client list
has '"total":1'
expect_rc 0 cli o --json client list --archived
has '"total":2'
expect_rc 0 cli o client restore "$ID2"
expect_rc 0 cli o --json client list
has '"total":2'

# ---- lists: filters and paging --------------------------------------------------
for i in $(seq 1 25); do
	expect_rc 0 cli o client add --title "Семья $i" --branch Север \
		--person "Ребёнок $i;child;2016-07-0$(( i % 9 + 1 ))"
done
expect_rc 0 cli o --json client list --branch Север --limit 10
has '"total":25'
cur=$(sed -n 's/.*"next_cursor":"\([0-9a-f]*\)".*/\1/p' "$T/last.out")
[ -n "$cur" ] || fail "no next cursor"
expect_rc 0 cli o --json client list --branch Север --limit 10 --cursor "$cur"
has '"total":25'
expect_rc 0 cli o --json client list --birth-month 7 --children
has '"total":25'
expect_rc 0 cli o --json client list --birth-month 3
has '"total":1'
expect_rc 0 cli o --json client list --tag АНГЛИЙСКИЙ
has "\"id\":$ID"
expect_rc 0 cli o --json client list --child-year 2019
has '"total":1'
expect_rc 0 cli o client list --branch Север --limit 3
has "Next page: --cursor"
expect_rc 2 cli o client list --child-age 9-2

# ---- roles --------------------------------------------------------------------------
printf 'manager-pass-1\n' >"$T/m.pw"
expect_rc 0 cli o user add m1 --role manager --branch Центр --quota 2 --password-file "$T/m.pw"
expect_rc 0 cli o user add m2 --role manager --branch Центр --password-file "$T/m.pw"
expect_rc 0 cli o user add h2 --role head --branch Север --password-file "$T/m.pw"
code=$(kt_invite --branch Центр)
expect_rc 0 cli c1 enroll "$code" --name c1
code=$(kt_invite --branch Север)
expect_rc 0 cli s1 enroll "$code" --name s1

expect_rc 0 cli c1 login m1 --password-file "$T/m.pw"
# A manager's new client is its own, in the terminal's branch.
expect_rc 0 cli c1 --json client add --title "Клиент М1" --person "Лев;parent;;+79990000001"
has '"manager":"m1"'
has '"branch":"Центр"'
MID=$(json_id)
# Sees its branch; not the other branch (NOT_FOUND, not FORBIDDEN).
expect_rc 0 cli c1 --json client find ёлкина
has "\"id\":$ID"
expect_rc 0 cli c1 --json client find "Семья"
has '"total":0'
expect_rc 0 cli o --json client find "Семья 1"
SID=$(sed -n 's/.*"rows":\[{"id":\([0-9]*\).*/\1/p' "$T/last.out")
[ -n "$SID" ] || fail "no client of Север found: $(cat "$T/last.out")"
expect_rc 1 cli c1 client show "$SID"
err_has "NOT_FOUND"
err_has "no client $SID"
# Duplicate of a card in another branch: answered like a new phone (the
# card is saved, DESIGN §4), and the owner gets a merge alert.
expect_rc 0 cli o client edit "$SID" --version 1 --person "Ребёнок;child;2016;+79990000077"
expect_rc 0 cli c1 --json client add --title "Дубль" --person "Икс;parent;;+79990000077"
DUB=$(json_id)
expect_rc 0 cli c1 --json client add --title "Не дубль" --person "Икс;parent;;+79990000078"
# Edit: only clients it manages.
expect_rc 1 cli c1 client edit "$ID" --version 2 --title "Чужие"
err_has "FORBIDDEN"
expect_rc 0 cli c1 client edit "$MID" --version 1 --title "Клиент М1+"
expect_rc 1 cli c1 client reassign "$MID" m2
err_has "FORBIDDEN"
expect_rc 1 cli c1 client purge "$MID"
err_has "FORBIDDEN"
expect_rc 1 cli c1 client archive "$ID"
err_has "FORBIDDEN"
# Rows are masked; full views are counted: quota 2.
expect_rc 0 cli c1 client find 89123456789
has '+7 \*\*\* \*\*\*-\*\*-89'
expect_rc 0 cli c1 client show "$MID"
expect_rc 0 cli c1 client show "$ID"
expect_rc 1 cli c1 client show "$ID"
err_has "QUOTA_EXCEEDED"
err_has "daily quota of 2 full cards used up"

# A head of Север: its branch only; reassign within it.
expect_rc 0 cli s1 login h2 --password-file "$T/m.pw"
expect_rc 0 cli s1 --json client list
has '"total":25'
expect_rc 1 cli s1 client show "$ID"
err_has "NOT_FOUND"
expect_rc 1 cli s1 client reassign "$SID" m1
err_has "does not work in the client's branch"
expect_rc 0 cli s1 client reassign "$SID" h2
expect_rc 0 cli s1 client archive "$SID"
expect_rc 1 cli s1 client purge "$SID"
err_has "FORBIDDEN"

# The owner reassigns across branches' rules too.
expect_rc 0 cli o client reassign "$MID" m2
expect_rc 0 cli o --json client list --manager m2
has "\"id\":$MID"

# ---- purge ----------------------------------------------------------------------
expect_rc 0 cli o client purge "$ID2" --reason "erasure request"
expect_rc 1 cli o client show "$ID2"
err_has "purged"
expect_rc 0 cli o --json client find 89123456789
has '"total":1'
expect_rc 0 cli o --json client find "Пётр"
has '"total":0'

# ---- edits: new duplicates, referred_by ----------------------------------------
expect_rc 0 cli o --json client add --title "Ивановы" --branch Центр \
	--person "Ольга Иванова;parent;;+79995550001;olga@example.ru"
IV=$(json_id)
expect_rc 0 cli o --json client add --title "Смирновы" --branch Центр \
	--person "Пётр Смирнов;parent;;+79995550002"
SM=$(json_id)
# A phone another card has: CONFLICT naming it, nothing changed.
expect_rc 1 cli o client edit "$SM" --version 1 \
	--person "Пётр Смирнов;parent;;+79995550002" --person "Ольга;parent;;8 999 555-00-01"
err_has "CONFLICT"
err_has "already belongs to client $IV"
expect_rc 0 cli o --json client show "$SM"
has '"version":1'
# The same e-mail in another case is the same e-mail.
expect_rc 1 cli o client edit "$SM" --version 1 \
	--person "Пётр Смирнов;parent;;+79995550002;OLGA@example.ru"
err_has "e-mail"
# --force keeps it.
expect_rc 0 cli o client edit "$SM" --version 1 --force \
	--person "Пётр Смирнов;parent;;+79995550002" --person "Ольга;parent;;8 999 555-00-01"
has "version 2"
# Contacts a card already has are not new duplicates on the next edit.
expect_rc 0 cli o client edit "$SM" --version 2 --title "Смирновы-Ивановы" \
	--person "Пётр Смирнов;parent;;+79995550002" --person "Ольга;parent;;8 999 555-00-01"
has "version 3"
# referred_by must be a client the caller sees.
expect_rc 1 cli o client edit "$SM" --version 3 --referred-by 999999
err_has "referred_by: no client 999999"
expect_rc 1 cli o client edit "$SM" --version 3 --referred-by "$SM"
err_has "referred_by"
expect_rc 0 cli o client edit "$SM" --version 3 --referred-by "$IV"
has "version 4"
expect_rc 0 cli o client show "$SM"
has "referred by: *$IV"
# A card of a branch the caller cannot see answers as a missing one.
expect_rc 1 cli c1 client add --title "Рекомендованные" --referred-by "$SID"
err_has "referred_by: no client $SID"
expect_rc 1 cli o client add --title "Новые" --branch Центр --referred-by 999999
err_has "referred_by: no client 999999"

# ---- date ranges include their last day -------------------------------------------
# Every card here was created today (the server's clock starts at 10:00
# UTC today; the CLI runs in UTC here): --created-to today takes them in.
today=$(date -u +%F)
tomorrow=$(date -u -d tomorrow +%F)
expect_rc 0 cli o --json client list --created-from "$today" --created-to "$today"
grep -q '"total":0' "$T/last.out" && fail "--created-to today left out today's cards: $(cat "$T/last.out")"
expect_rc 0 cli o --json client list --created-from "$tomorrow"
has '"total":0'
expect_rc 0 cli o --json client list --created-to "$(date -u -d yesterday +%F)"
has '"total":0'

# ---- the audit says what happened --------------------------------------------------
expect_rc 0 "$KARTOTEKAD" audit tail --data "$T/data" --count 100000
has "client.add  client:$ID2  OK  branch=[0-9]* manager=[0-9]* forced duplicate of client $ID (alert [0-9]*)"
has "client.add  client:$DUB  OK  branch=[0-9]* manager=[0-9]* duplicate of client $SID (alert [0-9]*)"
has "client.edit  client:$SM  OK  people forced duplicate of client $IV (alert [0-9]*)"
has "client.edit  client:$SM  CONFLICT  duplicate of client $IV"
has "client.view  client:$ID  OK  views today 1"
grep -q "client.find  .*phone +7 \*\*\* \*\*\*-\*\*-89 rows=" "$T/last.out" || { grep "client.find" "$T/last.out" | head -3 >&2; fail "no client.find entry"; }
has "client.purge  client:$ID2  OK"
expect_rc 0 "$KARTOTEKAD" audit tail --data "$T/data" --count 2
[ "$(wc -l <"$T/last.out")" -eq 2 ] || fail "audit tail --count 2: $(cat "$T/last.out")"
expect_rc 2 "$KARTOTEKAD" audit tail --data "$T/data" --count 0

"$KARTOTEKAD" audit verify --data "$T/data" >"$T/verify.out" || fail "audit verify"
kt_stop || fail "server did not stop cleanly"

# ---- another country code ----------------------------------------------------------
expect_rc 2 "$KARTOTEKAD" run --data "$T/data" --listen 127.0.0.1:0 --phone-country +7
grep -q -- "--phone-country" "$T/last.err" || fail "no message naming --phone-country"
kt_start --phone-country 49
# The restarted server has a new ephemeral port: point the terminal at it.
sed -i "s/^address .*/address $ADDR/" "$T/o/server"
expect_rc 0 cli o --json client add --title "Müller" --branch Центр \
	--person "Anna Müller;parent;;030 1234567"
has '"+49301234567"'
expect_rc 0 cli o --json client find "030 1234567"
has '"total":1'
expect_rc 0 cli o --json client find "0049 30 1234567"
has '"total":1'
kt_stop || fail "server did not stop cleanly"
echo "ok"
