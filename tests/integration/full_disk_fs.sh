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
. "$(dirname "$0")/full_disk_steps.sh"
fd_staff
fd_fill
df -k "$T/data" | tail -n 1 >"$T/df.full"
# With no cap there is no reserve: logins and logouts fit in the pages
# LMDB freed inside its file (docs/SAFETY.md).
fd_refused

# Room again, with the server running: it notices on its own.
rm -f "$T/data/filler"
wait_for "$T/server.err" "there is room again: writes go through" 20 "$SERVER_PID"
wait_for "$T/server.err" "the owner has the alert store.full" 20 "$SERVER_PID"
expect_rc 0 cli o alerts
has "store.full .*the disk of the data directory is full"
fd_all_there
kt_stop || fail "server did not stop cleanly"
expect_rc 0 "$KARTOTEKAD" audit verify --data "$T/data"
echo "ok: $FD_N cards fitted on a 3 MiB tmpfs beside a 1.5 MiB filler; when full: $(cat "$T/df.full")"
