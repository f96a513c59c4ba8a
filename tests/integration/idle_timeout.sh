#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --idle-timeout: an enrolled, logged-in connection that sends nothing is
# closed by the server; one that keeps pinging, every 100 ms for four idle
# periods, is not, and still answers afterwards.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start --idle-timeout 1000
enroll_owner t

peer_start idle t
peer_send idle resume
peer_expect idle '^resume ok$'
peer_start busy t
peer_send busy resume
peer_expect busy '^resume ok$'

peer_send busy "ping-every 100 40"
# The idle one is closed meanwhile, with nothing asked of it.
peer_expect idle '^closed by server$'
peer_expect busy '^pinged 40$'
# Still open and still logged in after four idle periods.
peer_send busy whoami
peer_expect busy '^whoami ok owner$'
peer_send busy ping
peer_expect busy '^ping ok$'
peer_end busy
wait_exit "${PEER_PID[idle]}"
[ "$WAITED_RC" -eq 0 ] || fail "idle peer: $(cat "$T/idle.out")"

kt_stop || fail "server did not stop cleanly"
echo "ok"
