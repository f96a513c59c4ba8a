#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The TUI search benchmark (issue 11, Performance; docs/BENCH.md "Issue
# 11: the TUI's search"): a store of N generated families
# (kt-export-seed), a real kartotekad, an owner terminal logged in, and
# kartoteka-tui driven through a pseudo-terminal by kt-tui-search: the
# time from the last key of a typed burst to the redrawn result list
# (less the debounce), the TUI's peak memory and its CPU while idle.
# Prints figures; never fails on them. A program run by hand.
#   tests/bench/tui-search.sh BUILD_DIR [N] [ROUNDS]
#   (defaults: 1000000 families, 5 rounds of the queries)
set -euo pipefail
B=$(cd "${1:?usage: tui-search.sh BUILD_DIR [N] [ROUNDS]}" && pwd)
N=${2:-1000000}
ROUNDS=${3:-5}
KARTOTEKAD="$B/server/kartotekad"
KARTOTEKA="$B/client-cli/kartoteka"
T=$(mktemp -d "${TMPDIR:-/tmp}/kt-tui-bench.XXXXXX")
SPID=""
cleanup() {
	[ -n "$SPID" ] && kill -TERM "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
export LC_ALL=C.UTF-8

printf 'bench-owner-1\n' >"$T/pw"
"$KARTOTEKAD" init --data "$T/data" --owner owner --password-file "$T/pw" >/dev/null
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1   # branch 1
t0=$(date +%s.%N)
"$B/tests/kt-export-seed" --data "$T/data" --clients "$N" --branch 1 --manager 1 >/dev/null
t1=$(date +%s.%N)
echo "tui-search.sh: $(date -u '+%F %H:%M') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "seeded $N families in $(echo "$t1 - $t0" | bc) s; store $(du -sh "$T/data" | cut -f1)"

"$KARTOTEKAD" run --data "$T/data" --listen 127.0.0.1:0 >"$T/server.out" 2>"$T/server.err" &
SPID=$!
for _ in $(seq 1 400); do
	grep -q '^listening on ' "$T/server.out" 2>/dev/null && break
	sleep 0.05
done
ADDR=$(head -n 1 "$T/server.out" | sed 's/^listening on //')
code=$("$KARTOTEKAD" invite --data "$T/data" --advertise "$ADDR" | tail -n 1)
"$KARTOTEKA" --config "$T/c" enroll "$code" --name bench >/dev/null
"$KARTOTEKA" --config "$T/c" login owner --password-file "$T/pw" >/dev/null
# warm the store's pages once, as a desk that has been open a while
"$KARTOTEKA" --config "$T/c" client find "Иванова" >/dev/null

"$B/tests/kt-tui-search" --tui "$B/client-tui/kartoteka-tui" --config "$T/c" \
	--rounds "$ROUNDS" "ива" "смирн" "кузнецова" "петров" "соколова ан"
