# SPDX-License-Identifier: MIT
# Unit tests for server/model/client_links.c against a temporary store.
kt_unit_test(test_client_links server/test_client_links.c LIBS kt_server
  TESTS purge_drops_activity detail_names_every_store
    purge_and_move_interactions
  purge_and_move_deals purge_drops_tasks merge_moves_tasks)
