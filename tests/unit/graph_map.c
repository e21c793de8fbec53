/* Unit tests of lib/graph_map.c, graph_rrule.c and graph_zone.c: Graph
 * events (tests/fixtures/graph/events.ndjson, shaped as Microsoft's
 * event resource documents them) map to the records gcal-records(5)
 * describes, and back to exactly what they were; an edited record wins
 * over what x-graph keeps. */
#include <stdlib.h>
#include <string.h>

#include "graph_html.h"
#include "graph_map.h"
#include "graph_rrule.h"
#include "graph_zone.h"
#include "json.h"
#include "util.h"
#include "tap.h"

#define FIXTURES "tests/fixtures/graph/events.ndjson"

static jv events[32];
static size_t nevents;

static void
load(void)
{
	struct ndjson_reader *r = ndjson_open(FIXTURES);
	jv v;

	if (r == NULL) {
		printf("Bail out! cannot open %s (run from the top)\n", FIXTURES);
		exit(1);
	}
	while (nevents < 32 && ndjson_read(r, &v) == 1)
		events[nevents++] = v;
	ndjson_close(r);
}

static char *
dump(jv v)
{
	return json_dump(v);
}

/* field path of the record of event i, as JSON text. */
static char *
rec_field(size_t i, const char *path)
{
	jv rec = graph_to_record(jv_copy(events[i]));
	char *p = xstrdup(path), *s = p, *k;
	jv v = rec;

	while ((k = strsep(&s, ".")) != NULL)
		v = jv_get(v, *k >= '0' && *k <= '9' ?
		    jv_number(strtol(k, NULL, 10)) : jv_string(k));
	free(p);
	return dump(v);
}

static void
test_round_trips(void)
{
	size_t i;
	jv rec, back;
	char *a, *b;

	for (i = 0; i < nevents; i++) {
		rec = graph_to_record(jv_copy(events[i]));
		ok(jv_is_valid(rec), "event %zu maps to a record", i);
		back = graph_from_record(rec);
		a = dump(jv_copy(events[i]));
		b = dump(back);
		is_str(b, a, "event %zu: record and back gives the event, byte "
		    "for byte", i);
		free(a);
		free(b);
	}
}

static void
check(size_t i, const char *path, const char *want)
{
	char *got = rec_field(i, path);

	is_str(got, want, "event %zu: %s", i, path);
	free(got);
}

static void
test_fields(void)
{
	check(0, "summary", "\"Quarterly review\"");
	check(0, "description", "\"Agenda: numbers & plans\\nRoom 2\"");
	check(0, "start", "{\"dateTime\":\"2026-12-01T10:00:00+01:00\","
	    "\"timeZone\":\"Europe/Berlin\"}");
	check(0, "location", "\"Room 2\"");
	check(0, "attendees.0", "{\"displayName\":\"Ann Lee\",\"email\":"
	    "\"ann@contoso.com\",\"responseStatus\":\"accepted\"}");
	check(0, "attendees.1.responseStatus", "\"tentative\"");
	check(0, "attendees.1.optional", "true");
	check(0, "attendees.2.responseStatus", "\"declined\"");
	check(0, "attendees.3.responseStatus", "\"needsAction\"");
	check(0, "attendees.4.responseStatus", "\"needsAction\"");
	check(0, "attendees.5.resource", "true");
	check(0, "organizer", "{\"displayName\":\"Megan Bowen\",\"email\":"
	    "\"megan@contoso.com\",\"self\":true}");
	check(0, "iCalUID", "\"040000008200E00074C5B7101A82E00800000000D3D70B8A\"");
	check(0, "etag", "\"W/\\\"ZlnW4RIAV06KYYwlrfNZvQAAKGWwbw==\\\"\"");
	check(0, "status", "\"confirmed\"");
	check(0, "x-graph.categories", "[\"Red category\"]");
	check(1, "start", "{\"date\":\"2026-12-24\"}");
	check(1, "end", "{\"date\":\"2026-12-26\"}");
	check(1, "visibility", "\"private\"");
	check(1, "transparency", "null");
	check(2, "visibility", "\"private\"");
	check(2, "recurrence", "[\"RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;"
	    "WKST=SU;UNTIL=20260701T065959Z\"]");
	check(2, "start.timeZone", "\"America/Los_Angeles\"");
	check(2, "x-graph.showAs", "\"tentative\"");
	check(3, "recurrence", "[\"RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=10\"]");
	check(3, "visibility", "\"confidential\"");
	check(4, "recurrence", "[\"RRULE:FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15\"]");
	check(4, "transparency", "\"transparent\"");
	check(5, "recurringEventId", "\"AAMkMaster=\"");
	check(5, "originalStartTime", "{\"dateTime\":\"2026-01-07T09:00:00-08:00\","
	    "\"timeZone\":\"America/Los_Angeles\"}");
	check(5, "id", "\"AAMkMaster=_20260107T170000Z\"");
	check(5, "x-graph.id", "\"AAMkOccur=\"");
	check(10, "id", "\"AAMkAllDaySeries=_20261225\"");
	check(10, "originalStartTime", "{\"date\":\"2026-12-25\"}");
	check(10, "x-graph.id", "\"AAMkAllDayOcc=\"");
	check(11, "id", "\"AAMkBerlinSeries=_20261225\"");
	check(11, "originalStartTime", "{\"date\":\"2026-12-25\"}");
	check(6, "status", "\"cancelled\"");
	check(6, "start.dateTime", "\"2026-12-02T12:00:00+05:30\"");
	check(6, "extendedProperties.private.gcalKey", "\"crm-42\"");
	check(7, "recurrence", "[\"RRULE:FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=31\"]");
	check(8, "recurrence", "[\"RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH\"]");
	check(9, "recurrence", "[\"RRULE:FREQ=DAILY;UNTIL=20260403T225959Z\"]");
}

