/* batch: many Calendar API calls in one HTTP request (Google's "Send
 * batch requests" guide): multipart/mixed out, multipart/mixed back,
 * answers matched to calls by Content-ID, each judged on its own. */
#ifndef GCAL_BATCH_H
#define GCAL_BATCH_H

#include <stddef.h>

#include <jv.h>

#include "calendar.h"

/* Google's limit of calls in one batch request. */
#define BATCH_MAX 1000

/* One call of a batch (Google's "Send batch requests" guide): what to
 * send, then what came back for it. */
struct batch_part {
	const char *method;   /* borrowed */
	const char *path;     /* borrowed: "/calendar/v3/..." */
	const char *if_match; /* borrowed etag, or NULL */
	const char *body;     /* borrowed JSON, or NULL */
	long status;          /* 0: no answer for this part */
	jv json;              /* the part's answer, or invalid */
	char *etag;           /* its ETag header, or NULL */
	long retry_after;     /* seconds, or -1 */
};

/* Send parts[0..n) (at most 1000) as one multipart/mixed request to
 * /batch/calendar/v3 and fill in each part's answer, matched by
 * Content-ID. 0 (each part judged on its own), or an exit status when the
 * batch as a whole failed (message printed). */
int batch_send(struct calendar_api *api, struct batch_part *parts,
    size_t n);
/* Free what batch_send put in the parts. */
void batch_clear(struct batch_part *parts, size_t n);
/* Parse a multipart/mixed batch answer into parts (by Content-ID
 * "response-itemN"); exposed for tests and fuzzing. -1 when the body is
 * not a batch answer. */
int batch_parse(const char *content_type, const char *body,
    size_t len, struct batch_part *parts, size_t n);

#endif
