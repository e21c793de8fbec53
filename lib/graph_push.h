/* graph_push: gcal-push's batches for a Microsoft profile, as Graph JSON
 * $batch requests ("Combine multiple HTTP requests using JSON batching").
 *
 * Each part is the Calendar API call push.c made (method, path, If-Match,
 * Google-shaped body), said in Graph's words: an insert is a POST to the
 * calendar's events with a transactionId (the change's derived id, so a
 * retried create never makes a second event) and the marks in gcal's
 * extended property; an update a PATCH of the event's writable
 * properties; a delete a DELETE; both with If-Match. Answers come back
 * Google-shaped too: events mapped by graph_map, errors as
 * {"error":{"code","message","errors":[{"reason": Graph's code}]}}. */
#ifndef GCAL_GRAPH_PUSH_H
#define GCAL_GRAPH_PUSH_H

#include <stddef.h>

#include <jv.h>

#include "batch.h"
#include "calendar.h"

/* Graph's limit of requests in one $batch. */
#define GRAPH_BATCH_MAX 20
/* Requests Graph lets an app have in flight for one mailbox
 * (MailboxConcurrency). Batches of more parts run as one serial chain
 * (dependsOn, Graph's "fully sequential" form): one at a time. */
#define GRAPH_IN_FLIGHT 4
/* A part that did not run because the one before it in a serial chain
 * failed (424 Failed Dependency): to be sent again, not counted as an
 * attempt. */
#define GRAPH_NOT_RUN 424

struct push_change;
/* A create Graph took for a retry of an earlier one (its transactionId)
 * answers with that one's event: when it differs from what c wants
 * (the record was edited since), c becomes the If-Match update of that
 * event, to be sent again; 1 when so, 0 on Google or when the answer is
 * what c wants. Borrows answer. */
int graph_stale_create(struct calendar_api *api, struct push_change *c,
    jv answer);

/* Send parts[0..n) (at most GRAPH_BATCH_MAX) as one $batch and fill in
 * each part's answer. 0, or an exit status when the batch as a whole
 * failed (message printed). */
int graph_batch_send(struct calendar_api *api, struct batch_part *parts,
    size_t n);

/* GET the event a Calendar API event path names, Google-shaped: 0 with
 * *status and *ev (the caller's), or an exit status. */
int graph_fetch(struct calendar_api *api, const char *google_path,
    long *status, jv *ev);

/* The id of the mailbox's default calendar (GET /me/calendar), which the
 * primary-calendar guard protects: 0 and *id (the caller's), or an exit
 * status (message printed). */
int graph_default_calendar(struct calendar_api *api, char **id);

#endif
