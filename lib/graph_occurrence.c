/* graph_occurrence: instance ids resolved to Graph's occurrence ids (see
 * graph_occurrence.h). */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_time.h"
#include "graph.h"
#include "graph_instance.h"
#include "graph_map.h"
#include "graph_occurrence.h"
#include "http.h"
#include "json.h"
#include "util.h"

#define DAY (24 * 3600LL)
#define PAGE 100

static jv known; /* what remember put there */

/* key: an instance id -> {id, etag} of its occurrence, or null (none);
 * a series id -> false (Graph knows no such series). */
static void
remember(const char *key, jv v)
{
	if (!jv_is_valid(known))
		known = jv_object();
	known = jv_object_set(known, jv_string(key), v);
}

/* The instances of one listing page (borrowed) into the table; whether
 * want was among them. */
static int
take_page(jv page, const char *master, const char *want)
{
	jv list = json_get(page, "value"), ev, rec;
	const char *id, *sfx;
	char *iid;
	int i, n, found = 0;

	n = jv_get_kind(list) == JV_KIND_ARRAY ? jv_array_length(jv_copy(list)) : 0;
	for (i = 0; i < n; i++) {
		ev = jv_array_get(jv_copy(list), i);
		/* named as graph_map names it for gcal-pull, whatever its
		 * rule (an all-day one's date is the series' zone's) */
		rec = graph_to_record(jv_copy(ev));
		id = json_str(ev, "id");
		sfx = jv_is_valid(rec) && json_str(rec, "id") ?
		    strrchr(json_str(rec, "id"), '_') : NULL;
		/* the series as the record names it (either id type) */
		if (id && sfx) {
			iid = xasprintf("%s%s", master, sfx);
			remember(iid, JV_OBJECT(jv_string("id"), jv_string(id),
			    jv_string("etag"), json_get(ev, "@odata.etag"),
			    jv_string("plain"), jv_bool(json_str(ev, "type") &&
			    strcmp(json_str(ev, "type"), "occurrence") == 0)));
			found |= strcmp(iid, want) == 0;
			free(iid);
		}
		jv_free(rec);
		jv_free(ev);
	}
	jv_free(list);
	return found;
}

/* List the series' instances over [t - span, t + span), every page:
 * 0 with *found, or with *status and *answer when Graph refused; an
 * exit status when it could not be asked. */
static int
list_window(struct calendar_api *api, const char *master, long long t,
    long long span, const char *want, int *found, long *status, jv *answer)
{
	struct http_response resp;
	char from[32], to[32], *m = url_escape(master), *url;
	const char *next;
	int rc = 0;

	time_rfc3339(t - span, from);
	time_rfc3339(t + span, to);
	url = xasprintf("/v1.0/me/events/%s/instances?startDateTime=%s&"
	    "endDateTime=%s", m, from, to);
	free(m);
	*found = 0;
	while (url && !*found) {
		rc = graph_get(api, url, PAGE, &resp);
		free(url);
		url = NULL;
		if (rc != 0)
			break;
		if (resp.status != 200) {
			*status = resp.status;
			*answer = jv_copy(resp.json);
		} else {
			*found = take_page(resp.json, master, want);
			if ((next = json_str(resp.json, "@odata.nextLink")) != NULL)
				url = xstrdup(next);
		}
		http_response_free(&resp);
	}
	free(url);
	return rc;
}

/* Outlook keeps a moved occurrence between its neighbours (it refuses
 * the move with ErrorOccurrenceCrossingBoundary), so an exception lies
 * within one period of the pattern around its original start: a day
 * holds a daily series', a month a weekly or monthly one's, a year a
 * yearly one's. The windows widen so, rather than reading the series'
 * pattern first: an occurrence left where it was, or moved within its
 * day, costs one request, not two. An exception of a series of longer
 * period moved more than a year is not found (404). */
static const long long spans[] = {DAY, 31 * DAY, 366 * DAY};

/* What the table says of key: 1 with *occ and *etag (the caller's;
 * *occ NULL: no such instance, or the id itself when key is an unknown
 * series), else 0. */
static int
cached(const char *key, const char *id, char **occ, char **etag)
{
	jv v;
	const char *s;

	if (!jv_is_valid(known))
		known = jv_object();
	if (!jv_object_has(jv_copy(known), jv_string(key)))
		return 0;
	v = json_get(known, key);
	*occ = jv_get_kind(v) == JV_KIND_OBJECT ? xstrdup(json_str(v, "id")) :
	    jv_get_kind(v) == JV_KIND_FALSE ? xstrdup(id) : NULL;
	if (etag)
		*etag = (s = json_str(v, "etag")) != NULL ? xstrdup(s) : NULL;
	jv_free(v);
	return 1;
}

int
graph_occurrence(struct calendar_api *api, const char *id, char **occ,
    char **etag, long *status, jv *answer)
{
	char *master = NULL;
	long long t;
	int allday, found = 0, rc = 0;
	size_t i;

	*occ = NULL;
	if (etag)
		*etag = NULL;
	*status = 200;
	*answer = jv_invalid();
	if (graph_instance_parse(id, &master, &t, &allday) == -1) {
		*occ = xstrdup(id);
		return 0;
	}
	if (cached(master, id, occ, etag) || cached(id, id, occ, etag)) {
		*status = *occ ? 200 : 404;
		free(master);
		return 0;
	}
	for (i = 0; i < sizeof(spans) / sizeof(spans[0]) && !found; i++)
		if ((rc = list_window(api, master, t, spans[i], id, &found,
		    status, answer)) != 0 || *status != 200)
			break;
	if (rc == 0 && *status == 404) {
		/* no such series: the id is Graph's own, or nothing */
		remember(master, jv_false());
		jv_free(*answer);
		*answer = jv_invalid();
		*status = 200;
		*occ = xstrdup(id);
	} else if (rc == 0 && *status == 200 && found)
		cached(id, id, occ, etag);
	else if (rc == 0 && *status == 200) {
		remember(id, jv_null());
		*status = 404;
	}
	if (verbose && *occ && strcmp(*occ, id) != 0)
		warnx("instance '%s' is Graph's occurrence '%s'", id, *occ);
	free(master);
	return rc;
}

int
graph_occurrence_plain(const char *id)
{
	jv v;
	int yes;

	if (!jv_is_valid(known))
		return 0;
	v = json_get(known, id);
	yes = jv_get_kind(v) == JV_KIND_OBJECT &&
	    json_kind(v, "plain") == JV_KIND_TRUE;
	jv_free(v);
	return yes;
}
