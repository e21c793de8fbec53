/* Unit tests of lib/http.c: the exit-status rule for answers (gcal(7) EXIT
 * STATUS), how URLs are shown in messages, the redaction of secrets and
 * the backoff that Retry-After asks for. */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "json.h"
#include "util.h"
#include "tap.h"

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

static void
test_shown(void)
{
	char *s;

	s = http_url_shown("http://127.0.0.1:1/calendar/v3/x?syncToken=abc&access_token=t");
	is_str(s, "http://127.0.0.1:1/calendar/v3/x?...", "the query is left out of messages");
	free(s);
	s = http_url_shown("https://user:pw@pbx.example:8443/RPC");
	is_str(s, "https://pbx.example:8443/RPC", "user and password are left out");
	free(s);
	s = http_url_shown("http://[::1]:8931/token");
	is_str(s, "http://[::1]:8931/token", "a plain URL is shown as it is");
	free(s);
	http_secret("ya29.secretinpath", "ACCESS_TOKEN");
	s = http_url_shown("http://h/x/ya29.secretinpath/y");
	is_str(s, "http://h/x/<ACCESS_TOKEN_1>/y", "a known secret in the path is redacted");
	free(s);
	http_cleanup();
}

static void
test_redact(void)
{
	char *s;

	http_secret("ya29.secretvalue", "ACCESS_TOKEN");
	http_secret("1//0abc/def", "REFRESH_TOKEN");
	http_secret("ya29.othervalue", "ACCESS_TOKEN");
	s = http_redact("a ya29.secretvalue b 1//0abc/def c ya29.othervalue", 50);
	is_str(s, "a <ACCESS_TOKEN_1> b <REFRESH_TOKEN_1> c <ACCESS_TOKEN_2>",
	    "secrets become stable numbered placeholders");
	free(s);
	s = http_redact("refresh_token=1%2F%2F0abc%2Fdef", 31);
	is_str(s, "refresh_token=<REFRESH_TOKEN_1>", "the percent-encoded spelling too");
	free(s);
	s = http_redact_message("Bad token ya29.secretvalue, or ya29.a0AfH6SMBunknown0, "
	    "1//0eFgHiJkLmNoPq, GOCSPX-abcdEFGH1234 and "
	    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig");
	is_str(s, "Bad token <ACCESS_TOKEN_1>, or <REDACTED>, <REDACTED>, "
	    "<REDACTED> and <REDACTED>",
	    "Google's texts: known secrets and token-looking words redacted");
	free(s);
	s = http_redact_message("Invalid Credentials for "
	    "Zx81KqP0aLmN3bV7cXrT2yUeW9oI5pQs4dFgH6jK and event "
	    "0123456789abcdefghijklmnopqrstuv0123456789: rateLimitExceeded");
	is_str(s, "Invalid Credentials for <REDACTED> and event "
	    "0123456789abcdefghijklmnopqrstuv0123456789: rateLimitExceeded",
	    "a long mixed-case run goes, base32hex ids and words stay");
	free(s);
	http_cleanup();
}

static void
test_retry_after(void)
{
	/* "Retry-After: 99999999999999999999" reads as LONG_MAX: multiplying
	 * it by 1000 overflowed (UBSan) before the wait was clamped */
	ok(http_backoff_ms(1, 9223372036854775807L) == 86400000L,
	    "a huge Retry-After is clamped, not overflowed");
	ok(http_backoff_ms(1, 3) == 3000, "Retry-After: 3 waits 3 s");
}

int
main(void)
{
	test_answers();
	test_shown();
	test_redact();
	test_retry_after();
	return done_testing();
}
