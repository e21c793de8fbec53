#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "http.h"
#include "json.h"
#include "linkcal.h"
#include "oauth.h"
#include "provider.h"
#include "util.h"

#define GRAPH_CALENDARS "/v1.0/me/calendars"

/* --- Google --------------------------------------------------------------- */

static int
google_check(const char *profile)
{
	struct calendar_api *api;
	struct http_response resp;
	int rc;

	if ((api = calendar_open(profile, &rc)) == NULL)
		return rc;
	rc = calendar_call(api, "GET", "/calendar/v3/users/me/calendarList?"
	    "maxResults=1", jv_invalid(), NULL, &resp);
	if (rc == 0 && resp.status != 200)
		rc = calendar_failure(&resp, "checking the link");
	http_response_free(&resp);
	calendar_close(api);
	return rc;
}

#define CALENDAR_LIST "/calendar/v3/users/me/calendarList?maxResults=250"

static int
google_list(const char *profile, const char *path, const char *what,
    int (*fn)(jv, void *), void *arg)
{
	struct calendar_api *api;
	int rc;

	if ((api = calendar_open(profile, &rc)) == NULL)
		return rc;
	rc = calendar_list(api, path, what, fn, arg, NULL);
	calendar_close(api);
	return rc;
}

static int
google_get(const char *profile, jv prof, const char *id, jv *cal)
{
	struct calendar_api *api;
	struct http_response resp;
	char *e, *path;
	int rc;

	if ((api = calendar_open(profile, &rc)) == NULL)
		return rc;
	e = url_escape(id);
	path = xasprintf("/calendar/v3/users/me/calendarList/%s", e);
	rc = calendar_call(api, "GET", path, jv_invalid(), NULL, &resp);
	if (rc == 0 && resp.status == 404) {
		warnx("no calendar '%s' in the account %s", id,
		    json_str(prof, "account") ? json_str(prof, "account") :
		    "of this profile");
		rc = EX_DATAERR;
	} else if (rc == 0 && resp.status != 200)
		rc = calendar_failure(&resp, "reading the calendar");
	else if (rc == 0)
		*cal = jv_copy(resp.json);
	http_response_free(&resp);
	calendar_close(api);
	free(path);
	free(e);
	return rc;
}

struct find_mark {
	const char *summary;
	const char *mark;
	jv found;
};

static int
match_mark(jv item, void *arg)
{
	struct find_mark *f = arg;
	const char *s = json_str(item, "summary");
	const char *d = json_str(item, "description");
	char *text;

	/* items are borrowed from pages other threads free: keep text */
	if (!jv_is_valid(f->found) && s && d && strcmp(s, f->summary) == 0 &&
	    strstr(d, f->mark) != NULL) {
		text = json_dump(jv_copy(item));
		f->found = json_parse(text, strlen(text));
		free(text);
	}
	return 0;
}

/* POST once with a token, refreshing it once on a 401 (refused before
 * Google acted: the same attempt). */
static int
post_once(const char *profile, struct http_request *req, char **token,
    struct http_response *resp)
{
	int rc;

	req->bearer = *token;
	if ((rc = http_do(req, resp)) != 0 || resp->status != 401)
		return rc;
	http_response_free(resp);
	free_secret(*token);
	*token = NULL;
	if ((rc = oauth_token(profile, 1, token)) != 0)
		return rc;
	req->bearer = *token;
	return http_do(req, resp);
}

/* calendars.insert is not idempotent (RFC 9110 9.2.2) and Google lets
 * no client choose a calendar's id: an answer lost after Google acted,
 * retried blindly, makes a second calendar. So the insert carries a mark
 * of this run in its description, is sent once per attempt, and after a
 * lost or retryable answer calendarList is searched for the mark before
 * the next attempt. Longer than most: the steps share the mark, the
 * token and the answer, and read best in order. */
static int
google_create(const char *profile, const char *name, const char *tz,
    struct http_response *resp)
{
	struct http_request req = {
		.method = "POST", .host = HOST_WWW, .path = "/calendar/v3/calendars",
		.content_type = "application/json", .want_json = 1, .no_retry = 1,
	};
	char *mark, *desc, *body, *token = NULL;
	struct find_mark f = {name, NULL, jv_invalid()};
	int attempt, max = http_max_retries(), rc;
	jv b;

