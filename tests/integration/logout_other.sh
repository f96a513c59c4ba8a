#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# logout ends the session on every connection that resumed it. First with
# a requester that waits for the answer (the CLI), then with one that
# hangs up right after sending logout (a bug once: the session was deleted
# from the store, but the other connection stayed logged in, because the
# server updated the other connections only when it could answer the
# requester).
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
enroll_owner t

# B resumes the session the CLI saved, then A (the CLI) logs out.
peer_start b t
peer_send b resume
peer_expect b '^resume ok$'
expect_rc 0 cli t logout
peer_send b whoami
peer_expect b '^whoami error UNAUTHENTICATED '
peer_end b
[ "$(audit_count logout)" -eq 1 ] || fail "logout entries: $(audit_count logout)"

# Again, with A hanging up before the answer.
expect_rc 0 cli t login owner --password-file "$T/owner.pw"
peer_start b2 t
peer_send b2 resume
peer_expect b2 '^resume ok$'
peer_send b2 whoami
peer_expect b2 '^whoami ok owner$'
printf 'resume\nlogout-close\n' >"$T/a.in"
expect_rc 0 "$RAWPEER" --config "$T/t" script <"$T/a.in"
grep -q "^resume ok$" "$T/last.out" && grep -q "^logout sent, closed$" "$T/last.out" ||
	fail "A: $(cat "$T/last.out")"
# The logout is committed (its audit entry is there) ...
for _ in $(seq 1 200); do
	[ "$(audit_count logout)" -eq 2 ] && break
	sleep 0.1
done
[ "$(audit_count logout)" -eq 2 ] || fail "A's logout was not recorded"
# ... and the session gone from the store: a new connection cannot resume it.
expect_rc 1 cli t whoami
grep -q "UNAUTHENTICATED" "$T/last.err" || fail "whoami after logout: $(cat "$T/last.err")"
# B resumed it before: its next request must be refused as well. The
# server finishes the logout on its loop just after the commit, so ask
# again (100 ms apart, up to 10 s) while B is still let in.
tries=0
while :; do
	peer_send b2 whoami
	peer_expect b2 '^whoami '
	line=$(sed -n "${PEER_SEEN[b2]}p" "$T/b2.out")
	case $line in "whoami error UNAUTHENTICATED "*) break ;; esac
	tries=$((tries + 1))
	[ $tries -lt 100 ] ||
		fail "B is still logged in after A logged out and hung up: $tries whoami answered '$line'"
	sleep 0.1
done
peer_end b2
kt_stop || fail "server did not stop cleanly"
echo "ok"
