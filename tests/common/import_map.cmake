# SPDX-License-Identifier: MIT
# Unit tests for common/import_map.c (headers, the mapping file, rows to
# cards, dates) and common/import_group.c (rows joined into cards).
kt_unit_test(test_import_map common/test_import_map.c LIBS kt_import
  TESTS header_keys header_russian header_english header_needs_names
        header_second_column rules_file rules_errors row_person_family
        row_phones_in_one_cell row_reasons_name_column row_blank_and_broken
        row_defaults_and_fields dates_as_typed dates_refused)
kt_unit_test(test_import_group common/test_import_group.c LIBS kt_import
  TESTS by_phone by_email by_family_address separate_rows chain_joins
        merge_same_person order_and_lines)