	mark = xasprintf("%08x%08x", arc4random(), arc4random());
	f.mark = mark;
	desc = xasprintf("Made by gcal-auth for profile %s (mark %s)", profile,
	    mark);
	b = json_set_str(json_set_str(jv_object(), "summary", name),
	    "description", desc);
	if (tz)
		b = json_set_str(b, "timeZone", tz);
	body = json_dump(b);
	req.body = body;
	req.body_len = strlen(body);
	if ((rc = oauth_token(profile, 0, &token)) != 0)
		goto out;
	for (attempt = 1;; attempt++) {
		rc = post_once(profile, &req, &token, resp);
		if (rc == 0 && !http_retryable(resp))
			break;
		if (token == NULL)
			goto out;
		if (rc != 0 && verbose)
			warnx("%s: looking for the calendar before trying again",
			    http_error());
		/* did Google act before the answer was lost? */
		if ((rc = google_list(profile, CALENDAR_LIST "&showHidden=true",
		    "looking for the created calendar", match_mark, &f)) != 0)
			goto out;
		if (jv_is_valid(f.found)) {
			http_response_free(resp);
			memset(resp, 0, sizeof(*resp));
			resp->status = 200;
			resp->json = f.found;
			f.found = jv_invalid();
			break;
		}
		if (attempt > max) {
			if (resp->status == 0) {
				warnx("creating the calendar: %s", http_error());
				rc = EX_TEMPFAIL;
			}
			break; /* a retryable answer is judged by the caller */
		}
		usleep((useconds_t)http_backoff_ms(attempt, resp->status ?
		    resp->retry_after : -1) * 1000);
		http_response_free(resp);
	}
out:
	free_secret(token);
	jv_free(f.found);
	free(body);
	free(desc);
	free(mark);
	return rc;
}

/* --- Microsoft ------------------------------------------------------------ */

/* A Graph calendar in Google's calendarList shape (see linkcal.h);
 * consumes g. */
static jv
graph_calendar(jv g)
{
	jv c = json_set_str(jv_object(), "id", json_str(g, "id"));
	const char *color = json_str(g, "hexColor");

	c = json_set_str(c, "summary", json_str(g, "name") ?
	    json_str(g, "name") : "");
	c = json_set_str(c, "accessRole",
	    json_kind(g, "canEdit") == JV_KIND_FALSE ? "reader" : "owner");
	if (json_kind(g, "isDefaultCalendar") == JV_KIND_TRUE)
		c = jv_object_set(c, jv_string("primary"), jv_true());
	if (color && *color)
		c = json_set_str(c, "backgroundColor", color);
	jv_free(g);
	return c;
}

/* A Graph request with the profile's token, refreshed once on a 401.
 * path is under HOST_MS_GRAPH, or an @odata.nextLink URL (host checked
 * by the caller). 0 with resp (any status), or an exit status said. */
static int
graph_call(const char *profile, struct http_request *req,
    struct http_response *resp)
{
	char *token = NULL;
	int rc, tries;

	memset(resp, 0, sizeof(*resp));
	for (tries = 0; tries < 2; tries++) {
		if ((rc = oauth_token(profile, tries, &token)) != 0)
			return rc;
		req->bearer = token;
		rc = http_do(req, resp);
		free_secret(token);
		token = NULL;
		if (rc != 0) {
			/* a create's lost answer is looked for, not said */
			if (!req->no_retry || verbose)
				warnx("cannot reach Microsoft Graph: %s",
				    http_error());
			/* the callers free resp only when it answered */
			http_response_free(resp);
			return rc;
		}
		if (resp->status != 401 || tries == 1)
			return 0;
		http_response_free(resp);
	}
	return 0;
}

/* "what: Microsoft Graph answered STATUS CODE: MESSAGE (request)". */
static int
graph_failure(const struct http_response *resp, const char *what)
{
	const char *code = json_strpath(resp->json, "error", "code", NULL);
	char *msg = http_google_message(resp);
	int rc = http_response_exit(resp);

	warnx("%s: Microsoft Graph answered %ld%s%s%s%s (%s)%s", what,
	    resp->status, code ? " " : "", code ? code : "", msg ? ": " : "",
	    msg ? msg : "", resp->request ? resp->request : "?",
	    rc == EX_TEMPFAIL ? ": try again later" : "");
	free(msg);
	return rc;
}

