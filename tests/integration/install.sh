#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install (issue 12, item 2): `cmake --install` of the test build into a
# staging root (DESTDIR, so nothing outside $T is touched) puts the
# programs, man pages, catalogues, completions, guides and the service's
# unit and configuration where README.md says; the catalogue directory compiled into the
# programs is the install prefix's; the installed catalogue translates; the
# man pages render and name every command and option of the usage texts;
# and an install to the real root refuses when the Debian package is there.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)

prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$KT_BUILD/CMakeCache.txt")
[ -n "$prefix" ] || fail "no CMAKE_INSTALL_PREFIX in $KT_BUILD/CMakeCache.txt"
unitdir=$(sed -n 's/^KT_SYSTEMD_UNITDIR:[A-Z]*=//p' "$KT_BUILD/CMakeCache.txt")
if [ -z "$unitdir" ]; then
	case $prefix in /usr) unitdir=/lib/systemd/system ;; *) unitdir=/etc/systemd/system ;; esac
fi
R=$T/root
DESTDIR=$R cmake --install "$KT_BUILD" >"$T/install.out" 2>&1 ||
	{ cat "$T/install.out"; fail "cmake --install failed"; }

# --- the files, where they belong -----------------------------------------
P=$R$prefix
for f in bin/kartotekad bin/kartoteka bin/kartoteka-tui; do
	[ -x "$P/$f" ] || fail "$prefix/$f is not installed executable"
done
for f in share/man/man8/kartotekad.8.gz share/man/man1/kartoteka.1.gz \
	share/man/man1/kartoteka-tui.1.gz \
	share/bash-completion/completions/kartoteka \
	share/bash-completion/completions/kartoteka-tui \
	share/bash-completion/completions/kartotekad \
	share/locale/ru/LC_MESSAGES/kartoteka.mo \
	share/doc/kartoteka/README.md share/doc/kartoteka/README.ru.md \
	share/doc/kartoteka/ADMIN.md; do
	[ -f "$P/$f" ] || fail "$prefix/$f is not installed"
done
# The service's files, once server/systemd has them: the unit in
# KT_SYSTEMD_UNITDIR running this prefix's kartotekad and not starting
# before init; kartotekad.conf written once, so that a second install
# keeps the owner's edits (the package makes it a conffile instead).
if [ -f "$SRC/server/systemd/kartotekad.service.in" ]; then
	u=$R$unitdir/kartotekad.service
	[ -f "$u" ] || fail "the unit is not in $unitdir"
	grep -q "^ExecStart=$prefix/bin/kartotekad " "$u" || fail "the unit does not run $prefix/bin/kartotekad"
	grep -q '^ConditionPathExists=/var/lib/kartoteka/server.key$' "$u" ||
		fail "the unit would start before kartotekad init"
fi
if [ -f "$SRC/server/systemd/kartotekad.conf.example" ]; then
	conf=$R/etc/kartoteka/kartotekad.conf
	grep -q '^data = /var/lib/kartoteka$' "$conf" || fail "no /etc/kartoteka/kartotekad.conf with the data directory"
	echo "listen = 0.0.0.0:7700   # the owner's edit" >>"$conf"
	DESTDIR=$R cmake --install "$KT_BUILD" >"$T/install2.out" 2>&1 ||
		{ cat "$T/install2.out"; fail "the second cmake --install failed"; }
	grep -q "the owner's edit" "$conf" || fail "a second install overwrote kartotekad.conf"
