#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "graph_zone.h"
#include "zone.h"

struct zone_pair {
	const char *from;
	const char *to;
};

#include "graph_zone_table.h"

static int
pair_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct zone_pair *)elem)->from);
}

static const char *
lookup(const struct zone_pair *t, size_t n, const char *name)
{
	const struct zone_pair *p;

	if (name == NULL)
		return NULL;
	p = bsearch(name, t, n, sizeof(*t), pair_cmp);
	return p ? p->to : NULL;
}

const char *
graph_zone_iana(const char *win)
{
	if (win != NULL && strcmp(win, "UTC") == 0)
		return "UTC";
	if (lookup(iana_to_windows, sizeof(iana_to_windows) /
	    sizeof(*iana_to_windows), win) != NULL)
		return win;
	return lookup(windows_to_iana, sizeof(windows_to_iana) /
	    sizeof(*windows_to_iana), win);
}

const char *
graph_zone_windows(const char *iana)
{
	if (iana != NULL && strcmp(iana, "UTC") == 0)
		return "UTC";
	return lookup(iana_to_windows, sizeof(iana_to_windows) /
	    sizeof(*iana_to_windows), iana);
}

int
graph_zone_known(const char *iana)
{
	long off;

	if (iana == NULL)
		return 0;
	return strcmp(iana, "UTC") == 0 || zone_offset(iana, 0, &off) == 0;
}

int
graph_zone_instant(const char *datetime, const char *zone, long long *t)
{
	const char *iana = graph_zone_iana(zone);

	if (datetime == NULL || iana == NULL)
		return -1;
	return time_parse(datetime, iana, t);
}

int
graph_zone_format(long long t, const char *iana, int graph, char out[40])
{
	long off = 0;
	time_t lt;
	struct tm tm;
	int rc = 0;

	if (iana == NULL || zone_offset(iana, t, &off) == -1) {
		off = 0;
		rc = iana == NULL || strcmp(iana, "UTC") == 0 ? 0 : -1;
	}
	lt = (time_t)(t + off);
	gmtime_r(&lt, &tm);
	snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (graph)
		strlcat(out, ".0000000", 40);
	else if (off == 0)
		strlcat(out, "Z", 40);
	else
		snprintf(out + 19, 21, "%c%02ld:%02ld", off < 0 ? '-' : '+',
		    labs(off) / 3600, labs(off) % 3600 / 60);
	return rc;
}
