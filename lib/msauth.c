#include <ctype.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "form.h"
#include "http.h"
#include "json.h"
#include "loopback.h"
#include "msauth.h"
#include "util.h"

#define DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"

/* RFC 8628 3.5: slow_down adds 5 seconds to every later interval. */
#define SLOW_DOWN_S 5

int
msauth_valid_tenant(const char *t)
{
	size_t i, n = strlen(t);

	if (n == 0 || n > 255 || t[0] == '.' || t[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && t[i] != '.' && t[i] != '-')
			return 0;
	return 1;
}

static int
is(const char *s, const char *word)
{
	return s != NULL && strcmp(s, word) == 0;
}

char *
msauth_error_text(jv body)
{
	const char *d = json_str(body, "error_description");
	char *line, *out;

	if (d == NULL)
		d = json_str(body, "error");
	if (d == NULL)
		return NULL;
	/* "AADSTS70008: ... expired ...\r\nTrace ID: ...\r\nCorrelation ID:
	 * ...": the first line says it; the rest is for Microsoft's support */
	line = xstrndup(d, strcspn(d, "\r\n"));
	out = http_redact_message(line);
	free(line);
	return out;
}

/* Microsoft's "Error codes for token endpoint errors" (auth code flow
 * article) and RFC 6749 5.2. */
int
msauth_token_exit(long status, jv body)
{
	const char *e = json_str(body, "error");

	if (status >= 500 || status == 429 || is(e, "temporarily_unavailable") ||
	    is(e, "server_error"))
		return EX_TEMPFAIL;
	if (is(e, "invalid_client") || is(e, "unauthorized_client"))
		return EX_CONFIG;
	if (is(e, "invalid_grant") || is(e, "interaction_required") ||
	    is(e, "consent_required") || is(e, "invalid_scope") ||
	    is(e, "access_denied") || status == 401)
		return EX_NOPERM;
	return EX_UNAVAILABLE;
}

/* Microsoft's device code article, "Expected errors". */
int
msauth_device_answer(long status, jv body, int *interval)
{
	const char *e = json_str(body, "error");

	if (status == 200)
		return json_str(body, "access_token") ? MSAUTH_DONE :
		    EX_UNAVAILABLE;
	if (is(e, "authorization_pending"))
		return MSAUTH_PENDING;
	if (is(e, "slow_down")) {
		*interval += SLOW_DOWN_S;
		return MSAUTH_PENDING;
	}
	if (is(e, "authorization_declined"))
		return EX_NOPERM;
	if (is(e, "expired_token"))
		return EX_TEMPFAIL;
	if (is(e, "bad_verification_code"))
		return EX_UNAVAILABLE;
	return msauth_token_exit(status, body);
}

/* POST a form to /{tenant}/oauth2/v2.0/{what}: 0 with resp (any
 * status), or an exit status said. */
static int
post_form(const char *tenant, const char *what, const struct buf *form,
    struct http_response *resp)
{
	char *path = xasprintf("/%s/oauth2/v2.0/%s", tenant, what);
	struct http_request req = {
		.method = "POST", .host = HOST_MS_LOGIN, .path = path,
		.content_type = "application/x-www-form-urlencoded",
		.body = form->data, .body_len = form->len, .want_json = 1,
	};
	int rc = http_do(&req, resp);

	if (rc != 0)
		warnx("cannot reach Microsoft's sign-in endpoint: %s", http_error());
	free(path);
	return rc;
}

/* A token answer's secrets, registered before anything can show them. */
static void
register_tokens(jv t)
{
	http_secret(json_str(t, "access_token"), "ACCESS_TOKEN");
	http_secret(json_str(t, "refresh_token"), "REFRESH_TOKEN");
	http_secret(json_str(t, "id_token"), "ID_TOKEN");
}

/* The answer of the token endpoint: *tokens on 200, else an exit status
 * and "what: Microsoft answered STATUS ERROR (AADSTS...: ...)". */
static int
token_answer(const struct http_response *resp, const char *what, jv *tokens)
{
	char *text;
	int rc;

	if (resp->status == 200 && json_str(resp->json, "access_token")) {
		register_tokens(resp->json);
		*tokens = jv_copy(resp->json);
		return 0;
	}
	if (resp->status == 200) {
		warnx("%s: Microsoft's token endpoint answered without an "
		    "access_token", what);
		return EX_UNAVAILABLE;
	}
	rc = msauth_token_exit(resp->status, resp->json);
	text = msauth_error_text(resp->json);
	warnx("%s: Microsoft answered %ld%s%s%s (%s)", what, resp->status,
	    text ? " (" : "", text ? text : "", text ? ")" : "",
	    resp->request ? resp->request : "?");
	free(text);
	return rc;
}

static int
code_login(const struct msauth_login *l, jv *tokens)
{
	/* the account is chosen every time: a login replaces a link */
	static const char *const extra[] = {
		"response_mode", "query", "prompt", "select_account", NULL
	};
	struct loopback_consent c = {
		.who = "Microsoft", .client_id = l->client_id,
		.scopes = l->scopes, .extra = extra, .login_hint = l->login_hint,
		.no_browser = l->no_browser, .timeout = l->timeout,
	};
	struct loopback_code code;
	struct http_response resp;
	struct buf form = {0};
	char *path;
	int rc;

	path = xasprintf("/%s/oauth2/v2.0/authorize", l->tenant);
	c.authorize = http_url(HOST_MS_LOGIN, path);
	free(path);
	rc = loopback_authorize(&c, &code);
	free((char *)c.authorize);
	if (rc != 0)
		return rc;
	/* a public client sends no secret: the verifier proves it */
	form_add(&form, "grant_type", "authorization_code");
	form_add(&form, "client_id", l->client_id);
	form_add(&form, "code", code.code);
	form_add(&form, "redirect_uri", code.redirect_uri);
	form_add(&form, "code_verifier", code.verifier);
	form_add(&form, "scope", l->scopes);
	if ((rc = post_form(l->tenant, "token", &form, &resp)) == 0)
		rc = token_answer(&resp, "exchanging the authorization code",
		    tokens);
	http_response_free(&resp);
	form_free(&form);
	loopback_code_free(&code);
	return rc;
}

/* Ask for a device code: 0 with the answer in *dc, or an exit status. */
static int
device_start(const struct msauth_login *l, jv *dc)
{
	struct http_response resp;
	struct buf form = {0};
	char *text;
	int rc;

	form_add(&form, "client_id", l->client_id);
	form_add(&form, "scope", l->scopes);
	if ((rc = post_form(l->tenant, "devicecode", &form, &resp)) != 0)
		goto out;
	if (resp.status != 200) {
		rc = msauth_token_exit(resp.status, resp.json);
		text = msauth_error_text(resp.json);
		warnx("asking for a device code: Microsoft answered %ld%s%s%s",
		    resp.status, text ? " (" : "", text ? text : "",
		    text ? ")" : "");
		free(text);
	} else if (json_str(resp.json, "device_code") == NULL ||
	    json_str(resp.json, "user_code") == NULL ||
	    json_str(resp.json, "verification_uri") == NULL) {
		warnx("asking for a device code: Microsoft's answer lacks "
		    "device_code, user_code or verification_uri");
		rc = EX_UNAVAILABLE;
	} else {
		http_secret(json_str(resp.json, "device_code"), "DEVICE_CODE");
		*dc = jv_copy(resp.json);
	}
out:
	http_response_free(&resp);
	form_free(&form);
	return rc;
}

/* Why a device sign-in ended without a token, said on one line. */
static void
device_failed(int rc, jv body, int timeout)
{
	const char *e = json_str(body, "error");
	char *text = msauth_error_text(body);

	if (is(e, "authorization_declined"))
		warnx("the sign-in was declined (authorization_declined); "
		    "nothing was linked");
	else if (is(e, "expired_token"))
		warnx("the code expired before the sign-in was done "
		    "(expired_token); nothing was linked: run login again");
	else if (is(e, "bad_verification_code"))
		warnx("Microsoft does not know the device code it gave "
		    "(bad_verification_code); nothing was linked");
	else if (jv_get_kind(body) == JV_KIND_INVALID && rc == EX_TEMPFAIL)
		warnx("waited %d s for the sign-in with the code; nothing was "
		    "linked", timeout);
	else
		warnx("waiting for the sign-in: Microsoft answered %s; nothing "
		    "was linked", text ? text : "an error");
	free(text);
}

/* RFC 8628: show the code, then poll at the server's interval. */
static int
device_login(const struct msauth_login *l, jv *tokens)
{
	struct http_response resp;
	struct buf form = {0};
	jv dc = jv_invalid();
	long long deadline;
	double expires;
	int rc, interval;

	if ((rc = device_start(l, &dc)) != 0)
		return rc;
	interval = (int)json_num(dc, "interval", 5);
	if (interval < 0 || interval > 60)
		interval = 5;
	expires = json_num(dc, "expires_in", 900);
	deadline = now_s() + (expires < l->timeout ? (long long)expires :
	    l->timeout);
	fprintf(stderr, "To link a Microsoft account, open %s in a browser "
	    "and enter the code %s\n", json_str(dc, "verification_uri"),
	    json_str(dc, "user_code"));
	form_add(&form, "grant_type", DEVICE_GRANT);
	form_add(&form, "client_id", l->client_id);
	form_add(&form, "device_code", json_str(dc, "device_code"));
	for (rc = MSAUTH_PENDING; rc == MSAUTH_PENDING;) {
		if (now_s() + interval > deadline) {
			device_failed(EX_TEMPFAIL, jv_invalid(), l->timeout);
			rc = EX_TEMPFAIL;
			break;
		}
		sleep((unsigned)interval);
		if ((rc = post_form(l->tenant, "token", &form, &resp)) != 0) {
			http_response_free(&resp);
			break;
		}
		rc = msauth_device_answer(resp.status, resp.json, &interval);
		if (rc == MSAUTH_DONE)
			rc = token_answer(&resp, "the device sign-in", tokens);
		else if (rc != MSAUTH_PENDING)
			device_failed(rc, resp.json, l->timeout);
		http_response_free(&resp);
	}
	form_free(&form);
	jv_free(dc);
	return rc;
}

int
msauth_login(const struct msauth_login *l, jv *tokens)
{
	return l->device ? device_login(l, tokens) : code_login(l, tokens);
}

int
msauth_refresh(const char *profile, jv prof, const char *refresh_token,
    jv *tokens)
{
	const char *tenant = json_str(prof, "tenant");
	const char *client = json_str(prof, "client_id");
	const char *account = json_str(prof, "account");
	struct http_response resp;
	struct buf form = {0};
	char *text;
	int rc;

	if (client == NULL || tenant == NULL || !msauth_valid_tenant(tenant)) {
		warnx("profile '%s': its profile.json names no client_id or "
		    "tenant; link again: gcal-auth login -p %s --provider "
		    "microsoft --client-id ID", profile, profile);
		return EX_CONFIG;
	}
	form_add(&form, "grant_type", "refresh_token");
	form_add(&form, "client_id", client);
	form_add(&form, "refresh_token", refresh_token);
	if ((rc = post_form(tenant, "token", &form, &resp)) != 0)
		goto out;
	if (resp.status == 200 && json_str(resp.json, "access_token")) {
		register_tokens(resp.json);
		*tokens = jv_copy(resp.json);
		goto out;
	}
	rc = resp.status == 200 ? EX_UNAVAILABLE :
	    msauth_token_exit(resp.status, resp.json);
	text = msauth_error_text(resp.json);
	if (rc == EX_NOPERM)
		warnx("profile '%s' (%s): Microsoft refused the grant (%s): it "
		    "expired or was revoked; link again: gcal-auth login -p %s "
		    "--provider microsoft --client-id %s", profile,
		    account ? account : "unknown account",
		    text ? text : "no reason given", profile, client);
	else if (rc == EX_CONFIG)
		warnx("profile '%s': Microsoft refused the client %s (%s): check "
		    "its app registration (a public client with the redirect URI "
		    "http://127.0.0.1)", profile, client, text ? text :
		    "no reason given");
	else
		warnx("profile '%s': refreshing the token: Microsoft answered "
		    "%ld%s%s%s (%s)%s", profile, resp.status, text ? " (" : "",
		    text ? text : "", text ? ")" : "", resp.request ?
		    resp.request : "?", rc == EX_TEMPFAIL ?
		    ": try again later" : "");
	free(text);
out:
	http_response_free(&resp);
	form_free(&form);
	return rc;
}

int
msauth_account(const char *token, char **upn)
{
	struct http_request req = {
		.method = "GET", .host = HOST_MS_GRAPH,
		.path = "/v1.0/me?$select=userPrincipalName,mail",
		.want_json = 1, .bearer = token,
	};
	struct http_response resp;
	const char *name;
	char *msg;
	int rc;

	if ((rc = http_do(&req, &resp)) != 0)
		warnx("cannot ask Microsoft Graph who the account is: %s",
		    http_error());
	else if (resp.status != 200) {
		msg = http_google_message(&resp);
		warnx("asking Microsoft Graph who the account is: it answered "
		    "%ld%s%s (%s)", resp.status, msg ? ": " : "", msg ? msg : "",
		    resp.request ? resp.request : "?");
		free(msg);
		rc = http_response_exit(&resp);
	} else if ((name = json_str(resp.json, "userPrincipalName")) != NULL ||
	    (name = json_str(resp.json, "mail")) != NULL)
		*upn = xstrdup(name);
	else {
		warnx("Microsoft Graph's /me names no userPrincipalName nor mail");
		rc = EX_UNAVAILABLE;
	}
	http_response_free(&resp);
	return rc;
}
