#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# compare.sh: kartotekad side by side with the references, in one run, on
# one machine (docs/BENCH.md, "Side by side with Redis and PostgreSQL"):
#
#   views  kartoteka-bench --connections 50 show   (audited full-card views,
#          each a durable LMDB group commit, on a store of 5,000 clients)
#     vs   redis-benchmark -t set -c 50 against a private redis-server with
#          --appendonly yes --appendfsync always
#   adds   kartoteka-bench --connections 8 seed    (durable client adds)
#     vs   pgbench -c 8 -j 2 of one INSERT into an indexed table of a
#          private PostgreSQL 15 cluster with fsync=on, synchronous_commit=on
#   notes  kartoteka-bench --connections 50 note   (durable, audited
#          interactions with random clients of the base)
#     vs   pgbench -c 50 -j 2 of one INSERT of an interaction row
#          (pg-note.sql) into the same cluster
#
# Runs are interleaved (reference, build, [before]) and repeated; the table
# gives the median, the spread and the ratio to the reference of each.
# Figures never fail the script: it exits 1 only when something could not
# be started or a run produced no figure, 2 on a usage error.
#
# At full size (docs/BENCH.md, "Issue 9 at full size"): --kt-store DIR
# starts each build's server on a copy of a base seeded offline
# (tests/bench/workday.sh), and --pg-interactions N fills PostgreSQL's
# interaction table with as many rows before the runs.
#
#   tests/bench/compare.sh [--runs R] [--seconds T] [--perf DIR] [BUILD [BEFORE]]
#   KT_BUILD=build KT_BUILD_BEFORE=/tmp/old-build tests/bench/compare.sh
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)

usage() {
	cat <<EOT
usage: tests/bench/compare.sh [options] [BUILD [BEFORE]]

  BUILD     build directory to measure (\$KT_BUILD, default $TOP/build)
  BEFORE    a second, e.g. older, build measured in the same run
            (\$KT_BUILD_BEFORE, default none)

  --runs R        repetitions of each figure, interleaved (\$COMPARE_RUNS, 3)
  --seconds T     length of each measured run (\$COMPARE_SECONDS, 10)
  --settle S      sync, then sleep S s before every run (\$COMPARE_SETTLE, 3)
  --base N        clients seeded before the runs (\$COMPARE_BASE, 5000);
                  with --kt-store, the clients the store holds
  --kt-store DIR  a stopped store seeded offline with the owner password
                  bench-owner-pass-1 (tests/bench/workday.sh): each build's
                  server runs on a copy of it instead of a seeded base
                  (\$COMPARE_KT_STORE)
  --pg-interactions N  rows put into PostgreSQL's interaction table
                  before the runs (\$COMPARE_PG_INTERACTIONS, 0)
  --seed-clients N  adds per seed run (\$SEED_CLIENTS; default: calibrated
                  to last about T s on BUILD)
  --redis-requests N  SETs per redis-benchmark run (\$REDIS_REQUESTS;
                  default: calibrated to last about T s)
  --perf DIR      after the table, profile each build's server with
                  perf record -g during one show and one seed run
                  (not counted) and write the reports to DIR (\$KT_PERF_DIR)
  --keep          keep the temporary directory (\$COMPARE_KEEP=1)

  \$KT_BENCH: the load generator used for every build (default
  BUILD/tests/kartoteka-bench), so that builds differ only in the server.
EOT
}

