#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The owner administers over the protocol: branches, users, terminals;
# managers are held to their branches and refused administration;
# disabling, password resets and revocations take effect at once.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
enroll_owner own

# ---- branches ----
expect_rc 0 cli own branch add "Центр" --address "ул. Ленина, 1"
grep -q "Центр" "$T/last.out" || fail "branch add: $(cat "$T/last.out")"
expect_rc 0 cli own branch add North
expect_rc 0 cli own branch add Tmp
expect_rc 1 cli own branch add North
grep -q "CONFLICT" "$T/last.err" || fail "duplicate branch: $(cat "$T/last.err")"
expect_rc 0 cli own branch rename North "Север"
expect_rc 1 cli own branch rename North Other
grep -q "NOT_FOUND" "$T/last.err" || fail "rename unknown: $(cat "$T/last.err")"
expect_rc 0 cli own branch archive Tmp
expect_rc 1 cli own branch archive Tmp
grep -q "CONFLICT" "$T/last.err" || fail "archive twice: $(cat "$T/last.err")"
expect_rc 0 cli own branch list
grep -q "Север" "$T/last.out" || fail "branch list: $(cat "$T/last.out")"
grep -q "Tmp" "$T/last.out" && fail "archived branch listed without --all"
expect_rc 0 cli own branch list --all
grep -q "Tmp" "$T/last.out" || fail "branch list --all: $(cat "$T/last.out")"
expect_rc 0 cli own --json branch list
grep -q '"name":"Север"' "$T/last.out" || fail "json branch list: $(cat "$T/last.out")"
# Columns line up by characters, not bytes: the ADDRESS column starts at
# the same place on every line.
expect_rc 0 cli own branch list
export LC_ALL=C.UTF-8
header=$(head -n 1 "$T/last.out")
prefix=${header%%ADDRESS*}
col=${#prefix}
while IFS= read -r line; do
	[ "${#line}" -le "$col" ] && continue
	[ "${line:$((col - 1)):1}" = " " ] || fail "branch list columns not aligned: $(cat "$T/last.out")"
done < <(tail -n +2 "$T/last.out")

# ---- users ----
printf 'head-pass-1\n' >"$T/head.pw"
printf 'manager-pass-1\n' >"$T/mgr.pw"
expect_rc 0 cli own user add olga --role head --branch "Центр" --branch "Север" \
	--name "Ольга" --password-file "$T/head.pw"
expect_rc 0 cli own --json user add misha --role manager --branch "Центр" \
	--password-file "$T/mgr.pw" --quota 50
grep -q '"role":"manager"' "$T/last.out" || fail "json user add: $(cat "$T/last.out")"
grep -q '"daily_view_quota":50' "$T/last.out" || fail "quota: $(cat "$T/last.out")"
expect_rc 1 cli own user add misha --role manager --branch "Центр" --password-file "$T/mgr.pw"
grep -q "CONFLICT" "$T/last.err" || fail "duplicate login: $(cat "$T/last.err")"
expect_rc 2 cli own user add vova --role owner --branch "Центр" --password-file "$T/mgr.pw"
expect_rc 1 cli own user add vova --role manager --branch Nowhere --password-file "$T/mgr.pw"
grep -q "BAD_REQUEST: branches: no branch named 'Nowhere'" "$T/last.err" || fail "unknown branch: $(cat "$T/last.err")"
expect_rc 1 cli own user add vova --role manager --branch Tmp --password-file "$T/mgr.pw"
grep -q "archived" "$T/last.err" || fail "archived branch: $(cat "$T/last.err")"
printf 'short\n' >"$T/short.pw"
expect_rc 1 cli own user add vova --role manager --branch "Центр" --password-file "$T/short.pw"
grep -q "BAD_REQUEST: password" "$T/last.err" || fail "short password: $(cat "$T/last.err")"
expect_rc 1 cli own user change nobody --name X
grep -q "NOT_FOUND" "$T/last.err" || fail "change unknown user: $(cat "$T/last.err")"
expect_rc 0 cli own user list
grep -q "olga" "$T/last.out" && grep -q "misha" "$T/last.out" || fail "user list: $(cat "$T/last.out")"

# ---- terminals: a manager on a branch terminal ----
expect_rc 0 cli own terminal invite --branch "Центр" --advertise "$ADDR"
code_c=$(tail -n 1 "$T/last.out")
expect_rc 0 cli own terminal invite --branch "Север" --advertise "$ADDR"
code_n=$(tail -n 1 "$T/last.out")
expect_rc 1 cli own terminal invite --branch Tmp
expect_rc 0 cli mc enroll "$code_c" --name center-1
expect_rc 0 cli mn enroll "$code_n" --name north-1
expect_rc 0 cli mc login misha --password-file "$T/mgr.pw"
expect_rc 0 cli mc whoami
grep -q "misha" "$T/last.out" || fail "manager whoami: $(cat "$T/last.out")"
# Not from another branch's terminal, nor from the owner's: answered
# like a wrong password, though the password is right.
expect_rc 1 cli mn login misha --password-file "$T/mgr.pw"
grep -q "UNAUTHENTICATED: wrong login or password" "$T/last.err" || fail "other branch: $(cat "$T/last.err")"
cp -r "$T/own" "$T/own2"
expect_rc 1 cli own2 login misha --password-file "$T/mgr.pw"
grep -q "UNAUTHENTICATED: wrong login or password" "$T/last.err" || fail "owner terminal: $(cat "$T/last.err")"
rm -rf "$T/own2"
expect_rc 0 cli own login owner --password-file "$T/owner.pw"
# The head works from either of her branches.
expect_rc 0 cli mn login olga --password-file "$T/head.pw"
# No administration for a manager or a head.
expect_rc 1 cli mc branch add Elsewhere
grep -q "FORBIDDEN: only the owner can add branches" "$T/last.err" || fail "manager branch add: $(cat "$T/last.err")"
expect_rc 1 cli mn user list
grep -q "FORBIDDEN" "$T/last.err" || fail "head user list: $(cat "$T/last.err")"
# Both refusals are in the audit log.
"$KARTOTEKAD" audit tail --data "$T/data" --count 5 >"$T/tail.out"
grep -q "branch.add  -  FORBIDDEN  only the owner can add branches" "$T/tail.out" ||
	fail "refusal not audited: $(cat "$T/tail.out")"
grep -q "user.list  -  FORBIDDEN  only the owner can list users" "$T/tail.out" ||
	fail "refusal not audited: $(cat "$T/tail.out")"
expect_rc 0 cli own terminal list
grep -q "center-1" "$T/last.out" && grep -q "north-1" "$T/last.out" || fail "terminal list: $(cat "$T/last.out")"

# ---- a change of branches ends sessions that no longer fit ----
expect_rc 0 cli own user change olga --branch "Центр"
grep -q "Центр" "$T/last.out" || fail "user change: $(cat "$T/last.out")"
expect_rc 1 cli mn whoami

# ---- disable / enable ----
expect_rc 0 cli own user disable misha
expect_rc 1 cli mc whoami
expect_rc 1 cli mc login misha --password-file "$T/mgr.pw"
grep -q "disabled" "$T/last.err" || fail "disabled login: $(cat "$T/last.err")"
expect_rc 0 cli own user list
grep -q "misha" "$T/last.out" && fail "disabled user listed without --all"
expect_rc 0 cli own user list --all
grep "misha" "$T/last.out" | grep -q "disabled" || fail "user list --all: $(cat "$T/last.out")"
expect_rc 1 cli own user disable misha
grep -q "CONFLICT" "$T/last.err" || fail "disable twice: $(cat "$T/last.err")"
expect_rc 1 cli own user disable owner
grep -q "FORBIDDEN" "$T/last.err" || fail "disable owner: $(cat "$T/last.err")"
expect_rc 0 cli own user enable misha
expect_rc 0 cli mc login misha --password-file "$T/mgr.pw"
expect_rc 0 cli mc whoami

# ---- password reset ends the old session ----
printf 'manager-pass-2\n' >"$T/mgr2.pw"
expect_rc 0 cli own user password misha --password-file "$T/mgr2.pw"
expect_rc 1 cli mc whoami
expect_rc 1 cli mc login misha --password-file "$T/mgr.pw"
expect_rc 0 cli mc login misha --password-file "$T/mgr2.pw"
expect_rc 0 cli mc whoami

# ---- revoking a terminal over the protocol closes it at once ----
"$RAWPEER" --config "$T/mn" hold >"$T/hold.out" 2>&1 &
HOLD_PID=$!
for _ in $(seq 1 200); do
	grep -q "connected" "$T/hold.out" 2>/dev/null && break
	sleep 0.05
done
grep -q "enrolled=1" "$T/hold.out" || fail "hold: $(cat "$T/hold.out")"
expect_rc 1 cli own terminal revoke 12
grep -q "NOT_FOUND" "$T/last.err" || fail "revoke unknown: $(cat "$T/last.err")"
expect_rc 0 cli own terminal revoke north-1
wait "$HOLD_PID" || fail "the revoked terminal's connection was not closed: $(cat "$T/hold.out")"
expect_rc 1 cli own terminal revoke north-1
grep -q "CONFLICT" "$T/last.err" || fail "revoke twice: $(cat "$T/last.err")"
expect_rc 0 cli own --json terminal list
grep -q '"name":"north-1","branch":"Север","public_key":"[0-9a-f]*","enrolled_at":[0-9]*,"revoked":true' \
	"$T/last.out" || fail "json terminal list: $(cat "$T/last.out")"
rc=0; cli mn ping >/dev/null 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "revoked terminal still connects"
expect_rc 0 cli mc whoami

# ---- lists come a page at a time; the CLI follows every page ----
# Pages of one row: every row still arrives, once, in id order.
expect_rc 0 cli own branch list --all --page-size 1
[ "$(tail -n +2 "$T/last.out" | wc -l)" -eq 3 ] || fail "paged branch list: $(cat "$T/last.out")"
for b in "Центр" "Север" Tmp; do
	grep -q "$b" "$T/last.out" || fail "paged branch list lacks $b: $(cat "$T/last.out")"
done
expect_rc 0 cli own --json user list --all --page-size 2
[ "$(wc -l <"$T/last.out")" -eq 1 ] || fail "paged json user list is not one object: $(cat "$T/last.out")"
grep -q '^{"ok":true,"command":"user list","users":\[{' "$T/last.out" || fail "paged json user list: $(cat "$T/last.out")"
[ "$(grep -o '"login":"[a-z]*"' "$T/last.out" | tr '\n' ' ')" = '"login":"owner" "login":"olga" "login":"misha" ' ] ||
	fail "paged json user list rows: $(cat "$T/last.out")"
expect_rc 0 cli own --json terminal list --page-size 1
[ "$(grep -o '"public_key":"[0-9a-f]*"' "$T/last.out" | sort -u | wc -l)" -eq 3 ] ||
	fail "paged json terminal list: $(cat "$T/last.out")"
expect_rc 0 cli own terminal list --page-size 2
grep -q "center-1" "$T/last.out" && grep -q "north-1" "$T/last.out" || fail "paged terminal list: $(cat "$T/last.out")"
expect_rc 2 cli own branch list --page-size 0
grep -q -- "--page-size" "$T/last.err" || fail "page size 0: $(cat "$T/last.err")"
expect_rc 2 cli own user list --page-size 1001
expect_rc 2 cli own terminal list --page-size x

# On the wire: next_cursor leads to the next page, the last page has
# none; a cursor that is not one from this list is BAD_REQUEST naming the
# field, and the connection goes on serving (kt-rawpeer pings after).
expect_rc 0 "$RAWPEER" --config "$T/own" list branch "" 2
next=$(sed -n 's/^rows 2 next \([0-9a-f][0-9a-f]*\)$/\1/p' "$T/last.out")
[ -n "$next" ] || fail "first page of 2: $(cat "$T/last.out")"
expect_rc 0 "$RAWPEER" --config "$T/own" list branch "$next" 2
grep -q '^rows 1 next -$' "$T/last.out" || fail "last page: $(cat "$T/last.out")"
expect_rc 0 "$RAWPEER" --config "$T/own" list user "$next"
grep -q '^error 1 cursor: ' "$T/last.out" || fail "branch cursor for users: $(cat "$T/last.out")"
expect_rc 0 "$RAWPEER" --config "$T/own" list terminal 00112233
grep -q '^error 1 cursor: ' "$T/last.out" || fail "short cursor: $(cat "$T/last.out")"
expect_rc 0 "$RAWPEER" --config "$T/own" list terminal "54$(printf 'ab%.0s' $(seq 1 2000))"
grep -q '^error 1 cursor: ' "$T/last.out" || fail "long cursor: $(cat "$T/last.out")"
expect_rc 0 "$RAWPEER" --config "$T/own" list terminal "54$(printf 'ff%.0s' $(seq 1 32))"
grep -q '^rows 0 next -$' "$T/last.out" || fail "cursor past the end: $(cat "$T/last.out")"

# More branches than one answer holds: a page ends before the row that
# would not fit the frame, and the CLI shows them all.
addr=$(printf 'x%.0s' $(seq 1 250))
expect_rc 0 "$RAWPEER" --config "$T/own" branch-add-many bulk 300 "$addr"
expect_rc 0 "$RAWPEER" --config "$T/own" list branch
rows=$(sed -n 's/^rows \([0-9]*\) next [0-9a-f][0-9a-f]*$/\1/p' "$T/last.out")
[ -n "$rows" ] && [ "$rows" -gt 0 ] && [ "$rows" -lt 303 ] || fail "a full page: $(cat "$T/last.out")"
expect_rc 0 cli own --json branch list --all
[ "$(grep -o '"id":[0-9]*' "$T/last.out" | sort -u | wc -l)" -eq 303 ] || fail "json branch list over pages: $(head -c 300 "$T/last.out")"
[ "$(grep -o '"name":"bulk-[0-9]*"' "$T/last.out" | wc -l)" -eq 300 ] || fail "bulk branches: $(head -c 300 "$T/last.out")"
expect_rc 0 cli own branch list
[ "$(tail -n +2 "$T/last.out" | wc -l)" -eq 302 ] || fail "branch list over pages: $(head -n 3 "$T/last.out")"
grep -q "bulk-0300" "$T/last.out" || fail "the last branch is missing"

# ---- help and usage ----
expect_rc 0 "$KARTOTEKA" user add --help
grep -q "Example" "$T/last.out" || fail "user add --help"
expect_rc 0 "$KARTOTEKA" branch --help
grep -q "branch rename" "$T/last.out" || fail "branch --help"
expect_rc 2 "$KARTOTEKA" branch frobnicate
expect_rc 2 cli own user add x --branch "Центр"

# ---- every list page is audited before it is answered ----
audit_entries() {
	"$KARTOTEKAD" audit verify --data "$T/data" |
		sed -n 's/^audit chain intact: \([0-9]*\) entries$/\1/p'
}
before=$(audit_entries)
[ -n "$before" ] || fail "audit verify printed no count"
expect_rc 0 cli own user list
expect_rc 0 cli own terminal list
expect_rc 0 cli own branch list --page-size 200    # 302 rows: two pages
after=$(audit_entries)
# Four pages, and each of the three commands' resume.
[ "$after" -eq $((before + 7)) ] || fail "lists audited: $before -> $after entries, want +7"

"$KARTOTEKAD" audit verify --data "$T/data" >"$T/verify.out" || fail "audit verify"
kt_stop || fail "server did not stop cleanly"
echo "ok"
