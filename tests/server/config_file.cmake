# SPDX-License-Identifier: MIT
# Unit tests for server/config_file.c.
kt_unit_test(test_config_file server/test_config_file.c LIBS kt_server
  TESTS keys_values_comments_blanks spaces_and_quotes no_final_newline
  crlf_lines unknown_key duplicate_key_names_both_lines bad_lines
  nul_and_control_bytes long_line_and_large_file read_missing_and_dir)