/* The pages of /me/calendars, to the last (@odata.nextLink), each item
 * given to fn in Google's shape. */
static int
graph_list(const char *profile, int (*fn)(jv, void *), void *arg)
{
	char *base = http_url(HOST_MS_GRAPH, "/"), *next = NULL;
	struct http_request req = {.method = "GET", .want_json = 1};
	struct http_response resp;
	int i, n, rc, pages = 0;
	jv items, c;

	req.host = HOST_MS_GRAPH;
	req.path = GRAPH_CALENDARS;
	for (;;) {
		if ((rc = graph_call(profile, &req, &resp)) != 0)
			break;
		if (resp.status != 200) {
			rc = graph_failure(&resp, "listing calendars");
			http_response_free(&resp);
			break;
		}
		items = json_get(resp.json, "value");
		if (jv_get_kind(items) != JV_KIND_ARRAY) {
			warnx("listing calendars: Microsoft Graph's answer has no "
			    "\"value\" array (%s)", resp.request);
			rc = EX_UNAVAILABLE;
		}
		n = rc ? 0 : jv_array_length(jv_copy(items));
		for (i = 0; i < n && rc == 0; i++) {
			c = graph_calendar(jv_array_get(jv_copy(items), i));
			rc = fn(c, arg);
			jv_free(c);
		}
		jv_free(items);
		free(next);
		next = json_str(resp.json, "@odata.nextLink") ?
		    xstrdup(json_str(resp.json, "@odata.nextLink")) : NULL;
		http_response_free(&resp);
		if (rc != 0 || next == NULL)
			break;
		/* the token goes only to Graph's own host, and a list ends */
		if (strncmp(next, base, strlen(base)) != 0 || ++pages > 1000) {
			warnx("listing calendars: Microsoft Graph's next page is "
			    "not on %s, or there are more than 1000", base);
			rc = EX_UNAVAILABLE;
			break;
		}
		req.host = HOST_URL;
		req.path = next;
	}
	free(next);
	free(base);
	return rc;
}

static int
graph_get(const char *profile, jv prof, const char *id, jv *cal)
{
	char *e = url_escape(id), *path = xasprintf(GRAPH_CALENDARS "/%s", e);
	struct http_request req = {
		.method = "GET", .host = HOST_MS_GRAPH, .path = path,
		.want_json = 1,
	};
	struct http_response resp;
	int rc;

	if ((rc = graph_call(profile, &req, &resp)) != 0)
		goto out;
	/* Graph answers 404 ErrorItemNotFound, or 400 for an id that is
	 * not one (ErrorInvalidIdMalformed) */
	if (resp.status == 404 || (resp.status == 400 &&
	    json_strpath(resp.json, "error", "code", NULL) &&
	    strstr(json_strpath(resp.json, "error", "code", NULL), "Id"))) {
		warnx("no calendar '%s' in the account %s", id,
		    json_str(prof, "account") ? json_str(prof, "account") :
		    "of this profile");
		rc = EX_DATAERR;
	} else if (resp.status != 200)
		rc = graph_failure(&resp, "reading the calendar");
	else
		*cal = graph_calendar(jv_copy(resp.json));
out:
	http_response_free(&resp);
	free(path);
	free(e);
	return rc;
}

struct find_name {
	const char *name;
	jv found;
};

static int
match_name(jv cal, void *arg)
{
	struct find_name *f = arg;

	if (!jv_is_valid(f->found) && json_str(cal, "summary") &&
	    strcmp(json_str(cal, "summary"), f->name) == 0)
		f->found = jv_copy(cal);
	return 0;
}

/* Exchange refuses a second calendar of the same name (409
 * ErrorFolderExists): so a name that is not there before the first
 * attempt and is there after a lost answer (or a 409) is the calendar
 * this run made. Sent once per attempt, the list asked after each lost
 * one. */
