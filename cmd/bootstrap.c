/*
 * bootstrap cluster: hand this process over to the real op-conductor.
 *
 * The Go tool links a patched op-conductor into itself; we exec the
 * operator's own binary instead, so they keep their exact version and flags:
 *
 *   1. `--help`, `-help` or `-h` as the FIRST argument: our help, exit 0.
 *      Anywhere else it belongs to op-conductor (it may follow flags that
 *      only op-conductor understands);
 *   2. find the binary: $OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN (a path, or a
 *      name looked up in PATH), else `op-conductor` in PATH (exit 1 if none);
 *   3. preflight, unless OP_CONDUCTOR_INIT_SKIP_PREFLIGHT=true: read
 *      op-conductor's own raft flags the way it will read them; if the node
 *      directory <raft.storage.dir>/<raft.server.id>/ already holds a state
 *      file, verify it read-only and refuse (exit 1) when it is invalid or
 *      locked; warn when --raft.bootstrap asks to bootstrap it again;
 *   4. execv(binary, [binary, every argument after `cluster`]) with the
 *      environment untouched: same pid, so signals and the exit status are
 *      op-conductor's and nothing of ours stays running.
 *
 * The preflight only reads argv; what op-conductor receives is exactly what
 * we were given.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bsd/string.h>

#include "cmd/command.h"
#include "present/bootstrap.h"
#include "present/nodeflags.h"
#include "present/report.h"
#include "raftstate/error.h"
#include "raftstate/ocflags.h"
#include "raftstate/preflight.h"

#ifdef OCI_COVERAGE
void __gcov_dump(void); /* libgcov, linked by --coverage */
/* tests/cli/failcall.c's, when it is preloaded: the calls libgcov makes to
 * write its counters are not the tool's, none is to be counted or failed */
void oci_failcall_hold(int on) __attribute__((weak));
#endif

#define BIN_ENV     "OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN"
#define SKIP_ENV    "OP_CONDUCTOR_INIT_SKIP_PREFLIGHT"
#define DEFAULT_BIN "op-conductor"
/* what "tried" lists when every PATH entry made a path too long to look at */
#define TRIED_NONE "nothing: every PATH entry makes a path longer than PATH_MAX"

/* ---- finding the binary ---------------------------------------------- */

/* Paths looked at, for the error message: "a, b (not executable), ...";
 * the first path that does not fit cuts the list with "..." (n is then
 * sizeof(s)). */
struct tried {
	char s[3000];
	size_t n;
};

static void tried_add(struct tried *t, const char *path, const char *why)
{
	int w;

	if (t->n >= sizeof(t->s)) /* already cut, "..." at its end */
		return;
	w = snprintf(t->s + t->n, sizeof(t->s) - t->n, "%s%s%s%s%s", t->n > 0 ? ", " : "",
	             oci_path(path).s, why != NULL ? " (" : "", why != NULL ? why : "",
	             why != NULL ? ")" : "");
	if (w < 0 || (size_t)w >= sizeof(t->s) - t->n) {
		memcpy(t->s + sizeof(t->s) - 4, "...", 4);
		t->n = sizeof(t->s);
		return;
	}
	t->n += (size_t)w;
}

/* NULL when path can be executed, else why not ("does not exist", ...). */
static const char *not_runnable(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? "does not exist" : strerror(errno);
	if (S_ISDIR(st.st_mode))
		return "is a directory";
	if (!S_ISREG(st.st_mode))
		return "is not a regular file";
	if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) != 0)
		return "is not executable";
	return NULL;
}

/* Looks name up in PATH the way execvp does (an empty entry is the current
 * directory; no PATH at all means the system default). */
static int search_path(const char *name, char *out, size_t size, struct tried *t)
{
	char defpath[256];
	const char *path = getenv("PATH"), *p, *end;

	if (path == NULL) {
		size_t n = confstr(_CS_PATH, defpath, sizeof(defpath));

		path = n > 0 && n <= sizeof(defpath) ? defpath : "/bin:/usr/bin";
	}
	for (p = path;; p = end + 1) {
		const char *why;
		size_t len;
		int w;

		end = strchrnul(p, ':');
		len = (size_t)(end - p);
		w = len == 0 ? snprintf(out, size, "./%s", name)
		             : snprintf(out, size, "%.*s/%s", (int)len, p, name);
		if (w > 0 && (size_t)w < size) {
			why = not_runnable(out);
			if (why == NULL)
				return 0;
			if (strcmp(why, "does not exist") == 0)
				why = NULL;
			else if (strncmp(why, "is ", 3) == 0)
				why += 3; /* "(not executable)" */
			tried_add(t, out, why);
		}
		if (*end == '\0')
			return -1;
	}
}

