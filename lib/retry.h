/* retry: the retry policy: what is retried, how long to wait, and the
 * exit status of every failure (a transfer's, an answer's), in one place.
 *
 * The public calls (http_retryable, http_answer_exit, http_backoff_ms,
 * http_retry_after...) are declared in http.h; these are for the other
 * http modules. Thread-safe: no state. */
#ifndef GCAL_RETRY_H
#define GCAL_RETRY_H

/* The exit status of a transfer that failed with libcurl's code (a
 * CURLcode): 75 when running again later can work, 69 when the other
 * side answered something unusable (TLS refused, an answer past
 * GCAL_MAX_BODY), 64 for a URL libcurl refuses. */
int retry_curl_exit(int code);
/* Worth another attempt: what may go away (75), and garbled bytes. */
int retry_curl_transient(int code);

#endif
