/* Unit tests of lib/retry.c: Retry-After in both of RFC 9110's forms,
 * the backoff, and the exit status of a failed transfer or an answer
 * (gcal(7) EXIT STATUS). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "http.h"
#include "json.h"
#include "retry.h"
#include "util.h"
#include "tap.h"

/* Wed, 21 Oct 2015 07:28:00 GMT (RFC 9110's example) */
#define T0 1445412480LL

static void
test_retry_after(void)
{
	ok(http_retry_after("120", T0) == 120, "delay-seconds: 120");
	ok(http_retry_after(" 7", T0) == 7, "delay-seconds after a space: 7");
	ok(http_retry_after("0", T0) == 0, "delay-seconds: 0");
	ok(http_retry_after("99999999999999999999", T0) == LONG_MAX,
	    "more digits than a long: LONG_MAX, not an overflow");
	ok(http_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", T0 - 30) == 30,
	    "IMF-fixdate 30 s ahead: 30");
	ok(http_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", T0 - 5) == 5,
	    "obsolete RFC 850 date 5 s ahead: 5");
	ok(http_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", T0 + 60) == 0,
	    "a date passed: 0");
	ok(http_retry_after("12abc", T0) == -1, "digits then junk: none");
	ok(http_retry_after("soon", T0) == -1, "a word: none");
	ok(http_retry_after("-5", T0) == -1, "a negative number: none");
	ok(http_retry_after(NULL, T0) == -1, "no header: none");
}

static void
test_backoff(void)
{
	/* "Retry-After: 99999999999999999999" reads as LONG_MAX */
	ok(http_backoff_ms(1, LONG_MAX) == 86400000L,
	    "a huge Retry-After is clamped, not overflowed");
	ok(http_backoff_ms(1, 3) == 3000, "Retry-After: 3 waits 3 s");
}

static void
test_curl_exit(void)
{
	ok(retry_curl_exit(CURLE_COULDNT_CONNECT) == EX_TEMPFAIL &&
	    retry_curl_transient(CURLE_COULDNT_CONNECT),
	    "cannot connect: 75, retried");
	ok(retry_curl_exit(CURLE_OPERATION_TIMEDOUT) == EX_TEMPFAIL,
	    "a timeout: 75");
	ok(retry_curl_exit(CURLE_WRITE_ERROR) == EX_UNAVAILABLE &&
	    !retry_curl_transient(CURLE_WRITE_ERROR),
	    "an answer past GCAL_MAX_BODY: 69, not retried");
	ok(retry_curl_exit(CURLE_FILESIZE_EXCEEDED) == EX_UNAVAILABLE,
	    "a Content-Length past GCAL_MAX_BODY: 69");
	ok(retry_curl_exit(CURLE_PEER_FAILED_VERIFICATION) == EX_UNAVAILABLE &&
	    !retry_curl_transient(CURLE_PEER_FAILED_VERIFICATION),
	    "a certificate refused: 69, not retried");
	ok(retry_curl_exit(CURLE_BAD_CONTENT_ENCODING) == EX_UNAVAILABLE &&
	    retry_curl_transient(CURLE_BAD_CONTENT_ENCODING),
	    "garbled gzip: retried, 69 in the end");
	ok(retry_curl_exit(CURLE_UNSUPPORTED_PROTOCOL) == EX_USAGE,
	    "a scheme libcurl refuses: 64");
}

static int
answer(long status, const char *body)
{
	jv v = body ? json_parse(body, strlen(body)) : jv_null();
	int rc = http_answer_exit(status, v);

	jv_free(v);
	return rc;
}

#define GERR(code, reason) "{\"error\":{\"code\":" #code ",\"errors\":[{\"reason\":\"" reason "\"}]}}"

static void
test_answers(void)
{
	ok(answer(200, "{}") == 0, "2xx is no failure");
	ok(answer(204, NULL) == 0, "204 without a body neither");
	ok(answer(401, GERR(401, "authError")) == EX_NOPERM, "401 (after the refresh): 77");
	ok(answer(403, GERR(403, "insufficientPermissions")) == EX_NOPERM,
	    "403 insufficientPermissions: 77");
	ok(answer(403, "{\"error\":{\"code\":403,\"status\":\"PERMISSION_DENIED\"}}") == EX_NOPERM,
	    "403 PERMISSION_DENIED without errors[]: 77");
	ok(answer(403, GERR(403, "forbidden")) == EX_NOPERM, "403 forbidden (no writer access): 77");
	ok(answer(403, GERR(403, "accessNotConfigured")) == EX_NOPERM, "403 accessNotConfigured: 77");
	ok(answer(403, GERR(403, "rateLimitExceeded")) == EX_TEMPFAIL, "403 rateLimitExceeded: 75");
	ok(answer(403, GERR(403, "userRateLimitExceeded")) == EX_TEMPFAIL, "403 userRateLimitExceeded: 75");
	ok(answer(403, GERR(403, "quotaExceeded")) == EX_TEMPFAIL, "403 quotaExceeded: 75");
	ok(answer(403, GERR(403, "dailyLimitExceeded")) == EX_TEMPFAIL, "403 dailyLimitExceeded: 75");
	ok(answer(403, GERR(403, "forbiddenForNonOrganizer")) == EX_DATAERR,
	    "403 forbiddenForNonOrganizer refuses one request: 65");
	ok(answer(429, NULL) == EX_TEMPFAIL, "429: 75");
	ok(answer(500, "<html>") == EX_TEMPFAIL, "500: 75");
	ok(answer(503, NULL) == EX_TEMPFAIL, "503: 75");
	ok(answer(400, "{\"error\":\"invalid_grant\"}") == EX_NOPERM, "400 invalid_grant: 77");
	ok(answer(401, "{\"error\":\"invalid_client\"}") == EX_NOPERM, "401 invalid_client: 77");
	ok(answer(400, GERR(400, "timeRangeEmpty")) == EX_DATAERR, "400 Google explains: 65");
	ok(answer(404, GERR(404, "notFound")) == EX_DATAERR, "404 notFound: 65");
	ok(answer(404, "<html>not here</html>") == EX_UNAVAILABLE,
	    "404 that is not Google's (a wrong endpoint): 69");
	ok(answer(409, GERR(409, "duplicate")) == EX_UNAVAILABLE, "an unexpected 409: 69");
	ok(answer(302, NULL) == EX_UNAVAILABLE, "a redirect: 69");
}

int
main(void)
{
	test_retry_after();
	test_backoff();
	test_curl_exit();
	test_answers();
	return done_testing();
}
