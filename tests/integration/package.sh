#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian package (issue 12, item 8): a temporary build configured for
# /usr, `cpack -G DEB`, then its contents and maintainer scripts read with
# dpkg-deb; then, when this machine allows it (root, unshare, overlayfs),
# a real `dpkg -i` into a throw-away copy of this machine's root (an
# overlay in a private mount namespace, chroot: nothing outside $T is
# written) that checks the user, the data directory, the unit enabled and
# not started, the README's path (init as the user kartoteka, a server, a
# terminal enrolled and logged in with the installed programs), the
# refusal over a /usr/local build, and that a purge keeps the store.
# debootstrap is not used: it needs the network.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
command -v dpkg-deb >/dev/null || fail "dpkg-deb is not installed"

# --- build the package -----------------------------------------------------
B=$T/build-deb
# CMAKE_SKIP_INSTALL_ALL_DEPENDENCY: cpack installs the targets built
# here, without building the tests of the whole tree first.
cmake -S "$SRC" -B "$B" -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >"$T/configure.log" 2>&1 ||
	{ tail -n 30 "$T/configure.log"; fail "configure for /usr failed"; }
cmake --build "$B" -j 2 --target kartotekad kartoteka kartoteka-tui \
	kt_man kt_translations >"$T/build.log" 2>&1 ||
	{ tail -n 30 "$T/build.log"; fail "build for /usr failed"; }
# A build for /usr/local is never packaged.
expect_rc 1 cpack --config "$KT_BUILD/CPackConfig.cmake" -B "$T/wrong" -G DEB
grep -q 'configured for /usr' "$T/last.err" "$T/last.out" ||
	fail "cpack of a /usr/local build was not refused: $(cat "$T/last.out" "$T/last.err")"
(cd "$B" && cpack -G DEB) >"$T/cpack.log" 2>&1 ||
	{ tail -n 30 "$T/cpack.log"; fail "cpack -G DEB failed"; }
DEB=$(ls "$B"/kartoteka_*.deb)
echo "built $(basename "$DEB"), $(stat -c %s "$DEB") bytes"

# --- contents --------------------------------------------------------------
dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' >"$T/files"
for f in /usr/bin/kartotekad /usr/bin/kartoteka /usr/bin/kartoteka-tui \
	/usr/share/man/man8/kartotekad.8.gz /usr/share/man/man1/kartoteka.1.gz \
	/usr/share/man/man1/kartoteka-tui.1.gz \
	/usr/share/bash-completion/completions/kartoteka \
	/usr/share/bash-completion/completions/kartotekad \
	/usr/share/locale/ru/LC_MESSAGES/kartoteka.mo \
	/usr/share/doc/kartoteka/README.md; do
	grep -q -x -F "$f" "$T/files" || fail "the package has no $f"
done
if grep -q '/local/' "$T/files"; then fail "the package has files in /usr/local: $(grep /local/ "$T/files")"; fi
if grep -q -x -F /etc/systemd/system/kartotekad.service "$T/files"; then
	fail "the package puts the unit in /etc/systemd/system (the admin's place)"
fi
# The unit comes from server/systemd once that exists; then it is packaged
# in /lib/systemd/system and runs the packaged binary.
HAS_UNIT=0
if [ -f "$SRC/server/systemd/kartotekad.service.in" ]; then
	HAS_UNIT=1
	grep -q -x -F /lib/systemd/system/kartotekad.service "$T/files" ||
		fail "the package has no /lib/systemd/system/kartotekad.service"
	dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./lib/systemd/system/kartotekad.service >"$T/unit"
	grep -q '^ExecStart=/usr/bin/kartotekad ' "$T/unit" || fail "the unit does not run /usr/bin/kartotekad"
	grep -q '^ConditionPathExists=/var/lib/kartoteka/server.key$' "$T/unit" ||
		fail "the packaged unit would start before kartotekad init"
