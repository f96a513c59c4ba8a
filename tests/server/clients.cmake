# SPDX-License-Identifier: MIT
# Unit tests for client cards against a temporary store: the record and
# index layer (server/model/client_store.c) and search and lists
# (server/model/client_query.c); shared cards in clients_fixture.h.
kt_unit_test(test_client_store server/test_client_store.c LIBS kt_server
  TESTS edit_moves_indexes purge_removes_indexes
  contract_and_flags_follow_edits idset_ops
  exists_sees_tombstones in_branch_follows_moves_purged_in_none
  get_with_arena)
kt_unit_test(test_client_query server/test_client_query.c LIBS kt_server
  TESTS find_prefix_yo find_phone_formats find_respects_visibility
  list_filters list_matches_reference person_level_same_person
  segment_filters find_email_and_contract paging_total bad_cursor)