/* A record edited after the pull: the edit wins over x-graph. */
static void
test_edits(void)
{
	jv rec = graph_to_record(jv_copy(events[0])), g;
	char *s;

	rec = json_set_str(rec, "description", "New agenda");
	rec = json_set_str(rec, "summary", "Review (moved)");
	rec = jv_object_set(rec, jv_string("start"), JV_OBJECT(
	    jv_string("dateTime"), jv_string("2026-12-01T15:00:00Z"),
	    jv_string("timeZone"), jv_string("Europe/Amsterdam")));
	g = graph_from_record(rec);
	s = dump(jv_getpath(jv_copy(g), JV_ARRAY(jv_string("body"))));
	is_str(s, "{\"content\":\"New agenda\",\"contentType\":\"text\"}",
	    "an edited description goes as a text body, not the old HTML");
	free(s);
	is_str(json_str(g, "subject"), "Review (moved)", "edited subject");
	s = dump(jv_getpath(jv_copy(g), JV_ARRAY(jv_string("start"))));
	is_str(s, "{\"dateTime\":\"2026-12-01T16:00:00.0000000\",\"timeZone\":"
	    "\"W. Europe Standard Time\"}", "a moved start in its Windows zone");
	free(s);
	g = graph_write_body(g);
	ok(!jv_object_has(jv_copy(g), jv_string("id")) &&
	    !jv_object_has(jv_copy(g), jv_string("@odata.etag")) &&
	    !jv_object_has(jv_copy(g), jv_string("changeKey")),
	    "a write body has no read-only properties");
	ok(jv_object_has(jv_copy(g), jv_string("categories")),
	    "... and keeps the writable ones x-graph held");
	jv_free(g);

	rec = graph_to_record(json_set_str(jv_copy(events[0]), "@odata.context",
	    "https://graph.microsoft.com/v1.0/$metadata#users('x')/events/$entity"));
	s = dump(jv_getpath(jv_copy(rec), JV_ARRAY(jv_string(GRAPH_KEEP_KEY),
	    jv_string("@odata.context"))));
	is_str(s, "null", "a Get event's @odata.context is no property to keep");
	free(s);
	jv_free(rec);

	/* an instance: the record names it by its instance id, the Graph
	 * event by Graph's (kept), and no write carries either */
	rec = graph_to_record(jv_copy(events[5]));
	rec = json_set_str(rec, "summary", "Moved standup");
	g = graph_from_record(rec);
	is_str(json_str(g, "id"), "AAMkOccur=",
	    "an edited exception maps back to Graph's id of it");
	g = graph_write_body(g);
	ok(!jv_object_has(jv_copy(g), jv_string("id")) &&
	    !jv_object_has(jv_copy(g), jv_string("seriesMasterId")) &&
	    !jv_object_has(jv_copy(g), jv_string("originalStart")),
	    "... and its write body names no id, series or original start");
	jv_free(g);

	rec = graph_to_record(jv_copy(events[2]));
	rec = json_set_str(rec, "transparency", "transparent");
	g = graph_from_record(rec);
	is_str(json_str(g, "showAs"), "free",
	    "transparent wins over the kept \"tentative\"");
	jv_free(g);
}

