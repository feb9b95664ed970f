/*
 * The hidden `op-conductor-init --render WHAT`: documentation rendered from
 * the command table (cmd/command.h) and the flag tables (present/flags.h, each
 * command's own), so that the man page, README's command table and
 * synopsis, and the shell completion can never say something else than
 * --help does. `just docs` (scripts/render-docs.sh) writes the checked-in
 * copies; tests/cli/test_docs_render.sh fails when they differ.
 *
 *   man               the man page op-conductor-init.1 (roff, man macros)
 *   synopsis          README's command table and synopsis (Markdown)
 *   bash-completion   a bash completion script (complete -F)
 *   zsh-completion    a zsh completion function (#compdef, _arguments)
 *   fish-completion   fish `complete` commands
 *   environment       docs/operations.md's table of the variables (Markdown)
 *
 * Only the sections that are about the tool as a whole (DESCRIPTION, FLAG
 * SYNTAX, EXIT STATUS, FILES, EXAMPLES, SECURITY, SEE ALSO) are written
 * here; everything about a command comes from its table entry.
 */
#include <stdio.h>
#include <string.h>

#include "present/command.h"
#include "present/flags.h"
#include "present/report.h"

/* ---- shared ----------------------------------------------------------- */

static int is_dir_metavar(const char *m)
{
	return m != NULL && strstr(m, "DIR") != NULL;
}

static int is_file_metavar(const char *m)
{
	return m != NULL && strstr(m, "FILE") != NULL;
}

/* Calls emit(line, len) for each line of a command's synopsis, as a whole
 * command line: the first prefixed with "op-conductor-init GROUP NAME ", a
 * continuation line that starts with the group (an alternative form) with
 * "op-conductor-init ", any other continuation line with `indent`. */
static void synopsis_lines(const struct oci_command *cmd, const char *indent,
                           void (*emit)(const char *line, size_t len, void *ctx), void *ctx)
{
	char buf[512];
	const char *p = cmd->synopsis, *nl;
	int first = 1;

	while (p != NULL) {
		size_t len, glen = strlen(cmd->group);
		int n;

		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (first) {
			n = snprintf(buf, sizeof(buf), "%s %s %s %.*s", OCI_PROG, cmd->group,
			             cmd->name, (int)len, p);
		} else {
			while (len > 0 && *p == ' ')
				p++, len--;
			if (len > glen && strncmp(p, cmd->group, glen) == 0 && p[glen] == ' ')
				n = snprintf(buf, sizeof(buf), "%s %.*s", OCI_PROG, (int)len, p);
			else
				n = snprintf(buf, sizeof(buf), "%s%.*s", indent, (int)len, p);
		}
		if (n > 0)
			emit(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, ctx);
		first = 0;
		p = nl != NULL ? nl + 1 : NULL;
	}
}

/* ---- man -------------------------------------------------------------- */

/* Text for roff: backslashes and dashes escaped, a control character at the
 * start of a line defused. */
static void roff(const char *s, size_t len, FILE *out)
{
	size_t i;
	int bol = 1;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (bol && (c == '.' || c == '\''))
			fputs("\\&", out);
		if (c == '\\')
			fputs("\\e", out);
		else if (c == '-')
			fputs("\\-", out);
		else
			fputc(c, out);
		bol = c == '\n';
	}
}

static void roffs(const char *s, FILE *out)
{
	roff(s, strlen(s), out);
}

/* One line of filled text: a flag's help, whose line breaks (and the
 * indentation after them) are there for --help's columns. */
static void roff_joined(const char *s, FILE *out)
{
	while (*s != '\0') {
		const char *nl = strchr(s, '\n');
		size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);

		roff(s, len, out);
		if (nl == NULL)
			break;
		fputc(' ', out);
		for (s = nl + 1; *s == ' '; s++)
			;
	}
}

static void man_synopsis_line(const char *line, size_t len, void *ctx)
{
	FILE *out = ctx;

	roff(line, len, out);
	fputc('\n', out);
}

/* A --help paragraph text (lines of ~80 columns, blank lines between
 * paragraphs) as roff paragraphs; a paragraph with an indented line is
 * kept as it is (.nf). */
static void man_paragraphs(const char *text, FILE *out)
{
	const char *p = text;

	while (*p != '\0') {
		const char *end = strstr(p, "\n\n"), *q;
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		int indented = 0;

		for (q = p; q < p + len; q++)
			if ((q == p || q[-1] == '\n') && *q == ' ')
				indented = 1;
		fputs(".PP\n", out);
		if (indented)
			fputs(".nf\n", out);
		roff(p, len, out);
		fputc('\n', out);
		if (indented)
			fputs(".fi\n", out);
		p += len;
		while (*p == '\n')
			p++;
	}
}

static void man_flag(const struct flag_spec *s, FILE *out)
{
	char env[128];

	fputs(".TP\n\\fB", out);
	roffs("--", out);
	roffs(s->name, out);
	fputs("\\fR", out);
	if (s->kind != FLAG_BOOL) {
		fputs(" \\fI", out);
		roffs(s->metavar != NULL ? s->metavar : "VALUE", out);
		fputs("\\fR", out);
	}
	fputc('\n', out);
	roff_joined(s->help, out);
	fputs(".", out);
	if (s->required)
		fputs(" Required.", out);
	else if (s->def != NULL && s->kind != FLAG_BOOL) {
		fputs(" Default: ", out);
		roffs(s->def, out);
		fputs(".", out);
	}
	if (s->accepts != NULL) {
		fputs(" Must be ", out);
		roffs(s->accepts, out);
		fputs(".", out);
	}
	fputs("\nEnvironment: \\fB", out);
	roffs(flags_env_name(s, env, sizeof(env)), out);
	fputs("\\fR.\n", out);
}