RUNS=${COMPARE_RUNS:-3}
DUR=${COMPARE_SECONDS:-10}
SETTLE=${COMPARE_SETTLE:-3}
BASE=${COMPARE_BASE:-5000}
SEED_N=${SEED_CLIENTS:-}
KT_STORE=${COMPARE_KT_STORE:-}
PG_INTERACTIONS=${COMPARE_PG_INTERACTIONS:-0}
REDIS_N=${REDIS_REQUESTS:-}
PERF_DIR=${KT_PERF_DIR:-}
KEEP=${COMPARE_KEEP:-0}
BUILD=${KT_BUILD:-$TOP/build}
BEFORE=${KT_BUILD_BEFORE:-}
VIEW_CONNS=50
ADD_CONNS=8
NOTE_CONNS=50
npos=0
while [ $# -gt 0 ]; do
	case $1 in
	--runs | --seconds | --settle | --base | --seed-clients | \
		--redis-requests | --perf | --kt-store | --pg-interactions)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		case $1 in
		--runs) RUNS=$2 ;;
		--seconds) DUR=$2 ;;
		--settle) SETTLE=$2 ;;
		--base) BASE=$2 ;;
		--seed-clients) SEED_N=$2 ;;
		--redis-requests) REDIS_N=$2 ;;
		--perf) PERF_DIR=$2 ;;
		--kt-store) KT_STORE=$2 ;;
		--pg-interactions) PG_INTERACTIONS=$2 ;;
		esac
		shift 2
		;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*)
		npos=$((npos + 1))
		case $npos in
		1) BUILD=$1 ;;
		2) BEFORE=$1 ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
		;;
	esac
done
for v in "$RUNS" "$DUR" "$SETTLE" "$BASE" "$PG_INTERACTIONS" ${SEED_N:+"$SEED_N"} ${REDIS_N:+"$REDIS_N"}; do
	case $v in
	'' | *[!0-9]*) echo "compare.sh: not a number: '$v'" >&2; exit 2 ;;
	esac
done
if [ "$RUNS" -lt 1 ] || [ "$DUR" -lt 1 ] || [ "$BASE" -lt 1 ]; then
	echo "compare.sh: --runs, --seconds and --base must be >= 1" >&2
	exit 2
fi

die() {
	echo "compare.sh: $*" >&2
	exit 1
}

# ---- binaries -------------------------------------------------------------

absdir() { (cd "$1" 2>/dev/null && pwd) || die "no such directory: $1"; }
BUILD=$(absdir "$BUILD")
LABELS=(build)
declare -A BDIR=([build]=$BUILD)
if [ -n "$BEFORE" ]; then
	BEFORE=$(absdir "$BEFORE")
	LABELS+=(before)
	BDIR[before]=$BEFORE
fi
BENCH=${KT_BENCH:-$BUILD/tests/kartoteka-bench}
[ -x "$BENCH" ] || die "no load generator at $BENCH (cmake --build $BUILD --target kartoteka-bench)"
for l in "${LABELS[@]}"; do
	for b in server/kartotekad client-cli/kartoteka; do
		[ -x "${BDIR[$l]}/$b" ] || die "no ${BDIR[$l]}/$b: build it first"
	done
done

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
need_pkgs=""
command -v redis-server >/dev/null || need_pkgs="$need_pkgs redis-server"
command -v redis-benchmark >/dev/null || need_pkgs="$need_pkgs redis-tools"
[ -x "$PGBIN/initdb" ] || need_pkgs="$need_pkgs postgresql-15"
[ -x "$PGBIN/pgbench" ] || need_pkgs="$need_pkgs postgresql-contrib"
command -v ss >/dev/null || need_pkgs="$need_pkgs iproute2"
if [ -n "$need_pkgs" ]; then
	[ "$(id -u)" -eq 0 ] || die "missing:$need_pkgs (apt-get install$need_pkgs)"
	echo "installing:$need_pkgs"
	apt-get update -qq </dev/null >/dev/null
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $need_pkgs </dev/null >/dev/null ||
		die "could not install$need_pkgs"
fi
if [ -n "$PERF_DIR" ]; then
	command -v perf >/dev/null || die "--perf needs perf (apt-get install linux-perf)"
	mkdir -p "$PERF_DIR"
	PERF_DIR=$(absdir "$PERF_DIR")
fi

# ---- temporary directory, servers, cleanup ---------------------------------

T=$(mktemp -d "${TMPDIR:-/tmp}/kt-compare.XXXXXX")
chmod 755 "$T" # the PostgreSQL user must reach its directory in here
mkdir -p "$T/res"
PIDS=()        # "name pid", stopped in reverse order
declare -A STOPSIG=()
FAILED=0

alive() {
	local s
	s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $s in '' | Z*) return 1 ;; esac
	return 0
}

