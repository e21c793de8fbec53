#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "events.h"
#include "graph.h"
#include "graph_instance.h"
#include "graph_map.h"
#include "graph_pull.h"
#include "json.h"
#include "state.h"
#include "util.h"

/* graph2: the instance map follows the link (graph1 had none: a token
 * of it is pulled in full once) */
#define TOKEN_TAG "graph2"
#define DAY 86400LL
/* no id has these: they would break the mirror's lines */
#define CONTROLS "\001\002\003\004\005\006\007\010\011\012\013\014\015" \
	"\016\017\020\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037\177"

struct window {
	long long start, end; /* epoch seconds */
};

static int
days_ok(jv prof, const char *key)
{
	jv v = json_get(prof, key);
	jv_kind k = jv_get_kind(v);

	jv_free(v);
	return k == JV_KIND_NULL || k == JV_KIND_NUMBER;
}

/* The wanted window: whole UTC days around now, as the profile says. */
static int
wanted(const char *profile, struct window *w)
{
	jv prof = jv_invalid();
	double past = 365, future = 730;
	long long today = now_s() / DAY * DAY;
	int rc;

	if ((rc = state_profile_load(profile, &prof)) != 0)
		return rc;
	past = json_num(prof, "window_past_days", past);
	future = json_num(prof, "window_future_days", future);
	/* present but no number is as wrong as out of range */
	if (!days_ok(prof, "window_past_days") ||
	    !days_ok(prof, "window_future_days"))
		past = -1;
	jv_free(prof);
	if (past < 0 || past > 36500 || future < 1 || future > 36500 ||
	    past != (long long)past || future != (long long)future) {
		warnx("profile '%s': window_past_days and window_future_days "
		    "must be whole days, 0-36500 and 1-36500", profile);
		return EX_CONFIG;
	}
	w->start = today - (long long)past * DAY;
	w->end = today + (long long)future * DAY;
	return 0;
}

/* One delta round, as Google's events.list gives it (graph_pull.h). */
struct round {
	int expand;
	const char *what;
	int (*fn)(jv, void *);
	void *arg;
	jv map;    /* Graph id -> instance id, every instance seen */
	jv series; /* series ids whose instances the round lists */
	jv held;   /* exceptions and cancelled instances (no --expand),
	            * given after their series' master */
};

/* The map's key for Graph's id of an instance: 64 bits of its SHA-256
 * in hex (Graph's ids are some 150 bytes; a map of a daily series over
 * the window holds a thousand). */
static void
map_key(const char *id, char out[17])
{
	sha256_hex(id, 8, out);
}

/* One line of a token's map: "=SERIES" names the next series (numbered
 * from 0), "KEY N START" an instance of series N. 0, or -1 when the
 * line is none of these. */
static int
map_line(const char *p, size_t n, jv *series, jv *map)
{
	char line[64], *w, *key, *num, *start, *iid, *master;
	const char *err = NULL;
	jv m;
	long long k, t;
	int allday, ok;

	if (n > 1 && p[0] == '=') {
		*series = jv_array_append(*series, jv_string_sized(p + 1,
		    (int)(n - 1)));
		return 0;
	}
	/* "KEY N START": 16 + 1 + up to 10 + 1 + 16 */
	if (n == 0 || n >= sizeof(line))
		return -1;
	memcpy(line, p, n);
	line[n] = '\0';
	w = line;
	key = str_word(&w, " ");
	num = str_word(&w, " ");
	start = str_word(&w, " ");
	if (key == NULL || strlen(key) != 16 || num == NULL || start == NULL ||
	    (w != NULL && *w != '\0'))
		return -1;
	k = strtonum(num, 0, jv_array_length(jv_copy(*series)) - 1, &err);
	if (err != NULL)
		return -1;
	m = jv_array_get(jv_copy(*series), (int)k);
	iid = xasprintf("%s_%s", jv_string_value(m), start);
	jv_free(m);
	ok = graph_instance_parse(iid, &master, &t, &allday) == 0;
	if (ok) {
		free(master);
		*map = json_set_str(*map, key, iid);
	}
	free(iid);
	return ok ? 0 : -1;
}

