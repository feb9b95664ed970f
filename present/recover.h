/*
 * raft recover shown (present/recover.c): its plan as text, what it did,
 * and its --json document.
 */
#ifndef PRESENT_RECOVER_H
#define PRESENT_RECOVER_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "present/command.h"
#include "present/flags.h"
#include "raftstate/recover.h"

/* The node, old members -> new (FROM_ENV: the variable the new ones came
 * from, or NULL), the entry to append, the term and the vote, warnings. */
void np_recover_change(FILE *out, const struct rs_recover_plan *p, const char *from_env);
/* "From the environment: NAME=VALUE, ..." for the flag values V of CMD that
 * an OP_CONDUCTOR_INIT_* variable gave; nothing when none did. */
void np_env_values(FILE *out, const struct oci_command *cmd, const struct flag_value *v);
/* The recovered node, where its previous state was KEPT, what to do next. */
void np_recover_done(FILE *out, const struct rs_recover_plan *p, const char *kept);
/* The document: members, changes, entry, terms, vote, the values V of CMD
 * that came from the environment, FROM ("" for flags) and KEPT ("" if none). */
cJSON *np_recover_json(const struct oci_command *cmd, const struct flag_value *v,
                       const struct rs_recover_plan *p, int dry_run, const char *from,
                       const char *kept);

#endif
