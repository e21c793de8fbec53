#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Plain prototypes: the calls below go through function pointers. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <dlfcn.h>

#include "http.h"
#include "json.h"
#include "util.h"

#define BACKOFF_MAX_MS 32000 /* Google's guide: cap the exponential wait */

static const char *const google_hosts[] = {
	[HOST_URL] = "",
	[HOST_ACCOUNTS] = "https://accounts.google.com",
	[HOST_OAUTH2] = "https://oauth2.googleapis.com",
	[HOST_WWW] = "https://www.googleapis.com",
	[HOST_OPENID] = "https://openidconnect.googleapis.com",
};

struct secret {
	char *value;
	char *placeholder;
	size_t len;
};

/* A recorded exchange, for GCAL_REPLAY. */
struct cassette_entry {
	char *method;
	char *url;
	char *body;
	jv response;
	int used;
};

/*
 * libcurl is loaded on the first request, not at start-up: its chain of
 * libraries (TLS, HTTP/2, IDN, LDAP, Kerberos...) costs about 4 ms to map
 * and relocate, which programs and runs that never go on the network (a
 * cached token, --help, gcal-diff) should not pay.
 */
static struct {
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_reset)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	time_t (*getdate)(const char *, const time_t *);
} lc;

#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init lc.global_init
#define curl_global_cleanup lc.global_cleanup
#define curl_easy_init lc.easy_init
#define curl_easy_setopt lc.easy_setopt
#define curl_easy_perform lc.easy_perform
#define curl_easy_getinfo lc.easy_getinfo
#define curl_easy_reset lc.easy_reset
#define curl_easy_cleanup lc.easy_cleanup
#define curl_easy_strerror lc.easy_strerror
#define curl_slist_append lc.slist_append
#define curl_slist_free_all lc.slist_free_all
#define curl_getdate lc.getdate

static void *
curl_sym(void *lib, const char *name)
{
	void *f = dlsym(lib, name);

	if (f == NULL)
		errx(EX_SOFTWARE, "libcurl has no %s: %s", name, dlerror());
	return f;
}

static void
curl_load(void)
{
	void *lib;

	if (lc.easy_init != NULL)
		return;
	if ((lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL)) == NULL)
		errx(EX_SOFTWARE, "cannot load libcurl: %s", dlerror());
	*(void **)&lc.global_init = curl_sym(lib, "curl_global_init");
	*(void **)&lc.global_cleanup = curl_sym(lib, "curl_global_cleanup");
	*(void **)&lc.easy_init = curl_sym(lib, "curl_easy_init");
	*(void **)&lc.easy_setopt = curl_sym(lib, "curl_easy_setopt");
	*(void **)&lc.easy_perform = curl_sym(lib, "curl_easy_perform");
	*(void **)&lc.easy_getinfo = curl_sym(lib, "curl_easy_getinfo");
	*(void **)&lc.easy_reset = curl_sym(lib, "curl_easy_reset");
	*(void **)&lc.easy_cleanup = curl_sym(lib, "curl_easy_cleanup");
	*(void **)&lc.easy_strerror = curl_sym(lib, "curl_easy_strerror");
	*(void **)&lc.slist_append = curl_sym(lib, "curl_slist_append");
	*(void **)&lc.slist_free_all = curl_sym(lib, "curl_slist_free_all");
	*(void **)&lc.getdate = curl_sym(lib, "curl_getdate");
}

static CURL *curl;
static char curl_errbuf[CURL_ERROR_SIZE];
static char last_error[1024];
static struct secret *secrets;
static size_t nsecrets;
static long nrequests;
static struct cassette_entry *cassette;
static size_t ncassette;
static int cassette_loaded;
static int record_fd = -1;

static void
set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

const char *
http_error(void)
{
	return last_error;
}

long
http_request_count(void)
{
	return nrequests;
}

static long
env_long(const char *name, long def, long min, long max)
{
	const char *s = getenv(name), *errstr;
	long long v;

	if (s == NULL || *s == '\0')
		return def;
	v = strtonum(s, min, max, &errstr);
	if (errstr != NULL)
		errx(EX_USAGE, "$%s: '%s' is %s", name, s, errstr);
	return (long)v;
}

