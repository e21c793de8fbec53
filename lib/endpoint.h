/* endpoint: where a request goes (Google's hosts, GCAL_ENDPOINT,
 * GCAL_GRAPH_ENDPOINT) and how a URL is shown in messages and fixtures.
 * Thread-safe. http_url and http_url_shown are declared in http.h. */
#ifndef GCAL_ENDPOINT_H
#define GCAL_ENDPOINT_H

#include "http.h"

/* Check both endpoint variables: a bad one exits 64 with a message. */
void endpoint_check(void);
/* The URL as Google (or Microsoft) spells it, whatever the endpoint
 * variables say: fixtures recorded against an emulator replay against
 * any other. A whole URL (HOST_URL) under GCAL_GRAPH_ENDPOINT is spelt
 * under https://graph.microsoft.com too. The caller's. */
char *endpoint_canonical(enum google_host host, const char *path);
/* u fit for a message, a trace or a fixture: no user or password,
 * secrets redacted, and (unless keep_query) no query, whose values can
 * be tokens. The caller's. */
char *endpoint_shown(const char *u, int keep_query);
/* What is wrong with u as an http(s) URL, or NULL (static text): the
 * endpoint has no user, password or query; a backend's address
 * (query_ok) may have them. *loopback says whether its host is this
 * machine, *https its scheme. */
const char *endpoint_problem(const char *u, int query_ok, int *loopback,
    int *https);

#endif