static void man_command(const struct oci_command *cmd, FILE *out)
{
	size_t i;

	fputs(".SS \"", out);
	roffs(cmd->group, out);
	fputc(' ', out);
	roffs(cmd->name, out);
	fputs("\"\n.nf\n", out);
	synopsis_lines(cmd, "    ", man_synopsis_line, out);
	fputs(".fi\n.PP\n", out);
	roffs(cmd->summary, out);
	fputs(".\n", out);
	if (cmd->description != NULL)
		man_paragraphs(cmd->description, out);
	if (cmd->run_raw == NULL) {
		fputs(".PP\nFlags (and the common flags, see \\fBCOMMON FLAGS\\fR):\n.RS\n", out);
		for (i = 0; i < cmd->nflags; i++)
			man_flag(&cmd->flags[i], out);
		fputs(".RE\n", out);
	}
	if (cmd->nenv > 0) {
		fputs(".PP\nEnvironment:\n.RS\n", out);
		for (i = 0; i < cmd->nenv; i++) {
			fputs(".TP\n\\fB", out);
			roffs(cmd->env[i].name, out);
			fputs("\\fR\n", out);
			roffs(cmd->env[i].help, out);
			fputs(".\n", out);
		}
		fputs(".RE\n", out);
	}
}

/* Every variable any command reads, once, in table order: var() with its
 * name (and, for a variable that is not a flag's, its help), then use() for
 * each flag it sets (flag NULL: not a flag; cmd NULL: every command). */
struct env_visitor {
	void (*var)(const char *env, const char *help, void *ctx);
	void (*use)(const struct flag_spec *flag, const struct oci_command *cmd, int nth,
	            void *ctx);
	void (*end)(void *ctx);
	void *ctx;
};

static int env_seen_before(const struct oci_table *t, size_t i, size_t j, const char *env)
{
	char other[128];
	size_t k, m;

	for (k = 0; k <= i; k++)
		for (m = 0; m < (k < i ? t->cmd[k]->nflags : j); m++)
			if (strcmp(flags_env_name(&t->cmd[k]->flags[m], other, sizeof(other)),
			           env) == 0)
				return 1;
	return 0;
}

static void each_variable(const struct oci_table *t, const struct env_visitor *v)
{
	const struct flag_spec *log = flags_log_specs();
	char env[128], other[128];
	size_t i, j, k, f;

	for (i = 0; i < t->n; i++) {
		const struct oci_command *c = t->cmd[i];

		for (j = 0; j < c->nflags; j++) {
			int nth = 0;

			flags_env_name(&c->flags[j], env, sizeof(env));
			if (env_seen_before(t, i, j, env))
				continue;
			v->var(env, NULL, v->ctx);
			for (k = i; k < t->n; k++)
				for (f = 0; f < t->cmd[k]->nflags; f++)
					if (strcmp(flags_env_name(&t->cmd[k]->flags[f], other,
					                          sizeof(other)),
					           env) == 0)
						v->use(&t->cmd[k]->flags[f], t->cmd[k], nth++,
						       v->ctx);
			v->end(v->ctx);
		}
		for (j = 0; j < c->nenv; j++) {
			v->var(c->env[j].name, c->env[j].help, v->ctx);
			v->use(NULL, c, 0, v->ctx);
			v->end(v->ctx);
		}
	}
	for (i = 0; i < FLAG_LOG_COUNT; i++) {
		v->var(flags_env_name(&log[i], env, sizeof(env)), NULL, v->ctx);
		v->use(&log[i], NULL, 0, v->ctx);
		v->end(v->ctx);
	}
}

static void man_env_var(const char *env, const char *help, void *ctx)
{
	FILE *out = ctx;

	fputs(".TP\n\\fB", out);
	roffs(env, out);
	fputs("\\fR\n", out);
	if (help != NULL) {
		roffs(help, out);
		fputc(' ', out);
	}
}

static void man_env_use(const struct flag_spec *flag, const struct oci_command *cmd, int nth,
                        void *ctx)
{
	FILE *out = ctx;

	if (flag == NULL) { /* a command's own variable */
		fputc('(', out);
		roffs(cmd->group, out);
		fputc(' ', out);
		roffs(cmd->name, out);
		fputs(").", out);
		return;
	}
	fputs(nth > 0 ? ", \\fB" : "\\fB", out);
	roffs("--", out);
	roffs(flag->name, out);
	fputs("\\fR of ", out);
	if (cmd == NULL) {
		fputs("every command", out);
		return;
	}
	roffs(cmd->group, out);
	fputc(' ', out);
	roffs(cmd->name, out);
}

static void man_env_end(void *ctx)
{
	fputc('\n', (FILE *)ctx);
}

/* ENVIRONMENT: every variable of every command, once, with its flag and
 * the commands that read it. */
