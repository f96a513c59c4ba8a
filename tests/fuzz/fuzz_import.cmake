# SPDX-License-Identifier: MIT
# The fuzz target of the import readers and mapper (KT_FUZZ=ON, clang),
# seeded with tests/fuzz/corpus/import (the cp1251 sample, an .xlsx written
# by kt-make-xlsx, an English CSV). A short run is the ctest entry
# fuzz.import, labelled "fuzz" (outside the default set).
if(KT_FUZZ)
  add_executable(fuzz_import fuzz/fuzz_import.c)
  target_link_libraries(fuzz_import PRIVATE kt_import kt_build_flags)
  target_link_options(fuzz_import PRIVATE -fsanitize=fuzzer)
  # New inputs go to the first directory (in the build tree), never
  # into the seeds.
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/fuzz-import-corpus)
  add_test(NAME fuzz.import COMMAND fuzz_import -max_total_time=30
    -max_len=70000 ${CMAKE_CURRENT_BINARY_DIR}/fuzz-import-corpus
    ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/import)
  set_tests_properties(fuzz.import PROPERTIES LABELS fuzz)
endif()
