#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The owner's alerts end to end: a duplicate phone on a card of another
# branch is saved and raises a merge alert (the manager cannot tell), a
# manager's view quota raises 80 % and 100 % alerts, every alert reaches
# the --alert-command as JSON, `kartoteka alerts` lists and acknowledges
# them, the owner merges the duplicate, and nobody else sees alerts.
. "$(dirname "$0")/lib.sh"
kt_init
# Quotas count per business day: a default zone where it is about noon
# now (Etc/GMT-N is N hours east), so the day cannot change under the test.
# (Not libfaketime: the alert command, a child of the server, would inherit
# its preload.)
h=$((10#$(date -u +%H)))
off=$((12 - h))
if [ $off -gt 0 ]; then zone="Etc/GMT-$off"; elif [ $off -lt 0 ]; then zone="Etc/GMT+$((-off))"; else zone=UTC; fi
kt_start --time-zone "$zone" --alert-command "cat >> '$T/alerts.jsonl'"
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
"$KARTOTEKAD" invite --data "$T/data" --branch Север >/dev/null 2>&1
enroll_owner o

has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
json_id() { sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out"; }

printf 'manager-password\n' >"$T/m.pw"
expect_rc 0 cli o user add m1 --role manager --branch Центр --quota 5 --password-file "$T/m.pw"
expect_rc 0 cli o user add s1 --role manager --branch Север --password-file "$T/m.pw"
code=$(kt_invite --branch Центр)
expect_rc 0 cli c enroll "$code" --name desk-c
code=$(kt_invite --branch Север)
expect_rc 0 cli s enroll "$code" --name desk-s
expect_rc 0 cli c login m1 --password-file "$T/m.pw"
expect_rc 0 cli s login s1 --password-file "$T/m.pw"

# Branch settings.
expect_rc 0 cli o branch set Север --time-zone Asia/Vladivostok --hours 09:00-20:00
expect_rc 0 cli o --json branch list
has '"time_zone":"Asia/Vladivostok"'
has '"work_hours":"09:00-20:00"'
expect_rc 2 cli o branch set Север --hours 9-20
expect_rc 1 cli o branch set Север --time-zone Mars/Olympus
grep -q "time_zone" "$T/last.err" || fail "no field named: $(cat "$T/last.err")"

# A duplicate in another branch answers like a new phone.
expect_rc 0 cli s --json client add --title "Петровы" --person "Анна;parent;;+79990001111"
SOUTH=$(json_id)
expect_rc 0 cli c --json client add --title "Петровы-Ц" --person "Анна;parent;;+79990001111"
CENTRE=$(json_id)
[ -n "$CENTRE" ] || fail "the duplicate was not saved: $(cat "$T/last.out")"
grep -q '"duplicate_of"' "$T/last.out" && fail "the answer tells of the duplicate"
expect_rc 0 cli c --json client add --title "Новые" --person "Ира;parent;;+79990002222"

# Views up to the quota of 5: alerts at 4 (80 %) and 5.
for _ in 1 2 3 4 5; do expect_rc 0 cli c client show "$CENTRE"; done
expect_rc 1 cli c client show "$CENTRE"
grep -q "QUOTA_EXCEEDED" "$T/last.err" || fail "no quota refusal: $(cat "$T/last.err")"
grep -q "the owner can raise it" "$T/last.err" || fail "does not say who can raise it: $(cat "$T/last.err")"

# The owner's list.
expect_rc 0 cli o alerts
has "client.duplicate"
has "quota.warn"
has "quota.spent"
has "m1 @ desk-c"
grep -q "+7999" "$T/last.out" && fail "an alert shows a phone: $(cat "$T/last.out")"
expect_rc 0 cli o --json alerts
DUP=$(sed -n 's/.*{"id":\([0-9]*\),"time_ms":[0-9]*,"kind":"client.duplicate".*/\1/p' "$T/last.out")
[ -n "$DUP" ] || fail "no duplicate alert id: $(cat "$T/last.out")"
has "\"client_id\":$CENTRE,\"other_client_id\":$SOUTH"

# Nobody else reads them.
expect_rc 1 cli c alerts
grep -q "FORBIDDEN" "$T/last.err" || fail "manager read alerts: $(cat "$T/last.err")"

# Acknowledge, then only --all shows it.
expect_rc 0 cli o alerts --ack "$DUP"
has "Acknowledged alert $DUP"
expect_rc 0 cli o --json alerts
grep -q "\"id\":$DUP," "$T/last.out" && fail "acknowledged alert still open"
expect_rc 0 cli o --json alerts --all
has "\"id\":$DUP,"
expect_rc 2 cli o alerts --ack x

# The owner merges the duplicate: one card left with the phone.
expect_rc 0 cli o client merge "$SOUTH" "$CENTRE"
has "Merged into client $SOUTH"
expect_rc 0 cli o --json client find 89990001111
has '"total":1'
has "\"id\":$SOUTH"
expect_rc 0 cli o client show "$CENTRE"
has "merged into: *$SOUTH"

# Every alert reached the command, one JSON object per line, in order.
# (Other alerts pass too: every terminal enrolled raises one.)
for _ in $(seq 1 200); do
	grep -q '"kind":"client.duplicate"' "$T/alerts.jsonl" 2>/dev/null &&
		grep -q '"kind":"quota.spent"' "$T/alerts.jsonl" && break
	sleep 0.1
done
[ "$(wc -l <"$T/alerts.jsonl")" -ge 3 ] || fail "alert command got: $(cat "$T/alerts.jsonl" 2>/dev/null)"
grep -q '"kind":"client.duplicate"' "$T/alerts.jsonl" || fail "no duplicate alert passed"
grep -q '"kind":"quota.spent","what":"a daily quota used up","user":"m1","terminal":"desk-c"' "$T/alerts.jsonl" ||
	fail "no quota alert passed: $(cat "$T/alerts.jsonl")"
ids=$(sed -n 's/^{"id":\([0-9]*\),.*/\1/p' "$T/alerts.jsonl" | tr '\n' ' ')
[ "$ids" = "1 2 3 " ] || [ "${ids#1 2 3 }" != "$ids" ] || fail "alerts passed out of order: $ids"
grep -q "+7999" "$T/alerts.jsonl" && fail "an alert passed a phone"

kt_stop || fail "server did not stop cleanly"
echo "ok"
