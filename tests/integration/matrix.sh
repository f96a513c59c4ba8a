#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The role table of DESIGN.md section 4 against the real server, end to
# end: the owner, a head of branch A and a manager of A each try every
# client operation on their own client, on another manager's client of
# their branch and on a client of branch B. Every case (table below, one
# line each) must give exactly the expected outcome: success, FORBIDDEN,
# or NOT_FOUND worded exactly like a missing id (a client of another
# branch must not leak its existence), and find/list must or must not
# return the row. Also: a manager's full views count against the quota.
. "$(dirname "$0")/lib.sh"
kt_init
# The quota is per UTC day: the server runs on a clock that starts at
# 10:00 UTC today and runs on, so the day cannot change under the quota
# check (14 hours to midnight), while its timers work as usual. Today, not
# a fixed date: invites made by the offline `kartotekad invite` carry the
# real time and are valid for the next 24 hours.
FAKE_DAY=$(date -u +%F)
kt_use_faketime "$FAKE_DAY 10:00:00"
kt_start
enroll_owner owner
# The fake clock took: the server's time is within its first 14 hours.
expect_rc 0 cli owner --json ping
fake_ms=$(sed -n 's/.*"server_time_ms":\([0-9]*\).*/\1/p' "$T/last.out")
start_ms=$(( $(date -u -d "$FAKE_DAY 10:00:00" +%s) * 1000 ))
[ -n "$fake_ms" ] && [ "$fake_ms" -ge "$start_ms" ] &&
	[ "$fake_ms" -lt $((start_ms + 14 * 3600 * 1000)) ] ||
	fail "the server does not run on the fake clock: $(cat "$T/last.out")"

BA="Центр"
BB="Север"
expect_rc 0 cli owner branch add "$BA"
expect_rc 0 cli owner branch add "$BB"

# ---- users, each on an enrolled terminal of its branch, logged in once ----
# The config directory of each user is named after its login.
printf 'matrix-pass-1\n' >"$T/u.pw"
declare -A UBRANCH=([ha]=$BA [m1]=$BA [m2]=$BA [hb]=$BB [m3]=$BB)
for u in ha m1 m2 hb m3; do
	role=manager
	case $u in h*) role=head ;; esac
	expect_rc 0 cli owner user add "$u" --role "$role" \
		--branch "${UBRANCH[$u]}" --password-file "$T/u.pw"
	expect_rc 0 cli owner terminal invite --branch "${UBRANCH[$u]}" \
		--advertise "$ADDR"
	code=$(tail -n 1 "$T/last.out")
	expect_rc 0 cli "$u" enroll "$code" --name "term-$u"
	expect_rc 0 cli "$u" login "$u" --password-file "$T/u.pw"
done

# ---- clients ----------------------------------------------------------------
# Per client name: id, title, branch, manager (login), version (tracked
# here: every successful write bumps it, refusals must not).
declare -A ID TITLE BR MGR VER

# new_client NAME CALLER TITLE BRANCH PHONE: CALLER adds a client it manages.
new_client() {
	local name=$1 who=$2 title=$3 branch=$4 phone=$5 id
	expect_rc 0 cli "$who" --json client add --title "$title" \
		--branch "$branch" --person "Контакт;parent;;$phone"
	id=$(sed -n 's/.*"client":{"id":\([0-9]*\),"version":1,.*/\1/p' "$T/last.out")
	[ -n "$id" ] || fail "client add $name: no id in $(cat "$T/last.out")"
	grep -q "\"manager\":\"$who\"" "$T/last.out" ||
		fail "client add $name: manager is not $who: $(cat "$T/last.out")"
	ID[$name]=$id
	TITLE[$name]=$title
	BR[$name]=$branch
	MGR[$name]=$who
	VER[$name]=1
}

