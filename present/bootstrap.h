/*
 * bootstrap cluster shown (present/bootstrap.c).
 */
#ifndef PRESENT_BOOTSTRAP_H
#define PRESENT_BOOTSTRAP_H

#include "raftstate/preflight.h"
#include "raftstate/verify.h"

/* Each problem as a detail line ("  error: FILE: WHERE: REASON"), then how
 * many were not listed, at LEVEL. */
void np_preflight_problems(const struct rs_problems *probs, int level);
/* The verdict (RC 0: start, else refused) as one document on stderr. */
void np_preflight_json(const struct rs_preflight_plan *p, int rc);

#endif
