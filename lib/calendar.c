#include <err.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "http.h"
#include "json.h"
#include "oauth.h"
#include "provider.h"
#include "state.h"
#include "util.h"

struct calendar_api {
	char *profile;
	char *token;
	const struct http_pacer *pacer; /* or NULL */
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
}

void
calendar_close(struct calendar_api *api)
{
	if (api == NULL)
		return;
	free_secret(api->token);
	free(api->profile);
	free(api);
}

/* req with the profile's token; a 401 refreshes it once. */
static int
authorized(struct calendar_api *api, struct http_request *req,
    struct http_response *resp)
{
	int rc, tries;

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
 * the caller's work on the items. They overlap: a fetcher thread asks for
 * page N+1 as soon as page N's nextPageToken is read off its bytes
 * (json_top_string), a parser thread parses page N meanwhile, and the
 * caller works through page N-1 (make bench: a full pull of 100,000
 * events). Only the fetcher talks to Google while a list runs, and a page
 * passes from thread to thread whole, never touched by two at once
 * (libjq 1.6 keeps its own state per thread). Each hand-over holds one
 * page, so memory holds a few pages, however many there are.
 *
 * The parsed page is the judge: when its nextPageToken is not the one
 * read off its bytes, or it does not parse, the threads stop and the list
 * goes on one page at a time from there, with http's own retries. */

/* Not an exit status: a 200 answer that is not JSON. */
#define PAGE_NOT_JSON (-1)

struct page {
	char *next;                /* its nextPageToken as read off its bytes */
	struct http_response resp; /* json parsed by the parser thread */
	int rc;                    /* 0, PAGE_NOT_JSON, an exit status, or
	                            * CALENDAR_SYNC_GONE */
};

/* A hand-over of one page between two threads. A page the taker is done
 * with goes back the other way, to be freed by the thread that made it:
 * glibc's malloc then never has two threads in one arena (make bench saw
 * them waiting on its lock). */
struct slot {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct page *page;
	struct page *done; /* the taker's, for the putter to free */
	int closed;        /* the caller wants no more */
};

struct lister {
	struct calendar_api *api;
	const char *path;
	const char *what;
	struct slot fetched, parsed;
	pthread_t fetcher, parser;
	int threads; /* running */
};

static void
page_free(struct page *pg)
{
	if (pg == NULL)
		return;
	free(pg->next);
	http_response_free(&pg->resp);
	free(pg);
}

/* Give pg to the other side; -1 (pg still the caller's) once closed. */
static int
slot_put(struct slot *sl, struct page *pg)
{
	struct page *done;
	int rc = 0;

	pthread_mutex_lock(&sl->lock);
	while (sl->page != NULL && !sl->closed)
		pthread_cond_wait(&sl->cond, &sl->lock);
	if (sl->closed)
		rc = -1;
	else
		sl->page = pg;
	done = sl->done;
	sl->done = NULL;
	pthread_cond_broadcast(&sl->cond);
	pthread_mutex_unlock(&sl->lock);
	page_free(done);
	return rc;
}

/* The next page, or NULL once closed; done (or NULL) is the last page
 * taken, given back. */
static struct page *
slot_take(struct slot *sl, struct page *done)
{
	struct page *pg;

	pthread_mutex_lock(&sl->lock);
	if (sl->done == NULL) {
		sl->done = done;
		done = NULL;
	}
	while (sl->page == NULL && !sl->closed)
		pthread_cond_wait(&sl->cond, &sl->lock);
	pg = sl->page;
	sl->page = NULL;
	pthread_cond_broadcast(&sl->cond);
	pthread_mutex_unlock(&sl->lock);
	page_free(done);
	return pg;
}

static int
slot_closed(struct slot *sl)
{
	int closed;

	pthread_mutex_lock(&sl->lock);
	closed = sl->closed;
	pthread_mutex_unlock(&sl->lock);
	return closed;
}

/* GET the page asked with token (NULL: the first); its body is parsed
 * here unless raw. */
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

/* The fetcher: each page as soon as the last one's token is read. */
static void *
fetch_pages(void *arg)
{
	struct lister *ls = arg;
	struct page *pg;
	const char *next;
	char *token = NULL;
	size_t len;

	do {
		pg = get_page(ls, token, 1);
		free(token);
		token = NULL;
		next = pg->rc == 0 ? json_top_string(pg->resp.body.data,
		    pg->resp.body.len, "nextPageToken", &len) : NULL;
		if (next) {
			pg->next = xstrndup(next, len);
			token = xstrdup(pg->next);
		}
		if (slot_put(&ls->fetched, pg) == -1) {
			page_free(pg);
			break;
		}
	} while (token && !slot_closed(&ls->fetched));
	free(token);
	return NULL;
}

/* The parser: each fetched page's JSON, for the caller. */
static void *
parse_pages(void *arg)
{
	struct lister *ls = arg;
	struct page *pg;
	int last;

	while ((pg = slot_take(&ls->fetched, NULL)) != NULL) {
		if (pg->rc == 0) {
			pg->resp.json = json_parse(pg->resp.body.data ?
			    pg->resp.body.data : "", pg->resp.body.len);
			if (!jv_is_valid(pg->resp.json))
				pg->rc = PAGE_NOT_JSON;
			buf_free(&pg->resp.body); /* parsed: the bytes are done */
		}
		last = pg->rc != 0 || pg->next == NULL;
		if (slot_put(&ls->parsed, pg) == -1) {
			page_free(pg);
			break;
		}
		if (last)
			break;
	}
	return NULL;
}

static void
slot_init(struct slot *sl)
{
	pthread_mutex_init(&sl->lock, NULL);
	pthread_cond_init(&sl->cond, NULL);
	sl->page = NULL;
	sl->done = NULL;
	sl->closed = 0;
}

static void
slot_close(struct slot *sl)
{
	pthread_mutex_lock(&sl->lock);
	sl->closed = 1;
	pthread_cond_broadcast(&sl->cond);
	pthread_mutex_unlock(&sl->lock);
}

static void
slot_destroy(struct slot *sl)
{
	page_free(sl->page);
	page_free(sl->done);
	pthread_cond_destroy(&sl->cond);
	pthread_mutex_destroy(&sl->lock);
}

/* Stop reading ahead: what the threads hold is dropped. */
static void
lister_stop(struct lister *ls)
{
	if (!ls->threads)
		return;
	slot_close(&ls->fetched);
	slot_close(&ls->parsed);
	pthread_join(ls->fetcher, NULL);
	pthread_join(ls->parser, NULL);
	slot_destroy(&ls->fetched);
	slot_destroy(&ls->parsed);
	ls->threads = 0;
}

static void
lister_start(struct lister *ls)
{
	slot_init(&ls->fetched);
	slot_init(&ls->parsed);
	if (pthread_create(&ls->fetcher, NULL, fetch_pages, ls) != 0 ||
	    pthread_create(&ls->parser, NULL, parse_pages, ls) != 0)
		errx(EX_OSERR, "cannot start a thread");
	ls->threads = 1;
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

int
calendar_list(struct calendar_api *api, const char *path, const char *what,
    int (*fn)(jv item, void *arg), void *arg, jv *last)
{
	struct lister ls = {.api = api, .path = path, .what = what};
	struct tokens seen = {0};
	struct page *pg = NULL;
	const char *next, *bad;
	char *token = NULL;
	long pages = 0, most = max_pages();
	jv items, item;
	int rc = 0, i, n;

	lister_start(&ls);
	for (;;) {
		pg = ls.threads ? slot_take(&ls.parsed, pg) : get_page(&ls, token, 0);
		if (pg->rc == PAGE_NOT_JSON) {
			/* once more, alone, with http's retries of bad JSON */
			lister_stop(&ls);
			page_free(pg);
			pg = get_page(&ls, token, 0);
		}
		if ((rc = pg->rc) != 0)
			break;
		pages++;
		/* The whole page is judged before any of it is used: a bad
		 * answer leaves the caller's state as it was. */
		if ((bad = page_check(pg->resp.json)) != NULL) {
			warnx("%s: Google's answer (page %ld) is unusable: %s", what,
			    pages, bad);
			rc = EX_UNAVAILABLE;
			break;
		}
		next = json_str(pg->resp.json, "nextPageToken");
		if (next && tokens_add(&seen, next) == -1) {
			warnx("%s: Google's page %ld gives a page token it gave "
			    "before: the pages would never end", what, pages);
			rc = EX_UNAVAILABLE;
			break;
		}
		if (next && pages >= most) {
			warnx("%s: more than %ld %s: stopped (GCAL_MAX_PAGES)",
			    what, most, plural(most, "page", "pages"));
			rc = EX_UNAVAILABLE;
			break;
		}
		items = json_get(pg->resp.json, "items");
		n = jv_get_kind(items) == JV_KIND_ARRAY ?
		    jv_array_length(jv_copy(items)) : 0;
		for (i = 0; i < n && rc == 0; i++) {
			item = jv_array_get(jv_copy(items), i);
			rc = fn(item, arg);
			jv_free(item);
		}
		jv_free(items);
		if (ls.threads && !same_token(next, pg->next))
			lister_stop(&ls); /* the fetcher went wrong: go on alone */
		free(token);
		token = next ? xstrdup(next) : NULL;
		if (next == NULL && rc == 0 && last != NULL)
			*last = jv_object_delete(jv_copy(pg->resp.json),
			    jv_string("items"));
		if (!ls.threads) {
			page_free(pg);
			pg = NULL;
		}
		if (rc != 0 || token == NULL)
			break;
	}
	free(token);
	tokens_free(&seen);
	lister_stop(&ls);
	page_free(pg);
	return rc;
}
