# SPDX-License-Identifier: MIT
# Unit tests for common/normalize.c: phones, e-mail, dates, search folding,
# word splitting, UTF-8 checks and list masks.
kt_unit_test(test_normalize common/test_normalize.c LIBS libkartoteka
  TESTS phone_russian_formats phone_international phone_default_cc_generic
        phone_errors phone_hostile email_valid email_errors email_limits
        date_formats date_leap date_errors date_format_checks fold_yo
        fold_short_way_as_casefold
        fold_unicode fold_errors fold_long words_split
        words_stop_and_hostile utf8_valid utf8_width mask_phone mask_email
        roundtrip_and_noise)