static void man_environment(const struct oci_table *t, FILE *out)
{
	const struct env_visitor v = {man_env_var, man_env_use, man_env_end, out};

	fputs(".SH ENVIRONMENT\n"
	      "Every flag can also come from a variable (listed with each flag above);\n"
	      "a flag on the command line wins, and an empty variable counts as unset.\n",
	      out);
	each_variable(t, &v);
}

static const char man_description[] =
    "Pre-generates, inspects, backs up, restores and recovers the HashiCorp-Raft\n"
    "state of op-conductor clusters (the high-availability layer of Optimism\n"
    "sequencers), so that every sequencer can start as an equal, with no\n"
    "bootstrap node. A drop-in replacement for the Go tool of the same name:\n"
    "the same commands, flags, environment variables and directory layout, and\n"
    "byte-identical output files. It reads real op-conductor state (raft-boltdb\n"
    "values are msgpack), never hangs on a file op-conductor holds locked,\n"
    "never modifies what it inspects, and checks every page of multi-GB logs.\n"
    "\n"
    "A node's state is the directory <raft.storage.dir>/<raft.server.id>/ as\n"
    "op-conductor reads it; a directory of such node directories is a cluster\n"
    "root.";

static const char man_flag_syntax[] =
    "Every flag works as -flag v, --flag v, -flag=v and --flag=v. Booleans take\n"
    "Go's forms (--force, --force=true|false|1|0|t|f), never \"--force false\".\n"
    "-- ends the flags, and so does the first argument that is not a flag; a\n"
    "flag given twice: the last one wins. -h or --help after a command shows its\n"
    "help; \"op-conductor-init help raft generate\" does too.";

static const char man_exit[] =
    ".TP\n.B 0\n"
    "Success (verify: the state is valid; recover: done, or a dry run).\n"
    ".TP\n.B 1\n"
    "The operation failed or was refused, or the state is invalid; one\n"
    "sentence on stderr names the file, entry or member at fault.\n"
    ".TP\n.B 2\n"
    "Usage error: unknown flag, missing required flag, bad value.\n"
    ".PP\n"
    "Errors go to stderr as one sentence, prefixed\n"
    "\"op-conductor-init: <command>:\". Bad input writes nothing.\n";

static const char man_files[] =
    ".TP\n.I <raft.storage.dir>/<server-id>/raft-log.db\n"
    "The node's Raft log (bbolt; buckets logs and conf).\n"
    ".TP\n.I <raft.storage.dir>/<server-id>/raft-stable.db\n"
    "CurrentTerm, LastVoteTerm and LastVoteCand (bbolt).\n"
    ".TP\n.I <raft.storage.dir>/<server-id>/snapshots/<id>/\n"
    "meta.json and state.bin of each snapshot.\n"
    ".TP\n.I OUTPUT_DIR/cluster.json\n"
    "What raft generate wrote (members, term, sha256 of every file); a valid --config.\n"
    ".TP\n.I BACKUP_DIR/raft-backup-YYYYMMDD-HHMMSS/\n"
    "A backup: the state files (or .gz with --compress), MANIFEST.json, backup-metadata.txt.\n"
    ".TP\n.I STATE_DIR/.pre-restore-YYYYMMDD-HHMMSS/, .<id>.pre-recover-YYYYMMDD-HHMMSS/\n"
    "The state that restore or recover replaced.\n"
    ".TP\n.I .<DIR>.pre-generate-YYYYMMDD-HHMMSS/<id>/\n"
    "The state that generate --force replaced, beside its --output-dir DIR.\n"
    ".TP\n.I .<id>.<verb>-tmp-XXXXXXXX/, .<id>.pre-<verb>-interrupted-YYYYMMDD-HHMMSS/\n"
    "A stage being filled; what a killed run's stage held, kept by the next run.\n";

static const char man_examples[] =
    "Generate a three-node cluster, then check one node:\n"
    ".PP\n.nf\n.RS\n"
    "op-conductor-init raft generate --nodes a=10.0.0.1:50050,b=10.0.0.2:50050,c=10.0.0.3:50050 "
    "\\e\n"
    "    --initial-leader a --output-dir ./raft-state\n"
    "op-conductor-init raft verify --state-dir ./raft-state/a\n"
    ".RE\n.fi\n.PP\n"
    "One pod's init container (rerun-safe, owned by op-conductor's user):\n"
    ".PP\n.nf\n.RS\n"
    "op-conductor-init raft generate --config /etc/cluster/cluster.json \\e\n"
    "    --node-id \"$POD_NAME\" --if-absent --chown 10001:10001 --output-dir /data/raft\n"
    ".RE\n.fi\n.PP\n"
    "Back up a running node, then restore the backup into a stopped one:\n"
    ".PP\n.nf\n.RS\n"
    "op-conductor-init raft backup --live --state-dir /data/raft/seq-1 --backup-dir /backup\n"
    "op-conductor-init raft restore --backup-dir /backup/raft-backup-20260101-120000 \\e\n"
    "    --state-dir /data/raft/seq-1 --force\n"
    ".RE\n.fi\n.PP\n"
    "Outage recovery: compare what is left of the cluster (raft compare names the\n"
    "most up-to-date node), then give that node a one-member configuration, first\n"
    "as a dry run:\n"
    ".PP\n.nf\n.RS\n"
    "op-conductor-init raft compare --state-dir /data/raft\n"
    "op-conductor-init raft recover --state-dir /data/raft/seq-1 \\e\n"
    "    --nodes seq-1=seq-1.internal:50050 --dry-run\n"
    ".RE\n.fi\n";

