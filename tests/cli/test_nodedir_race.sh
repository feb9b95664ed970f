#!/usr/bin/env bash
# Proves: two replacing runs started together on one node directory (every
# pair of generate --force, restore --force and recover, each pair 4 times)
# never mix or lose state: each run that fails exits 1 or 2 with one
# sentence on stderr ("in use by another run (pid N: ...)" when it finds the
# holder in /proc/locks; the locked-root cases below check that it does),
# at least one succeeds, the node then holds exactly the
# result of the successful runs in some order, and every state it held
# before - the original one and, when both succeeded, the one in between -
# is in a kept copy that verifies. A run given --timeout waits for the
# other and then succeeds. A reader's shared lock on a database is waited
# for, and so is an exclusive one held for an instant (another run's check);
# a writer's is refused within a quarter of a second.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN
output_style colon
B=$OCI_BIN
make_tmp oci-ndrace
build_jget
. "$(dirname "$0")/nodedir-states.sh"
nd_setup
R=$tmp/root/R
mkdir -p "$tmp/root"

# member LABEL WORDS...: LABEL is one of WORDS
member() { local l=$1 w; shift; for w; do [ "$l" = "$w" ] && return 0; done; return 1; }

race() { # A B ITER
	local a=$1 b=$2 it=$3 ra rb final want lines what="$1+$2 #$3" k kl got_o=0 mid=
	nd_reset "$R"
	( nd_run "$a" "$R" >"$tmp/a.out" 2>"$tmp/a.err" ) &
	local pa=$!
	( nd_run "$b" "$R" >"$tmp/b.out" 2>"$tmp/b.err" ) &
	local pb=$!
	wait $pa; ra=$?
	wait $pb; rb=$?
	for x in a:$ra b:$rb; do
		local who=${x%%:*} rc=${x#*:}
		case $rc in
		0) ;;
		1 | 2)
			lines=$(wc -l <"$tmp/$who.err")
			if [ "$lines" != 1 ]; then bad "$what: run $who exited $rc with $lines lines on stderr: $(head -c 600 "$tmp/$who.err")"; return; fi ;;
		*) bad "$what: run $who exited $rc: $(head -c 400 "$tmp/$who.err")"; return ;;
		esac
	done
	if [ $ra != 0 ] && [ $rb != 0 ]; then bad "$what: both runs failed: $(cat "$tmp/a.err" "$tmp/b.err")"; return; fi
	final=$(nd_label "$R/s1")
	if [ $ra = 0 ] && [ $rb = 0 ]; then
		want="$(nd_after "$b" "$(nd_after "$a" O)") $(nd_after "$a" "$(nd_after "$b" O)")"
	elif [ $ra = 0 ]; then want=$(nd_after "$a" O); else want=$(nd_after "$b" O); fi
	# shellcheck disable=SC2086
	if ! member "$final" $want; then bad "$what: s1 holds $final, not one run's result ($want; exits $ra $rb)"; return; fi
	for n in s2 s3; do cmp -s "$R/$n/raft-log.db" "$tmp/O/$n/raft-log.db" || { bad "$what: $n changed"; return; }; done
	# kept copies: each verifies and is a state s1 held before
	k=0
	while read -r d; do
		[ -n "$d" ] || continue
		k=$((k + 1))
		kl=$(nd_label "$d")
		case $kl in BAD | MISSING | "?") bad "$what: kept copy $d holds $kl"; return ;; esac
		"$B" raft verify --state-dir "$d" >/dev/null 2>&1 || { bad "$what: kept copy $d does not verify"; return; }
		[ "$kl" = O ] && got_o=1
		mid="$mid $kl"
	done < <(nd_kept "$R")
	[ "$got_o" = 1 ] || { bad "$what: the original state is in no kept copy (kept:$mid; final $final)"; return; }
	if [ $ra = 0 ] && [ $rb = 0 ] && [ $k -lt 2 ]; then bad "$what: both runs replaced s1 but only $k kept copies:$mid"; return; fi
	ok "$what: exits $ra/$rb, s1 = $final, kept:$mid"
	[ $ra != 0 ] && grep -q 'in use by another run (pid [0-9]*: ' "$tmp/a.err" && named=$((named + 1))
	[ $rb != 0 ] && grep -q 'in use by another run (pid [0-9]*: ' "$tmp/b.err" && named=$((named + 1))
	return 0
}

named=0
for pair in "G5 G9" "S S" "C C" "G5 S" "G5 C" "S C"; do
	for it in 1 2 3 4; do
		# shellcheck disable=SC2086
		race $pair $it
	done
done
# Whether a loser of a race finds the winner in /proc/locks depends on the
# scheduler (under ASan on a loaded CI machine every loser of a run said "pid
# unknown" while 4 of 5 quiet runs named one): a count, not a check. Naming
# the holder is checked deterministically below, on a root whose lock is held.
echo "note: $named losing runs named the winner's pid and command"

