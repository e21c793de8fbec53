#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "http.h"
#include "json.h"
#include "util.h"

char *
graph_calendar_path(const char *calendar, const char *tail)
{
	char *cal, *path;

	if (calendar == NULL || strcmp(calendar, "primary") == 0)
		return xasprintf("/v1.0/me/calendar%s", tail);
	cal = url_escape(calendar);
	path = xasprintf("/v1.0/me/calendars/%s%s", cal, tail);
	free(cal);
	return path;
}

int
graph_url_ours(const char *url)
{
	char *base = http_url(HOST_MS_GRAPH, "/v1.0/");
	int ok = strncmp(url, base, strlen(base)) == 0;

	free(base);
	return ok;
}

int
graph_get(struct calendar_api *api, const char *url_or_path, int maxpage,
    struct http_response *resp)
{
	struct http_request req = {.method = "GET", .want_json = 1};
	char *prefer;
	int rc;

	memset(resp, 0, sizeof(*resp));
	resp->json = jv_invalid();
	if (url_or_path[0] == '/') {
		req.host = HOST_MS_GRAPH;
	} else if (graph_url_ours(url_or_path)) {
		req.host = HOST_URL;
	} else {
		char *shown = http_url_shown(url_or_path);

		warnx("Graph gave a link outside its endpoint: '%s'", shown);
		free(shown);
		return EX_UNAVAILABLE;
	}
	req.path = url_or_path;
	prefer = maxpage > 0 ? xasprintf("%s, odata.maxpagesize=%d",
	    GRAPH_PREFER, maxpage) : xstrdup(GRAPH_PREFER);
	req.prefer = prefer;
	rc = calendar_request(api, &req, resp);
	free(prefer);
	return rc;
}

const char *
graph_error_code(const struct http_response *resp)
{
	return json_strpath(resp->json, "error", "code", (char *)NULL);
}

int
graph_failure(const struct http_response *resp, const char *what)
{
	const char *code = graph_error_code(resp);
	const char *msg = json_strpath(resp->json, "error", "message",
	    (char *)NULL);
	char *shown = msg ? http_redact_message(msg) : NULL;

	warnx("%s: Graph answered %ld%s%s%s%s%s%s%s", what, resp->status,
	    code ? " " : "", code ? code : "", shown ? ": " : "",
	    shown ? shown : "", resp->request ? " (" : "",
	    resp->request ? resp->request : "", resp->request ? ")" : "");
	free(shown);
	return http_response_exit(resp);
}
