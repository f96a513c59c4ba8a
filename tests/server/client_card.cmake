# SPDX-License-Identifier: MIT
# Unit tests for server/client_card.c: validation, merge, hostile bytes.
kt_unit_test(test_client_card server/test_client_card.c LIBS kt_server TESTS
  lost_contacts_seen good_card_normalised bad_fields_named merge_named_only hostile_bytes
  future_birth_refused blank_title_and_name_refused crlf_is_a_line_break
  person_fields_named_only)
