# SPDX-License-Identifier: MIT
# Unit tests for server/server.c: defaults, refusals to start, one run
# stopped by SIGTERM (a whole server's behaviour is tests/integration/).
kt_unit_test(test_server server/test_server.c LIBS kt_server TESTS
  opts_default_values run_without_keys_names_dir run_without_store_refused
  run_bad_listen_einval run_serves_until_sigterm)
# A run that is never stopped must fail, not hang.
set_tests_properties(test_server.run_serves_until_sigterm PROPERTIES
  TIMEOUT 60)
