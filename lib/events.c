#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "json.h"
#include "util.h"

static int
digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): no time zone, no libc state. */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
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

/* Midnight of a date in zone tz (NULL: local). mktime(3) reads TZ, so it
 * is switched for the call and put back. */
static long long
local_midnight(int y, int m, int d, const char *tz)
{
	char *old = NULL;
	const char *cur;
	struct tm tm = {0};
	time_t t;

	if (tz) {
		if ((cur = getenv("TZ")) != NULL)
			old = xstrdup(cur);
		setenv("TZ", tz, 1);
		tzset();
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (tz) {
		if (old) {
			setenv("TZ", old, 1);
			free(old);
		} else
			unsetenv("TZ");
		tzset();
	}
	return (long long)t;
}

int
time_parse(const char *s, const char *tz, long long *t)
{
	int y, mo, d, h, mi, sec, oh, om, sign;
	const char *p;

	if (strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (s[10] == '\0') {
		*t = local_midnight(y, mo, d, tz);
		return 0;
	}
	if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &sec) || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	p = s + 19;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	*t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return 0;
	if ((*p != '+' && *p != '-') || digits(p + 1, 2, &oh) || p[3] != ':' ||
	    digits(p + 4, 2, &om) || p[6] != '\0')
		return -1;
	sign = *p == '-' ? -1 : 1;
	*t -= sign * (oh * 3600 + om * 60);
	return 0;
}

int
event_time(jv event, const char *which, const char *caltz, long long *t)
{
	jv when = json_get(event, which);
	const char *dt = json_str(when, "dateTime");
	const char *date = json_str(when, "date");
	const char *tz = json_str(when, "timeZone");
	int rc = -1;

	if (dt)
		rc = time_parse(dt, NULL, t);
	else if (date)
		rc = time_parse(date, tz ? tz : caltz, t);
	jv_free(when);
	return rc;
}

int
event_in_window(jv event, const char *caltz, long long from, long long to)
{
	long long start, end;
	jv rec;
	int recurring;

	if (event_time(event, "start", caltz, &start) == -1)
		return 0;
	if (event_time(event, "end", caltz, &end) == -1)
		end = start;
	rec = json_get(event, "recurrence");
	recurring = jv_get_kind(rec) == JV_KIND_ARRAY;
	jv_free(rec);
	if (recurring)
		end = LLONG_MAX;
	return end > from && start < to;
}
