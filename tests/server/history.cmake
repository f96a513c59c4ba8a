# SPDX-License-Identifier: MIT
# Unit tests of card history over the protocol (server/ops/history.c)
# through kt_dispatch_message on the fake network.
kt_unit_test(test_ops_history server/test_ops_history.c FAKE_NET LIBS
  kt_server TESTS history_shows_changes_old_and_new
  history_counts_as_a_full_view managers_refused_alike
  other_branch_not_found_like_missing pages_by_cursor_and_size
  version_too_big_for_an_answer_is_cut
  version_is_a_full_card revert_restores_a_wiped_card
  purge_drops_the_history history_start_has_no_previous)
