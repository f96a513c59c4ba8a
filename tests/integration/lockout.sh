#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Failed logins slow down then lock the login; unknown logins get the very
# same answer as wrong passwords; parallel guessing does not get around it.
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

# Guesses in parallel, pipelined on four connections: the writer sees every
# attempt in order, so no more than --lockout-after (3) are ever evaluated,
# and the right password is refused afterwards.
code=$(kt_invite)
expect_rc 0 cli burst enroll "$code" --name burst
pids=()
for i in 1 2 3 4; do
	"$RAWPEER" --config "$T/burst" login-burst owner2 wrong-password 5 >"$T/burst.$i" 2>&1 &
	pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || fail "burst: $(cat "$T"/burst.*)"; done
evaluated=$(cat "$T"/burst.* | awk '/^unauthenticated/ {n += $2} END {print n}')
[ "$evaluated" -le 3 ] || fail "$evaluated guesses evaluated, lockout is 3: $(cat "$T"/burst.*)"

kt_stop
"$KARTOTEKAD" audit verify --data "$T/data" >/dev/null || fail "audit verify"
echo "ok"
