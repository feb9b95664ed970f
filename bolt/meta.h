/*
 * Meta pages: decode, validate, choose, encode. See page.h for the layout.
 */
#ifndef BOLT_META_H
#define BOLT_META_H

#include <stddef.h>
#include <stdint.h>

#include "bolt/page.h"

enum bolt_meta_status {
	BOLT_META_OK = 0,
	BOLT_META_SHORT,    /* the file is too short to hold this meta page */
	BOLT_META_BADMAGIC, /* magic is not 0xED0CDAED */
	BOLT_META_BADVERSION,
	BOLT_META_BADCHECKSUM,
	BOLT_META_BADFLAGS,    /* page header is not a meta page */
	BOLT_META_BADPAGESIZE, /* page size not a power of two in 1 KiB..64 KiB */
};

const char *bolt_meta_status_text(int status);

/* FNV-1a 64 over the 56 meta bytes that precede the checksum. */
uint64_t bolt_meta_sum(const uint8_t *meta_body);

/* Decodes the meta page image at `page` (len bytes available) into m and
 * returns a bolt_meta_status. m is filled as far as the bytes allow. */
int bolt_meta_decode(const uint8_t *page, size_t len, struct bolt_meta *m);

/* Writes a meta page image for m into page (page_size zeroed bytes): id
 * txid % 2, flags meta, checksum computed. Returns the page id. */
uint64_t bolt_meta_encode(const struct bolt_meta *m, uint8_t *page);

/* Reads both meta pages from the first `len` bytes of a file image and
 * picks the one bbolt would use: the valid meta with the highest txid.
 * The page size comes from meta 0, or, when meta 0 is unreadable, from the
 * first power-of-two offset (1 KiB..64 KiB) holding a valid meta 1 with
 * that page size. Returns the index of the active meta, or -1 when neither
 * is valid. */
int bolt_meta_pick(const uint8_t *file, size_t len, struct bolt_meta m[2], int status[2]);
#endif
