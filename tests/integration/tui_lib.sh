# SPDX-License-Identifier: MIT
# Helpers for the kartoteka-tui tests: the program runs in a detached tmux
# session of fixed size on a socket of its own (tmux -L), so tests run in
# parallel; the tmux server is killed on exit whatever happens. The screen
# is read with capture-pane and polled with a deadline, never a fixed
# sleep. Source after lib.sh.
KARTOTEKA_TUI="$KT_BUILD/client-tui/kartoteka-tui"
# The screen holds Cyrillic: the test reads it in a UTF-8 locale too.
export LC_ALL=C.UTF-8
TUI_SOCK="kt-tui-$$-${RANDOM}"
command -v tmux >/dev/null || fail "tmux is not installed (setup.sh installs it)"

tm() { tmux -L "$TUI_SOCK" -f /dev/null "$@"; }

tui_cleanup() {
	local rc=$?
	tm kill-server >/dev/null 2>&1 || true
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TUI_SOCK"
	# kt_cleanup reads the status the script ends with; under set -e a
	# failing (exit) would end this handler before it.
	set +e
	(exit $rc)
	kt_cleanup
}
trap tui_cleanup EXIT

# tui_start CONFIGNAME [COLS ROWS [extra options]]: starts kartoteka-tui
# with config dir $T/CONFIGNAME in a detached session "tui". After it ends
# the pane's shell waits (read) so the terminal's state stays to be seen.
tui_start() {
	local cfg=$1 cols=${2:-100} rows=${3:-30}
	shift 3 2>/dev/null || shift $#
	rm -f "$T/tui.exit"
	tm new-session -d -s tui -x "$cols" -y "$rows" \
		"env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color ${TUI_ENV:-} $KARTOTEKA_TUI --config $T/$cfg $* 2>$T/tui.err; echo \$? >$T/tui.exit; read -r _"
	tm set-option -t tui remain-on-exit on >/dev/null
}

# tui_screen: the screen's text now.
tui_screen() { tm capture-pane -p -t tui 2>/dev/null || true; }

# tui_wait REGEX [SECONDS]: waits until the screen shows REGEX (extended,
# 20 s by default), else fails printing the screen.
tui_wait() {
	local re=$1 secs=${2:-20} i
	for i in $(seq 1 $((secs * 20))); do
		tui_screen >"$T/screen.txt"
		grep -Eq -- "$re" "$T/screen.txt" && return 0
		if [ -f "$T/tui.exit" ]; then
			break
		fi
		sleep 0.05
	done
	echo "--- screen ---" >&2
	cat "$T/screen.txt" >&2
	[ -f "$T/tui.err" ] && { echo "--- tui stderr ---" >&2; cat "$T/tui.err" >&2; }
	fail "the screen never showed '$re'"
}

# tui_keys KEYS...: tmux send-keys (key names like Enter, F4, Tab, C-c).
tui_keys() { tm send-keys -t tui "$@"; }
# tui_type TEXT: types TEXT literally.
tui_type() { tm send-keys -t tui -l -- "$1"; }

# tui_wait_exit [SECONDS]: waits for the program to end; sets TUI_RC.
TUI_RC=""
tui_wait_exit() {
	local secs=${1:-20} i
	for i in $(seq 1 $((secs * 20))); do
		if [ -s "$T/tui.exit" ]; then
			TUI_RC=$(cat "$T/tui.exit")
			return 0
		fi
		sleep 0.05
	done
	fail "kartoteka-tui did not exit"
}

# tui_branch_desk LOGIN [NAME]: a store with the owner (config "o", logged
# in) and branch Центр, manager LOGIN of Центр (password staff-pass-1 in
# $T/s.pw) and a terminal of Центр, config "m", where LOGIN is logged in.
tui_branch_desk() {
	local code
	kt_init
	kt_start
	"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
	enroll_owner o
	printf 'staff-pass-1\n' >"$T/s.pw"
	expect_rc 0 cli o user add "$1" ${2:+--name "$2"} --role manager \
		--branch Центр --password-file "$T/s.pw"
	code=$(kt_invite --branch Центр)
	expect_rc 0 cli m enroll "$code" --name desk-centre
	expect_rc 0 cli m login "$1" --password-file "$T/s.pw"
}
