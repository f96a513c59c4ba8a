#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kartoteka-tui when the server goes away and comes back, driven in tmux:
# the screen says the connection is lost and the header says offline; once
# the server listens again the program dials again by itself, resumes the
# saved session without asking for the password, and search works again.
# A session the server no longer knows (logged out elsewhere) brings the
# login screen up with the reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tui_lib.sh"
tui_branch_desk masha
expect_rc 0 cli m client add --title "Ёлкины" --person "Юлия Ёлкина;parent;1981;+79001112233"

tui_start m 100 30
tui_wait "Agenda of user masha"
kt_stop || true
tui_wait "Connection lost"
tui_wait "offline"
kt_start --listen "$ADDR"
tui_wait "Connected again; the session goes on" 60
tui_wait "views 0/200"
tui_keys F7
tui_type "ёл"
tui_wait "1 found"
tui_wait "Ёлкины"
tui_keys Escape

# The session ends on the server (logout from the CLI on this terminal's
# configuration): the next request is refused and the login comes up.
expect_rc 0 cli m logout
tui_keys g
tui_wait "The session has ended"
tui_wait "Log in"
tui_keys F10
tui_wait_exit
[ "$TUI_RC" = 0 ] || fail "kartoteka-tui exited $TUI_RC: $(cat "$T/tui.err")"
echo "ok"
