# SPDX-License-Identifier: MIT
# Unit tests for server/sd_notify.c.
kt_unit_test(test_sd_notify server/test_sd_notify.c LIBS kt_server
  TESTS unset_is_nothing_to_do path_socket abstract_socket
  bad_names nobody_listening)
