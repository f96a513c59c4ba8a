#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The offline backup commands end to end: `kartotekad backup` while the
# server runs (the file mode 0600, never over an existing file, audited);
# `backup verify` says intact, and refuses a wrong passphrase, a damaged
# byte and a cut file, each with its reason; `restore` refuses a
# directory that holds files, restores into a new one, audits it and
# lists the users and terminals, and with --old what the replaced store
# changed since the backup; a server started on the restored store
# answers the same terminal (its keys came back) with the card of before
# the backup and not the one added after it.
. "$(dirname "$0")/lib.sh"
kt_init
kt_start
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
enroll_owner o

has() { grep -q -- "$1" "$T/last.out" || fail "expected '$1' in: $(cat "$T/last.out") $(cat "$T/last.err")"; }
err_has() { grep -q -- "$1" "$T/last.err" || fail "expected '$1' in stderr: $(cat "$T/last.err")"; }

printf 'зима-лето-осень-1\n' >"$T/pp"
printf 'not-the-one\n' >"$T/wrong"
: >"$T/empty"
expect_rc 0 cli o --json client add --branch Центр --title "Ивановы" \
	--person "Анна;parent;;+7 912 345-67-89"
ID=$(sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p' "$T/last.out")
[ -n "$ID" ] || fail "no client id"
printf 'staff-pass-1\n' >"$T/s.pw"
printf 'staff-pass-2\n' >"$T/s2.pw"
for u in m1 m2; do
	expect_rc 0 cli o user add $u --role manager --branch Центр --password-file "$T/s.pw"
done
expect_rc 0 cli c1 enroll "$(kt_invite --branch Центр)" --name desk-one

expect_rc 0 "$KARTOTEKAD" backup --data "$T/data" --out "$T/b.ktb" \
	--passphrase-file "$T/pp"
has "written to $T/b.ktb"
[ "$(stat -c %a "$T/b.ktb")" = 600 ] || fail "mode $(stat -c %a "$T/b.ktb")"
# Never over an existing file; usage errors name what is missing.
expect_rc 1 "$KARTOTEKAD" backup --data "$T/data" --out "$T/b.ktb" \
	--passphrase-file "$T/pp"
err_has "File exists"
expect_rc 2 "$KARTOTEKAD" backup --data "$T/data" --out "$T/c.ktb"
err_has "usage: kartotekad backup"
expect_rc 2 "$KARTOTEKAD" backup --data "$T/data" --out "$T/c.ktb" \
	--passphrase-file "$T/empty"
err_has "empty"
[ ! -e "$T/c.ktb" ] || fail "a refused backup left a file"
"$KARTOTEKAD" audit tail --data "$T/data" --count 3 >"$T/last.out"
has "backup  store  OK  offline"

# A card added after the backup is not in it; nor are these changes of
# the old store, which restore --old lists.
expect_rc 0 cli o client add --branch Центр --title "Петровы"
expect_rc 0 cli o user disable m1
expect_rc 0 cli o user password m2 --password-file "$T/s2.pw"
expect_rc 0 cli o user add m3 --role manager --branch Центр --password-file "$T/s.pw"
expect_rc 0 cli o terminal revoke desk-one
expect_rc 0 cli c2 enroll "$(kt_invite --branch Центр)" --name desk-two

expect_rc 0 "$KARTOTEKAD" backup verify "$T/b.ktb" --passphrase-file "$T/pp"
has "is intact"
expect_rc 1 "$KARTOTEKAD" backup verify "$T/b.ktb" --passphrase-file "$T/wrong"
err_has "wrong passphrase, or the backup is damaged"
size=$(stat -c %s "$T/b.ktb")
cp "$T/b.ktb" "$T/bad.ktb"
printf 'X' | dd of="$T/bad.ktb" bs=1 seek=$((size / 2)) conv=notrunc status=none
expect_rc 1 "$KARTOTEKAD" backup verify "$T/bad.ktb" --passphrase-file "$T/pp"
err_has "damaged"
head -c $((size - 100)) "$T/b.ktb" >"$T/cut.ktb"
expect_rc 1 "$KARTOTEKAD" backup verify "$T/cut.ktb" --passphrase-file "$T/pp"
err_has "cut short"
head -c 100 /dev/urandom >"$T/random.ktb"
expect_rc 1 "$KARTOTEKAD" backup verify "$T/random.ktb" --passphrase-file "$T/pp"
err_has "not a Kartoteka backup"

# Restore: not over files; a damaged backup leaves the directory empty.
expect_rc 1 "$KARTOTEKAD" restore --from "$T/b.ktb" --data "$T/data" \
	--passphrase-file "$T/pp"
err_has "not empty"
expect_rc 1 "$KARTOTEKAD" restore --from "$T/bad.ktb" --data "$T/new" \
	--passphrase-file "$T/pp"
[ -z "$(ls -A "$T/new")" ] || fail "a damaged restore left files: $(ls "$T/new")"
expect_rc 2 "$KARTOTEKAD" restore --from "$T/b.ktb" --data "$T/new"
err_has "\[--old OLDDIR\]"
expect_rc 0 "$KARTOTEKAD" restore --from "$T/b.ktb" --data "$T/new" \
	--passphrase-file "$T/pp" --old "$T/data"
has "into $T/new: the backup of .*, sequence [0-9]"
has "owner"
has "(owner terminal)"
has "since the backup, the old store at $T/data has:"
has "terminal desk-one  *revoked there, but not in the restored store"
has "terminal desk-two  *enrolled after the backup"
has "user     m1  *disabled there, but not in the restored store"
has "user     m2  *has a newer password there"
has "user     m3  *added after the backup"
[ "$(grep -c '^  user  \|^  terminal ' "$T/last.out")" -eq 5 ] || fail "more listed: $(cat "$T/last.out")"
# An old store that cannot be read is said; the restore stands.
expect_rc 0 "$KARTOTEKAD" restore --from "$T/b.ktb" --data "$T/new2" \
	--passphrase-file "$T/pp" --old "$T/nowhere"
err_has "cannot read the old store"

# The restored server is the same server to the terminal: same keys, same
# session; the card of before the backup is there, the later one is not.
kt_stop
mv "$T/data" "$T/old"
mv "$T/new" "$T/data"
kt_start --listen "$ADDR"
expect_rc 0 cli o client show "$ID"
has "Ивановы"
expect_rc 0 cli o client find Петровы
has "^No clients found"
"$KARTOTEKAD" audit tail --data "$T/data" --count 5 >"$T/last.out"
has "restore  store  OK  restored from the backup of"
# The first start raised the owner's alert, and only the first.
expect_rc 0 cli o alerts
has "store.restored .*restored from the backup of"
kt_stop
kt_start --listen "$ADDR"
expect_rc 0 cli o alerts
[ "$(grep -c 'store.restored' "$T/last.out")" -eq 1 ] || fail "alert again: $(cat "$T/last.out")"
expect_rc 0 "$KARTOTEKAD" audit verify --data "$T/data"
kt_stop || fail "server did not stop cleanly"

# A restore cut between its renames leaves its marker: the store is
# refused, by the server and the offline commands alike, until it is
# emptied and restored again.
cp -a "$T/data" "$T/half"
touch "$T/half/RESTORING"
rc=0
"$KARTOTEKAD" run --data "$T/half" --listen 127.0.0.1:0 >"$T/half.out" 2>"$T/half.err" </dev/null || rc=$?
[ "$rc" -ne 0 ] || fail "the server started on a half-restored store"
grep -q "a restore into $T/half was interrupted" "$T/half.err" || fail "run: $(cat "$T/half.err")"
rc=0
"$KARTOTEKAD" audit verify --data "$T/half" >/dev/null 2>"$T/half.err" || rc=$?
[ "$rc" -ne 0 ] || fail "audit verify opened a half-restored store"
grep -q "was interrupted" "$T/half.err" || fail "audit verify: $(cat "$T/half.err")"
echo "ok"