new_client c_o owner "Орловы" "$BA" "+79990000101"
new_client c_ha ha "Гусевы" "$BA" "+79990000102"
new_client c_m1 m1 "Медведевы" "$BA" "+79990000103"
new_client c_m2 m2 "Морозовы" "$BA" "+79990000104"
new_client c_m3 m3 "Соколовы" "$BB" "+79990000105"

# The three targets of each role. The owner has no branch of its own:
# "own" is a client it manages, "same" a manager's client of A, "other"
# a client of B.
declare -A TGT=(
	[owner.own]=c_o [owner.same]=c_m1 [owner.other]=c_m3
	[ha.own]=c_ha [ha.same]=c_m1 [ha.other]=c_m3
	[m1.own]=c_m1 [m1.same]=c_m2 [m1.other]=c_m3
)
# Whom each client is reassigned to: another user of its branch.
declare -A REASSIGN_TO=([c_o]=m2 [c_ha]=m2 [c_m1]=m2 [c_m2]=m1 [c_m3]=hb)
# The branch a role adds its clients to.
declare -A HOME_BRANCH=([owner]=$BA [ha]=$BA [m1]=$BA)

# Throwaway clients for purge, one per role and target, made by the
# manager of the matching main client in its branch.
n=0
for key in "${!TGT[@]}"; do
	main=${TGT[$key]}
	n=$((n + 1))
	new_client "p.$key" "${MGR[$main]}" "Стираемые ${key/./ }" \
		"${BR[$main]}" "+7999000$(printf '%04d' $((200 + n)))"
done

# ---- a manager's full views count against the daily quota -------------------
# m1 has opened no card yet. A client it cannot see answers NOT_FOUND and
# costs no view.
expect_rc 0 cli owner user change m1 --quota 3
expect_rc 0 cli m1 whoami
expect_rc 0 cli m1 client show "${ID[c_m1]}"
expect_rc 1 cli m1 client show "${ID[c_m3]}"
grep -q "NOT_FOUND" "$T/last.err" || fail "quota: show of B: $(cat "$T/last.err")"
expect_rc 0 cli m1 client show "${ID[c_m2]}"
expect_rc 0 cli m1 client show "${ID[c_m1]}"
expect_rc 1 cli m1 client show "${ID[c_m1]}"
grep -q "QUOTA_EXCEEDED: daily quota of 3 full cards used up" "$T/last.err" ||
	fail "quota: 4th show: $(cat "$T/last.out" "$T/last.err")"
# Masked rows are not counted.
expect_rc 0 cli m1 --json client find "${TITLE[c_m1]}"
grep -q "{\"id\":${ID[c_m1]}," "$T/last.out" || fail "quota: find: $(cat "$T/last.out")"
expect_rc 0 cli owner user change m1 --quota 1000

# ---- the matrix ---------------------------------------------------------------
# role  op  target  expected. Targets: own / same (another manager's client
# of the caller's branch) / other (a client of another branch); for add:
# own = in the caller's branch, same = naming another manager of it,
# other = in branch B. Expected: ok (exit 0), FORBIDDEN or NOT_FOUND
# (exit 1 with that code), seen / hidden (find and list: exit 0, with or
# without the row). Purge runs last, on the throwaway clients.
CASES='
owner add      own   ok
owner add      same  ok
owner add      other ok
owner show     own   ok
owner show     same  ok
owner show     other ok
owner find     own   seen
owner find     same  seen
owner find     other seen
owner list     own   seen
owner list     same  seen
owner list     other seen
owner edit     own   ok
owner edit     same  ok
owner edit     other ok
owner archive  own   ok
owner archive  same  ok
owner archive  other ok
owner restore  own   ok
owner restore  same  ok
owner restore  other ok
owner reassign own   ok
owner reassign same  ok
owner reassign other ok

