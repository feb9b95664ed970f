/*
 * Fuzz target: arbitrary bytes as a raft.Log value of the `logs` bucket.
 *
 * rs_log_decode, rs_log_decode_prefix and rs_log_decode_header must agree
 * (the header decoder accepts what the full decoder accepts, with the same
 * Index/Term/Type), the canonical fast path must give exactly what the
 * general decoder gives (rs_log_decode_prefix_general), and whatever decodes must re-encode and
 * decode again to the same entry (the encoding is canonical). The input is copied to an exact-size
 * heap buffer so ASan sees any read past its end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raftstate/config.h"
#include "raftstate/log.h"
#include "raftstate/msgpack.h"

static int same_bytes(const uint8_t *a, size_t an, int anil, const uint8_t *b, size_t bn, int bnil)
{
	return anil == bnil && an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static void check_roundtrip(const struct rs_log *log)
{
	struct mp_buf out = {0};
	struct rs_log again;
	struct rs_err err;

	if (rs_log_encode(log, &out, &err) != RS_OK) {
		mp_buf_free(&out);
		return; /* e.g. a field too large to represent; not a crash */
	}
	if (rs_log_decode(out.p, out.len, &again, &err) != RS_OK)
		abort(); /* our own canonical bytes must decode */
	if (again.index != log->index || again.term != log->term || again.type != log->type ||
	    !same_bytes(again.data, again.data_len, again.data_nil, log->data, log->data_len,
	                log->data_nil) ||
	    !same_bytes(again.ext, again.ext_len, again.ext_nil, log->ext, log->ext_len,
	                log->ext_nil))
		abort();
	mp_buf_free(&out);
}

static int same_time(const struct rs_time *a, const struct rs_time *b)
{
	return a->sec == b->sec && a->nsec == b->nsec && a->offset_min == b->offset_min &&
	       a->offset_sec == b->offset_sec && a->utc == b->utc;
}

/* The fast path is an optimisation only: same verdict, same fields, same
 * pointers into the input. */
static void check_fast_path(const uint8_t *p, size_t size, int rp, const struct rs_log *pre,
                            size_t used)
{
	struct rs_log gen;
	struct rs_err err;
	size_t gused = 0;
	int rg = rs_log_decode_prefix_general(p, size, &gen, &gused, &err);

	if ((rg == RS_OK) != (rp == RS_OK))
		abort();
	if (rg != RS_OK)
		return;
	if (gused != used || gen.index != pre->index || gen.term != pre->term ||
	    gen.type != pre->type || gen.data != pre->data || gen.data_len != pre->data_len ||
	    gen.data_nil != pre->data_nil || gen.ext != pre->ext || gen.ext_len != pre->ext_len ||
	    gen.ext_nil != pre->ext_nil || gen.appended_at_present != pre->appended_at_present ||
	    !same_time(&gen.appended_at, &pre->appended_at))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_log full, head, pre;
	struct rs_err err;
	uint8_t *p = malloc(size ? size : 1);
	size_t used = 0;
	int rf, rh, rp;

	if (p == NULL)
		return 0;
	memcpy(p, data, size);
	rf = rs_log_decode(p, size, &full, &err);
	rh = rs_log_decode_header(p, size, &head, &err);
	rp = rs_log_decode_prefix(p, size, &pre, &used, &err);
	if (rp == RS_OK && used > size)
		abort();
	check_fast_path(p, size, rp, &pre, used);
	if (rf == RS_OK) {
		if (rp != RS_OK || used != size)
			abort(); /* a whole value is also a prefix of itself */
		if (rh == RS_OK &&
		    (head.index != full.index || head.term != full.term || head.type != full.type))
			abort();
		check_roundtrip(&full);
		if (full.type == RS_LOG_CONFIGURATION && full.data != NULL) {
			struct rs_config c;

			if (rs_config_decode(full.data, full.data_len, &c, &err) == RS_OK)
				rs_config_free(&c);
		}
	}
	free(p);
	return 0;
}
