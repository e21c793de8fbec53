/* Unit tests of lib/events.c: event_check, the shape an event must have. */
#include <string.h>

#include "events.h"
#include "json.h"
#include "util.h"
#include "tap.h"

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
	test_event_check();
	return done_testing();
}
