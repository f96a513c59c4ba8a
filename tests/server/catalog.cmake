# SPDX-License-Identifier: MIT
# Unit tests for server/catalog.c: a fixture catalogue compiled by msgfmt
# in the machine's byte order and in the other one.
set(kt_cat_po ${CMAKE_CURRENT_SOURCE_DIR}/data/catalog/ru.po)
set(kt_cat_dir ${CMAKE_CURRENT_BINARY_DIR}/catalog)
add_custom_command(OUTPUT ${kt_cat_dir}/little.mo ${kt_cat_dir}/big.mo
  COMMAND ${CMAKE_COMMAND} -E make_directory ${kt_cat_dir}
  COMMAND ${MSGFMT} --check --endianness=little -o ${kt_cat_dir}/little.mo ${kt_cat_po}
  COMMAND ${MSGFMT} --check --endianness=big -o ${kt_cat_dir}/big.mo ${kt_cat_po}
  DEPENDS ${kt_cat_po})
add_custom_target(kt_catalog_fixture DEPENDS ${kt_cat_dir}/little.mo ${kt_cat_dir}/big.mo)
kt_unit_test(test_catalog server/test_catalog.c LIBS kt_server
  TESTS exact_message format_with_pri64 positional_reorder nested_message
  percent_and_float most_specific_wins incompatible_translation_skipped
  plural_entries_skipped english_and_unknown_language cut_on_character
  both_byte_orders damaged_files_refused every_truncation_is_safe
  load_dir_reports_missing)
add_dependencies(test_catalog kt_catalog_fixture)
target_compile_definitions(test_catalog PRIVATE KT_CATALOG_DIR="${kt_cat_dir}")
