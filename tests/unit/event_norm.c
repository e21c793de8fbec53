/* Unit tests of lib/event_norm.c: recurrences compared as they expand. */
#include <stdio.h>
#include <string.h>

#include "event_norm.h"
#include "json.h"
#include "util.h"
#include "tap.h"

/* Two series with start (a dateTime or date) and these RRULEs: the same? */
static int
same_series(const char *start, const char *a, const char *b)
{
	char *ta, *tb, *when = strlen(start) == 10 ?
	    xasprintf("{\"date\":\"%s\"}", start) :
	    xasprintf("{\"dateTime\":\"%s\",\"timeZone\":\"UTC\"}", start);
	jv x, y;
	int r;

	ta = xasprintf("{\"start\":%s,\"end\":%s,\"recurrence\":[\"%s\"]}", when,
	    when, a);
	tb = xasprintf("{\"start\":%s,\"end\":%s,\"recurrence\":[\"%s\"]}", when,
	    when, b);
	x = json_parse(ta, strlen(ta));
	y = json_parse(tb, strlen(tb));
	r = event_same(x, y);
	jv_free(x);
	jv_free(y);
	free(ta);
	free(tb);
	free(when);
	return r;
}

static void
test_recurrence(void)
{
	static const struct {
		const char *start, *a, *b;
		int same;
	} cases[] = {
		/* what Outlook's patterns say of what a rule implies */
		{"2026-12-08T15:00:00Z", "RRULE:FREQ=WEEKLY;COUNT=4",
		    "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=4", 1},
		{"2026-12-07T15:00:00Z", "RRULE:FREQ=WEEKLY;COUNT=4",
		    "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=4", 0},
		{"2026-12-08", "RRULE:FREQ=MONTHLY;INTERVAL=1",
		    "RRULE:BYMONTHDAY=8;FREQ=MONTHLY", 1},
		{"2026-12-08", "RRULE:FREQ=MONTHLY", "RRULE:FREQ=MONTHLY;BYMONTHDAY=9", 0},
		{"2026-03-05", "RRULE:FREQ=YEARLY", "RRULE:FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=5", 1},
		{"2026-03-05", "RRULE:FREQ=YEARLY", "RRULE:FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=5", 0},
		{"2026-12-07T09:00:00Z", "RRULE:FREQ=WEEKLY;BYDAY=WE,MO;WKST=MO",
		    "RRULE:FREQ=WEEKLY;BYDAY=MO,WE", 1},
		{"2026-12-07T09:00:00Z", "RRULE:FREQ=WEEKLY;INTERVAL=2",
		    "RRULE:FREQ=WEEKLY;BYDAY=MO", 0},
		{"2026-12-07T09:00:00Z", "RRULE:FREQ=DAILY;WKST=SU", "RRULE:FREQ=DAILY", 0},
	};
	size_t i;
	char name[160];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "%s from %s %s %s", cases[i].a,
		    cases[i].start, cases[i].same ? "is" : "is not", cases[i].b);
		ok(same_series(cases[i].start, cases[i].a, cases[i].b) ==
		    cases[i].same, name);
	}
}

int
main(void)
{
	test_recurrence();
	return done_testing();
}
