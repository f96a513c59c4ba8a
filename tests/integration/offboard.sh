#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Staff control end to end: the notice period (user restrict: lists
# masked, no full card, no change, each refusal audited, shown in user
# list, lifted again), then offboarding in one step while the leaver is
# connected: refused whole when the new manager does not work in a
# client's branch; then disabled, sessions and the live connection
# ended, every client the new manager's, one audit entry, and the
# leaver's 30-day summary printed.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
"$KARTOTEKAD" invite --data "$T/data" --branch Север >/dev/null 2>&1
enroll_owner o
has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }

printf '%s\n' "staff-pass-1" >"$T/m.pw"
expect_rc 0 cli o user add masha --role manager --branch Центр --password-file "$T/m.pw"
expect_rc 0 cli o user add vera --role manager --branch Центр --password-file "$T/m.pw"
expect_rc 0 cli o user add sasha --role manager --branch Север --password-file "$T/m.pw"
expect_rc 0 cli c1 enroll "$(kt_invite --branch Центр)" --name "desk 1"
expect_rc 0 cli c1 login masha --password-file "$T/m.pw"
expect_rc 0 cli c2 enroll "$(kt_invite --branch Центр)" --name "desk 2"
expect_rc 0 cli c2 login vera --password-file "$T/m.pw"

n=0
for t in Ивановы Петровы Сидоровы; do
	n=$((n + 1))
	expect_rc 0 cli c1 --json client add --title "$t" --person "Анна;parent;;+7 912 000-00-0$n"
	if [ $n -eq 1 ]; then ID=$(sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out"); fi
done
[ -n "$ID" ] || fail "no id: $(cat "$T/last.out")"
expect_rc 0 cli c1 client show "$ID"
expect_rc 0 cli c1 client list
expect_rc 0 cli c2 --json client add --title "Верины" --person "Олег;parent"
VID=$(sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out")

# ---- the notice period ---------------------------------------------------------
expect_rc 0 cli o user restrict masha
has "masha is restricted"
expect_rc 0 cli o user list
grep -q "^masha .*restricted$" "$T/last.out" || fail "user list: $(cat "$T/last.out")"
expect_rc 0 cli o --json user list
has '"login":"masha","name":"masha","role":"manager","branches":\["Центр"\],"disabled":false,"restricted":true'
expect_rc 1 cli c1 client show "$ID"
err_has "FORBIDDEN: you are restricted (notice period): you may not open full cards"
expect_rc 1 cli c1 client add --title "Новые"
err_has "FORBIDDEN: you are restricted"
expect_rc 1 cli c1 client edit "$ID" --version 1 --title "Другие"
err_has "FORBIDDEN: you are restricted"
expect_rc 0 cli c1 client list
has "Ивановы"
has '\*\*\*'
expect_rc 1 cli o user restrict masha
err_has "CONFLICT: user 'masha' is already restricted"
expect_rc 1 cli o user restrict owner
err_has "FORBIDDEN: the owner cannot be restricted"
expect_rc 1 cli c2 user restrict masha
err_has "FORBIDDEN: only the owner can restrict users"
expect_rc 0 cli o user restrict masha --lift
has "no longer restricted"
expect_rc 0 cli c1 client show "$ID"
expect_rc 0 cli o user restrict masha

# ---- offboarding, while she is connected --------------------------------------------
peer_start m c1
peer_send m resume
peer_expect m '^resume ok$'
# sasha works in Север only: the whole step is refused, nothing changes.
expect_rc 1 cli o user offboard masha --to sasha
err_has "to: user 'sasha' does not work in branch 'Центр' of 3 of the clients"
err_has "nothing was changed"
peer_send m whoami
peer_expect m '^whoami ok masha$'
expect_rc 2 cli o user offboard masha
err_has "--to LOGIN is required"
expect_rc 1 cli o user offboard masha --to nobody
err_has "to: no user with login 'nobody'"

expect_rc 0 cli o user offboard masha --to vera
cp "$T/last.out" "$T/offboard.out"
has "Offboarded masha: disabled, 1 session ended"
has "3 clients now managed by vera"
has "Activity of masha, the last 30 days"
today=$(date +%F)
grep -Eq "^$today +2 +[0-9]+ +0 +3 +3 *$" "$T/last.out" ||
	fail "today's line (views 2, changes 3, refusals 3): $(cat "$T/last.out")"
has "^total "
# Her live connection is closed at once; her session is gone.
peer_expect m '^closed by server$'
wait_exit "${PEER_PID[m]}"
expect_rc 1 cli c1 client list
err_has "UNAUTHENTICATED"
expect_rc 1 cli c1 login masha --password-file "$T/m.pw"
# Every card of hers is vera's; vera's own untouched.
expect_rc 0 cli c2 --json client list --manager vera
for n in Ивановы Петровы Сидоровы Верины; do has "\"title\":\"$n\""; done
expect_rc 0 cli c2 client edit "$ID" --version 2 --title "Ивановы-2"
expect_rc 0 cli o --json user list --all
has '"login":"masha","name":"masha","role":"manager","branches":\["Центр"\],"disabled":true'
# Offboarding again still works (nothing to move) and a manager may not.
expect_rc 1 cli c2 user offboard vera --to owner
err_has "FORBIDDEN: only the owner can offboard users"

# ---- one audit entry with the counts, in the owner's reader ------------------------
expect_rc 0 cli o audit list --action user.offboard
has "owner  'o' (owner terminal)  user.offboard  user:[0-9]*  OK  login=masha to=vera clients=3 sessions_ended=1"
[ "$(grep -c "user.offboard .* OK" "$T/last.out")" -eq 1 ] || fail "one offboard entry: $(cat "$T/last.out")"
expect_rc 0 cli o audit list --user masha --action client.view
has "masha  'desk 1' (Центр)  client.view  -  FORBIDDEN  you are restricted"
expect_rc 0 "$KARTOTEKAD" audit tail --data "$T/data" --count 100000
# (then the counts of the working day: deals=0 tasks=0 ...)
has "owner  user.offboard  user:[0-9]*  OK  login=masha to=vera clients=3 sessions_ended=1 deals=0 tasks=0[^[]*  \[at 'o'\]"
has "masha  client.add  -  FORBIDDEN  you are restricted (notice period): you may not create clients; lists stay open, masked  \[at 'desk 1' (Центр)\]"
"$KARTOTEKAD" audit verify --data "$T/data" >/dev/null || fail "audit verify"
echo "ok"
