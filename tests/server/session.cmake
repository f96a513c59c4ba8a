# SPDX-License-Identifier: MIT
# Unit tests for server/session.c on the fake network.
kt_unit_test(test_session server/test_session.c FAKE_NET LIBS kt_server
  TESTS attach_reads_the_terminal attach_refuses_revoked_terminal
  detach_on_gone login_expires inflight_and_serial_bits
  logout_everywhere_ends_that_session logout_everywhere_after_requester_closed
  logout_user_ends_its_sessions
  close_user_closes_only_theirs close_terminal_closes_only_theirs
  sweep_closes_revoked_terminal sweep_closes_disabled_user
  sweep_only_when_generation_moved)
