#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Revoking a terminal closes its open connections and refuses its next
# handshake; other terminals keep working.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
enroll_owner keep
enroll_owner gone
"$RAWPEER" --config "$T/gone" hold >"$T/hold.out" 2>&1 &
HOLD_PID=$!
for _ in $(seq 1 200); do
	grep -q "connected" "$T/hold.out" 2>/dev/null && break
	sleep 0.05
done
grep -q "enrolled=1" "$T/hold.out" || fail "hold: $(cat "$T/hold.out")"
"$KARTOTEKAD" terminal list --data "$T/data" | grep -q "gone" || fail "terminal list"
expect_rc 0 "$KARTOTEKAD" terminal revoke --data "$T/data" gone
wait "$HOLD_PID" || fail "the revoked terminal's connection was not closed: $(cat "$T/hold.out")"
"$KARTOTEKAD" terminal list --data "$T/data" | grep "gone" | grep -q revoked || fail "list shows revoked"
# Its next handshake is refused.
rc=0; cli gone whoami >/dev/null 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "revoked terminal still works"
expect_rc 0 cli keep whoami
kt_stop
echo "ok"
