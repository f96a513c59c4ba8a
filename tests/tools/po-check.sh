#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# po-check.sh SRC            the test i18n.po_complete: every marked
#                            message of the sources has a translation in
#                            every po/LANG.po (no empty, no fuzzy entry,
#                            formats that match), and the print calls of
#                            the directories in po/LINT carry no unmarked
#                            message.
# po-check.sh SRC DIR...     the same for the messages used in those
#                            source directories only (work in progress)
# po-check.sh --update SRC   re-extracts po/kartoteka.pot and merges it
#                            into every po/LANG.po (the po-update target).
set -euo pipefail
update=0
if [ "${1:-}" = "--update" ]; then
	update=1
	shift
fi
SRC=$(cd "${1:?usage: po-check.sh [--update] SRC}" && pwd)
shift
ONLY=("$@")
cd "$SRC"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sources() {
	find client-cli client-tui common server -name '*.c' -o -name '*.cc' -o -name '*.h' |
		LC_ALL=C sort
}

extract() {
	local kw=()
	while read -r k; do
		case "$k" in '' | '#'*) continue ;; esac
		kw+=("--keyword=$k")
	done <po/KEYWORDS
	sources >"$tmp/files"
	xgettext --language=C --from-code=UTF-8 --add-comments=TRANSLATORS: \
		--sort-by-file --package-name=kartoteka --msgid-bugs-address=kartoteka \
		--no-wrap -o "$1" "${kw[@]}" --files-from="$tmp/files" 2>"$tmp/xgettext.err" ||
		{ cat "$tmp/xgettext.err"; exit 1; }
	# warnings (a \r in a message, say) are failures too
	if [ -s "$tmp/xgettext.err" ]; then
		cat "$tmp/xgettext.err"
		fail=1
	fi
}

langs() { grep -E '^[a-z]' po/LINGUAS; }

fail=0
if [ "$update" = 1 ]; then
	extract po/kartoteka.pot
	for l in $(langs); do
		msgmerge --quiet --update --backup=none --no-fuzzy-matching \
			--no-wrap po/"$l".po po/kartoteka.pot
	done
	echo "po/kartoteka.pot: $(grep -c '^msgid ' po/kartoteka.pot) messages"
	exit 0
fi

extract "$tmp/k.pot"
if [ ${#ONLY[@]} -gt 0 ]; then
	# keep the messages with a reference in one of the directories
	sel=()
	# -N matches like fnmatch with FNM_PATHNAME: a level per pattern
	for d in "${ONLY[@]}"; do
		sel+=(-N "${d%/}/*" -N "${d%/}/*/*" -N "${d%/}/*/*/*")
	done
	msggrep --no-wrap "${sel[@]}" -o "$tmp/only.pot" "$tmp/k.pot"
	mv "$tmp/only.pot" "$tmp/k.pot"
fi
total=$(grep -c '^msgid ' "$tmp/k.pot")
for l in $(langs); do
	msgmerge --quiet --no-fuzzy-matching --no-wrap -o "$tmp/$l.po" \
		po/"$l".po "$tmp/k.pot"
	msgattrib --untranslated --no-obsolete --no-wrap "$tmp/$l.po" \
		>"$tmp/$l.untr" 2>/dev/null || true
	msgattrib --only-fuzzy --no-obsolete --no-wrap "$tmp/$l.po" \
		>"$tmp/$l.fuzzy" 2>/dev/null || true
	n=$(grep -c '^msgid ' "$tmp/$l.untr" || true)
	[ "$n" -gt 0 ] && n=$((n - 1)) # the header
	f=$(grep -c '^msgid ' "$tmp/$l.fuzzy" || true)
	[ "$f" -gt 0 ] && f=$((f - 1))
	if [ "$n" -gt 0 ] || [ "$f" -gt 0 ]; then
		echo "po/$l.po: $n of $total messages have no translation, $f are fuzzy:"
		grep -h -B3 '^msgid ' "$tmp/$l.untr" "$tmp/$l.fuzzy" |
			grep -E '^#: |^msgid ' | grep -v '^msgid ""$' | head -n 60
		echo "(run: cmake --build BUILD --target po-update, translate, rerun)"
		fail=1
	fi
	if ! msgfmt --check -o /dev/null "$tmp/$l.po" 2>"$tmp/$l.err"; then
		echo "po/$l.po: msgfmt --check failed:"
		head -n 30 "$tmp/$l.err"
		fail=1
	fi
done

# The lint: unmarked literals in the checked print calls.
lint_out=$(perl "$SRC/tests/tools/po-lint.pl" po/LINT) || { echo "$lint_out" | head -n 80; fail=1; }

if [ "$fail" = 0 ]; then
	echo "ok: $total messages, all translated in: $(langs | tr '\n' ' ')"
fi
exit $fail
