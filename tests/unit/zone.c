/* Unit tests of lib/zone.c and lib/event_time.c: offsets agree
 * with the C library's for every zone tried, over two centuries; wall
 * clock times in a zone name the instant Google gives them; equal
 * instants compare equal, whatever their spelling. Single-threaded, so
 * the C library may switch TZ here to serve as the reference. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "json.h"
#include "util.h"
#include "zone.h"
#include "tap.h"

static const char *const zones[] = {
	"Europe/Amsterdam", "America/New_York", "Australia/Sydney",
	"Asia/Kolkata", "America/Sao_Paulo", "Pacific/Chatham", "Europe/London",
	"Asia/Tehran", "America/St_Johns", "Africa/Casablanca",
	"Pacific/Apia", "Australia/Lord_Howe", "UTC", "Etc/GMT+5",
	"CET-1CEST,M3.5.0,M10.5.0/3", "EST5EDT", "<+0330>-3:30",
};

/* zone_offset against localtime_r's tm_gmtoff with TZ set to the zone. */
static void
test_against_libc(void)
{
	size_t i;
	long long t;
	long off;
	int bad, n;
	struct tm tm;
	time_t tt;

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		/* (setenv): past lib/banned.h, on purpose (see above) */
		(setenv)("TZ", zones[i], 1);
		tzset();
		bad = n = 0;
		/* 1901 to 2099 in steps of a little over 5 hours; from 1970
		 * for a POSIX TZ string, whose rule glibc applies to no year
		 * before (it gives 1902 no summer time) */
		for (t = strchr(zones[i], ',') ? 0 : -2147483000LL;
		    t < 4102444800LL && bad < 3; t += 18397, n++) {
			tt = (time_t)t;
			localtime_r(&tt, &tm);
			if (zone_offset(zones[i], t, &off) != 0 || off != tm.tm_gmtoff) {
				if (bad++ == 0)
					printf("# %s at %lld: got %ld, libc %ld\n", zones[i], t,
					    off, (long)tm.tm_gmtoff);
			}
		}
		ok(bad == 0, "%s: offsets as the C library's at %d instants up to 2099",
		    zones[i], n);
	}
	unsetenv("TZ");
	tzset();
	ok(zone_offset("Nowhere/Atlantis", 0, &off) == -1, "an unknown zone is refused");
	ok(zone_offset("../../etc/passwd", 0, &off) == -1, "... and so is a path out of zoneinfo");
	ok(zone_offset("/usr/share/zoneinfo/UTC", 0, &off) == -1, "... and an absolute path");
}

/* Days of dates whose count is known, against Howard Hinnant's
 * days_from_civil, which zone_days was before it used timegm(3). */
static long long
civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static void
test_days(void)
{
	long long y;
	unsigned m, d;
	int bad = 0, n = 0;

	ok(zone_days(1970, 1, 1) == 0, "1970-01-01 is day 0");
	ok(zone_days(1969, 12, 31) == -1, "1969-12-31 is day -1");
	ok(zone_days(2000, 3, 1) - zone_days(2000, 2, 28) == 2, "2000 has a Feb 29");
	ok(zone_days(1900, 3, 1) - zone_days(1900, 2, 28) == 1, "1900 has none");
	ok(zone_days(2038, 1, 20) == 24856, "2038-01-20, past 32-bit time_t");
	for (y = 1; y <= 9999; y += 7)
		for (m = 1; m <= 12; m++)
			for (d = 1; d <= 28; d += 9, n++)
				if (zone_days(y, m, d) != civil(y, m, d) && bad++ == 0)
					printf("# %lld-%u-%u: %lld, want %lld\n", y, m, d,
					    zone_days(y, m, d), civil(y, m, d));
	ok(bad == 0, "zone_days agrees with days_from_civil at %d dates of years 1-9999", n);
}

