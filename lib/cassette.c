#include <err.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cassette.h"
#include "endpoint.h"
#include "http.h"
#include "json.h"
#include "util.h"

/* A recorded exchange, for GCAL_REPLAY. */
struct cassette_entry {
	char *method;
	char *url;
	char *body;
	jv response;
	int used;
};

/* Guards all below: the cassette is loaded once, by whichever thread
 * asks first, and each entry answers once. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct cassette_entry *cassette;
static size_t ncassette;
static int loaded;
static int record_fd = -1;

static void
cassette_load(const char *path)
{
	struct ndjson_reader *r;
	jv line, req, res;
	int rc;

	if ((r = ndjson_open(path)) == NULL)
		err(EX_NOINPUT, "GCAL_REPLAY '%s'", path);
	while ((rc = ndjson_read(r, &line)) == 1) {
		req = json_get(line, "request");
		res = json_get(line, "response");
		if (json_str(req, "method") == NULL || json_str(req, "url") == NULL ||
		    jv_get_kind(res) != JV_KIND_OBJECT)
			errx(EX_DATAERR, "GCAL_REPLAY '%s' line %zu: not a recorded "
			    "exchange", path, ndjson_lineno(r));
		cassette = xreallocarray(cassette, ncassette + 1, sizeof(*cassette));
		cassette[ncassette].method = xstrdup(json_str(req, "method"));
		cassette[ncassette].url = xstrdup(json_str(req, "url"));
		cassette[ncassette].body = xstrdup(json_str(req, "body") ?
		    json_str(req, "body") : "");
		cassette[ncassette].response = res;
		cassette[ncassette].used = 0;
		ncassette++;
		jv_free(req);
		jv_free(line);
	}
	if (rc == -1)
		errx(EX_DATAERR, "GCAL_REPLAY %s", ndjson_error(r));
	ndjson_close(r);
}

/* The links of a page of Graph's (@odata.nextLink, @odata.deltaLink:
 * whole URLs) moved from the base of this run's endpoint to Graph's own
 * (to_canonical), or back, so that a fixture recorded against one
 * emulator replays against any endpoint; other bodies, and the other
 * URLs of a body (@odata.context), as they are. The caller's. */
static char *
graph_links(const char *body, int to_canonical)
{
	static const char *const keys[] = {"@odata.nextLink",
	    "@odata.deltaLink"};
	char *here = http_url(HOST_MS_GRAPH, "/"),
	    *canon = endpoint_canonical(HOST_MS_GRAPH, "/"), *out = NULL, *u;
	const char *from = to_canonical ? here : canon,
	    *to = to_canonical ? canon : here, *link;
	jv v = jv_invalid();
	size_t i, n = strlen(from);
	int moved = 0;

	if (strcmp(here, canon) != 0 && strstr(body, "@odata.") != NULL)
		v = json_parse(body, strlen(body));
	for (i = 0; jv_get_kind(v) == JV_KIND_OBJECT && i < 2; i++)
		if ((link = json_str(v, keys[i])) != NULL &&
		    strncmp(link, from, n) == 0) {
			u = xasprintf("%s%s", to, link + n);
			v = json_set_str(v, keys[i], u);
			free(u);
			moved = 1;
		}
	out = moved ? json_dump(v) : xstrdup(body);
	if (!moved)
		jv_free(v);
	free(here);
	free(canon);
	return out;
}

/* The value of field name in a form body, or NULL; the caller's. */
static char *
form_field(const char *s, const char *name)
{
	size_t n = strlen(name);
	const char *p, *end;

	for (p = s; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL)
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			end = p + n + 1 + strcspn(p + n + 1, "&");
			return url_unescape(p + n + 1, (size_t)(end - p - n - 1));
		}
	return NULL;
}

/* Whether a request's url is the recorded one: 2 the same, 1 the same
 * but for its UTC times (2026-12-01T00:00:00Z: a calendarView's window
 * is whole days around now, so a fixture recorded on another day asks
 * for another window; gcal(7) GCAL_REPLAY), 0 another. */
static int
same_url(const char *rec, const char *url)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	const char *a = rec, *b = url;
	size_t k, n = sizeof(shape) - 1;
	int moved = 0, t;

	if (strcmp(rec, url) == 0)
		return 2;
	while (*a && *b) {
		for (k = 0, t = 1; k < n && t; k++)
			t = shape[k] == 'd' ? (a[k] >= '0' && a[k] <= '9' &&
			    b[k] >= '0' && b[k] <= '9') : (a[k] == shape[k] &&
			    b[k] == shape[k]);
		if (t) {
			a += n;
			b += n;
			moved = 1;
		} else if (*a++ != *b++)
			return 0;
	}
	return *a == '\0' && *b == '\0' && moved;
}

