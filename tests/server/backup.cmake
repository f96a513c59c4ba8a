# SPDX-License-Identifier: MIT
# Unit tests for server/jobs/backup.c: a store into a backup file and back.
kt_unit_test(test_backup server/test_backup.c LIBS kt_server
  TESTS restores_the_same_store_and_keys damage_leaves_nothing
        foreign_or_missing_files failing_sink_ends_the_copy runs_nicer_than_the_caller
        to_dir_keeps_the_newest restored_mark_alerts_once)
kt_unit_test(test_ops_backup server/test_ops_backup.c FAKE_NET LIBS kt_server
  TESTS owner_backup_streams_audits_and_restores
        one_at_a_time_and_bad_passphrase head_and_manager_refused_audited
        missing_keys_and_reader_gone_audited)
