/*
 * bench/deflatebench: one core's deflate on a file, for choosing the
 * implementation and level of `raft backup --compress` (bench/RESULTS.md,
 * "backup --compress").
 *
 *   deflatebench FILE zlib|libdeflate LEVEL [BLOCK_MIB]
 *
 * Reads FILE in BLOCK_MIB-sized blocks (default 8, as backup --compress
 * cuts it), compresses each into one gzip member on this one thread, then
 * inflates every member again and compares it with the input. Prints one
 * line: implementation, level, input and output bytes, the ratio, and the
 * CPU seconds (user + system of this thread) spent deflating and
 * inflating, with MB/s of input. Reading the file is not counted.
 * Build: cc -O2 -o deflatebench bench/deflatebench.c -lz -ldeflate
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libdeflate.h>
#include <zlib.h>

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t zlib_gzip(int level, const unsigned char *in, size_t n, unsigned char *out,
                        size_t cap)
{
	z_stream zs;
	size_t len;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	len = deflate(&zs, Z_FINISH) == Z_STREAM_END ? zs.total_out : 0;
	deflateEnd(&zs);
	return len;
}

static size_t zlib_gunzip(const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
	z_stream zs;
	size_t len;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return 0;
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	len = inflate(&zs, Z_FINISH) == Z_STREAM_END ? zs.total_out : 0;
	inflateEnd(&zs);
	return len;
}

int main(int argc, char **argv)
{
	size_t block, cap;
	int fd, level, use_zlib;
	unsigned char *in, *out, *back;
	uint64_t total_in = 0, total_out = 0;
	double t_def = 0, t_inf = 0;
	struct libdeflate_compressor *c = NULL;
	struct libdeflate_decompressor *d = NULL;

	if (argc < 4 || argc > 5 ||
	    (strcmp(argv[2], "zlib") != 0 && strcmp(argv[2], "libdeflate") != 0)) {
		fprintf(stderr, "usage: deflatebench FILE zlib|libdeflate LEVEL [BLOCK_MIB]\n");
		return 2;
	}
	use_zlib = strcmp(argv[2], "zlib") == 0;
	level = atoi(argv[3]);
	block = (size_t)(argc == 5 ? atoi(argv[4]) : 8) << 20;
	if ((fd = open(argv[1], O_RDONLY)) < 0) {
		perror(argv[1]);
		return 1;
	}
	cap = block + block / 8 + 4096;
	in = malloc(block), out = malloc(cap), back = malloc(block);
	if (!use_zlib) {
		c = libdeflate_alloc_compressor(level);
		d = libdeflate_alloc_decompressor();
	}
	if (in == NULL || out == NULL || back == NULL || (!use_zlib && (c == NULL || d == NULL))) {
		fprintf(stderr, "deflatebench: out of memory or bad level %d\n", level);
		return 1;
	}
	for (;;) {
		ssize_t r = pread(fd, in, block, (off_t)total_in);
		size_t len, got = 0;
		double t0, t1, t2;

		if (r < 0) {
			perror(argv[1]);
			return 1;
		}
		if (r == 0)
			break;
		t0 = cpu_now();
		len = use_zlib ? zlib_gzip(level, in, (size_t)r, out, cap)
		               : libdeflate_gzip_compress(c, in, (size_t)r, out, cap);
		t1 = cpu_now();
		if (len > 0 && use_zlib)
			got = zlib_gunzip(out, len, back, block);
		else if (len > 0 && libdeflate_gzip_decompress(d, out, len, back, block, &got) !=
		                        LIBDEFLATE_SUCCESS)
			got = 0;
		t2 = cpu_now();
		if (len == 0 || got != (size_t)r || memcmp(in, back, got) != 0) {
			fprintf(stderr, "deflatebench: block at %llu does not round-trip\n",
			        (unsigned long long)total_in);
			return 1;
		}
		t_def += t1 - t0, t_inf += t2 - t1;
		total_in += (uint64_t)r, total_out += len;
	}
	printf("%s level %d: %llu -> %llu bytes (%.4f), deflate %.3f s cpu (%.1f MB/s), inflate "
	       "%.3f s cpu (%.1f MB/s)\n",
	       argv[2], level, (unsigned long long)total_in, (unsigned long long)total_out,
	       total_in ? (double)total_out / (double)total_in : 0.0, t_def,
	       t_def > 0 ? (double)total_in / t_def / 1e6 : 0.0, t_inf,
	       t_inf > 0 ? (double)total_in / t_inf / 1e6 : 0.0);
	return 0;
}