fi
HAS_CONF=0
if [ -f "$SRC/server/systemd/kartotekad.conf.example" ]; then
	HAS_CONF=1
	grep -q -x -F /etc/kartoteka/kartotekad.conf "$T/files" ||
		fail "the package has no /etc/kartoteka/kartotekad.conf"
fi
mkdir -p "$T/x"
dpkg-deb -x "$DEB" "$T/x"
grep -a -q -F /usr/share/locale "$T/x/usr/bin/kartoteka" ||
	fail "the packaged kartoteka does not look for catalogues in /usr/share/locale"
echo "contents: $(grep -c . "$T/files") entries"


# --- control and maintainer scripts ----------------------------------------
dpkg-deb -I "$DEB" >"$T/info"
dpkg-deb -f "$DEB" Package | grep -q -x kartoteka || fail "package name"
deps=$(dpkg-deb -f "$DEB" Depends)
for d in adduser libsodium23 libuv1 liblmdb0 libncursesw6; do
	grep -q "\\b$d\\b" <<<"$deps" || fail "Depends lacks $d: $deps"
done
mkdir -p "$T/ctl"
dpkg-deb -e "$DEB" "$T/ctl"
for s in preinst postinst prerm postrm; do
	[ -x "$T/ctl/$s" ] || fail "no executable $s"
	sh -n "$T/ctl/$s" || fail "$s: syntax"
done
grep -q 'adduser .*--system' "$T/ctl/postinst" || fail "postinst makes no system user"
if [ "$HAS_CONF" -eq 1 ]; then
	grep -q -x -F /etc/kartoteka/kartotekad.conf "$T/ctl/conffiles" ||
		fail "kartotekad.conf is not a conffile"
fi
# Every file under /etc is a conffile (cmake/KtDebConffiles.cmake).
for f in $(grep '^/etc/.*[^/]$' "$T/files" || true); do
	grep -q -x -F "$f" "$T/ctl/conffiles" || fail "$f is not a conffile"
done
# Its commands, without comments and the message it prints: none starts
# the service (try-restart restarts only a server that runs).
sed -e '/<<EOT/,/^EOT/d' -e 's/#.*//' "$T/ctl/postinst" >"$T/postinst.code"
if grep -E -q '(systemctl|deb-systemd-invoke) +(--[a-z]+ +)*(start|restart|enable +--now)' "$T/postinst.code"; then
	fail "postinst starts the service: $(grep -E 'start' "$T/postinst.code")"
