/* pull: bring a profile's calendar mirrors up to date and hand their events on.
 *
 * The engine of gcal-pull(1), for one link per call: no globals, no
 * exit(3), so that one process can pull many links, in several threads
 * (each with its own struct pull_options and jq program). Messages go to
 * stderr through warnx(3). */
#ifndef GCAL_PULL_H
#define GCAL_PULL_H

#include <stddef.h>

#include "http.h"
#include "json.h"

struct pull_options {
	const char *profile;
	jv prof;                      /* its profile.json, borrowed; or
	                               * invalid (zeroed): read it here */
	const char *const *calendars; /* ncalendars ids; 0: the profile's */
	size_t ncalendars;
	int full;       /* everything again, not what changed */
	int changes;    /* only what changed, deletions included */
	int expand;     /* singleEvents */
	long long from; /* LLONG_MIN: no lower bound */
	long long to;   /* LLONG_MAX: no upper bound */
	struct jqprog *filter;          /* borrowed, or NULL */
	const struct http_pacer *pacer; /* on every Calendar API request */
	/* Each event line (no newline; json is borrowed). */
	void (*record)(void *arg, const char *json, size_t len);
	void *arg;
};

struct pull_stats {
	long changes;  /* records that changed (when computed: incremental
	                * pulls, or opts.changes) */
	int filter_failed;
};

/* Pull opts.profile under its run lock. 0 or an exit status (message
 * printed); EX_DATAERR when --filter failed on some event. stats may be
 * NULL. */
int pull_run(const struct pull_options *opts, struct pull_stats *stats);

#endif
