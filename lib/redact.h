/* redact: the registry of secrets, and text with them taken out.
 *
 * Every trace, fixture and error line passes through here, so that a
 * token shows as a stable placeholder ("<ACCESS_TOKEN_1>") instead.
 * Thread-safe: the registry is under one lock, and what it returns is
 * the caller's. The public calls (http_secret, http_redact,
 * http_redact_message) are declared in http.h. */
#ifndef GCAL_REDACT_H
#define GCAL_REDACT_H

#include <stddef.h>

#include <jv.h>

/* Register the secret values of a form body or query string
 * (client_secret=, refresh_token=, code=...). */
void redact_learn_form(const char *s, size_t n);
/* Register the secret members of a JSON answer (access_token...;
 * borrowed). */
void redact_learn_json(jv v);
/* Forget every secret. */
void redact_cleanup(void);

#endif
