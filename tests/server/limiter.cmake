# SPDX-License-Identifier: MIT
# Unit tests for server/limiter.c.
kt_unit_test(test_limiter server/test_limiter.c LIBS kt_server
  TESTS budget_per_minute window_rolls_over refund_same_window
  colliding_addresses_share_a_budget random_keys_differ addresses_and_ports)
