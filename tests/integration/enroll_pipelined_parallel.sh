#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The variant of enroll_pipelined.sh with 16 connections from one address, each
# pipelining 10 enrolments with made-up tokens: with
# --enroll-failures-per-minute 5, at most 5 enrolments may be looked at
# and audited in all.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start --enroll-failures-per-minute 5
code=$(kt_invite)
expect_rc 0 cli t enroll "$code" --name t
expect_rc 0 cli t login owner --password-file "$T/owner.pw"

pids=()
for i in $(seq 1 16); do
	kt_bg "burst.$i" "$RAWPEER" --config "$T/t" bad-enroll 10
	pids+=("$BG_PID")
done
for pid in "${pids[@]}"; do
	wait_exit "$pid" 60
	[ "$WAITED_RC" -eq 0 ] || fail "burst peer: $(cat "$T"/burst.*.out)"
done
cat "$T"/burst.*.out | grep '^sent' | sort | uniq -c
# The writer commits in order: once this owner write is answered, every
# enrolment queued before it is in the audit log.
expect_rc 0 cli t branch add after-the-bursts
n=$(audit_count enroll.failed)
echo "enroll.failed entries after 16 pipelined bursts of 10: $n"
[ "$n" -le 5 ] || fail "$n enroll.failed entries from 16 connections pipelining 10 each; the limit is 5 a minute"
kt_stop || fail "server did not stop cleanly"
echo "ok"
