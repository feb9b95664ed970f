/*
 * The flag parser (present/flags.c) on a command table of its own: the Go
 * rules of present/flags.h for what no command of the tool has today or
 * no CLI test reaches (a table over FLAGS_MAX, a default its own check
 * refuses, a flag name too long for the variable buffer, a flag with no
 * metavar in --help, a command with no description), the syntax refusals
 * ("---x", "-=x", "-h=1"), "help" as the first argument, a boolean
 * followed by "false", and flags_log_early, which shapes stderr before the
 * full parse: it stops at "-", "--", the first positional argument and the
 * first unknown flag, takes a value from the next argument or after '=',
 * and treats an empty variable as unset.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "present/command.h"
#include "present/flags.h"
#include "present/report.h"
#include "tests/check_support.h"
#include "tests/present/present_support.h"

static const struct flag_spec demo_flags[] = {
    {.name = "force", .kind = FLAG_BOOL, .help = "Do it"},
    {.name = "count", .kind = FLAG_UINT64, .metavar = "N", .help = "How many", .min = 1},
    {.name = "plain", .kind = FLAG_STRING, .help = "No metavar"},
};

static const struct oci_command demo = {
    .group = "demo",
    .name = "run",
    .summary = "Run it",
    .synopsis = "[--force] [--count N]",
    .description = NULL,
    .flags = demo_flags,
    .nflags = sizeof(demo_flags) / sizeof(demo_flags[0]),
    .max_args = 0,
    .run = never,
};

/* flags_parse of the words (NULL-terminated) */
static enum flag_result parse(const struct oci_command *cmd, struct flag_set *fs, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;

	va_start(ap, fs);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	oci_log_conf.last_error[0] = '\0';
	return flags_parse(cmd, argc, argv, fs);
}

#define LAST_ERROR_IS(s) ck_assert_str_eq(oci_log_conf.last_error, (s))

START_TEST(test_syntax)
{
	struct flag_set fs;

	ck_assert_int_eq(parse(&demo, &fs, "---force", NULL), FLAGS_USAGE);
	LAST_ERROR_IS("bad flag syntax \"---force\"");
	ck_assert_int_eq(parse(&demo, &fs, "-=x", NULL), FLAGS_USAGE);
	LAST_ERROR_IS("bad flag syntax \"-=x\"");
	ck_assert_int_eq(parse(&demo, &fs, "--", NULL), FLAGS_OK);
	/* -h with a value is no help flag: an unknown one */
	ck_assert_int_eq(parse(&demo, &fs, "-h=1", NULL), FLAGS_USAGE);
	LAST_ERROR_IS("unknown flag \"-h=1\" (see --help)");
	ck_assert_int_eq(parse(&demo, &fs, "-h", NULL), FLAGS_HELP);
	/* "help" as the only argument of a command that takes none */
	ck_assert_int_eq(parse(&demo, &fs, "--force", "help", NULL), FLAGS_HELP);
	/* "--force false" leaves "false" behind: say how to write it */
	ck_assert_int_eq(parse(&demo, &fs, "--force", "false", NULL), FLAGS_USAGE);
	LAST_ERROR_IS("unexpected argument \"false\" (write --force=false to set a boolean flag)");
	ck_assert_int_eq(parse(&demo, &fs, "--force=false", "x", NULL), FLAGS_USAGE);
	LAST_ERROR_IS("unexpected argument \"x\"");
	ck_assert_int_eq(parse(&demo, &fs, "--count", NULL), FLAGS_USAGE);
	LAST_ERROR_IS("flag --count needs a value");
	ck_assert_int_eq(parse(&demo, &fs, "--count", "0", NULL), FLAGS_USAGE);
	ck_assert_ptr_nonnull(
	    strstr(oci_log_conf.last_error, "--count must be a decimal integer from 1"));
	/* values: -name value, --name=value, the last one wins */
	ck_assert_int_eq(parse(&demo, &fs, "-count", "3", "--count=7", "--force", NULL), FLAGS_OK);
	ck_assert_uint_eq(fs.v[1].u, 7);
	ck_assert_int_eq(fs.v[0].b, 1);
	ck_assert_int_eq(fs.v[0].src, FLAG_ARGV);
}
END_TEST