stop_pid() { # NAME PID SIGNAL
	local name=$1 pid=$2 sig=$3 i
	alive "$pid" || return 0
	kill -"$sig" "$pid" 2>/dev/null || true
	for i in $(seq 1 200); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then
		echo "compare.sh: $name (pid $pid) did not stop in 20 s: SIGKILL" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
	local rc=$? i name pid f
	trap - EXIT INT TERM
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		read -r name pid <<<"${PIDS[$i]}"
		stop_pid "$name" "$pid" "${STOPSIG[$name]:-TERM}"
	done
	if [ "$rc" -ne 0 ]; then
		for f in "$T"/*/server.err "$T"/redis/redis.log "$T"/pg/server.log; do
			[ -s "$f" ] || continue
			echo "--- ${f#"$T"/} (last lines) ---" >&2
			tail -n 8 "$f" >&2
		done
	fi
	if [ "$KEEP" = 1 ]; then
		echo "kept $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
	local p i
	for i in $(seq 1 100); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if [ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	die "no free loopback port found"
}

settle() {
	sync
	sleep "$SETTLE"
}

now() { date +%s.%N; }

# ---- our server, per build --------------------------------------------------

declare -A KPID=() CFG=() NEXT=()

start_kt() { # LABEL
	local l=$1 d="$T/$1" kd="${BDIR[$1]}/server/kartotekad"
	local kc="${BDIR[$1]}/client-cli/kartoteka" i addr="" code
	mkdir -p "$d"
	printf 'bench-owner-pass-1\n' >"$d/owner.pw"
	chmod 600 "$d/owner.pw"
	if [ -n "$KT_STORE" ]; then
		# Each build writes to its own copy of the seeded base.
		cp -a --reflink=auto "$KT_STORE" "$d/data" 2>"$d/server.err" ||
			die "$l: could not copy $KT_STORE"
	else
		"$kd" init --data "$d/data" --owner owner --password-file "$d/owner.pw" \
			</dev/null >"$d/init.out" 2>"$d/server.err" ||
			die "$l: kartotekad init failed"
	fi
	"$kd" run --data "$d/data" --listen 127.0.0.1:0 \
		</dev/null >"$d/server.out" 2>>"$d/server.err" &
	KPID[$l]=$!
	PIDS+=("kartotekad-$l ${KPID[$l]}")
	for i in $(seq 1 200); do
		if grep -q '^listening on ' "$d/server.out" 2>/dev/null; then
			addr=$(head -n 1 "$d/server.out" | sed 's/^listening on //')
			break
		fi
		alive "${KPID[$l]}" || die "$l: kartotekad died at start"
		sleep 0.05
	done
	[ -n "$addr" ] || die "$l: kartotekad did not start"
	# The branch the cards go to (an invite for it creates it), then the
	# owner's own terminal: the owner logs in only from owner terminals.
	"$kd" invite --data "$d/data" --branch "Центр" --advertise "$addr" \
		</dev/null >/dev/null 2>>"$d/server.err" || die "$l: invite failed"
	code=$("$kd" invite --data "$d/data" --advertise "$addr" \
		</dev/null 2>>"$d/server.err" | tail -n 1) || die "$l: invite failed"
	"$kc" --config "$d/cfg" enroll "$code" --name "bench-$l" \
		</dev/null >"$d/enroll.out" 2>&1 || { cat "$d/enroll.out" >&2; die "$l: enroll failed"; }
	"$kc" --config "$d/cfg" login owner --password-file "$d/owner.pw" \
		</dev/null >"$d/login.out" 2>&1 || { cat "$d/login.out" >&2; die "$l: login failed"; }
	CFG[$l]=$d/cfg
	if [ -n "$KT_STORE" ]; then
		NEXT[$l]=$((BASE + 1))
		echo "  $l: kartotekad pid ${KPID[$l]} on $addr, on a copy of $KT_STORE ($(du -sh "$d/data" | cut -f1))"
		return 0
	fi
	"$BENCH" --config "$d/cfg" --connections 4 --pipeline 32 --branch Центр seed \
		--clients "$BASE" </dev/null >"$d/base-seed.out" 2>"$d/base-seed.err" ||
		{ tail -n 5 "$d/base-seed.err" >&2; die "$l: seeding $BASE clients failed"; }
	grep -q "^seed: $BASE clients in" "$d/base-seed.out" ||
		{ cat "$d/base-seed.out" >&2; die "$l: seeding $BASE clients: not all confirmed"; }
	NEXT[$l]=$(sed -n 's/.*the next run may start at --first \([0-9]*\).*/\1/p' "$d/base-seed.out")
	echo "  $l: kartotekad pid ${KPID[$l]} on $addr, $BASE clients seeded ($(tail -n 1 "$d/base-seed.out"))"
}

