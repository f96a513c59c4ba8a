# SPDX-License-Identifier: MIT
# Fuzz targets (KT_FUZZ=ON, clang). A short run of each is a ctest entry
# labelled "fuzz"; they exist only in a KT_FUZZ build, so the default test
# set never includes them.

# fuzz_wire's seeds: real handshakes with the fixed keys of wire_keys.h
# (and requests after them), written by fuzz_wire_corpus DIR. Built in
# every build: its unit test makes the three messages with both sides of
# the handshake, so a protocol change that breaks the seeds fails there.
add_executable(fuzz_wire_corpus fuzz/fuzz_wire_corpus.c)
target_link_libraries(fuzz_wire_corpus PRIVATE libkartoteka kt_build_flags)
add_test(NAME fuzz.wire_corpus COMMAND bash -c "d=$(mktemp -d) && $<TARGET_FILE:fuzz_wire_corpus> $d && ls $d | tr '\\n' ' ' && rm -rf $d")
set_tests_properties(fuzz.wire_corpus PROPERTIES LABELS unit
  PASS_REGULAR_EXPRESSION "handshake login-find msg1 ping")

if(KT_FUZZ)
  add_executable(fuzz_wire fuzz/fuzz_wire.c)
  target_link_libraries(fuzz_wire PRIVATE libkartoteka kt_build_flags)
  target_link_options(fuzz_wire PRIVATE -fsanitize=fuzzer)
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz-corpus/wire)
  add_test(NAME fuzz.wire COMMAND bash -c "$<TARGET_FILE:fuzz_wire_corpus> ${CMAKE_BINARY_DIR}/fuzz-corpus/wire && $<TARGET_FILE:fuzz_wire> -max_total_time=30 -max_len=70000 ${CMAKE_BINARY_DIR}/fuzz-corpus/wire")
  set_tests_properties(fuzz.wire PROPERTIES LABELS fuzz)

  add_executable(fuzz_client fuzz/fuzz_client.c)
  target_link_libraries(fuzz_client PRIVATE kt_server kt_build_flags)
  target_link_options(fuzz_client PRIVATE -fsanitize=fuzzer)
  # Seeds: generated families (tests/bench/families.c), written into the
  # build tree by fuzz_client_corpus before the run.
  add_executable(fuzz_client_corpus fuzz/fuzz_client_corpus.c
    bench/families.c)
  target_include_directories(fuzz_client_corpus PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(fuzz_client_corpus PRIVATE kt_proto kt_build_flags)
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz-corpus/client)
  add_test(NAME fuzz.client COMMAND bash -c "$<TARGET_FILE:fuzz_client_corpus> ${CMAKE_BINARY_DIR}/fuzz-corpus/client && $<TARGET_FILE:fuzz_client> -max_total_time=30 -max_len=70000 ${CMAKE_BINARY_DIR}/fuzz-corpus/client")
  set_tests_properties(fuzz.client PROPERTIES LABELS fuzz)

  add_executable(fuzz_amount fuzz/fuzz_amount.c)
  target_link_libraries(fuzz_amount PRIVATE libkartoteka kt_build_flags)
  target_link_options(fuzz_amount PRIVATE -fsanitize=fuzzer)
  # Seeds: amounts as people type them (tests/fuzz/corpus/amount); what
  # the run finds goes into the build tree.
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz-corpus/amount)
  add_test(NAME fuzz.amount COMMAND fuzz_amount -max_total_time=30 -max_len=255
    ${CMAKE_BINARY_DIR}/fuzz-corpus/amount ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/amount)
  set_tests_properties(fuzz.amount PROPERTIES LABELS fuzz)

  # The server's catalogue: a .mo and a message in one input (seeds:
  # tests/fuzz/make-catalog-seeds.sh BUILD DIR, from the build's catalogue).
  add_executable(fuzz_catalog fuzz/fuzz_catalog.c)
  target_link_libraries(fuzz_catalog PRIVATE kt_server kt_build_flags)
  target_link_options(fuzz_catalog PRIVATE -fsanitize=fuzzer)
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz-corpus/catalog)
  add_test(NAME fuzz.catalog COMMAND fuzz_catalog -max_total_time=30
    -max_len=300000 ${CMAKE_BINARY_DIR}/fuzz-corpus/catalog)
  set_tests_properties(fuzz.catalog PROPERTIES LABELS fuzz)

  # Past the handshake: requests through the transport ciphers into the
  # dispatcher of a server over a temporary store (the unit tests' harness
  # and fake network, linked before kt_server as in kt_unit_test).
  add_executable(fuzz_session fuzz/fuzz_session.c fuzz/pb_mutate.c
    server/harness.c server/fake_net.c)
  target_include_directories(fuzz_session PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(fuzz_session PRIVATE kt_server PkgConfig::CMOCKA
    kt_build_flags)
  target_link_options(fuzz_session PRIVATE -fsanitize=fuzzer)
  # The same without the structure-aware mutator (libFuzzer's byte
  # mutations only): the baseline to measure the mutator against.
  add_executable(fuzz_session_bytes fuzz/fuzz_session.c server/harness.c
    server/fake_net.c)
  target_compile_definitions(fuzz_session_bytes PRIVATE KT_FUZZ_BYTES_ONLY)
  target_include_directories(fuzz_session_bytes PRIVATE
    ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(fuzz_session_bytes PRIVATE kt_server
    PkgConfig::CMOCKA kt_build_flags)
  target_link_options(fuzz_session_bytes PRIVATE -fsanitize=fuzzer)
  # The seeds (tests/fuzz/corpus/session) are read; what the run finds goes
  # into the build tree, never into the sources.
  add_executable(fuzz_session_corpus fuzz/fuzz_session_corpus.c)
  target_link_libraries(fuzz_session_corpus PRIVATE kt_proto kt_build_flags)
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz-corpus/session)
  add_test(NAME fuzz.session COMMAND fuzz_session -max_total_time=30
    -max_len=70000 ${CMAKE_BINARY_DIR}/fuzz-corpus/session
    ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/session)
  set_tests_properties(fuzz.session PROPERTIES LABELS fuzz)
  # A fixed number of runs from the seeds with a fixed seed: the custom
  # mutator (pb_mutate.c) under ASan and UBSan, its mutants executed, in
  # a fresh directory each time.
  add_test(NAME fuzz.session_mutator COMMAND bash -c "rm -rf ${CMAKE_BINARY_DIR}/fuzz-corpus/session-mutator && mkdir -p ${CMAKE_BINARY_DIR}/fuzz-corpus/session-mutator && KT_FUZZ_OPS=1 $<TARGET_FILE:fuzz_session> -runs=500 -seed=1 -max_len=70000 ${CMAKE_BINARY_DIR}/fuzz-corpus/session-mutator ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/session")
  # The mutator alone, without libFuzzer: chains of mutants from the
  # seeds must decode, fit, and repeat from the same seed.
  add_executable(pb_mutate_check fuzz/pb_mutate_check.c fuzz/pb_mutate.c)
  target_link_libraries(pb_mutate_check PRIVATE kt_proto kt_build_flags)
  add_test(NAME fuzz.pb_mutate COMMAND pb_mutate_check
    ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/session)
  set_tests_properties(fuzz.pb_mutate PROPERTIES LABELS fuzz)
  set_tests_properties(fuzz.session_mutator PROPERTIES LABELS fuzz
    PASS_REGULAR_EXPRESSION "mutations: bytes [0-9]+ records [0-9]+ field [1-9]"
    FAIL_REGULAR_EXPRESSION "Sanitizer|runtime error|deadly signal")
endif()
