/* Unit tests of lib/endpoint.c: which URLs are refused and why, how URLs
 * are shown, and the hosts the endpoint variables stand for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "http.h"
#include "util.h"
#include "tap.h"

static void
test_problem(void)
{
	int lo, https;

	ok(endpoint_problem("https://example.com:8443/x", 0, &lo, &https) == NULL &&
	    https && !lo, "https with a port and a path: fine, not loopback");
	ok(endpoint_problem("http://127.0.0.9:80", 0, &lo, &https) == NULL && lo &&
	    !https, "127.0.0.0/8 is loopback");
	ok(endpoint_problem("http://[::1]:8080/", 0, &lo, &https) == NULL && lo,
	    "[::1] is loopback");
	ok(endpoint_problem("http://LocalHost/", 0, &lo, &https) == NULL && lo,
	    "localhost, any case, is loopback");
	ok(endpoint_problem("http://127.1:8080", 0, &lo, &https) == NULL && lo,
	    "127.1 (127.0.0.1 to the resolver) is loopback");
	ok(endpoint_problem("http://2130706433/", 0, &lo, &https) == NULL && lo,
	    "127.0.0.1 as one number is loopback");
	ok(endpoint_problem("http://[::ffff:127.0.0.1]:80", 0, &lo, &https) ==
	    NULL && lo, "IPv4-mapped 127.0.0.1 is loopback");
	ok(endpoint_problem("http://[::ffff:10.0.0.1]/", 0, &lo, &https) == NULL &&
	    !lo, "IPv4-mapped 10.0.0.1 is not");
	ok(endpoint_problem("http://128.0.0.1/", 0, &lo, &https) == NULL && !lo &&
	    endpoint_problem("http://127.0.0.1.example.com/", 0, &lo, &https) ==
	    NULL && !lo, "128.0.0.1 and a name that starts 127.0.0.1. are not");
	ok(endpoint_problem("ftp://example.com", 0, &lo, &https) != NULL,
	    "another scheme is refused");
	ok(endpoint_problem("https://u:p@example.com", 0, &lo, &https) != NULL &&
	    endpoint_problem("https://u:p@example.com/x?a=1", 1, &lo, &https) ==
	    NULL, "user:password and a query: refused in the endpoint, fine in "
	    "a backend's address");
	ok(endpoint_problem("https://example.com?x=1", 0, &lo, &https) != NULL,
	    "a query in the endpoint is refused");
	ok(endpoint_problem("https://example.com:0", 0, &lo, &https) != NULL &&
	    endpoint_problem("https://example.com:65536", 0, &lo, &https) != NULL &&
	    endpoint_problem("https://example.com:", 0, &lo, &https) != NULL &&
	    endpoint_problem("https://example.com:8x", 0, &lo, &https) != NULL,
	    "port 0, above 65535, empty or not a number: refused");
	ok(endpoint_problem("https://exa mple.com", 0, &lo, &https) != NULL &&
	    endpoint_problem("https://example.com\n", 0, &lo, &https) != NULL,
	    "a space or a control character: refused");
	ok(endpoint_problem("https://[::1", 0, &lo, &https) != NULL &&
	    endpoint_problem("https://[zz]/", 0, &lo, &https) != NULL,
	    "an unclosed or unparsable IPv6 address: refused");
	ok(endpoint_problem("https:///x", 0, &lo, &https) != NULL, "no host: "
	    "refused");
}

static void
test_shown(void)
{
	char *s;

	s = endpoint_shown("https://user:pw@host.example/a/b?token=x#f", 0);
	is_str(s, "https://host.example/a/b?...", "shown: no user, password or "
	    "query");
	free(s);
	s = endpoint_shown("https://host.example/a?b=1", 1);
	is_str(s, "https://host.example/a?b=1", "shown with its query, for traces");
	free(s);
	s = http_url_shown("https://host.example/cal");
	is_str(s, "https://host.example/cal", "http_url_shown: a URL without "
	    "a query stays");
	free(s);
	s = http_url_shown("https://user:pw@pbx.example:8443/RPC");
	is_str(s, "https://pbx.example:8443/RPC", "http_url_shown: user and "
	    "password go, the port stays");
	free(s);
	s = http_url_shown("http://[::1]:8931/token");
	is_str(s, "http://[::1]:8931/token", "http_url_shown: an IPv6 literal "
	    "stays as it is");
	free(s);
}

static void
test_hosts(void)
{
	char *s;

	unsetenv("GCAL_ENDPOINT");
	unsetenv("GCAL_GRAPH_ENDPOINT");
	s = http_url(HOST_WWW, "/calendar/v3/x");
	is_str(s, "https://www.googleapis.com/calendar/v3/x", "Google's host");
	free(s);
	s = http_url(HOST_MS_GRAPH, "/v1.0/me");
	is_str(s, "https://graph.microsoft.com/v1.0/me", "Microsoft's host");
	free(s);
	setenv("GCAL_ENDPOINT", "http://127.0.0.1:9/", 1);
	setenv("GCAL_GRAPH_ENDPOINT", "http://127.0.0.1:8", 1);
	s = http_url(HOST_OAUTH2, "/token");
	is_str(s, "http://127.0.0.1:9/token", "GCAL_ENDPOINT stands for "
	    "Google's hosts (its final / dropped)");
	free(s);
	s = http_url(HOST_MS_LOGIN, "/common/oauth2/v2.0/token");
	is_str(s, "http://127.0.0.1:8/common/oauth2/v2.0/token",
	    "GCAL_GRAPH_ENDPOINT for Microsoft's, with Microsoft's paths");
	free(s);
	s = endpoint_canonical(HOST_OAUTH2, "/token");
	is_str(s, "https://oauth2.googleapis.com/token", "the canonical URL "
	    "ignores the endpoint: fixtures replay anywhere");
	free(s);
	s = http_url(HOST_URL, "https://backend.example/x");
	is_str(s, "https://backend.example/x", "a whole URL stays itself");
	free(s);
	s = endpoint_canonical(HOST_URL,
	    "http://127.0.0.1:8/v1.0/me/calendarView/delta?$deltatoken=t");
	is_str(s, "https://graph.microsoft.com/v1.0/me/calendarView/delta?"
	    "$deltatoken=t", "a link Graph gave under GCAL_GRAPH_ENDPOINT is "
	    "canonical under Graph's host");
	free(s);
	s = endpoint_canonical(HOST_URL, "http://127.0.0.1:80/v1.0/me");
	is_str(s, "http://127.0.0.1:80/v1.0/me", "... only under that "
	    "endpoint (a longer port is another)");
	free(s);
	s = endpoint_canonical(HOST_URL, "https://backend.example/x");
	is_str(s, "https://backend.example/x", "... a backend's URL stays "
	    "itself");
	free(s);
}

int
main(void)
{
	test_problem();
	test_shown();
	test_hosts();
	return done_testing();
}
