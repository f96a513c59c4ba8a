#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The export benchmark (docs/BENCH.md, "Issue 8: export"): a store with N
# generated families (kt-export-seed), a real kartotekad, and
# `kartoteka export` of the whole base to a file, each under
# /usr/bin/time -v; prints rows per second and the peak memory (max RSS)
# of server and client. A program run by hand, not a test.
#   tests/bench/export.sh BUILD_DIR [N] [FORMAT] [RUNS]
#   (defaults: 1000000 families, csv, 3 exports of the same base)
set -euo pipefail
B=$(cd "${1:?usage: export.sh BUILD_DIR [N] [FORMAT]}" && pwd)
N=${2:-1000000}
FMT=${3:-csv}
RUNS=${4:-3}
KARTOTEKAD="$B/server/kartotekad"
KARTOTEKA="$B/client-cli/kartoteka"
SEED="$B/tests/kt-export-seed"
[ -x /usr/bin/time ] || { echo "export.sh: /usr/bin/time (package time) is needed" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/kt-export-bench.XXXXXX")
PID=""    # /usr/bin/time's
SPID=""   # the server's, its child: time does not pass signals on
cleanup() {
	if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then
		kill -TERM "$SPID"
		wait "$PID" || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT

printf 'bench-owner-1\n' >"$T/pw"
"$KARTOTEKAD" init --data "$T/data" --owner owner --password-file "$T/pw" >/dev/null
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1   # branch 1
t0=$(date +%s.%N)
"$SEED" --data "$T/data" --clients "$N" --branch 1 --manager 1
t1=$(date +%s.%N)
echo "seeded in $(echo "$t1 - $t0" | bc) s; store $(du -sh "$T/data" | cut -f1)"

/usr/bin/time -v -o "$T/server.time" "$KARTOTEKAD" run --data "$T/data" \
	--listen 127.0.0.1:0 >"$T/server.out" 2>"$T/server.err" &
PID=$!
for _ in $(seq 1 200); do
	grep -q '^listening on ' "$T/server.out" 2>/dev/null && break
	sleep 0.05
done
ADDR=$(head -n 1 "$T/server.out" | sed 's/^listening on //')
SPID=$(pgrep -P "$PID" -x kartotekad)
code=$("$KARTOTEKAD" invite --data "$T/data" --advertise "$ADDR" | tail -n 1)
"$KARTOTEKA" --config "$T/c" enroll "$code" --name bench >/dev/null
"$KARTOTEKA" --config "$T/c" login owner --password-file "$T/pw" >/dev/null

# Max RSS counts the pages of the store's map that the export touched
# (file pages, shared with the page cache); the server's own memory is its
# anonymous RSS, sampled here every 50 ms during each export.
anon() { sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$SPID/status"; }
sample() {
	local peak=0 v
	while kill -0 "$SPID" 2>/dev/null && [ ! -e "$T/done" ]; do
		v=$(anon)
		[ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
		sleep 0.05
	done
	echo "$peak" >"$T/anon.peak"
}
rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
# CPU time (user + system, clock ticks) of each server thread, "tid ticks"
# per line: on a shared machine the busiest thread's CPU time says what
# the export costs better than the wall clock does.
ticks() {
	local t
	for t in /proc/"$SPID"/task/*; do
		awk -v t="${t##*/}" '{ sub(/^.*\) /, ""); print t, $12 + $13 }' "$t/stat"
	done
}
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(free -g | awk '/^Mem:/ { print $2 }') GiB"
for run in $(seq 1 "$RUNS"); do
	rm -f "$T/done" "$T/base.out"
	before=$(anon)
	ticks >"$T/ticks.0"
	sample &
	SAMPLER=$!
	t0=$(date +%s.%N)
	/usr/bin/time -v -o "$T/client.time" "$KARTOTEKA" --config "$T/c" --timeout 600000 \
		export --format "$FMT" -o "$T/base.out" >"$T/export.out"
	t1=$(date +%s.%N)
	touch "$T/done"
	wait "$SAMPLER"
	ticks >"$T/ticks.1"
	hz=$(getconf CLK_TCK)
	busiest=$(join "$T/ticks.0" "$T/ticks.1" | awk '{ d = $3 - $2; if (d > m) m = d } END { print m + 0 }')
	total=$(join "$T/ticks.0" "$T/ticks.1" | awk '{ s += $3 - $2 } END { print s + 0 }')
	ccpu=$(sed -n 's/.*User time (seconds): //p; s/.*System time (seconds): //p' "$T/client.time" | paste -sd+ | bc)
	secs=$(echo "$t1 - $t0" | bc)
	rows=$(sed -n 's/^exported \([0-9]*\) clients.*/\1/p' "$T/export.out")
	echo "run $run: export --format $FMT: $rows clients, $(stat -c %s "$T/base.out") bytes in $secs s," \
		"$(echo "$rows / $secs" | bc) rows/s; server anonymous RSS $before KiB before," \
		"peak $(cat "$T/anon.peak") KiB; client max RSS $(rss "$T/client.time") KiB"
	echo "       CPU: server $(echo "scale=2; $total / $hz" | bc) s, its busiest thread" \
		"$(echo "scale=2; $busiest / $hz" | bc) s ($(echo "$rows * $hz / ($busiest + 1)" | bc) rows per" \
		"second of it); client $ccpu s"
done
kill -TERM "$SPID"
wait "$PID" || true
SPID=""
echo "server max RSS: $(rss "$T/server.time") KiB (whole run, with the store's mapped file pages)"
cat "$T/export.out"