static int
graph_create(const char *profile, const char *name, jv *cal)
{
	struct http_request req = {
		.method = "POST", .host = HOST_MS_GRAPH, .path = GRAPH_CALENDARS,
		.content_type = "application/json", .want_json = 1, .no_retry = 1,
	};
	struct find_name f = {name, jv_invalid()};
	struct http_response resp;
	int attempt, max = http_max_retries(), rc;
	char *body = json_dump(json_set_str(jv_object(), "name", name));

	req.body = body;
	req.body_len = strlen(body);
	if ((rc = graph_list(profile, match_name, &f)) != 0)
		goto out;
	if (jv_is_valid(f.found)) {
		warnx("the account has a calendar named '%s' already (%s): "
		    "choose it with gcal-auth use ID", name, json_str(f.found, "id"));
		rc = EX_DATAERR;
		goto out;
	}
	memset(&resp, 0, sizeof(resp));
	for (attempt = 1;; attempt++) {
		rc = graph_call(profile, &req, &resp);
		if (rc == 0 && resp.status == 201) {
			*cal = graph_calendar(jv_copy(resp.json));
			break;
		}
		if (rc == 0 && !http_retryable(&resp) && resp.status != 409) {
			rc = graph_failure(&resp, "creating the calendar");
			break;
		}
		/* lost, retryable, or 409 (libcurl itself sends a request
		 * again when a reused connection dies before the answer, so
		 * even a first attempt can meet the calendar it made) */
		if ((rc = graph_list(profile, match_name, &f)) != 0)
			break;
		if (jv_is_valid(f.found)) {
			*cal = f.found;
			f.found = jv_invalid();
			break;
		}
		if (attempt > max) {
			if (resp.status == 0)
				warnx("creating the calendar: %s", http_error());
			rc = resp.status ? graph_failure(&resp, "creating the "
			    "calendar") : EX_TEMPFAIL;
			break;
		}
		usleep((useconds_t)http_backoff_ms(attempt, resp.status ?
		    resp.retry_after : -1) * 1000);
		http_response_free(&resp);
	}
	http_response_free(&resp);
out:
	jv_free(f.found);
	free(body);
	return rc;
}

static int
graph_check(const char *profile)
{
	struct http_request req = {
		.method = "GET", .host = HOST_MS_GRAPH,
		.path = GRAPH_CALENDARS "?$top=1", .want_json = 1,
	};
	struct http_response resp;
	int rc;

	if ((rc = graph_call(profile, &req, &resp)) == 0 && resp.status != 200)
		rc = graph_failure(&resp, "checking the link");
	http_response_free(&resp);
	return rc;
}

/* --- either --------------------------------------------------------------- */

int
linkcal_check(const char *profile, jv prof)
{
	char *token;
	int rc;

	/* A refresh proves the grant; a read proves the scopes. */
	if ((rc = oauth_token(profile, 1, &token)) != 0)
		return rc;
	free_secret(token);
	return provider_of(prof) == PROVIDER_MICROSOFT ? graph_check(profile) :
	    google_check(profile);
}

int
linkcal_list(const char *profile, jv prof, int (*fn)(jv cal, void *arg),
    void *arg)
{
	return provider_of(prof) == PROVIDER_MICROSOFT ?
	    graph_list(profile, fn, arg) :
	    google_list(profile, CALENDAR_LIST, "listing calendars", fn, arg);
}

int
linkcal_get(const char *profile, jv prof, const char *id, jv *cal)
{
	return provider_of(prof) == PROVIDER_MICROSOFT ?
	    graph_get(profile, prof, id, cal) : google_get(profile, prof, id, cal);
}

int
linkcal_create(const char *profile, jv prof, const char *name,
    const char *time_zone, jv *cal)
{
	struct http_response resp;
	int rc;

	if (provider_of(prof) == PROVIDER_MICROSOFT) {
		if (time_zone) {
			warnx("--time-zone: a Microsoft calendar has no time zone "
			    "of its own (its events carry theirs)");
			return EX_USAGE;
		}
		return graph_create(profile, name, cal);
	}
	memset(&resp, 0, sizeof(resp));
	rc = google_create(profile, name, time_zone, &resp);
	if (rc == 0 && resp.status != 200)
		rc = calendar_failure(&resp, "creating the calendar");
	if (rc == 0)
		*cal = jv_copy(resp.json);
	http_response_free(&resp);
	return rc;
}