/* The window, link and instance map of a token; -1 when it is none of
 * ours or damaged. */
static int
token_parse(const char *token, struct window *w, char **link, jv *map)
{
	char tag[8], s[32], e[32];
	const char *p, *nl = NULL;
	jv series = jv_array();
	int n = 0, rc = 0;

	*map = jv_object();
	*link = NULL;
	if (sscanf(token, "%7s %31s %31s %n", tag, s, e, &n) != 3 || n == 0 ||
	    strcmp(tag, TOKEN_TAG) != 0 || time_parse(s, NULL, &w->start) ==
	    -1 || time_parse(e, NULL, &w->end) == -1)
		rc = -1;
	if (rc == 0) {
		p = token + n;
		nl = strchr(p, '\n');
		*link = xstrndup(p, nl ? (size_t)(nl - p) : strlen(p));
		if (**link == '\0' || strchr(*link, ' ') != NULL)
			rc = -1;
	}
	for (p = nl; rc == 0 && p != NULL; p = nl) {
		p++;
		nl = strchr(p, '\n');
		rc = map_line(p, nl ? (size_t)(nl - p) : strlen(p), &series, map);
	}
	jv_free(series);
	if (rc == -1) {
		free(*link);
		*link = NULL;
		jv_free(*map);
		*map = jv_object();
	}
	return rc;
}

/* The token: window, link, and the map's lines by key, each series
 * named before its first instance (the same state gives the same
 * bytes). */
static char *
token_make(const struct window *w, const char *link, jv map)
{
	struct buf b = {0};
	char s[32], e[32];
	const char *iid, *us;
	jv keys = jv_keys(jv_copy(map)), series = jv_object(), k, master;
	int i, n = jv_array_length(jv_copy(keys)), nseries = 0;

	time_rfc3339(w->start, s);
	time_rfc3339(w->end, e);
	buf_printf(&b, "%s %s %s %s", TOKEN_TAG, s, e, link);
	for (i = 0; i < n; i++) {
		k = jv_array_get(jv_copy(keys), i);
		iid = json_str(map, jv_string_value(k));
		us = strrchr(iid, '_'); /* graph_instance_id made it */
		master = jv_string_sized(iid, (int)(us - iid));
		if (!jv_object_has(jv_copy(series), jv_copy(master))) {
			buf_printf(&b, "\n=%s", jv_string_value(master));
			series = jv_object_set(series, jv_copy(master),
			    jv_number(nseries++));
		}
		buf_printf(&b, "\n%s %d %s", jv_string_value(k),
		    (int)jv_number_value(jv_object_get(jv_copy(series), master)),
		    us + 1);
		jv_free(k);
	}
	jv_free(series);
	jv_free(keys);
	return buf_take(&b);
}

static char *
first_url(const char *calendar, const struct window *w)
{
	char s[32], e[32], *tail, *path;

	time_rfc3339(w->start, s);
	time_rfc3339(w->end, e);
	tail = xasprintf("/calendarView/delta?startDateTime=%s&endDateTime=%s",
	    s, e);
	path = graph_calendar_path(calendar, tail);
	free(tail);
	return path;
}

static jv
stub(const char *id)
{
	return json_set_str(json_set_str(json_set_str(jv_object(), "id", id),
	    "kind", "calendar#event"), "status", "cancelled");
}

/* A removal: Graph names the item it removed by its own id only; the
 * map says which instance it was. */
static jv
removed(struct round *r, const char *id, int *instance)
{
	const char *iid;
	char key[17];
	jv rec;

	map_key(id, key);
	iid = json_str(r->map, key);

	*instance = 0;
	if (iid == NULL || !jv_is_valid(rec = graph_instance_cancelled(iid)))
		return stub(id); /* a single event, or unknown */
	*instance = 1;
	r->series = json_set(r->series, json_str(rec, "recurringEventId"),
	    jv_true());
	r->map = jv_object_delete(r->map, jv_string(key));
	return rec;
}

/* An instance seen: Graph's id and its instance id iid (consumed) in
 * the map, its series among those of the round. Invalid with a message
 * when iid is NULL (no series or original start to name it by), else
 * true. */
