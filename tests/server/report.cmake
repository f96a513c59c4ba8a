# SPDX-License-Identifier: MIT
# The report's sections (server/jobs/report.c) against a harness store.
kt_unit_test(test_report server/test_report.c FAKE_NET LIBS kt_server
  TESTS month_of_and_bad_queries became_client_from_history)
