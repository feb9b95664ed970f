/*
 * The crc32 of backups: MANIFEST.json's "crc32" and the gzip trailer's (the
 * IEEE polynomial, reflected, as zlib's crc32() computes it; start from 0).
 *
 * Computed by libdeflate (libdeflate_crc32: carry-less multiplication on
 * CPUs that have it), not zlib 1.2.13's table-driven crc32(): on 8 MiB
 * chunks, as rs_copy_range feeds it, it takes a fifth to a third of zlib's
 * time (bench/RESULTS.md: "crc32 implementations"). ISA-L's crc32_gzip_refl
 * was faster still, but Debian ships no static libisal (scripts/
 * build-static.sh links everything statically). crc32_combine stays
 * zlib's: it is arithmetic on two crcs, not a pass over bytes.
 */
#ifndef RAFTSTATE_CRC32_H
#define RAFTSTATE_CRC32_H

#include <stddef.h>
#include <stdint.h>

#include <libdeflate.h>

/* crc continues a crc32 (0 to start) over buf[0..n) */
static inline uint32_t rs_crc32(uint32_t crc, const void *buf, size_t n)
{
	return libdeflate_crc32(crc, buf, n);
}

#endif
