/* trace: the -v (and -vv) lines of every request, secrets redacted. */
#ifndef GCAL_TRACE_H
#define GCAL_TRACE_H

#include "http.h"

/* One attempt of req to url: its answer or libcurl's error (rc, a
 * CURLcode), in ms; with -vv the bodies too (4000 bytes at most). */
void trace_attempt(const struct http_request *req, const char *url,
    const struct http_response *resp, int rc, long long ms);

#endif
