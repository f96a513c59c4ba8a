# SPDX-License-Identifier: MIT
# Unit tests of tasks over the protocol (server/ops/task.c) through
# kt_dispatch_message on the fake network.
kt_unit_test(test_ops_task server/test_ops_task.c FAKE_NET LIBS kt_server
  TESTS add_defaults_to_the_caller_and_is_audited who_may_assign
  hidden_client_like_missing validation_names_the_field
  done_reopen_move_edit who_may_change lists_by_user_and_branch
  overdue_ranges_and_pages offboarding_hands_open_tasks_on
  clients_named_count_against_the_row_quota)
