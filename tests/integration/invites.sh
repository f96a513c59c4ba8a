#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Invite codes are single use and expire; a malformed code is refused by
# the client with a clear reason.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start

code=$(kt_invite)
expect_rc 0 cli a enroll "$code" --name a
expect_rc 1 cli b enroll "$code" --name b
grep -qi "already used" "$T/last.err" || fail "reused invite: $(cat "$T/last.err")"

expired=$(kt_invite --ttl 0)
expect_rc 1 cli c enroll "$expired" --name c
grep -qi "expired" "$T/last.err" || fail "expired invite: $(cat "$T/last.err")"

expect_rc 2 cli d enroll "KT1-not-base64!!"
expect_rc 2 cli d enroll "hello"

# A branch invite makes a branch terminal.
bcode=$(kt_invite --branch "Центр")
expect_rc 0 cli e enroll "$bcode" --name e
grep -q "Центр" "$T/last.out" || fail "branch enroll: $(cat "$T/last.out")"
# The owner may not log in from a branch terminal (DESIGN 3): answered
# like a wrong password.
expect_rc 1 cli e login owner --password-file "$T/owner.pw"
grep -q "UNAUTHENTICATED: wrong login or password" "$T/last.err" || fail "owner at a branch desk: $(cat "$T/last.err")"
kt_stop
echo "ok"
