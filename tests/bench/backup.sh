#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# backup.sh: a backup of a big base while it serves, side by side with the
# same load idle, and the restore (docs/BENCH.md, "Issue 10"). A program
# run by hand, not a test: figures never fail.
#
# 1. The base: STORE as tests/bench/workday.sh makes it (seeded by it,
#    with FAMILIES families, when STORE holds none).
# 2. A server on STORE; kartoteka-bench show (audited full views, each a
#    durable commit) at 50 connections for SECONDS: idle, then while
#    `kartoteka backup -o` streams the encrypted backup from the server
#    (the bench starts with the backup, and the script says whether the
#    backup was still running when the bench ended), then idle again.
# 3. The server stopped: `kartotekad backup verify` and `kartotekad
#    restore` of that file, timed.
#
#   tests/bench/backup.sh BUILD STORE [FAMILIES]   (default 1000000)
#   BACKUP_SECONDS=10 by default
set -euo pipefail

B=$(cd "${1:?usage: backup.sh BUILD STORE [FAMILIES]}" && pwd)
STORE=${2:?usage: backup.sh BUILD STORE [FAMILIES]}
FAMILIES=${3:-1000000}
SECS=${BACKUP_SECONDS:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
KD="$B/server/kartotekad" KC="$B/client-cli/kartoteka"
BENCH="$B/tests/kartoteka-bench"
for x in "$KD" "$KC" "$BENCH"; do
	[ -x "$x" ] || { echo "backup.sh: no $x: build it first" >&2; exit 2; }
done
if [ ! -f "$STORE/workday.seeded" ]; then
	WORKDAY_SECONDS=1 bash "$HERE/workday.sh" "$B" "$STORE" "$FAMILIES" >/dev/null
fi
OWNER_PW=bench-owner-pass-1     # workday.sh's

T=$(mktemp -d "${TMPDIR:-/tmp}/kt-backup-bench.XXXXXX")
SPID="" BPID=""
cleanup() {
	local rc=$?
	[ -n "$BPID" ] && kill "$BPID" 2>/dev/null
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
printf 'bench-backup-passphrase\n' >"$T/pp"

"$KD" run --data "$STORE" --listen 127.0.0.1:0 </dev/null \
	>"$T/server.out" 2>"$T/server.err" &
SPID=$!
for _ in $(seq 1 600); do
	grep -q '^listening on ' "$T/server.out" 2>/dev/null && break
	kill -0 "$SPID" 2>/dev/null || { echo "backup.sh: kartotekad died" >&2; exit 1; }
	sleep 0.1
done
ADDR=$(sed -n 's/^listening on //p' "$T/server.out" | head -n 1)
[ -n "$ADDR" ] || { echo "backup.sh: kartotekad did not start" >&2; exit 1; }
"$KC" --config "$T/cfg" enroll "$("$KD" invite --data "$STORE" \
	--advertise "$ADDR" | tail -n 1)" --name backup-bench >/dev/null
"$KC" --config "$T/cfg" login owner --password-file "$T/owner.pw" >/dev/null

echo "backup.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), store $(du -sh "$STORE" | cut -f1), $FAMILIES families"
show() { # NAME: the bench's figure line
	"$BENCH" --config "$T/cfg" --connections 50 --ids "$FAMILIES" \
		--seconds "$SECS" show </dev/null >"$T/$1.out" 2>"$T/$1.err" || true
	printf '  %-14s %s\n' "$1" "$(tail -n 1 "$T/$1.out")"
}
show "idle before"
t0=$(date +%s.%N)
"$KC" --config "$T/cfg" backup -o "$T/b.ktb" --passphrase-file "$T/pp" \
	</dev/null >"$T/backup.out" 2>"$T/backup.err" &
BPID=$!
show "during backup"
running=no
kill -0 "$BPID" 2>/dev/null && running=yes
wait "$BPID" || { echo "backup.sh: the backup failed: $(cat "$T/backup.err")" >&2; exit 1; }
BPID=""
t1=$(date +%s.%N)
echo "  backup over the protocol: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }'), $(stat -c %s "$T/b.ktb") bytes; still running when the loaded window ended: $running"
show "idle after"
kill -TERM "$SPID"
wait "$SPID" 2>/dev/null || true
SPID=""
timed() { # LABEL command...: runs it, prints the wall time
	local a b
	a=$(date +%s.%N)
	"$@" >"$T/timed.out" 2>&1 || { echo "backup.sh: $1 failed: $(cat "$T/timed.out")" >&2; exit 1; }
	b=$(date +%s.%N)
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f s", b - a }'
}
echo "  backup verify: $(timed "$KD" backup verify "$T/b.ktb" --passphrase-file "$T/pp")"
echo "  restore:       $(timed "$KD" restore --from "$T/b.ktb" --data "$T/restored" --passphrase-file "$T/pp") into $(du -sh "$T/restored" | cut -f1)"
