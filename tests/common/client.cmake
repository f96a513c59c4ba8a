# SPDX-License-Identifier: MIT
# Unit tests for the client side of libkartoteka: key files, invite codes,
# the configuration directory.
kt_unit_test(test_keyfile common/test_keyfile.c LIBS libkartoteka
  TESTS roundtrip mode_ignores_umask overwrite exclusive write_bad_dir
        read_missing read_wrong_size read_refuses_shared
        read_refuses_symlink_and_dir mkdir_p x25519_public)
kt_unit_test(test_invite common/test_invite.c LIBS libkartoteka
  TESTS roundtrip roundtrip_ipv6_owner whitespace_trimmed bad_prefix
        bad_base64 bad_protobuf bad_address bad_server_key bad_token
        bad_branch too_long encode_checks address_split mutations)
kt_unit_test(test_config common/test_config.c LIBS libkartoteka
  TESTS dir_order load_empty ensure_terminal server_roundtrip
        server_malformed server_unknown_lines server_rejects_line_break
        session_roundtrip secret_permissions)