# a run that waits (--timeout) gets the lock once the other is done
nd_reset "$R"
exec 8<"$R"
flock -x 8
( sleep 0.5; flock -u 8 ) &
t0=$(date +%s%N)
if "$B" raft generate "${ND_ARGS[@]}" --node-id s1 --initial-term 5 --output-dir "$R" --force --timeout 5 >/dev/null 2>"$tmp/w.err" &&
	[ "$(nd_label "$R/s1")" = G5 ] && [ $(( ($(date +%s%N) - t0) / 1000000 )) -ge 400 ]; then
	ok "generate --timeout 5 waited for the lock holder and then replaced s1"
else
	bad "generate --timeout did not wait or failed: $(cat "$tmp/w.err")"
fi
wait
exec 8<&-
# without --timeout, a held lock fails at once, naming the holder
nd_reset "$R"
flock -x "$R" sleep 30 &
hp=$!
sleep 0.3
for who in G5 S C; do
	if nd_run "$who" "$R" >/dev/null 2>"$tmp/l.err"; then
		bad "$who ran while $R was locked"
	elif [ "$(wc -l <"$tmp/l.err")" = 1 ] && grep -q "is in use by another run (pid $hp: flock -x $R sleep 30)" "$tmp/l.err" &&
		[ "$(nd_label "$R/s1")" = O ]; then
		ok "$who on a locked root: one sentence naming pid $hp and its command, nothing changed"
	else
		bad "$who on a locked root: $(cat "$tmp/l.err")"
	fi
done
kill $hp 2>/dev/null
wait $hp 2>/dev/null

# waits_out WHO MODE FILE SECONDS: runs WHO with FILE locked (flock MODE,
# -s or -x) for SECONDS from just before it starts; 0 when it ran and left
# s1 as it should. $took: the run's milliseconds; its stderr in $tmp/w.err.
waits_out() {
	local who=$1 mode=$2 file=$3 secs=$4 probe=-s rc t0
	[ "$mode" = -s ] && probe=-x
	nd_reset "$R"
	flock "$mode" "$file" sleep "$secs" &
	hp=$!
	for _ in $(seq 1 200); do
		flock -n "$probe" "$file" true 2>/dev/null || break
		sleep 0.002
	done
	t0=$(date +%s%N)
	nd_run "$who" "$R" >/dev/null 2>"$tmp/w.err" && [ "$(nd_label "$R/s1")" = "$(nd_after "$who" O)" ]
	rc=$?
	took=$((($(date +%s%N) - t0) / 1000000))
	wait $hp
	return $rc
}

# A reader's LOCK_SH on a database (a verify, a backup, the other run's
# plan) is waited for; a writer's LOCK_EX (op-conductor) is not. CI saw
# restore and recover started together both fail: restore's apply met
# recover's plan reading s1 and refused as if op-conductor ran on it.
for who in G5 S C; do
	if waits_out "$who" -s "$R/s1/raft-log.db" 1; then
		ok "$who waited $took ms for a reader of raft-log.db, then ran"
	else
		bad "$who refused while only a reader held raft-log.db: $(cat "$tmp/w.err")"
	fi
done
# A LOCK_EX held for an instant is another run's check (rs_nd_check_unlocked
# takes one to see that no reader is left): it is looked at again for
# ~250 ms before it is taken for op-conductor. CI (fresh-check, user) saw
# generate --force and generate --if-absent started together both fail:
# one's apply met the other's plan checking s1 and refused it as a writer.
for who in G5 S C; do
	if waits_out "$who" -x "$R/s1/raft-stable.db" 0.1; then
		ok "$who waited out a LOCK_EX held for 100 ms on raft-stable.db, then ran"
	else
		bad "$who refused a LOCK_EX held for an instant: $(cat "$tmp/w.err")"
	fi
done
nd_reset "$R"
flock -x "$R/s1/raft-log.db" sleep 30 &
hp=$!
sleep 0.3
t0=$(date +%s%N)
if nd_run S "$R" >/dev/null 2>"$tmp/w.err"; then
	bad "restore ran while a writer held raft-log.db"
elif ms=$(( ($(date +%s%N) - t0) / 1000000 )) && [ "$ms" -lt 5000 ] &&
	grep -q "is locked by another process (is op-conductor running?): pid $hp, flock -x $R/s1/raft-log.db sleep 30; " "$tmp/w.err" &&
	[ "$(nd_label "$R/s1")" = O ]; then
	ok "restore refused a writer's lock in $ms ms, naming pid $hp and its command; nothing changed"
else
	bad "restore and a writer's lock: $(cat "$tmp/w.err")"
fi
kill $hp 2>/dev/null
wait $hp 2>/dev/null
finish
