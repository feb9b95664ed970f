/* The bootstrap preflight's plan (see preflight.h). */
#include <errno.h>
#include <string.h>

#include "raftstate/nodedir.h"
#include "raftstate/path.h"
#include "raftstate/preflight.h"

static void verify_state(struct rs_preflight_plan *p, const struct rs_oc_flags *r,
                         double lock_timeout, struct rs_err *err, int *rc)
{
	struct rs_verify_opts opts = {.lock_timeout = lock_timeout, .live = 0, .nil_head = 1};
	uint64_t t;

	/* op-conductor's --raft.snapshot-threshold: when it will take its first
	 * snapshot, for the nil-head prediction */
	if (rs_oc_snapshot_threshold(r, &t)) {
		opts.snapshot_threshold = t;
		opts.threshold_src = r->snapshot_threshold.src;
	}
	*rc = rs_verify_node(p->node_dir, &opts, &p->problems, err);
	p->verified = 1;
	p->state = *rc != RS_OK               ? RS_PF_UNREADABLE
	           : p->problems.errors > 0   ? RS_PF_INVALID
	           : p->problems.warnings > 0 ? RS_PF_WARNINGS
	                                      : RS_PF_VALID;
}

int rs_preflight_plan(const struct rs_oc_flags *r, double lock_timeout, struct rs_preflight_plan *p,
                      struct rs_err *err)
{
	int m, rc = RS_OK;

	memset(p, 0, sizeof(*p));
	p->state = RS_PF_NOT_CHECKED;
	/* op-conductor would only print help or version; an empty ID is rejected by
	 * raft; without a storage dir op-conductor refuses to start. */
	if (r->help || r->server_id.val == NULL || r->server_id.val[0] == '\0' ||
	    r->storage_dir.val == NULL)
		return RS_OK;
	/* filepath.Join(storage, id): an empty storage dir means the cwd */
	if (rs_path_join(p->node_dir, sizeof(p->node_dir), r->storage_dir.val, r->server_id.val) !=
	    0)
		return rs_errf(err, RS_ELIMIT, "%s/%s is too long", r->storage_dir.src,
		               r->server_id.src);
	m = rs_nd_state(p->node_dir, err);
	if (m < 0 && err->sys_errno == ENOTDIR)
		m = 0;
	if (m < 0) {
		p->state = RS_PF_UNREADABLE;
		return err->code != RS_OK ? err->code : RS_EIO;
	}
	p->state = RS_PF_NONE;
	if (r->bootstrap.val == NULL || rs_go_parse_bool(r->bootstrap.val, &p->bootstrap) != 0)
		p->bootstrap = 0;
	p->bootstrap_src = r->bootstrap.src;
	/* What op-conductor does with --raft.bootstrap=true (optimism PR 14927,
	 * March 2025; read in op-conductor/consensus/raft.go NewRaftConsensus and
	 * conductor/service.go initConsensus of the Go module versions named
	 * here): up to v1.12.2 raft's ErrCantBootstrap on a node with state
	 * stops the start; from v1.13.7 (read in v1.13.7 and v1.19.6) raft.go
	 * logs it and returns it beside the consensus, and service.go ignores
	 * exactly that error and starts unpaused: it pauses the conductor only
	 * when the bootstrap happened (the first start of a new node). The
	 * opc-1.19.6 interop stack runs this path (test_opc_heads, gen-bootstrap). */
	if ((m & RS_ND_DBS) == 0) {
		/* a new node: op-conductor creates its state */
		if (p->bootstrap)
			p->note = RS_PF_BOOTSTRAP_FIRST_START;
		return RS_OK;
	}
	verify_state(p, r, lock_timeout, err, &rc);
	if (rc == RS_OK && p->state != RS_PF_INVALID && p->bootstrap)
		p->note = RS_PF_BOOTSTRAP_ON_STATE;
	return rc;
}

int rs_preflight_starts(const struct rs_preflight_plan *p)
{
	return p->state != RS_PF_INVALID && p->state != RS_PF_UNREADABLE;
}

const char *rs_pf_state_name(enum rs_pf_state s)
{
	static const char *const names[] = {
	    [RS_PF_SKIPPED] = "skipped",
	    [RS_PF_NOT_CHECKED] = "not_checked",
	    [RS_PF_NONE] = "none",
	    [RS_PF_VALID] = "valid",
	    [RS_PF_WARNINGS] = "warnings",
	    [RS_PF_INVALID] = "invalid",
	    [RS_PF_UNREADABLE] = "unreadable",
	};

	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unreadable";
}

const char *rs_pf_note_name(enum rs_pf_note n)
{
	return n == RS_PF_BOOTSTRAP_FIRST_START ? "bootstrap_first_start"
	       : n == RS_PF_BOOTSTRAP_ON_STATE  ? "bootstrap_on_state"
	                                        : NULL;
}

void rs_preflight_plan_free(struct rs_preflight_plan *p)
{
	rs_problems_free(&p->problems);
}
