/* Unit tests of lib/oauth.c: reading the redirect of the loopback flow. */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "oauth.h"
#include "util.h"
#include "tap.h"

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

int
main(void)
{
	test_redirect();
	return done_testing();
}
