#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --max-connections 3: with three connections open, a fourth is accepted
# and closed at once (no handshake answer) and the refusal is logged on
# stderr; the three are still served; once one of them closes, a new
# connection gets in, and the count is back at the limit.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start --max-connections 3
enroll_owner t

peer_start c1 t
peer_start c2 t
peer_start c3 t

expect_rc 0 "$RAWPEER" --config "$T/t" refused
grep -q "^closed without a handshake answer" "$T/last.out" || fail "refused: $(cat "$T/last.out")"
# The real client says the server hung up during the handshake.
expect_rc 3 cli t ping
grep -q "closed the connection during the handshake" "$T/last.err" ||
	fail "ping over the limit: $(cat "$T/last.err")"
grep -q "refusing connection: 3 connections is the limit" "$T/server.err" ||
	fail "no refusal on the server's stderr: $(cat "$T/server.err")"

for c in c1 c2 c3; do
	peer_send "$c" ping
	peer_expect "$c" '^ping ok$'
done

# One leaves, and a new connection gets in. The server sees the close on
# its own time: until then a newcomer is refused (and the refusal
# logged), so try again until one is accepted.
peer_end c2
n=0
until peer_try "c4.$n" t; do
	n=$((n + 1))
	[ $n -lt 100 ] || fail "no connection accepted after one of three closed"
	sleep 0.2
done
# Three again (c1, c3 and the newcomer): a fourth is refused again.
expect_rc 0 "$RAWPEER" --config "$T/t" refused
for c in c1 c3 "c4.$n"; do
	peer_send "$c" ping
	peer_expect "$c" '^ping ok$'
	peer_end "$c"
done
kt_stop || fail "server did not stop cleanly"
echo "ok"
