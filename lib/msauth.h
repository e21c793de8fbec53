/* msauth: signing in to Microsoft's identity platform as a public client
 * (no secret): authorization code + PKCE on the loopback, the device code
 * flow (RFC 8628), refreshes whose refresh tokens rotate, and the account
 * (Graph's /me). Endpoints under http.h's HOST_MS_LOGIN and HOST_MS_GRAPH.
 * Every function prints its own one-line diagnostic and returns an exit
 * status (0 on success). */
#ifndef GCAL_MSAUTH_H
#define GCAL_MSAUTH_H

#include <jv.h>

/* What a link asks for: the calendars, a refresh token, the account's
 * name (Microsoft's "Calendars.ReadWrite offline_access User.Read"). */
#define MSAUTH_SCOPES "Calendars.ReadWrite offline_access User.Read"

struct msauth_login {
	const char *tenant;     /* common, organizations, consumers, or an id */
	const char *client_id;  /* the app registration's Application ID */
	const char *scopes;     /* space-separated */
	const char *login_hint; /* or NULL */
	int device;             /* the device code flow, not the loopback */
	int no_browser;
	int timeout;            /* seconds to wait for the user */
};

/* Sign in; on success *tokens is Microsoft's token answer (the caller's). */
int msauth_login(const struct msauth_login *l, jv *tokens);

/* A new token answer for profile (its profile.json prof, borrowed, names
 * tenant and client_id) from its refresh token. The answer carries the
 * next refresh token: the old one must be replaced by it. */
int msauth_refresh(const char *profile, jv prof, const char *refresh_token,
    jv *tokens);

/* The account an access token belongs to: Graph's /me userPrincipalName
 * (else mail). *upn is the caller's. */
int msauth_account(const char *token, char **upn);

/* Whether tenant is a name Microsoft's paths accept: common,
 * organizations, consumers, a GUID or a domain name. */
int msauth_valid_tenant(const char *tenant);

/* What a poll of the device code flow's token endpoint means (RFC 8628
 * 3.5, Microsoft's "Expected errors"): MSAUTH_DONE for a token answer,
 * MSAUTH_PENDING to ask again after *interval seconds (slow_down adds 5),
 * or an exit status: 77 declined, 75 expired, 69 bad_verification_code.
 * body borrowed. Exposed for tests. */
enum { MSAUTH_DONE = 0, MSAUTH_PENDING = -1 };
int msauth_device_answer(long status, jv body, int *interval);

/* The exit status for a token endpoint's error answer (body borrowed):
 * 77 invalid_grant (expired, revoked: AADSTS70008, 700082, 50173...),
 * interaction_required, consent_required, invalid_scope, access_denied;
 * 78 invalid_client, unauthorized_client; 75 temporarily_unavailable,
 * 5xx and 429; 69 otherwise. Exposed for tests. */
int msauth_token_exit(long status, jv body);

/* Microsoft's explanation of an error answer on one line: its
 * error_description up to the first line end (the trace lines
 * dropped), redacted; the caller's, or NULL. Exposed for tests. */
char *msauth_error_text(jv body);

#endif
