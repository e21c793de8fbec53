#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "graph.h"
#include "graph_map.h"
#include "graph_pull.h"
#include "json.h"
#include "state.h"
#include "util.h"

#define TOKEN_TAG "graph1"
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

/* The window and link of a token; -1 when it is none of ours. */
static int
token_parse(const char *token, struct window *w, const char **link)
{
	char tag[8], s[32], e[32];
	int n = 0;

	if (sscanf(token, "%7s %31s %31s %n", tag, s, e, &n) != 3 || n == 0 ||
	    strcmp(tag, TOKEN_TAG) != 0 || time_parse(s, NULL, &w->start) ==
	    -1 || time_parse(e, NULL, &w->end) == -1)
		return -1;
	*link = token + n;
	return **link ? 0 : -1;
}

static char *
token_make(const struct window *w, const char *link)
{
	char s[32], e[32];

	time_rfc3339(w->start, s);
	time_rfc3339(w->end, e);
	return xasprintf("%s %s %s %s", TOKEN_TAG, s, e, link);
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

/* One item of a delta page to fn: a removal as a cancelled stub, else
 * the mapped event. */
static int
give(jv item, const char *what, int (*fn)(jv, void *), void *arg)
{
	const char *id = json_str(item, "id");
	jv removed = json_get(item, "@removed"), rec;
	char *why;
	int rc;

	if (id == NULL || *id == '\0' || strcspn(id, CONTROLS) != strlen(id)) {
		warnx("%s: Graph's answer is unusable: an item without an id "
		    "(or with a control character in it)", what);
		jv_free(removed);
		jv_free(item);
		return EX_UNAVAILABLE;
	}
	if (jv_get_kind(removed) == JV_KIND_OBJECT) {
		rec = json_set_str(json_set_str(json_set_str(jv_object(), "id",
		    id), "kind", "calendar#event"), "status", "cancelled");
		jv_free(item);
	} else
		rec = graph_to_record(item);
	jv_free(removed);
	if (!jv_is_valid(rec)) {
		why = json_error_text(rec);
		warnx("%s: Graph's answer is unusable: event '%s': %s", what,
		    id, why);
		free(why);
		return EX_UNAVAILABLE;
	}
	rc = fn(rec, arg);
	jv_free(rec);
	return rc;
}

/* The items of one page to fn; *next (the caller's) the link after it,
 * *done set when it is the deltaLink. */
static int
page_items(jv page, const char *what, int (*fn)(jv, void *), void *arg,
    char **next, int *done)
{
	jv value = json_get(page, "value");
	const char *nl = json_str(page, "@odata.nextLink");
	const char *dl = json_str(page, "@odata.deltaLink");
	int i, n, rc = 0;

	if (jv_get_kind(value) != JV_KIND_ARRAY || (nl == NULL) == (dl == NULL)) {
		warnx("%s: Graph's answer is unusable: a delta page needs a "
		    "\"value\" array and one of @odata.nextLink, "
		    "@odata.deltaLink", what);
		jv_free(value);
		return EX_UNAVAILABLE;
	}
	n = jv_array_length(jv_copy(value));
	for (i = 0; i < n && rc == 0; i++)
		rc = give(jv_array_get(jv_copy(value), i), what, fn, arg);
	jv_free(value);
	*next = xstrdup(nl ? nl : dl);
	*done = dl != NULL;
	return rc;
}

int
graph_pull_list(struct calendar_api *api, const char *profile,
    const char *calendar, const char *token, int (*fn)(jv, void *),
    void *arg, jv *last)
{
	struct http_response resp;
	struct window want, w;
	const char *link = NULL;
	char *url, *next = NULL, *what, *prev = NULL;
	long pages = 0, max = calendar_max_pages();
	int rc, done = 0;

	*last = jv_invalid();
	if ((rc = wanted(profile, &want)) != 0)
		return rc;
	if (token != NULL && token_parse(token, &w, &link) == -1)
		return CALENDAR_SYNC_GONE; /* a token of another version */
	if (token != NULL && (want.start - w.start >= GRAPH_WINDOW_STEP_DAYS *
	    DAY || w.end - want.end >= GRAPH_WINDOW_STEP_DAYS * DAY ||
	    want.end - w.end >= GRAPH_WINDOW_STEP_DAYS * DAY)) {
		note("calendar '%s': the window moves: pulling it in full",
		    calendar);
		return CALENDAR_SYNC_GONE;
	}
	if (token != NULL && !graph_url_ours(link)) {
		/* kept from a run with another GCAL_GRAPH_ENDPOINT: the token
		 * goes nowhere else, so the round starts anew here */
		note("calendar '%s': the delta link is another endpoint's: "
		    "pulling in full", calendar);
		return CALENDAR_SYNC_GONE;
	}
	if (token == NULL)
		w = want;
	url = token ? xstrdup(link) : first_url(calendar, &w);
	what = xasprintf("calendar '%s'", calendar);
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
			rc = page_items(resp.json, what, fn, arg, &next, &done);
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
	if (rc == 0) {
		char *t = token_make(&w, url);

		*last = JV_OBJECT(jv_string("nextSyncToken"), jv_string(t));
		free(t);
	}
	free(prev);
	free(url);
	free(what);
	return rc;
}