long
http_timeout(void)
{
	return env_long("GCAL_TIMEOUT", 120, 1, 86400);
}

int
http_max_retries(void)
{
	return (int)env_long("GCAL_RETRIES", 5, 0, 100);
}

char *
http_url(enum google_host host, const char *path)
{
	const char *ep = getenv("GCAL_ENDPOINT");
	size_t n;

	if (host == HOST_URL)
		return xstrdup(path);
	if (ep && *ep) {
		n = strlen(ep);
		while (n > 0 && ep[n - 1] == '/')
			n--;
		return xasprintf("%.*s%s", (int)n, ep, path);
	}
	return xasprintf("%s%s", google_hosts[host], path);
}

/* The URL as Google spells it, whatever GCAL_ENDPOINT says: fixtures
 * recorded against an emulator replay against any other. */
static char *
canonical_url(enum google_host host, const char *path)
{
	if (host == HOST_URL)
		return xstrdup(path);
	return xasprintf("%s%s", google_hosts[host], path);
}

/* --- secrets ---------------------------------------------------------- */

static void
add_secret(const char *value, char *placeholder)
{
	secrets = xreallocarray(secrets, nsecrets + 1, sizeof(*secrets));
	secrets[nsecrets].value = xstrdup(value);
	secrets[nsecrets].len = strlen(value);
	secrets[nsecrets].placeholder = placeholder;
	nsecrets++;
}

void
http_secret(const char *value, const char *kind)
{
	size_t i, n = 0;
	char *enc;

	if (value == NULL || strlen(value) < 4)
		return;
	for (i = 0; i < nsecrets; i++) {
		if (strcmp(secrets[i].value, value) == 0)
			return;
		if (strncmp(secrets[i].placeholder + 1, kind, strlen(kind)) == 0 &&
		    secrets[i].placeholder[strlen(kind) + 1] == '_' &&
		    (i == 0 || strcmp(secrets[i].placeholder,
		    secrets[i - 1].placeholder) != 0))
			n++;
	}
	add_secret(value, xasprintf("<%s_%zu>", kind, n + 1));
	/* the percent-encoded spelling, as it appears in forms and URLs */
	enc = url_escape(value);
	if (strcmp(enc, value) != 0)
		add_secret(enc, xstrdup(secrets[nsecrets - 1].placeholder));
	free(enc);
}

char *
http_redact(const char *s, size_t n)
{
	struct buf b = {0};
	size_t i, pos = 0, best_len;
	const char *hit, *best;
	const struct secret *bs;

	if (s == NULL)
		return xstrdup("");
	while (pos < n) {
		best = NULL;
		bs = NULL;
		best_len = 0;
		for (i = 0; i < nsecrets; i++) {
			hit = memmem(s + pos, n - pos, secrets[i].value, secrets[i].len);
			if (hit && (best == NULL || hit < best ||
			    (hit == best && secrets[i].len > best_len))) {
				best = hit;
				bs = &secrets[i];
				best_len = secrets[i].len;
			}
		}
		if (best == NULL) {
			buf_add(&b, s + pos, n - pos);
			break;
		}
		buf_add(&b, s + pos, (size_t)(best - (s + pos)));
		buf_adds(&b, bs->placeholder);
		pos = (size_t)(best - s) + bs->len;
	}
	return buf_take(&b);
}

/* Form and query parameters that carry secrets (OAuth 2.0, RFC 6749/7636). */
static const struct {
	const char *name;
	const char *kind;
} secret_params[] = {
	{"client_secret", "CLIENT_SECRET"},
	{"refresh_token", "REFRESH_TOKEN"},
	{"access_token", "ACCESS_TOKEN"},
	{"id_token", "ID_TOKEN"},
	{"code", "AUTH_CODE"},
	{"code_verifier", "CODE_VERIFIER"},
	{"assertion", "JWT_ASSERTION"},
	{"token", "TOKEN"},
};

/* Register the secret values of a form body or query string. */
static void
learn_form_secrets(const char *s, size_t n)
{
	const char *p = s, *end = s + n, *amp, *eq;
	char *name, *value;
	size_t i;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq != NULL) {
			name = url_unescape(p, (size_t)(eq - p));
			for (i = 0; i < sizeof(secret_params) / sizeof(secret_params[0]); i++)
				if (strcmp(name, secret_params[i].name) == 0) {
					value = url_unescape(eq + 1, (size_t)(amp - eq - 1));
					http_secret(value, secret_params[i].kind);
					free(value);
				}
			free(name);
		}
		p = amp + 1;
	}
}

