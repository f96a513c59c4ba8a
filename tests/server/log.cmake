# SPDX-License-Identifier: MIT
# Unit tests for server/log.c.
kt_unit_test(test_log server/test_log.c LIBS kt_server
  TESTS level_names plain_line journal_prefix control_characters
  long_message_cut stderr_is_journal levels_dropped)
