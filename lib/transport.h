/* transport: one transfer of a request on this thread's libcurl handle,
 * alone or handed to the shared multi handle (shared.h).
 *
 * Each thread has its own easy handle (freed when the thread ends, or by
 * transport_cleanup for the calling thread) and its own error text, so
 * any thread may send. Retries, tracing and fixtures are http.c's. */
#ifndef GCAL_TRANSPORT_H
#define GCAL_TRANSPORT_H

#include "http.h"

/* Send req to url once and fill resp's status, body and headers. 0, or
 * libcurl's error code (a CURLcode). */
int transport_perform(const struct http_request *req, const char *url,
    struct http_response *resp);
/* libcurl's words for the last failure of this thread's transfer. */
const char *transport_error(int code);
/* Free this thread's handle; idempotent. */
void transport_cleanup(void);

#endif