static const char man_security[] =
    "Nothing in the files read is trusted: every page id, overflow span, element\n"
    "offset, length, count and meta field is checked against the file before it\n"
    "is used, every loop is bounded by what the file can hold, and memory by what\n"
    "it really holds. Corrupt or hostile files give one sentence naming the file\n"
    "and the problem; they never crash, hang or get modified. verify and info map\n"
    "the files read-only, open them O_RDONLY and take a shared lock with a\n"
    "timeout. Files are written to new temporary names (O_CREAT|O_EXCL|O_NOFOLLOW,\n"
    "mode 0600), synced and renamed; symbolic links are refused, never followed\n"
    "(also by --chown). Server IDs become directory names only after \".\", \"..\",\n"
    "\"/\", control bytes and duplicates have been refused. restore refuses\n"
    "symlinks, devices, absolute or \"..\" paths and bad checksums in a backup\n"
    "before touching anything.";

static const char man_version[] =
    "--version prints the version, the git commit it was built from (with\n"
    "\"-dirty\" when the tree held uncommitted changes; \"unknown\" outside a git\n"
    "tree), the build date (SOURCE_DATE_EPOCH when the build had it, else the\n"
    "commit's date, so that a rebuild gives the same bytes), the versions of\n"
    "libbsd, cJSON, zlib and libdeflate it was compiled against and of cJSON\n"
    "and zlib it runs with, and the license. --version --json prints the same as one JSON\n"
    "document (docs/json.md).";

static const char man_copyright[] =
    "Copyright (c) 2026 the op-conductor-init authors. MIT License: see the\n"
    "LICENSE file, or /usr/share/doc/op-conductor-init/copyright where the\n"
    "package is installed.";

static int render_man(const struct oci_table *t, FILE *out)
{
	const struct flag_spec *log = flags_log_specs();
	size_t i;

	fputs(".\\\" Generated by `op-conductor-init --render man` from the command and flag\n"
	      ".\\\" tables in cmd/ (`just docs`); do not edit.\n",
	      out);
	fputs(".TH OP\\-CONDUCTOR\\-INIT 1 \"\" \"", out);
	roffs(OCI_PROG " " OCI_VERSION, out);
	fputs("\" \"User Commands\"\n.nh\n.ad l\n.SH NAME\n", out);
	roffs(OCI_PROG, out);
	fputs(" \\- ", out);
	roffs(OCI_TAGLINE, out);
	fputs("\n.SH SYNOPSIS\n.nf\n", out);
	for (i = 0; i < t->n; i++)
		synopsis_lines(t->cmd[i], "    ", man_synopsis_line, out);
	roffs(OCI_PROG " --help | --version [--json]\n", out);
	fputs(".fi\n.SH DESCRIPTION\n", out);
	man_paragraphs(man_description, out);
	fputs(".SH COMMANDS\n", out);
	for (i = 0; i < t->n; i++)
		man_command(t->cmd[i], out);
	fputs(".SH COMMON FLAGS\nEvery command that parses flags also takes:\n", out);
	fputs(".TP\n\\fB\\-\\-help\\fR, \\fB\\-h\\fR\nShow the command's help.\n", out);
	fputs(".PP\nop-service's log flags, validated and otherwise ignored (this tool does not "
	      "log):\n",
	      out);
	for (i = 0; i < FLAG_LOG_COUNT; i++)
		man_flag(&log[i], out);
	fputs(".SH FLAG SYNTAX\n", out);
	man_paragraphs(man_flag_syntax, out);
	man_environment(t, out);
	fputs(".SH EXIT STATUS\n", out);
	fputs(man_exit, out);
	fputs(".SH FILES\n", out);
	fputs(man_files, out);
	fputs(".SH EXAMPLES\n", out);
	fputs(man_examples, out);
	fputs(".SH SECURITY\n", out);
	man_paragraphs(man_security, out);
	fputs(".SH VERSION\n", out);
	man_paragraphs(man_version, out);
	fputs(".SH SEE ALSO\n"
	      "\\fBop\\-conductor\\fR(1) (\\fBop\\-conductor \\-\\-help\\fR),\n"
	      "docs/operations.md, docs/design.md, docs/json.md and docs/testing.md\n"
	      "in the source tree.\n",
	      out);
	fputs(".SH COPYRIGHT\n", out);
	man_paragraphs(man_copyright, out);
	return OCI_EXIT_OK;
}

/* ---- README's table and synopsis -------------------------------------- */

static void md_synopsis_line(const char *line, size_t len, void *ctx)
{
	fprintf(ctx, "%.*s\n", (int)len, line);
}

static int render_synopsis(const struct oci_table *t, FILE *out)
{
	size_t i;

	fputs("| command | what it does |\n|---|---|\n", out);
	for (i = 0; i < t->n; i++)
		fprintf(out, "| `%s %s` | %s |\n", t->cmd[i]->group, t->cmd[i]->name,
		        t->cmd[i]->summary);
	fputs("\n```\n", out);
	for (i = 0; i < t->n; i++)
		synopsis_lines(t->cmd[i], "    ", md_synopsis_line, out);
	fprintf(out, "%s --help | --version [--json]   (and --help on every command)\n```\n",
	        OCI_PROG);
	return OCI_EXIT_OK;
}

