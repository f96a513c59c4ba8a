#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The two set-up commands of README.md:
#   bash setup.sh demo   install what is missing, build, install the build
#                        to /usr/local, start a demo server with a sample
#                        base and log a CLI terminal in
#   bash setup.sh test   install what is missing, build twice (normal and
#                        ASan+UBSan, warnings as errors) and run every test
# Debian 12; run as root (or with sudo available). Never prompts.
set -euo pipefail
cd "$(dirname "$0")"
TOP=$(pwd)
INSTALLED=0

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev
libuv1-dev libprotobuf-c-dev protobuf-c-compiler liblmdb-dev lmdb-utils
libsodium-dev libncurses-dev libcsv-dev libunistring-dev libcmocka-dev
libjansson-dev gettext tmux procps libfaketime tzdata libphonenumber-dev
libxlsxwriter-dev unzip libzip-dev libexpat1-dev locales scdoc
bash-completion"

install_deps() {
	local missing="" sudo=""
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "installing:$missing"
	$sudo apt-get update -qq </dev/null
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends $missing </dev/null >/dev/null
}

# ensure_locales: the Russian locale the clients run in (LANG=ru_RU.UTF-8)
# and the tests check; generated once. The server needs none: it reads
# its catalogues itself.
ensure_locales() {
	local sudo=""
	locale -a 2>/dev/null | grep -qix 'ru_RU.utf8' && return 0
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "generating the locale ru_RU.UTF-8"
	$sudo localedef -i ru_RU -c -f UTF-8 -A /usr/share/locale/locale.alias ru_RU.UTF-8
}

# build DIR [cmake options...]: quiet unless it fails.
build() {
	local dir=$1
	shift
	echo "building $dir $*"
	mkdir -p "$dir"
	if ! { cmake -S "$TOP" -B "$dir" -DKT_WERROR=ON "$@" &&
		cmake --build "$dir" -j "$(nproc)"; } >"$dir.log" 2>&1; then
		tail -n 40 "$dir.log"
		echo "build failed: full log in $dir.log" >&2
		return 1
	fi
}

cmd_test() {
	local rc=0
	install_deps
	ensure_locales
	build "$TOP/build"
	build "$TOP/build-asan" -DKT_SANITIZE=ON
	echo "=== tests: normal build ==="
	(cd "$TOP/build" && ctest --output-on-failure -j 2 -LE "^crash$" </dev/null) || rc=1
	echo "=== tests: ASan + UBSan build ==="
	(cd "$TOP/build-asan" &&
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j 2 -LE "^crash$" </dev/null) || rc=1
	return $rc
}

# install_local: `cmake --install build` to /usr/local, so that kartoteka,
# kartoteka-tui and kartotekad are on PATH with their man pages and bash
# completion (and the systemd unit in /etc/systemd/system, not enabled).
# Only the demo does it: `setup.sh test` changes nothing outside the tree.
# Skipped when the Debian package is installed: the two must not be mixed
# (README.md, "Install").
install_local() {
	local sudo=""
	if dpkg-query -s kartoteka 2>/dev/null | grep -q '^Status: install ok installed'; then
		echo "the Debian package kartoteka is installed: not installing this build to /usr/local"
		INSTALLED=0
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "installing to /usr/local (log in build-install.log)"
	if ! $sudo cmake --install "$TOP/build" >"$TOP/build-install.log" 2>&1; then
		tail -n 20 "$TOP/build-install.log"
		echo "install failed: full log in build-install.log" >&2
		return 1
	fi
	INSTALLED=1
}

# start_demo_server: starts kartotekad on the demo store in the background.
start_demo_server() {
	nohup "$K" run --data "$data" --listen "$addr" \
		>>"$TOP/demo/server.log" 2>&1 </dev/null &
	echo $! >"$TOP/demo/server.pid"
	for _ in $(seq 1 100); do
		[ "$(grep -c "^listening on" "$TOP/demo/server.log")" -ge "$1" ] && return 0
		sleep 0.1
	done
	cat "$TOP/demo/server.log"
	exit 1
}

