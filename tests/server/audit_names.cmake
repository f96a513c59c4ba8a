# SPDX-License-Identifier: MIT
kt_unit_test(test_audit_names server/test_audit_names.c FAKE_NET LIBS
  kt_server TESTS names_of_entries)
