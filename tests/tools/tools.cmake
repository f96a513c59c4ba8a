# SPDX-License-Identifier: MIT
# Tools that generate documentation from the real code, and the tests that
# keep the documents true.
add_executable(protocol_example tools/protocol_example.c)
target_link_libraries(protocol_example PRIVATE libkartoteka kt_build_flags)
add_test(NAME docs.protocol_example
  COMMAND bash -c "$<TARGET_FILE:protocol_example> > protocol_example.md && sed -n '/^## 7. Worked example/,$p' ${PROJECT_SOURCE_DIR}/docs/PROTOCOL.md | diff -u - protocol_example.md")
set_tests_properties(docs.protocol_example PROPERTIES LABELS unit)

# The module graph of server/ has no cycle and keeps its layers (nm over
# the kt_server objects).
add_test(NAME docs.module_graph
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tools/module_graph.sh
    "$<TARGET_OBJECTS:kt_server>"
  COMMAND_EXPAND_LISTS)
set_tests_properties(docs.module_graph PROPERTIES LABELS unit)

# docs/ARCHITECTURE.md's op table is printed from the real table.
add_executable(op_table tools/op_table.c)
target_link_libraries(op_table PRIVATE kt_server kt_build_flags)
add_test(NAME docs.op_table
  COMMAND bash -c "$<TARGET_FILE:op_table> > op_table.md && sed -n '/^<!-- op table: begin -->$/,/^<!-- op table: end -->$/p' ${PROJECT_SOURCE_DIR}/docs/ARCHITECTURE.md | sed '1d;$d' | diff -u - op_table.md")
set_tests_properties(docs.op_table PROPERTIES LABELS unit)

# Every server/**/*.c has its mirrored unit test file, built by a
# kt_unit_test() line (server/main.c exempt: tests/integration/).
add_test(NAME docs.test_files
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tools/test_files.sh
    ${PROJECT_SOURCE_DIR})
set_tests_properties(docs.test_files PROPERTIES LABELS unit)

# Every marked message has its translation in every po/LANG.po, and the
# linted directories (po/LINT) print no unmarked one (issue 12).
add_test(NAME i18n.po_complete
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tools/po-check.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(i18n.po_complete PROPERTIES LABELS unit)
