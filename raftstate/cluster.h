/*
 * The cluster model: its members as the operator gives them (--nodes,
 * --server-ids, --nonvoters or a cluster.json; parsed by present/members.c and
 * cmd/clusterfile.c), the one rule for server IDs, the conversion to the
 * raft.Configuration generate and recover write. (What --if-absent finds
 * when a node directory already holds state: raftstate/ifabsent.h.)
 */
#ifndef RAFTSTATE_CLUSTER_H
#define RAFTSTATE_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "raftstate/config.h"
#include "raftstate/error.h"

#define RS_MEMBERS_MAX   4096
#define RS_SERVER_ID_MAX 255 /* NAME_MAX: the ID is a directory name */

struct rs_member {
	char *id;      /* NUL-terminated */
	char *address; /* NUL-terminated */
	int nonvoter;  /* Suffrage Nonvoter instead of Voter */
};

struct rs_members {
	struct rs_member *m;
	size_t n;
	size_t leader; /* index into m */
};

void rs_members_free(struct rs_members *ms);

/*
 * The server-ID rule (a server ID becomes a directory name): not empty,
 * not "." or "..", no '/', no control character (< 0x20, 0x7f), at most
 * RS_SERVER_ID_MAX bytes. Returns RS_ID_OK or the first fault.
 */
enum rs_id_fault {
	RS_ID_OK = 0,
	RS_ID_EMPTY,
	RS_ID_DOT,     /* "." or ".." */
	RS_ID_SLASH,   /* contains '/' */
	RS_ID_CONTROL, /* contains a control character */
	RS_ID_LONG,    /* longer than RS_SERVER_ID_MAX */
};
int rs_server_id_check(const char *id);

/* The configuration of ms, in its order (Voter, or Nonvoter). The strings
 * are borrowed from ms: free only out->servers (rs_members_config_free). */
int rs_members_config(const struct rs_members *ms, struct rs_config *out, struct rs_err *err);
void rs_members_config_free(struct rs_config *c);

#endif