/* Fills out with the binary to exec, or prints why there is none. */
static int find_binary(const struct oci_command *cmd, char *out, size_t size)
{
	const char *var = getenv(BIN_ENV), *why;
	struct tried t = {.n = 0};

	if (var != NULL && *var != '\0') {
		if (strchr(var, '/') == NULL) {
			if (search_path(var, out, size, &t) == 0)
				return 0;
			return oci_fail(cmd,
			                "cannot find op-conductor: %s=%s is not an executable in "
			                "PATH (tried %s); set %s to the full path of op-conductor",
			                BIN_ENV, oci_q(var).s, t.n > 0 ? t.s : TRIED_NONE, BIN_ENV);
		}
		why = not_runnable(var);
		if (why != NULL)
			return oci_fail(
			    cmd,
			    "cannot run op-conductor: %s (from %s) %s; set %s to the "
			    "op-conductor binary, or unset it to use op-conductor from PATH",
			    oci_path(var).s, BIN_ENV, why, BIN_ENV);
		if (strlcpy(out, var, size) >= size)
			return oci_fail(cmd, "%s is too long", BIN_ENV);
		return 0;
	}
	if (search_path(DEFAULT_BIN, out, size, &t) == 0)
		return 0;
	return oci_fail(cmd,
	                "cannot find op-conductor: %s is not set and there is no executable "
	                "op-conductor in PATH (tried %s); install op-conductor in PATH or set "
	                "%s=/path/to/op-conductor",
	                BIN_ENV, t.n > 0 ? t.s : TRIED_NONE, BIN_ENV);
}

/* ---- printing the preflight ------------------------------------------ */

/* Our lines before the exec are shaped as op-conductor will shape its own
 * (the same op-service flags, read from its command line and variables),
 * so the node's stderr is in one format. A value op-conductor refuses
 * leaves the default here; op-conductor then stops with its own error. */
static void log_like_op_conductor(const struct rs_oc_flags *r)
{
	int pid = 0, color = 0;

	if (r->log_pid.val != NULL && rs_go_parse_bool(r->log_pid.val, &pid) != 0)
		pid = 0;
	if (r->log_color.val != NULL && rs_go_parse_bool(r->log_color.val, &color) != 0)
		color = 0;
	oci_log_setup(r->log_format.val, r->log_level.val, pid, color);
}

/* Returns 1 if the variable asks to skip, 0 if not, -1 (message printed)
 * if its value is not a boolean. */
static int skip_preflight(const struct oci_command *cmd)
{
	const char *v = getenv(SKIP_ENV);
	int b;

	if (v == NULL || *v == '\0')
		return 0;
	if (rs_go_parse_bool(v, &b) != 0) {
		oci_usage(cmd, "%s must be true or false, got %s", SKIP_ENV, oci_q(v).s);
		return -1;
	}
	return b;
}

/* Prints why the plan could not be made. Returns the exit code. */
static int print_plan_error(const struct oci_command *cmd, const struct rs_preflight_plan *p,
                            const struct rs_err *err)
{
	if (p->state == RS_PF_NOT_CHECKED)
		return oci_fail(cmd, "refusing to start op-conductor: %s%s", err->msg,
		                np_err_fix(cmd, err, p->node_dir).s);
	if (!p->verified)
		return oci_fail(cmd, "refusing to start op-conductor: cannot check %s: %s",
		                oci_path(p->node_dir).s, rs_errno_text(err->sys_errno).s);
	return oci_fail(cmd,
	                "refusing to start op-conductor: cannot verify the Raft state in %s: %s%s",
	                oci_path(p->node_dir).s, err->msg, np_err_fix(cmd, err, p->node_dir).s);
}

/* Prints the plan's verdict (a refusal, warnings, notes). Returns 0 to go
 * on with the exec, or the exit code. */
