#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Lockout counts per login and terminal: guessing the owner's password at
# a branch desk locks the owner out of that desk only, never out of the
# owner's terminal; failures across terminals are noted; the owner
# unlocks a login on every terminal, over the protocol or offline, and
# only the owner can.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start --lockout-after 3 --login-delay-after 100
enroll_owner own
printf 'manager-pass-1\n' >"$T/mgr.pw"
printf 'wrong-password\n' >"$T/bad.pw"
expect_rc 0 cli own branch add "Центр"
expect_rc 0 cli own user add anna --role manager --branch "Центр" --password-file "$T/mgr.pw"
for d in desk1 desk2; do
	expect_rc 0 cli own terminal invite --branch "Центр" --advertise "$ADDR"
	code=$(tail -n 1 "$T/last.out")
	expect_rc 0 cli "$d" enroll "$code" --name "$d"
done

# A leaving manager guesses the owner's password at desk1 until it locks.
for _ in 1 2 3; do expect_rc 1 cli desk1 login owner --password-file "$T/bad.pw"; done
expect_rc 1 cli desk1 login owner --password-file "$T/owner.pw"
grep -q "RATE_LIMITED" "$T/last.err" || fail "desk1 not locked: $(cat "$T/last.err")"
# The owner's own terminal is not locked.
expect_rc 0 cli own login owner --password-file "$T/owner.pw"
expect_rc 0 cli own whoami
# At desk2 the count starts afresh, and the audit says the login is
# failing on several terminals.
expect_rc 1 cli desk2 login owner --password-file "$T/bad.pw"
grep -q "UNAUTHENTICATED: wrong login or password" "$T/last.err" || fail "desk2: $(cat "$T/last.err")"
"$KARTOTEKAD" audit tail --data "$T/data" --count 1 >"$T/tail.out"
grep -q "wrong password, failure 1 on this terminal, failing on several terminals" "$T/tail.out" ||
	fail "spread not noted: $(cat "$T/tail.out")"

# anna locks herself out at desk1 too; her desk2 still works.
for _ in 1 2 3; do expect_rc 1 cli desk1 login anna --password-file "$T/bad.pw"; done
expect_rc 1 cli desk1 login anna --password-file "$T/mgr.pw"
grep -q "RATE_LIMITED" "$T/last.err" || fail "anna not locked at desk1: $(cat "$T/last.err")"
expect_rc 0 cli desk2 login anna --password-file "$T/mgr.pw"
# Only the owner unlocks.
expect_rc 1 cli desk2 user unlock anna
grep -q "FORBIDDEN: only the owner can unlock logins" "$T/last.err" || fail "manager unlock: $(cat "$T/last.err")"
expect_rc 1 cli own user unlock nobody
grep -q "NOT_FOUND: login: no user nobody" "$T/last.err" || fail "unlock nobody: $(cat "$T/last.err")"
expect_rc 0 cli own user unlock anna
grep -q "^Unlocked anna: failed logins forgotten on every terminal.$" "$T/last.out" || fail "unlock: $(cat "$T/last.out")"
expect_rc 0 cli desk1 login anna --password-file "$T/mgr.pw"
"$KARTOTEKAD" audit tail --data "$T/data" --count 1000 >"$T/tail.out"
grep -Eq "  user\.unlock  user:[0-9]+  OK  1 terminal cleared, 1 of them locked(  \[at .*\])?$" "$T/tail.out" ||
	fail "unlock entry: $(grep unlock "$T/tail.out")"

# Offline, while the server runs: the owner's lock at desk1 goes.
"$KARTOTEKAD" user unlock --data "$T/data" owner >"$T/unlock.out" || fail "offline unlock failed"
grep -q "^unlocked owner on every terminal$" "$T/unlock.out" || fail "offline unlock: $(cat "$T/unlock.out")"
expect_rc 1 cli desk1 login owner --password-file "$T/owner.pw"
grep -q "UNAUTHENTICATED: wrong login or password" "$T/last.err" || fail "after offline unlock: $(cat "$T/last.err")"
expect_rc 1 "$KARTOTEKAD" user unlock --data "$T/data" nobody
grep -q "no user nobody" "$T/last.err" || fail "offline unlock nobody: $(cat "$T/last.err")"
expect_rc 2 "$KARTOTEKAD" user unlock --data "$T/data"
# A login outside the branch's working hours: Центр works (in UTC) from
# two hours from now to three hours from now.
h=$((10#$(date -u +%H)))
expect_rc 0 cli own branch set "Центр" --time-zone UTC --hours "$(printf '%02d:00-%02d:00' $(((h + 2) % 24)) $(((h + 3) % 24)))"
expect_rc 0 cli desk2 login anna --password-file "$T/mgr.pw"

# The owner sees every alert of the story; nobody else does.
expect_rc 0 cli own --json alerts --all
for kind in terminal.enrolled login.owner_at_branch login.lockout login.failures login.off_hours; do
	grep -q "\"kind\":\"$kind\"" "$T/last.out" || fail "no $kind alert: $(cat "$T/last.out")"
done
# Lockouts: the owner's at desk1, anna's at desk1 (known users only).
[ "$(grep -o '"kind":"login.lockout"' "$T/last.out" | wc -l)" -eq 2 ] || fail "lockout alerts: $(cat "$T/last.out")"
# Alerts carry ids and counts: never a guessed password or login.
grep -q "wrong-password" "$T/last.out" && fail "an alert carries a password"
expect_rc 1 cli desk2 alerts

# anna's, the offline one, and the two refusals (the manager's, nobody).
[ "$(audit_count user.unlock)" -eq 4 ] || fail "user.unlock entries: $(audit_count user.unlock)"
kt_stop
"$KARTOTEKAD" audit verify --data "$T/data" >/dev/null || fail "audit verify"
echo "ok"
