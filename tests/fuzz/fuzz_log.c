/*
 * Fuzz target: arbitrary bytes as a raft.Log value of the `logs` bucket.
 *
 * rs_log_decode, rs_log_decode_prefix and rs_log_decode_header must agree
 * (the header decoder accepts what the full decoder accepts, with the same
 * Index/Term/Type), and whatever decodes must re-encode and decode again
 * to the same entry (the encoding is canonical). The input is copied to an
 * exact-size heap buffer so ASan sees any read past its end.
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
