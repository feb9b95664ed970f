# Sourced by test_nodedir_race.sh and test_nodedir_kill.sh (after lib.sh and
# make_tmp; needs $B and jget): a cluster root and the states the three
# replacing commands can leave in its node s1, so that a test can say which
# run's result a node directory holds.
#   nd_setup            $tmp/O (s1, s2, s3 generated at term 1), the
#                       reference states $tmp/ref/{G5,G9,S} of s1 and the
#                       node backup $tmp/bkS (a term-7 generate of s1)
#   nd_reset R          R := a fresh copy of $tmp/O (and nothing beside R)
#   nd_run WHO R        runs one command on R/s1 (prefixed by the words of
#                       the array ND_PRE when set): G5/G9 = generate
#                       --node-id s1 --force at term 5/9, S = restore of
#                       $tmp/bkS, C = recover to members s1,s2
#   nd_label DIR        what DIR holds: O, G5, G9, S (byte-equal to the
#                       reference), C<last index>:<last term> (a recovered
#                       state that verifies, with members s1,s2), or BAD
#   nd_after WHO LABEL  the label WHO's run turns LABEL into
#   nd_kept R           every kept copy of R/s1 (one per line)
ND_ARGS=(--nodes 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 --server-ids s1,s2,s3 --initial-leader s1)

nd_sum() { cat "$1/raft-log.db" "$1/raft-stable.db" 2>/dev/null | sha256sum | cut -c1-16; }

nd_setup() {
	local t
	"$B" raft generate "${ND_ARGS[@]}" --output-dir "$tmp/O" >/dev/null || { bad "nd_setup: generate"; finish; }
	mkdir -p "$tmp/ref"
	for t in 5 9; do
		"$B" raft generate "${ND_ARGS[@]}" --initial-term $t --output-dir "$tmp/g$t" >/dev/null &&
			cp -a "$tmp/g$t/s1" "$tmp/ref/G$t" || { bad "nd_setup: generate term $t"; finish; }
	done
	"$B" raft generate "${ND_ARGS[@]}" --initial-term 7 --output-dir "$tmp/g7" >/dev/null &&
		"$B" raft backup --state-dir "$tmp/g7/s1" --backup-dir "$tmp/bkS.d" >/dev/null &&
		mv "$tmp"/bkS.d/raft-backup-* "$tmp/bkS" && cp -a "$tmp/g7/s1" "$tmp/ref/S" || { bad "nd_setup: backup"; finish; }
	declare -gA ND_SUM=()
	ND_SUM[$(nd_sum "$tmp/O/s1")]=O
	for t in G5 G9 S; do ND_SUM[$(nd_sum "$tmp/ref/$t")]=$t; done
}

nd_reset() {
	local r=$1
	rm -rf "$r" "$(dirname "$r")"/."$(basename "$r")".pre-*
	cp -a "$tmp/O" "$r"
}

ND_PRE=()
nd_run() {
	local who=$1 r=$2
	case $who in
	G5) "${ND_PRE[@]}" "$B" raft generate "${ND_ARGS[@]}" --node-id s1 --initial-term 5 --output-dir "$r" --force ;;
	G9) "${ND_PRE[@]}" "$B" raft generate "${ND_ARGS[@]}" --node-id s1 --initial-term 9 --output-dir "$r" --force ;;
	S) "${ND_PRE[@]}" "$B" raft restore --backup-dir "$tmp/bkS" --state-dir "$r/s1" --force </dev/null ;;
	C) "${ND_PRE[@]}" "$B" raft recover --state-dir "$r/s1" --nodes 127.0.0.1:7001,127.0.0.1:7002 --server-ids s1,s2 ;;
	esac
}

nd_label() {
	local d=$1 s j="$tmp/label.json"
	[ -d "$d" ] || { echo MISSING; return; }
	s=$(nd_sum "$d")
	if [ -n "${ND_SUM[$s]:-}" ]; then echo "${ND_SUM[$s]}"; return; fi
	if "$B" raft verify --state-dir "$d" >/dev/null 2>&1 && "$B" raft info --state-dir "$d" --json >"$j" 2>/dev/null &&
		[ "$(jget "$j" configuration/servers/#)" = 2 ]; then
		echo "C$(jget "$j" log/last_index):$(jget "$j" log/last_term)"
		return
	fi
	echo BAD
}

nd_after() {
	local who=$1 l=$2
	case $who in
	G5 | G9 | S) echo "$who" ;;
	C) case $l in
		O) echo C2:2 ;; G5) echo C2:6 ;; G9) echo C2:10 ;; S) echo C2:8 ;;
		C2:*) echo "C3:$((${l#C2:} + 1))" ;;
		*) echo "?" ;;
		esac ;;
	esac
}

nd_kept() {
	local r=$1 p
	p=$(dirname "$r")
	{
		find "$r" "$r/s1" -maxdepth 1 -mindepth 1 -name '.s1.*' -type d 2>/dev/null
		find "$r/s1" -maxdepth 1 -mindepth 1 -name '.pre-*' -type d 2>/dev/null
		find "$p" -maxdepth 2 -mindepth 2 -path "$p/.$(basename "$r").pre-*/s1" -type d 2>/dev/null
	} | LC_ALL=C sort
}
