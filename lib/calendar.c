#include <err.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "http.h"
#include "json.h"
#include "oauth.h"
#include "util.h"

struct calendar_api {
	char *profile;
	char *token;
};

struct calendar_api *
calendar_open(const char *profile, int *rc)
{
	struct calendar_api *api = xcalloc(1, sizeof(*api));

	if ((*rc = oauth_token(profile, 0, &api->token)) != 0) {
		free(api);
		return NULL;
	}
	api->profile = xstrdup(profile);
	return api;
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
		.method = method, .host = HOST_WWW, .path = path,
		.if_match = if_match, .content_type = content_type,
		.body = body, .body_len = body_len,
		.want_json = content_type == NULL ||
		    strcmp(content_type, "application/json") == 0,
	};
	int rc, tries;

	for (tries = 0;; tries++) {
		req.bearer = api->token;
		rc = http_do(&req, resp);
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
calendar_failure(const struct http_response *resp, const char *what)
{
	char *reason = http_google_reason(resp), *msg = http_google_message(resp);
	int rc;

	warnx("%s: Google answered %ld%s%s%s%s", what, resp->status,
	    reason ? " " : "", reason ? reason : "", msg ? ": " : "",
	    msg ? msg : "");
	if (resp->status == 401)
		rc = EX_NOPERM;
	else if (http_retryable(resp) || (reason &&
	    (strcmp(reason, "quotaExceeded") == 0 ||
	    strcmp(reason, "dailyLimitExceeded") == 0)))
		rc = EX_TEMPFAIL;
	else if (resp->status == 403)
		rc = EX_NOPERM;
	else if (resp->status == 400 || resp->status == 404)
		rc = EX_DATAERR;
	else
		rc = EX_UNAVAILABLE;
	free(reason);
	free(msg);
	return rc;
}

/* --- lists, read ahead --------------------------------------------------
 * A list of many pages costs a round trip and a parse per page. While the
 * caller works through page N, a second thread fetches and parses page
 * N+1, so Google's latency and libjq's parsing overlap the caller's work
 * (make bench: a full pull of 100,000 events). The fetcher is the only
 * thread that talks to Google while a list runs; a page passes from it to
 * the caller whole, and is never touched by both at once (libjq 1.6 keeps
 * its own state per thread). One page waits at most: memory holds two. */
struct list_ahead {
	struct calendar_api *api;
	const char *path;
	const char *what;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int ready;                 /* a page (or the end) is handed over */
	int stop;                  /* the caller wants no more */
	struct http_response resp; /* what is handed over */
	int rc;                    /* 0, or how the list ended */
};

/* GET one page: 0 with resp a 200 answer, else an exit status or
 * CALENDAR_SYNC_GONE (message printed). */
static int
list_page(struct list_ahead *la, const char *page, struct http_response *resp)
{
	char *url, *tok;
	int rc;

	if (page) {
		tok = url_escape(page);
		url = xasprintf("%s%spageToken=%s", la->path,
		    strchr(la->path, '?') ? "&" : "?", tok);
		free(tok);
	} else
		url = xstrdup(la->path);
	rc = calendar_call(la->api, "GET", url, jv_invalid(), NULL, resp);
	free(url);
	/* the sync guide: 410 means start again with a full sync */
	if (rc == 0 && resp->status == 410 && strstr(la->path, "syncToken="))
		rc = CALENDAR_SYNC_GONE;
	else if (rc == 0 && resp->status != 200)
		rc = calendar_failure(resp, la->what);
	return rc;
}

static void *
fetch_pages(void *arg)
{
	struct list_ahead *la = arg;
	struct http_response resp;
	char *page = NULL;
	const char *next;
	int rc, stop;

	do {
		rc = list_page(la, page, &resp);
		free(page);
		next = rc == 0 ? json_str(resp.json, "nextPageToken") : NULL;
		page = next ? xstrdup(next) : NULL;
		pthread_mutex_lock(&la->lock);
		while (la->ready && !la->stop)
			pthread_cond_wait(&la->cond, &la->lock);
		if (!(stop = la->stop)) {
			la->resp = resp;
			la->rc = rc;
			la->ready = 1;
			pthread_cond_signal(&la->cond);
		}
		pthread_mutex_unlock(&la->lock);
		if (stop)
			http_response_free(&resp);
	} while (page && !stop);
	free(page);
	return NULL;
}

int
calendar_list(struct calendar_api *api, const char *path, const char *what,
    int (*fn)(jv item, void *arg), void *arg, jv *last)
{
	struct list_ahead la = {.api = api, .path = path, .what = what};
	struct http_response resp;
	pthread_t fetcher;
	jv items, item;
	int rc, i, n, more;

	pthread_mutex_init(&la.lock, NULL);
	pthread_cond_init(&la.cond, NULL);
	if (pthread_create(&fetcher, NULL, fetch_pages, &la) != 0)
		errx(EX_OSERR, "cannot start a thread");
	do {
		pthread_mutex_lock(&la.lock);
		while (!la.ready)
			pthread_cond_wait(&la.cond, &la.lock);
		resp = la.resp;
		rc = la.rc;
		la.ready = 0;
		pthread_cond_signal(&la.cond);
		pthread_mutex_unlock(&la.lock);
		if (rc != 0) {
			http_response_free(&resp);
			break;
		}
		items = json_get(resp.json, "items");
		n = jv_get_kind(items) == JV_KIND_ARRAY ?
		    jv_array_length(jv_copy(items)) : 0;
		for (i = 0; i < n && rc == 0; i++) {
			item = jv_array_get(jv_copy(items), i);
			rc = fn(item, arg);
			jv_free(item);
		}
		jv_free(items);
		more = json_str(resp.json, "nextPageToken") != NULL;
		if (!more && rc == 0 && last != NULL)
			*last = jv_object_delete(jv_copy(resp.json),
			    jv_string("items"));
		http_response_free(&resp);
	} while (more && rc == 0);
	pthread_mutex_lock(&la.lock);
	la.stop = 1;
	pthread_cond_signal(&la.cond);
	pthread_mutex_unlock(&la.lock);
	pthread_join(fetcher, NULL);
	pthread_cond_destroy(&la.cond);
	pthread_mutex_destroy(&la.lock);
	return rc;
}
