# SPDX-License-Identifier: MIT
# Unit tests for server/req.c, the request context, on the fake network.
kt_unit_test(test_req server/test_req.c FAKE_NET LIBS kt_server TESTS
  reply_ends_once fail_ends_once refused_and_store_failures
  reply_to_closed_is_dropped submit_commits_then_answers
  answer_to_closed_conn_dropped_change_commits
  dropped_conn_lives_until_request_ends
  failing_mutation_answers_store_failure reply_audited_leaves_after_entry
  fail_audited_records_refusal answer_packed_same_bytes
  reply_too_large_is_internal keep_frees secret_state_and_serial_bit
  limit_refunded_unless_kept work_and_delay_end_once
  reads_and_session_changes stream_in_order_with_backpressure
  stream_cut_when_reader_leaves
  fail_field_names_the_field errors_in_the_clients_language)
add_dependencies(test_req kt_catalog_fixture)
target_compile_definitions(test_req PRIVATE KT_CATALOG_DIR="${CMAKE_CURRENT_BINARY_DIR}/catalog")
