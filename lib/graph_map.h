/* graph_map: Microsoft Graph event resources to gcal-records(5) events
 * (Google's Event shape) and back, losing nothing on a round trip.
 *
 * Each Graph property that has a Google counterpart is mapped
 * (gcal-records(5) MICROSOFT GRAPH has the table); every other property,
 * and the original of a mapped one whose mapping cannot give it back
 * exactly (an HTML body, a "tentative" showAs, a pattern's unused
 * fields), is kept verbatim in the record's top-level "x-graph" object
 * ("@gcal.absent" lists properties the event did not have). Mapping back
 * takes a kept original only while it still maps to what the record
 * says, so an edit of the record wins over it. */
#ifndef GCAL_GRAPH_MAP_H
#define GCAL_GRAPH_MAP_H

#include <jv.h>

/* The record key that holds what does not map. */
#define GRAPH_KEEP_KEY "x-graph"
/* The singleValueExtendedProperty holding extendedProperties.private (a
 * JSON object as text): a String property in gcal's own namespace. */
#define GRAPH_PRIVATE_PROP \
	"String {8c5bd5a0-2f9e-4f7b-9c3e-6a1d0e7f4b21} Name gcal.private"

/* The record for a Graph event (consumed; a single event's answer
 * too: its @odata.context is dropped); invalid with a message when it
 * is not an object or its times cannot be read. */
jv graph_to_record(jv g);
/* The Graph event for a record (consumed), with every property x-graph
 * keeps; invalid with a message when a field has no Graph form (an
 * RRULE Graph's patterns cannot say, a time zone CLDR does not name). */
jv graph_from_record(jv rec);
/* Only the properties a create or update may send (Graph's event
 * resource: the writable ones); consumes g. */
jv graph_write_body(jv g);
/* g (consumed) with its marks' transactionId tagged with 12 hex digits
 * of the SHA-256 of calendar_path, then 12 of the record's id (NULL:
 * none), so
 * that one key in two calendars of a mailbox makes two events, and so do
 * two records of the same marks (no key: the owner's mark alone); g as
 * it was without such a transactionId. */
jv graph_txn_calendar(jv g, const char *calendar_path, const char *id);
/* Whether the record rec (borrowed) is of the event a create of the
 * record id made: its kept transactionId (graph_txn_calendar) names it.
 * Graph chooses the id of what it creates, so a run that did not live
 * to read the answer finds its create so (gcal-sync's journal). */
int graph_txn_made_for(jv rec, const char *id);

#endif
