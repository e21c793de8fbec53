/* Unit tests of the exit-status rule (gcal(7) EXIT STATUS) for answers,
 * and of how URLs are shown in messages. */
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

int
main(void)
{
	test_answers();
	test_shown();
	return done_testing();
}
