/* graph_zone: Microsoft's Windows time zone names to IANA zones and back.
 *
 * Graph's dateTimeTimeZone names a Windows zone ("W. Europe Standard
 * Time"); gcal-records(5) name IANA zones. The table is CLDR's
 * windowsZones mapping (lib/graph_zone_table.h, generated) with the
 * other names CLDR and tzdata give its zones (Asia/Kolkata, Europe/Kyiv).
 * "UTC" is "UTC" both ways. */
#ifndef GCAL_GRAPH_ZONE_H
#define GCAL_GRAPH_ZONE_H

/* The IANA zone of a Windows zone name (CLDR's territory 001 zone), or
 * NULL when unknown; an IANA name given instead (Graph accepts those too)
 * is returned as is. Static text or win itself. */
const char *graph_zone_iana(const char *win);
/* The Windows zone name of an IANA zone, or NULL when CLDR has none;
 * static text. */
const char *graph_zone_windows(const char *iana);

/* Whether this machine's time zone data ($TZDIR, else
 * /usr/share/zoneinfo) has IANA zone iana, so that its wall clock times
 * can be computed: the table may name zones newer than the data. */
int graph_zone_known(const char *iana);

/* The instant of a Graph dateTime ("2026-03-02T09:00:00.0000000", the
 * wall clock time in zone, a Windows or IANA name): 0 and *t, or -1. */
int graph_zone_instant(const char *datetime, const char *zone, long long *t);

/* Instant t as a wall clock time in IANA zone (UTC when NULL or unknown):
 * RFC 3339 with its offset ("2026-03-02T09:00:00+01:00", "...Z" in UTC)
 * when graph is 0, else Graph's form ("2026-03-02T09:00:00.0000000").
 * 0, or -1 when the zone is unknown (out then holds the UTC time). */
int graph_zone_format(long long t, const char *iana, int graph, char out[40]);

#endif