ha    add      own   ok
ha    add      same  ok
ha    add      other FORBIDDEN
ha    show     own   ok
ha    show     same  ok
ha    show     other NOT_FOUND
ha    find     own   seen
ha    find     same  seen
ha    find     other hidden
ha    list     own   seen
ha    list     same  seen
ha    list     other hidden
ha    edit     own   ok
ha    edit     same  ok
ha    edit     other NOT_FOUND
ha    archive  own   ok
ha    archive  same  ok
ha    archive  other NOT_FOUND
ha    restore  own   ok
ha    restore  same  ok
ha    restore  other NOT_FOUND
ha    reassign own   ok
ha    reassign same  ok
ha    reassign other NOT_FOUND

m1    add      own   ok
m1    add      same  FORBIDDEN
m1    add      other FORBIDDEN
m1    show     own   ok
m1    show     same  ok
m1    show     other NOT_FOUND
m1    find     own   seen
m1    find     same  seen
m1    find     other hidden
m1    list     own   seen
m1    list     same  seen
m1    list     other hidden
m1    edit     own   ok
m1    edit     same  FORBIDDEN
m1    edit     other NOT_FOUND
m1    archive  own   ok
m1    archive  same  FORBIDDEN
m1    archive  other NOT_FOUND
m1    restore  own   ok
m1    restore  same  FORBIDDEN
m1    restore  other NOT_FOUND
m1    reassign own   FORBIDDEN
m1    reassign same  FORBIDDEN
m1    reassign other FORBIDDEN

ha    purge    own   FORBIDDEN
ha    purge    same  FORBIDDEN
ha    purge    other FORBIDDEN
m1    purge    own   FORBIDDEN
m1    purge    same  FORBIDDEN
m1    purge    other FORBIDDEN
owner purge    own   ok
owner purge    same  ok
owner purge    other ok
'
CASES_EXPECTED=81
# Interactions (DESIGN §4: any client of the caller's branches).
CASES+='
owner note     own   ok
owner note     same  ok
owner note     other ok
owner notes    own   ok
owner notes    same  ok
owner notes    other ok
ha    note     own   ok
ha    note     same  ok
ha    note     other NOT_FOUND
ha    notes    own   ok
ha    notes    same  ok
ha    notes    other NOT_FOUND
m1    note     own   ok
m1    note     same  ok
m1    note     other NOT_FOUND
m1    notes    own   ok
m1    notes    same  ok
m1    notes    other NOT_FOUND
'
CASES_EXPECTED=$((CASES_EXPECTED + 18))
# People one at a time (issue 9 item 7: person add, edit, remove): the
# class of client edit. Each role adds a person, edits the first one's
# note and removes the person it added, so the next role sees the same
# card.
CASES+='
owner padd     own   ok
owner padd     same  ok
owner padd     other ok
owner pedit    own   ok
owner pedit    same  ok
owner pedit    other ok
owner prm      own   ok
owner prm      same  ok
owner prm      other ok
ha    padd     own   ok
ha    padd     same  ok
ha    padd     other NOT_FOUND
ha    pedit    own   ok
ha    pedit    same  ok
ha    pedit    other NOT_FOUND
ha    prm      own   ok
ha    prm      same  ok
ha    prm      other NOT_FOUND
m1    padd     own   ok
m1    padd     same  FORBIDDEN
m1    padd     other NOT_FOUND
m1    pedit    own   ok
m1    pedit    same  FORBIDDEN
m1    pedit    other NOT_FOUND
m1    prm      own   ok
m1    prm      same  FORBIDDEN
m1    prm      other NOT_FOUND
'
CASES_EXPECTED=$((CASES_EXPECTED + 27))

ncase=0
mismatch() {
	echo "--- stdout ---" >&2
	cat "$T/last.out" >&2
	echo "--- stderr ---" >&2
	cat "$T/last.err" >&2
	fail "case $ncase: role=$1 op=$2 target=$3 (client ${4:-new}): $5"
}