static jv
seen(struct round *r, const char *id, const char *series, char *iid)
{
	char key[17];

	if (iid == NULL || series == NULL) {
		free(iid);
		return json_fail("an occurrence without a usable seriesMasterId "
		    "and originalStart%s", NULL);
	}
	map_key(id, key);
	r->map = json_set_str(r->map, key, iid);
	r->series = json_set(r->series, series, jv_true());
	free(iid);
	return jv_true();
}

/* One item of a delta page (consumed): given to fn, held for the end
 * of the round, or dropped (an occurrence without --expand). */
static int
give(struct round *r, jv item)
{
	const char *id = json_str(item, "id"), *rid, *type;
	jv rm = json_get(item, "@removed"), rec;
	char *why;
	int rc, instance = 0, hold = 0;

	if (id == NULL || *id == '\0' || strcspn(id, CONTROLS) != strlen(id)) {
		warnx("%s: Graph's answer is unusable: an item without an id "
		    "(or with a control character in it)", r->what);
		jv_free(rm);
		jv_free(item);
		return EX_UNAVAILABLE;
	}
	if (jv_get_kind(rm) == JV_KIND_OBJECT) {
		rec = removed(r, id, &instance);
		hold = instance && !r->expand;
	} else if ((type = json_str(item, "type")) != NULL && !r->expand &&
	    strcmp(type, "occurrence") == 0) {
		/* not printed: only its instance id is wanted */
		hold = -1;
		rec = seen(r, id, json_str(item, "seriesMasterId"),
		    graph_instance_id(json_str(item, "seriesMasterId"),
		    json_str(item, "originalStart"), json_kind(item, "isAllDay") ==
		    JV_KIND_TRUE));
	} else {
		hold = type && strcmp(type, "exception") == 0 && !r->expand;
		rec = graph_to_record(jv_copy(item));
		if (jv_is_valid(rec) && (rid = json_str(rec, "recurringEventId")))
			jv_free(seen(r, id, rid, xstrdup(json_str(rec, "id"))));
	}
	jv_free(rm);
	if (!jv_is_valid(rec)) {
		why = json_error_text(rec);
		warnx("%s: Graph's answer is unusable: event '%s': %s", r->what,
		    id, why);
		free(why);
		jv_free(item);
		return EX_UNAVAILABLE;
	}
	jv_free(item);
	if (hold == -1) {
		jv_free(rec);
		return 0;
	}
	if (hold) {
		r->held = jv_array_append(r->held, rec);
		return 0;
	}
	rc = r->fn(rec, r->arg);
	jv_free(rec);
	return rc;
}

/* The items of one page to give; *next (the caller's) the link after it,
 * *done set when it is the deltaLink. */
static int
page_items(struct round *r, jv page, char **next, int *done)
{
	jv value = json_get(page, "value");
	const char *nl = json_str(page, "@odata.nextLink");
	const char *dl = json_str(page, "@odata.deltaLink");
	int i, n, rc = 0;

	if (jv_get_kind(value) != JV_KIND_ARRAY || (nl == NULL) == (dl == NULL)) {
		warnx("%s: Graph's answer is unusable: a delta page needs a "
		    "\"value\" array and one of @odata.nextLink, "
		    "@odata.deltaLink", r->what);
		jv_free(value);
		return EX_UNAVAILABLE;
	}
	n = jv_array_length(jv_copy(value));
	for (i = 0; i < n && rc == 0; i++)
		rc = give(r, jv_array_get(jv_copy(value), i));
	jv_free(value);
	*next = xstrdup(nl ? nl : dl);
	*done = dl != NULL;
	return rc;
}

/* The series master (Graph's "Get event", with gcal's extended property
 * as every read of ours asks), as a record in *rec; a series Graph no
 * longer has (404) as its cancelled stub, as Google lists a deleted
 * recurring event. */
