#include "bolt/meta.h"

static const char *const status_text[] = {
    [BOLT_META_OK] = "valid",
    [BOLT_META_SHORT] = "the file is too short to hold it",
    [BOLT_META_BADMAGIC] = "bad magic number",
    [BOLT_META_BADVERSION] = "unsupported version",
    [BOLT_META_BADCHECKSUM] = "checksum mismatch",
    [BOLT_META_BADFLAGS] = "page is not marked as a meta page",
    [BOLT_META_BADPAGESIZE] = "invalid page size",
};

const char *bolt_meta_status_text(int status)
{
	if (status < 0 || (size_t)status >= sizeof(status_text) / sizeof(status_text[0]))
		return "unknown meta status";
	return status_text[status];
}

const char *bolt_page_type_name(uint16_t flags)
{
	switch (flags) {
	case BOLT_PAGE_BRANCH:
		return "branch";
	case BOLT_PAGE_LEAF:
		return "leaf";
	case BOLT_PAGE_META:
		return "meta";
	case BOLT_PAGE_FREELIST:
		return "freelist";
	default:
		return "unknown";
	}
}

uint64_t bolt_meta_sum(const uint8_t *meta_body)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (size_t i = 0; i < BOLT_META_SIZE - 8; i++) {
		h ^= meta_body[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

/* The page may be a live writer's (verify --live reads a mapping another
 * process writes to): its bytes are copied once, and the fields and the
 * checksum are both taken from that copy. Read in place, the fields could
 * come from one meta and the checksummed bytes from the next one written
 * over it, a valid-looking meta that pairs a new txid with an old root
 * (which the live recheck, comparing txids, cannot catch). A copy torn by
 * the writer fails the checksum. */
int bolt_meta_decode(const uint8_t *page, size_t len, struct bolt_meta *m)
{
	uint8_t img[BOLT_PAGE_HEADER_SIZE + BOLT_META_SIZE];
	const uint8_t *b = img + BOLT_PAGE_HEADER_SIZE;

	memset(m, 0, sizeof(*m));
	if (len < sizeof(img))
		return BOLT_META_SHORT;
	memcpy(img, page, sizeof(img));
	/* the compiler must not read `page` again in place of the copy */
	__asm__ volatile("" ::: "memory");
	page = img;
	m->magic = bolt_le32(b);
	m->version = bolt_le32(b + 4);
	m->page_size = bolt_le32(b + 8);
	m->flags = bolt_le32(b + 12);
	m->root = bolt_le64(b + 16);
	m->sequence = bolt_le64(b + 24);
	m->freelist = bolt_le64(b + 32);
	m->pgid = bolt_le64(b + 40);
	m->txid = bolt_le64(b + 48);
	m->checksum = bolt_le64(b + 56);
	if (m->magic != BOLT_MAGIC)
		return BOLT_META_BADMAGIC;
	if (m->version != BOLT_VERSION)
		return BOLT_META_BADVERSION;
	if (m->checksum != bolt_meta_sum(b))
		return BOLT_META_BADCHECKSUM;
	if ((bolt_page_flags(page) & BOLT_PAGE_META) == 0)
		return BOLT_META_BADFLAGS;
	if (m->page_size < BOLT_MIN_PAGE_SIZE || m->page_size > BOLT_MAX_PAGE_SIZE ||
	    (m->page_size & (m->page_size - 1)) != 0)
		return BOLT_META_BADPAGESIZE;
	return BOLT_META_OK;
}

uint64_t bolt_meta_encode(const struct bolt_meta *m, uint8_t *page)
{
	uint8_t *b = page + BOLT_PAGE_HEADER_SIZE;
	uint64_t id = m->txid % 2;

	bolt_put64(page, id);
	bolt_put16(page + 8, (uint16_t)(bolt_page_flags(page) | BOLT_PAGE_META));
	bolt_put32(b, m->magic);
	bolt_put32(b + 4, m->version);
	bolt_put32(b + 8, m->page_size);
	bolt_put32(b + 12, m->flags);
	bolt_put64(b + 16, m->root);
	bolt_put64(b + 24, m->sequence);
	bolt_put64(b + 32, m->freelist);
	bolt_put64(b + 40, m->pgid);
	bolt_put64(b + 48, m->txid);
	bolt_put64(b + 56, bolt_meta_sum(b));
	return id;
}

int bolt_meta_pick(const uint8_t *file, size_t len, struct bolt_meta m[2], int status[2])
{
	uint32_t ps = 0;

	status[0] = bolt_meta_decode(file, len, &m[0]);
	if (status[0] == BOLT_META_OK)
		ps = m[0].page_size;
	status[1] = BOLT_META_SHORT;
	memset(&m[1], 0, sizeof(m[1]));
	for (uint32_t try = BOLT_MIN_PAGE_SIZE; try <= BOLT_MAX_PAGE_SIZE; try *= 2) {
		uint32_t at = ps ? ps : try;
		struct bolt_meta cand;
		int st;

		if (at >= len)
			break;
		st = bolt_meta_decode(file + at, len - at, &cand);
		if (st == BOLT_META_OK && !ps && cand.page_size != at)
			st = BOLT_META_BADPAGESIZE;
		/* keep the most telling status: one where the magic matched */
		if (ps || st == BOLT_META_OK || cand.magic == BOLT_MAGIC ||
		    status[1] == BOLT_META_SHORT) {
			status[1] = st;
			m[1] = cand;
		}
		if (ps || st == BOLT_META_OK)
			break;
	}
	if (status[0] == BOLT_META_OK && status[1] == BOLT_META_OK &&
	    m[0].page_size != m[1].page_size)
		status[1] = BOLT_META_BADPAGESIZE;
	if (status[0] != BOLT_META_OK && status[1] != BOLT_META_OK)
		return -1;
	if (status[0] == BOLT_META_OK && (status[1] != BOLT_META_OK || m[0].txid > m[1].txid))
		return 0;
	return 1;
}
