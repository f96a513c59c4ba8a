# SPDX-License-Identifier: MIT
# Shared helpers for integration tests: a temporary data directory, a real
# server on 127.0.0.1 port 0, stopped by PID on exit whatever happens.
set -euo pipefail

: "${KT_BUILD:?KT_BUILD must point at the build directory}"
KARTOTEKAD="$KT_BUILD/server/kartotekad"
KARTOTEKA="$KT_BUILD/client-cli/kartoteka"
RAWPEER="$KT_BUILD/tests/kt-rawpeer"
T=$(mktemp -d "${TMPDIR:-/tmp}/kt-it.XXXXXX")
SERVER_PID=""
ADDR=""
OWNER_PW="owner-pass-1"

kt_cleanup() {
	local rc=$?
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
	"$KARTOTEKAD" run --data "$T/data" --listen 127.0.0.1:0 "$@" \
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
