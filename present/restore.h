/*
 * raft restore shown (present/restore.c); OUT is stdout, or stderr with
 * --json.
 */
#ifndef PRESENT_RESTORE_H
#define PRESENT_RESTORE_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "raftstate/restore.h"

/* What a restore into the plan's state directory would do (or that the
 * backup is sound, with no state directory), and that nothing changed;
 * FORCE: --force was given. */
void np_restore_dry_text(const struct rs_restore_plan *plan, int force, FILE *out);
/* What rs_restore_plan (or, deferred, the staging) found of the backup. */
void np_restore_checked(const struct rs_restore_plan *plan, FILE *out);
/* What a restore did: the nodes, where the replaced state went (KEPT), and
 * the stages of an interrupted run it kept. */
void np_restore_done(const struct rs_restore_plan *plan, const char *kept, FILE *out);
/* The document: where each node went (or would go), and where the
 * replaced state is kept. */
cJSON *np_restore_json(const struct rs_restore_plan *plan, const char *kept, int dry_run);

#endif
