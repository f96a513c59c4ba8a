# SPDX-License-Identifier: MIT
# Unit tests of the ops (server/ops/*.c, one file each) through
# kt_dispatch_message on the fake network.
kt_unit_test(test_ops_auth server/test_ops_auth.c FAKE_NET LIBS kt_server
  TESTS ping_any_terminal enroll_with_invite enroll_bad_input
  login_success_audited login_failures_counted login_locked_after_failures
  login_refused_disabled_or_foreign_terminal resume_on_its_terminal_only
  logout_answers_and_audits logout_ends_session_elsewhere_after_close
  whoami_user_and_terminal)
kt_unit_test(test_ops_branch server/test_ops_branch.c FAKE_NET LIBS kt_server
  TESTS add_answers_after_commit add_refused_without_a_write rename_audited
  archive_and_restore_audited list_leaves_with_its_entry
  head_refused_audited)
kt_unit_test(test_ops_user server/test_ops_user.c FAKE_NET LIBS kt_server
  TESTS add_hashes_and_audits add_refused_without_a_write change_named_fields
  password_logs_user_out_everywhere password_change_dropped_when_asker_left
  disable_closes_connections list_leaves_with_its_entry)
# Left out until ops/terminal.c is fixed (the report of helper-otests says
# why): revoke_own_terminal_after_answer.
kt_unit_test(test_ops_terminal server/test_ops_terminal.c FAKE_NET LIBS
  kt_server TESTS invite_code_enrolls_its_branch
  invite_refused_without_a_write revoke_closes_its_connections
  list_leaves_with_its_entry)
kt_unit_test(test_ops_client server/test_ops_client.c FAKE_NET LIBS kt_server
  TESTS add_audited_and_answered add_duplicate_contacts add_forbidden_audited
  show_counts_against_quota other_branch_not_found_like_missing
  edit_against_the_version_read manager_edits_only_her_cards
  archive_restore_reassign_purge find_and_list_leave_with_their_entry)
