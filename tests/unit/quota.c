/* Unit tests of lib/quota.c: the shared minute of a user and of a
 * project, slowing after a rate limit, the daily stop, and how often the
 * table is visited. A minute of 1.2 s (GCAL_QUOTA_MINUTE_MS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "quota.h"
#include "util.h"
#include "tap.h"

static jv
prof(const char *account, const char *client)
{
	return json_set_str(json_set_str(jv_object(), "account", account),
	    "client_id", client);
}

/* ms that quota_take(q, n) took */
static long long
take_ms(struct quota *q, int n)
{
	long long t0 = now_ms();

	quota_take(q, n);
	return now_ms() - t0;
}

static jv
error_body(const char *reason)
{
	return json_parse(reason, strlen(reason));
}

int
main(void)
{
	char dir[] = "/tmp/gcal-unit-quota.XXXXXX", *cmd, body[160];
	struct quota *a, *b, *c, *qs[64];
	long long until = 0, t;
	long v0;
	jv p, e;
	int i;

	if (mkdtemp(dir) == NULL)
		return 1;
	setenv("XDG_STATE_HOME", dir, 1);
	setenv("GCAL_QUOTA_MINUTE_MS", "1200", 1);
	setenv("GCAL_QUOTA_USER", "10", 1);
	setenv("GCAL_QUOTA_PROJECT", "15", 1);

	p = prof("a@example.com", "client-1");
	a = quota_open(p);
	jv_free(p);
	p = prof("b@example.com", "client-1");
	b = quota_open(p);
	jv_free(p);
	ok(a != NULL && b != NULL, "a governor for two users of one project");
	ok(take_ms(a, 10) < 100, "a burst of a whole minute (10) goes at once");
	ok(quota_requests(a) == 10, "... and is counted");
	ok(take_ms(b, 4) < 100, "another user has a minute of its own");
	t = take_ms(b, 2);
	ok(t > 800, "... but the project's 15 are shared: 16 wait (%lld ms)", t);
	p = prof("c@example.com", "client-3");
	c = quota_open(p);
	jv_free(p);
	ok(take_ms(c, 10) < 100, "a user of another project: 10 at once");
	t = take_ms(c, 1);
	ok(t > 800, "... the 11th waits for the minute to pass (%lld ms)", t);
	quota_close(c);

	/* slowed: the user's minute halved for every process */
	usleep(1400 * 1000);
	snprintf(body, sizeof(body), "{\"error\":{\"errors\":[{\"domain\":"
	    "\"usageLimits\",\"reason\":\"rateLimitExceeded\"}],\"code\":403}}");
	e = error_body(body);
	quota_answer(a, 403, e);
	jv_free(e);
	ok(take_ms(a, 5) < 100, "after a rate limit, half a minute goes at once");
	t = take_ms(a, 1);
	ok(t > 800, "... and no more (%lld ms)", t);

	/* the daily limit */
	ok(!quota_stopped(a, NULL), "writes are not stopped");
	snprintf(body, sizeof(body), "{\"error\":{\"errors\":[{\"domain\":"
	    "\"usageLimits\",\"reason\":\"quotaExceeded\"}],\"code\":403}}");
	e = error_body(body);
	quota_answer(a, 403, e);
	jv_free(e);
	ok(quota_stopped(a, &until), "after 403 quotaExceeded the user's writes stop");
	ok(until > now_s() && until <= now_s() + 25 * 3600,
	    "... until Google's day ends (within 25 hours)");
	ok(!quota_stopped(b, NULL), "... not another user's");
	p = prof("a@example.com", "client-1");
	c = quota_open(p);
	jv_free(p);
	ok(quota_stopped(c, NULL), "... and for the user's every handle (process)");
	quota_close(c);

	/* one visit for many users */
	usleep(1400 * 1000);
	setenv("GCAL_QUOTA_PROJECT", "10000", 1);
	for (i = 0; i < 64; i++) {
		char acct[32];

		snprintf(acct, sizeof(acct), "u%d@example.com", i);
		p = prof(acct, "client-2");
		qs[i] = quota_open(p);
		jv_free(p);
	}
	v0 = quota_table_visits();
	quota_reserve(qs, 64);
	for (i = 0; i < 64; i++)
		quota_take(qs[i], 1);
	ok(quota_table_visits() - v0 == 1,
	    "64 users' calls after quota_reserve: one visit to the table (%ld)",
	    quota_table_visits() - v0);
	for (i = 0; i < 64; i++)
		quota_close(qs[i]);
	quota_close(a);
	quota_close(b);
	c = quota_open(jv_null());
	ok(c != NULL, "a profile without an account still has a governor");
	quota_close(c);

	setenv("GCAL_QUOTA", "off", 1);
	p = prof("a@example.com", "client-1");
	ok(quota_open(p) == NULL, "GCAL_QUOTA=off: no governor");
	jv_free(p);
	quota_take(NULL, 1000000);
	ok(1, "... and a NULL one never waits");

	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	free(cmd);
	return done_testing();
}
