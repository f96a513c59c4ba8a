#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Crash safety: three managers add cards from their own terminals in a
# loop while the server is killed with SIGKILL and restarted, CYCLES times
# (argument 1; 3 in the default run, 20 under the ctest label `crash`).
# A kill comes only once every writer has had a few more writes
# acknowledged since the last start (polled, never timed). Then: every
# card a client saw acknowledged is in the store with its title and
# phone; every card in the store is one a client sent, whole (title,
# person, phone) and with its client.add audit entry; the audit chain
# verifies. A write cut off by the kill may be there or not, never half.
. "$(dirname "$0")/lib.sh"
CYCLES=${1:-3}
WRITERS=3
kt_init
kt_start
"$KARTOTEKAD" invite --data "$T/data" --branch Центр >/dev/null 2>&1
enroll_owner o
printf 'staff-pass-1\n' >"$T/s.pw"
for k in $(seq 1 $WRITERS); do
	expect_rc 0 cli o user add "w$k" --role manager --branch Центр --password-file "$T/s.pw"
	expect_rc 0 cli "w$k" enroll "$(kt_invite --branch Центр)" --name "w$k"
	expect_rc 0 cli "w$k" login "w$k" --password-file "$T/s.pw"
done

# writer K: adds cards until $T/stop exists; each title is in tried.K
# before it is sent and, with its id, in acked.K once the server said so.
writer() {
	local k=$1 i=0 out id title
	: >"$T/tried.$k"
	: >"$T/acked.$k"
	while [ ! -e "$T/stop" ]; do
		i=$((i + 1))
		title="Crash-$k-$i"
		echo "$title" >>"$T/tried.$k"
		if out=$(cli "w$k" --json client add --title "$title" \
			--person "Анна $k-$i;parent;;+7 9$k$(printf %08d "$i")" 2>/dev/null); then
			id=$(printf '%s' "$out" | sed -n 's/.*"client":{"id":\([0-9]*\).*/\1/p')
			[ -n "$id" ] || { echo "no id in: $out" >"$T/writer.$k.err"; return 1; }
			echo "$id $title" >>"$T/acked.$k"
		else
			sleep 0.05   # the server is down: do not spin
		fi
	done
}
for k in $(seq 1 $WRITERS); do
	kt_bg "writer$k" writer "$k"
	WPID[$k]=$BG_PID
done

# acked_each: the smallest number of acknowledged writes of any writer.
acked_each() {
	local k n min=
	for k in $(seq 1 $WRITERS); do
		n=$(wc -l <"$T/acked.$k")
		[ -z "$min" ] || [ "$n" -lt "$min" ] && min=$n
	done
	echo "$min"
}

for c in $(seq 1 "$CYCLES"); do
	want=$(( $(acked_each) + 3 ))
	for _ in $(seq 1 1200); do
		[ "$(acked_each)" -ge "$want" ] && break
		sleep 0.05
	done
	[ "$(acked_each)" -ge "$want" ] || fail "cycle $c: writers stalled: $(for k in $(seq 1 $WRITERS); do cat "$T/writer$k.out"; done)"
	kill -KILL "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
	kt_start --listen "$ADDR"
done
# One more round of writes on the last start, then stop the writers.
want=$(( $(acked_each) + 3 ))
for _ in $(seq 1 1200); do
	[ "$(acked_each)" -ge "$want" ] && break
	sleep 0.05
done
touch "$T/stop"
for k in $(seq 1 $WRITERS); do
	wait_exit "${WPID[$k]}" 60
	[ "$WAITED_RC" -eq 0 ] || fail "writer $k: $(cat "$T/writer.$k.err" 2>/dev/null)"
done

# ---- what the store holds --------------------------------------------------------
expect_rc 0 cli o export --format csv -o "$T/all.csv"
cat "$T"/acked.* | sort -n >"$T/acked"
cat "$T"/tried.* | sort >"$T/tried"
[ -s "$T/acked" ] || fail "nothing acknowledged"
# Every acknowledged card, by id and title, with its person's phone.
tail -n +2 "$T/all.csv" | tr -d '\r' >"$T/rows"
while read -r id title; do
	k=${title#Crash-}; i=${k#*-}; k=${k%%-*}
	grep -q "^$id,$title,.*+79$k$(printf %08d "$i")" "$T/rows" ||
		fail "acknowledged card $id $title is missing or incomplete"
done <"$T/acked"
# Every card in the store is one that was sent, whole.
cut -d, -f2 "$T/rows" | sort >"$T/stored"
[ -z "$(comm -13 "$T/tried" "$T/stored")" ] || fail "cards nobody sent: $(comm -13 "$T/tried" "$T/stored")"
[ -z "$(sort "$T/stored" | uniq -d)" ] || fail "a card twice: $(sort "$T/stored" | uniq -d)"
while IFS=, read -r id title rest; do
	k=${title#Crash-}; i=${k#*-}; k=${k%%-*}
	case $rest in *"Анна $k-$i (parent)"*"+79$k$(printf %08d "$i")"*) ;;
	*) fail "card $id $title is half-written: $rest" ;; esac
done <"$T/rows"
# Each with its audit entry.
kt_stop || fail "server did not stop cleanly"
"$KARTOTEKAD" audit tail --data "$T/data" --count 1000000 |
	awk '$5 == "client.add" && $7 == "OK" { print $6 }' | sort -u >"$T/audited"
cut -d, -f1 "$T/rows" | sed 's/^/client:/' | sort -u >"$T/ids"
[ -z "$(comm -23 "$T/ids" "$T/audited")" ] || fail "cards without their audit entry: $(comm -23 "$T/ids" "$T/audited" | head)"
expect_rc 0 "$KARTOTEKAD" audit verify --data "$T/data"
echo "ok: $CYCLES kills, $(wc -l <"$T/acked") writes acknowledged, $(wc -l <"$T/rows") cards stored, $(wc -l <"$T/tried") sent"
