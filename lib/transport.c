#include <err.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "curl_load.h"
#include "http.h"
#include "shared.h"
#include "transport.h"
#include "util.h"

/* Idle handles, the most recently used first: a handle keeps its live
 * connections (keep-alive), so the next request of any thread (the page
 * fetcher after the token refresh of the main thread) reuses the warm
 * one, and there are never more handles than senders at once. */
struct handle {
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	struct handle *next;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct handle *idle;
static atomic_long connects;
/* libcurl's words for this thread's last failed transfer */
static _Thread_local char last_errbuf[CURL_ERROR_SIZE];

long
http_connection_count(void)
{
	return atomic_load(&connects);
}

static struct handle *
take(void)
{
	struct handle *h;

	pthread_mutex_lock(&pool_lock);
	if ((h = idle) != NULL)
		idle = h->next;
	pthread_mutex_unlock(&pool_lock);
	if (h != NULL)
		return h;
	curl_load();
	h = xcalloc(1, sizeof(*h));
	if ((h->curl = curl_easy_init()) == NULL)
		errx(EX_SOFTWARE, "cannot start libcurl");
	return h;
}

static void
give_back(struct handle *h)
{
	pthread_mutex_lock(&pool_lock);
	h->next = idle;
	idle = h;
	pthread_mutex_unlock(&pool_lock);
}

void
transport_cleanup(void)
{
	struct handle *h;

	pthread_mutex_lock(&pool_lock);
	while ((h = idle) != NULL) {
		idle = h->next;
		curl_easy_cleanup(h->curl);
		free(h);
	}
	pthread_mutex_unlock(&pool_lock);
}

const char *
transport_error(int code)
{
	return last_errbuf[0] ? last_errbuf :
	    curl_easy_strerror((CURLcode)code);
}

/* Where an answer's body goes. It is held whole in memory: past
 * GCAL_MAX_BODY bytes (after gzip) the transfer stops, so a huge page or
 * an endless body costs at most that much. In shared mode the callback
 * runs on the multi thread, while the sender waits. */
struct sink {
	struct http_response *resp;
	size_t max;
};

static size_t
on_body(char *p, size_t size, size_t n, void *data)
{
	struct sink *sk = data;

	if (size * n > sk->max - sk->resp->body.len)
		return 0; /* libcurl stops: CURLE_WRITE_ERROR */
	buf_add(&sk->resp->body, p, size * n);
	return size * n;
}

/* The last header name of the final answer (not a 1xx), or NULL; the
 * caller's. libcurl trims the value (curl_easy_header(3)). */
static char *
header(CURL *c, const char *name)
{
	struct curl_header *h;

	if (curl_easy_header(c, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	if (h->amount > 1 && curl_easy_header(c, name, h->amount - 1,
	    CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	return xstrdup(h->value);
}

static void
read_headers(CURL *c, struct http_response *resp)
{
	struct curl_header *h;
	curl_off_t ra;

	resp->content_type = header(c, "Content-Type");
	resp->etag = header(c, "ETag");
	resp->www_authenticate = header(c, "WWW-Authenticate");
	/* libcurl reads both forms of RFC 9110 10.2.3 (delay-seconds and
	 * HTTP-date, CURLINFO_RETRY_AFTER(3)); 0 is also its "none", so the
	 * header's presence decides */
	resp->retry_after = -1;
	if (curl_easy_header(c, "Retry-After", 0, CURLH_HEADER, -1, &h) ==
	    CURLHE_OK && curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra) ==
	    CURLE_OK)
		resp->retry_after = ra < 0 ? 0 : ra > LONG_MAX ? LONG_MAX :
		    (long)ra;
}

static struct curl_slist *
headers_of(const struct http_request *req)
{
	struct curl_slist *h = NULL;
	char *line;

	h = curl_slist_append(h, "Expect:");
	if (req->bearer) {
		line = xasprintf("Authorization: Bearer %s", req->bearer);
		h = curl_slist_append(h, line);
		explicit_bzero(line, strlen(line));
		free(line);
	}
	if (req->content_type) {
		line = xasprintf("Content-Type: %s", req->content_type);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (req->if_match) {
		line = xasprintf("If-Match: %s", req->if_match);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (req->prefer) {
		line = xasprintf("Prefer: %s", req->prefer);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (h == NULL)
		errx(EX_SOFTWARE, "curl_slist_append");
	return h;
}

static void
set_options(CURL *c, char *errbuf, const struct http_request *req,
    const char *url, struct sink *sk)
{
	const char *ca = getenv("CURL_CA_BUNDLE");

	/* a Content-Length over the cap is refused before any byte */
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)sk->max);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* Google's performance tips: Accept-Encoding gzip and "(gzip)" in
	 * the User-Agent, both, to get compressed answers. */
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "gcal/" GCAL_VERSION " (gzip)");
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* shared mode: wait for a connection that can multiplex rather than
	 * open another (CURLOPT_PIPEWAIT(3)) */
	curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    http_setting("GCAL_CONNECT_TIMEOUT", 10, 1, 3600) * 1000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, http_timeout() * 1000L);
	/* libcurl itself ignores $CURL_CA_BUNDLE; the curl tool reads it. */
	if (ca && *ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sk);
	if (strcmp(req->method, "GET") != 0) {
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
		if (req->body != NULL || strcmp(req->method, "POST") == 0) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)req->body_len);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS,
			    req->body ? req->body : "");
		}
	}
}

int
transport_perform(const struct http_request *req, const char *url,
    struct http_response *resp)
{
	struct handle *hd = take();
	CURL *c = hd->curl;
	struct sink sk = {resp, (size_t)http_max_body()};
	struct curl_slist *h = headers_of(req);
	long n;
	int rc;

	curl_easy_reset(c); /* keeps live connections: keep-alive */
	hd->errbuf[0] = '\0';
	set_options(c, hd->errbuf, req, url, &sk);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if ((rc = shared_perform(c)) == -1)
		rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (rc == CURLE_OK)
		read_headers(c, resp);
	if (curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &n) == CURLE_OK)
		atomic_fetch_add(&connects, n);
	/* the list holds the bearer: wipe it before it goes back to malloc */
	for (struct curl_slist *p = h; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
	strlcpy(last_errbuf, hd->errbuf, sizeof(last_errbuf));
	give_back(hd);
	return rc;
}
