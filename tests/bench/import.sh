#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# import.sh: `kartoteka import` of a generated CSV side by side with
# PostgreSQL's COPY of the same file into an indexed table
# (docs/IMPORT.md, "Performance"). Prints both rates; never fails on a
# figure (exit 1 only when something could not be started, 2 on usage).
#
#   tests/bench/import.sh [--rows N] [--connections C] [BUILD]
#
# The file (tests/bench/import-gen.awk): one person a row, families
# grouped two rows to a card, UTF-8, ';'. kartotekad runs on a fresh
# store with its defaults (durable group commits); the import is the
# owner's, with every index, the history version and an audit entry per
# card. PostgreSQL 15 runs a private cluster with fsync=on and
# synchronous_commit=on; COPY is one transaction into pg-import.sql's
# table with five indexes.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
ROWS=1000000
CONNS=16
BUILD=${KT_BUILD:-$TOP/build}
while [ $# -gt 0 ]; do
	case $1 in
	--rows) ROWS=${2:?}; shift 2 ;;
	--connections) CONNS=${2:?}; shift 2 ;;
	-h | --help) sed -n '3,16p' "$0"; exit 0 ;;
	-*) echo "usage: $0 [--rows N] [--connections C] [BUILD]" >&2; exit 2 ;;
	*) BUILD=$1; shift ;;
	esac
done
case $ROWS$CONNS in *[!0-9]*) echo "import.sh: not a number" >&2; exit 2 ;; esac
die() { echo "import.sh: $*" >&2; exit 1; }
BUILD=$(cd "$BUILD" && pwd) || die "no build directory"
KTD=$BUILD/server/kartotekad
KT=$BUILD/client-cli/kartoteka
[ -x "$KTD" ] && [ -x "$KT" ] || die "build $BUILD first"
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
[ -x "$PGBIN/initdb" ] || die "no PostgreSQL 15 in $PGBIN (apt-get install postgresql-15)"

T=$(mktemp -d "${TMPDIR:-/tmp}/kt-import-bench.XXXXXX")
chmod 755 "$T"
KTPID="" PGDATA_DIR=""
cleanup() {
	local rc=$?
	if [ -n "$KTPID" ]; then
		kill -TERM "$KTPID" 2>/dev/null || true
		wait "$KTPID" 2>/dev/null || true
	fi
	if [ -n "$PGDATA_DIR" ] && [ -f "$PGDATA_DIR/postmaster.pid" ]; then
		as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
	fi
	[ $rc -eq 0 ] || { tail -n 5 "$T"/*.err "$T"/pg/server.log 2>/dev/null >&2 || true; }
	rm -rf "$T"
}
trap cleanup EXIT
now() { date +%s.%N; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# ---- the file ---------------------------------------------------------------
t0=$(now)
awk -v rows="$ROWS" -f "$HERE/import-gen.awk" >"$T/clients.csv"
echo "file: $ROWS rows, $(du -h "$T/clients.csv" | cut -f1), generated in $(secs "$t0" "$(now)") s"

# ---- PostgreSQL COPY ----------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
	PGUSER_OS=ktbench
	id ktbench >/dev/null 2>&1 ||
		useradd --system --no-create-home --shell /usr/sbin/nologin ktbench ||
		die "could not create user ktbench for PostgreSQL"
else
	PGUSER_OS=$(id -un)
fi
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u "$PGUSER_OS" -- "$@"; else "$@"; fi; }
mkdir -p "$T/pg/sock"
chown -R "$PGUSER_OS" "$T/pg"
chmod 644 "$T/clients.csv"
PGDATA_DIR=$T/pg/data
(cd "$T/pg" && as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 \
	--locale=C.UTF-8 -N) </dev/null >"$T/pg/initdb.log" 2>&1 || die "initdb failed"
PGPORT=$((20000 + RANDOM % 20000))
cat >>"$PGDATA_DIR/postgresql.conf" <<EOT
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$T/pg/sock'
fsync = on
synchronous_commit = on
full_page_writes = on
EOT
(cd "$T/pg" && as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$T/pg/server.log" -w -t 60 start) \
	</dev/null >/dev/null 2>&1 || die "PostgreSQL did not start"
psql_() { "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }
psql_ -f "$HERE/pg-import.sql" >/dev/null
sync
t0=$(now)
psql_ -c "SET datestyle = 'ISO, DMY'" \
	-c "\\copy person (name, phones, email, birth, children, branch) FROM '$T/clients.csv' WITH (FORMAT csv, DELIMITER ';', HEADER)" \
	>/dev/null
t1=$(now)
PG_S=$(secs "$t0" "$t1")
PG_N=$(psql_ -At -c "SELECT count(*) FROM person")
as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
PGDATA_DIR=""

# ---- kartotekad -----------------------------------------------------------------
printf 'bench-owner-pass-1\n' >"$T/owner.pw"
"$KTD" init --data "$T/kt" --owner owner --password-file "$T/owner.pw" >/dev/null
"$KTD" run --data "$T/kt" --listen 127.0.0.1:0 >"$T/kt.out" 2>"$T/kt.err" &
KTPID=$!
for _ in $(seq 1 100); do
	grep -q '^listening on ' "$T/kt.out" 2>/dev/null && break
	sleep 0.1
done
ADDR=$(sed -n 's/^listening on //p' "$T/kt.out")
[ -n "$ADDR" ] || die "kartotekad did not start"
"$KTD" invite --data "$T/kt" --branch Центр >/dev/null 2>&1
CODE=$("$KTD" invite --data "$T/kt" --advertise "$ADDR" | tail -n 1)
"$KT" --config "$T/cfg" enroll "$CODE" --name bench >/dev/null
"$KT" --config "$T/cfg" login owner --password-file "$T/owner.pw" >/dev/null
sync
t0=$(now)
"$KT" --config "$T/cfg" import "$T/clients.csv" --branch Центр --connections "$CONNS" \
	>"$T/import.out" 2>"$T/import.err" || die "import failed: $(tail -n 3 "$T/import.err")"
t1=$(now)
KT_S=$(secs "$t0" "$t1")
SUMMARY=$(grep '^imported ' "$T/import.out")
SEND_S=$(sed -n 's/.*refused (\([0-9.]*\) s)$/\1/p' <<<"$SUMMARY")
STORE=$(du -sh "$T/kt" | cut -f1)
kill -TERM "$KTPID" 2>/dev/null || true
wait "$KTPID" 2>/dev/null || true
KTPID=""

# ---- the figures ---------------------------------------------------------------------
echo
printf '%-48s %8s %12s\n' "" "seconds" "rows/s"
printf '%-48s %8s %12s\n' "PostgreSQL 15 COPY, 5 indexes, fsync ($PG_N rows)" "$PG_S" "$(rate "$ROWS" "$PG_S")"
printf '%-48s %8s %12s\n' "kartoteka import, end to end" "$KT_S" "$(rate "$ROWS" "$KT_S")"
printf '%-48s %8s %12s\n' "  of which sending (server checks, dedupe, commits)" "$SEND_S" "$(rate "$ROWS" "$SEND_S")"
echo "ratio kartoteka / COPY: $(awk -v a="$PG_S" -v b="$KT_S" 'BEGIN { printf "%.2f", a / b }')x"
echo "kartoteka: $SUMMARY; store $STORE"
grep 'mutations in' "$T/kt.err" || true
