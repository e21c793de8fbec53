#include <arpa/inet.h>
#include <ctype.h>
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
	[HOST_MS_LOGIN] = "https://login.microsoftonline.com",
	[HOST_MS_GRAPH] = "https://graph.microsoft.com",
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

	char raw[sizeof(last_error)], *safe;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* error lines land in cron mail: no secret in them, ever */
	safe = http_redact(raw, strlen(raw));
	strlcpy(last_error, safe, sizeof(last_error));
	explicit_bzero(raw, sizeof(raw));
	free(safe);
}

const char *
http_error(void)
{
	return last_error;
}

int
http_replaying(void)
{
	const char *r = getenv("GCAL_REPLAY");

	return r != NULL && *r != '\0';
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

/* --- URLs --------------------------------------------------------------- */

/* What is wrong with u as an http(s) URL, or NULL: the endpoint has no
 * user, password or query; a backend's address (query_ok) may have them.
 * *loopback says whether its host is this machine (127.0.0.0/8, ::1,
 * localhost), *https its scheme. */
static const char *
url_problem(const char *u, int query_ok, int *loopback, int *https)
{
	const char *p, *h, *he;
	char host[256];
	struct in_addr a4;
	struct in6_addr a6;
	size_t n;
	long port;

	*loopback = *https = 0;
	for (h = u; *h; h++)
		if ((unsigned char)*h <= ' ' || *h == 0x7f)
			return "has a space or a control character in it";
	if (strncasecmp(u, "https://", 8) == 0) {
		*https = 1;
		p = u + 8;
	} else if (strncasecmp(u, "http://", 7) == 0)
		p = u + 7;
	else
		return "not an http:// or https:// URL";
	n = strcspn(p, "/?#");
	if ((h = memrchr(p, '@', n)) != NULL) {
		if (!query_ok)
			return "carries a user name or password: give only scheme, "
			    "host and port";
		n -= (size_t)(h + 1 - p); /* a backend's user:password@ */
		p = h + 1;
	}
	if (*p == '[') {
		if ((he = memchr(p, ']', n)) == NULL)
			return "has an unclosed [ in its host";
		h = p + 1;
	} else {
		h = p;
		for (he = p; he < p + n && *he != ':'; he++)
			if (!isalnum((unsigned char)*he) && *he != '-' &&
			    *he != '.' && *he != '_')
				return "has a character that is not allowed in a host "
				    "name";
	}
	if (he == h)
		return "has no host";
	if ((size_t)(he - h) >= sizeof(host))
		return "has a host name that is too long";
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	if (*p == '[') {
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return "has an IPv6 address that does not parse";
		*loopback = IN6_IS_ADDR_LOOPBACK(&a6);
		he++;
	} else
		*loopback = strcasecmp(host, "localhost") == 0 ||
		    (inet_pton(AF_INET, host, &a4) == 1 &&
		    (ntohl(a4.s_addr) >> 24) == 127);
	if (he < p + n) {
		if (*he != ':')
			return "has junk after its host";
		if (he + 1 == p + n)
			return "has an empty port";
		for (port = 0, h = he + 1; h < p + n; h++) {
			if (!isdigit((unsigned char)*h))
				return "has a port that is not a number";
			if ((port = port * 10 + (*h - '0')) > 65535)
				return "has a port above 65535";
		}
		if (port == 0)
			return "has port 0";
	}
	if (!query_ok && strpbrk(p + n, "?#") != NULL)
		return "has a query or a fragment: give scheme, host, port "
		    "and at most a path";
	return NULL;
}

/* GCAL_ENDPOINT, checked once: a malformed one is a usage error before
 * anything is sent, and so is plain http to another machine, which would
 * carry client secrets, codes and tokens in clear (RFC 6749 3.2 and
 * RFC 6750 5.3 ask for TLS) unless GCAL_INSECURE_HTTP=1 says it is
 * meant. NULL when unset. */
static const char *
endpoint_named(const char *var, int *checked)
{
	const char *ep = getenv(var), *why, *ok;
	int loopback, https;

	if (ep == NULL || *ep == '\0')
		return NULL;
	if (*checked)
		return ep;
	if ((why = url_problem(ep, 0, &loopback, &https)) != NULL) {
		/* quoted only when it is one line with no password in it */
		if (strchr(ep, '@') != NULL || strpbrk(ep, "\n\r\t") != NULL)
			errx(EX_USAGE, "$%s %s", var, why);
		errx(EX_USAGE, "$%s '%s': %s", var, ep, why);
	}
	ok = getenv("GCAL_INSECURE_HTTP");
	if (!https && !loopback && (ok == NULL || strcmp(ok, "1") != 0))
		errx(EX_USAGE, "$%s '%s': plain http to a host that is "
		    "not this machine would send secrets in clear; use https, or "
		    "set GCAL_INSECURE_HTTP=1", var, ep);
	*checked = 1;
	return ep;
}

static const char *
endpoint(void)
{
	static int checked;

	return endpoint_named("GCAL_ENDPOINT", &checked);
}

/* GCAL_GRAPH_ENDPOINT stands for both of Microsoft's hosts, with
 * Microsoft's paths kept (DESIGN.md "Endpoints"). */
static const char *
graph_endpoint(void)
{
	static int checked;

	return endpoint_named("GCAL_GRAPH_ENDPOINT", &checked);
}

void
http_check_env(void)
{
	(void)endpoint();
	(void)graph_endpoint();
	(void)http_max_retries();
	(void)http_timeout();
	(void)http_max_body();
	(void)env_long("GCAL_BACKOFF_MS", 1000, 0, 600000);
	(void)env_long("GCAL_CONNECT_TIMEOUT", 10, 1, 3600);
}

/* u fit for a message, a trace or a fixture: no user or password,
 * secrets redacted, and (unless keep_query) no query, whose values can
 * be tokens. */
static char *
url_shown(const char *u, int keep_query)
{
	const char *a = strstr(u, "://"), *at;
	struct buf b = {0};
	char *s;
	size_t n = keep_query ? strlen(u) : strcspn(u, "?#");

	if (a != NULL && (at = memrchr(a, '@', strcspn(a + 3, "/?#") + 3)) !=
	    NULL) {
		buf_add(&b, u, (size_t)(a + 3 - u));
		buf_add(&b, at + 1, n - (size_t)(at + 1 - u));
	} else
		buf_add(&b, u, n);
	s = http_redact(b.data, b.len);
	buf_free(&b);
	if (!keep_query && strchr(u, '?') != NULL) {
		char *t = xasprintf("%s?...", s);

		free(s);
		s = t;
	}
	return s;
}

char *
http_url_shown(const char *u)
{
	return url_shown(u, 0);
}

char *
http_url(enum google_host host, const char *path)
{
	const char *ep = host == HOST_MS_LOGIN || host == HOST_MS_GRAPH ?
	    graph_endpoint() : endpoint();
	size_t n;

	if (host == HOST_URL)
		return xstrdup(path);
	if (ep) {
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
	const char *dot;
	char *enc;

	if (value == NULL || strlen(value) < 4)
		return;
	/* An ID token's signature is what makes it a credential; its header
	 * and claims (who signed in: the account's address, which profile.json
	 * keeps too) stay readable, so that a replayed login learns the
	 * account from the fixture as the recorded one did. */
	if (strcmp(kind, "ID_TOKEN") == 0 && (dot = strchr(value, '.')) != NULL &&
	    (dot = strchr(dot + 1, '.')) != NULL && strlen(dot + 1) >= 4)
		value = dot + 1;
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

	char *grant = form_field(body, "grant_type"), *g;
	int best = 0, score;

	for (i = 0; i < ncassette; i++) {
		if (cassette[i].used || strcmp(cassette[i].method, method) != 0 ||
		    strcmp(cassette[i].url, url) != 0)
			continue;
		/* The same body; else, for a token request whose secrets
		 * differ from the recording's (a new machine, a new key), the
		 * same grant_type; else the first of the same method and URL. */
		if (strcmp(cassette[i].body, body) == 0)
			score = 3;
		else if (grant != NULL && (g = form_field(cassette[i].body,
		    "grant_type")) != NULL) {
			score = strcmp(g, grant) == 0 ? 2 : 0;
			free(g);
		} else
			score = 1;
		if (score > best) {
			best = score;
			hit = &cassette[i];
		}
		if (score == 3)
			break;
	}
	free(grant);
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
	s = url_shown(url, 1);
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

/* An answer is held whole in memory: past GCAL_MAX_BODY bytes (after
 * gzip) the transfer stops, so a huge page or an endless body costs at
 * most that much. */
static int body_over;
static long body_max;

long
http_max_body(void)
{
	/* Google's largest page (2500 events of a few KB each) is a few
	 * tens of MB at most */
	return env_long("GCAL_MAX_BODY", 64L << 20, 1024, 1L << 40);
}

static size_t
on_body(char *p, size_t size, size_t n, void *data)
{
	struct http_response *resp = data;

	if (size * n > (size_t)body_max - resp->body.len) {
		body_over = 1;
		return 0; /* libcurl stops: CURLE_WRITE_ERROR */
	}
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
	body_over = 0;
	body_max = http_max_body();
	/* a Content-Length over the cap is refused before any byte */
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)body_max);
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
	if (req->prefer) {
		line = xasprintf("Prefer: %s", req->prefer);
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

/* The exit status of a transfer that brought no answer we can use
 * (gcal(7) EXIT STATUS): 75 when running again later can work (the
 * network, a dropped answer), 69 when the other side answered something
 * unusable (TLS refused, an answer over GCAL_MAX_BODY, garbled bytes). */
static int
curl_exit(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return EX_TEMPFAIL;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return EX_USAGE;
	default:
		return EX_UNAVAILABLE;
	}
}

/* Worth another attempt: what may go away (75), and garbled bytes. */
static int
transient_curl_error(CURLcode rc)
{
	return curl_exit(rc) == EX_TEMPFAIL || rc == CURLE_BAD_CONTENT_ENCODING;
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
	/* Google's reasons are short camelCase words, never touched here */
	char *out = s ? http_redact_message(s) : NULL;

	jv_free(v);
	return out;
}

static int
token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("._~+/=-", c) != NULL;
}

/* Does a word look like a credential? Google's own spellings (access
 * tokens ya29., refresh tokens 1//, codes 4/, client secrets GOCSPX-,
 * JWTs eyJ), or a long run of mixed case and digits (base32hex ids and
 * words are not mixed case). */
static int
looks_secret(const char *w, size_t n)
{
	static const char *const prefixes[] = {"ya29.", "1//", "4/0", "4/1",
	    "GOCSPX-", "eyJ", NULL};
	int up = 0, low = 0, dig = 0;
	size_t i;

	for (i = 0; prefixes[i]; i++)
		if (n >= strlen(prefixes[i]) + 8 &&
		    strncmp(w, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	if (n < 32)
		return 0;
	for (i = 0; i < n; i++) {
		up |= w[i] >= 'A' && w[i] <= 'Z';
		low |= w[i] >= 'a' && w[i] <= 'z';
		dig |= w[i] >= '0' && w[i] <= '9';
	}
	return up && low && dig;
}

char *
http_redact_message(const char *s)
{
	char *known = http_redact(s, strlen(s));
	struct buf b = {0};
	const char *p = known, *w;

	while (*p) {
		if (!token_char((unsigned char)*p)) {
			buf_addc(&b, *p++);
			continue;
		}
		for (w = p; *p && token_char((unsigned char)*p); p++)
			;
		if (looks_secret(w, (size_t)(p - w)))
			buf_adds(&b, "<REDACTED>");
		else
			buf_add(&b, w, (size_t)(p - w));
	}
	free(known);
	return buf_take(&b);
}

char *
http_google_message(const struct http_response *resp)
{
	jv v = body_json(resp), e = json_get(v, "error");
	const char *s = json_str(e, "message");
	char *out;

	if (s == NULL)
		s = json_str(v, "error_description");
	/* Google's words go into error lines and result records: an answer
	 * that echoes a token must not carry it there */
	out = s ? http_redact_message(s) : NULL;
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

/* 403 reasons that refuse one request for what it asks, not the grant:
 * the other calls of a run can go through. */
static int
refused_for_request(const char *reason)
{
	static const char *const r[] = {
		"forbiddenForNonOrganizer", /* Calendar errors guide */
	};
	size_t i;

	for (i = 0; reason && i < sizeof(r) / sizeof(r[0]); i++)
		if (strcmp(reason, r[i]) == 0)
			return 1;
	return 0;
}

int
http_answer_exit(long status, jv body)
{
	const char *reason = reason_in(body);
	jv e;
	int oauth, google;

	if (status >= 200 && status < 300)
		return 0;
	/* OAuth endpoints (RFC 6749 5.2): {"error":"invalid_grant",...} */
	oauth = json_str(body, "error") != NULL;
	e = json_get(body, "error");
	google = oauth || jv_get_kind(e) == JV_KIND_OBJECT;
	jv_free(e);
	/* 401 after the one refresh: the grant is gone */
	if (status == 401)
		return EX_NOPERM;
	/* 5xx, 429, rate limits; and the quotas of a day or of a user's
	 * Calendar use (errors guide: dailyLimitExceeded, quotaExceeded),
	 * which are the next run's */
	if (http_retryable_answer(status, body) || (status == 403 && reason &&
	    (strcmp(reason, "quotaExceeded") == 0 ||
	    strcmp(reason, "dailyLimitExceeded") == 0)))
		return EX_TEMPFAIL;
	/* invalid_grant, invalid_client, unauthorized_client... */
	if (oauth && (status == 400 || status == 403))
		return EX_NOPERM;
	/* insufficientPermissions (a scope the grant lacks: status
	 * PERMISSION_DENIED, ACCESS_TOKEN_SCOPE_INSUFFICIENT), forbidden and
	 * requiredAccessLevel (no writer access), accessNotConfigured,
	 * domainPolicy: a human must act */
	if (status == 403)
		return refused_for_request(reason) ? EX_DATAERR : EX_NOPERM;
	/* a request Google judged wrong, or a resource it does not have */
	if (google && (status == 400 || status == 404))
		return EX_DATAERR;
	return EX_UNAVAILABLE;
}

int
http_response_exit(const struct http_response *resp)
{
	jv v = body_json(resp);
	int rc = http_answer_exit(resp->status, v);

	jv_free(v);
	/* RFC 6750 3.1: a bearer refused for scope, whatever the body says */
	if (rc != EX_NOPERM && resp->status == 403 && resp->www_authenticate &&
	    strstr(resp->www_authenticate, "insufficient_scope") != NULL)
		rc = EX_NOPERM;
	return rc;
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
	u = url_shown(url, 1);
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
	char *url, *canon, *rbody = NULL, *shown;
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
	shown = http_url_shown(replay && *replay ? canon : url);
	resp->request = xasprintf("%s %s", req->method, shown);
	free(shown);
	if (req->host == HOST_URL) {
		int loopback, https;
		const char *why = url_problem(url, 1, &loopback, &https);

		if (why != NULL) {
			/* a backend's address from the command line */
			shown = http_url_shown(url);
			set_error("'%s' %s", shown, why);
			free(shown);
			status = EX_USAGE;
			goto out;
		}
	}
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
		if (req->pacer && req->pacer->before)
			req->pacer->before(req->pacer->arg);
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
		if (req->pacer && req->pacer->after)
			req->pacer->after(req->pacer->arg, rc == CURLE_OK ?
			    resp->status : 0, resp->json);
		if (rc == CURLE_OK) {
			record_exchange(req->method, canon, req->body, req->body_len,
			    resp);
			if (!bad_json && (req->no_retry || !http_retryable(resp)))
				break;
		}
		/* the one place a transfer's failure becomes an exit status */
		if (rc != CURLE_OK && (!transient_curl_error(rc) ||
		    req->no_retry || attempt > max_retries)) {
			shown = http_url_shown(url);
			if ((rc == CURLE_WRITE_ERROR && body_over) ||
			    rc == CURLE_FILESIZE_EXCEEDED)
				set_error("%s %s: the answer is larger than "
				    "GCAL_MAX_BODY (%ld bytes)", req->method, shown,
				    http_max_body());
			else
				set_error("%s %s: %s%s", req->method, shown,
				    curl_errbuf[0] ? curl_errbuf :
				    curl_easy_strerror(rc), attempt > 1 ?
				    " (after every retry)" : "");
			free(shown);
			status = rc == CURLE_FILESIZE_EXCEEDED ||
			    rc == CURLE_WRITE_ERROR ? EX_UNAVAILABLE : curl_exit(rc);
			break;
		}
		if (attempt > max_retries) {
			if (bad_json) {
				shown = http_url_shown(url);
				set_error("%s %s: the answer is not JSON (after %d "
				    "attempts)", req->method, shown, attempt);
				free(shown);
				status = EX_UNAVAILABLE;
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
	free(resp->request);
	resp->request = NULL;
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
