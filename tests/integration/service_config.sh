#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kartotekad run --config FILE (kartotekad.conf(5)): a server configured
# by the file alone serves; the command line wins over the file; every
# line of the file is checked like its option, even one the command line
# overrides; unknown keys, bad values, repeated keys, NUL bytes and long
# lines are refused naming FILE:LINE, exit 2, nothing started.
. "$(dirname "$0")/lib.sh"
kt_init

# start_conf FILE [run options...]: kt_start, but only with what is given.
start_conf() {
	local conf=$1
	shift
	"$KARTOTEKAD" run --config "$conf" "$@" >"$T/server.out" 2>"$T/server.err" &
	SERVER_PID=$!
	wait_for "$T/server.out" '^listening on ' 20 "$SERVER_PID"
	ADDR=$(head -n 1 "$T/server.out" | sed 's/^listening on //')
}

# refused FILE MESSAGE [run options...]: the server exits 2 at once
# with MESSAGE (a fixed string) on stderr.
refused() {
	local conf=$1 msg=$2
	shift 2
	expect_rc 2 "$KARTOTEKAD" run --config "$conf" "$@"
	grep -qF -- "$msg" "$T/last.err" ||
		fail "expected '$msg', got: $(cat "$T/last.err")"
}

# The file alone: data, address, and values with spaces and quotes.
cat >"$T/k.conf" <<CONF
# kartotekad.conf for the test
data = $T/data
listen   =	127.0.0.1:0

max-connections = 16
session-idle = 20m
alert-command = "cat > '$T/alert.json' "
phone-country = 49
CONF
start_conf "$T/k.conf"
enroll_owner t
kt_stop || fail "server exit status $? after SIGTERM"
grep -q '^listening on 127\.0\.0\.1:' "$T/server.out" || fail "not on 127.0.0.1"

# The command line wins: the file's store does not exist, --data's does.
sed "s|^data = .*|data = $T/nowhere|" "$T/k.conf" >"$T/other.conf"
expect_rc 1 "$KARTOTEKAD" run --config "$T/other.conf"
grep -qF "cannot read the server keys in $T/nowhere" "$T/last.err" ||
	fail "the file's data was not used: $(cat "$T/last.err")"
start_conf "$T/other.conf" --data "$T/data"
enroll_owner t2
kt_stop || fail "server exit status $? after SIGTERM"

# A bad line is an error even where the command line overrides it.
printf 'data = %s\nlisten = 127.0.0.1\n' "$T/data" >"$T/bad.conf"
refused "$T/bad.conf" "kartotekad: $T/bad.conf:2: listen '127.0.0.1': expected HOST:PORT" \
	--listen 127.0.0.1:0

printf 'data = %s\n\nlisen = 127.0.0.1:0\n' "$T/data" >"$T/bad.conf"
refused "$T/bad.conf" "kartotekad: $T/bad.conf:3: unknown key 'lisen'"
# Options of other commands are not keys of this file.
printf 'data = %s\nowner = anna\n' "$T/data" >"$T/bad.conf"
refused "$T/bad.conf" "kartotekad: $T/bad.conf:2: unknown key 'owner'"
printf 'data = %s\nbackup-keep = 0\n' "$T/data" >"$T/bad.conf"
refused "$T/bad.conf" "kartotekad: $T/bad.conf:2: backup-keep '0': expected a number from 1 to 1000"
printf 'data = %s\ntime-zone = Mars/Olympus\n' "$T/data" >"$T/bad.conf"
refused "$T/bad.conf" "kartotekad: $T/bad.conf:2: time-zone: time zone 'Mars/Olympus'"
printf 'data = %s\nsession-idle = 1d\n' "$T/data" >"$T/bad.conf"
refused "$T/bad.conf" "kartotekad: $T/bad.conf:2: session-idle '1d': expected a duration"
printf 'listen = 127.0.0.1:0\ndata = %s\n# again:\nlisten = 127.0.0.1:7700\n' "$T/data" >"$T/bad.conf"
refused "$T/bad.conf" "kartotekad: $T/bad.conf:4: 'listen' is set again (first on line 1); keep one"
printf 'data = %s\nlisten = 127.0.0.1:\0000\n' "$T/data" >"$T/bad.conf"
refused "$T/bad.conf" "kartotekad: $T/bad.conf:2: a NUL byte in the line"
{ printf 'data = %s\nalert-command = ' "$T/data"; head -c 5000 /dev/zero | tr '\0' x; } >"$T/bad.conf"
refused "$T/bad.conf" "kartotekad: $T/bad.conf:2: longer than 4096 bytes"
printf 'data = %s\nalert-command = "logger x\n' "$T/data" >"$T/bad.conf"
refused "$T/bad.conf" "kartotekad: $T/bad.conf:2: 'alert-command': the value opens a quote it does not close"
printf 'data = %s\nlisten\n' "$T/data" >"$T/bad.conf"
refused "$T/bad.conf" "kartotekad: $T/bad.conf:2: expected \`key = value\`, got 'listen'"
refused "$T/missing.conf" "kartotekad: $T/missing.conf: No such file or directory"
refused "$T" "kartotekad: $T: Is a directory"
# The file is no place for a bad value the command line would refuse.
refused "$T/k.conf" "kartotekad: --max-connections '0': expected a number" --max-connections 0
# The default file, /etc/kartoteka/kartotekad.conf, is read when it exists
# and --config is not given. /etc is not ours to change: the check runs
# in a private mount namespace with an overlay over /etc (root only).
in_etc() {
	# in_etc FILE-CONTENT COMMAND...: runs COMMAND with FILE-CONTENT as
	# /etc/kartoteka/kartotekad.conf, seen by COMMAND only.
	local content=$1
	shift
	mkdir -p "$T/etc-up" "$T/etc-work"
	rm -rf "$T/etc-up/kartoteka"
	unshare -m --propagation private sh -c '
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1,workdir=$2" /etc || exit 99
		mkdir -p /etc/kartoteka && printf "%s\n" "$3" >/etc/kartoteka/kartotekad.conf || exit 99
		shift 3
		exec "$@"' sh "$T/etc-up" "$T/etc-work" "$content" "$@"
}
if [ "$(id -u)" -eq 0 ] && in_etc "" true 2>/dev/null; then
	expect_rc 2 in_etc "listen = 1.2.3" "$KARTOTEKAD" run --data "$T/data"
	grep -qxF "kartotekad: /etc/kartoteka/kartotekad.conf:1: listen '1.2.3': expected HOST:PORT with an IP address, e.g. 127.0.0.1:7700" \
		"$T/last.err" || fail "default file: $(cat "$T/last.err")"
	expect_rc 1 in_etc "data = $T/nowhere" "$KARTOTEKAD" run
	grep -qF "cannot read the server keys in $T/nowhere" "$T/last.err" ||
		fail "default file's data: $(cat "$T/last.err")"
	# With --config the default file is not read at all.
	expect_rc 1 in_etc "junk" "$KARTOTEKAD" run --config "$T/other.conf"
	grep -qF "cannot read the server keys in $T/nowhere" "$T/last.err" ||
		fail "--config and the default file: $(cat "$T/last.err")"
else
	echo "no private mount namespace: the default file is not checked"
fi

# --config is an option of run only.
expect_rc 2 "$KARTOTEKAD" invite --config "$T/k.conf" --data "$T/data"
grep -qF -- "--config is an option of \`kartotekad run\` only" "$T/last.err" ||
	fail "invite --config: $(cat "$T/last.err")"
echo "ok"
