/* Unit tests of lib/shared.c and lib/transport.c: many threads sending at
 * once, on their own handles or through the shared multi handle, against
 * a small keep-alive HTTP/1.1 server of the test's own that counts the
 * connections it accepts. Run under TSan by make tsan. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "json.h"
#include "util.h"
#include "tap.h"

#define THREADS 8
#define REQUESTS 25

static int listen_fd;
static atomic_int accepted, answered;

/* One connection: requests (GET, no body) answered until the client
 * closes it; the answer's body names the path asked. */
static void *
serve_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char in[8192], out[512], *end, *sp;
	size_t have = 0, n;
	ssize_t r;
	int len;

	for (;;) {
		while ((end = memmem(in, have, "\r\n\r\n", 4)) == NULL) {
			if (have == sizeof(in) ||
			    (r = read(fd, in + have, sizeof(in) - have)) <= 0)
				goto done;
			have += (size_t)r;
		}
		/* "GET /path HTTP/1.1" */
		sp = memchr(in + 4, ' ', (size_t)(end - in - 4));
		len = sp ? (int)(sp - in - 4) : 0;
		char body[300];
		int blen = snprintf(body, sizeof(body), "{\"path\":\"%.*s\"}", len,
		    in + 4);
		char extra[128] = "HTTP/1.1 200 OK\r\nETag: \"e1\"\r\n";
		if (len >= 5 && strncmp(in + 4, "/date", 5) == 0) {
			/* Retry-After as an IMF-fixdate 100 s ahead */
			time_t t = time(NULL) + 100;
			struct tm tm;

			gmtime_r(&t, &tm);
			strftime(extra, sizeof(extra), "HTTP/1.1 503 Busy\r\n"
			    "Retry-After: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
		} else if (len >= 5 && strncmp(in + 4, "/secs", 5) == 0)
			strlcpy(extra, "HTTP/1.1 429 Slow down\r\nRetry-After: 4\r\n",
			    sizeof(extra));
		int olen = snprintf(out, sizeof(out), "%s"
		    "Content-Type: application/json\r\nContent-Length: %d\r\n"
		    "\r\n%s", extra, blen, body);
		if (write_all(fd, out, (size_t)olen) == -1)
			goto done;
		atomic_fetch_add(&answered, 1);
		n = (size_t)(end + 4 - in);
		memmove(in, in + n, have - n);
		have -= n;
	}
done:
	close(fd);
	return NULL;
}

static void *
serve(void *arg)
{
	pthread_t t;
	int fd;

	(void)arg;
	while ((fd = accept(listen_fd, NULL, NULL)) != -1) {
		atomic_fetch_add(&accepted, 1);
		pthread_create(&t, NULL, serve_conn, (void *)(intptr_t)fd);
		pthread_detach(t);
	}
	return NULL;
}

static int port;

static void
server_start(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	pthread_t t;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listen_fd == -1 || bind(listen_fd, (struct sockaddr *)&a,
	    sizeof(a)) == -1 || listen(listen_fd, 128) == -1 ||
	    getsockname(listen_fd, (struct sockaddr *)&a, &alen) == -1) {
		perror("server");
		exit(1);
	}
	port = ntohs(a.sin_port);
	pthread_create(&t, NULL, serve, NULL);
	pthread_detach(t);
}

/* An HTTP/2 server's page ({"ok":true}), when tests/t/transport.t runs
 * this test with one: the workers ask it instead of the test's server. */
static const char *h2_url;

/* A worker: REQUESTS GETs, each answer checked; the count of good ones. */
static void *
worker(void *arg)
{
	intptr_t id = (intptr_t)arg, good = 0;
	struct http_response resp;
	char *url, *want;
	const char *got;
	int i;

	for (i = 0; i < REQUESTS; i++) {
		url = h2_url ? xasprintf("%s?w%ld-r%d", h2_url, (long)id, i) :
		    xasprintf("http://127.0.0.1:%d/w%ld/r%d", port, (long)id, i);
		want = xasprintf("/w%ld/r%d", (long)id, i);
		struct http_request req = {.method = "GET", .host = HOST_URL,
		    .path = url, .want_json = 1};
		if (http_do(&req, &resp) == 0 && resp.status == 200 &&
		    (h2_url ? jv_get_kind(resp.json) == JV_KIND_OBJECT :
		    (got = json_str(resp.json, "path")) != NULL &&
		    strcmp(got, want) == 0))
			good++;
		http_response_free(&resp);
		free(url);
		free(want);
	}
	return (void *)good;
}

/* THREADS workers at once: the answers that came back right. */
static long
run_workers(void)
{
	pthread_t t[THREADS];
	void *good;
	long sum = 0;
	int i;

	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], &good);
		sum += (long)(intptr_t)good;
	}
	return sum;
}

static void
test_own_handles(void)
{
	long good, c0 = http_connection_count();

	atomic_store(&accepted, 0);
	good = run_workers();
	ok(good == THREADS * REQUESTS, "%d threads x %d requests, each on a "
	    "handle of its own: every answer right (%ld)", THREADS, REQUESTS, good);
	/* a handle is taken per sender at once, so the threads that
	 * overlap each open one */
	ok(atomic_load(&accepted) > 3 && atomic_load(&accepted) <= THREADS,
	    "... a connection per sender at once, up to one a thread (%d)",
	    atomic_load(&accepted));
	ok(http_connection_count() - c0 == atomic_load(&accepted),
	    "... http_connection_count says so too (%ld)",
	    http_connection_count() - c0);
}

