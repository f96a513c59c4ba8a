# SPDX-License-Identifier: MIT
kt_unit_test(test_authz server/test_authz.c LIBS kt_server
  TESTS matrix unknown_role_sees_nothing restricted_matrix)
