# SPDX-License-Identifier: MIT
# Unit tests of reports (server/ops/report.c, server/jobs/report.c)
# through kt_dispatch_message on the fake network.
kt_unit_test(test_ops_report server/test_ops_report.c FAKE_NET LIBS kt_server
  TESTS sections_on_a_known_base who_reports_on_what small_scope_counts_as_rows
  quota_refuses_a_small_scope hostile_input)
