/* graph: Microsoft Graph calls for a Microsoft profile's calendar_api:
 * paths of a calendar, the Prefer header every call carries, and Graph's
 * error answers turned into messages and exit statuses. */
#ifndef GCAL_GRAPH_H
#define GCAL_GRAPH_H

#include <jv.h>

#include "calendar.h"

/* Every call asks for ids that survive a move between folders ("Obtain
 * immutable identifiers for Outlook resources") and for times in UTC,
 * which graph_map reads back into each event's own zone. */
#define GRAPH_PREFER "IdType=\"ImmutableId\", outlook.timezone=\"UTC\""

/* The path of a calendar's collection (calendar "primary": the default
 * calendar, Graph's /me/calendar) followed by tail ("/events",
 * "/calendarView/delta"); the caller's. */
char *graph_calendar_path(const char *calendar, const char *tail);

/* Is url under the Graph endpoint of this run (GCAL_GRAPH_ENDPOINT or
 * graph.microsoft.com)? A link Graph gave under another one was given
 * to a run with another endpoint. */
int graph_url_ours(const char *url);

/* GET url (a whole URL Graph gave, which must lie under the Graph
 * endpoint: the token goes nowhere else) or path (under /v1.0/...), with
 * the Prefer header and, when maxpage > 0, odata.maxpagesize. 0 with the
 * answer in resp, or an exit status (message printed). */
int graph_get(struct calendar_api *api, const char *url_or_path, int maxpage,
    struct http_response *resp);

/* Graph's error code (error.code) of an answer, or NULL; borrowed from
 * resp->json. */
const char *graph_error_code(const struct http_response *resp);
/* Print "what: Graph answered STATUS CODE: MESSAGE" (redacted) and return
 * the exit status for it (gcal(7)). */
int graph_failure(const struct http_response *resp, const char *what);

#endif