# seed_demo: branches and staff through the protocol, then, with the server
# stopped, about 2,000 families with two years of history (calls,
# subscriptions, trial lessons, tasks) written straight into the store by
# kt-export-seed --history (tests/bench/history.h), so that a newcomer
# sees a living base and `agenda` and `report` have something to show.
# Runs once per demo store.
seed_demo() {
	local S="$TOP/build/tests/kt-export-seed"
	local spw="$TOP/demo/staff.password" pid
	printf 'demo-staff-1\n' >"$spw"
	chmod 600 "$spw"
	"$C" branch add "Центр" --address "ул. Ленина, 10" >/dev/null
	"$C" branch add "Север" --address "пр. Победы, 45" >/dev/null
	"$C" branch add "Юг" --address "ул. Садовая, 3" >/dev/null
	"$C" user add olga --role head --branch "Центр" --branch "Север" \
		--name "Ольга Петрова" --password-file "$spw" >/dev/null
	"$C" user add irina --role manager --branch "Центр" \
		--name "Ирина Смирнова" --password-file "$spw" >/dev/null
	"$C" user add maria --role manager --branch "Центр" \
		--name "Мария Козлова" --password-file "$spw" >/dev/null
	"$C" user add pavel --role manager --branch "Север" \
		--name "Павел Орлов" --password-file "$spw" >/dev/null
	"$C" user add elena --role manager --branch "Юг" \
		--name "Елена Волкова" --password-file "$spw" >/dev/null
	echo "seeding 2,000 families with two years of history..."
	pid=$(cat "$TOP/demo/server.pid")
	kill "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	# In turns, so that family K is card K on every machine (README
	# shows ids).
	"$S" --data "$data" --history --clients 350 --first 1 \
		--branch "Центр" --manager irina >/dev/null
	"$S" --data "$data" --history --clients 350 --first 351 \
		--branch "Центр" --manager maria >/dev/null
	"$S" --data "$data" --history --clients 650 --first 701 \
		--branch "Север" --manager pavel >/dev/null
	"$S" --data "$data" --history --clients 650 --first 1351 \
		--branch "Юг" --manager elena >/dev/null
	touch "$TOP/demo/seeded"
	start_demo_server 2
}

cmd_demo() {
	local data="$TOP/demo/data" cfg="$TOP/demo/terminal"
	local reception="$TOP/demo/reception"
	local pw="$TOP/demo/owner.password" addr="127.0.0.1:7700"
	local K="$TOP/build/server/kartotekad" C="$TOP/build/client-cli/kartoteka"
	install_deps
	ensure_locales
	build "$TOP/build"
	install_local
	mkdir -p "$TOP/demo"
	if [ -f "$TOP/demo/server.pid" ] && kill -0 "$(cat "$TOP/demo/server.pid")" 2>/dev/null; then
		echo "demo server already running (pid $(cat "$TOP/demo/server.pid"))"
	else
		if [ ! -f "$data/server.key" ]; then
			printf 'demo-owner-1\n' >"$pw"
			chmod 600 "$pw"
			"$K" init --data "$data" --owner owner --password-file "$pw" \
				--advertise "$addr" >"$TOP/demo/init.out"
		fi
		: >"$TOP/demo/server.log"
		start_demo_server 1
	fi
	export KARTOTEKA_CONFIG="$cfg"
	if [ ! -f "$cfg/server" ]; then
		"$C" enroll "$("$K" invite --data "$data" | tail -n 1)" \
			--name owner-office >/dev/null
	fi
	"$C" login owner --password-file "$pw" >/dev/null
	[ -f "$TOP/demo/seeded" ] || seed_demo
	# The reception desk of branch Центр, where manager irina works.
	if [ ! -f "$reception/server" ]; then
		"$C" --config "$reception" enroll \
			"$("$C" terminal invite --branch "Центр" | tail -n 1)" \
			--name reception-center >/dev/null
	fi
	"$C" --config "$reception" login irina --password-file "$TOP/demo/staff.password"
	"$C" --config "$reception" client list --limit 5
	local kcmd="build/client-cli/kartoteka" where="are in build/"
	if [ "$INSTALLED" -eq 1 ]; then
		kcmd="kartoteka"
		where="are installed in /usr/local (on PATH, with man pages and completion)"
	fi
	cat <<EOT

The demo server runs on $addr (pid $(cat "$TOP/demo/server.pid"), log
demo/server.log) with 3 branches, a head, 4 managers and 2,000 families.
The programs $where.
Two terminals are enrolled and logged in:

  demo/terminal    the owner's office  (owner, password in demo/owner.password)
  demo/reception   branch Центр        (manager irina, password in demo/staff.password)

Try, at the reception desk:

  export KARTOTEKA_CONFIG=$reception
  $kcmd client find Иван
  $kcmd client list --birth-month 3 --children
  $kcmd client show ID

Stop the server with: kill \$(cat demo/server.pid)
EOT
}

case "${1:-}" in
test) cmd_test ;;
demo) cmd_demo ;;
*)
	echo "usage: bash setup.sh demo|test" >&2
	exit 2
	;;
esac
