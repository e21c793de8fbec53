#include <err.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "state.h"
#include "util.h"

const char *const *cli_synopsis;

struct cli {
	const struct cli_option *opts;
	struct option *longopts;
	char shortopts[128];
};

struct cli *
cli_new(const struct cli_option *opts, int stop_at_operand)
{
	struct cli *c = xcalloc(1, sizeof(*c));
	size_t n, i, k = 0;

	for (n = 0; opts[n].name || opts[n].key; n++)
		;
	c->opts = opts;
	c->longopts = xcalloc(n + 1, sizeof(*c->longopts));
	/* ':' first: we report a missing argument ourselves */
	if (stop_at_operand)
		c->shortopts[k++] = '+';
	c->shortopts[k++] = ':';
	for (i = 0; i < n; i++) {
		c->longopts[i].name = opts[i].name;
		c->longopts[i].has_arg = opts[i].arg ? required_argument :
		    no_argument;
		c->longopts[i].val = opts[i].key;
		if (opts[i].key < 256 && k + 3 < sizeof(c->shortopts)) {
			c->shortopts[k++] = (char)opts[i].key;
			if (opts[i].arg)
				c->shortopts[k++] = ':';
		}
	}
	c->shortopts[k] = '\0';
	return c;
}

static const struct cli_option *
find(const struct cli *c, int key)
{
	const struct cli_option *o;

	for (o = c->opts; o->name || o->key; o++)
		if (o->key == key)
			return o;
	return NULL;
}

int
cli_next(struct cli *c, int argc, char **argv, const char **arg)
{
	int key;

	opterr = 0;
again:
	key = getopt_long(argc, argv, c->shortopts, c->longopts, NULL);
	*arg = optarg;
	if (key == 'v' || key == 'q') {
		if (key == 'v')
			verbose++;
		else
			quiet = 1;
		goto again;
	}
	switch (key) {
	case '?':
		if (optopt && optopt < 256)
			cli_usage_error("unknown option -%c", optopt);
		cli_usage_error("unknown option '%s'", argv[optind - 1]);
	case ':':
		cli_usage_error("option '%s' needs an argument", argv[optind - 1]);
	case CLI_HELP:
		cli_usage(stdout, cli_synopsis, c->opts);
		exit(finish_stdout(0));
	case CLI_VERSION:
		printf("%s %s\n", getprogname(), GCAL_VERSION);
		exit(finish_stdout(0));
	}
	return key;
}

void
cli_try_help(void)
{
	fprintf(stderr, "Try '%s --help'.\n", getprogname());
}

void
cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	cli_try_help();
	exit(EX_USAGE);
}

void
cli_no_operands(int argc, char **argv)
{
	if (optind >= argc)
		return;
	cli_usage_error("unexpected operand '%s'", argv[optind]);
}

void
cli_check_cmd(const struct cli *c, int key, const char *cmd)
{
	const struct cli_option *o = find(c, key);
	const char *p;
	size_t n = strlen(cmd);

	if (o == NULL || o->cmds == NULL)
		return;
	for (p = o->cmds; (p = strstr(p, cmd)) != NULL; p += n)
		if ((p == o->cmds || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return;
	warnx("option --%s does not apply to '%s'", o->name, cmd);
	exit(EX_USAGE);
}

void
cli_free(struct cli *c)
{
	if (c == NULL)
		return;
	free(c->longopts);
	free(c);
}

const char *
cli_subcommand(const struct cli_option *opts, const char *const *cmds,
    int *argc, char ***argv)
{
	struct cli *c;
	const char *arg, *cmd;
	size_t i;
	int key;

	c = cli_new(opts, 1);
	while ((key = cli_next(c, *argc, *argv, &arg)) != -1) {
		if (key != 'p') {
			cli_usage_error("give options after the subcommand");
		}
		state_set_profile(arg);
	}
	cli_free(c);
	if (optind >= *argc) {
		cli_usage(stderr, cli_synopsis, opts);
		exit(EX_USAGE);
	}
	cmd = (*argv)[optind];
	for (i = 0; cmds[i] && strcmp(cmd, cmds[i]) != 0; i++)
		;
	if (cmds[i] == NULL) {
		cli_usage_error("unknown subcommand '%s'", cmd);
	}
	*argc -= optind;
	*argv += optind;
	optind = 1;
	return cmd;
}

void
cli_usage(FILE *fp, const char *const *synopsis, const struct cli_option *opts)
{
	const struct cli_option *o;
	char left[64];
	size_t i;

	for (i = 0; synopsis && synopsis[i]; i++)
		fprintf(fp, "%s %s %s\n", i == 0 ? "usage:" : "      ",
		    getprogname(), synopsis[i]);
	fprintf(fp, "\noptions:\n");
	for (o = opts; o->name || o->key; o++) {
		if (o->key < 256)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->key,
			    o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name,
			    o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(fp, "  %-30s  %s\n", left, o->help);
	}
}

long long
cli_number(const char *opt, const char *s, long long min, long long max)
{
	const char *errstr;
	long long v = strtonum(s, min, max, &errstr);

	if (errstr != NULL)
		errx(EX_USAGE, "%s '%s': %s (from %lld to %lld)", opt, s, errstr,
		    min, max);
	return v;
}