# run_case ROLE OP TARGET WANT
run_case() {
	local role=$1 op=$2 target=$3 want=$4 name="" id="" got rc=0 to=""
	local -a args
	case $op in
	add)
		local branch=${HOME_BRANCH[$role]} mgr=$role
		args=(client add --title "Новые $role $target")
		case $target in
		own) ;;
		same) mgr=${MGR[${TGT[$role.same]}]} ;;
		other) branch=$BB ;;
		esac
		args+=(--branch "$branch")
		[ "$mgr" = "$role" ] || args+=(--manager "$mgr")
		;;
	purge) name=p.$role.$target ;;
	*) name=${TGT[$role.$target]} ;;
	esac
	if [ -n "$name" ]; then
		id=${ID[$name]}
		[ -n "$id" ] || fail "case $ncase: no client for $role/$op/$target"
	fi
	case $op in
	add) ;;
	show) args=(client show "$id") ;;
	edit) args=(client edit "$id" --version "${VER[$name]}" --source "by $role") ;;
	archive) args=(client archive "$id") ;;
	restore) args=(client restore "$id") ;;
	reassign)
		to=${REASSIGN_TO[$name]}
		args=(client reassign "$id" "$to")
		;;
	find) args=(client find "${TITLE[$name]}") ;;
	list) args=(client list --limit 200) ;;
	purge) args=(client purge "$id" --reason "matrix") ;;
	note) args=(note "$id" --channel call --topic "matrix $role") ;;
	notes) args=(notes "$id") ;;
	padd) args=(person add "$id" --version "${VER[$name]}" --name "Новый $role") ;;
	pedit) args=(person edit "$id" 1 --version "${VER[$name]}" --note "by $role") ;;
	prm) args=(person remove "$id" 2 --version "${VER[$name]}") ;;
	*) fail "case $ncase: unknown op '$op'" ;;
	esac

	cli "$role" --json "${args[@]}" >"$T/last.out" 2>"$T/last.err" || rc=$?
	case $rc in
	0)
		got=ok
		if [ "$op" = find ] || [ "$op" = list ]; then
			got=hidden
			grep -q "{\"id\":$id," "$T/last.out" && got=seen
		fi
		;;
	1) got=$(sed -n '1s/^error: \([A-Z_]*\): .*/\1/p' "$T/last.err") ;;
	*) got="exit $rc" ;;
	esac
	printf 'case %2d: %-5s %-8s %-5s -> %s\n' "$ncase" "$role" "$op" "$target" "$got"
	[ "$got" = "$want" ] || mismatch "$role" "$op" "$target" "$id" \
		"expected $want, got ${got:-exit 1 without an error code}"

	# What each outcome must also show.
	case $want in
	NOT_FOUND)
		# Exactly the answer for an id that never existed.
		[ "$(cat "$T/last.err")" = "error: NOT_FOUND: no client $id" ] ||
			mismatch "$role" "$op" "$target" "$id" "NOT_FOUND worded unlike a missing client"
		;;
	FORBIDDEN)
		grep -qE "^error: FORBIDDEN: (you may not|only the owner can) " "$T/last.err" ||
			mismatch "$role" "$op" "$target" "$id" "FORBIDDEN without a reason"
		;;
	seen | hidden)
		if [ "$op" = find ]; then
			local total=1
			[ "$want" = seen ] || total=0
			grep -q "\"total\":$total," "$T/last.out" ||
				mismatch "$role" "$op" "$target" "$id" "find total is not $total"
		fi
		;;
	ok)
		case $op in
		add)
			grep -q "\"branch\":\"$branch\",\"manager\":\"$mgr\"" "$T/last.out" ||
				mismatch "$role" "$op" "$target" "" "not added to $branch for $mgr"
			;;
		show)
			grep -q "\"masked\":false" "$T/last.out" ||
				mismatch "$role" "$op" "$target" "$id" "full card masked"
			;;
		note)
			grep -q "\"note\":{\"id\":[0-9]*,\"client\":$id," "$T/last.out" ||
				mismatch "$role" "$op" "$target" "$id" "no entry in the answer"
			;;
		notes)
			grep -q "\"client\":$id,\"notes\":\[{" "$T/last.out" ||
				mismatch "$role" "$op" "$target" "$id" "no entries listed"
			;;
		edit | archive | restore | reassign | padd | pedit | prm)
			VER[$name]=$((VER[$name] + 1))
			grep -q "{\"id\":$id,\"version\":${VER[$name]}," "$T/last.out" ||
				mismatch "$role" "$op" "$target" "$id" "version is not ${VER[$name]}"
			;;
		esac
		case $op in
		archive) grep -q '"archived":true' "$T/last.out" ||
			mismatch "$role" "$op" "$target" "$id" "not archived" ;;
		restore) grep -q '"archived":false' "$T/last.out" ||
			mismatch "$role" "$op" "$target" "$id" "not restored" ;;
		padd) grep -q "\"name\":\"Новый $role\"" "$T/last.out" ||
			mismatch "$role" "$op" "$target" "$id" "person not added" ;;
		prm) ! grep -q "\"name\":\"Новый $role\"" "$T/last.out" ||
			mismatch "$role" "$op" "$target" "$id" "person not removed" ;;
		reassign)
			grep -q "\"manager\":\"$to\"" "$T/last.out" ||
				mismatch "$role" "$op" "$target" "$id" "manager is not $to"
			# Back to its manager, so the next cases see the same table.
			expect_rc 0 cli owner --json client reassign "$id" "${MGR[$name]}"
			VER[$name]=$((VER[$name] + 1))
			;;
		purge)
			expect_rc 1 cli owner client show "$id"
			grep -q "NOT_FOUND: client $id was purged" "$T/last.err" ||
				fail "case $ncase: purged client $id: $(cat "$T/last.err")"
			;;
		esac
		;;
	esac
}

