#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Card history end to end, the leaving-manager story: a manager empties
# the people and phones of her cards; she may not read or undo history;
# the head of her branch sees each wipe with the old values, opens the old
# version (counted against the head's quota, audited) and reverts every
# card, which finds its phone again; a head of another branch gets
# NOT_FOUND like for a missing card; purge leaves no history.
. "$(dirname "$0")/lib.sh"
kt_init
# The view quota is per business day: the server's clock starts at 10:00
# UTC today (matrix.sh says why today) so the day cannot change under the
# quota checks below.
kt_use_faketime "$(date -u +%F) 10:00:00"
kt_start
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
"$KARTOTEKAD" invite --data "$T/data" --branch Север >/dev/null 2>&1
enroll_owner o

has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }
json_id() { sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out"; }
audit_tail() { "$KARTOTEKAD" audit tail --data "$T/data" --count "$1" >"$T/last.out"; }

N=${KT_HISTORY_CARDS:-100}

printf 'staff-pass-1\n' >"$T/s.pw"
expect_rc 0 cli o user add leaver --role manager --branch Центр --password-file "$T/s.pw"
expect_rc 0 cli o user add boss --role head --branch Центр --quota 5 --password-file "$T/s.pw"
expect_rc 0 cli o user add other --role head --branch Север --password-file "$T/s.pw"
code=$(kt_invite --branch Центр)
expect_rc 0 cli c1 enroll "$code" --name desk-centre
code=$(kt_invite --branch Центр)
expect_rc 0 cli c2 enroll "$code" --name head-centre
code=$(kt_invite --branch Север)
expect_rc 0 cli s1 enroll "$code" --name desk-north
expect_rc 0 cli c1 login leaver --password-file "$T/s.pw"
expect_rc 0 cli c2 login boss --password-file "$T/s.pw"
expect_rc 0 cli s1 login other --password-file "$T/s.pw"

# ---- the manager's cards, then the wipe -----------------------------------
IDS=()
for i in $(seq 1 "$N"); do
	phone=$(printf '+7900%07d' "$i")
	expect_rc 0 cli c1 --json client add --title "Семья $i" \
		--person "Анна $i;parent;;$phone" --person "Маша $i;child;2019"
	IDS+=("$(json_id)")
done
FIRST=${IDS[0]}
for id in "${IDS[@]}"; do
	expect_rc 0 cli c1 client edit "$id" --version 1 --no-people
done
audit_tail 1
has "client.edit"
has "removed people or contacts"
expect_rc 0 cli o --json client find "+79000000001"
has '"total":0'

# ---- she may not read history, nor undo it --------------------------------
expect_rc 1 cli c1 client history "$FIRST"
err_has "FORBIDDEN"
expect_rc 1 cli c1 client history 999999
err_has "FORBIDDEN"
expect_rc 1 cli c1 client show "$FIRST" --version 1
err_has "FORBIDDEN"
expect_rc 1 cli c1 client revert "$FIRST" --to 1 --version 2
err_has "FORBIDDEN"
audit_tail 1
has "client.revert"
has "FORBIDDEN"

# ---- the head sees the wipe, old values in full ------------------------------
expect_rc 0 cli c2 client history "$FIRST"
has "2 versions"
has "version 2 .* leaver at desk-centre  client.edit"
has 'people: "Анна 1 (parent) +79000000001 | Маша 1 (child, 2019)" -> ""'
has "version 1 .* client.add"
expect_rc 0 cli c2 --json client history "$FIRST"
has '"action":"client.edit"'
has '"field":"people","old":"Анна 1 (parent) +79000000001 | Маша 1 (child, 2019)","new":""'
audit_tail 1
has "client.history"
has "versions=2 views today 2 of 5"
expect_rc 0 cli c2 client show "$FIRST" --version 1
has "+79000000001"
has "version: *1"
audit_tail 1
has "client.view"
has "version 1 views today 3 of 5"
# A head of another branch: exactly like a card that does not exist.
expect_rc 1 cli s1 client history "$FIRST"
err_has "NOT_FOUND: no client $FIRST"
expect_rc 1 cli s1 client history 999999
err_has "NOT_FOUND: no client 999999"
expect_rc 1 cli s1 client revert "$FIRST" --to 1 --version 2
err_has "NOT_FOUND: no client $FIRST"

# ---- the head reverts every card ------------------------------------------------
expect_rc 1 cli c2 client revert "$FIRST" --to 1 --version 1
err_has "CONFLICT"
err_has "current version is 2"
for id in "${IDS[@]}"; do
	expect_rc 0 cli c2 client revert "$id" --to 1 --version 2
done
has "is now version 3, equal to version 1"
audit_tail 1
has "client.revert"
has "to version 1: people"
for i in 1 "$N"; do
	expect_rc 0 cli o --json client find "$(printf '+7900%07d' "$i")"
	has '"total":1'
done
expect_rc 0 cli o client show "$FIRST"
has "+79000000001"
has "Маша 1"
expect_rc 0 cli o client history "$FIRST"
has "3 versions"
has "version 3 .* boss at head-centre  client.revert"
has 'people: "" -> "Анна 1 (parent) +79000000001 | Маша 1 (child, 2019)"'
# Stale: the version read is no longer the current one.
expect_rc 1 cli c2 client revert "$FIRST" --to 1 --version 2
err_has "current version is 3"

# ---- history counts like full views: the head's quota of 5 -----------------------
expect_rc 0 cli c2 client history "${IDS[1]}"
expect_rc 0 cli c2 client show "${IDS[1]}" --version 1
expect_rc 1 cli c2 client history "${IDS[2]}"
err_has "QUOTA_EXCEEDED"
err_has "daily quota of 5 full cards used up"
expect_rc 1 cli c2 client show "${IDS[2]}"
err_has "QUOTA_EXCEEDED"
audit_tail 4    # each command also leaves its resume
has "client.history .*QUOTA_EXCEEDED"

# ---- bad input: named, nothing changed --------------------------------------------
expect_rc 2 cli o client revert "$FIRST" --to 1
expect_rc 2 cli o client revert "$FIRST" --to x --version 3
expect_rc 2 cli o client history abc
expect_rc 1 cli o client revert "$FIRST" --to 9 --version 3
err_has "to_version"
expect_rc 1 cli o client show "$FIRST" --version 9
err_has "has no version 9"

# ---- purge: the one thing that removes history ---------------------------------
expect_rc 0 cli o client purge "$FIRST" --reason "erasure request"
audit_tail 1
has "history versions removed: 3"
expect_rc 1 cli o client history "$FIRST"
err_has "NOT_FOUND"
expect_rc 1 cli o client show "$FIRST" --version 1
err_has "NOT_FOUND"
echo "history: ok"