# Every run function sets FIG to "ops/s p50 p99 errors seconds total
# srv_us cli_us", or to "" when the run produced no figure. (Not echoed: a
# command substitution's subshell would lose what kt_seed keeps in NEXT.)
# srv_us, cli_us: CPU time per op of the server and of the load generator.
FIG=""
CLK=$(getconf CLK_TCK)

# CPU time in clock ticks of a process, its reaped children included
# (PostgreSQL's backends are reaped by the postmaster), and of what this
# script has reaped: the load generators.
ticks_of() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 + $14 + $15 }'; }
ticks_reaped() { sed 's/^.*) //' "/proc/$$/stat" | awk '{ print $14 + $15 }'; }
CPU_S0=0 CPU_C0=0
cpu_mark() { # SERVER-PID
	CPU_S0=$(ticks_of "$1")
	CPU_C0=$(ticks_reaped)
}
cpu_fig() { # SERVER-PID: appends srv_us and cli_us to FIG
	local s1 c1
	[ -n "$FIG" ] || return 0
	s1=$(ticks_of "$1")
	c1=$(ticks_reaped)
	FIG=$(echo "$FIG" | awk -v s="$((s1 - CPU_S0))" -v c="$((c1 - CPU_C0))" -v hz="$CLK" '
		{ n = $6 > 0 ? $6 : 1
		  printf "%s %.1f %.1f\n", $0, s * 1e6 / hz / n, c * 1e6 / hz / n }')
}

# bench_figures FILE: "ops/s p50 p99 errors seconds total" from
# kartoteka-bench's stdout, or nothing when it has no final line.
bench_figures() {
	awk '
		/^[a-z]+: [0-9.]+ s, .* ops, [0-9]+ errors$/ {
			secs = $2; errs = $(NF - 1); total = $(NF - 3)
		}
		/^[a-z]+: [0-9]+ ops\/s, p50 / {
			ops = $2; p50 = $5; p99 = $8; got = 1
		}
		END { if (got) printf "%s %s %s %s %s %s\n", ops, p50, p99, errs + 0, secs, total + 0 }
	' "$1"
}

record() { # FIGURE SYSTEM REP, of FIG
	set -- "$1" "$2" "$3" "$FIG"
	if [ -z "$4" ]; then
		echo "    run $3 $1 $2: FAILED (no figure)" >&2
		FAILED=1
		return 0
	fi
	echo "$4" >"$T/res/$1.$2.$3"
	local ops p50 p99 errs secs total srv cli
	read -r ops p50 p99 errs secs total srv cli <<<"$4"
	printf '    run %s  %-5s %-8s %7s ops/s  p50 %7s ms  p99 %7s ms  %s errors  %7s ops in %5s s  CPU/op: server %6s us, client %6s us\n' \
		"$3" "$1" "$2" "$ops" "$p50" "$p99" "$errs" "$total" "$secs" "$srv" "$cli"
}

kt_show() { # LABEL REP [SECONDS]
	local l=$1 o="$T/$1/show.$2"
	cpu_mark "${KPID[$l]}"
	"$BENCH" --config "${CFG[$l]}" --connections "$VIEW_CONNS" --ids "$BASE" \
		--seconds "${3:-$DUR}" show </dev/null >"$o.out" 2>"$o.err" || true
	FIG=$(bench_figures "$o.out")
	cpu_fig "${KPID[$l]}"
}

kt_note() { # LABEL REP [SECONDS]
	local l=$1 o="$T/$1/note.$2"
	cpu_mark "${KPID[$l]}"
	"$BENCH" --config "${CFG[$l]}" --connections "$NOTE_CONNS" --ids "$BASE" \
		--seconds "${3:-$DUR}" note </dev/null >"$o.out" 2>"$o.err" || true
	FIG=$(bench_figures "$o.out")
	cpu_fig "${KPID[$l]}"
}

kt_seed() { # LABEL REP CLIENTS
	local l=$1 o="$T/$1/seed.$2" next
	cpu_mark "${KPID[$l]}"
	"$BENCH" --config "${CFG[$l]}" --connections "$ADD_CONNS" --branch Центр seed \
		--clients "$3" --first "${NEXT[$l]}" </dev/null >"$o.out" 2>"$o.err" || true
	next=$(sed -n 's/.*the next run may start at --first \([0-9]*\).*/\1/p' "$o.out")
	[ -z "$next" ] || NEXT[$l]=$next
	FIG=$(bench_figures "$o.out")
	cpu_fig "${KPID[$l]}"
}

# ---- Redis ----------------------------------------------------------------

RPORT="" RPID=""
start_redis() {
	local i
	mkdir -p "$T/redis"
	RPORT=$(free_port)
	redis-server --port "$RPORT" --bind 127.0.0.1 --protected-mode yes \
		--daemonize no --appendonly yes --appendfsync always --save '' \
		--auto-aof-rewrite-percentage 0 --dir "$T/redis" \
		--logfile "$T/redis/redis.log" </dev/null >/dev/null 2>&1 &
	RPID=$!
	PIDS+=("redis-server $RPID")
	for i in $(seq 1 100); do
		[ "$(redis-cli -h 127.0.0.1 -p "$RPORT" ping 2>/dev/null)" = PONG ] && break
		alive "$RPID" || die "redis-server died at start (port $RPORT)"
		sleep 0.1
	done
	[ "$(redis-cli -h 127.0.0.1 -p "$RPORT" ping 2>/dev/null)" = PONG ] ||
		die "redis-server did not answer"
	echo "  redis: $(redis-server --version | awk '{print $3}') pid $RPID on 127.0.0.1:$RPORT, appendfsync $(redis-cli -h 127.0.0.1 -p "$RPORT" config get appendfsync | tail -n 1)"
}

redis_set() { # REP REQUESTS
	local o="$T/redis/set.$1" t0 t1
	cpu_mark "$RPID"
	t0=$(now)
	redis-benchmark -h 127.0.0.1 -p "$RPORT" -t set -c "$VIEW_CONNS" -n "$2" \
		--csv </dev/null >"$o.csv" 2>"$o.err" || true
	t1=$(now)
	FIG=$(awk -F'"' -v t0="$t0" -v t1="$t1" -v n="$2" '
		$2 == "SET" { rps = $4; p50 = $10; p99 = $14; got = 1 }
		END { if (got) printf "%.0f %s %s 0 %.2f %d\n", rps, p50, p99, t1 - t0, n }
	' "$o.csv")
	cpu_fig "$RPID"
}

# ---- PostgreSQL -----------------------------------------------------------

PGPORT="" PGPID=""
PGUSER_OS=""
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$PGUSER_OS" -- "$@"
	else
		"$@"
	fi
}
pg_psql() { "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

start_pg() {
	local pg="$T/pg" pid
	if [ "$(id -u)" -eq 0 ]; then
		PGUSER_OS=${PG_OS_USER:-postgres}
		if ! id "$PGUSER_OS" >/dev/null 2>&1; then
			PGUSER_OS=ktbench
			id ktbench >/dev/null 2>&1 ||
				useradd --system --no-create-home --shell /usr/sbin/nologin ktbench ||
				die "could not create user ktbench for PostgreSQL"
		fi
	else
		PGUSER_OS=$(id -un)
	fi
	mkdir -p "$pg/sock" "$pg/log"
	chown "$PGUSER_OS" "$pg" "$pg/sock"
	(cd "$pg" && as_pg "$PGBIN/initdb" -D "$pg/data" -U postgres -A trust \
		-E UTF8 --locale=C.UTF-8 -N) </dev/null >"$pg/initdb.log" 2>&1 ||
		{ tail -n 5 "$pg/initdb.log" >&2; die "initdb failed"; }
	PGPORT=$(free_port)
	cat >>"$pg/data/postgresql.conf" <<EOT
# compare.sh: private, fully durable
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$pg/sock'
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 60
EOT
	touch "$pg/server.log"
	chown "$PGUSER_OS" "$pg/server.log"
	(cd "$pg" && as_pg "$PGBIN/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w -t 60 start) \
		</dev/null >"$pg/pg_ctl.log" 2>&1 ||
		{ [ -f "$pg/data/postmaster.pid" ] && PIDS+=("postgres $(head -n 1 "$pg/data/postmaster.pid")"); die "PostgreSQL did not start"; }
	pid=$(head -n 1 "$pg/data/postmaster.pid")
	PGPID=$pid
	PIDS+=("postgres $pid")
	STOPSIG[postgres]=INT # fast shutdown
	pg_psql -v base="$BASE" -v interactions="$PG_INTERACTIONS" \
		-f "$HERE/pg-schema.sql" </dev/null >"$pg/schema.log" 2>&1 ||
		{ cat "$pg/schema.log" >&2; die "PostgreSQL schema failed"; }
	echo "  postgres: $(pg_psql -At -c 'SHOW server_version' </dev/null) pid $pid on 127.0.0.1:$PGPORT as $PGUSER_OS, fsync $(pg_psql -At -c 'SHOW fsync' </dev/null), synchronous_commit $(pg_psql -At -c 'SHOW synchronous_commit' </dev/null), $BASE rows, 7 indexes + primary key, $PG_INTERACTIONS interactions"
}

pg_insert() { pg_run insert pg-insert.sql "$ADD_CONNS" "$@"; } # REP SECONDS
pg_note() { pg_run note pg-note.sql "$NOTE_CONNS" "$@"; }        # REP SECONDS

pg_run() { # NAME SCRIPT CONNS REP SECONDS
	local o="$T/pg/$1.$4" lat p="$T/pg/log/$1-r$4" script=$2 conns=$3
	shift 3
	rm -f "$p".*
	cpu_mark "$PGPID"
	"$PGBIN/pgbench" -n -c "$conns" -j 2 -T "$2" -f "$HERE/$script" \
		-D base="$BASE" -h 127.0.0.1 -p "$PGPORT" -U postgres -l \
		--log-prefix="$p" postgres </dev/null >"$o.out" 2>"$o.err" || true
	# Per-transaction latencies (third column, microseconds) from the logs.
	lat=$(cat "$p".* 2>/dev/null | awk '{print $3}' | sort -n | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) exit
			i50 = int(0.50 * NR + 0.999999); i99 = int(0.99 * NR + 0.999999)
			printf "%.3f %.3f", v[i50] / 1000, v[i99] / 1000
		}')
	FIG=$(awk -v lat="$lat" -v secs="$2" '
		/^tps = / { tps = $3; got = 1 }
		/^number of transactions actually processed: / { total = $6 }
		/^number of failed transactions: / { failed = $5 }
		END { if (got && lat != "") printf "%.0f %s %d %s %d\n", tps, lat, failed + 0, secs, total }
	' "$o.out")
	sleep 0.5 # the postmaster reaps the backends: their CPU time counts
	cpu_fig "$PGPID"
	# Write the run's dirty pages now, not during the next run.
	pg_psql -c CHECKPOINT </dev/null >/dev/null 2>&1 || true
}

# ---- the run --------------------------------------------------------------

build_info() { # DIR
	local cache="$1/CMakeCache.txt" src type rev dirty
	type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache" 2>/dev/null)
	src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:[A-Z]*=//p' "$cache" 2>/dev/null)
	rev=$(git -C "${src:-/nonexistent}" rev-parse --short HEAD 2>/dev/null || echo "?")
	dirty=$(git -C "${src:-/nonexistent}" status --porcelain -uno 2>/dev/null | wc -l)
	[ "$dirty" -gt 0 ] && rev="$rev+dirty"
	echo "$1 (${type:-unknown type}, source ${src:-?} at $rev)"
	[ "$type" = Release ] || echo "    note: docs/BENCH.md figures are of a Release build" >&2
}

t_begin=$(date +%s)
echo "compare.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
for l in "${LABELS[@]}"; do echo "  $l: $(build_info "${BDIR[$l]}")"; done
echo "  load generator: $BENCH"
fs=$(stat -f -c %T "$T")
echo "  temporary directory: $T ($fs)"
[ "$fs" = tmpfs ] && echo "    note: $T is on tmpfs: fsync costs nothing there; set TMPDIR to a disk" >&2
echo "starting servers..."
start_redis
start_pg
for l in "${LABELS[@]}"; do start_kt "$l"; done

echo "warming up and calibrating (not counted)..."
settle
redis_set warm 5000
[ -n "$FIG" ] || die "redis-benchmark produced no figure (see $T/redis/set.warm.err)"
[ -n "$REDIS_N" ] ||
	REDIS_N=$(awk -v r="${FIG%% *}" -v d="$DUR" 'BEGIN { n = int(r * d / 1000 + 0.5) * 1000; print (n < 1000 ? 1000 : n) }')
pg_insert warm 2
[ -n "$FIG" ] || die "pgbench produced no figure (see $T/pg/insert.warm.err)"
for l in "${LABELS[@]}"; do
	kt_show "$l" warm 2
	[ -n "$FIG" ] || die "$l: the show warm-up produced no figure (see $T/$l/show.warm.err)"
done
pg_note warm 2
[ -n "$FIG" ] || die "pgbench produced no figure (see $T/pg/note.warm.err)"
for l in "${LABELS[@]}"; do
	kt_note "$l" warm 2
	[ -n "$FIG" ] || die "$l: the note warm-up produced no figure (see $T/$l/note.warm.err)"
done
warm_n=$((ADD_CONNS * 250)) # long enough to calibrate the seed runs by
for l in "${LABELS[@]}"; do
	kt_seed "$l" warm "$warm_n"
	[ -n "$FIG" ] || die "$l: the seed warm-up produced no figure (see $T/$l/seed.warm.err)"
	if [ -z "$SEED_N" ] && [ "$l" = build ]; then
		SEED_N=$(awk -v r="${FIG%% *}" -v d="$DUR" 'BEGIN { n = int(r * d / 100 + 0.5) * 100; print (n < 200 ? 200 : n) }')
	fi
done
echo "  redis-benchmark: $REDIS_N SETs per run; seed: $SEED_N adds per run; show, note and pgbench: $DUR s per run"

echo "measuring: $RUNS runs of each, interleaved, settle ${SETTLE}s before each..."
for r in $(seq 1 "$RUNS"); do
	settle; redis_set "$r" "$REDIS_N"; record views redis "$r"
	for l in "${LABELS[@]}"; do
		settle; kt_show "$l" "$r"; record views "$l" "$r"
	done
	settle; pg_insert "$r" "$DUR"; record adds postgres "$r"
	for l in "${LABELS[@]}"; do
		settle; kt_seed "$l" "$r" "$SEED_N"; record adds "$l" "$r"
	done
	settle; pg_note "$r" "$DUR"; record notes postgres "$r"
	for l in "${LABELS[@]}"; do
		settle; kt_note "$l" "$r"; record notes "$l" "$r"
	done
done

# ---- the table --------------------------------------------------------------

# stats FIGURE SYSTEM: "median min max spread% p50 p99 srv_us cli_us" over
# the runs (medians of each column).
stats() {
	cat "$T/res/$1.$2".* 2>/dev/null | awk '
		function med(a, n,   i, j, t) {
			for (i = 2; i <= n; i++) {
				t = a[i]
				for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
				a[j + 1] = t
			}
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		{ n++; o[n] = $1; p[n] = $2; q[n] = $3; sv[n] = $7; cl[n] = $8
		  if (n == 1 || $1 < lo) lo = $1
		  if (n == 1 || $1 > hi) hi = $1 }
		END {
			if (n == 0) { print "- - - - - - - -"; exit }
			m = med(o, n)
			printf "%.0f %.0f %.0f %.1f%% %.3f %.3f %.1f %.1f\n", m, lo, hi,
			    (m > 0 ? 100 * (hi - lo) / m : 0), med(p, n), med(q, n),
			    med(sv, n), med(cl, n)
		}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }

FMT='%-6s %-42s %7s  %-15s %6s  %7s %7s  %8s %8s  %s\n'
declare -A MED=()
row() { # FIGURE SYSTEM DESCRIPTION REF
	local m lo hi sp p50 p99 sv cl r
	read -r m lo hi sp p50 p99 sv cl <<<"$(stats "$1" "$2")"
	MED[$1.$2]=$m
	if [ "$2" = "$4" ]; then r="1.00 (ref)"; else r=$(ratio "$m" "${MED[$1.$4]}"); fi
	# shellcheck disable=SC2059
	printf "$FMT" "$1" "$3" "$m" "[$lo..$hi]" "$sp" "$p50" "$p99" "$sv" "$cl" "$r"
}

echo
echo "=== side by side: median of $RUNS interleaved runs; spread = (max-min)/median; CPU = CPU time per op ==="
# shellcheck disable=SC2059
printf "$FMT" figure system "ops/s" "[min..max]" spread "p50 ms" "p99 ms" "srv us" "cli us" "x ref"
row views redis "redis SET, appendfsync always, -c $VIEW_CONNS" redis
for l in "${LABELS[@]}"; do
	row views "$l" "kartotekad show (audited), -c $VIEW_CONNS [$l]" redis
done
row adds postgres "postgres INSERT, 8 indexes, sync, -c $ADD_CONNS" postgres
for l in "${LABELS[@]}"; do
	row adds "$l" "kartotekad seed (durable add), -c $ADD_CONNS [$l]" postgres
done
row notes postgres "postgres INSERT interaction, sync, -c $NOTE_CONNS" postgres
for l in "${LABELS[@]}"; do
	row notes "$l" "kartotekad note (audited), -c $NOTE_CONNS [$l]" postgres
done
if [ -n "$BEFORE" ]; then
	echo "build / before: views $(ratio "${MED[views.build]}" "${MED[views.before]}"), adds $(ratio "${MED[adds.build]}" "${MED[adds.before]}"), notes $(ratio "${MED[notes.build]}" "${MED[notes.before]}")"
fi
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg); measured part took $(($(date +%s) - t_begin)) s"

# ---- profiles (optional, not counted) ---------------------------------------

if [ -n "$PERF_DIR" ]; then
	echo
	echo "=== profiles: perf record -g of each server during one more show and seed run (not counted) ==="
	pev=cpu-clock
	perf stat -e instructions true 2>&1 | grep -q 'not supported' || pev=cycles
	for l in "${LABELS[@]}"; do
		for op in show seed; do
			settle
			f="$PERF_DIR/$l-$op"
			perf record -e "$pev" -F 499 -g -p "${KPID[$l]}" -o "$f.data" \
				</dev/null >"$f.record.log" 2>&1 &
			ppid=$!
			PIDS+=("perf $ppid")
			STOPSIG[perf]=INT
			sleep 1
			if [ "$op" = show ]; then
				kt_show "$l" perf
			else
				kt_seed "$l" perf "$SEED_N"
			fi
			stop_pid perf "$ppid" INT
			echo "--- $l $op under perf ($pev): ${FIG:-no figure} (ops/s p50 p99 errors s) ---"
			"$HERE/perf-summary.sh" "$f.data" >"$f.txt" 2>&1 || echo "    (perf-summary.sh failed)" >>"$f.txt"
			cat "$f.txt"
		done
	done
	echo "profiles and reports in $PERF_DIR"
fi

[ "$FAILED" -eq 0 ] || { echo "compare.sh: some runs produced no figure (logs: --keep)" >&2; exit 1; }
exit 0
