/* gcal-diff: the change records that turn one event set into another
 * (two-way), or that bring a local and a remote set together since a base
 * (three-way). No network. See gcal-diff(1) and gcal-records(5). */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diff.h"
#include "json.h"
#include "util.h"

enum {
	OPT_OWNER = CLI_FIRST_LONG, OPT_ALL, OPT_BASE, OPT_PREFER, OPT_EXIT_CODE,
};

static const struct cli_option options[] = {
	{"key", 'k', "JQ", NULL, "a jq expression: the local key of a record without an id"},
	{"owner", OPT_OWNER, "NAME", NULL, "the owner mark of this link's events (default: gcal)"},
	{"all", OPT_ALL, NULL, NULL, "also update and delete events the link does not own"},
	{"base", OPT_BASE, "BASE", NULL, "three-way: the set both sides had after the last sync"},
	{"prefer", OPT_PREFER, "SIDE", NULL, "settle conflicts: local, remote or newest (with --base)"},
	{"exit-code", OPT_EXIT_CODE, NULL, NULL, "exit 1 when there are changes, as git diff"},
	{"verbose", 'v', NULL, NULL, "a summary and the events left alone, on stderr"},
	CLI_COMMON_OPTIONS,
};

static const char *const synopsis[] = {
	"[-k JQ] [--owner NAME] [--all] [--exit-code] [-q] [-v] OLD NEW",
	"--base BASE [--prefer local|remote|newest] [-k JQ] [--owner NAME] [--all] [--exit-code] [-q] [-v] LOCAL REMOTE",
	NULL,
};

static int
usage_error(const char *fmt, const char *arg)
{
	warnx(fmt, arg);
	cli_try_help();
	return EX_USAGE;
}

int
main(int argc, char *argv[])
{
	struct diff_options d = {.owner = "gcal"};
	const char *paths[3];
	size_t counts[DIFF_NCOUNTS], n;
	const char *arg, *base = NULL, *key = NULL;
	struct cli *c;
	char *why;
	int k, r, exit_code = 0, stdins;

	cli_synopsis = synopsis;
	c = cli_new(options, 0);
	while ((k = cli_next(c, argc, argv, &arg)) != -1) {
		switch (k) {
		case 'k':
			key = arg;
			break;
		case OPT_OWNER:
			if (*arg == '\0') {
				cli_free(c);
				return usage_error("--owner: an empty name%s", "");
			}
			d.owner = arg;
			break;
		case OPT_ALL:
			d.all = 1;
			break;
		case OPT_BASE:
			base = arg;
			break;
		case OPT_PREFER:
			if ((r = diff_prefer_parse(arg)) == -1) {
				cli_free(c);
				return usage_error("--prefer '%s': not local, remote "
				    "or newest", arg);
			}
			d.prefer = r;
			break;
		case OPT_EXIT_CODE:
			exit_code = 1;
			break;
		}
	}
	cli_free(c);
	if (argc - optind != 2)
		return usage_error("%s", argc - optind < 2 ? "two files to compare "
		    "are needed" : "more than two files to compare");
	if (d.prefer != DIFF_PREFER_NONE && base == NULL)
		return usage_error("--prefer%s needs --base", "");
	stdins = (strcmp(argv[optind], "-") == 0) +
	    (strcmp(argv[optind + 1], "-") == 0) + (base && strcmp(base, "-") == 0);
	if (stdins > 1)
		return usage_error("only one file can be '-'%s", "");
	if (key && (d.key = jqprog_new(key, &why)) == NULL) {
		warnx("--key: %s", why);
		free(why);
		return EX_USAGE;
	}

	paths[0] = argv[optind];
	paths[1] = argv[optind + 1];
	paths[2] = base;
	n = diff_sets(paths, base ? 3 : 2, &d, stdout, counts);
	if (verbose)
		fprintf(stderr, "%zu %s, %zu %s, %zu %s, %zu %s\n",
		    counts[DIFF_INSERTS], plural(counts[DIFF_INSERTS], "insert",
		    "inserts"), counts[DIFF_UPDATES], plural(counts[DIFF_UPDATES],
		    "update", "updates"), counts[DIFF_DELETES],
		    plural(counts[DIFF_DELETES], "delete", "deletes"),
		    counts[DIFF_CONFLICTS], plural(counts[DIFF_CONFLICTS],
		    "conflict", "conflicts"));

	k = exit_code && n > 0 ? EXIT_PARTIAL : 0;
	jqprog_free(d.key);
	return finish_stdout(k);
}
