#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# 200 clients ping at once; every one gets its answer.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
enroll_owner t
pids=()
for i in $(seq 1 200); do
	"$KARTOTEKA" --config "$T/t" ping >"$T/ping.$i" 2>&1 &
	pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do
	wait "$pid" || failed=$((failed + 1))
done
[ "$failed" -eq 0 ] || fail "$failed of 200 pings failed: $(cat "$T"/ping.* | sort | uniq -c | head)"
kt_stop
echo "ok"
