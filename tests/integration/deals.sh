#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Deals end to end with the real CLI: a course sold (amounts as people type
# them, refused when they are not amounts), won, listed by stage and
# period (the close date, both days included), a subscription ending soon
# renewed, the won-in-a-period client filter, a manager of another branch
# answered like for a missing client or deal, and merge and purge taking
# the deals along.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
enroll_owner o

has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
hasnt() { ! grep -q -- "$1" "$T/last.out" || fail "did not expect '$1' in: $(cat "$T/last.out")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }
client_id() { sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out"; }
# Entries other than the session resumes every command starts with.
audit_all() { "$KARTOTEKAD" audit tail --data "$T/data" --count 1000000 | awk '$5 != "resume"' | wc -l; }
deal_id() { sed -n 's/.*"deal":{"id":\([0-9]*\).*/\1/p' "$T/last.out"; }

TODAY=$(date +%F)
YESTERDAY=$(date -d yesterday +%F)
WEEK_AGO=$(date -d '7 days ago' +%F)
SOON=$(date -d '+5 days' +%F)
LATER=$(date -d '+95 days' +%F)

expect_rc 0 cli o branch add Центр
expect_rc 0 cli o branch add Север
printf 'staff-pass-1\n' >"$T/s.pw"
expect_rc 0 cli o user add masha --role manager --branch Центр --password-file "$T/s.pw"
expect_rc 0 cli o user add vera --role manager --branch Север --password-file "$T/s.pw"
code=$(kt_invite --branch Центр)
expect_rc 0 cli c1 enroll "$code" --name desk-centre
code=$(kt_invite --branch Север)
expect_rc 0 cli s1 enroll "$code" --name desk-north
expect_rc 0 cli c1 login masha --password-file "$T/s.pw"
expect_rc 0 cli s1 login vera --password-file "$T/s.pw"

expect_rc 0 cli c1 --json client add --title Ёлкины
A=$(client_id)
expect_rc 0 cli c1 --json client add --title Петровы
B=$(client_id)

# ---- a course sold -------------------------------------------------------------
expect_rc 0 cli c1 deal add "$A" --title 'Английский, осень' --amount '12 500,50' \
	--course 'Английский 5-7 лет'
has "Added deal 1: Английский, осень (version 1)"
has "12,500.50 RUB"
has "new"
has "masha (Центр)"
expect_rc 0 cli c1 --json deal show 1
has '"amount_minor":1250050'
has '"currency":"RUB"'
for bad in 12.345 -5 abc; do
	expect_rc 2 cli c1 deal add "$A" --title Курс --amount "$bad"
	err_has -- "--amount"
done
expect_rc 2 cli c1 deal add "$A" --amount 100
err_has -- "--title is required"
expect_rc 1 cli c1 deal add "$A" --title '   '
err_has "title: is blank"
expect_rc 0 cli c1 deal add "$A" --title 'Подарок' --amount 5000 --currency jpy
has "5,000 JPY"

# ---- won, listed by stage and period -------------------------------------------
expect_rc 0 cli c1 deal stage 1 won --reason 'оплатили картой'
has "Moved deal 1"
has "won"
expect_rc 1 cli c1 deal stage 1 lost --version 1
err_has "CONFLICT"
expect_rc 0 cli c1 deal list --stage won --from "$TODAY" --to "$TODAY"
has "Английский, осень"
hasnt "Подарок"
expect_rc 0 cli c1 deal list --stage won --from "$WEEK_AGO" --to "$YESTERDAY"
has "No deals."
expect_rc 0 cli c1 --json deal list --client "$A"
has '"deals":\[{"id":2'
expect_rc 0 cli c1 deal edit 2 --amount 4500 --note 'скидка'
has "Changed deal 2"
has "4,500 JPY"

# ---- a subscription ending soon, renewed ----------------------------------------
expect_rc 0 cli c1 --json deal add "$B" --title 'Абонемент, рисование' --amount 8000 \
	--from "$WEEK_AGO" --to "$SOON" --lessons 8
SUB=$(deal_id)
has "\"valid_to\":\"$SOON\""
has '"lessons":8'
expect_rc 2 cli c1 deal add "$B" --title Абонемент --from "$TODAY"
err_has -- "--from and --to go together"
expect_rc 1 cli c1 deal add "$A" --title 'Продление' --renews "$SUB" --from "$SOON" --to "$LATER"
err_has "renews: no subscription $SUB of client $A"
expect_rc 0 cli c1 --json deal add "$B" --title 'Продление' --renews "$SUB" --from "$SOON" --to "$LATER"
has "\"renews\":$SUB"

# ---- won in a period: a client list filter --------------------------------------
expect_rc 0 cli c1 client list --won-from "$TODAY" --won-to "$TODAY"
has "Ёлкины"
hasnt "Петровы"
expect_rc 0 cli c1 --json client list --won-from "$WEEK_AGO" --won-to "$YESTERDAY"
has '"total":0'

# ---- another branch: like a missing client or deal, nothing written -------------
before=$(audit_all)
expect_rc 1 cli s1 deal add "$A" --title Курс
err_has "no client $A"
expect_rc 1 cli s1 deal stage 1 lost
err_has "no deal 1"
expect_rc 1 cli s1 deal stage 999 lost
err_has "no deal 999"
expect_rc 1 cli s1 deal list --client "$A"
err_has "no client $A"
[ "$(audit_all)" = "$before" ] || fail "a hidden client's refusals wrote to the audit"
expect_rc 0 cli s1 deal list
has "No deals."

# ---- merge and purge take the deals ---------------------------------------------
expect_rc 0 cli o client merge "$A" "$B"
expect_rc 0 cli o --json deal list --client "$A"
has "Абонемент, рисование"
has "Продление"
expect_rc 0 cli o client purge "$A" --reason "erasure request"
expect_rc 0 cli o deal list
has "No deals."
expect_rc 0 cli o client list --won-from "$TODAY"
hasnt "Ёлкины"
echo "deals: ok"
