#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "graph_rrule.h"
#include "graph_zone.h"
#include "json.h"
#include "util.h"
#include "zone.h"

/* Graph's dayOfWeek values and RFC 5545's weekday codes, Sunday first. */
static const char *const days[] = {"sunday", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday"};
static const char *const codes[] = {"SU", "MO", "TU", "WE", "TH", "FR", "SA"};
/* Graph's weekIndex values and their BYDAY/BYSETPOS numbers. */
static const char *const indexes[] = {"first", "second", "third", "fourth",
    "last"};
static const int index_num[] = {1, 2, 3, 4, -1};

static int
find(const char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(v[i], s) == 0)
			return (int)i;
	return -1;
}

static jv
bad(const char *fmt, const char *what)
{
	char *msg = xasprintf(fmt, what ? what : "");
	jv v = jv_invalid_with_msg(jv_string(msg));

	free(msg);
	return v;
}

/* "MO,WE" of a daysOfWeek array, with a BYDAY prefix (index) or not. */
static int
add_days(struct buf *b, jv dow, const char *prefix)
{
	int i, n = jv_is_valid(dow) && jv_get_kind(dow) == JV_KIND_ARRAY ?
	    jv_array_length(jv_copy(dow)) : 0, d;
	jv s;

	for (i = 0; i < n; i++) {
		s = jv_array_get(jv_copy(dow), i);
		d = jv_get_kind(s) == JV_KIND_STRING ?
		    find(days, 7, jv_string_value(s)) : -1;
		jv_free(s);
		if (d < 0)
			return -1;
		buf_printf(b, "%s%s%s", i ? "," : "", prefix, codes[d]);
	}
	return n;
}

/* The UNTIL of a range's endDate: the date for an all-day series, else
 * the end of that day in the series' zone, in UTC (RFC 5545 3.3.10:
 * UNTIL has DTSTART's type, and is UTC when DTSTART has a zone). */
static int
add_until(struct buf *b, const char *date, const char *iana, int allday)
{
	char local[32], out[40];
	long long t;

	if (date == NULL || strlen(date) != 10)
		return -1;
	if (allday) {
		buf_printf(b, ";UNTIL=%.4s%.2s%.2s", date, date + 5, date + 8);
		return 0;
	}
	snprintf(local, sizeof(local), "%sT23:59:59", date);
	if (time_parse(local, iana ? iana : "UTC", &t) == -1)
		return -1;
	graph_zone_format(t, "UTC", 0, out);
	buf_printf(b, ";UNTIL=%.4s%.2s%.2sT%.2s%.2s%.2sZ", out, out + 5,
	    out + 8, out + 11, out + 14, out + 17);
	return 0;
}

static int
add_range(struct buf *b, jv range, const char *iana, int allday)
{
	const char *type = json_str(range, "type");
	double n;

	if (type == NULL || strcmp(type, "noEnd") == 0)
		return 0;
	if (strcmp(type, "endDate") == 0)
		return add_until(b, json_str(range, "endDate"), iana, allday);
	if (strcmp(type, "numbered") == 0) {
		n = json_num(range, "numberOfOccurrences", 0);
		if (n < 1 || n > 999999)
			return -1;
		buf_printf(b, ";COUNT=%d", (int)n);
		return 0;
	}
	return -1;
}

jv
graph_rrule_of(jv pr, const char *iana, int allday)
{
	jv pat = json_get(pr, "pattern"), range = json_get(pr, "range");
	jv dow = json_get(pat, "daysOfWeek");
	const char *type = json_str(pat, "type"), *fdw;
	int interval = (int)json_num(pat, "interval", 1), ix, d, rc = 0;
	int month = (int)json_num(pat, "month", 0);
	int mday = (int)json_num(pat, "dayOfMonth", 0);
	struct buf b = {0};
	jv out;

	ix = find(indexes, 5, json_str(pat, "index"));
	buf_adds(&b, "RRULE:FREQ=");
	if (type == NULL)
		rc = -1;
	else if (strcmp(type, "daily") == 0)
		buf_adds(&b, "DAILY");
	else if (strcmp(type, "weekly") == 0)
		buf_adds(&b, "WEEKLY");
	else if (strstr(type, "Monthly") != NULL)
		buf_adds(&b, "MONTHLY");
	else if (strstr(type, "Yearly") != NULL)
		buf_adds(&b, "YEARLY");
	else
		rc = -1;
	if (interval > 1)
		buf_printf(&b, ";INTERVAL=%d", interval);
	if (rc == 0 && strstr(type, "Yearly") != NULL) {
		if (month < 1 || month > 12)
			rc = -1;
		buf_printf(&b, ";BYMONTH=%d", month);
	}
	if (rc == 0 && strncmp(type, "absolute", 8) == 0) {
		if (mday < 1 || mday > 31)
			rc = -1;
		buf_printf(&b, ";BYMONTHDAY=%d", mday);
	} else if (rc == 0 && strcmp(type, "weekly") == 0) {
		buf_adds(&b, ";BYDAY=");
		rc = add_days(&b, dow, "") < 1 ? -1 : 0;
		fdw = json_str(pat, "firstDayOfWeek");
		d = find(days, 7, fdw);
		if (fdw != NULL && d < 0)
			rc = -1;
		else if (d > 1 || d == 0)
			buf_printf(&b, ";WKST=%s", codes[d]);
	} else if (rc == 0 && strncmp(type, "relative", 8) == 0) {
		char pre[8];

		if (ix < 0)
			ix = 0; /* Graph's default index is "first" */
		buf_adds(&b, ";BYDAY=");
		if (jv_get_kind(dow) == JV_KIND_ARRAY &&
		    jv_array_length(jv_copy(dow)) == 1) {
			snprintf(pre, sizeof(pre), "%d", index_num[ix]);
			rc = add_days(&b, dow, pre) < 1 ? -1 : 0;
		} else {
			rc = add_days(&b, dow, "") < 1 ? -1 : 0;
			buf_printf(&b, ";BYSETPOS=%d", index_num[ix]);
		}
	}
	if (rc == 0)
		rc = add_range(&b, range, iana, allday);
	if (rc == 0)
		out = JV_ARRAY(jv_string(b.data));
	else
		out = bad("recurrence of type '%s': not a pattern Graph documents",
		    type);
	buf_free(&b);
	jv_free(pat);
	jv_free(range);
	jv_free(dow);
	return out;
}