START_TEST(test_table_bounds)
{
	static struct flag_spec many[FLAGS_MAX + 1];
	static const struct flag_spec bad_default[] = {
	    {.name = "count",
	     .kind = FLAG_UINT64,
	     .metavar = "N",
	     .def = "0",
	     .help = "x",
	     .min = 1},
	};
	struct oci_command big = demo, bad = demo;
	struct flag_set fs;

	for (size_t i = 0; i < FLAGS_MAX + 1; i++)
		many[i] = (struct flag_spec){.name = "f", .kind = FLAG_BOOL, .help = "x"};
	big.flags = many;
	big.nflags = FLAGS_MAX + 1;
	ck_assert_int_eq(parse(&big, &fs, NULL), FLAGS_USAGE);
	LAST_ERROR_IS("internal error: the command has more than 16 flags");
	/* a default its own rule refuses is a usage error naming the flag,
	 * never a value taken silently */
	bad.flags = bad_default;
	bad.nflags = 1;
	ck_assert_int_eq(parse(&bad, &fs, NULL), FLAGS_USAGE);
	ck_assert_ptr_nonnull(strstr(oci_log_conf.last_error, "count must be a decimal integer"));
}
END_TEST

START_TEST(test_env_name)
{
	static const struct flag_spec s = {.name = "a-very.long-flag", .kind = FLAG_BOOL};
	char buf[128], small[24];

	ck_assert_str_eq(flags_env_name(&s, buf, sizeof(buf)),
	                 "OP_CONDUCTOR_INIT_A_VERY_LONG_FLAG");
	/* cut to the buffer, always terminated */
	ck_assert_str_eq(flags_env_name(&s, small, sizeof(small)), "OP_CONDUCTOR_INIT_A_VER");
}
END_TEST

START_TEST(test_help_text)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(oci_command_help(&demo, f), OCI_EXIT_OK);
	fclose(f);
	/* no description: the summary, then the flags; VALUE for no metavar */
	ck_assert_ptr_nonnull(
	    strstr(text, "usage: op-conductor-init demo run [--force] [--count N]\n\nRun it.\n\n"));
	ck_assert_ptr_nonnull(strstr(text, "  --plain VALUE"));
	ck_assert_ptr_nonnull(strstr(text, "  --count N"));
	free(text);
}
END_TEST

/* flags_log_early of the words; the format it set */
static enum oci_log_format early(const struct oci_command *cmd, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;

	va_start(ap, cmd);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	oci_log_conf.format = OCI_LOG_TEXT;
	flags_log_early(cmd, argc, argv);
	return oci_log_conf.format;
}

START_TEST(test_log_early)
{
	unsetenv("OP_CONDUCTOR_INIT_LOG_FORMAT");
	unsetenv("OP_CONDUCTOR_INIT_LOG_COLOR");
	ck_assert_int_eq(early(&demo, "--count", "3", "--log.format", "json", NULL), OCI_LOG_JSON);
	ck_assert_int_eq(early(&demo, "--force", "-log.format=logfmt", NULL), OCI_LOG_LOGFMT);
	/* stops at "-", "--", a positional argument, an unknown flag */
	ck_assert_int_eq(early(&demo, "-", "--log.format=json", NULL), OCI_LOG_TEXT);
	ck_assert_int_eq(early(&demo, "--", "--log.format=json", NULL), OCI_LOG_TEXT);
	ck_assert_int_eq(early(&demo, "x", "--log.format=json", NULL), OCI_LOG_TEXT);
	ck_assert_int_eq(early(&demo, "--nope", "--log.format=json", NULL), OCI_LOG_TEXT);
	/* a value flag at the end with no value: nothing to read */
	ck_assert_int_eq(early(&demo, "--log.format", NULL), OCI_LOG_TEXT);
	/* a boolean log flag alone is true: color makes text terminal */
	ck_assert_int_eq(early(&demo, "--log.color", NULL), OCI_LOG_TERMINAL);
	ck_assert_int_eq(early(&demo, "--log.color=maybe", NULL), OCI_LOG_TEXT);
	/* the variable, when the command line does not say; empty is unset */
	setenv("OP_CONDUCTOR_INIT_LOG_FORMAT", "json", 1);
	ck_assert_int_eq(early(&demo, NULL), OCI_LOG_JSON);
	ck_assert_int_eq(early(&demo, "--log.format=logfmt", NULL), OCI_LOG_LOGFMT);
	setenv("OP_CONDUCTOR_INIT_LOG_FORMAT", "", 1);
	ck_assert_int_eq(early(&demo, NULL), OCI_LOG_TEXT);
	/* no command yet (the dispatcher before it found one): variables only */
	setenv("OP_CONDUCTOR_INIT_LOG_FORMAT", "logfmt", 1);
	ck_assert_int_eq(early(NULL, "--log.format=json", NULL), OCI_LOG_LOGFMT);
	unsetenv("OP_CONDUCTOR_INIT_LOG_FORMAT");
	oci_log_conf.format = OCI_LOG_TEXT;
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flags");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_syntax);
	tcase_add_test(tc, test_table_bounds);
	tcase_add_test(tc, test_env_name);
	tcase_add_test(tc, test_help_text);
	tcase_add_test(tc, test_log_early);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* the tests print usage lines on stderr, as the tool does */
	return oci_check_run(suite());
}
