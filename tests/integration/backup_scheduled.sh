#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Scheduled backups of the running server: the options go together and
# the passphrase file may not live among the backups; with --backup-every
# 1s --backup-keep 2 the server writes backups while it serves (mode
# 0600), keeps the newest two, audits each, and the newest verifies;
# when the backup directory goes away the next backup fails, is audited
# as such and raises backup.failed for the owner; the server serves on.
. "$(dirname "$0")/lib.sh"
kt_init

has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }
# count_in FILE RE: lines of FILE matching RE.
count_in() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }
# wait_count FILE RE N: polls until FILE has N lines matching RE (60 s).
wait_count() {
	for _ in $(seq 1 1200); do
		[ "$(count_in "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.05
	done
	fail "fewer than $3 lines '$2' in $1: $(cat "$1")"
}

printf 'весна-2026-ключ\n' >"$T/pp"
mkdir -p "$T/bk"
expect_rc 2 "$KARTOTEKAD" run --data "$T/data" --listen 127.0.0.1:0 --backup-dir "$T/bk"
err_has "go together"
cp "$T/pp" "$T/bk/pp"
expect_rc 2 "$KARTOTEKAD" run --data "$T/data" --listen 127.0.0.1:0 \
	--backup-dir "$T/bk" --backup-passphrase-file "$T/bk/pp"
err_has "inside --backup-dir"
rm "$T/bk/pp"
expect_rc 2 "$KARTOTEKAD" run --data "$T/data" --listen 127.0.0.1:0 \
	--backup-dir "$T/bk" --backup-passphrase-file "$T/pp" --backup-keep 0
err_has "backup-keep"

kt_start --backup-dir "$T/bk" --backup-passphrase-file "$T/pp" \
	--backup-every 1s --backup-keep 2
enroll_owner o
wait_count "$T/server.err" '^kartotekad: backup written: ' 3
expect_rc 0 cli o ping
n=$(find "$T/bk" -name 'kartoteka-*.ktb' | wc -l)
[ "$n" -le 2 ] && [ "$n" -ge 1 ] || fail "$n backups kept: $(ls "$T/bk")"
[ -z "$(find "$T/bk" -name '*.part')" ] || fail "a part file left: $(ls "$T/bk")"
newest=$(find "$T/bk" -name 'kartoteka-*.ktb' | sort | tail -n 1)
[ "$(stat -c %a "$newest")" = 600 ] || fail "mode $(stat -c %a "$newest")"
expect_rc 0 "$KARTOTEKAD" backup verify "$newest" --passphrase-file "$T/pp"
has "is intact"
"$KARTOTEKAD" audit tail --data "$T/data" --count 50 >"$T/last.out"
has "backup  store  OK  scheduled, [0-9]* bytes"

# The directory goes: the next backup fails, audited, alerted.
rm -rf "$T/bk"
wait_count "$T/server.err" '^kartotekad: scheduled backup failed: ' 1
for _ in $(seq 1 200); do
	"$KARTOTEKAD" audit tail --data "$T/data" --count 50 >"$T/last.out"
	grep -q "backup  store  UNAVAILABLE" "$T/last.out" && break
	sleep 0.05
done
has "backup  store  UNAVAILABLE  scheduled backup failed: cannot "
expect_rc 0 cli o alerts
has "backup.failed"
expect_rc 0 cli o ping
kt_stop || fail "server did not stop cleanly"
echo "ok"
