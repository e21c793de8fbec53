/* Unit tests of lib/graph_instance.c: instance ids in Google's form from
 * Graph's seriesMasterId and originalStart, and back; ids of Graph's own
 * (which may hold underscores) are no instance ids. */
#include <stdlib.h>
#include <string.h>

#include "graph_instance.h"
#include "util.h"
#include "tap.h"

#define M "AAMkADyX_VpdG-Qio=="

int
main(void)
{
	char *id, *master = NULL;
	long long t = 0;
	int allday = -1;

	id = graph_instance_id(M, "2026-12-07T09:00:00.0000000Z", 0);
	is_str(id, M "_20261207T090000Z", "a timed instance: the UTC start");
	ok(graph_instance_parse(id, &master, &t, &allday) == 0,
	    "... which parses back");
	is_str(master, M, "... to its series (underscores in it kept)");
	ok(t == 1796634000LL && allday == 0, "... and its start");
	free(id);
	free(master);
	master = NULL;

	id = graph_instance_id(M, "2026-12-07T08:00:00+01:00", 0);
	is_str(id, M "_20261207T070000Z", "an offset is turned into UTC");
	free(id);

	id = graph_instance_id(M, "2026-12-07T00:00:00Z", 1);
	is_str(id, M "_20261207", "an all-day instance: the date");
	ok(graph_instance_parse(id, &master, &t, &allday) == 0 && allday == 1 &&
	    t == 1796601600LL, "... which parses back to its midnight UTC");
	free(id);
	free(master);
	master = NULL;

	ok(graph_instance_id(M, "not a time", 0) == NULL,
	    "no id from a start that is no time");
	ok(graph_instance_id("", "2026-12-07T09:00:00Z", 0) == NULL,
	    "... nor from an empty series id");
	ok(graph_instance_parse("AAMkADyX_VpdGQio", &master, &t, &allday) == -1,
	    "a Graph id with an underscore is no instance id");
	ok(graph_instance_parse("_20261207T090000Z", &master, &t, &allday) == -1,
	    "... nor a suffix without a series");
	ok(graph_instance_parse(M "_20261207T0900Z", &master, &t, &allday) == -1,
	    "... nor a short time");
	ok(graph_instance_parse(M "_20261307T090000Z", &master, &t, &allday) == -1,
	    "... nor month 13");
	ok(master == NULL, "a failed parse gives no series");
	return done_testing();
}
