/* graph_time: the times of a Graph event and of a record, both ways:
 * start and end (dateTimeTimeZone with Windows zone names, all-day
 * dates), the recurrence (graph_rrule), and an instance's originalStart.
 * An event's own zone is its originalStartTimeZone (originalEndTimeZone
 * for the end), whatever zone Graph answered in. */
#ifndef GCAL_GRAPH_TIME_H
#define GCAL_GRAPH_TIME_H

#include <jv.h>

/* rec (consumed) with start, end, recurrence and originalStartTime of g
 * (borrowed); invalid with a message when a time cannot be read. */
jv graph_times_of(jv g, jv rec);
/* g (consumed) with start, end, isAllDay, original*TimeZone, recurrence
 * and originalStart of rec (borrowed); invalid with a message when rec
 * has a time zone CLDR gives no Windows name (or a time in one this
 * machine's tzdata lacks) or a recurrence no Graph pattern says. */
jv graph_times_for(jv rec, jv g);
/* g (consumed) with start and end in the event's own zones: the same
 * instants, as a write gives them. */
jv graph_own_zones(jv g);

#endif
