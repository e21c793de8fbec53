/* graph_pull: the events of a Microsoft calendar as pull.c lists
 * Google's: a calendarView delta round over a window, in the shape of
 * events.list (gcal-records(5) events, mapped by graph_map).
 *
 * A calendarView lists a series' occurrences and exceptions, never its
 * master ("List calendarView", "event: delta"). Without expand a round
 * gives what events.list without singleEvents gives: single events, the
 * master of every series whose instances the round lists (one "Get
 * event" each, after the pages), its exceptions, and no plain
 * occurrences; with expand (singleEvents) every occurrence and
 * exception and no master. Instances carry Google's instance ids
 * (graph_instance.h). An "@removed" item names Graph's id only: the
 * token's map of the instances seen says which instance it was, given
 * as Google's cancelled instance; a series whose master Graph no longer
 * has (404) is its master's cancelled stub.
 *
 * The sync token pull.c keeps is "graph2 START END DELTALINK": the
 * round's window (RFC 3339, UTC) and Graph's @odata.deltaLink, then the
 * map, committed together with the events (mirror.h): a line "=SERIES"
 * names a series (the first is 0), and "KEY N START" an instance of
 * series N, KEY 64 bits of the SHA-256 of Graph's id in hex, START the
 * end of its instance id. A delta link is bound to the
 * window of its round's first request (Microsoft's "Get incremental
 * changes to events in a calendar view"), so moving the window is a new
 * round: the link is given up, as a 410 is, once the wanted window
 * starts GRAPH_WINDOW_STEP_DAYS or more after the kept one. The window
 * is the profile's "window_past_days" (default 365) before now to its
 * "window_future_days" (default 730) after, whole UTC days. */
#ifndef GCAL_GRAPH_PULL_H
#define GCAL_GRAPH_PULL_H

#include <jv.h>

#include "calendar.h"

#define GRAPH_WINDOW_STEP_DAYS 7
/* Prefer: odata.maxpagesize of delta pages. */
#define GRAPH_PAGE_SIZE 1000

/* Every event of calendar's window (token NULL), or what changed since
 * token, to fn as records (borrowed; "@removed" ones as Google's
 * cancelled stubs {"id","kind","status"}, an instance's with its
 * recurringEventId and originalStartTime); expand: singleEvents; was: for
 * a full round, the token of the round before (or NULL), whose map says
 * which instances are gone since; *last gets {"nextSyncToken": the next
 * token}. 0, an exit status (message
 * printed), or CALENDAR_SYNC_GONE: Graph refused the token (410
 * syncStateNotFound, resyncRequired) or the window has moved. */
int graph_pull_list(struct calendar_api *api, const char *profile,
    const char *calendar, int expand, const char *token, const char *was,
    int (*fn)(jv item, void *arg),
    void *arg, jv *last);

#endif
