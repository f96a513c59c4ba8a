# SPDX-License-Identifier: MIT
# Unit tests for common/noise.c (with the published Noise test vectors, read
# with jansson) and common/frame.c.
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)

kt_unit_test(test_noise common/test_noise.c
  LIBS libkartoteka PkgConfig::JANSSON
  TESTS vectors_snow vectors_cacophony vectors_total xk_kartoteka
        all_patterns_random low_order_ephemeral low_order_ephemeral_msg2
        low_order_remote_static tampered_handshake tampered_transport
        nonce_exhaustion nonce_encoding cipher_without_key not_my_turn
        prologue_and_key_mismatch init_errors buffer_errors)

kt_unit_test(test_frame common/test_frame.c
  LIBS libkartoteka
  TESTS header_encode zero_length max_frame byte_by_byte
        two_frames_one_buffer consumed_counts)