static void
learn_json_secrets(jv v)
{
	size_t i;
	const char *s;

	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return;
	for (i = 0; i < sizeof(secret_params) / sizeof(secret_params[0]); i++)
		if ((s = json_str(v, secret_params[i].name)) != NULL &&
		    strcmp(secret_params[i].name, "code") != 0)
			http_secret(s, secret_params[i].kind);
}

/* --- fixtures ---------------------------------------------------------- */

static void
cassette_load(const char *path)
{
	struct ndjson_reader *r;
	jv line, req, res;
	int rc;

	cassette_loaded = 1;
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

/* Answer from the cassette: the first unused exchange with the same method
 * and URL, preferring one whose body matches too. */
static int
cassette_answer(const char *method, const char *url, const char *body,
    struct http_response *resp)
{
	struct cassette_entry *hit = NULL;
	jv r, headers;
	const char *s;
	double d;
	size_t i;

	for (i = 0; i < ncassette; i++) {
		if (cassette[i].used || strcmp(cassette[i].method, method) != 0 ||
		    strcmp(cassette[i].url, url) != 0)
			continue;
		if (hit == NULL)
			hit = &cassette[i];
		if (strcmp(cassette[i].body, body) == 0) {
			hit = &cassette[i];
			break;
		}
	}
	if (hit == NULL) {
		set_error("GCAL_REPLAY '%s' has no recorded answer for %s %s",
		    getenv("GCAL_REPLAY"), method, url);
		return EX_UNAVAILABLE;
	}
	hit->used = 1;
	r = hit->response;
	/* a status outside 100-599 (or 1e300: no long holds it) is none */
	d = json_num(r, "status", 0);
	resp->status = d >= 100 && d < 600 ? (long)d : 0;
	if ((s = json_str(r, "body")) != NULL)
		buf_adds(&resp->body, s);
	headers = json_get(r, "headers");
	if ((s = json_str(headers, "content-type")) != NULL)
		resp->content_type = xstrdup(s);
	if ((s = json_str(headers, "etag")) != NULL)
		resp->etag = xstrdup(s);
	if ((s = json_str(headers, "retry-after")) != NULL)
		resp->retry_after = atol(s);
	jv_free(headers);
	return 0;
}

static void
record_exchange(const char *method, const char *url, const char *body,
    size_t body_len, const struct http_response *resp)
{
	const char *path = getenv("GCAL_RECORD");
	char *s;
	jv req, res, headers;

	if (path == NULL || *path == '\0')
		return;
	if (record_fd == -1 && (record_fd = open(path,
	    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) == -1)
		err(EX_SOFTWARE, "GCAL_RECORD '%s'", path);
	req = jv_object_set(jv_object(), jv_string("method"), jv_string(method));
	s = http_redact(url, strlen(url));
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
	res = json_set_str(res, "body", s);
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

/* --- libcurl ------------------------------------------------------------ */

static size_t
on_body(char *p, size_t size, size_t n, void *data)
{
	struct http_response *resp = data;

	buf_add(&resp->body, p, size * n);
	return size * n;
}

static char *
header_value(const char *p, size_t n, const char *name)
{
	size_t len = strlen(name);
	const char *v, *end = p + n;

	if (n <= len || strncasecmp(p, name, len) != 0 || p[len] != ':')
		return NULL;
	for (v = p + len + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' '))
		end--;
	return xstrndup(v, (size_t)(end - v));
}

static void
clear_headers(struct http_response *resp)
{
	free(resp->content_type);
	free(resp->etag);
	free(resp->www_authenticate);
	resp->content_type = resp->etag = resp->www_authenticate = NULL;
	resp->retry_after = -1;
}

static size_t
on_header(char *p, size_t size, size_t n, void *data)
{
	struct http_response *resp = data;
	size_t len = size * n;
	char *v;
	time_t when;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0)
		clear_headers(resp); /* a new response (after 100 Continue) */
	else if ((v = header_value(p, len, "content-type")) != NULL) {
		free(resp->content_type);
		resp->content_type = v;
	} else if ((v = header_value(p, len, "etag")) != NULL) {
		free(resp->etag);
		resp->etag = v;
	} else if ((v = header_value(p, len, "www-authenticate")) != NULL) {
		free(resp->www_authenticate);
		resp->www_authenticate = v;
	} else if ((v = header_value(p, len, "retry-after")) != NULL) {
		/* delta-seconds or an HTTP-date (RFC 9110 10.2.3) */
		if (v[0] >= '0' && v[0] <= '9')
			resp->retry_after = atol(v);
		else if ((when = curl_getdate(v, NULL)) != -1)
			resp->retry_after = when > time(NULL) ?
			    (long)(when - time(NULL)) : 0;
		free(v);
	}
	return len;
}

static void
curl_setup(void)
{
	if (curl != NULL)
		return;
	curl_load();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (curl = curl_easy_init()) == NULL)
		errx(EX_SOFTWARE, "cannot start libcurl");
}

