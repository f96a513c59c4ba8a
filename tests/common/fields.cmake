# SPDX-License-Identifier: MIT
# Unit tests for common/fields.c and common/pbtext.c.
kt_unit_test(test_fields common/test_fields.c LIBS libkartoteka
  TESTS work_hours_rules text_problem_rules text_take_fits_or_not pbtext_names_the_path
  local_time_forms
  amount_parse_and_format)
