/*
 * Fuzz target: arbitrary bytes as a backup's .gz file, read the way restore
 * reads one (rs_bk_gunzip_file): once checked in memory, once inflated into
 * a file, with the manifest's size as the limit. Invariants: it never
 * crashes or runs unbounded (a gzip bomb stops past the limit); on success
 * both reads agree, the inflated file holds exactly the size and crc32
 * reported, and that size is within the limit; on failure the message is
 * one line.
 *
 * The input goes to a file (the function takes a path) in $TMPDIR (tmpfs
 * /dev/shm when it exists), rewritten for every input.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "raftstate/backupfile.h"

/* 40 KiB: a little over two of the fuzz build's 16 KiB inflate chunks
 * (OCI_GZ_CHUNK, tests/fuzz/build.sh), so a bomb crosses the limit inside
 * a chunk after whole ones; a larger limit only spends the time inflating */
#define FUZZ_GZ_LIMIT ((uint64_t)40 << 10)

static char gz_path[256], out_path[256];

static void fuzz_gunzip_paths(void)
{
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");

	if (gz_path[0] != '\0')
		return;
	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	snprintf(gz_path, sizeof(gz_path), "%s/oci-fuzz-gunzip-%d.gz", dir, (int)getpid());
	snprintf(out_path, sizeof(out_path), "%s/oci-fuzz-gunzip-%d.out", dir, (int)getpid());
}

static void one_line(const struct rs_err *err)
{
	if (err->msg[0] == '\0' || strchr(err->msg, '\n') != NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_err err = {0};
	uint64_t n1 = 0, n2 = 0;
	uint32_t c1 = 0, c2 = 0;
	int rc1, rc2, out;
	FILE *f;

	fuzz_gunzip_paths();
	if ((f = fopen(gz_path, "wb")) == NULL)
		return 0;
	if (fwrite(data, 1, size, f) != size) {
		fclose(f);
		return 0;
	}
	fclose(f);

	rc1 =
	    rs_bk_gunzip_file(gz_path, "fuzz.gz", -1, NULL, FUZZ_GZ_LIMIT, 0, NULL, &n1, &c1, &err);
	if (rc1 != RS_OK)
		one_line(&err);
	else if (n1 > FUZZ_GZ_LIMIT)
		abort();

	unlink(out_path);
	out = open(out_path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (out < 0)
		return 0;
	memset(&err, 0, sizeof(err));
	rc2 = rs_bk_gunzip_file(gz_path, "fuzz.gz", out, out_path, FUZZ_GZ_LIMIT, 0, NULL, &n2, &c2,
	                        &err);
	if (rc1 != rc2)
		abort();
	if (rc2 != RS_OK) {
		one_line(&err);
	} else {
		/* what was written is what was reported */
		unsigned char *buf = malloc(n2 ? n2 : 1);
		off_t end = lseek(out, 0, SEEK_END);

		if (buf == NULL || n2 != n1 || c2 != c1 || end < 0 || (uint64_t)end != n2 ||
		    pread(out, buf, n2, 0) != (ssize_t)n2 ||
		    (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)n2) != c2)
			abort();
		free(buf);
	}
	close(out);
	unlink(out_path);
	return 0;
}
