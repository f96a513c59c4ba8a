# SPDX-License-Identifier: MIT
# Unit tests of the agenda (server/ops/agenda.c) through
# kt_dispatch_message on the fake network.
kt_unit_test(test_ops_agenda server/test_ops_agenda.c FAKE_NET LIBS kt_server
  TESTS a_managers_morning whose_agenda sections_cut_at_fifty hostile_input)
