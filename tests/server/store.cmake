# SPDX-License-Identifier: MIT
# Unit tests for the store, the writer thread and the audit log.
kt_unit_test(test_store server/test_store.c LIBS kt_server TESTS
  open_creates_schema open_missing_refused reopen newer_schema_refused
  next_id be64_helpers record_round_trip err_mapping map_grows
  map_full_retry map_resized_by_other_process cap_refuses_then_reserve_takes)
kt_unit_test(test_writer server/test_writer.c LIBS kt_server TESTS
  batches_mutations failing_mutation_isolated completions_on_loop_thread
  stop_drains batch_grows_map stop_null_and_idle)
kt_unit_test(test_audit server/test_audit.c LIBS kt_server TESTS
  empty_chain_ok append_verify_ok altered_entry altered_hash removed_entry
  removed_first_entry removed_last_entry reordered_entries
  tail_missing_refuses_append checkpoint_signatures
  recomputed_chain_caught_by_checkpoint checkpoint_file_accepted
  checkpoint_file_foreign_rejected action_names_unique record_writes_actor
  scan_resumes_and_filters checkpoint_file_problems_named)
