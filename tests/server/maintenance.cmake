# SPDX-License-Identifier: MIT
kt_unit_test(test_maintenance server/test_maintenance.c LIBS kt_server
  TESTS sweep_removes_only_dead_rows sweep_empty_store)
