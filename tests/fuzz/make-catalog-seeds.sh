#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Seeds for fuzz_catalog (tests/fuzz/fuzz_catalog.c): the build's Russian
# catalogue followed by an English message and the 4-byte trailer that
# says how long the message is, one file per message.
#   tests/fuzz/make-catalog-seeds.sh BUILD_DIR OUT_DIR
set -euo pipefail
mo="${1:?usage: make-catalog-seeds.sh BUILD_DIR OUT_DIR}/locale/ru/LC_MESSAGES/kartoteka.mo"
out=${2:?usage: make-catalog-seeds.sh BUILD_DIR OUT_DIR}
mkdir -p "$out"
i=0
for m in "no client 12345" "store unavailable" \
	"people[0].phones[0]: phone '12' is too short" \
	"only the owner can export the client base" \
	"import refused: branch: no branch 'Юг'" "nothing like it"; do
	i=$((i + 1))
	n=$(printf '%s' "$m" | wc -c)
	{ cat "$mo"; printf '%s' "$m"; printf "\\x00\\x00\\x$(printf %02x $((n >> 8)))\\x$(printf %02x $((n & 255)))"; } >"$out/seed-$i"
done
