#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `kartoteka backup -o FILE` end to end: the owner's backup streams from
# the running server into a 0600 file whose BLAKE2b-256 is the one the
# CLI prints, the audit entry and the owner's alert hold; it never
# replaces a file; a short passphrase is refused before anything is sent;
# heads and managers are refused, audited, and get no file; the file
# verifies and restores offline into a store that answers with the card
# of before the backup.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
enroll_owner o

has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }

printf 'зима-лето-осень-1\n' >"$T/pp"
printf 'short\n' >"$T/short"
expect_rc 0 cli o --json client add --branch Центр --title "Ивановы" \
	--person "Анна;parent;;+7 912 345-67-89"
ID=$(sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out")
[ -n "$ID" ] || fail "no client id"

# ---- the owner's backup -------------------------------------------------------
expect_rc 0 cli o backup -o "$T/b.ktb" --passphrase-file "$T/pp"
has "backup written to $T/b.ktb ($(stat -c %s "$T/b.ktb") bytes, mode 0600)"
[ "$(stat -c %a "$T/b.ktb")" = 600 ] || fail "mode $(stat -c %a "$T/b.ktb")"
H=$(b2sum -l 256 "$T/b.ktb" | cut -d' ' -f1)
has "BLAKE2b-256: $H"
[ "$(head -c 8 "$T/b.ktb")" = KTBACKUP ] || fail "not a backup file"
[ "$(ls "$T" | grep -c '^b\.ktb\.')" -eq 0 ] || fail "temporary file left: $(ls "$T")"
expect_rc 0 "$KARTOTEKAD" audit tail --data "$T/data" --count 1
has "backup  store  OK  to the owner's terminal: bytes=$(stat -c %s "$T/b.ktb") blake2b=$H"
expect_rc 0 cli o alerts
has "backup  *owner @ o .*to the owner's terminal: bytes=$(stat -c %s "$T/b.ktb") blake2b=$H"
expect_rc 0 cli o --json backup -o "$T/j.ktb" --passphrase-file "$T/pp"
has "\"blake2b\":\"$(b2sum -l 256 "$T/j.ktb" | cut -d' ' -f1)\""

# ---- refusals: nothing sent, nothing written -------------------------------------
n=$(audit_count backup)
cp "$T/b.ktb" "$T/keep.ktb"
expect_rc 2 cli o backup -o "$T/b.ktb" --passphrase-file "$T/pp"
err_has "the file exists; a backup never replaces one"
cmp -s "$T/b.ktb" "$T/keep.ktb" || fail "an existing file was touched"
expect_rc 2 cli o backup -o "$T/s.ktb" --passphrase-file "$T/short"
err_has "the passphrase is too short"
expect_rc 2 cli o backup --passphrase-file "$T/pp"
err_has "-o FILE is required"
expect_rc 2 cli o backup -o "$T/no/such/dir/x.ktb" --passphrase-file "$T/pp"
[ ! -e "$T/s.ktb" ] || fail "a refused backup left a file"
[ "$(audit_count backup)" -eq "$n" ] || fail "a refused backup reached the server"

printf 'staff-pass-1\n' >"$T/s.pw"
expect_rc 0 cli o user add m1 --role manager --branch Центр --password-file "$T/s.pw"
expect_rc 0 cli o user add h1 --role head --branch Центр --password-file "$T/s.pw"
code=$(kt_invite --branch Центр)
expect_rc 0 cli c1 enroll "$code" --name c1
for who in m1 h1; do
	expect_rc 0 cli c1 login "$who" --password-file "$T/s.pw"
	expect_rc 1 cli c1 backup -o "$T/$who.ktb" --passphrase-file "$T/pp"
	err_has "FORBIDDEN"
	err_has "only the owner can back up the store and keys"
	[ ! -e "$T/$who.ktb" ] || fail "$who got a file"
	[ "$(ls "$T" | grep -c "^$who\.ktb")" -eq 0 ] || fail "temporary file left: $(ls "$T")"
	expect_rc 0 cli c1 logout
done
expect_rc 0 "$KARTOTEKAD" audit tail --data "$T/data" --count 100
[ "$(grep -c 'backup  -  FORBIDDEN  only the owner can back up the store and keys' "$T/last.out")" -eq 2 ] ||
	fail "refusals not audited: $(grep backup "$T/last.out")"

# ---- the file verifies and restores -----------------------------------------------
expect_rc 0 cli o client add --branch Центр --title "Петровы"
expect_rc 0 "$KARTOTEKAD" backup verify "$T/b.ktb" --passphrase-file "$T/pp"
has "is intact"
expect_rc 0 "$KARTOTEKAD" restore --from "$T/b.ktb" --data "$T/new" \
	--passphrase-file "$T/pp"
kt_stop
mv "$T/data" "$T/old"
mv "$T/new" "$T/data"
kt_start --listen "$ADDR"
expect_rc 0 cli o client show "$ID"
has "Ивановы"
expect_rc 0 cli o client find Петровы
has "^No clients found"
expect_rc 0 "$KARTOTEKAD" audit verify --data "$T/data"
kt_stop || fail "server did not stop cleanly"
echo "ok"
