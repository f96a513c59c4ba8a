# SPDX-License-Identifier: MIT
# Unit tests for server/model/session_store.c against a temporary store.
kt_unit_test(test_session_store server/test_session_store.c LIBS kt_server
  TESTS put_and_check delete_twice end_user idle_time_and_touch end_terminal
  failures_per_terminal)
