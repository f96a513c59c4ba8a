#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# workday.sh: the working day's figures at full size (docs/BENCH.md, "Issue
# 9 at full size"). A program run by hand, not a test: figures never fail.
#
# 1. The base (skipped when STORE already holds one): a store made by
#    kartotekad init with the bench's owner password, BRANCHES branches of
#    MANAGERS/BRANCHES managers each (through the protocol), then, with the
#    server stopped, FAMILIES families with two years of history and
#    NOTES more interactions each, written offline by kt-export-seed
#    --history --notes (tests/bench/history.h), in equal parts per manager.
# 2. A server on STORE, and in turns:
#      agenda   kartoteka-bench agenda of one manager (the owner asks, as
#               the head of sales does), one connection
#      segment  the first page of the March-birthday segment by person,
#               one connection
#      report   a branch's report over 12 months, one connection (when
#               the build has the op)
#      task     durable task_add at 50 connections
#      note     durable note_add at 50 connections
#    with the server's anonymous memory idle and at its peak under load.
# The note figure beside PostgreSQL's INSERT on a table of as many rows:
#   tests/bench/compare.sh --kt-store STORE --base FAMILIES \
#       --pg-interactions N BUILD
#
#   tests/bench/workday.sh BUILD STORE [FAMILIES [MANAGERS [NOTES]]]
#   (defaults: 1000000 families, 100 managers in 20 branches, 5 notes)
set -euo pipefail

B=$(cd "${1:?usage: workday.sh BUILD STORE [FAMILIES [MANAGERS [NOTES]]]}" && pwd)
STORE=${2:?usage: workday.sh BUILD STORE [FAMILIES [MANAGERS [NOTES]]]}
FAMILIES=${3:-1000000}
MANAGERS=${4:-100}
NOTES=${5:-5}
SECONDS_EACH=${WORKDAY_SECONDS:-10}
PER_BRANCH=5
for v in "$FAMILIES" "$MANAGERS" "$NOTES" "$SECONDS_EACH"; do
	case $v in '' | *[!0-9]*) echo "workday.sh: not a number: '$v'" >&2; exit 2 ;; esac
done
[ "$MANAGERS" -ge 1 ] && [ "$FAMILIES" -ge "$MANAGERS" ] ||
	{ echo "workday.sh: need FAMILIES >= MANAGERS >= 1" >&2; exit 2; }
BRANCHES=$(((MANAGERS + PER_BRANCH - 1) / PER_BRANCH))
KD="$B/server/kartotekad" KC="$B/client-cli/kartoteka"
BENCH="$B/tests/kartoteka-bench" SEED="$B/tests/kt-export-seed"
for x in "$KD" "$KC" "$BENCH" "$SEED"; do
	[ -x "$x" ] || { echo "workday.sh: no $x: build it first" >&2; exit 2; }
done
# The owner's password of every bench store (compare.sh --kt-store too).
OWNER_PW=bench-owner-pass-1

