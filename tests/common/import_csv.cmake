# SPDX-License-Identifier: MIT
# Unit tests for common/import_csv.c: encodings, delimiters, quoting, line
# numbers and hostile files.
kt_unit_test(test_import_csv common/test_import_csv.c LIBS kt_import
  TESTS utf8_semicolon bom_and_comma cp1251_auto cp1251_forced tab_delimiter
        quoted_multiline line_numbers_skip_blank guess_delimiter
        invalid_utf8_declared nul_and_limits callback_stops
        cp1251_undefined_byte empty_file)
