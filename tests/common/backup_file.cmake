# SPDX-License-Identifier: MIT
# Unit tests for common/backup_file.c, the encrypted backup file.
kt_unit_test(test_backup_file common/test_backup_file.c LIBS libkartoteka
  TESTS roundtrip_any_size wrong_passphrase any_changed_byte
        cut_short_anywhere bytes_after_the_end hostile_headers
        writer_checks fresh_salt_each_time)
