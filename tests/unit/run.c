/* Unit tests of lib/run.c: the order of exit statuses, durations, shards,
 * when a link is due, and the record round trip. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"
#include "util.h"
#include "tap.h"

static void
worse(void)
{
	ok(run_worse(0, 75) == 75, "75 is worse than 0");
	ok(run_worse(75, 1) == 75, "75 is worse than 1");
	ok(run_worse(4, 75) == 4, "4 (the daily limit) is worse than 75");
	ok(run_worse(65, 4) == 65, "65 is worse than 4");
	ok(run_worse(78, 77) == 77, "77 is worse than 78");
	ok(run_worse(70, 78) == 78, "78 is worse than 70");
	ok(run_worse(69, 70) == 70, "70 is worse than 69");
	ok(run_worse(64, 65) == 65, "65 is worse than 64");
	ok(run_worse(137, 64) == 64, "64 is worse than a signal's 137");
	ok(run_worse(137, 4) == 137, "a signal's 137 is worse than 4");
}

static void
durations(void)
{
	ok(run_parse_duration("90") == 90000, "90: seconds");
	ok(run_parse_duration("5m") == 300000, "5m");
	ok(run_parse_duration("2h") == 7200000, "2h");
	ok(run_parse_duration("1d") == 86400000, "1d");
	ok(run_parse_duration("0") == -1, "0 is no duration");
	ok(run_parse_duration("5x") == -1, "5x is no duration");
	ok(run_parse_duration("") == -1, "the empty string is no duration");
	ok(run_parse_duration("367d") == -1, "more than a year is refused");
}

static void
shards(void)
{
	char name[32];
	int i, k, in, all = 1, counts[4] = {0};

	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "link%d", i);
		for (in = 0, k = 0; k < 4; k++)
			if (run_in_shard(name, k, 4)) {
				in++;
				counts[k]++;
			}
		all &= in == 1;
	}
	ok(all, "each of 1000 names is in exactly one of 4 shards");
	ok(counts[0] > 200 && counts[1] > 200 && counts[2] > 200 &&
	    counts[3] > 200, "... and the shards are about even (%d %d %d %d)",
	    counts[0], counts[1], counts[2], counts[3]);
	ok(run_in_shard("anything", 0, 1), "one shard holds every link");
	ok(run_hash("a") == 0xaf63dc4c8601ec8cULL, "the hash is FNV-1a 64");
}

static void
due(void)
{
	struct run_record r = {.when = 1000000, .status = 0};
	struct run_schedule every = {.every_ms = 3600000, .jitter_pct = 25};
	struct run_schedule none = {0};
	long long d, lo = LLONG_MAX, hi = 0;
	char name[32];
	int i;

	strlcpy(r.link, "fp", sizeof(r.link));
	ok(run_next_due("a", &r, &none, "fp") == 0, "without --every a link is always due");
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		d = run_next_due(name, &r, &every, "fp") - r.when * 1000;
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	ok(lo >= 2700000 && hi <= 4500000, "--every 1h --jitter 25: 45 to 75 minutes");
	ok(hi - lo > 1500000, "... spread over the range");
	ok(run_next_due("p1", &r, &every, "fp") == run_next_due("p1", &r, &every, "fp"),
	    "... the same for a link every time");
	r.status = EX_TEMPFAIL;
	r.failures = 1;
	ok(run_next_due("a", &r, &none, "fp") == r.when * 1000 + 60000, "a first 75: a minute");
	r.failures = 4;
	ok(run_next_due("a", &r, &none, "fp") == r.when * 1000 + 480000, "a fourth: 8 minutes");
	r.failures = 40;
	ok(run_next_due("a", &r, &none, "fp") == r.when * 1000 + 3600000, "... at most an hour");
	r.status = EX_NOPERM;
	ok(run_next_due("a", &r, &none, "fp") == LLONG_MAX, "77: never, while the link is the same");
	ok(run_health_of(&r, "fp") == RUN_HUMAN, "... its health: relink");
	ok(run_next_due("a", &r, &none, "other") == 0, "... due once linked again");
	r.when = 0;
	ok(run_health_of(&r, "fp") == RUN_NEVER, "no record: never");
}

static void
records(void)
{
	char dir[] = "/tmp/gcal-unit-run.XXXXXX";
	struct run_record r = {.when = 1764547200, .status = 75, .requests = 3,
	    .changes = -1, .duration_ms = 12, .failures = 2}, got;
	char *cmd;

	if (mkdtemp(dir) == NULL)
		return;
	setenv("XDG_STATE_HOME", dir, 1);
	setenv("XDG_CONFIG_HOME", dir, 1);
	strlcpy(r.job, "pull", sizeof(r.job));
	strlcpy(r.link, "a:b", sizeof(r.link));
	ok(run_record_read("x", &got) == 0 && got.when == 0, "no record: never ran");
	ok(run_record_write("x", &r) == 0, "a record is written");
	ok(run_record_read("x", &got) == 0, "... and read back");
	ok(got.when == r.when && got.status == 75 && got.requests == 3 &&
	    got.changes == -1 && got.duration_ms == 12 && got.failures == 2,
	    "... with its figures");
	is_str(got.job, "pull", "... its job");
	is_str(got.link, "a:b", "... its fingerprint");
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	free(cmd);
}

int
main(void)
{
	worse();
	durations();
	shards();
	due();
	records();
	return done_testing();
}
