# SPDX-License-Identifier: MIT
# Shared helpers for integration tests: a temporary data directory, a real
# server on 127.0.0.1 port 0, stopped by PID on exit whatever happens.
set -euo pipefail

: "${KT_BUILD:?KT_BUILD must point at the build directory}"
KARTOTEKAD="$KT_BUILD/server/kartotekad"
KARTOTEKA="$KT_BUILD/client-cli/kartoteka"
RAWPEER="$KT_BUILD/tests/kt-rawpeer"
# Messages in English unless a test asks for another language (then
# LC_ALL=ru_RU.UTF-8 on that command); catalogues from the build.
export KARTOTEKA_LOCALEDIR="$KT_BUILD/locale"
unset LANGUAGE LC_MESSAGES
export LC_ALL=C.UTF-8
T=$(mktemp -d "${TMPDIR:-/tmp}/kt-it.XXXXXX")
SERVER_PID=""
ADDR=""
OWNER_PW="owner-pass-1"
# Extra environment for the server process only (kt_use_faketime).
KT_SERVER_ENV=()
# Background helpers (kt_bg, peer_start), stopped by PID on exit.
KT_PIDS=()
# Filesystems a test mounted under $T (in its own mount namespace),
# unmounted on exit after the server has stopped.
KT_MOUNTS=()
declare -A PEER_PID=()

kt_cleanup() {
	local rc=$? pid running m
	# Only helpers still running as this shell's jobs: a PID that has
	# exited may belong to someone else by now.
	running=" $(jobs -pr | tr '\n' ' ') "
	for pid in "${KT_PIDS[@]}"; do
		case $running in *" $pid "*) kill -TERM "$pid" 2>/dev/null || true ;; esac
	done
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 1 100); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$SERVER_PID" 2>/dev/null || true
	fi
	if [ $rc -ne 0 ] && [ -f "$T/server.err" ]; then
		echo "--- server stderr ---" >&2
		tail -n 30 "$T/server.err" >&2
	fi
	for m in "${KT_MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$T"
}
trap kt_cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# kt_init: a new store with owner "owner".
kt_init() {
	printf '%s\n' "$OWNER_PW" >"$T/owner.pw"
	"$KARTOTEKAD" init --data "$T/data" --owner owner \
		--password-file "$T/owner.pw" >"$T/init.out"
}

# kt_start [run options...]: starts the server, sets SERVER_PID and ADDR.
kt_start() {
	env "${KT_SERVER_ENV[@]}" "$KARTOTEKAD" run --data "$T/data" --listen 127.0.0.1:0 "$@" \
		>"$T/server.out" 2>"$T/server.err" &
	SERVER_PID=$!
	for _ in $(seq 1 200); do
		if grep -q '^listening on ' "$T/server.out" 2>/dev/null; then
			ADDR=$(head -n 1 "$T/server.out" | sed 's/^listening on //')
			return 0
		fi
		kill -0 "$SERVER_PID" 2>/dev/null || fail "server died at start"
		sleep 0.05
	done
	fail "server did not start"
}

# kt_stop: SIGTERM and wait; returns the server's exit status.
kt_stop() {
	local rc=0
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID" || rc=$?
	SERVER_PID=""
	return $rc
}

# kt_invite [invite options...]: prints a new invite code for ADDR.
kt_invite() {
	"$KARTOTEKAD" invite --data "$T/data" --advertise "$ADDR" "$@" | tail -n 1
}

# cli CONFIGNAME args...: runs the CLI with config dir $T/CONFIGNAME.
cli() {
	local cfg=$1
	shift
	"$KARTOTEKA" --config "$T/$cfg" "$@"
}

# expect_rc RC command...: runs command, fails unless it exits with RC.
expect_rc() {
	local want=$1 got=0
	shift
	"$@" >"$T/last.out" 2>"$T/last.err" || got=$?
	if [ "$got" -ne "$want" ]; then
		echo "--- stdout ---" >&2; cat "$T/last.out" >&2
		echo "--- stderr ---" >&2; cat "$T/last.err" >&2
		fail "expected exit $want, got $got: $*"
	fi
}

# enroll_owner CONFIGNAME: enrolls a terminal with a fresh owner invite
# and logs in as the owner.
enroll_owner() {
	local code
	code=$(kt_invite)
	expect_rc 0 cli "$1" enroll "$code" --name "$1"
	expect_rc 0 cli "$1" login owner --password-file "$T/owner.pw"
}

