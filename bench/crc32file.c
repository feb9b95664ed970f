/*
 * bench/crc32file FILE: prints the zlib crc32 of FILE in decimal, as
 * MANIFEST.json lists it. One thread, 8 MiB reads: the bench times it as
 * the checksum every backup must compute, beside cp, and checks that the
 * manifest's crc32 of the same file agrees.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <zlib.h>

int main(int argc, char **argv)
{
	size_t bufsz = (size_t)8 << 20;
	unsigned char *buf = malloc(bufsz);
	uLong crc = crc32(0L, Z_NULL, 0);
	ssize_t n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: crc32file FILE\n");
		return 2;
	}
	if (buf == NULL || (fd = open(argv[1], O_RDONLY)) < 0) {
		perror(argv[1]);
		return 1;
	}
	while ((n = read(fd, buf, bufsz)) > 0)
		crc = crc32(crc, buf, (uInt)n);
	if (n < 0) {
		perror(argv[1]);
		return 1;
	}
	printf("%lu\n", crc);
	return 0;
}
