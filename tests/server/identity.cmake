# SPDX-License-Identifier: MIT
# Unit tests for server/model/identity.c: credential rules and key files.
kt_unit_test(test_identity server/test_identity.c LIBS kt_server
  TESTS login_rules password_rules hash_verify_round_trip hex load_keys_ok
  load_keys_missing load_keys_wrong_size load_keys_halves_mismatch
  load_keys_open_to_others)
