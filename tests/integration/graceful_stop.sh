#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SIGTERM with requests in flight: a login already read is answered (and
# its audit entry committed) before the server exits 0. Logins pipelined
# behind it on the same connection are refused at once (RATE_LIMITED).
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
enroll_owner t
expect_rc 0 "$RAWPEER" --config "$T/t" stop-inflight "$SERVER_PID" owner "$OWNER_PW" 8
rc=0
wait "$SERVER_PID" || rc=$?
SERVER_PID=""
[ $rc -eq 0 ] || fail "server exit status $rc after SIGTERM"
grep -q "stopped" "$T/server.err" || fail "no 'stopped' line"
"$KARTOTEKAD" audit verify --data "$T/data" >"$T/v.out" || fail "audit verify after stop"
echo "ok"
