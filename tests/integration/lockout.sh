#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Failed logins slow down then lock the login; unknown logins get the very
# same answer as wrong passwords.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start --lockout-after 3 --login-delay-after 1 --login-delay-max 50
code=$(kt_invite)
expect_rc 0 cli t enroll "$code" --name t
printf 'wrong-password\n' >"$T/bad.pw"

expect_rc 1 cli t login nobody --password-file "$T/bad.pw"
unknown=$(cat "$T/last.err")
expect_rc 1 cli t login owner --password-file "$T/bad.pw"
wrong=$(cat "$T/last.err")
[ "$unknown" = "$wrong" ] || fail "unknown login answered '$unknown', wrong password '$wrong'"

expect_rc 1 cli t login owner --password-file "$T/bad.pw"
expect_rc 1 cli t login owner --password-file "$T/bad.pw"
# Three failures: now even the right password is refused for a while.
expect_rc 1 cli t login owner --password-file "$T/owner.pw"
grep -q "RATE_LIMITED" "$T/last.err" || fail "locked login: $(cat "$T/last.err")"
# Unknown logins lock the same way.
for _ in 1 2 3; do expect_rc 1 cli t login nobody --password-file "$T/bad.pw"; done
expect_rc 1 cli t login nobody --password-file "$T/bad.pw"
grep -q "RATE_LIMITED" "$T/last.err" || fail "locked unknown login: $(cat "$T/last.err")"
kt_stop
"$KARTOTEKAD" audit verify --data "$T/data" >/dev/null || fail "audit verify"
echo "ok"