/* ---- the environment table of docs/operations.md ---------------------- */

static void md_env_var(const char *env, const char *help, void *ctx)
{
	fprintf(ctx, "| `%s` | %s", env, help != NULL ? help : "");
}

static void md_env_use(const struct flag_spec *flag, const struct oci_command *cmd, int nth,
                       void *ctx)
{
	FILE *out = ctx;

	if (flag == NULL)
		fprintf(out, " (`%s %s`)", cmd->group, cmd->name);
	else if (cmd == NULL)
		fprintf(out, "`--%s` of every command", flag->name);
	else
		fprintf(out, "%s`%s %s --%s`", nth > 0 ? ", " : "", cmd->group, cmd->name,
		        flag->name);
}

static void md_env_end(void *ctx)
{
	fputs(" |\n", ctx);
}

static int render_environment(const struct oci_table *t, FILE *out)
{
	const struct env_visitor v = {md_env_var, md_env_use, md_env_end, out};

	fputs("| variable | sets |\n|---|---|\n", out);
	each_variable(t, &v);
	return OCI_EXIT_OK;
}

/* ---- bash completion -------------------------------------------------- */

/* The words of "one of a, b, c" (a flag's `accepts`), space-separated. */
static void accepts_words(const char *accepts, FILE *out)
{
	const char *p;

	if (accepts == NULL || strncmp(accepts, "one of ", 7) != 0)
		return;
	for (p = accepts + 7; *p != '\0'; p++)
		if (*p != ',')
			fputc(*p, out);
}

static void bash_flag_list(const struct oci_command *cmd, FILE *out)
{
	const struct flag_spec *log = flags_log_specs();
	size_t i;

	for (i = 0; i < cmd->nflags; i++)
		fprintf(out, "--%s ", cmd->flags[i].name);
	for (i = 0; i < FLAG_LOG_COUNT; i++)
		fprintf(out, "--%s ", log[i].name);
	fputs("--help", out);
}

enum value_kind { VALUE_NONE, VALUE_DIR, VALUE_FILE, VALUE_WORDS };

static enum value_kind value_kind(const struct flag_spec *s)
{
	if (is_dir_metavar(s->metavar))
		return VALUE_DIR;
	if (is_file_metavar(s->metavar))
		return VALUE_FILE;
	if ((s->accepts != NULL && strncmp(s->accepts, "one of ", 7) == 0) ||
	    (s->metavar != NULL && strstr(s->metavar, "|all") != NULL))
		return VALUE_WORDS;
	return VALUE_NONE;
}

/* One case arm for the flags (of specs, then log) that take a value of the
 * kind: "--a | -a | --b | -b)". Returns 0 when there are none. */
static int bash_arm_head(const struct flag_spec *specs, size_t n, enum value_kind kind, FILE *out)
{
	const struct flag_spec *log = flags_log_specs();
	size_t i;
	int any = 0;

	for (i = 0; i < n + FLAG_LOG_COUNT; i++) {
		const struct flag_spec *s = i < n ? &specs[i] : &log[i - n];

		if (s->kind == FLAG_BOOL || value_kind(s) != kind)
			continue;
		fprintf(out, "%s--%s | -%s", any ? " | " : "\t\t", s->name, s->name);
		any = 1;
	}
	if (any)
		fputs(")\n", out);
	return any;
}

/* The case arms for the word after a flag that takes a value: directories,
 * files, the words of "one of a, b" or "N|all", or nothing. */
static void bash_value_arms(const struct flag_spec *specs, size_t n, FILE *out)
{
	const struct flag_spec *log = flags_log_specs();
	size_t i;

	if (bash_arm_head(specs, n, VALUE_DIR, out))
		fputs("\t\t\t_op_conductor_init_files -d\n\t\t\treturn ;;\n", out);
	if (bash_arm_head(specs, n, VALUE_FILE, out))
		fputs("\t\t\t_op_conductor_init_files -f\n\t\t\treturn ;;\n", out);
	if (bash_arm_head(specs, n, VALUE_NONE, out))
		fputs("\t\t\treturn ;;\n", out);
	for (i = 0; i < n + FLAG_LOG_COUNT; i++) {
		const struct flag_spec *s = i < n ? &specs[i] : &log[i - n];

		if (s->kind == FLAG_BOOL || value_kind(s) != VALUE_WORDS)
			continue;
		fprintf(out, "\t\t--%s | -%s)\n\t\t\tCOMPREPLY=($(compgen -W \"", s->name, s->name);
		if (s->accepts != NULL && strncmp(s->accepts, "one of ", 7) == 0)
			accepts_words(s->accepts, out);
		else
			fputs("all", out);
		fputs("\" -- \"$cur\"))\n\t\t\treturn ;;\n", out);
	}
}

/* Whether t->cmd[i] is the first command of its group. */
static int first_of_group(const struct oci_table *t, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(t->cmd[j]->group, t->cmd[i]->group) == 0)
			return 0;
	return 1;
}

/* "raft bootstrap ": every group once, in table order. */
static void bash_groups(const struct oci_table *t, FILE *out)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (first_of_group(t, i))
			fprintf(out, "%s ", t->cmd[i]->group);
}

