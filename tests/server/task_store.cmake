# SPDX-License-Identifier: MIT
# Unit tests for server/model/task_store.c against a temporary store.
kt_unit_test(test_task_store server/test_task_store.c LIBS kt_server
  TESTS add_reads_back put_moves_keys_and_bumps_version
  scan_by_due_within_bounds_and_after purge_deletes_a_clients_tasks
  merge_moves_tasks_to_the_card_that_stays offboard_gives_open_tasks_only
  scan_refuses_an_unknown_kind visible_to_by_role)
