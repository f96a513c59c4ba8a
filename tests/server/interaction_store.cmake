# SPDX-License-Identifier: MIT
# Unit tests for server/model/interaction_store.c against a temporary store.
kt_unit_test(test_interaction_store server/test_interaction_store.c
  LIBS kt_server
  TESTS newest_first_by_at_then_id pages_have_no_gaps activity_follows_adds
    corrected_by_finds_newest get_missing_is_not_found
    drop_client_leaves_others move_gives_entries_and_recounts
    wire_names_author_and_correction)
