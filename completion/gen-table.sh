#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Prints the command table of completion/kartoteka.bash from the real
# usage texts of a built kartoteka (`kartoteka --help` and the synopsis of
# every `kartoteka help COMMAND`), so that the completion never invents an
# option nor misses one. tests/integration/completion.sh fails when the
# table in the file differs from this output; after changing a command:
#   completion/gen-table.sh build/client-cli/kartoteka >/tmp/t
# and paste /tmp/t between the BEGIN TABLE and END TABLE lines.
#
# Types of a value (what TAB offers): file, dir, branch (names from the
# server), login (user names from the server), zone (/usr/share/zoneinfo),
# choice:A,B,C (fixed words), none (nothing: a number, a date, text).
set -euo pipefail
K=${1:?usage: gen-table.sh PATH/TO/kartoteka}
export LC_ALL=C LANGUAGE=

# Command names as printed by --help: "  branch add NAME ..." or "  login
# ...": a first word is a group ("branch") when `help WORD` lists commands.
cmds=$("$K" --help | awk '/^Commands:/ { f = 1; next } /^$/ { f = 0 }
	f && /^  [a-z]/ { print $1, $2 }' | while read -r w1 w2; do
	if "$K" help "$w1" | grep -q '^Commands:'; then
		echo "$w1 $w2"
	else
		echo "$w1"
	fi
done)

echo "_kt_commands='$(echo "$cmds" | awk '{ print $1 }' | awk '!s[$0]++' | tr '\n' ' ' | sed 's/ $//')'"
while read -r c; do
	"$K" help $c | head -n 1 | sed 's/^Usage: kartoteka \[OPTIONS\] //' |
		awk -v cmd="$c" '
# type_of(opt, placeholder): what TAB offers for the value of opt.
function type_of(opt, ph, alts, n, i, ok) {
	if (opt == "--status") return "choice:lead,active,former"
	if (opt == "--category") return "choice:A,B,C"
	if (opt == "--stage") return "choice:new,progress,won,lost"
	if (opt == "--kind") return "choice:call,meeting,promise,other"
	if (opt == "--role") return "choice:head,manager"
	if (opt == "--relation") return "choice:parent,child,contact,other"
	if (ph ~ /FILE/ || opt == "-o") return "file"
	if (ph ~ /ZONE/) return "zone"
	if (opt == "--branch") return "branch"
	if (opt != "" && ph ~ /^LOGIN/) return "login"
	if (ph ~ /\|/) {
		n = split(ph, alts, "|"); ok = 1
		for (i = 1; i <= n; i++) if (alts[i] !~ /^[a-z][-a-z0-9]*$/) ok = 0
		if (ok) { gsub(/\|/, ",", ph); return "choice:" ph }
	}
	return "none"
}
{
	s = $0
	gsub(/[][]/, "", s)                  # optional or not, all are offered
	gsub(/\|--/, " --", s)               # --open-deal|--no-open-deal
	gsub(/"[^"]*"/, "WHEN", s)           # --due "DATE HH:MM"
	n = split(s, t, " ")
	nw = split(cmd, w, " ")
	opts = ""; pos = ""
	for (i = nw + 1; i <= n; i++) {
		if (t[i] ~ /^-/) {
			if (seen[t[i]]++) continue
			opts = opts (opts == "" ? "" : " ") t[i]
			if (i < n && t[i + 1] !~ /^-/) {
				vals[t[i]] = type_of(t[i], t[i + 1])
				i++
			}
		} else if (opts == "") {
			ph = t[i]
			if (ph ~ /^LOGIN/ && cmd != "user add") ty = "login"
			else if (ph == "NAME" && cmd ~ /^branch (set|rename|archive|restore)$/) ty = "branch"
			else if (ph == "FILE") ty = "file"
			else ty = type_of("", ph)
			pos = pos (pos == "" ? "" : " ") ty
		}
	}
	printf "_kt_opts[%s]=\047%s\047\n", cmd, opts
	if (pos != "") printf "_kt_pos[%s]=\047%s\047\n", cmd, pos
	for (i = nw + 1; i <= n; i++)
		if (t[i] in vals && !(t[i] in done)) {
			done[t[i]] = 1
			printf "_kt_val[%s %s]=\047%s\047\n", cmd, t[i], vals[t[i]]
		}
}'
done <<<"$cmds" | sed 's/^\(_kt_[a-z]*\)\[\([^]]*\)\]/\1["\2"]/'
