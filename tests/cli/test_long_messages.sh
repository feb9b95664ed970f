#!/usr/bin/env bash
# Proves that an error naming a long path is a whole sentence: the message
# (struct rs_err's 512 bytes, struct bolt_err's 256) keeps its end - what
# went wrong and how to fix it - and shortens the paths in their middle
# ("/tmp/x/ddd...ddd15/nothere") when they do not fit (bolt_text_fit,
# bolt/error.h). Each case runs twice, on a directory with a short path S
# and on one whose path is 3,000 bytes and more long L (15 directories of
# 200 bytes), both holding the same files: info, verify and logs of a
# missing or empty directory, restore from a missing backup and into a
# directory inside its backup (two paths), and bootstrap cluster on a node
# whose log is corrupt or a directory (bolt messages in detail lines). Every line of
# stderr with L must start as the line with S does before the path first
# appears, and end as it does after the path last appears; as many lines.
#
# Env: OCI_BIN, OCI_SRC, OCI_SHARED.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC OCI_SHARED
B=$OCI_BIN
[ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=${OCI_LONGMSG_TMPDIR:-/dev/shm}
make_tmp oci-longmsg
unset_env 'OP_CONDUCTOR_[A-Z_]*' 'FAKE_OC_[A-Z_]*'

build_fake_oc
export FAKE_OC_RECORD=$tmp/rec

S=$tmp/short
L=$tmp/long
seg=$(printf '%200s' | tr ' ' d)
for i in $(seq 1 15); do L=$L/$seg$i; done
mkdir -p "$S/empty" "$L/empty" "$S/odd/s2/raft-log.db" "$L/odd/s2/raft-log.db" || {
	bad "make the directories (a path of ${#L} bytes)"
	finish
}
# the same cluster in both, its s2's log a corrupt one
for d in "$S" "$L"; do
	"$B" raft generate --nodes n1:50050,n2:50050,n3:50050 --server-ids s1,s2,s3 \
		--initial-leader s1 --output-dir "$d/st" >/dev/null 2>&1 &&
		cp "$OCI_SHARED/vectors/corrupt/b-both-meta-checksums.db" "$d/st/s2/raft-log.db" &&
		chmod u+w "$d/st/s2/raft-log.db" || {
		bad "set up the cluster in $(head -c 80 <<<"$d")..."
		finish
	}
done

# same_ends NAME CMD...: CMD with @ standing for the directory, run on S and
# on L; judged as the header says
same_ends() {
	local name=$1 i n ls ll head tail
	shift
	timeout 60 "${@//@/$S}" </dev/null >/dev/null 2>"$tmp/err.s"
	timeout 60 "${@//@/$L}" </dev/null >/dev/null 2>"$tmp/err.l"
	mapfile -t ls < <(sed "s|$S|@|g" "$tmp/err.s")
	mapfile -t ll <"$tmp/err.l"
	n=${#ls[@]}
	if [ "$n" = 0 ] || [ "$n" != "${#ll[@]}" ]; then
		bad "$name: $n line(s) of stderr with the short path, ${#ll[@]} with the long one: $(head -c 300 "$tmp/err.l")"
		return
	fi
	for ((i = 0; i < n; i++)); do
		head=${ls[i]%%@*} tail=${ls[i]##*@}
		if [[ ${ll[i]} != "$head"* ]] || [[ ${ll[i]} != *"$tail" ]]; then
			bad "$name: line $((i + 1)) with the long path does not end like '...$tail': ...${ll[i]: -300}"
			return
		fi
	done
	ok "$name: ${#L}-byte path, $n line(s) whole, ending '...${ls[n - 1]: -60}'"
}

same_ends "info of a missing directory" "$B" raft info --state-dir @/nothere
same_ends "verify of a directory without state" "$B" raft verify --state-dir @/empty
same_ends "info of a directory without state" "$B" raft info --state-dir @/empty
same_ends "logs of a directory without state" "$B" raft logs --state-dir @/empty
same_ends "restore from a missing backup" \
	"$B" raft restore --backup-dir @/nothere --state-dir @/st/s1 --force
same_ends "restore into its backup (two paths)" \
	"$B" raft restore --backup-dir @/st --state-dir @/st/s1 --force
same_ends "bootstrap on a corrupt log" \
	"$B" bootstrap cluster --raft.storage.dir @/st --raft.server.id s2
same_ends "bootstrap on a log that is a directory" \
	"$B" bootstrap cluster --raft.storage.dir @/odd --raft.server.id s2

finish
