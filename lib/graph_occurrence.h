/* graph_occurrence: an instance id (graph_instance.h) resolved to the id
 * Graph gives that occurrence of its series, before a write or read of it.
 *
 * Graph lists a series' occurrences and exceptions by the time they
 * overlap (event: "List instances"), never by their original start, so the
 * lookup lists a window around the original start and takes the one
 * whose instance id, as graph_map names it for gcal-pull (originalStart
 * exactly; an all-day one's date in the series' zone), is the record's. Answers are kept for the run (every instance a
 * listing shows, and the series Graph does not know); a process's table,
 * not shared between threads (gcal-push and gcal-sync write from one). */
#ifndef GCAL_GRAPH_OCCURRENCE_H
#define GCAL_GRAPH_OCCURRENCE_H

#include <jv.h>

#include "calendar.h"

/* Graph's id for the event a record calls id: 0 and *occ (the caller's),
 * which is id itself when id is no instance id or names a series Graph
 * does not know (a Graph id may hold "_"), and when etag is not NULL
 * *etag, the occurrence's as listed (the caller's, or NULL); or *occ
 * NULL and *status: 404
 * when the series has no instance of that original start, Graph's status
 * of a failed listing otherwise, with its body in *answer (the caller's,
 * else invalid). An exit status when Graph could not be asked (message
 * printed). */
int graph_occurrence(struct calendar_api *api, const char *id, char **occ,
    char **etag, long *status, jv *answer);
/* Did this run's listing show the instance id as a plain occurrence of
 * its series (Graph's type "occurrence": no change of its own)? Its etag
 * follows its series' (every change of the master gives each occurrence
 * a new change key), so a record's etag of it is stale after any series
 * edit, and only the listing's says what Graph has. */
int graph_occurrence_plain(const char *id);

#endif
