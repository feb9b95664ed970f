/*
 * The C side of the differential msgpack test (tests/interop/diff_msgpack.sh):
 * reads inputs framed as a 4-byte little-endian length + that many bytes from
 * stdin and decodes each as one raft.Log with rs_log_decode_prefix, the way
 * raft-boltdb's GetLog decodes a value (the value, not what follows it). One
 * line per input on stdout, in the format the harness's `msgpack-decode`
 * prints for go-msgpack/v2 (harness/msgdiff_raft17.go):
 *   ok i=INDEX t=TERM y=TYPE d=DATA e=EXTENSIONS a=SEC.NSEC@OFFSET
 *   err
 * DATA/EXTENSIONS: "nil" or LEN:FNV-1a-64 (hex); SEC: seconds since
 * 0001-01-01 UTC (Go's internal epoch), OFFSET: the zone offset in seconds.
 * With --why an "err" line carries our decoder's reason after it.
 * usage: msgpack_decode [--why] < FRAMES
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raftstate/log.h"

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void field(const char *name, const uint8_t *p, size_t n, int is_nil)
{
	if (is_nil)
		printf(" %s=nil", name);
	else
		printf(" %s=%zu:%016llx", name, n, (unsigned long long)fnv1a(p, n));
}

int main(int argc, char **argv)
{
	int why = argc == 2 && strcmp(argv[1], "--why") == 0;
	uint8_t hdr[4];
	uint8_t *buf = NULL;
	size_t cap = 0;

	if (argc > 1 && !why) {
		fprintf(stderr, "usage: msgpack_decode [--why] < FRAMES\n");
		return 2;
	}
	while (fread(hdr, 1, 4, stdin) == 4) {
		size_t n = (size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16 |
		           (size_t)hdr[3] << 24;
		struct rs_log l;
		struct rs_err err;
		size_t used = 0;

		if (n > (64u << 20)) {
			fprintf(stderr,
			        "msgpack_decode: an input of %zu bytes is over the 64 MiB limit\n",
			        n);
			return 1;
		}
		if (n > cap) {
			uint8_t *nb = realloc(buf, n);
			if (nb == NULL) {
				fprintf(stderr, "msgpack_decode: out of memory\n");
				return 1;
			}
			buf = nb;
			cap = n;
		}
		if (n > 0 && fread(buf, 1, n, stdin) != n) {
			fprintf(stderr, "msgpack_decode: the last input is truncated\n");
			return 1;
		}
		if (rs_log_decode_prefix(buf, n, &l, &used, &err) != RS_OK) {
			if (why)
				printf("err %s\n", err.msg);
			else
				puts("err");
			continue;
		}
		printf("ok i=%llu t=%llu y=%llu", (unsigned long long)l.index,
		       (unsigned long long)l.term, (unsigned long long)l.type);
		field("d", l.data, l.data_len, l.data_nil);
		field("e", l.ext, l.ext_len, l.ext_nil);
		if (l.appended_at_present)
			printf(" a=%lld.%09d@%d\n", (long long)l.appended_at.sec,
			       (int)l.appended_at.nsec,
			       l.appended_at.utc
			           ? 0
			           : l.appended_at.offset_min * 60 + l.appended_at.offset_sec);
		else
			printf(" a=0.000000000@0\n");
	}
	if (ferror(stdin)) {
		fprintf(stderr, "msgpack_decode: reading stdin failed\n");
		return 1;
	}
	free(buf);
	return fflush(stdout) == 0 ? 0 : 1;
}