int
cassette_answer(const char *method, const char *url, const char *body,
    struct http_response *resp)
{
	struct cassette_entry *hit = NULL;
	jv r, headers;
	const char *s;
	double d;
	size_t i;

	char *grant = form_field(body, "grant_type"), *g;
	int best = 0, score, urls;

	pthread_mutex_lock(&lock);
	if (!loaded) {
		cassette_load(getenv("GCAL_REPLAY"));
		loaded = 1;
	}
	for (i = 0; i < ncassette; i++) {
		if (cassette[i].used || strcmp(cassette[i].method, method) != 0 ||
		    (urls = same_url(cassette[i].url, url)) == 0)
			continue;
		/* The same body; else, for a token request whose secrets
		 * differ from the recording's (a new machine, a new key), the
		 * same grant_type; else the first of the same method and URL;
		 * each better for the same URL than one of other days. */
		if (strcmp(cassette[i].body, body) == 0)
			score = 3;
		else if (grant != NULL && (g = form_field(cassette[i].body,
		    "grant_type")) != NULL) {
			score = strcmp(g, grant) == 0 ? 2 : 0;
			free(g);
		} else
			score = 1;
		score = score ? score + 3 * (urls - 1) : 0;
		if (score > best) {
			best = score;
			hit = &cassette[i];
		}
		if (score == 6)
			break;
	}
	free(grant);
	if (hit != NULL)
		hit->used = 1;
	pthread_mutex_unlock(&lock);
	if (hit == NULL)
		return EX_UNAVAILABLE;
	/* read only from here: entries are freed by cassette_cleanup alone */
	r = hit->response;
	/* a status outside 100-599 (or 1e300: no long holds it) is none */
	d = json_num(r, "status", 0);
	resp->status = d >= 100 && d < 600 ? (long)d : 0;
	if ((s = json_str(r, "body")) != NULL) {
		char *b = graph_links(s, 0);

		buf_adds(&resp->body, b);
		free(b);
	}
	headers = json_get(r, "headers");
	if ((s = json_str(headers, "content-type")) != NULL)
		resp->content_type = xstrdup(s);
	if ((s = json_str(headers, "etag")) != NULL)
		resp->etag = xstrdup(s);
	if ((s = json_str(headers, "retry-after")) != NULL)
		resp->retry_after = http_retry_after(s, now_s());
	jv_free(headers);
	return 0;
}

void
cassette_record(const char *method, const char *url, const char *body,
    size_t body_len, const struct http_response *resp)
{
	const char *path = getenv("GCAL_RECORD");
	char *s, *t;
	jv req, res, headers;

	if (path == NULL || *path == '\0')
		return;
	pthread_mutex_lock(&lock);
	if (record_fd == -1 && (record_fd = open(path,
	    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) == -1)
		err(EX_SOFTWARE, "GCAL_RECORD '%s'", path);
	pthread_mutex_unlock(&lock);
	req = jv_object_set(jv_object(), jv_string("method"), jv_string(method));
	s = endpoint_shown(url, 1);
	req = json_set_str(req, "url", s);
	free(s);
	if (body != NULL) {
		s = http_redact(body, body_len);
		req = json_set_str(req, "body", s);
		free(s);
	}
	headers = jv_object();
	if (resp->content_type)
		headers = json_set_str(headers, "content-type", resp->content_type);
	if (resp->etag)
		headers = json_set_str(headers, "etag", resp->etag);
	if (resp->retry_after >= 0)
		headers = jv_object_set(headers, jv_string("retry-after"),
		    jv_string_fmt("%ld", resp->retry_after));
	res = jv_object_set(jv_object(), jv_string("status"),
	    jv_number((double)resp->status));
	res = jv_object_set(res, jv_string("headers"), headers);
	s = http_redact(resp->body.data, resp->body.len);
	t = graph_links(s, 1);
	res = json_set_str(res, "body", t);
	free(t);
	free(s);
	s = json_dump(jv_object_set(jv_object_set(jv_object(),
	    jv_string("request"), req), jv_string("response"), res));
	/* one write(2) per line: processes of one pipeline may share FILE */
	{
		struct buf line = {0};

		buf_adds(&line, s);
		buf_addc(&line, '\n');
		if (write_all(record_fd, line.data, line.len) == -1)
			err(EX_SOFTWARE, "GCAL_RECORD '%s'", path);
		buf_free(&line);
	}
	free(s);
}

void
cassette_cleanup(void)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < ncassette; i++) {
		free(cassette[i].method);
		free(cassette[i].url);
		free(cassette[i].body);
		jv_free(cassette[i].response);
	}
	free(cassette);
	cassette = NULL;
	ncassette = 0;
	loaded = 0;
	if (record_fd != -1) {
		close(record_fd);
		record_fd = -1;
	}
	pthread_mutex_unlock(&lock);
}
