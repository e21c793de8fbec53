/* http: one request to Google or Microsoft, with its retries (http_do).
 *
 * The modules behind it, one job each: endpoint.c (where a request goes:
 * GCAL_ENDPOINT, GCAL_GRAPH_ENDPOINT), transport.c (one transfer on this
 * thread's libcurl handle), shared.c (many transfers in flight on one
 * multi handle), retry.c (what is retried, how long to wait, every exit
 * status), redact.c (the secrets registry), cassette.c (GCAL_RECORD /
 * GCAL_REPLAY), trace.c (-v), curl_load.c (libcurl, loaded on first use).
 *
 * Threads: every call here may be made from any thread at once. A
 * request takes an idle libcurl handle (with its live connection) or
 * makes one; each thread has its own http_error(); the handles, the
 * secrets, the cassette and the counters are shared under locks. A
 * process that runs many links calls http_shared_begin(N) once, before
 * its workers start: from then on every thread's http_do goes through
 * one libcurl multi handle (HTTP/2 streams where the server offers
 * them, else kept-alive connections, at most N per host), still
 * blocking its caller until the answer is in. http_shared_end() when
 * the workers are done. Without it, each sender at once has a handle
 * and a connection of its own.
 * The environment is read, never written: no thread may setenv(3). */
#ifndef GCAL_HTTP_H
#define GCAL_HTTP_H

#include <stddef.h>

#include <jv.h>

#include "util.h"

enum google_host {
	HOST_URL,      /* path is a whole URL, not Google's */
	HOST_ACCOUNTS, /* accounts.google.com: consent page */
	HOST_OAUTH2,   /* oauth2.googleapis.com: token, revoke, tokeninfo */
	HOST_WWW,      /* www.googleapis.com: Calendar API, batch */
	HOST_OPENID,   /* openidconnect.googleapis.com: userinfo */
	HOST_MS_LOGIN, /* login.microsoftonline.com: /{tenant}/oauth2/v2.0/... */
	HOST_MS_GRAPH  /* graph.microsoft.com: /v1.0/... */
};

/* Told of every attempt of a request: before (it may wait) and after
 * (with the answer's status and parsed body, borrowed; status 0 when no
 * answer came). The quota governor is one. */
struct http_pacer {
	void (*before)(void *arg);
	void (*after)(void *arg, long status, jv body);
	void *arg;
};

struct http_request {
	const char *method;
	enum google_host host;
	const char *path;         /* "/calendar/v3/...?query", or a URL */
	const char *content_type; /* NULL: no body */
	const char *body;
	size_t body_len;
	const char *bearer;       /* access token, or NULL */
	const char *if_match;     /* etag, or NULL */
	const char *prefer;       /* a Prefer header's value (Graph), or NULL */
	int no_retry;             /* the caller handles every failure */
	int want_json;            /* a 2xx body that is not JSON is retried */
	int raw_2xx;              /* a 2xx body is left for the caller to
	                           * parse (and to judge): json stays invalid */
	const struct http_pacer *pacer; /* or NULL */
};

struct http_response {
	long status;
	struct buf body;
	char *content_type;
	char *etag;
	char *www_authenticate;
	long retry_after; /* seconds, -1 when absent */
	jv json;          /* the parsed body, or invalid when not JSON */
	int attempts;
	char *request;    /* "METHOD URL" as messages show it, or NULL */
};

/* The URL for path on a Google host, honouring GCAL_ENDPOINT (for
 * Microsoft's two hosts, GCAL_GRAPH_ENDPOINT); the caller's. */
char *http_url(enum google_host host, const char *path);

/* Check the settings of the environment (GCAL_ENDPOINT, GCAL_RETRIES,
 * GCAL_TIMEOUT, GCAL_MAX_BODY...) before a program does anything: a bad
 * one exits 64 with a one-line message. */
void http_check_env(void);

/* url as messages show it: no query (its values can be tokens), no
 * user or password, secrets redacted; the caller frees. */
char *http_url_shown(const char *url);

