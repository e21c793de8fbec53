#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "graph_rrule.h"
#include "graph_time.h"
#include "graph_zone.h"
#include "json.h"
#include "util.h"




/* --- Graph to record ---------------------------------------------------- */

/* A record's start or end (which) of g; zone is the event's IANA zone
 * (or NULL: UTC). */
static jv
time_of(jv g, const char *which, const char *zone, int allday)
{
	jv t = json_get(g, which), out;
	const char *dt = json_str(t, "dateTime");
	char text[40];
	long long inst;

	if (dt == NULL || graph_zone_instant(dt, json_str(t, "timeZone"),
	    &inst) == -1) {
		jv_free(t);
		return json_fail("\"%s\" is no dateTime in a time zone Graph names",
		    which);
	}
	if (allday && strlen(dt) >= 10) {
		/* Graph's all-day events are dates: midnight to midnight in
		 * whatever zone they are shown in */
		snprintf(text, sizeof(text), "%.10s", dt);
		out = json_set_str(jv_object(), "date", text);
	} else {
		graph_zone_format(inst, zone, 0, text);
		out = json_set_str(jv_object(), "dateTime", text);
		if (zone)
			out = json_set_str(out, "timeZone", zone);
	}
	jv_free(t);
	return out;
}

/* originalStart (UTC, Edm.DateTimeOffset) as originalStartTime; an
 * all-day instance's is midnight in the series' zone (23:00Z the day
 * before, in Berlin), so its date is the one there. */
static jv
original_start(const char *s, const char *zone, int allday)
{
	char text[40];
	long long t;

	if (time_parse(s, "UTC", &t) == -1)
		return json_fail("\"originalStart\" '%s' is not a time", s);
	graph_zone_format(t, zone ? zone : "UTC", 0, text);
	if (allday) {
		text[10] = '\0';
		return json_set_str(jv_object(), "date", text);
	}
	return json_set_str(zone ? json_set_str(jv_object(), "timeZone", zone) :
	    jv_object(), "dateTime", text);
}

jv
graph_times_of(jv g, jv rec)
{
	const char *zs, *ze, *s;
	int allday = (json_kind(g, "isAllDay") == JV_KIND_TRUE);
	jv v, pr;

	zs = graph_zone_iana(json_str(g, "originalStartTimeZone"));
	if (zs == NULL)
		zs = graph_zone_iana(json_strpath(g, "start", "timeZone",
		    (char *)NULL));
	ze = graph_zone_iana(json_str(g, "originalEndTimeZone"));
	if (ze == NULL)
		ze = zs;
	if (!jv_is_valid(v = time_of(g, "start", zs, allday)))
		return (jv_free(rec), v);
	rec = json_set(rec, "start", v);
	if (!jv_is_valid(v = time_of(g, "end", ze, allday)))
		return (jv_free(rec), v);
	rec = json_set(rec, "end", v);
	pr = json_get(g, "recurrence");
	if (jv_get_kind(pr) == JV_KIND_OBJECT) {
		v = graph_rrule_of(pr, zs, allday);
		if (!jv_is_valid(v)) {
			jv_free(pr);
			return (jv_free(rec), v);
		}
		rec = json_set(rec, "recurrence", v);
	}
	jv_free(pr);
	if ((s = json_str(g, "originalStart")) != NULL) {
		if (!jv_is_valid(v = original_start(s, zs, allday)))
			return (jv_free(rec), v);
		rec = json_set(rec, "originalStartTime", v);
	}
	return rec;
}

/* --- record to Graph ------------------------------------------------------ */

/* Graph's dateTimeTimeZone of a record's start or end (which); *date
 * gets the local date (YYYY-MM-DD) and *zone the IANA zone. */