static long long
at(const char *s, const char *tz)
{
	long long t = -1;

	if (time_parse(s, tz, &t) != 0)
		return -999;
	return t;
}

static void
test_local_times(void)
{
	const char *ams = "Europe/Amsterdam";

	ok(at("2027-01-03T09:00:00", ams) == at("2027-01-03T09:00:00+01:00", NULL),
	    "a winter wall clock time in Amsterdam is +01:00");
	ok(at("2027-07-03T09:00:00", ams) == at("2027-07-03T07:00:00Z", NULL),
	    "a summer one is +02:00");
	ok(at("2027-01-03T09:00:00", NULL) == -999, "without a zone it is no instant");
	ok(at("2027-01-03T09:00:00", "Nowhere/Atlantis") == -999, "... nor in an unknown zone");
	/* Python's zoneinfo (fold 0) and java.time read the gap and the
	 * overlap so: on from the gap, the earlier of the two */
	ok(at("2027-03-28T02:30:00", ams) == at("2027-03-28T03:30:00+02:00", NULL),
	    "a time in the spring gap is moved on by the gap");
	ok(at("2027-10-31T02:30:00", ams) == at("2027-10-31T02:30:00+02:00", NULL),
	    "a time shown twice in autumn is the earlier");
	ok(at("2027-10-31T03:00:00", ams) == at("2027-10-31T03:00:00+01:00", NULL),
	    "the hour after the overlap is in winter time");
	ok(at("2027-03-28T02:00:00", ams) == at("2027-03-28T03:00:00+02:00", NULL),
	    "the first second of the gap");
	ok(at("2027-03-28T01:59:59", ams) == at("2027-03-28T01:59:59+01:00", NULL),
	    "the last second before it");
	ok(at("2027-04-04T02:30:00", "Australia/Sydney") ==
	    at("2027-04-04T02:30:00+11:00", NULL), "the southern hemisphere's overlap too");
	ok(at("2050-07-01T12:00:00", "America/New_York") ==
	    at("2050-07-01T16:00:00Z", NULL), "past the zone file's transitions: its rule");
	ok(at("2027-01-03", ams) == at("2027-01-02T23:00:00Z", NULL),
	    "a date is midnight in its zone");
	ok(at("2027-01-03", "Nowhere/Atlantis") == at("2027-01-03T00:00:00Z", NULL),
	    "... in UTC when the zone is unknown");
	ok(at("2027-01-03T08:00:00Z", NULL) == at("2027-01-03T08:00:00+00:00", NULL) &&
	    at("2027-01-03T08:00:00.000Z", NULL) == at("2027-01-03T09:00:00+01:00", NULL) &&
	    at("2027-01-03t08:00:00z", NULL) == at("2027-01-03T08:00:00-00:00", NULL),
	    "Z, +00:00, -00:00, a fraction and lower case name one instant");
}

static jv
ev(const char *text)
{
	return json_parse(text, strlen(text));
}

static int
same(const char *a, const char *b)
{
	jv x = ev(a), y = ev(b);
	int r = event_same(x, y);

	jv_free(x);
	jv_free(y);
	return r;
}

