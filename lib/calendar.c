#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "http.h"
#include "json.h"
#include "oauth.h"
#include "provider.h"
#include "quota.h"
#include "readahead.h"
#include "state.h"
#include "util.h"

struct calendar_api {
	char *profile;
	char *token;
	const struct http_pacer *pacer; /* or NULL */
	int pacer_set;       /* by the caller: no governor of our own */
	struct quota *quota; /* ours, opened at the first request */
	enum provider provider;
	enum google_host host; /* of the API's paths */
};

struct calendar_api *
calendar_open(const char *profile, int *rc)
{
	struct calendar_api *api = xcalloc(1, sizeof(*api));
	jv prof = jv_invalid();
	int p;

	/* A Microsoft profile's calls go to Graph (graph.c builds them) */
	if ((*rc = state_profile_load(profile, &prof)) != 0 ||
	    (p = provider_of(prof)) == -1) {
		if (*rc == 0) {
			warnx("profile '%s': unknown provider '%s'", profile,
			    json_str(prof, "provider"));
			*rc = EX_CONFIG;
		}
		jv_free(prof);
		free(api);
		return NULL;
	}
	jv_free(prof);
	api->provider = (enum provider)p;
	api->host = p == PROVIDER_MICROSOFT ? HOST_MS_GRAPH : HOST_WWW;
	if ((*rc = oauth_token(profile, 0, &api->token)) != 0) {
		free(api);
		return NULL;
	}
	api->profile = xstrdup(profile);
	return api;
}

enum provider
calendar_provider(const struct calendar_api *api)
{
	return api->provider;
}

void
calendar_set_pacer(struct calendar_api *api, const struct http_pacer *pacer)
{
	api->pacer = pacer;
	api->pacer_set = 1;
}

/* Every program's requests spend from the host's quota governor: the
 * profile's, unless the caller gave one. */
static void
govern(struct calendar_api *api)
{
	jv prof = state_profile_read(api->profile);

	api->pacer_set = 1;
	if (jv_is_valid(prof)) {
		api->quota = quota_open(prof);
		api->pacer = quota_pacer(api->quota);
	}
	jv_free(prof);
}

void
calendar_close(struct calendar_api *api)
{
	if (api == NULL)
		return;
	free_secret(api->token);
	free(api->profile);
	quota_close(api->quota);
	free(api);
}

/* req with the profile's token; a 401 refreshes it once. */
static int
authorized(struct calendar_api *api, struct http_request *req,
    struct http_response *resp)
{
	int rc, tries;

	if (!api->pacer_set)
		govern(api);
	req->pacer = api->pacer;
	for (tries = 0;; tries++) {
		req->bearer = api->token;
		rc = http_do(req, resp);
		if (rc != 0) {
			warnx("%s", http_error());
			break;
		}
		/* The token may have died early (revoked, or expired by the
		 * server): refresh once and try again. */
		if (resp->status != 401 || tries > 0)
			break;
		http_response_free(resp);
		free_secret(api->token);
		api->token = NULL;
		if ((rc = oauth_token(api->profile, 1, &api->token)) != 0) {
			memset(resp, 0, sizeof(*resp));
			resp->json = jv_invalid();
			break;
		}
	}
	return rc;
}

int
calendar_request(struct calendar_api *api, struct http_request *req,
    struct http_response *resp)
{
	return authorized(api, req, resp);
}

int
calendar_call(struct calendar_api *api, const char *method, const char *path,
    jv body, const char *if_match, struct http_response *resp)
{
	char *text = NULL;
	int rc;

	if (jv_is_valid(body))
		text = json_dump(body);
	else
		jv_free(body);
	rc = calendar_send(api, method, path, text ? "application/json" : NULL,
	    text, text ? strlen(text) : 0, if_match, resp);
	free(text);
	return rc;
}

int
calendar_send(struct calendar_api *api, const char *method, const char *path,
    const char *content_type, const char *body, size_t body_len,
    const char *if_match, struct http_response *resp)
{
	struct http_request req = {
		.method = method, .host = api->host, .path = path,
		.if_match = if_match, .content_type = content_type,
		.body = body, .body_len = body_len,
		.want_json = content_type == NULL ||
		    strcmp(content_type, "application/json") == 0,
	};

	return authorized(api, &req, resp);
}

int
calendar_failure(const struct http_response *resp, const char *what)
{
	char *reason = http_google_reason(resp), *msg = http_google_message(resp);
	int rc;

	warnx("%s: Google answered %ld%s%s%s%s%s%s%s", what, resp->status,
	    reason ? " " : "", reason ? reason : "", msg ? ": " : "",
	    msg ? msg : "", resp->request ? " (" : "",
	    resp->request ? resp->request : "", resp->request ? ")" : "");
	rc = http_response_exit(resp);
	free(reason);
	free(msg);
	return rc;
}