/* One transfer. 0 with resp filled, or a curl error code. */
static CURLcode
perform(const struct http_request *req, const char *url,
    struct http_response *resp)
{
	const char *ca = getenv("CURL_CA_BUNDLE");
	struct curl_slist *h = NULL;
	char *line;
	CURLcode rc;

	curl_easy_reset(curl); /* keeps live connections: keep-alive */
	curl_errbuf[0] = '\0';
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_errbuf);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	/* Google's performance tips: Accept-Encoding gzip and "(gzip)" in
	 * the User-Agent, both, to get compressed answers. */
	curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "gcal/" GCAL_VERSION " (gzip)");
	curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
	    env_long("GCAL_CONNECT_TIMEOUT", 10, 1, 3600) * 1000L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
	    http_timeout() * 1000L);
	/* libcurl itself ignores $CURL_CA_BUNDLE; the curl tool reads it. */
	if (ca && *ca)
		curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, resp);

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
	if (h == NULL)
		errx(EX_SOFTWARE, "curl_slist_append");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);

	if (strcmp(req->method, "GET") != 0) {
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method);
		if (req->body != NULL || strcmp(req->method, "POST") == 0) {
			curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)req->body_len);
			curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
			    req->body ? req->body : "");
		}
	}
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
	/* the list holds the bearer: wipe it before it goes back to malloc */
	for (struct curl_slist *p = h; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
	return rc;
}

static int
transient_curl_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* The answer's body as JSON: the parsed one, or parsed now (an answer
 * whose content type did not say JSON). The caller frees it. */
static jv
body_json(const struct http_response *resp)
{
	if (jv_is_valid(resp->json))
		return jv_copy(resp->json);
	return json_parse(resp->body.data ? resp->body.data : "",
	    resp->body.len);
}

/* Google's reason in an error body, or NULL; borrowed from v. */
static const char *
reason_in(jv v)
{
	jv e = json_get(v, "error"), errs = json_get(e, "errors"), first;
	const char *s = NULL;

	if (jv_get_kind(errs) == JV_KIND_ARRAY &&
	    jv_array_length(jv_copy(errs)) > 0) {
		first = jv_array_get(jv_copy(errs), 0);
		s = json_str(first, "reason");
		jv_free(first);
	}
	/* OAuth endpoints answer {"error":"invalid_grant",...} */
	if (s == NULL)
		s = json_str(v, "error");
	/* newer APIs: {"error":{"status":"PERMISSION_DENIED"}} */
	if (s == NULL)
		s = json_str(e, "status");
	jv_free(errs);
	jv_free(e);
	return s;
}

char *
http_google_reason(const struct http_response *resp)
{
	jv v = body_json(resp);
	const char *s = reason_in(v);
	char *out = s ? xstrdup(s) : NULL;

	jv_free(v);
	return out;
}

char *
http_google_message(const struct http_response *resp)
{
	jv v = body_json(resp), e = json_get(v, "error");
	const char *s = json_str(e, "message");
	char *out;

	if (s == NULL)
		s = json_str(v, "error_description");
	out = s ? xstrdup(s) : NULL;
	jv_free(e);
	jv_free(v);
	return out;
}

