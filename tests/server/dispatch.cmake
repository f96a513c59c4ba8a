# SPDX-License-Identifier: MIT
# The op table against the protocol's Request oneof, and the checks every
# op shares, on the fake network (server/dispatch.c).
kt_unit_test(test_dispatch server/test_dispatch.c FAKE_NET LIBS kt_server
  TESTS every_oneof_member_has_one_row no_row_outside_the_oneof
  rows_well_formed undecodable_request_bad_and_closed unknown_op_closes
  nul_byte_named_and_nothing_written invalid_utf8_named_and_nothing_written
  unenrolled_terminal_unauthenticated_closed not_logged_in_unauthenticated
  disabled_user_unauthenticated forbidden_class_audited
  inflight_cap_rate_limited second_login_in_flight_rate_limited
  enroll_address_limit pipelined_enrolments_charged_at_start
  secret_request_wiped_from_arena oneof_secret_under_earlier_member_wiped)
