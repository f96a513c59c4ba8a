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
has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }
FULL="the server's disk is full: nothing was changed; tell the owner"

printf 'staff-pass-1\n' >"$T/s.pw"
expect_rc 0 cli o user add m1 --role manager --branch Центр --password-file "$T/s.pw"
expect_rc 0 cli c1 enroll "$(kt_invite --branch Центр)" --name c1
expect_rc 0 cli c1 login m1 --password-file "$T/s.pw"

# Fill it: the first refusal ends the loop.
: >"$T/acked"
full=0
for i in $(seq 1 20000); do
	rc=0
	cli o --json client add --branch Центр --title "Полные-$i" \
		--person "Анна;parent;;+7 9$(printf %09d "$i")" \
		--note "$(printf 'заметка %.0s' $(seq 1 20))" >"$T/last.out" 2>"$T/last.err" || rc=$?
	if [ "$rc" -eq 0 ]; then
		sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out" >>"$T/acked"
		continue
	fi
	err_has "UNAVAILABLE"
	err_has "$FULL"
	full=1
	break
done
[ "$full" -eq 1 ] || fail "the store never filled"
n=$(wc -l <"$T/acked")
[ "$n" -gt 10 ] || fail "only $n cards fitted"
id=$(head -n 1 "$T/acked")
wait_for "$T/server.err" "the store is full" 20 "$SERVER_PID"
# The owner's alert goes into the reserve (on the next tick).
wait_for "$T/server.err" "the owner has the alert store.full" 20 "$SERVER_PID"

# Nothing leaves without its audit entry.
expect_rc 1 cli o client show "$id"
err_has "$FULL"
expect_rc 1 cli o client find Полные
err_has "$FULL"
expect_rc 1 cli o client list
err_has "$FULL"
expect_rc 1 cli c1 client add --title "Ещё одни"
err_has "$FULL"
# The session's own ops still work.
expect_rc 0 cli o ping
expect_rc 0 cli c1 whoami
has "m1"
expect_rc 0 cli c1 logout
expect_rc 0 cli c1 login m1 --password-file "$T/s.pw"

# Room again: a start without the cap.
kt_stop || fail "server did not stop cleanly"
kt_start --listen "$ADDR"
expect_rc 0 cli o alerts
has "store.full .*the store reached its cap of 1 MiB"
expect_rc 0 cli c1 client add --title "Ещё одни"
expect_rc 0 cli o export --format csv -o "$T/all.csv"
while read -r id; do
	grep -q "^$id,Полные-" "$T/all.csv" || fail "acknowledged card $id is missing"
done <"$T/acked"
kt_stop || fail "server did not stop cleanly"
expect_rc 0 "$KARTOTEKAD" audit verify --data "$T/data"
echo "ok: $n cards fitted in 1 MiB"