int
http_retryable_answer(long status, jv body)
{
	const char *reason;

	if (status >= 500 || status == 429)
		return 1;
	if (status != 403)
		return 0;
	/* Act on the reason, never on the message (DESIGN.md). */
	reason = reason_in(body);
	return reason && (strcmp(reason, "rateLimitExceeded") == 0 ||
	    strcmp(reason, "userRateLimitExceeded") == 0);
}

int
http_retryable(const struct http_response *resp)
{
	/* only a 403's body matters: a 2xx left raw is not parsed here */
	jv v = resp->status == 403 ? body_json(resp) : jv_null();
	int yes = http_retryable_answer(resp->status, v);

	jv_free(v);
	return yes;
}

static int
is_json_type(const char *ct)
{
	return ct && strncasecmp(ct, "application/json", 16) == 0;
}

static void
response_reset(struct http_response *resp)
{
	clear_headers(resp);
	buf_reset(&resp->body);
	jv_free(resp->json);
	resp->json = jv_invalid();
	resp->status = 0;
}

long
http_backoff_ms(int attempt, long retry_after)
{
	long base = env_long("GCAL_BACKOFF_MS", 1000, 0, 600000);
	long wait;

	/* callers give up beyond RETRY_AFTER_MAX; clamp before multiplying,
	 * so "Retry-After: 99999999999999999999" cannot overflow */
	if (retry_after >= 0)
		return (retry_after < 86400 ? retry_after : 86400) * 1000;
	wait = base << (attempt - 1 < 16 ? attempt - 1 : 16);
	if (wait > BACKOFF_MAX_MS || wait < 0)
		wait = BACKOFF_MAX_MS;
	if (base > 0)
		wait += (long)arc4random_uniform((uint32_t)base);
	return wait;
}

static void
trace(const struct http_request *req, const char *url,
    const struct http_response *resp, CURLcode rc, long long ms)
{
	char *u, *b;

	if (!verbose)
		return;
	u = http_redact(url, strlen(url));
	if (rc != CURLE_OK)
		warnx("%s %s: %s (%lld ms)", req->method, u,
		    curl_errbuf[0] ? curl_errbuf : curl_easy_strerror(rc), ms);
	else
		warnx("%s %s: %ld (%zu bytes, %lld ms)", req->method, u,
		    resp->status, resp->body.len, ms);
	if (verbose > 1 && req->body) {
		b = http_redact(req->body, req->body_len);
		warnx("> %.*s", 4000, b);
		free(b);
	}
	if (verbose > 1 && rc == CURLE_OK) {
		b = http_redact(resp->body.data, resp->body.len);
		warnx("< %.*s", 4000, b);
		free(b);
	}
	free(u);
}

/* Whether http_do parses the answer's body itself. */
static int
wants_parse(const struct http_request *req, const struct http_response *resp)
{
	if (req->raw_2xx && resp->status >= 200 && resp->status < 300)
		return 0;
	/* No Content: nothing to parse (channels.stop answers so) */
	if (resp->status == 204)
		return 0;
	return is_json_type(resp->content_type) || req->want_json;
}