# An id that never existed answers the same words as a hidden client.
expect_rc 1 cli m1 client show 999999
[ "$(cat "$T/last.err")" = "error: NOT_FOUND: no client 999999" ] ||
	fail "missing client: $(cat "$T/last.err")"

mapfile -t lines <<<"$CASES"
for line in "${lines[@]}"; do
	read -r role op target want extra <<<"$line" || true
	case ${role:-} in '' | '#'*) continue ;; esac
	[ -z "${extra:-}" ] && [ -n "${want:-}" ] || fail "malformed case line: $line"
	ncase=$((ncase + 1))
	run_case "$role" "$op" "$target" "$want"
done
[ "$ncase" -eq "$CASES_EXPECTED" ] ||
	fail "ran $ncase cases, the table should have $CASES_EXPECTED"
echo "matrix: $ncase cases passed"

# ---- deals: the deal row of the role table -------------------------------------
# DESIGN §4: managers deal with their own clients, heads with their
# branches', the owner with all; a client of another branch, or a deal of
# one, answers exactly like a missing one. Each main client has one deal,
# added by its manager.
declare -A DEAL DVER
for name in c_o c_ha c_m1 c_m2 c_m3; do
	expect_rc 0 cli "${MGR[$name]}" --json deal add "${ID[$name]}" --title "Курс $name"
	DEAL[$name]=$(sed -n 's/.*"deal":{"id":\([0-9]*\).*/\1/p' "$T/last.out")
	[ -n "${DEAL[$name]}" ] || fail "deal add $name: $(cat "$T/last.out")"
	DVER[$name]=1
