/*
 * The documents `--render` makes from a command table (present/render.c),
 * for table contents the tool's own commands do not have today, so that a
 * command added later is documented right: a flag with no metavar (VALUE),
 * one that accepts "one of a, b", a "N|all" count, FILE and DIR values, a
 * repeatable flag, help text holding characters each output language
 * treats as syntax (roff's leading '.' and '\', zsh's [ ] : and ', fish's '
 * and \), a description with an indented paragraph (kept as it is: .nf),
 * a continuation line of the synopsis that is another form of the command,
 * a command without a description or flags, and a pass-through command.
 *
 * Each document is rendered into a file and checked by what it must hold,
 * and the three completion scripts are parsed by their own shells
 * (bash -n, zsh -n, fish -n) when those are installed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "present/command.h"
#include "present/flags.h"
#include "present/report.h"
#include "tests/check_support.h"
#include "tests/present/present_support.h"

static const struct flag_spec demo_flags[] = {
    {.name = "plain", .kind = FLAG_STRING, .help = "A value of no metavar"},
    {.name = "mode",
     .kind = FLAG_STRING,
     .metavar = "MODE",
     .def = "fast",
     .help = "How to go, e.g. fast. The rest is\n     not in menus",
     .accepts = "one of fast, slow"},
    {.name = "count", .kind = FLAG_STRING, .metavar = "N|all", .help = "How many [at most]"},
    {.name = "input", .kind = FLAG_STRING, .metavar = "FILE", .help = "It's read: a\\b"},
    {.name = "out-dir", .kind = FLAG_STRING, .metavar = "DIR", .help = "Where", .required = 1},
    {.name = "tag", .kind = FLAG_STRING, .metavar = "T:V", .help = "Repeat me", .repeat = 1},
    {.name = "quiet", .kind = FLAG_BOOL, .help = "Say less"},
};

static const struct oci_command demo = {
    .group = "demo",
    .name = "run",
    .summary = "Run the demo",
    .synopsis = "--out-dir DIR [--mode MODE]\n"
                "  [--quiet]\n"
                "demo run --plain VALUE",
    .description = "First paragraph \\ with a backslash.\n"
                   ".starts with a dot\n"
                   "\n"
                   "An example:\n"
                   "  demo run --out-dir x",
    .flags = demo_flags,
    .nflags = sizeof(demo_flags) / sizeof(demo_flags[0]),
    .max_args = 0,
    .run = never,
};

static const struct oci_command bare = {
    .group = "demo",
    .name = "bare",
    .summary = "No description, no flags",
    .synopsis = "",
    .description = NULL,
    .flags = NULL,
    .nflags = 0,
    .max_args = 0,
    .run = never,
};

static const struct oci_command raw = {
    .group = "pass",
    .name = "through",
    .summary = "Everything after it is another program's",
    .synopsis = "[ARGS ...]",
    .description = "Hands over.",
    .max_args = -1,
    .run_raw = never_raw,
};

static const struct oci_command *const cmds[] = {&demo, &bare, &raw};
static const struct oci_table table = {cmds, sizeof(cmds) / sizeof(cmds[0])};

static char dir[] = "/tmp/oci-test-render.XXXXXX";

/* Renders WHAT into dir/WHAT; returns its text (to free). */
static char *render(const char *what, char *path, size_t size)
{
	char *argv[] = {(char *)what, NULL}, *text;
	int saved = dup(STDOUT_FILENO), rc;
	FILE *f;
	long n;

	(void)snprintf(path, size, "%s/%s", dir, what);
	fflush(stdout);
	ck_assert_ptr_nonnull(freopen(path, "w", stdout));
	rc = oci_render(&table, 1, argv);
	fflush(stdout);
	ck_assert_int_ne(dup2(saved, STDOUT_FILENO), -1);
	close(saved);
	ck_assert_int_eq(rc, OCI_EXIT_OK);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(fread(text, 1, (size_t)n, f), n);
	fclose(f);
	return text;
}

#define HAS(text, s)   ck_assert_msg(strstr((text), (s)) != NULL, "missing: %s", (s))
#define HASNT(text, s) ck_assert_msg(strstr((text), (s)) == NULL, "present: %s", (s))

/* The shell parses the script (skipped when the shell is not installed). */
static void parses(const char *shell, const char *path)
{
	char cmd[512];

	(void)snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", shell);
	if (system(cmd) != 0)
		return;
	(void)snprintf(cmd, sizeof(cmd), "%s -n '%s'", shell, path);
	ck_assert_msg(system(cmd) == 0, "%s does not parse %s", shell, path);
}

