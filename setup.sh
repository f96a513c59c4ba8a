#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The two set-up commands of README.md:
#   bash setup.sh demo   install what is missing, build, start a demo server
#                        with a sample base and log a CLI terminal in
#   bash setup.sh test   install what is missing, build twice (normal and
#                        ASan+UBSan, warnings as errors) and run every test
# Debian 12; run as root (or with sudo available). Never prompts.
set -euo pipefail
cd "$(dirname "$0")"
TOP=$(pwd)

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev
libuv1-dev libprotobuf-c-dev protobuf-c-compiler liblmdb-dev lmdb-utils
libsodium-dev libncurses-dev libcsv-dev libunistring-dev libcmocka-dev
libjansson-dev gettext tmux procps"

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
	build "$TOP/build"
	build "$TOP/build-asan" -DKT_SANITIZE=ON
	echo "=== tests: normal build ==="
	(cd "$TOP/build" && ctest --output-on-failure -j 2 </dev/null) || rc=1
	echo "=== tests: ASan + UBSan build ==="
	(cd "$TOP/build-asan" &&
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j 2 </dev/null) || rc=1
	return $rc
}

cmd_demo() {
	local data="$TOP/demo/data" cfg="$TOP/demo/terminal"
	local pw="$TOP/demo/owner.password" addr="127.0.0.1:7700"
	install_deps
	build "$TOP/build"
	mkdir -p "$TOP/demo"
	if [ -f "$TOP/demo/server.pid" ] && kill -0 "$(cat "$TOP/demo/server.pid")" 2>/dev/null; then
		echo "demo server already running (pid $(cat "$TOP/demo/server.pid"))"
	else
		if [ ! -f "$data/server.key" ]; then
			printf 'demo-owner-1\n' >"$pw"
			chmod 600 "$pw"
			"$TOP/build/server/kartotekad" init --data "$data" \
				--owner owner --password-file "$pw" --advertise "$addr" \
				>"$TOP/demo/init.out"
		fi
		nohup "$TOP/build/server/kartotekad" run --data "$data" \
			--listen "$addr" >"$TOP/demo/server.log" 2>&1 </dev/null &
		echo $! >"$TOP/demo/server.pid"
		for _ in $(seq 1 100); do
			grep -q "^listening on" "$TOP/demo/server.log" && break
			sleep 0.1
		done
		grep -q "^listening on" "$TOP/demo/server.log" ||
			{ cat "$TOP/demo/server.log"; exit 1; }
	fi
	export KARTOTEKA_CONFIG="$cfg"
	if [ ! -f "$cfg/server" ]; then
		"$TOP/build/client-cli/kartoteka" enroll \
			"$("$TOP/build/server/kartotekad" invite --data "$data" | tail -n 1)" \
			--name demo-terminal
	fi
	"$TOP/build/client-cli/kartoteka" login owner --password-file "$pw"
	"$TOP/build/client-cli/kartoteka" whoami
	cat <<EOT

The demo server runs on $addr (pid $(cat "$TOP/demo/server.pid"), log
demo/server.log). This shell's terminal is enrolled and logged in as the
owner (password in demo/owner.password). Try:

  export KARTOTEKA_CONFIG=$cfg
  build/client-cli/kartoteka ping
  build/client-cli/kartoteka whoami

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
