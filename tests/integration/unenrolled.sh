#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A terminal key that is not enrolled may ping and enroll only: a login is
# refused with UNAUTHENTICATED and the connection closed.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
code=$(kt_invite)
expect_rc 0 cli t enroll "$code" --name t
# kt-rawpeer uses the server file of config t but a fresh terminal key.
expect_rc 0 "$RAWPEER" --config "$T/t" unenrolled-login
# The server still serves enrolled terminals.
expect_rc 0 cli t ping
kt_stop
echo "ok"
