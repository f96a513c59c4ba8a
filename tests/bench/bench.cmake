# SPDX-License-Identifier: MIT
# kartoteka-bench: the load generator (a program run by hand, not a ctest
# test); see docs/BENCH.md.
add_executable(kartoteka-bench bench/kartoteka-bench.c)
target_link_libraries(kartoteka-bench PRIVATE libkartoteka PkgConfig::UV
  kt_build_flags)
