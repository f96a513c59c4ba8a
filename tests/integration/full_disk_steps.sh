# SPDX-License-Identifier: MIT
# The steps full_disk.sh (the server's cap) and full_disk_fs.sh (a real
# small filesystem) share, sourced after lib.sh and the server's start:
# a manager m1 logged in on terminal c1, owner terminal o.

has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }
FULL="the server's disk is full: nothing was changed; tell the owner"

# fd_staff: manager m1 of Центр, logged in on a new terminal c1.
fd_staff() {
	printf 'staff-pass-1\n' >"$T/s.pw"
	expect_rc 0 cli o user add m1 --role manager --branch Центр --password-file "$T/s.pw"
	expect_rc 0 cli c1 enroll "$(kt_invite --branch Центр)" --name c1
	expect_rc 0 cli c1 login m1 --password-file "$T/s.pw"
}

# fd_fill: cards added until the first refusal, which must be the full
# disk's; the ids acknowledged go to $T/acked. Sets FD_N (how many) and
# FD_ID (the first one).
fd_fill() {
	local i rc full=0
	: >"$T/acked"
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
	[ "$full" -eq 1 ] || fail "the store never filled"
	FD_N=$(wc -l <"$T/acked")
	[ "$FD_N" -gt 10 ] || fail "only $FD_N cards fitted"
	FD_ID=$(head -n 1 "$T/acked")
	wait_for "$T/server.err" "the store is full" 20 "$SERVER_PID"
}

# fd_refused: nothing leaves without its audit entry; the session's own
# ops (ping, whoami, logout, login) still work.
fd_refused() {
	expect_rc 1 cli o client show "$FD_ID"
	err_has "$FULL"
	expect_rc 1 cli o client find Полные
	err_has "$FULL"
	expect_rc 1 cli o client list
	err_has "$FULL"
	expect_rc 1 cli c1 client add --title "Ещё одни"
	err_has "$FULL"
	expect_rc 0 cli o ping
	expect_rc 0 cli c1 whoami
	has "m1"
	expect_rc 0 cli c1 logout
	expect_rc 0 cli c1 login m1 --password-file "$T/s.pw"
}

# fd_all_there: with room again, writes go through and every
# acknowledged card is in the owner's export.
fd_all_there() {
	expect_rc 0 cli c1 client add --title "Ещё одни"
	expect_rc 0 cli o export --format csv -o "$T/all.csv"
	while read -r id; do
		grep -q "^$id,Полные-" "$T/all.csv" || fail "acknowledged card $id is missing"
	done <"$T/acked"
}
