# SPDX-License-Identifier: MIT
# Unit tests for server/model/alert_store.c against a temporary store.
kt_unit_test(test_alert_store server/test_alert_store.c LIBS kt_server
  TESTS raise_and_get kinds_have_names paged_newest_first ack_once
  raise_refuses_no_kind)
