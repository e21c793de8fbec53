/* push: applying change records to Google Calendar (gcal-push's engine).
 *
 * Batches of calls, a second look at 409 and 412 answers, retries of
 * rate-limited calls; pacing is the quota governor's (quota.h). One
 * result record per change is printed on stdout as each change
 * finishes. */
#ifndef GCAL_PUSH_H
#define GCAL_PUSH_H

#include <stddef.h>

#include <jv.h>

#include "calendar.h"
#include "quota.h"

enum push_op { PUSH_INSERT, PUSH_UPDATE, PUSH_DELETE, PUSH_SKIP };

/* One change record, checked, with the request it makes. */
struct push_change {
	size_t line;      /* in the input */
	enum push_op op;
	const char *opname; /* "insert", "update", "delete", "conflict" */
	char *id;
	char *calendar;
	char *etag;       /* If-Match, for updates and deletes */
	char *key;        /* the local key, echoed in the result */
	char *path;   /* the request's path and query */
	char *event_path; /* the event's own, for a second look */
	char *body;   /* JSON to send, or NULL */
	jv event;     /* what we want Google to have, or invalid */
	char *skip;   /* why a record is not for us to apply */
	char *target; /* the record's target, as given */
	const char *method; /* "POST", "PUT" or "DELETE" */
	/* An insert of a modified instance of a series is first a PUT of
	 * that instance of the series' copy (sent once every other change is
	 * done, so that the series' own insert comes first); this is the
	 * plain insert to make instead when the copy has no such instance. */
	struct push_change *fallback;
	/* An insert of an instance of a series (Google): what the calendar
	 * has under the instance's id is looked up before it is sent, and
	 * the insert becomes a conditional update of it (a delete when
	 * cancelled), If-Match etag when the record gave one. */
	int instance;
	int attempts;
	int done;
};

/* A run: the changes and how they are sent. */
struct push {
	struct calendar_api *api;
	struct push_change *v;
	size_t n;
	int batch;
	struct quota *quota; /* the governor of the user's minute, or NULL */
	long stop_after;   /* test knob: die after this many calls */
	int refreshed;     /* the access token was refreshed after a 401 */
	long sent;
	int failed;
	int temporary;     /* a failure worth running again for */
	int dead;          /* the grant is gone */
	int fatal;         /* why a whole batch failed: its exit status */
	int daily;         /* Google's daily limit stopped the writes */
};

/* Free what c holds (not c). */
void push_change_free(struct push_change *c);
/* Give to the request that c makes (id, path, event_path, body, event,
 * method; the fallback's swap) what from holds, without freeing c's. */
void push_request_take(struct push_change *c, const struct push_change *from);
/* The result record of a change with this status; the caller's. */
jv push_result(const struct push_change *c, const char *status);
/* Report every change not done yet as failed, with reason and message,
 * as a result record each (gcal-push(1): one per change, always). */
void push_abandon(struct push *p, const char *reason, const char *message);
/* The message for a token that could not be had (why: the exit status
 * oauth_token gave); static text. */
const char *push_token_trouble(int why);
/* Apply every change that is not PUSH_SKIP, printing its result, under
 * p->quota (put on p->api's requests here). 0, or an exit status when
 * the token cannot be had again; the outcome is in p->failed,
 * p->temporary, p->dead, p->daily and p->fatal. */
int push_all(struct push *p);
/* The exit status of a run push_all finished (gcal-push(1)): 77, then
 * 4 (the daily limit), then a batch's failure, 75, 1, 0. */
int push_status(const struct push *p);

#endif