fi
# Every library the programs link directly comes from a package named
# in Depends (or provided by one), so a machine without the build's -dev
# packages gets them: the check a clean machine would make, done here.
dep_names=$(sed 's/([^)]*)//g; s/|/,/g' <<<"$deps" | tr ',' '\n' | tr -d ' ')
for bin in "$T"/x/usr/bin/*; do
	for lib in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		path=$(ldd "$bin" | awk -v l="$lib" '$1 == l { print $3 }')
		[ -n "$path" ] || fail "$(basename "$bin"): $lib not found"
		pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "$path" 2>/dev/null) ||
			fail "$(basename "$bin"): no package has $path"
		pkg=${pkg%%:*}
		names="$pkg $(dpkg-query -W -f='${Provides}' "$pkg" 2>/dev/null | sed 's/([^)]*)//g; s/,/ /g')"
		ok=0
		for n in $names; do
			grep -q -x -F -- "$n" <<<"$dep_names" && ok=1
		done
		[ "$ok" -eq 1 ] || fail "$(basename "$bin") needs $lib from $pkg, which Depends does not name: $deps"
	done
done
echo "control: Depends: $deps"

# --- a real install in a throw-away root ------------------------------------
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	echo "not root or no unshare: the install into a chroot is skipped"
	echo "package: OK (contents only)"
	exit 0
fi
mkdir -p "$T/ovl/upper" "$T/ovl/work" "$T/ovl/root"
cp "$DEB" "$T/ovl/kartoteka.deb"
cat >"$T/ovl/inside.sh" <<'EOT'
# Runs in the chroot: the package's life on a machine, as README.md tells.
set -u
exec 2>&1
step() { echo "== $*"; }
# This copy of the machine may have a source build in /usr/local (setup.sh
# demo): gone here, in the overlay only.
rm -f /usr/local/bin/kartoteka /usr/local/bin/kartoteka-tui /usr/local/bin/kartotekad \
	/etc/systemd/system/kartotekad.service
rm -rf /etc/systemd/system/kartotekad.service.d
dpkg --purge kartoteka >/dev/null 2>&1
userdel kartoteka >/dev/null 2>&1; groupdel kartoteka >/dev/null 2>&1
rm -rf /var/lib/kartoteka /etc/kartoteka

step "refused over a /usr/local build"
mkdir -p /usr/local/bin && printf '#!/bin/sh\n' >/usr/local/bin/kartotekad
printf '[Service]\nExecStart=/usr/local/bin/kartotekad run\n' >/etc/systemd/system/kartotekad.service
if dpkg -i /kartoteka.deb >/refused.out 2>&1; then echo "RESULT installed-over-local"; exit 1; fi
cat /refused.out
dpkg-query -W -f='${Status}\n' kartoteka 2>/dev/null | grep -q 'ok installed' && { echo "RESULT half-installed"; exit 1; }
dpkg --purge kartoteka >/dev/null 2>&1
rm -f /usr/local/bin/kartotekad /etc/systemd/system/kartotekad.service

step "install"
# Until server/systemd's unit is in the package, a stand-in, so that
# enabling is tried for real.
if [ "$HAS_UNIT" = 0 ]; then
	printf '[Unit]\nDescription=stand-in\n[Service]\nExecStart=/usr/bin/kartotekad run\n[Install]\nWantedBy=multi-user.target\n' \
		>/lib/systemd/system/kartotekad.service
fi
dpkg -i /kartoteka.deb || { echo "RESULT install-failed"; exit 1; }
step "user"
getent passwd kartoteka
getent group kartoteka
stat -c '%U:%G %a %n' /var/lib/kartoteka /etc/kartoteka
grep '^data = ' /etc/kartoteka/kartotekad.conf 2>/dev/null || echo "(no kartotekad.conf)"
step "enabled"
ls -l /etc/systemd/system/*.wants/kartotekad.service 2>/dev/null || echo "(no wants link)"
step "upgrade keeps disabled"
# as the owner would (systemctl works on the links without a running systemd)
systemctl disable kartotekad.service 2>&1 || rm -f /etc/systemd/system/multi-user.target.wants/kartotekad.service
dpkg -i /kartoteka.deb >/dev/null 2>&1 || { echo "RESULT reinstall-failed"; exit 1; }
ls /etc/systemd/system/*.wants/kartotekad.service >/dev/null 2>&1 && echo "enabled again" || echo "still disabled"
step "processes"
pgrep -x kartotekad >/dev/null && echo "kartotekad is running" || echo "none"
step "readme"
printf 'owner-pass-1\n' >/tmp/owner.pw && chmod 644 /tmp/owner.pw
runuser -u kartoteka -- kartotekad init --data /var/lib/kartoteka --owner owner \
	--password-file /tmp/owner.pw --advertise 127.0.0.1:1 >/tmp/init.out ||
	{ echo "RESULT init-failed"; cat /tmp/init.out; exit 1; }
stat -c '%U %n' /var/lib/kartoteka/*
runuser -u kartoteka -- kartotekad run --data /var/lib/kartoteka --listen 127.0.0.1:0 \
	>/tmp/server.out 2>/tmp/server.err &
spid=$!
for _ in $(seq 1 200); do grep -q '^listening on ' /tmp/server.out && break; sleep 0.05; done
addr=$(sed -n 's/^listening on //p' /tmp/server.out | head -n 1)
[ -n "$addr" ] || { echo "RESULT no-server"; cat /tmp/server.err; kill "$spid"; exit 1; }
code=$(runuser -u kartoteka -- kartotekad invite --data /var/lib/kartoteka --advertise "$addr" | tail -n 1)
kartoteka --config /root/office enroll "$code" --name office &&
	kartoteka --config /root/office login owner --password-file /tmp/owner.pw &&
	kartoteka --config /root/office whoami ||
	{ echo "RESULT cli-failed"; kill "$spid"; exit 1; }
kill "$spid"; wait "$spid"
step "purge"
dpkg --purge kartoteka || { echo "RESULT purge-failed"; exit 1; }
[ -f /var/lib/kartoteka/data.mdb ] && echo "store kept" || echo "store GONE"
[ -e /usr/bin/kartotekad ] && echo "binary left" || echo "binary removed"
echo "RESULT ok"
EOT
# The overlay lives only in this private mount namespace: the chroot's
# writes land in $T/ovl/upper and vanish with it. Its own PID namespace,
# so that the chroot's /proc shows its own processes only ("nothing
# started" is then a fact about the package, not about other tests).
unshare --mount --propagation private --pid --fork sh -c '
	set -e
	o=$1
	mount -t overlay overlay -o "lowerdir=/,upperdir=$o/upper,workdir=$o/work" "$o/root"
	mount --bind /dev "$o/root/dev"
	mount -t proc proc "$o/root/proc"
	cp "$o/kartoteka.deb" "$o/root/kartoteka.deb"
	cp "$o/inside.sh" "$o/root/inside.sh"
	chroot "$o/root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root HAS_UNIT=$2 \
		LC_ALL=C.UTF-8 sh /inside.sh
' sh "$T/ovl" "$HAS_UNIT" >"$T/chroot.out" 2>&1 || true
if ! grep -q '^RESULT' "$T/chroot.out"; then
	# No overlayfs or no mount namespace here (a container without
	# CAP_SYS_ADMIN): say so, the contents were checked.
	echo "the chroot install could not run here:"
	head -n 5 "$T/chroot.out"
	echo "package: OK (contents only)"
	exit 0
fi
cat "$T/chroot.out" | sed 's/^/  | /'
grep -q '^RESULT ok$' "$T/chroot.out" || fail "the install in the chroot failed"
grep -q 'a source build of Kartoteka is installed in /usr/local' "$T/chroot.out" ||
	fail "preinst did not refuse over a /usr/local build"
grep -q '^kartoteka:x:[0-9]*:[0-9]*:Kartoteka server[,]*:/var/lib/kartoteka:/usr/sbin/nologin$' "$T/chroot.out" ||
	fail "no system user kartoteka"
grep -q '^kartoteka:kartoteka 700 /var/lib/kartoteka$' "$T/chroot.out" || fail "/var/lib/kartoteka is not kartoteka's, 0700"
grep -q '^root:kartoteka 750 /etc/kartoteka$' "$T/chroot.out" || fail "/etc/kartoteka is not root:kartoteka 0750"
if [ "$HAS_CONF" -eq 1 ]; then
	grep -q '^data = /var/lib/kartoteka$' "$T/chroot.out" || fail "no kartotekad.conf with the data directory"
fi
grep -q '^kartoteka /var/lib/kartoteka/server.key$' "$T/chroot.out" || fail "the store made by init is not kartoteka's"
sed -n '/^== processes/,/^==/p' "$T/chroot.out" | grep -q '^none$' || fail "the service runs after install"
grep -q 'multi-user.target.wants/kartotekad.service' "$T/chroot.out" || fail "the unit is not enabled"
grep -q '^still disabled$' "$T/chroot.out" || fail "an upgrade enabled a unit the owner had disabled"
grep -q '^login: owner$' "$T/chroot.out" || fail "the installed client did not log in"
grep -q '^store kept$' "$T/chroot.out" || fail "purge removed the store"
grep -q '^binary removed$' "$T/chroot.out" || fail "purge left the programs"
echo "package: OK"