static int render_bash(const struct oci_table *t, FILE *out)
{
	size_t i, j;

	fputs("# bash completion for op-conductor-init\n"
	      "# Generated by `op-conductor-init --render bash-completion` from the command and\n"
	      "# flag tables in cmd/ (`just docs`); do not edit.\n"
	      "\n"
	      "_op_conductor_init_files() {\n"
	      "\tlocal IFS=$'\\n'\n"
	      "\tcompopt -o filenames 2>/dev/null\n"
	      "\tCOMPREPLY=($(compgen \"$1\" -- \"$cur\"))\n"
	      "}\n"
	      "\n"
	      "_op_conductor_init() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev= group= cmd= i w\n"
	      "\tCOMPREPLY=()\n"
	      "\t((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	      "\t# --flag=value: bash splits the word at '=' (COMP_WORDBREAKS)\n"
	      "\tif [[ $cur == = ]]; then\n"
	      "\t\tcur=\n"
	      "\telif [[ $prev == = ]] && ((COMP_CWORD > 1)); then\n"
	      "\t\tprev=${COMP_WORDS[COMP_CWORD - 2]}\n"
	      "\tfi\n"
	      "\t# the group and the command: the first two words that are not flags\n"
	      "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	      "\t\tw=${COMP_WORDS[i]}\n"
	      "\t\tcase $w in -* | =) continue ;; esac\n"
	      "\t\tif [[ -z $group ]]; then group=$w; elif [[ -z $cmd ]]; then cmd=$w; break; fi\n"
	      "\tdone\n"
	      "\tif [[ -z $group ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"",
	      out);
	bash_groups(t, out);
	fputs("help --help --version\" -- \"$cur\"))\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tif [[ -z $cmd ]]; then\n"
	      "\t\tcase $group in\n",
	      out);
	for (i = 0; i < t->n; i++) {
		if (!first_of_group(t, i))
			continue;
		fprintf(out, "\t\t\t%s) w=\"", t->cmd[i]->group);
		for (j = i; j < t->n; j++)
			if (strcmp(t->cmd[j]->group, t->cmd[i]->group) == 0)
				fprintf(out, "%s ", t->cmd[j]->name);
		fputs("--help\" ;;\n", out);
	}
	fputs("\t\t\thelp) w=\"", out);
	bash_groups(t, out);
	fputs("\" ;;\n"
	      "\t\t\t*) w= ;;\n"
	      "\t\tesac\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$w\" -- \"$cur\"))\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tcase \"$group $cmd\" in\n",
	      out);
	for (i = 0; i < t->n; i++) {
		const struct oci_command *c = t->cmd[i];

		fprintf(out, "\t\"%s %s\")\n", c->group, c->name);
		if (c->run_raw != NULL) {
			/* everything after the command is someone else's (op-conductor's) */
			fputs(
			    "\t\t[[ $COMP_CWORD -eq 3 ]] && COMPREPLY=($(compgen -W \"--help\" -- "
			    "\"$cur\"))\n\t\treturn ;;\n",
			    out);
			continue;
		}
		fputs("\t\tcase $prev in\n", out);
		bash_value_arms(c->flags, c->nflags, out);
		fputs("\t\tesac\n\t\tw=\"", out);
		bash_flag_list(c, out);
		fputs("\" ;;\n", out);
	}
	fputs("\t*) return ;;\n"
	      "\tesac\n"
	      "\t[[ $cur == -* || -z $cur ]] && COMPREPLY=($(compgen -W \"$w\" -- \"$cur\"))\n"
	      "}\n"
	      "complete -F _op_conductor_init " OCI_PROG "\n",
	      out);
	return OCI_EXIT_OK;
}

/* ---- zsh and fish completion ------------------------------------------ */

/* Whether a '.' before p ends a sentence: the text ends, or the next word
 * starts with a capital ("e.g. op-mainnet" goes on). */
static int sentence_ends(const char *p)
{
	if (*p != ' ' && *p != '\n' && *p != '\0')
		return 0;
	while (*p == ' ' || *p == '\n')
		p++;
	return *p == '\0' || (*p >= 'A' && *p <= 'Z');
}

/* A flag's help as one short line for a completion menu: its lines joined,
 * cut after the first sentence. */
static const char *menu_line(const char *help, char *buf, size_t size)
{
	size_t o = 0;
	const char *p = help;

	while (*p != '\0' && o + 1 < size) {
		if (*p == '\n') {
			while (p[1] == ' ')
				p++;
			buf[o++] = ' ';
		} else if (*p == '.' && sentence_ends(p + 1)) {
			break;
		} else {
			buf[o++] = *p;
		}
		p++;
	}
	buf[o] = '\0';
	return buf;
}

/* s inside a single-quoted zsh word; `special` are the characters that
 * _arguments or _describe would take as syntax there (backslashed). */
static void zsh_text(const char *s, const char *special, FILE *out)
{
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			fputs("'\\''", out);
		else {
			if (*s == '\\' || strchr(special, *s) != NULL)
				fputc('\\', out);
			fputc(*s, out);
		}
	}
}

/* One _arguments spec: '--name=[help]:METAVAR:ACTION' (a repeatable flag
 * starts with '*'). */
/* How a shell completes a flag's value, by its kind; the words of a
 * VALUE_WORDS flag go between words_open and words_close. */
