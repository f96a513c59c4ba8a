#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Rewrites the op table of docs/ARCHITECTURE.md (between its
# `<!-- op table: begin -->` and `<!-- op table: end -->` lines) from the
# code, as the test docs.op_table compares it: run after adding an op.
#   tests/tools/regen-op-table.sh [BUILD_DIR (default build)]
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-$TOP/build}
DOC=$TOP/docs/ARCHITECTURE.md
cmake --build "$B" --target op_table >/dev/null
"$B/tests/op_table" >"$DOC.table"
awk -v table="$DOC.table" '
	/^<!-- op table: end -->$/ { while ((getline l < table) > 0) print l; skip = 0 }
	!skip { print }
	/^<!-- op table: begin -->$/ { skip = 1 }
' "$DOC" >"$DOC.new"
rm -f "$DOC.table"
mv "$DOC.new" "$DOC"
