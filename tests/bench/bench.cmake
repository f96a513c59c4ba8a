# SPDX-License-Identifier: MIT
# kartoteka-bench: the load generator (a program run by hand, not a ctest
# test); see docs/BENCH.md. Its family generator has unit tests.
add_executable(kartoteka-bench bench/kartoteka-bench.c bench/families.c)
target_link_libraries(kartoteka-bench PRIVATE libkartoteka PkgConfig::UV
  kt_build_flags)

kt_unit_test(test_families bench/test_families.c LIBS kt_proto
  TESTS deterministic phones_unique plausible_ages surname_forms
        utf8_everywhere distribution to_client_roundtrip)
target_sources(test_families PRIVATE bench/families.c)

# kt-export-seed: a base of generated families written straight into a
# stopped server's store, for tests/bench/export.sh (docs/BENCH.md, "Issue
# 8: export").
add_executable(kt-export-seed bench/export-seed.c bench/families.c
  bench/history.c)
target_link_libraries(kt-export-seed PRIVATE kt_server kt_build_flags)
# bench-audit: the cost of the owner's audit readers on a large log
# (docs/ADMIN.md, "Audit over the protocol"). Run by hand.
add_executable(bench-audit bench/bench_audit.c)
target_link_libraries(bench-audit PRIVATE kt_server kt_build_flags)
kt_unit_test(test_history bench/test_history.c LIBS kt_server kt_proto
  TESTS every_agenda_section_has_lines deals_pass_the_checks_of_deal_add
        same_family_same_history)
target_sources(test_history PRIVATE bench/history.c bench/families.c)
# kt-tui-search: kartoteka-tui's search latency through a pseudo-terminal
# (tests/bench/tui-search.sh, docs/BENCH.md "Issue 11"). Run by hand.
add_executable(kt-tui-search bench/tui-search.c)
target_include_directories(kt-tui-search PRIVATE ${PROJECT_SOURCE_DIR}/client-tui)
target_link_libraries(kt-tui-search PRIVATE util kt_build_flags)
