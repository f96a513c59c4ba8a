# SPDX-License-Identifier: MIT
# Integration tests: each script starts a real kartotekad on 127.0.0.1
# port 0 with a temporary data directory and drives the real clients.
add_executable(kt-rawpeer integration/kt_rawpeer.c)
target_link_libraries(kt-rawpeer PRIVATE libkartoteka kt_build_flags)

set(KT_INTEGRATION_TESTS
  enroll_login
  invites
  lockout
  unenrolled
  revoke
  bad_frames
  concurrent_ping
  graceful_stop
  audit_verify
  clients
  admin
  matrix
  store_version
  handshake_timeout
  idle_timeout
  connection_limit
  backpressure
  stop_grace
  enroll_limit
  enroll_pipelined
  enroll_pipelined_parallel
  logout_other
  alerts
  history
  export
  offboard
  audit_remote
  desk_session
  lockout_terminal
  leaving_manager
  segments
  notes
  deals
  tasks
  agenda
  cli_ru
  person
  report
  backup_offline
  backup_scheduled
  backup_remote
  crash
  full_disk
  full_disk_fs
  import
  import_xlsx
  import_large
  tui_desk
  tui_owner_lock
  tui_reconnect
  tui_signals
  server_ru
  tui_ru
  tui_card
  tui_users
  service_config
  service_notify
  service_unit
  service_root
  install
  completion
)
foreach(t ${KT_INTEGRATION_TESTS})
  add_test(NAME integration.${t}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/${t}.sh)
  set_tests_properties(integration.${t} PROPERTIES
    LABELS integration
    TIMEOUT 300
    ENVIRONMENT "KT_BUILD=${PROJECT_BINARY_DIR}")
endforeach()

# A real small filesystem needs root and a private mount namespace: where
# the machine has neither the test says so and counts as skipped.
set_tests_properties(integration.full_disk_fs PROPERTIES SKIP_RETURN_CODE 77)

# The crash test's 20-cycle version (tests/integration/crash.sh): outside
# the default run (setup.sh excludes the label); `ctest -L crash` runs it.
add_test(NAME crash.cycles20
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/crash.sh 20)
set_tests_properties(crash.cycles20 PROPERTIES
  LABELS crash
  TIMEOUT 1200
  ENVIRONMENT "KT_BUILD=${PROJECT_BINARY_DIR}")

# The Debian package (tests/integration/package.sh): a build for /usr of
# its own, cpack, dpkg-deb, and a dpkg -i into an overlay chroot when the
# machine allows. About a minute; in the default run, `ctest -L package`
# runs it alone.
add_test(NAME integration.package
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/package.sh)
set_tests_properties(integration.package PROPERTIES
  LABELS "integration;package"
  TIMEOUT 900
  ENVIRONMENT "KT_BUILD=${PROJECT_BINARY_DIR}")
