#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bash completion (issue 12, item 6): the command table of
# completion/kartoteka.bash is the one completion/gen-table.sh makes from
# the built kartoteka's usage texts (no option invented, none missing);
# sourced into bash, it completes commands, subcommands, options, fixed
# words, files, time zones, and branch and user names from a real server;
# completion/kartotekad.bash follows `kartotekad --help`.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
KTUI=$KT_BUILD/client-tui/kartoteka-tui

# --- the table is current --------------------------------------------------
"$SRC/completion/gen-table.sh" "$KARTOTEKA" >"$T/table.want"
sed -n '/^# BEGIN TABLE$/,/^# END TABLE$/p' "$SRC/completion/kartoteka.bash" |
	sed '1d;$d' >"$T/table.have"
diff -u "$T/table.have" "$T/table.want" >"$T/table.diff" ||
	fail "completion/kartoteka.bash's table is out of date (run completion/gen-table.sh, see its header):
$(head -n 40 "$T/table.diff")"

# comp PROGRAM WORDS...: what TAB offers for the last word (each on a
# line, sorted), from a fresh bash that sources both completion files.
comp() {
	local fn
	case $(basename "$1") in
	kartoteka) fn=_kartoteka ;;
	kartoteka-tui) fn=_kartoteka_tui ;;
	kartotekad) fn=_kartotekad ;;
	esac
	bash -c 'source "$1"; source "$2"; fn=$3; shift 3
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		"$fn"; printf "%s\n" "${COMPREPLY[@]}"' comp \
		"$SRC/completion/kartoteka.bash" "$SRC/completion/kartotekad.bash" \
		"$fn" "$@" | sed '/^$/d' | sort
}
# expect WANT PROGRAM WORDS...: WANT is the sorted offer, space-separated.
expect() {
	local want=$1 got
	shift
	got=$(comp "$@" | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$want" ] || fail "completing '${*:2}': want '$want', got '$got'"
}
# expect_has WORD PROGRAM WORDS...: WORD is among the offers.
expect_has() {
	local want=$1
	shift
	comp "$@" | grep -q -x -F -- "$want" ||
		fail "completing '${*:2}': '$want' not offered ($(comp "$@" | tr '\n' ' '))"
}

K=$KARTOTEKA
# --- commands, subcommands, options, fixed words ---------------------------
expect "client" "$K" cl
expect "deal" "$K" dea
expect "add archive edit find history list merge purge reassign restore revert show" "$K" client ""
expect "add done edit list move reopen week" "$K" task ""
expect "--status" "$K" client list --st
expect "active former lead" "$K" client list --status ""
expect "A B C" "$K" export --category ""
expect "csv csv-excel" "$K" export --format c
expect "lost" "$K" deal stage 5 l
expect "call meeting other promise" "$K" task add --kind ""
expect "--config --contract --cursor" "$K" --config /nowhere client find ivan --c
expect "--dry-run" "$K" import base.csv --dr
expect "--config --help --json --timeout --version" "$K" --
expect "client" "$K" help cli
expect "show" "$K" help client sh
# after a value option the next word is its value, not a command
expect "" "$K" client list --tag cl
expect_has "--manager" "$K" client list --status lead --
# --- values: files, directories, time zones ---------------------------------
mkdir -p "$T/files/sub"
: >"$T/files/base.csv"
: >"$T/files/backup.ktb"
expect "$T/files/backup.ktb $T/files/base.csv" "$K" import "$T/files/ba"
expect "$T/files/backup.ktb" "$K" backup -o "$T/files/bac"
expect "$T/files/base.csv" "$K" login anna --password-file "$T/files/bas"
expect "$T/files/sub" "$K" --config "$T/files/s"
expect "Europe/Moscow" "$K" branch add Центр --time-zone Europe/Moscow
# --- kartoteka-tui ---------------------------------------------------------
expect "--config --help --lock-after --version" "$KTUI" --
expect "$T/files/sub" "$KTUI" --config "$T/files/s"
# --- branch and user names from the server ---------------------------------
kt_init
kt_start
enroll_owner own
expect_rc 0 cli own branch add "Центр"
expect_rc 0 cli own branch add "Северный филиал"
printf 'staff-pass-1\n' >"$T/staff.pw"
expect_rc 0 cli own user add irina --role manager --branch "Центр" \
	--password-file "$T/staff.pw"
expect "Центр" "$K" --config "$T/own" client list --branch Ц
expect 'Северный\ филиал' "$K" --config "$T/own" task list --branch Се
expect "irina" "$K" --config "$T/own" client list --manager i
expect "irina" "$K" --config "$T/own" user password ir
expect "Центр" "$K" --config "$T/own" branch rename Ц
# not logged in, or no server: nothing, quietly
expect "" "$K" --config "$T/nowhere" client list --branch ""
# --- kartotekad: from its own --help ---------------------------------------
D=$KARTOTEKAD
expect "--help audit backup help init invite restore run terminal user" "$D" ""
expect "checkpoint tail verify" "$D" audit ""
expect "list revoke" "$D" terminal ""
expect "--advertise --data --help --owner --password-file" "$D" init --
for o in $("$D" --help | awk '/^  run / { f = 1 } /^  [a-z]/ && !/^  run / { f = 0 } f' |
	grep -o -- '--[a-z][-a-z]*' | sort -u); do
	expect_has "$o" "$D" run --
done
expect "--from" "$D" restore --fr
expect "$T/files/sub" "$D" init --data "$T/files/s"
expect "$T/files/backup.ktb" "$D" backup verify "$T/files/bac"
expect "Europe/Moscow" "$D" run --time-zone Europe/Mosc
# --- installed, bash-completion finds them by the command's name -----------
BC=/usr/share/bash-completion/bash_completion
if [ -f "$BC" ]; then
	prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$KT_BUILD/CMakeCache.txt")
	DESTDIR=$T/root cmake --install "$KT_BUILD" >"$T/install.out" 2>&1 ||
		{ cat "$T/install.out"; fail "cmake --install failed"; }
	for p in kartoteka kartoteka-tui kartotekad; do
		got=$(XDG_DATA_DIRS=$T/root$prefix/share bash -c '
			source "$1"; __load_completion "$2" && complete -p "$2"' \
			bc "$BC" "$p" 2>&1) || true
		grep -q -- "-F _.* $p\$" <<<"$got" ||
			fail "bash-completion does not load the installed completion of $p: $got"
	done
	got=$(XDG_DATA_DIRS=$T/root$prefix/share bash -c '
		source "$1"; __load_completion kartoteka
		COMP_WORDS=(kartoteka client l); COMP_CWORD=2; _kartoteka
		echo "${COMPREPLY[*]}"' bc "$BC")
	[ "$got" = "list" ] || fail "the loaded completion offers '$got' for 'kartoteka client l'"
else
	echo "no bash-completion here: its loading of the installed files is not checked"
fi
echo "completion: OK"
