# SPDX-License-Identifier: MIT
# The op table against the protocol's Request oneof (server/dispatch.c).
kt_unit_test(test_dispatch server/test_dispatch.c LIBS kt_server TESTS
  every_oneof_member_has_one_row no_row_outside_the_oneof rows_well_formed)