START_TEST(test_man)
{
	char path[256], *t = render("man", path, sizeof(path));

	/* the synopsis: the first line whole, an indented continuation, and
	 * a continuation that is another form of the command */
	HAS(t, "op\\-conductor\\-init demo run \\-\\-out\\-dir DIR [\\-\\-mode MODE]\n");
	HAS(t, "    [\\-\\-quiet]\n");
	HAS(t, "op\\-conductor\\-init demo run \\-\\-plain VALUE\n");
	/* a backslash is \e, a line starting with '.' is defused */
	HAS(t, "First paragraph \\e with a backslash.\n\\&.starts with a dot\n");
	/* a paragraph with an indented line is not filled */
	HAS(t, ".PP\n.nf\nAn example:\n  demo run \\-\\-out\\-dir x\n.fi\n");
	/* a flag without a metavar shows VALUE; defaults, requirements,
	 * accepted values and variables */
	HAS(t, ".TP\n\\fB\\-\\-plain\\fR \\fIVALUE\\fR\nA value of no metavar.");
	HAS(t, "\\fB\\-\\-mode\\fR \\fIMODE\\fR\nHow to go, e.g. fast. The rest is not in menus. "
	       "Default: fast. Must be one of fast, slow.\nEnvironment: "
	       "\\fBOP_CONDUCTOR_INIT_MODE\\fR.\n");
	HAS(t, "\\fB\\-\\-out\\-dir\\fR \\fIDIR\\fR\nWhere. Required.\n");
	HAS(t, "\\fB\\-\\-quiet\\fR\nSay less.\n");
	/* the command with no description has its summary only; the
	 * pass-through command lists no flags */
	HAS(t, ".SS \"demo bare\"\n");
	HAS(t, "No description, no flags.\n.PP\nFlags (and the common flags");
	HAS(t, "Everything after it is another program's.\n.PP\nHands over.\n.SH COMMON FLAGS");
	free(t);
}
END_TEST

START_TEST(test_bash)
{
	char path[256], *t = render("bash-completion", path, sizeof(path));

	HAS(t, "--out-dir | -out-dir");
	HAS(t, "_op_conductor_init_files -d");
	HAS(t, "--input | -input");
	HAS(t, "_op_conductor_init_files -f");
	/* a value that cannot be completed: nothing offered */
	HAS(t, "\t\t--plain | -plain | --tag | -tag");
	/* the words of "one of" and of "N|all" */
	HAS(t, "\t\t--mode | -mode)\n\t\t\tCOMPREPLY=($(compgen -W \"fast slow\" -- \"$cur\"))\n");
	HAS(t, "\t\t--count | -count)\n\t\t\tCOMPREPLY=($(compgen -W \"all\" -- \"$cur\"))\n");
	HAS(t, "--plain --mode --count --input --out-dir --tag --quiet ");
	parses("bash", path);
	free(t);
}
END_TEST

START_TEST(test_zsh)
{
	char path[256], *t = render("zsh-completion", path, sizeof(path));

	/* the menu line: the first sentence ("e.g." does not end one) */
	HAS(t, "'--mode=[How to go, e.g. fast]:MODE:(fast slow)' \\\n");
	/* [ ] of the help and : of a metavar backslashed (a help's : is
	 * text there); ' closed and reopened; a backslash doubled */
	HAS(t, "'--count=[How many \\[at most\\]]:N|all:(all)' \\\n");
	HAS(t, "'--input=[It'\\''s read: a\\\\b]:FILE:_files' \\\n");
	HAS(t, "'*--tag=[Repeat me]:T\\:V: ' \\\n");
	HAS(t, "'--plain=[A value of no metavar]:VALUE: ' \\\n");
	HAS(t, "'--out-dir=[Where]:DIR:_files -/' \\\n");
	HAS(t, "'--quiet[Say less]' \\\n");
	parses("zsh", path);
	free(t);
}
END_TEST

START_TEST(test_fish)
{
	char path[256], *t = render("fish-completion", path, sizeof(path));

	HAS(t, "-l input -r -F -d 'It\\'s read: a\\\\b'\n");
	HAS(t, "-l mode -x -a 'fast slow' -d 'How to go, e.g. fast'\n");
	HAS(t, "-l count -x -a 'all' -d 'How many [at most]'\n");
	HAS(t, "-l out-dir -x -a '(__fish_complete_directories (commandline -ct))' -d 'Where'\n");
	HAS(t, "-l plain -x -d 'A value of no metavar'\n");
	/* the pass-through command: only our --help */
	HAS(t, "-n '__op_conductor_init_at pass through' -l help ");
	HASNT(t, "-n '__op_conductor_init_at pass through' -l log.level");
	parses("fish", path);
	free(t);
}
END_TEST

START_TEST(test_environment_and_synopsis)
{
	char path[256], *t = render("environment", path, sizeof(path));

	HAS(t, "OP_CONDUCTOR_INIT_OUT_DIR");
	HAS(t, "OP_CONDUCTOR_INIT_PLAIN");
	free(t);
	t = render("synopsis", path, sizeof(path));
	HAS(t, "demo run");
	HAS(t, "pass through");
	free(t);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_man);
	tcase_add_test(tc, test_bash);
	tcase_add_test(tc, test_zsh);
	tcase_add_test(tc, test_fish);
	tcase_add_test(tc, test_environment_and_synopsis);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run_in_tmpdir(suite(), dir);
}
