# SPDX-License-Identifier: MIT
# Unit tests of server/ops/import.c through kt_dispatch_message on the fake
# network.
kt_unit_test(test_ops_import server/test_ops_import.c FAKE_NET LIBS kt_server
  TESTS creates_and_audits_each_card refusals_name_the_field
  merges_into_the_base_then_unchanged dry_run_same_answer_writes_nothing
  same_batch_dedupes owner_only bad_batches)
