# SPDX-License-Identifier: MIT
# Tools that generate documentation from the real code, and the tests that
# keep the documents true.
add_executable(protocol_example tools/protocol_example.c)
target_link_libraries(protocol_example PRIVATE libkartoteka kt_build_flags)
add_test(NAME docs.protocol_example
  COMMAND bash -c "$<TARGET_FILE:protocol_example> > protocol_example.md && sed -n '/^## 7. Worked example/,$p' ${PROJECT_SOURCE_DIR}/docs/PROTOCOL.md | diff -u - protocol_example.md")
set_tests_properties(docs.protocol_example PROPERTIES LABELS unit)
