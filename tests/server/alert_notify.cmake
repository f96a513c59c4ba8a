# SPDX-License-Identifier: MIT
# Unit tests for server/jobs/alert_notify.c: a real /bin/sh command.
kt_unit_test(test_alert_notify server/test_alert_notify.c LIBS kt_server
  TESTS json_escapes_and_names command_gets_each_alert_in_order
  failing_command_passes_nothing no_command_no_job)
