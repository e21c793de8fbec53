/* events: what the tools need to know about Google event resources:
 * their times (RFC 3339 date-times, all-day dates in a time zone). */
#ifndef GCAL_EVENTS_H
#define GCAL_EVENTS_H

#include <jv.h>

/* Parse an RFC 3339 date-time ("2026-11-23T10:00:00+01:00", fraction and
 * "Z" allowed) or a date ("2026-11-23", midnight in zone tz; NULL: the
 * local zone, as TZ says). 0 and *t (epoch seconds), or -1. */
int time_parse(const char *s, const char *tz, long long *t);

/* The instant an event's start or end (which: "start" or "end") stands
 * for: its dateTime, or its all-day date at midnight in the event's own
 * timeZone, else the calendar's (caltz, may be NULL). 0 or -1 when the
 * event has no such time. */
int event_time(jv event, const char *which, const char *caltz, long long *t);

/* Does the event overlap [from, to)? (Google's timeMin/timeMax rule: end
 * after from, start before to.) from or to may be LLONG_MIN/LLONG_MAX. An
 * event without times (a cancelled stub) does not. A recurring event's
 * master counts as reaching to the end of time. */
int event_in_window(jv event, const char *caltz, long long from, long long to);

#endif
