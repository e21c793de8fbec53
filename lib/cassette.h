/* cassette: recorded exchanges: GCAL_RECORD writes them, GCAL_REPLAY
 * answers from them instead of the network (tests/t/replay.t).
 * Thread-safe: one lock; the replay file is read once, on first use. */
#ifndef GCAL_CASSETTE_H
#define GCAL_CASSETTE_H

#include <stddef.h>

#include "http.h"

/* Fill resp (status, body, headers) from the first unused exchange of
 * $GCAL_REPLAY with method and url (canonical: Google's spelling),
 * preferring one whose body (redacted) matches; 0, or EX_UNAVAILABLE
 * when it has none. A damaged file exits 65 or 66 with a message. */
int cassette_answer(const char *method, const char *url, const char *body,
    struct http_response *resp);
/* Append the exchange to $GCAL_RECORD (when set), secrets redacted, in
 * one write(2) per line: processes of one pipeline may share the file. */
void cassette_record(const char *method, const char *url, const char *body,
    size_t body_len, const struct http_response *resp);
/* Forget the loaded cassette and close the record file. */
void cassette_cleanup(void);

#endif
