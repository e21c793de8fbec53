/* gcal-pull: bring the local mirror of a calendar up to date with the
 * fewest requests Google allows (sync tokens), and print its events as
 * NDJSON. See gcal-pull(1); the engine is lib/pull.c. */
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "events.h"
#include "http.h"
#include "json.h"
#include "pull.h"
#include "quota.h"
#include "state.h"
#include "util.h"

enum {
	OPT_FULL = CLI_FIRST_LONG, OPT_CHANGES, OPT_EXPAND, OPT_FROM, OPT_TO,
	OPT_FILTER,
};

static const struct cli_option options[] = {
	{"profile", 'p', "PROFILE", NULL, "the link to pull (default: $GCAL_PROFILE or 'default')"},
	{"calendar", 'c', "CALENDAR", NULL, "a calendar id (repeatable; default: the profile's chosen one)"},
	{"full", OPT_FULL, NULL, NULL, "pull everything again instead of what changed"},
	{"changes", OPT_CHANGES, NULL, NULL, "print only what changed since the last pull, deletions included"},
	{"expand", OPT_EXPAND, NULL, NULL, "recurring events as single instances (singleEvents)"},
	{"from", OPT_FROM, "TIME", NULL, "print only events ending after TIME (RFC 3339 or a date)"},
	{"to", OPT_TO, "TIME", NULL, "print only events starting before TIME"},
	{"filter", OPT_FILTER, "JQ", NULL, "a jq program applied to each event before printing"},
	{"verbose", 'v', NULL, NULL, "trace each HTTP exchange on stderr, secrets redacted (twice: bodies too)"},
	CLI_COMMON_OPTIONS,
};

static const char *const synopsis[] = {
	"[-p PROFILE] [-c CALENDAR]... [--full] [--changes] [--expand] [--from TIME] [--to TIME] [--filter JQ]",
	NULL,
};

/* Each event as one line of stdout. */
static void
print_record(void *arg, const char *json, size_t len)
{
	(void)arg;
	fwrite(json, 1, len, stdout);
	putchar('\n');
}

static long long
time_option(const char *opt, const char *s)
{
	long long t;

	if (time_parse(s, NULL, &t) == -1)
		errx(EX_USAGE, "%s '%s': not an RFC 3339 time or a date "
		    "(2026-11-23T10:00:00+01:00, 2026-11-23)", opt, s);
	return t;
}

int
main(int argc, char *argv[])
{
	struct pull_options p = {.from = LLONG_MIN, .to = LLONG_MAX,
	    .record = print_record};
	const char **cals = NULL, *arg, *filter = NULL;
	size_t ncals = 0;
	struct cli *c;
	struct quota *q;
	char *why;
	jv prof;
	int key, rc;

	cli_synopsis = synopsis;
	c = cli_new(options, 0);
	while ((key = cli_next(c, argc, argv, &arg)) != -1) {
		switch (key) {
		case 'p':
			state_set_profile(arg);
			break;
		case 'c':
			cals = xreallocarray(cals, ncals + 1, sizeof(*cals));
			cals[ncals++] = arg;
			break;
		case OPT_FULL:
			p.full = 1;
			break;
		case OPT_CHANGES:
			p.changes = 1;
			break;
		case OPT_EXPAND:
			p.expand = 1;
			break;
		case OPT_FROM:
			p.from = time_option("--from", arg);
			break;
		case OPT_TO:
			p.to = time_option("--to", arg);
			break;
		case OPT_FILTER:
			filter = arg;
			break;
		}
	}
	cli_free(c);
	cli_no_operands(argc, argv);
	http_check_env();
	if (p.from >= p.to) {
		warnx("--from must come before --to");
		return EX_USAGE;
	}
	if (filter && (p.filter = jqprog_new(filter, &why)) == NULL) {
		warnx("--filter: %s", why);
		free(why);
		return EX_USAGE;
	}
	p.profile = state_profile();
	p.calendars = cals;
	p.ncalendars = ncals;
	if ((rc = state_profile_load(p.profile, &prof)) == 0) {
		q = quota_open(prof);
		p.pacer = quota_pacer(q);
		jv_free(prof);
		rc = pull_run(&p, NULL);
		quota_close(q);
	}
	free(cals);
	jqprog_free(p.filter);
	http_cleanup();
	return finish_stdout(rc);
}
