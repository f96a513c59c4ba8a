#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Reports end to end with the real CLI: the owner's report of a branch
# (clients by status, new cards and clients this month with bars, the
# conversion, a won deal in RUB formatted and a JSON amount in minor
# units, a manager's overdue task, the sources folded into one but
# spelled as their first card spells them); the same in JSON; a manager sees its own clients only and another manager is
# refused like a missing login; a head's report of another branch is
# refused like a missing branch; a small scope is counted as rows;
# every report audited with its scope and months.
. "$(dirname "$0")/lib.sh"
kt_init
export TZ=UTC
kt_use_faketime "$(date -u +%F) 10:00:00"
kt_start
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
"$KARTOTEKAD" invite --data "$T/data" --branch Север >/dev/null 2>&1
enroll_owner o

has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
hasnt() { ! grep -q -- "$1" "$T/last.out" || fail "did not expect '$1' in: $(cat "$T/last.out")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }
json_id() { sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out"; }
deal_id() { sed -n 's/.*"deal":{"id":\([0-9]*\).*/\1/p' "$T/last.out"; }
audit_tail() { "$KARTOTEKAD" audit tail --data "$T/data" --count "$1" >"$T/last.out"; }

MONTH=$(date -u +%Y-%m)
YESTERDAY=$(date -u -d yesterday +%F)

printf 'staff-pass-1\n' >"$T/s.pw"
expect_rc 0 cli o user add masha --role manager --branch Центр --password-file "$T/s.pw"
expect_rc 0 cli o user add petr --role manager --branch Центр --password-file "$T/s.pw"
expect_rc 0 cli o user add boss --role head --branch Центр --password-file "$T/s.pw"
expect_rc 0 cli o user add sasha --role manager --branch Север --password-file "$T/s.pw"
for u in masha petr boss; do
	expect_rc 0 cli "$u" enroll "$(kt_invite --branch Центр)" --name "desk-$u"
	expect_rc 0 cli "$u" login "$u" --password-file "$T/s.pw"
done
expect_rc 0 cli sasha enroll "$(kt_invite --branch Север)" --name desk-sasha
expect_rc 0 cli sasha login sasha --password-file "$T/s.pw"

expect_rc 0 cli masha --json client add --title "Ивановы" --status active --source "Сайт"
IV=$(json_id)
expect_rc 0 cli masha --json client add --title "Петровы" --source "сайт"
PE=$(json_id)
expect_rc 0 cli masha --json client add --title "Кузнецовы" --source "Друзья"
KU=$(json_id)
expect_rc 0 cli petr --json client add --title "Сидоровы" --status active
SI=$(json_id)
expect_rc 0 cli petr --json client add --title "Смирновы" --status former
expect_rc 0 cli sasha --json client add --title "Северные" --status active
NO=$(json_id)
[ -n "$IV" ] && [ -n "$PE" ] && [ -n "$KU" ] && [ -n "$SI" ] && [ -n "$NO" ] || fail "no client ids"
expect_rc 0 cli masha --json deal add "$IV" --title 'Английский, осень' --amount '12 500,50'
D1=$(deal_id)
expect_rc 0 cli masha deal stage "$D1" won
expect_rc 0 cli masha deal add "$PE" --title 'Рисование' --amount 3000
expect_rc 0 cli sasha --json deal add "$NO" --title 'Шахматы' --amount 9000
expect_rc 0 cli sasha deal stage "$(deal_id)" won
expect_rc 0 cli masha task add --client "$PE" --due "$YESTERDAY" --kind call "перезвонить"

# ---- the owner's report of a branch ------------------------------------------------
expect_rc 0 cli o report --branch Центр --months 3
has "^Report: branch Центр, 3 months (.* \.\. $MONTH)"
has "^Clients by status (5 cards, 0 of them archived"
grep -q "^lead  *2  *█" "$T/last.out" || fail "leads: $(cat "$T/last.out")"
grep -q "^active  *2  *█" "$T/last.out" || fail "active: $(cat "$T/last.out")"
grep -q "^former  *1  *█" "$T/last.out" || fail "former: $(cat "$T/last.out")"
grep -q "^$MONTH  *5  *█* *2  *█" "$T/last.out" || fail "this month: $(cat "$T/last.out")"
has "Conversion: 3 of the 5 cards created in these months are clients now (60.0 %)"
grep -q "^$MONTH  *RUB  *1  *12,500.50" "$T/last.out" || fail "won: $(cat "$T/last.out")"
hasnt "9,000.00"
grep -q "^masha  *1  *█" "$T/last.out" || fail "overdue masha: $(cat "$T/last.out")"
grep -q "^petr  *0" "$T/last.out" || fail "overdue petr: $(cat "$T/last.out")"
grep -q "^Сайт  *2  *█" "$T/last.out" || fail "sources: $(cat "$T/last.out")"
has "2 cards without a source"
hasnt "Северные"
audit_tail 1
has "report"
has "months=3"
has "clients=5 counted=0"
hasnt "Ивановы"

expect_rc 0 cli o --json report --branch Центр
has '"command":"report"'
has '"scope":"branch Центр","months":12,"clients":5'
has '"by_status":{"lead":2,"active":2,"former":1,"archived":0}'
has "{\"month\":\"$MONTH\",\"new_cards\":5,\"new_clients\":2,\"won_deals\":1}"
has '"conversion":{"cards":5,"clients":3}'
has "\"won\":\[{\"month\":\"$MONTH\",\"currency\":\"RUB\",\"count\":1,\"amount\":1250050,\"amount_text\":\"12 500.50\"}\]"
has '"overdue":\[{"login":"masha","count":1}'
has '"sources":\[{"source":"Сайт","count":2},{"source":"Друзья","count":1}\]'
has '"no_source":2'

expect_rc 0 cli o --json report
has '"scope":"all branches"'
has '"clients":6'

# ---- scope ---------------------------------------------------------------------------
expect_rc 0 cli masha --json report
has '"scope":"manager masha"'
has '"clients":3'
audit_tail 1
has "clients=3 counted=3"
expect_rc 1 cli masha report --manager petr
err_has "NOT_FOUND: manager: no user 'petr'"
expect_rc 1 cli masha report --manager nobody
err_has "NOT_FOUND: manager: no user 'nobody'"
expect_rc 1 cli masha report --branch Север
err_has "NOT_FOUND: branch: no branch 'Север'"
expect_rc 0 cli boss --json report --manager petr
has '"scope":"manager petr"'
has '"clients":2'
expect_rc 1 cli boss report --branch Север
err_has "NOT_FOUND: branch: no branch 'Север'"
expect_rc 1 cli boss report --branch Нигде
err_has "NOT_FOUND: branch: no branch 'Нигде'"
expect_rc 1 cli boss report --manager sasha
err_has "NOT_FOUND: manager: no user 'sasha'"
expect_rc 2 cli boss report --months 0
err_has "--months"
expect_rc 2 cli boss report --months 37
err_has "--months"

"$KARTOTEKAD" audit verify --data "$T/data" >"$T/verify.out" ||
	fail "audit verify: $(cat "$T/verify.out")"
kt_stop || fail "server did not stop cleanly"
echo "ok"