/* --- lists, read ahead --------------------------------------------------
 * A list of many pages costs, per page, a round trip, libjq's parse, and
 * the caller's work on the items: readahead.c overlaps them. The parsed
 * page is the judge: when its nextPageToken is not the one read off its
 * bytes, or it does not parse, read-ahead stops and the list goes on one
 * page at a time from there, with http's own retries. */

struct lister {
	struct calendar_api *api;
	const char *path;
	const char *what;
};

/* GET the page asked with token (NULL: the first); its body is parsed
 * here unless raw (readahead's fetcher thread: the api's token is its
 * own until readahead_stop). */
static struct page *
get_page(struct lister *ls, const char *token, int raw)
{
	struct page *pg = xcalloc(1, sizeof(*pg));
	struct http_request req = {
		.method = "GET", .host = HOST_WWW, .want_json = 1, .raw_2xx = raw,
	};
	char *url, *tok;

	if (token) {
		tok = url_escape(token);
		url = xasprintf("%s%spageToken=%s", ls->path,
		    strchr(ls->path, '?') ? "&" : "?", tok);
		free(tok);
	} else
		url = xstrdup(ls->path);
	req.path = url;
	pg->rc = authorized(ls->api, &req, &pg->resp);
	free(url);
	/* the sync guide: 410 means start again with a full sync */
	if (pg->rc == 0 && pg->resp.status == 410 && strstr(ls->path, "syncToken="))
		pg->rc = CALENDAR_SYNC_GONE;
	else if (pg->rc == 0 && pg->resp.status != 200)
		pg->rc = calendar_failure(&pg->resp, ls->what);
	return pg;
}

static struct page *
fetch_raw(void *arg, const char *token)
{
	return get_page(arg, token, 1);
}

static int
same_token(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Pages one list may take (GCAL_MAX_PAGES): a chain of page tokens that
 * never ends must not hold the profile's lock for ever. Google's largest
 * calendars fit in a few hundred pages of 2,500. */
#define DEFAULT_MAX_PAGES 10000

static long
max_pages(void)
{
	const char *s = getenv("GCAL_MAX_PAGES"), *errstr;
	long long v;

	if (s == NULL || *s == '\0')
		return DEFAULT_MAX_PAGES;
	v = strtonum(s, 1, 100000000, &errstr);
	if (errstr != NULL)
		errx(EX_USAGE, "$GCAL_MAX_PAGES: '%s' is %s", s, errstr);
	return (long)v;
}

long
calendar_max_pages(void)
{
	return max_pages();
}

/* The page tokens of one list, to catch a chain that comes back to one
 * it gave before (an open-addressed set of strings). */
struct tokens {
	char **v;
	size_t cap, n;
};

static size_t
token_hash(const char *s)
{
	size_t h = 14695981039346656037ULL & (size_t)-1;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * (size_t)1099511628211ULL;
	return h;
}

/* Add s; 0, or -1 when it was there already. */
static int
tokens_add(struct tokens *t, const char *s)
{
	char **old = t->v;
	size_t oldcap = t->cap, i, k;

	if (2 * (t->n + 1) > t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->v = xcalloc(t->cap, sizeof(*t->v));
		t->n = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i]) {
				for (k = token_hash(old[i]) & (t->cap - 1); t->v[k];
				    k = (k + 1) & (t->cap - 1))
					;
				t->v[k] = old[i];
				t->n++;
			}
		free(old);
	}
	for (k = token_hash(s) & (t->cap - 1); t->v[k]; k = (k + 1) & (t->cap - 1))
		if (strcmp(t->v[k], s) == 0)
			return -1;
	t->v[k] = xstrdup(s);
	t->n++;
	return 0;
}

static void
tokens_free(struct tokens *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(t->v[i]);
	free(t->v);
}

/* A control character (a tab or newline would cut a mirror or journal
 * line) in s. */
static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Why a page of a list is not shaped as Google's list resources are, or
 * NULL: an object, "items" an array of objects with ids, page and sync
 * tokens strings (Calendar API v3 reference: Events: list, CalendarList:
 * list). Static text. */
