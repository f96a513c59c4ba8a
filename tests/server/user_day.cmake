# SPDX-License-Identifier: MIT
# Unit tests for server/model/user_day.c against a temporary store.
kt_unit_test(test_user_day server/test_user_day.c LIBS kt_server
  TESTS views_quota_per_day heads_limited_owner_counted
  rows_are_distinct_clients spike_over_median dup_budget_once
  destructive_burst_per_hour)
