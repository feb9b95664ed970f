/*
 * op-conductor's own command line, read the way op-conductor reads it, for
 * the bootstrap preflight (raftstate/preflight.h): which node directory it
 * will open, whether it bootstraps, its snapshot threshold and its log
 * flags. Only reads: what op-conductor receives is never changed.
 *
 * op-conductor parses its command line with urfave/cli v2 on Go's flag
 * package: -name and --name are the same, a value comes as name=value or
 * as the next argument (always the next one, even if it starts with '-'),
 * booleans take no next argument, "--" or the first non-flag argument ends
 * the flags, the last of repeated flags wins; a flag not on the command
 * line comes from its OP_CONDUCTOR_* variable, even when that is empty.
 *
 * Only a few flags matter here, but the others must be skipped correctly:
 * a flag not known takes the next argument as its value unless that looks
 * like a flag itself, and op-conductor's boolean flags are listed so that
 * "--paused true" ends the flags where Go ends them.
 */
#ifndef RAFTSTATE_OCFLAGS_H
#define RAFTSTATE_OCFLAGS_H

#include <stdint.h>

#define RS_OC_STORAGE_DIR_ENV        "OP_CONDUCTOR_RAFT_STORAGE_DIR"
#define RS_OC_SERVER_ID_ENV          "OP_CONDUCTOR_RAFT_SERVER_ID"
#define RS_OC_BOOTSTRAP_ENV          "OP_CONDUCTOR_RAFT_BOOTSTRAP"
#define RS_OC_SNAPSHOT_THRESHOLD_ENV "OP_CONDUCTOR_RAFT_SNAPSHOT_THRESHOLD"
/* op-conductor's log flags (op-service log.CLIFlags("OP_CONDUCTOR")) */
#define RS_OC_LOG_LEVEL_ENV  "OP_CONDUCTOR_LOG_LEVEL"
#define RS_OC_LOG_FORMAT_ENV "OP_CONDUCTOR_LOG_FORMAT"
#define RS_OC_LOG_PID_ENV    "OP_CONDUCTOR_LOG_PID"
#define RS_OC_LOG_COLOR_ENV  "OP_CONDUCTOR_LOG_COLOR"

struct rs_oc_setting {
	const char *val; /* NULL: not given (points into argv or the environment) */
	char src[64];    /* "--raft.storage.dir" or the variable's name */
};

struct rs_oc_flags {
	struct rs_oc_setting storage_dir, server_id, bootstrap, snapshot_threshold;
	struct rs_oc_setting log_level, log_format, log_pid, log_color;
	int help; /* -h/--help/-v/--version: op-conductor only prints and exits */
};

/* Go's strconv.ParseBool: 1 t T TRUE true True, 0 f F FALSE false False.
 * 0 with *out set, -1 for anything else. The one boolean reading (our own
 * flags and variables take booleans the same way). */
int rs_go_parse_bool(const char *s, int *out);

/* Reads argv (the arguments op-conductor gets, without its name), then the
 * OP_CONDUCTOR_* variables for what the command line did not give. */
void rs_oc_flags_read(int argc, char **argv, struct rs_oc_flags *r);

/* --raft.snapshot-threshold as op-conductor's urfave/cli Uint64Flag reads
 * it (base 0). 1 with *out set when given and readable; 0 otherwise (a
 * value it cannot parse stops op-conductor, so its default is right then). */
int rs_oc_snapshot_threshold(const struct rs_oc_flags *r, uint64_t *out);

#endif