/* Send req, retrying what DESIGN.md says is retryable. Returns 0 with the
 * final answer in resp (any status: the caller judges it; 5xx/429 after
 * the last retry too), or an exit status when no answer came (retry.h
 * maps them): EX_TEMPFAIL (cannot connect or resolve, timeouts, resets),
 * EX_UNAVAILABLE (TLS refused, an answer past GCAL_MAX_BODY or not JSON,
 * GCAL_REPLAY has no recorded answer), EX_USAGE (a bad URL). The reason
 * is in http_error(). resp is the caller's: free it with
 * http_response_free even on failure. */
int http_do(const struct http_request *req, struct http_response *resp);
void http_response_free(struct http_response *resp);
/* Why this thread's last http_do failed; borrowed. */
const char *http_error(void);

/* Reason of a Google error body (error.errors[0].reason, else the OAuth
 * "error" string, else NULL); the caller frees. */
char *http_google_reason(const struct http_response *resp);
/* Google's human message of an error body, or NULL; the caller frees.
 * Redacted as http_redact_message does. */
char *http_google_message(const struct http_response *resp);
/* Retryable per DESIGN.md: 5xx, 429, 403 rate limits. */
int http_retryable(const struct http_response *resp);
/* The same for a status and its parsed body (borrowed): a batch part. */
int http_retryable_answer(long status, jv body);

/* The exit status for an answer the caller cannot use (gcal(7) EXIT
 * STATUS; body borrowed, a batch part's): 0 for 2xx; 77 for 401 (after
 * the one refresh), a dead grant (invalid_grant...) and a 403 for a
 * missing scope or access; 75 for 5xx, 429 and rate or quota 403s; 65
 * for a 400 or 404 that Google explains, and a 403 that refuses only
 * this request (forbiddenForNonOrganizer); 69 for anything else. */
int http_answer_exit(long status, jv body);
/* The same for a whole answer (its WWW-Authenticate counts too). */
int http_response_exit(const struct http_response *resp);

/* Retries after a first attempt ($GCAL_RETRIES, default 5). */
int http_max_retries(void);
/* Bytes an answer may have, after gzip ($GCAL_MAX_BODY, default 64 MiB):
 * a larger one fails the request with 69. */
long http_max_body(void);
/* Seconds a whole request may take ($GCAL_TIMEOUT, default 120). */
long http_timeout(void);
/* Milliseconds to wait before retry number attempt (1-based): Retry-After
 * when Google gave one, else truncated exponential backoff with jitter,
 * as Google's error guide describes ($GCAL_BACKOFF_MS is the base). */
long http_backoff_ms(int attempt, long retry_after);
/* A Retry-After longer than this (seconds) is the next cron run's job. */
#define RETRY_AFTER_MAX 120
/* Seconds to wait by a Retry-After value (RFC 9110 10.2.3: delay-seconds
 * or an HTTP-date, against now in epoch seconds): 0 for a date passed,
 * LONG_MAX for more digits than a long holds, -1 for anything else. */
long http_retry_after(const char *value, long long now);

/* Register a secret (kind e.g. "ACCESS_TOKEN") so that traces and fixtures
 * show a stable placeholder "<KIND_N>" in its place. Copies value. */
void http_secret(const char *value, const char *kind);
/* s with every registered secret replaced; the caller frees. */
char *http_redact(const char *s, size_t n);
/* The same for a text of Google's shown to the user, and every word that
 * looks like a credential (Google's token prefixes, long mixed-case
 * runs) replaced by "<REDACTED>"; the caller frees. */
char *http_redact_message(const char *s);

/* Whether answers come from a GCAL_REPLAY fixture, not the network. */
int http_replaying(void);

/* Connections libcurl opened in this process (CURLINFO_NUM_CONNECTS
 * summed), for -v summaries and the fleet's figures. */
long http_connection_count(void);

/* The integer setting $name, def when unset, exits 64 outside
 * [min, max]; for the http modules. */
long http_setting(const char *name, long def, long min, long max);

/* Shared mode (see the top): every thread's transfers on one multi
 * handle, at most max_in_flight at once (and as many connections per
 * host). 0, or -1 when it is on already. Transfers started before stay
 * on their own handles. */
int http_shared_begin(int max_in_flight);
/* Wait for the transfers in flight, then back to one handle a thread;
 * idempotent. Call it before exit when workers may still be sending. */
void http_shared_end(void);

/* Free the handles, the secrets and the cassette, when no other thread
 * is sending; idempotent. */
void http_cleanup(void);

#endif
