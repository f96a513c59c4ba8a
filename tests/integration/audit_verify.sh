#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# audit verify: intact after a working session; a saved checkpoint is
# accepted; a checkpoint from another store is not.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
enroll_owner t
expect_rc 0 cli t logout
expect_rc 0 "$KARTOTEKAD" audit verify --data "$T/data"
grep -q "intact" "$T/last.out" || fail "verify output: $(cat "$T/last.out")"
expect_rc 0 "$KARTOTEKAD" audit checkpoint --data "$T/data" --out "$T/cp"
expect_rc 0 "$KARTOTEKAD" audit verify --data "$T/data" --checkpoint "$T/cp"
kt_stop
# Another store's checkpoint does not match this chain.
mkdir "$T/other"
printf '%s\n' "$OWNER_PW" >"$T/other/pw"
"$KARTOTEKAD" init --data "$T/other/data" --owner other --password-file "$T/other/pw" >/dev/null
expect_rc 0 "$KARTOTEKAD" audit checkpoint --data "$T/other/data" --out "$T/other/cp"
expect_rc 1 "$KARTOTEKAD" audit verify --data "$T/data" --checkpoint "$T/other/cp"
echo "ok"
