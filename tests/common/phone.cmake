# SPDX-License-Identifier: MIT
# Unit tests for common/phone.cc (the C face of libphonenumber) and its use
# by kt_phone_normalize: the issue's examples and a few other countries;
# the short way of kt_phone_plan_check against the library's Parse.
kt_unit_test(test_phone common/test_phone.c LIBS libkartoteka
  TESTS issue_examples plan_check_countries national_by_country_rules
  cc_known_for_every_country normalize_names_the_problem
  short_way_answers_as_parse)