static jv
graph_time(jv rec, const char *which, char date[16], const char **zone)
{
	jv t = json_get(rec, which), out;
	const char *d = json_str(t, "date"), *dt = json_str(t, "dateTime");
	const char *tz = json_str(t, "timeZone"), *win;
	char text[48];
	long long inst;

	*zone = tz ? tz : "UTC";
	if ((win = graph_zone_windows(*zone)) == NULL) {
		out = json_fail("time zone '%s': CLDR gives it no Windows name", tz);
	} else if (dt != NULL && !graph_zone_known(*zone)) {
		out = json_fail("time zone '%s' is not in this machine's tzdata", tz);
	} else if (d != NULL && strlen(d) == 10) {
		snprintf(text, sizeof(text), "%sT00:00:00.0000000", d);
		snprintf(date, 16, "%s", d);
		out = json_set_str(json_set_str(jv_object(), "dateTime", text),
		    "timeZone", win);
	} else if (dt != NULL && time_parse(dt, *zone, &inst) == 0) {
		graph_zone_format(inst, *zone, 1, text);
		snprintf(date, 16, "%.10s", text);
		out = json_set_str(json_set_str(jv_object(), "dateTime", text),
		    "timeZone", win);
	} else
		out = json_fail("\"%s\" is neither a date nor an RFC 3339 time", which);
	jv_free(t);
	return out;
}

jv
graph_times_for(jv rec, jv g)
{
	const char *zs, *ze, *s;
	char date[16] = "", edate[16] = "";
	jv v, ost = json_get(rec, "originalStartTime"), r;
	int allday;

	if (!jv_is_valid(v = graph_time(rec, "start", date, &zs)))
		goto bad;
	allday = json_strpath(rec, "start", "date", (char *)NULL) != NULL;
	g = json_set(g, "start", v);
	g = json_set(g, "isAllDay", jv_bool(allday));
	g = json_set_str(g, "originalStartTimeZone", graph_zone_windows(zs));
	if (!jv_is_valid(v = graph_time(rec, "end", edate, &ze)))
		goto bad;
	g = json_set(g, "end", v);
	g = json_set_str(g, "originalEndTimeZone", graph_zone_windows(ze));
	r = json_get(rec, "recurrence");
	if (jv_get_kind(r) == JV_KIND_ARRAY) {
		v = graph_rrule_pattern(r, date, zs, allday);
		jv_free(r);
		if (!jv_is_valid(v))
			goto bad;
		g = json_set(g, "recurrence", v);
	} else
		jv_free(r);
	if (jv_get_kind(ost) == JV_KIND_OBJECT) {
		long long t;
		char text[40];

		if ((s = json_str(ost, "dateTime")) == NULL)
			s = json_str(ost, "date");
		if (s == NULL || time_parse(s, json_str(ost, "timeZone") ?
		    json_str(ost, "timeZone") : zs, &t) == -1) {
			v = json_fail("\"originalStartTime\" is not a time%s", NULL);
			goto bad;
		}
		graph_zone_format(t, "UTC", 0, text);
		g = json_set_str(g, "originalStart", text);
	}
	jv_free(ost);
	return g;
bad:
	jv_free(ost);
	jv_free(g);
	return v;
}

/* --- Graph's answers --------------------------------------------------------- */

/* g with start and end in the event's own zones (originalStartTimeZone,
 * originalEndTimeZone) whatever zone Graph answered in (we ask for UTC):
 * the same instants, as a write would give them. */
static jv
own_zone(jv g, const char *which, const char *zkey)
{
	jv t = json_get(g, which);
	const char *zone = json_str(g, zkey), *tz = json_str(t, "timeZone");
	const char *dt = json_str(t, "dateTime"), *iana = graph_zone_iana(zone);
	char text[48];
	long long inst;

	if (iana == NULL || tz == NULL || dt == NULL || strcmp(tz, zone) == 0 ||
	    graph_zone_instant(dt, tz, &inst) == -1) {
		jv_free(t);
		return g;
	}
	if ((json_kind(g, "isAllDay") == JV_KIND_TRUE))
		snprintf(text, sizeof(text), "%s", dt);
	else
		graph_zone_format(inst, iana, 1, text);
	t = json_set_str(json_set_str(t, "dateTime", text), "timeZone", zone);
	return json_set(g, which, t);
}

jv
graph_own_zones(jv g)
{
	g = own_zone(g, "start", "originalStartTimeZone");
	return own_zone(g, "end", "originalEndTimeZone");
}
