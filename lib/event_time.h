/* event_time: the instants an event's times stand for: RFC 3339
 * date-times, all-day dates at midnight in a zone, and whether an event
 * falls in a window. Thread-safe (lib/zone.h, not TZ). */
#ifndef GCAL_EVENT_TIME_H
#define GCAL_EVENT_TIME_H

#include <jv.h>

/* Parse an RFC 3339 date-time ("2026-11-23T10:00:00+01:00", fraction and
 * "Z" allowed), a date-time without offset (the wall clock time in zone
 * tz, lib/zone.h; -1 when tz is NULL or unknown) or a date ("2026-11-23",
 * midnight in zone tz, UTC when no zone has that name; NULL: the local
 * zone, as TZ says). Thread-safe. 0 and *t (epoch seconds), or -1. */
int time_parse(const char *s, const char *tz, long long *t);

/* The instant an event's start or end (which: "start" or "end") stands
 * for: its dateTime, or its all-day date at midnight, in the event's own
 * timeZone, else the calendar's (caltz, may be NULL) when the time has no
 * offset. 0 or -1 when the event has no such time. */
int event_time(jv event, const char *which, const char *caltz, long long *t);

/* Does the event overlap [from, to)? (Google's timeMin/timeMax rule: end
 * after from, start before to.) from or to may be LLONG_MIN/LLONG_MAX. An
 * event without times (a cancelled stub) does not. A recurring event's
 * master counts as reaching to the end of time. */
int event_in_window(jv event, const char *caltz, long long from, long long to);

#endif