fi
# Every docs/man page is built and installed, the kartotekad.conf(5) of
# the service included once it exists.
for src in "$SRC"/docs/man/*.scd; do
	page=$(basename "$src" .scd)
	[ -f "$P/share/man/man${page##*.}/$page.gz" ] ||
		fail "docs/man/$page.scd is not installed as man${page##*.}/$page.gz"
done
for src in "$SRC"/docs/man/ru/*.scd; do
	page=$(basename "$src" .scd)
	[ -f "$P/share/man/ru/man${page##*.}/$page.gz" ] ||
		fail "docs/man/ru/$page.scd is not installed as ru/man${page##*.}/$page.gz"
done
# Nothing of the tests (kt-export-seed, the benchmark) is installed.
extra=$(cd "$P/bin" && ls | grep -v -x -e kartotekad -e kartoteka -e kartoteka-tui || true)
[ -z "$extra" ] || fail "unexpected programs in $prefix/bin: $extra"
echo "installed: $(cd "$R" && find . -type f | wc -l) files under $prefix and $unitdir"


# --- the catalogue directory compiled in is the prefix's -------------------
grep -a -q -F "$prefix/share/locale" "$P/bin/kartoteka" ||
	fail "kartoteka does not look for catalogues in $prefix/share/locale"
# The server reads the catalogues too once it answers in the client's
# language (po/CMakeLists.txt): then from the same directory.
if grep -a -q -F "/share/locale" "$P/bin/kartotekad"; then
	grep -a -q -F "$prefix/share/locale" "$P/bin/kartotekad" ||
		fail "kartotekad does not look for catalogues in $prefix/share/locale"
fi
if locale -a 2>/dev/null | grep -qix 'ru_RU.utf8' && command -v gettext >/dev/null; then
	# The installed catalogue is one gettext reads: "en" is the language
	# code the clients send, "ru" in the Russian catalogue (po/ru.po).
	got=$(TEXTDOMAINDIR=$P/share/locale LANGUAGE=ru LC_ALL=ru_RU.UTF-8 \
		gettext -d kartoteka en)
	[ "$got" = ru ] || fail "the installed catalogue does not translate: '$got'"
else
	echo "no ru_RU.UTF-8 locale or no gettext here: the catalogue check is skipped"
fi
"$P/bin/kartoteka" --version | grep -q '^kartoteka ' || fail "installed kartoteka does not run"

# --- the man pages render, and name what the programs have ----------------
for m in "$P"/share/man/man*/*.gz "$P"/share/man/ru/man*/*.gz; do
	gzip -t "$m" || fail "$m is not valid gzip"
	if command -v man >/dev/null; then
		warn=$(MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null || true)
		[ -z "$warn" ] || fail "$(basename "$m"): $warn"
	fi
done
# Each page, English and Russian, names every command and option.
for dir in "$P/share/man" "$P/share/man/ru"; do
	[ -f "$dir/man1/kartoteka.1.gz" ] || continue
	k1=$(zcat "$dir/man1/kartoteka.1.gz")
	"$KARTOTEKA" --help | awk '/^Commands:/ { f = 1; next } /^$/ { f = 0 }
		f && /^  [a-z]/ { print $1, $2 }' | while read -r w1 w2; do
		if "$KARTOTEKA" help "$w1" | grep -q '^Commands:'; then c="$w1 $w2"; else c=$w1; fi
		grep -q -F "fB$c\\fR" <<<"$k1" || fail "$dir/man1/kartoteka.1 does not describe '$c'"
	done
	if [ -f "$dir/man8/kartotekad.8.gz" ]; then
		k8=$(zcat "$dir/man8/kartotekad.8.gz" | sed 's/\\-/-/g')
		for o in $("$KARTOTEKAD" --help | grep -o -- '--[a-z][-a-z]*' | sort -u); do
			grep -q -F -- "$o" <<<"$k8" || fail "$dir/man8/kartotekad.8 does not describe $o"
		done
	fi
	if [ -f "$dir/man1/kartoteka-tui.1.gz" ]; then
		t1=$(zcat "$dir/man1/kartoteka-tui.1.gz" | sed 's/\\-/-/g')
		for o in $("$KT_BUILD/client-tui/kartoteka-tui" --help | grep -o -- '--[a-z][-a-z]*' | sort -u); do
			grep -q -F -- "$o" <<<"$t1" || fail "$dir/man1/kartoteka-tui.1 does not describe $o"
		done
	fi
done

# --- no source build over the Debian package ------------------------------
mkdir -p "$T/fakebin"
cat >"$T/fakebin/dpkg-query" <<'EOT'
#!/bin/sh
[ "$1 $2" = "-s kartoteka" ] && { echo "Package: kartoteka"; echo "Status: install ok installed"; exit 0; }
exit 1
EOT
chmod +x "$T/fakebin/dpkg-query"
expect_rc 1 env -u DESTDIR PATH="$T/fakebin:$PATH" cmake \
	-DCMAKE_INSTALL_PREFIX=/usr/local -P "$SRC/cmake/KtNoMixCheck.cmake"
grep -q "The Debian package kartoteka is installed" "$T/last.err" ||
	fail "no refusal over the package: $(cat "$T/last.err")"
expect_rc 0 env -u DESTDIR KT_INSTALL_FORCE=1 PATH="$T/fakebin:$PATH" cmake \
	-DCMAKE_INSTALL_PREFIX=/usr/local -P "$SRC/cmake/KtNoMixCheck.cmake"
expect_rc 0 env DESTDIR=$T/x PATH="$T/fakebin:$PATH" cmake \
	-DCMAKE_INSTALL_PREFIX=/usr/local -P "$SRC/cmake/KtNoMixCheck.cmake"
echo "install: OK"
