# SPDX-License-Identifier: MIT
# Unit tests for client cards: the index and query layer against a
# temporary store (server/client_store.c, server/client_query.c).
kt_unit_test(test_clients server/test_clients.c LIBS kt_server TESTS
  find_prefix_yo find_phone_formats find_respects_visibility
  edit_moves_indexes list_filters list_matches_reference paging_total purge_removes_indexes
  view_quota idset_ops bad_cursor)
