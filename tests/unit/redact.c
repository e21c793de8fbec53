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

/* Secrets registered in this order: each kind numbers its own. */
static const char *const secrets[][2] = {
	{ "ya29.first-token", "ACCESS_TOKEN" },
	{ "ya29.second/token", "ACCESS_TOKEN" },
	{ "1//0abc/def", "REFRESH_TOKEN" },
};

enum how { REDACT, SHOWN, MESSAGE };

/* A registered secret becomes its placeholder, in any spelling and in a
 * shown URL's path; Google's texts lose token-looking words too, but keep
 * ids and words. */
static const struct {
	enum how how;
	const char *in, *want, *what;
} cases[] = {
	{ REDACT, "a ya29.first-token b", "a <ACCESS_TOKEN_1> b",
	  "a registered secret: its placeholder" },
	{ REDACT, "t=ya29.second%2Ftoken", "t=<ACCESS_TOKEN_2>",
	  "its percent-encoded spelling too" },
	{ REDACT, "a ya29.first-token b 1//0abc/def c ya29.second/token",
	  "a <ACCESS_TOKEN_1> b <REFRESH_TOKEN_1> c <ACCESS_TOKEN_2>",
	  "secrets become stable placeholders, numbered by kind" },
	{ REDACT, "refresh_token=1%2F%2F0abc%2Fdef", "refresh_token=<REFRESH_TOKEN_1>",
	  "a percent-encoded refresh token too" },
	{ SHOWN, "http://h/x/ya29.first-token/y", "http://h/x/<ACCESS_TOKEN_1>/y",
	  "a known secret in a shown URL's path is redacted" },
	/* the token-shaped words are split so that no tracked file holds one */
	{ MESSAGE, "echoed ya29." "a0AfB_unknownTokenValue here", "echoed <REDACTED> here",
	  "a message: a token-shaped word too" },
	{ MESSAGE, "Bad token ya29.first-token, or ya29." "a0AfH6SMBunknown0, "
	  "1//0eFgHiJkLmNoPq, GOCSPX-abcdEFGH1234 and "
	  "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
	  "Bad token <ACCESS_TOKEN_1>, or <REDACTED>, <REDACTED>, "
	  "<REDACTED> and <REDACTED>",
	  "Google's texts: known secrets and token-looking words redacted" },
	{ MESSAGE, "Invalid Credentials for "
	  "Zx81KqP0aLmN3bV7cXrT2yUeW9oI5pQs4dFgH6jK and event "
	  "0123456789abcdefghijklmnopqrstuv0123456789: rateLimitExceeded",
	  "Invalid Credentials for <REDACTED> and event "
	  "0123456789abcdefghijklmnopqrstuv0123456789: rateLimitExceeded",
	  "a long mixed-case run goes, base32hex ids and words stay" },
};

static void
test_placeholders(void)
{
	size_t i;
	char *s;

	for (i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
		http_secret(secrets[i][0], secrets[i][1]);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = cases[i].how == REDACT ?
		    http_redact(cases[i].in, strlen(cases[i].in)) :
		    cases[i].how == SHOWN ? http_url_shown(cases[i].in) :
		    http_redact_message(cases[i].in);
		is_str(s, cases[i].want, "%s", cases[i].what);
		free(s);
	}
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
	test_threads();
	http_cleanup();
	return done_testing();
}
