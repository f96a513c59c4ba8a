# SPDX-License-Identifier: MIT
# Unit tests of interactions over the protocol (server/ops/note.c)
# through kt_dispatch_message on the fake network.
kt_unit_test(test_ops_note server/test_ops_note.c FAKE_NET LIBS kt_server
  TESTS add_answers_the_entry_and_audits_no_text list_newest_first_paged
  other_branch_like_missing corrections_stay_with_their_client
  fields_checked list_counts_its_client_once_a_day card_shows_three_newest
  purged_client_has_none restricted_user_loses_the_log
  archived_client_still_gets_notes merged_card_sends_notes_on)
