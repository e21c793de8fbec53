/* loopback: get an authorization code from a browser, sent back to a
 * listener on 127.0.0.1 or pasted on stdin (RFC 8252 7.3, RFC 7636 PKCE
 * S256 and state), for any provider's authorization endpoint. */
#ifndef GCAL_LOOPBACK_H
#define GCAL_LOOPBACK_H

#include <stddef.h>

struct loopback_consent {
	const char *who;        /* "Google", "Microsoft": named in messages */
	const char *authorize;  /* the authorization endpoint's URL */
	const char *client_id;
	const char *scopes;     /* space-separated */
	const char *const *extra; /* the provider's own query pairs, name then
	                         * value, NULL-terminated; or NULL */
	const char *login_hint; /* or NULL */
	int no_browser;         /* only print the address */
	int timeout;            /* seconds to wait for consent */
};

struct loopback_code {
	char *code;             /* a secret */
	char *verifier;         /* the PKCE verifier, a secret */
	char *redirect_uri;     /* to send with the code */
};

/* Open the listener, start the browser (browser.h) on a local start page
 * that redirects to the consent address, and wait for the redirect or a
 * pasted address. 0 with *out filled (free with loopback_code_free), or an
 * exit status said: 75 on timeout or an unreachable consent page, 77 when
 * access was refused, 65 for a wrong state or a bad paste. */
int loopback_authorize(const struct loopback_consent *c,
    struct loopback_code *out);
void loopback_code_free(struct loopback_code *c);

/* Read a redirect (its query, or a whole pasted URL): 1 when it carries
 * code= or error=. *code (a secret, free with free_secret), *state and
 * *error are the caller's, NULL when absent. */
int loopback_parse_redirect(const char *s, size_t n, char **code,
    char **state, char **error);

#endif
