/* cli: one table of options per program drives getopt_long(3) and
 * usage(), so --help, the man page and the completions can be checked
 * against each other (tests/t/docs.t). */
#ifndef GCAL_CLI_H
#define GCAL_CLI_H

#include <stdio.h>

struct cli_option {
	const char *name; /* long name */
	int key;          /* short letter, or >= 256 for a long-only option */
	const char *arg;  /* argument name, or NULL */
	const char *cmds; /* subcommands it belongs to ("login use"), NULL: all */
	const char *help;
};

enum { CLI_HELP = 'h', CLI_VERSION = 256, CLI_FIRST_LONG = 257 };

/* The last entries of every program's table (after its -v). */
#define CLI_COMMON_OPTIONS \
	{"quiet", 'q', NULL, NULL, "no warnings"}, \
	{"help", 'h', NULL, NULL, "show this help"}, \
	{"version", CLI_VERSION, NULL, NULL, "show the version"}, \
	{0}

struct cli;

/* Parse with the table (terminated by a zeroed entry). stop_at_operand:
 * stop at the first operand (for options before a subcommand). */
struct cli *cli_new(const struct cli_option *opts, int stop_at_operand);
/* The next option key, -1 at the end. Unknown options and missing
 * arguments print the usage hint and exit EX_USAGE. --version, --help,
 * -v (verbose++) and -q (quiet) are handled here. */
int cli_next(struct cli *c, int argc, char **argv, const char **arg);
/* After a usage error's warnx: the one hint "Try 'PROG --help'." on
 * stderr. cli_usage_error is warnx(fmt, ...), the hint, exit EX_USAGE. */
void cli_try_help(void);
void cli_usage_error(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
/* Exit EX_USAGE when operands are left after the options. */
void cli_no_operands(int argc, char **argv);
/* Exit EX_USAGE unless option key belongs to subcommand cmd. */
void cli_check_cmd(const struct cli *c, int key, const char *cmd);
void cli_free(struct cli *c);

/* For a program with subcommands: parse the options before the subcommand
 * (only -p PROFILE, which sets the profile, and the common ones), check the
 * subcommand is one of cmds (NULL-terminated), and leave *argc and *argv
 * starting at it with optind reset for its own options. Returns it; exits
 * EX_USAGE naming what is wrong. */
const char *cli_subcommand(const struct cli_option *opts,
    const char *const *cmds, int *argc, char ***argv);

/* Print the synopsis lines and the option table; for -h and errors. */
void cli_usage(FILE *fp, const char *const *synopsis,
    const struct cli_option *opts);
/* Set by each program before cli_new: its SYNOPSIS lines. */
extern const char *const *cli_synopsis;

/* A number from an option (strtonum), or exit EX_USAGE naming the option. */
long long cli_number(const char *opt, const char *s, long long min,
    long long max);

#endif
