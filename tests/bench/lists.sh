#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lists.sh: client list and client find of two kartotekad builds side by
# side in one run (docs/BENCH.md, "Issue 8"): each build gets its own
# store of BASE generated families and an owner terminal; then `list`
# (March birthdays, 20 rows), `find` (a surname prefix or a phone, by
# turns) and `segment` (families with a child born in March who is 4 to 6,
# one child meeting both: issue 9; a build before it answers the same
# request card by card) are run against each, interleaved, R times.
# Prints figures; never fails on them.
#   tests/bench/lists.sh BUILD BEFORE [RUNS] [SECONDS] [BASE]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BUILD BEFORE [RUNS] [SECONDS] [BASE]" >&2; exit 2; }
B1=$(cd "$1" && pwd) B2=$(cd "$2" && pwd)
RUNS=${3:-3} SECS=${4:-10} BASE=${5:-5000}
BENCH=$B1/tests/kartoteka-bench
T=$(mktemp -d /tmp/kt-lists.XXXXXX)
declare -A PID=()
cleanup() {
	for p in "${PID[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
start() {   # start LABEL BUILD
	local l=$1 b=$2 d=$T/$1 addr="" code
	mkdir -p "$d"
	printf 'bench-owner-pw\n' >"$d/owner.pw"
	"$b/server/kartotekad" init --data "$d/data" --owner owner --password-file "$d/owner.pw" >/dev/null
	"$b/server/kartotekad" run --data "$d/data" --listen 127.0.0.1:0 >"$d/out" 2>"$d/err" </dev/null &
	PID[$l]=$!
	for _ in $(seq 1 200); do
		grep -q '^listening on ' "$d/out" 2>/dev/null && { addr=$(head -n 1 "$d/out" | sed 's/^listening on //'); break; }
		sleep 0.05
	done
	[ -n "$addr" ] || { echo "$l: did not start" >&2; exit 1; }
	"$b/server/kartotekad" invite --data "$d/data" --branch Центр --advertise "$addr" >/dev/null 2>&1
	code=$("$b/server/kartotekad" invite --data "$d/data" --advertise "$addr" 2>/dev/null | tail -n 1)
	"$B1/client-cli/kartoteka" --config "$d/cfg" enroll "$code" --name "bench-$l" >/dev/null
	"$B1/client-cli/kartoteka" --config "$d/cfg" login owner --password-file "$d/owner.pw" >/dev/null
	"$BENCH" --config "$d/cfg" --connections 4 --pipeline 32 --branch Центр seed --clients "$BASE" >/dev/null
}
start build "$B1"
start before "$B2"
echo "lists.sh: $(date -u '+%F %H:%M') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), base $BASE, $SECS s runs"
echo "  build:  $B1"
echo "  before: $B2"
for r in $(seq 1 "$RUNS"); do
	for op in list find segment; do
		for l in build before; do
			sync; sleep 2
			line=$("$BENCH" --config "$T/$l/cfg" --connections 8 --seconds "$SECS" --ids "$BASE" "$op" 2>/dev/null | tail -n 1)
			printf '  run %d  %-7s %-6s  %s\n' "$r" "$op" "$l" "$line"
		done
	done
done
