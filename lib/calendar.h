/* calendar: Google Calendar API v3 calls made for a profile.
 *
 * Authorized requests (a 401 refreshes the token once and tries again),
 * paging, and Google's errors turned into exit statuses (DESIGN.md). */
#ifndef GCAL_CALENDAR_H
#define GCAL_CALENDAR_H

#include <jv.h>

#include "http.h"
#include "provider.h"

struct calendar_api;

/* Open the API for profile; NULL with *rc set (message printed) when the
 * profile has no usable token. */
struct calendar_api *calendar_open(const char *profile, int *rc);
void calendar_close(struct calendar_api *api);
/* Every request of api from now on tells pacer (borrowed; NULL: none).
 * Without it, the first request opens the profile's quota governor
 * (quota.h), so every program's requests are paced. */
void calendar_set_pacer(struct calendar_api *api,
    const struct http_pacer *pacer);

/* The provider of the profile api was opened for: a Microsoft
 * profile's calls go to Graph (paths under https://graph.microsoft.com,
 * lib/graph.h builds them). */
enum provider calendar_provider(const struct calendar_api *api);

/* req (its host, path, headers and body the caller's) sent with the
 * profile's token, refreshed once on a 401, and the api's pacer. 0 with
 * the answer in resp (any status), or an exit status (message printed). */
int calendar_request(struct calendar_api *api, struct http_request *req,
    struct http_response *resp);

/* METHOD path (under https://www.googleapis.com, or Graph's host) with an optional JSON
 * body (consumed; jv_invalid() for none) and If-Match etag. 0 with the
 * answer in resp (any status), or an exit status (message printed). */
int calendar_call(struct calendar_api *api, const char *method,
    const char *path, jv body, const char *if_match,
    struct http_response *resp);

/* The same with a body of any type (content_type NULL: none). */
int calendar_send(struct calendar_api *api, const char *method,
    const char *path, const char *content_type, const char *body,
    size_t body_len, const char *if_match, struct http_response *resp);

/* Print "what: Google answered STATUS REASON: MESSAGE" and return the exit
 * status for it: 77 for authorization, 75 for retryable, 65 for a bad
 * request or an unknown resource, 69 otherwise. */
int calendar_failure(const struct http_response *resp, const char *what);

/* The pages a list may take: $GCAL_MAX_PAGES (default 10,000; a bad
 * value exits 64). */
long calendar_max_pages(void);

/* What calendar_list returns when Google says a sync token is no longer
 * valid (410 on a list with syncToken): not an exit status. */
#define CALENDAR_SYNC_GONE 410

/* Call fn for each item of every page of a list (GET path, which may carry
 * a query already; what names it in messages); fn returns 0 or an exit
 * status. Items are borrowed and must not be kept, not even with
 * jv_copy: pages are read ahead and freed by other threads, so fn takes
 * what it needs as text (json_dump) or plain C.
 * Each page is checked before any of it reaches fn: an object whose
 * "items" is an array of objects with a non-empty "id" string free of
 * control characters, page and sync tokens non-empty strings; a page
 * token seen before in the list, or more pages than $GCAL_MAX_PAGES
 * (default 10,000), ends the list. All of those are EX_UNAVAILABLE.
 * The last page (without items) is put in *last when last is not NULL:
 * its nextSyncToken, timeZone... 0, an exit status, or CALENDAR_SYNC_GONE. */
int calendar_list(struct calendar_api *api, const char *path,
    const char *what, int (*fn)(jv item, void *arg), void *arg, jv *last);

#endif
