# SPDX-License-Identifier: MIT
# Unit tests for server/model/terminal_store.c against a temporary store.
kt_unit_test(test_terminal_store server/test_terminal_store.c LIBS kt_server
  TESTS invite_keeps_only_hash invite_token_reused enroll_invite_refusals
  enroll_stores_terminal enroll_key_refusals find_by_name_and_prefix
  find_prefers_the_one_not_revoked revoke advertise_and_gen)
