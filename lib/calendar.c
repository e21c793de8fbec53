#include <err.h>
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

int
calendar_list(struct calendar_api *api, const char *path, const char *what,
    int (*fn)(jv item, void *arg), void *arg, jv *last)
{
	struct http_response resp;
	char *page = NULL, *url, *tok;
	jv items, item;
	int rc = 0, i, n;

	for (;;) {
		if (page) {
			tok = url_escape(page);
			url = xasprintf("%s%spageToken=%s", path,
			    strchr(path, '?') ? "&" : "?", tok);
			free(tok);
		} else
			url = xstrdup(path);
		rc = calendar_call(api, "GET", url, jv_invalid(), NULL, &resp);
		free(url);
		/* the sync guide: 410 means start again with a full sync */
		if (rc == 0 && resp.status == 410 && strstr(path, "syncToken="))
			rc = CALENDAR_SYNC_GONE;
		else if (rc == 0 && resp.status != 200)
			rc = calendar_failure(&resp, what);
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
		free(page);
		page = json_str(resp.json, "nextPageToken") ?
		    xstrdup(json_str(resp.json, "nextPageToken")) : NULL;
		if (page == NULL && rc == 0 && last != NULL)
			*last = jv_object_delete(jv_copy(resp.json),
			    jv_string("items"));
		http_response_free(&resp);
		if (rc != 0 || page == NULL)
			break;
	}
	free(page);
	return rc;
}
