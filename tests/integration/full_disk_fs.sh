#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A really full filesystem (issue 10 item 5): the data directory on a
# 3 MiB tmpfs, mounted in a private mount namespace of this test (root
# only; without it the test is skipped, exit 77, and full_disk.sh's cap
# stands in). A filler file takes half of it; cards are added until the
# server answers UNAVAILABLE "the server's disk is full" (ENOSPC from
# LMDB's commit, no --max-store-size). Then views, finds and lists are
# refused the same way; ping, whoami, logout and login still work. The
# filler is removed: without a restart the server says "there is room
# again", writes go through, the owner gets the alert store.full,
# every acknowledged card is in the export and the audit chain verifies.
if [ -z "${KT_FULL_FS_NS:-}" ]; then
	if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null ||
		! unshare -m --propagation private sh -c \
			'd=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs "$d" &&
			umount "$d" && rmdir "$d"' 2>/dev/null; then
		echo "skipped: mounting a tmpfs needs root and unshare -m"
		exit 77
	fi
	KT_FULL_FS_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
mkdir "$T/data"
mount -t tmpfs -o size=3m,mode=0700 tmpfs "$T/data"
KT_MOUNTS+=("$T/data")
kt_init
# Half the filesystem, given back later.
dd if=/dev/zero of="$T/data/filler" bs=1k count=1536 status=none
kt_start
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
enroll_owner o
has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }
FULL="the server's disk is full: nothing was changed; tell the owner"

printf 'staff-pass-1\n' >"$T/s.pw"
expect_rc 0 cli o user add m1 --role manager --branch Центр --password-file "$T/s.pw"
expect_rc 0 cli c1 enroll "$(kt_invite --branch Центр)" --name c1
expect_rc 0 cli c1 login m1 --password-file "$T/s.pw"

# Fill it: the first refusal ends the loop.
: >"$T/acked"
full=0
for i in $(seq 1 20000); do
	rc=0
	cli o --json client add --branch Центр --title "Полные-$i" \
		--person "Анна;parent;;+7 9$(printf %09d "$i")" \
		--note "$(printf 'заметка %.0s' $(seq 1 20))" >"$T/last.out" 2>"$T/last.err" || rc=$?
	if [ "$rc" -eq 0 ]; then
		sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out" >>"$T/acked"
		continue
	fi
	err_has "UNAVAILABLE"
	err_has "$FULL"
	full=1
	break
done
[ "$full" -eq 1 ] || fail "the filesystem never filled"
n=$(wc -l <"$T/acked")
[ "$n" -gt 10 ] || fail "only $n cards fitted"
id=$(head -n 1 "$T/acked")
wait_for "$T/server.err" "the store is full" 20 "$SERVER_PID"
df -k "$T/data" | tail -n 1 >"$T/df.full"

# Nothing leaves without its audit entry.
expect_rc 1 cli o client show "$id"
err_has "$FULL"
expect_rc 1 cli o client find Полные
err_has "$FULL"
expect_rc 1 cli o client list
err_has "$FULL"
expect_rc 1 cli c1 client add --title "Ещё одни"
err_has "$FULL"
# Ops that write nothing still work, and so do logins and logouts: with
# no cap there is no reserve, but their few pages fit in the ones LMDB
# freed inside its file (docs/SAFETY.md).
expect_rc 0 cli o ping
expect_rc 0 cli c1 whoami
has "m1"
expect_rc 0 cli c1 logout
expect_rc 0 cli c1 login m1 --password-file "$T/s.pw"

# Room again, with the server running: it notices on its own.
rm -f "$T/data/filler"
wait_for "$T/server.err" "there is room again: writes go through" 20 "$SERVER_PID"
wait_for "$T/server.err" "the owner has the alert store.full" 20 "$SERVER_PID"
expect_rc 0 cli c1 client add --title "Ещё одни"
expect_rc 0 cli o alerts
has "store.full .*the disk of the data directory is full"
expect_rc 0 cli o export --format csv -o "$T/all.csv"
while read -r id; do
	grep -q "^$id,Полные-" "$T/all.csv" || fail "acknowledged card $id is missing"
done <"$T/acked"
kt_stop || fail "server did not stop cleanly"
expect_rc 0 "$KARTOTEKAD" audit verify --data "$T/data"
echo "ok: $n cards fitted on a 3 MiB tmpfs beside a 1.5 MiB filler; when full: $(cat "$T/df.full")"