static void
test_equality(void)
{
	const char *google = "{\"start\":{\"dateTime\":\"2027-01-03T09:00:00+01:00\","
	    "\"timeZone\":\"Europe/Amsterdam\"},\"end\":{\"dateTime\":"
	    "\"2027-01-03T10:00:00+01:00\",\"timeZone\":\"Europe/Amsterdam\"}}";

	ok(same("{\"start\":{\"dateTime\":\"2027-01-03T09:00:00\",\"timeZone\":"
	    "\"Europe/Amsterdam\"},\"end\":{\"dateTime\":\"2027-01-03T10:00:00\","
	    "\"timeZone\":\"Europe/Amsterdam\"}}", google),
	    "a wall clock time and its zone equal Google's answer with the offset");
	ok(same("{\"start\":{\"dateTime\":\"2027-01-03T08:00:00Z\"},\"end\":"
	    "{\"dateTime\":\"2027-01-03T09:00:00.000+00:00\"}}", google),
	    "... and the same instants in UTC");
	ok(same("{\"start\":{\"dateTime\":\"2027-01-03T09:00:00\",\"timeZone\":"
	    "\"Europe/Amsterdam\"},\"end\":{\"dateTime\":\"2027-01-03T10:00:00\"}}",
	    google), "an end without timeZone takes the start's");
	ok(!same("{\"start\":{\"dateTime\":\"2027-01-03T09:00:00\",\"timeZone\":"
	    "\"Europe/London\"},\"end\":{\"dateTime\":\"2027-01-03T10:00:00\","
	    "\"timeZone\":\"Europe/London\"}}", google),
	    "the same wall clock in another zone is another instant");
	ok(!same("{\"start\":{\"date\":\"2027-01-03\"},\"end\":{\"date\":\"2027-01-04\"}}",
	    "{\"start\":{\"dateTime\":\"2027-01-03T00:00:00+01:00\"},\"end\":"
	    "{\"dateTime\":\"2027-01-04T00:00:00+01:00\"}}"),
	    "an all-day date never equals a time, even at midnight");
	ok(same("{\"recurrence\":[\"RRULE:FREQ=DAILY\"],\"start\":{\"dateTime\":"
	    "\"2027-01-03T09:00:00\",\"timeZone\":\"Europe/Amsterdam\"},\"end\":"
	    "{\"dateTime\":\"2027-01-03T10:00:00\"}}",
	    "{\"recurrence\":[\"RRULE:FREQ=DAILY\"],\"start\":{\"dateTime\":"
	    "\"2027-01-03T09:00:00+01:00\",\"timeZone\":\"Europe/Amsterdam\"},\"end\":"
	    "{\"dateTime\":\"2027-01-03T10:00:00+01:00\",\"timeZone\":"
	    "\"Europe/Amsterdam\"}}"),
	    "a recurring event: the end's missing timeZone is the start's");
	ok(!same("{\"recurrence\":[\"RRULE:FREQ=DAILY\"],\"start\":{\"dateTime\":"
	    "\"2027-01-03T08:00:00Z\",\"timeZone\":\"Europe/London\"},\"end\":"
	    "{\"dateTime\":\"2027-01-03T09:00:00Z\",\"timeZone\":\"Europe/London\"}}",
	    "{\"recurrence\":[\"RRULE:FREQ=DAILY\"],\"start\":{\"dateTime\":"
	    "\"2027-01-03T09:00:00+01:00\",\"timeZone\":\"Europe/Amsterdam\"},\"end\":"
	    "{\"dateTime\":\"2027-01-03T10:00:00+01:00\",\"timeZone\":"
	    "\"Europe/Amsterdam\"}}"),
	    "... whose zone still counts: it drives the expansion");
}

/* Many threads at once, each in its own zone, loading them at the same
 * time (built with -fsanitize=thread by hand: no report). */
static void *
convert_many(void *arg)
{
	const char *tz = arg;
	long long t, sum = 0, i;

	for (i = 0; i < 20000; i++)
		if (zone_local_to_utc(tz, 1800000000LL + i * 3600, &t) == 0)
			sum += t - (1800000000LL + i * 3600);
	return (void *)(long)(sum != 0);
}

static void
test_threads(void)
{
	pthread_t th[4];
	const char *tz[4] = {"Europe/Amsterdam", "Asia/Kolkata", "Europe/Paris",
	    "America/Denver"};
	void *r;
	int i, good = 1;

	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, convert_many, (void *)tz[i]);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], &r);
		good &= r != NULL;
	}
	ok(good, "four threads convert in four zones at once");
}

int
main(void)
{
	test_days();
	test_against_libc();
	test_local_times();
	test_equality();
	test_threads();
	return done_testing();
}
