#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Makes a store fixture: a small, representative store built with the
# binaries of BUILD_DIR, dumped as text (mdb_dump -a) into OUT_FILE, with
# the facts the migration test checks in OUT_FILE's .facts sidecar.
#
#   tests/data/make-store-fixture.sh BUILD_DIR tests/data/store-vN.dump
#
# Run it when KT_STORE_SCHEMA is bumped, with a build at the new version,
# into a new store-vN.dump; keep the old fixtures (docs/STORAGE.md,
# "Schema versions and migrations"). The dump is text because a binary
# data.mdb must not be committed; tests load it with mdb_load.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 BUILD_DIR OUT_FILE" >&2
	exit 2
fi
BUILD=$1
OUT=$2
FACTS=${OUT%.dump}.facts
KARTOTEKAD="$BUILD/server/kartotekad"
KARTOTEKA="$BUILD/client-cli/kartoteka"
for b in "$KARTOTEKAD" "$KARTOTEKA"; do
	[ -x "$b" ] || { echo "$0: no $b: build first" >&2; exit 1; }
done
for b in mdb_dump mdb_stat; do
	command -v "$b" >/dev/null ||
		{ echo "$0: $b not found: apt-get install lmdb-utils" >&2; exit 1; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/kt-fixture.XXXXXX")
SERVER_PID=""
cleanup() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT
die() {
	echo "$0: $*" >&2
	[ -f "$T/server.err" ] && tail -n 20 "$T/server.err" >&2
	exit 1
}
# cli CONFIG args...: the CLI with its own configuration directory; quiet
# unless it fails.
cli() {
	local cfg=$1
	shift
	"$KARTOTEKA" --config "$T/$cfg" "$@" >"$T/cli.out" 2>"$T/cli.err" ||
		die "kartoteka $*: $(cat "$T/cli.err")"
}

# ---- a server with an owner terminal ---------------------------------------
printf 'owner-pass-1\n' >"$T/owner.pw"
printf 'staff-pass-1\n' >"$T/staff.pw"
"$KARTOTEKAD" init --data "$T/data" --owner owner \
	--password-file "$T/owner.pw" >"$T/init.out" || die "init failed"
"$KARTOTEKAD" run --data "$T/data" --listen 127.0.0.1:0 \
	>"$T/server.out" 2>"$T/server.err" &
SERVER_PID=$!
ADDR=""
for _ in $(seq 1 200); do
	if grep -q '^listening on ' "$T/server.out" 2>/dev/null; then
		ADDR=$(head -n 1 "$T/server.out" | sed 's/^listening on //')
		break
	fi
	kill -0 "$SERVER_PID" 2>/dev/null || die "server died at start"
	sleep 0.05
done
[ -n "$ADDR" ] || die "server did not start"
code=$("$KARTOTEKAD" invite --data "$T/data" --advertise "$ADDR" | tail -n 1)
cli own enroll "$code" --name owner-desk
cli own login owner --password-file "$T/owner.pw"

# ---- branches, users, terminals ---------------------------------------------
cli own branch add "Центр" --address "ул. Ленина, 1"
cli own branch add "Север"
cli own user add olga --role head --branch "Центр" --branch "Север" \
	--name "Ольга Петрова" --password-file "$T/staff.pw"
cli own user add misha --role manager --branch "Центр" --quota 50 \
	--password-file "$T/staff.pw"
cli own terminal invite --branch "Центр" --advertise "$ADDR"
code=$(tail -n 1 "$T/cli.out")
cli desk enroll "$code" --name center-1
cli desk login misha --password-file "$T/staff.pw"
# One invite left unused.
cli own terminal invite --branch "Север" --advertise "$ADDR"

# ---- client cards -------------------------------------------------------------
# Ids are handed out in order: 1..19 by the owner, 20 by the manager; the
# facts below name 20 (edited) and 3 (archived).
tags=(английский рисование шахматы музыка)
for i in $(seq 1 19); do
	n=$(printf '%02d' "$i")
	if [ $((i % 2)) -eq 0 ]; then br="Центр"; else br="Север"; fi
	cli own client add --title "Семья $i" --branch "$br" \
		--tag "${tags[$((i % 4))]}" --status active \
		--person "Родитель $i;parent;$n.0$((i % 9 + 1)).1985;+7 900 000-00-$n;parent$n@example.org" \
		--person "Ребёнок $i;child;201$((i % 10))"
done
# A manager's own card, from the branch terminal, edited once.
cli desk client add --title "Семья 20" --tag музыка \
	--person "Родитель 20;parent;20.03.1990;+7 900 000-00-20" \
	--person "Ребёнок 20;child;2018;;;любит рисовать"
cli desk client edit 20 --version 1 --note "edited for the fixture" --contract "Д-20" \
	--category A
cli own client archive 3

# ---- stop by PID, dump --------------------------------------------------------
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || die "server exited with $?"
SERVER_PID=""

entries() { mdb_stat -s "$1" "$T/data" | sed -n 's/^ *Entries: //p'; }
# meta "schema" is BE32; in mdb_dump's hex, key " 736368656d61".
schema_hex=$(mdb_dump -s meta "$T/data" | grep -A1 '^ 736368656d61$' | tail -n 1)
schema=$((16#${schema_hex# }))
# The numbers this script made must be what the store holds.
[ "$(entries branches)" = 2 ] || die "expected 2 branches, found $(entries branches)"
[ "$(entries users)" = 3 ] || die "expected 3 users, found $(entries users)"
[ "$(entries clients)" = 20 ] || die "expected 20 clients, found $(entries clients)"
[ "$(entries terminals)" = 2 ] || die "expected 2 terminals, found $(entries terminals)"

mdb_dump -a "$T/data" >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cat >"$FACTS.tmp" <<FACTS
# Facts about $(basename "$OUT"), written by make-store-fixture.sh
# and checked by tests/server/test_migrate.c: name value.
schema $schema
branches 2
users 3
clients 20
clients_archived 1
archived_client 3
edited_client 20
edited_version 2
terminals $(entries terminals)
invites $(entries invites)
sessions $(entries sessions)
audit_entries $(entries audit)
FACTS
mv "$FACTS.tmp" "$FACTS"
echo "wrote $OUT ($(wc -c <"$OUT") bytes) and $FACTS"
