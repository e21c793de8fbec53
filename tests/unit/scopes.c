/* Unit tests of lib/scopes.c. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "scopes.h"
#include "tap.h"

int
main(void)
{
	const char *t = "{\"scope\":\"https://graph.microsoft.com/User.Read  "
	    "https://graph.microsoft.com/Calendars.ReadWrite openid\"}";
	jv tokens = json_parse(t, strlen(t)), g;
	char *s;

	g = scopes_granted(tokens, "asked");
	s = json_dump(jv_copy(g));
	is_str(s, "[\"https://graph.microsoft.com/Calendars.ReadWrite\","
	    "\"https://graph.microsoft.com/User.Read\",\"openid\"]",
	    "the answer's scopes, sorted, blanks dropped");
	free(s);
	ok(scopes_has(g, "Calendars.ReadWrite"), "a Graph scope matches without "
	    "its resource");
	ok(scopes_has(g, "calendars.readwrite"), "... in any case");
	ok(!scopes_has(g, "Calendars.Read"), "Calendars.Read is not ReadWrite");
	jv_free(g);
	jv_free(tokens);
	tokens = jv_object();
	g = scopes_granted(tokens, "https://www.googleapis.com/auth/calendar");
	ok(scopes_has(g, "https://www.googleapis.com/auth/calendar"),
	    "an answer without scope: what was asked");
	jv_free(g);
	jv_free(tokens);
	return done_testing();
}
