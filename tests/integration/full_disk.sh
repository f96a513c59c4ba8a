#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A full store: with `--max-store-size 1M` (the stand-in for a small
# filesystem that every CI machine has; docs/SAFETY.md) cards are added
# until the server answers UNAVAILABLE "the server's disk is full". Then
# views, finds and lists are refused the same way (their audit entry does
# not fit, and no data leaves unaudited), while ping, whoami, logout and
# login still work (the store's reserve). Started again with room, every
# acknowledged card is there, the owner has the alert store.full, writes
# go through, and the audit chain verifies.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start --max-store-size 1M
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
enroll_owner o
. "$(dirname "$0")/full_disk_steps.sh"
fd_staff
fd_fill
# The owner's alert goes into the reserve (on the next tick).
wait_for "$T/server.err" "the owner has the alert store.full" 20 "$SERVER_PID"
fd_refused

# Room again: a start without the cap.
kt_stop || fail "server did not stop cleanly"
kt_start --listen "$ADDR"
expect_rc 0 cli o alerts
has "store.full .*the store reached its cap of 1 MiB"
fd_all_there
kt_stop || fail "server did not stop cleanly"
expect_rc 0 "$KARTOTEKAD" audit verify --data "$T/data"
echo "ok: $FD_N cards fitted in 1 MiB"
