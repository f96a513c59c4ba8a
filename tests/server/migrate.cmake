# SPDX-License-Identifier: MIT
# Unit tests for schema migrations: stores made by every earlier layout
# (tests/data/store-v*.dump, loaded with mdb_load from lmdb-utils) and the
# migration runner (server/model/migrate.c).
kt_unit_test(test_migrate server/test_migrate.c LIBS kt_server TESTS
  fixture_v1_opens fixture_v2_opens fixture_v3_opens fixture_current_opens builtin_table_complete migrate_v1_to_v2
  failing_step_changes_nothing interrupted_migration_continues
  missing_step_refused newer_store_refused rdonly_older_refused
  backup_never_overwritten backup_of_older_layout_restores)
