#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kartotekad as a systemd service, without systemd: READY=1 reaches
# $NOTIFY_SOCKET (a path, then an abstract '@' name) once the server
# listens, STOPPING=1 on SIGTERM; with $JOURNAL_STREAM naming its stderr
# every log line carries the journal's <N> level prefix; --log-level
# drops the levels below it. The listener is a few lines of python3.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || fail "python3 is needed for the notify listener"
kt_init

# listen_notify NAME OUT: a datagram listener on NAME ('@' = abstract)
# appending each message and a line "--" to OUT.
listen_notify() {
	kt_bg notify python3 -c '
import socket, sys
name, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name[1:] if name.startswith("@") else name)
open(out, "a").close()
while True:
    d = s.recv(4096)
    with open(out, "a") as f:
        f.write(d.decode() + "\n--\n")
' "$1" "$2"
	for _ in $(seq 1 200); do
		[ -f "$2" ] && return 0
		sleep 0.05
	done
	fail "the notify listener did not start: $(cat "$T/notify.out")"
}

# 1. A path socket, stderr as "the journal", every level.
listen_notify "$T/notify.sock" "$T/n1"
: >"$T/server.err"
KT_SERVER_ENV=(NOTIFY_SOCKET="$T/notify.sock"
	JOURNAL_STREAM="$(stat -c '%d:%i' "$T/server.err")")
kt_start --log-level debug
wait_for "$T/n1" '^READY=1$' 20 "$SERVER_PID"
# Ready means listening: the address was printed before.
grep -q '^listening on ' "$T/server.out" || fail "READY=1 before listening"
enroll_owner t
kt_stop || fail "server exit status $? after SIGTERM"
wait_for "$T/n1" '^STOPPING=1$' 20
[ "$(grep -c '=1$' "$T/n1")" -eq 2 ] || fail "expected READY=1, STOPPING=1: $(cat "$T/n1")"
grep -qx '<5>signal 15: stopping' "$T/server.err" || fail "no <5> stopping line"
grep -qx '<5>stopped' "$T/server.err" || fail "no <5> stopped line"
grep -qx '<7>told the service manager READY=1' "$T/server.err" || fail "no <7> debug line"
grep -Eq '^<6>[0-9]+ mutations in [0-9]+ commits' "$T/server.err" || fail "no <6> info line"
if grep -qv '^<[3-7]>' "$T/server.err"; then
	fail "a line without a level: $(grep -v '^<[3-7]>' "$T/server.err")"
fi

# 2. An abstract socket; a stderr that is not the one JOURNAL_STREAM
# names gets plain lines; --log-level warning drops notice and info.
kill -TERM "$BG_PID"
name="@kt-notify-$$-$RANDOM"
listen_notify "$name" "$T/n2"
KT_SERVER_ENV=(NOTIFY_SOCKET="$name" JOURNAL_STREAM="1:1")
kt_start --log-level warning
wait_for "$T/n2" '^READY=1$' 20 "$SERVER_PID"
kt_stop || fail "server exit status $? after SIGTERM"
wait_for "$T/n2" '^STOPPING=1$' 20
[ ! -s "$T/server.err" ] || fail "notice/info lines at --log-level warning: $(cat "$T/server.err")"

# 3. Without NOTIFY_SOCKET nothing is sent, and the plain lines are
# those of before (kartotekad: ...).
KT_SERVER_ENV=()
kt_start
kt_stop || fail "server exit status $? after SIGTERM"
grep -qx 'kartotekad: signal 15: stopping' "$T/server.err" || fail "plain line changed"
grep -qx 'kartotekad: stopped' "$T/server.err" || fail "plain line changed"
expect_rc 2 "$KARTOTEKAD" run --data "$T/data" --log-level loud
grep -qF "kartotekad: --log-level 'loud': expected error, warning, notice, info or debug" "$T/last.err" ||
	fail "--log-level loud: $(cat "$T/last.err")"
echo "ok"
