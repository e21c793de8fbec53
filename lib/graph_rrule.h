/* graph_rrule: Graph's patternedRecurrence to an RFC 5545 RRULE and back.
 *
 * daily, weekly, absoluteMonthly, relativeMonthly, absoluteYearly and
 * relativeYearly patterns with their interval, daysOfWeek, index, month
 * and dayOfMonth; ranges endDate (UNTIL: the end of that day in the
 * recurrence's zone), numbered (COUNT) and noEnd. */
#ifndef GCAL_GRAPH_RRULE_H
#define GCAL_GRAPH_RRULE_H

#include <jv.h>

/* The recurrence array (["RRULE:..."]) of a patternedRecurrence (borrowed)
 * of an event in IANA zone iana (NULL: UTC) or all-day; invalid with a
 * message when the pattern is not one Graph documents. */
jv graph_rrule_of(jv pr, const char *iana, int allday);

/* The patternedRecurrence of a record's recurrence array (borrowed) for a
 * series starting on start_date (YYYY-MM-DD, local) in zone iana; invalid
 * with a message when a line is no RRULE a Graph pattern can say (EXDATE,
 * RDATE, BYHOUR, two rules...). */
jv graph_rrule_pattern(jv rec, const char *start_date, const char *iana,
    int allday);

#endif