int
http_do(const struct http_request *req, struct http_response *resp)
{
	const char *replay = getenv("GCAL_REPLAY");
	long max_retries = http_max_retries();
	char *url, *canon, *rbody = NULL;
	long long t0;
	long wait;
	CURLcode rc;
	int attempt, status = 0, bad_json;

	memset(resp, 0, sizeof(*resp));
	resp->retry_after = -1;
	resp->json = jv_invalid();
	last_error[0] = '\0';

	url = http_url(req->host, req->path);
	canon = canonical_url(req->host, req->path);
	if (req->bearer)
		http_secret(req->bearer, "ACCESS_TOKEN");
	if (req->body && req->content_type &&
	    strncmp(req->content_type, "application/x-www-form-urlencoded", 33) == 0)
		learn_form_secrets(req->body, req->body_len);
	if (strchr(req->path, '?'))
		learn_form_secrets(strchr(req->path, '?') + 1,
		    strlen(strchr(req->path, '?') + 1));

	if (replay && *replay) {
		if (!cassette_loaded)
			cassette_load(replay);
		rbody = http_redact(req->body, req->body ? req->body_len : 0);
		nrequests++;
		status = cassette_answer(req->method, canon, rbody, resp);
		free(rbody);
		if (status == 0 && wants_parse(req, resp))
			resp->json = json_parse(resp->body.data ? resp->body.data :
			    "", resp->body.len);
		resp->attempts = 1;
		if (verbose)
			warnx("%s %s: %ld (replayed)", req->method, canon,
			    resp->status);
		goto out;
	}

	curl_setup();
	for (attempt = 1;; attempt++) {
		response_reset(resp);
		resp->attempts = attempt;
		t0 = now_ms();
		nrequests++;
		rc = perform(req, url, resp);
		bad_json = 0;
		/* learn the secrets of the answer before tracing it */
		if (rc == CURLE_OK && wants_parse(req, resp)) {
			resp->json = json_parse(resp->body.data ?
			    resp->body.data : "", resp->body.len);
			if (jv_is_valid(resp->json))
				learn_json_secrets(resp->json);
			else if (resp->status < 300 && req->want_json)
				bad_json = 1;
		}
		trace(req, url, resp, rc, now_ms() - t0);
		if (rc == CURLE_OK) {
			record_exchange(req->method, canon, req->body, req->body_len,
			    resp);
			if (!bad_json && (req->no_retry || !http_retryable(resp)))
				break;
		} else if (!transient_curl_error(rc) || req->no_retry) {
			set_error("%s %s: %s", req->method, canon,
			    curl_errbuf[0] ? curl_errbuf : curl_easy_strerror(rc));
			status = rc == CURLE_PEER_FAILED_VERIFICATION ||
			    rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CONNECT_ERROR ?
			    EX_UNAVAILABLE : transient_curl_error(rc) ?
			    EX_TEMPFAIL : EX_UNAVAILABLE;
			break;
		}
		if (attempt > max_retries) {
			if (rc != CURLE_OK) {
				set_error("%s %s: %s (after %d attempts)", req->method,
				    canon, curl_errbuf[0] ? curl_errbuf :
				    curl_easy_strerror(rc), attempt);
				status = rc == CURLE_COULDNT_CONNECT ||
				    rc == CURLE_COULDNT_RESOLVE_HOST ?
				    EX_UNAVAILABLE : EX_TEMPFAIL;
			} else if (bad_json) {
				set_error("%s %s: answer is not JSON (after %d "
				    "attempts)", req->method, canon, attempt);
				status = EX_TEMPFAIL;
			}
			break; /* a retryable status stays in resp for the caller */
		}
		wait = http_backoff_ms(attempt, rc == CURLE_OK ?
		    resp->retry_after : -1);
		if (rc == CURLE_OK && resp->retry_after > RETRY_AFTER_MAX) {
			if (verbose)
				warnx("Google asks to wait %ld s: giving up for now",
				    resp->retry_after);
			break;
		}
		if (verbose)
			warnx("retrying in %ld ms (attempt %d of %ld)", wait,
			    attempt + 1, max_retries + 1);
		usleep((useconds_t)wait * 1000);
	}
out:
	free(url);
	free(canon);
	return status;
}

void
http_response_free(struct http_response *resp)
{
	clear_headers(resp);
	if (resp->body.data)
		explicit_bzero(resp->body.data, resp->body.len);
	buf_free(&resp->body);
	jv_free(resp->json);
	resp->json = jv_invalid();
}

void
http_cleanup(void)
{
	size_t i;

	if (curl) {
		curl_easy_cleanup(curl);
		curl = NULL;
		curl_global_cleanup();
	}
	for (i = 0; i < nsecrets; i++) {
		explicit_bzero(secrets[i].value, secrets[i].len);
		free(secrets[i].value);
		free(secrets[i].placeholder);
	}
	free(secrets);
	secrets = NULL;
	nsecrets = 0;
	for (i = 0; i < ncassette; i++) {
		free(cassette[i].method);
		free(cassette[i].url);
		free(cassette[i].body);
		jv_free(cassette[i].response);
	}
	free(cassette);
	cassette = NULL;
	ncassette = 0;
	cassette_loaded = 0;
	if (record_fd != -1) {
		close(record_fd);
		record_fd = -1;
	}
}
