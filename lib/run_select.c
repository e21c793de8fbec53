/* run_select: see run_select.h. */
#include <sys/wait.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "run.h"
#include "run_select.h"
#include "state.h"
#include "util.h"

static int
listed(const char *name, char *const *list)
{
	for (; list && *list; list++)
		if (strcmp(*list, name) == 0)
			return 1;
	return 0;
}

/* The names of --profiles A,B,...; every one must exist (else 78). */
static char **
named_profiles(const char *arg, char **all, int *rc)
{
	char **v = NULL, *s = xstrdup(arg), *p = s, *comma;
	size_t n = 0;

	for (;;) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (*p && !listed(p, all)) {
			warnx("--profiles: no profile '%s'", p);
			*rc = EX_CONFIG;
		} else if (*p) {
			v = xreallocarray(v, n + 2, sizeof(*v));
			v[n++] = xstrdup(p);
			v[n] = NULL;
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	free(s);
	return v;
}

/* The profiles of gcal-auth list that the jq program selects (an output
 * that is neither false nor null), NULL-terminated. */
static char **
filtered(const char *program, int *rc)
{
	struct jqprog *jq;
	char *why, **v = NULL;
	struct ndjson_reader *r;
	size_t n = 0;
	FILE *fp;
	jv rec, out;
	int got, keep, st;

	if ((jq = jqprog_new(program, &why)) == NULL)
		errx(EX_USAGE, "--filter: %s", why);
	/* the records a user sees: the filter means what it says there */
	if ((fp = popen("gcal-auth list", "r")) == NULL)
		err(EX_OSERR, "gcal-auth list");
	why = xasprintf("/dev/fd/%d", fileno(fp));
	r = ndjson_open(why);
	free(why);
	if (r == NULL)
		err(EX_OSERR, "gcal-auth list");
	while ((got = ndjson_read(r, &rec)) == 1) {
		keep = 0;
		jqprog_start(jq, jv_copy(rec));
		while ((st = jqprog_next(jq, &out)) == 1) {
			jv_kind k = jv_get_kind(out);

			keep |= k != JV_KIND_FALSE && k != JV_KIND_NULL;
			jv_free(out);
		}
		if (st == -1) {
			why = json_error_text(out);
			warnx("--filter: profile '%s': %s", json_str(rec, "profile"),
			    why);
			free(why);
			*rc = EX_DATAERR;
		}
		if (keep && json_str(rec, "profile")) {
			v = xreallocarray(v, n + 2, sizeof(*v));
			v[n++] = xstrdup(json_str(rec, "profile"));
			v[n] = NULL;
		}
		jv_free(rec);
	}
	if (got == -1)
		errx(EX_UNAVAILABLE, "gcal-auth list: %s", ndjson_error(r));
	ndjson_close(r);
	st = pclose(fp);
	/* 78: some profile is damaged, which list shows; others are listed */
	if (st == -1 || !WIFEXITED(st) || (WEXITSTATUS(st) != 0 &&
	    WEXITSTATUS(st) != EX_CONFIG))
		errx(EX_UNAVAILABLE, "gcal-auth list failed");
	jqprog_free(jq);
	if (v == NULL)
		v = xcalloc(1, sizeof(*v));
	return v;
}

char **
run_select(const char *profiles, const char *filter, int shard, int shards,
    int *rc)
{
	char **all = state_profiles(), **named = NULL, **sel = NULL, **p;
	size_t n = 0;

	if (profiles)
		named = named_profiles(profiles, all, rc);
	if (filter)
		sel = filtered(filter, rc);
	for (p = all; *p; p++) {
		if ((profiles && !listed(*p, named)) ||
		    (filter && !listed(*p, sel)) ||
		    !run_in_shard(*p, shard, shards)) {
			free(*p);
			continue;
		}
		all[n++] = *p;
	}
	all[n] = NULL;
	state_free_list(named);
	state_free_list(sel);
	return all;
}