/* --- an RRULE back to a pattern ---------------------------------------- */

struct rule {
	char freq[8];
	int interval, count, month, mday, setpos;
	char until[24];
	char byday[64];
	char wkst[4];
};

/* Parse "RRULE:K=V;..." into r; -1 for a part Graph cannot say. */
static int
rule_parse(const char *line, struct rule *r)
{
	char *copy, *p, *part, *eq;
	const char *errstr = NULL;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->interval = 1;
	if (strncmp(line, "RRULE:", 6) != 0)
		return -1;
	p = copy = xstrdup(line + 6);
	while (rc == 0 && (part = strsep(&p, ";")) != NULL) {
		if ((eq = strchr(part, '=')) == NULL) {
			rc = -1;
			break;
		}
		*eq++ = '\0';
		if (strcmp(part, "FREQ") == 0)
			rc = strlcpy(r->freq, eq, sizeof(r->freq)) <
			    sizeof(r->freq) ? 0 : -1;
		else if (strcmp(part, "INTERVAL") == 0)
			r->interval = (int)strtonum(eq, 1, 999, &errstr);
		else if (strcmp(part, "COUNT") == 0)
			r->count = (int)strtonum(eq, 1, 999999, &errstr);
		else if (strcmp(part, "BYMONTH") == 0)
			r->month = (int)strtonum(eq, 1, 12, &errstr);
		else if (strcmp(part, "BYMONTHDAY") == 0)
			r->mday = (int)strtonum(eq, 1, 31, &errstr);
		else if (strcmp(part, "BYSETPOS") == 0)
			r->setpos = (int)strtonum(eq, -1, 4, &errstr);
		else if (strcmp(part, "UNTIL") == 0)
			rc = strlcpy(r->until, eq, sizeof(r->until)) <
			    sizeof(r->until) ? 0 : -1;
		else if (strcmp(part, "BYDAY") == 0)
			rc = strlcpy(r->byday, eq, sizeof(r->byday)) <
			    sizeof(r->byday) ? 0 : -1;
		else if (strcmp(part, "WKST") == 0)
			rc = strlcpy(r->wkst, eq, sizeof(r->wkst)) <
			    sizeof(r->wkst) ? 0 : -1;
		else
			rc = -1;
		if (errstr != NULL)
			rc = -1;
	}
	free(copy);
	return rc;
}

/* daysOfWeek of a BYDAY list; *ix the index some day carries (0: none). */
static jv
rule_days(const char *byday, int *ix)
{
	char *copy = xstrdup(byday), *p = copy, *d;
	jv out = jv_array();
	const char *errstr;
	char num[4];
	size_t k;
	int c;

	*ix = 0;
	while (jv_is_valid(out) && (d = strsep(&p, ",")) != NULL) {
		k = strspn(d, "+-0123456789");
		c = k >= sizeof(num) ? -1 : find(codes, 7, d + k);
		if (k > 0 && c >= 0) {
			memcpy(num, d, k);
			num[k] = '\0';
			*ix = (int)strtonum(num, -1, 4, &errstr);
			if (errstr != NULL || *ix == 0)
				c = -1;
		}
		if (c < 0) {
			jv_free(out);
			out = jv_invalid();
		} else
			out = jv_array_append(out, jv_string(days[c]));
	}
	free(copy);
	return out;
}

static const char *
index_name(int n)
{
	size_t i;

	for (i = 0; i < 5; i++)
		if (index_num[i] == n)
			return indexes[i];
	return NULL;
}

