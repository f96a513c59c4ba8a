# SPDX-License-Identifier: MIT
# Unit tests for the non-screen modules of kartoteka-tui (client-tui/).
kt_unit_test(test_tui_text tui/test_text.c LIBS kt_tui_core
  TESTS widths fit_and_cut small_buffer_never_splits hostile_text_is_harmless
        columns char_steps)
kt_unit_test(test_tui_seq tui/test_seq.c LIBS kt_tui_core
  TESTS nothing_due_sleeps typing_pushes_back older_answer_dropped
        unknown_sequences_refused)
kt_unit_test(test_tui_form tui/test_form.c LIBS kt_tui_core
  TESTS edit_utf8 full_field_refuses focus_round secret_wiped error_at_field)
