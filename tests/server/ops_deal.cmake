# SPDX-License-Identifier: MIT
# Unit tests of server/ops/deal.c through kt_dispatch_message on the fake
# network.
kt_unit_test(test_ops_deal server/test_ops_deal.c FAKE_NET LIBS kt_server
  TESTS add_answered_and_audited add_refused_naming_the_field
  stage_against_the_version_read edit_named_fields
  visibility_forbidden_or_missing list_counts_rows_and_audits
  list_past_the_row_quota
  won_in_a_period_client_filter offboard_purge_and_merge_take_deals)
