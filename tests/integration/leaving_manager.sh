#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The leaving-manager test (issue 8, deliver 9): a manager and a head of
# one branch try what a person about to leave would try, and each attempt
# is refused, counted or alerted; the owner's alerts and audit show every
# one; the wiped cards are reverted from history; then both are offboarded
# while connected.
#   - paging every list until the row quota stops it
#   - full cards until the view quota stops it (the head too)
#   - guessed phones next to a sentinel: no oracle, and a budget
#   - another branch's terminal, the owner's password at a branch desk,
#     guessing the owner's password at a desk (the owner's own terminal
#     still logs in)
#   - a colleague's session left on the desk: ended by the next login
#   - owner-only ops sent directly (export, alerts, audit, users)
#   - wiping cards: a destructive-edit alert, reverted by the owner
#   - offboarded while connected: the connection closes, clients move
. "$(dirname "$0")/lib.sh"
kt_init
# A default zone where it is about noon: the business day does not turn
# under the test (the quotas are per day).
h=$((10#$(date -u +%H)))
off=$((12 - h))
if [ $off -gt 0 ]; then zone="Etc/GMT-$off"; elif [ $off -lt 0 ]; then zone="Etc/GMT+$((-off))"; else zone=UTC; fi
kt_start --time-zone "$zone" --lockout-after 3 --login-delay-after 100
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
"$KARTOTEKAD" invite --data "$T/data" --branch Север >/dev/null 2>&1
enroll_owner o

has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }
json_id() { sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out"; }
alerts_of() { cli o --json alerts --all >"$T/alerts.json" || fail "alerts"; grep -o "\"kind\":\"$1\"" "$T/alerts.json" | wc -l; }

printf 'leaver-password\n' >"$T/m.pw"
printf 'wrong-password-1\n' >"$T/bad.pw"
expect_rc 0 cli o user add masha --role manager --branch Центр --quota 10 --password-file "$T/m.pw"
expect_rc 0 cli o user add galina --role head --branch Центр --quota 12 --password-file "$T/m.pw"
expect_rc 0 cli o user add vera --role manager --branch Центр --password-file "$T/m.pw"
expect_rc 0 cli o user add sasha --role manager --branch Север --password-file "$T/m.pw"
code=$(kt_invite --branch Центр)
expect_rc 0 cli desk enroll "$code" --name desk-1
code=$(kt_invite --branch Центр)
expect_rc 0 cli desk2 enroll "$code" --name desk-2
code=$(kt_invite --branch Север)
expect_rc 0 cli north enroll "$code" --name north-1

# ---- the base: 40 cards of masha's, one of Север with a known phone ----
expect_rc 0 cli desk login masha --password-file "$T/m.pw"
for i in $(seq 1 40); do
	expect_rc 0 cli desk --json client add --title "Семья $i" \
		--person "Мама $i;parent;;+7999100$(printf %04d "$i")" --person "Ребёнок $i;child;2018"
done
FIRST=$(json_id)
FIRST=$((FIRST - 39))
expect_rc 0 cli north login sasha --password-file "$T/m.pw"
expect_rc 0 cli north --json client add --title "Северные" --person "Ольга;parent;;+79992220000"
NORTH=$(json_id)

# ---- 1. paging every list: rows counted as distinct clients --------------
expect_rc 0 cli o user change masha --row-quota 30
expect_rc 0 cli desk client list --limit 20
expect_rc 0 cli desk client list --limit 20       # the same rows: free
expect_rc 1 cli desk client list --limit 200      # 40 > 30: refused whole
err_has "QUOTA_EXCEEDED"
err_has "clients listed"

# ---- 2. full cards until refused ---------------------------------------------
for i in $(seq 0 9); do expect_rc 0 cli desk client show $((FIRST + i)); done
expect_rc 1 cli desk client show $((FIRST + 10))
err_has "QUOTA_EXCEEDED"
err_has "the owner can raise it"

# ---- 3. guessed phones next to a sentinel -------------------------------------
# The sentinel is masha's own phone: the answer is always the sentinel's
# refusal, whether a guess hits Север's card or nothing.
expect_rc 1 cli desk client add --title "Проба" --person "X;parent;;+79991000001,+79992220000"
err_has "already belongs to client $FIRST"
expect_rc 1 cli desk client add --title "Проба" --person "X;parent;;+79991000001,+79992229999"
err_has "already belongs to client $FIRST"
# Alone, a guess that hits another branch is saved like a new phone.
expect_rc 0 cli desk --json client add --title "Проба" --person "X;parent;;+79992220000"
GUESS=$(json_id)
grep -q duplicate_of "$T/last.out" && fail "the answer told of the duplicate"
# Nine phones: refused before any lookup.
expect_rc 1 cli desk client add --title "Много" \
	--person "X;parent;;+79993000001,+79993000002,+79993000003,+79993000004,+79993000005" \
	--person "Y;parent;;+79993000006,+79993000007,+79993000008,+79993000009,+79993000010"
err_has "at most 8 phones in all"
# The budget: 20 refusals a day, then no names.
for _ in $(seq 3 20); do
	expect_rc 1 cli desk client add --title "Проба" --person "X;parent;;+79991000001"
done
expect_rc 1 cli desk client add --title "Проба" --person "X;parent;;+79991000001"
err_has "budget"
grep -q "$FIRST" "$T/last.err" && fail "a spent budget still names the card"

# ---- 4. other terminals, the owner's password at a desk -------------------
expect_rc 1 cli north login masha --password-file "$T/m.pw"
other_branch=$(cat "$T/last.err")
expect_rc 1 cli north login masha --password-file "$T/bad.pw"
[ "$other_branch" = "$(cat "$T/last.err")" ] || fail "another branch's terminal answers unlike a wrong password"
expect_rc 1 cli desk2 login owner --password-file "$T/owner.pw"
[ "$other_branch" = "$(cat "$T/last.err")" ] || fail "the owner at a desk answers unlike a wrong password"
# Guessing the owner's password at a desk locks it there only.
for _ in 1 2 3 4; do expect_rc 1 cli desk2 login owner --password-file "$T/bad.pw"; done
expect_rc 0 cli o login owner --password-file "$T/owner.pw"

# ---- 5. a colleague's session left on the desk ------------------------------
expect_rc 0 cli desk2 login vera --password-file "$T/m.pw"
cp -r "$T/desk2" "$T/vera-left"
expect_rc 0 cli desk2 login galina --password-file "$T/m.pw"
expect_rc 1 cli vera-left whoami
err_has "UNAUTHENTICATED"

# ---- 6. owner-only ops sent directly --------------------------------------------
for op in "export --format csv -o $T/x.csv" "alerts" "audit list" "user list" "client merge $FIRST $GUESS"; do
	# shellcheck disable=SC2086
	expect_rc 1 cli desk $op
	err_has "FORBIDDEN"
	# shellcheck disable=SC2086
	expect_rc 1 cli desk2 $op
	err_has "FORBIDDEN"
done
[ -e "$T/x.csv" ] && fail "a refused export left a file"

# ---- 7. the head views until refused -------------------------------------------
for i in $(seq 0 11); do expect_rc 0 cli desk2 client show $((FIRST + i)); done
expect_rc 1 cli desk2 client show $((FIRST + 12))
err_has "QUOTA_EXCEEDED"

# ---- 8. wiping cards ------------------------------------------------------------
for i in $(seq 0 11); do
	id=$((FIRST + 20 + i))
	expect_rc 0 cli desk client edit "$id" --version 1 --no-people
done
expect_rc 0 cli o client history $((FIRST + 20))
has "people"

# ---- the owner sees each attempt ----------------------------------------------
[ "$(alerts_of quota.spent)" -ge 3 ] || fail "quota alerts: $(cat "$T/alerts.json")"
[ "$(alerts_of quota.warn)" -ge 2 ] || fail "80 % alerts: $(cat "$T/alerts.json")"
[ "$(alerts_of duplicates.budget)" -eq 1 ] || fail "budget alert: $(cat "$T/alerts.json")"
[ "$(alerts_of client.duplicate)" -eq 1 ] || fail "merge alert: $(cat "$T/alerts.json")"
[ "$(alerts_of edits.destructive)" -eq 1 ] || fail "wipe alert: $(cat "$T/alerts.json")"
[ "$(alerts_of login.owner_at_branch)" -ge 1 ] || fail "owner-at-desk alert: $(cat "$T/alerts.json")"
[ "$(alerts_of login.lockout)" -ge 1 ] || fail "lockout alert: $(cat "$T/alerts.json")"
grep -q "+7999" "$T/alerts.json" && fail "an alert carries a phone"
expect_rc 0 cli o audit list --user masha
has "client.list"
has "QUOTA_EXCEEDED"
has "client.view"
has "client.add"
has "CONFLICT"
has "desk-1"
expect_rc 0 cli o audit list --user masha --action client.edit
has "removed people or contacts"

# ---- the wiped cards reverted from history --------------------------------------
for i in $(seq 0 11); do
	id=$((FIRST + 20 + i))
	expect_rc 0 cli o client revert "$id" --to 1 --version 2
done
expect_rc 0 cli o --json client find "+7999100$(printf %04d 21)"
has '"total":1'

# ---- offboarded while connected --------------------------------------------------
peer_start m desk
peer_send m resume
peer_expect m '^resume ok$'
expect_rc 0 cli o user offboard masha --to vera
has "masha"
wait_for "$T/m.out" '^closed by server$' 20
peer_end m
expect_rc 1 cli desk whoami
err_has "UNAUTHENTICATED"
expect_rc 0 cli o --json client list --manager vera
has '"total":4[0-9]'
expect_rc 1 cli desk login masha --password-file "$T/m.pw"

kt_stop || fail "server did not stop cleanly"
echo "ok"