T=$(mktemp -d "${TMPDIR:-/tmp}/kt-workday.XXXXXX")
SPID=""
cleanup() {
	local rc=$?
	if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then
		kill -TERM "$SPID"
		wait "$SPID" 2>/dev/null || true
	fi
	[ "$rc" -ne 0 ] && [ -s "$T/server.err" ] && tail -n 8 "$T/server.err" >&2
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
printf '%s\n' "$OWNER_PW" >"$T/owner.pw"
printf 'bench-staff-pass-1\n' >"$T/staff.pw"
chmod 600 "$T/owner.pw" "$T/staff.pw"

start_server() {
	local i
	: >"$T/server.out"
	"$KD" run --data "$STORE" --listen 127.0.0.1:0 </dev/null \
		>"$T/server.out" 2>>"$T/server.err" &
	SPID=$!
	for i in $(seq 1 600); do
		grep -q '^listening on ' "$T/server.out" 2>/dev/null && break
		kill -0 "$SPID" 2>/dev/null || { echo "workday.sh: kartotekad died" >&2; exit 1; }
		sleep 0.1
	done
	ADDR=$(sed -n 's/^listening on //p' "$T/server.out" | head -n 1)
	[ -n "$ADDR" ] || { echo "workday.sh: kartotekad did not start" >&2; exit 1; }
	# A fresh owner terminal each run: the address is new each time.
	rm -rf "$T/cfg"
	"$KC" --config "$T/cfg" enroll "$("$KD" invite --data "$STORE" \
		--advertise "$ADDR" | tail -n 1)" --name workday >/dev/null
	"$KC" --config "$T/cfg" login owner --password-file "$T/owner.pw" >/dev/null
}

stop_server() {
	kill -TERM "$SPID"
	wait "$SPID" 2>/dev/null || true
	SPID=""
}

if [ ! -f "$STORE/workday.seeded" ]; then
	[ ! -e "$STORE" ] || [ -z "$(ls -A "$STORE")" ] ||
		{ echo "workday.sh: $STORE is not empty and not a workday base" >&2; exit 2; }
	echo "seeding: $FAMILIES families, $MANAGERS managers in $BRANCHES branches, history + $NOTES notes each..."
	"$KD" init --data "$STORE" --owner owner --password-file "$T/owner.pw" >/dev/null
	start_server
	for b in $(seq 1 "$BRANCHES"); do
		"$KC" --config "$T/cfg" branch add "B$b" >/dev/null
	done
	for m in $(seq 1 "$MANAGERS"); do
		"$KC" --config "$T/cfg" user add "m$m" --role manager \
			--branch "B$(((m - 1) / PER_BRANCH + 1))" \
			--password-file "$T/staff.pw" >/dev/null
	done
	stop_server
	t0=$(date +%s)
	per=$((FAMILIES / MANAGERS))
	for m in $(seq 1 "$MANAGERS"); do
		n=$per
		[ "$m" -eq "$MANAGERS" ] && n=$((FAMILIES - per * (MANAGERS - 1)))
		"$SEED" --data "$STORE" --history --notes "$NOTES" --clients "$n" \
			--first $(((m - 1) * per + 1)) --branch "B$(((m - 1) / PER_BRANCH + 1))" \
			--manager "m$m" >>"$T/seed.out"
	done
	echo "  seeded in $(($(date +%s) - t0)) s: $(awk '
		{ f += $1; i += $6; d += $8; w += substr($10, 2); t += $14 }
		END { printf "%d families, %d interactions, %d deals (%d won), %d tasks", f, i, d, w, t }
	' "$T/seed.out"); store $(du -sh "$STORE" | cut -f1)"
	touch "$STORE/workday.seeded"
fi

echo "workday.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), store $(du -sh "$STORE" | cut -f1)"
start_server
anon() { sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$SPID/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
PEAK=0
sample() { # until $T/stop exists: the peak of anon() into $T/peak
	local peak=0 v
	while [ ! -e "$T/stop" ]; do
		v=$(anon)
		[ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
		sleep 0.05
	done
	echo "$peak" >"$T/peak"
}
run() { # NAME BENCH-ARGS...: prints the figure line and the peak memory
	local name=$1 p spid
	shift
	rm -f "$T/stop" "$T/peak"
	sample &
	spid=$!
	"$BENCH" --config "$T/cfg" --seconds "$SECONDS_EACH" "$@" \
		</dev/null >"$T/$name.out" 2>"$T/$name.err" || true
	touch "$T/stop"
	wait "$spid"
	p=$(cat "$T/peak")
	[ "$p" -gt "$PEAK" ] && PEAK=$p
	printf '  %-8s %s  (server anon peak %s)\n' "$name" \
		"$(tail -n 1 "$T/$name.out")" "$(mib "$p")"
}
sleep 2
IDLE=$(anon)
echo "  server idle: anon $(mib "$IDLE")"
per=$((FAMILIES / MANAGERS))
run agenda --manager m1 agenda
run segment --branch B1 segment
if "$BENCH" --help 2>&1 | grep -q '^  report '; then
	run report --branch B1 report
fi
run task --connections 50 --ids "$FAMILIES" task
run note --connections 50 --ids "$FAMILIES" note
echo "  agenda of m1: $per clients of its own, $((per * PER_BRANCH)) in its branch"
echo "  server anon: idle $(mib "$IDLE"), peak under load $(mib "$PEAK")"
stop_server
