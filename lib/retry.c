#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "curl_load.h"
#include "http.h"
#include "json.h"
#include "retry.h"
#include "util.h"

#define BACKOFF_MAX_MS 32000 /* Google's guide: cap the exponential wait */

long
http_retry_after(const char *v, long long now)
{
	const char *errstr;
	char digits[20];
	long long n;
	size_t nd;
	time_t when;

	if (v == NULL)
		return -1;
	v += strspn(v, " \t");
	if ((nd = strspn(v, "0123456789")) > 0) {
		/* delay-seconds = 1*DIGIT (RFC 9110 10.2.3), nothing after */
		if (v[nd + strspn(v + nd, " \t\r\n")] != '\0')
			return -1;
		if (nd >= sizeof(digits))
			return LONG_MAX; /* longer than any wait: "later" */
		memcpy(digits, v, nd);
		digits[nd] = '\0';
		n = strtonum(digits, 0, LONG_MAX, &errstr);
		return errstr != NULL ? LONG_MAX : (long)n;
	}
	/* an HTTP-date: IMF-fixdate, or the obsolete forms libcurl reads */
	curl_load();
	if ((when = curl_getdate(v, NULL)) == -1)
		return -1;
	return when > now ? (long)(when - now) : 0;
}

/* The exit status of a transfer that brought no answer we can use
 * (gcal(7) EXIT STATUS): 75 when running again later can work (the
 * network, a dropped answer), 69 when the other side answered something
 * unusable (TLS refused, an answer over GCAL_MAX_BODY, garbled bytes). */
int
retry_curl_exit(int code)
{
	switch ((CURLcode)code) {
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
	case CURLE_WRITE_ERROR:       /* on_body: past GCAL_MAX_BODY */
	case CURLE_FILESIZE_EXCEEDED: /* a Content-Length past it */
		return EX_UNAVAILABLE;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return EX_USAGE;
	default:
		return EX_UNAVAILABLE;
	}
}

int
retry_curl_transient(int code)
{
	return retry_curl_exit(code) == EX_TEMPFAIL ||
	    code == CURLE_BAD_CONTENT_ENCODING;
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

long
http_backoff_ms(int attempt, long retry_after)
{
	long base = http_setting("GCAL_BACKOFF_MS", 1000, 0, 600000);
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