static const char *
page_check(jv page)
{
	static char why[96];
	static const char *const tokens[] = {"nextPageToken", "nextSyncToken",
	    NULL};
	jv v;
	jv_kind k;
	const char *id;
	size_t i;
	int n, bad = 0;

	if (jv_get_kind(page) != JV_KIND_OBJECT)
		return "not a JSON object";
	for (i = 0; tokens[i]; i++) {
		v = json_get(page, tokens[i]);
		k = jv_get_kind(v);
		bad = k != JV_KIND_NULL && (k != JV_KIND_STRING ||
		    jv_string_length_bytes(jv_copy(v)) == 0);
		jv_free(v);
		if (bad) {
			snprintf(why, sizeof(why), "\"%s\" is not a non-empty "
			    "string", tokens[i]);
			return why;
		}
	}
	v = json_get(page, "items");
	if (jv_get_kind(v) == JV_KIND_NULL) {
		jv_free(v);
		return NULL;
	}
	if (jv_get_kind(v) != JV_KIND_ARRAY) {
		jv_free(v);
		return "\"items\" is not an array";
	}
	n = jv_array_length(jv_copy(v));
	for (i = 0; (int)i < n && !bad; i++) {
		jv item = jv_array_get(jv_copy(v), (int)i);

		id = json_str(item, "id");
		if (jv_get_kind(item) != JV_KIND_OBJECT)
			snprintf(why, sizeof(why), "item %zu is not an object", i + 1);
		else if (id == NULL || *id == '\0')
			snprintf(why, sizeof(why), "item %zu has no \"id\" string",
			    i + 1);
		else if (has_control(id))
			snprintf(why, sizeof(why), "item %zu has an \"id\" with a "
			    "control character", i + 1);
		else
			why[0] = '\0';
		bad = why[0] != '\0';
		jv_free(item);
	}
	jv_free(v);
	return bad ? why : NULL;
}

/* The whole page is judged before any of it is used, so that a bad
 * answer leaves the caller's state as it was: its shape, a page token
 * seen before, one page too many. 0 or EX_UNAVAILABLE (message printed). */
static int
page_judge(const struct lister *ls, jv page, struct tokens *seen, long pages,
    long most)
{
	const char *bad, *next = json_str(page, "nextPageToken");

	if ((bad = page_check(page)) != NULL)
		warnx("%s: Google's answer (page %ld) is unusable: %s", ls->what,
		    pages, bad);
	else if (next && tokens_add(seen, next) == -1)
		warnx("%s: Google's page %ld gives a page token it gave "
		    "before: the pages would never end", ls->what, pages);
	else if (next && pages >= most)
		warnx("%s: more than %ld %s: stopped (GCAL_MAX_PAGES)",
		    ls->what, most, plural(most, "page", "pages"));
	else
		return 0;
	return EX_UNAVAILABLE;
}

/* fn for each item of a page, until one returns non-zero. */
static int
page_items(jv page, int (*fn)(jv item, void *arg), void *arg)
{
	jv items = json_get(page, "items"), item;
	int i, n, rc = 0;

	n = jv_get_kind(items) == JV_KIND_ARRAY ?
	    jv_array_length(jv_copy(items)) : 0;
	for (i = 0; i < n && rc == 0; i++) {
		item = jv_array_get(jv_copy(items), i);
		rc = fn(item, arg);
		jv_free(item);
	}
	jv_free(items);
	return rc;
}

int
calendar_list(struct calendar_api *api, const char *path, const char *what,
    int (*fn)(jv item, void *arg), void *arg, jv *last)
{
	struct lister ls = {.api = api, .path = path, .what = what};
	/* before the readahead's threads start: a bad $GCAL_MAX_PAGES
	 * exits, and must not with a request of theirs in flight */
	long pages = 0, most = max_pages();
	struct readahead *ra = readahead_start(fetch_raw, &ls);
	struct tokens seen = {0};
	struct page *pg = NULL;
	const char *next;
	char *token = NULL;
	int rc;

	for (;;) {
		pg = ra ? readahead_next(ra, pg) : get_page(&ls, token, 0);
		/* NULL cannot be: the list ends with the last page read */
		if (pg == NULL || pg->rc == PAGE_NOT_JSON) {
			/* once more, alone, with http's retries of bad JSON */
			readahead_stop(ra);
			ra = NULL;
			page_free(pg);
			pg = get_page(&ls, token, 0);
		}
		if ((rc = pg->rc) != 0 ||
		    (rc = page_judge(&ls, pg->resp.json, &seen, ++pages, most)) != 0)
			break;
		next = json_str(pg->resp.json, "nextPageToken");
		rc = page_items(pg->resp.json, fn, arg);
		if (ra && !same_token(next, pg->next)) {
			/* the fetcher went wrong: go on alone */
			readahead_stop(ra);
			ra = NULL;
		}
		free(token);
		token = next ? xstrdup(next) : NULL;
		if (next == NULL && rc == 0 && last != NULL)
			*last = jv_object_delete(jv_copy(pg->resp.json),
			    jv_string("items"));
		if (ra == NULL) {
			page_free(pg);
			pg = NULL;
		}
		if (rc != 0 || token == NULL)
			break;
	}
	free(token);
	tokens_free(&seen);
	readahead_stop(ra);
	page_free(pg);
	return rc;
}
