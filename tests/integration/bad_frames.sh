#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hostile peers: zero-length, oversized, truncated and garbage frames, a
# failed decryption, an undecodable request, an unknown op, a peer that
# stops mid-handshake, a peer that hangs up with answers owed. Each closes
# only its own connection.
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
# A peer that hangs up with thousands of answers owed (EPIPE, not SIGPIPE).
hpids=()
for i in $(seq 1 8); do
	"$RAWPEER" --config "$T/t" hangup >"$T/hangup.$i" 2>&1 &
	hpids+=($!)
done
for pid in "${hpids[@]}"; do wait "$pid" || true; done
kill -0 "$SERVER_PID" || fail "server died after a peer hung up"
expect_rc 0 cli t whoami
grep -q stalling "$T/stall.out" || fail "staller did not start"
expect_rc 0 cli t ping
kill "$STALL_PID" 2>/dev/null || true
wait "$STALL_PID" 2>/dev/null || true
kt_stop
echo "ok"
