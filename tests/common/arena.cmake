# SPDX-License-Identifier: MIT
kt_unit_test(test_arena common/test_arena.c LIBS libkartoteka
  TESTS bump_and_align overflow_to_heap_and_reset limit_refuses protobuf_unpack)