done
DEAL_CASES='
owner deal-add   own   ok
owner deal-add   same  ok
owner deal-add   other ok
owner deal-stage own   ok
owner deal-stage same  ok
owner deal-stage other ok
owner deal-list  own   seen
owner deal-list  same  seen
owner deal-list  other seen
ha    deal-add   own   ok
ha    deal-add   same  ok
ha    deal-add   other NOT_FOUND
ha    deal-stage own   ok
ha    deal-stage same  ok
ha    deal-stage other NOT_FOUND
ha    deal-list  own   seen
ha    deal-list  same  seen
ha    deal-list  other NOT_FOUND
m1    deal-add   own   ok
m1    deal-add   same  FORBIDDEN
m1    deal-add   other NOT_FOUND
m1    deal-stage own   ok
m1    deal-stage same  FORBIDDEN
m1    deal-stage other NOT_FOUND
m1    deal-list  own   seen
m1    deal-list  same  hidden
m1    deal-list  other NOT_FOUND
'
ndeal=0
mapfile -t lines <<<"$DEAL_CASES"
for line in "${lines[@]}"; do
	read -r role op target want extra <<<"$line" || true
	case ${role:-} in '' | '#'*) continue ;; esac
	ndeal=$((ndeal + 1))
	name=${TGT[$role.$target]}
	id=${ID[$name]}
	did=${DEAL[$name]}
	case $op in
	deal-add) args=(deal add "$id" --title "Новый курс $role") ; missing="no client $id" ;;
	deal-stage) args=(deal stage "$did" progress --version "${DVER[$name]}") ; missing="no deal $did" ;;
	deal-list) args=(deal list --client "$id") ; missing="no client $id" ;;
	esac
	rc=0
	cli "$role" --json "${args[@]}" >"$T/last.out" 2>"$T/last.err" || rc=$?
	case $rc in
	0)
		got=ok
		if [ "$op" = deal-list ]; then
			got=hidden
			grep -q "{\"id\":$did," "$T/last.out" && got=seen
		fi
		;;
	1) got=$(sed -n '1s/^error: \([A-Z_]*\): .*/\1/p' "$T/last.err") ;;
	*) got="exit $rc" ;;
	esac
	printf 'deal case %2d: %-5s %-10s %-5s -> %s\n' "$ndeal" "$role" "$op" "$target" "$got"
	[ "$got" = "$want" ] || { ncase=$ndeal; mismatch "$role" "$op" "$target" "$id" "expected $want, got $got"; }
	[ "$op" = deal-stage ] && [ "$got" = ok ] && DVER[$name]=$((DVER[$name] + 1))
	if [ "$want" = NOT_FOUND ]; then
		[ "$(cat "$T/last.err")" = "error: NOT_FOUND: $missing" ] ||
			{ ncase=$ndeal; mismatch "$role" "$op" "$target" "$id" "NOT_FOUND worded unlike a missing one"; }
	fi
	if [ "$want" = FORBIDDEN ]; then
		grep -qE "^error: FORBIDDEN: you may not " "$T/last.err" ||
			{ ncase=$ndeal; mismatch "$role" "$op" "$target" "$id" "FORBIDDEN without a reason"; }
	fi
done
[ "$ndeal" -eq 27 ] || fail "ran $ndeal deal cases, the table has 27"
expect_rc 1 cli m1 deal stage 999999 won --version 1
[ "$(cat "$T/last.err")" = "error: NOT_FOUND: no deal 999999" ] ||
	fail "missing deal: $(cat "$T/last.err")"
echo "matrix: $ndeal deal cases passed"

# ---- tasks and the agenda (issue 9): the same targets, each role adding
# a task about the client, closing the task its manager made, listing its
# manager's tasks, reading its manager's agenda. Hidden clients and tasks
# answer like missing ones.
declare -A TASK
for name in c_o c_ha c_m1 c_m2 c_m3; do
	expect_rc 0 cli "${MGR[$name]}" --json task add --client "${ID[$name]}" \
		--due today --kind call "matrix $name"
	TASK[$name]=$(sed -n 's/.*"task":{"id":\([0-9]*\),.*/\1/p' "$T/last.out")
	[ -n "${TASK[$name]}" ] || fail "task of $name: $(cat "$T/last.out")"
