#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The card's own work from kartoteka-tui (issue 11), in tmux: F6 adds a
# deal (a bad amount is refused under its field first), F2 edits the
# card's fields (only the changed ones are sent, at the version shown;
# the phones stay visible, no second view is spent; an edit of a card
# changed meanwhile is refused as stale), and h shows the whole contact
# history with its authors, page by page, Esc back to the card; p adds a
# person (a bad phone refused under its field first), e changes one
# (only the fields changed) or removes one. The
# header's view count is the day's (a view from the CLI included), and
# the desk lock is the branch's, set with branch set --desk-lock.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tui_lib.sh"
tui_branch_desk masha "Мария Иванова"

expect_rc 0 cli m client add --title "Соловьёвы" --person "Алёна Соловьёва;parent;25.05.1985;+79549694301"
for i in 1 2 3; do
	expect_rc 0 cli m note 1 --channel call --topic "Звонок $i"
done
# a full view from the CLI: the TUI's header counts the day's views
expect_rc 0 cli m client show 1
expect_rc 0 cli m logout

# the branch's desk lock, set by the owner, reaches the desk at login
expect_rc 2 cli o branch set Центр --desk-lock 30s
expect_rc 0 cli o --json branch set Центр --desk-lock 3m
grep -q '"desk_lock_s":180' "$T/last.out" || fail "desk lock: $(cat "$T/last.out")"

tui_start m 100 30
tui_wait "Log in" 15
tui_type masha
tui_keys Tab
tui_type staff-pass-1
tui_keys Enter
tui_wait "Agenda of user masha"
tui_wait "views 1/200"
tui_keys F1
tui_wait "This desk locks after 3 min without a key \(set for the branch\)"
tui_keys Escape
tui_wait "Agenda of user masha"
tui_keys F7
tui_type "солов"
tui_wait "1 found"
tui_keys Enter
tui_wait "Соловьёвы \(1\) · Центр · masha · lead · version 1"
tui_wait "views 2/200"
tui_wait "F2 Edit"

# ---- F6: a deal -------------------------------------------------------------------
tui_keys F6
tui_wait "A deal · Соловьёвы \(1\)"
tui_type "Английский, осень"
tui_keys Tab
tui_type "12 500,555"
tui_keys F2
tui_wait "amount: has more than 2 digits after the point"
tui_keys C-u
tui_type "12 500"
tui_keys F2
tui_wait "The deal is added to the card"
tui_wait "Английский, осень +12,500\.00 +RUB +new"

# ---- F2: the card's own fields --------------------------------------------------------
tui_keys F2
tui_wait "Edit the card · Соловьёвы \(1\)"
tui_keys Tab C-u
tui_type active
tui_keys Tab
tui_type B
tui_keys Tab Tab Tab
tui_type "Д-000042"
tui_keys F2
tui_wait "Saved: version 2"
tui_wait "Соловьёвы \(1\) · Центр · masha · client, category B · version 2"
tui_wait "Contract Д-000042"
# the full card's phone is still shown, and no view was spent on it
tui_wait "\+79549694301"
tui_wait "views 2/200"
expect_rc 0 cli o --json client show 1
grep -q '"contract":"Д-000042"' "$T/last.out" || fail "the contract: $(cat "$T/last.out")"
# the new version changed exactly the three fields typed
expect_rc 0 cli o --json client history 1
v2=$(sed -n 's/.*{"version":2,\(.*\)},{"version":1,.*/\1/p' "$T/last.out")
[ -n "$v2" ] || fail "no version 2: $(cat "$T/last.out")"
for f in status category contract; do
	echo "$v2" | grep -q "\"field\":\"$f\"" || fail "$f not in version 2: $v2"
done
for f in title source notes discount_percent; do
	echo "$v2" | grep -q "\"field\":\"$f\"" && fail "$f was sent unchanged: $v2"
done

# A change made elsewhere meanwhile: the TUI's edit is stale and refused.
expect_rc 0 cli o client edit 1 --version 2 --source "вывеска"
tui_keys F2
tui_wait "Edit the card"
tui_keys Tab Tab Tab Tab
tui_type "Позвонить после 18:00"
tui_keys F2
tui_wait "Not saved: "
tui_keys Escape
tui_wait "Cancelled: nothing saved"

# ---- h: the contact history ---------------------------------------------------------------
tui_keys h
tui_wait "Contact history of Соловьёвы \(1\) · page 1"
tui_wait "call  Звонок 1 \(masha\)"
tui_wait "call  Звонок 3 \(masha\)"
tui_wait "n Older"
tui_keys Escape
tui_wait "Recent contacts"
tui_wait "F2 Edit"

# ---- p: a person added to the family --------------------------------------------------
# the card changed elsewhere (version 3): read it again first, a view
tui_keys Escape
tui_wait "1 found"
tui_keys Enter
tui_wait "Соловьёвы \(1\) · .* · version 3"
tui_wait "views 3/200"
tui_keys p
tui_wait "A person of the family · Соловьёвы \(1\)"
tui_type "Дарья Соловьёва"
tui_keys Tab Tab
tui_type "28.10.2017"
tui_keys Tab
tui_type "12"
tui_keys F2
tui_wait "person\.phones\[0\]: "
tui_wait "Not saved"
tui_keys C-u
tui_type "+7 999 111-22-33"
tui_keys F2
tui_wait "Added to the card: version 4"
tui_wait "Дарья Соловьёва +child +28\.10\.2017 +\+7 999 111-22-33"
tui_wait "Алёна Соловьёва .*\+79549694301"
expect_rc 0 cli o --json client show 1
grep -q '"name":"Дарья Соловьёва","relation":"child"' "$T/last.out" || fail "the person: $(cat "$T/last.out")"
grep -q '"+79991112233"' "$T/last.out" || fail "the person's phone: $(cat "$T/last.out")"

# ---- e: change a person (a second phone), then remove one ---------------------------------
tui_keys e
tui_wait "Change a person: which one\?"
tui_keys Enter
tui_wait "Change a person · Соловьёвы"
tui_wait "Name +\[Алёна Соловьёва"
tui_wait "Phones +\[\+79549694301"
tui_keys Tab Tab Tab
tui_keys C-u
tui_type "+79549694301, 8 900 123-45-67"
tui_keys F2
tui_wait "Saved: version 5"
tui_wait "Алёна Соловьёва +parent +25\.05\.1985 +\+79549694301, 8"
expect_rc 0 cli o --json client show 1
grep -q '"phones":\["+79549694301","+79001234567"\]' "$T/last.out" || fail "the phones: $(cat "$T/last.out")"
# indices may have moved: a second change waits for the card read again
tui_keys e
tui_wait "The people changed here: read the card again"
tui_keys Escape
tui_wait "1 found"
tui_keys Enter
tui_wait "Соловьёвы \(1\) · .* · version 5"
tui_keys e
tui_wait "Change a person: which one\?"
tui_keys C-u
tui_type 2
tui_keys Enter
tui_wait "Name +\[Дарья Соловьёва"
tui_keys Tab Tab Tab Tab Tab C-u
tui_type yes
tui_keys F2
tui_wait "Removed from the card: version 6"
tui_screen | grep -q "Дарья Соловьёва" && fail "the removed person is still shown"
expect_rc 0 cli o --json client show 1
grep -q "Дарья" "$T/last.out" && fail "the person was not removed: $(cat "$T/last.out")"
tui_keys F10
tui_wait_exit
[ "$TUI_RC" = 0 ] || fail "kartoteka-tui exited $TUI_RC"
echo "ok"
