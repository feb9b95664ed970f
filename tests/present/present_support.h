/*
 * What every tests/present/ program shares besides Check: the log settings
 * (cmd/main.c defines them in the tool; present/ only declares them) and
 * run functions for demo commands that the tests never run. Each test is
 * one program, so the definition is made once in each.
 */
#ifndef TESTS_PRESENT_SUPPORT_H
#define TESTS_PRESENT_SUPPORT_H

#include "present/command.h"
#include "present/report.h"

struct oci_log_conf oci_log_conf = {.format = OCI_LOG_TEXT, .level = OCI_LVL_INFO};

static inline int never(const struct oci_command *cmd, const struct flag_set *fs)
{
	(void)cmd;
	(void)fs;
	return OCI_EXIT_FAIL;
}

static inline int never_raw(const struct oci_command *cmd, int argc, char **argv)
{
	(void)cmd;
	(void)argc;
	(void)argv;
	return OCI_EXIT_FAIL;
}

#endif
