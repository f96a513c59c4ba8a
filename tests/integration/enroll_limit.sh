#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --enroll-failures-per-minute 3: failed enrolments from one address, one
# after another (a used invite code from the real client, made-up tokens
# from kt-rawpeer): the first three are looked at and audited, then every
# enrolment from that address is refused with RATE_LIMITED without being
# looked at, so no audit entry is written for it; a valid code waits too.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start --enroll-failures-per-minute 3
code=$(kt_invite)
# A successful enrolment is not a failure.
expect_rc 0 cli t enroll "$code" --name t

expect_rc 1 cli f1 enroll "$code" --name f1
grep -q "UNAUTHENTICATED: invite code was already used" "$T/last.err" || fail "f1: $(cat "$T/last.err")"
expect_rc 0 "$RAWPEER" --config "$T/t" bad-enroll 1
grep -q "unauthenticated 1 rate_limited 0 other 0, closed by server" "$T/last.out" ||
	fail "made-up token: $(cat "$T/last.out")"
expect_rc 1 cli f2 enroll "$code" --name f2
grep -q "UNAUTHENTICATED: invite code was already used" "$T/last.err" || fail "f2: $(cat "$T/last.err")"
[ "$(audit_count enroll.failed)" -eq 3 ] || fail "expected 3 enroll.failed entries: $(audit_count enroll.failed)"

# Three failures: the address is braked.
expect_rc 1 cli f3 enroll "$code" --name f3
grep -q "RATE_LIMITED: too many failed attempts to enrol this terminal from this address" "$T/last.err" ||
	fail "f3: $(cat "$T/last.err")"
expect_rc 0 "$RAWPEER" --config "$T/t" bad-enroll 1
grep -q "unauthenticated 0 rate_limited 1 other 0, closed by server" "$T/last.out" ||
	fail "made-up token after the limit: $(cat "$T/last.out")"
fresh=$(kt_invite)
expect_rc 1 cli f4 enroll "$fresh" --name f4
grep -q "RATE_LIMITED" "$T/last.err" || fail "valid code after the limit: $(cat "$T/last.err")"
n=$(audit_count enroll.failed)
[ "$n" -eq 3 ] || fail "refused enrolments were audited: $n enroll.failed entries, expected 3"
[ "$(audit_count enroll)" -eq 1 ] || fail "enroll entries: $(audit_count enroll)"
# (Columns: KEY NAME ...; the key is hex, so match the name column.)
"$KARTOTEKAD" terminal list --data "$T/data" | awk '$2 == "f4"' | grep -q . && fail "f4 enrolled"

# The brake is on enrolment only: the enrolled terminal works.
expect_rc 0 cli t login owner --password-file "$T/owner.pw"
expect_rc 0 cli t whoami
kt_stop || fail "server did not stop cleanly"
"$KARTOTEKAD" audit verify --data "$T/data" >/dev/null || fail "audit verify"
echo "ok"