/* The range of r for a series from start_date in iana. */
static jv
rule_range(const struct rule *r, const char *start_date, const char *iana,
    int allday)
{
	const char *win = graph_zone_windows(iana ? iana : "UTC");
	char end[16] = "0001-01-01", out[40];
	long long t;
	jv range;

	if (r->until[0] != '\0') {
		if (strlen(r->until) == 8)
			snprintf(end, sizeof(end), "%.4s-%.2s-%.2s", r->until,
			    r->until + 4, r->until + 6);
		else if (strlen(r->until) == 16 && r->until[15] == 'Z') {
			snprintf(out, sizeof(out), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ",
			    r->until, r->until + 4, r->until + 6, r->until + 9,
			    r->until + 11, r->until + 13);
			if (time_parse(out, NULL, &t) == -1)
				return jv_invalid();
			graph_zone_format(t, allday ? "UTC" : iana, 0, out);
			snprintf(end, sizeof(end), "%.10s", out);
		} else
			return jv_invalid();
	}
	range = json_set_str(jv_object(), "type", r->until[0] ? "endDate" :
	    r->count ? "numbered" : "noEnd");
	range = json_set_str(range, "startDate", start_date);
	range = json_set_str(range, "endDate", end);
	range = json_set_str(range, "recurrenceTimeZone", win ? win : "UTC");
	return jv_object_set(range, jv_string("numberOfOccurrences"),
	    jv_number(r->count));
}

/* The pattern's type, month and dayOfMonth, for r starting on y-m-d. */
static const char *
rule_type(const struct rule *r, int ix, jv dow, int *month, int *mday,
    int m, int d)
{
	int ndays = jv_is_valid(dow) ? jv_array_length(jv_copy(dow)) : 0;

	*month = 0;
	*mday = 0;
	if (strcmp(r->freq, "DAILY") == 0)
		return ndays ? (r->interval == 1 ? "weekly" : NULL) : "daily";
	if (strcmp(r->freq, "WEEKLY") == 0)
		return "weekly";
	if (strcmp(r->freq, "YEARLY") == 0)
		*month = r->month ? r->month : m;
	if (ndays == 0)
		*mday = r->mday ? r->mday : d;
	if (ndays > 0 && ix == 0 && r->setpos == 0)
		return NULL; /* every Tuesday of a month: no such pattern */
	if (strcmp(r->freq, "MONTHLY") == 0)
		return ndays ? "relativeMonthly" : "absoluteMonthly";
	if (strcmp(r->freq, "YEARLY") == 0)
		return ndays ? "relativeYearly" : "absoluteYearly";
	return NULL;
}

jv
graph_rrule_pattern(jv rec, const char *start_date, const char *iana,
    int allday)
{
	struct rule r;
	const char *line, *type, *ixname = "first";
	int ix = 0, month, mday, y, m, d, wk;
	jv v, dow, pat;

	if (jv_get_kind(rec) != JV_KIND_ARRAY || jv_array_length(jv_copy(rec))
	    != 1)
		return bad("recurrence: Graph has one pattern a series%s", NULL);
	v = jv_array_get(jv_copy(rec), 0);
	line = jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "";
	if (rule_parse(line, &r) == -1 || start_date == NULL ||
	    sscanf(start_date, "%4d-%2d-%2d", &y, &m, &d) != 3) {
		pat = bad("recurrence '%s': not a rule a Graph pattern can say",
		    line);
		jv_free(v);
		return pat;
	}
	dow = r.byday[0] ? rule_days(r.byday, &ix) : jv_array();
	if (jv_is_valid(dow) && jv_array_length(jv_copy(dow)) == 0 &&
	    strcmp(r.freq, "WEEKLY") == 0) {
		/* RFC 5545: a weekly rule without BYDAY repeats DTSTART's day */
		wk = (int)((zone_days(y, (unsigned)m, (unsigned)d) % 7 + 11) % 7);
		dow = jv_array_append(dow, jv_string(days[wk]));
	}
	type = jv_is_valid(dow) ? rule_type(&r, ix, dow, &month, &mday, m, d) :
	    NULL;
	if (r.setpos != 0)
		ix = r.setpos;
	if (ix != 0 && (ixname = index_name(ix)) == NULL)
		type = NULL;
	if (type == NULL) {
		pat = bad("recurrence '%s': not a rule a Graph pattern can say",
		    line);
		jv_free(v);
		jv_free(dow);
		return pat;
	}
	pat = json_set_str(jv_object(), "type", type);
	pat = jv_object_set(pat, jv_string("interval"), jv_number(r.interval));
	pat = jv_object_set(pat, jv_string("month"), jv_number(month));
	pat = jv_object_set(pat, jv_string("dayOfMonth"), jv_number(mday));
	pat = jv_object_set(pat, jv_string("daysOfWeek"), dow);
	wk = r.wkst[0] ? find(codes, 7, r.wkst) : 1;
	pat = json_set_str(pat, "firstDayOfWeek", days[wk < 0 ? 1 : wk]);
	pat = json_set_str(pat, "index", ixname);
	jv_free(v);
	v = rule_range(&r, start_date, iana, allday);
	if (!jv_is_valid(v)) {
		jv_free(pat);
		return bad("recurrence: UNTIL '%s' is neither a date nor a UTC "
		    "time", r.until);
	}
	return JV_OBJECT(jv_string("pattern"), pat, jv_string("range"), v);
}
