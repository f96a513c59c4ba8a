#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hostile peers: zero-length, oversized, truncated and garbage frames, a
# failed decryption, an undecodable request, an unknown op, a peer that
# stops mid-handshake. Each closes only its own connection.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
enroll_owner t
"$RAWPEER" --config "$T/t" stall 30 >"$T/stall.out" 2>&1 &
STALL_PID=$!
for mode in zero oversized truncated garbage bad-transport bad-protobuf unknown-op; do
	expect_rc 0 "$RAWPEER" --config "$T/t" "$mode"
	expect_rc 0 cli t whoami
done
grep -q stalling "$T/stall.out" || fail "staller did not start"
expect_rc 0 cli t ping
kill "$STALL_PID" 2>/dev/null || true
wait "$STALL_PID" 2>/dev/null || true
kt_stop
echo "ok"
