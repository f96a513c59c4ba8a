# SPDX-License-Identifier: MIT
# Unit tests for server/net/net.c with real loopback sockets (no fake
# network in this binary): handshake, transport, limits, time-outs, stop.
kt_unit_test(test_net server/test_net.c LIBS kt_server TESTS
  start_refuses_bad_listen start_port_in_use_eio handshake_reaches_on_ready
  on_ready_refusal_closes bad_handshake_closes message_round_trip
  send_too_big_refused zero_length_frame_bad_request
  bad_ciphertext_closes_silently close_flush_delivers_queued
  peer_eof_ends_connection connection_limit_refuses_next
  handshake_timeout_closes untrusted_idle_closed_trusted_kept
  untrusted_closed_with_pending_writes
  stop_waits_for_held_ref foreach_visits_ready_only
  on_gone_once_per_ready_connection)