struct shell_values {
	const char *dir, *file, *words_open, *words_close, *none;
};
static const struct shell_values zsh_values = {"_files -/", "_files", "(", ")", " "};
static const struct shell_values fish_values = {
    " -x -a '(__fish_complete_directories (commandline -ct))'", " -r -F", " -x -a '", "'", " -x"};

static void value_action(const struct flag_spec *s, const struct shell_values *v, FILE *out)
{
	switch (value_kind(s)) {
	case VALUE_DIR:
		fputs(v->dir, out);
		break;
	case VALUE_FILE:
		fputs(v->file, out);
		break;
	case VALUE_WORDS:
		fputs(v->words_open, out);
		if (s->accepts != NULL && strncmp(s->accepts, "one of ", 7) == 0)
			accepts_words(s->accepts, out);
		else
			fputs("all", out);
		fputs(v->words_close, out);
		break;
	case VALUE_NONE:
		fputs(v->none, out);
		break;
	}
}

static void zsh_flag_spec(const struct flag_spec *s, FILE *out)
{
	char line[512];

	fputs("\t\t\t'", out);
	if (s->repeat)
		fputc('*', out);
	fprintf(out, "--%s%s[", s->name, s->kind == FLAG_BOOL ? "" : "=");
	zsh_text(menu_line(s->help, line, sizeof(line)), "[]", out);
	fputc(']', out);
	if (s->kind != FLAG_BOOL) {
		fputc(':', out);
		zsh_text(s->metavar != NULL ? s->metavar : "VALUE", ":", out);
		fputc(':', out);
		value_action(s, &zsh_values, out);
	}
	fputs("' \\\n", out);
}

/* "generate, verify, ..." : the commands of a group, for a menu. */
static void group_commands(const struct oci_table *t, const char *group, const char *sep, FILE *out)
{
	size_t i;
	int n = 0;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->cmd[i]->group, group) == 0)
			fprintf(out, "%s%s", n++ > 0 ? sep : "", t->cmd[i]->name);
}

static int render_zsh(const struct oci_table *t, FILE *out)
{
	const struct flag_spec *log = flags_log_specs();
	size_t i, j;

	fputs("#compdef " OCI_PROG "\n"
	      "# zsh completion for op-conductor-init\n"
	      "# Generated by `op-conductor-init --render zsh-completion` from the command and\n"
	      "# flag tables in cmd/ (`just docs`); do not edit.\n"
	      "\n"
	      "_op-conductor-init() {\n"
	      "\tlocal group= cmd= i\n"
	      "\tlocal -a w\n"
	      "\t# the group and the command: the first two words that are not flags\n"
	      "\tfor ((i = 2; i < CURRENT; i++)); do\n"
	      "\t\t[[ ${words[i]} == -* ]] && continue\n"
	      "\t\tif [[ -z $group ]]; then group=${words[i]}; else cmd=${words[i]}; break; fi\n"
	      "\tdone\n"
	      "\tif [[ -z $group ]]; then\n"
	      "\t\tw=(\n",
	      out);
	for (i = 0; i < t->n; i++) {
		if (!first_of_group(t, i))
			continue;
		fprintf(out, "\t\t\t'%s:", t->cmd[i]->group);
		group_commands(t, t->cmd[i]->group, ", ", out);
		fputs("'\n", out);
	}
	fputs("\t\t\t'help:show the help of a command'\n"
	      "\t\t)\n"
	      "\t\t_describe -t commands 'command group' w\n"
	      "\t\t[[ $PREFIX == -* ]] && compadd -- --help --version\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tif [[ -z $cmd ]]; then\n"
	      "\t\tcase $group in\n",
	      out);
	for (i = 0; i < t->n; i++) {
		if (!first_of_group(t, i))
			continue;
		fprintf(out, "\t\t%s)\n\t\t\tw=(\n", t->cmd[i]->group);
		for (j = i; j < t->n; j++) {
			if (strcmp(t->cmd[j]->group, t->cmd[i]->group) != 0)
				continue;
			fprintf(out, "\t\t\t\t'%s:", t->cmd[j]->name);
			zsh_text(t->cmd[j]->summary, "", out);
			fputs("'\n", out);
		}
		fputs("\t\t\t)\n\t\t\t;;\n", out);
	}
	fputs("\t\thelp) w=(", out);
	for (i = 0; i < t->n; i++)
		if (first_of_group(t, i))
			fprintf(out, "%s%s", i > 0 ? " " : "", t->cmd[i]->group);
	fputs(") ;;\n"
	      "\t\t*) return 1 ;;\n"
	      "\t\tesac\n"
	      "\t\t_describe -t commands \"$group command\" w\n"
	      "\t\t[[ $PREFIX == -* ]] && compadd -- --help\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\t# from here on the command is the first word, as _arguments wants it\n"
	      "\tshift $((i - 1)) words\n"
	      "\t((CURRENT -= i - 1))\n"
	      "\tcase \"$group $cmd\" in\n",
	      out);
	for (i = 0; i < t->n; i++) {
		const struct oci_command *c = t->cmd[i];

		fprintf(out, "\t\"%s %s\")\n", c->group, c->name);
		if (c->run_raw != NULL) {
			/* everything after the command is someone else's (op-conductor's) */
			fputs("\t\t((CURRENT == 2)) && compadd -- --help\n\t\t;;\n", out);
			continue;
		}
		fputs("\t\t_arguments -S \\\n", out);
		for (j = 0; j < c->nflags; j++)
			zsh_flag_spec(&c->flags[j], out);
		for (j = 0; j < FLAG_LOG_COUNT; j++)
			zsh_flag_spec(&log[j], out);
		fputs("\t\t\t'(- *)--help[show the help of the command]'\n\t\t;;\n", out);
	}
	fputs("\t*) return 1 ;;\n"
	      "\tesac\n"
	      "}\n"
	      "\n"
	      "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n"
	      "\t_op-conductor-init \"$@\"\n"
	      "else\n"
	      "\tcompdef _op-conductor-init " OCI_PROG "\n"
	      "fi\n",
	      out);
	return OCI_EXIT_OK;
}

