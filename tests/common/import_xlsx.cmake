# SPDX-License-Identifier: MIT
# Unit tests for common/import_xlsx.c, and the tool that writes the .xlsx
# sample of the import tests (libxlsxwriter; tests/integration/import_xlsx.sh
# runs it).
pkg_check_modules(XLSXWRITER REQUIRED IMPORTED_TARGET xlsxwriter)
add_executable(kt-make-xlsx ${PROJECT_SOURCE_DIR}/tests/fixtures/import/make_xlsx.c)
target_link_libraries(kt-make-xlsx PRIVATE PkgConfig::XLSXWRITER)
kt_unit_test(test_import_xlsx common/test_import_xlsx.c LIBS kt_import
  PkgConfig::XLSXWRITER
  TESTS sample_first_sheet sample_named_sheet no_such_sheet not_a_zip
        missing_parts doctype_refused bad_shared_string inline_and_types
        numbers_any_locale)
target_compile_definitions(test_import_xlsx PRIVATE
  KT_MAKE_XLSX="$<TARGET_FILE:kt-make-xlsx>")
add_dependencies(test_import_xlsx kt-make-xlsx)
