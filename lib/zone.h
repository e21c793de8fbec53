/* zone: IANA time zones without the C library's one global TZ: the
 * offset in force at an instant, and the instant a wall clock time in a
 * zone names. Zones are read from the zoneinfo files (RFC 8536 TZif, the
 * POSIX TZ string at their end for times past the last transition) or
 * given as a POSIX TZ string; each is loaded once per process and kept.
 * Safe to call from any thread: nothing here touches the environment. */
#ifndef GCAL_ZONE_H
#define GCAL_ZONE_H

/* Days since 1970-01-01 of a proleptic Gregorian date (no zone). */
long long zone_days(long long y, unsigned m, unsigned d);

/* The UTC offset (seconds east) of zone name at instant t (epoch
 * seconds): 0 and *off, or -1 when no zone has that name. */
int zone_offset(const char *name, long long t, long *off);

/* The instant (epoch seconds) of the wall clock time local (seconds since
 * 1970-01-01T00:00:00 of that clock, as if it were UTC) in zone name: 0
 * and *t, or -1 when no zone has that name. A time the clock skips (the
 * gap of a change to summer time) is moved on by the gap, and a time it
 * shows twice is the earlier instant, as java.time and Python's zoneinfo
 * (fold 0) read them. */
int zone_local_to_utc(const char *name, long long local, long long *t);

#endif
