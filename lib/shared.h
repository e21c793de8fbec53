/* shared: many transfers in flight on one libcurl multi handle, for the
 * threads of a process that runs many links (http_shared_begin, in
 * http.h). One thread of its own drives the multi handle; a sender hands
 * it a prepared easy handle and sleeps until the transfer is done. */
#ifndef GCAL_SHARED_H
#define GCAL_SHARED_H

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

/* Run easy's transfer on the shared handle and wait for it: its result
 * (a CURLcode), or -1 when shared mode is off (perform it alone). The
 * easy handle is the multi thread's until this returns: callbacks run
 * there. */
int shared_perform(CURL *easy);

#endif
