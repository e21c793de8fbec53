/* transport: one transfer of a request on a libcurl handle, alone or
 * handed to the shared multi handle (shared.h).
 *
 * A transfer takes an idle handle (the last used, with its live
 * connection) or makes one, and gives it back when done; each thread has
 * its own error text. So any thread may send, with as many handles as
 * senders at once. Retries, tracing and fixtures are http.c's. */
#ifndef GCAL_TRANSPORT_H
#define GCAL_TRANSPORT_H

#include "http.h"

/* Send req to url once and fill resp's status, body and headers. 0, or
 * libcurl's error code (a CURLcode). */
int transport_perform(const struct http_request *req, const char *url,
    struct http_response *resp);
/* libcurl's words for the last failure of this thread's transfer. */
const char *transport_error(int code);
/* Free the idle handles (call it when no thread is sending); idempotent. */
void transport_cleanup(void);

#endif