done
TASK_CASES='
owner add  own ok
owner add  same ok
owner add  other ok
ha    add  own ok
ha    add  same ok
ha    add  other NOT_FOUND
m1    add  own ok
m1    add  same ok
m1    add  other NOT_FOUND
owner done own ok
owner done same ok
owner done other ok
ha    done own ok
ha    done same ok
ha    done other NOT_FOUND
m1    done own ok
m1    done same NOT_FOUND
m1    done other NOT_FOUND
owner list own seen
owner list same seen
owner list other seen
ha    list own seen
ha    list same seen
ha    list other hidden
m1    list own seen
m1    list same FORBIDDEN
m1    list other FORBIDDEN
owner agenda own seen
owner agenda same seen
owner agenda other seen
ha    agenda own seen
ha    agenda same seen
ha    agenda other hidden
m1    agenda own seen
m1    agenda same FORBIDDEN
m1    agenda other FORBIDDEN
'
ntask=0
while read -r role op target want; do
	[ -n "${role:-}" ] || continue
	ntask=$((ntask + 1))
	name=${TGT[$role.$target]}
	id=${ID[$name]}
	tid=${TASK[$name]}
	case $op in
	add) args=(task add --client "$id" --due tomorrow --kind call "by $role") ;;
	done) args=(task done "$tid") ;;
	list) args=(task list --all --user "${MGR[$name]}") ;;
	agenda) args=(agenda --user "${MGR[$name]}") ;;
	esac
	rc=0
	cli "$role" --json "${args[@]}" >"$T/last.out" 2>"$T/last.err" || rc=$?
	case $rc in
	0) got=ok
		if [ "$op" = list ]; then
			got=hidden
			grep -q "{\"id\":$tid," "$T/last.out" && got=seen
		elif [ "$op" = agenda ]; then
			got=hidden
			grep -q "\"client_id\":$id," "$T/last.out" && got=seen
		fi ;;
	1) got=$(sed -n '1s/^error: \([A-Z_]*\): .*/\1/p' "$T/last.err") ;;
	*) got="exit $rc" ;;
	esac
	printf 'task case %2d: %-5s %-4s %-5s -> %s\n' "$ntask" "$role" "$op" "$target" "$got"
	[ "$got" = "$want" ] || { ncase=$ntask; mismatch "$role" "task $op" "$target" "$id" "expected $want, got $got"; }
	if [ "$want" = NOT_FOUND ]; then
		what="client $id"
		[ "$op" = done ] && what="task $tid"
		[ "$(cat "$T/last.err")" = "error: NOT_FOUND: no $what" ] ||
			{ ncase=$ntask; mismatch "$role" "task $op" "$target" "$id" "NOT_FOUND worded unlike a missing one"; }
	fi
	# Open again for the next role.
	if [ "$op" = done ] && [ "$got" = ok ]; then
		expect_rc 0 cli owner task reopen "$tid"
	fi
done <<<"$TASK_CASES"
[ "$ntask" -eq 36 ] || fail "ran $ntask task cases, the table has 36"
echo "matrix: $ntask task cases passed"

