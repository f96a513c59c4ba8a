# SPDX-License-Identifier: MIT
# Unit tests for server/model/pager.c over a database of a temporary store.
kt_unit_test(test_pager server/test_pager.c LIBS kt_server
  TESTS pages_through_all limit_capped cursor_validation budget_ends_page
  too_big_entry_skipped only_big_entries filtered_rows_move_cursor
  empty_database other_key_sizes_skipped builder_error_returned)