static int print_plan(const struct oci_command *cmd, const struct rs_preflight_plan *p)
{
	const struct rs_problems *probs = &p->problems;

	if (p->state == RS_PF_INVALID) {
		oci_fail(cmd,
		         "refusing to start op-conductor: the Raft state in %s is invalid "
		         "(%zu error%s, %zu warning%s):",
		         oci_path(p->node_dir).s, probs->errors, probs->errors == 1 ? "" : "s",
		         probs->warnings, probs->warnings == 1 ? "" : "s");
		np_preflight_problems(probs, OCI_LVL_ERROR);
		return OCI_EXIT_FAIL;
	}
	if (p->state == RS_PF_WARNINGS) {
		oci_warn(cmd, "the Raft state in %s is usable but:", oci_path(p->node_dir).s);
		np_preflight_problems(probs, OCI_LVL_WARN);
	}
	if (p->note == RS_PF_BOOTSTRAP_FIRST_START)
		oci_note(cmd,
		         "%s is true and %s holds no Raft state: op-conductor bootstraps a "
		         "one-member cluster and (v1.13.7 and later, optimism PR 14927) "
		         "starts the conductor paused; add the other members, then resume it "
		         "with conductor_resume",
		         p->bootstrap_src, oci_path(p->node_dir).s);
	if (p->note == RS_PF_BOOTSTRAP_ON_STATE)
		oci_warn(cmd,
		         "%s is true but %s already holds Raft state: raft does not bootstrap it "
		         "again; op-conductor v1.13.7 and later (optimism PR 14927) log 'Raft "
		         "cluster already exists, skipping bootstrap' and start as usual, not "
		         "paused (NewRaftConsensus returns raft's ErrCantBootstrap, which "
		         "initConsensus ignores; it pauses only after a bootstrap that happened), "
		         "and releases up to v1.12.2 fail to start ('failed to bootstrap raft "
		         "cluster'); set it to false once the cluster has formed",
		         p->bootstrap_src, oci_path(p->node_dir).s);
	return 0;
}

/* The preflight (raftstate/preflight.h), printed. Returns 0 to go on with
 * the exec, or the exit code. */
static int preflight(const struct oci_command *cmd, const struct rs_oc_flags *r,
                     struct rs_preflight_plan *p)
{
	struct rs_err err = {0};
	int skip;

	memset(p, 0, sizeof(*p));
	p->state = RS_PF_SKIPPED;
	skip = skip_preflight(cmd);
	if (skip != 0)
		return skip < 0 ? OCI_EXIT_USAGE : 0;
	if (rs_preflight_plan(r, RS_PREFLIGHT_LOCK_SEC, p, &err) != RS_OK)
		return print_plan_error(cmd, p, &err);
	return print_plan(cmd, p);
}

/*
 * The preflight must leave nothing open behind it: a descriptor that
 * crossed the exec still holding a shared flock on raft-log.db would make
 * op-conductor's bbolt (no open timeout) wait for its exclusive lock
 * forever. So whatever the preflight opened and did not close is closed
 * here; descriptors we inherited are op-conductor's and stay.
 */
#define FD_TRACKED 4096

struct fd_snapshot {
	unsigned char open[FD_TRACKED / 8];
};

static void fd_snapshot_take(struct fd_snapshot *s)
{
	int fd;

	memset(s, 0, sizeof(*s));
	for (fd = 0; fd < FD_TRACKED; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			s->open[fd / 8] |= (unsigned char)(1u << (fd % 8));
}

static void fd_close_new(const struct fd_snapshot *before)
{
	int fd;

	for (fd = 0; fd < FD_TRACKED; fd++)
		if (!(before->open[fd / 8] & (1u << (fd % 8))) && fcntl(fd, F_GETFD) != -1)
			(void)close(fd);
}

/* ---- the command ------------------------------------------------------ */

static const struct oci_env bootstrap_env[] = {
    {BIN_ENV,
     "The op-conductor binary: a path, or a name looked up in PATH (default op-conductor)"},
    {SKIP_ENV, "true (or 1, t, ...) skips the preflight check of the node's state"},
    {RS_OC_STORAGE_DIR_ENV, "op-conductor's --raft.storage.dir, when not on the command line"},
    {RS_OC_SERVER_ID_ENV, "op-conductor's --raft.server.id, when not on the command line"},
    {RS_OC_BOOTSTRAP_ENV, "op-conductor's --raft.bootstrap, when not on the command line"},
    {RS_OC_SNAPSHOT_THRESHOLD_ENV,
     "op-conductor's --raft.snapshot-threshold, when not on the command line: the preflight "
     "warns when a node with no unsafe head has that many entries after its last snapshot"},
    {RS_OC_LOG_FORMAT_ENV,
     "op-conductor's --log.format, when not on the command line: shapes the preflight's lines "
     "too"},
    {RS_OC_LOG_LEVEL_ENV,
     "op-conductor's --log.level, when not on the command line: filters the preflight's lines "
     "too"},
    {RS_OC_LOG_PID_ENV, "op-conductor's --log.pid, when not on the command line"},
    {RS_OC_LOG_COLOR_ENV, "op-conductor's --log.color, when not on the command line"},
};

static int run_bootstrap_cluster(const struct oci_command *cmd, int argc, char **argv)
{
	struct fd_snapshot fds;
	struct rs_preflight_plan plan = {.state = RS_PF_NOT_CHECKED};
	struct rs_oc_flags r;
	char bin[PATH_MAX];
	char **nargv;
	int rc, json = 0;

	if (argc > 0 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-help") == 0 ||
	                 strcmp(argv[0], "-h") == 0))
		return oci_command_help(cmd, stdout);
	if (argc > 0 && strcmp(argv[0], "--json") == 0) { /* ours only as the first */
		json = 1;
		argc--;
		argv++;
	}
	rs_oc_flags_read(argc, argv, &r);
	log_like_op_conductor(&r);
	rc = find_binary(cmd, bin, sizeof(bin));
	if (rc != 0)
		return rc;

	fd_snapshot_take(&fds);
	rc = preflight(cmd, &r, &plan);
	fd_close_new(&fds);
	if (json)
		np_preflight_json(&plan, rc);
	rs_preflight_plan_free(&plan);
	if (rc != 0)
		return rc;

	nargv = reallocarray(NULL, (size_t)argc + 2, sizeof(*nargv));
	if (nargv == NULL)
		return oci_fail(cmd, "out of memory");
	nargv[0] = bin;
	memcpy(nargv + 1, argv, (size_t)argc * sizeof(*nargv));
	nargv[argc + 1] = NULL;
	(void)fflush(stdout);
	(void)fflush(stderr);
#ifdef OCI_COVERAGE
	/* exec drops gcov's counters with the process image: written first,
	 * or every run that becomes op-conductor is missing from `just
	 * coverage` (scripts/coverage.sh defines OCI_COVERAGE) */
	if (oci_failcall_hold != NULL)
		oci_failcall_hold(1);
	__gcov_dump();
	if (oci_failcall_hold != NULL)
		oci_failcall_hold(0);
#endif
	execv(bin, nargv);
	rc = errno;
	free(nargv);
	return oci_fail(
	    cmd, "cannot run %s: %s; check that it is an op-conductor binary for this system",
	    oci_path(bin).s, rs_errno_text(rc).s);
}

