#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Keeps the rule that tests mirror the source: every source file of the
# server has its unit test file,
#   server/ops/X.c          -> tests/server/test_ops_X.c
#   server/X.c, server/*/X.c -> tests/server/test_X.c
# and that file is built by a kt_unit_test() line of tests/server/*.cmake.
# Fails naming each source whose test file is missing or not registered,
# and two sources that would share one test file.
# Exempt: server/main.c is the command line (argument parsing and the
# offline commands around kt_server_run), and server/backup_cmd.c its
# offline backup commands; both are driven end to end by
# tests/integration/*.sh, which run the kartotekad binary itself
# (docs/DECISIONS.md, Issue 7; backup_offline.sh), and what backup_cmd.c
# calls has its unit tests (test_backup, test_backup_file).
#   test_files.sh SOURCE_DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 SOURCE_DIR" >&2; exit 2; }
cd "$1"
[ -d server ] && [ -d tests/server ] ||
	{ echo "FAIL: $1 has no server/ and tests/server/" >&2; exit 1; }

exempt="server/main.c server/backup_cmd.c"
bad=0
n=0
declare -A owner=()
# "kt_unit_test( STEM SOURCE" of every call, however it is wrapped.
registered=$(cat tests/server/*.cmake | tr -s '[:space:]' ' ' |
	grep -o 'kt_unit_test( *[[:alnum:]_]* [^ )]*' | sed 's/( */( /' || true)

while IFS= read -r src; do
	case " $exempt " in *" $src "*) continue ;; esac
	n=$((n + 1))
	base=$(basename "$src" .c)
	case "$src" in
	server/ops/*) test="tests/server/test_ops_$base.c" ;;
	*) test="tests/server/test_$base.c" ;;
	esac
	if [ -n "${owner[$test]:-}" ]; then
		echo "FAIL: $src and ${owner[$test]} would share $test"
		bad=1
	fi
	owner[$test]=$src
	if [ ! -f "$test" ]; then
		echo "FAIL: $src has no test file $test"
		bad=1
	elif ! awk -v f="${test#tests/}" '$3 == f { found = 1 }
	    END { exit !found }' <<<"$registered"; then
		echo "FAIL: $test ($src) is not built: no kt_unit_test line" \
		    "names it in tests/server/*.cmake"
		bad=1
	fi
done < <(find server -name '*.c' -type f | LC_ALL=C sort)

[ "$n" -ge 10 ] || { echo "FAIL: only $n server sources found"; bad=1; }
[ "$bad" -eq 0 ] && echo "ok: $n server sources, each with its test file" \
    "(exempt: $exempt)"
exit "$bad"