static void
test_shared(void)
{
	long good, c0 = http_connection_count();

	atomic_store(&accepted, 0);
	ok(http_shared_begin(3) == 0, "http_shared_begin(3)");
	ok(http_shared_begin(3) == -1, "... a second begin is refused");
	good = run_workers();
	ok(good == THREADS * REQUESTS, "%d threads x %d requests through the "
	    "shared handle: every answer right (%ld)", THREADS, REQUESTS, good);
	ok(atomic_load(&accepted) >= 1 && atomic_load(&accepted) <= 3,
	    "... at most 3 connections, not one a thread (%d)",
	    atomic_load(&accepted));
	ok(http_connection_count() - c0 == atomic_load(&accepted),
	    "... http_connection_count says so too (%ld)",
	    http_connection_count() - c0);
	http_shared_end();
	http_shared_end();
	ok(1, "http_shared_end twice");
}

static void
test_after_end(void)
{
	long good;

	good = run_workers();
	ok(good == THREADS * REQUESTS, "after http_shared_end, threads send on "
	    "handles of their own again (%ld)", good);
}

static void *
one_request(void *arg)
{
	struct http_response resp;
	struct http_request req = {.method = "GET", .host = HOST_URL,
	    .path = arg};

	http_do(&req, &resp);
	http_response_free(&resp);
	return NULL;
}

/* One request after another, from different threads (the page fetcher
 * after the main thread's token refresh): one connection, kept alive. */
static void
test_reuse_across_threads(void)
{
	char *url = xasprintf("http://127.0.0.1:%d/reuse", port);
	pthread_t t;
	int i;

	http_cleanup(); /* idle handles gone: connections closed */
	atomic_store(&accepted, 0);
	one_request(url);
	for (i = 0; i < 3; i++) {
		pthread_create(&t, NULL, one_request, url);
		pthread_join(t, NULL);
	}
	ok(atomic_load(&accepted) == 1, "four requests from four threads in "
	    "turn: one connection (%d)", atomic_load(&accepted));
	free(url);
}

/* A connection that cannot be made fails each sender on its own. */
static void
test_refused(void)
{
	struct http_response resp;
	struct http_request req = {.method = "GET", .host = HOST_URL,
	    .path = "http://127.0.0.1:1/nothing", .no_retry = 1};
	int rc;

	http_shared_begin(2);
	rc = http_do(&req, &resp);
	ok(rc == EX_UNAVAILABLE || rc == EX_TEMPFAIL, "shared: a refused "
	    "connection is an exit status (%d: %s)", rc, http_error());
	ok(strstr(http_error(), "127.0.0.1:1") != NULL, "... its message names "
	    "the URL");
	http_response_free(&resp);
	http_shared_end();
}

/* Headers read off the final answer with curl_easy_header, Retry-After
 * in both forms with CURLINFO_RETRY_AFTER. */
static void
test_headers(void)
{
	struct http_response resp;
	char *url;
	const char *const paths[] = {"/plain", "/secs", "/date"};
	long want[] = {-1, 4, 100};
	int i;

	for (i = 0; i < 3; i++) {
		url = xasprintf("http://127.0.0.1:%d%s", port, paths[i]);
		struct http_request req = {.method = "GET", .host = HOST_URL,
		    .path = url};
		ok(http_do(&req, &resp) == 0, "GET %s", paths[i]);
		is_str(resp.content_type, "application/json", "... Content-Type");
		ok(i == 0 ? resp.etag != NULL && strcmp(resp.etag, "\"e1\"") == 0 :
		    resp.etag == NULL, "... ETag %s", resp.etag ? resp.etag : "none");
		ok(resp.retry_after >= want[i] - 2 && resp.retry_after <= want[i],
		    "... Retry-After %ld", resp.retry_after);
		http_response_free(&resp);
		free(url);
	}
}

/* HTTP/2 (TLS): through the shared handle, every thread's requests are
 * streams of one connection. */
static void
test_h2(void)
{
	long good, c0;

	http_cleanup(); /* no connection left from before */
	c0 = http_connection_count();
	good = run_workers();
	ok(good == THREADS * REQUESTS, "HTTP/2, %d threads on handles of their "
	    "own: every answer right (%ld)", THREADS, good);
	ok(http_connection_count() - c0 > 1, "... more than one connection "
	    "(%ld)", http_connection_count() - c0);
	http_cleanup();
	c0 = http_connection_count();
	http_shared_begin(THREADS);
	good = run_workers();
	http_shared_end();
	ok(good == THREADS * REQUESTS, "HTTP/2 through the shared handle: "
	    "every answer right (%ld)", good);
	ok(http_connection_count() - c0 == 1, "... one connection, multiplexed "
	    "(%ld)", http_connection_count() - c0);
}

int
main(void)
{
	setenv("GCAL_RETRIES", "0", 1);
	if ((h2_url = getenv("GCAL_TEST_H2_URL")) != NULL && *h2_url) {
		test_h2();
		http_cleanup();
		return done_testing();
	}
	h2_url = NULL;
	server_start();
	test_headers();
	test_own_handles();
	test_shared();
	test_after_end();
	test_reuse_across_threads();
	test_refused();
	http_cleanup();
	return done_testing();
}