const struct oci_command oci_cmd_bootstrap_cluster = {
    .group = "bootstrap",
    .name = "cluster",
    .summary = "Check this node's Raft state, then become op-conductor (exec)",
    .synopsis = "[--json] [op-conductor flags ...]",
    .description = "Replaces this process with op-conductor (execv: same pid, so signals and the\n"
                   "exit status are op-conductor's), passing every argument after 'cluster'\n"
                   "unchanged and the environment as is. This is the classic way to form a\n"
                   "cluster: one node starts with --raft.bootstrap, the others join it.\n"
                   "\n"
                   "The binary: $" BIN_ENV " if set (a path, or a\n"
                   "name looked up in PATH), else op-conductor from PATH.\n"
                   "\n"
                   "Preflight, before the exec (the arguments are never changed): op-conductor's\n"
                   "own --raft.storage.dir, --raft.server.id and --raft.bootstrap, or\n"
                   "OP_CONDUCTOR_RAFT_STORAGE_DIR, OP_CONDUCTOR_RAFT_SERVER_ID and\n"
                   "OP_CONDUCTOR_RAFT_BOOTSTRAP (the command line wins), name the node directory\n"
                   "<storage-dir>/<server-id>/. If raft-log.db or raft-stable.db exists there, it\n"
                   "is verified read-only, waiting up to 5 s for each file's lock; invalid state\n"
                   "or a file locked by a running process stops the start with exit status 1 and\n"
                   "the problems on stderr. --raft.bootstrap=true only warns: on a node with\n"
                   "state raft does not bootstrap again, and op-conductor v1.13.7 and later\n"
                   "(optimism PR 14927) ignore it and start unpaused, v1.12.2 and older fail\n"
                   "to start; on a new node it notes the paused first start (resume:\n"
                   "conductor_resume). With no unsafe head and at least\n"
                   "--raft.snapshot-threshold (or OP_CONDUCTOR_RAFT_SNAPSHOT_THRESHOLD; default\n"
                   "8192) entries after the last snapshot it warns that op-conductor <= v1.19.6\n"
                   "will panic at its first snapshot (optimism issue 13363).\n"
                   "Set " SKIP_ENV "=true to skip the preflight.\n"
                   "\n"
                   "The preflight's lines on stderr take op-conductor's own log flags\n"
                   "(--log.format, --log.level, --log.pid, --log.color, or their\n"
                   "OP_CONDUCTOR_LOG_* variables), so the node's stderr has one format.\n"
                   "\n"
                   "--json as the first argument prints the preflight's verdict as one JSON\n"
                   "document on stderr (stdout is op-conductor's) before the exec or refusal.\n"
                   "Only --help or -h as the first argument shows this help; anywhere else it\n"
                   "is op-conductor's. For op-conductor's own flags run: op-conductor --help",
    .flags = NULL,
    .nflags = 0,
    .max_args = -1,
    .env = bootstrap_env,
    .nenv = sizeof(bootstrap_env) / sizeof(bootstrap_env[0]),
    .run = NULL,
    .run_raw = run_bootstrap_cluster,
};
