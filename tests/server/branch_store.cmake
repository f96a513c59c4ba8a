# SPDX-License-Identifier: MIT
# Unit tests for server/model/branch_store.c against a temporary store.
kt_unit_test(test_branch_store server/test_branch_store.c LIBS kt_server
  TESTS id_exact_and_folded name_of_zero_and_unknown resolve_rules add_rules
  add_writes_record_index_audit add_audit_detail rename_rules
  rename_moves_index archive_restore migrate_v2_folds_and_renames_collisions
  migrate_v2_fresh_name_taken migrate_v2_long_fold)