static int
master_of(struct calendar_api *api, const char *what, const char *id,
    jv *rec)
{
	struct http_response resp;
	char *eid = url_escape(id), *xp = url_escape("singleValueExtendedProperties"
	    "($filter=id eq '" GRAPH_PRIVATE_PROP "')"), *url, *why;
	int rc;

	url = xasprintf("/v1.0/me/events/%s?$expand=%s", eid, xp);
	free(eid);
	free(xp);
	*rec = jv_invalid();
	rc = graph_get(api, url, 0, &resp);
	free(url);
	if (rc == 0 && resp.status == 404)
		*rec = stub(id);
	else if (rc == 0 && resp.status != 200)
		rc = graph_failure(&resp, what);
	else if (rc == 0 && (!jv_is_valid(*rec = graph_to_record(
	    jv_copy(resp.json))) ||
	    json_str(*rec, "id") == NULL ||
	    strcmp(json_str(*rec, "id"), id) != 0)) {
		why = jv_is_valid(*rec) ? xstrdup("not the series asked for") :
		    json_error_text(jv_copy(*rec));
		warnx("%s: Graph's answer is unusable: series '%s': %s", what,
		    id, why);
		free(why);
		jv_free(*rec);
		*rec = jv_invalid();
		rc = EX_UNAVAILABLE;
	}
	http_response_free(&resp);
	return rc;
}

/* The end of a round without --expand: the master of every series whose
 * instances it listed (one request each), then the held instances of
 * the series that are still there; a deleted series is its master's
 * stub alone (mirror.h: its instances go with it). */
static int
give_series(struct calendar_api *api, struct round *r)
{
	jv keys = jv_keys(jv_copy(r->series)), gone = jv_object(), rec, k;
	const char *rid;
	int i, n = jv_array_length(jv_copy(keys)), rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		k = jv_array_get(jv_copy(keys), i);
		rc = master_of(api, r->what, jv_string_value(k), &rec);
		if (rc == 0 && json_kind(rec, "start") != JV_KIND_OBJECT)
			gone = json_set(gone, jv_string_value(k), jv_true());
		if (rc == 0)
			rc = r->fn(rec, r->arg);
		jv_free(rec);
		jv_free(k);
	}
	n = jv_array_length(jv_copy(r->held));
	for (i = 0; i < n && rc == 0; i++) {
		rec = jv_array_get(jv_copy(r->held), i);
		rid = json_str(rec, "recurringEventId");
		if (rid == NULL || json_kind(gone, rid) != JV_KIND_TRUE)
			rc = r->fn(rec, r->arg);
		jv_free(rec);
	}
	jv_free(gone);
	jv_free(keys);
	return rc;
}

/* A full round lists no occurrence removed since the round before
 * (Graph v1.0 lists no cancelled occurrence; cancelledOccurrences is
 * beta only), where Google's full list gives it as a cancelled instance:
 * each instance the token was (of the round before) names, of a series
 * this round lists, in its window w, that this round did not see, is
 * given so (after a 410, an occurrence deleted in Outlook was taken for
 * gone, and the local side deleted its exception: sync-model seeds
 * 1619236107, 2128397881). */
static int
removed_since(struct round *r, const char *was, const struct window *w)
{
	struct window w0;
	char *link, *master;
	long long start;
	int allday, rc = 0;
	jv old, now = jv_object(), rec;

	if (token_parse(was, &w0, &link, &old) == -1) {
		jv_free(old);
		jv_free(now);
		return 0; /* of another version: nothing to go by */
	}
	free(link);
	jv_object_foreach(r->map, k, iid) {
		now = jv_object_set(now, iid, jv_true());
		jv_free(k);
	}
	jv_object_foreach(old, k, iid) {
		if (rc == 0 && json_kind(now, jv_string_value(iid)) != JV_KIND_TRUE &&
		    graph_instance_parse(jv_string_value(iid), &master, &start,
		    &allday) == 0) {
			if (json_kind(r->series, master) == JV_KIND_TRUE &&
			    start >= w->start && start < w->end) {
				rec = graph_instance_cancelled(jv_string_value(iid));
				if (r->expand) {
					rc = r->fn(rec, r->arg);
					jv_free(rec);
				} else
					r->held = jv_array_append(r->held, rec);
			}
			free(master);
		}
		jv_free(k);
		jv_free(iid);
	}
	jv_free(old);
	jv_free(now);
	return rc;
}

