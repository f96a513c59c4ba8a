# SPDX-License-Identifier: MIT
# Unit tests for common/locale_fmt.c: dates and money by language.
kt_unit_test(test_locale_fmt common/test_locale_fmt.c LIBS libkartoteka
  TESTS ymd day date_text month_text datetime money follows_catalogue scope)
# the build's catalogues, for the Russian half of follows_catalogue
set_tests_properties(test_locale_fmt.follows_catalogue test_locale_fmt.scope PROPERTIES
  ENVIRONMENT "KARTOTEKA_LOCALEDIR=${CMAKE_BINARY_DIR}/locale")
