#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --stop-grace: at SIGTERM a plain idle connection is closed, and one with
# answers owed that it never reads (a slow reader, blocked) does not keep
# the server from exiting: after the grace period the server closes it
# and exits 0.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start --stop-grace 1000
enroll_owner t

kt_bg slow "$RAWPEER" --config "$T/t" slow-reader
SLOW_PID=$BG_PID
wait_for "$T/slow.out" '^blocked after [0-9]+ requests$' 90 "$SLOW_PID"
peer_start idle t
peer_send idle resume
peer_expect idle '^resume ok$'

kill -TERM "$SERVER_PID"
peer_expect idle '^closed by server$'
wait_exit "$SERVER_PID" 60
SERVER_PID=""
[ "$WAITED_RC" -eq 0 ] || fail "server exit status $WAITED_RC after SIGTERM"
grep -q "stopping" "$T/server.err" || fail "no 'stopping' line"
grep -q "stopped" "$T/server.err" || fail "no 'stopped' line"

wait_exit "$SLOW_PID" 30
[ "$WAITED_RC" -eq 0 ] || fail "slow reader: $(cat "$T/slow.out")"
wait_exit "${PEER_PID[idle]}"
[ "$WAITED_RC" -eq 0 ] || fail "idle peer: $(cat "$T/idle.out")"
"$KARTOTEKAD" audit verify --data "$T/data" >"$T/v.out" || fail "audit verify after stop"
echo "ok"
