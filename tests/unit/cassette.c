/* Unit tests of lib/cassette.c: which recorded exchange answers, each
 * once, from several threads at once (make tsan), what a fixture's
 * headers give, and Graph's links moved between endpoints. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cassette.h"
#include "http.h"
#include "util.h"
#include "tap.h"

#define THREADS 4

static const char fixture[] =
    "{\"request\":{\"method\":\"POST\",\"url\":\"https://oauth2.googleapis.com/token\","
    "\"body\":\"grant_type=refresh_token&refresh_token=<REFRESH_TOKEN_1>\"},"
    "\"response\":{\"status\":200,\"headers\":{\"content-type\":\"application/json\"},"
    "\"body\":\"{\\\"n\\\":1}\"}}\n"
    "{\"request\":{\"method\":\"POST\",\"url\":\"https://oauth2.googleapis.com/token\","
    "\"body\":\"grant_type=authorization_code&code=<AUTH_CODE_1>\"},"
    "\"response\":{\"status\":200,\"headers\":{\"etag\":\"\\\"e\\\"\",\"retry-after\":\"7\"},"
    "\"body\":\"{\\\"n\\\":2}\"}}\n";

static void
test_matching(void)
{
	struct http_response r;

	memset(&r, 0, sizeof(r));
	r.json = jv_invalid();
	ok(cassette_answer("POST", "https://oauth2.googleapis.com/token",
	    "grant_type=authorization_code&code=other", &r) == 0 &&
	    r.body.data && strcmp(r.body.data, "{\"n\":2}") == 0,
	    "another code: the exchange of the same grant_type answers");
	ok(r.retry_after == 7 && r.etag && strcmp(r.etag, "\"e\"") == 0,
	    "... with its ETag and Retry-After");
	http_response_free(&r);
	memset(&r, 0, sizeof(r));
	r.json = jv_invalid();
	ok(cassette_answer("POST", "https://oauth2.googleapis.com/token",
	    "grant_type=authorization_code&code=other", &r) == EX_UNAVAILABLE,
	    "asked again: the one left has another grant_type, so none");
	http_response_free(&r);
	memset(&r, 0, sizeof(r));
	r.json = jv_invalid();
	ok(cassette_answer("POST", "https://oauth2.googleapis.com/token",
	    "grant_type=refresh_token&refresh_token=<REFRESH_TOKEN_1>", &r) == 0 &&
	    r.body.data && strcmp(r.body.data, "{\"n\":1}") == 0,
	    "the same body as recorded: that one answers");
	http_response_free(&r);
	memset(&r, 0, sizeof(r));
	r.json = jv_invalid();
	ok(cassette_answer("POST", "https://oauth2.googleapis.com/token",
	    "grant_type=refresh_token&refresh_token=<REFRESH_TOKEN_1>", &r) ==
	    EX_UNAVAILABLE, "each answers once: then none is left");
	http_response_free(&r);
	ok(cassette_answer("GET", "https://www.googleapis.com/x", "", &r) ==
	    EX_UNAVAILABLE, "a URL never recorded: none");
	http_response_free(&r);
}

static void *
worker(void *arg)
{
	struct http_response r;
	intptr_t got = 0;

	(void)arg;
	memset(&r, 0, sizeof(r));
	r.json = jv_invalid();
	if (cassette_answer("GET", "https://www.googleapis.com/calendar/v3/x",
	    "", &r) == 0)
		got = 1;
	http_response_free(&r);
	return (void *)got;
}

/* THREADS threads ask at once for 2 recorded answers: 2 get one. */
static void
test_threads(const char *path)
{
	FILE *f = fopen(path, "w");
	pthread_t t[THREADS];
	void *got;
	long sum = 0;
	int i;

	for (i = 0; i < 2; i++)
		fprintf(f, "{\"request\":{\"method\":\"GET\",\"url\":"
		    "\"https://www.googleapis.com/calendar/v3/x\"},\"response\":"
		    "{\"status\":200,\"body\":\"{}\"}}\n");
	fclose(f);
	cassette_cleanup();
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], &got);
		sum += (long)(intptr_t)got;
	}
	ok(sum == 2, "%d threads at once, 2 recorded answers: 2 answered, "
	    "each once (%ld)", THREADS, sum);
}

/* Graph's links: recorded under graph.microsoft.com, answered under
 * this run's GCAL_GRAPH_ENDPOINT; other URLs of a body as recorded. */
static void
test_graph_links(const char *dir)
{
	char *rec = xasprintf("%s/record.ndjson", dir), *line;
	struct http_response r;
	FILE *f;
	size_t n = 0;

	setenv("GCAL_GRAPH_ENDPOINT", "http://127.0.0.1:8", 1);
	setenv("GCAL_RECORD", rec, 1);
	memset(&r, 0, sizeof(r));
	r.json = jv_invalid();
	r.retry_after = -1;
	r.status = 200;
	buf_adds(&r.body, "{\"@odata.context\":\"https://graph.microsoft.com/"
	    "v1.0/$metadata\",\"@odata.nextLink\":\"http://127.0.0.1:8/v1.0/"
	    "me/calendarView/delta?$skiptoken=s\",\"value\":[]}");
	cassette_record("GET", "https://graph.microsoft.com/v1.0/me/calendarView"
	    "/delta", NULL, 0, &r);
	http_response_free(&r);
	cassette_cleanup();
	unsetenv("GCAL_RECORD");
	line = NULL;
	f = fopen(rec, "r");
	ok(f && getline(&line, &n, f) > 0 && strstr(line, "nextLink\\\":\\\""
	    "https://graph.microsoft.com/v1.0/me/calendarView/delta?$skiptoken=s")
	    && strstr(line, "127.0.0.1") == NULL,
	    "a recorded nextLink is under graph.microsoft.com, not the endpoint");
	if (f)
		fclose(f);
	free(line);
	setenv("GCAL_REPLAY", rec, 1);
	setenv("GCAL_GRAPH_ENDPOINT", "http://127.0.0.1:9", 1);
	memset(&r, 0, sizeof(r));
	r.json = jv_invalid();
	ok(cassette_answer("GET", "https://graph.microsoft.com/v1.0/me/"
	    "calendarView/delta", "", &r) == 0 && r.body.data &&
	    strstr(r.body.data, "\"@odata.nextLink\":\"http://127.0.0.1:9/v1.0/"
	    "me/calendarView/delta?$skiptoken=s\"") != NULL,
	    "replayed, it is under the replay's endpoint");
	ok(r.body.data && strstr(r.body.data, "\"@odata.context\":\"https://"
	    "graph.microsoft.com/v1.0/$metadata\"") != NULL,
	    "... and @odata.context stays Graph's");
	http_response_free(&r);
	cassette_cleanup();
	unsetenv("GCAL_GRAPH_ENDPOINT");
	unlink(rec);
	free(rec);
}

int
main(void)
{
	char dir[] = "/tmp/gcal-cassette.XXXXXX", *path;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return 1;
	path = xasprintf("%s/replay.ndjson", dir);
	f = fopen(path, "w");
	fputs(fixture, f);
	fclose(f);
	setenv("GCAL_REPLAY", path, 1);
	test_matching();
	test_threads(path);
	cassette_cleanup();
	test_graph_links(dir);
	unlink(path);
	rmdir(dir);
	free(path);
	return done_testing();
}
