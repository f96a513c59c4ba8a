#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The module graph of server/, read from the object files' symbol tables:
# an edge A -> B when A.o uses a symbol that B.o defines. Fails when the
# graph has a cycle, or when a layer reaches where it must not (net into
# anything above it, the model into anything above it, ops into the net
# or the dispatcher; log, a leaf, is open to all). Prints the graph either way (docs/ARCHITECTURE.md).
#   module_graph.sh OBJECT...   (the objects of the kt_server library)
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 OBJECT..." >&2; exit 2; }
command -v nm >/dev/null || { echo "FAIL: nm (binutils) is needed" >&2; exit 1; }

for o in "$@"; do
	[ -f "$o" ] || { echo "FAIL: no object file $o" >&2; exit 1; }
	m=${o##*kt_server.dir/}
	m=${m%.c.o}
	nm -P -g "$o" | awk -v m="$m" '
		$2 == "U" { print "U", m, $1; next }
		$2 ~ /^[TDBRCGSV]$/ { print "D", m, $1 }'
done | awk '
$1 == "D" { def[$3] = $2; mods[$2] = 1; next }
$1 == "U" { use[$2, $3] = 1; mods[$2] = 1; next }
# Layer rules: a module under prefix p may use only modules under one of
# the prefixes allowed[p] (space separated; "" = itself only).
function layer(mod) {
	if (mod ~ /^net\//) return "net"
	if (mod ~ /^model\//) return "model"
	if (mod ~ /^jobs\//) return "jobs"
	if (mod ~ /^ops\//) return "ops"
	return mod
}
function allowed(from, to,   lf, lt) {
	lf = layer(from); lt = layer(to)
	if (lf == lt) return 1
	# log.c (the log lines of the running server) is a leaf every layer
	# writes to; it uses no other module.
	if (lf == "log") return 0
	if (lt == "log") return 1
	if (lf == "net") return 0
	if (lf == "model") return 0
	if (lf == "jobs") return lt == "model"
	if (lf == "ops") return lt != "net" && lt != "dispatch" && lt != "server"
	if (lt == "server") return 0        # only main.c starts the server
	if (lt == "dispatch") return lf == "server"
	return 1
}
function visit(n,   k, i, path) {
	color[n] = 1
	stack[++depth] = n
	for (k = 1; k <= nout[n]; k++) {
		i = out[n, k]
		if (color[i] == 1) {
			path = i
			for (j = depth; j >= 1 && stack[j] != i; j--)
				path = stack[j] " -> " path
			print "FAIL: cycle: " i " -> " path
			bad = 1
		} else if (color[i] == 0) {
			visit(i)
		}
	}
	depth--
	color[n] = 2
}
END {
	for (k in use) {
		split(k, p, SUBSEP)
		from = p[1]; to = def[p[2]]
		if (to == "" || to == from || ((from, to) in edge)) continue
		edge[from, to] = 1
		out[from, ++nout[from]] = to
		if (!allowed(from, to)) {
			print "FAIL: " from " uses " to " (" p[2] "): not allowed by the layers"
			bad = 1
		}
	}
	n = 0
	for (m in mods) names[++n] = m
	# Sorted output: a small insertion sort keeps this free of gawk.
	for (i = 2; i <= n; i++) {
		v = names[i]
		for (j = i - 1; j >= 1 && names[j] > v; j--) names[j + 1] = names[j]
		names[j + 1] = v
	}
	for (i = 1; i <= n; i++) {
		line = ""
		for (k = 1; k <= nout[names[i]]; k++) line = line " " out[names[i], k]
		printf "%s ->%s\n", names[i], line
	}
	for (i = 1; i <= n; i++)
		if (color[names[i]] == 0) visit(names[i])
	if (n < 10) { print "FAIL: only " n " modules found"; bad = 1 }
	exit bad
}'
