#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The systemd unit as CMake configured it (BUILD/server/systemd/
# kartotekad.service): the keys of the sandbox and of readiness are there,
# ExecStart names the installed kartotekad and its configuration file,
# `systemd-analyze verify` accepts it and `systemd-analyze security`
# rates it at most 2.0 (when systemd-analyze is installed). The example
# configuration names every option of `kartotekad run`, and with all its
# keys uncommented is a configuration the server starts with.
. "$(dirname "$0")/lib.sh"
UNIT="$KT_BUILD/server/systemd/kartotekad.service"
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
EXAMPLE="$SRC/server/systemd/kartotekad.conf.example"
[ -f "$UNIT" ] || fail "no configured unit $UNIT"

cache() { sed -n "s/^$1:[A-Z]*=//p" "$KT_BUILD/CMakeCache.txt"; }
prefix=$(cache CMAKE_INSTALL_PREFIX)
bindir=$(cache CMAKE_INSTALL_BINDIR)
case $bindir in /*) ;; *) bindir="$prefix/$bindir" ;; esac

if grep -n '@[A-Z_]*@' "$UNIT"; then fail "unsubstituted variables in $UNIT"; fi
for line in \
	"Type=notify" \
	"ExecStart=$bindir/kartotekad run --config /etc/kartoteka/kartotekad.conf" \
	"User=kartoteka" "Group=kartoteka" \
	"StateDirectory=kartoteka" "Restart=on-failure" \
	"ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" \
	"NoNewPrivileges=yes" "PrivateDevices=yes" \
	"ProtectKernelTunables=yes" "ProtectKernelModules=yes" \
	"ProtectKernelLogs=yes" "ProtectControlGroups=yes" \
	"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" \
	"SystemCallFilter=@system-service" "MemoryDenyWriteExecute=yes" \
	"LockPersonality=yes" "CapabilityBoundingSet=" \
	"ReadWritePaths=/var/lib/kartoteka" \
	"ReadWritePaths=-/var/backups/kartoteka" \
	"ConditionPathExists=/var/lib/kartoteka/server.key" \
	"WantedBy=multi-user.target"; do
	grep -qxF -- "$line" "$UNIT" || fail "$UNIT has no line '$line'"
done

if command -v systemd-analyze >/dev/null; then
	# The binary need not be installed here: check a copy that runs
	# the build's.
	sed "s|^ExecStart=$bindir/kartotekad |ExecStart=$KARTOTEKAD |" "$UNIT" \
		>"$T/kartotekad.service"
	systemd-analyze verify --man=no "$T/kartotekad.service" >"$T/verify.out" 2>&1 ||
		fail "systemd-analyze verify: $(cat "$T/verify.out")"
	systemd-analyze security --offline=yes "$T/kartotekad.service" \
		>"$T/security.out" 2>&1 || fail "systemd-analyze security: $(cat "$T/security.out")"
	score=$(sed -n 's/.*Overall exposure level for kartotekad.service: \([0-9.]*\).*/\1/p' "$T/security.out")
	[ -n "$score" ] || fail "no score: $(tail -n 3 "$T/security.out")"
	awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' ||
		fail "exposure $score, above 2.0: $(grep '✗' "$T/security.out")"
	echo "systemd-analyze security: $score"
else
	echo "systemd-analyze not installed: verify and security not run"
fi

# Every option of `kartotekad run` (its usage text) is a key of the
# example, and of kartotekad.conf(5).
keys=$("$KARTOTEKAD" --help | sed -n '/^  run /,/^  invite /{/^  invite /!p}' |
	grep -o -- '--[a-z][a-z-]*' | sed 's/^--//' | grep -vx config | sort -u)
[ "$(wc -l <<<"$keys")" -ge 20 ] || fail "too few run options found: $keys"
for k in $keys; do
	grep -Eq "^#?$k = " "$EXAMPLE" || fail "the example has no key $k"
	grep -q "^\*$k\* = " "$SRC/docs/man/kartotekad.conf.5.scd" ||
		fail "kartotekad.conf(5) has no key $k"
done

# All keys set at once: the server starts with them (paths the test's).
kt_init
printf 'backup-pass-1\n' >"$T/backup.pass"
sed 's/^#\([a-z-]* = \)/\1/' "$EXAMPLE" | sed \
	-e "s|^data = .*|data = $T/data|" \
	-e "s|^listen = .*|listen = 127.0.0.1:0|" \
	-e "s|^backup-dir = .*|backup-dir = $T/backups|" \
	-e "s|^backup-passphrase-file = .*|backup-passphrase-file = $T/backup.pass|" \
	-e "s|^alert-command = .*|alert-command = \"cat >/dev/null\"|" >"$T/all.conf"
[ "$(grep -c '^[a-z]' "$T/all.conf")" -eq "$(wc -l <<<"$keys")" ] ||
	fail "the example sets keys that are not options: $(grep '^[a-z]' "$T/all.conf")"
"$KARTOTEKAD" run --config "$T/all.conf" >"$T/server.out" 2>"$T/server.err" &
SERVER_PID=$!
wait_for "$T/server.out" '^listening on 127\.0\.0\.1:' 20 "$SERVER_PID"
wait_for "$T/server.err" '^kartotekad: backup written: ' 20 "$SERVER_PID"
kt_stop || fail "server exit status $? after SIGTERM"
echo "ok"
