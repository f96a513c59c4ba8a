#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A slow reader: a peer that pipelines pings and never reads an answer.
# The answers pile up on the server until it stops reading that peer, so
# the peer's writes block for good; meanwhile other connections are
# served as usual; once no answer has gone out for --idle-timeout, or the
# peer has kept the server from reading it that long (a kernel may take a
# few bytes of answers now and then into a window nobody reads), the
# server closes the slow reader, and carries on.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start --idle-timeout 5000
enroll_owner t

kt_bg slow "$RAWPEER" --config "$T/t" slow-reader
SLOW_PID=$BG_PID
# kt-rawpeer prints this once its writes have not moved for a second.
wait_for "$T/slow.out" '^blocked after [0-9]+ requests$' 90 "$SLOW_PID"

# While it is stuck, others are served.
for _ in 1 2 3; do
	expect_rc 0 cli t ping
	expect_rc 0 cli t whoami
done
peer_start other t
peer_send other "ping-every 10 20"
peer_expect other '^pinged 20$'
peer_end other

# Then the server gives up on it: the peer sees the connection closed
# while its writes were still blocked (they never moved again).
wait_exit "$SLOW_PID" 90
[ "$WAITED_RC" -eq 0 ] || fail "slow reader: $(cat "$T/slow.out")"
grep -q "^closed by server after [0-9]* requests, [0-9]* bytes after blocking$" "$T/slow.out" ||
	fail "slow reader: $(cat "$T/slow.out")"

kill -0 "$SERVER_PID" || fail "server died"
expect_rc 0 cli t ping
kt_stop || fail "server did not stop cleanly"
echo "ok"
