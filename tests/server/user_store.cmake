# SPDX-License-Identifier: MIT
# Unit tests for server/model/user_store.c against a temporary store.
kt_unit_test(test_user_store server/test_user_store.c LIBS kt_server
  TESTS first_user_is_owner staff_need_working_branch login_and_name_rules
  quota_rules add_needs_password_hash change_fields change_refusals
  change_owner_forbidden set_password_ends_their_sessions disable_rules
  user_info_branch_names may_use_terminal find_hides_hash)
