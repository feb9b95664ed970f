/*
 * The member list of `raft generate` and `raft recover`, for cmd/: the
 * parsing and validation are raftstate's (raftstate/cluster.h,
 * raftstate/members.c); these print its one sentence as a usage error (or
 * a failure when out of memory) and return the exit code.
 */
#ifndef PRESENT_MEMBERS_H
#define PRESENT_MEMBERS_H

#include "raftstate/cluster.h"
#include "raftstate/members.h"

struct oci_command;

int members_split(const struct oci_command *cmd, const struct rs_members_input *in,
                  struct rs_members *out, struct rs_members_names *names);
int members_validate(const struct oci_command *cmd, struct rs_members *ms,
                     const struct rs_members_names *names, const char *leader,
                     const char *leader_what, const char *nonvoters, const char *nonvoters_what);

#endif
