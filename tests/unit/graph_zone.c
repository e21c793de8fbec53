/* Unit tests of lib/graph_zone.c: CLDR's windowsZones table both ways
 * (the names CLDR added since 2019b, the other spellings of a zone), the
 * table's own order and round trips, and a zone this machine's time
 * zone data lacks: an error naming it, never a time in the wrong zone. */
#include <stdlib.h>
#include <string.h>

#include "graph_time.h"
#include "graph_zone.h"
#include "json.h"
#include "util.h"
#include "tap.h"
#include "testlib.h"

struct zone_pair {
	const char *from;
	const char *to;
};

#include "graph_zone_table.h"

#define NPAIRS(t) (sizeof(t) / sizeof(*(t)))

/* A zone the table names and $TZDIR lacks: writing a time in it fails,
 * naming it (before any other test loads the zone: zone.c keeps what it
 * found). */
static void
test_zone_not_on_machine(void)
{
	const char *line = "{\"start\":{\"dateTime\":\"2026-05-04T10:00:00-06:00\","
	    "\"timeZone\":\"America/Ciudad_Juarez\"},\"end\":{\"dateTime\":"
	    "\"2026-05-04T11:00:00-06:00\",\"timeZone\":\"America/Ciudad_Juarez\"}}";
	char *msg;
	jv rec, g;

	test_dir_make("graph_zone");
	/* an empty zoneinfo directory */
	setenv("TZDIR", test_dir, 1);
	ok(!graph_zone_known("America/Ciudad_Juarez"),
	    "a zone missing from $TZDIR is not known");
	ok(graph_zone_known("UTC"), "... UTC always is");
	is_str(graph_zone_windows("America/Ciudad_Juarez"), "Mountain Standard Time",
	    "... yet the table still names its Windows zone");
	rec = json_parse(line, strlen(line));
	g = graph_times_for(rec, jv_object());
	jv_free(rec);
	ok(!jv_is_valid(g), "a time in a zone this machine lacks: an error");
	msg = json_error_text(g);
	ok(strstr(msg, "'America/Ciudad_Juarez'") != NULL &&
	    strstr(msg, "tzdata") != NULL, "... naming the zone (%s)", msg);
	free(msg);
	line = "{\"start\":{\"date\":\"2026-05-04\",\"timeZone\":"
	    "\"America/Ciudad_Juarez\"},\"end\":{\"date\":\"2026-05-05\"}}";
	rec = json_parse(line, strlen(line));
	g = graph_times_for(rec, jv_object());
	jv_free(rec);
	ok(jv_is_valid(g), "an all-day event in it needs no offsets: written");
	is_str(json_strpath(g, "start", "timeZone", (char *)NULL),
	    "Mountain Standard Time", "... in its Windows zone");
	jv_free(g);
	unsetenv("TZDIR");
	test_dir_remove();
}

/* Names CLDR gained after 2019b, and those it moved. */
static void
test_new_names(void)
{
	static const char *const both[][2] = {
		{"Yukon Standard Time", "America/Whitehorse"},
		{"South Sudan Standard Time", "Africa/Juba"},
		{"Mountain Standard Time (Mexico)", "America/Mazatlan"},
		{"Central Asia Standard Time", "Asia/Bishkek"},
	};
	static const char *const back[][2] = {
		{"America/Ciudad_Juarez", "Mountain Standard Time"},
		{"America/Dawson", "Yukon Standard Time"},
		{"America/Chihuahua", "Central Standard Time (Mexico)"},
		{"America/Ojinaga", "Central Standard Time"},
		{"Asia/Almaty", "West Asia Standard Time"},
		{"Antarctica/Macquarie", "Tasmania Standard Time"},
		/* other spellings: CLDR's aliases, tzdata's links */
		{"Asia/Kolkata", "India Standard Time"},
		{"Asia/Calcutta", "India Standard Time"},
		{"Europe/Kyiv", "FLE Standard Time"},
		{"America/Nuuk", "Greenland Standard Time"},
		{"Pacific/Chuuk", "West Pacific Standard Time"},
		{"Pacific/Kanton", "UTC+13"},
		{"America/Montreal", "Eastern Standard Time"},
		{"US/Eastern", "Eastern Standard Time"},
		{"Etc/UTC", "UTC"},
	};
	size_t i;

	for (i = 0; i < NPAIRS(both); i++) {
		is_str(graph_zone_iana(both[i][0]), both[i][1], "%s is %s", both[i][0],
		    both[i][1]);
		is_str(graph_zone_windows(both[i][1]), both[i][0], "... and back");
	}
	for (i = 0; i < NPAIRS(back); i++)
		is_str(graph_zone_windows(back[i][0]), back[i][1], "%s is written as %s",
		    back[i][0], back[i][1]);
	ok(graph_zone_windows("Mars/Olympus") == NULL, "an unknown zone: none");
	ok(graph_zone_iana("Nowhere Standard Time") == NULL, "... either way");
}

/* The tables are sorted (bsearch), each territory-001 zone maps back to
 * its name, and every Windows name the way back gives is one the way
 * there knows, so a pull after a push finds the zone again. */
static void
test_table(void)
{
	size_t i, bad_order = 0, bad_back = 0, bad_there = 0;

	for (i = 1; i < NPAIRS(windows_to_iana); i++)
		bad_order += strcmp(windows_to_iana[i - 1].from, windows_to_iana[i].from) >= 0;
	for (i = 1; i < NPAIRS(iana_to_windows); i++)
		bad_order += strcmp(iana_to_windows[i - 1].from, iana_to_windows[i].from) >= 0;
	ok(bad_order == 0, "both tables are sorted, no name twice");
	for (i = 0; i < NPAIRS(windows_to_iana); i++)
		if (strcmp(windows_to_iana[i].from, "UTC") != 0 && (graph_zone_windows(
		    windows_to_iana[i].to) == NULL || strcmp(graph_zone_windows(
		    windows_to_iana[i].to), windows_to_iana[i].from) != 0)) {
			if (bad_back++ == 0)
				printf("# %s\n", windows_to_iana[i].from);
		}
	ok(bad_back == 0, "each of the %zu Windows names' zones maps back to it",
	    NPAIRS(windows_to_iana));
	for (i = 0; i < NPAIRS(iana_to_windows); i++)
		if (graph_zone_iana(iana_to_windows[i].to) == NULL) {
			if (bad_there++ == 0)
				printf("# %s\n", iana_to_windows[i].from);
		}
	ok(bad_there == 0, "each of the %zu zones' Windows names has a zone",
	    NPAIRS(iana_to_windows));
}

int
main(void)
{
	test_zone_not_on_machine();
	test_new_names();
	test_table();
	return done_testing();
}
