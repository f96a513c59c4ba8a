# SPDX-License-Identifier: MIT
# Unit tests for server/model/client_activity.c against a temporary store.
kt_unit_test(test_client_activity server/test_client_activity.c LIBS kt_server
  TESTS absent_reads_zero put_reads_back_per_client zero_and_drop_delete)
