# SPDX-License-Identifier: MIT
# Unit tests of server/ops/person.c through kt_dispatch_message on the fake
# network.
kt_unit_test(test_ops_person server/test_ops_person.c FAKE_NET LIBS kt_server
  TESTS add_keeps_the_others edit_named_fields_only remove_one_person
  against_the_version_read other_branch_like_missing
  manager_edits_only_her_cards bad_input_named_nothing_changed
  duplicate_phone_like_client_edit)
