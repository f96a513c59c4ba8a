#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A shared desk holds one person at a time: the next login there ends the
# session left on it (its saved token is dead, its open connection
# closed, the audit names whose session ended); a session unused for
# --session-idle ends by itself; resume is audited with the terminal and
# the address; the owner's password at a branch desk answers exactly like
# a wrong one.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
enroll_owner own
printf 'manager-pass-1\n' >"$T/mgr.pw"
printf 'wrong-password\n' >"$T/bad.pw"
expect_rc 0 cli own branch add "Центр"
expect_rc 0 cli own user add anna --role manager --branch "Центр" --password-file "$T/mgr.pw"
expect_rc 0 cli own user add boris --role manager --branch "Центр" --password-file "$T/mgr.pw"
expect_rc 0 cli own terminal invite --branch "Центр" --advertise "$ADDR"
code=$(tail -n 1 "$T/last.out")
expect_rc 0 cli desk enroll "$code" --name front-desk

# boris logs in and leaves the desk; an open connection of his stays.
expect_rc 0 cli desk login boris --password-file "$T/mgr.pw"
grep -q "or after 15 minutes unused" "$T/last.out" || fail "boris login: $(cat "$T/last.out")"
cp -r "$T/desk" "$T/boris-copy"        # his saved session, as left on disk
peer_start b desk
peer_send b resume
peer_expect b '^resume ok$'
peer_send b whoami
peer_expect b '^whoami ok boris$'

# anna sits down: her login ends boris's session, and says so.
expect_rc 0 cli desk --json login anna --password-file "$T/mgr.pw"
grep -q '"ended_session_of":"boris"' "$T/last.out" || fail "anna login json: $(cat "$T/last.out")"
expect_rc 0 cli desk whoami
grep -q "^login: anna$" "$T/last.out" || fail "whoami after anna: $(cat "$T/last.out")"
grep -q "session ends after: 15 minutes unused" "$T/last.out" || fail "whoami idle: $(cat "$T/last.out")"
# boris's connection was closed, his saved token is dead.
wait_for "$T/b.out" '^closed by server$' 20
expect_rc 1 cli boris-copy whoami
grep -q "UNAUTHENTICATED" "$T/last.err" || fail "boris's old session: $(cat "$T/last.err")"
"$KARTOTEKAD" audit tail --data "$T/data" --count 1000 >"$T/tail.out"
boris_id=$(grep -E "  user\.add  user:[0-9]+  OK  .*boris" "$T/tail.out" | sed -E 's/.*user\.add  user:([0-9]+).*/\1/' | head -n 1)
if [ -z "$boris_id" ]; then
	boris_id=$(awk '$5 == "login" && $6 == "login:boris" {print $4}' "$T/tail.out" | head -n 1 | sed 's/user://')
fi
grep -Eq "  login  login:anna  OK  ended the session of user:$boris_id on this terminal(  \[at .*\])?$" "$T/tail.out" ||
	fail "anna's login entry: $(grep 'login:anna' "$T/tail.out")"
# A second login of anna herself ends her own earlier session as well.
expect_rc 0 cli desk login anna --password-file "$T/mgr.pw"
grep -q "The session of anna on this terminal has ended." "$T/last.out" || fail "re-login: $(cat "$T/last.out")"

# The prompt on a terminal names whose session the login ends (script(1)
# gives the CLI a terminal; the password is typed again every half
# second until it is read, as the prompt flushes what came before it).
if command -v script >/dev/null; then
	script -qec "$KARTOTEKA --config $T/desk login boris" /dev/null >"$T/tty.out" 2>&1 \
		< <(for _ in $(seq 1 60); do sleep 0.5; echo manager-pass-1; done) ||
		fail "login on a terminal: $(cat "$T/tty.out")"
	grep -q "Password for boris (ends the session of anna on this terminal): " "$T/tty.out" ||
		fail "prompt: $(cat "$T/tty.out")"
	grep -q "The session of anna on this terminal has ended." "$T/tty.out" || fail "tty login: $(cat "$T/tty.out")"
	expect_rc 0 cli desk login anna --password-file "$T/mgr.pw"
fi

# resume is audited with the terminal and the peer address.
# The entry is written just after the answer: wait for it.
n=$(audit_count resume)
expect_rc 0 cli desk whoami
for _ in $(seq 1 100); do
	[ "$(audit_count resume)" -gt "$n" ] && break
	sleep 0.1
done
[ "$(audit_count resume)" -eq $((n + 1)) ] || fail "resume not audited"
"$KARTOTEKAD" audit tail --data "$T/data" --count 1 >"$T/tail.out"
grep -Eq "  resume  user:[0-9]+  OK  from 127\.0\.0\.1:[0-9]+(  \[at .*\])?$" "$T/tail.out" || fail "resume entry: $(cat "$T/tail.out")"

# The owner's password at a branch desk: exactly a wrong password.
expect_rc 1 cli desk login owner --password-file "$T/owner.pw"
right=$(cat "$T/last.err")
expect_rc 1 cli desk login owner --password-file "$T/bad.pw"
wrong=$(cat "$T/last.err")
[ "$right" = "$wrong" ] || fail "owner at a desk: right '$right', wrong '$wrong'"
grep -q "UNAUTHENTICATED: wrong login or password" "$T/last.err" || fail "owner at a desk: $right"
"$KARTOTEKAD" audit tail --data "$T/data" --count 4 >"$T/tail.out"
grep -q "right password, but the owner logs in only from owner terminals, failure 1 on this terminal" "$T/tail.out" ||
	fail "owner at a desk, audit: $(cat "$T/tail.out")"
# ... and the failed attempts did not end anna's session.
expect_rc 0 cli desk whoami
kt_stop

# A session unused for --session-idle ends by itself (audited once).
kt_start --listen "$ADDR" --session-idle 2s
expect_rc 0 cli desk login anna --password-file "$T/mgr.pw"
grep -q "or after 2 seconds unused" "$T/last.out" || fail "idle 1s login: $(cat "$T/last.out")"
sleep 3.5
expect_rc 1 cli desk whoami
grep -q "UNAUTHENTICATED" "$T/last.err" || fail "idle session: $(cat "$T/last.err")"
"$KARTOTEKAD" audit tail --data "$T/data" --count 1 >"$T/tail.out"
grep -Eq "  resume  user:[0-9]+  UNAUTHENTICATED  unused for [0-9]+ seconds: session ended; from 127\.0\.0\.1:" "$T/tail.out" ||
	fail "idle resume entry: $(cat "$T/tail.out")"
expect_rc 2 "$KARTOTEKAD" run --data "$T/data" --session-idle 2days
grep -q "expected a duration" "$T/last.err" || fail "bad --session-idle: $(cat "$T/last.err")"
kt_stop
"$KARTOTEKAD" audit verify --data "$T/data" >/dev/null || fail "audit verify"
echo "ok"
