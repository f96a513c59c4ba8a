# SPDX-License-Identifier: MIT
# The owner's export: the renderer (server/jobs/export.c) against a
# temporary store, and the op (server/ops/export.c) streaming through
# kt_dispatch_message on the fake network.
kt_unit_test(test_export server/test_export.c LIBS kt_server
  TESTS csv_cells_quoted_and_neutralised vcard_lines_escaped_and_folded
  csv_run_in_chunks_hashed excel_and_vcard_shapes filters_and_visibility
  sink_error_stops_the_run bad_format_and_filter xlsx_workbook_over_sheets)
kt_unit_test(test_ops_export server/test_ops_export.c FAKE_NET LIBS kt_server
  TESTS owner_export_streams_then_audits filter_narrows_and_is_audited
  head_and_manager_refused_audited bad_input_named_nothing_exported
  reader_gone_audited)
