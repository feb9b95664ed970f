/* cmd/'s side of the member list (members.h): raftstate's verdict, printed. */
#include "present/members.h"

#include "present/nodeflags.h"
#include "present/report.h"

static int report(const struct oci_command *cmd, int rc, const struct rs_err *err)
{
	if (rc == RS_OK)
		return 0;
	if (rc == RS_EINVAL)
		return oci_usage(cmd, "%s", err->msg);
	return oci_fail(cmd, "%s%s", err->msg, np_err_fix(cmd, err, NULL).s);
}

int members_split(const struct oci_command *cmd, const struct rs_members_input *in,
                  struct rs_members *out, struct rs_members_names *names)
{
	struct rs_err err = {0};

	return report(cmd, rs_members_split(in, out, names, &err), &err);
}

int members_validate(const struct oci_command *cmd, struct rs_members *ms,
                     const struct rs_members_names *names, const char *leader,
                     const char *leader_what, const char *nonvoters, const char *nonvoters_what)
{
	struct rs_err err = {0};

	return report(
	    cmd,
	    rs_members_validate(ms, names, leader, leader_what, nonvoters, nonvoters_what, &err),
	    &err);
}
