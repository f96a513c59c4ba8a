#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Enrolments pipelined on one connection count against
# --enroll-failures-per-minute like ones on separate connections (a bug
# once: the limiter was asked before any of them had failed, and counted a
# failure only while its connection was open, so all 60 were checked and
# audited). One connection sends 60 enrolments with made-up tokens in a
# single write; with a limit of 5, at most 5 may be looked at and audited
# (each costs an audit entry and a commit); the rest are refused unseen.
# Fresh connections' bad enrolments then use up what is left of the
# minute, and the address is refused before more than 5 were looked at.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start --enroll-failures-per-minute 5
code=$(kt_invite)
expect_rc 0 cli t enroll "$code" --name t
expect_rc 0 cli t login owner --password-file "$T/owner.pw"

expect_rc 0 "$RAWPEER" --config "$T/t" bad-enroll 60
cat "$T/last.out"
# The writer commits in order: once this owner write is answered, every
# enrolment queued before it is in the audit log.
expect_rc 0 cli t branch add after-the-burst
n=$(audit_count enroll.failed)
echo "enroll.failed entries after one pipelined burst of 60: $n"
[ "$n" -le 5 ] || fail "$n enroll.failed entries from one pipelined burst of 60; the limit is 5 a minute"

# One more bad enrolment per fresh connection until the address is
# refused: that must happen before the minute's budget of 5 is exceeded.
refused=0
for i in 1 2 3 4 5 6; do
	expect_rc 0 "$RAWPEER" --config "$T/t" bad-enroll 1
	if grep -q "unauthenticated 0 rate_limited 1 other 0" "$T/last.out"; then
		refused=1
		break
	fi
done
[ "$refused" -eq 1 ] || fail "six fresh bad enrolments after the burst, none refused"
expect_rc 0 cli t branch add after-the-fresh-ones
m=$(audit_count enroll.failed)
echo "enroll.failed entries in all: $m"
[ "$m" -le 5 ] || fail "$m enroll.failed entries from one address in a minute; the limit is 5"
kt_stop || fail "server did not stop cleanly"
echo "ok"
