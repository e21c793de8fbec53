/* run_status: see run_status.h. */
#include <stdio.h>

#include "json.h"
#include "run.h"
#include "run_status.h"
#include "util.h"

static void
prom_line(const char *metric, const char *profile, const char *job,
    double v)
{
	/* profile names are letters, digits and -_. : nothing to escape */
	printf("%s{profile=\"%s\",job=\"%s\"} %.15g\n", metric, profile,
	    job, v);
}

static const char *const prom_help[][3] = {
	{"gcal_run_last_status", "gauge", "exit status of the link's last run"},
	{"gcal_run_last_run_timestamp_seconds", "gauge", "when the link's last run started"},
	{"gcal_run_last_duration_seconds", "gauge", "how long the link's last run took"},
	{"gcal_run_last_requests", "gauge", "requests of the link's last run"},
	{"gcal_run_last_changes", "gauge", "changes the link's last run saw"},
	{"gcal_run_failures", "gauge", "runs in a row that ended 75"},
	{"gcal_run_needs_human", "gauge", "1 when the link is skipped until linked again"},
};

static void
prom_record(const char *name, const struct run_record *r, enum run_health h)
{
	const char *job = r->when ? r->job : "";
	double v[7] = {r->status, (double)r->when, r->duration_ms / 1000.0,
	    (double)r->requests, (double)r->changes, r->failures, h == RUN_HUMAN};
	size_t i;

	for (i = 0; i < 7; i++) {
		if (r->when == 0 && i != 6)
			continue;
		if ((i == 3 && r->requests < 0) || (i == 4 && r->changes < 0))
			continue;
		prom_line(prom_help[i][0], name, job, v[i]);
	}
}

int
run_status_print(char *const *names, enum run_status_form form)
{
	struct run_record r;
	size_t counts[RUN_FAILING + 1] = {0}, i;
	enum run_health h;
	int rc = 0, prometheus = form == RUN_STATUS_PROMETHEUS;
	int term = form == RUN_STATUS_SUMMARY;
	char *const *p;
	char fp[64];
	jv o;

	for (i = 0; prometheus && i < 7; i++)
		printf("# HELP %s %s\n# TYPE %s %s\n", prom_help[i][0],
		    prom_help[i][2], prom_help[i][0], prom_help[i][1]);
	for (p = names; *p; p++) {
		if (run_record_read(*p, &r) == -1) {
			rc = EX_CONFIG;
			continue;
		}
		run_link_print(*p, fp);
		h = run_health_of(&r, fp);
		counts[h]++;
		if (prometheus)
			prom_record(*p, &r, h);
		else if (term && h != RUN_OK && h != RUN_NEVER)
			printf("%-24s %-12s %s, exit %d\n", *p, run_health_name(h),
			    r.job, r.status);
		else if (!term) {
			o = run_record_json(*p, &r);
			json_print(stdout, json_set_str(o, "health",
			    run_health_name(h)));
		}
	}
	if (term)
		printf("%zu links: %zu ok, %zu backing off, %zu to link again, "
		    "%zu at the daily limit, %zu failing, %zu never run\n",
		    (size_t)(p - names), counts[RUN_OK], counts[RUN_BACKOFF],
		    counts[RUN_HUMAN], counts[RUN_DAILY], counts[RUN_FAILING],
		    counts[RUN_NEVER]);
	return rc;
}

