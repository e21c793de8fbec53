/* Unit tests of lib/redact.c: placeholders, the percent-encoded spelling,
 * messages, and the registry used by many threads at once (make tsan). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "util.h"
#include "tap.h"

#define THREADS 4
#define SECRETS 50

static void
test_placeholders(void)
{
	char *s;

	http_secret("ya29.first-token", "ACCESS_TOKEN");
	http_secret("ya29.second/token", "ACCESS_TOKEN");
	s = http_redact("a ya29.first-token b", 20);
	is_str(s, "a <ACCESS_TOKEN_1> b", "a registered secret: its placeholder");
	free(s);
	s = http_redact("t=ya29.second%2Ftoken", 21);
	is_str(s, "t=<ACCESS_TOKEN_2>", "its percent-encoded spelling too");
	free(s);
	s = http_redact_message("echoed ya29.a0AfB_unknownTokenValue here");
	is_str(s, "echoed <REDACTED> here", "a message: a token-shaped word too");
	free(s);
}

/* Placeholders number each kind on its own; a secret in a URL's path
 * is redacted when the URL is shown; Google's texts lose known secrets
 * and token-looking words, but keep ids and words. */
static void
test_kinds_and_messages(void)
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
	s = http_url_shown("http://h/x/ya29.secretvalue/y");
	is_str(s, "http://h/x/<ACCESS_TOKEN_1>/y", "a known secret in a shown URL's path is redacted");
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

static void *
worker(void *arg)
{
	intptr_t id = (intptr_t)arg, bad = 0;
	char *secret, *text, *out, *want;
	int i;

	for (i = 0; i < SECRETS; i++) {
		secret = xasprintf("secret-%ld-%d-xyz", (long)id, i);
		http_secret(secret, "TOKEN");
		text = xasprintf("[%s]", secret);
		out = http_redact(text, strlen(text));
		want = strstr(out, "secret-") == NULL && out[0] == '[' &&
		    strncmp(out + 1, "<TOKEN_", 7) == 0 ? NULL : out;
		bad += want != NULL;
		free(secret);
		free(text);
		free(out);
	}
	return (void *)bad;
}

static void
test_threads(void)
{
	pthread_t t[THREADS];
	void *bad;
	long sum = 0;
	int i;

	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], &bad);
		sum += (long)(intptr_t)bad;
	}
	ok(sum == 0, "%d threads registering and redacting at once: every "
	    "secret redacted (%ld missed)", THREADS, sum);
}

int
main(void)
{
	test_placeholders();
	http_cleanup();
	test_kinds_and_messages();
	test_threads();
	http_cleanup();
	return done_testing();
}