# ---- reports (issue 9): per role, a report of each target's manager and
# of its branch. A manager reports on its own clients only; a manager or
# branch the caller may not see answers exactly like a missing one.
REPORT_CASES='
owner manager own ok
owner manager same ok
owner manager other ok
ha    manager own ok
ha    manager same ok
ha    manager other NOT_FOUND
m1    manager own ok
m1    manager same NOT_FOUND
m1    manager other NOT_FOUND
owner branch own ok
owner branch same ok
owner branch other ok
ha    branch own ok
ha    branch same ok
ha    branch other NOT_FOUND
m1    branch own ok
m1    branch same ok
m1    branch other NOT_FOUND
'
nreport=0
while read -r role op target want; do
	[ -n "${role:-}" ] || continue
	nreport=$((nreport + 1))
	name=${TGT[$role.$target]}
	case $op in
	manager) args=(report --manager "${MGR[$name]}"); missing="manager: no user '${MGR[$name]}'" ;;
	branch) args=(report --branch "${BR[$name]}"); missing="branch: no branch '${BR[$name]}'" ;;
	esac
	rc=0
	cli "$role" --json "${args[@]}" >"$T/last.out" 2>"$T/last.err" || rc=$?
	case $rc in
	0) got=ok ;;
	1) got=$(sed -n '1s/^error: \([A-Z_]*\): .*/\1/p' "$T/last.err") ;;
	*) got="exit $rc" ;;
	esac
	printf 'report case %2d: %-5s %-7s %-5s -> %s\n' "$nreport" "$role" "$op" "$target" "$got"
	[ "$got" = "$want" ] || { ncase=$nreport; mismatch "$role" "report $op" "$target" "-" "expected $want, got $got"; }
	if [ "$want" = NOT_FOUND ]; then
		[ "$(cat "$T/last.err")" = "error: NOT_FOUND: $missing" ] ||
			{ ncase=$nreport; mismatch "$role" "report $op" "$target" "-" "NOT_FOUND worded unlike a missing one"; }
	fi
	# A manager's report is of its own clients whatever the branch.
	if [ "$role" = m1 ] && [ "$got" = ok ]; then
		grep -q '"scope":"[^"]*manager m1"' "$T/last.out" ||
			{ ncase=$nreport; mismatch "$role" "report $op" "$target" "-" "not m1's own: $(cat "$T/last.out")"; }
	fi
done <<<"$REPORT_CASES"
for m in nobody-here; do
	expect_rc 1 cli ha report --manager "$m"
	[ "$(cat "$T/last.err")" = "error: NOT_FOUND: manager: no user '$m'" ] ||
		fail "missing manager: $(cat "$T/last.err")"
done
expect_rc 1 cli ha report --branch "Нигде"
[ "$(cat "$T/last.err")" = "error: NOT_FOUND: branch: no branch 'Нигде'" ] ||
	fail "missing branch: $(cat "$T/last.err")"
[ "$nreport" -eq 18 ] || fail "ran $nreport report cases, the table has 18"
echo "matrix: $nreport report cases passed"

# ---- after the matrix ----------------------------------------------------------
# Refusals changed nothing: each main client has the version counted here,
# its manager, and is not archived.
for name in c_o c_ha c_m1 c_m2 c_m3; do
	expect_rc 0 cli owner --json client show "${ID[$name]}"
	grep -q "{\"id\":${ID[$name]},\"version\":${VER[$name]}," "$T/last.out" ||
		fail "$name: version is not ${VER[$name]}: $(cat "$T/last.out")"
	grep -q "\"manager\":\"${MGR[$name]}\"" "$T/last.out" ||
		fail "$name: manager is not ${MGR[$name]}: $(cat "$T/last.out")"
	grep -q '"archived":false' "$T/last.out" || fail "$name: archived"
done
# Another branch's client is not found by its full phone number nor by
# filters naming its branch or manager.
for who in ha m1; do
	expect_rc 0 cli "$who" --json client find "+79990000105"
	grep -q '"total":0,' "$T/last.out" || fail "$who finds B by phone: $(cat "$T/last.out")"
	expect_rc 0 cli "$who" --json client list --branch "$BB"
	grep -q '"total":0,' "$T/last.out" || fail "$who lists B: $(cat "$T/last.out")"
	expect_rc 0 cli "$who" --json client list --manager m3
	grep -q '"total":0,' "$T/last.out" || fail "$who lists m3's: $(cat "$T/last.out")"
done
# The head of B sees its client, none of A's.
expect_rc 0 cli hb --json client list --limit 200
grep -q "{\"id\":${ID[c_m3]}," "$T/last.out" || fail "hb does not see c_m3"
grep -q "{\"id\":${ID[c_m1]}," "$T/last.out" && fail "hb sees c_m1"

"$KARTOTEKAD" audit verify --data "$T/data" >"$T/verify.out" ||
	fail "audit verify: $(cat "$T/verify.out")"
kt_stop || fail "server did not stop cleanly"
echo "ok"
