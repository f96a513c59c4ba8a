#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --handshake-timeout: a peer that connects and sends nothing, or stops
# after handshake message 1 (waiting with message 2 read), is closed by
# the server; so is a key that is not enrolled even while it pings, since
# only enrolled terminals earn the idle time-out. An enrolled connection
# left alone for several handshake periods is not closed.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start --handshake-timeout 300
enroll_owner t

# kt-rawpeer waits up to 20 s for the close, and says so when it came.
expect_rc 0 "$RAWPEER" --config "$T/t" silent
grep -q "^silent: as expected" "$T/last.out" || fail "silent: $(cat "$T/last.out")"
expect_rc 0 "$RAWPEER" --config "$T/t" after-msg1
grep -q "^after-msg1: as expected" "$T/last.out" || fail "after-msg1: $(cat "$T/last.out")"

# A fresh key that is not enrolled: pings every 100 ms (a minute of them
# if nobody stops it) are answered, and still the server closes it.
peer_start stranger t unenrolled
peer_send stranger "ping-every 100 600"
peer_expect stranger '^closed by server after [0-9]+ pings$'

# An enrolled terminal that finished its handshake: five handshake
# periods of silence later it still answers.
peer_start term t
sleep 1.5
peer_send term ping
peer_expect term '^ping ok$'
peer_end term

# None of it disturbed the server.
expect_rc 0 cli t whoami
kt_stop || fail "server did not stop cleanly"
echo "ok"