static void
test_from_google(void)
{
	const char *line = "{\"summary\":\"x\",\"start\":{\"dateTime\":"
	    "\"2026-05-04T09:00:00+02:00\",\"timeZone\":\"Europe/Paris\"},"
	    "\"end\":{\"dateTime\":\"2026-05-04T10:00:00+02:00\",\"timeZone\":"
	    "\"Europe/Paris\"},\"recurrence\":[\"RRULE:FREQ=WEEKLY;UNTIL="
	    "20260601T215959Z\"],\"visibility\":\"private\"}";
	jv g = graph_from_record(json_parse(line, strlen(line)));
	char *s = dump(jv_getpath(jv_copy(g), JV_ARRAY(jv_string("recurrence"))));

	is_str(s, "{\"pattern\":{\"dayOfMonth\":0,\"daysOfWeek\":[\"monday\"],"
	    "\"firstDayOfWeek\":\"monday\",\"index\":\"first\",\"interval\":1,"
	    "\"month\":0,\"type\":\"weekly\"},\"range\":{\"endDate\":"
	    "\"2026-06-01\",\"numberOfOccurrences\":0,\"recurrenceTimeZone\":"
	    "\"Romance Standard Time\",\"startDate\":\"2026-05-04\",\"type\":"
	    "\"endDate\"}}", "a Google weekly rule without BYDAY: DTSTART's day");
	free(s);
	is_str(json_str(g, "sensitivity"), "private", "private stays private");
	is_str(json_str(g, "showAs"), "busy", "... and is shown busy");
	jv_free(g);

	line = "{\"start\":{\"date\":\"2026-05-04\"},\"end\":{\"date\":"
	    "\"2026-05-05\"},\"recurrence\":[\"RRULE:FREQ=WEEKLY\","
	    "\"EXDATE;VALUE=DATE:20260511\"]}";
	g = graph_from_record(json_parse(line, strlen(line)));
	ok(!jv_is_valid(g), "EXDATE has no Graph pattern: an error");
	s = json_error_text(g);
	ok(strstr(s, "recurrence") != NULL, "... that names the recurrence (%s)",
	    s);
	free(s);
	line = "{\"start\":{\"date\":\"2026-05-04\"},\"end\":{\"date\":"
	    "\"2026-05-05\"},\"recurrence\":[\"RRULE:FREQ=MONTHLY;BYDAY=TU\"]}";
	g = graph_from_record(json_parse(line, strlen(line)));
	ok(!jv_is_valid(g), "every Tuesday of a month: no Graph pattern");
	jv_free(g);
	line = "{\"start\":{\"dateTime\":\"2026-05-04T10:00:00Z\",\"timeZone\":"
	    "\"Mars/Olympus\"},\"end\":{\"dateTime\":\"2026-05-04T11:00:00Z\"}}";
	g = graph_from_record(json_parse(line, strlen(line)));
	ok(!jv_is_valid(g), "a zone with no Windows name: an error");
	jv_free(g);
}

/* Graph answers in UTC (we ask for it): the event's own zone comes back. */
static void
test_utc_answers(void)
{
	jv g = jv_copy(events[0]), rec, back;
	char *a, *b;

	g = jv_object_set(g, jv_string("start"), JV_OBJECT(jv_string("dateTime"),
	    jv_string("2026-12-01T09:00:00.0000000"), jv_string("timeZone"),
	    jv_string("UTC")));
	g = jv_object_set(g, jv_string("end"), JV_OBJECT(jv_string("dateTime"),
	    jv_string("2026-12-01T10:30:00.0000000"), jv_string("timeZone"),
	    jv_string("UTC")));
	rec = graph_to_record(g);
	is_str(json_strpath(rec, "start", "dateTime", (char *)NULL),
	    "2026-12-01T10:00:00+01:00", "a UTC answer: the start in its own zone");
	ok(!jv_object_has(json_get(rec, "x-graph"), jv_string("start")),
	    "... and nothing kept for it");
	back = graph_from_record(rec);
	a = json_dump(json_get(back, "start"));
	b = json_dump(json_get(events[0], "start"));
	is_str(a, b, "... written back in the event's zone");
	free(a);
	free(b);
	jv_free(back);
}

static void
test_zones_and_html(void)
{
	char *s;

	is_str(graph_zone_iana("W. Europe Standard Time"), "Europe/Berlin",
	    "Windows to IANA");
	is_str(graph_zone_windows("Europe/Amsterdam"), "W. Europe Standard Time",
	    "IANA of any territory to Windows");
	is_str(graph_zone_iana("Europe/Amsterdam"), "Europe/Amsterdam",
	    "an IANA name given to Graph stays");
	is_str(graph_zone_iana("UTC"), "UTC", "UTC is UTC");
	ok(graph_zone_iana("Nowhere Standard Time") == NULL, "unknown: NULL");
	s = graph_html_text("<div>a&lt;b&#x263A;</div>\r\n<br>  c &#8364; <script>x"
	    "</script>d");
	is_str(s, "a<b\xe2\x98\xba\nc \xe2\x82\xac d", "HTML to text");
	free(s);
}

int
main(void)
{
	size_t i;

	load();
	ok(nevents == 12, "%zu Graph events in the fixture", nevents);
	test_round_trips();
	test_fields();
	test_edits();
	test_from_google();
	test_utc_answers();
	test_zones_and_html();
	for (i = 0; i < nevents; i++)
		jv_free(events[i]);
	return done_testing();
}
