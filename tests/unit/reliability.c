/* Unit tests for what the reliability work (issue 7) fixed: each of these
 * failed before its fix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "http.h"
#include "json.h"
#include "oauth.h"
#include "util.h"
#include "tap.h"

static void
test_retry_after(void)
{
	/* "Retry-After: 99999999999999999999" reads as LONG_MAX: multiplying
	 * it by 1000 overflowed (UBSan) before the wait was clamped */
	ok(http_backoff_ms(1, 9223372036854775807L) == 86400000L,
	    "a huge Retry-After is clamped, not overflowed");
	ok(http_backoff_ms(1, 3) == 3000, "Retry-After: 3 waits 3 s");
}

static void
test_redirect(void)
{
	const char *u = "http://127.0.0.1:9/?state=s%20t&code=4/0a%2Fb&scope=x";
	char *code, *state, *error;

	ok(oauth_parse_redirect(u, strlen(u), &code, &state, &error) == 1 &&
	    code && strcmp(code, "4/0a/b") == 0 && state &&
	    strcmp(state, "s t") == 0 && error == NULL,
	    "oauth_parse_redirect decodes code and state");
	free_secret(code);
	free(state);
	ok(oauth_parse_redirect("no query", 8, &code, &state, &error) == 0 &&
	    code == NULL && state == NULL && error == NULL,
	    "text without code= or error= is no redirect");
	http_cleanup();
}

static void
test_event_check(void)
{
	static const struct {
		const char *json;
		const char *why; /* NULL: fine */
	} cases[] = {
		{"{\"id\":\"a\",\"start\":{\"dateTime\":\"2026-01-01T00:00:00Z\"}}", NULL},
		{"{\"id\":\"a\",\"description\":null}", NULL},
		{"{\"id\":5}", "\"id\" is not a string"},
		{"{\"start\":\"x\"}", "\"start\" is not an object"},
		{"{\"end\":{\"date\":20260101}}", "\"end\" has a time that is not a string"},
		{"{\"attendees\":{}}", "\"attendees\" is not an array"},
		{"{\"status\":7}", "\"status\" is not a string"},
		{"[1]", "expected an object"},
	};
	size_t i;
	const char *why;
	jv v;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = json_parse(cases[i].json, strlen(cases[i].json));
		why = event_check(v);
		if (cases[i].why == NULL)
			ok(why == NULL, "event_check: %s is an event", cases[i].json);
		else
			is_str(why, cases[i].why, "event_check: %s", cases[i].json);
		jv_free(v);
	}
}

int
main(void)
{
	test_retry_after();
	test_redirect();
	test_event_check();
	return done_testing();
}
