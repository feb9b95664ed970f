/*
 * --chown USER:GROUP for `raft generate`: the init container often runs as
 * root while op-conductor does not, so the written directories and files
 * can be handed to op-conductor's user. USER and GROUP are names or
 * numbers; "USER" alone also takes USER's primary group (names only);
 * ":GROUP" or "USER:" leave the other part unchanged. Giving the owner is
 * raftstate/nodedir.h's (rs_nd_chown_path), as for every other owner.
 */
#ifndef PRESENT_CHOWN_H
#define PRESENT_CHOWN_H

#include <stddef.h>
#include <sys/types.h>

/* Returns 0, or -1 with msg naming what is wrong. (uid_t)-1 / (gid_t)-1
 * mean "unchanged". */
int owner_parse(const char *spec, uid_t *uid, gid_t *gid, char *msg, size_t msgsize);

#endif
