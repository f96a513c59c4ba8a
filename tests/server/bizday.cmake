# SPDX-License-Identifier: MIT
# Unit tests for server/model/bizday.c (needs the system's tzdata).
kt_unit_test(test_bizday server/test_bizday.c LIBS kt_server
  TESTS offsets_of_known_zones days_turn_at_local_midnight bad_names_refused
  cache_falls_back_to_default truncated_file_refused)
