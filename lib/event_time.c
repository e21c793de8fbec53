#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event_time.h"
#include "json.h"
#include "zone.h"

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

/* Midnight of a date in zone tz, or in the local zone (NULL: as TZ
 * says, through mktime(3), which never changes TZ). A zone that does not
 * exist means UTC, as it did to the C library. */
static long long
midnight(int y, int m, int d, const char *tz)
{
	struct tm tm = {0};
	long long local = zone_days(y, (unsigned)m, (unsigned)d) * 86400, t;

	if (tz)
		return zone_local_to_utc(tz, local, &t) == 0 ? t : local;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_isdst = -1;
	return (long long)mktime(&tm);
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
		*t = midnight(y, mo, d, tz);
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
	*t = zone_days(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return 0;
	/* a wall clock time without offset: the zone says which instant */
	if (*p == '\0')
		return tz ? zone_local_to_utc(tz, *t, t) : -1;
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
		rc = time_parse(dt, tz ? tz : caltz, t);
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

