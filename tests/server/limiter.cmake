# SPDX-License-Identifier: MIT
# Unit tests for server/limiter.c.
kt_unit_test(test_limiter server/test_limiter.c LIBS kt_server
  TESTS budget_per_minute window_rolls_over refund_same_window
  refund_not_for_the_slot_taken_over addresses_and_ports)
