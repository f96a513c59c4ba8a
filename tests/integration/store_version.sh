#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A store made by a newer kartotekad (a schema version this binary does not
# know) is refused by every command that opens it, with a message naming
# both versions, and is left as it was.
. "$(dirname "$0")/lib.sh"
command -v mdb_dump >/dev/null && command -v mdb_load >/dev/null ||
	fail "mdb_dump and mdb_load (lmdb-utils) are needed by this test"
kt_init

# Rewrite meta "schema" (BE32) to 99 with LMDB's own tools.
mdb_dump -s meta "$T/data" >"$T/meta.dump"
grep -qx ' 736368656d61' "$T/meta.dump" || fail "no schema key in meta"
awk 'prev == " 736368656d61" { print " 00000063"; prev = $0; next }
	{ print; prev = $0 }' "$T/meta.dump" >"$T/meta99.dump"
mdb_load -s meta -f "$T/meta99.dump" "$T/data" 2>/dev/null
cp "$T/data/data.mdb" "$T/before.mdb"

want="has schema version 99, newer than this kartotekad (which knows up to"
expect_rc 1 "$KARTOTEKAD" run --data "$T/data" --listen 127.0.0.1:0
grep -q "$want" "$T/last.err" || fail "run: $(cat "$T/last.err")"
expect_rc 1 "$KARTOTEKAD" invite --data "$T/data"
grep -q "$want" "$T/last.err" || fail "invite: $(cat "$T/last.err")"
expect_rc 1 "$KARTOTEKAD" audit tail --data "$T/data"
grep -q "$want" "$T/last.err" || fail "audit tail: $(cat "$T/last.err")"
cmp -s "$T/data/data.mdb" "$T/before.mdb" || fail "the newer store was changed"
echo "newer store refused: $(cat "$T/last.err")"