/* s inside a single-quoted fish word. */
static void fish_text(const char *s, FILE *out)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '\'')
			fputc('\\', out);
		fputc(*s, out);
	}
}

/* complete -c op-conductor-init -n '__op_conductor_init_at GROUP CMD'
 * -l NAME [-r and the value's completion] -d 'help' */
static void fish_flag(const struct oci_command *c, const struct flag_spec *s, FILE *out)
{
	char line[512];

	fprintf(out, "complete -c %s -n '__op_conductor_init_at %s %s' -l %s", OCI_PROG, c->group,
	        c->name, s->name);
	if (s->kind != FLAG_BOOL) {
		value_action(s, &fish_values, out);
	}
	fputs(" -d '", out);
	fish_text(menu_line(s->help, line, sizeof(line)), out);
	fputs("'\n", out);
}

static int render_fish(const struct oci_table *t, FILE *out)
{
	const struct flag_spec *log = flags_log_specs();
	size_t i, j;

	fputs("# fish completion for op-conductor-init\n"
	      "# Generated by `op-conductor-init --render fish-completion` from the command and\n"
	      "# flag tables in cmd/ (`just docs`); do not edit.\n"
	      "\n"
	      "# True when the words typed before the cursor that are not flags begin\n"
	      "# with exactly $argv (the group, then the command); no arguments: none yet.\n"
	      "function __op_conductor_init_at\n"
	      "\tset -l seen\n"
	      "\tfor w in (commandline -opc)[2..-1]\n"
	      "\t\tstring match -q -- '-*' $w; and continue\n"
	      "\t\tset -a seen $w\n"
	      "\t\ttest (count $seen) -ge 2; and break\n"
	      "\tend\n"
	      "\ttest \"$seen\" = \"$argv\"\n"
	      "end\n"
	      "\n"
	      "complete -c " OCI_PROG " -f\n"
	      "complete -c " OCI_PROG " -n __op_conductor_init_at -l help -d 'show the help'\n"
	      "complete -c " OCI_PROG " -n __op_conductor_init_at -l version "
	      "-d 'show the version, commit, build date and libraries'\n"
	      "complete -c " OCI_PROG
	      " -n __op_conductor_init_at -a help -d 'show the help of a command'\n",
	      out);
	for (i = 0; i < t->n; i++) {
		if (!first_of_group(t, i))
			continue;
		fprintf(out, "complete -c %s -n __op_conductor_init_at -a %s -d '", OCI_PROG,
		        t->cmd[i]->group);
		group_commands(t, t->cmd[i]->group, ", ", out);
		fputs("'\n", out);
		fprintf(out, "complete -c %s -n '__op_conductor_init_at help' -a %s\n", OCI_PROG,
		        t->cmd[i]->group);
		fprintf(
		    out,
		    "complete -c %s -n '__op_conductor_init_at %s' -l help -d 'show the help'\n",
		    OCI_PROG, t->cmd[i]->group);
	}
	for (i = 0; i < t->n; i++) {
		const struct oci_command *c = t->cmd[i];

		fprintf(out, "\n# %s %s\n", c->group, c->name);
		fprintf(out, "complete -c %s -n '__op_conductor_init_at %s' -a %s -d '", OCI_PROG,
		        c->group, c->name);
		fish_text(c->summary, out);
		fputs("'\n", out);
		fprintf(out,
		        "complete -c %s -n '__op_conductor_init_at %s %s' -l help "
		        "-d 'show the help of the command'\n",
		        OCI_PROG, c->group, c->name);
		if (c->run_raw != NULL) /* the rest is op-conductor's */
			continue;
		for (j = 0; j < c->nflags; j++)
			fish_flag(c, &c->flags[j], out);
		for (j = 0; j < FLAG_LOG_COUNT; j++)
			fish_flag(c, &log[j], out);
	}
	return OCI_EXIT_OK;
}

int oci_render(const struct oci_table *t, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*render)(const struct oci_table *t, FILE *out);
	} what[] = {
	    {"man", render_man},
	    {"synopsis", render_synopsis},
	    {"bash-completion", render_bash},
	    {"zsh-completion", render_zsh},
	    {"fish-completion", render_fish},
	    {"environment", render_environment},
	};
	static const char names[] =
	    "man, synopsis, bash-completion, zsh-completion, fish-completion, environment";
	size_t i;

	if (argc != 1)
		return oci_usage(NULL, "--render needs one of: %s", names);
	for (i = 0; i < sizeof(what) / sizeof(what[0]); i++)
		if (strcmp(argv[0], what[i].name) == 0)
			return what[i].render(t, stdout);
	return oci_usage(NULL, "--render %s: unknown; one of %s", oci_q(argv[0]).s, names);
}
