# SPDX-License-Identifier: MIT
# Unit tests for server/model/client_history.c against a temporary store.
kt_unit_test(test_client_history server/test_client_history.c LIBS kt_server
  TESTS versions_page_newest_first drop_removes_one_card
  migrate_starts_history)