/* Long: a round's loop over its pages, with the checks of each page
 * and of the token around it, reads best in one piece. */
int
graph_pull_list(struct calendar_api *api, const char *profile,
    const char *calendar, int expand, const char *token, const char *was,
    int (*fn)(jv, void *), void *arg, jv *last)
{
	struct http_response resp;
	struct round r = {.expand = expand, .fn = fn, .arg = arg};
	struct window want, w;
	char *url, *next = NULL, *what, *prev = NULL, *link = NULL;
	long pages = 0, max = calendar_max_pages();
	int rc, done = 0;

	*last = jv_invalid();
	if ((rc = wanted(profile, &want)) != 0)
		return rc;
	if (token != NULL && token_parse(token, &w, &link, &r.map) == -1) {
		jv_free(r.map);
		if (strncmp(token, TOKEN_TAG " ", strlen(TOKEN_TAG) + 1) != 0)
			return CALENDAR_SYNC_GONE; /* of another version */
		warnx("calendar '%s': the mirror's sync token is damaged; "
		    "gcal-pull --full pulls the calendar anew", calendar);
		return EX_CONFIG;
	}
	if (token != NULL && (want.start - w.start >= GRAPH_WINDOW_STEP_DAYS *
	    DAY || w.end - want.end >= GRAPH_WINDOW_STEP_DAYS * DAY ||
	    want.end - w.end >= GRAPH_WINDOW_STEP_DAYS * DAY)) {
		note("calendar '%s': the window moves: pulling it in full",
		    calendar);
		free(link);
		jv_free(r.map);
		return CALENDAR_SYNC_GONE;
	}
	if (token != NULL && !graph_url_ours(link)) {
		/* kept from a run with another GCAL_GRAPH_ENDPOINT: the token
		 * goes nowhere else, so the round starts anew here */
		note("calendar '%s': the delta link is another endpoint's: "
		    "pulling in full", calendar);
		free(link);
		jv_free(r.map);
		return CALENDAR_SYNC_GONE;
	}
	if (token == NULL) {
		w = want;
		r.map = jv_object();
	}
	r.series = jv_object();
	r.held = jv_array();
	url = token ? link : first_url(calendar, &w);
	what = xasprintf("calendar '%s'", calendar);
	r.what = what;
	while (rc == 0 && !done) {
		if (++pages > max) {
			warnx("%s: more than %ld delta pages", what, max);
			rc = EX_UNAVAILABLE;
			break;
		}
		if ((rc = graph_get(api, url, GRAPH_PAGE_SIZE, &resp)) != 0) {
			http_response_free(&resp);
			break;
		}
		if (resp.status == 410 && token != NULL) {
			/* syncStateNotFound, resyncRequired */
			note("%s: Graph no longer knows the delta token (410 %s): "
			    "pulling in full", what, graph_error_code(&resp) ?
			    graph_error_code(&resp) : "Gone");
			rc = CALENDAR_SYNC_GONE;
		}
		else if (resp.status != 200)
			rc = graph_failure(&resp, what);
		else
			rc = page_items(&r, resp.json, &next, &done);
		http_response_free(&resp);
		/* a link back to a page of the round: Graph has been seen
		 * to loop (msgraph-sdk-dotnet issue 3070) */
		if (rc == 0 && (strcmp(next, url) == 0 || (prev != NULL &&
		    strcmp(next, prev) == 0))) {
			warnx("%s: Graph gave the same link twice", what);
			rc = EX_UNAVAILABLE;
		}
		free(prev);
		prev = url;
		url = next;
		next = NULL;
	}
	if (rc == 0 && token == NULL && was != NULL)
		rc = removed_since(&r, was, &w);
	if (rc == 0 && !expand)
		rc = give_series(api, &r);
	if (rc == 0) {
		char *t = token_make(&w, url, r.map);

		*last = JV_OBJECT(jv_string("nextSyncToken"), jv_string(t));
		free(t);
	}
	jv_free(r.map);
	jv_free(r.series);
	jv_free(r.held);
	free(prev);
	free(url);
	free(what);
	return rc;
}
