#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cassette.h"
#include "curl_load.h"
#include "endpoint.h"
#include "http.h"
#include "json.h"
#include "redact.h"
#include "retry.h"
#include "trace.h"
#include "transport.h"
#include "util.h"

/* Why this thread's last http_do failed. */
static _Thread_local char last_error[1024];

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
http_setting(const char *name, long def, long min, long max)
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
	return http_setting("GCAL_TIMEOUT", 120, 1, 86400);
}

int
http_max_retries(void)
{
	return (int)http_setting("GCAL_RETRIES", 5, 0, 100);
}

long
http_max_body(void)
{
	/* Google's largest page (2500 events of a few KB each) is a few
	 * tens of MB at most */
	return http_setting("GCAL_MAX_BODY", 64L << 20, 1024, 1L << 40);
}

void
http_check_env(void)
{
	endpoint_check();
	(void)http_max_retries();
	(void)http_timeout();
	(void)http_max_body();
	(void)http_setting("GCAL_BACKOFF_MS", 1000, 0, 600000);
	(void)http_setting("GCAL_CONNECT_TIMEOUT", 10, 1, 3600);
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

static void
response_reset(struct http_response *resp)
{
	clear_headers(resp);
	buf_reset(&resp->body);
	jv_free(resp->json);
	resp->json = jv_invalid();
	resp->status = 0;
}

static int
is_json_type(const char *ct)
{
	return ct && strncasecmp(ct, "application/json", 16) == 0;
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

/* Register the secrets a request carries, so that no trace, fixture or
 * message shows them. */
static void
learn_secrets(const struct http_request *req)
{
	const char *q = strchr(req->path, '?');

	if (req->bearer)
		http_secret(req->bearer, "ACCESS_TOKEN");
	if (req->body && req->content_type &&
	    strncmp(req->content_type, "application/x-www-form-urlencoded", 33) == 0)
		redact_learn_form(req->body, req->body_len);
	if (q != NULL)
		redact_learn_form(q + 1, strlen(q + 1));
}

static int
replay(const struct http_request *req, const char *canon,
    struct http_response *resp)
{
	char *rbody = http_redact(req->body, req->body ? req->body_len : 0);
	int status = cassette_answer(req->method, canon, rbody, resp);

	free(rbody);
	if (status != 0)
		set_error("GCAL_REPLAY '%s' has no recorded answer for %s %s",
		    getenv("GCAL_REPLAY"), req->method, canon);
	else if (wants_parse(req, resp))
		resp->json = json_parse(resp->body.data ? resp->body.data : "",
		    resp->body.len);
	resp->attempts = 1;
	if (verbose)
		warnx("%s %s: %ld (replayed)", req->method, canon, resp->status);
	return status;
}

/* The exit status of a transfer that failed for good (rc, a CURLcode),
 * with its message. */
static int
transfer_failed(const struct http_request *req, const char *url, int rc,
    int attempt)
{
	char *shown = http_url_shown(url);
	int status = retry_curl_exit(rc);

	if (rc == CURLE_WRITE_ERROR || rc == CURLE_FILESIZE_EXCEEDED)
		set_error("%s %s: the answer is larger than GCAL_MAX_BODY (%ld "
		    "bytes)", req->method, shown, http_max_body());
	else
		set_error("%s %s: %s%s", req->method, shown, transport_error(rc),
		    attempt > 1 ? " (after every retry)" : "");
	free(shown);
	return status;
}

/* One attempt: the transfer, the parse, the trace, the pacer, the
 * record. The transfer's code; *bad_json when a 2xx that must be JSON
 * is not. */
static int
attempt_once(const struct http_request *req, const char *url,
    const char *canon, struct http_response *resp, int *bad_json)
{
	long long t0;
	int rc;

	if (req->pacer && req->pacer->before)
		req->pacer->before(req->pacer->arg);
	t0 = now_ms();
	rc = transport_perform(req, url, resp);
	*bad_json = 0;
	/* learn the secrets of the answer before tracing it */
	if (rc == CURLE_OK && wants_parse(req, resp)) {
		resp->json = json_parse(resp->body.data ? resp->body.data : "",
		    resp->body.len);
		if (jv_is_valid(resp->json))
			redact_learn_json(resp->json);
		else if (resp->status < 300 && req->want_json)
			*bad_json = 1;
	}
	trace_attempt(req, url, resp, rc, now_ms() - t0);
	if (req->pacer && req->pacer->after)
		req->pacer->after(req->pacer->arg, rc == CURLE_OK ?
		    resp->status : 0, resp->json);
	if (rc == CURLE_OK)
		cassette_record(req->method, canon, req->body, req->body_len, resp);
	return rc;
}

/* Attempts until an answer that is not retried, or the retries are
 * spent; retry_curl_exit is where a failed transfer becomes a status. */
static int
attempts(const struct http_request *req, const char *url, const char *canon,
    struct http_response *resp)
{
	long max_retries = http_max_retries(), wait;
	char *shown;
	int attempt, rc, bad_json;

	for (attempt = 1;; attempt++) {
		response_reset(resp);
		resp->attempts = attempt;
		rc = attempt_once(req, url, canon, resp, &bad_json);
		if (rc == CURLE_OK && !bad_json &&
		    (req->no_retry || !http_retryable(resp)))
			return 0;
		if (rc != CURLE_OK && (!retry_curl_transient(rc) ||
		    req->no_retry || attempt > max_retries))
			return transfer_failed(req, url, rc, attempt);
		if (attempt > max_retries && bad_json) {
			shown = http_url_shown(url);
			set_error("%s %s: the answer is not JSON (after %d "
			    "attempts)", req->method, shown, attempt);
			free(shown);
			return EX_UNAVAILABLE;
		}
		if (attempt > max_retries)
			return 0; /* a retryable status stays in resp */
		if (rc == CURLE_OK && resp->retry_after > RETRY_AFTER_MAX) {
			if (verbose)
				warnx("%s asks to wait %ld s: giving up for now",
				    req->host == HOST_MS_LOGIN || req->host ==
				    HOST_MS_GRAPH || strstr(canon,
				    "microsoft") != NULL ? "Microsoft" : "Google",
				    resp->retry_after);
			return 0;
		}
		wait = http_backoff_ms(attempt, rc == CURLE_OK ?
		    resp->retry_after : -1);
		if (verbose)
			warnx("retrying in %ld ms (attempt %d of %ld)", wait,
			    attempt + 1, max_retries + 1);
		usleep((useconds_t)wait * 1000);
	}
}

int
http_do(const struct http_request *req, struct http_response *resp)
{
	char *url, *canon, *shown;
	const char *why;
	int status, loopback, https;

	memset(resp, 0, sizeof(*resp));
	resp->retry_after = -1;
	resp->json = jv_invalid();
	last_error[0] = '\0';

	url = http_url(req->host, req->path);
	canon = endpoint_canonical(req->host, req->path);
	shown = http_url_shown(http_replaying() ? canon : url);
	resp->request = xasprintf("%s %s", req->method, shown);
	free(shown);
	/* a backend's address from the command line */
	if (req->host == HOST_URL &&
	    (why = endpoint_problem(url, 1, &loopback, &https)) != NULL) {
		shown = http_url_shown(url);
		set_error("'%s' %s", shown, why);
		free(shown);
		status = EX_USAGE;
	} else {
		learn_secrets(req);
		status = http_replaying() ? replay(req, canon, resp) :
		    attempts(req, url, canon, resp);
	}
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
	transport_cleanup();
	redact_cleanup();
	cassette_cleanup();
}
