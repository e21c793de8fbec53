/* Unit tests of lib/loopback.c: reading the redirect a browser was sent
 * to, or the address pasted back. */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "loopback.h"
#include "util.h"
#include "tap.h"

static int
parse(const char *s, char **code, char **state, char **error)
{
	return loopback_parse_redirect(s, strlen(s), code, state, error);
}

int
main(void)
{
	char *code, *state, *error;

	ok(parse("/?state=s%20t&code=4%2F0a%2Fb&scope=x", &code, &state,
	    &error) == 1 && code && strcmp(code, "4/0a/b") == 0 && state &&
	    strcmp(state, "s t") == 0 && error == NULL,
	    "a loopback request target: code and state, decoded");
	free_secret(code);
	free(state);
	ok(parse("http://127.0.0.1:5555/?code=1.AXo&state=abc&session_state=9",
	    &code, &state, &error) == 1 && strcmp(code, "1.AXo") == 0 &&
	    strcmp(state, "abc") == 0, "a whole pasted URL, Microsoft's extra "
	    "parameters ignored");
	free_secret(code);
	free(state);
	ok(parse("/?error=access_denied&error_description=the+user+canceled&"
	    "state=abc", &code, &state, &error) == 1 && code == NULL &&
	    strcmp(error, "access_denied") == 0, "an error redirect carries error=");
	free(state);
	free(error);
	ok(parse("/?code=a&code=b&state=s", &code, &state, &error) == 1 &&
	    strcmp(code, "b") == 0, "a repeated code: the last one counts");
	free_secret(code);
	free(state);
	ok(parse("/favicon.ico", &code, &state, &error) == 0 && code == NULL &&
	    state == NULL && error == NULL, "a stray request is no redirect");
	ok(parse("/?state=only", &code, &state, &error) == 0 && code == NULL &&
	    error == NULL, "a state alone is no redirect");
	free(state);
	ok(parse("/?code&=x&&state=", &code, &state, &error) == 0,
	    "names without values are no code");
	free(state);
	http_cleanup();
	return done_testing();
}
