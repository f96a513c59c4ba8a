#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Root and the service user's store: the offline commands run as root on
# a data directory that belongs to another user (here nobody, as the
# service's kartoteka) refuse, change nothing and print the command to run
# instead ("run it as: sudo -u nobody kartotekad ..."); run as that user
# they work and every file stays that user's. On root's own store root
# goes on as before (every other test). Needs root: skipped otherwise.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "not root: nothing to test (skipped)"
	exit 0
fi
command -v runuser >/dev/null || fail "runuser (util-linux) is needed"
chmod 755 "$T"
D="$T/srv/data"
mkdir -p "$T/srv"
chown nobody: "$T/srv"
printf '%s\n' "$OWNER_PW" >"$T/owner.pw"
chmod 644 "$T/owner.pw"
as_nobody() { runuser -u nobody -- "$@"; }

# owners: "USER:GROUP NAME" of every file under the directory.
owners() { find "$1" -exec stat -c '%U:%G %n' {} + | sort; }
# only_nobody DIR: every file in DIR belongs to nobody.
only_nobody() {
	local bad
	bad=$(find "$1" ! -user nobody -o ! -group nogroup) || true
	[ -z "$bad" ] || fail "not nobody's: $(stat -c '%U:%G %n' $bad)"
}

# init into a directory that does not exist yet, under nobody's: refused.
expect_rc 2 "$KARTOTEKAD" init --data "$D" --owner owner --password-file "$T/owner.pw"
grep -qF "kartotekad: $T/srv belongs to the user nobody (uid 65534)" "$T/last.err" ||
	fail "init as root: $(cat "$T/last.err")"
grep -qxF "run it as: sudo -u nobody kartotekad init --data $D --owner owner --password-file $T/owner.pw" \
	"$T/last.err" || fail "no command to run: $(cat "$T/last.err")"
[ ! -e "$D" ] || fail "init as root made $D"

expect_rc 0 as_nobody "$KARTOTEKAD" init --data "$D" --owner owner --password-file "$T/owner.pw"
only_nobody "$T/srv"
owners "$T/srv" >"$T/before"

# Every command that opens the store refuses as root, changing nothing.
for cmd in "invite" "invite --branch North" "terminal list" "terminal revoke x" \
	"user unlock owner" "audit verify" "audit tail" \
	"audit checkpoint --out $T/cp" "backup --out $T/b.ktb --passphrase-file $T/owner.pw" \
	"run --listen 127.0.0.1:0"; do
	# shellcheck disable=SC2086
	set -- $cmd
	sub=$1
	case $1 in terminal|user|audit) sub="$1 $2" ;; esac
	expect_rc 2 "$KARTOTEKAD" "$@" --data "$D"
	grep -qF "run it as: sudo -u nobody kartotekad $sub " "$T/last.err" ||
		fail "$cmd as root: $(cat "$T/last.err")"
	owners "$T/srv" | cmp -s - "$T/before" || fail "$cmd as root changed $T/srv"
done
[ ! -e "$T/cp" ] && [ ! -e "$T/b.ktb" ] || fail "an output file was written"
# restore into a new directory under nobody's, likewise.
expect_rc 2 "$KARTOTEKAD" restore --from "$T/x.ktb" --data "$T/srv/new" --passphrase-file "$T/owner.pw"
grep -qF "run it as: sudo -u nobody kartotekad restore --from " "$T/last.err" ||
	fail "restore as root: $(cat "$T/last.err")"
# A value with spaces is quoted for the shell.
expect_rc 2 "$KARTOTEKAD" invite --data "$D" --branch "North side"
grep -qxF "run it as: sudo -u nobody kartotekad invite --data $D --branch 'North side'" "$T/last.err" ||
	fail "quoting: $(cat "$T/last.err")"

# As nobody the same commands work, and the files stay nobody's.
expect_rc 0 as_nobody "$KARTOTEKAD" invite --data "$D" --branch North
expect_rc 0 as_nobody "$KARTOTEKAD" user unlock --data "$D" owner
expect_rc 0 as_nobody "$KARTOTEKAD" audit verify --data "$D"
printf 'backup-pass-1\n' >"$T/srv/pass"
chown nobody: "$T/srv/pass"
expect_rc 0 as_nobody "$KARTOTEKAD" backup --data "$D" --out "$T/srv/b.ktb" --passphrase-file "$T/srv/pass"
expect_rc 0 as_nobody "$KARTOTEKAD" restore --from "$T/srv/b.ktb" --data "$T/srv/restored" \
	--passphrase-file "$T/srv/pass"
only_nobody "$T/srv"

# Root's own store (root's directory): root goes on.
kt_init
expect_rc 0 "$KARTOTEKAD" audit verify --data "$T/data"
echo "ok"
