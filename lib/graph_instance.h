/* graph_instance: Google's ids for the instances of a Microsoft series.
 *
 * Graph gives every occurrence and exception of a series an id of its
 * own that says nothing of the series. Records name an instance as the
 * Calendar API does ("Recurring events": the series' id, an underscore
 * and the original start, 20261207T090000Z in UTC, or 20261207 for an
 * all-day series), so that a pipeline, gcal-sync's base and a local
 * system hold the same ids whichever provider a profile has. graph_pull
 * writes them from seriesMasterId and originalStart; graph_push turns
 * them back into Graph's ids before it writes. */
#ifndef GCAL_GRAPH_INSTANCE_H
#define GCAL_GRAPH_INSTANCE_H

#include <jv.h>

/* The instance id of series master's instance whose originalStart
 * (Graph's Edm.DateTimeOffset, UTC) is original_start; allday: an
 * all-day series (the id ends in the date). NULL when either is
 * unusable. */
char *graph_instance_id(const char *master, const char *original_start,
    int allday);

/* The series (*master, the caller's) and original start (*start, epoch
 * seconds; *allday set when the id ends in a date, whose midnight UTC
 * *start is) that an instance id names: 0, or -1 when id is not one. */
int graph_instance_parse(const char *id, char **master, long long *start,
    int *allday);

/* Google's cancelled instance for the instance id iid (Calendar API
 * "Recurring events": id, kind, status, recurringEventId and
 * originalStartTime); invalid when iid is no instance id. */
jv graph_instance_cancelled(const char *iid);

#endif
