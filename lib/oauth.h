/* oauth: linking an account and keeping its tokens (RFC 6749, RFC 7636,
 * Google's "OAuth 2.0 for Mobile & Desktop Apps" and "Using OAuth 2.0 for
 * Server to Server Applications").
 *
 * Files of a profile (see state.h): client_secret.json and, for a service
 * account, service-account.json in its config directory; token.json in
 * its state directory. Every function here prints its own one-line
 * diagnostic and returns an exit status (0 on success). */
#ifndef GCAL_OAUTH_H
#define GCAL_OAUTH_H

#include <jv.h>

#include "http.h"

#define SCOPE_PREFIX "https://www.googleapis.com/auth/"
#define TOKEN_URI "https://oauth2.googleapis.com/token"

/* The client of a "Desktop app" JSON file from Google Cloud console:
 * {"client_id","client_secret"} (a new object), or an exit status. */
int oauth_client_read(const char *path, jv *client);

/* Full scope URL for a short name ("calendar", "calendar.readonly");
 * URLs and OpenID scopes pass through. The caller's. */
char *oauth_scope(const char *name);

struct oauth_login {
	jv client;              /* borrowed: {"client_id","client_secret"} */
	const char *scopes;     /* space-separated scope URLs */
	const char *login_hint; /* account to suggest, or NULL */
	int no_browser;         /* only print the URL */
	int timeout;            /* seconds to wait for consent */
};

/* The installed-app flow: a loopback listener on 127.0.0.1, PKCE S256 and
 * state, the browser ($BROWSER, else xdg-open with a display, else the URL
 * is printed), and at the same time the redirected URL pasted on stdin.
 * On success *tokens is Google's token response (the caller's). */
int oauth_login(const struct oauth_login *l, jv *tokens);

/* Read the redirect Google sent the browser to (its query, or a whole
 * pasted URL): 1 when it carries code= or error=. *code (a secret, free
 * with free_secret), *state and *error are the caller's, NULL when
 * absent. Exposed for tests and fuzzing. */
int oauth_parse_redirect(const char *s, size_t n, char **code, char **state,
    char **error);

/* Mint a token for a service account key (the key file's JSON, borrowed)
 * acting as subject, by a JWT bearer assertion (RFC 7523). */
int oauth_service_account(jv key, const char *subject, const char *scopes,
    jv *tokens);

/* The account a token response belongs to: the email of its id_token,
 * else Google's userinfo. *email is the caller's. */
int oauth_account(jv tokens, char **email);

/* Store a token response as the profile's token.json (keeps the old
 * refresh token when the response has none); consumes tokens. */
int oauth_save_tokens(const char *profile, jv tokens);

/* A valid access token for profile (the caller's, a secret), refreshed
 * under the profile's token lock when near expiry, or always when force. */
int oauth_token(const char *profile, int force, char **token);

/* When the profile's access token expires (epoch seconds), or 0. */
long long oauth_token_expiry(const char *profile);

/* An exit status and a one-line message ("what: Google answered STATUS
 * REASON: MESSAGE (request)") for a failed request of an OAuth endpoint:
 * 75 when retryable, else as http_response_exit. */
int oauth_failure(const struct http_response *resp, const char *what);

#endif
