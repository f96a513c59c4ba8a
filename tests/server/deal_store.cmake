# SPDX-License-Identifier: MIT
# Unit tests for server/model/deal_store.c against a temporary store.
kt_unit_test(test_deal_store server/test_deal_store.c LIBS kt_server
  TESTS add_indexes_and_counts stage_moves_indexes_and_activity
  check_names_the_field walk_pages_newest_first
  walk_stops_after_its_budget
  renewals_due_skip_renewed_and_lost purge_move_and_offboard
  won_renewal_has_every_key)
