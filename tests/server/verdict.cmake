# SPDX-License-Identifier: MIT
# Unit tests for server/model/verdict.c.
kt_unit_test(test_verdict server/test_verdict.c LIBS kt_server
  TESTS ok_and_refused message_cut_to_fit)