# kt_use_faketime 'YYYY-MM-DD HH:MM:SS': the next kt_start runs the server
# (and nothing else) under libfaketime, its clock starting at that UTC time
# and running on, so timers and time-outs still work. Monotonic time stays
# real: libuv's timers use it. Fails when libfaketime is not installed.
kt_use_faketime() {
	local lib asan
	lib=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketimeMT\.so\.1$' | head -n 1) || true
	[ -n "$lib" ] && [ -f "$lib" ] ||
		fail "libfaketime is not installed (apt-get install libfaketime; setup.sh does)"
	# A server built with a shared ASan runtime (gcc) insists on it coming
	# first among the loaded libraries.
	asan=$(ldd "$KARTOTEKAD" | awk '/libasan/ { print $3 }') || true
	KT_SERVER_ENV=(LD_PRELOAD="${asan:+$asan:}$lib" FAKETIME="@$1" TZ=UTC
		FAKETIME_DONT_FAKE_MONOTONIC=1)
}

# wait_for FILE REGEX [SECONDS [PID]]: waits until a line of FILE matches
# (20 s by default), else fails showing FILE; with PID, fails as soon as
# that process has exited without writing the line.
wait_for() {
	local file=$1 re=$2 secs=${3:-20} pid=${4:-} i
	for i in $(seq 1 $((secs * 20))); do
		grep -Eq -- "$re" "$file" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			grep -Eq -- "$re" "$file" 2>/dev/null && return 0
			break
		fi
		sleep 0.05
	done
	echo "--- $file ---" >&2
	cat "$file" >&2 2>/dev/null || true
	fail "no line matching '$re' in $(basename "$file")"
}

# wait_exit PID [SECONDS]: waits for a child to exit (30 s by default) and
# sets WAITED_RC to its exit status; fails if it is still running.
WAITED_RC=0
wait_exit() {
	local pid=$1 secs=${2:-30} i
	for i in $(seq 1 $((secs * 20))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null && fail "process $pid still running after $secs s"
	WAITED_RC=0
	wait "$pid" || WAITED_RC=$?
}

# kt_bg NAME command...: runs command in the background, output in
# $T/NAME.out; sets BG_PID.
BG_PID=""
kt_bg() {
	local name=$1
	shift
	"$@" >"$T/$name.out" 2>&1 &
	BG_PID=$!
	KT_PIDS+=("$BG_PID")
}

# peer_try NAME CONFIGNAME [script args]: a kt-rawpeer in script mode on
# its own connection, reading commands from the FIFO $T/NAME.in, output in
# $T/NAME.out. It opens the FIFO read-write itself, so it never sees end of
# input (quit ends it) and this shell holds no descriptor that later
# children would inherit. Waits for the handshake: returns 0 when it is
# connected, 1 when the handshake failed (the peer has exited then).
peer_try() {
	local name=$1 cfg=$2
	shift 2
	mkfifo "$T/$name.in"
	"$RAWPEER" --config "$T/$cfg" script "$@" <>"$T/$name.in" >"$T/$name.out" 2>&1 &
	PEER_PID[$name]=$!
	KT_PIDS+=("$!")
	wait_for "$T/$name.out" '^(connected|handshake failed)$' 20 "${PEER_PID[$name]}"
	grep -q '^connected$' "$T/$name.out" && return 0
	wait_exit "${PEER_PID[$name]}"
	return 1
}

# peer_start NAME CONFIGNAME [script args]: peer_try that must connect.
peer_start() {
	peer_try "$@" || fail "$1: handshake failed: $(cat "$T/$1.out")"
}

# peer_send NAME LINE: one command to the peer. The FIFO is opened
# read-write so this never blocks, even when the peer has gone.
peer_send() {
	printf '%s\n' "$2" 1<>"$T/$1.in"
}

# peer_expect NAME REGEX: waits for the peer's next answer line (the
# first line after those already checked) and fails unless it matches.
declare -A PEER_SEEN=()
peer_expect() {
	local name=$1 re=$2 n line i
	n=$(( ${PEER_SEEN[$name]:-1} + 1 ))
	for i in $(seq 1 400); do
		line=$(sed -n "${n}p" "$T/$name.out")
		[ -n "$line" ] && break
		if ! kill -0 "${PEER_PID[$name]}" 2>/dev/null; then
			line=$(sed -n "${n}p" "$T/$name.out")
			break
		fi
		sleep 0.05
	done
	[ -n "$line" ] || fail "$name: no answer: $(cat "$T/$name.out")"
	PEER_SEEN[$name]=$n
	[[ $line =~ $re ]] || fail "$name: expected '$re', got '$line'"
}

# peer_end NAME: tells the peer to quit; waits for it to exit 0.
peer_end() {
	local name=$1
	peer_send "$name" quit
	wait_exit "${PEER_PID[$name]}"
	[ "$WAITED_RC" -eq 0 ] || fail "$name exited $WAITED_RC: $(cat "$T/$name.out")"
}

# audit_count ACTION: entries of that action in the whole audit log
# (columns: seq, date, time, user, action, object, outcome, detail).
audit_count() {
	"$KARTOTEKAD" audit tail --data "$T/data" --count 1000000 |
		awk -v a="$1" '$5 == a' | wc -l
}
